/* test_big_alloc.c — large blocks on huge pages (fhir/big_alloc.c) and their users:
 *  - fhir_big_alloc gives zeroed, writable memory on a 2 MB boundary, for
 *    sizes from 1 byte to past several 2 MB pages; many blocks alive at once are told apart;
 *  - fhir_big_owns says yes to exactly the blocks alive (not to malloc memory, an address inside
 *    a block, or a block freed), so json_hooks.c's free routes each pointer the right way;
 *  - a request body of more than FHIR_BIG_MIN parsed in one block (json_block.c) is built on a
 *    big block, is the tree cJSON builds, and cJSON_Delete gives it back (a free() of it would
 *    abort in glibc; the ASan build checks for leaks);
 *  - an arena's allocation over FHIR_BIG_MIN is zeroed after the arena's memory was dirtied and
 *    released, and the arena keeps working across resets (arena.c's block_free). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"
#include "testkit.h"

#define TWO_MB ((uintptr_t)2 * 1024 * 1024)
#define BLOCKS 12

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void test_blocks(void)
{
	static const size_t sizes[BLOCKS] = {1,
	                                     64,
	                                     4096,
	                                     FHIR_BIG_MIN - 1,
	                                     FHIR_BIG_MIN,
	                                     2 * 1024 * 1024 - 64,
	                                     2 * 1024 * 1024 - 63,
	                                     2 * 1024 * 1024,
	                                     3 * 1024 * 1024 + 1,
	                                     5 * 1024 * 1024,
	                                     17,
	                                     FHIR_BIG_MIN + 4096};
	unsigned char *p[BLOCKS];
	void *m = malloc(3 * 1024 * 1024);

	for (size_t i = 0; i < BLOCKS; i++) {
		p[i] = fhir_big_alloc(sizes[i]);
		CHECK(p[i] != NULL, "block %zu", i);
		CHECK(((uintptr_t)p[i] & (TWO_MB - 1)) == 0,
		      "block %zu starts on a 2 MB boundary (%p)", i, (void *)p[i]);
		CHECK(all_zero(p[i], sizes[i]), "block %zu of %zu bytes is zeroed", i, sizes[i]);
		memset(p[i], (int)(i + 1), sizes[i]); /* every byte writable */
	}
	for (size_t i = 0; i < BLOCKS; i++) {
		CHECK(fhir_big_owns(p[i]), "block %zu is known", i);
		CHECK(p[i][0] == i + 1 && p[i][sizes[i] - 1] == i + 1,
		      "block %zu kept its bytes while the others were written", i);
		CHECK(!fhir_big_owns(p[i] + 64) && !fhir_big_owns(p[i] - 64),
		      "an address inside or before block %zu is not a block", i);
	}
	CHECK(!fhir_big_owns(m) && !fhir_big_owns(NULL), "malloc memory and NULL are not blocks");
	/* freed out of order: the others stay known */
	for (size_t i = 0; i < BLOCKS; i += 2) {
		fhir_big_free(p[i]);
		CHECK(!fhir_big_owns(p[i]), "block %zu freed is not known", i);
	}
	for (size_t i = 1; i < BLOCKS; i += 2) {
		CHECK(fhir_big_owns(p[i]), "block %zu still known", i);
		fhir_big_free(p[i]);
	}
	fhir_big_free(NULL);
	free(m);
}

/* A request-like body of `n` small objects: {"entry":[{"resource":{...}}, ...]}. */
static char *body_of(size_t n, size_t *length)
{
	size_t cap = 64 + n * 128, len = 0;
	char *s = malloc(cap);

	len += (size_t)snprintf(s + len, cap - len, "{\"entry\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(
		    s + len, cap - len,
		    "%s{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c%zu\","
		    "\"code\":{\"text\":\"knee pain %zu\"},\"n\":%zu}}",
		    i ? "," : "", i, i % 97, i);
	len += (size_t)snprintf(s + len, cap - len, "]}");
	*length = len;
	return s;
}

static void test_json_body(void)
{
	struct fhir_json_limits block = {
	    .max_depth = 64, .max_items = 1000000, .subject = "the body", .one_block = 1};
	size_t length;
	char *text = body_of(20000, &length); /* about 1.6 MB of text, 5 MB of nodes */
	cJSON *tree = NULL, *plain = cJSON_ParseWithLength(text, length);
	struct fhir_error err;

	CHECK(fhir_json_parse_limited(text, length, &block, &tree, &err) == FHIR_OK, "%s",
	      err.message);
	CHECK(tree != NULL && (tree->type & cJSON_IsReference), "built in one block");
	CHECK(tree != NULL && fhir_big_owns(tree), "on a big block (%zu bytes of text)", length);
	CHECK(tree != NULL && plain != NULL && cJSON_Compare(tree, plain, 1),
	      "the same tree as cJSON's");
	cJSON_Delete(tree); /* through json_hooks.c: unmapped, not free()d */
	CHECK(!fhir_big_owns(tree), "given back by cJSON_Delete");
	cJSON_Delete(plain);
	free(text);
}

static void test_arena(void)
{
	struct fhir_arena *a = fhir_arena_new();

	for (int round = 0; round < 3; round++) {
		size_t big = FHIR_BIG_MIN + (size_t)round * 700000;
		unsigned char *p = fhir_arena_alloc(a, big);
		unsigned char *q = fhir_arena_alloc_raw(a, 5000);

		CHECK(all_zero(p, big), "round %d: a big allocation is zeroed", round);
		CHECK(((uintptr_t)p & 15) == 0, "round %d: 16-byte aligned", round);
		memset(p, 0xA5, big);
		memset(q, 0x5A, 5000);
		if (round == 1) {
			struct fhir_arena_mark mk = fhir_arena_mark(a);
			unsigned char *r = fhir_arena_alloc(a, 2 * FHIR_BIG_MIN);

			CHECK(all_zero(r, 2 * FHIR_BIG_MIN), "a big allocation after a mark");
			fhir_arena_release(a, mk); /* gives that block back */
		}
		fhir_arena_reset(a); /* gives the big blocks back */
	}
	fhir_arena_free(a);
}

int main(void)
{
	test_blocks();
	test_json_body();
	test_arena();
	return testkit_done();
}
