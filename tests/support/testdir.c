/* testdir.c — temporary folders for the tests (testdir.h). Test support only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int testdir_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

int testdir_random_file(const char *path, size_t bytes)
{
	unsigned char data[4096];
	if (bytes > sizeof data) {
		errno = EINVAL;
		return -1;
	}
	FILE *r = fopen("/dev/urandom", "rb");
	size_t got = r ? fread(data, 1, bytes, r) : 0;
	if (r)
		fclose(r);
	if (got != bytes)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = write(fd, data, bytes) == (ssize_t)bytes ? 0 : -1;
	return close(fd) != 0 ? -1 : rc;
}
