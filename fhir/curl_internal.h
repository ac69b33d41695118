/* curl_internal.h — the libcurl settings every outgoing request of the server shares (the JWKS
 * GET in http_get.c and the FHIR-server client in fhir_client.c), so that TLS verification,
 * timeouts and size caps are set in one place. Internal to fhir/; never include it elsewhere. */
#ifndef CDS_FHIR_CURL_INTERNAL_H
#define CDS_FHIR_CURL_INTERNAL_H

#include <curl/curl.h>

/* Sets on easy handle e: peer and host verification, TLS >= 1.2, `ca_file` as the trust store
 * when not NULL, no signals (thread-safe timeouts), total and connect timeouts of timeout_ms
 * (at least 1), a max_bytes response cap, errbuf (CURL_ERROR_SIZE bytes, BORROWED for the
 * transfer) as the error buffer, our User-Agent and any content encoding curl can decode.
 * The caller sets the URL, protocols, redirects, write callback and headers. */
void fhir__curl_common(CURL *e, const char *ca_file, long timeout_ms, curl_off_t max_bytes,
                       char *errbuf);

#endif
