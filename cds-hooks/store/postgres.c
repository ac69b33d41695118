/* postgres.c — the PostgreSQL backend of the store (Debian libpq-dev). Not in this build yet:
 * cds__store_open refuses postgresql:// URLs with "this build has no backend for it". */
#include "backend.h"

const struct cds__store_backend *cds__store_postgres_backend(void)
{
	return NULL;
}
