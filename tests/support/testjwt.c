/* testjwt.c — test-only JWT tooling (see testjwt.h): OpenSSL key generation, public JWK export and
 * compact JWS signing, ES signatures converted from DER to raw r||s as JWS requires. It must
 * never be linked into the server. */
#include "testjwt.h"
#include "testdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

int testkey_generate(struct testkey *key, const char *alg, const char *kid)
{
	memset(key, 0, sizeof *key);
	snprintf(key->alg, sizeof key->alg, "%s", alg);
	snprintf(key->kid, sizeof key->kid, "%s", kid);
	if (strcmp(alg, "ES384") == 0)
		key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(alg, "ES256") == 0)
		key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		key->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return key->pkey ? 0 : -1;
}

void testkey_free(struct testkey *key)
{
	if (key) {
		EVP_PKEY_free(key->pkey);
		key->pkey = NULL;
	}
}

char *testjwt_b64url(const void *data, size_t length)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *d = data;
	char *out = malloc(length / 3 * 4 + 5);
	size_t n = 0, i = 0;
	if (!out)
		abort();
	for (; i + 2 < length; i += 3) {
		unsigned long v =
		    (unsigned long)d[i] << 16 | (unsigned long)d[i + 1] << 8 | d[i + 2];
		out[n++] = alphabet[(v >> 18) & 63];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = alphabet[(v >> 6) & 63];
		out[n++] = alphabet[v & 63];
	}
	if (length - i == 1) {
		unsigned long v = (unsigned long)d[i] << 16;
		out[n++] = alphabet[(v >> 18) & 63];
		out[n++] = alphabet[(v >> 12) & 63];
	} else if (length - i == 2) {
		unsigned long v = (unsigned long)d[i] << 16 | (unsigned long)d[i + 1] << 8;
		out[n++] = alphabet[(v >> 18) & 63];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = alphabet[(v >> 6) & 63];
	}
	out[n] = '\0';
	return out;
}

static char *bn_b64(EVP_PKEY *pkey, const char *name)
{
	BIGNUM *bn = NULL;
	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return NULL;
	size_t len = (size_t)BN_num_bytes(bn);
	unsigned char *buf = malloc(len ? len : 1);
	BN_bn2bin(bn, buf);
	char *out = testjwt_b64url(buf, len);
	free(buf);
	BN_free(bn);
	return out;
}

char *testkey_jwk(const struct testkey *key)
{
	char *out = malloc(4096);
	if (!out)
		abort();
	if (key->alg[0] == 'E') {
		unsigned char pub[200];
		size_t len = 0;
		EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub,
		                                &len);
		size_t c = (len - 1) / 2;
		char *x = testjwt_b64url(pub + 1, c), *y = testjwt_b64url(pub + 1 + c, c);
		snprintf(out, 4096,
		         "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\","
		         "\"use\":\"sig\",\"alg\":\"%s\"}",
		         c == 48 ? "P-384" : "P-256", x, y, key->kid, key->alg);
		free(x);
		free(y);
	} else {
		char *n = bn_b64(key->pkey, OSSL_PKEY_PARAM_RSA_N);
		char *e = bn_b64(key->pkey, OSSL_PKEY_PARAM_RSA_E);
		snprintf(
		    out, 4096,
		    "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\",\"kid\":\"%s\",\"use\":\"sig\"}",
		    n ? n : "", e ? e : "", key->kid);
		free(n);
		free(e);
	}
	return out;
}

char *testkey_jwks(const struct testkey *const *keys, size_t count)
{
	size_t cap = 64 + count * 4096, n = 0;
	char *out = malloc(cap);
	if (!out)
		abort();
	n += (size_t)snprintf(out + n, cap - n, "{\"keys\":[");
	for (size_t i = 0; i < count; i++) {
		char *jwk = testkey_jwk(keys[i]);
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "", jwk);
		free(jwk);
	}
	snprintf(out + n, cap - n, "]}");
	return out;
}

int testkey_write_jwks(const struct testkey *const *keys, size_t count, const char *path)
{
	char *jwks = testkey_jwks(keys, count);
	int rc = testdir_write(path, jwks);
	free(jwks);
	return rc;
}

char *testjwt_token(const struct testkey *key, const char *jku, const char *iss,
                    const char *aud_json, long iat_offset, long exp_offset, const char *jti)
{
	char *h = testjwt_header(key, jku);
	char *p = testjwt_payload(iss, aud_json, iat_offset, exp_offset, jti);
	char *t = testjwt_sign(key, h, p);
	free(h);
	free(p);
	return t;
}

int testkey_replica_files(struct testkey *key, const char *kid, const char *dir)
{
	char path[4200];
	const struct testkey *keys[] = {key};
	memset(key, 0, sizeof *key);
	if (testkey_generate(key, "ES384", kid) != 0) {
		fprintf(stderr, "testkey_replica_files: no ES384 key\n");
		return -1;
	}
	snprintf(path, sizeof path, "%s/jwks.json", dir);
	if (testkey_write_jwks(keys, 1, path) != 0) {
		fprintf(stderr, "testkey_replica_files: cannot write %s\n", path);
		return -1;
	}
	snprintf(path, sizeof path, "%s/patient.key", dir);
	if (testdir_random_file(path, 32) != 0) {
		fprintf(stderr, "testkey_replica_files: cannot write %s (random)\n", path);
		return -1;
	}
	return 0;
}

/* Signs data with key->alg; ES output is raw r||s. NEW *sig. */
static int sign(const struct testkey *key, const char *data, size_t len, unsigned char **sig,
                size_t *sig_len)
{
	const char *alg = key->alg;
	const EVP_MD *md = strstr(alg, "256") ? EVP_sha256() : EVP_sha384();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t der_len = 0;
	int ok = EVP_DigestSignInit(ctx, &pctx, md, NULL, key->pkey) == 1;
	if (ok && alg[0] == 'P')
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
	ok = ok && EVP_DigestSign(ctx, NULL, &der_len, (const unsigned char *)data, len) == 1;
	unsigned char *der = malloc(der_len + 1);
	ok = ok && EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)data, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		free(der);
		return -1;
	}
	if (alg[0] != 'E') {
		*sig = der;
		*sig_len = der_len;
		return 0;
	}
	size_t c = strcmp(alg, "ES256") == 0 ? 32 : 48;
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	free(der);
	if (!es)
		return -1;
	*sig = malloc(2 * c);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), *sig, (int)c);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), *sig + c, (int)c);
	*sig_len = 2 * c;
	ECDSA_SIG_free(es);
	return 0;
}

char *testjwt_sign(const struct testkey *key, const char *header, const char *payload)
{
	char *h = testjwt_b64url(header, strlen(header));
	char *p = testjwt_b64url(payload, strlen(payload));
	size_t input_len = strlen(h) + 1 + strlen(p);
	char *input = malloc(input_len + 1);
	snprintf(input, input_len + 1, "%s.%s", h, p);
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	char *s = NULL;
	if (key && sign(key, input, input_len, &sig, &sig_len) == 0)
		s = testjwt_b64url(sig, sig_len);
	else
		s = testjwt_b64url("", 0);
	size_t total = input_len + 1 + strlen(s) + 1;
	char *out = malloc(total);
	snprintf(out, total, "%s.%s", input, s);
	free(h);
	free(p);
	free(input);
	free(sig);
	free(s);
	return out;
}

char *testjwt_header(const struct testkey *key, const char *jku)
{
	char *out = malloc(1024);
	snprintf(out, 1024, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"%s%s%s}", key->alg,
	         key->kid, jku ? ",\"jku\":\"" : "", jku ? jku : "", jku ? "\"" : "");
	return out;
}

char *testjwt_payload(const char *iss, const char *aud_json, long iat_offset, long exp_offset,
                      const char *jti)
{
	long now = (long)time(NULL);
	char *out = malloc(4096);
	snprintf(out, 4096, "{\"iss\":\"%s\",\"aud\":%s,\"exp\":%ld,\"iat\":%ld,\"jti\":\"%s\"}",
	         iss, aud_json, now + exp_offset, now + iat_offset, jti);
	return out;
}
