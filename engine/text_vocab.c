/* text_vocab.c — loads and compiles the clinical vocabulary (the files below policies/vocabulary/:
 * ConText/NegEx rules, concepts, the body-site lexicon and laterality words) into one phrase
 * index shared by every policy: each phrase is tokenized once, its tokens interned as pattern
 * ids (exact words by hash, `word*` prefixes by first byte), phrases indexed by their first
 * pattern. Reports every error with file and JSON pointer. Immutable after compile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_internal.h"

struct pattern {
	char *text; /* the word, or the prefix without '*' */
	size_t length;
	int prefix;
	int numeric; /* a prefix of digits ("2*"): matches numbers only ("2.45", not "2ww") */
	int range;   /* a numeric token "{n:LO-HI}": matches a number from lo to hi */
	int fall;    /* "{fall:LO-HI}": a number lo to hi per cent below the phrase's "{n:...}"
	                before it (checked on the whole phrase: engine__vocab_phrase_holds) */
	double lo, hi;
};

struct engine_vocab {
	struct pattern *patterns;
	size_t pattern_count, pattern_cap;
	unsigned *exact; /* open addressing: pattern id + 1, 0 empty; exact words only */
	size_t exact_cap;
	unsigned *prefix_by_byte[256]; /* prefix pattern ids starting with that byte, NEW */
	size_t prefix_count_by_byte[256];
	unsigned *ranges; /* the "{n:LO-HI}" pattern ids, NEW */
	size_t range_count;

	struct engine__phrase *phrases;
	size_t phrase_count, phrase_cap;
	size_t **by_first; /* pattern id -> phrase indexes, NEW; *_count alongside */
	size_t *by_first_count;
	/* pattern id -> 1 when a one-token side phrase is among by_first's (a side word: "left"),
	 * NEW; engine__vocab_side_token reads it for each word inside a phrase being matched */
	unsigned char *side_word;

	struct engine__concept *concepts;
	size_t concept_count, concept_cap;
	unsigned *concept_index;  /* open addressing by id: concept index + 1, 0 empty */
	size_t concept_index_cap; /* a power of 2, at least twice concept_count */
	char ***broader_ids;      /* per concept, NULL-terminated ids to resolve at compile */
	size_t broader_ids_cap;
	cJSON **object_json; /* per concept, its "object" (a copy) to resolve at compile, NEW */
	size_t object_json_cap;
	cJSON *
	    *compose_json; /* per concept, its "composedOf" (a copy) to resolve at compile, NEW */
	size_t compose_json_cap;
	int *composed; /* the concepts with a composedOf, NEW */
	size_t composed_count;
	cJSON **span_json; /* per concept, its "span" (a copy) to resolve at compile, NEW */
	size_t span_json_cap;
	int *spans; /* the concepts with a span, NEW */
	size_t span_count;
	struct engine__region *regions;
	size_t region_count, region_cap;
	struct engine__rule *rules;
	size_t rule_count, rule_cap;
	struct code_display *codes; /* codes.json and the regions' SNOMED CT ids, NEW */
	size_t code_count, code_cap;
	struct fhir_arena *scratch; /* tokenizing phrases at load */
};

/* A code read as its sourced display when a record carries it without one. Owned strings. */
struct code_display {
	char *system, *code, *display;
};

const char *const engine__status_names[ENGINE_ST_COUNT] = {"affirmed", "historical",   "uncertain",
                                                           "other",    "hypothetical", "negated"};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	*cap = *cap == 0 ? 16 : *cap * 2;
	if (*cap < need)
		*cap = need;
	p = realloc(p, *cap * size);
	if (p == NULL)
		abort();
	return p;
}

struct engine_vocab *engine__vocab_new(void)
{
	struct engine_vocab *v = calloc(1, sizeof(*v));

	if (v == NULL)
		abort();
	v->scratch = fhir_arena_new();
	return v;
}

/* Frees a NULL-terminated owned array of owned strings (NULL too). */
static void free_ids(char **ids)
{
	for (size_t k = 0; ids != NULL && ids[k] != NULL; k++)
		free(ids[k]);
	free(ids);
}

void engine__vocab_free(struct engine_vocab *v)
{
	size_t i, j;

	if (v == NULL)
		return;
	for (i = 0; i < v->pattern_count; i++)
		free(v->patterns[i].text);
	free(v->patterns);
	free(v->exact);
	for (i = 0; i < 256; i++)
		free(v->prefix_by_byte[i]);
	free(v->ranges);
	for (i = 0; i < v->phrase_count; i++)
		free(v->phrases[i].pattern);
	free(v->phrases);
	for (i = 0; i < v->pattern_count && v->by_first != NULL; i++)
		free(v->by_first[i]);
	free(v->by_first);
	free(v->by_first_count);
	free(v->side_word);
	for (i = 0; i < v->concept_count; i++) {
		free(v->concepts[i].id);
		free(v->concepts[i].label);
		free(v->concepts[i].broader);
		if (v->concepts[i].object != NULL) {
			free(v->concepts[i].object->other);
			free(v->concepts[i].object->self);
			free(v->concepts[i].object);
		}
		if (v->concepts[i].compose != NULL) {
			for (j = 0; j < v->concepts[i].compose->link_count; j++)
				free(v->concepts[i].compose->links[j]);
			free(v->concepts[i].compose->links);
			free(v->concepts[i].compose);
		}
		if (v->concepts[i].span != NULL) {
			free(v->concepts[i].span->of);
			free(v->concepts[i].span);
		}
		if (v->span_json != NULL)
			cJSON_Delete(v->span_json[i]);
		if (v->object_json != NULL)
			cJSON_Delete(v->object_json[i]);
		if (v->compose_json != NULL)
			cJSON_Delete(v->compose_json[i]);
		if (v->broader_ids != NULL && v->broader_ids[i] != NULL) {
			for (j = 0; v->broader_ids[i][j] != NULL; j++)
				free(v->broader_ids[i][j]);
			free(v->broader_ids[i]);
		}
	}
	free(v->broader_ids);
	free(v->object_json);
	free(v->compose_json);
	free(v->span_json);
	free(v->spans);
	free(v->composed);
	for (i = 0; i < v->code_count; i++) {
		free(v->codes[i].system);
		free(v->codes[i].code);
		free(v->codes[i].display);
	}
	free(v->codes);
	free(v->concepts);
	free(v->concept_index);
	for (i = 0; i < v->region_count; i++) {
		free(v->regions[i].id);
		free(v->regions[i].label);
		free(v->regions[i].plural);
		for (size_t k = 0; k < 2; k++)
			free(v->regions[i].side_id[k]);
		for (size_t k = 0; k < 3; k++)
			free(v->regions[i].side_label[k]);
	}
	free(v->regions);
	for (i = 0; i < v->rule_count; i++) {
		free_ids(v->rules[i].spare_ids);
		free(v->rules[i].spares);
	}
	free(v->rules);
	fhir_arena_free(v->scratch);
	free(v);
}

/* ---- patterns ---------------------------------------------------------------------------- */

static unsigned *exact_slot(struct engine_vocab *v, const char *s, size_t n)
{
	size_t i = (size_t)fhir_hash_bytes(s, n) & (v->exact_cap - 1);

	for (;;) {
		unsigned id = v->exact[i];

		if (id == 0)
			return &v->exact[i];
		if (v->patterns[id - 1].length == n && memcmp(v->patterns[id - 1].text, s, n) == 0)
			return &v->exact[i];
		i = (i + 1) & (v->exact_cap - 1);
	}
}

static void exact_rehash(struct engine_vocab *v)
{
	size_t cap = v->exact_cap == 0 ? 256 : v->exact_cap * 2;

	free(v->exact);
	v->exact = calloc(cap, sizeof(*v->exact));
	if (v->exact == NULL)
		abort();
	v->exact_cap = cap;
	for (size_t i = 0; i < v->pattern_count; i++)
		if (!v->patterns[i].prefix && !v->patterns[i].range)
			*exact_slot(v, v->patterns[i].text, v->patterns[i].length) =
			    (unsigned)i + 1;
}

/* The pattern id of a phrase token ("inject*" is a prefix pattern), interning it. */
static unsigned intern(struct engine_vocab *v, const char *word, int prefix)
{
	size_t n = strlen(word), i;
	struct pattern *p;

	if (!prefix) {
		unsigned *slot;

		if ((v->pattern_count + 1) * 2 > v->exact_cap)
			exact_rehash(v);
		slot = exact_slot(v, word, n);
		if (*slot != 0)
			return *slot - 1;
		*slot = (unsigned)v->pattern_count + 1;
	} else {
		unsigned char b = (unsigned char)word[0];

		for (i = 0; i < v->prefix_count_by_byte[b]; i++) {
			struct pattern *q = &v->patterns[v->prefix_by_byte[b][i]];

			if (q->length == n && memcmp(q->text, word, n) == 0)
				return v->prefix_by_byte[b][i];
		}
		v->prefix_by_byte[b] = realloc(v->prefix_by_byte[b],
		                               (v->prefix_count_by_byte[b] + 1) * sizeof(unsigned));
		if (v->prefix_by_byte[b] == NULL)
			abort();
		v->prefix_by_byte[b][v->prefix_count_by_byte[b]++] = (unsigned)v->pattern_count;
	}
	v->patterns =
	    grow(v->patterns, &v->pattern_cap, v->pattern_count + 1, sizeof(*v->patterns));
	p = &v->patterns[v->pattern_count];
	p->text = engine__strdup(word);
	p->length = n;
	p->prefix = prefix;
	p->numeric = prefix && n > 0 && strspn(word, "0123456789") == n;
	p->range = 0;
	p->fall = 0;
	return (unsigned)v->pattern_count++;
}

/* The pattern id of a numeric token "{n:LO-HI}" or "{fall:LO-HI}", interning it (one id per
 * range). */
static unsigned intern_range(struct engine_vocab *v, double lo, double hi, int fall)
{
	struct pattern *p;

	for (size_t i = 0; i < v->range_count; i++)
		if (v->patterns[v->ranges[i]].lo == lo && v->patterns[v->ranges[i]].hi == hi &&
		    v->patterns[v->ranges[i]].fall == fall)
			return v->ranges[i];
	v->ranges = realloc(v->ranges, (v->range_count + 1) * sizeof(*v->ranges));
	if (v->ranges == NULL)
		abort();
	v->ranges[v->range_count++] = (unsigned)v->pattern_count;
	v->patterns =
	    grow(v->patterns, &v->pattern_cap, v->pattern_count + 1, sizeof(*v->patterns));
	p = &v->patterns[v->pattern_count];
	p->text = engine__strdup("{n}");
	p->length = 0;
	p->prefix = 0;
	p->numeric = 0;
	p->range = 1;
	p->fall = fall;
	p->lo = lo;
	p->hi = hi;
	return (unsigned)v->pattern_count++;
}

/* A token's value when it is a number as the tokenizer keeps one (digits, at most one '.'
 * between digits: "12", "7.5"): 0 and *value, else -1. */
static int number_value(const char *norm, double *value)
{
	size_t digits = strspn(norm, "0123456789");

	if (digits == 0 || digits > 9)
		return -1;
	if (norm[digits] == '.') {
		size_t frac = strspn(norm + digits + 1, "0123456789");

		if (frac == 0 || frac > 6 || norm[digits + 1 + frac] != '\0')
			return -1;
	} else if (norm[digits] != '\0') {
		return -1;
	}
	*value = strtod(norm, NULL);
	return 0;
}

/* The pattern ids one text token matches (its exact word and every prefix it starts with; a
 * prefix of digits only when the token is a number: "ca 2*" is calcium 2.45, not "ca 2ww"):
 * fills out (at most max) and returns how many. */
size_t engine__vocab_match_token(const struct engine_vocab *v, const char *norm, unsigned *out,
                                 size_t max)
{
	size_t n = strlen(norm), count = 0, i;
	unsigned char b = (unsigned char)norm[0];
	double value;

	if (n == 0)
		return 0;
	if (v->exact_cap > 0) {
		size_t k = (size_t)fhir_hash_bytes(norm, n) & (v->exact_cap - 1);

		for (;;) {
			unsigned id = v->exact[k];

			if (id == 0)
				break;
			if (v->patterns[id - 1].length == n &&
			    memcmp(v->patterns[id - 1].text, norm, n) == 0) {
				out[count++] = id - 1;
				break;
			}
			k = (k + 1) & (v->exact_cap - 1);
		}
	}
	for (i = 0; i < v->prefix_count_by_byte[b] && count < max; i++) {
		const struct pattern *p = &v->patterns[v->prefix_by_byte[b][i]];

		if (p->length <= n && memcmp(p->text, norm, p->length) == 0 &&
		    (!p->numeric || strspn(norm + p->length, "0123456789.") == n - p->length))
			out[count++] = v->prefix_by_byte[b][i];
	}
	if (v->range_count > 0 && b >= '0' && b <= '9' && number_value(norm, &value) == 0)
		for (i = 0; i < v->range_count && count < max; i++)
			if (v->patterns[v->ranges[i]].fall || /* any number: the phrase decides */
			    (value >= v->patterns[v->ranges[i]].lo &&
			     value <= v->patterns[v->ranges[i]].hi))
				out[count++] = v->ranges[i];
	return count;
}

/* The bytes that stand for numeric token k of a phrase while it is tokenized: U+E000 (a private
 * use character: a word byte to the tokenizer) and one letter, 'a' + k. */
#define RANGE_MARK     "\xee\x80\x80"
#define RANGE_MARK_LEN 3
#define MAX_RANGES     8 /* numeric tokens in one phrase */

/* A number of a numeric token ("12", "7.5": digits, an optional decimal part; no sign or
 * exponent): its end, or NULL. */
static const char *range_number(const char *s, double *value)
{
	char buf[24];
	size_t digits = strspn(s, "0123456789"), n = digits;

	if (digits == 0 || digits > 9)
		return NULL;
	if (s[digits] == '.') {
		size_t frac = strspn(s + digits + 1, "0123456789");

		if (frac == 0 || frac > 6)
			return NULL;
		n += 1 + frac;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	*value = strtod(buf, NULL);
	return s + n;
}

/* Parses "{n:LO-HI}" or "{fall:LO-HI}" (*fall 1) at s ('{'): LO <= HI, numbers as text writes
 * them. Returns the byte after '}', or NULL when malformed. */
static const char *parse_range(const char *s, double *lo, double *hi, int *fall)
{
	*fall = strncmp(s, "{fall:", 6) == 0;
	if (strncmp(s, "{n:", 3) != 0 && !*fall)
		return NULL;
	s = range_number(s + (*fall ? 6 : 3), lo);
	if (s == NULL || *s != '-')
		return NULL;
	s = range_number(s + 1, hi);
	if (s == NULL || *s != '}' || *lo > *hi)
		return NULL;
	return s + 1;
}

/* Adds a phrase: tokenized like text; a trailing '*' on a token makes it a prefix; "{n:LO-HI}"
 * is a numeric token (policies/vocabulary/README.md). Returns 0, -1 when the phrase has no
 * token, -2 when a numeric token is malformed. */
static int add_phrase(struct engine_vocab *v, const char *text, enum engine__layer layer, int owner)
{
	struct engine__token *toks;
	size_t count, i, n = 0, nranges = 0, len = strlen(text);
	struct engine__phrase *ph;
	unsigned *pattern;
	double lo[MAX_RANGES], hi[MAX_RANGES];
	int fall[MAX_RANGES], relative = 0;
	char *buf;
	const char *s;

	fhir_arena_reset(v->scratch);
	/* each numeric token becomes one word of its own (RANGE_MARK and its letter): at most as
	 * long as the "{n:...}" it stands for */
	buf = fhir_arena_alloc(v->scratch, len + 1);
	for (s = text, i = 0; *s != '\0';) {
		if (*s == '}')
			return -2;
		if (*s != '{') {
			buf[i++] = *s++;
			continue;
		}
		if (nranges == MAX_RANGES ||
		    (s = parse_range(s, &lo[nranges], &hi[nranges], &fall[nranges])) == NULL ||
		    *s == '*')
			return -2;
		/* a fall is measured from a "{n:...}" before it */
		if (fall[nranges] && (nranges == 0 || fall[nranges - 1]))
			return -2;
		relative |= fall[nranges];
		buf[i++] = ' ';
		memcpy(buf + i, RANGE_MARK, RANGE_MARK_LEN);
		i += RANGE_MARK_LEN;
		buf[i++] = (char)('a' + nranges++);
		buf[i++] = ' ';
	}
	buf[i] = '\0';
	text = buf;
	engine__tokenize(text, v->scratch, &toks, &count);
	pattern = malloc((count + 1) * sizeof(*pattern));
	if (pattern == NULL)
		abort();
	for (i = 0; i < count; i++) {
		size_t end = toks[i].end;
		int prefix = text[end] == '*';

		if (toks[i].norm == NULL)
			continue; /* a '.' in a phrase is not a boundary */
		if (strncmp(toks[i].norm, RANGE_MARK, RANGE_MARK_LEN) == 0) {
			size_t k = (size_t)(toks[i].norm[RANGE_MARK_LEN] - 'a');

			if (k >= nranges || toks[i].norm[RANGE_MARK_LEN + 1] != '\0') {
				free(pattern);
				return -2; /* the mark itself written in the phrase */
			}
			pattern[n++] = intern_range(v, lo[k], hi[k], fall[k]);
			continue;
		}
		pattern[n++] = intern(v, toks[i].norm, prefix);
	}
	/* a concept phrase drops its inner articles and possessives (engine__filler_word):
	 * "numbness around the genitals" is stored as "numbness around genitals" */
	if (layer == ENGINE_LAYER_CONCEPT && n > 2) {
		size_t kept = 1, word = 0;

		for (i = 0; i < count; i++) {
			if (toks[i].norm == NULL)
				continue;
			if (word > 0 && word < n - 1 && text[toks[i].end] != '*' &&
			    engine__filler_word(toks[i].norm)) {
				word++;
				continue;
			}
			if (word > 0)
				pattern[kept++] = pattern[word];
			word++;
		}
		n = kept;
	}
	if (n == 0) {
		free(pattern);
		return -1;
	}
	v->phrases = grow(v->phrases, &v->phrase_cap, v->phrase_count + 1, sizeof(*v->phrases));
	ph = &v->phrases[v->phrase_count++];
	ph->pattern = pattern;
	ph->length = n;
	ph->layer = layer;
	ph->owner = owner;
	ph->single = n == 1 && strlen(toks[0].norm) == 1;
	ph->blocks_sites = 0;
	ph->relative = relative;
	ph->structure = 0;
	return 0;
}

/* ---- the files --------------------------------------------------------------------------- */

struct loader {
	const char *file;
	const struct engine_reporter *rep;
	int errors;
};

static void fail(struct loader *l, const char *pointer, const char *message)
{
	l->errors++;
	if (l->rep != NULL && l->rep->report != NULL)
		l->rep->report(l->rep->ctx, l->file, pointer, message);
}

static const char *string_member(struct loader *l, const cJSON *obj, const char *name,
                                 const char *base, int required)
{
	const cJSON *item = fhir_get(obj, name);
	char ptr[256];

	if (item == NULL && !required)
		return NULL;
	snprintf(ptr, sizeof(ptr), "%s/%s", base, name);
	if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
		fail(l, ptr,
		     item == NULL ? "missing required string" : "must be a non-empty string");
		return NULL;
	}
	return item->valuestring;
}

/* Checks that every member of obj is one of `known` (NULL-terminated). */
static void known_keys(struct loader *l, const cJSON *obj, const char *const *known,
                       const char *base)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, obj)
	{
		size_t i;
		char ptr[256], msg[160];

		for (i = 0; known[i] != NULL && strcmp(known[i], m->string) != 0; i++)
			;
		if (known[i] != NULL)
			continue;
		snprintf(ptr, sizeof(ptr), "%s/%.100s", base, m->string);
		snprintf(msg, sizeof(msg), "unknown member '%.100s'", m->string);
		fail(l, ptr, msg);
	}
}

/* What is wrong with a phrase add_phrase refused (its return code). */
static const char *phrase_error(int rc)
{
	return rc == -2 ? "a numeric token is {n:LO-HI} or, after one, {fall:LO-HI}: two numbers "
	                  "(digits, an optional decimal part), LO <= HI, with no '*' after it"
	                : "a phrase is a string with at least one word";
}

/* phrases: a non-empty array of non-empty strings (empty for a concept with a "composedOf"),
 * each added to `layer` for `owner`. */
static void add_phrases(struct engine_vocab *v, struct loader *l, const cJSON *obj,
                        const char *base, enum engine__layer layer, int owner)
{
	const cJSON *list = fhir_get(obj, "phrases"), *item;
	char ptr[256];
	int i = 0;

	snprintf(ptr, sizeof(ptr), "%s/phrases", base);
	if (!cJSON_IsArray(list) ||
	    (cJSON_GetArraySize(list) == 0 && fhir_get(obj, "composedOf") == NULL)) {
		fail(l, ptr, "must be a non-empty array of phrases");
		return;
	}
	cJSON_ArrayForEach(item, list)
	{
		int rc = -1;

		snprintf(ptr, sizeof(ptr), "%s/phrases/%d", base, i++);
		if (cJSON_IsString(item))
			rc = add_phrase(v, item->valuestring, layer, owner);
		if (rc != 0)
			fail(l, ptr, phrase_error(rc));
	}
}

/* a followed by b. NEW (malloc). */
static char *joined(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	char *s = malloc(na + nb + 1);

	if (s == NULL)
		abort(); /* architecture.md rule 5 */
	memcpy(s, a, na);
	memcpy(s + na, b, nb + 1);
	return s;
}

/* The concept_index slot holding id, or the empty slot where it would go. */
static size_t concept_slot(const struct engine_vocab *v, const char *id)
{
	size_t i = (size_t)fhir_hash_bytes(id, strlen(id)) & (v->concept_index_cap - 1);

	while (v->concept_index[i] != 0 && strcmp(v->concepts[v->concept_index[i] - 1].id, id) != 0)
		i = (i + 1) & (v->concept_index_cap - 1);
	return i;
}

/* Files concept k (its id already set) in concept_index, growing it to keep the load factor at
 * most 1/2. */
static void index_concept(struct engine_vocab *v, size_t k)
{
	if ((k + 1) * 2 > v->concept_index_cap) {
		size_t cap = v->concept_index_cap == 0 ? 256 : v->concept_index_cap * 2;

		free(v->concept_index);
		v->concept_index = calloc(cap, sizeof(*v->concept_index));
		if (v->concept_index == NULL)
			abort(); /* architecture.md rule 5 */
		v->concept_index_cap = cap;
		for (size_t j = 0; j < k; j++)
			v->concept_index[concept_slot(v, v->concepts[j].id)] = (unsigned)j + 1;
	}
	{
		size_t i = concept_slot(v, v->concepts[k].id);

		if (v->concept_index[i] == 0) /* a repeated id keeps its first concept */
			v->concept_index[i] = (unsigned)k + 1;
	}
}

/* grow() for a per-concept array whose new slots must start empty. */
static void *grow_zeroed(void *p, size_t *cap, size_t need, size_t size)
{
	size_t old = *cap;

	p = grow(p, cap, need, size);
	if (*cap > old)
		memset((char *)p + old * size, 0, (*cap - old) * size);
	return p;
}

static int add_concept(struct engine_vocab *v, const char *id, const char *label, int region)
{
	struct engine__concept *c;
	size_t need = v->concept_count + 1;

	v->concepts = grow(v->concepts, &v->concept_cap, need, sizeof(*v->concepts));
	v->broader_ids =
	    grow_zeroed(v->broader_ids, &v->broader_ids_cap, need, sizeof(*v->broader_ids));
	v->object_json =
	    grow_zeroed(v->object_json, &v->object_json_cap, need, sizeof(*v->object_json));
	v->compose_json =
	    grow_zeroed(v->compose_json, &v->compose_json_cap, need, sizeof(*v->compose_json));
	v->span_json = grow_zeroed(v->span_json, &v->span_json_cap, need, sizeof(*v->span_json));
	c = &v->concepts[v->concept_count];
	memset(c, 0, sizeof(*c));
	c->id = engine__strdup(id);
	c->label = engine__strdup(label != NULL ? label : id);
	c->region = region;
	index_concept(v, v->concept_count);
	return (int)v->concept_count++;
}

/* A rule's "spares" (an array of concept ids, for a status trigger) as a NULL-terminated owned
 * copy; reports a bad shape at base + "/spares" and returns NULL. */
static char **spare_ids(struct loader *l, const cJSON *spares, const char *base, int category)
{
	const cJSON *x;
	char **ids;
	size_t n = 0;
	char ptr[80];

	snprintf(ptr, sizeof(ptr), "%s/spares", base);
	if (!cJSON_IsArray(spares) || cJSON_GetArraySize(spares) == 0 ||
	    category >= ENGINE_ST_COUNT) {
		fail(l, ptr,
		     "spares is a non-empty array of concept ids a status trigger does not apply "
		     "to");
		return NULL;
	}
	ids = calloc((size_t)cJSON_GetArraySize(spares) + 1, sizeof(*ids));
	if (ids == NULL)
		abort();
	cJSON_ArrayForEach(x, spares)
	{
		if (!cJSON_IsString(x)) {
			fail(l, ptr, "spares lists concept ids (strings)");
			continue;
		}
		ids[n++] = engine__strdup(x->valuestring);
	}
	return ids;
}

static void load_context(struct engine_vocab *v, struct loader *l, const cJSON *json)
{
	static const char *const keys[] = {
	    "phrase", "category", "direction", "window", "final", "of",      "finalWindow",
	    "source", "note",     "yieldsTo",  "spares", "dated", "present", NULL};
	static const char *const categories[] = {"negated",     "historical",   "uncertain",
	                                         "other",       "hypothetical", "pseudo",
	                                         "termination", "proxy"};
	static const int category_codes[] = {
	    ENGINE_ST_NEGATED,      ENGINE_ST_HISTORICAL, ENGINE_ST_UNCERTAIN,    ENGINE_ST_OTHER,
	    ENGINE_ST_HYPOTHETICAL, ENGINE_CTX_PSEUDO,    ENGINE_CTX_TERMINATION, ENGINE_CTX_PROXY};
	const cJSON *rules = fhir_get(json, "rules"), *r;
	int i = 0;

	if (!cJSON_IsArray(rules)) {
		fail(l, "/rules", "must be an array of ConText rules");
		return;
	}
	cJSON_ArrayForEach(r, rules)
	{
		char base[64];
		const char *phrase, *category, *direction;
		const cJSON *window;
		struct engine__rule rule = {0};
		int rc;
		size_t k;

		snprintf(base, sizeof(base), "/rules/%d", i++);
		if (!cJSON_IsObject(r)) {
			fail(l, base, "a rule is an object");
			continue;
		}
		known_keys(l, r, keys, base);
		phrase = string_member(l, r, "phrase", base, 1);
		category = string_member(l, r, "category", base, 1);
		direction = string_member(l, r, "direction", base, 0);
		string_member(l, r, "source", base, 1);
		if (phrase == NULL || category == NULL)
			continue;
		for (k = 0; k < sizeof(categories) / sizeof(categories[0]); k++)
			if (strcmp(categories[k], category) == 0)
				break;
		if (k == sizeof(categories) / sizeof(categories[0])) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/category", base);
			fail(l, ptr,
			     "category is negated, historical, uncertain, other, hypothetical, "
			     "pseudo, termination or proxy");
			continue;
		}
		rule.category = category_codes[k];
		if (rule.category < ENGINE_ST_COUNT) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/direction", base);
			if (direction == NULL)
				fail(l, ptr,
				     "a trigger needs a direction: forward, backward or both");
			else if (strcmp(direction, "forward") == 0)
				rule.direction = ENGINE_DIR_FORWARD;
			else if (strcmp(direction, "backward") == 0)
				rule.direction = ENGINE_DIR_BACKWARD;
			else if (strcmp(direction, "both") == 0)
				rule.direction = ENGINE_DIR_BOTH;
			else
				fail(l, ptr, "direction is forward, backward or both");
		}
		rule.ends = ~0u;
		if (fhir_get(r, "final") != NULL) {
			const char *fin = fhir_get_string(r, "final");
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/final", base);
			if (fin == NULL || strcmp(fin, "backward") != 0 ||
			    rule.category >= ENGINE_ST_COUNT)
				fail(l, ptr,
				     "final is \"backward\" (a trigger that, ending its "
				     "sentence, also applies to what precedes it)");
			else
				rule.final_backward = 1;
		}
		if (fhir_get(r, "of") != NULL) {
			const cJSON *of = fhir_get(r, "of"), *x;
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/of", base);
			rule.ends = 0;
			if (!cJSON_IsArray(of) || rule.category != ENGINE_CTX_TERMINATION)
				fail(l, ptr, "of is an array of the statuses a termination ends");
			cJSON_ArrayForEach(x, (cJSON_IsArray(of) ? of : NULL))
			{
				unsigned bits =
				    cJSON_IsString(x) ? engine__status_bits(x->valuestring) : 0;

				if (bits == 0)
					fail(l, ptr,
					     "of lists statuses: negated, historical, uncertain, "
					     "other, hypothetical");
				rule.ends |= bits;
			}
		}
		if (fhir_get(r, "yieldsTo") != NULL) {
			const char *to = fhir_get_string(r, "yieldsTo");
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/yieldsTo", base);
			if (to == NULL || strcmp(to, "uncertain") != 0 ||
			    rule.category != ENGINE_ST_HYPOTHETICAL)
				fail(l, ptr,
				     "yieldsTo is \"uncertain\" (a hypothetical trigger that gives "
				     "way to "
				     "the mention's own uncertainty)");
			else
				rule.yields_to_uncertain = 1;
		}
		if (fhir_get(r, "spares") != NULL)
			rule.spare_ids = spare_ids(l, fhir_get(r, "spares"), base, rule.category);
		if (fhir_get(r, "dated") != NULL) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/dated", base);
			if (!cJSON_IsTrue(fhir_get(r, "dated")) ||
			    rule.category != ENGINE_ST_HISTORICAL ||
			    rule.direction != ENGINE_DIR_FORWARD)
				fail(l, ptr,
				     "dated is true, on a forward historical trigger (it applies "
				     "only to a finding a year follows)");
			else
				rule.dated = 1;
		}
		if (fhir_get(r, "present") != NULL) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/present", base);
			if (!cJSON_IsTrue(fhir_get(r, "present")) ||
			    rule.category != ENGINE_CTX_TERMINATION)
				fail(l, ptr,
				     "present is true, on a termination (a recent-time qualifier "
				     "that "
				     "makes its history-list item current)");
			else
				rule.present = 1;
		}
		window = fhir_get(r, "finalWindow");
		if (window != NULL) {
			if (!cJSON_IsNumber(window) || window->valuedouble < 1 ||
			    window->valuedouble > 50 || !rule.final_backward) {
				char ptr[80];

				snprintf(ptr, sizeof(ptr), "%s/finalWindow", base);
				fail(l, ptr,
				     "finalWindow is a number of tokens from 1 to 50, with "
				     "\"final\": "
				     "\"backward\"");
			} else {
				rule.final_window = window->valueint;
			}
		}
		window = fhir_get(r, "window");
		if (window != NULL) {
			if (!cJSON_IsNumber(window) || window->valuedouble < 1 ||
			    window->valuedouble > 50) {
				char ptr[80];

				snprintf(ptr, sizeof(ptr), "%s/window", base);
				fail(l, ptr, "window is a number of tokens from 1 to 50");
			} else {
				rule.window = window->valueint;
			}
		}
		v->rules = grow(v->rules, &v->rule_cap, v->rule_count + 1, sizeof(*v->rules));
		v->rules[v->rule_count] = rule;
		if ((rc = add_phrase(v, phrase, ENGINE_LAYER_CONTEXT, (int)v->rule_count)) != 0) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/phrase", base);
			fail(l, ptr, phrase_error(rc));
			free_ids(rule.spare_ids);
			continue;
		}
		v->rule_count++;
	}
}

static int valid_id(const char *id)
{
	if (*id == '\0')
		return 0;
	for (; *id != '\0'; id++)
		if (!((*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9') || *id == '-'))
			return 0;
	return 1;
}

/* A concept's "object" ({"other": [ids], "self": [ids], "as": id, "window": tokens}): checked
 * here, its ids resolved at compile (they may name concepts defined later). */
static void load_object(struct engine_vocab *v, struct loader *l, const cJSON *o, const char *base,
                        int index)
{
	static const char *const keys[] = {"other", "self", "as", "window", "source", "note", NULL};
	static const char *const lists[] = {"other", "self"};
	const cJSON *w = fhir_get(o, "window");
	char ptr[96];

	snprintf(ptr, sizeof(ptr), "%s/object", base);
	if (!cJSON_IsObject(o)) {
		fail(l, ptr,
		     "object is {\"other\": [ids], \"self\": [ids], \"as\": id, \"window\": n}");
		return;
	}
	known_keys(l, o, keys, ptr);
	if (string_member(l, o, "as", ptr, 1) == NULL)
		return;
	if (!cJSON_IsNumber(w) || w->valuedouble < 1 || w->valuedouble > 20 ||
	    w->valuedouble != (double)(int)w->valuedouble) {
		snprintf(ptr, sizeof(ptr), "%s/object/window", base);
		fail(l, ptr, "window is a whole number of tokens from 1 to 20");
		return;
	}
	for (size_t k = 0; k < 2; k++) {
		const cJSON *list = fhir_get(o, lists[k]), *e;

		cJSON_ArrayForEach(e, list)
		{
			if (!cJSON_IsString(e))
				break;
		}
		if ((list == NULL && k == 1) || (cJSON_IsArray(list) && e == NULL))
			continue;
		snprintf(ptr, sizeof(ptr), "%s/object/%s", base, lists[k]);
		fail(l, ptr, "an array of concept ids");
		return;
	}
	v->object_json[index] = cJSON_Duplicate(o, 1);
	if (v->object_json[index] == NULL)
		abort();
}

/* A concept's "composedOf" ({"parts": [id, id], "gap": words, "links": [words]}): checked here,
 * its ids resolved at compile (compose_concept). */
static void load_compose(struct engine_vocab *v, struct loader *l, const cJSON *o, const char *base,
                         int index)
{
	static const char *const keys[] = {"parts",         "gap",  "links", "source",
	                                   "dashQualifier", "note", NULL};
	const cJSON *parts = fhir_get(o, "parts"), *gap = fhir_get(o, "gap"), *e;
	const cJSON *links = fhir_get(o, "links"), *dash = fhir_get(o, "dashQualifier");
	char ptr[96];

	snprintf(ptr, sizeof(ptr), "%s/composedOf", base);
	if (!cJSON_IsObject(o)) {
		fail(l, ptr, "composedOf is {\"parts\": [id, id], \"gap\": n, \"links\": [words]}");
		return;
	}
	known_keys(l, o, keys, ptr);
	if (cJSON_GetArraySize(parts) != 2 || !cJSON_IsString(parts->child) ||
	    !cJSON_IsString(parts->child->next)) {
		snprintf(ptr, sizeof(ptr), "%s/composedOf/parts", base);
		fail(l, ptr, "parts is an array of two concept ids");
		return;
	}
	if (!cJSON_IsNumber(gap) || gap->valuedouble < 0 ||
	    gap->valuedouble > ENGINE_COMPOSE_MAX_GAP ||
	    gap->valuedouble != (double)(int)gap->valuedouble) {
		snprintf(ptr, sizeof(ptr), "%s/composedOf/gap", base);
		fail(l, ptr, "gap is a whole number of words from 0 to 4");
		return;
	}
	cJSON_ArrayForEach(e, links)
	{
		if (!cJSON_IsString(e) || strchr(e->valuestring, ' ') != NULL)
			break;
	}
	if (!cJSON_IsArray(links) || e != NULL) {
		snprintf(ptr, sizeof(ptr), "%s/composedOf/links", base);
		fail(l, ptr, "links is an array of single words");
		return;
	}
	if (dash != NULL && !cJSON_IsBool(dash)) {
		snprintf(ptr, sizeof(ptr), "%s/composedOf/dashQualifier", base);
		fail(l, ptr, "dashQualifier is true or false");
		return;
	}
	v->compose_json[index] = cJSON_Duplicate(o, 1);
	if (v->compose_json[index] == NULL)
		abort();
}

/* Resolves concept i's composedOf: its parts' indexes, its links normalised as the tokenizer
 * writes words, and its phrase of no words (which the phrase index skips). */
static void compose_concept(struct engine_vocab *v, struct loader *l, size_t i)
{
	const cJSON *o = v->compose_json[i], *e;
	struct engine__compose *k = calloc(1, sizeof(*k));
	struct engine__phrase *ph;

	if (k == NULL)
		abort();
	for (size_t p = 0; p < 2; p++) {
		const char *id = cJSON_GetArrayItem(fhir_get(o, "parts"), (int)p)->valuestring;

		k->part[p] = engine__vocab_concept(v, id);
		if (k->part[p] < 0) {
			char msg[200];

			snprintf(msg, sizeof(msg), "concept '%.60s': part '%.60s' is not defined",
			         v->concepts[i].id, id);
			fail(l, "/concepts", msg);
		}
	}
	k->gap = fhir_get(o, "gap")->valueint;
	k->dash_qualifier = cJSON_IsTrue(fhir_get(o, "dashQualifier"));
	k->links = calloc((size_t)cJSON_GetArraySize(fhir_get(o, "links")) + 1, sizeof(char *));
	if (k->links == NULL)
		abort();
	cJSON_ArrayForEach(e, fhir_get(o, "links"))
	{
		struct engine__token *toks;
		size_t count;

		engine__tokenize(e->valuestring, v->scratch, &toks, &count);
		if (count == 1 && toks[0].norm != NULL)
			k->links[k->link_count++] = engine__strdup(toks[0].norm);
	}
	v->phrases = grow(v->phrases, &v->phrase_cap, v->phrase_count + 1, sizeof(*v->phrases));
	ph = &v->phrases[v->phrase_count];
	memset(ph, 0, sizeof(*ph));
	ph->layer = ENGINE_LAYER_CONCEPT;
	ph->owner = (int)i;
	k->phrase = v->phrase_count++;
	v->concepts[i].compose = k;
	v->composed = realloc(v->composed, (v->composed_count + 1) * sizeof(*v->composed));
	if (v->composed == NULL)
		abort();
	v->composed[v->composed_count++] = (int)i;
	cJSON_Delete(v->compose_json[i]);
	v->compose_json[i] = NULL;
}

/* A concept's "span": {"of": [concept ids], "atLeastMonths": n and/or "underMonths": n,
 * "source"}, months 1 to 120; kept (a copy) to resolve at compile. */
static void load_span(struct engine_vocab *v, struct loader *l, const cJSON *o, const char *base,
                      int index)
{
	static const char *const keys[] = {"of",     "atLeastMonths", "underMonths",
	                                   "source", "note",          NULL};
	static const char *const months[] = {"atLeastMonths", "underMonths"};
	const cJSON *of = fhir_get(o, "of"), *e;
	char ptr[96];
	int any = 0;

	snprintf(ptr, sizeof(ptr), "%s/span", base);
	if (!cJSON_IsObject(o)) {
		fail(l, ptr, "span is {\"of\": [ids], \"atLeastMonths\": n, \"underMonths\": n}");
		return;
	}
	known_keys(l, o, keys, ptr);
	string_member(l, o, "source", ptr, 1);
	cJSON_ArrayForEach(e, of)
	{
		if (!cJSON_IsString(e))
			break;
	}
	if (!cJSON_IsArray(of) || e != NULL || cJSON_GetArraySize(of) == 0) {
		snprintf(ptr, sizeof(ptr), "%s/span/of", base);
		fail(l, ptr, "a non-empty array of concept ids");
		return;
	}
	for (size_t k = 0; k < 2; k++) {
		const cJSON *m = fhir_get(o, months[k]);

		if (m == NULL)
			continue;
		if (!cJSON_IsNumber(m) || m->valuedouble < 1 || m->valuedouble > 120 ||
		    m->valuedouble != (double)(int)m->valuedouble) {
			snprintf(ptr, sizeof(ptr), "%s/span/%s", base, months[k]);
			fail(l, ptr, "a whole number of months from 1 to 120");
			return;
		}
		any = 1;
	}
	if (!any) {
		fail(l, ptr, "a span needs atLeastMonths or underMonths");
		return;
	}
	v->span_json[index] = cJSON_Duplicate(o, 1);
	if (v->span_json[index] == NULL)
		abort();
}

/* Resolves one id list of an object into concept indexes (NEW *out); reports unknown ids. */
static void object_ids(struct engine_vocab *v, struct loader *l, size_t concept, const cJSON *list,
                       int **out, size_t *count)
{
	const cJSON *e;

	*out = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(int));
	if (*out == NULL)
		abort();
	*count = 0;
	cJSON_ArrayForEach(e, list)
	{
		int c = engine__vocab_concept(v, e->valuestring);

		if (c < 0) {
			char msg[200];

			snprintf(msg, sizeof(msg),
			         "concept '%.60s': object concept '%.60s' is not defined",
			         v->concepts[concept].id, e->valuestring);
			fail(l, "/concepts", msg);
			continue;
		}
		(*out)[(*count)++] = c;
	}
}

static void load_concepts(struct engine_vocab *v, struct loader *l, const cJSON *json)
{
	static const char *const keys[] = {"id",          "label",  "phrases",    "broader",
	                                   "blocksSites", "object", "composedOf", "span",
	                                   "source",      "note",   NULL};
	const cJSON *concepts = fhir_get(json, "concepts"), *c;
	int i = 0;

	if (!cJSON_IsArray(concepts)) {
		fail(l, "/concepts", "must be an array of concepts");
		return;
	}
	cJSON_ArrayForEach(c, concepts)
	{
		char base[64];
		const char *id, *label;
		const cJSON *broader = fhir_get(c, "broader"), *b;
		int index;

		snprintf(base, sizeof(base), "/concepts/%d", i++);
		if (!cJSON_IsObject(c)) {
			fail(l, base, "a concept is an object");
			continue;
		}
		known_keys(l, c, keys, base);
		id = string_member(l, c, "id", base, 1);
		label = string_member(l, c, "label", base, 0);
		string_member(l, c, "source", base, 1);
		if (id == NULL)
			continue;
		if (!valid_id(id)) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/id", base);
			fail(l, ptr, "concept ids are lower-case letters, digits and '-'");
			continue;
		}
		if (engine__vocab_concept(v, id) >= 0) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/id", base);
			fail(l, ptr, "another concept has this id");
			continue;
		}
		index = add_concept(v, id, label, -1);
		{
			size_t first = v->phrase_count;
			const cJSON *blocks = fhir_get(c, "blocksSites");

			add_phrases(v, l, c, base, ENGINE_LAYER_CONCEPT, index);
			if (blocks != NULL && !cJSON_IsBool(blocks)) {
				char ptr[80];

				snprintf(ptr, sizeof(ptr), "%s/blocksSites", base);
				fail(l, ptr, "blocksSites is true or false");
			}
			for (size_t k = first; k < v->phrase_count; k++)
				v->phrases[k].blocks_sites = cJSON_IsTrue(blocks);
		}
		if (fhir_get(c, "object") != NULL)
			load_object(v, l, fhir_get(c, "object"), base, index);
		if (fhir_get(c, "composedOf") != NULL)
			load_compose(v, l, fhir_get(c, "composedOf"), base, index);
		if (fhir_get(c, "span") != NULL)
			load_span(v, l, fhir_get(c, "span"), base, index);
		if (broader != NULL) {
			size_t n = 0;

			if (!cJSON_IsArray(broader)) {
				char ptr[80];

				snprintf(ptr, sizeof(ptr), "%s/broader", base);
				fail(l, ptr, "broader is an array of concept ids");
				continue;
			}
			v->broader_ids[index] =
			    calloc((size_t)cJSON_GetArraySize(broader) + 1, sizeof(char *));
			if (v->broader_ids[index] == NULL)
				abort();
			cJSON_ArrayForEach(b, broader)
			{
				if (cJSON_IsString(b))
					v->broader_ids[index][n++] = engine__strdup(b->valuestring);
			}
		}
	}
}

/* Adds one code's display; a code listed twice is an error at `pointer`. */
static void add_code(struct engine_vocab *v, struct loader *l, const char *system, const char *code,
                     const char *display, const char *pointer)
{
	if (engine__vocab_code_display(v, system, code) != NULL) {
		fail(l, pointer, "this system and code are listed twice");
		return;
	}
	v->codes = grow(v->codes, &v->code_cap, v->code_count + 1, sizeof(*v->codes));
	v->codes[v->code_count].system = engine__strdup(system);
	v->codes[v->code_count].code = engine__strdup(code);
	v->codes[v->code_count].display = engine__strdup(display);
	v->code_count++;
}

/* codes.json: {"codes": [{"system", "code", "display", "source"}]}. */
static void load_codes(struct engine_vocab *v, struct loader *l, const cJSON *json)
{
	static const char *const keys[] = {"system", "code", "display", "source", "note", NULL};
	const cJSON *codes = fhir_get(json, "codes"), *x;
	int i = 0;

	if (!cJSON_IsArray(codes)) {
		fail(l, "/codes", "must be an array of {system, code, display, source}");
		return;
	}
	cJSON_ArrayForEach(x, codes)
	{
		char base[64];
		const char *system, *code, *display;

		snprintf(base, sizeof(base), "/codes/%d", i++);
		if (!cJSON_IsObject(x)) {
			fail(l, base, "a code is an object");
			continue;
		}
		known_keys(l, x, keys, base);
		system = string_member(l, x, "system", base, 1);
		code = string_member(l, x, "code", base, 1);
		display = string_member(l, x, "display", base, 1);
		string_member(l, x, "source", base, 1);
		if (system != NULL && code != NULL && display != NULL)
			add_code(v, l, system, code, display, base);
	}
}

/* A region's "structures" (policies/vocabulary/README.md, body-sites.json): each one's phrases
 * are site phrases of the region that also name the structure, for sameSite(). */
static void load_structures(struct engine_vocab *v, struct loader *l, const cJSON *region,
                            const char *base, int index)
{
	static const char *const keys[] = {"id", "kind", "phrases", "source", "note", NULL};
	static const char *const kinds[] = {"joint",         "bursa",       "tendon",
	                                    "tendon-sheath", "ligament",    "nerve",
	                                    "fascia",        "soft-tissue", NULL};
	const cJSON *list = fhir_get(region, "structures"), *x;
	int i = 0;

	if (list == NULL)
		return;
	if (!cJSON_IsArray(list)) {
		char ptr[80];

		snprintf(ptr, sizeof(ptr), "%s/structures", base);
		fail(l, ptr, "must be an array of {id, kind, phrases, source}");
		return;
	}
	cJSON_ArrayForEach(x, list)
	{
		char at[96], ptr[128];
		const char *id, *kind;
		size_t first = v->phrase_count, k;

		snprintf(at, sizeof(at), "%s/structures/%d", base, i++);
		known_keys(l, x, keys, at);
		id = string_member(l, x, "id", at, 1);
		kind = string_member(l, x, "kind", at, 1);
		string_member(l, x, "source", at, 1);
		for (k = 0; kind != NULL && kinds[k] != NULL && strcmp(kinds[k], kind) != 0; k++)
			;
		if (kind != NULL && kinds[k] == NULL) {
			snprintf(ptr, sizeof(ptr), "%s/kind", at);
			fail(l, ptr,
			     "kind is one of joint, bursa, tendon, tendon-sheath, ligament, nerve, "
			     "fascia, soft-tissue");
		}
		if (id != NULL && !valid_id(id)) {
			snprintf(ptr, sizeof(ptr), "%s/id", at);
			fail(l, ptr, "structure ids are lower-case letters, digits and '-'");
		}
		for (const cJSON *y = list->child; id != NULL && y != x; y = y->next)
			if (fhir_get_string(y, "id") != NULL &&
			    strcmp(fhir_get_string(y, "id"), id) == 0) {
				snprintf(ptr, sizeof(ptr), "%s/id", at);
				fail(l, ptr, "a region's structure ids are unique");
				break;
			}
		if (v->regions[index].structure_count == ENGINE_MAX_STRUCTURES) {
			fail(l, at, "a region has at most 32 structures");
			continue;
		}
		add_phrases(v, l, x, at, ENGINE_LAYER_SITE, index);
		v->regions[index].structure_count++;
		for (k = first; k < v->phrase_count; k++)
			v->phrases[k].structure = (int)v->regions[index].structure_count;
	}
}

static void load_sites(struct engine_vocab *v, struct loader *l, const cJSON *json)
{
	static const char *const side_keys[] = {"side", "phrases", "source", "note", NULL};
	static const char *const region_keys[] = {"id",         "label",   "plural", "paired",
	                                          "snomed",     "phrases", "source", "note",
	                                          "structures", NULL};
	const cJSON *sides = fhir_get(json, "laterality"), *regions = fhir_get(json, "regions"), *x;
	int i = 0;

	if (!cJSON_IsArray(sides))
		fail(l, "/laterality", "must be an array of {side, phrases, source}");
	cJSON_ArrayForEach(x, (cJSON_IsArray(sides) ? sides : NULL))
	{
		char base[64];
		const char *side;
		int bits = 0;

		snprintf(base, sizeof(base), "/laterality/%d", i++);
		known_keys(l, x, side_keys, base);
		side = string_member(l, x, "side", base, 1);
		string_member(l, x, "source", base, 1);
		if (side != NULL && strcmp(side, "left") == 0)
			bits = ENGINE_SIDE_LEFT;
		else if (side != NULL && strcmp(side, "right") == 0)
			bits = ENGINE_SIDE_RIGHT;
		else if (side != NULL && strcmp(side, "both") == 0)
			bits = ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT;
		else if (side != NULL) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/side", base);
			fail(l, ptr, "side is left, right or both");
		}
		if (bits != 0)
			add_phrases(v, l, x, base, ENGINE_LAYER_SIDE, bits);
	}
	i = 0;
	if (!cJSON_IsArray(regions))
		fail(l, "/regions", "must be an array of body-site regions");
	cJSON_ArrayForEach(x, (cJSON_IsArray(regions) ? regions : NULL))
	{
		char base[64], cid[128];
		const char *id, *label, *plural;
		const cJSON *paired = fhir_get(x, "paired");
		struct engine__region *r;

		snprintf(base, sizeof(base), "/regions/%d", i++);
		known_keys(l, x, region_keys, base);
		id = string_member(l, x, "id", base, 1);
		label = string_member(l, x, "label", base, 1);
		plural = string_member(l, x, "plural", base, 0);
		string_member(l, x, "source", base, 1);
		if (id == NULL || label == NULL)
			continue;
		snprintf(cid, sizeof(cid), "site:%.100s", id);
		if (!valid_id(id) || engine__vocab_concept(v, cid) >= 0) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/id", base);
			fail(l, ptr, "region ids are unique lower-case letters, digits and '-'");
			continue;
		}
		if (paired != NULL && !cJSON_IsBool(paired)) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/paired", base);
			fail(l, ptr, "paired is true or false");
		}
		v->regions =
		    grow(v->regions, &v->region_cap, v->region_count + 1, sizeof(*v->regions));
		r = &v->regions[v->region_count];
		r->id = engine__strdup(id);
		r->label = engine__strdup(label);
		r->plural = engine__strdup(plural != NULL ? plural : label);
		r->paired = cJSON_IsTrue(paired);
		r->structure_count = 0;
		r->side_id[0] = joined(id, ":left");
		r->side_id[1] = joined(id, ":right");
		r->side_label[0] = joined("left ", label);
		r->side_label[1] = joined("right ", label);
		r->side_label[2] = joined("both ", r->plural);
		r->concept = add_concept(v, cid, label, (int)v->region_count);
		add_phrases(v, l, x, base, ENGINE_LAYER_SITE, (int)v->region_count);
		load_structures(v, l, x, base, (int)v->region_count);
		v->region_count++;
		/* its SNOMED CT id is read as its display where a bodySite carries the code alone
		 */
		if (fhir_get_string(fhir_get(x, "snomed"), "code") != NULL &&
		    fhir_get_string(fhir_get(x, "snomed"), "display") != NULL) {
			char ptr[80];

			snprintf(ptr, sizeof(ptr), "%s/snomed", base);
			add_code(v, l, "http://snomed.info/sct",
			         fhir_get_string(fhir_get(x, "snomed"), "code"),
			         fhir_get_string(fhir_get(x, "snomed"), "display"), ptr);
		}
	}
}

int engine__vocab_add(struct engine_vocab *v, const cJSON *json, const char *name,
                      const struct engine_reporter *rep)
{
	struct loader l = {name, rep, 0};
	const char *base = strrchr(name, '/') != NULL ? strrchr(name, '/') + 1 : name;

	if (!cJSON_IsObject(json)) {
		fail(&l, "", "a vocabulary file is one JSON object");
		return l.errors;
	}
	if (strcmp(base, "context.json") == 0) {
		static const char *const keys[] = {"rules", "source", "note", NULL};

		known_keys(&l, json, keys, "");
		load_context(v, &l, json);
	} else if (strcmp(base, "concepts.json") == 0) {
		static const char *const keys[] = {"concepts", "source", "note", NULL};

		known_keys(&l, json, keys, "");
		load_concepts(v, &l, json);
	} else if (strcmp(base, "body-sites.json") == 0) {
		static const char *const keys[] = {"laterality", "regions", "source", "note", NULL};

		known_keys(&l, json, keys, "");
		load_sites(v, &l, json);
	} else if (strcmp(base, "codes.json") == 0) {
		static const char *const keys[] = {"codes", "source", "note", NULL};

		known_keys(&l, json, keys, "");
		load_codes(v, &l, json);
	} else {
		fail(&l, "",
		     "unknown vocabulary file (expected context.json, concepts.json, "
		     "body-sites.json or codes.json)");
	}
	return l.errors;
}

int engine__vocab_compile(struct engine_vocab *v, const struct engine_reporter *rep)
{
	struct loader l = {"vocabulary/concepts.json", rep, 0};
	struct loader lc = {"vocabulary/context.json", rep, 0};
	size_t i, j;

	for (i = 0; i < v->rule_count; i++) {
		struct engine__rule *r = &v->rules[i];

		for (j = 0; r->spare_ids != NULL && r->spare_ids[j] != NULL; j++) {
			int c = engine__vocab_concept(v, r->spare_ids[j]);

			if (c < 0) {
				char msg[200];

				snprintf(msg, sizeof(msg), "spared concept '%.60s' is not defined",
				         r->spare_ids[j]);
				fail(&lc, "/rules", msg);
				continue;
			}
			r->spares = realloc(r->spares, (r->spare_count + 1) * sizeof(*r->spares));
			if (r->spares == NULL)
				abort();
			r->spares[r->spare_count++] = c;
		}
	}

	for (i = 0; i < v->concept_count; i++) {
		char **ids = v->broader_ids != NULL ? v->broader_ids[i] : NULL;
		size_t n = 0;

		if (ids == NULL)
			continue;
		while (ids[n] != NULL)
			n++;
		v->concepts[i].broader = calloc(n + 1, sizeof(int));
		if (v->concepts[i].broader == NULL)
			abort();
		for (j = 0; j < n; j++) {
			int c = engine__vocab_concept(v, ids[j]);

			if (c < 0) {
				char msg[200];

				snprintf(msg, sizeof(msg),
				         "concept '%.60s': broader concept '%.60s' is "
				         "not defined",
				         v->concepts[i].id, ids[j]);
				fail(&l, "/concepts", msg);
				continue;
			}
			v->concepts[i].broader[v->concepts[i].broader_count++] = c;
		}
	}
	for (i = 0; i < v->concept_count; i++) {
		const cJSON *o = v->object_json != NULL ? v->object_json[i] : NULL;
		struct engine__object *obj;

		if (o == NULL)
			continue;
		obj = calloc(1, sizeof(*obj));
		if (obj == NULL)
			abort();
		object_ids(v, &l, i, fhir_get(o, "other"), &obj->other, &obj->other_count);
		object_ids(v, &l, i, fhir_get(o, "self"), &obj->self, &obj->self_count);
		obj->window = fhir_get(o, "window")->valueint;
		obj->as = engine__vocab_concept(v, fhir_get_string(o, "as"));
		if (obj->as < 0) {
			char msg[200];

			snprintf(msg, sizeof(msg),
			         "concept '%.60s': object concept '%.60s' is not defined",
			         v->concepts[i].id, fhir_get_string(o, "as"));
			fail(&l, "/concepts", msg);
			obj->as = (int)i;
		}
		v->concepts[i].object = obj;
		cJSON_Delete(v->object_json[i]);
		v->object_json[i] = NULL;
	}
	for (i = 0; i < v->concept_count; i++) {
		const cJSON *o = v->span_json != NULL ? v->span_json[i] : NULL;
		struct engine__span *span;

		if (o == NULL)
			continue;
		span = calloc(1, sizeof(*span));
		if (span == NULL)
			abort();
		object_ids(v, &l, i, fhir_get(o, "of"), &span->of, &span->of_count);
		span->at_least = fhir_get(o, "atLeastMonths") != NULL
		                     ? fhir_get(o, "atLeastMonths")->valueint
		                     : 0;
		span->under =
		    fhir_get(o, "underMonths") != NULL ? fhir_get(o, "underMonths")->valueint : 0;
		v->concepts[i].span = span;
		v->spans = realloc(v->spans, (v->span_count + 1) * sizeof(*v->spans));
		if (v->spans == NULL)
			abort();
		v->spans[v->span_count++] = (int)i;
		cJSON_Delete(v->span_json[i]);
		v->span_json[i] = NULL;
	}
	for (i = 0; i < v->concept_count; i++)
		if (v->compose_json != NULL && v->compose_json[i] != NULL)
			compose_concept(v, &l, i);
	v->by_first = calloc(v->pattern_count + 1, sizeof(*v->by_first));
	v->by_first_count = calloc(v->pattern_count + 1, sizeof(*v->by_first_count));
	v->side_word = calloc(v->pattern_count + 1, sizeof(*v->side_word));
	if (v->by_first == NULL || v->by_first_count == NULL || v->side_word == NULL)
		abort();
	for (i = 0; i < v->phrase_count; i++) {
		unsigned first;

		if (v->phrases[i].length == 0)
			continue; /* a composed concept's: matched from its parts */
		first = v->phrases[i].pattern[0];

		v->by_first[first] =
		    realloc(v->by_first[first], (v->by_first_count[first] + 1) * sizeof(size_t));
		if (v->by_first[first] == NULL)
			abort();
		v->by_first[first][v->by_first_count[first]++] = i;
		if (v->phrases[i].layer == ENGINE_LAYER_SIDE && v->phrases[i].length == 1)
			v->side_word[first] = 1;
	}
	fhir_arena_free(v->scratch);
	v->scratch = NULL;
	return l.errors + lc.errors;
}

/* Is concept c `target`, or narrower than it through `broader` (at most `depth` levels)? */
static int concept_within(const struct engine_vocab *v, int c, int target, int depth)
{
	if (c == target)
		return 1;
	if (c < 0 || (size_t)c >= v->concept_count || depth == 0)
		return 0;
	for (size_t k = 0; k < v->concepts[c].broader_count; k++)
		if (concept_within(v, v->concepts[c].broader[k], target, depth - 1))
			return 1;
	return 0;
}

int engine__rule_spares(const struct engine_vocab *v, const struct engine__rule *r, int c)
{
	for (size_t k = 0; k < r->spare_count; k++)
		if (concept_within(v, c, r->spares[k], 8))
			return 1;
	return 0;
}

/* Does a pattern match numbers only (a numeric token, a numeric prefix, or a word of digits)? */
static int number_pattern(const struct pattern *p)
{
	return p->range || p->numeric ||
	       (!p->prefix && p->length > 0 && strspn(p->text, "0123456789.") == p->length);
}

int engine__vocab_phrase_holds(const struct engine_vocab *v, const struct engine__phrase *ph,
                               const struct engine__token *toks, size_t from, size_t to)
{
	double values[MAX_RANGES * 4];
	size_t nvalues = 0, k, t;
	double start = -1;

	if (!ph->relative)
		return 1;
	/* the phrase's numbers, in order: no word skipped inside a phrase is a number */
	for (k = from; k < to; k++) {
		double x;

		if (toks[k].norm != NULL && number_value(toks[k].norm, &x) == 0) {
			if (nvalues == sizeof(values) / sizeof(values[0]))
				return 0;
			values[nvalues++] = x;
		}
	}
	for (t = 0, k = 0; t < ph->length; t++) {
		const struct pattern *p = &v->patterns[ph->pattern[t]];

		if (!number_pattern(p))
			continue;
		if (k == nvalues)
			return 0;
		if (p->range && !p->fall)
			start = values[k];
		if (p->fall && (start <= 0 || (start - values[k]) * 100 < p->lo * start ||
		                (start - values[k]) * 100 > p->hi * start))
			return 0;
		k++;
	}
	return k == nvalues;
}

int engine__vocab_side_token(const struct engine_vocab *v, const unsigned *patterns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (patterns[i] < v->pattern_count && v->side_word != NULL &&
		    v->side_word[patterns[i]])
			return 1;
	return 0;
}

int engine__vocab_concept(const struct engine_vocab *v, const char *id)
{
	size_t i;

	if (v == NULL || v->concept_index_cap == 0)
		return -1;
	i = concept_slot(v, id);
	return v->concept_index[i] != 0 ? (int)v->concept_index[i] - 1 : -1;
}

const struct engine__concept *engine__vocab_concepts(const struct engine_vocab *v)
{
	return v->concepts;
}

const int *engine__vocab_span_concepts(const struct engine_vocab *v, size_t *count)
{
	*count = v->span_count;
	return v->spans;
}

const struct engine__region *engine__vocab_regions(const struct engine_vocab *v, size_t *count)
{
	*count = v != NULL ? v->region_count : 0;
	return v != NULL ? v->regions : NULL;
}

const struct engine__phrase *engine__vocab_phrases_from(const struct engine_vocab *v,
                                                        unsigned pattern, size_t **list,
                                                        size_t *count)
{
	*list = pattern < v->pattern_count ? v->by_first[pattern] : NULL;
	*count = pattern < v->pattern_count ? v->by_first_count[pattern] : 0;
	return v->phrases;
}

const struct engine__rule *engine__vocab_rules(const struct engine_vocab *v)
{
	return v->rules;
}

const int *engine__vocab_composed(const struct engine_vocab *v, size_t *count)
{
	*count = v->composed_count;
	return v->composed;
}

const char *engine__vocab_code_display(const struct engine_vocab *v, const char *system,
                                       const char *code)
{
	if (v == NULL || system == NULL || code == NULL)
		return NULL;
	for (size_t i = 0; i < v->code_count; i++)
		if (strcmp(v->codes[i].code, code) == 0 && strcmp(v->codes[i].system, system) == 0)
			return v->codes[i].display;
	return NULL;
}
