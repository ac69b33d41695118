/* writer.h — the store's group-commit writer (issue 13 item 1: "committed before the response is
 * sent, group commit allowed"). Request threads hand it a job (a cds__store_fn that inserts one
 * request's rows, or one feedback body's) and are told by a callback when the transaction
 * holding the job has committed, or failed (or, synchronously, wait for that). One thread runs
 * every queued job in one transaction (one commit, one fsync, for all the requests that arrived
 * meanwhile); when that transaction fails, each of its jobs is retried alone, so one bad job fails
 * only itself.
 *
 * While writing fails, the writer says why (cds__store_writer_stats: failing, error) and probes
 * the store every second with a small write (the writer_probe row of migration 2); the first
 * write that commits again, a job's or the probe's, clears it. The same thread purges expired
 * request bodies at start and every `purge_seconds` (purge.c). */
#ifndef CDS_STORE_WRITER_H
#define CDS_STORE_WRITER_H

#include <stdio.h>

#include "store.h"

struct cds__store_writer; /* Opaque. */

/* Commit-latency histogram upper bounds, seconds (plus +Inf): CDS__STORE_LATENCY_BUCKETS
 * counts in the stats, the last being +Inf. */
#define CDS__STORE_LATENCY_BUCKETS 12
extern const double cds__store_latency_bounds[CDS__STORE_LATENCY_BUCKETS - 1];

/* What the writer has done since it started (for /metrics, /healthz, /readyz and tests). */
struct cds__store_writer_stats {
	unsigned long writes;    /* jobs committed */
	unsigned long failures;  /* jobs whose transaction failed (answered 503) */
	unsigned long batches;   /* transactions committed */
	unsigned long probes;    /* probe writes while failing */
	unsigned long purged;    /* request bodies removed by the purge */
	unsigned long abandoned; /* of the failures, jobs whose caller stopped waiting */
	unsigned long refused;   /* jobs refused by their own condition (CDS__STORE_REFUSED: a jti
	                            claimed first elsewhere); not failures, the store works */
	unsigned long latency[CDS__STORE_LATENCY_BUCKETS]; /* per committed batch, not cumulative */
	double latency_sum;                                /* seconds */
	int failing;     /* the last transaction committed nothing (every job of it failed, or
	                    the probe did) */
	char error[256]; /* why, when failing: the engine's message (never a password) */
};

/* Starts the writer thread on `store` (BORROWED: must outlive the writer). purge_seconds: how
 * often expired request bodies are purged (0: only at start). wait_seconds: how long a caller
 * waits for its commit before it gives up (0: for ever). log (BORROWED; NULL: silent): one
 * line when writing starts failing (with why) and one when it works again, and one per purge
 * that removed bodies. NEW; aborts when no thread can be started (like out of memory). */
struct cds__store_writer *cds__store_writer_start(struct cds__store *store,
                                                  unsigned long purge_seconds,
                                                  unsigned long wait_seconds, FILE *log);
/* Commits every queued job, stops the thread, frees. Accepts NULL. */
void cds__store_writer_stop(struct cds__store_writer *w);
/* How a job ended, told once to its caller: rc FHIR_OK (committed) or FHIR_ERR_IO / fn's
 * status (nothing of it is in the store; err, BORROWED for the call, says why; fn's
 * CDS__STORE_REFUSED, rows.h, is not counted as the store failing), or FHIR_ERR_IO
 * when wait_seconds passed first (the job may still commit later). Runs on the writer's thread,
 * its timer's, or (writer stopped) the submitting one, with no writer lock held; it must not
 * wait for the store. */
typedef void (*cds__store_done_fn)(void *done_ctx, int rc, const struct fhir_error *err);
/* Queues fn(conn, ctx, err) for the writer's next transaction and returns at once; done(done_ctx,
 * ...) says how it ended. fn must only execute statements (no BEGIN/COMMIT) and may run twice
 * (its batch failed and it is retried alone): it must not change ctx. TAKES ctx: release(ctx)
 * (may be NULL) runs once the job is over (after done, or later when the timer told done).
 * Thread-safe. */
void cds__store_writer_submit(struct cds__store_writer *w, cds__store_fn fn, void *ctx,
                              void (*release)(void *ctx), cds__store_done_fn done, void *done_ctx);
/* cds__store_writer_submit, waiting until done: FHIR_OK when committed, else the status (err
 * says why). Thread-safe. */
int cds__store_writer_commit(struct cds__store_writer *w, cds__store_fn fn, void *ctx,
                             void (*release)(void *ctx), struct fhir_error *err);
/* Copies the writer's counters into *out (zeros for NULL). Thread-safe. */
void cds__store_writer_stats(struct cds__store_writer *w, struct cds__store_writer_stats *out);
/* Test hook: while paused (1) the writer takes no job (they queue up, their callers wait); 0
 * resumes, and the jobs queued meanwhile commit as one batch (the timer still tells callers
 * waiting longer than wait_seconds). Thread-safe. */
void cds__store_writer_pause(struct cds__store_writer *w, int paused);
/* Jobs queued now, not yet taken by the writer. Thread-safe. */
size_t cds__store_writer_queued(struct cds__store_writer *w);

#endif
