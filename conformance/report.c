/* report.c — records assertion outcomes and prints them: text (one line per assertion,
 * `PASS|FAIL|SKIP <id> <severity> <reason>`, streamed; CRD extras in their own section with their
 * own tally; a closing `N passed, N failed[, N skipped]`), one JSON document at the end, or one
 * JUnit XML document at the end (junit.c).
 * It decides the exit status (must-level failures) and nothing else. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static enum conf_format report_format;
static FILE *report_out;
static cJSON *report_core;   /* array of assertion objects */
static cJSON *report_crd;    /* array of CRD assertion objects */
static cJSON *report_timing; /* array of timing objects */
static cJSON *report_notes;  /* array of strings */

static const char *const outcome_names[] = {"PASS", "FAIL", "SKIP"};

void conf_report_open(enum conf_format format, FILE *out)
{
	report_format = format;
	report_out = out;
	report_core = cJSON_CreateArray();
	report_crd = cJSON_CreateArray();
	report_timing = cJSON_CreateArray();
	report_notes = cJSON_CreateArray();
}

/* Keeps reasons on one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static void print_line(const cJSON *a)
{
	fprintf(report_out, "%s %s %s %s\n", conf_str(a, "outcome"), conf_str(a, "id"),
	        conf_str(a, "severity"), conf_str(a, "reason"));
	fflush(report_out);
}

void conf_report(const char *id, const char *severity, enum conf_outcome outcome, const char *fmt,
                 ...)
{
	char reason[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	one_line(reason);
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "id", id);
	cJSON_AddStringToObject(a, "severity", severity);
	cJSON_AddStringToObject(a, "outcome", outcome_names[outcome]);
	cJSON_AddStringToObject(a, "reason", reason);
	int crd = strcmp(severity, "CRD") == 0;
	cJSON_AddItemToArray(crd ? report_crd : report_core, a);
	if (report_format == CONF_TEXT && !crd)
		print_line(a);
}

void conf_report_strict(int strict, const char *id, enum conf_outcome outcome, const char *fmt, ...)
{
	char reason[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (strict)
		conf_report(id, "S", outcome, "%s", reason);
	else if (outcome == CONF_FAIL)
		conf_report_note("warning: FAIL %s S %s (an assertion with --strict)", id, reason);
}

void conf_report_timing(const char *service, const char *hook, size_t runs, double median_ms,
                        double p90_ms)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "service", service);
	cJSON_AddStringToObject(t, "hook", hook);
	cJSON_AddNumberToObject(t, "runs", (double)runs);
	cJSON_AddNumberToObject(t, "medianMs", median_ms);
	cJSON_AddNumberToObject(t, "p90Ms", p90_ms);
	cJSON_AddItemToArray(report_timing, t);
	if (report_format == CONF_TEXT)
		fprintf(report_out, "# timing %s (%s): %zu runs, median %.1f ms, p90 %.1f ms\n",
		        service, hook, runs, median_ms, p90_ms);
}

void conf_report_note(const char *fmt, ...)
{
	char note[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(note, sizeof note, fmt, ap);
	va_end(ap);
	one_line(note);
	cJSON_AddItemToArray(report_notes, cJSON_CreateString(note));
	if (report_format == CONF_TEXT) {
		fprintf(report_out, "# %s\n", note);
		fflush(report_out);
	}
}

/* Counts outcomes of list; *must_failed set when a failing entry has severity sev_fail. */
static void tally(const cJSON *list, size_t n[3], int *must_failed, const char *sev_fail)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, list)
	{
		const char *o = conf_str(a, "outcome");
		for (int i = 0; i < 3; i++)
			if (strcmp(o, outcome_names[i]) == 0)
				n[i]++;
		if (strcmp(o, "FAIL") == 0 && strcmp(conf_str(a, "severity"), sev_fail) == 0)
			*must_failed = 1;
	}
}

int conf_report_close(const char *base_url, int crd_counts)
{
	size_t core[3] = {0}, crd[3] = {0};
	int must_failed = 0, crd_failed = 0;
	tally(report_core, core, &must_failed, "M");
	tally(report_crd, crd, &crd_failed, "CRD");
	if (report_format == CONF_TEXT) {
		if (cJSON_GetArraySize(report_crd) > 0) {
			fprintf(report_out, "# CRD mode: Da Vinci CRD extras, counted apart\n");
			const cJSON *a;
			cJSON_ArrayForEach(a, report_crd) print_line(a);
			fprintf(report_out, "CRD: %zu passed, %zu failed%s", crd[0], crd[1],
			        crd[2] ? "" : "\n");
			if (crd[2])
				fprintf(report_out, ", %zu skipped\n", crd[2]);
		}
		fprintf(report_out, "%zu passed, %zu failed", core[0], core[1]);
		if (core[2])
			fprintf(report_out, ", %zu skipped", core[2]);
		fprintf(report_out, "\n");
	} else if (report_format == CONF_JUNIT) {
		conf_junit_write(report_out, base_url, report_core, report_crd, report_timing,
		                 report_notes);
	} else {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "baseUrl", base_url ? base_url : "");
		cJSON_AddItemToObject(root, "assertions", report_core);
		cJSON_AddItemToObject(root, "crd", report_crd);
		cJSON_AddItemToObject(root, "timing", report_timing);
		cJSON_AddItemToObject(root, "notes", report_notes);
		report_core = report_crd = report_timing = report_notes = NULL;
		cJSON *sum = cJSON_AddObjectToObject(root, "summary");
		cJSON_AddNumberToObject(sum, "passed", (double)core[0]);
		cJSON_AddNumberToObject(sum, "failed", (double)core[1]);
		cJSON_AddNumberToObject(sum, "skipped", (double)core[2]);
		cJSON_AddBoolToObject(sum, "mustFailed", must_failed);
		cJSON *cs = cJSON_AddObjectToObject(root, "crdSummary");
		cJSON_AddNumberToObject(cs, "passed", (double)crd[0]);
		cJSON_AddNumberToObject(cs, "failed", (double)crd[1]);
		cJSON_AddNumberToObject(cs, "skipped", (double)crd[2]);
		char *text = cJSON_Print(root);
		fprintf(report_out, "%s\n", text);
		free(text);
		cJSON_Delete(root);
	}
	fflush(report_out);
	cJSON_Delete(report_core);
	cJSON_Delete(report_crd);
	cJSON_Delete(report_timing);
	cJSON_Delete(report_notes);
	report_core = report_crd = report_timing = report_notes = NULL;
	return must_failed || (crd_counts && crd_failed) ? 1 : 0;
}

void conf_find(struct conf_findings *f, const char *fmt, ...)
{
	f->count++;
	if (f->count > CONF_MAX_LIST)
		return;
	size_t used = strlen(f->text);
	if (used + 4 >= sizeof f->text)
		return;
	if (used) {
		memcpy(f->text + used, "; ", 3);
		used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->text + used, sizeof f->text - used, fmt, ap);
	va_end(ap);
}

void conf_verdict(const char *id, const char *severity, const struct conf_findings *f,
                  const char *what)
{
	if (!f->count)
		conf_report(id, severity, CONF_PASS, "%s", what);
	else
		conf_report(id, severity, CONF_FAIL, "%zu problem%s: %s%s", f->count,
		            f->count == 1 ? "" : "s", f->text,
		            f->count > CONF_MAX_LIST ? "; ..." : "");
}
