/* check_service.c — service calls: D4 (each id answers POST), H1 (valid bodies -> 200 + object),
 * H2 (cards/systemActions arrays), H3 (no null/empty), H4 (412 without prefetch or FHIR server),
 * H5 ("__null__" prefetch), H6 (OperationOutcome prefetch), H7 (unknown id), H8 (malformed
 * bodies -> 4xx), H10 (JSON null prefetch, the 2.0 "no data" value -> still 200). CDS Hooks 2.0
 * §Calling a CDS Service, §Prefetch, §HTTP Status Codes. Every 200 it sees is kept for the card and
 * action groups. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

struct tally {
	struct conf_findings h1, h2, h3;
	size_t calls;
	size_t tolerated_412; /* 412s on bodies that lacked declared prefetch (spec-correct) */
};

/* Whether the checklist names this example as one that must get 200 (H1): the UK MSK and the
 * Inferno RI preset files as they are, not converted to the other order hook. */
static int must_succeed(const char *name)
{
	return !strstr(name, " as ") && (strncmp(name, "uk-msk-", 7) == 0 ||
	                                 strncmp(name, "inferno-crd-ri-preset-", 22) == 0);
}

/* Whether a 412 is what CDS Hooks 2.0 §Prefetch allows for this body: some declared prefetch key
 * is absent and there is no fhirAuthorization to fetch it with. */
static int may_412(const struct conf_service *svc, const cJSON *body)
{
	if (cJSON_GetObjectItemCaseSensitive(body, "fhirAuthorization"))
		return 0;
	const cJSON *pf = cJSON_GetObjectItemCaseSensitive(body, "prefetch");
	const cJSON *t;
	cJSON_ArrayForEach(t, svc->prefetch)
	{
		if (t->string && !cJSON_GetObjectItemCaseSensitive(pf, t->string))
			return 1;
	}
	return 0;
}

static size_t card_count(const cJSON *response)
{
	const cJSON *cards = cJSON_GetObjectItemCaseSensitive(response, "cards");
	return cJSON_IsArray(cards) ? (size_t)cJSON_GetArraySize(cards) : 0;
}

/* POSTs one body to service i and applies H1-H3; keeps the exchange; returns the status. */
static long call(struct conf_ctx *ctx, size_t i, const char *name, cJSON *body, struct tally *t,
                 int *had_cards)
{
	struct conf_service *svc = &ctx->services[i];
	char path[600], label[160];
	snprintf(path, sizeof path, "/cds-services/%s", svc->id);
	snprintf(label, sizeof label, "%s <- %s", svc->id, name);
	conf_fresh_instance(body);
	struct conf_http_reply r;
	conf_post_json(ctx, path, body, &r);
	t->calls++;
	cJSON *resp = r.status == 200 ? conf_reply_object(&r) : NULL;
	if (r.status == 0)
		conf_find(&t->h1, "%s: %s", label, r.error);
	else if (r.status == 412 && !must_succeed(name) && may_412(svc, body))
		t->tolerated_412++;
	else if (r.status != 200)
		conf_find(&t->h1, "%s: HTTP %ld%s", label, r.status,
		          r.status == 401 ? " (does the service trust the runner's --issuer?)"
		                          : "");
	else if (!resp)
		conf_find(&t->h1, "%s: body is not a JSON object", label);
	if (resp) {
		const cJSON *cards = cJSON_GetObjectItemCaseSensitive(resp, "cards");
		const cJSON *sa = cJSON_GetObjectItemCaseSensitive(resp, "systemActions");
		if (!cJSON_IsArray(cards))
			conf_find(&t->h2, "%s: no 'cards' array", label);
		if (sa && !cJSON_IsArray(sa))
			conf_find(&t->h2, "%s: 'systemActions' is not an array", label);
		conf_json_nulls(resp, "cards", label, &t->h3);
		conf_keep_exchange(ctx, i, label, body, resp);
		int cards_here = card_count(resp) > 0;
		if (!svc->best_body || (cards_here && !*had_cards)) {
			cJSON_Delete(svc->best_body);
			svc->best_body = cJSON_Duplicate(body, 1);
			*had_cards = cards_here;
		}
	}
	long status = r.status;
	cJSON_Delete(resp);
	conf_http_reply_clear(&r);
	return status;
}

/* POSTs body to service i; returns the status and copies a short reason into why. */
static long post_status(struct conf_ctx *ctx, size_t i, cJSON *body, char *why, size_t size)
{
	char path[600];
	snprintf(path, sizeof path, "/cds-services/%s", ctx->services[i].id);
	conf_fresh_instance(body);
	struct conf_http_reply r;
	conf_post_json(ctx, path, body, &r);
	if (why)
		snprintf(why, size, "%s", r.status ? "" : r.error);
	long status = r.status;
	conf_http_reply_clear(&r);
	return status;
}

static void check_h4(struct conf_ctx *ctx)
{
	struct conf_findings f = {0};
	size_t tested = 0, passed = 0;
	char which[512] = "";
	for (size_t i = 0; i < ctx->n_services; i++) {
		struct conf_service *svc = &ctx->services[i];
		if (!svc->prefetch || !svc->prefetch->child)
			continue;
		cJSON *bodies = conf_example_bodies(ctx, svc->hook);
		cJSON *generic = conf_generic_body(svc);
		if (generic) {
			cJSON *item = cJSON_CreateObject();
			cJSON_AddStringToObject(item, "name", "generic body");
			cJSON_AddItemToObject(item, "body", generic);
			cJSON_AddItemToArray(bodies, item);
		}
		if (!cJSON_GetArraySize(bodies)) {
			cJSON_Delete(bodies);
			continue;
		}
		tested++;
		int got = 0;
		const cJSON *item;
		cJSON_ArrayForEach(item, bodies)
		{
			cJSON *body = cJSON_GetObjectItemCaseSensitive(item, "body");
			cJSON_DeleteItemFromObjectCaseSensitive(body, "prefetch");
			cJSON_DeleteItemFromObjectCaseSensitive(body, "fhirServer");
			cJSON_DeleteItemFromObjectCaseSensitive(body, "fhirAuthorization");
			long st = post_status(ctx, i, body, NULL, 0);
			if (st == 412) {
				got = 1;
				if (!ctx->body_412) { /* T4 checks CORS on a 412 with it */
					ctx->body_412 = cJSON_Duplicate(body, 1);
					ctx->service_412 = i;
				}
				size_t used = strlen(which);
				snprintf(which + used, sizeof which - used, "%s%s <- %s",
				         used ? ", " : "", svc->id, conf_str(item, "name"));
				break;
			}
			if (st >= 500 || st == 0)
				conf_find(&f, "%s <- %s without prefetch: HTTP %ld", svc->id,
				          conf_str(item, "name"), st);
		}
		if (got)
			passed++;
		else
			conf_find(&f,
			          "%s declares prefetch, yet no body without prefetch and without "
			          "fhirServer got 412 (%d tried)",
			          svc->id, cJSON_GetArraySize(bodies));
		cJSON_Delete(bodies);
	}
	if (!tested)
		conf_report("H4", "M", CONF_SKIP,
		            "no service declares prefetch (nothing is required)");
	else if (!f.count)
		conf_report("H4", "M", CONF_PASS,
		            "412 when declared prefetch and fhirServer are absent: %s", which);
	else if (ctx->expect_no_412)
		conf_report("H4", "M", CONF_SKIP, "--no-412-expected: %s", f.text);
	else
		conf_verdict("H4", "M", &f, "");
}

/* H5/H6: replaces one prefetch key of the best body by value; 200 (H5) or 200/412 (H6) pass. */
typedef cJSON *(*maker)(void);

static void prefetch_variant(struct conf_ctx *ctx, const char *id, const char *severity,
                             int allow_412, const maker makers[], const char *const whats[],
                             size_t n_makers)
{
	struct conf_findings f = {0};
	size_t tried = 0;
	for (size_t m = 0; m < n_makers; m++) {
		maker make = makers[m];
		const char *what = whats[m];
		for (size_t i = 0; i < ctx->n_services; i++) {
			struct conf_service *svc = &ctx->services[i];
			if (!svc->best_body || !svc->prefetch)
				continue;
			const cJSON *t;
			cJSON_ArrayForEach(t, svc->prefetch)
			{
				cJSON *body = cJSON_Duplicate(svc->best_body, 1);
				cJSON *pf = cJSON_GetObjectItemCaseSensitive(body, "prefetch");
				if (!pf)
					pf = cJSON_AddObjectToObject(body, "prefetch");
				cJSON_DeleteItemFromObjectCaseSensitive(pf, t->string);
				cJSON_AddItemToObject(pf, t->string, make());
				char why[256];
				long st = post_status(ctx, i, body, why, sizeof why);
				tried++;
				if (!(st == 200 || (allow_412 && st == 412)))
					conf_find(&f, "%s prefetch '%s' %s: HTTP %ld%s%s", svc->id,
					          t->string, what, st,
					          st == 412 ? " (treated as absent, not as no data)"
					                    : "",
					          why);
				cJSON_Delete(body);
			}
		}
	}
	if (!tried) {
		conf_report(id, severity, CONF_SKIP, "no service with prefetch answered 200");
		return;
	}
	char pass[200];
	snprintf(pass, sizeof pass, "%zu prefetch variant%s (%s%s%s): %s", tried,
	         tried == 1 ? "" : "s", whats[0], n_makers > 1 ? "; " : "",
	         n_makers > 1 ? whats[1] : "", allow_412 ? "200 or 412" : "200");
	conf_verdict(id, severity, &f, pass);
}

static cJSON *make_null_string(void)
{
	return cJSON_CreateString("__null__");
}

static cJSON *make_json_null(void)
{
	return cJSON_CreateNull();
}

static cJSON *operation_outcome(void)
{
	cJSON *oo = cJSON_CreateObject();
	cJSON_AddStringToObject(oo, "resourceType", "OperationOutcome");
	cJSON *issues = cJSON_AddArrayToObject(oo, "issue");
	cJSON *is = cJSON_CreateObject();
	cJSON_AddStringToObject(is, "severity", "error");
	cJSON_AddStringToObject(is, "code", "exception");
	cJSON_AddStringToObject(is, "diagnostics", "FHIR server timed out (cds-conformance H6)");
	cJSON_AddItemToArray(issues, is);
	return oo;
}

static cJSON *bundle_with_outcome(void)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "resourceType", "Bundle");
	cJSON_AddStringToObject(b, "type", "searchset");
	cJSON *entries = cJSON_AddArrayToObject(b, "entry");
	cJSON *e = cJSON_CreateObject();
	cJSON_AddItemToObject(e, "resource", operation_outcome());
	cJSON *search = cJSON_AddObjectToObject(e, "search");
	cJSON_AddStringToObject(search, "mode", "outcome");
	cJSON_AddItemToArray(entries, e);
	return b;
}

static void check_h7(struct conf_ctx *ctx)
{
	char id[37], path[128];
	conf_uuid(id);
	snprintf(path, sizeof path, "/cds-services/conformance-no-such-service-%s", id);
	cJSON *body = ctx->n_services ? conf_generic_body(&ctx->services[0]) : NULL;
	if (!body)
		body = cJSON_Parse(
		    "{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{}}");
	struct conf_http_reply r;
	conf_post_json(ctx, path, body, &r);
	if (r.status == 404)
		conf_report("H7", "S", CONF_PASS, "unknown service id -> 404");
	else if (r.status >= 400 && r.status < 500)
		conf_report("H7", "S", CONF_PASS, "unknown service id -> %ld (4xx allowed)",
		            r.status);
	else
		conf_report("H7", "S", CONF_FAIL, "unknown service id -> %ld %s", r.status,
		            r.status ? "" : r.error);
	conf_http_reply_clear(&r);
	cJSON_Delete(body);
}

static void check_h8(struct conf_ctx *ctx)
{
	size_t i;
	for (i = 0; i < ctx->n_services && !ctx->services[i].best_body; i++)
		;
	if (i == ctx->n_services) {
		conf_report("H8", "S", CONF_SKIP, "no service answered 200 to a valid body");
		return;
	}
	struct conf_service *svc = &ctx->services[i];
	char path[600];
	snprintf(path, sizeof path, "/cds-services/%s", svc->id);
	struct conf_findings f = {0};
	const char *missing[] = {NULL, "hook", "hookInstance", "context"};
	for (size_t k = 0; k < 4; k++) {
		struct conf_http_reply r;
		char url[1024];
		conf_url(ctx, path, url, sizeof url);
		char *token = conf_token_for(ctx, url);
		if (!missing[k]) {
			conf_http("POST", url, token, "{\"hook\": \"", NULL, &r);
		} else {
			cJSON *body = cJSON_Duplicate(svc->best_body, 1);
			cJSON_DeleteItemFromObjectCaseSensitive(body, missing[k]);
			conf_post_json_bearer(ctx, path, body, token, &r);
			cJSON_Delete(body);
		}
		free(token);
		if (r.status < 400 || r.status >= 500)
			conf_find(&f, "%s -> %ld %s", missing[k] ? missing[k] : "malformed JSON",
			          r.status, r.status ? "" : r.error);
		conf_http_reply_clear(&r);
	}
	conf_verdict("H8", "S", &f, "malformed JSON and missing hook/hookInstance/context -> 4xx");
}

void conf_check_service(struct conf_ctx *ctx)
{
	struct tally t = {0};
	struct conf_findings d4 = {0};
	size_t untested = 0;
	for (size_t i = 0; i < ctx->n_services; i++) {
		struct conf_service *svc = &ctx->services[i];
		cJSON *bodies = conf_example_bodies(ctx, svc->hook);
		cJSON *generic = conf_generic_body(svc);
		int had_cards = 0;
		long first = -1;
		const cJSON *item;
		cJSON_ArrayForEach(item, bodies)
		{
			long st =
			    call(ctx, i, conf_str(item, "name"),
			         cJSON_GetObjectItemCaseSensitive(item, "body"), &t, &had_cards);
			if (first < 0)
				first = st;
		}
		if (generic) {
			long st = call(ctx, i, "generic body", generic, &t, &had_cards);
			if (first < 0)
				first = st;
		}
		if (first < 0) {
			untested++;
			conf_report_note(
			    "service %s (hook %s): no example and no generic body for this "
			    "hook; its calls are not tested",
			    svc->id, svc->hook);
		} else if (first == 0 || first == 404 || first == 405) {
			conf_find(&d4, "POST /cds-services/%s -> %ld", svc->id, first);
		}
		cJSON_Delete(bodies);
		cJSON_Delete(generic);
	}
	if (!ctx->n_services || untested == ctx->n_services) {
		const char *why = ctx->n_services ? "no hook the runner can build bodies for"
		                                  : "discovery lists no service";
		conf_report("D4", "M", CONF_SKIP, "%s", why);
		conf_report("H1", "M", CONF_SKIP, "%s", why);
		conf_report("H2", "M", CONF_SKIP, "%s", why);
		conf_report("H3", "M", CONF_SKIP, "%s", why);
	} else {
		char what[160];
		snprintf(what, sizeof what, "%zu service%s answer POST", ctx->n_services - untested,
		         ctx->n_services - untested == 1 ? "" : "s");
		conf_verdict("D4", "M", &d4, what);
		snprintf(what, sizeof what,
		         "%zu valid bodies -> 200 + JSON object (%zu other bodies lacking declared "
		         "prefetch -> 412, as the spec allows)",
		         t.calls - t.tolerated_412, t.tolerated_412);
		conf_verdict("H1", "M", &t.h1, what);
		snprintf(what, sizeof what,
		         "%zu responses: 'cards' array, 'systemActions' array if any",
		         ctx->n_exchanges);
		conf_verdict("H2", "M", &t.h2, what);
		snprintf(what, sizeof what, "%zu responses without null or empty members",
		         ctx->n_exchanges);
		conf_verdict("H3", "M", &t.h3, what);
	}
	check_h4(ctx);
	const maker h5[] = {make_null_string};
	const char *const h5_what[] = {"= \"__null__\""};
	prefetch_variant(ctx, "H5", "S", 0, h5, h5_what, 1);
	const maker h10[] = {make_json_null};
	const char *const h10_what[] = {"= null"};
	prefetch_variant(ctx, "H10", "M", 0, h10, h10_what, 1);
	const maker h6[] = {operation_outcome, bundle_with_outcome};
	const char *const h6_what[] = {"= OperationOutcome",
	                               "= Bundle holding an OperationOutcome"};
	prefetch_variant(ctx, "H6", "S", 1, h6, h6_what, 2);
	check_h7(ctx);
	check_h8(ctx);
}
