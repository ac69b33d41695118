/* commissioner.c — the responsible commissioner (NHS England "Who Pays?": it follows the
 * patient's registered GP practice). At load: the deployment's practice list (a CSV of ODS codes
 * -> served commissioners) and its rules for an unknown practice. Per request: the practice's ODS
 * code from Patient.generalPractitioner, the commissioner it maps to, the policies that may be
 * assessed, and the info card when the deployment asks for one. No I/O; never 412s. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* UK Core / NHS England identifier system of ODS organisation codes. */
#define ODS_SYSTEM "https://fhir.nhs.uk/Id/ods-organization-code"
#define WHO_PAYS_LABEL                                                                             \
	"NHS England: Who Pays? Determining responsibility for NHS payments to providers"
#define WHO_PAYS_URL      "https://www.england.nhs.uk/commissioning/who-pays/"
#define CSV_HEADER        "odsCode,commissioner,name,source"
#define CSV_COLUMNS       4
#define ODS_MAX           10 /* ODS organisation codes are 3 to ~8 characters */
#define MAX_GP_REFERENCES 16 /* generalPractitioner entries read per patient */

static void report(const struct engine_reporter *rep, const char *file, const char *pointer,
                   const char *message)
{
	if (rep != NULL && rep->report != NULL)
		rep->report(rep->ctx, file, pointer, message);
}

static char *dup_range(const char *s, size_t n)
{
	char *out = malloc(n + 1);

	if (out == NULL)
		abort();
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* The served commissioner id equal to `id` (BORROWED from the deployment), or NULL. */
static const char *served(const struct engine *e, const char *id)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, fhir_get(e->deployment, "commissioners"))
	{
		if (cJSON_IsString(item) && id != NULL && strcmp(item->valuestring, id) == 0)
			return item->valuestring;
	}
	return NULL;
}

/* ODS organisation code syntax: 3 to ODS_MAX upper-case letters or digits. */
static int ods_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 3 || n > ODS_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* ---- the CSV (RFC 4180: comma-separated, "quoted" fields with "" for a quote) ------------- */

/* Reads one record starting at *p into fields (NEW strings, *n of them, at most max; more are
 * counted but dropped). Advances *p past the line end; counts physical lines in *lines.
 * Returns 0, or -1 when a quoted field is not closed or text follows a closing quote. */
static int csv_record(const char **p, const char *end, char **fields, size_t max, size_t *n,
                      size_t *lines)
{
	const char *s = *p;

	*n = 0;
	for (;;) {
		char *field;
		size_t len = 0;

		if (s < end && *s == '"') {
			const char *q = ++s;

			field = malloc((size_t)(end - s) + 1);
			if (field == NULL)
				abort();
			for (;;) {
				if (q >= end) {
					free(field);
					return -1;
				}
				if (*q == '"' && q + 1 < end && q[1] == '"') {
					field[len++] = '"';
					q += 2;
				} else if (*q == '"') {
					q++;
					break;
				} else {
					if (*q == '\n')
						(*lines)++;
					field[len++] = *q++;
				}
			}
			field[len] = '\0';
			s = q;
			while (s < end && *s == ' ')
				s++;
			if (s < end && *s != ',' && *s != '\n' && *s != '\r') {
				free(field);
				return -1;
			}
		} else {
			const char *start = s, *stop;

			while (s < end && *s != ',' && *s != '\n' && *s != '\r')
				s++;
			stop = s;
			while (start < stop && *start == ' ')
				start++;
			while (stop > start && stop[-1] == ' ')
				stop--;
			if (memchr(start, '"', (size_t)(stop - start)) != NULL)
				return -1; /* a quote inside an unquoted field */
			field = dup_range(start, (size_t)(stop - start));
		}
		if (*n < max)
			fields[*n] = field;
		else
			free(field);
		(*n)++;
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		break;
	}
	if (s < end && *s == '\r')
		s++;
	if (s < end && *s == '\n')
		s++;
	(*lines)++;
	*p = s;
	return 0;
}

/* Orders practices by ODS code, then by line (so a duplicate follows its first row). */
static int by_ods(const void *a, const void *b)
{
	const struct engine_practice *x = a, *y = b;
	int c = strcmp(x->ods, y->ods);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* bsearch comparator: an ODS code string against a practice. */
static int ods_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct engine_practice *)elem)->ods);
}

/* Parses the practice list `f` into e->practices. Returns the errors reported. */
static int load_csv(struct engine *e, const struct engine_file *f,
                    const struct engine_reporter *rep)
{
	const char *p = f->text, *end = f->text + f->length;
	size_t line = 1, cap = 0, i;
	int errors = 0, header = 1;
	char message[300];

	if (f->length >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* a UTF-8 byte order mark (spreadsheet exports) */
	while (p < end) {
		char *fields[CSV_COLUMNS] = {NULL, NULL, NULL, NULL};
		size_t n = 0, row = line, k;

		if (*p == '\n' || *p == '\r') { /* a blank line */
			p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
			line++;
			continue;
		}
		if (csv_record(&p, end, fields, CSV_COLUMNS, &n, &line) != 0) {
			snprintf(message, sizeof(message),
			         "line %zu: malformed CSV (an unclosed quote, or text next to a "
			         "quoted field); the practice list is not read past it",
			         row);
			report(rep, f->name, "", message);
			errors++;
			for (k = 0; k < CSV_COLUMNS && k < n; k++)
				free(fields[k]);
			break;
		}
		if (header) {
			header = 0;
			if (n != CSV_COLUMNS || strcmp(fields[0], "odsCode") != 0 ||
			    strcmp(fields[1], "commissioner") != 0 ||
			    strcmp(fields[2], "name") != 0 || strcmp(fields[3], "source") != 0) {
				snprintf(message, sizeof(message),
				         "line %zu: the first row must be the header " CSV_HEADER,
				         row);
				report(rep, f->name, "", message);
				errors++;
			}
		} else if (n != CSV_COLUMNS) {
			snprintf(message, sizeof(message),
			         "line %zu: %zu columns, want %d (" CSV_HEADER ")", row, n,
			         CSV_COLUMNS);
			report(rep, f->name, "", message);
			errors++;
		} else if (!ods_valid(fields[0])) {
			snprintf(message, sizeof(message),
			         "line %zu: odsCode '%.40s' is not an ODS code (3 to %d upper-case "
			         "letters or digits)",
			         row, fields[0], ODS_MAX);
			report(rep, f->name, "", message);
			errors++;
		} else if (served(e, fields[1]) == NULL) {
			snprintf(message, sizeof(message),
			         "line %zu: commissioner '%.60s' is not one the deployment serves "
			         "(deployment.json commissioners)",
			         row, fields[1]);
			report(rep, f->name, "", message);
			errors++;
		} else if (fields[2][0] == '\0' || fields[3][0] == '\0') {
			snprintf(message, sizeof(message),
			         "line %zu: every practice needs a name and a source", row);
			report(rep, f->name, "", message);
			errors++;
		} else {
			struct engine_practice *pr;

			if (e->practice_count == cap) {
				cap = cap == 0 ? 64 : cap * 2;
				e->practices = realloc(e->practices, cap * sizeof(*e->practices));
				if (e->practices == NULL)
					abort();
			}
			pr = &e->practices[e->practice_count++];
			pr->line = row;
			pr->ods = fields[0];
			pr->commissioner = served(e, fields[1]);
			pr->name = fields[2];
			fields[0] = fields[2] = NULL; /* taken */
		}
		for (k = 0; k < CSV_COLUMNS && k < n; k++)
			free(fields[k]);
	}
	if (header) {
		report(rep, f->name, "", "line 1: empty file; want the header " CSV_HEADER);
		errors++;
	}
	/* sorted for lookup; a duplicate then follows the row it repeats */
	if (e->practice_count > 1)
		qsort(e->practices, e->practice_count, sizeof(*e->practices), by_ods);
	for (i = 1; i < e->practice_count; i++) {
		size_t first = i - 1;

		if (strcmp(e->practices[i].ods, e->practices[first].ods) != 0)
			continue;
		while (first > 0 && strcmp(e->practices[first - 1].ods, e->practices[i].ods) == 0)
			first--;
		snprintf(message, sizeof(message),
		         "line %zu: duplicate odsCode '%s' (first on line %zu)",
		         e->practices[i].line, e->practices[i].ods, e->practices[first].line);
		report(rep, f->name, "", message);
		errors++;
	}
	return errors;
}

/* Each served commissioner's policies, as a set (all policies are loaded by now). */
static void link_served(struct engine *e)
{
	const cJSON *item;
	size_t n = (size_t)cJSON_GetArraySize(fhir_get(e->deployment, "commissioners"));

	e->served_ids = calloc(n + 1, sizeof(*e->served_ids));
	e->served_policies = calloc(n + 1, sizeof(*e->served_policies));
	e->no_policies = engine__set_new(NULL, e->set_words);
	if (e->served_ids == NULL || e->served_policies == NULL)
		abort();
	cJSON_ArrayForEach(item, fhir_get(e->deployment, "commissioners"))
	{
		uint64_t *set;

		if (!cJSON_IsString(item))
			continue;
		set = engine__set_new(NULL, e->set_words);
		for (size_t i = 0; i < e->policy_count; i++)
			if (e->policies[i].commissioner_id != NULL &&
			    strcmp(e->policies[i].commissioner_id, item->valuestring) == 0)
				engine__set_add(set, i);
		e->served_ids[e->served_count] = item->valuestring;
		e->served_policies[e->served_count++] = set;
	}
}

/* The policies of a served commissioner id (BORROWED set; empty for an id not served). */
static const uint64_t *served_policies(const struct engine *e, const char *id)
{
	for (size_t i = 0; i < e->served_count; i++)
		if (strcmp(e->served_ids[i], id) == 0)
			return e->served_policies[i];
	return e->no_policies;
}

int engine__commissioner_load(struct engine *e, const struct engine_file *files, size_t count,
                              const struct engine_reporter *rep)
{
	const cJSON *practices = fhir_get(e->deployment, "practices");
	const cJSON *fallback = fhir_get(e->deployment, "defaultCommissioner");
	const cJSON *unknown = fhir_get(e->deployment, "whenCommissionerUnknown");
	int errors = 0;
	size_t i;

	link_served(e);
	if (fallback != NULL) {
		if (!cJSON_IsString(fallback) || served(e, fallback->valuestring) == NULL) {
			report(rep, "deployment.json", "/defaultCommissioner",
			       "must be one of the commissioner ids in 'commissioners'");
			errors++;
		} else {
			e->default_commissioner = served(e, fallback->valuestring);
		}
	}
	if (unknown != NULL) {
		if (cJSON_IsString(unknown) && strcmp(unknown->valuestring, "info-card") == 0)
			e->unknown_info_card = 1;
		else if (!cJSON_IsString(unknown) ||
		         strcmp(unknown->valuestring, "all-served") != 0) {
			report(rep, "deployment.json", "/whenCommissionerUnknown",
			       "must be \"all-served\" or \"info-card\"");
			errors++;
		}
	}
	if (practices == NULL)
		return errors;
	if (!cJSON_IsString(practices) || !engine__ends_with(practices->valuestring, ".csv")) {
		report(rep, "deployment.json", "/practices",
		       "must name a .csv file relative to the policies folder");
		return errors + 1;
	}
	for (i = 0; i < count; i++)
		if (strcmp(files[i].name, practices->valuestring) == 0)
			return errors + load_csv(e, &files[i], rep);
	report(rep, "deployment.json", "/practices", "no such file below the policies folder");
	return errors + 1;
}

void engine__commissioner_free(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->practice_count; i++) {
		free(e->practices[i].ods);
		free(e->practices[i].name);
	}
	free(e->practices);
	e->practices = NULL;
	e->practice_count = 0;
	for (i = 0; i < e->served_count; i++)
		free(e->served_policies[i]);
	free(e->served_policies);
	free(e->served_ids);
	free(e->no_policies);
	e->served_policies = NULL;
	e->served_ids = NULL;
	e->no_policies = NULL;
	e->served_count = 0;
}

/* ---- per request ------------------------------------------------------------------------- */

static const struct engine_practice *find_practice(const struct engine *e, const char *ods)
{
	if (e->practice_count == 0)
		return NULL;
	return bsearch(ods, e->practices, e->practice_count, sizeof(*e->practices), ods_key);
}

/* The resources of the patient prefetch: a Bundle's entries or the resource itself. */
struct patient_data {
	const cJSON *value;   /* the prefetch value (Bundle or resource) */
	const cJSON *patient; /* the Patient */
};

static int is_type(const cJSON *resource, const char *type)
{
	const char *t = fhir_get_string(resource, "resourceType");

	return t != NULL && strcmp(t, type) == 0;
}

/* Does `reference` ("Type/id", an absolute URL ending so, or a fullUrl) name `resource`? */
/* 1 when the first n bytes of reference name resource: its "Type/id", an absolute URL ending
 * in it, or its entry's fullUrl. */
static int names(const char *reference, size_t n, const cJSON *resource, const char *full_url)
{
	char buf[256];
	const char *ref = fhir_resource_ref(resource, buf, sizeof(buf));
	size_t m;

	if (full_url != NULL && strlen(full_url) == n && strncmp(reference, full_url, n) == 0)
		return 1;
	if (ref == NULL)
		return 0;
	m = strlen(ref);
	return (m == n && strncmp(reference, ref, n) == 0) ||
	       (n > m && reference[n - m - 1] == '/' && strncmp(reference + n - m, ref, m) == 0 &&
	        strncmp(reference, "http", 4) == 0);
}

/* FHIR R4 §References: a contained "#id" (in `container`, the resource holding the reference or,
 * for a contained resource, the one containing it), or a resource of the prefetch Bundle,
 * versioned or not (fhir_reference_length). */
static const cJSON *resolve(const struct patient_data *d, const cJSON *container,
                            const char *reference)
{
	const cJSON *item;

	if (reference == NULL)
		return NULL;
	if (reference[0] == '#')
		return fhir_find_contained(container, reference + 1);
	if (is_type(d->value, "Bundle")) {
		size_t n = fhir_reference_length(reference);

		cJSON_ArrayForEach(item, fhir_get(d->value, "entry"))
		{
			const cJSON *resource = fhir_get(item, "resource");

			if (cJSON_IsObject(resource) &&
			    names(reference, n, resource, fhir_get_string(item, "fullUrl")))
				return resource;
		}
	}
	return NULL;
}

/* Bytes of blank at s: ASCII white space (1) or a UTF-8 no-break space U+00A0 (2); else 0. */
static size_t blank(const char *s)
{
	if (*s != '\0' && isspace((unsigned char)*s))
		return 1;
	if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
		return 2;
	return 0;
}

/* The ODS code of an Identifier with the ODS system, upper-cased into out; 1 when found. */
static int ods_of_identifier(const cJSON *identifier, char out[ODS_MAX + 1])
{
	const char *system = fhir_get_string(identifier, "system");
	const char *value = fhir_get_string(identifier, "value");
	size_t i, n = 0;

	if (system == NULL || value == NULL || strcmp(system, ODS_SYSTEM) != 0)
		return 0;
	while (blank(value) > 0) /* codes pasted with tabs, line ends or no-break spaces */
		value += blank(value);
	for (i = 0; value[i] != '\0' && blank(value + i) == 0; i++) {
		if (n == ODS_MAX)
			return 0;
		out[n++] = (char)toupper((unsigned char)value[i]);
	}
	out[n] = '\0';
	return n > 0;
}

/* The practice ODS code a Reference gives: its logical identifier (UK Core), or the resolved
 * Organization's identifier, or a resolved PractitionerRole's organization. `container` holds
 * the "#id" resources the reference may name. A Practitioner (the GP) gives none. Returns 1
 * with the code in out. */
static int ods_of_reference(const struct patient_data *d, const cJSON *container,
                            const cJSON *reference, int depth, char out[ODS_MAX + 1])
{
	const char *type = fhir_get_string(reference, "type");
	const char *ref = fhir_get_string(reference, "reference");
	const cJSON *target, *identifier;

	if ((type == NULL || strcmp(type, "Organization") == 0) &&
	    ods_of_identifier(fhir_get(reference, "identifier"), out))
		return 1;
	target = resolve(d, container, ref);
	if (is_type(target, "Organization")) {
		cJSON_ArrayForEach(identifier, fhir_get(target, "identifier"))
		{
			if (ods_of_identifier(identifier, out))
				return 1;
		}
	} else if (is_type(target, "PractitionerRole") && depth == 0) {
		/* a contained role shares the Patient's contained; a Bundle one has its own */
		return ods_of_reference(d, ref[0] == '#' ? container : target,
		                        fhir_get(target, "organization"), 1, out);
	}
	return 0;
}

/* The Patient of the prefetch: the one with context.patientId, else the first. */
static const cJSON *find_patient(const cJSON *value, const char *patient_id)
{
	const cJSON *entry, *first = NULL;

	if (is_type(value, "Patient"))
		return value;
	cJSON_ArrayForEach(entry, fhir_get(value, "entry"))
	{
		const cJSON *r = fhir_get(entry, "resource");
		const char *id = fhir_get_string(r, "id");

		if (!is_type(r, "Patient"))
			continue;
		if (patient_id != NULL && id != NULL && strcmp(id, patient_id) == 0)
			return r;
		if (first == NULL)
			first = r;
	}
	return first;
}

/* Sets out->why (not determined) or the practice (determined) from the patient's record. */
static void from_practice(const struct engine *e, const cJSON *value, const char *patient_id,
                          struct engine__responsible *out)
{
	struct patient_data d;
	const cJSON *gp;
	const struct engine_practice *found = NULL;
	char code[ODS_MAX + 1], first_unknown[ODS_MAX + 1] = "";
	int references = 0, codes = 0;

	d.value = value;
	d.patient = find_patient(value, patient_id);
	if (d.patient == NULL) {
		snprintf(out->why, sizeof(out->why), "the patient data holds no Patient");
		return;
	}
	cJSON_ArrayForEach(gp, fhir_get(d.patient, "generalPractitioner"))
	{
		const struct engine_practice *pr;

		if (references++ == MAX_GP_REFERENCES)
			break;
		if (!ods_of_reference(&d, d.patient, gp, 0, code))
			continue;
		codes++;
		pr = find_practice(e, code);
		if (pr == NULL) {
			if (first_unknown[0] == '\0')
				memcpy(first_unknown, code, sizeof(code));
			continue;
		}
		if (found != NULL && strcmp(found->commissioner, pr->commissioner) != 0) {
			snprintf(out->why, sizeof(out->why),
			         "the registered practices %s and %s belong to different "
			         "commissioners",
			         found->ods, pr->ods);
			return;
		}
		if (found == NULL)
			found = pr;
	}
	if (found != NULL) {
		out->how = ENGINE_WHO_PRACTICE;
		out->commissioner = found->commissioner;
		out->ods = found->ods;
		out->practice = found->name;
		snprintf(out->determined_by, sizeof(out->determined_by), "practice ODS code %s",
		         found->ods);
	} else if (codes > 0) {
		snprintf(out->why, sizeof(out->why),
		         "practice ODS code %s is not in the deployment's practice list",
		         first_unknown);
	} else if (references > 0) {
		snprintf(out->why, sizeof(out->why),
		         "Patient.generalPractitioner gives no practice ODS code");
	} else {
		snprintf(out->why, sizeof(out->why),
		         "the patient record names no registered GP practice "
		         "(Patient.generalPractitioner)");
	}
}

void engine__commissioner_find(const struct engine *e, const cJSON *context, const cJSON *value,
                               struct engine__responsible *out)
{
	memset(out, 0, sizeof(*out));
	out->how = ENGINE_WHO_NOT_DETERMINED;
	if (e->practice_count == 0) /* nothing to look a practice up in, whatever the data */
		snprintf(out->why, sizeof(out->why), "this deployment lists no GP practices");
	else
		switch (fhir_prefetch_classify(value)) {
		case FHIR_PREFETCH_RESOURCE:
		case FHIR_PREFETCH_BUNDLE:
			out->patient_available = 1;
			from_practice(e, value, fhir_get_string(context, "patientId"), out);
			break;
		case FHIR_PREFETCH_NULL:
			out->patient_available = 1;
			snprintf(out->why, sizeof(out->why), "the client sent no patient data");
			break;
		default:
			snprintf(out->why, sizeof(out->why), "the patient data was not available");
			break;
		}
	if (out->how == ENGINE_WHO_NOT_DETERMINED && e->default_commissioner != NULL) {
		out->how = ENGINE_WHO_DEFAULT;
		out->commissioner = e->default_commissioner;
		snprintf(out->determined_by, sizeof(out->determined_by), "deployment default");
	} else if (out->how == ENGINE_WHO_NOT_DETERMINED) {
		snprintf(out->determined_by, sizeof(out->determined_by), "not determined");
		out->info_card = e->unknown_info_card;
		out->policies = out->info_card ? e->no_policies : e->all_policies;
		return;
	}
	out->policies = served_policies(e, out->commissioner);
}

const uint64_t *engine__commissioner_needs(const struct engine *e, const cJSON *request,
                                           unsigned *optional)
{
	struct engine__responsible who;

	engine__commissioner_find(e, fhir_get(request, "context"),
	                          fhir_get(fhir_get(request, "prefetch"), "patient"), &who);
	if (e->practice_count > 0)
		*optional |= 1u << ENGINE_KEY_PATIENT;
	/* the patient may yet be fetched: any served commissioner's policy may then apply */
	return who.patient_available ? who.policies : e->all_policies;
}

cJSON *engine__commissioner_json(const struct engine__responsible *who)
{
	cJSON *json = cJSON_CreateObject();

	if (who->commissioner != NULL)
		cJSON_AddStringToObject(json, "commissioner", who->commissioner);
	cJSON_AddStringToObject(json, "determinedBy", who->determined_by);
	if (who->practice != NULL)
		cJSON_AddStringToObject(json, "practice", who->practice);
	if (who->how != ENGINE_WHO_PRACTICE && who->why[0] != '\0')
		cJSON_AddStringToObject(json, "why", who->why);
	return json;
}

/* What the clinician calls the order: code.text, else a coding's display, else "Type/id". */
static const char *order_name(const cJSON *order, const char *order_ref)
{
	const char *text = engine__concept_text(fhir_get(order, "code"));

	return text != NULL ? text : order_ref;
}

void engine__commissioner_notice(const struct engine *e, const struct engine__responsible *who,
                                 const cJSON *order, const char *order_ref,
                                 const uint64_t *triggered, cJSON *cards, cJSON *log)
{
	cJSON *card = cJSON_CreateObject();
	cJSON *source, *topic, *links, *link, *ext, *assessment, *policies, *record;
	char uuid[37], line[400];
	size_t i, len = 0;
	char *detail;
	size_t cap = 2048 + engine__set_count(triggered, e->set_words) * sizeof(line);

	engine__uuid(uuid);
	detail = malloc(cap);
	if (detail == NULL)
		abort();
	len = (size_t)snprintf(
	    detail, cap,
	    "Which commissioning policy applies to \"%.200s\" depends on the patient's "
	    "responsible commissioner, which follows the patient's registered GP practice (NHS "
	    "England, *Who Pays?*). It could not be determined: %s.\n\n"
	    "The order was not assessed against the policies it triggers, each of which applies "
	    "only to its own commissioner's patients:\n",
	    order_name(order, order_ref), who->why);
	for (i = engine__set_next(triggered, e->set_words, 0); i < e->policy_count && len < cap;
	     i = engine__set_next(triggered, e->set_words, i + 1)) {
		const struct engine_policy *p = &e->policies[i];

		snprintf(line, sizeof(line), "\n- %s", p->source_label);
		len += (size_t)snprintf(detail + len, cap - len, "%s", line);
	}
	if (len < cap)
		snprintf(detail + len, cap - len,
		         "\n\n**To check:** the patient's registered GP practice in the record "
		         "(Patient.generalPractitioner, an Organization with its ODS code), and "
		         "that the practice is in the deployment's practice list; then order again "
		         "to see the responsible commissioner's policy. A patient registered with "
		         "a practice outside the commissioners this service serves is outside its "
		         "policies.");
	cJSON_AddStringToObject(card, "uuid", uuid);
	cJSON_AddStringToObject(card, "summary",
	                        "Commissioner not determined: check the patient's registered GP "
	                        "practice");
	cJSON_AddStringToObject(card, "indicator", "info");
	cJSON_AddStringToObject(card, "detail", detail);
	free(detail);
	source = cJSON_AddObjectToObject(card, "source");
	cJSON_AddStringToObject(source, "label", WHO_PAYS_LABEL);
	cJSON_AddStringToObject(source, "url", WHO_PAYS_URL);
	topic = cJSON_AddObjectToObject(source, "topic");
	cJSON_AddStringToObject(topic, "system", "urn:cds-commissioning:notice");
	cJSON_AddStringToObject(topic, "code", "commissioner-not-determined");
	cJSON_AddStringToObject(topic, "display", "Responsible commissioner not determined");
	links = cJSON_AddArrayToObject(card, "links");
	link = cJSON_CreateObject();
	cJSON_AddStringToObject(link, "label", "NHS England: Who Pays? (responsible commissioner)");
	cJSON_AddStringToObject(link, "url", WHO_PAYS_URL);
	cJSON_AddStringToObject(link, "type", "absolute");
	cJSON_AddItemToArray(links, link);

	assessment = cJSON_CreateObject();
	cJSON_AddStringToObject(assessment, "order", order_ref);
	cJSON_AddItemToObject(assessment, "responsibleCommissioner",
	                      engine__commissioner_json(who));
	policies = cJSON_AddArrayToObject(assessment, "policiesNotAssessed");
	for (i = engine__set_next(triggered, e->set_words, 0); i < e->policy_count;
	     i = engine__set_next(triggered, e->set_words, i + 1))
		cJSON_AddItemToArray(policies, cJSON_CreateString(e->policies[i].id));
	record = cJSON_Duplicate(assessment, 1);
	cJSON_AddStringToObject(record, "type", "commissioner-not-determined");
	cJSON_AddStringToObject(record, "card", uuid);
	ext = cJSON_AddObjectToObject(card, "extension");
	cJSON_AddItemToObject(ext, "cds-commissioning.assessment", assessment);
	cJSON_AddItemToArray(cards, card);
	cJSON_AddItemToArray(log, record);
}
