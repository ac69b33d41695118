/* datetime.c — FHIR partial dates, dateTimes, instants and times: parsing, formatting,
 * precision-aware comparison and calendar arithmetic (FHIRPath N1 §Date/Time Arithmetic).
 * Pure functions on struct fhir_datetime; the only outside state read is the clock in
 * fhir_datetime_now. Must not allocate and must not depend on the local time zone. */
#include "fhir.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MS_PER_DAY ((int64_t)86400000)

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return days[(m - 1) % 12];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n digits at *p into *out; advances *p. 0 on success. */
static int read_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Parses "HH[:MM[:SS[.fff]]]" into out; advances *p. */
static int parse_time_part(const char **p, struct fhir_datetime *out)
{
	if (read_digits(p, 2, &out->hour) != 0 || out->hour > 23)
		return -1;
	out->precision = FHIR_PREC_HOUR;
	if (**p != ':')
		return 0;
	(*p)++;
	if (read_digits(p, 2, &out->minute) != 0 || out->minute > 59)
		return -1;
	out->precision = FHIR_PREC_MINUTE;
	if (**p != ':')
		return 0;
	(*p)++;
	if (read_digits(p, 2, &out->second) != 0 || out->second > 60)
		return -1;
	if (out->second == 60)
		out->second = 59; /* a leap second, kept within range */
	out->precision = FHIR_PREC_SECOND;
	if (**p != '.')
		return 0;
	(*p)++;
	if (!isdigit((unsigned char)**p))
		return -1;
	{
		int ms = 0, n = 0;

		while (isdigit((unsigned char)**p)) {
			if (n < 3) {
				ms = ms * 10 + (**p - '0');
				n++;
			}
			(*p)++;
		}
		while (n < 3) {
			ms *= 10;
			n++;
		}
		out->millis = ms;
	}
	out->precision = FHIR_PREC_MILLISECOND;
	return 0;
}

/* Parses "Z" or "+HH:MM" / "-HH:MM" when present; advances *p. */
static int parse_zone(const char **p, struct fhir_datetime *out)
{
	int sign, h, m;

	if (**p == 'Z') {
		(*p)++;
		out->has_tz = 1;
		out->tz_minutes = 0;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return 0;
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (read_digits(p, 2, &h) != 0 || h > 14 || **p != ':')
		return -1;
	(*p)++;
	if (read_digits(p, 2, &m) != 0 || m > 59)
		return -1;
	out->has_tz = 1;
	out->tz_minutes = sign * (h * 60 + m);
	return 0;
}

/* FHIR R4 §2.24 date, dateTime, instant, time. */
int fhir_datetime_parse(const char *text, struct fhir_datetime *out, struct fhir_error *err)
{
	const char *p = text;
	int rc = FHIR_ERR_SYNTAX;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		goto out;
	if (*p == 'T' || (strlen(p) >= 3 && p[2] == ':')) {
		if (*p == 'T')
			p++;
		if (parse_time_part(&p, out) != 0)
			goto out;
		if (*p != '\0')
			goto out;
		rc = FHIR_OK;
		goto out;
	}
	out->has_date = 1;
	if (read_digits(&p, 4, &out->year) != 0)
		goto out;
	out->precision = FHIR_PREC_YEAR;
	if (*p == '-') {
		p++;
		if (read_digits(&p, 2, &out->month) != 0 || out->month < 1 || out->month > 12)
			goto out;
		out->precision = FHIR_PREC_MONTH;
		if (*p == '-') {
			p++;
			if (read_digits(&p, 2, &out->day) != 0 || out->day < 1 ||
			    out->day > days_in_month(out->year, out->month))
				goto out;
			out->precision = FHIR_PREC_DAY;
			if (*p == 'T') {
				p++;
				if (parse_time_part(&p, out) != 0)
					goto out;
			}
		}
	}
	if (parse_zone(&p, out) != 0)
		goto out;
	if (*p != '\0')
		goto out;
	rc = FHIR_OK;
out:
	if (rc != FHIR_OK) {
		fhir_error_set(err, NULL, "not a FHIR date, dateTime or time: \"%.64s\"",
		               text ? text : "(null)");
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

void fhir_datetime_format(const struct fhir_datetime *dt, char *buf, size_t size)
{
	size_t n = 0;
	int w;

	if (size == 0)
		return;
	buf[0] = '\0';
#define APPEND(...)                                                                                \
	do {                                                                                       \
		w = snprintf(buf + n, size - n, __VA_ARGS__);                                      \
		if (w < 0 || (size_t)w >= size - n)                                                \
			return;                                                                    \
		n += (size_t)w;                                                                    \
	} while (0)
	if (dt->has_date) {
		APPEND("%04d", dt->year);
		if (dt->precision >= FHIR_PREC_MONTH)
			APPEND("-%02d", dt->month);
		if (dt->precision >= FHIR_PREC_DAY)
			APPEND("-%02d", dt->day);
		if (dt->precision >= FHIR_PREC_HOUR)
			APPEND("T");
	}
	if (dt->precision >= FHIR_PREC_HOUR)
		APPEND("%02d", dt->hour);
	if (dt->precision >= FHIR_PREC_MINUTE)
		APPEND(":%02d", dt->minute);
	if (dt->precision >= FHIR_PREC_SECOND)
		APPEND(":%02d", dt->second);
	if (dt->precision >= FHIR_PREC_MILLISECOND)
		APPEND(".%03d", dt->millis);
	if (dt->has_tz && (!dt->has_date || dt->precision >= FHIR_PREC_HOUR)) {
		int tz = dt->tz_minutes < 0 ? -dt->tz_minutes : dt->tz_minutes;

		if (dt->tz_minutes == 0)
			APPEND("Z");
		else
			APPEND("%c%02d:%02d", dt->tz_minutes < 0 ? '-' : '+', tz / 60, tz % 60);
	}
#undef APPEND
}

/* Shifts a dateTime with a zone (precision hour or finer) to UTC. */
static void to_utc(struct fhir_datetime *dt)
{
	int64_t days, mins, y;

	if (!dt->has_tz || dt->tz_minutes == 0 || dt->precision < FHIR_PREC_HOUR)
		return;
	days = dt->has_date ? days_from_civil(dt->year, dt->month, dt->day) : 0;
	mins = days * 1440 + dt->hour * 60 + dt->minute - dt->tz_minutes;
	days = mins >= 0 ? mins / 1440 : -((-mins + 1439) / 1440);
	mins -= days * 1440;
	dt->hour = (int)(mins / 60);
	dt->minute = (int)(mins % 60);
	if (dt->has_date) {
		civil_from_days(days, &y, &dt->month, &dt->day);
		dt->year = (int)y;
	}
	dt->tz_minutes = 0;
}

/* FHIRPath N1 §Comparison: seconds and milliseconds count as one precision. */
int fhir_datetime_compare(const struct fhir_datetime *a, const struct fhir_datetime *b)
{
	struct fhir_datetime x = *a, y = *b;
	int pa, pb, lo;
	int fx[6], fy[6];
	int first;

	if (x.has_date != y.has_date)
		return 2;
	/* Zones matter only when both carry a time; a dateTime compared with a date is compared
	 * by its own (local) calendar date. */
	if (x.precision >= FHIR_PREC_HOUR && y.precision >= FHIR_PREC_HOUR) {
		to_utc(&x);
		to_utc(&y);
	}
	pa = x.precision == FHIR_PREC_MILLISECOND ? FHIR_PREC_SECOND : (int)x.precision;
	pb = y.precision == FHIR_PREC_MILLISECOND ? FHIR_PREC_SECOND : (int)y.precision;
	fx[0] = x.year, fx[1] = x.month, fx[2] = x.day, fx[3] = x.hour, fx[4] = x.minute;
	fy[0] = y.year, fy[1] = y.month, fy[2] = y.day, fy[3] = y.hour, fy[4] = y.minute;
	fx[5] = x.second * 1000 + x.millis;
	fy[5] = y.second * 1000 + y.millis;
	first = x.has_date ? FHIR_PREC_YEAR : FHIR_PREC_HOUR;
	lo = pa < pb ? pa : pb;
	for (int p = first; p <= lo; p++) {
		if (fx[p - 1] != fy[p - 1])
			return fx[p - 1] < fy[p - 1] ? -1 : 1;
	}
	return pa == pb ? 0 : 2;
}

enum cal_unit { U_YEAR, U_MONTH, U_WEEK, U_DAY, U_HOUR, U_MINUTE, U_SECOND, U_MS, U_NONE };

static enum cal_unit unit_of(const char *unit)
{
	static const struct {
		const char *name;
		enum cal_unit u;
	} units[] = {
	    {"year", U_YEAR},      {"years", U_YEAR},      {"a", U_YEAR},
	    {"month", U_MONTH},    {"months", U_MONTH},    {"mo", U_MONTH},
	    {"week", U_WEEK},      {"weeks", U_WEEK},      {"wk", U_WEEK},
	    {"day", U_DAY},        {"days", U_DAY},        {"d", U_DAY},
	    {"hour", U_HOUR},      {"hours", U_HOUR},      {"h", U_HOUR},
	    {"minute", U_MINUTE},  {"minutes", U_MINUTE},  {"min", U_MINUTE},
	    {"second", U_SECOND},  {"seconds", U_SECOND},  {"s", U_SECOND},
	    {"millisecond", U_MS}, {"milliseconds", U_MS}, {"ms", U_MS},
	};

	if (unit == NULL)
		return U_NONE;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].name, unit) == 0)
			return units[i].u;
	return U_NONE;
}

#define AMOUNT_MAX ((int64_t)1 << 40)

/* FHIRPath N1 §Date/Time Arithmetic; "3 months" clamps the day to the month's end. */
static int add(struct fhir_datetime *dt, int64_t amount, const char *unit)
{
	enum cal_unit u = unit_of(unit);
	int64_t months, ms, days, y;

	if (u == U_NONE)
		return FHIR_ERR_INVALID;
	if (amount > AMOUNT_MAX || amount < -AMOUNT_MAX)
		return FHIR_ERR_INVALID;
	if (u == U_WEEK) {
		u = U_DAY;
		amount *= 7;
	}
	if (!dt->has_date && (u == U_YEAR || u == U_MONTH || u == U_DAY))
		return FHIR_OK; /* a time has no calendar part */
	if (u == U_YEAR || u == U_MONTH) {
		if (u == U_YEAR)
			amount *= 12;
		if (dt->precision == FHIR_PREC_YEAR) {
			y = dt->year + amount / 12;
		} else {
			months = (int64_t)dt->year * 12 + (dt->month - 1) + amount;
			y = months >= 0 ? months / 12 : -((-months + 11) / 12);
			dt->month = (int)(months - y * 12) + 1;
		}
		if (y < 1 || y > 9999)
			return FHIR_ERR_INVALID;
		dt->year = (int)y;
		if (dt->precision >= FHIR_PREC_DAY && dt->day > days_in_month(y, dt->month))
			dt->day = days_in_month(y, dt->month);
		return FHIR_OK;
	}
	{
		int64_t factor = u == U_DAY      ? MS_PER_DAY
		                 : u == U_HOUR   ? 3600000
		                 : u == U_MINUTE ? 60000
		                 : u == U_SECOND ? 1000
		                                 : 1;

		/* 4e14 ms is about 12,700 years: beyond any valid date, and far from overflow */
		if (amount > (int64_t)400000000000000 / factor ||
		    amount < -(int64_t)400000000000000 / factor)
			return FHIR_ERR_INVALID;
		ms = amount * factor;
	}
	if (dt->has_date && dt->precision < FHIR_PREC_DAY) {
		/* Year or month precision: whole days cannot be expressed; months of 30 days. */
		return add(dt, ms / (MS_PER_DAY * 30), "month");
	}
	days = dt->has_date ? days_from_civil(dt->year, dt->month, dt->day) : 0;
	ms += days * MS_PER_DAY + (int64_t)dt->hour * 3600000 + (int64_t)dt->minute * 60000 +
	      (int64_t)dt->second * 1000 + dt->millis;
	days = ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY);
	ms -= days * MS_PER_DAY;
	if (dt->has_date) {
		civil_from_days(days, &y, &dt->month, &dt->day);
		if (y < 1 || y > 9999)
			return FHIR_ERR_INVALID;
		dt->year = (int)y;
	}
	if (dt->precision >= FHIR_PREC_HOUR)
		dt->hour = (int)(ms / 3600000);
	if (dt->precision >= FHIR_PREC_MINUTE)
		dt->minute = (int)(ms / 60000 % 60);
	if (dt->precision >= FHIR_PREC_SECOND)
		dt->second = (int)(ms / 1000 % 60);
	if (dt->precision >= FHIR_PREC_MILLISECOND)
		dt->millis = (int)(ms % 1000);
	return FHIR_OK;
}

/* On error *dt is left unchanged. */
int fhir_datetime_add(struct fhir_datetime *dt, int64_t amount, const char *unit)
{
	struct fhir_datetime r = *dt;
	int rc = add(&r, amount, unit);

	if (rc == FHIR_OK)
		*dt = r;
	return rc;
}

void fhir_datetime_now(struct fhir_datetime *out)
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	gmtime_r(&t, &tm);
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	out->hour = tm.tm_hour;
	out->minute = tm.tm_min;
	out->second = tm.tm_sec > 59 ? 59 : tm.tm_sec;
	out->millis = (int)(ts.tv_nsec / 1000000);
	out->precision = FHIR_PREC_MILLISECOND;
	out->has_date = 1;
	out->has_tz = 1;
	out->tz_minutes = 0;
}
