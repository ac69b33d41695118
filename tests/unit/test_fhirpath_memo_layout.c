/* test_fhirpath_memo_layout.c — the FHIRPath memo's table of answers (fhir/fhirpath_memo.c)
 * keeps its answers near their home slots and gives the right answers, whatever the record's
 * shape. White-box: for records whose items all have the same number of nodes, powers of two
 * among them (the shape that stacks answers on a few homes when the home follows the node's
 * position without a hash: tried in round 11), built in one block (json_block.c, nodes 64
 * bytes apart) and by cJSON (malloc'd nodes), with the table grown as it fills and reserved as
 * the engine reserves it:
 *  - every count is what the items say, with the memo and without it, and again from the memo;
 *  - the answers sit near their homes: on average at most MEAN_MAX slots on, and none more
 *    than LONGEST_MAX (pathological clustering fails here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhirpath_internal.h"
#include "testkit.h"

#define ITEMS 6000
/* At 3/4 full (the table grown as it fills) the address hash gives 2.9-3.4 slots on average
 * and up to 250; homes by position (node k in group k) gave 22-93 for 16-64 nodes an item. */
#define MEAN_MAX    6.0
#define LONGEST_MAX 400

static const char *const exprs[] = {
    "items.where(a.where($this = 1).exists()).count()",
    "items.where(a.where($this = 2).empty()).count()",
};

/* {"items":[{"a":k%3,"p":[0,...]},...]}: each item nodes_per_item nodes (>= 3). */
static char *record(size_t nodes_per_item, size_t *length, long long want[2])
{
	size_t cap = 64 + ITEMS * (32 + 2 * nodes_per_item), len = 0;
	char *s = malloc(cap);

	want[0] = want[1] = 0;
	len += (size_t)snprintf(s + len, cap - len, "{\"items\":[");
	for (size_t i = 0; i < ITEMS; i++) {
		len += (size_t)snprintf(s + len, cap - len, "%s{\"a\":%zu,\"p\":[", i ? "," : "",
		                        i % 3);
		for (size_t k = 0; k + 3 < nodes_per_item; k++)
			len += (size_t)snprintf(s + len, cap - len, "%s0", k ? "," : "");
		len += (size_t)snprintf(s + len, cap - len, "]}");
		want[0] += i % 3 == 1;
		want[1] += i % 3 != 2;
	}
	len += (size_t)snprintf(s + len, cap - len, "]}");
	*length = len;
	return s;
}

/* Evaluates both expressions twice against doc with a memo (reserved for `reserve` answers
 * when > 0) and once without; checks counts and the layout. */
static void check(const cJSON *doc, const long long want[2], size_t reserve, const char *what)
{
	struct fhir_path *paths[2] = {NULL, NULL};
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path_memo *memo = fhir_path_memo_new();
	size_t longest = 0, sum;

	for (size_t k = 0; k < 2; k++) {
		struct fhir_error err;

		CHECK(fhir_path_compile(exprs[k], &paths[k], &err) == FHIR_OK, "%s", err.message);
	}
	if (reserve > 0)
		fhir_path_memo_reserve(memo, reserve);
	for (int round = 0; round < 3; round++)
		for (size_t k = 0; k < 2 && paths[k] != NULL; k++) {
			struct fhir_collection in = {NULL, 0, 0}, out;
			struct fhir_path_env env;
			struct fhir_error err;

			memset(&env, 0, sizeof(env));
			env.arena = arena;
			env.memo = round < 2 ? memo : NULL; /* the last round without it */
			fhir_collection_push_node(&in, arena, doc);
			CHECK(fhir_path_eval(paths[k], &in, &env, &out, &err) == FHIR_OK &&
			          out.count == 1 && out.items[0].kind == FHIR_VALUE_INTEGER &&
			          out.items[0].u.integer == want[k],
			      "%s, round %d: %s gives %lld", what, round, exprs[k], want[k]);
		}
	CHECK(fhir__fp_memo_answers(memo) == 2 * ITEMS, "%s: an answer per item and expression",
	      what);
	sum = fhir__fp_memo_displacement(memo, &longest);
	CHECK((double)sum / (2.0 * ITEMS) <= MEAN_MAX && longest <= LONGEST_MAX,
	      "%s: answers %.2f slots from home on average (at most %.1f), %zu at most (at most "
	      "%d)",
	      what, (double)sum / (2.0 * ITEMS), MEAN_MAX, longest, LONGEST_MAX);
	fhir_path_memo_free(memo);
	fhir_arena_free(arena);
	for (size_t k = 0; k < 2; k++)
		fhir_path_free(paths[k]);
}

int main(void)
{
	static const size_t shapes[] = {4, 16, 32, 39, 64};
	struct fhir_json_limits block = {
	    .max_depth = 64, .max_items = 1000000, .subject = "the record", .one_block = 1};

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		long long want[2];
		size_t length;
		char *text = record(shapes[s], &length, want);
		cJSON *one = NULL, *plain = cJSON_ParseWithLength(text, length);
		struct fhir_error err;
		char what[96];

		CHECK(fhir_json_parse_limited(text, length, &block, &one, &err) == FHIR_OK &&
		          (one->type & cJSON_IsReference),
		      "%zu nodes an item: parsed in one block", shapes[s]);
		for (int reserved = 0; reserved < 2; reserved++) {
			size_t reserve = reserved ? 8 * ITEMS : 0; /* as engine/assess.c reserves */

			snprintf(what, sizeof(what), "one block, %zu nodes an item, %s", shapes[s],
			         reserved ? "reserved" : "grown");
			if (one != NULL)
				check(one, want, reserve, what);
			snprintf(what, sizeof(what), "cJSON, %zu nodes an item, %s", shapes[s],
			         reserved ? "reserved" : "grown");
			if (plain != NULL)
				check(plain, want, reserve, what);
		}
		cJSON_Delete(one);
		cJSON_Delete(plain);
		free(text);
	}
	return testkit_done();
}
