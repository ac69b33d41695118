/* arena.c — the bump allocator every request and evaluation allocates from, and the FHIRPath
 * collection helpers built on it.
 * Blocks are chained; an allocation over a quarter block gets a block of its own. Nothing is freed
 * one by one. Out of memory aborts (architecture.md rule 5). This module must not know about
 * FHIRPath semantics beyond the collection helpers declared in fhir.h. */
#include "fhir.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_SIZE ((size_t)64 * 1024)
#define ARENA_ALIGN      ((size_t)16)

struct arena_block {
	struct arena_block *next;
	size_t size; /* usable bytes in data */
	size_t used;
	/* data follows, 16-byte aligned */
};

struct fhir_arena {
	struct arena_block *head; /* the block being filled; the first block is last in chain */
	struct arena_block *first;
	struct arena_block *big;   /* allocations over a quarter block, one block each */
	struct arena_block *spare; /* standard blocks kept by fhir_arena_reset_keep, used first */
};

static size_t header_size(void)
{
	return (sizeof(struct arena_block) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
}

static unsigned char *block_data(struct arena_block *b)
{
	return (unsigned char *)b + header_size();
}

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b;

	if (size > SIZE_MAX - header_size())
		abort();
	b = malloc(header_size() + size);
	if (b == NULL)
		abort(); /* architecture.md rule 5 */
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct fhir_arena *fhir_arena_new(void)
{
	struct fhir_arena *arena = malloc(sizeof(*arena));

	if (arena == NULL)
		abort();
	arena->first = block_new(ARENA_BLOCK_SIZE);
	arena->head = arena->first;
	arena->big = NULL;
	arena->spare = NULL;
	return arena;
}

void *fhir_arena_alloc(struct fhir_arena *arena, size_t size)
{
	struct arena_block *b = arena->head;
	size_t need;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		abort();
	need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (need > ARENA_BLOCK_SIZE / 4) {
		/* its own block, so the block being filled keeps its free space */
		b = block_new(need);
		b->next = arena->big;
		arena->big = b;
	} else if (b->size - b->used < need) {
		b = arena->spare != NULL ? arena->spare : block_new(ARENA_BLOCK_SIZE);
		arena->spare = b->next;
		b->used = 0;
		b->next = arena->head;
		arena->head = b;
	}
	p = block_data(b) + b->used;
	b->used += need;
	memset(p, 0, size);
	return p;
}

char *fhir_arena_strndup(struct fhir_arena *arena, const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = fhir_arena_alloc(arena, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *fhir_arena_strdup(struct fhir_arena *arena, const char *s)
{
	if (s == NULL)
		return NULL;
	return fhir_arena_strndup(arena, s, strlen(s));
}

char *fhir_arena_printf(struct fhir_arena *arena, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fhir_arena_strdup(arena, "");
	p = fhir_arena_alloc(arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static void free_chain(struct arena_block *b, const struct arena_block *stop)
{
	while (b != stop) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
}

/* Moves the blocks from b up to (not including) stop to the spare list while *kept stays within
 * keep; frees the others. */
static void keep_chain(struct fhir_arena *arena, struct arena_block *b,
                       const struct arena_block *stop, size_t keep, size_t *kept)
{
	while (b != stop) {
		struct arena_block *next = b->next;

		if (*kept + b->size <= keep) {
			*kept += b->size;
			b->next = arena->spare;
			arena->spare = b;
		} else {
			free(b);
		}
		b = next;
	}
}

void fhir_arena_reset_keep(struct fhir_arena *arena, size_t keep)
{
	struct arena_block *spare = arena->spare;
	size_t kept = 0;

	free_chain(arena->big, NULL);
	arena->big = NULL;
	arena->spare = NULL;
	keep_chain(arena, spare, NULL, keep, &kept);
	keep_chain(arena, arena->head, arena->first, keep, &kept);
	arena->first->used = 0;
	arena->first->next = NULL;
	arena->head = arena->first;
}

void fhir_arena_reset(struct fhir_arena *arena)
{
	fhir_arena_reset_keep(arena, 0);
}

void fhir_arena_free(struct fhir_arena *arena)
{
	if (arena == NULL)
		return;
	free_chain(arena->big, NULL);
	free_chain(arena->head, NULL);
	free_chain(arena->spare, NULL);
	free(arena);
}

/* ---- collections (FHIRPath N1 §Collections) ------------------------------------------------ */

void fhir_collection_push(struct fhir_collection *c, struct fhir_arena *arena,
                          const struct fhir_value *v)
{
	if (c->count >= c->capacity) {
		size_t cap = c->capacity < 8 ? 8 : c->capacity * 2;
		struct fhir_value *items;

		if (cap < c->count + 1)
			cap = c->count + 1;
		if (cap > SIZE_MAX / sizeof(*items))
			abort();
		items = fhir_arena_alloc(arena, cap * sizeof(*items));
		if (c->count > 0)
			memcpy(items, c->items, c->count * sizeof(*items));
		c->items = items;
		c->capacity = cap;
	}
	c->items[c->count++] = *v;
}

void fhir_collection_push_node(struct fhir_collection *c, struct fhir_arena *arena,
                               const cJSON *node)
{
	struct fhir_value v;
	const cJSON *rt;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_NODE;
	v.node = node;
	rt = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, "resourceType") : NULL;
	if (cJSON_IsString(rt) && rt->valuestring != NULL)
		v.type = rt->valuestring;
	fhir_collection_push(c, arena, &v);
}

void fhir_collection_push_bool(struct fhir_collection *c, struct fhir_arena *arena, int b)
{
	struct fhir_value v;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_BOOLEAN;
	v.u.boolean = b ? 1 : 0;
	fhir_collection_push(c, arena, &v);
}

int fhir_collection_truth(const struct fhir_collection *c)
{
	const struct fhir_value *v;

	if (c == NULL || c->count == 0)
		return -1;
	if (c->count > 1)
		return 1;
	v = &c->items[0];
	if (v->kind == FHIR_VALUE_BOOLEAN)
		return v->u.boolean ? 1 : 0;
	if (v->kind == FHIR_VALUE_NODE && cJSON_IsBool(v->node))
		return cJSON_IsTrue(v->node) ? 1 : 0;
	return 1;
}
