/* test_vectors.c — runs the decision vectors tests/vectors/<case>/{request,expected}.json: posts
 * each request through cds_handle (embedded policies, no decision log; a case folder may hold a
 * deployment.json that replaces the demo deployment for that case), compares status, cards,
 * decision-log records, system actions and 412 diagnostics with expected.json, and checks every
 * card against the CDS Hooks 2.0 card rules. Ends with "N passed, M failed". */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cds.h"

#define DEFAULT_NOW             "2025-01-15T12:00:00Z"
#define SUMMARY_MAX_CODE_POINTS 139
#define MAX_CASES               1000

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

/* Parses a JSON file. NEW: the tree (cJSON_Delete), or NULL. */
static cJSON *read_json(const char *path)
{
	char *text = read_file(path, NULL);
	cJSON *json = text != NULL ? cJSON_Parse(text) : NULL;

	free(text);
	return json;
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

/* Compares a string member of `have` with the one of `want` (both may lack it). */
static void compare_string(struct checker *c, const char *field, const cJSON *have,
                           const cJSON *want, const char *name)
{
	const char *h = fhir_get_string(have, name);
	const char *w = fhir_get_string(want, name);

	if ((h == NULL) != (w == NULL) || (h != NULL && strcmp(h, w) != 0))
		failf(c, field, "%s is '%s', want '%s'", name, h ? h : "(none)", w ? w : "(none)");
}

/* Expected recommendations (ordered list) and criteria (map id -> state) against a card. */
static void compare_assessment(struct checker *c, const char *field, const cJSON *assessment,
                               const cJSON *want)
{
	const cJSON *have_recs = fhir_get(assessment, "recommendations");
	const cJSON *want_recs = fhir_get(want, "recommendations");
	const cJSON *have_crit = fhir_get(assessment, "criteria");
	const cJSON *want_crit = fhir_get(want, "criteria");
	const cJSON *item;
	int i, n;

	compare_string(c, field, assessment, want, "policy");
	compare_string(c, field, assessment, want, "order");
	compare_string(c, field, assessment, want, "decision");
	n = cJSON_GetArraySize(want_recs);
	if (cJSON_GetArraySize(have_recs) != n) {
		failf(c, field, "%d recommendations, want %d", cJSON_GetArraySize(have_recs), n);
	} else {
		for (i = 0; i < n; i++) {
			const cJSON *h = cJSON_GetArrayItem(have_recs, i);
			const cJSON *w = cJSON_GetArrayItem(want_recs, i);

			if (!cJSON_IsString(h) || !cJSON_IsString(w) ||
			    strcmp(h->valuestring, w->valuestring) != 0)
				failf(c, field, "recommendations[%d] is '%s', want '%s'", i,
				      cJSON_IsString(h) ? h->valuestring : "?",
				      cJSON_IsString(w) ? w->valuestring : "?");
		}
	}
	n = 0;
	cJSON_ArrayForEach(item, want_crit)
	{
		const cJSON *found = NULL;
		const cJSON *h;

		n++;
		cJSON_ArrayForEach(h, have_crit)
		{
			const char *id = fhir_get_string(h, "id");

			if (id != NULL && item->string != NULL && strcmp(id, item->string) == 0)
				found = h;
		}
		if (found == NULL)
			failf(c, field, "criterion %s not on the card", item->string);
		else if (!cJSON_IsString(item) || fhir_get_string(found, "state") == NULL ||
		         strcmp(fhir_get_string(found, "state"), item->valuestring) != 0)
			failf(c, field, "criterion %s is %s, want %s", item->string,
			      fhir_get_string(found, "state") ? fhir_get_string(found, "state")
			                                      : "?",
			      cJSON_IsString(item) ? item->valuestring : "?");
	}
	if (cJSON_GetArraySize(have_crit) != n) {
		failf(c, field,
		      "the card lists %d criteria, want %d:", cJSON_GetArraySize(have_crit), n);
		cJSON_ArrayForEach(item, have_crit) printf(
		    "    %s=%s\n", fhir_get_string(item, "id") ? fhir_get_string(item, "id") : "?",
		    fhir_get_string(item, "state") ? fhir_get_string(item, "state") : "?");
	}
}

/* Cards of the reply against expected "cards". */
static void compare_cards(struct checker *c, const cJSON *response, const cJSON *expected)
{
	const cJSON *cards = fhir_get(response, "cards");
	const cJSON *want = fhir_get(expected, "cards");
	int i, n = cJSON_GetArraySize(want);

	if (cJSON_GetArraySize(cards) != n) {
		const cJSON *card;

		failf(c, "cards", "%d cards, want %d", cJSON_GetArraySize(cards), n);
		cJSON_ArrayForEach(card, cards)
		{
			const cJSON *a =
			    fhir_get(fhir_get(card, "extension"), "cds-commissioning.assessment");

			printf("    card %s %s %s\n",
			       fhir_get_string(a, "policy") ? fhir_get_string(a, "policy") : "?",
			       fhir_get_string(a, "order") ? fhir_get_string(a, "order") : "?",
			       fhir_get_string(a, "decision") ? fhir_get_string(a, "decision")
			                                      : "?");
		}
		return;
	}
	for (i = 0; i < n; i++) {
		char field[64];
		const cJSON *card = cJSON_GetArrayItem(cards, i);
		const cJSON *w = cJSON_GetArrayItem(want, i);
		const cJSON *a =
		    fhir_get(fhir_get(card, "extension"), "cds-commissioning.assessment");
		int have_s = cJSON_GetArraySize(fhir_get(card, "suggestions"));
		const cJSON *want_s = fhir_get(w, "suggestions");

		snprintf(field, sizeof(field), "cards[%d]", i);
		compare_string(c, field, card, w, "indicator");
		if (a == NULL)
			failf(c, field, "no extension.cds-commissioning.assessment");
		else
			compare_assessment(c, field, a, w);
		if (have_s != (cJSON_IsNumber(want_s) ? want_s->valueint : 0))
			failf(c, field, "%d suggestions, want %d", have_s,
			      cJSON_IsNumber(want_s) ? want_s->valueint : 0);
	}
}

/* Decision-log records (engine_assess on the parsed request) against expected "decisions". */
static void compare_decisions(struct checker *c, const struct engine *engine, const cJSON *request,
                              const struct fhir_datetime *now, const cJSON *expected)
{
	struct engine_result result;
	struct fhir_error err;
	const cJSON *want = fhir_get(expected, "decisions");
	int i, n = cJSON_GetArraySize(want);

	if (engine_assess(engine, request, now, &result, &err) != FHIR_OK) {
		failf(c, "decisions", "engine_assess failed: %s at %s", err.message, err.where);
		return;
	}
	if (cJSON_GetArraySize(result.log) != n) {
		const cJSON *r;

		failf(c, "decisions", "%d decision records, want %d",
		      cJSON_GetArraySize(result.log), n);
		cJSON_ArrayForEach(r, result.log)
		    printf("    record %s %s %s\n",
		           fhir_get_string(r, "policy") ? fhir_get_string(r, "policy") : "?",
		           fhir_get_string(r, "order") ? fhir_get_string(r, "order") : "?",
		           fhir_get_string(r, "decision") ? fhir_get_string(r, "decision") : "?");
	} else {
		for (i = 0; i < n; i++) {
			char field[64];
			const cJSON *h = cJSON_GetArrayItem(result.log, i);
			const cJSON *w = cJSON_GetArrayItem(want, i);

			snprintf(field, sizeof(field), "decisions[%d]", i);
			compare_string(c, field, h, w, "policy");
			compare_string(c, field, h, w, "order");
			compare_string(c, field, h, w, "decision");
		}
	}
	engine_result_clear(&result);
}

static void print_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	printf("config: %s#%s: %s\n", file, pointer, message);
}

/* Runs one case directory (with its own deployment when it has a deployment.json); returns 1
 * when it passed. */
static int run_case(struct cds_app *app, const char *dir, const char *name)
{
	struct checker c = {name, 0};
	char path[4096];
	struct cds_app *own = NULL;
	struct stat st;
	char *body = NULL;
	size_t length = 0;
	cJSON *request = NULL, *expected = NULL, *response = NULL;
	const char *hook, *now_text;
	const cJSON *want_status;
	struct fhir_datetime now;
	struct fhir_error err;
	struct cds_request req;
	struct cds_reply reply = {0};

	if (!make_path(path, sizeof(path), dir, name, "/request.json")) {
		failf(&c, "request.json", "path too long");
		goto out;
	}
	body = read_file(path, &length);
	request = body != NULL ? cJSON_Parse(body) : NULL;
	if (!make_path(path, sizeof(path), dir, name, "/expected.json")) {
		failf(&c, "expected.json", "path too long");
		goto out;
	}
	expected = read_json(path);
	if (request == NULL || expected == NULL) {
		failf(&c, request == NULL ? "request.json" : "expected.json",
		      "missing or not JSON");
		goto out;
	}
	now_text = fhir_get_string(expected, "now");
	if (fhir_datetime_parse(now_text != NULL ? now_text : DEFAULT_NOW, &now, &err) != FHIR_OK) {
		failf(&c, "now", "%s", err.message);
		goto out;
	}
	if (!make_path(path, sizeof(path), dir, name, "/deployment.json")) {
		failf(&c, "deployment.json", "path too long");
		goto out;
	}
	if (stat(path, &st) == 0) {
		struct cds_app_options opts = {NULL, path, "-"};
		struct engine_reporter rep = {print_error, NULL};

		if (cds_app_new(&opts, &rep, &own) != FHIR_OK) {
			failf(&c, "deployment.json", "the configuration does not load");
			goto out;
		}
		app = own;
	}
	hook = fhir_get_string(request, "hook");
	req.method = "POST";
	req.path = hook != NULL && strcmp(hook, "order-sign") == 0
	               ? "/cds-services/" CDS_SERVICE_ORDER_SIGN
	               : "/cds-services/" CDS_SERVICE_ORDER_SELECT;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = length;
	req.now = &now;
	cds_handle(app, &req, &reply);
	want_status = fhir_get(expected, "status");
	if (!cJSON_IsNumber(want_status) || reply.status != (unsigned)want_status->valueint) {
		failf(&c, "status", "%u, want %d; body %.300s", reply.status,
		      cJSON_IsNumber(want_status) ? want_status->valueint : 200,
		      reply.body != NULL ? reply.body : "");
		goto out;
	}
	response = reply.body != NULL ? cJSON_Parse(reply.body) : NULL;
	if (response == NULL) {
		failf(&c, "body", "reply body is not JSON");
		goto out;
	}
	if (reply.status == 412) {
		const char *missing = fhir_get_string(expected, "missing");
		const char *diag = fhir_get_string(
		    cJSON_GetArrayItem(fhir_get(response, "issue"), 0), "diagnostics");

		if (missing != NULL && (diag == NULL || strstr(diag, missing) == NULL))
			failf(&c, "missing", "diagnostics '%s' do not name '%s'",
			      diag ? diag : "(none)", missing);
	} else {
		const cJSON *actions = fhir_get(response, "systemActions");
		const cJSON *want_actions = fhir_get(expected, "systemActions");
		int want_n = cJSON_IsNumber(want_actions) ? want_actions->valueint : 0;

		check_response(&c, response, request);
		compare_cards(&c, response, expected);
		if (cJSON_GetArraySize(actions) != want_n)
			failf(&c, "systemActions", "%d, want %d", cJSON_GetArraySize(actions),
			      want_n);
	}
	compare_decisions(&c, cds_app_engine(app), request, &now, expected);
out:
	cds_reply_clear(&reply);
	cds_app_free(own);
	cJSON_Delete(response);
	cJSON_Delete(request);
	cJSON_Delete(expected);
	free(body);
	return c.failures == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every vector under $CDS_SOURCE_DIR/tests/vectors; exit status 1 when any fails. */
int main(void)
{
	const char *source = getenv("CDS_SOURCE_DIR");
	char dir[4096];
	struct cds_app_options opts = {NULL, NULL, "-"};
	struct engine_reporter rep = {print_error, NULL};
	struct cds_app *app = NULL;
	DIR *d;
	const struct dirent *ent;
	char *names[MAX_CASES];
	size_t count = 0, i;
	int passed = 0, failed = 0;

	snprintf(dir, sizeof(dir), "%s/tests/vectors", source != NULL ? source : ".");
	if (cds_app_new(&opts, &rep, &app) != FHIR_OK) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	d = opendir(dir);
	if (d == NULL) {
		printf("FAIL %s: cannot open\n0 passed, 1 failed\n", dir);
		cds_app_free(app);
		return 1;
	}
	while ((ent = readdir(d)) != NULL && count < MAX_CASES) {
		char path[4096];
		struct stat st;

		if (ent->d_name[0] == '.')
			continue;
		if (!make_path(path, sizeof(path), dir, ent->d_name, "") || stat(path, &st) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		names[count] = malloc(strlen(ent->d_name) + 1);
		if (names[count] == NULL)
			abort();
		memcpy(names[count], ent->d_name, strlen(ent->d_name) + 1);
		count++;
	}
	closedir(d);
	qsort(names, count, sizeof(names[0]), by_name);
	for (i = 0; i < count; i++) {
		if (run_case(app, dir, names[i]))
			passed++;
		else
			failed++;
		free(names[i]);
	}
	if (count == 0) {
		printf("FAIL %s: no vectors\n", dir);
		failed++;
	}
	cds_app_free(app);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
