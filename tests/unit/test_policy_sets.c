/* test_policy_sets.c — hundreds of policies (issue 12 item 2): the policy sets (engine/bitset.c)
 * across word boundaries, and the one trigger index (engine/trigger.c) with more policies than
 * one 64-bit word holds: text triggers (`all` groups counted once per group, `none` vetoes),
 * ValueSet triggers, policies past the 64th triggered and assessed, and load errors that still
 * name the file and JSON pointer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "testkit.h"

#define COPIES 150 /* synthetic policies beside the three shipped ones */

static void test_sets(void)
{
	size_t words = ENGINE_SET_WORDS(130), got[8], n = 0, i;
	uint64_t *s = engine__set_new(NULL, words), *t = engine__set_new(NULL, words);
	static const size_t members[] = {0, 63, 64, 127, 128, 129};

	CHECK(words == 3, "130 policies need 3 words, not %zu", words);
	CHECK(engine__set_empty(s, words), "a new set is empty");
	CHECK(engine__set_next(s, words, 0) == words * 64, "nothing to iterate");
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		engine__set_add(s, members[i]);
	for (i = engine__set_next(s, words, 0); i < 130 && n < 8;
	     i = engine__set_next(s, words, i + 1))
		got[n++] = i;
	CHECK(n == 6, "iterated %zu members, want 6", n);
	for (i = 0; i < n && i < 6; i++)
		CHECK(got[i] == members[i], "member %zu is %zu, want %zu", i, got[i], members[i]);
	CHECK(engine__set_count(s, words) == 6, "count %zu", engine__set_count(s, words));
	CHECK(engine__set_has(s, 64) && !engine__set_has(s, 65) && !engine__set_has(s, 62),
	      "membership at a word boundary");

	engine__set_fill(t, words, 130);
	CHECK(engine__set_count(t, words) == 130, "fill 130: count %zu",
	      engine__set_count(t, words));
	CHECK(engine__set_has(t, 129) && !engine__set_has(t, 130), "fill stops at 130");
	engine__set_fill(t, words, 64);
	CHECK(engine__set_count(t, words) == 64 && !engine__set_has(t, 64), "fill one whole word");
	engine__set_add(t, 65);
	engine__set_remove(t, 65);
	engine__set_remove(t, 66); /* not a member: no change */
	CHECK(engine__set_count(t, words) == 64, "remove");
	engine__set_and(t, s, words); /* {0, 63} */
	CHECK(engine__set_count(t, words) == 2 && engine__set_has(t, 63), "and");
	engine__set_and_not(s, t, words); /* {64, 127, 128, 129} */
	CHECK(engine__set_next(s, words, 0) == 64, "and_not removes 0 and 63");
	engine__set_or(t, s, words);
	CHECK(engine__set_count(t, words) == 6, "or gives all six back");
	engine__set_and_not(t, t, words);
	CHECK(engine__set_empty(t, words), "x and not x is empty");
	free(s);
	free(t);
}

/* The embedded file named `name` (BORROWED), or NULL. */
static const struct engine_file *embedded(const char *name)
{
	for (size_t i = 0; i < engine_embedded_file_count; i++)
		if (strcmp(engine_embedded_files[i].name, name) == 0)
			return &engine_embedded_files[i];
	return NULL;
}

/* A copy of the shipped policy `seed` with id `id`; `extra_all` (concept groups separated by
 * ';') appended to its trigger.all and `extra_none` (a concept id) to its trigger.none when not
 * NULL. NEW text. */
static char *copy_policy(const char *seed, const char *id, const char *extra_all,
                         const char *extra_none)
{
	cJSON *p = cJSON_Parse(embedded(seed)->text);
	cJSON *trigger = cJSON_GetObjectItemCaseSensitive(p, "trigger");
	char *text;

	cJSON_ReplaceItemInObjectCaseSensitive(p, "id", cJSON_CreateString(id));
	for (const char *g = extra_all; g != NULL && *g != '\0';) {
		const char *end = strchr(g, ';');
		size_t len = end != NULL ? (size_t)(end - g) : strlen(g);
		char group[200];

		snprintf(group, sizeof(group), "%.*s", (int)len, g);
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(trigger, "all"),
		                     cJSON_CreateString(group));
		g = end != NULL ? end + 1 : NULL;
	}
	if (extra_none != NULL)
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(trigger, "none"),
		                     cJSON_CreateString(extra_none));
	text = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	return text;
}

struct errors {
	char first[400];
	int count;
};

static void collect(void *ctx, const char *file, const char *pointer, const char *message)
{
	struct errors *e = ctx;

	if (e->count++ == 0)
		snprintf(e->first, sizeof(e->first), "%s#%s: %s", file, pointer, message);
}

/* The shipped configuration plus COPIES copies: copy i (file copy-<i>.policy.json, id copy-<i>)
 * is a GM070 copy that needs fracture too (never fires on the benchmark orders), except those
 * in `special` (ids given there). NEW engine or NULL (errors in *err). */
struct special {
	size_t index;
	const char *seed, *id, *extra_all, *extra_none;
};

static struct engine *load_many(const struct special *special, size_t nspecial, struct errors *err)
{
	size_t n = engine_embedded_file_count, i, k;
	struct engine_file *files = calloc(n + COPIES, sizeof(*files));
	struct engine_reporter rep = {collect, err};
	struct engine *e = NULL;

	memcpy(files, engine_embedded_files, n * sizeof(*files));
	for (i = 0; i < COPIES; i++) {
		char name[64], id[64];
		char *text = NULL;

		snprintf(name, sizeof(name), "copy-%zu.policy.json", i);
		snprintf(id, sizeof(id), "copy-%zu", i);
		for (k = 0; k < nspecial; k++)
			if (special[k].index == i)
				text = copy_policy(special[k].seed, special[k].id,
				                   special[k].extra_all, special[k].extra_none);
		if (text == NULL)
			text = copy_policy("gm070-facet-joint-injections.policy.json", id,
			                   "fracture", NULL);
		files[n + i].name = strdup(name);
		files[n + i].text = text;
		files[n + i].length = strlen(text);
	}
	memset(err, 0, sizeof(*err));
	engine_load(files, n + COPIES, &rep, &e);
	for (i = 0; i < COPIES; i++) {
		free((char *)files[n + i].name);
		free((char *)files[n + i].text);
	}
	free(files);
	return e;
}

/* The ids of the policies the request's assessment records name, "a b c " (sorted by policy
 * order), into out. Returns how many records. */
static size_t assessed_ids(const struct engine *e, const cJSON *request, char *out, size_t max)
{
	struct fhir_datetime now;
	struct fhir_error ferr;
	struct engine_result r;
	const cJSON *record;
	size_t n = 0, len = 0;

	out[0] = '\0';
	fhir_datetime_parse("2026-01-15T12:00:00Z", &now, &ferr);
	if (engine_assess(e, request, &now, &r, &ferr) != FHIR_OK)
		return 0;
	cJSON_ArrayForEach(record, r.log)
	{
		const char *id = fhir_get_string(record, "policy");

		len += (size_t)snprintf(out + len, max - len, "%s ", id != NULL ? id : "?");
		n++;
		if (len >= max)
			break;
	}
	engine_result_clear(&r);
	return n;
}

/* The UK knee example with its selection replaced by `selection` (NULL: as it is). NEW. */
static cJSON *knee_request(const char *selection)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024], *text;
	cJSON *request, *sel;

	snprintf(path, sizeof(path), "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared != NULL ? shared : "../shared");
	text = testkit_read(path, NULL);
	request = text != NULL ? cJSON_Parse(text) : NULL;
	free(text);
	if (request != NULL && selection != NULL) {
		sel = cJSON_CreateArray();
		cJSON_AddItemToArray(sel, cJSON_CreateString(selection));
		cJSON_ReplaceItemInObjectCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(request, "context"), "selections", sel);
	}
	return request;
}

static void test_many_policies(void)
{
	/* past the first word (3 shipped + copies 61.. are indexes 64..) */
	static const struct special special[] = {
	    /* fires on the knee injection text like HNY 142 */
	    {70, "hny-142-usgi.policy.json", "hny-late", NULL, NULL},
	    /* would fire, but its `none` names the knee */
	    {90, "hny-142-usgi.policy.json", "hny-vetoed", NULL, "site:knee"},
	    /* a group the order meets twice counts once: "fracture" is still needed */
	    {100, "hny-142-usgi.policy.json", "hny-needs-fracture",
	     "injection|ultrasound-guidance;fracture", NULL},
	    /* fires on the MRI knee code through the NWL ValueSet */
	    {140, "nwl-msk-imaging.policy.json", "nwl-late", NULL, NULL},
	};
	struct errors err;
	struct engine *e = load_many(special, sizeof(special) / sizeof(special[0]), &err);
	cJSON *text_order = knee_request(NULL), *coded = knee_request("ServiceRequest/sr-mri-knee");
	char ids[512];
	size_t n;

	CHECK(e != NULL, "%d policies load: %s", 3 + COPIES, err.first);
	CHECK(text_order != NULL && coded != NULL, "the UK knee example is readable");
	if (e == NULL || text_order == NULL || coded == NULL)
		goto out;
	CHECK(engine_policy_count(e) == 3 + COPIES, "%zu policies", engine_policy_count(e));
	CHECK(e->set_words == ENGINE_SET_WORDS(3 + COPIES), "sets of %zu words", e->set_words);
	n = assessed_ids(e, text_order, ids, sizeof(ids));
	CHECK(n == 2 && strcmp(ids, "hny-142-usgi hny-late ") == 0,
	      "the knee injection text triggers HNY 142 and its late copy only: %zu: %s", n, ids);
	n = assessed_ids(e, coded, ids, sizeof(ids));
	CHECK(n == 2 && strcmp(ids, "nwl-msk-imaging nwl-late ") == 0,
	      "the MRI knee code triggers NWL and its late copy only: %zu: %s", n, ids);
out:
	cJSON_Delete(text_order);
	cJSON_Delete(coded);
	engine_free(e);
}

static void test_load_errors(void)
{
	struct errors err;
	static const struct special unknown[] = {
	    {120, "gm070-facet-joint-injections.policy.json", "bad", "no-such-concept", NULL}};
	static const struct special twice[] = {
	    {130, "gm070-facet-joint-injections.policy.json", "copy-3", "fracture", NULL}};
	struct engine *e = load_many(unknown, 1, &err);

	CHECK(e == NULL && err.count == 1 &&
	          strcmp(err.first, "copy-120.policy.json#/trigger/all/2: no concept "
	                            "'no-such-concept' in policies/vocabulary/") == 0,
	      "an unknown trigger concept in the 124th policy: %d: %s", err.count, err.first);
	engine_free(e);
	e = load_many(twice, 1, &err);
	CHECK(e == NULL && err.count == 1 &&
	          strcmp(err.first, "copy-130.policy.json#/id: policy id is used by another "
	                            "file") == 0,
	      "a repeated id in the 134th policy: %d: %s", err.count, err.first);
	engine_free(e);
}

int main(void)
{
	test_sets();
	test_many_policies();
	test_load_errors();
	return testkit_done();
}
