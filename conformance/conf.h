/* conf.h — internal interface of cds-conformance, the black-box CDS Hooks 2.0 conformance runner.
 * Every file of conformance/ includes only this header (plus libcurl, cJSON, OpenSSL and
 * libmicrohttpd). It must never include anything from cds-hooks/, engine/ or fhir/: the runner
 * tests a service from the outside, as an EHR would. Assertion ids and severities are those of
 * ../shared/reference/conformance-checklist.md. Prefix: conf_ (public within the folder). */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* ---- limits (named, documented in README) ---- */
#define CONF_MAX_BODY       (8u * 1024u * 1024u) /* largest response body read, bytes */
#define CONF_HTTP_TIMEOUT_S 30L                  /* whole-request timeout, seconds */
#define CONF_MAX_SERVICES   64                   /* discovery entries tested */
#define CONF_MAX_EXCHANGES  512                  /* 200 responses kept for card/action checks */
#define CONF_MAX_LIST       4                    /* findings quoted in one reason */

/* ---- outcome of one assertion ---- */
enum conf_outcome { CONF_PASS, CONF_FAIL, CONF_SKIP };

/* ---- HTTP client (http.c, libcurl) ---- */
struct conf_http_reply {
	long status;          /* HTTP status, 0 when the transport failed */
	char *body;           /* NEW, NUL-terminated (possibly empty) */
	size_t length;        /* bytes in body */
	char *headers;        /* NEW, raw response header block of the last response */
	double ms;            /* wall time of the exchange, milliseconds */
	char error[256];      /* transport error text when status == 0 */
	char tls_version[32]; /* negotiated TLS protocol name, "" for plain HTTP */
};

/* Sends one request. method "GET"/"POST"/"OPTIONS"; bearer NULL sends no Authorization;
 * body NULL sends none (else it is sent with Content-Length and without `Expect: 100-continue`,
 * the reply read while the body is still being sent); extra_headers NULL-terminated list of
 * "Name: value" or NULL (a "Content-Type: ..." there replaces the default application/json).
 * Fills *out (clear it with conf_http_reply_clear). Returns 0, or -1 when the transport failed
 * (out->status 0, out->error says why). Thread-compatible: one curl handle per call. */
int conf_http(const char *method, const char *url, const char *bearer, const char *body,
              const char *const *extra_headers, struct conf_http_reply *out);
/* Like conf_http over TLS with min version 1.2; cafile NULL uses the system store, insecure
 * skips peer verification (self-signed test certificates). Fills out->tls_version. */
int conf_http_tls(const char *url, const char *cafile, int insecure, struct conf_http_reply *out);
/* Sets the trust anchor (NULL = system store) and peer-verification skip used by every later
 * https call (--cacert, --tls-insecure). Call before any request; not thread-safe. */
void conf_http_set_tls(const char *cafile, int insecure);
/* Frees the reply's buffers and zeroes it. Accepts NULL. */
void conf_http_reply_clear(struct conf_http_reply *r);
/* Copies header `name` (case-insensitive) of the reply into dst; returns dst, or NULL if absent. */
const char *conf_http_header(const struct conf_http_reply *r, const char *name, char *dst,
                             size_t size);
/* Whether the reply's Content-Type is application/json (parameters allowed). */
int conf_http_is_json(const struct conf_http_reply *r);
/* Whether the reply's Content-Type is a JSON media type: application/json or any
 * application/<x>+json (e.g. application/fhir+json), parameters allowed. */
int conf_http_is_json_family(const struct conf_http_reply *r);

/* ---- keys and JWTs (jwt.c, OpenSSL 3 EVP) ---- */
struct conf_keys; /* opaque: one ES384 (P-384) and one RS384 (RSA 2048) key pair */

/* Generates fresh keys with random kids. NEW (conf_keys_free); NULL on failure. */
struct conf_keys *conf_keys_new(void);
/* Frees the keys (private keys included). Accepts NULL. */
void conf_keys_free(struct conf_keys *k);
/* The public JWK Set (RFC 7517) as compact JSON. NEW (free). */
char *conf_keys_jwks(const struct conf_keys *k);

/* What a token looks like; zero-initialise and set what the test needs. */
struct conf_jwt_spec {
	const char *alg; /* "ES384" (default when NULL), "RS384", "HS256", "HS384", "none" */
	const char *iss; /* issuer claim */
	const char *aud; /* audience: the exact URL called */
	int aud_array;   /* send aud as a one-element array */
	long exp_offset; /* exp = now + exp_offset (default 300 when 0) */
	int omit_typ, omit_kid, omit_iat, omit_jti, omit_exp; /* drop a REQUIRED member */
	const char *kid;       /* override the kid (unknown-kid test); NULL = the key's kid */
	const char *jku;       /* header jku, NULL for none */
	int corrupt_signature; /* flip bits in the signature */
	const char *jti;       /* fixed jti (replay test); NULL = fresh random */
	long iat_offset;       /* iat = now + iat_offset when non-zero (future iat, A13) */
	long nbf_offset;       /* adds nbf = now + nbf_offset when non-zero (A13) */
};
/* Signs a compact JWS per spec. HS* use the public JWKS text as the secret (the classic
 * key-confusion attack). NEW (free); NULL on failure. CDS Hooks 2.0 §Trusting CDS Clients. */
char *conf_jwt_make(const struct conf_keys *k, const struct conf_jwt_spec *spec);
/* Random UUID v4 string into dst (37 bytes). */
void conf_uuid(char dst[37]);

/* ---- loopback JWKS server (jwks_server.c, libmicrohttpd) ---- */
struct conf_jwks_server;
/* Serves jwks (copied) at http://127.0.0.1:PORT/jwks.json and untrusted (an attacker's keys) at
 * /untrusted/jwks.json, counting its fetches: a service must never fetch a jku that is not on
 * its allowlist (A9). port 0 picks one. NEW (conf_jwks_server_stop); NULL on failure. */
struct conf_jwks_server *conf_jwks_server_start(const char *jwks, const char *untrusted,
                                                unsigned port);
/* The bound loopback port. */
unsigned conf_jwks_server_port(const struct conf_jwks_server *s);
/* Number of GETs of /untrusted/jwks.json so far. */
unsigned conf_jwks_server_untrusted_hits(const struct conf_jwks_server *s);
/* Stops the server and frees s. Accepts NULL. */
void conf_jwks_server_stop(struct conf_jwks_server *s);

/* ---- spawning the service under test (spawn.c) ---- */
struct conf_spawn;
/* Starts argv (placeholders already substituted) with stdout+stderr appended to log_path.
 * NEW (conf_spawn_stop); NULL on failure (message on stderr). */
struct conf_spawn *conf_spawn_start(char *const *argv, const char *log_path);
/* Scans the child's log for "http(s)://HOST:PORT/cds-services" and copies the base URL (without
 * /cds-services) into dst. Returns 0 when found. */
int conf_spawn_find_base_url(const char *log_path, char *dst, size_t size);
/* Whether the child is still running. */
int conf_spawn_alive(struct conf_spawn *s);
/* SIGTERM, wait up to 5 s, then SIGKILL; frees s. Accepts NULL. */
void conf_spawn_stop(struct conf_spawn *s);
/* A free loopback TCP port (bind to 0, read, close), or 0 on failure. */
unsigned conf_free_port(void);

/* ---- report (report.c) ---- */
/* --format: streamed text lines, one JSON document at close, or one JUnit XML document at close
 * (a <testsuite> per section, a <testcase> per assertion with <failure>/<skipped>). */
enum conf_format { CONF_TEXT, CONF_JSON, CONF_JUNIT };
/* Opens the report. Text lines stream to out as they are recorded. */
void conf_report_open(enum conf_format format, FILE *out);
/* Records one assertion: id (e.g. "D1"), severity "M"/"S"/"R"/"CRD", outcome, reason (printf).
 * A CRD assertion is kept apart (printed in its own section, its own tally). */
void conf_report(const char *id, const char *severity, enum conf_outcome outcome, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
/* A should-level HTTP-semantics assertion (P1-P4): recorded like conf_report with severity "S"
 * when strict (--strict), else only a FAIL is kept, as a note "warning: FAIL <id> S <reason>"
 * (the outcome counts nowhere). */
void conf_report_strict(int strict, const char *id, enum conf_outcome outcome, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Records timing figures of one service (for JSON output and the text section). */
void conf_report_timing(const char *service, const char *hook, size_t runs, double median_ms,
                        double p90_ms);
/* Adds a free-form note line (text: "# note"; JSON: notes array). */
void conf_report_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the closing lines; returns the process exit status: 1 when a must-level assertion (or,
 * with crd_counts, a CRD one) failed, else 0. Frees the report. */
int conf_report_close(const char *base_url, int crd_counts);

/* Writes the JUnit XML document (junit.c): a <testsuite> "cds-conformance" holding one
 * <testcase> per core assertion (classname = its group, <failure type="SEVERITY"> or <skipped>,
 * the reason of a PASS as <system-out>), a second suite "cds-conformance.crd" when there are CRD
 * assertions, notes and timing figures as the first suite's <system-out>. Every text is escaped
 * for XML 1.0 (markup characters, control characters, invalid UTF-8). Arrays are report.c's. */
void conf_junit_write(FILE *out, const char *base_url, const cJSON *core, const cJSON *crd,
                      const cJSON *timing, const cJSON *notes);

/* A findings accumulator: counts problems and keeps the first CONF_MAX_LIST texts. */
struct conf_findings {
	size_t count;
	char text[512];
};
void conf_find(struct conf_findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports PASS ("<what>") when f has nothing, else FAIL with the count and the first findings. */
void conf_verdict(const char *id, const char *severity, const struct conf_findings *f,
                  const char *what);

/* ---- JSON helpers (json_util.c) ---- */
/* Records every null and every empty string/array/object under v in f, with its JSON pointer.
 * allow_empty_root_key names one root member allowed to be an empty array ("cards", "services"),
 * or NULL. CDS Hooks 2.0 §Introduction (null/empty rule). */
void conf_json_nulls(const cJSON *v, const char *allow_empty_root_key, const char *label,
                     struct conf_findings *f);
/* Number of Unicode code points in a UTF-8 string (invalid bytes count one each). */
size_t conf_utf8_length(const char *s);
/* Whether s is an absolute URL (scheme ":" "//" something). http_only limits it to http(s). */
int conf_is_absolute_url(const char *s, int http_only);
/* Reads a whole file; NEW (free) NUL-terminated, NULL on error. */
char *conf_read_file(const char *path, size_t *length);
/* Parses a JSON file; NEW (cJSON_Delete) or NULL. */
cJSON *conf_read_json(const char *path);
/* String member of an object, or NULL when absent or not a string. */
const char *conf_str(const cJSON *obj, const char *key);

/* ---- the run (main.c owns it; every check file reads and adds to it) ---- */
/* One discovery entry: (id, hook) pairs are kept apart, so a shared id is tested per hook (T3). */
struct conf_service {
	char *id;              /* NEW */
	char *hook;            /* NEW */
	const cJSON *prefetch; /* BORROWED from ctx->discovery, may be NULL */
	cJSON *best_body;      /* NEW: a body that got 200 (timing, robustness), or NULL */
	size_t timed_runs;     /* latency sample size (timing.c); 0 = not timed */
	double median_ms, p90_ms;
};

/* One request that got 200 with a JSON object, kept for the card and action checks. */
struct conf_exchange {
	char label[160]; /* "service-id <- body name" */
	size_t service;  /* index into ctx->services */
	cJSON *request;  /* NEW */
	cJSON *response; /* NEW */
};

/* --validator and --timing choices. */
enum conf_validator { CONF_VALIDATOR_AUTO, CONF_VALIDATOR_NODE, CONF_VALIDATOR_STRUCTURAL };
enum conf_timing_mode { CONF_TIMING_CHECK, CONF_TIMING_FIGURES };

/* The whole run: options, keys, the discovery document, services and kept exchanges. One per
 * process (main.c), passed to every check group. */
struct conf_ctx {
	/* options */
	char base_url[512];       /* without trailing slash */
	const char *examples_dir; /* ../shared/examples by default */
	const char *tls_url;      /* T1 target, or NULL */
	const char *cafile;       /* T1 trust anchor, or NULL */
	int tls_insecure;         /* T1 without peer verification */
	int crd;                  /* --crd */
	int expect_no_412;        /* --no-412-expected: H4 SKIPs instead of failing */
	enum conf_validator validator;
	const char *validator_dir; /* folder holding node_modules for X5 */
	const char *node_script;   /* conformance/validator/validate.mjs */
	enum conf_timing_mode timing_mode;
	unsigned timing_runs;
	int strict;                   /* --strict: P1-P4 are assertions, not warnings */
	unsigned long max_body_bytes; /* --max-body-bytes: the 413 probe's limit; 0 = not probed */
	unsigned long clock_skew;     /* --clock-skew: allowance assumed for iat/nbf (A13), s */
	/* run state */
	struct conf_keys *keys;
	struct conf_keys *attacker; /* keys published only at the untrusted jku (A9) */
	struct conf_jwks_server *jwks;
	char issuer[256];   /* iss of every token */
	char jwks_url[300]; /* the trusted JWKS */
	cJSON *discovery;   /* NEW, the parsed discovery document or NULL */
	struct conf_service services[CONF_MAX_SERVICES];
	size_t n_services;
	struct conf_exchange *exchanges; /* NEW array of CONF_MAX_EXCHANGES */
	size_t n_exchanges;
	cJSON *body_412;    /* NEW: a body that got 412 (H4), for the CORS check T4, or NULL */
	size_t service_412; /* its service index */
	int auth_required;  /* 1 when a tokenless service call got 401/403, 0 when it got 200, -1 ?
	                     */
};

/* Builds base_url + path into dst. */
void conf_url(const struct conf_ctx *ctx, const char *path, char *dst, size_t size);
/* A valid ES384 token for url (fresh jti). NEW (free). */
char *conf_token_for(const struct conf_ctx *ctx, const char *url);
/* POSTs body (JSON) to path with a valid token for that URL; fills out. Returns conf_http's. */
int conf_post_json(const struct conf_ctx *ctx, const char *path, const cJSON *body,
                   struct conf_http_reply *out);
/* Like conf_post_json with an explicit bearer (NULL for none). */
int conf_post_json_bearer(const struct conf_ctx *ctx, const char *path, const cJSON *body,
                          const char *bearer, struct conf_http_reply *out);
/* Keeps a 200 exchange for the card/action checks (copies request, takes nothing). */
void conf_keep_exchange(struct conf_ctx *ctx, size_t service, const char *label,
                        const cJSON *request, const cJSON *response);
/* Parses a reply body as a JSON object; NEW or NULL. */
cJSON *conf_reply_object(const struct conf_http_reply *r);

/* ---- bodies (bodies.c) ---- */
/* Example bodies (examples dir and its sandbox/ folder) whose "hook" is hook: a cJSON array of
 * {"name": file, "body": {...}}. NEW (cJSON_Delete); empty array when none. */
cJSON *conf_example_bodies(const struct conf_ctx *ctx, const char *hook);
/* A generic valid body for a service's hook, prefetch filled from its templates (Patient read
 * -> a Patient, searches -> empty searchset Bundles, other reads -> null). NEW, or NULL when the
 * hook is not one the runner can build (order-select, order-sign, patient-view,
 * encounter-start, encounter-discharge). */
cJSON *conf_generic_body(const struct conf_service *service);
/* Sets a fresh hookInstance uuid on body. */
void conf_fresh_instance(cJSON *body);
/* The draftOrders Bundle entries' "Type/id" references of a request, as a cJSON array of
 * strings. NEW. */
cJSON *conf_draft_order_refs(const cJSON *request);

/* ---- FHIR resource validation for X5 (validate.c) ---- */
/* Validates resources (a cJSON array of FHIR resources); records problems in f. Sets *how to
 * "node (@medplum/core + fhir)" or "structural". Returns 0, -1 when the node validator was
 * requested explicitly but could not run (f says why). */
int conf_validate_resources(const struct conf_ctx *ctx, const cJSON *resources,
                            struct conf_findings *f, const char **how);

/* ---- assertion groups, one file each ---- */
void conf_check_discovery(struct conf_ctx *ctx);  /* D1–D7 (D4 in service), T3 */
void conf_check_service(struct conf_ctx *ctx);    /* D4, H1–H8 */
void conf_check_robustness(struct conf_ctx *ctx); /* R1–R6 */
void conf_check_auth(struct conf_ctx *ctx);       /* A1–A12 */
void conf_check_cards(struct conf_ctx *ctx);      /* C1–C10 */
void conf_check_actions(struct conf_ctx *ctx);    /* X1–X5 */
void conf_check_feedback(struct conf_ctx *ctx);   /* F1–F3 */
void conf_check_transport(struct conf_ctx *ctx);  /* T1–T3 */
void conf_check_timing(struct conf_ctx *ctx);     /* H9 (+ CRD latency) */
void conf_check_errors(struct conf_ctx *ctx);     /* T4, P1-P4 (error responses) */
void conf_check_crd(struct conf_ctx *ctx);        /* --crd extras, reported apart */

#endif
