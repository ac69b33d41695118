/* test_log.c — the decision log off the request thread (issue 12 item 5):
 *  - 8 threads push 4,000 lines each, of varied lengths, through a 64-line queue while 2 more
 *    threads write "access log" lines to the same unbuffered FILE (as server.c does on stderr):
 *    every decision line is present once and whole, no line is a mix of both, and the writer
 *    wrote in batches (fewer batches than lines);
 *  - backpressure: with the writer paused and a 4-line queue, a producer of 10 lines fills the
 *    queue and then waits (the log counts the wait, the 5th push has not returned); resumed,
 *    all 10 are written, in order;
 *  - closing drains: lines queued behind a paused writer are written by cds__log_close;
 *  - through the app: cds__log_line and cds__log_record from several threads reach the
 *    --decision-log file, whole, by cds_app_free; with no decision log, cds__log_line frees.
 * Deterministic pass/fail: counts and contents only; waits are bounded (10 s) polls. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds_internal.h"
#include "testkit.h"

#define PRODUCERS      8
#define PER_THREAD     4000
#define ACCESS_THREADS 2
#define ACCESS_LINES   3000

/* A decision-like line: {"p":P,"i":I,"pad":"..."} with a length that varies with i. */
static char *make_line(int p, int i)
{
	char pad[300];
	size_t n = (size_t)((i * 37 + p * 11) % 250);
	memset(pad, 'a' + (char)(i % 26), n);
	pad[n] = '\0';
	char *line = malloc(400);
	snprintf(line, 400, "{\"p\":%d,\"i\":%d,\"pad\":\"%s\"}", p, i, pad);
	return line;
}

struct producer {
	struct cds__log *log;
	struct cds_app *app;
	int p, count, use_record;
	atomic_int done; /* pushes that returned */
};

static void *produce(void *arg)
{
	struct producer *pr = arg;
	for (int i = 0; i < pr->count; i++) {
		if (pr->app && pr->use_record && i % 2) {
			char *text = make_line(pr->p, i);
			cJSON *rec = cJSON_Parse(text);
			free(text);
			cds__log_record(pr->app, rec);
			cJSON_Delete(rec);
		} else if (pr->app) {
			cds__log_line(pr->app, make_line(pr->p, i));
		} else {
			cds__log_push(pr->log, make_line(pr->p, i));
		}
		atomic_fetch_add(&pr->done, 1);
	}
	return NULL;
}

static FILE *shared_out;

static void *access_lines(void *arg)
{
	int t = (int)(size_t)arg;
	for (int i = 0; i < ACCESS_LINES; i++)
		fprintf(shared_out, "2026-12-01T00:00:00.000Z POST /cds-services/x 200 %dus t=%d\n",
		        i, t);
	return NULL;
}

/* Checks `text` holds each producer's lines 0..count-1 exactly once, whole; other lines must be
 * whole access lines (counted in *access). */
static void check_lines(const char *what, char *text, int producers, int count, int *access)
{
	unsigned char *seen = calloc((size_t)producers * (size_t)count, 1);
	int bad = 0, dup = 0, lines = 0;
	*access = 0;
	for (char *line = text, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			bad++;
			break;
		}
		*nl = '\0';
		lines++;
		int p = -1, i = -1, us = 0, t = 0, end = 0;
		if (line[0] == '{') {
			char *expect = NULL;
			if (sscanf(line, "{\"p\":%d,\"i\":%d,", &p, &i) == 2 && p >= 0 &&
			    p < producers && i >= 0 && i < count)
				expect = make_line(p, i);
			if (!expect || strcmp(expect, line) != 0) {
				if (bad++ < 3)
					fprintf(stderr, "%s: torn line: %.120s\n", what, line);
			} else if (seen[p * count + i]++) {
				dup++;
			}
			free(expect);
		} else if (sscanf(line,
		                  "2026-12-01T00:00:00.000Z POST /cds-services/x 200 %dus t=%d%n",
		                  &us, &t, &end) == 2 &&
		           line[end] == '\0') {
			(*access)++;
		} else if (bad++ < 3) {
			fprintf(stderr, "%s: mixed line: %.120s\n", what, line);
		}
	}
	int missing = 0;
	for (int k = 0; k < producers * count; k++)
		missing += !seen[k];
	CHECK(bad == 0, "%s: %d torn or mixed lines of %d", what, bad, lines);
	CHECK(dup == 0, "%s: %d lines written twice", what, dup);
	CHECK(missing == 0, "%s: %d of %d lines missing", what, missing, producers * count);
	free(seen);
}

static void test_concurrent(void)
{
	char path[] = "/tmp/cds-test-log-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "temp file");
	if (fd < 0)
		return;
	shared_out = fdopen(fd, "w");
	setvbuf(shared_out, NULL, _IONBF, 0); /* like stderr */
	struct cds__log *log = cds__log_open(shared_out, 0, 64);
	pthread_t threads[PRODUCERS + ACCESS_THREADS];
	static struct producer pr[PRODUCERS];
	for (int p = 0; p < PRODUCERS; p++) {
		pr[p].log = log;
		pr[p].p = p;
		pr[p].count = PER_THREAD;
		pthread_create(&threads[p], NULL, &produce, &pr[p]);
	}
	for (int t = 0; t < ACCESS_THREADS; t++)
		pthread_create(&threads[PRODUCERS + t], NULL, &access_lines, (void *)(size_t)t);
	for (int t = 0; t < PRODUCERS + ACCESS_THREADS; t++)
		pthread_join(threads[t], NULL);
	cds__log_flush(log);
	struct cds__log_stats st;
	cds__log_stats(log, &st);
	cds__log_close(log);
	fclose(shared_out);
	printf("concurrent: %lu lines in %lu batches, %lu waits for a full queue, high water %zu "
	       "of %zu\n",
	       st.written, st.batches, st.waits, st.high_water, st.capacity);
	CHECK(st.written == PRODUCERS * PER_THREAD, "written %lu", st.written);
	CHECK(st.batches < st.written, "batched: %lu batches for %lu lines", st.batches,
	      st.written);
	CHECK(st.high_water <= 64, "queue bounded: high water %zu", st.high_water);
	char *text = testkit_read(path, NULL);
	int access = 0;
	check_lines("concurrent", text, PRODUCERS, PER_THREAD, &access);
	CHECK(access == ACCESS_THREADS * ACCESS_LINES, "access lines whole: %d", access);
	free(text);
	unlink(path);
}

/* Polls (up to 10 s) until cond(log) holds. */
static int wait_for(struct cds__log *log, int (*cond)(const struct cds__log_stats *))
{
	for (int k = 0; k < 1000; k++) {
		struct cds__log_stats st;
		cds__log_stats(log, &st);
		if (cond(&st))
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static int full_and_waiting(const struct cds__log_stats *st)
{
	return st->queued == st->capacity && st->waits >= 1;
}

static void test_backpressure(void)
{
	char path[] = "/tmp/cds-test-log-XXXXXX";
	int fd = mkstemp(path);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	CHECK(out != NULL, "temp file");
	if (!out)
		return;
	struct cds__log *log = cds__log_open(out, 1, 4);
	cds__log_pause(log, 1);
	static struct producer pr;
	pr.log = log;
	pr.p = 0;
	pr.count = 10;
	pthread_t t;
	pthread_create(&t, NULL, &produce, &pr);
	CHECK(wait_for(log, &full_and_waiting), "the queue fills and the producer waits");
	sleep_ms(50); /* had a push been dropped instead of waiting, done would pass 4 now */
	CHECK(atomic_load(&pr.done) == 4, "pushes returned while the queue is full: %d",
	      atomic_load(&pr.done));
	cds__log_pause(log, 0);
	pthread_join(t, NULL);
	struct cds__log_stats st;
	cds__log_flush(log);
	cds__log_stats(log, &st);
	CHECK(st.high_water == 4, "high water %zu", st.high_water);
	CHECK(st.written == 10, "written %lu", st.written);
	cds__log_close(log);
	char *text = testkit_read(path, NULL);
	int access = 0, order_ok = 1, prev = -1;
	for (char *p = text; p && (p = strstr(p, "\"i\":")); p++) {
		int i = (int)strtol(p + 4, NULL, 10);
		order_ok &= i == prev + 1;
		prev = i;
	}
	CHECK(order_ok && prev == 9, "lines in push order");
	check_lines("backpressure", text, 1, 10, &access);
	free(text);
	unlink(path);
}

static void test_close_drains(void)
{
	char path[] = "/tmp/cds-test-log-XXXXXX";
	int fd = mkstemp(path);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	CHECK(out != NULL, "temp file");
	if (!out)
		return;
	struct cds__log *log = cds__log_open(out, 1, 16);
	cds__log_pause(log, 1);
	for (int i = 0; i < 12; i++)
		cds__log_push(log, make_line(0, i));
	struct cds__log_stats st;
	cds__log_stats(log, &st);
	CHECK(st.queued == 12 && st.written == 0, "queued %zu, written %lu", st.queued, st.written);
	cds__log_close(log); /* still paused: close must drain anyway */
	char *text = testkit_read(path, NULL);
	int access = 0;
	check_lines("close drains", text, 1, 12, &access);
	free(text);
	unlink(path);
}

static void test_app(void)
{
	char path[] = "/tmp/cds-test-log-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "temp file");
	if (fd < 0)
		return;
	close(fd);
	struct cds_app_options o = {.decision_log = path};
	struct cds_app *app = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK && app, "app with a decision log");
	if (!app)
		return;
	CHECK(cds__log_enabled(app), "log enabled");
	static struct producer pr[4];
	pthread_t t[4];
	for (int p = 0; p < 4; p++) {
		pr[p].app = app;
		pr[p].p = p;
		pr[p].count = 2000;
		pr[p].use_record = 1;
		pthread_create(&t[p], NULL, &produce, &pr[p]);
	}
	for (int p = 0; p < 4; p++)
		pthread_join(t[p], NULL);
	cds_app_free(app); /* drains */
	char *text = testkit_read(path, NULL);
	int access = 0;
	check_lines("app", text, 4, 2000, &access);
	free(text);
	unlink(path);

	struct cds_app_options none = {.decision_log = "-"};
	app = NULL;
	CHECK(cds_app_new(&none, NULL, &app) == FHIR_OK && app, "app without a decision log");
	if (app) {
		CHECK(!cds__log_enabled(app), "log disabled");
		cds__log_line(app, make_line(0, 0)); /* freed (ASan would report a leak) */
		cds_app_free(app);
	}
}

int main(void)
{
	test_concurrent();
	test_backpressure();
	test_close_drains();
	test_app();
	return testkit_done();
}
