/* schema.c — load-time checks of the configuration files beyond what compiling them reads
 * (issue 10 item 8): the known keys of every policy and deployment object (a misspelt key would
 * otherwise be silently ignored), SNOMED CT ids (Verhoeff check digit), summary template
 * lengths (CDS Hooks 2.0 §Card), and the policy dates (effectiveFrom, reviewDate). The key tables
 * come first so they are easy to extend. Reports through the engine_reporter; never evaluates. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine_internal.h"

/* ---- known keys (policies/README.md) ------------------------------------------------------ */

static const char *const policy_keys[] = {"id",
                                          "title",
                                          "version",
                                          "commissioner",
                                          "sourceLabel",
                                          "url",
                                          "links",
                                          "ifr",
                                          "evidence",
                                          "trigger",
                                          "requires",
                                          "let",
                                          "criteria",
                                          "overrideReasons",
                                          "outcomes",
                                          "effectiveFrom",
                                          "reviewDate",
                                          "dateSource",
                                          "questionnaires",
                                          NULL};
static const char *const commissioner_keys[] = {"id", "name", NULL};
/* `applies`: a FHIRPath guard on a link or suggestion (card.c; policies/README.md). */
static const char *const link_keys[] = {"label", "url", "applies", NULL};
static const char *const ifr_keys[] = {"label", "url", "contact", NULL};
/* text/exclude: regexes until the lead replaces them with concept lists (all, none). */
static const char *const trigger_keys[] = {"valueSets", "all", "none", NULL};
static const char *const let_keys[] = {"name", "expr", NULL};
static const char *const criterion_keys[] = {"id",      "label",     "clause",      "needs",
                                             "applies", "met",       "metText",     "unknown",
                                             "notMet",  "otherwise", "notMetLabel", NULL};
static const char *const outcome_keys[] = {"id",          "applies",  "when",
                                           "is",          "decision", "recommendations",
                                           "indicator",   "summary",  "detail",
                                           "suggestions", "links",    "quiet",
                                           "stop",        "evidence", "overrideReasons",
                                           "policyLinks", NULL};
/* CDS Hooks 2.0 §Suggestion (uuid is added by the engine but harmless) and §Action, plus
 * `copy` (policies/README.md "suggestions"); an action's `resource` is FHIR: not checked. */
static const char *const suggestion_keys[] = {"label",   "uuid",    "isRecommended",
                                              "actions", "applies", NULL};
static const char *const action_keys[] = {"type",       "description", "resource",
                                          "resourceId", "copy",        NULL};
/* FHIR R4 Coding (CDS Hooks 2.0 overrideReasons are Codings). */
static const char *const coding_keys[] = {"system",  "version",      "code",
                                          "display", "userSelected", NULL};
/* deployment.json top level; `server` is checked by cds-hooks/config.c. */
static const char *const deployment_keys[] = {"name",
                                              "commissioners",
                                              "setting",
                                              "localPathways",
                                              "showQuietCards",
                                              "extraTriggers",
                                              "mirrorSystemActionsInExtension",
                                              "suggestionUpdateExtensions",
                                              "server",
                                              "practices",
                                              "defaultCommissioner",
                                              "whenCommissionerUnknown",
                                              NULL};

#define SNOMED_SYSTEM "http://snomed.info/sct"

struct where {
	const char *file;
	const struct engine_reporter *rep;
	int errors;
};

static void report(struct where *w, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct where *w, const char *pointer, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	w->errors++;
	if (w->rep != NULL && w->rep->report != NULL)
		w->rep->report(w->rep->ctx, w->file, pointer, message);
}

/* base + "/" + key with RFC 6901 escaping (~ -> ~0, / -> ~1), truncated to fit. */
static void pointer_key(char *out, size_t size, const char *base, const char *key)
{
	size_t n = (size_t)snprintf(out, size, "%s/", base);

	for (; key != NULL && *key != '\0' && n + 3 < size; key++) {
		if (*key == '~' || *key == '/') {
			out[n++] = '~';
			out[n++] = *key == '~' ? '0' : '1';
		} else {
			out[n++] = *key;
		}
	}
	if (n < size)
		out[n] = '\0';
}

static int known(const char *const *table, const char *key)
{
	for (; *table != NULL; table++)
		if (strcmp(*table, key) == 0)
			return 1;
	return 0;
}

/* Reports every member of `obj` (when it is an object) that is not in `table`. */
static void check_keys(struct where *w, const cJSON *obj, const char *const *table,
                       const char *pointer)
{
	const cJSON *member;

	if (!cJSON_IsObject(obj))
		return;
	cJSON_ArrayForEach(member, obj)
	{
		char ptr[300], list[300];
		size_t n = 0, i;

		if (member->string != NULL && known(table, member->string))
			continue;
		list[0] = '\0';
		for (i = 0; table[i] != NULL && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
			                      table[i]);
		pointer_key(ptr, sizeof(ptr), pointer, member->string);
		report(w, ptr, "unknown key '%.80s' (known here: %s)",
		       member->string ? member->string : "", list);
	}
}

/* check_keys on each element of the array member `name` of obj. */
static void check_array_keys(struct where *w, const cJSON *obj, const char *name,
                             const char *const *table, const char *base)
{
	const cJSON *item;
	int i = 0;

	cJSON_ArrayForEach(item, (cJSON_IsArray(fhir_get(obj, name)) ? fhir_get(obj, name) : NULL))
	{
		char ptr[300];

		snprintf(ptr, sizeof(ptr), "%s/%s/%d", base, name, i++);
		check_keys(w, item, table, ptr);
	}
}

size_t engine__utf8_length(const char *text)
{
	size_t points = 0;

	for (; text != NULL && *text != '\0'; text++)
		points += ((unsigned char)*text & 0xC0) != 0x80;
	return points;
}

int engine__schema_check_policy(const cJSON *json, const char *file,
                                const struct engine_reporter *rep)
{
	struct where w = {file, rep, 0};
	const cJSON *outcome;
	int i = 0;

	if (!cJSON_IsObject(json))
		return 0; /* reported by engine__policy_compile */
	check_keys(&w, json, policy_keys, "");
	check_keys(&w, fhir_get(json, "commissioner"), commissioner_keys, "/commissioner");
	check_keys(&w, fhir_get(json, "ifr"), ifr_keys, "/ifr");
	check_keys(&w, fhir_get(json, "trigger"), trigger_keys, "/trigger");
	check_array_keys(&w, json, "links", link_keys, "");
	check_array_keys(&w, json, "overrideReasons", coding_keys, "");
	check_array_keys(&w, json, "let", let_keys, "");
	check_array_keys(&w, json, "criteria", criterion_keys, "");
	check_array_keys(&w, json, "outcomes", outcome_keys, "");
	cJSON_ArrayForEach(
	    outcome,
	    (cJSON_IsArray(fhir_get(json, "outcomes")) ? fhir_get(json, "outcomes") : NULL))
	{
		char base[64], ptr[96];
		const char *summary = fhir_get_string(outcome, "summary");
		const cJSON *suggestion;
		int j = 0;

		snprintf(base, sizeof(base), "/outcomes/%d", i++);
		check_array_keys(&w, outcome, "links", link_keys, base);
		check_array_keys(&w, outcome, "overrideReasons", coding_keys, base);
		check_array_keys(&w, outcome, "suggestions", suggestion_keys, base);
		cJSON_ArrayForEach(suggestion, (cJSON_IsArray(fhir_get(outcome, "suggestions"))
		                                    ? fhir_get(outcome, "suggestions")
		                                    : NULL))
		{
			char sbase[128];

			snprintf(sbase, sizeof(sbase), "%s/suggestions/%d", base, j++);
			check_array_keys(&w, suggestion, "actions", action_keys, sbase);
		}
		/* CDS Hooks 2.0 §Card: summary "<140 characters"; the template as written, with its
		 * {{…}} placeholders, in UTF-8 code points (filled text is also cut at run time).
		 */
		if (summary != NULL && engine__utf8_length(summary) >= ENGINE_SUMMARY_LIMIT) {
			snprintf(ptr, sizeof(ptr), "%s/summary", base);
			report(&w, ptr,
			       "the summary template has %zu characters; a card summary must be "
			       "under %d (CDS Hooks 2.0 §Card)",
			       engine__utf8_length(summary), ENGINE_SUMMARY_LIMIT);
		}
	}
	return w.errors;
}

int engine__schema_check_deployment(const cJSON *json, const char *file,
                                    const struct engine_reporter *rep)
{
	struct where w = {file, rep, 0};

	check_keys(&w, json, deployment_keys, "");
	return w.errors;
}

/* ---- SNOMED CT check digit ------------------------------------------------------------------ */

/* Verhoeff's dihedral group D5 multiplication and permutation tables (SNOMED CT Technical
 * Implementation Guide, "Check-digit computation"). */
static const unsigned char verhoeff_d[10][10] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
    {3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
    {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
    {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
static const unsigned char verhoeff_p[8][10] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
    {8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
    {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};

int engine__verhoeff_valid(const char *digits)
{
	size_t n, i;
	unsigned c = 0;

	if (digits == NULL)
		return 0;
	n = strlen(digits);
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)digits[n - 1 - i];

		if (ch < '0' || ch > '9')
			return 0;
		c = verhoeff_d[c][verhoeff_p[i % 8][ch - '0']];
	}
	return c == 0;
}

int engine__snomed_id_valid(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	/* SNOMED CT TIG "SCTID": 6 to 18 digits, no leading zero, Verhoeff check digit last. */
	return n >= 6 && n <= 18 && id[0] != '0' && engine__verhoeff_valid(id);
}

static void check_sctid(struct where *w, const cJSON *code, const char *pointer)
{
	if (code == NULL)
		return;
	if (!cJSON_IsString(code)) {
		report(w, pointer, "a SNOMED CT id is a string of digits, not a JSON %s",
		       cJSON_IsNumber(code) ? "number" : "value of this type");
		return;
	}
	if (!engine__snomed_id_valid(code->valuestring))
		report(w, pointer,
		       "'%.40s' is not a valid SNOMED CT id (6-18 digits, no leading zero, "
		       "Verhoeff check digit: SNOMED CT Technical Implementation Guide)",
		       code->valuestring);
}

/* ValueSet compose.include[].concept[] (and nested concept[]): codes of `system`. */
static void check_concepts(struct where *w, const cJSON *concepts, const char *base)
{
	const cJSON *concept;
	int i = 0;

	cJSON_ArrayForEach(concept, (cJSON_IsArray(concepts) ? concepts : NULL))
	{
		char ptr[400], code_ptr[420];

		snprintf(ptr, sizeof(ptr), "%s/%d", base, i++);
		snprintf(code_ptr, sizeof(code_ptr), "%s/code", ptr);
		check_sctid(w, fhir_get(concept, "code"), code_ptr);
		snprintf(code_ptr, sizeof(code_ptr), "%s/concept", ptr);
		check_concepts(w, fhir_get(concept, "concept"), code_ptr);
	}
}

static void walk_snomed(struct where *w, const cJSON *json, const char *pointer, int depth)
{
	const cJSON *child;
	int i = 0;

	if (depth > 64 || !(cJSON_IsObject(json) || cJSON_IsArray(json)))
		return;
	if (cJSON_IsObject(json)) {
		const char *system = fhir_get_string(json, "system");
		const cJSON *snomed = fhir_get(json, "snomed");
		char ptr[400];

		if (system != NULL && strcmp(system, SNOMED_SYSTEM) == 0) {
			snprintf(ptr, sizeof(ptr), "%s/code", pointer);
			check_sctid(w, fhir_get(json, "code"), ptr);
			snprintf(ptr, sizeof(ptr), "%s/concept", pointer);
			check_concepts(w, fhir_get(json, "concept"), ptr);
		}
		/* vocabulary/body-sites.json: regions[].snomed.code */
		if (cJSON_IsObject(snomed) && fhir_get_string(snomed, "system") == NULL) {
			snprintf(ptr, sizeof(ptr), "%s/snomed/code", pointer);
			check_sctid(w, fhir_get(snomed, "code"), ptr);
		}
	}
	cJSON_ArrayForEach(child, json)
	{
		char ptr[400];

		if (cJSON_IsObject(json))
			pointer_key(ptr, sizeof(ptr), pointer, child->string);
		else
			snprintf(ptr, sizeof(ptr), "%s/%d", pointer, i++);
		walk_snomed(w, child, ptr, depth + 1);
	}
}

int engine__schema_check_snomed(const cJSON *json, const char *file,
                                const struct engine_reporter *rep)
{
	struct where w = {file, rep, 0};

	walk_snomed(&w, json, "", 0);
	return w.errors;
}

/* ---- policy dates (policies/README.md "Dates") ---------------------------------------------- */

/* A FHIR date at day precision (YYYY-MM-DD) at `name`, or none. Returns 1 when read. */
static int read_date(struct where *w, const cJSON *json, const char *name, char *text, size_t size,
                     struct fhir_datetime *out)
{
	const cJSON *item = fhir_get(json, name);
	struct fhir_error err;
	char ptr[64];
	size_t i;

	if (item == NULL)
		return 0;
	snprintf(ptr, sizeof(ptr), "/%s", name);
	if (!cJSON_IsString(item) || strlen(item->valuestring) != 10) {
		report(w, ptr, "'%s' must be a FHIR date YYYY-MM-DD", name);
		return 0;
	}
	for (i = 0; i < 10; i++) {
		if ((i == 4 || i == 7)
		        ? item->valuestring[i] != '-'
		        : (item->valuestring[i] < '0' || item->valuestring[i] > '9')) {
			report(w, ptr, "'%s' must be a FHIR date YYYY-MM-DD", name);
			return 0;
		}
	}
	if (fhir_datetime_parse(item->valuestring, out, &err) != FHIR_OK) {
		report(w, ptr, "'%s': %s", name, err.message);
		return 0;
	}
	snprintf(text, size, "%s", item->valuestring);
	return 1;
}

/* Compares the calendar dates (year, month, day) of a and b: -1, 0 or 1. */
static int compare_days(const struct fhir_datetime *a, const struct fhir_datetime *b)
{
	int x = a->year * 10000 + a->month * 100 + a->day;
	int y = b->year * 10000 + b->month * 100 + b->day;

	return x < y ? -1 : x > y;
}

int engine__policy_dates(const cJSON *json, const char *file, const struct engine_reporter *rep,
                         struct engine_policy *p)
{
	struct where w = {file, rep, 0};
	const cJSON *source = fhir_get(json, "dateSource");

	if (!cJSON_IsObject(json))
		return 0;
	p->has_effective_from = read_date(&w, json, "effectiveFrom", p->effective_from,
	                                  sizeof(p->effective_from), &p->effective);
	p->has_review_date =
	    read_date(&w, json, "reviewDate", p->review_date, sizeof(p->review_date), &p->review);
	if (p->has_effective_from && p->has_review_date &&
	    compare_days(&p->review, &p->effective) <= 0)
		report(&w, "/reviewDate", "'reviewDate' must be after 'effectiveFrom'");
	if (source != NULL && (!cJSON_IsString(source) || source->valuestring[0] == '\0'))
		report(&w, "/dateSource", "'dateSource' must be a non-empty string");
	return w.errors;
}

int engine__policy_in_force(const struct engine_policy *p, const struct fhir_datetime *now)
{
	struct fhir_datetime utc;

	if (p == NULL || !p->has_effective_from || now == NULL || !now->has_date)
		return 1;
	/* the calendar date in UTC (policies/README.md "Dates"): 00:30+01:00 is still the day
	 * before */
	utc = *now;
	if (utc.has_tz && utc.tz_minutes != 0 && utc.precision >= FHIR_PREC_MINUTE) {
		fhir_datetime_add(&utc, -(int64_t)utc.tz_minutes, "minute");
		utc.tz_minutes = 0;
	}
	return compare_days(&utc, &p->effective) >= 0;
}
