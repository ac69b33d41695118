/* bench.c — prints how long the service takes per request, end to end through cds_handle
 * (JSON parse, envelope checks, engine, cards, serialisation) and for the engine alone, on real
 * request bodies. A benchmark prints figures; it asserts nothing (timed tests are banned:
 * machines are shared and noisy). Usage: cds-bench [ITERATIONS] FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cds.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static char *read_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	*length = (size_t)n;
	fclose(f);
	return buf;
}

/* The machine's load (/proc/loadavg), printed beside the figures: they are only comparable
 * within one run on a shared machine. */
static void print_load(const char *when)
{
	char line[128] = "unknown\n";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			snprintf(line, sizeof(line), "unknown\n");
		fclose(f);
	}
	printf("machine load %s (/proc/loadavg): %s", when, line);
}

static void report(const char *what, const char *file, double *samples, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += samples[i];
	qsort(samples, n, sizeof(*samples), compare);
	printf("%-10s %-48s mean %8.1f us  p50 %8.1f us  p99 %8.1f us  (%zu runs)\n", what, file,
	       sum / (double)n, samples[n / 2], samples[n * 99 / 100], n);
}

static void bench_file(struct cds_app *app, const char *path, size_t iterations, double *samples)
{
	size_t length = 0, i;
	char *body = read_file(path, &length);
	const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	cJSON *request, *hook;
	char route[128];
	struct fhir_datetime now;
	struct fhir_error err;

	if (body == NULL) {
		fprintf(stderr, "cds-bench: cannot read %s\n", path);
		return;
	}
	request = cJSON_Parse(body);
	hook = cJSON_GetObjectItemCaseSensitive(request, "hook");
	snprintf(route, sizeof(route), "/cds-services/%s",
	         cJSON_IsString(hook) && strcmp(hook->valuestring, "order-sign") == 0
	             ? CDS_SERVICE_ORDER_SIGN
	             : CDS_SERVICE_ORDER_SELECT);
	fhir_datetime_parse("2025-01-15T12:00:00Z", &now, &err);
	for (i = 0; i < iterations; i++) {
		struct cds_request req = {.method = "POST",
		                          .path = route,
		                          .content_type = "application/json",
		                          .body = body,
		                          .body_length = length,
		                          .now = &now};
		struct cds_reply reply;
		double t0 = now_us();

		cds_handle(app, &req, &reply);
		samples[i] = now_us() - t0;
		cds_reply_clear(&reply);
	}
	report("http-layer", name, samples, iterations);
	for (i = 0; i < iterations && request != NULL; i++) {
		struct engine_result result;
		double t0 = now_us();

		if (engine_assess(cds_app_engine(app), request, &now, &result, &err) == FHIR_OK)
			engine_result_clear(&result);
		samples[i] = now_us() - t0;
	}
	if (request != NULL)
		report("engine", name, samples, iterations);
	cJSON_Delete(request);
	free(body);
}

int main(int argc, char **argv)
{
	struct cds_app_options opts = {
	    .policies_dir = NULL, .config_file = NULL, .decision_log = "-"};
	struct cds_app *app = NULL;
	size_t iterations = 2000;
	double *samples;
	int i = 1;

	if (argc > 1 && strspn(argv[1], "0123456789") == strlen(argv[1])) {
		iterations = (size_t)strtoul(argv[1], NULL, 10);
		i = 2;
	}
	if (iterations == 0 || i >= argc) {
		fprintf(stderr, "usage: cds-bench [ITERATIONS] FILE...\n");
		return 2;
	}
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK) {
		fprintf(stderr, "cds-bench: the embedded configuration does not load\n");
		return 1;
	}
	samples = malloc(iterations * sizeof(*samples));
	if (samples == NULL)
		return 1;
	print_load("before");
	for (; i < argc; i++)
		bench_file(app, argv[i], iterations, samples);
	print_load("after");
	free(samples);
	cds_app_free(app);
	return 0;
}
