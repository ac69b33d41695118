/* fhirpath_precision.c — the FHIRPath functions about precision (FHIRPath N1 §5.7 and the
 * 2.0 additions): precision(), lowBoundary(), highBoundary() on Decimal, Integer, Date, DateTime
 * and Time (and Quantity: its value), and comparable() on Quantity. Decimals are doubles carrying
 * the scale they were written with (fhir_value.scale); boundaries are computed in double and
 * rounded to the asked number of digits. Must not navigate JSON. */
#include "fhirpath_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FN   FHIR__FP_FN
#define PUSH FHIR__FP_PUSH

/* Largest number of decimal digits lowBoundary/highBoundary accept (N1: "up to 28"). */
#define MAX_DECIMAL_DIGITS 28

/* Digits after the decimal point of a number: its written scale, else the fewest that print
 * it exactly (to 15 significant digits); 0 for an Integer. */
static int decimal_digits(const struct fhir_value *v)
{
	char buf[64];
	const char *dot;

	if (v->kind == FHIR_VALUE_INTEGER)
		return 0;
	if (v->scale > 0)
		return v->scale - 1;
	snprintf(buf, sizeof(buf), "%.15g", v->u.decimal);
	if (strchr(buf, 'e') != NULL)
		return 15;
	dot = strchr(buf, '.');
	return dot == NULL ? 0 : (int)strlen(dot + 1);
}

/* Digits of a date/time precision: 2021 -> 4, 2021-03 -> 6, ... .000 -> 17; times 2..9. */
static int date_digits(const struct fhir_datetime *d)
{
	static const int date[] = {0, 4, 6, 8, 10, 12, 14, 17};
	static const int time[] = {0, 0, 0, 0, 2, 4, 6, 9};
	int p = (int)d->precision;

	if (p < 1 || p > 7)
		return 0;
	return d->has_date ? date[p] : time[p];
}

/* The precision named by `digits` for a date (has_date) or time, or 0 when it names none. */
static enum fhir_precision precision_of(int has_date, int digits)
{
	static const int date[] = {0, 4, 6, 8, 10, 12, 14, 17};
	static const int time[] = {0, 0, 0, 0, 2, 4, 6, 9};

	for (int p = 1; p <= 7; p++)
		if ((has_date ? date[p] : time[p]) == digits && digits != 0)
			return (enum fhir_precision)p;
	return (enum fhir_precision)0;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m < 1 || m > 12)
		return 31;
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

FN(fn_precision)
{
	struct fhir_value v;
	int rc = fhir__fp_input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	switch (v.kind) {
	case FHIR_VALUE_INTEGER:
	case FHIR_VALUE_DECIMAL:
		return fhir__fp_push_int(e, out, decimal_digits(&v));
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
	case FHIR_VALUE_TIME:
		return fhir__fp_push_int(e, out, date_digits(&v.u.datetime));
	default:
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "precision(): expected a number, date or time");
	}
}

/* x rounded to `digits` decimals towards -inf (low) or +inf (high), forgiving the binary
 * representation error of x (1.5865 * 1e8 must stay 158650000). */
static double round_to(double x, int digits, int high)
{
	double f = pow(10.0, digits), y = x * f, r = nearbyint(y);

	if (fabs(y - r) <= 1e-7 * fmax(1.0, fabs(y)))
		y = r;
	return (high ? ceil(y) : floor(y)) / f;
}

/* Fills the fields a date/time does not have with their lowest (or highest) value, or drops
 * the ones past `to`. */
static void date_boundary(struct fhir_datetime *d, enum fhir_precision to, int high)
{
	enum fhir_precision from = d->precision;

	for (int p = (int)from + 1; p <= (int)to; p++) {
		switch ((enum fhir_precision)p) {
		case FHIR_PREC_MONTH:
			d->month = high ? 12 : 1;
			break;
		case FHIR_PREC_DAY:
			d->day = high ? month_days(d->year, d->month) : 1;
			break;
		case FHIR_PREC_HOUR:
			d->hour = high ? 23 : 0;
			break;
		case FHIR_PREC_MINUTE:
			d->minute = high ? 59 : 0;
			break;
		case FHIR_PREC_SECOND:
			d->second = high ? 59 : 0;
			break;
		case FHIR_PREC_MILLISECOND:
			d->millis = high ? 999 : 0;
			break;
		default:
			break;
		}
	}
	for (int p = (int)to + 1; p <= (int)from; p++) {
		switch ((enum fhir_precision)p) {
		case FHIR_PREC_MONTH:
			d->month = 0;
			break;
		case FHIR_PREC_DAY:
			d->day = 0;
			break;
		case FHIR_PREC_HOUR:
			d->hour = 0;
			break;
		case FHIR_PREC_MINUTE:
			d->minute = 0;
			break;
		case FHIR_PREC_SECOND:
			d->second = 0;
			break;
		case FHIR_PREC_MILLISECOND:
			d->millis = 0;
			break;
		default:
			break;
		}
	}
	d->precision = to;
}

/* lowBoundary([precision]) / highBoundary([precision]): the least / greatest value the input
 * could stand for, at `precision` digits (FHIRPath 2.0 §5.7.x; empty for a precision out of
 * range). Decimals default to 8 digits, dates and times to milliseconds. */
static int boundary(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                    const struct fhir_collection *in, struct fhir_collection *out, int high)
{
	struct fhir_value v, r;
	int64_t digits = -1;
	int rc = fhir__fp_input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (call->nargs == 1) {
		rc = fhir__fp_arg_int(e, call, 0, &digits);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	switch (v.kind) {
	case FHIR_VALUE_INTEGER:
	case FHIR_VALUE_DECIMAL:
	case FHIR_VALUE_QUANTITY: {
		struct fhir_value num = v;
		double x, half;

		if (v.kind == FHIR_VALUE_QUANTITY) { /* the value's boundary, same unit */
			num.kind = FHIR_VALUE_DECIMAL;
			num.u.decimal = v.u.quantity.value;
		}
		x = num.kind == FHIR_VALUE_INTEGER ? (double)num.u.integer : num.u.decimal;
		half = 0.5 * pow(10.0, -decimal_digits(&num));
		if (call->nargs == 0)
			digits = 8;
		if (digits < 0 || digits > MAX_DECIMAL_DIGITS)
			return 0;
		r = fhir__fp_dec(round_to(high ? x + half : x - half, (int)digits, high));
		if (!isfinite(r.u.decimal))
			return 0;
		if (v.kind == FHIR_VALUE_QUANTITY) {
			double d = r.u.decimal;

			r = v;
			r.node = NULL;
			r.type = NULL;
			r.name = NULL;
			r.u.quantity.value = d;
		}
		r.scale = (int)digits + 1;
		PUSH(&r);
		return 0;
	}
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
	case FHIR_VALUE_TIME: {
		enum fhir_precision to;

		if (call->nargs == 0)
			digits = v.kind == FHIR_VALUE_DATE ? 8 : v.kind == FHIR_VALUE_TIME ? 9 : 17;
		if (digits < 0 || digits > 17)
			return 0;
		to = precision_of(v.u.datetime.has_date, (int)digits);
		if (to == 0 || (v.kind == FHIR_VALUE_DATE && to > FHIR_PREC_DAY))
			return 0;
		r = v;
		r.node = NULL;
		r.type = NULL;
		r.name = NULL;
		date_boundary(&r.u.datetime, to, high);
		PUSH(&r);
		return 0;
	}
	default:
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "%s(): expected a number, date or time", call->name);
	}
}

FN(fn_low_boundary)
{
	return boundary(e, call, in, out, 0);
}

FN(fn_high_boundary)
{
	return boundary(e, call, in, out, 1);
}

/* comparable(quantity): whether the two quantities' units can be converted into each other
 * (FHIRPath 2.0 §5.7; only the units of fhir__fp_unit_base are known). */
FN(fn_comparable)
{
	struct fhir_value a, b;
	const char *ba, *bb;
	double fa, fb;
	int rc = fhir__fp_input_prim(e, call, in, &a);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_prim(e, call, 0, &b);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (a.kind != FHIR_VALUE_QUANTITY || b.kind != FHIR_VALUE_QUANTITY)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
		                     "comparable(): expected two Quantities");
	if (a.u.quantity.unit != NULL && b.u.quantity.unit != NULL &&
	    strcmp(a.u.quantity.unit, b.u.quantity.unit) == 0)
		return fhir__fp_push_bool(e, out, 1);
	return fhir__fp_push_bool(e, out,
	                          fhir__fp_unit_base(a.u.quantity.unit, &ba, &fa) &&
	                              fhir__fp_unit_base(b.u.quantity.unit, &bb, &fb) &&
	                              strcmp(ba, bb) == 0);
}

const struct fhir__fp_func fhir__fp_precision_funcs[] = {
    {"precision", 0, 0, 0, fn_precision},
    {"lowBoundary", 0, 1, 0, fn_low_boundary},
    {"highBoundary", 0, 1, 0, fn_high_boundary},
    {"comparable", 1, 1, 0, fn_comparable},
};
const size_t fhir__fp_precision_func_count =
    sizeof(fhir__fp_precision_funcs) / sizeof(fhir__fp_precision_funcs[0]);
