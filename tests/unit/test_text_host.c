/* test_text_host.c — the per-request side of clinical text (engine/text_host.c) at record scale,
 * on the shipped vocabulary: annotation scratch memory reused from text to text gives what fresh
 * memory gives; mentions() arguments looked up in a table (many of them, same text at other
 * addresses, statuses apart); the evidence phrases of each resource — the hits inside it (on
 * the resource, on one of its elements, on a contained resource, down to the depth limit), in
 * the order they were noted, each line once — for a few hits and for hundreds (the tables grow,
 * a node hit twice chains); the host's caches in an arena of its own, so that an evaluation
 * calling mentions(), sites(), siteLabel() or sameSite() per item releases its scratch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"

#include "text_internal.h"

#define OK(c) CHECK(c, "%s", "")

static void report(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	fprintf(stderr, "  (load) %s#%s: %s\n", file, pointer, message);
}

/* The shipped vocabulary (policies/vocabulary/), or NULL. */
static struct engine_vocab *shipped_vocab(void)
{
	const char *root = getenv("CDS_SOURCE_DIR");
	const char *names[4] = {"context.json", "concepts.json", "body-sites.json", "codes.json"};
	struct engine_vocab *v = engine__vocab_new();
	struct engine_reporter rep = {report, NULL};
	int errors = 0;

	for (int i = 0; i < 4; i++) {
		char path[512], name[64];
		char *text;
		cJSON *json;

		snprintf(path, sizeof(path), "%s/policies/vocabulary/%s", root ? root : ".",
		         names[i]);
		snprintf(name, sizeof(name), "vocabulary/%s", names[i]);
		text = testkit_read(path, NULL);
		json = text != NULL ? cJSON_Parse(text) : NULL;
		free(text);
		if (json == NULL) {
			errors++;
			continue;
		}
		errors += engine__vocab_add(v, json, name, &rep);
		cJSON_Delete(json);
	}
	errors += engine__vocab_compile(v, &rep);
	if (errors != 0) {
		engine__vocab_free(v);
		return NULL;
	}
	return v;
}

static int same_mentions(const struct engine__mention *a, size_t na,
                         const struct engine__mention *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].concept != b[i].concept || a[i].status != b[i].status ||
		    a[i].sides != b[i].sides || a[i].text != b[i].text ||
		    a[i].start != b[i].start || a[i].end != b[i].end)
			return 0;
	return 1;
}

/* One scratch for texts of growing and shrinking length gives what a fresh one gives. */
static void test_scratch_reuse(const struct engine_vocab *v)
{
	struct fhir_arena *a = fhir_arena_new();
	struct engine__scratch *scratch = engine__scratch_new(a);
	char *long_text = malloc(20000);
	const char *texts[8];
	size_t len = 0;

	/* many sentences and one over ENGINE_TEXT_MAX_SENTENCE tokens */
	while (len < 8000)
		len += (size_t)snprintf(long_text + len, 20000 - len,
		                        "No saddle anaesthesia; ?CES. L knee OA, R hip # 2019. ");
	for (int i = 0; i < 150; i++)
		len += (size_t)snprintf(long_text + len, 20000 - len, "knee ");
	texts[0] = "Obesity";
	texts[1] = long_text;
	texts[2] = "Left";
	texts[3] = "";
	texts[4] = "Denies saddle anaesthesia or urinary retention. [ ] bowel [x] none";
	texts[5] = long_text;
	texts[6] = "U/S guided inj R knee +ve";
	texts[7] = "Fracture of tibial plateau L (2020)";
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			struct engine__mention *fresh;
			size_t nfresh;
			struct engine__mentions reused = {NULL, 0, 0};

			engine__annotate(v, texts[i], a, &fresh, &nfresh);
			engine__annotate_into(v, texts[i], scratch, &reused);
			CHECK(same_mentions(fresh, nfresh, reused.items, reused.count),
			      "text %zu round %d: %zu fresh mentions, %zu reused", i, round, nfresh,
			      reused.count);
			if (i == 1)
				CHECK(nfresh > 100, "%zu mentions in the long text", nfresh);
		}
	}
	/* appending: two texts into one list are the two lists one after the other */
	{
		struct engine__mentions both = {NULL, 0, 0};
		struct engine__mention *m1, *m2;
		size_t n1, n2;

		engine__annotate(v, texts[6], a, &m1, &n1);
		engine__annotate(v, texts[7], a, &m2, &n2);
		engine__annotate_into(v, texts[6], scratch, &both);
		engine__annotate_into(v, texts[7], scratch, &both);
		OK(both.count == n1 + n2 && n1 > 0 && n2 > 0);
		OK(both.count == n1 + n2 && same_mentions(both.items, n1, m1, n1) &&
		   same_mentions(both.items + n1, n2, m2, n2));
	}
	free(long_text);
	fhir_arena_free(a);
}

/* mentions(ids[, statuses]) on node through the host call: 1 true, 0 false, -1 error. */
static int mentions(struct engine__text *t, struct fhir_arena *a, const cJSON *node,
                    const char *ids, const char *statuses)
{
	struct fhir_value item = {0}, arg[2] = {{0}, {0}};
	struct fhir_collection args[2] = {{&arg[0], 1, 1}, {&arg[1], 1, 1}}, out = {0};
	struct fhir_error err;

	item.kind = FHIR_VALUE_NODE;
	item.node = node;
	arg[0].kind = arg[1].kind = FHIR_VALUE_STRING;
	arg[0].u.string = ids;
	arg[1].u.string = statuses;
	if (engine__host_call(t, 0, &item, args, statuses != NULL ? 2 : 1, a, &out, &err) !=
	        FHIR_OK ||
	    out.count != 1)
		return -1;
	return out.items[0].u.boolean;
}

static void push_node(struct fhir_collection *c, struct fhir_arena *a, const cJSON *node)
{
	fhir_collection_push_node(c, a, node);
}

/* A Condition whose only text is `deep` levels down: {"x": {"x": ... {"text": ...}}}; *inner
 * receives the innermost object. */
static cJSON *deep_condition(const char *id, int deep, cJSON **inner)
{
	cJSON *res = cJSON_CreateObject(), *at = res;

	cJSON_AddStringToObject(res, "resourceType", "Condition");
	cJSON_AddStringToObject(res, "id", id);
	for (int i = 0; i < deep; i++)
		at = cJSON_AddObjectToObject(at, "x");
	cJSON_AddStringToObject(at, "text", "obesity");
	*inner = at;
	return res;
}

static void test_evidence_small(const struct engine_vocab *v)
{
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	cJSON *ca = cJSON_Parse(
	    "{\"resourceType\":\"Condition\",\"id\":\"a\",\"code\":{\"text\":\"Obesity\"}}");
	cJSON *cb = cJSON_Parse("{\"resourceType\":\"Condition\",\"id\":\"b\",\"code\":{\"text\":"
	                        "\"Fracture of wrist; obesity\"}}");
	cJSON *cc = cJSON_Parse(
	    "{\"resourceType\":\"MedicationRequest\",\"id\":\"c\",\"contained\":[{\"resourceType\":"
	    "\"Medication\",\"id\":\"m\",\"code\":{\"text\":\"Warfarin 3mg\"}}],"
	    "\"medicationReference\":{\"reference\":\"#m\"}}");
	cJSON *in25, *in26;
	cJSON *cd = deep_condition("d", 25, &in25), *ce = deep_condition("e", 26, &in26);
	const cJSON *med = cJSON_GetArrayItem(cJSON_GetObjectItem(cc, "contained"), 0);
	struct fhir_collection evidence = {0};
	const char **lines;
	size_t n;
	static const char *const want[] = {
	    ("Condition/b: \xe2\x80\x98"
	     "Fracture\xe2\x80\x99 (fracture)"),
	    "Condition/b: \xe2\x80\x98obesity\xe2\x80\x99 (obesity)",
	    "Condition/a: \xe2\x80\x98Obesity\xe2\x80\x99 (obesity)",
	    "MedicationRequest/c: \xe2\x80\x98Warfarin\xe2\x80\x99 (anticoagulant)",
	    "Condition/d: \xe2\x80\x98obesity\xe2\x80\x99 (obesity)",
	};

	/* nothing noted: no lines */
	push_node(&evidence, a, ca);
	OK(engine__text_evidence(t, &evidence, &lines) == 0 && lines == NULL);
	evidence.count = 0;

	engine__text_hits_reset(t);
	OK(mentions(t, a, cJSON_GetObjectItem(cb, "code"), "fracture", NULL) == 1);
	OK(mentions(t, a, ca, "obesity", NULL) == 1);
	OK(mentions(t, a, cb, "obesity", NULL) == 1);
	OK(mentions(t, a, med, "anticoagulant", NULL) == 1);
	OK(mentions(t, a, ca, "obesity", NULL) == 1); /* the same line again */
	OK(mentions(t, a, in25, "obesity", NULL) == 1);
	OK(mentions(t, a, in26, "obesity", NULL) == 1);
	OK(mentions(t, a, ca, "fracture", NULL) == 0); /* no hit */
	/* a resource read as a whole (cached): the drug of the contained Medication it points to,
	 * asked twice, and after its fields were read one by one */
	OK(mentions(t, a, cc, "anticoagulant", NULL) == 1);
	OK(mentions(t, a, cc, "anticoagulant", NULL) == 1);
	OK(mentions(t, a, cJSON_GetObjectItem(ca, "code"), "obesity", NULL) == 1);
	OK(mentions(t, a, cb, "fracture", "negated") == 0);
	push_node(&evidence, a, cb);
	push_node(&evidence, a, ca);
	push_node(&evidence, a, cc);
	push_node(&evidence, a, cd);
	push_node(&evidence, a, ce); /* its hit is 26 levels down: past the depth read */
	push_node(&evidence, a, ca);
	n = engine__text_evidence(t, &evidence, &lines);
	CHECK(n == sizeof(want) / sizeof(want[0]), "%zu lines", n);
	for (size_t i = 0; i < n && i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(strcmp(lines[i], want[i]) == 0, "line %zu: '%s', want '%s'", i, lines[i],
		      want[i]);

	/* after a reset only what is noted since counts (the tables are reused) */
	engine__text_hits_reset(t);
	OK(mentions(t, a, ca, "obesity", NULL) == 1);
	n = engine__text_evidence(t, &evidence, &lines);
	CHECK(n == 1 && strcmp(lines[0], want[2]) == 0, "%zu lines", n);

	cJSON_Delete(ca);
	cJSON_Delete(cb);
	cJSON_Delete(cc);
	cJSON_Delete(cd);
	cJSON_Delete(ce);
	engine__text_free(t);
	fhir_arena_free(a);
}

/* Hundreds of resources and hits, two per node (the resource and its code: the same line), the
 * evidence in reverse order; then few hits against the same large evidence. */
static void test_evidence_many(const struct engine_vocab *v)
{
	enum { N = 700 };
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	cJSON *all = cJSON_CreateArray();
	struct fhir_collection evidence = {0};
	const char **lines;
	const char *suffix = ": \xe2\x80\x98Obesity\xe2\x80\x99 (obesity)";
	size_t n, bad = 0;

	for (int i = 0; i < N; i++) {
		cJSON *c = cJSON_CreateObject();
		char id[32];

		snprintf(id, sizeof(id), "o%d", i);
		cJSON_AddStringToObject(c, "resourceType", "Condition");
		cJSON_AddStringToObject(c, "id", id);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "code"), "text", "Obesity");
		cJSON_AddItemToArray(all, c);
	}
	engine__text_hits_reset(t);
	for (int i = 0; i < N; i++) {
		const cJSON *c = cJSON_GetArrayItem(all, i);

		bad += mentions(t, a, c, "obesity", NULL) != 1;
		bad += mentions(t, a, cJSON_GetObjectItem(c, "code"), "obesity", NULL) != 1;
	}
	OK(bad == 0);
	for (int i = N - 1; i >= 0; i--)
		push_node(&evidence, a, cJSON_GetArrayItem(all, i));
	n = engine__text_evidence(t, &evidence, &lines);
	CHECK(n == N, "%zu lines", n);
	for (size_t k = 0; k < n; k++) {
		char want[96];

		snprintf(want, sizeof(want), "Condition/o%zu%s", (size_t)N - 1 - k, suffix);
		bad += strcmp(lines[k], want) != 0;
	}
	CHECK(bad == 0, "%zu lines differ", bad);

	engine__text_hits_reset(t);
	OK(mentions(t, a, cJSON_GetArrayItem(all, 5), "obesity", NULL) == 1);
	OK(mentions(t, a, cJSON_GetArrayItem(all, 600), "obesity", NULL) == 1);
	n = engine__text_evidence(t, &evidence, &lines);
	CHECK(n == 2 && strncmp(lines[0], "Condition/o600:", 15) == 0 &&
	          strncmp(lines[1], "Condition/o5:", 13) == 0,
	      "%zu lines", n);
	cJSON_Delete(all);
	engine__text_free(t);
	fhir_arena_free(a);
}

/* mentions() arguments: many different ones (the table grows), the same text at another
 * address, statuses told apart. */
static void test_argument_table(const struct engine_vocab *v)
{
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	cJSON *c = cJSON_Parse("{\"resourceType\":\"Condition\",\"id\":\"a\",\"code\":{\"text\":"
	                       "\"Obesity. No fracture\"}}");
	size_t bad = 0;

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 200; i++) {
			char yes[64], no[64];
			char *copy;

			snprintf(yes, sizeof(yes), "unknown-%d|obesity", i);
			snprintf(no, sizeof(no), "unknown-%d|fracture", i);
			copy = strdup(yes); /* the same text at another address */
			bad += mentions(t, a, c, yes, NULL) != 1;
			bad += mentions(t, a, c, copy, NULL) != 1;
			bad += mentions(t, a, c, no, NULL) != 0;
			bad += mentions(t, a, c, no, "negated") != 1;
			bad += mentions(t, a, c, no, "affirmed|uncertain") != 0;
			free(copy);
		}
	}
	CHECK(bad == 0, "%zu wrong answers", bad);
	cJSON_Delete(c);
	engine__text_free(t);
	fhir_arena_free(a);
}

/* How many of the record's Conditions (%c) expr keeps, with the policies' literal lists
 * prepared at load (engine__mention_lists) or parsed per request; (size_t)-1 on an error. */
static size_t kept(const struct engine_vocab *v, const char *expr, const cJSON *record,
                   int prepared)
{
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	struct engine__mention_lists *lists = engine__mention_lists_new(v);
	struct fhir_path *path = NULL;
	struct fhir_error err;
	struct fhir_collection in = {0}, out = {0};
	struct fhir_path_var var = {"c", {0}};
	struct fhir_path_env env;
	const cJSON *c;
	size_t answer = (size_t)-1;

	cJSON_ArrayForEach(c, record) fhir_collection_push_node(&var.value, a, c);
	memset(&env, 0, sizeof(env));
	env.vars = &var;
	env.var_count = 1;
	env.arena = a;
	env.host_call = engine__host_call;
	env.host_ctx = t;
	if (engine_path_compile(expr, &path, &err) == FHIR_OK) {
		if (prepared) {
			engine__mention_lists_add(lists, path);
			engine__text_set_lists(t, lists);
		}
		if (fhir_path_eval(path, &in, &env, &out, &err) == FHIR_OK)
			answer = out.count;
	}
	fhir_path_free(path);
	engine__mention_lists_free(lists);
	engine__text_free(t);
	fhir_arena_free(a);
	return answer;
}

/* mentions() lists prepared at load answer as the lists parsed per request do: the same ids
 * with other statuses, and with none, are other lists (keyed by both literals' addresses);
 * arguments that are not literals are parsed per request. */
static void test_prepared_lists(const struct engine_vocab *v)
{
	static const char *const exprs[] = {
	    "%c.where(mentions('fracture'))",
	    "%c.where(mentions('fracture', 'negated'))",
	    "%c.where(mentions('fracture') or mentions('fracture', 'negated|historical'))",
	    "%c.where(mentions('obesity|fracture', 'affirmed') and mentions('fracture', "
	    "'negated'))",
	    "%c.where(mentions('unknown-concept|obesity'))",
	    "%c.where(mentions('fra' + 'cture'))", /* not a literal: parsed per request */
	};
	static const size_t want[] = {1, 1, 2, 1, 2, 1};
	cJSON *record = cJSON_Parse(
	    "[{\"resourceType\":\"Condition\",\"code\":{\"text\":\"Obesity. No fracture\"}},"
	    "{\"resourceType\":\"Condition\",\"code\":{\"text\":\"Fracture of wrist\"}},"
	    "{\"resourceType\":\"Condition\",\"code\":{\"text\":\"Obesity\"}}]");

	for (size_t k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++) {
		size_t parsed = kept(v, exprs[k], record, 0),
		       prepared = kept(v, exprs[k], record, 1);

		CHECK(parsed == want[k] && prepared == want[k],
		      "%s: %zu parsed, %zu prepared, want %zu", exprs[k], parsed, prepared,
		      want[k]);
	}
	cJSON_Delete(record);
}

/* Texts read once per request by content: many distinct ones (the table grows), the same
 * words in other resources and at other addresses, words that only share a beginning. */
static void test_text_table(const struct engine_vocab *v)
{
	enum { N = 600 };
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	cJSON *all = cJSON_CreateArray();
	size_t bad = 0;

	for (int i = 0; i < N; i++) {
		cJSON *c = cJSON_CreateObject();
		char text[96];

		/* distinct texts, and every third one the words of an earlier one */
		if (i % 3 == 1)
			snprintf(text, sizeof(text), "Fracture of wrist %d", i);
		else
			snprintf(text, sizeof(text), "Obesity since %d", i - i % 3);
		cJSON_AddStringToObject(c, "resourceType", "Condition");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "code"), "text", text);
		cJSON_AddItemToArray(all, c);
	}
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			const cJSON *c = cJSON_GetArrayItem(all, i);
			int fracture = i % 3 == 1;

			bad += mentions(t, a, c, "obesity", NULL) != !fracture;
			bad += mentions(t, a, c, "fracture", NULL) != fracture;
			bad += mentions(t, a, c, "obesity|fracture", "negated|uncertain") != 0;
		}
	}
	CHECK(bad == 0, "%zu wrong answers", bad);
	cJSON_Delete(all);
	engine__text_free(t);
	fhir_arena_free(a);
}

/* sites() of a node through the host call, joined by ' ' ("" for none; "?" on error). */
static const char *sites(struct engine__text *t, struct fhir_arena *a, const cJSON *node)
{
	struct fhir_value item = {0};
	struct fhir_collection out = {0};
	struct fhir_error err;
	const char *joined = "";

	item.kind = FHIR_VALUE_NODE;
	item.node = node;
	if (engine__host_call(t, 1, &item, NULL, 0, a, &out, &err) != FHIR_OK)
		return "?";
	for (size_t i = 0; i < out.count; i++)
		joined =
		    fhir_arena_printf(a, "%s%s%s", joined, i ? " " : "", out.items[i].u.string);
	return joined;
}

/* sites() worked out once per node: asked again (the table grows past its first size), and a
 * node's answer is its own. */
static void test_sites_table(const struct engine_vocab *v)
{
	enum { N = 400 };
	static const char *const texts[3] = {"Osteoarthritis of left knee", "OA R hip",
	                                     "Low back pain"};
	static const char *const want[3] = {"knee:left", "hip:right", "lumbar-spine"};
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	cJSON *all = cJSON_CreateArray();
	size_t bad = 0;

	for (int i = 0; i < N; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "resourceType", "Condition");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "code"), "text", texts[i % 3]);
		cJSON_AddItemToArray(all, c);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			const char *got = sites(t, a, cJSON_GetArrayItem(all, i));

			if (strcmp(got, want[i % 3]) != 0 && bad++ == 0)
				fprintf(stderr, "  sites of '%s': '%s'\n", texts[i % 3], got);
		}
	CHECK(bad == 0, "%zu wrong answers", bad);
	cJSON_Delete(all);
	engine__text_free(t);
	fhir_arena_free(a);
}

/* What one host answers about one Condition: mentions() of a few concepts and statuses on it
 * and on its code, its sites(), and the evidence lines of the mentions() noted on it. */
static const char *answers(struct engine__text *t, struct fhir_arena *a, const cJSON *c)
{
	static const char *const asked[][2] = {
	    {"fracture", NULL},      {"obesity", NULL},          {"dislocation", "uncertain"},
	    {"fracture", "negated"}, {"fracture|obesity", NULL}, {"joint-injury", NULL},
	};
	struct fhir_collection evidence = {0};
	const char **lines;
	const char *got = "";
	size_t n;

	engine__text_hits_reset(t);
	for (size_t k = 0; k < sizeof(asked) / sizeof(asked[0]); k++)
		got = fhir_arena_printf(
		    a, "%s%d%d", got, mentions(t, a, c, asked[k][0], asked[k][1]),
		    mentions(t, a, cJSON_GetObjectItem(c, "code"), asked[k][0], asked[k][1]));
	got = fhir_arena_printf(a, "%s [%s]", got, sites(t, a, c));
	push_node(&evidence, a, c);
	n = engine__text_evidence(t, &evidence, &lines);
	for (size_t k = 0; k < n; k++)
		got = fhir_arena_printf(a, "%s\n%s", got, lines[k]);
	return got;
}

/* Mentions collected from several texts (a code's text and its codings' displays, a
 * resource's fields) are kept once per request for the same texts in the same order (on a
 * record reserved as long): many Conditions built from a few texts in every order and number
 * (past the arrays a join remembers, and enough of them that its table grows) answer in one
 * such host what each answers in a host of its own, where they are copied. */
static void test_joined_arrays(const struct engine_vocab *v)
{
	enum { N = 300 };
	static const char *const words[] = {
	    "Fracture of left wrist",
	    "Obesity",
	    "Osteoarthritis of right knee",
	    "No fracture",
	    "?dislocation of left shoulder",
	    "Low back pain",
	    "Right knee injury",
	    "obese",
	};
	const size_t nwords = sizeof(words) / sizeof(words[0]);
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	cJSON *all = cJSON_CreateArray();
	unsigned seed = 12345;
	size_t bad = 0;

	for (int i = 0; i < N; i++) {
		cJSON *c = cJSON_CreateObject(), *code, *coding;
		char id[32];
		int displays = i % 11; /* up to 10 texts in one element: more than a join keeps */

		snprintf(id, sizeof(id), "j%d", i);
		cJSON_AddStringToObject(c, "resourceType", "Condition");
		cJSON_AddStringToObject(c, "id", id);
		code = cJSON_AddObjectToObject(c, "code");
		coding = cJSON_AddArrayToObject(code, "coding");
		for (int k = 0; k < displays; k++) {
			cJSON *one = cJSON_CreateObject();

			seed = seed * 1103515245u + 12345u;
			cJSON_AddStringToObject(one, "display", words[(seed >> 16) % nwords]);
			cJSON_AddItemToArray(coding, one);
		}
		seed = seed * 1103515245u + 12345u;
		cJSON_AddStringToObject(code, "text", words[(seed >> 16) % nwords]);
		if (i % 3 == 0) {
			cJSON *site = cJSON_AddArrayToObject(c, "bodySite"),
			      *one = cJSON_CreateObject();

			seed = seed * 1103515245u + 12345u;
			cJSON_AddStringToObject(one, "text", words[(seed >> 16) % nwords]);
			cJSON_AddItemToArray(site, one);
		}
		if (i % 4 == 1) {
			cJSON *note = cJSON_AddArrayToObject(c, "note"),
			      *one = cJSON_CreateObject();

			seed = seed * 1103515245u + 12345u;
			cJSON_AddStringToObject(one, "text", words[(seed >> 16) % nwords]);
			cJSON_AddItemToArray(note, one);
		}
		cJSON_AddItemToArray(all, c);
	}
	engine__text_reserve(t, N); /* a long record: arrays joined (alone: copied) */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < N; i++) {
			const cJSON *c = cJSON_GetArrayItem(all, i);
			struct engine__text *own = engine__text_new(v);
			const char *shared = answers(t, a, c), *alone = answers(own, a, c);

			if (strcmp(shared, alone) != 0 && bad++ == 0)
				fprintf(stderr, "  Condition %d: '%s', alone '%s'\n", i, shared,
				        alone);
			engine__text_free(own);
		}
	CHECK(bad == 0, "%zu Conditions answered differently", bad);
	cJSON_Delete(all);
	engine__text_free(t);
	fhir_arena_free(a);
}

/* Sides across fields: a side a field names on its own goes to the site that field names, and
 * one field's side contradicting another's leaves the site unread; a Coding without display is
 * read as its sourced display (codes.json). */
static void test_site_sides(const struct engine_vocab *v)
{
	static const char *const cases[][2] = {
	    {"{\"resourceType\": \"ServiceRequest\", \"code\": {\"text\": \"USGI knee\"}, "
	     "\"bodySite\": [{\"coding\": [{\"system\": \"http://snomed.info/sct\", \"code\": "
	     "\"72696002\"}], \"text\": \"Right\"}]}",
	     "knee:right"},
	    {"{\"resourceType\": \"ServiceRequest\", \"code\": {\"text\": \"US guided injection "
	     "LEFT knee\"}, \"bodySite\": [{\"coding\": [{\"system\": \"http://snomed.info/sct\", "
	     "\"code\": \"72696002\"}], \"text\": \"Right\"}]}",
	     ""},
	    {"{\"resourceType\": \"ServiceRequest\", \"code\": {\"text\": \"USGI left knee\"}, "
	     "\"bodySite\": [{\"text\": \"Right\"}]}",
	     ""},
	    {"{\"resourceType\": \"ServiceRequest\", \"code\": {\"text\": \"USGI left knee\"}, "
	     "\"bodySite\": [{\"text\": \"Left\"}]}",
	     "knee:left"},
	    {"{\"resourceType\": \"Condition\", \"code\": {\"coding\": [{\"system\": "
	     "\"http://hl7.org/fhir/sid/icd-10\", \"code\": \"M17\"}]}, \"bodySite\": [{\"text\": "
	     "\"Left\"}]}",
	     "knee:left"}};
	struct fhir_arena *a = fhir_arena_new();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct engine__text *t =
		    engine__text_new(v); /* its site cache is by node address */
		cJSON *node = cJSON_Parse(cases[i][0]);

		OK(node != NULL);
		const char *got = node != NULL ? sites(t, a, node) : "?";

		CHECK(strcmp(got, cases[i][1]) == 0, "sites of case %zu: '%s', want '%s'", i, got,
		      cases[i][1]);
		cJSON_Delete(node);
		engine__text_free(t);
	}
	fhir_arena_free(a);
}

/* sameSite() of two texts through the host call: 1 same, 0 not, -1 error; `mode` its second
 * argument (NULL: none). */
static int same_site(struct engine__text *t, struct fhir_arena *a, const char *x, const char *y,
                     const char *mode)
{
	struct fhir_value item = {0}, other = {0}, how = {0};
	struct fhir_collection args[2] = {{0}}, out = {0};
	struct fhir_error err;

	item.kind = FHIR_VALUE_STRING;
	item.u.string = x;
	other.kind = FHIR_VALUE_STRING;
	other.u.string = y;
	how.kind = FHIR_VALUE_STRING;
	how.u.string = mode;
	args[0].items = &other;
	args[0].count = 1;
	args[1].items = &how;
	args[1].count = 1;
	if (engine__host_call(t, 3, &item, args, mode != NULL ? 2 : 1, a, &out, &err) != FHIR_OK ||
	    out.count != 1 || out.items[0].kind != FHIR_VALUE_BOOLEAN)
		return -1;
	return out.items[0].u.boolean;
}

/* sameSite(other, 'structure'): a region's structures (body-sites.json "structures") differ
 * from each other; a text naming the region alone fits any of them; sides still count; without
 * the argument only regions and sides count. */
static void test_same_site(const struct engine_vocab *v)
{
	static const struct {
		const char *x, *y;
		int structure, region;
	} cases[] = {
	    {"USGI R hip joint", "Landmark injection R greater trochanteric bursa", 0, 1},
	    {"USGI R hip joint", "Landmark injection R hip", 1, 1},
	    {"USGI R hip", "Trochanteric bursa injection right", 1, 1},
	    {"USGI R trochanteric bursitis", "Injection R trochanteric bursa", 1, 1},
	    {"USGI R hip joint", "Injection L hip joint", 0, 0},
	    {"US guided subacromial injection R", "R glenohumeral joint injection", 0, 1},
	    {"US guided L ACJ injection", "L subacromial injection", 0, 1},
	    {"L frozen shoulder", "L glenohumeral joint injection", 1, 1},
	    {"USGI L knee joint", "Injection L pes anserine bursa", 0, 1},
	    {"USGI L knee joint", "Injection L prepatellar bursa", 0, 1},
	    {"USGI L knee", "Injection L pes anserine bursa", 1, 1},
	    {"USGI R ankle joint", "R Achilles tendon injection", 0, 1},
	    {"USGI R peroneal tendon sheath", "R peroneal tendons injection", 1, 1},
	    {"USGI R wrist joint", "R carpal tunnel injection", 0, 1},
	    {"USGI R radiocarpal joint", "R wrist joint injection", 1, 1},
	    {"USGI R De Quervain's", "R first dorsal compartment injection", 1, 1},
	    {"USGI R De Quervain's", "R CTS injection", 0, 1},
	    {"USGI R tennis elbow", "R lateral epicondylitis injection", 1, 1},
	    {"USGI R tennis elbow", "R golfers elbow injection", 0, 1},
	    {"USGI R plantar fasciitis", "R Mortons neuroma injection", 0, 1},
	    {"USGI R knee joint", "R hip joint injection", 0, 0},
	};
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int s = same_site(t, a, cases[i].x, cases[i].y, "structure");
		int back = same_site(t, a, cases[i].y, cases[i].x, "structure");
		int r = same_site(t, a, cases[i].x, cases[i].y, NULL);

		CHECK(s == cases[i].structure && back == s, "'%s' / '%s' by structure: %d, %d",
		      cases[i].x, cases[i].y, s, back);
		CHECK(r == cases[i].region, "'%s' / '%s' by region: %d", cases[i].x, cases[i].y, r);
	}
	engine__text_free(t);
	fhir_arena_free(a);
}

/* The evaluation's arena bytes a where() over n Conditions leaves, beyond its answer: one
 * evaluation of `expr` on a fresh text host. */
static size_t where_bytes(const struct engine_vocab *v, const char *expr, size_t n, size_t *answer)
{
	static const char *const texts[4] = {"Osteoarthritis of left knee", "OA R hip",
	                                     "Low back pain", "Obesity"};
	struct fhir_arena *a = fhir_arena_new();
	struct engine__text *t = engine__text_new(v);
	struct fhir_path *path = NULL;
	struct fhir_path_var var = {"c", {0}};
	struct fhir_path_env env;
	struct fhir_collection in = {0}, out = {0};
	struct fhir_error err;
	cJSON *all = cJSON_CreateArray();
	size_t before, used = 0;

	for (size_t i = 0; i < n; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "resourceType", "Condition");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "code"), "text", texts[i % 4]);
		cJSON_AddItemToArray(all, c);
		fhir_collection_push_node(&var.value, a, c);
	}
	memset(&env, 0, sizeof(env));
	env.vars = &var;
	env.var_count = 1;
	env.arena = a;
	env.host_call = engine__host_call;
	env.host_ctx = t;
	*answer = (size_t)-1;
	before = fhir_arena_used(a);
	if (engine_path_compile(expr, &path, &err) == FHIR_OK &&
	    fhir_path_eval(path, &in, &env, &out, &err) == FHIR_OK) {
		used = fhir_arena_used(a) - before;
		*answer = out.count;
	}
	fhir_path_free(path);
	engine__text_free(t);
	cJSON_Delete(all);
	fhir_arena_free(a);
	return used;
}

/* The host keeps its caches in an arena of its own (fhir_path_host.results_only), so a where()
 * whose criterion calls mentions() or sites() releases each item's scratch: what the evaluation's
 * arena holds afterwards does not grow with the Conditions that do not match. Byte counts, not
 * times. */
static void test_own_arena(const struct engine_vocab *v)
{
	static const char *const exprs[3] = {
	    "%c.where(mentions('fracture') or sites().where(startsWith('shoulder')).exists())",
	    "%c.where(sameSite(%c.first()) and mentions('fracture'))",
	    "%c.where(siteLabel() = 'right shoulder')"};

	for (size_t k = 0; k < 3; k++) {
		size_t n_small, n_big;
		size_t small = where_bytes(v, exprs[k], 100, &n_small);
		size_t big = where_bytes(v, exprs[k], 4000, &n_big);

		CHECK(n_small == 0 && n_big == 0, "%s: %zu and %zu items", exprs[k], n_small,
		      n_big);
		/* before: about 300 bytes per Condition (each answer, its scratch) */
		CHECK(big <= small + 4096, "%s: %zu bytes for 100 Conditions, %zu for 4,000",
		      exprs[k], small, big);
	}
	/* the caches outlive what the evaluation released: the same questions again agree */
	{
		size_t n;

		where_bytes(v, "%c.where(mentions('obesity').not() and sites() = 'knee:left')", 400,
		            &n);
		CHECK(n == 100, "left knee, no obesity, in 100 of 400: %zu", n);
		where_bytes(v, "%c.where(siteLabel() = 'right hip')", 400, &n);
		CHECK(n == 100, "right hip in 100 of 400: %zu", n);
	}
}

int main(void)
{
	struct engine_vocab *v = shipped_vocab();

	OK(v != NULL);
	if (v != NULL) {
		test_scratch_reuse(v);
		test_evidence_small(v);
		test_evidence_many(v);
		test_argument_table(v);
		test_prepared_lists(v);
		test_text_table(v);
		test_sites_table(v);
		test_joined_arrays(v);
		test_site_sides(v);
		test_same_site(v);
		test_own_arena(v);
		engine__vocab_free(v);
	}
	return testkit_done();
}
