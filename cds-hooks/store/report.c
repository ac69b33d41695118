/* report.c — the commissioner's report's figures (report.h has their definitions): seven
 * queries over schema v1 in one read transaction, in portable SQL (COUNT, COUNT DISTINCT,
 * SUM(CASE …), GROUP BY, JOIN; no engine's own functions) so that SQLite and PostgreSQL answer
 * alike; JSON arrays held in TEXT columns (acceptedSuggestions) are counted here with cJSON.
 * Rows are sorted here with strcmp, not by ORDER BY, because PostgreSQL orders text by the
 * database's collation. It only reads. */
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "store/report.h"

/* Open bounds: timestamps in the store's own form, which sort before and after every stored
 * one whatever the collation (a bare "" or "~" would not under a locale that skips
 * punctuation). */
#define OPEN_FROM "0000-01-01T00:00:00.000Z"
#define OPEN_TO   "9999-12-31T23:59:59.999Z"

/* The decisions of the period: $1 <= decided_at < $2. */
#define IN_PERIOD(d) d "decided_at >= $1 AND " d "decided_at < $2"
#define GROUP(d)     d "commissioner, " d "policy, " d "policy_version"

static char *dup_text(const char *s)
{
	return cds__must(strdup(s ? s : ""));
}

static char *dup_or_null(const char *s)
{
	return s ? cds__must(strdup(s)) : NULL;
}

static unsigned long number(const char *s)
{
	return s ? strtoul(s, NULL, 10) : 0;
}

int cds__report_parse_bound(const char *text, char *buf, size_t size, struct fhir_error *err)
{
	struct fhir_datetime dt;
	struct fhir_error perr = {{0}, {0}};
	int ok = text && fhir_datetime_parse(text, &dt, &perr) == FHIR_OK && dt.has_date &&
	         (dt.precision == FHIR_PREC_DAY || (dt.precision >= FHIR_PREC_SECOND && dt.has_tz));
	if (ok && dt.has_tz && dt.tz_minutes != 0)
		ok = fhir_datetime_add(&dt, -(int64_t)dt.tz_minutes, "minute") == FHIR_OK;
	if (!ok || dt.year < 1 || dt.year > 9999 || size < 25) {
		snprintf(err->message, sizeof err->message,
		         "'%.64s' is not a date (YYYY-MM-DD, midnight UTC) or a date-time with "
		         "seconds and a zone (YYYY-MM-DDThh:mm:ssZ or ±hh:mm)",
		         text ? text : "");
		return FHIR_ERR_INVALID;
	}
	if (dt.precision == FHIR_PREC_DAY)
		dt.hour = dt.minute = dt.second = dt.millis = 0;
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", dt.year, dt.month, dt.day,
	         dt.hour, dt.minute, dt.second,
	         dt.precision >= FHIR_PREC_MILLISECOND ? dt.millis : 0);
	return FHIR_OK;
}

double cds__report_rate(unsigned long num, unsigned long den)
{
	return den ? (double)num / (double)den : -1.0;
}

/* ---- building --------------------------------------------------------------------------- */

struct build {
	struct cds__report *r;
	size_t capacity;
};

static int group_cmp(const void *a, const void *b)
{
	const struct cds__report_group *x = a, *y = b;
	int c = strcmp(x->commissioner, y->commissioner);
	if (c == 0)
		c = strcmp(x->policy, y->policy);
	return c ? c : strcmp(x->version, y->version);
}

/* The group of a row whose first three columns are commissioner, policy, version; NULL when the
 * first query did not see it (a decision committed between the queries). */
static struct cds__report_group *find_group(struct cds__report *r, const char *const *v)
{
	struct cds__report_group key = {0};
	if (r->group_count == 0) /* bsearch on NULL: undefined */
		return NULL;
	key.commissioner = (char *)(v[0] ? v[0] : "");
	key.policy = (char *)(v[1] ? v[1] : "");
	key.version = (char *)(v[2] ? v[2] : "");
	return bsearch(&key, r->groups, r->group_count, sizeof key, group_cmp);
}

static int row_group(void *ctx, const char *const *v, size_t n)
{
	struct build *b = ctx;
	struct cds__report *r = b->r;
	if (n < 6)
		return FHIR_ERR_IO;
	if (r->group_count == b->capacity) {
		b->capacity = b->capacity ? 2 * b->capacity : 8;
		r->groups = cds__must(realloc(r->groups, b->capacity * sizeof *r->groups));
	}
	struct cds__report_group *g = &r->groups[r->group_count++];
	memset(g, 0, sizeof *g);
	g->commissioner = dup_text(v[0]);
	g->policy = dup_text(v[1]);
	g->version = dup_text(v[2]);
	g->assessments = number(v[3]);
	g->orders = number(v[4]);
	g->cards = number(v[5]);
	return 0;
}

static void add_count(struct cds__report_count **items, size_t *n, const char *key,
                      unsigned long count)
{
	*items = cds__must(realloc(*items, (*n + 1) * sizeof **items));
	(*items)[*n].key = dup_text(key);
	(*items)[*n].count = count;
	++*n;
}

static int row_decision(void *ctx, const char *const *v, size_t n)
{
	struct cds__report_group *g = n >= 5 ? find_group(((struct build *)ctx)->r, v) : NULL;
	if (g)
		add_count(&g->decisions, &g->decision_count, v[3], number(v[4]));
	return 0;
}

static int row_indicator(void *ctx, const char *const *v, size_t n)
{
	struct cds__report_group *g = n >= 5 ? find_group(((struct build *)ctx)->r, v) : NULL;
	if (g)
		add_count(&g->indicators, &g->indicator_count, v[3], number(v[4]));
	return 0;
}

static int row_feedback(void *ctx, const char *const *v, size_t n)
{
	struct cds__report_group *g = n >= 8 ? find_group(((struct build *)ctx)->r, v) : NULL;
	if (g) {
		g->feedback_items = number(v[3]);
		g->cards_with_feedback = number(v[4]);
		g->cards_accepted = number(v[5]);
		g->cards_overridden = number(v[6]);
		g->overridden_items = number(v[7]);
	}
	return 0;
}

static int row_reason(void *ctx, const char *const *v, size_t n)
{
	struct cds__report_group *g = n >= 7 ? find_group(((struct build *)ctx)->r, v) : NULL;
	if (!g)
		return 0;
	g->reasons = cds__must(realloc(g->reasons, (g->reason_count + 1) * sizeof *g->reasons));
	struct cds__report_reason *x = &g->reasons[g->reason_count++];
	x->system = dup_or_null(v[3]);
	x->code = dup_or_null(v[4]);
	x->display = dup_or_null(v[5]);
	x->count = number(v[6]);
	return 0;
}

/* One feedback item's acceptedSuggestions (a JSON array of uuids written by the service). */
static int row_suggestions(void *ctx, const char *const *v, size_t n)
{
	struct cds__report_group *g = n >= 5 ? find_group(((struct build *)ctx)->r, v) : NULL;
	if (!g || !v[4])
		return 0;
	cJSON *a = cJSON_Parse(v[4]);
	if (cJSON_IsArray(a))
		g->suggestions_accepted += (unsigned long)cJSON_GetArraySize(a);
	cJSON_Delete(a);
	return 0;
}

static int row_criterion(void *ctx, const char *const *v, size_t n)
{
	struct cds__report_group *g = n >= 6 ? find_group(((struct build *)ctx)->r, v) : NULL;
	if (!g)
		return 0;
	g->criteria =
	    cds__must(realloc(g->criteria, (g->criterion_count + 1) * sizeof *g->criteria));
	struct cds__report_criterion *c = &g->criteria[g->criterion_count++];
	c->id = dup_text(v[3]);
	c->results = number(v[4]);
	c->unknown = number(v[5]);
	g->criterion_results += c->results;
	g->criterion_unknown += c->unknown;
	return 0;
}

static int row_unknown_card(void *ctx, const char *const *v, size_t n)
{
	struct cds__report *r = ((struct build *)ctx)->r;
	if (n >= 2) {
		add_count(&r->unknown_card_outcomes, &r->unknown_card_outcome_count, v[0],
		          number(v[1]));
		r->unknown_card_feedback += number(v[1]);
	}
	return 0;
}

/* The queries, each with its row function; $1 and $2 are the period's bounds. */
static const struct {
	const char *sql;
	cds__store_row_fn row;
} queries[] = {
    {"SELECT " GROUP("") ", COUNT(*), COUNT(DISTINCT order_ref), COUNT(DISTINCT card_uuid) "
                         "FROM decision WHERE " IN_PERIOD("") " GROUP BY " GROUP(""),
     row_group},
    {"SELECT " GROUP("") ", decision, COUNT(*) FROM decision WHERE " IN_PERIOD(
         "") " GROUP BY " GROUP("") ", decision",
     row_decision},
    {"SELECT " GROUP("") ", card_indicator, COUNT(DISTINCT card_uuid) FROM decision "
                         "WHERE " IN_PERIOD("") " AND card_uuid IS NOT NULL GROUP BY " GROUP(
                             "") ", card_indicator",
     row_indicator},
    /* feedback on the period's cards, linked by card uuid; DISTINCT because two decisions
     * may share a card */
    {"SELECT " GROUP(
         "d.") ", COUNT(DISTINCT f.id), COUNT(DISTINCT d.card_uuid), "
               "COUNT(DISTINCT CASE WHEN f.outcome = 'accepted' THEN d.card_uuid END), "
               "COUNT(DISTINCT CASE WHEN f.outcome = 'overridden' THEN d.card_uuid END), "
               "COUNT(DISTINCT CASE WHEN f.outcome = 'overridden' THEN f.id END) "
               "FROM decision d JOIN feedback f ON f.card_uuid = d.card_uuid WHERE " IN_PERIOD(
                   "d.") " GROUP BY " GROUP("d."),
     row_feedback},
    {"SELECT " GROUP("d.") ", f.override_reason_system, f.override_reason_code, "
                           "f.override_reason_display, COUNT(DISTINCT f.id) "
                           "FROM decision d JOIN feedback f ON f.card_uuid = d.card_uuid "
                           "WHERE " IN_PERIOD("d.") " AND f.outcome = 'overridden' GROUP BY " GROUP(
                               "d.") ", "
                                     "f.override_reason_system, f.override_reason_code, "
                                     "f.override_reason_display",
     row_reason},
    {"SELECT DISTINCT " GROUP(
         "d.") ", f.id, f.accepted_suggestions "
               "FROM decision d JOIN feedback f ON f.card_uuid = d.card_uuid WHERE " IN_PERIOD(
                   "d.") " AND f.accepted_suggestions <> '[]'",
     row_suggestions},
    {"SELECT " GROUP(
         "d.") ", c.criterion, COUNT(*), "
               "SUM(CASE WHEN c.state = 'unknown' THEN 1 ELSE 0 END) "
               "FROM decision d JOIN criterion c ON c.decision_id = d.id WHERE " IN_PERIOD(
                   "d.") " GROUP BY " GROUP("d.") ", c.criterion",
     row_criterion},
    {"SELECT outcome, COUNT(*) FROM feedback WHERE card_known = 0 AND received_at >= $1 AND "
     "received_at < $2 GROUP BY outcome",
     row_unknown_card},
};

struct run {
	struct build b;
	const char *params[2];
};

static int run_queries(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	struct run *run = ctx;
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		int rc = cds__store_query(conn, queries[i].sql, run->params, 2, queries[i].row,
		                          &run->b, err);
		if (rc != FHIR_OK)
			return rc;
		if (i == 0 && run->b.r->group_count > 1) /* the groups, sorted for find_group */
			qsort(run->b.r->groups, run->b.r->group_count, sizeof *run->b.r->groups,
			      group_cmp);
	}
	return FHIR_OK;
}

/* qsort, but not on an empty array (whose pointer may be NULL: undefined for qsort). */
static void sort(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(items, n, size, cmp);
}

static int count_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cds__report_count *)a)->key,
	              ((const struct cds__report_count *)b)->key);
}

static int null_cmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int reason_cmp(const void *a, const void *b)
{
	const struct cds__report_reason *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	int c = null_cmp(x->code, y->code);
	if (c == 0)
		c = null_cmp(x->system, y->system);
	return c ? c : null_cmp(x->display, y->display);
}

static int criterion_cmp(const void *a, const void *b)
{
	const struct cds__report_criterion *x = a, *y = b;
	if (x->unknown != y->unknown)
		return x->unknown > y->unknown ? -1 : 1;
	return strcmp(x->id, y->id);
}

int cds__report_compute(struct cds__store *store, const char *from, const char *to,
                        struct cds__report **out, struct fhir_error *err)
{
	struct cds__report *r = cds__must(calloc(1, sizeof *r));
	struct run run = {{r, 0}, {from && from[0] ? from : OPEN_FROM, to && to[0] ? to : OPEN_TO}};
	*out = NULL;
	snprintf(r->from, sizeof r->from, "%s", from ? from : "");
	snprintf(r->to, sizeof r->to, "%s", to ? to : "");
	snprintf(r->kind, sizeof r->kind, "%s", cds__store_kind(store));
	int rc = cds__store_run(store, 1, run_queries, &run, err);
	if (rc != FHIR_OK) {
		cds__report_free(r);
		return rc;
	}
	for (size_t i = 0; i < r->group_count; i++) {
		struct cds__report_group *g = &r->groups[i];
		sort(g->decisions, g->decision_count, sizeof *g->decisions, count_cmp);
		sort(g->indicators, g->indicator_count, sizeof *g->indicators, count_cmp);
		sort(g->reasons, g->reason_count, sizeof *g->reasons, reason_cmp);
		sort(g->criteria, g->criterion_count, sizeof *g->criteria, criterion_cmp);
	}
	sort(r->unknown_card_outcomes, r->unknown_card_outcome_count,
	     sizeof *r->unknown_card_outcomes, count_cmp);
	*out = r;
	return FHIR_OK;
}

static void free_counts(struct cds__report_count *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i].key);
	free(items);
}

void cds__report_free(struct cds__report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->group_count; i++) {
		struct cds__report_group *g = &r->groups[i];
		free(g->commissioner);
		free(g->policy);
		free(g->version);
		free_counts(g->decisions, g->decision_count);
		free_counts(g->indicators, g->indicator_count);
		for (size_t k = 0; k < g->reason_count; k++) {
			free(g->reasons[k].system);
			free(g->reasons[k].code);
			free(g->reasons[k].display);
		}
		free(g->reasons);
		for (size_t k = 0; k < g->criterion_count; k++)
			free(g->criteria[k].id);
		free(g->criteria);
	}
	free(r->groups);
	free_counts(r->unknown_card_outcomes, r->unknown_card_outcome_count);
	free(r);
}
