"""Append-only, SHA-256 hash-chained audit log: ``append`` and ``verify``.

Each entry's hash covers the previous entry's hash and the entry's own fields, stored as
the exact text that was hashed (time as ISO text, details as canonical JSON), so a
changed, removed or re-ordered row breaks the chain at that row. ``prev_hash`` is unique,
so two writers racing cannot fork the chain: the loser's transaction fails and nothing
half-written remains. The tables refuse UPDATE and DELETE (triggers in
``store/tables_review.py``); the chain is what catches someone who went around them.

What a chain cannot show on its own is a cut-off tail (the newest entries deleted). Every
evidence bundle therefore records the head hash of its moment in its manifest: a head that
later disappears from the chain is proof of truncation.

The hash of an entry, for checking by hand (``docs/evidence.md`` has the shell recipe)::

    sha256( prev_hash US at US actor US action US subject US details )    US = "\\x1f"
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Iterable, Iterator, Mapping

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from marsad.store.tables_review import audit_log

GENESIS = "0" * 64
FIELDS = ("id", "at", "actor", "action", "subject", "details", "prev_hash", "hash")


def canonical(details) -> str:
    """The one JSON spelling that is hashed: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, at: str, actor: str, action: str, subject: str, details: str) -> str:
    payload = "\x1f".join((prev_hash, at, actor, action, subject, details))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def now_text() -> str:
    """UTC now as the log writes times: ``2026-11-23T10:17:35.123456Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def append(conn: Connection, actor: str, action: str, subject: str, details: dict | None = None) -> dict:
    """Add one entry inside the caller's transaction; returns the stored row as a dict.

    The entry is written when the caller's transaction commits, together with whatever it
    records (a decision, a referral, an outcome), so the two stand or fall together."""
    if conn.dialect.name == "postgresql":   # one appender at a time across connections
        conn.execute(text("SELECT pg_advisory_xact_lock(7361001)"))
    last = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    prev = last or GENESIS
    at = now_text()
    body = canonical(details or {})
    row = {"at": at, "actor": actor, "action": action, "subject": subject, "details": body,
           "prev_hash": prev, "hash": entry_hash(prev, at, actor, action, subject, body)}
    row["id"] = conn.execute(audit_log.insert().values(**row)).inserted_primary_key[0]
    return row


def entries(conn: Connection, *, after_id: int = 0, action: str | None = None,
            subject: str | None = None) -> Iterator[dict]:
    """Entries oldest first, streamed (a long log never sits in memory whole)."""
    query = select(audit_log).where(audit_log.c.id > after_id).order_by(audit_log.c.id)
    if action:
        query = query.where(audit_log.c.action == action)
    if subject:
        query = query.where(audit_log.c.subject == subject)
    for r in conn.execution_options(yield_per=2000).execute(query):
        yield dict(r._mapping)


def head(conn: Connection) -> dict | None:
    """The newest entry (its hash is what a bundle or a package anchors), or None."""
    row = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def check_chain(rows: Iterable[Mapping]) -> tuple[bool, int | None, int, str]:
    """``(ok, first_bad_id, entries_checked, head_hash)`` over rows oldest first.

    The same check runs on the live table (``verify``) and on a bundle's ``audit_log.jsonl``
    (``report.evidence.verify_bundle``), so both mean exactly the same thing."""
    prev, n = GENESIS, 0
    for r in rows:
        n += 1
        if r["prev_hash"] != prev or entry_hash(prev, r["at"], r["actor"], r["action"], r["subject"],
                                                r["details"]) != r["hash"]:
            return False, r["id"], n, prev
        prev = r["hash"]
    return True, None, n, prev


def verify(conn: Connection) -> tuple[bool, int | None]:
    """``(True, None)`` when every entry chains to the one before, else ``(False, first_bad_id)``."""
    ok, bad, _, _ = check_chain(entries(conn))
    return ok, bad


def verify_report(conn: Connection) -> dict:
    """``verify`` with the figures a person wants to see: entries checked and the head hash."""
    ok, bad, n, head_hash = check_chain(entries(conn))
    return {"ok": ok, "first_bad_id": bad, "entries": n, "head": head_hash if ok else None}
