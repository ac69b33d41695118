/* test_json_hooks.c — cJSON follows the out-of-memory policy (fhir/json_hooks.c, architecture.md
 * rule 5): in a child process, an allocation cJSON cannot get returns NULL before
 * fhir_json_hooks_install (the control: this test can fail) and aborts with a message after it;
 * engine_load installs the hooks, and installing twice is harmless. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#define TESTKIT_NO_JSON_HOOKS /* the control below needs cJSON as it comes */
#include "testkit.h"

/* Under AddressSanitizer a failed malloc must return NULL as it does without it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

enum how { PLAIN, INSTALLED, INSTALLED_TWICE, BY_ENGINE_LOAD };

/* Runs cJSON_malloc of an impossible size in a child set up as `how`. Returns the child's wait
 * status; its stderr goes to msg. */
static int child(enum how how, char *msg, size_t size)
{
	int fds[2], status = 0;
	pid_t pid;
	size_t got = 0;

	if (pipe(fds) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct engine *e = NULL;

		dup2(fds[1], 2);
		close(fds[0]);
		if (how == INSTALLED || how == INSTALLED_TWICE)
			fhir_json_hooks_install();
		if (how == INSTALLED_TWICE)
			fhir_json_hooks_install();
		if (how == BY_ENGINE_LOAD)
			engine_load(engine_embedded_files, engine_embedded_file_count, NULL, &e);
		void *p = cJSON_malloc(SIZE_MAX / 2);
		_exit(p == NULL ? 3 : 4);
	}
	close(fds[1]);
	while (got + 1 < size) {
		ssize_t n = read(fds[0], msg + got, size - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	msg[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

int main(void)
{
	char msg[4096];
	int status = child(PLAIN, msg, sizeof msg);

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3,
	      "without the hooks cJSON returns NULL (status %d)", status);
	for (enum how how = INSTALLED; how <= BY_ENGINE_LOAD; how++) {
		status = child(how, msg, sizeof msg);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "with the hooks (%d) out of memory aborts (status %d)", (int)how, status);
		CHECK(strstr(msg, "out of memory") != NULL, "with a message: %s", msg);
	}
	return testkit_done();
}
