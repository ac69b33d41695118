/* report_route.c — GET /report: the commissioner's report page (issue 13 item 4) served from the
 * service's store, to loopback clients or to clients holding the admin token (cds_internal.h).
 * It decides who may see the page, reads `from`/`to`, and wraps web/report_page.c's HTML in a
 * reply with headers that keep it to its own origin; the figures are store/report.c's. The
 * token is kept only as its SHA-256, compared in constant time, and never logged. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cds_internal.h"
#include "store/report.h"

#define ADMIN_TOKEN_MAX_BYTES 4096

int cds__report_path(const char *path, size_t len)
{
	return len == strlen(CDS__REPORT_PATH) && strncmp(path, CDS__REPORT_PATH, len) == 0;
}

/* RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int b64token(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (isalnum((unsigned char)s[i]) || strchr("-._~+/", s[i])))
		i++;
	if (i == 0)
		return 0;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

static void sha256(const char *s, size_t n, unsigned char out[32])
{
	unsigned int len = 32;
	if (EVP_Digest(s, n, out, &len, EVP_sha256(), NULL) != 1)
		abort(); /* OpenSSL without SHA-256: nothing sensible to do */
}

int cds__admin_token_load(struct cds_app *app, const char *path, struct fhir_error *err)
{
	char *text = NULL;
	size_t length = 0;
	int rc = cds__read_file(path, ADMIN_TOKEN_MAX_BYTES, &text, &length, err);
	if (rc != FHIR_OK)
		return rc;
	const char *s = text;
	while (length > 0 && isspace((unsigned char)s[0])) {
		s++;
		length--;
	}
	while (length > 0 && isspace((unsigned char)s[length - 1]))
		length--;
	if (length < CDS__ADMIN_TOKEN_MIN_BYTES || !b64token(s, length)) {
		fhir_error_set(
		    err, path,
		    "the admin token must be one line of at least %d characters of "
		    "A-Z a-z 0-9 - . _ ~ + / (then any '='), e.g. `openssl rand -hex 32`",
		    CDS__ADMIN_TOKEN_MIN_BYTES);
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		return FHIR_ERR_INVALID;
	}
	sha256(s, length, app->admin_token_sha256);
	app->has_admin_token = 1;
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return FHIR_OK;
}

/* 1 when `authorization` is `Bearer <the admin token>` (RFC 6750 §2.1; the scheme in any case).
 * Both sides are hashed first, so the comparison takes the same time whatever the length or
 * the first differing byte. */
static int admin_token_ok(const struct cds_app *app, const char *authorization)
{
	if (!app->has_admin_token || !authorization)
		return 0;
	while (*authorization == ' ')
		authorization++;
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return 0;
	const char *token = authorization + 7;
	while (*token == ' ')
		token++;
	size_t n = strlen(token);
	while (n > 0 && token[n - 1] == ' ')
		n--;
	unsigned char digest[32];
	sha256(token, n, digest);
	return CRYPTO_memcmp(digest, app->admin_token_sha256, sizeof digest) == 0;
}

/* 1 when Host names this machine's loopback (or is absent: not a browser): a page fetched
 * through a name that resolves to 127.0.0.1 (DNS rebinding) carries that name instead. */
static int loopback_host(const char *host)
{
	if (!host)
		return 1;
	size_t n = strlen(host);
	if (host[0] == '[') { /* [::1] or [::1]:8080 */
		return strncmp(host, "[::1]", 5) == 0 && (host[5] == '\0' || host[5] == ':');
	}
	const char *colon = strchr(host, ':');
	if (colon)
		n = (size_t)(colon - host);
	if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	if (n < 4 || strncmp(host, "127.", 4) != 0)
		return 0;
	for (size_t i = 4; i < n; i++)
		if (!isdigit((unsigned char)host[i]) && host[i] != '.')
			return 0;
	return 1;
}

/* The page's headers: HTML, no script, no framing, no caching, no referrer. */
static void page_headers(struct cds_reply *out)
{
	cds__reply_header(out, "Content-Security-Policy",
	                  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
	                  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
	cds__reply_header(out, "X-Content-Type-Options", "nosniff");
	cds__reply_header(out, "Cache-Control", "no-store");
	cds__reply_header(out, "Referrer-Policy", "no-referrer");
}

/* The period's bounds from a request allowed to see the report: 0, or -1 with *out the answer
 * (405, 403, 400). Who it is goes to the access log (never the token). */
static int admit(struct cds_app *app, const struct cds_request *req, struct cds_reply *out,
                 char bounds[2][32])
{
	const char *method = req->method ? req->method : "";
	if (strcmp(method, "GET") != 0) {
		cds__reply_error(out, 405, "not-supported", NULL,
		                 "method %.16s is not allowed on " CDS__REPORT_PATH "; use GET",
		                 method);
		out->allow = "GET";
		return -1;
	}
	/* Who may see it: the token first (a proxy on this host makes everyone loopback). */
	const char *who = admin_token_ok(app, req->authorization)     ? "admin-token"
	                  : req->loopback && loopback_host(req->host) ? "loopback"
	                                                              : NULL;
	snprintf(out->log_note, sizeof out->log_note, "report=%s", who ? who : "forbidden");
	if (!who) {
		cds__reply_error(out, 403, "forbidden", NULL,
		                 "the report is served to loopback clients, or with the admin "
		                 "token (Authorization: Bearer; serve --admin-token-file)");
		return -1;
	}
	struct fhir_error err = {{0}, {0}};
	if (req->arg_count > CDS_REQUEST_MAX_ARGS) {
		cds__reply_error(out, 400, "invalid", NULL, "too many query parameters");
		return -1;
	}
	for (size_t i = 0; i < req->arg_count; i++) {
		const struct cds_request_arg *a = &req->args[i];
		int k = !a->name                       ? -1
		        : strcmp(a->name, "from") == 0 ? 0
		        : strcmp(a->name, "to") == 0   ? 1
		                                       : -1;
		if (k < 0) {
			cds__reply_error(out, 400, "invalid", NULL,
			                 "unknown query parameter '%.40s' (from, to)",
			                 a->name ? a->name : "");
			return -1;
		}
		if (!a->value || !a->value[0]) /* ?from= : open */
			continue;
		if (cds__report_parse_bound(a->value, bounds[k], sizeof bounds[k], &err) !=
		    FHIR_OK) {
			cds__reply_error(out, 400, "invalid", NULL, "%s: %s", k ? "to" : "from",
			                 err.message);
			return -1;
		}
	}
	if (bounds[0][0] && bounds[1][0] && strcmp(bounds[0], bounds[1]) >= 0) {
		cds__reply_error(out, 400, "invalid", NULL,
		                 "from %s is not before to %s (the period is [from, to))",
		                 bounds[0], bounds[1]);
		return -1;
	}
	return 0;
}

static void store_unreadable(struct cds_reply *out, const struct fhir_error *err)
{
	/* the engine's message goes to the access log, not to the client */
	size_t n = strlen(out->log_note);
	snprintf(out->log_note + n, sizeof out->log_note - n, " store-error=%.200s", err->message);
	cds__reply_error(out, 503, "transient", NULL, "the store cannot be read now");
	cds__reply_header(out, "Retry-After", "5");
}

/* The page for [bounds[0], bounds[1]) from `store` (NULL: 404). */
static void page(struct cds__store *store, char bounds[2][32], struct cds_reply *out)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__report *report = NULL;
	if (!store) {
		cds__reply_error(
		    out, 404, "not-found", NULL,
		    "this service keeps no store, so it has no report (serve --store)");
		return;
	}
	if (cds__report_compute(store, bounds[0], bounds[1], &report, &err) != FHIR_OK) {
		store_unreadable(out, &err);
		return;
	}
	char *html = NULL;
	size_t length = 0;
	FILE *f = cds__must(open_memstream(&html, &length));
	cds__report_html(report, f);
	if (fclose(f) != 0)
		abort(); /* out of memory (architecture.md rule 5) */
	cds__report_free(report);
	cds__reply_text_take(out, 200, html, length);
	out->content_type = "text/html; charset=utf-8";
	page_headers(out);
}

void cds__report_reply(struct cds_app *app, struct cds__store *store, const struct cds_request *req,
                       struct cds_reply *out)
{
	char bounds[2][32] = {"", ""};
	if (admit(app, req, out, bounds) == 0)
		page(store, bounds, out);
}

void cds__report_route(struct cds_app *app, const struct cds_request *req, struct cds_reply *out)
{
	char bounds[2][32] = {"", ""};
	if (admit(app, req, out, bounds) != 0)
		return;
	/* The report reads on a connection of its own, opened for this request: the service's
	 * store connection is its writer's, and a report holding that connection's lock for its
	 * queries would hold back every decision meanwhile (WAL lets SQLite readers and the
	 * writer go on side by side). An in-memory SQLite store has no second connection. */
	struct cds__store *store = app->host->store, *own = NULL;
	struct fhir_error err = {{0}, {0}};
	if (store && strcmp(cds__store_url(store), "sqlite::memory:") != 0) {
		if (cds__store_open(cds__store_url(store), &own, &err) != FHIR_OK) {
			store_unreadable(out, &err);
			return;
		}
		store = own;
	}
	page(store, bounds, out);
	cds__store_close(own);
}
