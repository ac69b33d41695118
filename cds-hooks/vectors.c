/* vectors.c — decision cases (tests/vectors/<case>/{request,expected}.json): finds case folders,
 * runs one through cds_handle (the reply and the engine's decision-log records of that one
 * assessment), writes each difference from expected.json as
 * "field: expected X, actual Y", and counts per policy which criterion states and outcomes the
 * decision-log records reached. Shared by `cds-commissioning test` and tests/unit/test_vectors.c;
 * it must not judge responses against the CDS Hooks card rules (tests/support/cardcheck.c does). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vectors.h"

/* ---- finding cases ------------------------------------------------------------------------- */

static char *dup_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = cds__must(malloc(n));
	memcpy(copy, s, n);
	return copy;
}

/* NEW: "a/b" (or "b" when a is empty). */
static char *join_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = cds__must(malloc(la + lb + 2));
	size_t n = la;

	memcpy(s, a, la);
	if (la > 0 && lb > 0 && a[la - 1] != '/')
		s[n++] = '/';
	memcpy(s + n, b, lb);
	s[n + lb] = '\0';
	return s;
}

static int is_file(const char *dir, const char *name)
{
	char *path = join_path(dir, name);
	struct stat st;
	int yes = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return yes;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* TAKES dir and name. */
static int list_push(struct cds__vector_list *list, char *dir, char *name, struct fhir_error *err)
{
	if (list->count >= CDS__VECTORS_MAX_CASES) {
		fhir_error_set(err, dir, "more than %d cases", CDS__VECTORS_MAX_CASES);
		free(dir);
		free(name);
		return FHIR_ERR_LIMIT;
	}
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 64;
		list->dirs = cds__must(realloc(list->dirs, list->capacity * sizeof *list->dirs));
		list->names = cds__must(realloc(list->names, list->capacity * sizeof *list->names));
	}
	list->dirs[list->count] = dir;
	list->names[list->count] = name;
	list->count++;
	return FHIR_OK;
}

/* `dir` is `root`/`rel` (rel "" for the root itself). */
static int find_below(struct cds__vector_list *list, const char *dir, const char *rel, int depth,
                      struct fhir_error *err)
{
	int rc = FHIR_OK;
	DIR *d;
	const struct dirent *ent;
	char **subs = NULL;
	size_t count = 0, capacity = 0, i;

	if (is_file(dir, "request.json") || is_file(dir, "expected.json"))
		return list_push(list, dup_string(dir), dup_string(rel[0] ? rel : dir), err);
	d = opendir(dir);
	if (d == NULL) {
		fhir_error_set(err, dir, "cannot open folder: %s", strerror(errno));
		return FHIR_ERR_IO;
	}
	while ((ent = readdir(d)) != NULL) {
		char *path;
		struct stat st;

		if (ent->d_name[0] == '.')
			continue;
		path = join_path(dir, ent->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (count == capacity) {
				capacity = capacity ? capacity * 2 : 64;
				subs = cds__must(realloc(subs, capacity * sizeof *subs));
			}
			subs[count++] = dup_string(ent->d_name);
		}
		free(path);
	}
	closedir(d);
	if (count > 0)
		qsort(subs, count, sizeof *subs, by_name);
	for (i = 0; i < count && rc == FHIR_OK; i++) {
		char *path = join_path(dir, subs[i]);
		char *sub_rel = join_path(rel, subs[i]);

		if (depth >= CDS__MAX_CONFIG_DEPTH) {
			fhir_error_set(err, path, "folders nested too deeply");
			rc = FHIR_ERR_LIMIT;
		} else {
			rc = find_below(list, path, sub_rel, depth + 1, err);
		}
		free(path);
		free(sub_rel);
	}
	for (i = 0; i < count; i++)
		free(subs[i]);
	free(subs);
	return rc;
}

int cds__vectors_find(struct cds__vector_list *list, const char *path, struct fhir_error *err)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fhir_error_set(err, path, "%s",
		               errno == ENOENT ? "no such folder" : "not a readable folder");
		return FHIR_ERR_IO;
	}
	return find_below(list, path, "", 0, err);
}

void cds__vectors_list_clear(struct cds__vector_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		free(list->dirs[i]);
		free(list->names[i]);
	}
	free(list->dirs);
	free(list->names);
	memset(list, 0, sizeof *list);
}

/* ---- differences ------------------------------------------------------------------------- */

static void diff_close(struct cds__vector *v);

void cds__vector_fail(struct cds__vector *v, const char *field, const char *fmt, ...)
{
	va_list ap;
	int after_run = v->diff_out == NULL;

	if (after_run) { /* after the run (a caller's own check): append */
		char *before = v->diff;

		v->diff = NULL;
		v->diff_size = 0;
		v->diff_out = open_memstream(&v->diff, &v->diff_size);
		if (v->diff_out == NULL)
			abort(); /* out of memory (architecture.md rule 5) */
		if (before != NULL)
			fputs(before, v->diff_out);
		free(before);
	}
	fprintf(v->diff_out, "    %s: ", field);
	va_start(ap, fmt);
	vfprintf(v->diff_out, fmt, ap);
	va_end(ap);
	fputc('\n', v->diff_out);
	v->failures++;
	if (after_run)
		diff_close(v);
}

/* Closes the diff stream so that v->diff holds the text (NULL when empty). */
static void diff_close(struct cds__vector *v)
{
	if (v->diff_out == NULL)
		return;
	fclose(v->diff_out);
	v->diff_out = NULL;
	if (v->diff != NULL && v->diff_size == 0) {
		free(v->diff);
		v->diff = NULL;
	}
}

void cds__vector_clear(struct cds__vector *v)
{
	diff_close(v);
	free(v->diff);
	cJSON_Delete(v->request);
	cJSON_Delete(v->response);
	cJSON_Delete(v->log);
	memset(v, 0, sizeof *v);
}

/* Writes a string member as JSON-ish text: "value", or (none). */
static void quoted(char *buf, size_t size, const char *s)
{
	if (s == NULL)
		snprintf(buf, size, "(none)");
	else
		snprintf(buf, size, "\"%s\"", s);
}

/* The string member `name` of have and want must be equal (or both absent). */
static void diff_string(struct cds__vector *v, const char *prefix, const char *name,
                        const cJSON *have, const cJSON *want)
{
	const char *h = fhir_get_string(have, name);
	const char *w = fhir_get_string(want, name);
	char field[128], hq[256], wq[256];

	if ((h == NULL) == (w == NULL) && (h == NULL || strcmp(h, w) == 0))
		return;
	snprintf(field, sizeof field, "%s.%s", prefix, name);
	quoted(hq, sizeof hq, h);
	quoted(wq, sizeof wq, w);
	cds__vector_fail(v, field, "expected %s, actual %s", wq, hq);
}

/* "[a, b]" of an array of strings (non-strings as "?"). */
static void string_list(char *buf, size_t size, const cJSON *array)
{
	const cJSON *item;
	size_t n = 0;

	buf[0] = '\0';
	n += (size_t)snprintf(buf, size, "[");
	cJSON_ArrayForEach(item, array)
	{
		if (n >= size)
			break;
		n += (size_t)snprintf(buf + n, size - n, "%s%s", item == array->child ? "" : ", ",
		                      cJSON_IsString(item) ? item->valuestring : "?");
	}
	if (n < size)
		snprintf(buf + n, size - n, "]");
}

static int same_strings(const cJSON *a, const cJSON *b)
{
	int i, n = cJSON_GetArraySize(a);

	if (cJSON_GetArraySize(b) != n)
		return 0;
	for (i = 0; i < n; i++) {
		const cJSON *x = cJSON_GetArrayItem(a, i), *y = cJSON_GetArrayItem(b, i);

		if (!cJSON_IsString(x) || !cJSON_IsString(y) ||
		    strcmp(x->valuestring, y->valuestring) != 0)
			return 0;
	}
	return 1;
}

/* The state of criterion `id` in an assessment's "criteria" array, or NULL when absent. */
static const char *criterion_state(const cJSON *criteria, const char *id)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, criteria)
	{
		const char *cid = fhir_get_string(c, "id");

		if (cid != NULL && strcmp(cid, id) == 0) {
			const char *state = fhir_get_string(c, "state");
			return state != NULL ? state : "?";
		}
	}
	return NULL;
}

/* An assessment (card extension) against an expected card: policy, order, decision,
 * recommendations (ordered) and criteria (map id -> state, exactly the card's). */
static void diff_assessment(struct cds__vector *v, const char *prefix, const cJSON *assessment,
                            const cJSON *want)
{
	const cJSON *have_recs = fhir_get(assessment, "recommendations");
	const cJSON *want_recs = fhir_get(want, "recommendations");
	const cJSON *have_crit = fhir_get(assessment, "criteria");
	const cJSON *want_crit = fhir_get(want, "criteria");
	const cJSON *item;
	char field[128];

	diff_string(v, prefix, "policy", assessment, want);
	diff_string(v, prefix, "order", assessment, want);
	diff_string(v, prefix, "decision", assessment, want);
	if (!same_strings(have_recs, want_recs)) {
		char h[512], w[512];

		string_list(h, sizeof h, have_recs);
		string_list(w, sizeof w, want_recs);
		snprintf(field, sizeof field, "%s.recommendations", prefix);
		cds__vector_fail(v, field, "expected %s, actual %s", w, h);
	}
	cJSON_ArrayForEach(item, want_crit)
	{
		const char *have = item->string ? criterion_state(have_crit, item->string) : NULL;
		const char *w = cJSON_IsString(item) ? item->valuestring : "?";

		if (have != NULL && strcmp(have, w) == 0)
			continue;
		snprintf(field, sizeof field, "%s.criteria.%s", prefix,
		         item->string ? item->string : "?");
		cds__vector_fail(v, field, "expected %s, actual %s", w,
		                 have ? have : "(not on the card)");
	}
	cJSON_ArrayForEach(item, have_crit)
	{
		const char *id = fhir_get_string(item, "id");
		const char *state = fhir_get_string(item, "state");

		if (id != NULL && cJSON_GetObjectItemCaseSensitive(want_crit, id) != NULL)
			continue;
		snprintf(field, sizeof field, "%s.criteria.%s", prefix, id ? id : "?");
		cds__vector_fail(v, field, "expected (not on the card), actual %s",
		                 state ? state : "?");
	}
}

static const cJSON *card_assessment(const cJSON *card)
{
	return fhir_get(fhir_get(card, "extension"), "cds-commissioning.assessment");
}

/* One line per item: "<indicator> <policy> <order> <decision>". */
static void list_items(struct cds__vector *v, const char *what, const cJSON *items, int cards)
{
	const cJSON *item;
	int i = 0;

	if (cJSON_GetArraySize(items) == 0)
		fprintf(v->diff_out, "      %s: none\n", what);
	cJSON_ArrayForEach(item, items)
	{
		const cJSON *a =
		    cards && fhir_get(item, "extension") ? card_assessment(item) : item;
		const char *ind = cards ? fhir_get_string(item, "indicator") : NULL;
		const char *p = fhir_get_string(a, "policy"), *o = fhir_get_string(a, "order");
		const char *d = fhir_get_string(a, "decision");

		fprintf(v->diff_out, "      %s[%d]: %s%s%s %s %s\n", what, i++, ind ? ind : "",
		        ind ? " " : "", p ? p : "?", o ? o : "?", d ? d : "?");
	}
}

/* The reply's cards against expected "cards", in order. */
static void diff_cards(struct cds__vector *v, const cJSON *response, const cJSON *expected)
{
	const cJSON *cards = fhir_get(response, "cards");
	const cJSON *want = fhir_get(expected, "cards");
	int i, n = cJSON_GetArraySize(want);

	if (cJSON_GetArraySize(cards) != n) {
		cds__vector_fail(v, "cards", "expected %d, actual %d", n,
		                 cJSON_GetArraySize(cards));
		list_items(v, "expected", want, 1);
		list_items(v, "actual", cards, 1);
		return;
	}
	for (i = 0; i < n; i++) {
		char prefix[64];
		const cJSON *card = cJSON_GetArrayItem(cards, i);
		const cJSON *w = cJSON_GetArrayItem(want, i);
		const cJSON *a = card_assessment(card);
		const cJSON *want_s = fhir_get(w, "suggestions");
		int have_n = cJSON_GetArraySize(fhir_get(card, "suggestions"));
		int want_n = cJSON_IsNumber(want_s) ? want_s->valueint : 0;

		snprintf(prefix, sizeof prefix, "cards[%d]", i);
		diff_string(v, prefix, "indicator", card, w);
		if (a == NULL) {
			cds__vector_fail(v, prefix, "no extension.cds-commissioning.assessment");
		} else {
			diff_assessment(v, prefix, a, w);
		}
		if (have_n != want_n) {
			char field[96];

			snprintf(field, sizeof field, "%s.suggestions", prefix);
			cds__vector_fail(v, field, "expected %d, actual %d", want_n, have_n);
		}
	}
}

/* The decision-log records against expected "decisions" (policy, order, decision), in order. */
static void diff_decisions(struct cds__vector *v, const cJSON *log, const cJSON *expected)
{
	const cJSON *want = fhir_get(expected, "decisions");
	int i, n = cJSON_GetArraySize(want);

	if (cJSON_GetArraySize(log) != n) {
		cds__vector_fail(v, "decisions", "expected %d records, actual %d", n,
		                 cJSON_GetArraySize(log));
		list_items(v, "expected", want, 0);
		list_items(v, "actual", log, 0);
		return;
	}
	for (i = 0; i < n; i++) {
		char prefix[64];
		const cJSON *h = cJSON_GetArrayItem(log, i);
		const cJSON *w = cJSON_GetArrayItem(want, i);

		snprintf(prefix, sizeof prefix, "decisions[%d]", i);
		diff_string(v, prefix, "policy", h, w);
		diff_string(v, prefix, "order", h, w);
		diff_string(v, prefix, "decision", h, w);
	}
}

/* Load errors of a case's deployment.json become differences. */
static void deployment_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	struct cds__vector *v = ctx;

	cds__vector_fail(v, "deployment.json", "%s%s%s: %s", file ? file : "",
	                 pointer && pointer[0] ? "#" : "", pointer ? pointer : "", message);
}

/* Reads and parses dir/name. NEW: *text (when text != NULL) and the JSON, or NULL after adding
 * a difference naming the file. */
static cJSON *read_case_file(struct cds__vector *v, const char *dir, const char *name, char **text,
                             size_t *length)
{
	char *path = join_path(dir, name);
	char *body = NULL;
	size_t len = 0;
	struct fhir_error err = {{0}, {0}};
	cJSON *json = NULL;

	if (cds__read_file(path, 4u * CDS_MAX_BODY_BYTES, &body, &len, &err) != FHIR_OK)
		cds__vector_fail(v, name, "%s", err.message);
	else if ((json = cJSON_ParseWithLength(body, len)) == NULL)
		cds__vector_fail(v, name, "not JSON (near byte %ld)",
		                 (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - body : 0));
	free(path);
	if (text != NULL && json != NULL) {
		*text = body;
		*length = len;
	} else {
		free(body);
	}
	return json;
}

/* The first diagnostics of an OperationOutcome body, or "". */
static const char *diagnostics(const cJSON *response)
{
	const char *d =
	    fhir_get_string(cJSON_GetArrayItem(fhir_get(response, "issue"), 0), "diagnostics");
	return d != NULL ? d : "";
}

int cds__vector_run(struct cds_app *app, const char *policies_dir, const char *dir,
                    struct cds__vector *v)
{
	char *body = NULL, *path = NULL;
	size_t length = 0;
	cJSON *expected = NULL;
	struct cds_app *own = NULL;
	const char *hook, *now_text;
	const cJSON *want_status;
	const struct cds__service *service = NULL;
	char service_path[128];
	struct fhir_datetime now;
	struct fhir_error err = {{0}, {0}};
	struct cds_request req = {0}; /* members a case does not set stay empty */
	struct cds_reply reply = {0};
	int want_code;
	struct stat st;

	v->diff_out = open_memstream(&v->diff, &v->diff_size);
	if (v->diff_out == NULL)
		abort(); /* out of memory (architecture.md rule 5) */
	v->request = read_case_file(v, dir, "request.json", &body, &length);
	expected = read_case_file(v, dir, "expected.json", NULL, NULL);
	if (v->request == NULL || expected == NULL)
		goto out;
	now_text = fhir_get_string(expected, "now");
	if (fhir_datetime_parse(now_text != NULL ? now_text : CDS__VECTORS_DEFAULT_NOW, &now,
	                        &err) != FHIR_OK) {
		cds__vector_fail(v, "now", "%s", err.message);
		goto out;
	}
	path = join_path(dir, "deployment.json");
	if (stat(path, &st) == 0) { /* this case's deployment replaces the default one */
		struct cds_app_options opts = {0};
		struct engine_reporter rep = {deployment_error, v};

		opts.policies_dir = policies_dir;
		opts.config_file = path;
		opts.decision_log = "-";
		if (cds_app_new(&opts, &rep, &own) != FHIR_OK) {
			cds__vector_fail(v, "deployment.json", "does not load");
			goto out;
		}
		app = own;
	}
	hook = fhir_get_string(v->request, "hook");
	if (hook != NULL)
		service = cds__service_for_hook(hook);
	if (service == NULL) { /* the order-select service's envelope check names the problem */
		size_t count = 0;
		service = cds__services(&count);
	}
	snprintf(service_path, sizeof service_path, "/cds-services/%s", service->id);
	req.method = "POST";
	req.path = service_path;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = length;
	req.now = &now;
	req.decisions = &v->log; /* the engine's records, from the same assessment as the reply */
	cds_handle(app, &req, &reply);
	v->status = reply.status;
	v->response =
	    reply.body != NULL ? cJSON_ParseWithLength(reply.body, reply.body_length) : NULL;
	want_status = fhir_get(expected, "status");
	want_code = cJSON_IsNumber(want_status) ? want_status->valueint : 200;
	if (reply.status != (unsigned)want_code) {
		cds__vector_fail(v, "status", "expected %d, actual %u%s%s%s", want_code,
		                 reply.status, diagnostics(v->response)[0] ? " (" : "",
		                 diagnostics(v->response), diagnostics(v->response)[0] ? ")" : "");
	} else if (v->response == NULL) {
		cds__vector_fail(v, "body", "the reply body is not JSON");
	} else if (reply.status == 412) {
		const char *missing = fhir_get_string(expected, "missing");
		const char *diag = diagnostics(v->response);

		if (missing != NULL && strstr(diag, missing) == NULL)
			cds__vector_fail(v, "missing",
			                 "expected diagnostics naming \"%s\", actual \"%s\"",
			                 missing, diag);
	} else if (reply.status == 200) {
		const cJSON *want_actions = fhir_get(expected, "systemActions");
		int want_n = cJSON_IsNumber(want_actions) ? want_actions->valueint : 0;
		int have_n = cJSON_GetArraySize(fhir_get(v->response, "systemActions"));

		diff_cards(v, v->response, expected);
		if (have_n != want_n)
			cds__vector_fail(v, "systemActions", "expected %d, actual %d", want_n,
			                 have_n);
	}
	/* The decision log, as the handler's assessment made it (the app writes none here). */
	if (v->log == NULL) {
		if (cJSON_GetArraySize(fhir_get(expected, "decisions")) > 0)
			cds__vector_fail(v, "decisions", "the engine assessed nothing (status %u)",
			                 reply.status);
	} else {
		diff_decisions(v, v->log, expected);
	}
out:
	diff_close(v);
	cds_reply_clear(&reply);
	cds_app_free(own);
	cJSON_Delete(expected);
	free(path);
	free(body);
	return v->failures == 0;
}

/* ---- coverage ------------------------------------------------------------------------------ */

enum { REACHED_MET = 1, REACHED_NOT_MET = 2, REACHED_UNKNOWN = 4 };

static const char *const state_names[3] = {"met", "not-met", "unknown"};

struct cov_item {
	char *id;         /* NEW */
	unsigned reached; /* criteria: REACHED_* bits */
	size_t count;     /* criteria: times assessed; outcomes: times held */
};

struct cov_items {
	struct cov_item *items;
	size_t count, capacity;
};

struct cov_policy {
	char *id;      /* NEW */
	char *version; /* NEW, or NULL */
	size_t assessed;
	struct cov_items criteria, outcomes;
};

struct cds__coverage {
	struct cov_policy *policies;
	size_t count, capacity;
};

/* The item `id` of items, added when absent. BORROWED (until the next add). */
static struct cov_item *item_get(struct cov_items *items, const char *id)
{
	size_t i;

	for (i = 0; i < items->count; i++)
		if (strcmp(items->items[i].id, id) == 0)
			return &items->items[i];
	if (items->count == items->capacity) {
		items->capacity = items->capacity ? items->capacity * 2 : 8;
		items->items =
		    cds__must(realloc(items->items, items->capacity * sizeof *items->items));
	}
	memset(&items->items[items->count], 0, sizeof items->items[0]);
	items->items[items->count].id = dup_string(id);
	return &items->items[items->count++];
}

static struct cov_policy *policy_get(struct cds__coverage *cov, const char *id)
{
	size_t i;

	for (i = 0; i < cov->count; i++)
		if (strcmp(cov->policies[i].id, id) == 0)
			return &cov->policies[i];
	if (cov->count == cov->capacity) {
		cov->capacity = cov->capacity ? cov->capacity * 2 : 8;
		cov->policies =
		    cds__must(realloc(cov->policies, cov->capacity * sizeof *cov->policies));
	}
	memset(&cov->policies[cov->count], 0, sizeof cov->policies[0]);
	cov->policies[cov->count].id = dup_string(id);
	return &cov->policies[cov->count++];
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Adds the policy in one *.policy.json text (its criteria and outcomes, in file order). */
static void add_policy_file(struct cds__coverage *cov, const struct engine_file *file)
{
	cJSON *json = cJSON_ParseWithLength(file->text, file->length);
	const char *id = fhir_get_string(json, "id");
	const char *version = fhir_get_string(json, "version");
	const cJSON *item;

	if (id != NULL) {
		struct cov_policy *p = policy_get(cov, id);

		if (p->version == NULL && version != NULL)
			p->version = dup_string(version);
		cJSON_ArrayForEach(item, fhir_get(json, "criteria"))
		{
			if (fhir_get_string(item, "id") != NULL)
				item_get(&p->criteria, fhir_get_string(item, "id"));
		}
		cJSON_ArrayForEach(item, fhir_get(json, "outcomes"))
		{
			if (fhir_get_string(item, "id") != NULL)
				item_get(&p->outcomes, fhir_get_string(item, "id"));
		}
	}
	cJSON_Delete(json);
}

static void ignore_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	(void)file;
	(void)pointer;
	(void)message;
}

struct cds__coverage *cds__coverage_new(const char *policies_dir)
{
	struct cds__coverage *cov = cds__must(calloc(1, sizeof *cov));
	struct cds__files files = {0};
	struct engine_reporter quiet = {ignore_error, NULL};
	size_t i;

	if (policies_dir != NULL)
		(void)cds__files_read_dir(&files, policies_dir, &quiet); /* errors: engine_load */
	else
		cds__files_add_embedded(&files);
	for (i = 0; i < files.count; i++)
		if (ends_with(files.items[i].name, ".policy.json"))
			add_policy_file(cov, &files.items[i]);
	cds__files_clear(&files);
	return cov;
}

void cds__coverage_add(struct cds__coverage *cov, const cJSON *log)
{
	const cJSON *record, *item;

	cJSON_ArrayForEach(record, log)
	{
		const char *id = fhir_get_string(record, "policy");
		struct cov_policy *p;

		if (id == NULL)
			continue;
		p = policy_get(cov, id);
		p->assessed++;
		cJSON_ArrayForEach(item, fhir_get(record, "criteria"))
		{
			const char *cid = fhir_get_string(item, "id");
			const char *state = fhir_get_string(item, "state");
			struct cov_item *c;
			unsigned k;

			if (cid == NULL || state == NULL)
				continue;
			c = item_get(&p->criteria, cid);
			c->count++;
			for (k = 0; k < 3; k++)
				if (strcmp(state, state_names[k]) == 0)
					c->reached |= 1u << k;
		}
		cJSON_ArrayForEach(item, fhir_get(record, "outcomes"))
		{
			if (cJSON_IsString(item))
				item_get(&p->outcomes, item->valuestring)->count++;
		}
	}
}

/* Prints words on lines of at most WRAP columns, continuation lines indented by `indent`. */
#define WRAP 100

struct wrapper {
	FILE *out;
	size_t column, indent;
};

static void wrap_word(struct wrapper *w, const char *word)
{
	size_t n = strlen(word);

	if (w->column > w->indent && w->column + 2 + n > WRAP) {
		fprintf(w->out, "\n%*s", (int)w->indent, "");
		w->column = w->indent;
	} else if (w->column > w->indent) {
		fputs("  ", w->out);
		w->column += 2;
	}
	fputs(word, w->out);
	w->column += n;
}

/* U+2713 CHECK MARK in UTF-8: 3 bytes, one column (wrap_word counts bytes, so callers correct). */
#define CHECK_MARK "\xe2\x9c\x93"

size_t cds__coverage_print(const struct cds__coverage *cov, FILE *out)
{
	size_t i, j, k, gaps = 0, states_total = 0, states_reached = 0;
	size_t outcomes_total = 0, outcomes_reached = 0;

	for (i = 0; i < cov->count; i++) {
		const struct cov_policy *p = &cov->policies[i];
		struct wrapper w = {out, 0, 12};
		char word[512];

		fprintf(out, "%s%s%s: %zu assessment%s\n", p->id, p->version ? " " : "",
		        p->version ? p->version : "", p->assessed, p->assessed == 1 ? "" : "s");
		fputs("  criteria: ", out);
		w.column = 12;
		if (p->criteria.count == 0)
			wrap_word(&w, "(none)");
		for (j = 0; j < p->criteria.count; j++) {
			const struct cov_item *c = &p->criteria.items[j];
			size_t n;

			states_total += 3;
			if (c->reached == 0) {
				snprintf(word, sizeof word, "%s never assessed", c->id);
				gaps += 3;
				wrap_word(&w, word);
				continue;
			}
			n = (size_t)snprintf(word, sizeof word, "%s ", c->id);
			for (k = 0; k < 3 && n < sizeof word; k++)
				if (c->reached & (1u << k)) {
					n += (size_t)snprintf(word + n, sizeof word - n, "%s%s",
					                      word[n - 1] == ' ' ? "" : ",",
					                      state_names[k]);
					states_reached++;
				}
			/* what was never reached: " (never a, b)" */
			{
				int missing = 0;

				for (k = 0; k < 3 && n < sizeof word; k++)
					if (!(c->reached & (1u << k))) {
						n += (size_t)snprintf(
						    word + n, sizeof word - n, "%s%s",
						    missing ? "," : " (never ", state_names[k]);
						missing++;
						gaps++;
					}
				if (missing && n < sizeof word)
					snprintf(word + n, sizeof word - n, ")");
			}
			wrap_word(&w, word);
		}
		fputc('\n', out);
		fputs("  outcomes: ", out);
		w.column = 12;
		if (p->outcomes.count == 0)
			wrap_word(&w, "(none)");
		for (j = 0; j < p->outcomes.count; j++) {
			const struct cov_item *o = &p->outcomes.items[j];

			outcomes_total++;
			if (o->count > 0) {
				outcomes_reached++;
				snprintf(word, sizeof word, "%s " CHECK_MARK, o->id);
				wrap_word(&w, word);
				w.column -= 2; /* the mark is 3 bytes, one column */
			} else {
				snprintf(word, sizeof word, "%s never", o->id);
				gaps++;
				wrap_word(&w, word);
			}
		}
		fputc('\n', out);
	}
	fprintf(out,
	        "coverage: %zu of %zu criterion states and %zu of %zu outcomes reached "
	        "(%zu polic%s)\n",
	        states_reached, states_total, outcomes_reached, outcomes_total, cov->count,
	        cov->count == 1 ? "y" : "ies");
	return gaps;
}

void cds__coverage_free(struct cds__coverage *cov)
{
	size_t i, j;

	if (cov == NULL)
		return;
	for (i = 0; i < cov->count; i++) {
		struct cov_policy *p = &cov->policies[i];

		for (j = 0; j < p->criteria.count; j++)
			free(p->criteria.items[j].id);
		for (j = 0; j < p->outcomes.count; j++)
			free(p->outcomes.items[j].id);
		free(p->criteria.items);
		free(p->outcomes.items);
		free(p->id);
		free(p->version);
	}
	free(cov->policies);
	free(cov);
}
