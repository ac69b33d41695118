/* report_fixture.c — the rows of report_fixture.h. The figures they give for
 * [2026-11-01, 2026-12-01), computed by hand:
 *
 * hny-icb / hny-142-usgi / 1.0.0: decisions d1 (exactly at `from`: in), d2, d3, d4, d5 (1 ms
 *   before `to`), d8; d6 (1 ms before `from`) and d7 (exactly at `to`) are out.
 *   assessments 6; orders 5 (d1 and d2 are the same order, SR/1); decisions commissioned 1,
 *   criteria-unknown 1, redirect 4; cards 5 (c1 c2 c4 c5 c8; d3 has none): info 1, warning 4.
 *   Feedback: f1 c1 accepted [s1]; f2 c2 overridden patient-preference; f3 c2 overridden
 *   already-done; f4 c4 overridden patient-preference (arrives in December: still counted, its
 *   card is in the period); f5 c5 accepted [s5a, s5b]; f6 (card c6) and f7 (card c7) are out.
 *   -> items 5, cards with feedback 4, accepted 2 (c1 c5), overridden 2 (c2 c4), overridden
 *   items 3, suggestions accepted 3; reasons patient-preference 2, already-done 1; override rate
 *   2/4 = 50.0 % of cards with feedback, 2/5 = 40.0 % of cards shown.
 *   Criteria: A met on all but d4 (unknown): 1/6; B unknown on d1 d2 d4 d8, met d3, not-met d5:
 *   4/6; together 5/12 = 41.7 %.
 * nwl-icb / nwl-msk-imaging / 2: e1 not-commissioned (card n1 critical), e2
 *   prior-approval-required (card n2 warning). assessments 2, orders 2, cards 2; feedback g1 n1
 *   overridden with no reason, g2 n2 accepted [] -> items 2, cards with feedback 2, accepted 1,
 *   overridden 1, suggestions 0, reasons (none) 1; rates 1/2 and 1/2. Criterion
 *   imaging-indication unknown on e1, met on e2: 1/2.
 * x-icb / REPORT_FIXTURE_ODD_POLICY / 1 (when `odd`): o1 redirect, no card, no criteria:
 *   assessments 1, orders 1, cards 0, every rate undefined.
 * Feedback on unknown cards (card_known 0), by when it arrived: u1 accepted, u2 overridden in;
 *   u3 (October) and u4 (exactly at `to`) out -> 2 (accepted 1, overridden 1).
 *
 * Without bounds: hny-142-usgi has 8 assessments and 7 orders (d6, d7 too), 7 cards, 6 cards
 * with feedback;
 * unknown-card feedback 4. */
#include <stdio.h>

#include "report_fixture.h"

/* id, decided_at, commissioner, policy, version, order, decision, card, indicator */
static const char *const decisions[][9] = {
    {"d1", "2026-11-01T00:00:00.000Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/1",
     "redirect", "c1", "warning"},
    {"d2", "2026-11-02T10:00:00.000Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/1",
     "redirect", "c2", "warning"},
    {"d3", "2026-11-03T10:00:00.000Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/2",
     "commissioned", NULL, NULL},
    {"d4", "2026-11-04T10:00:00.000Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/3",
     "criteria-unknown", "c4", "info"},
    {"d5", "2026-11-30T23:59:59.999Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/4",
     "redirect", "c5", "warning"},
    {"d6", "2026-10-31T23:59:59.999Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/5",
     "commissioned", "c6", "info"},
    {"d7", "2026-12-01T00:00:00.000Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/6",
     "redirect", "c7", "warning"},
    {"d8", "2026-11-15T09:30:00.000Z", "hny-icb", "hny-142-usgi", "1.0.0", "ServiceRequest/7",
     "redirect", "c8", "warning"},
    {"e1", "2026-11-10T08:00:00.000Z", "nwl-icb", "nwl-msk-imaging", "2", "ServiceRequest/10",
     "not-commissioned", "n1", "critical"},
    {"e2", "2026-11-11T08:00:00.000Z", "nwl-icb", "nwl-msk-imaging", "2", "ServiceRequest/11",
     "prior-approval-required", "n2", "warning"},
    {"o1", "2026-11-20T12:00:00.000Z", "x-icb", REPORT_FIXTURE_ODD_POLICY, "1", "ServiceRequest/20",
     "redirect", NULL, NULL},
};

/* decision, criterion, state */
static const char *const criteria[][3] = {
    {"d1", "A", "met"},
    {"d1", "B", "unknown"},
    {"d2", "A", "met"},
    {"d2", "B", "unknown"},
    {"d3", "A", "met"},
    {"d3", "B", "met"},
    {"d4", "A", "unknown"},
    {"d4", "B", "unknown"},
    {"d5", "A", "met"},
    {"d5", "B", "not-met"},
    {"d8", "A", "met"},
    {"d8", "B", "unknown"},
    {"d6", "A", "unknown"},
    {"d6", "B", "unknown"},
    {"e1", "imaging-indication", "unknown"},
    {"e2", "imaging-indication", "met"},
};

/* id, received_at, card, card_known, outcome, reason system, code, display, accepted */
static const char *const feedback[][9] = {
    {"f1", "2026-11-01T00:05:00.000Z", "c1", "1", "accepted", NULL, NULL, NULL, "[\"s1\"]"},
    {"f2", "2026-11-02T10:01:00.000Z", "c2", "1", "overridden", "urn:example:reasons",
     "patient-preference", "Patient preference", "[]"},
    {"f3", "2026-11-02T10:02:00.000Z", "c2", "1", "overridden", "urn:example:reasons",
     "already-done", "Already done", "[]"},
    {"f4", "2026-12-02T09:00:00.000Z", "c4", "1", "overridden", "urn:example:reasons",
     "patient-preference", "Patient preference", "[]"},
    {"f5", "2026-11-30T23:59:59.999Z", "c5", "1", "accepted", NULL, NULL, NULL,
     "[\"s5a\",\"s5b\"]"},
    {"f6", "2026-11-01T00:01:00.000Z", "c6", "1", "overridden", "urn:example:reasons",
     "clinical-judgement", "Clinical judgement", "[]"},
    {"f7", "2026-12-01T00:01:00.000Z", "c7", "1", "accepted", NULL, NULL, NULL, "[\"s7\"]"},
    {"g1", "2026-11-10T08:01:00.000Z", "n1", "1", "overridden", NULL, NULL, NULL, "[]"},
    {"g2", "2026-11-11T08:01:00.000Z", "n2", "1", "accepted", NULL, NULL, NULL, "[]"},
    {"u1", "2026-11-05T00:00:00.000Z", "unknown-1", "0", "accepted", NULL, NULL, NULL, "[]"},
    {"u2", "2026-11-06T00:00:00.000Z", "unknown-2", "0", "overridden", NULL, NULL, NULL, "[]"},
    {"u3", "2026-10-01T00:00:00.000Z", "unknown-3", "0", "overridden", NULL, NULL, NULL, "[]"},
    {"u4", "2026-12-01T00:00:00.000Z", "unknown-4", "0", "accepted", NULL, NULL, NULL, "[]"},
};

struct load {
	int odd;
};

static int insert(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	const struct load *l = ctx;
	int rc = FHIR_OK;
	for (size_t i = 0; rc == FHIR_OK && i < sizeof decisions / sizeof decisions[0]; i++) {
		const char *const *d = decisions[i];
		if (!l->odd && d[0][0] == 'o')
			continue;
		char request[32];
		snprintf(request, sizeof request, "req-%s", d[0]);
		const char *rp[] = {request,      d[1],    "commissioning-order-sign",
		                    "order-sign", request, "fixture",
		                    "sha256:00"};
		rc = cds__store_exec(
		    c,
		    "INSERT INTO request (id, received_at, service, hook, "
		    "hook_instance, deployment, policy_set) VALUES ($1, $2, $3, $4, "
		    "$5, $6, $7)",
		    rp, 7, err);
		const char *dp[] = {d[0], request, d[1], d[2], "ods-code", d[3], d[4], d[5],
		                    d[6], "[]",    "[]", "0",  d[7],       d[8], "[]"};
		if (rc == FHIR_OK)
			rc = cds__store_exec(
			    c,
			    "INSERT INTO decision (id, request_id, decided_at, commissioner, "
			    "commissioner_determined_by, policy, policy_version, order_ref, "
			    "decision, "
			    "recommendations, outcomes, matched_on_text, card_uuid, "
			    "card_indicator, "
			    "suggestions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
			    "$12, "
			    "$13, $14, $15)",
			    dp, 15, err);
	}
	for (size_t i = 0; rc == FHIR_OK && i < sizeof criteria / sizeof criteria[0]; i++) {
		const char *p[] = {criteria[i][0], criteria[i][1], criteria[i][2], "[]"};
		rc = cds__store_exec(
		    c,
		    "INSERT INTO criterion (decision_id, criterion, state, evidence) "
		    "VALUES ($1, $2, $3, $4)",
		    p, 4, err);
	}
	for (size_t i = 0; rc == FHIR_OK && i < sizeof feedback / sizeof feedback[0]; i++) {
		const char *const *f = feedback[i];
		const char *p[] = {f[0], f[1], "commissioning-order-sign",
		                   f[2], f[3], f[4],
		                   f[1], f[5], f[6],
		                   f[7], "0",  f[8]};
		rc = cds__store_exec(
		    c,
		    "INSERT INTO feedback (id, received_at, service, card_uuid, "
		    "card_known, outcome, outcome_at, override_reason_system, "
		    "override_reason_code, override_reason_display, "
		    "has_user_comment, accepted_suggestions) VALUES ($1, $2, $3, $4, "
		    "$5, $6, $7, $8, $9, $10, $11, $12)",
		    p, 12, err);
	}
	return rc;
}

int report_fixture_load(struct cds__store *store, int odd, struct fhir_error *err)
{
	struct load l = {odd};
	return cds__store_run(store, 1, insert, &l, err);
}
