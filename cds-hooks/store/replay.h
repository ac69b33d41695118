/* replay.h — the jti replay cache kept in the store (issue 14 item 4): one table, `replay`,
 * unique on (iss, jti), shared by every replica on the same PostgreSQL store, so a token
 * accepted by one replica is a replay on any other. Same answers as cds__replay_remember
 * (cds-hooks/replay.c), which remains the cache of a single process. */
#ifndef CDS_STORE_REPLAY_H
#define CDS_STORE_REPLAY_H

#include <time.h>

#include "cds_internal.h"
#include "store/store.h"

/* 1 when `replay_cache` (the --replay-cache value; may be NULL) names a store rather than a
 * file: a postgresql:// or postgres:// URL, or a sqlite: URL of a file (replicas on one host;
 * not sqlite::memory:, which no second connection shares). */
int cds__replay_in_store(const char *replay_cache);

/* CDS Hooks 2.0 §JWT payload jti: remembers (iss, jti) until `expires` (Unix seconds), committed
 * before it returns. CDS__AUTH_OK when new, or when a row for it has expired (at `now`; the row is
 * reused); CDS__AUTH_REPLAY when held and not expired at `now` (by this or any other replica);
 * CDS__AUTH_BUSY when the store cannot be written (fail closed: 503). Rows expired at `now` are
 * purged at most once a minute per process. Thread-safe (the store's lock). */
enum cds__auth_reason cds__store_replay_remember(struct cds__store *store, const char *iss,
                                                 const char *jti, time_t expires, time_t now);
/* The check half of cds__store_replay_remember, when the claim is made later in the call's own
 * commit (cds__store_replay_claim_rows): reads only. CDS__AUTH_REPLAY when (iss, jti) is held and
 * not expired at `now`; CDS__AUTH_OK when not (yet); CDS__AUTH_BUSY when the store cannot be
 * read. Purges like remember. Thread-safe. */
enum cds__auth_reason cds__store_replay_check(struct cds__store *store, const char *iss,
                                              const char *jti, time_t now);
/* Adds to `rows` the claim of (iss, jti) until `expires`, as remember makes it, as a condition
 * (store/rows.h): the job that commits rows is refused (CDS__STORE_REFUSED, nothing of it
 * stored) when the jti is held and not expired at `now` — a concurrent use of the token, on
 * this replica or another, claimed it first. It runs before the other rows (a condition): the
 * transaction waits on the jti's key before it inserts anything. */
struct cds__store_rows;
void cds__store_replay_claim_rows(struct cds__store_rows *rows, const char *iss, const char *jti,
                                  time_t expires, time_t now);
/* Deletes every row expired at `now`. *removed (may be NULL) receives how many. FHIR_OK or
 * FHIR_ERR_IO. */
int cds__store_replay_purge(struct cds__store *store, time_t now, size_t *removed,
                            struct fhir_error *err);

#endif
