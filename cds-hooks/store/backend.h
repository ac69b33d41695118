/* backend.h — what each database engine implements for store.c (never used outside
 * cds-hooks/store/). One backend per file: sqlite.c, postgres.c. A backend holds one connection
 * (`db`); store.c serialises every call with the store's lock, so backends need no locking. */
#ifndef CDS_STORE_BACKEND_H
#define CDS_STORE_BACKEND_H

#include "store.h"

struct cds__store_backend {
	const char *kind; /* "sqlite" / "postgresql" */
	/* Opens a connection for `url` (the whole URL as given). NEW *db. FHIR_OK/FHIR_ERR_IO. */
	int (*open)(const char *url, void **db, struct fhir_error *err);
	void (*close)(void *db);
	/* As cds__store_exec / cds__store_query / cds__store_exec_script (store.h). */
	int (*exec)(void *db, const char *sql, const char *const *params, size_t n,
	            struct fhir_error *err);
	int (*query)(void *db, const char *sql, const char *const *params, size_t n,
	             cds__store_row_fn row, void *ctx, struct fhir_error *err);
	int (*exec_script)(void *db, const char *sql, struct fhir_error *err);
	/* 1 when the connection is unusable and should be re-opened (PostgreSQL: CONNECTION_BAD);
	 * may be NULL (never). */
	int (*broken)(void *db);
};

/* The backends (NULL when this build has none of that kind). */
const struct cds__store_backend *cds__store_sqlite_backend(void);
const struct cds__store_backend *cds__store_postgres_backend(void);

/* The migrations, oldest first: migrations[i] takes the schema from version i to i + 1 (one
 * script, portable SQL, run in one transaction). *count receives how many. Static. */
const char *const *cds__store_migrations(size_t *count);

#endif
