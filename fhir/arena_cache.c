/* arena_cache.c — up to FHIR_ARENA_CACHE_SLOTS arenas per thread (a request's and its text
 * host's), reset and reused from request to request instead of created and freed, so a request's
 * blocks are not returned to malloc (and to the kernel) only to be faulted in again by the next
 * one. It keeps no memory beyond FHIR_ARENA_CACHE_KEEP per cached arena and must not know what
 * the arenas hold. */
#include "fhir.h"

#include <pthread.h>
#include <stdlib.h>

/* A thread's cached arenas: a stack, the last given back handed out first. */
struct cache {
	struct fhir_arena *slots[FHIR_ARENA_CACHE_SLOTS];
	size_t count;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_destroy(void *p)
{
	struct cache *c = p;

	for (size_t i = 0; i < c->count; i++)
		fhir_arena_free(c->slots[i]);
	free(c);
}

static void cache_init(void)
{
	if (pthread_key_create(&cache_key, cache_destroy) != 0)
		abort(); /* architecture.md rule 5: out of resources */
}

/* This thread's cache; made on first use when `make`, else NULL until then. */
static struct cache *thread_cache(int make)
{
	struct cache *c;

	pthread_once(&cache_once, cache_init);
	c = pthread_getspecific(cache_key);
	if (c == NULL && make) {
		c = calloc(1, sizeof(*c));
		if (c == NULL || pthread_setspecific(cache_key, c) != 0)
			abort();
	}
	return c;
}

struct fhir_arena *fhir_arena_take(void)
{
	struct cache *c = thread_cache(0);

	if (c == NULL || c->count == 0)
		return fhir_arena_new();
	return c->slots[--c->count];
}

void fhir_arena_give(struct fhir_arena *arena)
{
	struct cache *c;

	if (arena == NULL)
		return;
	c = thread_cache(1);
	if (c->count == FHIR_ARENA_CACHE_SLOTS) {
		fhir_arena_free(arena);
		return;
	}
	fhir_arena_reset_keep(arena, FHIR_ARENA_CACHE_KEEP);
	c->slots[c->count++] = arena;
}
