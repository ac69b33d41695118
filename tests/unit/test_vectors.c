/* test_vectors.c — runs the decision vectors tests/vectors/<case>/{request,expected}.json with
 * the same code as `cds-commissioning test` (cds-hooks/vectors.c: status, cards, decision-log
 * records, system actions and 412 diagnostics against expected.json; a case's deployment.json
 * replaces the demo deployment), and in addition checks every 200 response against the CDS Hooks
 * 2.0 card rules (tests/support/cardcheck.c). Prints each failure, "N passed, M failed" and the
 * coverage per policy; exit status 1 when any case fails. */
#include <stdio.h>
#include <stdlib.h>

#include "cardcheck.h"
#include "vectors.h"

int main(void)
{
	const char *source = getenv("CDS_SOURCE_DIR");
	char dir[4096];
	struct cds_app_options opts = {0};
	struct cds_app *app = NULL;
	struct cds__vector_list cases = {0};
	struct cds__coverage *cov = NULL;
	struct fhir_error err = {{0}, {0}};
	size_t i;
	int passed = 0, failed = 0;

	snprintf(dir, sizeof(dir), "%s/tests/vectors", source != NULL ? source : ".");
	opts.decision_log = "-";
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK) {
		printf("FAIL: the embedded configuration does not load\n0 passed, 1 failed\n");
		return 1;
	}
	if (cds__vectors_find(&cases, dir, &err) != FHIR_OK || cases.count == 0) {
		printf("FAIL %s: %s\n0 passed, 1 failed\n", dir,
		       cases.count == 0 && err.message[0] == '\0' ? "no vectors" : err.message);
		cds__vectors_list_clear(&cases);
		cds_app_free(app);
		return 1;
	}
	cov = cds__coverage_new(NULL);
	for (i = 0; i < cases.count; i++) {
		struct cds__vector v = {0};
		struct checker c = {cases.names[i], 0};

		cds__vector_run(app, NULL, cases.dirs[i], &v);
		if (v.status == 200 && v.response != NULL && v.request != NULL)
			checker_check_response(&c, v.response, v.request);
		if (v.failures == 0 && c.failures == 0) {
			passed++;
		} else {
			failed++;
			if (v.failures > 0)
				printf("FAIL %s\n%s", cases.names[i], v.diff ? v.diff : "");
		}
		cds__coverage_add(cov, v.log);
		cds__vector_clear(&v);
	}
	printf("%d passed, %d failed\n\nCoverage per policy:\n", passed, failed);
	cds__coverage_print(cov, stdout);
	cds__coverage_free(cov);
	cds__vectors_list_clear(&cases);
	cds_app_free(app);
	return failed == 0 ? 0 : 1;
}
