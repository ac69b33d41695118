/* test_cmd.c — `cds-commissioning test [--policies DIR] [--no-coverage] CASE|FOLDER...`: runs
 * decision cases in the tests/vectors format (like `opa test`), prints PASS/FAIL per case with
 * the fields that differ (expected vs actual), a summary, and the coverage per policy of every
 * criterion state and outcome. It parses arguments and prints; the running and comparing is
 * vectors.c, all decisions are cds_handle's and the engine's. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vectors.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

#define MAX_PATHS 256 /* CASE|FOLDER arguments */

static const char usage_test[] =
    "Usage: cds-commissioning test [--policies DIR] [--no-coverage] CASE|FOLDER...\n"
    "\n"
    "Runs decision cases and compares what the service answers with what each case expects.\n"
    "A case is a folder holding request.json (a CDS Hooks request body) and expected.json\n"
    "(\"now\", \"status\", \"cards\" with indicator, policy, order,\n"
    "decision, recommendations, criteria states and the number of suggestions, \"decisions\",\n"
    "\"systemActions\", and \"missing\" for a 412), and optionally deployment.json, which\n"
    "replaces the deployment for that case. A FOLDER that is not a case is searched for case\n"
    "folders (sorted by name). At least one CASE or FOLDER is required, e.g. tests/vectors.\n"
    "\n"
    "Prints `PASS name` or `FAIL name` per case, under a failing case one line per field that\n"
    "differs (`cards[0].criteria.B: expected met, actual unknown`), then `N passed, M failed`\n"
    "and, from the decision-log records of every case run, the coverage per policy: the states\n"
    "(met, not-met, unknown) each criterion reached, the outcomes that held, and what never did.\n"
    "\n"
    "  --policies DIR   load every *.json below DIR instead of the embedded configuration\n"
    "  --no-coverage    do not print the coverage\n"
    "  --help           show this help\n"
    "\n"
    "Exit status: 0 when every case passed, 1 when any failed or the configuration does not\n"
    "load, 2 for bad arguments (unknown option, no CASE, a path that is not a folder, or\n"
    "folders holding no case).\n";

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
	va_list ap;

	fputs("cds-commissioning test: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry `cds-commissioning test --help`.\n", stderr);
	return EXIT_USAGE;
}

static void print_load_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	size_t *count = ctx;

	(*count)++;
	fprintf(stderr, "%s%s%s: %s\n", file ? file : "(configuration)",
	        pointer && pointer[0] ? "#" : "", pointer ? pointer : "", message);
}

int cds__test_command(int argc, char **argv)
{
	const char *policies = NULL;
	const char *paths[MAX_PATHS];
	size_t path_count = 0, i, errors = 0;
	int coverage = 1, rc = EXIT_FAILED, passed = 0, failed = 0;
	struct cds__vector_list cases = {0};
	struct cds_app *app = NULL;
	struct cds__coverage *cov = NULL;
	struct fhir_error err = {{0}, {0}};
	struct engine_reporter rep = {print_load_error, &errors};
	struct cds_app_options opts = {0};

	for (int k = 1; k < argc; k++) {
		const char *arg = argv[k];

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_test, stdout);
			return 0;
		}
		if (strcmp(arg, "--no-coverage") == 0) {
			coverage = 0;
		} else if (strcmp(arg, "--policies") == 0) {
			if (k + 1 == argc)
				return usage("option '%s' needs a value", arg);
			policies = argv[++k];
		} else if (strncmp(arg, "--policies=", 11) == 0) {
			policies = arg + 11;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return usage("unknown option '%s'", arg);
		} else if (path_count == MAX_PATHS) {
			return usage("more than %d CASE|FOLDER arguments", MAX_PATHS);
		} else {
			paths[path_count++] = arg;
		}
	}
	if (path_count == 0)
		return usage("%s", "at least one CASE or FOLDER is required (e.g. tests/vectors)");
	for (i = 0; i < path_count; i++) {
		size_t before = cases.count;

		if (cds__vectors_find(&cases, paths[i], &err) != FHIR_OK) {
			rc = usage("%s: %s", err.where, err.message);
			goto out;
		}
		if (cases.count == before) {
			rc = usage("%s: no case folder (request.json, expected.json) in it",
			           paths[i]);
			goto out;
		}
	}

	opts.policies_dir = policies;
	opts.decision_log = "-";
	if (cds_app_new(&opts, &rep, &app) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning test: the configuration has %zu error%s\n",
		        errors, errors == 1 ? "" : "s");
		goto out;
	}
	cov = cds__coverage_new(policies);
	for (i = 0; i < cases.count; i++) {
		struct cds__vector v = {0};

		if (cds__vector_run(app, policies, cases.dirs[i], &v)) {
			passed++;
			printf("PASS %s\n", cases.names[i]);
		} else {
			failed++;
			printf("FAIL %s\n%s", cases.names[i], v.diff ? v.diff : "");
		}
		cds__coverage_add(cov, v.log);
		cds__vector_clear(&v);
		fflush(stdout);
	}
	printf("\n%d passed, %d failed\n", passed, failed);
	if (coverage) {
		printf("\nCoverage per policy (decision-log records of the %zu case%s run):\n",
		       cases.count, cases.count == 1 ? "" : "s");
		cds__coverage_print(cov, stdout);
	}
	rc = failed == 0 ? 0 : EXIT_FAILED;
out:
	cds__coverage_free(cov);
	cds_app_free(app);
	cds__vectors_list_clear(&cases);
	return rc;
}
