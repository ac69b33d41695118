/* fhirpath_parse.c — builds the FHIRPath parse tree from tokens by precedence climbing
 * (FHIRPath N1 §Grammar and §Operator precedence), resolves function names against the function
 * table, and folds literals (numbers, quantities, dates). Enforces FHIR_PATH_MAX_DEPTH.
 * It must not evaluate anything and must not touch JSON data. */
#include "fhirpath_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const struct fhir__fp_token *toks;
	size_t count, pos;
	struct fhir_arena *arena;
	struct fhir_error *err;
	int depth;
	struct fhir__fp_node **regexes;
	const struct fhir_path_host *host; /* or NULL */
};

/* Operator levels from loosest to tightest (FHIRPath N1 §Operator precedence). */
enum level {
	L_IMPLIES,
	L_OR,
	L_AND,
	L_MEMBERSHIP,
	L_EQUALITY,
	L_INEQUALITY,
	L_UNION,
	L_TYPE,
	L_ADDITIVE,
	L_MULTIPLICATIVE,
	L_UNARY,
};

static const struct fhir__fp_token *peek(const struct parser *p)
{
	return &p->toks[p->pos];
}

static const struct fhir__fp_token *peek2(const struct parser *p)
{
	return p->pos + 1 < p->count ? &p->toks[p->pos + 1] : &p->toks[p->count - 1];
}

static int fail(struct parser *p, const struct fhir__fp_token *t, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, const struct fhir__fp_token *t, int status, const char *fmt, ...)
{
	char where[64];
	char msg[400];
	va_list ap;

	snprintf(where, sizeof(where), "expression:%zu", t->offset);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fhir_error_set(p->err, where, "%s (at '%.40s')", msg,
	               t->kind == FP_T_EOF ? "end" : t->text);
	return status;
}

static struct fhir__fp_node *node_new(struct parser *p, enum fhir__fp_kind kind, size_t offset)
{
	struct fhir__fp_node *n = fhir_arena_alloc(p->arena, sizeof(*n));

	n->kind = kind;
	n->offset = (uint32_t)offset; /* <= FHIR_PATH_MAX_TEXT */
	if (kind == FP_LITERAL) /* only literals carry a value: the other nodes stay smaller */
		n->lit = fhir_arena_alloc(p->arena, sizeof(*n->lit));
	return n;
}

/* What %name means when the environment does not define it (FHIRPath N1 §Environment
 * variables; FHIR R4 §2.24 %vs-[name], %ext-[name]), worked out once here. */
static void resolve_var(struct parser *p, struct fhir__fp_node *n)
{
	const char *name = n->name, *s = NULL;

	if (strcmp(name, "resource") == 0 || strcmp(name, "context") == 0 ||
	    strcmp(name, "rootResource") == 0) {
		n->var_builtin = FP_VAR_INPUT;
		return;
	}
	if (strcmp(name, "ucum") == 0)
		s = "http://unitsofmeasure.org";
	else if (strcmp(name, "sct") == 0)
		s = "http://snomed.info/sct";
	else if (strcmp(name, "loinc") == 0)
		s = "http://loinc.org";
	else if (strncmp(name, "vs-", 3) == 0)
		s = fhir_arena_printf(p->arena, "http://hl7.org/fhir/ValueSet/%s", name + 3);
	else if (strncmp(name, "ext-", 4) == 0)
		s = fhir_arena_printf(p->arena, "http://hl7.org/fhir/StructureDefinition/%s",
		                      name + 4);
	if (s == NULL)
		return;
	n->var_builtin = FP_VAR_CONST;
	n->lit = fhir_arena_alloc(p->arena, sizeof(*n->lit));
	n->lit->kind = FHIR_VALUE_STRING;
	n->lit->u.string = s;
}

/* The binary operator at t and its level, or FP_OP_NONE. */
static enum fhir__fp_op binop(const struct fhir__fp_token *t, enum level *lvl)
{
	static const struct {
		const char *kw;
		enum fhir__fp_op op;
		enum level lvl;
	} kws[] = {
	    {"implies", FP_OP_IMPLIES, L_IMPLIES},
	    {"or", FP_OP_OR, L_OR},
	    {"xor", FP_OP_XOR, L_OR},
	    {"and", FP_OP_AND, L_AND},
	    {"in", FP_OP_IN, L_MEMBERSHIP},
	    {"contains", FP_OP_CONTAINS, L_MEMBERSHIP},
	    {"is", FP_OP_IS, L_TYPE},
	    {"as", FP_OP_AS, L_TYPE},
	    {"div", FP_OP_IDIV, L_MULTIPLICATIVE},
	    {"mod", FP_OP_MOD, L_MULTIPLICATIVE},
	};

	switch (t->kind) {
	case FP_T_EQ:
		*lvl = L_EQUALITY;
		return FP_OP_EQ;
	case FP_T_NE:
		*lvl = L_EQUALITY;
		return FP_OP_NE;
	case FP_T_EQUIV:
		*lvl = L_EQUALITY;
		return FP_OP_EQUIV;
	case FP_T_NEQUIV:
		*lvl = L_EQUALITY;
		return FP_OP_NEQUIV;
	case FP_T_LT:
		*lvl = L_INEQUALITY;
		return FP_OP_LT;
	case FP_T_LE:
		*lvl = L_INEQUALITY;
		return FP_OP_LE;
	case FP_T_GT:
		*lvl = L_INEQUALITY;
		return FP_OP_GT;
	case FP_T_GE:
		*lvl = L_INEQUALITY;
		return FP_OP_GE;
	case FP_T_PIPE:
		*lvl = L_UNION;
		return FP_OP_UNION;
	case FP_T_PLUS:
		*lvl = L_ADDITIVE;
		return FP_OP_ADD;
	case FP_T_MINUS:
		*lvl = L_ADDITIVE;
		return FP_OP_SUB;
	case FP_T_AMP:
		*lvl = L_ADDITIVE;
		return FP_OP_CONCAT;
	case FP_T_STAR:
		*lvl = L_MULTIPLICATIVE;
		return FP_OP_MUL;
	case FP_T_SLASH:
		*lvl = L_MULTIPLICATIVE;
		return FP_OP_DIV;
	case FP_T_IDENT:
		for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
			if (strcmp(kws[i].kw, t->text) == 0) {
				*lvl = kws[i].lvl;
				return kws[i].op;
			}
		}
		return FP_OP_NONE;
	default:
		return FP_OP_NONE;
	}
}

static int parse_expr(struct parser *p, enum level lvl, struct fhir__fp_node **out);

static int enter(struct parser *p)
{
	if (++p->depth > FHIR_PATH_MAX_DEPTH)
		return fail(p, peek(p), FHIR_ERR_LIMIT, "expression nested deeper than %d levels",
		            FHIR_PATH_MAX_DEPTH);
	return 0;
}

/* Reads a type specifier: identifier ('.' identifier)?  (FHIRPath N1 §Types). */
static int parse_type_name(struct parser *p, const char **out)
{
	const struct fhir__fp_token *t = peek(p);

	if (t->kind != FP_T_IDENT && t->kind != FP_T_DIDENT)
		return fail(p, t, FHIR_ERR_SYNTAX, "expected a type name");
	p->pos++;
	*out = t->text;
	if (peek(p)->kind == FP_T_DOT &&
	    (peek2(p)->kind == FP_T_IDENT || peek2(p)->kind == FP_T_DIDENT)) {
		*out = fhir_arena_printf(p->arena, "%s.%s", t->text, peek2(p)->text);
		p->pos += 2;
	}
	if (!fhir__fp_type_known(*out))
		return fail(p, t, FHIR_ERR_SYNTAX, "unknown type '%s'", *out);
	return 0;
}

/* The dotted type name an argument expression spells (Patient, FHIR.Patient), or NULL. */
static const char *type_of_arg(struct parser *p, const struct fhir__fp_node *n)
{
	if (n->kind == FP_IDENT)
		return n->name;
	if (n->kind == FP_INVOKE && n->left->kind == FP_IDENT && n->right->kind == FP_IDENT)
		return fhir_arena_printf(p->arena, "%s.%s", n->left->name, n->right->name);
	return NULL;
}

/* name '(' args ')' with the name token already consumed. FHIRPath N1 §Functions. */
static int parse_call(struct parser *p, const struct fhir__fp_token *name,
                      struct fhir__fp_node **out)
{
	struct fhir__fp_node *n = node_new(p, FP_FUNC, name->offset);
	struct fhir__fp_node *args[16];
	size_t nargs = 0;
	unsigned min_args, max_args;
	int rc;

	n->name = name->text;
	n->func = fhir__fp_func_find(name->text);
	if (n->func == NULL && p->host != NULL) {
		for (size_t h = 0; h < p->host->count; h++) {
			if (strcmp(p->host->functions[h].name, name->text) == 0) {
				n->func = &fhir__fp_host_func;
				n->host_index = (uint32_t)h;
				break;
			}
		}
	}
	if (n->func == NULL)
		return fail(p, name, FHIR_ERR_SYNTAX, "unknown function '%s'", name->text);
	min_args = n->func->min_args;
	max_args = n->func->max_args;
	if (n->func == &fhir__fp_host_func) {
		min_args = p->host->functions[n->host_index].min_args;
		max_args = p->host->functions[n->host_index].max_args;
	}
	p->pos++; /* ( */
	if (peek(p)->kind != FP_T_RPAREN) {
		for (;;) {
			if (nargs == sizeof(args) / sizeof(args[0]))
				return fail(p, peek(p), FHIR_ERR_SYNTAX,
				            "too many arguments to %s(", name->text);
			rc = parse_expr(p, L_IMPLIES, &args[nargs]);
			if (rc != 0)
				return rc;
			nargs++;
			if (peek(p)->kind != FP_T_COMMA)
				break;
			p->pos++;
		}
	}
	if (peek(p)->kind != FP_T_RPAREN)
		return fail(p, peek(p), FHIR_ERR_SYNTAX, "expected ')' after arguments of %s(",
		            name->text);
	p->pos++;
	if (nargs < min_args || nargs > max_args) {
		char msg[160];

		snprintf(msg, sizeof(msg), "%s() takes %u to %u arguments, got %zu", name->text,
		         min_args, max_args, nargs);
		return fail(p, name, FHIR_ERR_SYNTAX, "%s", msg);
	}
	if (nargs > 0) {
		n->args = fhir_arena_alloc(p->arena, nargs * sizeof(*n->args));
		memcpy(n->args, args, nargs * sizeof(*n->args));
	}
	n->nargs = (uint32_t)nargs; /* <= 16 */
	if ((n->func->flags & FP_F_REGEX) && args[0]->kind == FP_LITERAL &&
	    args[0]->lit->kind == FHIR_VALUE_STRING) {
		/* a literal pattern is compiled (and checked) once, here */
		char msg[128];
		regex_t *re = fhir_arena_alloc(p->arena, sizeof(*re));

		if (fhir__fp_regex_compile(args[0]->lit->u.string, n->func->flags, re, msg,
		                           sizeof(msg)) != 0) {
			const struct fhir__fp_token at = {FP_T_STRING, args[0]->offset,
			                                  args[0]->lit->u.string};

			return fail(p, &at, FHIR_ERR_SYNTAX, "%s(): bad regular expression: %s",
			            name->text, msg);
		}
		n->regex = re;
		n->next_regex = *p->regexes;
		*p->regexes = n;
	}
	if (n->func->flags & FP_F_TYPE_ARG) {
		n->type_arg = type_of_arg(p, args[0]);
		if (n->type_arg == NULL)
			return fail(p, name, FHIR_ERR_SYNTAX, "%s() expects a type name",
			            name->text);
		if (!fhir__fp_type_known(n->type_arg))
			return fail(p, name, FHIR_ERR_SYNTAX, "%s(): unknown type '%s'", name->text,
			            n->type_arg);
		n->type_arg = fhir__fp_type_split(n->type_arg, &n->type_ns);
	}
	*out = n;
	return 0;
}

static int is_calendar_unit(const char *s)
{
	static const char *const units[] = {
	    "year",   "years",   "month",       "months",       "week",   "weeks",
	    "day",    "days",    "hour",        "hours",        "minute", "minutes",
	    "second", "seconds", "millisecond", "milliseconds",
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i], s) == 0)
			return 1;
	return 0;
}

/* A number literal, and the quantity it starts when a unit follows (FHIRPath N1 §Quantity). */
static int parse_number(struct parser *p, int negate, struct fhir__fp_node **out)
{
	const struct fhir__fp_token *t = peek(p);
	struct fhir__fp_node *n = node_new(p, FP_LITERAL, t->offset);
	const struct fhir__fp_token *u;
	char *end;

	p->pos++;
	errno = 0;
	if (t->kind == FP_T_INTEGER) {
		long long v = strtoll(t->text, &end, 10);

		if (errno != 0 || *end != '\0')
			return fail(p, t, FHIR_ERR_SYNTAX, "integer out of range");
		n->lit->kind = FHIR_VALUE_INTEGER;
		n->lit->u.integer = negate ? -(int64_t)v : (int64_t)v;
	} else {
		double v = strtod(t->text, &end);

		if (errno != 0 || *end != '\0')
			return fail(p, t, FHIR_ERR_SYNTAX, "decimal out of range");
		n->lit->kind = FHIR_VALUE_DECIMAL;
		n->lit->u.decimal = negate ? -v : v;
		n->lit->scale = 1 + (int)strlen(strchr(t->text, '.') + 1); /* the lexer's "d.d" */
	}
	u = peek(p);
	if (u->kind == FP_T_STRING || (u->kind == FP_T_IDENT && is_calendar_unit(u->text))) {
		double v = n->lit->kind == FHIR_VALUE_INTEGER ? (double)n->lit->u.integer
		                                              : n->lit->u.decimal;

		n->lit->kind = FHIR_VALUE_QUANTITY;
		n->lit->u.quantity.value = v;
		n->lit->u.quantity.unit = u->text;
		p->pos++;
	}
	*out = n;
	return 0;
}

static int parse_datetime_literal(struct parser *p, struct fhir__fp_node **out)
{
	const struct fhir__fp_token *t = peek(p);
	struct fhir__fp_node *n = node_new(p, FP_LITERAL, t->offset);
	const char *text = t->text;

	if (t->kind == FP_T_TIME && strlen(text) == 2)
		text = fhir_arena_printf(p->arena, "%s:00", t->text);
	if (fhir_datetime_parse(text, &n->lit->u.datetime, NULL) != 0)
		return fail(p, t, FHIR_ERR_SYNTAX, "invalid date/time literal");
	if (t->kind == FP_T_TIME && strlen(t->text) == 2) {
		n->lit->u.datetime.precision = FHIR_PREC_HOUR;
		n->lit->u.datetime.minute = 0;
	}
	n->lit->kind = t->kind == FP_T_DATE   ? FHIR_VALUE_DATE
	               : t->kind == FP_T_TIME ? FHIR_VALUE_TIME
	                                      : FHIR_VALUE_DATETIME;
	p->pos++;
	*out = n;
	return 0;
}

/* A member step's name: the model's canonical copy when it has one (fhir__fp_model_intern:
 * the type of the member is then found by address), else the token's text. */
static const char *member_name(const char *text)
{
	const char *canonical = fhir__fp_model_intern(text);

	return canonical != NULL ? canonical : text;
}

/* term: literal | %var | $this | ( expr ) | identifier | function call. FHIRPath N1 §Grammar. */
static int parse_term(struct parser *p, struct fhir__fp_node **out)
{
	const struct fhir__fp_token *t = peek(p);
	struct fhir__fp_node *n;
	int rc;

	switch (t->kind) {
	case FP_T_INTEGER:
	case FP_T_DECIMAL:
		return parse_number(p, 0, out);
	case FP_T_DATE:
	case FP_T_DATETIME:
	case FP_T_TIME:
		return parse_datetime_literal(p, out);
	case FP_T_STRING:
		n = node_new(p, FP_LITERAL, t->offset);
		n->lit->kind = FHIR_VALUE_STRING;
		n->lit->u.string = t->text;
		p->pos++;
		*out = n;
		return 0;
	case FP_T_VAR:
		n = node_new(p, FP_VAR, t->offset);
		n->name = t->text;
		n->var_slot = FP_VAR_SLOT_NONE; /* fhir_path_bind_variables may find one */
		resolve_var(p, n);
		p->pos++;
		*out = n;
		return 0;
	case FP_T_SPECIAL:
		n = node_new(p,
		             strcmp(t->text, "this") == 0    ? FP_THIS
		             : strcmp(t->text, "index") == 0 ? FP_INDEX
		                                             : FP_TOTAL,
		             t->offset);
		p->pos++;
		*out = n;
		return 0;
	case FP_T_LBRACE:
		if (peek2(p)->kind != FP_T_RBRACE)
			return fail(p, peek2(p), FHIR_ERR_SYNTAX, "expected '}' after '{'");
		p->pos += 2;
		*out = node_new(p, FP_EMPTY, t->offset);
		return 0;
	case FP_T_LPAREN:
		p->pos++;
		rc = parse_expr(p, L_IMPLIES, out);
		if (rc != 0)
			return rc;
		if (peek(p)->kind != FP_T_RPAREN)
			return fail(p, peek(p), FHIR_ERR_SYNTAX, "expected ')' to close '('");
		p->pos++;
		return 0;
	case FP_T_IDENT:
	case FP_T_DIDENT:
		if (t->kind == FP_T_IDENT && peek2(p)->kind != FP_T_LPAREN &&
		    (strcmp(t->text, "true") == 0 || strcmp(t->text, "false") == 0)) {
			n = node_new(p, FP_LITERAL, t->offset);
			n->lit->kind = FHIR_VALUE_BOOLEAN;
			n->lit->u.boolean = t->text[0] == 't';
			p->pos++;
			*out = n;
			return 0;
		}
		p->pos++;
		if (t->kind == FP_T_IDENT && peek(p)->kind == FP_T_LPAREN)
			return parse_call(p, t, out);
		n = node_new(p, FP_IDENT, t->offset);
		n->name = member_name(t->text);
		n->at_root = 1;
		*out = n;
		return 0;
	default:
		return fail(p, t, FHIR_ERR_SYNTAX, "expected an expression");
	}
}

/* term followed by '.' invocations and '[' indexers. */
static int parse_postfix(struct parser *p, struct fhir__fp_node **out)
{
	struct fhir__fp_node *left = NULL, *n, *right;
	int rc = parse_term(p, &left);

	if (rc != 0)
		return rc;
	for (;;) {
		const struct fhir__fp_token *t = peek(p);

		if (t->kind == FP_T_DOT) {
			const struct fhir__fp_token *name = peek2(p);

			if (name->kind != FP_T_IDENT && name->kind != FP_T_DIDENT)
				return fail(p, name, FHIR_ERR_SYNTAX,
				            "expected a name or function after '.'");
			p->pos += 2;
			if (name->kind == FP_T_IDENT && peek(p)->kind == FP_T_LPAREN) {
				rc = parse_call(p, name, &right);
				if (rc != 0)
					return rc;
			} else {
				right = node_new(p, FP_IDENT, name->offset);
				right->name = member_name(name->text);
			}
			n = node_new(p, FP_INVOKE, t->offset);
			n->left = left;
			n->right = right;
			left = n;
		} else if (t->kind == FP_T_LBRACK) {
			p->pos++;
			rc = enter(p);
			if (rc == 0)
				rc = parse_expr(p, L_IMPLIES, &right);
			p->depth--;
			if (rc != 0)
				return rc;
			if (peek(p)->kind != FP_T_RBRACK)
				return fail(p, peek(p), FHIR_ERR_SYNTAX,
				            "expected ']' after index");
			p->pos++;
			n = node_new(p, FP_INDEXER, t->offset);
			n->left = left;
			n->right = right;
			left = n;
		} else {
			break;
		}
	}
	*out = left;
	return 0;
}

static int parse_unary(struct parser *p, struct fhir__fp_node **out)
{
	const struct fhir__fp_token *t = peek(p);
	struct fhir__fp_node *n, *operand;
	int rc;

	if (t->kind != FP_T_PLUS && t->kind != FP_T_MINUS)
		return parse_postfix(p, out);
	p->pos++;
	if (t->kind == FP_T_MINUS &&
	    (peek(p)->kind == FP_T_INTEGER || peek(p)->kind == FP_T_DECIMAL) &&
	    peek2(p)->kind != FP_T_DOT && peek2(p)->kind != FP_T_LBRACK)
		return parse_number(p, 1, out);
	rc = enter(p);
	if (rc == 0)
		rc = parse_unary(p, &operand);
	p->depth--;
	if (rc != 0)
		return rc;
	if (t->kind == FP_T_PLUS) {
		*out = operand;
		return 0;
	}
	n = node_new(p, FP_NEGATE, t->offset);
	n->left = operand;
	*out = n;
	return 0;
}

static int parse_expr(struct parser *p, enum level lvl, struct fhir__fp_node **out)
{
	struct fhir__fp_node *left = NULL, *right = NULL, *n;
	int rc;

	if (lvl == L_UNARY)
		return parse_unary(p, out);
	if (lvl == L_IMPLIES) {
		rc = enter(p);
		if (rc != 0)
			goto out;
	}
	rc = parse_expr(p, (enum level)(lvl + 1), &left);
	if (rc != 0)
		goto out;
	for (;;) {
		const struct fhir__fp_token *t = peek(p);
		enum level ol = L_UNARY;
		enum fhir__fp_op op = binop(t, &ol);

		if (op == FP_OP_NONE || ol != lvl)
			break;
		p->pos++;
		if (op == FP_OP_IS || op == FP_OP_AS) {
			n = node_new(p, FP_TYPE, t->offset);
			n->op = op;
			n->left = left;
			rc = parse_type_name(p, &n->name);
			if (rc != 0)
				goto out;
			n->type_arg = fhir__fp_type_split(n->name, &n->type_ns);
			left = n;
			continue;
		}
		rc = parse_expr(p, op == FP_OP_IMPLIES ? lvl : (enum level)(lvl + 1), &right);
		if (rc != 0)
			goto out;
		n = node_new(p, FP_BINARY, t->offset);
		n->op = op;
		n->name = t->text;
		n->left = left;
		n->right = right;
		left = n;
	}
	*out = left;
out:
	if (lvl == L_IMPLIES)
		p->depth--;
	return rc;
}

/* The height of the tree, to bound evaluation recursion. */
static int height(const struct fhir__fp_node *n, int limit)
{
	int h = 0, x;

	if (n == NULL)
		return 0;
	if (limit <= 0)
		return 1;
	x = height(n->left, limit - 1);
	h = x > h ? x : h;
	x = height(n->right, limit - 1);
	h = x > h ? x : h;
	for (size_t i = 0; i < n->nargs; i++) {
		x = height(n->args[i], limit - 1);
		h = x > h ? x : h;
	}
	return h + 1;
}

int fhir__fp_parse(const struct fhir__fp_token *toks, size_t count, struct fhir_arena *arena,
                   const struct fhir_path_host *host, struct fhir__fp_node **regexes,
                   struct fhir__fp_node **out, struct fhir_error *err)
{
	struct parser p = {toks, count, 0, arena, err, 0, regexes, host};
	struct fhir__fp_node *root = NULL;
	int rc;

	if (toks[0].kind == FP_T_EOF) {
		rc = fail(&p, &toks[0], FHIR_ERR_SYNTAX, "empty expression");
		goto out;
	}
	rc = parse_expr(&p, L_IMPLIES, &root);
	if (rc != 0)
		goto out;
	if (peek(&p)->kind != FP_T_EOF) {
		rc = fail(&p, peek(&p), FHIR_ERR_SYNTAX, "unexpected '%s' after the expression",
		          peek(&p)->text);
		goto out;
	}
	if (height(root, FHIR_PATH_MAX_DEPTH * 4) > FHIR_PATH_MAX_DEPTH * 2) {
		rc = fail(&p, &toks[0], FHIR_ERR_LIMIT, "expression tree deeper than %d levels",
		          FHIR_PATH_MAX_DEPTH * 2);
		goto out;
	}
	*out = root;
out:
	return rc;
}
