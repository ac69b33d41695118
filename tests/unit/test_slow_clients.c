/* test_slow_clients.c — slow and hostile peers must not take the service down (issue 11 items 1,
 * 2 and 8). Starts the server in-process on 127.0.0.1 port 0 and, over loopback sockets only:
 *  - deadlines: a connection trickling its headers, and one trickling its body, a byte every
 *    200 ms (never idle), are closed at the header and body deadlines;
 *  - the attack of issue 11: 300 connections trickling headers from 10 addresses (127.0.0.2-11)
 *    and 64 POSTs trickling bodies from 4 more, each reopened when the server closes it, while
 *    another address (127.0.0.1) probes /healthz and sends real order-select requests on new
 *    connections: >= 90 % of each kind are answered 200; the server closed late headers, late
 *    bodies and made room by closing waiting connections; afterwards no request is in flight and
 *    no connection is counted, and the next probe gets 200;
 *  - in-flight accounting: with the workers paused, maxInFlight complete requests are held and
 *    every further one gets 503 with Retry-After, whether threads < or > maxInFlight; a held
 *    request whose client went away and the answered ones all give their slot back;
 *  - a burst of 200 keep-alive connections with 5 pipelined requests each: every connection gets
 *    its 5 responses (200, or 503 with Retry-After), then no slot is left in flight.
 * Deterministic pass/fail: answered probes, responses per connection and slots are counted; the
 * only times are generous bounds (socket timeouts of 5-10 s, deadlines of 2-3 s checked against
 * 10 s). Latencies are printed, not checked. Needs ~900 file descriptors: SKIP (exit 0 with a
 * SKIP line) when the process cannot have them, or when 127.0.0.x source addresses cannot be
 * bound. About 30 s. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cds_internal.h"
#include "testkit.h"
#include "testnet.h"
#include "testserver.h"

#define SELECT       "/cds-services/" CDS_SERVICE_ORDER_SELECT
#define SLOW_HEADERS 300 /* from 10 addresses */
#define SLOW_BODIES  64  /* from 4 addresses */
#define ATTACK_MS    16000
#define WARMUP_MS    3000
#define PROBE_GAP_MS 150
#define FDS_NEEDED   900

static unsigned port;
static char *order_body; /* the UK order-select example */

/* A TCP connection to the server from 127.0.0.`host` (blocking, with `timeout_s` send and receive
 * timeouts; connect is bounded by the send timeout), or nonblocking when timeout_s is 0. */
static int open_from(int host, int timeout_s)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)host);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	if (timeout_s > 0) {
		struct timeval tv = {timeout_s, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	} else {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads the only response expected on fd: its status (0: none within the socket timeout, or
 * closed) and whether it carried Retry-After. */
static unsigned read_response(int fd, int *retry_after)
{
	struct testnet_reply r;
	unsigned status = testnet_read_reply(fd, &r, NULL, 0);
	*retry_after = r.retry_after;
	return status;
}

/* Waits until the peer closes fd (1) or `limit_ms` passes (0), sending one byte of `drip` every
 * 200 ms meanwhile. */
static int trickle_until_closed(int fd, char drip, long long limit_ms)
{
	long long until = now_ms() + limit_ms;
	while (now_ms() < until) {
		char c;
		ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return 1;
		if (send(fd, &drip, 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
			return 1;
		sleep_ms(200);
	}
	return 0;
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

/* Polls the server's counts until in_flight (and connections, when want_conns) reach 0, for at
 * most 10 s; returns the last counts. */
static struct cds__server_stats settle(struct cds_server *server, int want_conns)
{
	struct cds__server_stats st;
	for (int i = 0; i < 200; i++) {
		cds__server_stats(server, &st);
		if (st.in_flight == 0 && (!want_conns || st.connections == 0))
			break;
		sleep_ms(50);
	}
	return st;
}

/* One probe on a new connection from 127.0.0.1: GET /healthz, or POST order-select. Returns the
 * status (0: no answer within 5 s) and its latency in *ms. */
static unsigned probe(int order, long long *ms)
{
	long long t0 = now_ms();
	unsigned status = 0;
	int ra;
	int fd = open_from(1, 5);
	if (fd >= 0) {
		if (testnet_send_request(fd, order ? "POST" : "GET", order ? SELECT : "/healthz",
		                         order ? order_body : NULL) == 0)
			status = read_response(fd, &ra);
		close(fd);
	}
	*ms = now_ms() - t0;
	return status;
}

/* ---- deadlines ----------------------------------------------------------------------------- */

static void test_deadlines(void)
{
	const char *const opts[][2] = {
	    {"header-deadline", "2"}, {"body-deadline", "3"}, {"idle-timeout", "60"}};
	struct test_server t;
	struct cds_server *server = start(&t, opts, sizeof opts / sizeof opts[0]);
	if (!server)
		return;
	/* Headers trickled 5 bytes a second (the idle timeout, 60 s, never fires): closed at the
	 * 2 s header deadline, well before 10 s. */
	int fd = open_from(1, 5);
	CHECK(fd >= 0 && testnet_send_all(fd, "GET /healthz HTTP/1.1\r\nX-A: ", 28) == 0,
	      "slow headers");
	long long t0 = now_ms();
	CHECK(fd >= 0 && trickle_until_closed(fd, 'a', 10000), "trickled headers closed");
	long long took = now_ms() - t0;
	CHECK(took >= 1500, "not before the header deadline (%lld ms)", took);
	printf("slow headers closed after %lld ms (deadline 2 s)\n", took);
	if (fd >= 0)
		close(fd);
	/* A body trickled the same way: closed at the 3 s body deadline. */
	fd = open_from(1, 5);
	const char head[] =
	    "POST " SELECT " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	    "Content-Length: 100000\r\n\r\n{";
	CHECK(fd >= 0 && testnet_send_all(fd, head, sizeof head - 1) == 0, "slow body");
	t0 = now_ms();
	CHECK(fd >= 0 && trickle_until_closed(fd, ' ', 10000), "trickled body closed");
	took = now_ms() - t0;
	CHECK(took >= 2500, "not before the body deadline (%lld ms)", took);
	printf("slow body closed after %lld ms (deadline 3 s)\n", took);
	if (fd >= 0)
		close(fd);
	/* Neither held a request slot; a request is answered. */
	struct cds__server_stats st = settle(server, 1);
	CHECK(st.in_flight == 0 && st.connections == 0, "nothing left: %lu in flight, %lu open",
	      st.in_flight, st.connections);
	CHECK(st.header_deadline_drops == 1 && st.body_deadline_drops == 1,
	      "one drop each: %lu headers, %lu bodies", st.header_deadline_drops,
	      st.body_deadline_drops);
	long long ms;
	CHECK(probe(0, &ms) == 200, "answered after");
	test_server_stop(&t);
}

/* ---- the attack ------------------------------------------------------------------------------ */

struct attacker {
	int fd;      /* -1: to reopen */
	int host;    /* 127.0.0.host */
	int body;    /* trickles a body (else headers) */
	int started; /* its request head was sent */
};

static struct attacker attackers[SLOW_HEADERS + SLOW_BODIES];
static atomic_int attack_stop;
static atomic_long attack_reopened;

static void *attack_main(void *arg)
{
	(void)arg;
	static const char slow_head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	static const char body_head[] = "POST " SELECT " HTTP/1.1\r\nHost: x\r\nContent-Type: "
	                                "application/json\r\nContent-Length: 100000\r\n\r\n{";
	while (!atomic_load(&attack_stop)) {
		for (size_t i = 0; i < sizeof attackers / sizeof attackers[0]; i++) {
			struct attacker *a = &attackers[i];
			if (a->fd < 0) {
				a->fd = open_from(a->host, 0);
				a->started = 0;
				atomic_fetch_add(&attack_reopened, 1);
				continue;
			}
			char c;
			ssize_t n = recv(a->fd, &c, 1, MSG_DONTWAIT);
			int gone = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			                      errno != ENOTCONN);
			if (!gone && !a->started) {
				const char *h = a->body ? body_head : slow_head;
				size_t len = a->body ? sizeof body_head - 1 : sizeof slow_head - 1;
				n = send(a->fd, h, len, MSG_NOSIGNAL);
				if (n == (ssize_t)len)
					a->started = 1;
				else if (n >= 0 || (errno != EAGAIN && errno != ENOTCONN))
					gone = 1; /* partial or failed: start again */
			} else if (!gone) {
				char drip = a->body ? ' ' : 'a';
				if (send(a->fd, &drip, 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
					gone = 1;
			}
			if (gone) {
				close(a->fd);
				a->fd = -1;
			}
		}
		sleep_ms(250); /* 4 bytes a second on every connection: never idle */
	}
	for (size_t i = 0; i < sizeof attackers / sizeof attackers[0]; i++)
		if (attackers[i].fd >= 0)
			close(attackers[i].fd);
	return NULL;
}

static void test_attack(void)
{
	const char *const opts[][2] = {
	    {"header-deadline", "2"}, {"body-deadline", "3"}, {"threads", "2"}};
	struct test_server t;
	struct cds_server *server = start(&t, opts, sizeof opts / sizeof opts[0]);
	if (!server)
		return;
	for (int i = 0; i < SLOW_HEADERS + SLOW_BODIES; i++) {
		attackers[i].fd = -1;
		attackers[i].body = i >= SLOW_HEADERS;
		attackers[i].host = i < SLOW_HEADERS ? 2 + i % 10 : 12 + (i - SLOW_HEADERS) % 4;
	}
	atomic_store(&attack_stop, 0);
	pthread_t attack;
	CHECK(pthread_create(&attack, NULL, &attack_main, NULL) == 0, "attack thread");
	sleep_ms(WARMUP_MS); /* every attacker connected, the first deadlines passed */
	unsigned sent[2] = {0, 0}, ok[2] = {0, 0}, fast[2] = {0, 0};
	long long worst[2] = {0, 0};
	long long until = now_ms() + ATTACK_MS - WARMUP_MS;
	for (int k = 0; now_ms() < until; k++) {
		int order = k % 2;
		long long ms;
		unsigned status = probe(order, &ms);
		sent[order]++;
		ok[order] += status == 200;
		fast[order] += status == 200 && ms <= 1000;
		if (ms > worst[order])
			worst[order] = ms;
		sleep_ms(PROBE_GAP_MS);
	}
	struct cds__server_stats during;
	cds__server_stats(server, &during);
	atomic_store(&attack_stop, 1);
	pthread_join(attack, NULL);
	printf("under %d slow-header + %d slow-body connections (%ld opened): /healthz %u/%u "
	       "answered (%u within 1 s, slowest %lld ms), order-select %u/%u (%u within 1 s, "
	       "slowest %lld ms); server closed %lu late headers, %lu late bodies, %lu to make "
	       "room, refused %lu\n",
	       SLOW_HEADERS, SLOW_BODIES, (long)atomic_load(&attack_reopened), ok[0], sent[0],
	       fast[0], worst[0], ok[1], sent[1], fast[1], worst[1], during.header_deadline_drops,
	       during.body_deadline_drops, during.evicted, during.refused);
	CHECK(sent[0] >= 10 && ok[0] * 10 >= sent[0] * 9, "/healthz answered %u of %u", ok[0],
	      sent[0]);
	CHECK(sent[1] >= 10 && ok[1] * 10 >= sent[1] * 9, "order-select answered %u of %u", ok[1],
	      sent[1]);
	/* 364 attackers > maxConnections 256: the oldest waiting connection makes room for each
	 * new one, which closes most slow-header connections before their deadline does. */
	CHECK(during.evicted > 0, "waiting connections closed to make room (%lu)", during.evicted);
	CHECK(during.body_deadline_drops > 0, "late bodies closed");
	struct cds__server_stats after = settle(server, 1);
	CHECK(after.in_flight == 0, "no request left in flight: %lu", after.in_flight);
	CHECK(after.connections == 0, "no connection left counted: %lu", after.connections);
	long long ms;
	CHECK(probe(0, &ms) == 200, "/healthz 200 once the load stopped");
	test_server_stop(&t);
}

/* ---- in-flight accounting -------------------------------------------------------------------- */

/* With the workers paused, `max` held requests fill maxInFlight; `extra` more get 503 with
 * Retry-After; one held client goes away; all slots come back. */
static void test_in_flight(const char *threads, const char *max, int extra)
{
	const char *const opts[][2] = {
	    {"threads", threads}, {"max-in-flight", max}, {"retry-after", "3"}};
	struct test_server t;
	struct cds_server *server = start(&t, opts, sizeof opts / sizeof opts[0]);
	if (!server)
		return;
	const int held = atoi(max);
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	int fds[64];
	cds__server_pause_workers(server, 1);
	struct cds__server_stats st;
	for (int i = 0; i < held; i++) {
		fds[i] = open_from(1, 10);
		CHECK(fds[i] >= 0 && testnet_send_all(fds[i], req, sizeof req - 1) == 0, "held %d",
		      i);
	}
	for (int i = 0; i < 200; i++) { /* until all are counted */
		cds__server_stats(server, &st);
		if (st.in_flight == (unsigned long)held)
			break;
		sleep_ms(50);
	}
	CHECK(st.in_flight == (unsigned long)held && st.queued == (unsigned long)held,
	      "threads %s: %lu in flight, %lu queued", threads, st.in_flight, st.queued);
	int busy = 0;
	for (int i = 0; i < extra; i++) {
		int fd = open_from(1, 10), ra = 0;
		unsigned status = fd >= 0 && testnet_send_all(fd, req, sizeof req - 1) == 0
		                      ? read_response(fd, &ra)
		                      : 0;
		busy += status == 503 && ra;
		if (fd >= 0)
			close(fd);
	}
	CHECK(busy == extra, "threads %s, maxInFlight %s: %d of %d got 503 + Retry-After", threads,
	      max, busy, extra);
	close(fds[0]); /* a client gone before its answer */
	cds__server_pause_workers(server, 0);
	int answered = 0;
	for (int i = 1; i < held; i++) {
		int ra;
		answered += read_response(fds[i], &ra) == 200;
		close(fds[i]);
	}
	CHECK(answered == held - 1, "held requests answered: %d of %d", answered, held - 1);
	st = settle(server, 0);
	CHECK(st.in_flight == 0, "every slot given back: %lu", st.in_flight);
	long long ms;
	CHECK(probe(0, &ms) == 200, "200 right after");
	test_server_stop(&t);
}

/* 200 connections from one address (maxConnectionsPerIp 256, as behind a proxy), 5 pipelined
 * requests each, threads 8 and maxInFlight 4. */
static void test_burst(void)
{
	const char *const opts[][2] = {
	    {"threads", "8"}, {"max-in-flight", "4"}, {"max-connections-per-ip", "256"}};
	struct test_server t;
	struct cds_server *server = start(&t, opts, sizeof opts / sizeof opts[0]);
	if (!server)
		return;
	enum { CONNS = 200, PIPELINED = 5 };
	static int fds[CONNS];
	char five[256] = "";
	for (int i = 0; i < PIPELINED; i++)
		strcat(five, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	for (int i = 0; i < CONNS; i++) {
		fds[i] = open_from(1, 10);
		if (fds[i] >= 0 && testnet_send_all(fds[i], five, strlen(five)) != 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	unsigned complete = 0, ok = 0, busy = 0, bad = 0;
	static struct testnet_reader r;
	for (int i = 0; i < CONNS; i++) {
		int got = 0;
		r.got = 0;
		for (int k = 0; k < PIPELINED && fds[i] >= 0; k++) {
			struct testnet_reply reply;
			unsigned status = testnet_read_next(fds[i], &r, &reply, NULL, 0);
			if (!status)
				break;
			got++;
			ok += status == 200;
			busy += status == 503;
			bad += (status == 503 && !reply.retry_after) ||
			       (status != 200 && status != 503);
		}
		complete += got == PIPELINED;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	printf("burst: %u of %d connections got all %d responses: %u x 200, %u x 503\n", complete,
	       CONNS, PIPELINED, ok, busy);
	CHECK(complete == CONNS, "every connection answered %d times (%u of %d)", PIPELINED,
	      complete, CONNS);
	CHECK(bad == 0, "%u answers neither 200 nor 503 + Retry-After", bad);
	struct cds__server_stats st = settle(server, 1);
	CHECK(st.in_flight == 0 && st.connections == 0, "after the burst: %lu in flight, %lu open",
	      st.in_flight, st.connections);
	long long ms;
	CHECK(probe(0, &ms) == 200, "200 right after the burst");
	test_server_stop(&t);
}

int main(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FDS_NEEDED) {
		rl.rlim_cur = rl.rlim_max < FDS_NEEDED ? rl.rlim_max : FDS_NEEDED;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < FDS_NEEDED) {
		printf("SKIP test_slow_clients: %d file descriptors needed, %lu allowed\n",
		       FDS_NEEDED, (unsigned long)rl.rlim_cur);
		return 0;
	}
	int b = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7f00000fu); /* 127.0.0.15 */
	int can_bind = b >= 0 && bind(b, (struct sockaddr *)&a, sizeof a) == 0;
	if (b >= 0)
		close(b);
	if (!can_bind) {
		printf("SKIP test_slow_clients: cannot bind 127.0.0.x source addresses\n");
		return 0;
	}
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared ? shared : "../shared");
	order_body = testkit_read(path, NULL);
	CHECK(order_body != NULL, "read %s", path);
	if (!order_body)
		return testkit_done();
	test_deadlines();
	test_in_flight("1", "4", 6); /* fewer threads than maxInFlight */
	test_in_flight("8", "2", 6); /* more */
	test_burst();
	test_attack();
	free(order_body);
	return testkit_done();
}
