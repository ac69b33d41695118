/* fhirpath_memo.c — remembering, for one request, the Boolean answer of a pure sub-expression
 * applied to one resource or element, so that a test several criteria write alike
 * (`verificationStatus.coding.where(code = 'refuted' or code = 'entered-in-error').empty()`,
 * written in five criteria of one policy) is worked out once per item, not once per criterion.
 *
 * At compile (fhir__fp_memo_mark) a node qualifies when it is a path ending in empty(), exists(),
 * all() or not() (so its answer is always {} or one Boolean made by fhir__fp_push_bool) and its
 * answer depends on nothing but its focus: no %variable, $index, $total, indexer, now(),
 * today(), timeOfDay(), resolve(), memberOf(), trace(), iif(), aggregate() or host function
 * (mentions() notes its hits for evidence, so it must run); $this only inside the criteria of
 * where(), exists(), all(), select() or repeat() (which bind it to their own items); any other
 * function's arguments literals. Such a node carries a key: the exact shape of its subtree
 * written out (kinds, names, operators, literals), so that the same text in two expressions
 * shares answers and nothing else does. While evaluating (fhir__fp_eval) with a memo in the
 * environment and a focus of one JSON element, the answer is looked up by (key, element,
 * type, member name) and filed after a successful evaluation. An evaluation that fails files
 * nothing; an answer found at one nesting depth is reused only at the same depth or shallower,
 * where evaluating it again could not hit the depth limit either. */
#include "fhirpath_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- compile: which nodes qualify, and their keys ------------------------------------------ */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 256 : b->cap;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = realloc(b->s, cap);
		if (b->s == NULL)
			abort(); /* architecture.md rule 5 */
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Appends a string with its length first, so that no two shapes write the same key. */
static void put_str(struct buf *b, const char *s)
{
	char num[32];
	size_t n = s != NULL ? strlen(s) : 0;

	snprintf(num, sizeof(num), s != NULL ? "%zu:" : "-:", n);
	put(b, num, strlen(num));
	if (s != NULL)
		put(b, s, n);
}

static void put_int(struct buf *b, long long v)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld;", v);
	put(b, num, strlen(num));
}

static int is_named(const struct fhir__fp_node *n, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcmp(n->name, *names) == 0)
			return 1;
	return 0;
}

/* functions whose argument is evaluated per item of their focus, with $this bound to it */
static const char *const lambda_funcs[] = {"where", "exists", "all", "select", "repeat", NULL};
/* functions whose answer depends on more than their focus and literal arguments */
static const char *const outside_funcs[] = {"now",   "today", "timeOfDay", "resolve", "memberOf",
                                            "trace", "iif",   "aggregate", "sort",    NULL};
/* functions whose answer is always {} or one Boolean from fhir__fp_push_bool */
static const char *const boolean_funcs[] = {"empty", "exists", "all", "not", NULL};

/* Writes n's shape into b; 0 when n's answer depends on nothing but its focus (in_lambda: n is
 * inside a criterion whose $this is bound below the node being keyed). */
static int shape(const struct fhir__fp_node *n, int in_lambda, struct buf *b)
{
	const struct fhir_value *v;

	if (n == NULL) {
		put(b, "~", 1);
		return 0;
	}
	put_int(b, n->kind);
	switch (n->kind) {
	case FP_LITERAL:
		v = n->lit;
		put_int(b, v->kind);
		if (v->kind == FHIR_VALUE_STRING)
			put_str(b, v->u.string);
		else if (v->kind == FHIR_VALUE_BOOLEAN)
			put_int(b, v->u.boolean);
		else if (v->kind == FHIR_VALUE_INTEGER)
			put_int(b, v->u.integer);
		else
			return -1; /* other literals are not written out: not keyed */
		return 0;
	case FP_EMPTY:
		return 0;
	case FP_IDENT:
		put_int(b, n->at_root);
		put_str(b, n->name);
		return 0;
	case FP_THIS:
		return in_lambda ? 0 : -1;
	case FP_INVOKE:
	case FP_BINARY:
	case FP_NEGATE:
	case FP_TYPE:
		put_int(b, n->op);
		if (n->kind == FP_TYPE) {
			put_str(b, n->name);
			put_str(b, n->type_arg);
			put_int(b, n->type_ns);
		}
		if (shape(n->left, in_lambda, b) != 0)
			return -1;
		if (n->kind != FP_NEGATE && n->kind != FP_TYPE &&
		    shape(n->right, in_lambda, b) != 0)
			return -1;
		return 0;
	case FP_FUNC: {
		int lambda = is_named(n, lambda_funcs);

		if (n->func == NULL || n->func == &fhir__fp_host_func || is_named(n, outside_funcs))
			return -1;
		put_str(b, n->name);
		put_int(b, n->nargs);
		if (n->func->flags & FP_F_TYPE_ARG) {
			put_str(b, n->type_arg);
			put_int(b, n->type_ns);
			return 0;
		}
		for (size_t i = 0; i < n->nargs; i++) {
			if (!lambda && n->args[i]->kind != FP_LITERAL)
				return -1; /* evaluated against the outer $this */
			if (shape(n->args[i], in_lambda || lambda, b) != 0)
				return -1;
		}
		return 0;
	}
	default: /* FP_VAR, FP_INDEX, FP_TOTAL, FP_INDEXER */
		return -1;
	}
}

void fhir__fp_memo_mark(struct fhir__fp_node *n, struct fhir_arena *arena)
{
	struct buf b = {NULL, 0, 0};

	if (n == NULL)
		return;
	fhir__fp_memo_mark(n->left, arena);
	fhir__fp_memo_mark(n->right, arena);
	for (size_t i = 0; i < n->nargs; i++)
		fhir__fp_memo_mark(n->args[i], arena);
	if (n->kind != FP_INVOKE || n->right == NULL || n->right->kind != FP_FUNC ||
	    n->right->func == &fhir__fp_host_func || !is_named(n->right, boolean_funcs))
		return;
	if (shape(n, 0, &b) == 0) {
		struct fhir__fp_memo_key *k = fhir_arena_alloc_raw(arena, sizeof(*k) + b.len + 1);

		k->hash = fhir_hash_bytes(b.s, b.len);
		k->len = b.len;
		memcpy(k->text, b.s, b.len + 1);
		n->memo_key = k;
	}
	free(b.s);
}

/* ---- evaluation: the table of answers, per request ----------------------------------------- */

/* What an answer is filed under besides its focus node: the sub-expression (by its key's text,
 * so the same text in two expressions shares answers) and the focus item's type and member name
 * (compared by address). A request meets a few dozen of them; each is kept once, in `ctxs`, and
 * the answers name it by its index, so that an answer is 16 bytes (issue 12: at 10,000
 * Conditions the table outgrew the caches at 40 bytes an answer). */
#define CTX_SEEN 32 /* a power of 2 */

struct truth_ctx {
	const struct fhir__fp_memo_key *key;
	const char *type, *name;
};

/* One answer. Its home slot is chosen by its focus node (the low two bits by its context), so
 * the answers of one resource or element lie side by side, in one or two cache lines, and the
 * several criteria that read a Condition find them there. */
struct truth_slot {
	const cJSON *node; /* NULL: empty */
	uint32_t ctx;      /* index into ctxs */
	int16_t depth;     /* e->depth it was worked out at (<= FHIR_PATH_MAX_DEPTH) */
	int8_t truth;      /* -1 {}, 0 false, 1 true */
};
struct fhir__fp_truths {
	struct truth_slot *slots;
	size_t cap, used; /* cap a power of 2 (or 0), used <= cap * 3 / 4 */
	/* the slots filled, in fill order (room for cap * 3 / 4): a clear empties those alone,
	 * not the whole table */
	uint32_t *filled;
	/* the contexts met, and their look-up table (open addressing, ctx index + 1; 0 empty) */
	struct truth_ctx *ctxs;
	size_t ctx_count, ctx_cap; /* ctx_cap a power of 2, ctx_count <= ctx_cap / 2 */
	uint32_t *ctx_slots;
	/* the last context found for each of a few memo keys, by the key's address: most look-ups
	 * end here (a direct-mapped cache in front of ctx_slots; key NULL: empty) */
	struct truth_ctx_seen {
		struct truth_ctx c;
		uint32_t ctx;
	} seen[CTX_SEEN];
};

_Static_assert(FHIR_PATH_MAX_DEPTH <= INT16_MAX, "a slot keeps the depth in 16 bits");

static void *must(void *p)
{
	if (p == NULL)
		abort(); /* architecture.md rule 5 */
	return p;
}

void fhir__fp_truths_free(struct fhir__fp_truths *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->filled);
	free(t->ctxs);
	free(t->ctx_slots);
	free(t);
}

int fhir__fp_truths_clear(struct fhir__fp_truths *t, size_t max_slots)
{
	if (t == NULL)
		return 1;
	if (t->cap > max_slots)
		return 0;
	/* the filled slots alone (a slot is empty by its node: the rest is written when filled);
	 * the contexts go too (their keys belong to compiled expressions that may be freed) */
	for (size_t k = 0; k < t->used; k++)
		t->slots[t->filled[k]].node = NULL;
	t->used = 0;
	if (t->ctx_count > 0) {
		memset(t->ctx_slots, 0, t->ctx_cap * sizeof(*t->ctx_slots));
		memset(t->seen, 0, sizeof(t->seen));
	}
	t->ctx_count = 0;
	return 1;
}

static int same_key(const struct fhir__fp_memo_key *a, const struct fhir__fp_memo_key *b)
{
	return a == b ||
	       (a->hash == b->hash && a->len == b->len && memcmp(a->text, b->text, a->len) == 0);
}

static size_t ctx_home(const struct fhir__fp_truths *t, const struct fhir__fp_memo_key *key,
                       const char *type, const char *name)
{
	return (size_t)fhir__mix64(key->hash ^ (uint64_t)(uintptr_t)type ^
	                           ((uint64_t)(uintptr_t)name << 1)) &
	       (t->ctx_cap - 1);
}

/* The index of (key, item's type and name) in t->ctxs; filed there when `add` (else
 * UINT32_MAX when it is not). */
static uint32_t ctx_find(struct fhir__fp_truths *t, const struct fhir__fp_memo_key *key,
                         const struct fhir_value *item, int add)
{
	size_t i;

	if (t->ctx_cap > 0)
		for (i = ctx_home(t, key, item->type, item->name); t->ctx_slots[i] != 0;
		     i = (i + 1) & (t->ctx_cap - 1)) {
			const struct truth_ctx *c = &t->ctxs[t->ctx_slots[i] - 1];

			if (c->type == item->type && c->name == item->name && same_key(c->key, key))
				return t->ctx_slots[i] - 1;
		}
	if (!add)
		return UINT32_MAX;
	if ((t->ctx_count + 1) * 2 > t->ctx_cap) {
		size_t cap = t->ctx_cap ? t->ctx_cap * 2 : 64;

		if (cap > UINT32_MAX / 2)
			abort();
		free(t->ctx_slots);
		t->ctx_slots = must(calloc(cap, sizeof(*t->ctx_slots)));
		t->ctxs = must(realloc(t->ctxs, cap / 2 * sizeof(*t->ctxs)));
		t->ctx_cap = cap;
		for (size_t k = 0; k < t->ctx_count; k++) {
			const struct truth_ctx *c = &t->ctxs[k];

			for (i = ctx_home(t, c->key, c->type, c->name); t->ctx_slots[i] != 0;
			     i = (i + 1) & (t->ctx_cap - 1))
				;
			t->ctx_slots[i] = (uint32_t)k + 1;
		}
	}
	for (i = ctx_home(t, key, item->type, item->name); t->ctx_slots[i] != 0;
	     i = (i + 1) & (t->ctx_cap - 1))
		;
	t->ctxs[t->ctx_count].key = key;
	t->ctxs[t->ctx_count].type = item->type;
	t->ctxs[t->ctx_count].name = item->name;
	t->ctx_slots[i] = (uint32_t)++t->ctx_count;
	return (uint32_t)(t->ctx_count - 1);
}

/* ctx_find, answered from t->seen when the same key (by address), type and name were the
 * last looked up in its entry. */
static uint32_t ctx_of(struct fhir__fp_truths *t, const struct fhir__fp_memo_key *key,
                       const struct fhir_value *item, int add)
{
	struct truth_ctx_seen *s = &t->seen[((uintptr_t)key >> 4) & (CTX_SEEN - 1)];
	uint32_t ctx;

	if (s->c.key == key && s->c.type == item->type && s->c.name == item->name)
		return s->ctx;
	ctx = ctx_find(t, key, item, add);
	if (ctx != UINT32_MAX) {
		s->c.key = key;
		s->c.type = item->type;
		s->c.name = item->name;
		s->ctx = ctx;
	}
	return ctx;
}

/* The home of (node, ctx): a hash of the node's address picks a group of four slots (a cache
 * line), the context's low two bits the slot in it. (Homes by the node's position in the
 * parsed body, which would walk the table in the record's order, were tried in round 11 and
 * left: no fewer cache misses a Condition, more instructions.) */
static size_t home_of(const struct fhir__fp_truths *t, const cJSON *node, uint32_t ctx)
{
	return (((size_t)fhir__mix64((uint64_t)(uintptr_t)node) & ~(size_t)3) | (ctx & 3)) &
	       (t->cap - 1);
}

/* The slot of (node, ctx): the one holding it, or the empty one where it would go. */
static size_t slot_of(const struct fhir__fp_truths *t, const cJSON *node, uint32_t ctx)
{
	size_t i = home_of(t, node, ctx);

	while (t->slots[i].node != NULL && !(t->slots[i].node == node && t->slots[i].ctx == ctx))
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* Moves t's answers into a table of cap slots (a power of 2, holding t->used at most 3/4 full);
 * the contexts stay as they are. */
static void grow(struct fhir__fp_truths *t, size_t cap)
{
	struct truth_slot *old = t->slots;
	size_t old_cap = t->cap, n = 0;

	if (cap > (size_t)UINT32_MAX)
		abort(); /* (filled keeps 32-bit indices) */
	t->slots = must(calloc(cap, sizeof(*t->slots)));
	free(t->filled);
	t->filled = must(malloc((cap / 4 * 3 + 1) * sizeof(*t->filled)));
	t->cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].node != NULL) {
			size_t at = slot_of(t, old[i].node, old[i].ctx);

			t->slots[at] = old[i];
			t->filled[n++] = (uint32_t)at;
		}
	t->used = n;
	free(old);
}

/* The smallest table (a power of 2, at least 64) that holds `answers` at most 3/4 full. */
static size_t cap_for(size_t answers)
{
	size_t cap = 64;

	while (cap / 4 * 3 < answers)
		cap *= 2;
	return cap;
}

void fhir__fp_truths_reserve(struct fhir__fp_truths **tp, size_t answers)
{
	size_t cap;

	if (answers > ((size_t)1 << 21))
		answers = (size_t)1
		          << 21; /* 2^22 slots (64 MB) at most: beyond, it doubles as used */
	cap = cap_for(answers);
	if (cap <= 64)
		return; /* the first table that fhir__fp_memo_put makes */
	if (*tp == NULL)
		*tp = must(calloc(1, sizeof(**tp)));
	if ((*tp)->cap < cap)
		grow(*tp, cap);
}

int fhir__fp_memo_get(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_value *item, int *truth)
{
	struct fhir__fp_truths *t = *fhir__fp_memo_truths(e->env->memo);
	const struct truth_slot *s;
	uint32_t ctx;

	if (t == NULL || t->cap == 0 || item->kind != FHIR_VALUE_NODE)
		return 0;
	ctx = ctx_of(t, n->memo_key, item, 0);
	if (ctx == UINT32_MAX)
		return 0;
	s = &t->slots[slot_of(t, item->node, ctx)];
	if (s->node == NULL || e->depth > s->depth)
		return 0;
	*truth = s->truth;
	return 1;
}

void fhir__fp_memo_put(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_value *item, const struct fhir_collection *answer)
{
	struct fhir__fp_truths **tp = fhir__fp_memo_truths(e->env->memo), *t = *tp;
	struct truth_slot *s;
	uint32_t ctx;
	size_t at;

	if (item->kind != FHIR_VALUE_NODE || item->node == NULL || answer->count > 1 ||
	    (answer->count == 1 && answer->items[0].kind != FHIR_VALUE_BOOLEAN))
		return; /* (never, for the functions keyed) */
	if (t == NULL)
		t = *tp = must(calloc(1, sizeof(*t)));
	if ((t->used + 1) * 4 > t->cap * 3)
		grow(t, t->cap == 0 ? 64 : t->cap * 2);
	ctx = ctx_of(t, n->memo_key, item, 1);
	at = slot_of(t, item->node, ctx);
	s = &t->slots[at];
	if (s->node == NULL)
		t->filled[t->used++] = (uint32_t)at;
	else if (s->depth >= e->depth)
		return; /* what is there serves more depths */
	s->node = item->node;
	s->ctx = ctx;
	s->depth = (int16_t)e->depth;
	s->truth = (int8_t)(answer->count == 0 ? -1 : answer->items[0].u.boolean ? 1 : 0);
}

size_t fhir__fp_memo_answers(struct fhir_path_memo *memo)
{
	const struct fhir__fp_truths *t = *fhir__fp_memo_truths(memo);

	return t != NULL ? t->used : 0;
}

size_t fhir__fp_memo_displacement(struct fhir_path_memo *memo, size_t *longest)
{
	const struct fhir__fp_truths *t = *fhir__fp_memo_truths(memo);
	size_t sum = 0;

	*longest = 0;
	for (size_t k = 0; t != NULL && k < t->used; k++) {
		size_t at = t->filled[k];
		size_t d = (at - home_of(t, t->slots[at].node, t->slots[at].ctx)) & (t->cap - 1);

		sum += d;
		if (d > *longest)
			*longest = d;
	}
	return sum;
}
