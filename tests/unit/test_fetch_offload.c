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
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cds_internal.h"
#include "testkit.h"
#include "testnet.h"

#define SELECT     "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define WAITING    50
#define HEALTH     20
#define PREFETCHED 10
#define BUDGET_MS  8000L

/* ---- a dead FHIR server: accepts every connection, reads, never answers ------------------- */

struct dead {
	int listen_fd;
	unsigned port;
	pthread_t thread;
	atomic_int stop;
	atomic_ulong accepted;
	int fds[1024];
	size_t count;
};

static void *dead_main(void *arg)
{
	struct dead *d = arg;
	while (!atomic_load(&d->stop)) {
		struct pollfd p[1025];
		size_t n = 0, kept = 0;
		p[n++] = (struct pollfd){d->listen_fd, POLLIN, 0};
		for (size_t i = 0; i < d->count; i++)
			p[n++] = (struct pollfd){d->fds[i], POLLIN, 0};
		if (poll(p, n, 50) <= 0)
			continue;
		for (size_t i = 1; i < n; i++) { /* read and drop the GETs; forget closed ones */
			char buf[4096];
			ssize_t got = 1;
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				got = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				close(p[i].fd);
			else
				d->fds[kept++] = p[i].fd;
		}
		d->count = kept;
		if (p[0].revents & POLLIN) {
			int fd = accept(d->listen_fd, NULL, NULL);
			if (fd >= 0 && d->count < sizeof d->fds / sizeof d->fds[0]) {
				d->fds[d->count++] = fd;
				atomic_fetch_add(&d->accepted, 1);
			} else if (fd >= 0) {
				close(fd);
			}
		}
	}
	return NULL;
}

static int dead_start(struct dead *d)
{
	memset(d, 0, sizeof *d);
	d->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (d->listen_fd < 0 || bind(d->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(d->listen_fd, 512) != 0 ||
	    getsockname(d->listen_fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	d->port = ntohs(a.sin_port);
	return pthread_create(&d->thread, NULL, &dead_main, d) == 0 ? 0 : -1;
}

static void dead_stop(struct dead *d)
{
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	for (size_t i = 0; i < d->count; i++)
		close(d->fds[i]);
	close(d->listen_fd);
}

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

static void test_fetcher(const struct dead *d)
{
	struct fhir_client_limits limits;
	struct fhir_client *quick = NULL, *slow = NULL;
	struct fhir_fetcher *f = NULL;
	struct fhir_error err;
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%u/fhir", d->port);
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

static unsigned port;

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

/* The 412 vector's request (its prefetch lacks the required conditions) pointed at the dead
 * FHIR server with an access token. NEW. */
static char *waiting_body(const char *source, const struct dead *d)
{
	char path[1024], base[64];
	snprintf(path, sizeof path,
	         "%s/tests/vectors/412-hny142-conditions-not-prefetched/request.json", source);
	char *text = testkit_read(path, NULL);
	cJSON *req = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!req)
		return NULL;
	snprintf(base, sizeof base, "http://127.0.0.1:%u/fhir", d->port);
	cJSON_DeleteItemFromObjectCaseSensitive(req, "fhirServer");
	cJSON_AddStringToObject(req, "fhirServer", base);
	cJSON *auth = cJSON_AddObjectToObject(req, "fhirAuthorization");
	cJSON_AddStringToObject(auth, "access_token", "offload-test-token");
	cJSON_AddStringToObject(auth, "token_type", "Bearer");
	cJSON_AddNumberToObject(auth, "expires_in", 300);
	cJSON_AddStringToObject(auth, "scope", "patient/*.read");
	cJSON_AddStringToObject(auth, "subject", "cds-commissioning");
	char *body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	return body;
}

static struct cds_server *start(struct cds_app **app, struct cds_config **cfg, long budget_ms)
{
	static const char *const opts[][2] = {
	    {"threads", "2"}, {"max-in-flight", "128"}, {"max-connections-per-ip", "256"}};
	struct fhir_error err;
	struct cds_server *server = NULL;
	*cfg = cds_config_new();
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		CHECK(cds_config_option(*cfg, opts[i][0], opts[i][1], &err) == FHIR_OK, "--%s: %s",
		      opts[i][0], err.message);
	struct cds_app_options o = {.decision_log = NULL, .settings = *cfg};
	*app = NULL;
	CHECK(cds_app_new(&o, NULL, app) == FHIR_OK, "demo app");
	CHECK(*app && cds_app_set_fetch_budget(*app, budget_ms) == FHIR_OK, "budget");
	CHECK(*app && cds_server_start(*app, "127.0.0.1", 0, &server, &err) == FHIR_OK,
	      "server: %s", err.message);
	port = cds_server_port(server);
	return server;
}

static void test_server(const struct dead *d, const char *waiting, const char *prefetched)
{
	struct cds_app *app;
	struct cds_config *cfg;
	struct cds_server *server = start(&app, &cfg, BUDGET_MS);
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
	       st.fetching, now_ms() - t0, atomic_load(&d->accepted));

	/* While they wait: /healthz and requests with full prefetch, each on a new connection. */
	unsigned health_ok = 0, order_ok = 0;
	long long worst = 0;
	for (int i = 0; i < HEALTH + PREFETCHED; i++) {
		int order = i >= HEALTH;
		long long p0 = now_ms();
		int fd = testnet_connect(port, 10, 10);
		unsigned status = 0;
		if (fd >= 0 &&
		    testnet_send_request(fd, order ? "POST" : "GET", order ? SELECT : "/healthz",
		                         order ? prefetched : NULL) == 0)
			status = testnet_read_response(fd, body, sizeof body);
		if (fd >= 0)
			close(fd);
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
	cds_server_stop(server);
	cds_app_free(app);
	cds_config_free(cfg);
}

/* Stopping the server does not wait for pending fetches' budget (60 s here). */
static void test_stop(const char *waiting)
{
	struct cds_app *app;
	struct cds_config *cfg;
	struct cds_server *server = start(&app, &cfg, 60000);
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
	server = NULL;
	long long took = now_ms() - t0;
	printf("stop with 5 pending fetches took %lld ms\n", took);
	CHECK(took < 45000, "stop waited for the fetch budget (%lld ms)", took);
	for (int i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
out:
	cds_server_stop(server);
	cds_app_free(app);
	cds_config_free(cfg);
}

int main(void)
{
	const char *source = getenv("CDS_SOURCE_DIR") ? getenv("CDS_SOURCE_DIR") : ".";
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024];
	struct dead d;
	fhir_client_global_init();
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared ? shared : "../shared");
	char *prefetched = testkit_read(path, NULL);
	CHECK(prefetched != NULL, "read %s", path);
	CHECK(dead_start(&d) == 0, "the dead FHIR server");
	char *waiting = waiting_body(source, &d);
	CHECK(waiting != NULL, "the 412 vector");
	if (prefetched && waiting) {
		test_fetcher(&d);
		test_server(&d, waiting, prefetched);
		test_stop(waiting);
	}
	dead_stop(&d);
	free(prefetched);
	free(waiting);
	fhir_client_global_cleanup();
	return testkit_done();
}
