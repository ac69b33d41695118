/* test_store.c — the store's connection layer (cds-hooks/store/store.h): URL kinds, migrations
 * applied once and recorded, a newer schema refused, parameters bound by "$N" (NULL included),
 * rows and NULL values read back, a failing statement rolls its transaction back, the password
 * never shown. Runs on SQLite always; on PostgreSQL too when CDS_TEST_POSTGRES_URL names a
 * server (tests/store/pg_server.sh starts one), with what only PostgreSQL has: a connection the
 * server dropped is re-opened, a server that stops answering costs a bounded wait, a wrong
 * password is refused without being shown. */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/store.h"
#include "testkit.h"

struct rows {
	size_t count;
	char first[256];
	int first_null[4];
};

static int collect(void *ctx, const char *const *values, size_t columns)
{
	struct rows *r = ctx;
	if (r->count++ == 0) {
		snprintf(r->first, sizeof r->first, "%s", values[0] ? values[0] : "(null)");
		for (size_t i = 0; i < columns && i < 4; i++)
			r->first_null[i] = values[i] == NULL;
	}
	return 0;
}

static int stop_at_first(void *ctx, const char *const *values, size_t columns)
{
	(void)values;
	(void)columns;
	++*(int *)ctx;
	return 7;
}

struct q {
	const char *sql;
	const char *const *params;
	size_t n;
	struct rows rows;
};

static int run_query(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct q *q = ctx;
	return cds__store_query(c, q->sql, q->params, q->n, collect, &q->rows, err);
}

static int run_exec(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct q *q = ctx;
	return cds__store_exec(c, q->sql, q->params, q->n, err);
}

/* an insert then a failing statement: the transaction must leave nothing */
static int insert_then_fail(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	(void)ctx;
	const char *p[] = {"iss-rollback", "jti-1", "100"};
	int rc = cds__store_exec(c, "INSERT INTO replay (iss, jti, expires_at) VALUES ($1, $2, $3)",
	                         p, 3, err);
	CHECK(rc == FHIR_OK, "insert in transaction: %s", err->message);
	return cds__store_exec(c, "INSERT INTO no_such_table VALUES (1)", NULL, 0, err);
}

static size_t count(struct cds__store *s, const char *sql, const char *const *params, size_t n)
{
	struct q q = {sql, params, n, {0}};
	struct fhir_error err;
	int rc = cds__store_run(s, 0, run_query, &q, &err);
	CHECK(rc == FHIR_OK, "%s: %s", sql, err.message);
	return (size_t)strtoul(q.rows.first, NULL, 10);
}

static int stop_query(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	return cds__store_query(c, "SELECT version FROM cds_schema", NULL, 0, stop_at_first, ctx,
	                        err);
}

/* The same query again from inside its own row callback (a statement in use is not reused),
 * and more distinct statements than a connection keeps prepared: every answer still right. */
struct nested {
	struct cds__store_conn *conn;
	int outer, inner;
};

static int inner_row(void *ctx, const char *const *values, size_t columns)
{
	(void)columns;
	struct nested *n = ctx;
	n->inner += values[0] && strcmp(values[0], "f-1") == 0;
	return 0;
}

static int outer_row(void *ctx, const char *const *values, size_t columns)
{
	(void)values;
	(void)columns;
	struct nested *n = ctx;
	struct fhir_error err;
	n->outer++;
	return cds__store_query(n->conn, "SELECT id FROM feedback", NULL, 0, inner_row, n, &err);
}

static int nested_queries(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct nested *n = ctx;
	n->conn = c;
	return cds__store_query(c, "SELECT id FROM feedback", NULL, 0, outer_row, n, err);
}

static int many_statements(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	int *right = ctx;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 80; i++) {
			char sql[64], param[16], want[16];
			snprintf(sql, sizeof sql, "SELECT %d + CAST($1 AS INTEGER)", i);
			snprintf(param, sizeof param, "%d", round);
			snprintf(want, sizeof want, "%d", i + round);
			const char *p[] = {param};
			struct rows r = {0};
			int rc = cds__store_query(c, sql, p, 1, collect, &r, err);
			if (rc != FHIR_OK)
				return rc;
			*right += r.count == 1 && strcmp(r.first, want) == 0;
		}
	return FHIR_OK;
}

static void suite(const char *url, int persistent)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__store *s = NULL;
	int rc = cds__store_open(url, &s, &err);
	CHECK(rc == FHIR_OK && s, "open %s: %s", url, err.message);
	if (!s)
		return;
	/* every migration applied once, recorded */
	char want[16];
	snprintf(want, sizeof want, "%d", cds__store_schema_version());
	struct q q = {"SELECT MAX(version), COUNT(*) FROM cds_schema", NULL, 0, {0}};
	CHECK(cds__store_run(s, 0, run_query, &q, &err) == FHIR_OK, "%s", err.message);
	CHECK(strcmp(q.rows.first, want) == 0, "schema version %s, want %s", q.rows.first, want);
	CHECK(count(s, "SELECT COUNT(*) FROM cds_schema", NULL, 0) ==
	          (size_t)cds__store_schema_version(),
	      "one cds_schema row per migration");

	/* parameters by $N, NULL both ways, reuse out of order */
	struct q ins = {
	    "INSERT INTO feedback (id, received_at, service, card_uuid, card_known, "
	    "outcome, outcome_at, has_user_comment, accepted_suggestions) VALUES ($1, $2, "
	    "$3, $4, $5, $6, $7, $8, '[]')",
	    (const char *const[]){"f-1", "2026-12-01T00:00:00.000Z", "svc", "card-1", "0",
	                          "overridden", NULL, "0"},
	    8,
	    {0}};
	CHECK(cds__store_run(s, 1, run_exec, &ins, &err) == FHIR_OK, "insert: %s", err.message);
	struct q sel = {"SELECT card_uuid, outcome_at, outcome FROM feedback WHERE id = $2 AND "
	                "service = $1",
	                (const char *const[]){"svc", "f-1"},
	                2,
	                {0}};
	CHECK(cds__store_run(s, 0, run_query, &sel, &err) == FHIR_OK, "select: %s", err.message);
	CHECK(sel.rows.count == 1 && strcmp(sel.rows.first, "card-1") == 0, "row back: %zu %s",
	      sel.rows.count, sel.rows.first);
	CHECK(sel.rows.first_null[1] == 1 && sel.rows.first_null[2] == 0, "NULL read back as NULL");

	/* text that needs quoting travels as a parameter, never spliced */
	const char *tricky[] = {"x'); DROP TABLE feedback; --", "jti", "5"};
	struct q ins2 = {
	    "INSERT INTO replay (iss, jti, expires_at) VALUES ($1, $2, $3)", tricky, 3, {0}};
	CHECK(cds__store_run(s, 1, run_exec, &ins2, &err) == FHIR_OK, "%s", err.message);
	CHECK(count(s, "SELECT COUNT(*) FROM replay WHERE iss = $1", tricky, 1) == 1,
	      "quoted text stored as given");
	CHECK(count(s, "SELECT COUNT(*) FROM feedback", NULL, 0) == 1, "feedback table intact");
	/* a duplicate key is an error, not a crash */
	CHECK(cds__store_run(s, 1, run_exec, &ins2, &err) == FHIR_ERR_IO, "duplicate refused");

	/* rollback: nothing of a failed transaction stays */
	rc = cds__store_run(s, 1, insert_then_fail, NULL, &err);
	CHECK(rc == FHIR_ERR_IO, "failing statement reported (%d)", rc);
	CHECK(err.message[0] != 0, "with a message");
	const char *iss[] = {"iss-rollback"};
	CHECK(count(s, "SELECT COUNT(*) FROM replay WHERE iss = $1", iss, 1) == 0, "rolled back");

	/* statements kept prepared: nested use, and more statements than are kept */
	if (strcmp(cds__store_kind(s), "sqlite") == 0) { /* libpq: one query at a time (store.h) */
		struct nested nest = {0};
		CHECK(cds__store_run(s, 0, nested_queries, &nest, &err) == FHIR_OK, "nested: %s",
		      err.message);
		CHECK(nest.outer == 1 && nest.inner == 1, "nested query answered: %d %d",
		      nest.outer, nest.inner);
	}
	int right = 0;
	CHECK(cds__store_run(s, 0, many_statements, &right, &err) == FHIR_OK, "many: %s",
	      err.message);
	CHECK(right == 160, "160 distinct statement uses answered right, not %d", right);

	/* a row callback's non-zero status stops the query and comes back */
	int seen = 0;
	CHECK(cds__store_run(s, 0, stop_query, &seen, &err) == 7 && seen == 1,
	      "row callback stops (%d rows seen)", seen);
	cds__store_close(s);
	if (!persistent)
		return;

	/* re-open: migrations are not applied twice */
	CHECK(cds__store_open(url, &s, &err) == FHIR_OK, "re-open: %s", err.message);
	if (s) {
		CHECK(count(s, "SELECT COUNT(*) FROM cds_schema", NULL, 0) ==
		          (size_t)cds__store_schema_version(),
		      "still one row per migration");
		CHECK(count(s, "SELECT COUNT(*) FROM feedback", NULL, 0) == 1, "data kept");
		/* a database from a newer build is refused, naming the versions */
		struct q newer = {
		    "INSERT INTO cds_schema (version, applied_at) VALUES (999, 'x')", NULL, 0, {0}};
		CHECK(cds__store_run(s, 1, run_exec, &newer, &err) == FHIR_OK, "%s", err.message);
		cds__store_close(s);
		s = NULL;
		rc = cds__store_open(url, &s, &err);
		CHECK(rc != FHIR_OK && s == NULL && strstr(err.message, "999"),
		      "newer schema refused: %s", err.message);
		cds__store_close(s);
	}
}

/* ---- PostgreSQL only ----------------------------------------------------------------------- */

static int read_text(void *ctx, const char *const *values, size_t columns)
{
	snprintf(ctx, 64, "%s", columns > 0 && values[0] ? values[0] : "");
	return 0;
}

static int select_pid(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	return cds__store_query(c, "SELECT pg_backend_pid()", NULL, 0, read_text, ctx, err);
}

static int select_one(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	return cds__store_query(c, "SELECT 1", NULL, 0, read_text, ctx, err);
}

static int select_db(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	return cds__store_query(c, "SELECT current_database()", NULL, 0, read_text, ctx, err);
}

/* ALTER DATABASE db WITH ALLOW_CONNECTIONS allow, from the server's `postgres` database (a
 * database cannot refuse its own connections), with libpq directly. 1 when done. */
static int admin(const char *url, const char *db, const char *allow)
{
	char admin_url[600], sql[200];
	const char *slash = strrchr(url, '/');
	snprintf(admin_url, sizeof admin_url, "%.*s/postgres", (int)(slash - url), url);
	snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" WITH ALLOW_CONNECTIONS %s", db, allow);
	PGconn *c = PQconnectdb(admin_url);
	PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "admin: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

/* url with "?options=…" (the test URL has no query of its own) */
static void with_options(const char *url, const char *options, char *out, size_t size)
{
	snprintf(out, size, "%s%soptions=%s", url, strchr(url, '?') ? "&" : "?", options);
}

static void postgres_only(const char *url)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__store *a = NULL, *b = NULL;
	char pid[64] = "", one[64] = "";
	CHECK(cds__store_open(url, &a, &err) == FHIR_OK, "open: %s", err.message);
	CHECK(cds__store_open(url, &b, &err) == FHIR_OK, "second open: %s", err.message);
	if (!a || !b)
		goto out;
	CHECK(strcmp(cds__store_kind(a), "postgresql") == 0, "kind %s", cds__store_kind(a));

	/* the server ends a's session (a restart, a failover): a's next transaction re-opens
	 * its connection and runs, without a failed call first */
	CHECK(cds__store_run(a, 0, select_pid, pid, &err) == FHIR_OK && pid[0], "pid: %s",
	      err.message);
	struct q kill_a = {
	    "SELECT pg_terminate_backend($1::int)", (const char *const[]){pid}, 1, {0}};
	CHECK(cds__store_run(b, 0, run_query, &kill_a, &err) == FHIR_OK &&
	          strcmp(kill_a.rows.first, "t") == 0,
	      "terminate: %s %s", err.message, kill_a.rows.first);
	CHECK(cds__store_run(a, 1, select_one, one, &err) == FHIR_OK && strcmp(one, "1") == 0,
	      "re-opened after the server dropped it: %s", err.message);

	/* the server refuses the re-open: the call fails with why; the next one at once does not
	 * try again (callers queued on the lock do not each wait a connect); later it does */
	pid[0] = 0;
	CHECK(cds__store_run(a, 0, select_pid, pid, &err) == FHIR_OK, "%s", err.message);
	char dbname[64] = "";
	CHECK(cds__store_run(b, 0, select_db, dbname, &err) == FHIR_OK, "%s", err.message);
	CHECK(admin(url, dbname, "false"), "connections to %s refused", dbname);
	CHECK(cds__store_run(b, 0, run_query, &kill_a, &err) == FHIR_OK, "%s", err.message);
	CHECK(cds__store_run(a, 1, select_one, one, &err) == FHIR_ERR_IO &&
	          strstr(err.message, "not currently accepting connections"),
	      "re-open refused: %s", err.message);
	CHECK(cds__store_run(a, 1, select_one, one, &err) == FHIR_ERR_IO &&
	          strstr(err.message, "re-open failed less than"),
	      "no second attempt at once: %s", err.message);
	CHECK(admin(url, dbname, "true"), "connections to %s allowed again", dbname);
	int back = 0;
	for (int i = 0; i < 100 && !back; i++) { /* the back-off is 1 s; at most 10 s */
		sleep_ms(100);
		back = cds__store_run(a, 1, select_one, one, &err) == FHIR_OK;
	}
	CHECK(back, "re-opened once the server accepts again: %s", err.message);

	/* a statement the server gives up on (statement_timeout from the URL) is an error */
	char short_url[600];
	with_options(url, "-c%20statement_timeout%3D300", short_url, sizeof short_url);
	struct cds__store *quick = NULL;
	CHECK(cds__store_open(short_url, &quick, &err) == FHIR_OK, "open: %s", err.message);
	if (quick) {
		struct q sleep = {"SELECT pg_sleep(3)", NULL, 0, {0}};
		CHECK(cds__store_run(quick, 0, run_query, &sleep, &err) == FHIR_ERR_IO &&
		          strstr(err.message, "statement timeout"),
		      "statement_timeout: %s", err.message);
		/* a server that stops answering (its process stopped): the client gives up after
		 * statement_timeout plus a margin, drops the connection, and re-opens it next time
		 */
		pid[0] = 0;
		CHECK(cds__store_run(quick, 0, select_pid, pid, &err) == FHIR_OK, "%s",
		      err.message);
		pid_t backend = (pid_t)strtol(pid, NULL, 10);
		if (backend > 0 && kill(backend, SIGSTOP) == 0) {
			int rc = cds__store_run(quick, 0, select_one, one, &err);
			kill(backend, SIGCONT);
			CHECK(rc == FHIR_ERR_IO && strstr(err.message, "did not answer"),
			      "bounded wait on a stopped server: %d %s", rc, err.message);
			one[0] = 0;
			CHECK(cds__store_run(quick, 1, select_one, one, &err) == FHIR_OK &&
			          strcmp(one, "1") == 0,
			      "re-opened after the wait ran out: %s", err.message);
		} else {
			printf("PostgreSQL: cannot stop the server process (not its user): the "
			       "bounded wait is not tested here\n");
		}
		cds__store_close(quick);
	}

	/* a wrong password: refused, the password shown as *** */
	char wrong[600];
	const char *at = strchr(url + strlen("postgresql://"), '@');
	const char *colon = strchr(url + strlen("postgresql://"), ':');
	if (at && colon && colon < at) {
		snprintf(wrong, sizeof wrong, "%.*s:n0t-the-pw%s", (int)(colon - url), url, at);
		struct cds__store *w = NULL;
		CHECK(cds__store_open(wrong, &w, &err) == FHIR_ERR_IO && !w, "wrong password");
		CHECK(strstr(err.message, "n0t-the-pw") == NULL && strstr(err.message, ":***@"),
		      "password not shown: %s", err.message);
		cds__store_close(w);
	}
out:
	cds__store_close(a);
	cds__store_close(b);
}

/* A "server" that accepts TCP connections and never answers: opening a store on it fails
 * after libpq's connect_timeout instead of waiting for ever. Needs no PostgreSQL. */
static void unresponsive_server(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 4) == 0 &&
	          getsockname(fd, (struct sockaddr *)&sa, &len) == 0,
	      "listening socket");
	char url[160];
	snprintf(url, sizeof url, "postgresql://cds:pw-x@127.0.0.1:%u/cds?connect_timeout=2",
	         (unsigned)ntohs(sa.sin_port));
	struct fhir_error err = {{0}, {0}};
	struct cds__store *s = NULL;
	CHECK(cds__store_open(url, &s, &err) == FHIR_ERR_IO && !s, "silent server refused");
	CHECK(strstr(err.message, "timeout") && !strstr(err.message, "pw-x"), "says why: %s",
	      err.message);
	cds__store_close(s);
	close(fd);
}

int main(void)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__store *s = NULL;

	/* URL kinds */
	CHECK(cds__store_open("mysql://x", &s, &err) == FHIR_ERR_INVALID && !s, "unknown kind");
	CHECK(strstr(err.message, "sqlite:PATH") != NULL, "says what is expected: %s", err.message);
	CHECK(cds__store_open("sqlite:", &s, &err) == FHIR_ERR_IO && !s, "sqlite: without a file");
	CHECK(cds__store_open("sqlite:/nonexistent-dir/x/y.db", &s, &err) == FHIR_ERR_IO && !s,
	      "unwritable path refused");
	CHECK(strstr(err.message, "/nonexistent-dir/x/y.db") != NULL, "names the file: %s",
	      err.message);

	/* URL kinds and the SQLite file of a URL, as every command reads them */
	CHECK(strcmp(cds__store_url_kind("postgres://h/db"), "postgresql") == 0 &&
	          strcmp(cds__store_url_kind("sqlite::memory:"), "sqlite") == 0 &&
	          cds__store_url_kind("mysql://x") == NULL,
	      "URL kinds");
	CHECK(strcmp(cds__store_sqlite_path("sqlite:///var/x.db"), "/var/x.db") == 0 &&
	          strcmp(cds__store_sqlite_path("sqlite:/var/x.db"), "/var/x.db") == 0 &&
	          cds__store_sqlite_path("postgresql://h/db") == NULL,
	      "the SQLite file of a URL");
	CHECK(cds__store_sqlite_missing("sqlite:/nonexistent-dir/y.db") &&
	          !cds__store_sqlite_missing("sqlite::memory:") &&
	          !cds__store_sqlite_missing("postgresql://h/db"),
	      "a missing SQLite file");

	/* passwords never shown */
	char shown[256];
	cds__store_redact("postgresql://cds:s3cret@127.0.0.1:5432/cds", shown, sizeof shown);
	CHECK(strstr(shown, "s3cret") == NULL && strstr(shown, "cds:***@127.0.0.1"), "%s", shown);
	cds__store_redact("postgresql:///cds?host=/tmp&password=s3cret&user=x", shown,
	                  sizeof shown);
	CHECK(strstr(shown, "s3cret") == NULL && strstr(shown, "password=***&user=x"), "%s", shown);
	cds__store_redact("sqlite:/var/lib/x.db", shown, sizeof shown);
	CHECK(strcmp(shown, "sqlite:/var/lib/x.db") == 0, "%s", shown);

	/* SQLite: a new file, created owner-only */
	char dir[] = "/tmp/test_store.XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	char path[128], url[160];
	snprintf(path, sizeof path, "%s/store.db", dir);
	snprintf(url, sizeof url, "sqlite:%s", path);
	suite(url, 1);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 077) == 0, "file mode %o", st.st_mode & 0777);
	suite("sqlite::memory:", 0);

	const char *pg = getenv("CDS_TEST_POSTGRES_URL");
	unresponsive_server();
	if (pg && *pg) {
		postgres_only(pg); /* first: suite() leaves a schema newer than this build */
		suite(pg, 1);
	} else
		printf("PostgreSQL: not tested here (CDS_TEST_POSTGRES_URL unset)\n");

	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
	return testkit_done();
}
