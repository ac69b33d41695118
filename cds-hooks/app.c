/* app.c — creates and frees the cds_app, one generation of the service's configuration: gathers
 * the configuration files (embedded or from a folder, with an optional deployment override),
 * loads the engine, builds the discovery document and the trust settings once. The first
 * generation also creates the host (struct cds__host): the decision log, the FHIR client, the
 * metrics, the replay cache and the store (record.c), which every later generation (reload.c)
 * shares. Generations are
 * refcounted so that a request finishes on the one it started with. It must not answer requests
 * (handle.c does). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"
#include "store/replay.h"
#include "store/store.h"

static void stderr_report(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx;
	fprintf(stderr, "%s%s%s: %s\n", file ? file : "", pointer && pointer[0] ? "#" : "",
	        pointer ? pointer : "", message);
}

/* Maps the names engine_load reports (relative to the policies folder) back to the files the
 * user named: DIR/name, or the --config file for deployment.json. */
struct name_map {
	const struct engine_reporter *inner;
	const char *dir;    /* NULL: the embedded configuration */
	const char *config; /* NULL: no override */
};

static void mapped_report(void *ctx, const char *file, const char *pointer, const char *message)
{
	const struct name_map *map = ctx;
	char path[4096];
	if (file && map->config && strcmp(file, "deployment.json") == 0) {
		file = map->config;
	} else if (file && map->dir && file[0] != '/') {
		snprintf(path, sizeof path, "%s/%s", map->dir, file);
		file = path;
	}
	map->inner->report(map->inner->ctx, file, pointer, message);
}

/* ---- the host and its generations --------------------------------------------------------- */

struct cds__host *cds__host_retain(struct cds__host *host)
{
	if (host)
		atomic_fetch_add(&host->refs, 1);
	return host;
}

void cds__host_release(struct cds__host *host)
{
	if (!host || atomic_fetch_sub(&host->refs, 1) != 1)
		return;
	cds__record_close(host);   /* every queued store write committed */
	cds__log_close(host->log); /* every queued decision line is written */
	cds__metrics_free(host->metrics);
	cds__replay_free(host->replay);
	cds__store_close(host->replay_store);
	for (size_t i = 0; i < CDS_MAX_FEEDBACK_ITEMS; i++)
		free(host->feedback[i]);
	pthread_mutex_destroy(&host->feedback_mutex);
	pthread_mutex_destroy(&host->current_lock);
	fhir_client_free(host->fhir);
	free(host);
}

struct cds_app *cds__app_acquire(struct cds__host *host)
{
	pthread_mutex_lock(&host->current_lock);
	struct cds_app *app = host->current;
	if (app)
		atomic_fetch_add(&app->refs, 1);
	pthread_mutex_unlock(&host->current_lock);
	return app;
}

void cds__app_release(struct cds_app *app)
{
	if (!app || atomic_fetch_sub(&app->refs, 1) != 1)
		return;
	engine_free(app->engine);
	cds__auth_free(app->auth);
	cds_config_free(app->own_settings);
	free(app->discovery);
	struct cds__host *host = app->host;
	free(app);
	cds__host_release(host);
}

void cds__app_swap(struct cds__host *host, struct cds_app *next)
{
	pthread_mutex_lock(&host->current_lock);
	struct cds_app *old = host->current;
	host->current = next;
	pthread_mutex_unlock(&host->current_lock);
	cds__app_release(old); /* freed here, or by the last request that holds it */
}

void cds__host_close(struct cds__host *host)
{
	if (host)
		cds__app_swap(host, NULL);
}

/* ---- loading a generation ------------------------------------------------------------------ */

/* Reads the files a generation is loaded from: the policies folder (or the embedded set) and the
 * deployment override. Errors are reported. */
static int gather(const struct cds_app_options *opts, const struct engine_reporter *rep,
                  struct cds__files *files)
{
	int rc = FHIR_OK;
	if (opts->policies_dir)
		rc = cds__files_read_dir(files, opts->policies_dir, rep);
	else
		cds__files_add_embedded(files);
	if (opts->config_file) {
		int crc = cds__files_set_deployment(files, opts->config_file, rep);
		if (rc == FHIR_OK)
			rc = crc;
	}
	return rc;
}

/* 1 when the jti replay cache is the decision store (the same URL): service calls and feedback
 * then claim their jti in their own commit (struct cds__claim). The first generation runs
 * before the decision store is opened: its URL is then opts->store. */
static int replay_is_decision_store(const struct cds__host *host,
                                    const struct cds_app_options *opts)
{
	const char *decisions = host->store ? cds__store_url(host->store) : opts->store;
	return host->replay_store && decisions &&
	       strcmp(decisions, cds__store_url(host->replay_store)) == 0;
}

/* Loads the engine, the deployment's response shaping, trust and discovery into `app` (its
 * settings set). The replay cache is the host's, opened here by the first generation that has
 * issuers. */
static int load_generation(struct cds_app *app, const struct cds_app_options *opts,
                           const struct cds__files *files, const struct engine_reporter *rep)
{
	struct name_map map = {rep, opts->policies_dir, opts->config_file};
	struct engine_reporter mapped = {mapped_report, &map};
	int rc = engine_load(files->items, files->count, &mapped, &app->engine);
	if (rc != FHIR_OK)
		return rc;
	/* Response shaping for pre-2.0 clients (the CDS Hooks Sandbox): handle.c. */
	const cJSON *mirror = cJSON_GetObjectItemCaseSensitive(engine_deployment(app->engine),
	                                                       "mirrorSystemActionsInExtension");
	if (mirror && !cJSON_IsBool(mirror)) {
		mapped.report(mapped.ctx, "deployment.json", "/mirrorSystemActionsInExtension",
		              "must be true or false");
		return FHIR_ERR_INVALID;
	}
	app->mirror_system_actions = cJSON_IsTrue(mirror);
	if (cds_config_issuer_count(app->settings) > 0) { /* CDS Hooks 2.0 §Trusting CDS Clients */
		struct fhir_error err = {{0}, {0}};
		const struct cds_config *cfg = app->settings;
		struct cds__host *host = app->host;
		if (!host->replay && !host->replay_store) {
			/* A PostgreSQL URL: the store's replay table shared by replicas, on a
			 * connection of its own (token checks do not queue behind decision writes).
			 */
			if (cds__replay_in_store(cfg->replay_cache_file))
				rc = cds__store_open(cfg->replay_cache_file, &host->replay_store,
				                     &err);
			else
				rc = cds__replay_open(cfg->replay_cache_file,
				                      cfg->limits.replay_cache_entries, time(NULL),
				                      &host->replay, &err);
			if (rc != FHIR_OK) {
				rep->report(rep->ctx, err.where, "", err.message);
				return rc;
			}
		}
		rc = cds__auth_new(app->settings, host->replay, host->replay_store, &app->auth,
		                   &err);
		if (rc != FHIR_OK) {
			rep->report(rep->ctx, err.where, "", err.message);
			return rc;
		}
		if (replay_is_decision_store(host, opts))
			cds__auth_claim_in_commit(app->auth);
		cds__keystore_count_into(cds__auth_keystore(app->auth), app->host->jwks_counts);
	}
	if (app->settings->admin_token_file) { /* GET /report's admin token (report_route.c) */
		struct fhir_error err = {{0}, {0}};
		rc = cds__admin_token_load(app, app->settings->admin_token_file, &err);
		if (rc != FHIR_OK) {
			rep->report(rep->ctx, err.where, "", err.message);
			return rc;
		}
	}
	cds__discovery_build(app->engine, &app->discovery, &app->discovery_length);
	cds__files_digest(files->items, files->count, app->digest, sizeof app->digest);
	return FHIR_OK;
}

/* A new, empty generation of `host` (retained) with one reference and the host's pointers. */
static struct cds_app *generation_new(struct cds__host *host)
{
	struct cds_app *app = cds__must(calloc(1, sizeof *app));
	atomic_init(&app->refs, 1);
	app->host = cds__host_retain(host);
	app->log = host->log;
	app->fhir = host->fhir;
	app->metrics = host->metrics;
	return app;
}

int cds__app_load(struct cds__host *host, const struct cds_app_options *opts,
                  struct cds_config *settings, const struct engine_reporter *rep,
                  struct cds_app **out)
{
	struct cds__files files = {0};
	*out = NULL;
	int rc = gather(opts, rep, &files);
	struct cds_app *app = generation_new(host);
	app->own_settings = settings;
	app->settings = settings;
	if (rc == FHIR_OK)
		rc = load_generation(app, opts, &files, rep);
	cds__files_clear(&files);
	if (rc != FHIR_OK) {
		cds__app_release(app);
		return rc;
	}
	*out = app;
	return FHIR_OK;
}

int cds_app_new(const struct cds_app_options *opts, const struct engine_reporter *rep,
                struct cds_app **out)
{
	static const struct engine_reporter fallback = {stderr_report, NULL};
	static const struct cds_app_options defaults = {0};
	struct cds__files files = {0};
	struct cds_app *app = NULL;
	*out = NULL;
	fhir_json_hooks_install(); /* process start (architecture.md rule 5: cJSON too) */
	if (!opts)
		opts = &defaults;
	if (!rep || !rep->report)
		rep = &fallback;

	int rc = gather(opts, rep, &files);
	if (rc != FHIR_OK)
		goto out;

	struct cds__host *host = cds__must(calloc(1, sizeof *host));
	pthread_mutex_init(&host->feedback_mutex, NULL);
	pthread_mutex_init(&host->current_lock, NULL);
	host->body_retention_days = -1;
	fhir_client_new(NULL, &host->fhir, NULL); /* CDS Hooks 2.0 §Prefetch; cannot fail */
	app = generation_new(host);               /* holds the host's only reference */
	if (!opts->decision_log) {
		host->log = cds__log_open(stderr, 0, CDS__LOG_QUEUE_LINES);
	} else if (strcmp(opts->decision_log, "-") != 0) {
		FILE *f = fopen(opts->decision_log, "a");
		if (!f) {
			rep->report(rep->ctx, opts->decision_log, "",
			            "cannot open the decision log for appending");
			rc = FHIR_ERR_IO;
			goto out;
		}
		host->log = cds__log_open(f, 1, CDS__LOG_QUEUE_LINES);
	}
	app->log = host->log;
	if (opts->settings) {
		app->settings = opts->settings;
	} else {
		app->own_settings = cds_config_new();
		app->settings = app->own_settings;
	}
	if ((rc = load_generation(app, opts, &files, rep)) != FHIR_OK)
		goto out;
	host->metrics = cds__metrics_new(app->engine, files.items, files.count);
	app->metrics = host->metrics;
	rc = cds__record_open(host, opts, rep); /* issue 13: the store, after the policy set */
	if (rc != FHIR_OK)
		goto out;
	host->current = app; /* the host's reference */
	atomic_fetch_add(&app->refs, 1);
	*out = app; /* the caller's */
	app = NULL;
out:
	cds__app_release(app);
	cds__files_clear(&files);
	return rc;
}

void cds_app_free(struct cds_app *app)
{
	if (!app)
		return;
	cds__host_close(app->host); /* no generation is current any more */
	cds__app_release(app);      /* the caller's: the last one frees the host (log written) */
}

const struct engine *cds_app_engine(const struct cds_app *app)
{
	return app ? app->engine : NULL;
}
