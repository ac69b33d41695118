/* testserver.h — the service's HTTP server run in-process on 127.0.0.1 at a port the kernel picks,
 * on the demo app (embedded policies) with `serve` options, for the tests that talk to it over
 * raw sockets or libcurl (test_connections, test_slow_clients, test_fetch_offload,
 * test_commit_offload, test_framing, test_tls). Test support only. */
#ifndef CDS_TEST_TESTSERVER_H
#define CDS_TEST_TESTSERVER_H

#include <stddef.h>

#include "cds.h"

/* One running server and what it owns. */
struct test_server {
	struct cds_config *cfg;    /* NEW: the settings */
	struct cds_app *app;       /* NEW: the demo app */
	struct cds_server *server; /* NEW: NULL when it did not start */
	unsigned port;             /* its port; 0 when it did not start */
};

/* How to start one. */
struct test_server_options {
	const char *const (*opts)[2]; /* `count` {name, value} pairs, as `serve --NAME VALUE` */
	size_t count;
	const char *decision_log; /* as cds_app_options.decision_log (NULL: stderr; "-": none) */
	long fetch_budget_ms;     /* > 0: cds_app_set_fetch_budget; 0: the default */
	const char *store;        /* as cds_app_options.store (NULL: none) */
};

/* Starts a server with `o` into *t: the options set and checked as a whole (cds_config_check, as
 * `serve` does), the app made, the server started. Returns 0 (stop it with test_server_stop), or -1
 * with the reason (the option, or the server's error) in why (size bytes) and *t zeroed: nothing to
 * stop, though test_server_stop accepts it. */
int test_server_start(struct test_server *t, const struct test_server_options *o, char *why,
                      size_t size);

/* Stops the server (answering what is in flight first) and frees everything; a server that
 * did not start, or a zeroed *t, is fine. */
void test_server_stop(struct test_server *t);

#endif
