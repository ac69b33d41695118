/* feedback.c — POST /cds-services/{id}/feedback: validates every feedback item, then records
 * all of them in the store (record.c: committed before the 200, or 503), the in-memory ring and
 * the decision log. CDS Hooks 2.0 §Feedback (inv. cds-fb-1..3). All or nothing: an invalid item
 * records nothing. An item naming a card the store does not know is kept, marked so (the store
 * decides, not this file). */
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

static int is_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* RFC 3339 §5.6 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static int is_rfc3339(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t len = strlen(s);
	if (len < 20 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) || s[7] != '-' ||
	    !is_digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !is_digits(s + 11, 2) ||
	    s[13] != ':' || !is_digits(s + 14, 2) || s[16] != ':' || !is_digits(s + 17, 2))
		return 0;
	int year = num(s, 4), month = num(s + 5, 2), day = num(s + 8, 2);
	if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
		return 0;
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (month == 2 && day == 29 && !leap)
		return 0;
	if (num(s + 11, 2) > 23 || num(s + 14, 2) > 59 || num(s + 17, 2) > 60)
		return 0;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 1;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && is_digits(p + 1, 2) && p[3] == ':' &&
	    is_digits(p + 4, 2))
		return num(p + 1, 2) <= 23 && num(p + 4, 2) <= 59;
	return 0;
}

static const char *string_member(const cJSON *object, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	return cJSON_IsString(item) && item->valuestring && item->valuestring[0] ? item->valuestring
	                                                                         : NULL;
}

/* Validates feedback item `i` and, when valid, builds its record (NEW) into *record. */
static int check_item(const cJSON *item, size_t i, const struct cds__service *service,
                      cJSON **record, struct fhir_error *err)
{
	char where[96];
	int rc = FHIR_ERR_INVALID;
	cJSON *rec = NULL;
	*record = NULL;
	snprintf(where, sizeof where, "/feedback/%zu", i);
	if (!cJSON_IsObject(item)) {
		fhir_error_set(err, where, "each feedback item must be an object");
		goto out;
	}
	const char *card = string_member(item, "card");
	const char *outcome = string_member(item, "outcome");
	const char *stamp = string_member(item, "outcomeTimestamp");
	if (!card) {
		fhir_error_set(err, where, "'card' (the card's uuid) must be a non-empty string");
		goto out;
	}
	if (!outcome || (strcmp(outcome, "accepted") != 0 && strcmp(outcome, "overridden") != 0)) {
		snprintf(where, sizeof where, "/feedback/%zu/outcome", i);
		fhir_error_set(err, where, "'outcome' must be \"accepted\" or \"overridden\"");
		goto out;
	}
	if (!stamp || !is_rfc3339(stamp)) {
		snprintf(where, sizeof where, "/feedback/%zu/outcomeTimestamp", i);
		fhir_error_set(err, where,
		               "'outcomeTimestamp' must be an RFC 3339 date-time, "
		               "e.g. \"2021-12-11T10:05:31Z\"");
		goto out;
	}
	rec = cds__must(cJSON_CreateObject());
	cds__must(cJSON_AddStringToObject(rec, "type", "feedback"));
	char now[40];
	cds__timestamp(now, sizeof now);
	cds__must(cJSON_AddStringToObject(rec, "timestamp", now));
	cds__must(cJSON_AddStringToObject(rec, "service", service->id));
	cds__must(cJSON_AddStringToObject(rec, "card", card));
	cds__must(cJSON_AddStringToObject(rec, "outcome", outcome));
	cds__must(cJSON_AddStringToObject(rec, "outcomeTimestamp", stamp));

	/* inv. cds-fb-2: acceptedSuggestions is required when the outcome is accepted. */
	const cJSON *accepted = cJSON_GetObjectItemCaseSensitive(item, "acceptedSuggestions");
	snprintf(where, sizeof where, "/feedback/%zu/acceptedSuggestions", i);
	if (!accepted && strcmp(outcome, "accepted") == 0) {
		fhir_error_set(err, where,
		               "'acceptedSuggestions' is required when outcome is accepted");
		goto out;
	}
	if (accepted) {
		if (!cJSON_IsArray(accepted) || !accepted->child) {
			fhir_error_set(err, where,
			               "'acceptedSuggestions' must be a non-empty array");
			goto out;
		}
		cJSON *ids = cds__must(cJSON_AddArrayToObject(rec, "acceptedSuggestions"));
		size_t j = 0;
		for (const cJSON *s = accepted->child; s; s = s->next, j++) {
			const char *id = cJSON_IsObject(s) ? string_member(s, "id") : NULL;
			if (!id) {
				snprintf(where, sizeof where,
				         "/feedback/%zu/acceptedSuggestions/%zu", i, j);
				fhir_error_set(err, where,
				               "each accepted suggestion must be an object with "
				               "a non-empty string 'id'");
				goto out;
			}
			cJSON_AddItemToArray(ids, cds__must(cJSON_CreateString(id)));
		}
	}

	/* overrideReason: {reason?: Coding (display optional), userComment?: string}, one needed
	 * (inv. cds-fb-3). The sandbox sends a reason without display: accepted. */
	const cJSON *override = cJSON_GetObjectItemCaseSensitive(item, "overrideReason");
	if (override) {
		snprintf(where, sizeof where, "/feedback/%zu/overrideReason", i);
		if (!cJSON_IsObject(override)) {
			fhir_error_set(err, where, "'overrideReason' must be an object");
			goto out;
		}
		const cJSON *reason = cJSON_GetObjectItemCaseSensitive(override, "reason");
		const cJSON *comment = cJSON_GetObjectItemCaseSensitive(override, "userComment");
		if (!reason && !comment) {
			fhir_error_set(err, where,
			               "'overrideReason' needs 'reason' or 'userComment'");
			goto out;
		}
		cJSON *r = cds__must(cJSON_AddObjectToObject(rec, "overrideReason"));
		if (reason) {
			snprintf(where, sizeof where, "/feedback/%zu/overrideReason/reason", i);
			const char *code =
			    cJSON_IsObject(reason) ? string_member(reason, "code") : NULL;
			const cJSON *system =
			    cJSON_IsObject(reason)
			        ? cJSON_GetObjectItemCaseSensitive(reason, "system")
			        : NULL;
			const cJSON *display =
			    cJSON_IsObject(reason)
			        ? cJSON_GetObjectItemCaseSensitive(reason, "display")
			        : NULL;
			if (!code || (system && !string_member(reason, "system")) ||
			    (display && !string_member(reason, "display"))) {
				fhir_error_set(err, where,
				               "'reason' must be a Coding with a string 'code' "
				               "(and string 'system' and 'display' when present)");
				goto out;
			}
			cds__must(cJSON_AddStringToObject(r, "code", code));
			if (system)
				cds__must(
				    cJSON_AddStringToObject(r, "system", system->valuestring));
			if (display)
				cds__must(
				    cJSON_AddStringToObject(r, "display", display->valuestring));
		}
		if (comment) {
			snprintf(where, sizeof where, "/feedback/%zu/overrideReason/userComment",
			         i);
			if (!cJSON_IsString(comment) || !comment->valuestring ||
			    !comment->valuestring[0]) {
				fhir_error_set(err, where,
				               "'userComment' must be a non-empty string");
				goto out;
			}
			cds__must(cJSON_AddStringToObject(r, "userComment", comment->valuestring));
		}
	}
	*record = rec;
	rec = NULL;
	rc = FHIR_OK;
out:
	cJSON_Delete(rec);
	return rc;
}

/* Puts a record in the ring (TAKES line), overwriting the oldest when full. */
static void ring_push(struct cds_app *app, char *line)
{
	struct cds__host *host = app->host; /* the ring outlives reloads */
	pthread_mutex_lock(&host->feedback_mutex);
	free(host->feedback[host->feedback_next]);
	host->feedback[host->feedback_next] = line;
	host->feedback_next = (host->feedback_next + 1) % CDS_MAX_FEEDBACK_ITEMS;
	host->feedback_total++;
	pthread_mutex_unlock(&host->feedback_mutex);
}

size_t cds__feedback_total(struct cds_app *app)
{
	pthread_mutex_lock(&app->host->feedback_mutex);
	size_t total = app->host->feedback_total;
	pthread_mutex_unlock(&app->host->feedback_mutex);
	return total;
}

void cds__feedback_handle(struct cds_app *app, const struct cds__service *service,
                          const cJSON *body, struct cds__claim *claim, struct cds_reply *out)
{
	struct fhir_error err = {{0}, {0}};
	cJSON *records = cds__must(cJSON_CreateArray());
	size_t n = 0;
	const cJSON *list =
	    cJSON_IsObject(body) ? cJSON_GetObjectItemCaseSensitive(body, "feedback") : NULL;
	if (!cJSON_IsObject(body)) {
		cds__reply_error(out, 400, "invalid", "",
		                 "the feedback body must be a JSON object");
		goto out;
	}
	if (!cJSON_IsArray(list) || !list->child) {
		cds__reply_error(out, 400, "invalid", "/feedback",
		                 "'feedback' must be a non-empty array of feedback items");
		goto out;
	}
	for (const cJSON *item = list->child; item; item = item->next, n++) {
		cJSON *rec = NULL;
		if (check_item(item, n, service, &rec, &err) != FHIR_OK) {
			cds__reply_error(out, 400, "invalid", err.where, "%s", err.message);
			goto out;
		}
		cJSON_AddItemToArray(records, rec);
	}
	if (cds__record_feedback(app, records, claim, out) != 0)
		goto out; /* issue 13: committed before the 200, or 503 (or a replay's 401) */
	for (const cJSON *rec = records->child; rec; rec = rec->next) {
		cds__log_record(app, rec);
		cds__metrics_feedback(app->metrics, rec);
		ring_push(app, cds__must(cJSON_PrintUnformatted(rec)));
	}
	cJSON *reply = cds__must(cJSON_CreateObject());
	cds__must(cJSON_AddNumberToObject(reply, "recorded", (double)n));
	cds__reply_json(out, 200, reply, 0);
out:
	cJSON_Delete(records);
}
