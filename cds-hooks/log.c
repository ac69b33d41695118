/* log.c — the decision log: one JSON object per line, written whole under a mutex so request
 * threads never interleave, to stderr, a file, or nowhere (cds_app_options.decision_log).
 * Callers must only pass records without tokens; this file never adds request data itself. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cds_internal.h"

void cds__log_record(struct cds_app *app, const cJSON *record)
{
	if (!app->decision_log || !record)
		return;
	char *line = cds__must(cJSON_PrintUnformatted(record));
	pthread_mutex_lock(&app->log_mutex);
	flockfile(app->decision_log); /* stderr is shared with the access log: keep lines whole */
	fputs(line, app->decision_log);
	fputc('\n', app->decision_log);
	fflush(app->decision_log);
	funlockfile(app->decision_log);
	pthread_mutex_unlock(&app->log_mutex);
	free(line);
}

void cds__log_line(struct cds_app *app, char *line)
{
	if (app->decision_log && line) {
		pthread_mutex_lock(&app->log_mutex);
		flockfile(app->decision_log);
		fputs(line, app->decision_log);
		fputc('\n', app->decision_log);
		fflush(app->decision_log);
		funlockfile(app->decision_log);
		pthread_mutex_unlock(&app->log_mutex);
	}
	free(line);
}

void cds__timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         ts.tv_nsec / 1000000L);
}
