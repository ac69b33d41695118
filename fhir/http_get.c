/* http_get.c — fhir_http_get: one bounded, blocking GET (the JWK Sets of trusted issuers) with TLS
 * verification on, https only (plain http only to a loopback literal when the caller explicitly
 * allows it), no redirects, a size cap and a total time limit. It must not log URLs' query strings,
 * bodies or credentials, nor keep state between calls (one easy handle per call, never shared). */
#include <stdlib.h>
#include <string.h>

#include "curl_internal.h"
#include "fhir.h"

struct sink {
	char *data;
	size_t length, capacity, max;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	size_t n = size * nmemb;
	if (s->length + n > s->max) {
		s->too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (s->length + n + 1 > s->capacity) {
		size_t cap = s->capacity ? s->capacity : 4096;
		while (cap < s->length + n + 1)
			cap *= 2;
		char *grown = realloc(s->data, cap);
		if (!grown)
			abort(); /* architecture.md rule 5: out of memory aborts */
		s->data = grown;
		s->capacity = cap;
	}
	memcpy(s->data + s->length, ptr, n);
	s->length += n;
	s->data[s->length] = '\0';
	return n;
}

/* 1 when `url` is http(s) to the literal host 127.0.0.1 or [::1]. */
static int is_loopback_url(const char *url)
{
	int loopback = 0;
	char *host = NULL;
	CURLU *u = curl_url();
	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host)
		loopback = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0;
	curl_free(host);
	curl_url_cleanup(u);
	return loopback;
}

int fhir_http_get(const char *url, const struct fhir_http_limits *limits, char **body,
                  size_t *length, struct fhir_error *err)
{
	int rc = FHIR_OK;
	struct sink sink = {NULL, 0, 0, limits->max_bytes, 0};
	CURL *curl = NULL;
	char curl_err[CURL_ERROR_SIZE] = "";
	*body = NULL;
	*length = 0;
	int https = strncmp(url, "https://", 8) == 0;
	int http_ok =
	    limits->allow_http_loopback && strncmp(url, "http://", 7) == 0 && is_loopback_url(url);
	if (!https && !http_ok) {
		fhir_error_set(err, "url", "only https URLs may be fetched%s",
		               limits->allow_http_loopback ? " (or http to 127.0.0.1/[::1])" : "");
		rc = FHIR_ERR_INVALID;
		goto out;
	}
	curl = curl_easy_init();
	if (!curl) {
		fhir_error_set(err, "url", "cannot create an HTTP client");
		rc = FHIR_ERR_IO;
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, http_ok ? "http" : "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	fhir__curl_common(curl, limits->ca_file, limits->timeout_ms, (curl_off_t)limits->max_bytes,
	                  curl_err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	CURLcode cc = curl_easy_perform(curl);
	if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		fhir_error_set(err, "url", "the response is larger than %zu bytes",
		               limits->max_bytes);
		rc = FHIR_ERR_LIMIT;
		goto out;
	}
	if (cc != CURLE_OK) {
		fhir_error_set(err, "url", "%s", curl_err[0] ? curl_err : curl_easy_strerror(cc));
		rc = FHIR_ERR_IO;
		goto out;
	}
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		fhir_error_set(err, "url", "HTTP status %ld", status);
		rc = FHIR_ERR_IO;
		goto out;
	}
	if (!sink.data) { /* an empty 200 */
		sink.data = malloc(1);
		if (!sink.data)
			abort();
		sink.data[0] = '\0';
	}
	*body = sink.data;
	*length = sink.length;
	sink.data = NULL;
out:
	curl_easy_cleanup(curl);
	free(sink.data);
	return rc;
}
