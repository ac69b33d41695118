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
#include <sys/wait.h>
#include <unistd.h>

#include "testkit.h"
#include "testnet.h"

#define URL_PREFIX "listening on http://127.0.0.1:"

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

/* GET path on a new connection: the status code (0: no connection or no status line). */
static unsigned get_status(unsigned port, const char *path)
{
	char req[256], reply[512];
	int fd = testnet_connect(port, 30, 30);
	if (fd < 0)
		return 0;
	snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	ssize_t n = -1;
	if (testnet_send_all(fd, req, strlen(req)) == 0)
		n = recv(fd, reply, sizeof reply - 1, 0);
	close(fd);
	if (n < 12)
		return 0;
	reply[n] = '\0';
	return strncmp(reply, "HTTP/1.1 ", 9) == 0 ? (unsigned)strtoul(reply + 9, NULL, 10) : 0;
}

/* Starts `serve --port 0` in dir with NOTIFY_SOCKET=socket_path and stderr to err_path. */
static pid_t serve(const char *bin, const char *dir, const char *socket_path, const char *err_path)
{
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = freopen(err_path, "w", stderr);
		(void)f;
		if (chdir(dir) != 0 || setenv("NOTIFY_SOCKET", socket_path, 1) != 0)
			_exit(127);
		execl(bin, bin, "serve", "--port", "0", "--decision-log", "-", "--replay-cache",
		      "-", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Waits (at most 60 s) for the process; its exit status, or -1 (killed: it did not stop). */
static int wait_exit(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < 600; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		sleep_ms(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* The port of "listening on http://127.0.0.1:PORT" in text, or 0. */
static unsigned port_in(const char *text)
{
	const char *at = text ? strstr(text, URL_PREFIX) : NULL;
	return at ? (unsigned)strtoul(at + strlen(URL_PREFIX), NULL, 10) : 0;
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
	pid_t pid = serve(bin, dir, socket_path, err_path), sender = 0;
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
		if (strncmp(msg, "STATUS=", 7) == 0 && port_in(msg))
			port = port_in(msg);
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
	char *err = testkit_read(err_path, NULL);
	CHECK(port && port == port_in(err), "notify: the STATUS= URL is the one logged (%u)", port);
	free(err);
	CHECK(port && get_status(port, "/healthz") == 200, "notify: serving after READY=1");

	/* SIGTERM: STOPPING=1, a stopping STATUS=, then a clean exit. */
	kill(pid, SIGTERM);
	int stopping = 0, stopping_status = 0;
	while (!(stopping && stopping_status) && next_message(fd, msg, sizeof msg, &sender) >= 0) {
		CHECK(sender == pid, "notify: '%s' came from serve's pid", msg);
		stopping += has_line(msg, "STOPPING=1");
		stopping_status += strncmp(msg, "STATUS=stopping", 15) == 0;
		CHECK(!has_line(msg, "READY=1"), "notify: no READY=1 while stopping");
	}
	CHECK(stopping == 1, "notify: STOPPING=1 once after SIGTERM (%d)", stopping);
	CHECK(stopping_status >= 1, "notify: a STATUS=stopping line after SIGTERM");
	CHECK(wait_exit(pid) == 0, "notify: exit status 0 after SIGTERM");
out:
	close(fd);
	unlink(socket_path);
}

static void scenario_no_listener(const char *bin, const char *dir)
{
	char socket_path[512], err_path[512];
	snprintf(socket_path, sizeof socket_path, "%s/nobody-listens", dir);
	snprintf(err_path, sizeof err_path, "%s/nolistener.err", dir);
	pid_t pid = serve(bin, dir, socket_path, err_path);
	unsigned port = 0;
	for (int i = 0; pid > 0 && i < 600 && !port; i++) { /* at most 60 s */
		sleep_ms(100);
		char *err = testkit_read(err_path, NULL);
		port = port_in(err);
		free(err);
	}
	CHECK(port && get_status(port, "/readyz") == 200,
	      "no listener: serve starts and answers (%u)", port);
	if (pid > 0)
		kill(pid, SIGTERM);
	CHECK(pid > 0 && wait_exit(pid) == 0, "no listener: exit status 0 after SIGTERM");
	char *err = testkit_read(err_path, NULL);
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
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	snprintf(dir, sizeof dir, "%s/cds-notify-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char bin[4096]; /* serve runs in dir: the binary's path must not be relative */
	if (!realpath(argv[1], bin)) {
		perror(argv[1]);
		return 1;
	}
	scenario_notify(bin, dir);
	scenario_no_listener(bin, dir);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (testkit_failed == 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return testkit_done();
}
