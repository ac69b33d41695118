/* teststore.h — one test suite run on each store backend the machine offers: a SQLite file, and
 * the PostgreSQL server of the ctest fixture (tests/store/pg_server.sh) when it runs the test.
 * Test support only. */
#ifndef CDS_TEST_TESTSTORE_H
#define CDS_TEST_TESTSTORE_H

/* Calls suite(url) with "sqlite:DIR/store.db" (dir: a folder of the test's own), then with
 * $CDS_TEST_POSTGRES_URL when it is set and not empty; otherwise prints on stdout that PostgreSQL
 * was not tested here. */
void teststore_each(const char *dir, void (*suite)(const char *url));

#endif
