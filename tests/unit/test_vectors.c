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

#include "cardcheck.h"

#define DEFAULT_NOW "2025-01-15T12:00:00Z"
#define MAX_CASES   1000

/* Parses a JSON file. NEW: the tree (cJSON_Delete), or NULL. */
static cJSON *read_json(const char *path)
{
	char *text = checker_read_file(path, NULL);
	cJSON *json = text != NULL ? cJSON_Parse(text) : NULL;

	free(text);
	return json;
}

/* Compares a string member of `have` with the one of `want` (both may lack it). */
static void compare_string(struct checker *c, const char *field, const cJSON *have,
                           const cJSON *want, const char *name)
{
	const char *h = fhir_get_string(have, name);
	const char *w = fhir_get_string(want, name);

	if ((h == NULL) != (w == NULL) || (h != NULL && strcmp(h, w) != 0))
		checker_fail(c, field, "%s is '%s', want '%s'", name, h ? h : "(none)",
		             w ? w : "(none)");
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
		checker_fail(c, field, "%d recommendations, want %d", cJSON_GetArraySize(have_recs),
		             n);
	} else {
		for (i = 0; i < n; i++) {
			const cJSON *h = cJSON_GetArrayItem(have_recs, i);
			const cJSON *w = cJSON_GetArrayItem(want_recs, i);

			if (!cJSON_IsString(h) || !cJSON_IsString(w) ||
			    strcmp(h->valuestring, w->valuestring) != 0)
				checker_fail(c, field, "recommendations[%d] is '%s', want '%s'", i,
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
			checker_fail(c, field, "criterion %s not on the card", item->string);
		else if (!cJSON_IsString(item) || fhir_get_string(found, "state") == NULL ||
		         strcmp(fhir_get_string(found, "state"), item->valuestring) != 0)
			checker_fail(
			    c, field, "criterion %s is %s, want %s", item->string,
			    fhir_get_string(found, "state") ? fhir_get_string(found, "state") : "?",
			    cJSON_IsString(item) ? item->valuestring : "?");
	}
	if (cJSON_GetArraySize(have_crit) != n) {
		checker_fail(c, field,
		             "the card lists %d criteria, want %d:", cJSON_GetArraySize(have_crit),
		             n);
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

		checker_fail(c, "cards", "%d cards, want %d", cJSON_GetArraySize(cards), n);
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
			checker_fail(c, field, "no extension.cds-commissioning.assessment");
		else
			compare_assessment(c, field, a, w);
		if (have_s != (cJSON_IsNumber(want_s) ? want_s->valueint : 0))
			checker_fail(c, field, "%d suggestions, want %d", have_s,
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
		checker_fail(c, "decisions", "engine_assess failed: %s at %s", err.message,
		             err.where);
		return;
	}
	if (cJSON_GetArraySize(result.log) != n) {
		const cJSON *r;

		checker_fail(c, "decisions", "%d decision records, want %d",
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
	struct cds_request req = {0}; /* members the case does not set stay empty */
	struct cds_reply reply = {0};

	if (!checker_path(path, sizeof(path), dir, name, "/request.json")) {
		checker_fail(&c, "request.json", "path too long");
		goto out;
	}
	body = checker_read_file(path, &length);
	request = body != NULL ? cJSON_Parse(body) : NULL;
	if (!checker_path(path, sizeof(path), dir, name, "/expected.json")) {
		checker_fail(&c, "expected.json", "path too long");
		goto out;
	}
	expected = read_json(path);
	if (request == NULL || expected == NULL) {
		checker_fail(&c, request == NULL ? "request.json" : "expected.json",
		             "missing or not JSON");
		goto out;
	}
	now_text = fhir_get_string(expected, "now");
	if (fhir_datetime_parse(now_text != NULL ? now_text : DEFAULT_NOW, &now, &err) != FHIR_OK) {
		checker_fail(&c, "now", "%s", err.message);
		goto out;
	}
	if (!checker_path(path, sizeof(path), dir, name, "/deployment.json")) {
		checker_fail(&c, "deployment.json", "path too long");
		goto out;
	}
	if (stat(path, &st) == 0) {
		struct cds_app_options opts = {
		    .policies_dir = NULL, .config_file = path, .decision_log = "-"};
		struct engine_reporter rep = {print_error, NULL};

		if (cds_app_new(&opts, &rep, &own) != FHIR_OK) {
			checker_fail(&c, "deployment.json", "the configuration does not load");
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
		checker_fail(&c, "status", "%u, want %d; body %.300s", reply.status,
		             cJSON_IsNumber(want_status) ? want_status->valueint : 200,
		             reply.body != NULL ? reply.body : "");
		goto out;
	}
	response = reply.body != NULL ? cJSON_Parse(reply.body) : NULL;
	if (response == NULL) {
		checker_fail(&c, "body", "reply body is not JSON");
		goto out;
	}
	if (reply.status == 412) {
		const char *missing = fhir_get_string(expected, "missing");
		const char *diag = fhir_get_string(
		    cJSON_GetArrayItem(fhir_get(response, "issue"), 0), "diagnostics");

		if (missing != NULL && (diag == NULL || strstr(diag, missing) == NULL))
			checker_fail(&c, "missing", "diagnostics '%s' do not name '%s'",
			             diag ? diag : "(none)", missing);
	} else {
		const cJSON *actions = fhir_get(response, "systemActions");
		const cJSON *want_actions = fhir_get(expected, "systemActions");
		int want_n = cJSON_IsNumber(want_actions) ? want_actions->valueint : 0;

		checker_check_response(&c, response, request);
		compare_cards(&c, response, expected);
		if (cJSON_GetArraySize(actions) != want_n)
			checker_fail(&c, "systemActions", "%d, want %d",
			             cJSON_GetArraySize(actions), want_n);
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
	struct cds_app_options opts = {
	    .policies_dir = NULL, .config_file = NULL, .decision_log = "-"};
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
		if (!checker_path(path, sizeof(path), dir, ent->d_name, "") ||
		    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
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
