/* feedback_rows.c — one feedback body as store rows (issue 13 item 1): each item linked to its
 * card, or kept and marked card_known 0 when no stored decision has that card (decided inside
 * the writer's transaction, so a decision committed in the same batch counts). The override
 * reason is stored as its Coding (the option the card offered); the clinician's comment only as
 * has_user_comment, never its text. */
#include <stdlib.h>
#include <string.h>

#include "rows.h"

static const char *string_at(const cJSON *object, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

void cds__feedback_rows_build(const cJSON *records, const char *received_at,
                              struct cds__store_rows *rows)
{
	for (const cJSON *r = cJSON_IsArray(records) ? records->child : NULL; r; r = r->next) {
		char id[37];
		cds__store_uuid(id);
		const cJSON *override = cJSON_GetObjectItemCaseSensitive(r, "overrideReason");
		const cJSON *reason = override; /* feedback.c's record: the Coding's members */
		const cJSON *accepted = cJSON_GetObjectItemCaseSensitive(r, "acceptedSuggestions");
		cJSON *ids = cJSON_CreateArray();
		for (const cJSON *s = cJSON_IsArray(accepted) ? accepted->child : NULL; ids && s;
		     s = s->next)
			if (cJSON_IsString(s))
				cJSON_AddItemToArray(ids, cJSON_CreateString(s->valuestring));
		char *accepted_text = ids ? cJSON_PrintUnformatted(ids) : NULL;
		cJSON_Delete(ids);
		if (!accepted_text)
			abort(); /* architecture.md: out of memory aborts */
		const char *card = string_at(r, "card");
		const char *params[] = {
		    id,
		    received_at,
		    string_at(r, "service"),
		    card ? card : "",
		    string_at(r, "outcome"),
		    string_at(r, "outcomeTimestamp"),
		    string_at(reason, "system"),
		    string_at(reason, "code"),
		    string_at(reason, "display"),
		    cJSON_GetObjectItemCaseSensitive(override, "userComment") ? "1" : "0",
		    accepted_text};
		cds__store_rows_add(
		    rows,
		    "INSERT INTO feedback (id, received_at, service, card_uuid, card_known, "
		    "outcome, "
		    "outcome_at, override_reason_system, override_reason_code, "
		    "override_reason_display, has_user_comment, accepted_suggestions) VALUES ($1, "
		    "$2, "
		    "$3, $4, CASE WHEN EXISTS (SELECT 1 FROM decision WHERE card_uuid = $4) THEN 1 "
		    "ELSE 0 END, $5, $6, $7, $8, $9, $10, $11)",
		    params, 11);
		free(accepted_text);
	}
}
