/* test_reload.c — reload in process (issue 14 item 1; reload.c, app.c's generations): an app
 * with a trusted issuer whose keys are in a JWKS file, reloaded synchronously (cds__reload_now):
 *  - a rewritten JWKS file (key rotated) is swapped in: the new key is accepted, the old refused;
 *  - a generation a request still holds keeps answering on its own set after the swap, and is
 *    freed when released (ASan: no use after free, no leak);
 *  - a broken JWKS file, and removing every issuer (open demo mode), are refused with the file
 *    and JSON pointer logged, and the running generation stays current;
 *  - a changed port and limit are named as needing a restart and kept;
 *  - /metrics counts the reloads by result and reports the digest of the set being served.
 * Uses CDS_SOURCE_DIR (set by ctest) for policies/ and the decision vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds_internal.h"
#include "testjwt.h"
#include "testkit.h"

#define ISS     "https://ehr.example"
#define PUBLIC  "https://cds.example"
#define SELECT  "/cds-services/commissioning-order-select"
#define REQUEST "tests/vectors/gm070-cervical-facet-not-commissioned-ifr/request.json"

static char dir[] = "/tmp/cds-test-reload-XXXXXX";
static char config[1100], jwks[1100];
static char *deployment; /* policies/deployment.json's text */

/* Writes the config file: the deployment plus a "server" object with `server` (JSON members). */
static void write_config(const char *server)
{
	FILE *f = fopen(config, "w");
	const char *rest = strchr(deployment, '{');
	fprintf(f, "{\"server\": {%s},%s", server, rest ? rest + 1 : "}");
	fclose(f);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* cds__reload_source.settings: the config file alone. */
static size_t settings(void *ctx, const struct engine_reporter *rep, struct cds_config **out)
{
	(void)ctx;
	*out = cds_config_new();
	return cds_config_load_file_all(*out, config, rep);
}

static size_t quiet_errors;
static void quiet(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	quiet_errors++;
	fprintf(stderr, "%s#%s: %s\n", file ? file : "", pointer ? pointer : "", message);
}

/* A service call on generation `app` with a fresh token signed by `key`; the status. */
static unsigned call(struct cds_app *app, const struct testkey *key, const char *body)
{
	static int jti;
	char id[32];
	snprintf(id, sizeof id, "jti-%d", ++jti);
	char *token = testjwt_token(key, NULL, ISS, "\"" PUBLIC SELECT "\"", 0, 300, id);
	char authorization[4096];
	snprintf(authorization, sizeof authorization, "Bearer %s", token);
	struct cds_request req = {0};
	req.method = "POST";
	req.path = SELECT;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = strlen(body);
	req.authorization = authorization;
	struct cds_reply reply;
	cds_handle(app, &req, &reply);
	unsigned status = reply.status;
	cds_reply_clear(&reply);
	free(token);
	return status;
}

/* The same on the host's current generation, held for the call only. */
static unsigned call_current(struct cds__host *host, const struct testkey *key, const char *body)
{
	struct cds_app *app = cds__app_acquire(host);
	unsigned status = call(app, key, body);
	cds__app_release(app);
	return status;
}

static char *metrics_text(struct cds__host *host)
{
	struct cds_app *app = cds__app_acquire(host);
	struct cds_reply reply = {0};
	int preflight = 0;
	cds__ops_route(app, "GET", "/metrics", 8, &reply, &preflight);
	cds__app_release(app);
	char *text = reply.body;
	reply.body = NULL;
	cds_reply_clear(&reply);
	return text;
}

/* The reload log so far (the reloader writes to `log`). */
static int logged(FILE *log, const char *text)
{
	fflush(log);
	long n = ftell(log);
	char *all = calloc(1, (size_t)n + 1);
	rewind(log);
	if (fread(all, 1, (size_t)n, log) != (size_t)n)
		all[0] = '\0';
	fseek(log, 0, SEEK_END);
	int found = strstr(all, text) != NULL;
	free(all);
	return found;
}

int main(void)
{
	const char *source = getenv("CDS_SOURCE_DIR");
	if (!source)
		source = ".";
	if (!mkdtemp(dir))
		return 1;
	char path[1200], policies[1100], cmd[2500];
	snprintf(policies, sizeof policies, "%s/policies", dir);
	snprintf(config, sizeof config, "%s/config.json", dir);
	snprintf(jwks, sizeof jwks, "%s/jwks.json", dir);
	snprintf(cmd, sizeof cmd, "cp -R '%s/policies' '%s'", source, dir);
	CHECK(system(cmd) == 0, "copy policies");
	snprintf(path, sizeof path, "%s/policies/deployment.json", source);
	deployment = testkit_read(path, NULL);
	snprintf(path, sizeof path, "%s/" REQUEST, source);
	char *body = testkit_read(path, NULL);
	CHECK(deployment && body, "read the deployment and the request");
	if (!deployment || !body)
		return testkit_done();

	struct testkey k1, k2;
	testkey_generate(&k1, "ES384", "k1");
	testkey_generate(&k2, "ES384", "k2");
	const struct testkey *one[1] = {&k1};
	char *jwks_text = testkey_jwks(one, 1);
	write_text(jwks, jwks_text);
	free(jwks_text);
	static const char server[] =
	    "\"issuers\": [{\"iss\": \"" ISS "\", \"jwks\": \"jwks.json\"}], "
	    "\"publicUrl\": \"" PUBLIC "\", \"replayCacheFile\": \"-\"";
	write_config(server);

	struct engine_reporter rep = {quiet, NULL};
	struct cds_config *cfg = NULL;
	CHECK(settings(NULL, &rep, &cfg) == 0, "the config file loads");
	struct cds_app_options opts = {0};
	opts.policies_dir = policies;
	opts.config_file = config;
	opts.decision_log = "-";
	opts.settings = cfg;
	struct cds_app *app = NULL;
	CHECK(cds_app_new(&opts, &rep, &app) == FHIR_OK, "the app loads");
	if (!app)
		return testkit_done();
	struct cds__host *host = app->host;
	FILE *log = tmpfile();
	struct cds__reload_source src = {policies, config, settings, NULL, log};
	struct cds__reloader *r = NULL;
	CHECK(cds__reload_start(host, &src, &r) == FHIR_OK, "the reload thread starts");

	CHECK(call_current(host, &k1, body) == 200, "k1 is trusted");
	CHECK(call_current(host, &k2, body) == 401, "k2 is not, yet");
	char digest[72];
	snprintf(digest, sizeof digest, "%s", app->digest);

	/* Key rotation: the JWKS file now holds k2 alone. A request in flight holds the first
	 * generation through the swap. */
	const struct testkey *two[1] = {&k2};
	jwks_text = testkey_jwks(two, 1);
	write_text(jwks, jwks_text);
	free(jwks_text);
	struct cds_app *held = cds__app_acquire(host);
	CHECK(held == app, "the first generation is current");
	CHECK(cds__reload_now(r) == 1, "the rotated JWKS file is swapped in");
	CHECK(call_current(host, &k2, body) == 200, "after the swap k2 is trusted");
	CHECK(call_current(host, &k1, body) == 401, "and k1 no longer");
	CHECK(call(held, &k1, body) == 200, "a request holding the old generation finishes on it");
	cds__app_release(held); /* the old generation goes with its last holder (and main's) */
	cds__app_release(app);
	app = NULL;
	CHECK(logged(log, "cds-commissioning: reloaded: policy set sha256:"), "the swap is logged");

	/* A broken JWKS file: refused, named, and the running set keeps serving. */
	struct cds_app *before = cds__app_acquire(host);
	write_text(jwks, "{\"keys\": [");
	CHECK(cds__reload_now(r) == 0, "a broken JWKS file is refused");
	CHECK(logged(log, jwks), "the refusal names the JWKS file");
	CHECK(logged(log, "cds-commissioning: reload refused: the configuration has 1 error"),
	      "the refusal counts its errors");
	struct cds_app *after = cds__app_acquire(host);
	CHECK(after == before, "the running generation stays current");
	cds__app_release(after);
	cds__app_release(before);
	CHECK(call_current(host, &k2, body) == 200, "k2 is still trusted");

	/* Open demo mode cannot come in by reload. */
	jwks_text = testkey_jwks(two, 1);
	write_text(jwks, jwks_text);
	free(jwks_text);
	write_config("\"replayCacheFile\": \"-\"");
	CHECK(cds__reload_now(r) == 0, "removing every issuer is refused");
	CHECK(logged(log, "#/server/issuers: switching between open demo mode"),
	      "with the file and pointer");

	/* Settings that need a restart are kept, named, and the rest applies. */
	char restart[1024];
	snprintf(restart, sizeof restart,
	         "%s, \"port\": 9999, \"limits\": {\"maxInFlight\": 7}, "
	         "\"allowOrigins\": [\"https://app.example\"]",
	         server);
	write_config(restart);
	CHECK(cds__reload_now(r) == 1, "a reload with restart-only changes is swapped in");
	CHECK(logged(log, "so kept as running: port, limits.maxInFlight"),
	      "port and maxInFlight named as needing a restart");
	struct cds_app *now = cds__app_acquire(host);
	CHECK(now->settings->port == -1 && now->settings->limits.max_in_flight == 64,
	      "the running port and limit are kept (%ld, %lu)", now->settings->port,
	      now->settings->limits.max_in_flight);
	CHECK(now->settings->origin_count == 1, "allowOrigins is reloaded");
	CHECK(strcmp(now->digest, digest) != 0, "the config file is part of the set's digest");
	cds__app_release(now);

	char *text = metrics_text(host);
	CHECK(text && strstr(text, "cds_reloads_total{result=\"success\",trigger=\"signal\"} 2\n"),
	      "2 swaps counted");
	CHECK(text && strstr(text, "cds_reloads_total{result=\"failure\",trigger=\"signal\"} 2\n"),
	      "2 refusals counted");
	now = cds__app_acquire(host);
	char want[128];
	snprintf(want, sizeof want, "cds_policy_set_info{digest=\"%s\"} 1", now->digest);
	CHECK(text && strstr(text, want), "the digest is the served set's");
	cds__app_release(now);
	free(text);

	/* As main.c stops: the reload thread, then the service. */
	cds__host_retain(host);
	cds__reload_stop(r);
	cds__host_close(host);
	cds__host_release(host);
	cds_config_free(cfg); /* the first generation's settings (BORROWED by it) */
	fclose(log);
	testkey_free(&k1);
	testkey_free(&k2);
	free(deployment);
	free(body);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "clean up");
	return testkit_done();
}
