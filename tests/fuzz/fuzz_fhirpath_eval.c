/* fuzz_fhirpath_eval.c — libFuzzer target: FHIRPath expression text and FHIR JSON together.
 * Input: the expression, a newline, then the JSON the expression is evaluated against (%resource;
 * resolve() looks inside it; memberOf() answers from a fake index). Any input must compile or
 * fail cleanly, and evaluate or fail cleanly, within the named limits (FHIR_PATH_MAX_TEXT,
 * FHIR_PATH_MAX_DEPTH, FHIR_PATH_MAX_ITEMS, FHIR__FP_MAX_PAIRS); ASan/UBSan report the rest.
 * Build: -DCDS_FUZZ=ON with clang (tests/fuzz/CMakeLists.txt); run: tests/fuzz/run.sh. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"

/* Largest JSON input taken (bigger inputs only slow the fuzzer down; the evaluator's own
 * limits are what is being tested). */
#define FUZZ_MAX_JSON 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_member_of(const void *ctx, const char *url, const char *system, const char *code)
{
	(void)ctx;
	(void)system;
	if (strstr(url, "unknown") != NULL)
		return -1;
	return code != NULL && code[0] != '\0' && (code[0] & 1);
}

static const cJSON *fake_resolve(const void *ctx, const char *reference)
{
	return fhir_find_reference(ctx, reference);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t expr_len = nl != NULL ? (size_t)(nl - data) : size;
	size_t json_len = nl != NULL ? size - expr_len - 1 : 0;
	char *expr;
	cJSON *doc = NULL;
	struct fhir_path *path = NULL;
	struct fhir_error err;

	if (json_len > FUZZ_MAX_JSON)
		return 0;
	expr = malloc(expr_len + 1);
	if (expr == NULL)
		return 0;
	memcpy(expr, data, expr_len);
	expr[expr_len] = '\0';
	memset(&err, 0, sizeof(err));
	if (fhir_path_compile(expr, &path, &err) == FHIR_OK) {
		struct fhir_arena *arena = fhir_arena_new();
		struct fhir_collection input = {NULL, 0, 0}, out = {NULL, 0, 0},
		                       resources = {NULL, 0, 0};
		struct fhir_path_env env;

		if (json_len > 0)
			doc = cJSON_ParseWithLength((const char *)nl + 1, json_len);
		if (doc != NULL) {
			fhir_collection_push_node(&input, arena, doc);
			fhir_bundle_resources(doc, arena, &resources, NULL, NULL);
		}
		memset(&env, 0, sizeof(env));
		env.arena = arena;
		env.member_of = fake_member_of;
		env.resolve = fake_resolve;
		env.resolve_ctx = &resources;
		fhir_datetime_parse("2025-06-15T12:00:00Z", &env.now, &err);
		{
			/* and again with a memo of answers (fhirpath_memo.c), twice: the same
			 * outcome and count, or it is a bug */
			struct fhir_path_memo *memo = fhir_path_memo_new();
			struct fhir_collection warm = {NULL, 0, 0};
			int rc = fhir_path_eval(path, &input, &env, &out, &err), warm_rc;

			env.memo = memo;
			warm_rc = fhir_path_eval(path, &input, &env, &warm, &err);
			if (warm_rc == rc)
				warm_rc = fhir_path_eval(path, &input, &env, &warm, &err);
			if (warm_rc != rc || (rc == FHIR_OK && warm.count != out.count))
				abort();
			fhir_path_memo_free(memo);
		}
		for (size_t i = 0; i < out.count; i++) /* touch every result */
			(void)fhir_collection_truth(&(struct fhir_collection){&out.items[i], 1, 1});
		fhir_arena_free(arena);
	}
	fhir_path_free(path);
	cJSON_Delete(doc);
	free(expr);
	return 0;
}
