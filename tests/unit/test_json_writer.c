/* test_json_writer.c — the streaming JSON writer (fhir/json_writer.c): escaping of every control
 * character, quotes and backslashes; valid UTF-8 kept and invalid bytes replaced by U+FFFD;
 * numbers as cJSON writes them; commas and nesting; the CDS Hooks 2.0 prune mode against
 * cds__prune (the tree version it replaces); the text of every shipped example request byte for
 * byte as cJSON_PrintUnformatted writes it; and random strings and trees round-tripped through
 * cJSON_Parse. */
#include <dirent.h>
#include <math.h>

#include "cds_internal.h"
#include "testkit.h"

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The writer's text for one string value. NEW. */
static char *string_json(const char *s, size_t n)
{
	struct fhir_json_writer w;

	fhir_json_init(&w, 0);
	fhir_json_string_n(&w, NULL, s, n);
	return fhir_json_finish(&w, NULL);
}

static void expect_string(const char *in, size_t n, const char *want, const char *what)
{
	char *got = string_json(in, n);

	CHECK(strcmp(got, want) == 0, "%s: got %s want %s", what, got, want);
	free(got);
}

static void test_escaping(void)
{
	char all[32], want[256];
	size_t len = 0;

	expect_string("plain", 5, "\"plain\"", "plain");
	expect_string("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"", "quote, backslash; '/' as is");
	expect_string("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"", "short escapes");
	expect_string("\x7f", 1, "\"\x7f\"", "DEL as is");
	expect_string("", 0, "\"\"", "empty");
	expect_string("a\0b", 3, "\"a\\u0000b\"", "NUL inside a counted string");
	for (int c = 1; c < 32; c++)
		all[c - 1] = (char)c;
	want[len++] = '"';
	for (int c = 1; c < 32; c++) {
		const char *s = c == '\b'   ? "\\b"
		                : c == '\f' ? "\\f"
		                : c == '\n' ? "\\n"
		                : c == '\r' ? "\\r"
		                : c == '\t' ? "\\t"
		                            : NULL;
		char buf[8];

		if (s == NULL) {
			snprintf(buf, sizeof buf, "\\u%04x", (unsigned)c);
			s = buf;
		}
		memcpy(want + len, s, strlen(s));
		len += strlen(s);
	}
	want[len++] = '"';
	want[len] = '\0';
	expect_string(all, 31, want, "every control character");
	/* valid UTF-8 passes; each byte that is not UTF-8 becomes U+FFFD */
	expect_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	              "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "2-, 3-, 4-byte UTF-8");
	expect_string("\xe2\x80\xa8", 3, "\"\xe2\x80\xa8\"", "U+2028 as is (valid JSON)");
	expect_string("a\xff", 2, "\"a\xef\xbf\xbd\"", "0xFF");
	expect_string("\x80", 1, "\"\xef\xbf\xbd\"", "lone continuation byte");
	expect_string("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"", "overlong '/'");
	expect_string("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	              "surrogate U+D800");
	expect_string("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	              "above U+10FFFF");
	expect_string("x\xe2\x82", 3, "\"x\xef\xbf\xbd\xef\xbf\xbd\"", "truncated at the end");
	expect_string("\xe2\x82x", 3, "\"\xef\xbf\xbd\xef\xbf\xbdx\"", "truncated before ASCII");
}

static void expect_text(struct fhir_json_writer *w, const char *want, const char *what)
{
	size_t n = 0;
	char *got = fhir_json_finish(w, &n);

	CHECK(strcmp(got, want) == 0 && n == strlen(want), "%s: got %s want %s", what, got, want);
	free(got);
}

static void test_structure(void)
{
	struct fhir_json_writer w;

	fhir_json_init(&w, 0);
	fhir_json_object(&w, NULL);
	fhir_json_array(&w, "a");
	fhir_json_number(&w, NULL, 1);
	fhir_json_number(&w, "ignored in arrays", 2.5);
	fhir_json_object(&w, NULL);
	fhir_json_bool(&w, "b", 1);
	fhir_json_bool(&w, "f", 0);
	fhir_json_end(&w);
	fhir_json_array(&w, NULL);
	fhir_json_end(&w);
	fhir_json_end(&w);
	fhir_json_null(&w, "c");
	fhir_json_string(&w, "d", "");
	fhir_json_string(&w, "never", NULL);
	fhir_json_number(&w, "nan", NAN);
	fhir_json_string(&w, "k\"ey", "v");
	fhir_json_end(&w);
	expect_text(&w,
	            "{\"a\":[1,2.5,{\"b\":true,\"f\":false},[]],\"c\":null,\"d\":\"\","
	            "\"nan\":null,\"k\\\"ey\":\"v\"}",
	            "nesting and commas");
	expect_text(&w, "", "nothing written");

	/* prune: empty strings, nulls, NaN and containers that end empty vanish with their key and
	 * comma; a kept container stays */
	fhir_json_init(&w, 1);
	fhir_json_object(&w, NULL);
	fhir_json_string(&w, "s", "x");
	fhir_json_array(&w, "cards");
	fhir_json_keep(&w);
	fhir_json_end(&w);
	fhir_json_array(&w, "gone");
	fhir_json_object(&w, NULL);
	fhir_json_string(&w, "e", "");
	fhir_json_null(&w, "n");
	fhir_json_number(&w, "i", INFINITY);
	fhir_json_object(&w, "o");
	fhir_json_end(&w);
	fhir_json_end(&w);
	fhir_json_end(&w);
	fhir_json_array(&w, "kept");
	fhir_json_array(&w, NULL);
	fhir_json_end(&w);
	fhir_json_number(&w, NULL, 0);
	fhir_json_end(&w);
	fhir_json_end(&w);
	expect_text(&w, "{\"s\":\"x\",\"cards\":[],\"kept\":[0]}", "prune");
}

static void test_numbers(void)
{
	static const double values[] = {0,
	                                -0.0,
	                                1,
	                                -1,
	                                2147483647,
	                                2147483648.0,
	                                -2147483648.0,
	                                0.1,
	                                1e300,
	                                -1.5e-300,
	                                3.141592653589793,
	                                1.0 / 3,
	                                123456789012345678.0};

	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct fhir_json_writer w;
		cJSON *n = cJSON_CreateNumber(values[i]);
		char *want = cJSON_PrintUnformatted(n);

		fhir_json_init(&w, 0);
		fhir_json_number(&w, NULL, values[i]);
		expect_text(&w, want, "number as cJSON prints it");
		free(want);
		cJSON_Delete(n);
	}
}

/* The writer's text for a cJSON tree; prune as given. NEW. */
static char *tree_json(const cJSON *tree, int prune)
{
	struct fhir_json_writer w;

	fhir_json_init(&w, prune);
	fhir_json_value(&w, NULL, tree);
	return fhir_json_finish(&w, NULL);
}

/* Every shipped example request, written from its parsed tree, is the text cJSON writes. */
static void test_examples(void)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char dir[4096];
	DIR *d;
	struct dirent *e;
	int files = 0;

	snprintf(dir, sizeof dir, "%s/examples", shared != NULL ? shared : "../shared");
	d = opendir(dir);
	CHECK(d != NULL, "examples folder %s", dir);
	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[8192];
		size_t n = strlen(e->d_name);
		char *body, *want, *got;
		cJSON *tree;

		if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		body = testkit_read(path, NULL);
		tree = body != NULL ? cJSON_Parse(body) : NULL;
		if (tree == NULL) {
			free(body);
			continue;
		}
		want = cJSON_PrintUnformatted(tree);
		got = tree_json(tree, 0);
		CHECK(strcmp(want, got) == 0, "%s: the writer's text differs from cJSON's",
		      e->d_name);
		files++;
		free(want);
		free(got);
		cJSON_Delete(tree);
		free(body);
	}
	if (d != NULL)
		closedir(d);
	CHECK(files >= 5, "examples written: %d", files);
}

/* Random bytes, biased towards the interesting ones. */
static size_t random_bytes(char *buf, size_t max)
{
	static const char *const pieces[] = {"\"",
	                                     "\\",
	                                     "\n",
	                                     "\x01",
	                                     "\x1f",
	                                     "\xc3\xa9",
	                                     "\xe2\x82\xac",
	                                     "\xf0\x9f\x98\x80",
	                                     "\xff",
	                                     "\x80",
	                                     "\xed\xa0\x80",
	                                     "\xc0",
	                                     "\xe2\x82",
	                                     "a",
	                                     "Z",
	                                     "~"};
	size_t n = 0, len = rnd((unsigned)max / 4);

	while (n < len) {
		if (rnd(3) == 0) {
			buf[n++] = (char)(1 + rnd(255)); /* any byte but NUL */
		} else {
			const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];

			memcpy(buf + n, p, strlen(p));
			n += strlen(p);
		}
	}
	buf[n] = '\0';
	return n;
}

static int valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = fhir_utf8_sequence((const unsigned char *)s + i, n - i);

		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

static void test_random_strings(void)
{
	int bad = 0, changed_valid = 0;

	for (int round = 0; round < 20000; round++) {
		char in[256];
		size_t n = random_bytes(in, 200);
		char *text = string_json(in, n);
		cJSON *back = cJSON_Parse(text);

		if (!cJSON_IsString(back) ||
		    !valid_utf8(back->valuestring, strlen(back->valuestring)))
			bad++;
		else if (valid_utf8(in, n) && strcmp(back->valuestring, in) != 0)
			changed_valid++;
		cJSON_Delete(back);
		free(text);
	}
	CHECK(bad == 0, "%d random strings did not read back as valid UTF-8 JSON strings", bad);
	CHECK(changed_valid == 0, "%d valid UTF-8 strings did not read back unchanged",
	      changed_valid);
}

/* fhir_json_plain_run against the byte rule, at every offset and length of random bytes (the
 * SWAR lanes, the tail read short, the first stop a borrow could hide). */
static void test_plain_run(void)
{
	int differ = 0;

	for (int round = 0; round < 3000; round++) {
		unsigned char in[256];
		size_t n = random_bytes((char *)in, 40);

		for (size_t off = 0; off < n; off++)
			for (size_t len = 0; off + len <= n; len++) {
				size_t want = 0;

				while (want < len && in[off + want] >= 0x20 &&
				       in[off + want] < 0x80 && in[off + want] != '"' &&
				       in[off + want] != '\\')
					want++;
				differ += fhir_json_plain_run(in + off, len) != want;
			}
	}
	CHECK(differ == 0, "%d plain runs differ from the byte rule", differ);
}

/* Plain text with one byte that stops the plain run (or none) at every offset, in strings of
 * every length up to 48 held in heap blocks of exactly that length (so that the sanitizers see
 * a read past the end): fhir_json_plain_run against the byte rule, and the writer's text (as a
 * value and as a member name) against cJSON's for ASCII, across the 4-, 8- and 16-byte tests. */
static void test_plain_edges(void)
{
	static const char stops[] = {'"', '\\', '\n', '\x01', '\x1f', (char)0xc3, (char)0x80, 0x7f};
	int differ = 0, texts = 0;

	for (size_t len = 0; len <= 48; len++)
		for (size_t stop = 0; stop <= len; stop++)
			for (size_t k = 0; k < sizeof stops; k++) {
				char *in = malloc(len + 1);
				char key[64];
				cJSON *obj;
				char *want, *got;
				size_t expect;
				struct fhir_json_writer w;

				if (in == NULL)
					return;
				for (size_t i = 0; i < len; i++)
					in[i] = (char)('a' + (i % 26));
				if (stop < len)
					in[stop] = stops[k];
				expect = stop < len && stops[k] != 0x7f ? stop : len;
				differ +=
				    fhir_json_plain_run((const unsigned char *)in, len) != expect;
				in[len] = '\0'; /* a NUL-terminated copy for cJSON, then the exact
				                   block */
				obj = cJSON_CreateObject();
				cJSON_AddStringToObject(obj, in, in);
				want = cJSON_PrintUnformatted(obj);
				fhir_json_init(&w, 0);
				fhir_json_object(&w, NULL);
				snprintf(key, sizeof key, "%s", in);
				in = realloc(in, len > 0 ? len : 1);
				fhir_json_string_n(&w, key, in, len);
				fhir_json_end(&w);
				got = fhir_json_finish(&w, NULL);
				/* cJSON copies a byte that is not UTF-8; the writer writes U+FFFD
				 */
				texts += (unsigned char)stops[k] < 0x80 && strcmp(want, got) != 0;
				free(want);
				free(got);
				free(in);
				cJSON_Delete(obj);
			}
	CHECK(differ == 0, "%d plain runs differ from the byte rule at the chunk edges", differ);
	CHECK(texts == 0, "%d strings written unlike cJSON at the chunk edges", texts);
}

/* A random tree with every kind of value, empty ones included. NEW. */
static cJSON *random_tree(int depth)
{
	unsigned kind = rnd(depth > 4 ? 6 : 8);
	char s[64];
	cJSON *node;

	switch (kind) {
	case 0:
		return cJSON_CreateNull();
	case 1:
		return cJSON_CreateBool(rnd(2) == 1);
	case 2: {
		static const double special[] = {0, 1, -1, 0.5, 1e-7, 2147483648.0, 6.02e23};
		double d = rnd(2) ? special[rnd(7)] : ((double)rnd(2000000) - 1e6) / 997.0;

		return cJSON_CreateNumber(d);
	}
	case 3:
		return cJSON_CreateString("");
	case 4:
	case 5: {
		size_t n = random_bytes(s, 40);

		if (!valid_utf8(s, n))
			snprintf(s, sizeof s, "v%u\"\\\n", rnd(100));
		return cJSON_CreateString(s);
	}
	default:
		node = kind == 6 ? cJSON_CreateArray() : cJSON_CreateObject();
		for (unsigned i = 0, n = rnd(5); i < n; i++) {
			snprintf(s, sizeof s, "k%u%s", i, rnd(4) == 0 ? "\"\t" : "");
			if (kind == 6)
				cJSON_AddItemToArray(node, random_tree(depth + 1));
			else
				cJSON_AddItemToObject(node, s, random_tree(depth + 1));
		}
		return node;
	}
}

static void test_random_trees(void)
{
	int differ = 0, prune_differ = 0;

	for (int round = 0; round < 3000; round++) {
		cJSON *tree = cJSON_CreateArray(); /* a root, as cds__prune keeps its root */
		char *text, *pruned;
		char *want;
		cJSON *back;

		cJSON_AddItemToArray(tree, random_tree(0));
		text = tree_json(tree, 0);
		back = cJSON_Parse(text);

		if (back == NULL || !cJSON_Compare(tree, back, 1))
			differ++;
		/* prune mode = cds__prune then cJSON's text */
		pruned = tree_json(tree, 1);
		cds__prune(tree, 0);
		want = cJSON_PrintUnformatted(tree);
		if (strcmp(pruned, want) != 0 && prune_differ++ == 0)
			fprintf(stderr, "prune: got %s want %s\n", pruned, want);
		free(want);
		free(pruned);
		cJSON_Delete(back);
		free(text);
		cJSON_Delete(tree);
	}
	CHECK(differ == 0, "%d random trees did not read back equal", differ);
	CHECK(prune_differ == 0, "%d random trees pruned differently from cds__prune",
	      prune_differ);
}

int main(void)
{
	test_escaping();
	test_structure();
	test_numbers();
	test_examples();
	test_random_strings();
	test_plain_run();
	test_plain_edges();
	test_random_trees();
	return testkit_done();
}
