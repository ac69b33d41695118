/* bench_fetch.c — the latency a request pays when its data is fetched from the client's FHIR
 * server instead of prefetched (CDS Hooks 2.0 §Prefetch), end to end through cds_handle, against
 * the local test FHIR server (server.mjs: Medplum's router over its in-memory repository on
 * loopback). A benchmark prints figures; it asserts nothing.
 * Usage: FHIR_ROOT=http://127.0.0.1:P FHIR_TOKEN=t cds-bench-fetch [ITERATIONS] REQUEST.json
 * The request's prefetch resources are loaded into the server; the "prefetched" request carries
 * every key the policies read (as the server answers them), the "fetched" one none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cds.h"
#include "fhirauth.h"
#include "httpclient.h"

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

/* GET (body NULL) or POST, with the FHIR server's bearer token when token is not NULL; NEW: the
 * answer as JSON (NULL on failure); *status set (0: no answer). */
static cJSON *http(const char *url, const char *body, const char *token, long *status)
{
	CURL *curl = curl_easy_init();
	char *reply = NULL;

	*status = httptest_call_bearer(curl, url, body, token, 30, &reply);
	cJSON *json = reply != NULL ? cJSON_Parse(reply) : NULL;
	curl_easy_cleanup(curl);
	free(reply);
	return json;
}

/* Times `iterations` calls of `request`; prints and returns the mean (us). */
static double run(struct cds_app *app, const char *label, const cJSON *request,
                  const struct fhir_datetime *now, size_t iterations, double *samples)
{
	char *body = cJSON_PrintUnformatted(request);
	const char *hook = fhir_get_string(request, "hook");
	double sum = 0;
	unsigned status = 0;
	size_t i;

	for (i = 0; i < iterations; i++) {
		struct cds_request req;
		struct cds_reply reply;
		double t0;

		memset(&req, 0, sizeof(req));
		req.method = "POST";
		req.path = hook != NULL && strcmp(hook, "order-sign") == 0
		               ? "/cds-services/" CDS_SERVICE_ORDER_SIGN
		               : "/cds-services/" CDS_SERVICE_ORDER_SELECT;
		req.content_type = "application/json";
		req.body = body;
		req.body_length = strlen(body);
		req.now = now;
		t0 = now_us();
		cds_handle(app, &req, &reply);
		samples[i] = now_us() - t0;
		sum += samples[i];
		status = reply.status;
		cds_reply_clear(&reply);
	}
	free(body);
	qsort(samples, iterations, sizeof(*samples), compare);
	printf("%-34s HTTP %u  mean %8.1f us  p50 %8.1f us  p99 %8.1f us  (%zu runs)\n", label,
	       status, sum / (double)iterations, samples[iterations / 2],
	       samples[iterations * 99 / 100], iterations);
	return sum / (double)iterations;
}

int main(int argc, char **argv)
{
	const char *root = getenv("FHIR_ROOT"), *token = getenv("FHIR_TOKEN");
	struct cds_app_options opts;
	struct cds_app *app = NULL;
	size_t iterations = 300, nkeys, k;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	char url[4096], server[2048];
	struct fhir_datetime now;
	struct fhir_error err;
	cJSON *request, *load, *resources, *loaded, *prefetched, *fetched, *prefetch;
	const cJSON *entry, *value;
	double *samples, a, b;
	char *text;
	long status;
	int argi = 1;

	if (argc > 2) {
		iterations = (size_t)strtoul(argv[1], NULL, 10);
		argi = 2;
	}
	if (root == NULL || token == NULL || argi >= argc || iterations == 0) {
		fprintf(stderr,
		        "usage: FHIR_ROOT=URL FHIR_TOKEN=T cds-bench-fetch [N] REQUEST.json\n");
		return 2;
	}
	text = NULL;
	{
		FILE *f = fopen(argv[argi], "rb");
		size_t length = 0;
		char chunk[65536];
		size_t got;

		while (f != NULL && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			httptest_append(&text, &length, chunk, got);
		if (f != NULL)
			fclose(f);
	}
	request = text != NULL ? cJSON_Parse(text) : NULL;
	free(text);
	if (request == NULL || fhir_client_global_init() != FHIR_OK) {
		fprintf(stderr, "cds-bench-fetch: cannot read %s\n", argv[argi]);
		return 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.decision_log = "-";
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK)
		return 1;
	fhir_datetime_parse("2025-01-15T12:00:00Z", &now, &err);

	/* The request's prefetch data, loaded into tenant "bench". */
	load = cJSON_CreateObject();
	resources = cJSON_AddArrayToObject(load, "resources");
	cJSON_ArrayForEach(value, fhir_get(request, "prefetch"))
	{
		if (fhir_prefetch_classify(value) == FHIR_PREFETCH_RESOURCE)
			cJSON_AddItemToArray(resources, cJSON_Duplicate(value, 1));
		cJSON_ArrayForEach(entry, fhir_get(value, "entry"))
		{
			if (fhir_get(entry, "resource") != NULL)
				cJSON_AddItemToArray(
				    resources, cJSON_Duplicate(fhir_get(entry, "resource"), 1));
		}
	}
	text = cJSON_PrintUnformatted(load);
	snprintf(url, sizeof(url), "%s/t/bench/$load", root);
	loaded = http(url, text, NULL, &status);
	free(text);
	if (!cJSON_IsNumber(fhir_get(loaded, "loaded"))) {
		fprintf(stderr, "cds-bench-fetch: the FHIR server did not load the data\n");
		return 1;
	}
	snprintf(server, sizeof(server), "%s/t/bench/fhir", root);

	/* prefetched: every key as the server answers it, in one page (what a client sends) */
	prefetched = cJSON_Duplicate(request, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(prefetched, "prefetch");
	prefetch = cJSON_AddObjectToObject(prefetched, "prefetch");
	for (k = 0; k < nkeys; k++) {
		char *path = NULL;
		cJSON *got;

		if (fhir_template_resolve(keys[k].template, fhir_get(request, "context"), &path,
		                          &err) != FHIR_OK)
			continue;
		snprintf(url, sizeof(url), "%s/%s%s", server, path,
		         strchr(path, '?') != NULL ? "&_count=1000" : "");
		free(path);
		got = http(url, NULL, token, &status);
		if (status == 404) {
			cJSON_Delete(got);
			got = cJSON_CreateNull();
		}
		if (got != NULL)
			cJSON_AddItemToObject(prefetch, keys[k].key, got);
	}
	/* fetched: no prefetch, fhirServer + fhirAuthorization */
	fetched = cJSON_Duplicate(request, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(fetched, "prefetch");
	cJSON_DeleteItemFromObjectCaseSensitive(fetched, "fhirServer");
	cJSON_AddStringToObject(fetched, "fhirServer", server);
	fhirauth_add(fetched, token, "patient/*.read", "cds-commissioning");
	samples = malloc(iterations * sizeof(*samples));
	if (samples == NULL)
		return 1;
	printf("request %s; FHIR server %s (page size %s)\n", argv[argi], server,
	       getenv("FHIR_PAGE_SIZE") ? getenv("FHIR_PAGE_SIZE") : "2");
	a = run(app, "prefetched (all keys)", prefetched, &now, iterations, samples);
	b = run(app, "fetched (no prefetch)", fetched, &now, iterations, samples);
	printf("added latency of fetching: mean %.1f us per request\n", b - a);
	free(samples);
	cJSON_Delete(request);
	cJSON_Delete(load);
	cJSON_Delete(loaded);
	cJSON_Delete(prefetched);
	cJSON_Delete(fetched);
	cds_app_free(app);
	fhir_client_global_cleanup();
	return 0;
}
