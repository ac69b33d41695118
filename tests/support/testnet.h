/* testnet.h — raw loopback sockets for the tests that speak HTTP/1.1 by hand (test_framing,
 * test_fetch_offload, test_commit_offload, test_slow_clients, test_auth_http). Test support only.
 */
#ifndef CDS_TEST_TESTNET_H
#define CDS_TEST_TESTNET_H

#include <stddef.h>

/* A blocking TCP connection to 127.0.0.1:port, or -1. Its receive and send timeouts (seconds;
 * 0: none) are set before connecting, so the send timeout also bounds the connect. The caller
 * closes the descriptor. */
int testnet_connect(unsigned port, int recv_timeout_s, int send_timeout_s);

/* Sends all `length` bytes of data on a blocking socket (MSG_NOSIGNAL: a closed peer is an
 * error, not SIGPIPE). 0, or -1 with errno set (send's errno, or EIO when send sent nothing). */
int testnet_send_all(int fd, const void *data, size_t length);

/* Sends one HTTP/1.1 request (Host: x; with a body: Content-Type application/json and its
 * Content-Length). 0, or -1 as testnet_send_all. */
int testnet_send_request(int fd, const char *method, const char *path, const char *body);

/* Reads one Content-Length framed response (at most 256 KiB); returns its status (0: none
 * within the socket's receive timeout, closed, or too large) and copies its body into body
 * (size bytes, truncated, NUL-terminated). */
unsigned testnet_read_response(int fd, char *body, size_t size);

#endif
