/* json_limited.c — parses untrusted JSON (CDS Hooks request bodies, JWTs, JWK Sets, answers of the
 * EHR's FHIR server) under named limits: size, nesting depth (checked on the raw bytes before
 * cJSON recurses), string length and array items, with RFC 8259 UTF-8 and control-character
 * checks. Over a limit is an error with a message, never a crash or a stall. It must not keep
 * state between calls. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_internal.h"

/* How many of the n bytes at s, from the start, are ASCII other than NUL, '"' and the brackets:
 * what scan skips outside strings (eight tested at a time: a byte equal to one of those, or
 * above 0x7F, sets the high bit of its lane; '[' and '{', ']' and '}' differ only in 0x20). */
static size_t structure_free_run(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	size_t i = 0;
	while (i + 8 <= n) {
		uint64_t x, folded, q, open, close, hit;
		memcpy(&x, s + i, 8);
		folded = x | (ones * 0x20);
		q = x ^ (ones * '"');
		open = folded ^ (ones * '{');
		close = folded ^ (ones * '}');
		hit = x | ((x - ones) & ~x) | ((q - ones) & ~q) | ((open - ones) & ~open) |
		      ((close - ones) & ~close);
		if (hit & (ones * 0x80))
			break;
		i += 8;
	}
	while (i < n && s[i] != 0 && s[i] < 0x80 && s[i] != '"' && s[i] != '{' && s[i] != '[' &&
	       s[i] != '}' && s[i] != ']')
		i++;
	return i;
}

/* Scans the raw text before cJSON sees it (RFC 8259): valid UTF-8, no unescaped control
 * characters inside strings, nesting no deeper than max_depth, and no string longer than
 * max_string_bytes (0: any; counted as written, escapes included). */
static int scan(const char *text, size_t length, const struct fhir_json_limits *limits,
                const char *subject, struct fhir_error *err)
{
	const unsigned char *b = (const unsigned char *)text;
	const unsigned long max_depth = limits->max_depth;
	const size_t max_string = limits->max_string_bytes;
	int depth = 0, in_string = 0, escaped = 0;
	size_t string_start = 0;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = b[i];
		/* the common bytes first, in tight loops that change no state: inside a string,
		 * printable ASCII other than '"' and '\\'; outside, ASCII that is not NUL, a quote
		 * or a bracket. The last byte always takes the full path below. */
		if (in_string && !escaped) {
			i += fhir_json_plain_run(b + i, length - i - 1);
			c = b[i];
		} else if (!in_string) {
			i += structure_free_run(b + i, length - i - 1);
			c = b[i];
		}
		if (c >= 0x80) {
			size_t n = fhir_utf8_sequence(b + i, length - i);
			if (n == 0) {
				fhir_error_set(err, "", "%s is not valid UTF-8 (at byte %zu)",
				               subject, i);
				return FHIR_ERR_SYNTAX;
			}
			i += n - 1;
			continue;
		}
		if (c == 0 || (in_string && c < 0x20)) {
			fhir_error_set(err, "",
			               "unescaped control character 0x%02x in %s (at byte %zu)",
			               (unsigned)c, subject, i);
			return FHIR_ERR_SYNTAX;
		}
		if (in_string) {
			if (escaped) {
				escaped = 0;
			} else if (c == '\\') {
				escaped = 1;
			} else if (c == '"') {
				in_string = 0;
				if (max_string > 0 && i - string_start - 1 > max_string) {
					fhir_error_set(
					    err, "",
					    "a JSON string of %zu bytes (at byte %zu); at "
					    "most %zu are accepted",
					    i - string_start - 1, string_start, max_string);
					return FHIR_ERR_LIMIT;
				}
			}
			continue;
		}
		if (c == '"') {
			in_string = 1;
			string_start = i;
		} else if (c == '{' || c == '[') {
			if ((unsigned long)++depth > max_depth) {
				fhir_error_set(err, "",
				               "JSON nesting deeper than %lu levels (at byte %zu)",
				               max_depth, i);
				return FHIR_ERR_LIMIT;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return FHIR_OK;
}

/* Appends "/name" (RFC 6901 escaped) to the pointer in buf; returns the old length. */
static size_t pointer_push(char *buf, size_t size, const char *name)
{
	size_t old = strlen(buf), n = old;
	if (n + 1 < size)
		buf[n++] = '/';
	for (const char *p = name; *p && n + 2 < size; p++) {
		if (*p == '~' || *p == '/') {
			buf[n++] = '~';
			buf[n++] = *p == '~' ? '0' : '1';
		} else {
			buf[n++] = *p;
		}
	}
	buf[n < size ? n : size - 1] = '\0';
	return old;
}

/* Rejects any array with more than max_items items, naming it by JSON pointer. */
static int check_arrays(const cJSON *node, char *pointer, size_t size, unsigned long max_items,
                        struct fhir_error *err)
{
	if (cJSON_IsArray(node)) {
		size_t count = 0;
		for (const cJSON *c = node->child; c; c = c->next)
			count++;
		if (count > max_items) {
			fhir_error_set(err, pointer,
			               "array has %zu items; at most %lu are accepted", count,
			               max_items);
			return FHIR_ERR_LIMIT;
		}
	}
	if (!cJSON_IsArray(node) && !cJSON_IsObject(node))
		return FHIR_OK;
	size_t index = 0;
	for (const cJSON *c = node->child; c; c = c->next, index++) {
		if (!cJSON_IsArray(c) && !cJSON_IsObject(c))
			continue;
		char name[32];
		const char *key = c->string;
		if (cJSON_IsArray(node) || !key) {
			snprintf(name, sizeof name, "%zu", index);
			key = name;
		}
		size_t old = pointer_push(pointer, size, key);
		int rc = check_arrays(c, pointer, size, max_items, err);
		pointer[old] = '\0';
		if (rc != FHIR_OK)
			return rc;
	}
	return FHIR_OK;
}

/* 1 when some array below node has more than max_items items (check_arrays names it). */
static int arrays_too_long(const cJSON *node, unsigned long max_items)
{
	size_t count = 0;
	for (const cJSON *c = node->child; c; c = c->next) {
		count++;
		if ((c->type & (cJSON_Array | cJSON_Object)) && c->child &&
		    arrays_too_long(c, max_items))
			return 1;
	}
	return (node->type & cJSON_Array) && count > max_items;
}

int fhir_json_parse_limited(const char *text, size_t length, const struct fhir_json_limits *limits,
                            cJSON **out, struct fhir_error *err)
{
	const char *subject = limits->subject != NULL ? limits->subject : "the JSON text";
	int rc = FHIR_OK;
	cJSON *json = NULL;
	*out = NULL;
	if (!text || length == 0) {
		fhir_error_set(err, "", "%s is empty; a JSON object is required", subject);
		rc = FHIR_ERR_SYNTAX;
		goto out;
	}
	if (limits->max_bytes > 0 && length > limits->max_bytes) {
		fhir_error_set(err, "", "%s is %zu bytes; at most %zu are accepted", subject,
		               length, limits->max_bytes);
		rc = FHIR_ERR_LIMIT;
		goto out;
	}
	/* one allocation, checked as it is read; what it refuses or is unsure of goes the long way
	 * below, so errors are the scan's and cJSON's */
	if (limits->one_block && (json = fhir__json_parse_block(text, length, limits)) != NULL)
		goto checked; /* the block parser counted array items as it read them */
	rc = scan(text, length, limits, subject, err);
	if (rc != FHIR_OK)
		goto out;
	const char *end = NULL;
	json = cJSON_ParseWithLengthOpts(text, length, &end, 0);
	if (!json) {
		size_t at = end && end >= text ? (size_t)(end - text) : 0;
		fhir_error_set(err, "", "%s is not valid JSON (error near byte %zu)", subject, at);
		rc = FHIR_ERR_SYNTAX;
		goto out;
	}
	while (end && (size_t)(end - text) < length &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end && (size_t)(end - text) < length) {
		fhir_error_set(err, "", "unexpected text after the JSON value (at byte %zu)",
		               (size_t)(end - text));
		rc = FHIR_ERR_SYNTAX;
		goto out;
	}
	char pointer[256] = "";
	if (arrays_too_long(json, limits->max_items)) /* then again, naming the array */
		rc = check_arrays(json, pointer, sizeof pointer, limits->max_items, err);
	if (rc != FHIR_OK)
		goto out;
checked:
	*out = json;
	json = NULL;
out:
	cJSON_Delete(json);
	return rc;
}
