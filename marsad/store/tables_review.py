"""Users, keys, decisions, audit log, referrals, outcomes, tips, evidence (issue: act on findings).
Defined on store.metadata."""

# ---- users, API keys, review decisions (api/auth.py, review/decisions.py) ----------------
# Appended in blocks per owner; add new tables below, do not reorder.
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer,  # noqa: E402
                        String, Table, Text)

from marsad.store.metadata import metadata  # noqa: E402

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("role", String(16), nullable=False),            # viewer | analyst | reviewer | admin
    Column("password_hash", String(255)),                   # scrypt$n$r$p$salt$hash; NULL: no login
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("prefix", String(16), nullable=False),           # first characters, to tell keys apart
    Column("key_hash", String(64), nullable=False, unique=True),   # sha256 hex of the token
    Column("role", String(16), nullable=False),
    Column("name", String(255)),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("post_id", String(255), nullable=False),
    Column("decision", String(16), nullable=False),          # harm | benign | escalate
    Column("label", String(64)),                             # the confirmed harm (decision=harm)
    Column("reason", Text, nullable=False),
    Column("actor", String(255), nullable=False),            # user:NAME or key:ID
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("audit_id", Integer),                             # the audit_log row written with it
    Index("ix_decisions_post", "platform", "post_id", "id"),
)

# ---- audit log (review/audit.py) ----------------------------------------------------------
# Minimal first version written with the decisions; the audit module's owner extends it.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),                # ISO-8601 UTC text: hashed as stored
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(512), nullable=False),
    Column("details", Text, nullable=False),                 # canonical JSON text: hashed as stored
    Column("prev_hash", String(64), nullable=False, unique=True),   # one successor per entry: no forks
    Column("hash", String(64), nullable=False, unique=True),
)

# ---- referrals, outcomes, link checks, tips, evidence (refer/, review/tips.py, report/) ----
# A referral is one package sent to one platform; its items are unique by normalised URL
# (``url_key``), so the same URL asked for twice, by two analysts or two units, is one item
# with two rows in referral_requests. Outcomes and checks are append-only histories; the
# item row carries the latest of each so that stats are one query.
from sqlalchemy import DDL, UniqueConstraint, event  # noqa: E402

referrals = Table(
    "referrals", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False, index=True),
    Column("status", String(16), nullable=False),            # draft | sent
    Column("created_by", String(255), nullable=False),
    Column("unit", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("items", Integer, nullable=False, default=0),
    Column("sha256", String(64)),                            # of the package's canonical JSON
)

referral_items = Table(
    "referral_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("url_key", String(1024), nullable=False, unique=True),   # refer/urls.py: url_key()
    Column("platform", String(32), nullable=False, index=True),    # the platform asked to act
    Column("post_platform", String(32)),                     # the stored post, when there is one
    Column("post_id", String(255)),
    Column("category", String(64), nullable=False),          # a harm label
    Column("policy", Text),                                  # platform policy the item breaks
    Column("legal_basis", Text),
    Column("evidence_sha256", String(64)),                   # raw bytes' SHA-256 of the post
    Column("referral_id", Integer, ForeignKey("referrals.id"), index=True),   # NULL: not packaged yet
    Column("created_by", String(255), nullable=False),
    Column("unit", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("requests", Integer, nullable=False, default=1),
    Column("outcome", String(16)),                           # latest: removed | restricted | declined | no_answer
    Column("outcome_at", DateTime(timezone=True)),           # when the platform acted (or we saw it gone)
    Column("offline_at", DateTime(timezone=True)),           # first check that found it gone
    Column("last_check", String(16)),                        # online | offline | restricted | unknown | error
    Column("last_checked_at", DateTime(timezone=True)),
    Column("next_check_at", DateTime(timezone=True), index=True),
    Column("checks", Integer, nullable=False, default=0),
    Index("ix_referral_items_post", "post_platform", "post_id"),
)

referral_requests = Table(
    "referral_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("referral_items.id"), nullable=False, index=True),
    Column("actor", String(255), nullable=False),
    Column("unit", String(255)),
    Column("source", String(32), nullable=False),            # decision | manual | tip | import
    Column("note", Text),
    Column("requested_at", DateTime(timezone=True), nullable=False),
)

outcomes = Table(
    "outcomes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("referral_items.id"), nullable=False, index=True),
    Column("outcome", String(16), nullable=False),           # removed | restricted | declined | no_answer
    Column("decided_at", DateTime(timezone=True)),           # the platform's time, if it says
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("source", String(16), nullable=False),            # manual | import | checker
    Column("actor", String(255), nullable=False),
    Column("external_ref", String(255)),                     # the platform's ticket/case id
    Column("note", Text),
)

referral_checks = Table(
    "referral_checks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("referral_items.id"), nullable=False, index=True),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("http_status", Integer),
    Column("state", String(16), nullable=False),             # online | offline | restricted | unknown | error
    Column("reason", Text),                                  # "HTTP 410", the matched pattern, the error
)

tips = Table(
    "tips", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("text", Text, nullable=False),
    Column("url", Text),
    Column("contact", Text),                                 # optional; never exported or reported
    Column("category", String(64)),                          # what the reporter thinks it is, if said
    Column("platform", String(32), nullable=False),          # from the URL's host, else "other"
    Column("size", Integer, nullable=False),                 # bytes submitted
    Column("sha256", String(64), nullable=False),            # of the submission as received
    Column("status", String(16), nullable=False),            # queued
    Column("post_platform", String(32), nullable=False),     # the queue item made from it
    Column("post_id", String(255), nullable=False),
)

evidence = Table(
    "evidence", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("post_id", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),            # raw bytes as captured (posts.sha256)
    Column("content_sha256", String(64), nullable=False),    # the stored item's canonical JSON
    Column("captured_at", String(40), nullable=False),       # ISO-8601 UTC text, as sealed
    Column("source", Text),
    Column("line", Integer),
    Column("seal_id", Integer, nullable=False, index=True),  # the audit_log entry that sealed it
    UniqueConstraint("platform", "post_id"),
)

# Append-only at the database too: UPDATE and DELETE on the chained tables are refused.
# (Someone who can drop a trigger can still edit rows; ``audit.verify`` is what catches that.)
APPEND_ONLY = ("audit_log", "evidence")


def append_only_ddl(table: str, dialect: str) -> list[str]:
    """The trigger statements that make ``table`` append-only (used by create_all and by
    the migrations, which create tables without the metadata's events)."""
    if dialect == "sqlite":
        return [f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'append-only table'); END" for verb in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        return ["CREATE OR REPLACE FUNCTION marsad_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'append-only table'; END $$",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION marsad_append_only()"]
    return []


for _table in (audit_log, evidence):
    for _dialect in ("sqlite", "postgresql"):
        for _sql in append_only_ddl(_table.name, _dialect):
            event.listen(_table, "after_create", DDL(_sql).execute_if(dialect=_dialect))
