/* testnet.c — raw loopback connections and sends for the hand-written HTTP/1.1 tests, kept in
 * one place. Test support only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
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
