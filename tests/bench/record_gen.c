/* record_gen.c — see record_gen.h. Reads the two shared examples once and copies their
 * Conditions into a prefetch Bundle of the size asked for. */
#include "record_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *parse_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	cJSON *json = NULL;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		fprintf(stderr, "record_gen: cannot read %s\n", path);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		json = cJSON_Parse(buf);
	}
	free(buf);
	fclose(f);
	if (json == NULL)
		fprintf(stderr, "record_gen: %s is not JSON\n", path);
	return json;
}

/* Appends every Condition of a Bundle's entries to the pool. */
static void add_conditions(struct record_pool *pool, const cJSON *bundle, size_t cap)
{
	const cJSON *entry;

	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(bundle, "entry"))
	{
		cJSON *res = cJSON_GetObjectItemCaseSensitive(entry, "resource");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(res, "resourceType");

		if (pool->count < cap && cJSON_IsString(type) &&
		    strcmp(type->valuestring, "Condition") == 0)
			pool->templates[pool->count++] = res;
	}
}

int record_pool_load(struct record_pool *pool, const char *knee, const char *bundle)
{
	const cJSON *prefetch, *conditions;
	size_t cap;

	memset(pool, 0, sizeof(*pool));
	pool->request = parse_file(knee);
	pool->bundle = parse_file(bundle);
	prefetch = cJSON_GetObjectItemCaseSensitive(pool->request, "prefetch");
	conditions = cJSON_GetObjectItemCaseSensitive(prefetch, "conditions");
	if (pool->request == NULL || pool->bundle == NULL || conditions == NULL) {
		record_pool_free(pool);
		return -1;
	}
	cap = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(conditions, "entry")) +
	      (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pool->bundle, "entry"));
	pool->templates = calloc(cap + 1, sizeof(*pool->templates));
	if (pool->templates == NULL) {
		record_pool_free(pool);
		return -1;
	}
	add_conditions(pool, conditions, cap);
	add_conditions(pool, pool->bundle, cap);
	if (pool->count == 0) {
		fprintf(stderr, "record_gen: no Conditions in %s or %s\n", knee, bundle);
		record_pool_free(pool);
		return -1;
	}
	return 0;
}

void record_pool_free(struct record_pool *pool)
{
	cJSON_Delete(pool->request);
	cJSON_Delete(pool->bundle);
	free(pool->templates);
	memset(pool, 0, sizeof(*pool));
}

static void set_string(cJSON *obj, const char *key, const char *value)
{
	cJSON *s = cJSON_CreateString(value);

	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, s);
	else
		cJSON_AddItemToObject(obj, key, s);
}

cJSON *record_request(const struct record_pool *pool, size_t conditions)
{
	cJSON *request = cJSON_Duplicate(pool->request, 1);
	cJSON *prefetch = cJSON_GetObjectItemCaseSensitive(request, "prefetch");
	cJSON *bundle = cJSON_CreateObject(), *entries = cJSON_CreateArray();

	if (request == NULL || bundle == NULL || entries == NULL)
		abort();
	cJSON_AddStringToObject(bundle, "resourceType", "Bundle");
	cJSON_AddStringToObject(bundle, "type", "searchset");
	cJSON_AddNumberToObject(bundle, "total", (double)conditions);
	cJSON_AddItemToObject(bundle, "entry", entries);
	for (size_t i = 0; i < conditions; i++) {
		cJSON *res = cJSON_Duplicate(pool->templates[i % pool->count], 1);
		cJSON *entry = cJSON_CreateObject();
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(res, "id");
		char buf[256];

		if (res == NULL || entry == NULL)
			abort();
		if (i >= pool->count) {
			/* a later copy: its own id and dates (days spread over 2004-2024) */
			snprintf(buf, sizeof(buf), "%s-%zu",
			         cJSON_IsString(id) ? id->valuestring : "cond", i);
			set_string(res, "id", buf);
			snprintf(buf, sizeof(buf), "%04zu-%02zu-%02zu", 2004 + i % 21, 1 + i % 12,
			         1 + i % 28);
			set_string(res, "onsetDateTime", buf);
			set_string(res, "recordedDate", buf);
		}
		id = cJSON_GetObjectItemCaseSensitive(res, "id");
		snprintf(buf, sizeof(buf), "https://ehr.example.org/fhir/Condition/%s",
		         id->valuestring);
		cJSON_AddStringToObject(entry, "fullUrl", buf);
		cJSON_AddItemToObject(entry, "resource", res);
		cJSON_AddItemToObject(entry, "search", cJSON_Parse("{\"mode\":\"match\"}"));
		cJSON_AddItemToArray(entries, entry);
	}
	cJSON_ReplaceItemInObjectCaseSensitive(prefetch, "conditions", bundle);
	return request;
}
