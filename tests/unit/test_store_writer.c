/* test_store_writer.c — the store's group-commit writer (cds-hooks/store/writer.h): several
 * threads commit their own rows at once and each finds its rows in the store (through another
 * connection) as soon as its commit returns; held back by the pause hook, jobs queued together
 * commit as one transaction; a job that fails inside a batch fails alone and leaves nothing,
 * its neighbours commit; the writer's counters say so. SQLite in a temporary folder. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/rows.h"
#include "store/writer.h"
#include "testkit.h"

#define THREADS 8
#define EACH    25

static struct cds__store_writer *writer;
static char url[600];

struct count {
	const char *sql;
	const char *param;
	unsigned long n;
};

static int read_n(void *ctx, const char *const *values, size_t columns)
{
	*(unsigned long *)ctx = columns && values[0] ? strtoul(values[0], NULL, 10) : 0;
	return 0;
}

static int count_tx(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct count *q = ctx;
	const char *p[] = {q->param};
	return cds__store_query(c, q->sql, p, q->param ? 1 : 0, read_n, &q->n, err);
}

/* Rows matching `sql` (one $1 parameter or none) read through store `s`. */
static unsigned long count(struct cds__store *s, const char *sql, const char *param)
{
	struct count q = {sql, param, 0};
	struct fhir_error err = {{0}, {0}};
	int rc = cds__store_run(s, 0, count_tx, &q, &err);
	CHECK(rc == FHIR_OK, "%s: %s", sql, err.message);
	return q.n;
}

/* One job: a replay row (iss = the thread, jti = the job). */
static void replay_row(struct cds__store_rows *rows, const char *iss, const char *jti)
{
	const char *p[] = {iss, jti, "4102444800"};
	cds__store_rows_add(rows, "INSERT INTO replay (iss, jti, expires_at) VALUES ($1, $2, $3)",
	                    p, 3);
}

static void *committer(void *arg)
{
	long t = (long)arg;
	char iss[32];
	snprintf(iss, sizeof iss, "thread-%ld", t);
	struct cds__store *reader = NULL; /* its own connection: sees only what is committed */
	struct fhir_error err = {{0}, {0}};
	CHECK(cds__store_open(url, &reader, &err) == FHIR_OK, "reader opens: %s", err.message);
	unsigned long seen_own = 0;
	for (int i = 0; i < EACH && reader; i++) {
		char jti[32];
		snprintf(jti, sizeof jti, "job-%d", i);
		struct cds__store_rows rows = {0};
		replay_row(&rows, iss, jti);
		int rc =
		    cds__store_writer_commit(writer, cds__store_rows_insert, &rows, NULL, &err);
		cds__store_rows_clear(&rows);
		CHECK(rc == FHIR_OK, "thread %ld job %d commits: %s", t, i, err.message);
		seen_own = count(reader, "SELECT COUNT(*) FROM replay WHERE iss = $1", iss);
		CHECK(seen_own == (unsigned long)i + 1,
		      "thread %ld sees its %d rows once commit returned (saw %lu)", t, i + 1,
		      seen_own);
	}
	cds__store_close(reader);
	return NULL;
}

/* A queued job on its own thread (for the pause scenario). */
struct queued {
	const char *iss, *jti;
	int bad; /* a statement that fails */
	int rc;
	pthread_t thread;
};

static void *queued_main(void *arg)
{
	struct queued *q = arg;
	struct cds__store_rows rows = {0};
	struct fhir_error err = {{0}, {0}};
	replay_row(&rows, q->iss, q->jti);
	if (q->bad)
		cds__store_rows_add(&rows, "INSERT INTO no_such_table VALUES ($1)",
		                    (const char *const[]){"x"}, 1);
	q->rc = cds__store_writer_commit(writer, cds__store_rows_insert, &rows, NULL, &err);
	cds__store_rows_clear(&rows);
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/cds-test-writer-XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(url, sizeof url, "sqlite:%s/store.db", dir);
	struct cds__store *store = NULL;
	struct fhir_error err = {{0}, {0}};
	if (cds__store_open(url, &store, &err) != FHIR_OK) {
		CHECK(0, "store opens: %s", err.message);
		return testkit_done();
	}
	writer = cds__store_writer_start(store, 0, 0, NULL);

	/* several threads at once: each sees its own rows committed when commit returns */
	pthread_t threads[THREADS];
	for (long t = 0; t < THREADS; t++)
		pthread_create(&threads[t], NULL, committer, (void *)t);
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	struct cds__store_writer_stats st;
	cds__store_writer_stats(writer, &st);
	CHECK(st.writes == THREADS * EACH && st.failures == 0, "%lu writes, %lu failures",
	      st.writes, st.failures);
	CHECK(count(store, "SELECT COUNT(*) FROM replay", NULL) == THREADS * EACH,
	      "every row is in the store");
	unsigned long batches_before = st.batches;

	/* paused: jobs queue up and then commit as one transaction; a bad one fails alone */
	cds__store_writer_pause(writer, 1);
	struct queued q[4] = {{"paused", "a", 0, -1, 0},
	                      {"paused", "b", 1, -1, 0},
	                      {"paused", "c", 0, -1, 0},
	                      {"paused", "d", 0, -1, 0}};
	for (int i = 0; i < 4; i++)
		pthread_create(&q[i].thread, NULL, queued_main, &q[i]);
	for (int i = 0; i < 500 && cds__store_writer_queued(writer) < 4; i++)
		sleep_ms(10); /* bounded: at most 5 s for the threads to queue */
	CHECK(cds__store_writer_queued(writer) == 4, "4 jobs queued while paused");
	CHECK(count(store, "SELECT COUNT(*) FROM replay WHERE iss = 'paused'", NULL) == 0,
	      "nothing committed while paused");
	cds__store_writer_pause(writer, 0);
	for (int i = 0; i < 4; i++)
		pthread_join(q[i].thread, NULL);
	CHECK(q[0].rc == FHIR_OK && q[2].rc == FHIR_OK && q[3].rc == FHIR_OK,
	      "the good jobs commit (%d %d %d)", q[0].rc, q[2].rc, q[3].rc);
	CHECK(q[1].rc != FHIR_OK, "the bad job fails");
	CHECK(count(store, "SELECT COUNT(*) FROM replay WHERE iss = 'paused'", NULL) == 3,
	      "the good jobs' rows are in, the bad one's not");
	CHECK(count(store, "SELECT COUNT(*) FROM replay WHERE jti = 'b'", NULL) == 0,
	      "the bad job left nothing (its first statement rolled back)");
	cds__store_writer_stats(writer, &st);
	CHECK(st.failures == 1 && st.writes == THREADS * EACH + 3,
	      "counters: %lu writes, %lu failed", st.writes, st.failures);
	CHECK(st.failing == 0, "the last write succeeded: not failing");

	/* a failing store: the writer says why, probes, and recovers */
	struct count ro = {"PRAGMA query_only = 1", NULL, 0};
	CHECK(cds__store_run(store, 0, count_tx, &ro, &err) == FHIR_OK, "query_only on: %s",
	      err.message);
	struct queued fail = {"ro", "x", 0, -1, 0};
	queued_main(&fail);
	cds__store_writer_stats(writer, &st);
	CHECK(fail.rc != FHIR_OK && st.failing && st.error[0], "a read-only store fails: %s",
	      st.error);
	struct count rw = {"PRAGMA query_only = 0", NULL, 0};
	CHECK(cds__store_run(store, 0, count_tx, &rw, &err) == FHIR_OK, "query_only off");
	for (int i = 0; i < 500 && st.failing; i++) { /* the probe, once a second; at most 5 s */
		sleep_ms(10);
		cds__store_writer_stats(writer, &st);
	}
	CHECK(!st.failing && st.probes >= 1, "the probe notices recovery (%lu probes)", st.probes);
	CHECK(st.batches > batches_before, "batches counted");

	cds__store_writer_stop(writer);

	/* a store that hangs: the caller gives up after the writer's wait (1 s here), answered
	 * as a failure at once; the job still commits once the writer moves, and is freed then */
	writer = cds__store_writer_start(store, 0, 1, NULL);
	cds__store_writer_pause(writer, 1); /* as a hung commit would hold it */
	struct cds__store_rows *late = calloc(1, sizeof *late);
	replay_row(late, "late", "x");
	int rc = cds__store_writer_commit(writer, cds__store_rows_insert, late,
	                                  cds__store_rows_free, &err);
	cds__store_writer_stats(writer, &st);
	CHECK(rc != FHIR_OK && strstr(err.message, "within 1 s"), "a caller gives up: %s",
	      err.message);
	CHECK(st.failing && st.abandoned == 1 && st.failures == 1, "counted, and failing");
	cds__store_writer_pause(writer, 0);
	for (int i = 0;
	     i < 500 && count(store, "SELECT COUNT(*) FROM replay WHERE iss = 'late'", NULL) == 0;
	     i++)
		sleep_ms(10);
	CHECK(count(store, "SELECT COUNT(*) FROM replay WHERE iss = 'late'", NULL) == 1,
	      "the abandoned job commits later (and is freed by the writer)");
	cds__store_writer_stop(writer);
	cds__store_close(store);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup");
	return testkit_done();
}
