/* test_report.c — the commissioner's report (cds-hooks/store/report.h) on the hand-written rows
 * of tests/support/report_fixture.c in a temporary SQLite store: every figure against the value
 * worked out by hand there, the period's bounds (a row exactly at `from` is in, one exactly at
 * `to` is out), the bounds a person types, the text, JSON, CSV and HTML forms (an odd policy id
 * quoted for CSV, escaped for HTML, a formula neutralised), and `cds-commissioning report` as a
 * user runs it (exit codes and messages for a bad URL, date or format). With
 * CDS_TEST_POSTGRES_URL (a fresh database: tests/store/pg_server.sh run …) the same figures and
 * formats are checked on PostgreSQL: the report's SQL is the same for both engines. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "report_fixture.h"
#include "store/report.h"
#include "testkit.h"

static const struct cds__report_group *group(const struct cds__report *r, const char *policy)
{
	for (size_t i = 0; r && i < r->group_count; i++)
		if (strcmp(r->groups[i].policy, policy) == 0)
			return &r->groups[i];
	return NULL;
}

static unsigned long count_of(const struct cds__report_count *items, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].key, key) == 0)
			return items[i].count;
	return 999999;
}

static void check_figures(const struct cds__report *r)
{
	CHECK(r->group_count == 3, "%zu groups", r->group_count);
	if (r->group_count != 3)
		return;
	/* sorted by commissioner */
	CHECK(strcmp(r->groups[0].commissioner, "hny-icb") == 0, "%s", r->groups[0].commissioner);
	CHECK(strcmp(r->groups[1].commissioner, "nwl-icb") == 0, "%s", r->groups[1].commissioner);
	CHECK(strcmp(r->groups[2].policy, REPORT_FIXTURE_ODD_POLICY) == 0, "%s",
	      r->groups[2].policy);

	const struct cds__report_group *g = group(r, "hny-142-usgi");
	CHECK(strcmp(g->version, "1.0.0") == 0, "%s", g->version);
	CHECK(g->assessments == 6, "assessments %lu", g->assessments);
	CHECK(g->orders == 5, "orders %lu", g->orders);
	CHECK(g->decision_count == 3, "%zu decision codes", g->decision_count);
	CHECK(count_of(g->decisions, g->decision_count, "redirect") == 4, "redirect");
	CHECK(count_of(g->decisions, g->decision_count, "commissioned") == 1, "commissioned");
	CHECK(count_of(g->decisions, g->decision_count, "criteria-unknown") == 1, "unknown");
	CHECK(strcmp(g->decisions[0].key, "commissioned") == 0, "sorted: %s", g->decisions[0].key);
	CHECK(g->cards == 5, "cards %lu", g->cards);
	CHECK(count_of(g->indicators, g->indicator_count, "warning") == 4, "warning");
	CHECK(count_of(g->indicators, g->indicator_count, "info") == 1, "info");
	CHECK(g->feedback_items == 5, "feedback items %lu", g->feedback_items);
	CHECK(g->cards_with_feedback == 4, "cards with feedback %lu", g->cards_with_feedback);
	CHECK(g->cards_accepted == 2, "accepted %lu", g->cards_accepted);
	CHECK(g->cards_overridden == 2, "overridden %lu", g->cards_overridden);
	CHECK(g->overridden_items == 3, "overridden items %lu", g->overridden_items);
	CHECK(g->suggestions_accepted == 3, "suggestions %lu", g->suggestions_accepted);
	CHECK(g->reason_count == 2, "%zu reasons", g->reason_count);
	if (g->reason_count == 2) {
		CHECK(strcmp(g->reasons[0].code, "patient-preference") == 0 &&
		          g->reasons[0].count == 2 &&
		          strcmp(g->reasons[0].display, "Patient preference") == 0 &&
		          strcmp(g->reasons[0].system, "urn:example:reasons") == 0,
		      "%s %lu", g->reasons[0].code, g->reasons[0].count);
		CHECK(strcmp(g->reasons[1].code, "already-done") == 0 && g->reasons[1].count == 1,
		      "%s %lu", g->reasons[1].code, g->reasons[1].count);
	}
	CHECK(cds__report_rate(g->cards_overridden, g->cards_with_feedback) == 0.5, "rate");
	CHECK(cds__report_rate(g->cards_overridden, g->cards) == 0.4, "rate of shown");
	CHECK(g->criterion_results == 12 && g->criterion_unknown == 5, "criteria %lu/%lu",
	      g->criterion_unknown, g->criterion_results);
	CHECK(g->criterion_count == 2, "%zu criteria", g->criterion_count);
	if (g->criterion_count == 2) { /* most unknown first */
		CHECK(strcmp(g->criteria[0].id, "B") == 0 && g->criteria[0].unknown == 4 &&
		          g->criteria[0].results == 6,
		      "B %lu/%lu", g->criteria[0].unknown, g->criteria[0].results);
		CHECK(strcmp(g->criteria[1].id, "A") == 0 && g->criteria[1].unknown == 1 &&
		          g->criteria[1].results == 6,
		      "A %lu/%lu", g->criteria[1].unknown, g->criteria[1].results);
	}

	g = group(r, "nwl-msk-imaging");
	CHECK(g->assessments == 2 && g->orders == 2 && g->cards == 2, "nwl %lu %lu %lu",
	      g->assessments, g->orders, g->cards);
	CHECK(count_of(g->indicators, g->indicator_count, "critical") == 1, "critical");
	CHECK(g->feedback_items == 2 && g->cards_with_feedback == 2 && g->cards_accepted == 1 &&
	          g->cards_overridden == 1 && g->suggestions_accepted == 0,
	      "nwl feedback");
	CHECK(g->reason_count == 1 && g->reasons[0].code == NULL && g->reasons[0].system == NULL &&
	          g->reasons[0].count == 1,
	      "no reason given");
	CHECK(g->criterion_results == 2 && g->criterion_unknown == 1, "nwl criteria");

	g = group(r, REPORT_FIXTURE_ODD_POLICY);
	CHECK(g && g->assessments == 1 && g->cards == 0 && g->cards_with_feedback == 0 &&
	          g->criterion_results == 0 && g->reason_count == 0,
	      "odd policy");
	CHECK(cds__report_rate(0, 0) < 0, "undefined rate");

	CHECK(r->unknown_card_feedback == 2, "unknown-card feedback %lu", r->unknown_card_feedback);
	CHECK(count_of(r->unknown_card_outcomes, r->unknown_card_outcome_count, "accepted") == 1 &&
	          count_of(r->unknown_card_outcomes, r->unknown_card_outcome_count, "overridden") ==
	              1,
	      "unknown-card outcomes");
}

static char *render(const struct cds__report *r, void (*fn)(const struct cds__report *, FILE *))
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	fn(r, f);
	fclose(f);
	return text;
}

static void check_formats(const struct cds__report *r)
{
	char *text = render(r, cds__report_text), want[256];
	snprintf(want, sizeof want,
	         "decisions from 2026-11-01T00:00:00.000Z to 2026-12-01T00:00:00.000Z (%s store)",
	         r->kind);
	CHECK(strstr(text, want) != NULL, "text head:\n%s", text);
	CHECK(strstr(text,
	             "hny-icb  hny-142-usgi  version 1.0.0\n"
	             "  orders assessed         5 (6 assessments)\n"
	             "  decisions               commissioned 1, criteria-unknown 1, "
	             "redirect 4\n"
	             "  cards shown             5 (info 1, warning 4)\n"
	             "  feedback                5 items on 4 cards: 2 accepted, 2 overridden\n"
	             "  suggestions accepted    3\n"
	             "  override rate           50.0% (2/4) of cards with feedback; 40.0% "
	             "(2/5) of cards shown\n"
	             "  overrides by reason\n"
	             "         2  patient-preference \"Patient preference\"\n"
	             "         1  already-done \"Already done\"\n"
	             "  unknown criteria        41.7% (5/12) of criterion results\n"
	             "    B                    66.7% (4/6) not documented\n"
	             "    A                    16.7% (1/6) not documented\n") != NULL,
	      "text group:\n%s", text);
	CHECK(strstr(text, "         1  (no reason given)\n") != NULL, "no reason");
	CHECK(strstr(text, "  override rate           - (0/0) of cards with feedback; - (0/0) of "
	                   "cards shown\n") != NULL,
	      "undefined rates in text");
	CHECK(strstr(text, "Feedback naming cards the store did not know: 2 (accepted 1, "
	                   "overridden 1)\n") != NULL,
	      "unknown cards");
	free(text);

	cJSON *json = cds__report_json(r);
	char *printed = cJSON_PrintUnformatted(json);
	cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "policies"), 0);
	CHECK(cJSON_GetObjectItem(p0, "orders")->valuedouble == 5, "json orders");
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(p0, "decisions"), "redirect")->valuedouble ==
	          4,
	      "json redirect");
	cJSON *ov = cJSON_GetObjectItem(p0, "overrides");
	CHECK(cJSON_GetObjectItem(ov, "rateOfCardsWithFeedback")->valuedouble == 0.5, "json rate");
	CHECK(cJSON_GetObjectItem(ov, "rateOfCardsShown")->valuedouble == 0.4, "json rate shown");
	CHECK(strstr(printed,
	             "\"byReason\":[{\"system\":\"urn:example:reasons\",\"code\":\"patient-"
	             "preference\",\"display\":\"Patient preference\",\"count\":2},") != NULL,
	      "json reasons: %s", printed);
	CHECK(strstr(printed, "\"byCriterion\":[{\"id\":\"B\",\"results\":6,\"unknown\":4,"
	                      "\"unknownRate\":0.6666") != NULL,
	      "json criteria");
	snprintf(want, sizeof want,
	         "\"period\":{\"from\":\"2026-11-01T00:00:00.000Z\",\"to\":\"2026-12-01T00:00:"
	         "00.000Z\"},\"store\":\"%s\"",
	         r->kind);
	CHECK(strstr(printed, want) != NULL, "json period: %s", printed);
	cJSON *p2 = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "policies"), 2);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(p2, "overrides"),
	                                       "rateOfCardsWithFeedback")),
	      "json undefined rate is null");
	CHECK(strcmp(cJSON_GetObjectItem(p2, "policy")->valuestring, REPORT_FIXTURE_ODD_POLICY) ==
	          0,
	      "json odd id");
	CHECK(strstr(printed, "\"unknownCardFeedback\":{\"items\":2,\"byOutcome\":{\"accepted\":1,"
	                      "\"overridden\":1}}") != NULL,
	      "json unknown cards");
	free(printed);
	cJSON_Delete(json);

	char *csv = render(r, cds__report_csv);
	CHECK(strncmp(csv, "commissioner,policy,policy_version,measure,key,value\r\n", 53) == 0,
	      "csv header");
	static const char *const lines[] = {
	    "hny-icb,hny-142-usgi,1.0.0,orders,,5\r\n",
	    "hny-icb,hny-142-usgi,1.0.0,decisions,redirect,4\r\n",
	    "hny-icb,hny-142-usgi,1.0.0,cards_shown_by_indicator,warning,4\r\n",
	    "hny-icb,hny-142-usgi,1.0.0,overrides_by_reason,urn:example:reasons|patient-preference,"
	    "2\r\n",
	    "hny-icb,hny-142-usgi,1.0.0,override_rate_of_cards_with_feedback,,0.5000\r\n",
	    "hny-icb,hny-142-usgi,1.0.0,override_rate_of_cards_shown,,0.4000\r\n",
	    "hny-icb,hny-142-usgi,1.0.0,unknown_rate_by_criterion,B,0.6667\r\n",
	    "nwl-icb,nwl-msk-imaging,2,overrides_by_reason,,1\r\n",
	    /* RFC 4180 quoting, and the formula neutralised */
	    "x-icb,\"'=odd<script>alert(\"\"x\"\")</script>, & 'q'\",1,assessments,,1\r\n",
	    "x-icb,\"'=odd<script>alert(\"\"x\"\")</script>, & 'q'\",1,"
	    "override_rate_of_cards_shown,,\r\n",
	    ",,,unknown_card_feedback,,2\r\n",
	    ",,,unknown_card_feedback_by_outcome,overridden,1\r\n",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		CHECK(strstr(csv, lines[i]) != NULL, "csv line %s", lines[i]);
	free(csv);

	char *html = render(r, cds__report_html);
	CHECK(strstr(html, "<script") == NULL, "no markup from the store");
	CHECK(strstr(html, "=odd&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, &amp; "
	                   "&#39;q&#39;") != NULL,
	      "escaped odd id");
	CHECK(strstr(html, "http://") == NULL || strstr(html, "src=") == NULL, "no asset");
	CHECK(strstr(html, "<link") == NULL && strstr(html, "url(") == NULL, "no external asset");
	free(html);
}

struct cmd {
	int status;
	char *out, *err;
};

/* Runs `cds-commissioning ARGS` through the shell; stdout and stderr captured. */
static struct cmd run(const char *bin, const char *dir, const char *args)
{
	struct cmd c = {0};
	char line[4096];
	snprintf(line, sizeof line, "%s %s >%s/out 2>%s/err", bin, args, dir, dir);
	int st = system(line);
	c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	snprintf(line, sizeof line, "%s/out", dir);
	c.out = testkit_read(line, NULL);
	snprintf(line, sizeof line, "%s/err", dir);
	c.err = testkit_read(line, NULL);
	if (!c.out) /* never NULL: "" when unreadable */
		c.out = strdup("");
	if (!c.err)
		c.err = strdup("");
	return c;
}

static void check_cli(const char *dir, const char *db)
{
	const char *bin = getenv("CDS_COMMISSIONING");
	if (!bin || access(bin, X_OK) != 0) {
		printf("note: CDS_COMMISSIONING not set: the command line is not checked\n");
		return;
	}
	char args[2048];
	static const struct {
		const char *args;
		int status;
		const char *out, *err;
	} cases[] = {
	    {"--from 2026-11-01 --to 2026-12-01", 0, "orders assessed         5 (6 assessments)",
	     ""},
	    {"--from=2026-11-01 --to=2026-12-01 --format csv", 0,
	     "hny-icb,hny-142-usgi,1.0.0,orders,,5\r\n", ""},
	    {"--from 2026-11-01T01:00:00+01:00 --to 2026-12-01 --format json", 0,
	     "\"from\":\t\"2026-11-01T00:00:00.000Z\"", ""},
	    {"--format html", 0, "<svg id=\"chart-decisions\"", ""},
	    {"", 0, "orders assessed         7 (8 assessments)", ""}, /* open period */
	    {"--format xml", 2, "", "--format 'xml' is not one of text, json, csv, html"},
	    {"--from 2026-13-01", 2, "", "--from '2026-13-01' is not a date"},
	    {"--from 2026-11", 2, "", "--from '2026-11' is not a date"},
	    {"--to 2026-11-01T10:00:00", 2, "", "is not a date"}, /* no zone */
	    {"--from 2026-12-01 --to 2026-11-01", 2, "", "is not before --to"},
	    {"--bogus", 2, "", "unknown option '--bogus'"},
	    {"--from", 2, "", "option '--from' needs a value"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(args, sizeof args, "report --store sqlite:%s %s", db, cases[i].args);
		struct cmd c = run(bin, dir, args);
		CHECK(c.status == cases[i].status, "%s: exit %d, stderr %s", cases[i].args,
		      c.status, c.err);
		CHECK(strstr(c.out, cases[i].out), "%s: stdout %s", cases[i].args, c.out);
		CHECK(strstr(c.err, cases[i].err), "%s: stderr %s", cases[i].args, c.err);
		free(c.out);
		free(c.err);
	}
	static const struct {
		const char *args;
		int status;
		const char *err;
	} stores[] = {
	    {"report", 2, "--store URL is required"},
	    {"report --store mysql://x/y", 2, "is not sqlite:PATH or postgresql://"},
	    {"report --store postgresql://u:secret@127.0.0.1:1/db", 1, ""},
	};
	for (size_t i = 0; i < sizeof stores / sizeof stores[0]; i++) {
		struct cmd c = run(bin, dir, stores[i].args);
		CHECK(c.status == stores[i].status, "%s: exit %d", stores[i].args, c.status);
		CHECK(strstr(c.err, stores[i].err), "%s: %s", stores[i].args, c.err);
		CHECK(!strstr(c.err, "secret"), "password shown: %s", c.err);
		free(c.out);
		free(c.err);
	}
	snprintf(args, sizeof args, "report --store sqlite:%s/absent.db", dir);
	struct cmd c = run(bin, dir, args);
	CHECK(c.status == 1 && strstr(c.err, "no store at"), "absent file: %d %s", c.status, c.err);
	free(c.out);
	free(c.err);
	snprintf(args, sizeof args, "%s/absent.db", dir);
	CHECK(access(args, F_OK) != 0, "the report created a store");
	snprintf(args, sizeof args, "report --store sqlite://%s --format csv", db); /* sqlite:/// */
	c = run(bin, dir, args);
	CHECK(c.status == 0 && strstr(c.out, ",orders,,7\r\n"), "sqlite:///: %d %s", c.status,
	      c.err);
	free(c.out);
	free(c.err);
	c = run(bin, dir, "report --help");
	CHECK(c.status == 0 && strstr(c.out, "Usage: cds-commissioning report"), "help");
	free(c.out);
	free(c.err);
}

static void check_bounds(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"2026-11-01", "2026-11-01T00:00:00.000Z"},
	    {"2026-11-01T10:20:30Z", "2026-11-01T10:20:30.000Z"},
	    {"2026-11-01T10:20:30.250Z", "2026-11-01T10:20:30.250Z"},
	    {"2026-11-01T01:30:00+01:30", "2026-11-01T00:00:00.000Z"},
	    {"2026-11-01T00:30:00-01:00", "2026-11-01T01:30:00.000Z"},
	    {"2026-03-01T00:30:00+01:00", "2026-02-28T23:30:00.000Z"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char buf[32] = "";
		struct fhir_error err = {{0}, {0}};
		int rc = cds__report_parse_bound(ok[i].in, buf, sizeof buf, &err);
		CHECK(rc == FHIR_OK && strcmp(buf, ok[i].out) == 0, "%s -> %s (%s)", ok[i].in, buf,
		      err.message);
	}
	static const char *const bad[] = {"",          "2026",           "2026-11",
	                                  "yesterday", "2026-02-30",     "2026-11-01T10:00:00",
	                                  "10:00:00Z", "2026-11-01T10Z", "2026-11-01 10:00:00Z"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char buf[32];
		struct fhir_error err = {{0}, {0}};
		CHECK(cds__report_parse_bound(bad[i], buf, sizeof buf, &err) == FHIR_ERR_INVALID,
		      "accepted '%s'", bad[i]);
	}
}

int main(void)
{
	char dir[] = "/tmp/test_report.XXXXXX";
	char url[512], db[256];
	struct fhir_error err = {{0}, {0}};
	struct cds__store *store = NULL;
	struct cds__report *r = NULL;
	const char *pg = getenv("CDS_TEST_POSTGRES_URL");
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(db, sizeof db, "%s/store.db", dir);
	snprintf(url, sizeof url, "sqlite:%s", db);
	if (pg && pg[0]) {
		snprintf(url, sizeof url, "%s", pg);
		printf("store: PostgreSQL (CDS_TEST_POSTGRES_URL)\n");
	}
	CHECK(cds__store_open(url, &store, &err) == FHIR_OK, "open: %s", err.message);
	CHECK(report_fixture_load(store, 1, &err) == FHIR_OK, "fixture: %s", err.message);

	CHECK(cds__report_compute(store, REPORT_FIXTURE_FROM, REPORT_FIXTURE_TO, &r, &err) ==
	          FHIR_OK,
	      "compute: %s", err.message);
	if (r) {
		check_figures(r);
		check_formats(r);
	}
	cds__report_free(r);

	/* open bounds: the rows outside the period come in */
	r = NULL;
	CHECK(cds__report_compute(store, NULL, NULL, &r, &err) == FHIR_OK, "%s", err.message);
	const struct cds__report_group *g = group(r, "hny-142-usgi");
	CHECK(g && g->assessments == 8 && g->cards == 7 && g->cards_with_feedback == 6,
	      "open period");
	CHECK(r && r->unknown_card_feedback == 4 && r->from[0] == '\0', "open unknown cards");
	cds__report_free(r);
	/* a period with nothing in it */
	r = NULL;
	CHECK(cds__report_compute(store, "2030-01-01T00:00:00.000Z", NULL, &r, &err) == FHIR_OK,
	      "%s", err.message);
	CHECK(r && r->group_count == 0 && r->unknown_card_feedback == 0, "empty period");
	char *text = r ? render(r, cds__report_text) : NULL;
	CHECK(text && strstr(text, "No decisions in this period."), "empty text");
	free(text);
	char *html = r ? render(r, cds__report_html) : NULL;
	CHECK(html && strstr(html, "No decisions in this period."), "empty html");
	free(html);
	cds__report_free(r);
	cds__store_close(store);

	check_bounds();
	if (!(pg && pg[0])) /* the command line on the SQLite file */
		check_cli(dir, db);

	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
	return testkit_done();
}
