/* test_text.c — the clinical text mechanism (engine/text_*.c, policies/vocabulary/README.md) on a
 * small vocabulary of its own: the tokenizer, longest-match phrases, ConText statuses (negated,
 * uncertain, historical, hypothetical, pseudo-triggers, terminations, scope windows), body-site
 * sides, broader concepts, load errors; then the shipped vocabulary on UK wording. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

#include "text_internal.h"

#define OK(c) CHECK(c, "%s", "")
#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *got_ = (a);                                                            \
		CHECK(strcmp(got_, (b)) == 0, "got '%s', want '%s'", got_, (b));                   \
	} while (0)

static const char context_json[] =
    "{\"rules\": ["
    "{\"phrase\": \"no\", \"category\": \"negated\", \"direction\": \"forward\", \"source\": "
    "\"t\"},"
    "{\"phrase\": \"denies\", \"category\": \"negated\", \"direction\": \"forward\", \"source\": "
    "\"t\"},"
    "{\"phrase\": \"ruled out\", \"category\": \"negated\", \"direction\": \"backward\", "
    "\"source\": \"t\"},"
    "{\"phrase\": \"?\", \"category\": \"uncertain\", \"direction\": \"forward\", \"window\": 3, "
    "\"source\": \"t\"},"
    "{\"phrase\": \"query\", \"category\": \"uncertain\", \"direction\": \"forward\", \"source\": "
    "\"t\"},"
    "{\"phrase\": \"h/o\", \"category\": \"historical\", \"direction\": \"forward\", \"source\": "
    "\"t\"},"
    "{\"phrase\": \"if\", \"category\": \"hypothetical\", \"direction\": \"forward\", \"source\": "
    "\"t\"},"
    "{\"phrase\": \"no increase\", \"category\": \"pseudo\", \"source\": \"t\"},"
    "{\"phrase\": \"but\", \"category\": \"termination\", \"source\": \"t\"}"
    "]}";

static const char concepts_json[] =
    "{\"concepts\": ["
    "{\"id\": \"ces\", \"phrases\": [\"cauda equina\", \"ces\"], \"source\": \"t\"},"
    "{\"id\": \"pain\", \"phrases\": [\"pain\", \"back pain\"], \"source\": \"t\"},"
    "{\"id\": \"sciatica\", \"phrases\": [\"sciatica\"], \"source\": \"t\"},"
    "{\"id\": \"bilateral-sciatica\", \"phrases\": [\"bilateral sciatica\"], \"broader\": "
    "[\"sciatica\"], \"source\": \"t\"},"
    "{\"id\": \"landmarks-hard\", \"phrases\": [\"landmarks not palpable\"], \"source\": \"t\"},"
    "{\"id\": \"injection\", \"phrases\": [\"inject*\"], \"source\": \"t\"},"
    "{\"id\": \"us-guided\", \"phrases\": [\"us guided\", \"usgi\"], \"source\": \"t\"},"
    "{\"id\": \"treatment-trial\", \"phrases\": [\"trial of\"], \"source\": \"t\"},"
    "{\"id\": \"research\", \"phrases\": [\"trial\"], \"source\": \"t\"},"
    "{\"id\": \"positive\", \"phrases\": [\"+ve\", \"positive\"], \"source\": \"t\"},"
    "{\"id\": \"negative\", \"phrases\": [\"-ve\"], \"source\": \"t\"},"
    "{\"id\": \"fracture\", \"phrases\": [\"fractur*\"], \"source\": \"t\"},"
    "{\"id\": \"si\", \"phrases\": [\"si joint\"], \"source\": \"t\"},"
    "{\"id\": \"wiping\", \"phrases\": [\"cant feel the toilet paper\"], \"source\": \"t\"},"
    "{\"id\": \"numb-wiping\", \"phrases\": [\"numb when wip*\"], \"source\": \"t\"},"
    "{\"id\": \"calcium\", \"phrases\": [\"ca 2*\"], \"source\": \"t\"},"
    "{\"id\": \"brief\", \"phrases\": [\"for * weeks only\", \"lasted *\"], \"source\": \"t\"}"
    "]}";

static const char sites_json[] =
    "{\"laterality\": ["
    "{\"side\": \"left\", \"phrases\": [\"left\", \"l\"], \"source\": \"t\"},"
    "{\"side\": \"right\", \"phrases\": [\"right\", \"r\"], \"source\": \"t\"},"
    "{\"side\": \"both\", \"phrases\": [\"both\", \"bilateral\"], \"source\": \"t\"}],"
    "\"regions\": ["
    "{\"id\": \"knee\", \"label\": \"knee\", \"plural\": \"knees\", \"paired\": true, "
    "\"phrases\": [\"knee\", \"knees\", \"tibial plateau\"], \"source\": \"t\"},"
    "{\"id\": \"hip\", \"label\": \"hip\", \"plural\": \"hips\", \"paired\": true, \"phrases\": "
    "[\"hip\", \"acetabul*\"], \"source\": \"t\"},"
    "{\"id\": \"lumbar-spine\", \"label\": \"lumbar spine\", \"paired\": false, \"phrases\": "
    "[\"lumbar\", \"l spine\", \"l4\", \"low back\"], \"source\": \"t\"}]}";

static void report(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx; /* counted by the return values */
	fprintf(stderr, "  (load) %s#%s: %s\n", file, pointer, message);
}

static struct engine_vocab *vocab_of(const char *context, const char *concepts, const char *sites,
                                     int *errors)
{
	struct engine_vocab *v = engine__vocab_new();
	struct engine_reporter rep = {report, errors};
	const char *texts[3] = {context, concepts, sites};
	const char *names[3] = {"vocabulary/context.json", "vocabulary/concepts.json",
	                        "vocabulary/body-sites.json"};

	for (int i = 0; i < 3; i++) {
		cJSON *json = cJSON_Parse(texts[i]);

		if (json == NULL) {
			(*errors)++;
			continue;
		}
		*errors += engine__vocab_add(v, json, names[i], &rep);
		cJSON_Delete(json);
	}
	*errors += engine__vocab_compile(v, &rep);
	return v;
}

/* The tokens of text joined by spaces ("|" for a boundary). */
static const char *tokens(struct fhir_arena *arena, const char *text)
{
	struct engine__token *t;
	size_t n, i;
	const char *out = "";

	engine__tokenize(text, arena, &t, &n);
	for (i = 0; i < n; i++)
		out = fhir_arena_printf(arena, "%s%s%s", out, i ? " " : "",
		                        t[i].norm != NULL ? t[i].norm : "|");
	return out;
}

/* The status of concept `id` in text: a status name, "absent", or "several". */
static const char *status(const struct engine_vocab *v, struct fhir_arena *arena, const char *text,
                          const char *id)
{
	struct engine__mention *m;
	size_t n, i;
	int c = engine__vocab_concept(v, id);
	const char *found = "absent";

	engine__annotate(v, text, arena, &m, &n);
	for (i = 0; i < n; i++) {
		if (m[i].concept != c)
			continue;
		if (strcmp(found, "absent") != 0)
			return "several";
		found = engine__status_names[m[i].status];
	}
	return found;
}

/* The side bits of region `id`'s mention in text (-1: no mention). */
static int side(const struct engine_vocab *v, struct fhir_arena *arena, const char *text,
                const char *id)
{
	struct engine__mention *m;
	size_t n, i;
	char cid[64];

	snprintf(cid, sizeof(cid), "site:%s", id);
	engine__annotate(v, text, arena, &m, &n);
	for (i = 0; i < n; i++)
		if (m[i].concept == engine__vocab_concept(v, cid))
			return (int)m[i].sides;
	return -1;
}

static void test_tokens(void)
{
	struct fhir_arena *a = fhir_arena_new();

	CHECK_STR(tokens(a, "US-guided inj. R knee"), "us guided inj | r knee");
	CHECK_STR(tokens(a, "U/S guided S.I. joint injection"), "us guided si joint injection");
	CHECK_STR(tokens(a, "L4/5 facet; Baker's cyst"), "l4 5 facet | bakers cyst");
	CHECK_STR(tokens(a, "FABER +ve, Gaenslen -ve"), "faber +ve gaenslen -ve");
	CHECK_STR(tokens(a, "?CES 0.5 mg"), "? ces 0.5 mg");
	CHECK_STR(tokens(a, "# NOF incl. pain. Dr. Smith"), "# nof incl pain | dr smith");
	CHECK_STR(tokens(a, "KNEE INJECTION \xe2\x80\x93 US GUIDED"), "knee injection us guided");
	CHECK_STR(tokens(a, "A&E h/o e.g. Smith"), "ae ho eg smith");
	CHECK_STR(tokens(a, "Cannot feel, can't feel"), "cant feel cant feel");
	CHECK_STR(tokens(a, ""), "");
	fhir_arena_free(a);
}

static void test_context(const struct engine_vocab *v)
{
	struct fhir_arena *a = fhir_arena_new();

	CHECK_STR(status(v, a, "Cauda equina syndrome", "ces"), "affirmed");
	CHECK_STR(status(v, a, "No cauda equina symptoms", "ces"), "negated");
	CHECK_STR(status(v, a, "Denies back pain, sciatica or cauda equina", "ces"), "negated");
	CHECK_STR(status(v, a, "Cauda equina ruled out", "ces"), "negated");
	CHECK_STR(status(v, a, "?CES", "ces"), "uncertain");
	CHECK_STR(status(v, a, "query cauda equina", "ces"), "uncertain");
	CHECK_STR(status(v, a, "h/o CES 2015", "ces"), "historical");
	CHECK_STR(status(v, a, "Return if cauda equina symptoms", "ces"), "hypothetical");
	/* a window ends the scope: "?" reaches 3 tokens */
	CHECK_STR(status(v, a, "? mechanical pain with some radiation and cauda equina", "ces"),
	          "affirmed");
	/* sentences and terminations end the scope */
	CHECK_STR(status(v, a, "No trauma. Cauda equina", "ces"), "affirmed");
	CHECK_STR(status(v, a, "No trauma but cauda equina", "ces"), "affirmed");
	/* a trigger of another category stops the scope (pyConText) */
	CHECK_STR(status(v, a, "Denies trauma, ?CES", "ces"), "uncertain");
	/* pseudo-triggers are not triggers */
	CHECK_STR(status(v, a, "No increase in pain", "pain"), "affirmed");
	/* a trigger word inside a longer concept phrase is no trigger */
	CHECK_STR(status(v, a, "Landmarks not palpable", "landmarks-hard"), "affirmed");
	/* longest match: "trial of" shields "trial"; broader concepts */
	/* articles and possessives inside a concept phrase are optional, both ways */
	CHECK_STR(status(v, a, "cannot feel toilet paper when wiping", "wiping"), "affirmed");
	CHECK_STR(status(v, a, "can't feel her toilet paper", "wiping"), "affirmed");
	CHECK_STR(status(v, a, "cant feel the paper", "wiping"), "absent");
	CHECK_STR(status(v, a, "trial of injection", "research"), "absent");
	CHECK_STR(status(v, a, "trial of injection", "treatment-trial"), "affirmed");
	CHECK_STR(status(v, a, "part of the STEP trial", "research"), "affirmed");
	CHECK_STR(status(v, a, "bilateral sciatica", "sciatica"), "affirmed");
	CHECK_STR(status(v, a, "bilateral sciatica", "bilateral-sciatica"), "affirmed");
	CHECK_STR(status(v, a, "Thigh thrust +ve", "positive"), "affirmed");
	CHECK_STR(status(v, a, "FABER -ve", "negative"), "affirmed");
	CHECK_STR(status(v, a, "Fractured tibial plateau", "fracture"), "affirmed");
	CHECK_STR(status(v, a, "U/S guided inj", "us-guided"), "affirmed");
	CHECK_STR(status(v, a, "S.I. joint", "si"), "affirmed");
	/* personal pronouns are skipped inside a concept phrase like articles */
	CHECK_STR(status(v, a, "numb when she wipes herself", "numb-wiping"), "affirmed");
	CHECK_STR(status(v, a, "numb when he wiped", "numb-wiping"), "affirmed");
	CHECK_STR(status(v, a, "numb she said", "numb-wiping"), "absent");
	/* a prefix of digits matches numbers only */
	CHECK_STR(status(v, a, "Ca 2.45", "calcium"), "affirmed");
	CHECK_STR(status(v, a, "adj Ca 26", "calcium"), "affirmed");
	CHECK_STR(status(v, a, "?prostate ca 2WW", "calcium"), "absent");
	/* a '*' standing alone is any one number */
	CHECK_STR(status(v, a, "helped for 2 weeks only", "brief"), "affirmed");
	CHECK_STR(status(v, a, "helped for 1.5 weeks only", "brief"), "affirmed");
	CHECK_STR(status(v, a, "helped for a few weeks only", "brief"), "absent");
	CHECK_STR(status(v, a, "helped for weeks only", "brief"), "absent");
	CHECK_STR(status(v, a, "effect lasted 10", "brief"), "affirmed");
	CHECK_STR(status(v, a, "effect lasted well", "brief"), "absent");
	fhir_arena_free(a);
}

static void test_sides(const struct engine_vocab *v)
{
	struct fhir_arena *a = fhir_arena_new();

	OK(side(v, a, "Right knee injection", "knee") == ENGINE_SIDE_RIGHT);
	OK(side(v, a, "L knee", "knee") == ENGINE_SIDE_LEFT);
	OK(side(v, a, "Knee injection - US guided (Right)", "knee") == ENGINE_SIDE_RIGHT);
	OK(side(v, a, "both knees", "knee") == (ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT));
	OK(side(v, a, "Bilateral knee OA", "knee") == (ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT));
	OK(side(v, a, "Knee injection", "knee") == 0);
	OK(side(v, a, "Fracture of left tibial plateau", "knee") == ENGINE_SIDE_LEFT);
	OK(side(v, a, "Right knee and left hip", "hip") == ENGINE_SIDE_LEFT);
	OK(side(v, a, "Right knee and left hip", "knee") == ENGINE_SIDE_RIGHT);
	/* a lone "l" far from the site is not a side; unpaired regions have none */
	OK(side(v, a, "Knee pain. L", "knee") == 0);
	OK(side(v, a, "L spine", "lumbar-spine") == 0);
	OK(side(v, a, "No knee pain", "knee") == 0);
	/* a side named with no site ("bodySite": "Left") is a side-only mention */
	{
		struct engine__mention *m;
		size_t n;

		engine__annotate(v, "Left", a, &m, &n);
		OK(n == 1 && m[0].concept == ENGINE_SIDE_ONLY && m[0].sides == ENGINE_SIDE_LEFT);
		engine__annotate(v, "Left and right", a, &m, &n);
		OK(n == 0); /* two sides: none to give */
		engine__annotate(v, "Fracture of tibial plateau L (2020)", a, &m, &n);
		OK(side(v, a, "Fracture of tibial plateau L (2020)", "knee") == ENGINE_SIDE_LEFT);
	}
	fhir_arena_free(a);
}

/* Untrusted text: only the first ENGINE_TEXT_MAX_BYTES are read, and a sentence of thousands of
 * tokens is read in chunks (linear cost); neither stalls nor crashes. */
static void test_limits(const struct engine_vocab *v)
{
	struct fhir_arena *a = fhir_arena_new();
	size_t n = ENGINE_TEXT_MAX_BYTES + 64, i;
	char *big = malloc(n + 32);

	OK(big != NULL);
	if (big == NULL)
		return;
	for (i = 0; i < n; i++)
		big[i] = "pain no "[i % 8];
	memcpy(big + n, " cauda equina", 14);
	CHECK_STR(status(v, a, big, "ces"), "absent"); /* past the limit: not read */
	memcpy(big, "cauda equina ", 13);
	CHECK_STR(status(v, a, big, "ces"), "affirmed"); /* the first chunk: read */
	free(big);
	fhir_arena_free(a);
}

/* codes.json: a code carried without its display is read as its sourced display; a region's
 * SNOMED CT id likewise; errors name the file and pointer. */
static void test_codes(void)
{
	int errors = 0;
	struct engine_reporter rep = {report, &errors};
	struct engine_vocab *v = engine__vocab_new();
	cJSON *codes = cJSON_Parse(
	    "{\"codes\": [{\"system\": \"http://snomed.info/sct\", \"code\": \"279039007\", "
	    "\"display\": \"Low back pain\", \"source\": \"t\"},"
	    "{\"system\": \"http://snomed.info/sct\", \"code\": \"279039007\", \"display\": \"x\", "
	    "\"source\": \"t\"},"
	    "{\"system\": \"http://hl7.org/fhir/sid/icd-10\", \"code\": \"M17\", \"source\": "
	    "\"t\"}]}");
	cJSON *sites = cJSON_Parse(
	    "{\"laterality\": [], \"regions\": [{\"id\": \"knee\", \"label\": \"knee\", "
	    "\"paired\": true, \"snomed\": {\"code\": \"72696002\", \"display\": \"Knee region "
	    "structure\", \"source\": \"t\"}, \"phrases\": [\"knee\"], \"source\": \"t\"}]}");

	OK(codes != NULL && sites != NULL);
	/* listed twice; display missing */
	OK(engine__vocab_add(v, codes, "vocabulary/codes.json", &rep) == 2);
	OK(engine__vocab_add(v, sites, "vocabulary/body-sites.json", &rep) == 0);
	CHECK_STR(engine__vocab_code_display(v, "http://snomed.info/sct", "279039007"),
	          "Low back pain");
	CHECK_STR(engine__vocab_code_display(v, "http://snomed.info/sct", "72696002"),
	          "Knee region structure");
	OK(engine__vocab_code_display(v, "http://hl7.org/fhir/sid/icd-10", "279039007") == NULL);
	OK(engine__vocab_code_display(v, "http://hl7.org/fhir/sid/icd-10", "M17") == NULL);
	OK(engine__vocab_code_display(v, NULL, "M17") == NULL);
	cJSON_Delete(codes);
	cJSON_Delete(sites);
	engine__vocab_free(v);
}

/* A period's start read from month/year text exactly, or not at all. */
static void test_period_start(void)
{
	char d[8];

	CHECK_STR(engine__text_period_start("January to March 2025", d), "2025-01");
	CHECK_STR(engine__text_period_start("Jan-Mar 2025", d), "2025-01");
	CHECK_STR(engine__text_period_start("since Sept 2024", d), "2024-09");
	CHECK_STR(engine__text_period_start("03/2025 - ongoing", d), "2025-03");
	CHECK_STR(engine__text_period_start("Dec 2024 to Feb 2025", d), "2024-12");
	CHECK_STR(engine__text_period_start("2023-2024", d), "2023");
	OK(engine__text_period_start("since Jan", d) == NULL);
	OK(engine__text_period_start("for 6 months", d) == NULL);
	OK(engine__text_period_start("last spring", d) == NULL);
	OK(engine__text_period_start("November to February 2025", d) == NULL);
	OK(engine__text_period_start("15 January 2025", d) == NULL);
	OK(engine__text_period_start("2024 to March 2025", d) == NULL);
	OK(engine__text_period_start("Jan 2025 Feb 2025 Mar 2025", d) == NULL);
	OK(engine__text_period_start("", d) == NULL);
	OK(engine__text_period_start(NULL, d) == NULL);
}

static void test_load_errors(void)
{
	int errors = 0;
	struct engine_vocab *v;

	v = vocab_of(
	    "{\"rules\": [{\"phrase\": \"no\", \"category\": \"nope\", \"source\": "
	    "\"t\"}]}",
	    "{\"concepts\": [{\"id\": \"Bad Id\", \"phrases\": [\"x\"], \"source\": \"t\"},"
	    "{\"id\": \"a\", \"phrases\": [], \"source\": \"t\"},"
	    "{\"id\": \"b\", \"phrases\": [\"b\"], \"broader\": [\"zz\"], \"source\": "
	    "\"t\", \"extra\": 1}]}",
	    "{\"laterality\": [], \"regions\": [{\"id\": \"knee\", \"label\": \"knee\", "
	    "\"phrases\": [\"knee\"]}]}",
	    &errors);
	/* bad category, bad id, empty phrases, unknown broader, unknown member, missing source */
	OK(errors == 6);
	engine__vocab_free(v);
	errors = 0;
	v = vocab_of("{\"rules\": [{\"phrase\": \"no\", \"category\": \"negated\", \"direction\": "
	             "\"forward\", \"final\": \"sideways\", \"source\": \"t\"},"
	             "{\"phrase\": \"she\", \"category\": \"termination\", \"of\": [\"others\"], "
	             "\"source\": \"t\"},"
	             "{\"phrase\": \"nil\", \"category\": \"negated\", \"direction\": \"forward\", "
	             "\"yieldsTo\": \"uncertain\", \"source\": \"t\"},"
	             "{\"phrase\": \"?\", \"category\": \"uncertain\", \"direction\": \"forward\", "
	             "\"finalWindow\": 1, \"source\": \"t\"}]}",
	             "{\"concepts\": []}", "{\"laterality\": [], \"regions\": []}", &errors);
	/* final is "backward"; "of" names statuses; only a hypothetical yields to uncertainty;
	 * finalWindow needs final */
	OK(errors == 4);
	engine__vocab_free(v);
	errors = 0;
	v = vocab_of("{\"rules\": []}",
	             "{\"concepts\": [{\"id\": \"a\", \"phrases\": [\"a\"], \"source\": \"t\", "
	             "\"object\": {\"other\": [\"zz\"], \"as\": \"b\", \"window\": 4}},"
	             "{\"id\": \"b\", \"phrases\": [\"b\"], \"source\": \"t\", "
	             "\"object\": {\"other\": \"a\", \"as\": \"a\", \"window\": 0}},"
	             "{\"id\": \"c\", \"phrases\": [\"c\"], \"source\": \"t\", "
	             "\"object\": {\"other\": [\"a\"], \"as\": \"yy\", \"window\": 3}}]}",
	             "{\"laterality\": [], \"regions\": []}", &errors);
	/* an unknown object concept; a window out of range; an unknown "as" */
	OK(errors == 3);
	engine__vocab_free(v);
}

/* The shipped vocabulary reads typical UK record wording as a GP means it. */
static void test_shipped(void)
{
	char path[512];
	const char *root = getenv("CDS_SOURCE_DIR");
	const char *names[3] = {"context.json", "concepts.json", "body-sites.json"};
	char *texts[3] = {NULL, NULL, NULL};
	int errors = 0;
	struct engine_vocab *v;
	struct fhir_arena *a = fhir_arena_new();

	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/policies/vocabulary/%s", root ? root : ".",
		         names[i]);
		texts[i] = testkit_read(path, NULL);
		OK(texts[i] != NULL);
	}
	if (texts[0] == NULL || texts[1] == NULL || texts[2] == NULL)
		goto out;
	v = vocab_of(texts[0], texts[1], texts[2], &errors);
	OK(errors == 0);
	CHECK_STR(status(v, a, "No cauda equina symptoms", "cauda-equina-syndrome"), "negated");
	CHECK_STR(status(v, a, "MRI L-spine ?CES", "cauda-equina-syndrome"), "uncertain");
	/* a '?' ending the sentence queries only the words right before it */
	CHECK_STR(status(v, a, "Cauda equina?", "cauda-equina-syndrome"), "uncertain");
	CHECK_STR(status(v, a, "LBP, saddle numbness?", "saddle-anaesthesia"), "uncertain");
	CHECK_STR(status(v, a, "LBP, saddle numbness?", "back-pain-or-sciatica"), "affirmed");
	CHECK_STR(status(v, a, "Back pain, incontinence?", "back-pain-or-sciatica"), "affirmed");
	CHECK_STR(status(v, a, "Saddle anaesthesia? Yes", "saddle-anaesthesia"), "affirmed");
	CHECK_STR(status(v, a, "Saddle anaesthesia? No", "saddle-anaesthesia"), "negated");
	CHECK_STR(status(v, a, "Cauda equina query", "cauda-equina-syndrome"), "uncertain");
	CHECK_STR(status(v, a, "Cauda equina??", "cauda-equina-syndrome"), "uncertain");
	/* safety-netting names the symptoms to come back with, not symptoms present */
	CHECK_STR(status(v, a,
	                 "Red flags explained incl. saddle anaesthesia and new urinary "
	                 "retention",
	                 "bladder-dysfunction"),
	          "hypothetical");
	CHECK_STR(status(v, a, "New saddle numbness, red flags explained", "saddle-anaesthesia"),
	          "affirmed");
	CHECK_STR(status(v, a, "LBP, saddle numbness query", "back-pain-or-sciatica"), "affirmed");
	CHECK_STR(status(v, a, "Cauda equina symptoms denied", "cauda-equina-syndrome"), "negated");
	CHECK_STR(status(v, a, "CES symptoms negative", "cauda-equina-syndrome"), "negated");
	/* a template's answer ends the sentence: "no" then reads backward */
	CHECK_STR(status(v, a, "Saddle anaesthesia: No", "saddle-anaesthesia"), "negated");
	CHECK_STR(status(v, a, "Saddle anaesthesia, no urinary symptoms", "saddle-anaesthesia"),
	          "affirmed");
	/* one side word inside a concept phrase goes to the site, not against the phrase */
	CHECK_STR(status(v, a, "Swelling of left forearm", "soft-tissue-lump"), "affirmed");
	OK(side(v, a, "Swelling of left forearm", "forearm") == ENGINE_SIDE_LEFT);
	/* a template label left blank is an unanswered question; a conditional reaches over the
	 * triggers inside it */
	CHECK_STR(status(v, a, "Saddle anaesthesia:\nUrinary retention: no", "saddle-anaesthesia"),
	          "hypothetical");
	CHECK_STR(status(v, a, "If no better in 6/52, bloods to exclude myeloma", "malignancy"),
	          "hypothetical");
	CHECK_STR(status(v, a, "No recent trauma or fever, new saddle numbness since Friday",
	                 "saddle-anaesthesia"),
	          "affirmed");
	/* template check boxes: "[ ]" unticked, "[x]" ticked */
	CHECK_STR(tokens(a, "[ ] saddle [x] none"), "\xe2\x98\x90 saddle \xe2\x98\x91 none");
	CHECK_STR(status(v, a, "CES screen: [ ] saddle numbness [ ] new urinary retention [x] none",
	                 "bladder-dysfunction"),
	          "negated");
	/* "#" is the UK shorthand for fracture; "incl." ends no sentence */
	CHECK_STR(status(v, a, "# tibial plateau 2019", "fracture"), "affirmed");
	CHECK_STR(status(v, a, "Risks discussed incl. flare, infection, tendon rupture",
	                 "serious-adverse-effect"),
	          "hypothetical");
	/* "negative" is both a result (a concept) and a post-negation trigger */
	CHECK_STR(status(v, a, "Thigh thrust: negative", "negative"), "affirmed");
	CHECK_STR(status(v, a, "Safety netted re CES symptoms", "cauda-equina-syndrome"), "absent");
	CHECK_STR(
	    status(v, a, "Denies saddle anaesthesia or urinary retention", "saddle-anaesthesia"),
	    "negated");
	CHECK_STR(
	    status(v, a, "Denies saddle anaesthesia or urinary retention", "bladder-dysfunction"),
	    "negated");
	CHECK_STR(
	    status(v, a, "Landmarks easily palpated, no difficulty", "landmarks-not-identifiable"),
	    "absent");
	CHECK_STR(status(v, a, "Unable to palpate landmarks due to body habitus",
	                 "landmarks-not-identifiable"),
	          "affirmed");
	CHECK_STR(status(v, a, "Suspected malignant neoplasm", "malignancy"), "uncertain");
	CHECK_STR(status(v, a, "Breast ca 2012, discharged from oncology", "oncology-care"),
	          "absent");
	CHECK_STR(status(v, a, "Knee injection - US guided", "ultrasound-guidance"), "affirmed");
	OK(side(v, a, "KNEE INJECTION \xe2\x80\x93 US GUIDED (R)", "knee") == ENGINE_SIDE_RIGHT);
	OK(side(v, a, "Fracture of acetabulum, left", "hip") == ENGINE_SIDE_LEFT);
	OK(side(v, a, "L4/5 facet joint injection", "lumbar-spine") == 0);
	/* a side inside a site's phrase goes to that site ("neck of right femur" is the right hip,
	 * not the neck and the thigh); a one-letter side before '#' qualifies the bone after it */
	OK(side(v, a, "Fracture of neck of right femur", "hip") == ENGINE_SIDE_RIGHT);
	OK(side(v, a, "Fracture of neck of right femur", "cervical-spine") == -1);
	OK(side(v, a, "Fracture of neck of right femur", "thigh") == -1);
	OK(side(v, a, "R #NOF 2016 - DHS", "hip") == ENGINE_SIDE_RIGHT);
	OK(side(v, a, "L ?scaphoid fracture", "wrist") == ENGINE_SIDE_LEFT);
	OK(side(v, a, "R knee pain, # NOF", "hip") == 0);
	/* a procedure the patient could not tolerate is distress; "helping" is relief */
	CHECK_STR(
	    status(v, a, "Attempt abandoned - patient unable to tolerate", "procedural-distress"),
	    "affirmed");
	CHECK_STR(status(v, a, "Physio helping, pain 4/10 from 8/10", "relief"), "affirmed");
	/* a result of the other polarity ends a post-negation's scope in a list of results */
	CHECK_STR(status(v, a, "FABER positive, thigh thrust negative", "positive"), "affirmed");
	CHECK_STR(status(v, a, "FABER positive, thigh thrust negative", "negative"), "affirmed");
	CHECK_STR(status(v, a, "Thigh thrust not positive", "positive"), "negated");
	CHECK_STR(status(v, a, "FABER negative", "provocation-test"), "negated");
	/* a referral or plan whose object is queried names a suspicion; a conditional does not */
	CHECK_STR(status(v, a, "Urgent referral for ?cancer", "malignancy"), "uncertain");
	CHECK_STR(status(v, a, "?CES - MRI pending", "cauda-equina-syndrome"), "uncertain");
	CHECK_STR(status(v, a, "Referral for physio", "physiotherapy"), "hypothetical");
	CHECK_STR(status(v, a, "If develops ?CES symptoms attend ED", "cauda-equina-syndrome"),
	          "hypothetical");
	/* "back pain resolved" is a good response and still names the back pain */
	CHECK_STR(status(v, a, "Back pain resolved, discharged", "good-response"), "affirmed");
	CHECK_STR(status(v, a, "Back pain resolved, discharged", "back-pain-or-sciatica"),
	          "affirmed");
	CHECK_STR(status(v, a, "Physio not helping", "relief"), "absent");
	/* 'no pain' (a good response) does not take a longer phrase it starts: no relief, no
	 * painkillers; 'for DVT' (treatment) not 'for DVT prophylaxis'; 'Ca' with a year is cancer
	 */
	CHECK_STR(status(v, a, "No pain relief from the injection", "no-relief"), "affirmed");
	CHECK_STR(status(v, a, "No pain relief from the injection", "good-response"), "absent");
	CHECK_STR(status(v, a, "No pain relief from the injection", "relief"), "absent");
	CHECK_STR(status(v, a, "No pain medication tried", "good-response"), "absent");
	CHECK_STR(status(v, a, "Enoxaparin 40 mg SC OD for DVT prophylaxis", "treatment-dose"),
	          "absent");
	/* two prophylaxis mentions: the dose with its route ("40 mg SC OD") and the indication */
	CHECK_STR(status(v, a, "Enoxaparin 40 mg SC OD for DVT prophylaxis", "vte-prophylaxis"),
	          "several");
	CHECK_STR(status(v, a, "Enoxaparin for DVT prophylaxis", "treatment-dose"), "absent");
	CHECK_STR(status(v, a, "Enoxaparin for DVT prophylaxis", "vte-prophylaxis"), "affirmed");
	CHECK_STR(status(v, a, "Enoxaparin 40 mg SC twice daily", "vte-prophylaxis"), "absent");
	CHECK_STR(status(v, a, "Asked for pain relief medication", "analgesic"), "affirmed");
	CHECK_STR(status(v, a, "h/o Ca 2010", "malignancy"), "historical");
	CHECK_STR(status(v, a, "Adj Ca 2.45", "malignancy"), "absent");
	/* 'now resolved', like 'resolved', makes a past condition */
	CHECK_STR(status(v, a, "Fracture of tibial plateau, now resolved", "fracture"),
	          "historical");
	CHECK_STR(status(v, a, "Cellulitis now resolved", "infection"), "historical");
	/* 'past' right before a condition is history; 'over the past 3 months' is recent */
	CHECK_STR(status(v, a, "Past sciatica", "back-pain-or-sciatica"), "historical");
	CHECK_STR(status(v, a, "Over the past 3 months, saddle numbness", "saddle-anaesthesia"),
	          "affirmed");
	CHECK_STR(status(v, a, "Past week: new urinary retention", "bladder-dysfunction"),
	          "affirmed");
	CHECK_STR(status(v, a, "Physio not helping", "no-relief"), "affirmed");
	/* what a refusal is about decides what is refused (a concept's "object"): the treatment
	 * named after it, else the one before it */
	CHECK_STR(status(v, a, "Declined referral to physio", "unwilling"), "absent");
	CHECK_STR(status(v, a, "Declined referral to physio", "unwilling-other-treatment"),
	          "affirmed");
	CHECK_STR(status(v, a, "Physio declined", "unwilling"), "absent");
	CHECK_STR(status(v, a, "Physio declined", "declined"), "affirmed");
	CHECK_STR(status(v, a, "Refuses injection, prefers physio", "unwilling"), "affirmed");
	/* a phrase that names its own object is about it, whatever follows */
	CHECK_STR(status(v, a, "Would rather not have an injection, prefers to continue physio",
	                 "unwilling"),
	          "affirmed");
	CHECK_STR(status(v, a, "Facet injection discussed - declined", "unwilling"), "affirmed");
	CHECK_STR(status(v, a, "Declined", "unwilling"), "affirmed");
	engine__vocab_free(v);
out:
	for (int i = 0; i < 3; i++)
		free(texts[i]);
	fhir_arena_free(a);
}

int main(void)
{
	int errors = 0;
	struct engine_vocab *v = vocab_of(context_json, concepts_json, sites_json, &errors);

	OK(errors == 0);
	test_tokens();
	test_context(v);
	test_sides(v);
	test_limits(v);
	engine__vocab_free(v);
	test_load_errors();
	test_period_start();
	test_codes();
	test_shipped();
	return testkit_done();
}
