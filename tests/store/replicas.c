/* replicas.c — replicas of `serve` behind nginx sharing one PostgreSQL store (issue 14 item 4),
 * end to end on loopback: the PostgreSQL server of the ctest fixture (CDS_TEST_POSTGRES_URL),
 * nginx started here with cds-hooks/deploy/nginx-replicas.conf (what the README shows; its ports
 * changed, a third server added) in a temporary folder, three `serve` processes A, B, C started
 * with --store only (their jti replay cache follows the PostgreSQL store).
 *  - a token accepted by A is refused by B: 401 with reason `replay`; the same through nginx;
 *  - the same token sent to A and B at once (ROUNDS tokens): one card and one 401 `replay` each
 *    (both pass the check at auth; the claim in the commit of the call's rows decides);
 *  - under load (CLIENTS threads sending through nginx, each request with a fresh token), B is
 *    killed with SIGKILL between two requests of every client and the load goes on at once: every
 *    request is answered 200, and nginx's log shows it tried B after the kill and passed the
 *    request on (proxy_next_upstream error);
 *  - then C is killed in the middle of the load, in the state that used to fail the resend:
 *    the test holds every commit (a lock on the request table) until each call C has in flight
 *    has been read, checked and assessed and waits for its commit (C's /metrics), kills C
 *    (SIGKILL) and lets the commits go: nginx sends C's calls to A again (non_idempotent), and A
 *    answers every one, as C never claimed their tokens (a token is claimed in the commit of the
 *    call's rows) — no request fails;
 *  - the store holds a request row for every call answered 200, and none twice.
 * Pass/fail counts answers, never durations; every wait is bounded.
 * Usage: replicas BINARY SOURCE_DIR (nginx: $NGINX or /usr/sbin/nginx; missing: exit 77). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "httpclient.h"
#include "serve_child.h"
#include "store/store.h"
#include "testdir.h"
#include "testjwt.h"
#include "testkit.h"
#include "testnet.h"

#define CLIENTS     4
#define BEFORE_KILL 120 /* requests through nginx before B is killed */
#define AFTER_KILL  120 /* and after */
#define ROUNDS      10  /* tokens sent to two replicas at once */
#define ISS         "https://ehr.example/replicas"
#define SELECT      "/cds-services/commissioning-order-select"

static char dir[64];
static char *body;          /* the UK order-select example */
static struct testkey key;  /* the issuer's signing key */
static unsigned nginx_port; /* 0 until nginx listens */
static char public_url[64]; /* http://127.0.0.1:<nginx_port> */

/* ---- processes -------------------------------------------------------------------------- */

/* `serve` replica `name` with stderr to DIR/<name>.log, started into *c; 1 once it listens
 * (its port in c->port), else 0 (its log printed). */
static int replica(struct serve_child *c, const char *bin, const char *name, const char *store)
{
	char log[128], issuer[160], key_file[128];
	snprintf(log, sizeof log, "%s/%s.log", dir, name);
	snprintf(issuer, sizeof issuer, ISS "=%s/jwks.json", dir);
	snprintf(key_file, sizeof key_file, "%s/patient.key", dir);
	/* no --replay-cache: with a PostgreSQL store the replay cache is the store's */
	const char *const args[] = {
	    "serve",        "--port",         "0",       "--issuer", issuer,
	    "--public-url", public_url,       "--store", store,      "--patient-key",
	    key_file,       "--decision-log", "-",       NULL};
	if (serve_child_start(c, bin, args, log, NULL, NULL) == 0 &&
	    serve_child_port(c, 30000) != 0) /* at most 30 s */
		return 1;
	char *text = serve_child_log(c);
	fprintf(stderr, "replica %s did not start:\n%s\n", name, text ? text : "");
	free(text);
	return 0;
}

/* Replaces the one occurrence of `from` in *text with `to` (*text NEW, realloc'd). 0, or -1 when
 * `from` is not there exactly once (the shipped file changed: this test must follow it). */
static int replace_once(char **text, const char *from, const char *to)
{
	char *at = strstr(*text, from);
	if (!at || strstr(at + 1, from)) {
		fprintf(stderr, "nginx-replicas.conf: '%s' not there exactly once\n", from);
		return -1;
	}
	size_t head = (size_t)(at - *text), tail = strlen(at + strlen(from));
	char *out = malloc(head + strlen(to) + tail + 1);
	if (!out)
		abort();
	memcpy(out, *text, head);
	memcpy(out + head, to, strlen(to));
	memcpy(out + head + strlen(to), at + strlen(from), tail + 1);
	free(*text);
	*text = out;
	return 0;
}

/* cds-hooks/deploy/nginx-replicas.conf (what the README shows) with this run's ports and a third
 * server, inside a
 * main configuration that keeps nginx's files in `dir` and logs each request's upstreams. */
static int write_nginx_conf(const char *source, unsigned a, unsigned b, unsigned c)
{
	char path[512], port[160];
	snprintf(path, sizeof path, "%s/cds-hooks/deploy/nginx-replicas.conf", source);
	char *site = testkit_read(path, NULL);
	if (!site)
		return -1;
	int rc = 0;
	snprintf(port, sizeof port, "127.0.0.1:%u ", a);
	rc |= replace_once(&site, "127.0.0.1:8081 ", port);
	/* the second server line becomes two: B and C */
	snprintf(port, sizeof port,
	         "127.0.0.1:%u max_fails=1 fail_timeout=10s;\n    server 127.0.0.1:%u ", b, c);
	rc |= replace_once(&site, "127.0.0.1:8082 ", port);
	snprintf(port, sizeof port, "listen 127.0.0.1:%u;", nginx_port);
	rc |= replace_once(&site, "listen 8080;", port);
	snprintf(path, sizeof path, "%s/site.conf", dir);
	FILE *f = fopen(path, "w");
	rc |= !f || fputs(site, f) < 0;
	rc |= f && fclose(f) != 0;
	free(site);
	snprintf(path, sizeof path, "%s/nginx.conf", dir);
	f = rc == 0 ? fopen(path, "w") : NULL;
	if (!f)
		return -1;
	fprintf(f,
	        "daemon off;\n"
	        "worker_processes 1;\n"
	        "pid %s/nginx.pid;\n"
	        "error_log %s/error.log warn;\n"
	        "events { worker_connections 256; }\n"
	        "http {\n"
	        "  log_format upstreams '$status $upstream_addr $upstream_status';\n"
	        "  access_log %s/access.log upstreams;\n"
	        "  client_body_temp_path %s/tmp/body;\n"
	        "  proxy_temp_path %s/tmp/proxy;\n"
	        "  fastcgi_temp_path %s/tmp/fastcgi;\n"
	        "  uwsgi_temp_path %s/tmp/uwsgi;\n"
	        "  scgi_temp_path %s/tmp/scgi;\n"
	        "  include %s/site.conf;\n"
	        "}\n",
	        dir, dir, dir, dir, dir, dir, dir, dir, dir);
	return fclose(f) == 0 ? 0 : -1;
}

/* nginx started into *n (stderr to DIR/nginx.stderr); 1 once it accepts connections. */
static int start_nginx(struct serve_child *n, const char *nginx)
{
	char conf[128], tmp[128], err_log[128], out[128];
	snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
	snprintf(tmp, sizeof tmp, "%s/tmp", dir);
	snprintf(err_log, sizeof err_log, "%s/error.log", dir);
	snprintf(out, sizeof out, "%s/nginx.stderr", dir);
	mkdir(tmp, 0700);
	/* as root nginx's workers run as nobody: they need the folder for temporary files */
	if (geteuid() == 0 && (chmod(dir, 0755) != 0 || chmod(tmp, 0777) != 0))
		return 0;
	const char *const args[] = {"-p", dir, "-c", conf, "-e", err_log, NULL};
	if (serve_child_start(n, nginx, args, out, NULL, NULL) != 0)
		return 0;
	for (int i = 0; i < 300 && serve_child_alive(n); i++) { /* at most 30 s */
		int fd = testnet_connect(nginx_port, 5, 5);
		if (fd >= 0) {
			close(fd);
			return 1;
		}
		sleep_ms(100);
	}
	char *text = testkit_read(err_log, NULL), *out_text = serve_child_log(n);
	fprintf(stderr, "nginx did not start:\n%s\n%s\n", text ? text : "",
	        out_text ? out_text : "");
	free(text);
	free(out_text);
	return 0;
}

/* Sends sig to the child (when it runs) and reaps it (at most 60 s, then SIGKILL); for SIGKILL
 * itself serve_child_kill, which reaps it at once. */
static void stop(struct serve_child *c, int sig)
{
	serve_child_signal(c, sig);
	serve_child_wait(c, 60000);
}

/* ---- requests --------------------------------------------------------------------------- */

static char *token(const char *jti)
{
	char aud[160];
	snprintf(aud, sizeof aud, "\"%s" SELECT "\"", public_url);
	return testjwt_token(&key, NULL, ISS, aud, 0, 300, jti);
}

/* POSTs the example to port with `jwt`; the status (0: no answer); *reason the 401's reason
 * class (reason_size bytes; may be NULL). `curl` may be NULL (a handle of its own). */
static long post(CURL *curl, unsigned port, const char *jwt, char *reason, size_t reason_size)
{
	CURL *own = curl ? NULL : curl_easy_init();
	char url[128], *reply = NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%u" SELECT, port);
	long status = httptest_call_bearer(curl ? curl : own, url, body, jwt, 60, &reply);
	if (reason && reason_size) {
		reason[0] = 0;
		cJSON *doc = reply ? cJSON_Parse(reply) : NULL;
		const cJSON *issue =
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "issue"), 0);
		const cJSON *details = cJSON_GetObjectItemCaseSensitive(issue, "details");
		const cJSON *coding =
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(details, "coding"), 0);
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(coding, "code");
		if (cJSON_IsString(code))
			snprintf(reason, reason_size, "%s", code->valuestring);
		cJSON_Delete(doc);
	}
	free(reply);
	curl_easy_cleanup(own);
	return status;
}

/* ---- one token, two replicas at once ---------------------------------------------------- */

static pthread_barrier_t together;

struct use {
	unsigned port;
	const char *jwt;
	long status;
	char reason[64];
};

static void *use_token(void *arg)
{
	struct use *u = arg;
	pthread_barrier_wait(&together); /* both requests leave at once */
	u->status = post(NULL, u->port, u->jwt, u->reason, sizeof u->reason);
	return NULL;
}

/* `rounds` tokens, each sent to x and y at once: 1 when each gave one 200 and one 401 replay. */
static int same_token_at_once(unsigned x, unsigned y, int rounds)
{
	int good = 0;
	pthread_barrier_init(&together, NULL, 2);
	for (int i = 0; i < rounds; i++) {
		char jti[48];
		snprintf(jti, sizeof jti, "at-once-%d", i);
		char *t = token(jti);
		struct use u[2] = {{x, t, 0, ""}, {y, t, 0, ""}};
		pthread_t th[2];
		for (int k = 0; k < 2; k++)
			pthread_create(&th[k], NULL, use_token, &u[k]);
		for (int k = 0; k < 2; k++)
			pthread_join(th[k], NULL);
		int ok = 0, replay = 0;
		for (int k = 0; k < 2; k++) {
			ok += u[k].status == 200;
			replay += u[k].status == 401 && strcmp(u[k].reason, "replay") == 0;
		}
		CHECK(ok == 1 && replay == 1, "token %d at once on A and B: %ld %s, %ld %s", i,
		      u[0].status, u[0].reason, u[1].status, u[1].reason);
		good += ok == 1 && replay == 1;
		free(t);
	}
	pthread_barrier_destroy(&together);
	return good == rounds;
}

/* ---- holding every commit ---------------------------------------------------------------- */

/* A transaction of the test's own that holds the request table in SHARE ROW EXCLUSIVE mode:
 * every replica's commit of a call's rows waits at its request row until `release` (at most
 * 60 s; the replicas' lock_timeout is 10 s) — after the claim of the call's jti, the first
 * statement of the same transaction, which is not committed meanwhile. */
static atomic_int locked, release;

static int hold_request_table(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	(void)ctx;
	int rc = cds__store_exec(c, "LOCK TABLE request IN SHARE ROW EXCLUSIVE MODE", NULL, 0, err);
	atomic_store(&locked, rc == FHIR_OK ? 1 : -1);
	for (int i = 0; rc == FHIR_OK && i < 6000 && !atomic_load(&release); i++)
		sleep_ms(10);
	return rc;
}

static void *locker(void *arg)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__store *s = NULL;
	if (cds__store_open(arg, &s, &err) != FHIR_OK ||
	    cds__store_run(s, 1, hold_request_table, NULL, &err) != FHIR_OK) {
		fprintf(stderr, "lock: %s\n", err.message);
		atomic_store(&locked, -1);
	}
	cds__store_close(s);
	return NULL;
}

/* The value of the unlabelled metric `name` in GET /metrics of the replica on port, or -1. */
static long metric(CURL *curl, unsigned port, const char *name)
{
	char url[96], prefix[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", port);
	snprintf(prefix, sizeof prefix, "\n%s ", name);
	char *text = NULL;
	long value = -1;
	if (httptest_call(curl, url, NULL, 10, &text) != 0 && text) {
		const char *at = strstr(text, prefix);
		if (at)
			value = strtol(at + strlen(prefix), NULL, 10);
	}
	free(text);
	return value;
}

/* Holds every commit (locker) until C has at least one call in flight and each of them waits
 * for its commit (read, checked, assessed; none between its commit and its reply, whose token
 * is claimed for good), then kills C and lets the commits go: C's open transactions roll back.
 * 1 when C was killed so. */
static int kill_mid_request(const char *store, struct serve_child *c, unsigned port_c)
{
	pthread_t th;
	atomic_store(&locked, 0);
	atomic_store(&release, 0);
	pthread_create(&th, NULL, locker, (void *)store);
	for (int i = 0; i < 3000 && !atomic_load(&locked); i++) /* at most 30 s */
		sleep_ms(10);
	CURL *curl = curl_easy_init();
	long waiting = -1, in_flight = -1;
	int ready = 0;
	long long until = now_ms() + 5000; /* well within the replicas' lock_timeout (10 s) */
	while (atomic_load(&locked) == 1 && now_ms() < until && !ready) {
		/* this GET /metrics is in flight too */
		in_flight = metric(curl, port_c, "cds_http_requests_in_flight");
		waiting = metric(curl, port_c, "cds_store_commits_waiting");
		ready = waiting >= 1 && in_flight == waiting + 1;
		if (!ready)
			sleep_ms(20);
	}
	curl_easy_cleanup(curl);
	printf("C killed with %ld calls in flight waiting for their commit\n", ready ? waiting : 0);
	serve_child_kill(c);
	atomic_store(&release, 1);
	pthread_join(th, NULL);
	CHECK(atomic_load(&locked) == 1, "the test held the request table");
	CHECK(ready, "C's calls in flight all wait for their commit (%ld in flight, %ld waiting)",
	      in_flight, waiting);
	return ready;
}

/* ---- load ------------------------------------------------------------------------------- */

static atomic_int pause_wanted, paused, finish;
static atomic_uint sent, answered_ok;
static atomic_uint failed_status[600];

static void *client(void *arg)
{
	unsigned id = (unsigned)(size_t)arg, n = 0;
	CURL *curl = curl_easy_init();
	while (!atomic_load(&finish)) {
		if (atomic_load(&pause_wanted)) { /* between two requests: wait for the kill */
			atomic_fetch_add(&paused, 1);
			while (atomic_load(&pause_wanted) && !atomic_load(&finish))
				sleep_ms(5);
			atomic_fetch_sub(&paused, 1);
			continue;
		}
		char jti[48];
		snprintf(jti, sizeof jti, "load-%u-%u", id, n++);
		char *t = token(jti);
		long status = post(curl, nginx_port, t, NULL, 0);
		free(t);
		atomic_fetch_add(&sent, 1);
		if (status == 200)
			atomic_fetch_add(&answered_ok, 1);
		else
			atomic_fetch_add(&failed_status[status >= 0 && status < 600 ? status : 0],
			                 1);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

/* Waits (bounded) until `count` requests were sent in all. 1 when they were. */
static int wait_sent(unsigned count)
{
	for (int i = 0; i < 12000; i++) { /* at most 120 s */
		if (atomic_load(&sent) >= count)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static int read_count(void *ctx, const char *const *values, size_t columns)
{
	*(long *)ctx = columns > 0 && values[0] ? strtol(values[0], NULL, 10) : -1;
	return 0;
}

static int count_requests(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	return cds__store_query(c, "SELECT COUNT(*) FROM request", NULL, 0, read_count, ctx, err);
}

/* Rows in the shared store's request table (one per service call answered 200), or -1. */
static long stored_requests(const char *url)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__store *s = NULL;
	long n = -1;
	if (cds__store_open(url, &s, &err) != FHIR_OK ||
	    cds__store_run(s, 0, count_requests, &n, &err) != FHIR_OK)
		fprintf(stderr, "store: %s\n", err.message);
	cds__store_close(s);
	return n;
}

/* Lines of nginx's access log ("status upstream_addr upstream_status") that contain `text`. */
static size_t log_lines(const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/access.log", dir);
	char *log = testkit_read(path, NULL);
	size_t count = 0;
	for (char *line = log; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = 0;
		count += strstr(line, text) != NULL;
		line = end ? end + 1 : line + strlen(line);
	}
	free(log);
	return count;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: replicas BINARY SOURCE_DIR\n");
		return 2;
	}
	const char *store = getenv("CDS_TEST_POSTGRES_URL");
	const char *nginx = getenv("NGINX") ? getenv("NGINX") : "/usr/sbin/nginx";
	if (!store || !*store) {
		fprintf(stderr,
		        "FAIL: CDS_TEST_POSTGRES_URL unset (run by tests/store/pg_server.sh)\n");
		return 1;
	}
	if (access(nginx, X_OK) != 0) {
		fprintf(stderr, "SKIP: %s not installed (Debian: nginx)\n", nginx);
		return 77;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(dir, sizeof dir, "/tmp/cds-replicas.XXXXXX");
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	char path[256];
	snprintf(path, sizeof path, "%s/../shared/examples/uk-msk-order-select-knee-injection.json",
	         argv[2]);
	body = testkit_read(path, NULL);
	CHECK(body != NULL, "read %s", path);
	/* the issuer's key (its JWKS) and the patient key the replicas share */
	CHECK(testkey_replica_files(&key, "replicas-k1", dir) == 0, "the replicas' key files");

	int probe = testnet_listen(1, &nginx_port); /* a free port for nginx's configuration */
	CHECK(probe >= 0, "a free port for nginx");
	if (probe >= 0)
		close(probe);
	snprintf(public_url, sizeof public_url, "http://127.0.0.1:%u", nginx_port);
	struct serve_child a = {.pid = -1}, b = {.pid = -1}, c = {.pid = -1}, ngx = {.pid = -1};
	int up = replica(&a, argv[1], "a", store) && replica(&b, argv[1], "b", store) &&
	         replica(&c, argv[1], "c", store);
	unsigned port_a = a.port, port_b = b.port, port_c = c.port;
	CHECK(up, "three replicas listening (%u, %u, %u)", port_a, port_b, port_c);
	int nginx_up = up && write_nginx_conf(argv[2], port_a, port_b, port_c) == 0 &&
	               start_nginx(&ngx, nginx);
	CHECK(nginx_up, "nginx listening on %u", nginx_port);
	if (!nginx_up)
		goto out;

	/* a token accepted by A is a replay on B */
	char reason[64];
	char *t = token("replay-across-replicas");
	CHECK(post(NULL, port_a, t, reason, sizeof reason) == 200, "A accepts a new token");
	long st = post(NULL, port_b, t, reason, sizeof reason);
	CHECK(st == 401 && strcmp(reason, "replay") == 0, "B refuses it: %ld %s", st, reason);
	st = post(NULL, port_a, t, reason, sizeof reason);
	CHECK(st == 401 && strcmp(reason, "replay") == 0, "and A: %ld %s", st, reason);
	free(t);
	/* the same through nginx, twice in a row (round robin: one to each replica) */
	t = token("replay-through-nginx");
	CHECK(post(NULL, nginx_port, t, reason, sizeof reason) == 200, "nginx: accepted");
	st = post(NULL, nginx_port, t, reason, sizeof reason);
	CHECK(st == 401 && strcmp(reason, "replay") == 0, "nginx: replay refused: %ld %s", st,
	      reason);
	free(t);
	/* one token to A and B at once: one card, one replay (claimed in the commit) */
	CHECK(same_token_at_once(port_a, port_b, ROUNDS),
	      "%d tokens each sent to A and B at once: one 200 and one 401 replay each", ROUNDS);

	/* load through nginx; B killed between two requests of every client; load goes on */
	pthread_t threads[CLIENTS];
	for (size_t i = 0; i < CLIENTS; i++)
		pthread_create(&threads[i], NULL, client, (void *)i);
	CHECK(wait_sent(BEFORE_KILL), "load before the kill");
	atomic_store(&pause_wanted, 1);
	for (int i = 0; i < 6000 && atomic_load(&paused) < CLIENTS; i++) /* at most 60 s */
		sleep_ms(10);
	CHECK(atomic_load(&paused) == CLIENTS, "every client between two requests");
	snprintf(path, sizeof path, "127.0.0.1:%u ", port_b); /* B alone, not "B, A" */
	size_t b_before = log_lines(path);
	unsigned sent_at_kill = atomic_load(&sent);
	serve_child_kill(&b);
	atomic_store(&pause_wanted, 0);
	CHECK(wait_sent(sent_at_kill + AFTER_KILL), "load after the kill");
	/* every request so far answered 200 (the last ones in flight are at A or C, alive) */
	unsigned sent_1 = atomic_load(&sent), ok_1 = atomic_load(&answered_ok);
	CHECK(ok_1 == sent_1, "B killed between requests: no failed request (%u of %u)", ok_1,
	      sent_1);
	CHECK(b_before > 0, "B answered requests before it was killed (%zu)", b_before);
	/* "$upstream_addr": "B, X" — nginx tried the dead replica and passed the request on */
	snprintf(path, sizeof path, "127.0.0.1:%u, ", port_b);
	CHECK(log_lines(path) >= 1, "nginx passed a request from the dead B on (%zu)",
	      log_lines(path));

	/* C killed in the middle of the load, its calls waiting for their commit: they are sent to
	 * A again (non_idempotent), which answers them: C never claimed their tokens */
	snprintf(path, sizeof path, "127.0.0.1:%u ", port_c);
	size_t c_before = log_lines(path);
	kill_mid_request(store, &c, port_c);
	CHECK(wait_sent(sent_1 + AFTER_KILL), "load after the second kill");
	atomic_store(&finish, 1);
	for (size_t i = 0; i < CLIENTS; i++)
		pthread_join(threads[i], NULL);

	unsigned total = atomic_load(&sent), ok = atomic_load(&answered_ok);
	snprintf(path, sizeof path, "401 127.0.0.1:%u, ", port_c);
	size_t c_replays = log_lines(path);
	snprintf(path, sizeof path, "200 127.0.0.1:%u, ", port_c);
	size_t c_resent = log_lines(path);
	printf("%u requests through nginx: %u before B was killed between requests, %u before C "
	       "was killed mid-load; %u answered 200; of C's, %zu sent again and answered by A, "
	       "%zu refused as replays\n",
	       total, sent_at_kill, sent_1, ok, c_resent, c_replays);
	for (size_t s = 0; s < 600; s++)
		if (atomic_load(&failed_status[s]))
			fprintf(stderr, "  status %zu: %u requests\n", s,
			        atomic_load(&failed_status[s]));
	CHECK(c_before > 0, "C answered requests before it was killed (%zu)", c_before);
	CHECK(ok == total, "C killed mid-request: no failed request (%u of %u answered 200)", ok,
	      total);
	CHECK(c_resent >= 1, "nginx sent C's requests to A, which answered them (%zu)", c_resent);
	st = 0;
	t = token("after-the-kill");
	CHECK((st = post(NULL, nginx_port, t, reason, sizeof reason)) == 200,
	      "still answering: %ld", st);
	free(t);
	/* the replicas wrote to the one store, each answered call committed before its 200
	 * (replica A's and nginx's accepted replay checks, the tokens sent at once, the load, the
	 * last call), and nothing else: a refused call stores nothing */
	long stored = stored_requests(store);
	CHECK(stored == (long)ok + 3 + ROUNDS,
	      "the store holds every answered call: %ld rows, %u + %d calls", stored, ok,
	      3 + ROUNDS);
out:
	stop(&ngx, SIGQUIT); /* graceful: nginx finishes what it has */
	serve_child_kill(&b);
	serve_child_kill(&c);
	stop(&a, SIGTERM);
	free(body);
	testkey_free(&key);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0, "cleanup");
	curl_global_cleanup();
	return testkit_done();
}
