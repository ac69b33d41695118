/* sqlite.c — the SQLite backend of the store (Debian libsqlite3-dev): one connection in WAL
 * mode with synchronous=FULL, so a committed transaction survives the process being killed
 * (issue 13 item 2) and readers do not block the writer. "$N" placeholders are bound by name.
 * Prepared statements are kept per connection, by SQL text: the writer runs the same few
 * INSERTs for every call, and compiling them again was most of its thread's time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backend.h"

#define SQ_CACHED 32 /* statements kept per connection (the schema's writes and reads) */

/* One connection and its statements. */
struct sq_conn {
	sqlite3 *db;
	struct {
		char *sql;          /* NEW: the text it was prepared from */
		sqlite3_stmt *stmt; /* prepared once; reset and unbound after each use */
		int busy;           /* 1 while a (nested) use is stepping it */
	} cache[SQ_CACHED];
	size_t cached;
};

static int fail(sqlite3 *db, struct fhir_error *err, const char *what)
{
	fhir_error_set(err, NULL, "SQLite %s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
	return FHIR_ERR_IO;
}

static int exec_script(sqlite3 *db, const char *sql, struct fhir_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fhir_error_set(err, NULL, "SQLite: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return FHIR_ERR_IO;
	}
	return FHIR_OK;
}

static int sq_exec_script(void *conn, const char *sql, struct fhir_error *err)
{
	return exec_script(((struct sq_conn *)conn)->db, sql, err);
}

static void sq_close(void *vconn)
{
	struct sq_conn *c = vconn;
	for (size_t i = 0; i < c->cached; i++) {
		sqlite3_finalize(c->cache[i].stmt);
		free(c->cache[i].sql);
	}
	sqlite3_close_v2(c->db);
	free(c);
}

static int sq_open(const char *url, void **out, struct fhir_error *err)
{
	*out = NULL;
	const char *path = cds__store_sqlite_path(url);
	if (!*path) {
		fhir_error_set(err, NULL, "sqlite: needs a file name (sqlite:PATH)");
		return FHIR_ERR_IO;
	}
	int memory = strcmp(path, ":memory:") == 0;
	if (!memory) { /* create it owner-only: it holds decisions about patients */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			fhir_error_set(err, NULL, "cannot open %s: %s", path, strerror(errno));
			return FHIR_ERR_IO;
		}
		close(fd);
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(
	    path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fail(db, err, "open");
		sqlite3_close_v2(db);
		return FHIR_ERR_IO;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = exec_script(db,
	                 memory ? "PRAGMA foreign_keys=ON"
	                        : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	                          "PRAGMA foreign_keys=ON",
	                 err);
	if (rc != FHIR_OK) {
		sqlite3_close_v2(db);
		return rc;
	}
	struct sq_conn *c = calloc(1, sizeof *c);
	if (!c)
		abort(); /* architecture.md: out of memory aborts */
	c->db = db;
	*out = c;
	return FHIR_OK;
}

/* The statement for sql: the cached one (*slot its index), or a new one (*slot -1: finalize it
 * after use) when the cache is full or the cached one is in use by an outer query. */
static int statement(struct sq_conn *c, const char *sql, sqlite3_stmt **stmt, int *slot,
                     struct fhir_error *err)
{
	*slot = -1;
	for (size_t i = 0; i < c->cached; i++)
		if (strcmp(c->cache[i].sql, sql) == 0) {
			if (c->cache[i].busy)
				break;
			c->cache[i].busy = 1;
			*slot = (int)i;
			*stmt = c->cache[i].stmt;
			return FHIR_OK;
		}
	if (sqlite3_prepare_v2(c->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return fail(c->db, err, "prepare");
	if (c->cached < SQ_CACHED) {
		char *copy = strdup(sql);
		if (!copy)
			abort();
		c->cache[c->cached].sql = copy;
		c->cache[c->cached].stmt = *stmt;
		c->cache[c->cached].busy = 1;
		*slot = (int)c->cached++;
	}
	return FHIR_OK;
}

/* Done with a statement from statement(): a cached one is reset and unbound (the parameters'
 * text is the caller's, about to go), another finalized. */
static void release(struct sq_conn *c, sqlite3_stmt *stmt, int slot)
{
	if (slot < 0) {
		sqlite3_finalize(stmt);
		return;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	c->cache[slot].busy = 0;
}

/* Binds params[i] to "$<i+1>". */
static int bind(sqlite3 *db, sqlite3_stmt *stmt, const char *const *params, size_t n,
                struct fhir_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char name[24];
		snprintf(name, sizeof name, "$%zu", i + 1);
		int idx = sqlite3_bind_parameter_index(stmt, name);
		if (idx == 0)
			continue; /* a parameter the statement does not use */
		int rc = params[i] ? sqlite3_bind_text(stmt, idx, params[i], -1, SQLITE_STATIC)
		                   : sqlite3_bind_null(stmt, idx);
		if (rc != SQLITE_OK)
			return fail(db, err, "bind");
	}
	return FHIR_OK;
}

#define SQ_MAX_COLUMNS 64

static int sq_query(void *vconn, const char *sql, const char *const *params, size_t n,
                    cds__store_row_fn row, void *ctx, struct fhir_error *err)
{
	struct sq_conn *c = vconn;
	sqlite3 *db = c->db;
	sqlite3_stmt *stmt;
	int slot;
	int rc = statement(c, sql, &stmt, &slot, err);
	if (rc != FHIR_OK)
		return rc;
	if ((rc = bind(db, stmt, params, n, err)) != FHIR_OK) {
		release(c, stmt, slot);
		return rc;
	}
	int columns = sqlite3_column_count(stmt);
	if (columns > SQ_MAX_COLUMNS)
		columns = SQ_MAX_COLUMNS;
	const char *values[SQ_MAX_COLUMNS];
	for (;;) {
		int step = sqlite3_step(stmt);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = fail(db, err, "step");
			break;
		}
		for (int i = 0; i < columns; i++)
			values[i] = (const char *)sqlite3_column_text(stmt, i);
		if (row && (rc = row(ctx, values, (size_t)columns)) != 0)
			break;
	}
	release(c, stmt, slot);
	return rc;
}

static int sq_exec(void *db, const char *sql, const char *const *params, size_t n,
                   struct fhir_error *err)
{
	return sq_query(db, sql, params, n, NULL, NULL, err);
}

static const struct cds__store_backend backend = {
    .kind = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .query = sq_query,
    .exec_script = sq_exec_script,
    .broken = NULL,
};

const struct cds__store_backend *cds__store_sqlite_backend(void)
{
	return &backend;
}
