/* testtls.c — throwaway certificates and the old-TLS client attempt for the TLS tests
 * (test_tls, test_auth_http), kept in one place. Test support only. */
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testtls.h"

int testtls_make_cert(const char *type, const char *cert_path, const char *key_path)
{
	EVP_PKEY *pkey = strcmp(type, "RSA") == 0
	                     ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
	                     : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	if (!pkey || !x) {
		EVP_PKEY_free(pkey);
		X509_free(x);
		return -1;
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pkey);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, pkey, EVP_sha256());
	FILE *c = fopen(cert_path, "w"), *k = fopen(key_path, "w");
	int ok = c && k && PEM_write_X509(c, x) &&
	         PEM_write_PrivateKey(k, pkey, NULL, NULL, 0, NULL, NULL);
	if (c)
		fclose(c);
	if (k)
		fclose(k);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ok ? 0 : -1;
}

CURLcode testtls_try_old_tls(const char *url, const char *ca)
{
	CURLcode rc = CURLE_FAILED_INIT;
	CURL *c = curl_easy_init();
	if (c) {
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
		curl_easy_setopt(c, CURLOPT_SSLVERSION,
		                 (long)(CURL_SSLVERSION_TLSv1_0 | CURL_SSLVERSION_MAX_TLSv1_1));
		curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, "DEFAULT:@SECLEVEL=0");
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		rc = curl_easy_perform(c);
		curl_easy_cleanup(c);
	}
	return rc;
}
