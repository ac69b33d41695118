/* test_fhirpath_suite.c — runs the HL7 FHIRPath R4 test suite (the JSON conversion in
 * $CDS_SHARED_DIR/fhirpath-tests) against fhir/fhirpath_*.c and prints the pass rate per group.
 * It guards against regressions: it exits non-zero only when the pass count falls below
 * SUITE_MIN_PASS (raise it as the evaluator grows). Disabled tests are skipped.
 * With -v it prints every failing test with got/expected. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fhir.h"
#include "fhirpath_internal.h"

#define SUITE_MIN_PASS 810 /* the count reached when this file was last updated */
#define MAX_GROUPS     200
#define MAX_FILES      32

struct group {
	const char *name;
	int pass, total;
};

static struct group groups[MAX_GROUPS];
static size_t group_count;

static struct {
	char name[128];
	cJSON *doc;
} files[MAX_FILES];
static size_t file_count;
static const char *shared_dir;

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL)
		abort();
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

static cJSON *input_file(const char *name)
{
	char path[512];
	char *text;

	for (size_t i = 0; i < file_count; i++)
		if (strcmp(files[i].name, name) == 0)
			return files[i].doc;
	if (file_count == MAX_FILES)
		return NULL;
	snprintf(path, sizeof(path), "%s/fhirpath-tests/resources/%s", shared_dir, name);
	text = read_file(path);
	snprintf(files[file_count].name, sizeof(files[file_count].name), "%s", name);
	files[file_count].doc = text ? cJSON_Parse(text) : NULL;
	free(text);
	return files[file_count++].doc;
}

static struct group *group_of(const char *name)
{
	for (size_t i = 0; i < group_count; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	if (group_count == MAX_GROUPS)
		return &groups[MAX_GROUPS - 1];
	groups[group_count].name = name;
	return &groups[group_count++];
}

/* Whether item v matches the suite's expected JSON value. */
static int item_matches(struct fhir_arena *arena, const struct fhir_value *v, const cJSON *want)
{
	struct fhir_value p;
	char buf[80];

	if (!fhir__fp_prim(v, &p))
		return 0;
	switch (p.kind) {
	case FHIR_VALUE_BOOLEAN:
		return cJSON_IsBool(want) && cJSON_IsTrue(want) == p.u.boolean;
	case FHIR_VALUE_INTEGER:
		return cJSON_IsNumber(want) && want->valuedouble == (double)p.u.integer;
	case FHIR_VALUE_DECIMAL:
		return cJSON_IsNumber(want) && fabs(want->valuedouble - p.u.decimal) < 1e-9;
	case FHIR_VALUE_STRING:
		return cJSON_IsString(want) && strcmp(want->valuestring, p.u.string) == 0;
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
	case FHIR_VALUE_TIME:
		fhir_datetime_format(&p.u.datetime, buf, sizeof(buf));
		if (!cJSON_IsString(want))
			return 0;
		return strcmp(want->valuestring, buf) == 0 ||
		       (want->valuestring[0] == '@' && strcmp(want->valuestring + 1, buf) == 0) ||
		       (want->valuestring[0] == 'T' && strcmp(want->valuestring + 1, buf) == 0);
	case FHIR_VALUE_QUANTITY: {
		const char *s = fhir__fp_to_string(arena, &p);

		return cJSON_IsString(want) && s != NULL && strcmp(want->valuestring, s) == 0;
	}
	default:
		return 0;
	}
}

static void describe(struct fhir_arena *arena, const struct fhir_collection *c, char *buf,
                     size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->count && n + 1 < size; i++) {
		const char *s = fhir__fp_to_string(arena, &c->items[i]);
		int w = snprintf(buf + n, size - n, "%s%s", i ? ", " : "", s ? s : "{element}");

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

int main(int argc, char **argv)
{
	char path[512];
	char *text;
	cJSON *suite, *tests, *t;
	int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
	int pass = 0, total = 0, skipped = 0;

	shared_dir = getenv("CDS_SHARED_DIR");
	if (shared_dir == NULL)
		shared_dir = "../shared";
	snprintf(path, sizeof(path), "%s/fhirpath-tests/tests-fhir-r4.json", shared_dir);
	text = read_file(path);
	if (text == NULL) {
		printf("cannot read %s (set CDS_SHARED_DIR)\n", path);
		return 1;
	}
	suite = cJSON_Parse(text);
	free(text);
	tests = cJSON_GetObjectItemCaseSensitive(suite, "tests");
	cJSON_ArrayForEach(t, tests)
	{
		const cJSON *expr = cJSON_GetObjectItemCaseSensitive(t, "expression");
		const cJSON *inputfile = cJSON_GetObjectItemCaseSensitive(t, "inputfile");
		const cJSON *group = cJSON_GetObjectItemCaseSensitive(t, "group");
		const cJSON *result = cJSON_GetObjectItemCaseSensitive(t, "result");
		int want_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "error"));
		struct group *g;
		struct fhir_arena *arena;
		struct fhir_path *fp = NULL;
		struct fhir_error err;
		struct fhir_path_env env;
		struct fhir_collection input = {NULL, 0, 0}, out = {NULL, 0, 0};
		int rc, ok;

		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "disable"))) {
			skipped++;
			continue;
		}
		if (!cJSON_IsString(expr) || !cJSON_IsString(group))
			continue;
		g = group_of(group->valuestring);
		arena = fhir_arena_new();
		memset(&env, 0, sizeof(env));
		memset(&err, 0, sizeof(err));
		env.arena = arena;
		if (cJSON_IsString(inputfile)) {
			cJSON *doc = input_file(inputfile->valuestring);

			if (doc != NULL)
				fhir_collection_push_node(&input, arena, doc);
		}
		rc = fhir_path_compile(expr->valuestring, &fp, &err);
		if (rc == 0)
			rc = fhir_path_eval(fp, &input, &env, &out, &err);
		if (want_error) {
			ok = rc != 0;
		} else if (rc != 0) {
			ok = 0;
		} else {
			ok = (size_t)cJSON_GetArraySize(result) == out.count;
			for (size_t i = 0; ok && i < out.count; i++)
				ok = item_matches(arena, &out.items[i],
				                  cJSON_GetArrayItem(result, (int)i));
		}
		if (!ok && verbose) {
			char got[600];
			char *want = cJSON_PrintUnformatted(result);

			if (rc != 0)
				snprintf(got, sizeof(got), "error: %s", err.message);
			else
				describe(arena, &out, got, sizeof(got));
			printf("FAIL [%s] %s\n   got:      %s\n   expected: %s\n", g->name,
			       expr->valuestring, got,
			       want_error ? "an error"
			       : want     ? want
			                  : "?");
			free(want);
		}
		g->total++;
		g->pass += ok;
		total++;
		pass += ok;
		fhir_path_free(fp);
		fhir_arena_free(arena);
	}
	for (size_t i = 0; i < group_count; i++)
		printf("%-45s %3d/%3d\n", groups[i].name, groups[i].pass, groups[i].total);
	printf("FHIRPath R4 suite: %d of %d pass (%d disabled, skipped); threshold %d\n", pass,
	       total, skipped, SUITE_MIN_PASS);
	printf("%d passed, %d failed\n", pass, total - pass);
	for (size_t i = 0; i < file_count; i++)
		cJSON_Delete(files[i].doc);
	cJSON_Delete(suite);
	return pass >= SUITE_MIN_PASS ? 0 : 1;
}
