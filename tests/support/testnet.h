/* testnet.h — raw loopback sockets for the tests that speak HTTP/1.1 by hand (test_framing,
 * test_fetch_offload, test_commit_offload, test_slow_clients, test_connections, test_auth_http,
 * shutdown_load, notify_serve). Test support only. */
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

/* The most a reply (head and body) may take. */
#define TESTNET_REPLY_MAX 262144

/* How reading a reply ended. */
enum testnet_end {
	TESTNET_WHOLE,    /* a whole Content-Length framed reply */
	TESTNET_CLOSED,   /* the peer closed before it was whole (EOF) */
	TESTNET_RESET,    /* ECONNRESET or EPIPE */
	TESTNET_TIMEOUT,  /* the socket's receive timeout passed (or another receive error) */
	TESTNET_TOO_LARGE /* over TESTNET_REPLY_MAX (or no memory for reading it) */
};

/* What testnet_read_next found. */
struct testnet_reply {
	unsigned status;      /* its status code; 0 unless end is TESTNET_WHOLE */
	enum testnet_end end; /* how reading it ended */
	int retry_after;      /* 1: its head has a Retry-After header */
	int close;            /* 1: its head says Connection: close */
};

/* What a connection has received and not yet read as replies (pipelined requests). Start with
 * got = 0 on each new connection. About 256 KiB: static, or on the heap. */
struct testnet_reader {
	size_t got;
	char buf[TESTNET_REPLY_MAX];
};

/* Reads the next Content-Length framed reply on a blocking socket (within its receive timeout),
 * keeping the bytes after it in r for the next call. Fills *out (NULL: not wanted) and copies
 * the body into body (size bytes, truncated, NUL-terminated; "" unless whole; NULL: not
 * wanted). Returns the status: 0 when there is no whole reply (out->end says why). */
unsigned testnet_read_next(int fd, struct testnet_reader *r, struct testnet_reply *out, char *body,
                           size_t size);

/* testnet_read_next with a reader of its own (bytes after the reply are dropped), for a
 * connection that has one reply outstanding. */
unsigned testnet_read_reply(int fd, struct testnet_reply *out, char *body, size_t size);

/* testnet_read_reply without the details: the status (0: none within the socket's receive
 * timeout, closed, or too large) and the body in body (size bytes, truncated, NUL-terminated). */
unsigned testnet_read_response(int fd, char *body, size_t size);

/* One request on a new connection (testnet_connect with timeout_s both ways), its reply read and
 * the connection closed: the status (0: no connection, or no whole reply), the body in out as
 * testnet_read_response (NULL: not wanted). */
unsigned testnet_exchange(unsigned port, int timeout_s, const char *method, const char *path,
                          const char *body, char *out, size_t size);

/* A TCP socket listening on 127.0.0.1 at a port the kernel picks (backlog `backlog`), its port in
 * *port; or -1 (errno set). The caller closes it. */
int testnet_listen(int backlog, unsigned *port);

#endif
