/* jwt.c — the runner's signing keys and JWTs: one ES384 (P-384) and one RS384 (RSA 2048) key pair
 * generated per run with OpenSSL 3 EVP, their public JWK Set, and compact JWS tokens shaped for
 * each authentication assertion (valid, alg none, HMAC, expired, wrong aud, bad signature...).
 * ES384 signatures are emitted as raw r||s (JWS, RFC 7518 §3.4), converted from OpenSSL's DER.
 * Private keys never leave this file and are never written anywhere. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "conf.h"

struct conf_keys {
	EVP_PKEY *ec;  /* P-384 */
	EVP_PKEY *rsa; /* 2048 bits */
	char ec_kid[40];
	char rsa_kid[40];
	char *jwks; /* public JWK Set text */
};

static void random_hex(char *dst, size_t bytes)
{
	unsigned char raw[32];
	static const char hex[] = "0123456789abcdef";
	if (bytes > sizeof raw)
		bytes = sizeof raw;
	if (RAND_bytes(raw, (int)bytes) != 1)
		abort();
	for (size_t i = 0; i < bytes; i++) {
		dst[2 * i] = hex[raw[i] >> 4];
		dst[2 * i + 1] = hex[raw[i] & 15];
	}
	dst[2 * bytes] = '\0';
}

void conf_uuid(char dst[37])
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof b) != 1)
		abort();
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			dst[o++] = '-';
		dst[o++] = hex[b[i] >> 4];
		dst[o++] = hex[b[i] & 15];
	}
	dst[o] = '\0';
}

/* base64url without padding (RFC 7515 §2). NEW. */
static char *b64url(const unsigned char *data, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len / 3 * 4 + 5);
	if (!out)
		abort();
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)data[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

/* A BIGNUM parameter of pkey as base64url, left-padded to pad bytes (0 = minimal). NEW. */
static char *bn_param(const EVP_PKEY *pkey, const char *name, int pad)
{
	BIGNUM *bn = NULL;
	char *out = NULL;
	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		return NULL;
	int len = pad ? pad : BN_num_bytes(bn);
	unsigned char *buf = malloc((size_t)len);
	if (!buf)
		abort();
	if (BN_bn2binpad(bn, buf, len) == len)
		out = b64url(buf, (size_t)len);
	free(buf);
	BN_free(bn);
	return out;
}

static char *build_jwks(const struct conf_keys *k)
{
	char *x = bn_param(k->ec, OSSL_PKEY_PARAM_EC_PUB_X, 48);
	char *y = bn_param(k->ec, OSSL_PKEY_PARAM_EC_PUB_Y, 48);
	char *n = bn_param(k->rsa, OSSL_PKEY_PARAM_RSA_N, 0);
	char *e = bn_param(k->rsa, OSSL_PKEY_PARAM_RSA_E, 0);
	char *text = NULL;
	if (x && y && n && e) {
		cJSON *root = cJSON_CreateObject();
		cJSON *keys = cJSON_AddArrayToObject(root, "keys");
		cJSON *ec = cJSON_CreateObject();
		cJSON_AddStringToObject(ec, "kty", "EC");
		cJSON_AddStringToObject(ec, "crv", "P-384");
		cJSON_AddStringToObject(ec, "x", x);
		cJSON_AddStringToObject(ec, "y", y);
		cJSON_AddStringToObject(ec, "kid", k->ec_kid);
		cJSON_AddStringToObject(ec, "alg", "ES384");
		cJSON_AddStringToObject(ec, "use", "sig");
		cJSON_AddItemToArray(keys, ec);
		cJSON *rsa = cJSON_CreateObject();
		cJSON_AddStringToObject(rsa, "kty", "RSA");
		cJSON_AddStringToObject(rsa, "n", n);
		cJSON_AddStringToObject(rsa, "e", e);
		cJSON_AddStringToObject(rsa, "kid", k->rsa_kid);
		cJSON_AddStringToObject(rsa, "alg", "RS384");
		cJSON_AddStringToObject(rsa, "use", "sig");
		cJSON_AddItemToArray(keys, rsa);
		text = cJSON_PrintUnformatted(root);
		cJSON_Delete(root);
	}
	free(x);
	free(y);
	free(n);
	free(e);
	return text;
}

struct conf_keys *conf_keys_new(void)
{
	struct conf_keys *k = calloc(1, sizeof *k);
	if (!k)
		abort();
	k->ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	k->rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char hex[17];
	random_hex(hex, 8);
	snprintf(k->ec_kid, sizeof k->ec_kid, "conf-es384-%s", hex);
	random_hex(hex, 8);
	snprintf(k->rsa_kid, sizeof k->rsa_kid, "conf-rs384-%s", hex);
	if (!k->ec || !k->rsa || !(k->jwks = build_jwks(k))) {
		conf_keys_free(k);
		return NULL;
	}
	return k;
}

void conf_keys_free(struct conf_keys *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->ec);
	EVP_PKEY_free(k->rsa);
	free(k->jwks);
	free(k);
}

char *conf_keys_jwks(const struct conf_keys *k)
{
	char *copy = strdup(k->jwks);
	if (!copy)
		abort();
	return copy;
}

/* Signs input with pkey + SHA-384; for EC converts DER to raw r||s (48+48). NEW, *len set. */
static unsigned char *sign_sha384(EVP_PKEY *pkey, int ec, const char *input, size_t *len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL, *raw = NULL;
	size_t siglen = 0;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1)
		goto out;
	sig = malloc(siglen);
	if (!sig)
		abort();
	if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1)
		goto out;
	if (!ec) {
		raw = sig;
		sig = NULL;
		*len = siglen;
		goto out;
	}
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
	if (!es)
		goto out;
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG_get0(es, &r, &s);
	raw = malloc(96);
	if (!raw)
		abort();
	if (BN_bn2binpad(r, raw, 48) != 48 || BN_bn2binpad(s, raw + 48, 48) != 48) {
		free(raw);
		raw = NULL;
	} else {
		*len = 96;
	}
	ECDSA_SIG_free(es);
out:
	free(sig);
	EVP_MD_CTX_free(md);
	return raw;
}

static unsigned char *sign_hmac(const char *digest, const char *secret, const char *input,
                                size_t *len)
{
	unsigned char *out = malloc(EVP_MAX_MD_SIZE);
	if (!out)
		abort();
	if (!EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, secret, strlen(secret),
	               (const unsigned char *)input, strlen(input), out, EVP_MAX_MD_SIZE, len)) {
		free(out);
		return NULL;
	}
	return out;
}

char *conf_jwt_make(const struct conf_keys *k, const struct conf_jwt_spec *spec)
{
	const char *alg = spec->alg ? spec->alg : "ES384";
	int rsa = strcmp(alg, "RS384") == 0;
	char *result = NULL, *h = NULL, *p = NULL, *hb = NULL, *pb = NULL, *sb = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;

	cJSON *header = cJSON_CreateObject();
	cJSON_AddStringToObject(header, "alg", alg);
	if (!spec->omit_typ)
		cJSON_AddStringToObject(header, "typ", "JWT");
	if (!spec->omit_kid)
		cJSON_AddStringToObject(header, "kid",
		                        spec->kid ? spec->kid : (rsa ? k->rsa_kid : k->ec_kid));
	if (spec->jku)
		cJSON_AddStringToObject(header, "jku", spec->jku);

	time_t now = time(NULL);
	cJSON *payload = cJSON_CreateObject();
	if (spec->iss)
		cJSON_AddStringToObject(payload, "iss", spec->iss);
	if (spec->aud) {
		if (spec->aud_array) {
			cJSON *a = cJSON_AddArrayToObject(payload, "aud");
			cJSON_AddItemToArray(a, cJSON_CreateString(spec->aud));
		} else {
			cJSON_AddStringToObject(payload, "aud", spec->aud);
		}
	}
	long exp_offset = spec->exp_offset ? spec->exp_offset : 300;
	if (!spec->omit_exp)
		cJSON_AddNumberToObject(payload, "exp", (double)(now + exp_offset));
	if (!spec->omit_iat)
		cJSON_AddNumberToObject(payload, "iat",
		                        (double)(spec->iat_offset ? now + spec->iat_offset
		                                 : exp_offset < 0 ? now + exp_offset - 300
		                                                  : now));
	if (spec->nbf_offset)
		cJSON_AddNumberToObject(payload, "nbf", (double)(now + spec->nbf_offset));
	if (!spec->omit_jti) {
		char jti[37];
		conf_uuid(jti);
		cJSON_AddStringToObject(payload, "jti", spec->jti ? spec->jti : jti);
	}
	h = cJSON_PrintUnformatted(header);
	p = cJSON_PrintUnformatted(payload);
	hb = b64url((const unsigned char *)h, strlen(h));
	pb = b64url((const unsigned char *)p, strlen(p));
	size_t inlen = strlen(hb) + strlen(pb) + 2;
	char *input = malloc(inlen);
	if (!input)
		abort();
	snprintf(input, inlen, "%s.%s", hb, pb);

	if (strcmp(alg, "none") == 0) {
		sig = calloc(1, 1);
		siglen = 0;
	} else if (strcmp(alg, "HS256") == 0) {
		sig = sign_hmac("SHA256", k->jwks, input, &siglen);
	} else if (strcmp(alg, "HS384") == 0) {
		sig = sign_hmac("SHA384", k->jwks, input, &siglen);
	} else {
		sig = sign_sha384(rsa ? k->rsa : k->ec, !rsa, input, &siglen);
	}
	if (!sig)
		goto out;
	if (spec->corrupt_signature && siglen)
		sig[siglen / 2] ^= 0x5a;
	sb = b64url(sig, siglen);
	size_t total = inlen + strlen(sb) + 1;
	result = malloc(total);
	if (!result)
		abort();
	snprintf(result, total, "%s.%s", input, sb);
	free(input);
	input = NULL;
out:
	free(input);
	cJSON_Delete(header);
	cJSON_Delete(payload);
	free(h);
	free(p);
	free(hb);
	free(pb);
	free(sb);
	free(sig);
	return result;
}
