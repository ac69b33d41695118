/* test_json_pool.c — a JSON pool (fhir/json_hooks.c, issue 12): the cJSON nodes a thread creates
 * while a pool is entered come from it and stay readable, editable and deletable (deleting them
 * does nothing) on any thread until the pool is released; what is created outside a pool, or is
 * too large for it, is malloc's as before (free() may take it, and under LeakSanitizer a node
 * that cJSON_Delete did not free would be reported); entering nests; and an engine result's
 * response and decision records are in the result's pool, which engine_result_clear releases. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "testkit.h"

/* A tree of n objects with a string member each. */
static cJSON *tree(int n)
{
	cJSON *list = cJSON_CreateArray();

	for (int i = 0; i < n; i++) {
		cJSON *item = cJSON_CreateObject();
		char text[32];

		snprintf(text, sizeof text, "item %d", i);
		cJSON_AddStringToObject(item, "name", text);
		cJSON_AddItemToArray(list, item);
	}
	return list;
}

static void *delete_elsewhere(void *arg)
{
	cJSON_Delete(arg); /* pool nodes: nothing freed; malloc'd ones below them: freed */
	return NULL;
}

int main(void)
{
	struct fhir_json_pool pool = {0}, inner = {0};
	struct fhir_json_pool *previous;
	cJSON *small, *big, *outside, *nested;
	char *text, *large;
	pthread_t thread;

	/* outside any pool: malloc, as before (free() takes printed text) */
	outside = tree(3);
	text = cJSON_PrintUnformatted(outside);
	CHECK(text != NULL && strcmp(text, "[{\"name\":\"item 0\"},{\"name\":\"item 1\"},"
	                                   "{\"name\":\"item 2\"}]") == 0,
	      "printed outside a pool: %s", text ? text : "(null)");
	free(text);
	CHECK(pool.blocks == NULL, "nothing went to a pool not entered");

	previous = fhir_json_pool_enter(&pool);
	CHECK(previous == NULL, "no pool was entered before");
	small = tree(3);
	CHECK(pool.blocks != NULL, "nodes created in an entered pool come from it");
	big = tree(5000); /* more than one block */
	large = malloc(40000);
	memset(large, 'x', 39999);
	large[39999] = '\0';
	cJSON_AddStringToObject(small->child, "large", large); /* too large: malloc'd */
	free(large);
	/* nested: the inner pool takes what is created while it is entered */
	previous = fhir_json_pool_enter(&inner);
	CHECK(previous == &pool, "entering returns the pool entered before");
	nested = tree(2);
	fhir_json_pool_leave(previous);
	CHECK(inner.blocks != NULL, "the inner pool took its nodes");
	cJSON_AddItemToArray(small, cJSON_CreateString("the outer pool again"));
	fhir_json_pool_leave(NULL);

	/* edited and deleted as usual after leaving, with malloc'd nodes mixed in */
	cJSON_AddItemToArray(big, outside);
	cJSON_DeleteItemFromArray(big, 0);
	cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(small->child, "name"),
	                     "a longer name than before");
	text = cJSON_PrintUnformatted(small->child); /* outside the pool: malloc'd */
	CHECK(text != NULL && strncmp(text,
	                              "{\"name\":\"a longer name than before\",\"large\":"
	                              "\"xxx",
	                              47) == 0,
	      "edited after leaving the pool: %.60s", text ? text : "(null)");
	free(text);
	CHECK(cJSON_GetArraySize(big) == 5000 &&
	          strcmp(cJSON_GetArrayItem(big, 4998)->child->valuestring, "item 4999") == 0 &&
	          cJSON_GetArrayItem(big, 4999) == outside,
	      "a tree over several blocks reads back");
	CHECK(strcmp(nested->child->child->valuestring, "item 0") == 0, "the nested tree reads");
	CHECK(pthread_create(&thread, NULL, delete_elsewhere, big) == 0, "thread");
	pthread_join(thread, NULL);
	cJSON_Delete(small);
	cJSON_Delete(nested);
	fhir_json_pool_release(&pool);
	fhir_json_pool_release(&inner);
	CHECK(pool.blocks == NULL && pool.at == NULL, "a released pool is empty");
	fhir_json_pool_release(NULL);

	/* released blocks are reused */
	previous = fhir_json_pool_enter(&pool);
	small = tree(100);
	fhir_json_pool_leave(previous);
	CHECK(cJSON_GetArraySize(small) == 100, "a pool used again");
	cJSON_Delete(small);
	fhir_json_pool_release(&pool);

	/* the engine's result: response and records in its pool, released by clearing it */
	{
		struct engine *e = NULL;
		struct engine_result r;
		struct fhir_error err;
		cJSON *request = cJSON_Parse(
		    "{\"hook\":\"order-select\",\"hookInstance\":\"x\",\"context\":{\"userId\":"
		    "\"Practitioner/1\",\"patientId\":\"1\",\"selections\":[\"ServiceRequest/o1\"],"
		    "\"draftOrders\":{\"resourceType\":\"Bundle\",\"type\":\"collection\","
		    "\"entry\":"
		    "[{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"o1\",\"status\":"
		    "\"draft\",\"intent\":\"order\",\"subject\":{\"reference\":\"Patient/"
		    "1\"}}}]}}}");

		CHECK(engine_load(engine_embedded_files, engine_embedded_file_count, NULL, &e) ==
		          FHIR_OK,
		      "the embedded configuration loads");
		CHECK(engine_assess(e, request, NULL, &r, &err) == FHIR_OK && r.response != NULL,
		      "assessed: %s", err.message);
		CHECK(r.pool.blocks != NULL, "the response is in the result's pool");
		engine_result_clear(&r);
		CHECK(r.pool.blocks == NULL && r.response == NULL, "cleared");
		cJSON_Delete(request);
		engine_free(e);
	}
	return testkit_done();
}
