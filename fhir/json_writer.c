/* json_writer.c — a streaming JSON writer: values are appended to one growing malloc'd buffer as
 * they are produced, commas and nesting handled by the writer, strings escaped (RFC 8259 §7) with
 * valid UTF-8 passed through and each invalid byte replaced by U+FFFD, so that the text is always
 * valid JSON in valid UTF-8. In prune mode it leaves out what CDS Hooks 2.0 §1 forbids (null, "",
 * [], {}), rolling back a container that ends empty. It builds no tree and must not know what
 * the JSON means. */
#include "json_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *must(void *p)
{
	if (p == NULL)
		abort(); /* architecture.md rule 5 */
	return p;
}

static void reserve(struct fhir_json_writer *w, size_t n)
{
	size_t cap;

	if (w->cap - w->len > n)
		return; /* room for n bytes and the NUL */
	if (n > SIZE_MAX / 2 - w->len)
		abort();
	cap = w->cap < 1024 ? 1024 : w->cap;
	while (cap - w->len <= n)
		cap *= 2;
	w->buf = must(realloc(w->buf, cap));
	w->cap = cap;
}

static void put(struct fhir_json_writer *w, const char *s, size_t n)
{
	reserve(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void put_char(struct fhir_json_writer *w, char c)
{
	reserve(w, 1);
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

size_t fhir_utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

size_t fhir_json_plain_run(const unsigned char *s, size_t n)
{
	return fhir__json_plain_prefix(NULL, s, n);
}

/* Writes one escaped piece of a string: at most SEGMENT input bytes, into room reserved for the
 * worst case (6 output bytes per input byte). Returns the input bytes consumed. */
#define SEGMENT ((size_t)4096)
static size_t put_segment(struct fhir_json_writer *w, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, end = n < SEGMENT ? n : SEGMENT;
	char *o;

	reserve(w, end * 6 + 4); /* the segment, a sequence it cuts, the closing quote */
	o = w->buf + w->len;
	while (i < end) {
		size_t seq, run = fhir__json_plain_prefix(o, s + i, end - i);
		unsigned char c;

		o += run;
		i += run;
		if (i >= end)
			break;
		c = s[i]; /* not plain: escaped, or checked as UTF-8 */
		if (c >= 0x80) {
			seq = fhir_utf8_sequence(s + i, n - i);
			if (seq == 0) { /* U+FFFD for a byte that is not UTF-8 */
				memcpy(o, "\xEF\xBF\xBD", 3);
				o += 3;
				i++;
			} else {
				memcpy(o, s + i, seq);
				o += seq;
				i += seq;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
		i++;
	}
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
	return i;
}

/* Writes s (n bytes) as a JSON string, quotes included; with `comma`, a ',' before it, with
 * `colon`, a ':' after it (a member's name). */
static void put_string(struct fhir_json_writer *w, const char *text, size_t n, int comma, int colon)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i;
	char *o;

	reserve(w, n + 4); /* the string when it is all plain (most often), comma, quotes, colon */
	o = w->buf + w->len;
	if (comma)
		*o++ = ',';
	*o++ = '"';
	i = fhir__json_plain_prefix(o, s, n);
	o += i;
	if (i < n) { /* escapes or UTF-8 to check */
		w->len = (size_t)(o - w->buf);
		while (i < n)
			i += put_segment(w, s + i, n - i);
		reserve(w, 2);
		o = w->buf + w->len;
	}
	*o++ = '"';
	if (colon)
		*o++ = ':';
	*o = '\0';
	w->len = (size_t)(o - w->buf);
}

void fhir_json_init(struct fhir_json_writer *w, int prune)
{
	memset(w, 0, sizeof(*w));
	w->prune = prune;
}

/* Starts a value: the comma before it and its key when inside an object. */
static void begin_value(struct fhir_json_writer *w, const char *key)
{
	struct fhir_json_level *l = w->depth > 0 ? &w->levels[w->depth - 1] : NULL;

	if (l != NULL && l->object)
		put_string(w, key != NULL ? key : "", key != NULL ? strlen(key) : 0, l->count > 0,
		           1);
	else if (l != NULL && l->count > 0)
		put_char(w, ',');
}

/* A scalar was written: the container it is in is not empty. */
static void counted(struct fhir_json_writer *w)
{
	if (w->depth > 0)
		w->levels[w->depth - 1].count++;
}

static void open_container(struct fhir_json_writer *w, const char *key, int object)
{
	struct fhir_json_level *l;
	size_t start = w->len;

	if (w->depth == w->level_cap) {
		size_t cap = w->level_cap < 16 ? 16 : w->level_cap * 2;

		w->levels = must(realloc(w->levels, cap * sizeof(*w->levels)));
		w->level_cap = cap;
	}
	begin_value(w, key);
	put_char(w, object ? '{' : '[');
	l = &w->levels[w->depth++];
	l->start = start;
	l->count = 0;
	l->object = object;
	l->keep = 0;
}

void fhir_json_object(struct fhir_json_writer *w, const char *key)
{
	open_container(w, key, 1);
}

void fhir_json_array(struct fhir_json_writer *w, const char *key)
{
	open_container(w, key, 0);
}

void fhir_json_keep(struct fhir_json_writer *w)
{
	if (w->depth > 0)
		w->levels[w->depth - 1].keep = 1;
}

void fhir_json_end(struct fhir_json_writer *w)
{
	struct fhir_json_level *l;

	if (w->depth == 0)
		abort(); /* more ends than begins: a programming error */
	l = &w->levels[--w->depth];
	if (w->prune && l->count == 0 && !l->keep && w->depth > 0) {
		w->len = l->start; /* CDS Hooks 2.0 §1: no [] or {} (the key goes too) */
		w->buf[w->len] = '\0';
		return;
	}
	put_char(w, l->object ? '}' : ']');
	counted(w);
}

void fhir_json_string_n(struct fhir_json_writer *w, const char *key, const char *s, size_t n)
{
	if (s == NULL || (w->prune && n == 0))
		return;
	begin_value(w, key);
	put_string(w, s, n, 0, 0);
	counted(w);
}

void fhir_json_string(struct fhir_json_writer *w, const char *key, const char *s)
{
	fhir_json_string_n(w, key, s, s != NULL ? strlen(s) : 0);
}

/* The text of a number as cJSON 1.7.15 prints it (print_number): %1.15g, or %1.17g when that
 * does not read back within a relative DBL_EPSILON. */
static size_t number_text(double d, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%1.15g", d);
	double back = n > 0 ? strtod(buf, NULL) : 0;
	double max = fabs(back) > fabs(d) ? fabs(back) : fabs(d);

	if (n <= 0 || !(fabs(back - d) <= max * DBL_EPSILON))
		n = snprintf(buf, size, "%1.17g", d);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

void fhir_json_number(struct fhir_json_writer *w, const char *key, double d)
{
	char buf[64];
	size_t n;

	if (!isfinite(d)) { /* JSON has no NaN or infinity: null, as cJSON prints them */
		fhir_json_null(w, key);
		return;
	}
	n = number_text(d, buf, sizeof(buf));
	begin_value(w, key);
	put(w, buf, n);
	counted(w);
}

void fhir_json_bool(struct fhir_json_writer *w, const char *key, int b)
{
	begin_value(w, key);
	put(w, b ? "true" : "false", b ? 4 : 5);
	counted(w);
}

void fhir_json_null(struct fhir_json_writer *w, const char *key)
{
	if (w->prune)
		return;
	begin_value(w, key);
	put(w, "null", 4);
	counted(w);
}

void fhir_json_value(struct fhir_json_writer *w, const char *key, const cJSON *item)
{
	const cJSON *child;

	if (item == NULL)
		return;
	switch (item->type & 0xFF) {
	case cJSON_False:
		fhir_json_bool(w, key, 0);
		return;
	case cJSON_True:
		fhir_json_bool(w, key, 1);
		return;
	case cJSON_NULL:
		fhir_json_null(w, key);
		return;
	case cJSON_Number:
		fhir_json_number(w, key, item->valuedouble);
		return;
	case cJSON_String:
		fhir_json_string(w, key, item->valuestring);
		return;
	case cJSON_Raw:
		if (item->valuestring == NULL || (w->prune && item->valuestring[0] == '\0'))
			return;
		begin_value(w, key);
		put(w, item->valuestring, strlen(item->valuestring));
		counted(w);
		return;
	case cJSON_Array:
	case cJSON_Object:
		open_container(w, key, (item->type & 0xFF) == cJSON_Object);
		for (child = item->child; child != NULL; child = child->next)
			fhir_json_value(w, child->string, child);
		fhir_json_end(w);
		return;
	default: /* cJSON_Invalid: nothing, as cJSON prints nothing for it */
		return;
	}
}

char *fhir_json_finish(struct fhir_json_writer *w, size_t *length)
{
	char *text;

	if (w->depth != 0)
		abort(); /* a container left open: a programming error */
	if (w->buf == NULL)
		w->buf = must(calloc(1, 1));
	text = w->buf;
	if (length != NULL)
		*length = w->len;
	w->buf = NULL;
	fhir_json_discard(w);
	return text;
}

void fhir_json_discard(struct fhir_json_writer *w)
{
	int prune = w->prune;

	free(w->buf);
	free(w->levels);
	fhir_json_init(w, prune);
}
