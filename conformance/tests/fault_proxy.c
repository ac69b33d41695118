/* fault_proxy.c — a loopback HTTP/1.1 proxy that breaks ONE thing of a real CDS Hooks service, for
 * the runner's own test (test_conformance_proxy.sh): cds-conformance must notice every fault.
 * It starts the service itself (the arguments after `--`, with {upstream} replaced by a free
 * loopback port), listens on 127.0.0.1:PORT, and forwards each request on its own upstream
 * connection (Connection: close both ways; Content-Length bodies, chunked replies de-chunked),
 * applying the fault named by --fault to the request or the reply. Test use only.
 * Usage: fault-proxy --listen PORT [--fault NAME] -- SERVICE [ARG...]
 * Faults: strip-cors-<STATUS> (Access-Control-* removed from replies with that status),
 * feedback-404 (a 2xx to a feedback POST becomes 404), future-iat-ok / future-nbf-ok (a 401 to a
 * token whose iat / nbf lies over 60 s ahead becomes 200), null-as-absent (a service call with a
 * null prefetch value gets 412 without reaching the service), reset-413 (a 413 becomes a TCP
 * reset), no-ct-errors (Content-Type dropped from replies >= 400), unknown-400 (a 404 to a
 * service POST becomes 400), 415-as-400 (a 415 becomes 400). */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define MAX_HEAD    (64u * 1024u)         /* request or reply head, bytes */
#define MAX_BODY    (64u * 1024u * 1024u) /* request or reply body, bytes */
#define IO_TIMEOUT  30                    /* seconds per socket read/write */
#define FUTURE_SKEW 60                    /* iat/nbf further ahead than this counts as future */

static const char *fault = "";
static unsigned upstream_port;

struct buf {
	char *data;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data)
			abort();
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until the head ends ("\r\n\r\n"); the bytes read past it stay in b. Returns the head
 * length (with its blank line), or 0 on EOF/error/oversize. */
static size_t read_head(int fd, struct buf *b)
{
	for (;;) {
		char *end = b->data ? strstr(b->data, "\r\n\r\n") : NULL;
		if (end)
			return (size_t)(end - b->data) + 4;
		if (b->len > MAX_HEAD)
			return 0;
		char chunk[16384];
		ssize_t r = recv(fd, chunk, sizeof chunk, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		buf_add(b, chunk, (size_t)r);
	}
}

/* Value of header name in head (case-insensitive), copied into dst; NULL when absent. */
static const char *header(const char *head, const char *name, char *dst, size_t size)
{
	size_t n = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line && line[2];) {
		line += 2;
		const char *end = strstr(line, "\r\n");
		if (!end || end == line) /* the blank line: the head ends */
			break;
		if ((size_t)(end - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t len = (size_t)(end - v);
			if (len >= size)
				len = size - 1;
			memcpy(dst, v, len);
			dst[len] = '\0';
			return dst;
		}
		line = end;
	}
	return NULL;
}

/* Copies the head's header lines into out, leaving out those named in drop (NULL-terminated,
 * prefixes ending in '-' match any name that starts with them). */
static void copy_headers(const char *head, const char *const *drop, struct buf *out)
{
	for (const char *line = strstr(head, "\r\n"); line && line[2];) {
		line += 2;
		const char *end = strstr(line, "\r\n");
		if (!end || end == line)
			break;
		int keep = 1;
		for (size_t i = 0; drop[i]; i++) {
			size_t n = strlen(drop[i]);
			int prefix = drop[i][n - 1] == '-';
			if (strncasecmp(line, drop[i], n) == 0 && (prefix || line[n] == ':'))
				keep = 0;
		}
		if (keep) {
			buf_add(out, line, (size_t)(end - line));
			buf_add(out, "\r\n", 2);
		}
		line = end;
	}
}

/* Reads a Content-Length body: want bytes, of which b already holds have past the head. */
static int read_body(int fd, struct buf *b, size_t head_len, size_t want)
{
	while (b->len - head_len < want) {
		char chunk[65536];
		size_t left = want - (b->len - head_len);
		ssize_t r = recv(fd, chunk, left < sizeof chunk ? left : sizeof chunk, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf_add(b, chunk, (size_t)r);
	}
	return 0;
}

/* Decodes a chunked body in place (trailers dropped). Returns the decoded length. */
static size_t dechunk(char *p, size_t len)
{
	size_t in = 0, out = 0;
	while (in < len) {
		char *end;
		unsigned long n = strtoul(p + in, &end, 16);
		char *crlf = strstr(p + in, "\r\n");
		if (!crlf || end == p + in || n == 0)
			break;
		in = (size_t)(crlf - p) + 2;
		if (in + n > len)
			n = len - in;
		memmove(p + out, p + in, n);
		out += n;
		in += n + 2;
	}
	return out;
}

/* A JWT claim (iat, nbf) of the Bearer token in head, or 0 when absent. */
static double token_claim(const char *head, const char *claim)
{
	char auth[16384];
	if (!header(head, "Authorization", auth, sizeof auth) || strncmp(auth, "Bearer ", 7) != 0)
		return 0;
	const char *p = strchr(auth + 7, '.');
	const char *q = p ? strchr(p + 1, '.') : NULL;
	if (!q)
		return 0;
	char json[8192];
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (const char *c = p + 1; c < q && o + 1 < sizeof json; c++) {
		int v = *c >= 'A' && *c <= 'Z'   ? *c - 'A'
		        : *c >= 'a' && *c <= 'z' ? *c - 'a' + 26
		        : *c >= '0' && *c <= '9' ? *c - '0' + 52
		        : *c == '-'              ? 62
		        : *c == '_'              ? 63
		                                 : -1;
		if (v < 0)
			return 0;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			json[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	json[o] = '\0';
	cJSON *payload = cJSON_Parse(json);
	double v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(payload, claim));
	cJSON_Delete(payload);
	return v != v ? 0 : v; /* NaN when absent or not a number */
}

/* Whether a service-call body has a prefetch member whose value is JSON null. */
static int has_null_prefetch(const char *body, size_t len)
{
	cJSON *json = cJSON_ParseWithLength(body, len);
	int found = 0;
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(json, "prefetch")) found |=
	    cJSON_IsNull(v);
	cJSON_Delete(json);
	return found;
}

/* Connects to the service; -1 when it does not answer (yet). */
static int connect_upstream(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)upstream_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct timeval tv = {IO_TIMEOUT, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

static const char *const json_oo =
    "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
    "\"code\":\"processing\",\"diagnostics\":\"fault-proxy\"}]}";

/* Sends a whole reply built from status, the kept headers of head (may be NULL) and body. */
static void reply(int fd, long status, const char *reason, const char *head,
                  const char *const *drop, const char *body, size_t len, const char *type)
{
	struct buf out = {0};
	char line[128];
	snprintf(line, sizeof line, "HTTP/1.1 %ld %s\r\n", status, reason);
	buf_add(&out, line, strlen(line));
	if (head)
		copy_headers(head, drop, &out);
	if (type) {
		snprintf(line, sizeof line, "Content-Type: %.100s\r\n", type);
		buf_add(&out, line, strlen(line));
	}
	snprintf(line, sizeof line, "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
	buf_add(&out, line, strlen(line));
	buf_add(&out, body, len);
	send_all(fd, out.data, out.len);
	free(out.data);
}

/* Answers one request on client fd (then the connection is closed). */
static void serve(int fd)
{
	struct buf req = {0}, resp = {0};
	int up = -1, reset = 0;
	size_t head_len = read_head(fd, &req);
	if (!head_len)
		goto out;
	char method[16] = "", path[2048] = "", cl[32];
	sscanf(req.data, "%15s %2047s", method, path);
	size_t want = header(req.data, "Content-Length", cl, sizeof cl) ? strtoul(cl, NULL, 10) : 0;
	if (want > MAX_BODY || read_body(fd, &req, head_len, want) != 0)
		goto out;
	const char *body = req.data + head_len;
	int feedback_post = strcmp(method, "POST") == 0 && strlen(path) > 9 &&
	                    strcmp(path + strlen(path) - 9, "/feedback") == 0;
	int service_post = strcmp(method, "POST") == 0 && !feedback_post &&
	                   strncmp(path, "/cds-services/", 14) == 0;
	time_t now = time(NULL);
	int future_iat = token_claim(req.data, "iat") > (double)(now + FUTURE_SKEW);
	int future_nbf = token_claim(req.data, "nbf") > (double)(now + FUTURE_SKEW);

	if (strcmp(fault, "null-as-absent") == 0 && service_post && has_null_prefetch(body, want)) {
		static const char *const none[] = {NULL};
		reply(fd, 412, "Precondition Failed", NULL, none, json_oo, strlen(json_oo),
		      "application/json");
		goto out;
	}

	up = connect_upstream();
	if (up < 0)
		goto out; /* no reply: the runner waits for the service to come up */
	struct buf fwd = {0};
	char line[2200];
	int n = snprintf(line, sizeof line, "%s %s HTTP/1.1\r\n", method, path);
	buf_add(&fwd, line, (size_t)n);
	static const char *const req_drop[] = {"Connection", "Keep-Alive", "Proxy-", NULL};
	copy_headers(req.data, req_drop, &fwd);
	buf_add(&fwd, "Connection: close\r\n\r\n", 21);
	buf_add(&fwd, body, want);
	send_all(up, fwd.data, fwd.len); /* a service may answer and close before all is sent */
	free(fwd.data);
	for (;;) { /* the whole reply: the service closes after it (Connection: close) */
		char chunk[65536];
		ssize_t r = recv(up, chunk, sizeof chunk, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || resp.len + (size_t)r > MAX_BODY)
			break;
		buf_add(&resp, chunk, (size_t)r);
	}
	char *end = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
	long status = 0;
	char reason[64] = "OK";
	if (!end || sscanf(resp.data, "HTTP/1.%*d %ld %63[^\r\n]", &status, reason) < 1)
		goto out; /* no reply from the service: none to the client either */
	end[2] = '\0';    /* head = status line + header lines, each ending in \r\n */
	char *rbody = end + 4;
	size_t rlen = resp.len - (size_t)(rbody - resp.data);
	char te[64];
	if (header(resp.data, "Transfer-Encoding", te, sizeof te) && strcasestr(te, "chunked"))
		rlen = dechunk(rbody, rlen);

	const char *drop[8] = {"Content-Length", "Connection", "Transfer-Encoding", "Keep-Alive",
	                       NULL};
	char strip[32];
	snprintf(strip, sizeof strip, "strip-cors-%ld", status);
	if (strcmp(fault, strip) == 0)
		drop[4] = "Access-Control-";
	if (strcmp(fault, "no-ct-errors") == 0 && status >= 400)
		drop[4] = "Content-Type";
	if (strcmp(fault, "reset-413") == 0 && status == 413) {
		struct linger lg = {1, 0}; /* close with RST instead of the reply */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		reset = 1;
		goto out;
	}
	if ((strcmp(fault, "future-iat-ok") == 0 && future_iat && status == 401) ||
	    (strcmp(fault, "future-nbf-ok") == 0 && future_nbf && status == 401)) {
		static const char cards[] = "{\"cards\":[]}";
		/* the service's CORS headers stay; what described the 401 goes */
		static const char *const drop_401[] = {"Content-Type",     "Content-Length",
		                                       "Connection",       "Transfer-Encoding",
		                                       "WWW-Authenticate", NULL};
		reply(fd, 200, "OK", resp.data, drop_401, cards, strlen(cards), "application/json");
		goto out;
	}
	if (strcmp(fault, "feedback-404") == 0 && feedback_post && status >= 200 && status < 300) {
		status = 404;
		snprintf(reason, sizeof reason, "Not Found");
	}
	if (strcmp(fault, "unknown-400") == 0 && service_post && status == 404) {
		status = 400;
		snprintf(reason, sizeof reason, "Bad Request");
	}
	if (strcmp(fault, "415-as-400") == 0 && status == 415) {
		status = 400;
		snprintf(reason, sizeof reason, "Bad Request");
	}
	reply(fd, status, reason, resp.data, drop, rbody, rlen, NULL);
out:
	if (up >= 0)
		close(up);
	free(req.data);
	free(resp.data);
	if (!reset)
		shutdown(fd, SHUT_WR);
	close(fd);
}

static void *conn_thread(void *arg)
{
	int fd = (int)(long)arg;
	struct timeval tv = {IO_TIMEOUT, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	serve(fd);
	return NULL;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	unsigned port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

int main(int argc, char **argv)
{
	unsigned listen_port = 0;
	int i;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--listen") == 0)
			listen_port = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--fault") == 0)
			fault = argv[i + 1];
		else
			goto usage;
	}
	if (i + 1 >= argc || !listen_port)
		goto usage;
	char **child_argv = argv + i + 1;
	upstream_port = free_port();
	char up_text[16];
	snprintf(up_text, sizeof up_text, "%u", upstream_port);
	for (char **a = child_argv; *a; a++)
		if (strcmp(*a, "{upstream}") == 0)
			*a = up_text;

	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 64) != 0) {
		fprintf(stderr, "fault-proxy: cannot listen on 127.0.0.1:%u\n", listen_port);
		return 1;
	}
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the proxy */
		close(lfd);
		execvp(child_argv[0], child_argv);
		fprintf(stderr, "fault-proxy: cannot run %s\n", child_argv[0]);
		_exit(127);
	}
	if (child < 0)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "fault-proxy (fault '%s') on 127.0.0.1:%u -> 127.0.0.1:%u\n", fault,
	        listen_port, upstream_port);
	int status = 0, exited = 0;
	while (!stop) {
		if (waitpid(child, &status, WNOHANG) == child) {
			exited = 1;
			fprintf(stderr, "fault-proxy: the service exited\n");
			break;
		}
		struct pollfd p = {lfd, POLLIN, 0};
		if (poll(&p, 1, 200) <= 0)
			continue;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		if (pthread_create(&t, NULL, conn_thread, (void *)(long)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
	close(lfd);
	if (!exited) {
		kill(child, SIGTERM);
		for (int k = 0; k < 50 && !exited; k++) {
			exited = waitpid(child, &status, WNOHANG) == child;
			if (!exited)
				usleep(100000);
		}
		if (!exited) {
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
		}
		return 0;
	}
	return 1; /* the service exited by itself */
usage:
	fprintf(stderr, "Usage: fault-proxy --listen PORT [--fault NAME] -- SERVICE [ARG...]\n");
	return 2;
}
