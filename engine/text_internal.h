/* text_internal.h — clinical text as a clinician writes it (policies/vocabulary/README.md): the
 * tokenizer, the compiled vocabulary (concepts, body-site lexicon, laterality, ConText/NegEx
 * rules), the per-field annotation (which concepts are mentioned, negated, uncertain, historical,
 * ...; which body sites and sides), and the per-request cache behind the FHIRPath functions
 * mentions(), sites(), siteLabel() and sameSite(). Shared by engine/text_*.c only (and
 * white-box tests). The vocabulary is immutable after engine__vocab_compile; a request's
 * annotations live in that request's arena. */
#ifndef CDS_ENGINE_TEXT_INTERNAL_H
#define CDS_ENGINE_TEXT_INTERNAL_H

#include <stdint.h>

#include "engine_internal.h"

/* Mention statuses, least to most overriding (ConText categories; Harkema et al. 2009). */
enum engine__status {
	ENGINE_ST_AFFIRMED,
	ENGINE_ST_HISTORICAL,
	ENGINE_ST_UNCERTAIN,
	ENGINE_ST_OTHER, /* another experiencer: "family history of" */
	ENGINE_ST_HYPOTHETICAL,
	ENGINE_ST_NEGATED,
	ENGINE_ST_COUNT
};
extern const char *const engine__status_names[ENGINE_ST_COUNT];

/* ConText rule categories: the statuses above, plus those that are not statuses. A `proxy`
 * phrase says the text was written for the patient by a relative or carer ("Form completed by
 * daughter on behalf of patient"): from it to the text's end, "my mum", "my son" ... name the
 * patient, not another experiencer (policies/vocabulary/README.md, audit H135). */
enum engine__ctx_category {
	ENGINE_CTX_PSEUDO = ENGINE_ST_COUNT,
	ENGINE_CTX_TERMINATION,
	ENGINE_CTX_PROXY
};
enum engine__ctx_direction { ENGINE_DIR_FORWARD = 1, ENGINE_DIR_BACKWARD = 2, ENGINE_DIR_BOTH = 3 };

/* Sides of a paired body site (bits). */
enum engine__side { ENGINE_SIDE_LEFT = 1, ENGINE_SIDE_RIGHT = 2 };

/* ---- tokens ---------------------------------------------------------------------------- */

/* The punctuation around a token that the list structure of a note is read from
 * (policies/vocabulary/README.md "Lists"): bits of engine__token.marks. */
enum engine__mark {
	ENGINE_MARK_COLON = 1u << 0, /* a word followed by ':' ("Saddle anaesthesia:") */
	ENGINE_MARK_OPEN = 1u << 1,  /* a word right after '(' */
	ENGINE_MARK_CLOSE = 1u << 2, /* a word followed by ')' */
	ENGINE_MARK_DASH =
	    1u << 3, /* a word followed by a spaced dash ("nil - ...", or an en dash) */
	ENGINE_MARK_COMMA = 1u << 4, /* a word followed by ',' */
	/* on a boundary (norm NULL), what ended the sentence (several collapse into one): */
	ENGINE_MARK_STOP = 1u << 5,      /* '.' or '!' */
	ENGINE_MARK_SEMICOLON = 1u << 6, /* ';' */
	ENGINE_MARK_LINE = 1u << 7,      /* a line break */
	ENGINE_MARK_PARAGRAPH = 1u << 8, /* a blank line */
	ENGINE_MARK_BULLET = 1u << 9     /* the next line starts with a bullet ('-', '*', U+2022) */
};

/* One token of a text: bytes [start, end) of the original, `norm` its normal form (lower case,
 * "U/S" -> "us"), or a sentence boundary (norm NULL); `marks` the punctuation around it
 * (enum engine__mark bits). */
struct engine__token {
	size_t start, end;
	const char *norm;
	unsigned marks;
};

/* Splits `text` (NUL-terminated UTF-8) into tokens per policies/vocabulary/README.md "Tokens".
 * NEW in `arena`: *out, *count. Never fails (empty text -> 0 tokens). */
void engine__tokenize(const char *text, struct fhir_arena *arena, struct engine__token **out,
                      size_t *count);

/* Rewrites one lower-case word w[0..n) (NUL-terminated) in place to the spelling every variant
 * of it shares (policies/vocabulary/README.md "Spelling variants": ae/oe -> e, -our -> -or,
 * -ize -> -ise, -yze -> -yse, -tre -> -ter, -ogue -> -og, gray -> grey); returns its new length,
 * never more than n. A word with a digit is left as it is. */
size_t engine__spelling_fold(char *w, size_t n);

/* 1 when a token's normal form is an article, possessive or personal pronoun ("the", "a",
 * "an", "her", "his", "their", "she", "he", "they", "herself", "himself", "themselves", and the
 * first and second person of a quoted patient: "i", "im", "ive", "me", "my", "myself", "you",
 * "your"): a
 * concept phrase is stored without those between its first and last words, and matches text
 * with or without them there ("numb when she wipes" is "numb when wipes"). */
int engine__filler_word(const char *norm);

/* Whether word w (a NUL-terminated normal form; NULL is no word) is one of the n words of list,
 * compared whole; the first byte is tested before strcmp. ENGINE_WORD_LISTED sizes a static
 * array itself. */
int engine__word_listed(const char *w, const char *const *list, size_t n);
#define ENGINE_WORD_LISTED(w, list)                                                                \
	engine__word_listed((w), (list), sizeof(list) / sizeof((list)[0]))

/* ---- the compiled vocabulary ------------------------------------------------------------ */

/* A concept's "object" (concepts.json): what a mention of it is about decides which concept it
 * is. "Declined physio" refuses the physiotherapy, not the injection ordered: a mention whose
 * nearest concept in its sentence within `window` tokens after it (or, when none follows, before
 * it) is one of `other` and not one of `self` is read as concept `as`. Concept indexes, NEW. */
struct engine__object {
	int *other, *self;
	size_t other_count, self_count;
	int as;
	int window;
};

/* A concept's "span" (policies/vocabulary/README.md "Date spans"): a span of dates written
 * beside a mention of one of `of` in its clause ("Physio since March 2025", "naproxen since
 * 2023", "physio Jan-Apr 2025") is a mention of the concept when it lasts at least
 * `at_least` months (0: no minimum) or less than `under` months (0: no maximum), whatever
 * days the text leaves out; engine__text_spans. */
struct engine__span {
	int *of; /* concept indexes, NEW */
	size_t of_count;
	int at_least, under;
};

/* A concept's "composedOf" (policies/vocabulary/README.md "Composed concepts"): the concept is
 * mentioned wherever a phrase of part[0] and one of part[1] stand in one sentence, in either
 * order, with at most `gap` of the `links` words between them (articles and possessives are
 * free) and no comma, semicolon, colon, dash, bracket or line break between: "perineum feels
 * numb", "genitals have gone a bit numb". The match names `phrase`, the concept's phrase of no
 * words. */
struct engine__compose {
	int part[2];       /* concept indexes */
	int gap;           /* 0 to ENGINE_COMPOSE_MAX_GAP */
	char **links;      /* normalised words, NEW */
	size_t link_count; /* of links */
	size_t phrase;
	int dash_qualifier; /* 1: the second part may follow the first after a spaced dash when
	                     * it ends its clause ("Sciatica - left"); NEW */
};
#define ENGINE_COMPOSE_MAX_GAP 4

struct engine__concept {
	char *id;     /* "cauda-equina-syndrome", or "site:knee" for a region */
	char *label;  /* for card text */
	int region;   /* the region index when this is a site concept, else -1 */
	int *broader; /* concepts a mention of this one also is (concept indexes), NEW */
	size_t broader_count;
	struct engine__object *object;   /* NULL: what it is about does not matter; NEW */
	struct engine__compose *compose; /* NULL: phrases only; NEW */
	struct engine__span *span;       /* NULL: no date span is read as this concept; NEW */
};

struct engine__region {
	char *id, *label, *plural; /* "knee", "knee", "knees" */
	int paired;
	int concept;            /* its "site:<id>" concept index */
	size_t structure_count; /* its "structures" (at most ENGINE_MAX_STRUCTURES) */
	/* what sites() and siteLabel() answer, made once at load: "knee:left", "knee:right";
	 * "left knee", "right knee", "both knees" (owned) */
	char *side_id[2], *side_label[3];
};

enum engine__layer {
	ENGINE_LAYER_CONCEPT,
	ENGINE_LAYER_CONTEXT,
	ENGINE_LAYER_SITE,
	ENGINE_LAYER_SIDE
};

struct engine__phrase {
	unsigned *pattern; /* pattern ids, NEW */
	size_t length;
	enum engine__layer layer;
	int owner;  /* concept index, rule index, region index, or side bits */
	int single; /* one token of one letter ("l", "r"): laterality only right before a site */
	int blocks_sites; /* a concept phrase marked "blocksSites": no body site inside it
	                     ("cervical screening" names no spine) */
	int relative;     /* it has a "{fall:LO-HI}" token: engine__vocab_phrase_holds decides */
	int structure;    /* a site phrase of one of its region's structures (body-sites.json
	                     "structures"): 1 + its index there; 0 the region alone */
};

struct engine__rule {
	int category;       /* enum engine__status or enum engine__ctx_category */
	int direction;      /* enum engine__ctx_direction (0 for pseudo and termination) */
	int window;         /* most tokens in scope; 0: to the sentence end or a termination */
	int final_backward; /* "final": "backward": ending its sentence, it also applies to what
	                       precedes it ("Saddle anaesthesia: No") */
	int final_window;   /* "finalWindow": the most tokens that backward scope reaches; 0: as
	                       window ("?" ending a sentence queries only what it follows:
	                       "LBP, saddle numbness?") */
	unsigned ends;      /* termination: the status bits whose scopes it ends (all by default;
	                       "of": ["other"] ends only another experiencer's: "she", "he") */
	char **spare_ids; /* "spares": the concept ids it does not apply to, NULL-terminated, owned;
	                     resolved into spares by engine__vocab_compile */
	int *spares;      /* their concept indexes (a mention of one of them, or of a concept
	                     narrower than one, keeps its status): "lifelong" dates a finding
	                     ("lifelong incontinence"), not a treatment taken for life ("lifelong
	                     warfarin"); owned, NULL when none */
	size_t spare_count;
	int yields_to_uncertain; /* hypothetical, "yieldsTo": "uncertain": a plan or referral
	                            ("referral for", "awaiting") gives way to the mention's own
	                            uncertainty ("referral for ?CES" names a suspicion) */
	int dated;   /* forward history, "dated": true: applies only to a finding a year (1900-2099)
	                follows in its clause ("hx prostate ca 2016"; "Hx saddle numbness since
	                yesterday" is today's), and opens no list ("Hx: 3/7 LBP") */
	int present; /* termination, "present": true: a recent-time qualifier that in a history
	                list makes its whole item current, the words before it too ("PMH: HTN,
	                saddle numbness since yesterday", "x2 days"; H138) */
};

struct engine_vocab;

/* A new, empty vocabulary. NEW: free with engine__vocab_free (accepts NULL). */
struct engine_vocab *engine__vocab_new(void);
void engine__vocab_free(struct engine_vocab *v);
/* Adds one vocabulary file (`name` is "vocabulary/context.json", ".../concepts.json" or
 * ".../body-sites.json"; BORROWED json). Reports every error through rep with the file and a
 * JSON pointer; returns how many. */
int engine__vocab_add(struct engine_vocab *v, const cJSON *json, const char *name,
                      const struct engine_reporter *rep);
/* Resolves `broader` ids and builds the matching index; reports unknown ids. Returns errors. */
int engine__vocab_compile(struct engine_vocab *v, const struct engine_reporter *rep);
/* The concept index of an id ("fracture", "site:knee"), or -1. */
int engine__vocab_concept(const struct engine_vocab *v, const char *id);
const struct engine__concept *engine__vocab_concepts(const struct engine_vocab *v);
const struct engine__region *engine__vocab_regions(const struct engine_vocab *v, size_t *count);

/* The pattern ids one normalised token matches (its word, and each `prefix*` it starts with):
 * fills out (at most max), returns how many. */
size_t engine__vocab_match_token(const struct engine_vocab *v, const char *norm, unsigned *out,
                                 size_t max);
/* The phrase table (BORROWED) and, in *list and *count, the phrases whose first token is `pattern`.
 */
const struct engine__phrase *engine__vocab_phrases_from(const struct engine_vocab *v,
                                                        unsigned pattern, size_t **list,
                                                        size_t *count);
/* 1 when phrase `ph`, matched on tokens [from, to), holds: a phrase with a "{fall:LO-HI}" token
 * holds when that number is LO to HI per cent below the "{n:...}" number before it ("from
 * {n:1-10} to {fall:50-100}": "from 8 to 3", not "from 8 to 5"); any other phrase always. */
int engine__vocab_phrase_holds(const struct engine_vocab *v, const struct engine__phrase *ph,
                               const struct engine__token *toks, size_t from, size_t to);
/* 1 when a token with these pattern ids is a one-word laterality phrase ("left", "rt"). */
int engine__vocab_side_token(const struct engine_vocab *v, const unsigned *patterns, size_t n);
/* The display a code is read as when a record carries it without one (codes.json, and the
 * regions' SNOMED CT ids in body-sites.json), or NULL. BORROWED. */
const char *engine__vocab_code_display(const struct engine_vocab *v, const char *system,
                                       const char *code);
/* The ConText rules, indexed by a context phrase's owner (BORROWED). */
const struct engine__rule *engine__vocab_rules(const struct engine_vocab *v);
/* 1 when rule r spares concept c: c is one of r's "spares" or narrower than one (its
 * `broader`, followed up to 8 levels); 0 otherwise. */
int engine__rule_spares(const struct engine_vocab *v, const struct engine__rule *r, int c);
/* The concepts with a "composedOf" (indexes, BORROWED), *count of them. */
const int *engine__vocab_composed(const struct engine_vocab *v, size_t *count);

/* ---- annotation ------------------------------------------------------------------------- */

/* The most structures (bursa, tendon sheath, joint...) one region names in body-sites.json:
 * sameSite() keeps them as bits. */
#define ENGINE_MAX_STRUCTURES 32

/* The `concept` of a side-only mention: a text naming a side and no site. */
#define ENGINE_SIDE_ONLY (-1)

/* One mention of a concept (or a body site) in one text. */
struct engine__mention {
	int concept; /* a concept index, or ENGINE_SIDE_ONLY */
	enum engine__status status;
	unsigned sides;    /* site mentions of paired regions: ENGINE_SIDE_* bits, 0 unknown */
	int structure;     /* site mentions: the phrase's structure (1 + index), 0 the region */
	const char *text;  /* the whole field text (BORROWED from the JSON) */
	size_t start, end; /* bytes of the phrase, with the ConText trigger that applied */
};

/* Named limits on untrusted text: the bytes of one string that are read (the rest is not), and
 * the tokens of one sentence (a longer one is read in chunks: scopes do not cross them). */
#define ENGINE_TEXT_MAX_BYTES    65536
#define ENGINE_TEXT_MAX_SENTENCE 100

/* Annotates one text: every concept and site mention with its status and side. NEW in arena:
 * *out, *count. (A one-off: it takes new scratch memory from the arena each time.) */
void engine__annotate(const struct engine_vocab *v, const char *text, struct fhir_arena *arena,
                      struct engine__mention **out, size_t *count);

/* The working memory of annotation (tokens, their normal forms and patterns, sentence numbers,
 * phrase matches), kept from one text to the next so that reading many texts costs the memory
 * of the longest one, not of all of them. NEW in arena (lives as long as it); one reader at a
 * time. */
struct engine__scratch;
struct engine__scratch *engine__scratch_new(struct fhir_arena *arena);

/* A growable array of mentions in the scratch's arena. */
struct engine__mentions {
	struct engine__mention *items;
	size_t count, cap;
};
/* engine__annotate with reused scratch memory: appends the text's mentions to *out (grown in
 * the scratch's arena). The tokens of one text are gone when the next one is read. */
void engine__annotate_into(const struct engine_vocab *v, const char *text,
                           struct engine__scratch *scratch, struct engine__mentions *out);

/* ---- list structure (text_lists.c; policies/vocabulary/README.md "Lists") ------------------ */

/* The end (exclusive token index) of a list whose first item is token `from` of toks[0, ntok):
 * its own ')' (`paren`: it was opened by the '(' before `from`), a full stop, a blank line, a
 * line break that no ';' or bullet carries on, or the item of a new label ("Plan:") or of a
 * clause ("has", "is": "Denies: fever; has saddle numbness"); at most ENGINE_TEXT_MAX_SENTENCE
 * tokens. A ';', ',', "or" or a bulleted line goes on. */
size_t engine__list_end(const struct engine__token *toks, size_t ntok, size_t from, int paren);
/* Whether word w (a normal form, not NULL) is a verb that makes a list item or a comma clause a
 * clause of its own ("Denies: fever; has saddle numbness", "Denies numbness, has had faecal
 * incontinence"): "has", "have", "is", "are". Present tense only: "PMH: asthma; had discectomy
 * 2019" stays history. */
int engine__clause_verb(const char *w);
/* The first token of the list item that holds token t (items start after ',', ';', a bullet,
 * ')', a dash, "or", "and", "nor", or at '('); never before `from`. */
size_t engine__list_item_start(const struct engine__token *toks, size_t from, size_t t);
/* The end (exclusive token index) of the list item that holds token `from`: just after the ',',
 * ';' or dash that ends it, after the ')' that closes a parenthesis it sits in, or at a
 * boundary; with `paren` set, only the ')' (or a boundary) ends it, so "(currently on apixaban,
 * INR 2-3)" is one item. A '(' opened inside the item is skipped ("on warfarin (INR 2-3), HTN").
 * Never more than ENGINE_TEXT_MAX_SENTENCE tokens on. */
size_t engine__list_item_end(const struct engine__token *toks, size_t ntok, size_t from, int paren);
/* Marks (out[t] = 1, out has ntok bytes) the tokens of template questions left unanswered: a
 * line "Saddle anaesthesia?" in a block of question lines that a heading names ("Red flag
 * questions:", "CES screen:") or in which another question is answered ("Retention? No"). A
 * lone "Bilateral sciatica?" or a question inside a sentence is a suspicion and is not marked. */
void engine__unanswered_questions(const struct engine__token *toks, size_t ntok,
                                  unsigned char *out);

/* Parses "a|b|c" concept ids into indexes (arena); -1 entries for unknown ids. */
int *engine__concept_list(const struct engine_vocab *v, const char *ids, struct fhir_arena *arena,
                          size_t *count);

/* The start of a period written as month/year text (text_dates.c): "January to March 2025" ->
 * "2025-01", "since Mar 2024" -> "2024-03", "03/2025 - ongoing" -> "2025-03", "2023-2024" ->
 * "2023"; written into out (8 bytes) and returned. NULL for anything it cannot read exactly: a
 * day, a season, a relative or yearless date ("since Jan", "for 6 months"), any other word, a
 * period that runs backwards. */
const char *engine__text_period_start(const char *text, char out[8]);

/* The month (1-12) a lower-case word names, in full or by its first three letters ("nov",
 * "november", "sept"), else 0; NULL gives 0 (text_dates.c). */
int engine__text_month_word(const char *w);
/* The year 1900-2099 a word of exactly four digits writes ("2016"), else 0 (NULL: 0). */
int engine__text_year(const char *w);

/* Marks historical each affirmed concept mention (not a body site) among mentions[0, count) of
 * `text` that a past date written in its clause dates (text_dates.c): "in" or "during" and a
 * year, a month and year or "MM/YYYY" ("during pregnancy in 2022", "In 2018 she had ..."),
 * whose last month is DATED_MONTHS (12) or more before now, within 4 words of the mention, in a
 * clause (',', ';', ':', '.', a bracket, a spaced dash, "but") with no word that says the finding
 * goes on or the date is of something else ("since", "now", "new", "still", "again", "today",
 * "diagnosed", "started", "first", "on", "MRI", ...). Without now (now_year 0) nothing changes. */
void engine__text_dated_history(const char *text, struct engine__mention *mentions, size_t count,
                                const struct engine__concept *concepts, int now_year,
                                int now_month);

/* Reads the date spans of `text` against now (text_dates.c): "since" a month and year, a
 * yearless month (its latest one not after now), a year, "Christmas" or "the new year" (to
 * now); or a range "Jan-Apr 2025", "from January to May 2025", "01/25 - 05/25", "Nov 2024 to
 * Feb 2025" (a yearless range ends at or before now). For each concept with a `span` (the
 * vocabulary's, spans[0, nspans)) whose length the span settles, writes a mention of it
 * (affirmed, the span's bytes) to out (at most max) when an affirmed or historical mention of
 * one of its `of` concepts among mentions[0, count) stands in the span's clause. A span that
 * starts after now, or a range that ends after now (a plan), gives none; nor does anything
 * without now (now_year 0). Returns how many were written. */
size_t engine__text_spans(const char *text, const struct engine__mention *mentions, size_t count,
                          const struct engine__concept *concepts, const int *spans, size_t nspans,
                          int now_year, int now_month, struct engine__mention *out, size_t max);
/* The concepts with a "span" (BORROWED), in *count. */
const int *engine__vocab_span_concepts(const struct engine_vocab *v, size_t *count);

/* ---- the request side (text_host.c) ---------------------------------------------------- */

/* The FHIRPath functions the engine adds (mentions, sites, siteLabel, sameSite): policies are
 * compiled with this table; requests evaluate them through engine__host_call with a
 * struct engine__text as host_ctx. */
extern const struct fhir_path_host engine__host;
/* A request's text state: the annotation cache and the mentions() evidence notes, in an arena
 * of its own (fhir_arena_take: this thread's second cached arena), so that the evaluation's
 * arena holds only what host functions answer. NEW: engine__text_free. `vocab` may be NULL
 * (then host functions are evaluation errors). What it returns (evidence lines, order
 * concepts) lives until engine__text_free. */
struct engine__text *engine__text_new(const struct engine_vocab *vocab);
void engine__text_free(struct engine__text *t); /* accepts NULL */
/* Sizes t's table of annotated elements and sites by resource for a record of `resources`
 * resources at once, so that a long record does not double and rehash it as it is read, even
 * when the order's elements are in it already (triggering reads them first). On a record of
 * 64 resources or more, the mentions an element collects from several texts are also kept
 * once per request for the same texts (most Conditions repeat a few codings). Accepts NULL. */
void engine__text_reserve(struct engine__text *t, size_t resources);
/* The request's now (year and month): a past date written beside a finding makes it history
 * (engine__text_dated_history). Without it (NULL, or no date) dates in text change nothing. */
void engine__text_set_now(struct engine__text *t, const struct fhir_datetime *now);
/* Lets sites() of a ServiceRequest whose own words name no site read its reasonReference
 * Conditions (resolved in the request). `resolve` may be NULL. */
void engine__text_set_resolver(struct engine__text *t,
                               const cJSON *(*resolve)(const void *ctx, const char *reference),
                               const void *ctx);
/* The mentions() lists of a loaded policy set, parsed once at load: for each call of mentions()
 * whose arguments are string literals, its concept indexes and status bits, filed under the
 * literals' addresses (fhir_path_each_host_call), so a request looks a policy's list up by
 * address instead of parsing it again. Read-only once built: requests of every thread share
 * it. NEW: engine__mention_lists_free. `vocab` BORROWED, must outlive the table. */
struct engine__mention_lists;
struct engine__mention_lists *engine__mention_lists_new(const struct engine_vocab *vocab);
/* Adds the literal mentions() lists of `path` (BORROWED: the lists point at its literals, so
 * the table must not outlive the expression). */
void engine__mention_lists_add(struct engine__mention_lists *lists, const struct fhir_path *path);
void engine__mention_lists_free(struct engine__mention_lists *lists); /* accepts NULL */
/* Lets t's mentions() find the lists prepared at load (BORROWED; NULL: none), built with the
 * same vocabulary as t's. */
void engine__text_set_lists(struct engine__text *t, const struct engine__mention_lists *lists);
/* fhir_path_env.host_call for the functions of engine__host. */
int engine__host_call(const void *ctx, size_t index, const struct fhir_value *item,
                      const struct fhir_collection *args, size_t nargs, struct fhir_arena *arena,
                      struct fhir_collection *out, struct fhir_error *err);
/* "affirmed|uncertain" -> status bits; 0 when a name is not a status. */
unsigned engine__status_bits(const char *statuses);
/* The concepts the order's code, orderDetail and bodySite text mention with a status in `statuses`
 * (bits), repeats possible: NEW array in the text's arena (*out); returns how many. For the trigger
 * index (trigger.c). */
size_t engine__text_order_concepts(struct engine__text *t, const cJSON *order, unsigned statuses,
                                   const int **out);
/* Forgets the mentions() notes (before each criterion). */
void engine__text_hits_reset(struct engine__text *t);
/* How many mentions() notes there are (0 when t is NULL), and back to that many: what an
 * evaluation between the two noted is forgotten (a let evaluated while a criterion is). */
size_t engine__text_hits_mark(const struct engine__text *t);
void engine__text_hits_back(struct engine__text *t, size_t mark);
/* The phrases behind `evidence` (resources): "Condition/c1: ‘?CES’ (cauda equina syndrome,
 * uncertain)", one per resource and mention noted since the last reset. NEW in the text's
 * arena: *out; returns the count. */
size_t engine__text_evidence(struct engine__text *t, const struct fhir_collection *evidence,
                             const char ***out);

#endif
