/* text_spelling.c — one spelling for the variants of a word (policies/vocabulary/README.md
 * "Spelling variants"): the tokenizer applies it to every word of a text and of a phrase alike,
 * so a phrase written in UK or US spelling matches both ("anaesthesia" and "anesthesia",
 * "tumour" and "tumor"). Each rule is one a clinician's spelling varies by (Oxford English
 * Dictionary and Merriam-Webster list both forms), limited by position and length so that no
 * two different words become one ("four" is not "for", "shoe" is not "she"). */
#include <string.h>

#include "text_internal.h"

/* A suffix and its length (no strlen per word: this runs for every word of every text). */
struct tail {
	const char *s;
	size_t n;
};
#define TAIL(lit)                                                                                  \
	{                                                                                          \
		lit, sizeof(lit) - 1                                                               \
	}

/* 1 when w[0..n) ends with suffix (compared from its last byte: most words differ there, and
 * a suffix is a few bytes, not worth a memcmp call). */
static inline int ends_with(const char *w, size_t n, const struct tail *suffix)
{
	if (n < suffix->n)
		return 0;
	for (size_t k = suffix->n; k-- > 0;)
		if (w[n - suffix->n + k] != suffix->s[k])
			return 0;
	return 1;
}

/* Removes the byte at w[at], shortening *n. */
static void drop(char *w, size_t *n, size_t at)
{
	memmove(w + at, w + at + 1, *n - at);
	(*n)--;
}

/* The ligature stems whose "oe" is written "e" in US spelling (oedema, lymphoedema,
 * oesophagus, gastro-oesophageal, oestrogen, coeliac, foetal, homoeopathy); "oea"
 * (diarrhoea, dyspnoea, apnoea, gonorrhoea) is the rule below. A general "oe" -> "e" would
 * join "shoe" and "she", "does" and "des". */
static const char *const oe_stems[] = {"oedem", "oesoph", "oestr", "coel", "foet", "homoeo"};

/* 1 when some w[i], w[i + 1] is "oe". */
static int has_oe(const char *w, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (w[i] == 'o' && w[i + 1] == 'e')
			return 1;
	return 0;
}

size_t engine__spelling_fold(char *w, size_t n)
{
	size_t i, k;
	/* the word holds "ae", "oe", "ou", 'z': the rules that need none are skipped */
	int ae = 0, oe = 0, ou = 0, z = 0;

	for (i = 0; i < n; i++) {
		if (w[i] < 'a' || w[i] > 'z')
			return n; /* letters only: "l4", "ae" from A&E unchanged below */
		if (w[i] == 'e' && i > 0) {
			ae |= w[i - 1] == 'a';
			oe |= w[i - 1] == 'o';
		}
		ou |= w[i] == 'u' && i > 0 && w[i - 1] == 'o';
		z |= w[i] == 'z';
	}
	if (n == 4 && memcmp(w, "gray", 4) == 0) {
		w[2] = 'e'; /* grey */
		return n;
	}
	/* ae -> e: anaesthesia, haematoma, orthopaedic, paediatric, faecal, leukaemia, aetiology;
	 * words of 4 letters or more ("paed", "haem"), so "ae" (A&E) keeps its letters; not a
	 * Latin plural's last "ae", spelt so in US text too ("erector spinae" is not "spine") */
	if (n >= 4 && ae) {
		size_t before = n;

		for (i = 0; i + 2 < n; i++)
			if (w[i] == 'a' && w[i + 1] == 'e')
				drop(w, &n, i);
		if (n != before)
			oe = has_oe(w, n); /* "oae" is "oe" now */
	}
	/* oe -> e in the ligature stems and before "a" (each stem holds "oe") */
	for (k = 0; oe && n >= 5 && k < sizeof(oe_stems) / sizeof(oe_stems[0]); k++) {
		const char *p;

		/* repeated: US "angioedema" and UK "angiooedema" both become "angiedema" */
		while ((p = strstr(w, oe_stems[k])) != NULL)
			drop(w, &n,
			     (size_t)(p - w) + (size_t)(strstr(oe_stems[k], "oe") - oe_stems[k]));
	}
	for (i = 1; oe && n >= 5 && i + 2 < n; i++)
		if (w[i] == 'o' && w[i + 1] == 'e' && w[i + 2] == 'a')
			drop(w, &n, i);
	/* -our -> -or: tumour(s), colour(ed), behaviour, labour(ed), with 3 letters or more
	 * before it ("four", "hours", "yours", "poured" keep theirs) */
	{
		static const struct tail tails[] = {TAIL("our"), TAIL("ours"), TAIL("oured"),
		                                    TAIL("ouring")};

		for (k = 0; ou && k < sizeof(tails) / sizeof(tails[0]); k++)
			if (ends_with(w, n, &tails[k]) && n - tails[k].n >= 3) {
				drop(w, &n, n - tails[k].n + 1);
				break;
			}
	}
	/* -ize -> -ise, -yze -> -yse (the UK form is the one kept: -isation, analyse), in words of
	 * 6 letters or more ("size", "prize", "seize" keep theirs) */
	if (n >= 6 && z) {
		static const struct tail tails[] = {
		    TAIL("ize"),      TAIL("izes"), TAIL("ized"), TAIL("izing"), TAIL("ization"),
		    TAIL("izations"), TAIL("yze"),  TAIL("yzes"), TAIL("yzed"),  TAIL("yzing")};

		for (k = 0; k < sizeof(tails) / sizeof(tails[0]); k++)
			if (ends_with(w, n, &tails[k])) {
				w[n - tails[k].n + 1] = 's';
				break;
			}
	}
	/* -tre -> -ter, -ibre -> -iber: centre(s), theatre, litre, titre, fibre, calibre (not
	 * "vertebrae", read "vertebre" above) */
	if (n >= 5) {
		static const struct tail s = TAIL("s"), tre = TAIL("tre"), ibre = TAIL("ibre");
		size_t e = ends_with(w, n, &s) ? n - 1 : n;

		if (e >= 5 && (ends_with(w, e, &tre) || ends_with(w, e, &ibre))) {
			w[e - 2] = 'e';
			w[e - 1] = 'r';
		}
	}
	/* -ogue -> -og: analogue, catalogue, dialogue (7 letters or more: "vogue", "rogue") */
	{
		static const struct tail ogue = TAIL("ogue"), ogues = TAIL("ogues");

		if (n >= 7 && ends_with(w, n, &ogue))
			n -= 2;
		else if (n >= 8 && ends_with(w, n, &ogues)) {
			n -= 3;
			w[n++] = 's';
		}
	}
	w[n] = '\0';
	return n;
}
