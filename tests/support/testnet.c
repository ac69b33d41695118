/* testnet.c — raw loopback connections and sends for the hand-written HTTP/1.1 tests, kept in
 * one place. Test support only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "testnet.h"

int testnet_connect(unsigned port, int recv_timeout_s, int send_timeout_s)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (recv_timeout_s > 0) {
		struct timeval tv = {recv_timeout_s, 0};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	}
	if (send_timeout_s > 0) {
		struct timeval tv = {send_timeout_s, 0};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int testnet_send_all(int fd, const void *data, size_t length)
{
	const char *p = data;
	while (length > 0) {
		ssize_t n = send(fd, p, length, MSG_NOSIGNAL);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		length -= (size_t)n;
	}
	return 0;
}

int testnet_send_request(int fd, const char *method, const char *path, const char *body)
{
	char head[512];
	size_t blen = body ? strlen(body) : 0;
	int n =
	    body ? snprintf(head, sizeof head,
	                    "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	                    "Content-Length: %zu\r\n\r\n",
	                    method, path, blen)
	         : snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", method, path);
	if (testnet_send_all(fd, head, (size_t)n) != 0)
		return -1;
	return testnet_send_all(fd, body, blen);
}

/* strstr within the first n bytes of hay, ignoring ASCII case. */
static const char *find_ci(const char *hay, size_t n, const char *needle)
{
	size_t len = strlen(needle);
	for (size_t i = 0; i + len <= n; i++)
		if (strncasecmp(hay + i, needle, len) == 0)
			return hay + i;
	return NULL;
}

/* Receives more into r; 0, or -1 with out->end saying why not. */
static int receive(int fd, struct testnet_reader *r, struct testnet_reply *out)
{
	if (r->got + 1 >= sizeof r->buf) {
		out->end = TESTNET_TOO_LARGE;
		return -1;
	}
	ssize_t n = recv(fd, r->buf + r->got, sizeof r->buf - 1 - r->got, 0);
	if (n > 0) {
		r->got += (size_t)n;
		return 0;
	}
	out->end = n == 0                                  ? TESTNET_CLOSED
	           : errno == ECONNRESET || errno == EPIPE ? TESTNET_RESET
	                                                   : TESTNET_TIMEOUT;
	return -1;
}

unsigned testnet_read_next(int fd, struct testnet_reader *r, struct testnet_reply *out, char *body,
                           size_t size)
{
	struct testnet_reply unused;
	if (!out)
		out = &unused;
	memset(out, 0, sizeof *out);
	if (body && size)
		body[0] = '\0';
	for (;;) {
		r->buf[r->got] = '\0';
		char *end = strstr(r->buf, "\r\n\r\n");
		if (!end) {
			if (receive(fd, r, out) != 0)
				return 0;
			continue;
		}
		size_t head = (size_t)(end + 4 - r->buf);
		const char *cl = find_ci(r->buf, head - 2, "\r\nContent-Length:");
		size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
		if (want > sizeof r->buf - 1 - head) {
			out->end = TESTNET_TOO_LARGE;
			return 0;
		}
		while (r->got < head + want)
			if (receive(fd, r, out) != 0)
				return 0;
		sscanf(r->buf, "HTTP/1.%*d %u", &out->status);
		out->retry_after = find_ci(r->buf, head - 2, "\r\nRetry-After:") != NULL;
		out->close = find_ci(r->buf, head - 2, "\r\nConnection: close") != NULL;
		out->end = TESTNET_WHOLE;
		if (body && size)
			snprintf(body, size, "%.*s", (int)want, r->buf + head);
		memmove(r->buf, r->buf + head + want, r->got - head - want);
		r->got -= head + want;
		return out->status;
	}
}

unsigned testnet_read_reply(int fd, struct testnet_reply *out, char *body, size_t size)
{
	struct testnet_reader *r = malloc(sizeof *r);
	if (!r) {
		if (out) {
			memset(out, 0, sizeof *out);
			out->end = TESTNET_TOO_LARGE;
		}
		if (body && size)
			body[0] = '\0';
		return 0;
	}
	r->got = 0;
	unsigned status = testnet_read_next(fd, r, out, body, size);
	free(r);
	return status;
}

unsigned testnet_read_response(int fd, char *body, size_t size)
{
	return testnet_read_reply(fd, NULL, body, size);
}

unsigned testnet_exchange(unsigned port, int timeout_s, const char *method, const char *path,
                          const char *body, char *out, size_t size)
{
	unsigned status = 0;
	int fd = testnet_connect(port, timeout_s, timeout_s);
	if (out && size)
		out[0] = '\0';
	if (fd < 0)
		return 0;
	if (testnet_send_request(fd, method, path, body) == 0)
		status = testnet_read_reply(fd, NULL, out, size);
	close(fd);
	return status;
}

int testnet_listen(int backlog, unsigned *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, backlog) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}
