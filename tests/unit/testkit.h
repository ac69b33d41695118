/* testkit.h — the few helpers every unit test shares: CHECK counts passes and failures and
 * prints each failure with its line; testkit_done() prints the closing "N passed, M failed"
 * line that CI reads and returns the exit status; testkit_read() loads a file; now_ms() and
 * sleep_ms() for the tests that wait. Header-only. */
#ifndef CDS_TESTKIT_H
#define CDS_TESTKIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fhir.h"

/* Every test program runs under the service's out-of-memory policy, cJSON included
 * (fhir_json_hooks_install, architecture.md rule 5), from before main. A test that must see
 * cJSON without it defines TESTKIT_NO_JSON_HOOKS before including this header. */
#ifndef TESTKIT_NO_JSON_HOOKS
__attribute__((constructor)) static void testkit_json_hooks(void)
{
	fhir_json_hooks_install();
}
#endif

static int testkit_passed, testkit_failed;

/* Records one assertion; prints the failing expression and a printf-style reason. */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			testkit_passed++;                                                          \
		} else {                                                                           \
			testkit_failed++;                                                          \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* Prints the closing line and returns the process exit status. */
static inline int testkit_done(void)
{
	printf("%d passed, %d failed\n", testkit_passed, testkit_failed);
	return testkit_failed == 0 ? 0 : 1;
}

/* NEW: the whole file, NUL-terminated (free with free), or NULL; *length may be NULL. */
static inline char *testkit_read(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			if (length != NULL)
				*length = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Milliseconds on the monotonic clock (for durations only; the origin is arbitrary). */
static inline long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000LL + t.tv_nsec / 1000000L;
}

/* Sleeps about `ms` milliseconds (>= 0; a signal may cut it short). */
static inline void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Load errors gathered by an engine_reporter (`collect_errors` with a struct collected as ctx): the
 * messages as "file#pointer: message" lines, and how many. */
struct collected {
	char text[8192];
	size_t len;
	int count;
};

static inline void collect_errors(void *ctx, const char *file, const char *pointer,
                                  const char *message)
{
	struct collected *c = ctx;
	int n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s#%s: %s\n", file, pointer,
	                 message);

	if (n > 0 && (size_t)n < sizeof(c->text) - c->len)
		c->len += (size_t)n;
	c->count++;
}

#endif
