/* test_report_page.c — the commissioner's report page (cds-hooks/web/report_page.c) as a
 * browser renders it: the page of tests/support/report_fixture.c's rows is opened in headless
 * Chromium (Debian `chromium`), and the DOM Chromium built from it (--dump-dom) must hold the
 * three SVG charts with their titles and descriptions, the right bars in the right order with
 * the right labels (the odd policy id as text, never as markup: no <script> element), and the
 * tables' values; a screenshot is taken and must be a PNG of the window's size. Exit 77 (SKIP)
 * only when no Chromium is installed. With CDS_REPORT_SCREENSHOT=FILE it also writes the page
 * without the odd policy as FILE (the README's picture). */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_fixture.h"
#include "store/report.h"
#include "testkit.h"

/* The browser: $CHROMIUM, else the first of the usual names on PATH. NEW or NULL. */
static char *find_chromium(void)
{
	const char *env = getenv("CHROMIUM");
	if (env && env[0])
		return strdup(env);
	static const char *const names[] = {"chromium", "chromium-browser", "google-chrome"};
	const char *path = getenv("PATH");
	for (size_t i = 0; path && i < sizeof names / sizeof names[0]; i++) {
		const char *p = path;
		while (*p) {
			size_t n = strcspn(p, ":");
			char file[1024];
			snprintf(file, sizeof file, "%.*s/%s", (int)n, p, names[i]);
			if (n && access(file, X_OK) == 0)
				return strdup(file);
			p += n + (p[n] == ':');
		}
	}
	return NULL;
}

/* Runs chromium headless on file://page with `mode` (--dump-dom > out, or --screenshot=out).
 * Its own profile folder; no sandbox (tests may run as root); stderr (D-Bus noise) dropped.
 * `timeout` only keeps a wedged browser from hanging the suite. Returns the exit status. */
static int chromium(const char *bin, const char *dir, const char *page, const char *mode,
                    const char *out)
{
	char line[4096];
	if (strcmp(mode, "dom") == 0)
		snprintf(line, sizeof line,
		         "timeout 300 '%s' --headless --disable-gpu --no-sandbox "
		         "--user-data-dir='%s/profile' --dump-dom 'file://%s' >'%s' 2>/dev/null",
		         bin, dir, page, out);
	else
		snprintf(line, sizeof line,
		         "timeout 300 '%s' --headless --disable-gpu --no-sandbox "
		         "--user-data-dir='%s/profile' --hide-scrollbars --window-size=1000,1700 "
		         "--screenshot='%s' 'file://%s' >/dev/null 2>&1",
		         bin, dir, out, page);
	int st = system(line);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t occurrences(const char *s, const char *end, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)) && (!end || p < end); p += strlen(what))
		n++;
	return n;
}

/* The serialised <svg id="chart-ID"> … </svg> inside dom, into buf (empty when absent). */
static void chart(const char *dom, const char *id, char *buf, size_t size)
{
	char open[64];
	snprintf(open, sizeof open, "<svg id=\"chart-%s\"", id);
	const char *s = strstr(dom, open), *e = s ? strstr(s, "</svg>") : NULL;
	snprintf(buf, size, "%.*s", s && e ? (int)(e - s) : 0, s ? s : "");
}

/* The values of attribute `name` on the class="bar" rects of svg, joined by ','. */
static void bar_values(const char *svg, const char *name, char *buf, size_t size)
{
	char attr[64];
	snprintf(attr, sizeof attr, " %s=\"", name);
	buf[0] = '\0';
	for (const char *p = svg; (p = strstr(p, "<rect class=\"bar\"")); p++) {
		const char *end = strchr(p, '>'), *a = strstr(p, attr);
		if (!a || !end || a > end)
			continue;
		a += strlen(attr);
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, "%s%.*s", used ? "," : "", (int)strcspn(a, "\""),
		         a);
	}
}

/* The texts of svg's <text class="label"> elements, joined by '|'. */
static void labels(const char *svg, char *buf, size_t size)
{
	buf[0] = '\0';
	for (const char *p = svg; (p = strstr(p, "<text class=\"label\"")); p++) {
		const char *t = strchr(p, '>');
		if (!t)
			break;
		t++;
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, "%s%.*s", used ? "|" : "", (int)strcspn(t, "<"),
		         t);
	}
}

static void check_dom(const char *dom)
{
	static char svg[65536], got[4096];
	CHECK(strstr(dom, "<title>Commissioner's report: Decisions made from 2026-11-01 up to (not "
	                  "including) 2026-12-01</title>") != NULL,
	      "page title");
	CHECK(
	    strstr(dom, "<time id=\"to\" datetime=\"2026-12-01T00:00:00.000Z\">2026-12-01</time>"),
	    "the period's end");
	CHECK(strstr(dom, "<script") == NULL, "a <script> element was built from the store's text");
	CHECK(occurrences(dom, NULL, "<svg ") == 3, "%zu charts", occurrences(dom, NULL, "<svg "));

	static const char *const ids[] = {"decisions", "overrides", "criteria"};
	for (size_t i = 0; i < 3; i++) {
		chart(dom, ids[i], svg, sizeof svg);
		char want[256];
		snprintf(want, sizeof want,
		         "role=\"img\" aria-labelledby=\"chart-%s-title chart-%s-desc\"", ids[i],
		         ids[i]);
		CHECK(strstr(svg, want) != NULL, "%s: role and labels", ids[i]);
		snprintf(want, sizeof want, "<title id=\"chart-%s-title\">", ids[i]);
		CHECK(strstr(svg, want) != NULL, "%s: title", ids[i]);
		snprintf(want, sizeof want, "<desc id=\"chart-%s-desc\">", ids[i]);
		CHECK(strstr(svg, want) != NULL, "%s: desc", ids[i]);
	}

	/* decisions: hny 3 segments, nwl 2, the odd policy 1, in the legend's (sorted) order */
	chart(dom, "decisions", svg, sizeof svg);
	CHECK(occurrences(svg, NULL, "<rect class=\"bar\"") == 6, "%zu decision bars",
	      occurrences(svg, NULL, "<rect class=\"bar\""));
	bar_values(svg, "data-decision", got, sizeof got);
	CHECK(strcmp(got, "commissioned,criteria-unknown,redirect,not-commissioned,"
	                  "prior-approval-required,redirect") == 0,
	      "decision segments %s", got);
	bar_values(svg, "data-count", got, sizeof got);
	CHECK(strcmp(got, "1,1,4,1,1,1") == 0, "decision counts %s", got);
	labels(svg, got, sizeof got);
	CHECK(strcmp(got,
	             "hny-142-usgi v1.0.0 (hny-icb)|nwl-msk-imaging v2 (nwl-icb)|"
	             "=odd&lt;script&gt;alert(\"x\")&lt;/script&gt;, &amp; 'q'\xE2\x80\xA6") == 0,
	      "decision labels %s", got);
	CHECK(occurrences(svg, NULL, "class=\"legend-item\"") == 5, "legend");
	/* the longest bar is the whole plot: hny's segments add up to it */
	CHECK(strstr(svg, "<rect class=\"bar\" data-decision=\"redirect\" data-count=\"4\" "
	                  "x=\"420.0\" y=\"15\" width=\"240.0\"") != NULL,
	      "the last segment ends at the plot's end");

	chart(dom, "overrides", svg, sizeof svg);
	bar_values(svg, "data-count", got, sizeof got);
	CHECK(strcmp(got, "2,1") == 0, "override bars %s", got);
	bar_values(svg, "data-of", got, sizeof got);
	CHECK(strcmp(got, "4,2") == 0, "override bars of %s", got);
	CHECK(strstr(svg, ">50.0% (2/4)</text>") && strstr(svg, ">no feedback</text>"),
	      "override values");

	chart(dom, "criteria", svg, sizeof svg);
	labels(svg, got, sizeof got);
	CHECK(strcmp(got, "hny-142-usgi: B|nwl-msk-imaging: imaging-indication|hny-142-usgi: A") ==
	          0,
	      "criteria labels %s", got);
	bar_values(svg, "data-count", got, sizeof got);
	CHECK(strcmp(got, "4,1,1") == 0, "criteria counts %s", got);
	CHECK(strstr(svg, ">66.7% (4/6)</text>") != NULL, "criteria value");

	/* the tables, as the browser parsed them */
	static const char *const rows[] = {
	    "<tr><td>hny-icb</td><td>hny-142-usgi</td><td>1.0.0</td><td class=\"n\">5</td><td "
	    "class=\"n\">6</td><td class=\"n\">5</td><td class=\"n\">3</td><td "
	    "class=\"n\">50.0%</td><td class=\"n\">41.7%</td></tr>",
	    "<tr><td>x-icb</td><td>=odd&lt;script&gt;alert(\"x\")&lt;/script&gt;, &amp; "
	    "'q'</td><td>1</td><td class=\"n\">1</td><td class=\"n\">1</td><td "
	    "class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">–</td><td "
	    "class=\"n\">–</td></tr>",
	    "<th scope=\"row\">nwl-msk-imaging v2 (nwl-icb)</th><td class=\"n\">0</td><td "
	    "class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">1</td><td "
	    "class=\"n\">0</td><td class=\"n\">2</td></tr>",
	    "<td class=\"n\">50.0%</td><td class=\"n\">40.0%</td><td>Patient preference "
	    "<small>(patient-preference)</small>: 2<br>Already done "
	    "<small>(already-done)</small>: 1</td>",
	    "<td>B</td><td class=\"n\">6</td><td class=\"n\">4</td><td class=\"n\">66.7%</td>",
	    ("<p id=\"unknown-cards\">2 feedback items named a card the store did not know "
	     "(accepted 1, overridden 1).</p>"),
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECK(strstr(dom, rows[i]) != NULL, "table: %s", rows[i]);
}

/* 1 when file is a PNG of width x height (its IHDR). */
static int png_of(const char *file, unsigned width, unsigned height, size_t *bytes)
{
	size_t n = 0;
	unsigned char *p = (unsigned char *)testkit_read(file, &n);
	int ok = p && n > 24 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	         memcmp(p + 12, "IHDR", 4) == 0 &&
	         ((unsigned)p[16] << 24 | (unsigned)p[17] << 16 | (unsigned)p[18] << 8 | p[19]) ==
	             width &&
	         ((unsigned)p[20] << 24 | (unsigned)p[21] << 16 | (unsigned)p[22] << 8 | p[23]) ==
	             height;
	*bytes = n;
	free(p);
	return ok;
}

/* Writes the report page of a fresh fixture store (with or without the odd policy) to page. */
static int write_page(const char *dir, const char *name, int odd, const char *page)
{
	char url[1024];
	struct fhir_error err = {{0}, {0}};
	struct cds__store *store = NULL;
	struct cds__report *r = NULL;
	snprintf(url, sizeof url, "sqlite:%s/%s", dir, name);
	int rc = cds__store_open(url, &store, &err);
	if (rc == FHIR_OK)
		rc = report_fixture_load(store, odd, &err);
	if (rc == FHIR_OK)
		rc = cds__report_compute(store, REPORT_FIXTURE_FROM, REPORT_FIXTURE_TO, &r, &err);
	CHECK(rc == FHIR_OK, "store: %s", err.message);
	FILE *f = fopen(page, "w");
	CHECK(f != NULL, "%s", page);
	if (f && r)
		cds__report_html(r, f);
	if (f)
		fclose(f);
	cds__report_free(r);
	cds__store_close(store);
	return rc;
}

int main(void)
{
	char *bin = find_chromium();
	if (!bin) {
		printf("SKIP: no chromium on PATH (Debian package `chromium`; or set CHROMIUM)\n");
		return 77;
	}
	char dir[] = "/tmp/test_report_page.XXXXXX";
	char page[512], dom_file[512], png[512];
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(page, sizeof page, "%s/report.html", dir);
	snprintf(dom_file, sizeof dom_file, "%s/dom.html", dir);
	snprintf(png, sizeof png, "%s/report.png", dir);

	if (write_page(dir, "store.db", 1, page) == FHIR_OK) {
		int st = chromium(bin, dir, page, "dom", dom_file);
		char *dom = testkit_read(dom_file, NULL);
		CHECK(st == 0 && dom && dom[0], "chromium --dump-dom: exit %d", st);
		if (dom)
			check_dom(dom);
		free(dom);
		st = chromium(bin, dir, page, "screenshot", png);
		size_t bytes = 0;
		CHECK(st == 0 && png_of(png, 1000, 1700, &bytes) && bytes > 20000,
		      "screenshot: exit %d, %zu bytes", st, bytes);
	}
	const char *shot = getenv("CDS_REPORT_SCREENSHOT");
	if (shot && shot[0] && write_page(dir, "readme.db", 0, page) == FHIR_OK)
		CHECK(chromium(bin, dir, page, "screenshot", shot) == 0, "screenshot %s", shot);

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup");
	free(bin);
	return testkit_done();
}
