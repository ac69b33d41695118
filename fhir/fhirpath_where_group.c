/* fhirpath_where_group.c — several filters of one collection evaluated in one pass (issue 12
 * item 1). A policy's lets filter the record's Conditions several times
 * (`%conditions.where(P1)`, `%conditions.where(P2)`, ...); over 10,000 Conditions each filter
 * read every Condition from memory again. A plan (built when the expressions are compiled)
 * groups such filters by the %variable they filter; the first of a group an evaluation reaches
 * evaluates every predicate of the group on each item while the item's nodes are in cache, and
 * keeps each filter's answer (or error) for when its own expression reaches it.
 *
 * What a filter answers is what fhir_where would: the items whose predicate is true, in order, or
 * a view of the whole input when all are; the error of the first item whose predicate fails (and
 * its predicate is not evaluated on later items). A filter joins a group only when evaluating it
 * earlier cannot change that: it is not under a function's argument (evaluated per item, or not
 * at all: iif()) nor an and/or/xor/implies operand (which may be skipped, and whose scratch is
 * released), every %variable it names is defined where the group starts, and its nesting stays
 * far from the depth limit. What moves is when host functions are called (the engine's text
 * functions note their hits for evidence, which its lets do not read). */
#include "fhirpath_internal.h"

#include <stdlib.h>
#include <string.h>

struct where_site {
	const struct fhir__fp_node *node; /* INVOKE: left %X, right where(P) */
	size_t group;
};

struct where_group {
	const char *source; /* X, BORROWED from the compiled path */
	const char **names; /* the %variables defined where it starts (malloc'd array) */
	size_t name_count;
	size_t members;
};

struct fhir_path_where_plan {
	struct where_site *sites;
	size_t site_count;
	struct where_group *groups;
	size_t group_count;
	int sealed;
};

/* One filter's kept answer. */
struct where_answer {
	struct fhir_collection items;
	int rc;                 /* 0, or the status of its predicate's first failure */
	struct fhir_error *err; /* that failure (arena), or NULL */
};

struct fhir_path_where_state {
	const struct fhir_path_where_plan *plan;
	struct where_answer *answers; /* by site */
	unsigned char *done;          /* by group */
};

static void *grow(void *p, size_t count, size_t size)
{
	void *q = realloc(p, count * size);

	if (q == NULL)
		abort(); /* architecture.md rule 5 */
	return q;
}

struct fhir_path_where_plan *fhir_path_where_plan_new(void)
{
	struct fhir_path_where_plan *plan = calloc(1, sizeof(*plan));

	if (plan == NULL)
		abort();
	return plan;
}

void fhir_path_where_plan_free(struct fhir_path_where_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t g = 0; g < plan->group_count; g++)
		free(plan->groups[g].names);
	free(plan->groups);
	free(plan->sites);
	free(plan);
}

static int named(const char *const *names, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* 1 when every %variable under n is one of names. */
static int vars_within(const struct fhir__fp_node *n, const char *const *names, size_t count)
{
	if (n == NULL)
		return 1;
	if (n->kind == FP_VAR && !named(names, count, n->name))
		return 0;
	if (!vars_within(n->left, names, count) || !vars_within(n->right, names, count))
		return 0;
	for (size_t i = 0; i < n->nargs; i++)
		if (!vars_within(n->args[i], names, count))
			return 0;
	return 1;
}

static int is_site(const struct fhir__fp_node *n)
{
	const struct fhir__fp_node *f = n->right;

	return n->kind == FP_INVOKE && n->left != NULL && n->left->kind == FP_VAR && f != NULL &&
	       f->kind == FP_FUNC && f->func != &fhir__fp_host_func && f->nargs == 1 &&
	       strcmp(f->name, "where") == 0 && n->memo_key == NULL;
}

static void add_site(struct fhir_path_where_plan *plan, struct fhir__fp_node *n,
                     const char *const *names, size_t count)
{
	size_t g;

	for (size_t i = 0; i < plan->site_count; i++)
		if (plan->sites[i].node == n)
			return; /* an expression shared by two lets: one answer serves both */
	for (g = 0; g < plan->group_count; g++)
		if (strcmp(plan->groups[g].source, n->left->name) == 0)
			break;
	if (g == plan->group_count) {
		struct where_group *grp;

		if (!named(names, count, n->left->name))
			return;
		plan->groups = grow(plan->groups, plan->group_count + 1, sizeof(*plan->groups));
		grp = &plan->groups[plan->group_count++];
		grp->source = n->left->name;
		grp->names = grow(NULL, count > 0 ? count : 1, sizeof(*grp->names));
		if (count > 0)
			memcpy(grp->names, names, count * sizeof(*names));
		grp->name_count = count;
		grp->members = 0;
	}
	if (!vars_within(n->right, plan->groups[g].names, plan->groups[g].name_count))
		return;
	plan->sites = grow(plan->sites, plan->site_count + 1, sizeof(*plan->sites));
	plan->sites[plan->site_count].node = n;
	plan->sites[plan->site_count].group = g;
	plan->site_count++;
	plan->groups[g].members++;
}

/* Finds the filters evaluated once per evaluation of the whole expression, at `depth` (the
 * root's 1): operands of operators other than and/or/xor/implies, and the left of a path. */
static void find_sites(struct fhir_path_where_plan *plan, struct fhir__fp_node *n, int depth,
                       const char *const *names, size_t count)
{
	if (n == NULL)
		return;
	if (is_site(n)) {
		if (depth + (int)n->height + 2 <= FHIR_PATH_MAX_DEPTH)
			add_site(plan, n, names, count);
		return;
	}
	switch (n->kind) {
	case FP_BINARY:
		if (n->op == FP_OP_AND || n->op == FP_OP_OR || n->op == FP_OP_XOR ||
		    n->op == FP_OP_IMPLIES)
			return;
		find_sites(plan, n->left, depth + 1, names, count);
		find_sites(plan, n->right, depth + 1, names, count);
		return;
	case FP_INVOKE:
	case FP_INDEXER:
	case FP_TYPE:
	case FP_NEGATE:
		find_sites(plan, n->left, depth + 1, names, count);
		return;
	default:
		return;
	}
}

size_t fhir_path_where_plan_add(struct fhir_path_where_plan *plan, struct fhir_path *path,
                                const char *const *names, size_t count)
{
	size_t before;

	if (plan == NULL || path == NULL || plan->sealed)
		return 0;
	before = plan->site_count;
	find_sites(plan, path->root, 1, names, count);
	return plan->site_count - before;
}

size_t fhir_path_where_plan_seal(struct fhir_path_where_plan *plan)
{
	size_t groups = 0, kept = 0;

	if (plan == NULL || plan->sealed)
		return 0;
	plan->sealed = 1;
	/* a filter alone in its group gains nothing: it is evaluated as before */
	for (size_t i = 0; i < plan->site_count; i++)
		if (plan->groups[plan->sites[i].group].members > 1)
			plan->sites[kept++] = plan->sites[i];
	plan->site_count = kept;
	for (size_t i = 0; i < plan->site_count; i++)
		((struct fhir__fp_node *)plan->sites[i].node)->where_site = 1;
	for (size_t g = 0; g < plan->group_count; g++)
		groups += plan->groups[g].members > 1;
	return groups;
}

size_t fhir_path_where_plan_sites(const struct fhir_path_where_plan *plan)
{
	return plan != NULL ? plan->site_count : 0;
}

struct fhir_path_where_state *fhir_path_where_state_new(const struct fhir_path_where_plan *plan,
                                                        struct fhir_arena *arena)
{
	struct fhir_path_where_state *s;

	if (plan == NULL || plan->site_count == 0)
		return NULL;
	s = fhir_arena_alloc(arena, sizeof(*s));
	s->plan = plan;
	s->answers = fhir_arena_alloc(arena, plan->site_count * sizeof(*s->answers));
	s->done = fhir_arena_alloc(arena, plan->group_count);
	return s;
}

/* Evaluates every filter of group g on src's items in one pass into s->answers. */
static void run_group(struct fhir__fp_ev *e, struct fhir_path_where_state *s, size_t g,
                      const struct fhir_collection *src)
{
	const struct fhir_path_where_plan *plan = s->plan;
	size_t words = (src->count + 63) / 64, live = 0;
	uint64_t **keep = fhir_arena_alloc(e->arena, plan->site_count * sizeof(*keep));
	size_t *kept = fhir_arena_alloc(e->arena, plan->site_count * sizeof(*kept));
	struct fhir_error *saved = e->err, scratch;

	for (size_t k = 0; k < plan->site_count; k++)
		if (plan->sites[k].group == g) {
			keep[k] =
			    fhir_arena_alloc(e->arena, (words > 0 ? words : 1) * sizeof(**keep));
			live++;
		}
	memset(&scratch, 0, sizeof(scratch));
	e->err = &scratch;
	e->depth++; /* where the where() call evaluates its predicate */
	for (size_t i = 0; i < src->count && live > 0; i++)
		for (size_t k = 0; k < plan->site_count; k++) {
			struct where_answer *a = &s->answers[k];
			int t, rc;

			if (plan->sites[k].group != g || a->rc != 0)
				continue;
			rc = fhir__fp_lambda_truth(e, plan->sites[k].node->right->args[0],
			                           &src->items[i], (int64_t)i, &t);
			if (rc != 0) {
				a->rc = rc;
				a->err = fhir_arena_alloc_raw(e->arena, sizeof(*a->err));
				*a->err = scratch;
				live--;
			} else if (t == 1) {
				keep[k][i / 64] |= (uint64_t)1 << (i % 64);
				kept[k]++;
			}
		}
	e->depth--;
	e->err = saved;
	for (size_t k = 0; k < plan->site_count; k++) {
		struct where_answer *a = &s->answers[k];

		if (plan->sites[k].group != g || a->rc != 0 || kept[k] == 0)
			continue;
		if (kept[k] == src->count) { /* every item: a view of the input, as where() gives */
			fhir__fp_borrow(&a->items, src);
			continue;
		}
		fhir_collection_reserve(&a->items, e->arena, kept[k]);
		for (size_t i = 0; i < src->count; i++)
			if (keep[k][i / 64] & ((uint64_t)1 << (i % 64)))
				a->items.items[a->items.count++] = src->items[i];
	}
	s->done[g] = 1;
}

int fhir__fp_where_site(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                        const struct fhir_collection *focus, struct fhir_collection *out)
{
	struct fhir_path_where_state *s = e->env->where_state;
	const struct fhir_path_where_plan *plan = s->plan;
	size_t k;
	int rc;

	for (k = 0; k < plan->site_count; k++)
		if (plan->sites[k].node == n)
			break;
	if (k == plan->site_count)
		return 1; /* another policy's filter sharing this expression */
	if (!s->done[plan->sites[k].group]) {
		struct fhir_collection src;

		rc = fhir__fp_eval(e, n->left, focus, &src);
		if (rc != 0)
			return rc; /* as evaluating the path's left would have */
		run_group(e, s, plan->sites[k].group, &src);
	}
	if (s->answers[k].rc != 0) {
		if (e->err != NULL)
			*e->err = *s->answers[k].err;
		return s->answers[k].rc;
	}
	fhir__fp_borrow(out, &s->answers[k].items);
	return 0;
}
