/* server.c — the HTTP server: libmicrohttpd 0.9.75 with one internal polling thread that reads
 * and writes every connection (a slow client holds no thread) and a pool of `threads` workers that
 * answer complete requests (the connection is suspended meanwhile), optional TLS >= 1.2 (GnuTLS
 * under libmicrohttpd), the configured limits (connections in total and per IP — when full, the
 * connection that has waited longest for its request line and headers makes room, else the new
 * one is answered 503 + Retry-After, never reset; refusals are summarised once a second —, absolute
 * deadlines for the headers and for the body whatever the byte rate, idle timeout, header
 * memory, body size, requests in flight -> 503 + Retry-After), a request waiting for data from
 * its fhirServer parked on the one fetch thread (fhir_fetcher: no worker waits on the network),
 * a request whose decisions are being committed parked on the store's writer (no worker waits
 * for the fsync: many calls share one commit),
 * one access-log line per request
 * on stderr (written in batches by the access log's own writer, cds__log), strict HTTP/1.1 framing
 * (RFC 9112 §3.2, §5.1, §6.1, §6.3: what libmicrohttpd 0.9.75 lets through is refused with one
 * 400/501 and the connection closed), a graceful stop (cds_server_quiesce, cds_server_drain:
 * no new connection, idle ones closed, every request read answered within a grace, then
 * `Connection: close`), and every other answer produced by cds_handle. It must not
 * interpret CDS Hooks itself, nor log headers, tokens or bodies. The only file that includes
 * microhttpd.h. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cds_internal.h"

/* TLS (CDS Hooks 2.0 §Security; CRD / HRex): the Mozilla "intermediate" profile (v5.7) as a
 * GnuTLS priority string: TLS 1.3 (AES-128/256-GCM, ChaCha20-Poly1305) and TLS 1.2 with AEAD
 * suites and forward secrecy only (ECDHE-ECDSA, ECDHE-RSA, DHE-RSA x AES-GCM, ChaCha20-Poly1305;
 * no CBC, no SHA-1 MAC, no static-RSA key exchange); groups X25519, P-256, P-384, ffdhe2048.
 * tests/unit/test_tls.c checks what a client can and cannot negotiate. */
#define SERVER_TLS_PRIORITIES                                                                      \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"        \
	"+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA:-GROUP-ALL:"   \
	"+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-FFDHE2048"
/* The DHE-RSA suites need DH parameters: the RFC 7919 ffdhe2048 group, as Mozilla intermediate
 * prescribes (PKCS#3 PEM; `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`). */
static const char server_tls_ffdhe2048[] =
    "-----BEGIN DH PARAMETERS-----\n"
    "MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz\n"
    "+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a\n"
    "87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7\n"
    "YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi\n"
    "7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD\n"
    "ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==\n"
    "-----END DH PARAMETERS-----\n";
#define SERVER_TLS_MAX_FILE (1024u * 1024u) /* a PEM certificate chain or key */
/* A body over maxBodyBytes is still read, and thrown away, up to this many bytes past the limit,
 * so that a client sending it without `Expect: 100-continue` can finish and read its 413 (closing
 * with unread data would reset the connection under it); past that, the connection is closed. */
#define SERVER_DISCARD_MAX_BYTES (16ul * 1024ul * 1024ul)
/* A body's buffer is first allocated at its Content-Length when that is below this many bytes
 * (no growing and copying); a larger body's buffer grows as its bytes arrive. */
#define SERVER_BODY_FIRST_MAX (256ul * 1024ul)
/* A connection waiting for its request line and headers is closed to make room for a new one
 * only once it has waited this long: a client sends its request right after connecting, or
 * after reading the previous reply, so a younger one is taken to be sending it now (closing it
 * would cut that request off), not to be slow. The header deadline deals with the slow. */
#define SERVER_EVICT_MIN_WAIT_MS 50

/* Where a connection is (struct peer.phase); each phase but ANSWERING has its own deadline. */
enum peer_phase {
	PEER_HEADERS,  /* reading a request line and headers (or idle between requests) */
	PEER_BODY,     /* headers complete, reading the body */
	PEER_ANSWERING /* the request is complete: queued, being answered, or its reply sent */
};

/* One open connection (libmicrohttpd's socket context): from MHD_CONNECTION_NOTIFY_STARTED to
 * MHD_CONNECTION_NOTIFY_CLOSED, which libmicrohttpd calls before it closes the socket, so `fd`
 * stays valid for a shutdown() while the peer is in server->peers (under server->lock). */
struct peer {
	struct peer *prev, *next;
	int fd;
	unsigned char ip[16];
	size_t ip_length; /* 4 (IPv4) or 16 (IPv6); 0: unknown */
	enum peer_phase phase;
	struct timespec since; /* CLOCK_MONOTONIC start of the phase */
	int dropped;           /* shut down by the server: no longer counted */
	int refused; /* arrived over a limit with no connection to close for it: not counted; its
	                request is read and answered 503 + Retry-After, then it is closed */
};

struct cds_server {
	struct MHD_Daemon *daemon;
	struct cds__host *host;           /* retained: each request takes its current generation */
	struct cds__metrics *metrics;     /* the host's (it outlives reloads) */
	struct cds__limits own_limits;    /* copied at start: they size the server (no reload) */
	const struct cds__limits *limits; /* &own_limits */
	int log_json;                     /* --log-format json, from the settings at start */
	unsigned port;
	char base_url[320];       /* "http://127.0.0.1:8080": the default JWT aud base */
	atomic_ulong in_flight;   /* requests complete and queued or being answered */
	char *tls_cert, *tls_key; /* NEW PEM texts while TLS is on */
	size_t tls_key_length;
	/* Connections: the list, counts, and the watchdog that enforces the deadlines. */
	pthread_mutex_t lock;
	struct peer *peers; /* newest first */
	unsigned long live; /* peers not dropped */
	struct cds__server_stats stats;
	pthread_cond_t watchdog_wake;
	pthread_t watchdog;
	int watchdog_started, stopping; /* under lock */
	/* libmicrohttpd's own messages (MHD_OPTION_EXTERNAL_LOGGER): counted, summarised by the
	 * watchdog at most once a second. Under mhd_log_lock. */
	pthread_mutex_t mhd_log_lock;
	unsigned long mhd_messages; /* since the last summary */
	unsigned long mhd_total;    /* since the start */
	char mhd_first[200];        /* the first message since the last summary */
	/* Workers: complete requests wait here (their connections suspended) for a worker. */
	pthread_mutex_t queue_lock;
	pthread_cond_t queue_wake;
	struct conn *queue_head, *queue_tail;
	unsigned long queued;
	int queue_closed, workers_paused; /* under queue_lock */
	unsigned long committing; /* under queue_lock: requests waiting for their store commit,
	                             their connection suspended and no worker held */
	pthread_t *workers;
	size_t worker_count;
	int locks_ready;
	/* Fetching: requests whose prefetch lacks data wait here, their connection suspended and
	 * no worker held, until the fetch is done; then they queue for a worker again. */
	struct fhir_fetcher *fetcher;
	struct cds__log *access; /* NEW: the access log's writer (stderr) */
	atomic_ulong fetching;
	atomic_int draining; /* cds_server_drain: answer with `Connection: close` */
};

/* Per-request state: the body received so far (capped), the start time, and, once the request
 * is complete, what a worker answers. */
struct conn {
	char *body;
	size_t length, capacity; /* stored bytes (<= max_body_bytes) */
	size_t received;         /* bytes announced or received, even past the cap */
	size_t announced;        /* Content-Length when within maxBodyBytes, else 0 (chunked) */
	int too_big;
	int responded; /* a reply is queued: ignore whatever else arrives */
	int counted;   /* counted in server->in_flight */
	int close;     /* answer with `Connection: close` (framing error, 413) */
	int submitted; /* handed to the workers (the connection is suspended until answered) */
	int answered;  /* a worker has filled `reply` */
	int refused;   /* the connection was refused (struct peer): discard the body, answer 503 */
	struct cds__pending *pending; /* waiting for, or back from, the fetch thread */
	struct cds_server *server;    /* BORROWED: for the access log and the fetch callback */
	struct cds_app *app; /* a reference to the generation current when its headers came: the
	                        request is answered by it to the end, whatever reloads meanwhile */
	struct timespec start;
	struct timespec fetch_start;       /* when its fetch from fhirServer started (metrics) */
	struct MHD_Connection *connection; /* BORROWED while submitted */
	struct cds_request req;            /* pointers BORROWED from the connection and `body` */
	struct cds_reply reply;
	struct conn *next_queued;
};

/* What the request's header fields say about its framing (filled by scan_field). */
struct framing {
	unsigned content_length;    /* Content-Length field lines */
	int content_length_bad;     /* one of them is not 1*DIGIT */
	unsigned transfer_encoding; /* Transfer-Encoding field lines */
	unsigned codings;           /* transfer codings listed, all lines together */
	unsigned chunked;           /* how many of them are `chunked` */
	int coding_bad;             /* an empty list, or a coding that is not a token */
	int last_chunked;           /* the last coding listed is `chunked` */
	unsigned host;              /* Host field lines */
	int host_bad;               /* a Host value that is no uri-host[:port] */
	int name_bad;               /* a field name with whitespace (or empty) */
};

static int is_tchar(unsigned char ch) /* RFC 9110 §5.6.2 token characters */
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Reads one Transfer-Encoding field value: a comma-separated list of codings (RFC 9112 §6.1). */
static void scan_codings(struct framing *f, const char *value)
{
	const char *p = value;
	int listed = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t') {
			if (!is_tchar((unsigned char)*p))
				f->coding_bad = 1; /* parameters (';') or junk */
			p++;
		}
		size_t n = (size_t)(p - start);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != ',')
			f->coding_bad = 1; /* two words without a comma */
		listed = 1;
		f->codings++;
		f->last_chunked = n == 7 && strncasecmp(start, "chunked", 7) == 0;
		if (f->last_chunked)
			f->chunked++;
	}
	if (!listed)
		f->coding_bad = 1;
}

/* MHD_KeyValueIterator over the request's header fields (one call per field line). */
static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	struct framing *f = cls;
	(void)kind;
	if (!key || !key[0] || strpbrk(key, " \t") != NULL)
		f->name_bad = 1; /* RFC 9112 §5.1: no whitespace between name and colon */
	if (!key || !value)
		return MHD_YES;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->content_length++;
		if (!value[0] || strspn(value, "0123456789") != strlen(value))
			f->content_length_bad = 1;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		scan_codings(f, value);
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		f->host++;
		/* uri-host [":" port]: RFC 3986 unreserved, sub-delims, '%', IP-literal brackets.
		 */
		for (const unsigned char *p = (const unsigned char *)value; *p; p++)
			if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') || strchr("-._~!$&'()*+,;=%[]:", *p)))
				f->host_bad = 1;
	}
	return MHD_YES;
}

/* RFC 9112 checks libmicrohttpd 0.9.75 does not make (it takes the first Content-Length, lets
 * Transfer-Encoding win over Content-Length, reads an unknown coding until the peer closes and
 * serves HTTP/1.1 without Host). Returns 0 when the framing is sound, else the status to answer
 * (400, or 501 for a transfer coding other than chunked) with *why a static reason. */
static unsigned check_framing(struct MHD_Connection *connection, const char *version,
                              const char **why)
{
	struct framing f;
	memset(&f, 0, sizeof f);
	MHD_get_connection_values(connection, MHD_HEADER_KIND, &scan_field, &f);
	/* HTTP/1.1 or a later 1.x: MHD treats them alike. */
	int http11 = version && strncmp(version, "HTTP/1.", 7) == 0 && version[7] >= '1' &&
	             version[7] <= '9';
	*why = NULL;
	if (f.name_bad)
		*why = "a header field name contains whitespace (RFC 9112 §5.1)";
	else if (f.content_length > 1)
		*why = "more than one Content-Length header field (RFC 9112 §6.3)";
	else if (f.content_length_bad)
		*why = "the Content-Length value is not a decimal number (RFC 9112 §6.3)";
	else if (f.transfer_encoding && f.content_length)
		*why = "both Transfer-Encoding and Content-Length (RFC 9112 §6.3)";
	else if (f.transfer_encoding && !http11)
		*why = "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)";
	else if (f.transfer_encoding && (f.coding_bad || !f.last_chunked || f.chunked > 1))
		*why = "Transfer-Encoding must end with a single chunked coding (RFC 9112 §6.3)";
	else if (http11 && f.host != 1)
		*why = f.host ? "more than one Host header field (RFC 9112 §3.2)"
		              : "an HTTP/1.1 request without Host (RFC 9112 §3.2)";
	else if (f.host_bad)
		*why = "the Host value is not a host[:port] (RFC 9112 §3.2)";
	else if (f.transfer_encoding && f.codings > 1) {
		*why = "only the chunked transfer coding is supported (RFC 9112 §6.1)";
		return MHD_HTTP_NOT_IMPLEMENTED;
	}
	return *why ? MHD_HTTP_BAD_REQUEST : 0;
}

/* Copies untrusted text for the access log: printable ASCII except space, else '?'. */
static void sanitize_path(const char *text, char *buf, size_t size)
{
	size_t n = 0;
	for (const char *p = text; p && *p && n + 1 < size; p++)
		buf[n++] = (*p > ' ' && *p < 127 && *p != '"') ? *p : '?';
	buf[n] = '\0';
}

/* An access-log line being written into a fixed buffer (what does not fit is cut). */
struct line {
	char text[1024];
	size_t length;
};

static void line_add(struct line *l, const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof l->text - 1 - l->length)
		n = sizeof l->text - 1 - l->length;
	memcpy(l->text + l->length, s, n);
	l->length += n;
}

static void line_add_number(struct line *l, unsigned long long v)
{
	char digits[24];
	size_t n = sizeof digits;
	digits[--n] = '\0';
	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10) && n > 0);
	line_add(l, digits + n);
}

/* Queues the request's access-log line for the access log's writer thread (stderr, in batches:
 * the polling thread formats the line but never waits for a write). */
static void access_log(struct cds_server *server, const char *method, const char *url,
                       const struct cds_reply *reply, const struct timespec *start)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long long us = (long long)(end.tv_sec - start->tv_sec) * 1000000LL +
	               (long long)(end.tv_nsec - start->tv_nsec) / 1000LL;
	char stamp[40], m[24], path[256];
	cds__timestamp(stamp, sizeof stamp);
	sanitize_path(method, m, sizeof m);
	sanitize_path(url, path, sizeof path);
	if (server->log_json) { /* --log-format json: one JSON object a line, written as
		                 * cJSON_PrintUnformatted would (no tree built) */
		struct fhir_json_writer w;
		fhir_json_init(&w, 0);
		fhir_json_object(&w, NULL);
		fhir_json_string(&w, "time", stamp);
		fhir_json_string(&w, "method", m);
		fhir_json_string(&w, "path", path);
		fhir_json_number(&w, "status", reply->status);
		fhir_json_number(&w, "durationUs", (double)us);
		if (reply->hook_instance[0])
			fhir_json_string(&w, "hookInstance", reply->hook_instance);
		if (reply->log_note[0])
			fhir_json_string(&w, "note", reply->log_note);
		fhir_json_end(&w);
		cds__log_push(server->access, fhir_json_finish(&w, NULL));
		return;
	}
	/* "STAMP METHOD PATH STATUS USus[ hookInstance=ID][ NOTE]", written piece by piece (no
	 * printf on the polling thread) */
	struct line l;
	l.length = 0;
	line_add(&l, stamp);
	line_add(&l, " ");
	line_add(&l, m);
	line_add(&l, " ");
	line_add(&l, path);
	line_add(&l, " ");
	line_add_number(&l, reply->status);
	line_add(&l, " ");
	if (us < 0) {
		line_add(&l, "-");
		us = -us;
	}
	line_add_number(&l, (unsigned long long)us);
	line_add(&l, "us");
	if (reply->hook_instance[0]) {
		line_add(&l, " hookInstance=");
		line_add(&l, reply->hook_instance);
	}
	if (reply->log_note[0]) {
		line_add(&l, " ");
		line_add(&l, reply->log_note);
	}
	char *text = cds__must(malloc(l.length + 1));
	memcpy(text, l.text, l.length);
	text[l.length] = '\0';
	cds__log_push(server->access, text);
}

/* Seconds from `start` (CLOCK_MONOTONIC) to now. */
static double seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Queues `reply` (cleared here; its body is taken by the response) and logs the request. */
static enum MHD_Result queue_reply(struct MHD_Connection *connection, const char *url,
                                   const char *method, struct conn *c, struct cds_reply *reply)
{
	struct MHD_Response *response = MHD_create_response_from_buffer_with_free_callback(
	    reply->body_length, reply->body, &free);
	if (!response) {
		cds_reply_clear(reply);
		return MHD_NO;
	}
	reply->body = NULL; /* taken by the response */
	if (reply->content_type || reply->body_length > 0)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        reply->content_type ? reply->content_type
		                                            : "application/json");
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (reply->allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply->allow);
	for (size_t i = 0; i < reply->header_count; i++) /* CORS, WWW-Authenticate, Retry-After */
		MHD_add_response_header(response, reply->headers[i].name, reply->headers[i].value);
	/* Stopping (cds_server_drain): the connection closes after this reply (RFC 9112 §9.6). */
	if (c->close || atomic_load(&c->server->draining))
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(connection, reply->status, response);
	c->responded = 1;
	MHD_destroy_response(response);
	cds__metrics_request(c->server->metrics, url, reply->status, seconds_since(&c->start));
	if (!c->refused) /* refusals are counted and summarised once a second (watchdog_main) */
		access_log(c->server, method, url, reply, &c->start);
	cds_reply_clear(reply);
	return ret;
}

/* Answers a request whose framing is unsound (check_framing): `status` with an
 * OperationOutcome saying why, the CORS headers, and `Connection: close`. */
static enum MHD_Result refuse_framing(struct cds_server *server, struct MHD_Connection *connection,
                                      const char *url, const char *method, struct conn *c,
                                      unsigned status, const char *why)
{
	struct cds_reply reply;
	(void)server; /* the CORS settings are the request's generation's */
	memset(&reply, 0, sizeof reply);
	cds__reply_error(&reply, status,
	                 status == MHD_HTTP_NOT_IMPLEMENTED ? "not-supported" : "structure", NULL,
	                 "%s", why);
	cds__cors_headers(c->app->settings,
	                  MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin"), 0,
	                  &reply);
	snprintf(reply.log_note, sizeof reply.log_note, "framing");
	c->close = 1;
	return queue_reply(connection, url, method, c, &reply);
}

static long long elapsed_ms(const struct timespec *from, const struct timespec *to)
{
	return (long long)(to->tv_sec - from->tv_sec) * 1000LL +
	       (long long)(to->tv_nsec - from->tv_nsec) / 1000000LL;
}

/* ---- connections: limits, eviction, deadlines ------------------------------------------------ */

/* Closes a peer's connection from any thread: after shutdown() libmicrohttpd's next read sees
 * the end and closes it (NOTIFY_CLOSED then unlinks the peer). Under server->lock. */
static void drop_peer(struct cds_server *server, struct peer *p)
{
	if (p->dropped)
		return;
	if (p->fd >= 0)
		shutdown(p->fd, SHUT_RDWR);
	p->dropped = 1;
	if (!p->refused)
		server->live--;
}

static struct peer *peer_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Moves a connection to `phase`, whose deadline starts now. */
static void set_phase(struct cds_server *server, struct MHD_Connection *connection,
                      enum peer_phase phase)
{
	struct peer *p = peer_of(connection);
	if (!p)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&server->lock);
	p->phase = phase;
	p->since = now;
	pthread_mutex_unlock(&server->lock);
}

/* 1 when closing the peer's socket now sends a FIN, not a reset: nothing it sent is waiting
 * unread in the kernel (a request libmicrohttpd has not read yet would be lost, and the close
 * answered with RST). */
static int closes_cleanly(const struct peer *p)
{
	int unread = 0;
	return p->fd >= 0 && ioctl(p->fd, FIONREAD, &unread) == 0 && unread == 0;
}

/* The counted connection (not `self`, not dropped) that has waited longest, and at least
 * SERVER_EVICT_MIN_WAIT_MS, for its request line and headers and can be closed without a reset
 * (closes_cleanly), from that address when ip_length > 0; NULL if none. A client whose request
 * is on its way is thus not cut off to make room; one trickling its headers (whose bytes
 * libmicrohttpd reads as they come) or an idle kept-alive one is. Under server->lock. */
static struct peer *oldest_waiting(struct cds_server *server, const struct peer *self,
                                   const unsigned char *ip, size_t ip_length)
{
	struct peer *best = NULL;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (struct peer *p = server->peers; p; p = p->next) {
		if (p == self || p->dropped || p->refused || p->phase != PEER_HEADERS ||
		    elapsed_ms(&p->since, &now) < SERVER_EVICT_MIN_WAIT_MS)
			continue;
		if (ip_length && (p->ip_length != ip_length || memcmp(p->ip, ip, ip_length) != 0))
			continue;
		if ((!best || p->since.tv_sec < best->since.tv_sec ||
		     (p->since.tv_sec == best->since.tv_sec &&
		      p->since.tv_nsec < best->since.tv_nsec)) &&
		    closes_cleanly(p))
			best = p;
	}
	return best;
}

/* MHD_NotifyConnectionCallback: registers each new connection and applies maxConnections and
 * maxConnectionsPerIp. Over a limit, the connection (of that address, for the per-IP limit)
 * that has waited longest for its headers is closed to make room — so connections that trickle
 * headers cannot lock others out, even behind a proxy where every client has one address —
 * and when none can be closed cleanly the new one is refused: not counted, it is answered
 * 503 + Retry-After once its request is in, then closed (never reset). */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct cds_server *server = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct peer *p = *socket_context;
		if (!p)
			return;
		pthread_mutex_lock(&server->lock);
		if (!p->dropped && !p->refused)
			server->live--;
		if (p->prev)
			p->prev->next = p->next;
		else
			server->peers = p->next;
		if (p->next)
			p->next->prev = p->prev;
		pthread_mutex_unlock(&server->lock);
		free(p);
		*socket_context = NULL;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	struct peer *p = cds__must(calloc(1, sizeof *p));
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
	p->fd = ci ? (int)ci->connect_fd : -1;
	ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
		memcpy(p->ip,
		       &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, 4);
		p->ip_length = 4;
	} else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6) {
		memcpy(p->ip,
		       &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr,
		       16);
		p->ip_length = 16;
	}
	p->phase = PEER_HEADERS;
	clock_gettime(CLOCK_MONOTONIC, &p->since);
	*socket_context = p;
	pthread_mutex_lock(&server->lock);
	p->next = server->peers;
	if (server->peers)
		server->peers->prev = p;
	server->peers = p;
	server->live++;
	unsigned long same_ip = 0;
	if (p->ip_length)
		for (struct peer *q = server->peers; q; q = q->next)
			same_ip += !q->dropped && !q->refused && q->ip_length == p->ip_length &&
			           memcmp(q->ip, p->ip, p->ip_length) == 0;
	struct peer *victim = NULL;
	int full = 1, per_ip = 0;
	if (same_ip > server->limits->max_connections_per_ip) {
		per_ip = 1;
		victim = oldest_waiting(server, p, p->ip, p->ip_length);
	} else if (server->live > server->limits->max_connections) {
		victim = oldest_waiting(server, p, NULL, 0);
	} else {
		full = 0;
	}
	if (full && victim) {
		server->stats.evicted++;
		drop_peer(server, victim);
	} else if (full) {
		server->stats.refused++;
		server->stats.refused_per_ip += (unsigned long)per_ip;
		p->refused = 1; /* answered 503 by on_request; bounded by MHD's ceiling */
		server->live--;
	}
	pthread_mutex_unlock(&server->lock);
}

/* MHD_LogCallback: libmicrohttpd's own error messages (a client gone before its reply, a
 * connection over the hard ceiling, ...) come at the rate of the events that cause them, so they
 * are counted here and summarised by the watchdog at most once a second, never printed one by
 * one. Any thread. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct cds_server *server = cls;
	pthread_mutex_lock(&server->mhd_log_lock);
	server->mhd_total++;
	if (server->mhd_messages++ == 0) {
		vsnprintf(server->mhd_first, sizeof server->mhd_first, fmt, ap);
		server->mhd_first[strcspn(server->mhd_first, "\r\n")] = '\0';
	}
	pthread_mutex_unlock(&server->mhd_log_lock);
}

/* Prints what happened to connections since the previous report `was` (at most one line per
 * kind) and libmicrohttpd's messages since the last call. Not under server->lock. */
static void report_connections(struct cds_server *server, const struct cds__server_stats *now,
                               const struct cds__server_stats *was)
{
	const struct cds__limits *l = server->limits;
	char stamp[40];
	cds__timestamp(stamp, sizeof stamp);
	unsigned long refused = now->refused - was->refused;
	unsigned long per_ip = now->refused_per_ip - was->refused_per_ip;
	unsigned long headers = now->header_deadline_drops - was->header_deadline_drops;
	unsigned long bodies = now->body_deadline_drops - was->body_deadline_drops;
	unsigned long evicted = now->evicted - was->evicted;
	if (refused)
		fprintf(stderr,
		        "%s refused %lu connection%s in the last second: over maxConnections %lu "
		        "(%lu) or maxConnectionsPerIp %lu (%lu) with no connection waiting that "
		        "could be closed; each answered 503 with Retry-After %lu\n",
		        stamp, refused, refused == 1 ? "" : "s", l->max_connections,
		        refused - per_ip, l->max_connections_per_ip, per_ip,
		        l->retry_after_seconds);
	if (headers || bodies || evicted)
		fprintf(stderr,
		        "%s closed %lu connection%s in the last second: %lu headers not in %lus, "
		        "%lu bodies not in %lus, %lu waiting for headers to make room\n",
		        stamp, headers + bodies + evicted,
		        headers + bodies + evicted == 1 ? "" : "s", headers,
		        l->header_deadline_seconds, bodies, l->body_deadline_seconds, evicted);
	pthread_mutex_lock(&server->mhd_log_lock);
	unsigned long messages = server->mhd_messages;
	char first[sizeof server->mhd_first];
	memcpy(first, server->mhd_first, sizeof first);
	server->mhd_messages = 0;
	pthread_mutex_unlock(&server->mhd_log_lock);
	if (messages)
		fprintf(stderr,
		        "%s libmicrohttpd: %lu message%s in the last second, the first: %s\n",
		        stamp, messages, messages == 1 ? "" : "s", first);
}

/* The watchdog thread: every 100 ms closes the connections past their phase's absolute deadline
 * (headers: headerDeadlineSeconds from the connection's start or its previous reply; body:
 * bodyDeadlineSeconds from the end of the headers) — libmicrohttpd's own timeout is an idle one,
 * restarted by every byte — and once a second reports what was refused or closed in that
 * second, and libmicrohttpd's messages (report_connections); once more when stopping. */
static void *watchdog_main(void *arg)
{
	struct cds_server *server = arg;
	const long long header_ms = (long long)server->limits->header_deadline_seconds * 1000LL;
	const long long body_ms = (long long)server->limits->body_deadline_seconds * 1000LL;
	struct cds__server_stats was;
	struct timespec last_report;
	clock_gettime(CLOCK_MONOTONIC, &last_report);
	pthread_mutex_lock(&server->lock);
	was = server->stats;
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (struct peer *p = server->peers; p; p = p->next) {
			if (p->dropped)
				continue;
			long long ms = elapsed_ms(&p->since, &now);
			if (p->phase == PEER_HEADERS && ms >= header_ms) {
				server->stats.header_deadline_drops++;
				drop_peer(server, p);
			} else if (p->phase == PEER_BODY && ms >= body_ms) {
				server->stats.body_deadline_drops++;
				drop_peer(server, p);
			}
		}
		int stopping = server->stopping;
		if (stopping || elapsed_ms(&last_report, &now) >= 1000) {
			struct cds__server_stats st = server->stats;
			pthread_mutex_unlock(&server->lock);
			report_connections(server, &st, &was);
			was = st;
			last_report = now;
			pthread_mutex_lock(&server->lock);
		}
		if (stopping)
			break;
		struct timespec until = now;
		until.tv_nsec += 100000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&server->watchdog_wake, &server->lock, &until);
	}
	pthread_mutex_unlock(&server->lock);
	return NULL;
}

/* ---- requests: in flight, the workers ------------------------------------------------------- */

/* Gives back the request's in-flight slot, once. */
static void release_slot(struct cds_server *server, struct conn *c)
{
	if (c->counted) {
		c->counted = 0;
		atomic_fetch_sub(&server->in_flight, 1);
	}
}

/* Queues a request at the tail for a worker and wakes one (the caller holds queue_lock). */
static void enqueue_locked(struct cds_server *server, struct conn *c)
{
	c->next_queued = NULL;
	if (server->queue_tail)
		server->queue_tail->next_queued = c;
	else
		server->queue_head = c;
	server->queue_tail = c;
	server->queued++;
	pthread_cond_signal(&server->queue_wake);
}

/* fhir_fetch_done_fn, on the fetch thread: the request's data is in; a worker finishes it. */
static void fetch_done(void *ctx, int status)
{
	struct conn *c = ctx;
	struct cds_server *server = c->server;
	(void)status; /* each item says how it went */
	cds__metrics_fetch(server->metrics, &c->pending->plan, seconds_since(&c->fetch_start));
	atomic_fetch_sub(&server->fetching, 1);
	pthread_mutex_lock(&server->queue_lock);
	enqueue_locked(server, c);
	pthread_mutex_unlock(&server->queue_lock);
}

/* cds__record_submit's callback, on the store writer's thread (or its timer's): the request's
 * decisions are committed (or not); a worker answers it. */
static void commit_done(void *ctx)
{
	struct conn *c = ctx;
	struct cds_server *server = c->server;
	pthread_mutex_lock(&server->queue_lock);
	server->committing--;
	enqueue_locked(server, c);
	pthread_mutex_unlock(&server->queue_lock);
}

/* Takes a request one step further on a worker: 1 when it is parked (c belongs to the fetch
 * thread or the store writer until it comes back to the queue), 0 when c->reply is its answer. */
static int advance(struct cds_server *server, struct conn *c)
{
	int waiting = c->pending ? cds__handle_finish(c->app, &c->req, c->pending, &c->reply)
	                         : cds__handle_start(c->app, &c->req, &c->reply, &c->pending);
	while (waiting) {
		struct cds__pending *p = c->pending;
		if (p->wait == CDS__WAIT_COMMIT) {
			pthread_mutex_lock(&server->queue_lock);
			server->committing++;
			pthread_mutex_unlock(&server->queue_lock);
			cds__record_submit(c->app, p, &commit_done, c);
			return 1; /* c is the writer's until commit_done */
		}
		atomic_fetch_add(&server->fetching, 1);
		clock_gettime(CLOCK_MONOTONIC, &c->fetch_start);
		if (cds__fetch_start(c->app, &p->plan, server->fetcher, &fetch_done, c) == FHIR_OK)
			return 1; /* c is the fetch thread's until fetch_done */
		atomic_fetch_sub(&server->fetching, 1);
		/* Not started (the server is stopping): the items say why. */
		waiting = cds__handle_finish(c->app, &c->req, p, &c->reply);
	}
	c->pending = NULL;
	return 0;
}

/* A worker: answers queued requests and resumes their connections, whose handler (in the
 * polling thread) then queues the reply. A service call is answered in turns (advance): up to a
 * fetch from its fhirServer or its store commit (cds__handle_start), then, once the fetch
 * thread has the data or the writer has committed, the rest (cds__handle_finish); in between
 * the request holds no worker. Once the queue is closed, a worker leaves when nothing is queued
 * and no commit is outstanding (its request comes back to the queue). */
static void *worker_main(void *arg)
{
	struct cds_server *server = arg;
	pthread_mutex_lock(&server->queue_lock);
	for (;;) {
		while (!server->queue_head || (server->workers_paused && !server->queue_closed)) {
			if (server->queue_closed && !server->queue_head && !server->committing)
				break;
			pthread_cond_wait(&server->queue_wake, &server->queue_lock);
		}
		struct conn *c = server->queue_head;
		if (!c) {
			pthread_cond_broadcast(
			    &server->queue_wake); /* the other workers leave too */
			break;                    /* closed and drained */
		}
		server->queue_head = c->next_queued;
		if (!server->queue_head)
			server->queue_tail = NULL;
		server->queued--;
		pthread_mutex_unlock(&server->queue_lock);
		if (!advance(server, c)) {
			c->answered = 1;
			MHD_resume_connection(c->connection); /* c is not touched after this */
		}
		pthread_mutex_lock(&server->queue_lock);
	}
	pthread_mutex_unlock(&server->queue_lock);
	return NULL;
}

/* 1 when the peer's address is loopback: 127.0.0.0/8, ::1, or ::ffff:127.x.x.x. */
static int peer_loopback(const struct peer *p)
{
	static const unsigned char v6_loopback[16] = {[15] = 1};
	static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (!p)
		return 0;
	if (p->ip_length == 4)
		return p->ip[0] == 127;
	if (p->ip_length == 16)
		return memcmp(p->ip, v6_loopback, 16) == 0 ||
		       (memcmp(p->ip, v4_mapped, 12) == 0 && p->ip[12] == 127);
	return 0;
}

/* Collects one query parameter into the request (MHD_KeyValueIterator); counts past the
 * end so that the route can refuse a request with too many. */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct cds_request *req = cls;
	(void)kind;
	if (req->arg_count < CDS_REQUEST_MAX_ARGS) {
		req->args[req->arg_count].name = key;
		req->args[req->arg_count].value = value;
	}
	if (req->arg_count <= CDS_REQUEST_MAX_ARGS)
		req->arg_count++;
	return MHD_YES;
}

/* Hands a complete request to the workers: takes an in-flight slot (none left, or stopping:
 * 503 + Retry-After at once, from this thread) and suspends the connection until a worker has
 * answered. The request's header values stay in the connection's memory meanwhile. */
static enum MHD_Result submit(struct cds_server *server, struct MHD_Connection *connection,
                              const char *url, const char *method, struct conn *c)
{
	struct cds_request *req = &c->req;
	memset(req, 0, sizeof *req);
	req->method = method;
	req->path = url;
	req->content_type =
	    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req->body = c->too_big ? NULL : c->body;
	req->body_length = c->too_big ? c->received : c->length;
	req->now = NULL;
	req->authorization =
	    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req->origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
	req->base_url = server->base_url;
	req->host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	req->loopback = peer_loopback(peer_of(connection));
	MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_arg, req);
	set_phase(server, connection, PEER_ANSWERING);
	int busy = c->refused; /* a refused connection: 503, no slot taken */
	unsigned long cur = atomic_load(&server->in_flight);
	if (!busy)
		do {
			if (cur >= server->limits->max_in_flight) {
				busy = 1;
				break;
			}
		} while (!atomic_compare_exchange_weak(&server->in_flight, &cur, cur + 1));
	if (!busy) {
		c->counted = 1;
		pthread_mutex_lock(&server->queue_lock);
		if (server->queue_closed) {
			busy = 1;
		} else {
			c->submitted = 1;
			c->connection = connection;
			/* Suspended before any worker can see it, so its resume comes after. */
			MHD_suspend_connection(connection);
			enqueue_locked(server, c);
		}
		pthread_mutex_unlock(&server->queue_lock);
		if (!busy)
			return MHD_YES;
		release_slot(server, c);
	}
	/* Overload: 503 + Retry-After now (the service recovers as requests finish). */
	req->busy_retry_after = (unsigned)server->limits->retry_after_seconds;
	cds_handle(c->app, req, &c->reply);
	return queue_reply(connection, url, method, c, &c->reply);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct cds_server *server = cls;
	struct conn *c = *con_cls;
	const unsigned long max_body = server->limits->max_body_bytes;
	if (!c) { /* first call: headers only */
		c = cds__must(calloc(1, sizeof *c));
		c->server = server;
		/* The request's generation, held until on_completed: a reload meanwhile does not
		 * change what answers it. The host is closed only after the server stops. */
		c->app = cds__app_acquire(server->host);
		clock_gettime(CLOCK_MONOTONIC, &c->start);
		*con_cls = c;
		set_phase(server, connection, PEER_BODY); /* the body deadline starts */
		/* Framing first: a request whose body length is ambiguous is answered before any
		 * of it is read, and the connection closed, so no byte of it is taken as the
		 * next request (RFC 9112 §6.3, §11.2). */
		const char *why = NULL;
		unsigned bad = check_framing(connection, version, &why);
		if (bad) {
			set_phase(server, connection, PEER_ANSWERING);
			return refuse_framing(server, connection, url, method, c, bad, why);
		}
		const struct peer *p = peer_of(connection); /* `refused` is set before this call */
		if (p && p->refused) {
			c->refused = 1;
			c->close = 1;
			/* Waiting for 100 Continue: answered now, no body is sent. Otherwise the
			 * body is read and thrown away first, so the client reads its 503. */
			if (MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
			                                MHD_HTTP_HEADER_EXPECT))
				return submit(server, connection, url, method, c);
		}
		const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			unsigned long long n = strtoull(cl, &end, 10);
			if (end != cl && n <= max_body)
				c->announced = (size_t)n;
			if (end != cl && n > max_body) {
				c->too_big = 1;
				c->close = 1;
				c->received =
				    n > (unsigned long long)SIZE_MAX ? SIZE_MAX : (size_t)n;
				/* A client waiting for 100 Continue, or a body too large to
				 * swallow, gets its 413 now (libmicrohttpd then reads no body
				 * and closes); any other body is read and thrown away first,
				 * so the client can finish sending and read the 413. */
				if (n - max_body > SERVER_DISCARD_MAX_BYTES ||
				    MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
				                                MHD_HTTP_HEADER_EXPECT))
					return submit(server, connection, url, method, c);
				c->received = 0; /* counted again as it arrives */
			}
		}
		return MHD_YES;
	}
	if (c->submitted) { /* resumed: a worker has answered */
		if (!c->answered)
			return MHD_YES;
		c->submitted = 0;
		enum MHD_Result ret = queue_reply(connection, url, method, c, &c->reply);
		release_slot(server, c);
		return ret;
	}
	if (c->responded) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		c->received = c->received + n < c->received ? SIZE_MAX : c->received + n;
		if (c->received > max_body && c->received - max_body > SERVER_DISCARD_MAX_BYTES) {
			/* A chunked body far past the limit: no reply can be queued mid-body,
			 * so the connection is closed. */
			char stamp[40], path[256];
			cds__timestamp(stamp, sizeof stamp);
			sanitize_path(url, path, sizeof path);
			fprintf(stderr, "%s %s %s dropped: body over %lu bytes\n", stamp, method,
			        path, max_body + SERVER_DISCARD_MAX_BYTES);
			return MHD_NO;
		}
		if (c->refused) { /* answered 503 once it is all in: nothing kept */
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (!c->too_big && c->length + n > max_body) {
			c->too_big = 1;
			c->close = 1;
			free(c->body);
			c->body = NULL;
			c->length = c->capacity = 0;
		}
		if (!c->too_big) {
			if (c->length + n + 1 > c->capacity) {
				/* first: room for the announced body in one allocation (up to
				 * SERVER_BODY_FIRST_MAX, so a client cannot reserve maxBodyBytes
				 * per connection with a few bytes), else 8 KB, then doubled */
				size_t cap =
				    c->capacity ? c->capacity
				    : c->announced >= 8192 && c->announced < SERVER_BODY_FIRST_MAX
				        ? c->announced + 1
				        : 8192;
				while (cap < c->length + n + 1)
					cap *= 2;
				c->body = cds__must(realloc(c->body, cap));
				c->capacity = cap;
			}
			memcpy(c->body + c->length, upload_data, n);
			c->length += n;
			c->body[c->length] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return submit(server, connection, url, method, c);
}

/* MHD_RequestCompletedCallback: runs for every request the handler saw, however it ended
 * (answered, failed, client gone, closed at a deadline, daemon stopping), so the in-flight slot
 * is always given back here if the reply path did not; the connection then waits for its next
 * request (the header deadline starts again). */
static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct cds_server *server = cls;
	(void)toe;
	struct conn *c = *con_cls;
	if (c) {
		release_slot(server, c);
		if (c->submitted && c->answered)
			cds_reply_clear(&c->reply); /* answered, never sent */
		cds__app_release(c->app); /* the last request of a replaced generation frees it */
		free(c->body);
		free(c);
	}
	*con_cls = NULL;
	set_phase(server, connection, PEER_HEADERS);
}

/* ---- the daemon ------------------------------------------------------------------------------ */

void cds__server_stats(struct cds_server *server, struct cds__server_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!server || !server->locks_ready)
		return;
	pthread_mutex_lock(&server->lock);
	*out = server->stats;
	out->connections = server->live;
	pthread_mutex_unlock(&server->lock);
	pthread_mutex_lock(&server->queue_lock);
	out->queued = server->queued;
	out->committing = server->committing;
	pthread_mutex_unlock(&server->queue_lock);
	pthread_mutex_lock(&server->mhd_log_lock);
	out->mhd_messages = server->mhd_total;
	pthread_mutex_unlock(&server->mhd_log_lock);
	out->fetching = atomic_load(&server->fetching);
	out->in_flight = atomic_load(&server->in_flight);
}

void cds__server_pause_workers(struct cds_server *server, int paused)
{
	if (!server || !server->locks_ready)
		return;
	pthread_mutex_lock(&server->queue_lock);
	server->workers_paused = paused;
	pthread_cond_broadcast(&server->queue_wake);
	pthread_mutex_unlock(&server->queue_lock);
}

/* Opens, binds and listens on addr, so the bound port (and the aud base URL) is known before
 * the first request can arrive. Returns the socket or -1. */
static int open_listener(const struct sockaddr *addr, socklen_t len, unsigned *port)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (addr->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof bound;
	if (bind(fd, addr, len) != 0 || listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &bound_len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
	                                          : ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

/* Reads the TLS certificate and key (PEM) named in the settings. */
static int read_tls(struct cds_server *server, const struct cds_config *cfg, struct fhir_error *err)
{
	size_t length = 0;
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		fhir_error_set(err, "--tls-cert", "this libmicrohttpd was built without TLS");
		return FHIR_ERR_INVALID;
	}
	int rc =
	    cds__read_file(cfg->tls_cert, SERVER_TLS_MAX_FILE, &server->tls_cert, &length, err);
	if (rc == FHIR_OK)
		rc = cds__read_file(cfg->tls_key, SERVER_TLS_MAX_FILE, &server->tls_key,
		                    &server->tls_key_length, err);
	return rc;
}

int cds_server_start(struct cds_app *app, const char *bind, unsigned port, struct cds_server **out,
                     struct fhir_error *err)
{
	int rc = FHIR_OK, fd = -1;
	struct cds_server *server = NULL;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	const struct sockaddr *addr = NULL;
	socklen_t addr_len = 0;
	const struct cds_config *cfg = app->settings;
	const struct cds__limits *limits = &cfg->limits;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
	                 MHD_ALLOW_SUSPEND_RESUME;
	*out = NULL;
	if (!bind || strcmp(bind, "localhost") == 0)
		bind = "127.0.0.1";
	if (port > 65535u) {
		fhir_error_set(err, "port", "port %u is out of range (0-65535)", port);
		rc = FHIR_ERR_INVALID;
		goto out;
	}
	memset(&in4, 0, sizeof in4);
	memset(&in6, 0, sizeof in6);
	if (inet_pton(AF_INET, bind, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		in4.sin_port = htons((uint16_t)port);
		addr = (const struct sockaddr *)&in4;
		addr_len = sizeof in4;
	} else if (inet_pton(AF_INET6, bind, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons((uint16_t)port);
		addr = (const struct sockaddr *)&in6;
		addr_len = sizeof in6;
		flags |= MHD_USE_IPv6;
	} else {
		fhir_error_set(err, "bind", "'%.100s' is not an IPv4 or IPv6 address", bind);
		rc = FHIR_ERR_INVALID;
		goto out;
	}
	server = cds__must(calloc(1, sizeof *server));
	server->host = cds__host_retain(app->host);
	server->metrics = app->metrics;
	server->own_limits = *limits;
	server->limits = &server->own_limits;
	server->log_json = cfg->log_json;
	atomic_init(&server->in_flight, 0);
	atomic_init(&server->fetching, 0);
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC); /* the watchdog's timed waits */
	pthread_mutex_init(&server->lock, NULL);
	pthread_cond_init(&server->watchdog_wake, &monotonic);
	pthread_mutex_init(&server->queue_lock, NULL);
	pthread_cond_init(&server->queue_wake, NULL);
	pthread_mutex_init(&server->mhd_log_lock, NULL);
	pthread_condattr_destroy(&monotonic);
	server->locks_ready = 1;
	server->access = cds__log_open(stderr, 0, CDS__LOG_QUEUE_LINES);
	if (cfg->tls_cert && cfg->tls_key) {
		if ((rc = read_tls(server, cfg, err)) != FHIR_OK)
			goto out;
		flags |= MHD_USE_TLS;
	}
	fd = open_listener(addr, addr_len, &server->port);
	if (fd < 0) {
		fhir_error_set(err, bind, "cannot listen on %s port %u (in use, or not permitted?)",
		               bind, port);
		rc = FHIR_ERR_IO;
		goto out;
	}
	int v6 = strchr(bind, ':') != NULL;
	snprintf(server->base_url, sizeof server->base_url, "%s://%s%s%s:%u",
	         server->tls_cert ? "https" : "http", v6 ? "[" : "", bind, v6 ? "]" : "",
	         server->port);
	if ((rc = fhir_fetcher_new(&server->fetcher, err)) != FHIR_OK) {
		close(fd);
		goto out;
	}
	/* The workers and the watchdog run before the first connection can arrive. */
	server->workers =
	    cds__must(calloc(limits->threads ? limits->threads : 1, sizeof *server->workers));
	for (unsigned long i = 0; i < (limits->threads ? limits->threads : 1); i++) {
		if (pthread_create(&server->workers[i], NULL, &worker_main, server) != 0)
			break;
		server->worker_count++;
	}
	if (server->worker_count == 0 ||
	    pthread_create(&server->watchdog, NULL, &watchdog_main, server) != 0) {
		close(fd);
		fhir_error_set(err, bind, "cannot start the server's threads");
		rc = FHIR_ERR_IO;
		goto out;
	}
	server->watchdog_started = 1;
	/* libmicrohttpd's limits: idle timeout, per-connection memory (the request line and
	 * headers must fit: libmicrohttpd answers 431 otherwise), and a hard ceiling on
	 * connections above maxConnections, for those closed by on_connection but not yet
	 * reaped and those refused (answered 503 once their request is in, within the header
	 * deadline). At the ceiling libmicrohttpd stops accepting: new connections wait in the
	 * listen backlog. maxConnections and maxConnectionsPerIp themselves are on_connection's. */
	unsigned long ceiling = limits->max_connections + limits->max_connections / 4 + 16;
	struct MHD_OptionItem tls_options[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, server->tls_cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, server->tls_key},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)SERVER_TLS_PRIORITIES},
	    {MHD_OPTION_HTTPS_MEM_DHPARAMS, 0, (void *)server_tls_ffdhe2048},
	    {MHD_OPTION_END, 0, NULL}};
	struct MHD_OptionItem no_options[] = {{MHD_OPTION_END, 0, NULL}};
	server->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, &on_request, server,
	    /* first, or libmicrohttpd prints some messages itself */
	    MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_log, server, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)ceiling, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)limits->idle_timeout_seconds, MHD_OPTION_NOTIFY_CONNECTION,
	    &on_connection, server, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)limits->max_header_bytes, MHD_OPTION_NOTIFY_COMPLETED, &on_completed, server,
	    MHD_OPTION_ARRAY, server->tls_cert ? tls_options : no_options, MHD_OPTION_END);
	if (!server->daemon) {
		close(fd);
		fhir_error_set(err, bind, "cannot start the HTTP%s server on %s port %u%s",
		               server->tls_cert ? "S" : "", bind, server->port,
		               server->tls_cert ? " (is the TLS certificate/key pair valid PEM?)"
		                                : "");
		rc = FHIR_ERR_IO;
		goto out;
	}
	cds__metrics_attach(app->metrics, server); /* connection counts for GET /metrics */
	*out = server;
	server = NULL;
out:
	cds_server_stop(server);
	return rc;
}

unsigned cds_server_port(const struct cds_server *server)
{
	return server ? server->port : 0;
}

const char *cds_server_url(const struct cds_server *server)
{
	return server ? server->base_url : "";
}

void cds_server_stop(struct cds_server *server)
{
	if (!server)
		return;
	if (server->locks_ready) {
		/* The fetch thread first: every fetch still waiting ends (its keys unavailable)
		 * and goes back to the workers, and no new one starts. Then the workers: they
		 * answer what is queued and what comes back from the store writer (within its
		 * wait), resume those connections and exit (the polling thread answers 503
		 * meanwhile), so none is left suspended. */
		fhir_fetcher_stop(server->fetcher);
		pthread_mutex_lock(&server->queue_lock);
		server->queue_closed = 1;
		pthread_cond_broadcast(&server->queue_wake);
		pthread_mutex_unlock(&server->queue_lock);
		for (size_t i = 0; i < server->worker_count; i++)
			pthread_join(server->workers[i], NULL);
		pthread_mutex_lock(&server->lock);
		server->stopping = 1;
		pthread_cond_broadcast(&server->watchdog_wake);
		pthread_mutex_unlock(&server->lock);
		if (server->watchdog_started)
			pthread_join(server->watchdog, NULL);
	}
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	cds__metrics_attach(server->metrics, NULL);
	cds__log_close(server->access); /* every access-log line is written before we return */
	if (server->locks_ready) {
		pthread_mutex_destroy(&server->lock);
		pthread_cond_destroy(&server->watchdog_wake);
		pthread_mutex_destroy(&server->queue_lock);
		pthread_cond_destroy(&server->queue_wake);
		pthread_mutex_destroy(&server->mhd_log_lock);
	}
	free(server->workers);
	fhir_fetcher_free(server->fetcher);
	if (server->tls_key) { /* do not leave the private key in freed memory */
		volatile char *k = server->tls_key;
		for (size_t i = 0; i < server->tls_key_length; i++)
			k[i] = 0;
	}
	free(server->tls_key);
	free(server->tls_cert);
	cds__host_release(server->host);
	free(server);
}

/* Requests not yet answered: every connection past its headers, with bytes waiting unread (a
 * request on its way), or back to waiting for a request line less than SERVER_EVICT_MIN_WAIT_MS
 * ago (libmicrohttpd may have read a request it has not handed over yet). Under server->lock. */
static unsigned long unanswered_locked(struct cds_server *server)
{
	unsigned long n = 0;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (struct peer *p = server->peers; p; p = p->next)
		if (!p->dropped && (p->phase != PEER_HEADERS || !closes_cleanly(p) ||
		                    elapsed_ms(&p->since, &now) < SERVER_EVICT_MIN_WAIT_MS))
			n++;
	return n;
}

/* While stopping: closes the idle kept-alive connections (RFC 9112 §9.6: a server may close an
 * idle connection) — those waiting for a request line for SERVER_EVICT_MIN_WAIT_MS or more with
 * nothing unread, as eviction judges them (oldest_waiting): a younger one may have a request that
 * libmicrohttpd has read but not yet handed over, and is answered, with `Connection: close`. */
static void close_idle(struct cds_server *server)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&server->lock);
	for (struct peer *p = server->peers; p; p = p->next)
		if (!p->dropped && !p->refused && p->phase == PEER_HEADERS &&
		    elapsed_ms(&p->since, &now) >= SERVER_EVICT_MIN_WAIT_MS && closes_cleanly(p))
			drop_peer(server, p);
	pthread_mutex_unlock(&server->lock);
}

/* Waits until nothing is unanswered or the monotonic `deadline` passes; returns what is left. */
static unsigned long wait_answered(struct cds_server *server, const struct timespec *deadline)
{
	for (;;) {
		struct timespec now, nap = {0, 10 * 1000000L};
		pthread_mutex_lock(&server->lock);
		unsigned long left = unanswered_locked(server);
		pthread_mutex_unlock(&server->lock);
		left += atomic_load(&server->in_flight) && !left ? 1 : 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!left || elapsed_ms(deadline, &now) >= 0)
			return left;
		nanosleep(&nap, NULL);
		close_idle(server); /* those that have become idle meanwhile */
	}
}

void cds_server_quiesce(struct cds_server *server)
{
	if (!server || !server->daemon || atomic_exchange(&server->draining, 1))
		return;
	cds__metrics_draining(server->metrics); /* GET /readyz: 503 */
	/* No new connection from now on: libmicrohttpd stops accepting and gives the listening
	 * socket back; closing it makes new connects fail at once (refused), not wait. */
	MHD_socket listener = MHD_quiesce_daemon(server->daemon);
	if (listener != MHD_INVALID_SOCKET) {
		/* Connections the kernel had completed but libmicrohttpd not yet accepted would be
		 * reset by the close, their requests possibly sent: they are taken over instead
		 * (MHD_add_connection; it closes the socket itself on failure) and answered like
		 * the rest. Only a handshake completing between the last accept and the close is
		 * still reset. */
		int fl = fcntl(listener, F_GETFL);
		if (fl >= 0 && fcntl(listener, F_SETFL, fl | O_NONBLOCK) == 0) {
			for (unsigned i = 0; i < 4096; i++) {
				struct sockaddr_storage addr;
				socklen_t len = sizeof addr;
				int fd = accept(listener, (struct sockaddr *)&addr, &len);
				if (fd < 0)
					break;
				(void)MHD_add_connection(server->daemon, fd,
				                         (struct sockaddr *)&addr, len);
			}
		}
		close(listener);
	}
	close_idle(server);
}

unsigned long cds_server_drain(struct cds_server *server, unsigned long grace_seconds)
{
	if (!server || !server->daemon)
		return 0;
	cds_server_quiesce(server); /* when not done yet */
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)grace_seconds;
	unsigned long left = wait_answered(server, &deadline);
	if (left) {
		/* The grace is over: fetches still waiting end now with their data unavailable
		 * (answered 412 or with criteria unknown), so every request still gets an answer
		 * before the daemon stops; the workers need no network for that. */
		fhir_fetcher_stop(server->fetcher);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += 2;
		wait_answered(server, &deadline);
	}
	return left;
}
