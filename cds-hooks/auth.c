/* auth.c — the per-request trust decision of CDS Hooks 2.0 §Trusting CDS Clients: the Bearer
 * JWT's algorithm (allow-listed, never none or HMAC), issuer (configured), key (kid in the
 * issuer's JWKS, jku only when allow-listed), signature, audience (the exact URL called, built
 * from the public URL), exp/iat/nbf with clock skew, a lifetime cap, and jti replay (replay.c: a
 * bounded cache keyed by iss and jti until exp, kept in a file across restarts when configured;
 * or store/replay.c: rows of a store that every replica shares; when that store is the decision
 * store too, a service call's or feedback's jti is only checked here and claimed in the call's
 * commit, struct cds__claim). It must never log or echo the token; it returns a reason class. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "cds_internal.h"
#include "store/replay.h"

struct cds__auth {
	struct cds__keystore *keys;   /* NEW */
	const struct cds_config *cfg; /* BORROWED */
	struct cds__replay *replay;   /* the jti replay cache: BORROWED, or NEW when own_replay */
	int own_replay;
	struct cds__store *store; /* BORROWED: the jti replay cache shared by replicas, or NULL */
	int claim_in_commit;      /* 1: `store` is the decision store (cds__auth_claim_in_commit) */
};

static const char *const reason_names[] = {
    [CDS__AUTH_OK] = "ok",
    [CDS__AUTH_MISSING] = "missing token",
    [CDS__AUTH_MALFORMED] = "malformed token",
    [CDS__AUTH_ALGORITHM] = "algorithm not allowed",
    [CDS__AUTH_UNKNOWN_ISSUER] = "unknown issuer",
    [CDS__AUTH_JKU] = "jku not allowed",
    [CDS__AUTH_UNKNOWN_KEY] = "unknown key",
    [CDS__AUTH_BAD_SIGNATURE] = "bad signature",
    [CDS__AUTH_WRONG_AUDIENCE] = "wrong audience",
    [CDS__AUTH_EXPIRED] = "expired",
    [CDS__AUTH_NOT_YET_VALID] = "not yet valid",
    [CDS__AUTH_LIFETIME] = "lifetime too long",
    [CDS__AUTH_REPLAY] = "replay",
    [CDS__AUTH_BUSY] = "replay cache full",
};

const char *cds__auth_reason_name(enum cds__auth_reason reason)
{
	return (size_t)reason < sizeof reason_names / sizeof reason_names[0] ? reason_names[reason]
	                                                                     : "?";
}

int cds__auth_new(const struct cds_config *cfg, struct cds__replay *replay,
                  struct cds__store *store, struct cds__auth **out, struct fhir_error *err)
{
	int rc = FHIR_OK;
	struct cds__auth *a = cds__must(calloc(1, sizeof *a));
	*out = NULL;
	a->cfg = cfg;
	a->replay = replay;
	a->store = store;
	if (!replay && !store) { /* no host's cache: one of its own (tests, fuzzers) */
		a->own_replay = 1;
		rc = cds__replay_open(cfg->replay_cache_file, cfg->limits.replay_cache_entries,
		                      time(NULL), &a->replay, err);
	}
	if (rc != FHIR_OK || (rc = cds__keystore_new(cfg, &a->keys, err)) != FHIR_OK) {
		cds__auth_free(a);
		return rc;
	}
	*out = a;
	return FHIR_OK;
}

void cds__auth_free(struct cds__auth *a)
{
	if (!a)
		return;
	if (a->own_replay)
		cds__replay_free(a->replay);
	cds__keystore_free(a->keys);
	free(a);
}

void cds__auth_claim_in_commit(struct cds__auth *a)
{
	a->claim_in_commit = a->store != NULL;
}

enum cds__auth_reason cds__auth_claim(struct cds__auth *a, struct cds__claim *claim)
{
	claim->pending = 0;
	return cds__store_replay_remember(a->store, claim->iss, claim->jti, claim->expires,
	                                  time(NULL));
}

struct cds__keystore *cds__auth_keystore(struct cds__auth *a)
{
	return a ? a->keys : NULL;
}

/* CDS Hooks 2.0 §JWT payload aud: a string or an array of strings, one equal to `url`. */
static int audience_matches(const cJSON *aud, const char *url, const char *alt)
{
	if (cJSON_IsString(aud))
		return strcmp(aud->valuestring, url) == 0 ||
		       (alt && strcmp(aud->valuestring, alt) == 0);
	if (!cJSON_IsArray(aud))
		return 0;
	for (const cJSON *a = aud->child; a; a = a->next)
		if (cJSON_IsString(a) &&
		    (strcmp(a->valuestring, url) == 0 || (alt && strcmp(a->valuestring, alt) == 0)))
			return 1;
	return 0;
}

/* Copies untrusted token text for the log: printable ASCII except space, quote and backslash. */
static void log_copy(const char *text, char *buf, size_t size)
{
	size_t n = 0;
	for (const char *p = text; p && *p && n + 1 < size; p++)
		buf[n++] = (*p > ' ' && *p < 127 && *p != '"' && *p != '\\') ? *p : '?';
	buf[n] = '\0';
}

enum cds__auth_reason cds__auth_check(struct cds__auth *a, const char *authorization,
                                      const char *url, const char *alt_url,
                                      struct cds__claim *claim, struct cds__auth_result *res)
{
	struct cds__jwt jwt;
	struct cds__jwk key = {0};
	struct fhir_error err = {{0}, {0}};
	enum cds__auth_reason reason = CDS__AUTH_OK;
	const struct cds_config *cfg = a->cfg;
	time_t now = time(NULL);
	long skew = (long)cfg->limits.clock_skew_seconds;
	memset(&jwt, 0, sizeof jwt);
	memset(res, 0, sizeof *res);
	if (claim)
		claim->pending = claim->refused = 0;

	/* CDS Hooks 2.0 §Trusting CDS Clients: Authorization: Bearer <JWT> (RFC 6750 §2.1). */
	const char *p = authorization;
	while (p && (*p == ' ' || *p == '\t'))
		p++;
	if (!p || !*p) {
		reason = CDS__AUTH_MISSING;
		goto out;
	}
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t')) {
		reason = CDS__AUTH_MALFORMED;
		goto out;
	}
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (cds__jwt_parse(p, len, &jwt, &err) != FHIR_OK) {
		reason = CDS__AUTH_MALFORMED;
		goto out;
	}
	log_copy(jwt.iss, res->iss, sizeof res->iss);
	log_copy(jwt.kid, res->kid, sizeof res->kid);
	log_copy(jwt.jti, res->jti, sizeof res->jti);
	/* §JWT header: alg allow-listed (never none, never HS*), typ JWT, kid required; RFC 7515
	 * §4.1.11: a crit header names extensions we do not understand. */
	if (!jwt.alg || !(jwt.alg & cfg->algorithms)) {
		reason = CDS__AUTH_ALGORITHM;
		goto out;
	}
	if (!jwt.typ || strcasecmp(jwt.typ, "JWT") != 0 || !jwt.kid || !jwt.kid[0] ||
	    strlen(jwt.kid) > CDS__KID_MAX_BYTES || jwt.has_crit) {
		reason = CDS__AUTH_MALFORMED;
		goto out;
	}
	/* §JWT payload: iss, aud, exp, iat, jti are REQUIRED. */
	if (!jwt.iss || !jwt.aud || !jwt.has_exp || !jwt.has_iat || !jwt.jti || !jwt.jti[0] ||
	    strlen(jwt.jti) > CDS__JTI_MAX_BYTES || strlen(jwt.iss) > CDS__ISS_MAX_BYTES) {
		reason = CDS__AUTH_MALFORMED;
		goto out;
	}
	struct cds__issuer *issuer = cds__keystore_issuer(a->keys, jwt.iss);
	if (!issuer) {
		reason = CDS__AUTH_UNKNOWN_ISSUER;
		goto out;
	}
	int rc = cds__keystore_key(a->keys, issuer, jwt.jku, jwt.kid, &key, &err);
	if (rc == FHIR_ERR_INVALID) {
		reason = CDS__AUTH_JKU;
		goto out;
	}
	if (rc != FHIR_OK) {
		reason = CDS__AUTH_UNKNOWN_KEY;
		goto out;
	}
	if (cds__jwt_verify(&jwt, &key, &err) != FHIR_OK) {
		reason = CDS__AUTH_BAD_SIGNATURE;
		goto out;
	}
	/* Verified: the claims are the issuer's. */
	if (!audience_matches(jwt.aud, url, alt_url)) {
		reason = CDS__AUTH_WRONG_AUDIENCE;
		goto out;
	}
	if (jwt.exp + (double)skew <= (double)now) {
		reason = CDS__AUTH_EXPIRED;
		goto out;
	}
	/* RFC 7519 §4.1.5: not before nbf, with the same allowance for clock skew as iat. */
	if (jwt.iat - (double)skew > (double)now ||
	    (jwt.has_nbf && jwt.nbf - (double)skew > (double)now)) {
		reason = CDS__AUTH_NOT_YET_VALID;
		goto out;
	}
	if (jwt.exp - jwt.iat > (double)cfg->limits.max_token_lifetime_seconds) {
		reason = CDS__AUTH_LIFETIME;
		goto out;
	}
	/* Remember until exp + skew: a replay is refused for as long as the token is accepted. */
	time_t expires = (time_t)jwt.exp + (time_t)skew;
	if (claim && a->claim_in_commit) { /* checked now, claimed with what the call commits */
		reason = cds__store_replay_check(a->store, jwt.iss, jwt.jti, now);
		if (reason == CDS__AUTH_OK) {
			claim->pending = 1;
			claim->expires = expires;
			snprintf(claim->aud, sizeof claim->aud, "%s", url);
			snprintf(claim->iss, sizeof claim->iss, "%s", jwt.iss);
			snprintf(claim->jti, sizeof claim->jti, "%s", jwt.jti);
		}
	} else {
		reason = a->store
		             ? cds__store_replay_remember(a->store, jwt.iss, jwt.jti, expires, now)
		             : cds__replay_remember(a->replay, jwt.iss, jwt.jti, expires, now);
	}
out:
	EVP_PKEY_free(key.pkey);
	cds__jwt_clear(&jwt);
	res->reason = reason;
	return reason;
}
