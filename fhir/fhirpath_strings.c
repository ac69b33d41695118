/* fhirpath_strings.c — the FHIRPath string functions (FHIRPath N1 §5.6 and FHIRPath 2.0 additions):
 * indexOf, substring, startsWith/endsWith/contains, upper/lower, length, trim, toChars, replace,
 * matches/matchesFull/replaceMatches (POSIX extended regular expressions), split, join,
 * encode/decode, escape/unescape. Must not navigate JSON: inputs arrive as System strings. */
#include "fhirpath_internal.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN   FHIR__FP_FN
#define PUSH FHIR__FP_PUSH

/* ---- strings (FHIRPath N1 §5.6) ---------------------------------------------------------- */

FN(fn_index_of)
{
	const char *s, *sub;
	const char *hit;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 0, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	hit = strstr(s, sub);
	return fhir__fp_push_int(e, out, hit ? (int64_t)(hit - s) : -1);
}

FN(fn_substring)
{
	const char *s;
	int64_t start = 0, len = -1;
	size_t n;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_int(e, call, 0, &start);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (call->nargs > 1) {
		rc = fhir__fp_arg_int(e, call, 1, &len);
		if (rc < 0)
			return rc;
		if (rc == 1)
			len = -1;
	}
	n = strlen(s);
	if (start < 0 || (uint64_t)start >= n)
		return 0;
	if (len < 0 || (uint64_t)len > n - (size_t)start)
		len = (int64_t)(n - (size_t)start);
	return fhir__fp_push_str(e, out, fhir_arena_strndup(e->arena, s + start, (size_t)len));
}

/* startsWith, endsWith, contains: 0 = starts, 1 = ends, 2 = anywhere. */
static int str_test(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                    const struct fhir_collection *in, struct fhir_collection *out, int where)
{
	const char *s, *sub;
	size_t ls, lsub;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 0, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	ls = strlen(s);
	lsub = strlen(sub);
	if (where == 0)
		return fhir__fp_push_bool(e, out, strncmp(s, sub, lsub) == 0);
	if (where == 1)
		return fhir__fp_push_bool(e, out, lsub <= ls && strcmp(s + ls - lsub, sub) == 0);
	return fhir__fp_push_bool(e, out, strstr(s, sub) != NULL);
}

FN(fn_starts_with)
{
	return str_test(e, call, in, out, 0);
}
FN(fn_ends_with)
{
	return str_test(e, call, in, out, 1);
}
FN(fn_contains)
{
	return str_test(e, call, in, out, 2);
}

static int change_case(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                       const struct fhir_collection *in, struct fhir_collection *out, int upper)
{
	const char *s;
	char *r;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	r = fhir_arena_strdup(e->arena, s);
	for (char *p = r; *p; p++)
		*p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
	return fhir__fp_push_str(e, out, r);
}

FN(fn_upper)
{
	return change_case(e, call, in, out, 1);
}
FN(fn_lower)
{
	return change_case(e, call, in, out, 0);
}

FN(fn_length)
{
	const char *s;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	return fhir__fp_push_int(e, out, (int64_t)strlen(s));
}

FN(fn_trim)
{
	const char *s;
	size_t n;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return fhir__fp_push_str(e, out, fhir_arena_strndup(e->arena, s, n));
}

FN(fn_to_chars)
{
	const char *s;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	for (; *s; s++) {
		rc = fhir__fp_push_str(e, out, fhir_arena_strndup(e->arena, s, 1));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A growable string in the arena for replace()/join(). */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct fhir_arena *a, struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = fhir_arena_alloc(a, cap);

		if (b->len)
			memcpy(p, b->p, b->len);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

FN(fn_replace)
{
	const char *s, *pat, *sub;
	struct sbuf b = {NULL, 0, 0};
	size_t lp, ls;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 0, &pat);
	if (rc == 0)
		rc = fhir__fp_arg_string(e, call, 1, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	lp = strlen(pat);
	ls = strlen(sub);
	sb_add(e->arena, &b, "", 0);
	if (lp == 0) {
		for (; *s; s++) {
			sb_add(e->arena, &b, sub, ls);
			sb_add(e->arena, &b, s, 1);
		}
		sb_add(e->arena, &b, sub, ls);
		return fhir__fp_push_str(e, out, b.p);
	}
	for (;;) {
		const char *hit = strstr(s, pat);

		if (hit == NULL) {
			sb_add(e->arena, &b, s, strlen(s));
			break;
		}
		sb_add(e->arena, &b, s, (size_t)(hit - s));
		sb_add(e->arena, &b, sub, ls);
		s = hit + lp;
	}
	return fhir__fp_push_str(e, out, b.p);
}

/* How big and how tangled the automaton regcomp builds for a pattern may get, roughly: glibc
 * copies the subtree of `x+` (as xx*) and of `x{n,m}` (m copies), and a repetition of something
 * that repeats makes its epsilon closures explode ("a*++++++++" or "((((a*)+)+)+)+" take seconds
 * or gigabytes). regex_cost scans one alternation sequence up to ')' or the end: *nodes gets the
 * expanded size (saturating at REGEX_COST_CAP), *nest the deepest repetition of a repetition. */
#define REGEX_COST_CAP 1e12

struct regex_cost {
	double nodes;
	int nest;
};

static struct regex_cost regex_cost(const char **pp, int depth)
{
	const char *p = *pp;
	struct regex_cost total = {0, 0}, last = {0, 0};
	int quantified = 0; /* `last` already carries a repetition operator */

	while (*p != '\0' && *p != ')') {
		int repeat = 0;
		double factor = 1;

		if (*p == '(') {
			p++;
			total.nodes += last.nodes;
			if (depth >= 64) {
				last.nodes = REGEX_COST_CAP;
				last.nest = 99;
			} else {
				last = regex_cost(&p, depth + 1);
			}
			if (*p == ')')
				p++;
			quantified = 0;
			continue;
		}
		if (*p == '+') {
			p++;
			repeat = 1;
			factor = 2;
		} else if (*p == '*' || *p == '?') {
			p++;
			repeat = 1;
		} else if (*p == '{' && p[1] >= '0' && p[1] <= '9') {
			double n = 0, m = -1;

			for (p++; *p >= '0' && *p <= '9' && n < 1e6; p++)
				n = n * 10 + (*p - '0');
			if (*p == ',') {
				p++;
				if (*p >= '0' && *p <= '9')
					for (m = 0; *p >= '0' && *p <= '9' && m < 1e6; p++)
						m = m * 10 + (*p - '0');
				else
					m = n + 1;
			}
			if (*p == '}')
				p++;
			repeat = 1;
			factor = (m > n ? m : n) + 1;
		}
		if (repeat) {
			/* a repetition of a repeated atom or of a group holding one nests deeper */
			last.nest = (quantified || last.nest > 0) ? last.nest + 1 : 1;
			last.nodes *= factor;
			if (last.nodes > REGEX_COST_CAP)
				last.nodes = REGEX_COST_CAP;
			quantified = 1;
			continue;
		}
		total.nodes += last.nodes;
		if (last.nest > total.nest)
			total.nest = last.nest;
		last.nodes = 1;
		last.nest = 0;
		quantified = 0;
		if (*p == '[') { /* a bracket expression is one node */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					char close = p[1];

					for (p += 2; *p != '\0' && !(p[0] == close && p[1] == ']');
					     p++)
						;
					if (*p != '\0')
						p++;
				}
				if (*p != '\0')
					p++;
			}
			if (*p == ']')
				p++;
		} else {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
	}
	*pp = p;
	total.nodes += last.nodes;
	if (last.nest > total.nest)
		total.nest = last.nest;
	if (total.nodes > REGEX_COST_CAP)
		total.nodes = REGEX_COST_CAP;
	return total;
}

int fhir__fp_regex_compile(const char *pattern, unsigned flags, regex_t *re, char *msg, size_t size)
{
	char *full = NULL;
	const char *scan = pattern;
	double nodes = 0;
	int nest = 0, rc;

	/* a ')' without its '(' ends a scan early: continue after it */
	while (*scan != '\0') {
		struct regex_cost c = regex_cost(&scan, 0);

		nodes += c.nodes;
		nest = c.nest > nest ? c.nest : nest;
		if (*scan == ')')
			scan++;
	}
	if (nodes > FHIR__FP_MAX_REGEX_COST || nest > FHIR__FP_MAX_REGEX_NEST) {
		snprintf(msg, size,
		         "too complex (more than %d nodes once repetitions are expanded, or "
		         "repetitions nested more than %d deep)",
		         FHIR__FP_MAX_REGEX_COST, FHIR__FP_MAX_REGEX_NEST);
		return REG_ESPACE;
	}

	if (flags & FP_F_REGEX_FULL) {
		size_t n = strlen(pattern) + 5;

		full = malloc(n);
		if (full == NULL)
			abort();
		snprintf(full, n, "^(%s)$", pattern);
		pattern = full;
	}
	rc = regcomp(re, pattern, REG_EXTENDED | ((flags & FP_F_REGEX_SUBS) ? 0 : REG_NOSUB));
	if (rc != 0)
		regerror(rc, re, msg, size);
	free(full);
	return rc;
}

/* The call's regular expression: precompiled when its pattern is a literal, else from this
 * thread's cache of compiled patterns (BORROWED until the next regex call). 0, 1 (empty pattern
 * argument), or an evaluation error. */
static int call_regex(struct fhir__fp_ev *e, const struct fhir__fp_node *call, const regex_t **re)
{
	const char *pat;
	char msg[128];
	int rc;

	if (call->regex != NULL) {
		*re = call->regex;
		return 0;
	}
	rc = fhir__fp_arg_string(e, call, 0, &pat);
	if (rc != 0)
		return rc;
	*re = fhir__fp_regex_cached(pat, call->func->flags, msg, sizeof(msg));
	if (*re == NULL)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "%s(): bad regular expression '%.80s': %s", call->name, pat,
		                     msg);
	return 0;
}

/* FHIRPath N1 §matches (POSIX extended syntax here, no (?i) flags) and matchesFull (FHIRPath
 * 2.0: the whole string must match). */
FN(fn_matches)
{
	const char *s;
	const regex_t *re;
	int m;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = call_regex(e, call, &re);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	m = regexec(re, s, 0, NULL, 0) == 0;
	return fhir__fp_push_bool(e, out, m);
}

FN(fn_replace_matches)
{
	const char *s, *sub;
	struct sbuf b = {NULL, 0, 0};
	const regex_t *re;
	regmatch_t m;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 1, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = call_regex(e, call, &re);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	sb_add(e->arena, &b, "", 0);
	/* after the first match '^' must no longer match: later searches start mid-string */
	for (int fl = 0; *s && regexec(re, s, 1, &m, fl) == 0; fl = REG_NOTBOL) {
		sb_add(e->arena, &b, s, (size_t)m.rm_so);
		sb_add(e->arena, &b, sub, strlen(sub));
		if (m.rm_eo == m.rm_so) {
			sb_add(e->arena, &b, s + m.rm_so, 1);
			s += m.rm_so + 1;
		} else {
			s += m.rm_eo;
		}
	}
	sb_add(e->arena, &b, s, strlen(s));
	return fhir__fp_push_str(e, out, b.p);
}

/* encode(format) / decode(format): base64, urlbase64, hex (FHIRPath 2.0 §encode). */
static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

static const char *encode(struct fhir_arena *a, const char *s, const char *format)
{
	size_t n = strlen(s), k = 0;
	int url = strcmp(format, "urlbase64") == 0;
	char *r;

	if (strcmp(format, "hex") == 0) {
		r = fhir_arena_alloc(a, n * 2 + 1);
		for (size_t i = 0; i < n; i++) {
			r[k++] = "0123456789abcdef"[(unsigned char)s[i] >> 4];
			r[k++] = "0123456789abcdef"[(unsigned char)s[i] & 15];
		}
		return r;
	}
	if (!url && strcmp(format, "base64") != 0)
		return NULL;
	r = fhir_arena_alloc(a, (n + 2) / 3 * 4 + 1);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)(unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		for (int j = 0; j < 4; j++) {
			char c = B64[(v >> (18 - 6 * j)) & 63];

			if (url && c == '+')
				c = '-';
			else if (url && c == '/')
				c = '_';
			r[k++] = (size_t)j <= (n - i) ? c : '=';
		}
	}
	return r;
}

static const char *decode(struct fhir_arena *a, const char *s, const char *format)
{
	size_t n = strlen(s), k = 0;
	int url = strcmp(format, "urlbase64") == 0;
	char *r = fhir_arena_alloc(a, n + 1);

	if (strcmp(format, "hex") == 0) {
		if (n % 2 != 0)
			return NULL;
		for (size_t i = 0; i < n; i += 2) {
			int hi = hexdigit(s[i]), lo = hexdigit(s[i + 1]);

			if (hi < 0 || lo < 0)
				return NULL;
			r[k++] = (char)(hi * 16 + lo);
		}
		return r;
	}
	if (!url && strcmp(format, "base64") != 0)
		return NULL;
	{
		unsigned v = 0;
		int bits = 0;

		for (size_t i = 0; i < n && s[i] != '='; i++) {
			int d = b64_value(s[i], url);

			if (d < 0)
				return NULL;
			v = (v << 6) | (unsigned)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				r[k++] = (char)((v >> bits) & 0xFF);
			}
		}
	}
	return memchr(r, '\0', k) != NULL ? NULL : r; /* strings cannot hold NUL */
}

static int coding(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                  const struct fhir_collection *in, struct fhir_collection *out, int enc)
{
	const char *s, *format, *r;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 0, &format);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	r = enc ? encode(e->arena, s, format) : decode(e->arena, s, format);
	return r != NULL ? fhir__fp_push_str(e, out, r) : 0;
}

FN(fn_encode)
{
	return coding(e, call, in, out, 1);
}

FN(fn_decode)
{
	return coding(e, call, in, out, 0);
}

/* escape(format) / unescape(format): html or json (FHIRPath 2.0 §escape). */
static const char *const html_entities[][2] = {
    {"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"},
};
static const char *const json_escapes[][2] = {
    {"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}, {"\r", "\\r"}, {"\t", "\\t"},
};

static int escaping(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                    const struct fhir_collection *in, struct fhir_collection *out, int esc)
{
	const char *s, *format;
	const char *const(*table)[2];
	struct sbuf b = {NULL, 0, 0};
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 0, &format);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (strcmp(format, "html") == 0)
		table = html_entities;
	else if (strcmp(format, "json") == 0)
		table = json_escapes;
	else
		return 0;
	sb_add(e->arena, &b, "", 0);
	while (*s) {
		size_t i, from = esc ? 0 : 1, to = esc ? 1 : 0, len = 1;

		for (i = 0; i < 5; i++) {
			len = strlen(table[i][from]);
			if (strncmp(s, table[i][from], len) == 0)
				break;
		}
		if (i < 5) {
			sb_add(e->arena, &b, table[i][to], strlen(table[i][to]));
			s += len;
		} else {
			sb_add(e->arena, &b, s, 1);
			s++;
		}
	}
	return fhir__fp_push_str(e, out, b.p);
}

FN(fn_escape)
{
	return escaping(e, call, in, out, 1);
}

FN(fn_unescape)
{
	return escaping(e, call, in, out, 0);
}

FN(fn_split)
{
	const char *s, *sep;
	size_t ls;
	int rc = fhir__fp_input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 0, &sep);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	ls = strlen(sep);
	for (;;) {
		const char *hit = ls ? strstr(s, sep) : NULL;

		if (hit == NULL)
			return fhir__fp_push_str(e, out, s);
		rc = fhir__fp_push_str(e, out, fhir_arena_strndup(e->arena, s, (size_t)(hit - s)));
		if (rc != 0)
			return rc;
		s = hit + ls;
	}
}

FN(fn_join)
{
	const char *sep = "";
	struct sbuf b = {NULL, 0, 0};
	int rc;

	if (call->nargs > 0) {
		rc = fhir__fp_arg_string(e, call, 0, &sep);
		if (rc < 0)
			return rc;
	}
	sb_add(e->arena, &b, "", 0);
	for (size_t i = 0; i < in->count; i++) {
		const char *s = fhir__fp_to_string(e->arena, &in->items[i]);

		if (s == NULL)
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
			                     "join(): items must be primitive values");
		if (i > 0)
			sb_add(e->arena, &b, sep, strlen(sep));
		sb_add(e->arena, &b, s, strlen(s));
	}
	return fhir__fp_push_str(e, out, b.p);
}

/* ---- table rows (searched by fhir__fp_func_find) ---------------------------------------- */

const struct fhir__fp_func fhir__fp_string_funcs[] = {
    {"indexOf", 1, 1, 0, fn_index_of},
    {"substring", 1, 2, 0, fn_substring},
    {"startsWith", 1, 1, 0, fn_starts_with},
    {"endsWith", 1, 1, 0, fn_ends_with},
    {"contains", 1, 1, 0, fn_contains},
    {"upper", 0, 0, 0, fn_upper},
    {"lower", 0, 0, 0, fn_lower},
    {"replace", 2, 2, 0, fn_replace},
    {"matches", 1, 1, FP_F_REGEX, fn_matches},
    {"matchesFull", 1, 1, FP_F_REGEX | FP_F_REGEX_FULL, fn_matches},
    {"replaceMatches", 2, 2, FP_F_REGEX | FP_F_REGEX_SUBS, fn_replace_matches},
    {"length", 0, 0, 0, fn_length},
    {"trim", 0, 0, 0, fn_trim},
    {"toChars", 0, 0, 0, fn_to_chars},
    {"split", 1, 1, 0, fn_split},
    {"encode", 1, 1, 0, fn_encode},
    {"decode", 1, 1, 0, fn_decode},
    {"escape", 1, 1, 0, fn_escape},
    {"unescape", 1, 1, 0, fn_unescape},
    {"join", 0, 1, 0, fn_join},
};
const size_t fhir__fp_string_func_count =
    sizeof(fhir__fp_string_funcs) / sizeof(fhir__fp_string_funcs[0]);
