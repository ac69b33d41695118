/* reload.c — reloading the configuration while serving (SIGHUP; issue 14 item 1). A reload
 * thread re-reads the policies folder (policies, value sets, vocabularies, questionnaires), the
 * config file (deployment and "server" settings, rebuilt with the command line on top exactly as
 * at start) and the JWKS files, compiles and checks them into a new generation off the request
 * path, and swaps it in (app.c: cds__app_swap); requests in flight finish on the generation they
 * started with. A set with any error is refused, every error logged as `check` prints it
 * (FILE#/json/pointer: message), and the running one keeps serving. Settings that size or bind
 * the server are kept as they are and named as needing a restart. It must not run on a request
 * thread or in a signal handler (main.c's sigwait loop asks for a reload; this thread does it). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cds_internal.h"

struct cds__reloader {
	struct cds__host *host; /* retained */
	struct cds__reload_source src;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending, stop; /* under lock */
};

/* Prints each error as `check` does (after a prefix that says it is a reload's) and counts it. */
struct sink {
	FILE *log;
	size_t errors;
};

static void report(void *ctx, const char *file, const char *pointer, const char *message)
{
	struct sink *s = ctx;
	s->errors++;
	fprintf(s->log, "cds-commissioning: reload: %s%s%s: %s\n", file ? file : "(configuration)",
	        pointer && pointer[0] ? "#" : "", pointer ? pointer : "", message);
}

static double ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

int cds__reload_now(struct cds__reloader *r)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	FILE *log = r->src.log ? r->src.log : stderr;
	struct sink sink = {log, 0};
	struct engine_reporter rep = {report, &sink};
	struct cds_app *running = cds__app_acquire(r->host);
	if (!running)
		return 0; /* stopping */
	fprintf(log, "cds-commissioning: reload: reading %s%s%s\n",
	        r->src.policies_dir ? r->src.policies_dir : "the embedded configuration",
	        r->src.config_file ? " and " : "", r->src.config_file ? r->src.config_file : "");

	/* The server settings, rebuilt as at start; what cannot change while serving is kept. */
	struct cds_config *cfg = NULL;
	if (r->src.settings)
		r->src.settings(r->src.ctx, &rep, &cfg);
	if (!cfg)
		cfg = cds_config_new();
	char restart[1024] = "";
	cds__config_keep_restart(cfg, running->settings, restart, sizeof restart);
	struct fhir_error err = {{0}, {0}};
	if (sink.errors == 0 && cds_config_check(cfg, &err) != FHIR_OK)
		report(&sink, r->src.config_file, "/server", err.message);
	if ((cds_config_issuer_count(cfg) == 0) !=
	    (cds_config_issuer_count(running->settings) == 0))
		report(&sink, r->src.config_file, "/server/issuers",
		       "switching between open demo mode (no issuer) and client authentication "
		       "needs a restart");

	/* Policies, value sets, vocabularies, the deployment and JWKS files, compiled. */
	struct cds_app_options opts = {0};
	opts.policies_dir = r->src.policies_dir;
	opts.config_file = r->src.config_file;
	struct cds_app *next = NULL;
	if (cds__app_load(r->host, &opts, cfg, &rep, &next) == FHIR_OK && sink.errors == 0) {
		/* https JWKS now, so the first token after the swap does not wait for them */
		if (next->auth)
			cds__keystore_fetch_all(cds__auth_keystore(next->auth), log);
		size_t n = engine_policy_count(next->engine);
		const char *name = engine_deployment_name(next->engine);
		fprintf(log,
		        "cds-commissioning: reloaded: policy set %s (deployment '%s', %zu "
		        "polic%s) in %.1f ms%s%s\n",
		        next->digest, name ? name : "?", n, n == 1 ? "y" : "ies", ms_since(&start),
		        restart[0] ? "; changed but needing a restart, so kept as running: " : "",
		        restart);
		fflush(log);
		/* Label sets for its policies before any request can count a decision by them. */
		cds__metrics_policy_set(next->metrics, next->engine, next->digest);
		cds__app_swap(r->host, next);             /* requests from now on get it */
		cds__metrics_reload(running->metrics, 1); /* counted once swapped and logged */
		cds__app_release(running);
		return 1;
	}
	cds__app_release(next);
	size_t n = engine_policy_count(running->engine);
	fprintf(log,
	        "cds-commissioning: reload refused: the configuration has %zu error%s (listed "
	        "above), found in %.1f ms; still serving policy set %s (%zu polic%s)\n",
	        sink.errors, sink.errors == 1 ? "" : "s", ms_since(&start), running->digest, n,
	        n == 1 ? "y" : "ies");
	fflush(log);
	cds__metrics_reload(running->metrics, 0); /* counted once logged */
	cds__app_release(running);
	return 0;
}

static void *reload_main(void *arg)
{
	struct cds__reloader *r = arg;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->pending && !r->stop)
			pthread_cond_wait(&r->wake, &r->lock);
		if (r->stop)
			break;
		r->pending = 0; /* requests from here on ask for one more */
		pthread_mutex_unlock(&r->lock);
		cds__reload_now(r);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int cds__reload_start(struct cds__host *host, const struct cds__reload_source *src,
                      struct cds__reloader **out)
{
	struct cds__reloader *r = cds__must(calloc(1, sizeof *r));
	r->host = cds__host_retain(host);
	r->src = *src;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	*out = NULL;
	if (pthread_create(&r->thread, NULL, reload_main, r) != 0) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		cds__host_release(r->host);
		free(r);
		return FHIR_ERR_IO;
	}
	*out = r;
	return FHIR_OK;
}

void cds__reload_request(struct cds__reloader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->pending = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void cds__reload_stop(struct cds__reloader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	cds__host_release(r->host);
	free(r);
}
