/* questionnaire_get.c — GET /fhir/Questionnaire/{id}: the FHIR R4 Questionnaires of the loaded
 * policies (the questions of an IFR or prior-approval request, issue 15), read-only. They hold no
 * patient data, so no token is asked for; CORS as for every GET (cors.c). Unknown id: 404 with an
 * OperationOutcome. Routed from handle.c. */
#include <string.h>

#include "cds_internal.h"

void cds__questionnaire_get(struct cds_app *app, const char *id, size_t id_len,
                            struct cds_reply *out)
{
	char name[72];
	const cJSON *q = NULL;

	/* FHIR R4 id: at most 64 characters; a longer or slashed path names nothing */
	if (id_len > 0 && id_len <= 64 && memchr(id, '/', id_len) == NULL) {
		memcpy(name, id, id_len);
		name[id_len] = '\0';
		q = engine_questionnaire(app->engine, name);
		/* by id only: a url is not a path segment */
		if (q != NULL && strcmp(fhir_get_string(q, "id"), name) != 0)
			q = NULL;
	}
	if (q == NULL) {
		cds__reply_error(out, 404, "not-found", NULL, "no Questionnaire '%.*s' here",
		                 (int)(id_len > 64 ? 64 : id_len), id);
		return;
	}
	cds__reply_json(out, 200, cds__must(cJSON_Duplicate(q, 1)), 0);
}
