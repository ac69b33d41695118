/* text_dates.c — the start of a treatment period written only as month/year text
 * (Procedure.performedString "January to March 2025"), read exactly or not at all: a wrong date
 * would decide HNY 142 criterion E, an unread one leaves it unknown (policies.md: "the
 * treatment's ... dates cannot be read"). No day, season, relative or yearless text is read. */
#include <stdio.h>
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
