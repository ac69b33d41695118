/* policy.c — compiles one `*.policy.json` (policies/README.md) into struct engine_policy:
 * checks every member, parses every FHIRPath expression and text pattern once, and reports each
 * problem with the file and a JSON pointer. It does not resolve ValueSet urls (load.c does, once
 * every file is read) and never evaluates anything. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "path_pool.h"
#include "text_internal.h"

/* Where compilation is: the file, the reporter and the error count. */
struct reader {
	const char *file;
	const struct engine_reporter *rep;
	int errors;
	struct engine__path_pool *paths; /* may be NULL */
};

static void report(struct reader *r, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct reader *r, const char *pointer, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	r->errors++;
	if (r->rep != NULL && r->rep->report != NULL)
		r->rep->report(r->rep->ctx, r->file, pointer, message);
}

/* A string member: required ones report when absent; "" is never accepted. */
static char *get_string(struct reader *r, const cJSON *obj, const char *name, const char *base,
                        int required)
{
	const cJSON *item = fhir_get(obj, name);
	char ptr[256];

	snprintf(ptr, sizeof(ptr), "%s/%s", base, name);
	if (item == NULL) {
		if (required)
			report(r, ptr, "missing required string '%s'", name);
		return NULL;
	}
	if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
		report(r, ptr, "'%s' must be a non-empty string", name);
		return NULL;
	}
	return engine__strdup(item->valuestring);
}

static struct fhir_path *get_path(struct reader *r, const cJSON *obj, const char *name,
                                  const char *base, int required)
{
	const cJSON *item = fhir_get(obj, name);
	struct fhir_path *path = NULL;
	struct fhir_error err;
	char ptr[256];

	snprintf(ptr, sizeof(ptr), "%s/%s", base, name);
	if (item == NULL) {
		if (required)
			report(r, ptr, "missing required FHIRPath expression '%s'", name);
		return NULL;
	}
	if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
		report(r, ptr, "'%s' must be a FHIRPath expression string", name);
		return NULL;
	}
	if (engine__path_pool_compile(r->paths, item->valuestring, &path, &err) != FHIR_OK) {
		report(r, ptr, "FHIRPath: %s (at %s)", err.message, err.where);
		return NULL;
	}
	return path;
}

static unsigned get_keys(struct reader *r, const cJSON *obj, const char *name, const char *base)
{
	const cJSON *list = fhir_get(obj, name);
	const cJSON *item;
	unsigned bits = 0;
	size_t nkeys;
	const struct engine_prefetch_key *keys = engine_prefetch_keys(&nkeys);
	int i = 0;

	if (list == NULL)
		return 0;
	if (!cJSON_IsArray(list)) {
		report(r, base, "'%s' must be an array of prefetch keys", name);
		return 0;
	}
	cJSON_ArrayForEach(item, list)
	{
		size_t k;
		int found = 0;

		for (k = 0; k < nkeys && cJSON_IsString(item); k++) {
			if (strcmp(keys[k].key, item->valuestring) == 0) {
				bits |= 1u << k;
				found = 1;
			}
		}
		if (!found) {
			char ptr[256];

			snprintf(ptr, sizeof(ptr), "%s/%s/%d", base, name, i);
			report(r, ptr,
			       "unknown prefetch key (expected patient, conditions, "
			       "procedures, observations, medications or encounter)");
		}
		i++;
	}
	return bits;
}

/* An optional array member kept as JSON (links, suggestions, overrideReasons). */
static cJSON *get_array(struct reader *r, const cJSON *obj, const char *name, const char *base)
{
	const cJSON *item = fhir_get(obj, name);
	char ptr[256];

	if (item == NULL)
		return NULL;
	snprintf(ptr, sizeof(ptr), "%s/%s", base, name);
	if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) == 0) {
		report(r, ptr, "'%s' must be a non-empty array", name);
		return NULL;
	}
	return cJSON_Duplicate(item, 1);
}

/* Links: {label, url (absolute http(s))} (CDS Hooks 2.0 §Link). */
static void check_links(struct reader *r, const cJSON *links, const char *base)
{
	const cJSON *link;
	int i = 0;

	cJSON_ArrayForEach(link, links)
	{
		char ptr[256];
		const char *url = fhir_get_string(link, "url");

		snprintf(ptr, sizeof(ptr), "%s/links/%d", base, i++);
		if (fhir_get_string(link, "label") == NULL)
			report(r, ptr, "a link needs a 'label'");
		if (url == NULL ||
		    (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
			report(r, ptr, "a link needs an absolute http(s) 'url'");
	}
}

static void check_override_reasons(struct reader *r, const cJSON *reasons, const char *base)
{
	const cJSON *reason;
	int i = 0;

	cJSON_ArrayForEach(reason, reasons)
	{
		char ptr[128];

		snprintf(ptr, sizeof(ptr), "%s/overrideReasons/%d", base, i++);
		if (fhir_get_string(reason, "system") == NULL ||
		    fhir_get_string(reason, "code") == NULL ||
		    fhir_get_string(reason, "display") == NULL)
			report(r, ptr,
			       "an override reason is a Coding with system, code and display "
			       "(CDS Hooks 2.0 cds-resp-4)");
	}
}

/* Suggestion templates: label, actions with type/description, delete -> resourceId,
 * create/update -> resource with resourceType (CDS Hooks 2.0 §Suggestion, §Action). */
static void check_suggestions(struct reader *r, const cJSON *suggestions, const char *base)
{
	const cJSON *s;
	int i = 0;

	cJSON_ArrayForEach(s, suggestions)
	{
		char ptr[256];
		const cJSON *actions = fhir_get(s, "actions");
		const cJSON *a;
		int j = 0;

		snprintf(ptr, sizeof(ptr), "%s/suggestions/%d", base, i++);
		if (fhir_get_string(s, "label") == NULL)
			report(r, ptr, "a suggestion needs a 'label'");
		if (!cJSON_IsArray(actions) || cJSON_GetArraySize(actions) == 0) {
			report(r, ptr, "a suggestion needs a non-empty 'actions' array");
			continue;
		}
		cJSON_ArrayForEach(a, actions)
		{
			char aptr[300];
			const char *type = fhir_get_string(a, "type");

			snprintf(aptr, sizeof(aptr), "%s/actions/%d", ptr, j++);
			if (fhir_get_string(a, "description") == NULL)
				report(r, aptr, "an action needs a 'description'");
			if (type == NULL) {
				report(r, aptr, "an action needs a 'type'");
			} else if (strcmp(type, "delete") == 0) {
				if (fhir_get_string(a, "resourceId") == NULL ||
				    fhir_get(a, "resource") != NULL)
					report(r, aptr,
					       "a delete action names 'resourceId' and no "
					       "'resource' (cds-resp-2)");
			} else if (strcmp(type, "create") == 0 || strcmp(type, "update") == 0) {
				if (fhir_get_string(fhir_get(a, "resource"), "resourceType") ==
				    NULL)
					report(r, aptr,
					       "a %s action needs a 'resource' with a "
					       "resourceType",
					       type);
			} else {
				report(r, aptr, "action type must be create, update or delete");
			}
		}
	}
}

/* trigger.all (an array of concept-id groups "a|b") or trigger.none (one group): the strings
 * as written; load.c resolves the ids once the vocabulary is compiled. */
static char **get_groups(struct reader *r, const cJSON *trigger, const char *name, size_t *count)
{
	const cJSON *list = fhir_get(trigger, name);
	const cJSON *item;
	char ptr[64], **out;
	int i = 0;

	*count = 0;
	snprintf(ptr, sizeof(ptr), "/trigger/%s", name);
	if (list != NULL && !cJSON_IsArray(list))
		report(r, ptr, "must be an array of concept-id groups (\"id|id\")");
	out = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(char *));
	if (out == NULL)
		abort();
	cJSON_ArrayForEach(item, (cJSON_IsArray(list) ? list : NULL))
	{
		snprintf(ptr, sizeof(ptr), "/trigger/%s/%d", name, i++);
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
			report(r, ptr, "must be a concept id, or ids joined by '|'");
			continue;
		}
		out[(*count)++] = engine__strdup(item->valuestring);
	}
	return out;
}

static void compile_trigger(struct reader *r, const cJSON *json, struct engine_policy *p)
{
	const cJSON *trigger = fhir_get(json, "trigger");
	const cJSON *sets = fhir_get(trigger, "valueSets");
	const cJSON *item;
	int i = 0;

	if (!cJSON_IsObject(trigger)) {
		report(r, "/trigger", "missing 'trigger' object (valueSets and/or text)");
		return;
	}
	if (sets != NULL && !cJSON_IsArray(sets))
		report(r, "/trigger/valueSets", "must be an array of ValueSet urls");
	p->trigger_valuesets = calloc((size_t)cJSON_GetArraySize(sets) + 1, sizeof(char *));
	if (p->trigger_valuesets == NULL)
		abort();
	cJSON_ArrayForEach(item, (cJSON_IsArray(sets) ? sets : NULL))
	{
		char ptr[64];

		snprintf(ptr, sizeof(ptr), "/trigger/valueSets/%d", i++);
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
			report(r, ptr, "must be a ValueSet url");
		else
			p->trigger_valuesets[p->trigger_valueset_count++] =
			    engine__strdup(item->valuestring);
	}
	p->trigger_all_text = get_groups(r, trigger, "all", &p->trigger_all_count);
	{
		size_t n = 0, k, len = 0;
		char **none = get_groups(r, trigger, "none", &n);

		for (k = 0; k < n; k++)
			len += strlen(none[k]) + 1;
		if (n > 0) {
			size_t at = 0;

			p->trigger_none_text = calloc(len + 1, 1);
			if (p->trigger_none_text == NULL)
				abort();
			for (k = 0; k < n; k++) { /* "a|b|c", sized above */
				size_t m = strlen(none[k]);

				if (k > 0)
					p->trigger_none_text[at++] = '|';
				memcpy(p->trigger_none_text + at, none[k], m);
				at += m;
			}
		}
		for (k = 0; k < n; k++)
			free(none[k]);
		free(none);
	}
	if (p->trigger_valueset_count == 0 && p->trigger_all_count == 0)
		report(r, "/trigger",
		       "a trigger needs at least one ValueSet or 'all' concept group");
}

static void compile_lets(struct reader *r, const cJSON *json, struct engine_policy *p)
{
	const cJSON *lets = fhir_get(json, "let");
	const cJSON *item;
	int i = 0;

	if (lets == NULL)
		return;
	if (!cJSON_IsArray(lets)) {
		report(r, "/let", "'let' must be an array of {name, expr}");
		return;
	}
	p->lets = calloc((size_t)cJSON_GetArraySize(lets) + 1, sizeof(*p->lets));
	if (p->lets == NULL)
		abort();
	cJSON_ArrayForEach(item, lets)
	{
		char base[64];
		struct engine_let *let = &p->lets[p->let_count++];

		snprintf(base, sizeof(base), "/let/%d", i++);
		let->name = get_string(r, item, "name", base, 1);
		let->expr = get_path(r, item, "expr", base, 1);
	}
}

static void compile_criteria(struct reader *r, const cJSON *json, struct engine_policy *p)
{
	const cJSON *list = fhir_get(json, "criteria");
	const cJSON *item;
	int i = 0;

	if (list == NULL)
		return;
	if (!cJSON_IsArray(list)) {
		report(r, "/criteria", "'criteria' must be an array");
		return;
	}
	p->criteria = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*p->criteria));
	if (p->criteria == NULL)
		abort();
	cJSON_ArrayForEach(item, list)
	{
		char base[64];
		struct engine_criterion *c = &p->criteria[p->criterion_count++];
		char *otherwise;

		snprintf(base, sizeof(base), "/criteria/%d", i++);
		c->id = get_string(r, item, "id", base, 1);
		c->label = get_string(r, item, "label", base, 1);
		c->clause = get_string(r, item, "clause", base, 1);
		c->needs = get_keys(r, item, "needs", base);
		c->applies = get_path(r, item, "applies", base, 0);
		c->met = get_path(r, item, "met", base, 0);
		c->met_text = get_path(r, item, "metText", base, 0);
		if (fhir_get(item, "met") == NULL && fhir_get(item, "metText") == NULL)
			report(r, base,
			       "a criterion needs 'met' (coded evidence) or 'metText' "
			       "(evidence found by text), or both");
		c->unknown = get_path(r, item, "unknown", base, 0);
		c->not_met = get_path(r, item, "notMet", base, 0);
		c->not_met_label = get_string(r, item, "notMetLabel", base, 0);
		c->otherwise = ENGINE_NOT_MET;
		otherwise = get_string(r, item, "otherwise", base, 0);
		if (otherwise != NULL) {
			char ptr[96];

			snprintf(ptr, sizeof(ptr), "%s/otherwise", base);
			if (strcmp(otherwise, "unknown") == 0)
				c->otherwise = ENGINE_UNKNOWN;
			else if (strcmp(otherwise, "not-met") != 0)
				report(r, ptr, "'otherwise' must be 'not-met' or 'unknown'");
			free(otherwise);
		}
	}
}

static void compile_outcome(struct reader *r, const cJSON *item, const char *base,
                            struct engine_outcome *o)
{
	char ptr[128];
	char *text;
	const cJSON *recs = fhir_get(item, "recommendations");
	const cJSON *rec;

	o->id = get_string(r, item, "id", base, 1);
	o->applies = get_path(r, item, "applies", base, 0);
	o->when = get_path(r, item, "when", base, 1);
	o->is = 1;
	text = get_string(r, item, "is", base, 0);
	if (text != NULL) {
		snprintf(ptr, sizeof(ptr), "%s/is", base);
		if (strcmp(text, "false") == 0)
			o->is = 0;
		else if (strcmp(text, "unknown") == 0)
			o->is = -1;
		else if (strcmp(text, "true") != 0)
			report(r, ptr, "'is' must be \"true\", \"false\" or \"unknown\"");
		free(text);
	}
	text = get_string(r, item, "decision", base, 1);
	if (text != NULL) {
		int d = engine__find_code(engine__decision_codes, ENGINE_DECISION_COUNT, text);

		snprintf(ptr, sizeof(ptr), "%s/decision", base);
		if (d < 0)
			report(r, ptr, "unknown decision '%s' (policies.md fixed identifiers)",
			       text);
		o->decision = d < 0 ? ENGINE_CRITERIA_UNKNOWN : (enum engine_decision)d;
		free(text);
	}
	text = get_string(r, item, "indicator", base, 1);
	if (text != NULL) {
		int d = engine__find_code(engine__indicator_codes, 3, text);

		snprintf(ptr, sizeof(ptr), "%s/indicator", base);
		if (d < 0)
			report(r, ptr, "indicator must be info, warning or critical");
		o->indicator = d < 0 ? ENGINE_INFO : (enum engine_indicator)d;
		free(text);
	}
	if (recs != NULL && !cJSON_IsArray(recs)) {
		snprintf(ptr, sizeof(ptr), "%s/recommendations", base);
		report(r, ptr, "'recommendations' must be an array of codes");
	}
	cJSON_ArrayForEach(rec, (cJSON_IsArray(recs) ? recs : NULL))
	{
		int k = cJSON_IsString(rec) ? engine__find_recommendation(rec->valuestring) : -1;

		snprintf(ptr, sizeof(ptr), "%s/recommendations/%zu", base, o->recommendation_count);
		if (k < 0)
			report(r, ptr, "unknown recommendation (policies.md fixed identifiers)");
		else if (o->recommendation_count == ENGINE_MAX_RECOMMENDATIONS)
			report(r, ptr, "at most %d recommendations", ENGINE_MAX_RECOMMENDATIONS);
		else
			o->recommendations[o->recommendation_count++] = k;
	}
	o->summary = get_string(r, item, "summary", base, 1);
	o->detail = get_string(r, item, "detail", base, 0);
	o->suggestions = get_array(r, item, "suggestions", base);
	o->links = get_array(r, item, "links", base);
	check_suggestions(r, o->suggestions, base);
	check_links(r, o->links, base);
	o->quiet = cJSON_IsTrue(fhir_get(item, "quiet"));
	o->stop = cJSON_IsTrue(fhir_get(item, "stop"));
	/* card text that replaces the policy's (policies/README.md "outcomes") */
	if (cJSON_IsFalse(fhir_get(item, "evidence")))
		o->no_evidence = 1;
	else
		o->evidence = get_string(r, item, "evidence", base, 0);
	if (cJSON_IsFalse(fhir_get(item, "overrideReasons"))) {
		o->no_override_reasons = 1;
	} else {
		o->override_reasons = get_array(r, item, "overrideReasons", base);
		check_override_reasons(r, o->override_reasons, base);
	}
	snprintf(ptr, sizeof(ptr), "%s/policyLinks", base);
	if (fhir_get(item, "policyLinks") != NULL && !cJSON_IsBool(fhir_get(item, "policyLinks")))
		report(r, ptr, "'policyLinks' must be true or false");
	o->no_policy_links = cJSON_IsFalse(fhir_get(item, "policyLinks"));
}

static void compile_outcomes(struct reader *r, const cJSON *json, struct engine_policy *p)
{
	const cJSON *list = fhir_get(json, "outcomes");
	const cJSON *item;
	int i = 0;

	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
		report(r, "/outcomes", "'outcomes' must be a non-empty array");
		return;
	}
	p->outcomes = calloc((size_t)cJSON_GetArraySize(list), sizeof(*p->outcomes));
	if (p->outcomes == NULL)
		abort();
	cJSON_ArrayForEach(item, list)
	{
		char base[64];

		snprintf(base, sizeof(base), "/outcomes/%d", i++);
		compile_outcome(r, item, base, &p->outcomes[p->outcome_count++]);
	}
}

/* Names an expression may use: the built-ins, the lets before it, and in outcomes the criteria. */
struct scope_check {
	struct reader *r;
	const struct engine_policy *p;
	size_t lets_visible;
	int criteria_visible;
	const char *pointer;
	unsigned reads; /* bits of enum engine_key whose variable (%encounter ...) is named */
	/* the policy's environment as assess.c lays it out (built-ins, lets, criterion ids), the
	 * positions each expression's %names are bound to; NULL: not bound */
	const char **layout;
	size_t layout_count;
};

static const char *const builtin_vars[] = {
    "order",       "draftOrders", "patient", "conditions", "procedures",  "observations",
    "medications", "encounter",   "userId",  "patientId",  "encounterId", "deployment",
    "resource",    "context",     "ucum",    "sct",        "loinc"};

static int name_visible(const struct scope_check *s, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_vars) / sizeof(builtin_vars[0]); i++)
		if (strlen(builtin_vars[i]) == len && strncmp(builtin_vars[i], name, len) == 0)
			return 1;
	for (i = 0; i < s->lets_visible; i++)
		if (s->p->lets[i].name != NULL && strlen(s->p->lets[i].name) == len &&
		    strncmp(s->p->lets[i].name, name, len) == 0)
			return 1;
	for (i = 0; s->criteria_visible && i < s->p->criterion_count; i++)
		if (s->p->criteria[i].id != NULL && strlen(s->p->criteria[i].id) == len &&
		    strncmp(s->p->criteria[i].id, name, len) == 0)
			return 1;
	return 0;
}

static void check_var(void *ctx, const char *name)
{
	struct scope_check *s = ctx;
	size_t k;

	/* builtin_vars[2 + k] is the data of prefetch key k (patient ... encounter) */
	for (k = 0; k < ENGINE_KEY_COUNT; k++)
		if (strcmp(name, builtin_vars[2 + k]) == 0)
			s->reads |= 1u << k;
	if (!name_visible(s, name, strlen(name)))
		report(s->r, s->pointer,
		       "unknown variable %%%s here (not a built-in, an earlier "
		       "let%s)",
		       name, s->criteria_visible ? " or a criterion" : "");
}

static void check_placeholder(void *ctx, const char *name, size_t len)
{
	struct scope_check *s = ctx;

	if ((len == 5 && strncmp(name, "order", 5) == 0) ||
	    (len == 12 && strncmp(name, "commissioner", 12) == 0))
		return;
	if (len > 1 && name[0] == '%' && name_visible(s, name + 1, len - 1))
		return;
	report(s->r, s->pointer,
	       "unknown placeholder {{%.*s}} (use {{order}}, {{commissioner}} "
	       "or {{%%let}})",
	       (int)len, name);
}

static void check_path(struct scope_check *s, struct fhir_path *path, const char *pointer)
{
	if (path == NULL)
		return;
	s->pointer = pointer;
	fhir_path_each_variable(path, check_var, s);
	fhir_path_bind_variables(path, s->layout, s->layout_count);
}

/* The names of p's environment in assess.c's order (NEW: free; its strings are p's or static). */
static const char **env_layout(const struct engine_policy *p, size_t *count)
{
	size_t n = ENGINE_BUILTIN_VAR_COUNT + p->let_count + p->criterion_count, i;
	const char **names = calloc(n, sizeof(*names));

	if (names == NULL)
		abort(); /* architecture.md rule 5 */
	for (i = 0; i < ENGINE_BUILTIN_VAR_COUNT; i++)
		names[i] = engine__builtin_vars[i];
	for (i = 0; i < p->let_count; i++)
		names[ENGINE_BUILTIN_VAR_COUNT + i] = p->lets[i].name;
	for (i = 0; i < p->criterion_count; i++)
		names[ENGINE_BUILTIN_VAR_COUNT + p->let_count + i] = p->criteria[i].id;
	*count = n;
	return names;
}

static void check_template_json(struct scope_check *s, const cJSON *json, const char *pointer)
{
	const cJSON *child;

	if (json == NULL)
		return;
	if (cJSON_IsString(json)) {
		s->pointer = pointer;
		engine__each_placeholder(json->valuestring, check_placeholder, s);
	}
	cJSON_ArrayForEach(child, json)
	{
		check_template_json(s, child, pointer);
	}
}

/* Every %variable and {{placeholder}} must name something defined before it. Returns the
 * prefetch keys (bits of enum engine_key) the expressions read. */
static unsigned check_scopes(struct reader *r, const struct engine_policy *p)
{
	struct scope_check s = {r, p, 0, 0, NULL, 0, NULL, 0};
	char ptr[96];
	size_t i, j;

	s.layout = env_layout(p, &s.layout_count);

	for (i = 0; i < p->let_count; i++) {
		snprintf(ptr, sizeof(ptr), "/let/%zu/expr", i);
		s.lets_visible = i;
		check_path(&s, p->lets[i].expr, ptr);
		for (j = 0; j < i; j++)
			if (p->lets[i].name && p->lets[j].name &&
			    strcmp(p->lets[i].name, p->lets[j].name) == 0)
				report(r, ptr, "let '%s' is defined twice", p->lets[i].name);
	}
	s.lets_visible = p->let_count;
	for (i = 0; i < p->criterion_count; i++) {
		const struct engine_criterion *c = &p->criteria[i];

		snprintf(ptr, sizeof(ptr), "/criteria/%zu", i);
		check_path(&s, c->applies, ptr);
		check_path(&s, c->met, ptr);
		check_path(&s, c->met_text, ptr);
		check_path(&s, c->unknown, ptr);
		check_path(&s, c->not_met, ptr);
		for (j = 0; j < i; j++)
			if (c->id && p->criteria[j].id && strcmp(c->id, p->criteria[j].id) == 0)
				report(r, ptr, "criterion id '%s' is used twice", c->id);
		if (c->id != NULL &&
		    name_visible(&(struct scope_check){r, p, p->let_count, 0, NULL, 0, NULL, 0},
		                 c->id, strlen(c->id)))
			report(r, ptr, "criterion id '%s' hides a variable or let", c->id);
	}
	s.criteria_visible = 1;
	for (i = 0; i < p->outcome_count; i++) {
		const struct engine_outcome *o = &p->outcomes[i];

		snprintf(ptr, sizeof(ptr), "/outcomes/%zu", i);
		check_path(&s, o->applies, ptr);
		check_path(&s, o->when, ptr);
		s.criteria_visible = 0; /* card text sees the lets, not criteria */
		s.pointer = ptr;
		if (o->summary != NULL)
			engine__each_placeholder(o->summary, check_placeholder, &s);
		if (o->detail != NULL)
			engine__each_placeholder(o->detail, check_placeholder, &s);
		check_template_json(&s, o->suggestions, ptr);
		s.criteria_visible = 1;
	}
	free(s.layout);
	return s.reads;
}

/* ---- the lets each expression needs (assess.c evaluates a let when first needed) ------- */

struct let_names {
	const struct engine_policy *p;
	uint64_t *set; /* NULL until a let is named */
};

/* Adds let `name` (len bytes) to n->set when it is one (a name shared with a built-in counts:
 * evaluating a let too many is harmless, one too few is not). */
static void name_let(struct let_names *n, const char *name, size_t len)
{
	for (size_t i = 0; i < n->p->let_count; i++) {
		const char *let = n->p->lets[i].name;

		if (let == NULL || strncmp(let, name, len) != 0 || let[len] != '\0')
			continue;
		if (n->set == NULL)
			n->set = engine__set_new(NULL, ENGINE_SET_WORDS(n->p->let_count));
		engine__set_add(n->set, i);
	}
}

static void note_variable(void *ctx, const char *name)
{
	name_let(ctx, name, strlen(name));
}

static void note_placeholder(void *ctx, const char *name, size_t len)
{
	if (len > 1 && name[0] == '%')
		name_let(ctx, name + 1, len - 1);
}

static void note_template(struct let_names *n, const cJSON *json)
{
	const cJSON *child;

	if (cJSON_IsString(json))
		engine__each_placeholder(json->valuestring, note_placeholder, n);
	cJSON_ArrayForEach(child, json) note_template(n, child);
}

/* The lets `path` names (NEW set, or NULL: none), added to `into` when that is given. */
static uint64_t *lets_named(const struct engine_policy *p, const struct fhir_path *path,
                            uint64_t *into)
{
	struct let_names n = {p, into};

	if (path != NULL && p->let_count > 0)
		fhir_path_each_variable(path, note_variable, &n);
	return n.set;
}

/* Fills the let sets of p (engine_internal.h). `grouped[i]`: let i has filters answered in a
 * group of p->where_plan. */
static void plan_lazy_lets(struct engine_policy *p, const unsigned char *grouped)
{
	size_t words = ENGINE_SET_WORDS(p->let_count), i;
	uint64_t *group_reads = NULL; /* every let a grouped let names */
	struct let_names card = {p, NULL};

	for (i = 0; i < p->let_count; i++)
		if (grouped[i])
			group_reads = lets_named(p, p->lets[i].expr, group_reads);
	for (i = 0; i < p->let_count; i++) {
		struct engine_let *let = &p->lets[i];

		let->needs = lets_named(p, let->expr, NULL);
		for (size_t k = 0; grouped[i] && group_reads != NULL && k < i; k++) {
			if (!engine__set_has(group_reads, k))
				continue;
			if (let->needs == NULL)
				let->needs = engine__set_new(NULL, words);
			engine__set_add(let->needs, k);
		}
	}
	free(group_reads);
	for (i = 0; i < p->criterion_count; i++) {
		struct engine_criterion *c = &p->criteria[i];

		c->applies_lets = lets_named(p, c->applies, NULL);
		c->lets = lets_named(p, c->met, NULL);
		c->lets = lets_named(p, c->met_text, c->lets);
		c->lets = lets_named(p, c->unknown, c->lets);
		c->lets = lets_named(p, c->not_met, c->lets);
	}
	for (i = 0; i < p->outcome_count; i++) {
		struct engine_outcome *o = &p->outcomes[i];

		o->applies_lets = lets_named(p, o->applies, NULL);
		o->when_lets = lets_named(p, o->when, NULL);
		if (o->summary != NULL)
			engine__each_placeholder(o->summary, note_placeholder, &card);
		if (o->detail != NULL)
			engine__each_placeholder(o->detail, note_placeholder, &card);
		note_template(&card, o->suggestions);
	}
	for (i = 0; i < p->guard_count; i++)
		card.set = lets_named(p, p->guards[i].applies, card.set);
	p->card_lets = card.set;
}

/* Groups the lets' filters of one record variable (`%conditions.where(...)` in several lets)
 * so that a request answers them in one pass over the record (fhir_path_where_plan_add): let
 * i is evaluated with the built-ins and lets 0..i-1 defined (assess.c). Then the let sets. */
static void plan_let_filters(struct engine_policy *p)
{
	size_t count, i;
	const char **names = env_layout(p, &count);
	unsigned char *grouped = calloc(p->let_count + 1, 1);

	if (grouped == NULL)
		abort(); /* architecture.md rule 5 */
	p->where_plan = fhir_path_where_plan_new();
	for (i = 0; i < p->let_count; i++)
		grouped[i] = fhir_path_where_plan_add(p->where_plan, p->lets[i].expr, names,
		                                      ENGINE_BUILTIN_VAR_COUNT + i) > 0;
	if (fhir_path_where_plan_seal(p->where_plan) == 0) {
		fhir_path_where_plan_free(p->where_plan);
		p->where_plan = NULL;
		memset(grouped, 0, p->let_count + 1);
	}
	free(names);
	plan_lazy_lets(p, grouped);
	free(grouped);
}

/* Compiles the `applies` member of each object in `list` (links or suggestions at `base`) into
 * p->guards, checking its variables (lets and criteria in scope). Returns the prefetch keys it
 * reads (bits of enum engine_key). */
static unsigned compile_guard_list(struct reader *r, struct engine_policy *p, const cJSON *list,
                                   const char *base, const char *name)
{
	struct scope_check s = {r, p, p->let_count, 1, NULL, 0, NULL, 0};
	const cJSON *item;
	int i = 0;

	if (list == NULL)
		return 0;
	s.layout = env_layout(p, &s.layout_count);

	cJSON_ArrayForEach(item, list)
	{
		char ptr[160];
		struct fhir_path *path;
		struct engine_guard *grown;

		snprintf(ptr, sizeof(ptr), "%s/%s/%d", base, name, i++);
		if (fhir_get(item, "applies") == NULL)
			continue;
		path = get_path(r, item, "applies", ptr, 0);
		if (path == NULL)
			continue;
		check_path(&s, path, ptr);
		grown = realloc(p->guards, (p->guard_count + 1) * sizeof(*p->guards));
		if (grown == NULL)
			abort();
		p->guards = grown;
		p->guards[p->guard_count].item = item;
		p->guards[p->guard_count].applies = path;
		p->guard_count++;
	}
	free(s.layout);
	return s.reads;
}

/* `applies` guards of the policy's links and of every outcome's links and suggestions. */
static unsigned compile_guards(struct reader *r, struct engine_policy *p)
{
	unsigned reads = compile_guard_list(r, p, p->links, "", "links");
	size_t i;

	for (i = 0; i < p->outcome_count; i++) {
		char base[64];

		snprintf(base, sizeof(base), "/outcomes/%zu", i);
		reads |= compile_guard_list(r, p, p->outcomes[i].links, base, "links");
		reads |= compile_guard_list(r, p, p->outcomes[i].suggestions, base, "suggestions");
	}
	return reads;
}

int engine__policy_compile(const cJSON *json, const char *file, const struct engine_reporter *rep,
                           struct engine__path_pool *paths, struct engine_policy *p)
{
	struct reader r = {file, rep, 0, paths};
	const cJSON *commissioner = fhir_get(json, "commissioner");

	p->file = engine__strdup(file);
	if (!cJSON_IsObject(json)) {
		report(&r, "", "a policy file holds one JSON object");
		return r.errors;
	}
	p->id = get_string(&r, json, "id", "", 1);
	p->title = get_string(&r, json, "title", "", 1);
	p->version = get_string(&r, json, "version", "", 1);
	p->source_label = get_string(&r, json, "sourceLabel", "", 1);
	p->url = get_string(&r, json, "url", "", 0);
	p->evidence = get_string(&r, json, "evidence", "", 0);
	if (!cJSON_IsObject(commissioner))
		report(&r, "/commissioner", "missing 'commissioner' object {id, name}");
	p->commissioner_id = get_string(&r, commissioner, "id", "/commissioner", 1);
	p->commissioner_name = get_string(&r, commissioner, "name", "/commissioner", 1);
	p->links = get_array(&r, json, "links", "");
	check_links(&r, p->links, "");
	p->ifr = cJSON_Duplicate(fhir_get(json, "ifr"), 1);
	if (p->ifr != NULL && (fhir_get_string(p->ifr, "label") == NULL))
		report(&r, "/ifr", "'ifr' needs a 'label' (and a 'url' where one is known)");
	/* {"ifr" | "prior-approval": Questionnaire url}: resolved by questionnaire.c */
	p->questionnaires = cJSON_Duplicate(fhir_get(json, "questionnaires"), 1);
	p->override_reasons = get_array(&r, json, "overrideReasons", "");
	check_override_reasons(&r, p->override_reasons, "");
	p->requires = get_keys(&r, json, "requires", "");
	compile_trigger(&r, json, p);
	compile_lets(&r, json, p);
	compile_criteria(&r, json, p);
	compile_outcomes(&r, json, p);
	p->reads = check_scopes(&r, p);
	p->reads |= compile_guards(&r, p);
	if (r.errors == 0)
		plan_let_filters(p);
	return r.errors;
}

void engine__policy_free(struct engine_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->file);
	free(p->id);
	free(p->title);
	free(p->version);
	free(p->commissioner_id);
	free(p->commissioner_name);
	free(p->source_label);
	free(p->url);
	free(p->evidence);
	cJSON_Delete(p->links);
	cJSON_Delete(p->ifr);
	cJSON_Delete(p->questionnaires);
	cJSON_Delete(p->override_reasons);
	for (i = 0; i < p->trigger_all_count; i++) {
		free(p->trigger_all_text[i]);
		free(p->trigger_all != NULL ? p->trigger_all[i] : NULL);
	}
	free(p->trigger_all_text);
	free(p->trigger_all);
	free(p->trigger_none_text);
	free(p->trigger_none);
	for (i = 0; i < p->trigger_valueset_count; i++)
		free(p->trigger_valuesets[i]);
	free(p->trigger_valuesets);
	fhir_path_where_plan_free(p->where_plan);
	for (i = 0; i < p->let_count; i++) {
		free(p->lets[i].name);
		fhir_path_free(p->lets[i].expr);
		free(p->lets[i].needs);
	}
	free(p->lets);
	for (i = 0; i < p->criterion_count; i++) {
		struct engine_criterion *c = &p->criteria[i];

		free(c->id);
		free(c->label);
		free(c->clause);
		fhir_path_free(c->applies);
		fhir_path_free(c->met);
		fhir_path_free(c->met_text);
		fhir_path_free(c->unknown);
		fhir_path_free(c->not_met);
		free(c->applies_lets);
		free(c->lets);
		free(c->not_met_label);
	}
	free(p->criteria);
	for (i = 0; i < p->outcome_count; i++) {
		struct engine_outcome *o = &p->outcomes[i];

		free(o->id);
		fhir_path_free(o->applies);
		fhir_path_free(o->when);
		free(o->applies_lets);
		free(o->when_lets);
		free(o->summary);
		free(o->detail);
		cJSON_Delete(o->suggestions);
		cJSON_Delete(o->links);
		free(o->evidence);
		cJSON_Delete(o->override_reasons);
	}
	free(p->outcomes);
	for (i = 0; i < p->guard_count; i++)
		fhir_path_free(p->guards[i].applies);
	free(p->guards);
	free(p->card_lets);
	memset(p, 0, sizeof(*p));
}
