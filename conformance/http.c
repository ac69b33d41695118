/* http.c — the runner's HTTP client: one libcurl easy handle per request, bounded body, raw
 * headers kept for CORS and Content-Type checks, wall time measured around the exchange.
 * It never logs tokens or bodies; callers decide what to print. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "conf.h"

struct sink {
	char *data;
	size_t length;
	int overflow;
};

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;
	if (s->length + len > CONF_MAX_BODY) {
		s->overflow = 1;
		return 0;
	}
	char *grown = realloc(s->data, s->length + len + 1);
	if (!grown)
		abort();
	s->data = grown;
	memcpy(s->data + s->length, data, len);
	s->length += len;
	s->data[s->length] = '\0';
	return len;
}

/* Keeps only the last response's headers (a 100-continue or redirect starts a new block). */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t len = size * n;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		s->length = 0;
	return on_data(data, 1, len, s) == len ? len : 0;
}

static const char *tls_cafile; /* trust anchor for every https call, or NULL */
static int tls_insecure;       /* skip peer verification on every https call */

void conf_http_set_tls(const char *cafile, int insecure)
{
	tls_cafile = cafile;
	tls_insecure = insecure;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int perform(CURL *curl, struct sink *body, struct sink *head, struct conf_http_reply *out)
{
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, head);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, CONF_HTTP_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (tls_cafile)
		curl_easy_setopt(curl, CURLOPT_CAINFO, tls_cafile);
	if (tls_insecure) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	double start = now_ms();
	CURLcode rc = curl_easy_perform(curl);
	out->ms = now_ms() - start;
	if (rc != CURLE_OK) {
		snprintf(out->error, sizeof out->error, "%s%s", curl_easy_strerror(rc),
		         body->overflow ? " (body over the runner's limit)" : "");
		out->status = 0;
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
	}
	out->body = body->data ? body->data : calloc(1, 1);
	out->length = body->length;
	out->headers = head->data ? head->data : calloc(1, 1);
	if (!out->body || !out->headers)
		abort();
	return rc == CURLE_OK ? 0 : -1;
}

int conf_http(const char *method, const char *url, const char *bearer, const char *body,
              const char *const *extra_headers, struct conf_http_reply *out)
{
	memset(out, 0, sizeof *out);
	struct sink b = {0}, h = {0};
	struct curl_slist *list = NULL;
	char auth[16384];
	CURL *curl = curl_easy_init();
	if (!curl)
		abort();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	list = curl_slist_append(list, "Accept: application/json");
	if (bearer) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
		list = curl_slist_append(list, auth);
	}
	int own_type = 0;
	for (size_t i = 0; extra_headers && extra_headers[i]; i++)
		own_type |= strncasecmp(extra_headers[i], "Content-Type:", 13) == 0;
	if (body) {
		if (!own_type)
			list = curl_slist_append(list, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	list = curl_slist_append(list, "Expect:");
	for (size_t i = 0; extra_headers && extra_headers[i]; i++)
		list = curl_slist_append(list, extra_headers[i]);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "POST") != 0 || !body)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	int rc = perform(curl, &b, &h, out);
	curl_slist_free_all(list);
	curl_easy_cleanup(curl);
	return rc;
}

/* Picks the negotiated protocol out of libcurl's "SSL connection using TLSv1.3 / ..." line. */
static int on_debug(CURL *curl, curl_infotype type, char *data, size_t size, void *ctx)
{
	(void)curl;
	static const char marker[] = "SSL connection using ";
	size_t n = sizeof marker - 1;
	if (type == CURLINFO_TEXT && size > n && strncmp(data, marker, n) == 0) {
		char *dst = ctx;
		size_t i = 0;
		for (const char *p = data + n;
		     p < data + size && *p != ' ' && *p != '\n' && i < 31;)
			dst[i++] = *p++;
		dst[i] = '\0';
	}
	return 0;
}

int conf_http_tls(const char *url, const char *cafile, int insecure, struct conf_http_reply *out)
{
	memset(out, 0, sizeof *out);
	struct sink b = {0}, h = {0};
	CURL *curl = curl_easy_init();
	if (!curl)
		abort();
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(curl, CURLOPT_DEBUGDATA, out->tls_version);
	curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
	const char *saved_ca = tls_cafile;
	int saved_insecure = tls_insecure;
	tls_cafile = cafile;
	tls_insecure = insecure;
	int rc = perform(curl, &b, &h, out);
	tls_cafile = saved_ca;
	tls_insecure = saved_insecure;
	curl_easy_cleanup(curl);
	return rc;
}

void conf_http_reply_clear(struct conf_http_reply *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof *r);
}

const char *conf_http_header(const struct conf_http_reply *r, const char *name, char *dst,
                             size_t size)
{
	size_t n = strlen(name);
	for (const char *line = r->headers; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			size_t vl = len - n - 1;
			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			if (vl >= size)
				vl = size - 1;
			memcpy(dst, v, vl);
			dst[vl] = '\0';
			return dst;
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

int conf_http_is_json_family(const struct conf_http_reply *r)
{
	char ct[128];
	if (!conf_http_header(r, "Content-Type", ct, sizeof ct))
		return 0;
	size_t end = strcspn(ct, "; ");
	ct[end] = '\0';
	if (strcasecmp(ct, "application/json") == 0)
		return 1;
	return strncasecmp(ct, "application/", 12) == 0 && end > 17 &&
	       strcasecmp(ct + end - 5, "+json") == 0;
}

int conf_http_is_json(const struct conf_http_reply *r)
{
	char ct[128];
	if (!conf_http_header(r, "Content-Type", ct, sizeof ct))
		return 0;
	const char *media = "application/json";
	size_t n = strlen(media);
	return strncasecmp(ct, media, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}
