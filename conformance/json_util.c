/* json_util.c — small JSON and text helpers of the runner: the CDS Hooks 2.0 null/empty walker
 * (D7, H3), UTF-8 character counting (C1: summary < 140 characters, not bytes), absolute-URL
 * test, file reading. No network, no knowledge of any particular service. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static void walk(const cJSON *v, char *ptr, size_t used, size_t size, int root, const char *allow,
                 const char *label, struct conf_findings *f)
{
	if (cJSON_IsNull(v)) {
		conf_find(f, "%s %s is null", label, used ? ptr : "/");
		return;
	}
	if (cJSON_IsString(v) && v->valuestring && !v->valuestring[0]) {
		conf_find(f, "%s %s is an empty string", label, ptr);
		return;
	}
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return;
	if (!v->child) {
		int allowed =
		    root && allow && cJSON_IsArray(v) && v->string && strcmp(v->string, allow) == 0;
		if (!allowed)
			conf_find(f, "%s %s is an empty %s", label, used ? ptr : "/",
			          cJSON_IsArray(v) ? "array" : "object");
		return;
	}
	size_t i = 0;
	for (const cJSON *c = v->child; c; c = c->next, i++) {
		int n;
		if (cJSON_IsObject(v))
			n = snprintf(ptr + used, size - used, "/%s", c->string ? c->string : "");
		else
			n = snprintf(ptr + used, size - used, "/%zu", i);
		size_t next = used + (n > 0 ? (size_t)n : 0);
		if (next >= size)
			next = size - 1;
		walk(c, ptr, next, size, 0, allow, label, f);
		ptr[used] = '\0';
	}
}

void conf_json_nulls(const cJSON *v, const char *allow_empty_root_key, const char *label,
                     struct conf_findings *f)
{
	char ptr[512] = "";
	if (!cJSON_IsObject(v)) {
		walk(v, ptr, 0, sizeof ptr, 0, NULL, label, f);
		return;
	}
	size_t i = 0;
	for (const cJSON *c = v->child; c; c = c->next, i++) {
		int n = snprintf(ptr, sizeof ptr, "/%s", c->string ? c->string : "");
		walk(c, ptr, n > 0 && (size_t)n < sizeof ptr ? (size_t)n : 0, sizeof ptr, 1,
		     allow_empty_root_key, label, f);
	}
	if (!v->child)
		conf_find(f, "%s / is an empty object", label);
}

size_t conf_utf8_length(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

int conf_is_absolute_url(const char *s, int http_only)
{
	if (!s)
		return 0;
	if (http_only)
		return (strncmp(s, "http://", 7) == 0 && s[7]) ||
		       (strncmp(s, "https://", 8) == 0 && s[8]);
	const char *colon = strchr(s, ':');
	if (!colon || colon == s)
		return 0;
	for (const char *p = s; p < colon; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (p > s && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
		if (!ok)
			return 0;
	}
	return colon[1] == '/' && colon[2] == '/' && colon[3];
}

char *conf_read_file(const char *path, size_t *length)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *grown = realloc(buf, cap);
			if (!grown)
				abort();
			buf = grown;
		}
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	if (length)
		*length = len;
	return buf;
}

cJSON *conf_read_json(const char *path)
{
	size_t len;
	char *text = conf_read_file(path, &len);
	if (!text)
		return NULL;
	cJSON *v = cJSON_ParseWithLength(text, len);
	free(text);
	return v;
}

const char *conf_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}
