/* report_page.c — the commissioner's report (../store/report.h) as one self-contained HTML
 * page for a board paper: a summary table and three charts drawn here as inline SVG (decisions
 * by outcome per policy as stacked bars, the override rate per policy, the criteria the record
 * most often does not document), each with a <title>/<desc> and its data as a table beside it.
 * No script, no external asset (fonts, styles, images); every text from the store is escaped.
 * Served by GET /report (report_route.c) and written by `report --format html`. */
#include <string.h>

#include "cds_internal.h"
#include "store/report.h"

/* The chart geometry, in SVG user units (the page scales it to its width). */
enum {
	CHART_W = 760, /* whole chart */
	LABEL_W = 300, /* the row labels' column */
	PLOT_W = 360,  /* the bars' full length */
	ROW_H = 30,    /* one row */
	BAR_H = 20,
	TOP = 10,
	LABEL_MAX = 38, /* bytes of a label shown in a chart (whole in the table and <title>) */
	TOP_CRITERIA = 10,
};

/* Colours: the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies),
 * a fixed one per known decision code so that a colour means the same on every page. */
static const struct {
	const char *decision, *colour;
} decision_colours[] = {
    {"commissioned", "#009E73"},
    {"redirect", "#56B4E9"},
    {"prior-approval-required", "#E69F00"},
    {"ifr-required", "#0072B2"},
    {"criteria-unknown", "#999999"},
    {"not-commissioned", "#D55E00"},
    {"contraindicated", "#CC79A7"},
    {"not-applicable", "#F0E442"},
};
static const char *const other_colours[] = {"#332288", "#117733", "#882255",
                                            "#44AA99", "#AA4499", "#DDCC77"};

/* Writes s escaped for HTML text and attribute values; control characters become U+FFFD. */
static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c == '\'')
			fputs("&#39;", out);
		else if (c < 0x20 || c == 0x7f)
			fputs("&#xFFFD;", out);
		else
			fputc(c, out);
	}
}

/* A label for a chart: at most LABEL_MAX bytes, cut at a UTF-8 character boundary, then "…". */
static void esc_short(FILE *out, const char *s)
{
	size_t n = strlen(s);
	if (n <= LABEL_MAX) {
		esc(out, s);
		return;
	}
	n = LABEL_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	char buf[LABEL_MAX + 1];
	memcpy(buf, s, n);
	buf[n] = '\0';
	esc(out, buf);
	fputs("\xE2\x80\xA6", out);
}

static void put_rate(FILE *out, unsigned long num, unsigned long den)
{
	if (den)
		fprintf(out, "%.1f%%", 100.0 * cds__report_rate(num, den));
	else
		fputs("&#8211;", out);
}

/* "policy v1.2 (commissioner)" */
static void group_label(FILE *out, const struct cds__report_group *g, int shorten)
{
	char buf[1024];
	snprintf(buf, sizeof buf, "%s v%s (%s)", g->policy, g->version, g->commissioner);
	if (shorten)
		esc_short(out, buf);
	else
		esc(out, buf);
}

/* The decision codes of every group, sorted and unique. NEW array of BORROWED strings. */
static const char **decision_codes(const struct cds__report *r, size_t *count)
{
	size_t n = 0, cap = 8;
	const char **codes = cds__must(malloc(cap * sizeof *codes));
	for (size_t i = 0; i < r->group_count; i++)
		for (size_t k = 0; k < r->groups[i].decision_count; k++) {
			const char *key = r->groups[i].decisions[k].key;
			size_t at = 0;
			while (at < n && strcmp(codes[at], key) < 0)
				at++;
			if (at < n && strcmp(codes[at], key) == 0)
				continue;
			if (n == cap)
				codes = cds__must(realloc(codes, (cap *= 2) * sizeof *codes));
			memmove(codes + at + 1, codes + at, (n - at) * sizeof *codes);
			codes[at] = key;
			n++;
		}
	*count = n;
	return codes;
}

static const char *colour(const char *decision, size_t index)
{
	for (size_t i = 0; i < sizeof decision_colours / sizeof decision_colours[0]; i++)
		if (strcmp(decision_colours[i].decision, decision) == 0)
			return decision_colours[i].colour;
	return other_colours[index % (sizeof other_colours / sizeof other_colours[0])];
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;"
    "color:#1b1b1b;background:#fff}"
    "main{max-width:62rem;margin:0 auto;padding:1.5rem}"
    "h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;"
    "border-bottom:2px solid #005eb8;padding-bottom:.2rem}"
    ".period{color:#425563;margin:0 0 1rem}"
    "table{border-collapse:collapse;margin:.75rem 0;font-size:.85rem;width:100%}"
    "caption{text-align:left;font-weight:600;padding:.25rem 0}"
    "th,td{border:1px solid #d8dde0;padding:.25rem .4rem;text-align:left;vertical-align:top;"
    "overflow-wrap:break-word}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "thead th{background:#f0f4f5}"
    "svg{max-width:100%;height:auto;display:block}"
    "svg text{font-family:inherit;font-size:13px;fill:#1b1b1b}"
    "svg .axis{stroke:#aeb7bd;stroke-width:1}"
    "dl.defs dt{font-weight:600;margin-top:.5rem}dl.defs dd{margin:0 0 0 1rem}"
    "@media print{main{max-width:none}h2{break-after:avoid}figure{break-inside:avoid}}";

static void open_svg(FILE *out, const char *id, size_t rows, size_t legend_rows, const char *title)
{
	size_t h = (size_t)TOP + (rows ? rows : 1) * (size_t)ROW_H + 28 + legend_rows * 22;
	fprintf(out,
	        "<svg id=\"chart-%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	        "viewBox=\"0 0 %d %zu\" width=\"%d\" height=\"%zu\" role=\"img\" "
	        "aria-labelledby=\"chart-%s-title chart-%s-desc\">\n<title id=\"chart-%s-title\">%s"
	        "</title>\n",
	        id, CHART_W, h, CHART_W, h, id, id, id, title);
}

/* A row's label at the left of the plot. */
static void row_label(FILE *out, size_t row, const char *label)
{
	fprintf(out, "<text class=\"label\" x=\"%d\" y=\"%zu\" text-anchor=\"end\">", LABEL_W - 8,
	        TOP + row * ROW_H + ROW_H / 2 + 5);
	esc_short(out, label);
	fputs("</text>\n", out);
}

/* The axis line and 0/25/50/75/100 % ticks below `rows` rows. */
static void percent_axis(FILE *out, size_t rows)
{
	size_t y = TOP + rows * ROW_H;
	fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%zu\"/>\n", LABEL_W,
	        TOP, LABEL_W, y);
	for (int p = 0; p <= 100; p += 25) {
		double x = LABEL_W + PLOT_W * p / 100.0;
		fprintf(out,
		        "<line class=\"axis\" x1=\"%.1f\" y1=\"%zu\" x2=\"%.1f\" y2=\"%zu\"/>"
		        "<text class=\"tick\" x=\"%.1f\" y=\"%zu\" "
		        "text-anchor=\"middle\">%d%%</text>\n",
		        x, y, x, y + 5, x, y + 19, p);
	}
}

/* ---- the charts ---------------------------------------------------------------------------- */

static void chart_decisions(FILE *out, const struct cds__report *r)
{
	size_t ncodes = 0;
	const char **codes = decision_codes(r, &ncodes);
	unsigned long max = 0;
	for (size_t i = 0; i < r->group_count; i++)
		if (r->groups[i].assessments > max)
			max = r->groups[i].assessments;
	size_t legend_rows = (ncodes + 3) / 4;
	fputs("<figure>\n", out);
	open_svg(out, "decisions", r->group_count, legend_rows,
	         "Decisions by outcome, per policy and version");
	fprintf(out,
	        "<desc id=\"chart-decisions-desc\">Stacked horizontal bars, one per policy and "
	        "version, %zu in all; each bar's length is the number of assessments (the longest "
	        "is %lu) and its segments the decisions by outcome. The table below has the same "
	        "figures.</desc>\n",
	        r->group_count, max);
	for (size_t i = 0; i < r->group_count; i++) {
		const struct cds__report_group *g = &r->groups[i];
		char label[1024];
		snprintf(label, sizeof label, "%s v%s (%s)", g->policy, g->version,
		         g->commissioner);
		row_label(out, i, label);
		double x = LABEL_W;
		size_t y = TOP + i * ROW_H + (ROW_H - BAR_H) / 2;
		for (size_t c = 0; c < ncodes; c++) {
			const struct cds__report_count *d = NULL;
			for (size_t k = 0; k < g->decision_count; k++)
				if (strcmp(g->decisions[k].key, codes[c]) == 0)
					d = &g->decisions[k];
			if (!d || d->count == 0)
				continue;
			double w = max ? PLOT_W * (double)d->count / (double)max : 0;
			fputs("<rect class=\"bar\" data-decision=\"", out);
			esc(out, codes[c]);
			fprintf(out,
			        "\" data-count=\"%lu\" x=\"%.1f\" y=\"%zu\" width=\"%.1f\" "
			        "height=\"%d\" fill=\"%s\"><title>",
			        d->count, x, y, w, BAR_H, colour(codes[c], c));
			group_label(out, g, 0);
			fputs(": ", out);
			esc(out, codes[c]);
			fprintf(out, " %lu of %lu</title></rect>\n", d->count, g->assessments);
			x += w;
		}
		fprintf(out, "<text class=\"value\" x=\"%.1f\" y=\"%zu\">%lu</text>\n", x + 6,
		        y + BAR_H / 2 + 5, g->assessments);
	}
	/* the legend, four to a row */
	size_t ly = TOP + (r->group_count ? r->group_count : 1) * ROW_H + 12;
	for (size_t c = 0; c < ncodes; c++) {
		size_t lx = 20 + (c % 4) * 185, row = ly + (c / 4) * 22;
		fprintf(out,
		        "<g class=\"legend-item\"><rect x=\"%zu\" y=\"%zu\" width=\"12\" "
		        "height=\"12\" fill=\"%s\"/><text x=\"%zu\" y=\"%zu\">",
		        lx, row, colour(codes[c], c), lx + 16, row + 11);
		esc_short(out, codes[c]);
		fputs("</text></g>\n", out);
	}
	fputs("</svg>\n</figure>\n", out);

	/* the same as a table */
	fputs("<table id=\"table-decisions\"><caption>Decisions by outcome</caption>\n<thead><tr>"
	      "<th scope=\"col\">Policy, version (commissioner)</th>",
	      out);
	for (size_t c = 0; c < ncodes; c++) {
		fputs("<th scope=\"col\" class=\"n\">", out);
		esc(out, codes[c]);
		fputs("</th>", out);
	}
	fputs("<th scope=\"col\" class=\"n\">Assessments</th></tr></thead>\n<tbody>\n", out);
	for (size_t i = 0; i < r->group_count; i++) {
		const struct cds__report_group *g = &r->groups[i];
		fputs("<tr><th scope=\"row\">", out);
		group_label(out, g, 0);
		fputs("</th>", out);
		for (size_t c = 0; c < ncodes; c++) {
			unsigned long n = 0;
			for (size_t k = 0; k < g->decision_count; k++)
				if (strcmp(g->decisions[k].key, codes[c]) == 0)
					n = g->decisions[k].count;
			fprintf(out, "<td class=\"n\">%lu</td>", n);
		}
		fprintf(out, "<td class=\"n\">%lu</td></tr>\n", g->assessments);
	}
	fputs("</tbody></table>\n", out);
	free(codes);
}

static void chart_overrides(FILE *out, const struct cds__report *r)
{
	fputs("<figure>\n", out);
	open_svg(out, "overrides", r->group_count, 0,
	         "Override rate per policy and version (of cards with feedback)");
	fputs("<desc id=\"chart-overrides-desc\">Horizontal bars, one per policy and version: the "
	      "share of cards with feedback that clinicians overrode, from 0 to 100 per cent, with "
	      "the counts beside each bar; a policy without feedback has no bar. The table below "
	      "has the same figures.</desc>\n",
	      out);
	for (size_t i = 0; i < r->group_count; i++) {
		const struct cds__report_group *g = &r->groups[i];
		char label[1024];
		snprintf(label, sizeof label, "%s v%s (%s)", g->policy, g->version,
		         g->commissioner);
		row_label(out, i, label);
		size_t y = TOP + i * ROW_H + (ROW_H - BAR_H) / 2;
		double w = 0;
		if (g->cards_with_feedback) {
			w = PLOT_W * cds__report_rate(g->cards_overridden, g->cards_with_feedback);
			fprintf(out,
			        "<rect class=\"bar\" data-count=\"%lu\" data-of=\"%lu\" x=\"%d\" "
			        "y=\"%zu\" width=\"%.1f\" height=\"%d\" fill=\"#D55E00\"><title>",
			        g->cards_overridden, g->cards_with_feedback, LABEL_W, y, w, BAR_H);
			group_label(out, g, 0);
			fprintf(out, ": %lu of %lu cards with feedback overridden</title></rect>\n",
			        g->cards_overridden, g->cards_with_feedback);
		}
		fprintf(out, "<text class=\"value\" x=\"%.1f\" y=\"%zu\">", LABEL_W + w + 6,
		        y + BAR_H / 2 + 5);
		if (g->cards_with_feedback) {
			put_rate(out, g->cards_overridden, g->cards_with_feedback);
			fprintf(out, " (%lu/%lu)", g->cards_overridden, g->cards_with_feedback);
		} else {
			fputs("no feedback", out);
		}
		fputs("</text>\n", out);
	}
	percent_axis(out, r->group_count);
	fputs("</svg>\n</figure>\n", out);

	fputs("<table id=\"table-overrides\"><caption>Overrides</caption>\n<thead><tr>"
	      "<th scope=\"col\">Policy, version (commissioner)</th>"
	      "<th scope=\"col\" class=\"n\">Cards shown</th>"
	      "<th scope=\"col\" class=\"n\">Cards with feedback</th>"
	      "<th scope=\"col\" class=\"n\">Cards overridden</th>"
	      "<th scope=\"col\" class=\"n\">Override rate, of cards with feedback</th>"
	      "<th scope=\"col\" class=\"n\">Override rate, of cards shown</th>"
	      "<th scope=\"col\">Overrides by reason</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < r->group_count; i++) {
		const struct cds__report_group *g = &r->groups[i];
		fputs("<tr><th scope=\"row\">", out);
		group_label(out, g, 0);
		fprintf(out,
		        "</th><td class=\"n\">%lu</td><td class=\"n\">%lu</td><td "
		        "class=\"n\">%lu</td><td class=\"n\">",
		        g->cards, g->cards_with_feedback, g->cards_overridden);
		put_rate(out, g->cards_overridden, g->cards_with_feedback);
		fputs("</td><td class=\"n\">", out);
		put_rate(out, g->cards_overridden, g->cards);
		fputs("</td><td>", out);
		if (g->reason_count == 0)
			fputs("&#8211;", out);
		for (size_t k = 0; k < g->reason_count; k++) {
			const struct cds__report_reason *x = &g->reasons[k];
			fputs(k ? "<br>" : "", out);
			if (x->display)
				esc(out, x->display);
			else if (x->code)
				esc(out, x->code);
			else
				fputs("(no reason given)", out);
			if (x->display && x->code) {
				fputs(" <small>(", out);
				esc(out, x->code);
				fputs(")</small>", out);
			}
			fprintf(out, ": %lu", x->count);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

/* One criterion of one group, for the ranking across groups. */
struct ranked {
	const struct cds__report_group *g;
	const struct cds__report_criterion *c;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->c->unknown != y->c->unknown)
		return x->c->unknown > y->c->unknown ? -1 : 1;
	double rx = cds__report_rate(x->c->unknown, x->c->results);
	double ry = cds__report_rate(y->c->unknown, y->c->results);
	if (rx != ry)
		return rx > ry ? -1 : 1;
	int c = strcmp(x->g->policy, y->g->policy);
	return c ? c : strcmp(x->c->id, y->c->id);
}

static void chart_criteria(FILE *out, const struct cds__report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->group_count; i++)
		n += r->groups[i].criterion_count;
	struct ranked *all = cds__must(calloc(n ? n : 1, sizeof *all));
	size_t shown = 0;
	for (size_t i = 0; i < r->group_count; i++)
		for (size_t k = 0; k < r->groups[i].criterion_count; k++)
			if (r->groups[i].criteria[k].unknown > 0) {
				all[shown].g = &r->groups[i];
				all[shown++].c = &r->groups[i].criteria[k];
			}
	if (shown > 1)
		qsort(all, shown, sizeof *all, ranked_cmp);
	if (shown > TOP_CRITERIA)
		shown = TOP_CRITERIA;
	fputs("<figure>\n", out);
	open_svg(out, "criteria", shown, 0, "The criteria the record most often does not document");
	fprintf(out,
	        "<desc id=\"chart-criteria-desc\">Horizontal bars for the %zu criteria with the "
	        "most results in state unknown (at most %d): each bar is the share of that "
	        "criterion's results that were unknown, from 0 to 100 per cent, with the counts "
	        "beside it. The table below has the same figures.</desc>\n",
	        shown, TOP_CRITERIA);
	if (shown == 0)
		fprintf(out, "<text x=\"%d\" y=\"%d\">No criterion was unknown.</text>\n", LABEL_W,
		        TOP + ROW_H / 2 + 5);
	for (size_t i = 0; i < shown; i++) {
		char label[1024];
		snprintf(label, sizeof label, "%s: %s", all[i].g->policy, all[i].c->id);
		row_label(out, i, label);
		size_t y = TOP + i * ROW_H + (ROW_H - BAR_H) / 2;
		double w = PLOT_W * cds__report_rate(all[i].c->unknown, all[i].c->results);
		fputs("<rect class=\"bar\" data-criterion=\"", out);
		esc(out, all[i].c->id);
		fprintf(out,
		        "\" data-count=\"%lu\" data-of=\"%lu\" x=\"%d\" y=\"%zu\" "
		        "width=\"%.1f\" height=\"%d\" fill=\"#0072B2\"><title>",
		        all[i].c->unknown, all[i].c->results, LABEL_W, y, w, BAR_H);
		esc(out, label);
		fprintf(out, ": unknown in %lu of %lu results</title></rect>\n", all[i].c->unknown,
		        all[i].c->results);
		fprintf(out, "<text class=\"value\" x=\"%.1f\" y=\"%zu\">", LABEL_W + w + 6,
		        y + BAR_H / 2 + 5);
		put_rate(out, all[i].c->unknown, all[i].c->results);
		fprintf(out, " (%lu/%lu)</text>\n", all[i].c->unknown, all[i].c->results);
	}
	if (shown)
		percent_axis(out, shown);
	fputs("</svg>\n</figure>\n", out);
	free(all);

	fputs("<table id=\"table-criteria\"><caption>Criterion results by state</caption>\n<thead>"
	      "<tr><th scope=\"col\">Policy, version (commissioner)</th><th scope=\"col\">"
	      "Criterion</th><th scope=\"col\" class=\"n\">Results</th><th scope=\"col\" "
	      "class=\"n\">Unknown</th><th scope=\"col\" class=\"n\">Unknown rate</th></tr>"
	      "</thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < r->group_count; i++)
		for (size_t k = 0; k < r->groups[i].criterion_count; k++) {
			const struct cds__report_criterion *c = &r->groups[i].criteria[k];
			fputs("<tr><th scope=\"row\">", out);
			group_label(out, &r->groups[i], 0);
			fputs("</th><td>", out);
			esc(out, c->id);
			fprintf(out,
			        "</td><td class=\"n\">%lu</td><td class=\"n\">%lu</td><td "
			        "class=\"n\">",
			        c->results, c->unknown);
			put_rate(out, c->unknown, c->results);
			fputs("</td></tr>\n", out);
		}
	fputs("</tbody></table>\n", out);
}

static void summary(FILE *out, const struct cds__report *r)
{
	fputs(
	    "<table id=\"table-summary\"><caption>Per commissioner, policy and version</caption>\n"
	    "<thead><tr><th scope=\"col\">Commissioner</th><th scope=\"col\">Policy</th>"
	    "<th scope=\"col\">Version</th><th scope=\"col\" class=\"n\">Orders assessed</th>"
	    "<th scope=\"col\" class=\"n\">Assessments</th>"
	    "<th scope=\"col\" class=\"n\">Cards shown</th>"
	    "<th scope=\"col\" class=\"n\">Suggestions accepted</th>"
	    "<th scope=\"col\" class=\"n\">Override rate</th>"
	    "<th scope=\"col\" class=\"n\">Unknown-criterion rate</th></tr></thead>\n<tbody>\n",
	    out);
	for (size_t i = 0; i < r->group_count; i++) {
		const struct cds__report_group *g = &r->groups[i];
		fputs("<tr><td>", out);
		esc(out, g->commissioner);
		fputs("</td><td>", out);
		esc(out, g->policy);
		fputs("</td><td>", out);
		esc(out, g->version);
		fprintf(out,
		        "</td><td class=\"n\">%lu</td><td class=\"n\">%lu</td><td "
		        "class=\"n\">%lu</td><td class=\"n\">%lu</td><td class=\"n\">",
		        g->orders, g->assessments, g->cards, g->suggestions_accepted);
		put_rate(out, g->cards_overridden, g->cards_with_feedback);
		fputs("</td><td class=\"n\">", out);
		put_rate(out, g->criterion_unknown, g->criterion_results);
		fputs("</td></tr>\n", out);
	}
	if (r->group_count == 0)
		fputs("<tr><td colspan=\"9\">No decisions in this period.</td></tr>\n", out);
	fputs("</tbody></table>\n", out);
}

static const char definitions[] =
    "<h2>How the figures are counted</h2>\n<dl class=\"defs\">\n"
    "<dt>Assessments, orders assessed</dt><dd>One assessment per order and policy in one hook "
    "call; orders are the distinct order references among them.</dd>\n"
    "<dt>Cards shown</dt><dd>Distinct cards of those decisions.</dd>\n"
    "<dt>Override rate</dt><dd>Cards with an overridden feedback item, divided by the cards "
    "with any feedback; beside it, divided by all cards shown (a floor: a card without "
    "feedback is not known to have been followed).</dd>\n"
    "<dt>Suggestions accepted</dt><dd>Suggestions named as accepted in the feedback on those "
    "cards.</dd>\n"
    "<dt>Unknown-criterion rate</dt><dd>Criterion results in state unknown (the record did not "
    "document the criterion) divided by all criterion results.</dd>\n"
    "<dt>Period</dt><dd>Decisions made from the start (inclusive) to the end (exclusive), and "
    "the feedback on their cards whenever it came; feedback naming a card the store did not "
    "know is counted by when it arrived.</dd>\n</dl>\n";

/* A bound for a person: "2026-11-01" at midnight, else "2026-11-01 10:20:30 UTC" (the store's
 * form "2026-11-01T10:20:30.000Z" in, milliseconds dropped when 0). */
static void human_bound(const char *bound, char *buf, size_t size)
{
	if (strlen(bound) != 24)
		snprintf(buf, size, "%s", bound);
	else if (strcmp(bound + 10, "T00:00:00.000Z") == 0)
		snprintf(buf, size, "%.10s", bound);
	else if (strcmp(bound + 19, ".000Z") == 0)
		snprintf(buf, size, "%.10s %.8s UTC", bound, bound + 11);
	else
		snprintf(buf, size, "%.10s %.12s UTC", bound, bound + 11);
}

/* The period in words, each bound as a <time> (markup when `markup`, else plain text for
 * the <title>): "Decisions made from A up to (not including) B", "… from A onwards",
 * "… before B", "All decisions in the store". */
static void period(FILE *out, const struct cds__report *r, int markup)
{
	char from[64], to[64];
	human_bound(r->from, from, sizeof from);
	human_bound(r->to, to, sizeof to);
	if (!r->from[0] && !r->to[0]) {
		fputs("All decisions in the store", out);
		return;
	}
	fputs("Decisions made ", out);
	if (r->from[0]) {
		fputs("from ", out);
		if (markup) {
			fputs("<time id=\"from\" datetime=\"", out);
			esc(out, r->from);
			fputs("\">", out);
		}
		esc(out, from);
		fputs(markup ? "</time>" : "", out);
		fputs(r->to[0] ? " up to (not including) " : " onwards", out);
	} else {
		fputs("before ", out);
	}
	if (r->to[0]) {
		if (markup) {
			fputs("<time id=\"to\" datetime=\"", out);
			esc(out, r->to);
			fputs("\">", out);
		}
		esc(out, to);
		fputs(markup ? "</time>" : "", out);
	}
}

void cds__report_html(const struct cds__report *r, FILE *out)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>Commissioner's report: ",
	      out);
	period(out, r, 0);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", style);
	fputs("<h1>Commissioner's report</h1>\n<p class=\"period\">", out);
	period(out, r, 1);
	fputs(" (", out);
	esc(out, r->kind);
	fputs(" store).</p>\n<h2>Summary</h2>\n", out);
	summary(out, r);
	fputs("<h2>Decisions by outcome</h2>\n", out);
	chart_decisions(out, r);
	fputs("<h2>Overrides</h2>\n", out);
	chart_overrides(out, r);
	fputs("<h2>What the record does not document</h2>\n", out);
	chart_criteria(out, r);
	fprintf(out,
	        "<h2>Feedback on unknown cards</h2>\n<p id=\"unknown-cards\">%lu feedback item%s "
	        "named a card the store did not know",
	        r->unknown_card_feedback, r->unknown_card_feedback == 1 ? "" : "s");
	for (size_t k = 0; k < r->unknown_card_outcome_count; k++) {
		fputs(k ? ", " : " (", out);
		esc(out, r->unknown_card_outcomes[k].key);
		fprintf(out, " %lu", r->unknown_card_outcomes[k].count);
	}
	fputs(r->unknown_card_outcome_count ? ").</p>\n" : ".</p>\n", out);
	fputs(definitions, out);
	fputs("</main>\n</body>\n</html>\n", out);
}
