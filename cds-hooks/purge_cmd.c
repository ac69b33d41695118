/* purge_cmd.c — `cds-commissioning purge --store URL [--now ISO-8601]` (issue 13 item 3): removes
 * the request bodies whose retention period has ended, as the service does at start and hourly,
 * for a deployment that wants it from cron or before a backup. Prints how many. */
#define _DEFAULT_SOURCE /* timegm */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cds_internal.h"
#include "store/rows.h"

static const char usage[] =
    "Usage: cds-commissioning purge --store URL [--now ISO-8601]\n"
    "\n"
    "Removes from the store every request body kept past its retention period (serve\n"
    "--keep-request-bodies DAYS), as serve does at start and hourly, and prints how many.\n"
    "The requests' other columns and their decisions stay.\n"
    "\n"
    "  --store URL            sqlite:PATH or postgresql://...\n"
    "  --now ISO-8601         purge as of this instant, with a time zone (default: now)\n"
    "  --help                 show this help\n"
    "\n"
    "Exit status: 0 when purged, 1 if the store cannot be opened or written, 2 for bad\n"
    "arguments.\n";

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "cds-commissioning purge: %s%s\nTry `cds-commissioning purge --help`.\n",
	        what, arg ? arg : "");
	return 2;
}

/* Unix time of a FHIR dateTime with seconds and a zone; -1 when it has not. */
static time_t unix_time(const struct fhir_datetime *dt)
{
	if (dt->precision < FHIR_PREC_SECOND || !dt->has_tz)
		return -1;
	struct tm tm = {0};
	tm.tm_year = dt->year - 1900;
	tm.tm_mon = dt->month - 1;
	tm.tm_mday = dt->day;
	tm.tm_hour = dt->hour;
	tm.tm_min = dt->minute;
	tm.tm_sec = dt->second;
	return timegm(&tm) - (time_t)dt->tz_minutes * 60;
}

int cds__purge_command(int argc, char **argv)
{
	const char *url = NULL, *now_text = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		const char **slot = strcmp(argv[i], "--store") == 0 ? &url
		                    : strcmp(argv[i], "--now") == 0 ? &now_text
		                                                    : NULL;
		if (!slot)
			return usage_error("unexpected argument ", argv[i]);
		if (i + 1 >= argc)
			return usage_error("a value is needed after ", argv[i]);
		*slot = argv[++i];
	}
	if (!url)
		return usage_error("--store URL is required", NULL);
	time_t now = time(NULL);
	if (now_text) {
		struct fhir_datetime dt;
		struct fhir_error err = {{0}, {0}};
		if (fhir_datetime_parse(now_text, &dt, &err) != FHIR_OK ||
		    (now = unix_time(&dt)) == (time_t)-1)
			return usage_error("--now needs a date-time with seconds and a zone, not ",
			                   now_text);
	}
	struct cds__store *store = NULL;
	struct fhir_error err = {{0}, {0}};
	unsigned long count = 0;
	int rc = cds__store_open(url, &store, &err);
	if (rc == FHIR_OK)
		rc = cds__store_purge(store, now, &count, &err);
	cds__store_close(store);
	if (rc != FHIR_OK) {
		fprintf(stderr, "cds-commissioning purge: %s\n", err.message);
		return rc == FHIR_ERR_INVALID ? 2 : 1;
	}
	printf("purged %lu expired request bod%s\n", count, count == 1 ? "y" : "ies");
	return 0;
}
