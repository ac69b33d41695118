/* impact_tally.c — the counts of a policy impact run (impact.h): per policy, how many orders
 * went from each old decision to each new one (with a few hook instances for those that
 * changed) and which criteria changed state; per request, whether it was replayed, and why
 * not. Memory grows with the distinct transitions and criteria, never with the requests. */
#include <stdlib.h>
#include <string.h>

#include "impact.h"

struct transition {
	char *old_decision, *new_decision; /* NULL: none */
	size_t count;
	char **examples; /* NEW each: hook instances, at most the tally's `examples` */
	size_t n_examples;
};

struct criterion_change {
	char *id, *old_state, *new_state; /* state NULL: not assessed */
	size_t count;
};

struct policy_tally {
	char *id;
	char *new_version;   /* NULL until a replay decided under it */
	char **old_versions; /* distinct, in order seen */
	size_t n_old_versions;
	size_t decisions, changed, newly, no_longer;
	struct transition *transitions;
	size_t n_transitions;
	struct criterion_change *criteria;
	size_t n_criteria;
};

struct request_kind {
	size_t count;
	cJSON *examples; /* [{hookInstance, receivedAt, reason}] */
};

struct cds__impact_tally {
	size_t examples;
	struct policy_tally *policies;
	size_t n_policies;
	struct request_kind kinds[3];
};

static char *dup_or_null(const char *s)
{
	return s ? cds__must(strdup(s)) : NULL;
}

/* 1 when both are NULL or both are equal strings. */
static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Grows *items (of `size` bytes each) to hold one more than *n. */
static void *grow(void *items, size_t n, size_t size)
{
	return cds__must(realloc(items, (n + 1) * size));
}

struct cds__impact_tally *cds__impact_tally_new(size_t examples)
{
	struct cds__impact_tally *t = cds__must(calloc(1, sizeof *t));
	t->examples = examples;
	for (size_t i = 0; i < 3; i++)
		t->kinds[i].examples = cds__must(cJSON_CreateArray());
	return t;
}

void cds__impact_tally_free(struct cds__impact_tally *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_policies; i++) {
		struct policy_tally *p = &t->policies[i];
		free(p->id);
		free(p->new_version);
		for (size_t k = 0; k < p->n_old_versions; k++)
			free(p->old_versions[k]);
		free(p->old_versions);
		for (size_t k = 0; k < p->n_transitions; k++) {
			struct transition *tr = &p->transitions[k];
			free(tr->old_decision);
			free(tr->new_decision);
			for (size_t e = 0; e < tr->n_examples; e++)
				free(tr->examples[e]);
			free(tr->examples);
		}
		free(p->transitions);
		for (size_t k = 0; k < p->n_criteria; k++) {
			free(p->criteria[k].id);
			free(p->criteria[k].old_state);
			free(p->criteria[k].new_state);
		}
		free(p->criteria);
	}
	free(t->policies);
	for (size_t i = 0; i < 3; i++)
		cJSON_Delete(t->kinds[i].examples);
	free(t);
}

static struct policy_tally *policy_get(struct cds__impact_tally *t, const char *id)
{
	for (size_t i = 0; i < t->n_policies; i++)
		if (strcmp(t->policies[i].id, id) == 0)
			return &t->policies[i];
	t->policies = grow(t->policies, t->n_policies, sizeof *t->policies);
	struct policy_tally *p = &t->policies[t->n_policies++];
	memset(p, 0, sizeof *p);
	p->id = cds__must(strdup(id));
	return p;
}

void cds__impact_tally_decision(struct cds__impact_tally *t, const char *policy,
                                const char *old_version, const char *new_version,
                                const char *old_decision, const char *new_decision,
                                const char *hook_instance)
{
	struct policy_tally *p = policy_get(t, policy);
	if (new_version && !p->new_version)
		p->new_version = cds__must(strdup(new_version));
	if (old_version) {
		size_t k = 0;
		while (k < p->n_old_versions && strcmp(p->old_versions[k], old_version) != 0)
			k++;
		if (k == p->n_old_versions) {
			p->old_versions = grow(p->old_versions, k, sizeof *p->old_versions);
			p->old_versions[p->n_old_versions++] = cds__must(strdup(old_version));
		}
	}
	int changed = !same(old_decision, new_decision);
	p->decisions++;
	p->changed += (size_t)changed;
	p->newly += (size_t)(!old_decision && new_decision);
	p->no_longer += (size_t)(old_decision && !new_decision);
	struct transition *tr = NULL;
	for (size_t k = 0; k < p->n_transitions && !tr; k++)
		if (same(p->transitions[k].old_decision, old_decision) &&
		    same(p->transitions[k].new_decision, new_decision))
			tr = &p->transitions[k];
	if (!tr) {
		p->transitions = grow(p->transitions, p->n_transitions, sizeof *p->transitions);
		tr = &p->transitions[p->n_transitions++];
		memset(tr, 0, sizeof *tr);
		tr->old_decision = dup_or_null(old_decision);
		tr->new_decision = dup_or_null(new_decision);
		tr->examples = cds__must(calloc(t->examples ? t->examples : 1, sizeof(char *)));
	}
	tr->count++;
	if (changed && hook_instance && tr->n_examples < t->examples) {
		for (size_t e = 0; e < tr->n_examples; e++)
			if (strcmp(tr->examples[e], hook_instance) == 0)
				return; /* one request, several orders: named once */
		tr->examples[tr->n_examples++] = cds__must(strdup(hook_instance));
	}
}

void cds__impact_tally_criterion(struct cds__impact_tally *t, const char *policy,
                                 const char *criterion, const char *old_state,
                                 const char *new_state)
{
	struct policy_tally *p = policy_get(t, policy);
	for (size_t k = 0; k < p->n_criteria; k++) {
		struct criterion_change *c = &p->criteria[k];
		if (strcmp(c->id, criterion) == 0 && same(c->old_state, old_state) &&
		    same(c->new_state, new_state)) {
			c->count++;
			return;
		}
	}
	p->criteria = grow(p->criteria, p->n_criteria, sizeof *p->criteria);
	struct criterion_change *c = &p->criteria[p->n_criteria++];
	c->id = cds__must(strdup(criterion));
	c->old_state = dup_or_null(old_state);
	c->new_state = dup_or_null(new_state);
	c->count = 1;
}

void cds__impact_tally_request(struct cds__impact_tally *t, enum cds__impact_request kind,
                               const char *hook_instance, const char *received_at,
                               const char *reason)
{
	struct request_kind *k = &t->kinds[kind];
	k->count++;
	if (kind == CDS__IMPACT_REPLAYED || (size_t)cJSON_GetArraySize(k->examples) >= t->examples)
		return;
	cJSON *e = cds__must(cJSON_CreateObject());
	cJSON_AddItemToArray(k->examples, e);
	cds__must(cJSON_AddStringToObject(e, "hookInstance", hook_instance ? hook_instance : ""));
	cds__must(cJSON_AddStringToObject(e, "receivedAt", received_at ? received_at : ""));
	cds__must(cJSON_AddStringToObject(e, "reason", reason ? reason : ""));
}

/* A string, or JSON null for NULL. */
static cJSON *string_or_null(const char *s)
{
	return cds__must(s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static int compare_text(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) : a ? 1 : b ? -1 : 0; /* NULL ("none") first */
}

/* Changed transitions first, then by count (descending), then by old and new decision. */
static int transition_order(const void *x, const void *y)
{
	const struct transition *a = x, *b = y;
	int ca = !same(a->old_decision, a->new_decision),
	    cb = !same(b->old_decision, b->new_decision);
	if (ca != cb)
		return cb - ca;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	int c = compare_text(a->old_decision, b->old_decision);
	return c ? c : compare_text(a->new_decision, b->new_decision);
}

static int criterion_order(const void *x, const void *y)
{
	const struct criterion_change *a = x, *b = y;
	int c = strcmp(a->id, b->id);
	if (!c)
		c = compare_text(a->old_state, b->old_state);
	return c ? c : compare_text(a->new_state, b->new_state);
}

static int policy_order(const void *x, const void *y)
{
	return strcmp(((const struct policy_tally *)x)->id, ((const struct policy_tally *)y)->id);
}

void cds__impact_tally_json(struct cds__impact_tally *t, cJSON *report)
{
	static const char *const kind_names[3] = {"replayed", "notReplayable", "unreadable"};
	cJSON *requests = cJSON_GetObjectItemCaseSensitive(report, "requests");
	if (!cJSON_IsObject(requests))
		requests = cds__must(cJSON_AddObjectToObject(report, "requests"));
	for (size_t i = 0; i < 3; i++)
		cds__must(
		    cJSON_AddNumberToObject(requests, kind_names[i], (double)t->kinds[i].count));

	size_t compared = 0, changed = 0, newly = 0, no_longer = 0;
	cJSON *policies = cds__must(cJSON_AddArrayToObject(report, "policies"));
	if (t->n_policies > 1) /* qsort's array must not be NULL, even for no items */
		qsort(t->policies, t->n_policies, sizeof *t->policies, policy_order);
	for (size_t i = 0; i < t->n_policies; i++) {
		struct policy_tally *p = &t->policies[i];
		compared += p->decisions;
		changed += p->changed;
		newly += p->newly;
		no_longer += p->no_longer;
		cJSON *pj = cds__must(cJSON_CreateObject());
		cJSON_AddItemToArray(policies, pj);
		cds__must(cJSON_AddStringToObject(pj, "policy", p->id));
		cJSON *versions = cds__must(cJSON_AddArrayToObject(pj, "oldVersions"));
		for (size_t k = 0; k < p->n_old_versions; k++)
			cJSON_AddItemToArray(versions,
			                     cds__must(cJSON_CreateString(p->old_versions[k])));
		cJSON_AddItemToObject(pj, "newVersion", string_or_null(p->new_version));
		cds__must(cJSON_AddNumberToObject(pj, "compared", (double)p->decisions));
		cds__must(cJSON_AddNumberToObject(pj, "changed", (double)p->changed));
		cds__must(cJSON_AddNumberToObject(pj, "newlyTriggered", (double)p->newly));
		cds__must(cJSON_AddNumberToObject(pj, "noLongerTriggered", (double)p->no_longer));
		if (p->n_transitions > 1)
			qsort(p->transitions, p->n_transitions, sizeof *p->transitions,
			      transition_order);
		cJSON *trs = cds__must(cJSON_AddArrayToObject(pj, "transitions"));
		for (size_t k = 0; k < p->n_transitions; k++) {
			const struct transition *tr = &p->transitions[k];
			cJSON *tj = cds__must(cJSON_CreateObject());
			cJSON_AddItemToArray(trs, tj);
			cJSON_AddItemToObject(tj, "old", string_or_null(tr->old_decision));
			cJSON_AddItemToObject(tj, "new", string_or_null(tr->new_decision));
			cds__must(cJSON_AddNumberToObject(tj, "count", (double)tr->count));
			cJSON_AddItemToObject(
			    tj, "changed",
			    cds__must(cJSON_CreateBool(!same(tr->old_decision, tr->new_decision))));
			cJSON *ex = cds__must(cJSON_AddArrayToObject(tj, "hookInstances"));
			for (size_t e = 0; e < tr->n_examples; e++)
				cJSON_AddItemToArray(
				    ex, cds__must(cJSON_CreateString(tr->examples[e])));
		}
		if (p->n_criteria > 1)
			qsort(p->criteria, p->n_criteria, sizeof *p->criteria, criterion_order);
		cJSON *crs = cds__must(cJSON_AddArrayToObject(pj, "criteria"));
		for (size_t k = 0; k < p->n_criteria; k++) {
			const struct criterion_change *c = &p->criteria[k];
			cJSON *cj = cds__must(cJSON_CreateObject());
			cJSON_AddItemToArray(crs, cj);
			cds__must(cJSON_AddStringToObject(cj, "criterion", c->id));
			cJSON_AddItemToObject(cj, "old", string_or_null(c->old_state));
			cJSON_AddItemToObject(cj, "new", string_or_null(c->new_state));
			cds__must(cJSON_AddNumberToObject(cj, "count", (double)c->count));
		}
	}
	cJSON *decisions = cds__must(cJSON_AddObjectToObject(report, "decisions"));
	cds__must(cJSON_AddNumberToObject(decisions, "compared", (double)compared));
	cds__must(cJSON_AddNumberToObject(decisions, "changed", (double)changed));
	cds__must(cJSON_AddNumberToObject(decisions, "newlyTriggered", (double)newly));
	cds__must(cJSON_AddNumberToObject(decisions, "noLongerTriggered", (double)no_longer));
	cJSON_AddItemToObject(report, "notReplayable",
	                      cds__must(cJSON_Duplicate(t->kinds[1].examples, 1)));
	cJSON_AddItemToObject(report, "unreadable",
	                      cds__must(cJSON_Duplicate(t->kinds[2].examples, 1)));
}
