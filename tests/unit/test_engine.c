/* test_engine.c — the engine on a small synthetic policy (tests/fixtures/engine): triggering by
 * code and by text, criteria in Kleene logic (met, not met, unknown through unavailable data),
 * outcome selection, quiet outcomes, cards, suggestions, order-sign system actions, the 412 path,
 * bad context, and load errors reported with file and JSON pointer (tests/fixtures/engine-bad);
 * a deployment's extraTriggers on the embedded policies (the Sandbox's CPT codes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds.h"
#include "engine_internal.h"
#include "testkit.h"

static struct fhir_datetime now;

/* A request for one ServiceRequest `code_json`, with the given prefetch members. */
static cJSON *request(const char *hook, const char *code_json, const char *prefetch_json)
{
	char text[4096];
	cJSON *json;

	snprintf(
	    text, sizeof(text),
	    "{\"hook\":\"%s\",\"hookInstance\":\"h1\",\"context\":{\"userId\":\"Practitioner/p\","
	    "\"patientId\":\"pt\",\"selections\":[\"ServiceRequest/o1\"],\"draftOrders\":{"
	    "\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":"
	    "\"ServiceRequest\",\"id\":\"o1\",\"status\":\"draft\",\"intent\":\"order\","
	    "\"subject\":{\"reference\":\"Patient/pt\"},\"reasonCode\":[{\"text\":\"r\"}],"
	    "\"code\":%s}},{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"o2\","
	    "\"code\":{\"text\":\"widget injection\"}}}]}},\"prefetch\":{%s}}",
	    hook, code_json, prefetch_json);
	json = cJSON_Parse(text);
	if (json == NULL)
		fprintf(stderr, "bad test JSON: %s\n", text);
	return json;
}

#define CODED "{\"coding\":[{\"system\":\"urn:test\",\"code\":\"X1\"}],\"text\":\"Widget right\"}"
#define COND_A                                                                                     \
	"\"conditions\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{"          \
	"\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c1\",\"code\":{\"coding\":[{"       \
	"\"system\":\"urn:test\",\"code\":\"a\"}]}}}]}"
#define PROC_B                                                                                     \
	"\"procedures\":{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":"  \
	"\"Procedure\",\"id\":\"p1\",\"code\":{\"text\":\"b\"}}}]}"

static const cJSON *assessment_of(const cJSON *card)
{
	return fhir_get(fhir_get(card, "extension"), "cds-commissioning.assessment");
}

static const char *decision_of_log(const struct engine_result *r, int i)
{
	return fhir_get_string(cJSON_GetArrayItem(r->log, i), "decision");
}

static int assess(const struct engine *e, cJSON *req, struct engine_result *r)
{
	struct fhir_error err;
	int rc = engine_assess(e, req, &now, r, &err);

	if (rc != FHIR_OK)
		fprintf(stderr, "engine_assess: %s at %s\n", err.message, err.where);
	cJSON_Delete(req);
	return rc;
}

/* engine_assess at `when`; frees req. */
static int assess_at(const struct engine *e, cJSON *req, const struct fhir_datetime *when,
                     struct engine_result *r)
{
	struct fhir_error err;
	int rc = engine_assess(e, req, when, r, &err);

	cJSON_Delete(req);
	return rc;
}

static void test_commissioned_is_quiet(const struct engine *e)
{
	struct engine_result r;

	CHECK(assess(e, request("order-select", CODED, COND_A "," PROC_B), &r) == FHIR_OK, "ok");
	CHECK(r.kind == ENGINE_ASSESSED, "status %d", (int)r.kind);
	CHECK(cJSON_GetArraySize(fhir_get(r.response, "cards")) == 0, "quiet: no card");
	CHECK(cJSON_GetArraySize(r.log) == 1, "one decision logged");
	CHECK(decision_of_log(&r, 0) && strcmp(decision_of_log(&r, 0), "commissioned") == 0,
	      "decision %s", decision_of_log(&r, 0));
	engine_result_clear(&r);
}

static void test_not_met_makes_warning(const struct engine *e)
{
	struct engine_result r;
	const cJSON *card, *a, *crit, *sugg, *actions, *create;
	const char *summary;

	/* procedures prefetched as null: available and empty, so B is not met */
	CHECK(assess(e, request("order-select", CODED, COND_A ",\"procedures\":null"), &r) == 0,
	      "ok");
	card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
	a = assessment_of(card);
	CHECK(cJSON_GetArraySize(fhir_get(r.response, "cards")) == 1, "one card");
	CHECK(strcmp(fhir_get_string(card, "indicator"), "warning") == 0, "warning");
	CHECK(strcmp(fhir_get_string(a, "decision"), "not-commissioned") == 0, "decision");
	CHECK(strcmp(fhir_get_string(a, "order"), "ServiceRequest/o1") == 0, "order");
	summary = fhir_get_string(card, "summary");
	CHECK(summary && strcmp(summary, "Widget (right side) not commissioned by Test ICB") == 0,
	      "summary expanded: %s", summary);
	crit = fhir_get(a, "criteria");
	CHECK(strcmp(fhir_get_string(cJSON_GetArrayItem(crit, 0), "state"), "met") == 0, "A met");
	CHECK(strcmp(cJSON_GetArrayItem(fhir_get(cJSON_GetArrayItem(crit, 0), "evidence"), 0)
	                 ->valuestring,
	             "Condition/c1") == 0,
	      "evidence names the Condition");
	CHECK(strcmp(fhir_get_string(cJSON_GetArrayItem(crit, 1), "state"), "not-met") == 0,
	      "B not met");
	CHECK(strcmp(fhir_get_string(card, "selectionBehavior"), "at-most-one") == 0, "behaviour");
	sugg = cJSON_GetArrayItem(fhir_get(card, "suggestions"), 0);
	CHECK(fhir_get_string(sugg, "uuid") != NULL, "suggestion uuid");
	actions = fhir_get(sugg, "actions");
	CHECK(strcmp(fhir_get_string(cJSON_GetArrayItem(actions, 0), "resourceId"),
	             "ServiceRequest/o1") == 0,
	      "delete names the order");
	create = fhir_get(cJSON_GetArrayItem(actions, 1), "resource");
	CHECK(fhir_get(create, "subject") != NULL && fhir_get(create, "reasonCode") != NULL,
	      "create copies subject and reasonCode");
	CHECK(fhir_get(cJSON_GetArrayItem(actions, 1), "copy") == NULL, "copy removed");
	CHECK(strcmp(fhir_get_string(fhir_get(create, "code"), "text"), "Gadget, right side") == 0,
	      "create text expanded");
	CHECK(cJSON_GetArraySize(fhir_get(card, "overrideReasons")) == 1, "override reasons");
	CHECK(cJSON_GetArraySize(fhir_get(card, "links")) == 2, "policy link and IFR link");
	CHECK(strcmp(fhir_get_string(fhir_get(fhir_get(card, "source"), "topic"), "code"), "ifr") ==
	          0,
	      "topic = main recommendation");
	CHECK(strstr(fhir_get_string(card, "detail"), "Widgets are costly.") != NULL, "evidence");
	engine_result_clear(&r);
}

static void test_unavailable_makes_unknown(const struct engine *e)
{
	struct engine_result r;
	const cJSON *card, *b;

	/* procedures absent: B unknown, so A and B is unknown */
	CHECK(assess(e, request("order-select", CODED, COND_A), &r) == FHIR_OK, "ok");
	card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
	CHECK(strcmp(fhir_get_string(assessment_of(card), "decision"), "criteria-unknown") == 0,
	      "criteria-unknown");
	CHECK(strcmp(fhir_get_string(card, "indicator"), "info") == 0, "info");
	b = cJSON_GetArrayItem(fhir_get(assessment_of(card), "criteria"), 1);
	CHECK(strcmp(fhir_get_string(b, "state"), "unknown") == 0, "B unknown");
	CHECK(strstr(fhir_get_string(b, "note"), "procedures") != NULL, "note names the data");
	CHECK(strstr(fhir_get_string(card, "detail"), "To document") != NULL, "what to document");
	CHECK(fhir_get(card, "overrideReasons") == NULL, "no override reasons on info cards");
	engine_result_clear(&r);
}

static void test_required_missing_is_412(const struct engine *e)
{
	struct engine_result r;

	CHECK(assess(e, request("order-select", CODED, PROC_B), &r) == FHIR_OK, "ok");
	CHECK(r.kind == ENGINE_DATA_UNAVAILABLE, "412, got %d", (int)r.kind);
	CHECK(strstr(r.missing, "conditions") != NULL, "names conditions: %s", r.missing);
	CHECK(r.response == NULL, "no response body");
	engine_result_clear(&r);
	/* a null prefetch value is "no data": no 412 */
	CHECK(assess(e, request("order-select", CODED, "\"conditions\":null"), &r) == FHIR_OK,
	      "ok");
	CHECK(r.kind == ENGINE_ASSESSED, "null is an empty list, got %d", (int)r.kind);
	engine_result_clear(&r);
	/* OperationOutcome entries inside a Bundle are skipped and reported in the log */
	CHECK(assess(e,
	             request("order-select", CODED,
	                     "\"conditions\":{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":"
	                     "{\"resourceType\":\"OperationOutcome\"}}]},\"procedures\":null"),
	             &r) == FHIR_OK,
	      "ok");
	CHECK(r.kind == ENGINE_ASSESSED,
	      "a Bundle with an OperationOutcome entry is still data: %d", (int)r.kind);
	{
		char *log = cJSON_PrintUnformatted(r.log);

		CHECK(log != NULL &&
		          strstr(log, "prefetch 'conditions': 1 OperationOutcome entry") != NULL,
		      "reported in the log: %s", log != NULL ? log : "(null)");
		free(log);
	}
	engine_result_clear(&r);
	/* the string "__null__" means null too (checklist H5) */
	CHECK(assess(e, request("order-select", CODED, "\"conditions\":\"__null__\""), &r) ==
	          FHIR_OK,
	      "ok");
	CHECK(r.kind == ENGINE_ASSESSED, "\"__null__\" is an empty list, got %d", (int)r.kind);
	engine_result_clear(&r);
	/* an OperationOutcome is a client failure: unavailable */
	CHECK(assess(e,
	             request("order-select", CODED,
	                     "\"conditions\":{\"resourceType\":\"OperationOutcome\"}"),
	             &r) == FHIR_OK,
	      "ok");
	CHECK(r.kind == ENGINE_DATA_UNAVAILABLE, "OperationOutcome -> 412, got %d", (int)r.kind);
	engine_result_clear(&r);
}

static void test_triggering(const struct engine *e)
{
	struct engine_result r;
	const cJSON *card;

	/* not triggered (a code outside the ValueSet, text naming nothing): no data, no 412 */
	CHECK(assess(e,
	             request("order-select",
	                     "{\"coding\":[{\"system\":\"urn:test\",\"code\":\"ZZ\"}],"
	                     "\"text\":\"gadget injection\"}",
	                     "\"x\":1"),
	             &r) == FHIR_OK,
	      "ok");
	CHECK(r.kind == ENGINE_ASSESSED && cJSON_GetArraySize(fhir_get(r.response, "cards")) == 0,
	      "neither code nor text names the policy's procedure");
	engine_result_clear(&r);
	/* a code of the ValueSet's system but outside it: read by its text (policies.md "any
	 * coding, or its text when no coding matches") */
	CHECK(assess(e,
	             request("order-select",
	                     "{\"coding\":[{\"system\":\"urn:test\",\"code\":\"ZZ\"}],"
	                     "\"text\":\"widget injection\"}",
	                     COND_A ",\"procedures\":null"),
	             &r) == FHIR_OK,
	      "ok");
	card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
	CHECK(cJSON_IsTrue(fhir_get(assessment_of(card), "matchedOnText")),
	      "a code outside the ValueSet does not switch text reading off");
	engine_result_clear(&r);
	/* text-only order: triggered on text */
	CHECK(assess(e,
	             request("order-select", "{\"text\":\"Widget injection, right\"}",
	                     COND_A ",\"procedures\":null"),
	             &r) == FHIR_OK,
	      "ok");
	card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
	CHECK(cJSON_IsTrue(fhir_get(assessment_of(card), "matchedOnText")), "matched on text");
	CHECK(strstr(fhir_get_string(card, "detail"), "recognised from its text") != NULL,
	      "detail says so");
	engine_result_clear(&r);
	/* order-select assesses only the selection (o2 would trigger on text) */
	CHECK(assess(e, request("order-select", "{\"text\":\"nothing\"}", ""), &r) == FHIR_OK,
	      "ok");
	CHECK(r.assessed == 0 && r.kind == ENGINE_ASSESSED, "unselected o2 not assessed");
	engine_result_clear(&r);
}

static void test_order_sign(const struct engine *e)
{
	struct engine_result r;
	const cJSON *actions, *action, *ext;

	CHECK(assess(e, request("order-sign", CODED, COND_A ",\"procedures\":null"), &r) == 0,
	      "ok");
	CHECK(r.assessed == 2, "order-sign assesses every draft order: %zu", r.assessed);
	actions = fhir_get(r.response, "systemActions");
	CHECK(cJSON_GetArraySize(actions) == 2, "one update per assessed order");
	action = cJSON_GetArrayItem(actions, 0);
	CHECK(strcmp(fhir_get_string(action, "type"), "update") == 0, "update");
	CHECK(strcmp(fhir_get_string(fhir_get(action, "resource"), "id"), "o1") == 0,
	      "whole order");
	ext = cJSON_GetArrayItem(fhir_get(fhir_get(action, "resource"), "extension"), 0);
	CHECK(strcmp(fhir_get_string(ext, "url"), ENGINE_DECISION_EXTENSION_URL) == 0, "ext url");
	CHECK(cJSON_GetArraySize(fhir_get(ext, "extension")) >= 5, "sub-extensions");
	engine_result_clear(&r);
}

/* engine_needs: what the triggered policies require and read, and what the prefetch lacks. */
static void test_needs(const struct engine *e)
{
	struct engine_needs needs;
	struct fhir_error err;
	cJSON *req = request("order-select", CODED, PROC_B);
	unsigned conditions = 1u << ENGINE_KEY_CONDITIONS, procedures = 1u << ENGINE_KEY_PROCEDURES;

	CHECK(engine_needs(e, req, &needs, &err) == FHIR_OK, "ok");
	CHECK(needs.required == conditions, "requires conditions: %x", needs.required);
	CHECK(needs.optional == procedures, "criteria also read procedures: %x", needs.optional);
	CHECK(needs.missing_required == conditions, "conditions missing: %x",
	      needs.missing_required);
	CHECK(needs.missing_optional == 0, "procedures present: %x", needs.missing_optional);
	cJSON_Delete(req);
	req = request("order-select", "{\"text\":\"nothing to see\"}", "");
	CHECK(engine_needs(e, req, &needs, &err) == FHIR_OK && needs.required == 0 &&
	          needs.optional == 0,
	      "nothing triggered: nothing needed");
	cJSON_Delete(req);
}

/* engine_request_*: fetched data takes the place of missing prefetch, with the same result;
 * data supplied as unavailable is unavailable; assess runs once. */
static void test_fetched_equals_prefetched(const struct engine *e)
{
	struct engine_result a, b;
	struct fhir_error err;
	cJSON *with = request("order-select", CODED, COND_A ",\"procedures\":null");
	cJSON *without = request("order-select", CODED, "\"procedures\":null");
	cJSON *fetched = cJSON_Parse("{" COND_A "}");
	const cJSON *ca, *cb;

	CHECK(engine_assess(e, with, &now, &a, &err) == FHIR_OK, "prefetched");
	struct engine_request *req = NULL;
	struct engine_result again;
	struct engine_needs needs;
	CHECK(engine_request_new(e, without, &now, &req, &err) == FHIR_OK, "new");
	engine_request_needs(req, &needs);
	CHECK(needs.missing_required == (1u << 1), "conditions missing: %x",
	      needs.missing_required);
	CHECK(engine_request_supply(req, 99, NULL) == FHIR_ERR_INVALID, "no key 99");
	CHECK(engine_request_supply(req, 1, NULL) == FHIR_OK, "unavailable first");
	CHECK(engine_request_supply(req, 1, cJSON_Duplicate(fhir_get(fetched, "conditions"), 1)) ==
	          FHIR_OK,
	      "then supplied: the last call counts");
	CHECK(engine_request_assess(req, &b) == FHIR_OK, "fetched");
	CHECK(engine_request_assess(req, &again) == FHIR_ERR_INVALID && again.response == NULL,
	      "assessed once only");
	CHECK(engine_request_supply(req, 1, cJSON_CreateNull()) == FHIR_ERR_INVALID,
	      "no supply after the assessment (the value is freed)");
	engine_request_free(req);
	ca = assessment_of(cJSON_GetArrayItem(fhir_get(a.response, "cards"), 0));
	cb = assessment_of(cJSON_GetArrayItem(fhir_get(b.response, "cards"), 0));
	CHECK(ca != NULL && cb != NULL &&
	          strcmp(fhir_get_string(ca, "decision"), fhir_get_string(cb, "decision")) == 0,
	      "same decision either way");
	CHECK(cJSON_Compare(fhir_get(ca, "criteria"), fhir_get(cb, "criteria"), 1),
	      "same criteria and evidence either way");
	engine_result_clear(&a);
	engine_result_clear(&b);
	/* data the caller found incomplete is unavailable, whatever the prefetch holds: no
	 * fabricated resource, an explicit state (conditions are key 1) */
	req = NULL;
	CHECK(engine_request_new(e, with, &now, &req, &err) == FHIR_OK, "new");
	engine_request_needs(req, &needs);
	CHECK(needs.missing_required == 0, "all prefetched: %x", needs.missing_required);
	CHECK(engine_request_supply(req, 1, NULL) == FHIR_OK, "incomplete");
	CHECK(engine_request_assess(req, &a) == FHIR_OK && a.kind == ENGINE_DATA_UNAVAILABLE &&
	          a.response == NULL && strstr(a.missing, "conditions") != NULL,
	      "incomplete conditions: unavailable (%d, %s)", (int)a.kind, a.missing);
	engine_result_clear(&a);
	engine_request_free(req);
	req = NULL;
	cJSON *bad = request("patient-view", CODED, "");
	CHECK(engine_request_new(e, bad, &now, &req, &err) == FHIR_ERR_INVALID && req == NULL &&
	          strcmp(err.where, "/hook") == 0,
	      "a bad request: 400, no object (%s)", err.where);
	cJSON_Delete(bad);
	cJSON_Delete(with);
	cJSON_Delete(without);
	cJSON_Delete(fetched);
}

static void test_bad_context(const struct engine *e)
{
	struct engine_result r;
	struct fhir_error err;
	cJSON *req = request("order-select", CODED, "");

	cJSON_ReplaceItemInArray(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(req, "context"),
	                                     "selections"),
	    0, cJSON_CreateString("ServiceRequest/nope"));
	CHECK(engine_assess(e, req, &now, &r, &err) == FHIR_ERR_INVALID, "invalid");
	CHECK(strcmp(err.where, "/context/selections/0") == 0, "where %s", err.where);
	cJSON_Delete(req);
	req = request("order-select", CODED, "");
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(req, "context"),
	                                       "draftOrders", cJSON_CreateArray());
	CHECK(engine_assess(e, req, &now, &r, &err) == FHIR_ERR_INVALID, "invalid");
	CHECK(strcmp(err.where, "/context/draftOrders") == 0, "where %s", err.where);
	cJSON_Delete(req);
}

static void test_load_errors(const char *dir)
{
	struct collected c = {{0}, 0, 0};
	struct engine_reporter rep = {collect_errors, &c};
	struct cds_app_options opts = {
	    .policies_dir = dir, .config_file = NULL, .decision_log = "-"};
	struct cds_app *app = NULL;
	static const char *const expected[] = {
	    "bad.policy.json#/trigger/text: unknown key",
	    "bad.policy.json#/requires/0",
	    "bad.policy.json#/criteria/0/met",
	    "bad.policy.json#/outcomes/0/decision",
	    "bad.policy.json#/outcomes/0/indicator",
	    "bad.policy.json#/outcomes/0/recommendations/0",
	    "bad.policy.json#/criteria/1",
	    "bad.policy.json#/outcomes/0",
	    "trunc.policy.json#",
	    "valuesets/broken.json#/compose/include/0",
	    /* issue 10 item 8: unknown keys at every level (schema.policy.json, deployment) */
	    "schema.policy.json#/colour: unknown key",
	    "schema.policy.json#/commissioner/region: unknown key",
	    "schema.policy.json#/links/0/rel: unknown key",
	    "schema.policy.json#/ifr/phone: unknown key",
	    "schema.policy.json#/overrideReasons/0/note: unknown key",
	    "schema.policy.json#/trigger/regex: unknown key",
	    "schema.policy.json#/let/0/type: unknown key",
	    "schema.policy.json#/criteria/0/mets: unknown key",
	    "schema.policy.json#/outcomes/0/severity: unknown key",
	    "schema.policy.json#/outcomes/0/links/0/kind: unknown key",
	    "schema.policy.json#/outcomes/0/suggestions/0/isRecomended: unknown key",
	    "schema.policy.json#/outcomes/0/suggestions/0/actions/0/resrouce: unknown key",
	    "deployment.json#/showQuietCard: unknown key",
	    /* an unknown memberOf ValueSet url */
	    "schema.policy.json#/criteria/0/met: memberOf('urn:test:ValueSet:nosuch'): no ValueSet",
	    /* SNOMED CT ids failing the Verhoeff check: policy, ValueSet, body-site lexicon */
	    "schema.policy.json#/overrideReasons/0/code: '239873008' is not a valid SNOMED CT id",
	    "valuesets/bad-snomed.json#/compose/include/0/concept/1/code: '241641005' is not",
	    "vocabulary/body-sites.json#/regions/0/snomed/code: '72696003' is not",
	    /* a region's structures: ids unique, kinds from the list
	       (policies/vocabulary/README.md) */
	    "vocabulary/body-sites.json#/regions/0/structures/1/id: a region's structure ids are "
	    "unique",
	    "vocabulary/body-sites.json#/regions/0/structures/1/kind: kind is one of",
	    /* a summary template of 140 characters or more */
	    "schema.policy.json#/outcomes/0/summary: the summary template has 149 characters",
	    /* policy dates */
	    "schema.policy.json#/reviewDate: 'reviewDate' must be after 'effectiveFrom'",
	};
	static const char *const not_expected[] = {
	    "anyFhirKey", /* an action's resource is FHIR: not checked */
	    "bad-snomed.json#/compose/include/0/concept/0", /* 239873007 is valid */
	};
	size_t i;

	CHECK(cds_app_new(&opts, &rep, &app) != FHIR_OK && app == NULL, "refused");
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		CHECK(strstr(c.text, expected[i]) != NULL, "reported %s; got:\n%s", expected[i],
		      c.text);
	for (i = 0; i < sizeof(not_expected) / sizeof(not_expected[0]); i++)
		CHECK(strstr(c.text, not_expected[i]) == NULL, "not reported: %s", not_expected[i]);
	CHECK(strstr(c.text, "%nosuch") != NULL, "unknown variable named");
	CHECK(strstr(c.text, "{{%nothere}}") != NULL, "unknown placeholder named");
}

/* Loads the embedded policies and value sets with `deployment` (JSON text) as deployment.json.
 * NEW engine, or NULL with the errors in *c. */
static struct engine *load_with_deployment(const char *deployment, struct collected *c)
{
	struct engine_file files[256];
	struct engine_reporter rep = {collect_errors, c};
	struct engine *e = NULL;
	size_t i, n = 0;

	for (i = 0; i < engine_embedded_file_count && n < 255; i++)
		if (strcmp(engine_embedded_files[i].name, "deployment.json") != 0)
			files[n++] = engine_embedded_files[i];
	files[n].name = "deployment.json";
	files[n].text = deployment;
	files[n++].length = strlen(deployment);
	if (engine_load(files, n, &rep, &e) != FHIR_OK)
		return NULL;
	return e;
}

/* The index of the let named `name` in p, or p->let_count. */
static size_t let_index(const struct engine_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->let_count && strcmp(p->lets[i].name, name) != 0; i++)
		;
	return i;
}

/* 1 when the let set `set` (policy.c) holds the let named `name`. */
static int set_names(const struct engine_policy *p, const uint64_t *set, const char *name)
{
	size_t i = let_index(p, name);

	return set != NULL && i < p->let_count && engine__set_has(set, i);
}

/* The lets each expression needs (engine_internal.h, assess.c evaluates a let when first
 * needed), on the shipped HNY 142 policy: a criterion's `applies` names only %kind, so an
 * injection order evaluates none of the aspiration criteria's lets; a let needs the lets it
 * names; a let whose filters are answered in a group needs every earlier let a grouped let
 * names; a card placeholder's let is in card_lets. */
static void test_lazy_let_sets(void)
{
	struct collected c = {{0}, 0, 0};
	struct engine *e = load_with_deployment(
	    "{\"name\":\"t\",\"commissioners\":[\"hny-icb\"],\"setting\":\"primary-care\"}", &c);
	const struct engine_policy *p = NULL;

	CHECK(e != NULL, "embedded policies load: %s", c.text);
	for (size_t i = 0; e != NULL && i < e->policy_count; i++)
		if (strcmp(e->policies[i].id, "hny-142-usgi") == 0)
			p = &e->policies[i];
	CHECK(p != NULL, "hny-142-usgi loaded");
	if (p != NULL) {
		const struct engine_criterion *f = NULL;
		size_t words = ENGINE_SET_WORDS(p->let_count);
		size_t failed = let_index(p, "failedAspirations");

		for (size_t i = 0; i < p->criterion_count; i++)
			if (strcmp(p->criteria[i].id, "F") == 0)
				f = &p->criteria[i];
		CHECK(f != NULL && f->applies_lets != NULL &&
		          engine__set_count(f->applies_lets, words) == 1 &&
		          set_names(p, f->applies_lets, "kind"),
		      "criterion F's applies names %%kind alone");
		CHECK(f != NULL && set_names(p, f->lets, "failedAspirations") &&
		          !set_names(p, f->lets, "goodResponse"),
		      "criterion F names failedAspirations, not goodResponse");
		CHECK(failed < p->let_count &&
		          set_names(p, p->lets[failed].needs, "landmarkAspirations") &&
		          set_names(p, p->lets[failed].needs, "landmarkInjections"),
		      "failedAspirations needs the lets it names");
		for (size_t i = 0; i < p->let_count; i++) {
			const uint64_t *needs = p->lets[i].needs;

			CHECK(needs == NULL || engine__set_next(needs, words, i) >= p->let_count,
			      "let %zu (%s) needs only earlier lets", i, p->lets[i].name);
		}
		CHECK(set_names(p, p->card_lets, "site"), "the card's {{%%site}} is in card_lets");
	}
	engine_free(e);
}

/* A Sandbox-style order: CPT 72148 (MRI lumbar spine), no prefetch but `conditions` (null). */
#define CPT_72148                                                                                  \
	"{\"coding\":[{\"system\":\"http://www.ama-assn.org/go/cpt\",\"code\":\"72148\"}],"        \
	"\"text\":\"Magnetic resonance (eg, proton) imaging, spinal canal and contents, lumbar\"}"
#define DEPLOYMENT_HEAD                                                                            \
	"{\"name\":\"t\",\"commissioners\":[\"nwl-icb\"],\"setting\":\"primary-care\""

/* policies/README.md "deployment.json": extraTriggers adds ValueSets to a policy's trigger; a
 * deployment without it never triggers on them; unknown policy ids and urls are load errors. */
static void test_extra_triggers(void)
{
	struct collected c = {{0}, 0, 0};
	struct engine_result r;
	struct engine *e;
	const cJSON *card;

	/* the embedded demo deployment: the Sandbox's CPT codes trigger the NWL policy */
	e = load_with_deployment(DEPLOYMENT_HEAD ",\"extraTriggers\":{\"nwl-msk-imaging\":["
	                                         "\"urn:cds-commissioning:ValueSet:sandbox-cpt-msk-"
	                                         "mri\"]}}",
	                         &c);
	CHECK(e != NULL, "extraTriggers loads: %s", c.text);
	if (e != NULL) {
		CHECK(assess(e, request("order-select", CPT_72148, "\"conditions\":null"), &r) ==
		          FHIR_OK,
		      "ok");
		card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
		CHECK(r.kind == ENGINE_ASSESSED && card != NULL &&
		          strcmp(fhir_get_string(assessment_of(card), "policy"),
		                 "nwl-msk-imaging") == 0 &&
		          !cJSON_IsTrue(fhir_get(assessment_of(card), "matchedOnText")),
		      "CPT 72148 triggers nwl-msk-imaging by code");
		engine_result_clear(&r);
		CHECK(assess(e, request("order-select", CPT_72148, ""), &r) == FHIR_OK, "ok");
		CHECK(r.kind == ENGINE_DATA_UNAVAILABLE,
		      "triggered by an extra ValueSet, conditions still "
		      "required: %d",
		      (int)r.kind);
		engine_result_clear(&r);
		/* Sandbox's first call: "coding": [{}], no text: nothing to judge, no data needed
		 */
		CHECK(assess(e, request("order-select", "{\"coding\":[{}]}", ""), &r) == FHIR_OK,
		      "ok");
		CHECK(r.kind == ENGINE_ASSESSED &&
		          cJSON_GetArraySize(fhir_get(r.response, "cards")) == 0,
		      "an empty coding triggers nothing");
		engine_result_clear(&r);
		engine_free(e);
	}
	/* without extraTriggers (an NHS deployment) no code of the order is in a system the NWL
	 * policy knows (SNOMED CT), so it is read by its text (issue 10 item 1): "Magnetic
	 * resonance ... lumbar" is MSK MRI, and Conditions are required: 412 */
	e = load_with_deployment(DEPLOYMENT_HEAD "}", &c);
	CHECK(e != NULL, "loads: %s", c.text);
	if (e != NULL) {
		CHECK(assess(e, request("order-select", CPT_72148, ""), &r) == FHIR_OK, "ok");
		CHECK(r.kind == ENGINE_DATA_UNAVAILABLE,
		      "no extraTriggers: CPT read by its text, conditions required (%d)",
		      (int)r.kind);
		engine_result_clear(&r);
		engine_free(e);
	}
	/* load errors name the place */
	memset(&c, 0, sizeof(c));
	e = load_with_deployment(DEPLOYMENT_HEAD ",\"extraTriggers\":{\"nosuch\":[\"urn:x\"],"
	                                         "\"nwl-msk-imaging\":[\"urn:nosuch\",7],"
	                                         "\"gm070-facet-joint-injections\":[]}}",
	                         &c);
	CHECK(e == NULL, "refused");
	CHECK(strstr(c.text, "deployment.json#/extraTriggers/nwl-msk-imaging: ValueSet urls") !=
	          NULL,
	      "a non-string url; got:\n%s", c.text);
	CHECK(strstr(c.text, "deployment.json#/extraTriggers/gm070-facet-joint-injections: must "
	                     "list") != NULL,
	      "an empty list; got:\n%s", c.text);
	memset(&c, 0, sizeof(c));
	e = load_with_deployment(DEPLOYMENT_HEAD
	                         ",\"extraTriggers\":{\"nosuch\":[\"urn:x\"],\"nwl-msk-imaging\":["
	                         "\"urn:nosuch\"]}}",
	                         &c);
	CHECK(e == NULL, "refused");
	CHECK(strstr(c.text, "deployment.json#/extraTriggers/nosuch: no policy") != NULL,
	      "unknown policy id; got:\n%s", c.text);
	CHECK(strstr(c.text, "deployment.json#/extraTriggers/nwl-msk-imaging/0: no ValueSet") !=
	          NULL,
	      "unknown ValueSet; got:\n%s", c.text);
	memset(&c, 0, sizeof(c));
	CHECK(load_with_deployment(DEPLOYMENT_HEAD ",\"extraTriggers\":[]}", &c) == NULL &&
	          strstr(c.text, "deployment.json#/extraTriggers: must be an object") != NULL,
	      "not an object; got:\n%s", c.text);
}

/* SNOMED CT ids: Verhoeff check digit (SNOMED CT TIG "Check-digit computation"). */
static void test_verhoeff(void)
{
	/* real ids (International and UK editions; 71388002 and 22298006 exercise every row of
	 * the permutation table) and single-digit or transposition errors of them */
	static const char *const good[] = {
	    "239873007", "241641004", "414916001", "72696002",           "138875005",
	    "404684003", "71388002",  "22298006",  "900000000000207008", "999000011000000103"};
	static const char *const bad[] = {"239873008", "241641040", "414961001", "71388005",
	                                  "22298003",  "",          "2398730x7"};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(engine__verhoeff_valid(good[i]) && engine__snomed_id_valid(good[i]),
		      "%s is valid", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!engine__verhoeff_valid(bad[i]), "%s fails Verhoeff", bad[i]);
	CHECK(!engine__snomed_id_valid("00000") && !engine__snomed_id_valid("0239873007"),
	      "too short or a leading zero");
	CHECK(engine__utf8_length("m\xc3\xa9t") == 3, "code points, not bytes");
}

/* The fixture (tests/fixtures/engine) with test.policy.json edited: `after` is replaced by
 * `with` once. NEW engine or NULL with the errors in *c. */
static struct engine *load_fixture_edited(const char *dir, const char *after, const char *with,
                                          struct collected *c)
{
	static const char *const names[] = {
	    "test.policy.json",         "valuesets/widgets.json",  "deployment.json",
	    "vocabulary/concepts.json", "vocabulary/context.json", "vocabulary/body-sites.json"};
	enum { NFILES = sizeof(names) / sizeof(names[0]) };
	char *texts[NFILES] = {NULL}, *edited = NULL, path[1200];
	struct engine_file files[NFILES];
	struct engine_reporter rep = {collect_errors, c};
	struct engine *e = NULL;
	size_t i;

	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		texts[i] = testkit_read(path, NULL);
		files[i].name = names[i];
		files[i].text = texts[i] != NULL ? texts[i] : "";
		files[i].length = strlen(files[i].text);
	}
	if (texts[0] != NULL && strstr(texts[0], after) != NULL) {
		const char *at = strstr(texts[0], after);
		size_t head = (size_t)(at - texts[0]), n = strlen(texts[0]) + strlen(with) + 1;

		edited = malloc(n);
		if (edited == NULL)
			abort();
		snprintf(edited, n, "%.*s%s%s", (int)head, texts[0], with, at + strlen(after));
		files[0].text = edited;
		files[0].length = strlen(edited);
	}
	if (edited == NULL || engine_load(files, NFILES, &rep, &e) != FHIR_OK)
		e = NULL;
	for (i = 0; i < NFILES; i++)
		free(texts[i]);
	free(edited);
	return e;
}

/* policies/README.md "Dates": not triggered before effectiveFrom; from that day on it fires and
 * the card and decision log carry the version and dates; a passed reviewDate still fires. */
static void test_policy_dates(const char *dir)
{
	struct collected c = {{0}, 0, 0};
	struct fhir_datetime before, on, late;
	struct fhir_error err;
	struct engine_result r;
	struct engine *e;
	char summary[1024];
	size_t i, n;

	fhir_datetime_parse("2025-06-30T23:59:59Z", &before, &err);
	fhir_datetime_parse("2025-07-01T00:00:00Z", &on, &err);
	fhir_datetime_parse("2031-01-01T09:00:00Z", &late, &err);
	e = load_fixture_edited(dir, "\"version\": \"1.0\",",
	                        "\"version\": \"1.0\", \"effectiveFrom\": \"2025-07-01\", "
	                        "\"reviewDate\": \"2027-01-01\", \"dateSource\": \"test\",",
	                        &c);
	CHECK(e != NULL, "dated policy loads; got:\n%s", c.text);
	if (e != NULL) {
		const cJSON *a, *log;

		CHECK(assess_at(e, request("order-select", CODED, COND_A ",\"procedures\":null"),
		                &before, &r) == FHIR_OK,
		      "ok");
		CHECK(r.kind == ENGINE_ASSESSED && r.assessed == 0 &&
		          cJSON_GetArraySize(fhir_get(r.response, "cards")) == 0,
		      "not yet in force: not triggered (assessed %zu)", r.assessed);
		engine_result_clear(&r);
		CHECK(assess_at(e, request("order-select", CODED, COND_A ",\"procedures\":null"),
		                &on, &r) == FHIR_OK,
		      "ok");
		a = assessment_of(cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0));
		log = cJSON_GetArrayItem(r.log, 0);
		CHECK(r.assessed == 1 && a != NULL, "in force on its first day");
		CHECK(fhir_get_string(a, "policyReviewDate") != NULL &&
		          strcmp(fhir_get_string(a, "policyReviewDate"), "2027-01-01") == 0 &&
		          strcmp(fhir_get_string(a, "policyEffectiveFrom"), "2025-07-01") == 0,
		      "the card's assessment carries the dates");
		CHECK(fhir_get_string(log, "policyVersion") != NULL &&
		          strcmp(fhir_get_string(log, "policyVersion"), "1.0") == 0 &&
		          fhir_get_string(log, "policyReviewDate") != NULL,
		      "the decision log records the version and review date");
		engine_result_clear(&r);
		CHECK(assess_at(e, request("order-select", CODED, COND_A ",\"procedures\":null"),
		                &late, &r) == FHIR_OK &&
		          r.assessed == 1,
		      "past its review date the policy still fires");
		engine_result_clear(&r);
		engine_free(e);
	}
	memset(&c, 0, sizeof(c));
	CHECK(load_fixture_edited(dir, "\"version\": \"1.0\",",
	                          "\"version\": \"1.0\", \"effectiveFrom\": \"2025-7-1\", "
	                          "\"reviewDate\": 2027,",
	                          &c) == NULL &&
	          strstr(c.text, "test.policy.json#/effectiveFrom: 'effectiveFrom' must be a FHIR "
	                         "date") != NULL &&
	          strstr(c.text, "test.policy.json#/reviewDate:") != NULL,
	      "malformed dates are refused; got:\n%s", c.text);
	/* summary: 139 code points load, 140 do not (CDS Hooks 2.0 §Card "<140") */
	for (n = 139; n <= 140; n++) {
		size_t len = 0;

		len += (size_t)snprintf(summary, sizeof(summary), "\"summary\": \"");
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(summary + len, sizeof(summary) - len, "\xc3\xa9");
		snprintf(summary + len, sizeof(summary) - len, "\"");
		memset(&c, 0, sizeof(c));
		e = load_fixture_edited(dir, "\"summary\": \"Widget commissioned\"", summary, &c);
		if (n == 139)
			CHECK(e != NULL, "a 139-character summary loads; got:\n%s", c.text);
		else
			CHECK(e == NULL &&
			          strstr(c.text, "test.policy.json#/outcomes/0/summary: the "
			                         "summary template has 140") != NULL,
			      "a 140-character summary is refused; got:\n%s", c.text);
		engine_free(e);
	}
}

static size_t code_points(const char *text)
{
	size_t i, points = 0;

	for (i = 0; text[i] != '\0'; i++)
		points += ((unsigned char)text[i] & 0xC0) != 0x80;
	return points;
}

static void test_truncate(void)
{
	char text[700];
	size_t i;

	for (i = 0; i < 300; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2); /* "é" x300: 300 code points, 600 bytes */
	text[600] = '\0';
	engine__truncate_utf8(text, 140);
	CHECK(code_points(text) == 139, "139 code points, got %zu", code_points(text));
	CHECK(strcmp(text + strlen(text) - 3, "\xe2\x80\xa6") == 0, "ends with an ellipsis");
	for (i = 0; i < 150; i++)
		memcpy(text + 3 * i, "\xc3\xa9 ", 3); /* "é " x150 */
	text[450] = '\0';
	engine__truncate_utf8(text, 140);
	CHECK(code_points(text) < 140 && strstr(text, " \xe2\x80\xa6") == NULL,
	      "no space before the ellipsis, under 140: %zu", code_points(text));
	memcpy(text, "short", 6);
	engine__truncate_utf8(text, 140);
	CHECK(strcmp(text, "short") == 0, "short text untouched");
}

int main(void)
{
	const char *src = getenv("CDS_SOURCE_DIR");
	char dir[1024], bad[1024];
	struct cds_app_options opts = {
	    .policies_dir = dir, .config_file = NULL, .decision_log = "-"};
	struct cds_app *app = NULL;
	struct fhir_error err;

	if (src == NULL)
		src = ".";
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/engine", src);
	snprintf(bad, sizeof(bad), "%s/tests/fixtures/engine-bad", src);
	/* on or after every embedded policy's effectiveFrom (NWL: 2025-07-01) */
	fhir_datetime_parse("2025-09-15T12:00:00Z", &now, &err);
	CHECK(cds_app_new(&opts, NULL, &app) == FHIR_OK, "fixture loads");
	if (app != NULL) {
		const struct engine *e = cds_app_engine(app);

		test_commissioned_is_quiet(e);
		test_not_met_makes_warning(e);
		test_unavailable_makes_unknown(e);
		test_required_missing_is_412(e);
		test_triggering(e);
		test_order_sign(e);
		test_needs(e);
		test_fetched_equals_prefetched(e);
		test_bad_context(e);
	}
	cds_app_free(app);
	test_load_errors(bad);
	test_verhoeff();
	test_policy_dates(dir);
	test_extra_triggers();
	test_lazy_let_sets();
	test_truncate();
	return testkit_done();
}
