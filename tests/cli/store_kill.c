/* store_kill.c — nothing acknowledged is lost (issue 13 item 2), end to end on the real `serve`
 * binary with a SQLite store: several client threads keep service calls (each with its own
 * hookInstance) and feedback on the cards they got coming over loopback; once enough have been
 * answered, the service is killed with SIGKILL mid-load (no chance to flush anything). Then the
 * store is re-opened and must hold every decision whose call got a 200 (its hookInstance, with
 * the card uuid the client received) and every feedback item that got a 200 (linked to its
 * card). Pass/fail counts rows, never durations; every wait is bounded.
 * Usage: store_kill BINARY SOURCE_DIR */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "httpclient.h"
#include "serve_child.h"
#include "store/store.h"
#include "testdir.h"
#include "testkit.h"

#define THREADS     4
#define MAX_ACKED   100000
#define WANT_CALLS  120 /* answered service calls before the kill */
#define WANT_ITEMS  60  /* answered feedback bodies before the kill */
#define SELECT_PATH "/cds-services/commissioning-order-select"

static unsigned port;
static char *knee; /* the example request body, its hookInstance replaced per call */
static atomic_int stop;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct acked {
	char instance[64], card[64];
	int feedback; /* 1: the card's feedback got a 200 too */
} acked[MAX_ACKED];
static size_t calls, items, errors_after_kill;

/* POSTs `body` to `path` on the reused handle; the status (0: no whole reply). NEW *reply. */
static long post(CURL *curl, const char *path, const char *body, char **reply)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
	return httptest_call(curl, url, body, 20L, reply);
}

static void *client(void *arg)
{
	long t = (long)arg;
	CURL *curl = curl_easy_init();
	for (long i = 0; curl && !atomic_load(&stop); i++) {
		char instance[64], *reply = NULL;
		snprintf(instance, sizeof instance, "kill-%ld-%ld", t, i);
		cJSON *req = cJSON_Parse(knee);
		cJSON_ReplaceItemInObjectCaseSensitive(req, "hookInstance",
		                                       cJSON_CreateString(instance));
		char *body = cJSON_PrintUnformatted(req);
		cJSON_Delete(req);
		long status = post(curl, SELECT_PATH, body, &reply);
		free(body);
		cJSON *res = status == 200 ? cJSON_Parse(reply) : NULL;
		free(reply);
		const cJSON *card =
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "cards"), 0);
		const cJSON *uuid = cJSON_GetObjectItemCaseSensitive(card, "uuid");
		size_t slot = MAX_ACKED;
		pthread_mutex_lock(&lock);
		if (status != 200 && atomic_load(&stop))
			errors_after_kill++;
		if (status == 200 && cJSON_IsString(uuid) && calls < MAX_ACKED) {
			slot = calls++;
			snprintf(acked[slot].instance, sizeof acked[slot].instance, "%s", instance);
			snprintf(acked[slot].card, sizeof acked[slot].card, "%s",
			         uuid->valuestring);
		}
		pthread_mutex_unlock(&lock);
		if (slot == MAX_ACKED) {
			cJSON_Delete(res);
			if (status != 200)
				sleep_ms(20); /* the service is gone: do not spin */
			continue;
		}
		char fb[512];
		snprintf(fb, sizeof fb,
		         "{\"feedback\":[{\"card\":\"%s\",\"outcome\":\"overridden\","
		         "\"outcomeTimestamp\":\"2026-12-01T10:00:00Z\",\"overrideReason\":"
		         "{\"reason\":{\"code\":\"kill-test\"}}}]}",
		         uuid->valuestring);
		cJSON_Delete(res);
		status = post(curl, SELECT_PATH "/feedback", fb, &reply);
		free(reply);
		pthread_mutex_lock(&lock);
		if (status == 200) {
			acked[slot].feedback = 1;
			items++;
		}
		pthread_mutex_unlock(&lock);
	}
	curl_easy_cleanup(curl);
	return NULL;
}

struct count {
	const char *sql;
	const char *params[2];
	unsigned long n;
};

static int read_n(void *ctx, const char *const *values, size_t columns)
{
	*(unsigned long *)ctx = columns && values[0] ? strtoul(values[0], NULL, 10) : 0;
	return 0;
}

static int count_tx(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	struct count *q = ctx;
	return cds__store_query(c, q->sql, q->params, q->params[1] ? 2 : 1, read_n, &q->n, err);
}

static unsigned long count(struct cds__store *s, const char *sql, const char *a, const char *b)
{
	struct count q = {sql, {a, b}, 0};
	struct fhir_error err = {{0}, {0}};
	if (cds__store_run(s, 0, count_tx, &q, &err) != FHIR_OK) {
		CHECK(0, "%s: %s", sql, err.message);
		return 0;
	}
	return q.n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: store_kill BINARY SOURCE_DIR\n");
		return 2;
	}
	char dir[256], path[1024], err_path[600], url[600];
	CHECK(testdir_make(dir, sizeof dir, "test-kill") == 0, "temporary folder");
	snprintf(path, sizeof path, "%s/../shared/examples/uk-msk-order-select-knee-injection.json",
	         argv[2]);
	knee = testkit_read(path, NULL);
	CHECK(knee != NULL, "the knee example: %s", path);
	snprintf(err_path, sizeof err_path, "%s/serve.err", dir);
	snprintf(url, sizeof url, "sqlite:%s/store.db", dir);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	const char *const args[] = {"serve", "--port",  "0", "--decision-log",
	                            "-",     "--store", url, "--replay-cache",
	                            "-",     NULL};
	struct serve_child child;
	if (serve_child_start(&child, argv[1], args, err_path, NULL, NULL) == 0)
		port = serve_child_port(&child, 20000);
	CHECK(port != 0, "serve starts with a SQLite store");
	if (!port || !knee) {
		serve_child_kill(&child);
		return testkit_done();
	}

	pthread_t threads[THREADS];
	for (long t = 0; t < THREADS; t++)
		pthread_create(&threads[t], NULL, client, (void *)t);
	size_t c = 0, f = 0;
	for (int i = 0; i < 1200; i++) { /* at most 120 s for the load to build up */
		pthread_mutex_lock(&lock);
		c = calls;
		f = items;
		pthread_mutex_unlock(&lock);
		if (c >= WANT_CALLS && f >= WANT_ITEMS)
			break;
		sleep_ms(100);
	}
	CHECK(c >= WANT_CALLS && f >= WANT_ITEMS, "load: %zu calls and %zu feedback answered", c,
	      f);
	serve_child_signal(&child, SIGKILL); /* mid-load: the clients are still sending */
	serve_child_wait(&child, 60000);
	int st = child.status;
	atomic_store(&stop, 1);
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the service died of SIGKILL");
	printf("killed after %zu answered calls and %zu answered feedback bodies; %zu requests "
	       "failed after the kill\n",
	       calls, items, errors_after_kill);

	struct cds__store *store = NULL;
	struct fhir_error err = {{0}, {0}};
	CHECK(cds__store_open(url, &store, &err) == FHIR_OK, "the store re-opens: %s", err.message);
	size_t lost_calls = 0, lost_items = 0;
	for (size_t i = 0; store && i < calls; i++) {
		if (count(store,
		          "SELECT COUNT(*) FROM request r JOIN decision d ON d.request_id = r.id "
		          "WHERE r.hook_instance = $1 AND d.card_uuid = $2",
		          acked[i].instance, acked[i].card) == 0) {
			lost_calls++;
			fprintf(stderr, "lost: the decision of %s (card %s)\n", acked[i].instance,
			        acked[i].card);
		}
		if (acked[i].feedback &&
		    count(store,
		          "SELECT COUNT(*) FROM feedback WHERE card_uuid = $1 AND card_known = 1",
		          acked[i].card, NULL) != 1) {
			lost_items++;
			fprintf(stderr, "lost: the feedback on card %s\n", acked[i].card);
		}
	}
	CHECK(lost_calls == 0, "every answered call's decision is in the store (%zu of %zu lost)",
	      lost_calls, calls);
	CHECK(lost_items == 0, "every answered feedback item is in the store (%zu of %zu lost)",
	      lost_items, items);
	cds__store_close(store);
	free(knee);
	curl_global_cleanup();
	CHECK(testdir_remove(dir) == 0, "cleanup");
	return testkit_done();
}
