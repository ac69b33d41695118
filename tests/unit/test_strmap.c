/* test_strmap.c — the string -> index map (engine/strmap.c) that card.c de-duplicates evidence
 * references and groups phrases with: get/put by length (a key may be a prefix of a longer
 * string), replacement returning the old value, growth past many keys, and the collision path
 * (mask 0: every key hashes alike, so only the key comparison tells them apart). */
#include <stdio.h>
#include <string.h>

#include "testkit.h"

#include "strmap.h"

#define OK(c) CHECK(c, "%s", "")

static void many_keys(struct fhir_arena *arena, int collide)
{
	enum { COUNT = 600 };
	static char keys[COUNT][16];
	struct engine__strmap m;
	int ok = 1;

	engine__strmap_init(&m, arena, 2);
	if (collide)
		m.mask = 0;
	for (size_t i = 0; i < COUNT; i++) {
		snprintf(keys[i], sizeof(keys[i]), "Condition/%zu", i);
		ok &= engine__strmap_put(&m, keys[i], strlen(keys[i]), i) == ENGINE_STRMAP_NONE;
	}
	CHECK(ok, "collide=%d: every new key reported new", collide);
	ok = 1;
	for (size_t i = 0; i < COUNT; i++)
		ok &= engine__strmap_get(&m, keys[i], strlen(keys[i])) == i;
	CHECK(ok, "collide=%d: every key finds its value after growth", collide);
	OK(engine__strmap_get(&m, "Condition/600", 13) == ENGINE_STRMAP_NONE);
	OK(engine__strmap_get(&m, "Condition/", 10) == ENGINE_STRMAP_NONE);
	OK(m.used == COUNT && m.used * 2 <= m.cap);
}

int main(void)
{
	struct fhir_arena *arena = fhir_arena_new();
	struct engine__strmap m;
	const char *phrase = "Condition/c1: ‘knee pain’ (pain: knee)";

	engine__strmap_init(&m, arena, 0);
	OK(engine__strmap_get(&m, "x", 1) == ENGINE_STRMAP_NONE);
	OK(engine__strmap_get(&m, "", 0) == ENGINE_STRMAP_NONE);

	/* keys by length: a prefix of a phrase, not the whole phrase */
	OK(engine__strmap_put(&m, phrase, 12, 7) == ENGINE_STRMAP_NONE);
	OK(engine__strmap_get(&m, "Condition/c1", 12) == 7);
	OK(engine__strmap_get(&m, "Condition/c1", 11) == ENGINE_STRMAP_NONE);
	OK(engine__strmap_get(&m, phrase, strlen(phrase)) == ENGINE_STRMAP_NONE);
	/* replacing returns what was there (card.c chains phrases with it) */
	OK(engine__strmap_put(&m, "Condition/c1", 12, 9) == 7);
	OK(engine__strmap_get(&m, phrase, 12) == 9);
	OK(m.used == 1);
	/* the empty key is a key */
	OK(engine__strmap_put(&m, "", 0, 3) == ENGINE_STRMAP_NONE);
	OK(engine__strmap_get(&m, "", 0) == 3);

	many_keys(arena, 0);
	many_keys(arena, 1);
	fhir_arena_free(arena);
	return testkit_done();
}
