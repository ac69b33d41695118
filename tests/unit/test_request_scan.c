/* test_request_scan.c — the request body scan (cds-hooks/request.c) skips runs of ordinary bytes
 * eight at a time inside and outside strings; this checks, on random bodies built from JSON
 * pieces, bad bytes, deep nesting and long runs (so that every lane of the eight-byte tests
 * meets every special byte), that cds__parse_json_limited accepts and rejects exactly what the
 * plain byte-at-a-time scan below (the scan before the fast paths) does, with the same message. */
#include "cds_internal.h"
#include "testkit.h"

#define MAX_DEPTH 8

static unsigned long long rng = 0x2545F4914F6CDD1DULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The reference: one byte at a time. Returns FHIR_OK or the error code; fills err. */
static int reference_scan(const unsigned char *b, size_t length, struct fhir_error *err)
{
	int depth = 0, in_string = 0, escaped = 0;

	for (size_t i = 0; i < length; i++) {
		unsigned char c = b[i];

		if (c >= 0x80) {
			size_t n = fhir_utf8_sequence(b + i, length - i);

			if (n == 0) {
				fhir_error_set(err, "",
				               "the request body is not valid UTF-8 (at byte %zu)",
				               i);
				return FHIR_ERR_SYNTAX;
			}
			i += n - 1;
			continue;
		}
		if (c == 0 || (in_string && c < 0x20)) {
			fhir_error_set(err, "",
			               "unescaped control character 0x%02x in the request body (at "
			               "byte %zu)",
			               (unsigned)c, i);
			return FHIR_ERR_SYNTAX;
		}
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if ((unsigned long)++depth > MAX_DEPTH) { /* as request.c casts it */
				fhir_error_set(err, "",
				               "JSON nesting deeper than %d levels (at byte %zu)",
				               MAX_DEPTH, i);
				return FHIR_ERR_LIMIT;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return FHIR_OK;
}

static size_t random_body(char *buf, size_t max)
{
	static const char *const pieces[] = {"{",
	                                     "}",
	                                     "[",
	                                     "]",
	                                     "\"",
	                                     "\\",
	                                     "\\\"",
	                                     ":",
	                                     ",",
	                                     " ",
	                                     "\n",
	                                     "\t",
	                                     "\x01",
	                                     "\x1f",
	                                     "a",
	                                     "0123456",
	                                     "\xc3\xa9",
	                                     "\xe2\x82\xac",
	                                     "\xff",
	                                     "\x80",
	                                     "\xf0\x9f\x98\x80",
	                                     "\xed\xa0\x80",
	                                     "{\"k\":\"v\"}",
	                                     "       ",
	                                     "abcdefghijklmnop",
	                                     "\"abcdefghijklmnopqrstuvwxyz\"",
	                                     "\x7f",
	                                     "~",
	                                     "\x00"};
	size_t n = 0, want = 1 + rnd((unsigned)max - 40);

	while (n < want) {
		size_t k = rnd(sizeof pieces / sizeof pieces[0]);
		size_t len = k == sizeof pieces / sizeof pieces[0] - 1 ? 1 : strlen(pieces[k]);

		memcpy(buf + n, pieces[k], len);
		n += len;
	}
	return n;
}

int main(void)
{
	int differ = 0, rejected = 0;

	for (int round = 0; round < 40000; round++) {
		char body[512];
		size_t n = random_body(body, sizeof body);
		struct fhir_error want = {{0}, {0}}, got = {{0}, {0}};
		cJSON *json = NULL;
		int bad;
		int want_rc = reference_scan((const unsigned char *)body, n, &want);
		int got_rc = cds__parse_json_limited(body, n, MAX_DEPTH, 1000, &json, &got);

		cJSON_Delete(json);
		/* the scan's verdict: the same error, or it passed (and cJSON decided) */
		if (want_rc != FHIR_OK) {
			rejected++;
			bad = got_rc != want_rc || strcmp(got.message, want.message) != 0;
		} else {
			bad = got_rc != FHIR_OK &&
			      (strstr(got.message, "UTF-8") != NULL ||
			       strstr(got.message, "unescaped control") != NULL ||
			       strstr(got.message, "nesting deeper") != NULL);
		}
		if (bad && differ++ == 0)
			fprintf(stderr, "round %d: reference %d '%s', scan %d '%s'\n", round,
			        want_rc, want.message, got_rc, got.message);
	}
	CHECK(differ == 0, "%d random bodies scanned differently from the reference", differ);
	CHECK(rejected > 1000, "the random bodies exercise the rejections: %d", rejected);
	return testkit_done();
}
