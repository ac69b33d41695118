/* cds.h — the public API of cds-hooks/: the CDS Hooks 2.0 protocol layer. It turns an HTTP
 * request (method, path, headers, body) into an HTTP reply: discovery, service calls (validated
 * and handed to the engine), feedback, health, and the JSON error bodies. The same function
 * serves the HTTP server (server.c, libmicrohttpd), `cds-commissioning eval` and the tests, so
 * all three answer byte for byte alike. Only this folder includes microhttpd.h. */
#ifndef CDS_HOOKS_H
#define CDS_HOOKS_H

#include <stddef.h>
#include <stdio.h>

#include "engine.h"

/* Service ids announced in discovery (CDS Hooks 2.0 §Discovery). */
#define CDS_SERVICE_ORDER_SELECT "commissioning-order-select"
#define CDS_SERVICE_ORDER_SIGN   "commissioning-order-sign"

/* Named limits on untrusted input (architecture.md rule 5): the defaults; `serve` can change
 * each (struct cds_config, `serve --help`). */
#define CDS_MAX_BODY_BYTES     (4u * 1024u * 1024u) /* request body; larger -> 413 */
#define CDS_MAX_JSON_DEPTH     64                   /* JSON nesting; deeper -> 400 */
#define CDS_MAX_ARRAY_ITEMS    10000                /* items in any one JSON array; more -> 400 */
#define CDS_MAX_FEEDBACK_ITEMS 1000                 /* feedback entries kept in memory (a ring) */

/* The version printed by `cds-commissioning --version` and reported by GET /healthz. */
#define CDS_VERSION "0.1.0"

/* The application: a loaded engine plus the protocol layer's state (feedback ring, decision
 * log sink). Thread-safe for cds_handle once created. */
struct cds_app;

/* ---- server settings (config.c): trust, CORS, TLS, limits ----------------------------------- */

/* Trusted issuers and their keys, the public URL (JWT aud), CORS origins, JWT algorithms, TLS
 * files and the named limits. Without issuers the service is in open demo mode. */
struct cds_config;
struct cds_config *cds_config_new(void);      /* NEW: defaults; free with cds_config_free */
void cds_config_free(struct cds_config *cfg); /* accepts NULL */
/* Reads the "server" object of a config file (the --config deployment.json; absent: nothing
 * changes). Relative paths are relative to the file's folder. Returns FHIR_OK, or an error with
 * err->where = "FILE#/json/pointer". */
int cds_config_load_file(struct cds_config *cfg, const char *path, struct fhir_error *err);
/* The same, but reports EVERY error to rep (file = path, pointer into the file; rep may be
 * NULL) instead of stopping at the first: unknown keys in `server`, an issuer or `tls`, wrong
 * types and values out of range. Returns the number of errors (0: loaded). */
size_t cds_config_load_file_all(struct cds_config *cfg, const char *path,
                                const struct engine_reporter *rep);
/* Kind of the command-line option `name` (without "--"): 1 takes a value, 0 is a flag, -1 is
 * not a server-settings option. */
int cds_config_option_kind(const char *name);
/* Applies one command-line option (overrides the file; a repeatable list option given on the
 * command line replaces the file's list). value NULL for flags. Returns FHIR_OK,
 * FHIR_ERR_INVALID (err says why) or FHIR_ERR_NOT_FOUND (unknown option). */
int cds_config_option(struct cds_config *cfg, const char *name, const char *value,
                      struct fhir_error *err);
/* Checks the settings as a whole (TLS needs cert and key, issuers are URLs). */
int cds_config_check(const struct cds_config *cfg, struct fhir_error *err);
size_t cds_config_issuer_count(const struct cds_config *cfg); /* 0: open demo mode */
/* Prints the server-settings options for `serve --help`. */
void cds_config_print_usage(FILE *out);

/* Options for cds_app_new. All strings BORROWED for the call. */
struct cds_app_options {
	const char *policies_dir; /* NULL: the embedded default configuration */
	const char *config_file;  /* NULL: policies' deployment.json; else this file replaces it */
	const char *decision_log; /* NULL: stderr; "-": none; else a file to append to */
	const struct cds_config *settings; /* BORROWED, must outlive the app; NULL: defaults (open
	                                      demo mode). JWKS files are read at cds_app_new. */
	/* The decision and feedback store (issue 13; README "What the store keeps, and why"):
	 * NULL or "-": none (the decision log only); else its URL ("sqlite:PATH",
	 * "postgresql://..."), opened and migrated at cds_app_new. Every decision and feedback item
	 * is then committed before its reply, or the reply is 503. */
	const char *store;
	/* The key file of the patient HMAC; NULL: for a SQLite file store PATH, the file
	 * PATH.patient-key, created (32 random bytes, 0600) when absent; required for PostgreSQL.
	 */
	const char *patient_key;
	int keep_request_bodies;          /* 1: store request bodies (for `impact`) ... */
	long request_body_retention_days; /* ... for this many days (0: until the next purge) */
};

/* Loads the configuration (reporting every error through rep) and creates the app.
 * NEW: *out, free with cds_app_free. Returns FHIR_OK, or a negative fhir_status. */
int cds_app_new(const struct cds_app_options *opts, const struct engine_reporter *rep,
                struct cds_app **out);
void cds_app_free(struct cds_app *app);                         /* accepts NULL */
const struct engine *cds_app_engine(const struct cds_app *app); /* BORROWED */
/* Sets the time allowed for fetching missing data from a request's fhirServer, all keys and pages
 * together (CDS Hooks 2.0 §Prefetch; default FHIR_CLIENT_BUDGET_MS, 2000 ms). Call before
 * serving. Returns FHIR_OK, or FHIR_ERR_INVALID when ms <= 0. */
int cds_app_set_fetch_budget(struct cds_app *app, long ms);

/* One HTTP request, as the server received it. All BORROWED for the call. */
struct cds_request {
	const char *method;       /* "GET", "POST", "OPTIONS", ... */
	const char *path;         /* "/cds-services/commissioning-order-select" (no query) */
	const char *content_type; /* may be NULL */
	const char *body;         /* may be NULL when body_length is 0 */
	size_t body_length;
	const struct fhir_datetime *now; /* NULL: the real clock; eval --now and tests fix it */
	const char *authorization;       /* Authorization header or NULL (never logged or echoed) */
	const char *origin;              /* Origin header or NULL (CORS) */
	const char *base_url;      /* the listener's own URL ("http://127.0.0.1:8080"): the JWT aud
	                              base when no public URL is configured; NULL: none */
	unsigned busy_retry_after; /* > 0: the server is overloaded: answer 503 with this
	                              Retry-After (seconds) */
	cJSON **decisions; /* non-NULL (`test`, tests): receives a service call's decision-log
	                      records as the engine made them (NEW array, cJSON_Delete; untouched
	                      when the engine assessed nothing, e.g. a 400) */
};

/* An extra reply header (CORS, WWW-Authenticate, Retry-After, Vary). */
#define CDS_REPLY_MAX_HEADERS 10
struct cds_reply_header {
	const char *name; /* static */
	char *value;      /* NEW, freed by cds_reply_clear */
};

/* The reply. `body` is NEW (malloc'd, NUL-terminated): free with cds_reply_clear. */
struct cds_reply {
	unsigned status; /* 200, 204, 400, 401, 404, 405, 412, 413, 415, 500, 503 */
	char *body;
	size_t body_length;
	const char *content_type; /* static string, e.g. "application/json" */
	const char *allow;        /* 405: the Allow header value (static), else NULL */
	char hook_instance[80];   /* the request's hookInstance for the access log, sanitised to
	                             [A-Za-z0-9._:-] and truncated; "" when none */
	struct cds_reply_header headers[CDS_REPLY_MAX_HEADERS];
	size_t header_count;
	char log_note[384]; /* for the access log: the auth outcome ("auth=ok iss=... jti=..." or
	                       "auth=expired ..."), never a token; "" when none */
};

/* Answers one request. Never fails: errors become 4xx replies whose JSON body is a FHIR
 * OperationOutcome (CDS Hooks 3.0 ballot SHOULD; harmless for 2.0 clients):
 * {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",
 *  "diagnostics":"<message>","expression":["<JSON pointer>"]}]}. */
void cds_handle(struct cds_app *app, const struct cds_request *req, struct cds_reply *out);
void cds_reply_clear(struct cds_reply *reply);

/* ---- HTTP server (server.c, libmicrohttpd) ---------------------------------------------- */

struct cds_server;

/* Starts serving `app` (BORROWED: must outlive the server) on `bind` (an IPv4/IPv6 literal or
 * "localhost"; NULL: 127.0.0.1) and `port` (0: an ephemeral port, see cds_server_port), with the
 * app's settings: TLS when a certificate and key are set, and the limits. Threads answer
 * requests through cds_handle; each request logs one line to stderr (method, path, status,
 * duration, hookInstance, auth outcome with iss/kid/jti; never tokens or bodies). NEW: *out,
 * stop with cds_server_stop. Returns FHIR_OK, FHIR_ERR_INVALID for a bad address, FHIR_ERR_IO
 * when the daemon cannot start (or a TLS file cannot be read). */
int cds_server_start(struct cds_app *app, const char *bind, unsigned port, struct cds_server **out,
                     struct fhir_error *err);
/* The port actually bound (the ephemeral one when started with port 0). */
unsigned cds_server_port(const struct cds_server *server);
/* The listener's own base URL ("https://127.0.0.1:8443"). BORROWED (the server's lifetime). */
const char *cds_server_url(const struct cds_server *server);
/* Stops the daemon (waits for in-flight requests) and frees the server. Accepts NULL. */
void cds_server_stop(struct cds_server *server);
/* Graceful stop (SIGTERM, SIGINT), first step: stops accepting connections at once (the listening
 * socket is closed: new connects are refused), closes idle kept-alive connections, makes replies
 * to requests that arrive meanwhile on open connections carry `Connection: close` (RFC 9112
 * §9.6), and marks the app not ready (GET /readyz: 503). Idempotent. */
void cds_server_quiesce(struct cds_server *server);
/* Second step (quiesces first when not done): waits until every request whose headers were read
 * has been answered, or `grace_seconds` have passed. Returns the number of requests still
 * unanswered at the end of the grace (0: clean); their fetches are then ended (data
 * unavailable) so that they are answered before cds_server_stop. */
unsigned long cds_server_drain(struct cds_server *server, unsigned long grace_seconds);

#endif
