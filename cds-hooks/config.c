/* config.c — the server settings: trusted issuers (JWKS file or https URL, allowed jku URLs),
 * the public URL for the JWT aud check, CORS origins, JWT algorithms, TLS files and every named
 * limit, with defaults, read from the "server" object of the --config file and overridden by
 * command-line options. Everything is checked here, at start. It must not open sockets, fetch
 * anything or read key files (jwks.c and server.c do, at start). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "store/replay.h"

/* The named limits: JSON member in "server.limits", command-line option, default, range. */
static const struct limit_def {
	const char *member;
	const char *option;
	size_t offset;
	unsigned long def, min, max;
	const char *help;
} limit_defs[] = {
#define L(m, o, f, d, lo, hi, h)                                                                   \
	{                                                                                          \
		m, o, offsetof(struct cds__limits, f), d, lo, hi, h                                \
	}
    L("maxBodyBytes", "max-body-bytes", max_body_bytes, CDS_MAX_BODY_BYTES, 1024, 268435456,
      "request body bytes; larger -> 413"),
    L("maxJsonDepth", "max-json-depth", max_json_depth, CDS_MAX_JSON_DEPTH, 4, 512,
      "JSON nesting; deeper -> 400"),
    L("maxArrayItems", "max-array-items", max_array_items, CDS_MAX_ARRAY_ITEMS, 16, 10000000,
      "items in one JSON array; more -> 400"),
    L("maxHeaderBytes", "max-header-bytes", max_header_bytes, 65536, 4096, 1048576,
      "per-connection memory for the request line and headers; more -> 431"),
    L("maxConnections", "max-connections", max_connections, 256, 1, 65536,
      "open connections in total; one more closes the longest waiting for its headers, "
      "else is answered 503 + Retry-After"),
    L("maxConnectionsPerIp", "max-connections-per-ip", max_connections_per_ip, 128, 1, 65536,
      "open connections from one IP address; the same, among that address's"),
    L("idleTimeoutSeconds", "idle-timeout", idle_timeout_seconds, 30, 1, 3600,
      "a connection with no traffic this long is closed"),
    L("headerDeadlineSeconds", "header-deadline", header_deadline_seconds, 5, 1, 3600,
      "request line + headers complete within this of connecting (or of the last reply), "
      "whatever the byte rate; else closed"),
    L("bodyDeadlineSeconds", "body-deadline", body_deadline_seconds, 10, 1, 3600,
      "body complete within this of the headers, whatever the byte rate; else closed"),
    L("maxInFlight", "max-in-flight", max_in_flight, 64, 1, 65536,
      "complete requests queued or being answered at once; more -> 503 + Retry-After"),
    L("retryAfterSeconds", "retry-after", retry_after_seconds, 1, 1, 3600,
      "the Retry-After of a 503"),
    L("threads", "threads", threads, 4, 1, 256,
      "worker threads answering complete requests (+1 thread for all socket I/O)"),
    L("clockSkewSeconds", "clock-skew", clock_skew_seconds, 60, 0, 600,
      "allowance on JWT exp, iat and nbf"),
    L("maxTokenLifetimeSeconds", "max-token-lifetime", max_token_lifetime_seconds, 3600, 60, 86400,
      "longest JWT exp - iat accepted (bounds the replay cache)"),
    L("replayCacheEntries", "replay-cache-entries", replay_cache_entries, 100000, 16, 10000000,
      "jti values remembered; when full of live ones -> 503"),
    L("jwksTtlSeconds", "jwks-ttl", jwks_ttl_seconds, 3600, 60, 604800,
      "a fetched JWKS is refreshed after this"),
    L("jwksRefreshSeconds", "jwks-refresh-interval", jwks_refresh_seconds, 60, 1, 86400,
      "at most one JWKS refresh per issuer in this time (unknown kid)"),
    L("jwksTimeoutSeconds", "jwks-timeout", jwks_timeout_seconds, 5, 1, 60,
      "whole JWKS fetch, connect included"),
    L("jwksMaxBytes", "jwks-max-bytes", jwks_max_bytes, 262144, 1024, 16777216,
      "largest JWKS accepted"),
    L("shutdownGraceSeconds", "shutdown-grace", shutdown_grace_seconds, 10, 0, 3600,
      "on SIGTERM/SIGINT: no new connections; requests in flight get this long to finish"),
    L("watchQuietMs", "watch-quiet-ms", watch_quiet_ms, 300, 10, 60000,
      "with --watch: milliseconds the changed files must stay quiet before the reload"),
#undef L
};
#define LIMIT_COUNT (sizeof limit_defs / sizeof limit_defs[0])

static unsigned long *limit_slot(struct cds__limits *l, size_t i)
{
	return (unsigned long *)(void *)((char *)l + limit_defs[i].offset);
}

struct cds_config *cds_config_new(void)
{
	struct cds_config *cfg = cds__must(calloc(1, sizeof *cfg));
	for (size_t i = 0; i < LIMIT_COUNT; i++)
		*limit_slot(&cfg->limits, i) = limit_defs[i].def;
	cfg->algorithms = CDS__ALG_ES384 | CDS__ALG_RS384; /* CDS Hooks 2.0: RECOMMENDED */
	cfg->port = -1;
	cfg->keep_request_bodies = -1;
	cfg->request_body_retention_days = -1;
	return cfg;
}

static void issuer_clear(struct cds__issuer_config *ic)
{
	free(ic->iss);
	free(ic->jwks);
	for (size_t j = 0; j < ic->jku_count; j++)
		free(ic->jku[j]);
	free(ic->jku);
}

static void clear_issuers(struct cds_config *cfg)
{
	for (size_t i = 0; i < cfg->issuer_count; i++)
		issuer_clear(&cfg->issuers[i]);
	free(cfg->issuers);
	cfg->issuers = NULL;
	cfg->issuer_count = 0;
}

static void clear_origins(struct cds_config *cfg)
{
	for (size_t i = 0; i < cfg->origin_count; i++)
		free(cfg->origins[i]);
	free(cfg->origins);
	cfg->origins = NULL;
	cfg->origin_count = 0;
}

void cds_config_free(struct cds_config *cfg)
{
	if (!cfg)
		return;
	clear_issuers(cfg);
	clear_origins(cfg);
	free(cfg->public_url);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->jwks_ca_file);
	free(cfg->replay_cache_file);
	free(cfg->admin_token_file);
	free(cfg->bind);
	free(cfg->decision_log);
	free(cfg->store);
	free(cfg->patient_key);
	free(cfg);
}

size_t cds_config_issuer_count(const struct cds_config *cfg)
{
	return cfg ? cfg->issuer_count : 0;
}

static void set_string(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? cds__must(strdup(value)) : NULL;
}

/* A path from the config file, made relative to the file's folder; URLs are kept. NEW. */
static char *resolve_path(const char *base_dir, const char *path)
{
	if (!base_dir || path[0] == '/' || strncmp(path, "https://", 8) == 0 ||
	    strncmp(path, "http://", 7) == 0)
		return cds__must(strdup(path));
	size_t n = strlen(base_dir) + strlen(path) + 2;
	char *out = cds__must(malloc(n));
	snprintf(out, n, "%s/%s", base_dir, path);
	return out;
}

/* An http(s) URL without whitespace, query or fragment. */
static int url_ok(const char *url, int https_only)
{
	if (strncmp(url, "https://", 8) != 0 && (https_only || strncmp(url, "http://", 7) != 0))
		return 0;
	for (const char *p = url; *p; p++)
		if (*p <= ' ' || *p >= 127 || *p == '#')
			return 0;
	return strlen(url) <= 2048;
}

/* A JWKS source: https URL, an http URL to loopback when allowed (checked when fetched), or a
 * file. */
static int check_jwks_location(const struct cds_config *cfg, const char *where, const char *loc,
                               int url_only, struct fhir_error *err)
{
	int http = strncmp(loc, "http://", 7) == 0;
	if (!loc[0] || (http && !cfg->allow_http_loopback_jwks) ||
	    ((http || strncmp(loc, "https://", 8) == 0) && !url_ok(loc, 0)) ||
	    (url_only && !http && strncmp(loc, "https://", 8) != 0)) {
		fhir_error_set(err, where,
		               "'%.300s' must be %san https URL (http only to 127.0.0.1 with "
		               "--allow-http-jwks)",
		               loc, url_only ? "" : "a file or ");
		return FHIR_ERR_INVALID;
	}
	return FHIR_OK;
}

static struct cds__issuer_config *find_issuer(struct cds_config *cfg, const char *iss)
{
	for (size_t i = 0; i < cfg->issuer_count; i++)
		if (strcmp(cfg->issuers[i].iss, iss) == 0)
			return &cfg->issuers[i];
	return NULL;
}

/* Adds (or replaces the JWKS of) issuer `iss`. TAKES jwks (may be NULL). */
static struct cds__issuer_config *add_issuer(struct cds_config *cfg, const char *iss, char *jwks)
{
	struct cds__issuer_config *ic = find_issuer(cfg, iss);
	if (!ic) {
		cfg->issuers = cds__must(
		    realloc(cfg->issuers, (cfg->issuer_count + 1) * sizeof *cfg->issuers));
		ic = &cfg->issuers[cfg->issuer_count++];
		memset(ic, 0, sizeof *ic);
		ic->iss = cds__must(strdup(iss));
	}
	free(ic->jwks);
	ic->jwks = jwks;
	return ic;
}

static int add_jku(struct cds__issuer_config *ic, const char *url, const char *where,
                   struct fhir_error *err)
{
	if (ic->jku_count >= CDS__MAX_SOURCES) {
		fhir_error_set(err, where, "at most %d jku URLs per issuer", CDS__MAX_SOURCES);
		return FHIR_ERR_LIMIT;
	}
	ic->jku = cds__must(realloc(ic->jku, (ic->jku_count + 1) * sizeof *ic->jku));
	ic->jku[ic->jku_count++] = cds__must(strdup(url));
	return FHIR_OK;
}

static int add_origin(struct cds_config *cfg, const char *origin, const char *where,
                      struct fhir_error *err)
{
	/* An origin is scheme://host[:port], or "*" (any). */
	if (strcmp(origin, "*") != 0 &&
	    (!url_ok(origin, 0) || strchr(strstr(origin, "://") + 3, '/') ||
	     strlen(origin) > CDS__ORIGIN_MAX_BYTES)) {
		fhir_error_set(err, where,
		               "'%.200s' is not an origin (scheme://host[:port], no path) or '*'",
		               origin);
		return FHIR_ERR_INVALID;
	}
	cfg->origins =
	    cds__must(realloc(cfg->origins, (cfg->origin_count + 1) * sizeof *cfg->origins));
	cfg->origins[cfg->origin_count++] = cds__must(strdup(origin));
	return FHIR_OK;
}

/* Parses one algorithm name into the mask; none and HMAC are refused by name. */
static int add_algorithm(unsigned *mask, const char *name, const char *where,
                         struct fhir_error *err)
{
	unsigned alg = cds__jwt_alg(name);
	if (!alg) {
		fhir_error_set(err, where,
		               "'%.40s' is not accepted: use ES384, RS384, ES256, RS256 or PS384 "
		               "(CDS Hooks 2.0: never none, never HMAC)",
		               name);
		return FHIR_ERR_INVALID;
	}
	*mask |= alg;
	return FHIR_OK;
}

static int set_public_url(struct cds_config *cfg, const char *url, const char *where,
                          struct fhir_error *err)
{
	if (!url_ok(url, 0) || strchr(url, '?')) {
		fhir_error_set(err, where,
		               "'%.200s' is not a base URL (http(s)://host[:port][/prefix])", url);
		return FHIR_ERR_INVALID;
	}
	set_string(&cfg->public_url, url);
	size_t n = strlen(cfg->public_url);
	while (n > 8 && cfg->public_url[n - 1] == '/')
		cfg->public_url[--n] = '\0'; /* the paths called start with '/' */
	return FHIR_OK;
}

static int set_limit(struct cds_config *cfg, size_t i, double value, const char *text,
                     const char *where, struct fhir_error *err)
{
	const struct limit_def *d = &limit_defs[i];
	if (!(value >= (double)d->min && value <= (double)d->max) || value != (double)(long)value) {
		fhir_error_set(err, where, "%s must be an integer from %lu to %lu, not %.40s",
		               d->member, d->min, d->max, text);
		return FHIR_ERR_INVALID;
	}
	*limit_slot(&cfg->limits, i) = (unsigned long)value;
	return FHIR_OK;
}

/* ---- the config file --------------------------------------------------------------------- */

/* Where load_server's errors go: every one is reported (file, JSON pointer, message) and
 * counted, and the first is kept for cds_config_load_file's err. */
struct sink {
	const char *path;
	const struct engine_reporter *rep; /* NULL: only counted and kept */
	size_t count;
	struct fhir_error first;
};

static void bad(struct sink *s, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad(struct sink *s, const char *pointer, const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (s->count++ == 0)
		fhir_error_set(&s->first, pointer, "%s", message);
	if (s->rep)
		s->rep->report(s->rep->ctx, s->path, pointer, message);
}

/* Reports e when rc is an error; returns rc. */
static int forward(struct sink *s, int rc, const struct fhir_error *e)
{
	if (rc != FHIR_OK)
		bad(s, e->where, "%s", e->message);
	return rc;
}

/* base + "/" + key as a JSON pointer (RFC 6901: '~' -> "~0", '/' -> "~1"), cut to size. */
static void pointer_to(char *out, size_t size, const char *base, const char *key)
{
	size_t n = (size_t)snprintf(out, size, "%s/", base);
	for (const char *k = key; *k && n + 3 < size; k++) {
		if (*k == '~' || *k == '/') {
			out[n++] = '~';
			out[n++] = *k == '~' ? '0' : '1';
		} else {
			out[n++] = *k;
		}
	}
	out[n < size ? n : size - 1] = '\0';
}

/* Reports every member of `object` (at `pointer`) whose name is not in `known`. */
static void unknown_keys(struct sink *s, const cJSON *object, const char *pointer,
                         const char *const *known)
{
	for (const cJSON *m = object->child; m; m = m->next) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], m->string) != 0)
			i++;
		char at[200];
		pointer_to(at, sizeof at, pointer, m->string);
		if (!known[i])
			bad(s, at, "unknown key '%.60s'%s", m->string,
			    strcmp(pointer, "/server") == 0
			        ? " (a server setting is one of: bind, port, decisionLog, "
			          "logFormat, fetchBudgetMs, publicUrl, issuers, algorithms, "
			          "allowOrigins, jwksCaFile, replayCacheFile, adminTokenFile, "
			          "allowHttpLoopbackJwks, fetchWithoutAuthorization, tls, limits, "
			          "store, watch)"
			        : "");
	}
}

/* A string member: NULL when absent or wrong (reported). */
static const char *want_string(struct sink *s, const cJSON *object, const char *name,
                               const char *where, int required)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	if (!item && !required)
		return NULL;
	if (!cJSON_IsString(item) || !item->valuestring || !item->valuestring[0]) {
		bad(s, where, "'%s' must be a non-empty string", name);
		return NULL;
	}
	return item->valuestring;
}

/* A boolean member: -1 when absent or wrong (reported). */
static int want_bool(struct sink *s, const cJSON *object, const char *name, const char *where)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	if (!item)
		return -1;
	if (!cJSON_IsBool(item)) {
		bad(s, where, "must be true or false");
		return -1;
	}
	return cJSON_IsTrue(item);
}

/* An array of non-empty strings: NULL when absent or wrong (reported). */
static const cJSON *want_string_array(struct sink *s, const cJSON *object, const char *name,
                                      const char *where)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	if (!item)
		return NULL;
	if (!cJSON_IsArray(item)) {
		bad(s, where, "'%s' must be an array of strings", name);
		return NULL;
	}
	for (const cJSON *e = item->child; e; e = e->next)
		if (!cJSON_IsString(e) || !e->valuestring[0]) {
			bad(s, where, "'%s' must be an array of non-empty strings", name);
			return NULL;
		}
	return item;
}

/* An integer member in [lo, hi]; 0 when absent or wrong (reported). */
static int want_integer(struct sink *s, const cJSON *object, const char *name, const char *where,
                        long lo, long hi, long *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
	if (!item)
		return 0;
	double v = cJSON_IsNumber(item) ? item->valuedouble : -1e300;
	if (!(v >= (double)lo && v <= (double)hi) || v != (double)(long)v) {
		bad(s, where, "'%s' must be an integer from %ld to %ld", name, lo, hi);
		return 0;
	}
	*out = (long)v;
	return 1;
}

/* Frees *slot and puts value (NEW, taken) there. */
static void replace_string(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

/* A store URL serve can open (store.h), or "-". */
static int store_url_ok(const char *url)
{
	const char *kind = cds__store_url_kind(url);
	return strcmp(url, "-") == 0 || (kind && (strcmp(kind, "sqlite") != 0 || url[7]));
}

/* A store URL from the file: a relative sqlite:PATH is relative to the file's folder. NEW. */
static char *resolve_store(const char *dir, const char *url)
{
	if (strncmp(url, "sqlite:", 7) != 0 || url[7] == '/' || strcmp(url + 7, ":memory:") == 0)
		return cds__must(strdup(url));
	char *path = resolve_path(dir, url + 7);
	size_t n = strlen(path) + 8;
	char *out = cds__must(malloc(n));
	snprintf(out, n, "sqlite:%s", path);
	free(path);
	return out;
}

/* server.store: "URL" or {url, patientKey, requestBodies: {keep, retentionDays}} (issue 13). */
static void load_store(struct cds_config *cfg, struct sink *s, const cJSON *store, const char *dir)
{
	static const char *const known[] = {"url", "patientKey", "requestBodies", NULL};
	static const char *const bodies_known[] = {"keep", "retentionDays", NULL};
	const char *url = NULL;
	if (cJSON_IsString(store)) {
		url = store->valuestring;
		if (!url[0] || !store_url_ok(url))
			bad(s, "/server/store",
			    "'%.100s' is not a store: sqlite:PATH, postgresql://... or \"-\" "
			    "(none)",
			    url);
		else
			replace_string(&cfg->store, resolve_store(dir, url));
		return;
	}
	if (!cJSON_IsObject(store)) {
		bad(s, "/server/store",
		    "'store' must be a URL or an object {url, patientKey, requestBodies}");
		return;
	}
	unknown_keys(s, store, "/server/store", known);
	url = want_string(s, store, "url", "/server/store/url", 0);
	if (url && !store_url_ok(url))
		bad(s, "/server/store/url",
		    "'%.100s' is not a store: sqlite:PATH, postgresql://... or \"-\" (none)", url);
	else if (url)
		replace_string(&cfg->store, resolve_store(dir, url));
	const char *key = want_string(s, store, "patientKey", "/server/store/patientKey", 0);
	if (key)
		replace_string(&cfg->patient_key, resolve_path(dir, key));
	const cJSON *bodies = cJSON_GetObjectItemCaseSensitive(store, "requestBodies");
	if (bodies && !cJSON_IsObject(bodies)) {
		bad(s, "/server/store/requestBodies",
		    "'requestBodies' must be an object {keep, retentionDays}");
	} else if (bodies) {
		unknown_keys(s, bodies, "/server/store/requestBodies", bodies_known);
		int keep = want_bool(s, bodies, "keep", "/server/store/requestBodies/keep");
		if (keep >= 0)
			cfg->keep_request_bodies = keep;
		long days = 0;
		if (want_integer(s, bodies, "retentionDays",
		                 "/server/store/requestBodies/retentionDays", 0,
		                 CDS__BODY_RETENTION_MAX_DAYS, &days))
			cfg->request_body_retention_days = days;
	}
}

static void load_issuer(struct cds_config *cfg, struct sink *s, const cJSON *is, const char *where,
                        const char *dir)
{
	static const char *const known[] = {"iss", "jwks", "jku", NULL};
	struct fhir_error e = {{0}, {0}};
	char w2[160];
	if (!cJSON_IsObject(is)) {
		bad(s, where, "an issuer is an object {iss, jwks, jku}");
		return;
	}
	unknown_keys(s, is, where, known);
	size_t before = s->count;
	const char *iss = want_string(s, is, "iss", where, 1);
	const char *jwks = want_string(s, is, "jwks", where, 0);
	const cJSON *list = want_string_array(s, is, "jku", where);
	if (s->count != before || !iss)
		return;
	if (!jwks && !list) {
		bad(s, where, "an issuer needs 'jwks' or 'jku' (its keys)");
		return;
	}
	if (find_issuer(cfg, iss)) {
		bad(s, where, "issuer '%.200s' is listed twice", iss);
		return;
	}
	struct cds__issuer_config *ic = add_issuer(cfg, iss, jwks ? resolve_path(dir, jwks) : NULL);
	snprintf(w2, sizeof w2, "%s/jwks", where);
	if (ic->jwks)
		forward(s, check_jwks_location(cfg, w2, ic->jwks, 0, &e), &e);
	size_t j = 0;
	for (const cJSON *u = list ? list->child : NULL; u; u = u->next, j++) {
		snprintf(w2, sizeof w2, "%s/jku/%zu", where, j);
		if (forward(s, check_jwks_location(cfg, w2, u->valuestring, 1, &e), &e) == FHIR_OK)
			forward(s, add_jku(ic, u->valuestring, w2, &e), &e);
	}
}

/* Reads the "server" object, reporting every error to s (nothing stops at the first). */
static void load_server(struct cds_config *cfg, struct sink *s, const cJSON *server,
                        const char *dir)
{
	static const char *const known[] = {"bind",
	                                    "port",
	                                    "decisionLog",
	                                    "logFormat",
	                                    "fetchBudgetMs",
	                                    "publicUrl",
	                                    "issuers",
	                                    "algorithms",
	                                    "allowOrigins",
	                                    "jwksCaFile",
	                                    "replayCacheFile",
	                                    "adminTokenFile",
	                                    "allowHttpLoopbackJwks",
	                                    "fetchWithoutAuthorization",
	                                    "tls",
	                                    "limits",
	                                    "store",
	                                    "watch",
	                                    NULL};
	static const char *const tls_known[] = {"cert", "key", NULL};
	struct fhir_error e = {{0}, {0}};
	char where[128];
	const cJSON *list = NULL;
	if (!cJSON_IsObject(server)) {
		bad(s, "/server", "'server' must be an object");
		return;
	}
	unknown_keys(s, server, "/server", known);
	int flag = want_bool(s, server, "allowHttpLoopbackJwks", "/server/allowHttpLoopbackJwks");
	if (flag >= 0)
		cfg->allow_http_loopback_jwks = flag;
	flag =
	    want_bool(s, server, "fetchWithoutAuthorization", "/server/fetchWithoutAuthorization");
	if (flag >= 0)
		cfg->fetch_without_authorization = flag;
	flag = want_bool(s, server, "watch", "/server/watch"); /* --watch (watch.c) */
	if (flag >= 0)
		cfg->watch = flag;
	const char *v = want_string(s, server, "bind", "/server/bind", 0);
	if (v)
		set_string(&cfg->bind, v);
	long n = 0;
	if (want_integer(s, server, "port", "/server/port", 0, 65535, &n))
		cfg->port = n;
	if (want_integer(s, server, "fetchBudgetMs", "/server/fetchBudgetMs", 1, 600000, &n))
		cfg->fetch_budget_ms = n;
	/* The decision log: a file (relative to the config file), or "-" for none. */
	v = want_string(s, server, "decisionLog", "/server/decisionLog", 0);
	if (v) {
		free(cfg->decision_log);
		cfg->decision_log =
		    strcmp(v, "-") == 0 ? cds__must(strdup("-")) : resolve_path(dir, v);
	}
	v = want_string(s, server, "logFormat", "/server/logFormat", 0);
	if (v && strcmp(v, "text") != 0 && strcmp(v, "json") != 0)
		bad(s, "/server/logFormat", "'%.40s' is not a log format: text or json", v);
	else if (v)
		cfg->log_json = v[0] == 'j';
	v = want_string(s, server, "publicUrl", "/server/publicUrl", 0);
	if (v)
		forward(s, set_public_url(cfg, v, "/server/publicUrl", &e), &e);
	v = want_string(s, server, "jwksCaFile", "/server/jwksCaFile", 0);
	if (v) {
		free(cfg->jwks_ca_file);
		cfg->jwks_ca_file = resolve_path(dir, v);
	}
	/* The jti replay cache's file ("-": memory only, forgotten at restart), or a store's URL
	 * (shared by replicas: store/replay.h), resolved as server.store is, so that the same text
	 * in both names the same store. */
	v = want_string(s, server, "replayCacheFile", "/server/replayCacheFile", 0);
	if (v) {
		free(cfg->replay_cache_file);
		cfg->replay_cache_file = strcmp(v, "-") == 0       ? NULL
		                         : cds__replay_in_store(v) ? resolve_store(dir, v)
		                                                   : resolve_path(dir, v);
	}
	/* GET /report's admin token (report_route.c reads it at start) */
	v = want_string(s, server, "adminTokenFile", "/server/adminTokenFile", 0);
	if (v) {
		free(cfg->admin_token_file);
		cfg->admin_token_file = resolve_path(dir, v);
	}
	const cJSON *store = cJSON_GetObjectItemCaseSensitive(server, "store");
	if (store)
		load_store(cfg, s, store, dir);
	const cJSON *issuers = cJSON_GetObjectItemCaseSensitive(server, "issuers");
	if (issuers && !cJSON_IsArray(issuers))
		bad(s, "/server/issuers", "'issuers' must be an array of objects");
	size_t index = 0;
	for (const cJSON *is = cJSON_IsArray(issuers) ? issuers->child : NULL; is;
	     is = is->next, index++) {
		snprintf(where, sizeof where, "/server/issuers/%zu", index);
		load_issuer(cfg, s, is, where, dir);
	}
	list = want_string_array(s, server, "allowOrigins", "/server/allowOrigins");
	index = 0;
	for (const cJSON *o = list ? list->child : NULL; o; o = o->next, index++) {
		snprintf(where, sizeof where, "/server/allowOrigins/%zu", index);
		forward(s, add_origin(cfg, o->valuestring, where, &e), &e);
	}
	list = want_string_array(s, server, "algorithms", "/server/algorithms");
	if (list) {
		unsigned mask = 0;
		index = 0;
		for (const cJSON *a = list->child; a; a = a->next, index++) {
			snprintf(where, sizeof where, "/server/algorithms/%zu", index);
			forward(s, add_algorithm(&mask, a->valuestring, where, &e), &e);
		}
		if (mask)
			cfg->algorithms = mask;
	}
	const cJSON *tls = cJSON_GetObjectItemCaseSensitive(server, "tls");
	if (tls && !cJSON_IsObject(tls)) {
		bad(s, "/server/tls", "'tls' must be an object {cert, key}");
	} else if (tls) {
		unknown_keys(s, tls, "/server/tls", tls_known);
		const char *cert = want_string(s, tls, "cert", "/server/tls/cert", 1);
		const char *key = want_string(s, tls, "key", "/server/tls/key", 1);
		if (cert && key) {
			free(cfg->tls_cert);
			free(cfg->tls_key);
			cfg->tls_cert = resolve_path(dir, cert);
			cfg->tls_key = resolve_path(dir, key);
		}
	}
	const cJSON *limits = cJSON_GetObjectItemCaseSensitive(server, "limits");
	if (limits && !cJSON_IsObject(limits))
		bad(s, "/server/limits", "'limits' must be an object");
	for (const cJSON *m = cJSON_IsObject(limits) ? limits->child : NULL; m; m = m->next) {
		size_t i = 0;
		while (i < LIMIT_COUNT && strcmp(limit_defs[i].member, m->string) != 0)
			i++;
		pointer_to(where, sizeof where, "/server/limits", m->string);
		if (i == LIMIT_COUNT) {
			bad(s, where, "unknown limit '%.60s'", m->string);
			continue;
		}
		if (!cJSON_IsNumber(m)) {
			bad(s, where, "'%s' must be a number", m->string);
			continue;
		}
		char text[48];
		snprintf(text, sizeof text, "%g", m->valuedouble);
		forward(s, set_limit(cfg, i, m->valuedouble, text, where, &e), &e);
	}
}

/* Reads the config file's "server" object into cfg, reporting every error to rep (may be
 * NULL); the first is copied to *first. Returns the number of errors. */
static size_t load_file(struct cds_config *cfg, const char *path, const struct engine_reporter *rep,
                        struct fhir_error *first)
{
	char *text = NULL, *dir = NULL;
	size_t length = 0;
	cJSON *doc = NULL;
	struct fhir_error e = {{0}, {0}};
	struct sink s = {path, rep, 0, {{0}, {0}}};
	if (cds__read_file(path, CDS__MAX_CONFIG_FILE_BYTES, &text, &length, &e) != FHIR_OK) {
		bad(&s, "", "%s", e.message);
		goto out;
	}
	doc = cJSON_ParseWithLength(text, length);
	if (!cJSON_IsObject(doc)) {
		bad(&s, "", "not a JSON object");
		goto out;
	}
	const cJSON *server = cJSON_GetObjectItemCaseSensitive(doc, "server");
	if (!server)
		goto out;
	dir = cds__must(strdup(path));
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		set_string(&dir, ".");
	load_server(cfg, &s, server, dir);
out:
	*first = s.first;
	free(dir);
	free(text);
	cJSON_Delete(doc);
	return s.count;
}

size_t cds_config_load_file_all(struct cds_config *cfg, const char *path,
                                const struct engine_reporter *rep)
{
	struct fhir_error first = {{0}, {0}};
	return load_file(cfg, path, rep, &first);
}

int cds_config_load_file(struct cds_config *cfg, const char *path, struct fhir_error *err)
{
	struct fhir_error f = {{0}, {0}};
	if (load_file(cfg, path, NULL, &f) == 0)
		return FHIR_OK;
	char where[300];
	snprintf(where, sizeof where, "%.200s%s%.90s", path, f.where[0] ? "#" : "", f.where);
	fhir_error_set(err, where, "%s", f.message);
	return FHIR_ERR_INVALID;
}

/* ---- command-line options ---------------------------------------------------------------- */

static const char *const flag_options[] = {"allow-http-jwks", "fetch-without-authorization",
                                           "watch"};
static const char *const value_options[] = {
    "issuer",   "issuer-jku",  "public-url",          "allow-origin",    "alg",
    "tls-cert", "tls-key",     "jwks-ca-file",        "replay-cache",    "log-format",
    "store",    "patient-key", "keep-request-bodies", "admin-token-file"};

int cds_config_option_kind(const char *name)
{
	for (size_t i = 0; i < sizeof flag_options / sizeof flag_options[0]; i++)
		if (strcmp(name, flag_options[i]) == 0)
			return 0;
	for (size_t i = 0; i < sizeof value_options / sizeof value_options[0]; i++)
		if (strcmp(name, value_options[i]) == 0)
			return 1;
	for (size_t i = 0; i < LIMIT_COUNT; i++)
		if (strcmp(name, limit_defs[i].option) == 0)
			return 1;
	return -1;
}

int cds_config_option(struct cds_config *cfg, const char *name, const char *value,
                      struct fhir_error *err)
{
	char where[64];
	snprintf(where, sizeof where, "--%.40s", name);
	if (strcmp(name, "allow-http-jwks") == 0) {
		cfg->allow_http_loopback_jwks = 1;
		return FHIR_OK;
	}
	if (strcmp(name, "fetch-without-authorization") == 0) {
		cfg->fetch_without_authorization = 1;
		return FHIR_OK;
	}
	if (strcmp(name, "watch") == 0) {
		cfg->watch = 1;
		return FHIR_OK;
	}
	if (!value) {
		fhir_error_set(err, where, "needs a value");
		return FHIR_ERR_INVALID;
	}
	if (strcmp(name, "issuer") == 0 || strcmp(name, "issuer-jku") == 0) {
		const char *eq = strchr(value, '=');
		if (!eq || eq == value || !eq[1]) {
			fhir_error_set(err, where, "expects ISS=%s, not '%.200s'",
			               name[6] ? "URL" : "JWKS", value);
			return FHIR_ERR_INVALID;
		}
		char *iss = cds__must(strndup(value, (size_t)(eq - value)));
		int rc = FHIR_OK;
		if (name[6] == '\0') {
			if (!cfg->cli_issuers) { /* the command line replaces the file's list */
				clear_issuers(cfg);
				cfg->cli_issuers = 1;
			}
			rc = check_jwks_location(cfg, where, eq + 1, 0, err);
			if (rc == FHIR_OK)
				add_issuer(cfg, iss, cds__must(strdup(eq + 1)));
		} else {
			struct cds__issuer_config *ic = find_issuer(cfg, iss);
			if (!ic) {
				fhir_error_set(err, where,
				               "no issuer '%.200s' (give --issuer first)", iss);
				rc = FHIR_ERR_INVALID;
			} else if ((rc = check_jwks_location(cfg, where, eq + 1, 1, err)) ==
			           FHIR_OK) {
				rc = add_jku(ic, eq + 1, where, err);
			}
		}
		free(iss);
		return rc;
	}
	if (strcmp(name, "allow-origin") == 0) {
		if (!cfg->cli_origins) {
			clear_origins(cfg);
			cfg->cli_origins = 1;
		}
		return add_origin(cfg, value, where, err);
	}
	if (strcmp(name, "alg") == 0) {
		if (!cfg->cli_algorithms) {
			cfg->algorithms = 0;
			cfg->cli_algorithms = 1;
		}
		char buf[256];
		snprintf(buf, sizeof buf, "%s", value);
		for (char *p = buf, *next; p && *p; p = next) {
			next = strchr(p, ',');
			if (next)
				*next++ = '\0';
			int rc = add_algorithm(&cfg->algorithms, p, where, err);
			if (rc != FHIR_OK)
				return rc;
		}
		return cfg->algorithms ? FHIR_OK : FHIR_ERR_INVALID;
	}
	if (strcmp(name, "public-url") == 0)
		return set_public_url(cfg, value, where, err);
	if (strcmp(name, "tls-cert") == 0 || strcmp(name, "tls-key") == 0) {
		set_string(name[4] == 'c' ? &cfg->tls_cert : &cfg->tls_key, value);
		return FHIR_OK;
	}
	if (strcmp(name, "log-format") == 0) {
		if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0) {
			fhir_error_set(err, where, "'%.40s' is not a log format: text or json",
			               value);
			return FHIR_ERR_INVALID;
		}
		cfg->log_json = value[0] == 'j';
		return FHIR_OK;
	}
	if (strcmp(name, "jwks-ca-file") == 0) {
		set_string(&cfg->jwks_ca_file, value);
		return FHIR_OK;
	}
	if (strcmp(name, "admin-token-file") == 0) {
		set_string(&cfg->admin_token_file, value);
		return FHIR_OK;
	}
	if (strcmp(name, "replay-cache") == 0) {
		if (!value[0]) {
			fhir_error_set(err, where, "needs a file name, or '-' for none");
			return FHIR_ERR_INVALID;
		}
		set_string(&cfg->replay_cache_file, strcmp(value, "-") == 0 ? NULL : value);
		return FHIR_OK;
	}
	if (strcmp(name, "store") == 0) {
		if (!store_url_ok(value)) {
			fhir_error_set(
			    err, where,
			    "'%.100s' is not a store: sqlite:PATH, postgresql://... or '-' "
			    "(none)",
			    value);
			return FHIR_ERR_INVALID;
		}
		set_string(&cfg->store, value);
		return FHIR_OK;
	}
	if (strcmp(name, "patient-key") == 0) {
		if (!value[0]) {
			fhir_error_set(err, where, "needs a file name");
			return FHIR_ERR_INVALID;
		}
		set_string(&cfg->patient_key, value);
		return FHIR_OK;
	}
	if (strcmp(name, "keep-request-bodies") == 0) {
		char *end = NULL;
		errno = 0;
		long days = strtol(value, &end, 10);
		if (strcmp(value, "no") == 0) {
			cfg->keep_request_bodies = 0;
			return FHIR_OK;
		}
		if (errno || end == value || *end || days < 0 ||
		    days > CDS__BODY_RETENTION_MAX_DAYS) {
			fhir_error_set(err, where,
			               "expects a number of days (0-%d) or 'no', not '%.40s'",
			               CDS__BODY_RETENTION_MAX_DAYS, value);
			return FHIR_ERR_INVALID;
		}
		cfg->keep_request_bodies = 1;
		cfg->request_body_retention_days = days;
		return FHIR_OK;
	}
	for (size_t i = 0; i < LIMIT_COUNT; i++) {
		if (strcmp(name, limit_defs[i].option) != 0)
			continue;
		char *end = NULL;
		errno = 0;
		double v = strtod(value, &end);
		if (errno || end == value || *end)
			v = -1;
		return set_limit(cfg, i, v, value, where, err);
	}
	fhir_error_set(err, where, "unknown option");
	return FHIR_ERR_NOT_FOUND;
}

int cds_config_check(const struct cds_config *cfg, struct fhir_error *err)
{
	if (!cfg->tls_cert != !cfg->tls_key) {
		fhir_error_set(err, cfg->tls_cert ? "--tls-key" : "--tls-cert",
		               "TLS needs both a certificate and a key");
		return FHIR_ERR_INVALID;
	}
	for (size_t i = 0; i < cfg->issuer_count; i++) {
		const struct cds__issuer_config *ic = &cfg->issuers[i];
		if (strncmp(ic->iss, "http", 4) != 0 || strlen(ic->iss) > CDS__ISS_MAX_BYTES) {
			fhir_error_set(
			    err, "--issuer",
			    "issuer '%.200s' must be a URL (CDS Hooks 2.0: iss is a URI) of "
			    "at most %d bytes",
			    ic->iss, CDS__ISS_MAX_BYTES);
			return FHIR_ERR_INVALID;
		}
		if (ic->jwks && strncmp(ic->jwks, "http://", 7) == 0 &&
		    !cfg->allow_http_loopback_jwks) {
			fhir_error_set(err, "--issuer", "JWKS '%.200s' is plain http", ic->jwks);
			return FHIR_ERR_INVALID;
		}
	}
	return FHIR_OK;
}

void cds_config_print_usage(FILE *out)
{
	fputs(
	    "Trust (CDS Hooks 2.0 \"Trusting CDS Clients\"; without --issuer: open demo mode,\n"
	    "loopback only, CORS '*'):\n"
	    "  --issuer ISS=JWKS      trust JWTs from issuer ISS, keys from JWKS (a file or an\n"
	    "                         https URL); repeatable; replaces the config file's issuers\n"
	    "  --issuer-jku ISS=URL   also allow the jku URL for issuer ISS (after its --issuer)\n"
	    "  --public-url URL       the base URL clients call, for the JWT aud check\n"
	    "                         (default http[s]://BIND:PORT); behind a proxy: its URL\n"
	    "  --alg LIST             JWT algorithms accepted, comma-separated (default\n"
	    "                         ES384,RS384; also ES256, RS256, PS384)\n"
	    "  --allow-origin ORIGIN  CORS: allow this browser origin (repeatable; '*' any)\n"
	    "  --jwks-ca-file FILE    CA bundle for https JWKS fetches (default: the system's)\n"
	    "  --replay-cache FILE|URL  where accepted JWT ids (jti) are kept until they expire,\n"
	    "                         so a token is never accepted twice, restarts included\n"
	    "                         (default " CDS__REPLAY_CACHE_DEFAULT " in the working\n"
	    "                         directory; '-': memory only, forgotten at restart); a\n"
	    "                         postgresql://… or sqlite:FILE URL: the store's replay\n"
	    "                         table, shared by replicas behind a load balancer (the\n"
	    "                         default with a postgresql:// --store); the --store URL\n"
	    "                         itself: a call's jti is claimed in its own commit\n"
	    "  --admin-token-file FILE  GET /report (the commissioner's report page) also for\n"
	    "                         clients sending `Authorization: Bearer <the token in FILE>`\n"
	    "                         (at least 16 characters); without it, loopback clients only\n"
	    "  --allow-http-jwks      allow http JWKS URLs to 127.0.0.1/[::1] (tests only)\n"
	    "  --fetch-without-authorization  fetch missing prefetch from a fhirServer sent\n"
	    "                         without fhirAuthorization, unauthenticated (open test\n"
	    "                         servers such as the CDS Hooks Sandbox's); default: 412\n"
	    "  --log-format FORMAT    the access log on stderr: text (default) or json (one JSON\n"
	    "                         object a line: time, method, path, status, durationUs,\n"
	    "                         hookInstance, note)\n"
	    "The decision and feedback store (README \"What the store keeps, and why\"):\n"
	    "  --store URL|-          where every decision and feedback item is committed before\n"
	    "                         its reply (503 when it cannot be): sqlite:PATH (created on\n"
	    "                         first start) or postgresql://USER:PASSWORD@HOST/DB (several\n"
	    "                         replicas); default " CDS__STORE_DEFAULT " in the working\n"
	    "                         directory; '-': none, the decision log only\n"
	    "  --patient-key FILE     key of the patient HMAC (32+ random bytes, mode 0600); "
	    "default\n"
	    "                         for sqlite:PATH: PATH.patient-key, created when absent;\n"
	    "                         required for PostgreSQL (the same file on every replica)\n"
	    "  --keep-request-bodies DAYS|no  also store request bodies (for `impact`), without\n"
	    "                         fhirAuthorization, for DAYS days (0-3650; purged at start "
	    "and\n"
	    "                         hourly; 0: at the next purge); default: no\n"
	    "TLS:\n"
	    "  --tls-cert FILE --tls-key FILE   serve HTTPS (PEM; TLS 1.2 or newer)\n"
	    "Limits (config file: server.limits.<name>):\n",
	    out);
	for (size_t i = 0; i < LIMIT_COUNT; i++) {
		char opt[64];
		snprintf(opt, sizeof opt, "--%s N", limit_defs[i].option);
		fprintf(out, "  %-27s %s (%s, %lu-%lu, default %lu)\n", opt, limit_defs[i].help,
		        limit_defs[i].member, limit_defs[i].min, limit_defs[i].max,
		        limit_defs[i].def);
	}
}

/* Keeps one string setting of `running` in `next`, noting `name` when they differ. */
static void keep_string(char **next, const char *running, const char *name, char *changed,
                        size_t size, size_t *count)
{
	if ((*next == NULL) != (running == NULL) || (running && strcmp(*next, running) != 0)) {
		size_t at = strlen(changed);
		snprintf(changed + at, size - at, "%s%s", at ? ", " : "", name);
		(*count)++;
	}
	set_string(next, running);
}

size_t cds__config_keep_restart(struct cds_config *next, const struct cds_config *running,
                                char *changed, size_t size)
{
	size_t count = 0;
	changed[0] = '\0';
	keep_string(&next->bind, running->bind, "bind", changed, size, &count);
	keep_string(&next->tls_cert, running->tls_cert, "tls.cert", changed, size, &count);
	keep_string(&next->tls_key, running->tls_key, "tls.key", changed, size, &count);
	keep_string(&next->decision_log, running->decision_log, "decisionLog", changed, size,
	            &count);
	keep_string(&next->replay_cache_file, running->replay_cache_file, "replayCacheFile",
	            changed, size, &count);
	keep_string(&next->store, running->store, "store", changed, size, &count); /* opened once */
	keep_string(&next->patient_key, running->patient_key, "store.patientKey", changed, size,
	            &count);
	const struct {
		long next, running;
		const char *name;
	} numbers[] = {
	    {next->port, running->port, "port"},
	    {next->fetch_budget_ms, running->fetch_budget_ms, "fetchBudgetMs"},
	    {next->log_json, running->log_json, "logFormat"},
	    {next->watch, running->watch, "watch"},
	    {next->keep_request_bodies, running->keep_request_bodies, "store.requestBodies"},
	    {next->request_body_retention_days, running->request_body_retention_days,
	     "store.requestBodies"}};
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
		if (numbers[i].next != numbers[i].running) {
			size_t at = strlen(changed);
			snprintf(changed + at, size - at, "%s%s", at ? ", " : "", numbers[i].name);
			count++;
		}
	next->port = running->port;
	next->fetch_budget_ms = running->fetch_budget_ms;
	next->log_json = running->log_json;
	next->watch = running->watch;
	next->keep_request_bodies = running->keep_request_bodies;
	next->request_body_retention_days = running->request_body_retention_days;
	for (size_t i = 0; i < LIMIT_COUNT; i++) {
		unsigned long *slot = limit_slot(&next->limits, i);
		unsigned long was =
		    *(const unsigned long *)(const void *)((const char *)&running->limits +
		                                           limit_defs[i].offset);
		if (*slot != was) {
			size_t at = strlen(changed);
			snprintf(changed + at, size - at, "%slimits.%s", at ? ", " : "",
			         limit_defs[i].member);
			count++;
			*slot = was;
		}
	}
	return count;
}
