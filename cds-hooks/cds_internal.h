/* cds_internal.h — declarations shared by the files of cds-hooks/ (prefix cds__), never used
 * outside this folder. It defines the cds_app state, the service table, and the helpers that
 * build replies, validate request envelopes, load configuration files and write the decision
 * log. It must not include microhttpd.h (only server.c does). */
#ifndef CDS_INTERNAL_H
#define CDS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "cds.h"

/* ---- services (service.c) ----------------------------------------------------------------- */

/* One service announced in discovery. Static data. CDS Hooks 2.0 §Discovery */
struct cds__service {
	const char *id;   /* the {id} path segment */
	const char *hook; /* the one hook it accepts */
	const char *title;
	const char *description;
};

/* The fixed service table, in discovery order; *count receives its length. BORROWED (static). */
const struct cds__service *cds__services(size_t *count);
/* The service whose id is `id` (length `len`, not NUL-terminated), or NULL. BORROWED. */
const struct cds__service *cds__service_find(const char *id, size_t len);
/* The service that serves `hook`, or NULL. BORROWED. */
const struct cds__service *cds__service_for_hook(const char *hook);

/* ---- the application (app.c) -------------------------------------------------------------- */

/* What outlives a reload (reload.c): shared by every generation of one service. NEW with the
 * first generation (cds_app_new); freed when the last generation and the last holder
 * (cds__host_retain) are gone. */
struct cds__host {
	atomic_uint refs;             /* generations alive + holders */
	pthread_mutex_t current_lock; /* guards `current` (cds__app_acquire, cds__app_swap) */
	struct cds_app *current;      /* holds a reference: the generation new requests get */
	struct cds__log *log;         /* NEW: the decision log's writer; NULL: none */
	struct fhir_client *fhir;     /* NEW: the client for requests' fhirServer */
	struct cds__metrics *metrics; /* NEW: counters for GET /metrics (metrics.c) */
	struct cds__replay *replay;   /* NEW once a generation has issuers: the jti replay cache */
	struct cds__store *replay_store; /* NEW instead of replay for a postgresql:// replay cache
	                                    (store/replay.h): shared by replicas */
	/* issue 13: the decision and feedback store (record.c), opened once (a reload keeps it);
	 * all NULL without one */
	struct cds__store *store;               /* NEW */
	struct cds__store_writer *store_writer; /* NEW: its group-commit writer */
	struct cds__patient_key *patient_key;   /* NEW: the patient HMAC's key */
	long body_retention_days;               /* < 0: request bodies are not stored */
	char store_note[1024]; /* what was opened, for serve's start line ("" without a store) */
	atomic_ulong jwks_counts[2];    /* JWK Set URL fetches, every generation's: ok, failed */
	pthread_mutex_t feedback_mutex; /* guards the feedback ring below */
	char *feedback[CDS_MAX_FEEDBACK_ITEMS]; /* ring of NEW JSON records, oldest overwritten */
	size_t feedback_next;                   /* next slot to write */
	size_t feedback_total;                  /* feedback items recorded since start */
};

/* One generation: the configuration one set of files loaded (engine, discovery document,
 * settings, trust) plus BORROWED copies of the host's long-lived pointers. Immutable once
 * published; refcounted: a request holds a reference from its start to its end (server.c), so
 * it finishes on the set it started with while a reload swaps in the next one. */
struct cds_app {
	atomic_uint refs;       /* cds__app_acquire / cds__app_release */
	struct cds__host *host; /* holds a host reference */
	struct engine *engine;  /* NEW at load, immutable afterwards */
	char *discovery;        /* NEW: the discovery document, built once (discovery.c) */
	size_t discovery_length;
	struct cds__log *log;              /* BORROWED from host */
	struct fhir_client *fhir;          /* BORROWED from host */
	const struct cds_config *settings; /* BORROWED (or own_settings): server settings */
	struct cds_config *own_settings;   /* NEW defaults when none were given; a reload's own */
	struct cds__auth *auth;            /* NEW when issuers are configured, else NULL */
	int mirror_system_actions;    /* deployment.json mirrorSystemActionsInExtension (pre-2.0
	                                 clients) */
	struct cds__metrics *metrics; /* BORROWED from host: counters for GET /metrics */
	char digest[72]; /* "sha256:<hex>" of the files it was loaded from (cds__files_digest) */
	/* GET /report (report_route.c): from this generation's settings */
	unsigned char admin_token_sha256[32]; /* SHA-256 of the admin token */
	int has_admin_token;                  /* 1 when an admin token file was given */
};

/* ---- generations and reload (app.c, reload.c) ---------------------------------------------- */

/* The host's current generation with a reference for the caller (cds__app_release), or NULL
 * after cds__host_close. Thread-safe; a short lock, never held across work. */
struct cds_app *cds__app_acquire(struct cds__host *host);
/* Drops a reference; the last one frees the generation (and its host reference). Accepts NULL. */
void cds__app_release(struct cds_app *app);
/* Makes `next` (its creator's reference moves to the host) the generation new requests get;
 * the previous one is released (freed once its requests are done). Thread-safe. */
void cds__app_swap(struct cds__host *host, struct cds_app *next);
struct cds__host *cds__host_retain(struct cds__host *host); /* returns host */
void cds__host_release(struct cds__host *host);             /* the last frees it; NULL ok */
/* Stops serving: drops the current generation (acquire returns NULL from now on). Idempotent. */
void cds__host_close(struct cds__host *host);
/* Loads a new generation for `host` from `opts` (its policies folder or the embedded set, and
 * its deployment override; opts->settings and decision_log are not used) with `settings` (TAKEN,
 * even on failure: it becomes the generation's own), reporting every error through rep (file
 * names as the user gave them). Shares the host's decision log, FHIR client,
 * metrics and replay cache. NEW: *out (one reference). FHIR_OK or a negative fhir_status. */
int cds__app_load(struct cds__host *host, const struct cds_app_options *opts,
                  struct cds_config *settings, const struct engine_reporter *rep,
                  struct cds_app **out);

/* What a reload reads again (reload.c). The callback rebuilds the server settings exactly as
 * at start (config file, then the command line), reporting every error through rep; it returns
 * the number of errors and NEW *out (even on errors, or NULL). */
struct cds__reload_source {
	const char *policies_dir; /* BORROWED for the reloader's life; NULL: embedded */
	const char *config_file;  /* BORROWED; NULL: none */
	size_t (*settings)(void *ctx, const struct engine_reporter *rep, struct cds_config **out);
	void *ctx;
	FILE *log; /* where each reload's line and errors go (stderr) */
};
struct cds__reloader;
/* Starts the reload thread for `host` (retained). NEW: *out. FHIR_OK or FHIR_ERR_IO. */
int cds__reload_start(struct cds__host *host, const struct cds__reload_source *src,
                      struct cds__reloader **out);
/* What asked for a reload: SIGHUP (main's sigwait) or --watch (watch.c). Bits: requests that
 * coalesce into one reload are counted under signal when any of them was one. */
enum cds__reload_trigger { CDS__RELOAD_SIGNAL = 1, CDS__RELOAD_WATCH = 2 };
/* Asks for a reload: the reload thread reads, compiles and checks everything, then swaps it in
 * or refuses it; requests made while one runs (from either trigger) coalesce into one more, so
 * two reloads never run at once. Never blocks on the reload. Thread-safe. */
void cds__reload_request(struct cds__reloader *r, enum cds__reload_trigger trigger);
/* Runs one reload now on the calling thread (tests; never while the reload thread may run one;
 * counted as a signal's); returns 1 when swapped in, 0 refused. The generation swapped out is kept
 * by r and freed on the reload thread once its last request is done (or released at
 * cds__reload_stop). */
int cds__reload_now(struct cds__reloader *r);
/* Waits for a running reload to end, stops the thread and frees r. Accepts NULL. */
void cds__reload_stop(struct cds__reloader *r);

/* `serve --watch` (watch.c): a thread that asks `reloader` (BORROWED: stop this first) for a
 * reload once the files `src` is read from (copied; its strings BORROWED: the policies folder's
 * tree, the config file and the files its settings name) have changed and then been quiet for
 * quiet_ms. Logs one line at start and one per reload asked for to src->log. NEW: *out.
 * FHIR_OK, or FHIR_ERR_IO in *err (no inotify, or nothing to watch). */
struct cds__watcher;
int cds__watch_start(struct cds__reloader *reloader, const struct cds__reload_source *src,
                     unsigned long quiet_ms, struct cds__watcher **out, struct fhir_error *err);
/* Stops the watch thread and frees w. Accepts NULL. */
void cds__watch_stop(struct cds__watcher *w);

/* ---- configuration files (files.c) -------------------------------------------------------- */

#define CDS__MAX_CONFIG_FILE_BYTES (16u * 1024u * 1024u) /* one policy/value-set file */
#define CDS__MAX_CONFIG_FILES      4096                  /* files below a policies folder */
#define CDS__MAX_CONFIG_DEPTH      16                    /* folder nesting below it */

/* A set of configuration files for engine_load. Names and texts are NEW when `owned` is 1
 * (read from disk), BORROWED (the embedded table) when 0. Free with cds__files_clear. */
struct cds__files {
	struct engine_file *items;
	size_t count;
	size_t capacity;
	unsigned char *owned; /* per item: 1 when name and text are malloc'd */
};

/* Reads every *.json below `dir` recursively into an empty set, names relative to dir
 * ("valuesets/x.json"), sorted by name; entries starting with '.' are skipped. Each unreadable file
 * or folder is reported through rep (file = its path). Returns FHIR_OK or FHIR_ERR_IO (after
 * reporting) / FHIR_ERR_LIMIT. */
int cds__files_read_dir(struct cds__files *files, const char *dir,
                        const struct engine_reporter *rep);
/* Appends the embedded default configuration (BORROWED texts). */
void cds__files_add_embedded(struct cds__files *files);
/* Reads `path` and makes it the entry "deployment.json" (replacing any). Returns FHIR_OK or
 * FHIR_ERR_IO after reporting through rep. */
int cds__files_set_deployment(struct cds__files *files, const char *path,
                              const struct engine_reporter *rep);
/* Reads a whole file (at most `limit` bytes) into *out (NEW, NUL-terminated, free()).
 * Returns FHIR_OK, FHIR_ERR_IO (err names the file and errno), or FHIR_ERR_LIMIT. */
int cds__read_file(const char *path, size_t limit, char **out, size_t *length,
                   struct fhir_error *err);
void cds__files_clear(struct cds__files *files); /* frees owned entries; accepts zeroed */

/* ---- `cds-commissioning fhirpath` (fhirpath_cli.c) ----------------------------------------- */

/* The fhirpath command: argv[0] is "fhirpath", then [--resource FILE] [--var NAME=FILE]...
 * [--now ISO] EXPRESSION. Prints the result as a JSON array on stdout; errors (with the
 * expression position) on stderr. Returns the exit status: 0, 1 (evaluation), 2 (usage). */
int cds__fhirpath_command(int argc, char **argv);
/* `cds-commissioning draft ... FILE|-` (draft_cmd.c): the IFR / prior-approval requests a
 * request's cards draft, as Markdown on stdout. argv[0] is "draft". Returns the exit status. */
int cds__draft_command(int argc, char **argv);
/* `cds-commissioning purge --store URL [--now ISO-8601]` (purge_cmd.c): removes the request
 * bodies whose retention ended (at --now; default the current time) and prints how many.
 * argv[0] is "purge". Returns the exit status: 0, 1 (the store), 2 (usage). */
int cds__purge_command(int argc, char **argv);
/* `cds-commissioning report --store URL [--from DATE] [--to DATE] [--format F]` (report_cmd.c):
 * the commissioner's report from the store on stdout. argv[0] is "report". Returns the exit
 * status: 0, 1 (the store), 2 (usage). */
int cds__report_command(int argc, char **argv);

/* ---- GET /report (report_route.c) ---------------------------------------------------------- */

struct cds__store;
#define CDS__REPORT_PATH           "/report"
#define CDS__ADMIN_TOKEN_MIN_BYTES 16 /* a shorter admin token is refused at start */
/* 1 when `path` (`len` bytes, trailing slash removed) is the report page's. */
int cds__report_path(const char *path, size_t len);
/* Reads the admin token from `path` (one line: at least CDS__ADMIN_TOKEN_MIN_BYTES characters of
 * RFC 6750 b64token, surrounding white space ignored) and keeps only its SHA-256 in the app.
 * FHIR_OK, or FHIR_ERR_IO / FHIR_ERR_INVALID with err naming the file, never the token. */
int cds__admin_token_load(struct cds_app *app, const char *path, struct fhir_error *err);
/* GET /report[?from=DATE&to=DATE]: the commissioner's report page (web/report_page.c) from the
 * app's store, for a loopback client whose Host is a loopback name, or a client sending
 * `Authorization: Bearer <admin token>` (compared in constant time; never logged); 403
 * otherwise, 400 for a bad date or parameter, 404 without a store, 503 when it cannot be read.
 * The reply carries no CORS headers (the page is for its own origin) and a CSP that allows no
 * script. */
void cds__report_route(struct cds_app *app, const struct cds_request *req, struct cds_reply *out);
/* The same against an explicit store (NULL: 404): what cds__report_route calls with a second
 * connection to the host's store URL (never the host's own, which the writer holds). */
void cds__report_reply(struct cds_app *app, struct cds__store *store, const struct cds_request *req,
                       struct cds_reply *out);

/* ---- replies (reply.c) --------------------------------------------------------------------- */

/* Removes, recursively, every member or array item that is null, "", [] or {} (CDS Hooks 2.0
 * §Response: "SHALL NOT be null or empty"), except a top-level "cards" member of `root`
 * when keep_cards is 1 (the one allowed `"cards": []`). Empty containers left behind by the
 * removal are removed too. `root` itself is never removed. */
void cds__prune(cJSON *root, int keep_cards);
/* Fills out with `status` and `body` written unformatted as cds__prune(body, keep_cards) would
 * leave it (fhir_json_writer in prune mode; body itself is not changed). TAKES body (deleted). */
void cds__reply_json(struct cds_reply *out, unsigned status, cJSON *body, int keep_cards);
/* Fills out with `status` and the JSON text `json` (`length` bytes). TAKES json (malloc'd). */
void cds__reply_text_take(struct cds_reply *out, unsigned status, char *json, size_t length);
/* Fills out with a copy of the JSON text `json` (`length` bytes). */
void cds__reply_text(struct cds_reply *out, unsigned status, const char *json, size_t length);
/* Fills out with an OperationOutcome error body (cds.h): `code` a FHIR issue-type code
 * ("invalid", "not-found", ...), `pointer` a JSON pointer into the request or NULL/"". */
void cds__reply_error(struct cds_reply *out, unsigned status, const char *code, const char *pointer,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Adds header `name` (static) with a copy of `value` to out (ignored beyond
 * CDS_REPLY_MAX_HEADERS). */
void cds__reply_header(struct cds_reply *out, const char *name, const char *value);
/* Aborts the process when p is NULL (architecture.md rule 5: out of memory aborts). */
void *cds__must(void *p);

/* ---- requests (request.c) ------------------------------------------------------------------ */

/* 1 when the Content-Type is application/json, parameters (";charset=utf-8") allowed. */
int cds__content_type_is_json(const char *content_type);
/* Parses untrusted JSON (a request body, a JWT part, a JWK Set) with fhir_json_parse_limited:
 * nesting deeper than max_depth, or an array with more than max_items items -> FHIR_ERR_LIMIT;
 * not JSON (RFC 8259: also invalid UTF-8 or a raw control character in a string), or text after
 * the value -> FHIR_ERR_SYNTAX; messages call it "the request body". err->where holds a JSON
 * pointer when known. NEW: *out (cJSON_Delete). */
int cds__parse_json_limited(const char *body, size_t length, unsigned long max_depth,
                            unsigned long max_items, cJSON **out, struct fhir_error *err);
/* As cds__parse_json_limited; one_block 1 builds a read-only tree in one allocation when the text
 * allows (fhir_json_limits.one_block): a service call's body, which nothing modifies. */
int cds__parse_json_block(const char *body, size_t length, unsigned long max_depth,
                          unsigned long max_items, int one_block, cJSON **out,
                          struct fhir_error *err);
/* Checks the CDS Hooks 2.0 §HTTP Request envelope: hook (== service->hook), hookInstance,
 * context, fhirServer, fhirAuthorization (inv. cds-r-1), prefetch. Unknown members are ignored.
 * Returns FHIR_OK or FHIR_ERR_INVALID with err (message, JSON pointer). */
int cds__validate_envelope(const cJSON *request, const struct cds__service *service,
                           struct fhir_error *err);
/* Copies `text` into buf (size bytes) for logging: characters outside [A-Za-z0-9._:-] become
 * '?', truncated. NULL gives "". */
void cds__sanitize(const char *text, char *buf, size_t size);

/* ---- discovery (discovery.c) --------------------------------------------------------------- */

/* GET /fhir/Questionnaire/{id} (questionnaire_get.c): the loaded Questionnaire `id` (id_len
 * bytes, not NUL-terminated) as FHIR JSON, or 404 with an OperationOutcome. */
#define CDS_QUESTIONNAIRE_PATH "/fhir/Questionnaire/"
void cds__questionnaire_get(struct cds_app *app, const char *id, size_t id_len,
                            struct cds_reply *out);

/* Builds the discovery document for the loaded engine. CDS Hooks 2.0 §Discovery.
 * NEW: *out (free()). */
void cds__discovery_build(const struct engine *engine, char **out, size_t *length);

/* ---- fetching missing data from the client's FHIR server (fetch.c) ------------------------ */

/* What the fetch step reports beside the data it supplies to the engine request. */
struct cds__fetched {
	size_t fetched; /* keys fetched successfully */
	char note[512]; /* why keys could not be fetched ("conditions: HTTP 401 ..."), for the 412
	                   message; "" when nothing failed. Never holds the access token. */
};
/* CDS Hooks 2.0 §Prefetch, in three steps. cds__fetch_plan: which keys the triggered policies
 * need that the prefetch lacks (engine_request_needs: absent, OperationOutcome, unusable; `null`
 * is never fetched), and the further pages of paged prefetch Bundles, to be fetched from the
 * request's fhirServer with the fhirAuthorization bearer token within the app's fetch budget.
 * fhirServer must pass fhir_client_base_allowed (https unless loopback or demo mode). Then the
 * fetch, waiting (cds__fetch_now) or not (cds__fetch_start); then cds__fetch_collect supplies
 * what came back to the engine request. Never fails: what cannot be fetched stays unavailable
 * and is explained in out->note; a paged Bundle whose pages cannot be fetched is supplied as
 * unavailable (engine_request_supply with NULL). Clear *out with cds__fetched_clear. */
void cds__fetched_clear(struct cds__fetched *fetched); /* accepts NULL */

#define CDS__FETCH_MAX_KEYS 32 /* prefetch keys one request can fetch */
/* What one request fetches: fetch.c's; server.c only passes it along. */
struct cds__fetch_plan {
	const char *server, *token; /* BORROWED from the request (never copied or logged) */
	struct fhir_fetch items[CDS__FETCH_MAX_KEYS];
	char *paths[CDS__FETCH_MAX_KEYS]; /* NEW: the items' resolved templates */
	size_t keys[CDS__FETCH_MAX_KEYS]; /* the items' engine_prefetch_keys() indexes */
	size_t n;                         /* items */
	unsigned follow;                  /* keys whose prefetch is a paged Bundle */
};
/* An empty plan (n 0), as cds__fetch_plan and cds__fetch_plan_clear leave one; the item slots
 * are not zeroed (only the first plan->n are ever read). */
void cds__fetch_plan_init(struct cds__fetch_plan *plan);
/* The first step: fills *out with what is known without fetching (notes, paged Bundles
 * that cannot be followed, supplied to `req` as unavailable) and *plan with what to fetch, from
 * `req`'s needs. Returns plan->n (0: nothing to fetch, *out is complete). The request (JSON and
 * engine request) must outlive the plan. */
size_t cds__fetch_plan(struct cds_app *app, const cJSON *request, struct engine_request *req,
                       struct cds__fetch_plan *plan, struct cds__fetched *out);
/* Starts the plan on `fetcher` (fhir_fetcher_start): FHIR_OK, then done(ctx, status) follows on
 * the fetcher's thread; otherwise done never comes and the items say why (collect them). */
int cds__fetch_start(struct cds_app *app, struct cds__fetch_plan *plan,
                     struct fhir_fetcher *fetcher, fhir_fetch_done_fn done, void *ctx);
/* Fetches the plan's items now, waiting (fhir_client_fetch, at most the fetch budget). */
void cds__fetch_now(struct cds_app *app, struct cds__fetch_plan *plan);
/* The last step: supplies the items' results to `req` (a failed paged Bundle as unavailable),
 * notes the failures in *out, then clears the plan. */
void cds__fetch_collect(struct cds__fetch_plan *plan, struct engine_request *req,
                        struct cds__fetched *out);
void cds__fetch_plan_clear(struct cds__fetch_plan *plan); /* frees what the plan holds */
/* 1 when a prefetch value is a searchset Bundle with a `next` link (paged, CDS Hooks 2.0): its
 * further pages are fetched from fhirServer like missing data (fetch.c; impact.c). */
int cds__prefetch_paged(const cJSON *value);
/* 1 when no client authentication (JWT issuer) is configured: open demo mode, where fhirServer
 * may be plain http to any host. */
int cds__demo_mode(const struct cds_app *app);

/* ---- answering in steps around a fetch and a store commit (handle.c) ---------------------- */

/* A service call waiting for data from its fhirServer, or for its decisions to be committed to
 * the store: everything before that is done (body read and validated, token checked; for a
 * commit, the assessment too). handle.c's; server.c reads `wait` and passes it along. */
enum cds__wait {
	CDS__WAIT_FETCH,  /* plan's items to be fetched (cds__fetch_start / cds__fetch_now) */
	CDS__WAIT_COMMIT, /* rows to be committed (cds__record_submit / cds__record_commit_now) */
};
/* A token's jti that a check found new but did not claim (auth.c, when the replay cache is the
 * decision store: cds__auth_claim_in_commit): claimed in the call's own commit (record.c: with
 * its decision or feedback rows, one transaction), or, for a call that commits nothing, at its
 * end (handle.c: cds__auth_claim). So a replica that dies mid-request leaves the token free for
 * the balancer's retry on another one, and a call answered is a call claimed. */
struct cds__claim {
	int pending;    /* 1: still to be claimed */
	int refused;    /* 1: the commit it went into found the jti claimed first (a replay) */
	time_t expires; /* exp + skew, Unix seconds */
	char aud[304];  /* the URL called, for the 401 (cut as the 401 cuts it) */
	char iss[1025], jti[257]; /* as in the token: CDS__ISS_MAX_BYTES, CDS__JTI_MAX_BYTES + 1 */
};

struct cds__store_rows;
struct cds__pending {
	const struct cds__service *service;
	cJSON *json;                /* NEW: the request body */
	struct fhir_datetime now;   /* the decision's `now` */
	struct engine_request *req; /* NEW: the request as the engine read it (once) */
	cJSON **decisions;          /* cds_request.decisions (BORROWED) */
	enum cds__wait wait;
	struct engine_result result;  /* the assessment, while its rows are committed */
	struct cds__store_rows *rows; /* NEW until submitted: the decisions' rows */
	int commit_rc;                /* FHIR_OK once they committed */
	struct cds__claim claim;      /* the token's jti, claimed in the commit when pending */
	void (*committed)(void *ctx); /* cds__record_submit's callback, and its ctx */
	void *committed_ctx;
	struct cds__fetched fetched;
	struct cds__fetch_plan plan;
};
/* cds_handle up to the fetch or the commit: 0 when *out is the whole reply; 1 when the request
 * waits for (*pending)->wait (NEW *pending; *out holds the access-log fields so far and must be
 * kept for cds__handle_finish). */
int cds__handle_start(struct cds_app *app, const struct cds_request *req, struct cds_reply *out,
                      struct cds__pending **pending);
/* The next step once what pending->wait named is over: 0 when *out (kept from
 * cds__handle_start) is the whole reply and `pending` is freed; 1 when it now waits for
 * pending->wait (a fetch done, the commit comes next). */
int cds__handle_finish(struct cds_app *app, const struct cds_request *req,
                       struct cds__pending *pending, struct cds_reply *out);

/* ---- feedback (feedback.c) ----------------------------------------------------------------- */

/* Validates a feedback body ({"feedback": [...]}) for `service`, records every item in the ring
 * and the decision log, and fills out (200 {"recorded": N}, or 400 naming the first problem:
 * nothing is recorded then). The token's jti, when `claim` (may be NULL) is pending, is claimed
 * in the store's commit (cds__record_feedback: a refusal leaves *out empty, claim->refused set).
 * CDS Hooks 2.0 §Feedback */
void cds__feedback_handle(struct cds_app *app, const struct cds__service *service,
                          const cJSON *body, struct cds__claim *claim, struct cds_reply *out);
/* Feedback items recorded since start. Thread-safe. */
size_t cds__feedback_total(struct cds_app *app);

/* ---- the decision and feedback store, the service's side (record.c) ------------------------ */

struct cds__store;
struct cds__store_writer;
struct cds__patient_key;
/* Opens opts->store for `host` (cds_app_new, once: a reload keeps it): the store, its patient
 * key (loaded, or created beside a SQLite file), the writer; fills host->store_note. NULL/"-"
 * store: nothing. FHIR_OK, or an error reported through rep (file = the store, redacted, or the
 * key file). */
struct cds__host;
int cds__record_open(struct cds__host *host, const struct cds_app_options *opts,
                     const struct engine_reporter *rep);
/* Commits what is queued and closes; accepts a host without a store (or partly opened). */
void cds__record_close(struct cds__host *host);
/* The rows of one assessed service call (the request body, the engine's records, the response
 * or NULL when none is sent), to be committed before its reply: NEW, or NULL without a store. */
struct cds__store_rows *cds__record_decision_rows(struct cds_app *app,
                                                  const struct cds__service *service,
                                                  const cJSON *request, const cJSON *records,
                                                  const cJSON *response);
/* Hands p->rows to the store's writer and returns at once (p->rows is then NULL); when they have
 * committed or failed (or the wait for the commit timed out), sets p->commit_rc and calls
 * committed(ctx) — on the writer's thread, its timer's or this one — after which p is the
 * caller's again. No worker waits meanwhile. */
void cds__record_submit(struct cds_app *app, struct cds__pending *p, void (*committed)(void *ctx),
                        void *ctx);
/* The same, waiting here (eval, tests). */
void cds__record_commit_now(struct cds_app *app, struct cds__pending *p);
/* The 503 (OperationOutcome, Retry-After) for a call whose `what` ("the decision") could not be
 * recorded; *out holds no body yet. */
void cds__record_unavailable(struct cds_app *app, const char *what, struct cds_reply *out);
/* Commits one feedback body's validated records (feedback.c), waiting on this thread, with the
 * claim of claim's jti when pending (may be NULL): 0 when committed or without a store; -1 when
 * not, with *out the 503 (cds__record_unavailable), or, when the claim was refused (a replay:
 * claim->refused), *out untouched for the caller's 401. */
int cds__record_feedback(struct cds_app *app, const cJSON *records, struct cds__claim *claim,
                         struct cds_reply *out);
/* Adds "store": {kind, status "ok"|"failing", reason} to a /healthz body; 1 when failing. */
int cds__record_health(struct cds_app *app, cJSON *body);
/* 1 when the store's last write failed, with why (cds__ready); 0 otherwise or without one. */
int cds__record_failing(struct cds_app *app, char *why, size_t size);

/* ---- decision log (log.c) ------------------------------------------------------------------ */

/* Lines the decision log's queue holds before an enqueuing request waits for the writer. */
#define CDS__LOG_QUEUE_LINES 4096

/* The decision log's writer: a bounded queue of lines and one thread that writes whatever is
 * queued as one batch (one write, one flush) under the FILE's lock. Opaque. */
struct cds__log;
/* What a log has done (counts since it opened), for tests and diagnostics. */
struct cds__log_stats {
	unsigned long written; /* lines written */
	unsigned long batches; /* batches (write + flush) */
	unsigned long waits;   /* pushes that found the queue full and waited */
	unsigned long failed;  /* lines in batches whose write or flush failed */
	int failing;           /* the last batch failed (GET /readyz: not ready) */
	size_t queued;         /* lines queued now */
	size_t high_water;     /* most lines ever queued at once */
	size_t capacity;       /* the queue's size in lines */
};
/* Starts a writer for `out` (BORROWED, or TAKEN when owned is 1: fclose at close) with a queue of
 * `capacity` lines (0 is taken as 1). NEW: close with cds__log_close. Aborts when no thread can
 * be started (like out of memory). */
struct cds__log *cds__log_open(FILE *out, int owned, size_t capacity);
/* Writes every queued line, stops the writer, closes (owned) or flushes `out`, frees. Lines
 * pushed meanwhile are still written. Accepts NULL. */
void cds__log_close(struct cds__log *log);
/* Enqueues one line (TAKES `line`: malloc'd JSON text without its newline). When the queue is
 * full the caller waits until the writer has taken it (nothing is dropped). NULL log: freed. */
void cds__log_push(struct cds__log *log, char *line);
/* Waits until every queued line is written (not while paused). Thread-safe. */
void cds__log_flush(struct cds__log *log);
/* Test hook: while paused (1) the writer takes nothing, so the queue fills and pushes wait. */
void cds__log_pause(struct cds__log *log, int paused);
void cds__log_stats(struct cds__log *log, struct cds__log_stats *out); /* zeros for NULL */

/* 1 when the app has a decision log (records are worth building), else 0. */
int cds__log_enabled(const struct cds_app *app);
/* Writes `record` as one JSON line to the decision log (if any): printed here, written by the
 * writer thread; thread-safe. BORROWED record. */
void cds__log_record(struct cds_app *app, const cJSON *record);
/* Takes ownership of a malloc'd JSON text without its newline; enqueues it (as
 * cds__log_push; freed when the app has no decision log). Thread-safe. */
void cds__log_line(struct cds_app *app, char *line);
/* The current UTC instant as RFC 3339 with milliseconds ("2026-11-23T08:53:10.123Z"). */
void cds__timestamp(char *buf, size_t size);

/* ---- trust: server settings (config.c) ------------------------------------------------------ */

#define CDS__MAX_SOURCES      8    /* jku URLs allowed per issuer */
#define CDS__ORIGIN_MAX_BYTES 512  /* an Origin header or allowed origin */
#define CDS__ISS_MAX_BYTES    1024 /* iss claim / configured issuer */
#define CDS__KID_MAX_BYTES    256  /* kid header / JWK kid */
#define CDS__JTI_MAX_BYTES    256  /* jti claim */
_Static_assert(sizeof((struct cds__claim *)0)->iss > CDS__ISS_MAX_BYTES &&
                   sizeof((struct cds__claim *)0)->jti > CDS__JTI_MAX_BYTES,
               "struct cds__claim holds the longest iss and jti auth.c accepts");
#define CDS__JWT_MAX_BYTES 16384 /* a whole compact JWS */
#define CDS__JWT_MAX_DEPTH 8     /* JSON nesting inside a JWT header or payload */
#define CDS__JWKS_MAX_KEYS 100   /* keys in one JWK Set */
#define CDS__RSA_MIN_BITS  2048  /* smaller RSA keys are refused */

/* The named limits (config.c's table documents each; `--help` prints it). */
struct cds__limits {
	unsigned long max_body_bytes, max_json_depth, max_array_items, max_header_bytes;
	unsigned long max_connections, max_connections_per_ip, idle_timeout_seconds;
	unsigned long header_deadline_seconds, body_deadline_seconds;
	unsigned long max_in_flight, retry_after_seconds, threads;
	unsigned long clock_skew_seconds, max_token_lifetime_seconds, replay_cache_entries;
	unsigned long jwks_ttl_seconds, jwks_refresh_seconds, jwks_timeout_seconds, jwks_max_bytes;
	unsigned long shutdown_grace_seconds;
	unsigned long watch_quiet_ms; /* --watch: the quiet period before a reload (watch.c) */
};

/* One trusted issuer. All NEW. */
struct cds__issuer_config {
	char *iss;  /* the exact iss claim */
	char *jwks; /* file path or URL of its JWK Set; NULL when only jku URLs are given */
	char **jku; /* allow-listed jku URLs */
	size_t jku_count;
};

/* Server settings (cds.h: struct cds_config). All strings NEW. */
struct cds_config {
	struct cds__issuer_config *issuers;
	size_t issuer_count; /* 0: open demo mode */
	char **origins;      /* CORS allow-list ("*" = any) */
	size_t origin_count;
	unsigned algorithms; /* CDS__ALG_* mask */
	char *public_url;    /* without a trailing '/'; NULL: the listener's own URL */
	char *tls_cert, *tls_key;
	char *jwks_ca_file;
	int allow_http_loopback_jwks;
	int fetch_without_authorization; /* fetch from a fhirServer sent without fhirAuthorization
	                                  */
	char *replay_cache_file; /* the jti replay cache's file (replay.c); NULL: memory only; a
	                            postgresql:// URL: the store's (store/replay.h) */
	char *admin_token_file;  /* the file holding GET /report's admin token; NULL: loopback
	                            clients only */
	struct cds__limits limits;
	int cli_issuers, cli_origins, cli_algorithms; /* a command-line list replaced the file's */
	/* serve's own settings from the config file (main.c applies them; its options win) */
	char *bind;           /* NULL: not set */
	long port;            /* -1: not set */
	long fetch_budget_ms; /* 0: not set */
	/* a path (relative to the file resolved), "-" for none; NULL: not set */
	char *decision_log;
	int log_json; /* access log as JSON lines (--log-format json) */
	int watch;    /* --watch: reload when the configuration's files change (watch.c) */
	/* the store (issue 13; serve applies them): URL or "-" for none, NULL: not set (serve's
	 * default CDS__STORE_DEFAULT); key file; request bodies kept (-1: not set) and for how
	 * many days (-1: not set) */
	char *store;
	char *patient_key;
	int keep_request_bodies;
	long request_body_retention_days;
};

/* `serve`'s store when none is configured: a SQLite file in the working directory. */
#define CDS__STORE_DEFAULT "sqlite:cds-store.db"
/* Days request bodies are kept when keeping is enabled without a retention period. */
#define CDS__BODY_RETENTION_DEFAULT_DAYS 30
#define CDS__BODY_RETENTION_MAX_DAYS     3650
/* What a reload cannot change (they size or bind the server, or are opened once): bind, port,
 * tls.cert/key, decisionLog, replayCacheFile, fetchBudgetMs, logFormat, watch and every limit.
 * Copies them from `running` into `next` and writes the config-file names of those that differed,
 * comma-separated, into `changed` (truncated to size). Returns how many differed. */
size_t cds__config_keep_restart(struct cds_config *next, const struct cds_config *running,
                                char *changed, size_t size);

/* ---- HTTP server internals (server.c) -------------------------------------------------------- */

/* What the server's connection and request accounting says now (server.c; for tests and
 * diagnostics). Counters since the start. */
struct cds__server_stats {
	unsigned long connections; /* open connections counted against the limits */
	unsigned long in_flight;   /* requests complete and queued for, or being answered by, a
	                              worker (maxInFlight) */
	unsigned long queued;      /* of those, waiting for a worker */
	unsigned long fetching;    /* of those, waiting for fhirServer on the fetch thread (no
	                              worker held) */
	unsigned long committing;  /* of those, waiting for their decisions' commit (no worker
	                              held) */
	unsigned long header_deadline_drops; /* closed: request line + headers too late */
	unsigned long body_deadline_drops;   /* closed: body too late */
	unsigned long evicted; /* closed while waiting for headers to make room for a new one */
	unsigned long refused; /* new connections over a limit with none that could be closed for
	                          them: not counted; answered 503 + Retry-After, then closed */
	unsigned long refused_per_ip; /* of those, over maxConnectionsPerIp */
	unsigned long mhd_messages;   /* libmicrohttpd's own messages (summarised once a second) */
};

/* Copies the server's counts into *out (zeros for NULL). Thread-safe. */
void cds__server_stats(struct cds_server *server, struct cds__server_stats *out);

/* Test hook: while paused (1), workers take no request from the queue, so complete requests
 * stay in flight; 0 resumes. Lets a test fill maxInFlight deterministically. Thread-safe. */
void cds__server_pause_workers(struct cds_server *server, int paused);

/* ---- operations: metrics and readiness (metrics.c) ---------------------------------------- */

/* The counters behind GET /metrics. Opaque. Thread-safe: request threads bump atomics. */
struct cds__metrics;
/* NEW (cds__metrics_free): label sets for the engine's policies (BORROWED: the engine outlives
 * the registry) and the digest of `files` (the loaded set, in load order). */
struct cds__metrics *cds__metrics_new(const struct engine *engine, const struct engine_file *files,
                                      size_t file_count);
void cds__metrics_free(struct cds__metrics *m); /* accepts NULL */
/* SHA-256 over each file in load order (name, NUL, length as 8 big-endian bytes, text), as
 * "sha256:<hex>" into out (72 bytes suffice). */
void cds__files_digest(const struct engine_file *files, size_t count, char *out, size_t size);
/* A reload swapped in `engine` (BORROWED for the call: ids and versions are copied): label sets
 * for its policies are added (earlier sets' stay, so counters never go back), and the policy-set
 * digest and policy count become its. Call on one thread at a time (the reload thread). */
void cds__metrics_policy_set(struct cds__metrics *m, const struct engine *engine,
                             const char *digest);
/* One reload finished: ok 1 swapped in, 0 refused; watch 1 when only --watch asked for it, 0
 * when a SIGHUP did (cds_reloads_total{result,trigger}). */
void cds__metrics_reload(struct cds__metrics *m, int ok, int watch);
/* One answered request: its path (routed like handle.c), status, and seconds from its headers to
 * its reply. NULL m: nothing. */
void cds__metrics_request(struct cds__metrics *m, const char *path, unsigned status,
                          double seconds);
/* The engine's decision-log records (result.log, BORROWED): by policy, version and decision. */
void cds__metrics_decisions(struct cds__metrics *m, const cJSON *records);
/* One recorded feedback item (feedback.c's record, BORROWED): by outcome and override reason. */
void cds__metrics_feedback(struct cds__metrics *m, const cJSON *record);
/* One refused token (enum cds__auth_reason; CDS__AUTH_OK is not counted). */
void cds__metrics_auth(struct cds__metrics *m, int reason);
struct cds__fetch_plan;
/* One request's fetch from its fhirServer is over: its items' outcomes and how long it took. */
void cds__metrics_fetch(struct cds__metrics *m, const struct cds__fetch_plan *plan, double seconds);
/* The server whose connection counts /metrics reports (BORROWED; NULL detaches). */
void cds__metrics_attach(struct cds__metrics *m, struct cds_server *server);
/* The service is shutting down: /readyz answers 503 from now on. */
void cds__metrics_draining(struct cds__metrics *m);
/* 1 when ready to take traffic (policies loaded, not shutting down, decision log writable;
 * later: the store writable); else 0 with `why` (a short sentence). */
int cds__ready(struct cds_app *app, char *why, size_t size);
/* GET /metrics (Prometheus text format 0.0.4) and GET /readyz (200 or 503, JSON): 1 when `path`
 * (`len` bytes, trailing slash removed) is one of them and *out (or *preflight) is the answer;
 * 0 otherwise. Unauthenticated like /healthz. */
int cds__ops_route(struct cds_app *app, const char *method, const char *path, size_t len,
                   struct cds_reply *out, int *preflight);

/* ---- trust: JWT (jwt.c) ------------------------------------------------------------------- */

/* JWS algorithms (RFC 7518 §3.1) as mask bits; none and HS* have no bit: never accepted. */
#define CDS__ALG_ES256 1u
#define CDS__ALG_ES384 2u
#define CDS__ALG_RS256 4u
#define CDS__ALG_RS384 8u
#define CDS__ALG_PS384 16u

/* A public key from a JWK Set. */
struct cds__jwk {
	char *kid;      /* NEW in a cds__jwks; NULL in copies handed out */
	unsigned algs;  /* CDS__ALG_* it may verify (curve / kty, narrowed by the JWK's alg) */
	EVP_PKEY *pkey; /* owned reference */
};

/* A parsed compact JWS. NEW members; the string views are BORROWED from header/payload. */
struct cds__jwt {
	cJSON *header, *payload;
	unsigned char *signature;
	size_t signature_length;
	char *signing_input; /* base64url(header) "." base64url(payload) */
	size_t signing_input_length;
	unsigned alg; /* CDS__ALG_* bit, 0 when not one we implement */
	const char *alg_name, *typ, *kid, *jku;
	int has_crit;
	const char *iss, *jti;
	const cJSON *aud;
	double exp, iat, nbf; /* finite numbers (NumericDate, RFC 7519 §2) when has_* */
	int has_exp, has_iat, has_nbf;
};

/* The mask bit of a JWS alg name ("ES384"), or 0 (none, HS*, unknown). */
unsigned cds__jwt_alg(const char *name);
const char *cds__jwt_alg_name(unsigned alg); /* static string or NULL */
/* RFC 4648 §5 base64url without padding, canonical. NEW: *out (free()). FHIR_OK/FHIR_ERR_SYNTAX. */
int cds__base64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_length);
/* Splits and decodes a compact JWS (RFC 7515 §7.1) of at most CDS__JWT_MAX_BYTES: three
 * base64url parts, header and payload JSON objects in which no object, at any depth, has a
 * member name twice (RFC 7515 §4, RFC 7519 §4: reject), and an nbf, when present, a number.
 * Claims are extracted but not checked otherwise.
 * NEW: *out members (cds__jwt_clear). FHIR_OK or FHIR_ERR_SYNTAX (malformed). */
int cds__jwt_parse(const char *token, size_t length, struct cds__jwt *out, struct fhir_error *err);
void cds__jwt_clear(struct cds__jwt *jwt); /* accepts zeroed */
/* Verifies the signature with `key` (BORROWED) for jwt->alg: ES256/ES384 (raw r||s -> DER),
 * RS256/RS384 (PKCS#1 v1.5), PS384 (PSS, salt = hash length). FHIR_OK or FHIR_ERR_INVALID. */
int cds__jwt_verify(const struct cds__jwt *jwt, const struct cds__jwk *key, struct fhir_error *err);

/* ---- trust: JWK Sets and the key store (jwks.c) ------------------------------------------- */

struct cds__jwks {
	struct cds__jwk *keys; /* usable signing keys (EC P-256/P-384, RSA >= 2048 bits) */
	size_t count;
};
/* Parses a JWK Set (RFC 7517 §5). Keys that are not for signing, symmetric or of another kty are
 * skipped; a malformed EC/RSA key is an error naming it. NEW: *out (cds__jwks_free). */
int cds__jwks_parse(const char *text, size_t length, struct cds__jwks **out,
                    struct fhir_error *err);
void cds__jwks_free(struct cds__jwks *set); /* accepts NULL */

struct cds__keystore;
struct cds__issuer;
/* Creates the store for cfg's issuers, reading JWKS files now (an error names the file).
 * URL sources are fetched later (cds__keystore_fetch_all, or on first use). NEW: *out. */
int cds__keystore_new(const struct cds_config *cfg, struct cds__keystore **out,
                      struct fhir_error *err);
void cds__keystore_free(struct cds__keystore *ks); /* accepts NULL */
/* Fetches every URL-configured JWKS once (at start); failures are warned about on `log` (may be
 * NULL) and retried when a token needs them. Returns how many failed. */
size_t cds__keystore_fetch_all(struct cds__keystore *ks, FILE *log);
/* JWK Set fetches from URLs since start: *ok succeeded, *failed did not. Thread-safe. */
void cds__keystore_refreshes(struct cds__keystore *ks, unsigned long *ok, unsigned long *failed);
/* Counts URL fetches into counts ([0] ok, [1] failed; BORROWED, must outlive ks) instead of its
 * own: the host's, so that the totals carry on across reloads. Call before ks is shared. */
void cds__keystore_count_into(struct cds__keystore *ks, atomic_ulong counts[2]);
/* The issuer configured as `iss`, or NULL. BORROWED. */
struct cds__issuer *cds__keystore_issuer(struct cds__keystore *ks, const char *iss);
/* The key `kid` of issuer `is` for a token with header jku (NULL: none): FHIR_OK and *out (its
 * pkey holds a reference: EVP_PKEY_free), FHIR_ERR_INVALID when jku is not allow-listed, or
 * FHIR_ERR_NOT_FOUND. An unknown kid, or a URL source past its TTL, refreshes the issuer's URL
 * sources at most once per jwksRefreshSeconds, outside every lock. Thread-safe. */
int cds__keystore_key(struct cds__keystore *ks, struct cds__issuer *is, const char *jku,
                      const char *kid, struct cds__jwk *out, struct fhir_error *err);

/* ---- trust: the per-request decision (auth.c) --------------------------------------------- */

/* Why a token was refused: the reason classes of the 401 body and the log. */
enum cds__auth_reason {
	CDS__AUTH_OK = 0,
	CDS__AUTH_MISSING,
	CDS__AUTH_MALFORMED,
	CDS__AUTH_ALGORITHM,
	CDS__AUTH_UNKNOWN_ISSUER,
	CDS__AUTH_JKU,
	CDS__AUTH_UNKNOWN_KEY,
	CDS__AUTH_BAD_SIGNATURE,
	CDS__AUTH_WRONG_AUDIENCE,
	CDS__AUTH_EXPIRED,
	CDS__AUTH_NOT_YET_VALID,
	CDS__AUTH_LIFETIME,
	CDS__AUTH_REPLAY,
	CDS__AUTH_BUSY, /* the replay cache is full of live tokens, or its file cannot be written:
	                   503 */
};

/* ---- trust: the jti replay cache (replay.c) ------------------------------------------------ */

/* `serve`'s replay cache file when none is configured: relative to the working directory. */
#define CDS__REPLAY_CACHE_DEFAULT "cds-replay-cache.log"

struct cds__replay;
/* Opens the cache of at most max_entries live tokens. path NULL: memory only; else the file is
 * created (0600) or read (entries expired at `now` dropped, a torn last line ignored), rewritten
 * by write-then-rename, and kept locked (flock) until cds__replay_free. NEW: *out. FHIR_OK, or
 * FHIR_ERR_IO with err naming the file (unreadable, in use by another process, not a replay
 * cache, or "FILE:LINE" of a malformed record). */
int cds__replay_open(const char *path, size_t max_entries, time_t now, struct cds__replay **out,
                     struct fhir_error *err);
void cds__replay_free(struct cds__replay *replay); /* accepts NULL */
/* CDS Hooks 2.0 §JWT payload jti: remembers (iss, jti) until `expires` (Unix seconds). Returns
 * CDS__AUTH_OK (and, with a file, only once the record is written and fdatasync'ed),
 * CDS__AUTH_REPLAY when seen before and not expired at `now`, or CDS__AUTH_BUSY when the table is
 * full of live tokens or the file cannot be written (fail closed). Thread-safe. */
enum cds__auth_reason cds__replay_remember(struct cds__replay *replay, const char *iss,
                                           const char *jti, time_t expires, time_t now);
size_t cds__replay_count(struct cds__replay *replay); /* entries held, live or not yet purged */

/* What auth found, for the access log: sanitised iss, kid, jti ("" when unknown). */
struct cds__auth_result {
	enum cds__auth_reason reason;
	char iss[128], kid[80], jti[80];
};
struct cds__auth;
/* NEW: *out (cds__auth_free); cfg BORROWED for its lifetime. The jti replay cache is the host's,
 * shared by every generation: `replay` (a file or memory) or `store` (a PostgreSQL store's
 * replay table, shared by replicas), both BORROWED; both NULL: cfg's replay cache file is opened
 * for this auth alone. Errors: a JWKS file, the replay cache file. */
struct cds__store;
int cds__auth_new(const struct cds_config *cfg, struct cds__replay *replay,
                  struct cds__store *store, struct cds__auth **out, struct fhir_error *err);
void cds__auth_free(struct cds__auth *auth);                      /* accepts NULL */
struct cds__keystore *cds__auth_keystore(struct cds__auth *auth); /* BORROWED */
/* Checks `authorization` (the header value, may be NULL) for a call to `url` (the exact URL:
 * public URL + path), also accepting `alt_url` (may be NULL) as aud. CDS Hooks 2.0 §Trusting
 * CDS Clients. The jti is claimed (remembered) before it returns CDS__AUTH_OK, except when
 * `claim` is given and the auth claims in commits (cds__auth_claim_in_commit): then it is only
 * checked, and *claim (pending 1) is what the caller must claim (record.c, cds__auth_claim)
 * before it answers; otherwise claim->pending is 0. Never logs or keeps the token.
 * Thread-safe. */
enum cds__auth_reason cds__auth_check(struct cds__auth *auth, const char *authorization,
                                      const char *url, const char *alt_url,
                                      struct cds__claim *claim, struct cds__auth_result *res);
/* From now on cds__auth_check with a claim only checks the jti (the replay cache is the store the
 * calls commit to: app.c, when the two URLs are the same). Before the auth is shared. */
void cds__auth_claim_in_commit(struct cds__auth *auth);
/* Claims claim's jti now (a call that commits nothing): CDS__AUTH_OK, CDS__AUTH_REPLAY (claimed
 * first by a concurrent use) or CDS__AUTH_BUSY (the store cannot be written). Sets
 * claim->pending to 0. Thread-safe. */
enum cds__auth_reason cds__auth_claim(struct cds__auth *auth, struct cds__claim *claim);
const char *cds__auth_reason_name(enum cds__auth_reason reason); /* static */

/* ---- trust: CORS (cors.c) ------------------------------------------------------------------ */

/* Adds the CORS headers to `out` for a request from `origin` (may be NULL); `preflight` 1 for
 * OPTIONS. CDS Hooks 2.0 §CORS. */
void cds__cors_headers(const struct cds_config *cfg, const char *origin, int preflight,
                       struct cds_reply *out);

#endif
