/* engine.h — the public API of engine/: loads commissioning policies, value sets and the
 * deployment configuration (policies/README.md), compiles them once, and assesses the orders of
 * a CDS Hooks request into cards, system actions and decision-log records
 * (../shared/design/policies.md).
 * The engine does no I/O after loading and is immutable once loaded: request threads share it. */
#ifndef CDS_ENGINE_H
#define CDS_ENGINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "fhir.h"

/* One configuration file: `name` is its path relative to the policies folder
 * ("hny-142-usgi.policy.json", "valuesets/msk-imaging.json", "deployment.json"), `text` its
 * bytes (`length` of them, NUL-terminated). BORROWED by engine_load for the call only. */
struct engine_file {
	const char *name;
	const char *text;
	size_t length;
};

/* The embedded default configuration: every *.json and *.csv below policies/
 * (cmake/embed.cmake). */
extern const struct engine_file engine_embedded_files[];
extern const size_t engine_embedded_file_count;

/* Receives each load error: the file, a JSON pointer into it, and what is wrong. */
struct engine_reporter {
	void (*report)(void *ctx, const char *file, const char *pointer, const char *message);
	void *ctx;
};

struct engine;

/* Loads and compiles `count` files: `*.policy.json` are policies, files below `valuesets/` are
 * FHIR ValueSets, `deployment.json` is the deployment configuration (exactly one), and the
 * `*.csv` it names as `practices` is its GP practice list (others are ignored). Every error
 * found is reported (not just the first). NEW: *out, free with engine_free.
 * Returns FHIR_OK, or FHIR_ERR_INVALID when any error was reported (then *out is NULL). */
int engine_load(const struct engine_file *files, size_t count, const struct engine_reporter *rep,
                struct engine **out);
void engine_free(struct engine *engine); /* accepts NULL */

/* How many policies are loaded, and the i-th one's id, version and commissioner (BORROWED, valid
 * while the engine lives). */
size_t engine_policy_count(const struct engine *engine);
void engine_policy_info(const struct engine *engine, size_t i, const char **id,
                        const char **version, const char **commissioner);

/* The deployment's name ("demo", ...), BORROWED. */
const char *engine_deployment_name(const struct engine *engine);
/* The whole deployment.json object (policies/README.md), BORROWED, valid while the engine lives:
 * for members the service layer reads itself (e.g. mirrorSystemActionsInExtension). */
const cJSON *engine_deployment(const struct engine *engine);

/* FHIRPath as policies write it: with the engine's clinical-text functions mentions(), sites(),
 * siteLabel() and sameSite() (policies/vocabulary/README.md). engine_path_compile is
 * fhir_path_compile with those functions known (errors as there; NEW: *out, fhir_path_free).
 * engine_path_env fills the host members of *env so that they evaluate against e's vocabulary
 * (e may be NULL), annotating into an arena of their own: NEW, release with
 * engine_path_env_free (which accepts an env engine_path_env did not fill). */
int engine_path_compile(const char *text, struct fhir_path **out, struct fhir_error *err);
void engine_path_env(const struct engine *e, struct fhir_path_env *env);
void engine_path_env_free(struct fhir_path_env *env);

/* A prefetch key the policies can use, with its CDS Hooks 2.0 template (2.0 tokens only). */
struct engine_prefetch_key {
	const char *key;      /* "conditions" */
	const char *template; /* "Condition?patient={{context.patientId}}" */
	const char *resource_type;
};
/* The fixed table of prefetch keys, in discovery order; *count receives its length. */
const struct engine_prefetch_key *engine_prefetch_keys(size_t *count);

/* What an assessment came to. The engine knows no HTTP: cds-hooks/ maps ENGINE_ASSESSED to 200 and
 * ENGINE_DATA_UNAVAILABLE to 412 (CDS Hooks 2.0 §Prefetch). */
enum engine_result_kind {
	ENGINE_ASSESSED,         /* the triggered policies were assessed: `response` holds cards */
	ENGINE_DATA_UNAVAILABLE, /* data a triggered policy requires is unavailable: `missing` */
};

/* The outcome of one assessment. */
struct engine_result {
	enum engine_result_kind kind;
	cJSON *response;   /* ASSESSED: NEW CDS Hooks response {"cards", "systemActions"?};
	                      DATA_UNAVAILABLE: NULL */
	char missing[512]; /* DATA_UNAVAILABLE: what is missing, e.g. "prefetch 'conditions'
	                      (Condition?patient=…)"; else "" */
	cJSON *log;        /* NEW: array of decision-log records, one per assessed order and policy;
	                      never holds an access token */
	size_t assessed;   /* how many (order, policy) pairs were assessed */
	struct fhir_json_pool pool; /* holds response and log (fhir.h): valid until
	                               engine_result_clear; copy out what must outlive it */
};

/* ---- one request: new -> needs -> (the caller fetches) -> supply -> assess -> free ---------- */

/* What data a request needs, as bits in engine_prefetch_keys() order (bit i = key i): the keys
 * the triggered policies require (`required`; unavailable -> ENGINE_DATA_UNAVAILABLE) and the
 * further keys their criteria need or any of their expressions read (`optional`; unavailable ->
 * criteria unknown, or a let without data), and which of each the request's prefetch lacks
 * (absent, an OperationOutcome, or not a resource; `null` counts as present). Nothing triggered
 * -> all zero. CDS Hooks 2.0 §Prefetch: the service fetches what is missing, or answers 412. */
struct engine_needs {
	unsigned required, optional;
	unsigned missing_required, missing_optional;
};

/* One CDS Hooks order-select or order-sign request being assessed: the request read and indexed
 * once (hook, context, draftOrders, selections, the orders' triggered policies, what they need),
 * with its own arena (fhir_arena_take) until freed. Not thread-safe; it may move between threads
 * (e.g. while its data is fetched) but is used by one at a time. */
struct engine_request;

/* Reads `request`, which cds-hooks/ has validated at the envelope level (hook, hookInstance,
 * context present). `now` is the evaluation instant (today() and now() in facts; NULL: none, so
 * every policy counts as in force). `engine` and `request` are BORROWED until
 * engine_request_free. NEW: *out (engine_request_free). Returns FHIR_OK, or FHIR_ERR_INVALID (the
 * protocol's 400) with err naming the JSON pointer for bad context contents: a missing or
 * malformed draftOrders Bundle, selections that are not strings or name no draft order; then
 * *out is NULL. */
int engine_request_new(const struct engine *engine, const cJSON *request,
                       const struct fhir_datetime *now, struct engine_request **out,
                       struct fhir_error *err);
/* What the request needs and its prefetch lacks (computed by engine_request_new). */
void engine_request_needs(const struct engine_request *req, struct engine_needs *out);
/* Supplies prefetch key `key` (an index into engine_prefetch_keys()) with what the caller obtained
 * from the client's FHIR server: `value` (TAKES: a resource, a searchset Bundle, or JSON null for
 * "no data") takes the place of the request's prefetch for that key, so results are identical
 * whichever way the data came; NULL marks the key unavailable (its data is known incomplete, e.g. a
 * paged Bundle whose further pages could not be fetched), whatever the prefetch holds. The last
 * call for a key counts. Returns FHIR_OK, or FHIR_ERR_INVALID for a key out of range or after
 * engine_request_assess (value is freed then). */
int engine_request_supply(struct engine_request *req, size_t key, cJSON *value);
/* Assesses the request's orders into *out (free with engine_result_clear): cards, system actions
 * (order-sign) and decision-log records, or ENGINE_DATA_UNAVAILABLE naming what is missing.
 * Once per request: returns FHIR_OK, or FHIR_ERR_INVALID when called again (*out zeroed). */
int engine_request_assess(struct engine_request *req, struct engine_result *out);
void engine_request_free(struct engine_request *req); /* accepts NULL */

/* The one-call forms: new -> assess -> free, and new (no instant) -> needs -> free. Errors as
 * engine_request_new. */
int engine_assess(const struct engine *engine, const cJSON *request,
                  const struct fhir_datetime *now, struct engine_result *out,
                  struct fhir_error *err);
int engine_needs(const struct engine *engine, const cJSON *request, struct engine_needs *out,
                 struct fhir_error *err);
void engine_result_clear(struct engine_result *result);

/* A loaded FHIR R4 Questionnaire (policies/questionnaires/, policies/README.md
 * "questionnaires") by its id, or by its canonical url (with or without "|version"); NULL when
 * there is none. BORROWED, valid while the engine lives; holds no patient data. */
const cJSON *engine_questionnaire(const struct engine *engine, const char *id_or_url);

#endif
