/* test_connections.c — a client that opens many connections is served, never reset, and
 * refusals are summarised (issue 12 item 4). The server runs in-process on 127.0.0.1 port 0;
 * over loopback sockets:
 *  - default limits: 64 concurrent keep-alive connections from one address (an EHR integration
 *    engine), 5 order-select requests each: every request is answered 200 or 503 with
 *    Retry-After, no connection is reset or closed under a request, none is refused or closed
 *    to make room;
 *  - over maxConnectionsPerIp (16) with every counted connection busy (the workers held): 48
 *    more connections, GETs and POSTs with a body, are each answered 503 with Retry-After and
 *    `Connection: close`, then closed cleanly (EOF, not a reset); the held 16 get 200 once the
 *    workers resume; stderr gets no line per refusal, only once-a-second summaries
 *    ("refused N connections in the last second: ...") whose counts add up to 48;
 *  - libmicrohttpd's own messages: 100 connections closed in the middle of their headers are
 *    counted and summarised (at most one "libmicrohttpd:" line a second), not printed each.
 * Deterministic pass/fail: answers, counts and lines are counted; waits are bounded polls
 * (10 s) and socket timeouts; latencies are not checked. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cds_internal.h"
#include "testkit.h"
#include "testnet.h"
#include "testserver.h"

#define SELECT   "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define CLIENTS  64
#define REQUESTS 5
#define PER_IP   16

static unsigned port;
static char *order_body; /* the UK order-select example */

/* Sends GET /healthz, or POST order-select with the UK body. 0 or -1. */
static int send_request(int fd, int post)
{
	return testnet_send_request(fd, post ? "POST" : "GET", post ? SELECT : "/healthz",
	                            post ? order_body : NULL);
}

/* A server with `count` options and no decision log, its port in `port`; NULL (the failure
 * counted, nothing to stop) when it did not start. */
static struct cds_server *start(struct test_server *t, const char *const (*opts)[2], size_t count)
{
	struct test_server_options o = {.opts = opts, .count = count, .decision_log = "-"};
	char why[512];
	CHECK(test_server_start(t, &o, why, sizeof why) == 0, "%s", why);
	port = t->port;
	return t->server;
}

/* ---- 64 keep-alive connections at the default limits ----------------------------------------- */

struct client {
	pthread_t thread;
	int ok, busy, bad_status, closed, reset, timeout;
};

static pthread_barrier_t all_connected;

static void *client_main(void *arg)
{
	struct client *c = arg;
	int fd = testnet_connect(port, 30, 30);
	pthread_barrier_wait(&all_connected); /* all 64 open at once, then all send */
	if (fd < 0) {
		c->reset++;
		return NULL;
	}
	for (int i = 0; i < REQUESTS; i++) {
		struct testnet_reply r = {.end = TESTNET_RESET};
		if (send_request(fd, 1) == 0)
			testnet_read_reply(fd, &r, NULL, 0);
		if (r.end == TESTNET_CLOSED) {
			c->closed++;
		} else if (r.end == TESTNET_RESET) {
			c->reset++;
		} else if (r.end == TESTNET_TIMEOUT) {
			c->timeout++;
		} else if (r.end != TESTNET_WHOLE) {
			c->bad_status++; /* too large */
		} else if (r.status == 200) {
			c->ok++;
		} else if (r.status == 503 && r.retry_after) {
			c->busy++;
		} else {
			c->bad_status++;
		}
		if (r.end != TESTNET_WHOLE || r.close)
			break;
	}
	close(fd);
	return NULL;
}

static void test_many_connections(void)
{
	struct test_server t;
	struct cds_server *server = start(&t, NULL, 0);
	if (!server)
		return;
	static struct client clients[CLIENTS];
	pthread_barrier_init(&all_connected, NULL, CLIENTS);
	for (int i = 0; i < CLIENTS; i++)
		pthread_create(&clients[i].thread, NULL, &client_main, &clients[i]);
	struct client sum = {0};
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(clients[i].thread, NULL);
		sum.ok += clients[i].ok;
		sum.busy += clients[i].busy;
		sum.bad_status += clients[i].bad_status;
		sum.closed += clients[i].closed;
		sum.reset += clients[i].reset;
		sum.timeout += clients[i].timeout;
	}
	pthread_barrier_destroy(&all_connected);
	struct cds__server_stats st;
	cds__server_stats(server, &st);
	printf("%d connections x %d requests: %d answered 200, %d answered 503 + Retry-After, %d "
	       "other, %d closed, %d reset, %d timed out; server: %lu refused, %lu closed to make "
	       "room\n",
	       CLIENTS, REQUESTS, sum.ok, sum.busy, sum.bad_status, sum.closed, sum.reset,
	       sum.timeout, st.refused, st.evicted);
	CHECK(sum.ok + sum.busy == CLIENTS * REQUESTS, "every request answered 200 or 503: %d",
	      sum.ok + sum.busy);
	CHECK(sum.reset == 0 && sum.closed == 0 && sum.timeout == 0,
	      "no connection reset (%d), closed (%d) or timed out (%d)", sum.reset, sum.closed,
	      sum.timeout);
	CHECK(st.refused == 0 && st.evicted == 0,
	      "within the default limits: %lu refused, %lu "
	      "evicted",
	      st.refused, st.evicted);
	test_server_stop(&t);
}

/* ---- over maxConnectionsPerIp: 503, not a reset; summarised --------------------------------- */

/* Polls (10 s at most) until the server has `n` requests in flight. */
static int wait_in_flight(struct cds_server *server, unsigned long n)
{
	for (int i = 0; i < 1000; i++) {
		struct cds__server_stats st;
		cds__server_stats(server, &st);
		if (st.in_flight == n)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/* Sums N over the lines of `text` that contain `marker` followed by a count ("refused 12 "). */
static unsigned long sum_after(const char *text, const char *marker, int *lines)
{
	unsigned long sum = 0;
	*lines = 0;
	for (const char *p = text; (p = strstr(p, marker)) != NULL; p += strlen(marker)) {
		sum += strtoul(p + strlen(marker), NULL, 10);
		(*lines)++;
	}
	return sum;
}

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_refused(void)
{
	/* stderr to a file for the duration: the summaries are checked there */
	char path[] = "/tmp/cds-test-connections-XXXXXX";
	int lfd = mkstemp(path);
	CHECK(lfd >= 0, "temp file");
	if (lfd < 0)
		return;
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(lfd, STDERR_FILENO);
	close(lfd);

	const char *const opts[][2] = {
	    {"max-connections-per-ip", "16"}, {"threads", "2"}, {"header-deadline", "2"}};
	struct test_server t;
	struct cds_server *server = start(&t, opts, 3);
	unsigned long refused_total = 0;
	int held[PER_IP], extra[CLIENTS - PER_IP];
	int held_ok = 0, refused_ok = 0, refused_bad = 0, clean_close = 0;
	if (server) {
		cds__server_pause_workers(server, 1);
		for (int i = 0; i < PER_IP; i++) {
			held[i] = testnet_connect(port, 10, 10);
			CHECK(held[i] >= 0 && send_request(held[i], 0) == 0, "held %d sent", i);
		}
		CHECK(wait_in_flight(server, PER_IP), "the %d held requests are in flight", PER_IP);
		for (int i = 0; i < CLIENTS - PER_IP; i++) {
			extra[i] = testnet_connect(port, 10, 10);
			if (extra[i] < 0 || send_request(extra[i], i % 2) != 0) {
				refused_bad++;
				continue;
			}
			struct testnet_reply r;
			testnet_read_reply(extra[i], &r, NULL, 0);
			if (r.end == TESTNET_WHOLE && r.status == 503 && r.retry_after && r.close)
				refused_ok++;
			else
				refused_bad++;
			char c;
			ssize_t n = r.end == TESTNET_WHOLE ? recv(extra[i], &c, 1, 0) : -1;
			clean_close += n == 0; /* EOF: closed, not reset */
		}
		cds__server_pause_workers(server, 0);
		for (int i = 0; i < PER_IP; i++) {
			held_ok +=
			    held[i] >= 0 && testnet_read_reply(held[i], NULL, NULL, 0) == 200;
		}
		struct cds__server_stats st;
		cds__server_stats(server, &st);
		CHECK(refused_ok == CLIENTS - PER_IP,
		      "over the per-IP limit with all counted connections busy: %d of %d answered "
		      "503 + Retry-After + Connection: close (%d not)",
		      refused_ok, CLIENTS - PER_IP, refused_bad);
		CHECK(clean_close == CLIENTS - PER_IP, "then closed cleanly: %d of %d", clean_close,
		      CLIENTS - PER_IP);
		CHECK(held_ok == PER_IP, "the held requests answered 200 after: %d of %d", held_ok,
		      PER_IP);
		CHECK(st.refused == CLIENTS - PER_IP && st.refused_per_ip == st.refused &&
		          st.evicted == 0,
		      "counts: %lu refused (%lu per IP), %lu evicted", st.refused,
		      st.refused_per_ip, st.evicted);
		for (int i = 0; i < PER_IP; i++)
			close(held[i]);
		for (int i = 0; i < CLIENTS - PER_IP; i++)
			if (extra[i] >= 0)
				close(extra[i]);

		/* libmicrohttpd's messages: connections closed in the middle of their headers */
		unsigned long before = st.mhd_messages;
		for (int i = 0; i < 100; i++) {
			int fd = testnet_connect(port, 10, 10);
			static const char part[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ";
			if (fd >= 0)
				testnet_send_all(fd, part, sizeof part - 1);
			sleep_ms(2); /* read by the server before the close */
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < 1000; i++) {
			cds__server_stats(server, &st);
			if (st.mhd_messages >= before + 100)
				break;
			sleep_ms(10);
		}
		printf("libmicrohttpd messages for 100 connections closed mid-headers: %lu\n",
		       st.mhd_messages - before);
		CHECK(st.mhd_messages >= before + 90, "counted: %lu", st.mhd_messages - before);
		refused_total = st.refused; /* some of the 100 may have been refused too */
	}
	test_server_stop(&t); /* the watchdog reports what is left when it stops */
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	char *text = testkit_read(path, NULL);
	unlink(path);
	CHECK(text != NULL, "stderr captured");
	if (!text)
		return;
	for (char *p = text, *nl; *p; p = nl + 1) { /* show what is not an access-log line */
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (!strstr(p, " GET /healthz 200 ") || strstr(p, " GET /healthz 200 ") > nl)
			printf("stderr: %.*s\n", (int)(nl - p), p);
	}
	int refusal_lines = 0, mhd_lines = 0;
	unsigned long refused = sum_after(text, " refused ", &refusal_lines);
	unsigned long mhd = sum_after(text, " libmicrohttpd: ", &mhd_lines);
	printf("stderr: %d refusal summary line(s) for %lu refusals, %d libmicrohttpd line(s) for "
	       "%lu messages, %d access-log lines\n",
	       refusal_lines, refused, mhd_lines, mhd, count_lines_with(text, " GET /healthz "));
	CHECK(refused == refused_total, "the summaries count %lu refusals of %lu", refused,
	      refused_total);
	CHECK(refusal_lines >= 1 && refusal_lines <= 3,
	      "refusals summarised, not one line each: %d lines", refusal_lines);
	CHECK(strstr(text, "connections in the last second: over maxConnections") != NULL,
	      "the summary says why");
	CHECK(mhd >= 90 && mhd_lines >= 1 && mhd_lines <= 4,
	      "libmicrohttpd's %lu messages in %d summary lines", mhd, mhd_lines);
	CHECK(count_lines_with(text, "/healthz 503 ") + count_lines_with(text, "-select 503 ") == 0,
	      "no access-log line per refusal");
	CHECK(count_lines_with(text, " GET /healthz 200 ") == PER_IP, "the held requests logged");
	free(text);
}

int main(void)
{
	char path[4096];
	const char *shared = getenv("CDS_SHARED_DIR");
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared ? shared : "../shared");
	order_body = testkit_read(path, NULL);
	CHECK(order_body != NULL, "read %s", path);
	if (!order_body)
		return testkit_done();
	test_many_connections();
	test_refused();
	free(order_body);
	return testkit_done();
}
