/* test_datetime.c — table-driven tests of fhir/datetime.c and fhir/arena.c: parsing and
 * formatting partial dates/times, precision-aware comparison (2 = unknown), calendar arithmetic
 * with month-end clamping, and the arena and collection helpers.
 * Prints every failure with its input, got and expected; ends with "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"

static int passed, failed;

static void check(int ok, const char *what, const char *got, const char *expected)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL: %s\n   got:      %s\n   expected: %s\n", what, got, expected);
}

/* text -> parse -> format round trips (expected NULL: a syntax error). */
static const struct {
	const char *text;
	const char *formatted;
	int precision;
} parse_cases[] = {
    {"2021", "2021", FHIR_PREC_YEAR},
    {"2021-03", "2021-03", FHIR_PREC_MONTH},
    {"2021-03-01", "2021-03-01", FHIR_PREC_DAY},
    {"2021-03-01T10:30:00Z", "2021-03-01T10:30:00Z", FHIR_PREC_SECOND},
    {"2021-03-01T10:30:00.123+01:00", "2021-03-01T10:30:00.123+01:00", FHIR_PREC_MILLISECOND},
    {"2021-03-01T10:30:00.1-05:30", "2021-03-01T10:30:00.100-05:30", FHIR_PREC_MILLISECOND},
    {"2021-03-01T10:30:00.123456Z", "2021-03-01T10:30:00.123Z", FHIR_PREC_MILLISECOND},
    {"2021-03-01T10:30", "2021-03-01T10:30", FHIR_PREC_MINUTE},
    {"2021-03-01T10", "2021-03-01T10", FHIR_PREC_HOUR},
    {"10:30", "10:30", FHIR_PREC_MINUTE},
    {"10:30:15", "10:30:15", FHIR_PREC_SECOND},
    {"T10:30:15.5", "10:30:15.500", FHIR_PREC_MILLISECOND},
    {"2024-02-29", "2024-02-29", FHIR_PREC_DAY},
    {"2023-02-29", NULL, 0},
    {"2021-13", NULL, 0},
    {"2021-00-10", NULL, 0},
    {"2021-04-31", NULL, 0},
    {"21", NULL, 0},
    {"2021-3-1", NULL, 0},
    {"2021-03-01T25:00", NULL, 0},
    {"2021-03-01T10:60", NULL, 0},
    {"2021-03-01T10:00:00+1:00", NULL, 0},
    {"2021-03-01T10:00:00.", NULL, 0},
    {"2021-03-01x", NULL, 0},
    {"", NULL, 0},
    {"abcd", NULL, 0},
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct fhir_datetime dt;
		struct fhir_error err;
		char buf[64] = "";
		int rc = fhir_datetime_parse(parse_cases[i].text, &dt, &err);
		char what[96];

		snprintf(what, sizeof(what), "parse \"%s\"", parse_cases[i].text);
		if (parse_cases[i].formatted == NULL) {
			check(rc == FHIR_ERR_SYNTAX &&
			          strstr(err.message, "not a FHIR date") != NULL,
			      what, rc == 0 ? "ok" : err.message, "syntax error");
			continue;
		}
		if (rc != 0) {
			check(0, what, err.message, parse_cases[i].formatted);
			continue;
		}
		fhir_datetime_format(&dt, buf, sizeof(buf));
		check(strcmp(buf, parse_cases[i].formatted) == 0 &&
		          (int)dt.precision == parse_cases[i].precision,
		      what, buf, parse_cases[i].formatted);
	}
	check(fhir_datetime_parse(NULL, &(struct fhir_datetime){0}, NULL) == FHIR_ERR_SYNTAX,
	      "parse NULL", "ok", "syntax error");
	{
		/* truncation never overflows */
		struct fhir_datetime dt;
		char small[6];

		fhir_datetime_parse("2021-03-01T10:30:00Z", &dt, NULL);
		fhir_datetime_format(&dt, small, sizeof(small));
		check(strlen(small) < sizeof(small), "format into a small buffer", small,
		      "truncated");
	}
}

/* fhir_datetime_compare: -1, 0, 1, or 2 (unknown). */
static const struct {
	const char *a, *b;
	int want;
} compare_cases[] = {
    {"2021-03-01", "2021-03-01", 0},
    {"2021-03-01", "2021-03-02", -1},
    {"2021-03-02", "2021-03-01", 1},
    {"2021", "2022", -1},
    {"2021", "2021", 0},
    {"2021", "2021-06", 2},
    {"2021-03", "2021-03-15", 2},
    {"2021-03", "2021-04-15", -1},
    {"2020-12", "2021-01-01", -1},
    {"2021-03-01", "2021-03-01T10:00", 2},
    {"2021-03-01", "2021-03-02T10:00", -1},
    {"2021-03-01T10:00:00Z", "2021-03-01T11:00:00+01:00", 0},
    {"2021-03-01T23:30:00-01:00", "2021-03-02T00:30:00Z", 0},
    {"2021-03-02T00:30:00+01:00", "2021-03-02", 2},
    {"2021-03-02T00:30:00+01:00", "2021-03-01", 1},
    {"2021-03-02T00:30:00+01:00", "2021-03-01T23:30:00Z", 0},
    {"2021-03-01T10:00:00Z", "2021-03-01T10:00:01Z", -1},
    {"2021-03-01T10:00:00Z", "2021-03-01T10:00:00.000Z", 0},
    {"2021-03-01T10:00:00.001Z", "2021-03-01T10:00:00Z", 1},
    {"2021-03-01T10:00", "2021-03-01T10:00:30", 2},
    {"2021-03-01T10:00", "2021-03-01T10:01:30", -1},
    {"10:00", "11:00", -1},
    {"10:00", "10:00:00", 2},
    {"10:00:00", "10:00:00", 0},
    {"10:00", "2021-03-01", 2},
};

static void test_compare(void)
{
	for (size_t i = 0; i < sizeof(compare_cases) / sizeof(compare_cases[0]); i++) {
		struct fhir_datetime a, b;
		char what[128], got[16], want[16];
		int c;

		fhir_datetime_parse(compare_cases[i].a, &a, NULL);
		fhir_datetime_parse(compare_cases[i].b, &b, NULL);
		c = fhir_datetime_compare(&a, &b);
		snprintf(what, sizeof(what), "compare %s with %s", compare_cases[i].a,
		         compare_cases[i].b);
		snprintf(got, sizeof(got), "%d", c);
		snprintf(want, sizeof(want), "%d", compare_cases[i].want);
		check(c == compare_cases[i].want, what, got, want);
		/* antisymmetry */
		c = fhir_datetime_compare(&b, &a);
		snprintf(got, sizeof(got), "%d", c);
		snprintf(want, sizeof(want), "%d",
		         compare_cases[i].want == 2 ? 2 : -compare_cases[i].want);
		check(strcmp(got, want) == 0, what, got, want);
	}
}

/* fhir_datetime_add (expected NULL: FHIR_ERR_INVALID). */
static const struct {
	const char *start;
	int64_t amount;
	const char *unit;
	const char *want;
} add_cases[] = {
    {"2025-03-31", -1, "month", "2025-02-28"},
    {"2024-03-31", -1, "months", "2024-02-29"},
    {"2025-01-31", 1, "mo", "2025-02-28"},
    {"2025-01-31", 3, "month", "2025-04-30"},
    {"2024-02-29", 1, "year", "2025-02-28"},
    {"2024-02-29", 4, "a", "2028-02-29"},
    {"2025-06-15", -3, "months", "2025-03-15"},
    {"2025-06-15", -90, "days", "2025-03-17"},
    {"2025-06-15", -18, "years", "2007-06-15"},
    {"2025-01-15", -1, "month", "2024-12-15"},
    {"2025-12-15", 1, "month", "2026-01-15"},
    {"2025-01-15", -25, "months", "2022-12-15"},
    {"2025-12-31", 1, "d", "2026-01-01"},
    {"2024-02-28", 1, "day", "2024-02-29"},
    {"2025-03-01", -1, "day", "2025-02-28"},
    {"2025-06-15", 2, "weeks", "2025-06-29"},
    {"2025-06-15", -1, "wk", "2025-06-08"},
    {"2025-03", 2, "months", "2025-05"},
    {"2025-11", 3, "months", "2026-02"},
    {"2025", 1, "year", "2026"},
    {"2025", 18, "months", "2026"},
    {"2025-03-01T23:30:00Z", 45, "minutes", "2025-03-02T00:15:00Z"},
    {"2025-03-01T00:15:00Z", -30, "min", "2025-02-28T23:45:00Z"},
    {"2025-03-01T10:00:00.500Z", 700, "ms", "2025-03-01T10:00:01.200Z"},
    {"2025-03-01T10:00:00Z", 25, "hours", "2025-03-02T11:00:00Z"},
    {"2025-03-01T10:00:00Z", -3600, "s", "2025-03-01T09:00:00Z"},
    {"2025-03-31T10:00:00+02:00", -1, "month", "2025-02-28T10:00:00+02:00"},
    {"23:30", 45, "minutes", "00:15"},
    {"01:00", -2, "hours", "23:00"},
    {"2025-03-01", 1, "fortnight", NULL},
    {"2025-03-01", 1, "kg", NULL},
    {"2025-03-01", 10000, "years", NULL},
    {"2025-03-01", 4000000000000, "days", NULL},
    {"2025-03-01", -4000000000000, "hours", NULL},
    {"2025-03-01T00:00:00Z", INT64_MAX, "ms", NULL},
    {"2025-03-01", INT64_MIN, "months", NULL},
    {"2025-03-01", 3000000, "days", NULL},
    {"9999-12-31", 1, "day", NULL},
    {"9999-12-31", 1, "month", NULL},
    {"0001-01-01", -1, "day", NULL},
};

static void test_add(void)
{
	for (size_t i = 0; i < sizeof(add_cases) / sizeof(add_cases[0]); i++) {
		struct fhir_datetime dt;
		char what[128], buf[64] = "";
		int rc;

		fhir_datetime_parse(add_cases[i].start, &dt, NULL);
		rc = fhir_datetime_add(&dt, add_cases[i].amount, add_cases[i].unit);
		snprintf(what, sizeof(what), "%s + %lld %s", add_cases[i].start,
		         (long long)add_cases[i].amount, add_cases[i].unit);
		if (add_cases[i].want == NULL) {
			check(rc == FHIR_ERR_INVALID, what, rc == 0 ? "ok" : "error",
			      "FHIR_ERR_INVALID");
			continue;
		}
		fhir_datetime_format(&dt, buf, sizeof(buf));
		check(rc == 0 && strcmp(buf, add_cases[i].want) == 0, what, buf, add_cases[i].want);
	}
}

static void test_now(void)
{
	struct fhir_datetime now, y2020;
	char buf[64];

	fhir_datetime_now(&now);
	fhir_datetime_format(&now, buf, sizeof(buf));
	fhir_datetime_parse("2020-01-01T00:00:00Z", &y2020, NULL);
	check(now.has_date && now.has_tz && now.precision == FHIR_PREC_MILLISECOND &&
	          fhir_datetime_compare(&now, &y2020) == 1 && buf[strlen(buf) - 1] == 'Z',
	      "fhir_datetime_now", buf, "a UTC instant after 2020 with millisecond precision");
}

static void test_arena(void)
{
	struct fhir_arena *a = fhir_arena_new();
	struct fhir_collection c = {NULL, 0, 0};
	struct fhir_value items[2];
	cJSON *res = cJSON_Parse("{\"resourceType\":\"Patient\",\"id\":\"x\"}");
	char *s;
	int ok = 1;

	for (int i = 0; i < 10000; i++) {
		unsigned char *p = fhir_arena_alloc(a, (size_t)(i % 97) + 1);

		ok &= ((uintptr_t)p % 16) == 0 && p[0] == 0;
		p[0] = 0xff;
	}
	check(ok, "arena: 10000 allocations, zeroed and 16-byte aligned", ok ? "ok" : "bad", "ok");
	s = fhir_arena_alloc(a, 1 << 20); /* bigger than a block */
	s[(1 << 20) - 1] = 'x';
	check(fhir_arena_strdup(a, NULL) == NULL, "strdup(NULL)", "non-NULL", "NULL");
	check(strcmp(fhir_arena_strndup(a, "abcdef", 3), "abc") == 0, "strndup", "?", "abc");
	s = fhir_arena_printf(a, "%s-%d", "n", 42);
	check(strcmp(s, "n-42") == 0, "arena_printf", s, "n-42");
	fhir_arena_reset(a);
	s = fhir_arena_strdup(a, "after reset");
	check(strcmp(s, "after reset") == 0, "alloc after reset", s, "after reset");

	for (int i = 0; i < 1000; i++)
		fhir_collection_push_bool(&c, a, i % 2);
	check(c.count == 1000 && c.items[999].u.boolean == 1, "push 1000 booleans", "?", "1000");
	fhir_collection_push_node(&c, a, res);
	check(c.items[1000].kind == FHIR_VALUE_NODE && c.items[1000].type != NULL &&
	          strcmp(c.items[1000].type, "Patient") == 0,
	      "push_node sets type from resourceType", "?", "Patient");

	/* caller memory: pushing copies it into the arena */
	memset(items, 0, sizeof(items));
	items[0].kind = FHIR_VALUE_INTEGER;
	items[0].u.integer = 5;
	c.items = items;
	c.count = 1;
	c.capacity = 1;
	fhir_collection_push_bool(&c, a, 1);
	check(c.items != items && c.count == 2 && c.items[0].u.integer == 5,
	      "push onto caller memory", "?", "copied");

	{
		struct fhir_collection e = {NULL, 0, 0}, t = {NULL, 0, 0}, f = {NULL, 0, 0};
		struct fhir_collection two = {NULL, 0, 0}, node = {NULL, 0, 0};

		fhir_collection_push_bool(&t, a, 1);
		fhir_collection_push_bool(&f, a, 0);
		fhir_collection_push_bool(&two, a, 0);
		fhir_collection_push_bool(&two, a, 0);
		fhir_collection_push_node(&node, a, res);
		check(fhir_collection_truth(&e) == -1, "truth of []", "?", "-1");
		check(fhir_collection_truth(NULL) == -1, "truth of NULL", "?", "-1");
		check(fhir_collection_truth(&t) == 1, "truth of [true]", "?", "1");
		check(fhir_collection_truth(&f) == 0, "truth of [false]", "?", "0");
		check(fhir_collection_truth(&two) == 1, "truth of [false,false]", "?", "1");
		check(fhir_collection_truth(&node) == 1, "truth of [resource]", "?", "1");
	}
	fhir_arena_free(a);
	fhir_arena_free(NULL);
	cJSON_Delete(res);
}

int main(void)
{
	test_parse();
	test_compare();
	test_add();
	test_now();
	test_arena();
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
