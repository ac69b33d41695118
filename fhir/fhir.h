/* fhir.h — the public API of fhir/: FHIR R4 JSON access (bundles, references, codings,
 * prefetch values), partial dates and date arithmetic, ValueSet membership, and the FHIRPath
 * evaluator that policy facts are written in, and the server's two HTTP clients (libcurl): the
 * bounded GET for JWK Sets and the FHIR-server client that fetches what prefetch lacks.
 * Apart from those clients it depends on cJSON only, does no I/O and keeps no global state beyond
 * one cached request arena per thread (arena_cache.c) and the address space JSON pools are carved
 * from (json_hooks.c); everything it returns during a request lives in that request's arena. */
#ifndef CDS_FHIR_H
#define CDS_FHIR_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* ---- errors -------------------------------------------------------------------------------- */

/* A human-readable failure: `message` says what is wrong, `where` says where (a JSON pointer such
 * as "/context/draftOrders/entry/2", "file.json#/facts/3/met", or "expression:14" for a
 * character offset). Both are always NUL-terminated; truncated if too long. */
struct fhir_error {
	char message[512];
	char where[256];
};

/* Fills `err` (may be NULL: then nothing happens). `where` may be NULL. printf-style `fmt`. */
void fhir_error_set(struct fhir_error *err, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Negative status codes shared by fhir/, engine/ and cds-hooks/. 0 is success. */
enum fhir_status {
	FHIR_OK = 0,
	FHIR_ERR_SYNTAX = -1,  /* text that does not parse (FHIRPath, JSON, date) */
	FHIR_ERR_INVALID = -2, /* well-formed but wrong: types, missing members, bad values */
	FHIR_ERR_LIMIT = -3,   /* a named limit was exceeded (depth, size, count) */
	FHIR_ERR_EVAL = -4,    /* a FHIRPath evaluation error (e.g. singleton expected) */
	FHIR_ERR_NOT_FOUND = -5,
	FHIR_ERR_IO = -6,
};

/* ---- arena --------------------------------------------------------------------------------- */

/* A bump allocator for one request or one evaluation: many small allocations, freed at once.
 * Out of memory aborts (architecture.md rule 5). Not thread-safe: one arena per thread. */
struct fhir_arena;
struct fhir_arena *fhir_arena_new(void); /* NEW: free with fhir_arena_free */
/* An arena whose first block is `first` bytes (256 to 64 KB; later blocks double up to 64 KB),
 * for long-lived small things such as a compiled expression. NEW: free with fhir_arena_free. */
struct fhir_arena *fhir_arena_new_sized(size_t first);
/* Bytes the arena holds from malloc (its blocks and itself). */
size_t fhir_arena_held(const struct fhir_arena *arena);
/* Bytes handed out from its regular blocks (allocations over 16 KB, which get blocks of their
 * own, are not counted): a new arena of this first size takes the same allocations in one. */
size_t fhir_arena_used(const struct fhir_arena *arena);
void *fhir_arena_alloc(struct fhir_arena *arena, size_t size); /* zeroed, 16-byte aligned */
/* As fhir_arena_alloc, not zeroed: for memory the caller fills at once (text, copies). */
void *fhir_arena_alloc_raw(struct fhir_arena *arena, size_t size);
char *fhir_arena_strdup(struct fhir_arena *arena, const char *s); /* NULL in -> NULL out */
char *fhir_arena_strndup(struct fhir_arena *arena, const char *s, size_t n);
/* printf into the arena. */
char *fhir_arena_printf(struct fhir_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Forgets everything; keeps the first block and up to 1 MB of others for reuse. */
void fhir_arena_reset(struct fhir_arena *arena);
/* The same, but up to `keep` bytes of further standard blocks stay allocated for reuse (0: none),
 * so an arena reset between requests does not return and re-fault the same memory. */
void fhir_arena_reset_keep(struct fhir_arena *arena, size_t keep);
void fhir_arena_free(struct fhir_arena *arena); /* accepts NULL */
/* A point in an arena's life: fhir_arena_release(arena, mark) forgets everything allocated
 * after it (e.g. an evaluation's temporaries once its result has been read) and keeps what came
 * before. Marks are released last-made first; a reset invalidates them. */
struct fhir_arena_mark {
	void *head; /* opaque */
	size_t used;
	void *big;
};
struct fhir_arena_mark fhir_arena_mark(const struct fhir_arena *arena);
void fhir_arena_release(struct fhir_arena *arena, struct fhir_arena_mark mark);

/* ---- per-thread request arena (arena_cache.c) ---------------------------------------------- */

/* Bytes of blocks a cached arena keeps across requests beyond its first block; a request that
 * needed more gives the rest back to malloc (so RSS returns after a large record). */
#define FHIR_ARENA_CACHE_KEEP ((size_t)1024 * 1024)
/* Arenas a thread keeps cached: a request's and its text host's (engine/text_host.c). */
#define FHIR_ARENA_CACHE_SLOTS 2
/* An empty arena for one request: one of this thread's cached ones (the last given back), or a
 * new one when none is left (a nested request). NEW: hand it back with fhir_arena_give, which
 * resets it (keeping up to FHIR_ARENA_CACHE_KEEP bytes) and caches it for the thread's next
 * request, or frees it when the thread already caches FHIR_ARENA_CACHE_SLOTS. The cached
 * arenas are freed when their thread exits. Thread-safe. */
struct fhir_arena *fhir_arena_take(void);
void fhir_arena_give(struct fhir_arena *arena); /* accepts NULL */

/* ---- streaming JSON writer (json_writer.c) ------------------------------------------------- */

/* Writes JSON text as it is produced, into one growing buffer (no tree): commas and nesting are
 * the writer's; strings are escaped per RFC 8259 §7, valid UTF-8 passed through and each byte that
 * is not UTF-8 replaced by U+FFFD. Numbers are written as cJSON 1.7 writes them (NaN and the
 * infinities as null). With `prune` (CDS Hooks 2.0 §1) null, "", NaN, infinities and containers
 * that end empty are left out, keys included, unless fhir_json_keep marked the container. A
 * NULL string is always left out. `key` names the member inside an object and is ignored
 * elsewhere. Out of memory aborts. One writer per thread. */
struct fhir_json_level {
	size_t start; /* where the container's comma or key began (for the prune roll-back) */
	size_t count; /* values written in it so far */
	int object, keep;
};
struct fhir_json_writer {
	char *buf; /* the text so far, NUL-terminated (malloc'd; NULL before the first write) */
	size_t len, cap;
	int prune;
	struct fhir_json_level *levels; /* open containers, innermost last */
	size_t depth, level_cap;
};
void fhir_json_init(struct fhir_json_writer *w, int prune);
void fhir_json_object(struct fhir_json_writer *w, const char *key); /* opens {, closed by _end */
void fhir_json_array(struct fhir_json_writer *w, const char *key);  /* opens [, closed by _end */
void fhir_json_keep(struct fhir_json_writer *w); /* the open container is written even if empty */
void fhir_json_end(struct fhir_json_writer *w);  /* closes the innermost container */
void fhir_json_string(struct fhir_json_writer *w, const char *key, const char *s);
void fhir_json_string_n(struct fhir_json_writer *w, const char *key, const char *s, size_t n);
void fhir_json_number(struct fhir_json_writer *w, const char *key, double d);
void fhir_json_bool(struct fhir_json_writer *w, const char *key, int b);
void fhir_json_null(struct fhir_json_writer *w, const char *key);
/* A cJSON value, whole (BORROWED for the call); NULL writes nothing. */
void fhir_json_value(struct fhir_json_writer *w, const char *key, const cJSON *item);
/* NEW: the text written (free()), *length its length (may be NULL); "" when nothing was written.
 * Every container must be closed. The writer is left empty, ready for reuse. */
char *fhir_json_finish(struct fhir_json_writer *w, size_t *length);
void fhir_json_discard(struct fhir_json_writer *w); /* frees the text; the writer is empty */

/* ---- cJSON allocation (json_hooks.c) ------------------------------------------------------- */

/* Makes cJSON allocate through malloc/free wrappers that abort with a message on NULL
 * (architecture.md rule 5), so a NULL from cJSON can only mean bad input, never memory. Once per
 * process (later calls do nothing); call before threads start: fhir_client_global_init,
 * engine_load and cds_app_new call it (and tests/unit/testkit.h, before main), so every program
 * that loads an engine, and every test, has it. */
void fhir_json_hooks_install(void);

/* A JSON pool: the cJSON nodes (and their strings) one thread creates while the pool is entered,
 * released together (issue 12: a request's cards, response and decision records without a malloc
 * and a free per node). Zeroed is empty. Between fhir_json_pool_enter(pool) and
 * fhir_json_pool_leave(previous) every cJSON allocation of this thread (cJSON_Create*,
 * cJSON_Add*, cJSON_Duplicate, cJSON_Print*) comes from the pool, or from malloc when it is large
 * or the pool's address space is used up; cJSON_Delete and cJSON_free of pool memory do nothing,
 * so trees may still be edited and deleted as usual, on any thread, until the pool is released.
 * Nothing from a pool may outlive fhir_json_pool_release (copy it out first, outside the pool),
 * and text cJSON prints inside an entered pool must not be given to free(). Needs
 * fhir_json_hooks_install (without it nodes come from malloc). Not thread-safe per pool. */
struct fhir_json_pool {
	void *blocks;            /* the pool's blocks, newest first */
	unsigned char *at, *end; /* the free bytes of the newest */
};
/* Enters pool on this thread; returns the pool entered before (NULL: none), for _leave. */
struct fhir_json_pool *fhir_json_pool_enter(struct fhir_json_pool *pool);
void fhir_json_pool_leave(struct fhir_json_pool *previous);
/* Gives the pool's memory back (every node from it is gone); the pool is empty again. Accepts
 * NULL and an empty pool. */
void fhir_json_pool_release(struct fhir_json_pool *pool);

/* ---- size/depth-limited JSON parser (json_limited.c) ---------------------------------------- */

/* Named limits for one untrusted JSON text (architecture.md rule 5: over a limit is a clear error,
 * never an abort). A zero max_bytes or max_string_bytes means "no limit of that kind". */
struct fhir_json_limits {
	size_t max_bytes;        /* the whole text; larger -> FHIR_ERR_LIMIT */
	unsigned long max_depth; /* nesting of objects and arrays; deeper -> FHIR_ERR_LIMIT */
	unsigned long max_items; /* items of any one array; more -> FHIR_ERR_LIMIT */
	size_t max_string_bytes; /* bytes of any one string as written; longer -> FHIR_ERR_LIMIT */
	const char *subject;     /* what the messages call the text ("the request body"); NULL:
	                            "the JSON text" (BORROWED for the call) */
	int one_block; /* 1: build the tree in one allocation when the text allows (json_block.c;
	                  a request body: no malloc per node). Such a tree is read-only: only
	                  cJSON_Delete(root) may free it, nothing below the root may be deleted,
	                  detached or replaced, and items added below it would leak. */
};
/* A bit of the `type` of an object node in a tree built in one block (one_block above): none of
 * its members is named "resourceType", so it is no resource, and a reader looking for that
 * member need not walk the members (each a cache line of its own, in a record that no longer
 * fits the cache). Only such trees set it; without it an object may or may not have one.
 * cJSON reads only the low 8 bits of `type` and its own flags (256, 512), so cJSON_IsObject,
 * cJSON_Print and cJSON_Compare are unaffected; cJSON_Duplicate keeps it, which stays true. */
#define FHIR_JSON_NO_RESOURCE_TYPE 0x1000
/* Parses `length` bytes at `text` (need not be NUL-terminated) under *limits. Depth, UTF-8 (RFC
 * 3629), raw control characters in strings and string length are checked on the bytes before
 * cJSON parses (so cJSON's recursion is bounded); array sizes after. Text after the value ->
 * FHIR_ERR_SYNTAX, as are invalid UTF-8, a control character, or text that is not JSON. err names
 * the byte offset, or the JSON pointer of an over-long array. NEW: *out (cJSON_Delete); NULL on
 * error. */
int fhir_json_parse_limited(const char *text, size_t length, const struct fhir_json_limits *limits,
                            cJSON **out, struct fhir_error *err);

/* The length of the valid UTF-8 sequence at s (n bytes available), or 0 when it is not one
 * (overlong forms, surrogates, code points above U+10FFFF: RFC 3629 §3). n >= 1. */
size_t fhir_utf8_sequence(const unsigned char *s, size_t n);
/* How many of the n bytes at s are, from the start, printable ASCII other than '"' and '\\': the
 * bytes a JSON string holds as they are (sixteen tested at a time). */
size_t fhir_json_plain_run(const unsigned char *s, size_t n);

/* ---- dates and times (FHIR date, dateTime, instant, time; FHIRPath N1 §Date/Time) ----------- */

enum fhir_precision {
	FHIR_PREC_YEAR = 1,
	FHIR_PREC_MONTH,
	FHIR_PREC_DAY,
	FHIR_PREC_HOUR,
	FHIR_PREC_MINUTE,
	FHIR_PREC_SECOND,
	FHIR_PREC_MILLISECOND,
};

/* A partial date/dateTime/time. Fields below `precision` are meaningful; the rest are 0.
 * `has_tz` says whether a zone was given; `tz_minutes` is its offset east of UTC. */
struct fhir_datetime {
	int year, month, day;             /* month 1-12, day 1-31 */
	int hour, minute, second, millis; /* 0-23, 0-59, 0-59, 0-999 */
	enum fhir_precision precision;
	int has_date; /* 0 for a pure time (FHIRPath @T12:00) */
	int has_tz;
	int tz_minutes;
};

/* Parses FHIR JSON date/dateTime/instant text ("2021", "2021-03", "2021-03-01",
 * "2021-03-01T10:30:00Z", "2021-03-01T10:30:00.123+01:00") or a time ("10:30", "10:30:00").
 * Returns FHIR_OK or FHIR_ERR_SYNTAX (and fills err). */
int fhir_datetime_parse(const char *text, struct fhir_datetime *out, struct fhir_error *err);

/* Writes the value as FHIR text at its own precision into buf (NUL-terminated, truncated). */
void fhir_datetime_format(const struct fhir_datetime *dt, char *buf, size_t size);

/* Compares a and b (FHIRPath N1 §Comparison with precision): returns -1, 0 or 1, or 2 when the
 * answer is unknown because the precisions differ in a way that matters. */
int fhir_datetime_compare(const struct fhir_datetime *a, const struct fhir_datetime *b);

/* Adds `amount` calendar units (FHIRPath N1 §Date/Time Arithmetic: year, month, week, day, hour,
 * minute, second, millisecond; "3 months" clamps the day to the month's end). `unit` is a
 * FHIRPath calendar keyword, singular or plural, or a UCUM unit ('a','mo','wk','d','h','min',
 * 's','ms'). Returns FHIR_OK, or FHIR_ERR_INVALID for an unknown unit. */
int fhir_datetime_add(struct fhir_datetime *dt, int64_t amount, const char *unit);

/* The current instant (UTC, millisecond precision). */
void fhir_datetime_now(struct fhir_datetime *out);

/* ---- FHIRPath values and collections ------------------------------------------------------- */

enum fhir_value_kind {
	FHIR_VALUE_NODE,     /* an element of the FHIR JSON (object, or primitive member) */
	FHIR_VALUE_BOOLEAN,  /* System.Boolean */
	FHIR_VALUE_INTEGER,  /* System.Integer */
	FHIR_VALUE_DECIMAL,  /* System.Decimal */
	FHIR_VALUE_STRING,   /* System.String */
	FHIR_VALUE_DATE,     /* System.Date */
	FHIR_VALUE_DATETIME, /* System.DateTime */
	FHIR_VALUE_TIME,     /* System.Time */
	FHIR_VALUE_QUANTITY, /* System.Quantity */
};

/* One item of a FHIRPath collection. NODE items point into JSON that the caller owns (the
 * request, or a loaded policy) and is valid for the whole evaluation. Strings point into that
 * JSON or into the evaluation's arena. */
struct fhir_value {
	enum fhir_value_kind kind;
	/* DECIMAL, QUANTITY: 1 + the digits written after the decimal point (1.50 -> 3, 2 -> 1);
	 * 0 when not known (then the shortest form is printed). FHIRPath N1 §Decimal precision.
	 * (Beside kind, so that the value is 80 bytes, not 88: collections copy values.) */
	int scale;
	const cJSON *node; /* NODE: the element; for a primitive, the JSON string/number/bool */
	const char *type;  /* NODE: FHIR type name when known ("Condition", "CodeableConcept",
	                      "dateTime", ...), else NULL */
	const char *name;  /* NODE: the member name it was reached by, else NULL */
	union {
		int boolean;
		int64_t integer;
		double decimal;
		const char *string;
		struct fhir_datetime datetime; /* DATE, DATETIME, TIME */
		struct {
			double value;
			const char *unit; /* UCUM code or calendar keyword */
		} quantity;
	} u;
};

/* A FHIRPath collection: `count` items in `items` (arena memory, or caller memory). */
struct fhir_collection {
	struct fhir_value *items;
	size_t count;
	size_t capacity;
};

/* Appends v to c, growing it in `arena`. */
void fhir_collection_push(struct fhir_collection *c, struct fhir_arena *arena,
                          const struct fhir_value *v);
/* Appends a NODE item for the JSON element `node` (a resource: its type is its resourceType). */
void fhir_collection_push_node(struct fhir_collection *c, struct fhir_arena *arena,
                               const cJSON *node);
/* The same for a resource whose `resourceType` member the caller has already read: `type` is
 * that member's string (not NULL), and the node is not searched for it again. */
void fhir_collection_push_resource(struct fhir_collection *c, struct fhir_arena *arena,
                                   const cJSON *node, const char *type);
/* Appends a BOOLEAN item. */
void fhir_collection_push_bool(struct fhir_collection *c, struct fhir_arena *arena, int b);
/* Makes room in c for `room` more items in one array (in `arena`; c's items are copied when it
 * grows), so that pushing them allocates nothing more: a builder can then release scratch it
 * allocates after this call (fhir_arena_mark) without releasing the answer. */
void fhir_collection_reserve(struct fhir_collection *c, struct fhir_arena *arena, size_t room);

/* The Kleene truth of a collection used as a criterion: 1 for [true] or a non-empty collection
 * that is not a single boolean, 0 for [false], -1 for empty (unknown). */
int fhir_collection_truth(const struct fhir_collection *c);

/* ---- FHIRPath ------------------------------------------------------------------------------ */

/* A compiled FHIRPath expression (HL7 FHIRPath N1 with the FHIR R4 additions). Immutable after
 * compilation, so it can be shared by threads. */
struct fhir_path;

/* A named environment variable, `%name` in the expression (the name is given without `%`). */
struct fhir_path_var {
	const char *name;
	struct fhir_collection value;
};

/* Everything an evaluation may consult besides its input. All pointers BORROWED. */
struct fhir_path_env {
	const struct fhir_path_var *vars; /* %name lookups; %resource/%context/%ucum are built in */
	size_t var_count;
	struct fhir_datetime now; /* now(); today() is its date part; timeOfDay() its time */
	/* memberOf(url): 1 if system|code is in the ValueSet `url`, 0 if not, -1 if the ValueSet is
	 * unknown. NULL: memberOf() is an evaluation error. */
	int (*member_of)(const void *ctx, const char *valueset_url, const char *system,
	                 const char *code);
	const void *member_of_ctx;
	/* resolve(): the resource a reference string ("Condition/1", a fullUrl) names, or NULL. */
	const cJSON *(*resolve)(const void *ctx, const char *reference);
	const void *resolve_ctx;
	/* Host functions (fhir_path_compile_host): called once per input item, with the call's
	 * arguments evaluated (against $this) into args[0..nargs-1]. `index` is the function's
	 * row in the host table it was compiled with. Appends its result to *out (in `arena`).
	 * Returns 0, or a negative fhir_status with err->message set (err->where is filled by
	 * the evaluator). NULL: calling a host function is an evaluation error. */
	int (*host_call)(const void *ctx, size_t index, const struct fhir_value *item,
	                 const struct fhir_collection *args, size_t nargs, struct fhir_arena *arena,
	                 struct fhir_collection *out, struct fhir_error *err);
	const void *host_ctx;
	struct fhir_arena *arena; /* where results and temporaries are allocated; required */
	/* What evaluations over the same JSON may remember between them (the content hashes set
	 * operations file resources under, and the Boolean answers of sub-expressions that depend
	 * only on their focus, by JSON node: fhirpath_memo.c), or NULL: nothing is remembered. */
	struct fhir_path_memo *memo;
	/* 1: `a and b` with a false, or `a or b` with a true, may leave b unevaluated when b is
	 * quiet (marked at compile: it can neither fail nor yield more than one item;
	 * fhirpath_eval.c mark_quiet), so the answer is the same. Host functions in b are then not
	 * called: set it only when their effects besides their answers (the engine's evidence
	 * notes) are not wanted. 0: both operands are always evaluated. */
	int and_or_skip;
	/* Filters of one collection answered in one pass (fhir_path_where_state_new), or NULL:
	 * each `%X.where(P)` is evaluated where it stands. */
	struct fhir_path_where_state *where_state;
};

/* A memo of content hashes and answers for evaluations over JSON that does not change, nor is
 * freed, while it lives (one request's), with compiled paths that outlive it (it borrows their
 * keys): a union of the same 3,000 resources in several expressions hashes each once; a test
 * written alike in several criteria is worked out once per resource.
 * NEW: fhir_path_memo_free (accepts NULL). malloc'd, not in an arena (an arena released between
 * evaluations would take it along). One thread at a time. Out of memory aborts. A freed memo
 * of modest size is emptied and kept for the thread's next fhir_path_memo_new (fhirpath_set.c). */
struct fhir_path_memo *fhir_path_memo_new(void);
void fhir_path_memo_free(struct fhir_path_memo *memo);
/* Sizes memo's table of remembered Boolean answers (fhirpath_memo.c) for `answers` of them at
 * once, so that it does not double and rehash as a long record fills it (a hint: it still grows
 * beyond; a table over 1,024 slots is freed, not kept, by fhir_path_memo_free). Accepts NULL. */
void fhir_path_memo_reserve(struct fhir_path_memo *memo, size_t answers);

/* Named limits on untrusted expressions and data. */
#define FHIR_PATH_MAX_TEXT  8192    /* characters of expression text */
#define FHIR_PATH_MAX_DEPTH 128     /* nesting of the parse tree and of evaluation */
#define FHIR_PATH_MAX_ITEMS 1000000 /* items in one intermediate collection */

/* Parses `text` once into a tree. NEW: *out, free with fhir_path_free. On a syntax error returns
 * FHIR_ERR_SYNTAX with err->where = "expression:<offset>" and a message naming what was expected.
 */
int fhir_path_compile(const char *text, struct fhir_path **out, struct fhir_error *err);
/* Drops one holder of the expression: the last fhir_path_free frees it. Accepts NULL. */
void fhir_path_free(struct fhir_path *path);
/* One more holder of a compiled expression (it is immutable, so holders may share it: the engine
 * compiles an expression text that many policies repeat once). Returns path; each holder calls
 * fhir_path_free. Not thread-safe: share and free where the expression is loaded and freed. */
struct fhir_path *fhir_path_share(struct fhir_path *path);

/* A function the host adds to FHIRPath (the engine's mentions(), sites(), ...): its name and how
 * many arguments it takes. Host functions never shadow FHIRPath's own. */
struct fhir_path_host_function {
	const char *name;
	unsigned min_args, max_args;
	/* FHIR_PATH_HOST_SURE: called with arguments that are all string literals, it does not fail
	 * (when the environment's host_call is set); with FHIR_PATH_HOST_ONE besides, it answers at
	 * most one item per input item. These let `and` and `or` leave it unevaluated
	 * (fhir_path_env.and_or_skip). 0: nothing is promised. */
	unsigned quiet;
};
enum { FHIR_PATH_HOST_SURE = 1, FHIR_PATH_HOST_ONE = 2 };
struct fhir_path_host {
	const struct fhir_path_host_function *functions; /* BORROWED for the compile call */
	size_t count;
	/* 1: the functions allocate nothing in the evaluation's arena but their answers (their own
	 * state lives elsewhere), so an evaluation that calls them may be released once its result
	 * is read (where(), exists(), all() per item); 0: they may keep state there */
	int results_only;
};
/* fhir_path_compile, also accepting the functions of `host` (may be NULL); a call to one is
 * evaluated through env->host_call with its row index. Errors as fhir_path_compile. */
int fhir_path_compile_host(const char *text, const struct fhir_path_host *host,
                           struct fhir_path **out, struct fhir_error *err);
const char *fhir_path_text(const struct fhir_path *path); /* BORROWED: the source text */

/* Calls fn for each %variable the expression names (without %), e.g. to check at load time
 * that a policy only uses variables it defines. */
void fhir_path_each_variable(const struct fhir_path *path, void (*fn)(void *ctx, const char *name),
                             void *ctx);

/* Calls fn for each call of a host function (fhir_path_compile_host) whose arguments are all
 * string literals (at most 4): its row index in the host table and the arguments' strings,
 * BORROWED from the expression — the very pointers the evaluation hands env->host_call for
 * them, so a host may prepare what it reads from them once, at load, keyed by address. */
void fhir_path_each_host_call(const struct fhir_path *path,
                              void (*fn)(void *ctx, size_t index, const char *const *strings,
                                         size_t nargs),
                              void *ctx);

/* Binds the expression's %variables to positions in the environment it is evaluated with, so
 * that an evaluation finds each by index instead of comparing names: names[0..count) are the
 * names of env->vars in order (e.g. a policy's built-ins, lets and criteria); each %name gets
 * the first position holding it (names not there stay unbound). An evaluation checks that
 * env->vars[position] has the name and otherwise looks it up by name as an unbound one is (an
 * environment laid out otherwise, or not that long), so the answer is the same as unbound
 * whenever env lists the names in this order or never repeats one. An expression several
 * holders share (fhir_path_share) and bind to different positions is looked up by name. Not
 * thread-safe: bind where expressions are compiled, before evaluating threads share them. */
void fhir_path_bind_variables(struct fhir_path *path, const char *const *names, size_t count);

/* Calls fn for every argument of a function call that is a string literal: the function's name
 * ("memberOf"), the argument's position (0-based) and its text (unescaped), e.g. to check at load
 * time that every memberOf('url') names a loaded ValueSet. Arguments that are not string
 * literals are skipped. All strings are BORROWED (valid while `path` lives). */
void fhir_path_each_literal_argument(const struct fhir_path *path,
                                     void (*fn)(void *ctx, const char *function, size_t arg,
                                                const char *literal),
                                     void *ctx);

/* Evaluates `path` with `input` as its focus (also %resource and %context). The result is
 * written to *out (items in env->arena, or shared with `input`, a variable of env, the
 * compiled path or a static [true]/[false]: read-only, valid while those live; fhir_collection_push
 * copies it first, since its capacity is its count). Returns FHIR_OK, or FHIR_ERR_EVAL /
 * FHIR_ERR_LIMIT with err filled (e.g. "singleton expected", an unknown %variable, an unknown
 * function). */
int fhir_path_eval(const struct fhir_path *path, const struct fhir_collection *input,
                   const struct fhir_path_env *env, struct fhir_collection *out,
                   struct fhir_error *err);

/* ---- filters of one collection in one pass (fhirpath_where_group.c) --------------------------
 * Several expressions evaluated one after another on the same input (a policy's lets) may each
 * filter the same %variable: `%conditions.where(P1)`, `%conditions.where(P2)`. A plan groups
 * those filters by the variable; an evaluation given a state of the plan evaluates, when it
 * first reaches one filter of a group, every predicate of the group on each item in one pass
 * (the item read from memory once), and keeps each filter's answer, or its error, for when its
 * own expression reaches it. The answers and errors are those each filter would give where it
 * stands. A filter is grouped only when it is evaluated at most once per evaluation of its
 * expression (not under a function's argument nor an and/or/xor/implies operand), every
 * %variable it names was defined where its group starts, and it is far from the depth limit.
 * What changes is when host functions in the predicates are called. */
struct fhir_path_where_plan;
struct fhir_path_where_state;

/* NEW: fhir_path_where_plan_free (accepts NULL). Out of memory aborts. */
struct fhir_path_where_plan *fhir_path_where_plan_new(void);
void fhir_path_where_plan_free(struct fhir_path_where_plan *plan);
/* Adds path's filters `%X.where(P)`, for expressions evaluated in the order added: names[0..count)
 * are the %variables defined for this expression's evaluation (copied). A filter joins the group
 * of X, started by the first expression added that filters X, when X and every %variable in P
 * are among the names given for that first expression. Returns how many filters joined. The
 * filter's nodes are marked when the plan is sealed: call it where expressions are compiled,
 * before threads share them. The plan BORROWS path, which must outlive it. */
size_t fhir_path_where_plan_add(struct fhir_path_where_plan *plan, struct fhir_path *path,
                                const char *const *names, size_t count);
/* Ends adding: drops groups of one filter (nothing to gain) and marks the rest. Returns the number
 * of groups kept. */
size_t fhir_path_where_plan_seal(struct fhir_path_where_plan *plan);
/* How many filters a sealed plan answers in groups. */
size_t fhir_path_where_plan_sites(const struct fhir_path_where_plan *plan);
/* The answers of one run of the plan's expressions (NEW in `arena`, freed with it), or NULL when
 * the plan groups nothing. Set it as env->where_state for each evaluation of those expressions,
 * all with the same input, the same environment functions and flags, and each with the variables
 * given to fhir_path_where_plan_add holding the same values; the answers live in env->arena,
 * which must not be released past them while the state is used. One thread. */
struct fhir_path_where_state *fhir_path_where_state_new(const struct fhir_path_where_plan *plan,
                                                        struct fhir_arena *arena);

/* ---- ValueSets ----------------------------------------------------------------------------- */

/* An index of ValueSet resources by canonical url and by system|code, for memberOf() and order
 * triggering. Built at load time, then immutable (shared by request threads). */
struct fhir_valueset_index;
struct fhir_valueset_index *fhir_valueset_index_new(void); /* NEW: fhir_valueset_index_free */
void fhir_valueset_index_free(struct fhir_valueset_index *index);

/* Adds one ValueSet resource (R4: `url`, and `compose.include[]` with `system` and `concept[]`
 * with `code`; `expansion.contains[]` is read too). `where` names its file for errors.
 * Returns FHIR_OK or FHIR_ERR_INVALID with err naming the file and JSON pointer. */
int fhir_valueset_index_add(struct fhir_valueset_index *index, const cJSON *valueset,
                            const char *where, struct fhir_error *err);

/* 1 if system|code is in ValueSet `url`, 0 if not, -1 if no ValueSet has that url. */
int fhir_valueset_contains(const struct fhir_valueset_index *index, const char *url,
                           const char *system, const char *code);
/* 1 if `url` names a loaded ValueSet. */
int fhir_valueset_known(const struct fhir_valueset_index *index, const char *url);
/* The ValueSet's number (0, 1, … in the order added), or -1 if no ValueSet has that url. */
long fhir_valueset_number(const struct fhir_valueset_index *index, const char *url);
/* The numbers of the ValueSets that hold system|code, in the order added: one hash lookup, for
 * indexing orders by code. BORROWED array (valid while the index lives); *count 0 when none. */
const size_t *fhir_valueset_lookup(const struct fhir_valueset_index *index, const char *system,
                                   const char *code, size_t *count);

/* ---- FHIR JSON access ---------------------------------------------------------------------- */

/* Case-sensitive member lookup (FHIR names are case-sensitive; cJSON_GetObjectItem is not). */
const cJSON *fhir_get(const cJSON *object, const char *name);
/* The member's string value, or NULL when absent or not a non-empty string. */
const char *fhir_get_string(const cJSON *object, const char *name);
/* "Type/id" of a resource into buf; returns buf, or NULL if it has no resourceType or id. */
const char *fhir_resource_ref(const cJSON *resource, char *buf, size_t size);

/* What a prefetch value is (CDS Hooks 2.0 §Prefetch: a key may be absent, null, a resource, a
 * searchset Bundle, or an OperationOutcome reporting the client's failure). */
enum fhir_prefetch_kind {
	FHIR_PREFETCH_ABSENT,
	FHIR_PREFETCH_NULL, /* null (or "__null__"): the client has no data: empty */
	FHIR_PREFETCH_RESOURCE,
	FHIR_PREFETCH_BUNDLE,
	FHIR_PREFETCH_OPERATION_OUTCOME, /* unusable: the client reported an error */
	FHIR_PREFETCH_INVALID,           /* not an object with a resourceType (e.g. "123") */
};
enum fhir_prefetch_kind fhir_prefetch_classify(const cJSON *value);
/* 1 when value is a Bundle carrying an OperationOutcome entry with an issue of severity error
 * or fatal: the client's search failed, wholly or in part, so the Bundle is not the whole
 * record (what it holds is still true; that nothing else exists is not known); else 0. */
int fhir_bundle_failed(const cJSON *value);

/* The resources a prefetch value or draftOrders Bundle holds, appended to *out as NODE items:
 * a Bundle's entry[].resource (with or without `type`), or the resource itself. Entries that are
 * OperationOutcomes are skipped and counted in *outcomes (may be NULL); entries that are not
 * objects with a resourceType are skipped and counted in *skipped (may be NULL). */
void fhir_bundle_resources(const cJSON *value, struct fhir_arena *arena,
                           struct fhir_collection *out, size_t *outcomes, size_t *skipped);

/* Bytes of `reference` that name the resource: all of it, or what comes before "/_history/"
 * in a version-specific reference ("Organization/1/_history/2" names Organization/1; FHIR R4
 * §References). */
size_t fhir_reference_length(const char *reference);

/* The resource in a collection of NODE resources whose "Type/id" equals `reference` (versioned
 * or not: fhir_reference_length), or NULL. */
const cJSON *fhir_find_reference(const struct fhir_collection *resources, const char *reference);

/* The resource in `container`'s contained[] whose id equals `id` (without the '#'), or NULL
 * (FHIR R4 §References: contained ids are local to their container). Borrowed from container. */
const cJSON *fhir_find_contained(const cJSON *container, const char *id);

/* ---- bounded HTTP GET (http_get.c) ------------------------------------------------------------
 */

/* Limits for fhir_http_get. */
struct fhir_http_limits {
	size_t max_bytes;        /* largest body accepted; larger -> FHIR_ERR_LIMIT */
	long timeout_ms;         /* whole transfer, connect included */
	int allow_http_loopback; /* 1: plain http is allowed to 127.0.0.1 / [::1] (tests only) */
	const char *ca_file;     /* NULL: the system CA store; else a PEM bundle (BORROWED) */
};

/* One bounded GET (JWK Sets) with TLS verification (TLS >= 1.2), https only, no redirects, size
 * and time limits; a blocking easy handle per call (the FHIR client below is the concurrent one).
 * Performs network I/O (callers bound it and keep it off shared locks). Needs
 * fhir_client_global_init to have been called once before threads start. NEW: *body
 * (NUL-terminated, free()), *length. Returns FHIR_OK; FHIR_ERR_INVALID (URL not allowed),
 * FHIR_ERR_LIMIT (too big) or FHIR_ERR_IO (network, TLS or a status other than 200), with err
 * saying why. */
int fhir_http_get(const char *url, const struct fhir_http_limits *limits, char **body,
                  size_t *length, struct fhir_error *err);

/* ---- client for the EHR's FHIR server (fhir_client*.c, libcurl) ------------------------------ */

/* Named limits of one fetch (CDS Hooks 2.0 §Prefetch: the service fetches what is missing). */
#define FHIR_CLIENT_BUDGET_MS          2000L /* the whole fetch, all keys and pages */
#define FHIR_CLIENT_MAX_RESPONSE_BYTES (8u * 1024u * 1024u) /* one answer (one page) */
#define FHIR_CLIENT_MAX_PAGES          20u    /* pages of one search, the first included */
#define FHIR_CLIENT_MAX_ENTRIES        10000u /* entries of one search, all pages */
#define FHIR_CLIENT_MAX_REDIRECTS      3L     /* redirects followed per GET */
/* The JSON limits of one answer (json_limited.c): over one, the key is unavailable (the fetch
 * fails with the reason), never a crash; its size is max_response_bytes. */
#define FHIR_CLIENT_MAX_JSON_DEPTH   64u             /* nesting of objects and arrays */
#define FHIR_CLIENT_MAX_ARRAY_ITEMS  100000u         /* items of any one array (entries: above) */
#define FHIR_CLIENT_MAX_STRING_BYTES (1024u * 1024u) /* any one string, as written */

struct fhir_client_limits {
	long budget_ms;            /* > 0 */
	size_t max_response_bytes; /* > 0 */
	unsigned max_pages;        /* > 0 */
	size_t max_entries;
	long max_redirects;  /* >= 0 */
	const char *ca_file; /* NULL: the system CA store; else a PEM bundle (BORROWED: must
	                        outlive the client) */
};
/* Fills *out with the defaults above. */
void fhir_client_limits_default(struct fhir_client_limits *out);

/* libcurl's process-wide set-up and tear-down: call fhir_client_global_init once in main (and in
 * each test program) before any thread starts, fhir_client_global_cleanup once at exit (after
 * every client is freed). Returns FHIR_OK or FHIR_ERR_IO. */
int fhir_client_global_init(void);
void fhir_client_global_cleanup(void);

/* A FHIR server client: a small pool of curl multi handles whose connection caches are reused
 * across fetches. Thread-safe: each fetch takes a multi handle of its own from the pool. Needs
 * curl_global_init once before threads start. NEW: *out (fhir_client_free). `limits` NULL: the
 * defaults. Returns FHIR_OK or FHIR_ERR_INVALID for a non-positive limit. */
struct fhir_client;
int fhir_client_new(const struct fhir_client_limits *limits, struct fhir_client **out,
                    struct fhir_error *err);
void fhir_client_free(struct fhir_client *client); /* accepts NULL */
const struct fhir_client_limits *fhir_client_get_limits(const struct fhir_client *client);

/* One thing to fetch, and what came of it. */
struct fhir_fetch {
	const char *path;          /* relative URL "Condition?patient=123" (BORROWED), or NULL
	                              when first_page is set */
	const cJSON *first_page;   /* a searchset Bundle the client prefetched with a `next` link:
	                              only its further pages are fetched (BORROWED) */
	const char *resource_type; /* a read must return this type ("Patient") */
	int search;                /* 1: a search (a searchset Bundle, `next` links followed) */
	/* out: */
	int status;    /* FHIR_OK, or a negative fhir_status */
	cJSON *result; /* FHIR_OK: NEW, the resource; for a search one searchset Bundle
	                  holding every page's entries (no links); JSON null for a read
	                  the server answered 404/410 not-found (no data, CDS Hooks 2.0
	                  §Prefetch `null`) */
	char why[256]; /* otherwise: why not ("HTTP 401 ...", "no complete answer
	                  within the 2000 ms fetch budget", ...); never the token */
};

/* GETs every item from `base` (fhirServer) concurrently, with `Authorization: Bearer <token>`
 * (`token` BORROWED, may be NULL; never logged or kept) and `Accept: application/fhir+json`,
 * TLS verified, redirects, answer size, pages and entries limited, the whole call bounded by
 * the budget: it never waits longer. Each item's outcome is in its status/result/why. Returns
 * FHIR_OK when every item succeeded, FHIR_ERR_IO otherwise (err says so; see the items), or
 * FHIR_ERR_INVALID when `base` is not an http(s) URL. */
int fhir_client_fetch(struct fhir_client *client, const char *base, const char *token,
                      struct fhir_fetch *items, size_t n, struct fhir_error *err);

/* ---- fetching without waiting: the fetcher (fhir_client.c) ---- */

/* Called on the fetcher's thread once every item of a fetch has its outcome (status, result,
 * why, as fhir_client_fetch leaves them); `status` is FHIR_OK when every item succeeded, else
 * FHIR_ERR_IO. It must return quickly (hand the work to another thread) and must not call the
 * fetcher. The items, base and token may be freed from then on. */
typedef void (*fhir_fetch_done_fn)(void *ctx, int status);

/* One thread driving one curl multi handle for every pending fetch, so that a request waiting on
 * a slow or dead FHIR server holds no thread of its own: a server of any number of pending
 * fetches needs this one thread. Connections are reused across fetches. NEW: *out
 * (fhir_fetcher_free). FHIR_OK, or FHIR_ERR_IO when the thread cannot be started. */
struct fhir_fetcher;
int fhir_fetcher_new(struct fhir_fetcher **out, struct fhir_error *err);
/* Starts fetching `items` from `base` as fhir_client_fetch would (same limits, budget from now,
 * paging, redirects, token handling and error texts; `client`'s limits are copied) and returns
 * at once; `done(ctx, status)` follows exactly once, on the fetcher's thread. base, token and
 * items are BORROWED until then. Returns FHIR_OK; or, without calling done: FHIR_ERR_INVALID
 * when `base` is not an http(s) URL, FHIR_ERR_IO once the fetcher is stopping (the items say
 * "the fetch was cancelled: the service is stopping"). Thread-safe. */
int fhir_fetcher_start(struct fhir_fetcher *f, const struct fhir_client *client, const char *base,
                       const char *token, struct fhir_fetch *items, size_t n,
                       fhir_fetch_done_fn done, void *ctx, struct fhir_error *err);
/* Fetches started and not yet done (0 for NULL). Thread-safe. */
size_t fhir_fetcher_pending(struct fhir_fetcher *f);
/* Stops the thread: every pending fetch ends at once (done called, the unfinished items saying
 * "the fetch was cancelled: the service is stopping"), later starts are refused. The fetcher
 * stays valid until fhir_fetcher_free. Accepts NULL; idempotent. */
void fhir_fetcher_stop(struct fhir_fetcher *f);
void fhir_fetcher_free(struct fhir_fetcher *f); /* stops first; accepts NULL */

/* CDS Hooks 2.0 §fhirServer: FHIR_OK when `base` may be queried: https, or http to a loopback
 * host (127.0.0.0/8, [::1], localhost), or any http when `demo` (no client authentication
 * configured). FHIR_ERR_INVALID with err saying why otherwise (also for credentials in the URL). */
int fhir_client_base_allowed(const char *base, int demo, struct fhir_error *err);

/* Resolves a CDS Hooks 2.0 prefetch template against `context`: {{context.<field>}} (a
 * root-level string field) and {{userPractitionerId}}, {{userPractitionerRoleId}},
 * {{userPatientId}}, {{userRelatedPersonId}} (from context.userId "Type/id"); values are
 * percent-encoded. NEW: *out (free()). Returns FHIR_OK, FHIR_ERR_NOT_FOUND when the context has
 * no value for a token, FHIR_ERR_SYNTAX for a token outside CDS Hooks 2.0. */
int fhir_template_resolve(const char *template, const cJSON *context, char **out,
                          struct fhir_error *err);

/* FNV-1a (64-bit) of the n bytes at s: the one string hash of the service's look-up tables
 * (value sets, vocabularies, %variable maps, the FHIRPath memo). Not for untrusted keys where
 * collisions could be chosen: those tables compare the full key after the hash. */
static inline uint64_t fhir_hash_bytes(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

#endif
