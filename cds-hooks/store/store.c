/* store.c — opening a store by URL, applying migrations, and the locked entry points of
 * store.h over the backend of the URL's kind (sqlite.c, postgres.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

struct cds__store {
	const struct cds__store_backend *backend;
	void *db;  /* the backend's connection; NULL after a failed re-open */
	char *url; /* NEW: as given (holds a password for PostgreSQL: never printed) */
	pthread_mutex_t lock;
	/* After a failed re-open, calls fail at once with its message until retry_at (monotonic
	 * ms): callers queued on the lock must not each wait a whole connect_timeout. */
	long retry_at;
	char open_error[sizeof((struct fhir_error *)0)->message];
};

#define REOPEN_BACKOFF_MS 1000

static long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct cds__store_conn {
	struct cds__store *store;
};

void cds__store_redact(const char *url, char *buf, size_t size)
{
	if (size == 0)
		return;
	snprintf(buf, size, "%s", url ? url : "");
	/* userinfo: scheme://user:password@host */
	char *scheme = strstr(buf, "://");
	if (scheme) {
		char *auth = scheme + 3;
		char *at = strchr(auth, '@');
		char *slash = strchr(auth, '/');
		if (at && (!slash || at < slash)) {
			char *colon = memchr(auth, ':', (size_t)(at - auth));
			if (colon) {
				char rest[1024];
				snprintf(rest, sizeof rest, "%s", at);
				snprintf(colon, size - (size_t)(colon - buf), ":***%s", rest);
			}
		}
	}
	/* a password=... query or keyword parameter */
	char *p = strstr(buf, "password=");
	if (p) {
		char *end = p + strlen("password=");
		size_t skip = strcspn(end, "& ");
		char rest[1024];
		snprintf(rest, sizeof rest, "%s", end + skip);
		snprintf(end, size - (size_t)(end - buf), "***%s", rest);
	}
}

const char *cds__store_url_kind(const char *url)
{
	if (!url)
		return NULL;
	if (strncmp(url, "sqlite:", 7) == 0)
		return "sqlite";
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
		return "postgresql";
	return NULL;
}

const char *cds__store_sqlite_path(const char *url)
{
	const char *kind = cds__store_url_kind(url);
	if (!kind || strcmp(kind, "sqlite") != 0)
		return NULL;
	const char *path = url + 7;
	return strncmp(path, "//", 2) == 0 ? path + 2 : path; /* sqlite:///abs as sqlite:/abs */
}

int cds__store_sqlite_missing(const char *url)
{
	const char *path = cds__store_sqlite_path(url);
	return path && *path && strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0;
}

static const struct cds__store_backend *backend_for(const char *url)
{
	const char *kind = cds__store_url_kind(url);
	if (!kind)
		return NULL;
	return strcmp(kind, "sqlite") == 0 ? cds__store_sqlite_backend()
	                                   : cds__store_postgres_backend();
}

const char *cds__store_kind(const struct cds__store *store)
{
	return store->backend->kind;
}

const char *cds__store_url(const struct cds__store *store)
{
	return store->url;
}

struct cds__store *cds__store_of(struct cds__store_conn *conn)
{
	return conn->store;
}

/* The connection, re-opened when the backend says it broke. FHIR_OK or FHIR_ERR_IO. */
static int connection(struct cds__store *s, struct fhir_error *err)
{
	if (s->db && s->backend->broken && s->backend->broken(s->db)) {
		s->backend->close(s->db);
		s->db = NULL;
	}
	if (s->db)
		return FHIR_OK;
	if (s->retry_at && monotonic_ms() < s->retry_at) {
		fhir_error_set(err, NULL, "%s (its re-open failed less than %d ms ago)",
		               s->open_error, REOPEN_BACKOFF_MS);
		return FHIR_ERR_IO;
	}
	int rc = s->backend->open(s->url, &s->db, err);
	if (rc != FHIR_OK) {
		snprintf(s->open_error, sizeof s->open_error, "%s", err ? err->message : "");
		s->retry_at = monotonic_ms() + REOPEN_BACKOFF_MS;
	} else {
		s->retry_at = 0;
	}
	return rc;
}

int cds__store_run(struct cds__store *store, int transaction, cds__store_fn fn, void *ctx,
                   struct fhir_error *err)
{
	struct cds__store_conn conn = {store};
	pthread_mutex_lock(&store->lock);
	int rc = connection(store, err);
	if (rc == FHIR_OK && transaction) {
		rc = store->backend->exec(store->db, "BEGIN", NULL, 0, err);
		/* A PostgreSQL connection that broke since its last use (the server restarted)
		 * only says so when used: nothing ran yet, so re-open it once and begin again. */
		if (rc != FHIR_OK && store->backend->broken && store->backend->broken(store->db) &&
		    (rc = connection(store, err)) == FHIR_OK)
			rc = store->backend->exec(store->db, "BEGIN", NULL, 0, err);
	}
	if (rc == FHIR_OK) {
		rc = fn(&conn, ctx, err);
		if (transaction) {
			if (rc == FHIR_OK)
				rc = store->backend->exec(store->db, "COMMIT", NULL, 0, err);
			if (rc != FHIR_OK) {
				struct fhir_error ignored;
				store->backend->exec(store->db, "ROLLBACK", NULL, 0, &ignored);
			}
		}
	}
	pthread_mutex_unlock(&store->lock);
	return rc;
}

int cds__store_exec(struct cds__store_conn *conn, const char *sql, const char *const *params,
                    size_t n, struct fhir_error *err)
{
	return conn->store->backend->exec(conn->store->db, sql, params, n, err);
}

int cds__store_query(struct cds__store_conn *conn, const char *sql, const char *const *params,
                     size_t n, cds__store_row_fn row, void *ctx, struct fhir_error *err)
{
	return conn->store->backend->query(conn->store->db, sql, params, n, row, ctx, err);
}

int cds__store_exec_script(struct cds__store_conn *conn, const char *sql, struct fhir_error *err)
{
	return conn->store->backend->exec_script(conn->store->db, sql, err);
}

/* ---- migrations ---------------------------------------------------------------------------- */

static int read_int(void *ctx, const char *const *values, size_t columns)
{
	*(long *)ctx = (columns > 0 && values[0]) ? strtol(values[0], NULL, 10) : 0;
	return 0;
}

struct migrate_step {
	size_t version; /* the version this step reaches */
	const char *script;
	int done; /* 1 when the database already had it (another replica was first) */
};

/* One migration in its own transaction. PostgreSQL: a transaction-scoped advisory lock keeps two
 * replicas starting together from both applying it; the version is re-read under the lock. */
static int migrate_one(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	struct migrate_step *step = ctx;
	int rc;
	if (strcmp(cds__store_kind(conn->store), "postgresql") == 0) {
		rc =
		    cds__store_exec(conn, "SELECT pg_advisory_xact_lock(4242424242)", NULL, 0, err);
		if (rc != FHIR_OK)
			return rc;
	}
	long have = 0;
	rc = cds__store_query(conn, "SELECT COALESCE(MAX(version), 0) FROM cds_schema", NULL, 0,
	                      read_int, &have, err);
	if (rc != FHIR_OK)
		return rc;
	if ((size_t)have >= step->version) {
		step->done = 1;
		return FHIR_OK;
	}
	rc = cds__store_exec_script(conn, step->script, err);
	if (rc != FHIR_OK)
		return rc;
	char version[24], stamp[32];
	snprintf(version, sizeof version, "%zu", step->version);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	const char *params[] = {version, stamp};
	return cds__store_exec(conn, "INSERT INTO cds_schema (version, applied_at) VALUES ($1, $2)",
	                       params, 2, err);
}

static int schema_table(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	long *have = ctx;
	int rc;
	/* PostgreSQL: two replicas creating the table at once can both pass IF NOT EXISTS and one
	 * fails on a duplicate catalogue row; the migrations' advisory lock serialises them. */
	if (strcmp(cds__store_kind(conn->store), "postgresql") == 0 &&
	    (rc = cds__store_exec(conn, "SELECT pg_advisory_xact_lock(4242424242)", NULL, 0,
	                          err)) != FHIR_OK)
		return rc;
	rc = cds__store_exec(conn,
	                     "CREATE TABLE IF NOT EXISTS cds_schema (version INTEGER NOT NULL, "
	                     "applied_at TEXT NOT NULL)",
	                     NULL, 0, err);
	if (rc != FHIR_OK)
		return rc;
	return cds__store_query(conn, "SELECT COALESCE(MAX(version), 0) FROM cds_schema", NULL, 0,
	                        read_int, have, err);
}

static int migrate(struct cds__store *s, struct fhir_error *err)
{
	long have = 0;
	int rc = cds__store_run(s, 1, schema_table, &have, err);
	if (rc != FHIR_OK)
		return rc;
	size_t count;
	const char *const *scripts = cds__store_migrations(&count);
	if (have > (long)count) {
		fhir_error_set(err, NULL,
		               "the store's schema is version %ld, newer than this build's %zu: "
		               "upgrade cds-commissioning",
		               have, count);
		return FHIR_ERR_IO;
	}
	for (size_t v = (size_t)have; v < count; v++) {
		struct migrate_step step = {v + 1, scripts[v], 0};
		rc = cds__store_run(s, 1, migrate_one, &step, err);
		if (rc != FHIR_OK) {
			char msg[sizeof err->message];
			snprintf(msg, sizeof msg, "%s", err ? err->message : "");
			fhir_error_set(err, NULL, "migration %zu failed: %s", v + 1, msg);
			return rc;
		}
	}
	return FHIR_OK;
}

int cds__store_open(const char *url, struct cds__store **out, struct fhir_error *err)
{
	*out = NULL;
	char shown[512];
	cds__store_redact(url, shown, sizeof shown);
	const struct cds__store_backend *backend = url ? backend_for(url) : NULL;
	if (!backend) {
		int known = cds__store_url_kind(url) != NULL;
		fhir_error_set(err, NULL,
		               known ? "store '%s': this build has no backend for it"
		                     : "store '%s': expected sqlite:PATH or postgresql://…",
		               shown);
		return known ? FHIR_ERR_IO : FHIR_ERR_INVALID;
	}
	struct cds__store *s = calloc(1, sizeof *s);
	if (!s || !(s->url = strdup(url)))
		abort(); /* architecture.md: out of memory aborts */
	s->backend = backend;
	pthread_mutex_init(&s->lock, NULL);
	int rc = backend->open(url, &s->db, err);
	if (rc == FHIR_OK)
		rc = migrate(s, err);
	if (rc != FHIR_OK) {
		char msg[sizeof err->message];
		snprintf(msg, sizeof msg, "%s", err ? err->message : "");
		fhir_error_set(err, NULL, "store '%s': %s", shown, msg);
		cds__store_close(s);
		return FHIR_ERR_IO;
	}
	*out = s;
	return FHIR_OK;
}

void cds__store_close(struct cds__store *store)
{
	if (!store)
		return;
	if (store->db)
		store->backend->close(store->db);
	pthread_mutex_destroy(&store->lock);
	free(store->url);
	free(store);
}
