/* vectors.h — decision cases in the tests/vectors format (a folder holding request.json,
 * expected.json and optionally deployment.json): finding them, running one through cds_handle
 * and engine_assess, comparing the outcome with expected.json field by field, and coverage per
 * policy from the decision-log records. One copy of this logic, used by `cds-commissioning test`
 * (test_cmd.c) and tests/unit/test_vectors.c. Prefix cds__ (cds-hooks/ internal). */
#ifndef CDS_VECTORS_H
#define CDS_VECTORS_H

#include <stdio.h>

#include "cds_internal.h"

#define CDS__VECTORS_DEFAULT_NOW "2025-01-15T12:00:00Z" /* when expected.json has no "now" */
#define CDS__VECTORS_MAX_CASES   10000                  /* cases one run collects */

/* Case folders found by cds__vectors_find, in the order they are run. */
struct cds__vector_list {
	char **dirs;  /* NEW each: the case folder's path */
	char **names; /* NEW each: the name printed for it (path below the folder given) */
	size_t count;
	size_t capacity;
};

/* Appends the cases at `path`: the folder itself when it holds request.json or expected.json,
 * otherwise every such folder below it (sorted by name, at most CDS__MAX_CONFIG_DEPTH deep).
 * Returns FHIR_OK (possibly adding none), FHIR_ERR_IO when `path` is not a readable folder, or
 * FHIR_ERR_LIMIT beyond CDS__VECTORS_MAX_CASES; err names the path. */
int cds__vectors_find(struct cds__vector_list *list, const char *path, struct fhir_error *err);
void cds__vectors_list_clear(struct cds__vector_list *list); /* accepts zeroed */

/* What running one case gave. Zero it before cds__vector_run; free with cds__vector_clear. */
struct cds__vector {
	int failures;     /* differences found (0: the case passed) */
	char *diff;       /* NEW: one line per difference, "    <field>: expected X, actual Y\n";
	                     NULL when none */
	unsigned status;  /* the reply's HTTP status, 0 when the request was never sent */
	cJSON *request;   /* NEW: request.json, or NULL when unreadable */
	cJSON *response;  /* NEW: the reply body, or NULL */
	cJSON *log;       /* NEW: decision-log records of engine_assess (engine/card.c
	                     engine__log_record), or NULL when the engine refused the request */
	FILE *diff_out;   /* internal: open while the case runs */
	size_t diff_size; /* internal */
};

/* Runs the case folder `dir`: posts request.json to the service of its hook through cds_handle
 * with "now" of expected.json (default CDS__VECTORS_DEFAULT_NOW) on `app` (BORROWED) or, when
 * the folder has a deployment.json, on an app loaded from `policies_dir` (NULL: embedded) with
 * that deployment; compares status, cards (indicator, policy, order, decision, recommendations,
 * criteria states, number of suggestions), the number of systemActions, the 412 diagnostics
 * ("missing") and the decision-log records (policy, order, decision) with expected.json.
 * Fills *out (zeroed by the caller). Returns 1 when the case passed, 0 otherwise. */
int cds__vector_run(struct cds_app *app, const char *policies_dir, const char *dir,
                    struct cds__vector *out);
/* Adds a difference "    <field>: <message>" to v (callers may add their own checks). */
void cds__vector_fail(struct cds__vector *v, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cds__vector_clear(struct cds__vector *v); /* accepts zeroed */

/* Which criterion states (met / not met / unknown) and outcomes the cases reached, per policy. */
struct cds__coverage;

/* NEW (cds__coverage_free): the criteria and outcomes of every *.policy.json in `policies_dir`
 * (NULL: the embedded configuration), none reached yet. Files that do not parse are skipped
 * (engine_load reports them). */
struct cds__coverage *cds__coverage_new(const char *policies_dir);
/* Counts the decision-log records `log` (an array, BORROWED; NULL ignored). */
void cds__coverage_add(struct cds__coverage *cov, const cJSON *log);
/* Prints, per policy, the states each criterion reached and the outcomes that held, with what
 * was never reached, then a total line. Returns how many (criterion, state) pairs and outcomes
 * were never reached. */
size_t cds__coverage_print(const struct cds__coverage *cov, FILE *out);
void cds__coverage_free(struct cds__coverage *cov); /* accepts NULL */

/* `cds-commissioning test`: argv[0] is "test". Returns the exit status: 0 all cases passed,
 * 1 a case failed or the configuration does not load, 2 usage error. (test_cmd.c) */
int cds__test_command(int argc, char **argv);

#endif
