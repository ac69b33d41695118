/* metrics.c — operations endpoints: GET /metrics (the Prometheus text exposition format 0.0.4,
 * written by hand: Debian has no C client) and GET /readyz (readiness; /healthz stays liveness).
 * Request threads only bump C11 atomics in tables sized at load (routes x statuses, policies x
 * outcomes, auth reasons) or, for the one label taken from untrusted input (a feedback override
 * reason), a small locked table with a cap and an "other" bucket; everything else (connections,
 * the decision log's queue, JWKS refreshes) is read from its owner when /metrics is scraped. It
 * must not block a request on anything but that small table's lock, nor keep request data other
 * than the capped override-reason codes. The decision store (issue 13): its writer's counters
 * in render(), "store writable" in cds__ready (record.c). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cds_internal.h"
#include "store/writer.h"

/* Request latency histogram upper bounds, seconds (plus +Inf). Also used for FHIR fetches. */
static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5};
#define BUCKETS (sizeof latency_bounds / sizeof latency_bounds[0] + 1) /* + +Inf */

/* The statuses cds_handle and server.c answer; anything else counts as "other". */
static const unsigned statuses[] = {200, 204, 400, 401, 403, 404, 405,
                                    412, 413, 415, 431, 500, 501, 503}; /* 403: GET /report */
#define STATUSES (sizeof statuses / sizeof statuses[0] + 1)             /* + other */

/* engine/'s decision codes (policies.md "What every card carries"), plus "other". */
static const char *const outcomes[] = {
    "contraindicated",  "redirect",     "not-commissioned", "prior-approval-required",
    "criteria-unknown", "commissioned", "not-applicable",   "other"};
#define OUTCOMES (sizeof outcomes / sizeof outcomes[0])

#define AUTH_REASONS            16 /* > CDS__AUTH_BUSY */
#define OVERRIDE_REASONS        32 /* distinct override reason codes kept; then "other" */
#define OVERRIDE_REASON_MAX_LEN 64 /* longer codes count as "other" */

struct histogram {
	atomic_ulong buckets[BUCKETS]; /* not cumulative: summed when rendered */
	atomic_ullong sum_ns;
};

/* One route label set: endpoint ("service", "feedback", "discovery", ...) and service id. */
struct route {
	const char *endpoint;
	const char *service; /* "" for none */
	atomic_ulong status[STATUSES];
	struct histogram latency;
};

/* One policy version's label set. Rows are only ever appended (by the first load and then the
 * reload thread, fully built before they are linked) and read without a lock; a reload keeps the
 * rows of earlier sets, so their counters never go back. */
struct policy_row {
	char *id, *version; /* NEW copies (the engine they came from may be gone) */
	atomic_ulong outcome[OUTCOMES];
	struct policy_row *_Atomic next;
};

/* Feedback by outcome (accepted, overridden) and override reason code ("" none, "other"). */
struct override_row {
	char code[OVERRIDE_REASON_MAX_LEN + 1];
	unsigned long count[2];
};

/* An open-addressing index of policy rows by (id, version): mask + 1 slots (a power of 2 above
 * twice the rows), NULL empty. Built whole by the reload thread, then published. */
struct policy_index {
	size_t mask;
	struct policy_row **slots;
	struct policy_index *older; /* the index it replaced (readers may still hold it) */
};

struct cds__metrics {
	struct route *routes; /* per service: service, feedback; then the fixed endpoints */
	size_t route_count;
	struct policy_row *_Atomic policies; /* in load order; appended, never removed */
	struct policy_row *policies_tail;    /* the reload thread's */
	atomic_size_t policy_count;          /* policies in the set being served */
	/* hash of (id, version) over every row: the look-up per decision record costs the same
	 * with 3 policies or 1,000; replaced whole at each reload (older ones kept until free) */
	struct policy_index *_Atomic index;
	atomic_ulong auth_failures[AUTH_REASONS];
	pthread_mutex_t feedback_lock;
	struct override_row overrides[OVERRIDE_REASONS + 2]; /* + "" and "other" */
	size_t override_count;
	atomic_ulong fetch_items, fetch_failures;
	struct histogram fetch_latency;
	pthread_mutex_t set_lock;          /* guards digest (reload thread vs scrapes) */
	char digest[72];                   /* "sha256:<hex>" of the policy set being served */
	atomic_ulong reloads[2][2];        /* [SIGHUP 0, --watch 1][refused 0, swapped in 1] */
	struct cds_server *_Atomic server; /* BORROWED while serving (connections, in flight) */
	atomic_int draining;               /* shutting down: not ready */
};

static const char *const fixed_endpoints[] = {"discovery", "healthz", "readyz",
                                              "metrics",   "report",  "other"};
/* fixed_endpoints' last: every path no other route matches */
#define OTHER_ENDPOINT (sizeof fixed_endpoints / sizeof fixed_endpoints[0] - 1)

/* A renamed, edited, added or removed file changes the digest. */
void cds__files_digest(const struct engine_file *files, size_t count, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_MD_CTX *ctx = cds__must(EVP_MD_CTX_new());
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (size_t i = 0; i < count; i++) {
		unsigned char n[8];
		for (int b = 0; b < 8; b++)
			n[b] = (unsigned char)((unsigned long long)files[i].length >> (56 - 8 * b));
		EVP_DigestUpdate(ctx, files[i].name, strlen(files[i].name) + 1);
		EVP_DigestUpdate(ctx, n, sizeof n);
		EVP_DigestUpdate(ctx, files[i].text, files[i].length);
	}
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
	size_t at = (size_t)snprintf(out, size, "sha256:");
	for (unsigned i = 0; i < len && at + 3 <= size; i++)
		at += (size_t)snprintf(out + at, size - at, "%02x", md[i]);
}

/* FNV-1a of a policy's id and version. */
static size_t policy_hash(const char *id, const char *version)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *c = (const unsigned char *)id; *c; c++)
		h = (h ^ *c) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL; /* between the two: ("ab", "c") != ("a", "bc") */
	for (const unsigned char *c = (const unsigned char *)version; *c; c++)
		h = (h ^ *c) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32));
}

/* The row of the policy (id, version) in index x, or NULL if none. */
static struct policy_row *index_find(const struct policy_index *x, const char *id,
                                     const char *version)
{
	if (!x)
		return NULL;
	for (size_t i = policy_hash(id, version) & x->mask; x->slots[i]; i = (i + 1) & x->mask) {
		struct policy_row *row = x->slots[i];
		if (strcmp(row->id, id) == 0 && strcmp(row->version, version) == 0)
			return row;
	}
	return NULL;
}

static void index_put(struct policy_index *x, struct policy_row *row)
{
	size_t i = policy_hash(row->id, row->version) & x->mask;
	while (x->slots[i])
		i = (i + 1) & x->mask;
	x->slots[i] = row;
}

/* The row of the policy (id, version); NULL if none. Lock-free (request threads). */
static struct policy_row *policy_row_of(struct cds__metrics *m, const char *id, const char *version)
{
	return index_find(atomic_load(&m->index), id, version);
}

struct cds__metrics *cds__metrics_new(const struct engine *engine, const struct engine_file *files,
                                      size_t file_count)
{
	struct cds__metrics *m = cds__must(calloc(1, sizeof *m));
	size_t services = 0;
	const struct cds__service *table = cds__services(&services);
	size_t fixed = sizeof fixed_endpoints / sizeof fixed_endpoints[0];
	m->route_count = 2 * services + fixed;
	m->routes = cds__must(calloc(m->route_count, sizeof *m->routes));
	for (size_t i = 0; i < services; i++) {
		m->routes[2 * i] = (struct route){.endpoint = "service", .service = table[i].id};
		m->routes[2 * i + 1] =
		    (struct route){.endpoint = "feedback", .service = table[i].id};
	}
	for (size_t i = 0; i < fixed; i++)
		m->routes[2 * services + i] =
		    (struct route){.endpoint = fixed_endpoints[i], .service = ""};
	pthread_mutex_init(&m->feedback_lock, NULL);
	pthread_mutex_init(&m->set_lock, NULL);
	/* The two fixed override rows: none given, and over the cap. */
	m->override_count = 2;
	snprintf(m->overrides[1].code, sizeof m->overrides[1].code, "other");
	char digest[72];
	cds__files_digest(files, file_count, digest, sizeof digest);
	cds__metrics_policy_set(m, engine, digest);
	return m;
}

void cds__metrics_policy_set(struct cds__metrics *m, const struct engine *engine,
                             const char *digest)
{
	if (!m)
		return;
	size_t n = engine_policy_count(engine), rows = 0;
	for (struct policy_row *r = atomic_load(&m->policies); r; r = atomic_load(&r->next))
		rows++;
	/* a new index over the rows so far and this set's new ones (at most n) */
	struct policy_index *x = cds__must(calloc(1, sizeof *x));
	size_t slots = 4;
	while (slots < 2 * (rows + n) + 2)
		slots *= 2;
	x->slots = cds__must(calloc(slots, sizeof *x->slots));
	x->mask = slots - 1;
	for (struct policy_row *r = atomic_load(&m->policies); r; r = atomic_load(&r->next))
		index_put(x, r);
	for (size_t i = 0; i < n; i++) {
		const char *id = NULL, *version = NULL, *commissioner = NULL;
		engine_policy_info(engine, i, &id, &version, &commissioner);
		id = id ? id : "";
		version = version ? version : "";
		if (index_find(x, id, version))
			continue; /* this version was loaded before: its counts go on */
		struct policy_row *r = cds__must(calloc(1, sizeof *r));
		r->id = cds__must(strdup(id));
		r->version = cds__must(strdup(version));
		if (m->policies_tail) /* published whole: readers see it complete or not at all */
			atomic_store(&m->policies_tail->next, r);
		else
			atomic_store(&m->policies, r);
		m->policies_tail = r;
		index_put(x, r);
	}
	x->older = atomic_load(&m->index);
	atomic_store(&m->index, x); /* complete before it is published */
	atomic_store(&m->policy_count, n);
	pthread_mutex_lock(&m->set_lock);
	snprintf(m->digest, sizeof m->digest, "%s", digest);
	pthread_mutex_unlock(&m->set_lock);
}

void cds__metrics_reload(struct cds__metrics *m, int ok, int watch)
{
	if (m)
		atomic_fetch_add(&m->reloads[watch ? 1 : 0][ok ? 1 : 0], 1);
}

void cds__metrics_free(struct cds__metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->feedback_lock);
	pthread_mutex_destroy(&m->set_lock);
	free(m->routes);
	for (struct policy_row *r = atomic_load(&m->policies), *next; r; r = next) {
		next = atomic_load(&r->next);
		free(r->id);
		free(r->version);
		free(r);
	}
	for (struct policy_index *x = atomic_load(&m->index), *older; x; x = older) {
		older = x->older;
		free(x->slots);
		free(x);
	}
	free(m);
}

/* ---- counting (request threads) -------------------------------------------------------------- */

static void observe(struct histogram *h, double seconds)
{
	size_t b = 0;
	while (b < BUCKETS - 1 && seconds > latency_bounds[b])
		b++;
	atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
	double ns = seconds > 0 ? seconds * 1e9 : 0;
	atomic_fetch_add_explicit(&h->sum_ns, (unsigned long long)ns, memory_order_relaxed);
}

/* The route a request path counts under (the same matching as handle.c's route). */
static struct route *route_of(struct cds__metrics *m, const char *path)
{
	size_t services = (m->route_count - sizeof fixed_endpoints / sizeof fixed_endpoints[0]) / 2;
	struct route *fixed = m->routes + 2 * services;
	size_t len = path ? strlen(path) : 0;
	if (len > 1 && path[len - 1] == '/')
		len--;
	static const char prefix[] = "/cds-services";
	size_t pn = sizeof prefix - 1;
	if (len == pn && strncmp(path, prefix, pn) == 0)
		return &fixed[0];
	if (len > pn + 1 && strncmp(path, prefix, pn) == 0 && path[pn] == '/') {
		const char *id = path + pn + 1;
		const char *end = path + len;
		const char *slash = memchr(id, '/', (size_t)(end - id));
		const struct cds__service *s =
		    cds__service_find(id, (size_t)((slash ? slash : end) - id));
		int feedback =
		    slash && (size_t)(end - slash) == 9 && strncmp(slash, "/feedback", 9) == 0;
		if (s && (!slash || feedback))
			for (size_t i = 0; i < services; i++)
				if (m->routes[2 * i].service == s->id)
					return &m->routes[2 * i + (size_t)feedback];
		return &fixed[OTHER_ENDPOINT];
	}
	for (size_t i = 1; i < OTHER_ENDPOINT; i++) {
		size_t n = strlen(fixed_endpoints[i]);
		if (len == n + 1 && path[0] == '/' && strncmp(path + 1, fixed_endpoints[i], n) == 0)
			return &fixed[i];
	}
	return &fixed[OTHER_ENDPOINT];
}

void cds__metrics_request(struct cds__metrics *m, const char *path, unsigned status, double seconds)
{
	if (!m)
		return;
	struct route *r = route_of(m, path);
	size_t s = 0;
	while (s < STATUSES - 1 && statuses[s] != status)
		s++;
	atomic_fetch_add_explicit(&r->status[s], 1, memory_order_relaxed);
	observe(&r->latency, seconds);
}

void cds__metrics_decisions(struct cds__metrics *m, const cJSON *records)
{
	if (!m || !cJSON_IsArray(records))
		return;
	for (const cJSON *rec = records->child; rec; rec = rec->next) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(rec, "policy");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "policyVersion");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "decision");
		if (!cJSON_IsString(p) || !cJSON_IsString(v))
			continue;
		size_t o = 0;
		while (o < OUTCOMES - 1 &&
		       !(cJSON_IsString(d) && strcmp(d->valuestring, outcomes[o]) == 0))
			o++;
		struct policy_row *row = policy_row_of(m, p->valuestring, v->valuestring);
		if (row)
			atomic_fetch_add_explicit(&row->outcome[o], 1, memory_order_relaxed);
	}
}

void cds__metrics_feedback(struct cds__metrics *m, const cJSON *record)
{
	if (!m)
		return;
	const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(record, "outcome");
	int overridden = cJSON_IsString(outcome) && strcmp(outcome->valuestring, "overridden") == 0;
	/* feedback.c's record: {"outcome", "overrideReason": {"code"?, "system"?, ...}} */
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(record, "overrideReason"), "code");
	const char *c = cJSON_IsString(code) ? code->valuestring : "";
	pthread_mutex_lock(&m->feedback_lock);
	size_t row = 0; /* "" */
	if (c[0]) {
		row = 1; /* "other": too long, or the table is full */
		for (size_t i = 2; i < m->override_count; i++)
			if (strcmp(m->overrides[i].code, c) == 0)
				row = i;
		if (row == 1 && strlen(c) <= OVERRIDE_REASON_MAX_LEN &&
		    m->override_count < OVERRIDE_REASONS + 2) {
			row = m->override_count++;
			snprintf(m->overrides[row].code, sizeof m->overrides[row].code, "%s", c);
		}
	}
	m->overrides[row].count[overridden]++;
	pthread_mutex_unlock(&m->feedback_lock);
}

void cds__metrics_auth(struct cds__metrics *m, int reason)
{
	if (m && reason > 0 && reason < AUTH_REASONS)
		atomic_fetch_add_explicit(&m->auth_failures[reason], 1, memory_order_relaxed);
}

void cds__metrics_fetch(struct cds__metrics *m, const struct cds__fetch_plan *plan, double seconds)
{
	if (!m || !plan)
		return;
	unsigned long failed = 0;
	for (size_t k = 0; k < plan->n; k++)
		failed += plan->items[k].status != FHIR_OK;
	atomic_fetch_add_explicit(&m->fetch_items, plan->n, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->fetch_failures, failed, memory_order_relaxed);
	observe(&m->fetch_latency, seconds);
}

void cds__metrics_attach(struct cds__metrics *m, struct cds_server *server)
{
	if (m)
		atomic_store(&m->server, server);
}

void cds__metrics_draining(struct cds__metrics *m)
{
	if (m)
		atomic_store(&m->draining, 1);
}

/* ---- rendering ------------------------------------------------------------------------------- */

struct text {
	char *data;
	size_t length, capacity;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->data + t->length, t->capacity - t->length, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->capacity - t->length) {
			t->length += (size_t)n;
			return;
		}
		t->capacity = t->capacity * 2 + (n > 0 ? (size_t)n : 0);
		t->data = cds__must(realloc(t->data, t->capacity));
	}
}

/* A label value as the exposition format wants it: \ " and newline escaped. */
static void put_label(struct text *t, const char *name, const char *value, int first)
{
	put(t, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\')
			put(t, "\\\\");
		else if (*p == '"')
			put(t, "\\\"");
		else if (*p == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *p);
	}
	put(t, "\"");
}

static void head(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_histogram(struct text *t, const char *name, const struct histogram *h,
                          const char *labels)
{
	unsigned long cumulative = 0;
	const char *sep = labels[0] ? "," : "";
	for (size_t b = 0; b < BUCKETS; b++) {
		cumulative += atomic_load_explicit(&h->buckets[b], memory_order_relaxed);
		if (b < BUCKETS - 1)
			put(t, "%s_bucket{%s%sle=\"%g\"} %lu\n", name, labels, sep,
			    latency_bounds[b], cumulative);
		else
			put(t, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, labels, sep, cumulative);
	}
	put(t, "%s_sum%s%s%s %.9f\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
	    (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9);
	put(t, "%s_count%s%s%s %lu\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
	    cumulative);
}

/* The route's labels, escaped, into a small buffer. */
static void route_labels(const struct route *r, char *buf, size_t size)
{
	struct text t = {cds__must(malloc(64)), 0, 64};
	put_label(&t, "endpoint", r->endpoint, 1);
	put_label(&t, "service", r->service, 0);
	snprintf(buf, size, "%s", t.data);
	free(t.data);
}

/* Renders every metric. NEW (malloc'd) text; *length its size. */
static char *render(struct cds_app *app, size_t *length)
{
	struct cds__metrics *m = app->metrics;
	struct text t = {cds__must(malloc(16384)), 0, 16384};
	char labels[256];

	/* The reload counts are read before the digest: a reload publishes its digest before it
	 * counts itself, so a page that shows a count also shows that reload's digest (or a later
	 * one), never the set it replaced. */
	unsigned long reloads[2][2];
	for (int w = 0; w < 2; w++)
		for (int ok = 0; ok < 2; ok++)
			reloads[w][ok] = atomic_load(&m->reloads[w][ok]);
	head(&t, "cds_build_info", "gauge", "The running version (value 1).");
	put(&t, "cds_build_info{version=\"%s\"} 1\n", CDS_VERSION);
	head(&t, "cds_policy_set_info", "gauge",
	     "The policy set being served: SHA-256 over its files (name, length, text) in load "
	     "order.");
	pthread_mutex_lock(&m->set_lock);
	put(&t, "cds_policy_set_info{digest=\"%s\"} 1\n", m->digest);
	pthread_mutex_unlock(&m->set_lock);
	head(&t, "cds_policies_loaded", "gauge", "Policies in the set being served.");
	put(&t, "cds_policies_loaded %zu\n", atomic_load(&m->policy_count));
	head(&t, "cds_reloads_total", "counter",
	     "Reloads by result, success (swapped in) or failure (refused, the previous set kept "
	     "serving), and trigger, signal (SIGHUP) or watch (--watch saw files change).");
	for (int w = 0; w < 2; w++)
		for (int ok = 1; ok >= 0; ok--)
			put(&t, "cds_reloads_total{result=\"%s\",trigger=\"%s\"} %lu\n",
			    ok ? "success" : "failure", w ? "watch" : "signal", reloads[w][ok]);

	head(&t, "cds_http_requests_total", "counter",
	     "HTTP requests answered, by endpoint, CDS service and status.");
	for (size_t i = 0; i < m->route_count; i++) {
		route_labels(&m->routes[i], labels, sizeof labels);
		for (size_t s = 0; s < STATUSES; s++) {
			unsigned long n =
			    atomic_load_explicit(&m->routes[i].status[s], memory_order_relaxed);
			if (!n)
				continue; /* series appear once they happen */
			if (s < STATUSES - 1)
				put(&t, "cds_http_requests_total{%s,status=\"%u\"} %lu\n", labels,
				    statuses[s], n);
			else
				put(&t, "cds_http_requests_total{%s,status=\"other\"} %lu\n",
				    labels, n);
		}
	}
	head(&t, "cds_http_request_duration_seconds", "histogram",
	     "Time from a request's headers to its reply being queued, by endpoint and service.");
	for (size_t i = 0; i < m->route_count; i++) {
		unsigned long seen = 0;
		for (size_t b = 0; b < BUCKETS; b++)
			seen += atomic_load_explicit(&m->routes[i].latency.buckets[b],
			                             memory_order_relaxed);
		if (!seen)
			continue; /* as for the counts: once a request has come */
		route_labels(&m->routes[i], labels, sizeof labels);
		put_histogram(&t, "cds_http_request_duration_seconds", &m->routes[i].latency,
		              labels);
	}

	head(&t, "cds_decisions_total", "counter",
	     "Decision records, by policy, policy version and outcome.");
	for (struct policy_row *r = atomic_load(&m->policies); r; r = atomic_load(&r->next))
		for (size_t o = 0; o < OUTCOMES; o++) {
			put(&t, "cds_decisions_total{");
			put_label(&t, "policy", r->id, 1);
			put_label(&t, "version", r->version, 0);
			put_label(&t, "outcome", outcomes[o], 0);
			put(&t, "} %lu\n",
			    atomic_load_explicit(&r->outcome[o], memory_order_relaxed));
		}

	head(&t, "cds_feedback_total", "counter",
	     "Feedback items recorded, by outcome and override reason code (\"\": none given; "
	     "\"other\": past the first 32 codes).");
	pthread_mutex_lock(&m->feedback_lock);
	for (size_t i = 0; i < m->override_count; i++)
		for (int o = 0; o < 2; o++) {
			if (!m->overrides[i].count[o])
				continue;
			put(&t, "cds_feedback_total{");
			put_label(&t, "outcome", o ? "overridden" : "accepted", 1);
			put_label(&t, "override_reason", m->overrides[i].code, 0);
			put(&t, "} %lu\n", m->overrides[i].count[o]);
		}
	pthread_mutex_unlock(&m->feedback_lock);

	head(&t, "cds_fhir_fetch_items_total", "counter",
	     "Prefetch keys fetched from a request's fhirServer (CDS Hooks 2.0 Prefetch).");
	put(&t, "cds_fhir_fetch_items_total %lu\n", atomic_load(&m->fetch_items));
	head(&t, "cds_fhir_fetch_failures_total", "counter",
	     "Of those, keys not obtained (error, timeout, refusal).");
	put(&t, "cds_fhir_fetch_failures_total %lu\n", atomic_load(&m->fetch_failures));
	head(&t, "cds_fhir_fetch_duration_seconds", "histogram",
	     "Time to fetch one request's missing keys, all together.");
	put_histogram(&t, "cds_fhir_fetch_duration_seconds", &m->fetch_latency, "");

	head(&t, "cds_auth_failures_total", "counter", "Refused JWTs, by reason.");
	for (int r = 1; r < AUTH_REASONS; r++) {
		unsigned long n = atomic_load(&m->auth_failures[r]);
		if (!n)
			continue;
		put(&t, "cds_auth_failures_total{");
		put_label(&t, "reason", cds__auth_reason_name((enum cds__auth_reason)r), 1);
		put(&t, "} %lu\n", n);
	}
	unsigned long jwks_ok = 0, jwks_failed = 0;
	if (app->auth)
		cds__keystore_refreshes(cds__auth_keystore(app->auth), &jwks_ok, &jwks_failed);
	head(&t, "cds_jwks_refreshes_total", "counter",
	     "JWK Set fetches from issuers' URLs, by result.");
	put(&t, "cds_jwks_refreshes_total{result=\"ok\"} %lu\n", jwks_ok);
	put(&t, "cds_jwks_refreshes_total{result=\"failed\"} %lu\n", jwks_failed);

	struct cds__server_stats st;
	cds__server_stats(atomic_load(&m->server), &st);
	head(&t, "cds_http_requests_in_flight", "gauge",
	     "Complete requests queued for or being answered by a worker (maxInFlight).");
	put(&t, "cds_http_requests_in_flight %lu\n", st.in_flight);
	head(&t, "cds_fhir_fetches_in_progress", "gauge",
	     "Requests waiting for their fhirServer on the fetch thread.");
	put(&t, "cds_fhir_fetches_in_progress %lu\n", st.fetching);
	head(&t, "cds_store_commits_waiting", "gauge",
	     "Service calls waiting for their decisions' store commit (no worker held).");
	put(&t, "cds_store_commits_waiting %lu\n", st.committing);
	head(&t, "cds_http_connections_open", "gauge",
	     "Open connections counted against the limits.");
	put(&t, "cds_http_connections_open %lu\n", st.connections);
	head(&t, "cds_http_connections_refused_total", "counter",
	     "New connections over a limit with none that could be closed: answered 503.");
	put(&t, "cds_http_connections_refused_total{reason=\"max_connections\"} %lu\n",
	    st.refused - st.refused_per_ip);
	put(&t, "cds_http_connections_refused_total{reason=\"max_connections_per_ip\"} %lu\n",
	    st.refused_per_ip);
	head(&t, "cds_http_connections_closed_total", "counter",
	     "Connections closed by the server, by reason.");
	put(&t, "cds_http_connections_closed_total{reason=\"header_deadline\"} %lu\n",
	    st.header_deadline_drops);
	put(&t, "cds_http_connections_closed_total{reason=\"body_deadline\"} %lu\n",
	    st.body_deadline_drops);
	put(&t, "cds_http_connections_closed_total{reason=\"evicted\"} %lu\n", st.evicted);

	struct cds__log_stats ls;
	cds__log_stats(app->log, &ls);
	head(&t, "cds_decision_log_queue_lines", "gauge",
	     "Decision-log lines queued for the writer.");
	put(&t, "cds_decision_log_queue_lines %zu\n", ls.queued);
	head(&t, "cds_decision_log_queue_capacity_lines", "gauge",
	     "The decision log's queue size; a full queue makes requests wait.");
	put(&t, "cds_decision_log_queue_capacity_lines %zu\n", ls.capacity);
	head(&t, "cds_decision_log_lines_written_total", "counter",
	     "Decision-log lines handed to the file.");
	put(&t, "cds_decision_log_lines_written_total %lu\n", ls.written);
	head(&t, "cds_decision_log_write_failures_total", "counter",
	     "Decision-log lines in batches whose write or flush failed.");
	put(&t, "cds_decision_log_write_failures_total %lu\n", ls.failed);
	head(&t, "cds_decision_log_queue_waits_total", "counter",
	     "Requests that found the decision log's queue full and waited.");
	put(&t, "cds_decision_log_queue_waits_total %lu\n", ls.waits);
	if (app->host->store_writer) { /* issue 13: the decision and feedback store */
		struct cds__store_writer_stats ws;
		cds__store_writer_stats(app->host->store_writer, &ws);
		head(&t, "cds_store_writes_total", "counter",
		     "Service calls and feedback bodies committed to the store.");
		put(&t, "cds_store_writes_total %lu\n", ws.writes);
		head(
		    &t, "cds_store_write_failures_total", "counter",
		    "Service calls and feedback bodies the store could not commit (answered 503).");
		put(&t, "cds_store_write_failures_total %lu\n", ws.failures);
		head(
		    &t, "cds_store_replays_refused_total", "counter",
		    "Service calls and feedback bodies refused at their commit because their JWT's "
		    "jti was claimed first by another call or replica (answered 401 replay; the "
		    "store works).");
		put(&t, "cds_store_replays_refused_total %lu\n", ws.refused);
		head(&t, "cds_store_writable", "gauge", "1 when the store's last write committed.");
		put(&t, "cds_store_writable %d\n", !ws.failing);
		head(&t, "cds_store_bodies_purged_total", "counter",
		     "Request bodies removed by the purge after their retention period.");
		put(&t, "cds_store_bodies_purged_total %lu\n", ws.purged);
		head(&t, "cds_store_commit_duration_seconds", "histogram",
		     "Time to commit one group of writes (one transaction).");
		unsigned long cumulative = 0;
		for (size_t b = 0; b < CDS__STORE_LATENCY_BUCKETS; b++) {
			cumulative += ws.latency[b];
			if (b < CDS__STORE_LATENCY_BUCKETS - 1)
				put(&t, "cds_store_commit_duration_seconds_bucket{le=\"%g\"} %lu\n",
				    cds__store_latency_bounds[b], cumulative);
			else
				put(&t,
				    "cds_store_commit_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
				    cumulative);
		}
		put(&t, "cds_store_commit_duration_seconds_sum %.9f\n", ws.latency_sum);
		put(&t, "cds_store_commit_duration_seconds_count %lu\n", cumulative);
	}
	*length = t.length;
	return t.data;
}

int cds__ready(struct cds_app *app, char *why, size_t size)
{
	struct cds__log_stats ls;
	why[0] = '\0';
	if (!app || !app->engine)
		snprintf(why, size, "no policies are loaded");
	else if (app->metrics && atomic_load(&app->metrics->draining))
		snprintf(why, size, "shutting down");
	else if ((cds__log_stats(app->log, &ls), ls.failing))
		snprintf(why, size, "the decision log cannot be written");
	else
		cds__record_failing(app, why, size); /* issue 13: the store is writable */
	return why[0] == '\0';
}

int cds__ops_route(struct cds_app *app, const char *method, const char *path, size_t len,
                   struct cds_reply *out, int *preflight)
{
	int metrics = len == 8 && strncmp(path, "/metrics", 8) == 0;
	int readyz = len == 7 && strncmp(path, "/readyz", 7) == 0;
	if (!metrics && !readyz)
		return 0;
	if (strcmp(method, "OPTIONS") == 0) {
		*preflight = 1;
	} else if (strcmp(method, "GET") != 0) {
		cds__reply_error(out, 405, "not-supported", NULL,
		                 "method %.16s is not allowed on %.200s; use GET", method, path);
		out->allow = "GET";
	} else if (metrics) {
		size_t length = 0;
		char *text = render(app, &length);
		cds__reply_text_take(out, 200, text, length);
		out->content_type = "text/plain; version=0.0.4; charset=utf-8";
	} else {
		char why[128];
		int ready = cds__ready(app, why, sizeof why);
		cJSON *body = cds__must(cJSON_CreateObject());
		cds__must(cJSON_AddStringToObject(body, "status", ready ? "ready" : "not ready"));
		if (!ready)
			cds__must(cJSON_AddStringToObject(body, "reason", why));
		cds__reply_json(out, ready ? 200 : 503, body, 0);
	}
	return 1;
}
