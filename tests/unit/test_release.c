/* test_release.c — memory given back after large requests (engine/release.c): a small request
 * wakes nothing; a large one has the trimmer thread return freed heap pages that glibc kept
 * (resident size drops), the caller not waiting; a forked child gets a trimmer of its own.
 * Waits are for an event (a trim counted), with a generous bound; nothing is timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testkit.h"

#include "release.h"

#define OK(c) CHECK(c, "%s", "")

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1 /* its allocator has no malloc_trim to speak of */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* Waits until more than `before` trims have run (at most about 30 s). */
static int trimmed_since(unsigned long before)
{
	for (int i = 0; i < 3000; i++) {
		if (engine__release_count() > before)
			return 1;
		nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
	}
	return 0;
}

/* Frees 64 MB of small blocks among small ones that stay (every 64th): the holes are in the
 * middle of the heap, which glibc keeps resident. Returns the ones that stay. */
static void **freed_among_pins(void)
{
	enum { COUNT = 16384, SIZE = 4096, EVERY = 64 };
	char **blocks = malloc(COUNT * sizeof(*blocks));
	void **pins = calloc(COUNT / EVERY + 1, sizeof(*pins));

	for (int i = 0; i < COUNT; i++) {
		blocks[i] = malloc(SIZE);
		memset(blocks[i], 1, SIZE);
		if (i % EVERY == 0)
			pins[i / EVERY] = malloc(32);
	}
	for (int i = 0; i < COUNT; i++)
		free(blocks[i]);
	free(blocks);
	return pins;
}

static void free_pins(void **pins)
{
	for (size_t i = 0; pins[i] != NULL; i++)
		free(pins[i]);
	free(pins);
}

int main(void)
{
	unsigned long before = engine__release_count();
	long held, after;
	void **pins;
	pid_t pid;
	int status = 0;

	/* a small request: no trim */
	engine__release_after(ENGINE_RELEASE_RESOURCES - 1);
	nanosleep(&(struct timespec){0, 200 * 1000000L}, NULL);
	OK(engine__release_count() == before);

	/* a large one: the freed pages go back */
	pins = freed_among_pins();
	held = rss_kb();
	engine__release_after(ENGINE_RELEASE_RESOURCES);
	engine__release_after(ENGINE_RELEASE_RESOURCES * 10);
	OK(trimmed_since(before));
	after = rss_kb();
	if (!UNDER_ASAN)
		CHECK(held - after > 32 * 1024, "resident %ld KB before the trim, %ld KB after",
		      held, after);
	OK(engine__release_count() - before <= 2);

	/* a child forked after the trimmer started has one of its own */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		unsigned long mine = engine__release_count();

		engine__release_after(ENGINE_RELEASE_RESOURCES);
		_exit(trimmed_since(mine) ? 0 : 1);
	}
	OK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	   WEXITSTATUS(status) == 0);
	free_pins(pins);
	return testkit_done();
}
