/* check_actions.c — X1–X5 on every action of every suggestion and every systemAction the run
 * collected: type and description (X1), a full resource on create/update (X2), delete by a
 * relative resourceId without resource (X3), update/delete targets among the request's draft
 * orders (X4), and FHIR R4 validation of each action resource (X5, see validate.c).
 * CDS Hooks 2.0 §Action, invariants cds-resp-2/5; Inferno suggestion_actions_validation. */
#include <string.h>

#include "conf.h"

/* Whether s is "Type/id" with a FHIR resource type name and a FHIR id. */
static int relative_reference(const char *s)
{
	if (!s || !(s[0] >= 'A' && s[0] <= 'Z'))
		return 0;
	const char *slash = strchr(s, '/');
	if (!slash || slash == s || !slash[1] || strlen(slash + 1) > 64)
		return 0;
	for (const char *p = s; p < slash; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return 0;
	for (const char *p = slash + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	return 1;
}

static int in_list(const cJSON *refs, const char *ref)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, refs) if (cJSON_IsString(r) &&
	                                strcmp(r->valuestring, ref) == 0) return 1;
	return 0;
}

static void check_action(const cJSON *a, const char *where, const cJSON *drafts, cJSON *resources,
                         struct conf_findings f[4])
{
	const char *type = conf_str(a, "type"), *desc = conf_str(a, "description");
	if (!type || (strcmp(type, "create") && strcmp(type, "update") && strcmp(type, "delete")))
		conf_find(&f[0], "%s: type '%s'", where, type ? type : "(missing)");
	if (!desc || !desc[0])
		conf_find(&f[0], "%s: description missing or empty", where);
	if (!type)
		return;
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(a, "resource");
	if (strcmp(type, "create") == 0 || strcmp(type, "update") == 0) {
		if (!cJSON_IsObject(res) || !conf_str(res, "resourceType")) {
			conf_find(&f[1], "%s: %s without a FHIR resource object", where, type);
			return;
		}
		cJSON_AddItemToArray(resources, cJSON_Duplicate(res, 1));
		if (strcmp(type, "update") == 0) {
			char ref[300];
			const char *id = conf_str(res, "id");
			snprintf(ref, sizeof ref, "%s/%s", conf_str(res, "resourceType"),
			         id ? id : "");
			if (!id)
				conf_find(&f[1], "%s: update of a %s without id", where,
				          conf_str(res, "resourceType"));
			else if (!in_list(drafts, ref))
				conf_find(&f[3],
				          "%s: update of %s, not a draft order of the request",
				          where, ref);
		}
	} else if (strcmp(type, "delete") == 0) {
		const char *rid = conf_str(a, "resourceId");
		if (!relative_reference(rid))
			conf_find(&f[2], "%s: delete without a relative resourceId (Type/id)",
			          where);
		if (res)
			conf_find(&f[2], "%s: delete carries a resource", where);
		if (rid && !in_list(drafts, rid))
			conf_find(&f[3], "%s: delete of %s, not a draft order of the request",
			          where, rid);
	}
}

void conf_check_actions(struct conf_ctx *ctx)
{
	struct conf_findings f[5] = {{0}};
	size_t actions = 0;
	cJSON *resources = cJSON_CreateArray();
	for (size_t x = 0; x < ctx->n_exchanges; x++) {
		const struct conf_exchange *ex = &ctx->exchanges[x];
		cJSON *drafts = conf_draft_order_refs(ex->request);
		const cJSON *cards = cJSON_GetObjectItemCaseSensitive(ex->response, "cards");
		size_t c = 0;
		const cJSON *card;
		cJSON_ArrayForEach(card, (cJSON_IsArray(cards) ? cards : NULL))
		{
			const cJSON *sugg = cJSON_GetObjectItemCaseSensitive(card, "suggestions");
			size_t s = 0;
			const cJSON *sg;
			cJSON_ArrayForEach(sg, (cJSON_IsArray(sugg) ? sugg : NULL))
			{
				const cJSON *list = cJSON_GetObjectItemCaseSensitive(sg, "actions");
				size_t k = 0;
				const cJSON *a;
				cJSON_ArrayForEach(a, (cJSON_IsArray(list) ? list : NULL))
				{
					char where[300];
					snprintf(where, sizeof where,
					         "%s cards/%zu/suggestions/%zu/actions/%zu",
					         ex->label, c, s, k++);
					check_action(a, where, drafts, resources, f);
					actions++;
				}
				s++;
			}
			c++;
		}
		const cJSON *sys = cJSON_GetObjectItemCaseSensitive(ex->response, "systemActions");
		size_t k = 0;
		const cJSON *a;
		cJSON_ArrayForEach(a, (cJSON_IsArray(sys) ? sys : NULL))
		{
			char where[300];
			snprintf(where, sizeof where, "%s systemActions/%zu", ex->label, k++);
			check_action(a, where, drafts, resources, f);
			actions++;
		}
		cJSON_Delete(drafts);
	}
	static const char *const ids[] = {"X1", "X2", "X3", "X4"};
	static const char *const what[] = {"type create|update|delete and a description",
	                                   "create/update carry a full FHIR resource",
	                                   "delete: relative resourceId, no resource",
	                                   "update/delete target draft orders of the request"};
	for (size_t k = 0; k < 4; k++) {
		char pass[200];
		snprintf(pass, sizeof pass, "%s (%zu actions)", what[k], actions);
		if (!actions)
			conf_report(ids[k], "M", CONF_SKIP, "no request produced an action");
		else
			conf_verdict(ids[k], "M", &f[k], pass);
	}
	if (!cJSON_GetArraySize(resources)) {
		conf_report("X5", "M", CONF_SKIP, "no action carried a FHIR resource");
	} else {
		const char *how = "structural";
		int rc = conf_validate_resources(ctx, resources, &f[4], &how);
		char pass[200];
		snprintf(pass, sizeof pass, "%d action resources valid FHIR R4 (%s)",
		         cJSON_GetArraySize(resources), how);
		if (rc)
			conf_report("X5", "M", CONF_FAIL, "validator could not run: %s", f[4].text);
		else
			conf_verdict("X5", "M", &f[4], pass);
	}
	cJSON_Delete(resources);
}
