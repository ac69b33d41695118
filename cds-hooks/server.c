/* server.c — the HTTP server: libmicrohttpd 0.9.75 with an internal thread pool, a hard cap on
 * request bodies (413 as soon as Content-Length or the received bytes exceed CDS_MAX_BODY_BYTES),
 * one access-log line per request on stderr, and every answer produced by cds_handle. It must
 * not interpret CDS Hooks itself, nor log headers, tokens or bodies. The only file that includes
 * microhttpd.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "cds_internal.h"

#define SERVER_THREADS           4u
#define SERVER_CONNECTION_LIMIT  256u
#define SERVER_TIMEOUT_SECONDS   30u
#define SERVER_CONNECTION_MEMORY (128u * 1024u) /* per-connection header pool */

struct cds_server {
	struct MHD_Daemon *daemon;
	struct cds_app *app; /* BORROWED */
	unsigned port;
};

/* Per-request state: the body received so far (capped) and the start time. */
struct conn {
	char *body;
	size_t length, capacity; /* stored bytes (<= CDS_MAX_BODY_BYTES) */
	size_t received;         /* bytes announced or received, even past the cap */
	int too_big;
	int responded; /* a reply is queued: ignore whatever else arrives */
	struct timespec start;
};

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
	fprintf(stderr, "%s %s %s %u %lldus%s%s\n", stamp, m, path, reply->status, us,
	        reply->hook_instance[0] ? " hookInstance=" : "", reply->hook_instance);
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
	cds_handle(server->app, &req, &reply);

	struct MHD_Response *response = MHD_create_response_from_buffer_with_free_callback(
	    reply.body_length, reply.body, &free);
	if (!response) {
		cds_reply_clear(&reply);
		return MHD_NO;
	}
	reply.body = NULL; /* taken by the response */
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        reply.content_type ? reply.content_type : "application/json");
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (reply.allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply.allow);
	/* Later (CORS, auth): add the reply's extra headers here. */
	enum MHD_Result ret = MHD_queue_response(connection, reply.status, response);
	c->responded = 1;
	MHD_destroy_response(response);
	access_log(method, url, &reply, &c->start);
	cds_reply_clear(&reply);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct cds_server *server = cls;
	struct conn *c = *con_cls;
	(void)version;
	if (!c) { /* first call: headers only */
		c = cds__must(calloc(1, sizeof *c));
		clock_gettime(CLOCK_MONOTONIC, &c->start);
		*con_cls = c;
		const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			unsigned long long n = strtoull(cl, &end, 10);
			if (end != cl && n > CDS_MAX_BODY_BYTES) {
				c->too_big = 1; /* answer 413 now, before reading the body */
				c->received =
				    n > (unsigned long long)SIZE_MAX ? SIZE_MAX : (size_t)n;
				return respond(server, connection, url, method, c);
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
		c->received = c->received + n < c->received ? SIZE_MAX : c->received + n;
		if (!c->too_big && c->length + n > CDS_MAX_BODY_BYTES) {
			c->too_big = 1;
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
	(void)cls;
	(void)connection;
	(void)toe;
	struct conn *c = *con_cls;
	if (c) {
		free(c->body);
		free(c);
	}
	*con_cls = NULL;
}

int cds_server_start(struct cds_app *app, const char *bind, unsigned port, struct cds_server **out,
                     struct fhir_error *err)
{
	int rc = FHIR_OK;
	struct cds_server *server = NULL;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	const struct sockaddr *addr = NULL;
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
	} else if (inet_pton(AF_INET6, bind, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons((uint16_t)port);
		addr = (const struct sockaddr *)&in6;
		flags |= MHD_USE_IPv6;
	} else {
		fhir_error_set(err, "bind", "'%.100s' is not an IPv4 or IPv6 address", bind);
		rc = FHIR_ERR_INVALID;
		goto out;
	}
	server = cds__must(calloc(1, sizeof *server));
	server->app = app;
	server->daemon = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, &on_request, server, MHD_OPTION_SOCK_ADDR, addr,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)SERVER_THREADS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)SERVER_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)SERVER_TIMEOUT_SECONDS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)SERVER_CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, &on_completed, NULL,
	    MHD_OPTION_END);
	if (!server->daemon) {
		fhir_error_set(err, bind, "cannot listen on %s port %u (in use, or not permitted?)",
		               bind, port);
		rc = FHIR_ERR_IO;
		goto out;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
	server->port = info ? info->port : port;
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

void cds_server_stop(struct cds_server *server)
{
	if (!server)
		return;
	if (server->daemon)
		MHD_stop_daemon(server->daemon);
	free(server);
}
