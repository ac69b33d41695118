/* test_report_route.c — GET /report (cds-hooks/report_route.c) on the fixture store of
 * tests/support/report_fixture.c: who may see the page (a loopback client whose Host is a
 * loopback name; anyone with the admin token, compared whole; nobody else: 403), what the reply
 * carries (HTML, a CSP without script, no CORS header even in demo mode), the period from the
 * query (and 400s for a bad date, an unknown or surplus parameter), 404 without a store, 405
 * for other methods, an admin token file refused at start when too short; then over HTTP on
 * loopback through the real server (query parsing and the peer address in server.c), and, when
 * this machine has a non-loopback IPv4 address, from that address: 403 without the token. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cds_internal.h"
#include "httpclient.h"
#include "report_fixture.h"
#include "store/report.h"
#include "testkit.h"

#define TOKEN "s3cr3t-admin-token-0123456789abcdef"

static const char *header(const struct cds_reply *r, const char *name)
{
	for (size_t i = 0; i < r->header_count; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* GET path with the given access; args "name=value" pairs (NULL-terminated). */
static unsigned get(struct cds_app *app, const char *method, int loopback, const char *host,
                    const char *authorization, const char *const *args, struct cds_reply *out)
{
	struct cds_request req = {0};
	static char names[CDS_REQUEST_MAX_ARGS + 2][64], values[CDS_REQUEST_MAX_ARGS + 2][64];
	req.method = method;
	req.path = "/report";
	req.loopback = loopback;
	req.host = host;
	req.authorization = authorization;
	req.origin = "https://elsewhere.example";
	for (size_t i = 0; args && args[i]; i++) {
		const char *eq = strchr(args[i], '=');
		snprintf(names[i], sizeof names[i], "%.*s",
		         (int)(eq ? (size_t)(eq - args[i]) : strlen(args[i])), args[i]);
		snprintf(values[i], sizeof values[i], "%s", eq ? eq + 1 : "");
		if (i < CDS_REQUEST_MAX_ARGS) {
			req.args[i].name = names[i];
			req.args[i].value = eq ? values[i] : NULL;
		}
		req.arg_count = i + 1;
	}
	cds_handle(app, &req, out);
	return out->status;
}

static void check_access(struct cds_app *app)
{
	struct cds_reply r = {0};
	static const char *const period[] = {"from=2026-11-01", "to=2026-12-01", NULL};

	CHECK(get(app, "GET", 1, "127.0.0.1:8080", NULL, period, &r) == 200, "loopback: %u %s",
	      r.status, r.body);
	CHECK(strcmp(r.content_type, "text/html; charset=utf-8") == 0, "%s", r.content_type);
	CHECK(header(&r, "Access-Control-Allow-Origin") == NULL, "CORS on the report");
	CHECK(header(&r, "Content-Security-Policy") &&
	          strstr(header(&r, "Content-Security-Policy"), "default-src 'none'") &&
	          !strstr(header(&r, "Content-Security-Policy"), "script"),
	      "CSP");
	CHECK(header(&r, "Cache-Control") && strcmp(header(&r, "Cache-Control"), "no-store") == 0,
	      "no-store");
	CHECK(strstr(r.log_note, "report=loopback") != NULL, "%s", r.log_note);
	/* the period came through: five orders in November, seven without bounds */
	CHECK(strstr(r.body, "<tr><td>hny-icb</td><td>hny-142-usgi</td><td>1.0.0</td><td "
	                     "class=\"n\">5</td>") != NULL,
	      "period applied");
	CHECK(strstr(r.body, "<time id=\"from\" datetime=\"2026-11-01T00:00:00.000Z\">2026-11-01"
	                     "</time> up to (not including) <time id=\"to\"") != NULL,
	      "period shown");
	cds_reply_clear(&r);
	CHECK(get(app, "GET", 1, "localhost", NULL, NULL, &r) == 200 &&
	          strstr(r.body, "<td class=\"n\">7</td>") != NULL &&
	          strstr(r.body, "<p class=\"period\">All decisions in the store (sqlite store)") !=
	              NULL,
	      "open period: %u", r.status);
	cds_reply_clear(&r);
	CHECK(get(app, "GET", 1, "[::1]:9", NULL, NULL, &r) == 200, "[::1]: %u", r.status);
	cds_reply_clear(&r);
	CHECK(get(app, "GET", 1, NULL, NULL, NULL, &r) == 200, "no Host: %u", r.status);
	cds_reply_clear(&r);

	/* DNS rebinding: a loopback peer, but the browser names another host */
	CHECK(get(app, "GET", 1, "evil.example:8080", NULL, NULL, &r) == 403, "rebinding: %u",
	      r.status);
	cds_reply_clear(&r);
	CHECK(get(app, "GET", 1, "127.0.0.1.evil.example", NULL, NULL, &r) == 403, "%u", r.status);
	cds_reply_clear(&r);
	/* not loopback */
	CHECK(get(app, "GET", 0, "report.example", NULL, NULL, &r) == 403, "remote: %u", r.status);
	CHECK(strstr(r.body, "admin token") != NULL &&
	          header(&r, "Access-Control-Allow-Origin") == NULL,
	      "403 body");
	CHECK(strstr(r.log_note, "report=forbidden") != NULL, "%s", r.log_note);
	cds_reply_clear(&r);
	CHECK(get(app, "GET", 0, "report.example", "Bearer " TOKEN, NULL, &r) == 200,
	      "admin token: %u", r.status);
	CHECK(strstr(r.log_note, "report=admin-token") && !strstr(r.log_note, TOKEN), "%s",
	      r.log_note);
	cds_reply_clear(&r);
	CHECK(get(app, "GET", 0, "x", "bearer   " TOKEN " ", NULL, &r) == 200, "scheme case: %u",
	      r.status);
	cds_reply_clear(&r);
	static const char *const wrong[] = {
	    "Bearer " TOKEN "x", "Bearer s3cr3t", "Bearer ",
	    "Basic " TOKEN,      TOKEN,           "Bearer " TOKEN "\tx"};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		CHECK(get(app, "GET", 0, "x", wrong[i], NULL, &r) == 403, "'%s': %u", wrong[i],
		      r.status);
		CHECK(!strstr(r.body, TOKEN) && !strstr(r.log_note, "s3cr3t"), "token echoed");
		cds_reply_clear(&r);
	}

	/* the query */
	static const char *const bad_from[] = {"from=2026-11", NULL};
	CHECK(get(app, "GET", 1, NULL, NULL, bad_from, &r) == 400 &&
	          strstr(r.body, "from: '2026-11' is not a date"),
	      "bad from: %u %s", r.status, r.body);
	cds_reply_clear(&r);
	static const char *const reversed[] = {"from=2026-12-01", "to=2026-11-01", NULL};
	CHECK(get(app, "GET", 1, NULL, NULL, reversed, &r) == 400, "reversed: %u", r.status);
	cds_reply_clear(&r);
	static const char *const unknown[] = {"policy=x", NULL};
	CHECK(get(app, "GET", 1, NULL, NULL, unknown, &r) == 400 &&
	          strstr(r.body, "unknown query parameter 'policy'"),
	      "unknown parameter: %u", r.status);
	cds_reply_clear(&r);
	static const char *const many[] = {
	    "from=", "from=", "from=", "from=", "from=", "from=", "from=", "from=", "from=", NULL};
	CHECK(get(app, "GET", 1, NULL, NULL, many, &r) == 400 && strstr(r.body, "too many"),
	      "too many: %u", r.status);
	cds_reply_clear(&r);
	static const char *const empty[] = {"from=", "to", NULL}; /* open bounds */
	CHECK(get(app, "GET", 1, NULL, NULL, empty, &r) == 200, "empty values: %u", r.status);
	cds_reply_clear(&r);
	CHECK(get(app, "POST", 1, NULL, NULL, NULL, &r) == 405 && strcmp(r.allow, "GET") == 0,
	      "POST: %u", r.status);
	cds_reply_clear(&r);
}

struct busy {
	struct cds_app *app;
	unsigned status;
	int saw_uncommitted;
};

/* Inside a write transaction on the service's own store connection (as its writer holds it):
 * the page is still served, from a connection of its own, without the uncommitted row. (Were
 * the route to use app->host->store's connection, this would wait on its lock for ever: the test's
 * TIMEOUT turns that into a failure.) */
static int report_while_writing(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct busy *b = ctx;
	const char *p[] = {"req-busy", "2026-11-20T00:00:00.000Z"};
	int rc = cds__store_exec(c,
	                         "INSERT INTO request (id, received_at, service, hook, "
	                         "hook_instance, deployment, policy_set) VALUES ($1, $2, 's', "
	                         "'order-sign', 'hi', 'd', 'sha256:0')",
	                         p, 2, err);
	const char *d[] = {"busy", "req-busy", "2026-11-20T00:00:00.000Z"};
	if (rc == FHIR_OK)
		rc = cds__store_exec(
		    c,
		    "INSERT INTO decision (id, request_id, decided_at, commissioner, "
		    "policy, policy_version, order_ref, decision, recommendations, "
		    "outcomes, matched_on_text, suggestions) VALUES ($1, $2, $3, "
		    "'zz-icb', 'uncommitted-policy', '1', 'ServiceRequest/z', "
		    "'redirect', '[]', '[]', 0, '[]')",
		    d, 3, err);
	struct cds_reply r = {0};
	b->status = get(b->app, "GET", 1, NULL, NULL, NULL, &r);
	b->saw_uncommitted = r.body && strstr(r.body, "uncommitted-policy") != NULL;
	cds_reply_clear(&r);
	return rc == FHIR_OK ? FHIR_ERR_INVALID : rc; /* roll back */
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	char **body = ctx;
	size_t length = *body ? strlen(*body) : 0;
	return httptest_append(body, &length, data, size * n);
}

/* GET url over HTTP, optionally from a local address. Returns the status; *body NEW. */
static long http_get(const char *url, const char *from_ip, const char *auth, char **body)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = NULL;
	long status = 0;
	*body = NULL;
	if (auth)
		headers = curl_slist_append(headers, auth);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (from_ip)
		curl_easy_setopt(curl, CURLOPT_INTERFACE, from_ip);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return status;
}

/* The first non-loopback IPv4 address of this machine, or 0. */
static int local_ipv4(char *buf, size_t size)
{
	struct ifaddrs *list = NULL, *i;
	int found = 0;
	if (getifaddrs(&list) != 0)
		return 0;
	for (i = list; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		const struct sockaddr_in *a = (const void *)i->ifa_addr;
		if ((ntohl(a->sin_addr.s_addr) >> 24) == 127)
			continue;
		found = inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)size) != NULL;
	}
	freeifaddrs(list);
	return found;
}

static void check_http(struct cds_app *app)
{
	struct cds_server *server = NULL;
	struct fhir_error err = {{0}, {0}};
	char url[256], *body = NULL;
	CHECK(cds_server_start(app, "127.0.0.1", 0, &server, &err) == FHIR_OK, "%s", err.message);
	if (!server)
		return;
	unsigned port = cds_server_port(server);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/report?from=2026-11-01&to=2026-12-01", port);
	CHECK(http_get(url, NULL, NULL, &body) == 200 && body &&
	          strstr(body, "<td class=\"n\">5</td>") &&
	          strstr(body, "<svg id=\"chart-criteria\""),
	      "HTTP loopback");
	free(body);
	snprintf(url, sizeof url,
	         "http://127.0.0.1:%u/report?from=2026-11-01T00%%3A00%%3A00%%2B01%%3A00",
	         port); /* percent-encoded, decoded by the server */
	CHECK(http_get(url, NULL, NULL, &body) == 200, "encoded date");
	free(body);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/report?from=tomorrow", port);
	CHECK(http_get(url, NULL, NULL, &body) == 400, "HTTP bad date");
	free(body);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/report?a&b&c&d&e&f&g&h&i", port);
	CHECK(http_get(url, NULL, NULL, &body) == 400 && body && strstr(body, "too many"),
	      "HTTP too many parameters");
	free(body);
	cds_server_stop(server);
	server = NULL;

	char ip[64];
	if (!local_ipv4(ip, sizeof ip)) {
		printf("note: no non-loopback IPv4 address: the remote-client check is skipped\n");
		return;
	}
	CHECK(cds_server_start(app, ip, 0, &server, &err) == FHIR_OK, "%s: %s", ip, err.message);
	if (!server)
		return;
	snprintf(url, sizeof url, "http://%s:%u/report", ip, cds_server_port(server));
	CHECK(http_get(url, ip, NULL, &body) == 403, "HTTP from %s without the token", ip);
	free(body);
	CHECK(http_get(url, ip, "Authorization: Bearer " TOKEN, &body) == 200,
	      "HTTP from %s with the token", ip);
	free(body);
	CHECK(http_get(url, ip, "Authorization: Bearer wrong-token-0123456789", &body) == 403,
	      "HTTP from %s with a wrong token", ip);
	free(body);
	cds_server_stop(server);
}

static int token_file(const char *dir, const char *name, const char *text, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

static int load_app(const char *token_path, struct cds_app **app, struct cds_config **cfg)
{
	struct fhir_error err = {{0}, {0}};
	struct cds_app_options o = {0};
	*cfg = cds_config_new();
	cds_config_option(*cfg, "admin-token-file", token_path, &err);
	o.decision_log = "-";
	o.settings = *cfg;
	return cds_app_new(&o, NULL, app);
}

static void ignore(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	(void)file;
	(void)pointer;
	(void)message;
}

int main(void)
{
	char dir[] = "/tmp/test_report_route.XXXXXX", url[256], path[512];
	struct fhir_error err = {{0}, {0}};
	struct cds__store *store = NULL;
	struct cds_app *app = NULL;
	struct cds_config *cfg = NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(url, sizeof url, "sqlite:%s/store.db", dir);
	CHECK(cds__store_open(url, &store, &err) == FHIR_OK, "%s", err.message);
	CHECK(report_fixture_load(store, 1, &err) == FHIR_OK, "%s", err.message);

	/* a token file: trailing newline ignored; too short or with a space: refused */
	CHECK(token_file(dir, "token", TOKEN "\n", path, sizeof path) == 0, "token file");
	CHECK(load_app(path, &app, &cfg) == FHIR_OK && app, "app");
	if (app) {
		struct cds_reply r = {0};
		CHECK(get(app, "GET", 1, NULL, NULL, NULL, &r) == 404 && strstr(r.body, "no store"),
		      "no store: %u", r.status);
		cds_reply_clear(&r);
		app->host->store = store; /* BORROWED: what serve --store sets */
		check_access(app);
		struct busy b = {app, 0, 0};
		cds__store_run(store, 1, report_while_writing, &b, &err);
		CHECK(b.status == 200 && !b.saw_uncommitted, "report during a write: %u %d",
		      b.status, b.saw_uncommitted);
		check_http(app);
		app->host->store = NULL;
	}
	cds_app_free(app);
	cds_config_free(cfg);
	/* the config file's server.adminTokenFile, relative to the file */
	char cfg_path[600];
	token_file(dir, "cfg.json", "{\"server\": {\"adminTokenFile\": \"token\"}}", cfg_path,
	           sizeof cfg_path);
	cfg = cds_config_new();
	CHECK(cds_config_load_file(cfg, cfg_path, &err) == FHIR_OK, "config: %s", err.message);
	snprintf(path, sizeof path, "%s/token", dir);
	CHECK(cfg->admin_token_file && strcmp(cfg->admin_token_file, path) == 0,
	      "server.adminTokenFile: %s",
	      cfg->admin_token_file ? cfg->admin_token_file : "(null)");
	cds_config_free(cfg);
	static const char *const refused[] = {"short-token\n", "two words-0123456789abcdef\n", ""};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		app = NULL;
		token_file(dir, "bad", refused[i], path, sizeof path);
		struct engine_reporter quiet = {ignore, NULL};
		struct cds_app_options o = {0};
		cfg = cds_config_new();
		cds_config_option(cfg, "admin-token-file", path, &err);
		o.decision_log = "-";
		o.settings = cfg;
		CHECK(cds_app_new(&o, &quiet, &app) != FHIR_OK && !app, "token '%s' accepted",
		      refused[i]);
		cds_app_free(app);
		cds_config_free(cfg);
	}

	cds__store_close(store);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0, "cleanup");
	curl_global_cleanup();
	return testkit_done();
}
