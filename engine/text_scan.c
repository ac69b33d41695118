/* text_scan.c — reads one text as a clinician wrote it: the tokenizer of
 * policies/vocabulary/README.md, phrase matching against the compiled vocabulary (longest match),
 * and ConText (Harkema et al., J Biomed Inform 2009; NegEx: Chapman et al., J Biomed Inform
 * 2001): each concept or body-site mention gets the status of the triggers whose scope covers it
 * (negated, hypothetical, other experiencer, uncertain, historical, else affirmed), and each
 * site of a paired joint its side. Allocates only in the caller's arena; no regex. */
#include <stdlib.h>
#include <string.h>

#include "text_internal.h"

#define MAX_PATTERNS_PER_TOKEN 16 /* a number matches its word, prefixes and numeric tokens */
#define DEFAULT_WINDOW         15 /* tokens a trigger reaches when its rule sets none */
#define SIDE_BEFORE            3  /* a laterality word up to this many tokens before a site */
#define SIDE_AFTER             4  /* ... or after it */

/* ---- tokenizer --------------------------------------------------------------------------- */

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Bytes of a UTF-8 punctuation or space sequence at s (general punctuation U+2000-U+206F,
 * the minus sign U+2212, no-break space U+00A0), or 0. */
static size_t utf8_punct(const unsigned char *s)
{
	if (s[0] == 0xE2 && s[1] == 0x80 && s[2] != 0)
		return 3;
	if (s[0] == 0xE2 && s[1] == 0x88 && s[2] == 0x92)
		return 3;
	if (s[0] == 0xC2 && s[1] == 0xA0)
		return 2;
	return 0;
}

/* Bytes of the sign of a "+ve" / "-ve" at s: '+' or '-', or the minus sign U+2212 or the en
 * dash U+2013 a word processor puts in their place ("Saddle anaesthesia", U+2212 "ve"), or 0. */
static size_t sign_len(const unsigned char *s)
{
	if (s[0] == '+' || s[0] == '-')
		return 1;
	if (s[0] == 0xE2 && ((s[1] == 0x88 && s[2] == 0x92) || (s[1] == 0x80 && s[2] == 0x93)))
		return 3;
	return 0;
}

/* Bytes of a test result written as a bare sign at s[i] ("thigh thrust +, compression +",
 * "FABER ++"; "saddle anaesthesia -, urinary retention -"), or 0: one to three '+', or one '-',
 * after a letter (a space between allowed), then the end of the clause (spaces, then the text's
 * end, ',' ';' '.' ')' or a line break). A sign between words ("physio + HEP", "C5/6 + C6/7",
 * "LBP - radiating") or after a digit (a grade: "2+"; a range: "5-") is not a result. */
static size_t sign_result_len(const unsigned char *s, size_t i)
{
	size_t k = 0, j, most = s[i] == '+' ? 3 : 1;
	size_t before = i > 0 && s[i - 1] == ' ' ? i - 1 : i;

	if (before == 0 || !is_alpha(s[before - 1]))
		return 0;
	while (k < most && s[i + k] == s[i])
		k++;
	if (k == 0 || s[i + k] == '+' || s[i + k] == '-')
		return 0;
	for (j = i + k; s[j] == ' '; j++)
		;
	return s[j] == '\0' || s[j] == ',' || s[j] == ';' || s[j] == '.' || s[j] == ')' ||
	               s[j] == '\n' || s[j] == '\r'
	           ? k
	           : 0;
}

/* Part of a word: an ASCII letter or digit, or a non-ASCII byte that is not punctuation. */
static inline int word_byte(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80) /* most bytes: one range test each, inline in the tokenizer's loop */
		return (unsigned char)((c | 0x20) - 'a') < 26 || (unsigned char)(c - '0') < 10;
	return utf8_punct(s) == 0;
}

/* An apostrophe (' or U+2019) at s: its length, else 0. */
static size_t apostrophe(const unsigned char *s)
{
	if (s[0] == '\'')
		return 1;
	if (s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0x99)
		return 3;
	return 0;
}

/* A sentence-ending character at s: its length, else 0 ('.' between digits is not). */
static size_t boundary(const unsigned char *s, size_t i)
{
	unsigned char c = s[i];

	if (c == ';' || c == '!' || c == '\n' || c == '\r')
		return 1;
	if (c == '.')
		return 1;
	if (c == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0xA2) /* bullet */
		return 3;
	return 0;
}

/* Abbreviations whose full stop does not end a sentence ("risks discussed incl. flare, tendon
 * rupture"; "Pt. declined"). Short on purpose: a missed sentence end lets a negation reach too
 * far, so only words that never end a clinical sentence are listed. */
static int abbreviation(const char *norm)
{
	static const char *const list[] = {"incl", "inc", "approx", "esp", "vs",  "dr",
	                                   "mr",   "mrs", "ms",     "ref", "tel", "dept"};

	return ENGINE_WORD_LISTED(norm, list);
}

/* ---- scratch memory, reused from one text to the next ------------------------------------ */

struct match;

/* A list a ConText trigger introduces with ':', '(' or a dash (policies/vocabulary/README.md
 * "Lists": "Red flag screen negative (saddle anaesthesia, urinary retention)", "attend A&E if:
 * saddle numbness; loss of bladder control"): every mention in tokens [from, to) takes its
 * category, across the ';' and bulleted lines between the items. */
struct list_scope {
	size_t from, to;
	size_t trigger;              /* the trigger's first token */
	size_t trig_start, trig_end; /* its bytes, for the mention's span */
	int category;
	const struct engine__rule *rule; /* the trigger's rule: the concepts it spares keep their
	                                    own status in its list ("Background: AF, apixaban") */
};

struct engine__scratch {
	struct fhir_arena *arena;
	struct engine__token *toks;
	size_t tok_cap;
	char *norms; /* every word's normal form, NUL-terminated, one after another */
	size_t norm_cap;
	unsigned *pats; /* MAX_PATTERNS_PER_TOKEN per token */
	size_t *npats, *sentence;
	unsigned char *asked; /* per token: in a template question left unanswered */
	size_t index_cap;     /* tokens pats, npats, sentence and asked have room for */
	struct match *m;
	size_t m_cap;
	struct list_scope *lists;
	size_t lists_cap;
};

struct engine__scratch *engine__scratch_new(struct fhir_arena *arena)
{
	struct engine__scratch *s = fhir_arena_alloc(arena, sizeof(*s));

	s->arena = arena;
	return s;
}

/* Room for `n` tokens' patterns, counts and sentence numbers (the old contents are not kept). */
static void index_room(struct engine__scratch *s, size_t n)
{
	if (n <= s->index_cap)
		return;
	s->index_cap = n > 2 * s->index_cap ? n : 2 * s->index_cap;
	s->pats =
	    fhir_arena_alloc(s->arena, s->index_cap * MAX_PATTERNS_PER_TOKEN * sizeof(*s->pats));
	s->npats = fhir_arena_alloc(s->arena, s->index_cap * sizeof(*s->npats));
	s->sentence = fhir_arena_alloc(s->arena, s->index_cap * sizeof(*s->sentence));
	s->asked = fhir_arena_alloc(s->arena, s->index_cap);
}

struct tokbuf {
	struct engine__scratch *s;
	size_t count;
	unsigned open;  /* ENGINE_MARK_OPEN when a '(' waits for its first word */
	int line_start; /* only spaces since the last line break (or the text's start) */
};

/* Appends a token; a boundary with `marks` right after another boundary adds its marks to
 * that one (no empty sentences). */
static void push(struct tokbuf *b, size_t start, size_t end, const char *norm, unsigned marks)
{
	struct engine__scratch *s = b->s;

	if (norm == NULL && (b->count == 0 || s->toks[b->count - 1].norm == NULL)) {
		if (b->count > 0)
			s->toks[b->count - 1].marks |= marks;
		b->open = 0;
		return;
	}
	s->toks =
	    engine__arena_room(s->arena, s->toks, b->count, &s->tok_cap, 32, sizeof(*s->toks));
	s->toks[b->count].start = start;
	s->toks[b->count].end = end;
	s->toks[b->count].norm = norm;
	s->toks[b->count].marks = norm != NULL ? b->open : marks;
	b->open = 0;
	b->count++;
}

/* Adds marks to the last token when it is a word (or, with `boundary`, a boundary). */
static void mark_last(struct tokbuf *b, unsigned marks, int boundary)
{
	if (b->count > 0 && (b->s->toks[b->count - 1].norm != NULL) != boundary)
		b->s->toks[b->count - 1].marks |= marks;
}

/* The marks of a sentence-ending character (boundary() is not 0 at s[i]). */
static unsigned boundary_marks(const unsigned char *s, size_t i, const struct tokbuf *b)
{
	const struct engine__token *last = b->count > 0 ? &b->s->toks[b->count - 1] : NULL;

	switch (s[i]) {
	case ';':
		return ENGINE_MARK_SEMICOLON;
	case '.':
	case '!':
		return ENGINE_MARK_STOP;
	case '\n':
	case '\r':
		if (s[i] == '\n' && i > 0 && s[i - 1] == '\r')
			return ENGINE_MARK_LINE; /* "\r\n" is one line break */
		/* a second line break with only spaces since the first: a blank line */
		return last != NULL && last->norm == NULL && (last->marks & ENGINE_MARK_LINE) &&
		               b->line_start
		           ? ENGINE_MARK_LINE | ENGINE_MARK_PARAGRAPH
		           : ENGINE_MARK_LINE;
	default:
		return ENGINE_MARK_BULLET; /* U+2022, at a line's start or inline */
	}
}

/* The list punctuation at s[i] (one ASCII character that separates tokens): its marks on the
 * tokens around it. A '-' or '*' that starts a line is a bullet; a '-' with a space on either
 * side a dash ("nil - saddle"), not the hyphen of "US-guided". */
static void list_punct(struct tokbuf *b, const unsigned char *s, size_t i)
{
	switch (s[i]) {
	case ':':
		mark_last(b, ENGINE_MARK_COLON, 0);
		break;
	case ',':
		mark_last(b, ENGINE_MARK_COMMA, 0);
		break;
	case '(':
		b->open = ENGINE_MARK_OPEN;
		break;
	case ')':
		mark_last(b, ENGINE_MARK_CLOSE, 0);
		break;
	case '-':
	case '*':
		if (b->line_start)
			mark_last(b, ENGINE_MARK_BULLET, 1);
		else if (s[i] == '-' && ((i > 0 && s[i - 1] == ' ') || s[i + 1] == ' '))
			mark_last(b, ENGINE_MARK_DASH, 0);
		break;
	default:
		break;
	}
	if (s[i] != ' ' && s[i] != '\t')
		b->line_start = 0;
}

/* Pushes word norm[0..len) of bytes [start, end): a joined compound as its words ("postop",
 * "postoperative" -> "post" "op"; "preop" -> "pre" "op"; "xray" -> "x" "ray"; "backpain" ->
 * "back" "pain"), and "operative"/"operatively" right after "post" or "pre" as "op", so "post
 * op", "post-op", "postop", "post-operative" and "postoperative" are one phrase; "x3" and a
 * volume with its unit ("450ml") are split the same way. Returns the
 * norm bytes it added after norm's NUL (the first part's NUL; the buffer has room: a word's
 * normal form with two NULs fits in twice its bytes). */
static size_t joined(struct tokbuf *b, size_t start, size_t end, char *norm, size_t len)
{
	static const struct {
		const char *head, *rest; /* a word starting head+rest splits after head */
		size_t h, r;             /* their lengths (no strlen per word) */
		int op;                  /* its rest is read "op" */
	} splits[] = {{"post", "op", 4, 2, 1},
	              {"pre", "op", 3, 2, 1},
	              {"x", "ray", 1, 3, 0},
	              {"back", "pain", 4, 4, 0}};
	const struct engine__token *last = b->count > 0 ? &b->s->toks[b->count - 1] : NULL;
	size_t d;

	if (last != NULL && last->norm != NULL && start <= last->end + 1 &&
	    (strcmp(last->norm, "post") == 0 || strcmp(last->norm, "pre") == 0) &&
	    (strcmp(norm, "operative") == 0 || strcmp(norm, "operatively") == 0)) {
		push(b, start, end, "op", 0);
		return 0;
	}
	/* "x3", "x6" (UK shorthand for times or a course length: "physio x3 months", "x6/12")
	 * read as "x 3", as the vocabulary writes it */
	if (len >= 2 && len <= 4 && norm[0] == 'x' && strspn(norm + 1, "0123456789") == len - 1) {
		memmove(norm + 2, norm + 1, len);
		norm[1] = '\0';
		push(b, start, start + 1, norm, 0);
		push(b, start + 1, end, norm + 2, 0);
		return 1;
	}
	/* "450ml", "320mls", "0.6ml" (a volume typed with its unit) read as "450 ml", as the
	 * vocabulary writes it ("pvr {n:201-5000} ml"; H131). Millilitres only: doses stay one
	 * word ("40mg", "5000units"), and a bare "l" after a number would read as the left side */
	if ((d = strspn(norm, "0123456789.")) > 0 && is_digit((unsigned char)norm[0]) &&
	    (strcmp(norm + d, "ml") == 0 || strcmp(norm + d, "mls") == 0)) {
		memmove(norm + d + 1, norm + d, len - d + 1);
		norm[d] = '\0';
		push(b, start, start + d, norm, 0);
		push(b, start + d, end, norm + d + 1, 0);
		return 1;
	}
	for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
		size_t h = splits[k].h, r = splits[k].r;
		char *rest;

		if (len < h + r || norm[0] != splits[k].head[0] ||
		    memcmp(norm, splits[k].head, h) != 0 ||
		    memcmp(norm + h, splits[k].rest, r) != 0)
			continue;
		if (!splits[k].op && strcmp(norm + h, splits[k].rest) != 0 &&
		    !(norm[h + r] == 's' && norm[h + r + 1] == '\0'))
			continue; /* "xray", "xrays", "backpain"; not "xrayed" */
		if (splits[k].op && strcmp(norm + h, "op") != 0 && strcmp(norm + h, "ops") != 0 &&
		    strcmp(norm + h, "operative") != 0 && strcmp(norm + h, "operatively") != 0)
			continue; /* "preoperative"; not "preoccupied", "postopen" */
		memmove(norm + h + 1, norm + h, len - h + 1);
		norm[h] = '\0';
		rest = norm + h + 1;
		if (splits[k].op)
			memcpy(rest, "op", 3);
		push(b, start, start + h, norm, 0);
		push(b, start + h, end, rest, 0);
		return 1;
	}
	push(b, start, end, norm, 0);
	return 0;
}

/* Punctuation dictated as words and typed out by speech recognition when it was not taken as
 * a command (Dragon Medical: "no leg weakness full stop she has saddle anaesthesia", "Plan
 * comma", "new paragraph"): read as the mark it names, so that a negation or a list does not
 * reach over a spoken full stop into the next sentence. Only words that never mean anything
 * else in a clinical letter: "full stop", "new paragraph", "comma", "semicolon", "semi colon",
 * and "colon" after a heading or label (colon_labels; elsewhere it is the bowel); not "new
 * line" (an IV line) or "period" (a menstrual period). Returns 1 when word
 * norm of bytes [start, end) was read as punctuation (nothing is pushed for it). */
/* The headings and template labels after which a dictated "colon" is the punctuation mark
 * ("Diagnosis colon ...", "Bladder colon retention since yesterday", "Saddle sensation colon
 * reduced"): after any other word it is the bowel ("sigmoid colon", "colon cancer"). */
static const char *const colon_labels[] = {
    "diagnosis",       "diagnoses",   "impression", "plan",
    "history",         "examination", "exam",       "medication",
    "medications",     "allergies",   "management", "investigations",
    "assessment",      "summary",     "opinion",    "problem",
    "problems",        "background",  "outcome",    "findings",
    "indication",      "request",     "procedure",  "anticoagulants",
    "anticoagulation", "bladder",     "bowel",      "bowels",
    "sensation",       "flags",       "anesthesia", "retention",
    "incontinence",    "saddle",      "neurology",  "reflexes",
    "power",           "gait",        "re",         "cc"};

static int dictated_punct(struct tokbuf *b, const unsigned char *s, size_t start, size_t end,
                          const char *norm)
{
	const struct engine__token *last = b->count > 0 ? &b->s->toks[b->count - 1] : NULL;
	unsigned marks;
	size_t from;

	if (strcmp(norm, "comma") == 0) {
		mark_last(b, ENGINE_MARK_COMMA, 0);
		return 1;
	}
	if (strcmp(norm, "semicolon") == 0) {
		push(b, start, end, NULL, ENGINE_MARK_SEMICOLON);
		return 1;
	}
	if (strcmp(norm, "colon") == 0 && last != NULL && last->norm != NULL) {
		if (strcmp(last->norm, "semi") == 0) { /* "semi colon" */
			from = last->start;
			b->count--;
			push(b, from, end, NULL, ENGINE_MARK_SEMICOLON);
			return 1;
		}
		if (ENGINE_WORD_LISTED(last->norm, colon_labels)) {
			mark_last(b, ENGINE_MARK_COLON, 0); /* "Bladder colon retention" */
			return 1;
		}
	}
	if (strcmp(norm, "stop") == 0)
		marks = ENGINE_MARK_STOP;
	else if (strcmp(norm, "paragraph") == 0)
		marks = ENGINE_MARK_LINE | ENGINE_MARK_PARAGRAPH;
	else
		return 0;
	if (last == NULL || last->norm == NULL ||
	    strcmp(last->norm, marks == ENGINE_MARK_STOP ? "full" : "new") != 0)
		return 0;
	for (size_t k = last->end; k < start; k++)
		if (s[k] != ' ' && s[k] != '\t')
			return 0; /* "full-stop", "full, stop": not the spoken mark */
	from = last->start;
	b->count--; /* the "full" or "new" becomes part of the mark */
	push(b, from, end, NULL, marks);
	return 1;
}

/* 1 when only spaces, tabs or one hyphen stand in s[from, to) ("bi lateral", "bi-lateral"). */
static int spaced(const unsigned char *s, size_t from, size_t to)
{
	int hyphens = 0;

	for (size_t k = from; k < to; k++) {
		if (s[k] == '-' && ++hyphens == 1)
			continue;
		if (s[k] != ' ' && s[k] != '\t')
			return 0;
	}
	return 1;
}

/* A word that speech recognition or typing split in two, joined again (audit H134): "bi
 * lateral", "bi-lateral" are "bilateral" ("bi lateral sciatica"); "S I joint" is "si joint",
 * as "S.I." and "S/I" are (only before "joint", "joints", "jt", "jts": a lone "I" is the
 * pronoun). Returns 1 when word norm of bytes [start, end) was pushed so. */
static int split_word(struct tokbuf *b, const unsigned char *s, size_t start, size_t end,
                      const char *norm)
{
	struct engine__token *t = b->s->toks;
	size_t c = b->count, from;

	if (c >= 1 && t[c - 1].norm != NULL && strcmp(t[c - 1].norm, "bi") == 0 &&
	    (strcmp(norm, "lateral") == 0 || strcmp(norm, "laterally") == 0) &&
	    spaced(s, t[c - 1].end, start)) {
		from = t[c - 1].start;
		b->count--;
		push(b, from, end, norm[7] == '\0' ? "bilateral" : "bilaterally", 0);
		return 1;
	}
	if (c >= 2 && t[c - 1].norm != NULL && t[c - 2].norm != NULL &&
	    strcmp(t[c - 2].norm, "s") == 0 && strcmp(t[c - 1].norm, "i") == 0 &&
	    spaced(s, t[c - 2].end, t[c - 1].start) && spaced(s, t[c - 1].end, start) &&
	    (strcmp(norm, "joint") == 0 || strcmp(norm, "joints") == 0 || strcmp(norm, "jt") == 0 ||
	     strcmp(norm, "jts") == 0)) {
		from = t[c - 2].start;
		b->count -= 2;
		push(b, from, t[c - 1].end, "si", 0);
		push(b, start, end, norm, 0);
		return 1;
	}
	return 0;
}

/* Tokenizes into the scratch: the tokens in scratch->toks, their words in scratch->norms. */
static size_t tokenize(const char *text, struct engine__scratch *scratch)
{
	const unsigned char *s = (const unsigned char *)text;
	struct tokbuf b = {scratch, 0, 0, 1};
	size_t i = 0, n = text != NULL ? strlen(text) : 0, used = 0;

	/* a word's normal form is never longer than its bytes: all of them, each with its NUL,
	 * fit in 2n + 1 bytes */
	if (2 * n + 1 > scratch->norm_cap) {
		scratch->norm_cap = 2 * n + 1;
		scratch->norms = fhir_arena_alloc(scratch->arena, scratch->norm_cap);
	}
	while (i < n) {
		size_t k;

		if (word_byte(s + i)) {
			size_t start = i, len = 0;
			char *norm = scratch->norms + used;

			while (i < n) {
				if (word_byte(s + i)) {
					norm[len++] =
					    (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
					i++;
				} else if ((k = apostrophe(s + i)) != 0 && len > 0 &&
				           is_alpha((unsigned char)norm[len - 1]) &&
				           is_alpha(s[i + k])) {
					i += k; /* Baker's -> bakers */
				} else if (s[i] == '.' && len > 0 &&
				           is_digit((unsigned char)norm[len - 1]) &&
				           is_digit(s[i + 1])) {
					norm[len++] = '.'; /* 0.5 */
					i++;
				} else {
					break;
				}
			}
			/* single letters joined by / . or &: U/S -> us, S.I. -> si, A&E -> ae */
			if (len == 1 && is_alpha((unsigned char)norm[0])) {
				int merged = 0;

				while (i + 1 < n && (s[i] == '/' || s[i] == '.' || s[i] == '&') &&
				       is_alpha(s[i + 1]) && !word_byte(s + i + 2)) {
					norm[len++] = (char)(s[i + 1] >= 'A' && s[i + 1] <= 'Z'
					                         ? s[i + 1] + 32
					                         : s[i + 1]);
					i += 2;
					merged = 1;
				}
				if (merged && i < n && s[i] == '.')
					i++; /* the abbreviation's own full stop */
			}
			norm[len] = '\0';
			if (len == 6 && memcmp(norm, "cannot", 6) == 0)
				memcpy(norm, "cant",
				       5); /* "cannot", "can't" and "cant" are one word */
			len = engine__spelling_fold(norm, len);
			used += len + 1;
			if (!dictated_punct(&b, s, start, i, norm) &&
			    !split_word(&b, s, start, i, norm))
				used += joined(&b, start, i, norm, len);
			b.line_start = 0;
		} else if (s[i] == '[' &&
		           (s[i + 1] == ']' || (s[i + 1] == ' ' && s[i + 2] == ']'))) {
			/* a template's empty box "[ ]" is the unticked box */
			k = s[i + 1] == ']' ? 2 : 3;
			push(&b, i, i + k, "\xe2\x98\x90", 0); /* U+2610 */
			b.line_start = 0;
			i += k;
		} else if (s[i] == '[' && (s[i + 1] == 'x' || s[i + 1] == 'X') && s[i + 2] == ']') {
			push(&b, i, i + 3, "\xe2\x98\x91", 0); /* "[x]": the ticked box, U+2611 */
			b.line_start = 0;
			i += 3;
		} else if (s[i] == '&') {
			push(&b, i, i + 1, "and", 0); /* "pins & needles" (A&E is one word above) */
			b.line_start = 0;
			i++;
		} else if (s[i] == '%') {
			/* "12%", "12 %" and "12 percent" are one */
			push(&b, i, i + 1, "percent", 0);
			i++;
		} else if (s[i] == '?' || s[i] == '#') {
			push(&b, i, i + 1, s[i] == '?' ? "?" : "#", 0); /* query; '#' UK fracture */
			b.line_start = 0;
			i++;
		} else if ((k = sign_len(s + i)) != 0 && (s[i + k] == 'v' || s[i + k] == 'V') &&
		           (s[i + k + 1] == 'e' || s[i + k + 1] == 'E') &&
		           !word_byte(s + i + k + 2) && (i == 0 || !word_byte(s + i - 1))) {
			push(&b, i, i + k + 2, s[i] == '+' ? "+ve" : "-ve", 0);
			b.line_start = 0;
			i += k + 2;
		} else if (s[i] == '+' && s[i + 1] == '/' && s[i + 2] != '+' &&
		           (k = sign_len(s + i + 2)) != 0) {
			/* "+/-" is "±", with or without ("US L shoulder +/- injection"): one token,
			 * a ConText trigger in context.json */
			push(&b, i, i + k + 2, "\xc2\xb1", 0); /* U+00B1 */
			b.line_start = 0;
			i += k + 2;
		} else if ((s[i] == '+' || s[i] == '-') && (k = sign_result_len(s, i)) != 0) {
			/* "thigh thrust +", "urinary retention -": the result's sign */
			push(&b, i, i + k, s[i] == '+' ? "+ve" : "-ve", 0);
			b.line_start = 0;
			i += k;
		} else if ((k = boundary(s, i)) != 0) {
			if (!(s[i] == '.' && b.count > 0 &&
			      abbreviation(scratch->toks[b.count - 1].norm)))
				push(&b, i, i + k, NULL, boundary_marks(s, i, &b));
			b.line_start = s[i] == '\n' || s[i] == '\r' || (b.line_start && k == 3);
			i += k;
		} else if ((k = utf8_punct(s + i)) != 0) {
			/* an en or em dash (U+2013, U+2014) */
			if (s[i + 2] == 0x93 || s[i + 2] == 0x94)
				mark_last(&b, ENGINE_MARK_DASH, 0);
			i += k;
		} else {
			list_punct(&b, s, i);
			i++;
		}
	}
	return b.count;
}

void engine__tokenize(const char *text, struct fhir_arena *arena, struct engine__token **out,
                      size_t *count)
{
	struct engine__scratch *scratch = engine__scratch_new(arena);

	*count = tokenize(text, scratch);
	*out = scratch->toks;
}

/* ---- matching ---------------------------------------------------------------------------- */

struct match {
	size_t phrase;
	size_t start, end; /* token indexes [start, end) */
	int concept;       /* its phrase is in the concept layer (sorting needs no context) */
	int accepted;
};

int engine__filler_word(const char *norm)
{
	/* first and second person too: a patient's own words quoted in a clerking ("I can't feel
	 * when I'm passing urine", "my bottom feels numb") and the GIRFT CES card's "when you pass
	 * urine" (audit H121); "yourself", "youre", "youve" as letters written to the patient say
	 * it ("you cannot feel yourself passing urine", audit H134) */
	static const char *const list[] = {
	    "the",  "a",       "an",      "her",        "his",      "their", "she",  "he",
	    "they", "herself", "himself", "themselves", "i",        "im",    "ive",  "me",
	    "my",   "myself",  "you",     "your",       "yourself", "youre", "youve"};

	/* every listed word starts with a, h, i, m, s, t or y: most tokens are rejected on their
	 * first byte (find_matches asks this of each token inside each concept phrase it tries) */
	if (norm == NULL || (norm[0] != 'a' && norm[0] != 'h' && norm[0] != 's' && norm[0] != 't' &&
	                     norm[0] != 'i' && norm[0] != 'm' && norm[0] != 'y'))
		return 0;
	return ENGINE_WORD_LISTED(norm, list);
}

int engine__word_listed(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; w != NULL && i < n; i++)
		if (w[0] == list[i][0] && strcmp(w, list[i]) == 0)
			return 1;
	return 0;
}

static int token_has(const unsigned *pats, size_t n, unsigned p)
{
	for (size_t i = 0; i < n; i++)
		if (pats[i] == p)
			return 1;
	return 0;
}

/* Sorts longest first; on equal length concepts before context rules, then by start. */
static int by_length(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	size_t lx = x->end - x->start, ly = y->end - y->start;
	int cx = x->concept, cy = y->concept;

	if (lx != ly)
		return lx > ly ? -1 : 1;
	if (cx != cy)
		return cx ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->phrase < y->phrase ? -1 : (x->phrase > y->phrase);
}

static int overlaps(const struct match *a, const struct match *b)
{
	return a->start < b->end && b->start < a->end;
}

/* m sorted by by_length (a total order: any sort gives this order): by insertion when there are
 * few (a text's chunk has a handful of matches; qsort's setup costs more), else qsort. */
static void sort_matches(struct match *m, size_t n)
{
	if (n > 16) {
		qsort(m, n, sizeof(*m), by_length);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct match x = m[i];
		size_t j = i;

		for (; j > 0 && by_length(&m[j - 1], &x) > 0; j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

/* Longest-match resolution (policies/vocabulary/README.md): concepts and ConText triggers
 * compete (a trigger inside a longer concept phrase is no trigger, and a concept inside a longer
 * trigger phrase such as "negative for" is no concept); a concept inside a longer concept is
 * dropped; sites compete with sites only; laterality words never compete. */
static void resolve(const struct engine__phrase *phrases, struct match *m, size_t n)
{
	size_t i, j;

	sort_matches(m, n);
	for (i = 0; i < n; i++) {
		enum engine__layer layer = phrases[m[i].phrase].layer;
		int ok = 1;

		for (j = 0; j < i && ok; j++) {
			enum engine__layer other = phrases[m[j].phrase].layer;

			if (!m[j].accepted)
				continue;
			switch (layer) {
			case ENGINE_LAYER_CONCEPT:
				/* the longest phrase wins where phrases overlap ("2/5 positive -
				 * cluster negative" is no "positive cluster"); the same words
				 * naming two concepts name both ("usgi": guidance and injection) */
				if ((other == ENGINE_LAYER_CONTEXT && overlaps(&m[j], &m[i])) ||
				    (other == ENGINE_LAYER_CONCEPT && overlaps(&m[j], &m[i]) &&
				     !(m[j].start == m[i].start && m[j].end == m[i].end &&
				       phrases[m[j].phrase].owner != phrases[m[i].phrase].owner)))
					ok = 0;
				break;
			case ENGINE_LAYER_CONTEXT:
				/* a word that is both a concept and a trigger ("negative": a test
				 * result, and post-negation of what precedes it) is both */
				if ((other == ENGINE_LAYER_CONTEXT && overlaps(&m[j], &m[i])) ||
				    (other == ENGINE_LAYER_CONCEPT && overlaps(&m[j], &m[i]) &&
				     !(m[j].start == m[i].start && m[j].end == m[i].end)))
					ok = 0;
				break;
			case ENGINE_LAYER_SITE:
				/* the same words listed in two regions name both ("thumb spica":
				 * the wrist and the thumb) */
				if ((other == layer && overlaps(&m[j], &m[i]) &&
				     !(m[j].start == m[i].start && m[j].end == m[i].end &&
				       phrases[m[j].phrase].owner != phrases[m[i].phrase].owner)) ||
				    (other == ENGINE_LAYER_CONCEPT &&
				     phrases[m[j].phrase].blocks_sites && overlaps(&m[j], &m[i])))
					ok = 0;
				break;
			case ENGINE_LAYER_SIDE:
				if (other == layer && overlaps(&m[j], &m[i]))
					ok = 0;
				break;
			}
		}
		m[i].accepted = ok;
	}
}

/* ---- ConText ----------------------------------------------------------------------------- */

/* An item of a history list that its own present-tense qualifier makes current (end_lists):
 * tokens [from, to), for every concept, or (`only` not NULL) for the concepts that rule spares. */
struct item_hole {
	size_t from, to;
	const struct engine__rule *only;
};

#define MAX_HOLES 8 /* per chunk; past it a qualifier ends the list as any termination does */

struct scan {
	const struct engine_vocab *v;
	const struct engine__phrase *phrases;
	const struct engine__rule *rules;
	const struct engine__token *toks;
	size_t ntok;
	size_t *sentence; /* token index -> sentence number */
	struct match *m;
	size_t nm;
	const unsigned char *asked;        /* token -> in an unanswered template question */
	struct list_scope *lists;          /* the text's lists so far (in the scratch) */
	size_t nlists, live;               /* lists[live..] may still reach the current chunk */
	struct item_hole holes[MAX_HOLES]; /* this chunk's items a history list does not govern */
	size_t nholes;
	struct engine__scratch *scratch;
	int proxy; /* a `proxy` phrase has been read in this text so far (proxy_relative) */
};

/* The marks after a word that part it from what follows in its item (limb_below, date_parts). */
#define ITEM_PARTED (ENGINE_MARK_COMMA | ENGINE_MARK_DASH | ENGINE_MARK_COLON | ENGINE_MARK_CLOSE)

/* Drops an accepted concept phrase that ends in a place word that is also a preposition ("numb
 * down below", "tingling down below") when a limb site follows it in its clause, after articles,
 * possessives and a side word: "numb down below the knee", "tingling down below her left ankle"
 * name the limb, not the saddle (H138). The hip and the sacroiliac joint border the saddle, and
 * a waist or the lower back is no limb, so "numb down below the hips" and "numb down below the
 * waist" keep the finding; so does a comma or a dash after it ("numb down below, and can't feel
 * the paper"). A phrase ending in "bottom" names the sole when "of" and a limb site follow it
 * ("numb bottom of her foot", "numb around the bottom of his heel"); without "of" ("numb bottom
 * L leg sciatica") or before the spine or back ("numb bottom of spine") it keeps the finding
 * (H140). */
static void limb_below(const struct scan *s, const struct engine_vocab *v)
{
	static const char *const place[] = {"below", "beneath", "under", "underneath", "bottom"};
	static const char *const bordering[] = {"hip", "sacroiliac-joint"};
	size_t nregions;
	const struct engine__region *regions = engine__vocab_regions(v, &nregions);

	for (size_t i = 0; i < s->nm; i++) {
		struct match *m = &s->m[i];
		const struct engine__token *last = &s->toks[m->end - 1];
		size_t k = m->end;

		if (!m->accepted || s->phrases[m->phrase].layer != ENGINE_LAYER_CONCEPT ||
		    !ENGINE_WORD_LISTED(last->norm, place) || (last->marks & ITEM_PARTED))
			continue;
		if (strcmp(last->norm, "bottom") == 0) {
			if (k >= s->ntok || s->toks[k].norm == NULL ||
			    strcmp(s->toks[k].norm, "of") != 0)
				continue;
			k++;
		}
		for (int side = 0; side < 2; side++) {
			while (k < s->ntok && s->toks[k].norm != NULL &&
			       engine__filler_word(s->toks[k].norm))
				k++;
			for (size_t j = 0; j < s->nm && side == 0; j++)
				if (s->m[j].accepted && s->m[j].start == k &&
				    s->phrases[s->m[j].phrase].layer == ENGINE_LAYER_SIDE)
					k = s->m[j].end;
		}
		for (size_t j = 0; j < s->nm; j++) {
			const struct engine__phrase *ph = &s->phrases[s->m[j].phrase];

			if (s->m[j].accepted && s->m[j].start == k &&
			    ph->layer == ENGINE_LAYER_SITE && regions[ph->owner].paired &&
			    !ENGINE_WORD_LISTED(regions[ph->owner].id, bordering))
				m->accepted = 0;
		}
	}
}

static const struct engine__rule *rule_of(const struct scan *s, const struct match *m)
{
	return &s->rules[s->phrases[m->phrase].owner];
}

/* Drops an accepted recent-time qualifier ("present" in context.json) that a number follows
 * in its clause: it is part of a date, "CES 3/7/2015" holds no "3/7" (three days), so it ends
 * no scope and dates no item (H138). */
static void date_parts(const struct scan *s)
{

	for (size_t i = 0; i < s->nm; i++) {
		struct match *m = &s->m[i];
		const char *next = m->end < s->ntok ? s->toks[m->end].norm : NULL;

		if (m->accepted && s->phrases[m->phrase].layer == ENGINE_LAYER_CONTEXT &&
		    rule_of(s, m)->present && next != NULL &&
		    strspn(next, "0123456789") == strlen(next) &&
		    !(s->toks[m->end - 1].marks & ITEM_PARTED))
			m->accepted = 0;
	}
}

static int is_status_trigger(const struct scan *s, const struct match *m)
{
	return m->accepted && s->phrases[m->phrase].layer == ENGINE_LAYER_CONTEXT &&
	       rule_of(s, m)->category < ENGINE_ST_COUNT;
}

/* Does the sentence end at token `end` (a boundary or the end of the text)? */
static int last_of_sentence(const struct scan *s, size_t end)
{
	/* a date or number after it does not count: "tibial plateau fracture L (2020)" */
	while (end < s->ntok && s->toks[end].norm != NULL &&
	       strspn(s->toks[end].norm, "0123456789./") == strlen(s->toks[end].norm))
		end++;
	return end >= s->ntok || s->toks[end].norm == NULL;
}

/* Relatives named by one word, by sex (relative_possessive, proxy_relative). */
static const char *const female_relatives[] = {"wife",        "mother",  "mum",      "mom",
                                               "sister",      "sisters", "daughter", "daughters",
                                               "grandmother", "aunt",    "niece",    "nan"};
static const char *const male_relatives[] = {"husband",  "father",     "dad",  "brother",
                                             "brothers", "son",        "sons", "uncle",
                                             "nephew",   "grandfather"};

/* Is `own` ("her", "his", "their") the possessive of the relative named by word `who`? A
 * relative of one sex takes "her" or "his", any relative "their"; a husband who "reports her own
 * saddle numbness" reports the patient's. */
static int relative_possessive(const char *who, const char *own)
{
	if (strcmp(own, "their") == 0)
		return 1;
	if (strcmp(own, "her") == 0)
		return ENGINE_WORD_LISTED(who, female_relatives);
	return strcmp(own, "his") == 0 && ENGINE_WORD_LISTED(who, male_relatives);
}

/* In a text a relative or carer writes for the patient (a `proxy` phrase before: "Form
 * completed by daughter on behalf of patient"), is the other-experiencer trigger t the writer's
 * "my <relative>" ("My mum is on warfarin", "my son has started wetting himself"), who is the
 * patient? "her mum", "family history of" and a relative without "my" stay another person. */
static int proxy_relative(const struct scan *s, const struct match *t)
{
	static const char *const more[] = {"partner", "grandad", "granddad", "grandma", "gran",
	                                   "nana",    "child",   "stepmum",  "stepdad"};
	const char *who = s->toks[t->start].norm;

	return s->proxy && t->start > 0 && s->toks[t->start - 1].norm != NULL &&
	       s->toks[t->start - 1].marks == 0 && strcmp(s->toks[t->start - 1].norm, "my") == 0 &&
	       (ENGINE_WORD_LISTED(who, female_relatives) ||
	        ENGINE_WORD_LISTED(who, male_relatives) || ENGINE_WORD_LISTED(who, more));
}

/* Is the termination at match m right after another experiencer's trigger that ends at token
 * `from`, with no punctuation between, and about the relative: a time word ("wife currently has
 * breast cancer", "husband recently fractured his knee", "mother now has CES") or a report of
 * the relative's own ("wife reports her own bladder problems")? The relative is then the subject
 * of what follows. After a comma ("lives with wife, currently has saddle numbness"), a word
 * between ("mother had CES, now has ..."), a plain report ("wife reports saddle numbness",
 * "wife reports he has been incontinent") or another's possessive ("husband reports her own
 * saddle numbness") it still starts the patient's own clause. */
static int relative_subject(const struct scan *s, const struct match *m, size_t from, int category)
{
	static const char *const time_words[] = {"currently", "recently",  "now",      "still",
	                                         "today",     "yesterday", "presently"};
	const struct engine__token *before = from > 0 ? &s->toks[from - 1] : NULL;
	size_t e = m->end;

	if (category != ENGINE_ST_OTHER || m->start != from || before == NULL ||
	    before->norm == NULL || before->marks != 0)
		return 0;
	if (ENGINE_WORD_LISTED(s->toks[m->start].norm, time_words))
		return 1;
	return e + 1 < s->ntok && s->toks[e - 1].marks == 0 && s->toks[e].norm != NULL &&
	       s->toks[e + 1].norm != NULL && strcmp(s->toks[e + 1].norm, "own") == 0 &&
	       relative_possessive(before->norm, s->toks[e].norm);
}

/* Does a clause of its own start in tokens (from, to): a ',' or a dash, then a present-tense verb
 * ("Although denies numbness, has had faecal incontinence x2 this week", "PMH DVT, is on
 * apixaban"), or "under" (a care team now, also as the mention's own first word: "declined
 * chemotherapy, under Macmillan palliative care", audit H133), or for a history (`historical`)
 * "on" ("PMH AF, on apixaban 5mg BD": a treatment taken now)? A negation or a history reaches no
 * further, as a list it introduces ends at such an item (text_lists.c; a history list only skips
 * the item, item_qualifier); "denies that he has ..." (no comma) is left as it was, and in a list
 * after ':' ("PMH: AF (on apixaban), HTN") the item's own qualifier decides (item_qualifier). */
static int comma_clause(const struct scan *s, size_t from, size_t to, int historical)
{
	for (size_t k = from + 1; k <= to && k < s->ntok; k++)
		if (s->toks[k].norm != NULL && s->toks[k - 1].norm != NULL &&
		    (s->toks[k - 1].marks & (ENGINE_MARK_COMMA | ENGINE_MARK_DASH)) &&
		    ((k < to && engine__clause_verb(s->toks[k].norm)) ||
		     strcmp(s->toks[k].norm, "under") == 0 ||
		     (k < to && historical && strcmp(s->toks[k].norm, "on") == 0)))
			return 1;
	return 0;
}

/* The end of an aside that parts the verb negation at match t from its object: t is an
 * auxiliary and "not" or "never" ("has not", "did not", "have never") followed by ',', and a
 * second ',' before token `to` closes the aside ("She has not, at any point since the onset of
 * her back pain in June, noticed any numbness around her back passage"). A termination inside
 * the aside ("since") or a history trigger ("three weeks ago") dates or explains it and does
 * not end the negation; a trigger of another category ("?retention") still does. Gives the token
 * after the closing ',', or t->end when there is no aside (a bare "No, since Tuesday saddle
 * numbness" keeps the finding; audit H133). */
static size_t negation_aside(const struct scan *s, const struct match *t, size_t to)
{
	const char *last = s->toks[t->end - 1].norm;

	if (rule_of(s, t)->category != ENGINE_ST_NEGATED || t->end - t->start < 2 || last == NULL ||
	    (strcmp(last, "not") != 0 && strcmp(last, "never") != 0) ||
	    !(s->toks[t->end - 1].marks & ENGINE_MARK_COMMA))
		return t->end;
	for (size_t k = t->end; k < to && s->toks[k].norm != NULL; k++)
		if (s->toks[k].marks & ENGINE_MARK_COMMA)
			return k + 1 < to ? k + 1 : t->end;
	return t->end;
}

#define RELATIVE_REACH                                                                             \
	10 /* tokens a ", which resolved" clause reaches back over its antecedent                  \
	    */

/* Is the finding ending at token `end` the antecedent of the relative clause that the backward
 * history trigger at match t opens after a ',' ("an episode of urinary retention following an
 * inguinal hernia repair, which resolved with catheterisation")? It is when only the words of
 * its own clause part them: no clause mark (',' ';' ':' a dash or a bracket) and no coordinator
 * ("and", "or", "with": "saddle numbness and leg pain, which settled" may mean the pain alone),
 * within RELATIVE_REACH tokens. Without the comma the rule's own window decides (audit H133). */
static int relative_antecedent(const struct scan *s, const struct match *t, size_t end)
{
	static const char *const coordinators[] = {"and", "or", "nor", "with", "plus"};
	const unsigned parts = ENGINE_MARK_COMMA | ENGINE_MARK_DASH | ENGINE_MARK_COLON |
	                       ENGINE_MARK_OPEN | ENGINE_MARK_CLOSE | ENGINE_MARK_SEMICOLON;

	if (rule_of(s, t)->category != ENGINE_ST_HISTORICAL || t->start == 0 || t->start < end ||
	    t->start - end >= RELATIVE_REACH || strcmp(s->toks[t->start].norm, "which") != 0 ||
	    !(s->toks[t->start - 1].marks & ENGINE_MARK_COMMA))
		return 0;
	for (size_t k = end - 1; k + 1 < t->start; k++)
		if (s->toks[k].norm == NULL || (s->toks[k].marks & parts) ||
		    (k >= end && ENGINE_WORD_LISTED(s->toks[k].norm, coordinators)))
			return 0;
	for (size_t k = end; k < t->start; k++)
		if (s->toks[k].marks & ENGINE_MARK_OPEN)
			return 0;
	return 1;
}

/* Is anything in tokens [from, to) a termination term, or a status trigger of another category
 * than `category` (pyConText: a modifier's scope stops at a modifier of another category)? A
 * termination or a history trigger before token `aside` (negation_aside) does not count. */
static int scope_blocked(const struct scan *s, size_t from, size_t to, int category, size_t aside)
{
	for (size_t i = 0; i < s->nm; i++) {
		const struct match *m = &s->m[i];

		if (!m->accepted || s->phrases[m->phrase].layer != ENGINE_LAYER_CONTEXT)
			continue;
		if (m->start < from || m->start >= to || relative_subject(s, m, from, category))
			continue;
		/* a conditional ("if no better in 6/52, bloods to exclude myeloma") reaches over
		 * the triggers inside it: only terminations end its scope */
		if ((rule_of(s, m)->category == ENGINE_CTX_TERMINATION && m->start >= aside &&
		     (rule_of(s, m)->ends & (1u << category))) ||
		    (rule_of(s, m)->category < ENGINE_ST_COUNT &&
		     rule_of(s, m)->category != category && category != ENGINE_ST_HYPOTHETICAL &&
		     !(rule_of(s, m)->category == ENGINE_ST_HISTORICAL && m->start < aside)))
			return 1;
	}
	return 0;
}

/* Does a ')' after the trigger at tokens [from, after) and before token `to` close a
 * parenthesis that holds the trigger (a forward trigger inside "(no retention)" does not reach
 * past it: "Bladder normal (no retention), saddle numbness present")? A "(...)" opened after
 * the trigger is skipped; a trigger that is all its parenthesis says ("(2WW) for sarcoma",
 * "(denied)") still reaches out of it. */
static int paren_closes(const struct scan *s, size_t from, size_t after, size_t to)
{
	size_t depth = 0;

	for (size_t k = from; k < to; k++) {
		if (s->toks[k].norm == NULL)
			continue;
		if (k > from && (s->toks[k].marks & ENGINE_MARK_OPEN))
			depth++;
		if (s->toks[k].marks & ENGINE_MARK_CLOSE) {
			if (depth == 0)
				return k >= after;
			depth--;
		}
	}
	return 0;
}

/* Is the mention at tokens [start, end) itself a termination of `category` (a word that is both
 * a concept and a termination: "positive" ends a post-negation's scope, so in "FABER positive,
 * thigh thrust negative" the 'negative' reaches neither 'FABER' nor 'positive')? */
static int self_terminated(const struct scan *s, size_t start, size_t end, int category)
{
	for (size_t i = 0; i < s->nm; i++) {
		const struct match *m = &s->m[i];

		if (m->accepted && m->start == start && m->end == end &&
		    s->phrases[m->phrase].layer == ENGINE_LAYER_CONTEXT &&
		    rule_of(s, m)->category == ENGINE_CTX_TERMINATION &&
		    (rule_of(s, m)->ends & (1u << category)))
			return 1;
	}
	return 0;
}

/* Does the mention at tokens [start, end) carry its own negation: a negation trigger inside its
 * phrase, which the longer phrase overrode ("would not cooperate", "unable to cooperate")? Such
 * a mention is a verb phrase of its own, so a windowed pre-negation before it ("unable to",
 * "could not": they negate the verb they lead) does not reach it: in "unable to lie prone and
 * would not cooperate" the lack of cooperation is a finding. */
static int own_negation(const struct scan *s, size_t start, size_t end)
{
	for (size_t i = 0; i < s->nm; i++) {
		const struct match *m = &s->m[i];

		if (!m->accepted && s->phrases[m->phrase].layer == ENGINE_LAYER_CONTEXT &&
		    rule_of(s, m)->category == ENGINE_ST_NEGATED && m->start >= start &&
		    m->end <= end)
			return 1;
	}
	return 0;
}

/* Is the trigger at match t a label's answer ("Saddle anaesthesia: no, urinary retention:
 * yes"): right after a label's ':' or dash, and ending its item with ',' or a dash? It then
 * reads back over its label's item only, not forward into the next item. */
static int answers_label(const struct scan *s, const struct match *t)
{
	const struct engine__token *before = t->start > 0 ? &s->toks[t->start - 1] : NULL;

	return before != NULL && before->norm != NULL &&
	       (before->marks & (ENGINE_MARK_COLON | ENGINE_MARK_DASH)) &&
	       (s->toks[t->end - 1].marks & (ENGINE_MARK_COMMA | ENGINE_MARK_DASH));
}

/* Does the negation at match t answer the label that ends at token `end` right before it by
 * restating the label's concept ("Infection: No current infection", "Saddle anaesthesia: no
 * saddle numbness", "CES: No symptoms of CES")? The answer then reads back over the label as
 * "Infection: No" does, whatever forward negation it starts with. Only a
 * restatement the trigger itself negates counts: "Bladder: no control" (no same concept after
 * the 'no') and "Infection: no, but cellulitis" leave the label to the rules above (audit H139). */
static int restates_label(const struct scan *s, const struct match *t, int concept, size_t end)
{
	if (t->start != end || !(s->toks[end - 1].marks & ENGINE_MARK_COLON))
		return 0;
	for (size_t i = 0; i < s->nm; i++) {
		const struct match *m = &s->m[i];

		if (m->accepted && s->phrases[m->phrase].layer == ENGINE_LAYER_CONCEPT &&
		    s->phrases[m->phrase].owner == concept && m->start >= t->end &&
		    m->start - t->end < DEFAULT_WINDOW &&
		    s->sentence[m->start] == s->sentence[t->start] &&
		    !scope_blocked(s, t->end, m->start, ENGINE_ST_NEGATED, m->start))
			return 1;
	}
	return 0;
}

/* Is the mention ending at token `end` a label ("urinary retention:") that an item separator
 * (',', a dash, ')') parts from a forward trigger ending at token `after`? Its own answer decides
 * it: in "No saddle anaesthesia, urinary retention: present" the 'No' does not reach it. */
static int parted_label(const struct scan *s, size_t after, size_t start, size_t end)
{
	if (!(s->toks[end - 1].marks & ENGINE_MARK_COLON))
		return 0;
	for (size_t k = after - 1; k < start; k++)
		if (s->toks[k].marks & (ENGINE_MARK_COMMA | ENGINE_MARK_DASH | ENGINE_MARK_CLOSE))
			return 1;
	return 0;
}

/* Are tokens [from, to) the items of a comma list before the mention: at least two commas,
 * and every item at most 3 words, parted by ',' "or" "and" "nor"? A negation before such a
 * list governs all of it however long ("Denies fever, night sweats, weight loss, chest pain,
 * SOB, abdominal pain, dysuria, haematuria, saddle anaesthesia or urinary retention"); an item
 * of more words (a clause: "since Monday has had") ends the list as the window did. */
static int short_items(const struct scan *s, size_t from, size_t to)
{
	static const char *const conjunctions[] = {"or", "and", "nor"};
	size_t run = 0, commas = 0;

	if (to - from > 100)
		return 0; /* as a list a trigger introduces (text_lists.c) */
	for (size_t k = from; k < to; k++) {
		const char *w = s->toks[k].norm;

		if (w == NULL)
			return 0;
		if (ENGINE_WORD_LISTED(w, conjunctions)) {
			run = 0;
			continue;
		}
		if (++run > 3)
			return 0;
		if (s->toks[k].marks & ENGINE_MARK_COMMA) {
			run = 0;
			commas++;
		}
	}
	return commas >= 2;
}

/* Does the post-negation at match t have a subject of its own between the finding ending at
 * token `end` and itself: an item after a ',' or a dash that holds a word no concept mention
 * covers ("Saddle numbness, SLR negative", "saddle numbness, abdo nil": the 'negative' is the
 * SLR's)? A list of findings ("saddle anaesthesia, retention negative") and filler words ("…,
 * all negative") do not part it from the finding. A lost red flag is the worse error, so a
 * post-negation does not reach back across another subject. */
static int own_subject(const struct scan *s, size_t end, const struct match *t)
{
	/* filler words, and the topics of a red-flag screen that name no finding alone
	 * ("Saddle anaesthesia, bladder and bowel negative" is one screen) */
	static const char *const filler[] = {
	    "all",      "both",      "are",        "is",       "was",      "were",     "and",
	    "or",       "also",      "each",       "tests",    "test",     "bladder",  "bowel",
	    "bowels",   "urinary",   "faecal",     "saddle",   "perianal", "perineal", "sensation",
	    "function", "sphincter", "continence", "symptoms", "red",      "flags",    "ces"};
	size_t item = 0;

	for (size_t k = end - 1; k + 1 < t->start; k++)
		if (s->toks[k].marks & (ENGINE_MARK_COMMA | ENGINE_MARK_DASH))
			item = k + 1;
	for (size_t k = item; item > 0 && k < t->start; k++) {
		int covered =
		    s->toks[k].norm == NULL || ENGINE_WORD_LISTED(s->toks[k].norm, filler);

		for (size_t i = 0; i < s->nm && !covered; i++)
			covered = s->m[i].accepted &&
			          s->phrases[s->m[i].phrase].layer == ENGINE_LAYER_CONCEPT &&
			          s->m[i].start <= k && k < s->m[i].end;
		if (!covered)
			return 1;
	}
	return 0;
}

/* Is the backward negation at match t taken back by a contrast that reports the same finding
 * later, with no finding of its own: "Saddle numbness was denied at triage but was reported to
 * the on-call GP this evening", "denied initially, however on re-questioning admits to it"?
 * A contrast whose verb has a finding for its object (within 3 words: "denied but reports leg
 * pain", "but admits to bladder leakage") leaves the denial. */
static int report_revokes(const struct scan *s, const struct match *t)
{
	static const char *const contrast[] = {"but", "however", "although", "though"};
	static const char *const report[] = {"reported",  "reports",  "admitted", "admits",
	                                     "confirmed", "confirms", "elicited", "described",
	                                     "describes", "endorsed", "endorses", "found"};
	static const char *const passive[] = {"was", "were", "is", "been"};
	static const char *const elided[] = {"it",    "this",         "them",       "same",  "so",
	                                     "later", "subsequently", "afterwards", "since", "by",
	                                     "on",    "at",           "when",       "during"};
	size_t k = t->end, turn = 0, verb = 0;
	const char *next;

	for (; k < s->ntok && k < t->end + 5 && s->toks[k].norm != NULL; k++)
		if (ENGINE_WORD_LISTED(s->toks[k].norm, contrast)) {
			turn = k + 1;
			break;
		}
	for (k = turn; turn > 0 && k < s->ntok && k < turn + 8 && s->toks[k].norm != NULL; k++)
		if (ENGINE_WORD_LISTED(s->toks[k].norm, report)) {
			verb = k;
			break;
		}
	if (verb == 0)
		return 0;
	/* the finding left out: a passive ("was reported"), a pronoun or an adverbial after the
	 * verb ("admits to it", "but confirmed by her husband", "but reported later"); an active
	 * verb with its own object ("but reports leg pain", "reports urinary frequency") names
	 * something else */
	next = verb + 1 < s->ntok ? s->toks[verb + 1].norm : NULL;
	if (next != NULL && strcmp(next, "to") == 0 && verb + 2 < s->ntok)
		next = s->toks[verb + 2].norm;
	if (ENGINE_WORD_LISTED(s->toks[verb - 1].norm, passive))
		return 1;
	if (next != NULL && !ENGINE_WORD_LISTED(next, elided))
		return 0;
	for (size_t i = 0; i < s->nm; i++)
		if (s->m[i].accepted && s->phrases[s->m[i].phrase].layer == ENGINE_LAYER_CONCEPT &&
		    s->m[i].start >= turn && s->m[i].start <= verb + 3 &&
		    s->sentence[s->m[i].start] == s->sentence[t->start])
			return 0;
	return 1;
}

/* Is token `tok` of a mention of `concept` (-1: a site) in a hole (struct item_hole) that starts
 * at or after token `after`: an item a history trigger before it does not govern? */
static int in_hole(const struct scan *s, int concept, size_t tok, size_t after)
{
	for (size_t h = 0; h < s->nholes; h++) {
		const struct item_hole *o = &s->holes[h];

		if (o->from >= after && o->from <= tok && tok < o->to &&
		    (o->only == NULL ||
		     (concept >= 0 && engine__rule_spares(s->v, o->only, concept))))
			return 1;
	}
	return 0;
}

/* Is token `k` a year, 1900 to 2099? */
static int year_token(const struct scan *s, size_t k)
{
	return k < s->ntok && engine__text_year(s->toks[k].norm) != 0;
}

/* Does a year end the mention at tokens [start, end) ("ca 2016", a phrase that shields 'ca'), or
 * follow it in its clause, right after it or after one word that does not make it go on ("hx
 * prostate cancer 2016", "Hx Ca lung (2021)"; not "since 2019")? What a `dated` history trigger
 * needs. */
static int year_follows(const struct scan *s, size_t start, size_t end)
{
	static const char *const ongoing[] = {"since", "until", "till", "from",    "to",
	                                      "after", "now",   "new",  "ongoing", "still"};
	const unsigned parts = ENGINE_MARK_COMMA | ENGINE_MARK_DASH | ENGINE_MARK_COLON |
	                       ENGINE_MARK_SEMICOLON | ENGINE_MARK_STOP | ENGINE_MARK_LINE;

	if (end - start >= 2 && year_token(s, end - 1))
		return 1;
	if (s->toks[end - 1].marks & parts)
		return 0;
	if (year_token(s, end))
		return 1;
	return end + 1 < s->ntok && s->toks[end].norm != NULL && !(s->toks[end].marks & parts) &&
	       strspn(s->toks[end].norm, "abcdefghijklmnopqrstuvwxyz") ==
	           strlen(s->toks[end].norm) &&
	       !ENGINE_WORD_LISTED(s->toks[end].norm, ongoing) && year_token(s, end + 1);
}

/* The status of a mention of concept `concept` at tokens [start, end), and the byte span of the
 * triggers that gave it (extends *from / *to). A trigger that spares the concept ("spares" in
 * context.json) does not apply to it. */
static enum engine__status status_of(const struct scan *s, int concept, size_t start, size_t end,
                                     size_t *from, size_t *to)
{
	int status = ENGINE_ST_AFFIRMED, yielding = 0;

	for (size_t i = 0; i < s->nm; i++) {
		const struct match *t = &s->m[i];
		const struct engine__rule *r;
		size_t window, gap;
		int applies = 0, answer;

		if (!is_status_trigger(s, t) || s->sentence[t->start] != s->sentence[start])
			continue;
		r = rule_of(s, t);
		if ((r->spare_count > 0 && engine__rule_spares(s->v, r, concept)) ||
		    (r->dated && !year_follows(s, start, end)))
			continue;
		if (r->category == ENGINE_ST_OTHER && proxy_relative(s, t))
			continue; /* the writer's "my mum" is the patient */
		window = r->window > 0 ? (size_t)r->window : DEFAULT_WINDOW;
		answer = r->final_backward && answers_label(s, t);
		if ((r->direction & ENGINE_DIR_FORWARD) && t->end <= start && !answer) {
			gap = start - t->end;
			applies =
			    (gap < window || (r->category == ENGINE_ST_NEGATED && r->window == 0 &&
			                      short_items(s, t->end, start))) &&
			    !scope_blocked(s, t->end, start, r->category,
			                   negation_aside(s, t, start)) &&
			    !paren_closes(s, t->start, t->end, start) &&
			    !parted_label(s, t->end, start, end) &&
			    !(r->category == ENGINE_ST_HISTORICAL &&
			      in_hole(s, concept, start, t->end)) &&
			    !((r->category == ENGINE_ST_NEGATED ||
			       r->category == ENGINE_ST_HISTORICAL) &&
			      comma_clause(s, t->end - 1, start,
			                   r->category == ENGINE_ST_HISTORICAL)) &&
			    !(r->category == ENGINE_ST_NEGATED && r->window > 0 &&
			      own_negation(s, start, end));
		}
		if (answer && t->start >= end &&
		    start < engine__list_item_start(s->toks, 0, t->start - 1))
			continue; /* an answer reads back over its own label's item only */
		if (!applies && r->category == ENGINE_ST_NEGATED &&
		    (r->direction & ENGINE_DIR_FORWARD) && restates_label(s, t, concept, end))
			applies = 1;
		if (!applies &&
		    ((r->direction & ENGINE_DIR_BACKWARD) ||
		     (r->final_backward && (answer || last_of_sentence(s, t->end)))) &&
		    t->start >= end) {
			gap = t->start - end;
			if (!(r->direction & ENGINE_DIR_BACKWARD) && r->final_window > 0)
				window = (size_t)r->final_window; /* "LBP, saddle numbness?" */
			applies = (gap < window || relative_antecedent(s, t, end)) &&
			          !scope_blocked(s, end, t->start, r->category, end) &&
			          !self_terminated(s, start, end, r->category) &&
			          !(r->category == ENGINE_ST_NEGATED &&
			            (report_revokes(s, t) || own_subject(s, end, t)));
		}
		if (!applies)
			continue;
		if (r->yields_to_uncertain)
			yielding = 1; /* decided after the loop */
		else if (r->category > status)
			status = r->category;
		if (s->toks[t->start].start < *from)
			*from = s->toks[t->start].start;
		if (s->toks[t->end - 1].end > *to)
			*to = s->toks[t->end - 1].end;
	}
	/* "referral for ?cancer", "?CES - MRI pending": a plan or referral whose object is a
	 * suspicion names the suspicion; otherwise it is hypothetical as before */
	if (yielding && status != ENGINE_ST_UNCERTAIN && status < ENGINE_ST_HYPOTHETICAL)
		status = ENGINE_ST_HYPOTHETICAL;
	return (enum engine__status)status;
}

/* Is token `end` a number (a year, a date) or past the sentence's end? */
static int date_or_end(const struct scan *s, size_t end)
{
	return end >= s->ntok || s->toks[end].norm == NULL ||
	       strspn(s->toks[end].norm, "0123456789./") == strlen(s->toks[end].norm);
}

/* Does the clause end right after token `end` - 1: a ',', a spaced dash or ')' after it, or a
 * '(' opening the next word ("Scaphoid fracture R (non-union)", "Knee OA R, severe")? */
static int clause_ends_at(const struct scan *s, size_t end)
{
	const unsigned closing = ENGINE_MARK_COMMA | ENGINE_MARK_DASH | ENGINE_MARK_CLOSE;

	return end > 0 && ((s->toks[end - 1].marks & closing) != 0 ||
	                   (end < s->ntok && (s->toks[end].marks & ENGINE_MARK_OPEN) != 0));
}

/* Is `w` an ordinal that numbers a digit, toe or bone ("1st", "5th", "third")? */
static int ordinal_word(const char *w)
{
	static const char *const words[] = {"first", "second", "third", "fourth", "fifth"};
	size_t digits = strspn(w, "0123456789");

	if (digits > 0 && digits <= 2 &&
	    (strcmp(w + digits, "st") == 0 || strcmp(w + digits, "nd") == 0 ||
	     strcmp(w + digits, "rd") == 0 || strcmp(w + digits, "th") == 0))
		return 1;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(w, words[i]) == 0)
			return 1;
	return 0;
}

/* Are tokens [from, to) all marks a clinician writes between a side and the bone it qualifies
 * ('#' fracture, '?' query, an ordinal: "R #NOF", "L ?scaphoid", "L 5th metatarsal",
 * "R 3rd finger")? */
static int only_marks(const struct scan *s, size_t from, size_t to)
{
	for (size_t t = from; t < to; t++)
		if (s->toks[t].norm == NULL ||
		    (strcmp(s->toks[t].norm, "#") != 0 && strcmp(s->toks[t].norm, "?") != 0 &&
		     !ordinal_word(s->toks[t].norm)))
			return 0;
	return 1;
}

/* The side of a paired site at tokens [start, end): a laterality word inside the site's phrase
 * ("neck of right femur"), else the nearest one before it (a one-letter "l"/"r" only right
 * before, or with only '#', '?' or an ordinal between: "R #NOF", "L 5th MT"), else just after it,
 * else the one side the sentence names; 0 when none can be read. policies/vocabulary/README.md
 * "body-sites.json". */
static unsigned side_of(const struct scan *s, size_t start, size_t end)
{
	size_t best_gap = (size_t)-1;
	unsigned sides = 0, seen = 0;
	int ambiguous = 0;

	for (size_t i = 0; i < s->nm; i++) {
		const struct match *l = &s->m[i];
		const struct engine__phrase *ph = &s->phrases[l->phrase];
		size_t gap;

		if (!l->accepted || ph->layer != ENGINE_LAYER_SIDE ||
		    s->sentence[l->start] != s->sentence[start])
			continue;
		if (!ph->single || last_of_sentence(s, l->end)) {
			if (seen == 0)
				seen = (unsigned)ph->owner;
			else if (seen != (unsigned)ph->owner)
				ambiguous = 1;
		}
		if (l->start >= start && l->end <= end) {
			gap = 0; /* inside the site's own phrase */
		} else if (l->end <= start) {
			gap = start - l->end;
			if (gap >= SIDE_BEFORE ||
			    (ph->single && gap != 0 && !only_marks(s, l->end, start)))
				continue;
		} else if (l->start >= end) {
			gap = l->start - end + 1; /* before wins on equal distance */
			/* a one-letter side right after the site, or one word on when a date, the
			 * sentence end or the clause end follows it: "Tib plat # L 2015", "Scaphoid
			 * fracture R (non-union)" */
			if (gap > SIDE_AFTER ||
			    (ph->single && gap != 1 &&
			     !(gap == 2 && (date_or_end(s, l->end) || clause_ends_at(s, l->end)))))
				continue;
		} else {
			continue;
		}
		if (gap < best_gap) {
			best_gap = gap;
			sides = (unsigned)ph->owner;
		}
	}
	if (sides == 0 && seen != 0 && !ambiguous)
		sides =
		    seen; /* one side named in the sentence: "Knee injection - US guided (Right)" */
	return sides;
}

struct mentions {
	struct engine__mentions *list;
	struct fhir_arena *arena;
};

static void add_mention(struct mentions *out, const struct engine__mention *m)
{
	struct engine__mentions *l = out->list;

	l->items =
	    engine__arena_room(out->arena, l->items, l->count, &l->cap, 8, sizeof(*l->items));
	l->items[l->count++] = *m;
}

/* The pattern ids of token i (MAX_PATTERNS_PER_TOKEN per token in one array). */
#define PATS(pats, i) ((pats) + (i)*MAX_PATTERNS_PER_TOKEN)

/* Is w (NULL: no) a template's yes/no answer word? */
static int answer_word(const char *w)
{
	static const char *const answers[] = {"no", "n", "yes", "y"};

	return w != NULL && ENGINE_WORD_LISTED(w, answers);
}

/* Does a ',' part token `at` from the one before it where one of them is a yes/no answer? A
 * template answer belongs to its label after ':', '?', a dash or a space ("Landmarks palpable:
 * No", "landmarks palpable N"), but a comma parts it from the next item ("landmarks palpable, no
 * effusion", "Effusion no, landmarks palpable"), so no phrase reads across it. */
static int comma_answer(const struct scan *s, size_t at)
{
	return at > 0 && (s->toks[at - 1].marks & ENGINE_MARK_COMMA) &&
	       (answer_word(s->toks[at].norm) || answer_word(s->toks[at - 1].norm));
}

/* Is token `at` a template question's '?' with its yes/no answer next ("Landmarks palpable? N")?
 * A phrase reads across it as across a label's ':' ("Landmarks palpable: N"); the answer word
 * must still be the phrase's next word. */
static int question_answer(const struct scan *s, size_t at, size_t to)
{
	return at > 0 && at + 1 < to && s->toks[at].norm != NULL &&
	       strcmp(s->toks[at].norm, "?") == 0 && s->toks[at - 1].norm != NULL &&
	       answer_word(s->toks[at + 1].norm);
}

/* Appends every phrase occurrence starting in tokens [from, to) and ending by `to` (s->m grows
 * in the scratch). */
static void find_matches(struct scan *s, const struct engine_vocab *v, const unsigned *pats,
                         const size_t *npats, size_t from, size_t to,
                         struct engine__scratch *scratch)
{
	for (size_t i = from; i < to; i++) {
		for (size_t j = 0; j < npats[i]; j++) {
			size_t *list, nlist;
			const struct engine__phrase *phrases =
			    engine__vocab_phrases_from(v, PATS(pats, i)[j], &list, &nlist);

			s->phrases = phrases;
			for (size_t k = 0; k < nlist; k++) {
				const struct engine__phrase *ph = &phrases[list[k]];
				size_t t, at = i + 1;
				int skipped = 0;

				if (i + ph->length > to)
					continue;
				/* a concept or site phrase may have one side word inside it:
				 * "swelling of left forearm" is "swelling of forearm", "neck of
				 * right femur" is "neck of femur" (the side goes to the site) */
				for (t = 1; t < ph->length; t++, at++) {
					/* and any article or possessive between its words:
					 * "numbness around her genitals" is "numbness around
					 * genitals" (concept phrases are stored without them) */
					while (
					    ph->layer == ENGINE_LAYER_CONCEPT && at + 1 < to &&
					    !token_has(PATS(pats, at), npats[at], ph->pattern[t]) &&
					    engine__filler_word(s->toks[at].norm))
						at++;
					if (ph->layer == ENGINE_LAYER_CONCEPT &&
					    question_answer(s, at, to) &&
					    !token_has(PATS(pats, at), npats[at], ph->pattern[t]))
						at++;
					if (at < to && s->toks[at].norm != NULL &&
					    !token_has(PATS(pats, at), npats[at], ph->pattern[t]) &&
					    (ph->layer == ENGINE_LAYER_CONCEPT ||
					     ph->layer == ENGINE_LAYER_SITE) &&
					    !skipped &&
					    engine__vocab_side_token(v, PATS(pats, at),
					                             npats[at])) {
						skipped = 1;
						at++;
					}
					if (at >= to || s->toks[at].norm == NULL ||
					    !token_has(PATS(pats, at), npats[at], ph->pattern[t]) ||
					    comma_answer(s, at))
						break;
				}
				if (t < ph->length ||
				    !engine__vocab_phrase_holds(v, ph, s->toks, i, at))
					continue;
				s->m = engine__arena_room(scratch->arena, s->m, s->nm,
				                          &scratch->m_cap, 16, sizeof(*s->m));
				scratch->m = s->m;
				s->m[s->nm].phrase = list[k];
				s->m[s->nm].start = i;
				s->m[s->nm].end = at;
				s->m[s->nm].concept = ph->layer == ENGINE_LAYER_CONCEPT;
				s->m[s->nm].accepted = 0;
				s->nm++;
			}
		}
	}
}

/* 1 when a match ending at token `end` ends its clause: the last word of its text or sentence,
 * or clause_ends_at ("Sciatica - left, 2025", "Sciatica - right (new)"). */
static int qualifier_ends_clause(const struct scan *s, size_t end)
{
	return end >= s->ntok || s->sentence[end] != s->sentence[end - 1] || clause_ends_at(s, end);
}

/* 1 when the words [from, to) between a composed concept's two parts may stand there: at most
 * k->gap link words among them, the rest articles or possessives, and no comma, semicolon,
 * colon, dash, bracket or line break from the first part's last word on (engine__compose).
 * With k->dash_qualifier, the problem-list form "<first part> - <second part>" also stands when
 * nothing but the spaced dash lies between and the second part, ending at `end`, ends its
 * clause: "Sciatica - left", not "L sciatica - R leg normal". */
static int compose_linked(const struct scan *s, const struct engine__compose *k, size_t from,
                          size_t to, size_t end, int first_part_first)
{
	/* a colon or dash ends a template's label: "Saddle distribution: absent" answers it */
	const unsigned breaks = ENGINE_MARK_COMMA | ENGINE_MARK_SEMICOLON | ENGINE_MARK_STOP |
	                        ENGINE_MARK_LINE | ENGINE_MARK_PARAGRAPH | ENGINE_MARK_BULLET |
	                        ENGINE_MARK_OPEN | ENGINE_MARK_CLOSE | ENGINE_MARK_COLON |
	                        ENGINE_MARK_DASH;

	size_t words = 0;

	if (to < from || from == 0)
		return 0;
	if (k->dash_qualifier && first_part_first && to == from &&
	    (s->toks[from - 1].marks & breaks) == ENGINE_MARK_DASH && qualifier_ends_clause(s, end))
		return 1;
	for (size_t t = from - 1; t < to; t++) {
		const char *w = s->toks[t].norm;

		if ((s->toks[t].marks & breaks) || w == NULL)
			return 0;
		if (t < from || engine__filler_word(w))
			continue;
		if (!engine__word_listed(w, (const char *const *)k->links, k->link_count) ||
		    ++words > (size_t)k->gap)
			return 0;
	}
	return 1;
}

/* 1 when a phrase of concept c or of one of its broader concepts already matches [start, end)
 * ("pins and needles in saddle area" is a saddle-anaesthesia phrase): the same words are not
 * read twice. */
static int phrase_spans(const struct scan *s, const struct engine__concept *concepts, int c,
                        size_t start, size_t end, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int owner = s->phrases[s->m[i].phrase].owner;

		if (!s->m[i].concept || s->m[i].start != start || s->m[i].end != end)
			continue;
		if (owner == c)
			return 1;
		for (size_t b = 0; b < concepts[c].broader_count; b++)
			if (concepts[c].broader[b] == owner)
				return 1;
	}
	return 0;
}

/* Adds to s->m, for each composed concept, a match over every pair of its two parts' phrase
 * matches that compose_linked lets stand together ("perineum feels numb"); longest-match
 * resolution then prefers it to the parts and to shorter phrases inside it. */
static void compose_matches(struct scan *s, const struct engine_vocab *v,
                            struct engine__scratch *scratch)
{
	size_t ncomposed, n = s->nm;
	const int *composed = engine__vocab_composed(v, &ncomposed);
	const struct engine__concept *concepts = engine__vocab_concepts(v);
	const struct engine__phrase *phrases = s->phrases;

	for (size_t c = 0; c < ncomposed && n >= 2; c++) {
		const struct engine__compose *k = concepts[composed[c]].compose;

		for (size_t i = 0; i < n; i++) {
			if (!s->m[i].concept || phrases[s->m[i].phrase].owner != k->part[0])
				continue;
			for (size_t j = 0; j < n; j++) {
				size_t a = i, b = j, start, end;

				if (!s->m[j].concept || phrases[s->m[j].phrase].owner != k->part[1])
					continue;
				if (s->m[j].start < s->m[i].start) {
					a = j;
					b = i;
				}
				if (s->m[a].end > s->m[b].start ||
				    !compose_linked(s, k, s->m[a].end, s->m[b].start, s->m[b].end,
				                    a == i))
					continue;
				start = s->m[a].start;
				end = s->m[b].end;
				if (phrase_spans(s, concepts, composed[c], start, end, n))
					continue;
				s->m = engine__arena_room(scratch->arena, s->m, s->nm,
				                          &scratch->m_cap, 16, sizeof(*s->m));
				scratch->m = s->m;
				s->m[s->nm] = (struct match){k->phrase, start, end, 1, 0};
				s->nm++;
			}
		}
	}
}

/* The mentions of one chunk's matches (s->m, s->nm), appended to res. */
/* A sentence that names a side and no paired site ("Left", a bodySite of its own) gives a
 * side-only mention (ENGINE_SIDE_ONLY), which sites() applies to the resource's sites that have
 * none: "Closed fracture of tibial plateau" with bodySite "Left" is the left knee. */
static void lone_side(const struct scan *s, const struct engine_vocab *v, const char *text,
                      struct mentions *res)
{
	size_t nregions;
	const struct engine__region *regions = engine__vocab_regions(v, &nregions);
	unsigned sides = 0;
	struct engine__mention mention = {0};

	for (size_t i = 0; i < s->nm; i++) {
		const struct match *m = &s->m[i];
		const struct engine__phrase *ph = &s->phrases[m->phrase];

		if (!m->accepted)
			continue;
		if (ph->layer == ENGINE_LAYER_SITE && regions[ph->owner].paired)
			return;
		if (ph->layer == ENGINE_LAYER_SIDE && !ph->single) {
			if (sides != 0 && sides != (unsigned)ph->owner)
				return; /* two sides: not one to give */
			sides = (unsigned)ph->owner;
			mention.start = s->toks[m->start].start;
			mention.end = s->toks[m->end - 1].end;
		}
	}
	if (sides == 0)
		return;
	mention.concept = ENGINE_SIDE_ONLY;
	mention.sides = sides;
	mention.text = text;
	add_mention(res, &mention);
}

/* Is concept c, or a concept it is also (broader), in list? */
static int concept_in(const struct engine__concept *concepts, int c, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (list[i] == c)
			return 1;
		for (size_t k = 0; k < concepts[c].broader_count; k++)
			if (concepts[c].broader[k] == list[i])
				return 1;
	}
	return 0;
}

/* 1 when a word in tokens [from, to) starts a clause of time or cause ("consented after physio
 * failed", "declined since the MRI"): what follows it is not the object of the word before. */
static int connector_between(const struct scan *s, size_t from, size_t to)
{
	static const char *const connectors[] = {"after", "following", "since",  "because", "once",
	                                         "when",  "until",     "unless", "if"};

	for (size_t t = from; t < to; t++)
		if (ENGINE_WORD_LISTED(s->toks[t].norm, connectors))
			return 1;
	return 0;
}

/* What the mention at match m of a concept with an object is about (engine__object): the
 * concept it is read as. A phrase that names its own object (its concept is, or is narrower
 * than, one of `self`: "would rather not have an injection") is about that; else the first
 * concept of `self` or `other` after it within the window and before a connector
 * (connector_between) decides; when none follows, the last one before it. */
static int object_concept(const struct scan *s, const struct engine__concept *concepts,
                          const struct match *m, int concept)
{
	const struct engine__object *o = concepts[concept].object;
	const struct match *after = NULL, *before = NULL;

	if (concept_in(concepts, s->phrases[m->phrase].owner, o->self, o->self_count))
	return concept;

	for (size_t i = 0; i < s->nm; i++) {
		const struct match *x = &s->m[i];
		int c = s->phrases[x->phrase].owner;

		if (!x->accepted || s->phrases[x->phrase].layer != ENGINE_LAYER_CONCEPT ||
		    overlaps(x, m) ||
		    !(concept_in(concepts, c, o->self, o->self_count) ||
		      concept_in(concepts, c, o->other, o->other_count)))
			continue;
		if (x->start >= m->end && x->start - m->end < (size_t)o->window &&
		    (after == NULL || x->start < after->start) &&
		    !connector_between(s, m->end, x->start))
			after = x;
		if (x->end <= m->start && m->start - x->end < (size_t)o->window &&
		    (before == NULL || x->end > before->end))
			before = x;
	}
	if (after == NULL)
		after = before;
	if (after != NULL &&
	    concept_in(concepts, s->phrases[after->phrase].owner, o->other, o->other_count) &&
	    !concept_in(concepts, s->phrases[after->phrase].owner, o->self, o->self_count))
		return o->as;
	return concept;
}

/* ---- lists ------------------------------------------------------------------------------ */

/* The categories whose trigger governs a list it introduces: a negation ("Red flags: nil -",
 * "screen negative ("), a conditional or safety-netting ("attend A&E if:"), a history
 * ("PMH:"). Uncertainty and another experiencer keep their own scopes. */
static int list_category(int category)
{
	return category == ENGINE_ST_NEGATED || category == ENGINE_ST_HYPOTHETICAL ||
	       category == ENGINE_ST_HISTORICAL;
}

#define LIST_LEAD                                                                                  \
	5 /* words a forward trigger's ':' may follow it by ("if any of the following:") */

/* The token after the ':' that a forward trigger ending at token `end` leads into with only
 * words that are neither a concept, a site nor a trigger between ("if any of the following:",
 * "should any of these develop:"), or 0. */
static size_t lead_colon(const struct scan *s, size_t end)
{
	for (size_t c = end; c < s->ntok && c < end + LIST_LEAD && s->toks[c].norm != NULL; c++) {
		for (size_t i = 0; i < s->nm; i++)
			if (s->m[i].accepted && s->m[i].start <= c && c < s->m[i].end &&
			    s->phrases[s->m[i].phrase].layer != ENGINE_LAYER_SIDE)
				return 0;
		if (s->toks[c].marks & ENGINE_MARK_COLON)
			return c + 1;
	}
	return 0;
}

/* Opens the lists the triggers of this chunk introduce: a trigger followed by ':' or '(' (or,
 * one that reaches forward, by a spaced dash, "Red flags: nil - ...", or by a few plain words
 * and ':', "if any of the following:"; a dash after a backward trigger, "Infection screen
 * negative - saddle numbness", may start a new clause). A list cuts the one it starts in. */
static void open_lists(struct scan *s)
{
	for (size_t i = 0; i < s->nm; i++) {
		const struct match *t = &s->m[i];
		const struct engine__rule *r;
		unsigned last;
		int paren;
		struct list_scope l;

		if (!is_status_trigger(s, t) || !list_category(rule_of(s, t)->category) ||
		    rule_of(s, t)->dated)
			continue;
		r = rule_of(s, t);
		last = s->toks[t->end - 1].marks;
		paren = t->end < s->ntok && s->toks[t->end].norm != NULL &&
		        (s->toks[t->end].marks & ENGINE_MARK_OPEN);
		l.from = t->end;
		if (!paren && !(last & ENGINE_MARK_COLON) &&
		    !((last & ENGINE_MARK_DASH) && (r->direction & ENGINE_DIR_FORWARD)) &&
		    !((r->direction & ENGINE_DIR_FORWARD) && (l.from = lead_colon(s, t->end)) != 0))
			continue;
		l.to = engine__list_end(s->toks, s->ntok, l.from, paren);
		if (l.to <= l.from)
			continue;
		l.trigger = t->start;
		l.trig_start = s->toks[t->start].start;
		l.trig_end = s->toks[t->end - 1].end;
		l.category = r->category;
		l.rule = r;
		for (size_t k = s->live; k < s->nlists; k++) {
			struct list_scope *o = &s->lists[k];

			if (o->from <= l.trigger && l.trigger < o->to)
				o->to = l.trigger;
			if (l.from <= o->trigger && o->trigger < l.to)
				l.to = o->trigger;
		}
		s->lists = engine__arena_room(s->scratch->arena, s->lists, s->nlists,
		                              &s->scratch->lists_cap, 4, sizeof(*s->lists));
		s->scratch->lists = s->lists;
		s->lists[s->nlists++] = l;
	}
}

/* The day of the month (1-31) token k writes, as a number or an ordinal ("28", "1st",
 * "28th"), else 0. */
static int day_token(const struct scan *s, size_t k)
{
	const char *w = k < s->ntok ? s->toks[k].norm : NULL;
	size_t digits = w != NULL ? strspn(w, "0123456789") : 0;
	int day;

	if (digits == 0 || digits > 2 || (w[digits] != '\0' && !ordinal_word(w)))
		return 0;
	day = atoi(w);
	return day >= 1 && day <= 31 ? day : 0;
}

/* Is match x a bare "since" before a day and month written without a year ("since 1st
 * November", "since 28th Nov", "since 28/11")? Clinicians date the current episode so: the
 * item is current, as after "since Tuesday" (H140). A number after the month ("since 1st Nov
 * 2015", "since 28/11/15") or a year alone ("since 2015") is a dated past: no. */
static int since_day_month(const struct scan *s, const struct match *x)
{
	size_t k = x->end;
	const char *month = k + 1 < s->ntok ? s->toks[k + 1].norm : NULL;
	const char *after = k + 2 < s->ntok ? s->toks[k + 2].norm : NULL;

	if (x->end != x->start + 1 || strcmp(s->toks[x->start].norm, "since") != 0 ||
	    day_token(s, k) == 0 || month == NULL)
		return 0;
	if (engine__text_month_word(month) == 0 &&
	    !(strlen(month) <= 2 && strspn(month, "0123456789") == strlen(month) &&
	      atoi(month) >= 1 && atoi(month) <= 12))
		return 0;
	return after == NULL || strspn(after, "0123456789") == 0;
}

/* Is termination match x a recent-time qualifier ("present" in context.json)? Its own rule
 * says so, or a rule of exactly its words that longest-match resolution set aside: "today",
 * "currently" are listed once as terminations of every scope and again as present qualifiers. */
static int present_qualifier(const struct scan *s, const struct match *x)
{
	if (rule_of(s, x)->present || since_day_month(s, x))
		return 1;
	for (size_t i = 0; i < s->nm; i++) {
		const struct match *o = &s->m[i];

		if (o->start == x->start && o->end == x->end &&
		    s->phrases[o->phrase].layer == ENGINE_LAYER_CONTEXT && rule_of(s, o)->present)
			return 1;
	}
	return 0;
}

/* Is the trigger at match x, inside the history list l, its item's own qualifier rather than the
 * list's end ("PMH: AF (on apixaban), CES 2015": the apixaban is taken now, the CES is still
 * history)? It is when it sits in a parenthesis opened inside the list (any trigger or
 * termination: the parenthesis is its item's own), when it ends a history only ("on", "takes":
 * a treatment taken now, context.json), or when it is a history trigger that spares some
 * concepts ("lifelong warfarin": those concepts are current), or when it is a recent-time
 * qualifier ("present": "saddle numbness since yesterday", "x2 days": *whole is set, and
 * end_lists makes its whole item current, unless a year dates the item: "CES 2015 now
 * asymptomatic"). Gives the end of the tokens it qualifies (*only: the
 * rule whose spared concepts alone it makes current, or NULL), else 0. */
static size_t item_qualifier(const struct scan *s, const struct list_scope *l,
                             const struct match *x, const struct engine__rule **only, int *whole)
{
	const struct engine__rule *r = rule_of(s, x);
	size_t depth = 0;

	*only = NULL;
	*whole = 0;
	if (l->category != ENGINE_ST_HISTORICAL)
		return 0;
	for (size_t k = l->from; k <= x->start; k++) {
		if ((s->toks[k].marks & ENGINE_MARK_OPEN) && k > l->from)
			depth++;
		if ((s->toks[k].marks & ENGINE_MARK_CLOSE) && k < x->start && depth > 0)
			depth--;
	}
	if (depth > 0 && (r->category == ENGINE_CTX_TERMINATION || r->category < ENGINE_ST_COUNT))
		return engine__list_item_end(s->toks, s->ntok, x->start, 1);
	if (r->category == ENGINE_CTX_TERMINATION && present_qualifier(s, x)) {
		size_t end = engine__list_item_end(s->toks, s->ntok, x->start, 0);

		/* a year in the item dates it: "CES 2015 now asymptomatic" stays history, and
		 * only what follows the qualifier is current */
		*whole = 1;
		for (size_t k = engine__list_item_start(s->toks, l->from, x->start); k < end; k++)
			if (year_token(s, k))
				*whole = 0;
		return end;
	}
	if (r->category == ENGINE_CTX_TERMINATION && r->ends == (1u << ENGINE_ST_HISTORICAL))
		return engine__list_item_end(s->toks, s->ntok, x->start, 0);
	if (r->category == ENGINE_ST_HISTORICAL && r->spare_count > 0 &&
	    (r->direction & ENGINE_DIR_FORWARD)) {
		*only = r;
		return engine__list_item_end(s->toks, s->ntok, x->start, 0);
	}
	return 0;
}

/* Ends the lists that reach this chunk at the item holding a termination of their category
 * ("but", "however", "new" for a negation, "now", "today"), or, unless the list is a
 * conditional (which reaches over the triggers inside it, as in a sentence), a trigger of
 * another category: that item and the rest are read on their own. In a history list an item's
 * own qualifier (item_qualifier) ends nothing: it leaves a hole, and the items after it are
 * still history. */
static void end_lists(struct scan *s, size_t start)
{
	s->nholes = 0;
	while (s->live < s->nlists && s->lists[s->live].to <= start)
		s->live++;
	for (size_t k = s->live; k < s->nlists; k++) {
		struct list_scope *l = &s->lists[k];

		for (size_t i = 0; i < s->nm; i++) {
			const struct match *x = &s->m[i];
			const struct engine__rule *r;

			if (!x->accepted || s->phrases[x->phrase].layer != ENGINE_LAYER_CONTEXT ||
			    x->start < l->from || x->start >= l->to)
				continue;
			r = rule_of(s, x);
			if (s->nholes < MAX_HOLES) {
				const struct engine__rule *only;
				int whole;
				size_t to = item_qualifier(s, l, x, &only, &whole);

				if (to > x->start) {
					/* a recent-time qualifier dates its whole item, the
					 * finding before it too ("saddle numbness x2 days") */
					size_t from = whole ? engine__list_item_start(
					                          s->toks, l->from, x->start)
					                    : x->start;

					s->holes[s->nholes++] = (struct item_hole){from, to, only};
					continue;
				}
			}
			if ((r->category == ENGINE_CTX_TERMINATION &&
			     (r->ends & (1u << l->category))) ||
			    (r->category < ENGINE_ST_COUNT && r->category != l->category &&
			     l->category != ENGINE_ST_HYPOTHETICAL))
				l->to = engine__list_item_start(s->toks, l->from, x->start);
		}
	}
}

/* The category of the list that holds token `tok` (extending the mention's bytes [*from, *to)
 * to its trigger), or ENGINE_ST_AFFIRMED. A list does not apply to a concept its trigger spares
 * (context.json `spares`), as the trigger itself does not (status_of). */
static int list_status(const struct scan *s, int concept, size_t tok, size_t *from, size_t *to)
{
	for (size_t k = s->live; k < s->nlists; k++) {
		const struct list_scope *l = &s->lists[k];

		if (tok < l->from || tok >= l->to || in_hole(s, concept, tok, l->from) ||
		    (concept >= 0 && l->rule->spare_count > 0 &&
		     engine__rule_spares(s->v, l->rule, concept)))
			continue;
		if (l->trig_start < *from)
			*from = l->trig_start;
		if (l->trig_end > *to)
			*to = l->trig_end;
		return l->category;
	}
	return ENGINE_ST_AFFIRMED;
}

static void chunk_mentions(struct scan *s, const struct engine_vocab *v, const char *text,
                           struct mentions *res)
{
	const struct engine__concept *concepts = engine__vocab_concepts(v);

	for (size_t i = 0; i < s->nm; i++) {
		const struct match *m = &s->m[i];
		const struct engine__phrase *ph = &s->phrases[m->phrase];
		struct engine__mention mention = {0};
		int concept = ph->layer == ENGINE_LAYER_SITE ? -1 : ph->owner; /* for "spares" */

		if (!m->accepted ||
		    (ph->layer != ENGINE_LAYER_CONCEPT && ph->layer != ENGINE_LAYER_SITE))
			continue;
		mention.text = text;
		mention.start = s->toks[m->start].start;
		mention.end = s->toks[m->end - 1].end;
		mention.status =
		    status_of(s, concept, m->start, m->end, &mention.start, &mention.end);
		{
			size_t from = mention.start, to = mention.end;
			int listed = list_status(s, concept, m->start, &from, &to);

			if (listed > (int)mention.status) {
				mention.status = (enum engine__status)listed;
				mention.start = from;
				mention.end = to;
			}
		}
		/* a template question left unanswered ("Red flag questions:" then "Saddle
		 * anaesthesia?" alone on its line) asks; it does not suspect */
		if (mention.status == ENGINE_ST_UNCERTAIN && s->asked[m->start])
			mention.status = ENGINE_ST_HYPOTHETICAL;
		/* a template's label with nothing after it ("Saddle anaesthesia:" and the line
		 * ends) is an unanswered question, not a finding */
		if (mention.status == ENGINE_ST_AFFIRMED &&
		    (s->toks[m->end - 1].marks & ENGINE_MARK_COLON) &&
		    (m->end >= s->ntok || s->toks[m->end].norm == NULL))
			mention.status = ENGINE_ST_HYPOTHETICAL;
		if (ph->layer == ENGINE_LAYER_SITE) {
			size_t nregions;
			const struct engine__region *regions = engine__vocab_regions(v, &nregions);

			mention.concept = regions[ph->owner].concept;
			mention.structure = ph->structure;
			if (regions[ph->owner].paired)
				mention.sides = side_of(s, m->start, m->end);
			add_mention(res, &mention);
			continue;
		}
		mention.concept = ph->owner;
		if (concepts[ph->owner].object != NULL)
		mention.concept = object_concept(s, concepts, m, ph->owner);
		add_mention(res, &mention);
		for (size_t k = 0; k < concepts[ph->owner].broader_count; k++) {
			mention.concept = concepts[ph->owner].broader[k];
			if (concepts[mention.concept].object != NULL)
			mention.concept = object_concept(s, concepts, m, mention.concept);
			add_mention(res, &mention);
		}
	}
	lone_side(s, v, text, res);
}

void engine__annotate_into(const struct engine_vocab *v, const char *text,
                           struct engine__scratch *scratch, struct engine__mentions *out)
{
	struct scan s = {0};
	size_t ntok, i, sentence = 0, start;
	struct mentions res = {out, scratch->arena};
	const char *limited = text;

	if (text != NULL && strnlen(text, ENGINE_TEXT_MAX_BYTES + 1) > ENGINE_TEXT_MAX_BYTES)
		limited = fhir_arena_strndup(scratch->arena, text, ENGINE_TEXT_MAX_BYTES);
	ntok = tokenize(limited, scratch);
	if (ntok == 0)
		return;
	index_room(scratch, ntok);
	s.v = v;
	s.rules = engine__vocab_rules(v);
	s.toks = scratch->toks;
	s.ntok = ntok;
	s.sentence = scratch->sentence;
	s.scratch = scratch;
	s.lists = scratch->lists;
	engine__unanswered_questions(s.toks, ntok, scratch->asked);
	s.asked = scratch->asked;
	/* sentences, and chunks of at most ENGINE_TEXT_MAX_SENTENCE tokens: matches only interact
	 * within one, so the cost stays linear in the text whatever its shape */
	for (i = 0, start = 0; i < ntok; i++) {
		if (s.toks[i].norm == NULL || i - start == ENGINE_TEXT_MAX_SENTENCE) {
			sentence++;
			start = i;
		}
		s.sentence[i] = sentence;
		scratch->npats[i] = 0;
		if (s.toks[i].norm == NULL)
			continue;
		scratch->npats[i] = engine__vocab_match_token(
		    v, s.toks[i].norm, PATS(scratch->pats, i), MAX_PATTERNS_PER_TOKEN);
	}
	for (start = 0; start < ntok;) {
		size_t end = start + 1;

		while (end < ntok && s.sentence[end] == s.sentence[start])
			end++;
		s.m = scratch->m;
		s.nm = 0;
		find_matches(&s, v, scratch->pats, scratch->npats, start, end, scratch);
		compose_matches(&s, v, scratch);
		if (s.nm > 0) {
			resolve(s.phrases, s.m, s.nm);
			limb_below(&s, v);
			date_parts(&s);
			for (i = 0; i < s.nm && !s.proxy; i++)
				s.proxy = s.m[i].accepted &&
				          s.phrases[s.m[i].phrase].layer == ENGINE_LAYER_CONTEXT &&
				          rule_of(&s, &s.m[i])->category == ENGINE_CTX_PROXY;
			open_lists(&s);
			end_lists(&s, start);
			chunk_mentions(&s, v, text, &res);
		}
		start = end;
	}
}

void engine__annotate(const struct engine_vocab *v, const char *text, struct fhir_arena *arena,
                      struct engine__mention **out, size_t *count)
{
	struct engine__mentions list = {NULL, 0, 0};

	engine__annotate_into(v, text, engine__scratch_new(arena), &list);
	*out = list.items;
	*count = list.count;
}

int *engine__concept_list(const struct engine_vocab *v, const char *ids, struct fhir_arena *arena,
                          size_t *count)
{
	size_t n = 1, i = 0;
	const char *p;
	int *list;

	for (p = ids; *p != '\0'; p++)
		n += *p == '|';
	list = fhir_arena_alloc(arena, n * sizeof(*list));
	p = ids;
	while (i < n) {
		const char *bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		char *id = fhir_arena_strndup(arena, p, len);

		list[i++] = engine__vocab_concept(v, id);
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	*count = i;
	return list;
}
