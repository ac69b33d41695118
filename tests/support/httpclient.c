/* httpclient.c — body accumulation and header parsing for the libcurl-driven HTTP tests
 * (test_http, test_auth_http, test_sandbox_http), kept in one place. Test support only. */
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
