/* test_cards.c — cards a GP trusts (issue 10 item 6). Part 1 drives the card-text mechanisms on a
 * small fixture (tests/fixtures/cards): criteria shown by label, a criterion's notMetLabel, an
 * outcome's evidence/links/overrideReasons replacing the policy's, `applies` guards on links
 * and suggestions, and a swap offered as an `update` of the draft order (CDS Hooks 2.0 §Action).
 * Part 2 checks the three real policies' cards (embedded configuration, orders triggered
 * through a test deployment's extraTriggers so that the checks do not depend on text
 * recognition): labels not ids, "Not recorded", the critical card, citations, links that fit
 * the site and the policy, source.url, the contraindication named, "both knees". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds.h"
#include "testkit.h"

static struct fhir_datetime now;

/* One order-select request: a ServiceRequest "sr-1" with `code_json` (and `extra_json` members,
 * may be ""), and the prefetch members `prefetch_json`. NEW (cJSON_Delete), or NULL. */
static cJSON *request(const char *code_json, const char *extra_json, const char *prefetch_json)
{
	char text[8192];
	cJSON *json;

	snprintf(
	    text, sizeof(text),
	    "{\"hook\":\"order-select\",\"hookInstance\":\"h1\",\"context\":{\"userId\":"
	    "\"Practitioner/gp1\",\"patientId\":\"p1\",\"selections\":[\"ServiceRequest/sr-1\"],"
	    "\"draftOrders\":{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{"
	    "\"resourceType\":\"ServiceRequest\",\"id\":\"sr-1\",\"status\":\"draft\","
	    "\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/p1\"},"
	    "\"reasonCode\":[{\"text\":\"pain\"}],\"orderDetail\":[{\"text\":\"detail\"}]%s%s,"
	    "\"code\":%s}}]}},\"prefetch\":{\"patient\":{\"resourceType\":\"Patient\",\"id\":"
	    "\"p1\"}%s%s}}",
	    extra_json[0] ? "," : "", extra_json, code_json, prefetch_json[0] ? "," : "",
	    prefetch_json);
	json = cJSON_Parse(text);
	if (json == NULL)
		fprintf(stderr, "bad test JSON: %s\n", text);
	return json;
}

/* The conditions prefetch member with one active Condition whose code.text is `text`. */
static const char *conditions(char *buf, size_t size, const char *text)
{
	snprintf(
	    buf, size,
	    "\"conditions\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":["
	    "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c1\",\"clinicalStatus\":{"
	    "\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
	    "condition-clinical\",\"code\":\"active\"}]},\"verificationStatus\":{\"coding\":[{"
	    "\"system\":\"http://terminology.hl7.org/CodeSystem/condition-ver-status\","
	    "\"code\":\"%s\"}]},\"code\":{\"text\":\"%s\"},\"onsetDateTime\":\"2023-01-01\"}}]}",
	    strstr(text, "uspected") ? "provisional" : "confirmed", text);
	return buf;
}

/* Assesses `req` (TAKES it); the first card of the response (BORROWED from r) or NULL. */
static const cJSON *first_card(const struct engine *e, cJSON *req, struct engine_result *r)
{
	struct fhir_error err;

	memset(r, 0, sizeof(*r));
	if (req == NULL || engine_assess(e, req, &now, r, &err) != FHIR_OK) {
		fprintf(stderr, "engine_assess failed: %s\n", req ? err.message : "no request");
		cJSON_Delete(req);
		return NULL;
	}
	cJSON_Delete(req);
	return cJSON_GetArrayItem(fhir_get(r->response, "cards"), 0);
}

static const char *detail_of(const cJSON *card)
{
	const char *d = fhir_get_string(card, "detail");

	return d != NULL ? d : "";
}

/* 1 when one of the card's links has this url. */
static int has_link(const cJSON *card, const char *url)
{
	const cJSON *link;

	cJSON_ArrayForEach(link, fhir_get(card, "links"))
	{
		const char *u = fhir_get_string(link, "url");

		if (u != NULL && strcmp(u, url) == 0)
			return 1;
	}
	return 0;
}

static int has_override(const cJSON *card, const char *code)
{
	const cJSON *reason;

	cJSON_ArrayForEach(reason, fhir_get(card, "overrideReasons"))
	{
		const char *c = fhir_get_string(reason, "code");

		if (c != NULL && strcmp(c, code) == 0)
			return 1;
	}
	return 0;
}

/* The first action of the card's first suggestion, or NULL. */
static const cJSON *first_action(const cJSON *card)
{
	return cJSON_GetArrayItem(
	    fhir_get(cJSON_GetArrayItem(fhir_get(card, "suggestions"), 0), "actions"), 0);
}

/* ---- part 1: the mechanisms, on tests/fixtures/cards ------------------------------------- */

#define THING_KNEE                                                                                 \
	"{\"coding\":[{\"system\":\"urn:test\",\"code\":\"thing\"}],\"text\":\"Thing knee\"}"
#define THING_BOTH                                                                                 \
	"{\"coding\":[{\"system\":\"urn:test\",\"code\":\"thing\"}],\"text\":\"Thing knee and "    \
	"hip\"}"

static void test_mechanisms(const struct engine *e)
{
	struct engine_result r;
	const cJSON *card, *action, *resource;
	char buf[2048];
	const char *d;

	/* critical: own links only, no evidence, own override reasons */
	card = first_card(e, request(THING_KNEE, "", conditions(buf, sizeof(buf), "red flag")), &r);
	CHECK(card != NULL && strcmp(fhir_get_string(card, "indicator"), "critical") == 0,
	      "critical card");
	d = detail_of(card);
	CHECK(strstr(d, "**Met**: Red flag present") != NULL, "criterion by label: %s", d);
	CHECK(strstr(d, "(redFlag)") == NULL && strstr(d, "(plain)") == NULL, "no ids: %s", d);
	CHECK(strstr(d, "Things harm people") == NULL, "evidence false drops the policy's: %s", d);
	CHECK(has_link(card, "https://example.org/urgent"), "the outcome's link");
	CHECK(!has_link(card, "https://example.org/thing-policy") &&
	          !has_link(card, "https://example.org/knee"),
	      "policyLinks false: no policy links");
	CHECK(has_override(card, "already-referred-urgently") &&
	          !has_override(card, "clinical-urgency"),
	      "the outcome's override reasons replace the policy's");
	CHECK(strcmp(fhir_get_string(fhir_get(card, "source"), "url"),
	             "https://example.org/thing-policy") == 0,
	      "source.url");
	engine_result_clear(&r);

	/* warning: notMetLabel, guarded link shown, update swap */
	card = first_card(e,
	                  request(THING_KNEE, "\"bodySite\":[{\"text\":\"left knee\"}]",
	                          conditions(buf, sizeof(buf), "nothing")),
	                  &r);
	d = detail_of(card);
	CHECK(strstr(d, "**Not recorded**: Red flag present") != NULL, "notMetLabel: %s", d);
	CHECK(strstr(d, "**Not met**: Plain criterion") != NULL, "default wording: %s", d);
	CHECK(strstr(d, "Things harm people") != NULL, "the policy's evidence");
	CHECK(has_link(card, "https://example.org/knee"), "guarded link shown on a knee order");
	CHECK(has_override(card, "clinical-urgency"), "the policy's override reasons");
	action = first_action(card);
	resource = fhir_get(action, "resource");
	CHECK(action != NULL && strcmp(fhir_get_string(action, "type"), "update") == 0,
	      "a swap is an update");
	CHECK(fhir_get_string(resource, "id") != NULL &&
	          strcmp(fhir_get_string(resource, "id"), "sr-1") == 0 &&
	          strcmp(fhir_get_string(resource, "status"), "draft") == 0,
	      "the same draft order (id sr-1)");
	CHECK(fhir_get_string(fhir_get(resource, "code"), "text") != NULL &&
	          strcmp(fhir_get_string(fhir_get(resource, "code"), "text"),
	                 "Other thing at knee") == 0,
	      "the template's code replaces the order's, placeholders filled");
	CHECK(strcmp(fhir_get_string(
	                 cJSON_GetArrayItem(fhir_get(fhir_get(resource, "code"), "coding"), 0),
	                 "code"),
	             "other") == 0,
	      "no coding of the old order left");
	CHECK(fhir_get(resource, "orderDetail") == NULL, "a null template member removes it");
	CHECK(fhir_get(resource, "bodySite") != NULL && fhir_get(resource, "reasonCode") != NULL &&
	          fhir_get(resource, "subject") != NULL,
	      "members the template does not name are kept");
	CHECK(strcmp(fhir_get_string(cJSON_GetArrayItem(fhir_get(resource, "extension"), 0), "url"),
	             "urn:test:extension:stamp") == 0,
	      "the deployment's suggestionUpdateExtensions");
	CHECK(fhir_get(cJSON_GetArrayItem(fhir_get(card, "suggestions"), 0), "applies") == NULL,
	      "the guard is not sent");
	engine_result_clear(&r);

	/* guards false: no suggestion (and no selectionBehavior), no knee link */
	card = first_card(e, request(THING_BOTH, "", conditions(buf, sizeof(buf), "nothing")), &r);
	CHECK(card != NULL && fhir_get(card, "suggestions") == NULL &&
	          fhir_get(card, "selectionBehavior") == NULL,
	      "suggestion guard false: none offered");
	engine_result_clear(&r);
	card = first_card(e,
	                  request("{\"coding\":[{\"system\":\"urn:test\",\"code\":\"thing\"}],"
	                          "\"text\":\"Thing hip\"}",
	                          "", conditions(buf, sizeof(buf), "nothing")),
	                  &r);
	CHECK(card != NULL && !has_link(card, "https://example.org/knee") &&
	          has_link(card, "https://example.org/thing-policy"),
	      "link guard false: not shown");
	engine_result_clear(&r);
}

/* ---- part 2: the real policies ----------------------------------------------------------- */

#define TEST_VALUESET                                                                              \
	"{\"resourceType\":\"ValueSet\",\"url\":\"urn:test:ValueSet:orders\",\"name\":\"Orders\"," \
	"\"status\":\"draft\",\"compose\":{\"include\":[{\"system\":\"urn:test\",\"concept\":["    \
	"{\"code\":\"usgi\",\"display\":\"USGI\",\"extension\":[{\"url\":"                         \
	"\"urn:cds-commissioning:source\",\"valueString\":\"test\"}]},"                            \
	"{\"code\":\"fji\",\"display\":\"Facet\",\"extension\":[{\"url\":"                         \
	"\"urn:cds-commissioning:source\",\"valueString\":\"test\"}]}]}]}}"
#define TEST_DEPLOYMENT                                                                            \
	"{\"name\":\"cards\",\"commissioners\":[\"hny-icb\",\"nwl-icb\",\"gm-icb\"],"              \
	"\"setting\":\"primary-care\",\"extraTriggers\":{\"hny-142-usgi\":["                       \
	"\"urn:test:ValueSet:orders\"],\"gm070-facet-joint-injections\":["                         \
	"\"urn:test:ValueSet:orders\"]}}"

static void print_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	fprintf(stderr, "config: %s#%s: %s\n", file, pointer, message);
}

/* The embedded policies with the test deployment and value set. NEW engine or NULL. */
static struct engine *load_real(void)
{
	struct engine_file files[256];
	struct engine_reporter rep = {print_error, NULL};
	struct engine *e = NULL;
	size_t i, n = 0;

	for (i = 0; i < engine_embedded_file_count && n < 250; i++)
		if (strcmp(engine_embedded_files[i].name, "deployment.json") != 0)
			files[n++] = engine_embedded_files[i];
	files[n].name = "deployment.json";
	files[n].text = TEST_DEPLOYMENT;
	files[n++].length = strlen(TEST_DEPLOYMENT);
	files[n].name = "valuesets/test-orders.json";
	files[n].text = TEST_VALUESET;
	files[n++].length = strlen(TEST_VALUESET);
	if (engine_load(files, n, &rep, &e) != FHIR_OK)
		return NULL;
	return e;
}

/* The card of policy `policy` in r's response, or NULL. */
static const cJSON *card_of(const struct engine_result *r, const char *policy)
{
	const cJSON *card;

	cJSON_ArrayForEach(card, fhir_get(r->response, "cards"))
	{
		const char *p = fhir_get_string(
		    fhir_get(fhir_get(card, "extension"), "cds-commissioning.assessment"),
		    "policy");

		if (p != NULL && strcmp(p, policy) == 0)
			return card;
	}
	return NULL;
}

/* Checks every card of a response: source.url, no file names, no criterion ids. */
static void check_every_card(const struct engine_result *r, const char *name)
{
	const cJSON *card;

	cJSON_ArrayForEach(card, fhir_get(r->response, "cards"))
	{
		const char *d = detail_of(card);
		const cJSON *c;

		CHECK(fhir_get_string(fhir_get(card, "source"), "url") != NULL, "%s: source.url",
		      name);
		CHECK(strstr(d, ".txt") == NULL && strstr(d, "seed 0") == NULL &&
		          strstr(d, "Seed 0") == NULL,
		      "%s: a file name in the detail: %s", name, d);
		cJSON_ArrayForEach(c, fhir_get(fhir_get(fhir_get(card, "extension"),
		                                        "cds-commissioning.assessment"),
		                               "criteria"))
		{
			char id[80];

			snprintf(id, sizeof(id), "(%s)", fhir_get_string(c, "id"));
			CHECK(strstr(d, id) == NULL, "%s: criterion id %s shown: %s", name, id, d);
		}
	}
}

#define USGI(text)                                                                                 \
	"{\"coding\":[{\"system\":\"urn:test\",\"code\":\"usgi\"}],\"text\":\"" text "\"}"
#define FACET(text)                                                                                \
	"{\"coding\":[{\"system\":\"urn:test\",\"code\":\"fji\"}],\"text\":\"" text "\"}"
#define SNOMED_ORDER(code, display)                                                                \
	"{\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"" code                     \
	"\",\"display\":\"" display "\"}],\"text\":\"" display "\"}"
#define EMPTY_DATA "\"procedures\":null,\"medications\":null,\"observations\":null"

static void test_real_policies(void)
{
	struct engine *e = load_real();
	struct engine_result r;
	const cJSON *card, *action;
	char buf[4096], pf[4096];
	const char *d;

	CHECK(e != NULL, "the embedded policies load with the test deployment");
	if (e == NULL)
		return;

	/* HNY 142: both knees; swap as an update of the same order; evidence cites studies */
	snprintf(pf, sizeof(pf), "%s,%s", conditions(buf, sizeof(buf), "Osteoarthritis of knee"),
	         EMPTY_DATA);
	first_card(e, request(USGI("Ultrasound guided injection of both knees"), "", pf), &r);
	card = card_of(&r, "hny-142-usgi");
	check_every_card(&r, "hny both knees");
	CHECK(card != NULL && strstr(fhir_get_string(card, "summary"), "both knees") != NULL &&
	          strstr(fhir_get_string(card, "summary"), "bilateral") == NULL,
	      "HNY summary says both knees: %s", card ? fhir_get_string(card, "summary") : "-");
	action = first_action(card);
	CHECK(action != NULL && strcmp(fhir_get_string(action, "type"), "update") == 0 &&
	          strcmp(fhir_get_string(fhir_get(action, "resource"), "id"), "sr-1") == 0,
	      "HNY swap is an update of sr-1");
	d = detail_of(card);
	CHECK(strstr(d, "Bloom et al.") != NULL && strstr(d, "training guide") == NULL,
	      "HNY evidence cites the original publication: %s", d);
	CHECK(!has_link(card, "https://www.aomrc.org.uk/ebi/clinicians/"
	                      "scans-for-shoulder-pain-and-guided-injections-for-shoulder-pain/"),
	      "no shoulder guidance on a knee order");
	engine_result_clear(&r);

	/* HNY 142: an order combining injection and aspiration gets no swap */
	first_card(e, request(USGI("USGI injection and aspiration of left knee"), "", pf), &r);
	card = card_of(&r, "hny-142-usgi");
	CHECK(card != NULL && fhir_get(card, "suggestions") == NULL,
	      "combined order: no swap that would drop a part");
	engine_result_clear(&r);

	/* NWL: suspected cauda equina -> critical card that carries only what is needed to act */
	snprintf(pf, sizeof(pf), "%s",
	         conditions(buf, sizeof(buf), "Suspected cauda equina syndrome"));
	first_card(
	    e, request(SNOMED_ORDER("241645008", "Magnetic resonance imaging of spine"), "", pf),
	    &r);
	card = card_of(&r, "nwl-msk-imaging");
	check_every_card(&r, "nwl ces");
	d = detail_of(card);
	CHECK(card != NULL && strcmp(fhir_get_string(card, "indicator"), "critical") == 0,
	      "NWL critical card");
	CHECK(has_link(card, "https://gettingitrightfirsttime.co.uk/"
	                     "pathway-supports-clinicians-to-diagnose-and-treat-cauda-equina-"
	                     "syndrome-without-delay/"),
	      "the critical card links the GIRFT CES pathway");
	CHECK(!has_link(card, "https://bmjopenquality.bmj.com/content/10/3/e001287") &&
	          !has_link(card, "https://www.nice.org.uk/guidance/ng59"),
	      "no imaging-harm or low-back links on the critical card");
	CHECK(strstr(d, "two-thirds") == NULL && strstr(d, "harm") == NULL,
	      "no imaging-harm rationale on the critical card: %s", d);
	CHECK(has_override(card, "already-referred-urgently") &&
	          !has_override(card, "specialist-setting") &&
	          !has_override(card, "clinical-urgency") &&
	          !has_override(card, "patient-in-trial"),
	      "only override reasons that do not contradict the critical card");
	CHECK(strstr(d, "**Met**: Suspected cauda equina") != NULL &&
	          strstr(d, "Suspected cancer") == NULL && strstr(d, "Not met") == NULL &&
	          strstr(d, "Responsible commissioner") == NULL,
	      "the critical card lists only the findings behind it: %s", d);
	engine_result_clear(&r);

	/* NWL: knee MRI -> knee EBI guidance, no low-back guidance; the swap is an update */
	snprintf(pf, sizeof(pf), "%s", conditions(buf, sizeof(buf), "Knee pain"));
	first_card(e,
	           request(SNOMED_ORDER("241641004", "Magnetic resonance imaging of knee"), "", pf),
	           &r);
	card = card_of(&r, "nwl-msk-imaging");
	check_every_card(&r, "nwl knee");
	CHECK(card != NULL &&
	          has_link(card, "https://ebi.aomrc.org.uk/interventions/"
	                         "knee-mri-for-suspected-meniscal-tears/") &&
	          !has_link(card, "https://www.nice.org.uk/guidance/ng59"),
	      "knee order: knee EBI link, no NG59");
	action = first_action(card);
	CHECK(action != NULL && strcmp(fhir_get_string(action, "type"), "update") == 0,
	      "NWL swap is an update");
	d = detail_of(card);
	CHECK(d != NULL && strstr(d, "**Not recorded**: Suspected cancer") != NULL &&
	          strstr(d, "Not met") == NULL,
	      "absent red flags read 'Not recorded': %s", d ? d : "");
	engine_result_clear(&r);

	/* NWL: spine MRI without red flags -> NG59 */
	snprintf(pf, sizeof(pf), "%s", conditions(buf, sizeof(buf), "Low back pain"));
	first_card(
	    e, request(SNOMED_ORDER("241645008", "Magnetic resonance imaging of spine"), "", pf),
	    &r);
	card = card_of(&r, "nwl-msk-imaging");
	CHECK(card != NULL && has_link(card, "https://www.nice.org.uk/guidance/ng59"),
	      "spine order: NG59 link");
	engine_result_clear(&r);

	/* GM070: anticoagulation named in the summary; links GM070/EUR, not SI fusion */
	snprintf(pf, sizeof(pf),
	         "\"conditions\":null,\"procedures\":null,\"observations\":null,\"medications\":{"
	         "\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":"
	         "\"MedicationRequest\",\"id\":\"m1\",\"status\":\"active\",\"intent\":\"order\","
	         "\"subject\":{\"reference\":\"Patient/p1\"},\"medicationCodeableConcept\":{"
	         "\"text\":\"Apixaban 5mg tablets\"}}}]}");
	first_card(e, request(FACET("Lumbar facet joint injection L4/5"), "", pf), &r);
	card = card_of(&r, "gm070-facet-joint-injections");
	check_every_card(&r, "gm anticoagulation");
	CHECK(card != NULL && strstr(fhir_get_string(card, "summary"), "anticoagulation") != NULL &&
	          strstr(fhir_get_string(card, "summary"), "infection") == NULL,
	      "the contraindication card names which: %s",
	      card ? fhir_get_string(card, "summary") : "-");
	CHECK(card != NULL && has_link(card, "https://gmeurnhs.co.uk/") &&
	          !has_link(card, "https://www.nice.org.uk/guidance/ipg578"),
	      "GM070 card links GM EUR, not SI fusion guidance");
	engine_result_clear(&r);

	/* GM070: lumbar facet -> update to a medial branch block; IFR route linked */
	first_card(e,
	           request(FACET("Lumbar facet joint injection L4/5"), "",
	                   "\"conditions\":null,\"procedures\":null,\"observations\":null,"
	                   "\"medications\":null"),
	           &r);
	card = card_of(&r, "gm070-facet-joint-injections");
	action = first_action(card);
	CHECK(action != NULL && strcmp(fhir_get_string(action, "type"), "update") == 0 &&
	          has_link(card, "https://gmeurnhs.co.uk/EN/about.aspx"),
	      "GM070 lumbar: update swap and the IFR route");
	engine_result_clear(&r);

	/* GM070: SI joint injection card names NICE IPG578 (the seed does) */
	first_card(e,
	           request(FACET("Image guided sacroiliac joint injection"), "",
	                   "\"conditions\":null,\"procedures\":null,\"observations\":null,"
	                   "\"medications\":null"),
	           &r);
	card = card_of(&r, "gm070-facet-joint-injections");
	CHECK(card != NULL && has_link(card, "https://www.nice.org.uk/guidance/ipg578"),
	      "SI injection card links NICE IPG578");
	engine_result_clear(&r);
	engine_free(e);
}

int main(void)
{
	const char *src = getenv("CDS_SOURCE_DIR");
	char dir[1024];
	struct cds_app_options opts = {
	    .policies_dir = dir, .config_file = NULL, .decision_log = "-"};
	struct cds_app *app = NULL;
	struct engine_reporter rep = {print_error, NULL};
	struct fhir_error err;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures/cards", src != NULL ? src : ".");
	fhir_datetime_parse("2026-01-15T12:00:00Z", &now,
	                    &err); /* NWL v1.2 is in force from 2025-07-01 */
	CHECK(cds_app_new(&opts, &rep, &app) == FHIR_OK, "fixture loads");
	if (app != NULL)
		test_mechanisms(cds_app_engine(app));
	cds_app_free(app);
	test_real_policies();
	return testkit_done();
}
