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

struct truth_slot {
	const struct fhir__fp_memo_key *key; /* NULL: empty */
	const cJSON *node;
	const char *type, *name; /* the focus item's, compared by address */
	int depth;               /* e->depth it was worked out at */
	int truth;               /* -1 {}, 0 false, 1 true */
};
struct fhir__fp_truths {
	struct truth_slot *slots;
	size_t cap, used; /* cap a power of 2, used <= cap / 2 */
	/* the slots filled, in fill order (room for cap / 2): a clear empties those alone, not
	 * the whole table */
	size_t *filled;
};

void fhir__fp_truths_free(struct fhir__fp_truths *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t->filled);
	free(t);
}

int fhir__fp_truths_clear(struct fhir__fp_truths *t, size_t max_slots)
{
	if (t == NULL)
		return 1;
	if (t->cap > max_slots)
		return 0;
	/* the filled slots alone (a slot is empty by its key: the rest is written when filled) */
	for (size_t k = 0; k < t->used; k++)
		t->slots[t->filled[k]].key = NULL;
	t->used = 0;
	return 1;
}

static int same_key(const struct fhir__fp_memo_key *a, const struct fhir__fp_memo_key *b)
{
	return a == b ||
	       (a->hash == b->hash && a->len == b->len && memcmp(a->text, b->text, a->len) == 0);
}

static size_t slot_of(const struct fhir__fp_truths *t, const struct fhir__fp_memo_key *key,
                      const struct fhir_value *item)
{
	size_t i = (size_t)fhir__mix64(key->hash ^ (uint64_t)(uintptr_t)item->node) & (t->cap - 1);

	while (t->slots[i].key != NULL &&
	       !(t->slots[i].node == item->node && t->slots[i].type == item->type &&
	         t->slots[i].name == item->name && same_key(t->slots[i].key, key)))
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* Moves t's answers into a table of cap slots (a power of 2, more than twice t->used). */
static void grow(struct fhir__fp_truths *t, size_t cap)
{
	struct fhir__fp_truths bigger = {NULL, cap, t->used, NULL};
	size_t n = 0;

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	bigger.filled = malloc(bigger.cap / 2 * sizeof(*bigger.filled));
	if (bigger.slots == NULL || bigger.filled == NULL)
		abort();
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key != NULL) {
			struct fhir_value v = {.node = t->slots[i].node,
			                       .type = t->slots[i].type,
			                       .name = t->slots[i].name};
			size_t at = slot_of(&bigger, t->slots[i].key, &v);

			bigger.slots[at] = t->slots[i];
			bigger.filled[n++] = at;
		}
	free(t->slots);
	free(t->filled);
	*t = bigger;
}

void fhir__fp_truths_reserve(struct fhir__fp_truths **tp, size_t answers)
{
	size_t cap = 64;

	if (answers > ((size_t)1 << 20))
		answers = (size_t)1
		          << 20; /* 2^21 slots (96 MB) at most: beyond, it doubles as used */
	while (cap < 2 * answers)
		cap *= 2;
	if (cap <= 64)
		return; /* the first table that fhir__fp_memo_put makes */
	if (*tp == NULL) {
		*tp = calloc(1, sizeof(**tp));
		if (*tp == NULL)
			abort();
	}
	if ((*tp)->cap < cap)
		grow(*tp, cap);
}

int fhir__fp_memo_get(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_value *item, int *truth)
{
	struct fhir__fp_truths *t = *fhir__fp_memo_truths(e->env->memo);
	const struct truth_slot *s;

	if (t == NULL || item->kind != FHIR_VALUE_NODE)
		return 0;
	s = &t->slots[slot_of(t, n->memo_key, item)];
	if (s->key == NULL || e->depth > s->depth)
		return 0;
	*truth = s->truth;
	return 1;
}

void fhir__fp_memo_put(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_value *item, const struct fhir_collection *answer)
{
	struct fhir__fp_truths **tp = fhir__fp_memo_truths(e->env->memo), *t = *tp;
	struct truth_slot *s;
	size_t at;

	if (item->kind != FHIR_VALUE_NODE || answer->count > 1 ||
	    (answer->count == 1 && answer->items[0].kind != FHIR_VALUE_BOOLEAN))
		return; /* (never, for the functions keyed) */
	if (t == NULL) {
		t = *tp = calloc(1, sizeof(*t));
		if (t == NULL)
			abort();
	}
	if ((t->used + 1) * 2 > t->cap)
		grow(t, t->cap == 0 ? 64 : t->cap * 2);
	at = slot_of(t, n->memo_key, item);
	s = &t->slots[at];
	if (s->key == NULL)
		t->filled[t->used++] = at;
	else if (s->depth >= e->depth)
		return; /* what is there serves more depths */
	s->key = n->memo_key;
	s->node = item->node;
	s->type = item->type;
	s->name = item->name;
	s->depth = e->depth;
	s->truth = answer->count == 0 ? -1 : answer->items[0].u.boolean ? 1 : 0;
}

size_t fhir__fp_memo_answers(struct fhir_path_memo *memo)
{
	const struct fhir__fp_truths *t = *fhir__fp_memo_truths(memo);

	return t != NULL ? t->used : 0;
}
