/* jwks.c — the keys each trusted issuer signs with: JWK Sets (RFC 7517/7518) parsed into OpenSSL
 * public keys (EC P-256/P-384, RSA >= 2048 bits), loaded from a file at start or fetched over
 * https (fhir_http_get) and cached by kid with a TTL; an unknown kid refreshes an issuer's keys at
 * most once per refresh interval. CDS Hooks 2.0 §Trusting CDS Clients (jku allowlist). A fetch
 * runs outside every lock, so a slow or failing JWKS never blocks other issuers. It must not
 * decide whether a token is valid (auth.c does) nor accept private or symmetric keys. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "cds_internal.h"

/* One key source: the issuer's configured JWKS (file or URL) or an allow-listed jku URL. */
struct source {
	char *location;         /* file path or URL (NEW) */
	int is_url;             /* 1: fetched, refreshed after the TTL; 0: a file read at start */
	struct cds__jwks *keys; /* NEW, replaced whole on refresh; NULL before the first load */
	time_t fetched_at;      /* 0: never */
	int attempted;          /* a fetch was tried (the first one is not rate-limited) */
};

struct cds__issuer {
	char *iss;                /* NEW */
	struct source configured; /* location NULL when the issuer has only jku sources */
	struct source *jku;       /* NEW array */
	size_t jku_count;
	pthread_mutex_t mutex; /* guards keys, fetched_at, last_refresh, refreshing */
	time_t last_refresh;   /* last refresh attempt (rate limit) */
	int refreshing;        /* a fetch for this issuer is running (outside the mutex) */
};

struct cds__keystore {
	struct cds__issuer *issuers; /* NEW array */
	size_t count;
	struct fhir_http_limits http;
	char *ca_file; /* NEW or NULL */
	long ttl_seconds;
	long refresh_seconds;
	atomic_ulong own_counts[2]; /* URL fetches since start (GET /metrics): [0] ok, [1] failed */
	atomic_ulong *counts;       /* own_counts, or those of cds__keystore_count_into */
};

/* ---- JWK Set parsing --------------------------------------------------------------------- */

/* A base64url member as an OpenSSL BIGNUM (unsigned big-endian). NEW, or NULL. */
static BIGNUM *b64_bignum(const cJSON *jwk, const char *name, size_t *bytes)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(jwk, name);
	unsigned char *raw = NULL;
	size_t len = 0;
	if (!cJSON_IsString(item) || !item->valuestring ||
	    cds__base64url_decode(item->valuestring, strlen(item->valuestring), &raw, &len) !=
	        FHIR_OK ||
	    len == 0 || len > 1024) {
		free(raw);
		return NULL;
	}
	BIGNUM *bn = BN_bin2bn(raw, (int)len, NULL);
	if (bytes)
		*bytes = len;
	free(raw);
	return bn;
}

/* An EC public key from crv/x/y (RFC 7518 §6.2.1). NEW, or NULL (err says why). */
static EVP_PKEY *ec_key(const cJSON *jwk, unsigned *algs, struct fhir_error *err)
{
	const cJSON *crv = cJSON_GetObjectItemCaseSensitive(jwk, "crv");
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(jwk, "x");
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(jwk, "y");
	unsigned char *xr = NULL, *yr = NULL, point[1 + 2 * 48];
	size_t xl = 0, yl = 0, size;
	const char *group;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	if (cJSON_IsString(crv) && strcmp(crv->valuestring, "P-256") == 0) {
		size = 32, group = "prime256v1", *algs = CDS__ALG_ES256;
	} else if (cJSON_IsString(crv) && strcmp(crv->valuestring, "P-384") == 0) {
		size = 48, group = "secp384r1", *algs = CDS__ALG_ES384;
	} else {
		fhir_error_set(err, "crv", "unsupported EC curve (P-256 and P-384 are)");
		return NULL;
	}
	if (!cJSON_IsString(x) || !cJSON_IsString(y) ||
	    cds__base64url_decode(x->valuestring, strlen(x->valuestring), &xr, &xl) != FHIR_OK ||
	    cds__base64url_decode(y->valuestring, strlen(y->valuestring), &yr, &yl) != FHIR_OK ||
	    xl != size || yl != size) {
		fhir_error_set(err, "x", "x and y must be base64url coordinates of %zu bytes",
		               size);
		goto out;
	}
	point[0] = 0x04; /* uncompressed point */
	memcpy(point + 1, xr, size);
	memcpy(point + 1 + size, yr, size);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * size),
	    OSSL_PARAM_construct_end()};
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		fhir_error_set(err, "x", "not a point on the curve");
		goto out;
	}
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!check || EVP_PKEY_public_check(check) != 1) {
		fhir_error_set(err, "x", "not a valid public point on the curve");
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	free(xr);
	free(yr);
	return pkey;
}

/* An RSA public key from n/e (RFC 7518 §6.3.1), at least CDS__RSA_MIN_BITS. NEW, or NULL. */
static EVP_PKEY *rsa_key(const cJSON *jwk, unsigned *algs, struct fhir_error *err)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = b64_bignum(jwk, "n", NULL), *e = b64_bignum(jwk, "e", NULL);
	*algs = CDS__ALG_RS256 | CDS__ALG_RS384 | CDS__ALG_PS384;
	if (!n || !e) {
		fhir_error_set(err, "n", "n and e must be base64url integers");
		goto out;
	}
	if (BN_num_bits(n) < CDS__RSA_MIN_BITS) {
		fhir_error_set(err, "n", "RSA keys need at least %d bits, this has %d",
		               CDS__RSA_MIN_BITS, BN_num_bits(n));
		goto out;
	}
	bld = cds__must(OSSL_PARAM_BLD_new());
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		fhir_error_set(err, "n", "cannot build the RSA key");
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		fhir_error_set(err, "n", "not a usable RSA public key");
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

int cds__jwks_parse(const char *text, size_t length, struct cds__jwks **out, struct fhir_error *err)
{
	int rc = FHIR_OK;
	cJSON *doc = NULL;
	struct cds__jwks *set = NULL;
	*out = NULL;
	if ((rc = cds__parse_json_limited(text, length, 16, CDS__JWKS_MAX_KEYS, &doc, err)) !=
	    FHIR_OK)
		goto out;
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
	if (!cJSON_IsArray(keys)) {
		fhir_error_set(err, "/keys", "a JWK Set is an object with a 'keys' array");
		rc = FHIR_ERR_INVALID;
		goto out;
	}
	set = cds__must(calloc(1, sizeof *set));
	set->keys = cds__must(calloc((size_t)cJSON_GetArraySize(keys) + 1, sizeof *set->keys));
	size_t index = 0, usable = 0;
	char where[64];
	for (const cJSON *jwk = keys->child; jwk; jwk = jwk->next, index++) {
		struct fhir_error kerr = {{0}, {0}};
		snprintf(where, sizeof where, "/keys/%zu", index);
		const char *kty = cJSON_IsObject(jwk) ? fhir_get_string(jwk, "kty") : NULL;
		const char *kid = cJSON_IsObject(jwk) ? fhir_get_string(jwk, "kid") : NULL;
		const char *use = cJSON_IsObject(jwk) ? fhir_get_string(jwk, "use") : NULL;
		const char *alg = cJSON_IsObject(jwk) ? fhir_get_string(jwk, "alg") : NULL;
		unsigned algs = 0;
		EVP_PKEY *pkey = NULL;
		if (!kty || !kid || strlen(kid) > CDS__KID_MAX_BYTES)
			continue; /* CDS Hooks 2.0: kid selects the key; a key without one is
			             unusable */
		if (use && strcmp(use, "sig") != 0)
			continue;
		if (strcmp(kty, "EC") == 0)
			pkey = ec_key(jwk, &algs, &kerr);
		else if (strcmp(kty, "RSA") == 0)
			pkey = rsa_key(jwk, &algs, &kerr);
		else
			continue; /* "oct" (symmetric) and others are never trusted */
		if (!pkey) {
			fhir_error_set(err, where, "key '%.64s': %s", kid, kerr.message);
			rc = FHIR_ERR_INVALID;
			goto out;
		}
		if (alg) /* RFC 7517 §4.4: the key is for this algorithm only */
			algs &= cds__jwt_alg(alg);
		set->keys[usable].kid = cds__must(strdup(kid));
		set->keys[usable].algs = algs;
		set->keys[usable].pkey = pkey;
		usable++;
		set->count = usable;
	}
	*out = set;
	set = NULL;
out:
	ERR_clear_error();
	cds__jwks_free(set);
	cJSON_Delete(doc);
	return rc;
}

void cds__jwks_free(struct cds__jwks *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++) {
		free(set->keys[i].kid);
		EVP_PKEY_free(set->keys[i].pkey);
	}
	free(set->keys);
	free(set);
}

/* ---- the key store ----------------------------------------------------------------------- */

/* Reads or fetches one source's JWKS. NEW: *out. Runs without any lock held. */
static int load_source(struct cds__keystore *ks, const char *location, int is_url,
                       struct cds__jwks **out, struct fhir_error *err)
{
	char *text = NULL;
	size_t length = 0;
	int rc;
	*out = NULL;
	if (is_url)
		rc = fhir_http_get(location, &ks->http, &text, &length, err);
	else
		rc = cds__read_file(location, ks->http.max_bytes, &text, &length, err);
	if (rc == FHIR_OK)
		rc = cds__jwks_parse(text, length, out, err);
	if (is_url)
		atomic_fetch_add(&ks->counts[rc == FHIR_OK ? 0 : 1], 1);
	free(text);
	return rc;
}

void cds__keystore_refreshes(struct cds__keystore *ks, unsigned long *ok, unsigned long *failed)
{
	*ok = ks ? atomic_load(&ks->counts[0]) : 0;
	*failed = ks ? atomic_load(&ks->counts[1]) : 0;
}

void cds__keystore_count_into(struct cds__keystore *ks, atomic_ulong counts[2])
{
	if (ks)
		ks->counts = counts;
}

static int is_url(const char *location)
{
	return strncmp(location, "https://", 8) == 0 || strncmp(location, "http://", 7) == 0;
}

int cds__keystore_new(const struct cds_config *cfg, struct cds__keystore **out,
                      struct fhir_error *err)
{
	int rc = FHIR_OK;
	struct cds__keystore *ks = cds__must(calloc(1, sizeof *ks));
	ks->counts = ks->own_counts;
	*out = NULL;
	ks->http.max_bytes = cfg->limits.jwks_max_bytes;
	ks->http.timeout_ms = (long)cfg->limits.jwks_timeout_seconds * 1000L;
	ks->http.allow_http_loopback = cfg->allow_http_loopback_jwks;
	if (cfg->jwks_ca_file) {
		ks->ca_file = cds__must(strdup(cfg->jwks_ca_file));
		ks->http.ca_file = ks->ca_file;
	}
	ks->ttl_seconds = (long)cfg->limits.jwks_ttl_seconds;
	ks->refresh_seconds = (long)cfg->limits.jwks_refresh_seconds;
	ks->issuers = cds__must(calloc(cfg->issuer_count + 1, sizeof *ks->issuers));
	for (size_t i = 0; i < cfg->issuer_count; i++) {
		const struct cds__issuer_config *ic = &cfg->issuers[i];
		struct cds__issuer *is = &ks->issuers[i];
		ks->count = i + 1;
		pthread_mutex_init(&is->mutex, NULL);
		is->iss = cds__must(strdup(ic->iss));
		if (ic->jwks) {
			is->configured.location = cds__must(strdup(ic->jwks));
			is->configured.is_url = is_url(ic->jwks);
		}
		is->jku = cds__must(calloc(ic->jku_count + 1, sizeof *is->jku));
		for (size_t j = 0; j < ic->jku_count; j++) {
			is->jku[j].location = cds__must(strdup(ic->jku[j]));
			is->jku[j].is_url = 1;
			is->jku_count = j + 1;
		}
		if (is->configured.location && !is->configured.is_url) {
			struct fhir_error lerr = {{0}, {0}};
			rc = load_source(ks, ic->jwks, 0, &is->configured.keys, &lerr);
			if (rc != FHIR_OK) {
				fhir_error_set(err, ic->jwks, "JWKS of issuer '%.200s': %s%s%s",
				               ic->iss, lerr.where, lerr.where[0] ? ": " : "",
				               lerr.message);
				goto out;
			}
			is->configured.fetched_at = time(NULL);
		}
	}
	*out = ks;
	ks = NULL;
out:
	cds__keystore_free(ks);
	return rc;
}

void cds__keystore_free(struct cds__keystore *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->count; i++) {
		struct cds__issuer *is = &ks->issuers[i];
		free(is->iss);
		free(is->configured.location);
		cds__jwks_free(is->configured.keys);
		for (size_t j = 0; j < is->jku_count; j++) {
			free(is->jku[j].location);
			cds__jwks_free(is->jku[j].keys);
		}
		free(is->jku);
		pthread_mutex_destroy(&is->mutex);
	}
	free(ks->issuers);
	free(ks->ca_file);
	free(ks);
}

struct cds__issuer *cds__keystore_issuer(struct cds__keystore *ks, const char *iss)
{
	for (size_t i = 0; ks && iss && i < ks->count; i++)
		if (strcmp(ks->issuers[i].iss, iss) == 0)
			return &ks->issuers[i];
	return NULL;
}

size_t cds__keystore_fetch_all(struct cds__keystore *ks, FILE *log)
{
	size_t failed = 0;
	time_t now = time(NULL);
	for (size_t i = 0; ks && i < ks->count; i++) {
		struct cds__issuer *is = &ks->issuers[i];
		if (!is->configured.location || !is->configured.is_url)
			continue;
		struct cds__jwks *keys = NULL;
		struct fhir_error err = {{0}, {0}};
		if (load_source(ks, is->configured.location, 1, &keys, &err) != FHIR_OK) {
			failed++;
			if (log)
				fprintf(log,
				        "warning: JWKS of issuer '%.200s' (%.300s): %s; "
				        "will retry when a token arrives\n",
				        is->iss, is->configured.location, err.message);
			continue;
		}
		pthread_mutex_lock(&is->mutex);
		cds__jwks_free(is->configured.keys);
		is->configured.keys = keys;
		is->configured.fetched_at = now;
		is->configured.attempted = 1;
		pthread_mutex_unlock(&is->mutex);
	}
	return failed;
}

/* The sources a token may use: with a jku, the configured JWKS plus that allow-listed jku (a jku
 * equal to the configured URL is that source); without, the configured JWKS, or every jku source
 * when there is none. Returns the count, or -1 when the jku is not allow-listed. */
static int pick_sources(struct cds__issuer *is, const char *jku, struct source **picked)
{
	int n = 0;
	if (jku) {
		int allowed = 0;
		if (is->configured.location && is->configured.is_url &&
		    strcmp(is->configured.location, jku) == 0)
			allowed = 1;
		if (is->configured.location)
			picked[n++] = &is->configured;
		for (size_t j = 0; j < is->jku_count && n < CDS__MAX_SOURCES; j++)
			if (strcmp(is->jku[j].location, jku) == 0) {
				picked[n++] = &is->jku[j];
				allowed = 1;
			}
		return allowed ? n : -1;
	}
	if (is->configured.location) {
		picked[n++] = &is->configured;
		return n;
	}
	for (size_t j = 0; j < is->jku_count && n < CDS__MAX_SOURCES; j++)
		picked[n++] = &is->jku[j];
	return n;
}

/* Under is->mutex: finds kid among the sources; fills *out (a copy holding an extra reference
 * to the key). Sets *stale when a loaded URL source is older than the TTL (a source never
 * loaded matters only when the kid is not found elsewhere). */
static int find_key(const struct cds__keystore *ks, struct source **sources, int n, const char *kid,
                    time_t now, struct cds__jwk *out, int *stale)
{
	int found = 0;
	*stale = 0;
	for (int i = 0; i < n; i++) {
		struct source *s = sources[i];
		if (s->is_url && s->keys && now - s->fetched_at >= ks->ttl_seconds)
			*stale = 1;
		for (size_t k = 0; !found && s->keys && k < s->keys->count; k++) {
			if (strcmp(s->keys->keys[k].kid, kid) == 0) {
				*out = s->keys->keys[k];
				EVP_PKEY_up_ref(out->pkey);
				out->kid = NULL; /* not copied */
				found = 1;
			}
		}
	}
	return found;
}

int cds__keystore_key(struct cds__keystore *ks, struct cds__issuer *is, const char *jku,
                      const char *kid, struct cds__jwk *out, struct fhir_error *err)
{
	struct source *sources[CDS__MAX_SOURCES + 2];
	char *locations[CDS__MAX_SOURCES + 2] = {0};
	struct cds__jwks *fetched[CDS__MAX_SOURCES + 2] = {0};
	int stale = 0, found, n;
	time_t now = time(NULL);
	memset(out, 0, sizeof *out);

	pthread_mutex_lock(&is->mutex);
	n = pick_sources(is, jku, sources);
	if (n < 0) {
		pthread_mutex_unlock(&is->mutex);
		fhir_error_set(err, "jku", "the jku is not allow-listed for this issuer");
		return FHIR_ERR_INVALID;
	}
	found = find_key(ks, sources, n, kid, now, out, &stale);
	/* Refresh when the kid is unknown or a URL source is stale: at most once per interval
	 * per issuer, and by one thread at a time; others use what is cached meanwhile. A URL
	 * never tried yet (e.g. an allow-listed jku seen for the first time) is fetched at once. */
	int due = !is->refreshing &&
	          (is->last_refresh == 0 || now - is->last_refresh >= ks->refresh_seconds);
	int urls = 0;
	if ((!found || stale) && !is->refreshing) {
		for (int i = 0; i < n; i++)
			if (sources[i]->is_url && (due || (!found && !sources[i]->attempted))) {
				locations[urls++] = cds__must(strdup(sources[i]->location));
				sources[i]->attempted = 1;
			}
		if (urls) {
			is->refreshing = 1;
			if (due)
				is->last_refresh = now;
		}
	}
	int refresh = urls > 0;
	pthread_mutex_unlock(&is->mutex);
	if (!refresh)
		goto done;

	/* The fetches: no lock held. */
	for (int i = 0; i < urls; i++) {
		struct fhir_error ferr = {{0}, {0}};
		if (load_source(ks, locations[i], 1, &fetched[i], &ferr) != FHIR_OK)
			fprintf(stderr, "%s: JWKS fetch failed for issuer '%.200s': %s\n", "auth",
			        is->iss, ferr.message);
	}
	pthread_mutex_lock(&is->mutex);
	for (int i = 0; i < urls; i++) {
		if (!fetched[i])
			continue;
		for (int k = 0; k < n; k++) {
			if (sources[k]->is_url && strcmp(sources[k]->location, locations[i]) == 0) {
				cds__jwks_free(sources[k]->keys);
				sources[k]->keys = fetched[i];
				sources[k]->fetched_at = time(NULL);
				fetched[i] = NULL;
				break;
			}
		}
	}
	is->refreshing = 0;
	if (!found)
		found = find_key(ks, sources, n, kid, now, out, &stale);
	pthread_mutex_unlock(&is->mutex);
done:
	for (int i = 0; i < urls; i++) {
		free(locations[i]);
		cds__jwks_free(fetched[i]);
	}
	if (!found) {
		fhir_error_set(err, "kid", "no key with this kid in the issuer's JWKS");
		return FHIR_ERR_NOT_FOUND;
	}
	return FHIR_OK;
}
