/* check_robustness.c — R1–R6: inputs real clients send that a lenient service must accept:
 * draftOrders without Bundle.type, intent "plan" with optional elements gone, unknown members,
 * no fhirAuthorization (fhirServer present or absent), several selections plus unselected
 * drafts, and SNOMED ids longer than 15 digits. Each variant is derived from a body the service
 * already answered with 200; it must again answer 200 (R4 also accepts 412). */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* A long SNOMED CT id that a double cannot hold (17 digits, odd): it must survive as a string. */
#define LONG_SCTID "16444991000119103"

static cJSON *entries_of(cJSON *body)
{
	cJSON *ctx = cJSON_GetObjectItemCaseSensitive(body, "context");
	cJSON *bundle = cJSON_GetObjectItemCaseSensitive(ctx, "draftOrders");
	return cJSON_GetObjectItemCaseSensitive(bundle, "entry");
}

static cJSON *first_order(cJSON *body)
{
	cJSON *e;
	cJSON_ArrayForEach(e, entries_of(body))
	{
		cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "resource");
		if (conf_str(r, "resourceType") && conf_str(r, "id"))
			return r;
	}
	return NULL;
}

/* Sends body to service i; 200 (or 412 when allow_412) passes. Returns the parsed response of a
 * 200 (NEW) for further checks, else NULL; problems go to f. */
static cJSON *send(struct conf_ctx *ctx, size_t i, cJSON *body, const char *what, int allow_412,
                   struct conf_findings *f)
{
	struct conf_service *svc = &ctx->services[i];
	char path[600], label[200];
	snprintf(path, sizeof path, "/cds-services/%s", svc->id);
	snprintf(label, sizeof label, "%s <- %s", svc->id, what);
	conf_fresh_instance(body);
	struct conf_http_reply r;
	conf_post_json(ctx, path, body, &r);
	cJSON *resp = r.status == 200 ? conf_reply_object(&r) : NULL;
	if (resp)
		conf_keep_exchange(ctx, i, label, body, resp);
	else if (!(allow_412 && r.status == 412))
		conf_find(f, "%s: HTTP %ld %s", label, r.status, r.status ? "" : r.error);
	conf_http_reply_clear(&r);
	return resp;
}

static int is_order_hook(const char *hook)
{
	return strcmp(hook, "order-select") == 0 || strcmp(hook, "order-sign") == 0;
}

void conf_check_robustness(struct conf_ctx *ctx)
{
	struct conf_findings f[6] = {{0}};
	size_t tested = 0, r5 = 0;
	for (size_t i = 0; i < ctx->n_services; i++) {
		struct conf_service *svc = &ctx->services[i];
		if (!svc->best_body || !is_order_hook(svc->hook) || !first_order(svc->best_body))
			continue;
		tested++;
		cJSON *b, *resp;

		/* R1: draftOrders without type. */
		b = cJSON_Duplicate(svc->best_body, 1);
		cJSON *bundle = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(b, "context"), "draftOrders");
		cJSON_DeleteItemFromObjectCaseSensitive(bundle, "type");
		cJSON_Delete(send(ctx, i, b, "draftOrders without type", 0, &f[0]));
		cJSON_Delete(b);

		/* R2: intent plan, optional elements removed. */
		b = cJSON_Duplicate(svc->best_body, 1);
		static const char *const optional[] = {"note",
		                                       "reasonCode",
		                                       "reasonReference",
		                                       "bodySite",
		                                       "occurrenceDateTime",
		                                       "occurrencePeriod",
		                                       "requester",
		                                       "authoredOn",
		                                       "priority",
		                                       "category",
		                                       "encounter",
		                                       "performer",
		                                       "supportingInfo",
		                                       "text",
		                                       "meta"};
		cJSON *e;
		cJSON_ArrayForEach(e, entries_of(b))
		{
			cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "resource");
			if (!conf_str(r, "intent"))
				continue;
			cJSON_ReplaceItemInObjectCaseSensitive(r, "intent",
			                                       cJSON_CreateString("plan"));
			for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++)
				cJSON_DeleteItemFromObjectCaseSensitive(r, optional[k]);
		}
		cJSON_Delete(send(ctx, i, b, "intent plan, optional elements removed", 0, &f[1]));
		cJSON_Delete(b);

		/* R3: unknown top-level and context members, a CRD configuration extension. */
		b = cJSON_Duplicate(svc->best_body, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(b, "extension");
		cJSON *ext = cJSON_AddObjectToObject(b, "extension");
		cJSON *cfg = cJSON_AddObjectToObject(ext, "davinci-crd.configuration");
		cJSON_AddFalseToObject(cfg, "cost");
		cJSON_AddNumberToObject(cfg, "max-cards", 5);
		cJSON_AddStringToObject(b, "com.example.unknownMember", "ignore me");
		cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(b, "context"),
		                        "com.example.unknownContext", "ignore me");
		cJSON_Delete(send(ctx, i, b, "unknown members", 0, &f[2]));
		cJSON_Delete(b);

		/* R4: no fhirAuthorization; fhirServer absent, then an unreachable loopback one. */
		b = cJSON_Duplicate(svc->best_body, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(b, "fhirAuthorization");
		cJSON_DeleteItemFromObjectCaseSensitive(b, "fhirServer");
		cJSON_Delete(send(ctx, i, b, "no fhirServer, no fhirAuthorization", 1, &f[3]));
		cJSON_AddStringToObject(b, "fhirServer", "https://127.0.0.1:9/fhir");
		cJSON_Delete(send(ctx, i, b, "fhirServer without fhirAuthorization", 1, &f[3]));
		cJSON_Delete(b);

		/* R5 (order-select): two selections plus an unselected draft order. */
		if (strcmp(svc->hook, "order-select") == 0) {
			r5++;
			b = cJSON_Duplicate(svc->best_body, 1);
			cJSON *entries = entries_of(b);
			cJSON *order = first_order(b);
			const char *type = conf_str(order, "resourceType");
			char ref2[300], ref3[300];
			snprintf(ref2, sizeof ref2, "%s/conf-second-selected", type);
			snprintf(ref3, sizeof ref3, "%s/conf-unselected", type);
			cJSON *second = cJSON_Duplicate(order, 1),
			      *third = cJSON_Duplicate(order, 1);
			cJSON_ReplaceItemInObjectCaseSensitive(
			    second, "id", cJSON_CreateString("conf-second-selected"));
			cJSON_ReplaceItemInObjectCaseSensitive(
			    third, "id", cJSON_CreateString("conf-unselected"));
			cJSON *e2 = cJSON_CreateObject(), *e3 = cJSON_CreateObject();
			cJSON_AddStringToObject(e2, "fullUrl",
			                        "urn:uuid:8a3e0f52-1c47-4b9d-a6e2-7f0c3d5b9e12");
			cJSON_AddItemToObject(e2, "resource", second);
			cJSON_AddStringToObject(e3, "fullUrl",
			                        "urn:uuid:2b7d4c91-6e05-4f3a-8d1b-9c6a0e4f7d23");
			cJSON_AddItemToObject(e3, "resource", third);
			cJSON_AddItemToArray(entries, e2);
			cJSON_AddItemToArray(entries, e3);
			cJSON *sel = cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(b, "context"), "selections");
			if (cJSON_IsArray(sel))
				cJSON_AddItemToArray(sel, cJSON_CreateString(ref2));
			resp = send(ctx, i, b, "two selections and an unselected draft", 0, &f[4]);
			/* Focus on selections: no action may change the unselected order. */
			char *text = resp ? cJSON_PrintUnformatted(resp) : NULL;
			char target[400];
			snprintf(target, sizeof target, "\"resourceId\":\"%s\"", ref3);
			if (text &&
			    (strstr(text, target) || strstr(text, "\"id\":\"conf-unselected\"")))
				conf_find(&f[4], "%s: an action targets the unselected %s", svc->id,
				          ref3);
			free(text);
			cJSON_Delete(resp);
			cJSON_Delete(b);
		}

		/* R6: a 17-digit SNOMED CT id in the order's code and reason. */
		b = cJSON_Duplicate(svc->best_body, 1);
		cJSON *order = first_order(b);
		cJSON *code = cJSON_GetObjectItemCaseSensitive(order, "code");
		if (!code)
			code = cJSON_AddObjectToObject(order, "code");
		cJSON *codings = cJSON_GetObjectItemCaseSensitive(code, "coding");
		if (!cJSON_IsArray(codings)) {
			cJSON_DeleteItemFromObjectCaseSensitive(code, "coding");
			codings = cJSON_AddArrayToObject(code, "coding");
		}
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "system", "http://snomed.info/sct");
		cJSON_AddStringToObject(c, "code", LONG_SCTID);
		cJSON_AddStringToObject(c, "display", "Long-id test concept (cds-conformance R6)");
		cJSON_AddItemToArray(codings, c);
		resp = send(ctx, i, b, "17-digit SNOMED CT id", 0, &f[5]);
		char *text = resp ? cJSON_PrintUnformatted(resp) : NULL;
		/* Float corruption shows as the id's prefix followed by other digits, or unquoted.
		 */
		for (const char *p = text; p && (p = strstr(p, "1644499100011910")) != NULL; p++) {
			if (p[16] != '3' || p == text || p[-1] != '"' || p[17] != '"') {
				conf_find(&f[5], "%s: the id %s comes back altered or unquoted",
				          svc->id, LONG_SCTID);
				break;
			}
		}
		free(text);
		cJSON_Delete(resp);
		cJSON_Delete(b);
	}
	static const char *const ids[] = {"R1", "R2", "R3", "R4", "R5", "R6"};
	static const char *const pass[] = {
	    "draftOrders Bundle without type accepted",
	    "intent plan with optional elements removed accepted",
	    "unknown top-level, context and extension members ignored",
	    "fhirAuthorization absent, fhirServer absent or unreachable: 200/412, never 400/5xx",
	    ("several selections and an unselected draft accepted; no action on the unselected "
	     "order"),
	    "17-digit SNOMED CT id accepted and kept as a string"};
	for (size_t k = 0; k < 6; k++) {
		if (!tested || (k == 4 && !r5))
			conf_report(ids[k], "R", CONF_SKIP,
			            "no order-select%s service answered 200 "
			            "to a body with draft orders",
			            k == 4 ? "" : "/order-sign");
		else
			conf_verdict(ids[k], "R", &f[k], pass[k]);
	}
}
