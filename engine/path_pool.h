/* path_pool.h — compiles each FHIRPath expression text once per load. Policy sets repeat the same
 * expressions (the same `let` definitions, the same status filters, a template's copies), and a
 * compiled expression is immutable, so every policy that writes the same text holds the same
 * compiled tree (fhir_path_share) instead of its own: idle memory grows with the distinct
 * expressions, not with the policies. engine/path_pool.c. */
#ifndef CDS_ENGINE_PATH_POOL_H
#define CDS_ENGINE_PATH_POOL_H

#include "engine_internal.h"

struct engine__path_pool;

/* An empty pool. NEW: engine__path_pool_free. Not thread-safe (one loader). */
struct engine__path_pool *engine__path_pool_new(void);
/* Drops the pool's hold on its expressions (each holder keeps its own) and frees the pool.
 * Accepts NULL. */
void engine__path_pool_free(struct engine__path_pool *pool);
/* engine_path_compile through the pool: the expression compiled for the same text before, shared
 * (NEW hold on it: the caller calls fhir_path_free), or compiled now. `pool` may be NULL
 * (then it compiles). Errors as engine_path_compile; a failed text is not remembered. */
int engine__path_pool_compile(struct engine__path_pool *pool, const char *text,
                              struct fhir_path **out, struct fhir_error *err);
/* Calls fn for each distinct expression the pool holds, in compile order. */
void engine__path_pool_each(const struct engine__path_pool *pool,
                            void (*fn)(void *ctx, const struct fhir_path *path), void *ctx);
/* Distinct expressions compiled, and compiles answered from the pool (for tests). */
void engine__path_pool_counts(const struct engine__path_pool *pool, size_t *compiled,
                              size_t *shared);

#endif
