/* serve_child.c — starting, watching and stopping the real `serve` binary for the end-to-end
 * tests (serve_child.h). Test support only. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cardcheck.h"
#include "serve_child.h"

#define POLL_MS 100L

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int serve_child_start(struct serve_child *c, const char *bin, const char *const *args,
                      const char *err_path, const char *dir, const char *const *env)
{
	size_t argc = 0;
	memset(c, 0, sizeof *c);
	c->pid = -1;
	if (strlen(err_path) >= sizeof c->err_path)
		return -1;
	memcpy(c->err_path, err_path, strlen(err_path) + 1);
	while (args[argc])
		argc++;
	char **argv = calloc(argc + 2, sizeof *argv);
	if (!argv)
		return -1;
	argv[0] = (char *)bin; /* execv's argv is not const; it is not written */
	for (size_t i = 0; i < argc; i++)
		argv[i + 1] = (char *)args[i];
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen(err_path, "w", stderr) || (dir && chdir(dir) != 0))
			_exit(127);
		for (size_t i = 0; env && env[i]; i++) {
			char name[256];
			const char *eq = strchr(env[i], '=');
			if (!eq || (size_t)(eq - env[i]) >= sizeof name)
				_exit(127);
			memcpy(name, env[i], (size_t)(eq - env[i]));
			name[eq - env[i]] = '\0';
			if (setenv(name, eq + 1, 1) != 0)
				_exit(127);
		}
		execv(bin, argv);
		_exit(127);
	}
	free(argv);
	c->pid = pid > 0 ? pid : -1;
	return pid > 0 ? 0 : -1;
}

unsigned serve_child_port_in(const char *text)
{
	const char *at = text ? strstr(text, SERVE_CHILD_URL_PREFIX) : NULL;
	return at ? (unsigned)strtoul(at + strlen(SERVE_CHILD_URL_PREFIX), NULL, 10) : 0;
}

char *serve_child_log(const struct serve_child *c)
{
	return checker_read_file(c->err_path, NULL);
}

unsigned serve_child_port(struct serve_child *c, long limit_ms)
{
	for (long waited = 0; !c->port && waited < limit_ms; waited += POLL_MS) {
		int running = serve_child_alive(c); /* one last look at what it wrote */
		pause_ms(POLL_MS);
		char *text = serve_child_log(c);
		c->port = serve_child_port_in(text);
		free(text);
		if (!running)
			break;
	}
	return c->port;
}

int serve_child_alive(struct serve_child *c)
{
	if (c->pid > 0 && !c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = 1;
	return c->pid > 0 && !c->exited;
}

int serve_child_signal(struct serve_child *c, int sig)
{
	return serve_child_alive(c) ? kill(c->pid, sig) : -1;
}

int serve_child_wait(struct serve_child *c, long limit_ms)
{
	if (c->pid <= 0)
		return -1;
	int stopped = 1;
	for (long waited = 0; serve_child_alive(c); waited += POLL_MS) {
		if (waited >= limit_ms) {
			stopped = 0;
			serve_child_kill(c);
			break;
		}
		pause_ms(POLL_MS);
	}
	return stopped && WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
}

void serve_child_kill(struct serve_child *c)
{
	if (!serve_child_alive(c))
		return;
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->exited = 1;
}

int serve_child_wait_log(const struct serve_child *c, const char *text, long limit_ms)
{
	for (long waited = 0;; waited += POLL_MS) {
		char *all = serve_child_log(c);
		int found = all && strstr(all, text);
		free(all);
		if (found)
			return 1;
		if (waited >= limit_ms)
			return 0;
		pause_ms(POLL_MS);
	}
}

int serve_child_log_count(const struct serve_child *c, const char *needle)
{
	char *text = serve_child_log(c);
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(text);
	return n;
}
