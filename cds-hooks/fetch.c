/* fetch.c — the request pipeline's data step (CDS Hooks 2.0 §Prefetch): asks the engine which
 * prefetch keys the triggered policies need and which the request lacks, fetches those (and the
 * further pages of paged prefetch Bundles) from the client's fhirServer with its
 * fhirAuthorization token — waiting (cds__fetch_now) or on the server's fetch thread
 * (cds__fetch_start) — and hands the engine what came back. A key that cannot be fetched
 * stays unavailable (412 when required, criteria unknown when optional). It must never log,
 * copy or keep the access token. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

int cds__demo_mode(const struct cds_app *app)
{
	/* Open demo mode: no JWT issuer is configured (auth.c, config.c). */
	return app->auth == NULL;
}

/* Appends "; "-separated printf text to f->note (truncated, never overflowing). */
static void note(struct cds__fetched *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct cds__fetched *f, const char *fmt, ...)
{
	size_t len = strlen(f->note);
	va_list ap;

	if (len + 3 >= sizeof(f->note))
		return;
	if (len > 0) {
		memcpy(f->note + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(f->note + len, sizeof(f->note) - len, fmt, ap);
	va_end(ap);
}

int cds__prefetch_paged(const cJSON *value)
{
	const cJSON *link;

	if (fhir_prefetch_classify(value) != FHIR_PREFETCH_BUNDLE)
		return 0;
	cJSON_ArrayForEach(link, fhir_get(value, "link"))
	{
		const char *relation = fhir_get_string(link, "relation");

		if (relation != NULL && strcmp(relation, "next") == 0 &&
		    fhir_get_string(link, "url") != NULL)
			return 1;
	}
	return 0;
}

size_t cds__fetch_plan(struct cds_app *app, const cJSON *request, struct engine_request *req,
                       struct cds__fetch_plan *plan, struct cds__fetched *out)
{
	struct engine_needs needs;
	struct fhir_error err = {{0}, {0}}, base_err = {{0}, {0}};
	size_t nkeys, k, n = 0;
	const struct engine_prefetch_key *table = engine_prefetch_keys(&nkeys);
	const cJSON *prefetch = fhir_get(request, "prefetch");
	const cJSON *context = fhir_get(request, "context");
	const char *server = fhir_get_string(request, "fhirServer");
	const char *token = fhir_get_string(fhir_get(request, "fhirAuthorization"), "access_token");
	const char *refusal = NULL;
	unsigned want, follow = 0;

	memset(out, 0, sizeof(*out));
	cds__fetch_plan_init(plan); /* each item is zeroed when it is planned */
	if (server == NULL)
		refusal = "the request names no fhirServer";
	else if (token == NULL && !app->settings->fetch_without_authorization)
		refusal = "fhirServer was sent without fhirAuthorization";
	else if (fhir_client_base_allowed(server, cds__demo_mode(app), &base_err) != FHIR_OK)
		refusal = base_err.message;
	if (refusal != NULL) { /* nothing can be fetched: only paged Bundles still matter */
		const cJSON *value;
		int any = 0;

		cJSON_ArrayForEach(value, prefetch)
		{
			any |= cds__prefetch_paged(value);
		}
		note(out, "not fetched: %s", refusal);
		if (!any)
			return 0;
	}
	engine_request_needs(req, &needs);
	/* CDS Hooks 2.0 §Prefetch: absent, OperationOutcome and unusable values are missing; `null`
	 * is the client saying there is no data: never fetched. */
	want = needs.missing_required | needs.missing_optional;
	for (k = 0; k < nkeys && k < CDS__FETCH_MAX_KEYS; k++)
		if (((needs.required | needs.optional) & ~want & (1u << k)) &&
		    cds__prefetch_paged(fhir_get(prefetch, table[k].key)))
			follow |= 1u << k;
	if ((want | follow) == 0)
		return 0;

	if (refusal != NULL) {
		for (k = 0; k < nkeys && k < CDS__FETCH_MAX_KEYS; k++)
			if (follow & (1u << k))
				engine_request_supply(req, k, NULL); /* incomplete */
		return 0;
	}

	for (k = 0; k < nkeys && k < CDS__FETCH_MAX_KEYS; k++) {
		struct fhir_fetch *it = &plan->items[n];

		if (!((want | follow) & (1u << k)))
			continue;
		memset(it, 0, sizeof(*it));
		plan->paths[n] = NULL; /* a followed Bundle has none */
		it->resource_type = table[k].resource_type;
		it->search = strchr(table[k].template, '?') != NULL;
		if (follow & (1u << k)) {
			it->first_page = fhir_get(prefetch, table[k].key);
		} else if (fhir_template_resolve(table[k].template, context, &plan->paths[n],
		                                 &err) != FHIR_OK) {
			note(out, "%s: %s", table[k].key, err.message);
			continue;
		} else {
			it->path = plan->paths[n];
		}
		plan->keys[n++] = k;
	}
	plan->server = server;
	plan->token = token;
	plan->follow = follow;
	plan->n = n;
	return n;
}

void cds__fetch_collect(struct cds__fetch_plan *plan, struct engine_request *req,
                        struct cds__fetched *out)
{
	size_t nkeys, k;
	const struct engine_prefetch_key *table = engine_prefetch_keys(&nkeys);

	for (k = 0; k < plan->n; k++) {
		struct fhir_fetch *it = &plan->items[k];
		const char *key = table[plan->keys[k]].key;

		if (it->status == FHIR_OK) {
			engine_request_supply(req, plan->keys[k], it->result); /* takes it */
			it->result = NULL;
			out->fetched++;
		} else {
			note(out, "%s: %s", key, it->why);
			if (plan->follow & (1u << plan->keys[k])) /* incomplete */
				engine_request_supply(req, plan->keys[k], NULL);
		}
	}
	cds__fetch_plan_clear(plan);
}

void cds__fetch_plan_clear(struct cds__fetch_plan *plan)
{
	size_t k;

	if (plan == NULL)
		return;
	for (k = 0; k < plan->n; k++) {
		cJSON_Delete(plan->items[k].result);
		free(plan->paths[k]);
	}
	cds__fetch_plan_init(plan);
}

void cds__fetch_plan_init(struct cds__fetch_plan *plan)
{
	/* not the item slots (kilobytes of `why` buffers): nothing reads past plan->n */
	plan->server = plan->token = NULL;
	plan->n = 0;
	plan->follow = 0;
}

/* A fetch refused before it started (FHIR_ERR_INVALID): every item says why. */
static void fail_items(struct cds__fetch_plan *plan, const struct fhir_error *err)
{
	for (size_t k = 0; k < plan->n; k++) {
		plan->items[k].status = FHIR_ERR_INVALID;
		snprintf(plan->items[k].why, sizeof(plan->items[k].why), "%.200s", err->message);
	}
}

int cds__fetch_start(struct cds_app *app, struct cds__fetch_plan *plan,
                     struct fhir_fetcher *fetcher, fhir_fetch_done_fn done, void *ctx)
{
	struct fhir_error err = {{0}, {0}};
	int rc = fhir_fetcher_start(fetcher, app->fhir, plan->server, plan->token, plan->items,
	                            plan->n, done, ctx, &err);

	if (rc == FHIR_ERR_INVALID)
		fail_items(plan, &err);
	return rc;
}

void cds__fetch_now(struct cds_app *app, struct cds__fetch_plan *plan)
{
	struct fhir_error err = {{0}, {0}};

	if (plan->n > 0 && fhir_client_fetch(app->fhir, plan->server, plan->token, plan->items,
	                                     plan->n, &err) == FHIR_ERR_INVALID)
		fail_items(plan, &err);
}

void cds__fetched_clear(struct cds__fetched *f)
{
	if (f != NULL)
		memset(f, 0, sizeof(*f));
}

int cds_app_set_fetch_budget(struct cds_app *app, long ms)
{
	struct fhir_client_limits limits = *fhir_client_get_limits(app->fhir);
	struct fhir_client *client = NULL;

	limits.budget_ms = ms;
	if (ms <= 0 || fhir_client_new(&limits, &client, NULL) != FHIR_OK)
		return FHIR_ERR_INVALID;
	fhir_client_free(app->fhir); /* the host's: before serving, one generation holds it */
	app->fhir = client;
	app->host->fhir = client;
	return FHIR_OK;
}
