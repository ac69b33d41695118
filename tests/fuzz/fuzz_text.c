/* fuzz_text.c — libFuzzer target for clinical text (engine/text_*.c): any bytes as the text of a
 * note, read with the shipped vocabulary (tokenizer, phrase matching, ConText scopes, sides),
 * and as the body of a Condition and an order through mentions(), sites(), siteLabel() and
 * sameSite(). Must never crash, leak, overflow or take more than linear time. Build:
 * -DCDS_FUZZ=ON with clang (README "Fuzzing"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text_internal.h"

static struct engine *engine;
static struct fhir_path *paths[4];
static const char *const exprs[4] = {
    "%c.mentions('cauda-equina-syndrome|malignancy|fracture', 'affirmed|uncertain')",
    "%c.sites() | %o.siteLabel()", "%c.sameSite(%o)",
    "%c.code.mentions('injection') and %o.mentions('ultrasound-guidance')"};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fhir_error err;

	(void)argc;
	(void)argv;
	if (engine_load(engine_embedded_files, engine_embedded_file_count, NULL, &engine) !=
	    FHIR_OK)
		abort();
	for (size_t i = 0; i < 4; i++)
		if (engine_path_compile(exprs[i], &paths[i], &err) != FHIR_OK)
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fhir_arena *arena = fhir_arena_new();
	char *text = malloc(size + 1);
	struct engine__mention *m;
	size_t n;
	cJSON *cond, *order;
	struct fhir_path_var vars[2];
	struct fhir_path_env env;
	struct fhir_collection in = {NULL, 0, 0}, out;
	struct fhir_error err;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	engine__annotate(engine->vocab, text, arena, &m, &n);
	for (size_t i = 0; i < n; i++)
		if (m[i].start > m[i].end || m[i].end > strlen(text))
			abort(); /* a mention's span lies inside its text */

	cond = cJSON_CreateObject();
	cJSON_AddStringToObject(cond, "resourceType", "Condition");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cond, "code"), "text", text);
	order = cJSON_CreateObject();
	cJSON_AddStringToObject(order, "resourceType", "ServiceRequest");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(order, "code"), "text", text);
	memset(vars, 0, sizeof(vars));
	vars[0].name = "c";
	fhir_collection_push_node(&vars[0].value, arena, cond);
	vars[1].name = "o";
	fhir_collection_push_node(&vars[1].value, arena, order);
	memset(&env, 0, sizeof(env));
	env.vars = vars;
	env.var_count = 2;
	env.arena = arena;
	engine_path_env(engine, &env);
	fhir_collection_push_node(&in, arena, order);
	for (size_t i = 0; i < 4; i++)
		(void)fhir_path_eval(paths[i], &in, &env, &out, &err);

	engine_path_env_free(&env);
	cJSON_Delete(cond);
	cJSON_Delete(order);
	free(text);
	fhir_arena_free(arena);
	return 0;
}
