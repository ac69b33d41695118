/* test_examples.c — posts every request body in $CDS_SHARED_DIR/examples/ and examples/sandbox/
 * through cds_handle (embedded policies) and checks each reply: 200, the CDS Hooks 2.0 card
 * rules on every card, no cards for the US payer (Inferno) and sandbox bodies, and one HNY 142
 * card for the UK knee injection's selected order only. Files that are not requests (JWKS, the
 * conditions bundle, the CPT list) are skipped. Ends with "N passed, M failed". */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds.h"

#define NOW                     "2025-01-15T12:00:00Z"
#define SUMMARY_MAX_CODE_POINTS 139
#define MAX_FILES               1000

struct checker {
	const char *name; /* the case name, printed with every failure */
	int failures;
};

static void failf(struct checker *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void failf(struct checker *c, const char *field, const char *fmt, ...)
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
static char *read_file(const char *path, size_t *length)
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
static int make_path(char *buf, size_t size, const char *a, const char *b, const char *c)
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
			failf(c, sub, "null value");
		else if (cJSON_IsString(child) && child->valuestring[0] == '\0')
			failf(c, sub, "empty string");
		else if ((cJSON_IsArray(child) || cJSON_IsObject(child)) && child->child == NULL &&
		         !cards)
			failf(c, sub, "empty %s", cJSON_IsArray(child) ? "array" : "object");
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
		failf(c, field, "action without a description");
	if (type == NULL) {
		failf(c, field, "action without a type");
	} else if (strcmp(type, "delete") == 0) {
		const char *id = fhir_get_string(action, "resourceId");

		if (id == NULL || !in_draft_orders(request, id))
			failf(c, field, "delete resourceId '%s' names no draftOrders entry",
			      id != NULL ? id : "(none)");
		if (resource != NULL)
			failf(c, field, "delete carries a resource");
	} else if (strcmp(type, "create") == 0 || strcmp(type, "update") == 0) {
		if (!cJSON_IsObject(resource) || fhir_get_string(resource, "resourceType") == NULL)
			failf(c, field, "%s without a resource with a resourceType", type);
		if (strcmp(type, "update") == 0) {
			char buf[300];
			const char *ref = fhir_resource_ref(resource, buf, sizeof(buf));

			if (ref == NULL || !in_draft_orders(request, ref))
				failf(c, field, "update of '%s', not a draftOrders entry",
				      ref != NULL ? ref : "(no id)");
		}
	} else {
		failf(c, field, "action type '%s' is not create, update or delete", type);
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
		failf(c, field, "no summary");
	else if (code_points(summary) > SUMMARY_MAX_CODE_POINTS)
		failf(c, field, "summary has %zu code points (limit 139): %s", code_points(summary),
		      summary);
	if (indicator == NULL ||
	    (strcmp(indicator, "info") != 0 && strcmp(indicator, "warning") != 0 &&
	     strcmp(indicator, "critical") != 0))
		failf(c, field, "indicator '%s'", indicator != NULL ? indicator : "(none)");
	if (!nonempty_string(fhir_get(source, "label")))
		failf(c, field, "source.label missing");
	if (!nonempty_string(fhir_get(topic, "system")) ||
	    !nonempty_string(fhir_get(topic, "code")))
		failf(c, field, "source.topic without system and code");
	if (!nonempty_string(fhir_get(card, "uuid")))
		failf(c, field, "no uuid");
	if ((suggestions != NULL) != (fhir_get(card, "selectionBehavior") != NULL))
		failf(c, field, "selectionBehavior present %s suggestions",
		      suggestions != NULL ? "without" : "with no");
	j = 0;
	cJSON_ArrayForEach(item, suggestions)
	{
		char sfield[160];
		const cJSON *action;
		int k = 0;

		snprintf(sfield, sizeof(sfield), "%s.suggestions[%d]", field, j++);
		if (!nonempty_string(fhir_get(item, "uuid")))
			failf(c, sfield, "no uuid");
		if (!nonempty_string(fhir_get(item, "label")))
			failf(c, sfield, "no label");
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
			failf(c, ofield, "needs system, code and display");
	}
	j = 0;
	cJSON_ArrayForEach(item, fhir_get(card, "links"))
	{
		char lfield[160];
		const char *url = fhir_get_string(item, "url");
		const char *type = fhir_get_string(item, "type");

		snprintf(lfield, sizeof(lfield), "%s.links[%d]", field, j++);
		if (!nonempty_string(fhir_get(item, "label")))
			failf(c, lfield, "no label");
		if (url == NULL || strncmp(url, "https://", 8) != 0 || url[8] == '\0')
			failf(c, lfield, "url '%s' is not an absolute https URL",
			      url ? url : "(none)");
		if (type == NULL || strcmp(type, "absolute") != 0)
			failf(c, lfield, "type '%s', want absolute", type ? type : "(none)");
	}
}

/* Generic checks on a whole 200 response body. */
static void check_response(struct checker *c, const cJSON *response, const cJSON *request)
{
	const cJSON *cards = fhir_get(response, "cards");
	const cJSON *actions = fhir_get(response, "systemActions");
	const cJSON *item;
	int i = 0;

	if (!cJSON_IsArray(cards)) {
		failf(c, "cards", "response has no cards array");
		return;
	}
	check_no_empty(c, response, "", 1);
	cJSON_ArrayForEach(item, cards)
	{
		check_card(c, item, i, request);
		i++;
	}
	if (actions != NULL && !cJSON_IsArray(actions))
		failf(c, "systemActions", "not an array");
	i = 0;
	cJSON_ArrayForEach(item, actions)
	{
		char field[64];

		snprintf(field, sizeof(field), "systemActions[%d]", i++);
		check_action(c, item, field, request);
	}
}

/* What a file expects beyond the generic checks. */
static void check_expectations(struct checker *c, const char *file, const cJSON *response)
{
	const cJSON *cards = fhir_get(response, "cards");
	int n = cJSON_GetArraySize(cards);

	if (strncmp(file, "inferno-", 8) == 0 || strncmp(file, "sandbox/", 8) == 0) {
		if (n != 0)
			failf(c, "cards", "%d cards, want none (no UK MSK order)", n);
	} else if (strcmp(file, "uk-msk-order-select-knee-injection.json") == 0) {
		const cJSON *a = fhir_get(fhir_get(cJSON_GetArrayItem(cards, 0), "extension"),
		                          "cds-commissioning.assessment");
		const char *policy = fhir_get_string(a, "policy");
		const char *order = fhir_get_string(a, "order");

		if (n != 1)
			failf(c, "cards", "%d cards, want 1 (HNY 142 for the selected order only)",
			      n);
		if (policy == NULL || strcmp(policy, "hny-142-usgi") != 0)
			failf(c, "cards[0]", "policy '%s', want hny-142-usgi",
			      policy ? policy : "(none)");
		if (order == NULL || strcmp(order, "ServiceRequest/sr-knee-injection-us") != 0)
			failf(c, "cards[0]", "order '%s', want ServiceRequest/sr-knee-injection-us",
			      order ? order : "(none)");
	}
}

/* Runs one file (`file` relative to the examples folder). Returns 1 passed, 0 failed, -1 when
 * the file is not a CDS Hooks request. */
static int run_file(struct cds_app *app, const char *dir, const char *file)
{
	struct checker c = {file, 0};
	char path[4096];
	char *body;
	size_t length = 0;
	cJSON *request, *response = NULL;
	const char *hook;
	struct fhir_datetime now;
	struct fhir_error err;
	struct cds_request req;
	struct cds_reply reply = {0};

	body = make_path(path, sizeof(path), dir, file, "") ? read_file(path, &length) : NULL;
	request = body != NULL ? cJSON_Parse(body) : NULL;
	hook = fhir_get_string(request, "hook");
	if (hook == NULL || fhir_get(request, "context") == NULL) {
		cJSON_Delete(request);
		free(body);
		return -1;
	}
	if (fhir_datetime_parse(NOW, &now, &err) != FHIR_OK)
		abort();
	req.method = "POST";
	req.path = strcmp(hook, "order-sign") == 0 ? "/cds-services/" CDS_SERVICE_ORDER_SIGN
	                                           : "/cds-services/" CDS_SERVICE_ORDER_SELECT;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = length;
	req.now = &now;
	cds_handle(app, &req, &reply);
	if (reply.status != 200) {
		failf(&c, "status", "%u, want 200; body %.300s", reply.status,
		      reply.body != NULL ? reply.body : "");
		goto out;
	}
	response = reply.body != NULL ? cJSON_Parse(reply.body) : NULL;
	if (response == NULL) {
		failf(&c, "body", "reply body is not JSON");
		goto out;
	}
	check_response(&c, response, request);
	check_expectations(&c, file, response);
out:
	cds_reply_clear(&reply);
	cJSON_Delete(response);
	cJSON_Delete(request);
	free(body);
	return c.failures == 0;
}

static void print_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	printf("config: %s#%s: %s\n", file, pointer, message);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the *.json names of `dir`/`sub` (as "sub/name", or "name" when sub is "") to names. */
static void list_json(const char *dir, const char *sub, char **names, size_t *count)
{
	char path[4096];
	DIR *d;
	const struct dirent *ent;

	if (!make_path(path, sizeof(path), dir, sub, ""))
		return;
	d = opendir(path);
	if (d == NULL)
		return;
	while ((ent = readdir(d)) != NULL && *count < MAX_FILES) {
		size_t len = strlen(ent->d_name);
		size_t need = strlen(sub) + 1 + len + 1;

		if (len < 6 || strcmp(ent->d_name + len - 5, ".json") != 0)
			continue;
		names[*count] = malloc(need);
		if (names[*count] == NULL)
			abort();
		snprintf(names[*count], need, "%s%s%s", sub, sub[0] != '\0' ? "/" : "",
		         ent->d_name);
		(*count)++;
	}
	closedir(d);
}

/* Runs every example request; exit status 1 when any fails. */
int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char dir[4096];
	struct cds_app_options opts = {NULL, NULL, "-"};
	struct engine_reporter rep = {print_error, NULL};
	struct cds_app *app = NULL;
	char *names[MAX_FILES];
	size_t count = 0, i;
	int passed = 0, failed = 0;

	snprintf(dir, sizeof(dir), "%s/examples", shared != NULL ? shared : "../shared");
	if (cds_app_new(&opts, &rep, &app) != FHIR_OK) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	list_json(dir, "", names, &count);
	list_json(dir, "sandbox", names, &count);
	qsort(names, count, sizeof(names[0]), by_name);
	for (i = 0; i < count; i++) {
		int rc = run_file(app, dir, names[i]);

		if (rc > 0)
			passed++;
		else if (rc == 0)
			failed++;
		else
			printf("skip %s: not a CDS Hooks request\n", names[i]);
		free(names[i]);
	}
	if (passed + failed == 0) {
		printf("FAIL %s: no example requests\n", dir);
		failed++;
	}
	cds_app_free(app);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
