/* log.c — the decision log: one JSON object per line, to stderr, a file, or nowhere
 * (cds_app_options.decision_log). Request threads only enqueue a line on a bounded queue; one
 * writer thread takes every queued line at once and writes the batch with one write and one
 * flush, under the FILE's lock so that the access log's lines on a shared stderr never interleave
 * with decision lines. After each batch the writer lingers LOG_LINGER_NS for more lines before
 * taking the next, and a push wakes it only when it waits idle (or the queue is half full), so
 * under load a line costs no wake-up of its own; a lone line is written at once. A full queue
 * makes the enqueuing thread wait (records are never dropped); closing the log drains the queue
 * before it returns. Callers must only pass records without tokens; this file never adds
 * request data itself. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cds_internal.h"

/* How long the writer waits after a batch for the lines that follow it (they are written together
 * at its end): at most this delay for a line, one wake-up per linger instead of one per line. */
#define LOG_LINGER_NS 2000000L

struct cds__log {
	FILE *out;
	int owned; /* 1: fclose at cds__log_close */
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full, drained; /* not_empty: CLOCK_MONOTONIC */
	char **ring; /* `capacity` slots; NEW lines from head, `count` of them */
	size_t capacity, head, count;
	int closing, paused, writing; /* under lock; writing: a batch is out of the queue */
	int idle; /* under lock: the writer waits for a first line (a push wakes it); else it is
	             writing or lingering and takes new lines with its next batch */
	struct cds__log_stats stats; /* under lock */
	pthread_t writer;
	char *batch; /* the writer's buffer (writer thread only) */
	size_t batch_capacity;
};

/* Writes `n` lines (NEW, taken) as one buffer: one fwrite and one fflush under the FILE's lock
 * (an unbuffered stderr then gets a single write()). Returns 0, or -1 when the write or the
 * flush failed (disk full, closed pipe). Writer thread only. */
static int write_batch(struct cds__log *log, char **lines, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(lines[i]) + 1;
	if (total > log->batch_capacity) {
		free(log->batch);
		log->batch_capacity = total < 65536 ? 65536 : total;
		log->batch = cds__must(malloc(log->batch_capacity));
	}
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);
		memcpy(log->batch + at, lines[i], len);
		at += len;
		log->batch[at++] = '\n';
		free(lines[i]);
	}
	flockfile(log->out); /* stderr is shared with the access log: keep lines whole */
	int ok = fwrite(log->batch, 1, at, log->out) == at;
	ok = fflush(log->out) == 0 && ok;
	clearerr(log->out); /* the next batch is judged on its own */
	funlockfile(log->out);
	return ok ? 0 : -1;
}

static void *writer_main(void *arg)
{
	struct cds__log *log = arg;
	char **lines = cds__must(calloc(log->capacity, sizeof *lines));
	pthread_mutex_lock(&log->lock);
	for (;;) {
		while ((!log->count || log->paused) && !log->closing) {
			log->idle = 1;
			pthread_cond_wait(&log->not_empty, &log->lock);
		}
		log->idle = 0;
		if (!log->count)
			break; /* closing (which unpauses) and drained */
		size_t n = 0;
		while (log->count) { /* take everything queued */
			lines[n++] = log->ring[log->head];
			log->ring[log->head] = NULL;
			log->head = (log->head + 1) % log->capacity;
			log->count--;
		}
		log->writing = 1;
		log->stats.batches++;
		log->stats.written += n;
		pthread_cond_broadcast(&log->not_full);
		pthread_mutex_unlock(&log->lock);
		int failed = write_batch(log, lines, n) != 0;
		pthread_mutex_lock(&log->lock);
		log->stats.failed += failed ? n : 0;
		log->stats.failing = failed;
		log->writing = 0;
		pthread_cond_broadcast(&log->drained);
		if (!log->closing && !log->paused) { /* linger; close, flush, pause end it early */
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += LOG_LINGER_NS;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&log->not_empty, &log->lock, &until);
		}
	}
	pthread_mutex_unlock(&log->lock);
	free(lines);
	return NULL;
}

struct cds__log *cds__log_open(FILE *out, int owned, size_t capacity)
{
	struct cds__log *log = cds__must(calloc(1, sizeof *log));
	log->out = out;
	log->owned = owned;
	log->capacity = capacity ? capacity : 1;
	log->ring = cds__must(calloc(log->capacity, sizeof *log->ring));
	log->stats.capacity = log->capacity;
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC); /* the linger's timed wait */
	pthread_mutex_init(&log->lock, NULL);
	pthread_cond_init(&log->not_empty, &monotonic);
	pthread_cond_init(&log->not_full, NULL);
	pthread_cond_init(&log->drained, NULL);
	pthread_condattr_destroy(&monotonic);
	if (pthread_create(&log->writer, NULL, &writer_main, log) != 0)
		cds__must(NULL); /* no thread: treated like out of memory */
	return log;
}

void cds__log_close(struct cds__log *log)
{
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	log->closing = 1;
	log->paused = 0; /* a paused writer still drains at close */
	pthread_cond_broadcast(&log->not_empty);
	pthread_mutex_unlock(&log->lock);
	pthread_join(log->writer, NULL);
	for (size_t i = 0; i < log->capacity; i++) /* empty after the drain; defensive */
		free(log->ring[i]);
	free(log->ring);
	free(log->batch);
	pthread_mutex_destroy(&log->lock);
	pthread_cond_destroy(&log->not_empty);
	pthread_cond_destroy(&log->not_full);
	pthread_cond_destroy(&log->drained);
	if (log->owned)
		fclose(log->out);
	else
		fflush(log->out);
	free(log);
}

void cds__log_push(struct cds__log *log, char *line)
{
	if (!log || !line) {
		free(line);
		return;
	}
	pthread_mutex_lock(&log->lock);
	if (log->count == log->capacity && !log->closing) {
		log->stats.waits++; /* backpressure: this request waits for the writer */
		while (log->count == log->capacity && !log->closing)
			pthread_cond_wait(&log->not_full, &log->lock);
	}
	if (log->closing) { /* pushed during close (a bug in the caller): written, not lost */
		pthread_mutex_unlock(&log->lock);
		flockfile(log->out);
		fputs(line, log->out);
		fputc('\n', log->out);
		fflush(log->out);
		funlockfile(log->out);
		free(line);
		return;
	}
	log->ring[(log->head + log->count) % log->capacity] = line;
	log->count++;
	if (log->count > log->stats.high_water)
		log->stats.high_water = log->count;
	if (log->idle || log->count >= log->capacity / 2)
		pthread_cond_signal(&log->not_empty);
	pthread_mutex_unlock(&log->lock);
}

void cds__log_flush(struct cds__log *log)
{
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	pthread_cond_signal(&log->not_empty); /* a lingering writer writes now */
	while ((log->count && !log->paused) || log->writing)
		pthread_cond_wait(&log->drained, &log->lock);
	pthread_mutex_unlock(&log->lock);
}

void cds__log_pause(struct cds__log *log, int paused)
{
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	log->paused = paused;
	pthread_cond_broadcast(&log->not_empty);
	pthread_cond_broadcast(&log->drained);
	pthread_mutex_unlock(&log->lock);
}

void cds__log_stats(struct cds__log *log, struct cds__log_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	*out = log->stats;
	out->queued = log->count;
	pthread_mutex_unlock(&log->lock);
}

int cds__log_enabled(const struct cds_app *app)
{
	return app && app->log;
}

void cds__log_line(struct cds_app *app, char *line)
{
	if (!app || !app->log) {
		free(line);
		return;
	}
	cds__log_push(app->log, line);
}

void cds__log_record(struct cds_app *app, const cJSON *record)
{
	if (!app || !app->log || !record)
		return;
	cds__log_push(app->log, cds__must(cJSON_PrintUnformatted(record)));
}

void cds__timestamp(char *buf, size_t size)
{
	/* Each thread keeps its last second written out: gmtime_r (which takes glibc's time-zone
	 * lock) and the date's formatting run once a second per thread, not once a call. */
	static _Thread_local time_t cached_second = (time_t)-1;
	static _Thread_local char cached[32]; /* "2026-11-23T08:53:10" */
	static _Thread_local size_t cached_length;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_second) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		int n = snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d",
		                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		                 tm.tm_min, tm.tm_sec);
		cached_length = n > 0 && (size_t)n < sizeof cached ? (size_t)n : 0;
		cached_second = cached_length ? ts.tv_sec : (time_t)-1;
	}
	long ms = ts.tv_nsec / 1000000L;
	if (!cached_length || size < cached_length + 6) { /* "[.mmmZ" + NUL */
		snprintf(buf, size, "%s.%03ldZ", cached, ms);
		return;
	}
	memcpy(buf, cached, cached_length);
	char *p = buf + cached_length;
	p[0] = '.';
	p[1] = (char)('0' + ms / 100);
	p[2] = (char)('0' + ms / 10 % 10);
	p[3] = (char)('0' + ms % 10);
	p[4] = 'Z';
	p[5] = '\0';
}
