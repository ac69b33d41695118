/* check_transport.c — T1 (a TLS >= 1.2 handshake, when the base URL is https or --tls-url is
 * given), T2 (CORS preflight on discovery, a service and its feedback URL, and
 * Access-Control-Allow-Origin on actual responses, errors included) and T3 (ids shared by several
 * hooks are tested per hook). CDS Hooks 2.0 §Security, §CORS, §Discovery. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

#define ORIGIN "https://sandbox.cds-hooks.org"

/* Whether a comma-separated header value lists name (case-insensitive) or "*". */
static int lists(const char *value, const char *name)
{
	if (!value)
		return 0;
	size_t n = strlen(name);
	for (const char *p = value; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && p[len - 1] == ' ')
			len--;
		if ((len == 1 && *p == '*') || (len == n && strncasecmp(p, name, n) == 0))
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

static void check_t1(struct conf_ctx *ctx)
{
	const char *url = ctx->tls_url;
	char disc[1100];
	if (!url && strncmp(ctx->base_url, "https://", 8) == 0) {
		conf_url(ctx, "/cds-services", disc, sizeof disc);
		url = disc;
	}
	if (!url) {
		conf_report("T1", "M", CONF_SKIP,
		            "plain-HTTP base URL and no --tls-url: production "
		            "must use HTTPS (TLS >= 1.2); nothing to check here");
		return;
	}
	struct conf_http_reply r;
	conf_http_tls(url, ctx->cafile, ctx->tls_insecure, &r);
	if (r.status == 0)
		conf_report("T1", "M", CONF_FAIL, "TLS >= 1.2 handshake with %s failed: %s", url,
		            r.error);
	else
		conf_report("T1", "M", CONF_PASS, "TLS handshake with %s: %s%s (HTTP %ld)", url,
		            r.tls_version[0] ? r.tls_version : "TLS >= 1.2",
		            ctx->tls_insecure ? ", peer not verified (--tls-insecure)" : "",
		            r.status);
	conf_http_reply_clear(&r);
}

static void preflight(struct conf_ctx *ctx, const char *path, const char *method,
                      struct conf_findings *f)
{
	char url[1200], rm[64];
	conf_url(ctx, path, url, sizeof url);
	snprintf(rm, sizeof rm, "Access-Control-Request-Method: %s", method);
	const char *headers[] = {"Origin: " ORIGIN, rm,
	                         "Access-Control-Request-Headers: authorization,content-type",
	                         NULL};
	struct conf_http_reply r;
	conf_http("OPTIONS", url, NULL, NULL, headers, &r);
	char v[512];
	if (r.status < 200 || r.status > 299) {
		conf_find(f, "OPTIONS %s -> %ld", path, r.status);
	} else {
		const char *origin =
		    conf_http_header(&r, "Access-Control-Allow-Origin", v, sizeof v);
		if (!origin || !(strcmp(origin, "*") == 0 || strcmp(origin, ORIGIN) == 0))
			conf_find(f, "OPTIONS %s: no Access-Control-Allow-Origin for %s", path,
			          ORIGIN);
		const char *methods =
		    conf_http_header(&r, "Access-Control-Allow-Methods", v, sizeof v);
		if (!lists(methods, method))
			conf_find(f, "OPTIONS %s: Allow-Methods lacks %s", path, method);
		char h[512];
		const char *allowed =
		    conf_http_header(&r, "Access-Control-Allow-Headers", h, sizeof h);
		if (!lists(allowed, "Authorization") || !lists(allowed, "Content-Type"))
			conf_find(f,
			          "OPTIONS %s: Allow-Headers lacks Authorization or Content-Type",
			          path);
	}
	conf_http_reply_clear(&r);
}

static void check_t2(struct conf_ctx *ctx)
{
	struct conf_findings f = {0};
	preflight(ctx, "/cds-services", "GET", &f);
	char path[700];
	if (ctx->n_services) {
		snprintf(path, sizeof path, "/cds-services/%s", ctx->services[0].id);
		preflight(ctx, path, "POST", &f);
		snprintf(path, sizeof path, "/cds-services/%s/feedback", ctx->services[0].id);
		preflight(ctx, path, "POST", &f);
	}
	/* The actual responses, a success and an error, also carry the origin header. */
	const char *headers[] = {"Origin: " ORIGIN, NULL};
	char url[1200], v[256];
	conf_url(ctx, "/cds-services", url, sizeof url);
	struct conf_http_reply r;
	conf_http("GET", url, NULL, NULL, headers, &r);
	if (!conf_http_header(&r, "Access-Control-Allow-Origin", v, sizeof v))
		conf_find(&f, "GET /cds-services with Origin: no Access-Control-Allow-Origin");
	conf_http_reply_clear(&r);
	conf_url(ctx, "/cds-services/conformance-no-such-service", url, sizeof url);
	conf_http("POST", url, NULL, "{}", headers, &r);
	if (!conf_http_header(&r, "Access-Control-Allow-Origin", v, sizeof v))
		conf_find(&f, "an error response (%ld) without Access-Control-Allow-Origin",
		          r.status);
	conf_http_reply_clear(&r);
	conf_verdict("T2", "S", &f,
	             "OPTIONS preflight answered with Allow-Origin/Methods/Headers; ACAO on "
	             "responses and errors");
}

static void check_t3(struct conf_ctx *ctx)
{
	size_t shared = 0;
	for (size_t i = 0; i < ctx->n_services; i++)
		for (size_t j = i + 1; j < ctx->n_services; j++)
			if (strcmp(ctx->services[i].id, ctx->services[j].id) == 0)
				shared++;
	if (!shared) {
		conf_report("T3", "S", CONF_PASS,
		            "%zu services, ids distinct; the runner keys "
		            "services by (id, hook)",
		            ctx->n_services);
		return;
	}
	struct conf_findings f = {0};
	for (size_t i = 0; i < ctx->n_services; i++)
		if (!ctx->services[i].best_body)
			conf_find(&f, "id %s with hook %s: no 200 for that hook's body",
			          ctx->services[i].id, ctx->services[i].hook);
	char what[160];
	snprintf(what, sizeof what, "%zu shared id pair%s, each hook answered at the shared id",
	         shared, shared == 1 ? "" : "s");
	conf_verdict("T3", "S", &f, what);
}

void conf_check_transport(struct conf_ctx *ctx)
{
	check_t1(ctx);
	check_t2(ctx);
	check_t3(ctx);
}
