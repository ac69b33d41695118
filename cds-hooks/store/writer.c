/* writer.c — the group-commit writer of writer.h: a queue of jobs under one lock, one thread
 * that commits whatever is queued as one transaction and then tells each job's caller (its done
 * callback), and a timer thread that tells the callers whose commit takes longer than
 * wait_seconds. cds__store_writer_commit waits for the callback on a condition variable. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rows.h"
#include "writer.h"

const double cds__store_latency_bounds[CDS__STORE_LATENCY_BUCKETS - 1] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

#define PROBE_SECONDS 1 /* while failing: one probe write a second */

/* One caller's job (NEW), the writer's from submit to the end of its transaction (then freed).
 * Its caller is told once (done_fn): by the writer after the transaction, or by the timer when
 * wait_seconds pass first (then the writer only releases it later). */
struct job {
	cds__store_fn fn;
	void *ctx;
	void (*release)(void *ctx);
	cds__store_done_fn done_fn;
	void *done_ctx;
	struct job *next;
	struct timespec deadline; /* CLOCK_MONOTONIC: when the timer answers for the store */
	int told;                 /* under lock: done_fn has been (or is being) called */
	int notify;               /* the writer's, after its transaction: it calls done_fn */
	int rc;
	struct fhir_error err;
};

struct cds__store_writer {
	struct cds__store *store;
	unsigned long purge_seconds, wait_seconds;
	FILE *log;
	pthread_mutex_t lock;
	pthread_cond_t work, finished;
	struct job *head, *tail; /* the queue, under lock */
	struct job *running;     /* the batch being committed, under lock (for the timer) */
	size_t queued;
	int stopping, paused;
	struct cds__store_writer_stats stats; /* under lock */
	pthread_t thread;
	/* The timer (wait_seconds > 0): answers jobs whose commit takes too long. */
	pthread_cond_t timer_wake; /* CLOCK_MONOTONIC */
	pthread_t timer;
	int timer_started, timer_stopping, timer_idle; /* under lock */
};

/* The batch transaction: each job's statements in queue order. */
static int run_batch(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	for (struct job *j = ctx; j; j = j->next) {
		int rc = j->fn(conn, j->ctx, err);
		if (rc != FHIR_OK)
			return rc;
	}
	return FHIR_OK;
}

static int run_probe(struct cds__store_conn *conn, void *ctx, struct fhir_error *err)
{
	(void)ctx;
	char stamp[40];
	cds__store_timestamp(time(NULL), 0, stamp, sizeof stamp);
	const char *params[] = {stamp};
	return cds__store_exec(conn, "UPDATE writer_probe SET written_at = $1 WHERE id = 1", params,
	                       1, err);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Records one write's outcome (under lock). */
static void note(struct cds__store_writer *w, int rc, const struct fhir_error *err)
{
	if (w->log && (rc != FHIR_OK) != w->stats.failing)
		fprintf(w->log,
		        rc != FHIR_OK ? "store: writing failed: %s\n"
		                      : "store: writing works again%s\n",
		        rc != FHIR_OK ? err->message : "");
	w->stats.failing = rc != FHIR_OK;
	if (rc != FHIR_OK)
		snprintf(w->stats.error, sizeof w->stats.error, "%.255s",
		         err->message[0] ? err->message : "the store cannot be written");
	else
		w->stats.error[0] = '\0';
}

/* Commits `batch` (taken off the queue; n jobs), retrying each job alone when the batch fails
 * (a refused job, CDS__STORE_REFUSED, fails its batch too: the others then commit alone).
 * Called without the lock; takes it to publish the outcome. */
static void commit(struct cds__store_writer *w, struct job *batch, size_t n)
{
	struct fhir_error err = {{0}, {0}};
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int rc = cds__store_run(w->store, 1, run_batch, batch, &err);
	double took = seconds_since(&start);
	if (rc == FHIR_OK || n == 1) {
		for (struct job *j = batch; j; j = j->next) {
			j->rc = rc;
			j->err = err;
		}
	} else { /* one bad job must not fail the others: each alone */
		for (struct job *j = batch; j; j = j->next) {
			struct job *next = j->next;
			j->next = NULL;
			memset(&j->err, 0, sizeof j->err);
			j->rc = cds__store_run(w->store, 1, run_batch, j, &j->err);
			j->next = next;
		}
	}
	pthread_mutex_lock(&w->lock);
	int last_rc = FHIR_OK, committed = 0;
	const struct fhir_error *last_err = &err;
	for (struct job *j = batch; j; j = j->next) {
		if (j->rc == FHIR_OK) {
			w->stats.writes++;
			committed = 1;
			if (rc != FHIR_OK)
				w->stats.batches++; /* a job retried alone: its own transaction */
		} else if (j->rc == CDS__STORE_REFUSED) {
			w->stats.refused++; /* the data said no: the store works */
			committed = 1;
		} else {
			w->stats.failures++;
			last_rc = j->rc;
			last_err = &j->err;
		}
	}
	if (rc == FHIR_OK) {
		size_t b = 0;
		while (b < CDS__STORE_LATENCY_BUCKETS - 1 && took > cds__store_latency_bounds[b])
			b++;
		w->stats.latency[b]++;
		w->stats.latency_sum += took;
		w->stats.batches++;
	}
	note(w, committed ? FHIR_OK : last_rc, last_err); /* one commit: the store is writable */
	for (struct job *j = batch; j; j = j->next) {
		j->notify = !j->told; /* the timer may have answered for it already */
		j->told = 1;
	}
	w->running = NULL;
	pthread_mutex_unlock(&w->lock);
	for (struct job *j = batch, *next; j; j = next) {
		next = j->next;
		if (j->notify)
			j->done_fn(j->done_ctx, j->rc, &j->err);
		if (j->release)
			j->release(j->ctx);
		free(j);
	}
}

static void purge(struct cds__store_writer *w)
{
	struct fhir_error err = {{0}, {0}};
	unsigned long count = 0;
	int rc = cds__store_purge(w->store, time(NULL), &count, &err);
	pthread_mutex_lock(&w->lock);
	if (rc == FHIR_OK)
		w->stats.purged += count;
	if (rc == FHIR_OK && count && w->log)
		fprintf(w->log, "store: purged %lu expired request bod%s\n", count,
		        count == 1 ? "y" : "ies");
	else if (rc != FHIR_OK)
		note(w, rc, &err);
	pthread_mutex_unlock(&w->lock);
}

static void *writer_main(void *arg)
{
	struct cds__store_writer *w = arg;
	purge(w); /* at start: bodies whose retention ended while the service was down */
	struct timespec last_purge;
	clock_gettime(CLOCK_MONOTONIC, &last_purge);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while ((!w->head || w->paused) && !w->stopping) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += PROBE_SECONDS;
			pthread_cond_timedwait(&w->work, &w->lock, &until);
			if ((w->head && !w->paused) || w->stopping)
				break;
			/* no probe while paused: the hook stands for a hung commit, which would
			 * hold this thread (a probe here cleared "failing" under test_store_writer)
			 */
			int failing = w->stats.failing && !w->paused, due = 0;
			pthread_mutex_unlock(&w->lock);
			if (w->purge_seconds &&
			    seconds_since(&last_purge) >= (double)w->purge_seconds) {
				purge(w);
				clock_gettime(CLOCK_MONOTONIC, &last_purge);
				due = 1;
			}
			if (failing && !due) { /* writing failed: try again, so /readyz recovers */
				struct fhir_error err = {{0}, {0}};
				int rc = cds__store_run(w->store, 1, run_probe, NULL, &err);
				pthread_mutex_lock(&w->lock);
				w->stats.probes++;
				note(w, rc, &err);
			} else {
				pthread_mutex_lock(&w->lock);
			}
		}
		if (!w->head)
			break; /* stopping and drained */
		struct job *batch = w->head;
		size_t n = w->queued;
		w->head = w->tail = NULL;
		w->queued = 0;
		w->running = batch;
		pthread_mutex_unlock(&w->lock);
		commit(w, batch, n);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The first job not yet answered for, oldest first (the running batch is older than the queue);
 * NULL when none. Under lock. */
static struct job *oldest_untold(struct cds__store_writer *w)
{
	for (struct job *j = w->running; j; j = j->next)
		if (!j->told)
			return j;
	for (struct job *j = w->head; j; j = j->next)
		if (!j->told)
			return j;
	return NULL;
}

/* 1 when the monotonic time a is at or past b. */
static int reached(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* The timer: when a job's commit has not finished within wait_seconds (the store hangs), its
 * caller is told FHIR_ERR_IO now (counted as a failure, the writer says it is failing); the job
 * stays queued or running, and may still commit. */
static void *timer_main(void *arg)
{
	struct cds__store_writer *w = arg;
	struct fhir_error slow = {{0}, {0}};
	fhir_error_set(&slow, NULL, "a commit has not finished within %lu s", w->wait_seconds);
	pthread_mutex_lock(&w->lock);
	while (!w->timer_stopping) {
		struct job *j = oldest_untold(w);
		if (!j) {
			w->timer_idle = 1;
			pthread_cond_wait(&w->timer_wake, &w->lock);
			w->timer_idle = 0;
			continue;
		}
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!reached(&now, &j->deadline)) {
			pthread_cond_timedwait(&w->timer_wake, &w->lock, &j->deadline);
			continue;
		}
		/* j is the oldest: tell its caller (outside the lock; j stays the writer's) */
		j->told = 1;
		w->stats.failures++;
		w->stats.abandoned++;
		note(w, FHIR_ERR_IO, &slow);
		cds__store_done_fn fn = j->done_fn;
		void *ctx = j->done_ctx;
		pthread_mutex_unlock(&w->lock);
		fn(ctx, FHIR_ERR_IO, &slow);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct cds__store_writer *cds__store_writer_start(struct cds__store *store,
                                                  unsigned long purge_seconds,
                                                  unsigned long wait_seconds, FILE *log)
{
	struct cds__store_writer *w = calloc(1, sizeof *w);
	if (!w)
		abort(); /* architecture.md: out of memory aborts */
	w->store = store;
	w->purge_seconds = purge_seconds;
	w->wait_seconds = wait_seconds;
	w->log = log;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->finished, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->timer_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
		abort(); /* no thread: treated like out of memory */
	if (wait_seconds) {
		if (pthread_create(&w->timer, NULL, timer_main, w) != 0)
			abort();
		w->timer_started = 1;
	}
	return w;
}

void cds__store_writer_stop(struct cds__store_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	w->paused = 0; /* a paused writer still commits what is queued */
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL); /* every job told and freed */
	if (w->timer_started) {
		pthread_mutex_lock(&w->lock);
		w->timer_stopping = 1;
		pthread_cond_broadcast(&w->timer_wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->timer, NULL);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->finished);
	pthread_cond_destroy(&w->timer_wake);
	free(w);
}

void cds__store_writer_submit(struct cds__store_writer *w, cds__store_fn fn, void *ctx,
                              void (*release)(void *ctx), cds__store_done_fn done, void *done_ctx)
{
	struct job *job = calloc(1, sizeof *job);
	if (!job)
		abort(); /* architecture.md: out of memory aborts */
	job->fn = fn;
	job->ctx = ctx;
	job->release = release;
	job->done_fn = done;
	job->done_ctx = done_ctx;
	clock_gettime(CLOCK_MONOTONIC, &job->deadline);
	job->deadline.tv_sec += (time_t)w->wait_seconds;
	pthread_mutex_lock(&w->lock);
	if (w->stopping) { /* a bug in the caller: never a silent loss */
		pthread_mutex_unlock(&w->lock);
		free(job);
		if (release)
			release(ctx);
		struct fhir_error err = {{0}, {0}};
		fhir_error_set(&err, NULL, "the store's writer has stopped");
		done(done_ctx, FHIR_ERR_IO, &err);
		return;
	}
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	w->queued++;
	pthread_cond_signal(&w->work);
	if (w->timer_idle)
		pthread_cond_signal(&w->timer_wake);
	pthread_mutex_unlock(&w->lock);
}

/* A waiting caller of cds__store_writer_commit (on its stack). */
struct waiter {
	struct cds__store_writer *w;
	int done, rc;
	struct fhir_error err;
};

static void wake_waiter(void *ctx, int rc, const struct fhir_error *err)
{
	struct waiter *wt = ctx;
	struct cds__store_writer *w = wt->w;
	pthread_mutex_lock(&w->lock);
	wt->rc = rc;
	if (rc != FHIR_OK)
		wt->err = *err;
	wt->done = 1;
	pthread_cond_broadcast(&w->finished);
	pthread_mutex_unlock(&w->lock); /* wt is its caller's again */
}

int cds__store_writer_commit(struct cds__store_writer *w, cds__store_fn fn, void *ctx,
                             void (*release)(void *ctx), struct fhir_error *err)
{
	struct waiter wt = {w, 0, FHIR_OK, {{0}, {0}}};
	cds__store_writer_submit(w, fn, ctx, release, wake_waiter, &wt);
	pthread_mutex_lock(&w->lock);
	while (!wt.done)
		pthread_cond_wait(&w->finished, &w->lock);
	pthread_mutex_unlock(&w->lock);
	if (wt.rc != FHIR_OK && err)
		*err = wt.err;
	return wt.rc;
}

void cds__store_writer_stats(struct cds__store_writer *w, struct cds__store_writer_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

void cds__store_writer_pause(struct cds__store_writer *w, int paused)
{
	pthread_mutex_lock(&w->lock);
	w->paused = paused;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
}

size_t cds__store_writer_queued(struct cds__store_writer *w)
{
	pthread_mutex_lock(&w->lock);
	size_t n = w->queued;
	pthread_mutex_unlock(&w->lock);
	return n;
}
