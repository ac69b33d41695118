/* test_replay_commit.c — the jti claimed in the call's own commit (issue 14 item 4; struct
 * cds__claim): two replicas A and B in this process, each a server on loopback with the same
 * store as decision store and jti replay cache (--store URL --replay-cache URL), so a token is
 * only checked at auth and claimed in the transaction that commits the call's rows.
 *  - a token answered by A is refused (401 replay) by A and by B: the check at auth;
 *  - the same token sent to A and B at once, both writers paused (test hook) so both calls pass
 *    the check before either commits: exactly one card and one 401 replay (the refused job is
 *    rolled back: one request row more, not two), and neither writer counts itself failing;
 *  - the same on one replica (both jobs in one batch: the batch is refused, each job retried
 *    alone);
 *  - feedback likewise: two uses at once, one 200 and one 401 replay;
 *  - a call that commits nothing (a 400) still claims its token, at its end: the token is then
 *    refused for a valid call;
 *  - a token whose call is still waiting for its commit is not claimed yet: the other replica
 *    answers it, and the waiting call is then refused as a replay (what lets nginx resend the
 *    call of a replica that died before its commit);
 *  - a replica D whose decision store is another (SQLite: another file) claims at auth as
 *    before: while D's call waits for its commit, the token is already a replay on A.
 * On SQLite (one file, a connection per replica and use) always; on PostgreSQL too when
 * CDS_TEST_POSTGRES_URL names a server (tests/store/pg_server.sh). Pass/fail counts answers,
 * never durations; every wait is bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cds_internal.h"
#include "store/store.h"
#include "store/writer.h"
#include "testdir.h"
#include "testjwt.h"
#include "testkit.h"
#include "testnet.h"
#include "teststore.h"

#define ISS      "https://ehr.example/replay-commit"
#define PUBLIC   "https://cds.example"
#define SELECT   "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define FEEDBACK SELECT "/feedback"

static char dir[] = "/tmp/cds-test-replay-commit-XXXXXX";
static char *knee;
static struct testkey key;
static unsigned serial; /* makes every jti of a run unique */

struct replica {
	struct cds_config *cfg;
	struct cds_app *app;
	struct cds_server *server;
	unsigned port;
};

/* A replica with `url` as decision store and `replay` as jti replay cache. */
static int start(struct replica *r, const char *url, const char *replay, const char *patient_key)
{
	struct fhir_error err = {{0}, {0}};
	char issuer[256];
	snprintf(issuer, sizeof issuer, ISS "=%s/jwks.json", dir);
	const char *const opts[][2] = {{"issuer", issuer},       {"public-url", PUBLIC},
	                               {"replay-cache", replay}, {"threads", "2"},
	                               {"max-in-flight", "64"},  {"max-connections-per-ip", "64"}};
	memset(r, 0, sizeof *r);
	r->cfg = cds_config_new();
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		CHECK(cds_config_option(r->cfg, opts[i][0], opts[i][1], &err) == FHIR_OK,
		      "--%s: %s", opts[i][0], err.message);
	struct cds_app_options o = {
	    .decision_log = "-", .settings = r->cfg, .store = url, .patient_key = patient_key};
	CHECK(cds_app_new(&o, NULL, &r->app) == FHIR_OK && r->app && r->app->host->store_writer,
	      "replica with the store %s", cds__store_url_kind(url));
	if (r->app)
		CHECK(cds_server_start(r->app, "127.0.0.1", 0, &r->server, &err) == FHIR_OK,
		      "server: %s", err.message);
	r->port = r->server ? cds_server_port(r->server) : 0;
	return r->port ? 0 : -1;
}

static void stop(struct replica *r)
{
	cds_server_stop(r->server);
	cds_app_free(r->app);
	cds_config_free(r->cfg);
}

/* NEW: a token for `path` with a fresh jti (prefix + a serial number). */
static char *token(const char *path, const char *prefix)
{
	char aud[256], jti[96];
	snprintf(aud, sizeof aud, "\"" PUBLIC "%s\"", path);
	snprintf(jti, sizeof jti, "%s-%u", prefix, serial++);
	return testjwt_token(&key, NULL, ISS, aud, 0, 300, jti);
}

/* Sends a POST of `body` to `path` with the token; the connection (read it with answer). */
static int send_call(unsigned port, const char *path, const char *jwt, const char *body)
{
	int fd = testnet_connect(port, 60, 30);
	size_t size = strlen(body) + strlen(jwt) + 512;
	char *request = malloc(size);
	CHECK(fd >= 0 && request, "connect to %u", port);
	if (fd < 0 || !request) {
		free(request);
		return -1;
	}
	int n = snprintf(request, size,
	                 "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	                 "Authorization: Bearer %s\r\nContent-Length: %zu\r\nConnection: close\r\n"
	                 "\r\n%s",
	                 path, jwt, strlen(body), body);
	CHECK(testnet_send_all(fd, request, (size_t)n) == 0, "send to %u", port);
	free(request);
	return fd;
}

/* The answer on fd (closed): its status; "card" when a 200 holds cards (or "recorded" for
 * feedback), else the 401's reason class, in what (size bytes). */
static unsigned answer(int fd, char *what, size_t size)
{
	static char body[262144];
	what[0] = 0;
	if (fd < 0)
		return 0;
	unsigned status = testnet_read_response(fd, body, sizeof body);
	close(fd);
	cJSON *doc = cJSON_Parse(body);
	const cJSON *cards = cJSON_GetObjectItemCaseSensitive(doc, "cards");
	const cJSON *issue = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "issue"), 0);
	const cJSON *coding =
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	                           cJSON_GetObjectItemCaseSensitive(issue, "details"), "coding"),
	                       0);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(coding, "code");
	if (status == 200 && cJSON_GetArraySize(cards) > 0)
		snprintf(what, size, "card");
	else if (status == 200 && cJSON_GetObjectItemCaseSensitive(doc, "recorded"))
		snprintf(what, size, "recorded");
	else if (cJSON_IsString(code))
		snprintf(what, size, "%s", code->valuestring);
	cJSON_Delete(doc);
	return status;
}

static unsigned call(unsigned port, const char *path, const char *jwt, const char *body, char *what,
                     size_t size)
{
	return answer(send_call(port, path, jwt, body), what, size);
}

static int read_count(void *ctx, const char *const *values, size_t columns)
{
	*(long *)ctx = columns > 0 && values[0] ? strtol(values[0], NULL, 10) : -1;
	return 0;
}

static int count_sql(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	long *n = ctx; /* n[0]: in; the table's index */
	static const char *const sql[] = {"SELECT COUNT(*) FROM request",
	                                  "SELECT COUNT(*) FROM feedback"};
	return cds__store_query(c, sql[n[0]], NULL, 0, read_count, &n[1], err);
}

/* Rows of the request (0) or feedback (1) table, or -1. */
static long stored(struct replica *r, long table)
{
	struct fhir_error err = {{0}, {0}};
	long n[2] = {table, -1};
	CHECK(cds__store_run(r->app->host->store, 0, count_sql, n, &err) == FHIR_OK, "count: %s",
	      err.message);
	return n[1];
}

/* Waits (at most 20 s) until the writer holds `want` jobs; 1 when it does. */
static int wait_queued(struct replica *r, size_t want)
{
	for (int i = 0; i < 1000; i++) {
		if (cds__store_writer_queued(r->app->host->store_writer) >= want)
			return 1;
		sleep_ms(20);
	}
	return 0;
}

static unsigned long refused(struct replica *r)
{
	struct cds__store_writer_stats st;
	cds__store_writer_stats(r->app->host->store_writer, &st);
	CHECK(!st.failing && st.failures == 0, "writer not failing (%lu failures: %s)", st.failures,
	      st.error);
	return st.refused;
}

/* cds_store_replays_refused_total on r's /metrics page, or -1 when it is not there. */
static long metrics_refused(struct replica *r)
{
	struct cds_request req = {.method = "GET", .path = "/metrics"};
	struct cds_reply rep;
	memset(&rep, 0, sizeof rep);
	cds_handle(r->app, &req, &rep);
	static const char name[] = "\ncds_store_replays_refused_total ";
	const char *at = rep.status == 200 && rep.body ? strstr(rep.body, name) : NULL;
	long n = at ? strtol(at + sizeof name - 1, NULL, 10) : -1;
	cds_reply_clear(&rep);
	return n;
}

/* One token used twice at once: on x then y (the same replica or two), both parked on their
 * paused writers before either commits. Checks one `ok` and one 401 replay. */
static void twice_at_once(struct replica *x, struct replica *y, const char *path, const char *body,
                          const char *ok, const char *label)
{
	char *t = token(path, label);
	char what[2][64];
	unsigned st[2];
	long table = strcmp(path, FEEDBACK) == 0;
	long before = stored(x, table);
	unsigned long refusals = refused(x) + (x == y ? 0 : refused(y));
	cds__store_writer_pause(x->app->host->store_writer, 1);
	cds__store_writer_pause(y->app->host->store_writer, 1);
	int fd0 = send_call(x->port, path, t, body);
	int fd1 = send_call(y->port, path, t, body);
	int parked = x == y ? wait_queued(x, 2) : wait_queued(x, 1) && wait_queued(y, 1);
	CHECK(parked, "%s: both calls passed the check and wait for their commit", label);
	cds__store_writer_pause(x->app->host->store_writer, 0);
	cds__store_writer_pause(y->app->host->store_writer, 0);
	st[0] = answer(fd0, what[0], sizeof what[0]);
	st[1] = answer(fd1, what[1], sizeof what[1]);
	int first_ok = st[0] == 200 && strcmp(what[0], ok) == 0;
	int second_ok = st[1] == 200 && strcmp(what[1], ok) == 0;
	int first_replay = st[0] == 401 && strcmp(what[0], "replay") == 0;
	int second_replay = st[1] == 401 && strcmp(what[1], "replay") == 0;
	CHECK((first_ok && second_replay) || (first_replay && second_ok),
	      "%s: one %s and one 401 replay (%u %s, %u %s)", label, ok, st[0], what[0], st[1],
	      what[1]);
	long after = stored(x, table);
	CHECK(after - before == 1, /* the knee call: one request row; the feedback: one item */
	      "%s: the refused call stored nothing (%ld rows more)", label, after - before);
	unsigned long now = refused(x) + (x == y ? 0 : refused(y));
	CHECK(now - refusals == 1, "%s: the writers refused one job (%lu)", label, now - refusals);
	CHECK(metrics_refused(x) == (long)refused(x),
	      "%s: /metrics counts the refusals as the writer does", label);
	free(t);
}

static void suite(const char *url)
{
	struct replica a, b;
	char patient_key[128], what[64];
	snprintf(patient_key, sizeof patient_key, "%s/patient.key", dir);
	printf("store: %s\n", cds__store_url_kind(url));
	if (start(&a, url, url, patient_key) != 0 || start(&b, url, url, patient_key) != 0)
		goto out;

	/* checked at auth: a token answered by A is a replay on A and on B */
	char *t = token(SELECT, "once");
	CHECK(call(a.port, SELECT, t, knee, what, sizeof what) == 200 && !strcmp(what, "card"),
	      "A answers a new token (%s)", what);
	CHECK(call(a.port, SELECT, t, knee, what, sizeof what) == 401 && !strcmp(what, "replay"),
	      "A refuses it again (%s)", what);
	CHECK(call(b.port, SELECT, t, knee, what, sizeof what) == 401 && !strcmp(what, "replay"),
	      "B refuses it (%s)", what);
	free(t);

	/* claimed in the commit: two uses at once */
	twice_at_once(&a, &b, SELECT, knee, "card", "two-replicas");
	twice_at_once(&b, &a, SELECT, knee, "card", "two-replicas-reversed");
	twice_at_once(&a, &a, SELECT, knee, "card", "one-replica");
	static const char feedback[] =
	    "{\"feedback\":[{\"card\":\"0d7f7d6e-0a53-4d55-9d5e-1c7a1c1b0c01\",\"outcome\":"
	    "\"overridden\",\"outcomeTimestamp\":\"2026-12-01T10:00:00Z\",\"overrideReason\":{"
	    "\"userComment\":\"not today\"}}]}";
	twice_at_once(&a, &b, FEEDBACK, feedback, "recorded", "feedback");
	twice_at_once(&b, &b, FEEDBACK, feedback, "recorded", "feedback-one-replica");

	/* a call that commits nothing claims its token at its end */
	t = token(SELECT, "bad-body");
	CHECK(call(a.port, SELECT, t, "{\"hook\":\"order-select\"}", what, sizeof what) == 400,
	      "a 400 (%s)", what);
	CHECK(call(b.port, SELECT, t, knee, what, sizeof what) == 401 && !strcmp(what, "replay"),
	      "its token is claimed (%s)", what);
	free(t);

	/* a call waiting for its commit has not claimed its token: the other replica answers it,
	 * then the waiting call is refused */
	t = token(SELECT, "in-flight");
	cds__store_writer_pause(a.app->host->store_writer, 1);
	int fd = send_call(a.port, SELECT, t, knee);
	CHECK(wait_queued(&a, 1), "A's call waits for its commit");
	CHECK(call(b.port, SELECT, t, knee, what, sizeof what) == 200 && !strcmp(what, "card"),
	      "B answers the token A has not committed (%s)", what);
	cds__store_writer_pause(a.app->host->store_writer, 0);
	unsigned st = answer(fd, what, sizeof what);
	CHECK(st == 401 && !strcmp(what, "replay"), "then A's call is a replay (%u %s)", st, what);
	free(t);

	/* another decision store: the jti is claimed at auth, as before */
	if (strncmp(url, "sqlite:", 7) == 0) {
		struct replica d;
		char other[700];
		snprintf(other, sizeof other, "sqlite:%s/other.db", dir);
		if (start(&d, other, url, patient_key) == 0) {
			t = token(SELECT, "other-store");
			cds__store_writer_pause(d.app->host->store_writer, 1);
			fd = send_call(d.port, SELECT, t, knee);
			CHECK(wait_queued(&d, 1), "D's call waits for its commit");
			CHECK(call(a.port, SELECT, t, knee, what, sizeof what) == 401 &&
			          !strcmp(what, "replay"),
			      "D claimed the token at auth: a replay on A (%s)", what);
			cds__store_writer_pause(d.app->host->store_writer, 0);
			st = answer(fd, what, sizeof what);
			CHECK(st == 200 && !strcmp(what, "card"), "D answers it (%u %s)", st, what);
			free(t);
		}
		stop(&d);
	}
out:
	stop(&a);
	stop(&b);
}

int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR") ? getenv("CDS_SHARED_DIR") : "../shared";
	char path[1024];
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json", shared);
	knee = testkit_read(path, NULL);
	CHECK(knee && mkdtemp(dir), "the knee example and a temporary folder");
	if (!knee)
		return testkit_done();
	/* the issuer's key (its JWKS) and the patient key the replicas share */
	CHECK(testkey_replica_files(&key, "replay-commit-k1", dir) == 0, "the replicas' key files");

	teststore_each(dir, suite);

	testkey_free(&key);
	free(knee);
	CHECK(testdir_remove(dir) == 0, "cleanup");
	return testkit_done();
}
