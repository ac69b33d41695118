/* fhirpath_functions.c — the FHIRPath function table (FHIRPath N1 §Functions, FHIR R4 §2.24
 * additions: extension, hasValue, memberOf, resolve) and the functions on collections: existence,
 * filtering, subsetting, combining, tree navigation, utility, aggregate. Strings, conversions and
 * math live in fhirpath_strings.c, fhirpath_convert.c and fhirpath_math.c; adding a function is
 * writing it and adding a row to a table. Must not do I/O: memberOf/resolve use env callbacks. */
#include "fhirpath_internal.h"

#include <string.h>

#define FN   FHIR__FP_FN
#define PUSH FHIR__FP_PUSH

const struct fhir_value fhir__fp_booleans[2] = {
    {.kind = FHIR_VALUE_BOOLEAN, .u.boolean = 0},
    {.kind = FHIR_VALUE_BOOLEAN, .u.boolean = 1},
};

int fhir__fp_push_int(struct fhir__fp_ev *e, struct fhir_collection *out, int64_t i)
{
	struct fhir_value v = fhir__fp_int(i);

	return fhir__fp_push(e, out, &v);
}

int fhir__fp_push_str(struct fhir__fp_ev *e, struct fhir_collection *out, const char *s)
{
	struct fhir_value v = fhir__fp_str(s);

	return fhir__fp_push(e, out, &v);
}

static int push_all(struct fhir__fp_ev *e, struct fhir_collection *out,
                    const struct fhir_collection *c)
{
	if (out->count == 0) { /* c's items, shared (results are read-only) */
		fhir__fp_borrow(out, c);
		return 0;
	}
	for (size_t i = 0; i < c->count; i++)
		PUSH(&c->items[i]);
	return 0;
}

/* Unions of at most this many items compare pairs instead of filing items in a set: hashing a
 * resource's content for its key costs more than a few comparisons (most unions are of a few
 * dates or codes: `onset.ofType(dateTime) | onset.start | recordedDate`). */
#define SMALL_UNION 8

/* 1 when the set fhir__fp_union would build of kept[0..n) finds v in it (fhirpath_set.c: an
 * item without JSON, a TypeInfo, is never filed nor found; an element is its own duplicate;
 * otherwise fhir__fp_equal == 1 decides). */
static int small_duplicate(const struct fhir_value *kept, size_t n, const struct fhir_value *v)
{
	if (v->kind == FHIR_VALUE_NODE && v->node == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct fhir_value *k = &kept[i];

		if (k->kind == FHIR_VALUE_NODE && k->node == NULL)
			continue;
		if (k->kind == FHIR_VALUE_NODE && v->kind == FHIR_VALUE_NODE && k->node == v->node)
			return 1;
		if (fhir__fp_equal(k, v) == 1)
			return 1;
	}
	return 0;
}

int fhir__fp_union(struct fhir__fp_ev *e, const struct fhir_collection *a,
                   const struct fhir_collection *b, struct fhir_collection *out)
{
	const struct fhir_collection *both[2] = {a, b};
	size_t room = a->count + b->count, start;
	struct fhir_arena_mark mark;
	struct fhir__fp_set s;
	int rc = 0;

	if (room == 0)
		return 0;
	/* the answer's room first (every item at most), then the set after it: the set is scratch,
	 * released once the answer is made, and the answer is one array, never regrown */
	fhir_collection_reserve(out, e->arena,
	                        room < FHIR_PATH_MAX_ITEMS ? room : FHIR_PATH_MAX_ITEMS);
	if (room <= SMALL_UNION) {
		start = out->count;
		for (int k = 0; k < 2 && rc == 0; k++)
			for (size_t i = 0; i < both[k]->count && rc == 0; i++)
				if (!small_duplicate(out->items + start, out->count - start,
				                     &both[k]->items[i]))
					rc = fhir__fp_push(e, out, &both[k]->items[i]);
		return rc;
	}
	mark = fhir_arena_mark(e->arena);
	fhir__fp_set_ev(e, &s, room, 0);
	for (int k = 0; k < 2 && rc == 0; k++)
		for (size_t i = 0; i < both[k]->count && rc == 0; i++)
			if (fhir__fp_set_add(&s, &both[k]->items[i]))
				rc = fhir__fp_push(e, out, &both[k]->items[i]);
	fhir_arena_release(e->arena, mark);
	return rc;
}

/* The single input item as a System value: 0 ok, 1 empty, <0 error. */
int fhir__fp_input_prim(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                        const struct fhir_collection *in, struct fhir_value *out)
{
	struct fhir_value v;
	int rc = fhir__fp_singleton(e, call, call->name, in, &v);

	if (rc != 0)
		return rc;
	if (!fhir__fp_prim(&v, out))
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "%s(): expected a primitive value, got an element",
		                     call->name);
	return 0;
}

/* The single input item as a String: 0 ok, 1 empty, <0 error. */
int fhir__fp_input_string(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                          const struct fhir_collection *in, const char **s)
{
	struct fhir_value v;
	int rc = fhir__fp_input_prim(e, call, in, &v);

	if (rc != 0)
		return rc;
	if (v.kind != FHIR_VALUE_STRING)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "%s(): expected a String input",
		                     call->name);
	*s = v.u.string;
	return 0;
}

/* Argument i as a System value: 0 ok, 1 empty, <0 error. */
int fhir__fp_arg_prim(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                      struct fhir_value *out)
{
	struct fhir_collection c;
	struct fhir_value v;
	int rc = fhir__fp_arg(e, call, i, &c);

	if (rc != 0)
		return rc;
	/* the label is for the error alone: not printed for every call */
	rc = fhir__fp_singleton(
	    e, call->args[i],
	    c.count > 1 ? fhir_arena_printf(e->arena, "%s() argument %zu", call->name, i + 1)
	                : call->name,
	    &c, &v);
	if (rc != 0)
		return rc;
	if (!fhir__fp_prim(&v, out))
		return fhir__fp_fail(e, call->args[i], FHIR_ERR_EVAL,
		                     "%s(): argument %zu must be a primitive value", call->name,
		                     i + 1);
	return 0;
}

int fhir__fp_arg_string(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                        const char **s)
{
	struct fhir_value v;
	int rc = fhir__fp_arg_prim(e, call, i, &v);

	if (rc != 0)
		return rc;
	if (v.kind != FHIR_VALUE_STRING)
		return fhir__fp_fail(e, call->args[i], FHIR_ERR_EVAL,
		                     "%s(): argument %zu must be a String", call->name, i + 1);
	*s = v.u.string;
	return 0;
}

int fhir__fp_arg_int(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i, int64_t *n)
{
	struct fhir_value v;
	int rc = fhir__fp_arg_prim(e, call, i, &v);

	if (rc != 0)
		return rc;
	if (v.kind != FHIR_VALUE_INTEGER)
		return fhir__fp_fail(e, call->args[i], FHIR_ERR_EVAL,
		                     "%s(): argument %zu must be an Integer", call->name, i + 1);
	*n = v.u.integer;
	return 0;
}

/* ---- existence (FHIRPath N1 §5.1) -------------------------------------------------------- */

FN(fn_empty)
{
	(void)call;
	return fhir__fp_push_bool(e, out, in->count == 0);
}

FN(fn_exists)
{
	if (call->nargs == 0)
		return fhir__fp_push_bool(e, out, in->count > 0);
	for (size_t i = 0; i < in->count; i++) {
		int t, rc = fhir__fp_lambda_truth(e, call->args[0], &in->items[i], (int64_t)i, &t);

		if (rc != 0)
			return rc;
		if (t == 1)
			return fhir__fp_push_bool(e, out, 1);
	}
	return fhir__fp_push_bool(e, out, 0);
}

FN(fn_all)
{
	for (size_t i = 0; i < in->count; i++) {
		int t, rc = fhir__fp_lambda_truth(e, call->args[0], &in->items[i], (int64_t)i, &t);

		if (rc != 0)
			return rc;
		if (t != 1)
			return fhir__fp_push_bool(e, out, 0);
	}
	return fhir__fp_push_bool(e, out, 1);
}

/* allTrue, anyTrue, allFalse, anyFalse over Boolean items. */
static int bools(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                 const struct fhir_collection *in, struct fhir_collection *out, int want, int all)
{
	for (size_t i = 0; i < in->count; i++) {
		struct fhir_value v;

		if (!fhir__fp_prim(&in->items[i], &v) || v.kind != FHIR_VALUE_BOOLEAN)
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "%s(): items must be Booleans",
			                     call->name);
		if (all && v.u.boolean != want)
			return fhir__fp_push_bool(e, out, 0);
		if (!all && v.u.boolean == want)
			return fhir__fp_push_bool(e, out, 1);
	}
	return fhir__fp_push_bool(e, out, all);
}

FN(fn_all_true)
{
	return bools(e, call, in, out, 1, 1);
}
FN(fn_any_true)
{
	return bools(e, call, in, out, 1, 0);
}
FN(fn_all_false)
{
	return bools(e, call, in, out, 0, 1);
}
FN(fn_any_false)
{
	return bools(e, call, in, out, 0, 0);
}

/* A set of c's items, for membership tests. */
static void set_of(struct fhir__fp_ev *e, const struct fhir_collection *c, struct fhir__fp_set *s)
{
	fhir__fp_set_ev(e, s, c->count, 0);
	for (size_t i = 0; i < c->count; i++)
		fhir__fp_set_add(s, &c->items[i]);
}

/* 1 if every item of a is equal to an item of b. */
static int subset(struct fhir__fp_ev *e, const struct fhir_collection *a,
                  const struct fhir_collection *b)
{
	struct fhir__fp_set sb;

	if (a->count == 0)
		return 1;
	set_of(e, b, &sb);
	for (size_t i = 0; i < a->count; i++)
		if (!fhir__fp_set_has(&sb, &a->items[i]))
			return 0;
	return 1;
}

FN(fn_subset_of)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	return rc != 0 ? rc : fhir__fp_push_bool(e, out, subset(e, in, &other));
}

FN(fn_superset_of)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	return rc != 0 ? rc : fhir__fp_push_bool(e, out, subset(e, &other, in));
}

FN(fn_count)
{
	(void)call;
	return fhir__fp_push_int(e, out, (int64_t)in->count);
}

FN(fn_distinct)
{
	static const struct fhir_collection none = {NULL, 0, 0};

	(void)call;
	return fhir__fp_union(e, in, &none, out);
}

FN(fn_is_distinct)
{
	struct fhir__fp_set s;
	size_t i = 0;

	(void)call;
	fhir__fp_set_ev(e, &s, in->count, 0);
	while (i < in->count && fhir__fp_set_add(&s, &in->items[i]))
		i++;
	return fhir__fp_push_bool(e, out, i == in->count);
}

/* ---- filtering and projection (FHIRPath N1 §5.2) ----------------------------------------- */

/* where(): each item's truth first, one bit each, then the answer in one array of exactly the
 * items kept, or a view of the input when all are: over a long record, an answer grown by
 * doubling was copied a dozen times, each copy into memory not touched before (FHIRPath N1
 * §where). */
FN(fn_where)
{
	uint64_t small, *keep = &small;
	size_t kept = 0;

	if (in->count > 64)
		keep = fhir_arena_alloc_raw(e->arena, (in->count + 63) / 64 * sizeof(*keep));
	for (size_t i = 0; i < in->count; i++) {
		int t, rc = fhir__fp_lambda_truth(e, call->args[0], &in->items[i], (int64_t)i, &t);

		if (rc != 0)
			return rc;
		if (i % 64 == 0)
			keep[i / 64] = 0;
		if (t == 1) {
			keep[i / 64] |= (uint64_t)1 << (i % 64);
			kept++;
		}
	}
	if (kept == 0)
		return 0;
	if (kept == in->count) { /* every item: a view of the input (read-only, as answers are) */
		fhir__fp_borrow(out, in);
		return 0;
	}
	fhir_collection_reserve(out, e->arena, kept);
	for (size_t i = 0; i < in->count; i++)
		if (keep[i / 64] & ((uint64_t)1 << (i % 64)))
			PUSH(&in->items[i]);
	return 0;
}

FN(fn_select)
{
	struct fhir_collection r;

	for (size_t i = 0; i < in->count; i++) {
		int rc = fhir__fp_lambda(e, call->args[0], &in->items[i], (int64_t)i, &r);

		if (rc == 0)
			rc = push_all(e, out, &r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

FN(fn_repeat)
{
	struct fhir_collection queue = {NULL, 0, 0}, r;
	struct fhir__fp_set seen; /* elements are the same when they are one node */
	int rc = push_all(e, &queue, in);

	fhir__fp_set_ev(e, &seen, in->count, 1);
	for (size_t q = 0; rc == 0 && q < queue.count; q++) {
		rc = fhir__fp_lambda(e, call->args[0], &queue.items[q], (int64_t)q, &r);
		for (size_t i = 0; rc == 0 && i < r.count; i++) {
			/* r's items live in the arena until the evaluation ends: the set may keep
			 * pointers to them */
			if (!fhir__fp_set_add(&seen, &r.items[i]))
				continue;
			rc = fhir__fp_push(e, out, &r.items[i]);
			if (rc == 0)
				rc = fhir__fp_push(e, &queue, &r.items[i]);
		}
	}
	return rc;
}

FN(fn_of_type)
{
	for (size_t i = 0; i < in->count; i++)
		if (fhir__fp_is_type_ns(&in->items[i], call->type_ns, call->type_arg))
			PUSH(&in->items[i]);
	return 0;
}

/* type() (FHIRPath N1 §Reflection): per item a TypeInfo with namespace and name, System for
 * System values, FHIR for elements (their model type, or one read off the JSON). */
FN(fn_type)
{
	(void)call;
	for (size_t i = 0; i < in->count; i++) {
		const struct fhir_value *item = &in->items[i];
		struct fhir_value t;

		memset(&t, 0, sizeof(t));
		t.kind = FHIR_VALUE_NODE;
		t.type = fhir__fp_typeinfo;
		t.name = fhir__fp_type_name(e->arena, item);
		PUSH(&t);
	}
	return 0;
}

FN(fn_is)
{
	struct fhir_value v;
	int rc = fhir__fp_singleton(e, call, "is", in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	return fhir__fp_push_bool(e, out, fhir__fp_is_type_ns(&v, call->type_ns, call->type_arg));
}

/* sort([key]) (FHIRPath 3.0 §sort): a stable merge sort by the key evaluated per item (default
 * the item itself); a key written -expr sorts descending. Empty keys sort first. */
struct sort_item {
	struct fhir_value item, key;
	int has_key;
};

static int sort_cmp(const struct sort_item *a, const struct sort_item *b, int desc, int *bad)
{
	int c = 0;

	if (!a->has_key || !b->has_key)
		c = a->has_key - b->has_key;
	else if (fhir__fp_compare(&a->key, &b->key, &c) < 0)
		*bad = 1;
	return desc ? -c : c;
}

FN(fn_sort)
{
	const struct fhir__fp_node *key = call->nargs > 0 ? call->args[0] : NULL;
	struct sort_item *v, *tmp;
	int desc = 0, bad = 0;
	size_t n = in->count;

	if (key != NULL && key->kind == FP_NEGATE) {
		desc = 1;
		key = key->left;
	}
	v = fhir_arena_alloc(e->arena, (n + 1) * sizeof(*v));
	tmp = fhir_arena_alloc(e->arena, (n + 1) * sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		struct fhir_collection k;
		int rc;

		v[i].item = in->items[i];
		if (key == NULL) {
			v[i].key = in->items[i];
			v[i].has_key = 1;
			continue;
		}
		rc = fhir__fp_lambda(e, key, &in->items[i], (int64_t)i, &k);
		if (rc == 0)
			rc = fhir__fp_singleton(e, call, "sort() key", &k, &v[i].key);
		if (rc < 0)
			return rc;
		v[i].has_key = rc == 0;
	}
	/* bottom-up merge sort: O(n log n) on untrusted sizes */
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = sort_cmp(&v[j], &v[i], desc, &bad) < 0 ? v[j++] : v[i++];
			while (i < mid)
				tmp[k++] = v[i++];
			while (j < hi)
				tmp[k++] = v[j++];
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
	if (bad)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "sort(): the keys cannot be compared");
	for (size_t i = 0; i < n; i++)
		PUSH(&v[i].item);
	return 0;
}

FN(fn_as)
{
	struct fhir_value v;
	int rc = fhir__fp_singleton(e, call, "as", in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (fhir__fp_is_type_ns(&v, call->type_ns, call->type_arg))
		PUSH(&v);
	return 0;
}

/* ---- subsetting (FHIRPath N1 §5.3) ------------------------------------------------------- */

FN(fn_single)
{
	struct fhir_value v;
	int rc = fhir__fp_singleton(e, call, "single()", in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	PUSH(&v);
	return 0;
}

FN(fn_first)
{
	(void)call;
	if (in->count > 0)
		PUSH(&in->items[0]);
	return 0;
}

FN(fn_last)
{
	(void)call;
	if (in->count > 0)
		PUSH(&in->items[in->count - 1]);
	return 0;
}

FN(fn_tail)
{
	(void)call;
	for (size_t i = 1; i < in->count; i++)
		PUSH(&in->items[i]);
	return 0;
}

FN(fn_skip)
{
	int64_t n = 0;
	int rc = fhir__fp_arg_int(e, call, 0, &n);

	if (rc < 0)
		return rc;
	for (size_t i = n > 0 ? (size_t)n : 0; i < in->count; i++)
		PUSH(&in->items[i]);
	return 0;
}

FN(fn_take)
{
	int64_t n = 0;
	int rc = fhir__fp_arg_int(e, call, 0, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; n > 0 && i < in->count && i < (size_t)n; i++)
		PUSH(&in->items[i]);
	return 0;
}

FN(fn_intersect)
{
	struct fhir_collection other;
	struct fhir__fp_set so, sout;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc != 0 || in->count == 0)
		return rc;
	set_of(e, &other, &so);
	fhir__fp_set_ev(e, &sout, in->count, 0);
	for (size_t i = 0; i < in->count; i++)
		if (fhir__fp_set_has(&so, &in->items[i]) && fhir__fp_set_add(&sout, &in->items[i]))
			PUSH(&in->items[i]);
	return 0;
}

/* The items of the input not equal to any of the argument's, in order, duplicates kept; as
 * where() answers: a view of the input when every item stays (always when the argument is
 * empty: then no item is hashed, which over a long record read each item's JSON again), else
 * an array sized once (FHIRPath N1 §exclude). */
FN(fn_exclude)
{
	struct fhir_collection other;
	struct fhir__fp_set so;
	uint64_t small, *keep = &small;
	size_t kept = 0;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc != 0 || in->count == 0)
		return rc;
	if (other.count == 0) {
		fhir__fp_borrow(out, in);
		return 0;
	}
	set_of(e, &other, &so);
	if (in->count > 64)
		keep = fhir_arena_alloc_raw(e->arena, (in->count + 63) / 64 * sizeof(*keep));
	for (size_t i = 0; i < in->count; i++) {
		if (i % 64 == 0)
			keep[i / 64] = 0;
		if (!fhir__fp_set_has(&so, &in->items[i])) {
			keep[i / 64] |= (uint64_t)1 << (i % 64);
			kept++;
		}
	}
	if (kept == in->count) {
		fhir__fp_borrow(out, in);
		return 0;
	}
	if (kept > 0)
		fhir_collection_reserve(out, e->arena, kept);
	for (size_t i = 0; i < in->count; i++)
		if (keep[i / 64] & ((uint64_t)1 << (i % 64)))
			PUSH(&in->items[i]);
	return 0;
}

/* ---- combining (FHIRPath N1 §5.4) -------------------------------------------------------- */

FN(fn_union)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	return rc != 0 ? rc : fhir__fp_union(e, in, &other, out);
}

FN(fn_combine)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc == 0)
		rc = push_all(e, out, in);
	if (rc == 0)
		rc = push_all(e, out, &other);
	return rc;
}

/* ---- iif (FHIRPath N1 §5.5; the other conversions are in fhirpath_convert.c) ------------- */

FN(fn_iif)
{
	struct fhir_collection crit;
	int rc, t;

	if (in->count > 1)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "iif(): singleton expected, got a collection of %zu items",
		                     in->count);
	if (in->count == 1)
		rc = fhir__fp_lambda(e, call->args[0], &in->items[0], e->index, &crit);
	else
		rc = fhir__fp_arg(e, call, 0, &crit);
	if (rc != 0)
		return rc;
	t = fhir__fp_truth(&crit);
	if (t != 1 && call->nargs < 3)
		return 0;
	/* the chosen branch is evaluated in the context of iif's input, like its criterion */
	if (in->count == 1)
		return fhir__fp_lambda(e, call->args[t == 1 ? 1 : 2], &in->items[0], e->index, out);
	return fhir__fp_arg(e, call, t == 1 ? 1 : 2, out);
}

/* ---- tree navigation (FHIRPath N1 §5.8) -------------------------------------------------- */

FN(fn_children)
{
	(void)call;
	for (size_t i = 0; i < in->count; i++) {
		int rc = fhir__fp_children(e, &in->items[i], out);

		if (rc != 0)
			return rc;
	}
	return 0;
}

FN(fn_descendants)
{
	int rc = fn_children(e, call, in, out);

	/* Breadth first over the growing output: JSON trees have no cycles. */
	for (size_t q = 0; rc == 0 && q < out->count; q++) {
		struct fhir_value item = out->items[q];

		rc = fhir__fp_children(e, &item, out);
	}
	return rc;
}

/* ---- utility (FHIRPath N1 §5.9) ---------------------------------------------------------- */

FN(fn_trace)
{
	(void)call;
	return push_all(e, out, in);
}

FN(fn_now)
{
	struct fhir_value v;

	(void)call;
	(void)in;
	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_DATETIME;
	v.u.datetime = e->now;
	PUSH(&v);
	return 0;
}

FN(fn_today)
{
	struct fhir_value v;

	(void)call;
	(void)in;
	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_DATE;
	v.u.datetime.year = e->now.year;
	v.u.datetime.month = e->now.month;
	v.u.datetime.day = e->now.day;
	v.u.datetime.has_date = 1;
	v.u.datetime.precision = FHIR_PREC_DAY;
	PUSH(&v);
	return 0;
}

FN(fn_time_of_day)
{
	struct fhir_value v;

	(void)call;
	(void)in;
	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_TIME;
	v.u.datetime = e->now;
	v.u.datetime.year = v.u.datetime.month = v.u.datetime.day = 0;
	v.u.datetime.has_date = 0;
	v.u.datetime.has_tz = 0;
	v.u.datetime.tz_minutes = 0;
	PUSH(&v);
	return 0;
}

/* ---- aggregates and boolean (FHIRPath N1 §7, §6.5) --------------------------------------- */

FN(fn_aggregate)
{
	const struct fhir_collection *saved = e->total;
	struct fhir_collection total = {NULL, 0, 0}, next;
	int rc = 0;

	if (call->nargs > 1)
		rc = fhir__fp_arg(e, call, 1, &total);
	for (size_t i = 0; rc == 0 && i < in->count; i++) {
		e->total = &total;
		rc = fhir__fp_lambda(e, call->args[0], &in->items[i], (int64_t)i, &next);
		total = next;
	}
	e->total = saved;
	if (rc == 0)
		rc = push_all(e, out, &total);
	return rc;
}

FN(fn_not)
{
	struct fhir_value v;
	int rc = fhir__fp_singleton(e, call, "not()", in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	return fhir__fp_push_bool(e, out, fhir__fp_truth(in) == 0);
}

/* ---- FHIR additions (FHIR R4 §2.24 FHIRPath) --------------------------------------------- */

FN(fn_extension)
{
	const char *url;
	int rc = fhir__fp_arg_string(e, call, 0, &url);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	/* .extension of each item (of a primitive too: its "_name" element's extensions) */
	struct fhir_collection exts = {NULL, 0, 0};

	rc = fhir__fp_children_named(e, in, "extension", &exts);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < exts.count; i++) {
		const cJSON *u = fhir__fp_member(exts.items[i].node, "url");
		struct fhir_value v = exts.items[i];

		if (!fhir__fp_is_string(u) || strcmp(u->valuestring, url) != 0)
			continue;
		v.type = "Extension";
		PUSH(&v);
	}
	return 0;
}

/* conformsTo(url) (FHIR R4 §2.24): only the core StructureDefinitions of the model are known
 * (the input conforms when it is of that type); any other profile is an evaluation error. */
FN(fn_conforms_to)
{
	static const char core[] = "http://hl7.org/fhir/StructureDefinition/";
	const char *url;
	struct fhir_value v;
	int rc = fhir__fp_arg_string(e, call, 0, &url);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (strncmp(url, core, sizeof(core) - 1) != 0 ||
	    !fhir__fp_model_known(url + sizeof(core) - 1))
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "conformsTo(): unknown profile '%s' (only core R4 types)",
		                     url);
	rc = fhir__fp_singleton(e, call, "conformsTo()", in, &v);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return fhir__fp_push_bool(e, out, fhir__fp_is_type(&v, url + sizeof(core) - 1));
}

FN(fn_has_value)
{
	struct fhir_value v;

	(void)call;
	if (in->count != 1)
		return fhir__fp_push_bool(e, out, 0);
	v = in->items[0];
	if (v.kind != FHIR_VALUE_NODE)
		return fhir__fp_push_bool(e, out, 1);
	return fhir__fp_push_bool(e, out,
	                          !fhir__fp_is_object(v.node) && !fhir__fp_is_array(v.node) &&
	                              !fhir__fp_is_null(v.node));
}

/* 1, 0 or -1 (unknown ValueSet) for one system|code. */
static int member(struct fhir__fp_ev *e, const char *url, const cJSON *coding)
{
	const cJSON *system = fhir__fp_member(coding, "system");
	const cJSON *code = fhir__fp_member(coding, "code");

	if (!fhir__fp_is_string(code))
		return 0;
	return e->env->member_of(e->env->member_of_ctx, url,
	                         fhir__fp_is_string(system) ? system->valuestring : NULL,
	                         code->valuestring);
}

/* memberOf(url): Coding, CodeableConcept (any coding), an element with system+code, or a code
 * string (no system). FHIR R4 §2.24 memberOf. */
FN(fn_member_of)
{
	const char *url;
	struct fhir_value v, p;
	int rc, res = 0;

	if (e->env->member_of == NULL)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "memberOf(): no ValueSet lookup is available here");
	rc = fhir__fp_singleton(e, call, "memberOf()", in, &v);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_string(e, call, 0, &url);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (v.kind == FHIR_VALUE_NODE && fhir__fp_is_object(v.node)) {
		const cJSON *codings = fhir__fp_member(v.node, "coding");

		if (fhir__fp_is_array(codings)) {
			const cJSON *c;

			cJSON_ArrayForEach(c, codings)
			{
				int m = member(e, url, c);

				if (m == 1) {
					res = 1;
					break;
				}
				if (m < 0)
					res = -1;
			}
		} else {
			res = member(e, url, v.node);
		}
	} else if (fhir__fp_prim(&v, &p) && p.kind == FHIR_VALUE_STRING) {
		res = e->env->member_of(e->env->member_of_ctx, url, NULL, p.u.string);
	} else {
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "memberOf(): expected a Coding, CodeableConcept or code");
	}
	if (res < 0)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "memberOf(): unknown ValueSet '%s'",
		                     url);
	return fhir__fp_push_bool(e, out, res);
}

FN(fn_resolve)
{
	(void)call;
	if (e->env->resolve == NULL)
		return 0;
	for (size_t i = 0; i < in->count; i++) {
		const struct fhir_value *item = &in->items[i];
		const char *ref = NULL;
		const cJSON *target;
		struct fhir_value p;

		if (item->kind == FHIR_VALUE_NODE && fhir__fp_is_object(item->node)) {
			const cJSON *r = fhir__fp_member(item->node, "reference");

			if (fhir__fp_is_string(r))
				ref = r->valuestring;
		} else if (fhir__fp_prim(item, &p) && p.kind == FHIR_VALUE_STRING) {
			ref = p.u.string;
		}
		if (ref == NULL)
			continue;
		target = NULL;
		/* "#id": a resource contained in %resource, the evaluation's root (FHIR R4
		 * §References: contained ids are local to their container) */
		if (ref[0] == '#' && e->input != NULL && e->input->count > 0 &&
		    e->input->items[0].kind == FHIR_VALUE_NODE)
			target = fhir_find_contained(e->input->items[0].node, ref + 1);
		if (target == NULL)
			target = e->env->resolve(e->env->resolve_ctx, ref);
		if (target != NULL) {
			if (out->count >= FHIR_PATH_MAX_ITEMS)
				return fhir__fp_push(e, out, item); /* reports the limit */
			fhir_collection_push_node(out, e->arena, target);
		}
	}
	return 0;
}

/* A host function (fhir_path_compile_host): arguments evaluated once against $this, then
 * env->host_call for each input item. */
FN(fn_host)
{
	struct fhir_collection args[4];
	struct fhir_error err;
	size_t i, nargs = call->nargs < 4 ? call->nargs : 4;
	int rc;

	if (e->env->host_call == NULL)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "%s(): not available here",
		                     call->name);
	for (i = 0; i < nargs; i++) {
		rc = fhir__fp_arg(e, call, i, &args[i]);
		if (rc != 0)
			return rc;
	}
	for (i = 0; i < in->count; i++) {
		err.message[0] = '\0'; /* (not all 768 bytes: this runs per item) */
		err.where[0] = '\0';
		rc = e->env->host_call(e->env->host_ctx, call->host_index, &in->items[i], args,
		                       nargs, e->arena, out, &err);
		if (rc != 0)
			return fhir__fp_fail(e, call, rc, "%s(): %s", call->name, err.message);
		if (out->count > FHIR_PATH_MAX_ITEMS)
			return fhir__fp_fail(
			    e, call, FHIR_ERR_LIMIT,
			    "a collection grew past %d items (FHIR_PATH_MAX_ITEMS)",
			    FHIR_PATH_MAX_ITEMS);
	}
	return 0;
}

const struct fhir__fp_func fhir__fp_host_func = {"(host)", 0, 4, 0, fn_host};

FN(fn_html_checks)
{
	(void)call;
	(void)in;
	return fhir__fp_push_bool(e, out, 1);
}

/* ---- the table --------------------------------------------------------------------------- */

static const struct fhir__fp_func functions[] = {
    {"empty", 0, 0, 0, fn_empty},
    {"exists", 0, 1, 0, fn_exists},
    {"all", 1, 1, 0, fn_all},
    {"allTrue", 0, 0, 0, fn_all_true},
    {"anyTrue", 0, 0, 0, fn_any_true},
    {"allFalse", 0, 0, 0, fn_all_false},
    {"anyFalse", 0, 0, 0, fn_any_false},
    {"subsetOf", 1, 1, 0, fn_subset_of},
    {"supersetOf", 1, 1, 0, fn_superset_of},
    {"count", 0, 0, 0, fn_count},
    {"distinct", 0, 0, 0, fn_distinct},
    {"isDistinct", 0, 0, 0, fn_is_distinct},
    {"where", 1, 1, 0, fn_where},
    {"select", 1, 1, 0, fn_select},
    {"repeat", 1, 1, 0, fn_repeat},
    {"ofType", 1, 1, FP_F_TYPE_ARG, fn_of_type},
    {"is", 1, 1, FP_F_TYPE_ARG, fn_is},
    {"type", 0, 0, 0, fn_type},
    {"as", 1, 1, FP_F_TYPE_ARG, fn_as},
    {"sort", 0, 1, 0, fn_sort},
    {"single", 0, 0, 0, fn_single},
    {"first", 0, 0, 0, fn_first},
    {"last", 0, 0, 0, fn_last},
    {"tail", 0, 0, 0, fn_tail},
    {"skip", 1, 1, 0, fn_skip},
    {"take", 1, 1, 0, fn_take},
    {"intersect", 1, 1, 0, fn_intersect},
    {"exclude", 1, 1, 0, fn_exclude},
    {"union", 1, 1, 0, fn_union},
    {"combine", 1, 1, 0, fn_combine},
    {"iif", 2, 3, 0, fn_iif},
    {"children", 0, 0, 0, fn_children},
    {"descendants", 0, 0, 0, fn_descendants},
    {"trace", 1, 2, 0, fn_trace},
    {"now", 0, 0, 0, fn_now},
    {"today", 0, 0, 0, fn_today},
    {"timeOfDay", 0, 0, 0, fn_time_of_day},
    {"aggregate", 1, 2, 0, fn_aggregate},
    {"not", 0, 0, 0, fn_not},
    {"extension", 1, 1, 0, fn_extension},
    {"conformsTo", 1, 1, 0, fn_conforms_to},
    {"hasValue", 0, 0, 0, fn_has_value},
    {"memberOf", 1, 1, 0, fn_member_of},
    {"resolve", 0, 0, 0, fn_resolve},
    {"htmlChecks", 0, 0, 0, fn_html_checks},
};

const struct fhir__fp_func *fhir__fp_func_find(const char *name)
{
	static const struct {
		const struct fhir__fp_func *rows;
		const size_t *count;
	} tables[] = {
	    {functions, NULL},
	    {fhir__fp_string_funcs, &fhir__fp_string_func_count},
	    {fhir__fp_convert_funcs, &fhir__fp_convert_func_count},
	    {fhir__fp_math_funcs, &fhir__fp_math_func_count},
	    {fhir__fp_precision_funcs, &fhir__fp_precision_func_count},
	};

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		size_t n =
		    tables[t].count ? *tables[t].count : sizeof(functions) / sizeof(functions[0]);

		for (size_t i = 0; i < n; i++)
			if (strcmp(tables[t].rows[i].name, name) == 0)
				return &tables[t].rows[i];
	}
	return NULL;
}
