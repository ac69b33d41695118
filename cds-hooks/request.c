/* request.c — checks an untrusted request before anything uses it: the media type, the JSON
 * limits (body nesting and array sizes, checked before and while parsing), and the CDS Hooks
 * 2.0 request envelope. It must not look inside `context` or `prefetch` (the engine does) and
 * must never copy fhirAuthorization values into messages. */
#include <stdint.h>
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

/* How many of the n bytes at s, from the start, are ASCII other than NUL, '"' and the brackets:
 * what scan_body skips outside strings (eight tested at a time: a byte equal to one of those, or
 * above 0x7F, sets the high bit of its lane; '[' and '{', ']' and '}' differ only in 0x20). */
static size_t structure_free_run(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	size_t i = 0;
	while (i + 8 <= n) {
		uint64_t x, folded, q, open, close, hit;
		memcpy(&x, s + i, 8);
		folded = x | (ones * 0x20);
		q = x ^ (ones * '"');
		open = folded ^ (ones * '{');
		close = folded ^ (ones * '}');
		hit = x | ((x - ones) & ~x) | ((q - ones) & ~q) | ((open - ones) & ~open) |
		      ((close - ones) & ~close);
		if (hit & (ones * 0x80))
			break;
		i += 8;
	}
	while (i < n && s[i] != 0 && s[i] < 0x80 && s[i] != '"' && s[i] != '{' && s[i] != '[' &&
	       s[i] != '}' && s[i] != ']')
		i++;
	return i;
}

/* Scans the raw body before cJSON sees it (RFC 8259): valid UTF-8, no unescaped control
 * characters inside strings, and nesting no deeper than max_depth. */
static int scan_body(const char *body, size_t length, unsigned long max_depth,
                     struct fhir_error *err)
{
	const unsigned char *b = (const unsigned char *)body;
	int depth = 0, in_string = 0, escaped = 0;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = b[i];
		/* the common bytes first, in tight loops that change no state: inside a string,
		 * printable ASCII other than '"' and '\\'; outside, ASCII that is not NUL, a quote
		 * or a bracket. The last byte always takes the full path below. */
		if (in_string && !escaped) {
			i += fhir_json_plain_run(b + i, length - i - 1);
			c = b[i];
		} else if (!in_string) {
			i += structure_free_run(b + i, length - i - 1);
			c = b[i];
		}
		if (c >= 0x80) {
			size_t n = fhir_utf8_sequence(b + i, length - i);
			if (n == 0) {
				fhir_error_set(err, "",
				               "the request body is not valid UTF-8 (at byte %zu)",
				               i);
				return FHIR_ERR_SYNTAX;
			}
			i += n - 1;
			continue;
		}
		if (c == 0 || (in_string && c < 0x20)) {
			fhir_error_set(
			    err, "",
			    "unescaped control character 0x%02x in the request body (at byte "
			    "%zu)",
			    (unsigned)c, i);
			return FHIR_ERR_SYNTAX;
		}
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if ((unsigned long)++depth > max_depth) {
				fhir_error_set(err, "",
				               "JSON nesting deeper than %lu levels (at byte %zu)",
				               max_depth, i);
				return FHIR_ERR_LIMIT;
			}
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return FHIR_OK;
}

/* Appends "/name" (RFC 6901 escaped) to the pointer in buf; returns the old length. */
static size_t pointer_push(char *buf, size_t size, const char *name)
{
	size_t old = strlen(buf), n = old;
	if (n + 1 < size)
		buf[n++] = '/';
	for (const char *p = name; *p && n + 2 < size; p++) {
		if (*p == '~' || *p == '/') {
			buf[n++] = '~';
			buf[n++] = *p == '~' ? '0' : '1';
		} else {
			buf[n++] = *p;
		}
	}
	buf[n < size ? n : size - 1] = '\0';
	return old;
}

/* Rejects any array with more than max_items items, naming it by JSON pointer. */
static int check_arrays(const cJSON *node, char *pointer, size_t size, unsigned long max_items,
                        struct fhir_error *err)
{
	if (cJSON_IsArray(node)) {
		size_t count = 0;
		for (const cJSON *c = node->child; c; c = c->next)
			count++;
		if (count > max_items) {
			fhir_error_set(err, pointer,
			               "array has %zu items; at most %lu are accepted", count,
			               max_items);
			return FHIR_ERR_LIMIT;
		}
	}
	if (!cJSON_IsArray(node) && !cJSON_IsObject(node))
		return FHIR_OK;
	size_t index = 0;
	for (const cJSON *c = node->child; c; c = c->next, index++) {
		if (!cJSON_IsArray(c) && !cJSON_IsObject(c))
			continue;
		char name[32];
		const char *key = c->string;
		if (cJSON_IsArray(node) || !key) {
			snprintf(name, sizeof name, "%zu", index);
			key = name;
		}
		size_t old = pointer_push(pointer, size, key);
		int rc = check_arrays(c, pointer, size, max_items, err);
		pointer[old] = '\0';
		if (rc != FHIR_OK)
			return rc;
	}
	return FHIR_OK;
}

/* 1 when some array below node has more than max_items items (check_arrays names it). */
static int arrays_too_long(const cJSON *node, unsigned long max_items)
{
	size_t count = 0;
	for (const cJSON *c = node->child; c; c = c->next) {
		count++;
		if ((c->type & (cJSON_Array | cJSON_Object)) && c->child &&
		    arrays_too_long(c, max_items))
			return 1;
	}
	return (node->type & cJSON_Array) && count > max_items;
}

int cds__parse_body(const char *body, size_t length, cJSON **out, struct fhir_error *err)
{
	return cds__parse_json_limited(body, length, CDS_MAX_JSON_DEPTH, CDS_MAX_ARRAY_ITEMS, out,
	                               err);
}

int cds__parse_json_limited(const char *body, size_t length, unsigned long max_depth,
                            unsigned long max_items, cJSON **out, struct fhir_error *err)
{
	int rc = FHIR_OK;
	cJSON *json = NULL;
	*out = NULL;
	if (!body || length == 0) {
		fhir_error_set(err, "", "the request body is empty; a JSON object is required");
		rc = FHIR_ERR_SYNTAX;
		goto out;
	}
	rc = scan_body(body, length, max_depth, err);
	if (rc != FHIR_OK)
		goto out;
	const char *end = NULL;
	json = cJSON_ParseWithLengthOpts(body, length, &end, 0);
	if (!json) {
		size_t at = end && end >= body ? (size_t)(end - body) : 0;
		fhir_error_set(err, "", "the request body is not valid JSON (error near byte %zu)",
		               at);
		rc = FHIR_ERR_SYNTAX;
		goto out;
	}
	while (end && (size_t)(end - body) < length &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end && (size_t)(end - body) < length) {
		fhir_error_set(err, "", "unexpected text after the JSON value (at byte %zu)",
		               (size_t)(end - body));
		rc = FHIR_ERR_SYNTAX;
		goto out;
	}
	char pointer[256] = "";
	if (arrays_too_long(json, max_items)) /* then again, naming the array */
		rc = check_arrays(json, pointer, sizeof pointer, max_items, err);
	if (rc != FHIR_OK)
		goto out;
	*out = json;
	json = NULL;
out:
	cJSON_Delete(json);
	return rc;
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
	static const char *const strings[] = {"access_token", "token_type", "scope", "subject"};
	int rc;
	if (!cJSON_IsObject(auth)) {
		fhir_error_set(err, "/fhirAuthorization", "'fhirAuthorization' must be an object");
		return FHIR_ERR_INVALID;
	}
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
		char where[64];
		snprintf(where, sizeof where, "/fhirAuthorization/%s", strings[i]);
		if ((rc = want_string(auth, strings[i], where, 1, err)) != FHIR_OK)
			return rc;
	}
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
