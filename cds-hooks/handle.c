/* handle.c — cds_handle: routes one request (method, path) to discovery, a service call, feedback
 * or health, answers CORS preflights, asks auth.c whether the caller is trusted, and maps every
 * failure to its HTTP status with an OperationOutcome body (CDS Hooks 2.0 §HTTP Response,
 * §Status codes, §Trusting CDS Clients, §CORS). Shared by the server, `eval` and tests, so it
 * must not read HTTP headers beyond those in cds_request; its only network I/O is a JWKS refresh
 * inside auth and, in cds_handle, the FHIR-server reads of data the prefetch lacks (the server
 * instead answers in steps around a fetch and a store commit that hold no thread:
 * cds__handle_start and cds__handle_finish). GET /report is report_route.c's. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "store/rows.h"

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
	/* cJSON allocates through hooks that abort on out-of-memory (json_hooks.c) */
	cJSON *body = cJSON_CreateObject();
	cJSON *status = cJSON_AddStringToObject(body, "status", "ok");
	cJSON_AddStringToObject(body, "version", CDS_VERSION);
	const char *name = engine_deployment_name(app->engine);
	if (name)
		cJSON_AddStringToObject(body, "deployment", name);
	cJSON_AddNumberToObject(body, "policies", (double)engine_policy_count(app->engine));
	cJSON_AddNumberToObject(body, "feedbackRecorded", (double)cds__feedback_total(app));
	if (cds__record_health(app, body)) /* issue 13: alive, but answering 503: say why */
		cJSON_SetValuestring(status, "degraded");
	cds__reply_json(out, 200, body, 0);
}

/* Checks the size and media type of a POST body and parses it (one_block: read-only, in one
 * allocation; fhir_json_limits). On failure fills out and returns non-zero. NEW: *json. */
static int read_body(const struct cds_app *app, const struct cds_request *req,
                     struct cds_reply *out, int one_block, cJSON **json)
{
	struct fhir_error err = {{0}, {0}};
	const struct cds__limits *limits = &app->settings->limits;
	*json = NULL;
	if (req->body_length > limits->max_body_bytes) {
		cds__reply_error(out, 413, "too-costly", NULL,
		                 "the request body is %zu bytes; at most %lu are accepted",
		                 req->body_length, limits->max_body_bytes);
		return -1;
	}
	if (!cds__content_type_is_json(req->content_type)) {
		cds__reply_error(out, 415, "not-supported", NULL,
		                 "Content-Type must be application/json, not %.100s",
		                 req->content_type ? req->content_type : "(none)");
		return -1;
	}
	if (cds__parse_json_block(req->body, req->body_length, limits->max_json_depth,
	                          limits->max_array_items, one_block, json, &err) != FHIR_OK) {
		cds__reply_error(out, 400, "invalid", err.where, "%s", err.message);
		return -1;
	}
	return 0;
}

/* One decision-log line: the record's members, then the record type and the correlation members
 * (hookInstance, service, timestamp) unless the engine set them. NEW (malloc'd), no newline. */
static char *log_line(const cJSON *record, const char *hook_instance, const char *service,
                      const char *timestamp)
{
	static const char *const names[4] = {"type", "hookInstance", "service", "timestamp"};
	const char *values[4] = {"decision", hook_instance, service, timestamp};
	int set[4] = {0, 0, 0, 0};
	struct fhir_json_writer w;
	fhir_json_init(&w, 0); /* as cJSON_PrintUnformatted wrote it: nothing pruned */
	if (!cJSON_IsObject(record)) {
		fhir_json_value(&w, NULL, record);
		return fhir_json_finish(&w, NULL);
	}
	fhir_json_object(&w, NULL);
	for (const cJSON *m = record->child; m; m = m->next) {
		for (int i = 0; i < 4; i++) /* feedback lines say "feedback" */
			set[i] |= m->string && strcmp(m->string, names[i]) == 0;
		fhir_json_value(&w, m->string, m);
	}
	for (int i = 0; i < 4; i++)
		if (!set[i])
			fhir_json_string(&w, names[i], values[i]);
	fhir_json_end(&w);
	return fhir_json_finish(&w, NULL);
}

/* Copies `systemActions` under `extension.systemActions` when the deployment asks for it
 * (mirrorSystemActionsInExtension): the pre-2.0 place the CDS Hooks Sandbox reads
 * (../shared/reference/cds-hooks-2.0.md §13). The 2.0 top-level field stays. */
static void mirror_system_actions(const struct cds_app *app, cJSON *response)
{
	const cJSON *actions = cJSON_GetObjectItemCaseSensitive(response, "systemActions");
	if (!app->mirror_system_actions || cJSON_GetArraySize(actions) == 0)
		return;
	cJSON *extension = cJSON_GetObjectItemCaseSensitive(response, "extension");
	if (!cJSON_IsObject(extension)) {
		cJSON_DeleteItemFromObjectCaseSensitive(response, "extension");
		extension = cJSON_AddObjectToObject(response, "extension");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(extension, "systemActions");
	cJSON_AddItemToObject(extension, "systemActions", cJSON_Duplicate(actions, 1));
}

static void pending_free(struct cds__pending *p)
{
	if (!p)
		return;
	cds__fetch_plan_clear(&p->plan);
	cds__fetched_clear(&p->fetched);
	engine_request_free(p->req);
	engine_result_clear(&p->result); /* zeroed or filled: both fine */
	cds__store_rows_free(p->rows);
	cJSON_Delete(p->json);
	free(p);
}

/* A service call's reply, once its decisions are committed (or without a store). */
static void service_reply(struct cds_app *app, struct cds__pending *p, struct cds_reply *out)
{
	struct engine_result *result = &p->result;
	const struct cds__service *service = p->service;
	const cJSON *instance = cJSON_GetObjectItemCaseSensitive(p->json, "hookInstance");
	/* Issue 13: committed to the store before anything else sees them, or a 503 and no card
	 * (nor a decision-log line for a reply never sent). */
	if (p->commit_rc != FHIR_OK) {
		if (!p->claim.refused) /* refused: a replay's 401 (settle_claim) */
			cds__record_unavailable(app, "the decision", out);
		return;
	}
	cds__metrics_decisions(app->metrics, result->log);
	/* The decision log: one line per record, correlated, never the access token. */
	char stamp[40];
	cds__timestamp(stamp, sizeof stamp);
	if (cds__log_enabled(app) && cJSON_IsArray(result->log)) {
		for (const cJSON *rec = result->log->child; rec; rec = rec->next)
			cds__log_line(app,
			              log_line(rec, instance->valuestring, service->id, stamp));
	}

	if (p->decisions != NULL) /* the caller reads the records (vectors.c), after the result */
		*p->decisions = result->log ? cJSON_Duplicate(result->log, 1) : NULL;
	if (result->kind == ENGINE_DATA_UNAVAILABLE) { /* CDS Hooks 2.0 §Prefetch: 412 */
		cds__reply_error(out, 412, "processing", NULL,
		                 "data a policy requires is missing: %s%s%s",
		                 result->missing[0] ? result->missing : "(unspecified)",
		                 p->fetched.note[0] ? "; fhirServer: " : "", p->fetched.note);
		return;
	}
	if (result->kind != ENGINE_ASSESSED || !cJSON_IsObject(result->response)) {
		cds__reply_error(out, 500, "exception", NULL,
		                 "the engine returned no response (%d)", (int)result->kind);
		return;
	}
	cJSON *response = result->response;
	result->response = NULL;
	/* CDS Hooks 2.0 §Response: `cards` is REQUIRED, even when empty. */
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(response, "cards"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(response, "cards");
		cJSON_AddArrayToObject(response, "cards");
	}
	mirror_system_actions(app, response);
	cds__reply_json(out, 200, response, 1);
}

/* A service call's second half: the fetched data (if any) in, the assessment; then the reply
 * (0), or 1 when its decisions' rows (p->rows) must be committed first (p->wait). */
static int service_assess(struct cds_app *app, struct cds__pending *p, struct cds_reply *out)
{
	cds__fetch_collect(&p->plan, p->req, &p->fetched);
	int rc = engine_request_assess(p->req, &p->result);
	if (rc != FHIR_OK) {
		cds__reply_error(out, 500, "exception", NULL, "the assessment failed (%d)", rc);
		return 0;
	}
	p->commit_rc = FHIR_OK;
	p->rows = cds__record_decision_rows(app, p->service, p->json, p->result.log,
	                                    p->result.kind == ENGINE_ASSESSED ? p->result.response
	                                                                      : NULL);
	if (p->rows) {
		p->wait = CDS__WAIT_COMMIT;
		return 1;
	}
	service_reply(app, p, out);
	return 0;
}

/* POST /cds-services/{id}. CDS Hooks 2.0 §Calling a CDS Service. When data must be fetched
 * from fhirServer, or decisions committed to the store, stops there: *pending (NEW) holds the
 * call, to be finished by cds__handle_finish once fetched or committed. */
static void service_call(struct cds_app *app, const struct cds__service *service,
                         const struct cds_request *req, struct cds_reply *out,
                         struct cds__pending **pending)
{
	struct fhir_error err = {{0}, {0}};
	cJSON *json = NULL;
	if (read_body(app, req, out, 1, &json) != 0) /* the engine only reads it */
		goto out;
	const cJSON *instance =
	    cJSON_IsObject(json) ? cJSON_GetObjectItemCaseSensitive(json, "hookInstance") : NULL;
	if (cJSON_IsString(instance))
		cds__sanitize(instance->valuestring, out->hook_instance, sizeof out->hook_instance);
	if (cds__validate_envelope(json, service, &err) != FHIR_OK) {
		cds__reply_error(out, 400, "invalid", err.where, "%s", err.message);
		goto out;
	}
	/* not calloc: the plan's item slots are kilobytes nothing reads before they are planned */
	struct cds__pending *p = cds__must(malloc(sizeof *p));
	memset(p, 0, offsetof(struct cds__pending, fetched)); /* result, rows too */
	memset(&p->fetched, 0, sizeof p->fetched);
	cds__fetch_plan_init(&p->plan);
	p->service = service;
	p->decisions = req->decisions;
	p->json = json;
	json = NULL;
	if (req->now)
		p->now = *req->now;
	else
		fhir_datetime_now(&p->now);
	/* the engine reads the request once; bad context contents are a 400 */
	if (engine_request_new(app->engine, p->json, &p->now, &p->req, &err) != FHIR_OK) {
		cds__reply_error(out, 400, "invalid", err.where, "%s", err.message);
		pending_free(p);
		goto out;
	}
	/* CDS Hooks 2.0 §Prefetch: fetch what is missing */
	if (cds__fetch_plan(app, p->json, p->req, &p->plan, &p->fetched) > 0) {
		p->wait = CDS__WAIT_FETCH;
		*pending = p;
		return;
	}
	if (service_assess(app, p, out)) {
		*pending = p; /* its decisions are committed first */
		return;
	}
	pending_free(p);
out:
	cJSON_Delete(json);
}

/* POST /cds-services/{id}/feedback. CDS Hooks 2.0 §Feedback. */
static void feedback_call(struct cds_app *app, const struct cds__service *service,
                          const struct cds_request *req, struct cds__claim *claim,
                          struct cds_reply *out)
{
	cJSON *json = NULL;
	if (read_body(app, req, out, 0, &json) == 0)
		cds__feedback_handle(app, service, json, claim, out);
	cJSON_Delete(json);
}

/* The 401 of CDS Hooks 2.0 §Trusting CDS Clients: WWW-Authenticate (RFC 6750 §3) and an
 * OperationOutcome naming the reason class, never the token. */
static void unauthorized(struct cds_reply *out, enum cds__auth_reason reason, const char *aud)
{
	const char *name = cds__auth_reason_name(reason);
	char header[128];
	cds__reply_error(out, 401, "security", NULL,
	                 "authentication failed: %s (CDS Hooks 2.0 requires a Bearer JWT signed by "
	                 "a trusted issuer, aud %.300s)",
	                 name, aud);
	/* details.coding: the reason class, machine-readable */
	cJSON *oo = cds__must(cJSON_ParseWithLength(out->body, out->body_length));
	cJSON *issue = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(oo, "issue"), 0);
	cJSON *details = cJSON_AddObjectToObject(issue, "details");
	cJSON *codings = cJSON_AddArrayToObject(details, "coding");
	cJSON *coding = cJSON_CreateObject();
	cJSON_AddItemToArray(codings, coding);
	cJSON_AddStringToObject(coding, "system", "urn:cds-commissioning:auth-failure");
	cJSON_AddStringToObject(coding, "code", name);
	cJSON_AddStringToObject(details, "text", name);
	cds__reply_json(out, 401, oo, 0);
	snprintf(header, sizeof header, "Bearer error=\"invalid_token\", error_description=\"%s\"",
	         name);
	cds__reply_header(out, "WWW-Authenticate", header);
}

/* The refusal of a token: the 401 above, or 503 when the replay cache cannot say. */
static void refuse(struct cds_app *app, enum cds__auth_reason reason, const char *aud,
                   struct cds_reply *out)
{
	if (reason == CDS__AUTH_BUSY) {
		char retry[24];
		snprintf(retry, sizeof retry, "%lu", app->settings->limits.retry_after_seconds);
		cds__reply_error(out, 503, "transient", NULL,
		                 "too many recent tokens to check for replay; retry shortly");
		cds__reply_header(out, "Retry-After", retry);
		return;
	}
	unauthorized(out, reason, aud);
}

/* The reason class for the access log: "bad signature" -> "bad_signature". */
static void reason_class(enum cds__auth_reason reason, char *cls, size_t size)
{
	snprintf(cls, size, "%s", reason == CDS__AUTH_OK ? "ok" : cds__auth_reason_name(reason));
	for (char *p = cls; *p; p++)
		if (*p == ' ')
			*p = '_';
}

/* The end of a call whose token's jti the check left to it (struct cds__claim): claimed by its
 * commit, or now when it committed nothing (a 400, 500, ...); when a concurrent use of the token
 * claimed it first, the reply becomes a replay's 401 (503 when the store cannot say), the access
 * log says so and the refusal is counted. */
static void settle_claim(struct cds_app *app, struct cds__claim *claim, struct cds_reply *out)
{
	enum cds__auth_reason reason = CDS__AUTH_REPLAY;
	if (claim->pending)
		reason = cds__auth_claim(app->auth, claim);
	else if (!claim->refused)
		return;
	claim->refused = 0;
	if (reason == CDS__AUTH_OK)
		return;
	char cls[40], note[sizeof out->log_note];
	reason_class(reason, cls, sizeof cls);
	if (strncmp(out->log_note, "auth=ok", 7) == 0) {
		snprintf(note, sizeof note, "auth=%s%s", cls, out->log_note + 7);
		memcpy(out->log_note, note, sizeof note);
	}
	cds__metrics_auth(app->metrics, (int)reason);
	refuse(app, reason, claim->aud, out);
}

/* Checks the caller's JWT when issuers are configured. `optional`: only when one is sent
 * (discovery). `claim` (NULL: claim at once) receives the jti when the check leaves its claim
 * to the call (settle_claim). Returns 0 to proceed; otherwise out holds the 401 (or 503). */
static int authenticate(struct cds_app *app, const struct cds_request *req, const char *path,
                        int optional, int feedback, struct cds__claim *claim, struct cds_reply *out)
{
	if (!app->auth || (optional && (!req->authorization || !req->authorization[0])))
		return 0;
	/* CDS Hooks 2.0 §JWT payload aud: the URL of the endpoint being invoked, as the client
	 * calls it (the public URL when behind a proxy); feedback also accepts the service URL
	 * (reference §15: unspecified). */
	const char *base = app->settings->public_url ? app->settings->public_url : req->base_url;
	char url[4096], alt[4096];
	snprintf(url, sizeof url, "%s%s", base ? base : "", path);
	size_t n = strlen(url);
	if (feedback && n >= strlen(FEEDBACK_SUFFIX)) {
		snprintf(alt, sizeof alt, "%.*s", (int)(n - strlen(FEEDBACK_SUFFIX)), url);
	}
	struct cds__auth_result res;
	enum cds__auth_reason reason =
	    cds__auth_check(app->auth, req->authorization, url, feedback ? alt : NULL, claim, &res);
	char cls[40];
	reason_class(reason, cls, sizeof cls);
	/* The log names iss, kid and jti (CDS Hooks best practice), never the token. */
	snprintf(out->log_note, sizeof out->log_note, "auth=%s%s%s%s%s%s%s", cls,
	         res.iss[0] ? " iss=" : "", res.iss, res.kid[0] ? " kid=" : "", res.kid,
	         res.jti[0] ? " jti=" : "", res.jti);
	cds__metrics_auth(app->metrics, (int)reason);
	if (reason == CDS__AUTH_OK)
		return 0;
	refuse(app, reason, url, out);
	return -1;
}

/* Routes one request; *preflight is set for an answered OPTIONS. */
static void route(struct cds_app *app, const struct cds_request *req, struct cds_reply *out,
                  int *preflight, struct cds__pending **pending, struct cds__claim *claim)
{
	const char *method = req->method ? req->method : "";
	const char *path = req->path ? req->path : "";
	size_t len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		len--; /* tolerate one trailing slash */
	int is_get = strcmp(method, "GET") == 0, is_post = strcmp(method, "POST") == 0;
	int is_options = strcmp(method, "OPTIONS") == 0;
	if (req->busy_retry_after > 0) { /* server.c: too many requests in flight */
		char retry[24];
		snprintf(retry, sizeof retry, "%u", req->busy_retry_after);
		cds__reply_error(out, 503, "transient", NULL,
		                 "the service is busy; retry after %u second%s",
		                 req->busy_retry_after, req->busy_retry_after == 1 ? "" : "s");
		cds__reply_header(out, "Retry-After", retry);
		return;
	}

	if (len == strlen("/healthz") && strncmp(path, "/healthz", len) == 0) {
		if (is_options)
			*preflight = 1;
		else if (is_get)
			health(app, out);
		else
			method_not_allowed(out, method, path, "GET");
		return;
	}
	if (cds__ops_route(app, method, path, len, out, preflight)) /* /metrics, /readyz */
		return;
	if (cds__report_path(path, len)) { /* report_route.c: loopback or the admin token */
		cds__report_route(app, req, out);
		return;
	}
	if (len == strlen(DISCOVERY_PATH) && strncmp(path, DISCOVERY_PATH, len) == 0) {
		if (is_options) /* CDS Hooks 2.0 §CORS: preflights carry no token */
			*preflight = 1;
		else if (is_get && authenticate(app, req, path, 1, 0, NULL, out) != 0)
			return;  /* discovery: anonymous allowed, a token sent is checked */
		else if (is_get) /* CDS Hooks 2.0 §Discovery */
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
		if (is_options)
			*preflight = 1;
		else if (!is_post)
			method_not_allowed(out, method, path, "POST");
		else if (authenticate(app, req, path, 0, feedback, claim, out) != 0)
			return; /* CDS Hooks 2.0 §Trusting CDS Clients */
		else if (feedback)
			feedback_call(app, service, req, claim, out);
		else
			service_call(app, service, req, out, pending);
		return;
	}
	if (len > strlen(CDS_QUESTIONNAIRE_PATH) &&
	    strncmp(path, CDS_QUESTIONNAIRE_PATH, strlen(CDS_QUESTIONNAIRE_PATH)) == 0) {
		if (is_options) /* issue 15: read-only, no patient data, no token */
			*preflight = 1;
		else if (is_get)
			cds__questionnaire_get(app, path + strlen(CDS_QUESTIONNAIRE_PATH),
			                       len - strlen(CDS_QUESTIONNAIRE_PATH), out);
		else
			method_not_allowed(out, method, path, "GET");
		return;
	}
	cds__reply_error(out, 404, "not-found", NULL, "no such resource: %.200s", path);
}

int cds__handle_start(struct cds_app *app, const struct cds_request *req, struct cds_reply *out,
                      struct cds__pending **pending)
{
	int preflight = 0;
	struct cds__claim claim;
	claim.pending = claim.refused = 0;
	memset(out, 0, sizeof *out);
	*pending = NULL;
	route(app, req, out, &preflight, pending, &claim);
	if (*pending) {
		if (claim.pending) /* claimed in its commit, or at its end */
			(*pending)->claim = claim;
		return 1;
	}
	settle_claim(app, &claim, out);
	if (preflight) { /* 204, no body */
		out->status = 204;
		out->content_type = NULL;
	}
	/* CDS Hooks 2.0 §CORS: on every reply, errors included, or browsers hide them; but not on
	 * the report page, which no other origin may read (in demo mode CORS says '*'). */
	const char *path = req->path ? req->path : "";
	size_t len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		len--;
	if (!cds__report_path(path, len))
		cds__cors_headers(app->settings, req->origin, preflight, out);
	return 0;
}

int cds__handle_finish(struct cds_app *app, const struct cds_request *req,
                       struct cds__pending *pending, struct cds_reply *out)
{
	if (pending->wait == CDS__WAIT_FETCH) {
		if (service_assess(app, pending, out))
			return 1; /* fetched; now its commit */
	} else {
		service_reply(app, pending, out);
	}
	settle_claim(app, &pending->claim, out);
	pending_free(pending);
	cds__cors_headers(app->settings, req->origin, 0, out);
	return 0;
}

void cds_handle(struct cds_app *app, const struct cds_request *req, struct cds_reply *out)
{
	struct cds__pending *p = NULL;
	if (!cds__handle_start(app, req, out, &p))
		return;
	do { /* fetch and commit here, waiting (eval, tests) */
		if (p->wait == CDS__WAIT_FETCH)
			cds__fetch_now(app, &p->plan);
		else
			cds__record_commit_now(app, p);
	} while (cds__handle_finish(app, req, p, out));
}
