/* test_examples.c — posts every request body in $CDS_SHARED_DIR/examples/ and examples/sandbox/
 * through cds_handle (embedded policies) and checks each reply: 200, the CDS Hooks 2.0 card
 * rules on every card, no cards for the US payer (Inferno) and sandbox bodies, and one HNY 142
 * card for the UK knee injection's selected order only; the Sandbox's CPT MRI bodies, offline,
 * 412 naming conditions (see expected_status). Files that are not requests (JWKS, the
 * conditions bundle, the CPT list) are skipped. Ends with "N passed, M failed". */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardcheck.h"

/* On or after every policy's effectiveFrom (NWL: 2025-07-01). */
#define NOW       "2025-09-15T12:00:00Z"
#define MAX_FILES 1000

/* What a file expects beyond the generic checks. */
static void check_expectations(struct checker *c, const char *file, const cJSON *response)
{
	const cJSON *cards = fhir_get(response, "cards");
	int n = cJSON_GetArraySize(cards);

	if (strncmp(file, "inferno-", 8) == 0 || strncmp(file, "sandbox/", 8) == 0) {
		if (n != 0)
			checker_fail(c, "cards", "%d cards, want none (no UK MSK order)", n);
	} else if (strcmp(file, "uk-msk-order-select-knee-injection.json") == 0) {
		const cJSON *a = fhir_get(fhir_get(cJSON_GetArrayItem(cards, 0), "extension"),
		                          "cds-commissioning.assessment");
		const char *policy = fhir_get_string(a, "policy");
		const char *order = fhir_get_string(a, "order");

		if (n != 1)
			checker_fail(c, "cards",
			             "%d cards, want 1 (HNY 142 for the selected order only)", n);
		if (policy == NULL || strcmp(policy, "hny-142-usgi") != 0)
			checker_fail(c, "cards[0]", "policy '%s', want hny-142-usgi",
			             policy ? policy : "(none)");
		if (order == NULL || strcmp(order, "ServiceRequest/sr-knee-injection-us") != 0)
			checker_fail(c, "cards[0]",
			             "order '%s', want ServiceRequest/sr-knee-injection-us",
			             order ? order : "(none)");
	}
}

/* The status a file expects: 200, except the Sandbox's CPT-coded orders (the demo deployment's
 * extraTriggers make the NWL policy apply), which come without prefetch or fhirAuthorization:
 * offline nothing can be fetched, so the conditions the policy requires are missing (412). With
 * the Sandbox's FHIR server reachable they get the NWL card: tests/unit/test_sandbox_http.c. */
static unsigned expected_status(const char *file, const cJSON *request)
{
	const cJSON *entry, *coding;

	if (strncmp(file, "sandbox/", 8) != 0)
		return 200;
	cJSON_ArrayForEach(entry,
	                   fhir_get(fhir_get(fhir_get(request, "context"), "draftOrders"), "entry"))
	{
		cJSON_ArrayForEach(
		    coding, fhir_get(fhir_get(fhir_get(entry, "resource"), "code"), "coding"))
		{
			const char *system = fhir_get_string(coding, "system");

			if (system != NULL && strcmp(system, "http://www.ama-assn.org/go/cpt") == 0)
				return 412;
		}
	}
	return 200;
}

/* Runs one file (`file` relative to the examples folder). Returns 1 passed, 0 failed, -1 when
 * the file is not a CDS Hooks request. */
static int run_file(struct cds_app *app, const char *dir, const char *file)
{
	struct checker c = {file, 0};
	char path[4096];
	char *body;
	size_t length = 0;
	cJSON *request, *response = NULL;
	const char *hook;
	struct fhir_datetime now;
	struct fhir_error err;
	struct cds_request req = {0}; /* members the file does not set stay empty */
	struct cds_reply reply = {0};

	body = checker_path(path, sizeof(path), dir, file, "") ? checker_read_file(path, &length)
	                                                       : NULL;
	request = body != NULL ? cJSON_Parse(body) : NULL;
	hook = fhir_get_string(request, "hook");
	if (hook == NULL || fhir_get(request, "context") == NULL) {
		cJSON_Delete(request);
		free(body);
		return -1;
	}
	if (fhir_datetime_parse(NOW, &now, &err) != FHIR_OK)
		abort();
	req.method = "POST";
	req.path = strcmp(hook, "order-sign") == 0 ? "/cds-services/" CDS_SERVICE_ORDER_SIGN
	                                           : "/cds-services/" CDS_SERVICE_ORDER_SELECT;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = length;
	req.now = &now;
	cds_handle(app, &req, &reply);
	if (reply.status != expected_status(file, request)) {
		checker_fail(&c, "status", "%u, want %u; body %.300s", reply.status,
		             expected_status(file, request), reply.body != NULL ? reply.body : "");
		goto out;
	}
	if (reply.status == 412) {
		if (reply.body == NULL || strstr(reply.body, "conditions") == NULL)
			checker_fail(&c, "body", "the 412 does not name conditions: %.300s",
			             reply.body != NULL ? reply.body : "");
		goto out;
	}
	response = reply.body != NULL ? cJSON_Parse(reply.body) : NULL;
	if (response == NULL) {
		checker_fail(&c, "body", "reply body is not JSON");
		goto out;
	}
	checker_check_response(&c, response, request);
	check_expectations(&c, file, response);
out:
	cds_reply_clear(&reply);
	cJSON_Delete(response);
	cJSON_Delete(request);
	free(body);
	return c.failures == 0;
}

static void print_error(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	printf("config: %s#%s: %s\n", file, pointer, message);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the *.json names of `dir`/`sub` (as "sub/name", or "name" when sub is "") to names. */
static void list_json(const char *dir, const char *sub, char **names, size_t *count)
{
	char path[4096];
	DIR *d;
	const struct dirent *ent;

	if (!checker_path(path, sizeof(path), dir, sub, ""))
		return;
	d = opendir(path);
	if (d == NULL)
		return;
	while ((ent = readdir(d)) != NULL && *count < MAX_FILES) {
		size_t len = strlen(ent->d_name);
		size_t need = strlen(sub) + 1 + len + 1;

		if (len < 6 || strcmp(ent->d_name + len - 5, ".json") != 0)
			continue;
		names[*count] = malloc(need);
		if (names[*count] == NULL)
			abort();
		snprintf(names[*count], need, "%s%s%s", sub, sub[0] != '\0' ? "/" : "",
		         ent->d_name);
		(*count)++;
	}
	closedir(d);
}

/* Runs every example request; exit status 1 when any fails. */
int main(void)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char dir[4096];
	struct cds_app_options opts = {
	    .policies_dir = NULL, .config_file = NULL, .decision_log = "-"};
	struct engine_reporter rep = {print_error, NULL};
	struct cds_app *app = NULL;
	char *names[MAX_FILES];
	size_t count = 0, i;
	int passed = 0, failed = 0;

	snprintf(dir, sizeof(dir), "%s/examples", shared != NULL ? shared : "../shared");
	if (cds_app_new(&opts, &rep, &app) != FHIR_OK) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	list_json(dir, "", names, &count);
	list_json(dir, "sandbox", names, &count);
	qsort(names, count, sizeof(names[0]), by_name);
	for (i = 0; i < count; i++) {
		int rc = run_file(app, dir, names[i]);

		if (rc > 0)
			passed++;
		else if (rc == 0)
			failed++;
		else
			printf("skip %s: not a CDS Hooks request\n", names[i]);
		free(names[i]);
	}
	if (passed + failed == 0) {
		printf("FAIL %s: no example requests\n", dir);
		failed++;
	}
	cds_app_free(app);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
