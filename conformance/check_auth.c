/* check_auth.c — A1–A13, the service side of CDS Hooks 2.0 §Trusting CDS Clients: valid ES384
 * and RS384 tokens (aud string or array) accepted; alg none, HMAC, expired, wrong aud, bad
 * signature, unknown kid, unknown iss, a non-allowlisted jku, missing REQUIRED members, a
 * replayed jti and an iat or nbf in the future beyond the stated clock skew rejected. A service
 * that answers without any token verifies nothing: then A1–A3 and A10 FAIL rather than pass,
 * because a 200 proves nothing about the token. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

struct target {
	struct conf_ctx *ctx;
	size_t service;
	char path[600];
	char url[1024];
};

static long post_with(struct target *t, const char *token)
{
	cJSON *body = cJSON_Duplicate(t->ctx->services[t->service].best_body, 1);
	conf_fresh_instance(body);
	struct conf_http_reply r;
	conf_post_json_bearer(t->ctx, t->path, body, token, &r);
	long st = r.status;
	conf_http_reply_clear(&r);
	cJSON_Delete(body);
	return st;
}

/* Signs spec (iss/aud defaulted to the trusted issuer and the exact URL) and posts it. */
static long post_spec(struct target *t, struct conf_jwt_spec spec, const struct conf_keys *keys)
{
	if (!spec.iss)
		spec.iss = t->ctx->issuer;
	if (!spec.aud)
		spec.aud = t->url;
	char *token = conf_jwt_make(keys ? keys : t->ctx->keys, &spec);
	long st = token ? post_with(t, token) : -1;
	free(token);
	return st;
}

static int rejected(long st)
{
	return st == 401 || st == 403;
}

/* Reports an "accepted" assertion (A1–A3). */
static void accept_case(struct target *t, const char *id, long st, const char *what)
{
	if (t->ctx->auth_required != 1)
		conf_report(
		    id, "M", CONF_FAIL,
		    "%s: the service answered without any token too, so no token is verified",
		    what);
	else if (st == 200)
		conf_report(id, "M", CONF_PASS, "%s -> 200", what);
	else
		conf_report(id, "M", CONF_FAIL, "%s -> %ld (expected 200)", what, st);
}

/* Reports a "rejected" assertion over n (label, status) pairs. */
static void reject_case(const char *id, const char *severity, const char *const labels[],
                        const long st[], size_t n, const char *what)
{
	struct conf_findings f = {0};
	for (size_t i = 0; i < n; i++)
		if (!rejected(st[i]))
			conf_find(&f, "%s accepted or not refused as 401/403 (HTTP %ld)", labels[i],
			          st[i]);
	conf_verdict(id, severity, &f, what);
}

void conf_check_auth(struct conf_ctx *ctx)
{
	static const char *const ids[] = {"A1", "A2", "A3",  "A4",  "A5",  "A6", "A7",
	                                  "A8", "A9", "A10", "A11", "A12", "A13"};
	static const char *const sev[] = {"M", "M", "M", "M", "M", "M", "M",
	                                  "M", "S", "S", "S", "S", "S"};
	struct target t = {.ctx = ctx};
	size_t i;
	for (i = 0; i < ctx->n_services && !ctx->services[i].best_body; i++)
		;
	if (i == ctx->n_services) {
		for (size_t k = 0; k < 13; k++)
			conf_report(ids[k], sev[k], CONF_SKIP,
			            "no service answered 200 to a valid body with a valid token");
		return;
	}
	t.service = i;
	snprintf(t.path, sizeof t.path, "/cds-services/%s", ctx->services[i].id);
	conf_url(ctx, t.path, t.url, sizeof t.url);

	long none = post_with(&t, NULL);
	ctx->auth_required = rejected(none) ? 1 : none == 200 ? 0 : -1;
	if (ctx->auth_required == 1)
		conf_report_note(
		    "authentication: a call without a token got %ld; tokens are checked", none);
	else
		conf_report_note(
		    "authentication: a call to %s without any token got %ld: the service "
		    "does not require a JWT",
		    ctx->services[i].id, none);

	long a1 = post_spec(&t, (struct conf_jwt_spec){.alg = "ES384"}, NULL);
	accept_case(&t, "A1", a1, "valid ES384 JWT (kid in JWKS, aud = URL, exp +300 s)");
	accept_case(&t, "A2", post_spec(&t, (struct conf_jwt_spec){.alg = "RS384"}, NULL),
	            "valid RS384 JWT");
	accept_case(&t, "A3", post_spec(&t, (struct conf_jwt_spec){.aud_array = 1}, NULL),
	            "valid ES384 JWT with aud as a one-element array");

	long st[4];
	const char *l4[] = {"alg none"};
	st[0] = post_spec(&t, (struct conf_jwt_spec){.alg = "none"}, NULL);
	reject_case("A4", "M", l4, st, 1, "alg none -> 401");

	const char *l5[] = {"HS256 (JWKS text as secret)", "HS384 (JWKS text as secret)"};
	st[0] = post_spec(&t, (struct conf_jwt_spec){.alg = "HS256"}, NULL);
	st[1] = post_spec(&t, (struct conf_jwt_spec){.alg = "HS384"}, NULL);
	reject_case("A5", "M", l5, st, 2, "HS256 and HS384 -> 401");

	const char *l6[] = {"exp 10 minutes ago"};
	st[0] = post_spec(&t, (struct conf_jwt_spec){.exp_offset = -600}, NULL);
	reject_case("A6", "M", l6, st, 1, "expired exp -> 401");

	char other[1200];
	const char *other_id = NULL;
	for (size_t k = 0; k < ctx->n_services; k++)
		if (strcmp(ctx->services[k].id, ctx->services[i].id) != 0)
			other_id = ctx->services[k].id;
	snprintf(other, sizeof other, "%s/cds-services/%s", ctx->base_url,
	         other_id ? other_id : "another-service");
	const char *l7[] = {"aud = another service's URL", "aud = the discovery URL"};
	char disc[1100];
	conf_url(ctx, "/cds-services", disc, sizeof disc);
	st[0] = post_spec(&t, (struct conf_jwt_spec){.aud = other}, NULL);
	st[1] = post_spec(&t, (struct conf_jwt_spec){.aud = disc}, NULL);
	reject_case("A7", "M", l7, st, 2, "wrong aud -> 401");

	const char *l8[] = {"corrupted ES384 signature", "corrupted RS384 signature",
	                    "unknown kid"};
	st[0] = post_spec(&t, (struct conf_jwt_spec){.corrupt_signature = 1}, NULL);
	st[1] = post_spec(&t, (struct conf_jwt_spec){.alg = "RS384", .corrupt_signature = 1}, NULL);
	st[2] = post_spec(&t, (struct conf_jwt_spec){.kid = "conf-unknown-kid"}, NULL);
	reject_case("A8", "M", l8, st, 3, "bad signature and unknown kid -> 401");

	/* A9: an issuer nobody trusts, and the trusted iss naming a jku off the allowlist whose
	 * JWKS (an attacker's keys) signed the token. The jku must never be fetched. */
	char jku[400];
	snprintf(jku, sizeof jku, "http://127.0.0.1:%u/untrusted/jwks.json",
	         conf_jwks_server_port(ctx->jwks));
	unsigned hits_before = conf_jwks_server_untrusted_hits(ctx->jwks);
	st[0] = post_spec(&t, (struct conf_jwt_spec){.iss = "https://untrusted.example.org"}, NULL);
	st[1] = post_spec(&t, (struct conf_jwt_spec){.jku = jku}, ctx->attacker);
	st[2] = post_spec(
	    &t, (struct conf_jwt_spec){.iss = "https://untrusted.example.org", .jku = jku},
	    ctx->attacker);
	unsigned hits = conf_jwks_server_untrusted_hits(ctx->jwks) - hits_before;
	struct conf_findings f9 = {0};
	const char *l9[] = {"unknown iss", "trusted iss, jku off the allowlist, attacker's key",
	                    "unknown iss with its own jku"};
	for (size_t k = 0; k < 3; k++)
		if (!rejected(st[k]))
			conf_find(&f9, "%s accepted (HTTP %ld)", l9[k], st[k]);
	if (hits)
		conf_find(&f9, "the service fetched the non-allowlisted jku %u time%s", hits,
		          hits == 1 ? "" : "s");
	conf_verdict("A9", "S", &f9,
	             "unknown iss and non-allowlisted jku rejected; jku not fetched");

	if (ctx->auth_required != 1)
		conf_report("A10", "S", CONF_FAIL,
		            "the service does not require a token, so it uses "
		            "no keys at all");
	else if (a1 == 200)
		conf_report("A10", "S", CONF_PASS,
		            "a token without jku verified with the keys "
		            "configured out of band (A1)");
	else
		conf_report("A10", "S", CONF_FAIL, "a token without jku got %ld", a1);

	const char *l11[] = {"no typ", "no kid", "no iat", "no jti"};
	st[0] = post_spec(&t, (struct conf_jwt_spec){.omit_typ = 1}, NULL);
	st[1] = post_spec(&t, (struct conf_jwt_spec){.omit_kid = 1}, NULL);
	st[2] = post_spec(&t, (struct conf_jwt_spec){.omit_iat = 1}, NULL);
	st[3] = post_spec(&t, (struct conf_jwt_spec){.omit_jti = 1}, NULL);
	reject_case("A11", "S", l11, st, 4, "missing typ, kid, iat or jti -> 401");

	char jti[37];
	conf_uuid(jti);
	struct conf_jwt_spec replay = {.iss = ctx->issuer, .aud = t.url, .jti = jti};
	char *token = conf_jwt_make(ctx->keys, &replay);
	long first = token ? post_with(&t, token) : -1;
	long second = token ? post_with(&t, token) : -1;
	free(token);
	if (ctx->auth_required == 1 && first != 200)
		conf_report("A12", "S", CONF_FAIL, "the first use of a fresh token got %ld", first);
	else if (rejected(second))
		conf_report("A12", "S", CONF_PASS, "replayed jti -> %ld", second);
	else
		conf_report("A12", "S", CONF_FAIL,
		            "the same token sent twice was accepted twice "
		            "(HTTP %ld, %ld)",
		            first, second);

	/* A13: RFC 7519 §4.1.5 (nbf) and §4.1.6 (iat): a token not yet valid, 60 s beyond the
	 * clock skew the service is assumed to allow (--clock-skew), must be refused. */
	long ahead = (long)ctx->clock_skew + 60;
	const char *l13[] = {"iat in the future", "nbf in the future"};
	st[0] = post_spec(
	    &t, (struct conf_jwt_spec){.iat_offset = ahead, .exp_offset = ahead + 300}, NULL);
	st[1] = post_spec(
	    &t, (struct conf_jwt_spec){.nbf_offset = ahead, .exp_offset = ahead + 300}, NULL);
	char what13[160];
	snprintf(what13, sizeof what13, "iat and nbf %ld s ahead (clock skew %lu s + 60 s) -> 401",
	         ahead, ctx->clock_skew);
	if (ctx->auth_required != 1)
		conf_report("A13", "S", CONF_FAIL,
		            "the service does not require a token, so it checks no iat or nbf");
	else
		reject_case("A13", "S", l13, st, 2, what13);
}
