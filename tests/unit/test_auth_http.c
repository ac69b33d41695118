/* test_auth_http.c — trust over HTTP, end to end, on 127.0.0.1 only: the CDS Hooks 2.0 §Trusting
 * CDS Clients negative matrix (no token, alg none, HS256, expired, iat or nbf in the future, wrong
 * aud, aud array, unknown kid, bad signature, unknown iss, a member name twice in the header or the
 * claims, replayed jti, a replayed jti after a server restart, disallowed jku) with ES384
 * and RS384 keys generated at test time and JWKS served by a loopback libmicrohttpd server; JWKS
 * refresh rate limiting and key rotation; a slow JWKS that must not block another issuer; CORS;
 * the public URL; a slow client; overload (503 + Retry-After, then recovery); connection and
 * header limits; TLS >= 1.2; fhir_http_get's https, CA and size checks; and that neither tokens
 * nor fhirAuthorization.access_token reach the logs. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "cds_internal.h"
#include "fhirauth.h"
#include "testjwt.h"
#include "httpclient.h"
#include "testkit.h"
#include "testnet.h"
#include "testtls.h"

/* Collects configuration errors (engine_reporter) for the config-file tests. */
struct config_errors {
	size_t count;
	char file[512], pointers[3][128];
};
static void collect_config_error(void *ctx, const char *file, const char *pointer,
                                 const char *message)
{
	struct config_errors *c = ctx;
	(void)message;
	if (c->count < 3)
		snprintf(c->pointers[c->count], sizeof c->pointers[0], "%s", pointer);
	snprintf(c->file, sizeof c->file, "%s", file);
	c->count++;
}

#define ISS_A  "https://ehr-a.example"
#define ISS_B  "https://ehr-b.example"
#define ISS_C  "https://ehr-c.example"
#define ISS_D  "https://ehr-d.example"
#define SELECT "/cds-services/commissioning-order-select"
#define ORIGIN "https://sandbox.cds-hooks.org"
#define SECRET "SECRET-ACCESS-TOKEN-must-never-be-logged-7f3a"

static char tmpdir[256];
static char *tokens[256]; /* every token sent, to check none reaches the log */
static size_t token_count;

/* ---- the JWKS test server ------------------------------------------------------------------ */

static struct {
	pthread_mutex_t mutex;
	char *jwks_a, *jku_a, *jwks_c; /* served bodies */
	int hits_a, hits_jku, hits_evil, hits_c, hits_slow;
	int hold_slow;      /* 1: /slow waits for slow_release */
	sem_t slow_release; /* /slow answers once posted */
	unsigned port;
} js = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, {{0}}, 0};

static enum MHD_Result jwks_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **state)
{
	(void)cls, (void)method, (void)version, (void)upload, (void)upload_size;
	if (!*state) {
		*state = (void *)1;
		return MHD_YES;
	}
	char *body = NULL;
	unsigned status = 200;
	if (strcmp(url, "/slow") == 0) {
		pthread_mutex_lock(&js.mutex);
		int hold = js.hold_slow;
		if (hold)
			js.hits_slow++;
		pthread_mutex_unlock(&js.mutex);
		if (hold)
			sem_wait(&js.slow_release); /* hold the fetch until the test says so */
		body = strdup("{\"keys\":[]}");
	} else {
		pthread_mutex_lock(&js.mutex);
		if (strcmp(url, "/jwks") == 0)
			js.hits_a++, body = strdup(js.jwks_a);
		else if (strcmp(url, "/jku") == 0)
			js.hits_jku++, body = strdup(js.jku_a);
		else if (strcmp(url, "/jwks-c") == 0)
			js.hits_c++, body = strdup(js.jwks_c);
		else if (strcmp(url, "/evil") == 0)
			js.hits_evil++, body = strdup(js.jku_a);
		else if (strcmp(url, "/big") == 0) {
			body = malloc(300000);
			memset(body, ' ', 299999);
			body[299999] = '\0';
		} else
			status = 404, body = strdup("{}");
		pthread_mutex_unlock(&js.mutex);
	}
	struct MHD_Response *r =
	    MHD_create_response_from_buffer_with_free_callback(strlen(body), body, &free);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static struct MHD_Daemon *jwks_start(const char *cert, const char *key, unsigned *port)
{
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d;
	if (cert)
		d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, jwks_answer, NULL,
		                     MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_HTTPS_MEM_CERT, cert,
		                     MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, jwks_answer, NULL, MHD_OPTION_SOCK_ADDR,
		                     &a, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	    d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	*port = info ? info->port : 0;
	return d;
}

/* ---- HTTP client ----------------------------------------------------------------------------- */

struct http {
	long status;
	char *body;
	size_t length;
	char www_auth[256], acao[256], retry_after[32], vary[64], acam[64], acah[64];
	int curl_rc;
};

/* One request. token NULL: no Authorization; origin NULL: no Origin; ca: TLS trust. */
static void perform(const char *base, const char *method, const char *path, const char *token,
                    const char *origin, const char *body, const char *ca, struct http *h)
{
	char url[512], auth[20000], org[300];
	const char *headers[4] = {"Content-Type: application/json"};
	size_t n = 1;
	memset(h, 0, sizeof *h);
	snprintf(url, sizeof url, "%s%s", base, path);
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		headers[n++] = auth;
		if (token_count < sizeof tokens / sizeof tokens[0])
			tokens[token_count++] = strdup(token);
	}
	if (origin) {
		snprintf(org, sizeof org, "Origin: %s", origin);
		headers[n++] = org;
	}
	struct httptest_request rq = {method, url, headers, body, ca, 60};
	struct httptest_response rs;
	h->curl_rc = httptest_perform(&rq, &rs);
	h->status = rs.status;
	h->body = rs.body;
	h->length = rs.length;
	rs.body = NULL; /* h owns it now */
	httptest_response_header(&rs, "WWW-Authenticate", h->www_auth, sizeof h->www_auth);
	httptest_response_header(&rs, "Access-Control-Allow-Origin", h->acao, sizeof h->acao);
	httptest_response_header(&rs, "Access-Control-Allow-Methods", h->acam, sizeof h->acam);
	httptest_response_header(&rs, "Access-Control-Allow-Headers", h->acah, sizeof h->acah);
	httptest_response_header(&rs, "Retry-After", h->retry_after, sizeof h->retry_after);
	httptest_response_header(&rs, "Vary", h->vary, sizeof h->vary);
	httptest_response_clear(&rs);
}

static void http_clear(struct http *h)
{
	free(h->body);
	h->body = NULL;
}

/* ---- the server under test --------------------------------------------------------------- */

static char base_url[128];
static char *request_body; /* the UK order-select example */
static struct testkey es_a, es_a_other, rs_b, es_jku, es_c1, es_c2, es_256;

static char *token_for(const struct testkey *k, const char *iss, const char *aud_json, long iat,
                       long exp, const char *jti, const char *jku)
{
	return testjwt_token(k, jku, iss, aud_json, iat, exp, jti);
}

static char *aud_for(const char *path)
{
	static char buf[512];
	snprintf(buf, sizeof buf, "\"%s%s\"", base_url, path);
	return buf;
}

/* Expects a 401 naming `reason` with the RFC 6750 header, CORS, and no echo of the token. */
static void expect_401(const struct http *h, const char *token, const char *reason,
                       const char *what)
{
	CHECK(h->status == 401, "%s: status %ld, want 401: %s", what, h->status,
	      h->body ? h->body : "");
	CHECK(strncmp(h->www_auth, "Bearer error=\"invalid_token\"", 28) == 0,
	      "%s: WWW-Authenticate '%s'", what, h->www_auth);
	cJSON *doc = h->body ? cJSON_Parse(h->body) : NULL;
	const cJSON *issue = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "issue"), 0);
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(issue, "details"), "text");
	CHECK(cJSON_IsString(text) && strcmp(text->valuestring, reason) == 0,
	      "%s: reason class '%s' expected in %s", what, reason, h->body ? h->body : "");
	cJSON_Delete(doc);
	if (token && strlen(token) > 20 && h->body) {
		const char *sig = strrchr(token, '.');
		CHECK(!strstr(h->body, token) &&
		          (!sig || strlen(sig) < 8 || !strstr(h->body, sig + 1)),
		      "%s: the body echoes the token", what);
	}
	CHECK(strcmp(h->acao, ORIGIN) == 0, "%s: CORS on the 401: '%s'", what, h->acao);
}

static void call_expect(const char *path, const char *token, long status, const char *reason,
                        const char *what)
{
	struct http h;
	perform(base_url, "POST", path, token, ORIGIN, request_body, NULL, &h);
	if (status == 401)
		expect_401(&h, token, reason, what);
	else
		CHECK(h.status == status, "%s: status %ld, want %ld: %.300s", what, h.status,
		      status, h.body ? h.body : "");
	http_clear(&h);
}

static void test_matrix(void)
{
	char *t;
	long now_ok_iat = 0, now_ok_exp = 300;
	char aud[512];
	snprintf(aud, sizeof aud, "%s", aud_for(SELECT));

	/* A1, A10: a valid ES384 token from issuer A (JWKS by URL), no jku. */
	t = token_for(&es_a, ISS_A, aud, now_ok_iat, now_ok_exp, "a1", NULL);
	call_expect(SELECT, t, 200, NULL, "A1 valid ES384");
	free(t);
	/* A2: RS384 from issuer B (JWKS file). */
	t = token_for(&rs_b, ISS_B, aud, 0, 300, "b1", NULL);
	call_expect(SELECT, t, 200, NULL, "A2 valid RS384");
	free(t);
	/* A3: aud as a one-element array; an array without the URL fails. */
	char arr[600];
	snprintf(arr, sizeof arr, "[%s]", aud);
	t = token_for(&es_a, ISS_A, arr, 0, 300, "a3", NULL);
	call_expect(SELECT, t, 200, NULL, "A3 aud array");
	free(t);
	t = token_for(&es_a, ISS_A, "[\"https://elsewhere.example/cds-services/x\"]", 0, 300, "a3b",
	              NULL);
	call_expect(SELECT, t, 401, "wrong audience", "aud array without this URL");
	free(t);
	/* no token */
	call_expect(SELECT, NULL, 401, "missing token", "no token");
	/* A4: alg none */
	char *p = testjwt_payload(ISS_A, aud, 0, 300, "a4");
	t = testjwt_sign(NULL, "{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"es-a\"}", p);
	call_expect(SELECT, t, 401, "algorithm not allowed", "A4 alg none");
	free(t);
	/* A5: HS256 (an HMAC over the text with the public JWKS as secret: key confusion) */
	t = testjwt_sign(NULL, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"es-a\"}", p);
	char *forged = malloc(strlen(t) + 50);
	snprintf(forged, strlen(t) + 50, "%sc2lnbmF0dXJl", t);
	call_expect(SELECT, forged, 401, "algorithm not allowed", "A5 HS256");
	free(forged);
	free(t);
	free(p);
	/* ES256 is not enabled by default (only when configured). */
	t = token_for(&es_256, ISS_A, aud, 0, 300, "a5b", NULL);
	call_expect(SELECT, t, 401, "algorithm not allowed", "ES256 not configured");
	free(t);
	/* A6: expired (beyond the 60 s skew); inside the skew still accepted. */
	t = token_for(&es_a, ISS_A, aud, -600, -120, "a6", NULL);
	call_expect(SELECT, t, 401, "expired", "A6 expired");
	free(t);
	t = token_for(&es_a, ISS_A, aud, -300, -10, "a6b", NULL);
	call_expect(SELECT, t, 200, NULL, "exp 10 s ago is within the 60 s skew");
	free(t);
	/* iat in the future (beyond the skew) */
	t = token_for(&es_a, ISS_A, aud, 600, 900, "a6c", NULL);
	call_expect(SELECT, t, 401, "not yet valid", "iat in the future");
	free(t);
	/* lifetime over the cap */
	t = token_for(&es_a, ISS_A, aud, 0, 7200, "a6d", NULL);
	call_expect(SELECT, t, 401, "lifetime too long", "lifetime over maxTokenLifetimeSeconds");
	free(t);
	/* A7: wrong aud (the other service) */
	t = token_for(&es_a, ISS_A, aud_for("/cds-services/commissioning-order-sign"), 0, 300, "a7",
	              NULL);
	call_expect(SELECT, t, 401, "wrong audience", "A7 wrong aud");
	free(t);
	/* A8: bad signature (another key under the same kid), unknown kid */
	t = token_for(&es_a_other, ISS_A, aud, 0, 300, "a8", NULL);
	call_expect(SELECT, t, 401, "bad signature", "A8 bad signature");
	free(t);
	struct testkey unknown = es_a;
	snprintf(unknown.kid, sizeof unknown.kid, "no-such-kid");
	t = token_for(&unknown, ISS_A, aud, 0, 300, "a8b", NULL);
	call_expect(SELECT, t, 401, "unknown key", "A8 unknown kid");
	free(t);
	/* A9: unknown iss; jku not allow-listed (and never fetched); an allow-listed jku is used */
	t = token_for(&es_a, "https://stranger.example", aud, 0, 300, "a9", NULL);
	call_expect(SELECT, t, 401, "unknown issuer", "A9 unknown iss");
	free(t);
	char evil[128], good[128];
	snprintf(evil, sizeof evil, "http://127.0.0.1:%u/evil", js.port);
	snprintf(good, sizeof good, "http://127.0.0.1:%u/jku", js.port);
	t = token_for(&es_jku, ISS_A, aud, 0, 300, "a9b", evil);
	call_expect(SELECT, t, 401, "jku not allowed", "A9 disallowed jku");
	free(t);
	CHECK(js.hits_evil == 0, "a disallowed jku is never fetched (%d fetches)", js.hits_evil);
	t = token_for(&es_jku, ISS_A, aud, 0, 300, "a9c", good);
	call_expect(SELECT, t, 200, NULL, "allow-listed jku: key from the jku JWKS");
	free(t);
	CHECK(js.hits_jku == 1, "the allow-listed jku was fetched once (%d)", js.hits_jku);
	/* A11: missing typ / kid / iat / jti */
	const char *missing[] = {
	    "{\"alg\":\"ES384\",\"kid\":\"es-a\"}",
	    "{\"alg\":\"ES384\",\"typ\":\"JWT\"}",
	};
	for (size_t i = 0; i < 2; i++) {
		p = testjwt_payload(ISS_A, aud, 0, 300, i ? "a11b" : "a11a");
		t = testjwt_sign(&es_a, missing[i], p);
		call_expect(SELECT, t, 401, "malformed token", i ? "A11 no kid" : "A11 no typ");
		free(t);
		free(p);
	}
	char pl[1200];
	snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":%s,\"exp\":%ld,\"jti\":\"x\"}", ISS_A, aud,
	         (long)time(NULL) + 300);
	char *h = testjwt_header(&es_a, NULL);
	t = testjwt_sign(&es_a, h, pl);
	call_expect(SELECT, t, 401, "malformed token", "A11 no iat");
	free(t);
	snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":%s,\"exp\":%ld,\"iat\":%ld}", ISS_A, aud,
	         (long)time(NULL) + 300, (long)time(NULL));
	t = testjwt_sign(&es_a, h, pl);
	call_expect(SELECT, t, 401, "malformed token", "A11 no jti");
	free(t);
	/* RFC 7519 §4.1.5 nbf: beyond the clock skew (60 s) in the future -> not yet valid; within
	 * it, or past, accepted; not a number -> malformed. */
	long now = (long)time(NULL);
	const struct {
		long offset; /* nbf = now + offset, unless text */
		const char *text, *jti, *reason;
		long status;
	} nbf[] = {{600, NULL, "n1", "not yet valid", 401},
	           {10, NULL, "n2", NULL, 200},
	           {-10, NULL, "n3", NULL, 200},
	           {0, "\"soon\"", "n4", "malformed token", 401}};
	for (size_t i = 0; i < sizeof nbf / sizeof nbf[0]; i++) {
		char value[64], what[80];
		if (nbf[i].text)
			snprintf(value, sizeof value, "%s", nbf[i].text);
		else
			snprintf(value, sizeof value, "%ld", now + nbf[i].offset);
		snprintf(pl, sizeof pl,
		         "{\"iss\":\"%s\",\"aud\":%s,\"exp\":%ld,\"iat\":%ld,\"nbf\":%s,"
		         "\"jti\":\"%s\"}",
		         ISS_A, aud, now + 300, now, value, nbf[i].jti);
		t = testjwt_sign(&es_a, h, pl);
		snprintf(what, sizeof what, "nbf now%+ld (%s)", nbf[i].offset, nbf[i].jti);
		call_expect(SELECT, t, nbf[i].status, nbf[i].reason, what);
		free(t);
	}
	/* RFC 7515 §4 / RFC 7519 §4: a member name twice, signed by the issuer, is still malformed
	 * (another reader would see the other value): iss, aud, jti, then kid in the header. */
	const char *twice[] = {"\"jti\":\"t1\",\"iss\":\"https://stranger.example\"",
	                       "\"jti\":\"t2\",\"aud\":\"https://elsewhere.example\"",
	                       "\"jti\":\"t3\",\"jti\":\"t3b\""};
	for (size_t i = 0; i < sizeof twice / sizeof twice[0]; i++) {
		snprintf(pl, sizeof pl, "{\"iss\":\"%s\",\"aud\":%s,\"exp\":%ld,\"iat\":%ld,%s}",
		         ISS_A, aud, now + 300, now, twice[i]);
		t = testjwt_sign(&es_a, h, pl);
		call_expect(SELECT, t, 401, "malformed token", twice[i]);
		free(t);
	}
	p = testjwt_payload(ISS_A, aud, 0, 300, "t4");
	t = testjwt_sign(
	    &es_a, "{\"alg\":\"ES384\",\"typ\":\"JWT\",\"kid\":\"es-a\",\"kid\":\"es-a\"}", p);
	call_expect(SELECT, t, 401, "malformed token", "a header name twice");
	free(t);
	free(p);
	free(h);
	call_expect(SELECT, "not.a.jwt", 401, "malformed token", "garbage token");
	/* A12: a replayed jti */
	t = token_for(&es_a, ISS_A, aud, 0, 300, "a12", NULL);
	call_expect(SELECT, t, 200, NULL, "A12 first use");
	call_expect(SELECT, t, 401, "replay", "A12 replay");
	free(t);
	/* the same jti from another issuer is another token */
	t = token_for(&rs_b, ISS_B, aud, 0, 300, "a12", NULL);
	call_expect(SELECT, t, 200, NULL, "same jti, other issuer");
	free(t);
}

static void test_discovery_and_feedback(void)
{
	struct http h;
	perform(base_url, "GET", "/cds-services", NULL, NULL, NULL, NULL, &h);
	CHECK(h.status == 200, "D6 discovery without a token: %ld", h.status);
	http_clear(&h);
	char *t = token_for(&es_a, ISS_A, aud_for("/cds-services"), 0, 300, "d1", NULL);
	perform(base_url, "GET", "/cds-services", t, NULL, NULL, NULL, &h);
	CHECK(h.status == 200, "D6 discovery with a valid token: %ld", h.status);
	http_clear(&h);
	free(t);
	t = token_for(&es_a, ISS_A, aud_for(SELECT), 0, 300, "d2", NULL);
	perform(base_url, "GET", "/cds-services", t, ORIGIN, NULL, NULL, &h);
	expect_401(&h, t, "wrong audience", "discovery with a token for another URL");
	http_clear(&h);
	free(t);
	perform(base_url, "GET", "/healthz", NULL, NULL, NULL, NULL, &h);
	CHECK(h.status == 200, "healthz is anonymous: %ld", h.status);
	http_clear(&h);

	const char *fb =
	    "{\"feedback\":[{\"card\":\"9368d37b-283f-44a0-93ea-547cebab93ed\","
	    "\"outcome\":\"overridden\",\"outcomeTimestamp\":\"2026-01-01T00:00:00Z\"}]}";
	const char *fpath = SELECT "/feedback";
	t = token_for(&es_a, ISS_A, aud_for(fpath), 0, 300, "f1", NULL);
	perform(base_url, "POST", fpath, t, NULL, fb, NULL, &h);
	CHECK(h.status == 200, "F3 feedback, aud = feedback URL: %ld %s", h.status, h.body);
	http_clear(&h);
	free(t);
	t = token_for(&es_a, ISS_A, aud_for(SELECT), 0, 300, "f2", NULL);
	perform(base_url, "POST", fpath, t, NULL, fb, NULL, &h);
	CHECK(h.status == 200, "feedback, aud = service URL: %ld", h.status);
	http_clear(&h);
	free(t);
	perform(base_url, "POST", fpath, NULL, ORIGIN, fb, NULL, &h);
	expect_401(&h, NULL, "missing token", "feedback without a token");
	http_clear(&h);
}

static void test_cors(void)
{
	struct http h;
	/* T2: preflight without a token, on all three routes */
	const char *paths[] = {"/cds-services", SELECT, SELECT "/feedback"};
	for (size_t i = 0; i < 3; i++) {
		perform(base_url, "OPTIONS", paths[i], NULL, ORIGIN, NULL, NULL, &h);
		CHECK(h.status == 204 && strcmp(h.acao, ORIGIN) == 0 &&
		          strcmp(h.acam, "GET, POST, OPTIONS") == 0 &&
		          strcmp(h.acah, "Content-Type, Authorization") == 0 &&
		          strstr(h.vary, "Origin"),
		      "preflight %s: %ld ACAO '%s' ACAM '%s' ACAH '%s' Vary '%s'", paths[i],
		      h.status, h.acao, h.acam, h.acah, h.vary);
		http_clear(&h);
	}
	/* an origin not on the list gets no ACAO */
	perform(base_url, "OPTIONS", SELECT, NULL, "https://evil.example", NULL, NULL, &h);
	CHECK(h.status == 204 && h.acao[0] == '\0', "unlisted origin: ACAO '%s'", h.acao);
	http_clear(&h);
	/* CORS on a 404 and on a 200 */
	perform(base_url, "GET", "/nowhere", NULL, ORIGIN, NULL, NULL, &h);
	CHECK(h.status == 404 && strcmp(h.acao, ORIGIN) == 0, "CORS on 404: '%s'", h.acao);
	http_clear(&h);
	perform(base_url, "GET", "/cds-services", NULL, ORIGIN, NULL, NULL, &h);
	CHECK(h.status == 200 && strcmp(h.acao, ORIGIN) == 0, "CORS on 200: '%s'", h.acao);
	http_clear(&h);
}

/* Rotation and the refresh rate limit (issuer C: JWKS URL fetched at start). */
static void test_refresh(struct cds_app *app)
{
	CHECK(cds__keystore_fetch_all(cds__auth_keystore(app->auth), stderr) == 0,
	      "start-up fetch of every JWKS URL");
	int start = js.hits_c;
	CHECK(start == 1, "issuer C fetched once at start (%d)", start);
	char *t = token_for(&es_c1, ISS_C, aud_for(SELECT), 0, 300, "c1", NULL);
	call_expect(SELECT, t, 200, NULL, "issuer C, known kid");
	free(t);
	CHECK(js.hits_c == start, "a known kid causes no fetch (%d)", js.hits_c);
	/* rotate: the issuer publishes c-2 */
	const struct testkey *both[] = {&es_c1, &es_c2};
	pthread_mutex_lock(&js.mutex);
	free(js.jwks_c);
	js.jwks_c = testkey_jwks(both, 2);
	pthread_mutex_unlock(&js.mutex);
	t = token_for(&es_c2, ISS_C, aud_for(SELECT), 0, 300, "c2", NULL);
	call_expect(SELECT, t, 200, NULL, "rotated key: an unknown kid refreshes the JWKS");
	free(t);
	CHECK(js.hits_c == start + 1, "one refresh (%d)", js.hits_c);
	struct testkey ghost = es_c2;
	for (int i = 0; i < 3; i++) {
		snprintf(ghost.kid, sizeof ghost.kid, "ghost-%d", i);
		char jti[16];
		snprintf(jti, sizeof jti, "g%d", i);
		t = token_for(&ghost, ISS_C, aud_for(SELECT), 0, 300, jti, NULL);
		call_expect(SELECT, t, 401, "unknown key", "unknown kid after a refresh");
		free(t);
	}
	CHECK(js.hits_c == start + 1,
	      "unknown kids within a minute cause no further fetch (%d fetches)", js.hits_c);
}

/* Issuer D's JWKS hangs: its requests wait, issuer A's are answered meanwhile. */
struct slow_call {
	char *token;
	int done;
	long status;
};
static void *slow_thread(void *arg)
{
	struct slow_call *s = arg;
	struct http h;
	perform(base_url, "POST", SELECT, s->token, NULL, request_body, NULL, &h);
	s->status = h.status;
	http_clear(&h);
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_slow_jwks(void)
{
	struct testkey d = es_a;
	snprintf(d.kid, sizeof d.kid, "d-1");
	struct slow_call s = {token_for(&d, ISS_D, aud_for(SELECT), 0, 300, "d1", NULL), 0, 0};
	pthread_mutex_lock(&js.mutex);
	js.hold_slow = 1;
	pthread_mutex_unlock(&js.mutex);
	pthread_t th;
	pthread_create(&th, NULL, slow_thread, &s);
	for (int i = 0; i < 200 && js.hits_slow < 1; i++) { /* wait until D's fetch hangs */
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	CHECK(js.hits_slow == 1, "issuer D's JWKS fetch started (%d)", js.hits_slow);
	char *t = token_for(&es_a, ISS_A, aud_for(SELECT), 0, 300, "while-d", NULL);
	call_expect(SELECT, t, 200, NULL, "issuer A answered while issuer D's JWKS hangs");
	free(t);
	CHECK(!__atomic_load_n(&s.done, __ATOMIC_SEQ_CST), "issuer D was still waiting");
	sem_post(&js.slow_release);
	pthread_join(th, NULL);
	CHECK(s.status == 401, "issuer D: 401 once its JWKS came back without the key (%ld)",
	      s.status);
	free(s.token);
}

/* The public URL: aud is built from it, not from the listener's address. */
static void test_public_url(void)
{
	struct cds_config *cfg = cds_config_new();
	struct fhir_error err;
	char issuer[512];
	snprintf(issuer, sizeof issuer, "%s=%s/b.jwks", ISS_B, tmpdir);
	CHECK(cds_config_option(cfg, "issuer", issuer, &err) == FHIR_OK, "--issuer: %s",
	      err.message);
	CHECK(cds_config_option(cfg, "public-url", "https://cds.example.org/r4/", &err) == FHIR_OK,
	      "--public-url");
	struct cds_app_options o = {.decision_log = "-", .settings = cfg};
	struct cds_app *app = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK, "app with a public URL");
	const char *paths[] = {"\"https://cds.example.org/r4" SELECT "\"", aud_for(SELECT)};
	for (int i = 0; app && i < 2; i++) {
		char jti[8];
		snprintf(jti, sizeof jti, "p%d", i);
		char *t = token_for(&rs_b, ISS_B, paths[i], 0, 300, jti, NULL);
		char auth[8192];
		snprintf(auth, sizeof auth, "Bearer %s", t);
		struct cds_request req = {.method = "POST",
		                          .path = SELECT,
		                          .content_type = "application/json",
		                          .body = request_body,
		                          .body_length = strlen(request_body),
		                          .authorization = auth,
		                          .base_url = base_url};
		struct cds_reply r;
		cds_handle(app, &req, &r);
		CHECK(r.status == (i == 0 ? 200u : 401u), "public URL case %d: %u %s", i, r.status,
		      r.body);
		cds_reply_clear(&r);
		free(t);
	}
	cds_app_free(app);
	cds_config_free(cfg);
}

/* ---- the replay cache across restarts ------------------------------------------------------ */

static void copy_report(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)pointer;
	snprintf(ctx, 512, "%s: %s", file, message);
}

/* A token accepted once is refused after the server restarts (the jti cache is in a file), also
 * when the last record was torn by a crash; a second server cannot share the file. */
static void test_replay_restart(const char *cfg_path)
{
	char saved_base[sizeof base_url], replay_path[512], issuer[512], reported[512] = "";
	snprintf(saved_base, sizeof saved_base, "%s", base_url);
	snprintf(replay_path, sizeof replay_path, "%s/replay-cache.log", tmpdir);
	snprintf(issuer, sizeof issuer, "%s=%s/b.jwks", ISS_B, tmpdir);
	struct cds_config *cfg = cds_config_new();
	struct fhir_error err = {{0}, {0}};
	CHECK(cds_config_option(cfg, "issuer", issuer, &err) == FHIR_OK &&
	          cds_config_option(cfg, "public-url", "https://cds.example", &err) == FHIR_OK &&
	          cds_config_option(cfg, "allow-origin", ORIGIN, &err) == FHIR_OK &&
	          cds_config_option(cfg, "replay-cache", replay_path, &err) == FHIR_OK,
	      "restart settings: %s", err.message);
	/* aud is the public URL: the same across restarts on different ports */
	const char *aud = "\"https://cds.example" SELECT "\"";
	char *t1 = token_for(&rs_b, ISS_B, aud, 0, 300, "restart-1", NULL);
	char *t2 = token_for(&rs_b, ISS_B, aud, 0, 300, "restart-2", NULL);
	char *t3 = token_for(&rs_b, ISS_B, aud, 0, 300, "restart-3", NULL);
	for (int round = 0; round < 3; round++) {
		struct cds_app_options o = {
		    .config_file = cfg_path, .decision_log = "-", .settings = cfg};
		struct cds_app *app = NULL, *second = NULL;
		struct cds_server *server = NULL;
		CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK &&
		          cds_server_start(app, "127.0.0.1", 0, &server, &err) == FHIR_OK,
		      "restart round %d: server started", round);
		if (!server) {
			cds_app_free(app);
			break;
		}
		snprintf(base_url, sizeof base_url, "%s", cds_server_url(server));
		if (round == 0) {
			call_expect(SELECT, t1, 200, NULL, "restart: first use");
			call_expect(SELECT, t1, 401, "replay",
			            "restart: replay before the restart");
			struct stat st;
			CHECK(stat(replay_path, &st) == 0 && (st.st_mode & 077) == 0,
			      "the replay cache file exists, private to its owner");
		} else if (round == 1) {
			call_expect(SELECT, t1, 401, "replay", "restart: replay after the restart");
			call_expect(SELECT, t2, 200, NULL,
			            "restart: a new token after the restart");
			struct engine_reporter rep = {copy_report, reported};
			CHECK(cds_app_new(&o, &rep, &second) != FHIR_OK && !second &&
			          strstr(reported, "in use by another process"),
			      "a second server on the same replay cache file is refused: '%s'",
			      reported);
		} else {
			call_expect(SELECT, t1, 401, "replay",
			            "restart: replay after a torn record");
			call_expect(SELECT, t2, 401, "replay",
			            "restart: replay of the second token");
			call_expect(SELECT, t3, 200, NULL, "restart: a third token");
		}
		cds_server_stop(server);
		cds_app_free(app);
		if (round == 1) { /* as if the process died while appending a record */
			FILE *f = fopen(replay_path, "a");
			if (f) {
				fputs("1800000000 00ff", f);
				fclose(f);
			}
		}
	}
	char *text = testkit_read(replay_path, NULL);
	CHECK(text && !strstr(text, "restart-") && !strstr(text, ISS_B),
	      "the file holds digests, never claims");
	free(text);
	free(t1);
	free(t2);
	free(t3);
	cds_config_free(cfg);
	snprintf(base_url, sizeof base_url, "%s", saved_base);
}

/* ---- limits (server 2: open demo mode, tight limits) ---------------------------------------- */

/* Reads until the peer closes (returns 1) or the 30 s receive timeout (0). */
static int wait_closed(int fd, char *first, size_t size)
{
	char buf[4096];
	size_t got = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == ECONNRESET ? 1 : 0;
		if (first && got < size - 1) {
			size_t k = (size_t)n < size - 1 - got ? (size_t)n : size - 1 - got;
			memcpy(first + got, buf, k);
			got += k;
			first[got] = '\0';
		}
	}
}

static void test_limits(void)
{
	struct cds_config *cfg = cds_config_new();
	struct fhir_error err;
	const char *opts[][2] = {
	    {"threads", "1"},       {"max-in-flight", "2"},          {"idle-timeout", "2"},
	    {"body-deadline", "3"}, {"max-connections-per-ip", "6"}, {"max-header-bytes", "8192"},
	    {"retry-after", "7"}};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		CHECK(cds_config_option(cfg, opts[i][0], opts[i][1], &err) == FHIR_OK, "--%s: %s",
		      opts[i][0], err.message);
	CHECK(cds_config_option(cfg, "max-in-flight", "0", &err) == FHIR_ERR_INVALID,
	      "a limit out of range is refused");
	struct cds_app_options o = {.decision_log = "-", .settings = cfg};
	struct cds_app *app = NULL;
	struct cds_server *server = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK, "demo app");
	CHECK(cds_server_start(app, "127.0.0.1", 0, &server, &err) == FHIR_OK, "server 2: %s",
	      err.message);
	unsigned port = cds_server_port(server);
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
	struct http h;

	/* Overload: with the workers paused, two complete requests fill maxInFlight = 2 (bodies
	 * still arriving hold no slot: server.c counts complete requests). */
	const char head[] = "POST " SELECT " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
	                    "\r\nContent-Length: 1000\r\n\r\n{";
	const char probe[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	int hold[2];
	cds__server_pause_workers(server, 1);
	for (int i = 0; i < 2; i++) {
		hold[i] = testnet_connect(port, 30, 0);
		CHECK(hold[i] >= 0 && send(hold[i], probe, sizeof probe - 1, 0) > 0, "hold %d", i);
	}
	int got503 = 0;
	for (int i = 0; i < 100 && !got503; i++) { /* until both holds are counted */
		perform(base, "GET", "/healthz", NULL, "https://x.example", NULL, NULL, &h);
		if (h.status == 503) {
			got503 = 1;
			CHECK(strcmp(h.retry_after, "7") == 0, "503 Retry-After '%s'",
			      h.retry_after);
			CHECK(strcmp(h.acao, "*") == 0, "CORS on the 503 (demo: '*'): '%s'",
			      h.acao);
		}
		http_clear(&h);
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	CHECK(got503, "overload answers 503");
	close(hold[0]);
	close(hold[1]);
	cds__server_pause_workers(server, 0);
	int recovered = 0;
	for (int i = 0; i < 200 && !recovered; i++) {
		perform(base, "GET", "/healthz", NULL, NULL, NULL, NULL, &h);
		recovered = h.status == 200;
		http_clear(&h);
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
	}
	CHECK(recovered, "the service recovers once the held requests are gone");

	/* A slow client (sends part of a request, then nothing) holds no thread: with one worker
	 * thread, other requests are answered; the idle timeout then closes it. */
	int slow = testnet_connect(port, 30, 0);
	CHECK(slow >= 0 && send(slow, "GET /healthz HTTP/1.1\r\nHo", 25, 0) == 25, "slow client");
	perform(base, "POST", SELECT, NULL, NULL, request_body, NULL, &h);
	CHECK(h.status == 200, "answered while a slow client is connected: %ld", h.status);
	http_clear(&h);
	CHECK(wait_closed(slow, NULL, 0), "the idle slow client is disconnected");
	close(slow);

	/* A trickling body (never idle) is dropped at the request deadline. */
	int drip = testnet_connect(port, 30, 0);
	int dropped = 0;
	CHECK(drip >= 0 && send(drip, head, sizeof head - 1, MSG_NOSIGNAL) > 0, "drip headers");
	for (int i = 0; i < 60 && !dropped; i++) { /* 30 s at most; the deadline is 3 s */
		struct timespec ts = {0, 500000000};
		nanosleep(&ts, NULL);
		if (send(drip, " ", 1, MSG_NOSIGNAL) != 1)
			dropped = 1;
		char c;
		ssize_t n = recv(drip, &c, 1, MSG_DONTWAIT);
		if (n == 0)
			dropped = 1;
	}
	CHECK(dropped, "a body still trickling in after the deadline is dropped");
	close(drip);

	/* Header memory: a 20 kB header does not fit 8 kB. */
	int big = testnet_connect(port, 30, 0);
	char *req = malloc(30000);
	int n = snprintf(req, 30000, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + n, 'a', 20000);
	memcpy(req + n + 20000, "\r\n\r\n", 5);
	send(big, req, strlen(req), MSG_NOSIGNAL);
	char first[256] = "";
	wait_closed(big, first, sizeof first);
	CHECK(strncmp(first, "HTTP/1.1 431", 12) == 0 || strncmp(first, "HTTP/1.1 413", 12) == 0 ||
	          first[0] == '\0',
	      "oversized headers refused: '%.40s'", first);
	CHECK(strncmp(first, "HTTP/1.1 200", 12) != 0, "oversized headers not served");
	free(req);
	close(big);

	/* Connections per IP: 6 allowed. Six that are past their headers (bodies arriving): the
	 * 7th is closed at once. */
	int conns[7];
	for (int i = 0; i < 6; i++) {
		conns[i] = testnet_connect(port, 30, 0);
		CHECK(conns[i] >= 0 && send(conns[i], head, sizeof head - 1, MSG_NOSIGNAL) > 0,
		      "body %d", i);
	}
	struct timespec ts = {0, 200000000};
	nanosleep(&ts, NULL);
	perform(base, "GET", "/healthz", NULL, NULL, NULL, NULL, &h);
	CHECK(h.status != 200, "a 7th connection from one IP is refused (%ld)", h.status);
	http_clear(&h);
	for (int i = 0; i < 6; i++)
		close(conns[i]);
	nanosleep(&ts, NULL);
	/* Six still waiting for their headers: the 7th is served and the oldest of them closed
	 * to make room (slow headers cannot lock an address out). */
	for (int i = 0; i < 6; i++) {
		conns[i] = testnet_connect(port, 30, 0);
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	perform(base, "GET", "/healthz", NULL, NULL, NULL, NULL, &h);
	CHECK(h.status == 200, "a 7th connection evicts a waiting one (%ld)", h.status);
	http_clear(&h);
	char gone;
	CHECK(conns[0] >= 0 && recv(conns[0], &gone, 1, 0) <= 0, "the oldest waiting one closed");
	for (int i = 0; i < 6; i++)
		close(conns[i]);
	recovered = 0;
	for (int i = 0; i < 200 && !recovered; i++) {
		perform(base, "GET", "/healthz", NULL, NULL, NULL, NULL, &h);
		recovered = h.status == 200;
		http_clear(&h);
		nanosleep(&ts, NULL);
	}
	CHECK(recovered, "connections accepted again once the others closed");
	cds_server_stop(server);
	cds_app_free(app);
	cds_config_free(cfg);
}

/* ---- TLS ----------------------------------------------------------------------------------- */

/* Writes a self-signed EC certificate for IP 127.0.0.1 and its key (PEM) into tmpdir. */
static int make_cert(char *cert_path, char *key_path, size_t size)
{
	snprintf(cert_path, size, "%s/cert.pem", tmpdir);
	snprintf(key_path, size, "%s/key.pem", tmpdir);
	return testtls_make_cert("EC", cert_path, key_path);
}

static void test_tls(void)
{
	char cert[512], key[512];
	struct fhir_error err;
	CHECK(make_cert(cert, key, sizeof cert) == 0, "test certificate");
	struct cds_config *cfg = cds_config_new();
	CHECK(cds_config_option(cfg, "tls-cert", cert, &err) == FHIR_OK &&
	          cds_config_option(cfg, "tls-key", key, &err) == FHIR_OK &&
	          cds_config_check(cfg, &err) == FHIR_OK,
	      "TLS options");
	struct cds_app_options o = {.decision_log = "-", .settings = cfg};
	struct cds_app *app = NULL;
	struct cds_server *server = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK, "TLS app");
	CHECK(cds_server_start(app, "127.0.0.1", 0, &server, &err) == FHIR_OK, "TLS server: %s",
	      err.message);
	const char *url = cds_server_url(server);
	CHECK(strncmp(url, "https://127.0.0.1:", 18) == 0, "https base URL '%s'", url);
	struct http h;
	perform(url, "GET", "/healthz", NULL, NULL, NULL, cert, &h);
	CHECK(h.status == 200, "T1 HTTPS with a verified certificate: %ld (curl %d)", h.status,
	      h.curl_rc);
	http_clear(&h);
	/* TLS 1.0/1.1 offered alone (client security level lowered so it would try): refused */
	char u[256];
	snprintf(u, sizeof u, "%s/healthz", url);
	CURLcode rc = testtls_try_old_tls(u, cert);
	CHECK(rc != CURLE_OK, "T1 TLS 1.1 is refused (curl %d)", (int)rc);
	perform(url, "GET", "/healthz", NULL, NULL, NULL, NULL, &h);
	CHECK(h.status != 200, "an untrusted certificate fails verification (curl %d)", h.curl_rc);
	http_clear(&h);
	cds_server_stop(server);
	cds_app_free(app);
	cds_config_free(cfg);

	/* fhir_http_get: https with the CA -> body; without the CA -> refused; http without the
	 * loopback permission -> refused; too big -> limit. */
	size_t len = 0, klen = 0;
	char *cert_pem = testkit_read(cert, &len), *key_pem = testkit_read(key, &klen);
	unsigned tport = 0;
	struct MHD_Daemon *tls_jwks = jwks_start(cert_pem, key_pem, &tport);
	CHECK(tls_jwks != NULL, "TLS JWKS server");
	char jurl[128], hurl[128], burl[128];
	snprintf(jurl, sizeof jurl, "https://127.0.0.1:%u/jwks", tport);
	snprintf(burl, sizeof burl, "https://127.0.0.1:%u/big", tport);
	snprintf(hurl, sizeof hurl, "http://127.0.0.1:%u/jwks", js.port);
	struct fhir_http_limits lim = {262144, 10000, 0, cert};
	char *body = NULL;
	size_t blen = 0;
	CHECK(fhir_http_get(jurl, &lim, &body, &blen, &err) == FHIR_OK && blen > 0,
	      "JWKS over https with TLS verification: %s", err.message);
	free(body);
	lim.ca_file = NULL;
	CHECK(fhir_http_get(jurl, &lim, &body, &blen, &err) == FHIR_ERR_IO,
	      "an untrusted JWKS certificate is refused");
	lim.ca_file = cert;
	CHECK(fhir_http_get(burl, &lim, &body, &blen, &err) == FHIR_ERR_LIMIT, "size limit: %s",
	      err.message);
	CHECK(fhir_http_get(hurl, &lim, &body, &blen, &err) == FHIR_ERR_INVALID,
	      "plain http refused without the loopback permission");
	CHECK(fhir_http_get("ftp://127.0.0.1/x", &lim, &body, &blen, &err) == FHIR_ERR_INVALID,
	      "other schemes refused");
	lim.allow_http_loopback = 1;
	CHECK(fhir_http_get("http://10.0.0.1/jwks", &lim, &body, &blen, &err) == FHIR_ERR_INVALID,
	      "plain http only to a loopback literal");
	MHD_stop_daemon(tls_jwks);
	free(cert_pem);
	free(key_pem);
}

/* ---- config file ----------------------------------------------------------------------------- */

static void test_config_file(void)
{
	struct fhir_error err;
	char path[512];
	snprintf(path, sizeof path, "%s/bad.json", tmpdir);
	const char *bad[] = {
	    "{\"server\":{\"issuers\":[{\"iss\":\"https://x\"}]}}",
	    "{\"server\":{\"algorithms\":[\"HS256\"]}}",
	    "{\"server\":{\"algorithms\":[\"none\"]}}",
	    "{\"server\":{\"limits\":{\"maxInFlight\":0}}}",
	    "{\"server\":{\"limits\":{\"noSuchLimit\":1}}}",
	    "{\"server\":{\"allowOrigins\":[\"https://a.example/path\"]}}",
	    "{\"server\":{\"issuers\":[{\"iss\":\"https://x\",\"jwks\":\"http://1.2.3.4/k\"}]}}",
	    "{\"server\":{\"publicUrl\":\"ftp://x\"}}",
	    "{\"server\":{\"tls\":{\"cert\":\"c.pem\"}}}",
	    "{\"server\":{\"replayCacheFile\":5}}",
	    "{\"server\":{\"replayCacheFile\":\"\"}}",
	};
	const char *where[] = {
	    "/server/issuers/0",          "/server/algorithms/0",       "/server/algorithms/0",
	    "/server/limits/maxInFlight", "/server/limits/noSuchLimit", "/server/allowOrigins/0",
	    "/server/issuers/0/jwks",     "/server/publicUrl",          "/server/tls/key",
	    "/server/replayCacheFile",    "/server/replayCacheFile"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		FILE *f = fopen(path, "w");
		fputs(bad[i], f);
		fclose(f);
		struct cds_config *cfg = cds_config_new();
		int rc = cds_config_load_file(cfg, path, &err);
		CHECK(rc != FHIR_OK && strstr(err.where, where[i]) &&
		          strstr(err.where, "bad.json#"),
		      "bad config %zu refused at %s: got '%s' %s", i, where[i], err.where,
		      err.message);
		cds_config_free(cfg);
	}
	/* Every error of the file at once (issue 14 item 6), each at its JSON pointer (RFC 6901
	 * escaping), the rest of the file still read; and serve's own keys. */
	{
		FILE *f = fopen(path, "w");
		fputs("{\"server\":{\"prot\":1,\"a/b~\":2,\"port\":9091,\"bind\":\"::1\","
		      "\"logFormat\":\"json\",\"decisionLog\":\"d.log\",\"fetchBudgetMs\":50,"
		      "\"limits\":{\"threads\":0,\"maxInFlight\":7}}}",
		      f);
		fclose(f);
		struct config_errors got = {0};
		struct engine_reporter rep = {collect_config_error, &got};
		struct cds_config *cfg = cds_config_new();
		size_t n = cds_config_load_file_all(cfg, path, &rep);
		CHECK(n == 3 && got.count == 3 && strcmp(got.pointers[0], "/server/prot") == 0 &&
		          strcmp(got.pointers[1], "/server/a~1b~0") == 0 &&
		          strcmp(got.pointers[2], "/server/limits/threads") == 0 &&
		          strcmp(got.file, path) == 0,
		      "all three errors reported: %zu (%s, %s, %s)", n, got.pointers[0],
		      got.pointers[1], got.pointers[2]);
		CHECK(cfg->port == 9091 && cfg->bind && strcmp(cfg->bind, "::1") == 0 &&
		          cfg->log_json && cfg->fetch_budget_ms == 50 && cfg->decision_log &&
		          strstr(cfg->decision_log, "/d.log") && cfg->limits.max_in_flight == 7,
		      "serve's keys read beside the errors");
		cds_config_free(cfg);
		cfg = cds_config_new();
		CHECK(cds_config_load_file(cfg, path, &err) == FHIR_ERR_INVALID &&
		          strstr(err.where, "bad.json#/server/prot"),
		      "cds_config_load_file: the first error, %s", err.where);
		CHECK(cds_config_option(cfg, "log-format", "xml", &err) == FHIR_ERR_INVALID &&
		          cds_config_option(cfg, "log-format", "text", &err) == FHIR_OK &&
		          !cfg->log_json,
		      "--log-format: text or json only");
		cds_config_free(cfg);
	}
	/* replayCacheFile: relative to the config file's folder; "-" is none; the command line
	 * overrides; the library default is none (serve's default is a file). */
	struct cds_config *cfg = cds_config_new();
	char want[600];
	snprintf(want, sizeof want, "%s/r.log", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("{\"server\":{\"replayCacheFile\":\"r.log\"}}", f);
	fclose(f);
	CHECK(!cfg->replay_cache_file && cds_config_load_file(cfg, path, &err) == FHIR_OK &&
	          cfg->replay_cache_file && strcmp(cfg->replay_cache_file, want) == 0,
	      "replayCacheFile resolved to %s: %s", cfg->replay_cache_file, err.message);
	CHECK(cds_config_option(cfg, "replay-cache", "-", &err) == FHIR_OK &&
	          !cfg->replay_cache_file,
	      "--replay-cache - is memory only");
	CHECK(cds_config_option(cfg, "replay-cache", "", &err) == FHIR_ERR_INVALID,
	      "--replay-cache '' refused");
	cds_config_free(cfg);
	/* a relative sqlite: replay cache resolves as server.store does: the same text, the same
	 * store (then a call's jti is claimed in its commit: test_replay_commit) */
	cfg = cds_config_new();
	f = fopen(path, "w");
	fputs("{\"server\":{\"store\":\"sqlite:s.db\",\"replayCacheFile\":\"sqlite:s.db\"}}", f);
	fclose(f);
	snprintf(want, sizeof want, "sqlite:%s/s.db", tmpdir);
	CHECK(cds_config_load_file(cfg, path, &err) == FHIR_OK && cfg->replay_cache_file &&
	          strcmp(cfg->replay_cache_file, want) == 0 && cfg->store &&
	          strcmp(cfg->store, want) == 0,
	      "sqlite: replayCacheFile resolved to %s, store to %s: %s", cfg->replay_cache_file,
	      cfg->store, err.message);
	cds_config_free(cfg);
	cfg = cds_config_new();
	CHECK(cds_config_option(cfg, "alg", "ES384,HS256", &err) == FHIR_ERR_INVALID,
	      "--alg HS256 refused");
	CHECK(cds_config_option(cfg, "issuer", "no-equals-sign", &err) == FHIR_ERR_INVALID,
	      "--issuer without '=' refused");
	CHECK(cds_config_option(cfg, "issuer-jku", ISS_A "=https://k.example/j", &err) ==
	          FHIR_ERR_INVALID,
	      "--issuer-jku before its issuer refused");
	CHECK(cds_config_option(cfg, "tls-cert", "x.pem", &err) == FHIR_OK &&
	          cds_config_check(cfg, &err) == FHIR_ERR_INVALID,
	      "a certificate without a key refused");
	cds_config_free(cfg);
}

/* ---- main -------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024], log_path[512];
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cds-auth-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	fhir_client_global_init();
	sem_init(&js.slow_release, 0, 0);
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared ? shared : "../shared");
	char *example = testkit_read(path, NULL);
	CHECK(example != NULL, "read %s", path);
	if (!example)
		return testkit_done();
	/* The example plus a fhirAuthorization whose token must never be logged. */
	cJSON *doc = cJSON_Parse(example);
	free(example);
	int ok =
	    testkey_generate(&es_a, "ES384", "es-a") |
	    testkey_generate(&es_a_other, "ES384", "es-a") |
	    testkey_generate(&rs_b, "RS384", "rs-b") | testkey_generate(&es_jku, "ES384", "jku-1") |
	    testkey_generate(&es_c1, "ES384", "c-1") | testkey_generate(&es_c2, "ES384", "c-2") |
	    testkey_generate(&es_256, "ES256", "es-a");
	CHECK(ok == 0, "test keys generated");

	/* JWKS: issuer A by URL (plus an allow-listed jku), B by file, C by URL, D hangs. */
	const struct testkey *a[] = {&es_a}, *j[] = {&es_jku}, *b[] = {&rs_b}, *c[] = {&es_c1};
	js.jwks_a = testkey_jwks(a, 1);
	js.jku_a = testkey_jwks(j, 1);
	js.jwks_c = testkey_jwks(c, 1);
	struct MHD_Daemon *jd = jwks_start(NULL, NULL, &js.port);
	CHECK(jd != NULL, "JWKS test server");
	char *bj = testkey_jwks(b, 1);
	snprintf(path, sizeof path, "%s/b.jwks", tmpdir);
	write_file(path, bj);
	free(bj);

	/* Issuers A, C, D and origins from the config file (relative JWKS path); B from the command
	 * line in addition is not possible (the command line replaces the list), so B is in the
	 * file too. */
	char cfg_text[4096];
	snprintf(cfg_text, sizeof cfg_text,
	         "{\"name\":\"test\",\"commissioners\":[\"hny-icb\",\"nwl-icb\",\"gm-icb\"],"
	         "\"setting\":\"primary-care\",\"server\":{\"allowHttpLoopbackJwks\":true,"
	         "\"issuers\":[{\"iss\":\"" ISS_A "\",\"jwks\":\"http://127.0.0.1:%u/jwks\","
	         "\"jku\":[\"http://127.0.0.1:%u/jku\"]},"
	         "{\"iss\":\"" ISS_B "\",\"jwks\":\"b.jwks\"},"
	         "{\"iss\":\"" ISS_C "\",\"jwks\":\"http://127.0.0.1:%u/jwks-c\"},"
	         "{\"iss\":\"" ISS_D "\",\"jwks\":\"http://127.0.0.1:%u/slow\"}],"
	         "\"allowOrigins\":[\"" ORIGIN "\"],\"limits\":{\"jwksTimeoutSeconds\":30}}}",
	         js.port, js.port, js.port, js.port);
	char cfg_path[512];
	snprintf(cfg_path, sizeof cfg_path, "%s/deployment.json", tmpdir);
	write_file(cfg_path, cfg_text);
	struct cds_config *cfg = cds_config_new();
	struct fhir_error err = {{0}, {0}};
	CHECK(cds_config_load_file(cfg, cfg_path, &err) == FHIR_OK, "config file: %s %s", err.where,
	      err.message);
	CHECK(cds_config_issuer_count(cfg) == 4, "four issuers");

	/* Capture stderr (the access log) to check what is logged. */
	snprintf(log_path, sizeof log_path, "%s/stderr.log", tmpdir);
	fflush(stderr);
	int saved = dup(2);
	int logfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!getenv("CDS_TEST_NO_CAPTURE")) /* debugging: see the server's log live */
		dup2(logfd, 2);
	close(logfd);

	struct cds_app_options o = {.config_file = cfg_path, .decision_log = NULL, .settings = cfg};
	struct cds_app *app = NULL;
	struct cds_server *server = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK, "app with issuers");
	CHECK(app && cds_server_start(app, "127.0.0.1", 0, &server, &err) == FHIR_OK, "server: %s",
	      err.message);
	snprintf(base_url, sizeof base_url, "%s", cds_server_url(server));

	fhirauth_add(doc, SECRET, "patient/*.read", "cds-service");
	char fhir_server[128];
	snprintf(fhir_server, sizeof fhir_server, "http://127.0.0.1:%u/fhir", js.port);
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "fhirServer");
	cJSON_AddStringToObject(doc, "fhirServer", fhir_server);
	request_body = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);

	if (server) {
		test_refresh(app);
		test_matrix();
		test_discovery_and_feedback();
		test_cors();
		test_slow_jwks();
		test_public_url();
	}
	cds_server_stop(server);
	cds_app_free(app);
	test_replay_restart(cfg_path);
	test_limits();
	test_tls();
	test_config_file();

	/* Restore stderr; show the captured failures; check the log. */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	size_t log_len = 0;
	char *log = testkit_read(log_path, &log_len);
	CHECK(log != NULL, "read the captured log");
	if (log) {
		for (char *line = log; line && *line;) {
			char *nl = strchr(line, '\n');
			if (strncmp(line, "FAIL", 4) == 0)
				fprintf(stderr, "%.*s\n",
				        (int)(nl ? nl - line : (long)strlen(line)), line);
			line = nl ? nl + 1 : NULL;
		}
		CHECK(strstr(log, "auth=expired iss=" ISS_A " kid=es-a jti=a6"),
		      "the log names reason, iss, kid and jti");
		CHECK(strstr(log, "auth=ok iss=" ISS_B " kid=rs-b jti=b1"),
		      "the log names accepted tokens");
		CHECK(!strstr(log, SECRET), "fhirAuthorization.access_token never logged");
		size_t leaked = 0;
		for (size_t i = 0; i < token_count; i++) {
			const char *sig = strrchr(tokens[i], '.');
			if (strstr(log, tokens[i]) ||
			    (sig && strlen(sig) > 20 && strstr(log, sig + 1)))
				leaked++;
		}
		CHECK(token_count > 30 && leaked == 0,
		      "no token (or signature) in the log: %zu of %zu", leaked, token_count);
		CHECK(!strstr(log, "Bearer ey"), "no bearer header in the log");
	}
	free(log);
	for (size_t i = 0; i < token_count; i++)
		free(tokens[i]);
	cds_config_free(cfg);
	MHD_stop_daemon(jd);
	free(js.jwks_a);
	free(js.jku_a);
	free(js.jwks_c);
	free(request_body);
	testkey_free(&es_a);
	testkey_free(&es_a_other);
	testkey_free(&rs_b);
	testkey_free(&es_jku);
	testkey_free(&es_c1);
	testkey_free(&es_c2);
	testkey_free(&es_256);
	sem_destroy(&js.slow_release);
	fhir_client_global_cleanup();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return testkit_done();
}
