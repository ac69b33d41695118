/* record.c — the patient record as the policies read it (policies.md "Evidence rules"): each
 * prefetch key's resources with one copy per resource (its latest version), without the
 * requests that say "do not do this", and with the resources an order carries as its own
 * supporting information (contained, referenced '#id'). */
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "strmap.h"

/* 1 when b is a later version of the same resource than a: FHIR R4 Meta.lastUpdated when both
 * carry a readable one that differs, else a greater numeric Meta.versionId; 0 otherwise (the
 * first copy sent is kept). */
static int later_version(const cJSON *a, const cJSON *b)
{
	const cJSON *ma = fhir_get(a, "meta"), *mb = fhir_get(b, "meta");
	const char *la = fhir_get_string(ma, "lastUpdated"),
	           *lb = fhir_get_string(mb, "lastUpdated");
	const char *va = fhir_get_string(ma, "versionId"), *vb = fhir_get_string(mb, "versionId");
	struct fhir_datetime da, db;
	struct fhir_error err;

	if (la != NULL && lb != NULL && fhir_datetime_parse(la, &da, &err) == FHIR_OK &&
	    fhir_datetime_parse(lb, &db, &err) == FHIR_OK) {
		int c = fhir_datetime_compare(&da, &db);

		if (c == -1 || c == 1)
			return c == -1;
	}
	if (va != NULL && vb != NULL) {
		char *ea, *eb;
		unsigned long long na = strtoull(va, &ea, 10), nb = strtoull(vb, &eb, 10);

		if (ea != va && *ea == '\0' && eb != vb && *eb == '\0')
			return nb > na;
	}
	return 0;
}

/* 1 when the resource is a request not to act (FHIR R4 MedicationRequest, ServiceRequest,
 * DeviceRequest... doNotPerform): a prohibition is no evidence of the thing prohibited. Only a
 * request type (its name ends in "Request") has the element, so other resources are not
 * searched for it. */
static int prohibition(const cJSON *node, const char *type)
{
	size_t n = type != NULL ? strlen(type) : 0;

	if (type != NULL && (n < 7 || strcmp(type + n - 7, "Request") != 0))
		return 0;
	return cJSON_IsTrue(fhir_get(node, "doNotPerform"));
}

void engine__record_tidy(struct fhir_collection *c, struct fhir_arena *arena)
{
	struct engine__strmap seen;
	const char *first_type = NULL;
	size_t i, n = 0;

	engine__strmap_init(&seen, arena, c->count);
	for (i = 0; i < c->count; i++) {
		const struct fhir_value *v = &c->items[i];
		const char *id = v->kind == FHIR_VALUE_NODE ? fhir_get_string(v->node, "id") : NULL;
		const char *key;
		size_t at;

		if (v->kind == FHIR_VALUE_NODE && prohibition(v->node, v->type))
			continue;
		if (id == NULL || v->type == NULL) {
			c->items[n++] = *v;
			continue;
		}
		/* a key's resources are mostly of one type: the first type's ids are keys as they
		 * are, other types' are "Type/id" (an id never holds a '/') */
		if (first_type == NULL)
			first_type = v->type;
		key = strcmp(v->type, first_type) == 0
		          ? id
		          : fhir_arena_printf(arena, "%s/%s", v->type, id);
		at = engine__strmap_get(&seen, key, strlen(key));
		if (at == ENGINE_STRMAP_NONE) {
			engine__strmap_put(&seen, key, strlen(key), n);
			c->items[n++] = *v;
		} else if (later_version(c->items[at].node, v->node)) {
			c->items[at] = *v;
		}
	}
	c->count = n;
}

void engine__record_supporting(struct fhir_collection *out, struct fhir_arena *arena,
                               const struct fhir_collection *orders)
{
	for (size_t i = 0; i < orders->count; i++) {
		const cJSON *order = orders->items[i].node, *ref;

		if (orders->items[i].kind != FHIR_VALUE_NODE)
			continue;
		cJSON_ArrayForEach(ref, fhir_get(order, "supportingInfo"))
		{
			const char *r = fhir_get_string(ref, "reference");
			const cJSON *res =
			    r != NULL && r[0] == '#' ? fhir_find_contained(order, r + 1) : NULL;
			const char *t = fhir_get_string(res, "resourceType");

			if (t != NULL && !prohibition(res, t))
				fhir_collection_push_resource(out, arena, res, t);
		}
	}
}

void engine__record_add_supporting(struct fhir_collection *c, struct fhir_arena *arena,
                                   const struct fhir_collection *supporting, const char *type,
                                   const char *also)
{
	size_t first = c->count;

	for (size_t i = 0; i < supporting->count; i++) {
		const cJSON *res = supporting->items[i].node;
		const char *t = supporting->items[i].type;
		size_t k;

		if (strcmp(t, type) != 0 && (also == NULL || strcmp(t, also) != 0))
			continue;
		for (k = first; k < c->count && c->items[k].node != res; k++)
			;
		if (k == c->count) /* listed once, however often it is referenced */
			fhir_collection_push_resource(c, arena, res, t);
	}
}
