/* httpclient.h — the pieces of a libcurl test client that the HTTP tests share: appending a
 * response body, picking one header's value out of a raw header line, and one whole request.
 * Test support only. */
#ifndef CDS_TEST_HTTPCLIENT_H
#define CDS_TEST_HTTPCLIENT_H

#include <stddef.h>

#include <curl/curl.h>

/* Appends len bytes to *body (NEW/realloc'd, NUL-terminated; free with free) and grows
 * *length. Returns len, or 0 when out of memory (which makes libcurl stop). */
size_t httptest_append(char **body, size_t *length, const char *data, size_t len);

/* When the raw header line (len bytes, "Name: value\r\n") is header `name` (case-insensitive),
 * copies its trimmed value into dst (size bytes, truncated, NUL-terminated); else leaves dst. */
void httptest_header_value(const char *line, size_t len, const char *name, char *dst, size_t size);

/* One request on `curl` (reused: its connection is kept alive between calls): POST `body` as
 * application/json to url, or GET url when body is NULL, within timeout_s seconds (libcurl's
 * CURLOPT_TIMEOUT; no signals). Returns the status (0: no whole reply, transport failure) and
 * the body in *reply (NEW, NUL-terminated, free with free; NULL when none came). */
long httptest_call(CURL *curl, const char *url, const char *body, long timeout_s, char **reply);

/* httptest_call with an "Authorization: Bearer <bearer>" header (bearer NULL: none, as
 * httptest_call). Out of memory for the header: no request, status 0. */
long httptest_call_bearer(CURL *curl, const char *url, const char *body, const char *bearer,
                          long timeout_s, char **reply);

/* One request as a browser or an EHR sends it (test_auth_http, test_sandbox_http). */
struct httptest_request {
	const char *method; /* "GET", "POST", "OPTIONS"... (CURLOPT_CUSTOMREQUEST) */
	const char *url;    /* the whole URL */
	const char *const
	    *headers;     /* extra header lines ("Name: value"), NULL-terminated; NULL: none */
	const char *body; /* the request body; NULL: none */
	const char *ca;   /* TLS trust (a PEM file); NULL: libcurl's default */
	long timeout_s;   /* libcurl's CURLOPT_TIMEOUT (no signals) */
};

/* Its answer: clear with httptest_response_clear. */
struct httptest_response {
	int curl_rc;   /* libcurl's CURLcode (CURLE_OK: the exchange completed) */
	long status;   /* the status code received, even when curl_rc is not CURLE_OK; 0: none */
	char *body;    /* NEW, NUL-terminated; NULL: none */
	size_t length; /* of body */
	char *head;    /* NEW: every header line received, as received; NULL: none */
	size_t head_length; /* of head */
};

/* Performs rq on a handle of its own into *rs (zeroed first). Returns rs->curl_rc. */
int httptest_perform(const struct httptest_request *rq, struct httptest_response *rs);

/* The trimmed value of the last header `name` (case-insensitive) in rs->head into dst (size
 * bytes, truncated, NUL-terminated); "" when there is none. */
void httptest_response_header(const struct httptest_response *rs, const char *name, char *dst,
                              size_t size);

/* Frees body and head; *rs zeroed. */
void httptest_response_clear(struct httptest_response *rs);

#endif
