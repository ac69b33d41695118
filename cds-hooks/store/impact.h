/* impact.h — policy impact (issue 13 item 5): re-assesses the request bodies a store kept
 * against a proposed policy set, offline, each at the instant it was received, and compares
 * every new decision with the stored one for the same order and policy. impact.c reads and
 * replays, impact_tally.c counts and builds the report, impact_cmd.c is
 * `cds-commissioning impact`. Read-only on the store. Prefix cds__ (cds-hooks/ internal). */
#ifndef CDS_STORE_IMPACT_H
#define CDS_STORE_IMPACT_H

#include <stdio.h>

#include "cds_internal.h"

#define CDS__IMPACT_DEFAULT_EXAMPLES 3   /* hook instances shown per changed transition */
#define CDS__IMPACT_MAX_EXAMPLES     100 /* --examples at most */
#define CDS__IMPACT_BATCH            32  /* request keys read from the store per page */

/* What to compare. Strings BORROWED for the call. */
struct cds__impact_options {
	const char *store_url;    /* sqlite:PATH / postgresql://… (store.h); an absent SQLite
	                             file is refused, never created */
	const char *policies_dir; /* the proposed policy set, loaded as `serve --policies` does */
	const char *config_file;  /* NULL, or a deployment.json replacing the set's (as --config) */
	const char *from;         /* NULL or the first received_at included, store text form
	                             ("2026-10-01T00:00:00.000Z"); cds__report_parse_bound makes
	                             it, as for `report`) */
	const char *to;           /* NULL or the end, excluded: [from, to), as `report` counts */
	size_t examples;          /* hook instances kept per changed transition (0: none) */
};

/* Runs the comparison. The policy set's load errors go to rep as (file, JSON pointer,
 * message), as `check` prints them; then FHIR_ERR_INVALID and *report NULL. A store that
 * cannot be opened or read: FHIR_ERR_IO with err naming it (never a password). Otherwise
 * FHIR_OK and *report (NEW, cJSON_Delete) — the JSON form documented in the README "Policy
 * impact": {"store", "policySet", "deployment", "from", "to", "requests": {...},
 * "decisions": {"compared", "changed", "newlyTriggered", "noLongerTriggered"},
 * "policies": [per policy: "transitions", "criteria", ...], "notReplayable": [...],
 * "unreadable": [...]}. Bodies are read one at a time, their keys a page at a time: memory does
 * not grow with the number of stored requests. */
int cds__impact_run(const struct cds__impact_options *o, const struct engine_reporter *rep,
                    cJSON **report, struct fhir_error *err);

/* Prints the report as text tables (the command's default format). */
void cds__impact_print(const cJSON *report, FILE *out);

/* How many decisions changed in the report (outcome flips, newly and no longer triggered
 * orders, and decisions a 412 replaced): what --fail-on-flip tests. */
size_t cds__impact_changed(const cJSON *report);

/* ---- the counts behind the report (impact_tally.c; used by impact.c) ---------------------- */

/* The new "decision" of an order whose request a 412 answered on replay (not a decision code). */
#define CDS__IMPACT_DATA_UNAVAILABLE "data-unavailable"

/* How one stored request went. */
enum cds__impact_request {
	CDS__IMPACT_REPLAYED,       /* assessed again: its decisions were compared */
	CDS__IMPACT_NOT_REPLAYABLE, /* its data came (or would come) from fhirServer */
	CDS__IMPACT_UNREADABLE,     /* the body (or received_at) is not a request we can assess */
};

/* Per policy: old → new decision counts with example hook instances, criteria whose state
 * changed; per request: how it went, with examples. Opaque. */
struct cds__impact_tally;
/* NEW (cds__impact_tally_free): keeping `examples` hook instances per changed transition and
 * per request kind. */
struct cds__impact_tally *cds__impact_tally_new(size_t examples);
void cds__impact_tally_free(struct cds__impact_tally *t); /* accepts NULL */
/* One (order, policy) pair: old and new decision codes (NULL: none — not triggered, or no
 * stored decision; new CDS__IMPACT_DATA_UNAVAILABLE), the versions that decided (NULL when
 * unknown). Strings are copied. */
void cds__impact_tally_decision(struct cds__impact_tally *t, const char *policy,
                                const char *old_version, const char *new_version,
                                const char *old_decision, const char *new_decision,
                                const char *hook_instance);
/* A criterion of that pair whose state changed (old or new NULL: not assessed). */
void cds__impact_tally_criterion(struct cds__impact_tally *t, const char *policy,
                                 const char *criterion, const char *old_state,
                                 const char *new_state);
/* One request: `kind`, and for the not replayable and unreadable ones why (`reason`). */
void cds__impact_tally_request(struct cds__impact_tally *t, enum cds__impact_request kind,
                               const char *hook_instance, const char *received_at,
                               const char *reason);
/* Adds "requests" (replayed, notReplayable, unreadable), "decisions", "policies",
 * "notReplayable" and "unreadable" to `report`. */
void cds__impact_tally_json(struct cds__impact_tally *t, cJSON *report);

/* `cds-commissioning impact`: argv[0] is "impact". Returns the exit status: 0 it ran, 1 an
 * error (store, policy set), 2 usage, 3 with --fail-on-flip when a decision changed. */
int cds__impact_command(int argc, char **argv);

#endif
