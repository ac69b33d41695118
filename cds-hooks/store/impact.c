/* impact.c — policy impact (issue 13 item 5): loads the proposed policy set as `serve` does,
 * reads the store's request bodies in the window one at a time (by id, from pages of keys
 * ordered by received_at, id), re-assesses each offline with the engine at the instant it was
 * received, and hands every (order, policy) comparison with the stored decision and criterion
 * rows to impact_tally.c. Only SELECTs: read-only on the store.
 *
 * A request whose data the live service fetched from the client's fhirServer cannot be
 * replayed faithfully: when the body names a fhirServer and its prefetch lacks a key the new
 * policy set would read for it (engine_request_needs: required or optional, absent or an
 * OperationOutcome), or holds a paged Bundle of one, the request is counted "not replayable"
 * with the keys, never assessed on partial data. Without a fhirServer the live service fetched
 * nothing either, so the replay treats missing keys and further pages as unavailable, as
 * handle.c and fetch.c did. */
#include <stdlib.h>
#include <string.h>

#include "impact.h"
#include "store.h"

#define FIRST_INSTANT "0000-01-01T00:00:00.000Z"
#define LAST_INSTANT  "9999-12-31T23:59:59.999Z"

/* A stored request (NEW strings): its key from a page, then the rest by id. */
struct stored {
	char *id, *received_at, *hook_instance, *deployment, *body;
};

/* A stored decision row of the request being compared, and its criterion rows. */
struct old_decision {
	char *id, *policy, *version, *order, *decision;
	int matched; /* a new record had the same order and policy */
};
struct old_criterion {
	char *decision_id, *criterion, *state;
};

struct run {
	const struct cds__impact_options *o;
	struct cds__store *store;
	struct cds_app *app;
	struct cds__impact_tally *tally;
	const char *from, *to;
	char now[40];        /* bodies whose retention ended are skipped */
	struct stored *keys; /* the page: id and received_at only (NEW) */
	size_t n, cap;
	char *cursor;             /* NEW: received_at of the page read last; the next is after it */
	struct stored body;       /* the one request being replayed */
	struct old_decision *old; /* the request being compared */
	size_t n_old;
	struct old_criterion *crit;
	size_t n_crit;
	const char *request_id; /* for the old-row queries */
	size_t without_body, other_deployment, data_unavailable;
};

static char *dup_or_null(const char *s)
{
	return s ? cds__must(strdup(s)) : NULL;
}

/* ---- reading the store ------------------------------------------------------------------- */

static int count_row(void *ctx, const char *const *values, size_t columns)
{
	*(size_t *)ctx = columns > 0 && values[0] ? strtoul(values[0], NULL, 10) : 0;
	return 0;
}

/* Requests in the window the store kept no body for (not enabled, purged, or past
 * body_expires_at): counted, never assessed. */
static int count_without_body(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct run *r = ctx;
	const char *p[] = {r->from, r->to, r->now};
	return cds__store_query(c,
	                        "SELECT COUNT(*) FROM request WHERE received_at >= $1 AND "
	                        "received_at < $2 AND (body IS NULL OR (body_expires_at IS NOT "
	                        "NULL AND body_expires_at <= $3))",
	                        p, 3, count_row, &r->without_body, err);
}

static int key_row(void *ctx, const char *const *values, size_t columns)
{
	struct run *r = ctx;
	if (columns < 2 || !values[0] || !values[1])
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : CDS__IMPACT_BATCH + 1;
		r->keys = cds__must(realloc(r->keys, r->cap * sizeof *r->keys));
	}
	memset(&r->keys[r->n], 0, sizeof r->keys[r->n]);
	r->keys[r->n].id = cds__must(strdup(values[0]));
	r->keys[r->n].received_at = cds__must(strdup(values[1]));
	r->n++;
	return 0;
}

#define TEXT_OF(n) #n
#define NUMBER(n)  TEXT_OF(n)
#define BATCH_TEXT NUMBER(CDS__IMPACT_BATCH) /* "32", for LIMIT */
#define WITH_BODY                                                                                  \
	"FROM request WHERE body IS NOT NULL AND (body_expires_at IS NULL OR body_expires_at "     \
	"> $3) AND received_at >= $1 AND received_at < $2 "

static void clear_keys(struct run *r, size_t from)
{
	for (size_t i = from; i < r->n; i++) {
		free(r->keys[i].id);
		free(r->keys[i].received_at);
	}
	r->n = from;
}

/* The next page of keys of requests with a body: CDS__IMPACT_BATCH after the cursor in
 * received_at order (an index range), completed by every request received at the same instant
 * as the last one, ordered by id, so that the next page starts strictly after it. Only keys:
 * sorting a group of equal instants never moves bodies, and each group is read once. */
static int read_keys(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct run *r = ctx;
	const char *p[] = {r->from, r->to, r->now, r->cursor};
	int rc = cds__store_query(c,
	                          "SELECT id, received_at " WITH_BODY
	                          "AND received_at > $4 ORDER BY received_at, id LIMIT " BATCH_TEXT,
	                          p, 4, key_row, r, err);
	if (rc != FHIR_OK || r->n < CDS__IMPACT_BATCH)
		return rc;
	char *last = cds__must(strdup(r->keys[r->n - 1].received_at));
	size_t keep = r->n;
	while (keep > 0 && strcmp(r->keys[keep - 1].received_at, last) == 0)
		keep--;
	clear_keys(r, keep);
	const char *q[] = {r->from, r->to, r->now, last};
	rc = cds__store_query(
	    c, "SELECT id, received_at " WITH_BODY "AND received_at = $4 ORDER BY id", q, 4,
	    key_row, r, err);
	free(r->cursor);
	r->cursor = last;
	return rc;
}

static int body_row(void *ctx, const char *const *values, size_t columns)
{
	struct stored *s = ctx;
	if (columns < 3)
		return 0;
	s->hook_instance = dup_or_null(values[0]);
	s->deployment = dup_or_null(values[1]);
	s->body = dup_or_null(values[2]);
	return 0;
}

/* The rest of r->body (its id set): hook instance, deployment, body. */
static int read_body(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct run *r = ctx;
	const char *p[] = {r->body.id};
	return cds__store_query(c,
	                        "SELECT hook_instance, deployment, body FROM request WHERE id = $1",
	                        p, 1, body_row, &r->body, err);
}

static void clear_body(struct run *r)
{
	free(r->body.hook_instance);
	free(r->body.deployment);
	free(r->body.body);
	memset(&r->body, 0, sizeof r->body);
}

static int old_decision_row(void *ctx, const char *const *values, size_t columns)
{
	struct run *r = ctx;
	if (columns < 5 || !values[0] || !values[1] || !values[3] || !values[4])
		return 0; /* NOT NULL columns: a row without them is not ours to compare */
	r->old = cds__must(realloc(r->old, (r->n_old + 1) * sizeof *r->old));
	struct old_decision *d = &r->old[r->n_old++];
	d->id = cds__must(strdup(values[0]));
	d->policy = cds__must(strdup(values[1]));
	d->version = dup_or_null(values[2]);
	d->order = cds__must(strdup(values[3]));
	d->decision = cds__must(strdup(values[4]));
	d->matched = 0;
	return 0;
}

static int old_criterion_row(void *ctx, const char *const *values, size_t columns)
{
	struct run *r = ctx;
	if (columns < 3 || !values[0] || !values[1] || !values[2])
		return 0;
	r->crit = cds__must(realloc(r->crit, (r->n_crit + 1) * sizeof *r->crit));
	struct old_criterion *c = &r->crit[r->n_crit++];
	c->decision_id = cds__must(strdup(values[0]));
	c->criterion = cds__must(strdup(values[1]));
	c->state = cds__must(strdup(values[2]));
	return 0;
}

/* The stored decisions of r->request_id and their criteria. */
static int read_old(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct run *r = ctx;
	const char *p[] = {r->request_id};
	int rc = cds__store_query(c,
	                          "SELECT id, policy, policy_version, order_ref, decision FROM "
	                          "decision WHERE request_id = $1 ORDER BY id",
	                          p, 1, old_decision_row, r, err);
	if (rc == FHIR_OK)
		rc =
		    cds__store_query(c,
		                     "SELECT c.decision_id, c.criterion, c.state FROM criterion c "
		                     "JOIN decision d ON d.id = c.decision_id WHERE d.request_id = "
		                     "$1",
		                     p, 1, old_criterion_row, r, err);
	return rc;
}

static void clear_old(struct run *r)
{
	for (size_t i = 0; i < r->n_old; i++) {
		free(r->old[i].id);
		free(r->old[i].policy);
		free(r->old[i].version);
		free(r->old[i].order);
		free(r->old[i].decision);
	}
	for (size_t i = 0; i < r->n_crit; i++) {
		free(r->crit[i].decision_id);
		free(r->crit[i].criterion);
		free(r->crit[i].state);
	}
	r->n_old = r->n_crit = 0;
}

/* ---- comparing ----------------------------------------------------------------------------- */

/* The loaded version of policy `id` in the new set, or NULL when the set has no such policy. */
static const char *new_version(const struct engine *engine, const char *id)
{
	for (size_t i = 0; i < engine_policy_count(engine); i++) {
		const char *pid = NULL, *version = NULL, *commissioner = NULL;
		engine_policy_info(engine, i, &pid, &version, &commissioner);
		if (pid && strcmp(pid, id) == 0)
			return version;
	}
	return NULL;
}

static const char *old_state(const struct run *r, const char *decision_id, const char *criterion)
{
	for (size_t i = 0; i < r->n_crit; i++)
		if (strcmp(r->crit[i].decision_id, decision_id) == 0 &&
		    strcmp(r->crit[i].criterion, criterion) == 0)
			return r->crit[i].state;
	return NULL;
}

/* The criteria of one matched pair: states that differ, both ways (NULL: not assessed). */
static void compare_criteria(struct run *r, const struct old_decision *old, const cJSON *record)
{
	const cJSON *c;
	const cJSON *criteria = fhir_get(record, "criteria");
	cJSON_ArrayForEach(c, criteria)
	{
		const char *id = fhir_get_string(c, "id"), *state = fhir_get_string(c, "state");
		if (!id || !state)
			continue;
		const char *before = old_state(r, old->id, id);
		if (!before || strcmp(before, state) != 0)
			cds__impact_tally_criterion(r->tally, old->policy, id, before, state);
	}
	for (size_t i = 0; i < r->n_crit; i++) {
		if (strcmp(r->crit[i].decision_id, old->id) != 0)
			continue;
		int found = 0;
		cJSON_ArrayForEach(c, criteria)
		{
			const char *id = fhir_get_string(c, "id");
			found |= id && strcmp(id, r->crit[i].criterion) == 0;
		}
		if (!found)
			cds__impact_tally_criterion(r->tally, old->policy, r->crit[i].criterion,
			                            r->crit[i].state, NULL);
	}
}

/* Every new policy record against the stored rows; the stored rows no record matched. */
static void compare(struct run *r, const struct stored *s, const struct engine_result *result)
{
	const struct engine *engine = cds_app_engine(r->app);
	const cJSON *record;
	if (result->kind == ENGINE_DATA_UNAVAILABLE) { /* a 412 now: every old decision is gone */
		r->data_unavailable++;
		for (size_t i = 0; i < r->n_old; i++)
			cds__impact_tally_decision(r->tally, r->old[i].policy, r->old[i].version,
			                           new_version(engine, r->old[i].policy),
			                           r->old[i].decision, CDS__IMPACT_DATA_UNAVAILABLE,
			                           s->hook_instance);
		return;
	}
	cJSON_ArrayForEach(record, result->log)
	{
		const char *policy = fhir_get_string(record, "policy");
		const char *order = fhir_get_string(record, "order");
		const char *decision = fhir_get_string(record, "decision");
		/* commissioner-not-determined notices carry a "type": not a policy's decision */
		if (fhir_get(record, "type") || !policy || !order || !decision)
			continue;
		struct old_decision *old = NULL;
		for (size_t i = 0; i < r->n_old && !old; i++)
			if (!r->old[i].matched && strcmp(r->old[i].policy, policy) == 0 &&
			    strcmp(r->old[i].order, order) == 0)
				old = &r->old[i];
		cds__impact_tally_decision(r->tally, policy, old ? old->version : NULL,
		                           fhir_get_string(record, "policyVersion"),
		                           old ? old->decision : NULL, decision, s->hook_instance);
		if (old) {
			old->matched = 1;
			compare_criteria(r, old, record);
		}
	}
	for (size_t i = 0; i < r->n_old; i++)
		if (!r->old[i].matched)
			cds__impact_tally_decision(r->tally, r->old[i].policy, r->old[i].version,
			                           new_version(engine, r->old[i].policy),
			                           r->old[i].decision, NULL, s->hook_instance);
}

/* ---- replaying one request ---------------------------------------------------------------- */

/* Appends ", 'key'" for each bit of `keys` to buf. */
static void key_list(unsigned keys, char *buf, size_t size)
{
	size_t nkeys, len = strlen(buf);
	const struct engine_prefetch_key *table = engine_prefetch_keys(&nkeys);
	for (size_t k = 0; k < nkeys && k < 32; k++) {
		if (!(keys & (1u << k)) || len + 1 >= size)
			continue;
		int w = snprintf(buf + len, size - len, "%s'%s'", len ? ", " : "", table[k].key);
		len = w < 0 ? len : len + (size_t)w < size ? len + (size_t)w : size - 1;
	}
}

/* Why `req` cannot be replayed from its body alone ("" when it can); marks the paged Bundles
 * of a request without fhirServer unavailable, as fetch.c does. */
static void replayable(const cJSON *json, struct engine_request *req, char *why, size_t size)
{
	struct engine_needs needs;
	size_t nkeys;
	const struct engine_prefetch_key *table = engine_prefetch_keys(&nkeys);
	const cJSON *prefetch = fhir_get(json, "prefetch");
	unsigned missing, paged = 0;
	engine_request_needs(req, &needs);
	missing = needs.missing_required | needs.missing_optional;
	for (size_t k = 0; k < nkeys && k < 32; k++)
		if (((needs.required | needs.optional) & ~missing & (1u << k)) &&
		    cds__prefetch_paged(fhir_get(prefetch, table[k].key)))
			paged |= 1u << k;
	why[0] = '\0';
	if (!fhir_get_string(json, "fhirServer")) {
		for (size_t k = 0; k < nkeys && k < 32; k++)
			if (paged & (1u << k))
				engine_request_supply(req, k, NULL); /* incomplete, as live */
		return;
	}
	char keys[256] = "", pages[256] = "";
	key_list(missing, keys, sizeof keys);
	key_list(paged, pages, sizeof pages);
	if (missing || paged)
		snprintf(why, size, "%s%s%s%s%s; the service reads them from fhirServer",
		         missing ? "the prefetch lacks " : "", keys, missing && paged ? "; " : "",
		         paged ? "further pages of " : "", pages);
}

static void replay(struct run *r, const struct stored *s, struct fhir_error *store_err,
                   int *store_rc)
{
	struct fhir_error err = {{0}, {0}};
	struct fhir_datetime now;
	struct engine_request *req = NULL;
	struct engine_result result;
	cJSON *json = NULL;
	char why[800] = "";
	const struct cds__limits *limits = &r->app->settings->limits;
	const struct engine *engine = cds_app_engine(r->app);
	memset(&result, 0, sizeof result);

	if (s->deployment && strcmp(s->deployment, engine_deployment_name(engine)) != 0)
		r->other_deployment++;
	const struct cds__service *service = NULL;
	if (cds__parse_json_limited(s->body, strlen(s->body), limits->max_json_depth,
	                            limits->max_array_items, &json, &err) != FHIR_OK) {
		snprintf(why, sizeof why, "body: %s", err.message);
	} else if (!cJSON_IsString(fhir_get(json, "hook")) ||
	           !(service = cds__service_for_hook(fhir_get_string(json, "hook")))) {
		snprintf(why, sizeof why, "body: no service here for its hook");
	} else if (cds__validate_envelope(json, service, &err) != FHIR_OK ||
	           fhir_datetime_parse(s->received_at, &now, &err) != FHIR_OK ||
	           engine_request_new(engine, json, &now, &req, &err) != FHIR_OK) {
		snprintf(why, sizeof why, "%s%s%s", err.where, err.where[0] ? ": " : "",
		         err.message);
	}
	if (why[0]) {
		cds__impact_tally_request(r->tally, CDS__IMPACT_UNREADABLE, s->hook_instance,
		                          s->received_at, why);
		goto out;
	}
	replayable(json, req, why, sizeof why);
	if (why[0]) {
		cds__impact_tally_request(r->tally, CDS__IMPACT_NOT_REPLAYABLE, s->hook_instance,
		                          s->received_at, why);
		goto out;
	}
	if (engine_request_assess(req, &result) != FHIR_OK) {
		cds__impact_tally_request(r->tally, CDS__IMPACT_UNREADABLE, s->hook_instance,
		                          s->received_at, "the assessment failed");
		goto out;
	}
	r->request_id = s->id;
	*store_rc = cds__store_run(r->store, 0, read_old, r, store_err);
	if (*store_rc == FHIR_OK) {
		cds__impact_tally_request(r->tally, CDS__IMPACT_REPLAYED, s->hook_instance,
		                          s->received_at, NULL);
		compare(r, s, &result);
	}
	clear_old(r);
out:
	engine_result_clear(&result);
	engine_request_free(req);
	cJSON_Delete(json);
}

/* ---- the run ------------------------------------------------------------------------------- */

/* An SQLite store must exist: impact never creates one (open would). FHIR_OK or FHIR_ERR_IO. */
static int store_exists(const char *url, struct fhir_error *err)
{
	if (!cds__store_sqlite_missing(url))
		return FHIR_OK;
	fhir_error_set(err, NULL, "no store at %s (impact reads a store; it never creates one)",
	               cds__store_sqlite_path(url));
	return FHIR_ERR_IO;
}

/* A store error names the store, never its password. */
static int store_error(const char *url, struct fhir_error *err)
{
	char shown[512], message[sizeof err->message];
	cds__store_redact(url, shown, sizeof shown);
	snprintf(message, sizeof message, "%s", err->message);
	fhir_error_set(err, NULL, "store %s: %s", shown, message);
	return FHIR_ERR_IO;
}

int cds__impact_run(const struct cds__impact_options *o, const struct engine_reporter *rep,
                    cJSON **report, struct fhir_error *err)
{
	struct run r;
	struct cds_app_options opts = {0};
	int rc;
	memset(&r, 0, sizeof r);
	*report = NULL;
	r.o = o;
	r.from = o->from ? o->from : FIRST_INSTANT;
	r.to = o->to ? o->to : LAST_INSTANT;
	cds__timestamp(r.now, sizeof r.now);

	/* the proposed set, exactly as serve --policies loads it; errors at file#pointer */
	opts.policies_dir = o->policies_dir;
	opts.config_file = o->config_file;
	opts.decision_log = "-";
	if (cds_app_new(&opts, rep, &r.app) != FHIR_OK) {
		fhir_error_set(err, o->policies_dir, "the policy set does not load");
		return FHIR_ERR_INVALID;
	}
	if ((rc = store_exists(o->store_url, err)) != FHIR_OK ||
	    (rc = cds__store_open(o->store_url, &r.store, err)) != FHIR_OK) {
		rc = store_error(o->store_url, err);
		goto out;
	}
	r.tally = cds__impact_tally_new(o->examples);
	if ((rc = cds__store_run(r.store, 0, count_without_body, &r, err)) != FHIR_OK) {
		rc = store_error(o->store_url, err);
		goto out;
	}
	r.cursor = cds__must(strdup(""));
	for (;;) {
		if ((rc = cds__store_run(r.store, 0, read_keys, &r, err)) != FHIR_OK) {
			rc = store_error(o->store_url, err);
			goto out;
		}
		size_t got = r.n;
		for (size_t i = 0; i < r.n && rc == FHIR_OK; i++) {
			r.body.id = r.keys[i].id; /* BORROWED for the read */
			r.body.received_at = r.keys[i].received_at;
			rc = cds__store_run(r.store, 0, read_body, &r, err);
			if (rc == FHIR_OK && r.body.body) /* purged since the page was read: skip */
				replay(&r, &r.body, err, &rc);
			r.body.id = r.body.received_at = NULL;
			clear_body(&r);
		}
		clear_keys(&r, 0);
		if (rc != FHIR_OK) {
			rc = store_error(o->store_url, err);
			goto out;
		}
		if (got < CDS__IMPACT_BATCH)
			break;
	}

	cJSON *json = cds__must(cJSON_CreateObject());
	char shown[512];
	cds__store_redact(o->store_url, shown, sizeof shown);
	cds__must(cJSON_AddStringToObject(json, "store", shown));
	cds__must(cJSON_AddStringToObject(json, "policySet",
	                                  o->policies_dir ? o->policies_dir : "(embedded)"));
	cds__must(cJSON_AddStringToObject(json, "deployment",
	                                  engine_deployment_name(cds_app_engine(r.app))));
	cJSON_AddItemToObject(
	    json, "from", cds__must(o->from ? cJSON_CreateString(o->from) : cJSON_CreateNull()));
	cJSON_AddItemToObject(json, "to",
	                      cds__must(o->to ? cJSON_CreateString(o->to) : cJSON_CreateNull()));
	cJSON *requests = cds__must(cJSON_AddObjectToObject(json, "requests"));
	cds__must(cJSON_AddNumberToObject(requests, "withoutBody", (double)r.without_body));
	cds__must(cJSON_AddNumberToObject(requests, "otherDeployment", (double)r.other_deployment));
	cds__must(cJSON_AddNumberToObject(requests, "dataUnavailable", (double)r.data_unavailable));
	cds__impact_tally_json(r.tally, json);
	*report = json;
	rc = FHIR_OK;
out:
	clear_keys(&r, 0);
	free(r.keys);
	clear_old(&r);
	free(r.old);
	free(r.crit);
	free(r.cursor);
	cds__impact_tally_free(r.tally);
	cds__store_close(r.store);
	cds_app_free(r.app);
	return rc;
}

size_t cds__impact_changed(const cJSON *report)
{
	const cJSON *n = fhir_get(fhir_get(report, "decisions"), "changed");
	return cJSON_IsNumber(n) ? (size_t)n->valuedouble : 0;
}
