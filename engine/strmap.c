/* strmap.c — a string -> index hash map in an arena (strmap.h): FNV-1a hashes, linear probing,
 * grown at half full. Must not copy keys or allocate outside its arena. */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

struct engine__strmap_slot {
	const char *key; /* NULL: empty */
	size_t len;
	uint64_t hash;
	size_t value;
};

static uint64_t hash_of(const struct engine__strmap *m, const char *key, size_t len)
{
	return fhir_hash_bytes(key, len) & m->mask;
}

/* The slot holding key, or the empty slot where it would go. */
static struct engine__strmap_slot *slot_of(const struct engine__strmap *m, const char *key,
                                           size_t len, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct engine__strmap_slot *s = &m->slots[i];

		if (s->key == NULL ||
		    (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

static void grow(struct engine__strmap *m, size_t cap)
{
	struct engine__strmap_slot *old = m->slots;
	size_t old_cap = m->cap;

	if (cap > SIZE_MAX / 2 / sizeof(*old))
		abort();
	m->slots = fhir_arena_alloc(m->arena, cap * sizeof(*m->slots)); /* zeroed */
	m->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key != NULL)
			*slot_of(m, old[i].key, old[i].len, old[i].hash) = old[i];
}

void engine__strmap_init(struct engine__strmap *m, struct fhir_arena *arena, size_t expect)
{
	size_t cap = 8;

	memset(m, 0, sizeof(*m));
	m->arena = arena;
	m->mask = ~(uint64_t)0;
	while (cap < expect * 2) {
		if (cap > SIZE_MAX / 4)
			abort();
		cap *= 2;
	}
	grow(m, cap);
}

size_t engine__strmap_get(const struct engine__strmap *m, const char *key, size_t len)
{
	const struct engine__strmap_slot *s = slot_of(m, key, len, hash_of(m, key, len));

	return s->key != NULL ? s->value : ENGINE_STRMAP_NONE;
}

size_t engine__strmap_put(struct engine__strmap *m, const char *key, size_t len, size_t value)
{
	uint64_t h = hash_of(m, key, len);
	struct engine__strmap_slot *s = slot_of(m, key, len, h);
	size_t old = s->key != NULL ? s->value : ENGINE_STRMAP_NONE;

	if (s->key == NULL) {
		if ((m->used + 1) * 2 > m->cap) {
			grow(m, m->cap * 2);
			s = slot_of(m, key, len, h);
		}
		s->key = key;
		s->len = len;
		s->hash = h;
		m->used++;
	}
	s->value = value;
	return old;
}
