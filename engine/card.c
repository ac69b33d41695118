/* card.c — turns an assessment into CDS Hooks 2.0 JSON: the card (§Card, §Source,
 * §Suggestion, §Link, overrideReasons), its `cds-commissioning.assessment` extension, the
 * decision-log record and the decision extension recorded on the order at order-sign
 * (../shared/design/policies.md). It never emits null, "", [] or {} (CDS Hooks 2.0 §1). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"
#include "strmap.h"

/* Appends to a growing Markdown buffer held in the arena. */
struct text {
	struct fhir_arena *arena;
	char *buf;
	size_t len, cap;
};

/* Makes room for n more bytes and the NUL. */
static void grow(struct text *t, size_t n)
{
	size_t cap;
	char *bigger;

	if (t->len + n + 1 <= t->cap)
		return;
	cap = (t->len + n + 1) * 2;
	bigger = fhir_arena_alloc_raw(t->arena, cap); /* the text is NUL-terminated as it grows */
	if (t->len > 0)
		memcpy(bigger, t->buf, t->len);
	t->buf = bigger;
	t->cap = cap;
}

/* Appends the n bytes at s (NUL-terminated in the buffer). */
static void put_n(struct text *t, const char *s, size_t n)
{
	grow(t, n);
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void put(struct text *t, const char *s)
{
	put_n(t, s, strlen(s));
}

/* Appends the strings up to the NULL sentinel, each as printf's %s would (NULL as "(null)"):
 * the card's Markdown is mostly literal text and names, which need no format. */
static void put_all(struct text *t, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, t);
	while ((s = va_arg(ap, const char *)) != NULL)
		put(t, s);
	va_end(ap);
}
#define PUT(t, ...) put_all(t, __VA_ARGS__, (const char *)NULL)

/* s, or "(null)" as printf's %s prints a NULL. */
static const char *str(const char *s)
{
	return s != NULL ? s : "(null)";
}

/* The text of a collection item for {{%name}}: strings, numbers, booleans, dates. */
static const char *item_text(struct fhir_arena *arena, const struct fhir_value *v)
{
	char buf[64];

	switch (v->kind) {
	case FHIR_VALUE_STRING:
		return v->u.string;
	case FHIR_VALUE_BOOLEAN:
		return v->u.boolean ? "true" : "false";
	case FHIR_VALUE_INTEGER:
		return fhir_arena_printf(arena, "%lld", (long long)v->u.integer);
	case FHIR_VALUE_DECIMAL:
		return fhir_arena_printf(arena, "%g", v->u.decimal);
	case FHIR_VALUE_DATE:
	case FHIR_VALUE_DATETIME:
	case FHIR_VALUE_TIME:
		fhir_datetime_format(&v->u.datetime, buf, sizeof(buf));
		return fhir_arena_strdup(arena, buf);
	case FHIR_VALUE_QUANTITY:
		return fhir_arena_printf(arena, "%g %s", v->u.quantity.value,
		                         v->u.quantity.unit != NULL ? v->u.quantity.unit : "");
	case FHIR_VALUE_NODE:
		if (cJSON_IsString(v->node))
			return v->node->valuestring;
		if (cJSON_IsNumber(v->node))
			return fhir_arena_printf(arena, "%g", v->node->valuedouble);
		if (cJSON_IsBool(v->node))
			return cJSON_IsTrue(v->node) ? "true" : "false";
		return NULL;
	}
	return NULL;
}

static const char *lookup(const void *ctx, const char *name)
{
	const struct engine__assessment *a = ctx;
	size_t i, j;

	if (strcmp(name, "order") == 0)
		return a->order_ref;
	if (strcmp(name, "commissioner") == 0)
		return a->policy->commissioner_name;
	if (name[0] != '%')
		return NULL;
	for (i = a->var_count; i-- > 0;) {
		struct text t = {a->arena, NULL, 0, 0};

		if (a->vars[i].name == NULL || strcmp(a->vars[i].name, name + 1) != 0)
			continue;
		put(&t, "");
		for (j = 0; j < a->vars[i].value.count; j++) {
			const char *s = item_text(a->arena, &a->vars[i].value.items[j]);

			if (s == NULL)
				continue;
			if (t.len > 0)
				put(&t, ", ");
			put(&t, s);
		}
		return t.buf;
	}
	return NULL;
}

/* Template expansion (policies/README.md, `{{…}}` placeholders): text with each {{name}} replaced
 * by lookup's value ("" when it has none), literal runs copied whole, straight into t. */
struct expansion {
	struct text *t;
	const struct engine__assessment *a;
	const char *from; /* the first byte not yet copied */
};

static void expand_placeholder(void *ctx, const char *name, size_t len)
{
	struct expansion *x = ctx;
	const char *value = NULL;
	char copy[128];

	put_n(x->t, x->from, (size_t)(name - 2 - x->from));
	if (len < sizeof(copy)) {
		memcpy(copy, name, len);
		copy[len] = '\0';
		value = lookup(x->a, copy);
	}
	if (value != NULL)
		put(x->t, value);
	x->from = name + len + 2;
}

static void expand_into(struct text *t, const struct engine__assessment *a, const char *text)
{
	struct expansion x = {t, a, text};

	engine__each_placeholder(text, expand_placeholder, &x);
	put(t, x.from);
}

/* The expanded text, NEW in the arena. */
static const char *expand(const struct engine__assessment *a, const char *text)
{
	struct text t = {a->arena, NULL, 0, 0};

	expand_into(&t, a, text);
	return t.buf;
}

size_t engine__recommendations_of(const struct engine__assessment *a, int *out, size_t max)
{
	const struct engine_policy *p = a->policy;
	size_t n = 0, i, j, k;

	for (k = 0; k <= p->outcome_count; k++) {
		/* the chosen outcome first, then the others in file order */
		size_t o = k == 0 ? (size_t)a->chosen : k - 1;

		if (a->chosen < 0 || (k > 0 && (o == (size_t)a->chosen || !a->holds[o])))
			continue;
		for (i = 0; i < p->outcomes[o].recommendation_count; i++) {
			int r = p->outcomes[o].recommendations[i];
			int seen = 0;

			for (j = 0; j < n; j++)
				seen |= out[j] == r;
			if (!seen && n < max)
				out[n++] = r;
		}
	}
	return n;
}

/* "Type/id" of a resource, in the arena, or NULL (as fhir_resource_ref, without a format). */
static const char *ref_of(struct fhir_arena *arena, const cJSON *resource)
{
	const char *type = fhir_get_string(resource, "resourceType");
	const char *id = fhir_get_string(resource, "id");
	size_t tn, in;
	char *ref;

	if (type == NULL || id == NULL)
		return NULL;
	tn = strlen(type);
	in = strlen(id);
	ref = fhir_arena_alloc(arena, tn + in + 2);
	memcpy(ref, type, tn);
	ref[tn] = '/';
	memcpy(ref + tn + 1, id, in + 1);
	return ref;
}

void engine__evidence_refs(struct engine__assessment *a)
{
	for (size_t c = 0; c < a->policy->criterion_count; c++) {
		struct engine__criterion_result *r = &a->criteria[c];
		struct engine__strmap seen; /* linear in the evidence (strmap.c) */
		size_t i;

		r->refs = NULL;
		r->ref_count = 0;
		if (!r->assessed || r->evidence.count == 0)
			continue;
		r->refs = fhir_arena_alloc(a->arena, r->evidence.count * sizeof(*r->refs));
		engine__strmap_init(&seen, a->arena, r->evidence.count);
		for (i = 0; i < r->evidence.count; i++) {
			const char *ref;

			if (r->evidence.items[i].kind != FHIR_VALUE_NODE)
				continue;
			ref = ref_of(a->arena, r->evidence.items[i].node);
			if (ref == NULL || strlen(ref) >= 256 || /* as fhir_resource_ref's buffer */
			    engine__strmap_get(&seen, ref, strlen(ref)) != ENGINE_STRMAP_NONE)
				continue;
			engine__strmap_put(&seen, ref, strlen(ref), i);
			r->refs[r->ref_count++] = ref;
		}
	}
}

/* A member under a literal name, which cJSON then does not copy (cJSON_AddItemToObjectCS). */
static void add_item(cJSON *object, const char *literal_name, cJSON *item)
{
	cJSON_AddItemToObjectCS(object, literal_name, item);
}

static void add_string(cJSON *object, const char *literal_name, const char *value)
{
	add_item(object, literal_name, cJSON_CreateString(value));
}

static cJSON *add_array(cJSON *object, const char *literal_name)
{
	cJSON *array = cJSON_CreateArray();

	add_item(object, literal_name, array);
	return array;
}

static cJSON *add_object(cJSON *object, const char *literal_name)
{
	cJSON *member = cJSON_CreateObject();

	add_item(object, literal_name, member);
	return member;
}

/* A string member whose value is a literal too (a code of identifiers.c): not copied either. */
static void add_literal(cJSON *object, const char *literal_name, const char *literal_value)
{
	add_item(object, literal_name, cJSON_CreateStringReference(literal_value));
}

/* The phrases of r by the "Type/id" they start with ("Condition/c1: ‘?CES’ (…)"): *by_ref maps
 * each text before a ": " in a phrase (an id may itself hold ": ") to the first of a chain of
 * links, in phrase order; links[j] = {phrase, next link or ENGINE_STRMAP_NONE}. Arena. */
struct phrase_link {
	size_t phrase, next;
};
static struct phrase_link *phrases_by_ref(struct fhir_arena *arena,
                                          const struct engine__criterion_result *r,
                                          struct engine__strmap *by_ref)
{
	struct phrase_link *links = NULL;
	size_t count = 0, cap = 0;

	engine__strmap_init(by_ref, arena, r->phrase_count);
	for (size_t k = r->phrase_count; k-- > 0;) { /* last first: chains come out in order */
		for (const char *c = strstr(r->phrases[k], ": "); c != NULL;
		     c = strstr(c + 1, ": ")) {
			size_t len = (size_t)(c - r->phrases[k]);

			if (count == cap) {
				struct phrase_link *bigger;

				cap = cap ? cap * 2 : r->phrase_count + 4;
				bigger = fhir_arena_alloc(arena, cap * sizeof(*bigger));
				if (count > 0)
					memcpy(bigger, links, count * sizeof(*links));
				links = bigger;
			}
			links[count].phrase = k;
			links[count].next = engine__strmap_put(by_ref, r->phrases[k], len, count);
			count++;
		}
	}
	return links;
}

static void put_criteria(struct text *t, const struct engine__assessment *a)
{
	const struct engine_policy *p = a->policy;
	static const char *const state_words[3] = {"Met", "Not met", "Unknown"};
	size_t i;
	int unknown = 0;

	/* a critical card carries only what is needed to act: the findings behind it */
	int critical = p->outcomes[a->chosen].indicator == ENGINE_CRITICAL;

	int versioned = strstr(p->source_label, p->version) != NULL;

	PUT(t, critical ? "\n\n**Found in the record** (" : "\n\n**Criteria: ", p->source_label,
	    versioned ? "" : ", version ", versioned ? "" : p->version, critical ? ")\n" : "**\n");
	for (i = 0; i < p->criterion_count; i++) {
		const struct engine__criterion_result *r = &a->criteria[i];
		struct engine__strmap by_ref;
		struct phrase_link *links = NULL;

		if (!r->assessed || (critical && r->state != ENGINE_MET))
			continue;
		unknown |= r->state == ENGINE_UNKNOWN;
		/* the label, never the internal id (that stays in the assessment extension); an
		 * absent red flag reads as the policy words it ("Not recorded") */
		PUT(t, "\n- **",
		    r->state == ENGINE_NOT_MET && r->criterion->not_met_label
		        ? r->criterion->not_met_label
		        : state_words[r->state],
		    "**: ", str(r->criterion->label));
		if (r->ref_count > 0 && r->phrase_count > 0)
			links = phrases_by_ref(a->arena, r, &by_ref);
		for (size_t j = 0; j < r->ref_count; j++) {
			const char *ref = r->refs[j];
			size_t len = strlen(ref), k;
			int named = 0;

			PUT(t, j == 0 ? ". Evidence: `" : ", `", ref, "`");
			/* every text-derived state names the resource and the phrase behind it:
			 * phrases are "Type/id: ‘words’ (concept, status)" */
			if (links == NULL)
				continue;
			for (k = engine__strmap_get(&by_ref, ref, len); k != ENGINE_STRMAP_NONE;
			     k = links[k].next)
				PUT(t, named++ ? "; " : " ", r->phrases[links[k].phrase] + len + 2);
		}
		if (r->on_text && r->phrase_count == 0)
			put(t, " (matched on text)");
		if (r->note != NULL)
			PUT(t, " (", r->note, ")");
	}
	if (!unknown)
		return;
	put(t, "\n\n**To document** so that the policy can be applied:\n");
	for (i = 0; i < p->criterion_count; i++)
		if (a->criteria[i].assessed && a->criteria[i].state == ENGINE_UNKNOWN)
			PUT(t, "\n- ", str(a->criteria[i].criterion->label));
}

static const char *detail(const struct engine__assessment *a)
{
	const struct engine_policy *p = a->policy;
	const struct engine_outcome *o = &p->outcomes[a->chosen];
	struct text t = {a->arena, NULL, 0, 0};
	size_t i;
	int others = 0;

	expand_into(&t, a, o->detail != NULL ? o->detail : o->summary);
	for (i = 0; i < p->outcome_count; i++) {
		if (!a->holds[i] || (int)i == a->chosen)
			continue;
		if (!others++)
			put(&t, "\n\n**Other findings**\n");
		put(&t, "\n- ");
		expand_into(&t, a, p->outcomes[i].summary);
	}
	/* NHS England "Who Pays?": say when the practice did not give the commissioner (not on a
	 * critical card: an urgent referral does not wait on who pays) */
	if (a->responsible != NULL && a->responsible->how == ENGINE_WHO_NOT_DETERMINED &&
	    o->indicator != ENGINE_CRITICAL)
		PUT(&t, "\n\n**Responsible commissioner not determined** (",
		    str(a->responsible->why), "): this card applies the policy of ",
		    str(p->commissioner_name),
		    ", one of the commissioners this service serves. The patient's registered GP "
		    "practice decides whose policy applies (NHS England, *Who Pays?*): check it in "
		    "the record.");
	else if (a->responsible != NULL && a->responsible->how == ENGINE_WHO_DEFAULT)
		PUT(&t, "\n\n_Responsible commissioner: ", str(p->commissioner_name),
		    ", this service's default (", str(a->responsible->why), ")._");
	put_criteria(&t, a);
	if (a->triggered_on_text && a->order_text != NULL)
		PUT(&t, "\n\n_This order was recognised from its text (\"", a->order_text,
		    "\"), not from a code._");
	/* the outcome's evidence replaces the policy's; `"evidence": false` drops it (a critical
	 * card carries only what is needed to act) */
	if (!o->no_evidence && (o->evidence != NULL || p->evidence != NULL))
		PUT(&t, "\n\n", o->evidence != NULL ? o->evidence : p->evidence);
	return t.buf;
}

/* Expands every string of a template in place. */
static void expand_json(const struct engine__assessment *a, cJSON *json)
{
	cJSON *child;

	if (cJSON_IsString(json) && strstr(json->valuestring, "{{") != NULL) {
		cJSON_SetValuestring(json, expand(a, json->valuestring));
		return;
	}
	cJSON_ArrayForEach(child, json)
	{
		expand_json(a, child);
	}
}

/* 1 when a link or suggestion template may be shown: it has no `applies` guard, or its guard is
 * true for this order (policies/README.md "links", "suggestions"). `item` is the policy's own
 * template node, matched by address with the guards compiled at load. */
static int guard_allows(const struct engine__assessment *a, const cJSON *item)
{
	const struct engine_policy *p = a->policy;
	size_t i;

	for (i = 0; i < p->guard_count; i++) {
		struct fhir_collection input = {0}, out = {0};
		struct fhir_error err;

		if (p->guards[i].item != item)
			continue;
		fhir_collection_push_node(&input, a->arena, a->order);
		if (fhir_path_eval(p->guards[i].applies, &input, &a->env, &out, &err) != FHIR_OK)
			return 0; /* a guard that cannot be evaluated hides the item */
		return fhir_collection_truth(&out) == 1;
	}
	return 1;
}

/* CDS Hooks 2.0 §Action `update`: the whole updated resource. A copy of the assessed order with
 * each top-level member of the template replacing the order's (a JSON null removes it), so the
 * draft keeps its id and everything the template does not name; then the deployment's
 * `suggestionUpdateExtensions` are appended to its `extension` (policies/README.md). NEW. */
static cJSON *updated_order(const struct engine__assessment *a, const cJSON *template)
{
	cJSON *merged = cJSON_Duplicate(a->order, 1);
	const cJSON *member, *extra;
	cJSON *extensions;

	cJSON_ArrayForEach(member, template)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(merged, member->string);
		if (!cJSON_IsNull(member))
			cJSON_AddItemToObject(merged, member->string, cJSON_Duplicate(member, 1));
	}
	extra = fhir_get(a->engine->deployment, "suggestionUpdateExtensions");
	if (!cJSON_IsArray(extra) || cJSON_GetArraySize(extra) == 0)
		return merged;
	extensions = cJSON_GetObjectItemCaseSensitive(merged, "extension");
	if (!cJSON_IsArray(extensions)) {
		cJSON_DeleteItemFromObjectCaseSensitive(merged, "extension");
		extensions = cJSON_AddArrayToObject(merged, "extension");
	}
	cJSON_ArrayForEach(member, extra)
	{
		cJSON_AddItemToArray(extensions, cJSON_Duplicate(member, 1));
	}
	return merged;
}

/* An update targets the order's id (CDS Hooks 2.0 §Action): a suggestion for an order named only
 * by its draftOrders entry's fullUrl (no id) keeps its other actions. */
static void drop_updates(cJSON *s)
{
	cJSON *actions = cJSON_GetObjectItemCaseSensitive(s, "actions");

	for (int j = cJSON_GetArraySize(actions) - 1; j >= 0; j--) {
		const char *type = fhir_get_string(cJSON_GetArrayItem(actions, j), "type");

		if (type != NULL && strcmp(type, "update") == 0)
			cJSON_DeleteItemFromArray(actions, j);
	}
	if (cJSON_IsArray(actions) && cJSON_GetArraySize(actions) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(s, "actions");
}

/* Suggestions from the outcome's templates whose `applies` guard holds (CDS Hooks 2.0
 * §Suggestion, §Action): placeholders filled, `copy` members copied from the order into a
 * created resource, an `update` resource merged over a copy of the order. NEW array, or NULL
 * when no suggestion applies. */
static cJSON *suggestions(const struct engine__assessment *a, const cJSON *templates)
{
	cJSON *list = NULL;
	const cJSON *template;

	cJSON_ArrayForEach(template, templates)
	{
		char uuid[37];
		cJSON *s, *action;

		if (!guard_allows(a, template))
			continue;
		s = cJSON_Duplicate(template, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(s, "applies");
		expand_json(a, s);
		engine__uuid(uuid);
		add_string(s, "uuid", uuid);
		cJSON_ArrayForEach(action, fhir_get(s, "actions"))
		{
			cJSON *copy = cJSON_DetachItemFromObjectCaseSensitive(action, "copy");
			cJSON *resource = cJSON_GetObjectItemCaseSensitive(action, "resource");
			const char *type = fhir_get_string(action, "type");
			const cJSON *member;

			if (type != NULL && strcmp(type, "update") == 0 &&
			    cJSON_IsObject(resource)) {
				cJSON_ReplaceItemInObjectCaseSensitive(action, "resource",
				                                       updated_order(a, resource));
				cJSON_Delete(copy);
				continue;
			}
			cJSON_ArrayForEach(member, copy)
			{
				const cJSON *from;

				if (!cJSON_IsString(member) || !cJSON_IsObject(resource))
					continue;
				from = fhir_get(a->order, member->valuestring);
				if (from == NULL)
					continue;
				cJSON_DeleteItemFromObjectCaseSensitive(resource,
				                                        member->valuestring);
				cJSON_AddItemToObject(resource, member->valuestring,
				                      cJSON_Duplicate(from, 1));
			}
			cJSON_Delete(copy);
		}
		if (fhir_get_string(a->order, "id") == NULL)
			drop_updates(s);
		if (list == NULL)
			list = cJSON_CreateArray();
		cJSON_AddItemToArray(list, s);
	}
	return list;
}

static void add_link(cJSON **links, const char *label, const char *url)
{
	cJSON *link, *seen;

	if (label == NULL || url == NULL)
		return;
	cJSON_ArrayForEach(seen, *links)
	{
		if (strcmp(fhir_get_string(seen, "url"), url) == 0)
			return;
	}
	if (*links == NULL)
		*links = cJSON_CreateArray();
	link = cJSON_CreateObject();
	add_string(link, "label", label);
	add_string(link, "url", url);
	add_literal(link, "type", "absolute");
	cJSON_AddItemToArray(*links, link);
}

/* The card's links: the outcome's, then the policy's (unless the outcome says
 * `"policyLinks": false`), each only when its `applies` guard holds, then the IFR route when
 * `ifr` is recommended. NEW array or NULL. */
static cJSON *links(const struct engine__assessment *a, const int *recs, size_t nrecs)
{
	const struct engine_policy *p = a->policy;
	const struct engine_outcome *o = &p->outcomes[a->chosen];
	cJSON *list = NULL;
	const cJSON *link;
	size_t i;

	cJSON_ArrayForEach(link, o->links)
	{
		if (guard_allows(a, link))
			add_link(&list, fhir_get_string(link, "label"),
			         fhir_get_string(link, "url"));
	}
	cJSON_ArrayForEach(link, (o->no_policy_links ? NULL : p->links))
	{
		if (guard_allows(a, link))
			add_link(&list, fhir_get_string(link, "label"),
			         fhir_get_string(link, "url"));
	}
	for (i = 0; i < nrecs; i++)
		if (strcmp(engine__recommendations[recs[i]].code, "ifr") == 0 && p->ifr != NULL)
			add_link(&list, fhir_get_string(p->ifr, "label"),
			         fhir_get_string(p->ifr, "url"));
	return list;
}

/* The `cds-commissioning.assessment` member (policies.md "machine-readable decision"). */
static cJSON *assessment_json(const struct engine__assessment *a, const int *recs, size_t nrecs)
{
	const struct engine_policy *p = a->policy;
	cJSON *json = cJSON_CreateObject();
	cJSON *criteria = NULL;
	size_t i;

	add_string(json, "id", a->assessment_id);
	add_string(json, "policy", p->id);
	add_string(json, "policyVersion", p->version);
	if (p->has_effective_from) /* policies/README.md "Dates" */
		add_string(json, "policyEffectiveFrom", p->effective_from);
	if (p->has_review_date)
		add_string(json, "policyReviewDate", p->review_date);
	add_string(json, "commissioner", p->commissioner_id);
	if (a->responsible != NULL) /* how the commissioner was determined (commissioner.c) */
		add_item(json, "responsibleCommissioner",
		         engine__commissioner_json(a->responsible));
	add_string(json, "order", a->order_ref);
	add_literal(json, "decision", engine__decision_codes[p->outcomes[a->chosen].decision]);
	if (nrecs > 0) {
		cJSON *list = add_array(json, "recommendations");

		for (i = 0; i < nrecs; i++)
			cJSON_AddItemToArray(
			    list, cJSON_CreateString(engine__recommendations[recs[i]].code));
	}
	if (a->triggered_on_text)
		add_item(json, "matchedOnText", cJSON_CreateTrue());
	for (i = 0; i < p->criterion_count; i++) {
		const struct engine__criterion_result *r = &a->criteria[i];
		cJSON *c;

		if (!r->assessed)
			continue;
		if (criteria == NULL)
			criteria = add_array(json, "criteria");
		c = cJSON_CreateObject();
		add_string(c, "id", r->criterion->id);
		add_string(c, "clause", r->criterion->clause);
		add_literal(c, "state", engine__state_codes[r->state]);
		if (r->ref_count > 0) {
			cJSON *refs = cJSON_CreateArray();

			for (size_t k = 0; k < r->ref_count; k++)
				cJSON_AddItemToArray(refs, cJSON_CreateString(r->refs[k]));
			add_item(c, "evidence", refs);
		}
		if (r->on_text)
			add_item(c, "matchedOnText", cJSON_CreateTrue());
		if (r->phrase_count > 0) {
			cJSON *phrases = add_array(c, "text");

			for (size_t k = 0; k < r->phrase_count; k++)
				cJSON_AddItemToArray(phrases, cJSON_CreateString(r->phrases[k]));
		}
		if (r->note != NULL)
			add_string(c, "note", r->note);
		cJSON_AddItemToArray(criteria, c);
	}
	return json;
}

cJSON *engine__card(const struct engine__assessment *a)
{
	const struct engine_policy *p = a->policy;
	const struct engine_outcome *o = &p->outcomes[a->chosen];
	int recs[ENGINE_MAX_RECOMMENDATIONS * 4];
	size_t nrecs = engine__recommendations_of(a, recs, sizeof(recs) / sizeof(recs[0]));
	cJSON *card, *source, *topic, *ext, *list, *draft;
	const char *remaining = NULL;
	char uuid[37];
	char *summary;

	if (o->quiet && !a->engine->show_quiet)
		return NULL;
	card = cJSON_CreateObject();
	engine__uuid(uuid);
	add_string(card, "uuid", uuid);
	summary = fhir_arena_strdup(a->arena, expand(a, o->summary));
	engine__truncate_utf8(summary, ENGINE_SUMMARY_LIMIT);
	add_string(card, "summary", summary);
	add_literal(card, "indicator", engine__indicator_codes[o->indicator]);
	/* issue 15: the IFR / prior-approval request drafted from the record, and what it leaves */
	draft = engine__draft_suggestion(a, recs, nrecs, &remaining);
	add_string(card, "detail",
	           remaining == NULL ? detail(a)
	                             : fhir_arena_printf(a->arena, "%s%s", detail(a), remaining));
	source = add_object(card, "source");
	add_string(source, "label", p->source_label);
	if (p->url != NULL)
		add_string(source, "url", p->url);
	topic = add_object(source, "topic");
	if (nrecs > 0) {
		add_literal(topic, "system", ENGINE_RECOMMENDATION_SYSTEM);
		add_literal(topic, "code", engine__recommendations[recs[0]].code);
		add_literal(topic, "display", engine__recommendations[recs[0]].display);
	} else {
		add_literal(topic, "system", "urn:cds-commissioning:decision");
		add_literal(topic, "code", engine__decision_codes[o->decision]);
	}
	list = suggestions(a, o->suggestions);
	if (draft != NULL) {
		if (list == NULL)
			list = cJSON_CreateArray();
		cJSON_AddItemToArray(list, draft);
	}
	if (list != NULL) { /* CDS Hooks 2.0 cds-resp-6: selectionBehavior with suggestions */
		add_item(card, "suggestions", list);
		add_literal(card, "selectionBehavior", "at-most-one");
	}
	/* the outcome's override reasons replace the policy's (a critical card offers only those
	 * that do not contradict it); `"overrideReasons": false` offers none */
	if (o->indicator != ENGINE_INFO && !o->no_override_reasons &&
	    (o->override_reasons != NULL || p->override_reasons != NULL))
		add_item(card, "overrideReasons",
		         cJSON_Duplicate(o->override_reasons != NULL ? o->override_reasons
		                                                     : p->override_reasons,
		                         1));
	list = links(a, recs, nrecs);
	if (list != NULL)
		add_item(card, "links", list);
	ext = add_object(card, "extension");
	add_item(ext, "cds-commissioning.assessment", assessment_json(a, recs, nrecs));
	return card;
}

cJSON *engine__log_record(const struct engine__assessment *a, const char *card_uuid)
{
	int recs[ENGINE_MAX_RECOMMENDATIONS * 4];
	size_t nrecs = engine__recommendations_of(a, recs, sizeof(recs) / sizeof(recs[0]));
	cJSON *record = assessment_json(a, recs, nrecs);
	cJSON *outcomes = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < a->policy->outcome_count; i++)
		if (a->holds[i])
			cJSON_AddItemToArray(outcomes,
			                     cJSON_CreateString(a->policy->outcomes[i].id));
	add_item(record, "outcomes", outcomes);
	if (card_uuid != NULL)
		add_string(record, "card", card_uuid);
	return record;
}

static void add_sub(cJSON *list, const char *url, const char *type, const char *value)
{
	cJSON *ext = cJSON_CreateObject();

	add_string(ext, "url", url);
	add_string(ext, type, value); /* type: a literal, "valueString" or "valueCode" */
	cJSON_AddItemToArray(list, ext);
}

/* policies.md "System actions and the record of the decision": a complex extension with
 * policy, policyVersion, commissioner, decision, recommendation(s) and assessment id. */
cJSON *engine__decision_extension(const struct engine__assessment *a)
{
	int recs[ENGINE_MAX_RECOMMENDATIONS * 4];
	size_t nrecs = engine__recommendations_of(a, recs, sizeof(recs) / sizeof(recs[0]));
	cJSON *ext = cJSON_CreateObject();
	cJSON *subs;
	size_t i;

	add_literal(ext, "url", ENGINE_DECISION_EXTENSION_URL);
	subs = add_array(ext, "extension");
	add_sub(subs, "policy", "valueString", a->policy->id);
	add_sub(subs, "policyVersion", "valueString", a->policy->version);
	add_sub(subs, "commissioner", "valueString", a->policy->commissioner_name);
	if (a->responsible != NULL)
		add_sub(subs, "commissionerDeterminedBy", "valueString",
		        a->responsible->determined_by);
	add_sub(subs, "decision", "valueCode",
	        engine__decision_codes[a->policy->outcomes[a->chosen].decision]);
	for (i = 0; i < nrecs; i++)
		add_sub(subs, "recommendation", "valueCode", engine__recommendations[recs[i]].code);
	add_sub(subs, "assessment", "valueString", a->assessment_id);
	return ext;
}
