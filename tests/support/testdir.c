/* testdir.c — temporary folders for the tests (testdir.h). Test support only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testdir.h"

int testdir_make(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(dir, size, "%s/cds-%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", name);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) ? 0 : -1;
}

int testdir_remove(const char *dir)
{
	size_t size = strlen(dir) + 16;
	char *cmd = malloc(size);
	if (!cmd || strchr(dir, '\'')) {
		free(cmd);
		return -1;
	}
	snprintf(cmd, size, "rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}
