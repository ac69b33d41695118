/* spawn.c — starts the service under test for `--spawn CMD...` (fork + execvp, output appended to
 * a log file so the child never blocks on a full pipe), finds the base URL it prints, and stops
 * it (SIGTERM, then SIGKILL). Also picks free loopback ports. It only ever signals its own child.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

struct conf_spawn {
	pid_t pid;
	int exited;
};

struct conf_spawn *conf_spawn_start(char *const *argv, const char *log_path)
{
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0) {
		fprintf(stderr, "cds-conformance: cannot open %s: %s\n", log_path, strerror(errno));
		return NULL;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fd);
		fprintf(stderr, "cds-conformance: fork: %s\n", strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "cds-conformance: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fd);
	struct conf_spawn *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->pid = pid;
	return s;
}

int conf_spawn_find_base_url(const char *log_path, char *dst, size_t size)
{
	char *text = conf_read_file(log_path, NULL);
	int rc = -1;
	if (!text)
		return -1;
	for (char *p = text; (p = strstr(p, "http")) != NULL; p++) {
		if (strncmp(p, "http://", 7) != 0 && strncmp(p, "https://", 8) != 0)
			continue;
		char *end = strstr(p, "/cds-services");
		char *nl = strchr(p, '\n');
		if (!end || (nl && end > nl))
			continue;
		size_t len = (size_t)(end - p);
		if (len + 1 > size || memchr(p, ' ', len))
			continue;
		memcpy(dst, p, len);
		dst[len] = '\0';
		rc = 0;
		break;
	}
	free(text);
	return rc;
}

int conf_spawn_alive(struct conf_spawn *s)
{
	if (!s || s->exited)
		return 0;
	int status;
	if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
		s->exited = 1;
		return 0;
	}
	return 1;
}

void conf_spawn_stop(struct conf_spawn *s)
{
	if (!s)
		return;
	if (!s->exited && conf_spawn_alive(s)) {
		kill(s->pid, SIGTERM);
		for (int i = 0; i < 100 && conf_spawn_alive(s); i++) {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (conf_spawn_alive(s)) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
	}
	free(s);
}

unsigned conf_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof addr;
	unsigned port = 0;
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
	    getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
		port = ntohs(addr.sin_port);
	close(fd);
	return port;
}
