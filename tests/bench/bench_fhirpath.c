/* bench_fhirpath.c — FHIRPath micro-benchmark: compiles every expression of the policies
 * (policies/NAME.policy.json; the keys the engine compiles: applies, when, expr, met, notMet,
 * unknown, metText) once and evaluates each against every resource of the decision vectors'
 * requests (tests/vectors/CASE/request.json: draftOrders and prefetch), each %variable bound to
 * all of that request's resources. Prints evaluations per second and the share that ended in
 * an evaluation error (e.g. singleton errors on the loose bindings). Figures only, no
 * assertions. Also prints the heap bytes the compiled expressions hold (mallinfo2), and how
 * `%c | %c` and `%c.code.coding.distinct()` scale with 10 to 10,000 Conditions in %c.
 * Usage: cds-bench-fhirpath SOURCE_DIR [ROUNDS] */
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fhir.h"

#define MAX_PATHS 4096
#define MAX_DOCS  256

static struct fhir_path *paths[MAX_PATHS];
static const char *texts[MAX_PATHS];
static size_t path_count, text_count;

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static int is_expr_key(const char *k)
{
	static const char *const keys[] = {"applies", "when",    "expr",   "met",
	                                   "notMet",  "unknown", "metText"};

	for (size_t i = 0; k != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i]) == 0)
			return 1;
	return 0;
}

static void collect(const cJSON *n)
{
	const cJSON *c;

	if (cJSON_IsString(n) && is_expr_key(n->string) && text_count < MAX_PATHS) {
		texts[text_count++] = n->valuestring;
		return;
	}
	cJSON_ArrayForEach(c, n)
	{
		collect(c);
	}
}

static void bind_var(void *ctx, const char *name)
{
	struct fhir_path_var *vars = ctx;
	size_t i;

	for (i = 0; vars[i].name != NULL; i++)
		if (strcmp(vars[i].name, name) == 0)
			return;
	if (i < 63) {
		vars[i].name = name;
		vars[i + 1].name = NULL;
	}
}

/* Compiles every collected expression once, printing the heap bytes they hold. */
static void compile_all(void)
{
	struct mallinfo2 before = mallinfo2(), after;
	struct fhir_error err;

	for (size_t i = 0; i < text_count; i++) {
		memset(&err, 0, sizeof(err));
		if (fhir_path_compile(texts[i], &paths[path_count], &err) == FHIR_OK)
			path_count++;
	}
	after = mallinfo2();
	printf("compiled expressions: %zu, heap held %zu bytes (%zu bytes each)\n", path_count,
	       after.uordblks - before.uordblks,
	       path_count ? (after.uordblks - before.uordblks) / path_count : 0);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* `%c | %c` over N Conditions (each its own node, all different) and the distinct codings of
 * their codes (half of them deep-equal copies): time per evaluation and per Condition. */
static void union_scaling(struct fhir_datetime now)
{
	static const char *const exprs[] = {"%c | %c", "%c.code.coding.distinct()"};
	static const int sizes[] = {10, 100, 1000, 10000};
	struct fhir_arena *arena = fhir_arena_new();

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int n = sizes[s];
		cJSON *all = cJSON_CreateArray();
		struct fhir_collection c = {NULL, 0, 0};
		struct fhir_arena *keep = fhir_arena_new();

		for (int i = 0; i < n; i++) {
			char text[512];

			snprintf(
			    text, sizeof(text),
			    "{\"resourceType\":\"Condition\",\"id\":\"c%d\",\"clinicalStatus\":"
			    "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
			    "condition-clinical\",\"code\":\"active\"}]},\"code\":{\"coding\":"
			    "[{\"system\":\"http://snomed.info/sct\",\"code\":\"%d\"}],"
			    "\"text\":\"condition %d\"},\"subject\":{\"reference\":"
			    "\"Patient/p1\"},\"recordedDate\":\"2024-01-%02d\"}",
			    i, 100000 + i / 2, i, 1 + i % 28);
			cJSON_AddItemToArray(all, cJSON_Parse(text));
		}
		for (cJSON *r = all->child; r != NULL; r = r->next)
			fhir_collection_push_node(&c, keep, r);
		for (size_t x = 0; x < sizeof(exprs) / sizeof(exprs[0]); x++) {
			struct fhir_path *path = NULL;
			struct fhir_path_var var = {"c", c};
			struct fhir_path_env env;
			struct fhir_collection out;
			struct fhir_error err;
			long reps = 0;
			double t0, t;
			int rc = 0;

			memset(&env, 0, sizeof(env));
			memset(&err, 0, sizeof(err));
			env.vars = &var;
			env.var_count = 1;
			env.now = now;
			env.arena = arena;
			if (fhir_path_compile(exprs[x], &path, &err) != FHIR_OK)
				continue;
			t0 = now_s();
			do {
				rc = fhir_path_eval(path, NULL, &env, &out, &err);
				fhir_arena_reset(arena);
				reps++;
				t = now_s() - t0;
			} while (t < 0.3 && reps < 100000);
			printf("scaling %-28s N=%5d: %10.1f us per evaluation, %7.3f us per "
			       "Condition%s%s\n",
			       exprs[x], n, t * 1e6 / (double)reps, t * 1e6 / (double)reps / n,
			       rc != 0 ? "; error: " : "", rc != 0 ? err.message : "");
			fhir_path_free(path);
		}
		cJSON_Delete(all);
		fhir_arena_free(keep);
	}
	fhir_arena_free(arena);
}

int main(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : ".";
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 20;
	char dir[1024], file[2048];
	cJSON *policies[64], *docs[MAX_DOCS];
	size_t policy_count = 0, doc_count = 0;
	struct fhir_arena *keep = fhir_arena_new(), *arena = fhir_arena_new();
	struct fhir_collection resources[MAX_DOCS];
	struct fhir_datetime now;
	struct fhir_error err;
	long evals = 0, failures = 0;
	struct timespec t0, t1;
	struct dirent *d;
	DIR *dp;
	double secs;

	snprintf(dir, sizeof(dir), "%s/policies", src);
	dp = opendir(dir);
	while (dp != NULL && (d = readdir(dp)) != NULL && policy_count < 64) {
		char *text;

		if (strstr(d->d_name, ".policy.json") == NULL)
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, d->d_name);
		text = read_all(file);
		if (text != NULL && (policies[policy_count] = cJSON_Parse(text)) != NULL)
			collect(policies[policy_count++]);
		free(text);
	}
	if (dp != NULL)
		closedir(dp);
	snprintf(dir, sizeof(dir), "%s/tests/vectors", src);
	dp = opendir(dir);
	while (dp != NULL && (d = readdir(dp)) != NULL && doc_count < MAX_DOCS) {
		char *text;
		const cJSON *p, *orders;

		if (d->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/request.json", dir, d->d_name);
		text = read_all(file);
		docs[doc_count] = text != NULL ? cJSON_Parse(text) : NULL;
		free(text);
		if (docs[doc_count] == NULL)
			continue;
		memset(&resources[doc_count], 0, sizeof(resources[doc_count]));
		orders = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(docs[doc_count], "context"), "draftOrders");
		fhir_bundle_resources(orders, keep, &resources[doc_count], NULL, NULL);
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(docs[doc_count], "prefetch"))
		{
			fhir_bundle_resources(p, keep, &resources[doc_count], NULL, NULL);
		}
		doc_count++;
	}
	if (dp != NULL)
		closedir(dp);
	memset(&err, 0, sizeof(err));
	fhir_datetime_parse("2025-06-15T12:00:00Z", &now, &err);
	compile_all();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long r = 0; r < rounds; r++) {
		for (size_t p = 0; p < path_count; p++) {
			struct fhir_path_var vars[64];

			vars[0].name = NULL;
			fhir_path_each_variable(paths[p], bind_var, vars);
			for (size_t doc = 0; doc < doc_count; doc++) {
				size_t nv = 0;

				for (; vars[nv].name != NULL; nv++)
					vars[nv].value = resources[doc];
				for (size_t i = 0; i < resources[doc].count; i++) {
					struct fhir_collection in = {&resources[doc].items[i], 1,
					                             1};
					struct fhir_collection out;
					struct fhir_path_env env;

					memset(&env, 0, sizeof(env));
					env.vars = vars;
					env.var_count = nv;
					env.now = now;
					env.arena = arena;
					failures +=
					    fhir_path_eval(paths[p], &in, &env, &out, &err) != 0;
					evals++;
					fhir_arena_reset(
					    arena); /* keeps its first block: no malloc */
				}
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("FHIRPath bench: %zu policy expressions (compiled once) x %zu vector requests' "
	       "resources, %ld rounds\n",
	       path_count, doc_count, rounds);
	printf("%ld evaluations in %.3f s: %.0f evaluations/s (%.2f us each); %.1f %% ended in an "
	       "evaluation error (loose variable bindings)\n",
	       evals, secs, secs > 0 ? (double)evals / secs : 0.0,
	       evals ? secs * 1e6 / (double)evals : 0.0,
	       evals ? 100.0 * (double)failures / (double)evals : 0.0);
	union_scaling(now);
	for (size_t i = 0; i < path_count; i++)
		fhir_path_free(paths[i]);
	for (size_t i = 0; i < policy_count; i++)
		cJSON_Delete(policies[i]);
	for (size_t i = 0; i < doc_count; i++)
		cJSON_Delete(docs[i]);
	fhir_arena_free(arena);
	fhir_arena_free(keep);
	return 0;
}
