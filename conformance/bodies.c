/* bodies.c — request bodies the runner sends: the example files (../shared/examples and its
 * sandbox/ folder) whose hook matches a service, and generic bodies it builds for each hook it
 * knows (order-select, order-sign, patient-view, encounter-start, encounter-discharge), with
 * prefetch answered from the service's own templates. It knows no service's policies. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every *.json in dir whose hook matches to list, named prefix+file, in name order. */
static void scan(const char *dir, const char *prefix, const char *hook, cJSON *list)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 256) {
		size_t len = strlen(e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
			names[n] = strdup(e->d_name);
			if (!names[n])
				abort();
			n++;
		}
	}
	closedir(d);
	qsort(names, n, sizeof names[0], by_name);
	for (size_t i = 0; i < n; i++) {
		char path[1024], name[512];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		snprintf(name, sizeof name, "%s%s", prefix, names[i]);
		cJSON *body = conf_read_json(path);
		const char *h = conf_str(body, "hook");
		if (h && strcmp(h, hook) == 0 &&
		    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(body, "context"))) {
			cJSON *item = cJSON_CreateObject();
			cJSON_AddStringToObject(item, "name", name);
			cJSON_AddItemToObject(item, "body", body);
			body = NULL;
			cJSON_AddItemToArray(list, item);
		}
		cJSON_Delete(body);
		free(names[i]);
	}
}

cJSON *conf_example_bodies(const struct conf_ctx *ctx, const char *hook)
{
	cJSON *list = cJSON_CreateArray();
	if (!ctx->examples_dir)
		return list;
	scan(ctx->examples_dir, "", hook, list);
	char sub[1024];
	snprintf(sub, sizeof sub, "%s/sandbox", ctx->examples_dir);
	scan(sub, "sandbox/", hook, list);
	/* order-select and order-sign carry the same orders: each hook's examples also make bodies
	 * for the other (selections added as every draft order, or dropped). */
	int select = strcmp(hook, "order-select") == 0, sign = strcmp(hook, "order-sign") == 0;
	if (!select && !sign)
		return list;
	cJSON *other = cJSON_CreateArray();
	const char *other_hook = select ? "order-sign" : "order-select";
	scan(ctx->examples_dir, "", other_hook, other);
	scan(sub, "sandbox/", other_hook, other);
	cJSON *item;
	cJSON_ArrayForEach(item, other)
	{
		cJSON *body = cJSON_GetObjectItemCaseSensitive(item, "body");
		cJSON *context = cJSON_GetObjectItemCaseSensitive(body, "context");
		cJSON_ReplaceItemInObjectCaseSensitive(body, "hook", cJSON_CreateString(hook));
		if (sign)
			cJSON_DeleteItemFromObjectCaseSensitive(context, "selections");
		else
			cJSON_AddItemToObject(context, "selections", conf_draft_order_refs(body));
		char name[600];
		snprintf(name, sizeof name, "%s as %s", conf_str(item, "name"), hook);
		cJSON_AddItemToArray(list, cJSON_Duplicate(item, 1));
		cJSON *copy = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
		cJSON_ReplaceItemInObjectCaseSensitive(copy, "name", cJSON_CreateString(name));
	}
	cJSON_Delete(other);
	return list;
}

void conf_fresh_instance(cJSON *body)
{
	char id[37];
	conf_uuid(id);
	cJSON *v = cJSON_CreateString(id);
	if (cJSON_GetObjectItemCaseSensitive(body, "hookInstance"))
		cJSON_ReplaceItemInObjectCaseSensitive(body, "hookInstance", v);
	else
		cJSON_AddItemToObject(body, "hookInstance", v);
}

static cJSON *reference(const char *ref)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "reference", ref);
	return r;
}

/* A draft ServiceRequest (FHIR R4) coded with SNOMED CT, for the order hooks. */
static cJSON *draft_order(const char *id, const char *code, const char *display)
{
	cJSON *sr = cJSON_CreateObject();
	cJSON_AddStringToObject(sr, "resourceType", "ServiceRequest");
	cJSON_AddStringToObject(sr, "id", id);
	cJSON_AddStringToObject(sr, "status", "draft");
	cJSON_AddStringToObject(sr, "intent", "order");
	cJSON *cc = cJSON_AddObjectToObject(sr, "code");
	cJSON *codings = cJSON_AddArrayToObject(cc, "coding");
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "system", "http://snomed.info/sct");
	cJSON_AddStringToObject(c, "code", code);
	cJSON_AddStringToObject(c, "display", display);
	cJSON_AddItemToArray(codings, c);
	cJSON_AddStringToObject(cc, "text", display);
	cJSON_AddItemToObject(sr, "subject", reference("Patient/conf-patient"));
	cJSON_AddItemToObject(sr, "encounter", reference("Encounter/conf-encounter"));
	cJSON_AddStringToObject(sr, "authoredOn", "2025-01-15");
	cJSON_AddItemToObject(sr, "requester", reference("Practitioner/conf-practitioner"));
	return sr;
}

/* Prefetch value for one template: a Patient for a Patient read, an empty searchset Bundle for a
 * search, null for other reads (CDS Hooks 2.0 §Prefetch: null = the client has no data). */
static cJSON *prefetch_value(const char *tmpl)
{
	if (strncmp(tmpl, "Patient/{{context.patientId}}", 29) == 0) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "resourceType", "Patient");
		cJSON_AddStringToObject(p, "id", "conf-patient");
		cJSON_AddStringToObject(p, "gender", "female");
		cJSON_AddStringToObject(p, "birthDate", "1960-05-01");
		return p;
	}
	if (strchr(tmpl, '?')) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "resourceType", "Bundle");
		cJSON_AddStringToObject(b, "type", "searchset");
		cJSON_AddNumberToObject(b, "total", 0);
		return b;
	}
	return cJSON_CreateNull();
}

cJSON *conf_generic_body(const struct conf_service *service)
{
	const char *hook = service->hook;
	int select = strcmp(hook, "order-select") == 0, sign = strcmp(hook, "order-sign") == 0;
	int visit = strcmp(hook, "patient-view") == 0 || strcmp(hook, "encounter-start") == 0 ||
	            strcmp(hook, "encounter-discharge") == 0;
	if (!select && !sign && !visit)
		return NULL;
	cJSON *body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "hook", hook);
	conf_fresh_instance(body);
	cJSON *ctx = cJSON_AddObjectToObject(body, "context");
	cJSON_AddStringToObject(ctx, "userId", "Practitioner/conf-practitioner");
	cJSON_AddStringToObject(ctx, "patientId", "conf-patient");
	cJSON_AddStringToObject(ctx, "encounterId", "conf-encounter");
	if (select || sign) {
		if (select) {
			cJSON *sel = cJSON_AddArrayToObject(ctx, "selections");
			cJSON_AddItemToArray(sel,
			                     cJSON_CreateString("ServiceRequest/conf-order-1"));
		}
		cJSON *bundle = cJSON_AddObjectToObject(ctx, "draftOrders");
		cJSON_AddStringToObject(bundle, "resourceType", "Bundle");
		cJSON_AddStringToObject(bundle, "type", "collection");
		cJSON *entries = cJSON_AddArrayToObject(bundle, "entry");
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "fullUrl",
		                        "urn:uuid:6f1c2a8e-5d7b-4a1e-9c3f-0b2d4e6f8a01");
		cJSON_AddItemToObject(
		    e, "resource", draft_order("conf-order-1", "77477000", "Computed tomography"));
		cJSON_AddItemToArray(entries, e);
	}
	if (cJSON_IsObject(service->prefetch) && service->prefetch->child) {
		cJSON *pf = cJSON_AddObjectToObject(body, "prefetch");
		const cJSON *t;
		cJSON_ArrayForEach(t, service->prefetch)
		{
			if (cJSON_IsString(t) && t->string)
				cJSON_AddItemToObject(pf, t->string,
				                      prefetch_value(t->valuestring));
		}
	}
	return body;
}

cJSON *conf_draft_order_refs(const cJSON *request)
{
	cJSON *refs = cJSON_CreateArray();
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(request, "context");
	const cJSON *entries = NULL;
	const char *bundles[] = {"draftOrders", "dispatchedOrders", "appointments"};
	for (size_t b = 0; b < 3; b++) {
		const cJSON *bundle = cJSON_GetObjectItemCaseSensitive(ctx, bundles[b]);
		entries = cJSON_GetObjectItemCaseSensitive(bundle, "entry");
		const cJSON *e;
		cJSON_ArrayForEach(e, entries)
		{
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "resource");
			const char *type = conf_str(r, "resourceType"), *id = conf_str(r, "id");
			if (type && id) {
				char ref[300];
				snprintf(ref, sizeof ref, "%s/%s", type, id);
				cJSON_AddItemToArray(refs, cJSON_CreateString(ref));
			}
		}
	}
	return refs;
}
