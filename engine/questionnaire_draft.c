/* questionnaire_draft.c — drafts the IFR or prior-approval request of a card as a FHIR R4
 * QuestionnaireResponse (status in-progress) pre-filled from the assessment (issue 15 item 2):
 * criterion items get the criterion state and the evidence resources, items with an SDC
 * initialExpression get what it finds in the record, the supporting-evidence item every resource
 * the draft cites. It answers only what the record shows; everything else (always the clinician's
 * case for exceptionality) is left unanswered and listed as still to complete. No I/O. */
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"

#define PREFILL_URL  "urn:cds-commissioning:StructureDefinition:questionnaire-prefill"
#define STATE_SYSTEM "urn:cds-commissioning:criterion-state"

struct draft {
	const struct engine__assessment *a;
	const struct engine_questionnaire *q;
	cJSON *remaining;           /* array of strings: what is still to complete */
	cJSON *all_evidence;        /* the all-evidence item (in the response), or NULL */
	cJSON *all_parent;          /* its parent's `item` array */
	const cJSON *all_def;       /* its Questionnaire item */
	const cJSON *all_group_def; /* the group holding it, or NULL (top level) */
};

static const char *prefill(const cJSON *item)
{
	const cJSON *ext;

	cJSON_ArrayForEach(ext, fhir_get(item, "extension"))
	{
		const char *url = fhir_get_string(ext, "url");

		if (url != NULL && strcmp(url, PREFILL_URL) == 0)
			return fhir_get_string(ext, "valueString");
	}
	return NULL;
}

static int flag(const cJSON *item, const char *name)
{
	return cJSON_IsTrue(fhir_get(item, name));
}

static const struct engine__criterion_result *criterion(const struct engine__assessment *a,
                                                        const char *id)
{
	for (size_t i = 0; i < a->policy->criterion_count; i++)
		if (a->criteria[i].assessed && strcmp(a->criteria[i].criterion->id, id) == 0)
			return &a->criteria[i];
	return NULL;
}

/* Appends a valueReference answer for `ref` unless the item already has it. */
static void add_reference(cJSON *answers, const char *ref)
{
	const cJSON *seen;
	cJSON *answer, *value;

	cJSON_ArrayForEach(seen, answers)
	{
		const char *have = fhir_get_string(fhir_get(seen, "valueReference"), "reference");

		if (have != NULL && strcmp(have, ref) == 0)
			return;
	}
	answer = cJSON_CreateObject();
	value = cJSON_AddObjectToObject(answer, "valueReference");
	cJSON_AddStringToObject(value, "reference", ref);
	cJSON_AddItemToArray(answers, answer);
}

/* The record answers a criterion when it is met, or not met with resources that show it; not met
 * for want of any resource is "not recorded", not an answer. */
static int criterion_answered(const struct engine__criterion_result *r)
{
	if (r == NULL || r->state == ENGINE_UNKNOWN)
		return 0;
	if (r->state == ENGINE_MET)
		return 1;
	for (size_t i = 0; i < r->evidence.count; i++)
		if (r->evidence.items[i].kind == FHIR_VALUE_NODE)
			return 1;
	return 0;
}

/* The answers an item's prefill or initialExpression gives (NEW array, possibly empty). `focus`
 * is the node the expression reads (the order, or a group instance's resource). */
static cJSON *answers_of(struct draft *d, const cJSON *item, const cJSON *focus)
{
	const struct engine__assessment *a = d->a;
	const char *type = fhir_get_string(item, "type");
	const char *how = prefill(item);
	const struct fhir_path *expr = engine__questionnaire_expr(d->q, item);
	cJSON *answers = cJSON_CreateArray();
	char buf[256];

	if (how != NULL && strncmp(how, "criterion-state:", 16) == 0) {
		const struct engine__criterion_result *r = criterion(a, how + 16);

		if (criterion_answered(r)) {
			cJSON *answer = cJSON_CreateObject();
			cJSON *coding = cJSON_AddObjectToObject(answer, "valueCoding");

			cJSON_AddStringToObject(coding, "system", STATE_SYSTEM);
			cJSON_AddStringToObject(coding, "code",
			                        r->state == ENGINE_MET ? "met" : "not-met");
			cJSON_AddStringToObject(coding, "display",
			                        r->state == ENGINE_MET ? "Met" : "Not met");
			cJSON_AddItemToArray(answers, answer);
		}
	} else if (how != NULL && strncmp(how, "criterion-evidence:", 19) == 0) {
		const struct engine__criterion_result *r = criterion(a, how + 19);

		for (size_t i = 0; criterion_answered(r) && i < r->evidence.count; i++) {
			const char *ref;

			if (r->evidence.items[i].kind != FHIR_VALUE_NODE)
				continue;
			ref = fhir_resource_ref(r->evidence.items[i].node, buf, sizeof(buf));
			if (ref != NULL)
				add_reference(answers, ref);
		}
	} else if (expr != NULL && type != NULL) {
		struct fhir_collection input = {0}, out = {0};
		struct fhir_error err;

		fhir_collection_push_node(&input, a->arena, focus);
		if (fhir_path_eval(expr, &input, &a->env, &out, &err) != FHIR_OK)
			out.count = 0; /* an expression that cannot be evaluated answers nothing */
		for (size_t i = 0; i < out.count; i++) {
			const struct fhir_value *v = &out.items[i];
			const cJSON *node = v->kind == FHIR_VALUE_NODE ? v->node : NULL;
			cJSON *answer = NULL;

			if (strcmp(type, "reference") == 0) {
				const char *ref =
				    node != NULL ? fhir_resource_ref(node, buf, sizeof(buf)) : NULL;

				if (ref != NULL)
					add_reference(answers, ref);
				continue;
			}
			if (strcmp(type, "string") == 0 || strcmp(type, "text") == 0) {
				const char *s = v->kind == FHIR_VALUE_STRING ? v->u.string
				                : cJSON_IsString(node)       ? node->valuestring
				                                             : NULL;
				if (s != NULL && s[0] != '\0') {
					answer = cJSON_CreateObject();
					cJSON_AddStringToObject(answer, "valueString", s);
				}
			} else if (strcmp(type, "dateTime") == 0 || strcmp(type, "date") == 0) {
				const char *s = cJSON_IsString(node) ? node->valuestring : NULL;

				if (s == NULL && (v->kind == FHIR_VALUE_DATE ||
				                  v->kind == FHIR_VALUE_DATETIME)) {
					fhir_datetime_format(&v->u.datetime, buf, sizeof(buf));
					s = buf;
				}
				/* a date item takes a date only; a dateTime one a date or a
				 * dateTime */
				if (s != NULL && (type[4] != '\0' || strlen(s) <= 10)) {
					answer = cJSON_CreateObject();
					cJSON_AddStringToObject(
					    answer, type[4] == '\0' ? "valueDate" : "valueDateTime",
					    s);
				}
			} else if (strcmp(type, "boolean") == 0 && v->kind == FHIR_VALUE_BOOLEAN) {
				answer = cJSON_CreateObject();
				cJSON_AddBoolToObject(answer, "valueBoolean", v->u.boolean);
			}
			if (answer != NULL)
				cJSON_AddItemToArray(answers, answer);
		}
	}
	while (!flag(item, "repeats") && cJSON_GetArraySize(answers) > 1)
		cJSON_DeleteItemFromArray(answers, cJSON_GetArraySize(answers) - 1);
	return answers;
}

/* Lists an unanswered item: "text (about)", or for a criterion "label: why". A criterion line
 * stays listed when its group is absent (`valuestring` of the entry; `type` 1 marks it). */
static void still_to_complete(struct draft *d, const cJSON *item, const char *about,
                              const char *why)
{
	const char *text = fhir_get_string(item, "text");
	char line[600];
	cJSON *entry;

	if (why != NULL)
		snprintf(line, sizeof(line), "%s: %s", about, why);
	else
		snprintf(line, sizeof(line), "%s%s%s%s",
		         text != NULL ? text : fhir_get_string(item, "linkId"),
		         about != NULL ? " (" : "", about != NULL ? about : "",
		         about != NULL ? ")" : "");
	entry = cJSON_CreateString(line);
	if (why != NULL)
		entry->valueint = 1; /* a criterion the record leaves open */
	cJSON_AddItemToArray(d->remaining, entry);
}

static cJSON *response_item(const cJSON *def)
{
	cJSON *item = cJSON_CreateObject();
	const char *text = fhir_get_string(def, "text");

	cJSON_AddStringToObject(item, "linkId", fhir_get_string(def, "linkId"));
	if (text != NULL)
		cJSON_AddStringToObject(item, "text", text);
	return item;
}

static void build(struct draft *d, const cJSON *defs, const cJSON *focus, const char *about,
                  int required_parent, cJSON *out);

/* 1 when the group asks about a criterion the assessment did not assess (an SI criterion on a
 * facet order): the question does not apply, so it is neither answered nor listed. */
static int not_applicable(const struct draft *d, const cJSON *group)
{
	const cJSON *child;

	cJSON_ArrayForEach(child, fhir_get(group, "item"))
	{
		const char *how = prefill(child);

		if (how != NULL && strncmp(how, "criterion-state:", 16) == 0 &&
		    criterion(d->a, how + 16) == NULL)
			return 1;
	}
	return 0;
}

/* A group: one instance per resource its initialExpression finds (children read that
 * resource), else one instance when any child is answered. */
static void build_group(struct draft *d, const cJSON *def, const cJSON *focus, const char *about,
                        cJSON *out)
{
	const struct fhir_path *expr = engine__questionnaire_expr(d->q, def);
	int before = cJSON_GetArraySize(d->remaining), added = 0;

	if (expr != NULL) {
		struct fhir_collection input = {0}, found = {0};
		struct fhir_error err;

		fhir_collection_push_node(&input, d->a->arena, focus);
		if (fhir_path_eval(expr, &input, &d->a->env, &found, &err) != FHIR_OK)
			found.count = 0;
		for (size_t i = 0; i < found.count; i++) {
			char buf[256];
			const cJSON *node = found.items[i].node;
			const char *ref = found.items[i].kind == FHIR_VALUE_NODE
			                      ? fhir_resource_ref(node, buf, sizeof(buf))
			                      : NULL;
			cJSON *group, *children;

			if (ref == NULL)
				continue;
			/* one instance per resource; of two entries with the same Type/id the later
			 * stands, as a FHIR server's update would leave it */
			for (size_t j = i + 1; j < found.count && ref != NULL; j++) {
				char other[256];
				const char *r2 = found.items[j].kind == FHIR_VALUE_NODE
				                     ? fhir_resource_ref(found.items[j].node, other,
				                                         sizeof(other))
				                     : NULL;

				if (r2 != NULL && strcmp(r2, ref) == 0)
					ref = NULL;
			}
			if (ref == NULL)
				continue;
			group = response_item(def);
			children = cJSON_AddArrayToObject(group, "item");
			build(d, fhir_get(def, "item"), node, fhir_arena_strdup(d->a->arena, ref),
			      flag(def, "required"), children);
			if (cJSON_GetArraySize(children) == 0) {
				cJSON_Delete(group);
				continue;
			}
			cJSON_AddItemToArray(out, group);
			added++;
			if (!flag(def, "repeats"))
				break;
		}
	} else {
		cJSON *group = response_item(def);
		cJSON *children = cJSON_AddArrayToObject(group, "item");

		build(d, fhir_get(def, "item"), focus, about, flag(def, "required"), children);
		if (d->all_parent == children)
			d->all_group_def = def;
		if (cJSON_GetArraySize(children) > 0) {
			cJSON_AddItemToArray(out, group);
			added++;
		} else {
			if (d->all_parent == children) { /* cannot happen: it would be answered */
				d->all_parent = NULL;
				d->all_evidence = NULL;
			}
			cJSON_Delete(group);
		}
	}
	if (added > 0 || not_applicable(d, def))
		return;
	/* absent: its children's required items are not asked; the criteria the record leaves open
	 * stay listed, and stand for the group */
	for (int k = cJSON_GetArraySize(d->remaining); k-- > before;) {
		if (cJSON_GetArrayItem(d->remaining, k)->valueint != 1)
			cJSON_DeleteItemFromArray(d->remaining, k);
	}
	if (flag(def, "required") && cJSON_GetArraySize(d->remaining) == before)
		still_to_complete(d, def, about, NULL);
}

/* The response items of `defs` into `out`. required_parent: the group holding them is required
 * (then a criterion not met for want of any record is listed: the panel asks it). */
static void build(struct draft *d, const cJSON *defs, const cJSON *focus, const char *about,
                  int required_parent, cJSON *out)
{
	const cJSON *def;

	cJSON_ArrayForEach(def, defs)
	{
		const char *type = fhir_get_string(def, "type");
		const char *how = prefill(def);
		cJSON *item, *answers;

		if (type == NULL || strcmp(type, "display") == 0)
			continue;
		if (strcmp(type, "group") == 0) {
			build_group(d, def, focus, about, out);
			continue;
		}
		if (how != NULL && strcmp(how, "all-evidence") == 0) { /* filled at the end */
			item = response_item(def);
			cJSON_AddArrayToObject(item, "answer");
			cJSON_AddItemToArray(out, item);
			d->all_evidence = item;
			d->all_def = def;
			d->all_parent = out;
			continue;
		}
		answers = answers_of(d, def, focus);
		if (cJSON_GetArraySize(answers) == 0) {
			cJSON_Delete(answers);
			if (how != NULL && strncmp(how, "criterion-state:", 16) == 0) {
				const struct engine__criterion_result *r =
				    criterion(d->a, how + 16);

				if (r != NULL && (r->state == ENGINE_UNKNOWN || required_parent))
					still_to_complete(
					    d, def, r->criterion->label,
					    r->state == ENGINE_UNKNOWN
					        ? "the record does not settle it"
					        : "not found in the record (confirm)");
			} else if (flag(def, "required")) {
				still_to_complete(d, def, about, NULL);
			}
			continue;
		}
		item = response_item(def);
		cJSON_AddItemToObject(item, "answer", answers);
		cJSON_AddItemToArray(out, item);
	}
}

/* Every resource the draft cites (but the order itself) into the all-evidence item. */
static void collect(const cJSON *node, const char *order_ref, cJSON *answers)
{
	const cJSON *child;
	const char *ref = fhir_get_string(fhir_get(node, "valueReference"), "reference");

	if (ref != NULL && strcmp(ref, order_ref) != 0)
		add_reference(answers, ref);
	cJSON_ArrayForEach(child, node)
	{
		if (cJSON_IsObject(child) || cJSON_IsArray(child))
			collect(child, order_ref, answers);
	}
}

cJSON *engine__draft_suggestion(const struct engine__assessment *a, const int *recs, size_t nrecs,
                                const char **remaining_md)
{
	static const char *const labels[ENGINE_ROUTE_COUNT] = {"Draft the IFR request",
	                                                       "Draft the prior-approval request"};
	static const char *const names[ENGINE_ROUTE_COUNT] = {"individual funding request (IFR)",
	                                                      "prior-approval request"};
	const struct engine_policy *p = a->policy;
	struct draft d = {a, NULL, NULL, NULL, NULL, NULL, NULL};
	cJSON *qr, *items, *suggestion, *action, *ref;
	const char *user = NULL, *subject;
	int route = -1;
	char uuid[37], canonical[512], text[1024];

	*remaining_md = NULL;
	/* the card's own outcome must recommend the route: a contraindicated card that lists an
	 * IFR outcome among its other findings offers no draft */
	(void)recs;
	(void)nrecs;
	for (size_t i = 0;
	     a->chosen >= 0 && i < p->outcomes[a->chosen].recommendation_count && route < 0; i++) {
		const char *code =
		    engine__recommendations[p->outcomes[a->chosen].recommendations[i]].code;

		if (strcmp(code, "ifr") == 0 && p->questionnaire_for[ENGINE_ROUTE_IFR] >= 0)
			route = ENGINE_ROUTE_IFR;
		else if (strcmp(code, "prior-approval") == 0 &&
		         p->questionnaire_for[ENGINE_ROUTE_PRIOR_APPROVAL] >= 0)
			route = ENGINE_ROUTE_PRIOR_APPROVAL;
	}
	if (route < 0)
		return NULL;
	d.q = &a->engine->questionnaires[p->questionnaire_for[route]];
	d.remaining = cJSON_CreateArray();
	for (size_t i = 0; i < a->var_count; i++)
		if (a->vars[i].name != NULL && strcmp(a->vars[i].name, "userId") == 0 &&
		    a->vars[i].value.count == 1 &&
		    a->vars[i].value.items[0].kind == FHIR_VALUE_STRING)
			user = a->vars[i].value.items[0].u.string;

	/* FHIR R4 QuestionnaireResponse: questionnaire (canonical|version), status, subject,
	 * basedOn the order, author the user (CDS Hooks 2.0 context.userId) */
	qr = cJSON_CreateObject();
	cJSON_AddStringToObject(qr, "resourceType", "QuestionnaireResponse");
	snprintf(canonical, sizeof(canonical), "%s%s%s", d.q->url, d.q->version ? "|" : "",
	         d.q->version ? d.q->version : "");
	cJSON_AddStringToObject(qr, "questionnaire", canonical);
	cJSON_AddStringToObject(qr, "status", "in-progress");
	ref = cJSON_CreateObject();
	cJSON_AddStringToObject(ref, "reference", a->order_ref);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(qr, "basedOn"), ref);
	subject = fhir_get_string(fhir_get(a->order, "subject"), "reference");
	if (subject != NULL)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(qr, "subject"), "reference",
		                        subject);
	if (user != NULL && user[0] != '\0')
		cJSON_AddStringToObject(cJSON_AddObjectToObject(qr, "author"), "reference", user);
	items = cJSON_AddArrayToObject(qr, "item");
	build(&d, fhir_get(d.q->json, "item"), a->order, NULL, 1, items);
	if (d.all_evidence != NULL) {
		cJSON *answers = cJSON_GetObjectItemCaseSensitive(d.all_evidence, "answer");
		collect(items, a->order_ref, answers);
		if (cJSON_GetArraySize(answers) == 0) {
			cJSON_DetachItemViaPointer(d.all_parent, d.all_evidence);
			cJSON_Delete(d.all_evidence);
			/* its group, left empty, is dropped below: then the group is what is listed
			 */
			if (cJSON_GetArraySize(d.all_parent) == 0 && d.all_group_def != NULL) {
				if (flag(d.all_group_def, "required"))
					still_to_complete(&d, d.all_group_def, NULL, NULL);
			} else if (flag(d.all_def, "required")) {
				still_to_complete(&d, d.all_def, NULL, NULL);
			}
		}
	}
	/* a group left empty by the above is dropped (FHIR QuestionnaireResponse: items carry
	 * answers or items) */
	for (int k = cJSON_GetArraySize(items); k-- > 0;) {
		cJSON *it = cJSON_GetArrayItem(items, k);
		const cJSON *children = fhir_get(it, "item");

		if (children != NULL && cJSON_GetArraySize(children) == 0)
			cJSON_DeleteItemFromArray(items, k);
	}

	suggestion = cJSON_CreateObject();
	cJSON_AddStringToObject(suggestion, "label", labels[route]);
	engine__uuid(uuid);
	cJSON_AddStringToObject(suggestion, "uuid", uuid);
	action = cJSON_CreateObject();
	cJSON_AddStringToObject(action, "type", "create");
	snprintf(text, sizeof(text),
	         "Draft the %s (%s) as a QuestionnaireResponse pre-filled from the record; "
	         "%d item(s) are still to complete (listed on the card)",
	         names[route], fhir_get_string(d.q->json, "title"),
	         cJSON_GetArraySize(d.remaining));
	cJSON_AddStringToObject(action, "description", text);
	cJSON_AddItemToObject(action, "resource", qr);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(suggestion, "actions"), action);

	if (cJSON_GetArraySize(d.remaining) > 0) {
		size_t cap = 256, len;
		const cJSON *line;
		char *md;

		cJSON_ArrayForEach(line, d.remaining)
		{
			cap += strlen(line->valuestring) + 4;
		}
		md = fhir_arena_alloc(a->arena, cap);
		len =
		    (size_t)snprintf(md, cap,
		                     "\n\n**Still to complete** in the drafted %s (the record does "
		                     "not answer these%s):\n",
		                     names[route],
		                     route == ENGINE_ROUTE_IFR
		                         ? "; the case for exceptionality is the clinician's own"
		                         : "");
		cJSON_ArrayForEach(line, d.remaining)
		{
			len += (size_t)snprintf(md + len, cap - len, "\n- %s", line->valuestring);
		}
		*remaining_md = md;
	}
	cJSON_Delete(d.remaining);
	return suggestion;
}
