/* purge.c — retention of request bodies (issue 13 item 3): a body is kept only until its
 * body_expires_at; the purge sets it (and its expiry) to NULL, leaving the request's other
 * columns, which the report and the decisions still need. Run by the writer at start and
 * periodically, and by `cds-commissioning purge`. */
#include <stdio.h>
#include <stdlib.h>

#include "rows.h"

struct purge {
	const char *now;
	unsigned long count;
};

static int read_count(void *ctx, const char *const *values, size_t columns)
{
	*(unsigned long *)ctx = columns > 0 && values[0] ? strtoul(values[0], NULL, 10) : 0;
	return 0;
}

static int purge_tx(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	struct purge *p = ctx;
	const char *params[] = {p->now};
	int rc = cds__store_query(conn,
	                          "SELECT COUNT(*) FROM request WHERE body_expires_at IS NOT NULL "
	                          "AND body_expires_at <= $1",
	                          params, 1, read_count, &p->count, err);
	if (rc != FHIR_OK || p->count == 0)
		return rc;
	return cds__store_exec(conn,
	                       "UPDATE request SET body = NULL, body_expires_at = NULL WHERE "
	                       "body_expires_at IS NOT NULL AND body_expires_at <= $1",
	                       params, 1, err);
}

int cds__store_purge(struct cds__store *store, time_t now, unsigned long *count,
                     struct fhir_error *err)
{
	char stamp[40];
	cds__store_timestamp(now, 999, stamp, sizeof stamp); /* the whole second `now` */
	struct purge p = {stamp, 0};
	int rc = cds__store_run(store, 1, purge_tx, &p, err);
	*count = rc == FHIR_OK ? p.count : 0;
	return rc;
}
