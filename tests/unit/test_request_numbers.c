/* test_request_numbers.c — untrusted JSON numbers in the request envelope (issue 11 item 7):
 * fhirAuthorization.expires_in (CDS Hooks 2.0 §fhirAuthorization: a REQUIRED integer, seconds)
 * out of range, infinite, fractional or negative is one 400 naming
 * /fhirAuthorization/expires_in, and never reaches a double -> integer conversion out of range
 * (undefined behaviour: the asan+ubsan suite builds with -fsanitize=float-cast-overflow and
 * -fno-sanitize-recover=all, so such a cast aborts this test there). 0..2147483647 is accepted.
 * The numbers are written into the body verbatim (cJSON raw), as a client would send them.
 * Reads the knee-injection example from $CDS_SHARED_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cds.h"
#include "fhirauth.h"
#include "testkit.h"

static struct cds_app *app;
static char *example;

/* The example with a fhirAuthorization whose expires_in is `number` written verbatim. NEW. */
static char *with_expires_in(const char *number)
{
	cJSON *j = cJSON_Parse(example);
	cJSON *a = fhirauth_add(j, "SECRET-TOKEN-4711", "user/Patient.read", "cds-commissioning");
	cJSON_ReplaceItemInObjectCaseSensitive(a, "expires_in", cJSON_CreateRaw(number));
	if (!cJSON_GetObjectItemCaseSensitive(j, "fhirServer"))
		cJSON_AddStringToObject(j, "fhirServer", "https://ehr.example.org/fhir");
	char *out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return out;
}

/* Sends the example with expires_in = number; the reply must be cleared by the caller. */
static void send(const char *number, struct cds_reply *r)
{
	char *body = with_expires_in(number);
	struct cds_request req = {.method = "POST",
	                          .path = "/cds-services/" CDS_SERVICE_ORDER_SELECT,
	                          .content_type = "application/json",
	                          .body = body,
	                          .body_length = body ? strlen(body) : 0};
	cds_handle(app, &req, r);
	free(body);
}

static int names_expires_in(const struct cds_reply *r)
{
	return r->body && strstr(r->body, "\"/fhirAuthorization/expires_in\"") != NULL;
}

int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/examples/uk-msk-order-select-knee-injection.json",
	         shared ? shared : "../shared");
	example = testkit_read(path, NULL);
	CHECK(example != NULL, "read %s", path);
	struct cds_app_options opts = {.decision_log = "-"};
	CHECK(example && cds_app_new(&opts, NULL, &app) == FHIR_OK, "app");
	if (!example || !app)
		return testkit_done();

	/* Out of every integer type's range, infinite, fractional, negative, or not a number:
	 * one 400 at the member, and the token is never echoed. */
	static const char *const bad[] = {
	    "3e79", "1e999",      "-1e999",     "-3e79", "9223372036854775808",
	    "1e19", "2147483648", "4294967296", "1.5",   "-1",
	    "0.5",  "1e-7",       "\"300\"",    "null",  "true",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct cds_reply r;
		send(bad[i], &r);
		CHECK(r.status == 400 && names_expires_in(&r),
		      "expires_in %s: want 400 at /fhirAuthorization/expires_in, got %u %s", bad[i],
		      r.status, r.body ? r.body : "");
		CHECK(!r.body || !strstr(r.body, "SECRET-TOKEN-4711"),
		      "expires_in %s: token echoed", bad[i]);
		cds_reply_clear(&r);
	}
	/* In range (exponent forms included): the envelope accepts it. */
	static const char *const good[] = {"0", "300", "3e2", "2147483647", "-0"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct cds_reply r;
		send(good[i], &r);
		CHECK(r.status == 200 && !names_expires_in(&r),
		      "expires_in %s: want 200, got %u %s", good[i], r.status,
		      r.body ? r.body : "");
		cds_reply_clear(&r);
	}
	cds_app_free(app);
	free(example);
	return testkit_done();
}
