/* assess.c — engine_assess: from a validated CDS Hooks order-select / order-sign request to
 * cards, system actions and decision-log records (../shared/design/policies.md "How a policy is
 * evaluated"). Per order: trigger (trigger.c: by code index, or text for text-only orders),
 * then lets, criteria in Kleene logic, outcomes, and at most one card per policy.
 * Reads only the request and the compiled engine; all scratch memory is one arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "release.h"
#include "strmap.h"
#include "text_internal.h"

/* Built-in variables of every expression (policies/README.md "Variables"). */
enum builtin {
	VAR_ORDER,
	VAR_DRAFT_ORDERS,
	VAR_DATA, /* ENGINE_KEY_COUNT entries: patient ... encounter */
	VAR_USER_ID = VAR_DATA + ENGINE_KEY_COUNT,
	VAR_PATIENT_ID,
	VAR_ENCOUNTER_ID,
	VAR_DEPLOYMENT,
	VAR_SCT,
	VAR_LOINC,
	VAR_BUILTIN_COUNT
};

const char *const engine__builtin_vars[ENGINE_BUILTIN_VAR_COUNT] = {
    [VAR_ORDER] = "order",
    [VAR_DRAFT_ORDERS] = "draftOrders",
    [VAR_DATA + ENGINE_KEY_PATIENT] = "patient",
    [VAR_DATA + ENGINE_KEY_CONDITIONS] = "conditions",
    [VAR_DATA + ENGINE_KEY_PROCEDURES] = "procedures",
    [VAR_DATA + ENGINE_KEY_OBSERVATIONS] = "observations",
    [VAR_DATA + ENGINE_KEY_MEDICATIONS] = "medications",
    [VAR_DATA + ENGINE_KEY_ENCOUNTER] = "encounter",
    [VAR_USER_ID] = "userId",
    [VAR_PATIENT_ID] = "patientId",
    [VAR_ENCOUNTER_ID] = "encounterId",
    [VAR_DEPLOYMENT] = "deployment",
    [VAR_SCT] = "sct",
    [VAR_LOINC] = "loinc",
};
_Static_assert(VAR_BUILTIN_COUNT == ENGINE_BUILTIN_VAR_COUNT, "one layout of built-ins");

/* Everything about one request that every (order, policy) pair shares. */
struct request_data {
	const struct engine *engine;
	struct fhir_arena *arena;
	int sign; /* order-sign: assess every draft order */
	struct fhir_collection draft_orders;
	struct fhir_collection data[ENGINE_KEY_COUNT];
	unsigned available;                /* bits of enum engine_key */
	size_t outcomes[ENGINE_KEY_COUNT]; /* OperationOutcome entries skipped in each Bundle */
	size_t skipped[ENGINE_KEY_COUNT];  /* entries that were not resources */
	struct fhir_path_var builtins[VAR_BUILTIN_COUNT];
	struct fhir_collection everything; /* draft orders + prefetched resources, for resolve() */
	struct fhir_collection prefetched; /* every resource of every prefetch key, any type */
	struct fhir_datetime now;
	struct engine__text *text;     /* clinical text read once per element (text_host.c) */
	struct fhir_path_memo *memo;   /* content hashes of resources, kept for the request */
	struct engine__strmap *by_ref; /* id -> index in everything, built on first use */
};

static const struct fhir_collection empty_collection;

static struct fhir_collection string_collection(struct fhir_arena *arena, const char *s)
{
	struct fhir_collection c = {0};
	struct fhir_value v = {0};

	if (s == NULL)
		return c;
	v.kind = FHIR_VALUE_STRING;
	v.u.string = s;
	fhir_collection_push(&c, arena, &v);
	return c;
}

static int member_of(const void *ctx, const char *url, const char *system, const char *code)
{
	const struct engine *e = ctx;

	return fhir_valueset_contains(e->valuesets, url, system, code);
}

/* The contained resource with this id in any resource of the request, or NULL (contained ids
 * are local to their container; the first found is taken). */
static const cJSON *contained(const struct fhir_collection *all, const char *id)
{
	for (size_t i = 0; i < all->count; i++) {
		const cJSON *r = fhir_find_contained(all->items[i].node, id);

		if (r != NULL)
			return r;
	}
	return NULL;
}

/* The resource of `everything` whose "Type/id" is reference (the first such; a version-specific
 * reference names its resource, FHIR R4 §References), or NULL. rd->by_ref, filled by the first
 * call, maps each id (borrowed from the parsed request, no copy) to the first resource that has
 * it; when that one is of another type (the same id in two types, rare) the collection is
 * searched in order, so the answer is always fhir_find_reference's. */
static const cJSON *find_ref(const struct request_data *rd, const char *reference)
{
	struct engine__strmap *m = rd->by_ref;
	const struct fhir_value *v;
	const char *slash;
	size_t i, n;

	if (m == NULL || reference == NULL)
		return fhir_find_reference(&rd->everything, reference);
	if (m->cap == 0) {
		engine__strmap_init(m, rd->arena, rd->everything.count);
		for (i = rd->everything.count; i-- > 0;) { /* last first: the first one stays */
			const char *id = rd->everything.items[i].kind == FHIR_VALUE_NODE
			                     ? fhir_get_string(rd->everything.items[i].node, "id")
			                     : NULL;

			if (id != NULL)
				engine__strmap_put(m, id, strlen(id), i);
		}
	}
	n = fhir_reference_length(reference);
	slash = memchr(reference, '/', n);
	if (slash == NULL || slash == reference)
		return NULL; /* not "Type/id": nothing here has that reference */
	i = engine__strmap_get(m, slash + 1, n - (size_t)(slash + 1 - reference));
	if (i == ENGINE_STRMAP_NONE)
		return NULL;
	v = &rd->everything.items[i];
	if (v->type != NULL && strlen(v->type) == (size_t)(slash - reference) &&
	    memcmp(v->type, reference, (size_t)(slash - reference)) == 0)
		return v->node;
	return fhir_find_reference(&rd->everything, reference);
}

/* resolve() within the request (FHIRPath/FHIR R4 §resolve): "Type/id", or a URL ending so. */
static const cJSON *resolve(const void *ctx, const char *reference)
{
	const struct request_data *rd = ctx;
	const cJSON *found = find_ref(rd, reference);
	const char *slash;

	if (found != NULL || reference == NULL)
		return found;
	if (reference[0] == '#') /* FHIR R4 §References: a contained resource */
		return contained(&rd->everything, reference + 1);
	/* an absolute URL: try its last two segments */
	slash = strrchr(reference, '/');
	while (slash != NULL && slash > reference) {
		const char *prev = slash - 1;

		while (prev > reference && *prev != '/')
			prev--;
		if (*prev == '/')
			return find_ref(rd, prev + 1);
		break;
	}
	return NULL;
}

static void env_init(const struct request_data *rd, struct fhir_path_env *env,
                     const struct fhir_path_var *vars, size_t count)
{
	memset(env, 0, sizeof(*env));
	env->vars = vars;
	env->var_count = count;
	env->now = rd->now;
	env->member_of = member_of;
	env->member_of_ctx = rd->engine;
	env->resolve = resolve;
	env->resolve_ctx = rd;
	env->host_call = engine__host_call;
	env->host_ctx = rd->text;
	env->arena = rd->arena;
	env->memo = rd->memo;
}

/* Keeps only the resources of `type` (a Bundle may carry _include'd others). Each item's type
 * is its resourceType, as fhir_collection_push_node named it (not the member read again from a
 * record that may no longer be in cache). */
static void filter_type(struct fhir_collection *c, const char *type, const char *also)
{
	size_t i, n = 0;

	for (i = 0; i < c->count; i++) {
		const char *t = c->items[i].type;

		if (t != NULL && (strcmp(t, type) == 0 || (also != NULL && strcmp(t, also) == 0)))
			c->items[n++] = c->items[i];
	}
	c->count = n;
}

/* What the caller supplied for keys the prefetch lacked (engine_request_supply): `fetched` is an
 * object keyed like `prefetch` whose keys take the place of the request's; keys in `unavailable`
 * (bits of enum engine_key) are incomplete and count as unavailable whatever the request holds. */
struct supplied {
	const cJSON *fetched;
	unsigned unavailable;
};

/* The value of prefetch key k as the engine reads it: supplied, else the request's prefetch; NULL
 * when the caller found it incomplete. */
static const cJSON *key_value(const cJSON *prefetch, const struct supplied *supplied, size_t k)
{
	size_t nkeys;
	const char *key = engine_prefetch_keys(&nkeys)[k].key;
	const cJSON *value;

	if (supplied == NULL)
		return fhir_get(prefetch, key);
	if (supplied->unavailable & (1u << k))
		return NULL; /* incomplete: neither the prefetch nor a part of it is used */
	value = fhir_get(supplied->fetched, key);
	return value != NULL ? value : fhir_get(prefetch, key);
}

/* CDS Hooks 2.0 §Prefetch: classify each key; null = available and empty. A key in the
 * supplied data (what the caller obtained from the FHIR server) takes the place of the
 * prefetched one; a key the caller found incomplete is unavailable. */
static void read_prefetch(struct request_data *rd, const cJSON *prefetch,
                          const struct supplied *supplied)
{
	size_t nkeys, k, outcomes;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	struct fhir_collection supporting = {0}; /* the orders' own, read once for every key */

	engine__record_supporting(&supporting, rd->arena, &rd->draft_orders);
	for (k = 0; k < nkeys; k++) {
		const cJSON *value = key_value(prefetch, supplied, k);

		switch (fhir_prefetch_classify(value)) {
		case FHIR_PREFETCH_NULL:
			rd->available |= 1u << k;
			break;
		case FHIR_PREFETCH_RESOURCE:
		case FHIR_PREFETCH_BUNDLE:
			/* a Bundle whose search failed (an error OperationOutcome entry) is
			 * read, but is not the whole record: criteria it leaves open are
			 * unknown, not "not met" */
			outcomes = rd->outcomes[k];
			fhir_bundle_resources(value, rd->arena, &rd->data[k], &rd->outcomes[k],
			                      &rd->skipped[k]);
			/* only a Bundle with an OperationOutcome entry can have failed: the
			 * entries are not walked again for the others */
			if (rd->outcomes[k] == outcomes || !fhir_bundle_failed(value))
				rd->available |= 1u << k;
			/* resolve() sees everything the client sent (a patient Bundle's
			 * Organization, an _include'd PractitionerRole); %variables only their
			 * own resource type */
			fhir_collection_reserve(&rd->prefetched, rd->arena, rd->data[k].count);
			for (size_t i = 0; i < rd->data[k].count; i++)
				fhir_collection_push(&rd->prefetched, rd->arena,
				                     &rd->data[k].items[i]);
			filter_type(&rd->data[k], keys[k].resource_type,
			            k == ENGINE_KEY_MEDICATIONS ? "MedicationStatement" : NULL);
			engine__record_tidy(&rd->data[k], rd->arena);
			break;
		case FHIR_PREFETCH_ABSENT:
		case FHIR_PREFETCH_OPERATION_OUTCOME:
		case FHIR_PREFETCH_INVALID:
			break;
		}
		/* what an order carries as its own supporting information is the record too */
		if (k != ENGINE_KEY_PATIENT && k != ENGINE_KEY_ENCOUNTER)
			engine__record_add_supporting(
			    &rd->data[k], rd->arena, &supporting, keys[k].resource_type,
			    k == ENGINE_KEY_MEDICATIONS ? "MedicationStatement" : NULL);
	}
}

static void set_builtins(struct request_data *rd, const cJSON *context)
{
	struct fhir_path_var *b = rd->builtins;
	size_t k, i;

	rd->memo = fhir_path_memo_new(); /* freed by engine_request_free */
	rd->by_ref = fhir_arena_alloc(rd->arena, sizeof(*rd->by_ref)); /* empty: find_ref */
	for (k = 0; k < VAR_BUILTIN_COUNT; k++)
		b[k].name = engine__builtin_vars[k];
	b[VAR_DRAFT_ORDERS].value = rd->draft_orders;
	for (k = 0; k < ENGINE_KEY_COUNT; k++)
		b[VAR_DATA + k].value = rd->data[k];
	b[VAR_USER_ID].value = string_collection(rd->arena, fhir_get_string(context, "userId"));
	b[VAR_PATIENT_ID].value =
	    string_collection(rd->arena, fhir_get_string(context, "patientId"));
	b[VAR_ENCOUNTER_ID].value =
	    string_collection(rd->arena, fhir_get_string(context, "encounterId"));
	b[VAR_DEPLOYMENT].value = empty_collection;
	fhir_collection_push_node(&b[VAR_DEPLOYMENT].value, rd->arena, rd->engine->deployment);
	b[VAR_SCT].value = string_collection(rd->arena, "http://snomed.info/sct");
	b[VAR_LOINC].value = string_collection(rd->arena, "http://loinc.org");
	fhir_collection_reserve(&rd->everything, rd->arena,
	                        rd->draft_orders.count + rd->prefetched.count);
	for (i = 0; i < rd->draft_orders.count; i++)
		fhir_collection_push(&rd->everything, rd->arena, &rd->draft_orders.items[i]);
	for (i = 0; i < rd->prefetched.count; i++)
		fhir_collection_push(&rd->everything, rd->arena, &rd->prefetched.items[i]);
}

/* ---- triggering ------------------------------------------------------------------------- */

/* Removes from `policies` those not yet in force on now's date (effectiveFrom after it): a
 * policy not in force is not triggered. Without an instant (engine_needs: now zeroed) every
 * policy is kept. */
static void drop_not_in_force(const struct request_data *rd, uint64_t *policies)
{
	const struct engine *e = rd->engine;

	for (size_t k = engine__set_next(policies, e->set_words, 0); k < e->policy_count;
	     k = engine__set_next(policies, e->set_words, k + 1))
		if (!engine__policy_in_force(&e->policies[k], &rd->now))
			engine__set_remove(policies, k);
}

/* ---- criteria and outcomes -------------------------------------------------------------- */

/* Evaluates path on the order being assessed: its input is %order's collection (vars[VAR_ORDER],
 * pushed once per policy), which the evaluator only borrows, as it borrows any %variable. */
static int eval_env(const struct request_data *rd, const struct fhir_path *path,
                    const struct fhir_path_var *vars, size_t count, int and_or_skip,
                    struct fhir_path_where_state *where, struct fhir_collection *out,
                    const char **error)
{
	struct fhir_path_env env;
	struct fhir_error err;

	memset(out, 0, sizeof(*out));
	env_init(rd, &env, vars, count);
	env.and_or_skip = and_or_skip;
	env.where_state = where;
	if (fhir_path_eval(path, &vars[VAR_ORDER].value, &env, out, &err) != FHIR_OK) {
		memset(out, 0, sizeof(*out));
		if (error != NULL)
			*error = fhir_arena_printf(rd->arena, "could not be evaluated (%s)",
			                           err.message);
		return -1;
	}
	return 0;
}

static int eval(const struct request_data *rd, const struct fhir_path *path,
                const struct fhir_path_var *vars, size_t count, struct fhir_collection *out,
                const char **error)
{
	return eval_env(rd, path, vars, count, 0, NULL, out, error);
}

/* Is a collection "something" for met/unknown/notMet: true, or non-empty and not false. */
static int yields(const struct fhir_collection *c)
{
	return fhir_collection_truth(c) == 1;
}

static const char *unavailable_note(const struct request_data *rd, unsigned needs)
{
	static const char head[] = "not available: ";
	size_t nkeys, k, len = sizeof(head) - 1;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	char buf[sizeof(head) + ENGINE_KEY_COUNT * 64], *note;

	/* "not available: conditions, procedures", joined without a format (once per criterion) */
	memcpy(buf, head, len);
	for (k = 0; k < nkeys; k++) {
		size_t n = strlen(keys[k].key);

		if (!(needs & (1u << k)) || (rd->available & (1u << k)))
			continue;
		if (len + n + 3 > sizeof(buf))
			break; /* cannot happen: prefetch keys are short names */
		if (len > sizeof(head) - 1) {
			memcpy(buf + len, ", ", 2);
			len += 2;
		}
		memcpy(buf + len, keys[k].key, n);
		len += n;
	}
	if (len == sizeof(head) - 1)
		return NULL;
	note = fhir_arena_alloc(rd->arena, len + 1);
	memcpy(note, buf, len);
	note[len] = '\0';
	return note;
}

/* An `unknown` expression may yield strings beside resources: the strings say why the record
 * cannot settle the criterion ("the joint or side could not be read from the order"). They
 * become the note; only the other items stay evidence. */
static void split_reason(const struct request_data *rd, struct fhir_collection *got,
                         const char **note)
{
	struct fhir_collection kept = {0};
	size_t i, strings = 0;

	for (i = 0; i < got->count; i++) {
		if (got->items[i].kind == FHIR_VALUE_STRING) {
			if (*note == NULL)
				*note = got->items[i].u.string;
			strings++;
		}
	}
	if (strings == 0)
		return;
	/* into a new array: got's items may be a variable's (fhir_path_eval) */
	for (i = 0; i < got->count; i++)
		if (got->items[i].kind != FHIR_VALUE_STRING)
			fhir_collection_push(&kept, rd->arena, &got->items[i]);
	*got = kept;
}

/* The lets of one (order, policy) assessment, each evaluated when first needed: before an
 * expression that names it (policy.c's let sets), so that a criterion that does not apply, or
 * a branch not reached, costs none of the lets only it reads. A let is evaluated as it was
 * in file order: with lets 0..i-1 in scope (those it needs evaluated first), the policy's
 * where-state, and and/or skipping; the mentions() notes it makes are forgotten (a let's
 * notes were never read: each criterion starts afresh). */
struct lazy_lets {
	const struct request_data *rd;
	const struct engine_policy *p;
	struct fhir_path_var *vars;
	struct fhir_path_where_state *where;
	uint64_t *done; /* bit i: let i evaluated (or being: its needs come first) */
};

static void need_let(struct lazy_lets *l, size_t i);

/* Evaluates the lets of `set` (NULL: none) not evaluated yet: a word operation per 64 lets
 * when they all are. */
static void need_lets(struct lazy_lets *l, const uint64_t *set)
{
	size_t words = ENGINE_SET_WORDS(l->p->let_count);
	uint64_t bits;

	for (size_t w = 0; set != NULL && w < words; w++)
		while ((bits = set[w] & ~l->done[w]) != 0)
			need_let(l, w * 64 + (size_t)__builtin_ctzll(bits));
}

static void need_let(struct lazy_lets *l, size_t i)
{
	const struct request_data *rd = l->rd;
	size_t at = VAR_BUILTIN_COUNT + i, mark;

	if (engine__set_has(l->done, i))
		return;
	engine__set_add(l->done, i);
	need_lets(l, l->p->lets[i].needs); /* earlier lets only: no cycle */
	mark = engine__text_hits_mark(rd->text);
	/* `and`/`or` may skip an operand that cannot change the answer (fhir.h and_or_skip):
	 * the mentions() it would call note evidence, but a let's notes are never read, and with
	 * a vocabulary loaded the text functions do not fail */
	eval_env(rd, l->p->lets[i].expr, l->vars, at, rd->engine->vocab != NULL, l->where,
	         &l->vars[at].value, NULL);
	engine__text_hits_back(rd->text, mark);
}

/* policies/README.md "criteria": met, then unavailable data (unless notMet settles it),
 * unknown, notMet, otherwise. */
static void criterion_state(const struct request_data *rd, const struct engine_criterion *c,
                            struct lazy_lets *lets, size_t count,
                            struct engine__criterion_result *r)
{
	const struct fhir_path_var *vars = lets->vars;
	struct fhir_collection got;
	const char *error = NULL;
	const char *missing = unavailable_note(rd, c->needs);

	r->criterion = c;
	r->assessed = 1;
	engine__text_hits_reset(rd->text);
	if (c->applies != NULL) {
		need_lets(lets, c->applies_lets);
		eval(rd, c->applies, vars, count, &got, NULL);
		if (fhir_collection_truth(&got) != 1) {
			r->assessed = 0;
			return;
		}
	}
	need_lets(lets, c->lets);
	if (c->met != NULL && eval(rd, c->met, vars, count, &got, &error) == 0 && yields(&got)) {
		r->state = ENGINE_MET;
		r->evidence = got;
		return;
	}
	if (c->met_text != NULL && eval(rd, c->met_text, vars, count, &got, &error) == 0 &&
	    yields(&got)) {
		r->state = ENGINE_MET;
		r->evidence = got;
		r->on_text = 1;
		return;
	}
	if (missing != NULL || error != NULL) {
		/* positive evidence that it is not met settles it whatever else is missing */
		if (missing != NULL && c->not_met != NULL &&
		    eval(rd, c->not_met, vars, count, &got, NULL) == 0 && yields(&got)) {
			r->state = ENGINE_NOT_MET;
			r->evidence = got;
			return;
		}
		/* still cite what suggests it, so the card can point at it */
		r->state = ENGINE_UNKNOWN;
		r->note = missing != NULL ? missing : error;
		if (c->unknown != NULL && eval(rd, c->unknown, vars, count, &got, NULL) == 0 &&
		    yields(&got))
			r->evidence = got;
		return;
	}
	if (c->unknown != NULL && eval(rd, c->unknown, vars, count, &got, &error) == 0 &&
	    yields(&got)) {
		r->state = ENGINE_UNKNOWN;
		split_reason(rd, &got, &r->note);
		r->evidence = got;
		return;
	}
	if (c->not_met != NULL && eval(rd, c->not_met, vars, count, &got, &error) == 0 &&
	    yields(&got)) {
		r->state = ENGINE_NOT_MET;
		r->evidence = got;
		return;
	}
	r->state = error != NULL ? ENGINE_UNKNOWN : c->otherwise;
	r->note = error;
}

/* A criterion's state, and the text phrases (resource and words) behind its evidence. */
static void assess_criterion(const struct request_data *rd, const struct engine_criterion *c,
                             struct lazy_lets *lets, size_t count,
                             struct engine__criterion_result *r)
{
	criterion_state(rd, c, lets, count, r);
	if (r->assessed && r->evidence.count > 0)
		r->phrase_count = engine__text_evidence(rd->text, &r->evidence, &r->phrases);
}

/* The urgency order of cards: decision, then indicator, then file order. */
static int more_urgent(const struct engine_outcome *a, const struct engine_outcome *b)
{
	if (a->decision != b->decision)
		return a->decision < b->decision;
	return a->indicator > b->indicator;
}

/* Assesses one policy against one order into *a. Returns 1 when some outcome holds. */
static int assess_policy(const struct request_data *rd, const struct engine_policy *p,
                         const cJSON *order, const char *order_ref, struct engine__assessment *a)
{
	size_t base = VAR_BUILTIN_COUNT;
	size_t total = base + p->let_count + p->criterion_count;
	struct fhir_path_var *vars = fhir_arena_alloc(rd->arena, total * sizeof(*vars));
	/* the lets' filters of one record variable, answered in one pass (policy.c) */
	struct lazy_lets lets = {rd, p, vars, fhir_path_where_state_new(p->where_plan, rd->arena),
	                         engine__set_new(rd->arena, ENGINE_SET_WORDS(p->let_count))};
	size_t i, n;

	memcpy(vars, rd->builtins, sizeof(rd->builtins));
	fhir_collection_push_node(&vars[VAR_ORDER].value, rd->arena, order);
	n = base;
	for (i = 0; i < p->let_count; i++)
		vars[n++].name = p->lets[i].name; /* values when first needed (need_lets) */
	a->policy = p;
	a->order = order;
	a->order_ref = order_ref;
	a->criteria = fhir_arena_alloc(rd->arena, (p->criterion_count + 1) * sizeof(*a->criteria));
	a->holds = fhir_arena_alloc(rd->arena, (p->outcome_count + 1) * sizeof(*a->holds));
	a->vars = vars;
	a->var_count = n;
	a->chosen = -1;
	for (i = 0; i < p->criterion_count; i++) {
		struct engine__criterion_result *r = &a->criteria[i];

		assess_criterion(rd, &p->criteria[i], &lets, n, r);
		vars[n + i].name = p->criteria[i].id;
		if (r->assessed && r->state != ENGINE_UNKNOWN)
			fhir_collection_push_bool(&vars[n + i].value, rd->arena,
			                          r->state == ENGINE_MET);
	}
	for (i = 0; i < p->outcome_count; i++) {
		const struct engine_outcome *o = &p->outcomes[i];
		struct fhir_collection got;

		if (o->applies != NULL) {
			need_lets(&lets, o->applies_lets);
			eval(rd, o->applies, vars, total, &got, NULL);
			if (fhir_collection_truth(&got) != 1)
				continue;
		}
		need_lets(&lets, o->when_lets);
		if (eval(rd, o->when, vars, total, &got, NULL) != 0)
			continue;
		if (fhir_collection_truth(&got) != o->is)
			continue;
		a->holds[i] = 1;
		if (a->chosen < 0 || more_urgent(o, &p->outcomes[a->chosen]))
			a->chosen = (int)i;
		if (o->stop)
			break;
	}
	if (a->chosen >= 0) {
		/* what the card and its guards read; a drafted Questionnaire's expressions may
		 * read any let (questionnaire_draft.c) */
		if (p->questionnaire_for[ENGINE_ROUTE_IFR] >= 0 ||
		    p->questionnaire_for[ENGINE_ROUTE_PRIOR_APPROVAL] >= 0)
			for (i = 0; i < p->let_count; i++)
				need_let(&lets, i);
		need_lets(&lets, p->card_lets);
	}
	env_init(rd, &a->env, vars, total); /* card.c: `applies` of links and suggestions */
	return a->chosen >= 0;
}

/* ---- the request ------------------------------------------------------------------------ */

/* 1 when an order is no longer a request to act: FHIR R4 request-status `revoked` (cancelled),
 * `completed` (already done) or `entered-in-error`. draftOrders are orders being placed (CDS
 * Hooks 2.0 order-select/order-sign); an EHR that sends such an order in them is not asking for
 * the service, so no policy assesses it. `draft`, `active`, `on-hold`, `unknown` and an absent
 * status are still requests. */
static int order_withdrawn(const cJSON *order)
{
	static const char *const ended[] = {"revoked", "completed", "entered-in-error"};
	const char *status = fhir_get_string(order, "status");

	for (size_t k = 0; status != NULL && k < sizeof(ended) / sizeof(ended[0]); k++)
		if (strcmp(status, ended[k]) == 0)
			return 1;
	return 0;
}

/* The draftOrders resource a selection names. CDS Hooks 2.0 order-select sends "Type/id"; a
 * client may also name an entry as FHIR R4 resolves references in a Bundle (§3.3.1, "Resolving
 * references in Bundles"): by the entry's fullUrl (e.g. "urn:uuid:..."), or by an absolute URL on
 * the request's fhirServer, the same resource as the relative "Type/id". NULL when none. */
static const cJSON *find_selection(const struct request_data *rd, const cJSON *draft,
                                   const char *fhir_server, const char *selection)
{
	const cJSON *order = fhir_find_reference(&rd->draft_orders, selection);
	const cJSON *entry;
	size_t n = fhir_server != NULL ? strlen(fhir_server) : 0;

	if (order != NULL)
		return order;
	cJSON_ArrayForEach(entry, fhir_get(draft, "entry"))
	{
		const char *full_url = fhir_get_string(entry, "fullUrl");
		const cJSON *resource = fhir_get(entry, "resource");

		if (full_url != NULL && cJSON_IsObject(resource) &&
		    strcmp(full_url, selection) == 0)
			return resource;
	}
	while (n > 0 && fhir_server[n - 1] == '/')
		n--;
	if (n > 0 && strncmp(selection, fhir_server, n) == 0 && selection[n] == '/')
		return fhir_find_reference(&rd->draft_orders, selection + n + 1);
	return NULL;
}

/* CDS Hooks order-select: selections are "Type/id" strings naming draftOrders entries. */
static int read_orders(struct request_data *rd, const cJSON *context, const char *fhir_server,
                       const char *hook, struct fhir_collection *assess, struct fhir_error *err)
{
	const cJSON *draft = fhir_get(context, "draftOrders");
	const cJSON *selections = fhir_get(context, "selections");
	const cJSON *sel;
	int i = 0;

	if (!cJSON_IsObject(draft) || fhir_get_string(draft, "resourceType") == NULL ||
	    strcmp(fhir_get_string(draft, "resourceType"), "Bundle") != 0) {
		fhir_error_set(err, "/context/draftOrders",
		               "context.draftOrders must be a FHIR Bundle of draft orders");
		return FHIR_ERR_INVALID;
	}
	if (fhir_get(draft, "entry") != NULL && !cJSON_IsArray(fhir_get(draft, "entry"))) {
		fhir_error_set(err, "/context/draftOrders/entry", "Bundle.entry must be an array");
		return FHIR_ERR_INVALID;
	}
	fhir_bundle_resources(draft, rd->arena, &rd->draft_orders, NULL, NULL);
	if (rd->sign) {
		*assess = rd->draft_orders;
		return FHIR_OK;
	}
	if (!cJSON_IsArray(selections) || cJSON_GetArraySize(selections) == 0) {
		fhir_error_set(err, "/context/selections",
		               "%s needs context.selections, a non-empty array of \"Type/id\" "
		               "references into draftOrders",
		               hook);
		return FHIR_ERR_INVALID;
	}
	cJSON_ArrayForEach(sel, selections)
	{
		char where[64];
		const cJSON *order;

		snprintf(where, sizeof(where), "/context/selections/%d", i++);
		if (!cJSON_IsString(sel)) {
			fhir_error_set(err, where, "a selection must be a \"Type/id\" string");
			return FHIR_ERR_INVALID;
		}
		order = find_selection(rd, draft, fhir_server, sel->valuestring);
		if (order == NULL) {
			fhir_error_set(err, where,
			               "selection '%.200s' names no resource in "
			               "context.draftOrders",
			               sel->valuestring);
			return FHIR_ERR_INVALID;
		}
		fhir_collection_push_node(assess, rd->arena, order);
	}
	return FHIR_OK;
}

struct pending {
	const cJSON *order;
	const char *order_ref;
	uint64_t *policies;  /* the policies it triggers (a set, arena) */
	uint64_t *text_mask; /* those recognised by the order's text */
	const char *text;
};

/* CDS Hooks 2.0 §Prefetch: data unavailable (the protocol's 412) when required data is neither
 * prefetched nor obtainable. */
static int check_required(const struct request_data *rd, const struct pending *pending_orders,
                          size_t n, struct engine_result *out)
{
	unsigned required = 0;
	size_t i, k, nkeys, len = 0;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	const struct engine *e = rd->engine;

	for (i = 0; i < n; i++) {
		const uint64_t *set = pending_orders[i].policies;

		for (k = engine__set_next(set, e->set_words, 0); k < e->policy_count;
		     k = engine__set_next(set, e->set_words, k + 1)) {
			required |= e->policies[k].requires;
		}
	}
	required &= ~rd->available;
	if (required == 0)
		return 0;
	out->kind = ENGINE_DATA_UNAVAILABLE;
	for (k = 0; k < nkeys; k++) {
		int w;

		if (!(required & (1u << k)))
			continue;
		w = snprintf(out->missing + len, sizeof(out->missing) - len, "%sprefetch '%s' (%s)",
		             len == 0 ? "" : ", ", keys[k].key, keys[k].template);
		if (w < 0 || (size_t)w >= sizeof(out->missing) - len)
			break;
		len += (size_t)w;
	}
	return 1;
}

static cJSON *system_action(const struct engine__assessment *list, size_t n)
{
	cJSON *resource = cJSON_Duplicate(list[0].order, 1);
	cJSON *action = cJSON_CreateObject();
	cJSON *extensions = cJSON_GetObjectItemCaseSensitive(resource, "extension");
	size_t i;
	int j;

	if (!cJSON_IsArray(extensions)) {
		cJSON_DeleteItemFromObjectCaseSensitive(resource, "extension");
		extensions = cJSON_AddArrayToObject(resource, "extension");
	}
	/* re-signing replaces our earlier decisions */
	for (j = cJSON_GetArraySize(extensions) - 1; j >= 0; j--) {
		const char *url = fhir_get_string(cJSON_GetArrayItem(extensions, j), "url");

		if (url != NULL && strcmp(url, ENGINE_DECISION_EXTENSION_URL) == 0)
			cJSON_DeleteItemFromArray(extensions, j);
	}
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(extensions, engine__decision_extension(&list[i]));
	cJSON_AddStringToObject(action, "type", "update");
	cJSON_AddItemToObject(action, "description",
	                      cJSON_CreateString("Record the commissioning decision on the order"));
	cJSON_AddItemToObject(action, "resource", resource);
	return action;
}

/* CDS Hooks 2.0 §Prefetch: a Bundle may carry OperationOutcome entries (the client's partial
 * failures); they are skipped, and reported in each decision-log record. Returns record. */
static cJSON *with_prefetch_issues(const struct request_data *rd, cJSON *record)
{
	size_t nkeys, k;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	cJSON *issues = NULL;

	for (k = 0; k < nkeys; k++) {
		char text[160];

		if (rd->outcomes[k] == 0 && rd->skipped[k] == 0)
			continue;
		if (issues == NULL)
			issues = cJSON_AddArrayToObject(record, "prefetchIssues");
		snprintf(text, sizeof(text),
		         "prefetch '%s': %zu OperationOutcome entr%s and %zu non-resource entr%s "
		         "skipped",
		         keys[k].key, rd->outcomes[k], rd->outcomes[k] == 1 ? "y" : "ies",
		         rd->skipped[k], rd->skipped[k] == 1 ? "y" : "ies");
		cJSON_AddItemToArray(issues, cJSON_CreateString(text));
	}
	return record;
}

/* 1 when one of the n orders listed names ref already: selections that name one order twice
 * (plain and versioned, or an EHR re-firing on one pick), or a draftOrders Bundle holding one
 * order twice, still assess it once (policies.md "At most one card per policy and order"). */
static int pending_has(const struct pending *listed, size_t n, const char *ref)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(listed[i].order_ref, ref) == 0)
			return 1;
	return 0;
}

/* The index of the draftOrders entry holding `order` (-1 when none), and in *full_url its fullUrl
 * (NULL when it has none). */
static int draft_entry(const cJSON *draft, const cJSON *order, const char **full_url)
{
	const cJSON *entry;
	int i = 0;

	*full_url = NULL;
	cJSON_ArrayForEach(entry, fhir_get(draft, "entry"))
	{
		if (fhir_get(entry, "resource") == order) {
			*full_url = fhir_get_string(entry, "fullUrl");
			if (*full_url != NULL && (*full_url)[0] == '\0')
				*full_url = NULL;
			return i;
		}
		i++;
	}
	return -1;
}

/* Starts a request: checks the hook and context, and lists in *pending_orders the orders to assess
 * that trigger at least one policy (*n of them). */
static int collect(struct request_data *rd, const struct engine *e, const cJSON *request,
                   struct pending **pending_orders, size_t *n, struct fhir_error *err)
{
	struct fhir_collection assess = {0};
	const char *hook = fhir_get_string(request, "hook");
	size_t i;
	int rc;

	*n = 0;
	rd->engine = e;
	rd->arena = fhir_arena_take();         /* this thread's, reset after the request */
	rd->text = engine__text_new(e->vocab); /* its own arena, given back with the request */
	engine__text_set_resolver(rd->text, resolve, rd);
	engine__text_set_lists(rd->text, e->mention_lists);
	engine__text_set_now(rd->text, &rd->now);
	rd->sign = hook != NULL && strcmp(hook, "order-sign") == 0;
	if (hook == NULL || (!rd->sign && strcmp(hook, "order-select") != 0)) {
		fhir_error_set(err, "/hook", "this service assesses order-select and order-sign");
		return FHIR_ERR_INVALID;
	}
	rc = read_orders(rd, fhir_get(request, "context"), fhir_get_string(request, "fhirServer"),
	                 hook, &assess, err);
	if (rc != FHIR_OK)
		return rc;
	*pending_orders =
	    fhir_arena_alloc(rd->arena, (assess.count + 1) * sizeof(**pending_orders));
	for (i = 0; i < assess.count; i++) {
		char buf[256];
		const char *ref = fhir_resource_ref(assess.items[i].node, buf, sizeof(buf));
		const char *type = fhir_get_string(assess.items[i].node, "resourceType");
		struct pending *t = &(*pending_orders)[*n];
		int entry = -1;

		/* a draft not yet saved may have no id: FHIR R4 Bundle resolution (and the CRD
		 * Bundle profile, entry.fullUrl 1..1) name it by its entry's fullUrl */
		if (ref == NULL && type != NULL)
			entry = draft_entry(fhir_get(fhir_get(request, "context"), "draftOrders"),
			                    assess.items[i].node, &ref);
		/* FHIR R4 ServiceRequest.doNotPerform: an order that says "do not do this" is
		 * not a request for it; nor is a cancelled, completed or erroneous one */
		if (type == NULL || strcmp(type, "ServiceRequest") != 0 ||
		    cJSON_IsTrue(fhir_get(assess.items[i].node, "doNotPerform")) ||
		    order_withdrawn(assess.items[i].node) ||
		    (ref != NULL && pending_has(*pending_orders, *n, ref)))
			continue;
		t->policies = engine__set_new(rd->arena, e->set_words);
		t->text_mask = engine__set_new(rd->arena, e->set_words);
		engine__triggered(e, rd->text, rd->arena, assess.items[i].node, t->policies,
		                  t->text_mask, &t->text);
		drop_not_in_force(rd, t->policies);
		if (engine__set_empty(t->policies, e->set_words))
			continue;
		if (ref == NULL) {
			/* a policy is about it, but no card could say which order it is */
			char where[80];

			snprintf(where, sizeof(where), "/context/draftOrders/entry/%d/resource",
			         entry);
			fhir_error_set(
			    err, where,
			    "a draft ServiceRequest a commissioning policy applies to has "
			    "no id and its entry no fullUrl: cards and decisions could not "
			    "name it");
			return FHIR_ERR_INVALID;
		}
		t->order = assess.items[i].node;
		t->order_ref = fhir_arena_strdup(rd->arena, ref);
		(*n)++;
	}
	return FHIR_OK;
}

/* ---- the per-request object (engine.h) -------------------------------------------------- */

struct engine_request {
	struct request_data rd; /* its arena is the request's (fhir_arena_take) */
	const cJSON *request, *context, *prefetch; /* BORROWED */
	struct pending *pending_orders;            /* the orders that trigger a policy */
	size_t n;
	struct engine_needs needs;
	struct supplied supply; /* what read_prefetch sees: supplied values and unavailable keys */
	cJSON *fetched;         /* owned: {"<key>": value} of what engine_request_supply took */
	int assessed;
};

/* CDS Hooks 2.0 §Prefetch: the keys whose prefetch value can be read (a resource, a Bundle, or
 * null: "no data"); absent, OperationOutcome and unusable values are missing. */
static unsigned prefetch_available(const cJSON *prefetch)
{
	size_t nkeys, k;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	unsigned available = 0;

	for (k = 0; k < nkeys; k++)
		switch (fhir_prefetch_classify(fhir_get(prefetch, keys[k].key))) {
		case FHIR_PREFETCH_NULL:
		case FHIR_PREFETCH_RESOURCE:
			available |= 1u << k;
			break;
		case FHIR_PREFETCH_BUNDLE: /* a failed search is missing, as read_prefetch reads it
		                            */
			if (!fhir_bundle_failed(fhir_get(prefetch, keys[k].key)))
				available |= 1u << k;
			break;
		default:
			break;
		}
	return available;
}

/* The data the triggered policies need (engine_needs in engine.h), from the orders once read. */
static void find_needs(struct engine_request *req)
{
	const struct engine *e = req->rd.engine;
	struct engine_needs *out = &req->needs;
	const uint64_t *who = e->all_policies;
	unsigned available;
	size_t i, k, c;

	memset(out, 0, sizeof(*out));
	if (req->n == 0)
		return;
	/* NHS England "Who Pays?" (commissioner.c) */
	who = engine__commissioner_needs(e, req->request, &out->optional);
	for (i = 0; i < req->n; i++) {
		const uint64_t *set = req->pending_orders[i].policies;

		for (k = engine__set_next(set, e->set_words, 0); k < e->policy_count;
		     k = engine__set_next(set, e->set_words, k + 1)) {
			const struct engine_policy *p = &e->policies[k];

			if (!engine__set_has(who, k))
				continue;
			out->required |= p->requires;
			out->optional |= p->reads; /* e.g. %encounter read by a let */
			for (c = 0; c < p->criterion_count; c++)
				out->optional |= p->criteria[c].needs;
		}
	}
	out->optional &= ~out->required;
	available = prefetch_available(req->prefetch);
	out->missing_required = out->required & ~available;
	out->missing_optional = out->optional & ~available;
}

int engine_request_new(const struct engine *e, const cJSON *request,
                       const struct fhir_datetime *now, struct engine_request **out,
                       struct fhir_error *err)
{
	struct engine_request *req = calloc(1, sizeof(*req));
	int rc;

	*out = NULL;
	if (req == NULL)
		abort(); /* architecture.md rule 5 */
	req->request = request;
	req->context = fhir_get(request, "context");
	req->prefetch = fhir_get(request, "prefetch");
	if (now != NULL)
		req->rd.now = *now;
	rc = collect(&req->rd, e, request, &req->pending_orders, &req->n, err);
	if (rc != FHIR_OK) {
		engine_request_free(req);
		return rc;
	}
	find_needs(req);
	*out = req;
	return FHIR_OK;
}

void engine_request_needs(const struct engine_request *req, struct engine_needs *out)
{
	*out = req->needs;
}

int engine_request_supply(struct engine_request *req, size_t key, cJSON *value)
{
	size_t nkeys;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);

	if (key >= nkeys || req->assessed) {
		cJSON_Delete(value);
		return FHIR_ERR_INVALID;
	}
	if (req->fetched == NULL)
		req->fetched = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(req->fetched, keys[key].key);
	if (value == NULL) {
		req->supply.unavailable |= 1u << key;
		return FHIR_OK;
	}
	req->supply.unavailable &= ~(1u << key);
	cJSON_AddItemToObject(req->fetched, keys[key].key, value);
	req->supply.fetched = req->fetched;
	return FHIR_OK;
}

/* engine_request_assess's work, its cJSON nodes from out->pool (entered by the caller). */
static int assess(struct engine_request *req, struct engine_result *out)
{
	struct request_data *rd = &req->rd;
	const struct engine *e = rd->engine;
	struct pending *pending_orders = req->pending_orders;
	struct engine__responsible who;
	size_t i, k, n = req->n;
	cJSON *cards, *actions = NULL;

	if (req->assessed)
		return FHIR_ERR_INVALID; /* the orders' sets are narrowed below: once only */
	req->assessed = 1;
	out->kind = ENGINE_ASSESSED;
	out->response = cJSON_CreateObject();
	out->log = cJSON_CreateArray();
	cards = cJSON_AddArrayToObject(out->response, "cards");
	if (n == 0) /* nothing triggered: no data needed (policies.md "Data the policies need") */
		return FHIR_OK;
	read_prefetch(rd, req->prefetch, &req->supply);
	/* NHS England "Who Pays?" */
	engine__commissioner_find(e, req->context,
	                          key_value(req->prefetch, &req->supply, ENGINE_KEY_PATIENT), &who);
	for (i = 0; i < n; i++) {
		if (who.info_card)
			engine__commissioner_notice(e, &who, pending_orders[i].order,
			                            pending_orders[i].order_ref,
			                            pending_orders[i].policies, cards, out->log);
		engine__set_and(pending_orders[i].policies, who.policies, e->set_words);
	}
	if (check_required(rd, pending_orders, n, out)) {
		cJSON_Delete(out->response);
		out->response = NULL;
		return FHIR_OK;
	}
	set_builtins(rd, req->context);
	/* the per-request tables sized once from the record, not doubled as it is read: the
	 * shipped policies remember ≈ 7 Boolean answers of each Condition (fhirpath_memo.c;
	 * 16 bytes each, issue 12 ninth round) */
	fhir_path_memo_reserve(rd->memo, 8 * rd->prefetched.count);
	engine__text_reserve(rd->text, rd->prefetched.count);
	for (i = 0; i < n; i++) {
		const uint64_t *set = pending_orders[i].policies;
		struct engine__assessment *decided = fhir_arena_alloc(
		    rd->arena, (engine__set_count(set, e->set_words) + 1) * sizeof(*decided));
		size_t decided_count = 0;

		for (k = engine__set_next(set, e->set_words, 0); k < e->policy_count;
		     k = engine__set_next(set, e->set_words, k + 1)) {
			struct engine__assessment *a = &decided[decided_count];
			cJSON *card;
			const char *card_uuid = NULL;

			memset(a, 0, sizeof(*a));
			a->engine = e;
			a->arena = rd->arena;
			a->triggered_on_text = engine__set_has(pending_orders[i].text_mask, k);
			a->order_text = pending_orders[i].text;
			a->responsible = &who;
			engine__uuid(a->assessment_id);
			out->assessed++;
			if (!assess_policy(rd, &e->policies[k], pending_orders[i].order,
			                   pending_orders[i].order_ref, a))
				continue;
			engine__evidence_refs(a);
			card = engine__card(a);
			if (card != NULL) {
				card_uuid = fhir_get_string(card, "uuid");
				cJSON_AddItemToArray(cards, card);
			}
			cJSON_AddItemToArray(
			    out->log, with_prefetch_issues(rd, engine__log_record(a, card_uuid)));
			decided_count++;
		}
		/* an update targets the order's id (CDS Hooks 2.0 actions): an order named by its
		 * entry's fullUrl keeps its decision on the card and in the log only */
		if (rd->sign && decided_count > 0 &&
		    fhir_get_string(pending_orders[i].order, "id") != NULL) {
			if (actions == NULL)
				actions = cJSON_AddArrayToObject(out->response, "systemActions");
			cJSON_AddItemToArray(actions, system_action(decided, decided_count));
		}
	}
	return FHIR_OK;
}

/* The response and the decision records are built in the result's own JSON pool (json_hooks.c):
 * a card or record costs no malloc per node, and cds-hooks/ frees them with the result, after the
 * request (engine_assess frees the request before its caller reads the result), so the request's
 * arena would not do. Nothing else is allocated by cJSON while assessing. */
int engine_request_assess(struct engine_request *req, struct engine_result *out)
{
	struct fhir_json_pool *previous;
	int rc;

	memset(out, 0, sizeof(*out));
	previous = fhir_json_pool_enter(&out->pool);
	rc = assess(req, out);
	fhir_json_pool_leave(previous);
	return rc;
}

void engine_request_free(struct engine_request *req)
{
	if (req == NULL)
		return;
	engine__text_free(req->rd.text);
	fhir_arena_give(req->rd.arena);
	fhir_path_memo_free(req->rd.memo);
	/* a long record: memory back (release.c) */
	engine__release_after(req->rd.prefetched.count);
	cJSON_Delete(req->fetched);
	free(req);
}

/* ---- one-call forms --------------------------------------------------------------------- */

int engine_needs(const struct engine *e, const cJSON *request, struct engine_needs *out,
                 struct fhir_error *err)
{
	struct engine_request *req = NULL;
	int rc = engine_request_new(e, request, NULL, &req, err);

	memset(out, 0, sizeof(*out));
	if (rc == FHIR_OK)
		engine_request_needs(req, out);
	engine_request_free(req);
	return rc;
}

int engine_assess(const struct engine *e, const cJSON *request, const struct fhir_datetime *now,
                  struct engine_result *out, struct fhir_error *err)
{
	struct engine_request *req = NULL;
	int rc = engine_request_new(e, request, now, &req, err);

	memset(out, 0, sizeof(*out));
	if (rc == FHIR_OK)
		rc = engine_request_assess(req, out);
	engine_request_free(req);
	return rc;
}

void engine_result_clear(struct engine_result *r)
{
	if (r == NULL)
		return;
	cJSON_Delete(r->response); /* it may hold nodes added from malloc since */
	cJSON_Delete(r->log);
	fhir_json_pool_release(&r->pool);
	memset(r, 0, sizeof(*r));
}
