/* test_json_block.c — the one-allocation parser of request bodies (fhir/json_block.c, through
 * fhir_json_parse_limited with one_block set) builds exactly the tree cJSON builds:
 *  - for every decision-vector request and shipped example, and for texts with escapes,
 *    surrogate pairs, numbers at the edges (saturated valueint, exponents, -0, 63-digit runs),
 *    empty containers and duplicate member names: same types, valueint, valuedouble (bit for
 *    bit), strings, member names and order, and prev links (a list's head points at its tail);
 *  - it took the one-block path (the root is flagged cJSON_IsReference) where it should, and left
 *    to cJSON the texts it is not sure of (a byte-order mark, \u0000, a lone surrogate, odd
 *    whitespace, a 63-byte number run), which still parse as before;
 *  - invalid JSON gives the same error, at the same byte, as without it;
 *  - 40,000 deterministic mutants of two texts parse alike both ways (same result, same error);
 *  - cJSON_Delete(root) frees the block (the ASan build checks for leaks and bad frees);
 *  - the nodes are on 64-byte boundaries and a member name repeated in the text is one copy
 *    (json_block.c's layout: a member search reads one cache line per node);
 *  - an object marked FHIR_JSON_NO_RESOURCE_TYPE has no member of that name (every tree above),
 *    and every block-built object without one is marked, so that a FHIRPath member step types
 *    a resource as before (check_layout). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"
#include "testkit.h"

static struct fhir_json_limits block_limits = {
    .max_depth = 64, .max_items = 100000, .subject = "the request body", .one_block = 1};
static struct fhir_json_limits plain_limits = {
    .max_depth = 64, .max_items = 100000, .subject = "the request body"};

/* 1 when the trees a (one block) and b (cJSON) are the same in every field cJSON sets. */
static int same_tree(const cJSON *a, const cJSON *b, const char *where)
{
	const cJSON *ca, *cb, *pa = NULL;

	if ((a->type & 0xFF) != (b->type & 0xFF) || a->valueint != b->valueint ||
	    memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0 ||
	    (a->valuestring == NULL) != (b->valuestring == NULL) ||
	    (a->valuestring != NULL && strcmp(a->valuestring, b->valuestring) != 0) ||
	    (a->string == NULL) != (b->string == NULL) ||
	    (a->string != NULL && strcmp(a->string, b->string) != 0)) {
		fprintf(stderr, "  differs in %s at member %s\n", where,
		        a->string != NULL ? a->string : "(none)");
		return 0;
	}
	if ((a->type & FHIR_JSON_NO_RESOURCE_TYPE) &&
	    (!cJSON_IsObject(a) || cJSON_GetObjectItemCaseSensitive(b, "resourceType") != NULL)) {
		fprintf(stderr, "  %s: marked as having no resourceType, but it has one\n", where);
		return 0;
	}
	for (ca = a->child, cb = b->child; ca != NULL && cb != NULL; ca = ca->next, cb = cb->next) {
		if (ca != a->child && ca->prev != pa) {
			fprintf(stderr, "  a prev link is wrong in %s\n", where);
			return 0;
		}
		if (!same_tree(ca, cb, where))
			return 0;
		pa = ca;
	}
	if (ca != NULL || cb != NULL) {
		fprintf(stderr, "  child counts differ in %s\n", where);
		return 0;
	}
	if (a->child != NULL && (a->child->prev != pa || b->child->prev == NULL)) {
		fprintf(stderr, "  the head's prev is not the tail in %s\n", where);
		return 0;
	}
	return 1;
}

/* Parses text both ways and compares; `block` says whether the one-block path must be taken. */
static void compare(const char *text, size_t length, int block, const char *where)
{
	cJSON *a = NULL, *b = NULL;
	struct fhir_error ea = {{0}, {0}}, eb = {{0}, {0}};
	int ra = fhir_json_parse_limited(text, length, &block_limits, &a, &ea);
	int rb = fhir_json_parse_limited(text, length, &plain_limits, &b, &eb);

	CHECK(ra == rb, "%s: rc %d with one block, %d without", where, ra, rb);
	CHECK(strcmp(ea.message, eb.message) == 0 && strcmp(ea.where, eb.where) == 0,
	      "%s: error '%s' with one block, '%s' without", where, ea.message, eb.message);
	if (a != NULL && b != NULL) {
		CHECK(same_tree(a, b, where), "%s: the trees differ", where);
		CHECK(((a->type & cJSON_IsReference) != 0) == block, "%s: one-block path %s taken",
		      where, block ? "not" : "wrongly");
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* As compare, whichever path the parser takes. */
static void compare_quiet(const char *text, size_t length)
{
	cJSON *a = NULL, *b = NULL;
	struct fhir_error ea = {{0}, {0}}, eb = {{0}, {0}};
	int ra = fhir_json_parse_limited(text, length, &block_limits, &a, &ea);
	int rb = fhir_json_parse_limited(text, length, &plain_limits, &b, &eb);

	CHECK(ra == rb && strcmp(ea.message, eb.message) == 0,
	      "a mutant: rc %d '%s' with one block, %d '%s' without", ra, ea.message, rb,
	      eb.message);
	if (a != NULL && b != NULL)
		CHECK(same_tree(a, b, "a mutant"), "a mutant: the trees differ");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void compare_str(const char *text, int block)
{
	compare(text, strlen(text), block, text);
}

/* Every *.json file below dir (request bodies and fixtures); returns how many. */
static size_t compare_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		size_t len = strlen(e->d_name), length = 0;
		char *text;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
			text = testkit_read(path, &length);
			if (text != NULL && length > 0) {
				cJSON *b = cJSON_ParseWithLength(text, length);

				/* valid JSON takes the fast path unless it starts with a BOM */
				compare(text, length, b != NULL && (unsigned char)text[0] != 0xEF,
				        path);
				cJSON_Delete(b);
				n++;
			}
			free(text);
		} else if (strchr(e->d_name, '.') == NULL) {
			n += compare_dir(path);
		}
	}
	closedir(d);
	return n;
}

/* Deterministic mutations of a text (xorshift64): bytes replaced by JSON's special bytes,
 * control and high bytes, deleted or duplicated; each mutant parsed both ways must agree. */
static void compare_mutants(const char *text, size_t count)
{
	static const char bytes[] =
	    "{}[],:\"\\ \t\n0-1.eE+uabfnrt\x01\x7f\x80\xc3\xa9\xed\xa0\xf0\xff";
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t len = strlen(text);
	char *buf = malloc(len + 2);

	for (size_t k = 0; k < count && buf != NULL; k++) {
		size_t n = len, at;

		memcpy(buf, text, len + 1);
		for (int edits = 0; edits < 1 + (int)(k % 3); edits++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			at = (size_t)(x % n);
			switch ((x >> 32) % 3) {
			case 0:
				buf[at] = bytes[(x >> 40) % (sizeof(bytes) - 1)];
				break;
			case 1:
				memmove(buf + at, buf + at + 1, n - at);
				n--;
				break;
			default:
				if (n + 1 < len + 2) {
					memmove(buf + at + 1, buf + at, n - at + 1);
					n++;
				}
			}
			if (n == 0)
				break;
		}
		compare_quiet(buf, n);
	}
	free(buf);
}

/* Compares text (n bytes) in a heap copy of exactly n bytes, so that a read past its end is
 * seen by the sanitizers; `block`: whether the one-block path must be taken (-1: either). */
static void compare_exact(const char *text, int n, int block)
{
	char *copy = malloc((size_t)n);

	if (copy == NULL)
		return;
	memcpy(copy, text, (size_t)n);
	if (block < 0)
		compare_quiet(copy, (size_t)n);
	else
		compare(copy, (size_t)n, block, text);
	free(copy);
}

/* A byte that stops a string's plain run (an escape, a quote, UTF-8, a control character),
 * and runs of indentation, at every offset around the 8- and 16-byte chunks the reader tests
 * and copies at once, with the text ending at every distance after them. */
static void compare_chunk_edges(void)
{
	static const struct {
		const char *text;
		int valid;
	} stops[] = {
	    {"\\n", 1},  {"\\\"", 1}, {"\\u00e9", 1},  {"\xc3\xa9", 1},    {"\xf0\x9f\x98\x80", 1},
	    {"\x7f", 1}, {"\x01", 0}, {"\xc3\x28", 0}, {"\xed\xa0\x80", 0}};
	char text[256];

	for (size_t s = 0; s < sizeof(stops) / sizeof(stops[0]); s++)
		for (int before = 0; before <= 40; before++)
			for (int after = 0; after <= 20; after += 4) {
				int n = snprintf(
				    text, sizeof(text), "{\"k%.*s\":\"%.*s%s%.*s\"}", before,
				    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu", before,
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTU",
				    stops[s].text, after, "0123456789012345678901234");

				compare_exact(text, n, stops[s].valid ? 1 : 0);
				compare_exact(text, n - 1, 0); /* cut before its last bracket */
			}
	for (int indent = 0; indent <= 40; indent++) {
		int n = snprintf(
		    text, sizeof(text), "{\n%*s\"a\" :%*s[\r\n%*s1,\t%*s\"x\"\n%*s]\n}%*s", indent,
		    "", indent % 7, "", indent, "", indent % 3, "", indent, "", indent, "");

		compare_exact(text, n, 1);
		compare_exact(text, n - indent - 1, 0); /* cut inside the last bracket's line */
	}
}

/* The one-block tree's layout: nodes on cache-line boundaries, repeated member names shared
 * (and their text unchanged), a long name kept apart. */
static void check_layout(void)
{
	static const char text[] = "[{\"code\":\"a\",\"system\":\"s\"},{\"system\":\"t\","
	                           "\"code\":\"b\"},{\"code\":{\"code\":\"c\"}}]";
	struct fhir_error err;
	cJSON *root = NULL;
	const cJSON *a, *b, *c;

	CHECK(fhir_json_parse_limited(text, strlen(text), &block_limits, &root, &err) == FHIR_OK,
	      "layout text: %s", err.message);
	if (root == NULL)
		return;
	CHECK((root->type & cJSON_IsReference) != 0, "layout text: not parsed in one block");
	CHECK((uintptr_t)root % 64 == 0, "the block's nodes are not on 64-byte boundaries");
	a = cJSON_GetArrayItem(root, 0);
	b = cJSON_GetArrayItem(root, 1);
	c = cJSON_GetArrayItem(root, 2);
	CHECK(a->child->string == b->child->next->string && a->child->string == c->child->string &&
	          a->child->string == c->child->child->string,
	      "the member name \"code\" is not one copy");
	CHECK(a->child->next->string == b->child->string, "\"system\" is not one copy");
	CHECK(strcmp(a->child->string, "code") == 0 && strcmp(b->child->string, "system") == 0 &&
	          strcmp(cJSON_GetObjectItemCaseSensitive(b, "code")->valuestring, "b") == 0,
	      "a shared name or a value after it reads wrong");
	cJSON_Delete(root);
}

/* Every object the block parser built is marked FHIR_JSON_NO_RESOURCE_TYPE exactly when it has
 * no member named resourceType (wherever that member stands, whatever its value), and FHIRPath
 * still types a resource found below an element by its resourceType. */
static void check_resource_mark(void)
{
	static const char text[] =
	    "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"id\":\"x\",\"code\":{"
	    "\"text\":"
	    "\"t\"},\"resourceType\":\"Condition\"}},{\"resource\":{\"resourceType\":1}},"
	    "{\"resource\":{\"resourceTyp\":\"Condition\",\"resourceTypes\":\"Condition\"}},{}]}";
	struct fhir_error err;
	cJSON *root = NULL;
	const cJSON *e;
	int i = 0;

	CHECK(fhir_json_parse_limited(text, strlen(text), &block_limits, &root, &err) == FHIR_OK,
	      "mark text: %s", err.message);
	if (root == NULL)
		return;
	CHECK((root->type & cJSON_IsReference) != 0, "mark text: not parsed in one block");
	CHECK(!(root->type & FHIR_JSON_NO_RESOURCE_TYPE), "the Bundle is marked as no resource");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "entry"))
	{
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "resource");
		int has = r != NULL && cJSON_GetObjectItemCaseSensitive(r, "resourceType") != NULL;

		CHECK((e->type & FHIR_JSON_NO_RESOURCE_TYPE) != 0, "entry %d is not marked", i);
		if (r != NULL)
			CHECK(((r->type & FHIR_JSON_NO_RESOURCE_TYPE) == 0) == has,
			      "entry %d's resource is marked %s", i,
			      has ? "wrongly" : "not at all");
		i++;
	}
	CHECK(cJSON_IsObject(root) &&
	          cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "entry")),
	      "a marked tree reads as objects and arrays");
	{ /* the items' types as on cJSON's own tree, where nothing is marked */
		struct fhir_path *p = NULL;
		struct fhir_collection in = {0}, out = {0}, in2 = {0}, out2 = {0};
		struct fhir_arena *arena = fhir_arena_new();
		struct fhir_path_env env;
		cJSON *plain = NULL;

		memset(&env, 0, sizeof(env));
		env.arena = arena;

		CHECK(fhir_json_parse_limited(text, strlen(text), &plain_limits, &plain, &err) ==
		          FHIR_OK,
		      "mark text (cJSON): %s", err.message);
		CHECK(fhir_path_compile("entry.resource", &p, &err) == FHIR_OK, "%s", err.message);
		fhir_collection_push_node(&in, arena, root);
		fhir_collection_push_node(&in2, arena, plain);
		if (p != NULL && plain != NULL &&
		    fhir_path_eval(p, &in, &env, &out, &err) == FHIR_OK &&
		    fhir_path_eval(p, &in2, &env, &out2, &err) == FHIR_OK) {
			CHECK(out.count == 3 && out2.count == 3,
			      "entry.resource: %zu and %zu items", out.count, out2.count);
			for (size_t k = 0; k < out.count && k < out2.count; k++)
				CHECK((out.items[k].type == NULL) == (out2.items[k].type == NULL) &&
				          (out.items[k].type == NULL ||
				           strcmp(out.items[k].type, out2.items[k].type) == 0),
				      "entry.resource item %zu typed %s, not %s", k,
				      out.items[k].type != NULL ? out.items[k].type : "(none)",
				      out2.items[k].type != NULL ? out2.items[k].type : "(none)");
			CHECK(out.items[0].type != NULL &&
			          strcmp(out.items[0].type, "Condition") == 0,
			      "the Condition below an entry is not typed Condition");
		} else {
			CHECK(0, "entry.resource did not evaluate: %s", err.message);
		}
		fhir_path_free(p);
		cJSON_Delete(plain);
		fhir_arena_free(arena);
	}
	cJSON_Delete(root);
}

int main(void)
{
	const char *src = getenv("CDS_SOURCE_DIR"), *shared = getenv("CDS_SHARED_DIR");
	char dir[4096];
	size_t files;

	check_resource_mark();
	/* what requests hold */
	compare_str("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"},\"f\":[],\"g\":{}}", 1);
	compare_str(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : \"x\" } \n", 1);
	compare_str("{\"a\":1,\"a\":2}", 1); /* duplicate names kept, in order */
	compare_str("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 1);
	compare_str("[\"caf\\u00e9 \\u20ac \\uD83D\\uDE00 \\u0041\\u00DF\"]", 1);
	compare_str("[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", 1);
	compare_str("[0,-0,1.5,-2.25e3,1E-7,2147483647,2147483648,-2147483648,-2147483649,"
	            "1e308,4e-320,123456789012345678901234567890,0.1,7.0000000000000001]",
	            1);
	compare_str("\"just a string\"", 1);
	compare_str("42", 1);
	compare_str("[01, 1.2.3e]", 0); /* cJSON reads the odd number; so does the fallback */
	/* left to cJSON: still parsed as before */
	compare_str("\xef\xbb\xbf{\"bom\":1}", 0);
	compare_str("[\"nul \\u0000 inside\"]", 0);
	compare_str("[\"lone \\uDC00\"]", 0);
	compare_str("[\"bad \\uZZZZ hex\"]", 0);
	compare_str("{\"a\":\x0b 1}", 0);
	compare_str("[1234567890123456789012345678901234567890123456789012345678901234567]", 0);
	/* invalid: the same error as cJSON's */
	compare_str("{\"a\":}", 0);
	compare_str("{\"a\" 1}", 0);
	compare_str("[1,]", 0);
	compare_str("[1 2]", 0);
	compare_str("{\"a\":1", 0);
	compare_str("[\"unterminated]", 0);
	compare_str("[\"bad escape \\q\"]", 0);
	compare_str("[tru]", 0);
	compare_str("{\"a\":1} x", 0);
	compare_str("-", 0);
	compare_str("{\"a\":1}\xff", 0);            /* invalid UTF-8 after the value */
	compare_str("[\"bad \xc3\x28 utf-8\"]", 0); /* and inside a string */
	compare_str("[\"overlong \xc0\xaf\"]", 0);
	compare_str("[\"raw \x01 control\"]", 0);
	compare_str("[\"raw \x7f delete\"]", 1); /* DEL is plain JSON */
	compare_str("[\"tab\there\"]", 0);
	{ /* the limits the scan checks: depth and string length, each just over and at */
		char deep[200];

		memset(deep, '[', 65);
		memset(deep + 65, ']', 65);
		deep[130] = '\0';
		compare_str(deep, 0); /* 65 deep, limit 64 */
		memset(deep, '[', 64);
		memset(deep + 64, ']', 64);
		deep[128] = '\0';
		compare_str(deep, 1);
		block_limits.max_string_bytes = plain_limits.max_string_bytes = 5;
		compare_str("[\"12345\",\"a\\u00e9\"]", 0); /* 7 bytes as written: over */
		compare_str("[\"12345\",\"a\\n\"]", 1);
		compare_str("[\"123456\"]", 0);
		compare_str("{\"123456\":1}", 0);
		block_limits.max_string_bytes = plain_limits.max_string_bytes = 0;
	}

	compare_mutants("{\"a\":[1,-2.5e3,true,false,null,{}],\"b\":\"x\\u00e9\\n\\ud83d\\ude00y\","
	                "\"c\":{\"d\":[\"caf\xc3\xa9\",[],[[0]]]}}",
	                20000);
	compare_mutants("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", 12345678901234567890, 0.000001, -0]",
	                20000);

	compare_chunk_edges();

	files = 0;
	if (src != NULL) {
		snprintf(dir, sizeof(dir), "%s/tests/vectors", src);
		files += compare_dir(dir);
		snprintf(dir, sizeof(dir), "%s/tests/fixtures", src);
		files += compare_dir(dir);
	}
	if (shared != NULL) {
		snprintf(dir, sizeof(dir), "%s/examples", shared);
		files += compare_dir(dir);
	}
	CHECK(files >= 100, "only %zu JSON files compared (CDS_SOURCE_DIR, CDS_SHARED_DIR)", files);
	check_layout();
	printf("%zu JSON files compared\n", files);
	return testkit_done();
}
