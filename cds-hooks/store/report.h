/* report.h — the commissioner's report (issue 13 item 4): what the store's decisions and
 * feedback say, per commissioner, policy and version, for a period. report.c computes the
 * figures with portable SQL over schema v1 (the same queries on SQLite and PostgreSQL);
 * report_format.c writes them as text, JSON or CSV; ../web/report_page.c as an HTML page with
 * inline SVG charts. Nothing here writes to the store.
 *
 * Definitions (README "The commissioner's report"; every figure is about the decisions made in
 * [from, to), by decision.decided_at, and the feedback on those decisions' cards, whenever that
 * feedback arrived):
 *   assessments       decision rows: one per (order, policy) assessed in one hook call;
 *   orders            distinct order references among them (an order assessed at order-select
 *                     and again at order-sign counts once);
 *   decisions         assessments by the decision code (commissioned, redirect, ...);
 *   cards shown       distinct card uuids of those decisions, and by card indicator;
 *   cards with feedback / accepted / overridden   distinct cards with any / an accepted / an
 *                     overridden feedback item;
 *   suggestions accepted   uuids listed in the feedback items' acceptedSuggestions;
 *   overrides by reason    overridden feedback items by overrideReason (system, code, display);
 *   override rate     cards overridden / cards with feedback (what clinicians who answered did),
 *                     and cards overridden / cards shown (a floor: cards without feedback are
 *                     not known to be followed); undefined (null, "-") when the divisor is 0;
 *   unknown-criterion rate   criterion results in state "unknown" / all criterion results, and
 *                     the same per criterion id: what the record does not document;
 *   unknown-card feedback    feedback items whose card the store did not know when they came
 *                     (feedback.card_known 0), received in [from, to), by outcome. */
#ifndef CDS_STORE_REPORT_H
#define CDS_STORE_REPORT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "store.h"

/* One counted value: a decision code, card indicator, feedback outcome. NEW strings. */
struct cds__report_count {
	char *key; /* "" when the column was NULL */
	unsigned long count;
};

/* One override reason: overrideReason's Coding (NEW strings, NULL when absent). */
struct cds__report_reason {
	char *system, *code, *display;
	unsigned long count; /* overridden feedback items */
};

/* One criterion id's results. */
struct cds__report_criterion {
	char *id;              /* NEW */
	unsigned long results; /* criterion rows */
	unsigned long unknown; /* of them, state "unknown" */
};

/* The figures of one (commissioner, policy, version). NEW members. */
struct cds__report_group {
	char *commissioner, *policy, *version;
	unsigned long assessments, orders;
	struct cds__report_count *decisions; /* by code, sorted by code (strcmp) */
	size_t decision_count;
	unsigned long cards;                  /* cards shown */
	struct cds__report_count *indicators; /* cards shown by indicator, sorted */
	size_t indicator_count;
	unsigned long feedback_items, cards_with_feedback, cards_accepted, cards_overridden;
	unsigned long overridden_items, suggestions_accepted;
	struct cds__report_reason *reasons; /* most frequent first, then by code */
	size_t reason_count;
	unsigned long criterion_results, criterion_unknown;
	struct cds__report_criterion *criteria; /* most unknown first, then by id */
	size_t criterion_count;
};

/* A whole report. Free with cds__report_free. */
struct cds__report {
	char from[32], to[32]; /* the period's bounds as ISO 8601 UTC text; "" when open */
	char kind[16];         /* the store's kind ("sqlite", "postgresql") */
	struct cds__report_group *groups; /* sorted by commissioner, policy, version (strcmp) */
	size_t group_count;
	unsigned long unknown_card_feedback;             /* feedback items naming unknown cards */
	struct cds__report_count *unknown_card_outcomes; /* of them, by outcome, sorted */
	size_t unknown_card_outcome_count;
};

/* Normalises a period bound given by a person: "YYYY-MM-DD" (midnight UTC) or an ISO 8601
 * date-time with seconds and a zone ("2026-12-01T09:00:00Z", "…+01:00"), written into buf
 * (at least 25 bytes) as "YYYY-MM-DDTHH:MM:SS.mmmZ", the store's timestamp form. Returns
 * FHIR_OK or FHIR_ERR_INVALID with err saying what is accepted. */
int cds__report_parse_bound(const char *text, char *buf, size_t size, struct fhir_error *err);

/* Computes the report for decisions in [from, to) (either NULL or "": open), both in the form
 * cds__report_parse_bound writes, in one read transaction. NEW: *out (cds__report_free).
 * Returns FHIR_OK, or FHIR_ERR_IO with err from the store (no data in it). */
int cds__report_compute(struct cds__store *store, const char *from, const char *to,
                        struct cds__report **out, struct fhir_error *err);
void cds__report_free(struct cds__report *report); /* accepts NULL */

/* The rate num/den, or a negative number when den is 0 (undefined). */
double cds__report_rate(unsigned long num, unsigned long den);

/* The report as JSON (the shape README "The commissioner's report" documents). NEW. */
cJSON *cds__report_json(const struct cds__report *report);
/* The report for a person at a terminal. */
void cds__report_text(const struct cds__report *report, FILE *out);
/* The report as CSV (RFC 4180, CRLF line ends, a header row): one row per commissioner,
 * policy, version, measure and key; text that a spreadsheet would run as a formula (leading
 * = + - @) is prefixed with '. */
void cds__report_csv(const struct cds__report *report, FILE *out);
/* The report as one self-contained HTML page (../web/report_page.c): inline SVG charts with
 * title and description, each with its data as a table; every text escaped; no script, no
 * external asset. */
void cds__report_html(const struct cds__report *report, FILE *out);

#endif
