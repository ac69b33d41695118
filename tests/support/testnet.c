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

unsigned testnet_read_response(int fd, char *body, size_t size)
{
	enum { CAP = 262144 };
	char *buf = malloc(CAP);
	size_t got = 0;
	unsigned status = 0;
	body[0] = '\0';
	if (!buf)
		return 0;
	for (;;) {
		buf[got] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end) {
			size_t want = 0;
			for (char *p = buf; p < end; p++)
				if (strncasecmp(p, "\r\nContent-Length:", 17) == 0)
					want = strtoul(p + 17, NULL, 10);
			size_t head = (size_t)(end + 4 - buf);
			if (want > CAP - 1 - head)
				break;
			while (got < head + want) {
				ssize_t n = recv(fd, buf + got, CAP - 1 - got, 0);
				if (n <= 0)
					goto out;
				got += (size_t)n;
			}
			sscanf(buf, "HTTP/1.%*d %u", &status);
			snprintf(body, size, "%.*s", (int)want, buf + head);
			break;
		}
		if (got + 1 >= CAP)
			break;
		ssize_t n = recv(fd, buf + got, CAP - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
out:
	free(buf);
	return status;
}
