/* test_path_pool.c — expressions compiled once per distinct text (engine/path_pool.c) and the
 * shared compiled expression they rest on (fhir_path_share): the same text gives the same tree,
 * another text another; a held expression outlives the pool and its other holders and still
 * evaluates; a text that does not compile is reported each time and never remembered; a NULL
 * pool compiles. Under ASan the frees in every order are checked too. */
#include <stdio.h>
#include <string.h>

#include "testkit.h"

#include "path_pool.h"

#define OK(c) CHECK(c, "%s", "")

/* The expression's single Boolean on an empty input, or -1. */
static int truth(const struct fhir_path *path)
{
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path_env env;
	struct fhir_collection in = {0}, out = {0};
	struct fhir_error err;
	int t = -1;

	memset(&env, 0, sizeof(env));
	env.arena = arena;
	if (fhir_path_eval(path, &in, &env, &out, &err) == FHIR_OK && out.count == 1 &&
	    out.items[0].kind == FHIR_VALUE_BOOLEAN)
		t = out.items[0].u.boolean;
	fhir_arena_free(arena);
	return t;
}

static void test_share(void)
{
	struct engine__path_pool *pool = engine__path_pool_new();
	struct fhir_path *a = NULL, *b = NULL, *c = NULL, *bad = NULL;
	struct fhir_error err;
	char text[64];
	size_t compiled, shared;

	OK(engine__path_pool_compile(pool, "1 + 1 = 2", &a, &err) == FHIR_OK && a != NULL);
	/* the same text from another buffer: the pool compares text, not pointers */
	snprintf(text, sizeof(text), "%s", "1 + 1 = 2");
	OK(engine__path_pool_compile(pool, text, &b, &err) == FHIR_OK && b == a);
	OK(engine__path_pool_compile(pool, "1 + 1 = 3", &c, &err) == FHIR_OK && c != a);
	OK(engine__path_pool_compile(pool, "1 +", &bad, &err) == FHIR_ERR_SYNTAX && bad == NULL);
	OK(engine__path_pool_compile(pool, "1 +", &bad, &err) == FHIR_ERR_SYNTAX && bad == NULL);
	engine__path_pool_counts(pool, &compiled, &shared);
	CHECK(compiled == 2 && shared == 1, "compiled %zu, shared %zu", compiled, shared);
	OK(strcmp(fhir_path_text(a), "1 + 1 = 2") == 0);
	/* holders let go in any order; the last one frees */
	engine__path_pool_free(pool);
	OK(truth(a) == 1 && truth(c) == 0);
	fhir_path_free(a);
	OK(truth(b) == 1); /* b is a: still held */
	fhir_path_free(b);
	fhir_path_free(c);
}

static void test_many(void)
{
	enum { TEXTS = 300, ROUNDS = 3 };
	struct engine__path_pool *pool = engine__path_pool_new();
	static struct fhir_path *held[ROUNDS][TEXTS];
	struct fhir_error err;
	size_t compiled, shared;
	int ok = 1;

	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < TEXTS; i++) {
			char text[64];

			snprintf(text, sizeof(text), "%d + 0 = %d", i, i);
			ok &= engine__path_pool_compile(pool, text, &held[r][i], &err) == FHIR_OK;
			ok &= r == 0 || held[r][i] == held[0][i];
		}
	CHECK(ok, "%s", "every round gets the first round's expressions");
	engine__path_pool_counts(pool, &compiled, &shared);
	CHECK(compiled == TEXTS && shared == TEXTS * (ROUNDS - 1), "compiled %zu, shared %zu",
	      compiled, shared);
	for (int r = 0; r < ROUNDS; r++) {
		if (r == 1)
			engine__path_pool_free(pool); /* in the middle of the holders */
		for (int i = 0; i < TEXTS; i++) {
			if (r == ROUNDS - 1)
				ok &= truth(held[r][i]) == 1;
			fhir_path_free(held[r][i]);
		}
	}
	CHECK(ok, "%s", "the last holders still evaluate");
}

static void test_no_pool(void)
{
	struct fhir_path *a = NULL, *b = NULL;
	struct fhir_error err;

	OK(engine__path_pool_compile(NULL, "true", &a, &err) == FHIR_OK);
	OK(engine__path_pool_compile(NULL, "true", &b, &err) == FHIR_OK && b != a);
	OK(fhir_path_share(a) == a);
	fhir_path_free(a);
	OK(truth(a) == 1);
	fhir_path_free(a);
	fhir_path_free(b);
	fhir_path_free(NULL);
	OK(fhir_path_share(NULL) == NULL);
}

int main(void)
{
	test_share();
	test_many();
	test_no_pool();
	return testkit_done();
}
