/* cors.c — CORS headers for browser clients such as the CDS Hooks Sandbox (CDS Hooks 2.0 §CORS,
 * which defers to the OWASP HTML5 cheat sheet): the allowed origin (`*` in open demo mode, else
 * the request's Origin echoed when allow-listed, with Vary: Origin), the methods and headers a
 * preflight may use, on every reply, errors included. It must not authenticate (preflights
 * carry no token) nor route requests. */
#include <string.h>

#include "cds_internal.h"

/* 1 when `origin` is allow-listed (exact match; "*" in the list allows any). */
static int origin_allowed(const struct cds_config *cfg, const char *origin)
{
	for (size_t i = 0; i < cfg->origin_count; i++)
		if (strcmp(cfg->origins[i], "*") == 0 || strcmp(cfg->origins[i], origin) == 0)
			return 1;
	return 0;
}

void cds__cors_headers(const struct cds_config *cfg, const char *origin, int preflight,
                       struct cds_reply *out)
{
	int open_demo = cfg->issuer_count == 0 && cfg->origin_count == 0;
	if (open_demo) {
		cds__reply_header(out, "Access-Control-Allow-Origin", "*");
	} else {
		/* The answer depends on Origin: caches must key on it (Fetch §CORS protocol). */
		cds__reply_header(out, "Vary", "Origin");
		if (origin && origin[0] && strlen(origin) <= CDS__ORIGIN_MAX_BYTES &&
		    origin_allowed(cfg, origin))
			cds__reply_header(out, "Access-Control-Allow-Origin", origin);
	}
	cds__reply_header(out, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	cds__reply_header(out, "Access-Control-Allow-Headers", "Content-Type, Authorization");
	if (preflight)
		cds__reply_header(out, "Access-Control-Max-Age", "600");
	else
		cds__reply_header(out, "Access-Control-Expose-Headers",
		                  "WWW-Authenticate, Retry-After");
}
