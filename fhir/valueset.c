/* valueset.c — an index of FHIR R4 ValueSet resources for memberOf() and order triggering:
 * canonical url -> ValueSet number, and system|code -> the ValueSets holding it (open
 * addressing hash). Built once at load time; read-only (and so thread-safe) afterwards.
 * Only enumerated codes count (compose.include[].concept[], expansion.contains[]); filters and
 * whole-system includes are load errors, since the engine has no terminology server. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"

struct code_entry {
	char *key;    /* "system|code", NEW */
	size_t *sets; /* ValueSet numbers, NEW */
	size_t set_count;
};

struct fhir_valueset_index {
	char **urls; /* ValueSet number -> canonical url, NEW */
	size_t url_count;
	struct code_entry *table; /* open addressing, capacity a power of two */
	size_t capacity;
	size_t used;
};

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		abort(); /* out of memory aborts (architecture.md rule 5) */
	return q;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xrealloc(NULL, n);

	memcpy(d, s, n);
	return d;
}

struct fhir_valueset_index *fhir_valueset_index_new(void)
{
	struct fhir_valueset_index *index = xrealloc(NULL, sizeof(*index));

	memset(index, 0, sizeof(*index));
	index->capacity = 256;
	index->table = xrealloc(NULL, index->capacity * sizeof(*index->table));
	memset(index->table, 0, index->capacity * sizeof(*index->table));
	return index;
}

void fhir_valueset_index_free(struct fhir_valueset_index *index)
{
	size_t i;

	if (index == NULL)
		return;
	for (i = 0; i < index->url_count; i++)
		free(index->urls[i]);
	free(index->urls);
	for (i = 0; i < index->capacity; i++) {
		free(index->table[i].key);
		free(index->table[i].sets);
	}
	free(index->table);
	free(index);
}

static struct code_entry *find_slot(struct code_entry *table, size_t capacity, const char *key)
{
	size_t i = (size_t)fhir_hash_bytes(key, strlen(key)) & (capacity - 1);

	while (table[i].key != NULL && strcmp(table[i].key, key) != 0)
		i = (i + 1) & (capacity - 1);
	return &table[i];
}

static void grow(struct fhir_valueset_index *index)
{
	size_t capacity = index->capacity * 2;
	struct code_entry *table = xrealloc(NULL, capacity * sizeof(*table));
	size_t i;

	memset(table, 0, capacity * sizeof(*table));
	for (i = 0; i < index->capacity; i++)
		if (index->table[i].key != NULL)
			*find_slot(table, capacity, index->table[i].key) = index->table[i];
	free(index->table);
	index->table = table;
	index->capacity = capacity;
}

/* "system|code" into buf; 0 when it does not fit (asked once per code of a record: no printf). */
static int make_key(char *buf, size_t size, const char *system, const char *code)
{
	size_t ls = strlen(system), lc = strlen(code);

	if (ls + lc + 2 > size)
		return 0;
	memcpy(buf, system, ls);
	buf[ls] = '|';
	memcpy(buf + ls + 1, code, lc + 1);
	return 1;
}

static void add_code(struct fhir_valueset_index *index, size_t set, const char *system,
                     const char *code)
{
	char key[1024];
	struct code_entry *slot;

	if (!make_key(key, sizeof(key), system, code))
		return;
	if ((index->used + 1) * 2 > index->capacity)
		grow(index);
	slot = find_slot(index->table, index->capacity, key);
	if (slot->key == NULL) {
		slot->key = xstrdup(key);
		index->used++;
	}
	if (slot->set_count > 0 && slot->sets[slot->set_count - 1] == set)
		return; /* listed twice in one ValueSet */
	slot->sets = xrealloc(slot->sets, (slot->set_count + 1) * sizeof(*slot->sets));
	slot->sets[slot->set_count++] = set;
}

static long find_url(const struct fhir_valueset_index *index, const char *url)
{
	size_t i;

	for (i = 0; i < index->url_count; i++)
		if (strcmp(index->urls[i], url) == 0)
			return (long)i;
	return -1;
}

/* FHIR R4 ValueSet.compose.include[].concept[]: checks every include before adding any. */
static int check_includes(const cJSON *includes, const char *where, struct fhir_error *err)
{
	const cJSON *inc;
	int i = 0;

	cJSON_ArrayForEach(inc, includes)
	{
		char ptr[128];
		const cJSON *concepts = fhir_get(inc, "concept");
		const cJSON *concept;
		int j = 0;

		snprintf(ptr, sizeof(ptr), "%s#/compose/include/%d", where, i);
		if (fhir_get_string(inc, "system") == NULL) {
			fhir_error_set(err, ptr, "include needs a string 'system'");
			return FHIR_ERR_INVALID;
		}
		if (fhir_get(inc, "filter") != NULL || fhir_get(inc, "valueSet") != NULL ||
		    !cJSON_IsArray(concepts) || cJSON_GetArraySize(concepts) == 0) {
			fhir_error_set(err, ptr,
			               "include must enumerate its codes in 'concept' (filters and "
			               "whole-system includes need a terminology server)");
			return FHIR_ERR_INVALID;
		}
		cJSON_ArrayForEach(concept, concepts)
		{
			if (fhir_get_string(concept, "code") == NULL) {
				snprintf(ptr, sizeof(ptr), "%s#/compose/include/%d/concept/%d",
				         where, i, j);
				fhir_error_set(err, ptr, "concept needs a string 'code'");
				return FHIR_ERR_INVALID;
			}
			j++;
		}
		i++;
	}
	return FHIR_OK;
}

int fhir_valueset_index_add(struct fhir_valueset_index *index, const cJSON *valueset,
                            const char *where, struct fhir_error *err)
{
	const char *type = fhir_get_string(valueset, "resourceType");
	const char *url = fhir_get_string(valueset, "url");
	const cJSON *includes = fhir_get(fhir_get(valueset, "compose"), "include");
	const cJSON *contains = fhir_get(fhir_get(valueset, "expansion"), "contains");
	const cJSON *item;
	char ptr[128];
	size_t set;
	int rc;

	if (type == NULL || strcmp(type, "ValueSet") != 0) {
		snprintf(ptr, sizeof(ptr), "%s#/resourceType", where);
		fhir_error_set(err, ptr, "expected a FHIR ValueSet resource");
		return FHIR_ERR_INVALID;
	}
	if (url == NULL) {
		snprintf(ptr, sizeof(ptr), "%s#/url", where);
		fhir_error_set(err, ptr, "a ValueSet needs a canonical 'url'");
		return FHIR_ERR_INVALID;
	}
	if (find_url(index, url) >= 0) {
		snprintf(ptr, sizeof(ptr), "%s#/url", where);
		fhir_error_set(err, ptr, "ValueSet url '%s' is defined twice", url);
		return FHIR_ERR_INVALID;
	}
	if (!cJSON_IsArray(includes) && !cJSON_IsArray(contains)) {
		snprintf(ptr, sizeof(ptr), "%s#/compose", where);
		fhir_error_set(err, ptr, "a ValueSet needs compose.include or expansion.contains");
		return FHIR_ERR_INVALID;
	}
	if (cJSON_IsArray(includes) && (rc = check_includes(includes, where, err)) != FHIR_OK)
		return rc;
	set = index->url_count;
	index->urls = xrealloc(index->urls, (set + 1) * sizeof(*index->urls));
	index->urls[set] = xstrdup(url);
	index->url_count++;
	cJSON_ArrayForEach(item, includes)
	{
		const char *system = fhir_get_string(item, "system");
		const cJSON *concept;

		cJSON_ArrayForEach(concept, fhir_get(item, "concept"))
		{
			add_code(index, set, system, fhir_get_string(concept, "code"));
		}
	}
	cJSON_ArrayForEach(item, contains)
	{
		const char *system = fhir_get_string(item, "system");
		const char *code = fhir_get_string(item, "code");

		if (system != NULL && code != NULL)
			add_code(index, set, system, code);
	}
	return FHIR_OK;
}

long fhir_valueset_number(const struct fhir_valueset_index *index, const char *url)
{
	if (index == NULL || url == NULL)
		return -1;
	return find_url(index, url);
}

const size_t *fhir_valueset_lookup(const struct fhir_valueset_index *index, const char *system,
                                   const char *code, size_t *count)
{
	char key[1024];
	const struct code_entry *slot;

	*count = 0;
	if (index == NULL || system == NULL || code == NULL ||
	    !make_key(key, sizeof(key), system, code))
		return NULL;
	slot = find_slot(index->table, index->capacity, key);
	if (slot->key == NULL)
		return NULL;
	*count = slot->set_count;
	return slot->sets;
}

int fhir_valueset_known(const struct fhir_valueset_index *index, const char *url)
{
	return index != NULL && url != NULL && find_url(index, url) >= 0;
}

int fhir_valueset_contains(const struct fhir_valueset_index *index, const char *url,
                           const char *system, const char *code)
{
	char key[1024];
	const struct code_entry *slot;
	long set;
	size_t i;

	if (index == NULL || url == NULL)
		return -1;
	set = find_url(index, url);
	if (set < 0)
		return -1;
	if (system == NULL || code == NULL || !make_key(key, sizeof(key), system, code))
		return 0;
	slot = find_slot(index->table, index->capacity, key);
	if (slot->key == NULL)
		return 0;
	for (i = 0; i < slot->set_count; i++)
		if (slot->sets[i] == (size_t)set)
			return 1;
	return 0;
}
