/* arena.c — the bump allocator every request and evaluation allocates from, and the FHIRPath
 * collection helpers built on it.
 * Blocks are chained; each new block is twice the last, up to 64 KB (an arena made small, such
 * as a compiled expression's, stays small); an allocation over a quarter of 64 KB gets a block
 * of its own. Nothing is freed one by one. Out of memory aborts (architecture.md rule 5). This
 * module must not know about FHIRPath semantics beyond the collection helpers declared in fhir.h.
 */
#include "fhir.h"
#include "fhirpath_internal.h" /* fhir__fp_model_resource, fhir__fp_truth */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_SIZE ((size_t)64 * 1024)
#define ARENA_MIN_BLOCK  ((size_t)256)
#define ARENA_KEEP_BYTES ((size_t)1024 * 1024) /* 64 KB blocks a reset keeps for reuse */
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
	size_t next;               /* size of the next block: doubles up to ARENA_BLOCK_SIZE */
	struct arena_block *spare; /* 64 KB blocks kept by reset, reused before malloc */
	size_t spare_bytes;
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

static size_t first_next(const struct fhir_arena *arena)
{
	size_t size = arena->first->size;

	return size >= ARENA_BLOCK_SIZE / 2 ? ARENA_BLOCK_SIZE : size * 2;
}

struct fhir_arena *fhir_arena_new_sized(size_t first)
{
	struct fhir_arena *arena = malloc(sizeof(*arena));

	if (arena == NULL)
		abort();
	if (first < ARENA_MIN_BLOCK)
		first = ARENA_MIN_BLOCK;
	if (first > ARENA_BLOCK_SIZE)
		first = ARENA_BLOCK_SIZE;
	first = (first + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	arena->first = block_new(first);
	arena->head = arena->first;
	arena->big = NULL;
	arena->next = first_next(arena);
	arena->spare = NULL;
	arena->spare_bytes = 0;
	return arena;
}

struct fhir_arena *fhir_arena_new(void)
{
	return fhir_arena_new_sized(ARENA_BLOCK_SIZE);
}

/* size bytes aligned to `align` (16, or 1 for strings: a compiled expression holds a copy of
 * each of its tokens, mostly a few bytes long), not zeroed. */
static inline void *arena_alloc_aligned(struct fhir_arena *arena, size_t size, size_t align)
{
	struct arena_block *b = arena->head;
	size_t need, at;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		abort();
	need = (size + align - 1) & ~(align - 1);
	at = (b->used + align - 1) & ~(align - 1);
	if (need > ARENA_BLOCK_SIZE / 4) {
		/* its own block, so the block being filled keeps its free space */
		b = block_new(need);
		b->next = arena->big;
		arena->big = b;
		b->used = need;
		return block_data(b);
	} else if (at > b->size || b->size - at < need) {
		size_t bytes = arena->next;

		while (bytes < need)
			bytes *=
			    2; /* need <= ARENA_BLOCK_SIZE / 4 <= bytes after a few doublings */
		if (arena->spare != NULL && arena->spare->size >= bytes) {
			b = arena->spare;
			arena->spare = b->next;
			arena->spare_bytes -= b->size;
			b->used = 0;
		} else {
			b = block_new(bytes);
		}
		b->next = arena->head;
		arena->head = b;
		arena->next = bytes >= ARENA_BLOCK_SIZE / 2 ? ARENA_BLOCK_SIZE : bytes * 2;
		at = 0;
	}
	p = block_data(b) + at;
	b->used = at + need;
	return p;
}

/* size bytes, 16-byte aligned, not zeroed. */
static void *arena_alloc_raw(struct fhir_arena *arena, size_t size)
{
	return arena_alloc_aligned(arena, size, ARENA_ALIGN);
}

void *fhir_arena_alloc_raw(struct fhir_arena *arena, size_t size)
{
	return arena_alloc_raw(arena, size);
}

void *fhir_arena_alloc(struct fhir_arena *arena, size_t size)
{
	void *p = arena_alloc_raw(arena, size);

	memset(p, 0, size);
	return p;
}

char *fhir_arena_strndup(struct fhir_arena *arena, const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = arena_alloc_aligned(arena, n + 1, 1); /* a string needs no alignment */
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
	p = arena_alloc_raw(arena, (size_t)n + 1); /* vsnprintf writes all of it */
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

void fhir_arena_reset_keep(struct fhir_arena *arena, size_t keep)
{
	free_chain(arena->big, NULL);
	arena->big = NULL;
	/* the spare list first shrinks to `keep` */
	while (arena->spare != NULL && arena->spare_bytes > keep) {
		struct arena_block *b = arena->spare;

		arena->spare = b->next;
		arena->spare_bytes -= b->size;
		free(b);
	}
	/* keep up to `keep` bytes of full blocks for the next use, free the rest, so an arena
	 * reused per evaluation does not malloc, and a large one returns its memory */
	for (struct arena_block *b = arena->head, *next; b != arena->first; b = next) {
		next = b->next;
		if (b->size == ARENA_BLOCK_SIZE && arena->spare_bytes + b->size <= keep) {
			b->next = arena->spare;
			arena->spare = b;
			arena->spare_bytes += b->size;
		} else {
			free(b);
		}
	}
	arena->first->used = 0;
	arena->first->next = NULL;
	arena->head = arena->first;
	arena->next = first_next(arena);
}

void fhir_arena_reset(struct fhir_arena *arena)
{
	fhir_arena_reset_keep(arena, ARENA_KEEP_BYTES);
}

struct fhir_arena_mark fhir_arena_mark(const struct fhir_arena *arena)
{
	struct fhir_arena_mark m;

	m.head = arena->head;
	m.used = arena->head->used;
	m.big = arena->big;
	return m;
}

void fhir_arena_release(struct fhir_arena *arena, struct fhir_arena_mark mark)
{
	/* blocks made after the mark go to the spare list (up to ARENA_KEEP_BYTES) or are freed */
	while (arena->big != mark.big) {
		struct arena_block *b = arena->big;

		arena->big = b->next;
		free(b);
	}
	while (arena->head != mark.head) {
		struct arena_block *b = arena->head;

		arena->head = b->next;
		if (b->size == ARENA_BLOCK_SIZE &&
		    arena->spare_bytes + b->size <= ARENA_KEEP_BYTES) {
			b->next = arena->spare;
			arena->spare = b;
			arena->spare_bytes += b->size;
		} else {
			free(b);
		}
	}
	arena->head->used = mark.used;
}

size_t fhir_arena_used(const struct fhir_arena *arena)
{
	size_t n = 0;

	for (const struct arena_block *b = arena->head; b != NULL; b = b->next)
		n += b->used;
	return n;
}

size_t fhir_arena_held(const struct fhir_arena *arena)
{
	size_t n = sizeof(*arena);

	for (const struct arena_block *b = arena->head; b != NULL; b = b->next)
		n += header_size() + b->size;
	for (const struct arena_block *b = arena->big; b != NULL; b = b->next)
		n += header_size() + b->size;
	for (const struct arena_block *b = arena->spare; b != NULL; b = b->next)
		n += header_size() + b->size;
	return n;
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

/* Grows c's array to `cap` items where it is, when it is the last allocation of the block being
 * filled and the block has the room: 1 done (nothing copied), else 0. A view of another
 * collection's array (count == capacity) may grow so, past that collection's capacity, where
 * it never reads. Only a growth that would otherwise allocate comes here, so a mark taken
 * before it releases the same memory either way. */
static int grow_in_place(struct fhir_arena *arena, struct fhir_collection *c, size_t cap)
{
	struct arena_block *b = arena->head;
	size_t more;

	if (c->capacity == 0 || c->items == NULL ||
	    (unsigned char *)(c->items + c->capacity) != block_data(b) + b->used ||
	    cap > SIZE_MAX / sizeof(*c->items))
		return 0;
	more = (cap - c->capacity) * sizeof(*c->items);
	if (b->size - b->used < more)
		return 0;
	b->used += more;
	c->capacity = cap;
	return 1;
}

/* fhir_collection_push's growth when c is full: room for one first, then 4, then doubling (each
 * array is left in the arena when it grows, unless it can grow where it is). */
static __attribute__((noinline)) void collection_grow(struct fhir_collection *c,
                                                      struct fhir_arena *arena)
{
	size_t cap = c->capacity == 0 ? 1 : c->capacity < 4 ? 4 : c->capacity * 2;
	struct fhir_value *items;

	if (cap < c->count + 1)
		cap = c->count + 1;
	if (grow_in_place(arena, c, cap))
		return;
	if (cap > SIZE_MAX / sizeof(*items))
		abort();
	items = arena_alloc_raw(arena, cap * sizeof(*items)); /* filled by pushes */
	if (c->count > 0)
		memcpy(items, c->items, c->count * sizeof(*items));
	c->items = items;
	c->capacity = cap;
}

void fhir_collection_push(struct fhir_collection *c, struct fhir_arena *arena,
                          const struct fhir_value *v)
{
	if (c->count >= c->capacity) {
		struct arena_block *b = arena->head;
		size_t at = (b->used + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);

		/* most collections hold one item (a Boolean, a lambda's $this): an empty one
		 * gets room for one, from the block being filled when it has the room */
		if (c->capacity == 0 && c->count == 0 && at <= b->size &&
		    b->size - at >= sizeof(*c->items)) {
			c->items = (struct fhir_value *)(block_data(b) + at);
			b->used = at + sizeof(*c->items);
			c->capacity = 1;
		} else {
			collection_grow(c, arena);
		}
	}
	c->items[c->count++] = *v;
}

void fhir_collection_reserve(struct fhir_collection *c, struct fhir_arena *arena, size_t room)
{
	struct fhir_value *items;

	if (c->capacity >= c->count && c->capacity - c->count >= room)
		return;
	if (room > SIZE_MAX / sizeof(*items) - c->count)
		abort();
	if (grow_in_place(arena, c, c->count + room))
		return;
	items = arena_alloc_raw(arena, (c->count + room) * sizeof(*items)); /* filled by pushes */
	if (c->count > 0)
		memcpy(items, c->items, c->count * sizeof(*items));
	c->items = items;
	c->capacity = c->count + room;
}

void fhir_collection_push_node(struct fhir_collection *c, struct fhir_arena *arena,
                               const cJSON *node)
{
	struct fhir_value v;
	const cJSON *rt;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_NODE;
	v.node = node;
	/* cJSON_GetObjectItemCaseSensitive(node, "resourceType") */
	rt = fhir__fp_is_object(node) ? fhir__fp_resource_type(node) : NULL;
	if (cJSON_IsString(rt) && rt->valuestring != NULL) {
		/* the model's copy of an R4 name (one address for every resource of a type: the
		 * member-type look-ups find it by address), else the JSON's own string */
		v.type = fhir__fp_model_resource(rt->valuestring);
		if (v.type == NULL)
			v.type = rt->valuestring;
	}
	fhir_collection_push(c, arena, &v);
}

void fhir_collection_push_resource(struct fhir_collection *c, struct fhir_arena *arena,
                                   const cJSON *node, const char *type)
{
	struct fhir_value v;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_NODE;
	v.node = node;
	v.type = fhir__fp_model_resource(type); /* as fhir_collection_push_node names it */
	if (v.type == NULL)
		v.type = type;
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
	return c == NULL ? -1 : fhir__fp_truth(c);
}
