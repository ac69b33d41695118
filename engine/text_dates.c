/* text_dates.c — dates written in text. The start of a treatment period written only as
 * month/year text (Procedure.performedString "January to March 2025"), read exactly or not at
 * all: a wrong date would decide HNY 142 criterion E, an unread one leaves it unknown
 * (policies.md: "the treatment's ... dates cannot be read"). No day, season, relative or
 * yearless text is read. And a past date written beside a finding ("saddle numbness during
 * pregnancy in 2022") that makes the finding history (engine__text_dated_history). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_internal.h"

/* The month (1-12) a lower-case word names ("jan", "january", "sept"), else 0. */
static int month_of(const char *w, size_t n)
{
	static const char *const names[12] = {"january",   "february", "march",    "april",
	                                      "may",       "june",     "july",     "august",
	                                      "september", "october",  "november", "december"};

	if (n == 4 && strncmp(w, "sept", 4) == 0)
		return 9;
	for (int m = 0; m < 12; m++)
		if ((n == 3 || n == strlen(names[m])) && strncmp(w, names[m], n) == 0)
			return m + 1;
	return 0;
}

int engine__text_month_word(const char *w)
{
	return w != NULL ? month_of(w, strlen(w)) : 0;
}

/* Words that only join the dates of a period, or say it has not ended ("to date", "ongoing"). */
static int connector(const char *w, size_t n)
{
	static const char *const list[] = {"to",    "until",   "till",    "and",     "from",
	                                   "since", "between", "through", "thru",    "present",
	                                   "date",  "now",     "ongoing", "current", "onwards"};

	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (n == strlen(list[i]) && strncmp(w, list[i], n) == 0)
			return 1;
	return 0;
}

const char *engine__text_period_start(const char *text, char out[8])
{
	/* the text's dates in order: a year (month 0) or a month with the year written after it */
	int month[4], year[4], n = 0, pending = 0;
	char w[16];
	size_t i = 0;

	if (text == NULL)
		return NULL;
	while (text[i] != '\0') {
		size_t len = 0;
		int digits = 1;

		while (text[i] != '\0' &&
		       !((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') ||
		         (text[i] >= '0' && text[i] <= '9')))
			i++;
		if (text[i] == '\0')
			break;
		while ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') ||
		       (text[i] >= '0' && text[i] <= '9')) {
			if (len + 1 >= sizeof(w))
				return NULL;
			w[len] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
			digits &= text[i] >= '0' && text[i] <= '9';
			len++;
			i++;
		}
		w[len] = '\0';
		if (connector(w, len))
			continue;
		if (digits && len == 4 && w[0] >= '1' && w[0] <= '2') {
			int y = (w[0] - '0') * 1000 + (w[1] - '0') * 100 + (w[2] - '0') * 10 +
			        (w[3] - '0');

			if (y < 1900 || y > 2099 || n == 4)
				return NULL;
			/* the year completes the months written just before it ("January to March
			 * 2025") */
			if (pending == 0) {
				month[n] = 0;
				year[n++] = y;
			}
			for (int k = n - pending; k < n; k++)
				year[k] = y;
			pending = 0;
			continue;
		}
		if (digits && len <= 2 && text[i] == '/') { /* "03/2025" */
			int m = len == 1 ? w[0] - '0' : (w[0] - '0') * 10 + (w[1] - '0');

			if (m < 1 || m > 12 || n == 4)
				return NULL;
			month[n] = m;
			year[n++] = 0;
			pending++;
			continue;
		}
		if (!digits && month_of(w, len) != 0 && n < 4) {
			month[n] = month_of(w, len);
			year[n++] = 0;
			pending++;
			continue;
		}
		return NULL; /* any other word: not read */
	}
	/* a trailing month without its year takes the previous date's ("Jan 2025 to Mar") */
	if (pending > 0 && n > pending && year[n - pending - 1] != 0)
		for (int k = n - pending; k < n; k++)
			year[k] = year[n - pending - 1];
	if (n == 0 || n > 2)
		return NULL;
	for (int k = 0; k < n; k++)
		if (year[k] == 0)
			return NULL;
	/* a period runs forwards: "November to February 2025" does not say which November */
	if (n == 2 && (year[1] < year[0] || (year[1] == year[0] && month[0] != 0 && month[1] != 0 &&
	                                     month[1] < month[0])))
		return NULL;
	if (n == 2 && (month[0] == 0) != (month[1] == 0))
		return NULL;
	if (month[0] == 0)
		snprintf(out, 8, "%04d", year[0]);
	else
		snprintf(out, 8, "%04d-%02d", year[0], month[0]);
	return out;
}

/* ---- past dates that make a mention history ---------------------------------------------- */

/* One word of a text for the dated-history rule: bytes [start, end), lower-cased copy, and
 * whether a clause ends before it (',' ';' ':' '.' '!' '?' '(' ')' a line break, a spaced dash,
 * or a word such as "but"). */
struct dword {
	size_t start, end;
	char w[16];
	int clause;   /* a clause starts at this word */
	int sentence; /* a sentence starts at this word ('.', ';', '!', '?', a line break) */
};

#define DATED_MAX_WORDS 400 /* a longer text is read in its first words only */
#define DATED_GAP       4   /* words between a mention and the date that dates it */
#define DATED_MONTHS    12  /* a date this many months or more before now is history */

/* Words that say the finding goes on, or that the date is of something else (a diagnosis,
 * a start, a scan): the clause's date then dates no mention. */
static int dated_guard(const char *w)
{
	static const char *const list[] = {
	    "since",      "now",        "new",        "newly",        "current",   "currently",
	    "today",      "tonight",    "yesterday",  "ongoing",      "still",     "again",
	    "recent",     "recently",   "worse",      "worsening",    "worsened",  "increasing",
	    "present",    "presenting", "diagnosed",  "diagnosis",    "dx",        "started",
	    "starting",   "start",      "commenced",  "began",        "begun",     "onset",
	    "first",      "developed",  "developing", "this",         "last",      "on",
	    "seen",       "found",      "shown",      "showed",       "confirmed", "noted",
	    "identified", "mri",        "ct",         "xray",         "scan",      "imaging",
	    "uss",        "ultrasound", "until",      "till",         "to",        "from",
	    "recurrent",  "recurring",  "recurrence", "intermittent", "episodes",  "days",
	    "hours",      "weeks"};
	size_t n = strlen(w);

	if (n >= 7 && (strncmp(w, "persist", 7) == 0 || strncmp(w, "continu", 7) == 0))
		return 1;
	if (strcmp(w, "ray") == 0)
		return 1; /* "X-ray", like "xray" */
	return ENGINE_WORD_LISTED(w, list);
}

/* Words that end a clause on their own. */
static int clause_word(const char *w)
{
	return strcmp(w, "but") == 0 || strcmp(w, "however") == 0 || strcmp(w, "although") == 0 ||
	       strcmp(w, "though") == 0 || strcmp(w, "whereas") == 0;
}

/* Words allowed between "in"/"during" and the date: "in early 2019", "in the summer of 2019". */
static int date_filler(const char *w)
{
	static const char *const list[] = {"early",  "mid",    "late", "the",    "summer", "spring",
	                                   "autumn", "winter", "of",   "around", "about"};

	return ENGINE_WORD_LISTED(w, list);
}

/* Whether text holds a run of exactly four digits starting 19 or 20 (a year year_of could
 * read): without one no date can make a finding history, and the words are not split. */
static int has_year(const char *text)
{
	for (const char *p = text; *p != '\0';) {
		const char *start = p;

		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		while (isdigit((unsigned char)*p))
			p++;
		if (p - start == 4 &&
		    ((start[0] == '1' && start[1] == '9') || (start[0] == '2' && start[1] == '0')))
			return 1;
	}
	return 0;
}

int engine__text_year(const char *w)
{
	if (w == NULL || strlen(w) != 4 || strspn(w, "0123456789") != 4)
		return 0;
	int y = atoi(w);

	return y >= 1900 && y <= 2099 ? y : 0;
}

/* The number 1-99 written in words at w[i] ("five", "eighteen", "ninety eight") within one
 * clause, and *used the words it takes; 0 when there is none. */
static int number_words(const struct dword *w, size_t n, size_t i, size_t *used)
{
	static const char *const small[] = {
	    "one",     "two",     "three",     "four",     "five",    "six",      "seven",
	    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen", "fourteen",
	    "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
	static const char *const tens[] = {"twenty", "thirty",  "forty",  "fifty",
	                                   "sixty",  "seventy", "eighty", "ninety"};

	if (i >= n || w[i].clause)
		return 0;
	for (size_t k = 0; k < sizeof(small) / sizeof(small[0]); k++)
		if (strcmp(w[i].w, small[k]) == 0) {
			*used = 1;
			return (int)k + 1;
		}
	for (size_t k = 0; k < sizeof(tens) / sizeof(tens[0]); k++)
		if (strcmp(w[i].w, tens[k]) == 0) {
			*used = 1;
			for (size_t u = 0; u < 9 && i + 1 < n && !w[i + 1].clause; u++)
				if (strcmp(w[i + 1].w, small[u]) == 0) {
					*used = 2;
					return (int)(k + 2) * 10 + (int)u + 1;
				}
			return (int)(k + 2) * 10;
		}
	return 0;
}

/* A year dictated in words and typed out by speech recognition at w[i] ("two thousand and
 * eighteen", "twenty nineteen", "nineteen ninety eight"; audit H134), and *used the words it
 * takes; 0 when there is none. "twenty"/"nineteen" need a second part of 10 or more, so "in
 * twenty four hours" is no year. */
static int year_words(const struct dword *w, size_t n, size_t i, size_t *used)
{
	size_t k, u = 0;
	int v;

	if (i + 1 < n && strcmp(w[i].w, "two") == 0 && strcmp(w[i + 1].w, "thousand") == 0 &&
	    !w[i + 1].clause) {
		k = i + 2;
		if (k < n && strcmp(w[k].w, "and") == 0 && !w[k].clause)
			k++;
		if ((v = number_words(w, n, k, &u)) != 0) {
			*used = k + u - i;
			return 2000 + v;
		}
		*used = 2;
		return 2000;
	}
	if (strcmp(w[i].w, "twenty") != 0 && strcmp(w[i].w, "nineteen") != 0)
		return 0;
	if ((v = number_words(w, n, i + 1, &u)) < 10)
		return 0;
	*used = 1 + u;
	return (w[i].w[0] == 't' ? 2000 : 1900) + v;
}

/* Whether text may hold a year in words (year_words): "thousand", "twenty" or "nineteen" in
 * any case. */
static int has_year_words(const char *text)
{
	static const char *const heads[] = {"thousand", "twenty", "nineteen"};

	for (const char *p = text; *p != '\0'; p++)
		for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]); k++) {
			size_t j = 0;

			while (heads[k][j] != '\0' && tolower((unsigned char)p[j]) == heads[k][j])
				j++;
			if (heads[k][j] == '\0')
				return 1;
		}
	return 0;
}

/* Splits text into words (letters and digits; '.' between digits is kept), at most max. */
static size_t dated_words(const char *text, struct dword *out, size_t max)
{
	size_t i = 0, n = 0;
	int brk = 1, stop = 1;

	while (text[i] != '\0' && n < max) {
		unsigned char c = (unsigned char)text[i];

		if (isalnum(c) || c >= 0x80) {
			size_t start = i, len = 0;

			while (
			    text[i] != '\0' &&
			    (isalnum((unsigned char)text[i]) || (unsigned char)text[i] >= 0x80 ||
			     (text[i] == '.' && i > start && isdigit((unsigned char)text[i - 1]) &&
			      isdigit((unsigned char)text[i + 1])))) {
				if (len + 1 < sizeof(out[n].w))
					out[n].w[len++] = (char)tolower((unsigned char)text[i]);
				i++;
			}
			out[n].w[len] = '\0';
			/* punctuation dictated as words, as the tokenizer reads it (text_scan.c
			 * dictated_punct): "comma" ends a clause, "full stop" and "new paragraph" a
			 * sentence, and none of them is a word */
			if (strcmp(out[n].w, "comma") == 0) {
				brk = 1;
				continue;
			}
			if (n > 0 && !brk && !stop &&
			    ((strcmp(out[n].w, "stop") == 0 && strcmp(out[n - 1].w, "full") == 0) ||
			     (strcmp(out[n].w, "paragraph") == 0 &&
			      strcmp(out[n - 1].w, "new") == 0))) {
				n--;
				brk = stop = 1;
				continue;
			}
			out[n].start = start;
			out[n].end = i;
			out[n].clause = brk || stop || clause_word(out[n].w);
			out[n].sentence = stop;
			brk = stop = 0;
			n++;
			continue;
		}
		if (strchr(",;:.!?()[]\n\r", c) != NULL)
			brk = 1;
		if (strchr(";.!?\n\r", c) != NULL)
			stop = 1;
		/* a dash between spaces ("saddle numbness - MRI in 2019 normal"), or an en/em dash
		 */
		if ((c == '-' && i > 0 && text[i - 1] == ' ' && text[i + 1] == ' ') ||
		    (c == 0xE2 && (unsigned char)text[i + 1] == 0x80 &&
		     ((unsigned char)text[i + 2] == 0x93 || (unsigned char)text[i + 2] == 0x94))) {
			brk = 1;
			i += c == '-' ? 1 : 3;
			continue;
		}
		i++;
	}
	return n;
}

/* Whether word i is one or two digits joined by a '/' to the word after it ("03/2021",
 * "01/25"): the month of a month/year date. */
static int slash_digits(const char *text, const struct dword *w, size_t n, size_t i)
{
	size_t len = strlen(w[i].w);

	return i + 1 < n && len >= 1 && len <= 2 && strspn(w[i].w, "0123456789") == len &&
	       text[w[i].end] == '/' && w[i + 1].start == w[i].end + 1;
}

/* The date that words [i, ...) start ("in 2019", "during March 2021", "in 03/2021", "in the
 * summer of 2019"): its last month as year * 12 + month - 1, and *next the word after it; -1
 * when there is none. */
static long dated_at(const char *text, const struct dword *w, size_t n, size_t i, size_t *next)
{
	int month = 12, y;

	if (strcmp(w[i].w, "in") != 0 && strcmp(w[i].w, "during") != 0)
		return -1;
	for (i++; i < n && !w[i].clause && date_filler(w[i].w); i++)
		;
	if (i < n && !w[i].clause && month_of(w[i].w, strlen(w[i].w)) != 0 &&
	    strspn(w[i].w, "0123456789") == 0) {
		month = month_of(w[i].w, strlen(w[i].w));
		i++;
	} else if (slash_digits(text, w, n, i)) {
		month = atoi(w[i].w); /* "03/2021" */
		if (month < 1 || month > 12)
			return -1;
		i++;
	}
	if (i >= n || w[i].clause)
		return -1;
	if ((y = engine__text_year(w[i].w)) != 0) {
		*next = i + 1;
	} else {
		size_t used = 0;

		if ((y = year_words(w, n, i, &used)) == 0)
			return -1;
		*next = i + used;
	}
	return (long)y * 12 + month - 1;
}

void engine__text_dated_history(const char *text, struct engine__mention *mentions, size_t count,
                                const struct engine__concept *concepts, int now_year, int now_month)
{
	struct dword w[DATED_MAX_WORDS];
	size_t n, i;
	long now = (long)now_year * 12 + now_month - 1;

	if (text == NULL || count == 0 || now_year <= 0 ||
	    (!has_year(text) && !has_year_words(text)))
		return;
	n = dated_words(text, w, DATED_MAX_WORDS);
	for (i = 0; i < n; i++) {
		size_t next = 0, cs = i, ce, ss = i, se, k;
		long date = dated_at(text, w, n, i, &next);
		int guarded = 0;

		if (date < 0 || now - date < DATED_MONTHS)
			continue;
		while (cs > 0 && !w[cs].clause)
			cs--;
		for (ce = i + 1; ce < n && !w[ce].clause; ce++)
			;
		/* a word that says it goes on anywhere in the sentence: "Warfarin in 2019 for PE,
		 * continues long term" */
		while (ss > 0 && !w[ss].sentence)
			ss--;
		for (se = i + 1; se < n && !w[se].sentence; se++)
			;
		for (k = ss; k < se; k++)
			guarded |= dated_guard(w[k].w);
		if (guarded)
			continue;
		/* the affirmed concept mentions of this clause within DATED_GAP words of the date
		 */
		for (size_t m = 0; m < count; m++) {
			struct engine__mention *x = &mentions[m];
			size_t first = ce, last = cs;

			if (x->status != ENGINE_ST_AFFIRMED || x->concept < 0 ||
			    concepts[x->concept].region >= 0 || x->start < w[cs].start ||
			    x->end > w[ce - 1].end)
				continue;
			for (k = cs; k < ce; k++) {
				if (w[k].end > x->start && w[k].start < x->end) {
					if (first == ce)
						first = k;
					last = k;
				}
			}
			if (first == ce)
				continue;
			if ((first >= next && first - next <= DATED_GAP) ||
			    (last < i && i - last - 1 <= DATED_GAP))
				x->status = ENGINE_ST_HISTORICAL;
		}
		i = next - 1;
	}
}

/* ---- date spans read as durations (engine__text_spans) ------------------------------------ */

/* A date as text writes it, as the earliest and latest month it can mean (year * 12 + month -
 * 1): "March 2025" one month, "2023" its twelve, a yearless month `year_free`. */
struct span_date {
	long early, late;
	int month;     /* 1-12 when a month is named, else 0 */
	int year_free; /* a month without its year: the caller places it */
	size_t next;   /* the word after it */
};

/* Words between "since" and its date: "since the start of March 2025", "since early 2023". */
static int span_filler(const char *w)
{
	static const char *const list[] = {"the",   "early",     "mid", "late",   "end",
	                                   "start", "beginning", "of",  "around", "about"};

	return ENGINE_WORD_LISTED(w, list);
}

/* Words that say the treatment of the clause is not being given: a wait, a referral or a plan
 * ("waiting for physio since March" is no physio since March). */
static int span_guard(const char *w)
{
	static const char *const list[] = {
	    "waiting", "awaiting", "wait", "waitlist", "referred", "referral", "booked", "planned",
	    "plan",    "due",      "list", "pending",  "starting", "start",    "will"};

	return ENGINE_WORD_LISTED(w, list);
}

/* A two-digit year after '/' ("01/25"): 2000 + yy when within ten years before now, else 0. */
static int short_year(const char *w, int now_year)
{
	int y;

	if (strlen(w) != 2 || strspn(w, "0123456789") != 2)
		return 0;
	y = 2000 + atoi(w);
	return y <= now_year && y >= now_year - 10 ? y : 0;
}

/* The date at word i: a month word with or without a year after it, "MM/YYYY" or "MM/YY", a
 * year, and (`feast`: after "since") "Christmas", "Xmas" or "new year". 0 when none. */
static int span_date_at(const char *text, const struct dword *w, size_t n, size_t i, int feast,
                        int now_year, int now_month, struct span_date *d)
{
	int m, y;

	memset(d, 0, sizeof(*d));
	if (i >= n)
		return 0;
	if (feast && (strcmp(w[i].w, "christmas") == 0 || strcmp(w[i].w, "xmas") == 0)) {
		if (now_month == 12)
			return 0; /* this Christmas or last: the day is not known */
		d->early = d->late = (long)(now_year - 1) * 12 + 11;
		d->next = i + 1;
		return 1;
	}
	if (feast && strcmp(w[i].w, "new") == 0 && i + 1 < n && !w[i + 1].clause &&
	    strcmp(w[i + 1].w, "year") == 0) {
		d->early = d->late = (long)now_year * 12;
		d->next = i + 2;
		return 1;
	}
	if ((y = engine__text_year(w[i].w)) != 0) {
		d->early = (long)y * 12;
		d->late = (long)y * 12 + 11;
		d->next = i + 1;
		return 1;
	}
	if (slash_digits(text, w, n, i)) {
		m = atoi(w[i].w);
		y = engine__text_year(w[i + 1].w);
		if (y == 0)
			y = short_year(w[i + 1].w, now_year);
		if (m < 1 || m > 12 || y == 0)
			return 0;
		d->early = d->late = (long)y * 12 + m - 1;
		d->month = m;
		d->next = i + 2;
		return 1;
	}
	if (strspn(w[i].w, "0123456789") != 0 || (m = month_of(w[i].w, strlen(w[i].w))) == 0)
		return 0;
	d->month = m;
	d->next = i + 1;
	if (i + 1 < n && !w[i + 1].clause && (y = engine__text_year(w[i + 1].w)) != 0) {
		d->early = d->late = (long)y * 12 + m - 1;
		d->next = i + 2;
		return 1;
	}
	d->year_free = 1;
	return 1;
}

/* Whether only one dash (spaced or not, or an en dash) joins word k-1 to word k: "Jan-Apr",
 * "Nov 2024 - Feb 2025". */
static int span_joined(const char *text, const struct dword *w, size_t k)
{
	const char *p = text + w[k - 1].end, *end = text + w[k].start;
	int dash = 0;

	for (; p < end; p++) {
		if (*p == '-')
			dash++;
		else if ((unsigned char)*p == 0xE2 && p + 2 < end && (unsigned char)p[1] == 0x80 &&
		         ((unsigned char)p[2] == 0x93 || (unsigned char)p[2] == 0x94)) {
			dash++;
			p += 2;
		} else if (*p != ' ')
			return 0;
	}
	return dash == 1;
}

/* The span that starts at word i: "since" a date (to now, *since 1), or a range of two dates
 * ("from", "between" or nothing before it). Fills *s (start) and *e (end) and *last (its last
 * word); 0 when none is read exactly. */
static int span_at(const char *text, const struct dword *w, size_t n, size_t i, long now,
                   int now_year, int now_month, struct span_date *s, struct span_date *e,
                   int *since, size_t *last)
{
	size_t j = i, k;
	int between = 0;

	*since = 0;
	if (strcmp(w[i].w, "since") == 0) {
		for (j = i + 1; j < n && !w[j].clause && span_filler(w[j].w); j++)
			;
		if (j >= n || w[j].clause ||
		    !span_date_at(text, w, n, j, 1, now_year, now_month, s))
			return 0;
		if (s->year_free) { /* the latest such month not after now */
			long y = s->month <= now_month ? now_year : now_year - 1;

			s->early = s->late = y * 12 + s->month - 1;
		}
		*since = 1;
		e->early = e->late = now;
		*last = s->next - 1;
		return 1;
	}
	if (strcmp(w[i].w, "from") == 0 || strcmp(w[i].w, "between") == 0) {
		between = strcmp(w[i].w, "between") == 0;
		j = i + 1;
		if (j >= n || w[j].clause)
			return 0;
	}
	if (!span_date_at(text, w, n, j, 0, now_year, now_month, s) || s->next >= n)
		return 0;
	k = s->next;
	if (!w[k].clause &&
	    (strcmp(w[k].w, "to") == 0 || strcmp(w[k].w, "until") == 0 ||
	     strcmp(w[k].w, "till") == 0 || strcmp(w[k].w, "through") == 0 ||
	     strcmp(w[k].w, "thru") == 0 || (between && strcmp(w[k].w, "and") == 0)))
		k++;
	else if (!span_joined(text, w, k))
		return 0;
	if (k >= n || !span_date_at(text, w, n, k, 0, now_year, now_month, e))
		return 0;
	/* both month-named or both years: "March to 2025" is not read */
	if ((s->month == 0) != (e->month == 0))
		return 0;
	if (e->year_free && s->year_free) {
		long y = e->month <= now_month ? now_year : now_year - 1;

		e->early = e->late = y * 12 + e->month - 1;
	} else if (e->year_free) {
		long y = s->early / 12 + (e->month < s->month ? 1 : 0);

		e->early = e->late = y * 12 + e->month - 1;
	}
	if (s->year_free) {
		long y = e->early / 12 - (s->month > e->month ? 1 : 0);

		s->early = s->late = y * 12 + s->month - 1;
	}
	if (e->late < s->early)
		return 0;
	*last = e->next - 1;
	return 1;
}

size_t engine__text_spans(const char *text, const struct engine__mention *mentions, size_t count,
                          const struct engine__concept *concepts, const int *spans, size_t nspans,
                          int now_year, int now_month, struct engine__mention *out, size_t max)
{
	struct dword w[DATED_MAX_WORDS];
	long now = (long)now_year * 12 + now_month - 1;
	size_t n, i, written = 0, m;
	int any = 0;

	if (text == NULL || count == 0 || nspans == 0 || now_year <= 0 || max == 0)
		return 0;
	/* a mention some span could date, or nothing to read */
	for (m = 0; m < count && !any; m++)
		for (size_t c = 0; c < nspans && !any; c++)
			for (size_t k = 0; k < concepts[spans[c]].span->of_count; k++)
	any |= mentions[m].concept == concepts[spans[c]].span->of[k];
	if (!any)
		return 0;
	n = dated_words(text, w, DATED_MAX_WORDS);
	for (i = 0; i < n && written < max; i++) {
		struct span_date s, e;
		size_t last = 0, cs = i, ce, k;
		long lo, hi;
		int since, guarded = 0;

		if (!span_at(text, w, n, i, now, now_year, now_month, &s, &e, &since, &last))
			continue;
		if (s.early > now || e.early > now) { /* a start, or the end of a range, to come */
			i = last;
			continue;
		}
		if (e.late > now)
			e.late = now;
		/* the fewest and most months it can be: "since March" from its last day to today's
		 * first; a range's months whole at one end ("Jan-Apr 2025": three months at least,
		 * as notes mean a course that ran from January into April) */
		lo = since ? now - s.late - 1 : e.early - s.late;
		hi = e.late - s.early + 1;
		if (since && s.year_free) /* "since August" may be last year's: no upper bound */
			hi = 1200;
		while (cs > 0 && !w[cs].clause)
			cs--;
		for (ce = last + 1; ce < n && !w[ce].clause; ce++)
			;
		for (k = cs; k < ce; k++) /* the span's own words ("since the start of") aside */
			guarded |= (k < i || k > last) && span_guard(w[k].w);
		for (size_t c = 0; c < nspans && !guarded && written < max; c++) {
			const struct engine__span *sp = concepts[spans[c]].span;
			int bound = 0;

			if ((sp->at_least > 0 && lo < sp->at_least) ||
			    (sp->under > 0 && hi >= sp->under))
				continue;
			for (m = 0; m < count && !bound; m++) {
				const struct engine__mention *x = &mentions[m];

				if ((x->status != ENGINE_ST_AFFIRMED &&
				     x->status != ENGINE_ST_HISTORICAL) ||
				    x->start < w[cs].start || x->end > w[ce - 1].end ||
				    (x->end > w[i].start && x->start < w[last].end))
					continue;
				for (k = 0; k < sp->of_count && !bound; k++)
				bound = x->concept == sp->of[k];
			}
			if (!bound)
				continue;
			memset(&out[written], 0, sizeof(out[written]));
			out[written].concept = spans[c];
			out[written].status = ENGINE_ST_AFFIRMED;
			out[written].text = mentions[0].text;
			out[written].start = w[i].start;
			out[written].end = w[last].end;
			written++;
		}
		i = last;
	}
	return written;
}
