/* text_host.c — the per-request side of clinical text: each JSON element's text is annotated
 * once (cached by node) and read by the FHIRPath functions the engine adds to policies —
 * mentions(), sites(), siteLabel(), sameSite() (policies/vocabulary/README.md) — and by order
 * triggering. It also notes which resource and phrase made each mentions() true, so criteria can
 * name them. The caches live in an arena of the text host's own (fhir_arena_take), not in the
 * evaluation's: what a host function answers is all it leaves there, so an evaluation that calls
 * one can still be released once its truth is read (fhir_path_host.results_only) — per item of
 * a where() over a long record. The vocabulary is only read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text_internal.h"

/* The sites() of a node, worked out once per request: its sites and their sides (the
 * contradicted ones already dropped). */
struct site_entry {
	int region;
	unsigned sides;
	uint32_t structures;
};

/* One entry of the host's table by node (open addressing, slot_of): an element's mentions
 * (key: the node), an Observation read as sentences (the node's address + 1), a resource's
 * mentions as a whole (+ 2), or a node's sites (+ 3, `sites`: `count` of them). A node's keys
 * have neighbouring home slots: one or two cache lines hold what is known of a resource. */
struct cached {
	const cJSON *node;
	union {
		const struct engine__mention
		    *items;                     /* may be shared with other entries: read only */
		const struct site_entry *sites; /* key + 3 */
	};
	unsigned count;
	/* bit (concept % 32) of each item's concept (concept_bits): mentions() asks for concepts
	 * none of whose bits are here without reading the items (most of a long record's
	 * elements name none of the few concepts a criterion asks about) */
	uint32_t concepts;
};

/* A text already read in this request, by content: its mentions (their `text` is this
 * entry's copy of the words; a reader of the same words elsewhere gets them with its own). */
struct read_text {
	const char *text; /* BORROWED (the request's JSON or arena); NULL: a free slot */
	size_t hash;
	struct engine__mention *items;
	size_t count;
};

/* The arrays one element's (or one resource's) mentions were collected from, in order: each a
 * text's reading (struct read_text.items) or an element's (struct cached.items). At most
 * JOIN_PARTS are kept; `n` counts them all. */
#define JOIN_PARTS 8
/* The fewest resources of a record whose elements' arrays are joined() (engine__text_reserve). */
#define JOIN_RECORD 64
struct parts {
	const struct engine__mention *p[JOIN_PARTS];
	size_t n;
};

/* Mentions collected from several arrays, kept once per request by the sequence of arrays
 * (their concatenation is all they can be): Conditions coded alike — the same code text and
 * displays, the same problem recorded again — share one array instead of each writing a copy
 * of their own into the arena (issue 12 tenth round: a copy a Condition is a few cache lines
 * first written, and memory a Condition). */
struct joined {
	const struct engine__mention **parts; /* NULL: a free slot */
	size_t nparts, hash;
	const struct engine__mention *items;
};

struct hit {
	const cJSON *node;
	const struct engine__mention *mention;
};

struct parsed_list {
	const char *key, *status_key; /* the arguments, copied; NULL key: a free slot */
	size_t hash;
	int *list;
	size_t count;
	unsigned statuses;
	uint32_t concepts; /* concept_bits of list */
};

/* engine__text_evidence's working memory, kept between calls: the hits by node (open
 * addressing; `next` chains a node's hits in hit order), the hits found in one resource, and
 * the lines already written (open addressing by string hash). */
struct evidence_scratch {
	const cJSON **nodes;
	size_t *first;
	size_t node_cap;
	size_t *next;
	size_t *found;
	size_t hit_cap; /* room in next and found */
	const char **lines;
	size_t line_cap;
};

struct engine__text {
	const struct engine_vocab *vocab;
	struct fhir_arena *arena; /* the host's own (fhir_arena_take): it and everything below */
	struct cached *table;     /* open addressing by node pointer */
	size_t cap, used;
	struct hit *hits;
	size_t hit_count, hit_cap;
	struct parsed_list *lists; /* open addressing by the arguments' text */
	size_t list_cap, list_used;
	/* the lists last asked for by the arguments' addresses (a policy's literals: the same
	 * few, for every item of a long record), checked against the text before use */
	struct {
		const char *ids, *statuses;
		const struct parsed_list *list;
	} recent[16];
	const struct engine__mention_lists *prepared; /* the policies' literal lists, or NULL */
	struct engine__scratch *scratch;              /* annotation's working memory */
	struct read_text *texts;                      /* open addressing by content */
	size_t text_cap, text_used;
	struct joined *joins; /* open addressing by the sequence of parts */
	size_t join_cap, join_used;
	int join; /* engine__text_reserve saw a long record: arrays are joined() */
	struct engine__mentions collected; /* one element's mentions while they are collected */
	struct engine__mentions gathered;  /* one resource's, while whole_resource gathers them */
	struct parts gathered_parts;       /* the elements' arrays gathered (with mentions) */
	struct evidence_scratch ev;
	/* type_fields' last answer: a record asks about one type many times in a row */
	const char *last_type; /* BORROWED from the request */
	size_t last_first, last_count;
	/* resolve(): the request's resources by reference, for an order's reasonReference */
	const cJSON *(*resolve)(const void *ctx, const char *reference);
	const void *resolve_ctx;
	int now_year, now_month; /* engine__text_set_now; 0: dates in text change nothing */
};

const struct fhir_path_host_function engine__host_functions[] = {
    /* clang-format off */
    /* quiet (fhir.h): they fail only without a vocabulary, or mentions() on arguments that
     * are not strings (engine__host_call), which is why assess.c lets `and`/`or` skip them
     * only when one is loaded; sites() alone answers several items per item */
    {"mentions", 1, 2, FHIR_PATH_HOST_SURE | FHIR_PATH_HOST_ONE},
    {"sites", 0, 0, FHIR_PATH_HOST_SURE},
    {"siteLabel", 0, 0, FHIR_PATH_HOST_SURE | FHIR_PATH_HOST_ONE},
    {"sameSite", 1, 2, FHIR_PATH_HOST_SURE | FHIR_PATH_HOST_ONE},
    {"textStart", 0, 0, FHIR_PATH_HOST_SURE | FHIR_PATH_HOST_ONE},
    /* clang-format on */
};
const struct fhir_path_host engine__host = {
    engine__host_functions, sizeof(engine__host_functions) / sizeof(engine__host_functions[0]),
    1 /* results_only: the caches are in the host's own arena */};
enum { HOST_MENTIONS, HOST_SITES, HOST_SITE_LABEL, HOST_SAME_SITE, HOST_TEXT_START };

struct engine__text *engine__text_new(const struct engine_vocab *vocab)
{
	struct fhir_arena *arena = fhir_arena_take();
	struct engine__text *t = fhir_arena_alloc(arena, sizeof(*t));

	t->vocab = vocab;
	t->arena = arena;
	t->cap = 32; /* engine__text_reserve sizes it for the record */
	t->table = fhir_arena_alloc(arena, t->cap * sizeof(*t->table));
	t->scratch = engine__scratch_new(arena);
	return t; /* the other tables are made on first use: a coded order needs none */
}

/* The smallest power of 2 of at least `min` slots that holds n entries at load factor 1/2. */
static size_t table_cap(size_t min, size_t n)
{
	size_t cap = min;

	while (cap / 2 < n + 1 && cap < ((size_t)1 << 24))
		cap *= 2;
	return cap;
}

static void resize_cache(struct engine__text *t, size_t cap);

void engine__text_reserve(struct engine__text *t, size_t resources)
{
	size_t cap;

	if (t == NULL || resources > ((size_t)1 << 22))
		return; /* beyond 4M resources the tables double as they fill */
	/* the shipped policies read a Condition's code (≈ 1 element), all of it (whole_resource)
	 * and its sites: 3 entries; the order's own elements are read before (triggering):
	 * they move to the sized table */
	cap = table_cap(t->cap, 3 * resources + t->used);
	if (cap > t->cap)
		resize_cache(t, cap);
	t->join = resources >= JOIN_RECORD;
}

void engine__text_set_now(struct engine__text *t, const struct fhir_datetime *now)
{
	if (t == NULL)
		return;
	t->now_year = now != NULL && now->has_date ? now->year : 0;
	t->now_month = now != NULL && now->has_date && now->month > 0 ? now->month : 12;
}

void engine__text_free(struct engine__text *t)
{
	if (t != NULL)
		fhir_arena_give(t->arena); /* t is in it */
}

/* ---- annotation of elements, cached ----------------------------------------------------- */

/* One bit per concept index (modulo 32), ORed over mentions: a pre-check for find_in. */
static uint32_t concept_bit(int concept)
{
	return concept >= 0 ? (uint32_t)1 << ((unsigned)concept & 31) : 0;
}

static uint32_t concept_bits(const struct engine__mention *items, size_t count)
{
	uint32_t bits = 0;

	for (size_t i = 0; i < count; i++)
		bits |= concept_bit(items[i].concept);
	return bits;
}

static size_t slot_of(const struct cached *table, size_t cap, const cJSON *node)
{
	/* a node's keys (its address + 0 to 3) share a home from the address without its low 4
	 * bits (nodes are 64-byte aligned by fhir/json_block.c, 16 by malloc) and sit k slots on:
	 * the whole-resource and sites entries of one resource in one or two cache lines. The
	 * product's low bits would keep the address's zero bits, so the home comes from its high
	 * half */
	uintptr_t a = (uintptr_t)node;
	uint64_t h = (uint64_t)(a & ~(uintptr_t)15) * 11400714819323198485ULL;
	size_t i = ((size_t)(h ^ (h >> 32)) + (size_t)(a & 15)) & (cap - 1);

	while (table[i].node != NULL && table[i].node != node)
		i = (i + 1) & (cap - 1);
	return i;
}

/* The mentions of the texts of one element, collected in t->collected (reused: one element is
 * collected at a time, and kept with collect_end), and the texts' readings they came from
 * (`parts`): one text's is kept as it is, several texts' as the array joined() shares (a
 * Condition's code text is usually its one text, or its text and its codings' displays). */
struct collector {
	struct engine__text *t;
	struct parts parts; /* the readings of the texts that gave mentions */
	/* the texts are an evaluation's strings (mentions() or sites() on a string), in its arena,
	 * which may be released once the host function answers: a text read for the first time
	 * is copied into the host's arena, so neither the table nor a mention points into it */
	int transient;
};

static struct collector collect_begin(struct engine__text *t)
{
	struct collector c;

	memset(&c, 0, sizeof(c));
	c.t = t;
	t->collected.count = 0;
	return c;
}

static size_t text_hash(size_t h, const char *s, size_t limit);

static void add_part(struct parts *parts, const struct engine__mention *items)
{
	if (parts->n < JOIN_PARTS)
		parts->p[parts->n] = items;
	parts->n++;
}

static size_t parts_hash(const struct parts *parts)
{
	uint64_t h = parts->n;

	for (size_t k = 0; k < parts->n; k++)
		h = (h ^ (uint64_t)(uintptr_t)parts->p[k]) * 11400714819323198485ULL;
	return (size_t)(h ^ (h >> 29));
}

static size_t join_slot(const struct joined *joins, size_t cap, size_t hash,
                        const struct parts *parts)
{
	size_t i = hash & (cap - 1);

	while (joins[i].parts != NULL &&
	       !(joins[i].hash == hash && joins[i].nparts == parts->n &&
	         memcmp(joins[i].parts, parts->p, parts->n * sizeof(*parts->p)) == 0))
		i = (i + 1) & (cap - 1);
	return i;
}

/* The mentions items[0, count), collected from the arrays `parts` (two or more), as an array
 * kept in the host's arena: the one kept before for the same arrays in the same order, else a
 * copy (more than JOIN_PARTS arrays, or a short record, where few arrays repeat and the
 * look-up would cost more than it saves: always a copy). */
static const struct engine__mention *joined(struct engine__text *t, const struct parts *parts,
                                            const struct engine__mention *items, size_t count)
{
	struct engine__mention *copy;
	struct joined *j = NULL;
	size_t hash;

	if (t->join && parts->n <= JOIN_PARTS) {
		if ((t->join_used + 1) * 2 > t->join_cap) { /* load factor at most 1/2 */
			size_t cap = t->join_cap == 0 ? 64 : t->join_cap * 2;
			struct joined *bigger = fhir_arena_alloc(t->arena, cap * sizeof(*bigger));

			for (size_t k = 0; k < t->join_cap; k++)
				if (t->joins[k].parts != NULL) {
					struct parts key;

					key.n = t->joins[k].nparts;
					memcpy(key.p, t->joins[k].parts, key.n * sizeof(*key.p));
					bigger[join_slot(bigger, cap, t->joins[k].hash, &key)] =
					    t->joins[k];
				}
			t->joins = bigger;
			t->join_cap = cap;
		}
		hash = parts_hash(parts);
		j = &t->joins[join_slot(t->joins, t->join_cap, hash, parts)];
		if (j->parts != NULL)
			return j->items;
		j->parts = fhir_arena_alloc_raw(t->arena, parts->n * sizeof(*j->parts));
		memcpy(j->parts, parts->p, parts->n * sizeof(*j->parts));
		j->nparts = parts->n;
		j->hash = hash;
		t->join_used++;
	}
	copy = fhir_arena_alloc_raw(t->arena, count * sizeof(*copy));
	memcpy(copy, items, count * sizeof(*copy));
	if (j != NULL)
		j->items = copy;
	return copy;
}

static size_t text_slot(const struct read_text *texts, size_t cap, size_t hash, const char *text)
{
	size_t i = hash & (cap - 1);

	while (texts[i].text != NULL &&
	       !(texts[i].hash == hash && strcmp(texts[i].text, text) == 0))
		i = (i + 1) & (cap - 1);
	return i;
}

/* Appends to out the mentions the date spans of text give (engine__text_spans), from the
 * text's own mentions out->items[before, out->count). */
static void add_spans(struct engine__text *t, const char *text, struct engine__mentions *out,
                      size_t before)
{
	struct engine__mention found[8];
	size_t nspans, k;
	const int *spans = engine__vocab_span_concepts(t->vocab, &nspans);

	k = engine__text_spans(text, out->items + before, out->count - before,
	                       engine__vocab_concepts(t->vocab), spans, nspans, t->now_year,
	                       t->now_month, found, sizeof(found) / sizeof(found[0]));
	for (size_t i = 0; i < k; i++) {
		out->items = engine__arena_room(t->arena, out->items, out->count, &out->cap, 8,
		                                sizeof(*out->items));
		out->items[out->count++] = found[i];
	}
}

/* Appends the mentions of one text. The same words are read once per request (a code's text
 * and its coding's display, the same problem recorded twice): later readers get the first
 * reading, whose `text` is the first reader's copy of the same words. */
static void collect_mentions(struct collector *c, const char *text)
{
	struct engine__text *t = c->t;
	struct engine__mentions *out = &t->collected;
	size_t hash, i, before = out->count;
	struct read_text *e;

	if (t->vocab == NULL || text == NULL)
		return;
	if (t->text_cap == 0) {
		t->text_cap = 64;
		t->texts = fhir_arena_alloc(t->arena, t->text_cap * sizeof(*t->texts));
	}
	hash = text_hash(14695981039346656037ULL, text, (size_t)-1);
	i = text_slot(t->texts, t->text_cap, hash, text);
	e = &t->texts[i];
	if (e->text == NULL) {
		if (c->transient)
			text = fhir_arena_strdup(t->arena, text);
		engine__annotate_into(t->vocab, text, t->scratch, out);
		if (out->count > before) /* out->items is NULL while nothing was read */
			engine__text_dated_history(text, out->items + before, out->count - before,
			                           engine__vocab_concepts(t->vocab), t->now_year,
			                           t->now_month);
		if (out->count > before)
			add_spans(t, text, out, before);
		if ((t->text_used + 1) * 2 > t->text_cap) { /* load factor at most 1/2 */
			size_t cap = t->text_cap * 2;
			struct read_text *bigger =
			    fhir_arena_alloc(t->arena, cap * sizeof(*bigger));

			for (size_t k = 0; k < t->text_cap; k++)
				if (t->texts[k].text != NULL)
					bigger[text_slot(bigger, cap, t->texts[k].hash,
					                 t->texts[k].text)] = t->texts[k];
			t->texts = bigger;
			t->text_cap = cap;
			i = text_slot(t->texts, t->text_cap, hash, text);
		}
		e = &t->texts[i];
		e->text = text;
		e->hash = hash;
		e->count = out->count - before;
		if (e->count > 0) {
			e->items = fhir_arena_alloc(t->arena, e->count * sizeof(*e->items));
			memcpy(e->items, out->items + before, e->count * sizeof(*e->items));
			add_part(&c->parts, e->items);
		}
		t->text_used++;
		return;
	}
	if (e->count == 0)
		return;
	add_part(&c->parts, e->items);
	if (out->count + e->count > out->cap) {
		size_t cap = 2 * (out->count + e->count);
		struct engine__mention *bigger = fhir_arena_alloc(t->arena, cap * sizeof(*bigger));

		if (out->count > 0)
			memcpy(bigger, out->items, out->count * sizeof(*bigger));
		out->items = bigger;
		out->cap = cap;
	}
	memcpy(out->items + out->count, e->items, e->count * sizeof(*e->items));
	out->count += e->count;
}

/* items[0, count), collected from the arrays `parts`, as an array that lives as long as the
 * host: NULL for none, the one array they all came from, or the joined() array of several. */
static const struct engine__mention *kept(struct engine__text *t, const struct parts *parts,
                                          const struct engine__mention *items, size_t count)
{
	if (count == 0)
		return NULL;
	if (parts->n == 1)
		return parts->p[0]; /* the one reading: no copy */
	return joined(t, parts, items, count);
}

/* The collected mentions: into *slot as an array of their own (NEW in the arena) when `keep`,
 * else borrowed until the next collection. */
static void collect_end(struct collector *c, struct cached *slot, int keep)
{
	const struct engine__mentions *m = &c->t->collected;

	slot->count = (unsigned)m->count;
	slot->items = m->items;
	slot->concepts = concept_bits(m->items, m->count);
	if (keep)
		slot->items = kept(c->t, &c->parts, m->items, m->count);
}

/* A member whose string walk_strings reads: text, display, valueString, summary (the first
 * letter first: this runs for every member of every element read). */
static int text_member(const char *s)
{
	switch (s[0]) {
	case 't':
		return strcmp(s, "text") == 0;
	case 'd':
		return strcmp(s, "display") == 0;
	case 'v':
		return strcmp(s, "valueString") == 0;
	case 's':
		return strcmp(s, "summary") == 0;
	default:
		return 0;
	}
}

/* A member walk_strings does not go into: extension, modifierExtension, contained. */
static int skipped_member(const char *s)
{
	switch (s[0]) {
	case 'e':
		return strcmp(s, "extension") == 0;
	case 'm':
		return strcmp(s, "modifierExtension") == 0;
	case 'c':
		return strcmp(s, "contained") == 0;
	default:
		return 0;
	}
}

/* A member's string as fhir_get_string gives it: NULL unless a non-empty string. */
static const char *string_of(const cJSON *item)
{
	if (!cJSON_IsString(item) || item->valuestring == NULL || item->valuestring[0] == '\0')
		return NULL;
	return item->valuestring;
}

/* Every text, display, valueString and summary string inside node (a string node is itself). */
static void walk_strings(struct collector *c, const cJSON *node, int depth)
{
	const cJSON *child;
	/* the first display, system and code members, as fhir_get finds them (its search stops
	 * at a nameless member), read in this walk rather than searched for again below */
	const cJSON *display = NULL, *system = NULL, *code = NULL;
	int named = 1;

	if (node == NULL || depth > 12)
		return;
	if (cJSON_IsString(node)) {
		collect_mentions(c, node->valuestring);
		return;
	}
	cJSON_ArrayForEach(child, node)
	{
		if (child->string == NULL)
			named = 0;
		else if (named)
			switch (child->string[0]) {
			case 'd':
				if (display == NULL && strcmp(child->string, "display") == 0)
					display = child;
				break;
			case 's':
				if (system == NULL && strcmp(child->string, "system") == 0)
					system = child;
				break;
			case 'c':
				if (code == NULL && strcmp(child->string, "code") == 0)
					code = child;
				break;
			default:
				break;
			}
		if (cJSON_IsString(child)) {
			if (child->string != NULL && text_member(child->string))
				collect_mentions(c, child->valuestring);
			else if (child->string == NULL)
				collect_mentions(c, child->valuestring); /* an array of strings */
		} else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
			if (child->string != NULL && skipped_member(child->string))
				continue;
			walk_strings(c, child, depth + 1);
		}
	}
	/* a Coding without its display is read as the code's sourced display */
	if (cJSON_IsObject(node) && display == NULL)
		collect_mentions(
		    c, engine__vocab_code_display(c->t->vocab, string_of(system), string_of(code)));
}

/* Moves the cache entries into a new table of `cap` slots (a power of 2, more than twice
 * the entries). */
static void resize_cache(struct engine__text *t, size_t cap)
{
	struct cached *bigger = fhir_arena_alloc(t->arena, cap * sizeof(*bigger));

	for (size_t k = 0; k < t->cap && t->used > 0; k++)
		if (t->table[k].node != NULL)
			bigger[slot_of(bigger, cap, t->table[k].node)] = t->table[k];
	t->table = bigger;
	t->cap = cap;
}

/* Makes room for one more cache entry (load factor at most 1/2). */
static void grow_cache(struct engine__text *t)
{
	if ((t->used + 1) * 2 > t->cap)
		resize_cache(t, t->cap * 2);
}

/* The mentions in one element (all its strings), annotated once per request. */
static const struct cached *element(struct engine__text *t, const cJSON *node)
{
	size_t i;
	struct collector c;

	grow_cache(t);
	i = slot_of(t->table, t->cap, node);
	if (t->table[i].node == node)
		return &t->table[i];
	c = collect_begin(t);
	walk_strings(&c, node, 0);
	collect_end(&c, &t->table[i], 1);
	t->table[i].node = node;
	t->used++;
	return &t->table[i];
}

/* The text fields read on a resource (policies/vocabulary/README.md), and the ones that name
 * its body site (`site`: 1 = primary, 2 = fallback when the primary ones name none). */
struct field {
	const char *type, *member;
	int site;
};
static const struct field fields[] = {
    {"ServiceRequest", "code", 1},
    {"ServiceRequest", "bodySite", 1},
    {"ServiceRequest", "reasonCode", 2},
    {"ServiceRequest", "reasonReference", 2},
    {"ServiceRequest", "note", 2},
    {"ServiceRequest", "patientInstruction", 0},
    {"ServiceRequest", "orderDetail", 1},
    {"ServiceRequest", "supportingInfo", 0},
    {"Condition", "code", 1},
    {"Condition", "bodySite", 1},
    {"Condition", "note", 2},
    {"Condition", "evidence", 2},
    {"Condition", "stage", 0},
    {"Procedure", "code", 1},
    {"Procedure", "bodySite", 1},
    {"Procedure", "reasonCode", 2},
    {"Procedure", "reasonReference", 2},
    {"Procedure", "outcome", 0},
    {"Procedure", "complication", 0},
    {"Procedure", "statusReason", 0},
    {"Procedure", "followUp", 0},
    {"Procedure", "note", 2},
    {"Observation", "code", 1},
    {"Observation", "bodySite", 1},
    {"Observation", "valueString", 2},
    {"Observation", "valueCodeableConcept", 2},
    {"Observation", "interpretation", 0},
    {"Observation", "note", 2},
    {"Observation", "component", 0},
    {"MedicationRequest", "medicationCodeableConcept", 0},
    {"MedicationRequest", "medicationReference", 0},
    {"MedicationRequest", "dosageInstruction", 2},
    {"MedicationRequest", "reasonCode", 2},
    {"MedicationRequest", "reasonReference", 2},
    {"MedicationRequest", "statusReason", 0},
    {"MedicationRequest", "note", 2},
    {"MedicationStatement", "medicationCodeableConcept", 0},
    {"MedicationStatement", "medicationReference", 0},
    {"MedicationStatement", "dosage", 2},
    {"MedicationStatement", "reasonCode", 2},
    {"MedicationStatement", "reasonReference", 2},
    {"MedicationStatement", "statusReason", 0},
    {"MedicationStatement", "note", 2},
    {"Encounter", "type", 1},
    {"Encounter", "serviceType", 1},
    {"Encounter", "reasonCode", 2},
};

/* Most fields one type has in the table above. */
#define MAX_TYPE_FIELDS 16

/* The fields read on a resource of `type`: fields[*first, *first + count), the count returned
 * (0: a type whose text is not read field by field). The table lists a type's fields together. */
static size_t find_type_fields(const char *type, size_t *first)
{
	const size_t n = sizeof(fields) / sizeof(fields[0]);

	for (size_t i = 0, j; type != NULL && i < n; i = j) {
		for (j = i + 1; j < n && (fields[j].type == fields[i].type ||
		                          strcmp(fields[j].type, fields[i].type) == 0);
		     j++)
			;
		if (fields[i].type[0] == type[0] && strcmp(fields[i].type, type) == 0) {
			if (j - i > MAX_TYPE_FIELDS)
				abort(); /* the table above outgrew each_field: raise
				            MAX_TYPE_FIELDS */
			*first = i;
			return j - i;
		}
	}
	return 0;
}

/* find_type_fields, remembering the last type asked. */
static size_t type_fields(struct engine__text *t, const char *type, size_t *first)
{
	if (type == NULL)
		return 0;
	if (t->last_type != type && (t->last_type == NULL || strcmp(t->last_type, type) != 0)) {
		t->last_count = find_type_fields(type, &t->last_first);
		t->last_type = type;
	}
	*first = t->last_first;
	return t->last_count;
}

/* The resourceType of node and its fields (type_fields). `hint` is the type FHIRPath gave the
 * item (struct fhir_value.type: a resource's resourceType, as the model's copy of the name) or
 * NULL: when it is a type read field by field it is taken, so a record's resources are not
 * searched for their resourceType member again (and one address compares at once with the
 * last type asked); else the member is read. */
static const char *resource_type(struct engine__text *t, const cJSON *node, const char *hint,
                                 size_t *first, size_t *nfields)
{
	const char *type;

	*first = 0;
	if (hint != NULL && cJSON_IsObject(node) && (*nfields = type_fields(t, hint, first)) > 0)
		return hint;
	type = cJSON_IsObject(node) ? fhir_get_string(node, "resourceType") : NULL;
	*nfields = type_fields(t, type, first);
	return type;
}

/* The first text of a CodeableConcept (or a Coding's own display). */
static const char *concept_text(const cJSON *cc)
{
	if (fhir_get_string(cc, "text") == NULL && fhir_get_string(cc, "display") != NULL)
		return fhir_get_string(cc, "display");
	return engine__concept_text(cc);
}

/* "<name>: <value> <interpretation>" for each name of an Observation's (or component's) code —
 * its text and every coding's display — read as one sentence so that the value qualifies the
 * finding the code names ("Saddle anaesthesia: Absent", "Perianal sensation: Reduced"); a false
 * valueBoolean reads "no <name>". */
static void observation_sentences(struct engine__text *t, const cJSON *obs, struct collector *c)
{
	const cJSON *code = fhir_get(obs, "code"), *coding;
	const char *value = fhir_get_string(obs, "valueString");
	const cJSON *interp = fhir_get(obs, "interpretation");
	const char *interp_text = cJSON_IsArray(interp)
	                              ? concept_text(cJSON_GetArrayItem(interp, 0))
	                              : concept_text(interp);
	const char *names[16];
	size_t n = 0;

	if (fhir_get_string(code, "text") != NULL)
		names[n++] = fhir_get_string(code, "text");
	cJSON_ArrayForEach(coding, fhir_get(code, "coding"))
	{
		const char *display = fhir_get_string(coding, "display");

		if (display == NULL && fhir_get(coding, "display") == NULL)
			display =
			    engine__vocab_code_display(t->vocab, fhir_get_string(coding, "system"),
			                               fhir_get_string(coding, "code"));
		if (n < 16 && display != NULL)
			names[n++] = display;
	}
	if (value == NULL)
		value = concept_text(fhir_get(obs, "valueCodeableConcept"));
	for (size_t i = 0; i < n; i++) {
		if (cJSON_IsFalse(fhir_get(obs, "valueBoolean")))
			collect_mentions(c, fhir_arena_printf(t->arena, "no %s", names[i]));
		else if (value == NULL && interp_text == NULL)
			collect_mentions(c, names[i]); /* no value: the finding itself, no label */
		else
			collect_mentions(c,
			                 fhir_arena_printf(t->arena, "%s: %s %s", names[i],
			                                   value != NULL ? value : "",
			                                   interp_text != NULL ? interp_text : ""));
	}
}

/* The Observation read as sentences (itself and each component), cached under a key of its
 * own: the node's address + 1, never another node's (nodes are larger than one byte). */
static const struct cached *observation(struct engine__text *t, const cJSON *obs)
{
	const cJSON *key = (const cJSON *)(const void *)((const char *)(const void *)obs + 1);
	const cJSON *component;
	struct collector c;
	size_t i;

	grow_cache(t);
	i = slot_of(t->table, t->cap, key);
	if (t->table[i].node == key)
		return &t->table[i];
	c = collect_begin(t);
	observation_sentences(t, obs, &c);
	cJSON_ArrayForEach(component, fhir_get(obs, "component"))
	    observation_sentences(t, component, &c);
	collect_end(&c, &t->table[i], 1);
	t->table[i].node = key;
	t->used++;
	return &t->table[i];
}

/* Read together by observation(), not one by one. */
static int observation_part(const char *member)
{
	return strcmp(member, "code") == 0 || strcmp(member, "valueString") == 0 ||
	       strcmp(member, "valueCodeableConcept") == 0 ||
	       strcmp(member, "interpretation") == 0 || strcmp(member, "component") == 0;
}

/* The resource a reference in `container` names: "#id" among the container's own contained
 * resources (FHIR R4 §References: contained ids are local to their container), otherwise
 * through the request's resolver. NULL when not found. */
static const cJSON *resolve_in(const struct engine__text *t, const cJSON *container,
                               const cJSON *reference)
{
	const char *ref = fhir_get_string(reference, "reference");
	const cJSON *r;

	if (ref == NULL)
		return NULL;
	if (ref[0] == '#' && (r = fhir_find_contained(container, ref + 1)) != NULL)
		return r;
	return t->resolve != NULL ? t->resolve(t->resolve_ctx, ref) : NULL;
}

typedef void each_fn(void *ctx, const cJSON *element, const struct cached *c);

/* The members of a resource that are its type's fields (fields[first, first + nfields)), in
 * found[k] (NULL: absent), only for the fields whose site flag is in `sites` (bits 1 << site).
 * One walk of the members, each matched against the few field names (first letter, then the
 * name), not a member search per field; the first of a repeated name counts, as fhir_get
 * finds it. */
static void match_fields(const cJSON *node, size_t first, size_t nfields, unsigned sites,
                         const cJSON **found)
{
	const cJSON *child;
	size_t want[MAX_TYPE_FIELDS], nwant = 0;
	uint32_t letters[8] = {0}; /* the first letters of the wanted names, one bit each */

	for (size_t k = 0; k < nfields; k++) {
		found[k] = NULL;
		if (sites & (1u << fields[first + k].site)) {
			unsigned char c = (unsigned char)fields[first + k].member[0];

			want[nwant++] = k;
			letters[c >> 5] |= 1u << (c & 31);
		}
	}
	cJSON_ArrayForEach(child, node)
	{
		unsigned char c;

		if (child->string == NULL)
			continue;
		c = (unsigned char)child->string[0];
		if (!(letters[c >> 5] & (1u << (c & 31))))
			continue; /* most members: no wanted name starts so */
		for (size_t w = 0; w < nwant; w++) {
			size_t k = want[w];

			if (found[k] == NULL && fields[first + k].member[0] == child->string[0] &&
			    strcmp(fields[first + k].member, child->string) == 0) {
				found[k] = child;
				break;
			}
		}
	}
}

/* Calls fn for each element read on a resource of `type` (fields[first, first + nfields)):
 * those with site flag `site` when site > 0, all when 0. `known`: the fields' members as
 * match_fields found them for every site flag, or NULL to find them here. */
static void each_field(struct engine__text *t, const cJSON *node, const char *type, size_t first,
                       size_t nfields, int site, each_fn *fn, void *ctx, const cJSON *const *known)
{
	int obs = site == 0 && type[0] == 'O' && strcmp(type, "Observation") == 0;
	const cJSON *mine[MAX_TYPE_FIELDS];
	const cJSON *const *found = known;

	if (obs)
		fn(ctx, node, observation(t, node));
	if (found == NULL) {
		match_fields(node, first, nfields, site > 0 ? 1u << site : ~0u, mine);
		found = mine;
	}
	for (size_t k = 0; k < nfields; k++) {
		size_t i = first + k;

		if ((site > 0 && fields[i].site != site) ||
		    (obs && observation_part(fields[i].member)))
			continue;
		if (found[k] != NULL)
			fn(ctx, found[k], element(t, found[k]));
	}
	/* a drug named only in the Medication resource the order points to */
	if (site == 0 &&
	    (strcmp(type, "MedicationRequest") == 0 || strcmp(type, "MedicationStatement") == 0)) {
		const cJSON *med = resolve_in(t, node, fhir_get(node, "medicationReference"));
		const cJSON *ingredient;

		if (med != NULL && med != node) {
			if (fhir_get(med, "code") != NULL)
				fn(ctx, fhir_get(med, "code"), element(t, fhir_get(med, "code")));
			cJSON_ArrayForEach(ingredient, fhir_get(med, "ingredient"))
			{
				const cJSON *item = fhir_get(ingredient, "itemCodeableConcept");

				if (item != NULL)
					fn(ctx, item, element(t, item));
			}
		}
	}
}

static void gather(void *ctx, const cJSON *el, const struct cached *c)
{
	struct engine__text *t = ctx;
	struct engine__mentions *all = &t->gathered;

	(void)el;
	if (c->count == 0)
		return;
	add_part(&t->gathered_parts, c->items);
	if (all->count + c->count > all->cap) {
		size_t cap = 2 * (all->count + c->count);
		struct engine__mention *bigger = fhir_arena_alloc(t->arena, cap * sizeof(*bigger));

		if (all->count > 0)
			memcpy(bigger, all->items, all->count * sizeof(*bigger));
		all->items = bigger;
		all->cap = cap;
	}
	memcpy(all->items + all->count, c->items, c->count * sizeof(*c->items));
	all->count += c->count;
}

/* Every mention read on a resource (each_field with site 0, in its order), gathered once per
 * request and cached under the node's address + 2 (observation() uses + 1): mentions() on a
 * resource then costs one lookup, not a member search per field. */
static const struct cached *whole_resource(struct engine__text *t, const cJSON *node,
                                           const char *type, size_t first, size_t nfields,
                                           const cJSON *const *known)
{
	const cJSON *key = (const cJSON *)(const void *)((const char *)(const void *)node + 2);
	struct cached *slot;
	size_t i;

	grow_cache(t);
	i = slot_of(t->table, t->cap, key);
	if (t->table[i].node == key)
		return &t->table[i];
	t->gathered.count = 0;
	t->gathered_parts.n = 0;
	each_field(t, node, type, first, nfields, 0, gather, t, known);
	grow_cache(t); /* element() may have grown the table: find the slot again */
	slot = &t->table[slot_of(t->table, t->cap, key)];
	slot->node = key;
	slot->count = (unsigned)t->gathered.count;
	slot->concepts = concept_bits(t->gathered.items, t->gathered.count);
	slot->items = kept(t, &t->gathered_parts, t->gathered.items, t->gathered.count);
	t->used++;
	return slot;
}

/* Whether whole_resource has gathered node's mentions already. */
static int has_whole(const struct engine__text *t, const cJSON *node)
{
	const cJSON *key = (const cJSON *)(const void *)((const char *)(const void *)node + 2);

	return t->table[slot_of(t->table, t->cap, key)].node == key;
}

/* Calls fn for what is read on item: for a resource of a type read field by field, the fields
 * with site flag `site` one by one (site > 0), or all of them as one (site 0); for anything
 * else, the element itself. */
static void each_element(struct engine__text *t, const cJSON *node, const char *hint, int site,
                         each_fn *fn, void *ctx)
{
	const char *type;
	size_t first = 0, nfields;

	if (site == 0) { /* a resource read before: its whole_resource entry, found at once */
		const cJSON *key =
		    (const cJSON *)(const void *)((const char *)(const void *)node + 2);
		size_t i = slot_of(t->table, t->cap, key);

		if (t->table[i].node == key) {
			fn(ctx, node, &t->table[i]);
			return;
		}
	}
	type = resource_type(t, node, hint, &first, &nfields);
	if (nfields == 0)
		fn(ctx, node, element(t, node));
	else if (site == 0)
		fn(ctx, node, whole_resource(t, node, type, first, nfields, NULL));
	else
		each_field(t, node, type, first, nfields, site, fn, ctx, NULL);
}

/* ---- mentions() ---------------------------------------------------------------------------- */

static int same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* FNV-1a of a string's first `limit` bytes (NULL hashes apart from ""), continuing from h.
 * Table keys are compared whole: strings with a longer common prefix only share a probe
 * sequence. */
static size_t text_hash(size_t h, const char *s, size_t limit)
{
	if (s == NULL)
		return (h ^ 0xFF) * 1099511628211ULL;
	for (size_t k = 0; s[k] != '\0' && k < limit; k++)
		h = (h ^ (unsigned char)s[k]) * 1099511628211ULL;
	return (h ^ 0xFE) * 1099511628211ULL;
}

/* The slot of (ids, statuses) in a table of parsed lists: its own, or the free one to fill. */
static size_t list_slot(const struct parsed_list *lists, size_t cap, size_t hash, const char *ids,
                        const char *statuses)
{
	size_t i = hash & (cap - 1);

	while (lists[i].key != NULL && !(lists[i].hash == hash && same_text(lists[i].key, ids) &&
	                                 same_text(lists[i].status_key, statuses)))
		i = (i + 1) & (cap - 1);
	return i;
}

/* Files `list` as the answer for these argument addresses in t->recent[r]; returns it. */
static const struct parsed_list *remember_list(struct engine__text *t, size_t r, const char *ids,
                                               const char *statuses, const struct parsed_list *list)
{
	t->recent[r].ids = ids;
	t->recent[r].statuses = statuses;
	t->recent[r].list = list;
	return list;
}

/* ---- mentions() lists prepared at load ------------------------------------------------------ */

struct engine__mention_lists {
	const struct engine_vocab *vocab;
	struct fhir_arena *arena; /* the table and the lists */
	/* open addressing by the arguments' addresses: key and status_key are the expression's
	 * literals themselves (BORROWED), compared by address */
	struct parsed_list *lists;
	size_t cap, used;
};

static size_t address_slot(const struct parsed_list *lists, size_t cap, const char *ids,
                           const char *statuses)
{
	uint64_t h = (uint64_t)(uintptr_t)ids * 11400714819323198485ULL ^
	             (uint64_t)(uintptr_t)statuses * 14029467366897019727ULL;
	size_t i = (size_t)(h ^ (h >> 29)) & (cap - 1);

	while (lists[i].key != NULL && !(lists[i].key == ids && lists[i].status_key == statuses))
		i = (i + 1) & (cap - 1);
	return i;
}

/* The list prepared at load for these argument addresses, or NULL. */
static const struct parsed_list *prepared_list(const struct engine__mention_lists *l,
                                               const char *ids, const char *statuses)
{
	const struct parsed_list *p;

	if (l->cap == 0)
		return NULL;
	p = &l->lists[address_slot(l->lists, l->cap, ids, statuses)];
	return p->key != NULL ? p : NULL;
}

struct engine__mention_lists *engine__mention_lists_new(const struct engine_vocab *vocab)
{
	struct engine__mention_lists *l = calloc(1, sizeof(*l));

	if (l == NULL)
		abort(); /* architecture.md rule 5 */
	l->vocab = vocab;
	l->arena = fhir_arena_new_sized(4096);
	return l;
}

static void parse_into(const struct engine_vocab *vocab, struct fhir_arena *arena,
                       struct parsed_list *p, const char *ids, const char *statuses);

static void add_host_call(void *ctx, size_t index, const char *const *strings, size_t nargs)
{
	struct engine__mention_lists *l = ctx;
	const char *ids, *statuses;
	size_t i;

	if (index != HOST_MENTIONS || nargs < 1 || nargs > 2 || l->vocab == NULL)
		return;
	ids = strings[0];
	statuses = nargs > 1 ? strings[1] : NULL;
	if ((l->used + 1) * 2 > l->cap) { /* load factor at most 1/2 */
		size_t cap = l->cap == 0 ? 64 : l->cap * 2;
		struct parsed_list *bigger = fhir_arena_alloc(l->arena, cap * sizeof(*bigger));

		for (size_t k = 0; k < l->cap; k++)
			if (l->lists[k].key != NULL)
				bigger[address_slot(bigger, cap, l->lists[k].key,
				                    l->lists[k].status_key)] = l->lists[k];
		l->lists = bigger;
		l->cap = cap;
	}
	i = address_slot(l->lists, l->cap, ids, statuses);
	if (l->lists[i].key != NULL)
		return; /* the same literals (a shared expression) */
	parse_into(l->vocab, l->arena, &l->lists[i], ids, statuses);
	l->lists[i].key = ids;
	l->lists[i].status_key = statuses;
	l->used++;
}

void engine__mention_lists_add(struct engine__mention_lists *lists, const struct fhir_path *path)
{
	if (lists != NULL)
		fhir_path_each_host_call(path, add_host_call, lists);
}

void engine__mention_lists_free(struct engine__mention_lists *lists)
{
	if (lists == NULL)
		return;
	fhir_arena_free(lists->arena);
	free(lists);
}

void engine__text_set_lists(struct engine__text *t, const struct engine__mention_lists *lists)
{
	if (t != NULL)
		t->prepared = lists != NULL && lists->vocab == t->vocab ? lists : NULL;
}

/* p's concept indexes (in arena), their concept_bits and the status bits of mentions(ids,
 * statuses) (statuses NULL: affirmed). */
static void parse_into(const struct engine_vocab *vocab, struct fhir_arena *arena,
                       struct parsed_list *p, const char *ids, const char *statuses)
{
	p->list = engine__concept_list(vocab, ids, arena, &p->count);
	p->concepts = 0;
	for (size_t k = 0; k < p->count; k++)
		p->concepts |= concept_bit(p->list[k]);
	p->statuses = 1u << ENGINE_ST_AFFIRMED;
	if (statuses != NULL)
		p->statuses = engine__status_bits(statuses);
}

/* The concept indexes and status bits of mentions(ids, statuses), parsed once per request
 * (looked up by the arguments' text: a table, not a list, however many there are). */
static const struct parsed_list *parse_list(struct engine__text *t, const char *ids,
                                            const char *statuses)
{
	/* mentions() arguments are policy text: their first 32 bytes tell them apart */
	size_t hash, i;
	size_t r = (size_t)(((uintptr_t)ids ^ ((uintptr_t)statuses << 1)) >> 3) % 16;
	struct parsed_list *p;

	if (t->recent[r].list != NULL && t->recent[r].ids == ids &&
	    t->recent[r].statuses == statuses && same_text(t->recent[r].list->key, ids) &&
	    same_text(t->recent[r].list->status_key, statuses))
		return t->recent[r].list;
	if (t->prepared != NULL) {
		const struct parsed_list *known = prepared_list(t->prepared, ids, statuses);

		if (known != NULL)
			return remember_list(t, r, ids, statuses, known);
	}
	hash = text_hash(text_hash(14695981039346656037ULL, ids, 32), statuses, 32);

	if (t->list_cap == 0) {
		t->list_cap = 64;
		t->lists = fhir_arena_alloc(t->arena, t->list_cap * sizeof(*t->lists));
	}
	i = list_slot(t->lists, t->list_cap, hash, ids, statuses);

	if (t->lists[i].key != NULL)
		return remember_list(t, r, ids, statuses, &t->lists[i]);
	if ((t->list_used + 1) * 2 > t->list_cap) { /* load factor at most 1/2 */
		size_t cap = t->list_cap * 2;
		struct parsed_list *bigger = fhir_arena_alloc(t->arena, cap * sizeof(*bigger));

		for (size_t k = 0; k < t->list_cap; k++)
			if (t->lists[k].key != NULL)
				bigger[list_slot(bigger, cap, t->lists[k].hash, t->lists[k].key,
				                 t->lists[k].status_key)] = t->lists[k];
		t->lists = bigger;
		memset(t->recent, 0, sizeof(t->recent)); /* they point into the old table */
		t->list_cap = cap;
		i = list_slot(t->lists, t->list_cap, hash, ids, statuses);
	}
	t->list_used++;
	p = &t->lists[i];
	p->hash = hash;
	p->key = fhir_arena_strdup(t->arena, ids);
	p->status_key = fhir_arena_strdup(t->arena, statuses);
	parse_into(t->vocab, t->arena, p, ids, statuses);
	return remember_list(t, r, ids, statuses, p);
}

struct find {
	struct engine__text *t;
	const struct parsed_list *want;
	const struct engine__mention *found;
};

static void find_in(void *ctx, const cJSON *el, const struct cached *c)
{
	struct find *f = ctx;

	(void)el;
	if (!(c->concepts & f->want->concepts))
		return; /* none of the concepts asked for: no item can match */
	for (size_t i = 0; i < c->count && f->found == NULL; i++) {
		if (c->items[i].concept < 0 || !(f->want->statuses & (1u << c->items[i].status)))
			continue;
		for (size_t k = 0; k < f->want->count; k++)
			if (f->want->list[k] == c->items[i].concept)
				f->found = &c->items[i];
	}
}

static void note_hit(struct engine__text *t, const cJSON *node, const struct engine__mention *m)
{
	t->hits =
	    engine__arena_room(t->arena, t->hits, t->hit_count, &t->hit_cap, 16, sizeof(*t->hits));
	t->hits[t->hit_count].node = node;
	t->hits[t->hit_count].mention = m;
	t->hit_count++;
}

/* Appends v to a host function's answer, in the evaluation's arena (never the host's: the
 * answer is all a host function leaves there). */
static void push_answer(struct fhir_arena *arena, struct fhir_collection *out,
                        const struct fhir_value *v)
{
	fhir_collection_push(out, arena, v);
}

static void push_bool(struct fhir_arena *arena, struct fhir_collection *out, int b)
{
	struct fhir_value v = {0};

	v.kind = FHIR_VALUE_BOOLEAN;
	v.u.boolean = b ? 1 : 0;
	push_answer(arena, out, &v);
}

/* The node a FHIRPath item stands for, or NULL (then *string may hold a System string). */
static const cJSON *item_node(const struct fhir_value *item, const char **string)
{
	*string = NULL;
	if (item->kind == FHIR_VALUE_NODE)
		return item->node;
	if (item->kind == FHIR_VALUE_STRING)
		*string = item->u.string;
	return NULL;
}

static int do_mentions(struct engine__text *t, const struct fhir_value *item,
                       const struct fhir_collection *args, size_t nargs, struct fhir_arena *arena,
                       struct fhir_collection *out, struct fhir_error *err)
{
	const char *ids = NULL, *statuses = NULL, *string;
	const cJSON *node = item_node(item, &string);
	struct find f = {t, NULL, NULL};

	if (args[0].count != 1 || args[0].items[0].kind != FHIR_VALUE_STRING ||
	    (nargs > 1 && (args[1].count != 1 || args[1].items[0].kind != FHIR_VALUE_STRING))) {
		fhir_error_set(err, NULL, "expects concept ids (and statuses) as strings");
		return FHIR_ERR_EVAL;
	}
	ids = args[0].items[0].u.string;
	if (nargs > 1)
		statuses = args[1].items[0].u.string;
	f.want = parse_list(t, ids, statuses);
	if (node != NULL) {
		each_element(t, node, item->type, 0, find_in, &f);
	} else if (string != NULL) {
		struct collector c = collect_begin(t);
		struct cached one = {NULL, {NULL}, 0, 0};

		c.transient = 1;
		collect_mentions(&c, string);
		collect_end(&c, &one, 0); /* f.found is not kept: no hit without a node */
		find_in(&f, NULL, &one);
	}
	if (f.found != NULL && node != NULL)
		note_hit(t, node, f.found);
	push_bool(arena, out, f.found != NULL);
	return FHIR_OK;
}

/* ---- sites -------------------------------------------------------------------------------- */

#define MAX_SITES 16
struct site_set {
	int region[MAX_SITES];
	unsigned sides[MAX_SITES];      /* OR of the sides named; 0 none */
	uint32_t structures[MAX_SITES]; /* bit s-1: structure s of the region named; 0 none */
	int contradicted[MAX_SITES];    /* two fields give it opposite sides: unreadable */
	size_t count;
	unsigned free_sides; /* sides named with no site (a bodySite "Left") */
};

struct site_walk {
	struct engine__text *t;
	struct site_set *set;
};

static void site_in(void *ctx, const cJSON *el, const struct cached *c)
{
	struct site_walk *w = ctx;
	const struct engine__concept *concepts = engine__vocab_concepts(w->t->vocab);

	unsigned here[MAX_SITES] = {0}; /* the sides this element gives each site */
	int named[MAX_SITES] = {0};     /* the sites this element names */
	unsigned lone = 0;              /* sides it names on their own */

	(void)el;
	for (size_t i = 0; i < c->count; i++) {
		const struct engine__mention *m = &c->items[i];
		int region;
		size_t k;

		if (m->concept == ENGINE_SIDE_ONLY) {
			lone |= m->sides;
			continue;
		}
		region = concepts[m->concept].region;

		if (region < 0 || m->status == ENGINE_ST_NEGATED ||
		    m->status == ENGINE_ST_HYPOTHETICAL)
			continue;
		for (k = 0; k < w->set->count && w->set->region[k] != region; k++)
			;
		if (k == w->set->count) {
			if (k == MAX_SITES)
				continue;
			w->set->region[k] = region;
			w->set->sides[k] = 0;
			w->set->structures[k] = 0;
			w->set->contradicted[k] = 0;
			w->set->count++;
		}
		here[k] |= m->sides;
		named[k] = 1;
		if (m->structure > 0 && m->structure <= ENGINE_MAX_STRUCTURES)
			w->set->structures[k] |= (uint32_t)1 << (m->structure - 1);
	}
	/* a side this element names on its own is the side of the paired sites it names without
	 * one (a bodySite coded "Knee region structure" with text "Right"); with none, of the
	 * record's sites that have none (below, in work_out_sites) */
	{
		size_t nregions;
		const struct engine__region *regions =
		    engine__vocab_regions(w->t->vocab, &nregions);
		int paired = 0;

		for (size_t k = 0; k < w->set->count; k++)
			if (named[k] && regions[w->set->region[k]].paired) {
				paired = 1;
				if (here[k] == 0)
					here[k] = lone;
			}
		if (!paired)
			w->set->free_sides |= lone;
	}
	/* one field says left, another right, for the same joint (code text "L subacromial",
	 * bodySite "Right shoulder"): the side cannot be read (policies.md: never matches) */
	for (size_t k = 0; k < w->set->count; k++) {
		unsigned before = w->set->sides[k];

		if ((before == ENGINE_SIDE_LEFT && here[k] == ENGINE_SIDE_RIGHT) ||
		    (before == ENGINE_SIDE_RIGHT && here[k] == ENGINE_SIDE_LEFT))
			w->set->contradicted[k] = 1;
		w->set->sides[k] |= here[k];
	}
}

static void work_out_sites(struct engine__text *t, const cJSON *node, const char *hint,
                           const char *string, struct site_set *set);

/* The sites of a node (once per request: a record's Conditions are asked again for every
 * order and criterion; kept in the node table under the node's address + 3) or of a string. */
static void sites_of(struct engine__text *t, const cJSON *node, const char *hint,
                     const char *string, struct site_set *set)
{
	const cJSON *key;
	struct cached *slot;
	struct site_entry *entries = NULL;

	if (node == NULL || t->vocab == NULL) {
		work_out_sites(t, node, hint, string, set);
		return;
	}
	key = (const cJSON *)(const void *)((const char *)(const void *)node + 3);
	slot = &t->table[slot_of(t->table, t->cap, key)];
	if (slot->node == key) {
		set->count = slot->count;
		set->free_sides = 0;
		for (size_t k = 0; k < set->count; k++) {
			set->region[k] = slot->sites[k].region;
			set->sides[k] = slot->sites[k].sides;
			set->structures[k] = slot->sites[k].structures;
			set->contradicted[k] = 0;
		}
		return;
	}
	work_out_sites(t, node, hint, string, set);
	if (set->count > 0) /* work_out_sites dropped the contradicted ones */
		entries = fhir_arena_alloc_raw(t->arena, set->count * sizeof(*entries));
	for (size_t k = 0; k < set->count; k++) {
		entries[k].region = set->region[k];
		entries[k].sides = set->sides[k];
		entries[k].structures = set->structures[k];
	}
	grow_cache(t); /* work_out_sites may have grown the table: find the slot again */
	slot = &t->table[slot_of(t->table, t->cap, key)];
	slot->node = key;
	slot->sites = entries;
	slot->count = (unsigned)set->count;
	slot->concepts = 0;
	t->used++;
}

static void work_out_sites(struct engine__text *t, const cJSON *node, const char *hint,
                           const char *string, struct site_set *set)
{
	struct site_walk w = {t, set};
	size_t nregions;
	const struct engine__region *regions;

	set->count = 0;
	set->free_sides = 0;
	if (t->vocab == NULL)
		return;
	regions = engine__vocab_regions(t->vocab, &nregions);
	if (node != NULL) {
		size_t first, nfields;
		const cJSON *found[MAX_TYPE_FIELDS];
		const char *type = resource_type(t, node, hint, &first, &nfields);

		if (nfields == 0) {
			each_element(t, node, hint, 0, site_in, &w);
			goto sides;
		}
		/* the fields with site flag 1, then, when they named no site, those with 2
		 * (each_field with site 1, then 2, from one walk of the members); the same walk
		 * gathers the resource's mentions (whole_resource) when they are not yet: a
		 * resource whose sites are asked is asked what it mentions too, and its members
		 * are in cache now, not at the next pass over a long record */
		match_fields(node, first, nfields, ~0u, found);
		if (!has_whole(t, node))
			whole_resource(t, node, type, first, nfields, found);
		for (int site = 1; site <= 2 && (site == 1 || set->count == 0); site++)
			for (size_t k = 0; k < nfields; k++)
				if (fields[first + k].site == site && found[k] != NULL)
					site_in(&w, found[k], element(t, found[k]));
		/* a resource whose own words name no site (an order, a prescription): the sites
		 * of the Conditions it is for (reasonReference) */
		if (set->count == 0) {
			const cJSON *ref;

			cJSON_ArrayForEach(ref, fhir_get(node, "reasonReference"))
			{
				const cJSON *target = resolve_in(t, node, ref);

				if (target != NULL && target != node)
					each_element(t, target, NULL, 1, site_in, &w);
			}
		}
	} else if (string != NULL) {
		struct collector c = collect_begin(t);
		struct cached one = {NULL, {NULL}, 0, 0};

		c.transient = 1;
		collect_mentions(&c, string);
		collect_end(&c, &one, 0);
		site_in(&w, NULL, &one);
	}
sides:
	/* a side named on its own ("bodySite": "Left", a laterality coding) is the side of the
	 * sites that have none */
	for (size_t k = 0; k < set->count && set->free_sides != 0; k++) {
		if (set->sides[k] == 0 && regions[set->region[k]].paired)
			set->sides[k] = set->free_sides;
		/* and contradicts a side another field gives it ("LEFT knee", bodySite "Right") */
		else if ((set->sides[k] == ENGINE_SIDE_LEFT &&
		          set->free_sides == ENGINE_SIDE_RIGHT) ||
		         (set->sides[k] == ENGINE_SIDE_RIGHT &&
		          set->free_sides == ENGINE_SIDE_LEFT))
			set->contradicted[k] = 1;
	}
	/* a site whose fields contradict each other's side is not read at all */
	for (size_t k = 0, n = 0; k < set->count; k++) {
		if (!set->contradicted[k]) {
			set->region[n] = set->region[k];
			set->sides[n] = set->sides[k];
			set->structures[n] = set->structures[k];
			set->contradicted[n] = 0;
			n++;
		}
		if (k + 1 == set->count)
			set->count = n;
	}
}

static void push_string(struct fhir_arena *arena, struct fhir_collection *out, const char *s)
{
	struct fhir_value v = {0};

	v.kind = FHIR_VALUE_STRING;
	v.u.string = s;
	push_answer(arena, out, &v);
}

static void do_sites(struct engine__text *t, const struct site_set *set, struct fhir_arena *arena,
                     struct fhir_collection *out)
{
	size_t nregions;
	const struct engine__region *regions = engine__vocab_regions(t->vocab, &nregions);

	for (size_t i = 0; i < set->count; i++) {
		const struct engine__region *r = &regions[set->region[i]];

		if (set->sides[i] & ENGINE_SIDE_LEFT)
			push_string(arena, out, r->side_id[0]);
		if (set->sides[i] & ENGINE_SIDE_RIGHT)
			push_string(arena, out, r->side_id[1]);
		if (set->sides[i] == 0)
			push_string(arena, out, r->id);
	}
}

static void do_site_label(struct engine__text *t, const struct site_set *set,
                          struct fhir_arena *arena, struct fhir_collection *out)
{
	size_t nregions;
	const struct engine__region *regions = engine__vocab_regions(t->vocab, &nregions);
	const char *label = NULL;

	for (size_t i = 0; i < set->count; i++) {
		const struct engine__region *r = &regions[set->region[i]];
		const char *one;

		if (set->sides[i] == (ENGINE_SIDE_LEFT | ENGINE_SIDE_RIGHT))
			one = r->side_label[2];
		else if (set->sides[i] == ENGINE_SIDE_LEFT)
			one = r->side_label[0];
		else if (set->sides[i] == ENGINE_SIDE_RIGHT)
			one = r->side_label[1];
		else
			one = r->label;
		label = label == NULL ? one : fhir_arena_printf(arena, "%s and %s", label, one);
	}
	if (label != NULL)
		push_string(arena, out, label);
}

/* policies/vocabulary/README.md sameSite(): a shared region on sides that do not differ, and
 * with `structure` set, when both name structures of it (a bursa, a tendon sheath, the joint),
 * a shared structure: a record naming the region alone fits any of its structures. */
static int same_site(const struct site_set *a, const struct site_set *b, int structure)
{
	for (size_t i = 0; i < a->count; i++)
		for (size_t j = 0; j < b->count; j++)
			if (a->region[i] == b->region[j] &&
			    (a->sides[i] == 0 || b->sides[j] == 0 || (a->sides[i] & b->sides[j])) &&
			    (!structure || a->structures[i] == 0 || b->structures[j] == 0 ||
			     (a->structures[i] & b->structures[j])))
				return 1;
	return 0;
}

int engine__host_call(const void *ctx, size_t index, const struct fhir_value *item,
                      const struct fhir_collection *args, size_t nargs, struct fhir_arena *arena,
                      struct fhir_collection *out, struct fhir_error *err)
{
	struct engine__text *t = (struct engine__text *)ctx;
	const char *string;
	const cJSON *node = item_node(item, &string);
	struct site_set set, other;

	if (t == NULL || t->vocab == NULL) {
		fhir_error_set(err, NULL, "no clinical vocabulary is loaded");
		return FHIR_ERR_EVAL;
	}
	switch (index) {
	case HOST_MENTIONS:
		return do_mentions(t, item, args, nargs, arena, out, err);
	case HOST_SITES:
		sites_of(t, node, item->type, string, &set);
		do_sites(t, &set, arena, out);
		return FHIR_OK;
	case HOST_SITE_LABEL:
		sites_of(t, node, item->type, string, &set);
		do_site_label(t, &set, arena, out);
		return FHIR_OK;
	case HOST_SAME_SITE: {
		int same = 0;
		/* sameSite(other, 'structure'): the structures too; any other second argument,
		 * or none, the regions alone */
		int structure = nargs > 1 && args[1].count == 1 &&
		                args[1].items[0].kind == FHIR_VALUE_STRING &&
		                strcmp(args[1].items[0].u.string, "structure") == 0;

		sites_of(t, node, item->type, string, &set);
		for (size_t i = 0; i < args[0].count && !same; i++) {
			const char *s2;
			const cJSON *n2 = item_node(&args[0].items[i], &s2);

			sites_of(t, n2, args[0].items[i].type, s2, &other);
			same = same_site(&set, &other, structure);
		}
		push_bool(arena, out, same);
		return FHIR_OK;
	}
	case HOST_TEXT_START: {
		char date[8];
		const char *text = cJSON_IsString(node) ? node->valuestring : string;

		if (engine__text_period_start(text, date) != NULL)
			push_string(arena, out, fhir_arena_strndup(arena, date, strlen(date)));
		return FHIR_OK;
	}
	default:
		fhir_error_set(err, NULL, "unknown host function");
		return FHIR_ERR_EVAL;
	}
}

unsigned engine__status_bits(const char *statuses)
{
	unsigned bits = 0;
	const char *s = statuses;

	while (s != NULL && *s != '\0') {
		const char *bar = strchr(s, '|');
		size_t len = bar != NULL ? (size_t)(bar - s) : strlen(s);
		int found = 0;

		for (size_t i = 0; i < ENGINE_ST_COUNT; i++) {
			if (strlen(engine__status_names[i]) == len &&
			    strncmp(engine__status_names[i], s, len) == 0) {
				bits |= 1u << i;
				found = 1;
			}
		}
		if (!found)
			return 0;
		if (bar == NULL)
			break;
		s = bar + 1;
	}
	return bits;
}

void engine__text_set_resolver(struct engine__text *t,
                               const cJSON *(*resolve)(const void *ctx, const char *reference),
                               const void *ctx)
{
	t->resolve = resolve;
	t->resolve_ctx = ctx;
}

/* ---- triggers and evidence ---------------------------------------------------------------- */

size_t engine__text_order_concepts(struct engine__text *t, const cJSON *order, unsigned statuses,
                                   const int **out)
{
	/* FHIR R4 ServiceRequest.orderDetail: how the service is delivered ("Ultrasound guided"
	 * beside a catalogue name "Joint injection") is part of what is ordered */
	static const char *const members[] = {"code", "orderDetail", "bodySite"};
	enum { MEMBERS = sizeof(members) / sizeof(members[0]) };
	const struct cached *c[MEMBERS] = {NULL};
	size_t total = 0, n = 0;
	int *list;

	const cJSON *found[MEMBERS] = {NULL}, *child;

	*out = NULL;
	/* the first member of each name, as fhir_get finds it, from one walk of the members */
	if (cJSON_IsObject(order) && t->vocab != NULL)
		cJSON_ArrayForEach(child, order)
		{
			if (child->string == NULL)
				break; /* fhir_get's search ends here too */
			for (size_t m = 0; m < MEMBERS; m++)
				if (found[m] == NULL && child->string[0] == members[m][0] &&
				    strcmp(child->string, members[m]) == 0) {
					found[m] = child;
					break;
				}
		}
	for (size_t m = 0; m < MEMBERS; m++) {
		if (found[m] != NULL) {
			c[m] = element(t, found[m]);
			total += c[m]->count;
		}
	}
	if (total == 0)
		return 0;
	list = fhir_arena_alloc(t->arena, total * sizeof(*list));
	for (size_t m = 0; m < MEMBERS; m++)
		for (size_t i = 0; c[m] != NULL && i < c[m]->count; i++)
			if (c[m]->items[i].concept >= 0 &&
			    (statuses & (1u << c[m]->items[i].status)))
	list[n++] = c[m]->items[i].concept;
	*out = list;
	return n;
}

void engine__text_hits_reset(struct engine__text *t)
{
	if (t != NULL)
		t->hit_count = 0;
}

size_t engine__text_hits_mark(const struct engine__text *t)
{
	return t != NULL ? t->hit_count : 0;
}

void engine__text_hits_back(struct engine__text *t, size_t mark)
{
	if (t != NULL && mark < t->hit_count)
		t->hit_count = mark;
}

/* ---- evidence: the hits inside each evidence resource, in one walk of it ------------------- */

static size_t node_hash(const cJSON *node, size_t cap)
{
	return ((size_t)(uintptr_t)node >> 4) * 11400714819323198485ULL & (cap - 1);
}

/* Indexes the hits by node in t->ev (first[] / next[] chains keep hit order). */
static void index_hits(struct engine__text *t)
{
	struct evidence_scratch *ev = &t->ev;
	size_t cap = 16;

	while (cap < 2 * t->hit_count)
		cap *= 2;
	if (cap > ev->node_cap) {
		ev->node_cap = cap;
		ev->nodes = fhir_arena_alloc(t->arena, cap * sizeof(*ev->nodes));
		ev->first = fhir_arena_alloc(t->arena, cap * sizeof(*ev->first));
	} else {
		cap = ev->node_cap;
		memset(ev->nodes, 0, cap * sizeof(*ev->nodes));
	}
	if (t->hit_count > ev->hit_cap) {
		ev->hit_cap = 2 * t->hit_count;
		ev->next = fhir_arena_alloc(t->arena, ev->hit_cap * sizeof(*ev->next));
		ev->found = fhir_arena_alloc(t->arena, ev->hit_cap * sizeof(*ev->found));
	}
	for (size_t h = t->hit_count; h-- > 0;) {
		const cJSON *node = t->hits[h].node;
		size_t i = node_hash(node, cap);

		while (ev->nodes[i] != NULL && ev->nodes[i] != node)
			i = (i + 1) & (cap - 1);
		ev->next[h] = ev->nodes[i] == node ? ev->first[i] : (size_t)-1;
		ev->nodes[i] = node;
		ev->first[i] = h;
	}
}

/* Adds to ev->found every hit on `node` or inside it (to the depth the evidence rules read: a
 * node 25 levels under the resource is not looked at). */
static void hits_within(struct evidence_scratch *ev, const cJSON *node, int depth, size_t *count)
{
	const cJSON *child;
	size_t i = node_hash(node, ev->node_cap);

	while (ev->nodes[i] != NULL && ev->nodes[i] != node)
		i = (i + 1) & (ev->node_cap - 1);
	if (ev->nodes[i] == node)
		for (size_t h = ev->first[i]; h != (size_t)-1; h = ev->next[h])
			ev->found[(*count)++] = h;
	if (depth > 24 || !(cJSON_IsObject(node) || cJSON_IsArray(node)))
		return;
	cJSON_ArrayForEach(child, node) hits_within(ev, child, depth + 1, count);
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* Adds `line` to the lines written (hashed in ev->lines, which has room for `cap` lines at
 * load 1/2). Returns 0 when it was already there. */
static int new_line(struct evidence_scratch *ev, const char *line)
{
	size_t i = text_hash(14695981039346656037ULL, line, (size_t)-1) & (ev->line_cap - 1);

	while (ev->lines[i] != NULL) {
		if (strcmp(ev->lines[i], line) == 0)
			return 0;
		i = (i + 1) & (ev->line_cap - 1);
	}
	ev->lines[i] = line;
	return 1;
}

/* Makes room in ev->lines for one more of the n lines written (rehashing them). */
static void line_room(struct engine__text *t, const char **list, size_t n)
{
	struct evidence_scratch *ev = &t->ev;

	if ((n + 1) * 2 <= ev->line_cap)
		return;
	ev->line_cap = ev->line_cap < 32 ? 32 : ev->line_cap * 2;
	ev->lines = fhir_arena_alloc(t->arena, ev->line_cap * sizeof(*ev->lines));
	for (size_t k = 0; k < n; k++)
		new_line(ev, list[k]);
}

/* Appends n bytes of s at *at. */
static void put_bytes(char **at, const char *s, size_t n)
{
	memcpy(*at, s, n);
	*at += n;
}

/* "<ref>: ‘<phrase>’ (<label>[, <status>])", NEW in arena: the phrase is `len` bytes of
 * `phrase` (fewer at a NUL), as printf's "%.*s" would write them, without printf. */
static const char *evidence_line(struct fhir_arena *arena, const char *ref, const char *phrase,
                                 size_t len, const char *label, enum engine__status status)
{
	static const char open[] = " \xe2\x80\x98", close[] = "\xe2\x80\x99 (";
	const char *st = status == ENGINE_ST_AFFIRMED ? NULL : engine__status_names[status];
	size_t nref = strlen(ref), nlabel, nst = st != NULL ? strlen(st) : 0;
	char *line, *at;

	if (label == NULL)
		label = "(null)"; /* as printf writes it (a label is always loaded) */
	nlabel = strlen(label);
	len = strnlen(phrase, len);
	line = at = fhir_arena_alloc_raw(arena, nref + 1 + sizeof(open) - 1 + len + sizeof(close) -
	                                            1 + nlabel + 2 + nst + 2);
	put_bytes(&at, ref, nref);
	put_bytes(&at, ":", 1);
	put_bytes(&at, open, sizeof(open) - 1);
	put_bytes(&at, phrase, len);
	put_bytes(&at, close, sizeof(close) - 1);
	put_bytes(&at, label, nlabel);
	if (st != NULL) {
		put_bytes(&at, ", ", 2);
		put_bytes(&at, st, nst);
	}
	put_bytes(&at, ")", 2); /* with its NUL */
	return line;
}

size_t engine__text_evidence(struct engine__text *t, const struct fhir_collection *evidence,
                             const char ***out)
{
	size_t n = 0, cap = 0;
	const char **list = NULL;
	const struct engine__concept *concepts;
	struct evidence_scratch *ev;

	*out = NULL;
	if (t == NULL || t->vocab == NULL || t->hit_count == 0)
		return 0;
	ev = &t->ev;
	concepts = engine__vocab_concepts(t->vocab);
	index_hits(t);
	if (ev->line_cap > 0)
		memset(ev->lines, 0, ev->line_cap * sizeof(*ev->lines));
	for (size_t i = 0; i < evidence->count; i++) {
		const cJSON *res = evidence->items[i].node;
		char ref[160];
		size_t found = 0;

		if (evidence->items[i].kind != FHIR_VALUE_NODE || !cJSON_IsObject(res))
			continue;
		/* the hits inside this resource, in the order they were noted; its reference (its
		 * type and id strings, cache lines of their own) read only when it has any */
		hits_within(ev, res, 0, &found);
		if (found == 0 || fhir_resource_ref(res, ref, sizeof(ref)) == NULL)
			continue;
		qsort(ev->found, found, sizeof(*ev->found), by_index);
		for (size_t f = 0; f < found; f++) {
			const struct engine__mention *m = t->hits[ev->found[f]].mention;
			size_t len = m->end - m->start;
			const char *line;

			if (len > 120) { /* cut on a character boundary */
				len = 120;
				while (len > 0 &&
				       ((unsigned char)m->text[m->start + len] & 0xC0) == 0x80)
					len--;
			}
			line = evidence_line(t->arena, ref, m->text + m->start, len,
			                     concepts[m->concept].label, m->status);
			line_room(t, list, n);
			if (!new_line(ev, line))
				continue;
			list =
			    engine__arena_room(t->arena, (void *)list, n, &cap, 8, sizeof(*list));
			list[n++] = line;
		}
	}
	*out = list;
	return n;
}

int engine_path_compile(const char *text, struct fhir_path **out, struct fhir_error *err)
{
	return fhir_path_compile_host(text, &engine__host, out, err);
}

void engine_path_env(const struct engine *e, struct fhir_path_env *env)
{
	env->host_call = engine__host_call;
	env->host_ctx = engine__text_new(e != NULL ? e->vocab : NULL);
	engine__text_set_now((struct engine__text *)(uintptr_t)env->host_ctx, &env->now);
}

void engine_path_env_free(struct fhir_path_env *env)
{
	if (env == NULL || env->host_call != engine__host_call)
		return;
	engine__text_free((struct engine__text *)(uintptr_t)env->host_ctx);
	env->host_ctx = NULL;
}
