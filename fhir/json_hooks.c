/* json_hooks.c — one out-of-memory policy for cJSON too (architecture.md rule 5: out of memory
 * aborts): cJSON allocates through malloc/free wrappers that print a message and abort on NULL,
 * so no code path continues silently on a NULL from cJSON. Installed once per process, before
 * threads start; it must not change what cJSON parses or prints. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "fhir.h"

static void *must_malloc(size_t size)
{
	void *p = malloc(size);

	if (p == NULL) {
		fprintf(stderr, "cds-commissioning: out of memory (cJSON asked for %zu bytes)\n",
		        size);
		abort();
	}
	return p;
}

static void hooks_install(void)
{
	cJSON_Hooks hooks = {must_malloc, free};

	cJSON_InitHooks(&hooks);
}

void fhir_json_hooks_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, hooks_install);
}
