"""Batch writes into the store, idempotent on (platform, id).

Why the pre-select: asking which keys of a batch are already stored (one indexed query)
gives exact new/duplicate counts on both SQLite and PostgreSQL and lets a resumed run skip
detection for what a crashed run already committed. Inserts still say ON CONFLICT DO
NOTHING, so two writers racing on the same batch cannot duplicate a row either.
"""
from __future__ import annotations

import json
from functools import lru_cache

from datetime import datetime, timezone
from typing import Iterable, Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from marsad.model import Finding, Post
from marsad.normalize.post import parse_time
from marsad.store.schema import identifiers, post_identifiers

# Entity list name -> identifier kind (prices and places are findings' facts, not identifiers).
IDENTIFIER_KINDS = {"phones": "phone", "handles": "handle", "wallets": "wallet", "urls": "url"}


def _insert(conn: Connection, table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


POST_COLUMNS = ("platform", "id", "author_id", "author_handle", "created_at", "lang", "text", "url",
                "conversation_id", "reply_to", "media", "messages", "raw", "sha256", "source", "line",
                "ingested_at")


FINDING_COLUMNS = ("platform", "post_id", "label", "risk", "scores", "indicators", "entities", "lang",
                   "route_from", "route_to", "price_amount", "price_currency", "created_at", "detector",
                   "detected_at")


def _time(conn: Connection, t: datetime | None):
    """SQLite stores SQLAlchemy DateTimes as naive UTC text; PostgreSQL takes the object."""
    if t is None or conn.dialect.name != "sqlite":
        return t
    return _sqlite_time(t)


@lru_cache(maxsize=8192)   # a post's time is written to posts and to accounts
def _sqlite_time(t: datetime) -> str:
    # SQLAlchemy's SQLite DateTime storage format; isoformat is 5x faster than strftime.
    return t.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


# One encoder for every row: json.dumps(..., ensure_ascii=False) builds a new JSONEncoder on
# each call, which cost more than the encoding (15 µs a finding's three columns).
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _json(value) -> str | None:
    return _encode(value) if value else None


def _marks(conn: Connection, n: int) -> str:
    return ", ".join(["?" if conn.dialect.name == "sqlite" else "%s"] * n)


def existing_keys(conn: Connection, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (platform, id) of ``keys`` are stored. Hot path: driver SQL, not ORM compilation."""
    by_platform: dict[str, list[str]] = {}
    for plat, pid in keys:
        by_platform.setdefault(plat, []).append(pid)
    found: set[tuple[str, str]] = set()
    for plat, ids in by_platform.items():
        if conn.dialect.name == "postgresql":   # one array parameter: IN (...500 params) plans slowly
            rows = conn.exec_driver_sql("SELECT id FROM posts WHERE platform = %s AND id = ANY(%s)", (plat, ids))
            found.update((plat, r[0]) for r in rows)
            continue
        for i in range(0, len(ids), 500):   # SQLite's bound-parameter limit
            chunk = ids[i:i + 500]
            sql = f"SELECT id FROM posts WHERE platform = {_marks(conn, 1)} AND id IN ({_marks(conn, len(chunk))})"
            found.update((plat, r[0]) for r in conn.exec_driver_sql(sql, (plat, *chunk)))
    return found


def insert_posts(conn: Connection, batch: Sequence[Post]) -> None:
    """Insert new posts; on PostgreSQL through COPY into a staging table (~10x executemany)."""
    if not batch:
        return
    now = _time(conn, datetime.now(timezone.utc))
    rows = [(p.platform, p.id, p.author_id, p.author_handle, _time(conn, parse_time(p.created_at)), p.lang,
             p.text, p.url, p.conversation_id, p.reply_to, _json(list(p.media)), _json(list(p.messages)),
             _json(p.raw), p.sha256, p.source, p.line, now) for p in batch]
    _bulk(conn, "posts", POST_COLUMNS, rows, "ON CONFLICT DO NOTHING")


def _bulk(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple], conflict: str) -> None:
    """INSERT rows with an ON CONFLICT clause. PostgreSQL: COPY into a session staging table,
    then one INSERT ... SELECT (row-at-a-time inserts measured ~10x slower there)."""
    cols = ", ".join(columns)
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({_marks(conn, len(columns))}) {conflict}", rows)
        return
    cur = conn.connection.dbapi_connection.cursor()
    stage = f"{table}_stage"
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cur.execute(f"INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage} {conflict}")
    cur.execute(f"TRUNCATE {stage}")


def upsert_accounts(conn: Connection, batch: Iterable[Post]) -> None:
    """Accounts seen in ``batch``: created once, first/last seen widened, handle kept fresh."""
    seen: dict[tuple[str, str], list] = {}
    for p in batch:
        if not p.author_id:
            continue
        t = parse_time(p.created_at)
        row = seen.get((p.platform, p.author_id))
        if row is None:
            category = (p.raw.get("page_category") or p.raw.get("author_category")) if p.raw else None
            seen[(p.platform, p.author_id)] = [p.platform, p.author_id, p.author_handle, category, t, t]
            continue
        if t is not None:
            row[4] = min(filter(None, (row[4], t)))
            row[5] = max(filter(None, (row[5], t)))
        row[2] = p.author_handle or row[2]
    if not seen:
        return
    rows = [(a, b, h, c, _time(conn, f), _time(conn, last)) for a, b, h, c, f, last in seen.values()]
    t = "t" if conn.dialect.name == "postgresql" else "accounts"   # the target's alias
    _bulk(conn, "accounts", ("platform", "author_id", "handle", "category", "first_seen", "last_seen"), rows,
          "ON CONFLICT (platform, author_id) DO UPDATE SET "
          f"handle = COALESCE(excluded.handle, {t}.handle), "
          f"category = COALESCE(excluded.category, {t}.category), "
          f"first_seen = CASE WHEN {t}.first_seen IS NULL OR excluded.first_seen < {t}.first_seen "
          f"THEN excluded.first_seen ELSE {t}.first_seen END, "
          f"last_seen = CASE WHEN {t}.last_seen IS NULL OR excluded.last_seen > {t}.last_seen "
          f"THEN excluded.last_seen ELSE {t}.last_seen END")


def upsert_findings(conn: Connection, batch: Sequence[tuple[Post, Finding]], detector: str) -> None:
    """One finding per post and detector run; re-detection replaces the previous one."""
    if not batch:
        return
    now = _time(conn, datetime.now(timezone.utc))
    dumps = _encode
    rows = []
    for post, f in batch:
        route = f.routes[0] if f.routes else {}
        price = (f.entities.get("prices") or [{}])[0]
        shown = [{"category": i.category, "text": i.text, "start": i.start, "end": i.end, "kind": i.kind}
                 for i in f.indicators]
        rows.append((post.platform, post.id, f.label, f.risk, dumps(f.scores), dumps(shown),
                     dumps(f.entities), f.lang, route.get("from"), route.get("to"),
                     price.get("amount"), price.get("currency"), _time(conn, parse_time(post.created_at)),
                     detector, now))
    # Driver SQL with JSON serialised here, like insert_posts: SQLAlchemy's per-row bind
    # processing of three JSON columns cost ~100 µs a finding, as much as detecting it.
    update = ", ".join(f"{c} = excluded.{c}" for c in FINDING_COLUMNS[2:])
    _bulk(conn, "findings", FINDING_COLUMNS, rows, f"ON CONFLICT (platform, post_id) DO UPDATE SET {update}")
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
