/* fhirpath_cli.c — `cds-commissioning fhirpath [--resource FILE] [--var NAME=FILE]... EXPRESSION`:
 * evaluates one FHIRPath expression (the evaluator policies use, fhir/fhir.h) against a resource
 * and prints the result collection as one JSON array, so policy authors can try expressions.
 * It reads files and prints; it must not change how expressions evaluate. resolve() finds
 * resources in the input and the variables (Bundle entries included); memberOf() is not
 * available here (no ValueSets are loaded). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

enum { EXIT_EVAL = 1, EXIT_USAGE = 2 };

#define MAX_VARS 64 /* --var options */

static const char usage_fhirpath[] =
    "Usage: cds-commissioning fhirpath [--resource FILE|-] [--var NAME=FILE]... [--now ISO-8601]\n"
    "                                  EXPRESSION\n"
    "\n"
    "Evaluates a FHIRPath expression (HL7 FHIRPath N1 with the FHIR R4 additions, as policies\n"
    "use it) with the JSON resource in FILE as its input (%resource, %context), and prints the\n"
    "result as a JSON array: booleans, numbers and strings as JSON; dates, times and date-times\n"
    "as their FHIRPath literal text without '@'; quantities as \"<value> '<unit>'\"; elements\n"
    "as their JSON. --var NAME=FILE makes %NAME the JSON in FILE (an array: its items).\n"
    "--now fixes now()/today(). resolve() looks in the input and the variables (and in their\n"
    "Bundle entries); memberOf() is not available.\n"
    "A syntax or evaluation error goes to stderr with its position; the exit status is then 1\n"
    "(2 for a usage error).\n";

struct cli_state {
	struct fhir_arena *arena;
	cJSON *docs[MAX_VARS + 1];
	size_t doc_count;
	struct fhir_collection resources; /* everything resolve() may return */
};

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
	va_list ap;

	fputs("cds-commissioning fhirpath: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see cds-commissioning fhirpath --help)\n", stderr);
	return EXIT_USAGE;
}

/* Reads and parses a JSON file ("-" is stdin). NEW: the document (kept in st->docs). */
static cJSON *load_json(struct cli_state *st, const char *path)
{
	struct fhir_error err;
	char *text = NULL;
	size_t length = 0;
	cJSON *doc;

	memset(&err, 0, sizeof(err));
	if (strcmp(path, "-") == 0)
		path = "/dev/stdin";
	if (cds__read_file(path, CDS__MAX_CONFIG_FILE_BYTES, &text, &length, &err) != FHIR_OK) {
		fprintf(stderr, "cds-commissioning fhirpath: %s: %s\n", err.where, err.message);
		return NULL;
	}
	doc = cJSON_ParseWithLength(text, length);
	free(text);
	if (doc == NULL) {
		fprintf(stderr, "cds-commissioning fhirpath: %s: not valid JSON\n", path);
		return NULL;
	}
	st->docs[st->doc_count++] = doc;
	/* a resource, or the resources of a Bundle, may be the target of resolve() */
	if (fhir_get_string(doc, "resourceType") != NULL) {
		if (strcmp(fhir_get_string(doc, "resourceType"), "Bundle") == 0)
			fhir_collection_push_node(&st->resources, st->arena, doc);
		fhir_bundle_resources(doc, st->arena, &st->resources, NULL, NULL);
	}
	return doc;
}

static const cJSON *resolve(const void *ctx, const char *reference)
{
	const struct cli_state *st = ctx;

	return fhir_find_reference(&st->resources, reference);
}

/* The value collection of a variable file: an array's items, or the one document. */
static void var_value(struct cli_state *st, const cJSON *doc, struct fhir_collection *out)
{
	const cJSON *item;

	if (!cJSON_IsArray(doc)) {
		fhir_collection_push_node(out, st->arena, doc);
		return;
	}
	cJSON_ArrayForEach(item, doc)
	{
		fhir_collection_push_node(out, st->arena, item);
	}
}

/* A decimal at its written scale (fhir_value.scale), else in its shortest form. */
static void print_number(char *buf, size_t size, double d, int scale)
{
	if (scale > 0 && scale <= 30 && d > -1e15 && d < 1e15)
		snprintf(buf, size, "%.*f", scale - 1, d);
	else
		snprintf(buf, size, "%.15g", d);
}

/* One result item as JSON (NEW). */
static cJSON *item_json(const struct fhir_value *v)
{
	char num[64], text[160];

	switch (v->kind) {
	case FHIR_VALUE_NODE:
		return cJSON_Duplicate(v->node, 1);
	case FHIR_VALUE_BOOLEAN:
		return cJSON_CreateBool(v->u.boolean);
	case FHIR_VALUE_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)v->u.integer);
		return cJSON_CreateRaw(num);
	case FHIR_VALUE_DECIMAL:
		print_number(num, sizeof(num), v->u.decimal, v->scale);
		return cJSON_CreateRaw(num);
	case FHIR_VALUE_STRING:
		return cJSON_CreateString(v->u.string);
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
	case FHIR_VALUE_TIME:
		/* FHIRPath literal text without '@': 2021-03-01, 2021-03-01T10:00:00Z, T10:00 */
		fhir_datetime_format(&v->u.datetime, text + 1, sizeof(text) - 1);
		text[0] = 'T';
		return cJSON_CreateString(v->kind == FHIR_VALUE_TIME ? text : text + 1);
	case FHIR_VALUE_QUANTITY:
		print_number(num, sizeof(num), v->u.quantity.value, v->scale);
		snprintf(text, sizeof(text), "%s '%s'", num,
		         v->u.quantity.unit != NULL ? v->u.quantity.unit : "1");
		return cJSON_CreateString(text);
	}
	return cJSON_CreateNull();
}

/* Prints err with the expression and a caret under the offset err->where names. */
static void print_error(const char *what, const char *expr, const struct fhir_error *err)
{
	unsigned long offset = 0;
	int has_offset = sscanf(err->where, "expression:%lu", &offset) == 1;

	if (has_offset) {
		fprintf(stderr, "cds-commissioning fhirpath: %s at position %lu: %s\n", what,
		        offset + 1, err->message);
		fprintf(stderr, "  %s\n  %*s^\n", expr, (int)(offset < 8192 ? offset : 0), "");
	} else {
		fprintf(stderr, "cds-commissioning fhirpath: %s: %s%s%s\n", what, err->message,
		        err->where[0] ? " at " : "", err->where);
	}
}

int cds__fhirpath_command(int argc, char **argv)
{
	struct cli_state st;
	struct fhir_path_var vars[MAX_VARS];
	size_t var_count = 0;
	const char *expr = NULL, *resource = NULL;
	struct fhir_path *path = NULL;
	struct fhir_path_env env;
	struct fhir_collection input = {NULL, 0, 0}, out = {NULL, 0, 0};
	struct fhir_error err;
	cJSON *json = NULL;
	char *text = NULL;
	struct cds__files files;
	struct engine *engine = NULL;
	int rc = EXIT_EVAL;

	memset(&st, 0, sizeof(st));
	memset(&files, 0, sizeof(files));
	memset(&env, 0, sizeof(env));
	memset(&err, 0, sizeof(err));
	st.arena = fhir_arena_new();
	fhir_datetime_now(&env.now);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			fputs(usage_fhirpath, stdout);
			rc = 0;
			goto out;
		}
		if (strcmp(arg, "--resource") == 0 || strcmp(arg, "--var") == 0 ||
		    strcmp(arg, "--now") == 0) {
			if (i + 1 == argc) {
				rc = usage("option '%s' needs a value", arg);
				goto out;
			}
			if (strcmp(arg, "--resource") == 0) {
				resource = argv[++i];
			} else if (strcmp(arg, "--now") == 0) {
				if (fhir_datetime_parse(argv[++i], &env.now, &err) != FHIR_OK) {
					rc = usage("--now: '%s' is not a FHIR dateTime", argv[i]);
					goto out;
				}
			} else {
				const char *spec = argv[++i], *eq = strchr(spec, '=');
				cJSON *doc;

				if (eq == NULL || eq == spec || eq[1] == '\0') {
					rc = usage("--var '%s': expected NAME=FILE", spec);
					goto out;
				}
				if (var_count == MAX_VARS) {
					rc = usage("at most %d --var options", MAX_VARS);
					goto out;
				}
				doc = load_json(&st, eq + 1);
				if (doc == NULL)
					goto out;
				memset(&vars[var_count], 0, sizeof(vars[var_count]));
				vars[var_count].name =
				    fhir_arena_strndup(st.arena, spec, (size_t)(eq - spec));
				var_value(&st, doc, &vars[var_count].value);
				var_count++;
			}
			continue;
		}
		if (arg[0] == '-' && arg[1] == '-') {
			rc = usage("unknown option '%s'", arg);
			goto out;
		}
		if (expr != NULL) {
			rc = usage("unexpected argument '%s' (quote the expression)", arg);
			goto out;
		}
		expr = arg;
	}
	if (expr == NULL) {
		rc = usage("%s", "an EXPRESSION is required");
		goto out;
	}
	if (resource != NULL) {
		cJSON *doc = load_json(&st, resource);

		if (doc == NULL)
			goto out;
		fhir_collection_push_node(&input, st.arena, doc);
	}
	if (engine_path_compile(expr, &path, &err) != FHIR_OK) {
		print_error("syntax error", expr, &err);
		goto out;
	}
	/* mentions(), sites(), ... read with the embedded vocabulary */
	cds__files_add_embedded(&files);
	if (engine_load(files.items, files.count, NULL, &engine) != FHIR_OK)
		engine = NULL;
	engine_path_env(engine, &env);
	env.vars = vars;
	env.var_count = var_count;
	env.resolve = resolve;
	env.resolve_ctx = &st;
	env.arena = st.arena;
	if (fhir_path_eval(path, &input, &env, &out, &err) != FHIR_OK) {
		print_error("evaluation error", expr, &err);
		goto out;
	}
	json = cJSON_CreateArray();
	for (size_t i = 0; i < out.count; i++)
		cJSON_AddItemToArray(json, item_json(&out.items[i]));
	text = cJSON_PrintUnformatted(json);
	if (text == NULL) {
		fputs("cds-commissioning fhirpath: out of memory\n", stderr);
		goto out;
	}
	printf("%s\n", text);
	rc = 0;
out:
	free(text);
	cJSON_Delete(json);
	fhir_path_free(path);
	engine_path_env_free(&env); /* before the engine: its vocabulary is read until here */
	engine_free(engine);
	cds__files_clear(&files);
	for (size_t i = 0; i < st.doc_count; i++)
		cJSON_Delete(st.docs[i]);
	fhir_arena_free(st.arena);
	return rc;
}
