/* path_pool.c — one compiled expression per distinct text during a load (path_pool.h). */
#include <stdlib.h>
#include <string.h>

#include "path_pool.h"
#include "strmap.h"

struct engine__path_pool {
	struct fhir_arena *arena;      /* the map's slots */
	struct engine__strmap by_text; /* expression text (the compiled path's own copy) -> index */
	struct fhir_path **paths;      /* held by the pool */
	size_t count, cap, shared;
};

struct engine__path_pool *engine__path_pool_new(void)
{
	struct engine__path_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		abort(); /* architecture.md rule 5 */
	pool->arena = fhir_arena_new_sized(4096);
	engine__strmap_init(&pool->by_text, pool->arena, 64);
	return pool;
}

void engine__path_pool_free(struct engine__path_pool *pool)
{
	if (pool == NULL)
		return;
	for (size_t i = 0; i < pool->count; i++)
		fhir_path_free(pool->paths[i]);
	free(pool->paths);
	fhir_arena_free(pool->arena);
	free(pool);
}

int engine__path_pool_compile(struct engine__path_pool *pool, const char *text,
                              struct fhir_path **out, struct fhir_error *err)
{
	size_t i;
	int rc;

	*out = NULL;
	if (pool == NULL || text == NULL)
		return engine_path_compile(text, out, err);
	i = engine__strmap_get(&pool->by_text, text, strlen(text));
	if (i != ENGINE_STRMAP_NONE) {
		pool->shared++;
		*out = fhir_path_share(pool->paths[i]);
		return FHIR_OK;
	}
	rc = engine_path_compile(text, out, err);
	if (rc != FHIR_OK)
		return rc;
	if (pool->count == pool->cap) {
		size_t cap = pool->cap == 0 ? 64 : pool->cap * 2;
		struct fhir_path **bigger = realloc(pool->paths, cap * sizeof(*bigger));

		if (bigger == NULL)
			abort();
		pool->paths = bigger;
		pool->cap = cap;
	}
	pool->paths[pool->count] = fhir_path_share(*out);
	/* the key is the compiled path's copy of the text, which lives as long as the pool holds it
	 */
	engine__strmap_put(&pool->by_text, fhir_path_text(*out), strlen(text), pool->count);
	pool->count++;
	return FHIR_OK;
}

void engine__path_pool_each(const struct engine__path_pool *pool,
                            void (*fn)(void *ctx, const struct fhir_path *path), void *ctx)
{
	for (size_t i = 0; pool != NULL && i < pool->count; i++)
		fn(ctx, pool->paths[i]);
}

void engine__path_pool_counts(const struct engine__path_pool *pool, size_t *compiled,
                              size_t *shared)
{
	*compiled = pool != NULL ? pool->count : 0;
	*shared = pool != NULL ? pool->shared : 0;
}
