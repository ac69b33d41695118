/* reload.c — reloading the configuration while serving (SIGHUP; issue 14 item 1). A reload
 * thread re-reads the policies folder (policies, value sets, vocabularies, questionnaires), the
 * config file (deployment and "server" settings, rebuilt with the command line on top exactly as
 * at start) and the JWKS files, compiles and checks them into a new generation off the request
 * path, and swaps it in (app.c: cds__app_swap); requests in flight finish on the generation they
 * started with. A set with any error is refused, every error logged as `check` prints it
 * (FILE#/json/pointer: message), and the running one keeps serving. Settings that size or bind
 * the server are kept as they are and named as needing a restart. It must not run on a request
 * thread or in a signal handler (main.c's sigwait loop, and watch.c's thread for --watch, ask for
 * a reload; this thread does it, one at a time: requests made meanwhile coalesce into one more). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cds_internal.h"
#include "notify.h"

#define RELOAD_MAX_RETIRED 16  /* swapped-out generations awaiting their last request */
#define RELOAD_SWEEP_MS    200 /* how often they are looked at meanwhile */

struct cds__reloader {
	struct cds__host *host; /* retained */
	struct cds__reload_source src;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int pending, stop; /* under lock; pending: the cds__reload_trigger bits asked since */
	/* Generations swapped out whose requests may still run: this thread keeps a reference to
	 * each and frees it once that is the last one (sweep), so that freeing an engine never
	 * falls on a request thread. */
	struct cds_app *retired[RELOAD_MAX_RETIRED];
	size_t retired_count;
};

/* Releases the retired generations that no request holds any more: they are freed here.
 * Under r->lock. */
static void sweep(struct cds__reloader *r)
{
	size_t kept = 0;
	for (size_t i = 0; i < r->retired_count; i++) {
		if (atomic_load(&r->retired[i]->refs) == 1) /* ours alone: no one can acquire it */
			cds__app_release(r->retired[i]);
		else
			r->retired[kept++] = r->retired[i];
	}
	r->retired_count = kept;
}

/* Keeps `old` (a reference) until its requests are done; when the list is full, the oldest is
 * released now (its last request frees it). Under r->lock. */
static void retire(struct cds__reloader *r, struct cds_app *old)
{
	sweep(r);
	if (r->retired_count == RELOAD_MAX_RETIRED) {
		cds__app_release(r->retired[0]);
		memmove(r->retired, r->retired + 1,
		        (RELOAD_MAX_RETIRED - 1) * sizeof r->retired[0]);
		r->retired_count--;
	}
	r->retired[r->retired_count++] = old;
}

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

/* One reload for the triggers in `trigger` (cds__reload_trigger bits). */
static int reload_run(struct cds__reloader *r, int trigger)
{
	int watch = !(trigger & CDS__RELOAD_SIGNAL); /* counted as --watch's only without SIGHUP */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	FILE *log = r->src.log ? r->src.log : stderr;
	struct sink sink = {log, 0};
	struct engine_reporter rep = {report, &sink};
	struct cds_app *running = cds__app_acquire(r->host);
	if (!running)
		return 0;        /* stopping */
	cds__notify_reloading(); /* systemd: `systemctl reload` waits for READY=1 below */
	fprintf(log, "cds-commissioning: reload: reading %s%s%s (%s)\n",
	        r->src.policies_dir ? r->src.policies_dir : "the embedded configuration",
	        r->src.config_file ? " and " : "", r->src.config_file ? r->src.config_file : "",
	        watch ? "--watch: files changed" : "SIGHUP");

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
		cds__app_swap(r->host, next); /* requests from now on get it */
		cds__notify_status("reloaded: policy set %s (%zu polic%s)", next->digest, n,
		                   n == 1 ? "y" : "ies");
		cds__notify_ready();
		cds__metrics_reload(running->metrics, 1, watch); /* once swapped and logged */
		pthread_mutex_lock(&r->lock);
		retire(r, running); /* freed on the reload thread once its requests are done */
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
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
	cds__metrics_reload(running->metrics, 0, watch); /* counted once logged */
	cds__notify_status("reload refused (%zu error%s); still serving policy set %s", sink.errors,
	                   sink.errors == 1 ? "" : "s", running->digest);
	cds__notify_ready(); /* still serving: systemd must not wait for ever */
	cds__app_release(running);
	return 0;
}

int cds__reload_now(struct cds__reloader *r)
{
	return reload_run(r, CDS__RELOAD_SIGNAL);
}

static void *reload_main(void *arg)
{
	struct cds__reloader *r = arg;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->pending && !r->stop) {
			if (!r->retired_count) {
				pthread_cond_wait(&r->wake, &r->lock);
				continue;
			}
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += RELOAD_SWEEP_MS * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&r->wake, &r->lock, &until);
			sweep(r);
		}
		if (r->stop)
			break;
		int trigger = r->pending;
		r->pending = 0; /* requests from here on ask for one more */
		pthread_mutex_unlock(&r->lock);
		reload_run(r, trigger);
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
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC); /* the sweep's timed waits */
	pthread_cond_init(&r->wake, &monotonic);
	pthread_condattr_destroy(&monotonic);
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

void cds__reload_request(struct cds__reloader *r, enum cds__reload_trigger trigger)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->pending |= (int)trigger;
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
	for (size_t i = 0; i < r->retired_count; i++) /* the last request's release frees it */
		cds__app_release(r->retired[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	cds__host_release(r->host);
	free(r);
}
