/* test_framing.c — strict HTTP/1.1 framing (RFC 9112 §3.2, §5.1, §6.1, §6.3; issue 11 item 4):
 * starts the server in-process on 127.0.0.1 port 0 (maxBodyBytes 1024) and sends raw bytes over
 * loopback sockets (libcurl would fix the framing itself), then parses every response on the
 * connection: ambiguous framing gets exactly one 400 (501 for an unsupported coding) with
 * `Connection: close` and the connection closed, so no byte of the body is served as a second
 * request; a client sending a too-large body without `Expect: 100-continue` can send all of it
 * and then reads its 413. Bounded: every socket has 10 s send/receive timeouts; no timing
 * thresholds. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cds.h"
#include "testkit.h"
#include "testnet.h"
#include "testserver.h"

#define MAX_BODY 1024u                    /* the server's maxBodyBytes in this test */
#define DISCARD  (16ul * 1024ul * 1024ul) /* server.c SERVER_DISCARD_MAX_BYTES */
#define FEEDBACK "/cds-services/" CDS_SERVICE_ORDER_SELECT "/feedback"
#define RESP_MAX (64u * 1024u)

static unsigned port;

/* What came back on one connection. */
struct exchange {
	int sent_all;        /* the request and every body byte were sent */
	int send_errno;      /* errno of the failed send, else 0 */
	int closed;          /* the server closed the connection (EOF or reset) */
	int reset;           /* ... by a reset */
	int timed_out;       /* neither closed nor answered further within 10 s */
	char data[RESP_MAX]; /* what was received (truncated), NUL-terminated */
	size_t length;
	unsigned responses; /* complete responses parsed from data */
	unsigned status[8]; /* their status codes */
	int close_header;   /* the first response says `Connection: close` */
	int trailing;       /* bytes after the last complete response */
};

/* A loopback connection to the server with 10 s receive and send timeouts, or -1. */
static int connect_to(void)
{
	return testnet_connect(port, 10, 10);
}

/* Sends all of data; on failure records the errno in x. */
static int send_all(int fd, const char *data, size_t length, struct exchange *x)
{
	if (testnet_send_all(fd, data, length) != 0) {
		x->send_errno = errno;
		return -1;
	}
	return 0;
}

/* Parses the responses in x->data: status line, header fields, a Content-Length body (1xx, 204
 * and 304 have none). Stops at the first incomplete or unparseable one. */
static void parse(struct exchange *x)
{
	const char *p = x->data, *end = x->data + x->length;
	while (p < end) {
		const char *head_end = strstr(p, "\r\n\r\n");
		unsigned status = 0;
		if (!head_end || sscanf(p, "HTTP/1.%*1[01] %3u", &status) != 1)
			break;
		size_t body = 0;
		int close_header = 0;
		for (const char *line = strstr(p, "\r\n") + 2; line < head_end;
		     line = strstr(line, "\r\n") + 2) {
			if (strncasecmp(line, "Content-Length:", 15) == 0)
				body = strtoul(line + 15, NULL, 10);
			if (strncasecmp(line, "Connection: close", 17) == 0)
				close_header = 1;
		}
		if ((status >= 100 && status < 200) || status == 204 || status == 304)
			body = 0;
		const char *next = head_end + 4 + body;
		if (next > end)
			break;
		if (x->responses == 0)
			x->close_header = close_header;
		if (x->responses < sizeof x->status / sizeof x->status[0])
			x->status[x->responses] = status;
		x->responses++;
		p = next;
	}
	x->trailing = p < end;
}

/* Sends `request` (length bytes), then `filler` bytes of 'x' in 64 KiB pieces as a naive client
 * does (everything before reading), then reads until the server closes or 10 s pass. */
static void exchange(const char *request, size_t length, size_t filler, struct exchange *x)
{
	static char piece[64 * 1024];
	memset(x, 0, sizeof *x);
	memset(piece, 'x', sizeof piece);
	int fd = connect_to();
	if (fd < 0) {
		x->timed_out = 1;
		return;
	}
	int ok = send_all(fd, request, length, x) == 0;
	for (size_t left = filler; ok && left > 0;) {
		size_t n = left < sizeof piece ? left : sizeof piece;
		ok = send_all(fd, piece, n, x) == 0;
		left -= n;
	}
	x->sent_all = ok;
	for (;;) {
		char buf[16384];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n == 0) {
			x->closed = 1;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			x->closed = x->reset = errno == ECONNRESET || errno == EPIPE;
			x->timed_out = !x->closed;
			break;
		}
		size_t k =
		    (size_t)n < RESP_MAX - 1 - x->length ? (size_t)n : RESP_MAX - 1 - x->length;
		memcpy(x->data + x->length, buf, k);
		x->length += k;
		x->data[x->length] = '\0';
	}
	close(fd);
	parse(x);
}

/* One response with this status, `Connection: close`, nothing after it, and the connection
 * closed by the server. */
static void expect_one_and_close(const struct exchange *x, unsigned status, const char *what)
{
	CHECK(x->responses == 1, "%s: exactly one response, got %u: %.300s", what, x->responses,
	      x->data);
	CHECK(x->status[0] == status, "%s: status %u, got %u", what, status, x->status[0]);
	CHECK(x->close_header, "%s: Connection: close", what);
	CHECK(!x->trailing, "%s: nothing after the response: %.300s", what, x->data);
	CHECK(x->closed && !x->timed_out, "%s: the server closes the connection (timed out %d)",
	      what, x->timed_out);
}

static void run(const char *request, size_t filler, struct exchange *x)
{
	exchange(request, strlen(request), filler, x);
}

int main(void)
{
	static struct exchange x;
	char req[1024];
	const char *post = "POST " FEEDBACK " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                   "Content-Type: application/json\r\n";
	const char *fb = "{\"feedback\":[{\"card\":\"c1\",\"outcome\":\"overridden\","
	                 "\"overrideReason\":{\"reason\":{\"code\":\"x\",\"system\":\"y\"}},"
	                 "\"outcomeTimestamp\":\"2021-12-11T10:05:31Z\"}]}";

	curl_global_init(CURL_GLOBAL_ALL);
	char max_body[32], why[256];
	snprintf(max_body, sizeof max_body, "%u", MAX_BODY);
	const char *const opts[][2] = {{"max-body-bytes", max_body}};
	struct test_server_options so = {.opts = opts, .count = 1, .decision_log = "-"};
	struct test_server t;
	CHECK(test_server_start(&t, &so, why, sizeof why) == 0, "demo app and server: %s", why);
	if (!t.server) {
		curl_global_cleanup();
		return testkit_done();
	}
	port = t.port;

	/* Controls: sound framing is served, and the connection stays usable. */
	snprintf(req, sizeof req, "%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s", post,
	         strlen(fb), fb);
	run(req, 0, &x);
	CHECK(x.responses == 1 && x.status[0] == 200, "Content-Length feedback: %.300s", x.data);
	snprintf(req, sizeof req,
	         "%sTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
	         post, strlen(fb), fb);
	run(req, 0, &x);
	CHECK(x.responses == 1 && x.status[0] == 200, "chunked feedback: %.300s", x.data);
	run("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n",
	    0, &x);
	CHECK(x.responses == 2 && x.status[0] == 200 && x.status[1] == 200,
	      "two pipelined GETs: %u responses", x.responses);
	run("GET /healthz HTTP/1.0\r\n\r\n", 0, &x);
	CHECK(x.responses == 1 && x.status[0] == 200, "HTTP/1.0 needs no Host: %.200s", x.data);

	/* Two different Content-Length values: libmicrohttpd alone takes the first (7) and serves
	 * the rest of the body as a second request. */
	snprintf(req, sizeof req,
	         "%sContent-Length: 7\r\nContent-Length: 48\r\n\r\n{\"a\":1}"
	         "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	         post);
	run(req, 0, &x);
	expect_one_and_close(&x, 400, "two Content-Length values");
	snprintf(req, sizeof req, "%sContent-Length: 7\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
	         post);
	run(req, 0, &x);
	expect_one_and_close(&x, 400, "the same Content-Length twice");

	/* Content-Length with Transfer-Encoding: chunked (alone, the connection stayed open). */
	snprintf(
	    req, sizeof req,
	    "%sContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{\"a\":1}\r\n0\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	    post);
	run(req, 0, &x);
	expect_one_and_close(&x, 400, "Content-Length with Transfer-Encoding");

	/* Codings other than a final, single chunked (alone: no answer for 30 s). */
	snprintf(req, sizeof req,
	         "%sTransfer-Encoding: gzip, chunked\r\n\r\n7\r\n{\"a\":1}\r\n0\r\n\r\n", post);
	run(req, 0, &x);
	expect_one_and_close(&x, 501, "Transfer-Encoding: gzip, chunked");
	snprintf(req, sizeof req,
	         "%sTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", post);
	run(req, 0, &x);
	expect_one_and_close(&x, 501, "gzip and chunked on two field lines");
	snprintf(req, sizeof req, "%sTransfer-Encoding: gzip\r\n\r\n{\"a\":1}", post);
	run(req, 0, &x);
	expect_one_and_close(&x, 400, "Transfer-Encoding: gzip (chunked not final)");
	snprintf(req, sizeof req, "%sTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", post);
	run(req, 0, &x);
	expect_one_and_close(&x, 400, "chunked twice");
	run("POST " FEEDBACK " HTTP/1.0\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	    0, &x);
	expect_one_and_close(&x, 400, "Transfer-Encoding in HTTP/1.0");

	/* Whitespace between a field name and its colon: libmicrohttpd would take
	 * "Content-Length " for another field and read no body. */
	snprintf(req, sizeof req, "%sContent-Length : 7\r\n\r\n{\"a\":1}", post);
	run(req, 0, &x);
	expect_one_and_close(&x, 400, "Content-Length with a space before the colon");

	/* Host: required once in HTTP/1.1, and a host[:port]. */
	run("GET /healthz HTTP/1.1\r\n\r\n", 0, &x);
	expect_one_and_close(&x, 400, "HTTP/1.1 without Host");
	CHECK(strstr(x.data, "OperationOutcome") != NULL, "an OperationOutcome body: %.300s",
	      x.data);
	run("GET /healthz HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 0, &x);
	expect_one_and_close(&x, 400, "two Host fields");
	run("GET /healthz HTTP/1.1\r\nHost: a.example/x@b\r\n\r\n", 0, &x);
	expect_one_and_close(&x, 400, "a Host that is no host");

	/* An unparseable Content-Length is refused by libmicrohttpd 0.9.75 itself, before the
	 * server sees the request: a 400 and the connection closed, nothing served (it writes its
	 * status line and headers twice: README "Limits"). */
	snprintf(req, sizeof req, "%sContent-Length: 7, 7\r\n\r\n{\"a\":1}", post);
	run(req, 0, &x);
	CHECK(x.responses >= 1 && x.status[0] == 400 && x.closed && !strstr(x.data, " 200 "),
	      "Content-Length: 7, 7: %.200s", x.data);

	/* 413 without Expect: 100-continue: the client sends its whole 8 MiB body first, then
	 * reads the 413 (before: the connection was closed under it while it was sending). */
	size_t big = 8u * 1024u * 1024u;
	snprintf(req, sizeof req, "%sContent-Length: %zu\r\n\r\n", post, big);
	run(req, big, &x);
	CHECK(x.sent_all, "the whole oversized body could be sent (errno %d)", x.send_errno);
	expect_one_and_close(&x, 413, "oversized body, no Expect");
	CHECK(!x.reset, "413: closed without a reset");
	/* ... with Expect: 100-continue: 413 at once, no 100 Continue, no body read. */
	snprintf(req, sizeof req, "%sContent-Length: %zu\r\nExpect: 100-continue\r\n\r\n", post,
	         big);
	run(req, 0, &x);
	expect_one_and_close(&x, 413, "oversized body, Expect: 100-continue");
	/* ... declared far past the limit: 413 at once, the body is not read. */
	snprintf(req, sizeof req, "%sContent-Length: %lu\r\n\r\n", post,
	         (unsigned long)MAX_BODY + DISCARD + 1ul);
	run(req, 0, &x);
	expect_one_and_close(&x, 413, "declared past the discard bound");
	/* ... chunked and over the limit: read and thrown away, then 413. */
	char chunk_head[64];
	snprintf(req, sizeof req, "%sTransfer-Encoding: chunked\r\n\r\n", post);
	snprintf(chunk_head, sizeof chunk_head, "%x\r\n", 2 * MAX_BODY);
	char *chunked = malloc(strlen(req) + strlen(chunk_head) + 2 * MAX_BODY + 16);
	if (chunked) {
		size_t n = (size_t)snprintf(chunked, strlen(req) + strlen(chunk_head) + 1, "%s%s",
		                            req, chunk_head);
		memset(chunked + n, ' ', 2 * MAX_BODY);
		memcpy(chunked + n + 2 * MAX_BODY, "\r\n0\r\n\r\n", 8);
		run(chunked, 0, &x);
		expect_one_and_close(&x, 413, "chunked body over the limit");
	}
	free(chunked);
	/* ... chunked and past the discard bound: the connection is closed mid-body, unanswered
	 * (no reply can be queued there), instead of reading on. */
	snprintf(req, sizeof req, "%sTransfer-Encoding: chunked\r\n\r\n", post);
	size_t piece = 1024u * 1024u, pieces = (DISCARD / piece) + 8;
	{
		int fd = connect_to();
		int failed = 0;
		memset(&x, 0, sizeof x);
		char *buf = malloc(piece + 32);
		CHECK(fd >= 0 && buf, "connect");
		if (fd >= 0 && buf && send_all(fd, req, strlen(req), &x) == 0) {
			int h = snprintf(buf, 32, "%zx\r\n", piece);
			memset(buf + h, ' ', piece);
			memcpy(buf + h + piece, "\r\n", 2);
			for (size_t i = 0; i < pieces && !failed; i++)
				failed = send_all(fd, buf, (size_t)h + piece + 2, &x) != 0;
		}
		CHECK(failed && (x.send_errno == EPIPE || x.send_errno == ECONNRESET),
		      "a chunked body past the bound is cut off (errno %d)", x.send_errno);
		free(buf);
		if (fd >= 0)
			close(fd);
	}

	/* Still serving, no slot left held. */
	run("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 0, &x);
	CHECK(x.responses == 1 && x.status[0] == 200, "healthz afterwards: %.200s", x.data);

	test_server_stop(&t);
	curl_global_cleanup();
	return testkit_done();
}
