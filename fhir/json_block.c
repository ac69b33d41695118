/* json_block.c — builds the cJSON tree of a JSON text in one allocation: the nodes, then the
 * strings they point to. Every node and string of a request body otherwise costs a malloc and a
 * free, a quarter of a service call (issue 12). The tree must be what cJSON_ParseWithLengthOpts
 * builds for the same text (types, valueint, valuedouble, strings, member order, prev links);
 * anything this parser is not sure of (whitespace other than space, tab, CR and LF, a byte-order
 * mark, a \u0000 or lone surrogate, a number cJSON reads oddly, any syntax error) makes it answer
 * NULL, and the caller then lets cJSON parse, so errors and odd texts are treated exactly as
 * before. */
#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

/* Member names kept once per text (see intern_name): 2^NAME_BITS slots, and the longest name
 * kept. */
#define NAME_BITS    9
#define NAME_SLOTS   (1u << NAME_BITS)
#define NAME_MAX_LEN 64

struct block {
	const unsigned char *s, *end; /* the text */
	const struct fhir_json_limits *limits;
	unsigned long depth; /* containers open */
	cJSON *nodes;        /* nodes[0] is the root */
	size_t used, cap;    /* nodes */
	char *strings;       /* the next free byte of the string area */
	/* the member names read so far, by hash: direct-mapped, a later name replacing an earlier
	 * one in its slot (NULL: empty) */
	const char *names[NAME_SLOTS];
};

/* The member name just written at `name` (its NUL at end - 1, the string area's next free byte
 * at end): the copy of the same name read earlier, when its slot holds one, giving back the
 * bytes just written; else `name`, filed in its slot. A record names the same few members
 * (resourceType, coding, system, code, ...) thousands of times: one copy of each keeps the
 * strings a member search compares in a few cache lines instead of one or two per member read.
 * The text of every name is what it was (cJSON gives each its own copy, which no reader of this
 * read-only tree can tell apart). */
/* Whether the name kept earlier at `kept` is the len bytes at name (no NUL among them). Every
 * byte from kept to name + len is in the string area (kept was written before name), so kept's
 * bytes up to kept[len] may be read whatever its own length: it is the same name when its byte
 * len is its NUL and the first and last four or eight bytes match (which cover all of a name of
 * up to 16 bytes), or memcmp says so. */
static int same_name(const char *kept, const char *name, size_t len)
{
	if (kept[len] != '\0')
		return 0;
	if (len >= 8 && len <= 16) {
		uint64_t a, b, c, d;

		memcpy(&a, kept, 8);
		memcpy(&b, name, 8);
		memcpy(&c, kept + len - 8, 8);
		memcpy(&d, name + len - 8, 8);
		return a == b && c == d;
	}
	if (len >= 4 && len < 8) {
		uint32_t a, b, c, d;

		memcpy(&a, kept, 4);
		memcpy(&b, name, 4);
		memcpy(&c, kept + len - 4, 4);
		memcpy(&d, name + len - 4, 4);
		return a == b && c == d;
	}
	return memcmp(kept, name, len) == 0;
}

static const char *intern_name(struct block *b, char *name, const char *end)
{
	size_t len = (size_t)(end - name) - 1;
	uint32_t head = 0, tail = 0;
	uint64_t h;
	const char **slot;

	if (len > NAME_MAX_LEN)
		return name;
	/* a cheap hash (the first and last four bytes, and the length): a collision only costs a
	 * name kept twice, since a slot's name is compared whole before it is shared */
	if (len >= 4) {
		memcpy(&head, name, 4);
		memcpy(&tail, name + len - 4, 4);
	} else {
		for (size_t i = 0; i < len; i++)
			head = head << 8 | (unsigned char)name[i];
	}
	h = (uint64_t)head * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(tail ^ len) * 0xC2B2AE3D27D4EB4FULL;
	slot = &b->names[h >> (64 - NAME_BITS)];
	if (*slot != NULL && same_name(*slot, name, len)) {
		b->strings = name; /* the copy just written is not needed */
		return *slot;
	}
	*slot = name;
	return name;
}

static const unsigned char *skip_space_slow(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
	/* sixteen bytes at a time: a line break and its indentation are most often one test */
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i sp = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
		                          _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
		__m128i ctl = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\r')),
		                           _mm_cmpeq_epi8(x, _mm_set1_epi8('\t')));
		unsigned ws = (unsigned)_mm_movemask_epi8(_mm_or_si128(sp, ctl));

		if (ws != 0xFFFF)
			return p + __builtin_ctz(~ws);
		p += 16;
	}
#endif
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* p past the whitespace (space, tab, CR, LF) at it. */
static inline const unsigned char *skip_space(const unsigned char *p, const unsigned char *end)
{
	if (p < end && p[0] > 0x20) /* a compact text: no space between tokens */
		return p;
	if (end - p >= 2 && p[0] == ' ' && p[1] > 0x20) /* one space, as after a member's colon */
		return p + 1;
	return skip_space_slow(p, end);
}

static cJSON *new_node(struct block *b)
{
	cJSON *n;

	if (b->used >= b->cap)
		return NULL; /* cannot happen: cap bounds the values (fhir__json_parse_block) */
	n = &b->nodes[b->used++];
	memset(n, 0, sizeof(*n));
	return n;
}

static int hex4(const unsigned char *p, unsigned *out)
{
	unsigned h = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1; /* cJSON reads such an escape as U+0000: left to cJSON */
		h = (h << 4) | d;
	}
	*out = h;
	return 0;
}

/* A string at *pp (the opening quote) into the string area; *pp moves past the closing quote. */
static char *parse_string(struct block *b, const unsigned char **pp)
{
	const unsigned char *p = *pp + 1, *end = b->end;
	char *out = b->strings, *o = out;

	for (;;) {
		unsigned k = 16;

		/* sixteen bytes copied at a time, of which the plain start is kept: the string area
		 * has room for the text read so far and 16 bytes more (fhir__json_parse_block) */
		while (k == 16 && end - p >= 16) {
			k = fhir__json_copy_plain16(o, p);
			o += k;
			p += k;
		}
		if (k == 16) { /* the last 15 bytes of the text or fewer */
			size_t run = fhir__json_plain_prefix(o, p, (size_t)(end - p));

			o += run;
			p += run;
		}
		if (p >= end)
			return NULL;
		if (*p == '"')
			break;
		if (*p >= 0x80) { /* RFC 3629, as json_limited.c's scan checks it */
			size_t n = fhir_utf8_sequence(p, (size_t)(end - p));

			if (n == 0)
				return NULL;
			memcpy(o, p, n);
			o += n;
			p += n;
			continue;
		}
		if (*p != '\\' || p + 1 >= end)
			return NULL; /* a control character (or DEL): the scan's business */
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = (char)p[1];
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u': {
			unsigned cp, lo;

			if (end - p < 6 || hex4(p + 2, &cp) != 0 || cp == 0 ||
			    (cp >= 0xDC00 && cp <= 0xDFFF))
				return NULL;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    hex4(p + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
					return NULL;
				cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
				p += 6;
			}
			if (cp < 0x80) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xC0 | (cp >> 6));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				*o++ = (char)(0xE0 | (cp >> 12));
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*o++ = (char)(0xF0 | (cp >> 18));
				*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*o++ = (char)(0x80 | (cp & 0x3F));
			}
			p += 4;
			break;
		}
		default:
			return NULL;
		}
		p += 2;
	}
	if (b->limits->max_string_bytes > 0 && (size_t)(p - *pp - 1) > b->limits->max_string_bytes)
		return NULL; /* over the limit: the scan names it */
	*o++ = '\0';
	b->strings = o;
	*pp = p + 1;
	return out;
}

static int number_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.';
}

/* A number as cJSON reads it (parse_number): the run of [0-9+-eE.] (at most 63 bytes) to strtod,
 * which may take less of it; valueint saturated. */
static int parse_number(cJSON *n, const unsigned char **pp, const unsigned char *end)
{
	char buf[64];
	char *after;
	size_t i = 0, sign = **pp == '-', other = 0; /* bytes other than digits after the sign */
	double d;

	while (i < sizeof(buf) - 1 && *pp + i < end && number_byte((*pp)[i])) {
		buf[i] = (char)(*pp)[i];
		other += (i >= sign) & (buf[i] < '0' || buf[i] > '9');
		i++;
	}
	if (i == sizeof(buf) - 1)
		return -1; /* a 63-byte cut: left to cJSON */
	buf[i] = '\0';
	if (other == 0 && i > sign && i - sign <= 15) {
		/* an integer of at most 15 digits (the most common number): exact in a double, so
		 * strtod, which rounds correctly, reads the same value */
		uint64_t v = 0;

		for (size_t k = sign; k < i; k++)
			v = v * 10 + (uint64_t)(buf[k] - '0');
		d = sign ? -(double)v : (double)v;
		after = buf + i;
	} else {
		d = strtod(buf, &after);
	}
	if (after == buf)
		return -1;
	n->type = cJSON_Number;
	n->valuedouble = d;
	n->valueint = d >= INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
	*pp += after - buf;
	return 0;
}

static int parse_value(struct block *b, cJSON *n, const unsigned char **pp);

/* An array or object at *pp; members get their names. */
static int parse_container(struct block *b, cJSON *n, const unsigned char **pp, int object)
{
	const unsigned char *p = skip_space(*pp + 1, b->end);
	cJSON *head = NULL, *last = NULL;
	unsigned long items = 0;
	int resource = 0; /* an object with a member named resourceType */

	if (++b->depth > b->limits->max_depth)
		return -1; /* too deep: the scan names it */
	n->type = object ? cJSON_Object | FHIR_JSON_NO_RESOURCE_TYPE : cJSON_Array;
	if (p < b->end && *p == (object ? '}' : ']')) {
		*pp = p + 1;
		b->depth--;
		return 0;
	}
	for (;;) {
		cJSON *item = new_node(b);

		if (item == NULL)
			return -1;
		if (object) {
			char *name;

			if (p >= b->end || *p != '"' || (name = parse_string(b, &p)) == NULL)
				return -1;
			resource |=
			    b->strings - name == 13 && memcmp(name, "resourceType", 13) == 0;
			item->string = (char *)intern_name(b, name, b->strings);
			p = skip_space(p, b->end);
			if (p >= b->end || *p != ':')
				return -1;
			p = skip_space(p + 1, b->end);
		}
		if (parse_value(b, item, &p) != 0)
			return -1;
		if (!object && ++items > b->limits->max_items)
			return -1; /* too many items: json_limited.c names the array */
		if (head == NULL) {
			head = item;
		} else {
			last->next = item;
			item->prev = last;
		}
		last = item;
		p = skip_space(p, b->end);
		if (p < b->end && *p == ',') {
			p = skip_space(p + 1, b->end);
			continue;
		}
		if (p < b->end && *p == (object ? '}' : ']'))
			break;
		return -1;
	}
	head->prev = last; /* as cJSON links a parsed list: the head's prev is the tail */
	n->child = head;
	if (resource)
		n->type = cJSON_Object;
	*pp = p + 1;
	b->depth--;
	return 0;
}

static int parse_value(struct block *b, cJSON *n, const unsigned char **pp)
{
	const unsigned char *p = *pp;
	size_t left = (size_t)(b->end - p);

	if (left == 0)
		return -1;
	switch (*p) {
	case '"':
		n->type = cJSON_String;
		return (n->valuestring = parse_string(b, pp)) != NULL ? 0 : -1;
	case '{':
		return parse_container(b, n, pp, 1);
	case '[':
		return parse_container(b, n, pp, 0);
	case 'n':
		if (left < 4 || memcmp(p, "null", 4) != 0)
			return -1;
		n->type = cJSON_NULL;
		*pp = p + 4;
		return 0;
	case 't':
		if (left < 4 || memcmp(p, "true", 4) != 0)
			return -1;
		n->type = cJSON_True;
		n->valueint = 1;
		*pp = p + 4;
		return 0;
	case 'f':
		if (left < 5 || memcmp(p, "false", 5) != 0)
			return -1;
		n->type = cJSON_False;
		*pp = p + 5;
		return 0;
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9'))
			return parse_number(n, pp, b->end);
		return -1;
	}
}

/* How many bytes of the text are ',', '[' or '{' (bytes in strings too) or a form feed:
 * an upper bound of the values after the first. Sixteen bytes at a time (SSE2), or eight: OR-ing
 * 0x20 folds '[' onto
 * '{' (and a form feed onto ','), and a byte of x ^ pattern is zero exactly where the high bit of
 * ~(((t & 0x7f..) + 0x7f..) | t) is set. */
static size_t upper_bound_of_values(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, low7 = 0x7f7f7f7f7f7f7f7fULL;
	size_t count = 0, i = 0;

#if defined(__SSE2__)
	while (n - i >= 16) { /* sixteen at a time, counted per lane for up to 255 rounds */
		const __m128i fold = _mm_set1_epi8(0x20), zero = _mm_setzero_si128();
		__m128i lanes = zero;
		size_t stop = n - i >= 255 * 16 ? i + 255 * 16 : n - (n - i) % 16;

		for (; i < stop; i += 16) {
			__m128i x = _mm_or_si128(
			    _mm_loadu_si128((const __m128i *)(const void *)(s + i)), fold);

			lanes = _mm_sub_epi8(lanes,
			                     _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(',')),
			                                  _mm_cmpeq_epi8(x, _mm_set1_epi8('{'))));
		}
		lanes = _mm_sad_epu8(lanes, zero); /* two sums of eight lanes */
		count += (size_t)_mm_cvtsi128_si32(lanes) +
		         (size_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(lanes, lanes));
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t x, t1, t2, z;

		memcpy(&x, s + i, 8);
		x |= ones * 0x20;
		t1 = x ^ (ones * ',');
		t2 = x ^ (ones * '{');
		z = ~(((t1 & low7) + low7) | t1) | ~(((t2 & low7) + low7) | t2);
		count += (size_t)((((z & (ones * 0x80)) >> 7) * ones) >> 56); /* bytes flagged */
	}
	for (; i < n; i++)
		count += (s[i] | 0x20) == ',' || (s[i] | 0x20) == '{';
	return count;
}

cJSON *fhir__json_parse_block(const char *text, size_t length,
                              const struct fhir_json_limits *limits)
{
	const unsigned char *s = (const unsigned char *)text, *p;
	size_t values = 1, bytes;
	struct block b;
	const struct lconv *lc = localeconv();

	if (lc == NULL || lc->decimal_point == NULL || strcmp(lc->decimal_point, ".") != 0)
		return NULL; /* cJSON reads numbers with the locale's decimal point */
	/* every value but the first follows a comma or an opening bracket */
	values += upper_bound_of_values(s, length);
	if (values > (SIZE_MAX - length) / (sizeof(cJSON) + 2) - 1)
		return NULL;
	/* the nodes, then the strings: a string's text and NUL take no more bytes than it took in
	 * the text (its quotes), so parse_string's 16-byte copies, made only while 16 bytes of
	 * the text are left, end inside the block */
	bytes = values * sizeof(cJSON) + length + 2 * values;
	/* nodes on cache-line boundaries: a cJSON node is 64 bytes, so reading a member's links,
	 * type and name then touches one line, not two (siblings are apart in the block) */
	bytes = (bytes + 63) / 64 * 64;
	b.nodes = aligned_alloc(64, bytes);
	if (b.nodes == NULL)
		return NULL; /* then cJSON, under the out-of-memory policy (json_hooks.c) */
	b.s = s;
	b.end = s + length;
	b.limits = limits;
	b.depth = 0;
	b.used = 0;
	b.cap = values;
	b.strings = (char *)(b.nodes + values);
	memset(b.names, 0, sizeof(b.names));
	p = skip_space(s, b.end);
	if (new_node(&b) == NULL || parse_value(&b, &b.nodes[0], &p) != 0 ||
	    skip_space(p, b.end) != b.end) { /* text after the value: cJSON's error */
		free(b.nodes);
		return NULL;
	}
	/* cJSON_Delete(root) frees the block and nothing below it */
	b.nodes[0].type |= cJSON_IsReference;
	return &b.nodes[0];
}
