/* migrations.c — the store's schema, as versioned migrations (issue 13 item 1: "same schema,
 * versioned migrations applied at start"). Portable SQL that SQLite 3.40 and PostgreSQL 15 both
 * run unchanged: TEXT, INTEGER and BIGINT columns only, text UUID keys (no engine-specific
 * auto-increment), ISO 8601 UTC timestamps as TEXT. A released migration is never edited: a
 * change is a new entry at the end.
 *
 * What is stored, and why (README "What the store keeps"): no access tokens, no names, no free
 * text from the record or from clinicians' comments; the patient only as a keyed HMAC of their
 * id; request bodies only when the deployment enables it (for policy impact), purged after their
 * retention period. */
#include "backend.h"

static const char *const migrations[] = {
    /* 1: decisions, criteria, feedback, the JWT replay cache */
    "CREATE TABLE request (\n"
    "  id TEXT PRIMARY KEY,\n"         /* a UUID the service gives each assessed request */
    "  received_at TEXT NOT NULL,\n"   /* ISO 8601 UTC, milliseconds */
    "  service TEXT NOT NULL,\n"       /* the CDS service id */
    "  hook TEXT NOT NULL,\n"          /* order-select / order-sign */
    "  hook_instance TEXT NOT NULL,\n" /* the request's hookInstance */
    "  deployment TEXT NOT NULL,\n"    /* deployment.json "name" */
    "  policy_set TEXT NOT NULL,\n"    /* "sha256:<hex>" of the policy set that decided */
    "  patient TEXT,\n"                /* hex HMAC-SHA256 of context.patientId; NULL: none */
    "  body TEXT,\n"                   /* the request as received, only when enabled; NULL
                                          otherwise and after the purge */
    "  body_expires_at TEXT\n"         /* when the purge removes body */
    ");\n"
    "CREATE INDEX request_received ON request (received_at);\n"
    "CREATE INDEX request_hook_instance ON request (hook_instance);\n"
    "CREATE TABLE decision (\n"
    "  id TEXT PRIMARY KEY,\n" /* the decision record's id */
    "  request_id TEXT NOT NULL REFERENCES request (id),\n"
    "  decided_at TEXT NOT NULL,\n"        /* ISO 8601 UTC */
    "  commissioner TEXT NOT NULL,\n"      /* e.g. hny-icb */
    "  commissioner_determined_by TEXT,\n" /* responsibleCommissioner.determinedBy */
    "  policy TEXT NOT NULL,\n"            /* policy id */
    "  policy_version TEXT NOT NULL,\n"
    "  order_ref TEXT NOT NULL,\n"          /* "ServiceRequest/<id>" */
    "  decision TEXT NOT NULL,\n"           /* the record's decision code */
    "  recommendations TEXT NOT NULL,\n"    /* JSON array of recommendation codes */
    "  outcomes TEXT NOT NULL,\n"           /* JSON array of outcome ids */
    "  matched_on_text INTEGER NOT NULL,\n" /* 1: triggered by text, 0: by code */
    "  card_uuid TEXT,\n"                   /* the card shown for it; NULL: none */
    "  card_indicator TEXT,\n"              /* info / warning / critical; NULL: no card */
    "  suggestions TEXT NOT NULL\n"         /* JSON array of the card's suggestion uuids */
    ");\n"
    "CREATE INDEX decision_request ON decision (request_id);\n"
    "CREATE INDEX decision_card ON decision (card_uuid);\n"
    "CREATE INDEX decision_time ON decision (decided_at);\n"
    "CREATE INDEX decision_policy ON decision (commissioner, policy, policy_version);\n"
    "CREATE TABLE criterion (\n"
    "  decision_id TEXT NOT NULL REFERENCES decision (id),\n"
    "  criterion TEXT NOT NULL,\n" /* the policy's criterion id ("A") */
    "  state TEXT NOT NULL,\n"     /* met / not-met / unknown */
    "  evidence TEXT NOT NULL,\n"  /* JSON array of FHIR references */
    "  PRIMARY KEY (decision_id, criterion)\n"
    ");\n"
    "CREATE TABLE feedback (\n"
    "  id TEXT PRIMARY KEY,\n"       /* a UUID the service gives each item */
    "  received_at TEXT NOT NULL,\n" /* ISO 8601 UTC */
    "  service TEXT NOT NULL,\n"
    "  card_uuid TEXT NOT NULL,\n"     /* the item's card */
    "  card_known INTEGER NOT NULL,\n" /* 1: a stored decision has this card */
    "  outcome TEXT NOT NULL,\n"       /* accepted / overridden */
    "  outcome_at TEXT,\n"             /* outcomeTimestamp as sent */
    "  override_reason_system TEXT,\n" /* overrideReason.reason (a Coding) */
    "  override_reason_code TEXT,\n"
    "  override_reason_display TEXT,\n"      /* the display of the card's own option */
    "  has_user_comment INTEGER NOT NULL,\n" /* the comment's text is never stored */
    "  accepted_suggestions TEXT NOT NULL\n" /* JSON array of suggestion uuids */
    ");\n"
    "CREATE INDEX feedback_card ON feedback (card_uuid);\n"
    "CREATE INDEX feedback_time ON feedback (received_at);\n"
    "CREATE TABLE replay (\n" /* accepted JWT ids until they expire */
    "  iss TEXT NOT NULL,\n"
    "  jti TEXT NOT NULL,\n"
    "  expires_at BIGINT NOT NULL,\n" /* Unix seconds */
    "  PRIMARY KEY (iss, jti)\n"
    ");\n"
    "CREATE INDEX replay_expires ON replay (expires_at);\n",
    /* 2: one row the writer rewrites while writing fails, to learn when it works again
     * (writer.h); the reads never use it */
    "CREATE TABLE writer_probe (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  written_at TEXT NOT NULL\n" /* ISO 8601 UTC of the last probe */
    ");\n"
    "INSERT INTO writer_probe (id, written_at) VALUES (1, '');\n",
};

const char *const *cds__store_migrations(size_t *count)
{
	*count = sizeof migrations / sizeof migrations[0];
	return migrations;
}

int cds__store_schema_version(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}
