/* fhirpath_eval.c — compiles FHIRPath text once (lexer + parser) and evaluates the tree against
 * FHIR JSON many times: path navigation with choice types, variables, operators with three-valued
 * logic and empty propagation (FHIRPath N1 §Path selection, §Operators, §Environment variables).
 * Functions live in fhirpath_functions.c and values in fhirpath_value.c. It must not modify the
 * JSON it reads, keep state between evaluations, or allocate outside env->arena. */
#include "fhirpath_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- compile ----------------------------------------------------------------------------- */

/* Bytes of a compiled expression's first arena block besides those per character of text. */
#define COMPILE_ARENA_BASE ((size_t)512)

static void free_regexes(struct fhir__fp_node *n)
{
	for (; n != NULL; n = n->next_regex)
		regfree(n->regex);
}

int fhir_path_compile(const char *text, struct fhir_path **out, struct fhir_error *err)
{
	return fhir_path_compile_host(text, NULL, out, err);
}

/* Sets n->pure on n and every node below it; returns n->pure (1 for no node). A host function
 * is pure when its table says it keeps nothing in the evaluation's arena (`host_pure`). */
static int mark_pure(struct fhir__fp_node *n, int host_pure)
{
	int pure = 1;

	if (n == NULL)
		return 1;
	pure &= mark_pure(n->left, host_pure);
	pure &= mark_pure(n->right, host_pure);
	for (size_t i = 0; i < n->nargs; i++)
		pure &= mark_pure(n->args[i], host_pure);
	if (n->kind == FP_FUNC && n->func != NULL &&
	    ((n->func == &fhir__fp_host_func && !host_pure) ||
	     strcmp(n->func->name, "resolve") == 0))
		pure = 0;
	n->pure = pure;
	return pure;
}

/* FP_Q_* bits of a function call whose arguments have been marked (see mark_quiet). */
static unsigned quiet_call(const struct fhir__fp_node *n, const struct fhir_path_host *host)
{
	const unsigned all = FP_Q_FAIL_ONE | FP_Q_FAIL_ANY | FP_Q_ONE_ONE | FP_Q_ONE_ANY;
	const char *f = n->func != NULL ? n->func->name : "";

	if (n->func == &fhir__fp_host_func) {
		unsigned says = host != NULL && n->host_index < host->count
		                    ? host->functions[n->host_index].quiet
		                    : 0;

		if (!(says & FHIR_PATH_HOST_SURE))
			return 0;
		for (size_t i = 0; i < n->nargs; i++)
			if (n->args[i]->kind != FP_LITERAL || n->args[i]->lit == NULL ||
			    n->args[i]->lit->kind != FHIR_VALUE_STRING)
				return 0;
		/* called per input item: at most one item each is no more than the focus holds */
		return FP_Q_FAIL_ONE | FP_Q_FAIL_ANY | FP_Q_HOST |
		       (says & FHIR_PATH_HOST_ONE ? FP_Q_ONE_ONE : 0);
	}
	/* the argument of these is evaluated per item (focus and $this one item), or absent */
	if (n->nargs == 1 && !(n->args[0]->quiet & FP_Q_FAIL_ONE))
		return 0;
	if (strcmp(f, "empty") == 0 || strcmp(f, "exists") == 0 || strcmp(f, "all") == 0 ||
	    strcmp(f, "count") == 0 || strcmp(f, "first") == 0 || strcmp(f, "last") == 0)
		return all;
	if (strcmp(f, "where") == 0 || strcmp(f, "intersect") == 0 || strcmp(f, "exclude") == 0)
		return FP_Q_FAIL_ONE | FP_Q_FAIL_ANY | FP_Q_ONE_ONE;
	if (strcmp(f, "not") == 0) /* a singleton: more items fail */
		return FP_Q_FAIL_ONE | FP_Q_ONE_ONE | FP_Q_ONE_ANY;
	return 0;
}

/* Sets n->quiet (FP_Q_* bits) and n->height on n and every node below it, and returns n->quiet.
 * Only what the evaluator does for certain is marked: literals, $this, $index, member steps,
 * %variables (FP_Q_VARS: each must resolve), paths of these, empty(), exists(), all(),
 * count(), first(), last(), where(), intersect(), exclude(), not() with quiet arguments, |,
 * = and != (which compare collections and never fail), and/or/xor/implies on operands of at
 * most one item, and the host's quiet functions with string literal arguments. Everything else
 * is 0. */
static unsigned mark_quiet(struct fhir__fp_node *n, const struct fhir_path_host *host)
{
	const unsigned all = FP_Q_FAIL_ONE | FP_Q_FAIL_ANY | FP_Q_ONE_ONE | FP_Q_ONE_ANY;
	unsigned q = 0, l = 0, r = 0, vars = 0, h = 0;

	if (n == NULL)
		return 0;
	if (n->left != NULL) {
		l = mark_quiet(n->left, host);
		h = n->left->height;
	}
	if (n->right != NULL) {
		r = mark_quiet(n->right, host);
		h = n->right->height > h ? n->right->height : h;
	}
	vars = (l | r) & (FP_Q_VARS | FP_Q_HOST);
	for (size_t i = 0; i < n->nargs; i++) {
		vars |= mark_quiet(n->args[i], host) & (FP_Q_VARS | FP_Q_HOST);
		h = n->args[i]->height > h ? n->args[i]->height : h;
	}
	n->height = (uint16_t)(h < UINT16_MAX ? h + 1 : UINT16_MAX);
	switch (n->kind) {
	case FP_LITERAL:
	case FP_EMPTY:
	case FP_THIS:
	case FP_INDEX:
		q = all;
		break;
	case FP_IDENT:
		q = FP_Q_FAIL_ONE | FP_Q_FAIL_ANY;
		break;
	case FP_VAR:
		q = FP_Q_FAIL_ONE | FP_Q_FAIL_ANY | FP_Q_VARS;
		break;
	case FP_INVOKE: /* the right evaluated on the left's items */
		if ((l & FP_Q_FAIL_ONE) &&
		    ((r & FP_Q_FAIL_ANY) || ((l & FP_Q_ONE_ONE) && (r & FP_Q_FAIL_ONE))))
			q |= FP_Q_FAIL_ONE;
		if ((l & FP_Q_FAIL_ANY) &&
		    ((r & FP_Q_FAIL_ANY) || ((l & FP_Q_ONE_ANY) && (r & FP_Q_FAIL_ONE))))
			q |= FP_Q_FAIL_ANY;
		if ((r & FP_Q_ONE_ANY) || ((l & FP_Q_ONE_ONE) && (r & FP_Q_ONE_ONE)))
			q |= FP_Q_ONE_ONE;
		if ((r & FP_Q_ONE_ANY) || ((l & FP_Q_ONE_ANY) && (r & FP_Q_ONE_ONE)))
			q |= FP_Q_ONE_ANY;
		break;
	case FP_FUNC:
		q = quiet_call(n, host);
		break;
	case FP_BINARY: /* both operands on the same focus */
		if (n->op == FP_OP_UNION) {
			q = l & r & (FP_Q_FAIL_ONE | FP_Q_FAIL_ANY);
		} else if (n->op == FP_OP_EQ || n->op == FP_OP_NE) {
			q = (l & r & (FP_Q_FAIL_ONE | FP_Q_FAIL_ANY)) | FP_Q_ONE_ONE | FP_Q_ONE_ANY;
		} else if (n->op == FP_OP_AND || n->op == FP_OP_OR || n->op == FP_OP_XOR ||
		           n->op == FP_OP_IMPLIES) {
			q = FP_Q_ONE_ONE | FP_Q_ONE_ANY;
			if ((l & r & (FP_Q_FAIL_ONE | FP_Q_ONE_ONE)) ==
			    (FP_Q_FAIL_ONE | FP_Q_ONE_ONE))
				q |= FP_Q_FAIL_ONE;
			if ((l & r & (FP_Q_FAIL_ANY | FP_Q_ONE_ANY)) ==
			    (FP_Q_FAIL_ANY | FP_Q_ONE_ANY))
				q |= FP_Q_FAIL_ANY;
		}
		break;
	default:
		break;
	}
	n->quiet = (uint8_t)(q | vars);
	return n->quiet;
}

/* Lexes and parses text (len characters) into a path whose arena's first block is `first`
 * bytes. NEW: *out (fhir_path_free). */
static int compile_sized(const char *text, size_t len, const struct fhir_path_host *host,
                         size_t first, struct fhir_path **out, struct fhir_error *err)
{
	struct fhir_arena *arena = fhir_arena_new_sized(first);
	struct fhir_arena *scratch = fhir_arena_new_sized(COMPILE_ARENA_BASE + len * 8);
	struct fhir__fp_token *toks = NULL;
	struct fhir_path *path;
	size_t count = 0;
	int rc;

	path = fhir_arena_alloc(arena, sizeof(*path));
	path->arena = arena;
	path->holders = 1;
	path->text = fhir_arena_strdup(arena, text);
	rc = fhir__fp_lex(path->text, arena, scratch, &toks, &count, err);
	if (rc == 0)
		rc = fhir__fp_parse(toks, count, arena, host, &path->regexes, &path->root, err);
	fhir_arena_free(scratch);
	if (rc != 0) {
		fhir_path_free(path);
		return rc;
	}
	mark_pure(path->root, host != NULL && host->results_only);
	mark_quiet(path->root, host);
	fhir__fp_memo_mark(path->root, arena);
	*out = path;
	return 0;
}

int fhir_path_compile_host(const char *text, const struct fhir_path_host *host,
                           struct fhir_path **out, struct fhir_error *err)
{
	struct fhir_path *path = NULL;
	size_t len, used;
	int rc;

	*out = NULL;
	if (text == NULL) {
		fhir_error_set(err, "expression:0", "no expression");
		return FHIR_ERR_SYNTAX;
	}
	len = strlen(text);
	if (len > FHIR_PATH_MAX_TEXT) {
		fhir_error_set(err, "expression:0",
		               "expression is %zu characters, over the limit of %d", len,
		               FHIR_PATH_MAX_TEXT);
		return FHIR_ERR_LIMIT;
	}
	/* sized for a typical tree (the shipped policies' need about 16 bytes per character of
	 * text), growing when not; then, since a compiled expression lives as long as its policy,
	 * compiled again into one block of exactly the bytes it used (parsing is deterministic) */
	rc = compile_sized(text, len, host, COMPILE_ARENA_BASE + len * 16, &path, err);
	if (rc != 0)
		return rc;
	used = fhir_arena_used(path->arena);
	if (fhir_arena_held(path->arena) > used + COMPILE_ARENA_BASE) {
		struct fhir_path *fit = NULL;

		if (compile_sized(text, len, host, used, &fit, err) == 0) {
			fhir_path_free(path);
			path = fit;
		}
	}
	*out = path;
	return 0;
}

void fhir_path_free(struct fhir_path *path)
{
	if (path == NULL || --path->holders > 0)
		return;
	free_regexes(path->regexes);
	fhir_arena_free(path->arena);
}

struct fhir_path *fhir_path_share(struct fhir_path *path)
{
	if (path != NULL)
		path->holders++;
	return path;
}

const char *fhir_path_text(const struct fhir_path *path)
{
	return path != NULL ? path->text : NULL;
}

static void walk_vars(const struct fhir__fp_node *n, void (*fn)(void *ctx, const char *name),
                      void *ctx)
{
	if (n == NULL)
		return;
	if (n->kind == FP_VAR && n->var_builtin == FP_VAR_ENV_ONLY)
		fn(ctx, n->name);
	walk_vars(n->left, fn, ctx);
	walk_vars(n->right, fn, ctx);
	for (size_t i = 0; i < n->nargs; i++)
		walk_vars(n->args[i], fn, ctx);
}

void fhir_path_each_variable(const struct fhir_path *path, void (*fn)(void *ctx, const char *name),
                             void *ctx)
{
	if (path != NULL && fn != NULL)
		walk_vars(path->root, fn, ctx);
}

static void walk_host_calls(const struct fhir__fp_node *n,
                            void (*fn)(void *ctx, size_t index, const char *const *strings,
                                       size_t nargs),
                            void *ctx)
{
	const char *strings[4];
	size_t i;

	if (n == NULL)
		return;
	if (n->kind == FP_FUNC && n->func == &fhir__fp_host_func && n->nargs <= 4) {
		for (i = 0; i < n->nargs; i++) {
			const struct fhir__fp_node *a = n->args[i];

			if (a->kind != FP_LITERAL || a->lit == NULL ||
			    a->lit->kind != FHIR_VALUE_STRING)
				break;
			strings[i] = a->lit->u.string;
		}
		if (i == n->nargs)
			fn(ctx, n->host_index, strings, n->nargs);
	}
	walk_host_calls(n->left, fn, ctx);
	walk_host_calls(n->right, fn, ctx);
	for (i = 0; i < n->nargs; i++)
		walk_host_calls(n->args[i], fn, ctx);
}

void fhir_path_each_host_call(const struct fhir_path *path,
                              void (*fn)(void *ctx, size_t index, const char *const *strings,
                                         size_t nargs),
                              void *ctx)
{
	if (path != NULL && fn != NULL)
		walk_host_calls(path->root, fn, ctx);
}

static void bind_vars(struct fhir__fp_node *n, const char *const *names, size_t count)
{
	if (n == NULL)
		return;
	if (n->kind == FP_VAR && n->var_slot != FP_VAR_SLOT_MIXED) {
		size_t i = 0;

		while (i < count && (names[i] == NULL || strcmp(names[i], n->name) != 0))
			i++;
		if (i < count && i < FP_VAR_SLOT_MIXED) {
			n->bound_name =
			    n->var_slot == FP_VAR_SLOT_NONE ||
			            (n->var_slot == (uint32_t)i && n->bound_name == names[i])
			        ? names[i]
			        : NULL;
			n->var_slot = n->var_slot == FP_VAR_SLOT_NONE || n->var_slot == (uint32_t)i
			                  ? (uint32_t)i
			                  : FP_VAR_SLOT_MIXED;
		}
	}
	bind_vars(n->left, names, count);
	bind_vars(n->right, names, count);
	for (size_t i = 0; i < n->nargs; i++)
		bind_vars(n->args[i], names, count);
}

void fhir_path_bind_variables(struct fhir_path *path, const char *const *names, size_t count)
{
	if (path != NULL && names != NULL)
		bind_vars(path->root, names, count);
}

/* ---- shared helpers ---------------------------------------------------------------------- */

int fhir__fp_fail(struct fhir__fp_ev *e, const struct fhir__fp_node *n, int status, const char *fmt,
                  ...)
{
	char where[64];
	char msg[sizeof(e->err->message)];
	va_list ap;

	snprintf(where, sizeof(where), "expression:%zu", n != NULL ? n->offset : (size_t)0);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fhir_error_set(e->err, where, "%s", msg);
	return status;
}

int fhir__fp_push_grow(struct fhir__fp_ev *e, struct fhir_collection *c, const struct fhir_value *v)
{
	if (c->count >= FHIR_PATH_MAX_ITEMS)
		return fhir__fp_fail(e, NULL, FHIR_ERR_LIMIT,
		                     "a collection grew past %d items (FHIR_PATH_MAX_ITEMS)",
		                     FHIR_PATH_MAX_ITEMS);
	fhir_collection_push(c, e->arena, v);
	return 0;
}

int fhir__fp_singleton(struct fhir__fp_ev *e, const struct fhir__fp_node *n, const char *what,
                       const struct fhir_collection *in, struct fhir_value *out)
{
	if (in->count == 0)
		return 1;
	if (in->count > 1) {
		if (n != NULL && (n->kind == FP_BINARY || n->kind == FP_TYPE))
			return fhir__fp_fail(
			    e, n, FHIR_ERR_EVAL,
			    "operator '%s': singleton expected, got a collection of "
			    "%zu items",
			    what, in->count);
		return fhir__fp_fail(
		    e, n, FHIR_ERR_EVAL, "%s%s: singleton expected, got a collection of %zu items",
		    what, n != NULL && n->kind == FP_FUNC && strchr(what, '(') == NULL ? "()" : "",
		    in->count);
	}
	*out = in->items[0];
	return 0;
}

int fhir__fp_pairs(struct fhir__fp_ev *e, const struct fhir__fp_node *n, size_t a, size_t b)
{
	if (a == 0 || b <= FHIR__FP_MAX_PAIRS / a)
		return 0;
	return fhir__fp_fail(e, n, FHIR_ERR_LIMIT,
	                     "'%s' would compare %zu x %zu items, over the limit of %d comparisons",
	                     n != NULL && n->name != NULL ? n->name : "?", a, b,
	                     FHIR__FP_MAX_PAIRS);
}

/* The environment variable n names at the position bound at compile (fhir_path_bind_variables),
 * when that position holds the name; else NULL (then look the name up). */
static inline const struct fhir_collection *bound_var(const struct fhir__fp_ev *e,
                                                      const struct fhir__fp_node *n)
{
	const struct fhir_path_var *v =
	    n->var_slot < e->env->var_count ? &e->env->vars[n->var_slot] : NULL;

	return v != NULL && v->name != NULL &&
	               (v->name == n->bound_name || strcmp(v->name, n->name) == 0)
	           ? &v->value
	           : NULL;
}

static int eval_ident(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_collection *focus, struct fhir_collection *out);
static int eval_invoke(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *focus, struct fhir_collection *out);
static int eval_binary(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *focus, struct fhir_collection *out);

/* fhir__fp_eval, with the commonest nodes done here without its call: a member step (also
 * the first of a path), a function call, a literal, $this and a bound %variable (four in five
 * of the nodes a criterion evaluates). They give exactly what fhir__fp_eval gives (a function
 * runs one level deeper, as there); at the depth limit, or for any other node, it is called. */
static inline __attribute__((always_inline)) int eval_fast(struct fhir__fp_ev *e,
                                                           const struct fhir__fp_node *n,
                                                           const struct fhir_collection *focus,
                                                           struct fhir_collection *out)
{
	const struct fhir_collection *c;
	int rc;

	if (e->depth < FHIR_PATH_MAX_DEPTH * 2 + 8) { /* fhir__fp_eval's ++depth would pass */
		switch (n->kind) {
		case FP_IDENT:
			memset(out, 0, sizeof(*out));
			rc = n->at_root ? eval_ident(e, n, focus, out)
			                : fhir__fp_children_named(e, focus, n->name, out);
			if (rc != 0)
				memset(out, 0, sizeof(*out));
			return rc;
		case FP_FUNC:
		case FP_INVOKE:
		case FP_BINARY:
			memset(out, 0, sizeof(*out));
			e->depth++;
			rc = n->kind == FP_FUNC     ? n->func->fn(e, n, focus, out)
			     : n->kind == FP_INVOKE ? eval_invoke(e, n, focus, out)
			                            : eval_binary(e, n, focus, out);
			e->depth--;
			if (rc != 0)
				memset(out, 0, sizeof(*out));
			return rc;
		case FP_LITERAL:
			fhir__fp_borrow(out, &(const struct fhir_collection){n->lit, 1, 1});
			return 0;
		case FP_THIS:
			fhir__fp_borrow(out, e->this_);
			return 0;
		case FP_VAR:
			if ((c = bound_var(e, n)) == NULL)
				break;
			fhir__fp_borrow(out, c);
			return 0;
		default:
			break;
		}
	}
	return fhir__fp_eval(e, n, focus, out);
}

int fhir__fp_arg(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                 struct fhir_collection *out)
{
	return eval_fast(e, call->args[i], e->this_, out);
}

int fhir__fp_lambda(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                    const struct fhir_value *item, int64_t index, struct fhir_collection *out)
{
	struct fhir_collection one = {(struct fhir_value *)item, 1, 1};
	const struct fhir_collection *saved_this = e->this_;
	int64_t saved_index = e->index;
	int rc;

	e->this_ = &one;
	e->index = index;
	rc = eval_fast(e, n, &one, out);
	e->this_ = saved_this;
	e->index = saved_index;
	return rc;
}

int fhir__fp_lambda_truth(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                          const struct fhir_value *item, int64_t index, int *truth)
{
	struct fhir_arena_mark mark = fhir_arena_mark(e->arena);
	struct fhir_collection r;
	int rc = fhir__fp_lambda(e, n, item, index, &r);

	if (rc == 0)
		*truth = fhir__fp_truth(&r);
	if (n->pure)
		fhir_arena_release(e->arena, mark);
	return rc;
}

/* ---- navigation (FHIRPath N1 §Path selection; FHIR R4 §2.24 choice types [x]) ------------- */

static const char *const fhir_primitives[] = {
    "boolean",      "integer",  "string",      "decimal",     "uri",  "url",       "canonical",
    "base64Binary", "instant",  "date",        "dateTime",    "time", "code",      "oid",
    "id",           "markdown", "unsignedInt", "positiveInt", "uuid", "integer64",
};

/* FHIR R4 data types that a choice element [x] may take (FHIR R4 §2.24.0.1 "Choice of Data
 * Types"), spelled as they appear as a suffix. */
static const char *const fhir_complex_types[] = {
    "Address",
    "Age",
    "Annotation",
    "Attachment",
    "CodeableConcept",
    "Coding",
    "ContactPoint",
    "Count",
    "Distance",
    "Duration",
    "HumanName",
    "Identifier",
    "Money",
    "Period",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "SampledData",
    "Signature",
    "Timing",
    "ContactDetail",
    "Contributor",
    "DataRequirement",
    "Expression",
    "ParameterDefinition",
    "RelatedArtifact",
    "TriggerDefinition",
    "UsageContext",
    "Dosage",
    "Meta",
    "Extension",
    "Narrative",
    "MoneyQuantity",
    "SimpleQuantity",
};

/* The FHIR type named by a choice suffix ("DateTime" -> "dateTime", "Quantity" stays), or NULL
 * when the suffix is not a FHIR data type (then the member is not a choice of `name`). */
static const char *choice_type(const char *suffix)
{
	for (size_t i = 0; i < sizeof(fhir_primitives) / sizeof(fhir_primitives[0]); i++) {
		const char *t = fhir_primitives[i];

		/* (every name here starts with a lower-case ASCII letter) */
		if (t[0] - 'a' + 'A' == suffix[0] && t[1] == suffix[1] &&
		    strcmp(suffix + 1, t + 1) == 0)
			return t;
	}
	for (size_t i = 0; i < sizeof(fhir_complex_types) / sizeof(fhir_complex_types[0]); i++)
		if (fhir_complex_types[i][0] == suffix[0] &&
		    fhir_complex_types[i][1] == suffix[1] &&
		    strcmp(fhir_complex_types[i], suffix) == 0)
			return fhir_complex_types[i];
	return NULL;
}

/* Whether element `name` may be a choice that includes `code` ("reason" must not find
 * "reasonCode"): in R4 only value[x]-like elements do (Extension.value[x], answer[x], fixed[x],
 * pattern[x], defaultValue[x], ...). Without the FHIR model this is a heuristic. */
static int code_choice(const char *name, size_t len)
{
	return strcmp(name, "value") == 0 || strcmp(name, "answer") == 0 ||
	       strcmp(name, "fixed") == 0 || strcmp(name, "pattern") == 0 ||
	       (len > 5 && strcmp(name + len - 5, "Value") == 0);
}

/* The "_name" array beside a primitive array member m of `parent` (FHIR R4 JSON §Primitive
 * elements: "given": [null, "Jim"], "_given": [{"extension": [...]}, null]), or NULL. */
static const cJSON *primitive_array_elements(const cJSON *parent, const cJSON *m)
{
	char key[128];
	const cJSON *x;

	if (parent == NULL || !fhir__fp_is_array(m) || m->string == NULL ||
	    strlen(m->string) + 2 > sizeof(key))
		return NULL;
	key[0] = '_';
	memcpy(key + 1, m->string, strlen(m->string) + 1);
	x = fhir__fp_member(parent, key);
	return fhir__fp_is_array(x) ? x : NULL;
}

static int push_member(struct fhir__fp_ev *e, const cJSON *parent, const cJSON *m, const char *name,
                       const char *type, struct fhir_collection *out)
{
	const cJSON *elems = m;
	const cJSON *one = m;
	/* the "_name" array's item beside one, looked up only once a null item needs it (no other
	 * item does), then kept in step: at ext_index */
	const cJSON *ext_one = NULL;
	size_t index = 0, ext_index = 0;
	int ext_looked = 0, rc;
	struct fhir_value v;

	if (fhir__fp_is_array(m)) {
		one = m->child;
		if (out->capacity == 0 && one != NULL && one->next != NULL) {
			/* a first answer of several items: room for all at once (at most) rather
			 * than growing from one item to four, a copy each time */
			size_t n = 0;

			for (const cJSON *c = one; c != NULL && n < FHIR_PATH_MAX_ITEMS;
			     c = c->next)
				n++;
			fhir_collection_reserve(out, e->arena, n);
		}
	} else {
		elems = NULL;
	}
	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_NODE;
	v.name = name;
	for (; one != NULL; one = elems != NULL ? one->next : NULL, index++) {
		const cJSON *rt;

		v.node = one;
		if (fhir__fp_is_null(one)) {
			/* a repeating primitive with no value but an id or extensions: the element
			 * exists (its _name object stands for it; hasValue() is false) */
			if (!ext_looked) {
				const cJSON *ext = primitive_array_elements(parent, m);

				ext_one = ext != NULL ? ext->child : NULL;
				ext_looked = 1;
			}
			for (; ext_index < index && ext_one != NULL; ext_index++)
				ext_one = ext_one->next;
			if (!fhir__fp_is_object(ext_one))
				continue;
			v.node = ext_one;
		}
		v.type = type;
		rt = fhir__fp_is_object(one) ? fhir__fp_resource_type(one) : NULL;
		if (fhir__fp_is_string(rt)) { /* as fhir_collection_push_node names it */
			v.type = fhir__fp_model_resource(rt->valuestring);
			if (v.type == NULL)
				v.type = rt->valuestring;
		}
		rc = fhir__fp_push(e, out, &v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The "_name" sibling of a primitive member (FHIR R4 JSON §Primitive elements: its id and
 * extensions), found through cJSON's sibling links, or NULL (also for array items). */
static const cJSON *primitive_element(const struct fhir_value *item)
{
	const cJSON *n = item->node, *p;

	if (n == NULL || n->string == NULL || fhir__fp_is_object(n) || fhir__fp_is_array(n))
		return NULL;
	for (p = n->next; p != NULL; p = p->next) /* after n, to the last member */
		if (p->string != NULL && p->string[0] == '_' &&
		    strcmp(p->string + 1, n->string) == 0)
			return p;
	/* before n: prev links run back to the first member, whose prev is the last one */
	for (p = n->prev; p != NULL && p != n && p->next != NULL; p = p->prev)
		if (p->string != NULL && p->string[0] == '_' &&
		    strcmp(p->string + 1, n->string) == 0)
			return p;
	return NULL;
}

/* TypeInfo values of type() (FHIRPath N1 §Reflection): NODE items with no JSON whose `type`
 * is this marker and whose `name` is "Namespace.Name". */
const char fhir__fp_typeinfo[] = "TypeInfo";

static int typeinfo_member(struct fhir__fp_ev *e, const struct fhir_value *item, const char *name,
                           struct fhir_collection *out)
{
	const char *dot = strchr(item->name, '.');

	if (dot == NULL)
		return 0;
	if (strcmp(name, "namespace") == 0)
		return fhir__fp_push_str(
		    e, out, fhir_arena_strndup(e->arena, item->name, (size_t)(dot - item->name)));
	if (strcmp(name, "name") == 0)
		return fhir__fp_push_str(e, out, dot + 1);
	return 0;
}

int fhir__fp_children_named(struct fhir__fp_ev *e, const struct fhir_collection *in,
                            const char *name, struct fhir_collection *out)
{
	size_t len = 0; /* of name, worked out when a choice element [x] is looked for */
	int rc;

	for (size_t i = 0; i < in->count; i++) {
		const struct fhir_value *item = &in->items[i];
		const cJSON *m;

		if (item->kind == FHIR_VALUE_NODE && item->node == NULL &&
		    item->type == fhir__fp_typeinfo) {
			rc = typeinfo_member(e, item, name, out);
			if (rc != 0)
				return rc;
			continue;
		}
		if (item->kind == FHIR_VALUE_NODE && !fhir__fp_is_object(item->node) &&
		    ((name[0] == 'e' && strcmp(name, "extension") == 0) ||
		     (name[0] == 'i' && strcmp(name, "id") == 0))) {
			const cJSON *pe = primitive_element(item);

			m = fhir__fp_is_object(pe) ? fhir__fp_member(pe, name) : NULL;
			if (m != NULL) {
				rc = push_member(e, NULL, m, m->string,
				                 name[0] == 'e' ? "Extension" : "string", out);
				if (rc != 0)
					return rc;
			}
			continue;
		}
		if (item->kind != FHIR_VALUE_NODE || !fhir__fp_is_object(item->node))
			continue;
		m = fhir__fp_member(item->node, name);
		if (m != NULL) {
			rc = push_member(e, item->node, m, m->string,
			                 fhir__fp_model_child(item->type, name), out);
			if (rc != 0)
				return rc;
			continue;
		}
		if (len == 0)
			len = strlen(name);
		for (m = item->node->child; m != NULL; m = m->next) {
			const char *type;

			if (m->string == NULL || m->string[0] != name[0] ||
			    strncmp(m->string, name, len) != 0 ||
			    !isupper((unsigned char)m->string[len]))
				continue;
			type = choice_type(m->string + len);
			if (type == NULL || (strcmp(type, "code") == 0 && !code_choice(name, len)))
				continue;
			rc = push_member(e, item->node, m, m->string, type, out);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

int fhir__fp_children(struct fhir__fp_ev *e, const struct fhir_value *item,
                      struct fhir_collection *out)
{
	int rc;

	if (item->kind != FHIR_VALUE_NODE || !fhir__fp_is_object(item->node))
		return 0;
	for (const cJSON *m = item->node->child; m != NULL; m = m->next) {
		if (m->string == NULL || m->string[0] == '_' ||
		    strcmp(m->string, "resourceType") == 0)
			continue;
		rc = push_member(e, item->node, m, m->string,
		                 fhir__fp_model_child(item->type, m->string), out);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int eval_ident(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_collection *focus, struct fhir_collection *out)
{
	int rc;

	if (!n->at_root)
		return fhir__fp_children_named(e, focus, n->name, out);
	/* FHIRPath N1 §Path selection: a path may start with the type name of its context. */
	for (size_t i = 0; i < focus->count; i++) {
		const struct fhir_value *item = &focus->items[i];
		struct fhir_collection one = {(struct fhir_value *)item, 1, 1};

		if (item->kind == FHIR_VALUE_NODE && item->type != NULL &&
		    item->type[0] == n->name[0] && strcmp(item->type, n->name) == 0 &&
		    fhir__fp_is_object(item->node) && fhir__fp_resource_type(item->node) != NULL)
			rc = fhir__fp_push(e, out, item);
		else
			rc = fhir__fp_children_named(e, &one, n->name, out);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- variables (FHIRPath N1 §Environment variables) -------------------------------------- */

static int eval_var(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                    struct fhir_collection *out)
{
	/* the environment first (it may redefine a built-in name): at the position bound at
	 * compile when it holds the name, else by name, comparing first bytes */
	const struct fhir_collection *c = bound_var(e, n);

	for (size_t i = 0; i < e->env->var_count && c == NULL; i++) {
		const struct fhir_path_var *var = &e->env->vars[i];

		if (var->name != NULL && var->name[0] == n->name[0] &&
		    strcmp(var->name, n->name) == 0)
			c = &var->value;
	}
	if (c == NULL && n->var_builtin == FP_VAR_INPUT)
		c = e->input;
	if (c == NULL && n->var_builtin == FP_VAR_CONST)
		return fhir__fp_push(e, out, n->lit);
	if (c == NULL)
		return fhir__fp_fail(e, n, FHIR_ERR_EVAL, "unknown variable %%%s", n->name);
	/* the variable's items, borrowed: a reference costs nothing however long the collection
	 * (`%all.where(%some.empty())` would copy %some once per item of %all) */
	fhir__fp_borrow(out, c);
	return 0;
}

/* ---- operators (FHIRPath N1 §Operators) -------------------------------------------------- */

/* Kleene truth of an operand of and/or/xor/implies: -1 empty, 0, 1; error when >1 item. */
static int logic_truth(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *c, int *truth)
{
	struct fhir_value v;

	if (c->count > 1) /* the singleton's error */
		return fhir__fp_singleton(e, n, n->name, c, &v);
	*truth = fhir__fp_truth(c);
	return 0;
}

/* 1 when every %variable under n resolves as eval_var would resolve it. */
static int vars_resolve(const struct fhir__fp_ev *e, const struct fhir__fp_node *n)
{
	if (n == NULL || !(n->quiet & FP_Q_VARS))
		return 1;
	if (n->kind == FP_VAR && n->var_builtin == FP_VAR_ENV_ONLY && bound_var(e, n) == NULL) {
		size_t i = 0;

		while (i < e->env->var_count &&
		       (e->env->vars[i].name == NULL || strcmp(e->env->vars[i].name, n->name) != 0))
			i++;
		if (i == e->env->var_count)
			return 0;
	}
	if (!vars_resolve(e, n->left) || !vars_resolve(e, n->right))
		return 0;
	for (size_t i = 0; i < n->nargs; i++)
		if (!vars_resolve(e, n->args[i]))
			return 0;
	return 1;
}

/* 1 when evaluating n on `focus` here cannot fail and yields at most one item (mark_quiet), so
 * that leaving it unevaluated changes no answer: $this of at most one item, the depth limit
 * out of reach, every %variable defined, host functions there to call. */
static int quiet_here(const struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_collection *focus)
{
	unsigned need =
	    focus->count <= 1 ? FP_Q_FAIL_ONE | FP_Q_ONE_ONE : FP_Q_FAIL_ANY | FP_Q_ONE_ANY;

	return (n->quiet & need) == need && e->this_->count <= 1 &&
	       (!(n->quiet & FP_Q_HOST) || e->env->host_call != NULL) &&
	       e->depth + (int)n->height + 2 <= FHIR_PATH_MAX_DEPTH * 2 + 8 && vars_resolve(e, n);
}

/* and/or/xor/implies: both operands are evaluated, left first, then their truths read (an
 * error in evaluating the right wins over the left's not being a singleton, as it always did);
 * a pure operand's scratch is released once its truth is read, which is all that is needed. */
static int op_logic(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                    const struct fhir_collection *focus, struct fhir_collection *out)
{
	struct fhir_arena_mark mark = fhir_arena_mark(e->arena);
	struct fhir_collection l, r;
	int a = -1, b = -1, res = -1, left_rc, rc;

	rc = eval_fast(e, n->left, focus, &l);
	if (rc != 0)
		return rc;
	left_rc = logic_truth(e, n, &l, &a);
	if (left_rc == 0 && n->left->pure)
		fhir_arena_release(e->arena, mark);
	if (left_rc == 0 && ((n->op == FP_OP_AND && a == 0) || (n->op == FP_OP_OR && a == 1)) &&
	    e->env->and_or_skip && quiet_here(e, n->right, focus))
		return fhir__fp_push_bool(e, out, a); /* what evaluating the right would give */
	mark = fhir_arena_mark(e->arena);
	rc = eval_fast(e, n->right, focus, &r);
	if (rc != 0)
		return rc;
	if (left_rc != 0)
		return logic_truth(e, n, &l, &a); /* the left's error (message) again */
	rc = logic_truth(e, n, &r, &b);
	if (n->right->pure)
		fhir_arena_release(e->arena, mark);
	if (rc != 0)
		return rc;
	switch (n->op) {
	case FP_OP_AND:
		res = (a == 0 || b == 0) ? 0 : (a == 1 && b == 1) ? 1 : -1;
		break;
	case FP_OP_OR:
		res = (a == 1 || b == 1) ? 1 : (a == 0 && b == 0) ? 0 : -1;
		break;
	case FP_OP_XOR:
		res = (a < 0 || b < 0) ? -1 : a != b;
		break;
	default: /* implies */
		res = a == 0 ? 1 : a == 1 ? b : (b == 1 ? 1 : -1);
		break;
	}
	if (res >= 0)
		return fhir__fp_push_bool(e, out, res);
	return 0;
}

static int push_bool(struct fhir__fp_ev *e, struct fhir_collection *out, int b)
{
	return fhir__fp_push_bool(e, out, b);
}

/* = and != (FHIRPath N1 §Equality). */
static int op_equality(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *l, const struct fhir_collection *r,
                       struct fhir_collection *out)
{
	int neg = n->op == FP_OP_NE || n->op == FP_OP_NEQUIV;
	int equiv = n->op == FP_OP_EQUIV || n->op == FP_OP_NEQUIV;
	int res = 1;

	if (equiv) {
		if (l->count != r->count)
			return push_bool(e, out, neg);
		if (fhir__fp_pairs(e, n, l->count, r->count) != 0)
			return FHIR_ERR_LIMIT;
		for (size_t i = 0; i < l->count && res; i++) {
			int found = 0;

			for (size_t k = 0; k < r->count && !found; k++)
				found = fhir__fp_equivalent(&l->items[i], &r->items[k]);
			res = found;
		}
		return push_bool(e, out, neg ? !res : res);
	}
	if (l->count == 0 || r->count == 0)
		return 0;
	if (l->count != r->count)
		return push_bool(e, out, neg);
	for (size_t i = 0; i < l->count; i++) {
		int eq = fhir__fp_equal(&l->items[i], &r->items[i]);

		if (eq == 0) {
			res = 0;
			break;
		}
		if (eq < 0)
			res = -1;
	}
	if (res < 0)
		return 0;
	return push_bool(e, out, neg ? !res : res);
}

static const char *kind_name(const struct fhir_value *v)
{
	static const char *const names[] = {"element", "Boolean",  "Integer", "Decimal", "String",
	                                    "Date",    "DateTime", "Time",    "Quantity"};
	struct fhir_value p;

	fhir__fp_prim(v, &p);
	if (p.kind == FHIR_VALUE_NODE && v->type != NULL)
		return v->type;
	return names[p.kind];
}

/* < <= > >= (FHIRPath N1 §Comparison): singletons; empty when either is empty or the
 * precisions make the answer unknown. */
static int op_compare(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_collection *l, const struct fhir_collection *r,
                      struct fhir_collection *out)
{
	struct fhir_value a, b;
	int rc, cmp = 0, res;

	rc = fhir__fp_singleton(e, n, n->name, l, &a);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_singleton(e, n, n->name, r, &b);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_compare(&a, &b, &cmp);
	if (rc < 0)
		return fhir__fp_fail(e, n, FHIR_ERR_EVAL, "cannot compare %s with %s using '%s'",
		                     kind_name(&a), kind_name(&b), n->name);
	if (rc > 0)
		return 0;
	switch (n->op) {
	case FP_OP_LT:
		res = cmp < 0;
		break;
	case FP_OP_LE:
		res = cmp <= 0;
		break;
	case FP_OP_GT:
		res = cmp > 0;
		break;
	default:
		res = cmp >= 0;
		break;
	}
	return push_bool(e, out, res);
}

static int contains_item(const struct fhir_collection *c, const struct fhir_value *v)
{
	for (size_t i = 0; i < c->count; i++)
		if (fhir__fp_equal(&c->items[i], v) == 1)
			return 1;
	return 0;
}

/* in / contains (FHIRPath N1 §Collections membership). */
static int op_membership(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                         const struct fhir_collection *l, const struct fhir_collection *r,
                         struct fhir_collection *out)
{
	const struct fhir_collection *item = n->op == FP_OP_IN ? l : r;
	const struct fhir_collection *set = n->op == FP_OP_IN ? r : l;
	struct fhir_value v;
	int rc = fhir__fp_singleton(e, n, n->name, item, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	return push_bool(e, out, contains_item(set, &v));
}

/* | (FHIRPath N1 §Collections union): both sides' items, equal ones once, first one kept. */
static int op_union(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                    const struct fhir_collection *l, const struct fhir_collection *r,
                    struct fhir_collection *out)
{
	(void)n;
	return fhir__fp_union(e, l, r, out);
}

/* Date/time ± quantity (FHIRPath N1 §Date/Time Arithmetic). */
static int date_arith(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_value *d, const struct fhir_value *q, int sign,
                      struct fhir_collection *out)
{
	struct fhir_value v = *d;
	double amount = trunc(q->u.quantity.value) * sign; /* N1: decimals are truncated */

	/* N1 §Date/Time Arithmetic: years and months must be the calendar keywords; the UCUM
	 * 'a' and 'mo' are averages (365.25 d, 30.4375 d), so adding them is an error. */
	if (q->u.quantity.unit != NULL &&
	    (strcmp(q->u.quantity.unit, "a") == 0 || strcmp(q->u.quantity.unit, "mo") == 0))
		return fhir__fp_fail(e, n, FHIR_ERR_EVAL,
		                     "date arithmetic: use the calendar unit year/month, not '%s'",
		                     q->u.quantity.unit);
	if (fabs(amount) > 1e12)
		return fhir__fp_fail(e, n, FHIR_ERR_EVAL, "date arithmetic: %g %s is out of range",
		                     q->u.quantity.value, q->u.quantity.unit);
	if (fhir_datetime_add(&v.u.datetime, (int64_t)amount, q->u.quantity.unit) != 0)
		return fhir__fp_fail(
		    e, n, FHIR_ERR_EVAL,
		    "cannot add '%s' to a date (not a calendar duration, or out of "
		    "range)",
		    q->u.quantity.unit);
	v.node = NULL;
	v.type = NULL;
	v.name = NULL;
	return fhir__fp_push(e, out, &v);
}

/* Quantity * Quantity and Quantity / Quantity (FHIRPath N1 §Math on quantities): units of
 * one dimension are first converted to its base (2 'cm' * 2 'm' = 0.04 'm2', 1 'm' / 1 'cm' =
 * 100 '1'); other units combine as UCUM terms ('g' / 'm' = 'g/m', 'g' * 'm' = 'g.m'). */
static int quantity_product(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                            const struct fhir_value *a, const struct fhir_value *b,
                            struct fhir_collection *out)
{
	const char *ua = a->u.quantity.unit ? a->u.quantity.unit : "1";
	const char *ub = b->u.quantity.unit ? b->u.quantity.unit : "1";
	const char *ba, *bb;
	double fa, fb, x = a->u.quantity.value, y = b->u.quantity.value;
	struct fhir_value v = *a;
	int mul = n->op == FP_OP_MUL;

	if (strcmp(ua, ub) != 0 && fhir__fp_unit_base(ua, &ba, &fa) &&
	    fhir__fp_unit_base(ub, &bb, &fb) && strcmp(ba, bb) == 0) {
		x *= fa;
		y *= fb;
		ua = ub = ba;
	}
	if (!mul && y == 0)
		return 0;
	v.node = NULL;
	v.type = NULL;
	v.name = NULL;
	v.scale = 0;
	v.u.quantity.value = mul ? x * y : x / y;
	if (!isfinite(v.u.quantity.value))
		return 0;
	if (strcmp(ua, ub) == 0)
		v.u.quantity.unit = mul ? fhir_arena_printf(e->arena, "%s2", ua) : "1";
	else if (strcmp(ub, "1") == 0)
		v.u.quantity.unit = ua;
	else if (strcmp(ua, "1") == 0)
		v.u.quantity.unit = mul ? ub : fhir_arena_printf(e->arena, "/%s", ub);
	else
		v.u.quantity.unit = fhir_arena_printf(e->arena, "%s%s%s", ua, mul ? "." : "/", ub);
	return fhir__fp_push(e, out, &v);
}

/* + - * / div mod & (FHIRPath N1 §Math, §String concatenation). */
static int op_arith(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                    const struct fhir_collection *l, const struct fhir_collection *r,
                    struct fhir_collection *out)
{
	struct fhir_value a, b, pa, pb, v;
	int rc;

	if (n->op == FP_OP_CONCAT) {
		const char *sa = "", *sb = "";

		rc = fhir__fp_singleton(e, n, "&", l, &a);
		if (rc < 0)
			return rc;
		if (rc == 0 && (sa = fhir__fp_to_string(e->arena, &a)) == NULL)
			sa = "";
		rc = fhir__fp_singleton(e, n, "&", r, &b);
		if (rc < 0)
			return rc;
		if (rc == 0 && (sb = fhir__fp_to_string(e->arena, &b)) == NULL)
			sb = "";
		v = fhir__fp_str(fhir_arena_printf(e->arena, "%s%s", sa, sb));
		return fhir__fp_push(e, out, &v);
	}
	rc = fhir__fp_singleton(e, n, n->name, l, &a);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_singleton(e, n, n->name, r, &b);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (!fhir__fp_prim(&a, &pa) || !fhir__fp_prim(&b, &pb))
		goto bad;
	if ((pa.kind == FHIR_VALUE_DATE || pa.kind == FHIR_VALUE_DATETIME ||
	     pa.kind == FHIR_VALUE_TIME) &&
	    pb.kind == FHIR_VALUE_QUANTITY && (n->op == FP_OP_ADD || n->op == FP_OP_SUB))
		return date_arith(e, n, &pa, &pb, n->op == FP_OP_ADD ? 1 : -1, out);
	if (pa.kind == FHIR_VALUE_STRING && pb.kind == FHIR_VALUE_STRING && n->op == FP_OP_ADD) {
		v = fhir__fp_str(fhir_arena_printf(e->arena, "%s%s", pa.u.string, pb.u.string));
		return fhir__fp_push(e, out, &v);
	}
	if (pa.kind == FHIR_VALUE_INTEGER && pb.kind == FHIR_VALUE_INTEGER && n->op != FP_OP_DIV) {
		int64_t x = pa.u.integer, y = pb.u.integer, z = 0;
		int overflow = 0;

		switch (n->op) {
		case FP_OP_ADD:
			overflow = __builtin_add_overflow(x, y, &z);
			break;
		case FP_OP_SUB:
			overflow = __builtin_sub_overflow(x, y, &z);
			break;
		case FP_OP_MUL:
			overflow = __builtin_mul_overflow(x, y, &z);
			break;
		case FP_OP_IDIV:
		case FP_OP_MOD:
			if (y == 0)
				return 0; /* division by zero is empty */
			if (x == INT64_MIN && y == -1) {
				overflow = 1;
				break;
			}
			z = n->op == FP_OP_IDIV ? x / y : x % y;
			break;
		default:
			goto bad;
		}
		if (overflow)
			return fhir__fp_fail(e, n, FHIR_ERR_EVAL, "integer overflow in '%s'",
			                     n->name);
		v = fhir__fp_int(z);
		return fhir__fp_push(e, out, &v);
	}
	if ((pa.kind == FHIR_VALUE_INTEGER || pa.kind == FHIR_VALUE_DECIMAL) &&
	    (pb.kind == FHIR_VALUE_INTEGER || pb.kind == FHIR_VALUE_DECIMAL)) {
		double x = pa.kind == FHIR_VALUE_INTEGER ? (double)pa.u.integer : pa.u.decimal;
		double y = pb.kind == FHIR_VALUE_INTEGER ? (double)pb.u.integer : pb.u.decimal;
		double z;

		switch (n->op) {
		case FP_OP_ADD:
			z = x + y;
			break;
		case FP_OP_SUB:
			z = x - y;
			break;
		case FP_OP_MUL:
			z = x * y;
			break;
		case FP_OP_DIV:
			if (y == 0)
				return 0;
			z = x / y;
			break;
		case FP_OP_IDIV:
			if (y == 0)
				return 0;
			z = trunc(x / y);
			if (!(z > -9.2e18 && z < 9.2e18))
				return fhir__fp_fail(e, n, FHIR_ERR_EVAL,
				                     "integer overflow in 'div'");
			v = fhir__fp_int((int64_t)z);
			return fhir__fp_push(e, out, &v);
		case FP_OP_MOD:
			if (y == 0)
				return 0;
			z = fmod(x, y);
			break;
		default:
			goto bad;
		}
		if (!isfinite(z))
			return 0; /* overflow: no representable Decimal */
		v = fhir__fp_dec(z);
		return fhir__fp_push(e, out, &v);
	}
	if (pa.kind == FHIR_VALUE_QUANTITY && pb.kind == FHIR_VALUE_QUANTITY &&
	    (n->op == FP_OP_ADD || n->op == FP_OP_SUB) && pa.u.quantity.unit &&
	    pb.u.quantity.unit && strcmp(pa.u.quantity.unit, pb.u.quantity.unit) == 0) {
		v = pa;
		v.node = NULL;
		v.type = NULL;
		v.u.quantity.value +=
		    n->op == FP_OP_ADD ? pb.u.quantity.value : -pb.u.quantity.value;
		return fhir__fp_push(e, out, &v);
	}
	if (pa.kind == FHIR_VALUE_QUANTITY && pb.kind == FHIR_VALUE_QUANTITY &&
	    (n->op == FP_OP_MUL || n->op == FP_OP_DIV))
		return quantity_product(e, n, &pa, &pb, out);
	if (pa.kind == FHIR_VALUE_QUANTITY &&
	    (pb.kind == FHIR_VALUE_INTEGER || pb.kind == FHIR_VALUE_DECIMAL) &&
	    (n->op == FP_OP_MUL || n->op == FP_OP_DIV)) {
		double y = pb.kind == FHIR_VALUE_INTEGER ? (double)pb.u.integer : pb.u.decimal;

		if (n->op == FP_OP_DIV && y == 0)
			return 0;
		v = pa;
		v.node = NULL;
		v.type = NULL;
		v.u.quantity.value =
		    n->op == FP_OP_MUL ? v.u.quantity.value * y : v.u.quantity.value / y;
		return fhir__fp_push(e, out, &v);
	}
bad:
	return fhir__fp_fail(e, n, FHIR_ERR_EVAL, "cannot apply '%s' to %s and %s", n->name,
	                     kind_name(&a), kind_name(&b));
}

/* The operands of a chain of | under n, left to right, with how many | nodes are above each
 * (n's included); 0, or -1 when there are more than `max`. */
static int union_operands(const struct fhir__fp_node *n, int level,
                          const struct fhir__fp_node **leaf, int *levels, size_t max, size_t *count)
{
	if (n->kind != FP_BINARY || n->op != FP_OP_UNION) {
		if (*count == max)
			return -1;
		leaf[*count] = n;
		levels[(*count)++] = level;
		return 0;
	}
	if (union_operands(n->left, level + 1, leaf, levels, max, count) != 0)
		return -1;
	return union_operands(n->right, level + 1, leaf, levels, max, count);
}

/* a | b | c | ... as one set: ((a | b) | c) would put a's and b's items in a new set again
 * for c, and again for each later operand (HNY 142's criterion B unions five collections, the
 * record's Conditions fourth). The answer is the same: operands evaluated in the same order
 * at the same depth, items kept in order of first appearance (an item joins only when it
 * equals none already kept, as in each two-operand union), an error at the same point.
 * 1 when the chain is not taken this way (a single |, over 32 operands, or near the depth
 * limit): then the caller evaluates n as two operands. */
static int union_chain(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *focus, struct fhir_collection *out)
{
	const struct fhir__fp_node *leaf[32];
	int levels[32], base = e->depth, rc = 0;
	size_t count = 0;
	struct fhir_collection first = {NULL, 0, 0};
	struct fhir__fp_set s;
	int started = 0;

	if (union_operands(n, 0, leaf, levels, 32, &count) != 0 || count < 3 ||
	    base + (int)count + 2 > FHIR_PATH_MAX_DEPTH * 2 + 8)
		return 1;
	for (size_t i = 0; i < count && rc == 0; i++) {
		struct fhir_collection c = {NULL, 0, 0}, none = {NULL, 0, 0};
		const struct fhir_collection *both[2] = {&first, &c};

		e->depth = base + levels[i] - 1; /* where ((a | b) | c) evaluates it */
		rc = eval_fast(e, leaf[i], focus, &c);
		e->depth = base;
		if (rc != 0)
			break;
		if (i == 0) {
			first = c;
			continue;
		}
		if (!started && first.count + c.count == 0)
			continue; /* (a union of nothing touches nothing) */
		if (!started) {
			fhir__fp_set_ev(e, &s, first.count + c.count, 0);
			started = 1;
		} else {
			both[0] = &none; /* first is in the set already */
		}
		for (int k = 0; k < 2 && rc == 0; k++) {
			/* room for all of this operand's items at once: a record's Conditions
			 * pushed one by one grew the answer by doubling, a copy each time */
			if (both[k]->count > 0 &&
			    out->count + both[k]->count <= FHIR_PATH_MAX_ITEMS)
				fhir_collection_reserve(out, e->arena, both[k]->count);
			for (size_t j = 0; j < both[k]->count && rc == 0; j++)
				if (fhir__fp_set_add(&s, &both[k]->items[j]))
					rc = fhir__fp_push(e, out, &both[k]->items[j]);
		}
	}
	return rc;
}

static int eval_binary(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *focus, struct fhir_collection *out)
{
	struct fhir_collection l, r;
	int rc;

	if (n->op == FP_OP_AND || n->op == FP_OP_OR || n->op == FP_OP_XOR || n->op == FP_OP_IMPLIES)
		return op_logic(e, n, focus, out);
	if (n->op == FP_OP_UNION && (rc = union_chain(e, n, focus, out)) != 1)
		return rc;
	rc = eval_fast(e, n->left, focus, &l);
	if (rc != 0)
		return rc;
	rc = eval_fast(e, n->right, focus, &r);
	if (rc != 0)
		return rc;
	switch (n->op) {
	case FP_OP_EQ:
	case FP_OP_NE:
	case FP_OP_EQUIV:
	case FP_OP_NEQUIV:
		return op_equality(e, n, &l, &r, out);
	case FP_OP_LT:
	case FP_OP_LE:
	case FP_OP_GT:
	case FP_OP_GE:
		return op_compare(e, n, &l, &r, out);
	case FP_OP_IN:
	case FP_OP_CONTAINS:
		return op_membership(e, n, &l, &r, out);
	case FP_OP_UNION:
		return op_union(e, n, &l, &r, out);
	default:
		return op_arith(e, n, &l, &r, out);
	}
}

static int eval_type(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                     const struct fhir_collection *focus, struct fhir_collection *out)
{
	struct fhir_collection l;
	struct fhir_value v;
	int rc = eval_fast(e, n->left, focus, &l);

	if (rc != 0)
		return rc;
	/* FHIRPath N1 §6.3: both need a single item (ofType() is the filter) */
	rc = fhir__fp_singleton(e, n, n->op == FP_OP_IS ? "is" : "as", &l, &v);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (n->op == FP_OP_IS)
		return push_bool(e, out, fhir__fp_is_type_ns(&v, n->type_ns, n->type_arg));
	return fhir__fp_is_type_ns(&v, n->type_ns, n->type_arg) ? fhir__fp_push(e, out, &v) : 0;
}

static int eval_negate(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *focus, struct fhir_collection *out)
{
	struct fhir_collection l;
	struct fhir_value v, p;
	int rc = eval_fast(e, n->left, focus, &l);

	if (rc != 0)
		return rc;
	rc = fhir__fp_singleton(e, n, "unary -", &l, &v);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	fhir__fp_prim(&v, &p);
	p.node = NULL;
	p.type = NULL;
	if (p.kind == FHIR_VALUE_INTEGER && p.u.integer != INT64_MIN)
		p.u.integer = -p.u.integer;
	else if (p.kind == FHIR_VALUE_DECIMAL)
		p.u.decimal = -p.u.decimal;
	else if (p.kind == FHIR_VALUE_QUANTITY)
		p.u.quantity.value = -p.u.quantity.value;
	else
		return fhir__fp_fail(e, n, FHIR_ERR_EVAL, "cannot negate %s", kind_name(&v));
	return fhir__fp_push(e, out, &p);
}

/* left.right (FHIRPath N1 §Path selection): the right evaluated on the left's items, its
 * answer remembered per request when n has a memo_key, or found in a where() group. For
 * fhir__fp_eval and eval_fast: *out is empty and e->depth already counts n. */
static int eval_invoke(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_collection *focus, struct fhir_collection *out)
{
	struct fhir_collection tmp;
	int rc;

	if (n->where_site && e->env->where_state != NULL &&
	    (rc = fhir__fp_where_site(e, n, focus, out)) != 1)
		return rc;
	if (n->memo_key != NULL && focus->count == 1 && e->env->memo != NULL) {
		int truth;

		if (fhir__fp_memo_get(e, n, &focus->items[0], &truth))
			return truth >= 0 ? fhir__fp_push_bool(e, out, truth) : 0;
	}
	rc = eval_fast(e, n->left, focus, &tmp);
	if (rc == 0)
		rc = eval_fast(e, n->right, &tmp, out);
	if (rc == 0 && n->memo_key != NULL && focus->count == 1 && e->env->memo != NULL)
		fhir__fp_memo_put(e, n, &focus->items[0], out);
	return rc;
}

int fhir__fp_eval(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                  const struct fhir_collection *focus, struct fhir_collection *out)
{
	struct fhir_collection tmp, idx;
	struct fhir_value v;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (++e->depth > FHIR_PATH_MAX_DEPTH * 2 + 8) {
		rc = fhir__fp_fail(e, n, FHIR_ERR_LIMIT, "evaluation nested deeper than %d levels",
		                   FHIR_PATH_MAX_DEPTH * 2);
		goto out;
	}
	switch (n->kind) {
	case FP_LITERAL: /* the compiled path's value, shared (results are read-only) */
		fhir__fp_borrow(out, &(const struct fhir_collection){n->lit, 1, 1});
		break;
	case FP_EMPTY:
		break;
	case FP_IDENT:
		rc = eval_ident(e, n, focus, out);
		break;
	case FP_FUNC:
		rc = n->func->fn(e, n, focus, out);
		break;
	case FP_INVOKE:
		rc = eval_invoke(e, n, focus, out);
		break;
	case FP_INDEXER:
		rc = eval_fast(e, n->left, focus, &tmp);
		if (rc == 0)
			rc = eval_fast(e, n->right, e->this_, &idx);
		if (rc == 0) {
			rc = fhir__fp_singleton(e, n, "[]", &idx, &v);
			if (rc == 1) {
				rc = 0;
				break;
			}
			if (rc < 0)
				break;
			if (!fhir__fp_prim(&v, &v) || v.kind != FHIR_VALUE_INTEGER) {
				rc = fhir__fp_fail(e, n, FHIR_ERR_EVAL,
				                   "an index must be an Integer");
				break;
			}
			if (v.u.integer >= 0 && (uint64_t)v.u.integer < tmp.count)
				rc = fhir__fp_push(e, out, &tmp.items[v.u.integer]);
		}
		break;
	case FP_BINARY:
		rc = eval_binary(e, n, focus, out);
		break;
	case FP_NEGATE:
		rc = eval_negate(e, n, focus, out);
		break;
	case FP_TYPE:
		rc = eval_type(e, n, focus, out);
		break;
	case FP_VAR:
		rc = eval_var(e, n, out);
		break;
	case FP_THIS:
		fhir__fp_borrow(out, e->this_);
		break;
	case FP_INDEX:
		v = fhir__fp_int(e->index);
		rc = fhir__fp_push(e, out, &v);
		break;
	case FP_TOTAL:
		if (e->total != NULL)
			fhir__fp_borrow(out, e->total);
		break;
	}
out:
	e->depth--;
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int fhir_path_eval(const struct fhir_path *path, const struct fhir_collection *input,
                   const struct fhir_path_env *env, struct fhir_collection *out,
                   struct fhir_error *err)
{
	static const struct fhir_collection none = {NULL, 0, 0};
	struct fhir__fp_ev e;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	if (path == NULL || env == NULL || env->arena == NULL) {
		fhir_error_set(err, NULL, "fhir_path_eval: path, env and env->arena are required");
		return FHIR_ERR_INVALID;
	}
	e.env = env;
	e.arena = env->arena;
	e.err = err;
	e.input = input != NULL ? input : &none;
	e.this_ = e.input;
	e.now = env->now;
	if (e.now.precision == 0 || !e.now.has_date)
		fhir_datetime_now(&e.now);
	rc = fhir__fp_eval(&e, path->root, e.input, out);
	return rc;
}
