/* testserver.c — the in-process server of testserver.h. Test support only. */
#include <stdio.h>
#include <string.h>

#include "fhir.h"
#include "testserver.h"

/* Records why the start failed and frees what was made: *t is zeroed. */
static int fail(struct test_server *t, char *why, size_t size, const char *what, const char *detail)
{
	snprintf(why, size, "%s%s", what, detail);
	test_server_stop(t);
	return -1;
}

int test_server_start(struct test_server *t, const struct test_server_options *o, char *why,
                      size_t size)
{
	struct fhir_error err;
	char option[128];
	memset(t, 0, sizeof *t);
	t->cfg = cds_config_new();
	if (!t->cfg)
		return fail(t, why, size, "out of memory", "");
	for (size_t i = 0; i < o->count; i++)
		if (cds_config_option(t->cfg, o->opts[i][0], o->opts[i][1], &err) != FHIR_OK) {
			snprintf(option, sizeof option, "--%s: ", o->opts[i][0]);
			return fail(t, why, size, option, err.message);
		}
	if (cds_config_check(t->cfg, &err) != FHIR_OK)
		return fail(t, why, size, "options: ", err.message);
	struct cds_app_options ao = {
	    .decision_log = o->decision_log, .settings = t->cfg, .store = o->store};
	if (cds_app_new(&ao, NULL, &t->app) != FHIR_OK || !t->app)
		return fail(t, why, size, "the demo app (or its store) did not load", "");
	if (o->fetch_budget_ms > 0 &&
	    cds_app_set_fetch_budget(t->app, o->fetch_budget_ms) != FHIR_OK)
		return fail(t, why, size, "the fetch budget was refused", "");
	if (cds_server_start(t->app, "127.0.0.1", 0, &t->server, &err) != FHIR_OK || !t->server) {
		t->server = NULL;
		return fail(t, why, size, "server: ", err.message);
	}
	t->port = cds_server_port(t->server);
	why[0] = '\0';
	return 0;
}

void test_server_stop(struct test_server *t)
{
	cds_server_stop(t->server);
	cds_app_free(t->app);
	cds_config_free(t->cfg);
	memset(t, 0, sizeof *t);
}
