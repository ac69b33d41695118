/* fhirpath_value.c — the FHIRPath value model over FHIR JSON: turning JSON primitives into System
 * values, equality, equivalence, ordering, string forms and type tests (FHIRPath N1 §Types,
 * §Equality, §Comparison, §Conversion).
 * It must not evaluate expressions and must not allocate except for string forms. */
#include "fhirpath_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct fhir_value fhir__fp_bool(int b)
{
	struct fhir_value v;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_BOOLEAN;
	v.u.boolean = b ? 1 : 0;
	return v;
}

struct fhir_value fhir__fp_int(int64_t i)
{
	struct fhir_value v;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_INTEGER;
	v.u.integer = i;
	return v;
}

struct fhir_value fhir__fp_dec(double d)
{
	struct fhir_value v;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_DECIMAL;
	v.u.decimal = d;
	return v;
}

struct fhir_value fhir__fp_str(const char *s)
{
	struct fhir_value v;

	memset(&v, 0, sizeof(v));
	v.kind = FHIR_VALUE_STRING;
	v.u.string = s;
	return v;
}

static int type_is(const struct fhir_value *v, const char *t)
{
	return v->type != NULL && strcmp(v->type, t) == 0;
}

/* Which date type `t` names: 1 date, 2 dateTime, 3 instant, 4 time, 0 another (or NULL). */
static inline int date_type(const char *t)
{
	if (t == NULL)
		return 0;
	switch (t[0]) {
	case 'd':
		if (t[1] != 'a' || t[2] != 't' || t[3] != 'e')
			return 0;
		return t[4] == '\0' ? 1 : strcmp(t + 4, "Time") == 0 ? 2 : 0;
	case 'i':
		return strcmp(t, "instant") == 0 ? 3 : 0;
	case 't':
		return strcmp(t, "time") == 0 ? 4 : 0;
	default:
		return 0;
	}
}

/* A JSON string as a date: 1 when it parses (FHIR date/dateTime/instant/time text). */
static int string_as_date(const char *s, struct fhir_value *out)
{
	struct fhir_datetime dt;

	if (s == NULL || fhir_datetime_parse(s, &dt, NULL) != 0)
		return 0;
	out->kind = !dt.has_date                    ? FHIR_VALUE_TIME
	            : dt.precision <= FHIR_PREC_DAY ? FHIR_VALUE_DATE
	                                            : FHIR_VALUE_DATETIME;
	out->u.datetime = dt;
	return 1;
}

int fhir__fp_prim(const struct fhir_value *v, struct fhir_value *out)
{
	const cJSON *n = v->node;

	*out = *v;
	if (v->kind != FHIR_VALUE_NODE)
		return 1;
	if (fhir__fp_is_string(n)) {
		/* the type read once, by its letters (this runs for every string a criterion
		 * compares) */
		const int dk = date_type(v->type);

		if (dk != 0 && string_as_date(n->valuestring, out)) {
			if (dk == 2 || dk == 3)
				out->kind = FHIR_VALUE_DATETIME;
			return 1;
		}
		out->kind = FHIR_VALUE_STRING;
		out->u.string = n->valuestring;
		return 1;
	}
	if (fhir__fp_is_number(n)) {
		double d = n->valuedouble;

		if (!(v->type != NULL && v->type[0] == 'd' && type_is(v, "decimal")) &&
		    d == floor(d) && fabs(d) < 9007199254740992.0) {
			out->kind = FHIR_VALUE_INTEGER;
			out->u.integer = (int64_t)d;
		} else {
			out->kind = FHIR_VALUE_DECIMAL;
			out->u.decimal = d;
		}
		return 1;
	}
	if (fhir__fp_is_bool(n)) {
		out->kind = FHIR_VALUE_BOOLEAN;
		out->u.boolean = fhir__fp_is_true(n) ? 1 : 0;
		return 1;
	}
	if (fhir__fp_is_object(n) && fhir__fp_member(n, "resourceType") == NULL) {
		const cJSON *value = fhir__fp_member(n, "value");
		const cJSON *code = fhir__fp_member(n, "code");
		const cJSON *unit = fhir__fp_member(n, "unit");

		if (fhir__fp_is_number(value) &&
		    (fhir__fp_is_string(code) || fhir__fp_is_string(unit) ||
		     type_is(v, "Quantity") || type_is(v, "Age") || type_is(v, "Duration"))) {
			out->kind = FHIR_VALUE_QUANTITY;
			out->u.quantity.value = value->valuedouble;
			out->u.quantity.unit = fhir__fp_is_string(code)   ? code->valuestring
			                       : fhir__fp_is_string(unit) ? unit->valuestring
			                                                  : "1";
			return 1;
		}
	}
	return 0;
}

/* FHIR JSON strings compared with dates are read as dates (FHIR R4 §2.24 primitive types). */
static void coerce_pair(const struct fhir_value *a, const struct fhir_value *b,
                        struct fhir_value *pa, struct fhir_value *pb)
{
	int da = pa->kind == FHIR_VALUE_DATE || pa->kind == FHIR_VALUE_DATETIME ||
	         pa->kind == FHIR_VALUE_TIME;
	int db = pb->kind == FHIR_VALUE_DATE || pb->kind == FHIR_VALUE_DATETIME ||
	         pb->kind == FHIR_VALUE_TIME;

	if (da && pb->kind == FHIR_VALUE_STRING && b->kind == FHIR_VALUE_NODE)
		string_as_date(pb->u.string, pb);
	if (db && pa->kind == FHIR_VALUE_STRING && a->kind == FHIR_VALUE_NODE)
		string_as_date(pa->u.string, pa);
}

static int is_number(const struct fhir_value *v)
{
	return v->kind == FHIR_VALUE_INTEGER || v->kind == FHIR_VALUE_DECIMAL;
}

static double num(const struct fhir_value *v)
{
	return v->kind == FHIR_VALUE_INTEGER ? (double)v->u.integer : v->u.decimal;
}

static int is_date(const struct fhir_value *v)
{
	return v->kind == FHIR_VALUE_DATE || v->kind == FHIR_VALUE_DATETIME ||
	       v->kind == FHIR_VALUE_TIME;
}

const char *fhir__fp_canonical_unit(const char *u)
{
	static const char *const map[][2] = {
	    {"year", "a"},   {"years", "a"},   {"month", "mo"},       {"months", "mo"},
	    {"week", "wk"},  {"weeks", "wk"},  {"day", "d"},          {"days", "d"},
	    {"hour", "h"},   {"hours", "h"},   {"minute", "min"},     {"minutes", "min"},
	    {"second", "s"}, {"seconds", "s"}, {"millisecond", "ms"}, {"milliseconds", "ms"},
	};

	if (u == NULL)
		return "1";
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], u) == 0)
			return map[i][1];
	return u;
}

/* Decimals are binary doubles here; treat values within 1e-10 (relative) as equal so that
 * 1.8 - 1.2 = 0.6 as FHIRPath's exact decimals would say. */
static int dec_cmp(double x, double y)
{
	double scale = fmax(1.0, fmax(fabs(x), fabs(y)));

	if (fabs(x - y) <= 1e-10 * scale)
		return 0;
	return x < y ? -1 : 1;
}

/* A UCUM unit with a fixed factor to its dimension's base (s, g, m), for comparing 7 days with
 * 1 week or 4 g with 4000 mg. Years and months have no fixed length: not converted. */
int fhir__fp_unit_base(const char *u, const char **base, double *factor)
{
	static const struct {
		const char *unit, *base;
		double factor;
	} units[] = {
	    {"ms", "s", 0.001},
	    {"s", "s", 1},
	    {"min", "s", 60},
	    {"h", "s", 3600},
	    {"d", "s", 86400},
	    {"wk", "s", 604800},
	    {"ug", "g", 1e-6},
	    {"mg", "g", 0.001},
	    {"g", "g", 1},
	    {"kg", "g", 1000},
	    {"mm", "m", 0.001},
	    {"cm", "m", 0.01},
	    {"m", "m", 1},
	    {"km", "m", 1000},
	    {"[in_i]", "m", 0.0254},
	    {"[ft_i]", "m", 0.3048},
	    {"[lb_av]", "g", 453.59237},
	    {"L", "L", 1},
	    {"mL", "L", 0.001},
	    {"dL", "L", 0.1},
	};

	if (u == NULL)
		return 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(units[i].unit, u) == 0) {
			*base = units[i].base;
			*factor = units[i].factor;
			return 1;
		}
	}
	return 0;
}

/* Orders two quantities: 0 with *cmp, or 1 when their units are not comparable. */
static int quantity_cmp(const struct fhir_value *a, const struct fhir_value *b, int *cmp)
{
	const char *ua = fhir__fp_canonical_unit(a->u.quantity.unit),
	           *ub = fhir__fp_canonical_unit(b->u.quantity.unit);
	const char *ba, *bb;
	double fa, fb;

	if (strcmp(ua, ub) == 0) {
		*cmp = dec_cmp(a->u.quantity.value, b->u.quantity.value);
		return 0;
	}
	if (!fhir__fp_unit_base(ua, &ba, &fa) || !fhir__fp_unit_base(ub, &bb, &fb) ||
	    strcmp(ba, bb) != 0)
		return 1;
	*cmp = dec_cmp(a->u.quantity.value * fa, b->u.quantity.value * fb);
	return 0;
}

/* 1 if calendar keyword k is year(s)/month(s) and u is the UCUM 'a'/'mo'. */
static int calendar_vs_ucum(const char *k, const char *u)
{
	if (k == NULL || u == NULL)
		return 0;
	if (strcmp(k, "year") == 0 || strcmp(k, "years") == 0)
		return strcmp(u, "a") == 0;
	if (strcmp(k, "month") == 0 || strcmp(k, "months") == 0)
		return strcmp(u, "mo") == 0;
	return 0;
}

/* 1 when v is a JSON string that fhir__fp_prim makes a String whatever its text: its type
 * does not start as date, dateTime, instant and time do (the first letter, as there). */
static inline int plain_json_string(const struct fhir_value *v)
{
	char t0;

	if (v->kind != FHIR_VALUE_NODE || !fhir__fp_is_string(v->node))
		return 0;
	t0 = v->type != NULL ? v->type[0] : '\0';
	return t0 != 'd' && t0 != 'i' && t0 != 't';
}

int fhir__fp_equal(const struct fhir_value *a, const struct fhir_value *b)
{
	struct fhir_value pa, pb;

	/* the commonest comparison, a code or system against a String literal: two Strings,
	 * which the general way below compares by their text too (no date coercion applies) */
	if (b->kind == FHIR_VALUE_STRING && plain_json_string(a))
		return strcmp(a->node->valuestring, b->u.string) == 0;
	if (a->kind == FHIR_VALUE_STRING && plain_json_string(b))
		return strcmp(a->u.string, b->node->valuestring) == 0;
	int ka = fhir__fp_prim(a, &pa), kb = fhir__fp_prim(b, &pb);

	if (!ka || !kb) {
		if (!ka && !kb)
			return cJSON_Compare(a->node, b->node, 1) ? 1 : 0;
		return 0;
	}
	coerce_pair(a, b, &pa, &pb);
	if (is_number(&pa) && is_number(&pb)) {
		if (pa.kind == FHIR_VALUE_INTEGER && pb.kind == FHIR_VALUE_INTEGER)
			return pa.u.integer == pb.u.integer;
		return dec_cmp(num(&pa), num(&pb)) == 0;
	}
	if (is_date(&pa) && is_date(&pb)) {
		int c;

		if (pa.u.datetime.has_date != pb.u.datetime.has_date)
			return 0;
		c = fhir_datetime_compare(&pa.u.datetime, &pb.u.datetime);
		return c == 2 ? -1 : c == 0;
	}
	if (pa.kind != pb.kind)
		return 0;
	switch (pa.kind) {
	case FHIR_VALUE_BOOLEAN:
		return pa.u.boolean == pb.u.boolean;
	case FHIR_VALUE_STRING:
		return strcmp(pa.u.string, pb.u.string) == 0;
	case FHIR_VALUE_QUANTITY: {
		int c;

		/* FHIR R4 §2.24 / N1 §Quantity equality: the calendar year and month are not the
		 * UCUM 'a' and 'mo' (whose lengths are averages): comparing them is unknown. */
		if (calendar_vs_ucum(pa.u.quantity.unit, pb.u.quantity.unit) ||
		    calendar_vs_ucum(pb.u.quantity.unit, pa.u.quantity.unit))
			return -1;
		return quantity_cmp(&pa, &pb, &c) == 0 && c == 0;
	}
	default:
		return 0;
	}
}

/* Compares strings ignoring case and collapsing whitespace (FHIRPath N1 §Equivalence). */
static int str_equiv(const char *a, const char *b)
{
	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	while (*a && *b) {
		if (isspace((unsigned char)*a) && isspace((unsigned char)*b)) {
			while (isspace((unsigned char)*a))
				a++;
			while (isspace((unsigned char)*b))
				b++;
			continue;
		}
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	return *a == '\0' && *b == '\0';
}

/* Decimal places of d as it would be written (shortest form up to 15 significant digits). */
static int decimals(double d)
{
	char buf[64];
	const char *dot;

	snprintf(buf, sizeof(buf), "%.15g", d);
	if (strchr(buf, 'e') != NULL)
		return 15;
	dot = strchr(buf, '.');
	return dot != NULL ? (int)strlen(dot + 1) : 0;
}

/* FHIRPath N1 §Equivalence: decimals are compared at the precision of the less precise. */
static int dec_equivalent(double x, double y)
{
	int dx = decimals(x), dy = decimals(y);
	double f = pow(10.0, dx < dy ? dx : dy);

	return dec_cmp(round(x * f) / f, round(y * f) / f) == 0;
}

int fhir__fp_equivalent(const struct fhir_value *a, const struct fhir_value *b)
{
	struct fhir_value pa, pb;
	int ka = fhir__fp_prim(a, &pa), kb = fhir__fp_prim(b, &pb);

	if (!ka || !kb) {
		if (!ka && !kb)
			return cJSON_Compare(a->node, b->node, 1) ? 1 : 0;
		return 0;
	}
	coerce_pair(a, b, &pa, &pb);
	if (pa.kind == FHIR_VALUE_STRING && pb.kind == FHIR_VALUE_STRING)
		return str_equiv(pa.u.string, pb.u.string);
	if (is_number(&pa) && is_number(&pb))
		return dec_equivalent(num(&pa), num(&pb));
	return fhir__fp_equal(a, b) == 1;
}

int fhir__fp_compare(const struct fhir_value *a, const struct fhir_value *b, int *cmp)
{
	struct fhir_value pa, pb;

	if (!fhir__fp_prim(a, &pa) || !fhir__fp_prim(b, &pb))
		return -1;
	coerce_pair(a, b, &pa, &pb);
	if (is_number(&pa) && is_number(&pb)) {
		if (pa.kind == FHIR_VALUE_INTEGER && pb.kind == FHIR_VALUE_INTEGER)
			*cmp = pa.u.integer < pb.u.integer ? -1 : pa.u.integer > pb.u.integer;
		else
			*cmp = dec_cmp(num(&pa), num(&pb));
		return 0;
	}
	if (is_date(&pa) && is_date(&pb)) {
		int c;

		if (pa.u.datetime.has_date != pb.u.datetime.has_date)
			return -1;
		c = fhir_datetime_compare(&pa.u.datetime, &pb.u.datetime);
		if (c == 2)
			return 1;
		*cmp = c;
		return 0;
	}
	if (pa.kind == FHIR_VALUE_STRING && pb.kind == FHIR_VALUE_STRING &&
	    a->kind == FHIR_VALUE_NODE && b->kind == FHIR_VALUE_NODE) {
		struct fhir_value da, db;

		/* untyped FHIR JSON (e.g. Period.start <= Period.end): dates order as dates */
		if (string_as_date(pa.u.string, &da) && string_as_date(pb.u.string, &db) &&
		    da.u.datetime.has_date && db.u.datetime.has_date) {
			int c = fhir_datetime_compare(&da.u.datetime, &db.u.datetime);

			if (c == 2)
				return 1;
			*cmp = c;
			return 0;
		}
	}
	if (pa.kind == FHIR_VALUE_STRING && pb.kind == FHIR_VALUE_STRING) {
		int c = strcmp(pa.u.string, pb.u.string);

		*cmp = c < 0 ? -1 : c > 0;
		return 0;
	}
	if (pa.kind == FHIR_VALUE_QUANTITY && pb.kind == FHIR_VALUE_QUANTITY) {
		return quantity_cmp(&pa, &pb, cmp);
	}
	return -1;
}

static int is_calendar_keyword(const char *u)
{
	return u != NULL && strcmp(fhir__fp_canonical_unit(u), u) != 0;
}

const char *fhir__fp_to_string(struct fhir_arena *arena, const struct fhir_value *v)
{
	struct fhir_value p;
	char buf[64];
	const char *number;

	if (!fhir__fp_prim(v, &p))
		return NULL;
	switch (p.kind) {
	case FHIR_VALUE_BOOLEAN:
		return p.u.boolean ? "true" : "false";
	case FHIR_VALUE_INTEGER:
		return fhir_arena_printf(arena, "%" PRId64, p.u.integer);
	case FHIR_VALUE_DECIMAL:
		if (p.scale > 0 && p.scale <= 30 && fabs(p.u.decimal) < 1e15)
			return fhir_arena_printf(arena, "%.*f", p.scale - 1, p.u.decimal);
		return fhir_arena_printf(arena, "%.15g", p.u.decimal);
	case FHIR_VALUE_STRING:
		return p.u.string;
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
	case FHIR_VALUE_TIME:
		fhir_datetime_format(&p.u.datetime, buf, sizeof(buf));
		return fhir_arena_strdup(arena, buf);
	case FHIR_VALUE_QUANTITY:
		if (p.scale > 0 && p.scale <= 30 && fabs(p.u.quantity.value) < 1e15)
			number = fhir_arena_printf(arena, "%.*f", p.scale - 1, p.u.quantity.value);
		else
			number = fhir_arena_printf(arena, "%.15g", p.u.quantity.value);
		if (is_calendar_keyword(p.u.quantity.unit))
			return fhir_arena_printf(arena, "%s %s", number, p.u.quantity.unit);
		return fhir_arena_printf(arena, "%s '%s'", number,
		                         p.u.quantity.unit ? p.u.quantity.unit : "1");
	default:
		return NULL;
	}
}

static const char *system_name(enum fhir_value_kind k)
{
	switch (k) {
	case FHIR_VALUE_BOOLEAN:
		return "Boolean";
	case FHIR_VALUE_INTEGER:
		return "Integer";
	case FHIR_VALUE_DECIMAL:
		return "Decimal";
	case FHIR_VALUE_STRING:
		return "String";
	case FHIR_VALUE_DATE:
		return "Date";
	case FHIR_VALUE_DATETIME:
		return "DateTime";
	case FHIR_VALUE_TIME:
		return "Time";
	case FHIR_VALUE_QUANTITY:
		return "Quantity";
	default:
		return "";
	}
}

const char *fhir__fp_type_name(struct fhir_arena *arena, const struct fhir_value *v)
{
	if (v->kind != FHIR_VALUE_NODE)
		switch (v->kind) {
		case FHIR_VALUE_BOOLEAN:
			return "System.Boolean";
		case FHIR_VALUE_INTEGER:
			return "System.Integer";
		case FHIR_VALUE_DECIMAL:
			return "System.Decimal";
		case FHIR_VALUE_STRING:
			return "System.String";
		case FHIR_VALUE_DATE:
			return "System.Date";
		case FHIR_VALUE_DATETIME:
			return "System.DateTime";
		case FHIR_VALUE_TIME:
			return "System.Time";
		default:
			return "System.Quantity";
		}
	if (v->node == NULL && v->type == fhir__fp_typeinfo)
		return "System.TypeInfo";
	if (v->type != NULL) {
		if (strchr(v->type, '.') != NULL)
			return "FHIR.BackboneElement";
		return fhir_arena_printf(arena, "FHIR.%s", v->type);
	}
	if (fhir__fp_is_string(v->node))
		return "FHIR.string";
	if (fhir__fp_is_bool(v->node))
		return "FHIR.boolean";
	if (fhir__fp_is_number(v->node))
		return v->node->valuedouble == floor(v->node->valuedouble) ? "FHIR.integer"
		                                                           : "FHIR.decimal";
	if (fhir__fp_is_object(v->node) && fhir__fp_member(v->node, "resourceType"))
		return "FHIR.Resource";
	return "FHIR.Element";
}

const char *fhir__fp_type_split(const char *type, int *ns)
{
	*ns = FP_NS_ANY;
	if (strncmp(type, "System.", 7) == 0) {
		*ns = FP_NS_SYSTEM;
		return type + 7;
	}
	if (strncmp(type, "FHIR.", 5) == 0) {
		*ns = FP_NS_FHIR;
		return type + 5;
	}
	return type;
}

int fhir__fp_is_type(const struct fhir_value *v, const char *type)
{
	int ns;
	const char *bare = fhir__fp_type_split(type, &ns);

	return fhir__fp_is_type_ns(v, ns, bare);
}

int fhir__fp_is_type_ns(const struct fhir_value *v, int ns, const char *type)
{
	int system = ns == FP_NS_SYSTEM, fhir = ns == FP_NS_FHIR;

	if (v->kind != FHIR_VALUE_NODE)
		return !fhir && strcmp(system_name(v->kind), type) == 0;
	if (system)
		return 0;
	if (v->type != NULL) {
		if (v->type == fhir__fp_typeinfo)
			return 0;
		if (fhir__fp_model_derives(v->type, type))
			return 1;
		if (fhir__fp_is_object(v->node) &&
		    fhir__fp_member(v->node, "resourceType") != NULL &&
		    (strcmp(type, "Resource") == 0 || strcmp(type, "DomainResource") == 0))
			return 1;
		return 0;
	}
	if (fhir__fp_is_string(v->node))
		return strcmp(type, "string") == 0;
	if (fhir__fp_is_bool(v->node))
		return strcmp(type, "boolean") == 0;
	if (fhir__fp_is_number(v->node)) {
		double d = v->node->valuedouble;

		return strcmp(type, d == floor(d) ? "integer" : "decimal") == 0;
	}
	return 0;
}
