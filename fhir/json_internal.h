/* json_internal.h — what the JSON reader (json_block.c, json_limited.c) and writer (json_writer.c)
 * share; not for other modules. */
#ifndef FHIR_JSON_INTERNAL_H
#define FHIR_JSON_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "fhir.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Parses the JSON text of `length` bytes at text, which must be one value and whitespace, into
 * one allocation (nodes, then strings): the tree cJSON_ParseWithLengthOpts would build, with the
 * root flagged cJSON_IsReference so that cJSON_Delete(root) frees the whole block. It checks
 * what json_limited.c's scan checks (UTF-8, no raw control character in a string, depth and
 * string length under *limits) and the items of each array (max_items), so the caller walks
 * the tree no more, and answers NULL on anything the scan or cJSON would refuse,
 * and on whatever it does not read exactly as cJSON does (json_block.c): the caller then scans
 * and parses with cJSON, whose answer (and error) stands. NEW: the root (cJSON_Delete). */
cJSON *fhir__json_parse_block(const char *text, size_t length,
                              const struct fhir_json_limits *limits);

#define FHIR__JSON_ONES ((uint64_t)0x0101010101010101ULL)

/* The lanes of x (eight bytes, little-endian order) that are not plain, each as its high bit:
 * plain is printable ASCII other than '"' and '\\' (DEL included), the bytes a JSON string holds
 * as they are. Only the lowest flagged lane is exact (a borrow may flag lanes above it). */
static inline uint64_t fhir__json_not_plain8(uint64_t x)
{
	const uint64_t ones = FHIR__JSON_ONES;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) &
	       (ones * 0x80);
}

#if defined(__SSE2__)
/* The high bit of each of x's 16 lanes that is not plain, as a 16-bit mask (lane k: bit k). */
static inline unsigned fhir__json_not_plain16(__m128i x)
{
	/* a signed byte below 0x20 is a control character or a byte above 0x7F */
	__m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
	                           _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
	                                        _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));

	return (unsigned)_mm_movemask_epi8(bad);
}
#endif

/* How many of the 16 bytes at p, from the start, are plain (as above): 16 when all are. */
static inline unsigned fhir__json_plain16(const unsigned char *p)
{
#if defined(__SSE2__)
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

	return (unsigned)__builtin_ctz(fhir__json_not_plain16(x) | 0x10000u);
#else
	for (unsigned k = 0; k < 16; k += 8) {
		uint64_t x, hit;

		memcpy(&x, p + k, 8);
		hit = fhir__json_not_plain8(x);
		if (hit == 0)
			continue;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		return k + (unsigned)__builtin_ctzll(hit) / 8; /* lane j is bits 8j to 8j + 7 */
#else
		while (p[k] >= 0x20 && p[k] < 0x80 && p[k] != '"' && p[k] != '\\')
			k++; /* a lane is flagged only when one at or before it is not plain */
		return k;
#endif
	}
	return 16;
#endif
}

/* Copies the 16 bytes at p to o (both must have 16 bytes; they do not overlap) and answers
 * fhir__json_plain16(p). The copy lets a string reader move a whole chunk before it knows where
 * the string stops, then keep only the plain part. */
static inline unsigned fhir__json_copy_plain16(char *o, const unsigned char *p)
{
#if defined(__SSE2__)
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

	_mm_storeu_si128((__m128i *)(void *)o, x);
	return (unsigned)__builtin_ctz(fhir__json_not_plain16(x) | 0x10000u);
#else
	memcpy(o, p, 16);
	return fhir__json_plain16(p);
#endif
}

/* How many of the n bytes at s, from the start, are plain (fhir_json_plain_run), copying them to
 * o when o is not NULL (o must have room for n bytes; bytes after the plain start may be copied
 * too). Sixteen bytes are tested at a time, and the last 16, 8 or 4 of the n are tested again
 * over bytes already known to be plain, so that a short string is two tests, not a loop. */
static inline size_t fhir__json_plain_prefix(char *o, const unsigned char *s, size_t n)
{
	size_t i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n >= 16) {
		unsigned k;

		for (;; i += 16) {
			if (n - i <= 16)
				i = n -
				    16; /* the last 16, overlapping plain bytes already tested */
			k = o != NULL ? fhir__json_copy_plain16(o + i, s + i)
			              : fhir__json_plain16(s + i);
			if (k < 16 || i == n - 16)
				return i + k;
		}
	}
	if (n >= 8) { /* two words: the first 8 bytes and the last 8 */
		uint64_t a, b, ha, hb;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		if (o != NULL) {
			memcpy(o, &a, 8);
			memcpy(o + n - 8, &b, 8);
		}
		ha = fhir__json_not_plain8(a);
		hb = fhir__json_not_plain8(b);
		if (ha != 0)
			return (size_t)__builtin_ctzll(ha) / 8;
		return hb != 0 ? n - 8 + (size_t)__builtin_ctzll(hb) / 8 : n;
	}
	if (n >= 4) { /* the first 4 bytes and the last 4, in words whose upper lanes are NULs
		       * (not plain), so that each has a hit at lane 4 at the latest */
		uint32_t a, b;
		size_t ka, kb;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		if (o != NULL) {
			memcpy(o, &a, 4);
			memcpy(o + n - 4, &b, 4);
		}
		ka = (size_t)__builtin_ctzll(fhir__json_not_plain8(a)) / 8;
		kb = (size_t)__builtin_ctzll(fhir__json_not_plain8(b)) / 8;
		return ka < 4 ? ka : kb < 4 ? n - 4 + kb : n;
	}
#endif
	for (; i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\'; i++)
		if (o != NULL)
			o[i] = (char)s[i];
	return i;
}

#endif
