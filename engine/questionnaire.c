/* questionnaire.c — loads and checks the FHIR R4 Questionnaires of policies/questionnaires/ (the
 * questions a commissioner's IFR or prior-approval panel asks, policies/README.md
 * "questionnaires"), compiles their SDC initialExpressions, links them to the policies that name
 * them, and finds them by id or url. Every error names the file and a JSON pointer. It reads no
 * patient data; drafting a response from an assessment is questionnaire_draft.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* FHIR R4 item-type value set (http://hl7.org/fhir/R4/valueset-item-type.html) without the
 * abstract `question`. */
static const char *const item_types[] = {
    "group",       "display",    "boolean",   "decimal",  "integer", "date",
    "dateTime",    "time",       "string",    "text",     "url",     "choice",
    "open-choice", "attachment", "reference", "quantity", NULL};
/* FHIR R4 publication-status. */
static const char *const statuses[] = {"draft", "active", "retired", "unknown", NULL};

#define SOURCE_URL  "urn:cds-commissioning:StructureDefinition:questionnaire-item-source"
#define PREFILL_URL "urn:cds-commissioning:StructureDefinition:questionnaire-prefill"
#define INITIAL_URL                                                                                \
	"http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-initialExpression"

struct qcheck {
	const char *file;
	const struct engine_reporter *rep;
	struct engine_questionnaire *q;
	const char **link_ids; /* every linkId seen (BORROWED) */
	size_t link_count, link_cap;
	int errors;
};

static void fail(struct qcheck *c, const char *pointer, const char *message)
{
	if (c->rep != NULL && c->rep->report != NULL)
		c->rep->report(c->rep->ctx, c->file, pointer, message);
	c->errors++;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* FHIR R4 id: [A-Za-z0-9\-\.]{1,64}. */
static int valid_id(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '.'))
			return 0;
	return n >= 1 && n <= 64;
}

static void add_expr(struct engine_questionnaire *q, const cJSON *item, struct fhir_path *expr)
{
	q->exprs = realloc(q->exprs, (q->expr_count + 1) * sizeof(*q->exprs));
	if (q->exprs == NULL)
		abort();
	q->exprs[q->expr_count].item = item;
	q->exprs[q->expr_count].expr = expr;
	q->expr_count++;
}

/* An item's extensions: the source (required, a non-empty valueString), the prefill (one of
 * criterion-state:ID, criterion-evidence:ID, all-evidence) and the SDC initialExpression
 * (text/fhirpath, compiled). */
static void check_extensions(struct qcheck *c, const cJSON *item, const char *ptr)
{
	const cJSON *ext, *list = fhir_get(item, "extension");
	char p[300], msg[600];
	int i = 0, sources = 0;

	if (list != NULL && !cJSON_IsArray(list)) {
		snprintf(p, sizeof(p), "%s/extension", ptr);
		fail(c, p, "'extension' must be an array");
		return;
	}
	cJSON_ArrayForEach(ext, list)
	{
		const char *url = fhir_get_string(ext, "url");

		snprintf(p, sizeof(p), "%s/extension/%d", ptr, i++);
		if (url == NULL || url[0] == '\0') {
			fail(c, p, "an extension needs a 'url'");
		} else if (strcmp(url, SOURCE_URL) == 0) {
			const char *v = fhir_get_string(ext, "valueString");

			sources++;
			if (v == NULL || v[0] == '\0')
				fail(c, p,
				     "the item source extension needs a non-empty valueString");
		} else if (strcmp(url, PREFILL_URL) == 0) {
			const char *v = fhir_get_string(ext, "valueString");
			const char *type = fhir_get_string(item, "type");

			if (v == NULL ||
			    !(strcmp(v, "all-evidence") == 0 ||
			      (strncmp(v, "criterion-state:", 16) == 0 && v[16] != '\0') ||
			      (strncmp(v, "criterion-evidence:", 19) == 0 && v[19] != '\0')))
				fail(c, p,
				     "prefill valueString is criterion-state:ID, "
				     "criterion-evidence:ID or all-evidence");
			else if (type != NULL &&
			         strcmp(type, strncmp(v, "criterion-state:", 16) == 0
			                          ? "choice"
			                          : "reference") != 0)
				fail(c, p,
				     "criterion-state prefills a choice item; "
				     "criterion-evidence and all-evidence a reference item");
		} else if (strcmp(url, INITIAL_URL) == 0) {
			const cJSON *value = fhir_get(ext, "valueExpression");
			const char *lang = fhir_get_string(value, "language");
			const char *text = fhir_get_string(value, "expression");
			struct fhir_path *expr = NULL;
			struct fhir_error err;

			if (lang == NULL || strcmp(lang, "text/fhirpath") != 0 || text == NULL) {
				fail(c, p,
				     "initialExpression needs valueExpression {language: "
				     "'text/fhirpath', expression}");
				continue;
			}
			if (engine_path_compile(text, &expr, &err) != FHIR_OK) {
				snprintf(msg, sizeof(msg), "initialExpression: %s", err.message);
				fail(c, p, msg);
				continue;
			}
			add_expr(c->q, item, expr);
		}
	}
	if (sources != 1) {
		snprintf(p, sizeof(p), "%s/extension", ptr);
		fail(c, p,
		     "every item cites its source: exactly one extension " SOURCE_URL
		     " with a valueString");
	}
}

/* One item and its children (FHIR R4 Questionnaire.item, invariants que-1, que-5, que-6). */
static void check_items(struct qcheck *c, const cJSON *items, const char *base)
{
	const cJSON *item;
	char ptr[256], p[300], msg[600];
	int i = 0;

	if (!cJSON_IsArray(items) || cJSON_GetArraySize(items) == 0) {
		snprintf(p, sizeof(p), "%s/item", base);
		fail(c, p, "'item' must be a non-empty array");
		return;
	}
	cJSON_ArrayForEach(item, items)
	{
		const char *link_id = fhir_get_string(item, "linkId");
		const char *type = fhir_get_string(item, "type");
		const cJSON *children = fhir_get(item, "item");
		const char *flags[] = {"required", "repeats", NULL};

		snprintf(ptr, sizeof(ptr), "%s/item/%d", base, i++);
		if (!cJSON_IsObject(item)) {
			fail(c, ptr, "an item is a JSON object");
			continue;
		}
		if (link_id == NULL || link_id[0] == '\0') {
			snprintf(p, sizeof(p), "%s/linkId", ptr);
			fail(c, p, "missing required string 'linkId'");
		} else {
			for (size_t k = 0; k < c->link_count; k++)
				if (strcmp(c->link_ids[k], link_id) == 0) {
					snprintf(p, sizeof(p), "%s/linkId", ptr);
					snprintf(msg, sizeof(msg), "linkId '%.100s' is not unique",
					         link_id);
					fail(c, p, msg);
				}
			if (c->link_count == c->link_cap) {
				c->link_cap = c->link_cap ? c->link_cap * 2 : 32;
				c->link_ids =
				    realloc(c->link_ids, c->link_cap * sizeof(*c->link_ids));
				if (c->link_ids == NULL)
					abort();
			}
			c->link_ids[c->link_count++] = link_id;
		}
		if (type == NULL || !in_list(type, item_types)) {
			snprintf(p, sizeof(p), "%s/type", ptr);
			fail(c, p,
			     "'type' must be a code of the FHIR R4 item-type value set (group, "
			     "display, boolean, decimal, integer, date, dateTime, time, string, "
			     "text, url, choice, open-choice, attachment, reference, quantity)");
		}
		if (fhir_get(item, "text") != NULL && !cJSON_IsString(fhir_get(item, "text"))) {
			snprintf(p, sizeof(p), "%s/text", ptr);
			fail(c, p, "'text' must be a string");
		}
		for (const char **f = flags; *f != NULL; f++) {
			const cJSON *v = fhir_get(item, *f);

			snprintf(p, sizeof(p), "%s/%s", ptr, *f);
			if (v != NULL && !cJSON_IsBool(v))
				fail(c, p, "must be true or false");
			if (v != NULL && type != NULL && strcmp(type, "display") == 0)
				fail(c, p, "display items are neither required nor repeat (que-6)");
		}
		if (fhir_get(item, "answerOption") != NULL &&
		    (type == NULL ||
		     (strcmp(type, "choice") != 0 && strcmp(type, "open-choice") != 0))) {
			snprintf(p, sizeof(p), "%s/answerOption", ptr);
			fail(c, p, "only choice and open-choice items have answerOption (que-5)");
		}
		check_extensions(c, item, ptr);
		if (type != NULL && strcmp(type, "group") == 0)
			check_items(c, children, ptr); /* que-1: groups have items */
		else if (children != NULL) {
			snprintf(p, sizeof(p), "%s/item", ptr);
			fail(c, p, "only group items have nested items here (que-1)");
		}
	}
}

int engine__questionnaire_load(struct engine *e, cJSON *json, const char *file,
                               const struct engine_reporter *rep)
{
	struct engine_questionnaire q = {0};
	struct qcheck c = {file, rep, &q, NULL, 0, 0, 0};
	const char *s;

	q.file = engine__strdup(file);
	q.json = json;
	if (!cJSON_IsObject(json)) {
		fail(&c, "", "a Questionnaire file holds one JSON object");
		goto out;
	}
	s = fhir_get_string(json, "resourceType");
	if (s == NULL || strcmp(s, "Questionnaire") != 0)
		fail(&c, "/resourceType", "resourceType must be 'Questionnaire'");
	q.id = fhir_get_string(json, "id");
	if (q.id == NULL || !valid_id(q.id))
		fail(&c, "/id", "'id' must be a FHIR id ([A-Za-z0-9-.]{1,64})");
	q.url = fhir_get_string(json, "url");
	if (q.url == NULL || q.url[0] == '\0' || strchr(q.url, '|') != NULL)
		fail(&c, "/url", "'url' must be a non-empty canonical url (without '|')");
	q.version = fhir_get_string(json, "version");
	s = fhir_get_string(json, "status");
	if (s == NULL || !in_list(s, statuses))
		fail(&c, "/status", "'status' must be draft, active, retired or unknown");
	check_items(&c, fhir_get(json, "item"), "");
	for (size_t i = 0; q.id != NULL && q.url != NULL && i < e->questionnaire_count; i++)
		if (e->questionnaires[i].id != NULL && /* NULL: one refused above */
		    (strcmp(e->questionnaires[i].id, q.id) == 0 ||
		     strcmp(e->questionnaires[i].url, q.url) == 0))
			fail(&c, "/id", "another Questionnaire has the same id or url");
out:
	free(c.link_ids);
	e->questionnaires =
	    realloc(e->questionnaires, (e->questionnaire_count + 1) * sizeof(*e->questionnaires));
	if (e->questionnaires == NULL)
		abort();
	if (c.errors != 0) { /* kept for freeing, never found */
		q.id = NULL;
		q.url = NULL;
	}
	e->questionnaires[e->questionnaire_count++] = q;
	return c.errors;
}

/* The criterion ids a Questionnaire's prefill extensions name must be criteria of `p`. */
static int check_criteria(const struct engine_questionnaire *q, const cJSON *items,
                          const char *base, const struct engine_policy *p,
                          const struct engine_reporter *rep)
{
	const cJSON *item, *ext;
	int errors = 0, i = 0;

	cJSON_ArrayForEach(item, items)
	{
		char ptr[256];
		int j = 0;

		snprintf(ptr, sizeof(ptr), "%s/item/%d", base, i++);
		cJSON_ArrayForEach(ext, fhir_get(item, "extension"))
		{
			char where[300];

			snprintf(where, sizeof(where), "%s/extension/%d/valueString", ptr, j++);
			const char *url = fhir_get_string(ext, "url");
			const char *v = fhir_get_string(ext, "valueString");
			const char *id = NULL;
			size_t k;

			if (url == NULL || strcmp(url, PREFILL_URL) != 0 || v == NULL)
				continue;
			if (strncmp(v, "criterion-state:", 16) == 0)
				id = v + 16;
			else if (strncmp(v, "criterion-evidence:", 19) == 0)
				id = v + 19;
			if (id == NULL)
				continue;
			for (k = 0; k < p->criterion_count; k++)
				if (strcmp(p->criteria[k].id, id) == 0)
					break;
			if (k == p->criterion_count) {
				char msg[300];

				snprintf(msg, sizeof(msg),
				         "prefill names criterion '%.60s', which policy '%.60s' "
				         "does not have (item '%.60s')",
				         id, p->id, fhir_get_string(item, "linkId"));
				if (rep != NULL && rep->report != NULL)
					rep->report(rep->ctx, q->file, where, msg);
				errors++;
			}
		}
		errors += check_criteria(q, fhir_get(item, "item"), ptr, p, rep);
	}
	return errors;
}

static long find(const struct engine *e, const char *id_or_url)
{
	size_t n = strcspn(id_or_url, "|");

	for (size_t i = 0; i < e->questionnaire_count; i++) {
		const struct engine_questionnaire *q = &e->questionnaires[i];

		if (q->id == NULL)
			continue;
		if (strcmp(q->id, id_or_url) == 0 ||
		    (strncmp(q->url, id_or_url, n) == 0 && q->url[n] == '\0'))
			return (long)i;
	}
	return -1;
}

int engine__questionnaires_link(struct engine *e, const struct engine_reporter *rep)
{
	static const char *const routes[ENGINE_ROUTE_COUNT] = {"ifr", "prior-approval"};
	int errors = 0;

	for (size_t i = 0; i < e->policy_count; i++) {
		struct engine_policy *p = &e->policies[i];
		const cJSON *member;

		p->questionnaire_for[0] = p->questionnaire_for[1] = -1;
		if (p->questionnaires == NULL)
			continue;
		if (!cJSON_IsObject(p->questionnaires)) {
			if (rep != NULL && rep->report != NULL)
				rep->report(rep->ctx, p->file, "/questionnaires",
				            "must be an object {\"ifr\" | \"prior-approval\": "
				            "Questionnaire url}");
			errors++;
			continue;
		}
		cJSON_ArrayForEach(member, p->questionnaires)
		{
			char ptr[160];
			int r = -1;
			long q;

			snprintf(ptr, sizeof(ptr), "/questionnaires/%.100s", member->string);
			for (int k = 0; k < ENGINE_ROUTE_COUNT; k++)
				if (strcmp(member->string, routes[k]) == 0)
					r = k;
			q = cJSON_IsString(member) ? find(e, member->valuestring) : -1;
			if (r < 0 || q < 0) {
				if (rep != NULL && rep->report != NULL)
					rep->report(rep->ctx, p->file, ptr,
					            r < 0 ? "keys are 'ifr' or 'prior-approval'"
					                  : "names no loaded Questionnaire "
					                    "(policies/questionnaires/)");
				errors++;
				continue;
			}
			p->questionnaire_for[r] = q;
			errors +=
			    check_criteria(&e->questionnaires[q],
			                   fhir_get(e->questionnaires[q].json, "item"), "", p, rep);
		}
	}
	return errors;
}

void engine__questionnaires_free(struct engine *e)
{
	for (size_t i = 0; i < e->questionnaire_count; i++) {
		struct engine_questionnaire *q = &e->questionnaires[i];

		for (size_t k = 0; k < q->expr_count; k++)
			fhir_path_free(q->exprs[k].expr);
		free(q->exprs);
		free(q->file);
		cJSON_Delete(q->json);
	}
	free(e->questionnaires);
	e->questionnaires = NULL;
	e->questionnaire_count = 0;
}

const struct fhir_path *engine__questionnaire_expr(const struct engine_questionnaire *q,
                                                   const cJSON *item)
{
	for (size_t k = 0; k < q->expr_count; k++)
		if (q->exprs[k].item == item)
			return q->exprs[k].expr;
	return NULL;
}

const cJSON *engine_questionnaire(const struct engine *e, const char *id_or_url)
{
	long i = id_or_url != NULL ? find(e, id_or_url) : -1;

	return i < 0 ? NULL : e->questionnaires[i].json;
}
