/* record.c — the service's side of the decision and feedback store (issue 13 items 1-3): opens
 * the store, its patient key and its writer for the app; turns an assessed service call or a
 * feedback body into rows (store/rows.h) and has the writer commit them before the reply (a
 * service call without holding a thread meanwhile: cds__record_submit; feedback waiting); when the
 * store cannot be written, the reply is 503 with Retry-After instead (a card whose decision is not
 * recorded is never sent), and /healthz and /readyz say why. A call whose token's jti is still to
 * be claimed (struct cds__claim) claims it first in the same transaction: when a concurrent use
 * of the token claimed it before, nothing of the call is stored and it is answered as a replay. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cds_internal.h"
#include "store/replay.h"
#include "store/rows.h"
#include "store/writer.h"

#define PURGE_SECONDS 3600 /* expired request bodies are purged at start and hourly */
#define WAIT_SECONDS  10   /* a call waits this long for its commit, then is answered 503 */

/* The file of a "sqlite:PATH" URL, or NULL (":memory:", PostgreSQL). BORROWED from url. */
static const char *sqlite_file(const char *url)
{
	const char *path = cds__store_sqlite_path(url);
	return path && strcmp(path, ":memory:") == 0 ? NULL : path;
}

/* Loads or creates the patient key into host->patient_key; *how says which. */
static int open_key(struct cds__host *host, const struct cds_app_options *opts, const char *shown,
                    char *how, size_t size, const struct engine_reporter *rep)
{
	struct fhir_error err = {{0}, {0}};
	host->patient_key = cds__must(calloc(1, sizeof *host->patient_key));
	const char *file = sqlite_file(opts->store);
	int rc;
	if (opts->patient_key) {
		rc = cds__patient_key_load(opts->patient_key, host->patient_key, &err);
		snprintf(how, size, "%s", opts->patient_key);
	} else if (file) { /* the demo and the default: beside the store file */
		char path[4096];
		snprintf(path, sizeof path, "%s.patient-key", file);
		if (access(path, F_OK) == 0) {
			rc = cds__patient_key_load(path, host->patient_key, &err);
			snprintf(how, size, "%s", path);
		} else {
			rc = cds__patient_key_create(path, host->patient_key, &err);
			snprintf(how, size,
			         "%s (created now: keep it with the store; without it the "
			         "stored patients cannot be matched to new ones)",
			         path);
		}
	} else if (strncmp(opts->store, "sqlite:", 7) == 0) { /* in memory: a key as short-lived */
		ssize_t n = getrandom(host->patient_key->bytes, 32, 0);
		host->patient_key->length = 32;
		rc = n == 32 ? FHIR_OK : FHIR_ERR_IO;
		fhir_error_set(&err, NULL, "no random bytes for the patient key");
		snprintf(how, size, "random, in memory");
	} else {
		fhir_error_set(&err, NULL,
		               "store '%s' needs a patient key file (--patient-key FILE, or "
		               "server.store.patientKey; the same key on every replica)",
		               shown);
		rc = FHIR_ERR_INVALID;
	}
	if (rc != FHIR_OK)
		rep->report(rep->ctx, err.where[0] ? err.where : shown, "", err.message);
	return rc;
}

int cds__record_open(struct cds__host *host, const struct cds_app_options *opts,
                     const struct engine_reporter *rep)
{
	struct fhir_error err = {{0}, {0}};
	char shown[512], key[4200];
	host->body_retention_days = -1;
	if (!opts->store || strcmp(opts->store, "-") == 0)
		return FHIR_OK;
	cds__store_redact(opts->store, shown, sizeof shown);
	/* a key file given is read first: a wrong one must not leave a new store behind */
	if (opts->patient_key && open_key(host, opts, shown, key, sizeof key, rep) != FHIR_OK)
		return FHIR_ERR_IO;
	if (cds__store_open(opts->store, &host->store, &err) != FHIR_OK) {
		char prefix[600]; /* the report names the store already */
		snprintf(prefix, sizeof prefix, "store '%s': ", shown);
		size_t n = strlen(prefix);
		rep->report(rep->ctx, shown, "",
		            strncmp(err.message, prefix, n) == 0 ? err.message + n : err.message);
		return FHIR_ERR_IO;
	}
	if (!opts->patient_key) {
		int rc = open_key(host, opts, shown, key, sizeof key, rep);
		if (rc != FHIR_OK)
			return rc;
	}
	if (opts->keep_request_bodies)
		host->body_retention_days = opts->request_body_retention_days;
	host->store_writer =
	    cds__store_writer_start(host->store, PURGE_SECONDS, WAIT_SECONDS, stderr);
	char bodies[96];
	if (host->body_retention_days < 0)
		snprintf(bodies, sizeof bodies, "request bodies not stored");
	else
		snprintf(bodies, sizeof bodies, "request bodies kept %ld day%s",
		         host->body_retention_days, host->body_retention_days == 1 ? "" : "s");
	snprintf(host->store_note, sizeof host->store_note,
	         "store: %.150s (%s, schema v%d); %s; patient key %.300s", shown,
	         cds__store_kind(host->store), cds__store_schema_version(), bodies, key);
	return FHIR_OK;
}

void cds__record_close(struct cds__host *host)
{
	if (!host)
		return;
	cds__store_writer_stop(host->store_writer); /* commits what is queued */
	cds__store_close(host->store);
	if (host->patient_key)
		memset(host->patient_key, 0, sizeof *host->patient_key);
	free(host->patient_key);
	host->store_writer = NULL;
	host->store = NULL;
	host->patient_key = NULL;
}

void cds__record_unavailable(struct cds_app *app, const char *what, struct cds_reply *out)
{
	char retry[24];
	snprintf(retry, sizeof retry, "%lu", app->settings->limits.retry_after_seconds);
	size_t used = strlen(out->log_note); /* the access log: why this 503 */
	snprintf(out->log_note + used, sizeof out->log_note - used, "%sstore=failed",
	         used ? " " : "");
	cds__reply_error(out, 503, "transient", NULL,
	                 "%s could not be recorded (the decision store cannot be written; GET "
	                 "/healthz says why); retry after %s second%s",
	                 what, retry, strcmp(retry, "1") == 0 ? "" : "s");
	cds__reply_header(out, "Retry-After", retry);
}

/* "now" as the store writes it, and as Unix time. */
static time_t now_stamp(char *buf, size_t size)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	cds__store_timestamp(ts.tv_sec, (int)(ts.tv_nsec / 1000000L), buf, size);
	return ts.tv_sec;
}

/* Adds to rows the claim of claim's jti when it is pending (a condition: it runs first); it is
 * then no longer pending (the commit claims it). claim may be NULL. */
static void add_claim(struct cds__store_rows *rows, struct cds__claim *claim)
{
	if (!claim || !claim->pending)
		return;
	cds__store_replay_claim_rows(rows, claim->iss, claim->jti, claim->expires, time(NULL));
	claim->pending = 0;
}

/* rc of a commit that held `claim`: a refusal is the claim's (a replay), never a failure. */
static void note_refusal(struct cds__claim *claim, int rc)
{
	if (claim && rc == CDS__STORE_REFUSED)
		claim->refused = 1;
}

struct cds__store_rows *cds__record_decision_rows(struct cds_app *app,
                                                  const struct cds__service *service,
                                                  const cJSON *request, const cJSON *records,
                                                  const cJSON *response)
{
	struct cds__host *host = app->host;
	if (!host->store_writer)
		return NULL;
	char stamp[40];
	struct cds__decision_input in = {0};
	in.now = now_stamp(stamp, sizeof stamp);
	in.request = request;
	in.records = records;
	in.response = response;
	in.service = service->id;
	in.deployment = engine_deployment_name(app->engine);
	in.policy_set = app->digest; /* the generation that decided */
	in.received_at = stamp;
	in.key = host->patient_key;
	in.body_retention_days = host->body_retention_days;
	struct cds__store_rows *rows = cds__must(calloc(1, sizeof *rows)); /* claim: on submit */
	cds__decision_rows_build(&in, rows);
	return rows;
}

/* p->rows (TAKEN), with the claim of p's pending jti. */
static struct cds__store_rows *take_rows(struct cds__pending *p)
{
	struct cds__store_rows *rows = p->rows;
	p->rows = NULL;
	add_claim(rows, &p->claim);
	return rows;
}

/* cds__store_done_fn of cds__record_submit: the pending call's commit is over. */
static void decisions_done(void *ctx, int rc, const struct fhir_error *err)
{
	struct cds__pending *p = ctx;
	(void)err; /* the writer's stats say why (/healthz) */
	p->commit_rc = rc;
	note_refusal(&p->claim, rc);
	p->committed(p->committed_ctx); /* p is the caller's from here */
}

void cds__record_submit(struct cds_app *app, struct cds__pending *p, void (*committed)(void *ctx),
                        void *ctx)
{
	struct cds__store_rows *rows = take_rows(p);
	p->committed = committed;
	p->committed_ctx = ctx;
	cds__store_writer_submit(app->host->store_writer, cds__store_rows_insert, rows,
	                         cds__store_rows_free, decisions_done, p);
}

void cds__record_commit_now(struct cds_app *app, struct cds__pending *p)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__store_rows *rows = take_rows(p);
	p->commit_rc = cds__store_writer_commit(app->host->store_writer, cds__store_rows_insert,
	                                        rows, cds__store_rows_free, &err);
	note_refusal(&p->claim, p->commit_rc);
}

int cds__record_feedback(struct cds_app *app, const cJSON *records, struct cds__claim *claim,
                         struct cds_reply *out)
{
	struct cds__host *host = app->host;
	if (!host->store_writer)
		return 0;
	char stamp[40];
	now_stamp(stamp, sizeof stamp);
	struct cds__store_rows *rows = cds__must(calloc(1, sizeof *rows));
	add_claim(rows, claim);
	cds__feedback_rows_build(records, stamp, rows);
	struct fhir_error err = {{0}, {0}};
	int rc = cds__store_writer_commit(host->store_writer, cds__store_rows_insert, rows,
	                                  cds__store_rows_free, &err);
	note_refusal(claim, rc);
	if (rc == FHIR_OK)
		return 0;
	if (rc != CDS__STORE_REFUSED) /* refused: the caller answers the replay (handle.c) */
		cds__record_unavailable(app, "the feedback", out);
	return -1;
}

int cds__record_failing(struct cds_app *app, char *why, size_t size)
{
	struct cds__store_writer_stats st;
	cds__store_writer_stats(app ? app->host->store_writer : NULL, &st);
	if (st.failing)
		snprintf(why, size, "the decision store cannot be written: %s", st.error);
	return st.failing;
}

int cds__record_health(struct cds_app *app, cJSON *body)
{
	struct cds__host *host = app->host;
	if (!host->store)
		return 0;
	struct cds__store_writer_stats st;
	cds__store_writer_stats(host->store_writer, &st);
	cJSON *store = cds__must(cJSON_AddObjectToObject(body, "store"));
	cds__must(cJSON_AddStringToObject(store, "kind", cds__store_kind(host->store)));
	cds__must(cJSON_AddStringToObject(store, "status", st.failing ? "failing" : "ok"));
	if (st.failing)
		cds__must(cJSON_AddStringToObject(store, "reason", st.error));
	cds__must(cJSON_AddNumberToObject(store, "writes", (double)st.writes));
	cds__must(cJSON_AddNumberToObject(store, "writeFailures", (double)st.failures));
	return st.failing;
}
