/* stallserver.c — the FHIR server that holds every request until released (stallserver.h).
 * Test support only. */
#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cardcheck.h"
#include "fhirauth.h"
#include "stallserver.h"
#include "testnet.h"

#define MAX_HELD 1024

struct stall_server {
	int listen_fd;
	unsigned port;
	pthread_t thread;
	atomic_int stop, release;
	atomic_ulong accepted;
	int fds[MAX_HELD];
	int asked[MAX_HELD]; /* 1: something was received on fds[i] (its request) */
	size_t count;        /* owned by the thread */
};

static void answer_404(int fd)
{
	static const char reply[] =
	    "HTTP/1.1 404 Not Found\r\nContent-Type: application/fhir+json\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	(void)!send(fd, reply, sizeof reply - 1, MSG_NOSIGNAL);
	close(fd);
}

static void *stall_main(void *arg)
{
	struct stall_server *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p[MAX_HELD + 1];
		size_t n = 0, kept = 0;
		int release = atomic_load(&s->release);
		p[n++] = (struct pollfd){s->listen_fd, POLLIN, 0};
		for (size_t i = 0; i < s->count; i++)
			p[n++] = (struct pollfd){s->fds[i], POLLIN, 0};
		int ready = poll(p, n, 50);
		for (size_t i = 1; i < n; i++) { /* read and drop; forget closed ones */
			char buf[4096];
			ssize_t got = 1;
			int asked = s->asked[i - 1];
			if (ready > 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				got = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT);
			if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
				close(p[i].fd);
				continue;
			}
			asked |= ready > 0 && got > 0 && (p[i].revents & POLLIN);
			if (release && asked) {
				answer_404(p[i].fd);
				continue;
			}
			s->fds[kept] = p[i].fd;
			s->asked[kept++] = asked;
		}
		s->count = kept;
		if (ready > 0 && (p[0].revents & POLLIN)) {
			int fd = accept(s->listen_fd, NULL, NULL);
			if (fd >= 0 && s->count < MAX_HELD) {
				s->fds[s->count] = fd;
				s->asked[s->count++] = 0;
				atomic_fetch_add(&s->accepted, 1);
			} else if (fd >= 0) {
				close(fd);
			}
		}
	}
	for (size_t i = 0; i < s->count; i++)
		close(s->fds[i]);
	s->count = 0;
	return NULL;
}

int stall_server_start(struct stall_server **out)
{
	struct stall_server *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s)
		return -1;
	s->listen_fd = testnet_listen(512, &s->port);
	if (s->listen_fd < 0 || pthread_create(&s->thread, NULL, &stall_main, s) != 0) {
		if (s->listen_fd >= 0)
			close(s->listen_fd);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

unsigned stall_server_port(const struct stall_server *s)
{
	return s->port;
}

unsigned long stall_server_accepted(const struct stall_server *s)
{
	return atomic_load(&s->accepted);
}

void stall_server_release(struct stall_server *s)
{
	atomic_store(&s->release, 1);
}

char *stall_server_request(const struct stall_server *s, const char *source_dir, const char *token)
{
	char path[1024], base[64];
	snprintf(path, sizeof path,
	         "%s/tests/vectors/412-hny142-conditions-not-prefetched/request.json", source_dir);
	char *text = checker_read_file(path, NULL);
	cJSON *req = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!req)
		return NULL;
	snprintf(base, sizeof base, "http://127.0.0.1:%u/fhir", s->port);
	cJSON_DeleteItemFromObjectCaseSensitive(req, "fhirServer");
	cJSON_AddStringToObject(req, "fhirServer", base);
	fhirauth_add(req, token, "patient/*.read", "cds-commissioning");
	char *body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	return body;
}

void stall_server_stop(struct stall_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	free(s);
}
