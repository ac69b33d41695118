/* strmap.h — a map from strings to indices, for de-duplicating and grouping in linear time what
 * would otherwise be compared pair by pair (card.c: the evidence references of a criterion and
 * the text phrases behind each). engine/strmap.c. */
#ifndef CDS_ENGINE_STRMAP_H
#define CDS_ENGINE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "fhir.h"

#define ENGINE_STRMAP_NONE SIZE_MAX /* "no value" */

struct engine__strmap_slot;
/* Open addressing in an arena; keys are BORROWED (they must outlive the map). */
struct engine__strmap {
	struct fhir_arena *arena;
	struct engine__strmap_slot *slots;
	size_t cap, used; /* cap is a power of 2, used <= cap / 2 */
	uint64_t mask;    /* hash bits kept: all; unit tests set 0 to force collisions */
};

/* Empties m, sized for about `expect` keys, allocating in `arena` (which must outlive m). */
void engine__strmap_init(struct engine__strmap *m, struct fhir_arena *arena, size_t expect);
/* The value filed under the `len` bytes at key, or ENGINE_STRMAP_NONE. */
size_t engine__strmap_get(const struct engine__strmap *m, const char *key, size_t len);
/* Files `value` under the `len` bytes at key (BORROWED), replacing any value there; returns the
 * value it replaced, or ENGINE_STRMAP_NONE when the key is new. */
size_t engine__strmap_put(struct engine__strmap *m, const char *key, size_t len, size_t value);

#endif
