/* fhirpath_lex.c — turns FHIRPath text into tokens (FHIRPath N1 §Lexical elements): identifiers,
 * keywords (as identifiers), strings with escapes, numbers, date/time literals, %variables,
 * $this/$index/$total, operators; skips whitespace and comments.
 * It must not interpret tokens: precedence and meaning are fhirpath_parse.c's job. */
#include "fhirpath_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct lexer {
	const char *text;
	size_t pos;
	struct fhir_arena *arena;   /* token texts (they outlive the lexer) */
	struct fhir_arena *scratch; /* the token array */
	struct fhir__fp_token *toks;
	size_t count, cap;
	struct fhir_error *err;
};

static int lex_fail(struct lexer *lx, size_t offset, const char *msg)
{
	char where[64];

	snprintf(where, sizeof(where), "expression:%zu", offset);
	fhir_error_set(lx->err, where, "%s", msg);
	return FHIR_ERR_SYNTAX;
}

static void add(struct lexer *lx, enum fhir__fp_tok kind, size_t offset, const char *text)
{
	if (lx->count == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 32;
		struct fhir__fp_token *t = fhir_arena_alloc(lx->scratch, cap * sizeof(*t));

		if (lx->count)
			memcpy(t, lx->toks, lx->count * sizeof(*t));
		lx->toks = t;
		lx->cap = cap;
	}
	lx->toks[lx->count].kind = kind;
	lx->toks[lx->count].offset = offset;
	lx->toks[lx->count].text = text ? text : "";
	lx->count++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a quoted string starting at the quote; unescapes (FHIRPath N1 §String). */
static int lex_quoted(struct lexer *lx, char quote, const char **out)
{
	size_t start = lx->pos, n = 0;
	const char *s = lx->text;
	char *buf;
	size_t i = start + 1;

	/* the unescaped text is never longer than the quoted text (\uXXXX: 6 chars, <= 3 bytes) */
	while (s[i] != '\0' && s[i] != quote)
		i += (s[i] == '\\' && s[i + 1] != '\0') ? 2 : 1;
	buf = fhir_arena_alloc(lx->arena, i - start + 1);
	i = start + 1;
	for (;;) {
		char c = s[i];

		if (c == '\0')
			return lex_fail(lx, start, "unterminated string");
		if (c == quote) {
			i++;
			break;
		}
		if (c != '\\') {
			buf[n++] = c;
			i++;
			continue;
		}
		c = s[i + 1];
		i += 2;
		switch (c) {
		case '\'':
		case '"':
		case '`':
		case '\\':
		case '/':
			buf[n++] = c;
			break;
		case 'f':
			buf[n++] = '\f';
			break;
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case 'u': {
			unsigned cp = 0;

			for (int k = 0; k < 4; k++) {
				int h = hexval(s[i + (size_t)k]);

				if (h < 0)
					return lex_fail(lx, i - 2, "bad \\u escape in string");
				cp = cp * 16 + (unsigned)h;
			}
			i += 4;
			if (cp < 0x80) {
				buf[n++] = (char)cp;
			} else if (cp < 0x800) {
				buf[n++] = (char)(0xC0 | (cp >> 6));
				buf[n++] = (char)(0x80 | (cp & 0x3F));
			} else {
				buf[n++] = (char)(0xE0 | (cp >> 12));
				buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
				buf[n++] = (char)(0x80 | (cp & 0x3F));
			}
			break;
		}
		default:
			return lex_fail(lx, i - 2, "unknown escape in string");
		}
	}
	buf[n] = '\0';
	lx->pos = i;
	*out = buf;
	return 0;
}

static int is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int lex_date(struct lexer *lx)
{
	const char *s = lx->text;
	size_t start = lx->pos, i = start + 1;
	char *text;
	size_t len;
	enum fhir__fp_tok kind;
	struct fhir_datetime dt;

	while (isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == ':' || s[i] == 'T' ||
	       s[i] == 'Z' || ((s[i] == '.' || s[i] == '+') && isdigit((unsigned char)s[i + 1]))) {
		if (s[i] == '-' && i > start + 1 && !isdigit((unsigned char)s[i + 1]))
			break;
		i++;
	}
	len = i - start - 1;
	if (len == 0)
		return lex_fail(lx, start, "expected a date or time after '@'");
	text = fhir_arena_strndup(lx->arena, s + start + 1, len);
	if (text[0] == 'T') {
		kind = FP_T_TIME;
		text++;
	} else if (strchr(text, 'T') != NULL) {
		kind = FP_T_DATETIME;
		if (text[len - 1] == 'T')
			text[len - 1] = '\0';
	} else {
		kind = FP_T_DATE;
	}
	if (kind == FP_T_TIME) {
		/* @T14 is hour precision: the parser takes "HH" only with a ':' */
		char *t = text;

		if (strlen(t) == 2)
			t = fhir_arena_printf(lx->arena, "%s:00", text);
		if (fhir_datetime_parse(t, &dt, NULL) != 0)
			return lex_fail(lx, start, "invalid time literal");
	} else if (fhir_datetime_parse(text, &dt, NULL) != 0) {
		return lex_fail(lx, start, "invalid date/time literal");
	}
	if (kind == FP_T_DATE && dt.has_tz)
		return lex_fail(lx, start, "a date literal cannot have a time zone");
	add(lx, kind, start, text);
	lx->pos = i;
	return 0;
}

int fhir__fp_lex(const char *text, struct fhir_arena *arena, struct fhir_arena *scratch,
                 struct fhir__fp_token **out, size_t *count, struct fhir_error *err)
{
	struct lexer lx = {text, 0, arena, scratch, NULL, 0, 0, err};
	int rc = 0;

	for (;;) {
		const char *s = text;
		size_t p = lx.pos, start;
		char c = s[p];

		if (c == '\0')
			break;
		if (isspace((unsigned char)c)) {
			lx.pos++;
			continue;
		}
		if (c == '/' && s[p + 1] == '/') {
			while (s[lx.pos] != '\0' && s[lx.pos] != '\n')
				lx.pos++;
			continue;
		}
		if (c == '/' && s[p + 1] == '*') {
			const char *end = strstr(s + p + 2, "*/");

			if (end == NULL) {
				rc = lex_fail(&lx, p, "unterminated comment");
				goto out;
			}
			lx.pos = (size_t)(end - s) + 2;
			continue;
		}
		start = p;
		if (is_ident_start(c)) {
			while (is_ident_char(s[lx.pos]))
				lx.pos++;
			add(&lx, FP_T_IDENT, start,
			    fhir_arena_strndup(arena, s + start, lx.pos - start));
			continue;
		}
		if (isdigit((unsigned char)c)) {
			enum fhir__fp_tok kind = FP_T_INTEGER;

			while (isdigit((unsigned char)s[lx.pos]))
				lx.pos++;
			if (s[lx.pos] == '.' && isdigit((unsigned char)s[lx.pos + 1])) {
				kind = FP_T_DECIMAL;
				lx.pos++;
				while (isdigit((unsigned char)s[lx.pos]))
					lx.pos++;
			}
			add(&lx, kind, start, fhir_arena_strndup(arena, s + start, lx.pos - start));
			continue;
		}
		if (c == '\'' || c == '`') {
			const char *str;

			rc = lex_quoted(&lx, c, &str);
			if (rc != 0)
				goto out;
			add(&lx, c == '\'' ? FP_T_STRING : FP_T_DIDENT, start, str);
			continue;
		}
		if (c == '@') {
			rc = lex_date(&lx);
			if (rc != 0)
				goto out;
			continue;
		}
		if (c == '%' || c == '$') {
			const char *name;

			lx.pos++;
			if (c == '%' && (s[lx.pos] == '`' || s[lx.pos] == '\'')) {
				rc = lex_quoted(&lx, s[lx.pos], &name);
				if (rc != 0)
					goto out;
			} else {
				size_t b = lx.pos;

				while (is_ident_char(s[lx.pos]))
					lx.pos++;
				if (lx.pos == b) {
					rc = lex_fail(
					    &lx, start,
					    c == '%' ? "expected a variable name after '%'"
					             : "expected this, index or total after '$'");
					goto out;
				}
				name = fhir_arena_strndup(arena, s + b, lx.pos - b);
			}
			if (c == '$' && strcmp(name, "this") != 0 && strcmp(name, "index") != 0 &&
			    strcmp(name, "total") != 0) {
				rc = lex_fail(
				    &lx, start,
				    "unknown special variable (expected $this, $index or $total)");
				goto out;
			}
			add(&lx, c == '%' ? FP_T_VAR : FP_T_SPECIAL, start, name);
			continue;
		}
		{
			enum fhir__fp_tok kind;
			size_t len = 1;

			switch (c) {
			case '(':
				kind = FP_T_LPAREN;
				break;
			case ')':
				kind = FP_T_RPAREN;
				break;
			case '[':
				kind = FP_T_LBRACK;
				break;
			case ']':
				kind = FP_T_RBRACK;
				break;
			case '{':
				kind = FP_T_LBRACE;
				break;
			case '}':
				kind = FP_T_RBRACE;
				break;
			case '.':
				kind = FP_T_DOT;
				break;
			case ',':
				kind = FP_T_COMMA;
				break;
			case '+':
				kind = FP_T_PLUS;
				break;
			case '-':
				kind = FP_T_MINUS;
				break;
			case '*':
				kind = FP_T_STAR;
				break;
			case '/':
				kind = FP_T_SLASH;
				break;
			case '|':
				kind = FP_T_PIPE;
				break;
			case '&':
				kind = FP_T_AMP;
				break;
			case '=':
				kind = FP_T_EQ;
				break;
			case '~':
				kind = FP_T_EQUIV;
				break;
			case '!':
				if (s[p + 1] == '=')
					kind = FP_T_NE;
				else if (s[p + 1] == '~')
					kind = FP_T_NEQUIV;
				else {
					rc = lex_fail(&lx, p, "unexpected '!' (expected != or !~)");
					goto out;
				}
				len = 2;
				break;
			case '<':
				kind = s[p + 1] == '=' ? FP_T_LE : FP_T_LT;
				len = s[p + 1] == '=' ? 2 : 1;
				break;
			case '>':
				kind = s[p + 1] == '=' ? FP_T_GE : FP_T_GT;
				len = s[p + 1] == '=' ? 2 : 1;
				break;
			default: {
				char msg[64];

				snprintf(msg, sizeof(msg), "unexpected character '%c'",
				         isprint((unsigned char)c) ? c : '?');
				rc = lex_fail(&lx, p, msg);
				goto out;
			}
			}
			add(&lx, kind, start, fhir_arena_strndup(arena, s + p, len));
			lx.pos += len;
		}
	}
	add(&lx, FP_T_EOF, lx.pos, "end of expression");
	*out = lx.toks;
	*count = lx.count;
out:
	return rc;
}
