/* jwks_server.c — a loopback-only HTTP server (libmicrohttpd) publishing the runner's public JWK
 * Set at /jwks.json, and an attacker's JWK Set at /untrusted/jwks.json, whose fetches are counted:
 * assertion A9 requires that a service never fetches a jku that is not on its allowlist.
 * It binds 127.0.0.1 only and serves nothing else (404). */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "conf.h"

struct conf_jwks_server {
	struct MHD_Daemon *daemon;
	char *jwks;
	char *untrusted;
	unsigned port;
	pthread_mutex_t lock;
	unsigned untrusted_hits;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	struct conf_jwks_server *s = cls;
	unsigned status = MHD_HTTP_OK;
	const char *body = s->jwks;
	if (strcmp(method, "GET") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		body = "{}";
	} else if (strcmp(url, "/untrusted/jwks.json") == 0) {
		body = s->untrusted;
		pthread_mutex_lock(&s->lock);
		s->untrusted_hits++;
		pthread_mutex_unlock(&s->lock);
	} else if (strcmp(url, "/jwks.json") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		body = "{}";
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(size_t)body,
	                                                         MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result ret = MHD_queue_response(connection, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct conf_jwks_server *conf_jwks_server_start(const char *jwks, const char *untrusted,
                                                unsigned port)
{
	struct conf_jwks_server *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->jwks = strdup(jwks);
	s->untrusted = strdup(untrusted);
	if (!s->jwks || !s->untrusted)
		abort();
	pthread_mutex_init(&s->lock, NULL);
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, (uint16_t)port,
	                             NULL, NULL, &on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
	                             MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!s->daemon) {
		conf_jwks_server_stop(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	return s;
}

unsigned conf_jwks_server_port(const struct conf_jwks_server *s)
{
	return s->port;
}

unsigned conf_jwks_server_untrusted_hits(const struct conf_jwks_server *s)
{
	pthread_mutex_lock((pthread_mutex_t *)&s->lock);
	unsigned n = s->untrusted_hits;
	pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
	return n;
}

void conf_jwks_server_stop(struct conf_jwks_server *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	pthread_mutex_destroy(&s->lock);
	free(s->jwks);
	free(s->untrusted);
	free(s);
}
