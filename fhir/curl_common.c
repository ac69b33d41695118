/* curl_common.c — fhir__curl_common: the one place the server's outgoing HTTP requests get their
 * safety settings (TLS verification on, TLS >= 1.2, timeouts, size cap). It must not set the URL,
 * protocols or redirects: those differ between the JWKS GET and the FHIR client. */
#include "curl_internal.h"

void fhir__curl_common(CURL *e, const char *ca_file, long timeout_ms, curl_off_t max_bytes,
                       char *errbuf)
{
	long ms = timeout_ms > 0 ? timeout_ms : 1L;

	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, max_bytes);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "cds-commissioning");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* what curl can decode */
}
