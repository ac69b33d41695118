/* test_fhirpath_union.c — a union of at most 8 items compares pairs (fhir__fp_union's small
 * path) and must keep exactly the items, in the order, that filing them in the hash set keeps
 * (fhirpath_set.c): numbers equal across Integer and Decimal, dates at their precision, JSON
 * strings read as dates, quantities across units, elements equal by content or by identity,
 * TypeInfo items never equal. White-box: it builds the evaluation context itself. */
#include <stdio.h>
#include <string.h>

#include "fhirpath_internal.h"
#include "testkit.h"

/* Compiled expressions, held until the end: results may share a literal's value. */
static struct fhir_path *held[64];
static size_t held_count;

/* The items of `expr` evaluated against `json` (NEW in arena, or the held expression's). */
static struct fhir_collection items_of(struct fhir_arena *arena, const char *expr,
                                       const cJSON *json)
{
	struct fhir_collection in = {0}, out = {0};
	struct fhir_path_env env;
	struct fhir_path *path = NULL;
	struct fhir_error err;

	memset(&env, 0, sizeof(env));
	env.arena = arena;
	fhir_collection_push_node(&in, arena, json);
	if (fhir_path_compile(expr, &path, &err) != FHIR_OK ||
	    fhir_path_eval(path, &in, &env, &out, &err) != FHIR_OK) {
		CHECK(0, "%s: %s", expr, err.message);
		memset(&out, 0, sizeof(out));
	}
	if (held_count < sizeof(held) / sizeof(held[0]))
		held[held_count++] = path;
	else
		fhir_path_free(path); /* (not reached: the checks below hold fewer) */
	return out;
}

/* a then b through the hash set, as fhir__fp_union files items past its small size. */
static struct fhir_collection by_set(struct fhir_arena *arena, const struct fhir_collection *a,
                                     const struct fhir_collection *b)
{
	struct fhir_collection out = {0};
	const struct fhir_collection *both[2] = {a, b};
	struct fhir__fp_set s;

	fhir__fp_set_init(&s, arena, a->count + b->count, 0);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < both[k]->count; i++)
			if (fhir__fp_set_add(&s, &both[k]->items[i]))
				fhir_collection_push(&out, arena, &both[k]->items[i]);
	return out;
}

static void check_pair(struct fhir_arena *arena, const cJSON *json, const char *left,
                       const char *right)
{
	struct fhir_collection a = items_of(arena, left, json), b = items_of(arena, right, json);
	struct fhir_collection small = {0}, want = by_set(arena, &a, &b);
	struct fhir_path_env env;
	struct fhir_error err;
	struct fhir__fp_ev e;
	int same;

	memset(&env, 0, sizeof(env));
	memset(&e, 0, sizeof(e));
	env.arena = arena;
	e.env = &env;
	e.arena = arena;
	e.err = &err;
	CHECK(a.count + b.count <= 8, "%s | %s: %zu items, the small path", left, right,
	      a.count + b.count);
	CHECK(fhir__fp_union(&e, &a, &b, &small) == 0, "%s | %s", left, right);
	same = small.count == want.count;
	for (size_t i = 0; same && i < small.count; i++)
		same = memcmp(&small.items[i], &want.items[i], sizeof(small.items[i])) == 0;
	CHECK(same, "%s | %s: %zu items kept, the set keeps %zu", left, right, small.count,
	      want.count);
}

int main(void)
{
	static const char json_text[] =
	    "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\","
	    "\"effectiveDateTime\":\"2024-05-01\",\"issued\":\"2024-05-01T10:00:00Z\","
	    "\"code\":{\"coding\":[{\"system\":\"s\",\"code\":\"a\"},{\"system\":\"s\",\"code\":"
	    "\"a\"},{\"code\":\"a\",\"system\":\"s\"}]},"
	    "\"valueQuantity\":{\"value\":2,\"unit\":\"cm\",\"code\":\"cm\"},"
	    "\"component\":[{\"valueQuantity\":{\"value\":0.02,\"code\":\"m\"}},"
	    "{\"valueInteger\":2}]}";
	cJSON *json = cJSON_Parse(json_text);
	struct fhir_arena *arena = fhir_arena_new();

	CHECK(json != NULL, "%s", "the test resource parses");
	if (json == NULL)
		return testkit_done();
	check_pair(arena, json, "1 | 2", "1.0 | 3");
	check_pair(arena, json, "1 | 1.00000000001", "2");
	check_pair(arena, json, "'a' | 'b'", "'a' | 'c'");
	check_pair(arena, json, "@2024-05-01 | @2024-05", "effective.ofType(dateTime) | @2024");
	check_pair(arena, json, "issued", "@2024-05-01T12:00:00+02:00 | @2024-05-01T10:00:00Z");
	check_pair(arena, json, "valueQuantity", "component.value.ofType(Quantity) | 2 'cm'");
	check_pair(arena, json, "code.coding", "code.coding.first()");
	check_pair(arena, json, "component.value", "2 | 2.0");
	check_pair(arena, json, "status | status.type()", "status.type() | 'final'");
	check_pair(arena, json, "true | false", "code.coding.exists()");
	check_pair(arena, json, "{}", "{}");
	check_pair(arena, json, "id", "'o1' | %resource");
	fhir_arena_free(arena);
	for (size_t i = 0; i < held_count; i++)
		fhir_path_free(held[i]);
	cJSON_Delete(json);
	return testkit_done();
}
