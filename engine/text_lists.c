/* text_lists.c — the list structure of a clinical note, read from the punctuation the tokenizer
 * keeps (enum engine__mark): where a list a ConText trigger introduces ends, where one of its
 * items starts, and which lines of a template are questions left unanswered.
 * policies/vocabulary/README.md "Lists". Token arithmetic only: no vocabulary, no allocation. */
#include <string.h>

#include "text_internal.h"

/* Does a boundary token end a list? A full stop or '!', a blank line, or a line break that no
 * ';' and no bullet carries on do; a ';' or a bullet between items does not. */
static int ends_list(unsigned marks)
{
	if (marks & (ENGINE_MARK_STOP | ENGINE_MARK_PARAGRAPH))
		return 1;
	return (marks & ENGINE_MARK_LINE) &&
	       !(marks & (ENGINE_MARK_SEMICOLON | ENGINE_MARK_BULLET));
}

int engine__clause_verb(const char *w)
{
	return strcmp(w, "has") == 0 || strcmp(w, "have") == 0 || strcmp(w, "is") == 0 ||
	       strcmp(w, "are") == 0;
}

size_t engine__list_end(const struct engine__token *toks, size_t ntok, size_t from, int paren)
{
	size_t t, depth = 0, limit = from + ENGINE_TEXT_MAX_SENTENCE;

	for (t = from; t < ntok && t < limit; t++) {
		const struct engine__token *k = &toks[t];

		if (k->norm == NULL) {
			if (ends_list(k->marks))
				return t;
			continue;
		}
		if ((k->marks & ENGINE_MARK_COLON) || engine__clause_verb(k->norm))
			return engine__list_item_start(toks, from, t); /* a label, a clause */
		if ((k->marks & ENGINE_MARK_OPEN) && !(paren && t == from))
			depth++;
		if (k->marks & ENGINE_MARK_CLOSE) {
			if (depth == 0)
				return t + 1; /* the list's own ')' (or one it sits in) */
			depth--;
		}
	}
	return t;
}

/* Does a list item start at token t (t > 0)? After a boundary (';', a bullet), a ',', a ')' or a
 * dash, at a '(' or after "or", "and", "nor". */
static int item_starts(const struct engine__token *toks, size_t t)
{
	const struct engine__token *prev = &toks[t - 1];

	if (toks[t].norm == NULL || prev->norm == NULL || (toks[t].marks & ENGINE_MARK_OPEN) ||
	    (prev->marks & (ENGINE_MARK_COMMA | ENGINE_MARK_CLOSE | ENGINE_MARK_DASH)))
		return 1;
	return strcmp(prev->norm, "or") == 0 || strcmp(prev->norm, "and") == 0 ||
	       strcmp(prev->norm, "nor") == 0;
}

size_t engine__list_item_start(const struct engine__token *toks, size_t from, size_t t)
{
	while (t > from && !item_starts(toks, t))
		t--;
	return t;
}

size_t engine__list_item_end(const struct engine__token *toks, size_t ntok, size_t from, int paren)
{
	const unsigned parts = ENGINE_MARK_COMMA | ENGINE_MARK_DASH | ENGINE_MARK_SEMICOLON;
	size_t t, depth = 0, limit = from + ENGINE_TEXT_MAX_SENTENCE;

	for (t = from; t < ntok && t < limit; t++) {
		const struct engine__token *k = &toks[t];

		if (k->norm == NULL)
			return t;
		if ((k->marks & ENGINE_MARK_OPEN) && t > from)
			depth++;
		if (k->marks & ENGINE_MARK_CLOSE) {
			if (depth == 0)
				return t + 1; /* the parenthesis the item sits in */
			depth--;
		}
		if (depth == 0 && !paren && (k->marks & parts))
			return t + 1;
	}
	return t;
}

/* ---- template questions ------------------------------------------------------------------ */

/* An answer written after a template question's '?' ("Saddle anaesthesia? No"). */
static int answer_word(const char *w)
{
	static const char *const list[] = {"yes",    "y",      "no",     "n",       "nil",
	                                   "none",   "neg",    "-ve",    "+ve",     "negative",
	                                   "denies", "denied", "absent", "present", "positive"};

	return ENGINE_WORD_LISTED(w, list);
}

/* A word of a template's heading ("Red flag questions:", "CES screen:", "Red flags:"). */
static int heading_word(const char *w)
{
	static const char *const list[] = {"question",  "questions", "screen",  "screening",
	                                   "checklist", "flags",     "flag",    "rf",
	                                   "rfs",       "template",  "proforma"};

	return ENGINE_WORD_LISTED(w, list);
}

enum line_kind { LINE_OTHER, LINE_HEADING, LINE_ASKED, LINE_ANSWERED };

/* What the line of tokens [from, to) is: a question ending in '?' (LINE_ASKED: nothing after
 * it; LINE_ANSWERED: one or two words of answer after it), a template heading (a label whose
 * ':' ends the line), or anything else. A question is short (at most 8 words, no ',', ';' or
 * '.' between them: "LBP, bilateral sciatica?" is a sentence) and has its '?' after its words. */
static enum line_kind line_kind(const struct engine__token *toks, size_t from, size_t to)
{
	size_t words = 0, q = to, t;
	int heading = 0;

	for (t = from; t < to; t++) {
		if (toks[t].norm == NULL && q != to)
			continue; /* "Retention? No." */
		if (toks[t].norm == NULL || (q == to && (toks[t].marks & ENGINE_MARK_COMMA)))
			return LINE_OTHER; /* a ';', '.' or ',' inside the line: a sentence */
		if (toks[t].norm[0] == '?' && toks[t].norm[1] == '\0') {
			if (q != to)
				return LINE_OTHER; /* two queries: a sentence, not a question */
			q = t;
			continue;
		}
		if (q != to) {
			if (!answer_word(toks[t].norm) || t - q > 2)
				return LINE_OTHER;
			continue;
		}
		words++;
		heading |= heading_word(toks[t].norm);
	}
	if (q != to)
		return words == 0 || words > 8                   ? LINE_OTHER
		       : q + 1 == to || toks[q + 1].norm == NULL ? LINE_ASKED
		                                                 : LINE_ANSWERED;
	if (heading && words <= 6 && to > from && toks[to - 1].norm != NULL &&
	    (toks[to - 1].marks & ENGINE_MARK_COLON))
		return LINE_HEADING;
	return LINE_OTHER;
}

/* The end of the line that starts at token `from` (the boundary that breaks it, or ntok). */
static size_t line_end(const struct engine__token *toks, size_t ntok, size_t from)
{
	while (from < ntok && !(toks[from].norm == NULL && (toks[from].marks & ENGINE_MARK_LINE)))
		from++;
	return from;
}

void engine__unanswered_questions(const struct engine__token *toks, size_t ntok, unsigned char *out)
{
	size_t from = 0;
	int heading = 0; /* the block of question lines has a heading */

	memset(out, 0, ntok);
	/* no '?' token, no question: most texts end here without reading their lines */
	for (size_t t = 0;; t++) {
		if (t == ntok)
			return;
		if (toks[t].norm != NULL && toks[t].norm[0] == '?' && toks[t].norm[1] == '\0')
			break;
	}
	while (from < ntok) {
		size_t to = line_end(toks, ntok, from), block = from, end = from, asked = 0,
		       answered = 0;

		/* a block: consecutive question lines (no blank line between) */
		while (end < ntok) {
			size_t e = line_end(toks, ntok, end);
			enum line_kind k = line_kind(toks, end, e);

			if (k != LINE_ASKED && k != LINE_ANSWERED)
				break;
			asked += k == LINE_ASKED;
			answered += k == LINE_ANSWERED;
			end = e < ntok ? e + 1 : e;
			if (e < ntok && (toks[e].marks & ENGINE_MARK_PARAGRAPH))
				break;
		}
		if (end == block) {
			heading = line_kind(toks, from, to) == LINE_HEADING &&
			          !(to < ntok && (toks[to].marks & ENGINE_MARK_PARAGRAPH));
			from = to < ntok ? to + 1 : to;
			continue;
		}
		/* a template: a heading names it, or another of its questions is answered; then
		 * the questions with no answer ask, they do not suspect */
		if (asked > 0 && (heading || (answered > 0 && asked + answered >= 2))) {
			for (size_t t = block; t < end; t++) {
				size_t e = line_end(toks, ntok, t);

				if (line_kind(toks, t, e) == LINE_ASKED)
					memset(out + t, 1, e - t);
				t = e;
			}
		}
		heading = 0;
		from = end;
	}
}
