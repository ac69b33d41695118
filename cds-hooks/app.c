/* app.c — creates and frees the cds_app: gathers the configuration files (embedded or from a
 * folder, with an optional deployment override), loads the engine, opens the decision log and
 * the store (record.c) and builds the discovery document once. It must not answer requests
 * (handle.c does). */
#include <stdlib.h>
#include <string.h>

#include "cds_internal.h"

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

int cds_app_new(const struct cds_app_options *opts, const struct engine_reporter *rep,
                struct cds_app **out)
{
	static const struct engine_reporter fallback = {stderr_report, NULL};
	static const struct cds_app_options defaults = {0};
	int rc = FHIR_OK;
	struct cds__files files = {0};
	struct cds_app *app = NULL;
	*out = NULL;
	fhir_json_hooks_install(); /* process start (architecture.md rule 5: cJSON too) */
	if (!opts)
		opts = &defaults;
	if (!rep || !rep->report)
		rep = &fallback;

	if (opts->policies_dir)
		rc = cds__files_read_dir(&files, opts->policies_dir, rep);
	else
		cds__files_add_embedded(&files);
	if (opts->config_file) {
		int crc = cds__files_set_deployment(&files, opts->config_file, rep);
		if (rc == FHIR_OK)
			rc = crc;
	}
	if (rc != FHIR_OK)
		goto out;

	app = cds__must(calloc(1, sizeof *app));
	app->body_retention_days = -1;
	pthread_mutex_init(&app->feedback_mutex, NULL);
	fhir_client_new(NULL, &app->fhir, NULL); /* CDS Hooks 2.0 §Prefetch; cannot fail */
	struct name_map map = {rep, opts->policies_dir, opts->config_file};
	struct engine_reporter mapped = {mapped_report, &map};
	rc = engine_load(files.items, files.count, &mapped, &app->engine);
	if (rc != FHIR_OK)
		goto out;
	/* Response shaping for pre-2.0 clients (the CDS Hooks Sandbox): handle.c. */
	const cJSON *mirror = cJSON_GetObjectItemCaseSensitive(engine_deployment(app->engine),
	                                                       "mirrorSystemActionsInExtension");
	if (mirror && !cJSON_IsBool(mirror)) {
		mapped.report(mapped.ctx, "deployment.json", "/mirrorSystemActionsInExtension",
		              "must be true or false");
		rc = FHIR_ERR_INVALID;
		goto out;
	}
	app->mirror_system_actions = cJSON_IsTrue(mirror);

	if (!opts->decision_log) {
		app->log = cds__log_open(stderr, 0, CDS__LOG_QUEUE_LINES);
	} else if (strcmp(opts->decision_log, "-") != 0) {
		FILE *f = fopen(opts->decision_log, "a");
		if (!f) {
			rep->report(rep->ctx, opts->decision_log, "",
			            "cannot open the decision log for appending");
			rc = FHIR_ERR_IO;
			goto out;
		}
		app->log = cds__log_open(f, 1, CDS__LOG_QUEUE_LINES);
	}
	if (opts->settings) {
		app->settings = opts->settings;
	} else {
		app->own_settings = cds_config_new();
		app->settings = app->own_settings;
	}
	if (cds_config_issuer_count(app->settings) > 0) { /* CDS Hooks 2.0 §Trusting CDS Clients */
		struct fhir_error err = {{0}, {0}};
		rc = cds__auth_new(app->settings, &app->auth, &err);
		if (rc != FHIR_OK) {
			rep->report(rep->ctx, err.where, "", err.message);
			goto out;
		}
	}
	cds__discovery_build(app->engine, &app->discovery, &app->discovery_length);
	app->metrics = cds__metrics_new(app->engine, files.items, files.count);
	rc = cds__record_open(app, opts, rep); /* issue 13: the store, after the policy set */
	if (rc != FHIR_OK)
		goto out;
	*out = app;
	app = NULL;
out:
	cds_app_free(app);
	cds__files_clear(&files);
	return rc;
}

void cds_app_free(struct cds_app *app)
{
	if (!app)
		return;
	cds__record_close(app);          /* every queued store write committed */
	cds__log_close(app->log);        /* first: every queued decision line is written */
	cds__metrics_free(app->metrics); /* borrows the engine's policy ids */
	engine_free(app->engine);
	cds__auth_free(app->auth);
	cds_config_free(app->own_settings);
	free(app->discovery);
	for (size_t i = 0; i < CDS_MAX_FEEDBACK_ITEMS; i++)
		free(app->feedback[i]);
	pthread_mutex_destroy(&app->feedback_mutex);
	fhir_client_free(app->fhir);
	free(app);
}

const struct engine *cds_app_engine(const struct cds_app *app)
{
	return app ? app->engine : NULL;
}
