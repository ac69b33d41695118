/* check_feedback.c — F1–F4 on POST {base}/cds-services/{id}/feedback (CDS Hooks 2.0 §Feedback,
 * invariants cds-fb-1/2): the sandbox's accepted and overridden bodies (reason without display)
 * -> 2xx; a bad outcome or accepted without acceptedSuggestions -> 4xx; the token's aud is the
 * /feedback URL and bad tokens are refused. Feedback is optional: a 404/405 SKIPs the group,
 * unless the URL's CORS preflight or a plain OPTIONS succeeded (it says the endpoint exists):
 * then a 404 to the POST fails F1 and F4. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"

static cJSON *feedback_body(const char *card, const char *outcome, const char *suggestion,
                            int with_reason)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON *root = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(root, "feedback");
	cJSON *fb = cJSON_CreateObject();
	cJSON_AddStringToObject(fb, "card", card);
	cJSON_AddStringToObject(fb, "outcome", outcome);
	if (suggestion) {
		cJSON *acc = cJSON_AddArrayToObject(fb, "acceptedSuggestions");
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "id", suggestion);
		cJSON_AddItemToArray(acc, s);
	}
	if (with_reason) {
		cJSON * or = cJSON_AddObjectToObject(fb, "overrideReason");
		cJSON *reason = cJSON_AddObjectToObject(or, "reason");
		cJSON_AddStringToObject(reason, "code", "patient-declined");
		cJSON_AddStringToObject(reason, "system",
		                        "http://example.org/cds-conformance/reasons");
		cJSON_AddStringToObject(or, "userComment", "cds-conformance F1");
	}
	cJSON_AddStringToObject(fb, "outcomeTimestamp", stamp);
	cJSON_AddItemToArray(list, fb);
	return root;
}

static long post(const struct conf_ctx *ctx, const char *path, cJSON *body, const char *token)
{
	struct conf_http_reply r;
	if (token)
		conf_post_json_bearer(ctx, path, body, token, &r);
	else
		conf_post_json(ctx, path, body, &r);
	long st = r.status;
	conf_http_reply_clear(&r);
	cJSON_Delete(body);
	return st;
}

/* Whether OPTIONS on path answers 2xx, as a CORS preflight (Origin, Access-Control-Request-*)
 * or plainly; how names the first that did ("" when neither). */
static int options_offered(const struct conf_ctx *ctx, const char *path, char *how, size_t size)
{
	char url[1200];
	conf_url(ctx, path, url, sizeof url);
	const char *preflight[] = {
	    "Origin: https://sandbox.cds-hooks.org", "Access-Control-Request-Method: POST",
	    "Access-Control-Request-Headers: authorization,content-type", NULL};
	const char *const *variants[] = {preflight, NULL};
	const char *names[] = {"CORS preflight", "plain OPTIONS"};
	how[0] = '\0';
	for (size_t k = 0; k < 2; k++) {
		struct conf_http_reply r;
		conf_http("OPTIONS", url, NULL, NULL, variants[k], &r);
		long st = r.status;
		conf_http_reply_clear(&r);
		if (st >= 200 && st <= 299) {
			snprintf(how, size, "%s -> %ld", names[k], st);
			return 1;
		}
	}
	return 0;
}

void conf_check_feedback(struct conf_ctx *ctx)
{
	/* A card with a uuid (and, if any, a suggestion with one) from a real response. */
	const char *card = NULL, *suggestion = NULL;
	size_t service = 0;
	for (size_t x = 0; x < ctx->n_exchanges && !suggestion; x++) {
		const cJSON *c;
		cJSON_ArrayForEach(
		    c, cJSON_GetObjectItemCaseSensitive(ctx->exchanges[x].response, "cards"))
		{
			const char *u = conf_str(c, "uuid");
			if (!u || suggestion)
				continue;
			const cJSON *s;
			cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(c, "suggestions"))
			{
				if (conf_str(s, "uuid") && !suggestion) {
					suggestion = conf_str(s, "uuid");
					card = u;
					service = ctx->exchanges[x].service;
				}
			}
			if (!card) {
				card = u;
				service = ctx->exchanges[x].service;
			}
		}
	}
	if (!card) {
		const char *why = "no card with a uuid was returned, so there is nothing to give "
		                  "feedback on";
		conf_report("F1", "S", CONF_SKIP, "%s", why);
		conf_report("F2", "S", CONF_SKIP, "%s", why);
		conf_report("F3", "S", CONF_SKIP, "%s", why);
		conf_report("F4", "S", CONF_SKIP, "%s", why);
		return;
	}
	char path[700], url[1200];
	snprintf(path, sizeof path, "/cds-services/%s/feedback", ctx->services[service].id);
	conf_url(ctx, path, url, sizeof url);

	long overridden = post(ctx, path, feedback_body(card, "overridden", NULL, 1), NULL);
	char how[64];
	int offered = options_offered(ctx, path, how, sizeof how);
	if (overridden == 404 && offered) {
		/* F4: the endpoint says it exists (OPTIONS succeeded) but its POST is not found. */
		const char *why = "the feedback POST got 404 (see F4)";
		conf_report("F1", "S", CONF_FAIL, "overridden feedback to %s -> 404 though %s",
		            path, how);
		conf_report("F2", "S", CONF_SKIP, "%s", why);
		conf_report("F3", "S", CONF_SKIP, "%s", why);
		conf_report(
		    "F4", "S", CONF_FAIL,
		    "%s: %s, yet POST -> 404 (an EHR sees a feedback URL that is not found)", path,
		    how);
		return;
	}
	if (overridden == 404 || overridden == 405) {
		const char *why = "the service offers no feedback endpoint (404/405): optional";
		conf_report("F1", "S", CONF_SKIP, "%s", why);
		conf_report("F2", "S", CONF_SKIP, "%s", why);
		conf_report("F3", "S", CONF_SKIP, "%s", why);
		conf_report("F4", "S", CONF_PASS, "POST %s -> %ld%s%s", path, overridden,
		            offered ? " and " : ", OPTIONS not 2xx either: feedback not offered",
		            how);
		return;
	}
	struct conf_findings f1 = {0};
	if (overridden < 200 || overridden > 299)
		conf_find(&f1, "overridden (reason without display) -> %ld", overridden);
	if (suggestion) {
		long accepted =
		    post(ctx, path, feedback_body(card, "accepted", suggestion, 0), NULL);
		if (accepted < 200 || accepted > 299)
			conf_find(&f1, "accepted -> %ld", accepted);
	}
	conf_verdict("F1", "S", &f1,
	             suggestion ? "accepted and overridden feedback -> 2xx"
	                        : "overridden feedback -> 2xx (no suggestion uuid to accept)");

	struct conf_findings f2 = {0};
	long bad = post(ctx, path, feedback_body(card, "ignored", NULL, 0), NULL);
	if (bad < 400 || bad > 499)
		conf_find(&f2, "outcome 'ignored' -> %ld", bad);
	bad = post(ctx, path, feedback_body(card, "accepted", NULL, 0), NULL);
	if (bad < 400 || bad > 499)
		conf_find(&f2, "accepted without acceptedSuggestions -> %ld", bad);
	conf_verdict("F2", "S", &f2, "bad outcome and accepted without acceptedSuggestions -> 4xx");
	conf_report("F4", "S", CONF_PASS, "POST %s -> %ld (not 404)%s%s", path, overridden,
	            offered ? "; " : "", how);

	struct conf_findings f3 = {0};
	if (ctx->auth_required != 1) {
		conf_report("F3", "S", CONF_FAIL,
		            "the service does not require a JWT, so feedback "
		            "tokens are not checked");
		return;
	}
	if (overridden == 401 || overridden == 403)
		conf_find(&f3, "a valid token with aud = %s was refused (%ld)", url, overridden);
	char other[1200];
	snprintf(other, sizeof other, "%s/cds-services/another-service/feedback", ctx->base_url);
	struct conf_jwt_spec bad_specs[] = {
	    {.alg = "none", .iss = ctx->issuer, .aud = url},
	    {.iss = ctx->issuer, .aud = other},
	    {.iss = ctx->issuer, .aud = url, .exp_offset = -600},
	    {.iss = ctx->issuer, .aud = url, .corrupt_signature = 1}};
	const char *labels[] = {"alg none", "aud of another service's feedback URL", "expired",
	                        "bad signature"};
	for (size_t k = 0; k < 4; k++) {
		char *token = conf_jwt_make(ctx->keys, &bad_specs[k]);
		long st = post(ctx, path, feedback_body(card, "overridden", NULL, 1), token);
		free(token);
		if (st != 401 && st != 403)
			conf_find(&f3, "%s -> %ld", labels[k], st);
	}
	conf_verdict("F3", "S", &f3,
	             "feedback token with aud = the /feedback URL accepted; none, wrong aud, "
	             "expired, bad signature -> 401");
}
