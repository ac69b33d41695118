/* broken_service.c — a deliberately faulty CDS Hooks 2.0 service for the runner's own tests.
 * Without faults it is a small, mostly conformant service (two order services, 412 without
 * prefetch, one card with a suggestion, feedback, CORS, a JWT check of header and claims that
 * does NOT verify signatures). Each --fault NAME breaks one rule so a test can show that
 * cds-conformance reports exactly that assertion as FAIL. Loopback only; test use only.
 * Usage: broken-service --port N --iss ISS --jwks FILE [--max-body N] [--fault NAME]...
 * (--max-body: request bodies over N bytes get 413, default 65536; iat/nbf may be 60 s ahead.) */
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

static const char *const fault_names[] = {
    "summary140", "null", "alg-none", "no412", "no-selection-behavior", "delete-no-resourceid",
    "bad-indicator", "discovery-null", "crash-500", "no-cards", "html-content-type",
    "update-foreign", "override-no-display", "bad-prefetch-token", "feedback-accept-all",
    "expired-ok", "replay-ok", "two-recommended", "relative-link", "empty-actions", "bad-resource",
    /* issue 16: */
    "no-cors-401", "no-cors-412", "no-cors-413", "no-cors-415", "future-iat-ok", "future-nbf-ok",
    "null-as-absent", "feedback-404", "unknown-400", "no-415", "no-413", "text-errors",
    "markup-indicator"};
#define N_FAULTS (sizeof fault_names / sizeof fault_names[0])
static int faults[N_FAULTS];
static const char *issuer = "";
static char kids[4][128];
static size_t n_kids;
static unsigned port;
static size_t max_body = 65536;
#define CLOCK_SKEW_S 60

#define MAX_JTI 4096
static char *seen_jti[MAX_JTI];
static size_t n_jti;
static pthread_mutex_t jti_lock = PTHREAD_MUTEX_INITIALIZER;

static int fault(const char *name)
{
	for (size_t i = 0; i < N_FAULTS; i++)
		if (strcmp(fault_names[i], name) == 0)
			return faults[i];
	return 0;
}

struct upload {
	char *data;
	size_t length;
};

/* base64url decode into a NUL-terminated buffer. NEW or NULL. */
static char *b64url_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	if (!out)
		abort();
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int v = c >= 'A' && c <= 'Z'   ? c - 'A'
		        : c >= 'a' && c <= 'z' ? c - 'a' + 26
		        : c >= '0' && c <= '9' ? c - '0' + 52
		        : c == '-'             ? 62
		        : c == '_'             ? 63
		                               : -1;
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Header and claim checks; no signature verification (the runner's A8 fails here by design). */
static int token_ok(struct MHD_Connection *c, const char *url)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!auth || strncmp(auth, "Bearer ", 7) != 0)
		return 0;
	const char *t = auth + 7, *d1 = strchr(t, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d2)
		return 0;
	char *hs = b64url_decode(t, (size_t)(d1 - t));
	char *ps = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1));
	cJSON *h = hs ? cJSON_Parse(hs) : NULL, *p = ps ? cJSON_Parse(ps) : NULL;
	free(hs);
	free(ps);
	int ok = 0;
	const char *alg = str(h, "alg"), *kid = str(h, "kid"), *typ = str(h, "typ");
	if (!alg || !(strcmp(alg, "ES384") == 0 || strcmp(alg, "RS384") == 0 ||
	              (fault("alg-none") && strcmp(alg, "none") == 0)))
		goto out;
	if (!typ || strcmp(typ, "JWT") != 0 || !kid || cJSON_GetObjectItemCaseSensitive(h, "jku"))
		goto out;
	int known = 0;
	for (size_t i = 0; i < n_kids; i++)
		known |= strcmp(kids[i], kid) == 0;
	if (!known)
		goto out;
	const char *iss = str(p, "iss"), *jti = str(p, "jti");
	if (!iss || strcmp(iss, issuer) != 0 || !jti)
		goto out;
	char expect[600];
	snprintf(expect, sizeof expect, "http://127.0.0.1:%u%s", port, url);
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(p, "aud");
	if (cJSON_IsArray(aud) && cJSON_GetArraySize(aud) == 1)
		aud = cJSON_GetArrayItem(aud, 0);
	if (!cJSON_IsString(aud) || strcmp(aud->valuestring, expect) != 0)
		goto out;
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(p, "exp");
	if (!cJSON_IsNumber(exp) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "iat")))
		goto out;
	if (!fault("expired-ok") && exp->valuedouble < (double)time(NULL))
		goto out;
	double ahead = (double)time(NULL) + CLOCK_SKEW_S;
	const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(p, "nbf");
	if (!fault("future-iat-ok") &&
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "iat")) > ahead)
		goto out;
	if (!fault("future-nbf-ok") && cJSON_IsNumber(nbf) && nbf->valuedouble > ahead)
		goto out;
	pthread_mutex_lock(&jti_lock);
	int replay = 0;
	for (size_t i = 0; i < n_jti; i++)
		replay |= strcmp(seen_jti[i], jti) == 0;
	if (!replay && n_jti < MAX_JTI)
		seen_jti[n_jti++] = strdup(jti);
	pthread_mutex_unlock(&jti_lock);
	ok = !replay || fault("replay-ok");
out:
	cJSON_Delete(h);
	cJSON_Delete(p);
	return ok;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *body,
                                 const char *type)
{
	if (status >= 400 && fault("text-errors"))
		body = "request refused";
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(size_t)body,
	                                                         MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	int text_error = status >= 400 && fault("text-errors");
	MHD_add_response_header(r, "Content-Type", text_error ? "text/plain" : type);
	int no_cors =
	    (status == 401 && fault("no-cors-401")) || (status == 412 && fault("no-cors-412")) ||
	    (status == 413 && fault("no-cors-413")) || (status == 415 && fault("no-cors-415"));
	if (!no_cors)
		MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	if (status == 204) {
		MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
		MHD_add_response_header(r, "Access-Control-Allow-Headers",
		                        "Content-Type, Authorization");
	}
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cJSON *v)
{
	char *text = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	enum MHD_Result ret = send_text(c, status, text, "application/json");
	free(text);
	return ret;
}

static cJSON *discovery(void)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(root, "services");
	const char *hooks[] = {"order-select", "order-sign"};
	const char *ids[] = {"broken-select", "broken-sign"};
	for (size_t i = 0; i < 2; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "hook", hooks[i]);
		cJSON_AddStringToObject(s, "id", ids[i]);
		cJSON_AddStringToObject(s, "description", "Deliberately faulty test service");
		if (fault("discovery-null"))
			cJSON_AddNullToObject(s, "title");
		else
			cJSON_AddStringToObject(s, "title", "Broken");
		cJSON *pf = cJSON_AddObjectToObject(s, "prefetch");
		cJSON_AddStringToObject(pf, "patient", "Patient/{{context.patientId}}");
		cJSON_AddStringToObject(pf, "conditions",
		                        fault("bad-prefetch-token")
		                            ? "Condition?patient={{context.draftOrders.id}}"
		                            : "Condition?patient={{context.patientId}}");
		cJSON_AddItemToArray(list, s);
	}
	return root;
}

static cJSON *first_order(const cJSON *body)
{
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(body, "context");
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
	                          cJSON_GetObjectItemCaseSensitive(ctx, "draftOrders"), "entry"))
	{
		cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "resource");
		if (str(r, "resourceType") && str(r, "id"))
			return r;
	}
	return NULL;
}

static cJSON *service_response(const cJSON *body, int sign)
{
	cJSON *root = cJSON_CreateObject();
	if (fault("no-cards"))
		return root;
	cJSON *cards = cJSON_AddArrayToObject(root, "cards");
	const cJSON *order = first_order(body);
	if (!order)
		return root;
	char ref[300];
	snprintf(ref, sizeof ref, "%s/%s", str(order, "resourceType"), str(order, "id"));
	cJSON *card = cJSON_CreateObject();
	cJSON_AddStringToObject(card, "uuid", "0b7f3c1e-2d4a-4e6b-9a8c-1f2e3d4c5b6a");
	if (fault("summary140")) {
		char s[141];
		memset(s, 'x', 140);
		s[140] = '\0';
		cJSON_AddStringToObject(card, "summary", s);
	} else {
		cJSON_AddStringToObject(card, "summary", "Broken test service reviewed the order");
	}
	cJSON_AddStringToObject(card, "indicator",
	                        fault("bad-indicator")      ? "urgent"
	                        : fault("markup-indicator") ? "<b>&\"urgent\"'\xff</b>"
	                                                    : "info");
	if (fault("null"))
		cJSON_AddNullToObject(card, "detail");
	else
		cJSON_AddStringToObject(card, "detail", "A *test* card.");
	cJSON *source = cJSON_AddObjectToObject(card, "source");
	cJSON_AddStringToObject(source, "label", "Broken test service");
	cJSON *sugg = cJSON_AddArrayToObject(card, "suggestions");
	for (int k = 0; k < 2; k++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "label", k ? "Keep the order" : "Replace the order");
		cJSON_AddStringToObject(s, "uuid",
		                        k ? "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
		                          : "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d");
		cJSON_AddBoolToObject(s, "isRecommended", k == 0 || fault("two-recommended"));
		if (k == 0) {
			cJSON *actions = cJSON_AddArrayToObject(s, "actions");
			if (!fault("empty-actions")) {
				cJSON *del = cJSON_CreateObject();
				cJSON_AddStringToObject(del, "type", "delete");
				cJSON_AddStringToObject(del, "description", "Remove the order");
				if (!fault("delete-no-resourceid"))
					cJSON_AddStringToObject(del, "resourceId", ref);
				cJSON_AddItemToArray(actions, del);
				cJSON *cr = cJSON_CreateObject();
				cJSON_AddStringToObject(cr, "type", "create");
				cJSON_AddStringToObject(cr, "description", "Order the alternative");
				cJSON *res = cJSON_AddObjectToObject(cr, "resource");
				cJSON_AddStringToObject(res, "resourceType", "ServiceRequest");
				cJSON_AddStringToObject(
				    res, "status", fault("bad-resource") ? "pending" : "draft");
				cJSON_AddStringToObject(res, "intent", "order");
				cJSON *subject = cJSON_AddObjectToObject(res, "subject");
				cJSON_AddStringToObject(subject, "reference", "Patient/p1");
				cJSON_AddItemToArray(actions, cr);
			}
		}
		cJSON_AddItemToArray(sugg, s);
	}
	if (!fault("no-selection-behavior"))
		cJSON_AddStringToObject(card, "selectionBehavior", "at-most-one");
	cJSON *reasons = cJSON_AddArrayToObject(card, "overrideReasons");
	cJSON *reason = cJSON_CreateObject();
	cJSON_AddStringToObject(reason, "code", "not-relevant");
	cJSON_AddStringToObject(reason, "system", "http://example.org/reasons");
	if (!fault("override-no-display"))
		cJSON_AddStringToObject(reason, "display", "Not relevant");
	cJSON_AddItemToArray(reasons, reason);
	cJSON *links = cJSON_AddArrayToObject(card, "links");
	cJSON *link = cJSON_CreateObject();
	cJSON_AddStringToObject(link, "label", "Guidance");
	cJSON_AddStringToObject(
	    link, "url", fault("relative-link") ? "/guidance" : "https://example.org/guidance");
	cJSON_AddStringToObject(link, "type", "absolute");
	cJSON_AddItemToArray(links, link);
	cJSON_AddItemToArray(cards, card);
	if (sign && strcmp(str(order, "resourceType"), "ServiceRequest") == 0) {
		cJSON *sa = cJSON_AddArrayToObject(root, "systemActions");
		cJSON *up = cJSON_CreateObject();
		cJSON_AddStringToObject(up, "type", "update");
		cJSON_AddStringToObject(up, "description", "Record the review on the order");
		cJSON *res = cJSON_AddObjectToObject(up, "resource");
		cJSON_AddStringToObject(res, "resourceType", "ServiceRequest");
		cJSON_AddStringToObject(
		    res, "id", fault("update-foreign") ? "not-a-draft-order" : str(order, "id"));
		cJSON_AddStringToObject(res, "status", "draft");
		cJSON_AddStringToObject(res, "intent", "order");
		cJSON *subject = cJSON_AddObjectToObject(res, "subject");
		cJSON_AddStringToObject(subject, "reference", "Patient/p1");
		cJSON_AddItemToArray(sa, up);
	}
	return root;
}

static enum MHD_Result feedback(struct MHD_Connection *c, const cJSON *body)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "feedback");
	if (!cJSON_IsArray(list))
		return send_text(c, 400, "{}", "application/json");
	const cJSON *f;
	cJSON_ArrayForEach(f, list)
	{
		const char *o = str(f, "outcome");
		int ok = str(f, "card") && o &&
		         ((strcmp(o, "accepted") == 0 &&
		           cJSON_GetObjectItemCaseSensitive(f, "acceptedSuggestions")) ||
		          strcmp(o, "overridden") == 0);
		if (!ok && !fault("feedback-accept-all"))
			return send_text(c, 400, "{}", "application/json");
	}
	return send_text(c, 200, "{}", "application/json");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
	(void)cls;
	(void)version;
	struct upload *up = *state;
	if (!up) {
		up = calloc(1, sizeof *up);
		if (!up)
			abort();
		*state = up;
		return MHD_YES;
	}
	if (*size) {
		char *grown = realloc(up->data, up->length + *size + 1);
		if (!grown)
			abort();
		up->data = grown;
		memcpy(up->data + up->length, data, *size);
		up->length += *size;
		up->data[up->length] = '\0';
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "OPTIONS") == 0)
		return send_text(c, 204, "", "text/plain");
	if (strcmp(url, "/cds-services") == 0 && strcmp(method, "GET") == 0) {
		cJSON *d = discovery();
		if (fault("html-content-type")) {
			char *t = cJSON_PrintUnformatted(d);
			cJSON_Delete(d);
			enum MHD_Result r = send_text(c, 200, t, "text/html");
			free(t);
			return r;
		}
		return send_json(c, 200, d);
	}
	const char *prefix = "/cds-services/";
	if (strncmp(url, prefix, strlen(prefix)) != 0 || strcmp(method, "POST") != 0)
		return send_text(c, 404, "{}", "application/json");
	const char *id = url + strlen(prefix);
	int is_feedback = 0, sign;
	if (strncmp(id, "broken-select", 13) == 0)
		sign = 0;
	else if (strncmp(id, "broken-sign", 11) == 0)
		sign = 1;
	else
		return send_text(c, fault("unknown-400") ? 400 : 404, "{}", "application/json");
	const char *rest = id + (sign ? 11 : 13);
	if (strcmp(rest, "/feedback") == 0)
		is_feedback = 1;
	else if (*rest)
		return send_text(c, 404, "{}", "application/json");
	if (is_feedback && fault("feedback-404")) /* while OPTIONS on it answers 204 */
		return send_text(c, 404, "{}", "application/json");
	if (!token_ok(c, url))
		return send_text(c, 401, "{\"error\":\"invalid_token\"}", "application/json");
	if (up->length > max_body && !fault("no-413"))
		return send_text(c, 413, "{\"error\":\"body too large\"}", "application/json");
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if ((!type || strncmp(type, "application/json", 16) != 0) && !fault("no-415"))
		return send_text(c, 415, "{\"error\":\"not JSON\"}", "application/json");
	cJSON *body = up->data ? cJSON_Parse(up->data) : NULL;
	enum MHD_Result ret;
	if (!cJSON_IsObject(body)) {
		ret = send_text(c, fault("crash-500") ? 500 : 400, "{}", "application/json");
	} else if (is_feedback) {
		ret = feedback(c, body);
	} else if (!str(body, "hook") || !str(body, "hookInstance") ||
	           !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(body, "context"))) {
		ret = send_text(c, 400, "{}", "application/json");
	} else {
		const cJSON *pf = cJSON_GetObjectItemCaseSensitive(body, "prefetch");
		int have = cJSON_GetObjectItemCaseSensitive(pf, "conditions") != NULL ||
		           str(body, "fhirServer") != NULL;
		const cJSON *v;
		cJSON_ArrayForEach(v, pf) /* null is "no data", not "absent": 412 is wrong */
		{
			if (cJSON_IsNull(v) && fault("null-as-absent"))
				have = 0;
		}
		if (!have && !fault("no412"))
			ret = send_text(c, 412, "{}", "application/json");
		else
			ret = send_json(c, 200, service_response(body, sign));
	}
	cJSON_Delete(body);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct upload *up = *state;
	if (up)
		free(up->data);
	free(up);
	*state = NULL;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Collects the kids of the JWKS file the runner wrote. */
static void load_kids(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	cJSON *jwks = cJSON_Parse(buf);
	const cJSON *k;
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(jwks, "keys"))
	{
		if (str(k, "kid") && n_kids < 4)
			snprintf(kids[n_kids++], sizeof kids[0], "%s", str(k, "kid"));
	}
	cJSON_Delete(jwks);
}

int main(int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0) {
			port = (unsigned)strtoul(argv[i + 1], NULL, 10);
		} else if (strcmp(argv[i], "--iss") == 0) {
			issuer = argv[i + 1];
		} else if (strcmp(argv[i], "--jwks") == 0) {
			load_kids(argv[i + 1]);
		} else if (strcmp(argv[i], "--max-body") == 0) {
			max_body = (size_t)strtoul(argv[i + 1], NULL, 10);
		} else if (strcmp(argv[i], "--fault") == 0) {
			size_t k;
			for (k = 0; k < N_FAULTS && strcmp(fault_names[k], argv[i + 1]) != 0; k++)
				;
			if (k == N_FAULTS) {
				fprintf(stderr, "broken-service: unknown fault '%s'\n",
				        argv[i + 1]);
				return 2;
			}
			faults[k] = 1;
		} else {
			fprintf(stderr, "broken-service: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d =
	    MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, (uint16_t)port, NULL,
	                     NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr,
	                     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "broken-service: cannot listen on 127.0.0.1:%u\n", port);
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : port;
	fprintf(stderr, "broken-service listening on http://127.0.0.1:%u/cds-services\n", port);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	for (size_t i = 0; i < n_jti; i++)
		free(seen_jti[i]);
	return 0;
}
