/* testjwt.h — test-only JWT tooling: signing keys generated at test time with OpenSSL (EC P-256,
 * P-384, RSA 2048), their public JWKs, and compact JWS signing with any header and payload text
 * (so tests can forge alg none, HS256, bad signatures). Never used by the server; no key ever
 * leaves the test process. */
#ifndef CDS_TESTJWT_H
#define CDS_TESTJWT_H

#include <stddef.h>

#include <openssl/evp.h>

/* A generated key pair. */
struct testkey {
	EVP_PKEY *pkey; /* NEW: testkey_free */
	char alg[8];    /* "ES384", "ES256", "RS384", "RS256", "PS384" */
	char kid[64];
};

/* Generates a fresh key for `alg` (EC P-256 / P-384, RSA 2048). Returns 0 or -1. */
int testkey_generate(struct testkey *key, const char *alg, const char *kid);
void testkey_free(struct testkey *key);
/* NEW JSON text of the public JWK {"kty",...,"kid","use":"sig"} (free()). */
char *testkey_jwk(const struct testkey *key);
/* NEW JSON text {"keys":[...]} of the keys' public JWKs (free()). */
char *testkey_jwks(const struct testkey *const *keys, size_t count);
/* Writes testkey_jwks(keys, count) to path (created or truncated), as the JWKS file of an
 * issuer (`serve --issuer ISS=PATH`). 0, or -1. */
int testkey_write_jwks(const struct testkey *const *keys, size_t count, const char *path);
/* The files `serve` replicas share, in the folder dir: generates *key (ES384, kid `kid`; free with
 * testkey_free, also after a failure), writes its JWKS to DIR/jwks.json (for --issuer ISS=...) and
 * 32 random bytes to the new file DIR/patient.key (mode 0600; for --patient-key). 0, or -1 with
 * what failed on stderr. */
int testkey_replica_files(struct testkey *key, const char *kid, const char *dir);
/* NEW base64url (no padding) of data (free()). */
char *testjwt_b64url(const void *data, size_t length);
/* NEW compact JWS: b64url(header) "." b64url(payload) "." signature by `key` with key->alg
 * (key NULL: an empty signature). header and payload are used byte for byte. */
char *testjwt_sign(const struct testkey *key, const char *header, const char *payload);
/* NEW standard CDS Hooks header {"alg","typ":"JWT","kid"} plus jku when not NULL. */
char *testjwt_header(const struct testkey *key, const char *jku);
/* NEW payload {"iss","aud","exp","iat","jti"} with exp = now + exp_offset, iat = now + iat_offset;
 * aud_json is raw JSON (a quoted string or an array). */
char *testjwt_payload(const char *iss, const char *aud_json, long iat_offset, long exp_offset,
                      const char *jti);
/* NEW compact JWS signed by `key`: testjwt_header(key, jku) and testjwt_payload(iss, aud_json,
 * iat_offset, exp_offset, jti) — a token as a CDS client sends it (free()). */
char *testjwt_token(const struct testkey *key, const char *jku, const char *iss,
                    const char *aud_json, long iat_offset, long exp_offset, const char *jti);

#endif
