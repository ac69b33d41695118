/* request.c — checks an untrusted request before anything uses it: the media type, the JSON
 * limits (body nesting and array sizes, checked before and while parsing), and the CDS Hooks
 * 2.0 request envelope. It must not look inside `context` or `prefetch` (the engine does) and
 * must never copy fhirAuthorization values into messages. */
#include <string.h>
#include <strings.h>

#include "cds_internal.h"

/* The largest fhirAuthorization.expires_in accepted: 2^31 - 1 s (FHIR `integer`). */
#define CDS__EXPIRES_IN_MAX 2147483647L

/* CDS Hooks 2.0 §General: JSON; application/json with parameters (e.g. charset) accepted. */
int cds__content_type_is_json(const char *content_type)
{
	static const char json[] = "application/json";
	if (!content_type)
		return 0;
	const char *p = content_type;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, json, sizeof json - 1) != 0)
		return 0;
	p += sizeof json - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}

int cds__parse_json_limited(const char *body, size_t length, unsigned long max_depth,
                            unsigned long max_items, cJSON **out, struct fhir_error *err)
{
	return cds__parse_json_block(body, length, max_depth, max_items, 0, out, err);
}

int cds__parse_json_block(const char *body, size_t length, unsigned long max_depth,
                          unsigned long max_items, int one_block, cJSON **out,
                          struct fhir_error *err)
{
	const struct fhir_json_limits limits = {.max_bytes = 0,
	                                        .max_depth = max_depth,
	                                        .max_items = max_items,
	                                        .max_string_bytes = 0,
	                                        .subject = "the request body",
	                                        .one_block = one_block};

	return fhir_json_parse_limited(body, length, &limits, out, err);
}

/* A required (or, when !required, optional) non-empty string member. */
static int want_string(const cJSON *object, const char *name, const char *where, int required,
                       struct fhir_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	if (!item) {
		if (!required)
			return FHIR_OK;
		fhir_error_set(err, where, "missing required member '%s'", name);
		return FHIR_ERR_INVALID;
	}
	if (!cJSON_IsString(item) || !item->valuestring || !item->valuestring[0]) {
		fhir_error_set(err, where, "'%s' must be a non-empty string", name);
		return FHIR_ERR_INVALID;
	}
	return FHIR_OK;
}

/* CDS Hooks 2.0 §HTTP Request: fhirAuthorization (values never echoed). */
static int check_authorization(const cJSON *auth, struct fhir_error *err)
{
	/* each name with its JSON pointer, written out (no snprintf per request) */
	static const char *const strings[][2] = {
	    {"access_token", "/fhirAuthorization/access_token"},
	    {"token_type", "/fhirAuthorization/token_type"},
	    {"scope", "/fhirAuthorization/scope"},
	    {"subject", "/fhirAuthorization/subject"}};
	int rc;
	if (!cJSON_IsObject(auth)) {
		fhir_error_set(err, "/fhirAuthorization", "'fhirAuthorization' must be an object");
		return FHIR_ERR_INVALID;
	}
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		if ((rc = want_string(auth, strings[i][0], strings[i][1], 1, err)) != FHIR_OK)
			return rc;
	/* §fhirAuthorization: expires_in is a REQUIRED integer, the token's lifetime in seconds
	 * ("SHOULD be very short lived"). The number is untrusted: it is range-checked as a double
	 * BEFORE any conversion (a cast of 3e79, 1e999 or NaN to an integer type is undefined
	 * behaviour, C11 6.3.1.4), and anything outside 0..2147483647 (the FHIR `integer` of the
	 * CDSHooksRequest logical model; 68 years) is a 400, never clamped: a client sending it is
	 * broken, and the value is only validated, never used. */
	const cJSON *expires = cJSON_GetObjectItemCaseSensitive(auth, "expires_in");
	if (!cJSON_IsNumber(expires) || !(expires->valuedouble >= 0.0) ||
	    expires->valuedouble > (double)CDS__EXPIRES_IN_MAX ||
	    expires->valuedouble != (double)(long)expires->valuedouble) {
		fhir_error_set(err, "/fhirAuthorization/expires_in",
		               "'expires_in' must be an integer number of seconds from 0 to %ld",
		               (long)CDS__EXPIRES_IN_MAX);
		return FHIR_ERR_INVALID;
	}
	return want_string(auth, "patient", "/fhirAuthorization/patient", 0, err);
}

int cds__validate_envelope(const cJSON *request, const struct cds__service *service,
                           struct fhir_error *err)
{
	int rc;
	if (!cJSON_IsObject(request)) {
		fhir_error_set(err, "", "the request body must be a JSON object");
		return FHIR_ERR_INVALID;
	}
	/* CDS Hooks 2.0 §HTTP Request: hook, hookInstance and context are REQUIRED. */
	if ((rc = want_string(request, "hook", "/hook", 1, err)) != FHIR_OK)
		return rc;
	const char *hook = cJSON_GetObjectItemCaseSensitive(request, "hook")->valuestring;
	if (strcmp(hook, service->hook) != 0) {
		fhir_error_set(err, "/hook", "service '%s' is for hook '%s', not '%.64s'",
		               service->id, service->hook, hook);
		return FHIR_ERR_INVALID;
	}
	if ((rc = want_string(request, "hookInstance", "/hookInstance", 1, err)) != FHIR_OK)
		return rc;
	const cJSON *context = cJSON_GetObjectItemCaseSensitive(request, "context");
	if (!context) {
		fhir_error_set(err, "/context", "missing required member 'context'");
		return FHIR_ERR_INVALID;
	}
	if (!cJSON_IsObject(context)) {
		fhir_error_set(err, "/context", "'context' must be an object");
		return FHIR_ERR_INVALID;
	}
	if ((rc = want_string(request, "fhirServer", "/fhirServer", 0, err)) != FHIR_OK)
		return rc;
	const cJSON *server = cJSON_GetObjectItemCaseSensitive(request, "fhirServer");
	if (server && strncmp(server->valuestring, "https://", 8) != 0 &&
	    strncmp(server->valuestring, "http://", 7) != 0) {
		fhir_error_set(err, "/fhirServer", "'fhirServer' must be an absolute http(s) URL");
		return FHIR_ERR_INVALID;
	}
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(request, "fhirAuthorization");
	if (auth) {
		/* CDS Hooks 2.0 inv. cds-r-1: fhirServer is REQUIRED when fhirAuthorization is
		 * sent. */
		if (!server) {
			fhir_error_set(err, "/fhirAuthorization",
			               "'fhirAuthorization' is present but 'fhirServer' is missing "
			               "(CDS Hooks 2.0 invariant cds-r-1)");
			return FHIR_ERR_INVALID;
		}
		if ((rc = check_authorization(auth, err)) != FHIR_OK)
			return rc;
	}
	const cJSON *prefetch = cJSON_GetObjectItemCaseSensitive(request, "prefetch");
	if (prefetch && !cJSON_IsObject(prefetch)) {
		fhir_error_set(err, "/prefetch", "'prefetch' must be an object");
		return FHIR_ERR_INVALID;
	}
	return FHIR_OK;
}

void cds__sanitize(const char *text, char *buf, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return;
	for (const char *p = text; p && *p && n + 1 < size; p++) {
		char c = *p;
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
		buf[n++] = ok ? c : '?';
	}
	buf[n] = '\0';
}
