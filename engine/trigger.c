/* trigger.c — which policies an order triggers (policies/README.md "trigger"), for every policy
 * at once. At load the policies' triggers are compiled into one index: ValueSet -> policies (the
 * coded triggers, filled by load.c) and concept -> the trigger.all groups that name it. Per order
 * the codes are looked up once and the order's text is annotated once (text_host.c caches it);
 * one pass over the concepts it mentions counts the satisfied `all` groups of each policy. The
 * cost per order follows what the order mentions, not how many policies are loaded. */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "text_internal.h"

/* Mention statuses that recognise an order by its text: anything but negated, hypothetical or
 * historical. A historical mention names what was done before, not what is ordered: "SIJ
 * radiofrequency denervation following successful SIJ injection" orders RFD, "Repeat SIJ
 * injection - previous injection helped" still names the injection it orders (audit H103). */
#define ORDER_STATUSES                                                                             \
	((1u << ENGINE_ST_AFFIRMED) | (1u << ENGINE_ST_UNCERTAIN) | (1u << ENGINE_ST_OTHER))

struct engine_triggers {
	/* concept index -> global `all` group numbers naming it (group_policy g is the policy,
	 * need[p] how many `all` groups policy p has); concept_count covers every concept any
	 * trigger (`all` or `none`) names */
	struct engine_list *all_groups;
	size_t concept_count;
	struct engine_list group_policy; /* group number -> policy index */
	size_t *need;
	uint64_t *text_policies; /* active policies with trigger.all */
};

void engine__list_add(struct engine_list *l, size_t item)
{
	if (l->count == l->cap) {
		l->cap = l->cap == 0 ? 4 : l->cap * 2;
		l->items = realloc(l->items, l->cap * sizeof(*l->items));
		if (l->items == NULL)
			abort();
	}
	l->items[l->count++] = item;
}

/* The postings list of concept c, growing the table to hold it. */
static struct engine_list *posting(struct engine_list **table, size_t *count, size_t c)
{
	if (c >= *count) {
		size_t n = c + 1;

		*table = realloc(*table, n * sizeof(**table));
		if (*table == NULL)
			abort();
		memset(*table + *count, 0, (n - *count) * sizeof(**table));
		*count = n;
	}
	return &(*table)[c];
}

void engine__triggers_compile(struct engine *e)
{
	struct engine_triggers *t = calloc(1, sizeof(*t));

	if (t == NULL)
		abort();
	t->need = calloc(e->policy_count + 1, sizeof(*t->need));
	t->text_policies = engine__set_new(NULL, e->set_words);
	if (t->need == NULL)
		abort();
	for (size_t p = 0; p < e->policy_count; p++) {
		const struct engine_policy *pol = &e->policies[p];

		if (!pol->active || pol->trigger_all_count == 0 || pol->trigger_all == NULL)
			continue;
		engine__set_add(t->text_policies, p);
		t->need[p] = pol->trigger_all_count;
		for (size_t g = 0; g < pol->trigger_all_count; g++) {
			size_t group = t->group_policy.count;

			engine__list_add(&t->group_policy, p);
			for (const int *c = pol->trigger_all[g]; *c >= 0; c++)
				engine__list_add(
				    posting(&t->all_groups, &t->concept_count, (size_t)*c), group);
		}
		/* the table covers `none` concepts too: by_text's `seen` set is that long */
		for (const int *c = pol->trigger_none; c != NULL && *c >= 0; c++)
			posting(&t->all_groups, &t->concept_count, (size_t)*c);
	}
	e->triggers = t;
}

void engine__triggers_free(struct engine_triggers *t)
{
	if (t == NULL)
		return;
	for (size_t c = 0; c < t->concept_count; c++)
		free(t->all_groups[c].items);
	free(t->all_groups);
	free(t->group_policy.items);
	free(t->need);
	free(t->text_policies);
	free(t);
}

/* The coded part: policies whose trigger ValueSets hold one of the order's codes (*coded). */
static void by_code(const struct engine *e, const cJSON *code, uint64_t *coded)
{
	const cJSON *coding;

	cJSON_ArrayForEach(coding, fhir_get(code, "coding"))
	{
		const char *system = fhir_get_string(coding, "system");
		const char *value = fhir_get_string(coding, "code");
		const size_t *sets;
		size_t n;

		if (system == NULL || value == NULL)
			continue;
		sets = fhir_valueset_lookup(e->valuesets, system, value, &n);
		for (size_t i = 0; i < n; i++) {
			const struct engine_list *l = sets[i] < e->valueset_trigger_count
			                                  ? &e->valueset_triggers[sets[i]]
			                                  : NULL;

			for (size_t k = 0; l != NULL && k < l->count; k++)
				engine__set_add(coded, l->items[k]);
		}
	}
}

/* 1 when the order's text names, affirmed, one of policy p's `none` concepts. Only an affirmed
 * mention says what the order IS: "MRI L shoulder ?suitable for injection" and "US R shoulder -
 * previous injection no help" are imaging orders, "Facet joint injection L4/5 (previous MBB
 * positive)" is a facet injection. */
static int none_named(const struct engine *e, struct engine__text *text, const cJSON *order,
                      size_t p)
{
	const int *concepts;
	size_t n = engine__text_order_concepts(text, order, 1u << ENGINE_ST_AFFIRMED, &concepts);

	for (size_t i = 0; i < n; i++)
		for (const int *c = e->policies[p].trigger_none; c != NULL && *c >= 0; c++)
			if (*c == concepts[i])
				return 1;
	return 0;
}

/* The text part: of the `eligible` policies, those whose every `all` group and no `none`
 * concept the order's code, orderDetail and bodySite text mention, added to *on_text. One pass over
 * the concepts mentioned counts each policy's satisfied groups; only the policies whose count is
 * full have their `none` concepts checked (affirmed mentions only: none_named). */
static void by_text(const struct engine *e, struct engine__text *text, struct fhir_arena *arena,
                    const cJSON *order, const uint64_t *eligible, uint64_t *on_text)
{
	const struct engine_triggers *t = e->triggers;
	const int *concepts;
	size_t n = engine__text_order_concepts(text, order, ORDER_STATUSES, &concepts);
	uint64_t *seen, *hit;
	uint32_t *satisfied;
	size_t *full, full_count = 0;

	if (n == 0 || t->concept_count == 0)
		return;
	seen = engine__set_new(arena, ENGINE_SET_WORDS(t->concept_count));
	hit = engine__set_new(arena, ENGINE_SET_WORDS(t->group_policy.count));
	satisfied = fhir_arena_alloc(arena, e->policy_count * sizeof(*satisfied));
	full = fhir_arena_alloc(arena, e->policy_count * sizeof(*full));
	for (size_t i = 0; i < n; i++) {
		size_t c = (size_t)concepts[i];
		const struct engine_list *groups;

		if (concepts[i] < 0 || c >= t->concept_count || engine__set_has(seen, c))
			continue; /* no trigger names it, or counted already */
		engine__set_add(seen, c);
		groups = &t->all_groups[c];
		for (size_t k = 0; k < groups->count; k++) {
			size_t g = groups->items[k], p = t->group_policy.items[g];

			if (engine__set_has(hit, g))
				continue;
			engine__set_add(hit, g);
			if (++satisfied[p] == t->need[p])
				full[full_count++] = p;
		}
	}
	for (size_t i = 0; i < full_count; i++) {
		size_t p = full[i];

		if (engine__set_has(eligible, p) && !none_named(e, text, order, p))
			engine__set_add(on_text, p);
	}
}

/* Removes from *policies (triggered by a code) those whose `none` concepts the order's own text
 * names: a diagnostic-ultrasound code chosen for an order whose text is "USGI R knee" is still a
 * US-guided injection, not MSK imaging (policies/README.md "trigger"). */
static void drop_by_none(const struct engine *e, struct engine__text *text, const cJSON *order,
                         uint64_t *policies)
{
	for (size_t p = engine__set_next(policies, e->set_words, 0); p < e->policy_count;
	     p = engine__set_next(policies, e->set_words, p + 1))
		if (none_named(e, text, order, p))
			engine__set_remove(policies, p);
}

void engine__triggered(const struct engine *e, struct engine__text *text, struct fhir_arena *arena,
                       const cJSON *order, uint64_t *policies, uint64_t *on_text,
                       const char **text_out)
{
	const cJSON *code = fhir_get(order, "code");
	uint64_t *eligible = engine__set_new(arena, e->set_words);

	memset(policies, 0, e->set_words * sizeof(*policies));
	memset(on_text, 0, e->set_words * sizeof(*on_text));
	*text_out = NULL;
	by_code(e, code, policies);
	/* recognised by text when no coding is in the policy's ValueSets (policies.md: "any
	 * coding, or its text when no coding matches"), whatever the code system: a trigger
	 * ValueSet lists the codes a source gave, not every code of its system, so SNOMED CT
	 * "Ultrasound scan of elbow" outside it is still read as MSK ultrasound (audit H128) */
	memcpy(eligible, e->triggers->text_policies, e->set_words * sizeof(*eligible));
	engine__set_and_not(eligible, policies, e->set_words);
	if (!engine__set_empty(policies, e->set_words))
		drop_by_none(e, text, order, policies);
	if (engine__set_empty(eligible, e->set_words))
		return;
	by_text(e, text, arena, order, eligible, on_text);
	if (engine__set_empty(on_text, e->set_words))
		return;
	engine__set_or(policies, on_text, e->set_words);
	*text_out = engine__concept_text(code);
}
