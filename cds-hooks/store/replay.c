/* replay.c (store) — the jti replay cache as rows of the store's `replay` table (schema v1):
 * one INSERT … ON CONFLICT (iss, jti) DO UPDATE … WHERE the row expired … RETURNING, which both
 * engines run atomically: PostgreSQL makes a second replica inserting the same key wait for the
 * first to commit and then see its row, so exactly one of them is told OK. The same statement
 * runs alone (cds__store_replay_remember) or as the condition of a call's decision rows
 * (cds__store_replay_claim_rows), after a check that only reads (cds__store_replay_check). It
 * must not decide trust (auth.c does) nor log anything. */
#include <stdio.h>
#include <string.h>

#include "store/replay.h"
#include "store/rows.h"

/* An accepted token's row: new, or an expired one taken over. Returns a row only when written. */
static const char remember_sql[] =
    "INSERT INTO replay (iss, jti, expires_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (iss, jti) DO UPDATE SET expires_at = excluded.expires_at "
    "WHERE replay.expires_at < $4 RETURNING 1";

#define PURGE_EVERY_SECONDS 60

static time_t last_purge; /* process-wide (atomic): the purge is the same for every store */

struct remember {
	const char *params[4];
	size_t written;
};

static int remember(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	struct remember *r = ctx;
	return cds__store_query(conn, remember_sql, r->params, 4, cds__store_count_rows,
	                        &r->written, err);
}

struct purge {
	const char *params[1];
	size_t removed;
};

static int purge(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	struct purge *p = ctx;
	return cds__store_query(conn, "DELETE FROM replay WHERE expires_at < $1 RETURNING 1",
	                        p->params, 1, cds__store_count_rows, &p->removed, err);
}

int cds__replay_in_store(const char *replay_cache)
{
	const char *kind = cds__store_url_kind(replay_cache);
	if (kind && strcmp(kind, "sqlite") == 0) { /* a file, shared; memory is one connection's */
		const char *path = cds__store_sqlite_path(replay_cache);
		return path && path[0] && strcmp(path, ":memory:") != 0;
	}
	return kind && strcmp(kind, "postgresql") == 0;
}

struct check {
	const char *params[3];
	size_t live;
};

static int check(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	struct check *c = ctx;
	return cds__store_query(
	    conn, "SELECT 1 FROM replay WHERE iss = $1 AND jti = $2 AND expires_at >= $3",
	    c->params, 3, cds__store_count_rows, &c->live, err);
}

/* Purges expired rows when a minute has passed since this process last did (any store). */
static void purge_now_and_then(struct cds__store *store, time_t now)
{
	struct fhir_error err = {{0}, {0}};
	time_t last = __atomic_load_n(&last_purge, __ATOMIC_RELAXED);
	if (now - last >= PURGE_EVERY_SECONDS &&
	    __atomic_compare_exchange_n(&last_purge, &last, now, 0, __ATOMIC_RELAXED,
	                                __ATOMIC_RELAXED))
		(void)cds__store_replay_purge(store, now, NULL, &err); /* retried next minute */
}

int cds__store_replay_purge(struct cds__store *store, time_t now, size_t *removed,
                            struct fhir_error *err)
{
	char at[24];
	snprintf(at, sizeof at, "%lld", (long long)now);
	struct purge p = {{at}, 0};
	int rc = cds__store_run(store, 1, purge, &p, err);
	if (removed)
		*removed = rc == FHIR_OK ? p.removed : 0;
	return rc;
}

enum cds__auth_reason cds__store_replay_remember(struct cds__store *store, const char *iss,
                                                 const char *jti, time_t expires, time_t now)
{
	struct fhir_error err = {{0}, {0}};
	purge_now_and_then(store, now);
	char until[24], at[24];
	snprintf(until, sizeof until, "%lld", (long long)expires);
	snprintf(at, sizeof at, "%lld", (long long)now);
	struct remember r = {{iss, jti, until, at}, 0};
	if (cds__store_run(store, 1, remember, &r, &err) != FHIR_OK)
		return CDS__AUTH_BUSY; /* not known to be stored: refuse, the client may retry */
	return r.written ? CDS__AUTH_OK : CDS__AUTH_REPLAY;
}

enum cds__auth_reason cds__store_replay_check(struct cds__store *store, const char *iss,
                                              const char *jti, time_t now)
{
	struct fhir_error err = {{0}, {0}};
	purge_now_and_then(store, now);
	char at[24];
	snprintf(at, sizeof at, "%lld", (long long)now);
	struct check c = {{iss, jti, at}, 0};
	if (cds__store_run(store, 0, check, &c, &err) != FHIR_OK)
		return CDS__AUTH_BUSY; /* cannot tell: refuse, the client may retry */
	return c.live ? CDS__AUTH_REPLAY : CDS__AUTH_OK;
}

void cds__store_replay_claim_rows(struct cds__store_rows *rows, const char *iss, const char *jti,
                                  time_t expires, time_t now)
{
	char until[24], at[24];
	snprintf(until, sizeof until, "%lld", (long long)expires);
	snprintf(at, sizeof at, "%lld", (long long)now);
	const char *params[] = {iss, jti, until, at};
	cds__store_rows_add_condition(rows, remember_sql, params, 4);
}
