/* cds_internal.h — declarations shared by the files of cds-hooks/ (prefix cds__), never used
 * outside this folder. It defines the cds_app state, the service table, and the helpers that
 * build replies, validate request envelopes, load configuration files and write the decision
 * log. It must not include microhttpd.h (only server.c does). */
#ifndef CDS_INTERNAL_H
#define CDS_INTERNAL_H

#include <pthread.h>
#include <stdio.h>

#include <cjson/cJSON.h>

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

struct cds_app {
	struct engine *engine; /* NEW at cds_app_new, immutable afterwards */
	char *discovery;       /* NEW: the discovery document, built once (discovery.c) */
	size_t discovery_length;
	FILE *decision_log;                     /* NULL: no decision log */
	int decision_log_owned;                 /* 1: fclose at cds_app_free */
	pthread_mutex_t log_mutex;              /* serialises decision-log lines */
	pthread_mutex_t feedback_mutex;         /* guards the feedback ring below */
	char *feedback[CDS_MAX_FEEDBACK_ITEMS]; /* ring of NEW JSON records, oldest overwritten */
	size_t feedback_next;                   /* next slot to write */
	size_t feedback_total;                  /* feedback items recorded since start */
	struct fhir_client *fhir;               /* NEW: the client for requests' fhirServer */
};

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

/* ---- replies (reply.c) --------------------------------------------------------------------- */

/* Removes, recursively, every member or array item that is null, "", [] or {} (CDS Hooks 2.0
 * §Response: "SHALL NOT be null or empty"), except a top-level "cards" member of `root`
 * when keep_cards is 1 (the one allowed `"cards": []`). Empty containers left behind by the
 * removal are removed too. `root` itself is never removed. */
void cds__prune(cJSON *root, int keep_cards);
/* Fills out with `status` and `body` serialised unformatted after cds__prune(body, keep_cards).
 * TAKES body (deleted). */
void cds__reply_json(struct cds_reply *out, unsigned status, cJSON *body, int keep_cards);
/* Fills out with a copy of the JSON text `json` (`length` bytes). */
void cds__reply_text(struct cds_reply *out, unsigned status, const char *json, size_t length);
/* Fills out with an OperationOutcome error body (cds.h): `code` a FHIR issue-type code
 * ("invalid", "not-found", ...), `pointer` a JSON pointer into the request or NULL/"". */
void cds__reply_error(struct cds_reply *out, unsigned status, const char *code, const char *pointer,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Aborts the process when p is NULL (architecture.md rule 5: out of memory aborts). */
void *cds__must(void *p);

/* ---- requests (request.c) ------------------------------------------------------------------ */

/* 1 when the Content-Type is application/json, parameters (";charset=utf-8") allowed. */
int cds__content_type_is_json(const char *content_type);
/* Parses a request body under the named limits: nesting deeper than CDS_MAX_JSON_DEPTH, or an
 * array with more than CDS_MAX_ARRAY_ITEMS items -> FHIR_ERR_LIMIT; not JSON (RFC 8259: also
 * invalid UTF-8 or a raw control character in a string), or text after the value ->
 * FHIR_ERR_SYNTAX. err->where holds a JSON pointer when known. NEW: *out (cJSON_Delete). */
int cds__parse_body(const char *body, size_t length, cJSON **out, struct fhir_error *err);
/* Checks the CDS Hooks 2.0 §HTTP Request envelope: hook (== service->hook), hookInstance,
 * context, fhirServer, fhirAuthorization (inv. cds-r-1), prefetch. Unknown members are ignored.
 * Returns FHIR_OK or FHIR_ERR_INVALID with err (message, JSON pointer). */
int cds__validate_envelope(const cJSON *request, const struct cds__service *service,
                           struct fhir_error *err);
/* Copies `text` into buf (size bytes) for logging: characters outside [A-Za-z0-9._:-] become
 * '?', truncated. NULL gives "". */
void cds__sanitize(const char *text, char *buf, size_t size);

/* ---- discovery (discovery.c) --------------------------------------------------------------- */

/* Builds the discovery document for the loaded engine. CDS Hooks 2.0 §Discovery.
 * NEW: *out (free()). */
void cds__discovery_build(const struct engine *engine, char **out, size_t *length);

/* ---- fetching missing data from the client's FHIR server (fetch.c) ------------------------ */

/* What cds__fetch obtained for engine_assess_with. */
struct cds__fetched {
	cJSON *data;    /* NEW or NULL: {"<prefetch key>": resource, Bundle or null, ...} */
	size_t fetched; /* keys fetched successfully */
	char note[512]; /* why keys could not be fetched ("conditions: HTTP 401 ..."), for the 412
	                   message; "" when nothing failed. Never holds the access token. */
};
/* CDS Hooks 2.0 §Prefetch: fetches from the request's fhirServer (with the fhirAuthorization
 * bearer token, within the app's fetch budget) the keys the triggered policies need that the
 * prefetch lacks (absent, OperationOutcome, unusable; `null` is never fetched) and the further
 * pages of paged prefetch Bundles. fhirServer must pass fhir_client_base_allowed (https unless
 * loopback or demo mode). A paged Bundle whose pages cannot be fetched is marked unavailable.
 * Never fails: what cannot be fetched stays unavailable and is explained in out->note. A request
 * the engine cannot read is left for engine_assess_with to answer 400. Clear with
 * cds__fetched_clear. */
void cds__fetch(struct cds_app *app, const cJSON *request, struct cds__fetched *out);
void cds__fetched_clear(struct cds__fetched *fetched); /* accepts NULL */
/* 1 when no client authentication (JWT issuer) is configured: open demo mode, where fhirServer
 * may be plain http to any host. */
int cds__demo_mode(const struct cds_app *app);

/* ---- feedback (feedback.c) ----------------------------------------------------------------- */

/* Validates a feedback body ({"feedback": [...]}) for `service`, records every item in the ring
 * and the decision log, and fills out (200 {"recorded": N}, or 400 naming the first problem:
 * nothing is recorded then). CDS Hooks 2.0 §Feedback */
void cds__feedback_handle(struct cds_app *app, const struct cds__service *service,
                          const cJSON *body, struct cds_reply *out);
/* Feedback items recorded since start. Thread-safe. */
size_t cds__feedback_total(struct cds_app *app);

/* ---- decision log (log.c) ------------------------------------------------------------------ */

/* Writes `record` as one JSON line to the decision log (if any); thread-safe. BORROWED record. */
void cds__log_record(struct cds_app *app, const cJSON *record);
/* The current UTC instant as RFC 3339 with milliseconds ("2026-11-23T08:53:10.123Z"). */
void cds__timestamp(char *buf, size_t size);

#endif
