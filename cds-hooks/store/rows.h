/* rows.h — what the service writes to the store (issue 13 items 1 and 3), built on the request
 * thread as plain statements with text parameters, then executed by the writer (writer.h) inside
 * its transaction: one service call's request, decision and criterion rows (decision_rows.c),
 * one feedback body's rows (feedback_rows.c); the patient as a keyed HMAC (patient.c); the purge
 * of expired request bodies (purge.c). Nothing here keeps an access token, a name or free text
 * from the record; the request body only when the deployment keeps bodies. */
#ifndef CDS_STORE_ROWS_H
#define CDS_STORE_ROWS_H

#include <time.h>

#include <cjson/cJSON.h>

#include "store.h"

/* ---- statements with their parameters (rows.c) --------------------------------------------- */

#define CDS__STORE_ROW_MAX_PARAMS 16

/* A job's refusal (cds__store_fn status): the data say no (a condition statement returned no
 * row, e.g. a jti already claimed), the store itself works. The writer tells it to the job's
 * caller like a failure but does not count the store as failing (writer.h). */
#define CDS__STORE_REFUSED FHIR_ERR_INVALID

/* One statement: static SQL and NEW parameter texts (NULL: SQL NULL). */
struct cds__store_row {
	const char *sql;
	char *params[CDS__STORE_ROW_MAX_PARAMS];
	size_t n;
	int condition; /* 1: a statement that must return a row, or the job is refused */
};
/* A list of statements, executed in order. NEW members: cds__store_rows_clear. */
struct cds__store_rows {
	struct cds__store_row *items;
	size_t count, capacity;
};
/* Appends a statement; the n (<= CDS__STORE_ROW_MAX_PARAMS) parameters are copied (NULL stays
 * NULL). */
void cds__store_rows_add(struct cds__store_rows *rows, const char *sql, const char *const *params,
                         size_t n);
/* The same, as a condition: a statement (… RETURNING) that must return at least one row, else
 * the job is refused (CDS__STORE_REFUSED) and, with its transaction, rolled back. Conditions
 * run first (in the order added), before every other statement of rows. */
void cds__store_rows_add_condition(struct cds__store_rows *rows, const char *sql,
                                   const char *const *params, size_t n);
/* A cds__store_row_fn that counts the rows a query returns: ++*(size_t *)ctx per row. */
int cds__store_count_rows(void *ctx, const char *const *values, size_t columns);
/* A cds__store_fn (ctx: struct cds__store_rows *): executes every statement; the first failure
 * stops it (FHIR_ERR_IO), and so does a condition that returned no row (CDS__STORE_REFUSED).
 * Does not change rows (the writer may run it twice). */
int cds__store_rows_insert(struct cds__store_conn *conn, void *ctx, struct fhir_error *err);
void cds__store_rows_clear(struct cds__store_rows *rows); /* accepts zeroed */
/* Clears and frees a malloc'd struct cds__store_rows (the writer's release callback). */
void cds__store_rows_free(void *rows);

/* ISO 8601 UTC with milliseconds ("2026-12-01T19:48:29.400Z") of Unix time t + ms. */
void cds__store_timestamp(time_t t, int ms, char *buf, size_t size);
/* A fresh random (version 4) UUID, lower-case. */
void cds__store_uuid(char out[37]);

/* ---- the patient as a keyed HMAC (patient.c) ------------------------------------------------ */

#define CDS__PATIENT_KEY_MIN 32   /* bytes: shorter key files are refused */
#define CDS__PATIENT_KEY_MAX 4096 /* bytes: longer key files are refused */

/* The deployment's key for the patient HMAC: the bytes of its key file, as they are. */
struct cds__patient_key {
	unsigned char bytes[CDS__PATIENT_KEY_MAX];
	size_t length;
};
/* Reads the key file `path`: CDS__PATIENT_KEY_MIN..MAX bytes, readable by its owner only (no
 * group or other permission bits, like ssh keys). FHIR_OK, or FHIR_ERR_IO with err naming the
 * file (never its contents). */
int cds__patient_key_load(const char *path, struct cds__patient_key *out, struct fhir_error *err);
/* Creates `path` (mode 0600) holding 32 random bytes and loads it; when another process
 * created it meanwhile, loads that one. FHIR_OK or FHIR_ERR_IO (err names the file). */
int cds__patient_key_create(const char *path, struct cds__patient_key *out, struct fhir_error *err);
/* hex (64 lower-case digits + NUL) of HMAC-SHA256(key, id). */
void cds__patient_hmac(const struct cds__patient_key *key, const char *id, char hex[65]);

/* ---- one service call (decision_rows.c) ----------------------------------------------------- */

/* What one assessed service call leaves: all BORROWED for cds__decision_rows_build. */
struct cds__decision_input {
	const cJSON *request;  /* the request body (its context.patientId, hook, hookInstance) */
	const cJSON *records;  /* the engine's decision-log records (engine_result.log) */
	const cJSON *response; /* the response (its cards' indicator and suggestion uuids); NULL:
	                          none was sent (412) */
	const char *service;   /* the CDS service id */
	const char *deployment, *policy_set; /* deployment name; "sha256:<hex>" of the policy set */
	const char *received_at;             /* cds__store_timestamp of the decision */
	const struct cds__patient_key *key;  /* NULL: the patient column stays NULL */
	long body_retention_days;            /* < 0: the body is not kept; else kept until
	                                        received_at + this many days */
	time_t now;                          /* Unix time of received_at */
};
/* Appends to *rows the request row (a fresh id), one decision row per record (its id, policy,
 * version, commissioner, order, decision, recommendations, outcomes, matchedOnText, card uuid
 * with the card's indicator and suggestion uuids) and one criterion row per criterion (id,
 * state, evidence references). The body, when kept, is the request without fhirAuthorization
 * (no access token is stored). Records without an id or policy are skipped. */
void cds__decision_rows_build(const struct cds__decision_input *in, struct cds__store_rows *rows);

/* ---- one feedback body (feedback_rows.c) ---------------------------------------------------- */

/* Appends one feedback row per record of `records` (feedback.c's validated records, BORROWED):
 * a fresh id, received_at, service, card, card_known (1 when a stored decision has that card
 * uuid, decided inside the transaction), outcome, outcomeTimestamp, the override reason's
 * system, code and display, has_user_comment (the comment's text is never stored) and the
 * accepted suggestion ids as a JSON array. */
void cds__feedback_rows_build(const cJSON *records, const char *received_at,
                              struct cds__store_rows *rows);

/* ---- retention (purge.c) -------------------------------------------------------------------- */

/* Removes every request body whose body_expires_at is at or before `now` (Unix time), in one
 * transaction; *count receives how many. FHIR_OK or FHIR_ERR_IO. */
int cds__store_purge(struct cds__store *store, time_t now, unsigned long *count,
                     struct fhir_error *err);

#endif
