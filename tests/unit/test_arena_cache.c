/* test_arena_cache.c — the per-thread request arenas (fhir/arena_cache.c) and the block reuse
 * of fhir_arena_reset_keep: a reset arena hands out its kept blocks again (same addresses),
 * zeroed; nested takes get arenas of their own and FHIR_ARENA_CACHE_SLOTS of them are cached
 * (a request's and its text host's), the last given back first; a thread's cached arenas are
 * freed when it exits (the sanitizer build reports a leak otherwise); strings packed without
 * alignment, other allocations still 16-byte aligned. */
#include <pthread.h>
#include <stdint.h>

#include "fhir.h"
#include "testkit.h"

#define CHUNK  16000 /* four to a 64 KB block */
#define CHUNKS 40    /* ten blocks: 640 KB, within FHIR_ARENA_CACHE_KEEP */
#define HOLD   12

static int seen(void *const *old, size_t n, const void *p)
{
	for (size_t i = 0; i < n; i++)
		if (old[i] == p)
			return 1;
	return 0;
}

static void test_reset_keep(void)
{
	struct fhir_arena *a = fhir_arena_new();
	void *old[CHUNKS], *hold[HOLD];
	size_t reused = 0, zero = 1;

	for (size_t i = 0; i < CHUNKS; i++) {
		old[i] = fhir_arena_alloc(a, CHUNK);
		memset(old[i], 0xff, CHUNK);
	}
	fhir_arena_reset_keep(a, FHIR_ARENA_CACHE_KEEP);
	/* blocks given back to malloc would be handed to these first */
	for (size_t i = 0; i < HOLD; i++)
		hold[i] = malloc(64 * 1024 + 32);
	for (size_t i = 0; i < CHUNKS; i++) {
		unsigned char *p = fhir_arena_alloc(a, CHUNK);

		reused += (size_t)seen(old, CHUNKS, p);
		for (size_t k = 0; k < CHUNK; k++)
			zero &= p[k] == 0;
	}
	CHECK(reused == CHUNKS, "every block kept and reused: %zu of %d chunks at old addresses",
	      reused, CHUNKS);
	CHECK(zero, "reused memory is zeroed");
	for (size_t i = 0; i < HOLD; i++)
		free(hold[i]);
	/* a keep of one block: the rest goes back to malloc; the arena still works */
	fhir_arena_reset_keep(a, 64 * 1024);
	for (size_t i = 0; i < CHUNKS; i++)
		CHECK(((unsigned char *)fhir_arena_alloc(a, CHUNK))[CHUNK - 1] == 0, "chunk %zu",
		      i);
	fhir_arena_reset_keep(a, 0); /* keep nothing: the spare list is emptied too */
	CHECK(fhir_arena_alloc(a, 8) != NULL, "alloc after reset");
	fhir_arena_free(a);
}

static void test_take_give(void)
{
	struct fhir_arena *a = fhir_arena_take(), *b, *nested, *third;

	fhir_arena_alloc(a, 100);
	fhir_arena_give(a);
	b = fhir_arena_take();
	CHECK(b == a, "the thread's arena is handed out again");
	nested = fhir_arena_take();
	CHECK(nested != NULL && nested != b, "a nested take gets an arena of its own");
	third = fhir_arena_take();
	CHECK(third != NULL && third != b && third != nested, "and a third one too");
	fhir_arena_alloc(third, 100);
	fhir_arena_give(nested); /* cached */
	fhir_arena_give(third);  /* cached: a request's and its text host's */
	fhir_arena_give(b);      /* the cache is full (FHIR_ARENA_CACHE_SLOTS): freed */
	fhir_arena_give(NULL);
	CHECK(fhir_arena_take() == third, "the last one cached is handed out first");
	CHECK(fhir_arena_take() == nested, "then the one before");
	CHECK((b = fhir_arena_take()) != nested && b != third, "then a new one");
	fhir_arena_give(b);
	fhir_arena_give(nested);
	fhir_arena_give(third);
}

/* Strings take the bytes they need (no 16-byte rounding: a compiled expression copies each of
 * its tokens); everything else stays 16-byte aligned after them, across block ends and marks. */
static void test_string_packing(void)
{
	struct fhir_arena *a = fhir_arena_new_sized(256);
	char *s1, *s2;
	void *p;
	size_t used;
	struct fhir_arena_mark m;
	int aligned = 1, intact = 1;

	s1 = fhir_arena_strdup(a, "ab");
	s2 = fhir_arena_strdup(a, "cde");
	CHECK(s2 == s1 + 3, "strings packed: %p then %p", (void *)s1, (void *)s2);
	used = fhir_arena_used(a);
	CHECK(used == 7, "7 bytes used, not %zu", used);
	p = fhir_arena_alloc(a, 24);
	CHECK(((uintptr_t)p & 15) == 0 && (char *)p >= s2 + 4, "aligned after strings: %p", p);
	m = fhir_arena_mark(a);
	for (int i = 0; i < 200; i++) { /* past the first block, strings and structs mixed */
		char text[8];

		snprintf(text, sizeof(text), "%d", i);
		intact &= strcmp(fhir_arena_strdup(a, text), text) == 0;
		aligned &= ((uintptr_t)fhir_arena_alloc(a, 40) & 15) == 0;
	}
	CHECK(aligned && intact, "%s", "mixed allocations aligned and intact");
	fhir_arena_release(a, m);
	p = fhir_arena_alloc(a, 8);
	CHECK(((uintptr_t)p & 15) == 0, "aligned after release: %p", p);
	CHECK(strcmp(s1, "ab") == 0 && strcmp(s2, "cde") == 0, "%s",
	      "strings before the mark kept");
	fhir_arena_free(a);
}

static void *thread_main(void *arg)
{
	struct fhir_arena *a = fhir_arena_take(), *b = fhir_arena_take();

	(void)arg;
	for (int i = 0; i < CHUNKS; i++) {
		fhir_arena_alloc(a, CHUNK);
		fhir_arena_alloc(b, CHUNK);
	}
	fhir_arena_give(a); /* both freed by the key's destructor when the thread exits */
	fhir_arena_give(b);
	return NULL;
}

static void test_thread_exit(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0, "thread");
	pthread_join(t, NULL);
}

int main(void)
{
	test_reset_keep();
	test_take_give();
	test_string_packing();
	test_thread_exit();
	return testkit_done();
}
