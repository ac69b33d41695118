/* text.c — small helpers shared by the engine files (string copies, arena arrays) and card
 * text helpers: the {{placeholder}} names of summaries, details and suggestion templates (card.c
 * expands them), UTF-8 aware truncation (CDS Hooks 2.0 §Card: summary < 140 characters), and
 * random UUIDs for cards, suggestions and assessments. No I/O beyond getrandom(2). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "engine_internal.h"

void engine__each_placeholder(const char *text, void (*fn)(void *ctx, const char *name, size_t len),
                              void *ctx)
{
	const char *p = text;

	while ((p = strstr(p, "{{")) != NULL) {
		const char *end = strstr(p + 2, "}}");

		if (end == NULL)
			return;
		fn(ctx, p + 2, (size_t)(end - (p + 2)));
		p = end + 2;
	}
}

void engine__truncate_utf8(char *text, size_t limit)
{
	size_t points = 0, i, cut = 0;
	static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */

	for (i = 0; text[i] != '\0'; i++) {
		if (((unsigned char)text[i] & 0xC0) != 0x80) {
			if (points == limit - 2)
				cut = i; /* room for the ellipsis: limit - 1 points in all */
			points++;
		}
	}
	if (points < limit)
		return;
	/* drop a trailing space before the ellipsis */
	while (cut > 0 && text[cut - 1] == ' ')
		cut--;
	memcpy(text + cut, ellipsis, sizeof(ellipsis));
}

void engine__uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n <= 0)
			abort(); /* no entropy: nothing sensible to do */
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* RFC 4122 §4.4: version 4 */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 10 */
	/* 8-4-4-4-12 lower-case hex digits, as "%02x" would print them (no format per card) */
	for (size_t i = 0, o = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = "0123456789abcdef"[b[i] >> 4];
		out[o++] = "0123456789abcdef"[b[i] & 0x0F];
	}
	out[36] = '\0';
}

const char *engine__concept_text(const cJSON *cc)
{
	const cJSON *coding;

	if (fhir_get_string(cc, "text") != NULL)
		return fhir_get_string(cc, "text");
	cJSON_ArrayForEach(coding, fhir_get(cc, "coding"))
	{
		const char *display = fhir_get_string(coding, "display");

		if (display != NULL)
			return display;
	}
	return NULL;
}

int engine__ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *engine__strdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d == NULL)
		abort();
	memcpy(d, s, n);
	return d;
}

void *engine__arena_room(struct fhir_arena *arena, void *items, size_t count, size_t *cap,
                         size_t first, size_t size)
{
	void *bigger;

	if (count < *cap)
		return items;
	*cap = *cap == 0 ? first : *cap * 2;
	bigger = fhir_arena_alloc(arena, *cap * size);
	if (count > 0)
		memcpy(bigger, items, count * size);
	return bigger;
}
