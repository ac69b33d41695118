/* fhir_client_template.c — resolves a CDS Hooks 2.0 prefetch template ("Condition?patient=
 * {{context.patientId}}") against a request's context into the relative URL the FHIR client
 * GETs. Token values are percent-encoded. It does no I/O and must not accept tokens outside
 * CDS Hooks 2.0 §Prefetch tokens (no FHIRPath, no nested context fields). */
#include <stdlib.h>
#include <string.h>

#include "fhir.h"

/* Appends to a growing malloc'd string. */
struct text {
	char *s;
	size_t length, capacity;
};

static void append(struct text *t, const char *s, size_t n)
{
	if (t->length + n + 1 > t->capacity) {
		size_t cap = t->capacity ? t->capacity * 2 : 128;
		char *grown;

		while (cap < t->length + n + 1)
			cap *= 2;
		grown = realloc(t->s, cap);
		if (grown == NULL)
			abort();
		t->s = grown;
		t->capacity = cap;
	}
	memcpy(t->s + t->length, s, n);
	t->length += n;
	t->s[t->length] = '\0';
}

/* RFC 3986 percent-encoding of everything but the unreserved characters. */
static void append_encoded(struct text *t, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			append(t, s, 1);
		} else {
			char pct[3] = {'%', hex[c >> 4], hex[c & 15]};

			append(t, pct, 3);
		}
	}
}

/* CDS Hooks 2.0 §Prefetch tokens: the id part of context.userId when its type is `type`. */
static const char *user_id_of_type(const cJSON *context, const char *type)
{
	const char *user = fhir_get_string(context, "userId");
	size_t n = strlen(type);

	if (user == NULL || strncmp(user, type, n) != 0 || user[n] != '/' || user[n + 1] == '\0')
		return NULL;
	return user + n + 1;
}

int fhir_template_resolve(const char *template, const cJSON *context, char **out,
                          struct fhir_error *err)
{
	static const struct {
		const char *token, *type;
	} users[] = {{"userPractitionerId", "Practitioner"},
	             {"userPractitionerRoleId", "PractitionerRole"},
	             {"userPatientId", "Patient"},
	             {"userRelatedPersonId", "RelatedPerson"}};
	struct text t = {NULL, 0, 0};
	const char *p = template;
	int rc = FHIR_OK;

	*out = NULL;
	append(&t, "", 0);
	while (*p != '\0') {
		const char *open = strstr(p, "{{"), *close;
		char name[128];
		size_t len, i;
		const char *value = NULL;

		if (open == NULL) {
			append(&t, p, strlen(p));
			break;
		}
		append(&t, p, (size_t)(open - p));
		close = strstr(open + 2, "}}");
		len = close != NULL ? (size_t)(close - open - 2) : 0;
		if (close == NULL || len == 0 || len >= sizeof(name)) {
			fhir_error_set(err, template, "unterminated or empty prefetch token");
			rc = FHIR_ERR_SYNTAX;
			goto out;
		}
		memcpy(name, open + 2, len);
		name[len] = '\0';
		if (strncmp(name, "context.", 8) == 0) {
			const cJSON *v = fhir_get(context, name + 8);

			if (strchr(name + 8, '.') != NULL) {
				fhir_error_set(
				    err, template,
				    "prefetch token {{%s}}: only root-level context fields", name);
				rc = FHIR_ERR_SYNTAX;
				goto out;
			}
			value =
			    cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring : NULL;
		} else {
			for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
				if (strcmp(name, users[i].token) == 0)
					break;
			if (i == sizeof(users) / sizeof(users[0])) {
				fhir_error_set(err, template, "unknown prefetch token {{%s}}",
				               name);
				rc = FHIR_ERR_SYNTAX;
				goto out;
			}
			value = user_id_of_type(context, users[i].type);
		}
		if (value == NULL) {
			fhir_error_set(err, template, "the request has no value for {{%s}}", name);
			rc = FHIR_ERR_NOT_FOUND;
			goto out;
		}
		append_encoded(&t, value);
		p = close + 2;
	}
	*out = t.s;
	t.s = NULL;
out:
	free(t.s);
	return rc;
}
