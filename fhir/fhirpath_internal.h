/* fhirpath_internal.h — what the FHIRPath files inside fhir/ share: tokens, the parse tree, the
 * evaluation context, the value helpers and the function table. Not part of the public API:
 * only the .c files of fhir/ (and white-box unit tests) include it. It must not declare anything
 * that does I/O; everything here allocates in an arena, except the per-thread cache of compiled
 * regular expressions (fhirpath_regex_cache.c). */
#ifndef CDS_FHIRPATH_INTERNAL_H
#define CDS_FHIRPATH_INTERNAL_H

#include <regex.h>
#include <string.h>

#include "fhir.h"

/* ---- JSON access on the hot path ----------------------------------------------------------
 * cJSON's type tests and member lookup are calls into a shared library, and its lookup runs
 * strcmp on every key. These give the same answers inline, comparing a key's first byte first. */

static inline int fhir__fp_json_type(const cJSON *n)
{
	return n != NULL ? n->type & 0xFF : cJSON_Invalid;
}
static inline int fhir__fp_is_object(const cJSON *n)
{
	return fhir__fp_json_type(n) == cJSON_Object;
}
static inline int fhir__fp_is_array(const cJSON *n)
{
	return fhir__fp_json_type(n) == cJSON_Array;
}
static inline int fhir__fp_is_string(const cJSON *n)
{
	return fhir__fp_json_type(n) == cJSON_String;
}
static inline int fhir__fp_is_number(const cJSON *n)
{
	return fhir__fp_json_type(n) == cJSON_Number;
}
static inline int fhir__fp_is_null(const cJSON *n)
{
	return fhir__fp_json_type(n) == cJSON_NULL;
}
static inline int fhir__fp_is_bool(const cJSON *n)
{
	return n != NULL && (n->type & (cJSON_True | cJSON_False)) != 0;
}
static inline int fhir__fp_is_true(const cJSON *n)
{
	return fhir__fp_json_type(n) == cJSON_True;
}
/* cJSON_GetObjectItemCaseSensitive(obj, name): BORROWED member, or NULL. */
static inline const cJSON *fhir__fp_member(const cJSON *obj, const char *name)
{
	if (obj == NULL || name == NULL)
		return NULL;
	for (const cJSON *c = obj->child; c != NULL && c->string != NULL; c = c->next)
		if (c->string[0] == name[0] && strcmp(c->string, name) == 0)
			return c;
	return NULL;
}

/* fhir__fp_member(obj, "resourceType") for an object (a resource's type member, or NULL), without
 * walking the members of an object the block parser marked as having none
 * (FHIR_JSON_NO_RESOURCE_TYPE): most objects a path steps into are elements, not resources. */
static inline const cJSON *fhir__fp_resource_type(const cJSON *obj)
{
	if (obj == NULL || (obj->type & FHIR_JSON_NO_RESOURCE_TYPE))
		return NULL;
	for (const cJSON *c = obj->child; c != NULL && c->string != NULL; c = c->next)
		if (c->string[0] == 'r' && strcmp(c->string, "resourceType") == 0)
			return c;
	return NULL;
}

/* ---- tokens (fhirpath_lex.c; FHIRPath N1 §Lexical elements) ----------------------------- */

enum fhir__fp_tok {
	FP_T_EOF,
	FP_T_IDENT,  /* identifier or keyword (and, or, div, true, ...) */
	FP_T_DIDENT, /* `delimited identifier` */
	FP_T_STRING, /* 'string' (text: unescaped) */
	FP_T_INTEGER,
	FP_T_DECIMAL,
	FP_T_DATE,     /* @2021-03-01 (text without @) */
	FP_T_DATETIME, /* @2021-03-01T10:00 (text without @ and without a trailing T) */
	FP_T_TIME,     /* @T10:00 (text without @T) */
	FP_T_VAR,      /* %name, %`name` or %'name' (text: the name) */
	FP_T_SPECIAL,  /* $this, $index, $total (text: this, index, total) */
	FP_T_LPAREN,
	FP_T_RPAREN,
	FP_T_LBRACK,
	FP_T_RBRACK,
	FP_T_LBRACE,
	FP_T_RBRACE,
	FP_T_DOT,
	FP_T_COMMA,
	FP_T_PLUS,
	FP_T_MINUS,
	FP_T_STAR,
	FP_T_SLASH,
	FP_T_PIPE,
	FP_T_AMP,
	FP_T_EQ,
	FP_T_NE,
	FP_T_EQUIV,
	FP_T_NEQUIV,
	FP_T_LT,
	FP_T_LE,
	FP_T_GT,
	FP_T_GE,
};

struct fhir__fp_token {
	enum fhir__fp_tok kind;
	size_t offset;    /* in the expression text */
	const char *text; /* NUL-terminated, in the path's arena */
};

/* Splits `text` into tokens ending with FP_T_EOF: the array NEW in `scratch` (*out, count in
 * *count), their texts NEW in `arena`. FHIR_ERR_SYNTAX with err->where = "expression:<offset>"
 * on a bad character, string or date. */
int fhir__fp_lex(const char *text, struct fhir_arena *arena, struct fhir_arena *scratch,
                 struct fhir__fp_token **out, size_t *count, struct fhir_error *err);

/* ---- parse tree (fhirpath_parse.c; FHIRPath N1 §Grammar) --------------------------------- */

enum fhir__fp_kind {
	FP_LITERAL, /* lit */
	FP_EMPTY,   /* {} */
	FP_IDENT,   /* name: member of the focus (or its resourceType when `at_root`) */
	FP_FUNC,    /* func(args) applied to the focus */
	FP_INVOKE,  /* left . right (right is FP_IDENT or FP_FUNC) */
	FP_INDEXER, /* left [ right ] */
	FP_BINARY,  /* left op right */
	FP_NEGATE,  /* - left */
	FP_TYPE,    /* left is/as name */
	FP_VAR,     /* %name */
	FP_THIS,    /* $this */
	FP_INDEX,   /* $index */
	FP_TOTAL,   /* $total */
};

enum fhir__fp_op {
	FP_OP_NONE,
	FP_OP_MUL,
	FP_OP_DIV,
	FP_OP_IDIV,
	FP_OP_MOD,
	FP_OP_ADD,
	FP_OP_SUB,
	FP_OP_CONCAT,
	FP_OP_IS,
	FP_OP_AS,
	FP_OP_UNION,
	FP_OP_LT,
	FP_OP_LE,
	FP_OP_GT,
	FP_OP_GE,
	FP_OP_EQ,
	FP_OP_NE,
	FP_OP_EQUIV,
	FP_OP_NEQUIV,
	FP_OP_IN,
	FP_OP_CONTAINS,
	FP_OP_AND,
	FP_OP_OR,
	FP_OP_XOR,
	FP_OP_IMPLIES,
};

struct fhir__fp_func;

struct fhir__fp_node {
	/* (members ordered pointers, sizes, then ints, so that a node packs into 112 bytes: a
	 * policy set holds hundreds of thousands of them) */
	const char *name;       /* IDENT member, FUNC name, VAR name, TYPE type name, op spelling */
	struct fhir_value *lit; /* LITERAL, and VAR resolved to a constant: the value */
	struct fhir__fp_node *left, *right;
	struct fhir__fp_node **args;
	union {
		/* FUNC taking a type (ofType, is, as) and TYPE (is/as operator): the type name
		 * without its namespace, which is in type_ns (fhir__fp_type_split at compile) */
		const char *type_arg;
		/* INVOKE: the key its Boolean answers are remembered under per request, or NULL
		 * (fhirpath_memo.c) */
		const struct fhir__fp_memo_key *memo_key;
		/* VAR: the name string every fhir_path_bind_variables gave for var_slot, when they
		 * all gave the same one (NULL when not): the environment's name at that position
		 * is then known equal by its address */
		const char *bound_name;
	};
	const struct fhir__fp_func *func;
	/* FUNC with FP_F_REGEX and a literal pattern: compiled once at compile time (regfree'd by
	 * fhir_path_free); regexec on a shared regex_t is thread-safe in glibc and musl. */
	regex_t *regex;
	struct fhir__fp_node *next_regex; /* chain of the nodes owning a compiled regex */
	/* (32 bits: FHIR_PATH_MAX_TEXT characters, at most 16 arguments) */
	uint32_t offset; /* where it starts in the text, for error messages */
	uint32_t nargs;
	union {
		uint32_t
		    host_index; /* FUNC calling a host function (func == &fhir__fp_host_func) */
		/* VAR: the position in env->vars fhir_path_bind_variables found for the name
		 * (checked against the name before use), or FP_VAR_SLOT_NONE / _MIXED: look it up
		 * by name */
		uint32_t var_slot;
	};
	enum fhir__fp_kind kind;
	enum fhir__fp_op op;
	int at_root; /* IDENT: first step of a path (may name the focus's resourceType) */
	int type_ns;
	/* VAR: what the name means when the environment does not define it, resolved at compile:
	 * FP_VAR_INPUT (%resource, %context, %rootResource), FP_VAR_CONST (lit holds the string:
	 * %ucum, %sct, %loinc, %vs-x, %ext-x) or FP_VAR_ENV_ONLY (unknown unless env defines it).
	 */
	enum { FP_VAR_ENV_ONLY, FP_VAR_INPUT, FP_VAR_CONST } var_builtin;
	/* Set at compile: no resolve() in this subtree, nor a host function whose table lacks
	 * results_only, so evaluating it keeps nothing in the arena beyond its result (the
	 * engine's reference index lives there): a caller done with the result may release what
	 * it allocated. */
	int pure;
	/* Set at compile (mark_quiet, fhirpath_eval.c): FP_Q_* bits saying when evaluating this
	 * subtree cannot fail and how many items it may yield, and its height (saturating) */
	uint16_t height;
	uint8_t quiet;
	/* Set by fhir_path_where_plan_seal: an INVOKE `%X.where(P)` some plan answers in a group
	 * (looked up in env->where_state when there is one) */
	uint8_t where_site;
};

/* Bits of fhir__fp_node.quiet, each for an evaluation with $this of at most one item. It cannot
 * fail: FP_Q_FAIL_ONE when the focus has at most one item, FP_Q_FAIL_ANY whatever the focus; when
 * it does not fail it yields at most one item: FP_Q_ONE_ONE for a focus of at most one item,
 * FP_Q_ONE_ANY whatever the focus. FP_Q_VARS: the subtree names %variables, which must resolve
 * (checked when the evaluation would rely on it); FP_Q_HOST: it calls a host function, which
 * does not fail only when the environment has host_call. Failing means an evaluation error; a
 * collection growing past FHIR_PATH_MAX_ITEMS (a million items) is not counted as failing. */
enum {
	FP_Q_FAIL_ONE = 1,
	FP_Q_FAIL_ANY = 2,
	FP_Q_ONE_ONE = 4,
	FP_Q_ONE_ANY = 8,
	FP_Q_VARS = 16,
	FP_Q_HOST = 32,
};

/* var_slot of a VAR node never bound, and of one bound to different positions by holders that
 * share the expression (policies laid out differently): both are looked up by name. */
#define FP_VAR_SLOT_NONE  UINT32_MAX
#define FP_VAR_SLOT_MIXED (UINT32_MAX - 1)

/* The exact shape of a sub-expression whose answer depends only on its focus, written out:
 * equal texts are the same sub-expression (fhirpath_memo.c). In the compiled path's arena. */
struct fhir__fp_memo_key {
	uint64_t hash; /* of text */
	size_t len;
	char text[];
};

/* A compiled expression: its text and tree, all in `arena` (immutable after compile). */
struct fhir_path {
	struct fhir_arena *arena;
	char *text;
	struct fhir__fp_node *root;
	struct fhir__fp_node *regexes; /* nodes whose regex fhir_path_free must regfree */
	size_t holders;                /* fhir_path_share + 1; the last fhir_path_free frees it */
};

/* Parses tokens into a tree in `arena`. FHIR_ERR_SYNTAX (unexpected token, unknown function,
 * wrong argument count) or FHIR_ERR_LIMIT (nesting deeper than FHIR_PATH_MAX_DEPTH); err->where
 * is "expression:<offset>". Every node given a compiled regex is chained onto *regexes, also on
 * failure, so the caller can regfree them. FHIRPath N1 §Grammar (precedence of §Operators). */
int fhir__fp_parse(const struct fhir__fp_token *toks, size_t count, struct fhir_arena *arena,
                   const struct fhir_path_host *host, struct fhir__fp_node **regexes,
                   struct fhir__fp_node **out, struct fhir_error *err);

/* ---- evaluation context (fhirpath_eval.c) ------------------------------------------------ */

struct fhir__fp_ev {
	const struct fhir_path_env *env;
	struct fhir_arena *arena; /* env->arena */
	struct fhir_error *err;
	const struct fhir_collection *input; /* %resource, %context */
	const struct fhir_collection *this_; /* $this */
	int64_t index;                       /* $index */
	const struct fhir_collection *total; /* $total, or NULL outside aggregate() */
	struct fhir_datetime now;
	int depth;
};

/* Evaluates node n with `focus` as its input; *out is reset first (arena memory). 0 or a
 * negative fhir_status with e->err filled. */
int fhir__fp_eval(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                  const struct fhir_collection *focus, struct fhir_collection *out);
/* Item comparisons `~` on two collections may make: it compares pairs, so untrusted data of n
 * items costs n^2; past this it is FHIR_ERR_LIMIT. (Set operations hash: fhir__fp_set.) */
#define FHIR__FP_MAX_PAIRS 20000000

/* 0 when comparing a x b items stays within FHIR__FP_MAX_PAIRS, else FHIR_ERR_LIMIT naming n. */
int fhir__fp_pairs(struct fhir__fp_ev *e, const struct fhir__fp_node *n, size_t a, size_t b);

/* splitmix64's finaliser: spreads a 64-bit key over all bits (the set's and memo's tables). */
static inline uint64_t fhir__mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* The answer of a filter node marked where_site from env->where_state (evaluating its group
 * first if needed: fhirpath_where_group.c): 0 or a negative fhir_status as evaluating n would
 * give, or 1 when the state's plan does not hold n (then evaluate it as usual). */
int fhir__fp_where_site(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                        const struct fhir_collection *focus, struct fhir_collection *out);

/* ---- sets (fhirpath_set.c; FHIRPath N1 §Equality, §Combining) ---------------------------- */

/* A set of items for de-duplication in linear time: an open-addressing hash table in an arena.
 * Items are filed under keys that equal items (fhir__fp_equal == 1) always share: the JSON
 * node's address, a JSON tree's shallow hash (its kind, resourceType and id), and its content
 * hash once two different trees share that shallow hash (fhirpath_set.c), a string's hash, a
 * number's bucket (decimals equal within 1e-10 are in the same or a neighbouring bucket, and both
 * are looked in), a date at its precision in UTC, a Quantity by unit and by base unit.
 * fhir__fp_equal decides among the items a key finds. */
struct fhir__fp_set_slot;
struct fhir__fp_set {
	struct fhir_arena *arena;
	struct fhir__fp_set_slot *slots;
	size_t cap, used; /* cap is a power of 2, used <= cap * 2 / 3 */
	int identity;     /* repeat(): two NODE items are the same only if they are one node */
	uint64_t mask;    /* hash bits kept: all; white-box tests set 0 to force collisions */
	struct fhir_path_memo *memo; /* content hashes kept across sets, or NULL */
};
/* Empties s, sized for about `expect` items, allocating in `arena` (which must outlive s). */
void fhir__fp_set_init(struct fhir__fp_set *s, struct fhir_arena *arena, size_t expect,
                       int identity);
/* fhir__fp_set_init for an evaluation: its arena, and the memo of its environment. */
void fhir__fp_set_ev(struct fhir__fp_ev *e, struct fhir__fp_set *s, size_t expect, int identity);
/* Adds v unless an item equal to it is in s: 1 added (v is BORROWED and must stay valid while
 * s is used), 0 already there. A TypeInfo item equals nothing: always 1. */
int fhir__fp_set_add(struct fhir__fp_set *s, const struct fhir_value *v);
/* 1 if an item equal to v is in s, else 0. */
int fhir__fp_set_has(const struct fhir__fp_set *s, const struct fhir_value *v);
/* Appends to out the items of a then b, each unless equal to one appended before (| and
 * union(); distinct() with b empty). 0 or FHIR_ERR_LIMIT. */
int fhir__fp_union(struct fhir__fp_ev *e, const struct fhir_collection *a,
                   const struct fhir_collection *b, struct fhir_collection *out);
/* Evaluates argument i of a function call against $this (FHIRPath N1 §Functions). */
int fhir__fp_arg(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                 struct fhir_collection *out);
/* The Kleene truth (fhir_collection_truth) of `n` evaluated as fhir__fp_lambda does, into
 * *truth; what the evaluation allocated is released when n is pure (where(), exists(), all()
 * over a long record keep nothing per item). 0 or a negative fhir_status. */
int fhir__fp_lambda_truth(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                          const struct fhir_value *item, int64_t index, int *truth);
/* Evaluates `n` with $this = [item] and $index = index, as where()/select() do. */
int fhir__fp_lambda(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                    const struct fhir_value *item, int64_t index, struct fhir_collection *out);
/* Makes *out share c's items without copying them: count and capacity are c->count, so the
 * first fhir__fp_push to *out copies them to a new array (c is never written). Collections an
 * evaluation returns may be such views (of a variable's value or a literal): read-only. */
static inline void fhir__fp_borrow(struct fhir_collection *out, const struct fhir_collection *c)
{
	out->items = c->count > 0 ? c->items : NULL;
	out->count = c->count;
	out->capacity = c->count;
}
/* fhir__fp_push when c has no room: grows it in the arena (fhir_collection_push). */
int fhir__fp_push_grow(struct fhir__fp_ev *e, struct fhir_collection *c,
                       const struct fhir_value *v);
/* Appends v to c; FHIR_ERR_LIMIT past FHIR_PATH_MAX_ITEMS. Inline when c has room (a
 * criterion pushes a value per step: the call and the copy were 6 % of the engine). */
static inline int fhir__fp_push(struct fhir__fp_ev *e, struct fhir_collection *c,
                                const struct fhir_value *v)
{
	if (c->count < c->capacity && c->count < FHIR_PATH_MAX_ITEMS) {
		c->items[c->count++] = *v;
		return 0;
	}
	return fhir__fp_push_grow(e, c, v);
}
/* fhir_collection_truth inline (every lambda, and/or operand and iif criterion asks it): 1 for
 * [true] or several items or one that is not a Boolean, 0 for [false], -1 for empty. */
static inline int fhir__fp_truth(const struct fhir_collection *c)
{
	const struct fhir_value *v;

	if (c->count != 1)
		return c->count == 0 ? -1 : 1;
	v = &c->items[0];
	if (v->kind == FHIR_VALUE_BOOLEAN)
		return v->u.boolean ? 1 : 0;
	if (v->kind == FHIR_VALUE_NODE && fhir__fp_is_bool(v->node))
		return fhir__fp_is_true(v->node) ? 1 : 0;
	return 1;
}
/* Fills e->err with "expression:<offset of n>" and returns status. */
int fhir__fp_fail(struct fhir__fp_ev *e, const struct fhir__fp_node *n, int status, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));
/* Navigates member `name` of every item of `in` (arrays flattened, choice types resolved),
 * appending to out. FHIRPath N1 §Path selection, FHIR R4 §2.24 choice types. */
int fhir__fp_children_named(struct fhir__fp_ev *e, const struct fhir_collection *in,
                            const char *name, struct fhir_collection *out);
/* The `type` marker of the TypeInfo items type() returns (`name` holds "FHIR.Patient"). */
extern const char fhir__fp_typeinfo[];
/* Appends every child element of item (all members, arrays flattened) to out. */
int fhir__fp_children(struct fhir__fp_ev *e, const struct fhir_value *item,
                      struct fhir_collection *out);

/* ---- values (fhirpath_value.c; FHIRPath N1 §Types, §Equality, §Comparison) --------------- */

/* The System value of v: a NODE holding a JSON string/number/bool becomes STRING/INTEGER/
 * DECIMAL/BOOLEAN (a string typed date/dateTime/instant/time becomes a date), a Quantity-shaped
 * object becomes QUANTITY; other values are copied. Returns 1 if *out is a System value. */
int fhir__fp_prim(const struct fhir_value *v, struct fhir_value *out);
/* Item equality (FHIRPath N1 §Equality =): 1 equal, 0 not, -1 unknown (dates of different
 * precision). */
int fhir__fp_equal(const struct fhir_value *a, const struct fhir_value *b);
/* Item equivalence (FHIRPath N1 §Equivalence ~): 1 or 0. */
int fhir__fp_equivalent(const struct fhir_value *a, const struct fhir_value *b);
/* Ordering (FHIRPath N1 §Comparison): 0 with *cmp = -1/0/1; 1 when unknown (empty result);
 * -1 when the types cannot be compared (an evaluation error). */
int fhir__fp_compare(const struct fhir_value *a, const struct fhir_value *b, int *cmp);
/* The string form of a System value (FHIRPath N1 §toString), in arena; NULL for an object. */
const char *fhir__fp_to_string(struct fhir_arena *arena, const struct fhir_value *v);
/* 1 if v is of type `type` ("Patient", "FHIR.Quantity", "System.String", "dateTime", ...).
 * FHIRPath N1 §Types: is. */
int fhir__fp_is_type(const struct fhir_value *v, const char *type);
/* The namespace of a type name, split off once at compile: returns the name without it and sets
 * *ns to FP_NS_ANY (no namespace), FP_NS_SYSTEM or FP_NS_FHIR. BORROWED: a suffix of type. */
enum { FP_NS_ANY, FP_NS_SYSTEM, FP_NS_FHIR };
const char *fhir__fp_type_split(const char *type, int *ns);
/* fhir__fp_is_type with the namespace already split off. */
int fhir__fp_is_type_ns(const struct fhir_value *v, int ns, const char *bare);
/* The unit a Quantity's unit compares as: the UCUM code for a calendar keyword ("years" ->
 * "a"), "1" for none, else u itself. BORROWED: static or u. */
const char *fhir__fp_canonical_unit(const char *u);
/* A UCUM unit with a fixed factor to its dimension's base ("cm" -> "m", 0.01; "mg" -> "g";
 * "wk" -> "s"): 1 with *base (static) and *factor, else 0 (unknown, or 'a'/'mo' which have no
 * fixed length). A small table, not UCUM: FHIRPath N1 §Quantity comparison. */
int fhir__fp_unit_base(const char *u, const char **base, double *factor);
/* "Namespace.Name" of v's type for type(): "System.Integer", "FHIR.boolean", "FHIR.Patient"
 * (NEW in arena or static). FHIRPath N1 §Reflection. */
const char *fhir__fp_type_name(struct fhir_arena *arena, const struct fhir_value *v);
/* Value constructors (no allocation). */
struct fhir_value fhir__fp_bool(int b);
struct fhir_value fhir__fp_int(int64_t i);
struct fhir_value fhir__fp_dec(double d);
struct fhir_value fhir__fp_str(const char *s);

/* ---- functions (fhirpath_functions.c, _strings.c, _convert.c, _math.c; FHIRPath N1 §Functions,
 * FHIR R4 §2.24 additions) -------------------------------------------------------------------- */

enum fhir__fp_func_flags {
	FP_F_TYPE_ARG = 1,   /* the single argument is a type specifier (ofType, is, as) */
	FP_F_REGEX = 2,      /* argument 1 is a POSIX extended regular expression */
	FP_F_REGEX_FULL = 4, /* ... that must match the whole input (matchesFull) */
	FP_F_REGEX_SUBS = 8, /* ... whose match offsets are needed (replaceMatches) */
};

struct fhir__fp_func {
	const char *name;
	unsigned min_args, max_args;
	unsigned flags;
	/* `in` is the focus; args are call->args (evaluate with fhir__fp_arg or fhir__fp_lambda);
	 * *out starts empty. */
	int (*fn)(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
	          const struct fhir_collection *in, struct fhir_collection *out);
};

/* Largest automaton (roughly: pattern nodes after expanding x+ and x{n,m}) a regular expression
 * may ask regcomp for, and deepest repetition of a repetition ("(a*)+" is 2): glibc's regcomp
 * time and memory grow exponentially with both. Past either the pattern is refused. */
#define FHIR__FP_MAX_REGEX_COST 4000
#define FHIR__FP_MAX_REGEX_NEST 3

/* Compiles `pattern` for a function with FP_F_REGEX* `flags` into *re (regfree it). 0, or
 * non-zero with a message in msg (regerror()'s, or "too complex" past FHIR__FP_MAX_REGEX_COST,
 * when nothing is compiled). POSIX regcomp, REG_EXTENDED. */
int fhir__fp_regex_compile(const char *pattern, unsigned flags, regex_t *re, char *msg,
                           size_t size);

/* The compiled form of a non-literal `pattern` for FP_F_REGEX* `flags`, from this thread's cache
 * of the last few compiled (fhirpath_regex_cache.c), compiling it on a miss. BORROWED: valid
 * until this thread's next call. NULL with a message in msg when it does not compile. */
const regex_t *fhir__fp_regex_cached(const char *pattern, unsigned flags, char *msg, size_t size);
/* How many patterns this thread's cache has compiled (unit tests check it stays small). */
unsigned long fhir__fp_regex_compiles(void);

/* Defines a function-table handler `name` with the signature of fhir__fp_func.fn. */
#define FHIR__FP_FN(name)                                                                          \
	static int name(struct fhir__fp_ev *e, const struct fhir__fp_node *call,                   \
	                const struct fhir_collection *in, struct fhir_collection *out)

/* Inside a handler: appends v to `out`, returning the error (FHIR_ERR_LIMIT) if any. */
#define FHIR__FP_PUSH(v)                                                                           \
	do {                                                                                       \
		int push_rc_ = fhir__fp_push(e, out, (v));                                         \
		if (push_rc_ != 0)                                                                 \
			return push_rc_;                                                           \
	} while (0)

/* Append a Boolean, Integer or String (BORROWED s: arena or JSON) to out; 0 or FHIR_ERR_LIMIT.
 * A Boolean into an empty collection that has no array becomes a view of a static [false] or
 * [true] (fhir__fp_booleans; read-only like every view: a later push copies it first), since
 * most Booleans are a whole answer (comparisons, exists(), and/or): no allocation, no copy. */
extern const struct fhir_value fhir__fp_booleans[2]; /* [0] false, [1] true */
static inline int fhir__fp_push_bool(struct fhir__fp_ev *e, struct fhir_collection *out, int b)
{
	if (out->count == 0 && out->capacity == 0) {
		/* a view (count == capacity): never written through, as fhir__fp_borrow's */
		out->items = (struct fhir_value *)&fhir__fp_booleans[b != 0];
		out->count = out->capacity = 1;
		return 0;
	}
	return fhir__fp_push(e, out, &fhir__fp_booleans[b != 0]);
}
int fhir__fp_push_int(struct fhir__fp_ev *e, struct fhir_collection *out, int64_t i);
int fhir__fp_push_str(struct fhir__fp_ev *e, struct fhir_collection *out, const char *s);

/* A handler's single input item as a System value / String: 0 (*out set), 1 (input empty), or
 * FHIR_ERR_EVAL naming the function (several items, an element, not a String).
 * FHIRPath N1 §Singleton evaluation of collections. */
int fhir__fp_input_prim(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                        const struct fhir_collection *in, struct fhir_value *out);
int fhir__fp_input_string(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                          const struct fhir_collection *in, const char **out);

/* Argument i of a call, evaluated and reduced to a single System value / String / Integer:
 * 0 (*out set), 1 (argument empty), or FHIR_ERR_EVAL naming the function and argument. */
int fhir__fp_arg_prim(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                      struct fhir_value *out);
int fhir__fp_arg_string(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                        const char **out);
int fhir__fp_arg_int(struct fhir__fp_ev *e, const struct fhir__fp_node *call, size_t i,
                     int64_t *out);

/* The rows of the function table defined by fhirpath_strings.c, fhirpath_convert.c and
 * fhirpath_math.c (fhirpath_functions.c holds the rest and searches them all). */
extern const struct fhir__fp_func fhir__fp_string_funcs[];
extern const size_t fhir__fp_string_func_count;
extern const struct fhir__fp_func fhir__fp_convert_funcs[];
extern const size_t fhir__fp_convert_func_count;
extern const struct fhir__fp_func fhir__fp_math_funcs[];
extern const size_t fhir__fp_math_func_count;
extern const struct fhir__fp_func fhir__fp_precision_funcs[]; /* fhirpath_precision.c */
extern const size_t fhir__fp_precision_func_count;

/* The row every host-function call points at (fhirpath_functions.c): it calls
 * env->host_call per input item. */
extern const struct fhir__fp_func fhir__fp_host_func;

/* The function named `name`, or NULL. BORROWED: static tables. */
const struct fhir__fp_func *fhir__fp_func_find(const char *name);

/* ---- FHIR R4 type model (fhirpath_model.c, fhirpath_model_table.c) ----------------------- */

/* One element of the model: `parent`.`name` has type `type` (FHIR R4 element tables). */
struct fhir__fp_model_row {
	const char *parent, *name, *type;
};
extern const struct fhir__fp_model_row fhir__fp_model_rows[]; /* sorted by parent, name */
extern const size_t fhir__fp_model_row_count;

/* The FHIR type of element `name` of a `parent` (a type name, or a backbone path such as
 * "Patient.contact"), following inheritance; NULL when the model does not know it.
 * BORROWED: static strings, canonical (fhir__fp_model_intern). Choice elements [x] are typed by
 * their suffix, not here. */
const char *fhir__fp_model_child(const char *parent, const char *name);
/* The model's canonical copy of `s` (static: one address per text, for ever) when s is the text
 * of one of its strings (a resource or data type name, an element's parent, name or type),
 * else NULL (also for NULL). A member name interned when an expression is compiled lets
 * fhir__fp_model_child find its answer by address alone. */
const char *fhir__fp_model_intern(const char *s);
/* 1 if `type` is an R4 resource type name. */
int fhir__fp_model_is_resource(const char *type);
/* The model's own copy of resource type name `type` (static: one address per name, so the
 * look-ups keyed by address find it again for every resource of a record), or NULL when
 * `type` (may be NULL) is not an R4 resource type. */
const char *fhir__fp_model_resource(const char *type);
/* 1 if `type` names an R4 resource, data type or abstract base (Element, Resource, ...). */
int fhir__fp_model_known(const char *type);
/* 1 if `type` is `base` or derives from it (code -> string, Age -> Quantity,
 * Patient -> DomainResource -> Resource). FHIRPath N1 §Types and reflection; FHIR R4 §2.24. */
int fhir__fp_model_derives(const char *type, const char *base);
/* 1 if `name` ("Patient", "FHIR.code", "System.String") is a type FHIRPath knows: a System
 * type or an R4 type. An unknown type in is/as/ofType is a compile error. */
int fhir__fp_type_known(const char *name);
/* 0 if the model's tables are sorted as the lookups need, -1 if not (unit tests call it). */
int fhir__fp_model_check(void);

/* The single item of `in` into *out: 0 (item), 1 (in is empty), or FHIR_ERR_EVAL naming `what`
 * when there are several (FHIRPath N1 §Singleton evaluation of collections). */
int fhir__fp_singleton(struct fhir__fp_ev *e, const struct fhir__fp_node *n, const char *what,
                       const struct fhir_collection *in, struct fhir_value *out);

/* ---- remembered answers (fhirpath_memo.c) ------------------------------------------------ */

/* Gives each INVOKE node in the tree under n that ends in empty(), exists(), all() or not() and
 * depends only on its focus a memo_key (in `arena`, the compiled path's). At compile. */
void fhir__fp_memo_mark(struct fhir__fp_node *n, struct fhir_arena *arena);
/* 1 with *truth (-1 {}, 0, 1) when this request's memo has n's answer for the focus `item`;
 * 0 when not (then evaluate, and file it with fhir__fp_memo_put). n->memo_key must be set and
 * e->env->memo not NULL. */
int fhir__fp_memo_get(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                      const struct fhir_value *item, int *truth);
/* Files n's `answer` ({} or one Boolean) for `item`, evaluated without error at e->depth. */
void fhir__fp_memo_put(struct fhir__fp_ev *e, const struct fhir__fp_node *n,
                       const struct fhir_value *item, const struct fhir_collection *answer);
/* The table of answers (malloc'd), kept in a struct fhir_path_memo (fhirpath_set.c). */
struct fhir__fp_truths;
struct fhir__fp_truths **fhir__fp_memo_truths(struct fhir_path_memo *memo);
void fhir__fp_truths_free(struct fhir__fp_truths *t);
/* Empties t (NULL: nothing to do) for reuse and returns 1, or returns 0, changing nothing, when it
 * has more than max_slots slots (then it is better freed). */
int fhir__fp_truths_clear(struct fhir__fp_truths *t, size_t max_slots);
/* Makes *tp (made when NULL) hold `answers` answers without growing: one table sized at once
 * instead of doubling (and rehashing) as it fills. Never shrinks; what it holds stays. */
void fhir__fp_truths_reserve(struct fhir__fp_truths **tp, size_t answers);
/* How many answers memo holds (for tests). */
size_t fhir__fp_memo_answers(struct fhir_path_memo *memo);
/* How far memo's answers sit from their home slots (for tests of the table's layout): the sum
 * over the answers of the slots between home and answer, and in *longest the most. */
size_t fhir__fp_memo_displacement(struct fhir_path_memo *memo, size_t *longest);

#endif
