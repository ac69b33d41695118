/* engine_internal.h — the compiled form of policies and the helpers shared by the engine files.
 * Loading (load.c, policy.c) fills these structures once; assessment (assess.c, card.c,
 * record.c) only reads them. Nothing here is visible outside engine/. */
#ifndef CDS_ENGINE_INTERNAL_H
#define CDS_ENGINE_INTERNAL_H

#include <regex.h>
#include <stdint.h>

#include "engine.h"

/* Prefetch keys as bits (the order of engine_prefetch_keys()). */
enum engine_key {
	ENGINE_KEY_PATIENT,
	ENGINE_KEY_CONDITIONS,
	ENGINE_KEY_PROCEDURES,
	ENGINE_KEY_OBSERVATIONS,
	ENGINE_KEY_MEDICATIONS,
	ENGINE_KEY_ENCOUNTER,
	ENGINE_KEY_COUNT
};

/* The built-in variables of every policy expression (policies/README.md "Variables"), in the
 * order an evaluation's environment lists them (assess.c); the policy's lets follow, then its
 * criterion ids. policy.c binds each expression's %names to these positions at load
 * (fhir_path_bind_variables). Static strings. */
#define ENGINE_BUILTIN_VAR_COUNT (2 + ENGINE_KEY_COUNT + 6)
extern const char *const engine__builtin_vars[ENGINE_BUILTIN_VAR_COUNT];

/* Criterion states (policies.md "criterion state"). */
enum engine_state { ENGINE_MET, ENGINE_NOT_MET, ENGINE_UNKNOWN };

/* Decisions, most urgent first (policies.md "What every card carries"). */
enum engine_decision {
	ENGINE_CONTRAINDICATED,
	ENGINE_REDIRECT,
	ENGINE_NOT_COMMISSIONED,
	ENGINE_PRIOR_APPROVAL_REQUIRED,
	ENGINE_CRITERIA_UNKNOWN,
	ENGINE_COMMISSIONED,
	ENGINE_NOT_APPLICABLE,
	ENGINE_DECISION_COUNT
};

/* Card indicators, least urgent first (CDS Hooks 2.0 §Card). */
enum engine_indicator { ENGINE_INFO, ENGINE_WARNING, ENGINE_CRITICAL };

#define ENGINE_MAX_RECOMMENDATIONS 8

/* Sets of a policy's lets (bit i: lets[i]; ENGINE_SET_WORDS(let_count) words, owned; NULL: none)
 * that an expression names, worked out at load (policy.c) so that assess.c evaluates a let only
 * when something about to be evaluated or written names it (a criterion that does not apply
 * reads none of its lets). */
struct engine_let {
	char *name;
	struct fhir_path *expr;
	/* the lets to have before evaluating this one: those it names and, when it has filters
	 * answered in a group (fhir_path_where_plan_add), every earlier let that any grouped
	 * let names (a group's first filter may evaluate the others' predicates) */
	uint64_t *needs;
};

struct engine_criterion {
	char *id, *label, *clause;
	unsigned needs; /* bits of enum engine_key */
	struct fhir_path *applies, *met, *met_text, *unknown, *not_met; /* NULL when absent */
	uint64_t *applies_lets, *lets; /* named by `applies`; by met, metText, unknown, notMet */
	enum engine_state otherwise;
	char *not_met_label; /* card wording of "not met" ("Not recorded"), or NULL: "Not met" */
};

struct engine_outcome {
	char *id;
	struct fhir_path *applies, *when;
	uint64_t *applies_lets, *when_lets; /* the lets each names */
	int is;                             /* Kleene value that makes it hold: 1, 0 or -1 */
	enum engine_decision decision;
	int recommendations[ENGINE_MAX_RECOMMENDATIONS]; /* indexes into engine__recommendations */
	size_t recommendation_count;
	enum engine_indicator indicator;
	char *summary, *detail; /* templates */
	cJSON *suggestions;     /* template array or NULL, owned */
	cJSON *links;           /* array or NULL, owned */
	int quiet, stop;
	/* Card text that replaces the policy's (policies/README.md "The card every outcome
	 * makes"): evidence (NULL: the policy's), no_evidence (`"evidence": false`),
	 * override_reasons (owned array, NULL: the policy's; no_override_reasons: none),
	 * no_policy_links (`"policyLinks": false`: only the outcome's own links). */
	char *evidence;
	cJSON *override_reasons;
	int no_evidence, no_override_reasons, no_policy_links;
};

/* An `applies` guard on a card template item (a link or a suggestion): the item is shown only
 * when the FHIRPath (lets and criteria in scope) is true. `item` is BORROWED from the policy's
 * own cJSON copies (links, outcome links, suggestions), matched by address. */
struct engine_guard {
	const cJSON *item;
	struct fhir_path *applies;
};

struct engine_policy {
	char *file;
	char *id, *title, *version, *commissioner_id, *commissioner_name, *source_label, *url;
	char *evidence;
	cJSON *links, *ifr, *override_reasons; /* owned or NULL */
	/* `questionnaires` {"ifr" | "prior-approval": Questionnaire url} (owned or NULL), resolved
	 * at load into indexes of e->questionnaires (-1: none) by engine__questionnaires_link */
	cJSON *questionnaires;
	long questionnaire_for[2]; /* [ENGINE_ROUTE_IFR], [ENGINE_ROUTE_PRIOR_APPROVAL] */
	/* trigger.all / trigger.none (policies/README.md "trigger"): concept-id groups "a|b" as
	 * written (owned), resolved by load.c into concept indexes (owned arrays). An order's text
	 * triggers the policy when it mentions a concept of every `all` group and none of `none`.
	 */
	char **trigger_all_text;
	size_t trigger_all_count;
	char *trigger_none_text;
	int **trigger_all; /* trigger_all_count lists, each ended by -1 */
	int *trigger_none; /* ended by -1, or NULL */
	unsigned requires; /* bits of enum engine_key */
	unsigned reads;    /* bits of enum engine_key any expression names (%encounter in a let) */
	struct engine_let *lets;
	size_t let_count;
	/* the lets' filters of one record variable answered in one pass per request (owned), or
	 * NULL when no two lets filter the same variable */
	struct fhir_path_where_plan *where_plan;
	struct engine_criterion *criteria;
	size_t criterion_count;
	struct engine_outcome *outcomes;
	size_t outcome_count;
	int active;               /* its commissioner is served by the deployment */
	char **trigger_valuesets; /* urls, checked after all files are read */
	size_t trigger_valueset_count;
	struct engine_guard *guards; /* owned; `applies` of links and suggestions */
	size_t guard_count;
	/* the lets a card may read: {{%let}} in any outcome's summary, detail or suggestions,
	 * and those the guards name (a drafted questionnaire may read any: assess.c) */
	uint64_t *card_lets;
	/* effectiveFrom / reviewDate (FHIR dates YYYY-MM-DD, "" when absent; schema.c). A policy
	 * is not triggered before effectiveFrom; past reviewDate it still applies (a review date
	 * passed is not a withdrawal) and the date is recorded with every decision. */
	char effective_from[16], review_date[16];
	struct fhir_datetime effective, review;
	int has_effective_from, has_review_date;
};

/* A list of indexes (policies, trigger groups): `count` items, room for `cap`. Owned items. */
struct engine_list {
	size_t *items;
	size_t count, cap;
};
/* Appends item (out of memory aborts). */
void engine__list_add(struct engine_list *l, size_t item);

/* Sets of policies (bitset.c): bit i is e->policies[i]; a set is e->set_words 64-bit words
 * (ENGINE_SET_WORDS(policy_count)), sized when the configuration is loaded. */
#define ENGINE_SET_WORDS(n) (((n) + 63) / 64)
/* A zeroed set of `words` words: in `arena` (freed with it), or with calloc when arena is NULL
 * (NEW: free()). Out of memory aborts. */
uint64_t *engine__set_new(struct fhir_arena *arena, size_t words);
static inline void engine__set_add(uint64_t *s, size_t i)
{
	s[i / 64] |= (uint64_t)1 << (i % 64);
}
static inline void engine__set_remove(uint64_t *s, size_t i)
{
	s[i / 64] &= ~((uint64_t)1 << (i % 64));
}
static inline int engine__set_has(const uint64_t *s, size_t i) /* 1 or 0 */
{
	return (int)((s[i / 64] >> (i % 64)) & 1u);
}
/* Makes s hold exactly 0 .. n-1. */
void engine__set_fill(uint64_t *s, size_t words, size_t n);
void engine__set_or(uint64_t *dst, const uint64_t *src, size_t words);      /* dst |= src */
void engine__set_and(uint64_t *dst, const uint64_t *src, size_t words);     /* dst &= src */
void engine__set_and_not(uint64_t *dst, const uint64_t *src, size_t words); /* dst &= ~src */
int engine__set_empty(const uint64_t *s, size_t words);
size_t engine__set_count(const uint64_t *s, size_t words);
/* The least member >= from, or words * 64 when there is none: iterate with
 * for (i = next(s, w, 0); i < n; i = next(s, w, i + 1)). */
size_t engine__set_next(const uint64_t *s, size_t words, size_t from);

/* The compiled triggers of every policy (trigger.c), owned by struct engine. */
struct engine_triggers;
/* record.c: the patient record as the policies read it (policies.md "Evidence rules").
 * engine__record_tidy drops from c (resources of one prefetch key, in arena) the requests that
 * say "do not do this" (doNotPerform) and every copy of a resource (same resourceType and id)
 * but its latest version (Meta.lastUpdated, else Meta.versionId, else the first sent).
 * engine__record_supporting lists in *out (arena) what the draft orders in `orders` contain and
 * name in supportingInfo ('#id'), in order, requests not to act left out: read once per request.
 * engine__record_add_supporting appends to c the resources of that list of `type` (or `also`),
 * each once; BORROWED nodes. */
void engine__record_tidy(struct fhir_collection *c, struct fhir_arena *arena);
void engine__record_supporting(struct fhir_collection *out, struct fhir_arena *arena,
                               const struct fhir_collection *orders);
void engine__record_add_supporting(struct fhir_collection *c, struct fhir_arena *arena,
                                   const struct fhir_collection *supporting, const char *type,
                                   const char *also);

struct engine__text;
/* Builds e->triggers from the loaded, linked policies (their resolved trigger concepts, known
 * systems and `active`). Out of memory aborts. */
void engine__triggers_compile(struct engine *e);
void engine__triggers_free(struct engine_triggers *t); /* accepts NULL */
/* The policies an order triggers (policies/README.md "trigger"), in *policies: by a code in one
 * of their ValueSets, or by the order's text when none of its codes is in a system the policy
 * knows; *on_text: those recognised by text, and *text_out the order's name then (BORROWED),
 * else NULL. policies and on_text are caller sets of e->set_words words; scratch in arena. */
void engine__triggered(const struct engine *e, struct engine__text *text, struct fhir_arena *arena,
                       const cJSON *order, uint64_t *policies, uint64_t *on_text,
                       const char **text_out);

/* The request routes a Questionnaire drafts (policies/README.md "questionnaires"). */
enum engine_route { ENGINE_ROUTE_IFR, ENGINE_ROUTE_PRIOR_APPROVAL, ENGINE_ROUTE_COUNT };

/* An item's compiled SDC initialExpression (FHIRPath), keyed by the item's node. */
struct engine__qexpr {
	const cJSON *item; /* BORROWED from the Questionnaire's json */
	struct fhir_path *expr;
};

/* A loaded FHIR R4 Questionnaire (a JSON file below policies/questionnaires/), checked at load
 * (questionnaire.c). */
struct engine_questionnaire {
	char *file;                     /* owned */
	cJSON *json;                    /* owned: the resource as served */
	const char *id, *url, *version; /* BORROWED from json; version may be NULL */
	struct engine__qexpr *exprs;    /* owned */
	size_t expr_count;
};

struct engine {
	struct engine_policy *policies;
	size_t policy_count, policy_cap;
	size_t set_words;       /* words of a policy set: ENGINE_SET_WORDS(policy_count) */
	uint64_t *all_policies; /* every loaded policy (owned) */
	struct fhir_valueset_index *valuesets;
	/* ValueSet number -> the (active) policies it triggers: policy indexes, owned */
	struct engine_list *valueset_triggers;
	size_t valueset_trigger_count;
	struct engine_triggers *triggers; /* owned */
	cJSON *deployment;                /* owned */
	const char *deployment_name;
	int show_quiet;
	struct engine_vocab *vocab; /* owned; NULL when no vocabulary file was loaded */
	/* the policies' literal mentions() lists, parsed at load (text_host.c; owned; NULL without
	 * a vocabulary) */
	struct engine__mention_lists *mention_lists;
	/* The responsible commissioner (commissioner.c): deployment.json `practices` CSV, sorted by
	 * ODS code; `defaultCommissioner` (BORROWED from deployment, or NULL); 1 when
	 * `whenCommissionerUnknown` is "info-card" (else "all-served"). */
	struct engine_practice *practices;
	size_t practice_count;
	const char *default_commissioner;
	int unknown_info_card;
	/* served commissioner i (deployment `commissioners`, BORROWED ids) -> its policies (owned
	 * sets), and the empty set */
	const char **served_ids;
	uint64_t **served_policies;
	size_t served_count;
	uint64_t *no_policies;
	struct engine_questionnaire *questionnaires; /* owned (questionnaire.c) */
	size_t questionnaire_count;
};

/* questionnaire.c: a file below questionnaires/ (json TAKEN); checks the R4 Questionnaire
 * structure (resourceType, id, url, status, unique linkIds, R4 item types, required/repeats,
 * group and display rules, answerOption only on choice items, each item's source extension,
 * prefill extensions, SDC initialExpression compiled as FHIRPath). Returns the errors reported
 * (file and JSON pointer). */
int engine__questionnaire_load(struct engine *e, cJSON *json, const char *file,
                               const struct engine_reporter *rep);
/* Resolves every policy's `questionnaires` (keys ifr / prior-approval, urls of loaded
 * Questionnaires) and checks the criterion ids their prefill extensions name exist in that
 * policy. Returns the errors reported. */
int engine__questionnaires_link(struct engine *e, const struct engine_reporter *rep);
void engine__questionnaires_free(struct engine *e);
/* The Questionnaire item's compiled initialExpression, or NULL. */
const struct fhir_path *engine__questionnaire_expr(const struct engine_questionnaire *q,
                                                   const cJSON *item);

/* The clinical vocabulary (policies/vocabulary/, engine/text_*.c), owned by struct engine. */
struct engine_vocab;

/* One row of the deployment's practice list (policies/README.md "deployment.json"). */
struct engine_practice {
	char *ods;                /* ODS organisation code, upper case; owned */
	const char *commissioner; /* a served commissioner id, BORROWED from the deployment */
	char *name;               /* owned */
	size_t line;              /* its line in the CSV */
};

/* NHS England "Who Pays?": the patient's responsible commissioner for one request. */
enum engine__who_how { ENGINE_WHO_PRACTICE, ENGINE_WHO_DEFAULT, ENGINE_WHO_NOT_DETERMINED };
struct engine__responsible {
	enum engine__who_how how;
	const char *commissioner;   /* served id, BORROWED from the engine; NULL: not determined */
	const char *ods, *practice; /* the practice's ODS code and name (PRACTICE only), BORROWED */
	char determined_by[48];     /* "practice ODS code B82005", "deployment default",
	                               "not determined" */
	char why[160];              /* why the practice gave no commissioner, or "" */
	const uint64_t *policies;   /* the policies that may be assessed (a set, BORROWED from
	                               the engine) */
	int info_card;              /* not determined and the deployment wants an info card */
	int patient_available;      /* the `patient` prefetch (or fetched) key was available */
};

/* Reads deployment.json `practices` (a CSV among files, name relative to the policies folder),
 * `defaultCommissioner` and `whenCommissionerUnknown` into e (after the deployment is loaded).
 * Reports each error (CSV errors name the file and line); returns how many. */
int engine__commissioner_load(struct engine *e, const struct engine_file *files, size_t count,
                              const struct engine_reporter *rep);
void engine__commissioner_free(struct engine *e);
/* The responsible commissioner of a request from its `patient` data (`patient`: the key's value
 * as the engine reads it, fetched or prefetched; NULL when unavailable; `context` the request's):
 * Patient.generalPractitioner -> Organization ODS code (logical identifier, a contained or
 * Bundle Organization, or a PractitionerRole's organization) -> practice list; else the
 * default; else not determined. Never fails. All BORROWED. */
void engine__commissioner_find(const struct engine *e, const cJSON *context, const cJSON *patient,
                               struct engine__responsible *out);
/* For engine_needs: the policies that may be assessed (a set BORROWED from the engine; all
 * when the patient is not in the request's prefetch: it may yet be fetched), and `patient` added
 * to *optional when the deployment has a practice list. */
const uint64_t *engine__commissioner_needs(const struct engine *e, const cJSON *request,
                                           unsigned *optional);
/* {"commissioner"?, "determinedBy", "practice"?, "why"?}: NEW. */
cJSON *engine__commissioner_json(const struct engine__responsible *who);
/* whenCommissionerUnknown "info-card": appends to cards the info card for one order
 * (`triggered`: the policies it triggered, none assessed) and to log its record. */
void engine__commissioner_notice(const struct engine *e, const struct engine__responsible *who,
                                 const cJSON *order, const char *order_ref,
                                 const uint64_t *triggered, cJSON *cards, cJSON *log);

/* The fixed identifier tables (policies.md "machine-readable decision"). */
extern const char *const engine__decision_codes[ENGINE_DECISION_COUNT];
extern const char *const engine__indicator_codes[3];
struct engine__recommendation {
	const char *code, *display;
};
extern const struct engine__recommendation engine__recommendations[];
extern const size_t engine__recommendation_count;
extern const char *const engine__state_codes[3];

/* Looks up a code in a table of n strings: its index, or -1. */
int engine__find_code(const char *const *table, size_t n, const char *code);
int engine__find_recommendation(const char *code);

/* Compiles one policy file's JSON into *policy (zeroed by the caller), reporting every error
 * through rep as file + JSON pointer. Its expressions come from `paths` (path_pool.h: shared
 * with the other policies that write the same text), or are compiled when it is NULL. Returns
 * the number of errors reported. */
struct engine__path_pool;
int engine__policy_compile(const cJSON *json, const char *file, const struct engine_reporter *rep,
                           struct engine__path_pool *paths, struct engine_policy *policy);
void engine__policy_free(struct engine_policy *policy);

/* schema.c — load-time checks; each reports through rep (file + JSON pointer) and returns the
 * number of errors reported. */
/* Unknown keys at every level of a policy file (actions' FHIR resources are not checked) and
 * summary templates of 140 code points or more (CDS Hooks 2.0 §Card). */
int engine__schema_check_policy(const cJSON *json, const char *file,
                                const struct engine_reporter *rep);
/* Unknown top-level keys of deployment.json (`server` is checked by cds-hooks/config.c). */
int engine__schema_check_deployment(const cJSON *json, const char *file,
                                    const struct engine_reporter *rep);
/* Every SNOMED CT id in a file: `code` (and ValueSet `concept[].code`) of objects whose
 * `system` is http://snomed.info/sct, and `snomed.code` (vocabulary/body-sites.json). */
int engine__schema_check_snomed(const cJSON *json, const char *file,
                                const struct engine_reporter *rep);
/* Reads the policy's effectiveFrom, reviewDate (FHIR dates, day precision) and dateSource into
 * p (policies/README.md "Dates"). */
int engine__policy_dates(const cJSON *json, const char *file, const struct engine_reporter *rep,
                         struct engine_policy *p);
/* 1 when the policy is in force on now's calendar date (on or after effectiveFrom, or no
 * effectiveFrom), else 0. NULL now: 1. */
int engine__policy_in_force(const struct engine_policy *p, const struct fhir_datetime *now);
/* 1 when digits (a NUL-terminated string of ASCII digits) passes the Verhoeff check (its last
 * digit is the check digit); 0 otherwise, also for "" and non-digits. */
int engine__verhoeff_valid(const char *digits);
/* 1 for a well-formed SNOMED CT id: 6-18 digits, no leading zero, Verhoeff check digit. */
int engine__snomed_id_valid(const char *id);
/* UTF-8 code points in text (continuation bytes not counted). */
size_t engine__utf8_length(const char *text);

/* Calls fn for each {{…}} placeholder name in text (e.g. "%site", "order"). */
void engine__each_placeholder(const char *text, void (*fn)(void *ctx, const char *name, size_t len),
                              void *ctx);

/* A CodeableConcept's text, else its first coding's display, else NULL (BORROWED from cc):
 * what the clinician calls an order or a finding. */
const char *engine__concept_text(const cJSON *cc);
/* 1 when the NUL-terminated s ends with suffix (e.g. a file name with ".json"), else 0. */
int engine__ends_with(const char *s, const char *suffix);

/* A malloc'd copy of s (NULL in, NULL out); out of memory aborts. NEW: free(). */
char *engine__strdup(const char *s);

/* Room for one more item in an arena array: when count == *cap, a copy with twice the room (at
 * least `first`) is allocated in `arena` and returned (the old one is left to the arena);
 * otherwise items itself. Items are `size` bytes. */
void *engine__arena_room(struct fhir_arena *arena, void *items, size_t count, size_t *cap,
                         size_t first, size_t size);

/* Writes a random RFC 4122 version 4 UUID ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") into out. */
void engine__uuid(char out[37]);

/* Truncates a UTF-8 string in place to fewer than `limit` code points, ending in "…" when cut
 * (CDS Hooks 2.0 §Card: summary < 140 characters). */
void engine__truncate_utf8(char *text, size_t limit);
/* CDS Hooks 2.0 §Card: a card's summary is "<140 characters" (code points). */
#define ENGINE_SUMMARY_LIMIT 140

/* The result of one criterion for one order. */
struct engine__criterion_result {
	const struct engine_criterion *criterion;
	int assessed; /* 0 when `applies` was false: not listed */
	enum engine_state state;
	struct fhir_collection evidence; /* NODE resources behind the state */
	int on_text;                     /* met through metText */
	const char **phrases;            /* the text behind the evidence ("Condition/c1: ‘?CES’
	                                    (…, uncertain)"), arena; phrase_count of them */
	size_t phrase_count;
	const char *note;  /* e.g. "procedures were not available", or NULL */
	const char **refs; /* "Type/id" of the evidence resources, each once, in evidence order
	                      (arena; engine__evidence_refs), ref_count of them */
	size_t ref_count;
};

/* One policy assessed against one order: what card.c and record.c turn into JSON. */
struct engine__assessment {
	const struct engine *engine;
	const struct engine_policy *policy;
	const cJSON *order;
	const char *order_ref;                     /* "ServiceRequest/id" */
	int triggered_on_text;                     /* the order was recognised from its text */
	const char *order_text;                    /* the text that matched, when on text */
	struct engine__criterion_result *criteria; /* policy->criterion_count */
	int *holds;                                /* policy->outcome_count flags */
	int chosen;                                /* the outcome that makes the card, or -1 */
	const struct fhir_path_var *vars;          /* lets etc. for {{%name}} */
	size_t var_count;
	char assessment_id[37];
	/* The evaluation environment of the outcomes (lets and criteria in scope), kept so that
	 * card.c can evaluate the `applies` guards of links and suggestions. */
	struct fhir_path_env env;
	const struct engine__responsible *responsible; /* who pays; NULL when not looked up */
	struct fhir_arena *arena;
};

/* Fills each assessed criterion's refs (card.c) once, before the card, the decision-log record
 * and the decision extension read them: each evidence reference is formatted once. */
void engine__evidence_refs(struct engine__assessment *a);

/* Builds the card for an assessment (policies/README.md "The card every outcome makes").
 * NEW cJSON object, or NULL when the chosen outcome is quiet and quiet cards are off. */
cJSON *engine__card(const struct engine__assessment *a);

/* questionnaire_draft.c: the "Draft the IFR request" / "Draft the prior-approval request"
 * suggestion for a card whose own (chosen) outcome recommends `ifr` or `prior-approval` and
 * whose policy names a Questionnaire for it (recs, nrecs: the card's list, for callers; unused):
 * one `create` action of a QuestionnaireResponse pre-filled from the assessment. NEW suggestion, or
 * NULL when there is none. *remaining_md receives the card-detail Markdown listing what is still to
 * complete (in the arena), or NULL. */
cJSON *engine__draft_suggestion(const struct engine__assessment *a, const int *recs, size_t nrecs,
                                const char **remaining_md);

/* The decision-log record for an assessment: policy, policyVersion, commissioner, order,
 * decision, recommendations, outcomes, criteria with states and evidence. NEW. */
cJSON *engine__log_record(const struct engine__assessment *a, const char *card_uuid);

/* The decision extension recorded on the ServiceRequest on order-sign. NEW. */
cJSON *engine__decision_extension(const struct engine__assessment *a);

/* The recommendations of every holding outcome, chosen outcome first, without repeats: fills
 * out (indexes into engine__recommendations) and returns how many. */
size_t engine__recommendations_of(const struct engine__assessment *a, int *out, size_t max);

/* The URL of the decision extension on ServiceRequest (order-sign system actions). */
#define ENGINE_DECISION_EXTENSION_URL                                                              \
	"urn:cds-commissioning:StructureDefinition:commissioning-decision"
#define ENGINE_RECOMMENDATION_SYSTEM "urn:cds-commissioning:recommendation"

#endif
