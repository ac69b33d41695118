/* test_fhirpath_skip.c — `and`/`or` leaving their right operand unevaluated when the left settles
 * the answer (fhir_path_env.and_or_skip; issue 12 item 3). Every expression gives the same answer
 * (or the same error) with and without it; the right operand is skipped (its host function not
 * called) only when it can neither fail nor yield more than one item: a host function promised
 * quiet with literal arguments, paths, where(), exists(), |; not a host function promising nothing,
 * one with a non-literal argument, one answering several items unless reduced to one, an
 * undefined %variable, a collection of two items, or without host_call. */
#include <stdio.h>
#include <string.h>

#include "testkit.h"

static int calls;

/* probe(): true for each item; many(): two items for each; loud(): true, promising nothing. */
static const struct fhir_path_host_function functions[] = {
    {"probe", 0, 1, FHIR_PATH_HOST_SURE | FHIR_PATH_HOST_ONE},
    {"many", 0, 1, FHIR_PATH_HOST_SURE},
    {"loud", 0, 1, 0},
};
static const struct fhir_path_host host = {functions, 3, 1};

static int host_call(const void *ctx, size_t index, const struct fhir_value *item,
                     const struct fhir_collection *args, size_t nargs, struct fhir_arena *arena,
                     struct fhir_collection *out, struct fhir_error *err)
{
	(void)ctx;
	(void)item;
	(void)args;
	(void)nargs;
	(void)err;
	calls++;
	fhir_collection_push_bool(out, arena, 1);
	if (index == 1)
		fhir_collection_push_bool(out, arena, 0);
	return FHIR_OK;
}

/* Evaluates text on {"a": {"b": 1}} into `got` ("error", "{}", "true", "false" or "items:N");
 * returns how many times the host was called. */
static int run(const char *text, int skip, int with_host, char *got, size_t size)
{
	struct fhir_arena *arena = fhir_arena_new();
	cJSON *json = cJSON_Parse("{\"a\": {\"b\": 1}}");
	struct fhir_collection in = {0}, out = {0};
	struct fhir_path_var var = {"v", {0}};
	struct fhir_path_env env;
	struct fhir_path *path = NULL;
	struct fhir_error err;
	int rc;

	fhir_collection_push_node(&in, arena, json);
	fhir_collection_push_bool(&var.value, arena, 1);
	memset(&env, 0, sizeof(env));
	env.arena = arena;
	env.vars = &var;
	env.var_count = 1;
	env.host_call = with_host ? host_call : NULL;
	env.and_or_skip = skip;
	calls = 0;
	rc = fhir_path_compile_host(text, &host, &path, &err);
	CHECK(rc == FHIR_OK, "%s: does not compile: %s", text, err.message);
	rc = rc == FHIR_OK ? fhir_path_eval(path, &in, &env, &out, &err) : rc;
	if (rc != FHIR_OK)
		snprintf(got, size, "error");
	else if (out.count == 0)
		snprintf(got, size, "{}");
	else if (out.count == 1 && out.items[0].kind == FHIR_VALUE_BOOLEAN)
		snprintf(got, size, "%s", out.items[0].u.boolean ? "true" : "false");
	else
		snprintf(got, size, "items:%zu", out.count);
	fhir_path_free(path);
	cJSON_Delete(json);
	fhir_arena_free(arena);
	return calls;
}

/* The answer of text with and without skipping is `want`; with skipping the host is called
 * `skipped_calls` times (without: `calls_without`). */
static void expect(const char *text, const char *want, int calls_without, int skipped_calls,
                   int with_host)
{
	char off[32], on[32];
	int n_off = run(text, 0, with_host, off, sizeof(off));
	int n_on = run(text, 1, with_host, on, sizeof(on));

	CHECK(strcmp(off, want) == 0, "%s: %s without skipping, expected %s", text, off, want);
	CHECK(strcmp(on, want) == 0, "%s: %s with skipping, expected %s", text, on, want);
	CHECK(n_off == calls_without, "%s: host called %d times without skipping, expected %d",
	      text, n_off, calls_without);
	CHECK(n_on == skipped_calls, "%s: host called %d times with skipping, expected %d", text,
	      n_on, skipped_calls);
}

int main(void)
{
	/* skipped: a quiet host function with literal arguments, alone or inside quiet paths */
	expect("false and probe('x')", "false", 1, 0, 1);
	expect("true or probe('x')", "true", 1, 0, 1);
	expect("a.b = 2 and probe()", "false", 1, 0, 1);
	expect("false and (a | a.b).where(probe('q')).exists()", "false", 2, 0, 1);
	expect("false and many('x').exists()", "false", 1, 0, 1);
	expect("false and a.where(probe('q') or b.exists()).empty().not()", "false", 1, 0, 1);
	expect("false and %v.exists()", "false", 0, 0, 1);
	/* evaluated: the left does not settle it */
	expect("true and probe('x')", "true", 1, 1, 1);
	expect("false or probe('x')", "true", 1, 1, 1);
	expect("{} and probe('x')", "{}", 1, 1, 1);
	/* evaluated: the right could fail or yield several items */
	expect("false and loud('x')", "false", 1, 1, 1);
	expect("false and probe(a.b.toString())", "false", 1, 1, 1);
	expect("false and many('x')", "error", 1, 1, 1);
	expect("false and (1 | 2)", "error", 0, 0, 1);
	expect("false and %undefined.exists()", "error", 0, 0, 1);
	expect("false and probe('x')", "error", 0, 0, 0);
	expect("false and a.b.single() = 1", "false", 0, 0, 1);
	/* a left that fails still fails */
	expect("(1 | 2) and probe('x')", "error", 1, 1, 1);
	return testkit_done();
}
