/* fhirpath_functions.c — the FHIRPath function table (FHIRPath N1 §Functions, FHIR R4 §2.24
 * additions: extension, hasValue, memberOf, resolve). One small static function per FHIRPath
 * function; adding one means writing it and adding a row to `functions` at the bottom.
 * It must not parse text or navigate JSON except through fhirpath_eval.c's helpers, and must
 * not call back into the network: memberOf/resolve go through env callbacks. */
#include "fhirpath_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FN(name)                                                                                   \
	static int name(struct fhir__fp_ev *e, const struct fhir__fp_node *call,                   \
	                const struct fhir_collection *in, struct fhir_collection *out)

#define PUSH(v)                                                                                    \
	do {                                                                                       \
		int push_rc_ = fhir__fp_push(e, out, (v));                                         \
		if (push_rc_ != 0)                                                                 \
			return push_rc_;                                                           \
	} while (0)

static int push_bool(struct fhir__fp_ev *e, struct fhir_collection *out, int b)
{
	struct fhir_value v = fhir__fp_bool(b);

	return fhir__fp_push(e, out, &v);
}

static int push_int(struct fhir__fp_ev *e, struct fhir_collection *out, int64_t i)
{
	struct fhir_value v = fhir__fp_int(i);

	return fhir__fp_push(e, out, &v);
}

static int push_str(struct fhir__fp_ev *e, struct fhir_collection *out, const char *s)
{
	struct fhir_value v = fhir__fp_str(s);

	return fhir__fp_push(e, out, &v);
}

static int push_all(struct fhir__fp_ev *e, struct fhir_collection *out,
                    const struct fhir_collection *c)
{
	for (size_t i = 0; i < c->count; i++)
		PUSH(&c->items[i]);
	return 0;
}

static int has_item(const struct fhir_collection *c, const struct fhir_value *v)
{
	for (size_t i = 0; i < c->count; i++)
		if (fhir__fp_equal(&c->items[i], v) == 1)
			return 1;
	return 0;
}

/* The single input item as a System value: 0 ok, 1 empty, <0 error. */
static int input_prim(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
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
static int input_string(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                        const struct fhir_collection *in, const char **s)
{
	struct fhir_value v;
	int rc = input_prim(e, call, in, &v);

	if (rc != 0)
		return rc;
	if (v.kind != FHIR_VALUE_STRING)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "%s(): expected a String input",
		                     call->name);
	*s = v.u.string;
	return 0;
}

/* Argument i as a System value: 0 ok, 1 empty, <0 error. */
static int arg_prim(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                    struct fhir_value *out)
{
	struct fhir_collection c;
	struct fhir_value v;
	int rc = fhir__fp_arg(e, call, i, &c);

	if (rc != 0)
		return rc;
	rc = fhir__fp_singleton(e, call->args[i],
	                        fhir_arena_printf(e->arena, "%s() argument %zu", call->name, i + 1),
	                        &c, &v);
	if (rc != 0)
		return rc;
	if (!fhir__fp_prim(&v, out))
		return fhir__fp_fail(e, call->args[i], FHIR_ERR_EVAL,
		                     "%s(): argument %zu must be a primitive value", call->name,
		                     i + 1);
	return 0;
}

static int arg_string(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                      const char **s)
{
	struct fhir_value v;
	int rc = arg_prim(e, call, i, &v);

	if (rc != 0)
		return rc;
	if (v.kind != FHIR_VALUE_STRING)
		return fhir__fp_fail(e, call->args[i], FHIR_ERR_EVAL,
		                     "%s(): argument %zu must be a String", call->name, i + 1);
	*s = v.u.string;
	return 0;
}

static int arg_int(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i, int64_t *n)
{
	struct fhir_value v;
	int rc = arg_prim(e, call, i, &v);

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
	return push_bool(e, out, in->count == 0);
}

FN(fn_exists)
{
	struct fhir_collection r;

	if (call->nargs == 0)
		return push_bool(e, out, in->count > 0);
	for (size_t i = 0; i < in->count; i++) {
		int rc = fhir__fp_lambda(e, call->args[0], &in->items[i], (int64_t)i, &r);

		if (rc != 0)
			return rc;
		if (fhir_collection_truth(&r) == 1)
			return push_bool(e, out, 1);
	}
	return push_bool(e, out, 0);
}

FN(fn_all)
{
	struct fhir_collection r;

	for (size_t i = 0; i < in->count; i++) {
		int rc = fhir__fp_lambda(e, call->args[0], &in->items[i], (int64_t)i, &r);

		if (rc != 0)
			return rc;
		if (fhir_collection_truth(&r) != 1)
			return push_bool(e, out, 0);
	}
	return push_bool(e, out, 1);
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
			return push_bool(e, out, 0);
		if (!all && v.u.boolean == want)
			return push_bool(e, out, 1);
	}
	return push_bool(e, out, all);
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

static int subset(const struct fhir_collection *a, const struct fhir_collection *b)
{
	for (size_t i = 0; i < a->count; i++)
		if (!has_item(b, &a->items[i]))
			return 0;
	return 1;
}

FN(fn_subset_of)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc == 0)
		rc = fhir__fp_pairs(e, call, in->count, other.count);
	return rc != 0 ? rc : push_bool(e, out, subset(in, &other));
}

FN(fn_superset_of)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc == 0)
		rc = fhir__fp_pairs(e, call, in->count, other.count);
	return rc != 0 ? rc : push_bool(e, out, subset(&other, in));
}

FN(fn_count)
{
	(void)call;
	return push_int(e, out, (int64_t)in->count);
}

FN(fn_distinct)
{
	int rc = fhir__fp_pairs(e, call, in->count, in->count);

	if (rc != 0)
		return rc;
	for (size_t i = 0; i < in->count; i++)
		if (!has_item(out, &in->items[i]))
			PUSH(&in->items[i]);
	return 0;
}

FN(fn_is_distinct)
{
	struct fhir_collection d = {NULL, 0, 0};
	int rc = fn_distinct(e, call, in, &d);

	return rc != 0 ? rc : push_bool(e, out, d.count == in->count);
}

/* ---- filtering and projection (FHIRPath N1 §5.2) ----------------------------------------- */

FN(fn_where)
{
	struct fhir_collection r;

	for (size_t i = 0; i < in->count; i++) {
		int rc = fhir__fp_lambda(e, call->args[0], &in->items[i], (int64_t)i, &r);

		if (rc != 0)
			return rc;
		if (fhir_collection_truth(&r) == 1)
			PUSH(&in->items[i]);
	}
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

static int same_item(const struct fhir_value *a, const struct fhir_value *b)
{
	if (a->kind == FHIR_VALUE_NODE && b->kind == FHIR_VALUE_NODE)
		return a->node == b->node;
	return fhir__fp_equal(a, b) == 1;
}

FN(fn_repeat)
{
	struct fhir_collection queue = {NULL, 0, 0}, r;
	int rc = push_all(e, &queue, in);
	size_t pairs = 0;

	for (size_t q = 0; rc == 0 && q < queue.count; q++) {
		rc = fhir__fp_lambda(e, call->args[0], &queue.items[q], (int64_t)q, &r);
		for (size_t i = 0; rc == 0 && i < r.count; i++) {
			int seen = 0;

			pairs += out->count;
			if (pairs > FHIR__FP_MAX_PAIRS)
				return fhir__fp_pairs(e, call, pairs, FHIR__FP_MAX_PAIRS);
			for (size_t k = 0; k < out->count && !seen; k++)
				seen = same_item(&out->items[k], &r.items[i]);
			if (seen)
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
		if (fhir__fp_is_type(&in->items[i], call->type_arg))
			PUSH(&in->items[i]);
	return 0;
}

FN(fn_is)
{
	struct fhir_value v;
	int rc = fhir__fp_singleton(e, call, "is", in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	return push_bool(e, out, fhir__fp_is_type(&v, call->type_arg));
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
	int rc = arg_int(e, call, 0, &n);

	if (rc < 0)
		return rc;
	for (size_t i = n > 0 ? (size_t)n : 0; i < in->count; i++)
		PUSH(&in->items[i]);
	return 0;
}

FN(fn_take)
{
	int64_t n = 0;
	int rc = arg_int(e, call, 0, &n);

	if (rc < 0)
		return rc;
	for (size_t i = 0; n > 0 && i < in->count && i < (size_t)n; i++)
		PUSH(&in->items[i]);
	return 0;
}

FN(fn_intersect)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc == 0)
		rc = fhir__fp_pairs(e, call, in->count, other.count + in->count);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < in->count; i++)
		if (has_item(&other, &in->items[i]) && !has_item(out, &in->items[i]))
			PUSH(&in->items[i]);
	return 0;
}

FN(fn_exclude)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc == 0)
		rc = fhir__fp_pairs(e, call, in->count, other.count);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < in->count; i++)
		if (!has_item(&other, &in->items[i]))
			PUSH(&in->items[i]);
	return 0;
}

/* ---- combining (FHIRPath N1 §5.4) -------------------------------------------------------- */

FN(fn_union)
{
	struct fhir_collection other;
	int rc = fhir__fp_arg(e, call, 0, &other);

	if (rc == 0)
		rc = fhir__fp_pairs(e, call, in->count + other.count, in->count + other.count);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < in->count; i++)
		if (!has_item(out, &in->items[i]))
			PUSH(&in->items[i]);
	for (size_t i = 0; i < other.count; i++)
		if (!has_item(out, &other.items[i]))
			PUSH(&other.items[i]);
	return 0;
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

/* ---- conversion (FHIRPath N1 §5.5) ------------------------------------------------------- */

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
	t = fhir_collection_truth(&crit);
	if (t != 1 && call->nargs < 3)
		return 0;
	/* the chosen branch is evaluated in the context of iif's input, like its criterion */
	if (in->count == 1)
		return fhir__fp_lambda(e, call->args[t == 1 ? 1 : 2], &in->items[0], e->index, out);
	return fhir__fp_arg(e, call, t == 1 ? 1 : 2, out);
}

FN(fn_to_string)
{
	struct fhir_value v;
	const char *s;
	int rc = fhir__fp_singleton(e, call, "toString()", in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	s = fhir__fp_to_string(e->arena, &v);
	return s != NULL ? push_str(e, out, s) : 0;
}

/* String -> Integer: 1 and *n when the whole text is an integer. */
static int parse_int(const char *s, int64_t *n)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	*n = (int64_t)v;
	return 1;
}

static int parse_dec(const char *s, double *d)
{
	char *end;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s) ||
	    !(isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.'))
		return 0;
	errno = 0;
	*d = strtod(s, &end);
	return errno == 0 && *end == '\0';
}

/* Conversions share one shape: convert, then push the value (to*) or whether it worked. */
static int to_integer(struct fhir_arena *arena, const struct fhir_value *v, struct fhir_value *out)
{
	(void)arena;
	int64_t n;

	if (v->kind == FHIR_VALUE_INTEGER) {
		*out = fhir__fp_int(v->u.integer);
		return 1;
	}
	if (v->kind == FHIR_VALUE_BOOLEAN) {
		*out = fhir__fp_int(v->u.boolean);
		return 1;
	}
	if (v->kind == FHIR_VALUE_STRING && parse_int(v->u.string, &n)) {
		*out = fhir__fp_int(n);
		return 1;
	}
	return 0;
}

static int to_decimal(struct fhir_arena *arena, const struct fhir_value *v, struct fhir_value *out)
{
	(void)arena;
	double d;

	if (v->kind == FHIR_VALUE_INTEGER || v->kind == FHIR_VALUE_DECIMAL) {
		*out = fhir__fp_dec(v->kind == FHIR_VALUE_INTEGER ? (double)v->u.integer
		                                                  : v->u.decimal);
		return 1;
	}
	if (v->kind == FHIR_VALUE_BOOLEAN) {
		*out = fhir__fp_dec(v->u.boolean);
		return 1;
	}
	if (v->kind == FHIR_VALUE_STRING && parse_dec(v->u.string, &d)) {
		*out = fhir__fp_dec(d);
		return 1;
	}
	return 0;
}

static int to_boolean(struct fhir_arena *arena, const struct fhir_value *v, struct fhir_value *out)
{
	(void)arena;
	static const char *const yes[] = {"true", "t", "yes", "y", "1", "1.0"};
	static const char *const no[] = {"false", "f", "no", "n", "0", "0.0"};

	if (v->kind == FHIR_VALUE_BOOLEAN) {
		*out = *v;
		return 1;
	}
	if (v->kind == FHIR_VALUE_INTEGER && (v->u.integer == 0 || v->u.integer == 1)) {
		*out = fhir__fp_bool(v->u.integer == 1);
		return 1;
	}
	if (v->kind == FHIR_VALUE_DECIMAL && (v->u.decimal == 0 || v->u.decimal == 1)) {
		*out = fhir__fp_bool(v->u.decimal == 1);
		return 1;
	}
	if (v->kind == FHIR_VALUE_STRING) {
		for (size_t i = 0; i < 6; i++) {
			if (strcasecmp(v->u.string, yes[i]) == 0) {
				*out = fhir__fp_bool(1);
				return 1;
			}
			if (strcasecmp(v->u.string, no[i]) == 0) {
				*out = fhir__fp_bool(0);
				return 1;
			}
		}
	}
	return 0;
}

static int to_datetime_kind(const struct fhir_value *v, struct fhir_value *out,
                            enum fhir_value_kind kind)
{
	struct fhir_datetime dt;

	if (v->kind == kind) {
		*out = *v;
		return 1;
	}
	if (kind == FHIR_VALUE_DATETIME && v->kind == FHIR_VALUE_DATE) {
		*out = *v;
		out->kind = kind;
		return 1;
	}
	if (kind == FHIR_VALUE_DATE && v->kind == FHIR_VALUE_DATETIME) {
		*out = *v;
		out->kind = kind;
		if (out->u.datetime.precision > FHIR_PREC_DAY) {
			out->u.datetime.precision = FHIR_PREC_DAY;
			out->u.datetime.hour = out->u.datetime.minute = out->u.datetime.second = 0;
			out->u.datetime.millis = 0;
			out->u.datetime.has_tz = 0;
			out->u.datetime.tz_minutes = 0;
		}
		return 1;
	}
	if (v->kind != FHIR_VALUE_STRING)
		return 0;
	if (kind == FHIR_VALUE_TIME && strlen(v->u.string) == 2) {
		/* "14": an hour-precision time */
		char hh[8];

		snprintf(hh, sizeof(hh), "%s:00", v->u.string);
		if (fhir_datetime_parse(hh, &dt, NULL) != 0)
			return 0;
		dt.precision = FHIR_PREC_HOUR;
	} else if (fhir_datetime_parse(v->u.string, &dt, NULL) != 0)
		return 0;
	if ((kind == FHIR_VALUE_TIME) != !dt.has_date)
		return 0;
	if (kind == FHIR_VALUE_DATE && dt.precision > FHIR_PREC_DAY)
		return 0;
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->u.datetime = dt;
	return 1;
}

static int to_date(struct fhir_arena *arena, const struct fhir_value *v, struct fhir_value *out)
{
	(void)arena;
	return to_datetime_kind(v, out, FHIR_VALUE_DATE);
}

static int to_datetime(struct fhir_arena *arena, const struct fhir_value *v, struct fhir_value *out)
{
	(void)arena;
	return to_datetime_kind(v, out, FHIR_VALUE_DATETIME);
}

static int to_time(struct fhir_arena *arena, const struct fhir_value *v, struct fhir_value *out)
{
	(void)arena;
	return to_datetime_kind(v, out, FHIR_VALUE_TIME);
}

/* "1", "1.5 'mg'", "3 days": a FHIRPath quantity literal's text. Unit strings point into v. */
static int parse_quantity(const char *s, struct fhir_value *out)
{
	static const char *const calendar[] = {
	    "year",   "years",   "month",       "months",       "week",   "weeks",
	    "day",    "days",    "hour",        "hours",        "minute", "minutes",
	    "second", "seconds", "millisecond", "milliseconds",
	};
	char *end;
	double d;

	if (s == NULL || !(isdigit((unsigned char)*s) || *s == '-' || *s == '+'))
		return 0;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s)
		return 0;
	memset(out, 0, sizeof(*out));
	out->kind = FHIR_VALUE_QUANTITY;
	out->u.quantity.value = d;
	out->u.quantity.unit = "1";
	if (*end == '\0')
		return 1;
	if (*end != ' ')
		return 0;
	end++;
	if (*end == '\'') {
		size_t n = strlen(end);

		if (n < 3 || end[n - 1] != '\'' || memchr(end + 1, '\'', n - 2) != NULL)
			return 0;
		out->u.quantity.unit = NULL; /* filled by the caller from the arena */
		return 2;
	}
	for (size_t i = 0; i < sizeof(calendar) / sizeof(calendar[0]); i++) {
		if (strcmp(end, calendar[i]) == 0) {
			out->u.quantity.unit = calendar[i];
			return 1;
		}
	}
	return 0;
}

static int to_quantity(struct fhir_arena *arena, const struct fhir_value *v, struct fhir_value *out)
{
	if (v->kind == FHIR_VALUE_STRING) {
		int r = parse_quantity(v->u.string, out);

		if (r == 2) {
			/* the unit is inside v's text: 'unit' without the quotes */
			const char *q = strchr(v->u.string, '\'');

			out->u.quantity.unit = fhir_arena_strndup(arena, q + 1, strlen(q + 1) - 1);
		}
		return r != 0;
	}
	if (v->kind == FHIR_VALUE_BOOLEAN) {
		memset(out, 0, sizeof(*out));
		out->kind = FHIR_VALUE_QUANTITY;
		out->u.quantity.value = v->u.boolean;
		out->u.quantity.unit = "1";
		return 1;
	}
	if (v->kind == FHIR_VALUE_QUANTITY) {
		*out = *v;
		return 1;
	}
	if (v->kind == FHIR_VALUE_INTEGER || v->kind == FHIR_VALUE_DECIMAL) {
		memset(out, 0, sizeof(*out));
		out->kind = FHIR_VALUE_QUANTITY;
		out->u.quantity.value =
		    v->kind == FHIR_VALUE_INTEGER ? (double)v->u.integer : v->u.decimal;
		out->u.quantity.unit = "1";
		return 1;
	}
	return 0;
}

static int convert(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                   const struct fhir_collection *in, struct fhir_collection *out,
                   int (*conv)(struct fhir_arena *, const struct fhir_value *, struct fhir_value *),
                   int report)
{
	struct fhir_value v, r;
	int rc = fhir__fp_singleton(e, call, call->name, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (!fhir__fp_prim(&v, &v)) {
		if (report)
			return push_bool(e, out, 0);
		return 0;
	}
	rc = conv(e->arena, &v, &r);
	if (report)
		return push_bool(e, out, rc);
	if (rc)
		PUSH(&r);
	return 0;
}

static int to_string_conv(struct fhir_arena *arena, const struct fhir_value *v,
                          struct fhir_value *out)
{
	(void)arena;
	*out = *v;
	return 1;
}

FN(fn_to_integer)
{
	return convert(e, call, in, out, to_integer, 0);
}
FN(fn_to_decimal)
{
	return convert(e, call, in, out, to_decimal, 0);
}
FN(fn_to_boolean)
{
	return convert(e, call, in, out, to_boolean, 0);
}
FN(fn_to_date)
{
	return convert(e, call, in, out, to_date, 0);
}
FN(fn_to_datetime)
{
	return convert(e, call, in, out, to_datetime, 0);
}
FN(fn_to_time)
{
	return convert(e, call, in, out, to_time, 0);
}
FN(fn_to_quantity)
{
	return convert(e, call, in, out, to_quantity, 0);
}
FN(fn_converts_to_integer)
{
	return convert(e, call, in, out, to_integer, 1);
}
FN(fn_converts_to_decimal)
{
	return convert(e, call, in, out, to_decimal, 1);
}
FN(fn_converts_to_boolean)
{
	return convert(e, call, in, out, to_boolean, 1);
}
FN(fn_converts_to_date)
{
	return convert(e, call, in, out, to_date, 1);
}
FN(fn_converts_to_datetime)
{
	return convert(e, call, in, out, to_datetime, 1);
}
FN(fn_converts_to_time)
{
	return convert(e, call, in, out, to_time, 1);
}
FN(fn_converts_to_quantity)
{
	return convert(e, call, in, out, to_quantity, 1);
}
FN(fn_converts_to_string)
{
	return convert(e, call, in, out, to_string_conv, 1);
}

/* ---- strings (FHIRPath N1 §5.6) ---------------------------------------------------------- */

FN(fn_index_of)
{
	const char *s, *sub;
	const char *hit;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_string(e, call, 0, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	hit = strstr(s, sub);
	return push_int(e, out, hit ? (int64_t)(hit - s) : -1);
}

FN(fn_substring)
{
	const char *s;
	int64_t start = 0, len = -1;
	size_t n;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_int(e, call, 0, &start);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (call->nargs > 1) {
		rc = arg_int(e, call, 1, &len);
		if (rc < 0)
			return rc;
		if (rc == 1)
			len = -1;
	}
	n = strlen(s);
	if (start < 0 || (uint64_t)start >= n)
		return 0;
	if (len < 0 || (uint64_t)len > n - (size_t)start)
		len = (int64_t)(n - (size_t)start);
	return push_str(e, out, fhir_arena_strndup(e->arena, s + start, (size_t)len));
}

/* startsWith, endsWith, contains: 0 = starts, 1 = ends, 2 = anywhere. */
static int str_test(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                    const struct fhir_collection *in, struct fhir_collection *out, int where)
{
	const char *s, *sub;
	size_t ls, lsub;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_string(e, call, 0, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	ls = strlen(s);
	lsub = strlen(sub);
	if (where == 0)
		return push_bool(e, out, strncmp(s, sub, lsub) == 0);
	if (where == 1)
		return push_bool(e, out, lsub <= ls && strcmp(s + ls - lsub, sub) == 0);
	return push_bool(e, out, strstr(s, sub) != NULL);
}

FN(fn_starts_with)
{
	return str_test(e, call, in, out, 0);
}
FN(fn_ends_with)
{
	return str_test(e, call, in, out, 1);
}
FN(fn_contains)
{
	return str_test(e, call, in, out, 2);
}

static int change_case(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                       const struct fhir_collection *in, struct fhir_collection *out, int upper)
{
	const char *s;
	char *r;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	r = fhir_arena_strdup(e->arena, s);
	for (char *p = r; *p; p++)
		*p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
	return push_str(e, out, r);
}

FN(fn_upper)
{
	return change_case(e, call, in, out, 1);
}
FN(fn_lower)
{
	return change_case(e, call, in, out, 0);
}

FN(fn_length)
{
	const char *s;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	return push_int(e, out, (int64_t)strlen(s));
}

FN(fn_trim)
{
	const char *s;
	size_t n;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return push_str(e, out, fhir_arena_strndup(e->arena, s, n));
}

FN(fn_to_chars)
{
	const char *s;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	for (; *s; s++) {
		rc = push_str(e, out, fhir_arena_strndup(e->arena, s, 1));
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A growable string in the arena for replace()/join(). */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_add(struct fhir_arena *a, struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = fhir_arena_alloc(a, cap);

		if (b->len)
			memcpy(p, b->p, b->len);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

FN(fn_replace)
{
	const char *s, *pat, *sub;
	struct sbuf b = {NULL, 0, 0};
	size_t lp, ls;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_string(e, call, 0, &pat);
	if (rc == 0)
		rc = arg_string(e, call, 1, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	lp = strlen(pat);
	ls = strlen(sub);
	sb_add(e->arena, &b, "", 0);
	if (lp == 0) {
		for (; *s; s++) {
			sb_add(e->arena, &b, sub, ls);
			sb_add(e->arena, &b, s, 1);
		}
		sb_add(e->arena, &b, sub, ls);
		return push_str(e, out, b.p);
	}
	for (;;) {
		const char *hit = strstr(s, pat);

		if (hit == NULL) {
			sb_add(e->arena, &b, s, strlen(s));
			break;
		}
		sb_add(e->arena, &b, s, (size_t)(hit - s));
		sb_add(e->arena, &b, sub, ls);
		s = hit + lp;
	}
	return push_str(e, out, b.p);
}

int fhir__fp_regex_compile(const char *pattern, unsigned flags, regex_t *re, char *msg, size_t size)
{
	char *full = NULL;
	int rc;

	if (flags & FP_F_REGEX_FULL) {
		size_t n = strlen(pattern) + 5;

		full = malloc(n);
		if (full == NULL)
			abort();
		snprintf(full, n, "^(%s)$", pattern);
		pattern = full;
	}
	rc = regcomp(re, pattern, REG_EXTENDED | ((flags & FP_F_REGEX_SUBS) ? 0 : REG_NOSUB));
	if (rc != 0)
		regerror(rc, re, msg, size);
	free(full);
	return rc;
}

/* The call's regular expression: precompiled when its pattern is a literal (*re points at it,
 * *tmp unused), else compiled now into *tmp (the caller regfrees it). 0, 1 (empty pattern
 * argument), or an evaluation error. */
static int call_regex(struct fhir__fp_ev *e, const struct fhir__fp_node *call, regex_t **re,
                      regex_t *tmp)
{
	const char *pat;
	char msg[128];
	int rc;

	if (call->regex != NULL) {
		*re = call->regex;
		return 0;
	}
	rc = arg_string(e, call, 0, &pat);
	if (rc != 0)
		return rc;
	if (fhir__fp_regex_compile(pat, call->func->flags, tmp, msg, sizeof(msg)) != 0)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "%s(): bad regular expression '%.80s': %s", call->name, pat,
		                     msg);
	*re = tmp;
	return 0;
}

/* FHIRPath N1 §matches (POSIX extended syntax here, no (?i) flags) and matchesFull (FHIRPath
 * 2.0: the whole string must match). */
FN(fn_matches)
{
	const char *s;
	regex_t tmp, *re;
	int m;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = call_regex(e, call, &re, &tmp);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	m = regexec(re, s, 0, NULL, 0) == 0;
	if (re == &tmp)
		regfree(&tmp);
	return push_bool(e, out, m);
}

FN(fn_replace_matches)
{
	const char *s, *sub;
	struct sbuf b = {NULL, 0, 0};
	regex_t tmp, *re;
	regmatch_t m;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_string(e, call, 1, &sub);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = call_regex(e, call, &re, &tmp);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	sb_add(e->arena, &b, "", 0);
	while (*s && regexec(re, s, 1, &m, 0) == 0) {
		sb_add(e->arena, &b, s, (size_t)m.rm_so);
		sb_add(e->arena, &b, sub, strlen(sub));
		if (m.rm_eo == m.rm_so) {
			sb_add(e->arena, &b, s + m.rm_so, 1);
			s += m.rm_so + 1;
		} else {
			s += m.rm_eo;
		}
	}
	sb_add(e->arena, &b, s, strlen(s));
	if (re == &tmp)
		regfree(&tmp);
	return push_str(e, out, b.p);
}

/* encode(format) / decode(format): base64, urlbase64, hex (FHIRPath 2.0 §encode). */
static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

static const char *encode(struct fhir_arena *a, const char *s, const char *format)
{
	size_t n = strlen(s), k = 0;
	int url = strcmp(format, "urlbase64") == 0;
	char *r;

	if (strcmp(format, "hex") == 0) {
		r = fhir_arena_alloc(a, n * 2 + 1);
		for (size_t i = 0; i < n; i++) {
			r[k++] = "0123456789abcdef"[(unsigned char)s[i] >> 4];
			r[k++] = "0123456789abcdef"[(unsigned char)s[i] & 15];
		}
		return r;
	}
	if (!url && strcmp(format, "base64") != 0)
		return NULL;
	r = fhir_arena_alloc(a, (n + 2) / 3 * 4 + 1);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)(unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		for (int j = 0; j < 4; j++) {
			char c = B64[(v >> (18 - 6 * j)) & 63];

			if (url && c == '+')
				c = '-';
			else if (url && c == '/')
				c = '_';
			r[k++] = (size_t)j <= (n - i) ? c : '=';
		}
	}
	return r;
}

static const char *decode(struct fhir_arena *a, const char *s, const char *format)
{
	size_t n = strlen(s), k = 0;
	int url = strcmp(format, "urlbase64") == 0;
	char *r = fhir_arena_alloc(a, n + 1);

	if (strcmp(format, "hex") == 0) {
		if (n % 2 != 0)
			return NULL;
		for (size_t i = 0; i < n; i += 2) {
			int hi = hexdigit(s[i]), lo = hexdigit(s[i + 1]);

			if (hi < 0 || lo < 0)
				return NULL;
			r[k++] = (char)(hi * 16 + lo);
		}
		return r;
	}
	if (!url && strcmp(format, "base64") != 0)
		return NULL;
	{
		unsigned v = 0;
		int bits = 0;

		for (size_t i = 0; i < n && s[i] != '='; i++) {
			int d = b64_value(s[i], url);

			if (d < 0)
				return NULL;
			v = (v << 6) | (unsigned)d;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				r[k++] = (char)((v >> bits) & 0xFF);
			}
		}
	}
	return memchr(r, '\0', k) != NULL ? NULL : r; /* strings cannot hold NUL */
}

static int coding(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                  const struct fhir_collection *in, struct fhir_collection *out, int enc)
{
	const char *s, *format, *r;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_string(e, call, 0, &format);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	r = enc ? encode(e->arena, s, format) : decode(e->arena, s, format);
	return r != NULL ? push_str(e, out, r) : 0;
}

FN(fn_encode)
{
	return coding(e, call, in, out, 1);
}

FN(fn_decode)
{
	return coding(e, call, in, out, 0);
}

/* escape(format) / unescape(format): html or json (FHIRPath 2.0 §escape). */
static const char *const html_entities[][2] = {
    {"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"},
};
static const char *const json_escapes[][2] = {
    {"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}, {"\r", "\\r"}, {"\t", "\\t"},
};

static int escaping(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                    const struct fhir_collection *in, struct fhir_collection *out, int esc)
{
	const char *s, *format;
	const char *const(*table)[2];
	struct sbuf b = {NULL, 0, 0};
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_string(e, call, 0, &format);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (strcmp(format, "html") == 0)
		table = html_entities;
	else if (strcmp(format, "json") == 0)
		table = json_escapes;
	else
		return 0;
	sb_add(e->arena, &b, "", 0);
	while (*s) {
		size_t i, from = esc ? 0 : 1, to = esc ? 1 : 0, len = 1;

		for (i = 0; i < 5; i++) {
			len = strlen(table[i][from]);
			if (strncmp(s, table[i][from], len) == 0)
				break;
		}
		if (i < 5) {
			sb_add(e->arena, &b, table[i][to], strlen(table[i][to]));
			s += len;
		} else {
			sb_add(e->arena, &b, s, 1);
			s++;
		}
	}
	return push_str(e, out, b.p);
}

FN(fn_escape)
{
	return escaping(e, call, in, out, 1);
}

FN(fn_unescape)
{
	return escaping(e, call, in, out, 0);
}

FN(fn_split)
{
	const char *s, *sep;
	size_t ls;
	int rc = input_string(e, call, in, &s);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_string(e, call, 0, &sep);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	ls = strlen(sep);
	for (;;) {
		const char *hit = ls ? strstr(s, sep) : NULL;

		if (hit == NULL)
			return push_str(e, out, s);
		rc = push_str(e, out, fhir_arena_strndup(e->arena, s, (size_t)(hit - s)));
		if (rc != 0)
			return rc;
		s = hit + ls;
	}
}

FN(fn_join)
{
	const char *sep = "";
	struct sbuf b = {NULL, 0, 0};
	int rc;

	if (call->nargs > 0) {
		rc = arg_string(e, call, 0, &sep);
		if (rc < 0)
			return rc;
	}
	sb_add(e->arena, &b, "", 0);
	for (size_t i = 0; i < in->count; i++) {
		const char *s = fhir__fp_to_string(e->arena, &in->items[i]);

		if (s == NULL)
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
			                     "join(): items must be primitive values");
		if (i > 0)
			sb_add(e->arena, &b, sep, strlen(sep));
		sb_add(e->arena, &b, s, strlen(s));
	}
	return push_str(e, out, b.p);
}

/* ---- math (FHIRPath N1 §5.7) ------------------------------------------------------------- */

static int math1(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                 const struct fhir_collection *in, struct fhir_collection *out, int op)
{
	struct fhir_value v, r;
	double d;
	int rc = input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (op == 0 && v.kind == FHIR_VALUE_QUANTITY) {
		v.u.quantity.value = fabs(v.u.quantity.value);
		v.node = NULL;
		PUSH(&v);
		return 0;
	}
	if (v.kind != FHIR_VALUE_INTEGER && v.kind != FHIR_VALUE_DECIMAL)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "%s(): expected a number", call->name);
	if (v.kind == FHIR_VALUE_INTEGER && (op == 0 || op == 1 || op == 2 || op == 5)) {
		if (op == 0 && v.u.integer == INT64_MIN)
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "abs(): integer overflow");
		return push_int(e, out, op == 0 && v.u.integer < 0 ? -v.u.integer : v.u.integer);
	}
	d = v.kind == FHIR_VALUE_INTEGER ? (double)v.u.integer : v.u.decimal;
	switch (op) {
	case 0:
		r = fhir__fp_dec(fabs(d));
		break;
	case 1:
		r = fhir__fp_int((int64_t)ceil(d));
		break;
	case 2:
		r = fhir__fp_int((int64_t)floor(d));
		break;
	case 3:
		if (d < 0)
			return 0;
		r = fhir__fp_dec(sqrt(d));
		break;
	case 4:
		r = fhir__fp_dec(exp(d));
		break;
	case 5:
		r = fhir__fp_int((int64_t)trunc(d));
		break;
	default:
		if (d <= 0)
			return 0;
		r = fhir__fp_dec(log(d));
		break;
	}
	PUSH(&r);
	return 0;
}

FN(fn_abs)
{
	return math1(e, call, in, out, 0);
}
FN(fn_ceiling)
{
	return math1(e, call, in, out, 1);
}
FN(fn_floor)
{
	return math1(e, call, in, out, 2);
}
FN(fn_sqrt)
{
	return math1(e, call, in, out, 3);
}
FN(fn_exp)
{
	return math1(e, call, in, out, 4);
}
FN(fn_truncate)
{
	return math1(e, call, in, out, 5);
}
FN(fn_ln)
{
	return math1(e, call, in, out, 6);
}

FN(fn_round)
{
	struct fhir_value v, r;
	int64_t prec = 0;
	double d, f;
	int rc = input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (v.kind != FHIR_VALUE_INTEGER && v.kind != FHIR_VALUE_DECIMAL)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "round(): expected a number");
	if (call->nargs > 0) {
		rc = arg_int(e, call, 0, &prec);
		if (rc < 0)
			return rc;
		if (prec < 0 || prec > 15)
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
			                     "round(): precision out of range");
	}
	d = v.kind == FHIR_VALUE_INTEGER ? (double)v.u.integer : v.u.decimal;
	f = pow(10.0, (double)prec);
	r = fhir__fp_dec(round(d * f) / f);
	PUSH(&r);
	return 0;
}

FN(fn_log)
{
	struct fhir_value v, b, r;
	int rc = input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_prim(e, call, 0, &b);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if ((v.kind != FHIR_VALUE_INTEGER && v.kind != FHIR_VALUE_DECIMAL) ||
	    (b.kind != FHIR_VALUE_INTEGER && b.kind != FHIR_VALUE_DECIMAL))
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "log(): expected numbers");
	{
		double x = v.kind == FHIR_VALUE_INTEGER ? (double)v.u.integer : v.u.decimal;
		double y = b.kind == FHIR_VALUE_INTEGER ? (double)b.u.integer : b.u.decimal;

		if (x <= 0 || y <= 0 || y == 1)
			return 0;
		r = fhir__fp_dec(log(x) / log(y));
	}
	PUSH(&r);
	return 0;
}

FN(fn_power)
{
	struct fhir_value v, b, r;
	double x, y, z;
	int rc = input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = arg_prim(e, call, 0, &b);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if ((v.kind != FHIR_VALUE_INTEGER && v.kind != FHIR_VALUE_DECIMAL) ||
	    (b.kind != FHIR_VALUE_INTEGER && b.kind != FHIR_VALUE_DECIMAL))
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "power(): expected numbers");
	x = v.kind == FHIR_VALUE_INTEGER ? (double)v.u.integer : v.u.decimal;
	y = b.kind == FHIR_VALUE_INTEGER ? (double)b.u.integer : b.u.decimal;
	z = pow(x, y);
	if (isnan(z) || isinf(z))
		return 0;
	if (v.kind == FHIR_VALUE_INTEGER && b.kind == FHIR_VALUE_INTEGER && y >= 0 &&
	    fabs(z) < 9007199254740992.0)
		r = fhir__fp_int((int64_t)z);
	else
		r = fhir__fp_dec(z);
	PUSH(&r);
	return 0;
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
	return push_bool(e, out, fhir_collection_truth(in) == 0);
}

/* ---- FHIR additions (FHIR R4 §2.24 FHIRPath) --------------------------------------------- */

FN(fn_extension)
{
	const char *url;
	int rc = arg_string(e, call, 0, &url);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	for (size_t i = 0; i < in->count; i++) {
		const struct fhir_value *item = &in->items[i];
		const cJSON *ext, *x;

		if (item->kind != FHIR_VALUE_NODE || !cJSON_IsObject(item->node))
			continue;
		ext = cJSON_GetObjectItemCaseSensitive(item->node, "extension");
		cJSON_ArrayForEach(x, ext)
		{
			const cJSON *u = cJSON_GetObjectItemCaseSensitive(x, "url");
			struct fhir_value v;

			if (!cJSON_IsString(u) || strcmp(u->valuestring, url) != 0)
				continue;
			memset(&v, 0, sizeof(v));
			v.kind = FHIR_VALUE_NODE;
			v.node = x;
			v.name = "extension";
			v.type = "Extension";
			PUSH(&v);
		}
	}
	return 0;
}

FN(fn_has_value)
{
	struct fhir_value v;

	(void)call;
	if (in->count != 1)
		return push_bool(e, out, 0);
	v = in->items[0];
	if (v.kind != FHIR_VALUE_NODE)
		return push_bool(e, out, 1);
	return push_bool(
	    e, out, !cJSON_IsObject(v.node) && !cJSON_IsArray(v.node) && !cJSON_IsNull(v.node));
}

/* 1, 0 or -1 (unknown ValueSet) for one system|code. */
static int member(struct fhir__fp_ev *e, const char *url, const cJSON *coding)
{
	const cJSON *system = cJSON_GetObjectItemCaseSensitive(coding, "system");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(coding, "code");

	if (!cJSON_IsString(code))
		return 0;
	return e->env->member_of(e->env->member_of_ctx, url,
	                         cJSON_IsString(system) ? system->valuestring : NULL,
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
	rc = arg_string(e, call, 0, &url);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (v.kind == FHIR_VALUE_NODE && cJSON_IsObject(v.node)) {
		const cJSON *codings = cJSON_GetObjectItemCaseSensitive(v.node, "coding");

		if (cJSON_IsArray(codings)) {
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
	return push_bool(e, out, res);
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

		if (item->kind == FHIR_VALUE_NODE && cJSON_IsObject(item->node)) {
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(item->node, "reference");

			if (cJSON_IsString(r))
				ref = r->valuestring;
		} else if (fhir__fp_prim(item, &p) && p.kind == FHIR_VALUE_STRING) {
			ref = p.u.string;
		}
		if (ref == NULL)
			continue;
		target = e->env->resolve(e->env->resolve_ctx, ref);
		if (target != NULL) {
			if (out->count >= FHIR_PATH_MAX_ITEMS)
				return fhir__fp_push(e, out, item); /* reports the limit */
			fhir_collection_push_node(out, e->arena, target);
		}
	}
	return 0;
}

FN(fn_html_checks)
{
	(void)call;
	(void)in;
	return push_bool(e, out, 1);
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
    {"as", 1, 1, FP_F_TYPE_ARG, fn_of_type},
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
    {"toString", 0, 0, 0, fn_to_string},
    {"toInteger", 0, 0, 0, fn_to_integer},
    {"toDecimal", 0, 0, 0, fn_to_decimal},
    {"toBoolean", 0, 0, 0, fn_to_boolean},
    {"toDate", 0, 0, 0, fn_to_date},
    {"toDateTime", 0, 0, 0, fn_to_datetime},
    {"toTime", 0, 0, 0, fn_to_time},
    {"toQuantity", 0, 1, 0, fn_to_quantity},
    {"convertsToString", 0, 0, 0, fn_converts_to_string},
    {"convertsToInteger", 0, 0, 0, fn_converts_to_integer},
    {"convertsToDecimal", 0, 0, 0, fn_converts_to_decimal},
    {"convertsToBoolean", 0, 0, 0, fn_converts_to_boolean},
    {"convertsToDate", 0, 0, 0, fn_converts_to_date},
    {"convertsToDateTime", 0, 0, 0, fn_converts_to_datetime},
    {"convertsToTime", 0, 0, 0, fn_converts_to_time},
    {"convertsToQuantity", 0, 1, 0, fn_converts_to_quantity},
    {"indexOf", 1, 1, 0, fn_index_of},
    {"substring", 1, 2, 0, fn_substring},
    {"startsWith", 1, 1, 0, fn_starts_with},
    {"endsWith", 1, 1, 0, fn_ends_with},
    {"contains", 1, 1, 0, fn_contains},
    {"upper", 0, 0, 0, fn_upper},
    {"lower", 0, 0, 0, fn_lower},
    {"replace", 2, 2, 0, fn_replace},
    {"matches", 1, 1, FP_F_REGEX, fn_matches},
    {"matchesFull", 1, 1, FP_F_REGEX | FP_F_REGEX_FULL, fn_matches},
    {"replaceMatches", 2, 2, FP_F_REGEX | FP_F_REGEX_SUBS, fn_replace_matches},
    {"length", 0, 0, 0, fn_length},
    {"trim", 0, 0, 0, fn_trim},
    {"toChars", 0, 0, 0, fn_to_chars},
    {"split", 1, 1, 0, fn_split},
    {"encode", 1, 1, 0, fn_encode},
    {"decode", 1, 1, 0, fn_decode},
    {"escape", 1, 1, 0, fn_escape},
    {"unescape", 1, 1, 0, fn_unescape},
    {"join", 0, 1, 0, fn_join},
    {"abs", 0, 0, 0, fn_abs},
    {"ceiling", 0, 0, 0, fn_ceiling},
    {"floor", 0, 0, 0, fn_floor},
    {"sqrt", 0, 0, 0, fn_sqrt},
    {"exp", 0, 0, 0, fn_exp},
    {"ln", 0, 0, 0, fn_ln},
    {"log", 1, 1, 0, fn_log},
    {"power", 1, 1, 0, fn_power},
    {"round", 0, 1, 0, fn_round},
    {"truncate", 0, 0, 0, fn_truncate},
    {"children", 0, 0, 0, fn_children},
    {"descendants", 0, 0, 0, fn_descendants},
    {"trace", 1, 2, 0, fn_trace},
    {"now", 0, 0, 0, fn_now},
    {"today", 0, 0, 0, fn_today},
    {"timeOfDay", 0, 0, 0, fn_time_of_day},
    {"aggregate", 1, 2, 0, fn_aggregate},
    {"not", 0, 0, 0, fn_not},
    {"extension", 1, 1, 0, fn_extension},
    {"hasValue", 0, 0, 0, fn_has_value},
    {"memberOf", 1, 1, 0, fn_member_of},
    {"resolve", 0, 0, 0, fn_resolve},
    {"htmlChecks", 0, 0, 0, fn_html_checks},
};

const struct fhir__fp_func *fhir__fp_func_find(const char *name)
{
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
		if (strcmp(functions[i].name, name) == 0)
			return &functions[i];
	return NULL;
}
