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
