/* discovery.c — builds the discovery document (GET /cds-services) once per loaded engine: one
 * service per hook, with the engine's prefetch templates. CDS Hooks 2.0 §Discovery. It must
 * not announce a template with a token outside CDS Hooks 2.0 (no 3.0-ballot FHIRPath tokens). */
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

/* CDS Hooks 2.0 §Prefetch tokens: root-level primitive context fields of order-select and
 * order-sign ("Prefetch Token = Yes"), and the four user-identity tokens. */
static const char *const allowed_tokens[] = {
    "context.userId",         "context.patientId", "context.encounterId", "userPractitionerId",
    "userPractitionerRoleId", "userPatientId",     "userRelatedPersonId",
};

/* 1 when every {{token}} in the template is a CDS Hooks 2.0 token. */
static int template_is_2_0(const char *template)
{
	const char *p = template;
	while ((p = strstr(p, "{{")) != NULL) {
		const char *end = strstr(p + 2, "}}");
		if (!end)
			return 0;
		size_t len = (size_t)(end - (p + 2));
		int ok = 0;
		for (size_t i = 0; i < sizeof allowed_tokens / sizeof allowed_tokens[0]; i++)
			if (strlen(allowed_tokens[i]) == len &&
			    memcmp(allowed_tokens[i], p + 2, len) == 0)
				ok = 1;
		if (!ok)
			return 0;
		p = end + 2;
	}
	return 1;
}

void cds__discovery_build(const struct engine *engine, char **out, size_t *length)
{
	size_t nservices = 0, nkeys = 0;
	const struct cds__service *services = cds__services(&nservices);
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	(void)engine; /* the templates are the engine's fixed table; kept for per-deployment use */

	cJSON *doc = cds__must(cJSON_CreateObject());
	cJSON *list = cds__must(cJSON_AddArrayToObject(doc, "services"));
	for (size_t i = 0; i < nservices; i++) {
		cJSON *s = cds__must(cJSON_CreateObject());
		cJSON_AddItemToArray(list, s);
		cds__must(cJSON_AddStringToObject(s, "hook", services[i].hook));
		cds__must(cJSON_AddStringToObject(s, "title", services[i].title));
		cds__must(cJSON_AddStringToObject(s, "description", services[i].description));
		cds__must(cJSON_AddStringToObject(s, "id", services[i].id));
		cJSON *prefetch = cds__must(cJSON_AddObjectToObject(s, "prefetch"));
		for (size_t k = 0; k < nkeys; k++) {
			if (!keys[k].key || !keys[k].key[0] || !keys[k].template ||
			    !keys[k].template[0] || !template_is_2_0(keys[k].template) ||
			    cJSON_GetObjectItemCaseSensitive(prefetch, keys[k].key))
				continue;
			cds__must(cJSON_AddStringToObject(prefetch, keys[k].key, keys[k].template));
		}
		cds__must(cJSON_AddStringToObject(
		    s, "usageRequirements",
		    "Send the prefetch data listed. When data a triggered policy needs is neither "
		    "prefetched nor obtainable, the service answers HTTP 412 naming what is "
		    "missing."));
	}
	cds__prune(doc, 0); /* CDS Hooks 2.0: no empty members (e.g. an empty prefetch) */
	*out = cds__must(cJSON_PrintUnformatted(doc));
	*length = strlen(*out);
	cJSON_Delete(doc);
}
