/* store.h — the decision and feedback store (issue 13): one SQL database, SQLite embedded by
 * default or PostgreSQL for several replicas, the same schema in both (migrations.c). This is
 * the connection layer every store user shares: open by URL, versioned migrations at open, SQL
 * with text parameters, transactions. What is written (decisions, feedback, request bodies) and
 * what is read (the commissioner's report, policy impact) live in their own files of this
 * folder and use only these calls.
 *
 * SQL is written once for both engines: placeholders are $1, $2, … (PostgreSQL's form; SQLite
 * binds "$N" by name); every parameter and every result value is text or NULL (PostgreSQL infers
 * the types; integers travel as decimal text); timestamps are ISO 8601 UTC text
 * ("2026-12-01T19:48:29.400Z"), which sorts in time order in both.
 *
 * Thread-safety: one connection per store, serialised by the store's lock (cds__store_run holds
 * it for the whole callback). Open a second store on the same URL for independent work. */
#ifndef CDS_STORE_H
#define CDS_STORE_H

#include <stddef.h>

#include "fhir.h"

struct cds__store;      /* an open store: one backend connection and its lock. Opaque. */
struct cds__store_conn; /* the connection inside a cds__store_run callback. Opaque. */

/* The schema version this build writes and reads (migrations.c). */
int cds__store_schema_version(void);

/* Opens the store at `url`:
 *   "sqlite:PATH"   SQLite file PATH (created 0600 when absent; WAL journal, synchronous=FULL,
 *                   busy timeout 5 s); "sqlite::memory:" an in-memory database (tests);
 *   "postgresql://…" or "postgres://…"  a libpq connection URI (PostgreSQL 15).
 * Then applies, each in its own transaction, every migration newer than the database's
 * `cds_schema` version; a database newer than this build is refused. NEW: *out
 * (cds__store_close). Returns FHIR_OK, FHIR_ERR_INVALID (a URL of no known kind), or
 * FHIR_ERR_IO with err naming the store — never a password (cds__store_redact). */
int cds__store_open(const char *url, struct cds__store **out, struct fhir_error *err);
void cds__store_close(struct cds__store *store); /* accepts NULL */
/* "sqlite" or "postgresql". Static. */
const char *cds__store_kind(const struct cds__store *store);
/* The URL the store was opened with (it may hold a password: never print it; see
 * cds__store_redact), e.g. to open a second connection. BORROWED (the store's lifetime). */
const char *cds__store_url(const struct cds__store *store);
/* The kind a store URL names: "sqlite" (sqlite:…), "postgresql" (postgresql://… or
 * postgres://…), or NULL (none the service knows). Static. */
const char *cds__store_url_kind(const char *url);
/* The file of a "sqlite:PATH" URL, sqlite:///abs and sqlite:/abs alike: PATH ("" when none,
 * ":memory:" for an in-memory database); NULL for a URL of another kind. BORROWED from url. */
const char *cds__store_sqlite_path(const char *url);
/* 1 when `url` names a SQLite file that is not there: `report` and `impact` read a store and
 * never create one (opening would). 0 for any other URL. */
int cds__store_sqlite_missing(const char *url);
/* Copies `url` into buf (size bytes, NUL-terminated, truncated) with any password replaced by
 * "***" ("postgresql://u:***@host/db", and a `password=` query parameter): for logs and errors. */
void cds__store_redact(const char *url, char *buf, size_t size);

/* Runs fn(conn, ctx, err) holding the store's lock; with `transaction` 1 inside BEGIN … COMMIT
 * (ROLLBACK when fn returns non-zero or the commit fails). Returns fn's status, or FHIR_ERR_IO
 * when BEGIN/COMMIT fails (err says why). A failed connection is re-opened on the next call
 * (PostgreSQL). */
typedef int (*cds__store_fn)(struct cds__store_conn *conn, void *ctx, struct fhir_error *err);
int cds__store_run(struct cds__store *store, int transaction, cds__store_fn fn, void *ctx,
                   struct fhir_error *err);

/* Executes one SQL statement with n text parameters (NULL items are SQL NULL). Returns FHIR_OK
 * or FHIR_ERR_IO with err holding the engine's message (no parameter values). */
int cds__store_exec(struct cds__store_conn *conn, const char *sql, const char *const *params,
                    size_t n, struct fhir_error *err);
/* Runs one query; for each result row calls row(ctx, values, columns): values[i] is the text of
 * column i or NULL for SQL NULL, BORROWED until row returns. A non-zero return from row stops
 * the query and is returned. Returns FHIR_OK, row's status, or FHIR_ERR_IO. A row callback must
 * not run another statement on the same connection (PostgreSQL streams one query at a time;
 * SQLite allows it). */
typedef int (*cds__store_row_fn)(void *ctx, const char *const *values, size_t columns);
int cds__store_query(struct cds__store_conn *conn, const char *sql, const char *const *params,
                     size_t n, cds__store_row_fn row, void *ctx, struct fhir_error *err);
/* Executes a script of several statements separated by ';' with no parameters (migrations).
 * FHIR_OK or FHIR_ERR_IO. */
int cds__store_exec_script(struct cds__store_conn *conn, const char *sql, struct fhir_error *err);
/* The store of a connection (for nested helpers). BORROWED. */
struct cds__store *cds__store_of(struct cds__store_conn *conn);

#endif
