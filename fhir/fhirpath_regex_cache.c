/* fhirpath_regex_cache.c — compiled regular expressions for patterns that are not literals
 * (matches(%pattern), replaceMatches(x, y) with x computed): each thread keeps the last few it
 * compiled, so an expression evaluated over many items compiles its pattern once per thread, not
 * once per item. Literal patterns are compiled with the expression (fhirpath_parse.c). Per thread,
 * so no locks; freed when the thread exits. Must not be shared between threads. */
#include "fhirpath_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 8

struct cached {
	char *pattern; /* NULL: empty slot */
	unsigned flags;
	regex_t re;
};

struct cache {
	struct cached slots[CACHE_SLOTS];
	unsigned next; /* slot to reuse next (round robin) */
	unsigned long compiles;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
	struct cache *c = p;

	for (size_t i = 0; c != NULL && i < CACHE_SLOTS; i++)
		if (c->slots[i].pattern != NULL) {
			regfree(&c->slots[i].re);
			free(c->slots[i].pattern);
		}
	free(c);
}

static void cache_init(void)
{
	if (pthread_key_create(&cache_key, cache_free) != 0)
		abort();
}

static struct cache *this_cache(void)
{
	struct cache *c;

	pthread_once(&cache_once, cache_init);
	c = pthread_getspecific(cache_key);
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL || pthread_setspecific(cache_key, c) != 0)
			abort(); /* architecture.md rule 5 */
	}
	return c;
}

const regex_t *fhir__fp_regex_cached(const char *pattern, unsigned flags, char *msg, size_t size)
{
	struct cache *c = this_cache();
	struct cached *slot;
	regex_t re;

	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (c->slots[i].pattern != NULL && c->slots[i].flags == flags &&
		    strcmp(c->slots[i].pattern, pattern) == 0)
			return &c->slots[i].re;
	if (fhir__fp_regex_compile(pattern, flags, &re, msg, size) != 0)
		return NULL;
	c->compiles++;
	slot = &c->slots[c->next];
	c->next = (c->next + 1) % CACHE_SLOTS;
	if (slot->pattern != NULL) {
		regfree(&slot->re);
		free(slot->pattern);
	}
	slot->pattern = strdup(pattern);
	if (slot->pattern == NULL)
		abort();
	slot->flags = flags;
	slot->re = re;
	return &slot->re;
}

unsigned long fhir__fp_regex_compiles(void)
{
	return this_cache()->compiles;
}
