/* fhirpath_math.c — the FHIRPath math functions (FHIRPath N1 §5.7): abs, ceiling, floor, sqrt, exp,
 * ln, log, power, round, truncate on Integer and Decimal (abs also on Quantity). A result that
 * is not a finite number is empty; one that does not fit an Integer is an evaluation error.
 * Must not navigate JSON. */
#include "fhirpath_internal.h"

#include <math.h>
#include <stdint.h>

#define FN   FHIR__FP_FN
#define PUSH FHIR__FP_PUSH

/* ---- math (FHIRPath N1 §5.7) ------------------------------------------------------------- */

static int math1(struct fhir__fp_ev *e, const struct fhir__fp_node *call,
                 const struct fhir_collection *in, struct fhir_collection *out, int op)
{
	struct fhir_value v, r;
	double d;
	int rc = fhir__fp_input_prim(e, call, in, &v);

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
		return fhir__fp_push_int(e, out,
		                         op == 0 && v.u.integer < 0 ? -v.u.integer : v.u.integer);
	}
	d = v.kind == FHIR_VALUE_INTEGER ? (double)v.u.integer : v.u.decimal;
	switch (op) {
	case 0:
		r = fhir__fp_dec(fabs(d));
		break;
	case 1:
		d = ceil(d);
		if (!(d > -9.2e18 && d < 9.2e18))
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
			                     "%s(): the result does not fit an Integer",
			                     call->name);
		r = fhir__fp_int((int64_t)d);
		break;
	case 2:
		d = floor(d);
		if (!(d > -9.2e18 && d < 9.2e18))
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
			                     "%s(): the result does not fit an Integer",
			                     call->name);
		r = fhir__fp_int((int64_t)d);
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
		d = trunc(d);
		if (!(d > -9.2e18 && d < 9.2e18))
			return fhir__fp_fail(e, call, FHIR_ERR_EVAL,
			                     "%s(): the result does not fit an Integer",
			                     call->name);
		r = fhir__fp_int((int64_t)d);
		break;
	default:
		if (d <= 0)
			return 0;
		r = fhir__fp_dec(log(d));
		break;
	}
	if (r.kind == FHIR_VALUE_DECIMAL && !isfinite(r.u.decimal))
		return 0; /* overflow: no representable result */
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
	int rc = fhir__fp_input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (v.kind != FHIR_VALUE_INTEGER && v.kind != FHIR_VALUE_DECIMAL)
		return fhir__fp_fail(e, call, FHIR_ERR_EVAL, "round(): expected a number");
	if (call->nargs > 0) {
		rc = fhir__fp_arg_int(e, call, 0, &prec);
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
	int rc = fhir__fp_input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_prim(e, call, 0, &b);
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
	int rc = fhir__fp_input_prim(e, call, in, &v);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = fhir__fp_arg_prim(e, call, 0, &b);
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

/* ---- table rows (searched by fhir__fp_func_find) ---------------------------------------- */

const struct fhir__fp_func fhir__fp_math_funcs[] = {
    {"abs", 0, 0, 0, fn_abs},     {"ceiling", 0, 0, 0, fn_ceiling},
    {"floor", 0, 0, 0, fn_floor}, {"sqrt", 0, 0, 0, fn_sqrt},
    {"exp", 0, 0, 0, fn_exp},     {"ln", 0, 0, 0, fn_ln},
    {"log", 1, 1, 0, fn_log},     {"power", 1, 1, 0, fn_power},
    {"round", 0, 1, 0, fn_round}, {"truncate", 0, 0, 0, fn_truncate},
};
const size_t fhir__fp_math_func_count =
    sizeof(fhir__fp_math_funcs) / sizeof(fhir__fp_math_funcs[0]);
