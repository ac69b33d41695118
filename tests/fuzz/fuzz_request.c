/* fuzz_request.c — libFuzzer target: any bytes as the body of a CDS Hooks service call
 * (order-select, order-sign) or feedback POST, through cds_handle exactly as the server answers
 * them (limits, envelope, engine). Must never crash, leak or answer 5xx other than 500 from a
 * real engine failure. Build: -DCDS_FUZZ=ON with clang (README "Fuzzing"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cds.h"

static struct cds_app *app;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct cds_app_options opts = {.decision_log = "-"};
	if (cds_app_new(&opts, NULL, &app) != FHIR_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
	    "/cds-services/" CDS_SERVICE_ORDER_SELECT,
	    "/cds-services/" CDS_SERVICE_ORDER_SIGN,
	    "/cds-services/" CDS_SERVICE_ORDER_SELECT "/feedback",
	};
	static const struct fhir_datetime now = {.year = 2025,
	                                         .month = 1,
	                                         .day = 15,
	                                         .hour = 12,
	                                         .precision = FHIR_PREC_SECOND,
	                                         .has_date = 1,
	                                         .has_tz = 1};
	/* The last byte picks the route, so one corpus explores all three. */
	size_t route = size ? data[size - 1] % 3u : 0;
	char *body = malloc(size + 1); /* cds_handle reads exactly body_length bytes */
	if (!body)
		abort();
	for (size_t i = 0; i < size; i++)
		body[i] = (char)data[i];
	body[size] = '\0';
	struct cds_request req = {.method = "POST",
	                          .path = paths[route],
	                          .content_type = "application/json",
	                          .body = body,
	                          .body_length = size,
	                          .now = &now};
	struct cds_reply reply;
	cds_handle(app, &req, &reply);
	if (reply.status == 0 || !reply.body)
		abort();
	cds_reply_clear(&reply);
	free(body);
	return 0;
}
