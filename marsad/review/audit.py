"""Append-only, SHA-256 hash-chained audit log: ``append`` and ``verify``.

Each entry's hash covers the previous entry's hash and the entry's own fields, stored as
the exact text that was hashed (time as ISO text, details as canonical JSON), so a
changed, removed or re-ordered row breaks the chain at that row. ``prev_hash`` is unique,
so two writers racing cannot fork the chain: the loser's transaction fails and nothing
half-written remains.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from marsad.store.tables_review import audit_log

GENESIS = "0" * 64


def canonical(details) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, at: str, actor: str, action: str, subject: str, details: str) -> str:
    payload = "\x1f".join((prev_hash, at, actor, action, subject, details))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(conn: Connection, actor: str, action: str, subject: str, details: dict | None = None) -> dict:
    """Add one entry inside the caller's transaction; returns the stored row as a dict."""
    if conn.dialect.name == "postgresql":   # one appender at a time across connections
        conn.execute(text("SELECT pg_advisory_xact_lock(7361001)"))
    last = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    prev = last or GENESIS
    at = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    body = canonical(details or {})
    row = {"at": at, "actor": actor, "action": action, "subject": subject, "details": body,
           "prev_hash": prev, "hash": entry_hash(prev, at, actor, action, subject, body)}
    row["id"] = conn.execute(audit_log.insert().values(**row)).inserted_primary_key[0]
    return row


def verify(conn: Connection) -> tuple[bool, int | None]:
    """``(True, None)`` when every entry chains to the one before, else ``(False, first_bad_id)``."""
    prev = GENESIS
    for r in conn.execute(select(audit_log).order_by(audit_log.c.id)):
        if r.prev_hash != prev or entry_hash(prev, r.at, r.actor, r.action, r.subject, r.details) != r.hash:
            return False, r.id
        prev = r.hash
    return True, None
