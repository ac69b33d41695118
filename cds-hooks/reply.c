/* reply.c — builds cds_reply values: JSON bodies written unformatted by the streaming writer with
 * the CDS Hooks 2.0 null/empty pruning, and OperationOutcome error bodies. It must not decide
 * status codes (handle.c does) nor log anything. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

void *cds__must(void *p)
{
	if (!p) {
		fputs("cds-commissioning: out of memory\n", stderr);
		abort();
	}
	return p;
}

static int is_empty(const cJSON *item)
{
	if (cJSON_IsNull(item) || cJSON_IsInvalid(item))
		return 1;
	if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
		return 1; /* cJSON would print NaN and infinities as null */
	if (cJSON_IsString(item))
		return !item->valuestring || item->valuestring[0] == '\0';
	if (cJSON_IsArray(item) || cJSON_IsObject(item))
		return item->child == NULL;
	return 0;
}

/* Prunes the children of `node` (an object or array); `keep_cards` spares a "cards" member. */
static void prune_children(cJSON *node, int keep_cards)
{
	cJSON *child = node->child;
	while (child) {
		cJSON *next = child->next;
		if (cJSON_IsArray(child) || cJSON_IsObject(child))
			prune_children(child, 0);
		int spared = keep_cards && cJSON_IsObject(node) && child->string &&
		             strcmp(child->string, "cards") == 0 && cJSON_IsArray(child);
		if (!spared && is_empty(child))
			cJSON_Delete(cJSON_DetachItemViaPointer(node, child));
		child = next;
	}
}

void cds__prune(cJSON *root, int keep_cards) /* CDS Hooks 2.0 §Response: no null or empty */
{
	if (root && (cJSON_IsArray(root) || cJSON_IsObject(root)))
		prune_children(root, keep_cards);
}

static void reply_reset(struct cds_reply *out, unsigned status)
{
	free(out->body);
	out->body = NULL;
	out->body_length = 0;
	out->status = status;
	out->content_type = "application/json";
	out->allow = NULL;
}

void cds__reply_json(struct cds_reply *out, unsigned status, cJSON *body, int keep_cards)
{
	struct fhir_json_writer w;
	fhir_json_init(&w, 1); /* written pruned, as cds__prune would leave it */
	if (cJSON_IsObject(body)) {
		fhir_json_object(&w, NULL);
		for (const cJSON *member = body->child; member; member = member->next) {
			if (keep_cards && cJSON_IsArray(member) && member->string &&
			    strcmp(member->string, "cards") == 0) {
				fhir_json_array(&w, "cards");
				fhir_json_keep(
				    &w); /* CDS Hooks 2.0 §Response: REQUIRED, even empty */
				for (const cJSON *card = member->child; card; card = card->next)
					fhir_json_value(&w, NULL, card);
				fhir_json_end(&w);
			} else {
				fhir_json_value(&w, member->string, member);
			}
		}
		fhir_json_end(&w);
	} else {
		fhir_json_value(&w, NULL, body);
	}
	size_t length = 0;
	char *text = fhir_json_finish(&w, &length);
	cds__reply_text_take(out, status, text, length);
	cJSON_Delete(body);
}

void cds__reply_text_take(struct cds_reply *out, unsigned status, char *json, size_t length)
{
	reply_reset(out, status);
	out->body = json;
	out->body_length = length;
}

void cds__reply_text(struct cds_reply *out, unsigned status, const char *json, size_t length)
{
	reply_reset(out, status);
	out->body = cds__must(malloc(length + 1));
	memcpy(out->body, json, length);
	out->body[length] = '\0';
	out->body_length = length;
}

/* CDS Hooks 3.0 ballot §HTTP Response: an OperationOutcome on non-2xx (harmless for 2.0). */
void cds__reply_error(struct cds_reply *out, unsigned status, const char *code, const char *pointer,
                      const char *fmt, ...)
{
	char message[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);

	/* written straight out, pruned as cds__reply_json would write the same tree */
	struct fhir_json_writer w;
	fhir_json_init(&w, 1);
	fhir_json_object(&w, NULL);
	fhir_json_string(&w, "resourceType", "OperationOutcome");
	fhir_json_array(&w, "issue");
	fhir_json_object(&w, NULL);
	fhir_json_string(&w, "severity", "error");
	fhir_json_string(&w, "code", code);
	fhir_json_string(&w, "diagnostics", message);
	if (pointer && pointer[0]) {
		fhir_json_array(&w, "expression");
		fhir_json_string(&w, NULL, pointer);
		fhir_json_end(&w);
	}
	fhir_json_end(&w);
	fhir_json_end(&w);
	fhir_json_end(&w);
	size_t length = 0;
	char *text = fhir_json_finish(&w, &length);
	cds__reply_text_take(out, status, text, length);
}

void cds__reply_header(struct cds_reply *out, const char *name, const char *value)
{
	if (out->header_count >= CDS_REPLY_MAX_HEADERS)
		return;
	out->headers[out->header_count].name = name;
	out->headers[out->header_count].value = cds__must(strdup(value));
	out->header_count++;
}

void cds_reply_clear(struct cds_reply *reply)
{
	if (!reply)
		return;
	for (size_t i = 0; i < reply->header_count && i < CDS_REPLY_MAX_HEADERS; i++)
		free(reply->headers[i].value);
	free(reply->body);
	memset(reply, 0, sizeof *reply);
}
