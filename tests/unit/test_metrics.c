/* test_metrics.c — GET /metrics and GET /readyz through cds_handle (issue 14 item 2):
 *  - the exposition format 0.0.4: the Content-Type; every sample's family has one HELP and one
 *    TYPE line before it; names are cds_-prefixed, counters end in _total; histogram buckets
 *    are cumulative and end at +Inf equal to _count;
 *  - decisions by policy, version and outcome add up to the decision-log lines written;
 *    requests by endpoint/service/status (trailing slash, unknown service, odd status);
 *  - feedback override reasons: 40 distinct codes keep 32 series and count the rest as "other"
 *    (untrusted input cannot grow the table); a code with `"`, `\` and a newline is escaped;
 *  - auth failures by reason name; FHIR fetch items, failures and latency; the policy-set
 *    digest is stable and changes with a file;
 *  - /readyz: 200, then 503 "shutting down" once draining; an app whose decision log cannot be
 *    written (/dev/full) is 503 after a decision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds_internal.h"
#include "testkit.h"

static unsigned get(struct cds_app *app, const char *path, struct cds_reply *reply)
{
	struct cds_request req = {0};
	req.method = "GET";
	req.path = path;
	cds_handle(app, &req, reply);
	return reply->status;
}

static unsigned post(struct cds_app *app, const char *path, const char *body)
{
	struct cds_request req = {0};
	struct cds_reply reply = {0};
	req.method = "POST";
	req.path = path;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = strlen(body);
	cds_handle(app, &req, &reply);
	unsigned status = reply.status;
	cds_reply_clear(&reply);
	return status;
}

/* The sum of every sample of `family` whose line contains `filter` (NULL: all). */
static double sum_of(const char *text, const char *family, const char *filter)
{
	double sum = 0;
	size_t n = strlen(family);
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (strncmp(line, family, n) == 0 && (line[n] == '{' || line[n] == ' ')) {
			char buf[1024];
			snprintf(buf, sizeof buf, "%.*s", (int)len, line);
			if (!filter || strstr(buf, filter))
				sum += strtod(strrchr(buf, ' ') + 1, NULL);
		}
		line = nl ? nl + 1 : NULL;
	}
	return sum;
}

/* Checks the text format's shape: HELP and TYPE once per family, before its samples. */
static void check_format(const char *text)
{
	char family[128] = "", type[32] = "";
	int helps = 0, types = 0, samples = 0, bad = 0;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		char buf[2048];
		if (!nl) {
			bad++; /* the text ends with a newline */
			break;
		}
		snprintf(buf, sizeof buf, "%.*s", (int)(nl - line), line);
		if (strncmp(buf, "# HELP ", 7) == 0) {
			sscanf(buf + 7, "%127s", family);
			helps++;
		} else if (strncmp(buf, "# TYPE ", 7) == 0) {
			char name[128];
			sscanf(buf + 7, "%127s %31s", name, type);
			bad += strcmp(name, family) != 0;
			bad += strcmp(type, "counter") && strcmp(type, "gauge") &&
			       strcmp(type, "histogram");
			bad += strcmp(type, "counter") == 0 &&
			       (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total") != 0);
			types++;
		} else {
			size_t n = strlen(family);
			int mine = strncmp(buf, family, n) == 0 &&
			           (buf[n] == '{' || buf[n] == ' ' ||
			            (strcmp(type, "histogram") == 0 &&
			             (strncmp(buf + n, "_bucket{", 8) == 0 ||
			              strncmp(buf + n, "_sum", 4) == 0 ||
			              strncmp(buf + n, "_count", 6) == 0)));
			if (!mine || strncmp(buf, "cds_", 4) != 0) {
				fprintf(stderr, "sample outside its family (%s): %s\n", family,
				        buf);
				bad++;
			}
			samples++;
		}
		line = nl + 1;
	}
	CHECK(bad == 0 && helps == types && samples > 0, "format: %d bad, %d HELP, %d TYPE", bad,
	      helps, types);
	/* histogram: the +Inf bucket equals _count */
	double inf = sum_of(text, "cds_http_request_duration_seconds_bucket", "le=\"+Inf\"");
	double count = sum_of(text, "cds_http_request_duration_seconds_count", NULL);
	CHECK(inf == count && count > 0, "+Inf %g == count %g", inf, count);
	double b1 = sum_of(text, "cds_http_request_duration_seconds_bucket", "le=\"0.0005\"");
	CHECK(b1 <= inf, "cumulative buckets");
}

static char *example(const char *name)
{
	char path[1024];
	const char *shared = getenv("CDS_SHARED_DIR");
	snprintf(path, sizeof path, "%s/examples/%s", shared ? shared : "../shared", name);
	return testkit_read(path, NULL);
}

int main(void)
{
	char log_path[] = "/tmp/cds-metrics-XXXXXX";
	int fd = mkstemp(log_path);
	CHECK(fd >= 0, "temp file");
	struct cds_app_options o = {.decision_log = log_path};
	struct cds_app *app = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK && app, "app");
	char *body = example("uk-msk-order-select-knee-injection.json");
	CHECK(body != NULL, "example body");
	if (!app || !body)
		return testkit_done();
	struct cds_reply reply = {0};

	CHECK(get(app, "/readyz", &reply) == 200 && strstr(reply.body, "\"ready\""), "ready: %s",
	      reply.body);
	cds_reply_clear(&reply);

	/* requests, decisions */
	for (int i = 0; i < 3; i++) /* server.c counts each reply it queues; here by hand */
		CHECK(post(app, "/cds-services/commissioning-order-select/", body) == 200, "call");
	for (int i = 0; i < 3; i++)
		cds__metrics_request(app->metrics, "/cds-services/commissioning-order-select/", 200,
		                     0.001);
	cds__metrics_request(app->metrics, "/cds-services/nope", 404, 0.0001);
	cds__metrics_request(app->metrics, "/healthz", 418, 0.002);
	cds__metrics_request(app->metrics, "/report", 403, 0.001);
	cds__metrics_request(app->metrics, "/reports", 404, 0.001);
	cds__metrics_auth(app->metrics, CDS__AUTH_EXPIRED);
	cds__metrics_auth(app->metrics, CDS__AUTH_EXPIRED);
	cds__metrics_auth(app->metrics, CDS__AUTH_OK); /* not a failure */
	struct cds__fetch_plan plan; /* one request's fetch: two keys, one not obtained */
	memset(&plan, 0, sizeof plan);
	plan.n = 2;
	plan.items[0].status = FHIR_OK;
	plan.items[1].status = FHIR_ERR_IO;
	cds__metrics_fetch(app->metrics, &plan, 0.3);

	/* feedback: 40 distinct reasons, one with characters to escape */
	size_t feedback_sent = 0;
	for (int i = 0; i < 41; i++) {
		char fb[512];
		snprintf(fb, sizeof fb,
		         "{\"feedback\":[{\"card\":\"7d9b4c1e-0000-4000-8000-%012d\",\"outcome\":"
		         "\"overridden\",\"outcomeTimestamp\":\"2026-12-01T10:00:00Z\","
		         "\"overrideReason\":{\"reason\":{\"code\":\"%s%d\"}}}]}",
		         i, i == 40 ? "a\\\"b\\\\c\\n" : "reason-", i);
		feedback_sent +=
		    post(app, "/cds-services/commissioning-order-select/feedback", fb) == 200;
	}
	CHECK(feedback_sent == 41, "feedback accepted: %zu", feedback_sent);

	CHECK(get(app, "/metrics", &reply) == 200, "metrics");
	CHECK(reply.content_type &&
	          strcmp(reply.content_type, "text/plain; version=0.0.4; charset=utf-8") == 0,
	      "content type %s", reply.content_type ? reply.content_type : "(none)");
	const char *text = reply.body;
	check_format(text);
	CHECK(
	    sum_of(text, "cds_http_requests_total",
	           "endpoint=\"service\",service=\"commissioning-order-select\",status=\"200\"") ==
	        3,
	    "3 calls counted under their service (trailing slash)");
	CHECK(sum_of(text, "cds_http_requests_total",
	             "endpoint=\"other\",service=\"\",status=\"404\"") == 2,
	      "an unknown service and /reports count as other");
	CHECK(sum_of(text, "cds_http_requests_total",
	             "endpoint=\"report\",service=\"\",status=\"403\"") == 1,
	      "GET /report counts as report");
	CHECK(sum_of(text, "cds_http_requests_total",
	             "endpoint=\"healthz\",service=\"\",status=\"other\"") == 1,
	      "an unlisted status counts as other");
	cds__log_flush(app->log);
	char *log = testkit_read(log_path, NULL);
	size_t decisions = 0;
	for (const char *p = log; p && (p = strstr(p, "\"type\":\"decision\"")); p++)
		decisions++;
	CHECK(decisions > 0 && sum_of(text, "cds_decisions_total", NULL) == (double)decisions,
	      "decisions %g == decision-log lines %zu", sum_of(text, "cds_decisions_total", NULL),
	      decisions);
	free(log);
	CHECK(sum_of(text, "cds_decisions_total", "outcome=\"criteria-unknown\"") >= 1,
	      "by outcome");
	CHECK(sum_of(text, "cds_feedback_total", NULL) == 41, "feedback total");
	CHECK(sum_of(text, "cds_feedback_total", "override_reason=\"other\"") == 9,
	      "past 32 codes: other (%g)",
	      sum_of(text, "cds_feedback_total", "override_reason=\"other\""));
	size_t series = 0;
	for (const char *p = text; (p = strstr(p, "\ncds_feedback_total{")); p++)
		series++;
	CHECK(series == 33, "32 codes + other: %zu series", series);
	CHECK(sum_of(text, "cds_auth_failures_total", "reason=\"expired\"") == 2,
	      "auth failures by reason");
	CHECK(sum_of(text, "cds_fhir_fetch_items_total", NULL) == 2 &&
	          sum_of(text, "cds_fhir_fetch_failures_total", NULL) == 1 &&
	          sum_of(text, "cds_fhir_fetch_duration_seconds_bucket", "le=\"0.25\"") == 0 &&
	          sum_of(text, "cds_fhir_fetch_duration_seconds_bucket", "le=\"0.5\"") == 1 &&
	          sum_of(text, "cds_fhir_fetch_duration_seconds_count", NULL) == 1,
	      "FHIR fetches: items, failures, latency bucket");
	CHECK(strstr(text, "cds_policy_set_info{digest=\"sha256:") != NULL, "digest");
	CHECK(strstr(text, "\ncds_http_requests_in_flight 0\n") != NULL, "in flight (no server)");
	cds_reply_clear(&reply);

	/* escaping: " \ and newline in a label value (the table was full: check with a fresh one)
	 */
	struct cds__files files = {0};
	cds__files_add_embedded(&files);
	struct cds__metrics *m = cds__metrics_new(cds_app_engine(app), files.items, files.count);
	cJSON *rec = cJSON_Parse("{\"outcome\":\"overridden\",\"overrideReason\":"
	                         "{\"code\":\"a\\\"b\\\\c\\nd\"}}");
	cds__metrics_feedback(m, rec);
	cJSON_Delete(rec);
	struct cds__metrics *keep = app->metrics;
	app->metrics = m;
	CHECK(get(app, "/metrics", &reply) == 200 &&
	          strstr(reply.body, "override_reason=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL,
	      "label value escaped");
	char digest[100] = "";
	const char *d = strstr(reply.body, "digest=\"");
	if (d)
		snprintf(digest, sizeof digest, "%.71s", d + 8);
	cds_reply_clear(&reply);
	app->metrics = keep;
	cds__metrics_free(m);
	/* the digest: the same files give the same digest, an edited file another */
	CHECK(get(app, "/metrics", &reply) == 200 && digest[0] && strstr(reply.body, digest),
	      "digest stable");
	cds_reply_clear(&reply);
	struct engine_file *copy = calloc(files.count, sizeof *copy);
	memcpy(copy, files.items, files.count * sizeof *copy);
	copy[0].length = copy[0].length ? copy[0].length - 1 : 0;
	m = cds__metrics_new(cds_app_engine(app), copy, files.count);
	app->metrics = m;
	CHECK(get(app, "/metrics", &reply) == 200 && !strstr(reply.body, digest),
	      "digest changes with a file");
	cds_reply_clear(&reply);
	app->metrics = keep;
	cds__metrics_free(m);
	free(copy);
	cds__files_clear(&files);

	/* readiness */
	CHECK(get(app, "/readyz", &reply) == 200, "still ready");
	cds_reply_clear(&reply);
	cds__metrics_draining(app->metrics);
	CHECK(get(app, "/readyz", &reply) == 503 && strstr(reply.body, "shutting down"),
	      "draining: %s", reply.body);
	cds_reply_clear(&reply);
	CHECK(get(app, "/healthz", &reply) == 200, "liveness unchanged");
	cds_reply_clear(&reply);
	{
		struct cds_request req = {.method = "POST", .path = "/metrics"};
		cds_handle(app, &req, &reply);
		CHECK(reply.status == 405 && reply.allow && strcmp(reply.allow, "GET") == 0,
		      "POST /metrics: 405");
		cds_reply_clear(&reply);
	}
	cds_app_free(app);
	unlink(log_path);
	if (fd >= 0)
		close(fd);

	/* a decision log that cannot be written: not ready once a write has failed */
	struct cds_app_options full = {.decision_log = "/dev/full"};
	app = NULL;
	CHECK(cds_app_new(&full, NULL, &app) == FHIR_OK && app, "app on /dev/full");
	if (app) {
		CHECK(get(app, "/readyz", &reply) == 200, "ready before any write");
		cds_reply_clear(&reply);
		CHECK(post(app, "/cds-services/commissioning-order-select", body) == 200, "call");
		cds__log_flush(app->log);
		CHECK(get(app, "/readyz", &reply) == 503 &&
		          strstr(reply.body, "decision log cannot be written"),
		      "log failing: %s", reply.body);
		cds_reply_clear(&reply);
		CHECK(get(app, "/metrics", &reply) == 200 &&
		          sum_of(reply.body, "cds_decision_log_write_failures_total", NULL) > 0,
		      "write failures counted");
		cds_reply_clear(&reply);
		cds_app_free(app);
	}
	free(body);
	return testkit_done();
}
