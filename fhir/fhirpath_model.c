/* fhirpath_model.c — a minimal FHIR R4 type model for FHIRPath: the type of an element given
 * its parent's type (fhirpath_model_table.c), the names of the R4 resources and data types, and
 * the inheritance FHIRPath's is/as/ofType follow (code is a string, Age a Quantity, Patient a
 * DomainResource). Elements it does not know stay untyped (NULL), as before the model existed.
 * Pure lookups in static tables (the resource names' hash index built once): no allocation, no
 * JSON. */
#include "fhirpath_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FHIR R4 resource types (hl7.org/fhir/R4/resourcelist.html). */
static const char *const resources[] = {
    "Account",
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
    "VisionPrescription",
};

/* FHIR R4 data types (hl7.org/fhir/R4/datatypes.html, metadatatypes.html): type, base. */
static const char *const datatypes[][2] = {
    /* primitives (their base is Element; the specialisations below) */
    {"boolean", "Element"},
    {"integer", "Element"},
    {"string", "Element"},
    {"decimal", "Element"},
    {"uri", "Element"},
    {"base64Binary", "Element"},
    {"instant", "Element"},
    {"date", "Element"},
    {"dateTime", "Element"},
    {"time", "Element"},
    {"xhtml", "Element"},
    {"integer64", "Element"},
    {"code", "string"},
    {"id", "string"},
    {"markdown", "string"},
    {"url", "uri"},
    {"canonical", "uri"},
    {"oid", "uri"},
    {"uuid", "uri"},
    {"unsignedInt", "integer"},
    {"positiveInt", "integer"},
    /* general-purpose and metadata types */
    {"Address", "Element"},
    {"Annotation", "Element"},
    {"Attachment", "Element"},
    {"CodeableConcept", "Element"},
    {"Coding", "Element"},
    {"ContactPoint", "Element"},
    {"HumanName", "Element"},
    {"Identifier", "Element"},
    {"Money", "Element"},
    {"Period", "Element"},
    {"Quantity", "Element"},
    {"Range", "Element"},
    {"Ratio", "Element"},
    {"Reference", "Element"},
    {"SampledData", "Element"},
    {"Signature", "Element"},
    {"Timing", "BackboneElement"},
    {"Dosage", "BackboneElement"},
    {"ContactDetail", "Element"},
    {"Contributor", "Element"},
    {"DataRequirement", "Element"},
    {"Expression", "Element"},
    {"ParameterDefinition", "Element"},
    {"RelatedArtifact", "Element"},
    {"TriggerDefinition", "Element"},
    {"UsageContext", "Element"},
    {"Meta", "Element"},
    {"Extension", "Element"},
    {"Narrative", "Element"},
    {"ElementDefinition", "BackboneElement"},
    {"MarketingStatus", "BackboneElement"},
    {"Population", "BackboneElement"},
    {"ProdCharacteristic", "BackboneElement"},
    {"ProductShelfLife", "BackboneElement"},
    {"SubstanceAmount", "BackboneElement"},
    {"Age", "Quantity"},
    {"Count", "Quantity"},
    {"Distance", "Quantity"},
    {"Duration", "Quantity"},
    {"MoneyQuantity", "Quantity"},
    {"SimpleQuantity", "Quantity"},
    {"BackboneElement", "Element"},
    {"Element", NULL},
    {"DomainResource", "Resource"},
    {"Resource", NULL},
};

/* Resources whose base is Resource rather than DomainResource. */
static int plain_resource(const char *type)
{
	return strcmp(type, "Bundle") == 0 || strcmp(type, "Parameters") == 0 ||
	       strcmp(type, "Binary") == 0;
}

/* resources[] by the hash of their names (open addressing; at most a quarter full), built once:
 * a resourceType is looked up on every object a path step yields, so one hash and one compare,
 * not a binary search of eight compares. */
#define RESOURCE_SLOTS 1024
static const char *resource_slots[RESOURCE_SLOTS];
static pthread_once_t resource_slots_once = PTHREAD_ONCE_INIT;

static void resource_slots_build(void)
{
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		size_t k = (size_t)fhir_hash_bytes(resources[i], strlen(resources[i]));

		while (resource_slots[k & (RESOURCE_SLOTS - 1)] != NULL)
			k++;
		resource_slots[k & (RESOURCE_SLOTS - 1)] = resources[i];
	}
}

const char *fhir__fp_model_resource(const char *type)
{
	if (type == NULL)
		return NULL;
	pthread_once(&resource_slots_once, resource_slots_build);
	for (size_t k = (size_t)fhir_hash_bytes(type, strlen(type));; k++) {
		const char *r = resource_slots[k & (RESOURCE_SLOTS - 1)];

		if (r == NULL)
			return NULL;
		if (r == type || strcmp(r, type) == 0)
			return r;
	}
}

int fhir__fp_model_is_resource(const char *type)
{
	return fhir__fp_model_resource(type) != NULL;
}

/* The base type of `type` (static), or NULL at the root or for an unknown type. */
static const char *base_of(const char *type)
{
	if (fhir__fp_model_is_resource(type))
		return plain_resource(type) ? "Resource" : "DomainResource";
	for (size_t i = 0; i < sizeof(datatypes) / sizeof(datatypes[0]); i++)
		if (strcmp(datatypes[i][0], type) == 0)
			return datatypes[i][1];
	if (strchr(type, '.') != NULL) /* a backbone element named by its path */
		return "BackboneElement";
	return NULL;
}

int fhir__fp_model_known(const char *type)
{
	return fhir__fp_model_is_resource(type) || base_of(type) != NULL ||
	       strcmp(type, "Element") == 0 || strcmp(type, "Resource") == 0;
}

int fhir__fp_model_derives(const char *type, const char *base)
{
	for (int guard = 0; type != NULL && guard < 8; guard++) {
		if (strcmp(type, base) == 0)
			return 1;
		type = base_of(type);
	}
	return 0;
}

static int row_cmp(const void *key, const void *elem)
{
	const struct fhir__fp_model_row *k = key, *r = elem;
	int c = strcmp(k->parent, r->parent);

	return c != 0 ? c : strcmp(k->name, r->name);
}

static const char *lookup(const char *parent, const char *name)
{
	struct fhir__fp_model_row key = {parent, name, NULL};
	const struct fhir__fp_model_row *r =
	    bsearch(&key, fhir__fp_model_rows, fhir__fp_model_row_count, sizeof(key), row_cmp);

	return r != NULL ? r->type : NULL;
}

static const char *model_child(const char *parent, const char *name)
{
	const char *type;

	/* walk up the inheritance: Age.value is Quantity.value, Patient.text DomainResource.text */
	for (int guard = 0; parent != NULL && guard < 8; guard++) {
		type = lookup(parent, name);
		if (type != NULL)
			return type;
		parent = base_of(parent);
	}
	return NULL;
}

/* Every distinct text among the model's strings (resource and data type names, and the parents,
 * names and types of the element rows), once, by hash (open addressing; at most a third full),
 * built once: the first address added for a text is its canonical one, and resources[] go in
 * first, so fhir__fp_model_resource's answers are canonical too. */
#define INTERN_SLOTS 2048
static const char *intern_slots[INTERN_SLOTS];
static pthread_once_t intern_once = PTHREAD_ONCE_INIT;

static void intern_add(const char *s)
{
	for (size_t k = (size_t)fhir_hash_bytes(s, strlen(s));; k++) {
		const char **slot = &intern_slots[k & (INTERN_SLOTS - 1)];

		if (*slot == NULL)
			*slot = s;
		if (*slot == s || strcmp(*slot, s) == 0)
			return;
	}
}

static void intern_build(void)
{
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
		intern_add(resources[i]);
	for (size_t i = 0; i < sizeof(datatypes) / sizeof(datatypes[0]); i++)
		intern_add(datatypes[i][0]);
	for (size_t i = 0; i < fhir__fp_model_row_count; i++) {
		intern_add(fhir__fp_model_rows[i].parent);
		intern_add(fhir__fp_model_rows[i].name);
		intern_add(fhir__fp_model_rows[i].type);
	}
}

const char *fhir__fp_model_intern(const char *s)
{
	if (s == NULL)
		return NULL;
	pthread_once(&intern_once, intern_build);
	for (size_t k = (size_t)fhir_hash_bytes(s, strlen(s));; k++) {
		const char *r = intern_slots[k & (INTERN_SLOTS - 1)];

		if (r == NULL || r == s || strcmp(r, s) == 0)
			return r;
	}
}

/* This thread's recent answers of fhir__fp_model_child, direct-mapped by the two names' text:
 * navigation asks the same (parent, name) for every resource of a record, and the inheritance
 * walk costs several binary searches. Keyed by copies of the text (parent may be a request's
 * JSON string, gone after it); longer names are not remembered. Answers are the model's
 * canonical strings (fhir__fp_model_intern). */
#define CHILD_MEMO_SLOTS 256
#define CHILD_MEMO_NAME  40
struct child_memo {
	char parent[CHILD_MEMO_NAME], name[CHILD_MEMO_NAME];
	const char *type;
	const char *parent_at; /* the address parent was copied from */
};
static _Thread_local struct child_memo child_memo[CHILD_MEMO_SLOTS];

/* In front of it, the answers by the names' addresses (a compiled expression's member name, a
 * model type or a resource's resourceType: the same few addresses again and again), each slot
 * pointing at the text-keyed entry it found. An address is not trusted alone (a freed request's
 * string may be reused for another name): a hit still compares the text, unless both names are
 * the model's canonical strings (static: an address that is one of them is that text for ever;
 * member names are interned when an expression is compiled), when the slot holds the answer
 * itself and a hit is two address compares. */
struct child_seen {
	const char *parent, *name;
	const struct child_memo *memo;
	const char *type;  /* the answer, when canonical */
	int static_parent; /* parent is canonical: a memo entry filled from it holds its text */
	int canonical;     /* parent and name are both canonical: type is the answer */
};
static _Thread_local struct child_seen child_seen[CHILD_MEMO_SLOTS];

/* 1 when s is the model's canonical string for its text. */
static int model_string(const char *s)
{
	return fhir__fp_model_intern(s) == s;
}

static const char *model_child_by_text(const char *parent, const char *name,
                                       const struct child_memo **found);

const char *fhir__fp_model_child(const char *parent, const char *name)
{
	uintptr_t k = (uintptr_t)parent * 31 ^ (uintptr_t)name;
	struct child_seen *s = &child_seen[(k ^ (k >> 7) ^ (k >> 15)) & (CHILD_MEMO_SLOTS - 1)];
	const struct child_memo *m = NULL;
	const char *type;

	if (parent == NULL || name == NULL)
		return NULL;
	if (s->parent == parent && s->name == name) {
		if (s->canonical)
			return s->type;
		if (s->memo != NULL &&
		    ((s->static_parent && s->memo->parent_at == parent) ||
		     strcmp(s->memo->parent, parent) == 0) &&
		    strcmp(s->memo->name, name) == 0)
			return s->memo->type;
	}
	type = model_child_by_text(parent, name, &m);
	s->parent = parent;
	s->name = name;
	s->memo = m; /* NULL for a name too long to remember */
	s->type = type;
	s->static_parent = model_string(parent);
	s->canonical = s->static_parent && model_string(name);
	return type;
}

static const char *model_child_by_text(const char *parent, const char *name,
                                       const struct child_memo **found)
{
	uint64_t h = 14695981039346656037ULL;
	size_t lp = 0, ln = 0;
	struct child_memo *m;

	*found = NULL;
	for (; parent[lp] != '\0' && lp < CHILD_MEMO_NAME; lp++)
		h = (h ^ (unsigned char)parent[lp]) * 1099511628211ULL;
	h = (h ^ '.') * 1099511628211ULL;
	for (; name[ln] != '\0' && ln < CHILD_MEMO_NAME; ln++)
		h = (h ^ (unsigned char)name[ln]) * 1099511628211ULL;
	if (lp >= CHILD_MEMO_NAME || ln >= CHILD_MEMO_NAME)
		return fhir__fp_model_intern(model_child(parent, name));
	m = &child_memo[(h ^ (h >> 32)) & (CHILD_MEMO_SLOTS - 1)];
	*found = m;
	if (m->parent[0] != '\0' && strcmp(m->parent, parent) == 0 && strcmp(m->name, name) == 0)
		return m->type;
	memcpy(m->parent, parent, lp + 1);
	memcpy(m->name, name, ln + 1);
	m->parent_at = parent;
	m->type = fhir__fp_model_intern(model_child(parent, name));
	return m->type;
}

int fhir__fp_model_check(void)
{
	for (size_t i = 1; i < fhir__fp_model_row_count; i++)
		if (row_cmp(&fhir__fp_model_rows[i - 1], &fhir__fp_model_rows[i]) >= 0)
			return -1;
	for (size_t i = 1; i < sizeof(resources) / sizeof(resources[0]); i++)
		if (strcmp(resources[i - 1], resources[i]) >= 0)
			return -1;
	return 0;
}

int fhir__fp_type_known(const char *name)
{
	static const char *const system[] = {"Boolean",  "String", "Integer",  "Decimal", "Date",
	                                     "DateTime", "Time",   "Quantity", "Long"};
	int fhir_ns = strncmp(name, "FHIR.", 5) == 0, system_ns = strncmp(name, "System.", 7) == 0;
	const char *bare = fhir_ns ? name + 5 : system_ns ? name + 7 : name;

	if (!fhir_ns)
		for (size_t i = 0; i < sizeof(system) / sizeof(system[0]); i++)
			if (strcmp(system[i], bare) == 0)
				return 1;
	return !system_ns && fhir__fp_model_known(bare);
}
