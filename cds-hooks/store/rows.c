/* rows.c — statements with text parameters, built on a request thread and executed later by
 * the writer (rows.h); the store's timestamps and UUIDs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "rows.h"

static void *must(void *p)
{
	if (!p)
		abort(); /* architecture.md: out of memory aborts */
	return p;
}

void cds__store_rows_add(struct cds__store_rows *rows, const char *sql, const char *const *params,
                         size_t n)
{
	if (n > CDS__STORE_ROW_MAX_PARAMS)
		abort(); /* a programming error */
	if (rows->count == rows->capacity) {
		rows->capacity = rows->capacity ? rows->capacity * 2 : 8;
		rows->items = must(realloc(rows->items, rows->capacity * sizeof *rows->items));
	}
	struct cds__store_row *row = &rows->items[rows->count++];
	memset(row, 0, sizeof *row);
	row->sql = sql;
	row->n = n;
	for (size_t i = 0; i < n; i++)
		row->params[i] = params[i] ? must(strdup(params[i])) : NULL;
}

void cds__store_rows_add_condition(struct cds__store_rows *rows, const char *sql,
                                   const char *const *params, size_t n)
{
	cds__store_rows_add(rows, sql, params, n);
	struct cds__store_row row = rows->items[rows->count - 1];
	size_t at = 0; /* after the conditions already there, before every other statement */
	while (at < rows->count - 1 && rows->items[at].condition)
		at++;
	memmove(&rows->items[at + 1], &rows->items[at],
	        (rows->count - 1 - at) * sizeof *rows->items);
	row.condition = 1;
	rows->items[at] = row;
}

int cds__store_count_rows(void *ctx, const char *const *values, size_t columns)
{
	(void)values;
	(void)columns;
	++*(size_t *)ctx;
	return 0;
}

int cds__store_rows_insert(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	const struct cds__store_rows *rows = ctx;
	for (size_t i = 0; i < rows->count; i++) {
		const struct cds__store_row *row = &rows->items[i];
		const char *const *params = (const char *const *)row->params;
		size_t returned = 0;
		int rc = row->condition ? cds__store_query(conn, row->sql, params, row->n,
		                                           cds__store_count_rows, &returned, err)
		                        : cds__store_exec(conn, row->sql, params, row->n, err);
		if (rc != FHIR_OK)
			return rc;
		if (row->condition && returned == 0) {
			fhir_error_set(err, NULL, "refused: a condition of the job does not hold");
			return CDS__STORE_REFUSED;
		}
	}
	return FHIR_OK;
}

void cds__store_rows_clear(struct cds__store_rows *rows)
{
	for (size_t i = 0; i < rows->count; i++)
		for (size_t j = 0; j < rows->items[i].n; j++)
			free(rows->items[i].params[j]);
	free(rows->items);
	memset(rows, 0, sizeof *rows);
}

void cds__store_rows_free(void *rows)
{
	if (!rows)
		return;
	cds__store_rows_clear(rows);
	free(rows);
}

void cds__store_timestamp(time_t t, int ms, char *buf, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

void cds__store_uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;
	while (got < sizeof b) {
		ssize_t n = getrandom(b + got, sizeof b - got, 0);
		if (n <= 0)
			abort(); /* no entropy: nothing sensible to do */
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* RFC 4122 §4.4: version 4 */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 10 */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}
