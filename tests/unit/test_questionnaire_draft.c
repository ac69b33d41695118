/* test_questionnaire_draft.c — every QuestionnaireResponse the service drafts (issue 15 items 2
 * and 3), over all decision vectors, checked against its Questionnaire by a checker written
 * here: linkIds exist at their place in the tree, answers carry one value[x] of the item's type
 * (choice answers among its options), non-repeating items answer once, no item is empty,
 * required items are present or listed on the card as still to complete, items the record cannot
 * answer (the case for exceptionality, the response to a treatment) are never answered, and
 * criterion answers agree with the card's assessment. Vectors whose expected.json has "draft"
 * pin the answered and listed linkIds. The checker itself is shown to fail on broken drafts.
 * With $CDS_DRAFTS_OUT set, the drafts and Questionnaires are written there (JSON array) for the
 * FHIR R4 validator (tests/cli/test_drafts_fhir.sh). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "testkit.h"

#define PREFILL_URL "urn:cds-commissioning:StructureDefinition:questionnaire-prefill"
#define INITIAL_URL                                                                                \
	"http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression"

struct problems {
	char text[4096];
	size_t len;
	int count;
};

/* Records one problem ("%s" arguments may be NULL: printed as "?"). */
static void problem(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct problems *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->text + p->len, sizeof(p->text) - p->len - 1, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(p->text) - p->len - 1) {
		p->len += (size_t)n;
		p->text[p->len++] = '\n';
		p->text[p->len] = '\0';
	}
	p->count++;
}

static const char *ext_string(const cJSON *item, const char *url)
{
	const cJSON *ext;

	cJSON_ArrayForEach(ext, fhir_get(item, "extension"))
	{
		const char *u = fhir_get_string(ext, "url");

		if (u != NULL && strcmp(u, url) == 0)
			return fhir_get_string(ext, "valueString") != NULL
			           ? fhir_get_string(ext, "valueString")
			           : "expression";
	}
	return NULL;
}

static const cJSON *find_def(const cJSON *defs, const char *link_id)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, defs)
	{
		const char *l = fhir_get_string(d, "linkId");

		if (l != NULL && link_id != NULL && strcmp(l, link_id) == 0)
			return d;
	}
	return NULL;
}

/* The card's assessment criterion `id` (its state and evidence), or NULL. */
static const cJSON *assessed(const cJSON *assessment, const char *id)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, fhir_get(assessment, "criteria"))
	{
		if (strcmp(fhir_get_string(c, "id"), id) == 0)
			return c;
	}
	return NULL;
}

/* 1 when a "- line" of the card detail's "Still to complete" list starts with `text`. */
static int listed(const char *detail, const char *text)
{
	const char *todo = detail != NULL ? strstr(detail, "**Still to complete**") : NULL;
	char needle[512];

	if (todo == NULL || text == NULL)
		return 0;
	snprintf(needle, sizeof(needle), "\n- %s", text);
	return strstr(todo, needle) != NULL;
}

/* The value[x] member an answer to an item of `type` must carry (FHIR R4
 * QuestionnaireResponse.item.answer: the item type's data type). */
static const char *value_key(const char *type)
{
	static const char *const map[][2] = {{"boolean", "valueBoolean"},
	                                     {"decimal", "valueDecimal"},
	                                     {"integer", "valueInteger"},
	                                     {"date", "valueDate"},
	                                     {"dateTime", "valueDateTime"},
	                                     {"time", "valueTime"},
	                                     {"string", "valueString"},
	                                     {"text", "valueString"},
	                                     {"url", "valueUri"},
	                                     {"choice", "valueCoding"},
	                                     {"attachment", "valueAttachment"},
	                                     {"reference", "valueReference"},
	                                     {"quantity", "valueQuantity"}};

	for (size_t i = 0; type != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], type) == 0)
			return map[i][1];
	return NULL;
}

/* The JSON shape of a value[x]: FHIR R4 JSON primitives are strings, numbers or booleans;
 * complex types are objects. */
static int json_type_fits(const char *key, const cJSON *value)
{
	if (strcmp(key, "valueBoolean") == 0)
		return cJSON_IsBool(value);
	if (strcmp(key, "valueInteger") == 0 || strcmp(key, "valueDecimal") == 0)
		return cJSON_IsNumber(value);
	if (strcmp(key, "valueReference") == 0 || strcmp(key, "valueCoding") == 0 ||
	    strcmp(key, "valueAttachment") == 0 || strcmp(key, "valueQuantity") == 0)
		return cJSON_IsObject(value);
	return cJSON_IsString(value) && value->valuestring[0] != '\0';
}

struct ctx {
	const cJSON *assessment;
	const char *detail;
	struct problems *p;
	cJSON *answered; /* linkIds answered (strings), for the vectors' "draft" */
};

static int applicable(const struct ctx *c, const cJSON *group)
{
	const cJSON *child;

	cJSON_ArrayForEach(child, fhir_get(group, "item"))
	{
		const char *how = ext_string(child, PREFILL_URL);

		if (how != NULL && strncmp(how, "criterion-state:", 16) == 0 &&
		    assessed(c->assessment, how + 16) == NULL)
			return 0;
	}
	return 1;
}

static void check_items(struct ctx *c, const cJSON *defs, const cJSON *items);

/* Required items of `defs` absent from `items` must be listed on the card. */
static void check_required(struct ctx *c, const cJSON *defs, const cJSON *items)
{
	const cJSON *def, *it;

	cJSON_ArrayForEach(def, defs)
	{
		const char *id = fhir_get_string(def, "linkId");
		int present = 0;

		cJSON_ArrayForEach(it, items)
		{
			present |= strcmp(fhir_get_string(it, "linkId"), id) == 0;
		}
		if (present || !cJSON_IsTrue(fhir_get(def, "required")))
			continue;
		if (strcmp(fhir_get_string(def, "type"), "group") == 0) {
			const cJSON *child;
			int criterion_listed = 0;

			if (!applicable(c, def))
				continue;
			/* a criterion group absent: its criterion line stands for it */
			cJSON_ArrayForEach(child, fhir_get(def, "item"))
			{
				const char *how = ext_string(child, PREFILL_URL);

				if (how != NULL && strncmp(how, "criterion-state:", 16) == 0)
					criterion_listed |=
					    listed(c->detail, fhir_get_string(def, "text"));
			}
			if (criterion_listed)
				continue;
		}
		if (!listed(c->detail, fhir_get_string(def, "text")))
			problem(c->p, "required item '%s' is neither answered nor listed%s", id,
			        " as still to complete");
	}
}

static void check_answers(struct ctx *c, const cJSON *def, const cJSON *it)
{
	const char *id = fhir_get_string(def, "linkId");
	const char *type = fhir_get_string(def, "type");
	const char *key = value_key(type);
	const char *how = ext_string(def, PREFILL_URL);
	const cJSON *answer;

	if (how == NULL && ext_string(def, INITIAL_URL) == NULL)
		problem(c->p, "item '%s' is answered but the record cannot answer it (%s)", id,
		        "never pre-filled");
	if (!cJSON_IsTrue(fhir_get(def, "repeats")) &&
	    cJSON_GetArraySize(fhir_get(it, "answer")) > 1)
		problem(c->p, "item '%s' does not repeat but has %s answers", id, "several");
	cJSON_ArrayForEach(answer, fhir_get(it, "answer"))
	{
		const cJSON *value = answer->child;

		if (value == NULL || value->next != NULL || key == NULL ||
		    strcmp(value->string, key) != 0 || !json_type_fits(key, value)) {
			problem(c->p, "item '%s': an answer must be exactly one %s", id, key);
			continue;
		}
		if (strcmp(key, "valueReference") == 0) {
			const char *ref = fhir_get_string(value, "reference");

			if (ref == NULL || strchr(ref, '/') == NULL)
				problem(c->p, "item '%s': reference '%s' is not Type/id", id, ref);
		}
		if (strcmp(key, "valueCoding") == 0) {
			const cJSON *opt;
			int known = 0;

			cJSON_ArrayForEach(opt, fhir_get(def, "answerOption"))
			{
				const cJSON *o = fhir_get(opt, "valueCoding");

				known |= strcmp(fhir_get_string(o, "system"),
				                fhir_get_string(value, "system")) == 0 &&
				         strcmp(fhir_get_string(o, "code"),
				                fhir_get_string(value, "code")) == 0;
			}
			if (!known)
				problem(c->p, "item '%s': '%s' is not an answerOption", id,
				        fhir_get_string(value, "code"));
		}
		if (how != NULL && strncmp(how, "criterion-state:", 16) == 0) {
			const cJSON *a = assessed(c->assessment, how + 16);
			const char *state = a != NULL ? fhir_get_string(a, "state") : NULL;

			if (state == NULL || strcmp(state, fhir_get_string(value, "code")) != 0)
				problem(c->p, "item '%s' says %s, not the card's criterion state",
				        id, fhir_get_string(value, "code"));
		}
		if (how != NULL && strncmp(how, "criterion-evidence:", 19) == 0) {
			const cJSON *a = assessed(c->assessment, how + 19), *e;
			int found = 0;

			cJSON_ArrayForEach(e, fhir_get(a, "evidence"))
			{
				found |= strcmp(e->valuestring,
				                fhir_get_string(value, "reference")) == 0;
			}
			if (!found)
				problem(c->p, "item '%s': %s is not the criterion's evidence", id,
				        fhir_get_string(value, "reference"));
		}
	}
}

static void check_items(struct ctx *c, const cJSON *defs, const cJSON *items)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, items)
	{
		const char *id = fhir_get_string(it, "linkId");
		const cJSON *def = find_def(defs, id);
		const cJSON *answers = fhir_get(it, "answer"), *children = fhir_get(it, "item");
		int instances = 0;
		const cJSON *other;

		if (def == NULL) {
			problem(c->p, "linkId '%s' is not in the Questionnaire here%s", id, "");
			continue;
		}
		cJSON_ArrayForEach(other, items)
		{
			instances += strcmp(fhir_get_string(other, "linkId"), id) == 0;
		}
		if (instances > 1 && !cJSON_IsTrue(fhir_get(def, "repeats")))
			problem(c->p, "item '%s' does not repeat but %s", id, "appears twice");
		if (strcmp(fhir_get_string(it, "text") ? fhir_get_string(it, "text") : "",
		           fhir_get_string(def, "text") ? fhir_get_string(def, "text") : "") != 0)
			problem(c->p, "item '%s': text differs from the %s", id, "Questionnaire's");
		if (strcmp(fhir_get_string(def, "type"), "group") == 0) {
			if (answers != NULL || cJSON_GetArraySize(children) == 0)
				problem(c->p, "group '%s' must hold items and %s", id,
				        "no answers");
			check_items(c, fhir_get(def, "item"), children);
			check_required(c, fhir_get(def, "item"), children);
			continue;
		}
		if (children != NULL || cJSON_GetArraySize(answers) == 0)
			problem(c->p, "item '%s' must hold answers and %s", id, "no items");
		check_answers(c, def, it);
		if (c->answered != NULL)
			cJSON_AddItemToArray(c->answered, cJSON_CreateString(id));
	}
}

/* Checks one drafted QuestionnaireResponse. Returns the problems found (0: valid). */
static int check_draft(const struct engine *e, const cJSON *qr, const cJSON *card,
                       const char *user_id, cJSON *answered, struct problems *p)
{
	const cJSON *q = engine_questionnaire(e, fhir_get_string(qr, "questionnaire"));
	struct ctx c = {fhir_get(fhir_get(card, "extension"), "cds-commissioning.assessment"),
	                fhir_get_string(card, "detail"), p, answered};
	const char *subject = fhir_get_string(fhir_get(qr, "subject"), "reference");
	const char *author = fhir_get_string(fhir_get(qr, "author"), "reference");

	memset(p, 0, sizeof(*p));
	if (strcmp(fhir_get_string(qr, "resourceType"), "QuestionnaireResponse") != 0)
		problem(p, "resourceType %s%s", fhir_get_string(qr, "resourceType"), "");
	if (q == NULL) {
		problem(p, "questionnaire '%s' is not loaded%s",
		        fhir_get_string(qr, "questionnaire"), "");
		return p->count;
	}
	if (strcmp(fhir_get_string(qr, "status") ? fhir_get_string(qr, "status") : "",
	           "in-progress") != 0)
		problem(p, "status %s, not %s", fhir_get_string(qr, "status"), "in-progress");
	if (subject == NULL || strncmp(subject, "Patient/", 8) != 0)
		problem(p, "subject %s is not a %s", subject, "Patient");
	if (user_id != NULL && (author == NULL || strcmp(author, user_id) != 0))
		problem(p, "author %s, not the user %s", author, user_id);
	check_items(&c, fhir_get(q, "item"), fhir_get(qr, "item"));
	check_required(&c, fhir_get(q, "item"), fhir_get(qr, "item"));
	return p->count;
}

/* The drafts of a response: each a create action of a QuestionnaireResponse, with its card. */
static int for_drafts(const cJSON *response, const cJSON **cards, const cJSON **drafts, int max)
{
	const cJSON *card, *s, *a;
	int n = 0;

	cJSON_ArrayForEach(card, fhir_get(response, "cards"))
	{
		cJSON_ArrayForEach(s, fhir_get(card, "suggestions"))
		{
			cJSON_ArrayForEach(a, fhir_get(s, "actions"))
			{
				const cJSON *r = fhir_get(a, "resource");
				const char *type = fhir_get_string(r, "resourceType");

				if (type != NULL && strcmp(type, "QuestionnaireResponse") == 0 &&
				    n < max) {
					cards[n] = card;
					drafts[n++] = r;
				}
			}
		}
	}
	return n;
}

static int same_set(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;

	if (cJSON_GetArraySize(a) == 0 || cJSON_GetArraySize(b) == 0)
		return cJSON_GetArraySize(a) == cJSON_GetArraySize(b);
	cJSON_ArrayForEach(x, a)
	{
		int found = 0;

		cJSON_ArrayForEach(y, b)
		{
			found |= strcmp(x->valuestring, y->valuestring) == 0;
		}
		if (!found)
			return 0;
	}
	cJSON_ArrayForEach(y, b)
	{
		int found = 0;

		cJSON_ArrayForEach(x, a)
		{
			found |= strcmp(x->valuestring, y->valuestring) == 0;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* The text of Questionnaire item `id` anywhere in the tree, or NULL. */
static const char *def_text(const cJSON *defs, const char *id, const char **parent)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, defs)
	{
		const char *t;

		if (strcmp(fhir_get_string(d, "linkId"), id) == 0)
			return fhir_get_string(d, "text");
		if ((t = def_text(fhir_get(d, "item"), id, parent)) != NULL) {
			if (*parent == NULL)
				*parent = fhir_get_string(d, "text");
			return t;
		}
	}
	return NULL;
}

/* expected.json "draft": the Questionnaire, the answered linkIds, the linkIds listed. */
static void check_expected(const struct engine *e, const char *name, const cJSON *want,
                           const cJSON *card, const cJSON *qr, const cJSON *answered)
{
	const cJSON *q = engine_questionnaire(e, fhir_get_string(want, "questionnaire"));
	const cJSON *id;
	const char *detail = fhir_get_string(card, "detail");
	const char *todo = detail != NULL ? strstr(detail, "**Still to complete**") : NULL;
	int lines = 0;

	CHECK(q != NULL && q == engine_questionnaire(e, fhir_get_string(qr, "questionnaire")),
	      "%s: questionnaire %s", name, fhir_get_string(qr, "questionnaire"));
	if (q == NULL)
		return;
	if (!same_set(answered, fhir_get(want, "answered"))) {
		char *have = cJSON_PrintUnformatted(answered);

		CHECK(0, "%s: answered %s", name, have);
		free(have);
	}
	cJSON_ArrayForEach(id, fhir_get(want, "stillToComplete"))
	{
		const char *parent = NULL;
		const char *text = def_text(fhir_get(q, "item"), id->valuestring, &parent);
		/* a criterion's state item is listed by its criterion (the group's text) */
		int is_state = strlen(id->valuestring) > 6 &&
		               strcmp(id->valuestring + strlen(id->valuestring) - 6, ".state") == 0;

		CHECK(listed(detail, is_state ? parent : text), "%s: %s (%s) not listed", name,
		      id->valuestring, is_state ? parent : text);
	}
	for (const char *s = todo; s != NULL && (s = strstr(s, "\n- ")) != NULL; s += 3)
		lines++;
	CHECK(lines == cJSON_GetArraySize(fhir_get(want, "stillToComplete")),
	      "%s: %d lines still to complete, expected %d", name, lines,
	      cJSON_GetArraySize(fhir_get(want, "stillToComplete")));
}

static cJSON *read_json(const char *dir, const char *name)
{
	char path[1024];
	char *text;
	cJSON *json;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = testkit_read(path, NULL);
	json = text != NULL ? cJSON_Parse(text) : NULL;
	free(text);
	return json;
}

/* The checker must be able to fail: broken copies of a valid draft are refused. */
static void test_checker_fails(const struct engine *e, const cJSON *card, const cJSON *qr,
                               const char *user)
{
	struct problems p;
	cJSON *bad;
	cJSON *items;

	CHECK(check_draft(e, qr, card, user, NULL, &p) == 0, "the valid draft: %s", p.text);
	/* an unknown linkId */
	bad = cJSON_Duplicate(qr, 1);
	items = cJSON_GetObjectItemCaseSensitive(bad, "item");
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(items, 0), "linkId",
	                                       cJSON_CreateString("no-such-item"));
	CHECK(check_draft(e, bad, card, user, NULL, &p) > 0 && strstr(p.text, "no-such-item"),
	      "unknown linkId");
	cJSON_Delete(bad);
	/* an answer of the wrong type: intervention.name answered with a boolean */
	bad = cJSON_Duplicate(qr, 1);
	items = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(bad, "item"), 0), "item");
	cJSON_ReplaceItemInObjectCaseSensitive(
	    cJSON_GetArrayItem(
	        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "answer"), 0),
	    "valueString", cJSON_CreateTrue());
	CHECK(check_draft(e, bad, card, user, NULL, &p) > 0 && strstr(p.text, "exactly one"),
	      "wrong answer type: %s", p.text);
	cJSON_Delete(bad);
	/* a required item removed and not listed */
	bad = cJSON_Duplicate(qr, 1);
	cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(bad, "item"), 0);
	CHECK(check_draft(e, bad, card, user, NULL, &p) > 0 && strstr(p.text, "'intervention'"),
	      "required item missing: %s", p.text);
	cJSON_Delete(bad);
	/* the clinician's case for exceptionality invented */
	bad = cJSON_Duplicate(qr, 1);
	cJSON_AddItemToArray(
	    cJSON_GetObjectItemCaseSensitive(bad, "item"),
	    cJSON_Parse("{\"linkId\":\"exceptionality\",\"text\":\"The clinician's "
	                "case for clinical exceptionality: how this patient differs "
	                "from others with the same condition\",\"answer\":[{"
	                "\"valueString\":\"invented\"}]}"));
	CHECK(check_draft(e, bad, card, user, NULL, &p) > 0 && strstr(p.text, "cannot answer"),
	      "exceptionality answered: %s", p.text);
	cJSON_Delete(bad);
	/* wrong status and no author */
	bad = cJSON_Duplicate(qr, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(bad, "status", cJSON_CreateString("completed"));
	cJSON_DeleteItemFromObjectCaseSensitive(bad, "author");
	CHECK(check_draft(e, bad, card, user, NULL, &p) == 2, "status and author: %s", p.text);
	cJSON_Delete(bad);
}

int main(void)
{
	const char *src = getenv("CDS_SOURCE_DIR") ? getenv("CDS_SOURCE_DIR") : ".";
	const char *out_path = getenv("CDS_DRAFTS_OUT");
	char dir[1024];
	struct engine *e = NULL;
	struct collected errors = {{0}, 0, 0};
	struct engine_reporter rep = {collect_errors, &errors};
	cJSON *all = cJSON_CreateArray();
	int drafts[2] = {0, 0}, pinned = 0, shown_failing = 0;
	DIR *d;
	struct dirent *de;

	if (engine_load(engine_embedded_files, engine_embedded_file_count, &rep, &e) != FHIR_OK) {
		CHECK(0, "the embedded configuration does not load: %s", errors.text);
		return testkit_done();
	}
	cJSON_AddItemToArray(all, cJSON_Duplicate(engine_questionnaire(e, "gm070-ifr"), 1));
	cJSON_AddItemToArray(
	    all, cJSON_Duplicate(engine_questionnaire(e, "gm070-si-prior-approval"), 1));
	snprintf(dir, sizeof(dir), "%s/tests/vectors", src);
	d = opendir(dir);
	CHECK(d != NULL, "no %s", dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		char casedir[2048];
		cJSON *req, *exp;
		struct fhir_datetime now;
		struct fhir_error err;
		struct engine_result result = {0};
		const cJSON *cards[8], *qrs[8];
		int n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(casedir, sizeof(casedir), "%s/%s", dir, de->d_name);
		{
			char probe[2100];
			FILE *f;

			snprintf(probe, sizeof(probe), "%s/deployment.json", casedir);
			if ((f = fopen(probe, "r")) != NULL) { /* its own deployment: skipped */
				fclose(f);
				continue;
			}
		}
		req = read_json(casedir, "request.json");
		exp = read_json(casedir, "expected.json");
		if (req == NULL || exp == NULL || fhir_get_string(exp, "now") == NULL ||
		    fhir_datetime_parse(fhir_get_string(exp, "now"), &now, &err) != FHIR_OK ||
		    engine_assess(e, req, &now, &result, &err) != FHIR_OK ||
		    result.kind != ENGINE_ASSESSED) {
			cJSON_Delete(req);
			cJSON_Delete(exp);
			engine_result_clear(&result);
			continue;
		}
		n = for_drafts(result.response, cards, qrs, 8);
		for (int i = 0; i < n; i++) {
			struct problems p;
			cJSON *answered = cJSON_CreateArray();
			const char *user = fhir_get_string(fhir_get(req, "context"), "userId");
			const char *qurl = fhir_get_string(qrs[i], "questionnaire");

			CHECK(check_draft(e, qrs[i], cards[i], user, answered, &p) == 0,
			      "%s draft %d:\n%s", de->d_name, i, p.text);
			drafts[strstr(qurl, "prior-approval") != NULL]++;
			if (fhir_get(exp, "draft") != NULL && n == 1) {
				check_expected(e, de->d_name, fhir_get(exp, "draft"), cards[i],
				               qrs[i], answered);
				pinned++;
			}
			if (!shown_failing && strstr(qurl, "gm070-ifr") != NULL) {
				test_checker_fails(e, cards[i], qrs[i], user);
				shown_failing = 1;
			}
			cJSON_AddItemToArray(all, cJSON_Duplicate(qrs[i], 1));
			cJSON_Delete(answered);
		}
		CHECK(fhir_get(exp, "draft") == NULL || n == 1, "%s: expected one draft, %d",
		      de->d_name, n);
		cJSON_Delete(req);
		cJSON_Delete(exp);
		engine_result_clear(&result);
	}
	if (d != NULL)
		closedir(d);
	printf("drafts checked: %d IFR, %d prior approval; %d pinned by expected.json\n", drafts[0],
	       drafts[1], pinned);
	CHECK(drafts[0] > 0 && drafts[1] > 0, "drafts of both routes");
	CHECK(pinned >= 4, "the four draft vectors: %d", pinned);
	CHECK(shown_failing, "the checker was shown to fail");
	if (out_path != NULL) {
		FILE *f = fopen(out_path, "w");
		char *text = cJSON_PrintUnformatted(all);

		CHECK(f != NULL && fputs(text, f) >= 0, "write %s", out_path);
		if (f != NULL)
			fclose(f);
		free(text);
	}
	cJSON_Delete(all);
	engine_free(e);
	return testkit_done();
}
