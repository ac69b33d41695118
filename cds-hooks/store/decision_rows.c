/* decision_rows.c — one assessed service call as store rows (issue 13 item 1): the request,
 * a decision per decision-log record (the same records the decision log writes, so the two
 * agree), and its criteria. The card a record names supplies the indicator and suggestion
 * uuids. Only codes, ids, references and the keyed patient hash are stored; the body only when
 * the deployment keeps bodies, without fhirAuthorization. */
#include <stdlib.h>
#include <string.h>

#include "rows.h"

static const char *string_at(const cJSON *object, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* NEW: the JSON text of `array` when it is an array of strings; "[]" otherwise. */
static char *string_array(const cJSON *array)
{
	cJSON *out = cJSON_CreateArray();
	for (const cJSON *e = cJSON_IsArray(array) ? array->child : NULL; out && e; e = e->next)
		if (cJSON_IsString(e))
			cJSON_AddItemToArray(out, cJSON_CreateString(e->valuestring));
	char *text = out ? cJSON_PrintUnformatted(out) : NULL;
	cJSON_Delete(out);
	if (!text)
		abort(); /* architecture.md: out of memory aborts */
	return text;
}

/* The response's card whose uuid is `uuid`, or NULL. */
static const cJSON *card_named(const cJSON *response, const char *uuid)
{
	const cJSON *cards = cJSON_GetObjectItemCaseSensitive(response, "cards");
	for (const cJSON *c = cJSON_IsArray(cards) ? cards->child : NULL; uuid && c; c = c->next) {
		const char *u = string_at(c, "uuid");
		if (u && strcmp(u, uuid) == 0)
			return c;
	}
	return NULL;
}

/* NEW: the card's suggestion uuids as a JSON array ("[]" when none). */
static char *suggestion_uuids(const cJSON *card)
{
	cJSON *uuids = cJSON_CreateArray();
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(card, "suggestions");
	for (const cJSON *s = cJSON_IsArray(list) ? list->child : NULL; uuids && s; s = s->next) {
		const char *u = string_at(s, "uuid");
		if (u)
			cJSON_AddItemToArray(uuids, cJSON_CreateString(u));
	}
	char *text = uuids ? cJSON_PrintUnformatted(uuids) : NULL;
	cJSON_Delete(uuids);
	if (!text)
		abort();
	return text;
}

/* NEW: the request as received minus fhirAuthorization (the access token), or NULL. */
static char *kept_body(const cJSON *request)
{
	cJSON *copy = cJSON_Duplicate(request, 1);
	if (!copy)
		abort();
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "fhirAuthorization");
	char *text = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	if (!text)
		abort();
	return text;
}

static void add_criteria(const cJSON *record, const char *decision_id, struct cds__store_rows *rows)
{
	const cJSON *criteria = cJSON_GetObjectItemCaseSensitive(record, "criteria");
	for (const cJSON *c = cJSON_IsArray(criteria) ? criteria->child : NULL; c; c = c->next) {
		const char *id = string_at(c, "id"), *state = string_at(c, "state");
		if (!id || !state)
			continue;
		char *evidence = string_array(cJSON_GetObjectItemCaseSensitive(c, "evidence"));
		const char *params[] = {decision_id, id, state, evidence};
		cds__store_rows_add(
		    rows,
		    "INSERT INTO criterion (decision_id, criterion, state, evidence) "
		    "VALUES ($1, $2, $3, $4)",
		    params, 4);
		free(evidence);
	}
}

static void add_decision(const struct cds__decision_input *in, const cJSON *record,
                         const char *request_id, struct cds__store_rows *rows)
{
	const char *id = string_at(record, "id"), *policy = string_at(record, "policy");
	if (!id || !policy)
		return;
	const char *version = string_at(record, "policyVersion");
	const char *commissioner = string_at(record, "commissioner");
	const char *order = string_at(record, "order"), *decision = string_at(record, "decision");
	const char *determined_by = string_at(
	    cJSON_GetObjectItemCaseSensitive(record, "responsibleCommissioner"), "determinedBy");
	const char *card_uuid = string_at(record, "card");
	const cJSON *card = in->response ? card_named(in->response, card_uuid) : NULL;
	if (!card)
		card_uuid = NULL; /* no card was sent for it (412, or none shown) */
	char *recommendations =
	    string_array(cJSON_GetObjectItemCaseSensitive(record, "recommendations"));
	char *outcomes = string_array(cJSON_GetObjectItemCaseSensitive(record, "outcomes"));
	char *suggestions = suggestion_uuids(card);
	const char *params[] = {
	    id,
	    request_id,
	    in->received_at,
	    commissioner ? commissioner : "",
	    determined_by,
	    policy,
	    version ? version : "",
	    order ? order : "",
	    decision ? decision : "",
	    recommendations,
	    outcomes,
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(record, "matchedOnText")) ? "1" : "0",
	    card_uuid,
	    card ? string_at(card, "indicator") : NULL,
	    suggestions};
	cds__store_rows_add(rows,
	                    "INSERT INTO decision (id, request_id, decided_at, commissioner, "
	                    "commissioner_determined_by, policy, policy_version, order_ref, "
	                    "decision, recommendations, outcomes, matched_on_text, card_uuid, "
	                    "card_indicator, suggestions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	                    "$9, $10, $11, $12, $13, $14, $15)",
	                    params, 15);
	free(recommendations);
	free(outcomes);
	free(suggestions);
	add_criteria(record, id, rows);
}

void cds__decision_rows_build(const struct cds__decision_input *in, struct cds__store_rows *rows)
{
	char request_id[37], patient[65], expires[40];
	cds__store_uuid(request_id);
	const cJSON *context = cJSON_GetObjectItemCaseSensitive(in->request, "context");
	const char *patient_id = string_at(context, "patientId");
	if (in->key && patient_id)
		cds__patient_hmac(in->key, patient_id, patient);
	char *body = NULL;
	if (in->body_retention_days >= 0) {
		body = kept_body(in->request);
		cds__store_timestamp(in->now + (time_t)in->body_retention_days * 86400, 0, expires,
		                     sizeof expires);
	}
	const char *hook = string_at(in->request, "hook");
	const char *instance = string_at(in->request, "hookInstance");
	const char *params[] = {request_id,
	                        in->received_at,
	                        in->service,
	                        hook ? hook : "",
	                        instance ? instance : "",
	                        in->deployment ? in->deployment : "",
	                        in->policy_set ? in->policy_set : "",
	                        in->key && patient_id ? patient : NULL,
	                        body,
	                        body ? expires : NULL};
	cds__store_rows_add(rows,
	                    "INSERT INTO request (id, received_at, service, hook, hook_instance, "
	                    "deployment, policy_set, patient, body, body_expires_at) VALUES ($1, "
	                    "$2, $3, $4, $5, $6, $7, $8, $9, $10)",
	                    params, 10);
	free(body);
	for (const cJSON *r = cJSON_IsArray(in->records) ? in->records->child : NULL; r;
	     r = r->next)
		add_decision(in, r, request_id, rows);
}
