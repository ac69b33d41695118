/* test_fetch.c — fetching what prefetch lacks (CDS Hooks 2.0 §Prefetch), through cds_handle:
 * (1) offline rules (templates, the https rule, no token, paged Bundles without a server);
 * (2) every decision vector with its prefetch removed and fhirServer pointed at a real FHIR
 *     server (Medplum's router, tests/fhir-server/server.mjs) loaded with the vector's data:
 *     the answer must equal the prefetched one (cards, decisions, system actions; not uuids);
 * (3) faults against tests/fhir-server/fault.mjs: each ends in a clear 412 or criteria unknown;
 * (4) (2) and (3) again through the HTTP server (cds_server_start), whose workers hand the
 *     fetch to its one fetch thread (fhir_fetcher) and finish the request when it is done: the
 *     same answers (at the current time, prefetched against fetched) and the same 412 texts.
 * Env: CDS_SOURCE_DIR; FHIR_ROOT + FHIR_TOKEN (server.mjs) and FAULT_ROOT (fault.mjs): parts
 * without their server are skipped, and the script says so loudly. Ends "N passed, M failed". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cds.h"
#include "cds_internal.h"
#include "fhirauth.h"
#include "httpclient.h"
#include "testkit.h"

#define DEFAULT_NOW "2025-01-15T12:00:00Z"
#define MAX_CASES   1000

static const char *source_dir, *fhir_root, *fhir_token, *fault_root;
static int own_calls; /* HTTP calls this test made itself (each on a new connection) */
static char log_path[] = "/tmp/cds-test-fetch-log-XXXXXX";

static void print_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	printf("config: %s#%s: %s\n", file, pointer, message);
}

/* The fetch budget of apps whose answers are compared with prefetch: generous, so that a loaded
 * machine (a slow Node server) cannot turn a fetched answer into a 412 and fail the comparison;
 * the budget itself is tested with `slow` below. */
#define COMPARE_BUDGET_MS 30000L

/* NEW app: embedded policies, `config` (a deployment.json path) or NULL, decision log to
 * log_path (checked for tokens at the end). */
static struct cds_app *new_app(const char *config, long budget_ms)
{
	struct cds_app_options opts;
	struct engine_reporter rep = {print_error, NULL};
	struct cds_app *app = NULL;

	memset(&opts, 0, sizeof(opts));
	opts.config_file = config;
	opts.decision_log = log_path;
	if (cds_app_new(&opts, &rep, &app) != FHIR_OK)
		return NULL;
	if (budget_ms > 0)
		cds_app_set_fetch_budget(app, budget_ms);
	return app;
}

/* (4): the HTTP servers running for apps; call() posts to them instead of cds_handle. */
static struct {
	struct cds_app *app;
	struct cds_server *server;
} served[4];
static int serving; /* 1: call() starts a server for an app it has not seen and posts to it */

static cJSON *call_http(const char *base, const char *path, const char *body, unsigned *status,
                        char **raw);

/* Posts `request` through cds_handle (at `now`), or, while `serving`, over HTTP to a server for
 * `app` (at the current time); NEW: the reply body as JSON (or NULL); *status set. */
static cJSON *call(struct cds_app *app, const cJSON *request, const struct fhir_datetime *now,
                   unsigned *status, char **raw)
{
	if (serving) {
		size_t i;
		struct fhir_error err;
		const char *hook = fhir_get_string(request, "hook");
		char *text = cJSON_PrintUnformatted(request);
		cJSON *json;

		for (i = 0; i < 4 && served[i].app != NULL && served[i].app != app; i++)
			;
		if (i < 4 && served[i].app == NULL &&
		    cds_server_start(app, "127.0.0.1", 0, &served[i].server, &err) == FHIR_OK)
			served[i].app = app;
		json = i < 4 && served[i].app == app
		           ? call_http(cds_server_url(served[i].server),
		                       hook != NULL && strcmp(hook, "order-sign") == 0
		                           ? "/cds-services/" CDS_SERVICE_ORDER_SIGN
		                           : "/cds-services/" CDS_SERVICE_ORDER_SELECT,
		                       text, status, raw)
		           : NULL;
		free(text);
		return json;
	}

	char *body = cJSON_PrintUnformatted(request);
	const char *hook = fhir_get_string(request, "hook");
	struct cds_request req;
	struct cds_reply reply;
	cJSON *json;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = hook != NULL && strcmp(hook, "order-sign") == 0
	               ? "/cds-services/" CDS_SERVICE_ORDER_SIGN
	               : "/cds-services/" CDS_SERVICE_ORDER_SELECT;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = strlen(body);
	req.now = now;
	cds_handle(app, &req, &reply);
	*status = reply.status;
	json = reply.body != NULL ? cJSON_Parse(reply.body) : NULL;
	if (raw != NULL) {
		*raw = reply.body;
		reply.body = NULL;
	}
	cds_reply_clear(&reply);
	free(body);
	return json;
}

/* Replaces every uuid-shaped run (8-4-4-4-12 hex) in every string with "<uuid>", in place. */
static void mask_uuids(cJSON *node)
{
	cJSON *child;

	if (cJSON_IsString(node) && node->valuestring != NULL) {
		char *s = node->valuestring;
		size_t n = strlen(s), i, k;

		for (i = 0; i + 36 <= n; i++) {
			int ok = 1;

			for (k = 0; k < 36 && ok; k++) {
				char ch = s[i + k];
				int dash = k == 8 || k == 13 || k == 18 || k == 23;

				ok = dash ? ch == '-'
				          : ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
				             (ch >= 'A' && ch <= 'F'));
			}
			if (ok) {
				memcpy(s + i, "<uuid>", 6);
				memmove(s + i + 6, s + i + 36, n - i - 36 + 1);
				n -= 30;
			}
		}
	}
	for (child = node != NULL ? node->child : NULL; child != NULL; child = child->next)
		mask_uuids(child);
}

/* The 412 diagnostics' "prefetch 'key'" names, comma-joined into buf. */
static void missing_keys(const cJSON *reply, char *buf, size_t size)
{
	const char *diag =
	    fhir_get_string(cJSON_GetArrayItem(fhir_get(reply, "issue"), 0), "diagnostics");
	size_t nkeys, k, len = 0;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);

	buf[0] = '\0';
	for (k = 0; diag != NULL && k < nkeys; k++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "prefetch '%s'", keys[k].key);
		if (strstr(diag, needle) != NULL && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s,", keys[k].key);
	}
}

/* 1 when two replies are the same decision: status, and for 200 the whole body apart from
 * uuids; for 412 the same missing keys. Prints the difference. */
static int same_answer(const char *name, unsigned sa, cJSON *a, unsigned sb, cJSON *b)
{
	char *ta = NULL, *tb = NULL;
	int same;

	if (sa != sb) {
		fprintf(stderr, "FAIL %s: status %u with prefetch, %u fetched\n", name, sa, sb);
		return 0;
	}
	if (sa == 412) {
		char ka[256], kb[256];

		missing_keys(a, ka, sizeof(ka));
		missing_keys(b, kb, sizeof(kb));
		if (strcmp(ka, kb) != 0)
			fprintf(stderr, "FAIL %s: 412 missing '%s' with prefetch, '%s' fetched\n",
			        name, ka, kb);
		return strcmp(ka, kb) == 0;
	}
	mask_uuids(a);
	mask_uuids(b);
	ta = cJSON_PrintUnformatted(a);
	tb = cJSON_PrintUnformatted(b);
	same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;
	if (!same)
		fprintf(stderr,
		        "FAIL %s: answers differ\n  prefetched: %.1500s\n  fetched:    %.1500s\n",
		        name, ta ? ta : "?", tb ? tb : "?");
	free(ta);
	free(tb);
	return same;
}

/* ---- HTTP to the test servers (libcurl easy, loopback only) ------------------------------- */

/* GET (body NULL) or POST JSON, with the FHIR server's bearer token when token is not NULL;
 * NEW: the answer as JSON, or NULL. */
static cJSON *http(const char *url, const char *body, const char *token)
{
	CURL *curl = curl_easy_init();
	char *reply = NULL;

	own_calls++;
	httptest_call_bearer(curl, url, body, token, 30, &reply);
	cJSON *json = reply != NULL ? cJSON_Parse(reply) : NULL;
	curl_easy_cleanup(curl);
	free(reply);
	return json;
}

/* POSTs `body` to the CDS server at base + path; NEW: the answer as JSON (or NULL), *status,
 * and *raw (NEW, when raw is not NULL) the body as received. */
static cJSON *call_http(const char *base, const char *path, const char *body, unsigned *status,
                        char **raw)
{
	CURL *curl = curl_easy_init();
	char url[1024], *reply = NULL;
	cJSON *json = NULL;

	snprintf(url, sizeof(url), "%s%s", base, path);
	*status = (unsigned)httptest_call(curl, url, body, 60, &reply);
	if (reply != NULL)
		json = cJSON_Parse(reply);
	if (raw != NULL)
		*raw = reply;
	else
		free(reply);
	curl_easy_cleanup(curl);
	return json;
}

/* Stops the server call() started for `app`, if any (before the app is freed). */
static void unserve(struct cds_app *app)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (served[i].app == app && app != NULL) {
			cds_server_stop(served[i].server);
			served[i].server = NULL;
			served[i].app = NULL;
		}
}

/* Stops the servers call() started. */
static void stop_serving(void)
{
	size_t i;

	for (i = 0; i < 4; i++) {
		cds_server_stop(served[i].server);
		served[i].server = NULL;
		served[i].app = NULL;
	}
	serving = 0;
}

/* ---- building requests ---------------------------------------------------------------------- */

static cJSON *read_json(const char *path)
{
	char *text = testkit_read(path, NULL);
	cJSON *json = text != NULL ? cJSON_Parse(text) : NULL;

	free(text);
	return json;
}

/* Sets fhirServer and a fhirAuthorization with `token` on the request. */
static void point_at(cJSON *request, const char *server, const char *token)
{
	cJSON_DeleteItemFromObjectCaseSensitive(request, "fhirServer");
	cJSON_DeleteItemFromObjectCaseSensitive(request, "fhirAuthorization");
	cJSON_AddStringToObject(request, "fhirServer", server);
	if (token != NULL)
		fhirauth_add(request, token, "patient/*.read", "cds-commissioning");
}

/* The $load body for a vector: the resources of its usable prefetch values, and as
 * "unavailable" the resource types of the keys it lacks (absent, OperationOutcome, unusable),
 * so the server fails them as the client did. NEW. */
static cJSON *load_body(const cJSON *prefetch)
{
	cJSON *body = cJSON_CreateObject();
	cJSON *resources = cJSON_AddArrayToObject(body, "resources");
	cJSON *unavailable = cJSON_AddArrayToObject(body, "unavailable");
	size_t nkeys, k;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);

	for (k = 0; k < nkeys; k++) {
		const cJSON *value = fhir_get(prefetch, keys[k].key);
		const cJSON *entry;

		switch (fhir_prefetch_classify(value)) {
		case FHIR_PREFETCH_NULL:
			break;
		case FHIR_PREFETCH_RESOURCE:
			cJSON_AddItemToArray(resources, cJSON_Duplicate(value, 1));
			break;
		case FHIR_PREFETCH_BUNDLE:
			cJSON_ArrayForEach(entry, fhir_get(value, "entry"))
			{
				const cJSON *r = fhir_get(entry, "resource");

				if (r != NULL)
					cJSON_AddItemToArray(resources, cJSON_Duplicate(r, 1));
			}
			break;
		default:
			cJSON_AddItemToArray(unavailable,
			                     cJSON_CreateString(keys[k].resource_type));
		}
	}
	return body;
}

struct vector {
	char name[256];
	char config[4096]; /* deployment.json path, or "" */
	cJSON *request;
	struct fhir_datetime now;
};

static int read_vector(const char *name, struct vector *v)
{
	char path[4096];
	struct stat st;
	cJSON *expected;
	const char *now;
	struct fhir_error err;

	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(path, sizeof(path), "%s/tests/vectors/%s/request.json", source_dir, name);
	v->request = read_json(path);
	snprintf(path, sizeof(path), "%s/tests/vectors/%s/expected.json", source_dir, name);
	expected = read_json(path);
	now = fhir_get_string(expected, "now");
	fhir_datetime_parse(now != NULL ? now : DEFAULT_NOW, &v->now, &err);
	cJSON_Delete(expected);
	snprintf(path, sizeof(path), "%s/tests/vectors/%s/deployment.json", source_dir, name);
	if (stat(path, &st) == 0)
		snprintf(v->config, sizeof(v->config), "%s", path);
	return v->request != NULL;
}

/* ---- (1) offline ---------------------------------------------------------------------------- */

static void test_offline(struct cds_app *app)
{
	cJSON *ctx = cJSON_Parse("{\"patientId\":\"a b/c?&=\",\"userId\":\"Practitioner/p-1\","
	                         "\"encounterId\":\"\"}");
	struct fhir_error err;
	char *out = NULL;
	struct vector v;
	unsigned status;
	cJSON *reply, *request;
	const char *diag;

	CHECK(fhir_template_resolve("Condition?patient={{context.patientId}}", ctx, &out, &err) ==
	              FHIR_OK &&
	          strcmp(out, "Condition?patient=a%20b%2Fc%3F%26%3D") == 0,
	      "values are percent-encoded: %s", out ? out : err.message);
	free(out);
	CHECK(fhir_template_resolve("Practitioner/{{userPractitionerId}}", ctx, &out, &err) ==
	              FHIR_OK &&
	          strcmp(out, "Practitioner/p-1") == 0,
	      "user token: %s", out ? out : err.message);
	free(out);
	CHECK(fhir_template_resolve("Encounter/{{context.encounterId}}", ctx, &out, &err) ==
	          FHIR_ERR_NOT_FOUND,
	      "an empty context value cannot be fetched");
	CHECK(fhir_template_resolve("X?a={{context.draftOrders.id}}", ctx, &out, &err) ==
	          FHIR_ERR_SYNTAX,
	      "nested context fields are not 2.0 tokens");
	CHECK(fhir_template_resolve("X?a={{userPatientId}}", ctx, &out, &err) == FHIR_ERR_NOT_FOUND,
	      "userPatientId of a Practitioner user");
	CHECK(fhir_template_resolve("X?a={{today()}}", ctx, &out, &err) == FHIR_ERR_SYNTAX,
	      "3.0-ballot tokens are refused");
	cJSON_Delete(ctx);

	/* CDS Hooks 2.0 §fhirServer: https, unless loopback or demo mode */
	CHECK(fhir_client_base_allowed("https://ehr.example.org/fhir", 0, &err) == FHIR_OK,
	      "https");
	CHECK(fhir_client_base_allowed("http://ehr.example.org/fhir", 0, &err) == FHIR_ERR_INVALID,
	      "plain http to another host outside demo mode");
	CHECK(fhir_client_base_allowed("http://ehr.example.org/fhir", 1, &err) == FHIR_OK,
	      "plain http in demo mode");
	CHECK(fhir_client_base_allowed("http://127.0.0.1:9/fhir", 0, &err) == FHIR_OK, "loopback");
	CHECK(fhir_client_base_allowed("http://[::1]:9/fhir", 0, &err) == FHIR_OK, "loopback v6");
	CHECK(fhir_client_base_allowed("https://u:p@ehr.example.org/", 0, &err) == FHIR_ERR_INVALID,
	      "credentials in the URL");
	CHECK(fhir_client_base_allowed("ftp://ehr.example.org/", 1, &err) == FHIR_ERR_INVALID,
	      "not http(s)");
	/* the last allowed base is remembered with its demo flag: the same base asked again gives
	 * the same answer, and outside demo mode it is refused again */
	CHECK(fhir_client_base_allowed("http://ehr.example.org/fhir", 1, &err) == FHIR_OK,
	      "plain http in demo mode, asked twice (1)");
	CHECK(fhir_client_base_allowed("http://ehr.example.org/fhir", 1, &err) == FHIR_OK,
	      "plain http in demo mode, asked twice (2)");
	CHECK(fhir_client_base_allowed("http://ehr.example.org/fhir", 0, &err) == FHIR_ERR_INVALID,
	      "the remembered demo-mode base outside demo mode");
	CHECK(fhir_client_base_allowed("http://ehr.example.org/fhi", 1, &err) == FHIR_OK &&
	          fhir_client_base_allowed("http://ehr.example.org/fhir?", 0, &err) ==
	              FHIR_ERR_INVALID,
	      "a prefix or extension of the remembered base is worked out anew");

	/* No token: fhirServer is not queried, and the 412 says why. */
	if (!read_vector("412-hny142-conditions-not-prefetched", &v)) {
		CHECK(0, "vector missing");
		return;
	}
	reply = call(app, v.request, &v.now, &status, NULL);
	diag = fhir_get_string(cJSON_GetArrayItem(fhir_get(reply, "issue"), 0), "diagnostics");
	CHECK(status == 412 && diag != NULL && strstr(diag, "conditions") != NULL &&
	          strstr(diag, "without fhirAuthorization") != NULL,
	      "no token: %u %s", status, diag ? diag : "");
	cJSON_Delete(reply);
	cJSON_Delete(v.request);

	/* A paged prefetch Bundle that cannot be followed (no token) is incomplete: unavailable. */
	if (!read_vector("hny142-injection-A-met-E-met-commissioned", &v)) {
		CHECK(0, "vector missing");
		return;
	}
	request = v.request;
	cJSON *link = cJSON_CreateObject();
	cJSON_AddStringToObject(link, "relation", "next");
	cJSON_AddStringToObject(link, "url", "https://ehr.example.org/fhir/Condition?page=2");
	cJSON *links = cJSON_CreateArray();
	cJSON_AddItemToArray(links, link);
	cJSON_AddItemToObject(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(request, "prefetch"),
	                                     "conditions"),
	    "link", links);
	reply = call(app, request, &v.now, &status, NULL);
	diag = fhir_get_string(cJSON_GetArrayItem(fhir_get(reply, "issue"), 0), "diagnostics");
	CHECK(status == 412 && diag != NULL && strstr(diag, "prefetch 'conditions'") != NULL,
	      "a paged Bundle without a usable server: %u %s", status, diag ? diag : "");
	cJSON_Delete(reply);
	cJSON_Delete(request);
}

/* ---- (2) every vector against the real FHIR server ------------------------------------------ */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_vectors(char **names)
{
	char dir[4096];
	DIR *d;
	const struct dirent *ent;
	size_t count = 0;

	snprintf(dir, sizeof(dir), "%s/tests/vectors", source_dir);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((ent = readdir(d)) != NULL && count < MAX_CASES)
		if (ent->d_name[0] != '.')
			names[count++] = strdup(ent->d_name);
	closedir(d);
	qsort(names, count, sizeof(*names), by_name);
	return count;
}

/* Whether the discovery templates can fetch back what the vector prefetched: not when the
 * `medications` Bundle holds MedicationStatements (the template searches MedicationRequest) or
 * `patient` is a Bundle carrying more than the Patient (its Organization, PractitionerRole): a
 * read of Patient/{id} returns the Patient alone; nor when a searchset holds entries the client's
 * search included (search.mode include: Medication, PractitionerRole): the templates ask for no
 * _include; nor when a searchset is longer than the test server serves (20 pages of 2). NULL
 * when they can, else why not. */
static const char *not_fetchable(const cJSON *prefetch)
{
	const cJSON *entry, *value;

	cJSON_ArrayForEach(value, prefetch)
	{
		cJSON_ArrayForEach(entry, fhir_get(value, "entry"))
		{
			const char *mode = fhir_get_string(fhir_get(entry, "search"), "mode");

			if (mode != NULL && strcmp(mode, "include") == 0)
				return "entries a search included (search.mode include: the "
				       "templates have no _include)";
		}
	}

	/* server.mjs pages every search by 2 (FHIR_PAGE_SIZE, unset here) and the client follows
	 * at most FHIR_CLIENT_MAX_PAGES pages of one search: a longer searchset (a long GP record
	 * of 41+ Conditions) cannot be fetched whole from the test server */
	cJSON_ArrayForEach(value, prefetch)
	{
		if (cJSON_GetArraySize(fhir_get(value, "entry")) > 2 * (int)FHIR_CLIENT_MAX_PAGES)
			return "a searchset longer than the test server's 20 pages of 2 entries";
	}
	cJSON_ArrayForEach(entry, prefetch)
	{
		if (fhir_bundle_failed(entry))
			return "a Bundle whose search failed (an error OperationOutcome entry: the "
			       "server's search succeeds)";
	}
	cJSON_ArrayForEach(entry, fhir_get(fhir_get(prefetch, "medications"), "entry"))
	{
		const char *type = fhir_get_string(fhir_get(entry, "resource"), "resourceType");

		if (type != NULL && strcmp(type, "MedicationStatement") == 0)
			return "MedicationStatements (the medications template searches "
			       "MedicationRequest)";
	}
	{
		/* a searchset's _include'd resources (a Medication, a PractitionerRole): the
		 * discovery templates search one type each and include nothing */
		static const char *const keyed[][2] = {{"conditions", "Condition"},
		                                       {"procedures", "Procedure"},
		                                       {"observations", "Observation"},
		                                       {"medications", "MedicationRequest"}};

		for (size_t k = 0; k < sizeof(keyed) / sizeof(keyed[0]); k++) {
			cJSON_ArrayForEach(entry,
			                   fhir_get(fhir_get(prefetch, keyed[k][0]), "entry"))
			{
				const char *type =
				    fhir_get_string(fhir_get(entry, "resource"), "resourceType");

				if (type != NULL && strcmp(type, keyed[k][1]) != 0 &&
				    strcmp(type, "OperationOutcome") != 0)
					return "resources a template does not search for (an "
					       "_include'd "
					       "Medication or PractitionerRole)";
			}
		}
	}
	if (fhir_get_string(fhir_get(prefetch, "patient"), "resourceType") != NULL &&
	    strcmp(fhir_get_string(fhir_get(prefetch, "patient"), "resourceType"), "Bundle") == 0)
		return "a patient Bundle with the practice (a read of Patient/{id} returns the "
		       "Patient alone)";
	return NULL;
}

static void test_vector(struct cds_app *shared, const char *name)
{
	struct vector v;
	struct cds_app *own = NULL, *app = shared;
	char url[8192], server[4096];
	cJSON *load = NULL, *loaded = NULL, *fetched = NULL, *a = NULL, *b = NULL;
	unsigned sa = 0, sb = 0;
	char *raw = NULL;

	if (!read_vector(name, &v)) {
		CHECK(0, "%s: unreadable", name);
		return;
	}
	if (not_fetchable(fhir_get(v.request, "prefetch")) != NULL) {
		printf("skip %s: its prefetch holds %s\n", name,
		       not_fetchable(fhir_get(v.request, "prefetch")));
		goto out;
	}
	if (v.config[0] != '\0' && (app = own = new_app(v.config, COMPARE_BUDGET_MS)) == NULL) {
		CHECK(0, "%s: deployment does not load", name);
		goto out;
	}
	load = load_body(fhir_get(v.request, "prefetch"));
	char *text = cJSON_PrintUnformatted(load);
	snprintf(url, sizeof(url), "%s/t/%s/$load", fhir_root, name);
	loaded = http(url, text, NULL);
	free(text);
	if (!cJSON_IsNumber(fhir_get(loaded, "loaded"))) {
		CHECK(0, "%s: the FHIR server did not load the data", name);
		goto out;
	}
	a = call(app, v.request, &v.now, &sa, NULL);
	fetched = cJSON_Duplicate(v.request, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(fetched, "prefetch");
	snprintf(server, sizeof(server), "%s/t/%s/fhir", fhir_root, name);
	point_at(fetched, server, fhir_token);
	b = call(app, fetched, &v.now, &sb, &raw);
	CHECK(same_answer(name, sa, a, sb, b), "%s: fetched answer differs", name);
	CHECK(raw == NULL || strstr(raw, fhir_token) == NULL, "%s: the token is in the reply",
	      name);
	/* hook: a paged prefetch Bundle whose next pages come from the server */
	if (strcmp(name, "hny142-injection-A-met-E-met-commissioned") == 0) {
		cJSON *paged = cJSON_Duplicate(v.request, 1);
		cJSON *page;
		unsigned sc = 0;
		cJSON *c;

		int w = snprintf(url, sizeof(url), "%s/Condition?patient=%s&_count=1", server,
		                 fhir_get_string(fhir_get(v.request, "context"), "patientId"));
		page = w > 0 && (size_t)w < sizeof(url) ? http(url, NULL, fhir_token) : NULL;
		CHECK(page != NULL && fhir_get(page, "link") != NULL, "page 1 has links");
		cJSON_ReplaceItemInObjectCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(paged, "prefetch"), "conditions", page);
		point_at(paged, server, fhir_token);
		c = call(app, paged, &v.now, &sc, NULL);
		cJSON_Delete(a);
		a = call(app, v.request, &v.now, &sa, NULL);
		CHECK(same_answer("paged prefetch", sa, a, sc, c),
		      "a paged prefetch Bundle is completed from the server");
		cJSON_Delete(c);
		cJSON_Delete(paged);
	}
out:
	free(raw);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(load);
	cJSON_Delete(loaded);
	cJSON_Delete(fetched);
	cJSON_Delete(v.request);
	unserve(own);
	cds_app_free(own);
}

/* Connections are reused across requests (CDS Hooks 2.0 §Prefetch fetching, within budget). */
static void test_reuse(void)
{
	char url[4096];
	int calls = own_calls + 1;
	cJSON *stats;
	double connections, requests;

	snprintf(url, sizeof(url), "%s/$stats", fhir_root);
	stats = http(url, NULL, NULL);
	connections = cJSON_GetNumberValue(fhir_get(stats, "connections")) - calls;
	requests = cJSON_GetNumberValue(fhir_get(stats, "requests"));
	printf("FHIR server: %.0f GETs from the service on %.0f connections\n", requests,
	       connections);
	CHECK(requests > 0 && connections < requests / 4,
	      "connections are not reused: %.0f GETs on %.0f connections", requests, connections);
	cJSON_Delete(stats);
}

/* ---- (3) faults ----------------------------------------------------------------------------- */

/* The vector's request, prefetch as given, pointed at `server`; expects 412 naming `key` and
 * `why` (a substring of the diagnostics). */
static void expect_412(struct cds_app *app, const char *vector, const char *server, const char *key,
                       const char *why)
{
	struct vector v;
	unsigned status = 0;
	cJSON *reply;
	const char *diag;
	char *raw = NULL;

	if (!read_vector(vector, &v)) {
		CHECK(0, "vector %s missing", vector);
		return;
	}
	point_at(v.request, server, fhir_token);
	reply = call(app, v.request, &v.now, &status, &raw);
	diag = fhir_get_string(cJSON_GetArrayItem(fhir_get(reply, "issue"), 0), "diagnostics");
	CHECK(status == 412 && diag != NULL && strstr(diag, key) != NULL &&
	          strstr(diag, why) != NULL,
	      "%s: want 412 naming '%s' and '%s'; got %u %s", server, key, why, status,
	      diag ? diag : (raw ? raw : ""));
	CHECK(raw == NULL || strstr(raw, fhir_token) == NULL, "the token is in the reply");
	free(raw);
	cJSON_Delete(reply);
	cJSON_Delete(v.request);
}

/* The vector answered the same with fhirServer = `server` as without it. */
static void expect_same(struct cds_app *app, const char *vector, const char *server)
{
	struct vector v;
	unsigned sa = 0, sb = 0;
	cJSON *a, *b, *pointed;

	if (!read_vector(vector, &v)) {
		CHECK(0, "vector %s missing", vector);
		return;
	}
	a = call(app, v.request, &v.now, &sa, NULL);
	pointed = cJSON_Duplicate(v.request, 1);
	point_at(pointed, server, fhir_token);
	b = call(app, pointed, &v.now, &sb, NULL);
	CHECK(same_answer(vector, sa, a, sb, b), "%s with %s", vector, server);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(pointed);
	cJSON_Delete(v.request);
}

static void test_faults(void)
{
	static const struct {
		const char *path, *why;
	} faults[] = {
	    {"slow", "fetch budget"},
	    {"garbage", "not a FHIR JSON resource"},
	    {"huge", "larger than"},
	    {"huge-bundle", "more than 10000 entries"},
	    {"redirect-loop", "redirects"},
	    {"paging-loop", "links back to page"},
	    {"paging-endless", "more than 20 pages"},
	    {"elsewhere", "points away from fhirServer"},
	    {"status/401", "refused the access token (HTTP 401)"},
	    {"status/403", "refused the access token (HTTP 403)"},
	    {"status/404", "HTTP 404"},
	    {"status/500", "HTTP 500"},
	    {"wrong-type", "expected a searchset Bundle, got Patient"},
	};
	/* A generous budget, so that only `slow` meets it even on a loaded machine; `slow` gets a
	 * short one of its own. */
	struct cds_app *app = new_app(NULL, 10000), *quick = new_app(NULL, 300);
	char server[4096];
	size_t i;
	cJSON *seen;
	char *text;

	if (app == NULL || quick == NULL) {
		CHECK(0, "app");
		cds_app_free(app);
		cds_app_free(quick);
		return;
	}
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		snprintf(server, sizeof(server), "%s/%s", fault_root, faults[i].path);
		expect_412(i == 0 ? quick : app, "412-hny142-conditions-not-prefetched", server,
		           "conditions", faults[i].why);
	}
	/* a read that gets the wrong type (encounter, optional: named in the note) */
	snprintf(server, sizeof(server), "%s/wrong-type", fault_root);
	expect_412(app, "412-nwl-mri-no-prefetch", server, "conditions",
	           "encounter: expected Encounter, got Bundle");
	/* a server that is down: port 9 (discard) on loopback is closed on test machines */
	expect_412(app, "412-hny142-conditions-not-prefetched", "http://127.0.0.1:9/fhir",
	           "conditions", "onnect");
	/* optional keys that fail leave criteria unknown: the same answer as without them */
	snprintf(server, sizeof(server), "%s/status/500", fault_root);
	expect_same(app, "hny142-aspiration-procedures-unavailable-criteria-unknown", server);
	/* `null` is never fetched: no Condition request reaches the server */
	snprintf(server, sizeof(server), "%s/status/500/null-check", fault_root);
	expect_same(app, "nwl-conditions-null-is-empty-list", server);
	snprintf(server, sizeof(server), "%s/$seen", fault_root);
	seen = http(server, NULL, NULL);
	text = cJSON_PrintUnformatted(seen);
	CHECK(text != NULL && strstr(text, "null-check/Condition") == NULL,
	      "a null prefetch value was fetched: %s", text ? text : "(no answer)");
	free(text);
	cJSON_Delete(seen);
	unserve(app);
	unserve(quick);
	cds_app_free(app);
	cds_app_free(quick);
}

int main(void)
{
	struct cds_app *app;
	char *names[MAX_CASES];
	size_t count, i;
	int fd;
	char *logged;

	source_dir = getenv("CDS_SOURCE_DIR") ? getenv("CDS_SOURCE_DIR") : ".";
	fhir_root = getenv("FHIR_ROOT");
	fault_root = getenv("FAULT_ROOT");
	fhir_token = getenv("FHIR_TOKEN") ? getenv("FHIR_TOKEN") : "test-token-not-secret";
	if (fhir_client_global_init() != FHIR_OK || (fd = mkstemp(log_path)) < 0) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	close(fd);
	app = new_app(NULL, COMPARE_BUDGET_MS);
	CHECK(app != NULL, "the embedded configuration loads");
	if (app == NULL)
		return testkit_done();
	test_offline(app);
	if (fhir_root != NULL) {
		count = list_vectors(names);
		CHECK(count > 0, "vectors found");
		for (i = 0; i < count; i++) {
			test_vector(app, names[i]);
			free(names[i]);
		}
		test_reuse();
	} else {
		printf("SKIP: FHIR_ROOT not set: decision vectors against the FHIR server\n");
	}
	if (fault_root != NULL)
		test_faults();
	else
		printf("SKIP: FAULT_ROOT not set: fault tests\n");
	/* (4) the same through the HTTP server: fetches on its fetch thread, no worker waiting */
	int before = testkit_failed;
	serving = 1;
	if (fhir_root != NULL) {
		count = list_vectors(names);
		for (i = 0; i < count; i++) {
			test_vector(app, names[i]);
			free(names[i]);
		}
	}
	if (fault_root != NULL)
		test_faults();
	stop_serving();
	printf("through the HTTP server: %d failures\n", testkit_failed - before);
	cds_app_free(app);
	/* CDS Hooks 2.0 §fhirAuthorization: the token is never logged */
	logged = testkit_read(log_path, NULL);
	CHECK(logged != NULL && strstr(logged, fhir_token) == NULL,
	      "the decision log holds the access token");
	free(logged);
	unlink(log_path);
	fhir_client_global_cleanup();
	return testkit_done();
}
