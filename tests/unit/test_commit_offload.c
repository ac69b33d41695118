/* test_commit_offload.c — a service call waiting for its decisions' store commit holds no worker
 * (issue 13 item 1, "group commit allowed"; the fetch offload's twin for the store). Over
 * loopback, with one worker (--threads 1) and a SQLite store whose writer is paused (its test
 * hook), so the commit cannot finish:
 *  - 8 knee-example calls, each on its own connection, are all parked on the writer at once (the
 *    server counts 8 committing and 8 in flight; the writer has 8 jobs queued) and none is
 *    answered; meanwhile GET /healthz, on the same single worker, answers 200;
 *  - once the writer resumes, the 8 are committed as one transaction (one more batch, 8 more
 *    writes) and each then gets its 200 with cards; nothing is in flight afterwards;
 *  - with the writer paused again, 3 calls wait; draining the server (SIGTERM's path, a 30 s
 *    grace) leaves none unanswered: each gets 503 once the store's wait of 10 s is over ("could
 *    not be recorded"), never a card, and the writer counts them as abandoned; then the server
 *    stops.
 * Deterministic pass/fail: counts and answers, never latencies. About 10 s (the store's wait). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds_internal.h"
#include "store/writer.h"
#include "testdir.h"
#include "testkit.h"
#include "testnet.h"
#include "testserver.h"

#define SELECT  "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define PARKED  8
#define STOPPED 3

static char dir[] = "/tmp/cds-test-commit-offload-XXXXXX";
static char body[262144];

/* Polls the server's counts for at most limit_ms until committing == want; returns the last. */
static struct cds__server_stats wait_committing(struct cds_server *server, unsigned long want,
                                                long long limit_ms)
{
	struct cds__server_stats st;
	long long until = now_ms() + limit_ms;
	do {
		cds__server_stats(server, &st);
		if (st.committing == want)
			break;
		sleep_ms(20);
	} while (now_ms() < until);
	return st;
}

/* 1 when something (a reply, or a close) has arrived on fd, without waiting. */
static int has_arrived(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) > 0;
}

/* Sends `count` knee calls, each on a new connection, into fds. */
static void send_calls(unsigned port, const char *knee, int *fds, int count)
{
	for (int i = 0; i < count; i++) {
		fds[i] = testnet_connect(port, 60, 30);
		CHECK(fds[i] >= 0 && testnet_send_request(fds[i], "POST", SELECT, knee) == 0,
		      "call %d sent", i);
	}
}

static void test_parked(struct cds_app *app, struct cds_server *server, unsigned port,
                        const char *knee)
{
	struct cds__store_writer *w = app->host->store_writer;
	struct cds__store_writer_stats before, after;
	int fds[PARKED];
	cds__store_writer_pause(w, 1);
	cds__store_writer_stats(w, &before);
	send_calls(port, knee, fds, PARKED);
	struct cds__server_stats st = wait_committing(server, PARKED, 20000);
	CHECK(st.committing == PARKED && st.in_flight == PARKED,
	      "%d calls parked on the writer: %lu committing, %lu in flight", PARKED, st.committing,
	      st.in_flight);
	CHECK(cds__store_writer_queued(w) == PARKED, "the writer holds %d jobs, not %zu", PARKED,
	      cds__store_writer_queued(w));

	/* The one worker is free: /healthz answers while the 8 wait. */
	int fd = testnet_connect(port, 20, 20);
	unsigned status = fd >= 0 && testnet_send_request(fd, "GET", "/healthz", NULL) == 0
	                      ? testnet_read_response(fd, body, sizeof body)
	                      : 0;
	if (fd >= 0)
		close(fd);
	CHECK(status == 200 && strstr(body, "\"status\""), "/healthz while %d wait: %u %.200s",
	      PARKED, status, body);
	int early = 0;
	for (int i = 0; i < PARKED; i++)
		early += fds[i] >= 0 && has_arrived(fds[i]);
	cds__server_stats(server, &st);
	CHECK(early == 0 && st.committing == PARKED,
	      "none answered before its commit (%d answered, %lu committing)", early,
	      st.committing);
	printf("%lu calls waiting on the store commit, %lu in flight, one worker: /healthz %u\n",
	       st.committing, st.in_flight, status);

	/* Resumed: one transaction for the 8, then their cards. */
	cds__store_writer_pause(w, 0);
	int cards = 0;
	for (int i = 0; i < PARKED; i++) {
		status = fds[i] >= 0 ? testnet_read_response(fds[i], body, sizeof body) : 0;
		if (status == 200 && strstr(body, "\"cards\"") && strstr(body, "\"summary\""))
			cards++;
		else
			fprintf(stderr, "call %d: %u %.300s\n", i, status, body);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	CHECK(cards == PARKED, "%d of %d answered 200 with cards", cards, PARKED);
	cds__store_writer_stats(w, &after);
	CHECK(after.writes - before.writes == PARKED && after.batches - before.batches == 1,
	      "the %d committed as one transaction (%lu writes, %lu batches)", PARKED,
	      after.writes - before.writes, after.batches - before.batches);
	for (int i = 0; i < 100; i++) {
		cds__server_stats(server, &st);
		if (st.in_flight == 0)
			break;
		sleep_ms(20);
	}
	CHECK(st.in_flight == 0 && st.committing == 0 && st.queued == 0,
	      "afterwards: %lu in flight, %lu committing, %lu queued", st.in_flight, st.committing,
	      st.queued);
}

/* Draining the server with calls still waiting on a paused writer: every one is answered, each
 * 503 (the store's wait is over), none with a card. */
static void test_drain(struct cds_app *app, struct cds_server *server, unsigned port,
                       const char *knee)
{
	struct cds__store_writer *w = app->host->store_writer;
	int fds[STOPPED];
	struct cds__store_writer_stats before, after;
	cds__store_writer_pause(w, 1);
	cds__store_writer_stats(w, &before);
	send_calls(port, knee, fds, STOPPED);
	struct cds__server_stats st = wait_committing(server, STOPPED, 20000);
	CHECK(st.committing == STOPPED, "%d committing, not %lu", STOPPED, st.committing);
	unsigned long left = cds_server_drain(server, 30);
	CHECK(left == 0, "drained: %lu requests left unanswered", left);
	int refused = 0;
	for (int i = 0; i < STOPPED; i++) {
		unsigned status =
		    fds[i] >= 0 ? testnet_read_response(fds[i], body, sizeof body) : 0;
		if (status == 503 && strstr(body, "OperationOutcome") &&
		    strstr(body, "could not be recorded") && !strstr(body, "\"cards\""))
			refused++;
		else
			fprintf(stderr, "stopped call %d: %u %.300s\n", i, status, body);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	CHECK(refused == STOPPED, "%d of %d answered 503 without a card", refused, STOPPED);
	/* (whether it still says "failing" depends on its probe, which commits while paused) */
	cds__store_writer_stats(w, &after);
	CHECK(after.abandoned - before.abandoned == STOPPED,
	      "the writer counts the %d it stopped waiting for, not %lu", STOPPED,
	      after.abandoned - before.abandoned);
	cds__store_writer_pause(w, 0); /* the late jobs commit now */
}

int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR") ? getenv("CDS_SHARED_DIR") : "../shared";
	char path[1024], url[600];
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json", shared);
	char *knee = testkit_read(path, NULL);
	CHECK(knee && mkdtemp(dir), "the knee example and a temporary folder");
	if (!knee)
		return testkit_done();
	static const char *const opts[][2] = {
	    {"threads", "1"}, {"max-in-flight", "64"}, {"max-connections-per-ip", "64"}};
	snprintf(url, sizeof url, "sqlite:%s/decisions.db", dir);
	struct test_server_options so = {
	    .opts = opts, .count = sizeof opts / sizeof opts[0], .decision_log = "-", .store = url};
	struct test_server t;
	char why[600];
	int up = test_server_start(&t, &so, why, sizeof why) == 0;
	CHECK(up && t.app->host->store_writer, "app with a SQLite store, server: %s", why);
	if (up) {
		test_parked(t.app, t.server, t.port, knee);
		test_drain(t.app, t.server, t.port, knee);
	}
	test_server_stop(&t);
	free(knee);
	CHECK(testdir_remove(dir) == 0, "cleanup");
	return testkit_done();
}
