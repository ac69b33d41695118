/* test_sandbox_http.c — the public CDS Hooks Sandbox's calls over HTTP, on 127.0.0.1 only
 * (issue 7; ../shared/reference/cds-hooks-2.0.md §13): the three recorded order-select bodies
 * (../shared/examples/sandbox/) sent verbatim but for fhirServer, which points at a loopback
 * stand-in for the Sandbox's open FHIR server (patient p1: a Patient, no Conditions; no token
 * accepted or needed), each with a JWT made as the Sandbox makes it (ES384, kid, jku, aud = the
 * URL called, exp = iat + 300, fresh jti; a key generated here, not the Sandbox's) to a server
 * trusting issuer https://sandbox.cds-hooks.org with the jku allow-listed; the browser's CORS
 * preflight; the systemActions mirror; and the NHS defaults (no fetch without a token: 412). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "cds_internal.h"
#include "testjwt.h"
#include "httpclient.h"
#include "testkit.h"

#define ISS    "https://sandbox.cds-hooks.org"
#define ORIGIN "https://sandbox.cds-hooks.org"
#define SELECT "/cds-services/" CDS_SERVICE_ORDER_SELECT

/* ---- the Sandbox side: its jku and its open FHIR server (loopback) ----------------------------
 */

static struct {
	pthread_mutex_t mutex;
	char *jwks;
	int jwks_hits, fhir_hits, fhir_with_authorization, conditions_hits;
} side = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0};

static enum MHD_Result side_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **state)
{
	(void)cls, (void)method, (void)version, (void)upload, (void)upload_size;
	if (!*state) {
		*state = (void *)1;
		return MHD_YES;
	}
	const char *body = NULL;
	unsigned status = 200;
	const char *type = "application/fhir+json";
	pthread_mutex_lock(&side.mutex);
	if (strcmp(url, "/.well-known/jwks.json") == 0) {
		side.jwks_hits++;
		body = side.jwks;
		type = "application/json";
	} else if (strncmp(url, "/fhir/", 6) == 0) {
		const char *patient =
		    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "patient");
		side.fhir_hits++;
		if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))
			side.fhir_with_authorization++;
		if (strcmp(url, "/fhir/Patient/p1") == 0) {
			body = "{\"resourceType\":\"Patient\",\"id\":\"p1\"}";
		} else if (strcmp(url, "/fhir/Condition") == 0 && patient &&
		           strcmp(patient, "p1") == 0) {
			side.conditions_hits++; /* p1 has no Conditions: the Sandbox omits the key
			                         */
			body = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0}";
		} else if (patient && strcmp(patient, "p1") == 0) {
			body = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0}";
		}
	}
	if (!body) {
		status = 404;
		body = "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
		       "\"code\":\"not-found\"}]}";
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&side.mutex);
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static struct MHD_Daemon *side_start(unsigned *port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, side_answer, NULL, MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_END);
	const union MHD_DaemonInfo *info =
	    d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	*port = info ? info->port : 0;
	return d;
}

/* ---- a browser-like HTTP client ------------------------------------------------------------ */

struct http {
	long status;
	char *body;
	size_t length;
	char acao[256], acam[128], acah[256];
};

/* One request with the given extra header lines (NULL-terminated); status 0 unless the exchange
 * completed. */
static void perform(const char *url, const char *method, const char *const *headers,
                    const char *body, struct http *h)
{
	memset(h, 0, sizeof *h);
	struct httptest_request rq = {method, url, headers, body, NULL, 60};
	struct httptest_response rs;
	if (httptest_perform(&rq, &rs) == CURLE_OK)
		h->status = rs.status;
	h->body = rs.body;
	h->length = rs.length;
	rs.body = NULL; /* h owns it now */
	httptest_response_header(&rs, "Access-Control-Allow-Origin", h->acao, sizeof h->acao);
	httptest_response_header(&rs, "Access-Control-Allow-Methods", h->acam, sizeof h->acam);
	httptest_response_header(&rs, "Access-Control-Allow-Headers", h->acah, sizeof h->acah);
	httptest_response_clear(&rs);
}

/* 1 when `list` (a header value) holds `word`, ignoring case. */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; *p; p++)
		if (strncasecmp(p, word, n) == 0)
			return 1;
	return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *text = NULL;
	size_t n = 0, cap = 0, got;
	char buf[4096];
	while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
		if (n + got + 1 > cap) {
			cap = (n + got + 1) * 2;
			text = realloc(text, cap);
		}
		memcpy(text + n, buf, got);
		n += got;
	}
	fclose(f);
	if (text)
		text[n] = '\0';
	return text;
}

/* The recorded request n as JSON, fhirServer replaced by `fhir` when not NULL. NEW. */
static cJSON *recorded(int n, const char *fhir)
{
	const char *shared = getenv("CDS_SHARED_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/examples/sandbox/sandbox-order-select-%d.json",
	         shared ? shared : "../shared", n);
	char *text = read_text(path);
	cJSON *json = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (json && fhir)
		cJSON_ReplaceItemInObjectCaseSensitive(json, "fhirServer",
		                                       cJSON_CreateString(fhir));
	return json;
}

/* The one card's assessment, or NULL. */
static const cJSON *assessment(const cJSON *response)
{
	const cJSON *cards = fhir_get(response, "cards");
	if (cJSON_GetArraySize(cards) != 1)
		return NULL;
	return fhir_get(fhir_get(cJSON_GetArrayItem(cards, 0), "extension"),
	                "cds-commissioning.assessment");
}

static int is_community_msk(const cJSON *response)
{
	const cJSON *a = assessment(response);
	const char *policy = fhir_get_string(a, "policy");
	const char *rec = cJSON_IsString(cJSON_GetArrayItem(fhir_get(a, "recommendations"), 0))
	                      ? cJSON_GetArrayItem(fhir_get(a, "recommendations"), 0)->valuestring
	                      : NULL;
	return policy && strcmp(policy, "nwl-msk-imaging") == 0 && rec &&
	       strcmp(rec, "community-msk-referral") == 0;
}

/* Through cds_handle (no HTTP, no JWT): the reply to `request` on `path`. NEW JSON. */
static cJSON *handle(struct cds_app *app, const char *path, const cJSON *request, unsigned *status)
{
	char *body = cJSON_PrintUnformatted(request);
	struct cds_request req = {0};
	struct cds_reply reply = {0};
	req.method = "POST";
	req.path = path;
	req.content_type = "application/json";
	req.body = body;
	req.body_length = strlen(body);
	cds_handle(app, &req, &reply);
	*status = reply.status;
	cJSON *json = reply.body ? cJSON_Parse(reply.body) : NULL;
	cds_reply_clear(&reply);
	free(body);
	return json;
}

/* ---- the tests --------------------------------------------------------------------------- */

static void test_over_http(const char *jwks_path, unsigned side_port)
{
	char jku[160], fhir[160], issuer[1200], issuer_jku[300];
	struct fhir_error err = {{0}, {0}};
	struct testkey key;
	CHECK(testkey_generate(&key, "ES384", "sandbox-test-kid") == 0, "ES384 key");
	const struct testkey *keys[] = {&key};
	char *jwks = testkey_jwks(keys, 1);
	pthread_mutex_lock(&side.mutex);
	side.jwks = jwks;
	pthread_mutex_unlock(&side.mutex);
	FILE *f = fopen(jwks_path, "w");
	if (f) {
		fputs(jwks, f);
		fclose(f);
	}
	snprintf(jku, sizeof jku, "http://127.0.0.1:%u/.well-known/jwks.json", side_port);
	snprintf(fhir, sizeof fhir, "http://127.0.0.1:%u/fhir", side_port);

	/* As the README's Sandbox command: the issuer with its JWKS file, its jku allow-listed,
	 * the Sandbox's origin, and fetching from its open FHIR server. */
	struct cds_config *cfg = cds_config_new();
	snprintf(issuer, sizeof issuer, ISS "=%s", jwks_path);
	snprintf(issuer_jku, sizeof issuer_jku, ISS "=%s", jku);
	CHECK(cds_config_option(cfg, "allow-http-jwks", NULL, &err) == FHIR_OK &&
	          cds_config_option(cfg, "issuer", issuer, &err) == FHIR_OK &&
	          cds_config_option(cfg, "issuer-jku", issuer_jku, &err) == FHIR_OK &&
	          cds_config_option(cfg, "allow-origin", ORIGIN, &err) == FHIR_OK &&
	          cds_config_option(cfg, "fetch-without-authorization", NULL, &err) == FHIR_OK &&
	          cds_config_check(cfg, &err) == FHIR_OK,
	      "settings: %s %s", err.where, err.message);
	struct cds_app_options o = {.decision_log = "-", .settings = cfg};
	struct cds_app *app = NULL;
	struct cds_server *server = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK, "app trusting the Sandbox issuer");
	CHECK(app && cds_server_start(app, "127.0.0.1", 0, &server, &err) == FHIR_OK, "server: %s",
	      err.message);
	if (!server)
		goto out;
	char url[300];
	snprintf(url, sizeof url, "%s%s", cds_server_url(server), SELECT);

	/* The browser's preflight, exactly: no Authorization, lower-case header list. */
	struct http h;
	const char *preflight[] = {"Origin: " ORIGIN, "Access-Control-Request-Method: POST",
	                           "Access-Control-Request-Headers: authorization,content-type",
	                           NULL};
	perform(url, "OPTIONS", preflight, NULL, &h);
	CHECK(h.status >= 200 && h.status < 300, "preflight: %ld", h.status);
	CHECK(strcmp(h.acao, ORIGIN) == 0 || strcmp(h.acao, "*") == 0, "preflight ACAO '%s'",
	      h.acao);
	CHECK(strstr(h.acam, "POST") != NULL, "preflight ACAM '%s'", h.acam);
	CHECK(has_word(h.acah, "authorization") && has_word(h.acah, "content-type"),
	      "preflight ACAH '%s'", h.acah);
	free(h.body);

	/* The three calls of one order, each signed as the Sandbox signs. */
	for (int n = 1; n <= 3; n++) {
		cJSON *req = recorded(n, fhir);
		CHECK(req != NULL, "recorded request %d", n);
		if (!req)
			continue;
		char *body = cJSON_PrintUnformatted(req);
		char aud[320], jti[64], auth[4096];
		snprintf(aud, sizeof aud, "\"%s\"", url);
		snprintf(jti, sizeof jti, "sandbox-test-jti-%d-%ld", n, (long)getpid());
		char *token = testjwt_token(&key, jku, ISS, aud, 0, 300, jti);
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		const char *headers[] = {"Content-Type: application/json",
		                         "Accept: application/json", "Origin: " ORIGIN, auth, NULL};
		pthread_mutex_lock(&side.mutex);
		int before = side.conditions_hits;
		pthread_mutex_unlock(&side.mutex);
		perform(url, "POST", headers, body, &h);
		cJSON *response = h.body ? cJSON_Parse(h.body) : NULL;
		CHECK(h.status == 200, "call %d: %ld %s", n, h.status, h.body ? h.body : "");
		CHECK(strcmp(h.acao, ORIGIN) == 0, "call %d ACAO '%s'", n, h.acao);
		pthread_mutex_lock(&side.mutex);
		int fetched = side.conditions_hits - before;
		pthread_mutex_unlock(&side.mutex);
		if (n == 1) {
			CHECK(cJSON_GetArraySize(fhir_get(response, "cards")) == 0 &&
			          cJSON_IsArray(fhir_get(response, "cards")),
			      "call 1 (coding [{}]): no cards: %s", h.body ? h.body : "");
			CHECK(fetched == 0, "call 1 fetched nothing");
		} else {
			CHECK(is_community_msk(response), "call %d: the NWL community MSK card: %s",
			      n, h.body ? h.body : "");
			CHECK(fetched == 1, "call %d fetched Condition?patient=p1 once (%d)", n,
			      fetched);
		}
		cJSON_Delete(response);
		free(h.body);
		free(token);
		free(body);
		cJSON_Delete(req);
	}
	pthread_mutex_lock(&side.mutex);
	CHECK(side.fhir_hits > 0 && side.fhir_with_authorization == 0,
	      "the open FHIR server was queried without Authorization (%d of %d)",
	      side.fhir_with_authorization, side.fhir_hits);
	pthread_mutex_unlock(&side.mutex);
out:
	cds_server_stop(server);
	cds_app_free(app);
	cds_config_free(cfg);
	testkey_free(&key);
}

/* NHS defaults: no fetch without fhirAuthorization (412), and no mirror without the switch. */
static void test_defaults_and_mirror(unsigned side_port)
{
	char fhir[160];
	unsigned status = 0;
	snprintf(fhir, sizeof fhir, "http://127.0.0.1:%u/fhir", side_port);
	struct cds_app_options o = {.decision_log = "-"};
	struct cds_app *app = NULL;
	CHECK(cds_app_new(&o, NULL, &app) == FHIR_OK, "demo app");
	if (!app)
		return;
	pthread_mutex_lock(&side.mutex);
	int before = side.fhir_hits;
	pthread_mutex_unlock(&side.mutex);
	cJSON *req = recorded(2, fhir);
	cJSON *res = handle(app, SELECT, req, &status);
	const char *diag =
	    fhir_get_string(cJSON_GetArrayItem(fhir_get(res, "issue"), 0), "diagnostics");
	CHECK(status == 412 && diag && strstr(diag, "conditions") &&
	          strstr(diag, "without fhirAuthorization"),
	      "default: no token, nothing fetched, 412: %u %s", status, diag ? diag : "");
	pthread_mutex_lock(&side.mutex);
	CHECK(side.fhir_hits == before, "default: the FHIR server was not queried");
	pthread_mutex_unlock(&side.mutex);
	cJSON_Delete(res);
	cJSON_Delete(req);

	/* order-sign of the same order with p1's data: systemActions at the top level and, in the
	 * demo deployment, mirrored under extension.systemActions. */
	req = recorded(3, NULL);
	if (req) {
		cJSON_ReplaceItemInObjectCaseSensitive(req, "hook",
		                                       cJSON_CreateString("order-sign"));
		cJSON_DeleteItemFromObjectCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(req, "context"), "selections");
		cJSON *prefetch = cJSON_AddObjectToObject(req, "prefetch");
		cJSON_AddItemToObject(prefetch, "conditions",
		                      cJSON_Parse("{\"resourceType\":\"Bundle\",\"type\":"
		                                  "\"searchset\",\"entry\":[]}"));
		res = handle(app, "/cds-services/" CDS_SERVICE_ORDER_SIGN, req, &status);
		const cJSON *top = fhir_get(res, "systemActions");
		const cJSON *mirrored = fhir_get(fhir_get(res, "extension"), "systemActions");
		CHECK(status == 200 && cJSON_GetArraySize(top) > 0 && mirrored &&
		          cJSON_Compare(top, mirrored, 1),
		      "demo: systemActions mirrored under extension: %u", status);
		cJSON_Delete(res);
	}
	cds_app_free(app);

	/* a deployment without the switch: 2.0's top-level field alone */
	char path[] = "/tmp/cds-sandbox-deployment-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0) {
		const char *dep =
		    "{\"name\":\"nhs\",\"commissioners\":[\"nwl-icb\"],\"setting\":"
		    "\"primary-care\",\"extraTriggers\":{\"nwl-msk-imaging\":[\"urn:cds-"
		    "commissioning:ValueSet:sandbox-cpt-msk-mri\"]}}";
		CHECK(write(fd, dep, strlen(dep)) == (ssize_t)strlen(dep), "write deployment");
		close(fd);
		struct cds_app_options o2 = {.decision_log = "-", .config_file = path};
		CHECK(cds_app_new(&o2, NULL, &app) == FHIR_OK, "app without the mirror");
		if (app && req) {
			res = handle(app, "/cds-services/" CDS_SERVICE_ORDER_SIGN, req, &status);
			CHECK(status == 200 &&
			          cJSON_GetArraySize(fhir_get(res, "systemActions")) > 0 &&
			          fhir_get(fhir_get(res, "extension"), "systemActions") == NULL,
			      "no switch: no extension.systemActions: %u", status);
			cJSON_Delete(res);
		}
		cds_app_free(app);
		app = NULL;
		/* a non-boolean switch is a load error naming the file and place */
		fd = open(path, O_WRONLY | O_TRUNC);
		const char *bad = "{\"name\":\"x\",\"commissioners\":[\"nwl-icb\"],"
		                  "\"mirrorSystemActionsInExtension\":\"yes\"}";
		CHECK(fd >= 0 && write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad), "write");
		if (fd >= 0)
			close(fd);
		CHECK(cds_app_new(&o2, NULL, &app) != FHIR_OK && app == NULL,
		      "a non-boolean mirrorSystemActionsInExtension is refused");
		cds_app_free(app);
		unlink(path);
	}
	cJSON_Delete(req);
}

int main(void)
{
	char dir[] = "/tmp/cds-sandbox-test-XXXXXX", jwks_path[256];
	unsigned port = 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return testkit_done();
	}
	snprintf(jwks_path, sizeof jwks_path, "%s/sandbox-jwks.json", dir);
	struct MHD_Daemon *d = side_start(&port);
	CHECK(d != NULL && port != 0, "the Sandbox-side server starts on loopback");
	if (d) {
		test_over_http(jwks_path, port);
		test_defaults_and_mirror(port);
		MHD_stop_daemon(d);
	}
	free(side.jwks);
	unlink(jwks_path);
	rmdir(dir);
	curl_global_cleanup();
	return testkit_done();
}
