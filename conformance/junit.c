/* junit.c — the --format junit report: one JUnit XML document (the de-facto schema read by
 * Jenkins, GitLab and GitHub test reporters) built from the assertions report.c recorded. It only
 * formats; outcomes, tallies and the exit status stay report.c's. */
#include <string.h>

#include "conf.h"

/* Length of the valid UTF-8 sequence at s (1-4) allowed in XML 1.0, or 0 when it is invalid,
 * overlong, a surrogate, above U+10FFFF, U+FFFE/U+FFFF or a control character XML forbids. */
static size_t xml_char(const unsigned char *s)
{
	unsigned c = s[0], cp;
	size_t n;
	if (c < 0x80)
		return c >= 0x20 || c == '\t' || c == '\n' || c == '\r' ? 1 : 0;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Writes s escaped for an XML attribute value or text node; a character XML cannot carry is
 * written as U+FFFD. */
static void xml_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		size_t n = xml_char(p);
		if (!n) {
			fputs("\xef\xbf\xbd", out);
			p++;
			continue;
		}
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		case '\n':
			fputs("&#10;", out);
			break;
		case '\r':
			fputs("&#13;", out);
			break;
		case '\t':
			fputs("&#9;", out);
			break;
		default:
			fwrite(p, 1, n, out);
		}
		p += n;
	}
}

/* The group an assertion id belongs to (its letters), for the testcase classname. */
static const char *group_of(const char *id)
{
	static const struct {
		const char *prefix, *group;
	} groups[] = {{"CRD", "crd"},     {"RUN", "run"},      {"D", "discovery"},
	              {"H", "service"},   {"R", "robustness"}, {"A", "authentication"},
	              {"C", "cards"},     {"X", "actions"},    {"F", "feedback"},
	              {"T", "transport"}, {"P", "http"}};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (strncmp(id, groups[i].prefix, strlen(groups[i].prefix)) == 0)
			return groups[i].group;
	return "other";
}

static void count(const cJSON *list, size_t n[3])
{
	const cJSON *a;
	n[0] = n[1] = n[2] = 0;
	cJSON_ArrayForEach(a, list)
	{
		const char *o = conf_str(a, "outcome");
		n[0]++;
		n[1] += o && strcmp(o, "FAIL") == 0;
		n[2] += o && strcmp(o, "SKIP") == 0;
	}
}

static void suite(FILE *out, const char *name, const char *base_url, const cJSON *list,
                  const cJSON *timing, const cJSON *notes)
{
	size_t n[3];
	count(list, n);
	fputs("  <testsuite name=\"", out);
	xml_text(out, name);
	fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n", n[0],
	        n[1], n[2]);
	fputs("    <properties>\n      <property name=\"baseUrl\" value=\"", out);
	xml_text(out, base_url);
	fputs("\"/>\n    </properties>\n", out);
	const cJSON *a;
	cJSON_ArrayForEach(a, list)
	{
		const char *id = conf_str(a, "id"), *sev = conf_str(a, "severity");
		const char *o = conf_str(a, "outcome"), *reason = conf_str(a, "reason");
		fputs("    <testcase classname=\"cds-conformance.", out);
		xml_text(out, group_of(id ? id : ""));
		fputs("\" name=\"", out);
		xml_text(out, id);
		fputs(" (", out);
		xml_text(out, sev);
		fputs(")\">\n", out);
		if (o && strcmp(o, "FAIL") == 0) {
			fputs("      <failure type=\"", out);
			xml_text(out, sev);
			fputs("\" message=\"", out);
			xml_text(out, reason);
			fputs("\">", out);
			xml_text(out, reason);
			fputs("</failure>\n", out);
		} else if (o && strcmp(o, "SKIP") == 0) {
			fputs("      <skipped message=\"", out);
			xml_text(out, reason);
			fputs("\"/>\n", out);
		} else {
			fputs("      <system-out>", out);
			xml_text(out, reason);
			fputs("</system-out>\n", out);
		}
		fputs("    </testcase>\n", out);
	}
	if (cJSON_GetArraySize(timing) || cJSON_GetArraySize(notes)) {
		fputs("    <system-out>", out);
		cJSON_ArrayForEach(a, notes)
		{
			fputs("# ", out);
			xml_text(out, a->valuestring);
			fputc('\n', out);
		}
		cJSON_ArrayForEach(a, timing)
		{
			char line[512];
			snprintf(
			    line, sizeof line,
			    "# timing %s (%s): %.0f runs, median %.1f ms, p90 %.1f ms",
			    conf_str(a, "service") ? conf_str(a, "service") : "",
			    conf_str(a, "hook") ? conf_str(a, "hook") : "",
			    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "runs")),
			    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "medianMs")),
			    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "p90Ms")));
			xml_text(out, line);
			fputc('\n', out);
		}
		fputs("</system-out>\n", out);
	}
	fputs("  </testsuite>\n", out);
}

void conf_junit_write(FILE *out, const char *base_url, const cJSON *core, const cJSON *crd,
                      const cJSON *timing, const cJSON *notes)
{
	size_t a[3], b[3] = {0};
	count(core, a);
	count(crd, b);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
	        "<testsuites name=\"cds-conformance\" tests=\"%zu\" failures=\"%zu\" "
	        "errors=\"0\" skipped=\"%zu\">\n",
	        a[0] + b[0], a[1] + b[1], a[2] + b[2]);
	suite(out, "cds-conformance", base_url ? base_url : "", core, timing, notes);
	if (cJSON_GetArraySize(crd))
		suite(out, "cds-conformance.crd", base_url ? base_url : "", crd, NULL, NULL);
	fputs("</testsuites>\n", out);
}
