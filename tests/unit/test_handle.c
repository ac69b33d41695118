/* test_handle.c — cds_handle without HTTP: discovery shape (checklist D1–D7), every error status
 * with its OperationOutcome body, the request envelope and JSON limits, feedback valid/invalid,
 * /healthz, the 405 Allow value, the null/empty pruning, configuration loading from a folder
 * with a deployment override, and the decision log (never the access token).
 * Reads shared examples from $CDS_SHARED_DIR and policies from $CDS_SOURCE_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds_internal.h"
#include "fhirauth.h"
#include "testkit.h"

static struct cds_app *app;
static const char *shared_dir = "../shared";
static const char *source_dir = ".";

#define SELECT_PATH "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define SIGN_PATH   "/cds-services/" CDS_SERVICE_ORDER_SIGN
#define JSON        "application/json"

/* Sends one request to `a`; the reply must be cleared by the caller. */
static void call_app(struct cds_app *a, const char *method, const char *path, const char *ct,
                     const char *body, size_t length, struct cds_reply *r)
{
	struct cds_request req = {.method = method,
	                          .path = path,
	                          .content_type = ct,
	                          .body = body,
	                          .body_length = length,
	                          .now = NULL};
	cds_handle(a, &req, r);
}

static void call(const char *method, const char *path, const char *ct, const char *body,
                 struct cds_reply *r)
{
	call_app(app, method, path, ct, body, body ? strlen(body) : 0, r);
}

/* 1 when `node` holds a null, "", [] or {} anywhere (a top-level "cards" excepted when
 * allow_cards). */
static int has_empty(const cJSON *node, int allow_cards)
{
	for (const cJSON *c = node->child; c; c = c->next) {
		int cards = allow_cards && c->string && strcmp(c->string, "cards") == 0;
		if (cJSON_IsNull(c))
			return 1;
		if (cJSON_IsString(c) && c->valuestring[0] == '\0')
			return 1;
		if ((cJSON_IsArray(c) || cJSON_IsObject(c)) && !c->child && !cards)
			return 1;
		if ((cJSON_IsArray(c) || cJSON_IsObject(c)) && has_empty(c, 0))
			return 1;
	}
	return 0;
}

/* Checks an OperationOutcome error reply: status, issue code, optional pointer and a fragment
 * of the diagnostics. */
static void check_error(const struct cds_reply *r, unsigned status, const char *code,
                        const char *pointer, const char *fragment, const char *what)
{
	CHECK(r->status == status, "%s: status %u, want %u; body %s", what, r->status, status,
	      r->body ? r->body : "(null)");
	CHECK(r->content_type && strcmp(r->content_type, JSON) == 0, "%s: content type", what);
	cJSON *oo = r->body ? cJSON_Parse(r->body) : NULL;
	CHECK(oo != NULL, "%s: body is not JSON: %s", what, r->body ? r->body : "(null)");
	if (!oo)
		return;
	const cJSON *rt = cJSON_GetObjectItemCaseSensitive(oo, "resourceType");
	CHECK(cJSON_IsString(rt) && strcmp(rt->valuestring, "OperationOutcome") == 0,
	      "%s: not an OperationOutcome: %s", what, r->body);
	const cJSON *issue = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(oo, "issue"), 0);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(issue, "code");
	const cJSON *sev = cJSON_GetObjectItemCaseSensitive(issue, "severity");
	const cJSON *diag = cJSON_GetObjectItemCaseSensitive(issue, "diagnostics");
	CHECK(cJSON_IsString(sev) && strcmp(sev->valuestring, "error") == 0, "%s: severity: %s",
	      what, r->body);
	CHECK(cJSON_IsString(c) && strcmp(c->valuestring, code) == 0, "%s: code, want %s: %s", what,
	      code, r->body);
	CHECK(cJSON_IsString(diag) && diag->valuestring[0], "%s: diagnostics: %s", what, r->body);
	if (fragment && cJSON_IsString(diag))
		CHECK(strstr(diag->valuestring, fragment) != NULL, "%s: diagnostics lack '%s': %s",
		      what, fragment, r->body);
	const cJSON *expr = cJSON_GetObjectItemCaseSensitive(issue, "expression");
	if (pointer) {
		const cJSON *p = cJSON_GetArrayItem(expr, 0);
		CHECK(cJSON_IsString(p) && strcmp(p->valuestring, pointer) == 0,
		      "%s: expression, want %s: %s", what, pointer, r->body);
	} else {
		CHECK(expr == NULL || cJSON_IsArray(expr), "%s: expression shape", what);
	}
	CHECK(!has_empty(oo, 0), "%s: empty member in error body: %s", what, r->body);
	cJSON_Delete(oo);
}

/* The example body (NEW) or NULL with a failure recorded. */
static char *example(const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/examples/%s", shared_dir, name);
	char *text = testkit_read(path, NULL);
	CHECK(text != NULL, "cannot read %s", path);
	return text;
}

/* The knee-injection example, modified by `edit` (may be NULL), as NEW text. */
static char *knee(void (*edit)(cJSON *))
{
	char *text = example("uk-msk-order-select-knee-injection.json");
	if (!text)
		return NULL;
	cJSON *j = cJSON_Parse(text);
	free(text);
	if (edit)
		edit(j);
	char *out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return out;
}

/* Posts knee(edit) to the order-select service and checks the error. */
static void knee_error(void (*edit)(cJSON *), unsigned status, const char *pointer,
                       const char *fragment, const char *what)
{
	struct cds_reply r;
	char *body = knee(edit);
	call("POST", SELECT_PATH, JSON, body, &r);
	check_error(&r, status, status == 400 ? "invalid" : "processing", pointer, fragment, what);
	cds_reply_clear(&r);
	free(body);
}

/* ---- discovery ---------------------------------------------------------------------------- */

static int token_ok(const char *t, size_t n)
{
	static const char *const ok[] = {"context.userId",         "context.patientId",
	                                 "context.encounterId",    "userPractitionerId",
	                                 "userPractitionerRoleId", "userPatientId",
	                                 "userRelatedPersonId"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strlen(ok[i]) == n && memcmp(ok[i], t, n) == 0)
			return 1;
	return 0;
}

static void test_discovery(void)
{
	struct cds_reply r;
	call("GET", "/cds-services", NULL, NULL, &r);
	CHECK(r.status == 200, "discovery status %u", r.status); /* D1 */
	CHECK(r.content_type && strcmp(r.content_type, JSON) == 0, "discovery content type");
	CHECK(r.body && r.body_length == strlen(r.body), "discovery body length");
	cJSON *doc = r.body ? cJSON_Parse(r.body) : NULL;
	CHECK(doc != NULL, "discovery is not JSON: %s", r.body ? r.body : "(null)");
	if (!doc) {
		cds_reply_clear(&r);
		return;
	}
	const cJSON *services = cJSON_GetObjectItemCaseSensitive(doc, "services");
	CHECK(cJSON_IsArray(services) && cJSON_GetArraySize(services) == 2,
	      "D2: services must be an array of 2: %s", r.body);
	CHECK(!has_empty(doc, 0), "D7: null or empty member in discovery: %s", r.body);
	int select = 0, sign = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, services)
	{
		const char *names[] = {"hook", "description", "id", "title"};
		for (size_t i = 0; i < 4; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, names[i]);
			CHECK(cJSON_IsString(v) && v->valuestring[0], "D3: '%s' must be a string",
			      names[i]);
		}
		const cJSON *hook = cJSON_GetObjectItemCaseSensitive(s, "hook");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(s, "id");
		if (cJSON_IsString(hook) && cJSON_IsString(id)) {
			if (strcmp(hook->valuestring, "order-select") == 0 &&
			    strcmp(id->valuestring, CDS_SERVICE_ORDER_SELECT) == 0)
				select++;
			if (strcmp(hook->valuestring, "order-sign") == 0 &&
			    strcmp(id->valuestring, CDS_SERVICE_ORDER_SIGN) == 0)
				sign++;
		}
		const cJSON *usage = cJSON_GetObjectItemCaseSensitive(s, "usageRequirements");
		CHECK(usage == NULL || cJSON_IsString(usage), "D3: usageRequirements string");
		const cJSON *prefetch = cJSON_GetObjectItemCaseSensitive(s, "prefetch");
		CHECK(cJSON_IsObject(prefetch), "prefetch object expected: %s", r.body);
		size_t nkeys = 0;
		engine_prefetch_keys(&nkeys);
		CHECK(cJSON_GetArraySize(prefetch) > 0 || nkeys == 0, "prefetch must list keys");
		const cJSON *t;
		cJSON_ArrayForEach(t, prefetch)
		{
			CHECK(cJSON_IsString(t), "D3: prefetch '%s' must be a string", t->string);
			if (!cJSON_IsString(t))
				continue;
			/* D5: every token is a CDS Hooks 2.0 token. */
			const char *p = t->valuestring;
			while ((p = strstr(p, "{{")) != NULL) {
				const char *end = strstr(p, "}}");
				CHECK(end && token_ok(p + 2, (size_t)(end - p - 2)),
				      "D5: template '%s' has a token outside 2.0", t->valuestring);
				if (!end)
					break;
				p = end + 2;
			}
		}
	}
	CHECK(select == 1 && sign == 1, "both services listed once: %s", r.body);
	cJSON_Delete(doc);
	cds_reply_clear(&r);

	call("GET", "/cds-services/", NULL, NULL, &r);
	CHECK(r.status == 200, "trailing slash on discovery: %u", r.status);
	cds_reply_clear(&r);
}

/* ---- routing and status codes ------------------------------------------------------------- */

static void test_routing(void)
{
	struct cds_reply r;
	call("POST", "/cds-services", JSON, "{}", &r);
	check_error(&r, 405, "not-supported", NULL, "POST", "POST discovery");
	CHECK(r.allow && strcmp(r.allow, "GET") == 0, "405 Allow GET, got %s",
	      r.allow ? r.allow : "(null)");
	cds_reply_clear(&r);

	call("GET", SELECT_PATH, NULL, NULL, &r);
	check_error(&r, 405, "not-supported", NULL, NULL, "GET service");
	CHECK(r.allow && strcmp(r.allow, "POST") == 0, "405 Allow POST");
	cds_reply_clear(&r);

	call("PUT", SIGN_PATH "/feedback", JSON, "{}", &r);
	check_error(&r, 405, "not-supported", NULL, NULL, "PUT feedback");
	CHECK(r.allow && strcmp(r.allow, "POST") == 0, "405 Allow POST on feedback");
	cds_reply_clear(&r);

	call("DELETE", "/healthz", NULL, NULL, &r);
	check_error(&r, 405, "not-supported", NULL, NULL, "DELETE healthz");
	CHECK(r.allow && strcmp(r.allow, "GET") == 0, "405 Allow GET on healthz");
	cds_reply_clear(&r);

	call("POST", "/cds-services/no-such-service", JSON, "{}", &r);
	check_error(&r, 404, "not-found", NULL, "no-such-service", "unknown service");
	CHECK(r.allow == NULL, "404 has no Allow");
	cds_reply_clear(&r);

	call("POST", "/cds-services/no-such-service/feedback", JSON, "{}", &r);
	check_error(&r, 404, "not-found", NULL, NULL, "feedback of unknown service");
	cds_reply_clear(&r);

	call("POST", SELECT_PATH "/other", JSON, "{}", &r);
	check_error(&r, 404, "not-found", NULL, NULL, "unknown sub-resource");
	cds_reply_clear(&r);

	call("GET", "/", NULL, NULL, &r);
	check_error(&r, 404, "not-found", NULL, NULL, "root");
	cds_reply_clear(&r);

	call("GET", "/cds-servicesX", NULL, NULL, &r);
	check_error(&r, 404, "not-found", NULL, NULL, "prefix of discovery");
	cds_reply_clear(&r);

	call("GET", "", NULL, NULL, &r);
	check_error(&r, 404, "not-found", NULL, NULL, "empty path");
	cds_reply_clear(&r);

	struct cds_request nulls = {.method = NULL,
	                            .path = NULL,
	                            .content_type = NULL,
	                            .body = NULL,
	                            .body_length = 0,
	                            .now = NULL};
	cds_handle(app, &nulls, &r);
	CHECK(r.status == 404, "NULL method/path: %u", r.status);
	cds_reply_clear(&r);
}

/* ---- media type, size, JSON ---------------------------------------------------------------- */

static void test_body_checks(void)
{
	struct cds_reply r;
	char *body = knee(NULL);

	call("POST", SELECT_PATH, "text/plain", body, &r);
	check_error(&r, 415, "not-supported", NULL, "application/json", "text/plain");
	cds_reply_clear(&r);
	call("POST", SELECT_PATH, NULL, body, &r);
	check_error(&r, 415, "not-supported", NULL, NULL, "no content type");
	cds_reply_clear(&r);
	call("POST", SELECT_PATH, "application/jsonx", body, &r);
	check_error(&r, 415, "not-supported", NULL, NULL, "application/jsonx");
	cds_reply_clear(&r);
	call("POST", SIGN_PATH "/feedback", "application/x-www-form-urlencoded", "a=b", &r);
	check_error(&r, 415, "not-supported", NULL, NULL, "feedback form body");
	cds_reply_clear(&r);

	call("POST", SELECT_PATH, "Application/JSON ; charset=utf-8", body, &r);
	CHECK(r.status != 415 && r.status != 400, "JSON with charset accepted: %u %s", r.status,
	      r.body);
	cds_reply_clear(&r);

	/* 413: declared length over the limit (the server passes the received size). */
	call_app(app, "POST", SELECT_PATH, JSON, NULL, (size_t)CDS_MAX_BODY_BYTES + 1, &r);
	check_error(&r, 413, "too-costly", NULL, "at most", "413");
	cds_reply_clear(&r);

	const char *bad[][2] = {
	    {"{", "truncated"}, {"{\"hook\": }", "bad value"}, {"{} x", "trailing text"},
	    {"", "empty"},      {"nul", "bare word"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		call("POST", SELECT_PATH, JSON, bad[i][0], &r);
		check_error(&r, 400, "invalid", NULL, NULL, bad[i][1]);
		cds_reply_clear(&r);
	}
	/* RFC 8259: UTF-8 only, control characters escaped. */
	const char *bytes[][2] = {
	    {"{\"hook\":\"order-select\xff\"}", "invalid byte"},
	    {"{\"hook\":\"\xc0\xaf\"}", "overlong"},
	    {"{\"hook\":\"\xed\xa0\x80\"}", "surrogate"},
	    {"{\"hook\":\"\xe2\x82\"}", "truncated sequence"},
	    {"{\"hook\":\"a\nb\"}", "raw newline in a string"},
	};
	for (size_t i = 0; i < sizeof bytes / sizeof bytes[0]; i++) {
		call("POST", SELECT_PATH, JSON, bytes[i][0], &r);
		check_error(&r, 400, "invalid", NULL, "byte", bytes[i][1]);
		cds_reply_clear(&r);
	}
	call("POST", SELECT_PATH, JSON, "{\"hook\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}", &r);
	check_error(&r, 400, "invalid", "/hook", "service", "valid UTF-8 reaches the hook check");
	cds_reply_clear(&r);
	call_app(app, "POST", SELECT_PATH, JSON, "{\"hook\":\"a\0\"}", 13, &r);
	check_error(&r, 400, "invalid", NULL, "0x00", "NUL byte");
	cds_reply_clear(&r);

	call("POST", SELECT_PATH, JSON, "[1,2]", &r);
	check_error(&r, 400, "invalid", NULL, "object", "array root");
	cds_reply_clear(&r);

	/* Depth limit: CDS_MAX_JSON_DEPTH + 1 nested arrays (strings with brackets don't count). */
	size_t depth = CDS_MAX_JSON_DEPTH + 1;
	char *deep = malloc(2 * depth + 64);
	size_t n = 0;
	for (size_t i = 0; i < depth; i++)
		deep[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	call("POST", SELECT_PATH, JSON, deep, &r);
	check_error(&r, 400, "invalid", NULL, "nesting", "too deep");
	cds_reply_clear(&r);
	free(deep);
	call("POST", SELECT_PATH, JSON,
	     "{\"hook\":\"order-select\",\"hookInstance\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[\"}",
	     &r);
	check_error(&r, 400, "invalid", "/context", NULL, "brackets inside a string");
	cds_reply_clear(&r);

	/* Array limit: context.big holds CDS_MAX_ARRAY_ITEMS + 1 items. */
	size_t items = CDS_MAX_ARRAY_ITEMS + 1;
	char *wide = malloc(items * 2 + 256);
	n = (size_t)snprintf(wide, 256,
	                     "{\"hook\":\"order-select\",\"hookInstance\":\"x\","
	                     "\"context\":{\"big\":[");
	for (size_t i = 0; i < items; i++) {
		wide[n++] = '0';
		wide[n++] = ',';
	}
	n--;
	memcpy(wide + n, "]}}", 4);
	call("POST", SELECT_PATH, JSON, wide, &r);
	check_error(&r, 400, "invalid", "/context/big", "items", "too many items");
	cds_reply_clear(&r);
	free(wide);
	free(body);
}

/* ---- envelope ------------------------------------------------------------------------------ */

static void drop_hook(cJSON *j)
{
	cJSON_DeleteItemFromObjectCaseSensitive(j, "hook");
}
static void drop_instance(cJSON *j)
{
	cJSON_DeleteItemFromObjectCaseSensitive(j, "hookInstance");
}
static void drop_context(cJSON *j)
{
	cJSON_DeleteItemFromObjectCaseSensitive(j, "context");
}
static void number_hook(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "hook", cJSON_CreateNumber(1));
}
static void empty_instance(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "hookInstance", cJSON_CreateString(""));
}
static void string_context(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "context", cJSON_CreateString("x"));
}
static void wrong_hook(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "hook", cJSON_CreateString("order-sign"));
}
static void patient_view(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "hook", cJSON_CreateString("patient-view"));
}
static void add_auth(cJSON *j)
{
	fhirauth_add(j, "SECRET-TOKEN-4711", "user/Patient.read", "cds-commissioning");
}
static void auth_no_server(cJSON *j)
{
	add_auth(j);
	cJSON_DeleteItemFromObjectCaseSensitive(j, "fhirServer");
}
static void auth_string(cJSON *j)
{
	cJSON_AddStringToObject(j, "fhirAuthorization", "Bearer SECRET-TOKEN-4711");
}
static void auth_number_token(cJSON *j)
{
	add_auth(j);
	cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "fhirAuthorization");
	cJSON_ReplaceItemInObjectCaseSensitive(a, "access_token", cJSON_CreateNumber(4711));
}
static void auth_no_scope(cJSON *j)
{
	add_auth(j);
	cJSON_DeleteItemFromObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(j, "fhirAuthorization"), "scope");
}
static void auth_bad_expiry(cJSON *j)
{
	add_auth(j);
	cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "fhirAuthorization");
	cJSON_ReplaceItemInObjectCaseSensitive(a, "expires_in", cJSON_CreateString("300"));
}
static void bad_server(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "fhirServer", cJSON_CreateNumber(3));
}
static void relative_server(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "fhirServer", cJSON_CreateString("ehr/fhir"));
}
static void array_prefetch(cJSON *j)
{
	cJSON_ReplaceItemInObjectCaseSensitive(j, "prefetch", cJSON_CreateArray());
}
static void unknown_members(cJSON *j) /* R3 */
{
	cJSON *ext = cJSON_AddObjectToObject(j, "extension");
	cJSON_AddBoolToObject(ext, "davinci-crd.configuration", 1);
	cJSON_AddStringToObject(j, "somethingNew", "ignored");
	cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(j, "context"), "futureField", 1);
}
static void no_draft_orders(cJSON *j)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "context"),
	                                        "draftOrders");
}
static void no_prefetch(cJSON *j)
{
	cJSON_DeleteItemFromObjectCaseSensitive(j, "prefetch");
	cJSON_DeleteItemFromObjectCaseSensitive(j, "fhirServer");
}

static void test_envelope(void)
{
	knee_error(drop_hook, 400, "/hook", "hook", "missing hook");
	knee_error(number_hook, 400, "/hook", "string", "numeric hook");
	knee_error(drop_instance, 400, "/hookInstance", "hookInstance", "missing hookInstance");
	knee_error(empty_instance, 400, "/hookInstance", NULL, "empty hookInstance");
	knee_error(drop_context, 400, "/context", "context", "missing context");
	knee_error(string_context, 400, "/context", "object", "string context");
	knee_error(wrong_hook, 400, "/hook", "order-sign", "order-sign sent to order-select");
	knee_error(patient_view, 400, "/hook", "patient-view", "patient-view");
	knee_error(auth_no_server, 400, "/fhirAuthorization", "cds-r-1", "cds-r-1");
	knee_error(auth_string, 400, "/fhirAuthorization", "object", "string fhirAuthorization");
	knee_error(auth_number_token, 400, "/fhirAuthorization/access_token", NULL,
	           "numeric access_token");
	knee_error(auth_no_scope, 400, "/fhirAuthorization/scope", NULL, "no scope");
	knee_error(auth_bad_expiry, 400, "/fhirAuthorization/expires_in", NULL, "string expiry");
	knee_error(bad_server, 400, "/fhirServer", NULL, "numeric fhirServer");
	knee_error(relative_server, 400, "/fhirServer", NULL, "relative fhirServer");
	knee_error(array_prefetch, 400, "/prefetch", NULL, "array prefetch");
	knee_error(no_draft_orders, 400, "/context/draftOrders", NULL, "no draftOrders (engine)");

	/* Error bodies never echo the token. */
	struct cds_reply r;
	void (*edits[])(cJSON *) = {auth_string, auth_no_scope, auth_no_server};
	for (size_t i = 0; i < 3; i++) {
		char *body = knee(edits[i]);
		call("POST", SELECT_PATH, JSON, body, &r);
		CHECK(r.body && !strstr(r.body, "SECRET-TOKEN-4711"), "token echoed: %s", r.body);
		cds_reply_clear(&r);
		free(body);
	}

	/* hookInstance reaches the access log sanitised. */
	call("POST", SELECT_PATH, JSON,
	     "{\"hook\":\"order-select\",\"hookInstance\":\"a b\\n\\\"c\"}", &r);
	CHECK(strcmp(r.hook_instance, "a?b??c") == 0, "sanitised hookInstance '%s'",
	      r.hook_instance);
	cds_reply_clear(&r);
}

/* ---- service calls ------------------------------------------------------------------------- */

static void check_response(const struct cds_reply *r, const char *what)
{
	CHECK(r->status == 200, "%s: status %u: %s", what, r->status, r->body);
	cJSON *doc = r->body ? cJSON_Parse(r->body) : NULL;
	CHECK(cJSON_IsObject(doc), "%s: not a JSON object", what);
	if (!doc)
		return;
	CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "cards")), "%s: cards: %s", what,
	      r->body); /* H2 */
	const cJSON *sa = cJSON_GetObjectItemCaseSensitive(doc, "systemActions");
	CHECK(sa == NULL || (cJSON_IsArray(sa) && sa->child), "%s: systemActions", what);
	CHECK(!has_empty(doc, 1), "%s: H3 null/empty member: %s", what, r->body);
	cJSON_Delete(doc);
}

/* Replaces every UUID-shaped string (fresh per call: card and suggestion uuids) by "uuid". */
static void blank_uuids(cJSON *node)
{
	for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
		if (cJSON_IsString(c) && strlen(c->valuestring) == 36 && c->valuestring[8] == '-' &&
		    c->valuestring[13] == '-' && c->valuestring[18] == '-' &&
		    c->valuestring[23] == '-')
			cJSON_SetValuestring(c, "uuid");
		blank_uuids(c);
	}
}

static void test_service_calls(void)
{
	struct cds_reply r;
	char *body = knee(NULL);
	call("POST", SELECT_PATH, JSON, body, &r); /* H1 */
	check_response(&r, "knee injection");
	CHECK(strcmp(r.hook_instance, "3f1c2b7e-8a4d-4c1e-9b2a-6d5e4f3a2b10") == 0,
	      "hookInstance recorded: '%s'", r.hook_instance);
	char *first = r.body ? strdup(r.body) : NULL;
	cds_reply_clear(&r);
	free(body);

	body = knee(unknown_members); /* R3 */
	call("POST", SELECT_PATH, JSON, body, &r);
	check_response(&r, "unknown members ignored");
	cds_reply_clear(&r);
	free(body);

	body = knee(add_auth); /* fhirAuthorization with fhirServer is fine */
	call("POST", SELECT_PATH, JSON, body, &r);
	check_response(&r, "with fhirAuthorization");
	cds_reply_clear(&r);
	free(body);

	/* The same request at the same `now` gives the same bytes (eval == server). */
	struct fhir_datetime now;
	struct fhir_error err;
	CHECK(fhir_datetime_parse("2025-01-15T10:30:00Z", &now, &err) == FHIR_OK, "parse now");
	body = knee(NULL);
	struct cds_request req = {.method = "POST",
	                          .path = SELECT_PATH,
	                          .content_type = JSON,
	                          .body = body,
	                          .body_length = strlen(body),
	                          .now = &now};
	struct cds_reply a, b;
	cds_handle(app, &req, &a);
	cds_handle(app, &req, &b);
	cJSON *ja = a.body ? cJSON_Parse(a.body) : NULL, *jb = b.body ? cJSON_Parse(b.body) : NULL;
	blank_uuids(ja);
	blank_uuids(jb);
	char *sa = ja ? cJSON_PrintUnformatted(ja) : NULL,
	     *sb = jb ? cJSON_PrintUnformatted(jb) : NULL;
	CHECK(a.status == b.status && sa && sb && strcmp(sa, sb) == 0,
	      "deterministic reply apart from uuids:\n%s\n%s", sa ? sa : "", sb ? sb : "");
	free(sa);
	free(sb);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	cds_reply_clear(&a);
	cds_reply_clear(&b);
	free(body);
	free(first);

	/* H4: no prefetch and no fhirServer -> 412 naming what is missing. */
	knee_error(no_prefetch, 412, NULL, "missing", "412 without prefetch");

	/* order-sign: the same orders signed. */
	body = knee(wrong_hook);
	call("POST", SIGN_PATH, JSON, body, &r);
	check_response(&r, "order-sign");
	cds_reply_clear(&r);
	free(body);
}

/* ---- feedback and health ------------------------------------------------------------------- */

static double feedback_recorded(void)
{
	struct cds_reply r;
	double n = -1;
	call("GET", "/healthz", NULL, NULL, &r);
	cJSON *doc = r.body ? cJSON_Parse(r.body) : NULL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "feedbackRecorded");
	if (cJSON_IsNumber(v))
		n = v->valuedouble;
	cJSON_Delete(doc);
	cds_reply_clear(&r);
	return n;
}

static void test_health(void)
{
	struct cds_reply r;
	call("GET", "/healthz", NULL, NULL, &r);
	CHECK(r.status == 200, "healthz status %u", r.status);
	cJSON *doc = r.body ? cJSON_Parse(r.body) : NULL;
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(doc, "status");
	const cJSON *policies = cJSON_GetObjectItemCaseSensitive(doc, "policies");
	CHECK(cJSON_IsString(status) && strcmp(status->valuestring, "ok") == 0, "healthz: %s",
	      r.body);
	CHECK(cJSON_IsNumber(policies) &&
	          (size_t)policies->valuedouble == engine_policy_count(cds_app_engine(app)),
	      "healthz policies: %s", r.body);
	CHECK(doc && !has_empty(doc, 0), "healthz empty members: %s", r.body);
	cJSON_Delete(doc);
	cds_reply_clear(&r);
}

static void test_feedback(void)
{
	struct cds_reply r;
	double before = feedback_recorded();
	CHECK(before >= 0, "healthz reports feedbackRecorded");

	/* F1: the sandbox's bodies (reason without display). */
	call("POST", SELECT_PATH "/feedback", JSON,
	     "{\"feedback\":[{\"card\":\"c1\",\"outcome\":\"accepted\","
	     "\"acceptedSuggestions\":[{\"id\":\"s1\"}],\"outcomeTimestamp\":\"2021-12-11T10:05:"
	     "31Z\"},"
	     "{\"card\":\"c2\",\"outcome\":\"overridden\",\"overrideReason\":{\"reason\":"
	     "{\"code\":\"not-relevant\",\"system\":\"http://example.org\"}},"
	     "\"outcomeTimestamp\":\"2021-12-11T10:05:31.123+01:00\",\"extension\":{\"x\":1}}]}",
	     &r);
	CHECK(r.status == 200, "feedback accepted: %u %s", r.status, r.body);
	CHECK(r.body && strcmp(r.body, "{\"recorded\":2}") == 0, "feedback reply: %s", r.body);
	cds_reply_clear(&r);
	call("POST", SIGN_PATH "/feedback", "application/json;charset=utf-8",
	     "{\"feedback\":[{\"card\":\"c3\",\"outcome\":\"overridden\","
	     "\"overrideReason\":{\"userComment\":\"patient declined\"},"
	     "\"outcomeTimestamp\":\"2024-02-29t23:59:60z\"}]}",
	     &r);
	CHECK(r.status == 200, "feedback with comment only: %u %s", r.status, r.body);
	cds_reply_clear(&r);
	CHECK(feedback_recorded() == before + 3, "3 feedback items recorded");

	/* F2 and friends: each invalid body -> 400, nothing recorded. */
	struct {
		const char *body, *pointer, *what;
	} bad[] = {
	    {"[]", "", "array body"},
	    {"{}", "/feedback", "no feedback"},
	    {"{\"feedback\":[]}", "/feedback", "empty feedback"},
	    {"{\"feedback\":{}}", "/feedback", "object feedback"},
	    {"{\"feedback\":[1]}", "/feedback/0", "number item"},
	    {"{\"feedback\":[{\"outcome\":\"overridden\",\"outcomeTimestamp\":\"2021-12-11T10:05:"
	     "31Z\"}]}",
	     "/feedback/0", "no card"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"dismissed\","
	     "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}",
	     "/feedback/0/outcome", "bad outcome"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"accepted\","
	     "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}",
	     "/feedback/0/acceptedSuggestions", "accepted without suggestions (cds-fb-2)"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"accepted\",\"acceptedSuggestions\":[{}],"
	     "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}",
	     "/feedback/0/acceptedSuggestions/0", "suggestion without id"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"overridden\"}]}",
	     "/feedback/0/outcomeTimestamp", "no timestamp"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"overridden\","
	     "\"outcomeTimestamp\":\"2021-12-11\"}]}",
	     "/feedback/0/outcomeTimestamp", "date only"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"overridden\","
	     "\"outcomeTimestamp\":\"2021-02-29T10:05:31Z\"}]}",
	     "/feedback/0/outcomeTimestamp", "not a leap year"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"overridden\","
	     "\"outcomeTimestamp\":\"2021-12-11T10:05:31\"}]}",
	     "/feedback/0/outcomeTimestamp", "no zone"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"overridden\",\"overrideReason\":{},"
	     "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}",
	     "/feedback/0/overrideReason", "empty overrideReason (cds-fb-3)"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"overridden\",\"overrideReason\":"
	     "{\"reason\":{\"system\":\"s\"}},\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}",
	     "/feedback/0/overrideReason/reason", "reason without code"},
	    {"{\"feedback\":[{\"card\":\"c\",\"outcome\":\"overridden\","
	     "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"},{\"card\":\"d\"}]}",
	     "/feedback/1/outcome", "second item bad: nothing recorded"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		call("POST", SELECT_PATH "/feedback", JSON, bad[i].body, &r);
		check_error(&r, 400, "invalid", bad[i].pointer[0] ? bad[i].pointer : NULL, NULL,
		            bad[i].what);
		cds_reply_clear(&r);
	}
	call("POST", SELECT_PATH "/feedback", JSON, "{\"feedback\":", &r);
	check_error(&r, 400, "invalid", NULL, "JSON", "malformed feedback");
	cds_reply_clear(&r);
	CHECK(feedback_recorded() == before + 3, "invalid feedback recorded nothing");
}

/* ---- pruning ------------------------------------------------------------------------------- */

static void test_prune(void)
{
	cJSON *j = cJSON_Parse("{\"cards\":[],\"a\":null,\"b\":\"\",\"c\":[],\"d\":{},"
	                       "\"e\":{\"f\":[null,{},\"\",[[]]],\"g\":{\"h\":{}}},\"k\":0,"
	                       "\"l\":false,\"m\":\"x\",\"n\":[{\"cards\":[]},1],\"o\":1e999}");
	cds__prune(j, 1);
	char *s = cJSON_PrintUnformatted(j);
	CHECK(strcmp(s, "{\"cards\":[],\"k\":0,\"l\":false,\"m\":\"x\",\"n\":[1]}") == 0,
	      "prune keep_cards: %s", s);
	free(s);
	cds__prune(j, 0);
	s = cJSON_PrintUnformatted(j);
	CHECK(strcmp(s, "{\"k\":0,\"l\":false,\"m\":\"x\",\"n\":[1]}") == 0, "prune: %s", s);
	free(s);
	cJSON_Delete(j);

	struct cds_reply r = {0};
	cds__reply_json(&r, 200,
	                cJSON_Parse("{\"cards\":[{\"summary\":\"s\",\"detail\":\"\","
	                            "\"links\":[],\"source\":{\"label\":\"l\",\"url\":null}}],"
	                            "\"systemActions\":[]}"),
	                1);
	CHECK(r.body &&
	          strcmp(r.body,
	                 "{\"cards\":[{\"summary\":\"s\",\"source\":{\"label\":\"l\"}}]}") == 0,
	      "reply pruned: %s", r.body);
	cds_reply_clear(&r);
}

/* ---- configuration from a folder, and the decision log ------------------------------------- */

static void count_report(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)pointer;
	(void)message;
	size_t *n = ctx;
	(*n)++;
	if (file && strstr(file, "no-such-folder"))
		n[1]++;
}

static void test_config_and_log(void)
{
	char dir[1024], log_path[] = "/tmp/cds-test-handle-log-XXXXXX";
	char cfg_path[] = "/tmp/cds-test-handle-cfg-XXXXXX";
	snprintf(dir, sizeof dir, "%s/policies", source_dir);

	/* A folder that does not exist: reported, naming it. */
	size_t counts[2] = {0, 0};
	struct engine_reporter rep = {count_report, counts};
	struct cds_app_options bad = {
	    .policies_dir = "/no-such-folder", .config_file = NULL, .decision_log = "-"};
	struct cds_app *a = NULL;
	CHECK(cds_app_new(&bad, &rep, &a) != FHIR_OK && a == NULL, "missing folder must fail");
	CHECK(counts[1] >= 1, "the error names the folder");

	/* The policies folder with a deployment override renamed. */
	char dep[1100];
	snprintf(dep, sizeof dep, "%s/deployment.json", dir);
	char *text = testkit_read(dep, NULL);
	CHECK(text != NULL, "read %s", dep);
	cJSON *d = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (d)
		cJSON_ReplaceItemInObjectCaseSensitive(d, "name",
		                                       cJSON_CreateString("unit-override"));
	int cfd = mkstemp(cfg_path), lfd = mkstemp(log_path);
	CHECK(cfd >= 0 && lfd >= 0, "temp files");
	if (cfd >= 0 && d) {
		char *s = cJSON_PrintUnformatted(d);
		CHECK(write(cfd, s, strlen(s)) == (ssize_t)strlen(s), "write config");
		free(s);
	}
	cJSON_Delete(d);
	if (cfd >= 0)
		close(cfd);
	if (lfd >= 0)
		close(lfd);
	struct cds_app_options opts = {
	    .policies_dir = dir, .config_file = cfg_path, .decision_log = log_path};
	counts[0] = counts[1] = 0;
	int rc = cds_app_new(&opts, &rep, &a);
	CHECK(rc == FHIR_OK && a, "load %s with %s: %zu errors", dir, cfg_path, counts[0]);
	if (a) {
		const struct engine *e = cds_app_engine(a);
		CHECK(strcmp(engine_deployment_name(e), "unit-override") == 0,
		      "deployment override: %s", engine_deployment_name(e));
		CHECK(engine_policy_count(e) == engine_policy_count(cds_app_engine(app)),
		      "folder and embedded hold the same policies");

		struct cds_reply r;
		char *body = knee(add_auth);
		call_app(a, "POST", SELECT_PATH, JSON, body, strlen(body), &r);
		CHECK(r.status == 200 || r.status == 412, "logged call: %u", r.status);
		cds_reply_clear(&r);
		free(body);
		const char *fb = "{\"feedback\":[{\"card\":\"c9\",\"outcome\":\"overridden\","
		                 "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}";
		call_app(a, "POST", SELECT_PATH "/feedback", JSON, fb, strlen(fb), &r);
		CHECK(r.status == 200, "feedback: %u", r.status);
		cds_reply_clear(&r);
		cds_app_free(a);

		char *log = testkit_read(log_path, NULL);
		CHECK(log != NULL, "decision log readable");
		size_t lines = 0, decisions = 0, feedback = 0;
		for (char *line = log, *nl; line && *line; line = nl + 1) {
			nl = strchr(line, '\n');
			CHECK(nl != NULL, "log line ends with a newline");
			if (!nl)
				break;
			*nl = '\0';
			lines++;
			cJSON *rec = cJSON_Parse(line);
			CHECK(cJSON_IsObject(rec), "log line is a JSON object: %s", line);
			CHECK(!strstr(line, "SECRET-TOKEN-4711"), "token in the decision log: %s",
			      line);
			const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
			const cJSON *hi = cJSON_GetObjectItemCaseSensitive(rec, "hookInstance");
			const cJSON *ts = cJSON_GetObjectItemCaseSensitive(rec, "timestamp");
			const cJSON *svc = cJSON_GetObjectItemCaseSensitive(rec, "service");
			CHECK(cJSON_IsString(ts) && cJSON_IsString(svc), "timestamp/service: %s",
			      line);
			CHECK(cJSON_IsString(type), "log record has a type: %s", line);
			if (cJSON_IsString(type) && strcmp(type->valuestring, "feedback") == 0) {
				feedback++;
			} else {
				decisions++;
				CHECK(cJSON_IsString(type) &&
				          strcmp(type->valuestring, "decision") == 0,
				      "decision record type: %s", line);
				CHECK(cJSON_IsString(hi) &&
				          strcmp(hi->valuestring,
				                 "3f1c2b7e-8a4d-4c1e-9b2a-6d5e4f3a2b10") == 0,
				      "decision record has hookInstance: %s", line);
			}
			cJSON_Delete(rec);
		}
		CHECK(feedback == 1, "one feedback line, got %zu of %zu", feedback, lines);
		CHECK(decisions >= 1, "decision records written, got %zu", decisions);
		free(log);
	}
	unlink(cfg_path);
	unlink(log_path);
}

int main(void)
{
	const char *env = getenv("CDS_SHARED_DIR");
	if (env)
		shared_dir = env;
	env = getenv("CDS_SOURCE_DIR");
	if (env)
		source_dir = env;
	struct cds_app_options opts = {
	    .policies_dir = NULL, .config_file = NULL, .decision_log = "-"};
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK) {
		CHECK(0, "the embedded configuration does not load");
		return testkit_done();
	}
	test_discovery();
	test_routing();
	test_body_checks();
	test_envelope();
	test_service_calls();
	test_health();
	test_feedback();
	test_prune();
	test_config_and_log();
	cds_app_free(app);
	return testkit_done();
}
