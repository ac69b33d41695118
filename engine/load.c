/* load.c — engine_load: parses the configuration files (policies, ValueSets, deployment),
 * compiles every policy, resolves trigger ValueSets and builds the code -> policies index.
 * Every error is reported with its file and JSON pointer; a configuration with any error is
 * refused whole. This is the only place the engine reads its inputs; it does no file I/O itself
 * (cds-hooks/ reads the files or hands over the embedded ones). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "path_pool.h"
#include "text_internal.h"

/* CDS Hooks 2.0 §Prefetch tokens: only {{context.patientId}} and {{context.encounterId}}. */
static const struct engine_prefetch_key prefetch_keys[ENGINE_KEY_COUNT] = {
    {"patient", "Patient/{{context.patientId}}", "Patient"},
    {"conditions", "Condition?patient={{context.patientId}}", "Condition"},
    {"procedures", "Procedure?patient={{context.patientId}}", "Procedure"},
    {"observations", "Observation?patient={{context.patientId}}", "Observation"},
    {"medications", "MedicationRequest?patient={{context.patientId}}", "MedicationRequest"},
    {"encounter", "Encounter/{{context.encounterId}}", "Encounter"},
};

const struct engine_prefetch_key *engine_prefetch_keys(size_t *count)
{
	*count = ENGINE_KEY_COUNT;
	return prefetch_keys;
}

static void report(const struct engine_reporter *rep, const char *file, const char *pointer,
                   const char *message)
{
	if (rep != NULL && rep->report != NULL)
		rep->report(rep->ctx, file, pointer, message);
}

/* Parses a file's JSON; on failure reports the line and column of the error. */
static cJSON *parse_file(const struct engine_file *f, const struct engine_reporter *rep)
{
	const char *end = NULL;
	cJSON *json = cJSON_ParseWithLengthOpts(f->text, f->length, &end, 0);

	/* nothing but white space may follow the value */
	while (json != NULL && end != NULL && end < f->text + f->length &&
	       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
		end++;
	if (json != NULL && end != NULL && end < f->text + f->length && *end != '\0') {
		cJSON_Delete(json);
		json = NULL;
	}
	if (json == NULL) {
		char where[64], message[128];
		size_t line = 1, col = 1;
		const char *p;

		for (p = f->text; end != NULL && p < end && p < f->text + f->length; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		snprintf(where, sizeof(where), "line %zu, column %zu", line, col);
		snprintf(message, sizeof(message), "not valid JSON (error near %s)", where);
		report(rep, f->name, "", message);
	}
	return json;
}

/* deployment.json "extraTriggers" (policies/README.md): {policy id: [ValueSet url, ...]}; its
 * shape only (the ids and urls are resolved by link_policies). Returns the errors reported. */
static int check_extra_triggers(const cJSON *extra, const char *file,
                                const struct engine_reporter *rep)
{
	const cJSON *policy, *url;
	char ptr[160];
	int errors = 0;

	if (extra == NULL)
		return 0;
	if (!cJSON_IsObject(extra)) {
		report(rep, file, "/extraTriggers",
		       "must be an object {policy id: [ValueSet url, ...]}");
		return 1;
	}
	cJSON_ArrayForEach(policy, extra)
	{
		snprintf(ptr, sizeof(ptr), "/extraTriggers/%.120s", policy->string);
		if (!cJSON_IsArray(policy) || cJSON_GetArraySize(policy) == 0) {
			report(rep, file, ptr,
			       "must list the ValueSet urls that also trigger the policy");
			errors++;
			continue;
		}
		cJSON_ArrayForEach(url, policy)
		{
			if (!cJSON_IsString(url) || url->valuestring[0] == '\0') {
				report(rep, file, ptr, "ValueSet urls are non-empty strings");
				errors++;
			}
		}
	}
	return errors;
}

/* deployment.json (policies/README.md): name, commissioners, setting, showQuietCards,
 * extraTriggers. */
static int load_deployment(struct engine *e, cJSON *json, const char *file,
                           const struct engine_reporter *rep)
{
	const cJSON *list = fhir_get(json, "commissioners");
	const cJSON *item;
	int errors = 0;

	if (e->deployment != NULL) { /* a second one: counted as an error by engine_load */
		cJSON_Delete(json);
		return 0;
	}
	if (!cJSON_IsObject(json)) {
		report(rep, file, "", "the deployment is one JSON object");
		cJSON_Delete(json);
		return 1;
	}
	e->deployment = json;
	e->deployment_name = fhir_get_string(json, "name");
	if (e->deployment_name == NULL) {
		report(rep, file, "/name", "missing required string 'name'");
		errors++;
	}
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
		report(rep, file, "/commissioners",
		       "'commissioners' must list the commissioner ids "
		       "served");
		errors++;
	}
	cJSON_ArrayForEach(item, (cJSON_IsArray(list) ? list : NULL))
	{
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0') {
			report(rep, file, "/commissioners",
			       "commissioner ids are non-empty strings");
			errors++;
		}
	}
	item = fhir_get(json, "showQuietCards");
	if (item != NULL && !cJSON_IsBool(item)) {
		report(rep, file, "/showQuietCards", "must be true or false");
		errors++;
	}
	e->show_quiet = cJSON_IsTrue(item);
	errors += engine__schema_check_deployment(json, file, rep);
	return errors + check_extra_triggers(fhir_get(json, "extraTriggers"), file, rep);
}

static int serves(const struct engine *e, const char *commissioner)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, fhir_get(e->deployment, "commissioners"))
	{
		if (cJSON_IsString(item) && commissioner != NULL &&
		    strcmp(item->valuestring, commissioner) == 0)
			return 1;
	}
	return 0;
}

/* Makes ValueSet number n trigger policy i (when the deployment serves it). */
static void add_trigger(struct engine *e, size_t n, size_t i)
{
	struct engine_list *l;

	if (n >= e->valueset_trigger_count) {
		size_t count = n + 1;

		e->valueset_triggers =
		    realloc(e->valueset_triggers, count * sizeof(*e->valueset_triggers));
		if (e->valueset_triggers == NULL)
			abort();
		memset(e->valueset_triggers + e->valueset_trigger_count, 0,
		       (count - e->valueset_trigger_count) * sizeof(*e->valueset_triggers));
		e->valueset_trigger_count = count;
	}
	l = &e->valueset_triggers[n];
	if (e->policies[i].active && (l->count == 0 || l->items[l->count - 1] != i))
		engine__list_add(l, i);
}

/* The deployment's extraTriggers: ValueSets a deployment adds to a policy's trigger.valueSets
 * (e.g. the demo deployment's CDS Hooks Sandbox CPT codes for the NWL policy). Unknown policy
 * ids and ValueSet urls are errors. Returns the errors reported. */
static int link_extra_triggers(struct engine *e, const struct engine_reporter *rep)
{
	const cJSON *policy, *url;
	int errors = 0;

	cJSON_ArrayForEach(policy, fhir_get(e->deployment, "extraTriggers"))
	{
		size_t i = 0, j = 0;
		char ptr[200];

		while (i < e->policy_count && (e->policies[i].id == NULL ||
		                               strcmp(e->policies[i].id, policy->string) != 0))
			i++;
		snprintf(ptr, sizeof(ptr), "/extraTriggers/%.120s", policy->string);
		if (i == e->policy_count) {
			report(rep, "deployment.json", ptr, "no policy with this id is loaded");
			errors++;
			continue;
		}
		cJSON_ArrayForEach(url, policy)
		{
			long n = fhir_valueset_number(e->valuesets, url->valuestring);

			snprintf(ptr, sizeof(ptr), "/extraTriggers/%.120s/%zu", policy->string,
			         j++);
			if (n < 0) {
				report(rep, "deployment.json", ptr,
				       "no ValueSet with this url is loaded");
				errors++;
				continue;
			}
			add_trigger(e, (size_t)n, i);
		}
	}
	return errors;
}

/* Trigger index: ValueSet number -> the policies it triggers. */
static int link_policies(struct engine *e, const struct engine_reporter *rep)
{
	size_t i, j;
	int errors = 0;

	for (i = 0; i < e->policy_count; i++) {
		struct engine_policy *p = &e->policies[i];

		p->active = serves(e, p->commissioner_id);
		for (j = 0; j < i; j++) {
			if (p->id != NULL && e->policies[j].id != NULL &&
			    strcmp(p->id, e->policies[j].id) == 0) {
				report(rep, p->file, "/id", "policy id is used by another file");
				errors++;
			}
		}
		for (j = 0; j < p->trigger_valueset_count; j++) {
			long n = fhir_valueset_number(e->valuesets, p->trigger_valuesets[j]);
			char ptr[64];

			snprintf(ptr, sizeof(ptr), "/trigger/valueSets/%zu", j);
			if (n < 0) {
				report(rep, p->file, ptr, "no ValueSet with this url is loaded");
				errors++;
				continue;
			}
			add_trigger(e, (size_t)n, i);
		}
	}
	return errors + link_extra_triggers(e, rep);
}

/* Every memberOf('url') with a literal url in a policy expression must name a loaded ValueSet
 * (issue 10 item 8): checked once every file is read, whatever their order. */
struct member_of_check {
	const struct engine *e;
	const struct engine_policy *p;
	const struct engine_reporter *rep;
	const char *pointer;
	int errors;
};

static void check_mentions_argument(struct member_of_check *m, size_t arg, const char *text);

static void check_member_of_call(void *ctx, const char *function, size_t arg, const char *url)
{
	struct member_of_check *m = ctx;
	char message[300];

	/* mentions('concept|concept', 'status|status'): ids of the vocabulary, ConText statuses
	 * (policies/vocabulary/README.md) */
	if (strcmp(function, "mentions") == 0) {
		check_mentions_argument(m, arg, url);
		return;
	}
	if (strcmp(function, "memberOf") != 0 || arg != 0 ||
	    fhir_valueset_known(m->e->valuesets, url))
		return;
	snprintf(message, sizeof(message),
	         "memberOf('%.200s'): no ValueSet with this url is loaded", url);
	report(m->rep, m->p->file, m->pointer, message);
	m->errors++;
}

static void check_mentions_argument(struct member_of_check *m, size_t arg, const char *text)
{
	char message[300];

	if (arg == 1 && engine__status_bits(text) == 0) {
		snprintf(
		    message, sizeof(message),
		    "mentions(…, '%.100s'): statuses are affirmed, historical, uncertain, other, "
		    "hypothetical or negated, joined by '|'",
		    text);
		report(m->rep, m->p->file, m->pointer, message);
		m->errors++;
	} else if (arg == 0) {
		const char *p = text;

		for (;;) {
			const char *bar = strchr(p, '|');
			size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
			char id[128];

			snprintf(id, sizeof(id), "%.*s", (int)(len < 120 ? len : 120), p);
			if (engine__vocab_concept(m->e->vocab, id) < 0) {
				snprintf(message, sizeof(message),
				         "mentions('%.100s'): no concept '%.100s' in "
				         "policies/vocabulary/",
				         text, id);
				report(m->rep, m->p->file, m->pointer, message);
				m->errors++;
			}
			if (bar == NULL)
				break;
			p = bar + 1;
		}
	}
}

static void check_member_of_path(struct member_of_check *m, const struct fhir_path *path,
                                 const char *pointer)
{
	m->pointer = pointer;
	fhir_path_each_literal_argument(path, check_member_of_call, m);
}

static int check_member_of(const struct engine *e, const struct engine_reporter *rep)
{
	struct member_of_check m = {e, NULL, rep, NULL, 0};
	char ptr[96];
	size_t i, j;

	for (i = 0; i < e->policy_count; i++) {
		const struct engine_policy *p = &e->policies[i];

		m.p = p;
		for (j = 0; j < p->let_count; j++) {
			snprintf(ptr, sizeof(ptr), "/let/%zu/expr", j);
			check_member_of_path(&m, p->lets[j].expr, ptr);
		}
		for (j = 0; j < p->criterion_count; j++) {
			const struct engine_criterion *c = &p->criteria[j];
			const struct {
				const struct fhir_path *path;
				const char *name;
			} paths[] = {{c->applies, "applies"},
			             {c->met, "met"},
			             {c->met_text, "metText"},
			             {c->unknown, "unknown"},
			             {c->not_met, "notMet"}};
			size_t k;

			for (k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
				snprintf(ptr, sizeof(ptr), "/criteria/%zu/%s", j, paths[k].name);
				check_member_of_path(&m, paths[k].path, ptr);
			}
		}
		for (j = 0; j < p->outcome_count; j++) {
			snprintf(ptr, sizeof(ptr), "/outcomes/%zu/applies", j);
			check_member_of_path(&m, p->outcomes[j].applies, ptr);
			snprintf(ptr, sizeof(ptr), "/outcomes/%zu/when", j);
			check_member_of_path(&m, p->outcomes[j].when, ptr);
		}
	}
	return m.errors;
}

/* The files below policies/vocabulary/, read before the policies so that their mentions() and
 * trigger concepts can be checked; compiled into one matcher. Returns the errors reported. */
static int load_vocabulary(struct engine *e, const struct engine_file *files, size_t count,
                           const struct engine_reporter *rep)
{
	int errors = 0, seen = 0;

	for (size_t i = 0; i < count; i++) {
		cJSON *json;

		if (strncmp(files[i].name, "vocabulary/", 11) != 0 ||
		    !engine__ends_with(files[i].name, ".json"))
			continue;
		if (e->vocab == NULL)
			e->vocab = engine__vocab_new();
		json = parse_file(&files[i], rep);
		if (json == NULL) {
			errors++;
			continue;
		}
		seen++;
		errors += engine__vocab_add(e->vocab, json, files[i].name, rep);
		cJSON_Delete(json);
	}
	if (seen > 0)
		errors += engine__vocab_compile(e->vocab, rep);
	return errors;
}

/* A concept-id group "a|b" -> indexes ending in -1 (NEW); unknown ids reported. */
static int *resolve_group(const struct engine *e, const struct engine_policy *p, const char *text,
                          const char *pointer, const struct engine_reporter *rep, int *errors)
{
	const char *q = text;
	size_t n = 1, k = 0;
	int *out;

	for (const char *c = text; *c != '\0'; c++)
		n += *c == '|';
	out = calloc(n + 1, sizeof(int));
	if (out == NULL)
		abort();
	for (;;) {
		const char *bar = strchr(q, '|');
		size_t len = bar != NULL ? (size_t)(bar - q) : strlen(q);
		char id[128], message[200];
		int c;

		snprintf(id, sizeof(id), "%.*s", (int)(len < 120 ? len : 120), q);
		c = engine__vocab_concept(e->vocab, id);
		if (c < 0) {
			snprintf(message, sizeof(message),
			         "no concept '%.100s' in policies/vocabulary/", id);
			report(rep, p->file, pointer, message);
			(*errors)++;
		} else {
			out[k++] = c;
		}
		if (bar == NULL)
			break;
		q = bar + 1;
	}
	out[k] = -1;
	return out;
}

/* trigger.all / trigger.none concept ids. */
static int link_trigger_concepts(struct engine *e, const struct engine_reporter *rep)
{
	int errors = 0;

	for (size_t i = 0; i < e->policy_count; i++) {
		struct engine_policy *p = &e->policies[i];
		char ptr[64];

		if ((p->trigger_all_count > 0 || p->trigger_none_text != NULL) &&
		    e->vocab == NULL) {
			report(
			    rep, p->file, "/trigger",
			    "trigger concepts need the clinical vocabulary (policies/vocabulary/)");
			errors++;
			continue;
		}
		p->trigger_all = calloc(p->trigger_all_count + 1, sizeof(int *));
		if (p->trigger_all == NULL)
			abort();
		for (size_t j = 0; j < p->trigger_all_count; j++) {
			snprintf(ptr, sizeof(ptr), "/trigger/all/%zu", j);
			p->trigger_all[j] =
			    resolve_group(e, p, p->trigger_all_text[j], ptr, rep, &errors);
		}
		if (p->trigger_none_text != NULL)
			p->trigger_none = resolve_group(e, p, p->trigger_none_text, "/trigger/none",
			                                rep, &errors);
	}
	return errors;
}

static int load_policy(struct engine *e, cJSON *json, const char *file,
                       const struct engine_reporter *rep, struct engine__path_pool *paths)
{
	int errors;

	if (e->policy_count == e->policy_cap) {
		size_t cap = e->policy_cap == 0 ? 16 : e->policy_cap * 2;

		e->policies = realloc(e->policies, cap * sizeof(*e->policies));
		if (e->policies == NULL)
			abort();
		memset(e->policies + e->policy_cap, 0,
		       (cap - e->policy_cap) * sizeof(*e->policies));
		e->policy_cap = cap;
	}
	errors = engine__policy_compile(json, file, rep, paths, &e->policies[e->policy_count]);
	errors += engine__schema_check_policy(json, file, rep);
	errors += engine__policy_dates(json, file, rep, &e->policies[e->policy_count++]);
	cJSON_Delete(json);
	return errors;
}

static void add_mention_lists(void *ctx, const struct fhir_path *path)
{
	engine__mention_lists_add(ctx, path);
}

int engine_load(const struct engine_file *files, size_t count, const struct engine_reporter *rep,
                struct engine **out)
{
	struct engine *e = calloc(1, sizeof(*e));
	/* each distinct expression text compiled once, whatever policies repeat it */
	struct engine__path_pool *paths = engine__path_pool_new();
	int errors = 0, deployments = 0;
	size_t i;

	*out = NULL;
	if (e == NULL)
		abort();
	fhir_json_hooks_install(); /* cJSON's out of memory aborts too (architecture.md rule 5) */
	e->valuesets = fhir_valueset_index_new();
	errors += load_vocabulary(e, files, count, rep);
	for (i = 0; i < count; i++) {
		const struct engine_file *f = &files[i];
		cJSON *json;

		if (!engine__ends_with(f->name,
		                       ".json")) /* *.csv: read through the deployment below */
			continue;
		json = parse_file(f, rep);
		if (json == NULL) {
			errors++;
			continue;
		}
		errors += engine__schema_check_snomed(json, f->name, rep);
		if (strncmp(f->name, "vocabulary/", 11) == 0) {
			cJSON_Delete(json); /* read by load_vocabulary */
		} else if (strncmp(f->name, "valuesets/", 10) == 0) {
			struct fhir_error err;

			if (fhir_valueset_index_add(e->valuesets, json, f->name, &err) != FHIR_OK) {
				const char *hash = strchr(err.where, '#');

				report(rep, f->name, hash != NULL ? hash + 1 : "", err.message);
				errors++;
			}
			cJSON_Delete(json);
		} else if (strncmp(f->name, "questionnaires/", 15) == 0) {
			errors +=
			    engine__questionnaire_load(e, json, f->name, rep); /* TAKES json */
		} else if (engine__ends_with(f->name, ".policy.json")) {
			errors += load_policy(e, json, f->name, rep, paths);
		} else if (strcmp(f->name, "deployment.json") == 0) {
			deployments++;
			errors += load_deployment(e, json, f->name, rep);
		} else {
			report(rep, f->name, "",
			       "unknown configuration file (expected *.policy.json, "
			       "valuesets/*.json, questionnaires/*.json or deployment.json)");
			cJSON_Delete(json);
			errors++;
		}
	}
	if (e->vocab != NULL) { /* read before the pool lets go: the policies hold the literals */
		e->mention_lists = engine__mention_lists_new(e->vocab);
		engine__path_pool_each(paths, add_mention_lists, e->mention_lists);
	}
	engine__path_pool_free(paths); /* the policies hold what they use */
	if (deployments != 1) {
		report(rep, "deployment.json", "", "exactly one deployment.json is required");
		errors++;
	}
	e->set_words = ENGINE_SET_WORDS(e->policy_count); /* every policy is read now */
	e->all_policies = engine__set_new(NULL, e->set_words);
	engine__set_fill(e->all_policies, e->set_words, e->policy_count);
	if (e->deployment != NULL) /* its practices CSV (commissioner.c) */
		errors += engine__commissioner_load(e, files, count, rep);
	errors += check_member_of(e, rep); /* also when other files had errors: report all */
	errors += engine__questionnaires_link(e, rep); /* policies' `questionnaires` */
	if (errors == 0)
		errors += link_policies(e, rep);
	if (errors == 0)
		errors += link_trigger_concepts(e, rep);
	if (errors == 0)
		engine__triggers_compile(e); /* every trigger in one index (trigger.c) */
	if (errors != 0) {
		engine_free(e);
		return FHIR_ERR_INVALID;
	}
	*out = e;
	return FHIR_OK;
}

void engine_free(struct engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->policy_count; i++)
		engine__policy_free(&e->policies[i]);
	free(e->policies);
	free(e->all_policies);
	for (i = 0; i < e->valueset_trigger_count; i++)
		free(e->valueset_triggers[i].items);
	free(e->valueset_triggers);
	engine__triggers_free(e->triggers);
	fhir_valueset_index_free(e->valuesets);
	engine__mention_lists_free(e->mention_lists);
	engine__vocab_free(e->vocab);
	engine__commissioner_free(e);
	engine__questionnaires_free(e);
	cJSON_Delete(e->deployment);
	free(e);
}

size_t engine_policy_count(const struct engine *e)
{
	return e->policy_count;
}

void engine_policy_info(const struct engine *e, size_t i, const char **id, const char **version,
                        const char **commissioner)
{
	const struct engine_policy *p = &e->policies[i];

	*id = p->id;
	*version = p->version;
	*commissioner = p->commissioner_name;
}

const char *engine_deployment_name(const struct engine *e)
{
	return e->deployment_name;
}

const cJSON *engine_deployment(const struct engine *e)
{
	return e->deployment;
}
