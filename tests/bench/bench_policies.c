/* bench_policies.c — the policy-count table (issue 12 item 7): for 3, 30, 300 and 1,000 loaded
 * policies, the engine's p50 on a text-only order and on a coded order, idle RSS after load and
 * start-up time (engine_load: parse, compile, check). Each size is measured in a forked child so
 * that RSS is that size's alone. It prints figures and asserts nothing (no timed tests).
 *
 * The policies beyond the three shipped ones are synthetic copies of them (synthetic_policies
 * below): distinct ids, the same criteria and outcomes, and trigger vocabularies that do not
 * fire on the benchmark orders (text triggers that need a concept the order does not name;
 * ValueSet triggers on a ValueSet of other codes). So every extra policy costs only what
 * deciding that it does not apply costs.
 *
 * Columns: engine p50 of the text-only order; p50 of engine_needs on it (triggering alone: which
 * policies fire and what data they need); engine p50 of the coded order; engine p50 of the
 * text-only request with its coded draft order selected instead ("coded SR": the UK knee
 * example's SNOMED CT MRI order, triggered through the ValueSet index); idle RSS; start-up;
 * (order, policy) pairs assessed per request of each kind. All times p50 over ITERATIONS runs;
 * start-up is wall time and, in brackets, CPU time (the machine is shared).
 *
 * Usage: cds-bench-policies [--distinct] [ITERATIONS] TEXT-ORDER.json CODED-ORDER.json [SIZE...]
 *        cds-bench-policies [--distinct] --write DIR N   (writes the policies folder with N
 *                                            policies to DIR, for `cds-commissioning serve
 *                                            --policies DIR`)
 * --distinct gives every copy's expressions a text of their own (a comment), so that none is
 * compiled once for several policies (engine/path_pool.c): policies that share no expression. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "engine.h"

/* The evaluation instant: every shipped policy is in force (the latest effectiveFrom is
 * 2025-07-01) and none past review. */
#define BENCH_NOW "2026-01-15T12:00:00Z"

/* Concepts of policies/vocabulary/ that the benchmark orders ("Ultrasound-guided injection of
 * right knee joint", "MRI right knee") do not mention: each synthetic trigger needs one. */
static const char *const absent_concepts[] = {"facet-joint",      "sacroiliac-joint",
                                              "epidural",         "nerve-root-block",
                                              "fracture",         "dislocation",
                                              "obesity",          "malignancy",
                                              "infection",        "physiotherapy",
                                              "orthosis",         "cauda-equina-syndrome",
                                              "soft-tissue-lump", "degenerative-sacroiliitis",
                                              "anticoagulant",    "calcium"};
#define ABSENT_COUNT (sizeof(absent_concepts) / sizeof(absent_concepts[0]))

/* The ValueSet the synthetic ValueSet-triggered copies use: SNOMED codes (so the copies know
 * SNOMED CT and judge a SNOMED-coded order by its code) that no benchmark order carries. */
static const char synthetic_valueset[] =
    "{\"resourceType\":\"ValueSet\",\"id\":\"bench-synthetic\",\"url\":"
    "\"urn:cds-commissioning:ValueSet:bench-synthetic\",\"status\":\"active\",\"compose\":{"
    "\"include\":[{\"system\":\"http://snomed.info/sct\",\"concept\":[{\"code\":\"77477000\"}]}]}}";

static char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		abort();
	return copy;
}

/* --distinct: every synthetic copy's expressions differ in text (a comment naming the copy), so
 * the engine cannot compile an expression once for many policies (engine/path_pool.c): the
 * figure for policies that share no expression text. */
static int distinct;

static const char *const expression_keys[] = {"expr",    "applies", "met", "metText",
                                              "unknown", "notMet",  "when"};

/* Appends " // bench copy i" to every expression below node (the keys policies hold FHIRPath
 * in; policies/README.md). */
static void make_distinct(cJSON *node, size_t i)
{
	cJSON *child;

	cJSON_ArrayForEach(child, node)
	{
		int expression = 0;

		for (size_t k = 0; child->string != NULL &&
		                   k < sizeof(expression_keys) / sizeof(expression_keys[0]);
		     k++)
			expression |= strcmp(child->string, expression_keys[k]) == 0;
		if (expression && cJSON_IsString(child)) {
			size_t len = strlen(child->valuestring) + 64;
			char *text = malloc(len);

			if (text == NULL)
				abort();
			snprintf(text, len, "%s /* bench copy %zu */", child->valuestring, i);
			cJSON_SetValuestring(child, text);
			free(text);
		} else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
			make_distinct(child, i);
		}
	}
}

/* One synthetic copy of `seed` (a shipped policy), number i: id "<seed id>-bench-<i>" and a
 * trigger that does not fire on the benchmark orders. NEW text. */
static char *synthetic_policy(const cJSON *seed, size_t i)
{
	cJSON *p = cJSON_Duplicate(seed, 1);
	cJSON *trigger = cJSON_GetObjectItemCaseSensitive(p, "trigger");
	cJSON *all = cJSON_GetObjectItemCaseSensitive(trigger, "all");
	const char *absent = absent_concepts[i % ABSENT_COUNT];
	char id[160];
	char *text;

	snprintf(id, sizeof(id), "%s-bench-%zu",
	         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "id")), i);
	cJSON_ReplaceItemInObjectCaseSensitive(p, "id", cJSON_CreateString(id));
	if (cJSON_GetObjectItemCaseSensitive(trigger, "valueSets") != NULL) {
		cJSON *sets = cJSON_CreateArray();

		cJSON_AddItemToArray(
		    sets, cJSON_CreateString("urn:cds-commissioning:ValueSet:bench-synthetic"));
		cJSON_ReplaceItemInObjectCaseSensitive(trigger, "valueSets", sets);
	}
	/* one more `all` group the orders do not satisfy: the other groups are still matched */
	if (cJSON_IsArray(all))
		cJSON_AddItemToArray(all, cJSON_CreateString(absent));
	if (distinct)
		make_distinct(p, i);
	text = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	if (text == NULL)
		abort();
	return text;
}

/* The embedded configuration (policies/) plus count - 3 synthetic policies (count >= 3), as
 * engine files. NEW: *out (names and texts of the added files owned; free_files). */
static struct engine_file *with_synthetic(size_t count, size_t *n_out)
{
	size_t base = engine_embedded_file_count, extra = count > 3 ? count - 3 : 0;
	struct engine_file *files = calloc(base + extra + 1, sizeof(*files));
	cJSON *seeds[3];
	size_t nseeds = 0, i, n = base;

	if (files == NULL)
		abort();
	memcpy(files, engine_embedded_files, base * sizeof(*files));
	for (i = 0; i < base && nseeds < 3; i++) {
		const char *name = engine_embedded_files[i].name;

		if (strlen(name) > 12 && strcmp(name + strlen(name) - 12, ".policy.json") == 0 &&
		    strchr(name, '/') == NULL)
			seeds[nseeds++] = cJSON_Parse(engine_embedded_files[i].text);
	}
	if (nseeds == 0)
		abort();
	if (extra > 0) {
		files[n].name = xstrdup("valuesets/bench-synthetic.json");
		files[n].text = xstrdup(synthetic_valueset);
		files[n].length = strlen(files[n].text);
		n++;
	}
	for (i = 0; i < extra; i++) {
		char name[64];

		snprintf(name, sizeof(name), "bench-%zu.policy.json", i);
		files[n].name = xstrdup(name);
		files[n].text = synthetic_policy(seeds[i % nseeds], i);
		files[n].length = strlen(files[n].text);
		n++;
	}
	for (i = 0; i < nseeds; i++)
		cJSON_Delete(seeds[i]);
	*n_out = n;
	return files;
}

static void free_files(struct engine_file *files, size_t n)
{
	for (size_t i = engine_embedded_file_count; i < n; i++) {
		free((char *)files[i].name);
		free((char *)files[i].text);
	}
	free(files);
}

static void print_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	int *shown = ctx;

	if ((*shown)++ < 5)
		fprintf(stderr, "  load: %s#%s: %s\n", file, pointer, message);
}

/* VmRSS of this process in kB, or 0. */
static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* p50 in microseconds of `iterations` engine_needs calls on request: deciding which policies
 * the orders trigger (and what data they need), without assessing them. */
static double needs_p50(const struct engine *e, const cJSON *request, size_t iterations)
{
	double *samples = malloc(iterations * sizeof(*samples)), p50;
	struct fhir_error err;

	if (samples == NULL)
		abort();
	for (size_t i = 0; i < iterations; i++) {
		struct engine_needs needs;
		double t0 = bench_now_us();

		engine_needs(e, request, &needs, &err);
		samples[i] = bench_now_us() - t0;
	}
	bench_sort(samples, iterations);
	p50 = samples[iterations / 2];
	free(samples);
	return p50;
}

/* Engine p50 in microseconds of `iterations` assessments of request; *assessed receives the
 * (order, policy) pairs the last one assessed. */
static double engine_p50(const struct engine *e, const cJSON *request, size_t iterations,
                         size_t *assessed)
{
	double *samples = malloc(iterations * sizeof(*samples)), p50;
	struct fhir_datetime now;
	struct fhir_error err;

	if (samples == NULL)
		abort();
	fhir_datetime_parse(BENCH_NOW, &now, &err);
	*assessed = 0;
	for (size_t i = 0; i < iterations; i++) {
		struct engine_result result;
		double t0 = bench_now_us();

		if (engine_assess(e, request, &now, &result, &err) == FHIR_OK) {
			*assessed = result.assessed;
			engine_result_clear(&result);
		}
		samples[i] = bench_now_us() - t0;
	}
	bench_sort(samples, iterations);
	p50 = samples[iterations / 2];
	free(samples);
	return p50;
}

/* The benchmark requests: a text-only order, a coded order (as given), and the text-only
 * request with its coded ServiceRequest selected instead (the UK knee example's SNOMED CT MRI
 * order: triggered through the ValueSet index). */
struct requests {
	const cJSON *text, *coded, *coded_sr;
};

/* A copy of request selecting the first draft order with an id and a code.coding instead
 * (NEW), or NULL. */
static cJSON *select_coded(const cJSON *request)
{
	const cJSON *context = cJSON_GetObjectItemCaseSensitive(request, "context");
	const cJSON *draft = cJSON_GetObjectItemCaseSensitive(context, "draftOrders");
	const cJSON *entry;

	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(draft, "entry"))
	{
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(entry, "resource");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(r, "code");
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "id"));
		const char *type =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "resourceType"));
		char ref[200];
		cJSON *copy, *sel;

		if (id == NULL || type == NULL ||
		    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(code, "coding")) == 0)
			continue;
		snprintf(ref, sizeof(ref), "%s/%s", type, id);
		copy = cJSON_Duplicate(request, 1);
		sel = cJSON_CreateArray();
		cJSON_AddItemToArray(sel, cJSON_CreateString(ref));
		cJSON_ReplaceItemInObjectCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(copy, "context"), "selections", sel);
		return copy;
	}
	return NULL;
}

/* One row of the table (run in a child process). */
static int measure(size_t count, const struct requests *rq, size_t iterations)
{
	size_t n, text_assessed, coded_assessed, sr_assessed = 0;
	double sr_p50 = 0, trigger_p50;
	struct engine_file *files = with_synthetic(count, &n);
	int shown = 0;
	struct engine_reporter rep = {print_error, &shown};
	struct engine *e = NULL;
	double t0 = bench_now_us(), c0 = bench_clock_us(CLOCK_PROCESS_CPUTIME_ID), startup_ms,
	       startup_cpu_ms, text_p50, coded_p50;
	long rss;

	if (engine_load(files, n, &rep, &e) != FHIR_OK) {
		printf("%8zu  does not load (%d errors)\n", count, shown);
		fflush(stdout);
		free_files(files, n);
		return 1;
	}
	startup_ms = (bench_now_us() - t0) / 1e3;
	startup_cpu_ms = (bench_clock_us(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e3;
	free_files(files, n); /* the bench's own copies: a server frees its file texts too */
	malloc_trim(0);
	rss = rss_kb();
	text_p50 = engine_p50(e, rq->text, iterations, &text_assessed);
	trigger_p50 = needs_p50(e, rq->text, iterations);
	coded_p50 = engine_p50(e, rq->coded, iterations, &coded_assessed);
	if (rq->coded_sr != NULL)
		sr_p50 = engine_p50(e, rq->coded_sr, iterations, &sr_assessed);
	printf("%8zu %9.1f us %9.1f us %9.1f us %9.1f us %8.1f MB %7.0f ms %7.0f ms  %zu/%zu/%zu\n",
	       engine_policy_count(e), text_p50, trigger_p50, coded_p50, sr_p50,
	       (double)rss / 1024.0, startup_ms, startup_cpu_ms, text_assessed, coded_assessed,
	       sr_assessed);
	fflush(stdout);
	engine_free(e);
	return 0;
}

static int mkdir_p(const char *dir)
{
	return mkdir(dir, 0777) == 0 || access(dir, W_OK) == 0 ? 0 : -1;
}

/* --write DIR N: the configuration as a policies folder. */
static int write_folder(const char *dir, size_t count)
{
	size_t n;
	struct engine_file *files = with_synthetic(count, &n);
	char path[4096];
	int rc = 0;

	snprintf(path, sizeof(path), "%s/valuesets", dir);
	if (mkdir_p(dir) != 0 || mkdir_p(path) != 0)
		rc = 1;
	snprintf(path, sizeof(path), "%s/vocabulary", dir);
	if (mkdir_p(path) != 0)
		rc = 1;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(files[i].text, 1, files[i].length, f) != files[i].length)
			rc = 1;
		if (f != NULL && fclose(f) != 0)
			rc = 1;
	}
	if (rc != 0)
		fprintf(stderr, "cds-bench-policies: cannot write %s\n", dir);
	free_files(files, n);
	return rc;
}

int main(int argc, char **argv)
{
	static const size_t default_sizes[] = {3, 30, 300, 1000};
	size_t iterations = 2000;
	int i = 1;
	char *text_body, *coded_body;
	cJSON *text_order, *coded_order, *coded_sr;
	struct requests rq;

	if (argc > 1 && strcmp(argv[1], "--distinct") == 0) {
		distinct = 1;
		argv++;
		argc--;
	}
	if (argc == 4 && strcmp(argv[1], "--write") == 0)
		return write_folder(argv[2], (size_t)strtoul(argv[3], NULL, 10));
	if (argc > 1 && strspn(argv[1], "0123456789") == strlen(argv[1])) {
		iterations = (size_t)strtoul(argv[1], NULL, 10);
		i = 2;
	}
	if (iterations == 0 || argc - i < 2) {
		fprintf(stderr,
		        "usage: cds-bench-policies [--distinct] [ITERATIONS] TEXT-ORDER.json "
		        "CODED-ORDER.json [SIZE...]\n"
		        "       cds-bench-policies [--distinct] --write DIR N\n");
		return 2;
	}
	text_body = bench_read_file(argv[i], NULL);
	coded_body = bench_read_file(argv[i + 1], NULL);
	text_order = text_body != NULL ? cJSON_Parse(text_body) : NULL;
	coded_order = coded_body != NULL ? cJSON_Parse(coded_body) : NULL;
	free(text_body);
	free(coded_body);
	if (text_order == NULL || coded_order == NULL) {
		fprintf(stderr, "cds-bench-policies: cannot read %s or %s\n", argv[i], argv[i + 1]);
		return 1;
	}
	rq.text = text_order;
	rq.coded = coded_order;
	rq.coded_sr = coded_sr = select_coded(text_order);
	bench_print_load("start");
	printf("%8s %12s %12s %12s %12s %11s %10s %10s  %s\n", "policies", "text-only", "trigger",
	       "coded", "coded SR", "idle RSS", "start-up", "(cpu)", "assessed");
	fflush(stdout);
	for (int s = i + 2; s < argc || (argc == i + 2 && s - i - 2 < 4); s++) {
		size_t count =
		    argc > i + 2 ? (size_t)strtoul(argv[s], NULL, 10) : default_sizes[s - i - 2];
		pid_t pid = fork();
		int status;

		if (pid == 0)
			_exit(measure(count, &rq, iterations));
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			return 1;
	}
	bench_print_load("end");
	cJSON_Delete(text_order);
	cJSON_Delete(coded_order);
	cJSON_Delete(coded_sr);
	return 0;
}
