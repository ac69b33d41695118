/* httpclient.c — body accumulation, header parsing and one whole request for the libcurl-driven
 * HTTP tests (test_http, test_auth_http, test_sandbox_http, store_kill, reload_load, replicas,
 * test_fetch, cds-bench-fetch), and one request with any method, header lines and TLS trust with
 * the answer's head kept (test_auth_http, test_sandbox_http), kept in one place. Test support
 * only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpclient.h"

size_t httptest_append(char **body, size_t *length, const char *data, size_t len)
{
	char *grown = realloc(*body, *length + len + 1);

	if (grown == NULL)
		return 0;
	*body = grown;
	memcpy(*body + *length, data, len);
	*length += len;
	(*body)[*length] = '\0';
	return len;
}

void httptest_header_value(const char *line, size_t len, const char *name, char *dst, size_t size)
{
	size_t n = strlen(name), vl;
	const char *v;

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	v = line + n + 1;
	vl = len - n - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		vl--;
	if (vl >= size)
		vl = size - 1;
	memcpy(dst, v, vl);
	dst[vl] = '\0';
}

struct body {
	char *data;
	size_t length;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	return httptest_append(&b->data, &b->length, data, size * n);
}

long httptest_call(CURL *curl, const char *url, const char *body, long timeout_s, char **reply)
{
	return httptest_call_bearer(curl, url, body, NULL, timeout_s, reply);
}

long httptest_call_bearer(CURL *curl, const char *url, const char *body, const char *bearer,
                          long timeout_s, char **reply)
{
	struct body b = {NULL, 0};
	struct curl_slist *headers =
	    body ? curl_slist_append(NULL, "Content-Type: application/json") : NULL;
	long status = 0;
	int ok = !body || headers;
	if (bearer && ok) {
		size_t size = strlen(bearer) + sizeof "Authorization: Bearer ";
		char *line = malloc(size);
		struct curl_slist *more = NULL;
		if (line) {
			snprintf(line, size, "Authorization: Bearer %s", bearer);
			more = curl_slist_append(headers, line);
			free(line);
		}
		if (more)
			headers = more;
		else
			ok = 0;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	else
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	if (ok && curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL); /* freed below */
	curl_slist_free_all(headers);
	*reply = b.data;
	return status;
}

static size_t on_response_body(char *data, size_t size, size_t n, void *ctx)
{
	struct httptest_response *rs = ctx;
	return httptest_append(&rs->body, &rs->length, data, size * n);
}

static size_t on_response_head(char *data, size_t size, size_t n, void *ctx)
{
	struct httptest_response *rs = ctx;
	return httptest_append(&rs->head, &rs->head_length, data, size * n);
}

int httptest_perform(const struct httptest_request *rq, struct httptest_response *rs)
{
	memset(rs, 0, sizeof *rs);
	CURL *c = curl_easy_init();
	struct curl_slist *hd = NULL;
	int ok = c != NULL;
	for (size_t i = 0; ok && rq->headers && rq->headers[i]; i++) {
		struct curl_slist *more = curl_slist_append(hd, rq->headers[i]);
		if (more)
			hd = more;
		else
			ok = 0;
	}
	rs->curl_rc = CURLE_OUT_OF_MEMORY;
	if (ok) {
		curl_easy_setopt(c, CURLOPT_URL, rq->url);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_response_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_response_head);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, rq->timeout_s);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		if (rq->ca)
			curl_easy_setopt(c, CURLOPT_CAINFO, rq->ca);
		if (rq->body)
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		rs->curl_rc = (int)curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
	}
	curl_slist_free_all(hd);
	curl_easy_cleanup(c);
	return rs->curl_rc;
}

void httptest_response_header(const struct httptest_response *rs, const char *name, char *dst,
                              size_t size)
{
	dst[0] = '\0';
	for (const char *line = rs->head; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
		httptest_header_value(line, len, name, dst, size);
		line += len;
	}
}

void httptest_response_clear(struct httptest_response *rs)
{
	free(rs->body);
	free(rs->head);
	memset(rs, 0, sizeof *rs);
}
