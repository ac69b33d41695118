/* test_commissioner.c — the responsible commissioner (engine/commissioner.c, NHS England "Who
 * Pays?") on the embedded policies with test deployments and practice lists: load errors of the
 * practices CSV (file and line) and of the deployment keys, practice -> commissioner -> policies,
 * the "not determined" note, the info card, the default, the records, and engine_needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds.h"
#include "engine_internal.h"
#include "testkit.h"

static struct fhir_datetime now;

#define CSV_OK                                                                                     \
	"odsCode,commissioner,name,source\n"                                                       \
	"A10001,hny-icb,\"Hull Practice, Hull\",test\r\n"                                          \
	"A10002,nwl-icb,Ealing Practice,test\n"                                                    \
	"\n"                                                                                       \
	"A10003,gm-icb,\"The \"\"Salford\"\" Practice\",test\n"
#define DEPLOYMENT(extra)                                                                          \
	"{\"name\":\"t\",\"commissioners\":[\"hny-icb\",\"nwl-icb\",\"gm-icb\"],"                  \
	"\"setting\":\"primary-care\",\"practices\":\"p/practices.csv\"" extra "}"

/* The embedded policies and value sets with `deployment` and `csv` (as p/practices.csv; NULL:
 * none). NEW engine, or NULL with the errors in *c. */
static struct engine *load(const char *deployment, const char *csv, struct collected *c)
{
	struct engine_file files[256];
	struct engine_reporter rep = {collect_errors, c};
	struct engine *e = NULL;
	size_t i, n = 0;

	for (i = 0; i < engine_embedded_file_count && n < 250; i++)
		if (strcmp(engine_embedded_files[i].name, "deployment.json") != 0 &&
		    strcmp(engine_embedded_files[i].name, "practices.csv") != 0)
			files[n++] = engine_embedded_files[i];
	files[n].name = "deployment.json";
	files[n].text = deployment;
	files[n++].length = strlen(deployment);
	if (csv != NULL) {
		files[n].name = "p/practices.csv";
		files[n].text = csv;
		files[n++].length = strlen(csv);
	}
	if (engine_load(files, n, &rep, &e) != FHIR_OK)
		return NULL;
	return e;
}

/* An order-select for an MRI knee (SNOMED CT 241641004: the NWL pathway) with `patient` as the
 * patient prefetch member ("" for none). NEW. */
static cJSON *request(const char *patient)
{
	char text[4096];

	snprintf(text, sizeof(text),
	         "{\"hook\":\"order-select\",\"hookInstance\":\"h1\",\"context\":{\"userId\":"
	         "\"Practitioner/p\",\"patientId\":\"pt\",\"selections\":[\"ServiceRequest/o1\"],"
	         "\"draftOrders\":{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{"
	         "\"resourceType\":\"ServiceRequest\",\"id\":\"o1\",\"status\":\"draft\","
	         "\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/pt\"},\"code\":{"
	         "\"coding\":[{\"system\":\"http://snomed.info/sct\",\"code\":\"241641004\"}],"
	         "\"text\":\"MRI knee\"}}}]}},\"prefetch\":{\"conditions\":null%s%s}}",
	         patient[0] != '\0' ? ",\"patient\":" : "", patient);
	return cJSON_Parse(text);
}

#define PATIENT(gp) "{\"resourceType\":\"Patient\",\"id\":\"pt\",\"generalPractitioner\":[" gp "]}"
#define ODS_REF(code)                                                                              \
	"{\"type\":\"Organization\",\"identifier\":{\"system\":"                                   \
	"\"https://fhir.nhs.uk/Id/ods-organization-code\",\"value\":\"" code "\"}}"

static const cJSON *assessment_of(const cJSON *card)
{
	return fhir_get(fhir_get(card, "extension"), "cds-commissioning.assessment");
}

/* Assesses `patient`'s MRI knee; *r filled (clear it). */
static int assess(const struct engine *e, const char *patient, struct engine_result *r)
{
	struct fhir_error err;
	cJSON *req = request(patient);
	int rc = req != NULL ? engine_assess(e, req, &now, r, &err) : FHIR_ERR_INVALID;

	cJSON_Delete(req);
	return rc;
}

static void test_load_errors(void)
{
	struct collected c = {{0}, 0, 0};
	struct engine *e;
	static const char *const expected[] = {
	    "p/practices.csv#: line 3: commissioner 'sw-icb' is not one the deployment serves",
	    "p/practices.csv#: line 4: 3 columns, want 4",
	    "p/practices.csv#: line 5: odsCode 'a1-x' is not an ODS code",
	    "p/practices.csv#: line 6: every practice needs a name and a source",
	    "p/practices.csv#: line 7: duplicate odsCode 'A10001' (first on line 2)",
	    "p/practices.csv#: line 8: malformed CSV",
	};
	size_t i;

	e = load(DEPLOYMENT(""),
	         "odsCode,commissioner,name,source\n"
	         "A10001,hny-icb,One,test\n"
	         "A10002,sw-icb,Two,test\n"
	         "A10003,hny-icb,Three\n"
	         "a1-x,hny-icb,Four,test\n"
	         "A10005,hny-icb,,test\n"
	         "A10001,nwl-icb,Again,test\n"
	         "A10007,hny-icb,\"Unclosed,test\n",
	         &c);
	CHECK(e == NULL, "refused");
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		CHECK(strstr(c.text, expected[i]) != NULL, "reported %s; got:\n%s", expected[i],
		      c.text);
	engine_free(e);

	memset(&c, 0, sizeof(c));
	e = load(DEPLOYMENT(""), "ods,commissioner,name,source\nA10001,hny-icb,One,test\n", &c);
	CHECK(e == NULL && strstr(c.text, "line 1: the first row must be the header") != NULL,
	      "header: %s", c.text);
	engine_free(e);

	memset(&c, 0, sizeof(c));
	e = load(DEPLOYMENT(",\"defaultCommissioner\":\"sw-icb\","
	                    "\"whenCommissionerUnknown\":\"guess\""),
	         NULL, &c);
	CHECK(e == NULL, "refused");
	CHECK(strstr(c.text, "deployment.json#/defaultCommissioner: must be one of") != NULL,
	      "default: %s", c.text);
	CHECK(strstr(c.text, "deployment.json#/whenCommissionerUnknown: must be") != NULL,
	      "unknown: %s", c.text);
	CHECK(strstr(c.text, "deployment.json#/practices: no such file") != NULL, "file: %s",
	      c.text);
	engine_free(e);
}

static void test_selection(void)
{
	struct collected c = {{0}, 0, 0};
	struct engine_result r;
	struct engine *e = load(DEPLOYMENT(""), CSV_OK, &c);
	const cJSON *card, *who;

	CHECK(e != NULL, "loads: %s", c.text);
	if (e == NULL)
		return;
	CHECK(e->practice_count == 3, "3 practices, blank line skipped: %zu", e->practice_count);

	/* an NWL practice: the NWL card, recorded as determined by the practice */
	CHECK(assess(e, PATIENT(ODS_REF("a10002")), &r) == FHIR_OK, "ok");
	card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
	who = fhir_get(assessment_of(card), "responsibleCommissioner");
	CHECK(cJSON_GetArraySize(fhir_get(r.response, "cards")) == 1, "one card");
	CHECK(fhir_get_string(who, "determinedBy") != NULL &&
	          strcmp(fhir_get_string(who, "determinedBy"), "practice ODS code A10002") == 0,
	      "determined by the practice (upper-cased)");
	CHECK(fhir_get_string(who, "practice") != NULL &&
	          strcmp(fhir_get_string(who, "practice"), "Ealing Practice") == 0,
	      "practice name");
	who = fhir_get(cJSON_GetArrayItem(r.log, 0), "responsibleCommissioner");
	CHECK(fhir_get_string(who, "commissioner") != NULL &&
	          strcmp(fhir_get_string(who, "commissioner"), "nwl-icb") == 0,
	      "logged");
	CHECK(strstr(fhir_get_string(card, "detail"), "not determined") == NULL, "no note");
	engine_result_clear(&r);

	/* an HNY practice (quoted name with a comma): the NWL pathway is not theirs */
	CHECK(assess(e, PATIENT(ODS_REF("A10001")), &r) == FHIR_OK, "ok");
	CHECK(cJSON_GetArraySize(fhir_get(r.response, "cards")) == 0 &&
	          cJSON_GetArraySize(r.log) == 0 && r.assessed == 0,
	      "HNY patient: nothing assessed");
	engine_result_clear(&r);

	/* a GM practice whose name has "" quotes: loaded, and also not NWL */
	CHECK(assess(e, PATIENT(ODS_REF("A10003")), &r) == FHIR_OK && r.assessed == 0,
	      "GM patient: nothing assessed");
	engine_result_clear(&r);

	/* no practice, all-served (the default): the NWL card says so */
	CHECK(assess(e, PATIENT(""), &r) == FHIR_OK, "ok");
	card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
	CHECK(card != NULL && strstr(fhir_get_string(card, "detail"),
	                             "**Responsible commissioner not determined** (the patient "
	                             "record names no registered GP practice") != NULL,
	      "note on the card: %s", card ? fhir_get_string(card, "detail") : "(no card)");
	who = fhir_get(cJSON_GetArrayItem(r.log, 0), "responsibleCommissioner");
	CHECK(fhir_get_string(who, "determinedBy") != NULL &&
	          strcmp(fhir_get_string(who, "determinedBy"), "not determined") == 0 &&
	          fhir_get(who, "commissioner") == NULL,
	      "logged as not determined");
	engine_result_clear(&r);

	/* no patient data at all: unknown practice, never 412 */
	CHECK(assess(e, "", &r) == FHIR_OK && r.kind == ENGINE_ASSESSED && r.assessed == 1,
	      "no patient: assessed, all-served");
	engine_result_clear(&r);
	engine_free(e);
}

static void test_info_card_and_default(void)
{
	struct collected c = {{0}, 0, 0};
	struct engine_result r;
	struct engine *e =
	    load(DEPLOYMENT(",\"whenCommissionerUnknown\":\"info-card\""), CSV_OK, &c);
	const cJSON *card;

	CHECK(e != NULL, "loads: %s", c.text);
	if (e != NULL) {
		CHECK(assess(e, PATIENT(ODS_REF("Z99999")), &r) == FHIR_OK, "ok");
		card = cJSON_GetArrayItem(fhir_get(r.response, "cards"), 0);
		CHECK(cJSON_GetArraySize(fhir_get(r.response, "cards")) == 1 && r.assessed == 0,
		      "one info card, no policy assessed");
		CHECK(card != NULL && strcmp(fhir_get_string(card, "indicator"), "info") == 0 &&
		          strstr(fhir_get_string(card, "detail"),
		                 "practice ODS code Z99999 is not in the deployment's practice "
		                 "list") != NULL,
		      "says why");
		CHECK(strcmp(fhir_get_string(cJSON_GetArrayItem(r.log, 0), "type"),
		             "commissioner-not-determined") == 0,
		      "log record");
		engine_result_clear(&r);
		/* a known practice still decides */
		CHECK(assess(e, PATIENT(ODS_REF("A10002")), &r) == FHIR_OK && r.assessed == 1,
		      "NWL practice: assessed");
		engine_result_clear(&r);
	}
	engine_free(e);

	memset(&c, 0, sizeof(c));
	e = load(DEPLOYMENT(",\"defaultCommissioner\":\"hny-icb\""), CSV_OK, &c);
	CHECK(e != NULL, "loads: %s", c.text);
	if (e != NULL) {
		CHECK(assess(e, PATIENT(""), &r) == FHIR_OK && r.assessed == 0 &&
		          cJSON_GetArraySize(fhir_get(r.response, "cards")) == 0,
		      "default HNY: the NWL MRI is not assessed");
		engine_result_clear(&r);
	}
	engine_free(e);
}

/* engine_needs: with a practice list, `patient` is optional data; without the patient, every
 * served commissioner's policies count (it may yet be fetched). */
static void test_needs(void)
{
	struct collected c = {{0}, 0, 0};
	struct engine *e = load(DEPLOYMENT(""), CSV_OK, &c);
	struct engine_needs needs;
	struct fhir_error err;
	cJSON *req;

	CHECK(e != NULL, "loads: %s", c.text);
	if (e == NULL)
		return;
	req = request("");
	CHECK(engine_needs(e, req, &needs, &err) == FHIR_OK, "ok");
	CHECK(needs.optional & (1u << ENGINE_KEY_PATIENT), "patient optional: %x", needs.optional);
	CHECK(needs.missing_optional & (1u << ENGINE_KEY_PATIENT), "patient missing");
	CHECK(needs.required & (1u << ENGINE_KEY_CONDITIONS), "NWL's requirements counted");
	cJSON_Delete(req);
	req = request(PATIENT(ODS_REF("A10001")));
	CHECK(engine_needs(e, req, &needs, &err) == FHIR_OK && needs.required == 0,
	      "HNY patient: the NWL policy needs nothing: %x", needs.required);
	cJSON_Delete(req);
	engine_free(e);
}

int main(void)
{
	struct fhir_error err;

	/* the NWL pathway is in force from 2025-07-01 (seed 003) */
	fhir_datetime_parse("2025-09-15T12:00:00Z", &now, &err);
	test_load_errors();
	test_selection();
	test_info_card_and_default();
	test_needs();
	return testkit_done();
}
