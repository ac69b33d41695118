/* postgres.c — the PostgreSQL backend of the store (Debian libpq-dev): one libpq connection per
 * store, text parameters and text results, every wait bounded. The server is told to give up on
 * a statement after statement_timeout; the client waits for an answer at most that plus a
 * margin (poll on the socket), then drops the connection, so a server that hangs or vanishes
 * costs a request a bounded wait (a 503), never a stalled thread. Errors never name the password
 * (the URL is not echoed; libpq's messages do not contain it). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "backend.h"

/* Defaults a URL may override (its own connect_timeout, or options=-c statement_timeout=…). */
#define PG_CONNECT_TIMEOUT "5" /* seconds, per host */
#define PG_SESSION_OPTIONS                                                                         \
	"-c statement_timeout=15000 -c lock_timeout=10000 "                                        \
	"-c idle_in_transaction_session_timeout=60000"
/* How long the client waits for an answer beyond the server's statement_timeout. */
#define PG_ANSWER_MARGIN_MS 5000
#define PG_MAX_COLUMNS      64

struct pg {
	PGconn *conn;
	long wait_ms; /* the longest wait for an answer; 0: statement_timeout is off, no limit */
	int dead;     /* 1 after a wait ran out: the connection is out of step, re-open it */
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libpq's message without its trailing newline. */
static int fail(struct fhir_error *err, const char *what, const char *msg)
{
	char text[256];
	snprintf(text, sizeof text, "%s", msg && *msg ? msg : "no message");
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	fhir_error_set(err, NULL, "PostgreSQL%s%s: %s", *what ? " " : "", what, text);
	return FHIR_ERR_IO;
}

/* A failure of the connection itself (not of a statement): re-open it before the next use. */
static int lost(struct pg *p, struct fhir_error *err, const char *what, const char *msg)
{
	p->dead = 1;
	return fail(err, what, msg);
}

/* NOTICEs ("relation already exists, skipping") are not errors: keep them off stderr. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Waits until the query sent on p->conn has its next result ready, flushing what is still to
 * send, for at most until `deadline` (ms, now_ms; 0: no limit). FHIR_OK or FHIR_ERR_IO (then the
 * connection is marked dead). */
static int await(struct pg *p, long deadline, struct fhir_error *err)
{
	for (;;) {
		int flush = PQflush(p->conn);
		if (flush < 0)
			return lost(p, err, "send", PQerrorMessage(p->conn));
		if (flush == 0 && !PQisBusy(p->conn))
			return FHIR_OK;
		int wait = -1;
		if (deadline) {
			long left = deadline - now_ms();
			if (left <= 0) {
				p->dead = 1;
				fhir_error_set(err, NULL,
				               "PostgreSQL did not answer within %ld ms "
				               "(statement_timeout plus %d ms)",
				               p->wait_ms, PG_ANSWER_MARGIN_MS);
				return FHIR_ERR_IO;
			}
			wait = left > 1000000 ? 1000000 : (int)left;
		}
		struct pollfd pfd = {PQsocket(p->conn), (short)(POLLIN | (flush ? POLLOUT : 0)), 0};
		if (pfd.fd < 0)
			return lost(p, err, "connection", PQerrorMessage(p->conn));
		int n = poll(&pfd, 1, wait);
		if (n < 0 && errno != EINTR)
			return lost(p, err, "poll", strerror(errno));
		if (n > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP)) &&
		    !PQconsumeInput(p->conn))
			return lost(p, err, "connection", PQerrorMessage(p->conn));
	}
}

/* Collects the results of what was sent: rows of a tuples result go to row(ctx, …) (when row is
 * given); the first error is kept. Every result is drained so the connection is ready for the
 * next statement. FHIR_OK, row's status, or FHIR_ERR_IO. */
static int results(struct pg *p, cds__store_row_fn row, void *ctx, struct fhir_error *err)
{
	long deadline = p->wait_ms ? now_ms() + p->wait_ms : 0;
	int rc = FHIR_OK;
	for (;;) {
		int w = await(p, deadline, err);
		if (w != FHIR_OK)
			return w; /* dead or broken: nothing more to drain */
		PGresult *res = PQgetResult(p->conn);
		if (!res)
			break;
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK && rc == FHIR_OK && row) {
			int rows = PQntuples(res), columns = PQnfields(res);
			if (columns > PG_MAX_COLUMNS)
				columns = PG_MAX_COLUMNS;
			const char *values[PG_MAX_COLUMNS];
			for (int r = 0; r < rows && rc == FHIR_OK; r++) {
				for (int c = 0; c < columns; c++)
					values[c] =
					    PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
				rc = row(ctx, values, (size_t)columns);
			}
		} else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK &&
		           st != PGRES_EMPTY_QUERY && rc == FHIR_OK) {
			/* FATAL or PANIC: the server ends the session after it (a terminated
			 * backend, a shutdown) */
			const char *severity =
			    PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
			if (severity && strcmp(severity, "ERROR") != 0)
				p->dead = 1;
			rc = fail(err, "", PQresultErrorMessage(res));
		}
		PQclear(res);
	}
	return rc;
}

/* Marks parameters the statement never names ("$N") as text: PostgreSQL cannot infer a type for
 * them and SQLite ignores them, so both accept the same call. The rest are inferred (0). */
static void param_types(const char *sql, size_t n, Oid *types)
{
	for (size_t i = 0; i < n; i++)
		types[i] = 25; /* text */
	for (const char *s = strchr(sql, '$'); s; s = strchr(s + 1, '$')) {
		char *end;
		unsigned long k = strtoul(s + 1, &end, 10);
		if (end != s + 1 && k >= 1 && k <= n)
			types[k - 1] = 0;
	}
}

static int pg_query(void *db, const char *sql, const char *const *params, size_t n,
                    cds__store_row_fn row, void *ctx, struct fhir_error *err)
{
	struct pg *p = db;
	if (p->dead)
		return fail(err, "connection", "lost; it is re-opened on the next call");
	if (n > 1000) {
		fhir_error_set(err, NULL, "PostgreSQL: %zu parameters (at most 1000)", n);
		return FHIR_ERR_IO;
	}
	Oid types[1000];
	param_types(sql, n, types);
	if (!PQsendQueryParams(p->conn, sql, (int)n, n ? types : NULL, n ? params : NULL, NULL,
	                       NULL, 0))
		return lost(p, err, "send", PQerrorMessage(p->conn));
	return results(p, row, ctx, err);
}

static int pg_exec(void *db, const char *sql, const char *const *params, size_t n,
                   struct fhir_error *err)
{
	return pg_query(db, sql, params, n, NULL, NULL, err);
}

static int pg_exec_script(void *db, const char *sql, struct fhir_error *err)
{
	struct pg *p = db;
	if (p->dead)
		return fail(err, "connection", "lost; it is re-opened on the next call");
	if (!PQsendQuery(p->conn, sql)) /* the simple protocol runs several statements */
		return lost(p, err, "send", PQerrorMessage(p->conn));
	return results(p, NULL, NULL, err);
}

static void pg_close(void *db)
{
	struct pg *p = db;
	if (!p)
		return;
	PQfinish(p->conn);
	free(p);
}

static int read_setting(void *ctx, const char *const *values, size_t columns)
{
	*(long *)ctx = columns > 0 && values[0] ? strtol(values[0], NULL, 10) : 0;
	return 0;
}

static int pg_open(const char *url, void **out, struct fhir_error *err)
{
	*out = NULL;
	/* Keywords in order, the URL last: what the URL sets overrides these defaults. */
	const char *const keys[] = {
	    "connect_timeout", "options", "application_name", "keepalives_idle", "tcp_user_timeout",
	    "dbname",          NULL};
	const char *const values[] = {
	    PG_CONNECT_TIMEOUT, PG_SESSION_OPTIONS, "cds-commissioning", "30", "20000", url, NULL};
	struct pg *p = calloc(1, sizeof *p);
	if (!p)
		abort(); /* architecture.md: out of memory aborts */
	p->conn = PQconnectdbParams(keys, values, 1);
	if (!p->conn)
		abort();
	if (PQstatus(p->conn) != CONNECTION_OK) {
		fail(err, "connect", PQerrorMessage(p->conn));
		pg_close(p);
		return FHIR_ERR_IO;
	}
	PQsetNoticeProcessor(p->conn, quiet, NULL);
	if (PQsetnonblocking(p->conn, 1) != 0) {
		fail(err, "connect", PQerrorMessage(p->conn));
		pg_close(p);
		return FHIR_ERR_IO;
	}
	/* The session's statement_timeout (ms; the URL may have changed it) bounds the client's
	 * wait. Read with a fixed wait: a server that hangs right after connecting. */
	long timeout = 0;
	p->wait_ms = 15000 + PG_ANSWER_MARGIN_MS;
	int rc = pg_query(p, "SELECT setting FROM pg_settings WHERE name = 'statement_timeout'",
	                  NULL, 0, read_setting, &timeout, err);
	if (rc != FHIR_OK) {
		pg_close(p);
		return rc;
	}
	p->wait_ms = timeout > 0 ? timeout + PG_ANSWER_MARGIN_MS : 0;
	*out = p;
	return FHIR_OK;
}

static int pg_broken(void *db)
{
	struct pg *p = db;
	return p->dead || PQstatus(p->conn) == CONNECTION_BAD;
}

static const struct cds__store_backend backend = {
    .kind = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .query = pg_query,
    .exec_script = pg_exec_script,
    .broken = pg_broken,
};

const struct cds__store_backend *cds__store_postgres_backend(void)
{
	return &backend;
}
