/* impact_cmd.c — `cds-commissioning impact --store URL --policies NEWDIR [--config FILE]
 * [--from DATE] [--to DATE] [--format text|json] [--examples N] [--fail-on-flip]`: parses the
 * arguments, runs cds__impact_run (impact.c) and prints its report as text tables or JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "impact.h"
#include "report.h"

enum { EXIT_ERROR = 1, EXIT_USAGE = 2, EXIT_FLIPS = 3 };

static const char usage_impact[] =
    "Usage: cds-commissioning impact --store URL --policies NEWDIR [OPTIONS]\n"
    "\n"
    "What a proposed policy set would change: re-assesses every request body the store kept\n"
    "(`serve --store` with bodies enabled) against the policy set in NEWDIR, offline, each at\n"
    "the instant it was received, and compares each decision with the stored one for the\n"
    "same order and policy. Prints per policy a table of old decision -> new decision with\n"
    "counts and a few hook instances of each change, the criteria whose state changed, and\n"
    "orders that newly trigger a policy or no longer do. NEWDIR is loaded exactly as\n"
    "`serve --policies` and `check` load it: a set with errors is refused, each error\n"
    "printed as `FILE#JSON-POINTER: message`.\n"
    "\n"
    "A request whose body names a fhirServer while its prefetch lacks data the policies read\n"
    "(or holds a paged Bundle of it) is counted as not replayable: the live service fetched\n"
    "that data, which the store does not keep, so it is never assessed on partial data.\n"
    "The store is only read (an absent SQLite file is an error, never created).\n"
    "\n"
    "  --store URL        the store: sqlite:PATH or postgresql://... (as serve --store)\n"
    "  --policies NEWDIR  the proposed policy set: every *.json below NEWDIR\n"
    "  --config FILE      use FILE as deployment.json instead of NEWDIR's\n"
    "  --from DATE        the first instant counted, inclusive: YYYY-MM-DD (midnight UTC)\n"
    "                     or YYYY-MM-DDThh:mm:ssZ (or +hh:mm); default: from the first\n"
    "                     request (the same period as `report`)\n"
    "  --to DATE          the end, exclusive (--to 2026-12-01 stops at the end of 30\n"
    "                     November UTC); default: up to now\n"
    "  --format text|json text tables (default) or one JSON object (README \"Policy impact\")\n"
    "  --examples N       hook instances shown per changed transition and per request not\n"
    "                     replayed, 0-100 (default 3)\n"
    "  --fail-on-flip     exit 3 when any decision changed (for CI: a policy edit that was\n"
    "                     meant to change nothing)\n"
    "  --help             show this help\n"
    "\n"
    "Exit status: 0 when it ran (whatever changed, unless --fail-on-flip), 1 when the policy\n"
    "set does not load or the store cannot be opened or read, 2 for bad arguments, 3 with\n"
    "--fail-on-flip when a decision changed.\n";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
	va_list ap;
	fputs("cds-commissioning impact: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry `cds-commissioning impact --help`.\n", stderr);
	return EXIT_USAGE;
}

/* ---- text ---------------------------------------------------------------------------------- */

static double number(const cJSON *object, const char *name)
{
	const cJSON *n = fhir_get(object, name);
	return cJSON_IsNumber(n) ? n->valuedouble : 0;
}

/* A decision as the table shows it. */
static const char *decision_text(const cJSON *value)
{
	if (!cJSON_IsString(value))
		return "(not triggered)";
	if (strcmp(value->valuestring, CDS__IMPACT_DATA_UNAVAILABLE) == 0)
		return "(412: data unavailable)";
	return value->valuestring;
}

static const char *state_text(const cJSON *value)
{
	return cJSON_IsString(value) ? value->valuestring : "(not assessed)";
}

static void print_policy(const cJSON *p, FILE *out)
{
	const cJSON *v, *t, *c;
	char old_versions[256] = "";
	size_t len = 0;
	cJSON_ArrayForEach(v, fhir_get(p, "oldVersions"))
	{
		if (cJSON_IsString(v) && len + 2 < sizeof old_versions) {
			int w = snprintf(old_versions + len, sizeof old_versions - len, "%s%s",
			                 len ? ", " : "", v->valuestring);
			len = w < 0 ? len : len + (size_t)w;
		}
	}
	const char *now = fhir_get_string(p, "newVersion");
	fprintf(out, "\n%s (version %s -> %s): %.0f compared, %.0f changed",
	        fhir_get_string(p, "policy"), old_versions[0] ? old_versions : "-",
	        now ? now : "not in the new set", number(p, "compared"), number(p, "changed"));
	if (number(p, "newlyTriggered") > 0 || number(p, "noLongerTriggered") > 0)
		fprintf(out, " (%.0f newly triggered, %.0f no longer triggered)",
		        number(p, "newlyTriggered"), number(p, "noLongerTriggered"));
	fputc('\n', out);
	int wo = (int)strlen("old decision"), wn = (int)strlen("new decision");
	cJSON_ArrayForEach(t, fhir_get(p, "transitions"))
	{
		int a = (int)strlen(decision_text(fhir_get(t, "old")));
		int b = (int)strlen(decision_text(fhir_get(t, "new")));
		wo = a > wo ? a : wo;
		wn = b > wn ? b : wn;
	}
	fprintf(out, "  %-*s    %-*s  %7s  %s\n", wo, "old decision", wn, "new decision", "count",
	        "hook instances");
	cJSON_ArrayForEach(t, fhir_get(p, "transitions"))
	{
		fprintf(out, "  %-*s -> %-*s  %7.0f  ", wo, decision_text(fhir_get(t, "old")), wn,
		        decision_text(fhir_get(t, "new")), number(t, "count"));
		if (!cJSON_IsTrue(fhir_get(t, "changed")))
			fputs("(unchanged)", out);
		int first = 1;
		cJSON_ArrayForEach(v, fhir_get(t, "hookInstances"))
		{
			fprintf(out, "%s%s", first ? "" : ", ", v->valuestring);
			first = 0;
		}
		fputc('\n', out);
	}
	if (cJSON_GetArraySize(fhir_get(p, "criteria")) == 0)
		return;
	fputs("  criteria whose state changed:\n", out);
	cJSON_ArrayForEach(c, fhir_get(p, "criteria"))
	{
		fprintf(out, "    %-8s %s -> %s  %.0f\n", fhir_get_string(c, "criterion"),
		        state_text(fhir_get(c, "old")), state_text(fhir_get(c, "new")),
		        number(c, "count"));
	}
}

static void print_requests(const cJSON *list, double total, const char *title, FILE *out)
{
	const cJSON *e;
	if (total <= 0)
		return;
	fprintf(out, "\n%s: %.0f request%s", title, total, total == 1 ? "" : "s");
	if (cJSON_GetArraySize(list) < total)
		fprintf(out, " (the first %d)", cJSON_GetArraySize(list));
	fputs("\n", out);
	cJSON_ArrayForEach(e, list)
	{
		fprintf(out, "  %s received %s: %s\n", fhir_get_string(e, "hookInstance"),
		        fhir_get_string(e, "receivedAt"), fhir_get_string(e, "reason"));
	}
}

void cds__impact_print(const cJSON *report, FILE *out)
{
	const cJSON *requests = fhir_get(report, "requests");
	const cJSON *decisions = fhir_get(report, "decisions");
	const cJSON *p;
	const char *from = fhir_get_string(report, "from"), *to = fhir_get_string(report, "to");
	double replayed = number(requests, "replayed");
	double not_replayable = number(requests, "notReplayable");
	double unreadable = number(requests, "unreadable");
	fprintf(out, "Policy impact of %s (deployment '%s') on the store %s\n",
	        fhir_get_string(report, "policySet"), fhir_get_string(report, "deployment"),
	        fhir_get_string(report, "store"));
	fprintf(out,
	        "Requests received %s%s%s%s%s: %.0f with a stored body: %.0f replayed, %.0f not "
	        "replayable, %.0f unreadable",
	        from || to ? "" : "at any time", from ? "from " : "", from ? from : "",
	        to ? (from ? " to " : "until ") : "", to ? to : "",
	        replayed + not_replayable + unreadable, replayed, not_replayable, unreadable);
	if (number(requests, "withoutBody") > 0)
		fprintf(out, "; %.0f without a stored body (not kept, or purged)",
		        number(requests, "withoutBody"));
	fputc('\n', out);
	if (number(requests, "otherDeployment") > 0)
		fprintf(out,
		        "Note: %.0f of them came from another deployment than '%s'; their "
		        "decisions are compared all the same\n",
		        number(requests, "otherDeployment"), fhir_get_string(report, "deployment"));
	if (number(requests, "dataUnavailable") > 0)
		fprintf(out,
		        "%.0f replayed request%s answered 412 (data a policy requires is "
		        "unavailable)\n",
		        number(requests, "dataUnavailable"),
		        number(requests, "dataUnavailable") == 1 ? " is" : "s are");
	fprintf(out,
	        "Decisions compared: %.0f; changed: %.0f (%.0f newly triggered, %.0f no "
	        "longer triggered)\n",
	        number(decisions, "compared"), number(decisions, "changed"),
	        number(decisions, "newlyTriggered"), number(decisions, "noLongerTriggered"));
	cJSON_ArrayForEach(p, fhir_get(report, "policies"))
	{
		print_policy(p, out);
	}
	print_requests(fhir_get(report, "notReplayable"), not_replayable,
	               "Not replayable (data from fhirServer)", out);
	print_requests(fhir_get(report, "unreadable"), unreadable, "Unreadable", out);
}

/* ---- the command --------------------------------------------------------------------------- */

static void print_load_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	size_t *count = ctx;
	(*count)++;
	fprintf(stderr, "%s%s%s: %s\n", file ? file : "(configuration)",
	        pointer && pointer[0] ? "#" : "", pointer ? pointer : "", message);
}

/* Takes option argv[*k]'s value (--name VALUE or --name=VALUE) into *value: 1 when argv[*k]
 * is `name`, 0 when not, -1 when the value is missing. */
static int option(int argc, char **argv, int *k, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *arg = argv[*k];
	if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
		return 0;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return 1;
	}
	if (*k + 1 >= argc)
		return -1;
	*value = argv[++*k];
	return 1;
}

int cds__impact_command(int argc, char **argv)
{
	static const char *const names[] = {"--store", "--policies", "--config",  "--from",
	                                    "--to",    "--format",   "--examples"};
	const char *values[7] = {0};
	int fail_on_flip = 0;
	for (int k = 1; k < argc; k++) {
		const char *arg = argv[k];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_impact, stdout);
			return 0;
		}
		if (strcmp(arg, "--fail-on-flip") == 0) {
			fail_on_flip = 1;
			continue;
		}
		int got = 0;
		for (size_t i = 0; i < 7 && !got; i++) {
			got = option(argc, argv, &k, names[i], &values[i]);
			if (got < 0)
				return usage("option '%s' needs a value", names[i]);
		}
		if (!got)
			return arg[0] == '-' ? usage("unknown option '%s'", arg)
			                     : usage("unexpected argument '%s'", arg);
	}
	struct cds__impact_options o = {0};
	o.store_url = values[0];
	o.policies_dir = values[1];
	o.config_file = values[2];
	o.examples = CDS__IMPACT_DEFAULT_EXAMPLES;
	if (!o.store_url)
		return usage("%s", "--store URL is required (sqlite:PATH or postgresql://...)");
	if (!o.policies_dir)
		return usage("%s", "--policies NEWDIR is required (the proposed policy set)");
	const char *format = values[5] ? values[5] : "text";
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
		return usage("--format '%s': expected text or json", format);
	if (values[6]) {
		char *end = NULL;
		errno = 0;
		unsigned long n = strtoul(values[6], &end, 10);
		if (errno || end == values[6] || *end || values[6][0] == '-' ||
		    n > CDS__IMPACT_MAX_EXAMPLES)
			return usage("--examples '%s': expected a number 0-%d", values[6],
			             CDS__IMPACT_MAX_EXAMPLES);
		o.examples = n;
	}
	char from[40], to[40];
	struct fhir_error err = {{0}, {0}};
	if (values[3]) {
		if (cds__report_parse_bound(values[3], from, sizeof from, &err) != FHIR_OK)
			return usage("--from %s", err.message);
		o.from = from;
	}
	if (values[4]) {
		if (cds__report_parse_bound(values[4], to, sizeof to, &err) != FHIR_OK)
			return usage("--to %s", err.message);
		o.to = to;
	}
	if (o.from && o.to && strcmp(o.from, o.to) >= 0)
		return usage("--from %s is not before --to %s", o.from, o.to);

	size_t errors = 0;
	struct engine_reporter rep = {print_load_error, &errors};
	cJSON *report = NULL;
	int rc = cds__impact_run(&o, &rep, &report, &err);
	if (rc == FHIR_ERR_INVALID) {
		fprintf(stderr, "cds-commissioning impact: the policy set %s has %zu error%s\n",
		        o.policies_dir, errors, errors == 1 ? "" : "s");
		return EXIT_ERROR;
	}
	if (rc != FHIR_OK) {
		fprintf(stderr, "cds-commissioning impact: %s\n", err.message);
		return EXIT_ERROR;
	}
	if (strcmp(format, "json") == 0) {
		char *text = cds__must(cJSON_Print(report));
		printf("%s\n", text);
		free(text);
	} else {
		cds__impact_print(report, stdout);
	}
	fflush(stdout);
	size_t changed = cds__impact_changed(report);
	cJSON_Delete(report);
	return fail_on_flip && changed > 0 ? EXIT_FLIPS : 0;
}
