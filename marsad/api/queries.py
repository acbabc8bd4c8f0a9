"""Read queries behind the API's list/detail routes and the web pages (one place for both).

Lists are pages: ``{"items": [...], "total": N, "limit": L, "offset": O, "next": O+L|None}``,
ordered by a unique key so that paging never repeats or skips a row.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from marsad.errors import NotFound
from marsad.review import queue
from marsad.store.schema import accounts, findings, identifiers, post_identifiers, posts
from marsad.store.tables_media import media
from marsad.store.tables_review import decisions

MAX_LIMIT = 500


def _utc(t: datetime | None) -> datetime | None:
    """Times compare in UTC on both stores (SQLite keeps naive UTC text)."""
    if t is None:
        return None
    t = t.astimezone(timezone.utc) if t.tzinfo else t.replace(tzinfo=timezone.utc)
    return t


def page(conn: Connection, query, order, limit: int, offset: int, shape=dict) -> dict:
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(*order).limit(limit).offset(offset))
    items = [shape(dict(r._mapping)) for r in rows]
    nxt = offset + limit if offset + limit < total else None
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next": nxt}


def _post_filters(query, table, *, platform=None, lang=None, since=None, until=None, time_col=None):
    time_col = time_col if time_col is not None else table.c.created_at
    if platform:
        query = query.where(table.c.platform == platform)
    if lang:
        query = query.where(table.c.lang == lang)
    if since:
        query = query.where(time_col >= _utc(since))
    if until:
        query = query.where(time_col < _utc(until))
    return query


def findings_page(conn: Connection, *, label: str | None = None, platform: str | None = None,
                  lang: str | None = None, min_risk: float | None = None, max_risk: float | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  author_id: str | None = None, identifier: str | None = None,
                  limit: int = 50, offset: int = 0) -> dict:
    """Findings joined with their post's author; ``identifier`` (a phone, handle, wallet or
    URL exactly as the contract writes it) keeps the posts that carry it."""
    query = (select(findings.c.platform, findings.c.post_id, findings.c.label, findings.c.risk,
                    findings.c.scores, findings.c.lang, findings.c.indicators, findings.c.entities,
                    findings.c.route_from, findings.c.route_to, findings.c.price_amount,
                    findings.c.price_currency, findings.c.created_at, findings.c.detector,
                    findings.c.detected_at, posts.c.author_id, posts.c.url)
             .join(posts, and_(posts.c.platform == findings.c.platform, posts.c.id == findings.c.post_id)))
    query = _post_filters(query, findings, platform=platform, lang=lang, since=since, until=until)
    if label:
        query = query.where(findings.c.label == label)
    if min_risk is not None:
        query = query.where(findings.c.risk >= min_risk)
    if max_risk is not None:
        query = query.where(findings.c.risk <= max_risk)
    if author_id:
        query = query.where(posts.c.author_id == author_id)
    if identifier:
        query = query.where(
            select(post_identifiers.c.post_id)
            .join(identifiers, identifiers.c.id == post_identifiers.c.identifier_id)
            .where(identifiers.c.value == identifier, post_identifiers.c.platform == findings.c.platform,
                   post_identifiers.c.post_id == findings.c.post_id).exists())
    return page(conn, query, (findings.c.risk.desc(), findings.c.platform, findings.c.post_id), limit, offset)


def posts_page(conn: Connection, *, platform: str | None = None, author_id: str | None = None,
               lang: str | None = None, since: datetime | None = None, until: datetime | None = None,
               limit: int = 50, offset: int = 0) -> dict:
    query = (select(posts.c.platform, posts.c.id, posts.c.author_id, posts.c.author_handle,
                    posts.c.created_at, posts.c.lang, posts.c.text, posts.c.url, posts.c.sha256,
                    posts.c.ingested_at, findings.c.label, findings.c.risk)
             .outerjoin(findings, and_(findings.c.platform == posts.c.platform, findings.c.post_id == posts.c.id)))
    query = _post_filters(query, posts, platform=platform, lang=lang, since=since, until=until)
    if author_id:
        query = query.where(posts.c.author_id == author_id)
    return page(conn, query, (posts.c.created_at.desc(), posts.c.platform, posts.c.id), limit, offset)


def accounts_page(conn: Connection, *, platform: str | None = None, handle: str | None = None,
                  min_harmful: int = 0, limit: int = 50, offset: int = 0) -> dict:
    """Accounts with their post and harmful-post counts, most harmful first."""
    counts = (select(posts.c.platform, posts.c.author_id, func.count().label("posts"),
                     func.count(findings.c.post_id).filter(findings.c.label != "benign").label("harmful"),
                     func.max(findings.c.risk).label("max_risk"))
              .outerjoin(findings, and_(findings.c.platform == posts.c.platform, findings.c.post_id == posts.c.id))
              .group_by(posts.c.platform, posts.c.author_id).subquery("counts"))
    query = (select(accounts.c.platform, accounts.c.author_id, accounts.c.handle, accounts.c.category,
                    accounts.c.first_seen, accounts.c.last_seen, func.coalesce(counts.c.posts, 0).label("posts"),
                    func.coalesce(counts.c.harmful, 0).label("harmful"), counts.c.max_risk)
             .outerjoin(counts, and_(counts.c.platform == accounts.c.platform,
                                     counts.c.author_id == accounts.c.author_id)))
    if platform:
        query = query.where(accounts.c.platform == platform)
    if handle:
        query = query.where(func.lower(accounts.c.handle).contains(handle.lower().lstrip("@"), autoescape=True))
    if min_harmful:
        query = query.where(func.coalesce(counts.c.harmful, 0) >= min_harmful)
    return page(conn, query, (func.coalesce(counts.c.harmful, 0).desc(), accounts.c.platform,
                              accounts.c.author_id), limit, offset)


def post_detail(conn: Connection, platform: str, post_id: str) -> dict:
    """A post with its finding, account, identifiers, media (hashes and flags, never bytes)
    and decisions."""
    row = conn.execute(select(posts).where(posts.c.platform == platform, posts.c.id == post_id)).first()
    if row is None:
        raise NotFound(f"no post {platform}/{post_id}")
    out = dict(row._mapping)
    out.pop("raw", None)
    fnd = conn.execute(select(findings).where(findings.c.platform == platform,
                                              findings.c.post_id == post_id)).first()
    out["finding"] = dict(fnd._mapping) if fnd else None
    acc = None
    if row.author_id:
        acc = conn.execute(select(accounts).where(accounts.c.platform == platform,
                                                  accounts.c.author_id == row.author_id)).first()
    out["account"] = dict(acc._mapping) if acc else None
    out["identifiers"] = [dict(r._mapping) for r in conn.execute(
        select(identifiers.c.kind, identifiers.c.value)
        .join(post_identifiers, post_identifiers.c.identifier_id == identifiers.c.id)
        .where(post_identifiers.c.platform == platform, post_identifiers.c.post_id == post_id)
        .order_by(identifiers.c.kind, identifiers.c.value))]
    out["media_items"] = [dict(r._mapping) for r in conn.execute(
        select(media.c.id, media.c.media_index, media.c.sha256, media.c.pdq, media.c.width,
               media.c.height, media.c.error, media.c.sensitive)
        .where(media.c.platform == platform, media.c.post_id == post_id).order_by(media.c.media_index))]
    out["decisions"] = [dict(r._mapping) for r in conn.execute(
        select(decisions).where(decisions.c.platform == platform, decisions.c.post_id == post_id)
        .order_by(decisions.c.id))]
    return out


def account_detail(conn: Connection, platform: str, author_id: str, limit: int = 50) -> dict:
    row = conn.execute(select(accounts).where(accounts.c.platform == platform,
                                              accounts.c.author_id == author_id)).first()
    if row is None:
        raise NotFound(f"no account {platform}/{author_id}")
    out = dict(row._mapping)
    out["posts"] = posts_page(conn, platform=platform, author_id=author_id, limit=limit)
    out["labels"] = {r.label: r.n for r in conn.execute(
        select(findings.c.label, func.count().label("n"))
        .join(posts, and_(posts.c.platform == findings.c.platform, posts.c.id == findings.c.post_id))
        .where(posts.c.platform == platform, posts.c.author_id == author_id).group_by(findings.c.label))}
    return out


def dashboard(conn: Connection) -> dict:
    """The counts on the front page."""
    labels = {r.label: r.n for r in conn.execute(
        select(findings.c.label, func.count().label("n")).group_by(findings.c.label))}
    platforms = {r.platform: r.n for r in conn.execute(
        select(posts.c.platform, func.count().label("n")).group_by(posts.c.platform))}
    latest = queue.latest_decisions()
    decided = {r.decision: r.n for r in conn.execute(
        select(latest.c.decision, func.count().label("n")).group_by(latest.c.decision))}
    return {"posts": sum(platforms.values()), "accounts": conn.execute(
                select(func.count()).select_from(accounts)).scalar_one(),
            "labels": labels, "platforms": platforms,
            "queue": {"open": queue.count(conn), "escalated": queue.count(conn, status="escalated")},
            "decisions": decided}
