/* test_store_replay.c — the jti replay cache in the store (issue 14 item 4;
 * cds-hooks/store/replay.h): two store connections stand for two replicas. A jti accepted by one
 * is a replay on the other; the same jti from another issuer is a different token; an expired
 * row is taken over; the purge removes expired rows only; replicas racing on one token accept it
 * exactly once; a store that cannot be written refuses (BUSY), never accepts. On SQLite (one
 * file, two connections) always; on PostgreSQL too when CDS_TEST_POSTGRES_URL names a server
 * (tests/store/pg_server.sh). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/replay.h"
#include "testdir.h"
#include "testkit.h"
#include "teststore.h"

#define NOW    ((time_t)1900000000)
#define RACERS 8

struct racer {
	struct cds__store *store;
	enum cds__auth_reason answer;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	r->answer = cds__store_replay_remember(r->store, "https://ehr.example/race", "jti-race",
	                                       NOW + 300, NOW);
	return NULL;
}

static int count_rows(void *ctx, const char *const *values, size_t columns)
{
	*(size_t *)ctx = columns > 0 && values[0] ? strtoul(values[0], NULL, 10) : 0;
	return 0;
}

static int select_count(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	return cds__store_query(c, "SELECT COUNT(*) FROM replay", NULL, 0, count_rows, ctx, err);
}

static size_t rows(struct cds__store *s)
{
	size_t n = 0;
	struct fhir_error err = {{0}, {0}};
	CHECK(cds__store_run(s, 0, select_count, &n, &err) == FHIR_OK, "count: %s", err.message);
	return n;
}

static int drop_table(struct cds__store_conn *c, void *ctx, struct fhir_error *err)
{
	(void)ctx;
	return cds__store_exec(c, "DROP TABLE replay", NULL, 0, err);
}

static void suite(const char *url)
{
	struct fhir_error err = {{0}, {0}};
	struct cds__store *a = NULL, *b = NULL;
	CHECK(cds__store_open(url, &a, &err) == FHIR_OK, "replica a: %s", err.message);
	CHECK(cds__store_open(url, &b, &err) == FHIR_OK, "replica b: %s", err.message);
	if (!a || !b)
		goto out;
	const char *iss = "https://ehr.example/fhir", *other = "https://other.example";
	/* accepted once, then a replay on either replica */
	CHECK(cds__store_replay_remember(a, iss, "jti-1", NOW + 300, NOW) == CDS__AUTH_OK, "new");
	CHECK(cds__store_replay_remember(a, iss, "jti-1", NOW + 300, NOW + 1) == CDS__AUTH_REPLAY,
	      "replay on the same replica");
	CHECK(cds__store_replay_remember(b, iss, "jti-1", NOW + 300, NOW + 2) == CDS__AUTH_REPLAY,
	      "replay on the other replica");
	/* the key is (iss, jti) */
	CHECK(cds__store_replay_remember(b, other, "jti-1", NOW + 300, NOW) == CDS__AUTH_OK,
	      "same jti, another issuer");
	/* a row that expired is taken over, and from then on guards the new expiry */
	CHECK(cds__store_replay_remember(a, iss, "jti-2", NOW + 10, NOW) == CDS__AUTH_OK, "jti-2");
	CHECK(cds__store_replay_remember(b, iss, "jti-2", NOW + 10, NOW + 10) == CDS__AUTH_REPLAY,
	      "still live at its expiry second");
	CHECK(cds__store_replay_remember(b, iss, "jti-2", NOW + 400, NOW + 11) == CDS__AUTH_OK,
	      "expired row reused");
	CHECK(cds__store_replay_remember(a, iss, "jti-2", NOW + 400, NOW + 300) == CDS__AUTH_REPLAY,
	      "reused row guards its new expiry");
	/* text that needs quoting, and the longest jti and issuer auth.c lets through */
	char long_jti[CDS__JTI_MAX_BYTES + 1], long_iss[CDS__ISS_MAX_BYTES + 1];
	memset(long_jti, 'j', sizeof long_jti - 1);
	long_jti[sizeof long_jti - 1] = 0;
	memset(long_iss, 'i', sizeof long_iss - 1);
	long_iss[sizeof long_iss - 1] = 0;
	CHECK(cds__store_replay_remember(a, "x'); DROP TABLE replay; --", "j'", NOW + 300, NOW) ==
	          CDS__AUTH_OK,
	      "quoted text");
	CHECK(cds__store_replay_remember(a, long_iss, long_jti, NOW + 300, NOW) == CDS__AUTH_OK,
	      "longest iss and jti");
	CHECK(cds__store_replay_remember(b, long_iss, long_jti, NOW + 300, NOW) == CDS__AUTH_REPLAY,
	      "longest iss and jti, replayed");
	size_t before = rows(a);
	CHECK(before == 5, "rows %zu", before);

	/* the purge removes expired rows only */
	size_t removed = 99;
	CHECK(cds__store_replay_purge(b, NOW + 301, &removed, &err) == FHIR_OK, "%s", err.message);
	CHECK(removed == 4 && rows(a) == 1, "purged %zu, left %zu", removed, rows(a));
	CHECK(cds__store_replay_remember(a, iss, "jti-2", NOW + 400, NOW + 302) == CDS__AUTH_REPLAY,
	      "live row kept by the purge");
	CHECK(cds__store_replay_remember(a, iss, "jti-1", NOW + 600, NOW + 302) == CDS__AUTH_OK,
	      "purged row is free again");

	/* replicas racing on one token: exactly one accepts it */
	struct racer racers[RACERS];
	pthread_t threads[RACERS];
	size_t ok = 0, replays = 0;
	for (size_t i = 0; i < RACERS; i++) {
		racers[i].store = NULL;
		CHECK(cds__store_open(url, &racers[i].store, &err) == FHIR_OK, "racer: %s",
		      err.message);
	}
	for (size_t i = 0; i < RACERS; i++)
		CHECK(pthread_create(&threads[i], NULL, race, &racers[i]) == 0, "thread");
	for (size_t i = 0; i < RACERS; i++) {
		pthread_join(threads[i], NULL);
		ok += racers[i].answer == CDS__AUTH_OK;
		replays += racers[i].answer == CDS__AUTH_REPLAY;
		cds__store_close(racers[i].store);
	}
	CHECK(ok == 1 && replays == RACERS - 1, "race: %zu accepted, %zu replays", ok, replays);

	/* a store that cannot be written: refused (503), never accepted */
	CHECK(cds__store_run(a, 1, drop_table, NULL, &err) == FHIR_OK, "drop: %s", err.message);
	CHECK(cds__store_replay_remember(b, iss, "jti-9", NOW + 300, NOW) == CDS__AUTH_BUSY,
	      "fail closed");
out:
	cds__store_close(a);
	cds__store_close(b);
}

int main(void)
{
	char dir[] = "/tmp/test_store_replay.XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	teststore_each(dir, suite);
	CHECK(testdir_remove(dir) == 0, "cleanup");
	return testkit_done();
}
