/* bare_server.c — the yardstick for `bench-http` (issue 12 items 4 and 7): a bare libmicrohttpd
 * 0.9.75 server that reads any request body and answers every request 200 with the same fixed
 * 1.5 KB JSON body, and nothing else (no parsing, no logging). Two threading models:
 *   --threads N  (default 4) as cds-commissioning serves: one internal polling thread does all the
 *                socket I/O; a complete request is queued for one of N worker threads with its
 *                connection suspended, and the worker resumes it with the reply ready;
 *   --inline     the reply is queued by the polling thread itself (libmicrohttpd's simplest use).
 * Usage: cds-bare-server [--threads N | --inline] PORT   (PORT 0: ephemeral). Prints
 * "listening on http://127.0.0.1:PORT" on stdout, then serves until SIGINT or SIGTERM.
 * A benchmark tool: never part of the service. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#define BODY_BYTES 1536

static char reply_body[BODY_BYTES + 1];

/* One request: what it has read, and the link in the workers' queue. */
struct req {
	size_t received;
	int queued, answered;
	struct MHD_Connection *connection;
	struct req *next;
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_wake = PTHREAD_COND_INITIALIZER;
static struct req *queue_head, *queue_tail;
static int queue_closed;

static void *worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&queue_lock);
	for (;;) {
		while (!queue_head && !queue_closed)
			pthread_cond_wait(&queue_wake, &queue_lock);
		struct req *r = queue_head;
		if (!r)
			break;
		queue_head = r->next;
		if (!queue_head)
			queue_tail = NULL;
		pthread_mutex_unlock(&queue_lock);
		r->answered = 1; /* the "work": the reply is the fixed body */
		MHD_resume_connection(r->connection);
		pthread_mutex_lock(&queue_lock);
	}
	pthread_mutex_unlock(&queue_lock);
	return NULL;
}

static enum MHD_Result answer(struct MHD_Connection *connection)
{
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(BODY_BYTES, reply_body, MHD_RESPMEM_PERSISTENT);
	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(connection, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	int inline_mode = *(const int *)cls;
	struct req *r = *con_cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size > 0) { /* read and drop the body */
		r->received += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (inline_mode || r->answered)
		return answer(connection);
	if (!r->queued) {
		r->queued = 1;
		r->connection = connection;
		MHD_suspend_connection(connection);
		pthread_mutex_lock(&queue_lock);
		if (queue_tail)
			queue_tail->next = r;
		else
			queue_head = r;
		queue_tail = r;
		pthread_cond_signal(&queue_wake);
		pthread_mutex_unlock(&queue_lock);
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)connection;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int main(int argc, char **argv)
{
	int inline_mode = 0;
	long threads = 4;
	const char *port_arg = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--inline") == 0)
			inline_mode = 1;
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
			threads = strtol(argv[++i], NULL, 10);
		else
			port_arg = argv[i];
	}
	if (!port_arg || threads < 1 || threads > 256) {
		fprintf(stderr, "usage: cds-bare-server [--threads N | --inline] PORT\n");
		return 2;
	}
	/* {"cards":[{"summary":"bare","indicator":"info","source":{"label":"bare"},"detail":"xx..."}]}
	 * padded to exactly BODY_BYTES */
	static const char head[] = "{\"cards\":[{\"summary\":\"bare\",\"indicator\":\"info\","
	                           "\"source\":{\"label\":\"bare\"},\"detail\":\"";
	static const char tail[] = "\"}]}";
	size_t pad = BODY_BYTES - (sizeof head - 1) - (sizeof tail - 1);
	memcpy(reply_body, head, sizeof head - 1);
	memset(reply_body + sizeof head - 1, 'x', pad);
	memcpy(reply_body + sizeof head - 1 + pad, tail, sizeof tail);

	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_t workers[256];
	long started = 0;
	if (!inline_mode)
		for (; started < threads; started++)
			if (pthread_create(&workers[started], NULL, &worker_main, NULL) != 0)
				break;
	struct MHD_Daemon *daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME,
	    (uint16_t)strtol(port_arg, NULL, 10), NULL, NULL, &on_request, &inline_mode,
	    MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_NOTIFY_COMPLETED, &on_completed, NULL, MHD_OPTION_END);
	if (!daemon) {
		fprintf(stderr, "cds-bare-server: cannot listen on port %s\n", port_arg);
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening on http://127.0.0.1:%u (%s)\n", info ? info->port : 0,
	       inline_mode ? "inline" : "polling thread + workers");
	fflush(stdout);
	int sig = 0;
	sigwait(&stop, &sig);
	MHD_stop_daemon(daemon);
	pthread_mutex_lock(&queue_lock);
	queue_closed = 1;
	pthread_cond_broadcast(&queue_wake);
	pthread_mutex_unlock(&queue_lock);
	for (long i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	return 0;
}
