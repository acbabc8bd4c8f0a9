"""Referral packages: confirmed items grouped per platform, as CSV and JSON.

The flow, each step one call and one audit-log entry:

1. ``add_item`` — ask for a URL to be referred (by hand, from a tip, or ``refer_confirmed``
   for every post a reviewer confirmed as a harm). Items are unique by ``urls.url_key``
   and by stored post: asking again, from another analyst or another unit, adds a row to
   ``referral_requests`` and counts, but never a second item (platforms get each URL once).
2. ``build_packages`` — every item not yet packaged, grouped per platform, becomes one
   package (``referrals`` row) with a SHA-256 over its canonical item list.
3. ``package_doc`` / ``write_package`` — the JSON and CSV sent to the platform: URL, post
   id, category, the platform policy and the legal basis (``platforms.yaml``), and the
   evidence hash of the post as captured. CSV cells are formula-neutralised.
4. ``mark_sent`` — records when it went; the link checker's schedule starts then.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from marsad.errors import Conflict, InputError, NotFound
from marsad.model import HARMS
from marsad.refer import config as refer_config
from marsad.refer import csvsafe, times, urls
from marsad.review import audit
from marsad.store.schema import posts
from marsad.store.tables_review import referral_items, referral_requests, referrals

SOURCES = ("decision", "manual", "tip", "import")
CSV_COLUMNS = ("referral_id", "item_id", "platform", "url", "post_id", "category", "policy",
               "legal_basis", "evidence_sha256", "first_requested_at", "requests")


def _check_category(category: str) -> str:
    if category not in HARMS:
        raise InputError(f"category must be one of {', '.join(HARMS)}", field="category")
    return category


def _item(conn: Connection, item_id: int) -> dict:
    row = conn.execute(select(referral_items).where(referral_items.c.id == item_id)).first()
    if row is None:
        raise NotFound(f"no referral item {item_id}")
    return dict(row._mapping)


def _existing(conn: Connection, key: str, post: tuple[str, str] | None):
    row = conn.execute(select(referral_items).where(referral_items.c.url_key == key)).first()
    if row is None and post:
        row = conn.execute(select(referral_items).where(
            referral_items.c.post_platform == post[0], referral_items.c.post_id == post[1])).first()
    return row


def add_item(conn: Connection, *, url: str, category: str, actor: str, unit: str | None = None,
             source: str = "manual", platform: str | None = None, post: tuple[str, str] | None = None,
             evidence_sha256: str | None = None, note: str | None = None) -> tuple[dict, bool]:
    """Ask for ``url`` to be referred; returns ``(item, created)``.

    ``created`` is False when the URL (in any spelling ``url_key`` folds) or the same
    stored post is already an item: the request is recorded against that item instead."""
    _check_category(category)
    if source not in SOURCES:
        raise InputError(f"source must be one of {', '.join(SOURCES)}", field="source")
    cfg = refer_config.load()
    key = urls.url_key(url)
    platform = platform or cfg.platform_of_host(urls.host(url)) or (post[0] if post else None) or "other"
    now = times.now()
    row, created = _existing(conn, key, post), False
    if row is None:
        values = {"url": url.strip(), "url_key": key, "platform": platform,
                  "post_platform": post[0] if post else None, "post_id": post[1] if post else None,
                  "category": category, "policy": cfg.policy(platform, category),
                  "legal_basis": cfg.legal_basis(category), "evidence_sha256": evidence_sha256,
                  "created_by": actor, "unit": unit, "created_at": now, "requests": 0, "checks": 0}
        try:
            with conn.begin_nested():   # a racing request for the same URL: fall back to it
                item_id = conn.execute(referral_items.insert().values(**values)).inserted_primary_key[0]
            created = True
        except IntegrityError:
            row = _existing(conn, key, post)
            if row is None:
                raise
            item_id = row.id
    else:
        item_id = row.id
    conn.execute(referral_requests.insert().values(item_id=item_id, actor=actor, unit=unit, source=source,
                                                   note=note, requested_at=now))
    conn.execute(update(referral_items).where(referral_items.c.id == item_id)
                 .values(requests=referral_items.c.requests + 1))
    audit.append(conn, actor, "referral.request", f"referral_item:{item_id}",
                 {"url_key": key, "category": category, "unit": unit, "source": source, "new": created})
    return _item(conn, item_id), created


def confirmed_posts(conn: Connection, platform: str | None = None) -> list[dict]:
    """Stored posts whose latest decision confirms a harm and that are not yet an item."""
    from marsad.review.queue import latest_decisions
    latest = latest_decisions()
    query = (select(posts.c.platform, posts.c.id, posts.c.url, posts.c.author_id, posts.c.author_handle,
                    posts.c.sha256, latest.c.decided_label, latest.c.decided_at)
             .join(latest, and_(latest.c.platform == posts.c.platform, latest.c.post_id == posts.c.id))
             .outerjoin(referral_items, and_(referral_items.c.post_platform == posts.c.platform,
                                             referral_items.c.post_id == posts.c.id))
             .where(latest.c.decision == "harm", referral_items.c.id.is_(None))
             .order_by(latest.c.decided_at, posts.c.platform, posts.c.id))
    if platform:
        query = query.where(posts.c.platform == platform)
    return [dict(r._mapping) for r in conn.execute(query)]


def refer_confirmed(conn: Connection, *, actor: str, unit: str | None = None,
                    platform: str | None = None) -> dict:
    """An item for every confirmed post not yet referred. Posts with no URL and no
    permalink template (``platforms.yaml``) are listed under ``skipped`` with the reason."""
    cfg = refer_config.load()
    added, again, skipped = [], [], []
    for p in confirmed_posts(conn, platform):
        url = p["url"] or cfg.permalink(p["platform"], {"post_id": p["id"], "author_id": p["author_id"],
                                                         "author_handle": p["author_handle"]})
        if not url:
            skipped.append({"platform": p["platform"], "post_id": p["id"],
                            "reason": "no URL stored and no permalink template for this platform"})
            continue
        try:
            item, created = add_item(conn, url=url, category=p["decided_label"], actor=actor, unit=unit,
                                     source="decision", platform=p["platform"], post=(p["platform"], p["id"]),
                                     evidence_sha256=p["sha256"])
        except InputError as exc:
            skipped.append({"platform": p["platform"], "post_id": p["id"], "reason": exc.reason})
            continue
        (added if created else again).append(item["id"])
    return {"added": added, "already_referred": again, "skipped": skipped}


def _doc_items(conn: Connection, referral_id: int) -> list[dict]:
    first = (select(referral_requests.c.item_id, func.min(referral_requests.c.requested_at).label("first"))
             .group_by(referral_requests.c.item_id).subquery())
    rows = conn.execute(select(referral_items, first.c.first)
                        .outerjoin(first, first.c.item_id == referral_items.c.id)
                        .where(referral_items.c.referral_id == referral_id).order_by(referral_items.c.id))
    return [{"item_id": r.id, "url": r.url, "platform": r.platform, "post_id": r.post_id,
             "category": r.category, "policy": r.policy, "legal_basis": r.legal_basis,
             "evidence_sha256": r.evidence_sha256, "first_requested_at": times.iso(r.first),
             "requests": r.requests} for r in rows]


def items_digest(items: list[dict]) -> str:
    """SHA-256 of the canonical item list: what the package row and the audit log record."""
    return hashlib.sha256(audit.canonical(items).encode("utf-8")).hexdigest()


def build_packages(conn: Connection, *, actor: str, unit: str | None = None,
                   platform: str | None = None) -> list[dict]:
    """One package per platform from every item not yet packaged; returns the packages."""
    query = (select(referral_items.c.platform, func.count()).where(referral_items.c.referral_id.is_(None))
             .group_by(referral_items.c.platform).order_by(referral_items.c.platform))
    if platform:
        query = query.where(referral_items.c.platform == platform)
    out = []
    for plat, n in conn.execute(query).all():
        ref_id = conn.execute(referrals.insert().values(
            platform=plat, status="draft", created_by=actor, unit=unit, created_at=times.now(),
            items=n)).inserted_primary_key[0]
        conn.execute(update(referral_items).where(referral_items.c.referral_id.is_(None),
                                                  referral_items.c.platform == plat)
                     .values(referral_id=ref_id))
        items = _doc_items(conn, ref_id)
        digest = items_digest(items)
        conn.execute(update(referrals).where(referrals.c.id == ref_id).values(items=len(items), sha256=digest))
        audit.append(conn, actor, "referral.package", f"referral:{ref_id}",
                     {"platform": plat, "items": len(items), "sha256": digest, "unit": unit})
        out.append(package(conn, ref_id))
    return out


def package(conn: Connection, referral_id: int) -> dict:
    row = conn.execute(select(referrals).where(referrals.c.id == referral_id)).first()
    if row is None:
        raise NotFound(f"no referral {referral_id}")
    d = dict(row._mapping)
    d["created_at"], d["sent_at"] = times.iso(d["created_at"]), times.iso(d["sent_at"])
    return d


def list_packages(conn: Connection, *, platform: str | None = None, status: str | None = None,
                  limit: int = 50, offset: int = 0) -> list[dict]:
    query = select(referrals.c.id).order_by(referrals.c.id.desc()).limit(limit).offset(offset)
    if platform:
        query = query.where(referrals.c.platform == platform)
    if status:
        query = query.where(referrals.c.status == status)
    return [package(conn, rid) for rid in conn.execute(query).scalars()]


def package_doc(conn: Connection, referral_id: int) -> dict:
    """The package as sent: header, the items, and the digest of the items."""
    head = package(conn, referral_id)
    items = _doc_items(conn, referral_id)
    cfg = refer_config.load()
    return {"format": "marsad-referral/1",
            "referral": {"id": head["id"], "platform": head["platform"],
                         "platform_name": cfg.name(head["platform"]), "unit": head["unit"],
                         "created_at": head["created_at"], "sent_at": head["sent_at"],
                         "status": head["status"], "items": len(items)},
            "items_sha256": items_digest(items), "items": items}


def to_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def to_csv(doc: dict) -> str:
    rid = doc["referral"]["id"]
    return csvsafe.to_csv(CSV_COLUMNS, ([rid] + [it[c] for c in CSV_COLUMNS[1:]] for it in doc["items"]))


def write_package(doc: dict, out_dir: str | Path) -> list[Path]:
    """``referral-<id>-<platform>.json`` and ``.csv`` in ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"referral-{doc['referral']['id']}-{doc['referral']['platform']}"
    paths = [out / f"{stem}.json", out / f"{stem}.csv"]
    paths[0].write_text(to_json(doc), encoding="utf-8")
    # utf-8-sig: Excel reads Arabic URLs and policy text correctly only with the BOM.
    paths[1].write_text(to_csv(doc), encoding="utf-8-sig", newline="")
    return paths


def mark_sent(conn: Connection, referral_id: int, *, actor: str, at=None) -> dict:
    """Record that the package went to the platform; schedules the first link check."""
    head = package(conn, referral_id)
    if head["status"] == "sent":
        raise Conflict(f"referral {referral_id} was already sent at {head['sent_at']}")
    sent_at = times.parse(at, "sent_at") or times.now()
    first = refer_config.load().checks_after_hours[0]
    conn.execute(update(referrals).where(referrals.c.id == referral_id).values(status="sent", sent_at=sent_at))
    conn.execute(update(referral_items).where(referral_items.c.referral_id == referral_id)
                 .values(next_check_at=sent_at + timedelta(hours=first)))
    audit.append(conn, actor, "referral.sent", f"referral:{referral_id}",
                 {"sent_at": times.iso(sent_at), "sha256": head["sha256"]})
    return package(conn, referral_id)


def item_requests(conn: Connection, item_id: int) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(
        select(referral_requests).where(referral_requests.c.item_id == item_id).order_by(referral_requests.c.id))]
