/* json_hooks.c — one out-of-memory policy for cJSON too (architecture.md rule 5: out of memory
 * aborts): cJSON allocates through malloc/free wrappers that print a message and abort on NULL,
 * so no code path continues silently on a NULL from cJSON. Installed once per process, before
 * threads start; it must not change what cJSON parses or prints.
 *
 * The same wrappers give a thread's cJSON nodes from a JSON pool while one is entered
 * (fhir_json_pool_enter; issue 12: the cards, response and decision records of a request cost a
 * malloc and a free per node otherwise). Pool memory is told from malloc memory by its address:
 * every pool block is carved from one region of address space reserved at the first use, so
 * the free wrapper is a range check, and freeing pool memory does nothing (the pool is released
 * whole). Without the region (mmap failed) or when it is full, nodes come from malloc as before.
 * Under AddressSanitizer a pool's free bytes are poisoned, so a read after release is reported. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fhir.h"

#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define BLOCK_BYTES  ((size_t)64 * 1024)
#define REGION_BYTES ((size_t)256 * 1024 * 1024) /* address space only (MAP_NORESERVE) */
#define BLOCK_COUNT  (REGION_BYTES / BLOCK_BYTES)
#define KEEP_BLOCKS  64 /* free blocks kept resident; further ones are given back (madvise) */
#define POOL_LARGEST (BLOCK_BYTES / 4) /* larger allocations come from malloc */
#define POOL_ALIGN   ((size_t)16)      /* as malloc's */

/* A pool block starts with the link to the pool's previous block. */
struct pool_block {
	struct pool_block *next;
};
#define BLOCK_HEADER ((sizeof(struct pool_block) + POOL_ALIGN - 1) & ~(POOL_ALIGN - 1))

static unsigned char *region; /* NULL: no pool memory, every node from malloc */
static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t region_fresh;                          /* blocks never used yet start here */
static struct pool_block *region_free;               /* released blocks, last released first */
static size_t region_free_count;                     /* about how many of them are resident */
static _Thread_local struct fhir_json_pool *current; /* the pool entered on this thread */

static int in_region(const void *p)
{
	uintptr_t at = (uintptr_t)p, base = (uintptr_t)region;

	return region != NULL && at >= base && at - base < REGION_BYTES;
}

/* A block for a pool, or NULL when the region has none left. */
static struct pool_block *block_take(void)
{
	struct pool_block *b = NULL;

	pthread_mutex_lock(&region_lock);
	if (region_free != NULL) {
		b = region_free;
		UNPOISON(b, BLOCK_HEADER);
		region_free = b->next;
		if (region_free_count > 0)
			region_free_count--;
	} else if (region_fresh < BLOCK_COUNT) {
		b = (struct pool_block *)(region + region_fresh++ * BLOCK_BYTES);
	}
	pthread_mutex_unlock(&region_lock);
	return b;
}

/* Gives a block back: resident while fewer than KEEP_BLOCKS are, its pages returned otherwise
 * (the region keeps its address space; the pages come back zeroed on the next use). */
static void block_give(struct pool_block *b)
{
	pthread_mutex_lock(&region_lock);
	if (region_free_count >= KEEP_BLOCKS)
		madvise(b, BLOCK_BYTES, MADV_DONTNEED); /* a hint: failure leaves it resident */
	else
		region_free_count++;
	UNPOISON(b, BLOCK_HEADER);
	b->next = region_free;
	POISON(b, BLOCK_BYTES);
	region_free = b;
	pthread_mutex_unlock(&region_lock);
}

/* size bytes from pool, or NULL (too large, or no block left: the caller mallocs). */
static void *pool_alloc(struct fhir_json_pool *pool, size_t size)
{
	size_t need = (size + POOL_ALIGN - 1) & ~(POOL_ALIGN - 1);
	unsigned char *p;

	if (size == 0 || size > POOL_LARGEST)
		return NULL;
	if (pool->at == NULL || (size_t)(pool->end - pool->at) < need) {
		struct pool_block *b = block_take();

		if (b == NULL)
			return NULL;
		UNPOISON(b, BLOCK_HEADER);
		b->next = pool->blocks;
		pool->blocks = b;
		pool->at = (unsigned char *)b + BLOCK_HEADER;
		pool->end = (unsigned char *)b + BLOCK_BYTES;
	}
	p = pool->at;
	pool->at += need;
	UNPOISON(p, size);
	return p;
}

static void *must_malloc(size_t size)
{
	void *p = current != NULL ? pool_alloc(current, size) : NULL;

	if (p != NULL)
		return p;
	p = malloc(size);
	if (p == NULL) {
		fprintf(stderr, "cds-commissioning: out of memory (cJSON asked for %zu bytes)\n",
		        size);
		abort();
	}
	return p;
}

static void pool_or_free(void *p)
{
	if (!in_region(p)) /* pool memory goes back with its pool */
		free(p);
}

static void hooks_install(void)
{
	cJSON_Hooks hooks = {must_malloc, pool_or_free};
	void *r = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	region = r == MAP_FAILED ? NULL : r; /* none: every node from malloc, as before */
	if (region != NULL)
		POISON(region, REGION_BYTES);
	cJSON_InitHooks(&hooks);
}

void fhir_json_hooks_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, hooks_install);
}

struct fhir_json_pool *fhir_json_pool_enter(struct fhir_json_pool *pool)
{
	struct fhir_json_pool *previous = current;

	current = pool;
	return previous;
}

void fhir_json_pool_leave(struct fhir_json_pool *previous)
{
	current = previous;
}

void fhir_json_pool_release(struct fhir_json_pool *pool)
{
	struct pool_block *b, *next;

	if (pool == NULL)
		return;
	for (b = pool->blocks; b != NULL; b = next) {
		next = b->next;
		block_give(b);
	}
	memset(pool, 0, sizeof(*pool));
}
