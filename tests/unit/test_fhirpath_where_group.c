/* test_fhirpath_where_group.c — filters of one collection answered in one pass
 * (fhir_path_where_plan_*; issue 12 item 1). A list of "lets" is evaluated in order, each seeing
 * the variables %v, %w and the lets before it, once with a plan's state and once without; every
 * let's answer (the same items, in the same order) or error (status and message) must be the
 * same. The host function note() records which item each predicate saw, so the test also sees
 * that grouped predicates ran item by item in one pass, and that filters which may not be
 * grouped (under an and/or operand, inside a function's argument, naming a later let, alone in
 * their group) are evaluated where they stand. */
#include <stdio.h>
#include <string.h>

#include "testkit.h"

#define MAX_LETS 8

static char trail[512]; /* note(tag) calls: "tag:id " */

static const struct fhir_path_host_function functions[] = {{"note", 1, 1, 0}};
static const struct fhir_path_host host = {functions, 1, 1};

static int host_call(const void *ctx, size_t index, const struct fhir_value *item,
                     const struct fhir_collection *args, size_t nargs, struct fhir_arena *arena,
                     struct fhir_collection *out, struct fhir_error *err)
{
	const cJSON *id =
	    item->kind == FHIR_VALUE_NODE ? cJSON_GetObjectItem(item->node, "id") : NULL;
	size_t len = strlen(trail);

	(void)ctx;
	(void)index;
	(void)nargs;
	(void)err;
	snprintf(trail + len, sizeof(trail) - len, "%s:%s ", args[0].items[0].u.string,
	         cJSON_IsString(id) ? id->valuestring : "?");
	fhir_collection_push_bool(out, arena, 1);
	return FHIR_OK;
}

struct outcome {
	int rc;
	char message[1024];
	size_t count;
	const cJSON *nodes[8];
};

/* Evaluates lets[0..n) in order (let i sees %v, %w and lets 0..i-1) with or without a plan;
 * fills got[i]; returns the number of grouped filters (0 without a plan). */
static size_t run(const char *const *lets, size_t n, int grouped, const cJSON *record,
                  struct outcome *got)
{
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path *paths[MAX_LETS] = {0};
	struct fhir_path_var vars[2 + MAX_LETS];
	const char *names[2 + MAX_LETS] = {"v", "w"};
	struct fhir_path_where_plan *plan = grouped ? fhir_path_where_plan_new() : NULL;
	struct fhir_collection in = {0};
	struct fhir_path_env env;
	struct fhir_error err;
	const cJSON *item;
	size_t i, sites;

	memset(vars, 0, sizeof(vars));
	vars[0].name = "v";
	vars[1].name = "w";
	cJSON_ArrayForEach(item, record)
	{
		fhir_collection_push_node(&vars[0].value, arena, item);
	}
	fhir_collection_push_bool(&vars[1].value, arena, 1);
	fhir_collection_push_bool(&in, arena, 1);
	for (i = 0; i < n; i++) {
		char name[24];

		snprintf(name, sizeof(name), "l%zu", i);
		vars[2 + i].name = names[2 + i] = strdup(name);
		CHECK(fhir_path_compile_host(lets[i], &host, &paths[i], &err) == FHIR_OK,
		      "%s does not compile: %s", lets[i], err.message);
		fhir_path_bind_variables(paths[i], names, 2 + n);
		if (plan != NULL)
			fhir_path_where_plan_add(plan, paths[i], names, 2 + i);
	}
	fhir_path_where_plan_seal(plan);
	sites = fhir_path_where_plan_sites(plan);
	memset(&env, 0, sizeof(env));
	env.arena = arena;
	env.vars = vars;
	env.host_call = host_call;
	env.where_state = fhir_path_where_state_new(plan, arena);
	trail[0] = '\0';
	for (i = 0; i < n; i++) {
		struct fhir_collection out;

		env.var_count = 2 + i;
		memset(&got[i], 0, sizeof(got[i]));
		memset(&err, 0, sizeof(err));
		got[i].rc = fhir_path_eval(paths[i], &in, &env, &out, &err);
		if (got[i].rc != FHIR_OK) {
			snprintf(got[i].message, sizeof(got[i].message), "%s at %s", err.message,
			         err.where);
			out.count = 0;
		}
		vars[2 + i].value = out;
		got[i].count = out.count;
		for (size_t k = 0; k < out.count && k < 8; k++)
			got[i].nodes[k] = out.items[k].node;
	}
	for (i = 0; i < n; i++) {
		fhir_path_free(paths[i]);
		free((char *)names[2 + i]);
	}
	fhir_path_where_plan_free(plan);
	fhir_arena_free(arena);
	return sites;
}

/* The lets give the same answers with and without the plan, which groups `sites` filters; with
 * it, note() saw the items in the order `order` (NULL: not checked). */
static void expect(const char *const *lets, size_t n, size_t sites, const char *order)
{
	cJSON *record =
	    cJSON_Parse("[{\"id\": \"a\", \"x\": 1}, {\"id\": \"b\", \"x\": 2, \"y\": 3},"
	                " {\"id\": \"c\", \"x\": 3}, {\"id\": \"d\"}]");
	struct outcome alone[MAX_LETS], together[MAX_LETS];
	char trail_alone[sizeof(trail)];

	CHECK(run(lets, n, 0, record, alone) == 0, "no plan, no sites");
	snprintf(trail_alone, sizeof(trail_alone), "%s", trail);
	CHECK(run(lets, n, 1, record, together) == sites,
	      "%s ...: %zu filters grouped, expected %zu", lets[0],
	      run(lets, n, 1, record, together), sites);
	for (size_t i = 0; i < n; i++) {
		CHECK(alone[i].rc == together[i].rc, "%s: status %d alone, %d grouped", lets[i],
		      alone[i].rc, together[i].rc);
		CHECK(strcmp(alone[i].message, together[i].message) == 0,
		      "%s: error '%s' alone, '%s' grouped", lets[i], alone[i].message,
		      together[i].message);
		CHECK(alone[i].count == together[i].count, "%s: %zu items alone, %zu grouped",
		      lets[i], alone[i].count, together[i].count);
		CHECK(memcmp(alone[i].nodes, together[i].nodes, sizeof(alone[i].nodes)) == 0,
		      "%s: other items grouped", lets[i]);
	}
	if (order != NULL)
		CHECK(strcmp(trail, order) == 0, "%s ...: note() order '%s', expected '%s'",
		      lets[0], trail, order);
	if (sites == 0)
		CHECK(strcmp(trail, trail_alone) == 0, "%s ...: nothing grouped, yet '%s' != '%s'",
		      lets[0], trail, trail_alone);
	cJSON_Delete(record);
}

int main(void)
{
	/* two filters of %v, the second in a union: one pass, item by item */
	const char *pair[] = {"%v.where(note('A') and x > 1)",
	                      "%w | %v.where(note('B') and x = 1)"};
	/* all kept (a view of %v), none kept, and a filter after another let's use */
	const char *kinds[] = {"%v.where(true)", "%v.where(false)", "%l0.count()",
	                       "%v.where(x.exists()).count()"};
	/* the first filter fails at item b ((x | y) is two items there): its error is the one it
	 * gives alone, and it stops there while the others go on */
	const char *failing[] = {"%v.where(note('A') and (x | y) > 1)",
	                         "%v.where(note('B') and id != 'c')", "%v.where(note('C'))"};
	/* a filter's answer filtered again, and a filter that fails on its first item */
	const char *empty[] = {"%v.where(x > 5).where(true)", "%v.where(x.single() = 'q' + 1)",
	                       "%v.where(y.exists())"};
	/* not grouped: under `and`, inside a function's argument, naming a let defined after the
	 * group starts (%l0), alone over %w */
	const char *kept_apart[] = {"%v.where(x = 1)", "%v.where(x = 2).exists() and true",
	                            "iif(true, %v.where(x = 3), {})", "%v.where(%l0.exists())",
	                            "%w.where(true)"};

	expect(pair, 2, 2, "A:a B:a A:b B:b A:c B:c A:d B:d ");
	expect(kinds, 4, 3, NULL);
	expect(failing, 3, 3, "A:a B:a C:a A:b B:b C:b B:c C:c B:d C:d ");
	expect(empty, 3, 3, NULL);
	expect(kept_apart, 5, 0, NULL);
	return testkit_done();
}
