/* fhirpath_set.c — the hash set FHIRPath's set operations de-duplicate with (|, union, distinct,
 * isDistinct, intersect, exclude, subsetOf, supersetOf, repeat), so they cost linear time, not a
 * comparison per pair. A set only answers "is an item equal (fhir__fp_equal == 1) to one already
 * in?": every item is filed under hash keys chosen so that equal items always share one, and
 * fhir__fp_equal decides among the items a key finds. A JSON object or array (compared by content)
 * is found by a shallow hash (a resource's type and id), which finds the same node again too; it
 * is hashed by its whole content only when another, different one with the same shallow hash is
 * in the set (in identity mode it is found by its address alone). Must
 * not change what is equal, and must not allocate outside the arena it is given. FHIRPath N1
 * §Equality, §Combining. */
#include "fhirpath_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Key families: which kind of value a key hashes (mixed into the key, so kinds never meet). */
enum key_family {
	K_NODE = 1, /* a JSON element by its address (node identity) */
	K_TREE,     /* a JSON object or array by its content (cJSON_Compare): see K_SHALLOW */
	K_STRING,
	K_NUMBER, /* Integer and Decimal, bucketed (see number_bucket) */
	K_BOOL,
	K_DATE,     /* Date, DateTime, Time at their precision, in UTC */
	K_QTY_UNIT, /* Quantity by canonical unit and value */
	K_QTY_BASE, /* Quantity by its unit's base dimension and value in base units */
	K_SHALLOW,  /* a JSON object or array by shallow_hash: its first tree item only */
	K_DEEP,     /* a marker: the tree items of this shallow hash are filed by content */
};

/* identity mode (repeat()): a key of a NODE item carries this bit, so two NODE items meet only
 * through K_NODE; a value item (no bit) may still meet a NODE item's value keys. */
#define K_FROM_NODE 0x100u

struct key {
	unsigned family;
	uint64_t extra;    /* unit hash for quantities */
	int64_t bucket;    /* the hashed value (an address, a string hash, a number bucket) */
	int neighbours;    /* numbers: also look in bucket - 1 and bucket + 1 */
	const cJSON *tree; /* K_TREE: hashed only when the K_NODE look-up missed */
	/* K_TREE, filled by find(): the tree item filed under the shallow hash (NULL: none), and
	 * whether that hash's items are filed by content (deep) */
	uint64_t shallow;
	const struct fhir_value *first;
	int deep;
};

struct fhir__fp_set_slot {
	uint64_t hash;
	const struct fhir_value *v; /* NULL: empty */
};

/* A string's hash, 8 bytes at a time (mixed again by key_hash). */
static uint64_t str_hash(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;
	uint64_t h = 0xcbf29ce484222325ULL ^ n, w = 0;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	w = 0;
	if (n > 0)
		memcpy(&w, s, n);
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* The content hash of a JSON element, consistent with cJSON_Compare(a, b, case-sensitive):
 * equal elements hash alike. Numbers count only as "a number" (cJSON_Compare allows a relative
 * DBL_EPSILON difference), object members are summed (their order does not matter). An object
 * that repeats a member name is hashed with all its members (such JSON is invalid FHIR; cJSON
 * would compare only its first). Deeper than 64 levels only the type counts. */
static uint64_t tree_hash(const cJSON *n, int depth)
{
	uint64_t h = fhir__mix64((uint64_t)(n->type & 0xFF) + 0x9e3779b97f4a7c15ULL);
	uint64_t i = 0;

	if (depth > 64)
		return h;
	if (fhir__fp_is_string(n) || fhir__fp_json_type(n) == cJSON_Raw)
		return fhir__mix64(h ^ str_hash(n->valuestring));
	if (fhir__fp_is_array(n)) {
		for (const cJSON *c = n->child; c != NULL; c = c->next)
			h = fhir__mix64(h ^ (tree_hash(c, depth + 1) + ++i));
		return h;
	}
	if (fhir__fp_is_object(n)) {
		uint64_t sum = 0;

		for (const cJSON *c = n->child; c != NULL; c = c->next)
			sum += fhir__mix64(str_hash(c->string) ^ tree_hash(c, depth + 1));
		return fhir__mix64(h ^ sum);
	}
	return h;
}

/* The hash a K_TREE key files a JSON element under: its whole content (tree_hash), so resources
 * that share a type and id but differ (untrusted input can send thousands) fall in different
 * buckets and a set operation stays linear; the memo below computes it once per node. */
static uint64_t content_hash(const cJSON *n)
{
	return tree_hash(n, 0);
}

/* What one member tells shallow_hash: absent, a string's text, or only its JSON type. */
static uint64_t member_mark(const cJSON *m)
{
	if (m == NULL)
		return 0x51ed270b27b5e3c1ULL;
	if (fhir__fp_is_string(m) && m->valuestring != NULL)
		return str_hash(m->valuestring);
	return fhir__mix64((uint64_t)(m->type & 0xFF) + 0x2545f4914f6cdd1dULL);
}

/* A hash of a JSON element that costs a few member look-ups, not a walk of its content, and is
 * equal for elements cJSON_Compare finds equal: an object's type, "resourceType" and "id" (a
 * resource's type and id), an array's type and length. Resources told apart by it — a record's
 * Conditions — are never hashed by content: a set files the first tree item of each shallow hash
 * under it, and only when a second, different one arrives (the same id twice, objects with no id)
 * are that hash's items filed by content hash (K_DEEP marks it), so same-id input stays linear. */
static uint64_t shallow_hash(const cJSON *n)
{
	uint64_t h = fhir__mix64((uint64_t)(n->type & 0xFF) + 0x9e3779b97f4a7c15ULL);

	if (fhir__fp_is_object(n)) {
		/* the first member of each name, as cJSON_Compare looks members up; one walk that
		 * stops once both are found (a resource usually starts with them) */
		const cJSON *type = NULL, *id = NULL;
		int looking = 2;

		for (const cJSON *c = n->child; c != NULL && looking > 0; c = c->next) {
			if (c->string == NULL)
				continue;
			if (type == NULL && c->string[0] == 'r' &&
			    strcmp(c->string, "resourceType") == 0) {
				type = c;
				looking--;
			} else if (id == NULL && c->string[0] == 'i' &&
			           strcmp(c->string, "id") == 0) {
				id = c;
				looking--;
			}
		}
		return fhir__mix64(h ^ member_mark(type)) ^ member_mark(id);
	}
	if (fhir__fp_is_array(n)) {
		uint64_t count = 0;

		for (const cJSON *c = n->child; c != NULL; c = c->next)
			count++;
		return fhir__mix64(h ^ count);
	}
	return h;
}

/* ---- the memo of content hashes (fhir.h): node address -> content_hash, open addressing -- */

struct memo_slot {
	const cJSON *node; /* NULL: empty */
	uint64_t hash;
};
struct fhir_path_memo {
	struct memo_slot *slots;
	size_t cap, used;               /* cap a power of 2, used <= cap / 2 */
	struct fhir__fp_truths *truths; /* remembered Boolean answers (fhirpath_memo.c) */
};

struct fhir__fp_truths **fhir__fp_memo_truths(struct fhir_path_memo *memo)
{
	return &memo->truths;
}

/* One memo per thread is kept between requests (cleared, with its tables) instead of freed and
 * made again: a request's memo otherwise callocs its tables afresh (≈ 15k instructions a request,
 * most of it in malloc). Tables larger than MEMO_KEEP_SLOTS are not kept. */
#define MEMO_KEEP_SLOTS 1024
static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void memo_release(struct fhir_path_memo *memo)
{
	free(memo->slots);
	fhir__fp_truths_free(memo->truths);
	free(memo);
}

static void memo_destroy(void *p)
{
	memo_release(p);
}

static void memo_init(void)
{
	if (pthread_key_create(&memo_key, memo_destroy) != 0)
		abort(); /* architecture.md rule 5: out of resources */
}

struct fhir_path_memo *fhir_path_memo_new(void)
{
	struct fhir_path_memo *m;

	pthread_once(&memo_once, memo_init);
	m = pthread_getspecific(memo_key);
	if (m != NULL) {
		if (pthread_setspecific(memo_key, NULL) != 0)
			abort();
		return m; /* cleared when given back */
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		abort();
	return m;
}

void fhir_path_memo_free(struct fhir_path_memo *memo)
{
	if (memo == NULL)
		return;
	pthread_once(&memo_once, memo_init);
	if (memo->cap <= MEMO_KEEP_SLOTS && pthread_getspecific(memo_key) == NULL &&
	    fhir__fp_truths_clear(memo->truths, MEMO_KEEP_SLOTS)) {
		if (memo->cap > 0)
			memset(memo->slots, 0, memo->cap * sizeof(*memo->slots));
		memo->used = 0;
		if (pthread_setspecific(memo_key, memo) != 0)
			abort();
		return;
	}
	memo_release(memo);
}

void fhir_path_memo_reserve(struct fhir_path_memo *memo, size_t answers)
{
	if (memo != NULL && answers > 0)
		fhir__fp_truths_reserve(fhir__fp_memo_truths(memo), answers);
}

static size_t memo_slot(const struct memo_slot *slots, size_t cap, const cJSON *node)
{
	size_t i = (size_t)fhir__mix64((uint64_t)(uintptr_t)node) & (cap - 1);

	while (slots[i].node != NULL && slots[i].node != node)
		i = (i + 1) & (cap - 1);
	return i;
}

/* content_hash(n), from the memo when it has it (then filed there). */
static uint64_t tree_hash_memo(struct fhir_path_memo *m, const cJSON *n)
{
	size_t i;
	uint64_t h;

	if (m == NULL)
		return content_hash(n);
	if (m->cap > 0) {
		i = memo_slot(m->slots, m->cap, n);
		if (m->slots[i].node == n)
			return m->slots[i].hash;
	}
	h = content_hash(n);
	if ((m->used + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64; /* 1 KB: a small record needs no more */
		struct memo_slot *slots;

		if (cap > SIZE_MAX / 2 / sizeof(*slots))
			abort();
		slots = calloc(cap, sizeof(*slots));
		if (slots == NULL)
			abort();
		for (size_t k = 0; k < m->cap; k++)
			if (m->slots[k].node != NULL)
				slots[memo_slot(slots, cap, m->slots[k].node)] = m->slots[k];
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	i = memo_slot(m->slots, m->cap, n);
	m->slots[i].node = n;
	m->slots[i].hash = h;
	m->used++;
	return h;
}

/* Numbers equal under dec_cmp (|x - y| <= 1e-10 * max(1, |x|, |y|)) are at most 1.0000001e-10
 * apart on the scale g (g(x) = x within [-1, 1], sign(x) * (1 + ln |x|) outside), so they fall
 * into the same or a neighbouring bucket of width 1e-9. */
static int64_t number_bucket(double x)
{
	double g;

	if (!isfinite(x))
		return INT64_MAX;
	g = fabs(x) <= 1.0 ? x : copysign(1.0 + log(fabs(x)), x);
	return (int64_t)floor(g / 1e-9);
}

static void number_key(struct key *k, unsigned family, uint64_t extra, double x)
{
	k->family = family;
	k->extra = extra;
	k->bucket = number_bucket(x);
	k->neighbours = k->bucket != INT64_MAX;
}

/* Dates are equal when they have the same precision (seconds and milliseconds count as one)
 * and the same fields after moving both to UTC when they carry a time (fhir_datetime_compare).
 * A value whose UTC form falls outside years 1-9999 is keyed by its precision only. */
static void date_key(struct key *k, const struct fhir_datetime *dt)
{
	struct fhir_datetime u = *dt;
	int prec = dt->precision == FHIR_PREC_MILLISECOND ? FHIR_PREC_SECOND : (int)dt->precision;
	int64_t b = prec * 2 + (dt->has_date ? 1 : 0);
	int shifted = 1;

	if (prec >= FHIR_PREC_HOUR)
		shifted = fhir_datetime_add(&u, u.has_tz ? -(int64_t)u.tz_minutes : 0, "minute") ==
		          FHIR_OK;
	if (shifted) {
		if (dt->has_date) {
			b = b * 10007 + u.year;
			if (prec >= FHIR_PREC_MONTH)
				b = b * 13 + u.month;
			if (prec >= FHIR_PREC_DAY)
				b = b * 32 + u.day;
		}
		if (prec >= FHIR_PREC_HOUR)
			b = b * 24 + u.hour;
		if (prec >= FHIR_PREC_MINUTE)
			b = b * 60 + u.minute;
		if (prec >= FHIR_PREC_SECOND)
			b = b * 60000 + u.second * 1000 + u.millis;
	}
	k->family = K_DATE;
	k->bucket = b;
}

/* The keys of item v (at most 3): 0 when v is never equal to anything (a TypeInfo). */
static int keys_of(const struct fhir_value *v, int identity, struct key *k)
{
	struct fhir_value p;
	int n = 0;

	memset(k, 0, 3 * sizeof(*k));
	if (v->kind == FHIR_VALUE_NODE && v->node == NULL)
		return 0; /* cJSON_Compare(NULL, ...) is false */
	if (!fhir__fp_prim(v, &p)) {
		/* an object or array: by its address in identity mode, else by its content alone
		 * (K_TREE finds the same node too, as its first shallow-hash item or by its content
		 * hash: one key, and one slot a Condition, instead of two) */
		if (identity && v->kind == FHIR_VALUE_NODE) {
			k[n].family = K_NODE;
			k[n++].bucket = (int64_t)(uintptr_t)v->node;
		} else if (!identity) {
			k[n].family = K_TREE;
			k[n++].tree = v->node;
		}
		return n;
	}
	if (v->kind == FHIR_VALUE_NODE) {
		k[n].family = K_NODE;
		k[n++].bucket = (int64_t)(uintptr_t)v->node;
	}
	switch (p.kind) {
	case FHIR_VALUE_STRING: {
		struct fhir_datetime dt;

		k[n].family = K_STRING;
		k[n++].bucket = (int64_t)str_hash(p.u.string);
		/* a JSON string is read as a date when compared with one (coerce_pair) */
		if (v->kind == FHIR_VALUE_NODE && p.u.string != NULL &&
		    fhir_datetime_parse(p.u.string, &dt, NULL) == FHIR_OK)
			date_key(&k[n++], &dt);
		break;
	}
	case FHIR_VALUE_INTEGER:
		number_key(&k[n++], K_NUMBER, 0, (double)p.u.integer);
		break;
	case FHIR_VALUE_DECIMAL:
		number_key(&k[n++], K_NUMBER, 0, p.u.decimal);
		break;
	case FHIR_VALUE_BOOLEAN:
		k[n].family = K_BOOL;
		k[n++].bucket = p.u.boolean;
		break;
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
	case FHIR_VALUE_TIME:
		date_key(&k[n++], &p.u.datetime);
		break;
	case FHIR_VALUE_QUANTITY: {
		const char *unit = fhir__fp_canonical_unit(p.u.quantity.unit), *base;
		double factor;

		number_key(&k[n++], K_QTY_UNIT, str_hash(unit), p.u.quantity.value);
		if (fhir__fp_unit_base(unit, &base, &factor))
			number_key(&k[n++], K_QTY_BASE, str_hash(base),
			           p.u.quantity.value * factor);
		break;
	}
	default:
		break;
	}
	if (identity && v->kind == FHIR_VALUE_NODE)
		for (int i = 1; i < n; i++)
			k[i].family |= K_FROM_NODE;
	return n;
}

static uint64_t key_hash(const struct fhir__fp_set *s, const struct key *k, int64_t delta)
{
	uint64_t h = fhir__mix64(((uint64_t)k->family << 56) ^ k->extra ^
	                         fhir__mix64((uint64_t)k->bucket + (uint64_t)delta));

	return (h & s->mask) | 1; /* never 0 */
}

/* 1 if the set's item `kept` makes v a duplicate. */
static int same(const struct fhir__fp_set *s, const struct fhir_value *kept,
                const struct fhir_value *v)
{
	if (kept->kind == FHIR_VALUE_NODE && v->kind == FHIR_VALUE_NODE) {
		if (kept->node == v->node)
			return 1;
		if (s->identity)
			return 0;
	}
	return fhir__fp_equal(kept, v) == 1;
}

static int find_hash(const struct fhir__fp_set *s, uint64_t h, const struct fhir_value *v)
{
	size_t i = (size_t)h & (s->cap - 1);

	for (; s->slots[i].v != NULL; i = (i + 1) & (s->cap - 1))
		if (s->slots[i].hash == h && same(s, s->slots[i].v, v))
			return 1;
	return 0;
}

/* 1 for an item filed by its JSON content: an object or array that is no FHIRPath primitive. */
static int tree_item(const struct fhir_value *v)
{
	struct fhir_value p;

	return v->kind == FHIR_VALUE_NODE && v->node != NULL && !fhir__fp_prim(v, &p);
}

/* The slot hash of a K_SHALLOW or K_DEEP key for shallow hash `shallow`. */
static uint64_t shallow_key(const struct fhir__fp_set *s, unsigned family, uint64_t shallow)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.family = family;
	k.bucket = (int64_t)shallow;
	return key_hash(s, &k, 0);
}

/* The tree item filed under shallow hash `shallow` (one at most), or NULL. */
static const struct fhir_value *shallow_first(const struct fhir__fp_set *s, uint64_t shallow)
{
	uint64_t h = shallow_key(s, K_SHALLOW, shallow);

	for (size_t i = (size_t)h & (s->cap - 1); s->slots[i].v != NULL; i = (i + 1) & (s->cap - 1))
		if (s->slots[i].hash == h && tree_item(s->slots[i].v) &&
		    shallow_hash(s->slots[i].v->node) == shallow)
			return s->slots[i].v;
	return NULL;
}

/* 1 when the tree items of shallow hash `shallow` (`first` filed under it) are filed by content:
 * a K_DEEP marker holding `first` itself. */
static int shallow_deep(const struct fhir__fp_set *s, uint64_t shallow,
                        const struct fhir_value *first)
{
	uint64_t h = shallow_key(s, K_DEEP, shallow);

	for (size_t i = (size_t)h & (s->cap - 1); s->slots[i].v != NULL; i = (i + 1) & (s->cap - 1))
		if (s->slots[i].hash == h && s->slots[i].v == first)
			return 1;
	return 0;
}

/* content_hash of a K_TREE key's element, worked out once (then kept in its bucket). */
static void tree_bucket(const struct fhir__fp_set *s, struct key *k)
{
	if (k->bucket == 0)
		k->bucket = (int64_t)tree_hash_memo(s->memo, k->tree) | 1;
}

static int find(const struct fhir__fp_set *s, const struct fhir_value *v, struct key *k, int n)
{
	for (int i = 0; i < n; i++) {
		struct key probe;

		if (k[i].family == K_TREE) {
			/* no tree item of the same shallow hash: none equal; one, not yet filed
			 * by content: compare with it; else look its content hash up */
			k[i].shallow = shallow_hash(k[i].tree);
			k[i].first = shallow_first(s, k[i].shallow);
			if (k[i].first == NULL)
				continue;
			k[i].deep = shallow_deep(s, k[i].shallow, k[i].first);
			if (!k[i].deep) {
				if (same(s, k[i].first, v))
					return 1;
				continue;
			}
			tree_bucket(s, &k[i]);
		}
		probe = k[i];
		if (s->identity && v->kind == FHIR_VALUE_NODE)
			probe.family &=
			    ~K_FROM_NODE; /* a NODE item meets other NODEs by address only */
		if (find_hash(s, key_hash(s, &probe, 0), v))
			return 1;
		if (probe.neighbours && (find_hash(s, key_hash(s, &probe, -1), v) ||
		                         find_hash(s, key_hash(s, &probe, 1), v)))
			return 1;
		/* a value item also meets NODE items' value keys in identity mode */
		if (s->identity && v->kind != FHIR_VALUE_NODE && probe.family != K_NODE) {
			probe.family |= K_FROM_NODE;
			if (find_hash(s, key_hash(s, &probe, 0), v))
				return 1;
			if (probe.neighbours && (find_hash(s, key_hash(s, &probe, -1), v) ||
			                         find_hash(s, key_hash(s, &probe, 1), v)))
				return 1;
		}
	}
	return 0;
}

static void put(struct fhir__fp_set *s, uint64_t h, const struct fhir_value *v)
{
	size_t i = (size_t)h & (s->cap - 1);

	while (s->slots[i].v != NULL)
		i = (i + 1) & (s->cap - 1);
	s->slots[i].hash = h;
	s->slots[i].v = v;
	s->used++;
}

static void grow(struct fhir__fp_set *s, size_t need)
{
	struct fhir__fp_set_slot *old = s->slots;
	size_t old_cap = s->cap, cap = s->cap ? s->cap : 16;

	while (cap < need + need / 2) { /* load at most 2/3 */
		if (cap > SIZE_MAX / 2 / sizeof(*old))
			abort();
		cap *= 2;
	}
	if (cap == s->cap)
		return;
	s->slots = fhir_arena_alloc(s->arena, cap * sizeof(*s->slots));
	s->cap = cap;
	s->used = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].v != NULL)
			put(s, old[i].hash, old[i].v);
}

void fhir__fp_set_init(struct fhir__fp_set *s, struct fhir_arena *arena, size_t expect,
                       int identity)
{
	memset(s, 0, sizeof(*s));
	s->arena = arena;
	s->identity = identity;
	s->mask = ~(uint64_t)0;
	grow(s, expect + 4);
}

void fhir__fp_set_ev(struct fhir__fp_ev *e, struct fhir__fp_set *s, size_t expect, int identity)
{
	fhir__fp_set_init(s, e->arena, expect, identity);
	s->memo = e->env->memo;
}

int fhir__fp_set_has(const struct fhir__fp_set *s, const struct fhir_value *v)
{
	struct key k[3];
	int n = keys_of(v, s->identity, k);

	return find(s, v, k, n);
}

int fhir__fp_set_add(struct fhir__fp_set *s, const struct fhir_value *v)
{
	struct key k[3];
	int n = keys_of(v, s->identity, k);

	if (find(s, v, k, n))
		return 0;
	if (n == 0)
		return 1; /* never equal to anything: not filed */
	grow(s, s->used + (size_t)n + 2);
	for (int i = 0; i < n; i++) {
		if (k[i].family == K_TREE && k[i].first == NULL) {
			put(s, shallow_key(s, K_SHALLOW, k[i].shallow), v);
			continue;
		}
		if (k[i].family == K_TREE && !k[i].deep) {
			/* a second tree item of this shallow hash: from now on by content */
			struct key first = k[i];

			first.tree = k[i].first->node;
			first.bucket = 0;
			tree_bucket(s, &first);
			put(s, shallow_key(s, K_DEEP, k[i].shallow), k[i].first);
			put(s, key_hash(s, &first, 0), k[i].first);
		}
		if (k[i].family == K_TREE)
			tree_bucket(s, &k[i]);
		put(s, key_hash(s, &k[i], 0), v);
	}
	return 1;
}
