/* test_jwt.c — the JWT core without HTTP: strict base64url, compact JWS parsing (malformed
 * shapes, member names given twice at any depth, nbf), JWK Set parsing (EC P-256/P-384, RSA;
 * refused: small RSA, off-curve points, symmetric keys skipped) and signature verification for
 * ES256, ES384 (raw r||s), RS256, RS384 and PS384 with keys generated at test time; a tampered
 * token, a wrong key and an alg/key mismatch fail. The jti replay cache (replay.c): replay, the
 * bound, the file across a reopen and across a killed process, expiry and compaction, a torn
 * last line, malformed files and a second user of the same file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* Parses header.payload (JSON texts) signed by key; returns the parse status. */
static int parse_texts(const struct testkey *key, const char *header, const char *payload,
                       struct cds__jwt *jwt)
{
	struct fhir_error err = {{0}, {0}};
	char *t = testjwt_sign(key, header, payload);
	int rc = cds__jwt_parse(t, strlen(t), jwt, &err);
	free(t);
	return rc;
}

/* RFC 7515 §4 / RFC 7519 §4: a member name twice, anywhere, is malformed (cJSON keeps both and
 * its lookups return the first). The same names in different objects are fine. */
static void test_duplicates(const struct testkey *key)
{
	struct cds__jwt jwt;
	char *h = testjwt_header(key, NULL);
	char *p = testjwt_payload("https://iss.example", "\"https://aud.example\"", 0, 300, "j");
	CHECK(parse_texts(key, h, p, &jwt) == FHIR_OK, "the plain token parses");
	cds__jwt_clear(&jwt);
	static const char *const headers[] = {
	    "{\"alg\":\"ES384\",\"typ\":\"JWT\",\"kid\":\"a\",\"kid\":\"b\"}",
	    "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"a\",\"alg\":\"ES384\"}",
	    "{\"alg\":\"ES384\",\"typ\":\"JWT\",\"kid\":\"a\",\"\\u006bid\":\"b\"}",
	    "{\"alg\":\"ES384\",\"typ\":\"JWT\",\"kid\":\"a\",\"x\":{\"y\":1,\"y\":2}}",
	};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		CHECK(parse_texts(key, headers[i], p, &jwt) == FHIR_ERR_SYNTAX && !jwt.header,
		      "header with a name twice refused: %s", headers[i]);
		cds__jwt_clear(&jwt);
	}
	static const char *const payloads[] = {
	    "{\"iss\":\"https://iss.example\",\"iss\":\"https://other.example\"}",
	    "{\"exp\":1,\"iat\":0,\"exp\":99999999999}",
	    "{\"jti\":\"a\",\"\\u006a\\u0074i\":\"b\"}",               /* the same name, escaped */
	    "{\"aud\":[{\"a\":1,\"b\":{\"c\":[{\"d\":1,\"d\":1}]}}]}", /* deep in an array */
	    ("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
	     "\"j\":10,\"a\":11}"), /* far apart */
	};
	for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
		CHECK(parse_texts(key, h, payloads[i], &jwt) == FHIR_ERR_SYNTAX && !jwt.payload,
		      "payload with a name twice refused: %s", payloads[i]);
		cds__jwt_clear(&jwt);
	}
	const char *fine = "{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}],\"A\":1}";
	CHECK(parse_texts(key, h, fine, &jwt) == FHIR_OK,
	      "one name in several objects, and names differing in case, are no duplicates");
	cds__jwt_clear(&jwt);
	free(h);
	free(p);
}

/* RFC 7519 §4.1.5 nbf: read when a number, malformed otherwise; non-finite times are absent. */
static void test_nbf(const struct testkey *key)
{
	struct cds__jwt jwt;
	char *h = testjwt_header(key, NULL);
	CHECK(parse_texts(key, h, "{\"nbf\":1700000000.5}", &jwt) == FHIR_OK && jwt.has_nbf &&
	          jwt.nbf == 1700000000.5,
	      "nbf read");
	cds__jwt_clear(&jwt);
	CHECK(parse_texts(key, h, "{\"iat\":1}", &jwt) == FHIR_OK && !jwt.has_nbf,
	      "no nbf: has_nbf 0");
	cds__jwt_clear(&jwt);
	const char *bad[] = {"{\"nbf\":\"1700000000\"}", "{\"nbf\":null}", "{\"nbf\":1e999}",
	                     "{\"nbf\":[1]}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(parse_texts(key, h, bad[i], &jwt) == FHIR_ERR_SYNTAX, "refused: %s", bad[i]);
		cds__jwt_clear(&jwt);
	}
	CHECK(parse_texts(key, h, "{\"exp\":1e999,\"iat\":-1e999}", &jwt) == FHIR_OK &&
	          !jwt.has_exp && !jwt.has_iat,
	      "infinite exp and iat are not NumericDates (the token then lacks them)");
	cds__jwt_clear(&jwt);
	free(h);
}

/* ---- the jti replay cache (replay.c) ------------------------------------------------------ */

static char tmpdir[64];

static size_t count_lines(const char *path)
{
	size_t len = 0, n = 0;
	char *text = testkit_read(path, &len);
	for (size_t i = 0; text && i < len; i++)
		n += text[i] == '\n';
	free(text);
	return n;
}

static void write_text(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_replay_memory(void)
{
	struct cds__replay *r = NULL;
	struct fhir_error err = {{0}, {0}};
	time_t now = 1800000000;
	CHECK(cds__replay_open(NULL, 16, now, &r, &err) == FHIR_OK, "memory-only cache");
	if (!r)
		return;
	CHECK(cds__replay_remember(r, "https://a", "j1", now + 60, now) == CDS__AUTH_OK,
	      "first use");
	CHECK(cds__replay_remember(r, "https://a", "j1", now + 60, now + 30) == CDS__AUTH_REPLAY,
	      "second use");
	CHECK(cds__replay_remember(r, "https://b", "j1", now + 60, now) == CDS__AUTH_OK,
	      "the same jti from another issuer");
	CHECK(cds__replay_remember(r, "https://a\nj", "1", now + 60, now) == CDS__AUTH_OK &&
	          cds__replay_remember(r, "https://a", "\nj1", now + 60, now) == CDS__AUTH_OK,
	      "(iss, jti) pairs are not confused by where they split");
	for (int i = 0; i < 12; i++) {
		char jti[16];
		snprintf(jti, sizeof jti, "fill%d", i);
		CHECK(cds__replay_remember(r, "https://a", jti, now + 10, now) == CDS__AUTH_OK,
		      "fill %d", i);
	}
	CHECK(cds__replay_remember(r, "https://a", "more", now + 60, now) == CDS__AUTH_BUSY,
	      "full of live tokens: busy (fail closed)");
	CHECK(cds__replay_remember(r, "https://a", "more", now + 60, now + 20) == CDS__AUTH_OK,
	      "expired entries make room");
	CHECK(cds__replay_remember(r, "https://a", "j1", now + 200, now + 61) == CDS__AUTH_OK,
	      "an expired jti may be used again (its token is refused as expired anyway)");
	cds__replay_free(r);
}

static void test_replay_file(void)
{
	char path[128], tmp[160];
	struct fhir_error err = {{0}, {0}};
	struct cds__replay *r = NULL, *r2 = NULL;
	time_t now = time(NULL);
	snprintf(path, sizeof path, "%s/replay.log", tmpdir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);

	CHECK(cds__replay_open(path, 100, now, &r, &err) == FHIR_OK, "open: %s", err.message);
	CHECK(cds__replay_remember(r, "https://a", "long", now + 300, now) == CDS__AUTH_OK &&
	          cds__replay_remember(r, "https://a", "short", now + 5, now) == CDS__AUTH_OK,
	      "two tokens accepted");
	CHECK(count_lines(path) == 3, "header and two records on disk before the answer (%zu)",
	      count_lines(path));
	CHECK(cds__replay_open(path, 100, now, &r2, &err) == FHIR_ERR_IO && !r2 &&
	          strstr(err.message, "in use"),
	      "a second user of the file is refused: %s", err.message);
	char *text = testkit_read(path, NULL);
	CHECK(text && strncmp(text, "cds-replay-cache 1\n", 19) == 0 && !strstr(text, "long") &&
	          !strstr(text, "https"),
	      "the file holds digests, not claims: %.200s", text ? text : "");
	free(text);
	cds__replay_free(r);
	r = NULL;

	/* Reopened (a restart): both are remembered. */
	CHECK(cds__replay_open(path, 100, now, &r, &err) == FHIR_OK && cds__replay_count(r) == 2,
	      "reopened with both: %s", err.message);
	CHECK(r && cds__replay_remember(r, "https://a", "long", now + 300, now) == CDS__AUTH_REPLAY,
	      "a token accepted before the restart is a replay after it");
	cds__replay_free(r);
	r = NULL;

	/* A crash mid-append leaves a torn last line: ignored. */
	write_text(path, "1800000000 0123456789abcdef", "a");
	CHECK(cds__replay_open(path, 100, now + 10, &r, &err) == FHIR_OK, "torn tail: %s",
	      err.message);
	CHECK(r && cds__replay_count(r) == 1 &&
	          cds__replay_remember(r, "https://a", "long", now + 300, now + 10) ==
	              CDS__AUTH_REPLAY,
	      "after the torn line: the short one expired and was dropped, the long one kept");
	CHECK(count_lines(path) == 2 && access(tmp, F_OK) != 0,
	      "compacted by rename at open: header + 1 record, no temporary left (%zu lines)",
	      count_lines(path));
	cds__replay_free(r);
	r = NULL;

	/* A process killed right after accepting (no cleanup at all) loses nothing. */
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct cds__replay *c = NULL;
		struct fhir_error e;
		if (cds__replay_open(path, 100, now, &c, &e) == FHIR_OK &&
		    cds__replay_remember(c, "https://a", "killed", now + 300, now) == CDS__AUTH_OK)
			kill(getpid(), SIGKILL);
		_exit(3);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the child was killed (%d)",
	      status);
	CHECK(cds__replay_open(path, 100, now, &r, &err) == FHIR_OK &&
	          cds__replay_remember(r, "https://a", "killed", now + 300, now) ==
	              CDS__AUTH_REPLAY,
	      "a token accepted by a killed process is a replay: %s", err.message);
	cds__replay_free(r);
	r = NULL;

	/* Compaction while running: expired records do not pile up in the file. */
	CHECK(cds__replay_open(path, 16, now, &r, &err) == FHIR_OK, "reopen");
	int ok = 1;
	for (int i = 0; r && i < 1100; i++) {
		char jti[16];
		snprintf(jti, sizeof jti, "c%d", i);
		ok &=
		    cds__replay_remember(r, "https://a", jti, now + i + 1, now + i) == CDS__AUTH_OK;
	}
	CHECK(ok, "1100 short-lived tokens accepted one after another");
	CHECK(count_lines(path) < 200, "compacted while running: %zu lines", count_lines(path));
	CHECK(r && cds__replay_remember(r, "https://a", "c1099", now + 2000, now + 1099) ==
	               CDS__AUTH_REPLAY,
	      "the newest is still remembered after compaction");
	cds__replay_free(r);
	r = NULL;

	/* Not ours, or damaged: refused at open, and left as found. */
	struct {
		const char *text, *want;
	} bad[] = {
	    {"hello\n", "not a replay cache"},
	    {"hello", "not a replay cache"},
	    {"cds-replay-cache 1\nnot a record\n1800000000 "
	     "00000000000000000000000000000000000000000000000000000000000000\n",
	     ":2"},
	    {"cds-replay-cache 1\n1800000000 00\n\n", ":2"},
	    {"cds-replay-cache 1\n-5 "
	     "0000000000000000000000000000000000000000000000000000000000000000\n"
	     "x\n",
	     ":2"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_text(path, bad[i].text, "w");
		r = NULL;
		CHECK(cds__replay_open(path, 100, now, &r, &err) == FHIR_ERR_IO && !r &&
		          (strstr(err.message, bad[i].want) || strstr(err.where, bad[i].want)),
		      "bad file %zu refused: %s %s", i, err.where, err.message);
		text = testkit_read(path, NULL);
		CHECK(text && strcmp(text, bad[i].text) == 0, "bad file %zu left as found", i);
		free(text);
	}
	/* A file cut inside its first line (a crash while creating it) is an empty cache. */
	write_text(path, "cds-repl", "w");
	CHECK(cds__replay_open(path, 100, now, &r, &err) == FHIR_OK && cds__replay_count(r) == 0,
	      "a torn header is an empty cache: %s", err.message);
	cds__replay_free(r);
	snprintf(tmp, sizeof tmp, "%s/no-such-dir/replay.log", tmpdir);
	r = NULL;
	CHECK(cds__replay_open(tmp, 100, now, &r, &err) == FHIR_ERR_IO && !r &&
	          strstr(err.where, "no-such-dir"),
	      "an unwritable place is refused at start: %s", err.message);
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
	test_duplicates(&es384);
	test_nbf(&es384);
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cds-jwt-test-XXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL, "temporary folder");
	test_replay_memory();
	test_replay_file();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	CHECK(system(cmd) == 0, "remove %s", tmpdir);
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
