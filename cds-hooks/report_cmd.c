/* report_cmd.c — `cds-commissioning report --store URL [--from DATE] [--to DATE]
 * [--format text|json|csv|html]`: the commissioner's report (issue 13 item 4) from a store the
 * service wrote, on stdout. It parses arguments, opens the store and prints; the figures are
 * store/report.c's, the formats store/report_format.c's and web/report_page.c's. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "store/report.h"

enum { EXIT_STORE = 1, EXIT_USAGE = 2 };

static const char usage_report[] =
    "Usage: cds-commissioning report --store URL [--from DATE] [--to DATE]\n"
    "                                [--format text|json|csv|html]\n"
    "\n"
    "Prints the commissioner's report from the store `serve --store` writes: per\n"
    "commissioner, policy and version, the orders assessed, decisions by outcome, cards\n"
    "shown (by indicator), suggestions accepted, overrides by reason, the override rate and\n"
    "the unknown-criterion rate (what the record does not document, per criterion), and the\n"
    "feedback that named cards the store did not know. README \"The commissioner's report\"\n"
    "defines each figure. It only reads the store (opening it applies any pending\n"
    "migration, as serve does).\n"
    "\n"
    "  --store URL       sqlite:PATH (an existing file) or postgresql://USER@HOST/DB\n"
    "  --from DATE       the first instant counted, inclusive: YYYY-MM-DD (midnight UTC) or\n"
    "                    YYYY-MM-DDThh:mm:ssZ (or +hh:mm); default: from the first decision\n"
    "  --to DATE         the end, exclusive (--to 2026-12-01 stops at the end of 30 November\n"
    "                    UTC); default: up to now\n"
    "  --format FORMAT   text (default, for a terminal), json (README shape), csv (one row per\n"
    "                    commissioner, policy, version, measure and key), html (a page with\n"
    "                    charts, as GET /report serves it)\n"
    "  --help            show this help\n"
    "\n"
    "Exit status: 0 with the report printed (also when the period has no decisions), 1 when\n"
    "the store cannot be opened or read, 2 for bad arguments (an unknown option, a URL of no\n"
    "known kind, a date that is not one, --from not before --to, an unknown format).\n";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
	va_list ap;
	fputs("cds-commissioning report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry `cds-commissioning report --help`.\n", stderr);
	return EXIT_USAGE;
}

int cds__report_command(int argc, char **argv)
{
	const char *url = NULL, *from_text = NULL, *to_text = NULL, *format = "text";
	char from[32] = "", to[32] = "";
	struct fhir_error err = {{0}, {0}};
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_report, stdout);
			return 0;
		}
		static const char *const names[] = {"--store", "--from", "--to", "--format"};
		const char **slots[] = {&url, &from_text, &to_text, &format};
		size_t k = 0;
		const char *value = NULL;
		for (; k < 4; k++) {
			size_t n = strlen(names[k]);
			if (strncmp(arg, names[k], n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
				value = arg[n] == '=' ? arg + n + 1 : NULL;
				break;
			}
		}
		if (k == 4)
			return usage(arg[0] == '-' ? "unknown option '%s'"
			                           : "unexpected argument '%s'",
			             arg);
		if (!value) {
			if (i + 1 >= argc)
				return usage("option '%s' needs a value", arg);
			value = argv[++i];
		}
		*slots[k] = value;
	}
	if (!url)
		return usage("--store URL is required (sqlite:PATH or postgresql://...)");
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
	    strcmp(format, "csv") != 0 && strcmp(format, "html") != 0)
		return usage("--format '%s' is not one of text, json, csv, html", format);
	if (from_text && cds__report_parse_bound(from_text, from, sizeof from, &err) != FHIR_OK)
		return usage("--from %s", err.message);
	if (to_text && cds__report_parse_bound(to_text, to, sizeof to, &err) != FHIR_OK)
		return usage("--to %s", err.message);
	if (from[0] && to[0] && strcmp(from, to) >= 0) {
		fprintf(stderr,
		        "cds-commissioning report: --from %s is not before --to %s (the period is "
		        "[from, to))\n",
		        from, to);
		return EXIT_USAGE;
	}
	char shown[1024];
	cds__store_redact(url, shown, sizeof shown);
	if (!cds__store_url_kind(url))
		return usage("--store '%s' is not sqlite:PATH or postgresql://...", shown);
	/* A report reads what serve wrote: a SQLite file that is not there is a mistake in
	 * the path, not a store to create. */
	if (cds__store_sqlite_missing(url)) {
		fprintf(stderr, "cds-commissioning report: no store at '%s' (no such file)\n",
		        cds__store_sqlite_path(url));
		return EXIT_STORE;
	}
	struct cds__store *store = NULL;
	struct cds__report *report = NULL;
	int rc = cds__store_open(url, &store, &err);
	if (rc == FHIR_OK)
		rc = cds__report_compute(store, from, to, &report, &err);
	if (rc != FHIR_OK) {
		fprintf(stderr, "cds-commissioning report: %s%s%s\n", err.where,
		        err.where[0] ? ": " : "", err.message);
		cds__store_close(store);
		return rc == FHIR_ERR_INVALID ? EXIT_USAGE : EXIT_STORE;
	}
	if (strcmp(format, "json") == 0) {
		cJSON *json = cds__report_json(report);
		char *text = cds__must(cJSON_Print(json));
		puts(text);
		free(text);
		cJSON_Delete(json);
	} else if (strcmp(format, "csv") == 0) {
		cds__report_csv(report, stdout);
	} else if (strcmp(format, "html") == 0) {
		cds__report_html(report, stdout);
	} else {
		cds__report_text(report, stdout);
	}
	cds__report_free(report);
	cds__store_close(store);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fputs("cds-commissioning report: cannot write the report to stdout\n", stderr);
		return EXIT_STORE;
	}
	return 0;
}
