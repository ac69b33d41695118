/* check_errors.c — the error responses a browser-based EHR has to read: T4 (CORS
 * `Access-Control-Allow-Origin` on a success and on every error status the runner provokes:
 * 400, 401, 404, 412, 413, 415) and, reported only with --strict (else as warnings), the HTTP
 * semantics the spec leaves open but integrators expect: P1 unknown service -> 404, P2 non-JSON
 * Content-Type -> 415, P3 a body over --max-body-bytes -> 413 that a client not waiting for
 * 100-continue can read, P4 error bodies that are JSON with a JSON Content-Type.
 * CDS Hooks 2.0 §CORS, §HTTP Status Codes; RFC 9110 §15.5.14, §15.5.16. */
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define ORIGIN "https://sandbox.cds-hooks.org"

enum probe_kind { P_OK, P_400, P_401, P_404, P_412, P_413, P_415, N_PROBES };

static const char *const probe_names[N_PROBES] = {
    "valid call (200)",      "malformed JSON (400)",       "no token (401)",
    "unknown service (404)", "no declared prefetch (412)", "body over the limit (413)",
    "text/plain body (415)"};

struct probe {
	int sent;                 /* 0 when the runner could not provoke it (why says why) */
	char why[160];            /* why not sent */
	struct conf_http_reply r; /* the reply (status 0: transport failure) */
};

/* POSTs text to path with content_type, a token for that URL unless !token, and Origin. */
static void send_probe(const struct conf_ctx *ctx, const char *path, const char *text,
                       const char *content_type, int token, struct probe *p)
{
	char url[1200], ct[128];
	conf_url(ctx, path, url, sizeof url);
	snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
	const char *headers[] = {"Origin: " ORIGIN, ct, NULL};
	char *bearer = token ? conf_token_for(ctx, url) : NULL;
	conf_http("POST", url, bearer, text, headers, &p->r);
	free(bearer);
	p->sent = 1;
}

/* send_probe with body (a fresh hookInstance set on it first). */
static void send_json_probe(const struct conf_ctx *ctx, const char *path, cJSON *body,
                            const char *content_type, int token, struct probe *p)
{
	conf_fresh_instance(body);
	char *text = cJSON_PrintUnformatted(body);
	send_probe(ctx, path, text, content_type, token, p);
	free(text);
}

/* The body text of `body` grown by a padding member to exactly size bytes (or more when the
 * body alone is larger). NEW. */
static char *padded(const cJSON *body, size_t size)
{
	char *text = cJSON_PrintUnformatted(body);
	static const char head[] = "{\"conformancePadding\":\"";
	/* head + pad + `",` (or `" `) + the body without its '{' */
	size_t len = strlen(text), overhead = sizeof head - 1 + 2 - 1;
	size_t pad = size > len + overhead ? size - len - overhead : 0;
	char *out = malloc(len + overhead + pad + 1);
	if (!out)
		abort();
	memcpy(out, head, sizeof head - 1);
	memset(out + sizeof head - 1, 'x', pad);
	size_t o = sizeof head - 1 + pad;
	out[o++] = '"';
	out[o++] = text[1] == '}' ? ' ' : ',';
	memcpy(out + o, text + 1, len - 1); /* the body without its '{' */
	out[o + len - 1] = '\0';
	free(text);
	return out;
}

static int allows_origin(const struct conf_http_reply *r)
{
	char v[512];
	const char *o = conf_http_header(r, "Access-Control-Allow-Origin", v, sizeof v);
	return o && (strcmp(o, "*") == 0 || strcmp(o, ORIGIN) == 0);
}

static void provoke(struct conf_ctx *ctx, struct probe p[N_PROBES])
{
	size_t i;
	for (i = 0; i < ctx->n_services && !ctx->services[i].best_body; i++)
		;
	const char *none = "no service answered 200 to a valid body";
	if (i == ctx->n_services) {
		for (size_t k = 0; k < N_PROBES; k++)
			if (k != P_404)
				snprintf(p[k].why, sizeof p[k].why, "%s", none);
	}
	char path[700];
	cJSON *body = i < ctx->n_services ? cJSON_Duplicate(ctx->services[i].best_body, 1) : NULL;
	snprintf(path, sizeof path, "/cds-services/%s",
	         i < ctx->n_services ? ctx->services[i].id : "");
	if (body) {
		send_json_probe(ctx, path, body, "application/json", 1, &p[P_OK]);
		send_probe(ctx, path, "{\"hook\": \"", "application/json", 1, &p[P_400]);
		if (ctx->auth_required == 1)
			send_json_probe(ctx, path, body, "application/json", 0, &p[P_401]);
		else
			snprintf(p[P_401].why, sizeof p[P_401].why,
			         "the service does not require a token");
		send_json_probe(ctx, path, body, "text/plain", 1, &p[P_415]);
		if (ctx->max_body_bytes) {
			conf_fresh_instance(body);
			char *text = padded(body, ctx->max_body_bytes + 1);
			send_probe(ctx, path, text, "application/json", 1, &p[P_413]);
			free(text);
		} else {
			snprintf(p[P_413].why, sizeof p[P_413].why, "no --max-body-bytes given");
		}
	}
	if (ctx->body_412) {
		char p412[700];
		snprintf(p412, sizeof p412, "/cds-services/%s", ctx->services[ctx->service_412].id);
		send_json_probe(ctx, p412, ctx->body_412, "application/json", 1, &p[P_412]);
	} else {
		snprintf(p[P_412].why, sizeof p[P_412].why, "no body got 412 in H4");
	}
	char id[37], p404[128];
	conf_uuid(id);
	snprintf(p404, sizeof p404, "/cds-services/conformance-no-such-service-%s", id);
	char *text =
	    body ? cJSON_PrintUnformatted(body)
	         : strdup("{\"hook\":\"patient-view\",\"hookInstance\":\"x\",\"context\":{}}");
	send_probe(ctx, p404, text, "application/json", 1, &p[P_404]);
	free(text);
	cJSON_Delete(body);
}

/* T4: Access-Control-Allow-Origin on every reply that came back. */
static void check_t4(const struct probe p[N_PROBES])
{
	struct conf_findings f = {0};
	char seen[256] = "", unsent[512] = "";
	for (size_t k = 0; k < N_PROBES; k++) {
		size_t used;
		if (!p[k].sent) {
			used = strlen(unsent);
			snprintf(unsent + used, sizeof unsent - used, "%s%s: %s", used ? "; " : "",
			         probe_names[k], p[k].why);
			continue;
		}
		if (p[k].r.status == 0) { /* no reply to carry a header (P3 reports a reset) */
			used = strlen(unsent);
			snprintf(unsent + used, sizeof unsent - used, "%s%s: no reply",
			         used ? "; " : "", probe_names[k]);
			continue;
		}
		if (!allows_origin(&p[k].r))
			conf_find(&f, "%s -> %ld without Access-Control-Allow-Origin for %s",
			          probe_names[k], p[k].r.status, ORIGIN);
		used = strlen(seen);
		snprintf(seen + used, sizeof seen - used, "%s%ld", used ? ", " : "", p[k].r.status);
	}
	char what[900];
	snprintf(what, sizeof what, "Access-Control-Allow-Origin on replies %s%s%s%s", seen,
	         unsent[0] ? " (not provoked: " : "", unsent, unsent[0] ? ")" : "");
	conf_verdict("T4", "S", &f, what);
}

static void expect_status(const struct conf_ctx *ctx, const char *id, const struct probe *p,
                          long want, const char *what)
{
	if (!p->sent)
		conf_report_strict(ctx->strict, id, CONF_SKIP, "%s: %s", what, p->why);
	else if (p->r.status == want)
		conf_report_strict(ctx->strict, id, CONF_PASS, "%s -> %ld", what, want);
	else if (p->r.status == 0)
		conf_report_strict(ctx->strict, id, CONF_FAIL, "%s: no reply (%s), expected %ld",
		                   what, p->r.error, want);
	else
		conf_report_strict(ctx->strict, id, CONF_FAIL, "%s -> %ld, expected %ld", what,
		                   p->r.status, want);
}

/* P4: every error reply is JSON (parses) and says so in its Content-Type. */
static void check_p4(const struct conf_ctx *ctx, const struct probe p[N_PROBES])
{
	struct conf_findings f = {0};
	size_t errors = 0, outcomes = 0;
	for (size_t k = 0; k < N_PROBES; k++) {
		const struct conf_http_reply *r = &p[k].r;
		if (!p[k].sent || r->status < 400)
			continue;
		errors++;
		char ct[128];
		if (!conf_http_is_json_family(r))
			conf_find(&f, "%s -> %ld with Content-Type %s", probe_names[k], r->status,
			          conf_http_header(r, "Content-Type", ct, sizeof ct) ? ct
			                                                             : "(none)");
		cJSON *v = cJSON_ParseWithLength(r->body, r->length);
		if (!v)
			conf_find(&f, "%s -> %ld: body is not JSON (%zu bytes)", probe_names[k],
			          r->status, r->length);
		else if (conf_str(v, "resourceType") &&
		         strcmp(conf_str(v, "resourceType"), "OperationOutcome") == 0)
			outcomes++;
		cJSON_Delete(v);
	}
	if (!errors) {
		conf_report_strict(ctx->strict, "P4", CONF_SKIP, "no error reply to inspect");
		return;
	}
	if (f.count)
		conf_report_strict(ctx->strict, "P4", CONF_FAIL, "%zu problem%s: %s%s", f.count,
		                   f.count == 1 ? "" : "s", f.text,
		                   f.count > CONF_MAX_LIST ? "; ..." : "");
	else
		conf_report_strict(ctx->strict, "P4", CONF_PASS,
		                   "%zu error replies are JSON with a JSON Content-Type (%zu "
		                   "OperationOutcome)",
		                   errors, outcomes);
}

void conf_check_errors(struct conf_ctx *ctx)
{
	struct probe p[N_PROBES];
	memset(p, 0, sizeof p);
	provoke(ctx, p);
	check_t4(p);
	if (!ctx->strict)
		conf_report_note("HTTP semantics P1-P4 are warnings only; --strict reports them");
	expect_status(ctx, "P1", &p[P_404], 404, "POST to an unknown service id");
	expect_status(ctx, "P2", &p[P_415], 415, "a valid body sent as Content-Type text/plain");
	char what[160] = "a body over the service's limit (--max-body-bytes)";
	if (ctx->max_body_bytes)
		snprintf(what, sizeof what,
		         "a body of %lu bytes (--max-body-bytes %lu + 1) sent without Expect",
		         ctx->max_body_bytes + 1, ctx->max_body_bytes);
	expect_status(ctx, "P3", &p[P_413], 413, what);
	check_p4(ctx, p);
	for (size_t k = 0; k < N_PROBES; k++)
		conf_http_reply_clear(&p[k].r);
}
