/* test_questionnaire.c — the IFR and prior-approval Questionnaires (issue 15 item 1): they load
 * from the embedded configuration, each load check fails with the file and JSON pointer when its
 * rule is broken, a policy naming an unknown Questionnaire or criterion is refused, and
 * GET /fhir/Questionnaire/{id} serves them (200, 404 OperationOutcome, 405, no token). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "testkit.h"

#define IFR_FILE   "questionnaires/gm070-ifr.json"
#define GM070_FILE "gm070-facet-joint-injections.policy.json"

/* Loads the embedded configuration with `name` edited by `edit` (a cJSON mutation of its
 * parsed text). Returns the engine (NEW) or NULL, the errors in *c. */
static struct engine *load_edited(const char *name, void (*edit)(cJSON *), struct collected *c)
{
	struct engine_file files[256];
	struct engine_reporter rep = {collect_errors, c};
	struct engine *e = NULL;
	char *text = NULL;
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < engine_embedded_file_count && n < 256; i++) {
		files[n] = engine_embedded_files[i];
		if (edit != NULL && strcmp(files[n].name, name) == 0) {
			cJSON *json = cJSON_ParseWithLength(files[n].text, files[n].length);

			edit(json);
			text = cJSON_PrintUnformatted(json);
			cJSON_Delete(json);
			files[n].text = text;
			files[n].length = strlen(text);
		}
		n++;
	}
	if (engine_load(files, n, &rep, &e) != FHIR_OK)
		e = NULL;
	free(text);
	return e;
}

static cJSON *item_at(cJSON *q, int i, int j)
{
	cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(q, "item"), i);

	return j < 0 ? item : cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item, "item"), j);
}

static void set_string(cJSON *obj, const char *name, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	cJSON_AddStringToObject(obj, name, value);
}

static void bad_resource_type(cJSON *q)
{
	set_string(q, "resourceType", "ValueSet");
}
static void bad_status(cJSON *q)
{
	set_string(q, "status", "final");
}
static void bad_id(cJSON *q)
{
	set_string(q, "id", "gm070 ifr");
}
static void no_url(cJSON *q)
{
	cJSON_DeleteItemFromObjectCaseSensitive(q, "url");
}
static void duplicate_link_id(cJSON *q)
{
	set_string(item_at(q, 1, -1), "linkId", "intervention");
}
static void abstract_type(cJSON *q)
{
	set_string(item_at(q, 0, 0), "type", "question");
}
static void required_not_boolean(cJSON *q)
{
	cJSON_DeleteItemFromObjectCaseSensitive(item_at(q, 0, 1), "required");
	cJSON_AddStringToObject(item_at(q, 0, 1), "required", "yes");
}
static void empty_group(cJSON *q)
{
	cJSON_DeleteItemFromObjectCaseSensitive(item_at(q, 1, -1), "item");
}
static void no_source(cJSON *q)
{
	cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(item_at(q, 0, 0), "extension"),
	                          0);
}
static void bad_expression(cJSON *q)
{
	cJSON *ext =
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item_at(q, 0, 0), "extension"), 1);

	set_string(cJSON_GetObjectItemCaseSensitive(ext, "valueExpression"), "expression",
	           "%order.code.text.(");
}
static void unknown_criterion(cJSON *q)
{
	/* criteria group, its first criterion group, its state item: the prefill extension */
	cJSON *state =
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(item_at(q, 2, 0), "item"), 0);
	cJSON *ext = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(state, "extension"), 1);

	set_string(ext, "valueString", "criterion-state:noSuchCriterion");
}
static void options_on_string(cJSON *q)
{
	cJSON_AddItemToObject(item_at(q, 0, 0), "answerOption", cJSON_CreateArray());
}
static void policy_unknown_questionnaire(cJSON *p)
{
	set_string(cJSON_GetObjectItemCaseSensitive(p, "questionnaires"), "ifr",
	           "urn:cds-commissioning:Questionnaire:nope");
}
static void policy_unknown_route(cJSON *p)
{
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(p, "questionnaires"), "appeal",
	                        "urn:cds-commissioning:Questionnaire:gm070-ifr");
}

static void test_load(void)
{
	static const struct {
		const char *file;
		void (*edit)(cJSON *);
		const char *where; /* "file#pointer" that must be reported */
	} cases[] = {
	    {IFR_FILE, bad_resource_type, IFR_FILE "#/resourceType"},
	    {IFR_FILE, bad_status, IFR_FILE "#/status"},
	    {IFR_FILE, bad_id, IFR_FILE "#/id"},
	    {IFR_FILE, no_url, IFR_FILE "#/url"},
	    {IFR_FILE, duplicate_link_id,
	     IFR_FILE "#/item/1/linkId: linkId 'intervention' is not unique"},
	    {IFR_FILE, abstract_type, IFR_FILE "#/item/0/item/0/type"},
	    {IFR_FILE, required_not_boolean, IFR_FILE "#/item/0/item/1/required"},
	    {IFR_FILE, empty_group, IFR_FILE "#/item/1/item"},
	    {IFR_FILE, no_source, IFR_FILE "#/item/0/item/0/extension"},
	    {IFR_FILE, bad_expression, IFR_FILE "#/item/0/item/0/extension/1: initialExpression"},
	    {IFR_FILE, unknown_criterion,
	     IFR_FILE "#/item/2/item/0/item/0/extension/1/valueString: prefill names criterion "
	              "'noSuchCriterion'"},
	    {IFR_FILE, options_on_string, IFR_FILE "#/item/0/item/0/answerOption"},
	    {GM070_FILE, policy_unknown_questionnaire, GM070_FILE "#/questionnaires/ifr"},
	    {GM070_FILE, policy_unknown_route, GM070_FILE "#/questionnaires/appeal"},
	};
	struct collected c;
	struct engine *e = load_edited("", NULL, &c);

	CHECK(e != NULL && c.count == 0, "the embedded configuration loads: %s", c.text);
	if (e != NULL) {
		const cJSON *q = engine_questionnaire(e, "gm070-ifr");

		CHECK(q != NULL && strcmp(fhir_get_string(q, "id"), "gm070-ifr") == 0, "by id");
		CHECK(engine_questionnaire(
		          e, "urn:cds-commissioning:Questionnaire:gm070-ifr|3.1") == q,
		      "by canonical url with version");
		CHECK(engine_questionnaire(e, "urn:cds-commissioning:Questionnaire:gm070-ifr") == q,
		      "by url");
		CHECK(engine_questionnaire(e, "gm070-si-prior-approval") != NULL, "prior approval");
		CHECK(engine_questionnaire(e, "gm070") == NULL, "no prefix match");
		CHECK(engine_questionnaire(e, "urn:cds-commissioning:Questionnaire:gm070-ifrx") ==
		          NULL,
		      "no url prefix match");
	}
	engine_free(e);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = load_edited(cases[i].file, cases[i].edit, &c);
		CHECK(e == NULL, "case %zu must be refused", i);
		CHECK(strstr(c.text, cases[i].where) != NULL, "case %zu: '%s' not reported in:\n%s",
		      i, cases[i].where, c.text);
		engine_free(e);
	}
}

static void get(struct cds_app *app, const char *method, const char *path, struct cds_reply *r)
{
	struct cds_request req = {.method = method, .path = path, .now = NULL};

	cds_handle(app, &req, r);
}

static void test_http(void)
{
	struct cds_app_options opts = {
	    .policies_dir = NULL, .config_file = NULL, .decision_log = "-"};
	struct cds_app *app = NULL;
	struct cds_reply r;
	cJSON *body;

	if (cds_app_new(&opts, NULL, &app) != FHIR_OK) {
		CHECK(0, "the embedded configuration does not load");
		return;
	}
	get(app, "GET", "/fhir/Questionnaire/gm070-ifr", &r);
	body = cJSON_ParseWithLength(r.body, r.body_length);
	CHECK(r.status == 200, "GET gm070-ifr: %u", r.status);
	CHECK(strcmp(fhir_get_string(body, "resourceType"), "Questionnaire") == 0 &&
	          strcmp(fhir_get_string(body, "id"), "gm070-ifr") == 0,
	      "the Questionnaire");
	cJSON_Delete(body);
	cds_reply_clear(&r);
	get(app, "GET", "/fhir/Questionnaire/gm070-si-prior-approval/", &r);
	CHECK(r.status == 200, "one trailing slash tolerated: %u", r.status);
	cds_reply_clear(&r);
	get(app, "GET", "/fhir/Questionnaire/nope", &r);
	body = cJSON_ParseWithLength(r.body, r.body_length);
	CHECK(r.status == 404 &&
	          strcmp(fhir_get_string(body, "resourceType"), "OperationOutcome") == 0,
	      "unknown id: %u", r.status);
	cJSON_Delete(body);
	cds_reply_clear(&r);
	get(app, "GET", "/fhir/Questionnaire/urn:cds-commissioning:Questionnaire:gm070-ifr", &r);
	CHECK(r.status == 404, "a url is not an id: %u", r.status);
	cds_reply_clear(&r);
	get(app, "GET", "/fhir/Questionnaire/gm070-ifr/extra", &r);
	CHECK(r.status == 404, "no sub-resources: %u", r.status);
	cds_reply_clear(&r);
	get(app, "POST", "/fhir/Questionnaire/gm070-ifr", &r);
	CHECK(r.status == 405 && r.allow != NULL && strcmp(r.allow, "GET") == 0, "read-only: %u",
	      r.status);
	cds_reply_clear(&r);
	cds_app_free(app);
}

int main(void)
{
	test_load();
	test_http();
	return testkit_done();
}
