/* cardcheck.c — the CDS Hooks 2.0 rules every response of ours must meet, checked the same way
 * by the decision-vector and shared-example runners: the null/empty rule, cards (C1–C10) and
 * actions (X1–X4), with each failure printed under the case's name. Test support only. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardcheck.h"

#define SUMMARY_MAX_CODE_POINTS 139

void checker_fail(struct checker *c, const char *field, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: %s: ", c->name, field);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	c->failures++;
}

/* Reads a whole file. NEW: the NUL-terminated bytes (free), or NULL; *length receives the size. */
char *checker_read_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t size = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - size < 4096) {
			char *grown = realloc(buf, cap + 65536);

			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
			cap += 65536;
		}
		n = fread(buf + size, 1, cap - size - 1, f);
		size += n;
	} while (n > 0);
	fclose(f);
	buf[size] = '\0';
	if (length != NULL)
		*length = size;
	return buf;
}

/* Writes "a/b<c>" into buf; returns 0 when it does not fit. */
int checker_path(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf, size, "%s/%s%s", a, b, c);

	return n >= 0 && (size_t)n < size;
}

static size_t code_points(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0u) != 0x80u)
			n++;
	return n;
}

static int nonempty_string(const cJSON *item)
{
	return cJSON_IsString(item) && item->valuestring[0] != '\0';
}

/* CDS Hooks 2.0 intro: no null, "", [] or {} anywhere except a top-level "cards": []. */
static void check_no_empty(struct checker *c, const cJSON *node, const char *path, int top)
{
	const cJSON *child;
	int i = 0;

	cJSON_ArrayForEach(child, node)
	{
		char sub[512];
		int cards = top && child->string != NULL && strcmp(child->string, "cards") == 0;

		if (child->string != NULL)
			snprintf(sub, sizeof(sub), "%s/%s", path, child->string);
		else
			snprintf(sub, sizeof(sub), "%s/%d", path, i);
		i++;
		if (cJSON_IsNull(child))
			checker_fail(c, sub, "null value");
		else if (cJSON_IsString(child) && child->valuestring[0] == '\0')
			checker_fail(c, sub, "empty string");
		else if ((cJSON_IsArray(child) || cJSON_IsObject(child)) && child->child == NULL &&
		         !cards)
			checker_fail(c, sub, "empty %s", cJSON_IsArray(child) ? "array" : "object");
		else if (cJSON_IsArray(child) || cJSON_IsObject(child))
			check_no_empty(c, child, sub, 0);
	}
}

/* 1 when "Type/id" names a resource in the request's context.draftOrders. */
static int in_draft_orders(const cJSON *request, const char *ref)
{
	const cJSON *entries =
	    fhir_get(fhir_get(fhir_get(request, "context"), "draftOrders"), "entry");
	const cJSON *entry;

	cJSON_ArrayForEach(entry, entries)
	{
		char buf[300];
		const char *have = fhir_resource_ref(fhir_get(entry, "resource"), buf, sizeof(buf));

		if (have != NULL && strcmp(have, ref) == 0)
			return 1;
	}
	return 0;
}

/* CDS Hooks 2.0 §Action (checklist X1–X4). */
static void check_action(struct checker *c, const cJSON *action, const char *field,
                         const cJSON *request)
{
	const char *type = fhir_get_string(action, "type");
	const cJSON *resource = fhir_get(action, "resource");

	if (!nonempty_string(fhir_get(action, "description")))
		checker_fail(c, field, "action without a description");
	if (type == NULL) {
		checker_fail(c, field, "action without a type");
	} else if (strcmp(type, "delete") == 0) {
		const char *id = fhir_get_string(action, "resourceId");

		if (id == NULL || !in_draft_orders(request, id))
			checker_fail(c, field, "delete resourceId '%s' names no draftOrders entry",
			             id != NULL ? id : "(none)");
		if (resource != NULL)
			checker_fail(c, field, "delete carries a resource");
	} else if (strcmp(type, "create") == 0 || strcmp(type, "update") == 0) {
		if (!cJSON_IsObject(resource) || fhir_get_string(resource, "resourceType") == NULL)
			checker_fail(c, field, "%s without a resource with a resourceType", type);
		if (strcmp(type, "update") == 0) {
			char buf[300];
			const char *ref = fhir_resource_ref(resource, buf, sizeof(buf));

			if (ref == NULL || !in_draft_orders(request, ref))
				checker_fail(c, field, "update of '%s', not a draftOrders entry",
				             ref != NULL ? ref : "(no id)");
		}
	} else {
		checker_fail(c, field, "action type '%s' is not create, update or delete", type);
	}
}

/* Issue 10 item 6, cards a GP trusts: source.url on every card; criteria shown by label, never
 * by internal id (the ids stay in extension."cds-commissioning.assessment"); evidence cited by
 * publication, never by file name; "both knees", not "bilateral knee"; a critical card links
 * the pathway to act on. */
static void check_card_text(struct checker *c, const cJSON *card, const char *field)
{
	const char *summary = fhir_get_string(card, "summary");
	const char *detail = fhir_get_string(card, "detail");
	const char *indicator = fhir_get_string(card, "indicator");
	const cJSON *criterion;

	if (!nonempty_string(fhir_get(fhir_get(card, "source"), "url")))
		checker_fail(c, field, "source.url missing");
	if (summary != NULL && strstr(summary, "bilateral") != NULL)
		checker_fail(c, field, "summary says 'bilateral' (write 'both knees'): %s",
		             summary);
	if (indicator != NULL && strcmp(indicator, "critical") == 0 &&
	    cJSON_GetArraySize(fhir_get(card, "links")) == 0)
		checker_fail(c, field, "a critical card without a link to the pathway to act on");
	if (detail == NULL)
		return;
	if (strstr(detail, ".txt") != NULL || strstr(detail, "seed 0") != NULL ||
	    strstr(detail, "Seed 0") != NULL)
		checker_fail(c, field, "the detail cites a file name, not a publication");
	cJSON_ArrayForEach(criterion, fhir_get(fhir_get(fhir_get(card, "extension"),
	                                                "cds-commissioning.assessment"),
	                                       "criteria"))
	{
		const char *id = fhir_get_string(criterion, "id");
		char shown[96];

		if (id == NULL)
			continue;
		snprintf(shown, sizeof(shown), "(%s)", id);
		if (strstr(detail, shown) != NULL)
			checker_fail(c, field, "the detail shows criterion id %s, not its label",
			             shown);
	}
}

/* CDS Hooks 2.0 §Card (checklist C1–C10) for card `i` of a response. */
static void check_card(struct checker *c, const cJSON *card, int i, const cJSON *request)
{
	char field[128];
	const char *summary = fhir_get_string(card, "summary");
	const char *indicator = fhir_get_string(card, "indicator");
	const cJSON *source = fhir_get(card, "source");
	const cJSON *topic = fhir_get(source, "topic");
	const cJSON *suggestions = fhir_get(card, "suggestions");
	const cJSON *item;
	int j;

	snprintf(field, sizeof(field), "cards[%d]", i);
	if (summary == NULL)
		checker_fail(c, field, "no summary");
	else if (code_points(summary) > SUMMARY_MAX_CODE_POINTS)
		checker_fail(c, field, "summary has %zu code points (limit 139): %s",
		             code_points(summary), summary);
	if (indicator == NULL ||
	    (strcmp(indicator, "info") != 0 && strcmp(indicator, "warning") != 0 &&
	     strcmp(indicator, "critical") != 0))
		checker_fail(c, field, "indicator '%s'", indicator != NULL ? indicator : "(none)");
	if (!nonempty_string(fhir_get(source, "label")))
		checker_fail(c, field, "source.label missing");
	check_card_text(c, card, field);
	if (!nonempty_string(fhir_get(topic, "system")) ||
	    !nonempty_string(fhir_get(topic, "code")))
		checker_fail(c, field, "source.topic without system and code");
	if (!nonempty_string(fhir_get(card, "uuid")))
		checker_fail(c, field, "no uuid");
	if ((suggestions != NULL) != (fhir_get(card, "selectionBehavior") != NULL))
		checker_fail(c, field, "selectionBehavior present %s suggestions",
		             suggestions != NULL ? "without" : "with no");
	j = 0;
	cJSON_ArrayForEach(item, suggestions)
	{
		char sfield[160];
		const cJSON *action;
		int k = 0;

		snprintf(sfield, sizeof(sfield), "%s.suggestions[%d]", field, j++);
		if (!nonempty_string(fhir_get(item, "uuid")))
			checker_fail(c, sfield, "no uuid");
		if (!nonempty_string(fhir_get(item, "label")))
			checker_fail(c, sfield, "no label");
		cJSON_ArrayForEach(action, fhir_get(item, "actions"))
		{
			char afield[200];

			snprintf(afield, sizeof(afield), "%s.actions[%d]", sfield, k++);
			check_action(c, action, afield, request);
		}
	}
	j = 0;
	cJSON_ArrayForEach(item, fhir_get(card, "overrideReasons"))
	{
		char ofield[160];

		snprintf(ofield, sizeof(ofield), "%s.overrideReasons[%d]", field, j++);
		if (!nonempty_string(fhir_get(item, "system")) ||
		    !nonempty_string(fhir_get(item, "code")) ||
		    !nonempty_string(fhir_get(item, "display")))
			checker_fail(c, ofield, "needs system, code and display");
	}
	j = 0;
	cJSON_ArrayForEach(item, fhir_get(card, "links"))
	{
		char lfield[160];
		const char *url = fhir_get_string(item, "url");
		const char *type = fhir_get_string(item, "type");

		snprintf(lfield, sizeof(lfield), "%s.links[%d]", field, j++);
		if (!nonempty_string(fhir_get(item, "label")))
			checker_fail(c, lfield, "no label");
		if (url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0')
			checker_fail(c, lfield, "url '%s' is not an absolute https URL",
			             url ? url : "(none)");
		if (type == NULL || strcmp(type, "absolute") != 0)
			checker_fail(c, lfield, "type '%s', want absolute", type ? type : "(none)");
	}
}

/* Generic checks on a whole 200 response body. */
void checker_check_response(struct checker *c, const cJSON *response, const cJSON *request)
{
	const cJSON *cards = fhir_get(response, "cards");
	const cJSON *actions = fhir_get(response, "systemActions");
	const cJSON *item;
	int i = 0;

	if (!cJSON_IsArray(cards)) {
		checker_fail(c, "cards", "response has no cards array");
		return;
	}
	check_no_empty(c, response, "", 1);
	cJSON_ArrayForEach(item, cards)
	{
		check_card(c, item, i, request);
		i++;
	}
	if (actions != NULL && !cJSON_IsArray(actions))
		checker_fail(c, "systemActions", "not an array");
	i = 0;
	cJSON_ArrayForEach(item, actions)
	{
		char field[64];

		snprintf(field, sizeof(field), "systemActions[%d]", i++);
		check_action(c, item, field, request);
	}
}
