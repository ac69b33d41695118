/* test_fhirpath.c — table-driven tests of the FHIRPath evaluator (fhir/fhirpath_*.c): each row is
 * an expression, an input resource (JSON text) and the expected result as a JSON array, or an
 * expected error ("!syntax@<offset>", "!eval", "!limit", optionally ":<text in message>").
 * Results print as JSON: System dates as "@2021-03-01", quantities as "3 'mo'" strings.
 * Prints every failure with expression, got and expected; ends with "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"
#include "fhirpath_internal.h"

static const char *const PATIENT =
    "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"active\":true,\"gender\":\"female\","
    "\"birthDate\":\"1970-03-15\","
    "\"name\":[{\"use\":\"official\",\"family\":\"Smith\",\"given\":[\"Anne\",\"Marie\"]},"
    "{\"use\":\"nickname\",\"given\":[\"Annie\"]}],"
    "\"telecom\":[{\"system\":\"phone\",\"value\":\"0123\"}],"
    "\"extension\":[{\"url\":\"http://x/ext/eth\",\"valueString\":\"A\"},"
    "{\"url\":\"http://x/ext/other\",\"valueInteger\":3}],"
    "\"managingOrganization\":{\"reference\":\"Organization/o1\"}}";

static const char *const CONDITION =
    "{\"resourceType\":\"Condition\",\"id\":\"c1\","
    "\"clinicalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
    "condition-clinical\",\"code\":\"active\"}]},"
    "\"code\":{\"coding\":[{\"system\":\"http://other\",\"code\":\"x9\"},"
    "{\"system\":\"http://snomed.info/sct\",\"code\":\"123\",\"display\":\"Knee pain\"}],"
    "\"text\":\"Knee pain\"},"
    "\"subject\":{\"reference\":\"Patient/p1\"},"
    "\"onsetDateTime\":\"2025-01-10T09:30:00Z\",\"recordedDate\":\"2025-01-11\"}";

static const char *const OBSERVATION =
    "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\","
    "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"39156-5\"}]},"
    "\"valueQuantity\":{\"value\":32.5,\"unit\":\"kg/m2\",\"system\":\"http://unitsofmeasure.org\","
    "\"code\":\"kg/m2\"},"
    "\"effectivePeriod\":{\"start\":\"2025-05-01\",\"end\":\"2025-05-02\"},"
    "\"component\":[{\"valueString\":\"a\"},{\"valueBoolean\":false},{\"valueInteger\":7}]}";

static const char *const NUMBERS = "{\"resourceType\":\"Basic\",\"n\":[1,2,3,2],\"d\":2.5,"
                                   "\"b\":[true,false],\"t\":[true,true],\"s\":[\"b\",\"a\"]}";

/* resources that share a type and id but differ, equal ones in another member order, and ids
 * repeated within one object (cJSON_Compare reads each against the other's first): set
 * operations file resources by type and id, so these all meet in one bucket */
static const char *const SAME_IDS =
    "{\"resourceType\":\"Basic\",\"r\":["
    "{\"resourceType\":\"Condition\",\"id\":\"x\",\"a\":1},"
    "{\"resourceType\":\"Condition\",\"id\":\"x\",\"a\":2},"
    "{\"a\":1,\"id\":\"x\",\"resourceType\":\"Condition\"},"
    "{\"resourceType\":\"Condition\",\"id\":\"y\",\"a\":1},"
    "{\"resourceType\":\"Condition\",\"id\":\"x\",\"id\":\"z\",\"a\":1},"
    "{\"resourceType\":\"Condition\",\"id\":\"x\",\"id\":\"w\",\"a\":1}]}";

static const char *const BUNDLE_TARGETS =
    "[{\"resourceType\":\"Organization\",\"id\":\"o1\",\"name\":\"Clinic\"},"
    "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"gender\":\"female\"}]";

static const char *const PATIENT_EXT =
    "{\"resourceType\":\"Patient\",\"birthDate\":\"1970-03-15\","
    "\"_birthDate\":{\"extension\":[{\"url\":\"http://x/bt\",\"valueTime\":\"10:30\"}]},"
    "\"name\":[{\"given\":[null,\"Jim\"],\"_given\":[{\"extension\":[{\"url\":\"http://x/s\","
    "\"valueString\":\"five\"}]},null]}]}";
#define PEXT PATIENT_EXT

struct tcase {
	const char *expr;
	const char *input; /* JSON text, or NULL for no input */
	const char *expected;
};

#define P PATIENT
#define C CONDITION
#define O OBSERVATION
#define N NUMBERS

static const struct tcase cases[] = {
    /* path navigation, arrays flattening, resource-type prefix */
    {"Patient.name.given", P, "[\"Anne\",\"Marie\",\"Annie\"]"},
    {"name.given", P, "[\"Anne\",\"Marie\",\"Annie\"]"},
    {"name.family", P, "[\"Smith\"]"},
    {"Patient.gender", P, "[\"female\"]"},
    {"Condition.code.text", C, "[\"Knee pain\"]"},
    {"Condition.code.text", P, "[]"},
    {"Patient.nothing", P, "[]"},
    {"name[1].given", P, "[\"Annie\"]"},
    {"name.given[2]", P, "[\"Annie\"]"},
    {"name.given[5]", P, "[]"},
    {"`name`.`family`", P, "[\"Smith\"]"},
    {"active", P, "[true]"},
    {"telecom.value", P, "[\"0123\"]"},
    /* choice types */
    {"Observation.value.value", O, "[32.5]"},
    {"value.unit", O, "[\"kg/m2\"]"},
    {"value is Quantity", O, "[true]"},
    {"value.ofType(Quantity).code", O, "[\"kg/m2\"]"},
    {"onset", C, "[\"2025-01-10T09:30:00Z\"]"},
    {"onset is dateTime", C, "[true]"},
    {"onset is string", C, "[false]"},
    {"onset.ofType(dateTime).exists()", C, "[true]"},
    {"component.value", O, "[\"a\",false,7]"},
    {"component.value.ofType(string)", O, "[\"a\"]"},
    {"component.value.ofType(boolean)", O, "[false]"},
    {"component.value.ofType(integer)", O, "[7]"},
    {"effective.start", O, "[\"2025-05-01\"]"},
    {"effective is Period", O, "[true]"},
    {"reason", "{\"resourceType\":\"ServiceRequest\",\"reasonCode\":[{\"text\":\"a\"}]}", "[]"},
    {"reasonCode.text", "{\"resourceType\":\"ServiceRequest\",\"reasonCode\":[{\"text\":\"a\"}]}",
     "[\"a\"]"},
    {"deceased", "{\"resourceType\":\"Patient\",\"deceasedBoolean\":false}", "[false]"},
    {"deceased is boolean", "{\"resourceType\":\"Patient\",\"deceasedBoolean\":false}", "[true]"},
    {"value is Quantity", "{\"resourceType\":\"Observation\",\"valueCodeableConcept\":{}}",
     "[false]"},
    {"value is CodeableConcept", "{\"resourceType\":\"Observation\",\"valueCodeableConcept\":{}}",
     "[true]"},
    /* resource types with is/as/ofType */
    {"Patient is Patient", P, "[true]"},
    {"$this is Patient", P, "[true]"},
    {"%resource is Patient", P, "[true]"},
    {"$this is Condition", P, "[false]"},
    {"$this is FHIR.Patient", P, "[true]"},
    {"$this is Resource", P, "[true]"},
    {"%resource.ofType(Patient).id", P, "[\"p1\"]"},
    {"(%resource as Patient).id", P, "[\"p1\"]"},
    {"%resource.as(Condition).id", P, "[]"},
    {"name as HumanName", P, "!eval:operator 'as': singleton"},
    {"name.as(HumanName)", P, "!eval:as(): singleton"},
    /* the R4 model types Patient.name as HumanName (it was untyped before the model) */
    {"name.ofType(HumanName).count()", P, "[2]"},
    {"component.value as string", O, "!eval:singleton"},
    {"component[0].value as string", O, "[\"a\"]"},
    {"1 is Integer", NULL, "[true]"},
    {"1 is System.Integer", NULL, "[true]"},
    {"'a' is String", NULL, "[true]"},
    {"1.5 is Decimal", NULL, "[true]"},
    {"@2020 is Date", NULL, "[true]"},
    {"@2020-01-01T10:00 is DateTime", NULL, "[true]"},
    /* where / select / exists / empty / count / first / last / tail */
    {"name.where(use = 'official').family", P, "[\"Smith\"]"},
    {"name.where(use = 'nope')", P, "[]"},
    {"name.where(given.count() > 1).given.first()", P, "[\"Anne\"]"},
    {"name.select(given.first())", P, "[\"Anne\",\"Annie\"]"},
    {"name.select(use & ':' & $index.toString())", P, "[\"official:0\",\"nickname:1\"]"},
    {"name.exists()", P, "[true]"},
    {"name.exists(use = 'nickname')", P, "[true]"},
    {"name.exists(use = 'old')", P, "[false]"},
    {"deceased.exists()", P, "[false]"},
    {"name.empty()", P, "[false]"},
    {"deceased.empty()", P, "[true]"},
    {"name.given.count()", P, "[3]"},
    {"{}.count()", NULL, "[0]"},
    {"name.given.first()", P, "[\"Anne\"]"},
    {"name.given.last()", P, "[\"Annie\"]"},
    {"name.given.tail()", P, "[\"Marie\",\"Annie\"]"},
    {"name.given.skip(1)", P, "[\"Marie\",\"Annie\"]"},
    {"name.given.take(2)", P, "[\"Anne\",\"Marie\"]"},
    {"name.given.take(0)", P, "[]"},
    {"name.given.single()", P, "!eval:single()"},
    {"name.family.single()", P, "[\"Smith\"]"},
    {"name.all(given.exists())", P, "[true]"},
    {"name.all(family.exists())", P, "[false]"},
    {"{}.all(false)", NULL, "[true]"},
    {"n.distinct()", N, "[1,2,3]"},
    {"n.sort()", N, "[1,2,2,3]"},
    {"n.sort(-$this)", N, "[3,2,2,1]"},
    {"s.sort()", N, "[\"a\",\"b\"]"},
    {"name.sort(given.first()).use", P, "[\"official\",\"nickname\"]"},
    {"name.sort(-given.first()).use", P, "[\"nickname\",\"official\"]"},
    {"name.sort(family).use", P, "[\"nickname\",\"official\"]"},
    {"(@2021 | @2022-01-01 | @2020).sort()", NULL, "[\"@2020\",\"@2021\",\"@2022-01-01\"]"},
    {"(1 | 'a').sort()", NULL, "!eval:sort()"},
    {"n.isDistinct()", N, "[false]"},
    {"s.isDistinct()", N, "[true]"},
    {"n.where($this > 1)", N, "[2,3,2]"},
    {"n.where($index = 2)", N, "[3]"},
    {"n.aggregate($this + $total, 0)", N, "[8]"},
    {"n.aggregate(iif($total.empty(), $this, iif($this > $total, $this, $total)))", N, "[3]"},
    /* three-valued logic: truth tables (FHIRPath N1 §Boolean logic) */
    {"true and true", NULL, "[true]"},
    {"true and false", NULL, "[false]"},
    {"true and {}", NULL, "[]"},
    {"false and {}", NULL, "[false]"},
    {"{} and false", NULL, "[false]"},
    {"{} and {}", NULL, "[]"},
    {"true or false", NULL, "[true]"},
    {"false or false", NULL, "[false]"},
    {"true or {}", NULL, "[true]"},
    {"false or {}", NULL, "[]"},
    {"{} or {}", NULL, "[]"},
    {"true xor false", NULL, "[true]"},
    {"true xor true", NULL, "[false]"},
    {"true xor {}", NULL, "[]"},
    {"true implies false", NULL, "[false]"},
    {"true implies true", NULL, "[true]"},
    {"false implies {}", NULL, "[true]"},
    {"{} implies true", NULL, "[true]"},
    {"{} implies false", NULL, "[]"},
    {"true implies {}", NULL, "[]"},
    {"true.not()", NULL, "[false]"},
    {"false.not()", NULL, "[true]"},
    {"{}.not()", NULL, "[]"},
    {"name.exists() and gender = 'female'", P, "[true]"},
    {"name.given and true", P, "!eval:operator 'and': singleton"},
    {"b.not()", N, "!eval:not()"},
    {"b.allTrue()", N, "[false]"},
    {"t.allTrue()", N, "[true]"},
    {"b.anyTrue()", N, "[true]"},
    {"t.allFalse()", N, "[false]"},
    {"b.anyFalse()", N, "[true]"},
    {"{}.allTrue()", NULL, "[true]"},
    /* equality, equivalence, comparison with empty propagation */
    {"1 = 1", NULL, "[true]"},
    {"1 = 1.0", NULL, "[true]"},
    {"1 != 2", NULL, "[true]"},
    {"'a' = 'a'", NULL, "[true]"},
    {"'a' = 'A'", NULL, "[false]"},
    {"'a' ~ 'A'", NULL, "[true]"},
    {"'a  b' ~ 'A b'", NULL, "[true]"},
    {"'a' !~ 'b'", NULL, "[true]"},
    {"{} = 1", NULL, "[]"},
    {"1 != {}", NULL, "[]"},
    {"{} ~ {}", NULL, "[true]"},
    {"1 ~ {}", NULL, "[false]"},
    {"name.given = name.given", P, "[true]"},
    {"n = n.distinct()", N, "[false]"},
    {"2 < 3", NULL, "[true]"},
    {"2.5 >= 2", NULL, "[true]"},
    {"'abc' < 'abd'", NULL, "[true]"},
    {"d > 2", N, "[true]"},
    {"{} < 1", NULL, "[]"},
    {"n > 1", N, "!eval:singleton"},
    {"1 < 'a'", NULL, "!eval:cannot compare"},
    {"true = true", NULL, "[true]"},
    {"active = true", P, "[true]"},
    {"name.first() = name.first()", P, "[true]"},
    {"name.first() = name.last()", P, "[false]"},
    /* dates and date-times with precision */
    {"@2021-03-01 = @2021-03-01", NULL, "[true]"},
    {"@2021-03-01 < @2021-03-02", NULL, "[true]"},
    {"@2021-03 = @2021-03-01", NULL, "[]"},
    {"@2021-03 < @2021-04-01", NULL, "[true]"},
    {"@2021 < @2021-06", NULL, "[]"},
    {"@2021-03-01T10:00:00Z = @2021-03-01T11:00:00+01:00", NULL, "[true]"},
    {"@2021-03-01T10:00 < @2021-03-01T10:00:30", NULL, "[]"},
    {"@2021-03-01T10:00:00 = @2021-03-01T10:00:00.000", NULL, "[true]"},
    {"@2021-03-01 < @2021-03-01T10:00", NULL, "[]"},
    {"@2021-03-01 < @2021-03-02T10:00", NULL, "[true]"},
    {"@T10:00 < @T11:00", NULL, "[true]"},
    {"@T10:00 = @T10:00:00", NULL, "[]"},
    {"birthDate < @1980-01-01", P, "[true]"},
    {"birthDate = @1970-03-15", P, "[true]"},
    {"birthDate > @1970", P, "[]"},
    {"onset > @2025-01-01", C, "[true]"},
    {"onset < @2025-01-10T10:00:00Z", C, "[true]"},
    {"recordedDate >= @2025-01-11", C, "[true]"},
    {"birthDate < today()", P, "[true]"},
    {"@2021-03-01", NULL, "[\"@2021-03-01\"]"},
    {"@2021-03-01T10:00:00Z", NULL, "[\"@2021-03-01T10:00:00Z\"]"},
    {"@2015T", NULL, "[\"@2015\"]"},
    {"@T10:00", NULL, "[\"@T10:00\"]"},
    {"@T14", NULL, "[\"@T14\"]"},
    /* date arithmetic, calendar durations, today()/now() (env->now = 2025-06-15T12:00:00Z) */
    {"today()", NULL, "[\"@2025-06-15\"]"},
    {"now()", NULL, "[\"@2025-06-15T12:00:00.000Z\"]"},
    {"timeOfDay()", NULL, "[\"@T12:00:00.000\"]"},
    {"today() - 3 months", NULL, "[\"@2025-03-15\"]"},
    {"today() - 90 days", NULL, "[\"@2025-03-17\"]"},
    /* the suite (testPlus): UCUM 'mo'/'a' are not calendar durations in date arithmetic */
    {"today() + 1 'mo'", NULL, "!eval:calendar unit"},
    {"today() - 1 year", NULL, "[\"@2024-06-15\"]"},
    {"today() - 2 weeks", NULL, "[\"@2025-06-01\"]"},
    {"today() + 1 'a'", NULL, "!eval:calendar unit"},
    {"@2025-03-31 - 1 month", NULL, "[\"@2025-02-28\"]"},
    {"@2024-03-31 - 1 month", NULL, "[\"@2024-02-29\"]"},
    {"@2024-02-29 + 1 year", NULL, "[\"@2025-02-28\"]"},
    {"@2025-01-31 + 1 months", NULL, "[\"@2025-02-28\"]"},
    {"@2025-12-31 + 1 day", NULL, "[\"@2026-01-01\"]"},
    {"@2025-03-01T23:30:00Z + 45 minutes", NULL, "[\"@2025-03-02T00:15:00Z\"]"},
    {"@2025-03 + 2 months", NULL, "[\"@2025-05\"]"},
    {"now() - 1 hour", NULL, "[\"@2025-06-15T11:00:00.000Z\"]"},
    {"onset > today() - 6 months", C, "[true]"},
    {"onset > today() - 3 months", C, "[false]"},
    {"birthDate <= today() - 18 years", P, "[true]"},
    {"today() + 3 'kg'", NULL, "!eval:kg"},
    {"today() + 1.5 days", NULL, "[\"@2025-06-16\"]"},
    {"@1973-12-25 + 7.7 days", NULL, "[\"@1974-01-01\"]"},
    /* quantities */
    {"value > 30 'kg/m2'", O, "[true]"},
    {"value < 30 'kg/m2'", O, "[false]"},
    {"value = 32.5 'kg/m2'", O, "[true]"},
    {"value > 30 'kg'", O, "[]"},
    {"3 months = 3 'mo'", NULL, "[]"}, /* N1: calendar month vs UCUM 'mo' is unknown */
    {"3 weeks = 3 'wk'", NULL, "[true]"},
    /* decimal precision: the written scale is kept (issue 6; FHIRPath N1 §Decimal) */
    {"1.0.toString()", NULL, "[\"1.0\"]"},
    {"1.58700.precision()", NULL, "[5]"},
    {"1.587.lowBoundary(2) = 1.58 and 1.587.highBoundary(2) = 1.59", NULL, "[true]"},
    {"(-1.587).lowBoundary() = -1.5875", NULL, "[true]"},
    {"1.587.lowBoundary(39)", NULL, "[]"},
    {"@2014.highBoundary(6)", NULL, "[\"@2014-12\"]"},
    {"@T10:30.precision()", NULL, "[4]"},
    {"1 'cm'.comparable(1 '[in_i]') and 1 'cm'.comparable(1 's').not()", NULL, "[true]"},
    /* quantities: * and / across units of one dimension, and between dimensions */
    {"2.0 'cm' * 2.0 'm' = 0.040 'm2'", NULL, "[true]"},
    {"4.0 'g' / 2.0 'm' = 2 'g/m'", NULL, "[true]"},
    {"1.0 'm' / 1.0 'm' = 1 '1'", NULL, "[true]"},
    /* the R4 type model: element types, inheritance, type(), unknown types */
    {"gender.is(code) and gender.is(string) and gender.is(id).not()", P, "[true]"},
    {"gender.type().name", P, "[\"code\"]"},
    {"gender.type().namespace", P, "[\"FHIR\"]"},
    {"1.type().name", NULL, "[\"Integer\"]"},
    {"managingOrganization.is(Reference)", P, "[true]"},
    {"gender.as(string1)", P, "!syntax:unknown type"},
    {"conformsTo('http://hl7.org/fhir/StructureDefinition/Patient')", P, "[true]"},
    {"conformsTo('http://example.org/profile')", P, "!eval:unknown profile"},
    /* primitive extensions (FHIR R4 JSON _name) */
    {"birthDate.extension('http://x/bt').value", PEXT, "[\"10:30\"]"},
    {"name.given.select($this.hasValue())", PEXT, "[false,true]"},
    /* regular expressions that would make regcomp explode are refused */
    {"'aaa'.matches('a*++++++++++')", NULL, "!syntax:too complex"},
    {"'aaa'.matches('((((a*)+)+)+)+')", NULL, "!syntax:too complex"},
    {"3 'mo'", NULL, "[\"3 'mo'\"]"},
    {"3 months", NULL, "[\"3 months\"]"},
    {"2 'kg' + 3 'kg'", NULL, "[\"5 'kg'\"]"},
    {"7 days = 1 week", NULL, "[true]"},
    {"6 days < 1 'wk'", NULL, "[true]"},
    {"4 'g' = 4000 'mg'", NULL, "[true]"},
    {"1 'kg' > 1 'm'", NULL, "[]"},
    {"1 year = 12 months", NULL, "[false]"},
    {"'3 days'.toQuantity() = 72 'h'", NULL, "[true]"},
    {"'5 \\'mg\\''.toQuantity()", NULL, "[\"5 'mg'\"]"},
    {"1.8 - 1.2 = 0.6", NULL, "[true]"},
    {"1.2 / 1.8 ~ 0.67", NULL, "[true]"},
    {"1.2 / 1.8 ~ 0.6", NULL, "[false]"},
    {"telecom.select(iif(value = '0123', $index, {}))", P, "[0]"},
    {"name.select(iif(use = 'nickname', $index, {}))", P, "[1]"},
    {"'14'.toTime()", NULL, "[\"@T14\"]"},
    {"0.1 + 0.2 = 0.3", NULL, "[true]"},
    {"effective.start <= effective.end", O, "[true]"},
    {"effective.end < effective.start", O, "[false]"},
    {"'abc'.matchesFull('b')", NULL, "[false]"},
    {"'abc'.matchesFull('a.c')", NULL, "[true]"},
    {"('ctx').iif(true, $this, 'no')", NULL, "[\"ctx\"]"},
    /* membership and union */
    {"'Anne' in name.given", P, "[true]"},
    {"'Bob' in name.given", P, "[false]"},
    {"name.given contains 'Marie'", P, "[true]"},
    {"{} in name.given", P, "[]"},
    {"'x' in {}", NULL, "[false]"},
    {"name.given in 'Anne'", P, "!eval:singleton"},
    {"(1 | 2 | 2 | 3)", NULL, "[1,2,3]"},
    {"name.given | name.family", P, "[\"Anne\",\"Marie\",\"Annie\",\"Smith\"]"},
    {"n.union(s).count()", N, "[5]"},
    {"r.distinct().count()", SAME_IDS, "[5]"},
    {"(r | r).a", SAME_IDS, "[1,2,1,1,1]"},
    {"r.isDistinct()", SAME_IDS, "[false]"},
    {"r[0].intersect(r[2]).count()", SAME_IDS, "[1]"},
    {"r.exclude(r[1]).count()", SAME_IDS, "[5]"},
    {"n.combine(n).count()", N, "[8]"},
    {"n.intersect(2 | 3 | 9)", N, "[2,3]"},
    {"n.exclude(2)", N, "[1,3]"},
    {"(1 | 2).subsetOf(n)", N, "[true]"},
    {"n.supersetOf(1 | 4)", N, "[false]"},
    /* set operations hash their items (fhirpath_set.c): what is equal must not change */
    {"(3 | 1 | 2 | 1 | 3)", NULL, "[3,1,2]"},
    {"(0.1 + 0.2 | 0.3).count()", NULL, "[1]"},
    /* three or more operands are one set (eval_binary's union_chain): the same answers as
     * ((a | b) | c), with equality that is not transitive (a ~ b, b ~ c, a !~ c), empty
     * operands first, a parenthesised right side, an error in a later operand, and a chain
     * longer than the 32 operands taken at once */
    {"(0.00000000290 | 0.00000000298 | 0.00000000306).count()", NULL, "[2]"},
    {"(0.00000000306 | 0.00000000298 | 0.00000000290).count()", NULL, "[2]"},
    {"(0.00000000298 | 0.00000000290 | 0.00000000306).count()", NULL, "[1]"},
    {"{} | {} | 2 | 1 | 2", NULL, "[2,1]"},
    {"{} | {} | {}", NULL, "[]"},
    {"1 | (2 | 1 | 3) | 3 | 4", NULL, "[1,2,3,4]"},
    {"name.family | name.given | {} | name.given | gender", P,
     "[\"Smith\",\"Anne\",\"Marie\",\"Annie\",\"female\"]"},
    {"1 | 2 | (1 | 'a').sort() | 3", NULL, "!eval:sort()"},
    {"(0 | 1 | 2 | 3 | 4 | 5 | 6 | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 0 | 1 | "
     "2 | 3 | 4 | 5 | 6 | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 0 | 1 | 2 | 3 | 4).count()",
     NULL, "[7]"},
    {"(0.1 + 0.2).combine(0.3).isDistinct()", NULL, "[false]"},
    {"(0.00000000298 | 0.00000000302).count()", NULL, "[1]"},
    {"(0.00000000298 | 0.00000000320).count()", NULL, "[2]"},
    {"(1000000000.0 | 1000000000.05).count()", NULL, "[1]"},
    {"(1000000000.0 | 1000000000.2).count()", NULL, "[2]"},
    {"(1 | 1.0 | 1 'g' | '1' | true).count()", NULL, "[4]"},
    {"(1 | 2 | 3).intersect(2.0 | 3 | 4)", NULL, "[2,3]"},
    {"(1 | 2 | 3).combine(2).intersect(2 | 3)", NULL, "[2,3]"},
    {"(1 | 2 | 3).exclude(2.0)", NULL, "[1,3]"},
    {"(1 'g').subsetOf(1000 'mg' | 2 'g')", NULL, "[true]"},
    {"(1 'g' | 1000 'mg').count()", NULL, "[1]"},
    {"(4 days | 4 'd').count()", NULL, "[1]"},
    {"(1 year | 1 'a').count()", NULL, "[2]"},
    {"(@2020-01-01T10:00:00Z | @2020-01-01T11:00:00+01:00).count()", NULL, "[1]"},
    {"(@2020-01-01T00:30:00+01:00 | @2019-12-31T23:30:00Z).count()", NULL, "[1]"},
    {"(@2020-01-01T10:00:00.000Z | @2020-01-01T10:00:00Z).count()", NULL, "[1]"},
    {"(@2020 | @2020-01 | @2020).count()", NULL, "[2]"},
    {"(@T10:00 | @T10:00:00 | @T10:00).count()", NULL, "[2]"},
    {"(x | @2020-01-01).count()", "{\"resourceType\":\"Basic\",\"x\":\"2020-01-01\"}", "[1]"},
    {"(x | '2020-01-01').count()", "{\"resourceType\":\"Basic\",\"x\":\"2020-01-01\"}", "[1]"},
    {"('2020-01-01' | @2020-01-01).count()", NULL, "[2]"},
    {"(a | b).count()",
     "{\"resourceType\":\"Basic\",\"a\":{\"p\":1,\"q\":[\"x\"]},"
     "\"b\":{\"q\":[\"x\"],\"p\":1}}",
     "[1]"},
    {"(a | b).count()",
     "{\"resourceType\":\"Basic\",\"a\":{\"p\":1,\"q\":[\"x\"]},"
     "\"b\":{\"p\":1,\"q\":[\"y\"]}}",
     "[2]"},
    {"(a | b).count()", "{\"resourceType\":\"Basic\",\"a\":{\"p\":1},\"b\":{\"p\":2}}", "[2]"},
    {"(a.q | b.q).count()",
     "{\"resourceType\":\"Basic\",\"a\":{\"q\":[\"x\",\"y\"]},"
     "\"b\":{\"q\":[\"y\",\"x\"]}}",
     "[2]"},
    {"(code | code | code.coding).count()", C, "[3]"},
    {"code.coding.union(code.coding.select($this)).count()", C, "[2]"},
    {"(type() | type()).count()", C, "[2]"},
    /* arithmetic and strings */
    {"1 + 2 * 3", NULL, "[7]"},
    {"(1 + 2) * 3", NULL, "[9]"},
    {"7 / 2", NULL, "[3.5]"},
    {"7 div 2", NULL, "[3]"},
    {"7 mod 2", NULL, "[1]"},
    {"-7 div 2", NULL, "[-3]"},
    {"1 / 0", NULL, "[]"},
    {"5 - -2", NULL, "[7]"},
    {"-(2 + 3)", NULL, "[-5]"},
    {"d * 2", N, "[5]"},
    {"1 + {}", NULL, "[]"},
    {"9223372036854775807 + 1", NULL, "!eval:overflow"},
    {"'a' + 'b'", NULL, "[\"ab\"]"},
    {"'a' & {} & 'c'", NULL, "[\"ac\"]"},
    {"1 + 'a'", NULL, "!eval:cannot apply"},
    {"name.family.lower()", P, "[\"smith\"]"},
    {"name.family.upper()", P, "[\"SMITH\"]"},
    {"name.family.contains('mit')", P, "[true]"},
    {"name.family.contains('')", P, "[true]"},
    {"name.family.startsWith('Sm')", P, "[true]"},
    {"name.family.endsWith('th')", P, "[true]"},
    {"name.family.endsWith('x')", P, "[false]"},
    {"name.family.matches('^S.*h$')", P, "[true]"},
    {"name.family.matches('(knee|hip)')", P, "[false]"},
    {"'left knee'.matches('(knee|hip)')", NULL, "[true]"},
    {"name.family.matches('(')", P, "!syntax@20:bad regular expression"},
    {"name.family.matches(%badre)", P, "!eval:bad regular expression"},
    {"name.family.matches(%re)", P, "[true]"},
    {"'a1b22'.replaceMatches(%digits, '#')", NULL, "[\"a#b#\"]"},
    {"name.given.where(matches('^A')).count()", P, "[2]"},
    {"name.family.replace('i', 'y')", P, "[\"Smyth\"]"},
    {"'abc'.replace('', '-')", NULL, "[\"-a-b-c-\"]"},
    {"'a.b.c'.replaceMatches('[.]', '/')", NULL, "[\"a/b/c\"]"},
    /* '^' anchors at the start of the string only, not after each replacement */
    {"'aaa'.replaceMatches('^a', 'b')", NULL, "[\"baa\"]"},
    {"'27.5'.replaceMatches('^[^0-9]*', '')", NULL, "[\"27.5\"]"},
    {"name.family.length()", P, "[5]"},
    {"name.family.substring(1, 3)", P, "[\"mit\"]"},
    {"name.family.substring(2)", P, "[\"ith\"]"},
    {"name.family.substring(9)", P, "[]"},
    {"name.family.indexOf('th')", P, "[3]"},
    {"name.family.indexOf('z')", P, "[-1]"},
    {"name.given.join(', ')", P, "[\"Anne, Marie, Annie\"]"},
    {"name.given.join()", P, "[\"AnneMarieAnnie\"]"},
    {"name.given.lower()", P, "!eval:lower(): singleton expected, got a collection of 3"},
    {"'abc'.substring(n)", N, "!eval:substring() argument 1: singleton"},
    {"{}.lower()", NULL, "[]"},
    {"'a,b'.split(',')", NULL, "[\"a\",\"b\"]"},
    {"'  x '.trim()", NULL, "[\"x\"]"},
    {"'test'.encode('base64')", NULL, "[\"dGVzdA==\"]"},
    {"'ab'.encode('base64')", NULL, "[\"YWI=\"]"},
    {"'YWI='.decode('base64')", NULL, "[\"ab\"]"},
    {"'subjects?_d'.encode('urlbase64')", NULL, "[\"c3ViamVjdHM_X2Q=\"]"},
    {"'74657374'.decode('hex')", NULL, "[\"test\"]"},
    {"'7'.decode('hex')", NULL, "[]"},
    {"'a<b'.escape('html')", NULL, "[\"a&lt;b\"]"},
    {"'a&lt;b&amp;'.unescape('html')", NULL, "[\"a<b&\"]"},
    {"'it''s'", NULL, "!syntax@4"},
    {"'it\\'s \\u00e9'", NULL, "[\"it's \xc3\xa9\"]"},
    /* conversions */
    {"1.toString()", NULL, "[\"1\"]"},
    {"2.5.toString()", NULL, "[\"2.5\"]"},
    {"true.toString()", NULL, "[\"true\"]"},
    {"@2021-03-01.toString()", NULL, "[\"2021-03-01\"]"},
    {"'12'.toInteger() + 1", NULL, "[13]"},
    {"'1x'.toInteger()", NULL, "[]"},
    {"'2.5'.toDecimal()", NULL, "[2.5]"},
    {"5.toDecimal()", NULL, "[5]"},
    {"'true'.toBoolean()", NULL, "[true]"},
    {"'5'.convertsToInteger()", NULL, "[true]"},
    {"'2021-03-01'.toDate() = @2021-03-01", NULL, "[true]"},
    {"iif(true, 'a', 'b')", NULL, "[\"a\"]"},
    {"iif(false, 'a', 'b')", NULL, "[\"b\"]"},
    {"iif({}, 'a', 'b')", NULL, "[\"b\"]"},
    {"iif(false, 'a')", NULL, "[]"},
    {"iif(gender = 'female', 'F', 'M')", P, "[\"F\"]"},
    {"name.iif(true, 1, 2)", P, "!eval:iif"},
    /* math */
    {"(-5).abs()", NULL, "[5]"},
    {"2.5.ceiling()", NULL, "[3]"},
    {"2.5.floor()", NULL, "[2]"},
    {"3.14159.round(2)", NULL, "[3.14]"},
    {"2.power(10)", NULL, "[1024]"},
    {"16.sqrt()", NULL, "[4]"},
    {"2.7.truncate()", NULL, "[2]"},
    {"(1000000000000000000.0 * 100).floor()", NULL, "!eval:does not fit"},
    {"1000000000000000000.0 * 100 div 1", NULL, "!eval:overflow"},
    {"1000000000.0.power(400) * 10", NULL, "[]"},
    /* variables */
    {"%one + 1", NULL, "[2]"},
    {"%conds.count()", NULL, "[2]"},
    {"%conds.where(code.coding.code contains '123').id", NULL, "[\"c1\"]"},
    {"%nope", NULL, "!eval:%nope"},
    {"%resource.id", P, "[\"p1\"]"},
    /* built-in variables, resolved when compiled */
    {"%ucum", NULL, "[\"http://unitsofmeasure.org\"]"},
    {"%sct | %loinc", NULL, "[\"http://snomed.info/sct\",\"http://loinc.org\"]"},
    {"%`vs-administrative-gender`", NULL,
     "[\"http://hl7.org/fhir/ValueSet/administrative-gender\"]"},
    {"%'ext-patient-birthTime'", NULL,
     "[\"http://hl7.org/fhir/StructureDefinition/patient-birthTime\"]"},
    {"%context.id | %rootResource.id", P, "[\"p1\"]"},
    {"%nope", P, "!eval:unknown variable"},
    {"%context.gender", P, "[\"female\"]"},
    {"%ucum", NULL, "[\"http://unitsofmeasure.org\"]"},
    {"%empty.exists()", NULL, "[false]"},
    {"%'one' = 1", NULL, "[true]"},
    /* memberOf with a fake ValueSet lookup (http://vs/knee = sct 123, 456) */
    {"code.memberOf('http://vs/knee')", C, "[true]"},
    {"code.coding[1].memberOf('http://vs/knee')", C, "[true]"},
    {"code.coding[0].memberOf('http://vs/knee')", C, "[false]"},
    {"code.coding.memberOf('http://vs/knee')", C, "!eval:memberOf"},
    {"code.coding.where(memberOf('http://vs/knee')).display", C, "[\"Knee pain\"]"},
    {"code.coding[1].code.memberOf('http://vs/knee')", C, "[true]"},
    {"code.memberOf('http://vs/unknown')", C, "!eval:unknown ValueSet"},
    {"{}.memberOf('http://vs/knee')", NULL, "[]"},
    {"clinicalStatus.memberOf('http://vs/knee')", C, "[false]"},
    /* resolve, extension, hasValue, children, descendants, repeat, trace */
    {"managingOrganization.resolve().name", P, "[\"Clinic\"]"},
    {"subject.resolve().gender", C, "[\"female\"]"},
    {"subject.resolve() is Patient", C, "[true]"},
    {"'Patient/zz'.resolve()", NULL, "[]"},
    {"extension('http://x/ext/eth').value", P, "[\"A\"]"},
    {"extension('http://x/ext/other').value + 1", P, "[4]"},
    {"extension('http://x/none').exists()", P, "[false]"},
    {"extension('u').value", "{\"extension\":[{\"url\":\"u\",\"valueCode\":\"c\"}]}", "[\"c\"]"},
    {"extension('u').value is code", "{\"extension\":[{\"url\":\"u\",\"valueCode\":\"c\"}]}",
     "[true]"},
    {"gender.hasValue()", P, "[true]"},
    {"name.first().hasValue()", P, "[false]"},
    {"telecom.children().count()", P, "[2]"},
    {"name.descendants().count()", P, "[6]"},
    /* code (x2, a string specialisation), display, text; not the two uri systems */
    {"code.descendants().ofType(string).count()", C, "[4]"},
    {"code.repeat(coding).code", C, "[\"x9\",\"123\"]"},
    {"name.given.trace('g').count()", P, "[3]"},
    {"(name | telecom).count()", P, "[3]"},
    /* comments and whitespace */
    {"2 + 2 // comment", NULL, "[4]"},
    {"/* a */ 2 /* b */ + 2", NULL, "[4]"},
    /* syntax errors with offsets */
    {"name.where(use = 'official'", P, "!syntax@27:expected ')' after arguments of where("},
    {"name..given", P, "!syntax@5:after '.'"},
    {"name.matches('a') +", P, "!syntax@19"}, /* the compiled regex is freed (asan) */
    {"1 +", NULL, "!syntax@3:expected an expression"},
    {"name.frobnicate()", P, "!syntax@5:unknown function 'frobnicate'"},
    {"name.where()", P, "!syntax@5:where() takes"},
    {"'unterminated", NULL, "!syntax@0:unterminated"},
    {"'ends in a backslash\\", NULL, "!syntax@20:unknown escape"},
    {"'\\u12'", NULL, "!syntax@1:bad \\u escape"},
    {"'\\q'", NULL, "!syntax@1:unknown escape"},
    {"`a\\`b` = {}", NULL, "[]"},
    {"@2021-13-01", NULL, "!syntax@0"},
    {"1 2", NULL, "!syntax@2:unexpected"},
    {"name # x", P, "!syntax@5:unexpected character"},
    {"", NULL, "!syntax@0:empty"},
    {"$foo", NULL, "!syntax@0"},
    {"(1 + 2", NULL, "!syntax@6:expected ')'"},
    {"{1}", NULL, "!syntax@1"},
};

/* ---- harness ----------------------------------------------------------------------------- */

static int fake_member_of(const void *ctx, const char *url, const char *system, const char *code)
{
	(void)ctx;
	if (strcmp(url, "http://vs/knee") != 0)
		return -1;
	if (system != NULL && strcmp(system, "http://snomed.info/sct") != 0)
		return 0;
	return strcmp(code, "123") == 0 || strcmp(code, "456") == 0;
}

static const cJSON *fake_resolve(const void *ctx, const char *reference)
{
	const cJSON *targets = ctx, *r;

	cJSON_ArrayForEach(r, targets)
	{
		char buf[128];
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "resourceType");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");

		snprintf(buf, sizeof(buf), "%s/%s", type->valuestring, id->valuestring);
		if (strcmp(buf, reference) == 0)
			return r;
	}
	return NULL;
}

static cJSON *value_to_json(struct fhir_arena *arena, const struct fhir_value *v)
{
	char buf[80];
	const char *s;

	switch (v->kind) {
	case FHIR_VALUE_NODE:
		return cJSON_Duplicate(v->node, 1);
	case FHIR_VALUE_BOOLEAN:
		return cJSON_CreateBool(v->u.boolean);
	case FHIR_VALUE_INTEGER:
		return cJSON_CreateNumber((double)v->u.integer);
	case FHIR_VALUE_DECIMAL:
		return cJSON_CreateNumber(v->u.decimal);
	case FHIR_VALUE_STRING:
		return cJSON_CreateString(v->u.string);
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
		buf[0] = '@';
		fhir_datetime_format(&v->u.datetime, buf + 1, sizeof(buf) - 1);
		return cJSON_CreateString(buf);
	case FHIR_VALUE_TIME:
		buf[0] = '@';
		buf[1] = 'T';
		fhir_datetime_format(&v->u.datetime, buf + 2, sizeof(buf) - 2);
		return cJSON_CreateString(buf);
	case FHIR_VALUE_QUANTITY:
		s = fhir__fp_to_string(arena, v);
		return cJSON_CreateString(s ? s : "?");
	}
	return cJSON_CreateNull();
}

static const char *status_name(int rc)
{
	switch (rc) {
	case FHIR_ERR_SYNTAX:
		return "syntax";
	case FHIR_ERR_EVAL:
		return "eval";
	case FHIR_ERR_LIMIT:
		return "limit";
	case FHIR_ERR_INVALID:
		return "invalid";
	default:
		return "other";
	}
}

static int passed, failed;

static void fail_case(const char *expr, const char *got, const char *expected)
{
	failed++;
	printf("FAIL: %.200s\n   got:      %s\n   expected: %s\n", expr, got, expected);
}

/* Checks an error outcome against "!kind[@offset][:text]". */
static void check_error(const char *expr, int rc, const struct fhir_error *err,
                        const char *expected)
{
	char got[900];
	char want_kind[16] = "";
	const char *p = expected + 1, *text = strchr(expected, ':');
	size_t k = 0;
	int ok;

	while (*p && *p != '@' && *p != ':' && k + 1 < sizeof(want_kind))
		want_kind[k++] = *p++;
	want_kind[k] = '\0';
	snprintf(got, sizeof(got), "!%s (where=%s) %s", rc == 0 ? "ok" : status_name(rc),
	         err->where, err->message);
	ok = rc != 0 && strcmp(status_name(rc), want_kind) == 0;
	if (ok && *p == '@') {
		char where[64];
		size_t n = 0;

		p++;
		while (p[n] >= '0' && p[n] <= '9')
			n++;
		snprintf(where, sizeof(where), "expression:%.*s", (int)n, p);
		ok = strcmp(err->where, where) == 0;
	}
	if (ok && text != NULL)
		ok = strstr(err->message, text + 1) != NULL;
	if (ok)
		passed++;
	else
		fail_case(expr, got, expected);
}

/* c as JSON text (NEW, free()). */
static char *collection_text(struct fhir_arena *arena, const struct fhir_collection *c)
{
	cJSON *a = cJSON_CreateArray();
	char *text;

	for (size_t i = 0; i < c->count; i++)
		cJSON_AddItemToArray(a, value_to_json(arena, &c->items[i]));
	text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return text;
}

static void run_case(const struct tcase *t, const cJSON *conds, const cJSON *targets)
{
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path *path = NULL;
	struct fhir_error err;
	struct fhir_collection input = {NULL, 0, 0}, out;
	struct fhir_path_var vars[6];
	struct fhir_path_env env;
	cJSON *doc = NULL, *got = NULL, *want = NULL;
	char *got_text = NULL;
	struct fhir_path_memo *memo = fhir_path_memo_new();
	int rc;

	memset(&err, 0, sizeof(err));
	memset(&env, 0, sizeof(env));
	memset(vars, 0, sizeof(vars));
	vars[0].name = "one";
	fhir_collection_push(&vars[0].value, arena,
	                     &(struct fhir_value){.kind = FHIR_VALUE_INTEGER, .u.integer = 1});
	vars[1].name = "conds";
	fhir_bundle_resources(conds, arena, &vars[1].value, NULL, NULL);
	vars[2].name = "empty";
	vars[3].name = "re";
	fhir_collection_push(&vars[3].value, arena,
	                     &(struct fhir_value){.kind = FHIR_VALUE_STRING, .u.string = "mit"});
	vars[4].name = "badre";
	fhir_collection_push(&vars[4].value, arena,
	                     &(struct fhir_value){.kind = FHIR_VALUE_STRING, .u.string = "(["});
	vars[5].name = "digits";
	fhir_collection_push(&vars[5].value, arena,
	                     &(struct fhir_value){.kind = FHIR_VALUE_STRING, .u.string = "[0-9]+"});
	env.vars = vars;
	env.var_count = 6;
	env.arena = arena;
	env.member_of = fake_member_of;
	env.resolve = fake_resolve;
	env.resolve_ctx = targets;
	fhir_datetime_parse("2025-06-15T12:00:00.000Z", &env.now, NULL);
	if (t->input != NULL) {
		doc = cJSON_Parse(t->input);
		if (doc == NULL) {
			fail_case(t->expr, "(bad input JSON in test)", t->expected);
			goto out;
		}
		fhir_collection_push_node(&input, arena, doc);
	}
	rc = fhir_path_compile(t->expr, &path, &err);
	if (rc == 0) {
		/* with a memo of answers (fhirpath_memo.c), twice: the second evaluation reuses
		 * what the first filed, and both must give the row's answer */
		struct fhir_collection cold;
		int cold_rc = fhir_path_eval(path, &input, &env, &cold, &err);
		char *cold_text = NULL, *warm_text = NULL;

		env.memo = memo;
		rc = fhir_path_eval(path, &input, &env, &out, &err);
		if (rc == 0)
			rc = fhir_path_eval(path, &input, &env, &out, &err);
		if (cold_rc == 0 && rc == 0) {
			cold_text = collection_text(arena, &cold);
			warm_text = collection_text(arena, &out);
		}
		if (cold_rc != rc || (cold_text != NULL && strcmp(cold_text, warm_text) != 0))
			fail_case(t->expr, "another answer with a memo of answers", t->expected);
		free(cold_text);
		free(warm_text);
	}
	if (t->expected[0] == '!') {
		check_error(t->expr, rc, &err, t->expected);
		goto out;
	}
	if (rc != 0) {
		char buf[900];

		snprintf(buf, sizeof(buf), "!%s (where=%s) %s", status_name(rc), err.where,
		         err.message);
		fail_case(t->expr, buf, t->expected);
		goto out;
	}
	got = cJSON_CreateArray();
	for (size_t i = 0; i < out.count; i++)
		cJSON_AddItemToArray(got, value_to_json(arena, &out.items[i]));
	want = cJSON_Parse(t->expected);
	got_text = cJSON_PrintUnformatted(got);
	if (want != NULL && cJSON_Compare(got, want, 1))
		passed++;
	else
		fail_case(t->expr, got_text, t->expected);
out:
	free(got_text);
	cJSON_Delete(got);
	cJSON_Delete(want);
	cJSON_Delete(doc);
	fhir_path_free(path);
	fhir_arena_free(arena);
	fhir_path_memo_free(memo);
}

/* Compile once, evaluate many times against different inputs (no re-parsing). */
static void test_compile_once(void)
{
	struct fhir_path *path = NULL;
	struct fhir_error err;
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path_env env;
	const char *inputs[] = {"{\"resourceType\":\"Patient\",\"gender\":\"male\"}",
	                        "{\"resourceType\":\"Patient\",\"gender\":\"female\"}",
	                        "{\"resourceType\":\"Patient\"}"};
	const char *want[] = {"[false]", "[true]", "[]"};

	memset(&env, 0, sizeof(env));
	env.arena = arena;
	if (fhir_path_compile("Patient.gender = 'female'", &path, &err) != 0) {
		fail_case("compile once", err.message, "compiled");
		goto out;
	}
	for (int round = 0; round < 100; round++) {
		for (size_t i = 0; i < 3; i++) {
			cJSON *doc = cJSON_Parse(inputs[i]);
			struct fhir_collection in = {NULL, 0, 0}, out;
			const char *got;

			fhir_collection_push_node(&in, arena, doc);
			if (fhir_path_eval(path, &in, &env, &out, &err) != 0)
				got = err.message;
			else
				got = out.count == 0           ? "[]"
				      : out.items[0].u.boolean ? "[true]"
				                               : "[false]";
			if (strcmp(got, want[i]) != 0) {
				fail_case("compile once, eval many", got, want[i]);
				cJSON_Delete(doc);
				goto out;
			}
			cJSON_Delete(doc);
			fhir_arena_reset(arena);
		}
	}
	passed++;
out:
	fhir_path_free(path);
	fhir_arena_free(arena);
}

static void note_var(void *ctx, const char *name)
{
	char *buf = ctx;
	size_t n = strlen(buf);

	snprintf(buf + n, 256 - n, "%s,", name);
}

static void test_each_variable(void)
{
	struct fhir_path *path = NULL;
	struct fhir_error err;
	char buf[256] = "";

	if (fhir_path_compile("%conditions.where(code.memberOf(%vs)).exists() and %resource.id "
	                      "and iif(%A, %B, $this)",
	                      &path, &err) != 0) {
		fail_case("each_variable", err.message, "compiled");
		return;
	}
	fhir_path_each_variable(path, note_var, buf);
	if (strcmp(buf, "conditions,vs,A,B,") == 0)
		passed++;
	else
		fail_case("fhir_path_each_variable", buf, "conditions,vs,A,B,");
	if (strcmp(fhir_path_text(path), "%conditions.where(code.memberOf(%vs)).exists() and "
	                                 "%resource.id and iif(%A, %B, $this)") == 0)
		passed++;
	else
		fail_case("fhir_path_text", fhir_path_text(path), "the source text");
	fhir_path_free(path);
}

/* The full Kleene truth tables of and/or/xor/implies over true, false and {} (FHIRPath N1
 * §Boolean logic), with expectations written out independently of the evaluator. */
static void test_truth_tables(void)
{
	static const char *const names[3] = {"true", "false", "{}"}; /* 1, 0, unknown */
	static const char *const ops[4] = {"and", "or", "xor", "implies"};
	/* want[op][a][b]: "t", "f" or "" (empty) */
	static const char *const want[4][3][3] = {
	    {{"t", "f", ""}, {"f", "f", "f"}, {"", "f", ""}},
	    {{"t", "t", "t"}, {"t", "f", ""}, {"t", "", ""}},
	    {{"f", "t", ""}, {"t", "f", ""}, {"", "", ""}},
	    {{"t", "f", ""}, {"t", "t", "t"}, {"t", "", ""}},
	};
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path_env env;

	memset(&env, 0, sizeof(env));
	env.arena = arena;
	for (int op = 0; op < 4; op++) {
		for (int a = 0; a < 3; a++) {
			for (int b = 0; b < 3; b++) {
				char expr[64], got[8] = "?";
				struct fhir_path *path = NULL;
				struct fhir_error err;
				struct fhir_collection out;

				snprintf(expr, sizeof(expr), "%s %s %s", names[a], ops[op],
				         names[b]);
				if (fhir_path_compile(expr, &path, &err) == 0 &&
				    fhir_path_eval(path, NULL, &env, &out, &err) == 0)
					snprintf(got, sizeof(got), "%s",
					         out.count == 0           ? ""
					         : out.items[0].u.boolean ? "t"
					                                  : "f");
				if (strcmp(got, want[op][a][b]) == 0)
					passed++;
				else
					fail_case(expr, got, want[op][a][b]);
				fhir_path_free(path);
			}
		}
	}
	fhir_arena_free(arena);
}

/* Untrusted expressions: named limits, never a crash. */
static void test_limits(void)
{
	static char text[FHIR_PATH_MAX_TEXT * 3];
	struct fhir_path *path = NULL;
	struct fhir_error err;
	size_t n = 0;
	int rc;

	/* 10000 '(' */
	for (int i = 0; i < 10000; i++)
		text[n++] = '(';
	text[n++] = '1';
	text[n] = '\0';
	rc = fhir_path_compile(text, &path, &err);
	if (rc == FHIR_ERR_LIMIT)
		passed++;
	else
		fail_case("10000 '('", status_name(rc), "limit (text too long)");
	fhir_path_free(path);
	path = NULL;

	/* 8000 '(' fit the text limit: the depth limit stops them, without deep recursion */
	n = 0;
	for (int i = 0; i < 8000; i++)
		text[n++] = '(';
	text[n++] = '1';
	text[n] = '\0';
	rc = fhir_path_compile(text, &path, &err);
	if (rc == FHIR_ERR_LIMIT && strstr(err.message, "deeper") != NULL)
		passed++;
	else
		fail_case("8000 '('", err.message, "limit: nested deeper");
	fhir_path_free(path);
	path = NULL;

	/* 200 nested parentheses fit the text limit but not the depth limit */
	n = 0;
	for (int i = 0; i < 200; i++)
		text[n++] = '(';
	text[n++] = '1';
	for (int i = 0; i < 200; i++)
		text[n++] = ')';
	text[n] = '\0';
	rc = fhir_path_compile(text, &path, &err);
	if (rc == FHIR_ERR_LIMIT && strstr(err.message, "deeper") != NULL)
		passed++;
	else
		fail_case("200 nested '('", err.message, "limit: nested deeper");
	fhir_path_free(path);
	path = NULL;

	/* 200 nested function calls and unary minus */
	n = 0;
	for (int i = 0; i < 200; i++) {
		memcpy(text + n, "where(", 6);
		n += 6;
	}
	text[n++] = '1';
	for (int i = 0; i < 200; i++)
		text[n++] = ')';
	text[n] = '\0';
	rc = fhir_path_compile(text, &path, &err);
	if (rc == FHIR_ERR_LIMIT)
		passed++;
	else
		fail_case("200 nested where(", status_name(rc), "limit");
	fhir_path_free(path);
	path = NULL;
	n = 0;
	for (int i = 0; i < 3000; i++)
		text[n++] = '-';
	text[n++] = '1';
	text[n] = '\0';
	rc = fhir_path_compile(text, &path, &err);
	if (rc == FHIR_ERR_LIMIT)
		passed++;
	else
		fail_case("3000 unary '-'", status_name(rc), "limit");
	fhir_path_free(path);
	path = NULL;

	/* a long flat chain (1+1+...): a tall tree, refused at compile time */
	n = 0;
	for (int i = 0; i < 2000; i++) {
		memcpy(text + n, "1+", 2);
		n += 2;
	}
	text[n++] = '1';
	text[n] = '\0';
	rc = fhir_path_compile(text, &path, &err);
	if (rc == FHIR_ERR_LIMIT)
		passed++;
	else
		fail_case("1+1+...+1 (2000 terms)", status_name(rc), "limit");
	fhir_path_free(path);
	path = NULL;

	/* text over FHIR_PATH_MAX_TEXT */
	memset(text, ' ', FHIR_PATH_MAX_TEXT + 10);
	text[0] = '1';
	text[FHIR_PATH_MAX_TEXT + 10] = '\0';
	rc = fhir_path_compile(text, &path, &err);
	if (rc == FHIR_ERR_LIMIT)
		passed++;
	else
		fail_case("text over FHIR_PATH_MAX_TEXT", status_name(rc), "limit");
	fhir_path_free(path);
	path = NULL;
}

/* A collection past FHIR_PATH_MAX_ITEMS is FHIR_ERR_LIMIT (repeat() over a growing set). */
/* The hash set of the set operations against the pairwise rule it replaces (an item is a
 * duplicate when fhir__fp_equal says 1 for an item kept before), on a mix of values made to
 * sit near each other's edges (decimals within 1e-10, dates in other zones, quantities in other
 * units), with real hashes and with every key forced to collide (mask 0). */
static void test_sets(void)
{
	static const char *const dates[] = {"2020-01-01T10:00:00Z",
	                                    "2020-01-01T11:00:00+01:00",
	                                    "2020-01-01T10:00:00.000Z",
	                                    "2020-01-01T10:00Z",
	                                    "2020-01-01",
	                                    "2020-01",
	                                    "2020",
	                                    "2019-12-31T23:30:00-10:30",
	                                    "2020-01-01T10:00:00.001Z",
	                                    "10:00:00",
	                                    "10:00"};
	static const char *const units[] = {"g", "mg", "kg", "a", "year", "d", "days", "wk", "1"};
	struct fhir_arena *arena = fhir_arena_new();
	cJSON *doc = cJSON_CreateArray();
	struct fhir_value pool[600];
	size_t n = 0;
	unsigned seed = 12345;

	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		struct fhir_value v;

		memset(&v, 0, sizeof(v));
		fhir_datetime_parse(dates[i], &v.u.datetime, NULL);
		v.kind = v.u.datetime.has_date ? FHIR_VALUE_DATETIME : FHIR_VALUE_TIME;
		pool[n++] = v;
		/* the same text as an untyped JSON string, which compares as a date with dates */
		cJSON_AddItemToArray(doc, cJSON_CreateString(dates[i]));
		memset(&v, 0, sizeof(v));
		v.node = cJSON_GetArrayItem(doc, cJSON_GetArraySize(doc) - 1);
		pool[n++] = v;
		pool[n++] = fhir__fp_str(dates[i]);
	}
	for (int i = 0; i < 40; i++) {
		double x = 0;

		for (int k = 0; k < i; k++)
			x += 0.1; /* 0.1 added i times: off from i / 10.0 by a few ulps */
		pool[n++] = fhir__fp_dec(x);
		pool[n++] = fhir__fp_dec(i / 10.0 + 4e-11);
		pool[n++] = fhir__fp_int(i / 10);
		pool[n++] = fhir__fp_dec(3e-9 + (i - 20) * 1e-11); /* across a bucket edge */
		pool[n++] = fhir__fp_dec(1e9 + i * 0.03);          /* relative tolerance */
	}
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		for (int i = 0; i < 6; i++) {
			struct fhir_value q;

			memset(&q, 0, sizeof(q));
			q.kind = FHIR_VALUE_QUANTITY;
			q.u.quantity.value = i % 3 == 0 ? 1000.0 * (i / 3) : i * 7.0;
			q.u.quantity.unit = units[u];
			pool[n++] = q;
		}
	pool[n++] = fhir__fp_bool(1);
	pool[n++] = fhir__fp_bool(0);
	pool[n++] = fhir__fp_str("a");
	pool[n++] = fhir__fp_str("b");
	/* JSON objects and arrays (compared by content): resources sharing a type and id but not
	 * their content, equal ones in nodes of their own, members in another order, a number id,
	 * objects with no id, arrays of one length */
	for (int i = 0; i < 36; i++) {
		static const char *const shapes[] = {
		    "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"note\":\"a\"}",
		    "{\"resourceType\":\"Condition\",\"id\":\"c1\",\"note\":\"b\"}",
		    "{\"id\":\"c1\",\"note\":\"a\",\"resourceType\":\"Condition\"}",
		    "{\"resourceType\":\"Condition\",\"id\":\"c2\",\"note\":\"a\"}",
		    "{\"resourceType\":\"Observation\",\"id\":\"c1\",\"note\":\"a\"}",
		    "{\"resourceType\":\"Condition\",\"id\":7,\"note\":\"a\"}",
		    "{\"resourceType\":\"Condition\",\"id\":7.0000000000000001,\"note\":\"a\"}",
		    "{\"text\":\"knee\"}",
		    "{\"text\":\"hip\"}",
		    "{\"text\":\"knee\",\"coding\":[]}",
		    "[1,2]",
		    "[2,1]",
		};
		struct fhir_value v;

		cJSON_AddItemToArray(doc, cJSON_Parse(shapes[i % 12]));
		memset(&v, 0, sizeof(v));
		v.node = cJSON_GetArrayItem(doc, cJSON_GetArraySize(doc) - 1);
		pool[n++] = v;
	}

	for (int forced = 0; forced < 2; forced++) {
		struct fhir_value seq[3000];
		struct fhir__fp_set set;
		int bad = 0;
		size_t kept = 0;
		const struct fhir_value *keep[3000];

		fhir__fp_set_init(&set, arena, 4, 0);
		if (forced)
			set.mask = 0;
		for (size_t i = 0; i < 3000; i++) {
			int want = 1, got;

			seed = seed * 1103515245u + 12345u;
			seq[i] = pool[(seed >> 8) % n];
			for (size_t k = 0; k < kept && want; k++)
				if (fhir__fp_equal(keep[k], &seq[i]) == 1)
					want = 0;
			if (fhir__fp_set_has(&set, &seq[i]) != !want)
				bad++;
			got = fhir__fp_set_add(&set, &seq[i]);
			if (got)
				keep[kept++] = &seq[i];
			if (got != want && bad++ == 0) {
				char buf[64] = "";

				if (seq[i].kind == FHIR_VALUE_DECIMAL)
					snprintf(buf, sizeof(buf), "decimal %.17g",
					         seq[i].u.decimal);
				fail_case("set vs pairwise", buf, want ? "added" : "duplicate");
			}
		}
		if (bad == 0 && kept > 20 && kept < 3000)
			passed++;
		else if (bad == 0)
			fail_case("set vs pairwise: kept", "all or nothing", "some");
		else
			fail_case(forced ? "set vs pairwise (forced collisions)"
			                 : "set vs pairwise",
			          "mismatches", "none");
	}

	/* repeat()'s identity set: JSON nodes are the same only when they are one node */
	{
		struct fhir__fp_set set;
		struct fhir_value a, b, s = fhir__fp_str("x");
		cJSON *two = cJSON_CreateStringArray((const char *[]){"x", "x"}, 2);

		memset(&a, 0, sizeof(a));
		a.node = two->child;
		b = a;
		b.node = two->child->next;
		fhir__fp_set_init(&set, arena, 0, 1);
		if (fhir__fp_set_add(&set, &a) == 1 && fhir__fp_set_add(&set, &b) == 1 &&
		    fhir__fp_set_add(&set, &a) == 0 && fhir__fp_set_has(&set, &s) == 1 &&
		    fhir__fp_set_add(&set, &s) == 0)
			passed++;
		else
			fail_case("identity set", "?", "x, x added; x again and 'x' duplicates");
		cJSON_Delete(two);
	}

	/* a memo of content hashes (fhir_path_memo): the same answers with and without it, and
	 * on its second use (hashes then come from it); it grows past its first table */
	{
		cJSON *objs = cJSON_CreateArray();
		struct fhir_path_memo *memo = fhir_path_memo_new();
		struct fhir_value v[600];
		int ok = 1;

		for (int i = 0; i < 600; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "resourceType", "Condition");
			cJSON_AddNumberToObject(o, "n", i % 300); /* each content twice */
			cJSON_AddItemToArray(objs, o);
			memset(&v[i], 0, sizeof(v[i]));
			v[i].node = o;
		}
		for (int round = 0; round < 3; round++) {
			struct fhir__fp_set set;
			int added = 0;

			fhir__fp_set_init(&set, arena, 4, 0);
			set.memo = round > 0 ? memo : NULL;
			for (int i = 0; i < 600; i++)
				added += fhir__fp_set_add(&set, &v[i]);
			ok &= added == 300;
		}
		if (ok)
			passed++;
		else
			fail_case("set with a memo", "another count", "300 of 600 kept each time");
		fhir_path_memo_free(memo);
		fhir_path_memo_free(NULL);
		cJSON_Delete(objs);
	}
	cJSON_Delete(doc);
	fhir_arena_free(arena);
}

/* where(), exists() and all() release what a pure criterion allocated per item (no host
 * function, no resolve()): over 2,000 items the arena keeps the result, not hundreds of bytes per
 * item, and the answers are those of the same criterion kept (a host call makes it impure). */
static void test_lambda_release(void)
{
	struct fhir_arena *arena = fhir_arena_new();
	cJSON *items = cJSON_CreateArray();
	struct fhir_path_var var = {"items", {NULL, 0, 0}};
	struct fhir_path_env env;
	struct fhir_path *where = NULL, *all = NULL;
	struct fhir_collection out;
	struct fhir_error err;
	size_t before, grew;

	for (int i = 0; i < 2000; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "code", i % 100 == 0 ? "x" : "other");
		cJSON_AddItemToArray(items, o);
		fhir_collection_push_node(&var.value, arena, o);
	}
	memset(&env, 0, sizeof(env));
	env.vars = &var;
	env.var_count = 1;
	env.arena = arena;
	if (fhir_path_compile("%items.where(code = 'x' or code = 'y')", &where, &err) != 0 ||
	    fhir_path_compile("%items.all(code.exists() and code.length() > 0)", &all, &err) != 0) {
		fail_case("lambda release", "compile error", err.message);
		goto done;
	}
	before = fhir_arena_used(arena);
	if (fhir_path_eval(where, NULL, &env, &out, &err) == 0 && out.count == 20 &&
	    (grew = fhir_arena_used(arena) - before) < 16384)
		passed++;
	else
		fail_case("lambda release: where()", "more kept", "20 items, < 16 KB kept");
	before = fhir_arena_used(arena);
	if (fhir_path_eval(all, NULL, &env, &out, &err) == 0 && fhir_collection_truth(&out) == 1 &&
	    (grew = fhir_arena_used(arena) - before) < 16384)
		passed++;
	else
		fail_case("lambda release: all()", "more kept", "true, < 16 KB kept");
	/* and/or keep only their operands' truths: a pure operand's 2,000 items are released */
	fhir_path_free(all);
	all = NULL;
	if (fhir_path_compile("%items.select(code).count() > 10 and %items.select(code).exists()",
	                      &all, &err) != 0) {
		fail_case("lambda release", "compile error", err.message);
		goto done;
	}
	before = fhir_arena_used(arena);
	if (fhir_path_eval(all, NULL, &env, &out, &err) == 0 && fhir_collection_truth(&out) == 1 &&
	    (grew = fhir_arena_used(arena) - before) < 16384)
		passed++;
	else
		fail_case("operand release: and", "more kept", "true, < 16 KB kept");
	(void)grew;
done:
	fhir_path_free(where);
	fhir_path_free(all);
	cJSON_Delete(items);
	fhir_arena_free(arena);
}

/* A union keeps only its answer in the arena: the answer in one array of at most both sides'
 * items, the de-duplicating hash set released (sizes small enough that no allocation gets a block
 * of its own, which fhir_arena_used does not count). */
static void test_union_release(void)
{
	enum { SIDE = 60 };
	struct fhir_arena *arena = fhir_arena_new();
	cJSON *items = cJSON_CreateArray();
	struct fhir_path_var vars[2] = {{"a", {NULL, 0, 0}}, {"b", {NULL, 0, 0}}};
	struct fhir_path_env env;
	struct fhir_path *path = NULL;
	struct fhir_collection out;
	struct fhir_error err;
	size_t before, grew = 0;

	for (int i = 0; i < 2 * SIDE; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "n", i);
		cJSON_AddItemToArray(items, o);
		/* a: items 0..SIDE-1; b: items SIDE/2..SIDE/2+SIDE-1 (half of them a's) */
		if (i < SIDE)
			fhir_collection_push_node(&vars[0].value, arena, o);
		if (i >= SIDE / 2 && i < SIDE / 2 + SIDE)
			fhir_collection_push_node(&vars[1].value, arena, o);
	}
	memset(&env, 0, sizeof(env));
	env.vars = vars;
	env.var_count = 2;
	env.arena = arena;
	if (fhir_path_compile("%a | %b", &path, &err) != 0) {
		fail_case("union release", "compile error", err.message);
		goto done;
	}
	before = fhir_arena_used(arena);
	if (fhir_path_eval(path, NULL, &env, &out, &err) == 0 && out.count == SIDE + SIDE / 2 &&
	    (grew = fhir_arena_used(arena) - before) <= 2 * SIDE * sizeof(struct fhir_value) + 64)
		passed++;
	else
		fail_case("union release", "more kept", "90 items in one array, the set released");
	(void)grew;
done:
	fhir_path_free(path);
	cJSON_Delete(items);
	fhir_arena_free(arena);
}

/* fhir__fp_model_child remembers answers per thread by the names' text, not their address: a
 * buffer reused for another resource type gets that type's answer; long names still answer. */
/* The memo of Boolean answers (fhirpath_memo.c): a sub-expression written alike in two
 * expressions is worked out once per item; what differs in a literal, a %variable or the focus
 * is never answered from it. */
static void test_answer_memo(void)
{
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path_memo *memo = fhir_path_memo_new();
	cJSON *doc = cJSON_Parse(PATIENT), *cond = cJSON_Parse(CONDITION);
	struct fhir_path_var var = {"v", {NULL, 0, 0}};
	struct fhir_path_env env;
	struct fhir_error err;
	struct {
		const char *expr;
		int input; /* 0 PATIENT, 1 CONDITION */
		int truth; /* -1 {} */
		size_t answers;
		int var_items; /* items in %v */
	} rows[] = {
	    {"name.where(family = 'Smith').exists()", 0, 1, 1, 0},
	    /* the same text inside another expression: answered from the memo (still 1) */
	    {"name.where(family = 'Smith').exists() and true", 0, 1, 1, 0},
	    /* another literal: another answer */
	    {"name.where(family = 'Jones').exists()", 0, 0, 2, 0},
	    /* the same text on another resource: another answer */
	    {"name.where(family = 'Smith').exists()", 1, 0, 3, 0},
	    /* per item of a where(): one answer per name */
	    {"name.where(given.where($this = 'Annie').exists()).count() = 1", 0, 1, 5, 0},
	    /* a %variable is never remembered: %v changes between evaluations */
	    {"%v.exists()", 0, 0, 5, 0},
	    {"%v.exists()", 0, 1, 5, 1},
	    {"name.where(%v.exists()).exists()", 0, 1, 5, 1},
	    {"name.where(%v.exists()).exists()", 0, 0, 5, 0},
	    /* now() and host-like outside inputs are not keyed either */
	    {"name.where(now().exists()).exists()", 0, 1, 5, 0},
	};
	struct fhir_path *paths[16] = {
	    NULL}; /* kept until the memo is freed: it borrows their keys */
	int ok = 1;

	memset(&env, 0, sizeof(env));
	env.arena = arena;
	env.memo = memo;
	env.vars = &var;
	env.var_count = 1;
	fhir_datetime_parse("2025-06-15T12:00:00.000Z", &env.now, NULL);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fhir_path *path = NULL;
		struct fhir_collection input = {NULL, 0, 0}, out;
		int truth = -2;

		if (i >= sizeof(paths) / sizeof(paths[0]))
			abort(); /* (more rows than paths) */

		var.value.count = 0;
		if (rows[i].var_items > 0)
			fhir_collection_push_bool(&var.value, arena, 1);
		fhir_collection_push_node(&input, arena, rows[i].input == 0 ? doc : cond);
		memset(&err, 0, sizeof(err));
		if (fhir_path_compile(rows[i].expr, &path, &err) == 0 &&
		    fhir_path_eval(path, &input, &env, &out, &err) == 0)
			truth = fhir_collection_truth(&out);
		if (truth != rows[i].truth || fhir__fp_memo_answers(memo) != rows[i].answers) {
			char got[64];

			snprintf(got, sizeof(got), "truth %d, %zu answers", truth,
			         fhir__fp_memo_answers(memo));
			fail_case(rows[i].expr, got, "the row's truth and answer count");
			ok = 0;
		}
		paths[i] = path;
	}
	if (ok)
		passed++;
	cJSON_Delete(doc);
	cJSON_Delete(cond);
	fhir_path_memo_free(memo);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		fhir_path_free(paths[i]);
	fhir_arena_free(arena);
}

/* The memo's table of answers grows and keeps each answer apart by focus and sub-expression
 * (fhirpath_memo.c: 16-byte answers filed by focus node and an interned context): 3,000 items,
 * four keyed sub-expressions (two of them alike but for the function, two alike but for the
 * literal) from a table that doubles several times, then from a reserved one; every count is
 * the one worked out here, the answers are filed once each and answered from the memo the
 * second time. */
static void test_answer_memo_many(void)
{
	enum { ITEMS = 3000 };
	static const char *const exprs[] = {
	    "items.where(a.where($this = 1).exists()).count()",
	    "items.where(a.where($this = 1).empty()).count()",
	    "items.where(b.where($this = 2).exists()).count()",
	    "items.where(b.where($this = 3).exists()).count()",
	};
	struct fhir_path *paths[4] = {NULL};
	cJSON *doc = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(doc, "items");
	int64_t want[4] = {0, 0, 0, 0};
	int ok = 1;

	for (int i = 0; i < ITEMS; i++) {
		cJSON *it = cJSON_CreateObject();

		cJSON_AddNumberToObject(it, "a", i % 3);
		cJSON_AddNumberToObject(it, "b", i % 5);
		cJSON_AddItemToArray(items, it);
		want[0] += i % 3 == 1;
		want[1] += i % 3 != 1;
		want[2] += i % 5 == 2;
		want[3] += i % 5 == 3;
	}
	for (size_t k = 0; k < 4; k++) {
		struct fhir_error err;

		if (fhir_path_compile(exprs[k], &paths[k], &err) != 0)
			ok = 0;
	}
	for (int reserved = 0; reserved < 2 && ok; reserved++) {
		struct fhir_arena *arena = fhir_arena_new();
		struct fhir_path_memo *memo = fhir_path_memo_new();
		struct fhir_path_env env;

		memset(&env, 0, sizeof(env));
		env.arena = arena;
		env.memo = memo;
		fhir_datetime_parse("2025-06-15T12:00:00.000Z", &env.now, NULL);
		if (reserved)
			fhir_path_memo_reserve(memo, 4 * ITEMS);
		for (int round = 0; round < 2; round++)
			for (size_t k = 0; k < 4; k++) {
				struct fhir_collection input = {NULL, 0, 0}, out;
				struct fhir_error err;

				fhir_collection_push_node(&input, arena, doc);
				if (fhir_path_eval(paths[k], &input, &env, &out, &err) != 0 ||
				    out.count != 1 || out.items[0].kind != FHIR_VALUE_INTEGER ||
				    out.items[0].u.integer != want[k] ||
				    fhir__fp_memo_answers(memo) !=
				        (round == 0 ? k + 1 : 4) * ITEMS) {
					fail_case(exprs[k], "another count or answers",
					          "the count worked out here, ITEMS answers each");
					ok = 0;
				}
			}
		fhir_path_memo_free(memo);
		fhir_arena_free(arena);
	}
	if (ok)
		passed++;
	for (size_t k = 0; k < 4; k++)
		fhir_path_free(paths[k]);
	cJSON_Delete(doc);
}

/* fhir_find_reference names a resource with or without a version ("/_history/N"), and only
 * that resource. */
static void test_find_reference(void)
{
	cJSON *bundle =
	    cJSON_Parse("{\"resourceType\":\"Bundle\",\"entry\":["
	                "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c1\"}},"
	                "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c12\"}}]}");
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_collection all = {0};
	const cJSON *first, *second;

	fhir_bundle_resources(bundle, arena, &all, NULL, NULL);
	first = all.count == 2 ? all.items[0].node : NULL;
	second = all.count == 2 ? all.items[1].node : NULL;
	if (first != NULL && fhir_find_reference(&all, "Condition/c1") == first &&
	    fhir_find_reference(&all, "Condition/c1/_history/3") == first &&
	    fhir_find_reference(&all, "Condition/c12/_history/1") == second &&
	    fhir_find_reference(&all, "Condition/c") == NULL &&
	    fhir_find_reference(&all, "Condition/c1x/_history/1") == NULL &&
	    fhir_reference_length("Organization/1/_history/2") == strlen("Organization/1"))
		passed++;
	else
		fail_case("find reference", "another resource",
		          "Condition/c1 with or without a version");
	fhir_arena_free(arena);
	cJSON_Delete(bundle);
}

/* fhir__fp_model_resource finds each R4 resource type by its text (a copy, not the model's
 * address) and answers the model's own string; anything else (a data type, another case, a
 * prefix, "") is not a resource. */
static void test_model_resource(void)
{
	static const char *const names[] = {"Account",        "Patient",           "Condition",
	                                    "ServiceRequest", "Observation",       "Bundle",
	                                    "Parameters",     "VisionPrescription"};
	static const char *const not_names[] = {"patient",         "Patien", "Patients",
	                                        "CodeableConcept", "",       "Resource"};
	char copy[64];
	int ok = 1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(copy, sizeof copy, "%s", names[i]);
		const char *r = fhir__fp_model_resource(copy);
		ok = ok && r != NULL && r != copy && strcmp(r, names[i]) == 0 &&
		     fhir__fp_model_resource(r) == r;
	}
	for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++)
		ok = ok && fhir__fp_model_resource(not_names[i]) == NULL;
	ok = ok && fhir__fp_model_resource(NULL) == NULL;
	if (ok)
		passed++;
	else
		fail_case("model resource", "another answer",
		          "each R4 resource by its text, no other");
}

static void test_model_child_memo(void)
{
	char parent[64];
	const char *a, *b, *c, *d;

	strcpy(parent, "Patient");
	a = fhir__fp_model_child(parent, "gender");
	b = fhir__fp_model_child(parent, "gender"); /* remembered */
	strcpy(parent, "Observation");
	c = fhir__fp_model_child(parent, "gender"); /* same address, other text */
	d = fhir__fp_model_child("Observation", "status");
	if (a != NULL && strcmp(a, "code") == 0 && b == a && c == NULL && d != NULL &&
	    strcmp(d, "code") == 0 &&
	    fhir__fp_model_child("AVeryLongParentTypeNameThatIsNotInTheModelAtAll", "id") == NULL)
		passed++;
	else
		fail_case("model child memo", "another answer",
		          "Patient.gender code, Observation.gender none");
}

/* fhir__fp_model_intern gives one address per model text (from a copy too), nothing for other
 * text; compiled member steps carry that address, and fhir__fp_model_child answers canonical
 * strings, the same for a canonical and a copied name, and never one pair's for another. */
static void test_model_intern(void)
{
	static const char *const texts[] = {"Condition",       "code",   "CodeableConcept",
	                                    "Patient.contact", "gender", "recordedDate"};
	const char *gender = fhir__fp_model_intern("gender");
	const char *patient = fhir__fp_model_intern("Patient");
	const char *observation = fhir__fp_model_intern("Observation");
	struct fhir_path *path = NULL;
	struct fhir_error err;
	char copy[64];
	const char *a, *b, *c, *d;
	int ok = 1;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *r;

		snprintf(copy, sizeof copy, "%s", texts[i]);
		r = fhir__fp_model_intern(copy);
		ok = ok && r != NULL && r != copy && strcmp(r, texts[i]) == 0 &&
		     fhir__fp_model_intern(r) == r;
	}
	ok = ok && fhir__fp_model_intern("notAModelName") == NULL &&
	     fhir__fp_model_intern("") == NULL && fhir__fp_model_intern(NULL) == NULL &&
	     fhir__fp_model_resource("Condition") == fhir__fp_model_intern("Condition");
	a = fhir__fp_model_child(patient, gender);
	b = fhir__fp_model_child(patient, gender); /* by address alone */
	snprintf(copy, sizeof copy, "gender");
	c = fhir__fp_model_child(patient, copy);
	d = fhir__fp_model_child(observation, gender);
	ok = ok && a != NULL && strcmp(a, "code") == 0 && fhir__fp_model_intern(a) == a && b == a &&
	     c == a && d == NULL;
	ok = ok && fhir_path_compile("Patient.gender", &path, &err) == 0 &&
	     path->root->kind == FP_INVOKE && path->root->right->name == gender &&
	     path->root->left->name == patient;
	fhir_path_free(path);
	if (ok)
		passed++;
	else
		fail_case("model intern", "another answer",
		          "one canonical address per model text; Patient.gender code");
}

/* A collection whose array is the arena's last allocation grows where it is; one that is not
 * moves (its items copied); a view of an array grows without touching the items of the
 * collection it shares them with. */
static void test_collection_growth(void)
{
	struct fhir_arena *a = fhir_arena_new();
	struct fhir_collection c = {NULL, 0, 0}, d = {NULL, 0, 0}, view;
	const struct fhir_value *first;
	int ok = 1;

	for (int64_t i = 0; i < 3; i++) {
		struct fhir_value v = fhir__fp_int(i);

		fhir_collection_push(&c, a, &v);
	}
	first = c.items;
	for (int64_t i = 3; i < 20; i++) { /* 4, 8, 16, 32: grown in place each time */
		struct fhir_value v = fhir__fp_int(i);

		fhir_collection_push(&c, a, &v);
	}
	ok = ok && c.items == first && c.count == 20 && c.capacity == 32;
	(void)fhir_arena_alloc(a, 16); /* now not the last allocation */
	for (int64_t i = 20; i < 40; i++) {
		struct fhir_value v = fhir__fp_int(i);

		fhir_collection_push(&c, a, &v);
	}
	ok = ok && c.items != first && c.count == 40;
	for (size_t i = 0; i < c.count; i++)
		ok = ok && c.items[i].kind == FHIR_VALUE_INTEGER &&
		     c.items[i].u.integer == (int64_t)i;
	/* a full array at the top, and a view of it */
	fhir_collection_reserve(&d, a, 2);
	for (int64_t i = 0; i < 2; i++) {
		struct fhir_value v = fhir__fp_int(100 + i);

		fhir_collection_push(&d, a, &v);
	}
	fhir__fp_borrow(&view, &d);
	{
		struct fhir_value v = fhir__fp_int(7);

		fhir_collection_push(&view, a, &v); /* grows in place, past d's capacity */
		ok = ok && view.items == d.items && view.count == 3 && d.count == 2;
		v = fhir__fp_int(8);
		fhir_collection_push(&d, a, &v); /* d is no longer at the top: it moves */
		ok = ok && d.items != view.items && d.count == 3 && d.items[2].u.integer == 8 &&
		     view.items[2].u.integer == 7 && d.items[0].u.integer == 100 &&
		     view.items[1].u.integer == 101;
	}
	fhir_arena_free(a);
	if (ok)
		passed++;
	else
		fail_case("collection growth", "another layout",
		          "in place at the top, copied elsewhere, views apart");
}

/* A small arena grows by doubling blocks and its reset keeps a bounded reserve it reuses; a
 * compiled expression holds what it needs (it held a 64 KB block each before). */
static void test_arena_sizes(void)
{
	struct fhir_arena *a = fhir_arena_new_sized(100);
	struct fhir_path *path = NULL;
	struct fhir_error err;
	size_t held0 = fhir_arena_held(a);
	int ok = held0 < 1024;
	size_t kept[2] = {0, 0};

	for (int round = 0; round < 2; round++) {
		for (size_t i = 1; i < 3000 && ok; i++) {
			unsigned char *p = fhir_arena_alloc(a, i % 700 + 1);

			ok = ((uintptr_t)p % 16) == 0 && p[0] == 0 && p[i % 700] == 0;
			memset(p, 0xab, i % 700 + 1);
		}
		ok = ok && fhir_arena_held(a) < (size_t)3000 * 700 * 2;
		/* a reset keeps at most 1 MB of blocks, and the next fill reuses them */
		fhir_arena_reset(a);
		kept[round] = fhir_arena_held(a);
	}
	ok = ok && kept[0] <= held0 + (size_t)1024 * 1024 + 4096 &&
	     kept[1] <= held0 + (size_t)1024 * 1024 + 4096 && kept[0] > held0;
	fhir_arena_free(a);
	if (ok &&
	    fhir_path_compile("Condition.where(clinicalStatus.coding.code = 'active' and "
	                      "code.coding.where(system = 'http://snomed.info/sct').exists())"
	                      ".code.text",
	                      &path, &err) == FHIR_OK &&
	    fhir_arena_held(path->arena) < 8192)
		passed++;
	else
		fail_case("arena sizes", path ? "a compiled expression over 8 KB" : "arena",
		          "small arena grows; expression < 8 KB");
	fhir_path_free(path);
}

/* A pattern that is not a literal is compiled once per thread, not once per item; matches and
 * matchesFull of one pattern are different automata; a bad one is still an evaluation error. */
static void test_regex_cache(void)
{
	static const struct {
		const char *expr, *want;
		unsigned long compiles;
	} rows[] = {
	    {"s.where(matches(%p)).count()", "500", 1},
	    {"s.where(matches(%p)).count()", "500", 0},
	    {"s.where(matchesFull(%p)).count()", "0", 1},
	    {"s.select(replaceMatches(%p, 'b')).where($this = 'b1').count()", "1", 1},
	    {"s.where(matches(%p + '1')).count()", "56", 1},
	    {"s.where(matches(%bad)).count()", "!eval", 0},
	};
	struct fhir_arena *arena = fhir_arena_new();
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "s");
	struct fhir_collection in = {NULL, 0, 0};
	struct fhir_path_var vars[2];
	struct fhir_path_env env;

	for (int i = 0; i < 1000; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%c%d", i % 2 ? 'a' : 'z', i);
		cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
	}
	fhir_collection_push_node(&in, arena, doc);
	memset(vars, 0, sizeof(vars));
	vars[0].name = "p";
	fhir_collection_push(&vars[0].value, arena,
	                     &(struct fhir_value){.kind = FHIR_VALUE_STRING, .u.string = "^a"});
	vars[1].name = "bad";
	fhir_collection_push(&vars[1].value, arena,
	                     &(struct fhir_value){.kind = FHIR_VALUE_STRING, .u.string = "a(("});
	memset(&env, 0, sizeof(env));
	env.arena = arena;
	env.vars = vars;
	env.var_count = 2;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fhir_path *path = NULL;
		struct fhir_collection out;
		struct fhir_error err;
		unsigned long before = fhir__fp_regex_compiles();
		char got[64] = "?";
		int rc = fhir_path_compile(rows[i].expr, &path, &err);

		if (rc == 0)
			rc = fhir_path_eval(path, &in, &env, &out, &err);
		if (rc == FHIR_ERR_EVAL)
			snprintf(got, sizeof(got), "!eval");
		else if (rc == 0 && out.count == 1 && out.items[0].kind == FHIR_VALUE_INTEGER)
			snprintf(got, sizeof(got), "%lld", (long long)out.items[0].u.integer);
		if (strcmp(got, rows[i].want) == 0 &&
		    fhir__fp_regex_compiles() - before == rows[i].compiles)
			passed++;
		else
			fail_case(rows[i].expr, got, rows[i].want);
		fhir_path_free(path);
	}
	cJSON_Delete(doc);
	fhir_arena_free(arena);
}

/* fhir_arena_release forgets what came after its mark (big blocks included) and keeps what came
 * before; the next allocation reuses the released space. */
static void test_arena_mark(void)
{
	struct fhir_arena *a = fhir_arena_new();
	char *keep = fhir_arena_strdup(a, "kept");
	struct fhir_arena_mark m = fhir_arena_mark(a);
	void *first = fhir_arena_alloc(a, 100);
	size_t held = fhir_arena_held(a);
	int ok = 1;

	for (int round = 0; round < 3 && ok; round++) {
		struct fhir_arena_mark inner;

		for (int i = 0; i < 2000; i++)
			memset(fhir_arena_alloc(a, 300), 0xcd, 300);
		inner = fhir_arena_mark(a);
		memset(fhir_arena_alloc(a, 100000), 0xcd, 100000); /* a block of its own */
		fhir_arena_release(a, inner);
		fhir_arena_release(a, m);
		ok = strcmp(keep, "kept") == 0 && fhir_arena_alloc(a, 100) == first &&
		     fhir_arena_held(a) <= held + (size_t)1024 * 1024 + 4096;
		fhir_arena_release(a, m); /* forget `first` again for the next round */
	}
	if (ok)
		passed++;
	else
		fail_case("arena mark/release", "?", "kept kept, space reused, memory bounded");
	fhir_arena_free(a);
}

static void test_item_limit(void)
{
	struct fhir_path *path = NULL;
	struct fhir_error err;
	struct fhir_arena *arena = fhir_arena_new();
	struct fhir_path_env env;
	struct fhir_collection out;
	int rc;

	memset(&env, 0, sizeof(env));
	env.arena = arena;
	/* doubles the collection 21 times: 2^21 > FHIR_PATH_MAX_ITEMS */
	rc = fhir_path_compile(
	    "(1|2).select($this | $this).combine((1|2)).select(1 | 2 | 3).aggregate("
	    "$total.combine($total).combine($this), {})",
	    &path, &err);
	if (rc == 0) {
		rc = fhir_path_eval(path, NULL, &env, &out, &err);
		/* 6 items, doubled per item: 2^6 - small; use a bigger input below */
	}
	fhir_path_free(path);
	path = NULL;
	rc = fhir_path_compile("(1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17|18|19|20|21|22)"
	                       ".aggregate($total.combine($total).combine($this), {}).count()",
	                       &path, &err);
	if (rc == 0)
		rc = fhir_path_eval(path, NULL, &env, &out, &err);
	if (rc == FHIR_ERR_LIMIT)
		passed++;
	else
		fail_case("aggregate doubling to 2^22 items", rc == 0 ? "ok" : err.message,
		          "limit");
	fhir_path_free(path);
	path = NULL;

	/* set operations hash, so 10,000 items x 10,000 have no limit; `~` on two collections
	 * still compares pairs and stops at FHIR__FP_MAX_PAIRS */
	{
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "n");
		struct fhir_collection in = {NULL, 0, 0};
		static const struct {
			const char *expr, *want;
		} big[] = {
		    {"n.distinct().count()", "10000"},
		    {"(n | n).count()", "10000"},
		    {"n.union(n).count()", "10000"},
		    {"n.intersect(n).count()", "10000"},
		    {"n.exclude(n).count()", "0"},
		    {"n.subsetOf(n)", "true"},
		    {"n.isDistinct()", "true"},
		    {"(n | n.select($this + 0.5)).count()", "20000"},
		    {"n.combine(n).isDistinct()", "false"},
		    {"n ~ n", "limit"},
		};

		for (int i = 0; i < 10000; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber(i));
		fhir_collection_push_node(&in, arena, doc);
		for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
			char got[64] = "?";

			rc = fhir_path_compile(big[i].expr, &path, &err);
			if (rc == 0)
				rc = fhir_path_eval(path, &in, &env, &out, &err);
			if (rc == FHIR_ERR_LIMIT && strstr(err.message, "comparisons") != NULL)
				snprintf(got, sizeof(got), "limit");
			else if (rc == 0 && out.count == 1 &&
			         out.items[0].kind == FHIR_VALUE_INTEGER)
				snprintf(got, sizeof(got), "%lld",
				         (long long)out.items[0].u.integer);
			else if (rc == 0 && out.count == 1 &&
			         out.items[0].kind == FHIR_VALUE_BOOLEAN)
				snprintf(got, sizeof(got), "%s",
				         out.items[0].u.boolean ? "true" : "false");
			if (strcmp(got, big[i].want) == 0)
				passed++;
			else
				fail_case(big[i].expr, rc == 0 ? got : err.message, big[i].want);
			fhir_path_free(path);
			path = NULL;
			fhir_arena_reset(arena);
			in.items = NULL, in.count = in.capacity = 0;
			fhir_collection_push_node(&in, arena, doc);
		}
		cJSON_Delete(doc);
	}
	fhir_arena_free(arena);
}

int main(void)
{
	static char bundle[4096];
	cJSON *conds, *targets = cJSON_Parse(BUNDLE_TARGETS);

	snprintf(bundle, sizeof(bundle),
	         "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":%s},"
	         "{\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c2\"}}]}",
	         CONDITION);
	conds = cJSON_Parse(bundle);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], conds, targets);
	test_compile_once();
	test_each_variable();
	test_truth_tables();
	test_limits();
	test_item_limit();
	test_sets();
	test_lambda_release();
	test_union_release();
	test_model_resource();
	test_find_reference();
	test_model_child_memo();
	test_model_intern();
	test_collection_growth();
	test_answer_memo();
	test_answer_memo_many();
	test_arena_sizes();
	test_regex_cache();
	test_arena_mark();
	cJSON_Delete(conds);
	cJSON_Delete(targets);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
