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
 * engine_path_env fills the host members of *env so that they evaluate against e's vocabulary,
 * annotating into `arena` (BORROWED: must outlive the evaluations). */
int engine_path_compile(const char *text, struct fhir_path **out, struct fhir_error *err);
void engine_path_env(const struct engine *e, struct fhir_arena *arena, struct fhir_path_env *env);

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
	cJSON *response;   /* ASSESSED: NEW CDS Hooks response {"cards": [...], "systemActions"?:
	                      [...]};   DATA_UNAVAILABLE: NULL */
	char missing[512]; /* DATA_UNAVAILABLE: what is missing, e.g. "prefetch 'conditions'
	                      (Condition?patient=…)"; else "" */
	cJSON *log;        /* NEW: array of decision-log records, one per assessed order and policy;
	                      never holds an access token */
	size_t assessed;   /* how many (order, policy) pairs were assessed */
};

/* Assesses a CDS Hooks order-select or order-sign request that cds-hooks/ has validated at the
 * envelope level (hook, hookInstance, context present). `now` is the evaluation instant (today()
 * and now() in facts). On FHIR_OK, *out is filled (free with engine_result_clear). Returns
 * FHIR_ERR_INVALID (400) with err naming the JSON pointer for bad context contents: a missing or
 * malformed draftOrders Bundle, selections that are not strings or name no draft order. */
int engine_assess(const struct engine *engine, const cJSON *request,
                  const struct fhir_datetime *now, struct engine_result *out,
                  struct fhir_error *err);
void engine_result_clear(struct engine_result *result);

/* What the caller obtained from the client's FHIR server for keys the request's prefetch lacked
 * (CDS Hooks 2.0 §Prefetch). `fetched`: an object keyed like `prefetch` ("conditions": Bundle,
 * ...; may be NULL); its keys take the place of the request's, so results are identical whichever
 * way the data came. `unavailable`: keys (bits in engine_prefetch_keys() order) whose data is
 * known to be incomplete (e.g. a paged Bundle whose further pages could not be fetched): they
 * count as unavailable whatever the request holds. All BORROWED for the call. */
struct engine_supplied {
	const cJSON *fetched;
	unsigned unavailable;
};

/* engine_assess with data the caller fetched (`supplied` may be NULL: none). */
int engine_assess_with(const struct engine *engine, const cJSON *request,
                       const struct engine_supplied *supplied, const struct fhir_datetime *now,
                       struct engine_result *out, struct fhir_error *err);

/* What data a request needs, as bits in engine_prefetch_keys() order (bit i = key i): the keys
 * the triggered policies require (`required`; unavailable -> ENGINE_DATA_UNAVAILABLE) and the
 * further keys their criteria need or any of their expressions read (`optional`; unavailable ->
 * criteria unknown, or a let without data), and which of each the request's prefetch lacks (absent,
 * an OperationOutcome, or not a resource; `null` counts as present). Nothing triggered -> all zero.
 * Errors as engine_assess (bad context -> FHIR_ERR_INVALID). CDS Hooks 2.0 §Prefetch: the service
 * fetches what is missing, or answers 412. */
struct engine_needs {
	unsigned required, optional;
	unsigned missing_required, missing_optional;
};
int engine_needs(const struct engine *engine, const cJSON *request, struct engine_needs *out,
                 struct fhir_error *err);

#endif
