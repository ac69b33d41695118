/* check_discovery.c — assertions D1, D2, D3, D5, D6, D7 on GET {base}/cds-services (CDS Hooks 2.0
 * §Discovery, §Prefetch tokens), and the list of services (id, hook, prefetch) every later group
 * tests. Several entries may share an id with different hooks (T3): the list keeps each pair. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* Root-level context fields of each known hook that may be prefetch tokens (2.0 hook library). */
static int token_allowed(const char *hook, const char *field)
{
	static const char *const common[] = {"userId", "patientId", "encounterId"};
	for (size_t i = 0; i < 3; i++)
		if (strcmp(field, common[i]) == 0)
			return 1;
	if (hook && strcmp(hook, "order-dispatch") == 0 && strcmp(field, "performer") == 0)
		return 1;
	return 0;
}

/* D5: every {{...}} token of one template. */
static void check_template(const char *hook, const char *key, const char *t,
                           struct conf_findings *f)
{
	static const char *const user_tokens[] = {"userPractitionerId", "userPractitionerRoleId",
	                                          "userPatientId", "userRelatedPersonId"};
	for (const char *p = t; (p = strstr(p, "{{")) != NULL;) {
		const char *end = strstr(p, "}}");
		if (!end) {
			conf_find(f, "prefetch '%s': unterminated token", key);
			return;
		}
		char token[256];
		size_t len = (size_t)(end - p - 2);
		if (len >= sizeof token)
			len = sizeof token - 1;
		memcpy(token, p + 2, len);
		token[len] = '\0';
		int ok = 0;
		for (size_t i = 0; i < 4; i++)
			ok |= strcmp(token, user_tokens[i]) == 0;
		if (strncmp(token, "context.", 8) == 0) {
			const char *field = token + 8;
			ok = !strchr(field, '.') && !strchr(field, '(') &&
			     token_allowed(hook, field);
		}
		if (!ok)
			conf_find(f, "prefetch '%s': token {{%s}} is not a 2.0 token for %s", key,
			          token, hook ? hook : "?");
		p = end + 2;
	}
}

void conf_check_discovery(struct conf_ctx *ctx)
{
	char url[1024];
	conf_url(ctx, "/cds-services", url, sizeof url);
	struct conf_http_reply r;
	conf_http("GET", url, NULL, NULL, NULL, &r);
	cJSON *doc = r.status == 200 ? conf_reply_object(&r) : NULL;
	if (r.status == 0)
		conf_report("D1", "M", CONF_FAIL, "GET %s: %s", url, r.error);
	else if (r.status != 200)
		conf_report("D1", "M", CONF_FAIL, "GET %s answered %ld", url, r.status);
	else if (!conf_http_is_json(&r))
		conf_report("D1", "M", CONF_FAIL, "discovery Content-Type is not application/json");
	else if (!doc)
		conf_report("D1", "M", CONF_FAIL, "discovery body is not a JSON object");
	else
		conf_report("D1", "M", CONF_PASS, "200, application/json, %zu bytes parse",
		            r.length);
	conf_http_reply_clear(&r);

	const cJSON *services = cJSON_GetObjectItemCaseSensitive(doc, "services");
	if (!doc) {
		conf_report("D2", "M", CONF_SKIP, "no discovery document");
	} else if (!cJSON_IsArray(services)) {
		conf_report("D2", "M", CONF_FAIL, "no 'services' array");
	} else {
		conf_report("D2", "M", CONF_PASS, "'services' array with %d entr%s",
		            cJSON_GetArraySize(services),
		            cJSON_GetArraySize(services) == 1 ? "y" : "ies");
	}
	ctx->discovery = doc;

	struct conf_findings d3 = {0}, d5 = {0};
	size_t i = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, (cJSON_IsArray(services) ? services : NULL))
	{
		const char *hook = conf_str(s, "hook"), *id = conf_str(s, "id");
		const char *desc = conf_str(s, "description");
		if (!cJSON_IsObject(s)) {
			conf_find(&d3, "services/%zu is not an object", i++);
			continue;
		}
		if (!hook || !hook[0])
			conf_find(&d3, "services/%zu: 'hook' missing or empty", i);
		if (!id || !id[0])
			conf_find(&d3, "services/%zu: 'id' missing or empty", i);
		if (!desc || !desc[0])
			conf_find(&d3, "services/%zu: 'description' missing or empty", i);
		const char *opt[] = {"title", "usageRequirements"};
		for (size_t k = 0; k < 2; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, opt[k]);
			if (v && !cJSON_IsString(v))
				conf_find(&d3, "services/%zu: '%s' is not a string", i, opt[k]);
		}
		const cJSON *pf = cJSON_GetObjectItemCaseSensitive(s, "prefetch");
		if (pf && !cJSON_IsObject(pf))
			conf_find(&d3, "services/%zu: 'prefetch' is not an object", i);
		const cJSON *t;
		cJSON_ArrayForEach(t, (cJSON_IsObject(pf) ? pf : NULL))
		{
			if (!cJSON_IsString(t))
				conf_find(&d3, "services/%zu: prefetch '%s' is not a string", i,
				          t->string);
			else
				check_template(hook, t->string, t->valuestring, &d5);
		}
		if (id && id[0] && hook && hook[0] && ctx->n_services < CONF_MAX_SERVICES) {
			struct conf_service *svc = &ctx->services[ctx->n_services++];
			svc->id = strdup(id);
			svc->hook = strdup(hook);
			if (!svc->id || !svc->hook)
				abort();
			svc->prefetch = cJSON_IsObject(pf) ? pf : NULL;
		}
		i++;
	}
	if (!cJSON_IsArray(services)) {
		conf_report("D3", "M", CONF_SKIP, "no services to check");
		conf_report("D5", "M", CONF_SKIP, "no services to check");
	} else {
		char what[128];
		snprintf(what, sizeof what, "%zu service entr%s well formed", i,
		         i == 1 ? "y" : "ies");
		conf_verdict("D3", "M", &d3, what);
		conf_verdict(
		    "D5", "M", &d5,
		    "every prefetch token is {{context.<root primitive>}} or a user-id token");
	}

	/* D6: the same with a valid Bearer JWT (aud = the discovery URL). */
	char *token = conf_token_for(ctx, url);
	conf_http("GET", url, token, NULL, NULL, &r);
	free(token);
	if (!doc)
		conf_report("D6", "S", CONF_SKIP, "discovery failed without a token");
	else if (r.status == 200)
		conf_report("D6", "S", CONF_PASS, "200 without a token and with a valid ES384 JWT");
	else
		conf_report("D6", "S", CONF_FAIL, "with a valid JWT discovery answered %ld (%s)",
		            r.status, r.status ? "not 200" : r.error);
	conf_http_reply_clear(&r);

	struct conf_findings d7 = {0};
	if (doc) {
		conf_json_nulls(doc, "services", "discovery", &d7);
		conf_verdict("D7", "M", &d7, "no null and no empty string, array or object");
	} else {
		conf_report("D7", "M", CONF_SKIP, "no discovery document");
	}
}
