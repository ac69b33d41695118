/* fhirpath_convert.c — the FHIRPath conversion functions (FHIRPath N1 §5.5): toString, toInteger,
 * toDecimal, toBoolean, toDate, toDateTime, toTime, toQuantity and their convertsTo* tests.
 * Pure functions of one System value; must not navigate JSON or allocate outside the arena. */
#include "fhirpath_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FN   FHIR__FP_FN
#define PUSH FHIR__FP_PUSH

FN(fn_to_string)
{
	struct fhir_value v;
	const char *s;
	int rc = fhir__fp_singleton(e, call, "toString()", in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	s = fhir__fp_to_string(e->arena, &v);
	return s != NULL ? fhir__fp_push_str(e, out, s) : 0;
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
			return fhir__fp_push_bool(e, out, 0);
		return 0;
	}
	rc = conv(e->arena, &v, &r);
	if (report)
		return fhir__fp_push_bool(e, out, rc);
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

/* ---- table rows (searched by fhir__fp_func_find) ---------------------------------------- */

const struct fhir__fp_func fhir__fp_convert_funcs[] = {
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
};
const size_t fhir__fp_convert_func_count =
    sizeof(fhir__fp_convert_funcs) / sizeof(fhir__fp_convert_funcs[0]);
