/* bench_record.c — the record-size table (issue 12 items 1 and 7): the engine's time and memory
 * for the UK knee example with 10, 100, 1,000 and 10,000 Conditions in prefetch (generated in
 * memory by record_gen.c), and the cost of each extra Condition. It prints figures and asserts
 * nothing (timed tests are banned: machines are shared and noisy), with the machine's load.
 *
 * Each size runs in a child process of its own (fork), so one size's heap cannot lend memory to
 * the next. Memory is the kernel's count of resident pages: the child builds the body, parses it
 * (as the handler would), returns freed memory (malloc_trim) and reads its RSS; then it resets
 * the peak-RSS mark (/proc/self/clear_refs "5", Linux >= 4.0) and runs the engine once: the peak
 * (VmHWM) minus that RSS is the memory the engine needed beyond the parsed body. When the mark
 * cannot be reset, getrusage's ru_maxrss is used instead (then the figure includes the
 * generator's own peak and is an upper bound; the table says which). "after" is the RSS right
 * after the first request, minus the RSS before it; "settled" the RSS, once it stops falling, after
 * the last request with the body freed too, minus the RSS before the body was parsed: what the
 * process keeps once the engine has given memory back (engine/release.c).
 *
 * Usage: cds-bench-record [--max-seconds S] KNEE.json BUNDLE.json [SIZE...]
 *        cds-bench-record --write SIZE FILE KNEE.json BUNDLE.json   (the request, as a file for
 *        cds-bench or an HTTP load tool) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bench_util.h"
#include "cds.h"
#include "fhir.h"
#include "record_gen.h"

#define MAX_RUNS 200

struct figures {
	size_t conditions, body_bytes, runs, cards;
	double p50_us, p99_us, first_us;
	double cpu_p50_us; /* CPU time of the process (CLOCK_PROCESS_CPUTIME_ID): less disturbed by
	                      other work on a shared machine than wall time */
	long rss_idle_kb, rss_parsed_kb, peak_kb, after_kb;
	long settled_kb;   /* RSS beyond idle once it stops falling after the last request, the
	                      body freed */
	int peak_from_hwm; /* 1: VmHWM after a reset; 0: ru_maxrss (upper bound) */
	int ok;
};

/* A "Name:   123 kB" line of /proc/self/status, in KB; -1 when absent. */
static long status_kb(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	size_t n = strlen(name);

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return kb;
}

static int reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	int ok;

	if (f == NULL)
		return 0;
	ok = fputs("5", f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok;
}

/* The RSS once it has stopped falling: the engine gives memory back once large requests stop
 * for a second (engine/release.c), which takes longer the more there is. Waits 1.5 s, then
 * reads every 250 ms until two readings agree within 1 MB (at most 20 s). */
static long settled_rss_kb(void)
{
	long last, now;
	struct timespec step = {0, 250 * 1000000L};

	nanosleep(&(struct timespec){1, 500 * 1000000L}, NULL);
	now = status_kb("VmRSS");
	for (int i = 0; i < 74; i++) {
		last = now;
		nanosleep(&step, NULL);
		now = status_kb("VmRSS");
		if (last - now < 1024 && now - last < 1024)
			break;
	}
	return now;
}

static long peak_kb(int from_hwm)
{
	struct rusage ru;

	if (from_hwm)
		return status_kb("VmHWM");
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static size_t count_cards(const struct engine_result *r)
{
	const cJSON *cards = cJSON_GetObjectItemCaseSensitive(r->response, "cards");

	return cJSON_IsArray(cards) ? (size_t)cJSON_GetArraySize(cards) : 0;
}

/* One size, in the calling (child) process. */
static void measure(const struct record_pool *pool, size_t conditions, double max_seconds,
                    struct figures *fig)
{
	struct cds_app_options opts = {
	    .policies_dir = NULL, .config_file = NULL, .decision_log = "-"};
	struct cds_app *app = NULL;
	const struct engine *engine;
	struct fhir_datetime now;
	struct fhir_error err;
	const struct fhir_json_limits limits = {
	    .max_depth = 64, .max_items = 1000000, .subject = "the request", .one_block = 1};
	double samples[MAX_RUNS], cpu[MAX_RUNS], started;
	cJSON *request;
	char *body;
	size_t i;

	memset(fig, 0, sizeof(*fig));
	fig->conditions = conditions;
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK)
		return;
	engine = cds_app_engine(app);
	fhir_datetime_parse("2025-01-15T12:00:00Z", &now, &err);
	request = record_request(pool, conditions);
	body = cJSON_PrintUnformatted(request);
	cJSON_Delete(request);
	fig->body_bytes = strlen(body);
	malloc_trim(0);
	fig->rss_idle_kb = status_kb("VmRSS");
	/* as the handler parses a body (cds-hooks/handle.c): one block, read-only; the body stays,
	 * as the handler holds it */
	if (fhir_json_parse_limited(body, strlen(body), &limits, &request, &err) != FHIR_OK) {
		fprintf(stderr, "cds-bench-record: %zu conditions: %s\n", conditions, err.message);
		free(body);
		cds_app_free(app);
		return;
	}
	malloc_trim(0);
	fig->rss_parsed_kb = status_kb("VmRSS");
	fig->peak_from_hwm = reset_peak();
	started = bench_now_us();
	for (i = 0; i < MAX_RUNS; i++) {
		struct engine_result result;
		double t0 = bench_now_us(), c0 = bench_clock_us(CLOCK_PROCESS_CPUTIME_ID);

		if (engine_assess(engine, request, &now, &result, &err) != FHIR_OK) {
			fprintf(stderr, "cds-bench-record: %zu conditions: %s\n", conditions,
			        err.message);
			break;
		}
		samples[i] = bench_now_us() - t0;
		cpu[i] = bench_clock_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (i == 0) {
			fig->peak_kb = peak_kb(fig->peak_from_hwm) - fig->rss_parsed_kb;
			fig->cards = count_cards(&result);
			fig->first_us = samples[0];
		}
		engine_result_clear(&result);
		if (i == 0)
			fig->after_kb = status_kb("VmRSS") - fig->rss_parsed_kb;
		if (i >= 2 && bench_now_us() - started > max_seconds * 1e6) {
			i++;
			break;
		}
	}
	fig->runs = i;
	cJSON_Delete(request);
	request = NULL;
	free(body);
	body = NULL;
	fig->settled_kb = settled_rss_kb() - fig->rss_idle_kb;
	if (i > 0) {
		bench_sort(samples, i);
		fig->p50_us = samples[i / 2];
		fig->p99_us = samples[i * 99 / 100];
		bench_sort(cpu, i);
		fig->cpu_p50_us = cpu[i / 2];
		fig->ok = 1;
	}
	cds_app_free(app);
}

/* Runs measure() in a child and reads its figures through a pipe. */
static int measure_in_child(const struct record_pool *pool, size_t conditions, double max_seconds,
                            struct figures *fig)
{
	int fds[2], status = 0;
	pid_t pid;
	ssize_t got;

	memset(fig, 0, sizeof(*fig));
	fflush(stdout);
	if (pipe(fds) != 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		measure(pool, conditions, max_seconds, fig);
		if (write(fds[1], fig, sizeof(*fig)) != (ssize_t)sizeof(*fig))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	got = read(fds[0], fig, sizeof(*fig));
	close(fds[0]);
	waitpid(pid, &status, 0);
	return got == (ssize_t)sizeof(*fig) && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	               fig->ok
	           ? 0
	           : -1;
}

static int write_request(const struct record_pool *pool, size_t conditions, const char *path)
{
	cJSON *request = record_request(pool, conditions);
	char *body = cJSON_Print(request);
	FILE *f = fopen(path, "w");
	int ok = f != NULL && fputs(body, f) >= 0;

	if (f != NULL)
		ok = fclose(f) == 0 && ok;
	free(body);
	cJSON_Delete(request);
	if (!ok)
		fprintf(stderr, "cds-bench-record: cannot write %s\n", path);
	return ok ? 0 : 1;
}

static void print_slope(const struct figures *a, const struct figures *b)
{
	double dn = (double)(b->conditions - a->conditions);

	printf("  %6zu -> %6zu: %8.2f us (cpu %8.2f us) and %6.2f KB per extra Condition\n",
	       a->conditions, b->conditions, (b->p50_us - a->p50_us) / dn,
	       (b->cpu_p50_us - a->cpu_p50_us) / dn, (double)(b->peak_kb - a->peak_kb) / dn);
}

int main(int argc, char **argv)
{
	static const size_t default_sizes[] = {10, 100, 1000, 10000};
	struct figures figs[16];
	struct record_pool pool;
	size_t nsizes = 0, sizes[16];
	double max_seconds = 3;
	int a = 1, failed = 0;

	if (argc == 6 && strcmp(argv[1], "--write") == 0) {
		int rc;

		if (record_pool_load(&pool, argv[4], argv[5]) != 0)
			return 1;
		rc = write_request(&pool, (size_t)strtoul(argv[2], NULL, 10), argv[3]);
		record_pool_free(&pool);
		return rc;
	}
	if (argc > 2 && strcmp(argv[1], "--max-seconds") == 0) {
		max_seconds = strtod(argv[2], NULL);
		a = 3;
	}
	if (argc - a < 2) {
		fprintf(stderr, "usage: cds-bench-record [--max-seconds S] KNEE.json BUNDLE.json "
		                "[SIZE...]\n       cds-bench-record --write SIZE FILE KNEE.json "
		                "BUNDLE.json\n");
		return 2;
	}
	if (record_pool_load(&pool, argv[a], argv[a + 1]) != 0)
		return 1;
	for (int i = a + 2; i < argc && nsizes < 16; i++)
		sizes[nsizes++] = (size_t)strtoul(argv[i], NULL, 10);
	if (nsizes == 0)
		for (size_t i = 0; i < sizeof(default_sizes) / sizeof(default_sizes[0]); i++)
			sizes[nsizes++] = default_sizes[i];
	bench_print_load("before");
	printf("engine_assess on the UK knee example with N Conditions in prefetch (%zu distinct "
	       "Condition texts);\nmemory: resident KB beyond the parsed body, one child process "
	       "per size\n",
	       pool.count);
	printf("%8s %10s %6s %11s %11s %11s %11s %10s %10s %10s %6s\n", "N", "body B", "runs",
	       "p50 us", "p99 us", "first us", "cpu p50 us", "peak KB", "after KB", "settled KB",
	       "cards");
	for (size_t i = 0; i < nsizes; i++) {
		struct figures *f = &figs[i];

		if (measure_in_child(&pool, sizes[i], max_seconds, f) != 0) {
			printf("%8zu  (failed)\n", sizes[i]);
			failed = 1;
			continue;
		}
		printf("%8zu %10zu %6zu %11.1f %11.1f %11.1f %11.1f %10ld %10ld %10ld %6zu%s\n",
		       f->conditions, f->body_bytes, f->runs, f->p50_us, f->p99_us, f->first_us,
		       f->cpu_p50_us, f->peak_kb, f->after_kb, f->settled_kb, f->cards,
		       f->peak_from_hwm ? "" : "  (peak: ru_maxrss)");
	}
	if (!failed && nsizes > 1) {
		printf("per extra Condition (p50 wall time, p50 CPU time, peak memory):\n");
		for (size_t i = 1; i < nsizes; i++)
			print_slope(&figs[i - 1], &figs[i]);
		if (nsizes > 2)
			print_slope(&figs[0], &figs[nsizes - 1]);
	}
	bench_print_load("after");
	record_pool_free(&pool);
	return failed;
}
