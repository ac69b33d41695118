/* server.c — the HTTP server: libmicrohttpd 0.9.75 with an internal thread pool polling every
 * connection (a slow client holds no thread), optional TLS >= 1.2 (GnuTLS under libmicrohttpd),
 * the configured limits (connections in total and per IP, idle timeout, header memory, body
 * size, a per-request deadline, requests in flight -> 503 + Retry-After), one access-log line per
 * request on stderr, strict HTTP/1.1 framing (RFC 9112 §3.2, §5.1, §6.1, §6.3: what
 * libmicrohttpd 0.9.75 lets through is refused with one 400/501 and the connection closed), and
 * every other answer produced by cds_handle. It must not interpret CDS Hooks itself, nor log
 * headers, tokens or bodies. The only file that includes microhttpd.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
#define SERVER_TLS_MAX_FILE   (1024u * 1024u) /* a PEM certificate chain or key */
/* A body over maxBodyBytes is still read, and thrown away, up to this many bytes past the limit,
 * so that a client sending it without `Expect: 100-continue` can finish and read its 413 (closing
 * with unread data would reset the connection under it); past that, the connection is closed. */
#define SERVER_DISCARD_MAX_BYTES (16ul * 1024ul * 1024ul)

struct cds_server {
	struct MHD_Daemon *daemon;
	struct cds_app *app;              /* BORROWED */
	const struct cds__limits *limits; /* BORROWED from the app's settings */
	unsigned port;
	char base_url[320];       /* "http://127.0.0.1:8080": the default JWT aud base */
	atomic_ulong in_flight;   /* requests between their headers and their completion */
	char *tls_cert, *tls_key; /* NEW PEM texts while TLS is on */
	size_t tls_key_length;
};

/* Per-request state: the body received so far (capped) and the start time. */
struct conn {
	char *body;
	size_t length, capacity; /* stored bytes (<= max_body_bytes) */
	size_t received;         /* bytes announced or received, even past the cap */
	int too_big;
	int responded; /* a reply is queued: ignore whatever else arrives */
	int counted;   /* counted in server->in_flight */
	int close;     /* answer with `Connection: close` (framing error, 413) */
	unsigned busy; /* > 0: answer 503 with this Retry-After */
	struct timespec start;
};

/* What the request's header fields say about its framing (filled by scan_field). */
struct framing {
	unsigned content_length; /* Content-Length field lines */
	int content_length_bad;  /* one of them is not 1*DIGIT */
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
		/* uri-host [":" port]: RFC 3986 unreserved, sub-delims, '%', IP-literal brackets. */
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

static void access_log(const char *method, const char *url, const struct cds_reply *reply,
                       const struct timespec *start)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long long us = (long long)(end.tv_sec - start->tv_sec) * 1000000LL +
	               (long long)(end.tv_nsec - start->tv_nsec) / 1000LL;
	char stamp[40], m[24], path[256];
	cds__timestamp(stamp, sizeof stamp);
	sanitize_path(method, m, sizeof m);
	sanitize_path(url, path, sizeof path);
	fprintf(stderr, "%s %s %s %u %lldus%s%s%s%s\n", stamp, m, path, reply->status, us,
	        reply->hook_instance[0] ? " hookInstance=" : "", reply->hook_instance,
	        reply->log_note[0] ? " " : "", reply->log_note);
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
	if (c->close) /* libmicrohttpd closes the connection once this reply is sent */
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(connection, reply->status, response);
	c->responded = 1;
	MHD_destroy_response(response);
	access_log(method, url, reply, &c->start);
	cds_reply_clear(reply);
	return ret;
}

/* Answers a request whose framing is unsound (check_framing): `status` with an
 * OperationOutcome saying why, the CORS headers, and `Connection: close`. */
static enum MHD_Result refuse_framing(struct cds_server *server,
                                      struct MHD_Connection *connection, const char *url,
                                      const char *method, struct conn *c, unsigned status,
                                      const char *why)
{
	struct cds_reply reply;
	memset(&reply, 0, sizeof reply);
	cds__reply_error(&reply, status,
	                 status == MHD_HTTP_NOT_IMPLEMENTED ? "not-supported" : "structure", NULL,
	                 "%s", why);
	cds__cors_headers(server->app->settings,
	                  MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin"), 0,
	                  &reply);
	snprintf(reply.log_note, sizeof reply.log_note, "framing");
	c->close = 1;
	return queue_reply(connection, url, method, c, &reply);
}

/* Answers through cds_handle and queues the reply. */
static enum MHD_Result respond(struct cds_server *server, struct MHD_Connection *connection,
                               const char *url, const char *method, struct conn *c)
{
	struct cds_reply reply;
	struct cds_request req = {0};
	req.method = method;
	req.path = url;
	req.content_type =
	    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req.body = c->too_big ? NULL : c->body;
	req.body_length = c->too_big ? c->received : c->length;
	req.now = NULL;
	req.authorization =
	    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req.origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
	req.base_url = server->base_url;
	req.busy_retry_after = c->busy;
	cds_handle(server->app, &req, &reply);
	return queue_reply(connection, url, method, c, &reply);
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
		clock_gettime(CLOCK_MONOTONIC, &c->start);
		*con_cls = c;
		/* Framing first: a request whose body length is ambiguous is answered before any
		 * of it is read, and the connection closed, so no byte of it is taken as the
		 * next request (RFC 9112 §6.3, §11.2). */
		const char *why = NULL;
		unsigned bad = check_framing(connection, version, &why);
		if (bad)
			return refuse_framing(server, connection, url, method, c, bad, why);
		/* Overload: a bounded number of requests in flight; beyond it, 503 + Retry-After
		 * at once (the connection is then released, so the service recovers). */
		unsigned long busy = atomic_fetch_add(&server->in_flight, 1) + 1;
		c->counted = 1;
		if (busy > server->limits->max_in_flight) {
			c->busy = (unsigned)server->limits->retry_after_seconds;
			return respond(server, connection, url, method, c);
		}
		const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			unsigned long long n = strtoull(cl, &end, 10);
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
					return respond(server, connection, url, method, c);
				c->received = 0; /* counted again as it arrives */
			}
		}
		return MHD_YES;
	}
	if (c->responded) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - c->start.tv_sec >
		    (time_t)server->limits->request_deadline_seconds) {
			/* The per-request deadline: a body trickling in is dropped, connection
			 * closed. */
			char stamp[40], path[256];
			cds__timestamp(stamp, sizeof stamp);
			sanitize_path(url, path, sizeof path);
			fprintf(stderr, "%s %s %s dropped: body not received within %lus\n", stamp,
			        method, path, server->limits->request_deadline_seconds);
			return MHD_NO;
		}
		c->received = c->received + n < c->received ? SIZE_MAX : c->received + n;
		if (c->received > max_body && c->received - max_body > SERVER_DISCARD_MAX_BYTES) {
			/* A chunked body far past the limit: no reply can be queued mid-body,
			 * so the connection is closed. */
			char stamp[40], path[256];
			cds__timestamp(stamp, sizeof stamp);
			sanitize_path(url, path, sizeof path);
			fprintf(stderr, "%s %s %s dropped: body over %lu bytes\n", stamp, method, path,
			        max_body + SERVER_DISCARD_MAX_BYTES);
			return MHD_NO;
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
				size_t cap = c->capacity ? c->capacity : 8192;
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
	return respond(server, connection, url, method, c);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct cds_server *server = cls;
	(void)connection;
	(void)toe;
	struct conn *c = *con_cls;
	if (c) {
		if (c->counted)
			atomic_fetch_sub(&server->in_flight, 1);
		free(c->body);
		free(c);
	}
	*con_cls = NULL;
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
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
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
	server->app = app;
	server->limits = limits;
	atomic_init(&server->in_flight, 0);
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
	/* The limits: connections in total and per IP, idle timeout, per-connection memory (the
	 * request line and headers must fit: libmicrohttpd answers 431 otherwise). */
	struct MHD_OptionItem tls_options[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, server->tls_cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, server->tls_key},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)SERVER_TLS_PRIORITIES},
	    {MHD_OPTION_HTTPS_MEM_DHPARAMS, 0, (void *)server_tls_ffdhe2048},
	    {MHD_OPTION_END, 0, NULL}};
	struct MHD_OptionItem no_options[] = {{MHD_OPTION_END, 0, NULL}};
	server->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, &on_request, server, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)(limits->threads > 1 ? limits->threads : 0),
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)limits->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)limits->max_connections_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)limits->idle_timeout_seconds,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)limits->max_header_bytes,
	    MHD_OPTION_NOTIFY_COMPLETED, &on_completed, server, MHD_OPTION_ARRAY,
	    server->tls_cert ? tls_options : no_options, MHD_OPTION_END);
	if (!server->daemon) {
		close(fd);
		fhir_error_set(err, bind, "cannot start the HTTP%s server on %s port %u%s",
		               server->tls_cert ? "S" : "", bind, server->port,
		               server->tls_cert ? " (is the TLS certificate/key pair valid PEM?)"
		                                : "");
		rc = FHIR_ERR_IO;
		goto out;
	}
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
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	if (server->tls_key) { /* do not leave the private key in freed memory */
		volatile char *k = server->tls_key;
		for (size_t i = 0; i < server->tls_key_length; i++)
			k[i] = 0;
	}
	free(server->tls_key);
	free(server->tls_cert);
	free(server);
}
