/* notify_serve.c — `serve` as a systemd Type=notify service (cds-hooks/notify.c): the real binary
 * started with NOTIFY_SOCKET naming a unix datagram socket this test owns, as systemd does.
 *  - scenario "notify": the first READY=1 comes from serve's own pid (SO_PASSCRED, as systemd's
 *    NotifyAccess=main checks) after a STATUS= line naming the URL; at that moment the port
 *    already answers GET /readyz 200 (READY=1 is never early); nothing says STOPPING=1 before
 *    the signal; SIGTERM brings STOPPING=1 and a "stopping" STATUS=, and exit status 0;
 *  - scenario "no listener": NOTIFY_SOCKET names a path where nothing listens: serve starts and
 *    answers all the same, says once on stderr that it cannot notify, and stops with 0.
 * Every wait is bounded (a stall fails, never a duration). Usage: notify_serve BINARY */
#define _GNU_SOURCE /* struct ucred, SO_PASSCRED */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "serve_child.h"
#include "testdir.h"
#include "testkit.h"
#include "testnet.h"

/* The socket systemd would own: SOCK_DGRAM bound at path, with the senders' credentials. */
static int notify_socket(const char *path)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof a.sun_path)
		return -1;
	memcpy(a.sun_path, path, strlen(path) + 1);
	int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The next datagram (at most 60 s away) into buf, NUL-terminated, and its sender's pid.
 * Returns its length, or -1 when none came. */
static ssize_t next_message(int fd, char *buf, size_t size, pid_t *sender)
{
	struct pollfd p = {fd, POLLIN, 0};
	union {
		char bytes[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, size - 1};
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = control.bytes;
	m.msg_controllen = sizeof control.bytes;
	*sender = 0;
	if (poll(&p, 1, 60000) != 1)
		return -1;
	ssize_t n = recvmsg(fd, &m, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(c), sizeof cred);
			*sender = cred.pid;
		}
	return n;
}

/* 1 when the datagram holds the assignment `line` (e.g. "READY=1") as one of its lines. */
static int has_line(const char *message, const char *line)
{
	size_t n = strlen(line);
	for (const char *at = message; (at = strstr(at, line)) != NULL; at += n)
		if ((at == message || at[-1] == '\n') && (at[n] == '\0' || at[n] == '\n'))
			return 1;
	return 0;
}

/* GET path on a new connection: the status code (0: no connection or no whole reply). */
static unsigned get_status(unsigned port, const char *path)
{
	return testnet_exchange(port, 30, "GET", path, NULL, NULL, 0);
}

/* Starts `serve --port 0` in dir with NOTIFY_SOCKET=socket_path and stderr to err_path. */
static void serve(struct serve_child *c, const char *bin, const char *dir, const char *socket_path,
                  const char *err_path)
{
	static const char *const args[] = {"serve", "--port",         "0", "--decision-log",
	                                   "-",     "--replay-cache", "-", NULL};
	char env[600];
	snprintf(env, sizeof env, "NOTIFY_SOCKET=%s", socket_path);
	const char *const envs[] = {env, NULL};
	serve_child_start(c, bin, args, err_path, dir, envs);
}

static void scenario_notify(const char *bin, const char *dir)
{
	char socket_path[512], err_path[512], msg[4096];
	snprintf(socket_path, sizeof socket_path, "%s/notify", dir);
	snprintf(err_path, sizeof err_path, "%s/notify.err", dir);
	int fd = notify_socket(socket_path);
	CHECK(fd >= 0, "notify: the notify socket %s is bound", socket_path);
	if (fd < 0)
		return;
	struct serve_child child;
	serve(&child, bin, dir, socket_path, err_path);
	pid_t pid = child.pid, sender = 0;
	CHECK(pid > 0, "notify: serve started");
	if (pid <= 0)
		goto out;

	/* Up to READY=1: the STATUS= line names the URL; READY=1 means the port answers. */
	unsigned port = 0;
	int ready = 0, early_stopping = 0, messages = 0, foreign = 0;
	while (!ready && next_message(fd, msg, sizeof msg, &sender) >= 0) {
		messages++;
		foreign += sender != pid;
		early_stopping += has_line(msg, "STOPPING=1");
		if (strncmp(msg, "STATUS=", 7) == 0 && serve_child_port_in(msg))
			port = serve_child_port_in(msg);
		if (has_line(msg, "READY=1")) {
			ready = 1;
			/* nothing else happens before this check: the port must answer now */
			CHECK(port && get_status(port, "/readyz") == 200,
			      "notify: at READY=1 the port (%u) answers /readyz 200", port);
		}
	}
	CHECK(ready, "notify: READY=1 arrived (%d messages)", messages);
	CHECK(foreign == 0, "notify: every message came from serve's own pid %ld (%d did not)",
	      (long)pid, foreign);
	CHECK(early_stopping == 0, "notify: no STOPPING=1 before the signal");
	char *err = serve_child_log(&child);
	CHECK(port && port == serve_child_port_in(err),
	      "notify: the STATUS= URL is the one logged (%u)", port);
	free(err);
	CHECK(port && get_status(port, "/healthz") == 200, "notify: serving after READY=1");

	/* SIGTERM: STOPPING=1, a stopping STATUS=, then a clean exit. */
	serve_child_signal(&child, SIGTERM);
	int stopping = 0, stopping_status = 0;
	while (!(stopping && stopping_status) && next_message(fd, msg, sizeof msg, &sender) >= 0) {
		CHECK(sender == pid, "notify: '%s' came from serve's pid", msg);
		stopping += has_line(msg, "STOPPING=1");
		stopping_status += strncmp(msg, "STATUS=stopping", 15) == 0;
		CHECK(!has_line(msg, "READY=1"), "notify: no READY=1 while stopping");
	}
	CHECK(stopping == 1, "notify: STOPPING=1 once after SIGTERM (%d)", stopping);
	CHECK(stopping_status >= 1, "notify: a STATUS=stopping line after SIGTERM");
	CHECK(serve_child_wait(&child, 60000) == 0, "notify: exit status 0 after SIGTERM");
out:
	serve_child_kill(&child);
	close(fd);
	unlink(socket_path);
}

static void scenario_no_listener(const char *bin, const char *dir)
{
	char socket_path[512], err_path[512];
	snprintf(socket_path, sizeof socket_path, "%s/nobody-listens", dir);
	snprintf(err_path, sizeof err_path, "%s/nolistener.err", dir);
	struct serve_child child;
	serve(&child, bin, dir, socket_path, err_path);
	unsigned port = serve_child_port(&child, 60000);
	CHECK(port && get_status(port, "/readyz") == 200,
	      "no listener: serve starts and answers (%u)", port);
	serve_child_signal(&child, SIGTERM);
	CHECK(child.pid > 0 && serve_child_wait(&child, 60000) == 0,
	      "no listener: exit status 0 after SIGTERM");
	char *err = serve_child_log(&child);
	const char *first = err ? strstr(err, "cannot notify systemd") : NULL;
	CHECK(first != NULL, "no listener: stderr says it cannot notify systemd");
	CHECK(!first || !strstr(first + 1, "cannot notify systemd"), "no listener: said once only");
	free(err);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: notify_serve BINARY\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char dir[256];
	if (testdir_make(dir, sizeof dir, "notify") != 0) {
		perror("temporary folder");
		return 1;
	}
	char bin[4096]; /* serve runs in dir: the binary's path must not be relative */
	if (!realpath(argv[1], bin)) {
		perror(argv[1]);
		return 1;
	}
	scenario_notify(bin, dir);
	scenario_no_listener(bin, dir);
	if (testkit_failed == 0 && testdir_remove(dir) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return testkit_done();
}
