/* arena_cache.c — one request arena per thread, reset and reused from request to request instead
 * of created and freed, so a request's blocks are not returned to malloc (and to the kernel) only
 * to be faulted in again by the next one. It keeps no memory beyond FHIR_ARENA_CACHE_KEEP per
 * thread and must not know what the arenas hold. */
#include "fhir.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_destroy(void *arena)
{
	fhir_arena_free(arena);
}

static void cache_init(void)
{
	if (pthread_key_create(&cache_key, cache_destroy) != 0)
		abort(); /* architecture.md rule 5: out of resources */
}

struct fhir_arena *fhir_arena_take(void)
{
	struct fhir_arena *arena;

	pthread_once(&cache_once, cache_init);
	arena = pthread_getspecific(cache_key);
	if (arena == NULL)
		return fhir_arena_new();
	if (pthread_setspecific(cache_key, NULL) != 0)
		abort();
	return arena;
}

void fhir_arena_give(struct fhir_arena *arena)
{
	if (arena == NULL)
		return;
	pthread_once(&cache_once, cache_init);
	if (pthread_getspecific(cache_key) != NULL) {
		fhir_arena_free(arena);
		return;
	}
	fhir_arena_reset_keep(arena, FHIR_ARENA_CACHE_KEEP);
	if (pthread_setspecific(cache_key, arena) != 0)
		fhir_arena_free(arena);
}
