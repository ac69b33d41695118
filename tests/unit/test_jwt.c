/* test_jwt.c — the JWT core without HTTP: strict base64url, compact JWS parsing (malformed
 * shapes), JWK Set parsing (EC P-256/P-384, RSA; refused: small RSA, off-curve points, symmetric
 * keys skipped) and signature verification for ES256, ES384 (raw r||s), RS256, RS384 and PS384
 * with keys generated at test time; a tampered token, a wrong key and an alg/key mismatch fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "testjwt.h"
#include "testkit.h"

static void test_base64url(void)
{
	unsigned char *out = NULL;
	size_t len = 0;
	CHECK(cds__base64url_decode("aGVsbG8", 7, &out, &len) == FHIR_OK && len == 5 &&
	          memcmp(out, "hello", 5) == 0,
	      "decodes hello");
	free(out);
	CHECK(cds__base64url_decode("", 0, &out, &len) == FHIR_OK && len == 0, "empty");
	free(out);
	CHECK(cds__base64url_decode("-_8", 3, &out, &len) == FHIR_OK && len == 2 &&
	          out[0] == 0xfb && out[1] == 0xff,
	      "url alphabet");
	free(out);
	const char *bad[] = {"aGVsbG8=", "aGV+bG8", "aGV/bG8",  "a",
	                     "aGVsbG9",  "aG Vs",   "aGVsbG8\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		out = NULL;
		CHECK(cds__base64url_decode(bad[i], strlen(bad[i]), &out, &len) ==
		              FHIR_ERR_SYNTAX &&
		          !out,
		      "refuses '%s'", bad[i]);
	}
}

static void test_parse(const struct testkey *key)
{
	struct cds__jwt jwt;
	struct fhir_error err;
	char *h = testjwt_header(key, NULL);
	char *p = testjwt_payload("https://iss.example", "\"https://aud.example\"", 0, 300, "j1");
	char *t = testjwt_sign(key, h, p);
	CHECK(cds__jwt_parse(t, strlen(t), &jwt, &err) == FHIR_OK, "parses: %s", err.message);
	CHECK(jwt.alg == CDS__ALG_ES384 && jwt.kid && strcmp(jwt.kid, key->kid) == 0 && jwt.typ &&
	          strcmp(jwt.typ, "JWT") == 0 && !jwt.jku,
	      "header fields");
	CHECK(jwt.iss && strcmp(jwt.iss, "https://iss.example") == 0 && jwt.jti &&
	          strcmp(jwt.jti, "j1") == 0 && jwt.has_exp && jwt.has_iat &&
	          cJSON_IsString(jwt.aud),
	      "payload fields");
	CHECK(jwt.signature_length == 96, "ES384 raw signature is 96 bytes: %zu",
	      jwt.signature_length);
	cds__jwt_clear(&jwt);

	/* Malformed shapes. */
	char *hb = testjwt_b64url(h, strlen(h)), *pb = testjwt_b64url(p, strlen(p));
	char *arr = testjwt_b64url("[1]", 3), *junk = testjwt_b64url("{\"a\":", 5);
	char buf[4096];
	const char *cases[] = {"", "a", "a.b", "a.b.c.d", "..", NULL, NULL, NULL, NULL};
	snprintf(buf, sizeof buf, "%s.%s", hb, pb);
	cases[5] = strdup(buf); /* two parts */
	snprintf(buf, sizeof buf, "%s.%s.%s", arr, pb, "AA");
	cases[6] = strdup(buf); /* header not an object */
	snprintf(buf, sizeof buf, "%s.%s.%s", hb, junk, "AA");
	cases[7] = strdup(buf); /* payload not JSON */
	snprintf(buf, sizeof buf, "%s.%s.%s", hb, pb, "A*A");
	cases[8] = strdup(buf); /* signature not base64url */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(cds__jwt_parse(cases[i], strlen(cases[i]), &jwt, &err) == FHIR_ERR_SYNTAX,
		      "malformed case %zu refused", i);
		CHECK(!jwt.header && !jwt.payload && !jwt.signature, "case %zu leaves nothing", i);
	}
	for (size_t i = 5; i < 9; i++)
		free((char *)cases[i]);
	/* Oversized token. */
	char *big = malloc(CDS__JWT_MAX_BYTES + 2);
	memset(big, 'A', CDS__JWT_MAX_BYTES + 1);
	big[CDS__JWT_MAX_BYTES + 1] = '\0';
	CHECK(cds__jwt_parse(big, strlen(big), &jwt, &err) == FHIR_ERR_SYNTAX, "oversized");
	free(big);
	/* alg none and HS256 parse but have no algorithm bit. */
	const char *h_none = "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"k\"}";
	char *tn = testjwt_sign(NULL, h_none, p);
	CHECK(cds__jwt_parse(tn, strlen(tn), &jwt, &err) == FHIR_OK && jwt.alg == 0,
	      "alg none has no algorithm bit");
	cds__jwt_clear(&jwt);
	CHECK(cds__jwt_alg("HS256") == 0 && cds__jwt_alg("none") == 0 && cds__jwt_alg(NULL) == 0,
	      "HMAC and none are never algorithms");
	free(tn);
	free(hb);
	free(pb);
	free(arr);
	free(junk);
	free(h);
	free(p);
	free(t);
}

/* Signs with `key`, verifies with the JWKS made of `verify_with`; want 1 = verifies. */
static void sign_verify(const struct testkey *key, const struct testkey *verify_with, int want,
                        const char *what)
{
	struct fhir_error err = {{0}, {0}};
	const struct testkey *list[] = {verify_with};
	char *jwks_text = testkey_jwks(list, 1);
	struct cds__jwks *jwks = NULL;
	struct cds__jwt jwt;
	char *h = testjwt_header(key, NULL);
	char *p = testjwt_payload("https://iss.example", "\"https://aud.example\"", 0, 300, "j");
	char *t = testjwt_sign(key, h, p);
	CHECK(cds__jwks_parse(jwks_text, strlen(jwks_text), &jwks, &err) == FHIR_OK &&
	          jwks->count == 1,
	      "%s: JWKS parses: %s", what, err.message);
	CHECK(cds__jwt_parse(t, strlen(t), &jwt, &err) == FHIR_OK, "%s: parses", what);
	if (jwks && jwks->count == 1) {
		int rc = cds__jwt_verify(&jwt, &jwks->keys[0], &err);
		CHECK((rc == FHIR_OK) == want, "%s: verify rc %d (%s)", what, rc, err.message);
		if (want && rc == FHIR_OK) { /* flip one signature bit */
			jwt.signature[jwt.signature_length / 2] ^= 1;
			CHECK(cds__jwt_verify(&jwt, &jwks->keys[0], &err) != FHIR_OK,
			      "%s: a flipped signature bit fails", what);
			jwt.signature[jwt.signature_length / 2] ^= 1;
			jwt.signing_input[5] ^= 1; /* tamper with the header */
			CHECK(cds__jwt_verify(&jwt, &jwks->keys[0], &err) != FHIR_OK,
			      "%s: a tampered header fails", what);
		}
	}
	cds__jwt_clear(&jwt);
	cds__jwks_free(jwks);
	free(jwks_text);
	free(h);
	free(p);
	free(t);
}

static void test_jwks_parse(void)
{
	struct fhir_error err;
	struct cds__jwks *jwks = NULL;
	const char *skipped = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"h\"},"
	                      "{\"kty\":\"EC\",\"crv\":\"P-384\",\"use\":\"enc\",\"kid\":\"e\"},"
	                      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\",\"kid\":\"o\"}]}";
	CHECK(cds__jwks_parse(skipped, strlen(skipped), &jwks, &err) == FHIR_OK && jwks->count == 0,
	      "symmetric, encryption and OKP keys are skipped");
	cds__jwks_free(jwks);
	const char *bad[] = {
	    "[]",
	    "{\"keys\":{}}",
	    "not json",
	    /* off-curve P-256 point (x = y = 1) */
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"a\","
	    "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\","
	    "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}",
	    /* short coordinates */
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"a\",\"x\":\"AQ\",\"y\":\"AQ\"}]"
	    "}",
	    /* 512-bit RSA */
	    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"e\":\"AQAB\",\"n\":"
	    "\"wf-wiusGhA-"
	    "gleZYQAOPQlNUIucPiqXdPVyieDqQbXXOPBe3nuggtVzeq7pVFH1dZz4dY2Q2LA5DaegvP8kRvQ\"}]}",
	    /* unsupported curve */
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-521\",\"kid\":\"a\",\"x\":\"AQ\",\"y\":\"AQ\"}]"
	    "}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		jwks = NULL;
		CHECK(cds__jwks_parse(bad[i], strlen(bad[i]), &jwks, &err) != FHIR_OK && !jwks,
		      "bad JWKS %zu refused", i);
	}
	/* The published Sandbox JWKS (EC P-384, ES384) parses. */
	const char *src = getenv("CDS_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/fixtures/sandbox-jwks.json", src ? src : ".");
	size_t len = 0;
	char *text = testkit_read(path, &len);
	CHECK(text != NULL, "read %s", path);
	if (text) {
		jwks = NULL;
		CHECK(cds__jwks_parse(text, len, &jwks, &err) == FHIR_OK && jwks->count >= 1 &&
		          (jwks->keys[0].algs & CDS__ALG_ES384),
		      "the Sandbox JWKS gives an ES384 key: %s", err.message);
		cds__jwks_free(jwks);
		free(text);
	}
}

int main(void)
{
	struct testkey es384, es384b, es256, rs384, rs256, ps384;
	testkey_generate(&es384, "ES384", "es384");
	testkey_generate(&es384b, "ES384", "es384");
	testkey_generate(&es256, "ES256", "es256");
	testkey_generate(&rs384, "RS384", "rs384");
	testkey_generate(&rs256, "RS256", "rs256");
	testkey_generate(&ps384, "PS384", "ps384");
	CHECK(es384.pkey && es384b.pkey && es256.pkey && rs384.pkey && rs256.pkey && ps384.pkey,
	      "test keys generated");
	test_base64url();
	test_parse(&es384);
	test_jwks_parse();
	sign_verify(&es384, &es384, 1, "ES384");
	sign_verify(&es256, &es256, 1, "ES256");
	sign_verify(&rs384, &rs384, 1, "RS384");
	sign_verify(&rs256, &rs256, 1, "RS256");
	sign_verify(&ps384, &ps384, 1, "PS384");
	sign_verify(&es384, &es384b, 0, "ES384 with another key of the same kid");
	sign_verify(&es256, &es384, 0, "ES256 token, P-384 key");
	/* an RS384 token checked against the same RSA key published for PS384 only */
	struct testkey ps_as_rs = rs384;
	snprintf(ps_as_rs.alg, sizeof ps_as_rs.alg, "PS384");
	sign_verify(&rs384, &ps_as_rs, 1, "RSA JWK without alg verifies RS384");
	testkey_free(&es384);
	testkey_free(&es384b);
	testkey_free(&es256);
	testkey_free(&rs384);
	testkey_free(&rs256);
	testkey_free(&ps384);
	return testkit_done();
}
