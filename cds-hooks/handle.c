/* handle.c — cds_handle: routes one request (method, path) to discovery, a service call, feedback
 * or health, and maps every failure to its HTTP status with an OperationOutcome body
 * (CDS Hooks 2.0 §HTTP Response and §Status codes). Shared by the server, `eval` and tests, so
 * it must not do network I/O or read HTTP headers beyond those in cds_request. */
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

#define DISCOVERY_PATH  "/cds-services"
#define FEEDBACK_SUFFIX "/feedback"

static void method_not_allowed(struct cds_reply *out, const char *method, const char *path,
                               const char *allow)
{
	cds__reply_error(out, 405, "not-supported", NULL,
	                 "method %.16s is not allowed on %.200s; use %s", method, path, allow);
	out->allow = allow;
}

static void health(struct cds_app *app, struct cds_reply *out)
{
	cJSON *body = cds__must(cJSON_CreateObject());
	cds__must(cJSON_AddStringToObject(body, "status", "ok"));
	cds__must(cJSON_AddStringToObject(body, "version", CDS_VERSION));
	const char *name = engine_deployment_name(app->engine);
	if (name)
		cds__must(cJSON_AddStringToObject(body, "deployment", name));
	cds__must(
	    cJSON_AddNumberToObject(body, "policies", (double)engine_policy_count(app->engine)));
	cds__must(
	    cJSON_AddNumberToObject(body, "feedbackRecorded", (double)cds__feedback_total(app)));
	cds__reply_json(out, 200, body, 0);
}

/* Checks the size and media type of a POST body and parses it. On failure fills out and
 * returns non-zero. NEW: *json. */
static int read_body(const struct cds_request *req, struct cds_reply *out, cJSON **json)
{
	struct fhir_error err = {{0}, {0}};
	*json = NULL;
	if (req->body_length > CDS_MAX_BODY_BYTES) {
		cds__reply_error(out, 413, "too-costly", NULL,
		                 "the request body is %zu bytes; at most %u are accepted",
		                 req->body_length, CDS_MAX_BODY_BYTES);
		return -1;
	}
	if (!cds__content_type_is_json(req->content_type)) {
		cds__reply_error(out, 415, "not-supported", NULL,
		                 "Content-Type must be application/json, not %.100s",
		                 req->content_type ? req->content_type : "(none)");
		return -1;
	}
	if (cds__parse_body(req->body, req->body_length, json, &err) != FHIR_OK) {
		cds__reply_error(out, 400, "invalid", err.where, "%s", err.message);
		return -1;
	}
	return 0;
}

/* Adds the record type and the correlation members (hookInstance, service, timestamp) to one
 * decision-log record unless the engine set them. */
static void log_decorate(cJSON *record, const char *hook_instance, const char *service,
                         const char *timestamp)
{
	if (!cJSON_IsObject(record))
		return;
	if (!cJSON_GetObjectItemCaseSensitive(record, "type")) /* feedback lines say "feedback" */
		cds__must(cJSON_AddStringToObject(record, "type", "decision"));
	if (!cJSON_GetObjectItemCaseSensitive(record, "hookInstance"))
		cds__must(cJSON_AddStringToObject(record, "hookInstance", hook_instance));
	if (!cJSON_GetObjectItemCaseSensitive(record, "service"))
		cds__must(cJSON_AddStringToObject(record, "service", service));
	if (!cJSON_GetObjectItemCaseSensitive(record, "timestamp"))
		cds__must(cJSON_AddStringToObject(record, "timestamp", timestamp));
}

/* POST /cds-services/{id}. CDS Hooks 2.0 §Calling a CDS Service. */
static void service_call(struct cds_app *app, const struct cds__service *service,
                         const struct cds_request *req, struct cds_reply *out)
{
	struct fhir_error err = {{0}, {0}};
	struct engine_result result;
	struct cds__fetched fetched;
	cJSON *json = NULL;
	memset(&result, 0, sizeof result);
	memset(&fetched, 0, sizeof fetched);
	if (read_body(req, out, &json) != 0)
		goto out;
	const cJSON *instance =
	    cJSON_IsObject(json) ? cJSON_GetObjectItemCaseSensitive(json, "hookInstance") : NULL;
	if (cJSON_IsString(instance))
		cds__sanitize(instance->valuestring, out->hook_instance, sizeof out->hook_instance);
	if (cds__validate_envelope(json, service, &err) != FHIR_OK) {
		cds__reply_error(out, 400, "invalid", err.where, "%s", err.message);
		goto out;
	}
	struct fhir_datetime now;
	if (req->now)
		now = *req->now;
	else
		fhir_datetime_now(&now);
	cds__fetch(app, json, &fetched); /* CDS Hooks 2.0 §Prefetch: fetch what is missing */
	int rc = engine_assess_with(app->engine, json, fetched.data, &now, &result, &err);
	if (rc == FHIR_ERR_INVALID) {
		cds__reply_error(out, 400, "invalid", err.where, "%s", err.message);
		goto out;
	}
	if (rc != FHIR_OK) {
		cds__reply_error(out, 500, "exception", err.where, "the assessment failed: %s",
		                 err.message);
		goto out;
	}

	/* The decision log: one line per record, correlated, never the access token. */
	char stamp[40];
	cds__timestamp(stamp, sizeof stamp);
	if (cJSON_IsArray(result.log)) {
		for (cJSON *rec = result.log->child; rec; rec = rec->next) {
			log_decorate(rec, instance->valuestring, service->id, stamp);
			cds__log_record(app, rec);
		}
	}

	if (result.http_status == 412) { /* CDS Hooks 2.0 §Prefetch: required data unobtainable */
		cds__reply_error(out, 412, "processing", NULL,
		                 "data a policy requires is missing: %s%s%s",
		                 result.missing[0] ? result.missing : "(unspecified)",
		                 fetched.note[0] ? "; fhirServer: " : "", fetched.note);
		goto out;
	}
	if (result.http_status != 200 || !cJSON_IsObject(result.response)) {
		cds__reply_error(out, 500, "exception", NULL, "the engine returned status %d",
		                 result.http_status);
		goto out;
	}
	cJSON *response = result.response;
	result.response = NULL;
	/* CDS Hooks 2.0 §Response: `cards` is REQUIRED, even when empty. */
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(response, "cards"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(response, "cards");
		cds__must(cJSON_AddArrayToObject(response, "cards"));
	}
	cds__reply_json(out, 200, response, 1);
out:
	engine_result_clear(&result); /* zeroed or filled: both fine */
	cds__fetched_clear(&fetched);
	cJSON_Delete(json);
}

/* POST /cds-services/{id}/feedback. CDS Hooks 2.0 §Feedback. */
static void feedback_call(struct cds_app *app, const struct cds__service *service,
                          const struct cds_request *req, struct cds_reply *out)
{
	cJSON *json = NULL;
	if (read_body(req, out, &json) == 0)
		cds__feedback_handle(app, service, json, out);
	cJSON_Delete(json);
}

void cds_handle(struct cds_app *app, const struct cds_request *req, struct cds_reply *out)
{
	memset(out, 0, sizeof *out);
	const char *method = req->method ? req->method : "";
	const char *path = req->path ? req->path : "";
	size_t len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		len--; /* tolerate one trailing slash */
	int is_get = strcmp(method, "GET") == 0, is_post = strcmp(method, "POST") == 0;

	if (len == strlen("/healthz") && strncmp(path, "/healthz", len) == 0) {
		if (is_get)
			health(app, out);
		else
			method_not_allowed(out, method, path, "GET");
		return;
	}
	if (len == strlen(DISCOVERY_PATH) && strncmp(path, DISCOVERY_PATH, len) == 0) {
		if (is_get) /* CDS Hooks 2.0 §Discovery */
			cds__reply_text(out, 200, app->discovery, app->discovery_length);
		else
			method_not_allowed(out, method, path, "GET");
		return;
	}
	if (len > strlen(DISCOVERY_PATH) + 1 && strncmp(path, DISCOVERY_PATH "/", 14) == 0) {
		const char *id = path + 14;
		size_t rest = len - 14;
		const char *slash = memchr(id, '/', rest);
		size_t id_len = slash ? (size_t)(slash - id) : rest;
		const struct cds__service *service = cds__service_find(id, id_len);
		int feedback = slash && (size_t)(id + rest - slash) == strlen(FEEDBACK_SUFFIX) &&
		               strncmp(slash, FEEDBACK_SUFFIX, strlen(FEEDBACK_SUFFIX)) == 0;
		if (!service) {
			cds__reply_error(out, 404, "not-found", NULL, "no CDS service '%.*s' here",
			                 (int)(id_len > 100 ? 100 : id_len), id);
			return;
		}
		if (slash && !feedback) {
			cds__reply_error(out, 404, "not-found", NULL, "no such resource: %.200s",
			                 path);
			return;
		}
		if (!is_post)
			method_not_allowed(out, method, path, "POST");
		else if (feedback)
			feedback_call(app, service, req, out);
		else
			service_call(app, service, req, out);
		return;
	}
	cds__reply_error(out, 404, "not-found", NULL, "no such resource: %.200s", path);
}
