/* test_http.c — the HTTP server end to end: starts it in-process on 127.0.0.1 port 0 and drives
 * it with libcurl: discovery, a service call with the UK MSK example, 404, 405 (Allow header),
 * 413 (declared and chunked bodies over the limit), 415, malformed JSON, feedback, /healthz,
 * and a few parallel clients. Reads examples from $CDS_SHARED_DIR. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cds.h"
#include "httpclient.h"
#include "testkit.h"

static unsigned port;

/* One HTTP exchange's result. */
struct http {
	long status;
	char *body; /* NEW, NUL-terminated */
	size_t length;
	char content_type[128];
	char allow[64];
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct http *h = ctx;

	return httptest_append(&h->body, &h->length, data, size * n);
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct http *h = ctx;
	httptest_header_value(data, size * n, "Content-Type", h->content_type,
	                      sizeof h->content_type);
	httptest_header_value(data, size * n, "Allow", h->allow, sizeof h->allow);
	return size * n;
}

/* Streams `chunked_total` bytes of '[' through a read callback (chunked upload). */
struct stream {
	size_t left;
};
static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
	struct stream *s = ctx;
	size_t len = size * n < s->left ? size * n : s->left;
	memset(buf, ' ', len);
	s->left -= len;
	return len;
}

/* Performs one request; content_type NULL sends none; chunked > 0 streams that many bytes. */
static int perform(const char *method, const char *path, const char *content_type, const char *body,
                   size_t length, size_t chunked, struct http *h)
{
	char url[512];
	memset(h, 0, sizeof *h);
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct stream stream = {chunked};
	if (!curl)
		return -1;
	char ct[160];
	snprintf(ct, sizeof ct, "Content-Type: %s", content_type ? content_type : "");
	headers = curl_slist_append(headers, ct); /* "Content-Type:" alone removes the header */
	if (chunked)
		headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (chunked) {
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, &stream);
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	} else if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
	}
	CURLcode rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &h->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK)
		fprintf(stderr, "curl %s %s: %s\n", method, path, curl_easy_strerror(rc));
	return rc == CURLE_OK ? 0 : -1;
}

/* Checks status, JSON content type, and that the body is an OperationOutcome on errors. */
static void expect(const struct http *h, long status, const char *what)
{
	CHECK(h->status == status, "%s: status %ld, want %ld: %s", what, h->status, status,
	      h->body ? h->body : "(no body)");
	CHECK(strncmp(h->content_type, "application/json", 16) == 0, "%s: Content-Type '%s'", what,
	      h->content_type);
	cJSON *doc = h->body ? cJSON_Parse(h->body) : NULL;
	CHECK(cJSON_IsObject(doc), "%s: body is not a JSON object: %s", what,
	      h->body ? h->body : "(no body)");
	if (status >= 400 && doc) {
		const cJSON *rt = cJSON_GetObjectItemCaseSensitive(doc, "resourceType");
		CHECK(cJSON_IsString(rt) && strcmp(rt->valuestring, "OperationOutcome") == 0,
		      "%s: error body is not an OperationOutcome: %s", what, h->body);
	}
	cJSON_Delete(doc);
}

static void done(struct http *h)
{
	free(h->body);
	h->body = NULL;
}

static void *parallel_client(void *arg)
{
	int *ok = arg;
	for (int i = 0; i < 10; i++) {
		struct http h;
		if (perform("GET", "/cds-services", NULL, NULL, 0, 0, &h) == 0 && h.status == 200)
			(*ok)++;
		done(&h);
	}
	return NULL;
}

int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024];
	struct cds_app *app = NULL;
	struct cds_server *server = NULL;
	struct fhir_error err = {{0}, {0}};
	struct http h;

	curl_global_init(CURL_GLOBAL_ALL); /* once, before threads (architecture.md rule 10) */
	struct cds_app_options opts = {
	    .policies_dir = NULL, .config_file = NULL, .decision_log = "-"};
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK) {
		CHECK(0, "the embedded configuration does not load");
		return testkit_done();
	}
	int rc = cds_server_start(app, "127.0.0.1", 0, &server, &err);
	CHECK(rc == FHIR_OK && server, "server start: %s", err.message);
	if (!server) {
		cds_app_free(app);
		return testkit_done();
	}
	port = cds_server_port(server);
	CHECK(port != 0, "an ephemeral port is reported");

	/* A bad bind address is refused, not crashed on. */
	struct cds_server *other = NULL;
	CHECK(cds_server_start(app, "not-an-address", 0, &other, &err) == FHIR_ERR_INVALID &&
	          !other,
	      "bad bind address");
	/* The same port twice fails with FHIR_ERR_IO. */
	CHECK(cds_server_start(app, "127.0.0.1", port, &other, &err) == FHIR_ERR_IO && !other,
	      "port in use");

	/* Discovery (D1, D2). */
	CHECK(perform("GET", "/cds-services", NULL, NULL, 0, 0, &h) == 0, "discovery request");
	expect(&h, 200, "discovery");
	cJSON *doc = h.body ? cJSON_Parse(h.body) : NULL;
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "services")) == 2,
	      "two services: %s", h.body);
	cJSON_Delete(doc);
	done(&h);

	/* The UK MSK example -> 200 with a cards array (H1, H2). */
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared ? shared : "../shared");
	size_t length = 0;
	char *example = testkit_read(path, &length);
	CHECK(example != NULL, "read %s", path);
	if (example) {
		CHECK(perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT,
		              "application/json; charset=utf-8", example, length, 0, &h) == 0,
		      "service call");
		expect(&h, 200, "knee injection");
		doc = h.body ? cJSON_Parse(h.body) : NULL;
		CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "cards")), "cards: %s",
		      h.body);
		cJSON_Delete(doc);
		done(&h);

		/* 415: the same body as text/plain, and with no Content-Type at all. */
		perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT, "text/plain", example,
		        length, 0, &h);
		expect(&h, 415, "text/plain");
		done(&h);
		perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT, NULL, example, length, 0,
		        &h);
		expect(&h, 415, "no Content-Type");
		done(&h);
	}
	free(example);

	/* 404, 405 with Allow. */
	perform("POST", "/cds-services/nope", "application/json", "{}", 2, 0, &h);
	expect(&h, 404, "unknown service");
	done(&h);
	perform("GET", "/nothing/here?x=1", NULL, NULL, 0, 0, &h);
	expect(&h, 404, "unknown path");
	done(&h);
	perform("GET", "/cds-services/" CDS_SERVICE_ORDER_SIGN, NULL, NULL, 0, 0, &h);
	expect(&h, 405, "GET a service");
	CHECK(strcmp(h.allow, "POST") == 0, "Allow: POST, got '%s'", h.allow);
	done(&h);
	perform("DELETE", "/cds-services", NULL, NULL, 0, 0, &h);
	expect(&h, 405, "DELETE discovery");
	CHECK(strcmp(h.allow, "GET") == 0, "Allow: GET, got '%s'", h.allow);
	done(&h);

	/* 413: a declared body over the limit (answered before it is read), then a chunked one. */
	size_t big = (size_t)CDS_MAX_BODY_BYTES + 1;
	char *huge = malloc(big);
	if (huge) {
		memset(huge, ' ', big);
		perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT, "application/json", huge,
		        big, 0, &h);
		expect(&h, 413, "declared body over the limit");
		done(&h);
	}
	free(huge);
	perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT, "application/json", NULL, 0, big,
	        &h);
	expect(&h, 413, "chunked body over the limit");
	done(&h);

	/* 400: malformed JSON and a missing hookInstance. */
	perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT, "application/json",
	        "{\"hook\":", 8, 0, &h);
	expect(&h, 400, "malformed JSON");
	done(&h);
	const char *no_instance = "{\"hook\":\"order-select\",\"context\":{}}";
	perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT, "application/json", no_instance,
	        strlen(no_instance), 0, &h);
	expect(&h, 400, "missing hookInstance");
	CHECK(h.body && strstr(h.body, "/hookInstance"), "pointer in body: %s", h.body);
	done(&h);

	/* Feedback (F1) and health. */
	const char *fb = "{\"feedback\":[{\"card\":\"c1\",\"outcome\":\"overridden\","
	                 "\"overrideReason\":{\"reason\":{\"code\":\"x\",\"system\":\"y\"}},"
	                 "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}";
	perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT "/feedback", "application/json",
	        fb, strlen(fb), 0, &h);
	expect(&h, 200, "feedback");
	done(&h);
	perform("POST", "/cds-services/" CDS_SERVICE_ORDER_SELECT "/feedback", "application/json",
	        "{\"feedback\":[{}]}", 16, 0, &h);
	expect(&h, 400, "invalid feedback");
	done(&h);
	perform("GET", "/healthz", NULL, NULL, 0, 0, &h);
	expect(&h, 200, "healthz");
	CHECK(h.body && strstr(h.body, "\"status\":\"ok\"") &&
	          strstr(h.body, "\"feedbackRecorded\":1"),
	      "healthz body: %s", h.body);
	done(&h);

	/* Parallel clients. */
	pthread_t threads[4];
	int ok[4] = {0, 0, 0, 0};
	for (int i = 0; i < 4; i++)
		pthread_create(&threads[i], NULL, parallel_client, &ok[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	CHECK(ok[0] + ok[1] + ok[2] + ok[3] == 40, "parallel discovery: %d of 40 ok",
	      ok[0] + ok[1] + ok[2] + ok[3]);

	cds_server_stop(server);
	cds_app_free(app);
	curl_global_cleanup();
	return testkit_done();
}
