/* bench.c — prints how long the service takes per request, end to end through cds_handle
 * (JSON parse, envelope checks, engine, cards, serialisation) and for the engine alone, on real
 * request bodies. A benchmark prints figures; it asserts nothing (timed tests are banned:
 * machines are shared and noisy). With --store URL each call also commits its decisions to
 * that store first (issue 13: sqlite:PATH measures one fsync'd commit per call, as a lone
 * client sees it). Usage: cds-bench [ITERATIONS] [--store URL] FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "cds.h"

static void report(const char *what, const char *file, double *samples, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += samples[i];
	bench_sort(samples, n);
	printf("%-10s %-48s mean %8.1f us  p50 %8.1f us  p99 %8.1f us  (%zu runs)\n", what, file,
	       sum / (double)n, samples[n / 2], samples[n * 99 / 100], n);
}

static void bench_file(struct cds_app *app, const char *path, size_t iterations, double *samples)
{
	size_t length = 0, i;
	char *body = bench_read_file(path, &length);
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
		double t0 = bench_now_us();

		cds_handle(app, &req, &reply);
		samples[i] = bench_now_us() - t0;
		cds_reply_clear(&reply);
	}
	report("http-layer", name, samples, iterations);
	for (i = 0; i < iterations && request != NULL; i++) {
		struct engine_result result;
		double t0 = bench_now_us();

		if (engine_assess(cds_app_engine(app), request, &now, &result, &err) == FHIR_OK)
			engine_result_clear(&result);
		samples[i] = bench_now_us() - t0;
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
	if (i + 1 < argc && strcmp(argv[i], "--store") == 0) {
		opts.store = argv[i + 1];
		i += 2;
	}
	if (iterations == 0 || i >= argc) {
		fprintf(stderr, "usage: cds-bench [ITERATIONS] [--store URL] FILE...\n");
		return 2;
	}
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK) {
		fprintf(stderr, "cds-bench: the embedded configuration does not load\n");
		return 1;
	}
	samples = malloc(iterations * sizeof(*samples));
	if (samples == NULL)
		return 1;
	bench_print_load("before");
	for (; i < argc; i++)
		bench_file(app, argv[i], iterations, samples);
	bench_print_load("after");
	free(samples);
	cds_app_free(app);
	return 0;
}
