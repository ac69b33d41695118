/* httpclient.h — the pieces of a libcurl test client that the HTTP tests share: appending a
 * response body and picking one header's value out of a raw header line. Test support only. */
#ifndef CDS_TEST_HTTPCLIENT_H
#define CDS_TEST_HTTPCLIENT_H

#include <stddef.h>

/* Appends len bytes to *body (NEW/realloc'd, NUL-terminated; free with free) and grows
 * *length. Returns len, or 0 when out of memory (which makes libcurl stop). */
size_t httptest_append(char **body, size_t *length, const char *data, size_t len);

/* When the raw header line (len bytes, "Name: value\r\n") is header `name` (case-insensitive),
 * copies its trimmed value into dst (size bytes, truncated, NUL-terminated); else leaves dst. */
void httptest_header_value(const char *line, size_t len, const char *name, char *dst, size_t size);

#endif
