/* test_tls.c — what a TLS client can negotiate with `serve --tls-cert/--tls-key` (issue 11 item 6;
 * README "TLS and reverse proxy"): the Mozilla "intermediate" profile, i.e. TLS 1.3, and TLS 1.2
 * with AEAD suites and forward secrecy only. Starts the server in-process on 127.0.0.1 port 0
 * twice (an RSA-2048 and an EC P-256 self-signed certificate, so that both ECDHE-RSA/static-RSA
 * and ECDHE-ECDSA suites are possible at all), then connects with libcurl (OpenSSL backend)
 * forcing one protocol version and one suite per attempt. An accepted attempt must answer
 * /healthz 200 over exactly the forced suite (read from the OpenSSL session); a refused one must
 * fail in the handshake (CURLE_SSL_CONNECT_ERROR), not elsewhere. Refused suites are offered with
 * the client's @SECLEVEL=0 so that the client itself would allow them. Deterministic, loopback
 * only, no timing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "cds.h"
#include "testkit.h"
#include "testserver.h"
#include "testtls.h"

static char tmpdir[256];

/* Writes a self-signed certificate for IP 127.0.0.1 with a new key of `type` ("RSA" or "EC")
 * and the key (PEM) as tmpdir/<type>-cert.pem and -key.pem. 0 or -1. */
static int make_cert(const char *type, char *cert_path, char *key_path, size_t size)
{
	snprintf(cert_path, size, "%s/%s-cert.pem", tmpdir, type);
	snprintf(key_path, size, "%s/%s-key.pem", tmpdir, type);
	return testtls_make_cert(type, cert_path, key_path);
}

/* One attempt's outcome: curl's code, the HTTP status, and what OpenSSL negotiated. */
struct attempt {
	CURLcode rc;
	long status;
	char version[16]; /* "TLSv1.2", "TLSv1.3" or "" */
	char cipher[64];  /* OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256", or "" */
	CURL *curl;
};

/* The body callback: records the session's version and suite while the connection is live. */
static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	(void)data;
	struct attempt *a = ctx;
	struct curl_tlssessioninfo *info = NULL;
	if (!a->cipher[0] && curl_easy_getinfo(a->curl, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK &&
	    info && info->backend == CURLSSLBACKEND_OPENSSL && info->internals) {
		SSL *ssl = info->internals;
		snprintf(a->version, sizeof a->version, "%s", SSL_get_version(ssl));
		snprintf(a->cipher, sizeof a->cipher, "%s", SSL_get_cipher_name(ssl));
	}
	return size * n;
}

/* GET /healthz over TLS: `tls13` 0 pins TLS 1.2 and offers `suites` (an OpenSSL TLS 1.2 cipher
 * list); 1 pins TLS 1.3 and offers `suites` (a TLS 1.3 ciphersuite list). */
static struct attempt try_tls(const char *base, const char *ca, int tls13, const char *suites)
{
	struct attempt a = {.rc = CURLE_FAILED_INIT};
	char url[256];
	snprintf(url, sizeof url, "%s/healthz", base);
	a.curl = curl_easy_init();
	if (!a.curl)
		return a;
	curl_easy_setopt(a.curl, CURLOPT_URL, url);
	curl_easy_setopt(a.curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(a.curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(a.curl, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(a.curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(a.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(a.curl, CURLOPT_FORBID_REUSE, 1L);
	if (tls13) {
		curl_easy_setopt(a.curl, CURLOPT_SSLVERSION,
		                 (long)(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3));
		curl_easy_setopt(a.curl, CURLOPT_TLS13_CIPHERS, suites);
	} else {
		curl_easy_setopt(a.curl, CURLOPT_SSLVERSION,
		                 (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
		curl_easy_setopt(a.curl, CURLOPT_SSL_CIPHER_LIST, suites);
	}
	a.rc = curl_easy_perform(a.curl);
	curl_easy_getinfo(a.curl, CURLINFO_RESPONSE_CODE, &a.status);
	curl_easy_cleanup(a.curl);
	a.curl = NULL;
	return a;
}

/* The suite (OpenSSL name) must be accepted over TLS 1.2 (or 1.3) and used. */
static void accepted(const char *base, const char *ca, int tls13, const char *suite,
                     const char *what)
{
	struct attempt a = try_tls(base, ca, tls13, suite);
	CHECK(a.rc == CURLE_OK && a.status == 200, "%s: %s is accepted (curl %d: %s, HTTP %ld)",
	      what, suite, (int)a.rc, curl_easy_strerror(a.rc), a.status);
	CHECK(strcmp(a.version, tls13 ? "TLSv1.3" : "TLSv1.2") == 0 && strcmp(a.cipher, suite) == 0,
	      "%s: negotiated %s %s, want %s", what, a.version, a.cipher, suite);
}

/* The suite must be refused in the handshake. `suites` already carries @SECLEVEL=0 when the
 * client's own policy would refuse it. */
static void refused(const char *base, const char *ca, int tls13, const char *suites,
                    const char *what)
{
	struct attempt a = try_tls(base, ca, tls13, suites);
	CHECK(a.rc == CURLE_SSL_CONNECT_ERROR,
	      "%s: %s must fail the handshake, got curl %d (%s), HTTP %ld, negotiated %s %s", what,
	      suites, (int)a.rc, curl_easy_strerror(a.rc), a.status, a.version, a.cipher);
}

/* Starts a TLS server with the given certificate and key into *t; 1, or 0 (recorded; *t zeroed). */
static int start(struct test_server *t, const char *cert, const char *key)
{
	const char *const opts[][2] = {{"tls-cert", cert}, {"tls-key", key}};
	struct test_server_options o = {.opts = opts, .count = 2, .decision_log = "-"};
	char why[600];
	int rc = test_server_start(t, &o, why, sizeof why);
	CHECK(rc == 0, "TLS server: %s", why);
	return rc == 0;
}

static void test_rsa(void)
{
	char cert[512], key[512];
	CHECK(make_cert("RSA", cert, key, sizeof cert) == 0, "RSA test certificate");
	struct test_server t;
	if (start(&t, cert, key)) {
		const char *u = cds_server_url(t.server);
		/* TLS 1.2, forward secrecy and AEAD: accepted. */
		accepted(u, cert, 0, "ECDHE-RSA-AES128-GCM-SHA256", "RSA TLS 1.2");
		accepted(u, cert, 0, "ECDHE-RSA-AES256-GCM-SHA384", "RSA TLS 1.2");
		accepted(u, cert, 0, "ECDHE-RSA-CHACHA20-POLY1305", "RSA TLS 1.2");
		/* DHE (ffdhe2048 parameters) with AEAD: accepted; DHE with CBC: refused. */
		accepted(u, cert, 0, "DHE-RSA-AES128-GCM-SHA256", "RSA TLS 1.2 DHE");
		accepted(u, cert, 0, "DHE-RSA-CHACHA20-POLY1305", "RSA TLS 1.2 DHE");
		refused(u, cert, 0, "DHE-RSA-AES128-SHA:@SECLEVEL=0", "CBC-SHA1, DHE");
		/* CBC with SHA-1 (forward secret or not), CBC with SHA-256: refused. */
		refused(u, cert, 0, "ECDHE-RSA-AES128-SHA:@SECLEVEL=0", "CBC-SHA1, ECDHE");
		refused(u, cert, 0, "ECDHE-RSA-AES256-SHA:@SECLEVEL=0", "CBC-SHA1, ECDHE");
		refused(u, cert, 0, "ECDHE-RSA-AES128-SHA256:@SECLEVEL=0", "CBC-SHA256, ECDHE");
		/* Static RSA key exchange (no forward secrecy), even with AEAD: refused. */
		refused(u, cert, 0, "AES128-GCM-SHA256:@SECLEVEL=0", "non-FS AEAD");
		refused(u, cert, 0, "AES256-GCM-SHA384:@SECLEVEL=0", "non-FS AEAD");
		refused(u, cert, 0, "AES128-SHA:@SECLEVEL=0", "non-FS CBC-SHA1");
		/* Every non-FS and every CBC suite OpenSSL has, offered together: refused. */
		refused(u, cert, 0, "kRSA:CBC:@SECLEVEL=0", "all static-RSA and CBC suites");
		/* TLS 1.3: the intermediate suites accepted, AES-CCM (in GnuTLS NORMAL) refused. */
		accepted(u, cert, 1, "TLS_AES_128_GCM_SHA256", "TLS 1.3");
		accepted(u, cert, 1, "TLS_AES_256_GCM_SHA384", "TLS 1.3");
		accepted(u, cert, 1, "TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3");
		refused(u, cert, 1, "TLS_AES_128_CCM_SHA256", "TLS 1.3 AES-CCM");
		/* TLS 1.1 and older: refused. */
		char url[256];
		snprintf(url, sizeof url, "%s/healthz", u);
		CURLcode rc = testtls_try_old_tls(url, cert);
		CHECK(rc == CURLE_SSL_CONNECT_ERROR, "TLS 1.0/1.1 must be refused (curl %d)",
		      (int)rc);
	}
	test_server_stop(&t);
}

static void test_ec(void)
{
	char cert[512], key[512];
	CHECK(make_cert("EC", cert, key, sizeof cert) == 0, "EC test certificate");
	struct test_server t;
	if (start(&t, cert, key)) {
		const char *u = cds_server_url(t.server);
		accepted(u, cert, 0, "ECDHE-ECDSA-AES128-GCM-SHA256", "EC TLS 1.2");
		accepted(u, cert, 0, "ECDHE-ECDSA-AES256-GCM-SHA384", "EC TLS 1.2");
		accepted(u, cert, 0, "ECDHE-ECDSA-CHACHA20-POLY1305", "EC TLS 1.2");
		refused(u, cert, 0, "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0", "EC CBC-SHA1");
		refused(u, cert, 0, "ECDHE-ECDSA-AES256-SHA384:@SECLEVEL=0", "EC CBC-SHA384");
		accepted(u, cert, 1, "TLS_AES_128_GCM_SHA256", "EC TLS 1.3");
	}
	test_server_stop(&t);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/cds-tls-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	CHECK(v && v->ssl_version && strncmp(v->ssl_version, "OpenSSL", 7) == 0,
	      "libcurl must use OpenSSL for this test (has %s)",
	      v && v->ssl_version ? v->ssl_version : "none");
	test_rsa();
	test_ec();
	const char *names[] = {"RSA-cert.pem", "RSA-key.pem", "EC-cert.pem", "EC-key.pem"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char p[512];
		snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
		unlink(p);
	}
	rmdir(tmpdir);
	curl_global_cleanup();
	return testkit_done();
}
