/* shutdown_load.c — SIGTERM under load (issue 14 item 3), end to end on the real `serve` binary,
 * over loopback. A FHIR server that holds every request until told to answer keeps HELD
 * order-select requests in flight (their prefetch lacks the conditions a policy requires; the
 * service fetches them); /metrics must say HELD fetches in progress. Then SIGTERM, sent right
 * after a whole request on a brand-new connection (answered in full whether libmicrohttpd had
 * accepted it or it was still in the kernel's backlog):
 *  - scenario "release" (grace 30 s): an idle kept-alive connection is closed by the server
 *    without a byte; a request whose body was half sent before the signal is answered in full,
 *    with `Connection: close`; a new connection is refused at connect (one that got in before
 *    the listener closed must be answered in full); once the FHIR server answers, each held
 *    request gets a whole reply; the exit status is 0 and the decision log is whole lines;
 *  - scenario "expire" (grace 1 s, the FHIR server never answers): each held request still
 *    gets a whole reply (its fetch ended, data unavailable: 412) and the exit status is 0.
 * No request that was accepted goes unanswered. Pass/fail counts answers and exit statuses,
 * never durations; every wait is bounded. Usage: shutdown_load BINARY SOURCE_DIR */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "serve_child.h"
#include "stallserver.h"
#include "testdir.h"
#include "testkit.h"
#include "testnet.h"

#define HELD   6
#define QUICK  10
#define SELECT "/cds-services/commissioning-order-select"

/* ---- HTTP by hand --------------------------------------------------------------------------- */

/* Reads an interim response's head (up to the blank line); its status, 0 on failure. */
static unsigned read_interim(int fd)
{
	char buf[1024];
	size_t got = 0;
	while (got + 1 < sizeof buf) {
		if (recv(fd, buf + got, 1, 0) != 1)
			return 0;
		got++;
		buf[got] = '\0';
		if (got >= 4 && strcmp(buf + got - 4, "\r\n\r\n") == 0) {
			unsigned status = 0;
			sscanf(buf, "HTTP/1.%*d %u", &status);
			return status;
		}
	}
	return 0;
}

/* ---- the service ------------------------------------------------------------------------------
 */

/* Polls /metrics until `line` appears (at most 20 s); 1 when it did. */
static int wait_metric(unsigned port, const char *line)
{
	static char body[262144];
	for (int i = 0; i < 200; i++) {
		if (testnet_exchange(port, 30, "GET", "/metrics", NULL, body, sizeof body) == 200 &&
		    strstr(body, line))
			return 1;
		sleep_ms(100);
	}
	return 0;
}

static void scenario(const char *bin, const char *source, const char *dir, int release)
{
	const char *name = release ? "release" : "expire";
	const char *grace = release ? "30" : "1";
	char err_path[512], log_path[512], text[65536];
	struct stall_server *fhir = NULL;
	struct serve_child child = {.pid = -1};
	struct testnet_reply reply;
	unsigned port = 0;
	int held[HELD], half = -1, idle = -1;
	for (int i = 0; i < HELD; i++)
		held[i] = -1;
	snprintf(err_path, sizeof err_path, "%s/%s.err", dir, name);
	snprintf(log_path, sizeof log_path, "%s/%s.log", dir, name);
	CHECK(stall_server_start(&fhir) == 0, "%s: the holding FHIR server starts", name);
	char *body = fhir ? stall_server_request(fhir, source, "shutdown-test-token") : NULL;
	char path[1024];
	snprintf(path, sizeof path, "%s/../shared/examples/uk-msk-order-select-knee-injection.json",
	         source);
	char *quick = testkit_read(path, NULL);
	const char *const args[] = {"serve",  "--port",
	                            "0",      "--decision-log",
	                            log_path, "--shutdown-grace",
	                            grace,    "--fetch-budget-ms",
	                            "600000", NULL};
	if (serve_child_start(&child, bin, args, err_path, NULL, NULL) == 0)
		port = serve_child_port(&child, 20000);
	CHECK(port && body && quick, "%s: serve starts and the bodies load", name);
	if (!port || !body || !quick)
		goto out;

	/* Load before the signal: quick requests answered, HELD held by the FHIR server. */
	unsigned ok = 0;
	for (int i = 0; i < QUICK; i++)
		ok += testnet_exchange(port, 30, "POST", SELECT, quick, text, sizeof text) == 200;
	CHECK(ok == QUICK, "%s: %u of %d quick requests answered 200", name, ok, QUICK);
	char want[160];
	snprintf(want, sizeof want,
	         "\ncds_http_requests_total{endpoint=\"service\",service=\"commissioning-order-"
	         "select\",status=\"200\"} %d\n",
	         QUICK);
	CHECK(wait_metric(port, want), "%s: /metrics counts the %d quick requests", name, QUICK);
	CHECK(testnet_exchange(port, 30, "GET", "/readyz", NULL, text, sizeof text) == 200,
	      "%s: ready before the signal", name);
	char head[512];
	for (int i = 0; i < HELD; i++) {
		held[i] = testnet_connect(port, 60, 30);
		CHECK(held[i] >= 0 && testnet_send_request(held[i], "POST", SELECT, body) == 0,
		      "%s: held request %d sent", name, i);
	}
	snprintf(want, sizeof want, "\ncds_fhir_fetches_in_progress %d\n", HELD);
	CHECK(wait_metric(port, want), "%s: /metrics shows %d fetches in progress", name, HELD);
	if (release) {
		/* an idle kept-alive connection, and one whose body is half sent */
		idle = testnet_connect(port, 30, 30);
		CHECK(idle >= 0 && testnet_send_request(idle, "GET", "/healthz", NULL) == 0 &&
		          testnet_read_reply(idle, &reply, text, sizeof text) == 200 &&
		          !reply.close,
		      "%s: kept-alive connection answered and kept open", name);
		/* `Expect: 100-continue`: the interim 100 shows the server has the headers (the
		 * connection is accepted and the request begun), not the kernel's backlog. */
		half = testnet_connect(port, 30, 30);
		snprintf(head, sizeof head,
		         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		         "Content-Length: %zu\r\nExpect: 100-continue\r\n\r\n",
		         SELECT, strlen(quick));
		size_t part = strlen(quick) / 2;
		CHECK(half >= 0 && testnet_send_all(half, head, strlen(head)) == 0 &&
		          read_interim(half) == 100 && testnet_send_all(half, quick, part) == 0,
		      "%s: half a request sent after its 100 Continue", name);
	}

	/* a whole request on a new connection right before the signal: accepted by then or
	 * still in the kernel's backlog, it must be answered in full either way */
	int late = testnet_connect(port, 30, 30);
	CHECK(late >= 0 && testnet_send_request(late, "GET", "/readyz", NULL) == 0,
	      "%s: a late request sent", name);
	serve_child_signal(&child, SIGTERM);
	CHECK(serve_child_wait_log(&child, "SIGTERM received, stopping", 20000),
	      "%s: the stop is announced", name);
	if (release) {
		/* A new connection is refused once the listener is closed; any that got in just
		 * before must be answered in full. */
		int refused = 0, answered_before = 0, lost = 0;
		for (int i = 0; i < 200 && !refused; i++) {
			int fd = testnet_connect(port, 30, 30);
			if (fd < 0) {
				refused = errno == ECONNREFUSED;
				break;
			}
			if (testnet_send_request(fd, "GET", "/readyz", NULL) == 0 &&
			    testnet_read_reply(fd, NULL, text, sizeof text))
				answered_before++;
			else
				lost++;
			close(fd);
			sleep_ms(10);
		}
		CHECK(refused, "%s: a new connection is refused after SIGTERM", name);
		CHECK(lost == 0,
		      "%s: %d connections accepted after the signal went unanswered "
		      "(%d answered)",
		      name, lost, answered_before);
		/* the idle kept-alive connection: closed by the server, nothing sent */
		struct pollfd p = {idle, POLLIN, 0};
		ssize_t n = poll(&p, 1, 20000) == 1 ? recv(idle, text, sizeof text, 0) : -2;
		CHECK(n == 0 || (n < 0 && n != -2), "%s: the idle connection is closed (%zd)", name,
		      n);
		/* the half-sent request: finished and answered in full, Connection: close */
		size_t part = strlen(quick) / 2;
		CHECK(testnet_send_all(half, quick + part, strlen(quick) - part) == 0 &&
		          testnet_read_reply(half, &reply, text, sizeof text) == 200 && reply.close,
		      "%s: the request in progress is answered 200 with Connection: close", name);
		stall_server_release(fhir); /* the FHIR server answers now (404: not found) */
	}
	/* Released: the FHIR server's answer is what they report (the grace was waited for);
	 * expired: their fetches were ended by the stop. */
	unsigned late_status = late >= 0 ? testnet_read_reply(late, NULL, text, sizeof text) : 0;
	CHECK(late_status == 200 || late_status == 503,
	      "%s: the late request answered in full (%u)", name, late_status);
	if (late >= 0)
		close(late);
	unsigned answered = 0, cancelled = 0;
	for (int i = 0; i < HELD; i++) {
		unsigned status =
		    held[i] >= 0 ? testnet_read_reply(held[i], NULL, text, sizeof text) : 0;
		answered += status == 412 || status == 200;
		cancelled += strstr(text, "the service is stopping") != NULL;
		if (status != 412 && status != 200)
			fprintf(stderr, "%s: held request %d: status %u\n", name, i, status);
	}
	CHECK(answered == HELD, "%s: %u of %d held requests answered in full", name, answered,
	      HELD);
	CHECK(cancelled == (release ? 0u : HELD), "%s: %u of them report a fetch cut by the stop",
	      name, cancelled);
	int rc = serve_child_wait(&child, 60000);
	CHECK(rc == 0, "%s: serve exits 0 (got %d)", name, rc);
	size_t log_length = 0;
	char *log = testkit_read(log_path, &log_length);
	size_t lines = 0, whole = 0;
	for (char *line = log; line && *line;) {
		char *nl = strchr(line, '\n');
		lines++;
		whole += nl && line[0] == '{' && nl[-1] == '}';
		line = nl ? nl + 1 : line + strlen(line);
	}
	CHECK(log && lines >= QUICK && whole == lines,
	      "%s: the decision log is %zu whole lines (of %zu)", name, whole, lines);
	free(log);
	if (!release)
		CHECK(serve_child_wait_log(&child, "still unfinished after 1s", 20000),
		      "%s: the expired grace is reported", name);
out:
	for (int i = 0; i < HELD; i++)
		if (held[i] >= 0)
			close(held[i]);
	if (half >= 0)
		close(half);
	if (idle >= 0)
		close(idle);
	serve_child_kill(&child);
	stall_server_stop(fhir);
	free(body);
	free(quick);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: shutdown_load BINARY SOURCE_DIR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char dir[256];
	if (testdir_make(dir, sizeof dir, "shutdown") != 0) {
		perror("temporary folder");
		return 1;
	}
	scenario(argv[1], argv[2], dir, 1);
	scenario(argv[1], argv[2], dir, 0);
	(void)testdir_remove(dir);
	return testkit_done();
}
