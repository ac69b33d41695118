/* httpclient.c — body accumulation, header parsing and one whole request for the libcurl-driven
 * HTTP tests (test_http, test_auth_http, test_sandbox_http, store_kill, reload_load, replicas,
 * test_fetch, cds-bench-fetch), kept in one place. Test support only. */
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
