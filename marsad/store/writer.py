"""Batch writes into the store, idempotent on (platform, id).

Why the pre-select: asking which keys of a batch are already stored (one indexed query)
gives exact new/duplicate counts on both SQLite and PostgreSQL and lets a resumed run skip
detection for what a crashed run already committed. Inserts still say ON CONFLICT DO
NOTHING, so two writers racing on the same batch cannot duplicate a row either.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import case, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from marsad.model import Finding, Post
from marsad.normalize.post import parse_time
from marsad.store.schema import accounts, findings, identifiers, post_identifiers, posts

# Entity list name -> identifier kind (prices and places are findings' facts, not identifiers).
IDENTIFIER_KINDS = {"phones": "phone", "handles": "handle", "wallets": "wallet", "urls": "url"}


def _insert(conn: Connection, table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def existing_keys(conn: Connection, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for i in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
        chunk = keys[i:i + 500]
        rows = conn.execute(select(posts.c.platform, posts.c.id)
                            .where(tuple_(posts.c.platform, posts.c.id).in_(chunk)))
        found.update((r[0], r[1]) for r in rows)
    return found


def insert_posts(conn: Connection, batch: Sequence[Post]) -> None:
    now = datetime.now(timezone.utc)
    rows = [{
        "platform": p.platform, "id": p.id, "author_id": p.author_id, "author_handle": p.author_handle,
        "created_at": parse_time(p.created_at), "lang": p.lang, "text": p.text, "url": p.url,
        "conversation_id": p.conversation_id, "reply_to": p.reply_to,
        "media": list(p.media) or None, "messages": list(p.messages) or None, "raw": p.raw or None,
        "sha256": p.sha256, "source": p.source, "line": p.line, "ingested_at": now,
    } for p in batch]
    if rows:
        conn.execute(_insert(conn, posts).on_conflict_do_nothing(index_elements=["platform", "id"]), rows)


def upsert_accounts(conn: Connection, batch: Iterable[Post]) -> None:
    seen: dict[tuple[str, str], dict] = {}
    for p in batch:
        if not p.author_id:
            continue
        t = parse_time(p.created_at)
        row = seen.setdefault((p.platform, p.author_id), {
            "platform": p.platform, "author_id": p.author_id, "handle": p.author_handle,
            "category": (p.raw.get("page_category") or p.raw.get("author_category")) if p.raw else None,
            "first_seen": t, "last_seen": t})
        if t is not None:
            row["first_seen"] = min(filter(None, (row["first_seen"], t)))
            row["last_seen"] = max(filter(None, (row["last_seen"], t)))
        row["handle"] = p.author_handle or row["handle"]
    if not seen:
        return
    stmt = _insert(conn, accounts)
    ex = stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=["platform", "author_id"], set_={
        "handle": case((ex.handle.is_(None), accounts.c.handle), else_=ex.handle),
        "category": case((ex.category.is_(None), accounts.c.category), else_=ex.category),
        "first_seen": case((accounts.c.first_seen.is_(None), ex.first_seen),
                           (ex.first_seen < accounts.c.first_seen, ex.first_seen),
                           else_=accounts.c.first_seen),
        "last_seen": case((accounts.c.last_seen.is_(None), ex.last_seen),
                          (ex.last_seen > accounts.c.last_seen, ex.last_seen),
                          else_=accounts.c.last_seen),
    })
    conn.execute(stmt, list(seen.values()))


def upsert_findings(conn: Connection, batch: Sequence[tuple[Post, Finding]], detector: str) -> None:
    """One finding per post and detector run; re-detection replaces the previous one."""
    if not batch:
        return
    now = datetime.now(timezone.utc)
    rows = []
    for post, f in batch:
        route = f.routes[0] if f.routes else {}
        price = (f.entities.get("prices") or [{}])[0]
        rows.append({
            "platform": post.platform, "post_id": post.id, "label": f.label, "risk": f.risk,
            "scores": f.scores, "indicators": [i.as_dict() | {"kind": i.kind} for i in f.indicators],
            "entities": f.entities, "lang": f.lang, "route_from": route.get("from"),
            "route_to": route.get("to"), "price_amount": price.get("amount"),
            "price_currency": price.get("currency"), "created_at": parse_time(post.created_at),
            "detector": detector, "detected_at": now})
    stmt = _insert(conn, findings)
    cols = {c: stmt.excluded[c] for c in rows[0] if c not in ("platform", "post_id")}
    conn.execute(stmt.on_conflict_do_update(index_elements=["platform", "post_id"], set_=cols), rows)
    link_identifiers(conn, [(p.platform, p.id, f.entities) for p, f in batch])


def identifier_rows(entities: dict) -> list[tuple[str, str]]:
    out = []
    for key, kind in IDENTIFIER_KINDS.items():
        for value in entities.get(key) or ():
            out.append((kind, str(value)[:512]))
    return out


def link_identifiers(conn: Connection, items: Sequence[tuple[str, str, dict]]) -> None:
    """Identifiers as rows, and which post carries which (the edges networks are built from)."""
    pairs = {(plat, pid, kv) for plat, pid, ents in items for kv in identifier_rows(ents)}
    if not pairs:
        return
    values = sorted({kv for *_, kv in pairs})
    conn.execute(_insert(conn, identifiers).on_conflict_do_nothing(index_elements=["kind", "value"]),
                 [{"kind": k, "value": v} for k, v in values])
    ids: dict[tuple[str, str], int] = {}
    for i in range(0, len(values), 400):
        chunk = values[i:i + 400]
        for row in conn.execute(select(identifiers.c.id, identifiers.c.kind, identifiers.c.value)
                                .where(tuple_(identifiers.c.kind, identifiers.c.value).in_(chunk))):
            ids[(row.kind, row.value)] = row.id
    conn.execute(_insert(conn, post_identifiers).on_conflict_do_nothing(), [
        {"platform": plat, "post_id": pid, "identifier_id": ids[kv]} for plat, pid, kv in sorted(pairs)])
