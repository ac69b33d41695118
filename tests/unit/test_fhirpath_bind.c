/* test_fhirpath_bind.c — %variables bound to environment positions when expressions are compiled
 * (fhir_path_bind_variables; issue 12 item 3). A bound expression gives what an unbound one
 * gives in an environment laid out as bound, laid out otherwise, shorter, or with a name
 * repeated; an expression two layouts bind differently falls back to names; and every %name
 * of every loaded policy expression is bound to the position assess.c gives it. White-box: it
 * reads the parse tree (fhirpath_internal.h) to see the positions. */
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "fhirpath_internal.h"
#include "testkit.h"

/* The single Integer of evaluating `path` with vars, or -1 (empty or not an Integer), or -2 on
 * an evaluation error. */
static long long eval_int(const struct fhir_path *path, const struct fhir_path_var *vars,
                          size_t count)
{
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path_env env;
	struct fhir_collection out = {0};
	struct fhir_error err;
	long long v = -1;

	memset(&env, 0, sizeof(env));
	env.arena = arena;
	env.vars = vars;
	env.var_count = count;
	if (fhir_path_eval(path, NULL, &env, &out, &err) != FHIR_OK)
		v = -2;
	else if (out.count == 1 && out.items[0].kind == FHIR_VALUE_INTEGER)
		v = (long long)out.items[0].u.integer;
	fhir_arena_free(arena);
	return v;
}

/* The var_slot of the first %name node under n (depth first), or -1 when there is none. */
static long long slot_of(const struct fhir__fp_node *n, const char *name)
{
	long long s;

	if (n == NULL)
		return -1;
	if (n->kind == FP_VAR && strcmp(n->name, name) == 0)
		return (long long)n->var_slot;
	if ((s = slot_of(n->left, name)) >= 0 || (s = slot_of(n->right, name)) >= 0)
		return s;
	for (size_t i = 0; i < n->nargs; i++)
		if ((s = slot_of(n->args[i], name)) >= 0)
			return s;
	return -1;
}

static struct fhir_path_var var_int(struct fhir_arena *arena, const char *name, int64_t i)
{
	struct fhir_path_var v = {name, {0}};
	struct fhir_value x = fhir__fp_int(i);

	fhir_collection_push(&v.value, arena, &x);
	return v;
}

static void test_positions(void)
{
	struct fhir_arena *arena = fhir_arena_new();
	const char *const layout[] = {"a", "b", "c", "b"};
	struct fhir_path *p = NULL, *q = NULL;
	struct fhir_error err;
	char name_a[] = "a"; /* names are compared as text, not by address */

	CHECK(fhir_path_compile("%a * 100 + %b * 10 + %c", &p, &err) == FHIR_OK, "%s", err.message);
	CHECK(fhir_path_compile("%d + %c", &q, &err) == FHIR_OK, "%s", err.message);
	if (p == NULL || q == NULL)
		goto out;
	CHECK(slot_of(p->root, "a") == FP_VAR_SLOT_NONE, "%s", "unbound after compile");
	fhir_path_bind_variables(p, layout, 4);
	fhir_path_bind_variables(q, layout, 4);
	CHECK(slot_of(p->root, "a") == 0 && slot_of(p->root, "b") == 1 &&
	          slot_of(p->root, "c") == 2,
	      "slots %lld %lld %lld", slot_of(p->root, "a"), slot_of(p->root, "b"),
	      slot_of(p->root, "c"));
	CHECK(slot_of(q->root, "d") == FP_VAR_SLOT_NONE, "%s", "a name not in the layout");
	{
		/* laid out as bound, the repeated b second */
		struct fhir_path_var same[] = {var_int(arena, name_a, 1), var_int(arena, "b", 2),
		                               var_int(arena, "c", 3), var_int(arena, "b", 9)};
		/* laid out otherwise, and shorter than a bound position */
		struct fhir_path_var other[] = {var_int(arena, "c", 3), var_int(arena, "b", 2),
		                                var_int(arena, "a", 1)};
		struct fhir_path_var short_[] = {var_int(arena, "c", 3), var_int(arena, "a", 1)};

		CHECK(eval_int(p, same, 4) == 123, "%lld", eval_int(p, same, 4));
		CHECK(eval_int(p, other, 3) == 123, "%lld", eval_int(p, other, 3));
		CHECK(eval_int(p, short_, 2) == -2, "%s", "%b undefined: an error as unbound");
		CHECK(eval_int(q, same, 4) == -2, "%s", "%d undefined: an error as unbound");
	}
	/* bound again to the same positions: kept; to others: looked up by name from then on */
	fhir_path_bind_variables(p, layout, 4);
	CHECK(slot_of(p->root, "c") == 2, "%lld", slot_of(p->root, "c"));
	{
		const char *const moved[] = {"c", "b", "a"};
		struct fhir_path_var other[] = {var_int(arena, "c", 3), var_int(arena, "b", 2),
		                                var_int(arena, "a", 1)};

		fhir_path_bind_variables(p, moved, 3);
		CHECK(slot_of(p->root, "a") == FP_VAR_SLOT_MIXED && slot_of(p->root, "b") == 1 &&
		          slot_of(p->root, "c") == FP_VAR_SLOT_MIXED,
		      "slots %lld %lld %lld", slot_of(p->root, "a"), slot_of(p->root, "b"),
		      slot_of(p->root, "c"));
		CHECK(eval_int(p, other, 3) == 123, "%lld", eval_int(p, other, 3));
		fhir_path_bind_variables(p, layout, 4);
		CHECK(slot_of(p->root, "a") == FP_VAR_SLOT_MIXED, "%s", "mixed stays mixed");
	}
	fhir_path_bind_variables(NULL, layout, 4);
	fhir_path_bind_variables(p, NULL, 0);
out:
	fhir_path_free(p);
	fhir_path_free(q);
	fhir_arena_free(arena);
}

/* The bound_name of the first %name node under n (depth first), or NULL. */
static const char *bound_of(const struct fhir__fp_node *n, const char *name)
{
	const char *s;

	if (n == NULL)
		return NULL;
	if (n->kind == FP_VAR && strcmp(n->name, name) == 0)
		return n->bound_name;
	if ((s = bound_of(n->left, name)) != NULL || (s = bound_of(n->right, name)) != NULL)
		return s;
	for (size_t i = 0; i < n->nargs; i++)
		if ((s = bound_of(n->args[i], name)) != NULL)
			return s;
	return NULL;
}

/* A bound %name remembers the layout's string (its address then stands for its text) only while
 * every binding gave that same string; the answers are the same either way. */
static void test_bound_names(void)
{
	struct fhir_arena *arena = fhir_arena_new();
	static const char *const layout[] = {"a", "b", "c"};
	char a2[] = "a", b2[] = "b", c2[] = "c";
	const char *const copies[] = {a2, b2, c2};
	struct fhir_path *p = NULL;
	struct fhir_error err;

	CHECK(fhir_path_compile("%a * 100 + %b * 10 + %c", &p, &err) == FHIR_OK, "%s", err.message);
	if (p != NULL) {
		struct fhir_path_var by_address[] = {var_int(arena, layout[0], 1),
		                                     var_int(arena, layout[1], 2),
		                                     var_int(arena, layout[2], 3)};
		struct fhir_path_var by_text[] = {var_int(arena, a2, 1), var_int(arena, b2, 2),
		                                  var_int(arena, c2, 3)};

		CHECK(bound_of(p->root, "a") == NULL, "%s", "nothing before binding");
		fhir_path_bind_variables(p, layout, 3);
		CHECK(bound_of(p->root, "a") == layout[0] && bound_of(p->root, "c") == layout[2],
		      "%s", "the layout's strings");
		CHECK(eval_int(p, by_address, 3) == 123, "%lld", eval_int(p, by_address, 3));
		CHECK(eval_int(p, by_text, 3) == 123, "%lld", eval_int(p, by_text, 3));
		fhir_path_bind_variables(p, layout, 3);
		CHECK(bound_of(p->root, "b") == layout[1], "%s", "the same strings again: kept");
		fhir_path_bind_variables(p, copies, 3);
		CHECK(bound_of(p->root, "a") == NULL && slot_of(p->root, "a") == 0, "%s",
		      "other strings, same positions: slot kept, address forgotten");
		CHECK(eval_int(p, by_address, 3) == 123, "%lld", eval_int(p, by_address, 3));
		CHECK(eval_int(p, by_text, 3) == 123, "%lld", eval_int(p, by_text, 3));
	}
	fhir_path_free(p);
	fhir_arena_free(arena);
}

/* An environment that defines a FHIRPath built-in name (%sct) still wins over the built-in
 * constant when bound, as when looked up by name. */
static void test_builtin_names(void)
{
	struct fhir_arena *arena = fhir_arena_new();
	const char *const layout[] = {"x", "sct"};
	struct fhir_path *p = NULL;
	struct fhir_error err;

	CHECK(fhir_path_compile("%sct", &p, &err) == FHIR_OK, "%s", err.message);
	if (p != NULL) {
		struct fhir_path_var vars[] = {var_int(arena, "x", 5), var_int(arena, "sct", 7)};

		CHECK(eval_int(p, vars, 2) == 7, "%s", "unbound: the environment's");
		fhir_path_bind_variables(p, layout, 2);
		CHECK(slot_of(p->root, "sct") == 1, "%lld", slot_of(p->root, "sct"));
		CHECK(eval_int(p, vars, 2) == 7, "%s", "bound: the environment's");
		CHECK(eval_int(p, vars, 1) == -1, "%s", "not in env: the constant (a String)");
	}
	fhir_path_free(p);
	fhir_arena_free(arena);
}

/* ---- every loaded policy expression is bound as assess.c lays out its environment -------- */

struct walk {
	const struct engine_policy *p;
	size_t checked, wrong;
};

/* The position assess.c gives `name` in p's environment (first one), or -1. */
static long long expected_slot(const struct engine_policy *p, const char *name)
{
	size_t i, base = ENGINE_BUILTIN_VAR_COUNT;

	for (i = 0; i < ENGINE_BUILTIN_VAR_COUNT; i++)
		if (strcmp(engine__builtin_vars[i], name) == 0)
			return (long long)i;
	for (i = 0; i < p->let_count; i++)
		if (p->lets[i].name != NULL && strcmp(p->lets[i].name, name) == 0)
			return (long long)(base + i);
	for (i = 0; i < p->criterion_count; i++)
		if (p->criteria[i].id != NULL && strcmp(p->criteria[i].id, name) == 0)
			return (long long)(base + p->let_count + i);
	return -1;
}

static void walk_nodes(struct walk *w, const struct fhir__fp_node *n)
{
	if (n == NULL)
		return;
	if (n->kind == FP_VAR) {
		long long want = expected_slot(w->p, n->name);

		w->checked++;
		/* a shared text bound differently by two policies may be MIXED; the shipped ones
		 * share texts only where their layouts agree */
		if (want >= 0 && (long long)n->var_slot != want) {
			w->wrong++;
			fprintf(stderr, "policy %s: %%%s at slot %lld, expected %lld\n", w->p->id,
			        n->name, (long long)n->var_slot, want);
		}
	}
	walk_nodes(w, n->left);
	walk_nodes(w, n->right);
	for (size_t i = 0; i < n->nargs; i++)
		walk_nodes(w, n->args[i]);
}

static void walk_path(struct walk *w, const struct fhir_path *path)
{
	if (path != NULL)
		walk_nodes(w, path->root);
}

static void test_loaded_policies(void)
{
	struct engine *e = NULL;
	struct walk w = {NULL, 0, 0};

	CHECK(engine_load(engine_embedded_files, engine_embedded_file_count, NULL, &e) == FHIR_OK &&
	          e != NULL,
	      "%s", "the embedded policies load");
	if (e == NULL)
		return;
	for (size_t k = 0; k < e->policy_count; k++) {
		const struct engine_policy *p = &e->policies[k];

		w.p = p;
		for (size_t i = 0; i < p->let_count; i++)
			walk_path(&w, p->lets[i].expr);
		for (size_t i = 0; i < p->criterion_count; i++) {
			const struct engine_criterion *c = &p->criteria[i];

			walk_path(&w, c->applies);
			walk_path(&w, c->met);
			walk_path(&w, c->met_text);
			walk_path(&w, c->unknown);
			walk_path(&w, c->not_met);
		}
		for (size_t i = 0; i < p->outcome_count; i++) {
			walk_path(&w, p->outcomes[i].applies);
			walk_path(&w, p->outcomes[i].when);
		}
		for (size_t i = 0; i < p->guard_count; i++)
			walk_path(&w, p->guards[i].applies);
	}
	CHECK(w.checked > 20 && w.wrong == 0, "%zu %%names checked, %zu not bound as expected",
	      w.checked, w.wrong);
	engine_free(e);
}

int main(void)
{
	test_positions();
	test_builtin_names();
	test_bound_names();
	test_loaded_policies();
	return testkit_done();
}
