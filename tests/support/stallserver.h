/* stallserver.h — a FHIR server that never answers until told to: it accepts every connection on
 * 127.0.0.1 (a port of its own), reads and drops what comes, and keeps the connection open, so a
 * fetch from it waits until its budget or its cancellation (test_fetch_offload, shutdown_load).
 * Once released, every request, held or new, gets 404 (not found) and the connection is closed.
 * Runs on a thread of its own. Test support only. */
#ifndef CDS_TEST_STALLSERVER_H
#define CDS_TEST_STALLSERVER_H

struct stall_server;

/* Starts one listening on 127.0.0.1 at a port the kernel picks. NEW in *out (stop with
 * stall_server_stop). Returns 0, or -1 (nothing to stop). */
int stall_server_start(struct stall_server **out);

/* Its port. */
unsigned stall_server_port(const struct stall_server *s);

/* How many connections it has accepted so far (any thread may ask). */
unsigned long stall_server_accepted(const struct stall_server *s);

/* From now on it answers: each connection that has sent something gets 404 and is closed, within
 * about 50 ms (any thread may call it). */
void stall_server_release(struct stall_server *s);

/* The 412 decision vector's order-select request (tests/vectors/412-hny142-conditions-not-
 * prefetched, below source_dir: its prefetch lacks the conditions a policy requires) with
 * fhirServer pointed at this server ("http://127.0.0.1:PORT/fhir") and a fhirAuthorization
 * carrying access_token `token`: a request whose answer waits on this server. NEW (free with
 * free), or NULL when the vector cannot be read. */
char *stall_server_request(const struct stall_server *s, const char *source_dir, const char *token);

/* Stops its thread, closes every connection (unanswered, unless released) and frees it; NULL is a
 * no-op. */
void stall_server_stop(struct stall_server *s);

#endif
