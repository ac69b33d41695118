/* testtls.h — what the TLS tests (test_tls, test_auth_http) share: a throwaway self-signed
 * certificate for the loopback server, and the "TLS 1.1 or older only" client attempt that the
 * server must refuse. Test support only. */
#ifndef CDS_TEST_TESTTLS_H
#define CDS_TEST_TESTTLS_H

#include <curl/curl.h>

/* Writes a new self-signed X.509 v3 certificate for IP 127.0.0.1 (CN and subjectAltName; serial
 * 1; valid from 60 s ago for 1 hour; SHA-256) with a new key of `type` ("RSA": 2048 bits; any
 * other value: EC P-256) to cert_path and its private key to key_path, both PEM. 0, or -1 when
 * the key, the certificate or either file could not be made. */
int testtls_make_cert(const char *type, const char *cert_path, const char *key_path);

/* GET url trusting the CA file `ca`, offering only TLS 1.0 to 1.1 (with the client's OpenSSL
 * security level 0, so the client itself would allow them; 30 s timeout). Returns curl's code:
 * a server that refuses the old versions makes it CURLE_SSL_CONNECT_ERROR; CURLE_FAILED_INIT
 * when no curl handle could be made. */
CURLcode testtls_try_old_tls(const char *url, const char *ca);

#endif
