/* json.c — read-only access to FHIR R4 JSON held in cJSON: case-sensitive members, "Type/id"
 * references, Bundles (with or without `type`), and CDS Hooks prefetch values.
 * Nothing here allocates except into the caller's arena, and nothing trusts the input's shape. */
#include <stdio.h>
#include <string.h>

#include "fhir.h"

const cJSON *fhir_get(const cJSON *object, const char *name)
{
	if (!cJSON_IsObject(object))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(object, name);
}

const char *fhir_get_string(const cJSON *object, const char *name)
{
	const cJSON *item = fhir_get(object, name);

	if (!cJSON_IsString(item) || item->valuestring == NULL || item->valuestring[0] == '\0')
		return NULL;
	return item->valuestring;
}

const char *fhir_resource_ref(const cJSON *resource, char *buf, size_t size)
{
	const char *type = fhir_get_string(resource, "resourceType");
	const char *id = fhir_get_string(resource, "id");
	int n;

	if (type == NULL || id == NULL || size == 0)
		return NULL;
	n = snprintf(buf, size, "%s/%s", type, id);
	if (n < 0 || (size_t)n >= size)
		return NULL;
	return buf;
}

/* CDS Hooks 2.0 §Prefetch: absent, null, resource, Bundle, or OperationOutcome. */
enum fhir_prefetch_kind fhir_prefetch_classify(const cJSON *value)
{
	const char *type;

	if (value == NULL)
		return FHIR_PREFETCH_ABSENT;
	/* CDS Hooks 2.0 §Prefetch: null means "no data"; some clients send the string "__null__"
	 * for it (conformance checklist H5) */
	if (cJSON_IsNull(value) ||
	    (cJSON_IsString(value) && strcmp(value->valuestring, "__null__") == 0))
		return FHIR_PREFETCH_NULL;
	type = fhir_get_string(value, "resourceType");
	if (type == NULL)
		return FHIR_PREFETCH_INVALID;
	if (strcmp(type, "OperationOutcome") == 0)
		return FHIR_PREFETCH_OPERATION_OUTCOME;
	if (strcmp(type, "Bundle") == 0)
		return FHIR_PREFETCH_BUNDLE;
	return FHIR_PREFETCH_RESOURCE;
}

int fhir_bundle_failed(const cJSON *value)
{
	const cJSON *entry, *issue;

	if (fhir_prefetch_classify(value) != FHIR_PREFETCH_BUNDLE)
		return 0;
	cJSON_ArrayForEach(entry, fhir_get(value, "entry"))
	{
		const cJSON *resource = fhir_get(entry, "resource");
		const char *type = fhir_get_string(resource, "resourceType");

		if (type == NULL || strcmp(type, "OperationOutcome") != 0)
			continue;
		cJSON_ArrayForEach(issue, fhir_get(resource, "issue"))
		{
			const char *severity = fhir_get_string(issue, "severity");

			if (severity != NULL &&
			    (strcmp(severity, "error") == 0 || strcmp(severity, "fatal") == 0))
				return 1;
		}
	}
	return 0;
}

static void push_resource(const cJSON *resource, struct fhir_arena *arena,
                          struct fhir_collection *out, size_t *outcomes, size_t *skipped)
{
	const char *type = fhir_get_string(resource, "resourceType");

	if (type == NULL) {
		if (skipped != NULL)
			(*skipped)++;
		return;
	}
	if (strcmp(type, "OperationOutcome") == 0) {
		if (outcomes != NULL)
			(*outcomes)++;
		return;
	}
	fhir_collection_push_resource(out, arena, resource, type);
}

void fhir_bundle_resources(const cJSON *value, struct fhir_arena *arena,
                           struct fhir_collection *out, size_t *outcomes, size_t *skipped)
{
	const char *type = fhir_get_string(value, "resourceType");
	const cJSON *entries;
	const cJSON *entry;

	if (type == NULL) {
		if (value != NULL && !cJSON_IsNull(value) && skipped != NULL)
			(*skipped)++;
		return;
	}
	if (strcmp(type, "Bundle") != 0) {
		push_resource(value, arena, out, outcomes, skipped);
		return;
	}
	entries = fhir_get(value, "entry");
	if (!cJSON_IsArray(entries))
		return;
	/* room for every entry at once: a record of 10,000 Conditions grown by doubling was
	 * copied a dozen times, each copy into memory not touched before */
	fhir_collection_reserve(out, arena, (size_t)cJSON_GetArraySize(entries));
	cJSON_ArrayForEach(entry, entries)
	{
		const cJSON *resource = fhir_get(entry, "resource");

		if (resource == NULL) {
			if (skipped != NULL)
				(*skipped)++;
			continue;
		}
		push_resource(resource, arena, out, outcomes, skipped);
	}
}

size_t fhir_reference_length(const char *reference)
{
	const char *history = strstr(reference, "/_history/");

	return history != NULL ? (size_t)(history - reference) : strlen(reference);
}

const cJSON *fhir_find_reference(const struct fhir_collection *resources, const char *reference)
{
	char buf[512];
	size_t i, n;

	if (resources == NULL || reference == NULL)
		return NULL;
	n = fhir_reference_length(reference);
	for (i = 0; i < resources->count; i++) {
		const struct fhir_value *v = &resources->items[i];
		const char *ref;

		if (v->kind != FHIR_VALUE_NODE)
			continue;
		ref = fhir_resource_ref(v->node, buf, sizeof(buf));
		if (ref != NULL && strncmp(ref, reference, n) == 0 && ref[n] == '\0')
			return v->node;
	}
	return NULL;
}

const cJSON *fhir_find_contained(const cJSON *container, const char *id)
{
	const cJSON *r;

	if (id == NULL)
		return NULL;
	cJSON_ArrayForEach(r, fhir_get(container, "contained"))
	{
		const char *rid = fhir_get_string(r, "id");

		if (rid != NULL && strcmp(rid, id) == 0)
			return r;
	}
	return NULL;
}
