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
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "testkit.h"
#include "testnet.h"

#define HELD   6
#define QUICK  10
#define SELECT "/cds-services/commissioning-order-select"

/* ---- a FHIR server that holds every request until released ---------------------------------- */

struct hold {
	int listen_fd;
	unsigned port;
	pthread_t thread;
	atomic_int stop, release;
	atomic_ulong received;
	int fds[256];
	size_t count;
};

static void answer_404(int fd)
{
	static const char reply[] =
	    "HTTP/1.1 404 Not Found\r\nContent-Type: application/fhir+json\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	(void)!send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL);
	close(fd);
}

static void *hold_main(void *arg)
{
	struct hold *h = arg;
	while (!atomic_load(&h->stop)) {
		struct pollfd p = {h->listen_fd, POLLIN, 0};
		if (atomic_load(&h->release)) {
			for (size_t i = 0; i < h->count; i++)
				answer_404(h->fds[i]);
			h->count = 0;
		}
		if (poll(&p, 1, 20) <= 0)
			continue;
		int fd = accept(h->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		char buf[4096];
		(void)!recv(fd, buf, sizeof buf, 0); /* one GET, headers only */
		atomic_fetch_add(&h->received, 1);
		if (atomic_load(&h->release) || h->count == sizeof h->fds / sizeof h->fds[0])
			answer_404(fd);
		else
			h->fds[h->count++] = fd;
	}
	for (size_t i = 0; i < h->count; i++)
		close(h->fds[i]);
	return NULL;
}

static int hold_start(struct hold *h)
{
	memset(h, 0, sizeof *h);
	h->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (h->listen_fd < 0 || bind(h->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(h->listen_fd, 64) != 0 ||
	    getsockname(h->listen_fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	h->port = ntohs(a.sin_port);
	return pthread_create(&h->thread, NULL, &hold_main, h) == 0 ? 0 : -1;
}

static void hold_stop(struct hold *h)
{
	atomic_store(&h->stop, 1);
	pthread_join(h->thread, NULL);
	close(h->listen_fd);
}

/* ---- HTTP by hand --------------------------------------------------------------------------- */

static int send_text(int fd, const char *text)
{
	return testnet_send_all(fd, text, strlen(text));
}

/* The head of a request; with a body, its Content-Length. */
static void request_head(char *buf, size_t size, const char *method, const char *path,
                         size_t body_length)
{
	if (body_length)
		snprintf(buf, size,
		         "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		         "Content-Length: %zu\r\n\r\n",
		         method, path, body_length);
	else
		snprintf(buf, size, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", method, path);
}

/* One whole Content-Length framed reply: its status (0: none, or cut short), its body in `body`
 * (size bytes) and whether it said `Connection: close`. */
static unsigned read_reply(int fd, char *body, size_t size, int *close_hdr)
{
	static char buf[262144];
	size_t got = 0;
	body[0] = '\0';
	*close_hdr = 0;
	for (;;) {
		buf[got] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end) {
			unsigned status = 0;
			size_t want = 0;
			sscanf(buf, "HTTP/1.%*d %u", &status);
			for (char *p = buf; p < end; p++) {
				if (strncasecmp(p, "\r\nContent-Length:", 17) == 0)
					want = strtoul(p + 17, NULL, 10);
				if (strncasecmp(p, "\r\nConnection: close", 19) == 0)
					*close_hdr = 1;
			}
			size_t head = (size_t)(end + 4 - buf);
			if (want > sizeof buf - 1 - head)
				return 0;
			while (got < head + want) {
				ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
				if (n <= 0)
					return 0; /* cut short: not a whole reply */
				got += (size_t)n;
			}
			snprintf(body, size, "%.*s", (int)want, buf + head);
			return status;
		}
		if (got + 1 >= sizeof buf)
			return 0;
		ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
}

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

/* A whole exchange on a new connection: the status (0: no connection or no whole reply). */
static unsigned exchange(unsigned port, const char *method, const char *path, const char *body,
                         char *out, size_t size)
{
	char head[512];
	int close_hdr = 0;
	int fd = testnet_connect(port, 30, 30);
	if (fd < 0)
		return 0;
	request_head(head, sizeof head, method, path, body ? strlen(body) : 0);
	unsigned status = 0;
	if (send_text(fd, head) == 0 && (!body || send_text(fd, body) == 0))
		status = read_reply(fd, out, size, &close_hdr);
	close(fd);
	return status;
}

/* ---- the service ------------------------------------------------------------------------------
 */

/* The 412 vector's request (no conditions prefetched) pointed at the holding FHIR server. NEW. */
static char *held_body(const char *source, unsigned fhir_port)
{
	char path[1024], base[64];
	snprintf(path, sizeof path,
	         "%s/tests/vectors/412-hny142-conditions-not-prefetched/request.json", source);
	char *text = testkit_read(path, NULL);
	cJSON *req = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!req)
		return NULL;
	snprintf(base, sizeof base, "http://127.0.0.1:%u/fhir", fhir_port);
	cJSON_DeleteItemFromObjectCaseSensitive(req, "fhirServer");
	cJSON_AddStringToObject(req, "fhirServer", base);
	cJSON *auth = cJSON_AddObjectToObject(req, "fhirAuthorization");
	cJSON_AddStringToObject(auth, "access_token", "shutdown-test-token");
	cJSON_AddStringToObject(auth, "token_type", "Bearer");
	cJSON_AddNumberToObject(auth, "expires_in", 300);
	cJSON_AddStringToObject(auth, "scope", "patient/*.read");
	cJSON_AddStringToObject(auth, "subject", "cds-commissioning");
	char *body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	return body;
}

/* Starts `serve` with stderr to err_path; returns its pid (and *port once it listens) or -1. */
static pid_t serve(const char *bin, const char *err_path, const char *log_path, const char *grace,
                   unsigned *port)
{
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = freopen(err_path, "w", stderr);
		(void)f;
		execl(bin, bin, "serve", "--port", "0", "--decision-log", log_path,
		      "--shutdown-grace", grace, "--fetch-budget-ms", "600000", (char *)NULL);
		_exit(127);
	}
	*port = 0;
	for (int i = 0; pid > 0 && i < 200 && !*port; i++) { /* at most 20 s */
		sleep_ms(100);
		char *text = testkit_read(err_path, NULL);
		const char *at = text ? strstr(text, "listening on http://127.0.0.1:") : NULL;
		if (at)
			*port = (unsigned)strtoul(at + strlen("listening on http://127.0.0.1:"),
			                          NULL, 10);
		free(text);
	}
	return *port ? pid : -1;
}

/* Polls /metrics until `line` appears (at most 20 s); 1 when it did. */
static int wait_metric(unsigned port, const char *line)
{
	static char body[262144];
	for (int i = 0; i < 200; i++) {
		if (exchange(port, "GET", "/metrics", NULL, body, sizeof body) == 200 &&
		    strstr(body, line))
			return 1;
		sleep_ms(100);
	}
	return 0;
}

/* Waits (at most 20 s) for `text` in the file; 1 when it appeared. */
static int wait_text(const char *path, const char *text)
{
	for (int i = 0; i < 200; i++) {
		char *all = testkit_read(path, NULL);
		int found = all && strstr(all, text);
		free(all);
		if (found)
			return 1;
		sleep_ms(100);
	}
	return 0;
}

/* Waits (at most 60 s) for the process; its exit status, or -1 (killed: it did not stop). */
static int wait_exit(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < 600; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		sleep_ms(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void scenario(const char *bin, const char *source, const char *dir, int release)
{
	const char *name = release ? "release" : "expire";
	char err_path[512], log_path[512], text[65536];
	struct hold h;
	unsigned port = 0;
	int held[HELD], half = -1, idle = -1, close_hdr = 0;
	for (int i = 0; i < HELD; i++)
		held[i] = -1;
	snprintf(err_path, sizeof err_path, "%s/%s.err", dir, name);
	snprintf(log_path, sizeof log_path, "%s/%s.log", dir, name);
	CHECK(hold_start(&h) == 0, "%s: the holding FHIR server starts", name);
	char *body = held_body(source, h.port);
	char path[1024];
	snprintf(path, sizeof path, "%s/../shared/examples/uk-msk-order-select-knee-injection.json",
	         source);
	char *quick = testkit_read(path, NULL);
	pid_t pid = serve(bin, err_path, log_path, release ? "30" : "1", &port);
	CHECK(pid > 0 && body && quick, "%s: serve starts and the bodies load", name);
	if (pid <= 0 || !body || !quick)
		goto out;

	/* Load before the signal: quick requests answered, HELD held by the FHIR server. */
	unsigned ok = 0;
	for (int i = 0; i < QUICK; i++)
		ok += exchange(port, "POST", SELECT, quick, text, sizeof text) == 200;
	CHECK(ok == QUICK, "%s: %u of %d quick requests answered 200", name, ok, QUICK);
	char want[160];
	snprintf(want, sizeof want,
	         "\ncds_http_requests_total{endpoint=\"service\",service=\"commissioning-order-"
	         "select\",status=\"200\"} %d\n",
	         QUICK);
	CHECK(wait_metric(port, want), "%s: /metrics counts the %d quick requests", name, QUICK);
	CHECK(exchange(port, "GET", "/readyz", NULL, text, sizeof text) == 200,
	      "%s: ready before the signal", name);
	char head[512];
	for (int i = 0; i < HELD; i++) {
		held[i] = testnet_connect(port, 60, 30);
		request_head(head, sizeof head, "POST", SELECT, strlen(body));
		CHECK(held[i] >= 0 && send_text(held[i], head) == 0 &&
		          send_text(held[i], body) == 0,
		      "%s: held request %d sent", name, i);
	}
	snprintf(want, sizeof want, "\ncds_fhir_fetches_in_progress %d\n", HELD);
	CHECK(wait_metric(port, want), "%s: /metrics shows %d fetches in progress", name, HELD);
	if (release) {
		/* an idle kept-alive connection, and one whose body is half sent */
		idle = testnet_connect(port, 30, 30);
		request_head(head, sizeof head, "GET", "/healthz", 0);
		CHECK(idle >= 0 && send_text(idle, head) == 0 &&
		          read_reply(idle, text, sizeof text, &close_hdr) == 200 && !close_hdr,
		      "%s: kept-alive connection answered and kept open", name);
		/* `Expect: 100-continue`: the interim 100 shows the server has the headers (the
		 * connection is accepted and the request begun), not the kernel's backlog. */
		half = testnet_connect(port, 30, 30);
		snprintf(head, sizeof head,
		         "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		         "Content-Length: %zu\r\nExpect: 100-continue\r\n\r\n",
		         SELECT, strlen(quick));
		size_t part = strlen(quick) / 2;
		CHECK(half >= 0 && send_text(half, head) == 0 && read_interim(half) == 100 &&
		          testnet_send_all(half, quick, part) == 0,
		      "%s: half a request sent after its 100 Continue", name);
	}

	/* a whole request on a new connection right before the signal: accepted by then or
	 * still in the kernel's backlog, it must be answered in full either way */
	int late = testnet_connect(port, 30, 30);
	request_head(head, sizeof head, "GET", "/readyz", 0);
	CHECK(late >= 0 && send_text(late, head) == 0, "%s: a late request sent", name);
	kill(pid, SIGTERM);
	CHECK(wait_text(err_path, "SIGTERM received, stopping"), "%s: the stop is announced", name);
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
			request_head(head, sizeof head, "GET", "/readyz", 0);
			if (send_text(fd, head) == 0 &&
			    read_reply(fd, text, sizeof text, &close_hdr))
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
		          read_reply(half, text, sizeof text, &close_hdr) == 200 && close_hdr,
		      "%s: the request in progress is answered 200 with Connection: close", name);
		atomic_store(&h.release, 1); /* the FHIR server answers now (404: not found) */
	}
	/* Released: the FHIR server's answer is what they report (the grace was waited for);
	 * expired: their fetches were ended by the stop. */
	unsigned late_status = late >= 0 ? read_reply(late, text, sizeof text, &close_hdr) : 0;
	CHECK(late_status == 200 || late_status == 503,
	      "%s: the late request answered in full (%u)", name, late_status);
	if (late >= 0)
		close(late);
	unsigned answered = 0, cancelled = 0;
	for (int i = 0; i < HELD; i++) {
		unsigned status =
		    held[i] >= 0 ? read_reply(held[i], text, sizeof text, &close_hdr) : 0;
		answered += status == 412 || status == 200;
		cancelled += strstr(text, "the service is stopping") != NULL;
		if (status != 412 && status != 200)
			fprintf(stderr, "%s: held request %d: status %u\n", name, i, status);
	}
	CHECK(answered == HELD, "%s: %u of %d held requests answered in full", name, answered,
	      HELD);
	CHECK(cancelled == (release ? 0u : HELD), "%s: %u of them report a fetch cut by the stop",
	      name, cancelled);
	int rc = wait_exit(pid);
	pid = -1;
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
		CHECK(wait_text(err_path, "still unfinished after 1s"),
		      "%s: the expired grace is reported", name);
out:
	for (int i = 0; i < HELD; i++)
		if (held[i] >= 0)
			close(held[i]);
	if (half >= 0)
		close(half);
	if (idle >= 0)
		close(idle);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	atomic_store(&h.release, 1);
	hold_stop(&h);
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
	char dir[] = "/tmp/cds-shutdown-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	scenario(argv[1], argv[2], dir, 1);
	scenario(argv[1], argv[2], dir, 0);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	(void)!system(cmd);
	return testkit_done();
}
