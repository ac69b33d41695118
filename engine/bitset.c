/* bitset.c — sets of policies (bit i = e->policies[i]) as arrays of 64-bit words, sized when the
 * configuration is loaded (struct engine.set_words): which policies a ValueSet or a commissioner
 * selects (load time, malloc), and which an order triggers (per request, in its arena). */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

uint64_t *engine__set_new(struct fhir_arena *arena, size_t words)
{
	uint64_t *s;

	if (arena != NULL)
		return fhir_arena_alloc(arena, (words > 0 ? words : 1) * sizeof(*s));
	s = calloc(words > 0 ? words : 1, sizeof(*s));
	if (s == NULL)
		abort();
	return s;
}

void engine__set_fill(uint64_t *s, size_t words, size_t n)
{
	memset(s, 0, words * sizeof(*s));
	for (size_t w = 0; w < words && w * 64 < n; w++)
		s[w] = n - w * 64 >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << (n - w * 64)) - 1;
}

void engine__set_or(uint64_t *dst, const uint64_t *src, size_t words)
{
	for (size_t w = 0; w < words; w++)
		dst[w] |= src[w];
}

void engine__set_and(uint64_t *dst, const uint64_t *src, size_t words)
{
	for (size_t w = 0; w < words; w++)
		dst[w] &= src[w];
}

void engine__set_and_not(uint64_t *dst, const uint64_t *src, size_t words)
{
	for (size_t w = 0; w < words; w++)
		dst[w] &= ~src[w];
}

int engine__set_empty(const uint64_t *s, size_t words)
{
	for (size_t w = 0; w < words; w++)
		if (s[w] != 0)
			return 0;
	return 1;
}

size_t engine__set_count(const uint64_t *s, size_t words)
{
	size_t n = 0;

	for (size_t w = 0; w < words; w++)
		n += (size_t)__builtin_popcountll(s[w]);
	return n;
}

size_t engine__set_next(const uint64_t *s, size_t words, size_t from)
{
	size_t w = from / 64;
	uint64_t bits;

	if (w >= words)
		return words * 64;
	bits = s[w] & (~(uint64_t)0 << (from % 64));
	while (bits == 0) {
		if (++w == words)
			return words * 64;
		bits = s[w];
	}
	return w * 64 + (size_t)__builtin_ctzll(bits);
}
