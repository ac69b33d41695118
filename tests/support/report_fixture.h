/* report_fixture.h — hand-written decisions, criteria and feedback for the commissioner's
 * report's tests (test_report, test_report_page), with the figures they must give worked out
 * by hand in report_fixture.c's comments. The period of interest is
 * [REPORT_FIXTURE_FROM, REPORT_FIXTURE_TO); some rows sit exactly on and just outside its
 * bounds. */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include "store/store.h"

#define REPORT_FIXTURE_FROM "2026-11-01T00:00:00.000Z"
#define REPORT_FIXTURE_TO   "2026-12-01T00:00:00.000Z"
/* The third policy's id: a spreadsheet formula, markup, a comma, quotes and an ampersand. */
#define REPORT_FIXTURE_ODD_POLICY "=odd<script>alert(\"x\")</script>, & 'q'"

/* Inserts the fixture into an empty store (schema v1); `odd` 0 leaves out the policy with the
 * odd id (for a screenshot). Returns FHIR_OK or the store's error. */
int report_fixture_load(struct cds__store *store, int odd, struct fhir_error *err);

#endif
