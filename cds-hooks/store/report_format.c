/* report_format.c — the commissioner's report (report.h) as text for a terminal, as JSON (the
 * shape README "The commissioner's report" documents) and as CSV for a spreadsheet. Only
 * formatting: the figures are report.c's, the HTML page is ../web/report_page.c. */
#include <string.h>

#include "cds_internal.h"
#include "store/report.h"

/* ---- JSON ---------------------------------------------------------------------------------- */

static void add_rate(cJSON *o, const char *name, unsigned long num, unsigned long den)
{
	if (den)
		cds__must(cJSON_AddNumberToObject(o, name, cds__report_rate(num, den)));
	else
		cds__must(cJSON_AddNullToObject(o, name));
}

static void add_number(cJSON *o, const char *name, unsigned long n)
{
	cds__must(cJSON_AddNumberToObject(o, name, (double)n));
}

static void add_text(cJSON *o, const char *name, const char *s)
{
	if (s && s[0])
		cds__must(cJSON_AddStringToObject(o, name, s));
	else
		cds__must(cJSON_AddNullToObject(o, name));
}

static cJSON *counts_object(const struct cds__report_count *items, size_t n)
{
	cJSON *o = cds__must(cJSON_CreateObject());
	for (size_t i = 0; i < n; i++)
		add_number(o, items[i].key, items[i].count);
	return o;
}

static cJSON *group_json(const struct cds__report_group *g)
{
	cJSON *o = cds__must(cJSON_CreateObject());
	cds__must(cJSON_AddStringToObject(o, "commissioner", g->commissioner));
	cds__must(cJSON_AddStringToObject(o, "policy", g->policy));
	cds__must(cJSON_AddStringToObject(o, "policyVersion", g->version));
	add_number(o, "assessments", g->assessments);
	add_number(o, "orders", g->orders);
	cJSON_AddItemToObject(o, "decisions", counts_object(g->decisions, g->decision_count));

	cJSON *cards = cds__must(cJSON_AddObjectToObject(o, "cards"));
	add_number(cards, "shown", g->cards);
	cJSON_AddItemToObject(cards, "byIndicator",
	                      counts_object(g->indicators, g->indicator_count));

	cJSON *fb = cds__must(cJSON_AddObjectToObject(o, "feedback"));
	add_number(fb, "items", g->feedback_items);
	add_number(fb, "cardsWithFeedback", g->cards_with_feedback);
	add_number(fb, "cardsAccepted", g->cards_accepted);
	add_number(fb, "cardsOverridden", g->cards_overridden);
	add_number(fb, "suggestionsAccepted", g->suggestions_accepted);

	cJSON *ov = cds__must(cJSON_AddObjectToObject(o, "overrides"));
	add_number(ov, "items", g->overridden_items);
	add_rate(ov, "rateOfCardsWithFeedback", g->cards_overridden, g->cards_with_feedback);
	add_rate(ov, "rateOfCardsShown", g->cards_overridden, g->cards);
	cJSON *reasons = cds__must(cJSON_AddArrayToObject(ov, "byReason"));
	for (size_t i = 0; i < g->reason_count; i++) {
		cJSON *x = cds__must(cJSON_CreateObject());
		add_text(x, "system", g->reasons[i].system);
		add_text(x, "code", g->reasons[i].code);
		add_text(x, "display", g->reasons[i].display);
		add_number(x, "count", g->reasons[i].count);
		cJSON_AddItemToArray(reasons, x);
	}

	cJSON *cr = cds__must(cJSON_AddObjectToObject(o, "criteria"));
	add_number(cr, "results", g->criterion_results);
	add_number(cr, "unknown", g->criterion_unknown);
	add_rate(cr, "unknownRate", g->criterion_unknown, g->criterion_results);
	cJSON *by = cds__must(cJSON_AddArrayToObject(cr, "byCriterion"));
	for (size_t i = 0; i < g->criterion_count; i++) {
		cJSON *x = cds__must(cJSON_CreateObject());
		cds__must(cJSON_AddStringToObject(x, "id", g->criteria[i].id));
		add_number(x, "results", g->criteria[i].results);
		add_number(x, "unknown", g->criteria[i].unknown);
		add_rate(x, "unknownRate", g->criteria[i].unknown, g->criteria[i].results);
		cJSON_AddItemToArray(by, x);
	}
	return o;
}

cJSON *cds__report_json(const struct cds__report *r)
{
	cJSON *root = cds__must(cJSON_CreateObject());
	cJSON *period = cds__must(cJSON_AddObjectToObject(root, "period"));
	add_text(period, "from", r->from);
	add_text(period, "to", r->to);
	cds__must(cJSON_AddStringToObject(root, "store", r->kind));
	cJSON *groups = cds__must(cJSON_AddArrayToObject(root, "policies"));
	for (size_t i = 0; i < r->group_count; i++)
		cJSON_AddItemToArray(groups, group_json(&r->groups[i]));
	cJSON *u = cds__must(cJSON_AddObjectToObject(root, "unknownCardFeedback"));
	add_number(u, "items", r->unknown_card_feedback);
	cJSON_AddItemToObject(
	    u, "byOutcome", counts_object(r->unknown_card_outcomes, r->unknown_card_outcome_count));
	return root;
}

/* ---- text ---------------------------------------------------------------------------------- */

/* Text from the store for a terminal: control characters (an escape sequence in a feedback's
 * reason code, say) become '?'. */
static const char *safe(const char *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s", s ? s : "");
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return buf;
}

/* "37.5% (3/8)", or "- (0/0)" when undefined. */
static void put_rate(FILE *out, unsigned long num, unsigned long den)
{
	if (den)
		fprintf(out, "%.1f%% (%lu/%lu)", 100.0 * cds__report_rate(num, den), num, den);
	else
		fprintf(out, "- (%lu/0)", num);
}

static void put_counts(FILE *out, const struct cds__report_count *items, size_t n)
{
	char buf[256];
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s %lu", i ? ", " : "",
		        items[i].key[0] ? safe(items[i].key, buf, sizeof buf) : "(none)",
		        items[i].count);
	if (n == 0)
		fputs("none", out);
}

void cds__report_text(const struct cds__report *r, FILE *out)
{
	fprintf(out, "Commissioner's report: decisions from %s to %s (%s store)\n",
	        r->from[0] ? r->from : "the first", r->to[0] ? r->to : "the last", r->kind);
	if (r->group_count == 0)
		fputs("\nNo decisions in this period.\n", out);
	char a[256], b[256], c[256];
	for (size_t i = 0; i < r->group_count; i++) {
		const struct cds__report_group *g = &r->groups[i];
		fprintf(out, "\n%s  %s  version %s\n", safe(g->commissioner, a, sizeof a),
		        safe(g->policy, b, sizeof b), safe(g->version, c, sizeof c));
		fprintf(out, "  orders assessed         %lu (%lu assessment%s)\n", g->orders,
		        g->assessments, g->assessments == 1 ? "" : "s");
		fputs("  decisions               ", out);
		put_counts(out, g->decisions, g->decision_count);
		fprintf(out, "\n  cards shown             %lu", g->cards);
		if (g->indicator_count) {
			fputs(" (", out);
			put_counts(out, g->indicators, g->indicator_count);
			fputc(')', out);
		}
		fprintf(out,
		        "\n  feedback                %lu item%s on %lu card%s: %lu accepted, %lu "
		        "overridden\n",
		        g->feedback_items, g->feedback_items == 1 ? "" : "s",
		        g->cards_with_feedback, g->cards_with_feedback == 1 ? "" : "s",
		        g->cards_accepted, g->cards_overridden);
		fprintf(out, "  suggestions accepted    %lu\n", g->suggestions_accepted);
		fputs("  override rate           ", out);
		put_rate(out, g->cards_overridden, g->cards_with_feedback);
		fputs(" of cards with feedback; ", out);
		put_rate(out, g->cards_overridden, g->cards);
		fputs(" of cards shown\n", out);
		fputs(g->reason_count ? "  overrides by reason\n"
		                      : "  overrides by reason     none\n",
		      out);
		for (size_t k = 0; k < g->reason_count; k++) {
			const struct cds__report_reason *x = &g->reasons[k];
			fprintf(out, "    %6lu  %s%s%s%s\n", x->count,
			        x->code ? safe(x->code, a, sizeof a) : "(no reason given)",
			        x->display ? " \"" : "", safe(x->display, b, sizeof b),
			        x->display ? "\"" : "");
		}
		fputs("  unknown criteria        ", out);
		put_rate(out, g->criterion_unknown, g->criterion_results);
		fputs(" of criterion results\n", out);
		for (size_t k = 0; k < g->criterion_count; k++) {
			const struct cds__report_criterion *x = &g->criteria[k];
			fprintf(out, "    %-20s ", safe(x->id, a, sizeof a));
			put_rate(out, x->unknown, x->results);
			fputs(" not documented\n", out);
		}
	}
	fprintf(out, "\nFeedback naming cards the store did not know: %lu",
	        r->unknown_card_feedback);
	if (r->unknown_card_outcome_count) {
		fputs(" (", out);
		put_counts(out, r->unknown_card_outcomes, r->unknown_card_outcome_count);
		fputc(')', out);
	}
	fputc('\n', out);
}

/* ---- CSV ----------------------------------------------------------------------------------- */

/* One field (RFC 4180): quoted when it holds a comma, quote, CR or LF; a leading = + - @ TAB
 * or CR gets a ' so that a spreadsheet shows it rather than running it (OWASP CSV injection). */
static void csv_field(FILE *out, const char *s)
{
	s = s ? s : "";
	int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
	int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', out);
	if (formula)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	if (quote)
		fputc('"', out);
}

static void csv_row(FILE *out, const struct cds__report_group *g, const char *measure,
                    const char *key, const char *value)
{
	csv_field(out, g ? g->commissioner : "");
	fputc(',', out);
	csv_field(out, g ? g->policy : "");
	fputc(',', out);
	csv_field(out, g ? g->version : "");
	fputc(',', out);
	csv_field(out, measure);
	fputc(',', out);
	csv_field(out, key);
	fputc(',', out);
	fputs(value, out); /* a number or empty: never needs quoting */
	fputs("\r\n", out);
}

static void csv_count(FILE *out, const struct cds__report_group *g, const char *measure,
                      const char *key, unsigned long n)
{
	char value[24];
	snprintf(value, sizeof value, "%lu", n);
	csv_row(out, g, measure, key, value);
}

static void csv_rate(FILE *out, const struct cds__report_group *g, const char *measure,
                     const char *key, unsigned long num, unsigned long den)
{
	char value[32] = "";
	if (den)
		snprintf(value, sizeof value, "%.4f", cds__report_rate(num, den));
	csv_row(out, g, measure, key, value);
}

void cds__report_csv(const struct cds__report *r, FILE *out)
{
	fputs("commissioner,policy,policy_version,measure,key,value\r\n", out);
	for (size_t i = 0; i < r->group_count; i++) {
		const struct cds__report_group *g = &r->groups[i];
		csv_count(out, g, "assessments", "", g->assessments);
		csv_count(out, g, "orders", "", g->orders);
		for (size_t k = 0; k < g->decision_count; k++)
			csv_count(out, g, "decisions", g->decisions[k].key, g->decisions[k].count);
		csv_count(out, g, "cards_shown", "", g->cards);
		for (size_t k = 0; k < g->indicator_count; k++)
			csv_count(out, g, "cards_shown_by_indicator", g->indicators[k].key,
			          g->indicators[k].count);
		csv_count(out, g, "feedback_items", "", g->feedback_items);
		csv_count(out, g, "cards_with_feedback", "", g->cards_with_feedback);
		csv_count(out, g, "cards_accepted", "", g->cards_accepted);
		csv_count(out, g, "cards_overridden", "", g->cards_overridden);
		csv_count(out, g, "suggestions_accepted", "", g->suggestions_accepted);
		csv_count(out, g, "overridden_items", "", g->overridden_items);
		for (size_t k = 0; k < g->reason_count; k++) {
			const struct cds__report_reason *x = &g->reasons[k];
			char key[512]; /* system|code, the display is in the text formats */
			snprintf(key, sizeof key, "%s%s%s", x->system ? x->system : "",
			         x->system ? "|" : "", x->code ? x->code : "");
			csv_count(out, g, "overrides_by_reason", key, x->count);
		}
		csv_rate(out, g, "override_rate_of_cards_with_feedback", "", g->cards_overridden,
		         g->cards_with_feedback);
		csv_rate(out, g, "override_rate_of_cards_shown", "", g->cards_overridden, g->cards);
		csv_count(out, g, "criterion_results", "", g->criterion_results);
		csv_count(out, g, "criterion_unknown", "", g->criterion_unknown);
		csv_rate(out, g, "unknown_criterion_rate", "", g->criterion_unknown,
		         g->criterion_results);
		for (size_t k = 0; k < g->criterion_count; k++)
			csv_rate(out, g, "unknown_rate_by_criterion", g->criteria[k].id,
			         g->criteria[k].unknown, g->criteria[k].results);
	}
	csv_count(out, NULL, "unknown_card_feedback", "", r->unknown_card_feedback);
	for (size_t k = 0; k < r->unknown_card_outcome_count; k++)
		csv_count(out, NULL, "unknown_card_feedback_by_outcome",
		          r->unknown_card_outcomes[k].key, r->unknown_card_outcomes[k].count);
}
