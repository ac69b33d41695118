/* test_fetch_offload.c — fetching never holds a worker (issue 11 item 3). Over loopback only:
 *  - the fetcher (fhir/): a fetch from a server that accepts and never answers ends, with its
 *    done callback, at the budget ("no complete answer within the ... fetch budget"); one
 *    pending when fhir_fetcher_stop is called ends at once, "cancelled: the service is
 *    stopping"; a start after stop is refused without a callback;
 *  - the server, with 2 workers: 50 order-select requests whose prefetch lacks the conditions
 *    a policy requires, pointed at a dead FHIR server (a listener that accepts and never
 *    answers), are all parked on the fetch thread (the server's counts say 50 fetching); while
 *    they wait, 20 GET /healthz and 10 order-select requests with full prefetch, each on its
 *    own connection, are all answered 200, and none of the 50 has been answered yet; then
 *    each of the 50 gets its 412 naming the conditions and the fetch budget; afterwards no
 *    request is in flight or fetching;
 *  - stopping the server with requests still waiting on the dead FHIR server returns without
 *    waiting for their budget.
 * Deterministic pass/fail: answers and counts are checked, never latencies (printed only); the
 * fetch budget (8 s) only has to outlast 30 loopback probes. About 10 s. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds_internal.h"
#include "stallserver.h"
#include "testkit.h"
#include "testnet.h"
#include "testserver.h"

#define SELECT     "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define WAITING    50
#define HEALTH     20
#define PREFETCHED 10
#define BUDGET_MS  8000L

/* ---- the fetcher alone ------------------------------------------------------------------- */

struct done_box {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls, status;
};

static void on_done(void *ctx, int status)
{
	struct done_box *b = ctx;
	pthread_mutex_lock(&b->lock);
	b->calls++;
	b->status = status;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/* Waits up to limit_ms for `calls` callbacks; returns how many came. */
static int wait_done(struct done_box *b, int calls, long long limit_ms)
{
	long long until = now_ms() + limit_ms;
	pthread_mutex_lock(&b->lock);
	while (b->calls < calls && now_ms() < until) {
		pthread_mutex_unlock(&b->lock);
		sleep_ms(10);
		pthread_mutex_lock(&b->lock);
	}
	int n = b->calls;
	pthread_mutex_unlock(&b->lock);
	return n;
}

static void test_fetcher(const struct stall_server *fhir)
{
	struct fhir_client_limits limits;
	struct fhir_client *quick = NULL, *slow = NULL;
	struct fhir_fetcher *f = NULL;
	struct fhir_error err;
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%u/fhir", stall_server_port(fhir));
	fhir_client_limits_default(&limits);
	limits.budget_ms = 300;
	CHECK(fhir_client_new(&limits, &quick, &err) == FHIR_OK, "client");
	limits.budget_ms = 600000;
	CHECK(fhir_client_new(&limits, &slow, &err) == FHIR_OK, "client");
	CHECK(fhir_fetcher_new(&f, &err) == FHIR_OK, "fetcher: %s", err.message);
	if (!quick || !slow || !f)
		goto out;

	/* the budget ends a fetch the server never answers, through the callback */
	struct done_box a = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	struct fhir_fetch item[2];
	memset(item, 0, sizeof item);
	item[0].path = "Condition?patient=1";
	item[0].resource_type = "Condition";
	item[0].search = 1;
	item[1].path = "Patient/1";
	item[1].resource_type = "Patient";
	CHECK(fhir_fetcher_start(f, quick, base, "secret-token", item, 2, &on_done, &a, &err) ==
	          FHIR_OK,
	      "start");
	CHECK(wait_done(&a, 1, 30000) == 1 && a.status == FHIR_ERR_IO, "done once: %d calls",
	      a.calls);
	for (int i = 0; i < 2; i++)
		CHECK(item[i].status != FHIR_OK && item[i].result == NULL &&
		          strstr(item[i].why, "no complete answer within the 300 ms fetch budget"),
		      "item %d: %s", i, item[i].why);
	CHECK(fhir_fetcher_pending(f) == 0, "nothing pending");

	/* stopping ends what is pending at once, and refuses what comes later */
	struct done_box b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	memset(item, 0, sizeof item);
	item[0].path = "Condition?patient=1";
	item[0].resource_type = "Condition";
	item[0].search = 1;
	CHECK(fhir_fetcher_start(f, slow, base, NULL, item, 1, &on_done, &b, &err) == FHIR_OK,
	      "start");
	CHECK(fhir_fetcher_pending(f) == 1, "one pending");
	fhir_fetcher_stop(f);
	CHECK(b.calls == 1 && b.status == FHIR_ERR_IO &&
	          strstr(item[0].why, "cancelled: the service is stopping"),
	      "stop: %d calls, %s", b.calls, item[0].why);
	struct done_box c = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	CHECK(fhir_fetcher_start(f, slow, base, NULL, item, 1, &on_done, &c, &err) == FHIR_ERR_IO,
	      "a start after stop is refused");
	CHECK(c.calls == 0 && strstr(item[0].why, "the service is stopping"), "refused: %s",
	      item[0].why);
	CHECK(fhir_fetcher_start(f, slow, "ftp://x", NULL, item, 1, &on_done, &c, &err) ==
	          FHIR_ERR_INVALID,
	      "not http(s)");
out:
	fhir_fetcher_free(f);
	fhir_client_free(quick);
	fhir_client_free(slow);
}

/* ---- the server --------------------------------------------------------------------------- */

/* 1 when something (a reply, or a close) has arrived on fd, without waiting. */
static int has_arrived(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) > 0;
}

/* Polls the server's counts for at most limit_ms until fetching == want; returns the last. */
static struct cds__server_stats wait_fetching(struct cds_server *server, unsigned long want,
                                              long long limit_ms)
{
	struct cds__server_stats st;
	long long until = now_ms() + limit_ms;
	do {
		cds__server_stats(server, &st);
		if (st.fetching == want)
			break;
		sleep_ms(20);
	} while (now_ms() < until);
	return st;
}

static struct test_server start(long budget_ms)
{
	static const char *const opts[][2] = {
	    {"threads", "2"}, {"max-in-flight", "128"}, {"max-connections-per-ip", "256"}};
	struct test_server_options o = {
	    .opts = opts, .count = sizeof opts / sizeof opts[0], .fetch_budget_ms = budget_ms};
	struct test_server t;
	char why[512];
	CHECK(test_server_start(&t, &o, why, sizeof why) == 0, "%s", why);
	return t;
}

static void test_server(const struct stall_server *fhir, const char *waiting,
                        const char *prefetched)
{
	struct test_server t = start(BUDGET_MS);
	struct cds_server *server = t.server;
	unsigned port = t.port;
	int fds[WAITING];
	static char body[262144];
	if (!server)
		goto out;
	long long t0 = now_ms();
	for (int i = 0; i < WAITING; i++) {
		fds[i] = testnet_connect(port, BUDGET_MS / 1000 + 30, BUDGET_MS / 1000 + 30);
		CHECK(fds[i] >= 0 && testnet_send_request(fds[i], "POST", SELECT, waiting) == 0,
		      "waiting request %d sent", i);
	}
	struct cds__server_stats st = wait_fetching(server, WAITING, 20000);
	CHECK(st.fetching == WAITING, "%d requests parked on the fetch thread, not %lu", WAITING,
	      st.fetching);
	printf("%lu fetching after %lld ms; the dead FHIR server accepted %lu connections\n",
	       st.fetching, now_ms() - t0, stall_server_accepted(fhir));

	/* While they wait: /healthz and requests with full prefetch, each on a new connection. */
	unsigned health_ok = 0, order_ok = 0;
	long long worst = 0;
	for (int i = 0; i < HEALTH + PREFETCHED; i++) {
		int order = i >= HEALTH;
		long long p0 = now_ms();
		unsigned status =
		    testnet_exchange(port, 10, order ? "POST" : "GET", order ? SELECT : "/healthz",
		                     order ? prefetched : NULL, body, sizeof body);
		if (now_ms() - p0 > worst)
			worst = now_ms() - p0;
		if (status == 200 && order && strstr(body, "\"cards\""))
			order_ok++;
		else if (status == 200 && !order)
			health_ok++;
		else
			fprintf(stderr, "probe %d: status %u %.200s\n", i, status, body);
	}
	int early = 0;
	for (int i = 0; i < WAITING; i++)
		early += fds[i] >= 0 && has_arrived(fds[i]);
	cds__server_stats(server, &st);
	printf("while %lu waited: %u/%d /healthz and %u/%d prefetched requests answered 200 "
	       "(slowest %lld ms); %d of the %d answered meanwhile\n",
	       st.fetching, health_ok, HEALTH, order_ok, PREFETCHED, worst, early, WAITING);
	CHECK(health_ok == HEALTH, "/healthz answered %u of %d", health_ok, HEALTH);
	CHECK(order_ok == PREFETCHED, "prefetched requests answered %u of %d", order_ok,
	      PREFETCHED);
	CHECK(early == 0 && st.fetching == WAITING,
	      "the probes ran while the %d waited (%d answered early, %lu fetching)", WAITING,
	      early, st.fetching);

	/* Then each of the 50 ends with its 412 naming the data and the budget. */
	int budget_412 = 0;
	for (int i = 0; i < WAITING; i++) {
		unsigned status =
		    fds[i] >= 0 ? testnet_read_response(fds[i], body, sizeof body) : 0;
		if (status == 412 && strstr(body, "conditions") &&
		    strstr(body, "no complete answer within the 8000 ms fetch budget") &&
		    !strstr(body, "offload-test-token"))
			budget_412++;
		else
			fprintf(stderr, "waiting request %d: %u %.300s\n", i, status, body);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	CHECK(budget_412 == WAITING, "%d of %d got the 412 naming the fetch budget", budget_412,
	      WAITING);
	for (int i = 0; i < 200; i++) {
		cds__server_stats(server, &st);
		if (st.in_flight == 0 && st.fetching == 0)
			break;
		sleep_ms(50);
	}
	CHECK(st.in_flight == 0 && st.fetching == 0 && st.queued == 0,
	      "afterwards: %lu in flight, %lu fetching, %lu queued", st.in_flight, st.fetching,
	      st.queued);
out:
	test_server_stop(&t);
}

/* Stopping the server does not wait for pending fetches' budget (60 s here). */
static void test_stop(const char *waiting)
{
	struct test_server t = start(60000);
	struct cds_server *server = t.server;
	unsigned port = t.port;
	int fds[5];
	if (!server)
		goto out;
	for (int i = 0; i < 5; i++) {
		fds[i] = testnet_connect(port, 30, 30);
		CHECK(fds[i] >= 0 && testnet_send_request(fds[i], "POST", SELECT, waiting) == 0,
		      "sent");
	}
	struct cds__server_stats st = wait_fetching(server, 5, 20000);
	CHECK(st.fetching == 5, "5 fetching, not %lu", st.fetching);
	long long t0 = now_ms();
	cds_server_stop(server);
	t.server = NULL;
	long long took = now_ms() - t0;
	printf("stop with 5 pending fetches took %lld ms\n", took);
	CHECK(took < 45000, "stop waited for the fetch budget (%lld ms)", took);
	for (int i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
out:
	test_server_stop(&t);
}

int main(void)
{
	const char *source = getenv("CDS_SOURCE_DIR") ? getenv("CDS_SOURCE_DIR") : ".";
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024];
	struct stall_server *fhir = NULL;
	fhir_client_global_init();
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared ? shared : "../shared");
	char *prefetched = testkit_read(path, NULL);
	CHECK(prefetched != NULL, "read %s", path);
	CHECK(stall_server_start(&fhir) == 0, "the dead FHIR server");
	char *waiting = fhir ? stall_server_request(fhir, source, "offload-test-token") : NULL;
	CHECK(waiting != NULL, "the 412 vector");
	if (prefetched && waiting) {
		test_fetcher(fhir);
		test_server(fhir, waiting, prefetched);
		test_stop(waiting);
	}
	stall_server_stop(fhir);
	free(prefetched);
	free(waiting);
	fhir_client_global_cleanup();
	return testkit_done();
}
