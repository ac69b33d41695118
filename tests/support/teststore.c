/* teststore.c — a suite on each store backend (teststore.h). Test support only. */
#include <stdio.h>
#include <stdlib.h>

#include "teststore.h"

void teststore_each(const char *dir, void (*suite)(const char *url))
{
	char url[4200];
	snprintf(url, sizeof url, "sqlite:%s/store.db", dir);
	suite(url);
	const char *pg = getenv("CDS_TEST_POSTGRES_URL");
	if (pg && *pg)
		suite(pg);
	else
		printf("PostgreSQL: not tested here (CDS_TEST_POSTGRES_URL unset)\n");
}
