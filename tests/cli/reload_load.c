/* reload_load.c — SIGHUP under load (issue 14 item 1), end to end on the real `serve` binary over
 * loopback. `serve` runs on a copy of policies/ (and a copy of deployment.json as --config) while
 * a client thread keeps POSTing a GM070 order-select request on a kept-alive connection. The test
 * reloads 50 times, alternating: a good set whose GM070 policy `version` flips between two values
 * (the card's assessment extension carries it as policyVersion), and a broken one (the policy
 * file is not JSON). After each SIGHUP it waits on observable state only: the /metrics counter
 * cds_reloads_total{result,trigger="signal"} reaching the expected count, then it checks
 *  - after a swap: a new request gets the new policyVersion, and the policy-set digest changed;
 *  - after a refusal: the old version and digest keep serving, and the log names the broken file
 *    and says `reload refused`;
 *  - the first reload also changes the config file: the deployment's new name is in every
 *    swap's line, and its changed limits.threads is named as needing a restart;
 *  - the client thread: every request 200 with a GM070 card of one of the two versions, and each
 *    request that began and ended while no reload was under way carries the version being served;
 *    it has answered requests between every two reloads (continuous load).
 * Finally SIGTERM: exit 0 (under ASan, leaks and use-after-free of a replaced generation fail it).
 * Never timed: every wait is bounded and polls state. Usage: reload_load BINARY SOURCE_DIR */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <pthread.h>

#include "httpclient.h"
#include "serve_child.h"
#include "testdir.h"
#include "testkit.h"

#define RELOADS 50
#define POLICY  "gm070-facet-joint-injections.policy.json"
#define SELECT  "/cds-services/commissioning-order-select"
#define REQUEST "tests/vectors/gm070-cervical-facet-not-commissioned-ifr/request.json"

static const char *const versions[2] = {"3.1", "3.1-reloaded"}; /* the file's, and ours */

struct client {
	CURL *curl;
	char url[128];
};

static void client_init(struct client *c, unsigned port)
{
	c->curl = curl_easy_init();
	snprintf(c->url, sizeof c->url, "http://127.0.0.1:%u", port);
}

static void client_free(struct client *c)
{
	curl_easy_cleanup(c->curl);
}

/* One request on the client's connection (kept alive): POST body, or GET when NULL; the status
 * (0: transport failure) and the body (NEW in *out, free). */
static long call(struct client *c, const char *path, const char *body, char **out)
{
	char url[256];
	snprintf(url, sizeof url, "%s%s", c->url, path);
	return httptest_call(c->curl, url, body, 60L, out);
}

/* The policyVersion the GM070 card carries: 0 or 1 (versions[]), -1 when none or another. */
static int version_of(const char *body)
{
	const char *at = body ? strstr(body, "\"policyVersion\":\"") : NULL;
	if (!at)
		return -1;
	at += strlen("\"policyVersion\":\"");
	for (int v = 0; v < 2; v++) {
		size_t n = strlen(versions[v]);
		if (strncmp(at, versions[v], n) == 0 && at[n] == '"')
			return v;
	}
	return -1;
}

/* ---- the load ---------------------------------------------------------------------------- */

struct load {
	unsigned port;
	const char *body;
	pthread_t thread;
	atomic_int stop;
	/* Published by the main thread: odd while a reload is under way; even: `serving` is the
	 * version every request now gets. */
	atomic_uint epoch;
	atomic_int serving;
	atomic_ulong requests, failed, unknown_version, wrong_version;
};

static void *load_main(void *arg)
{
	struct load *l = arg;
	struct client c;
	client_init(&c, l->port);
	while (!atomic_load(&l->stop)) {
		unsigned before = atomic_load(&l->epoch);
		int expected = atomic_load(&l->serving);
		char *body = NULL;
		long status = call(&c, SELECT, l->body, &body);
		unsigned after = atomic_load(&l->epoch);
		int v = version_of(body);
		if (status != 200) {
			atomic_fetch_add(&l->failed, 1);
			fprintf(stderr, "load: HTTP %ld: %.300s\n", status, body ? body : "");
		} else if (v < 0) {
			atomic_fetch_add(&l->unknown_version, 1);
		} else if (before == after && before % 2 == 0 && v != expected) {
			atomic_fetch_add(&l->wrong_version, 1);
			fprintf(stderr, "load: got policyVersion %s while %s was being served\n",
			        versions[v], versions[expected]);
		}
		free(body);
		atomic_fetch_add(&l->requests, 1);
	}
	client_free(&c);
	return NULL;
}

/* ---- the service ------------------------------------------------------------------------- */

static struct serve_child serve = {.pid = -1};

/* 1 while `serve` runs; a crash (a sanitizer report, say) ends every wait at once. */
static int alive(void)
{
	return serve_child_alive(&serve);
}

static int write_file(const char *path, const char *text)
{
	char tmp[1300];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	ok = fclose(f) == 0 && ok;
	return ok && rename(tmp, path) == 0 ? 0 : -1; /* a reload never sees half a file */
}

/* The value of the metric line starting with `prefix`
 * ("cds_reloads_total{result=\"success\",trigger=\"signal\"} "), or -1. */
static long metric(const char *text, const char *prefix)
{
	const char *at = text ? strstr(text, prefix) : NULL;
	return at ? strtol(at + strlen(prefix), NULL, 10) : -1;
}

/* The policy-set digest /metrics reports, into out. */
static void digest_of(const char *text, char *out, size_t size)
{
	const char *at = text ? strstr(text, "cds_policy_set_info{digest=\"") : NULL;
	out[0] = '\0';
	if (at) {
		at += strlen("cds_policy_set_info{digest=\"");
		const char *end = strchr(at, '"');
		snprintf(out, size, "%.*s", end ? (int)(end - at) : 0, at);
	}
}

/* Polls /metrics until both reload counters reach the given values (at most ~60 s); 1 when
 * they did. The digest then reported is copied into digest. */
static int wait_reloads(struct client *c, long success, long failure, char *digest, size_t size)
{
	for (int i = 0; i < 6000 && alive(); i++) {
		char *text = NULL;
		long status = call(c, "/metrics", NULL, &text);
		int done =
		    status == 200 &&
		    metric(text, "cds_reloads_total{result=\"success\",trigger=\"signal\"} ") ==
		        success &&
		    metric(text, "cds_reloads_total{result=\"failure\",trigger=\"signal\"} ") ==
		        failure;
		if (done) /* the same page: /metrics reads the counts before the digest, so a
		           * page that shows a reload's count shows its digest (or a later one) */
			digest_of(text, digest, size);
		free(text);
		if (done)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

/* Waits until the load thread has answered more than `seen` requests (at most ~60 s). */
static int wait_load(struct load *l, unsigned long seen)
{
	for (int i = 0; i < 6000 && atomic_load(&l->requests) <= seen && alive(); i++)
		sleep_ms(10);
	return atomic_load(&l->requests) > seen;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: reload_load BINARY SOURCE_DIR\n");
		return 2;
	}
	const char *bin = argv[1], *source = argv[2];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	char dir[256];
	if (testdir_make(dir, sizeof dir, "reload") != 0) {
		perror("temporary folder");
		return 1;
	}
	char cmd[4096], policies[1100], policy[1200], config[1100], err_path[1100], path[1100];
	snprintf(policies, sizeof policies, "%s/policies", dir);
	snprintf(policy, sizeof policy, "%s/%s", policies, POLICY);
	snprintf(config, sizeof config, "%s/deployment.json", dir);
	snprintf(err_path, sizeof err_path, "%s/serve.err", dir);
	snprintf(cmd, sizeof cmd,
	         "cp -R '%s/policies' '%s' && cp '%s/policies/deployment.json' '%s'", source, dir,
	         source, config);
	CHECK(system(cmd) == 0, "copy the policies folder");

	/* The two versions of the GM070 policy, and a broken one. */
	char *text_a = testkit_read(policy, NULL);
	CHECK(text_a && strstr(text_a, "\"version\": \"3.1\""), "the shipped GM070 is version 3.1");
	if (!text_a)
		return testkit_done();
	char *text_b = malloc(strlen(text_a) + 64);
	const char *at = strstr(text_a, "\"version\": \"3.1\"");
	sprintf(text_b, "%.*s\"version\": \"%s\"%s", (int)(at - text_a), text_a, versions[1],
	        at + strlen("\"version\": \"3.1\""));
	char *broken = malloc(strlen(text_b) + 1);
	snprintf(broken, strlen(text_b) / 2, "%s", text_b); /* cut in half: not JSON */
	/* The config file, changed at the first reload: the deployment's name (reloaded) and a
	 * limit (needs a restart: named in the reload's line, the running value kept). */
	char *config_a = testkit_read(config, NULL);
	static const char head[] = "{\n  \"name\": \"demo\",";
	CHECK(config_a && strncmp(config_a, head, strlen(head)) == 0,
	      "deployment.json starts with its name");
	char *config_b = malloc((config_a ? strlen(config_a) : 0) + 128);
	sprintf(config_b,
	        "{\"server\": {\"limits\": {\"threads\": 2}}, \"name\": \"demo-reloaded\",%s",
	        config_a && strlen(config_a) > strlen(head) ? config_a + strlen(head) : "");
	snprintf(path, sizeof path, "%s/" REQUEST, source);
	char *request = testkit_read(path, NULL);
	CHECK(request != NULL, "read %s", path);

	const char *const args[] = {"serve",  "--port",   "0",    "--policies",
	                            policies, "--config", config, "--decision-log",
	                            "-",      NULL};
	unsigned port = 0;
	if (serve_child_start(&serve, bin, args, err_path, NULL, NULL) == 0)
		port = serve_child_port(&serve, 60000);
	CHECK(port != 0, "serve started");
	if (!port || !request) {
		serve_child_kill(&serve);
		return testkit_done();
	}

	struct client c;
	client_init(&c, port);
	char *body = NULL;
	CHECK(call(&c, SELECT, request, &body) == 200 && version_of(body) == 0,
	      "before any reload: policyVersion %s", versions[0]);
	free(body);
	char digest[128] = "", previous[128] = "";
	CHECK(wait_reloads(&c, 0, 0, digest, sizeof digest) && digest[0], "no reload yet");

	struct load l = {.port = port, .body = request};
	atomic_init(&l.serving, 0);
	pthread_create(&l.thread, NULL, load_main, &l);

	long success = 0, failure = 0;
	int serving = 0;
	for (int i = 0; i < RELOADS && alive(); i++) {
		int bad = i % 2 == 1;
		int next = bad ? serving : 1 - serving;
		CHECK(wait_load(&l, atomic_load(&l.requests)), "reload %d: the load runs", i);
		const char *text = bad ? broken : next ? text_b : text_a;
		CHECK(write_file(policy, text) == 0, "reload %d: write the policy", i);
		if (i == 0) /* the config file too: a new deployment name, and a limit */
			CHECK(write_file(config, config_b) == 0, "write the config file");
		atomic_fetch_add(&l.epoch, 1); /* odd: a reload under way */
		snprintf(previous, sizeof previous, "%s", digest);
		serve_child_signal(&serve, SIGHUP);
		bad ? failure++ : success++;
		CHECK(wait_reloads(&c, success, failure, digest, sizeof digest),
		      "reload %d: counted as %s", i, bad ? "failure" : "success");
		serving = next;
		atomic_store(&l.serving, serving);
		atomic_fetch_add(&l.epoch, 1); /* even: `serving` is served */
		CHECK(call(&c, SELECT, request, &body) == 200 && version_of(body) == serving,
		      "reload %d (%s): a new request gets policyVersion %s", i,
		      bad ? "refused" : "swapped in", versions[serving]);
		free(body);
		CHECK(bad ? strcmp(digest, previous) == 0 : strcmp(digest, previous) != 0,
		      "reload %d: the policy-set digest %s", i, bad ? "stays" : "changes");
		if (bad) {
			CHECK(serve_child_log_count(&serve, "cds-commissioning: reload refused:") ==
			          (int)failure,
			      "reload %d: the refusal is logged", i);
		}
	}
	CHECK(alive(), "serve still runs after %d reloads", RELOADS);
	CHECK(wait_load(&l, atomic_load(&l.requests)), "the load still runs");
	atomic_store(&l.stop, 1);
	pthread_join(l.thread, NULL);
	unsigned long requests = atomic_load(&l.requests);
	printf("load: %lu requests during %d reloads\n", requests, RELOADS);
	CHECK(atomic_load(&l.failed) == 0, "%lu of %lu requests under load failed",
	      atomic_load(&l.failed), requests);
	CHECK(atomic_load(&l.unknown_version) == 0, "%lu requests without a known policyVersion",
	      atomic_load(&l.unknown_version));
	CHECK(atomic_load(&l.wrong_version) == 0,
	      "%lu requests got another version than the one served",
	      atomic_load(&l.wrong_version));
	CHECK(serve_child_log_count(&serve, "cds-commissioning: reloaded: policy set sha256:") ==
	          RELOADS / 2,
	      "one line per swap");
	CHECK(serve_child_log_count(&serve, "(deployment 'demo-reloaded', 3 policies)") ==
	          RELOADS / 2,
	      "the config file's deployment is reloaded");
	CHECK(serve_child_log_count(
	          &serve, "needing a restart, so kept as running: limits.threads") == RELOADS / 2,
	      "a changed limit is named as needing a restart");
	char needle[1300];
	snprintf(needle, sizeof needle, "cds-commissioning: reload: %s: ", policy);
	CHECK(serve_child_log_count(&serve, needle) == RELOADS / 2,
	      "each refusal names the broken file");

	client_free(&c);
	serve_child_signal(&serve, SIGTERM);
	CHECK(serve_child_wait(&serve, 60000) == 0, "serve exits 0 after SIGTERM (status %d)",
	      serve.status);
	if (testkit_failed) {
		char *log = serve_child_log(&serve);
		fprintf(stderr, "---- serve's log (last 4000 bytes)\n%s\n",
		        log ? log + (strlen(log) > 4000 ? strlen(log) - 4000 : 0) : "");
		free(log);
	}
	if (testdir_remove(dir) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(text_a);
	free(text_b);
	free(broken);
	free(config_a);
	free(config_b);
	free(request);
	curl_global_cleanup();
	return testkit_done();
}
