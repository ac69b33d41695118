/* jwt.c — compact JWS (RFC 7515) parsing and signature verification for CDS Hooks 2.0
 * §Trusting CDS Clients: strict base64url, header and payload JSON objects with no member name
 * twice in any object (RFC 7519 §4), the algorithm by name, and an OpenSSL check of the signature
 * (ES signatures are raw r||s, converted to DER). It must not decide trust (which issuer, key,
 * audience or time: auth.c and jwks.c do) nor log anything. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "cds_internal.h"

static const struct {
	const char *name;
	unsigned alg;
} alg_names[] = {
    {"ES256", CDS__ALG_ES256}, {"ES384", CDS__ALG_ES384}, {"RS256", CDS__ALG_RS256},
    {"RS384", CDS__ALG_RS384}, {"PS384", CDS__ALG_PS384},
};

unsigned cds__jwt_alg(const char *name)
{
	for (size_t i = 0; name && i < sizeof alg_names / sizeof alg_names[0]; i++)
		if (strcmp(alg_names[i].name, name) == 0)
			return alg_names[i].alg;
	return 0;
}

const char *cds__jwt_alg_name(unsigned alg)
{
	for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return NULL;
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* RFC 7515 §2 / RFC 4648 §5: no padding, no whitespace, unused trailing bits zero. */
int cds__base64url_decode(const char *in, size_t len, unsigned char **out, size_t *out_length)
{
	*out = NULL;
	*out_length = 0;
	if (len % 4 == 1)
		return FHIR_ERR_SYNTAX;
	unsigned char *buf = cds__must(malloc(len / 4 * 3 + 3));
	size_t n = 0;
	unsigned long acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)in[i]);
		if (v < 0) {
			free(buf);
			return FHIR_ERR_SYNTAX;
		}
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)((acc >> bits) & 0xFFu);
		}
	}
	if (bits > 0 && (acc & ((1ul << bits) - 1ul)) != 0) {
		free(buf);
		return FHIR_ERR_SYNTAX; /* non-canonical encoding */
	}
	*out = buf;
	*out_length = n;
	return FHIR_OK;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when some object in `node` (at any depth) has a member name twice. cJSON keeps every
 * duplicate and its lookups return the first, so another reader could see another value:
 * RFC 7515 §4 and RFC 7519 §4 let a parser reject such JSON, and we do. Names compare after
 * JSON unescaping ("a" and "\u0061" are one name). O(n log n) per object. */
static int has_duplicate_names(const cJSON *node)
{
	size_t n = 0;
	for (const cJSON *c = node->child; c; c = c->next) {
		n++;
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && has_duplicate_names(c))
			return 1;
	}
	if (!cJSON_IsObject(node) || n < 2)
		return 0;
	const char **names = cds__must(malloc(n * sizeof *names));
	size_t i = 0;
	for (const cJSON *c = node->child; c; c = c->next)
		names[i++] = c->string ? c->string : "";
	qsort(names, n, sizeof *names, compare_names);
	int dup = 0;
	for (i = 1; i < n && !dup; i++)
		dup = strcmp(names[i - 1], names[i]) == 0;
	free(names);
	return dup;
}

/* Decodes one base64url part holding a JSON object. NEW: *out. */
static int decode_json_part(const char *in, size_t len, const char *what, cJSON **out,
                            struct fhir_error *err)
{
	unsigned char *raw = NULL;
	size_t raw_len = 0;
	*out = NULL;
	if (cds__base64url_decode(in, len, &raw, &raw_len) != FHIR_OK) {
		fhir_error_set(err, what, "the %s is not base64url", what);
		return FHIR_ERR_SYNTAX;
	}
	struct fhir_error perr = {{0}, {0}};
	cJSON *json = NULL;
	int rc = cds__parse_json_limited((const char *)raw, raw_len, CDS__JWT_MAX_DEPTH, 64, &json,
	                                 &perr);
	free(raw);
	if (rc != FHIR_OK || !cJSON_IsObject(json)) {
		cJSON_Delete(json);
		fhir_error_set(err, what, "the %s is not a JSON object", what);
		return FHIR_ERR_SYNTAX;
	}
	if (has_duplicate_names(json)) {
		cJSON_Delete(json);
		fhir_error_set(err, what, "the %s has a member name twice (RFC 7519 §4)", what);
		return FHIR_ERR_SYNTAX;
	}
	*out = json;
	return FHIR_OK;
}

static const char *string_member(const cJSON *object, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	return cJSON_IsString(item) && item->valuestring ? item->valuestring : NULL;
}

static int number_member(const cJSON *object, const char *name, double *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) /* 1e999 parses as inf */
		return 0;
	*out = item->valuedouble;
	return 1;
}

int cds__jwt_parse(const char *token, size_t length, struct cds__jwt *out, struct fhir_error *err)
{
	int rc = FHIR_OK;
	memset(out, 0, sizeof *out);
	if (length == 0 || length > CDS__JWT_MAX_BYTES) {
		fhir_error_set(err, "token", "the token is empty or longer than %u bytes",
		               CDS__JWT_MAX_BYTES);
		return FHIR_ERR_SYNTAX;
	}
	const char *dot1 = memchr(token, '.', length);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', length - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', length - (size_t)(dot2 + 1 - token))) {
		fhir_error_set(err, "token", "a compact JWS has exactly three parts");
		return FHIR_ERR_SYNTAX;
	}
	if ((rc = decode_json_part(token, (size_t)(dot1 - token), "header", &out->header, err)) !=
	    FHIR_OK)
		goto out;
	if ((rc = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), "payload", &out->payload,
	                           err)) != FHIR_OK)
		goto out;
	if (cds__base64url_decode(dot2 + 1, length - (size_t)(dot2 + 1 - token), &out->signature,
	                          &out->signature_length) != FHIR_OK) {
		fhir_error_set(err, "signature", "the signature is not base64url");
		rc = FHIR_ERR_SYNTAX;
		goto out;
	}
	out->signing_input_length = (size_t)(dot2 - token);
	out->signing_input = cds__must(malloc(out->signing_input_length + 1));
	memcpy(out->signing_input, token, out->signing_input_length);
	out->signing_input[out->signing_input_length] = '\0';

	out->alg_name = string_member(out->header, "alg");
	out->alg = cds__jwt_alg(out->alg_name);
	out->typ = string_member(out->header, "typ");
	out->kid = string_member(out->header, "kid");
	out->jku = string_member(out->header, "jku");
	out->has_crit = cJSON_GetObjectItemCaseSensitive(out->header, "crit") != NULL;
	out->iss = string_member(out->payload, "iss");
	out->jti = string_member(out->payload, "jti");
	out->aud = cJSON_GetObjectItemCaseSensitive(out->payload, "aud");
	out->has_exp = number_member(out->payload, "exp", &out->exp);
	out->has_iat = number_member(out->payload, "iat", &out->iat);
	/* RFC 7519 §4.1.5: nbf is OPTIONAL; when present it must be a NumericDate. */
	out->has_nbf = number_member(out->payload, "nbf", &out->nbf);
	if (!out->has_nbf && cJSON_GetObjectItemCaseSensitive(out->payload, "nbf")) {
		fhir_error_set(err, "nbf", "nbf is not a number");
		rc = FHIR_ERR_SYNTAX;
	}
out:
	if (rc != FHIR_OK)
		cds__jwt_clear(out);
	return rc;
}

void cds__jwt_clear(struct cds__jwt *jwt)
{
	if (!jwt)
		return;
	cJSON_Delete(jwt->header);
	cJSON_Delete(jwt->payload);
	free(jwt->signature);
	free(jwt->signing_input);
	memset(jwt, 0, sizeof *jwt);
}

/* JWS raw r||s (RFC 7518 §3.4) to the DER ECDSA-Sig-Value OpenSSL verifies. NEW: *der. */
static int ecdsa_raw_to_der(const unsigned char *sig, size_t len, unsigned char **der,
                            size_t *der_len)
{
	int rc = FHIR_ERR_INVALID;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	*der = NULL;
	*der_len = 0;
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL; /* taken by es */
	int n = i2d_ECDSA_SIG(es, der);
	if (n <= 0)
		goto out;
	*der_len = (size_t)n;
	rc = FHIR_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

int cds__jwt_verify(const struct cds__jwt *jwt, const struct cds__jwk *key, struct fhir_error *err)
{
	int rc = FHIR_ERR_INVALID;
	EVP_MD_CTX *md_ctx = NULL;
	EVP_PKEY_CTX *pkey_ctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *sig = jwt->signature;
	size_t sig_len = jwt->signature_length;
	if (!jwt->alg || !(key->algs & jwt->alg)) {
		fhir_error_set(err, "kid", "the key cannot verify %s signatures",
		               jwt->alg_name ? jwt->alg_name : "these");
		goto out;
	}
	const EVP_MD *md =
	    (jwt->alg & (CDS__ALG_ES256 | CDS__ALG_RS256)) ? EVP_sha256() : EVP_sha384();
	if (jwt->alg & (CDS__ALG_ES256 | CDS__ALG_ES384)) {
		size_t want = jwt->alg == CDS__ALG_ES256 ? 64 : 96;
		if (sig_len != want) {
			fhir_error_set(err, "signature", "an %s signature is %zu bytes, not %zu",
			               cds__jwt_alg_name(jwt->alg), want, sig_len);
			goto out;
		}
		if (ecdsa_raw_to_der(sig, sig_len, &der, &sig_len) != FHIR_OK) {
			fhir_error_set(err, "signature", "the ECDSA signature cannot be decoded");
			goto out;
		}
		sig = der;
	}
	md_ctx = cds__must(EVP_MD_CTX_new());
	if (EVP_DigestVerifyInit(md_ctx, &pkey_ctx, md, NULL, key->pkey) != 1) {
		fhir_error_set(err, "kid", "the key does not suit the algorithm");
		goto out;
	}
	if (jwt->alg & (CDS__ALG_RS256 | CDS__ALG_RS384)) {
		if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1)
			goto bad;
	} else if (jwt->alg == CDS__ALG_PS384) { /* RFC 7518 §3.5: salt = hash length, MGF1 */
		if (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pkey_ctx, md) != 1)
			goto bad;
	}
	if (EVP_DigestVerify(md_ctx, sig, sig_len, (const unsigned char *)jwt->signing_input,
	                     jwt->signing_input_length) == 1) {
		rc = FHIR_OK;
		goto out;
	}
bad:
	fhir_error_set(err, "signature", "the signature does not verify");
out:
	ERR_clear_error(); /* OpenSSL's per-thread error queue must not grow */
	EVP_MD_CTX_free(md_ctx);
	OPENSSL_free(der);
	return rc;
}
