/* fhir_client.c — the client for the EHR's FHIR server (CDS Hooks 2.0 §Prefetch: the service
 * fetches what the client did not prefetch). All keys of one request are fetched concurrently:
 * either on a curl multi handle taken from a small pool by the calling thread, which waits
 * (fhir_client_fetch), or on the one multi handle of a fhir_fetcher, whose own thread drives
 * every pending fetch and calls back when one is complete (fhir_fetcher_start: nobody waits).
 * Searchset Bundles' `next` links are followed up to a page limit, and every answer is checked
 * (status, size, JSON, resourceType) under one time budget for the whole fetch.
 * It must never log, copy or keep the access token, and never share an easy handle between
 * threads (each transfer has its own; a multi handle is driven by one thread at a time). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "curl_internal.h"

#include "fhir.h"

#define POOL_MAX 8 /* idle multi handles (with their connection caches) kept between fetches */

struct fhir_client {
	struct fhir_client_limits limits;
	pthread_mutex_t lock; /* guards idle[] */
	CURLM *idle[POOL_MAX];
	size_t idle_count;
};

struct run;

/* One key's fetch: at most one page in flight at a time. */
struct job {
	struct run *run; /* the fetch it belongs to */
	struct fhir_fetch *item;
	CURL *easy;   /* the page in flight, or NULL */
	size_t limit; /* bytes accepted per answer */
	char *body;   /* NEW: the answer so far */
	size_t length, capacity;
	int too_big;
	char curl_error[CURL_ERROR_SIZE];
	cJSON *merged; /* NEW: the pages so far, entries merged into the first */
	char **seen;   /* NEW: page URLs requested, for loop detection */
	size_t seen_count;
	unsigned pages;
	size_t entries;
	int finished;
};

/* One fetch (one request's items): its jobs, on `multi`, under one deadline. */
struct run {
	struct fhir_client_limits limits; /* a copy: the client may be replaced meanwhile */
	CURLM *multi;                     /* BORROWED: the pool's or the fetcher's */
	const char *base;                 /* BORROWED */
	const char *token;                /* BORROWED; never copied, logged or kept */
	int base_https;
	double deadline_ms;
	struct curl_slist *headers;
	struct job *jobs; /* NEW, n of them */
	size_t n;
	fhir_fetch_done_fn done; /* a fetcher's run: called once every item has its outcome */
	void *done_ctx;
	struct run *next; /* in the fetcher's lists */
};

void fhir_client_limits_default(struct fhir_client_limits *out)
{
	memset(out, 0, sizeof(*out));
	out->budget_ms = FHIR_CLIENT_BUDGET_MS;
	out->max_response_bytes = FHIR_CLIENT_MAX_RESPONSE_BYTES;
	out->max_pages = FHIR_CLIENT_MAX_PAGES;
	out->max_entries = FHIR_CLIENT_MAX_ENTRIES;
	out->max_redirects = FHIR_CLIENT_MAX_REDIRECTS;
}

int fhir_client_new(const struct fhir_client_limits *limits, struct fhir_client **out,
                    struct fhir_error *err)
{
	struct fhir_client *c;

	*out = NULL;
	if (limits != NULL && (limits->budget_ms <= 0 || limits->max_response_bytes == 0 ||
	                       limits->max_pages == 0 || limits->max_redirects < 0)) {
		fhir_error_set(err, NULL, "FHIR client limits must be positive");
		return FHIR_ERR_INVALID;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort(); /* architecture.md rule 5 */
	if (limits != NULL)
		c->limits = *limits;
	else
		fhir_client_limits_default(&c->limits);
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return FHIR_OK;
}

void fhir_client_free(struct fhir_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->idle_count; i++)
		curl_multi_cleanup(c->idle[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

const struct fhir_client_limits *fhir_client_get_limits(const struct fhir_client *c)
{
	return &c->limits;
}

static CURLM *pool_take(struct fhir_client *c)
{
	CURLM *m = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->idle_count > 0)
		m = c->idle[--c->idle_count];
	pthread_mutex_unlock(&c->lock);
	if (m == NULL && (m = curl_multi_init()) == NULL)
		abort();
	return m;
}

static void pool_give(struct fhir_client *c, CURLM *m)
{
	pthread_mutex_lock(&c->lock);
	if (c->idle_count < POOL_MAX) {
		c->idle[c->idle_count++] = m;
		m = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	curl_multi_cleanup(m); /* accepts NULL */
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *must_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p == NULL)
		abort();
	memcpy(p, s, n);
	return p;
}

static void fail(struct job *j, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct job *j, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->item->why, sizeof(j->item->why), fmt, ap);
	va_end(ap);
	j->item->status = status;
	j->finished = 1;
	cJSON_Delete(j->merged);
	j->merged = NULL;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct job *j = ctx;
	size_t n = size * nmemb;
	size_t max = j->limit;

	if (j->length + n > max) {
		j->too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (j->length + n + 1 > j->capacity) {
		size_t cap = j->capacity ? j->capacity : 16384;
		char *grown;

		while (cap < j->length + n + 1)
			cap *= 2;
		grown = realloc(j->body, cap);
		if (grown == NULL)
			abort();
		j->body = grown;
		j->capacity = cap;
	}
	memcpy(j->body + j->length, ptr, n);
	j->length += n;
	j->body[j->length] = '\0';
	return n;
}

/* The curl options every GET to the FHIR server gets: TLS verification, protocols (https only
 * unless the base itself is http), redirect and size limits, the time left, the FHIR Accept
 * header and the bearer token (curl sends it to the original host only, never on a redirect to
 * another one). */
static void set_options(const struct run *r, struct job *j)
{
	CURL *e = j->easy;
	double left = r->deadline_ms - now_ms();
	long left_ms = left < 1 ? 1L : (long)left;

	curl_easy_setopt(e, CURLOPT_URL, j->seen[j->seen_count - 1]);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, r->base_https ? "https" : "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, r->base_https ? "https" : "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, r->limits.max_redirects);
	fhir__curl_common(e, r->limits.ca_file, left_ms, (curl_off_t)j->limit, j->curl_error);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	if (r->token != NULL) { /* CDS Hooks 2.0 §fhirAuthorization */
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, r->token);
	}
}

/* Adds a page URL (TAKES it) to those the job has requested. */
static void remember(struct job *j, char *url)
{
	char **grown = realloc(j->seen, (j->seen_count + 1) * sizeof(*grown));

	if (grown == NULL)
		abort();
	j->seen = grown;
	j->seen[j->seen_count++] = url;
}

/* Requests `url` (TAKES it) as the job's next page. */
static void start(const struct run *r, struct job *j, char *url)
{
	remember(j, url);
	j->length = 0;
	j->too_big = 0;
	j->curl_error[0] = '\0';
	j->pages++;
	if ((j->easy = curl_easy_init()) == NULL)
		abort();
	set_options(r, j);
	curl_multi_add_handle(r->multi, j->easy);
}

/* 1 when a and b have the same scheme, host and port (a next link may not take the token
 * elsewhere). */
static int same_origin(const char *a, const char *b)
{
	static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
	CURLU *ua = curl_url(), *ub = curl_url();
	int same = ua != NULL && ub != NULL && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	           curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;
	size_t i;

	for (i = 0; same && i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *x = NULL, *y = NULL;

		curl_url_get(ua, parts[i], &x, CURLU_DEFAULT_PORT);
		curl_url_get(ub, parts[i], &y, CURLU_DEFAULT_PORT);
		same = x != NULL && y != NULL && strcmp(x, y) == 0;
		curl_free(x);
		curl_free(y);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

/* The url of the Bundle's link with `relation` ("next", "self"), or NULL. BORROWED. */
static const char *bundle_link(const cJSON *bundle, const char *relation)
{
	const cJSON *link;

	cJSON_ArrayForEach(link, fhir_get(bundle, "link"))
	{
		const char *rel = fhir_get_string(link, "relation");

		if (rel != NULL && strcmp(rel, relation) == 0)
			return fhir_get_string(link, "url");
	}
	return NULL;
}

static const char *next_link(const cJSON *bundle)
{
	return bundle_link(bundle, "next");
}

static const char *self_link(const cJSON *bundle)
{
	return bundle_link(bundle, "self");
}

/* Adds a searchset page to the job (TAKES page) and follows its next link, if any. */
static void add_page(const struct run *r, struct job *j, cJSON *page)
{
	const char *next = next_link(page);
	const cJSON *entries = fhir_get(page, "entry");
	char *url;
	size_t i;

	if (entries != NULL && !cJSON_IsArray(entries)) {
		cJSON_Delete(page);
		fail(j, FHIR_ERR_INVALID, "page %u of the searchset Bundle has a malformed 'entry'",
		     j->pages);
		return;
	}
	j->entries += (size_t)cJSON_GetArraySize(entries);
	if (j->entries > r->limits.max_entries) {
		cJSON_Delete(page);
		fail(j, FHIR_ERR_LIMIT, "the search returned more than %zu entries (the limit)",
		     r->limits.max_entries);
		return;
	}
	url = next != NULL ? must_strdup(next) : NULL;
	if (j->merged == NULL) {
		j->merged = page;
	} else {
		cJSON *into = cJSON_GetObjectItemCaseSensitive(j->merged, "entry");
		cJSON *list = cJSON_DetachItemFromObjectCaseSensitive(page, "entry");

		if (into == NULL)
			into = cJSON_AddArrayToObject(j->merged, "entry");
		while (list != NULL && list->child != NULL)
			cJSON_AddItemToArray(into, cJSON_DetachItemViaPointer(list, list->child));
		cJSON_Delete(list);
		cJSON_Delete(page);
	}
	if (url == NULL) { /* the last page: the result is complete */
		cJSON_DeleteItemFromObjectCaseSensitive(j->merged, "link");
		j->item->result = j->merged;
		j->merged = NULL;
		j->item->status = FHIR_OK;
		j->finished = 1;
		return;
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		free(url);
		fail(j, FHIR_ERR_INVALID, "a Bundle 'next' link is not an absolute http(s) URL");
		return;
	}
	if (!same_origin(url, r->base)) {
		free(url);
		fail(j, FHIR_ERR_INVALID,
		     "a Bundle 'next' link points away from fhirServer (not followed)");
		return;
	}
	for (i = 0; i < j->seen_count; i++) {
		if (strcmp(j->seen[i], url) == 0) {
			free(url);
			fail(j, FHIR_ERR_INVALID,
			     "the searchset's 'next' links loop (page %u links back to page %zu)",
			     j->pages, i + 1);
			return;
		}
	}
	if (j->pages >= r->limits.max_pages) {
		free(url);
		fail(j, FHIR_ERR_LIMIT, "the search has more than %u pages (the limit)",
		     r->limits.max_pages);
		return;
	}
	start(r, j, url);
}

/* 1 when `outcome` is an OperationOutcome saying not-found or deleted. */
static int says_not_found(const cJSON *outcome)
{
	const char *type = fhir_get_string(outcome, "resourceType");
	const cJSON *issue;

	if (type == NULL || strcmp(type, "OperationOutcome") != 0)
		return 0;
	cJSON_ArrayForEach(issue, fhir_get(outcome, "issue"))
	{
		const char *code = fhir_get_string(issue, "code");

		if (code != NULL &&
		    (strcmp(code, "not-found") == 0 || strcmp(code, "deleted") == 0))
			return 1;
	}
	return 0;
}

/* A page arrived (or failed): checks it and moves the job on. */
static void finish(const struct run *r, struct job *j, CURLcode cc)
{
	struct fhir_fetch *it = j->item;
	long status = 0;
	cJSON *json = NULL;
	const char *type;
	struct fhir_error parse_err = {{0}, {0}};
	int parsed = FHIR_OK;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(r->multi, j->easy);
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
	if (j->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		fail(j, FHIR_ERR_LIMIT, "the answer is larger than %zu bytes (the limit)",
		     j->limit);
		return;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		fail(j, FHIR_ERR_IO, "no complete answer within the %ld ms fetch budget",
		     r->limits.budget_ms);
		return;
	}
	if (cc == CURLE_TOO_MANY_REDIRECTS) {
		fail(j, FHIR_ERR_IO, "more than %ld redirects", r->limits.max_redirects);
		return;
	}
	if (cc != CURLE_OK) {
		fail(j, FHIR_ERR_IO, "%s",
		     j->curl_error[0] ? j->curl_error : curl_easy_strerror(cc));
		return;
	}
	if (j->length > 0) {
		const struct fhir_json_limits limits = {
		    .max_bytes = j->limit,
		    .max_depth = FHIR_CLIENT_MAX_JSON_DEPTH,
		    .max_items = FHIR_CLIENT_MAX_ARRAY_ITEMS,
		    .max_string_bytes = FHIR_CLIENT_MAX_STRING_BYTES,
		    .subject = "the answer",
		};

		parsed = fhir_json_parse_limited(j->body, j->length, &limits, &json, &parse_err);
	}
	if (status == 401 || status == 403) {
		cJSON_Delete(json);
		fail(j, FHIR_ERR_IO, "the FHIR server refused the access token (HTTP %ld)", status);
		return;
	}
	/* A read that finds nothing is what a client reports as `null` (CDS Hooks 2.0 §Prefetch):
	 * only when the server says so in FHIR (an OperationOutcome not-found), not for any 404. */
	if ((status == 404 || status == 410) && !it->search && j->pages == 1 &&
	    says_not_found(json)) {
		cJSON_Delete(json);
		it->result = cJSON_CreateNull();
		it->status = FHIR_OK;
		j->finished = 1;
		return;
	}
	if (status != 200) {
		cJSON_Delete(json);
		fail(j, FHIR_ERR_IO, "HTTP %ld from the FHIR server", status);
		return;
	}
	if (parsed == FHIR_ERR_LIMIT) { /* too deep, too long or too many items: unavailable */
		fail(j, FHIR_ERR_LIMIT, "%s", parse_err.message);
		return;
	}
	if (json == NULL || !cJSON_IsObject(json)) {
		cJSON_Delete(json);
		fail(j, FHIR_ERR_SYNTAX, "the answer is not a FHIR JSON resource");
		return;
	}
	type = fhir_get_string(json, "resourceType");
	if (!it->search) {
		if (type == NULL || strcmp(type, it->resource_type) != 0) {
			fail(j, FHIR_ERR_INVALID, "expected %s, got %.64s", it->resource_type,
			     type ? type : "JSON without a resourceType");
			cJSON_Delete(json);
			return;
		}
		it->result = json;
		it->status = FHIR_OK;
		j->finished = 1;
		return;
	}
	if (type == NULL || strcmp(type, "Bundle") != 0) {
		fail(j, FHIR_ERR_INVALID, "expected a searchset Bundle, got %.64s",
		     type ? type : "JSON without a resourceType");
		cJSON_Delete(json);
		return;
	}
	type = fhir_get_string(json, "type");
	if (type != NULL && strcmp(type, "searchset") != 0) {
		fail(j, FHIR_ERR_INVALID, "expected a searchset Bundle, got a Bundle of type %.32s",
		     type);
		cJSON_Delete(json);
		return;
	}
	add_page(r, j, json);
}

/* "base/path" (one slash between), NEW. */
static char *join(const char *base, const char *path)
{
	size_t b = strlen(base), p;
	char *url;

	while (b > 0 && base[b - 1] == '/')
		b--;
	while (*path == '/')
		path++;
	p = strlen(path);
	url = malloc(b + p + 2);
	if (url == NULL)
		abort();
	memcpy(url, base, b);
	url[b] = '/';
	memcpy(url + b + 1, path, p + 1);
	return url;
}

/* Prepares run r for items (their outcomes reset): copies the limits, builds the headers and
 * the jobs. Nothing is started (run_begin, on the thread that drives `multi`). */
static void run_init(struct run *r, const struct fhir_client_limits *limits, CURLM *multi,
                     const char *base, const char *token, struct fhir_fetch *items, size_t n)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->limits = *limits;
	r->multi = multi;
	r->base = base;
	r->token = token;
	r->base_https = strncmp(base, "https://", 8) == 0;
	r->deadline_ms = now_ms() + (double)limits->budget_ms;
	r->headers = curl_slist_append(NULL, "Accept: application/fhir+json");
	if (r->headers == NULL)
		abort();
	r->n = n;
	r->jobs = calloc(n + 1, sizeof(*r->jobs));
	if (r->jobs == NULL)
		abort();
	for (i = 0; i < n; i++) {
		struct fhir_fetch *it = &items[i];

		r->jobs[i].run = r;
		r->jobs[i].item = it;
		it->result = NULL;
		it->status = FHIR_ERR_IO;
		it->why[0] = '\0';
		r->jobs[i].limit = limits->max_response_bytes;
	}
}

/* Starts every job of r: the first GET of each key, or, for a paged prefetch Bundle, its next
 * page (a job may be finished at once: a bad or missing next link). */
static void run_begin(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];
		struct fhir_fetch *it = j->item;

		if (it->first_page != NULL) { /* a paged prefetch Bundle: its next pages only */
			const char *self = self_link(it->first_page);

			j->pages = 1;
			if (self != NULL)
				remember(j, must_strdup(self));
			add_page(r, j, cJSON_Duplicate(it->first_page, 1));
		} else
			start(r, j, join(r->base, it->path));
	}
}

/* How many of r's jobs have a GET in flight. */
static size_t run_active(const struct run *r)
{
	size_t i, active = 0;

	for (i = 0; i < r->n; i++)
		active += r->jobs[i].easy != NULL;
	return active;
}

/* Gives up on r's jobs not finished yet (GETs in flight removed), saying `why`. */
static void run_abandon(struct run *r, const char *why)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];

		if (j->easy != NULL) {
			curl_multi_remove_handle(r->multi, j->easy);
			curl_easy_cleanup(j->easy);
			j->easy = NULL;
		}
		if (!j->finished)
			fail(j, FHIR_ERR_IO, "%s", why);
	}
}

/* The budget is spent: what is still running becomes unavailable. */
static void run_expire(struct run *r)
{
	char why[128];

	snprintf(why, sizeof(why), "no complete answer within the %ld ms fetch budget",
	         r->limits.budget_ms);
	run_abandon(r, why);
}

/* Frees r's jobs and headers (r itself is the caller's). Returns FHIR_OK when every item
 * succeeded, else FHIR_ERR_IO. No GET may be in flight. */
static int run_end(struct run *r)
{
	size_t i;
	int rc = FHIR_OK;

	for (i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];
		size_t k;

		if (!j->finished && j->item->why[0] == '\0')
			snprintf(j->item->why, sizeof(j->item->why), "the fetch did not complete");
		if (j->item->status != FHIR_OK)
			rc = FHIR_ERR_IO;
		cJSON_Delete(j->merged);
		free(j->body);
		for (k = 0; k < j->seen_count; k++)
			free(j->seen[k]);
		free(j->seen);
	}
	free(r->jobs);
	r->jobs = NULL;
	curl_slist_free_all(r->headers);
	r->headers = NULL;
	return rc;
}

/* Hands every completed transfer on `multi` to its job (which may start the next page). */
static void drain(CURLM *multi)
{
	CURLMsg *msg;
	int left = 0;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		struct job *j = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		finish(j->run, j, msg->data.result);
	}
}

static int check_base(const char *base, struct fhir_error *err)
{
	if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) {
		fhir_error_set(err, "/fhirServer", "fhirServer must be an absolute http(s) URL");
		return FHIR_ERR_INVALID;
	}
	return FHIR_OK;
}

int fhir_client_fetch(struct fhir_client *c, const char *base, const char *token,
                      struct fhir_fetch *items, size_t n, struct fhir_error *err)
{
	struct run r;
	int rc;

	if (check_base(base, err) != FHIR_OK)
		return FHIR_ERR_INVALID;
	run_init(&r, &c->limits, pool_take(c), base, token, items, n);
	run_begin(&r);
	for (;;) {
		int running = 0;
		double remaining;

		curl_multi_perform(r.multi, &running);
		drain(r.multi);
		if (run_active(&r) == 0)
			break;
		remaining = r.deadline_ms - now_ms();
		if (remaining <= 0) { /* the budget is spent: give up on what is still running */
			run_expire(&r);
			break;
		}
		curl_multi_poll(r.multi, NULL, 0, remaining > 1000 ? 1000 : (int)remaining + 1,
		                NULL);
	}
	rc = run_end(&r);
	pool_give(c, r.multi);
	if (rc != FHIR_OK)
		fhir_error_set(err, "/fhirServer", "some data could not be fetched");
	return rc;
}

/* ---- the fetcher: one thread, one multi handle, every pending fetch ------------------------- */

struct fhir_fetcher {
	pthread_t thread;
	int started;
	CURLM *multi;         /* the fetcher thread's only (curl_multi_wakeup is thread-safe) */
	pthread_mutex_t lock; /* guards incoming, pending, stopping */
	struct run *incoming; /* submitted, not yet begun (newest first) */
	size_t pending;       /* submitted, done not yet called */
	int stopping;
	struct run *active; /* the fetcher thread's own: begun, not complete */
};

/* Calls r's done and frees it (fetcher thread; r unlinked, no GET in flight). */
static void run_complete(struct fhir_fetcher *f, struct run *r)
{
	int rc = run_end(r);

	pthread_mutex_lock(&f->lock);
	f->pending--;
	pthread_mutex_unlock(&f->lock);
	r->done(r->done_ctx, rc);
	free(r);
}

static void *fetcher_main(void *arg)
{
	struct fhir_fetcher *f = arg;

	for (;;) {
		struct run *taken, *r, **link;
		int stopping, running = 0;
		double now;
		long wait_ms = 1000;

		pthread_mutex_lock(&f->lock);
		taken = f->incoming;
		f->incoming = NULL;
		stopping = f->stopping;
		pthread_mutex_unlock(&f->lock);
		while ((r = taken) != NULL) {
			taken = r->next;
			r->next = f->active;
			f->active = r;
			if (!stopping)
				run_begin(r);
		}
		if (stopping)
			break;
		curl_multi_perform(f->multi, &running);
		drain(f->multi);
		now = now_ms();
		for (link = &f->active; (r = *link) != NULL;) {
			if (run_active(r) > 0 && r->deadline_ms > now) {
				double left = r->deadline_ms - now + 1;

				if (left < (double)wait_ms)
					wait_ms = (long)left;
				link = &r->next;
				continue;
			}
			if (run_active(r) > 0)
				run_expire(r);
			*link = r->next;
			run_complete(f, r);
		}
		curl_multi_poll(f->multi, NULL, 0, (int)wait_ms, NULL);
	}
	while (f->active != NULL) { /* stopping: nothing is left waiting */
		struct run *r = f->active;

		f->active = r->next;
		run_abandon(r, "the fetch was cancelled: the service is stopping");
		run_complete(f, r);
	}
	return NULL;
}

int fhir_fetcher_new(struct fhir_fetcher **out, struct fhir_error *err)
{
	struct fhir_fetcher *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (f == NULL)
		abort();
	pthread_mutex_init(&f->lock, NULL);
	if ((f->multi = curl_multi_init()) == NULL)
		abort();
	if (pthread_create(&f->thread, NULL, &fetcher_main, f) != 0) {
		fhir_error_set(err, NULL, "cannot start the FHIR fetch thread");
		fhir_fetcher_free(f);
		return FHIR_ERR_IO;
	}
	f->started = 1;
	*out = f;
	return FHIR_OK;
}

int fhir_fetcher_start(struct fhir_fetcher *f, const struct fhir_client *client, const char *base,
                       const char *token, struct fhir_fetch *items, size_t n,
                       fhir_fetch_done_fn done, void *ctx, struct fhir_error *err)
{
	struct run *r;
	size_t i;
	int refused;

	if (check_base(base, err) != FHIR_OK)
		return FHIR_ERR_INVALID;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		abort();
	run_init(r, &client->limits, f->multi, base, token, items, n);
	r->done = done;
	r->done_ctx = ctx;
	pthread_mutex_lock(&f->lock);
	refused = f->stopping;
	if (!refused) {
		r->next = f->incoming;
		f->incoming = r;
		f->pending++;
	}
	pthread_mutex_unlock(&f->lock);
	if (!refused) {
		curl_multi_wakeup(f->multi);
		return FHIR_OK;
	}
	for (i = 0; i < n; i++)
		snprintf(items[i].why, sizeof(items[i].why),
		         "the fetch was cancelled: the service is stopping");
	run_end(r);
	free(r);
	fhir_error_set(err, "/fhirServer", "the service is stopping: nothing is fetched");
	return FHIR_ERR_IO;
}

size_t fhir_fetcher_pending(struct fhir_fetcher *f)
{
	size_t n;

	if (f == NULL)
		return 0;
	pthread_mutex_lock(&f->lock);
	n = f->pending;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void fhir_fetcher_stop(struct fhir_fetcher *f)
{
	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	f->stopping = 1;
	pthread_mutex_unlock(&f->lock);
	if (f->started) {
		curl_multi_wakeup(f->multi);
		pthread_join(f->thread, NULL);
		f->started = 0;
	}
}

void fhir_fetcher_free(struct fhir_fetcher *f)
{
	if (f == NULL)
		return;
	fhir_fetcher_stop(f);
	curl_multi_cleanup(f->multi);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* 1 when the URL's host is a loopback name or literal (127.0.0.0/8, ::1, localhost). */
static int loopback_host(const char *url)
{
	int loopback = 0;
	char *host = NULL;
	CURLU *u = curl_url();

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != NULL)
		loopback = strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0 ||
		           strcmp(host, "localhost") == 0;
	curl_free(host);
	curl_url_cleanup(u);
	return loopback;
}

/* The last base this thread allowed (with its demo flag): a service answers one EHR, whose
 * fhirServer is the same on every request, and parsing it with libcurl costs ≈ 4.6k
 * instructions a request. The answer depends on nothing but (base, demo), so a base equal to the
 * last allowed one is allowed without parsing it again; refusals are always worked out anew. */
#define ALLOWED_BASE_MAX 256
static _Thread_local char allowed_base[ALLOWED_BASE_MAX];
static _Thread_local size_t allowed_base_length; /* 0: none */
static _Thread_local int allowed_base_demo;

static int base_allowed_parse(const char *base, int demo, struct fhir_error *err);

int fhir_client_base_allowed(const char *base, int demo, struct fhir_error *err)
{
	size_t n = strnlen(base, ALLOWED_BASE_MAX);

	if (n > 0 && n < ALLOWED_BASE_MAX && n == allowed_base_length &&
	    demo == allowed_base_demo && memcmp(base, allowed_base, n) == 0)
		return FHIR_OK;
	if (base_allowed_parse(base, demo, err) != FHIR_OK)
		return FHIR_ERR_INVALID;
	if (n > 0 && n < ALLOWED_BASE_MAX) {
		memcpy(allowed_base, base, n);
		allowed_base_length = n;
		allowed_base_demo = demo;
	}
	return FHIR_OK;
}

static int base_allowed_parse(const char *base, int demo, struct fhir_error *err)
{
	CURLU *u = curl_url();
	int parsed = u != NULL && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK;
	char *user = NULL;

	if (parsed && curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user != NULL)
		parsed = 0; /* credentials in the URL would be sent and logged by proxies */
	curl_free(user);
	curl_url_cleanup(u);
	if (!parsed) {
		fhir_error_set(err, "/fhirServer", "fhirServer is not a usable absolute URL");
		return FHIR_ERR_INVALID;
	}
	if (strncmp(base, "https://", 8) == 0)
		return FHIR_OK;
	if (strncmp(base, "http://", 7) == 0 && (demo || loopback_host(base)))
		return FHIR_OK;
	/* CDS Hooks 2.0 §fhirServer: https when production data is exchanged */
	fhir_error_set(err, "/fhirServer",
	               "fhirServer must be https (plain http only to a loopback host or in demo "
	               "mode)");
	return FHIR_ERR_INVALID;
}

int fhir_client_global_init(void)
{
	fhir_json_hooks_install(); /* process start: one out-of-memory policy */
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? FHIR_OK : FHIR_ERR_IO;
}

void fhir_client_global_cleanup(void)
{
	curl_global_cleanup();
}
