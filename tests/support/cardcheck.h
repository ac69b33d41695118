/* cardcheck.h — shared by the decision-vector and shared-example runners: a failure counter
 * that prints each failure under the case's name, file helpers, and the generic CDS Hooks 2.0
 * response checks (no null/empty members, cards C1–C10, actions X1–X4). Test support only. */
#ifndef CDS_CARDCHECK_H
#define CDS_CARDCHECK_H

#include <stddef.h>

#include "cds.h"

/* One case being checked: `name` is printed with every failure; `failures` counts them. */
struct checker {
	const char *name;
	int failures;
};

/* Prints "FAIL <name>: <field>: <message>" and counts it. */
void checker_fail(struct checker *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads a whole file. NEW: the NUL-terminated bytes (free), or NULL; *length may be NULL. */
char *checker_read_file(const char *path, size_t *length);

/* Writes "a/b<c>" into buf; returns 0 when it does not fit. */
int checker_path(char *buf, size_t size, const char *a, const char *b, const char *c);

/* Generic checks on a whole 200 response body; `request` is the request it answers (actions
 * must name its draftOrders). */
void checker_check_response(struct checker *c, const cJSON *response, const cJSON *request);

#endif
