/* test_store_record.c — decisions and feedback in the store (issue 13 items 1-3), through
 * cds_handle with a SQLite store in a temporary folder:
 *  - the knee example's request, decision and criterion rows match the decision-log records the
 *    engine made for the same call (ids, policy version, decision, card uuid, criterion states)
 *    and the response's cards (indicator, suggestion uuids);
 *  - feedback on a card the store knows is linked (card_known 1); on an unknown card it is kept
 *    and marked (card_known 0); the override reason's Coding is stored, the comment's text never
 *    (has_user_comment only; not a byte of it in the database files); accepted suggestions as a
 *    JSON array;
 *  - the patient column is HMAC-SHA256(key, patientId) in hex: not the id, the same for one key,
 *    different under another key;
 *  - request bodies only when enabled, without fhirAuthorization, and purged after their
 *    retention (a fake clock: the purge is asked about later instants, never slept for);
 *  - a store that cannot be written (the connection made read-only): service calls and feedback
 *    answer 503 with Retry-After and an OperationOutcome, no card; /healthz, /readyz and
 *    /metrics say so; when writing works again, so does the service.
 * Reads the example from $CDS_SHARED_DIR. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/hmac.h>

#include "cds_internal.h"
#include "fhirauth.h"
#include "store/rows.h"
#include "store/writer.h"
#include "testkit.h"

#define SELECT_PATH   "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define FEEDBACK_PATH SELECT_PATH "/feedback"
#define PATIENT       "pat-msk-001"
#define TOKEN         "TOKEN-NEVER-STORED"
#define COMMENT       "COMMENT-NEVER-STORED"

static char dir[] = "/tmp/cds-test-record-XXXXXX";
static char *knee; /* the knee example with a fhirAuthorization added */

/* ---- reading the store ----------------------------------------------------------------------- */

struct select {
	const char *sql;
	const char *const *params;
	size_t n;
	cJSON *rows; /* array of arrays of strings / nulls */
};

static int collect(void *ctx, const char *const *values, size_t columns)
{
	struct select *q = ctx;
	cJSON *row = cJSON_CreateArray();
	for (size_t i = 0; i < columns; i++)
		cJSON_AddItemToArray(row, values[i] ? cJSON_CreateString(values[i])
		                                    : cJSON_CreateNull());
	cJSON_AddItemToArray(q->rows, row);
	return 0;
}

static int select_tx(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct select *q = ctx;
	return cds__store_query(c, q->sql, q->params, q->n, collect, q, err);
}

/* The rows of a query with up to one parameter. NEW (cJSON_Delete). */
static cJSON *rows(struct cds__store *s, const char *sql, const char *param)
{
	const char *p[] = {param};
	struct select q = {sql, p, param ? 1 : 0, cJSON_CreateArray()};
	struct fhir_error err = {{0}, {0}};
	int rc = cds__store_run(s, 0, select_tx, &q, &err);
	CHECK(rc == FHIR_OK, "%s: %s", sql, err.message);
	return q.rows;
}

/* Column i of row r, or NULL (SQL NULL or no such row). BORROWED. */
static const char *cell(const cJSON *all, int r, int i)
{
	const cJSON *v = cJSON_GetArrayItem(cJSON_GetArrayItem(all, r), i);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int exec_tx(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	return cds__store_exec(c, ctx, NULL, 0, err);
}

static void pragma(struct cds__store *s, const char *sql)
{
	struct fhir_error err = {{0}, {0}};
	CHECK(cds__store_run(s, 0, exec_tx, (void *)sql, &err) == FHIR_OK, "%s: %s", sql,
	      err.message);
}

/* ---- the service ----------------------------------------------------------------------------- */

static void call(struct cds_app *app, const char *method, const char *path, const char *body,
                 struct cds_reply *r, cJSON **decisions)
{
	struct cds_request req = {.method = method,
	                          .path = path,
	                          .content_type = "application/json",
	                          .body = body,
	                          .body_length = body ? strlen(body) : 0,
	                          .decisions = decisions};
	cds_handle(app, &req, r);
}

static const char *header(const struct cds_reply *r, const char *name)
{
	for (size_t i = 0; i < r->header_count; i++)
		if (strcmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static void write_key(const char *path, char fill)
{
	FILE *f = fopen(path, "wb");
	for (int i = 0; f && i < 40; i++)
		fputc(fill + i, f);
	if (f)
		fclose(f);
	chmod(path, 0600);
}

static struct cds_app *open_app(const char *name, const char *key, int keep, long days)
{
	char url[600];
	snprintf(url, sizeof url, "sqlite:%s/%s", dir, name);
	struct cds_app_options opts = {.decision_log = "-",
	                               .store = url,
	                               .patient_key = key,
	                               .keep_request_bodies = keep,
	                               .request_body_retention_days = days};
	struct cds_app *app = NULL;
	CHECK(cds_app_new(&opts, NULL, &app) == FHIR_OK && app && app->host->store,
	      "app with store %s", name);
	return app;
}

static void expected_hmac(const char *key_path, const char *id, char hex[65])
{
	size_t len = 0;
	char *key = testkit_read(key_path, &len);
	unsigned char mac[32];
	unsigned int n = 0;
	HMAC(EVP_sha256(), key, (int)len, (const unsigned char *)id, strlen(id), mac, &n);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	free(key);
}

/* 1 when `needle` occurs in any of the store's files (database, WAL). */
static int in_files(const char *name, const char *needle)
{
	static const char *const suffixes[] = {"", "-wal"};
	for (int i = 0; i < 2; i++) {
		char path[700];
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s%s", dir, name, suffixes[i]);
		char *all = testkit_read(path, &len);
		int found = all && memmem(all, len, needle, strlen(needle)) != NULL;
		free(all);
		if (found)
			return 1;
	}
	return 0;
}

/* ---- the scenarios --------------------------------------------------------------------------- */

static char card_uuid[64]; /* the knee example's card, for the feedback scenario */

static void test_decisions(struct cds_app *app, const char *key_path)
{
	struct cds_reply r = {0};
	cJSON *records = NULL;
	call(app, "POST", SELECT_PATH, knee, &r, &records);
	CHECK(r.status == 200, "knee example: 200 (%u) %.200s", r.status, r.body);
	cJSON *response = cJSON_Parse(r.body);
	const cJSON *cards = cJSON_GetObjectItemCaseSensitive(response, "cards");
	CHECK(cJSON_GetArraySize(records) >= 1 && cJSON_GetArraySize(cards) >= 1,
	      "records and cards");

	cJSON *req = rows(app->host->store,
	                  "SELECT id, service, hook, hook_instance, deployment, "
	                  "policy_set, patient, body, body_expires_at FROM request",
	                  NULL);
	CHECK(cJSON_GetArraySize(req) == 1, "one request row (%d)", cJSON_GetArraySize(req));
	CHECK(same(cell(req, 0, 1), CDS_SERVICE_ORDER_SELECT) &&
	          same(cell(req, 0, 2), "order-select") &&
	          same(cell(req, 0, 3), "3f1c2b7e-8a4d-4c1e-9b2a-6d5e4f3a2b10"),
	      "request: service, hook, hookInstance");
	CHECK(same(cell(req, 0, 4), engine_deployment_name(app->engine)), "request: deployment");
	CHECK(cell(req, 0, 5) && strncmp(cell(req, 0, 5), "sha256:", 7) == 0 &&
	          strlen(cell(req, 0, 5)) == 71,
	      "request: policy set digest %s", cell(req, 0, 5));
	char want[65];
	expected_hmac(key_path, PATIENT, want);
	CHECK(same(cell(req, 0, 6), want), "patient is HMAC-SHA256(key, id): %s", cell(req, 0, 6));
	CHECK(!strstr(cell(req, 0, 6) ? cell(req, 0, 6) : PATIENT, PATIENT), "not the id itself");
	CHECK(!cell(req, 0, 7) && !cell(req, 0, 8), "no body when bodies are not kept");
	CHECK(!in_files("a.db", TOKEN) && !in_files("a.db", PATIENT),
	      "neither the access token nor the patient id is in the database files");

	/* each record is a decision row; each criterion a criterion row */
	size_t criteria = 0;
	for (const cJSON *rec = records ? records->child : NULL; rec; rec = rec->next) {
		const char *id = cJSON_GetObjectItemCaseSensitive(rec, "id")->valuestring;
		cJSON *d = rows(app->host->store,
		                "SELECT request_id, policy, policy_version, decision, card_uuid, "
		                "card_indicator, suggestions, commissioner, order_ref, "
		                "recommendations, outcomes, matched_on_text, "
		                "commissioner_determined_by FROM decision WHERE id = $1",
		                id);
		CHECK(cJSON_GetArraySize(d) == 1, "decision %s stored", id);
		CHECK(same(cell(d, 0, 0), cell(req, 0, 0)), "decision linked to its request");
		const char *fields[][2] = {
		    {"policy", cell(d, 0, 1)},       {"policyVersion", cell(d, 0, 2)},
		    {"decision", cell(d, 0, 3)},     {"card", cell(d, 0, 4)},
		    {"commissioner", cell(d, 0, 7)}, {"order", cell(d, 0, 8)}};
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, fields[f][0]);
			CHECK(cJSON_IsString(v) && same(v->valuestring, fields[f][1]),
			      "decision %s: %s is %s, stored %s", id, fields[f][0],
			      cJSON_IsString(v) ? v->valuestring : "?", fields[f][1]);
		}
		char *recs = cJSON_PrintUnformatted(
		    cJSON_GetObjectItemCaseSensitive(rec, "recommendations"));
		char *outs =
		    cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rec, "outcomes"));
		CHECK(same(recs, cell(d, 0, 9)) && same(outs, cell(d, 0, 10)),
		      "recommendations %s / outcomes %s", cell(d, 0, 9), cell(d, 0, 10));
		free(recs);
		free(outs);
		CHECK(same(cell(d, 0, 11),
		           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "matchedOnText"))
		               ? "1"
		               : "0"),
		      "matched_on_text");
		const cJSON *rc = cJSON_GetObjectItemCaseSensitive(rec, "responsibleCommissioner");
		CHECK(same(cell(d, 0, 12),
		           cJSON_GetObjectItemCaseSensitive(rc, "determinedBy")->valuestring),
		      "determined by");
		/* the card the record names: its indicator and suggestion uuids */
		const cJSON *card = NULL;
		for (const cJSON *c = cards ? cards->child : NULL; c; c = c->next)
			if (same(cJSON_GetObjectItemCaseSensitive(c, "uuid")->valuestring,
			         cell(d, 0, 4)))
				card = c;
		CHECK(card != NULL, "the stored card uuid is a card of the response");
		if (card) {
			snprintf(card_uuid, sizeof card_uuid, "%s", cell(d, 0, 4));
			CHECK(same(cJSON_GetObjectItemCaseSensitive(card, "indicator")->valuestring,
			           cell(d, 0, 5)),
			      "card indicator");
			cJSON *uuids = cJSON_CreateArray();
			const cJSON *sugg = cJSON_GetObjectItemCaseSensitive(card, "suggestions");
			for (const cJSON *s = sugg ? sugg->child : NULL; s; s = s->next)
				cJSON_AddItemToArray(
				    uuids,
				    cJSON_CreateString(
				        cJSON_GetObjectItemCaseSensitive(s, "uuid")->valuestring));
			char *text = cJSON_PrintUnformatted(uuids);
			CHECK(same(text, cell(d, 0, 6)), "suggestions %s, stored %s", text,
			      cell(d, 0, 6));
			free(text);
			cJSON_Delete(uuids);
		}
		cJSON_Delete(d);
		const cJSON *crit = cJSON_GetObjectItemCaseSensitive(rec, "criteria");
		for (const cJSON *c = crit ? crit->child : NULL; c; c = c->next, criteria++) {
			const char *cid = cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring;
			char sql[200];
			snprintf(sql, sizeof sql,
			         "SELECT state, evidence FROM criterion WHERE decision_id = $1 AND "
			         "criterion = '%s'",
			         cid);
			cJSON *cr = rows(app->host->store, sql, id);
			CHECK(same(cell(cr, 0, 0),
			           cJSON_GetObjectItemCaseSensitive(c, "state")->valuestring),
			      "criterion %s state %s", cid, cell(cr, 0, 0));
			const cJSON *ev = cJSON_GetObjectItemCaseSensitive(c, "evidence");
			char *evt = ev ? cJSON_PrintUnformatted(ev) : strdup("[]");
			CHECK(same(evt, cell(cr, 0, 1)), "criterion %s evidence %s, stored %s", cid,
			      evt, cell(cr, 0, 1));
			free(evt);
			cJSON_Delete(cr);
		}
	}
	cJSON *n = rows(app->host->store, "SELECT COUNT(*) FROM criterion", NULL);
	CHECK(criteria > 0 && cell(n, 0, 0) && strtoul(cell(n, 0, 0), NULL, 10) == criteria,
	      "%zu criteria, stored %s", criteria, cell(n, 0, 0));
	cJSON_Delete(n);

	/* the same patient again under the same key: the same value */
	struct cds_reply r2 = {0};
	call(app, "POST", SELECT_PATH, knee, &r2, NULL);
	cJSON *pats = rows(app->host->store, "SELECT DISTINCT patient FROM request", NULL);
	CHECK(r2.status == 200 && cJSON_GetArraySize(pats) == 1, "stable for one key");
	cJSON_Delete(pats);
	cds_reply_clear(&r2);
	cJSON_Delete(req);
	cJSON_Delete(response);
	cJSON_Delete(records);
	cds_reply_clear(&r);
}

static void test_feedback(struct cds_app *app)
{
	char body[2048];
	struct cds_reply r = {0};
	snprintf(body, sizeof body,
	         "{\"feedback\":[{\"card\":\"%s\",\"outcome\":\"overridden\","
	         "\"outcomeTimestamp\":\"2026-12-01T10:00:00Z\",\"overrideReason\":{\"reason\":"
	         "{\"system\":\"https://example.org/override\",\"code\":\"patient-preference\","
	         "\"display\":\"Patient preference\"},\"userComment\":\"" COMMENT "\"}},"
	         "{\"card\":\"no-such-card\",\"outcome\":\"accepted\","
	         "\"outcomeTimestamp\":\"2026-12-01T10:01:00Z\",\"acceptedSuggestions\":"
	         "[{\"id\":\"s-1\"},{\"id\":\"s-2\"}]}]}",
	         card_uuid);
	call(app, "POST", FEEDBACK_PATH, body, &r, NULL);
	CHECK(r.status == 200, "feedback: 200 (%u) %.200s", r.status, r.body);
	cds_reply_clear(&r);
	cJSON *fb =
	    rows(app->host->store,
	         "SELECT card_uuid, card_known, outcome, outcome_at, override_reason_system, "
	         "override_reason_code, override_reason_display, has_user_comment, "
	         "accepted_suggestions, service FROM feedback ORDER BY outcome_at",
	         NULL);
	CHECK(cJSON_GetArraySize(fb) == 2, "two feedback rows");
	CHECK(same(cell(fb, 0, 0), card_uuid) && same(cell(fb, 0, 1), "1"),
	      "a known card: linked (card_known %s)", cell(fb, 0, 1));
	CHECK(same(cell(fb, 0, 2), "overridden") && same(cell(fb, 0, 3), "2026-12-01T10:00:00Z"),
	      "outcome and its time");
	CHECK(same(cell(fb, 0, 4), "https://example.org/override") &&
	          same(cell(fb, 0, 5), "patient-preference") &&
	          same(cell(fb, 0, 6), "Patient preference"),
	      "override reason coding stored");
	CHECK(same(cell(fb, 0, 7), "1") && same(cell(fb, 0, 8), "[]"),
	      "has_user_comment 1, no suggestions");
	CHECK(!in_files("a.db", COMMENT), "the comment's text is in no database file");
	CHECK(same(cell(fb, 1, 0), "no-such-card") && same(cell(fb, 1, 1), "0"),
	      "an unknown card: kept, card_known 0");
	CHECK(same(cell(fb, 1, 8), "[\"s-1\",\"s-2\"]") && same(cell(fb, 1, 7), "0") &&
	          !cell(fb, 1, 5),
	      "accepted suggestions as a JSON array: %s", cell(fb, 1, 8));
	CHECK(same(cell(fb, 1, 9), CDS_SERVICE_ORDER_SELECT), "service");
	cJSON_Delete(fb);
}

static void test_bodies(struct cds_app *plain, const char *other_key)
{
	struct cds_app *app = open_app("b.db", other_key, 1, 1);
	if (!app)
		return;
	struct cds_reply r = {0};
	call(app, "POST", SELECT_PATH, knee, &r, NULL);
	CHECK(r.status == 200, "bodies kept: 200");
	cds_reply_clear(&r);
	cJSON *req =
	    rows(app->host->store, "SELECT patient, body, body_expires_at FROM request", NULL);
	cJSON *a = rows(plain->host->store, "SELECT patient FROM request", NULL);
	CHECK(cell(req, 0, 0) && cell(a, 0, 0) && !same(cell(req, 0, 0), cell(a, 0, 0)),
	      "another key: another patient value");
	cJSON_Delete(a);
	const char *body = cell(req, 0, 1);
	CHECK(body && strstr(body, "3f1c2b7e-8a4d-4c1e-9b2a-6d5e4f3a2b10") &&
	          strstr(body, "\"prefetch\""),
	      "the body is stored when enabled");
	CHECK(body && !strstr(body, "fhirAuthorization") && !strstr(body, TOKEN),
	      "without fhirAuthorization");
	CHECK(cell(req, 0, 2) != NULL, "with its expiry %s", cell(req, 0, 2));
	cJSON_Delete(req);

	/* the purge, asked about instants instead of waiting for them */
	struct fhir_error err = {{0}, {0}};
	unsigned long count = 99;
	CHECK(cds__store_purge(app->host->store, time(NULL), &count, &err) == FHIR_OK && count == 0,
	      "nothing expired now (%lu)", count);
	CHECK(cds__store_purge(app->host->store, time(NULL) + 86400 - 120, &count, &err) ==
	              FHIR_OK &&
	          count == 0,
	      "nor just before a day has passed (%lu)", count);
	CHECK(cds__store_purge(app->host->store, time(NULL) + 86400 + 120, &count, &err) ==
	              FHIR_OK &&
	          count == 1,
	      "purged a day later (%lu)", count);
	req = rows(app->host->store, "SELECT body, body_expires_at, hook_instance FROM request",
	           NULL);
	CHECK(!cell(req, 0, 0) && !cell(req, 0, 1) && cell(req, 0, 2),
	      "the body is gone, the request stays");
	cJSON_Delete(req);
	cJSON *d = rows(app->host->store, "SELECT COUNT(*) FROM decision", NULL);
	CHECK(!same(cell(d, 0, 0), "0"), "its decisions stay");
	cJSON_Delete(d);
	cds_app_free(app);
}

static void test_unwritable(struct cds_app *app)
{
	char why[200];
	struct cds_reply r = {0};
	pragma(app->host->store,
	       "PRAGMA query_only = 1"); /* as a read-only file or full disk would */
	call(app, "POST", SELECT_PATH, knee, &r, NULL);
	CHECK(r.status == 503, "unwritable store: the service call is 503 (%u)", r.status);
	CHECK(header(&r, "Retry-After") != NULL, "with Retry-After");
	CHECK(r.body && strstr(r.body, "\"OperationOutcome\"") && strstr(r.body, "transient") &&
	          !strstr(r.body, "\"cards\""),
	      "an OperationOutcome, no card: %.300s", r.body);
	cds_reply_clear(&r);
	call(app, "POST", FEEDBACK_PATH,
	     "{\"feedback\":[{\"card\":\"x\",\"outcome\":\"overridden\",\"outcomeTimestamp\":"
	     "\"2026-12-01T10:00:00Z\",\"overrideReason\":{\"reason\":{\"code\":\"c\"}}}]}",
	     &r, NULL);
	CHECK(r.status == 503 && header(&r, "Retry-After"), "feedback is 503 too (%u)", r.status);
	cds_reply_clear(&r);
	call(app, "GET", "/healthz", NULL, &r, NULL);
	CHECK(r.status == 200 && r.body && strstr(r.body, "\"degraded\"") &&
	          strstr(r.body, "\"failing\"") && strstr(r.body, "readonly"),
	      "/healthz says why: %.400s", r.body);
	cds_reply_clear(&r);
	call(app, "GET", "/readyz", NULL, &r, NULL);
	CHECK(r.status == 503 && r.body && strstr(r.body, "store"), "/readyz says why: %.300s",
	      r.body);
	CHECK(cds__ready(app, why, sizeof why) == 0 && strstr(why, "store"), "not ready: %s", why);
	cds_reply_clear(&r);
	call(app, "GET", "/metrics", NULL, &r, NULL);
	CHECK(r.body && strstr(r.body, "cds_store_write_failures_total 2\n") &&
	          strstr(r.body, "cds_store_writable 0\n"),
	      "/metrics counts the failures");
	cds_reply_clear(&r);
	cJSON *n = rows(app->host->store, "SELECT COUNT(*) FROM request", NULL);
	CHECK(same(cell(n, 0, 0), "2"), "nothing of the refused call was stored (%s)",
	      cell(n, 0, 0));
	cJSON_Delete(n);

	pragma(app->host->store, "PRAGMA query_only = 0"); /* writing works again */
	call(app, "POST", SELECT_PATH, knee, &r, NULL);
	CHECK(r.status == 200, "recovered: the service call is 200 again (%u)", r.status);
	cds_reply_clear(&r);
	call(app, "GET", "/readyz", NULL, &r, NULL);
	CHECK(r.status == 200, "/readyz is 200 again");
	cds_reply_clear(&r);
	call(app, "GET", "/healthz", NULL, &r, NULL);
	CHECK(r.body && strstr(r.body, "\"status\":\"ok\""), "/healthz ok again");
	cds_reply_clear(&r);
}

static void test_options(void)
{
	/* a key file others can read is refused, naming it; a PostgreSQL store needs a key */
	char loose[600];
	snprintf(loose, sizeof loose, "%s/loose.key", dir);
	write_key(loose, 'L');
	chmod(loose, 0644);
	char url[600];
	snprintf(url, sizeof url, "sqlite:%s/c.db", dir);
	struct cds_app_options opts = {.decision_log = "-", .store = url, .patient_key = loose};
	struct cds_app *app = NULL;
	CHECK(cds_app_new(&opts, NULL, &app) != FHIR_OK && !app, "a loose key file is refused");
	/* no key given: created beside the SQLite file, 0600, and the same one used next time */
	opts.patient_key = NULL;
	CHECK(cds_app_new(&opts, NULL, &app) == FHIR_OK && app, "default key: created");
	cds_app_free(app);
	char key[700];
	struct stat st;
	snprintf(key, sizeof key, "%s/c.db.patient-key", dir);
	CHECK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32,
	      "the created key: 32 bytes, 0600");
	app = NULL;
	CHECK(cds_app_new(&opts, NULL, &app) == FHIR_OK && app &&
	          strstr(app->host->store_note, key) && !strstr(app->host->store_note, "created"),
	      "reused the next time: %s", app ? app->host->store_note : "");
	cds_app_free(app);
	opts.store = "-";
	app = NULL;
	CHECK(cds_app_new(&opts, NULL, &app) == FHIR_OK && app && !app->host->store,
	      "'-': no store");
	cds_app_free(app);
}

int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR") ? getenv("CDS_SHARED_DIR") : "../shared";
	char path[1024], key_a[700], key_b[700];
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json", shared);
	char *text = testkit_read(path, NULL);
	cJSON *json = text ? cJSON_Parse(text) : NULL;
	free(text);
	CHECK(json != NULL && mkdtemp(dir) != NULL, "the knee example and a temporary folder");
	if (!json)
		return testkit_done();
	fhirauth_add(json, TOKEN, "patient/*.read", "cds-commissioning");
	knee = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	snprintf(key_a, sizeof key_a, "%s/a.key", dir);
	snprintf(key_b, sizeof key_b, "%s/b.key", dir);
	write_key(key_a, 'a');
	write_key(key_b, 'b');

	struct cds_app *app = open_app("a.db", key_a, 0, 0);
	if (app) {
		test_decisions(app, key_a);
		test_feedback(app);
		test_bodies(app, key_b);
		test_unwritable(app);
		cds_app_free(app);
	}
	test_options();
	free(knee);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup");
	return testkit_done();
}
