"""The review queue: flagged posts awaiting a person's decision, riskiest first.

A post is in the queue while its finding is a harm (or its risk reaches ``min_risk``) and
its latest decision is none or ``escalate``. Escalated items stay in the queue, marked, for
a reviewer; a ``harm`` or ``benign`` decision takes an item out. The queue is a query, not
a table, so re-detection or a new decision is reflected at once and nothing can drift.
"""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from marsad.store.schema import findings, posts
from marsad.store.tables_review import decisions

OPEN = ("new", "escalated")


def latest_decisions():
    """Subquery: each post's most recent decision (by id, which only grows)."""
    last = (select(decisions.c.platform, decisions.c.post_id, func.max(decisions.c.id).label("id"))
            .group_by(decisions.c.platform, decisions.c.post_id).subquery("last"))
    return (select(decisions.c.platform, decisions.c.post_id, decisions.c.decision,
                   decisions.c.label.label("decided_label"), decisions.c.actor.label("decided_by"),
                   decisions.c.created_at.label("decided_at"))
            .join(last, decisions.c.id == last.c.id).subquery("latest"))


def _base(min_risk: float, status: str | None, label: str | None, platform: str | None):
    latest = latest_decisions()
    query = (select(findings.c.platform, findings.c.post_id, findings.c.label, findings.c.risk,
                    findings.c.indicators, findings.c.entities, findings.c.lang,
                    findings.c.created_at, posts.c.text, posts.c.author_id, posts.c.author_handle,
                    posts.c.url, posts.c.media, latest.c.decision, latest.c.decided_by,
                    latest.c.decided_at)
             .join(posts, and_(posts.c.platform == findings.c.platform, posts.c.id == findings.c.post_id))
             .outerjoin(latest, and_(latest.c.platform == findings.c.platform,
                                     latest.c.post_id == findings.c.post_id))
             .where(or_(findings.c.label != "benign", findings.c.risk >= min_risk)))
    if status == "new":
        query = query.where(latest.c.decision.is_(None))
    elif status == "escalated":
        query = query.where(latest.c.decision == "escalate")
    else:
        query = query.where(or_(latest.c.decision.is_(None), latest.c.decision == "escalate"))
    if label:
        query = query.where(findings.c.label == label)
    if platform:
        query = query.where(findings.c.platform == platform)
    return query


def items(conn: Connection, *, limit: int = 50, offset: int = 0, min_risk: float = 0.5,
          status: str | None = None, label: str | None = None, platform: str | None = None) -> list[dict]:
    """Open items, highest risk first (ties: newest post first, then key, so paging is stable)."""
    query = (_base(min_risk, status, label, platform)
             .order_by(findings.c.risk.desc(), findings.c.created_at.desc(), findings.c.platform,
                       findings.c.post_id)
             .limit(limit).offset(offset))
    out = []
    for row in conn.execute(query):
        item = dict(row._mapping)
        item["status"] = "escalated" if item["decision"] == "escalate" else "new"
        out.append(item)
    return out


def count(conn: Connection, *, min_risk: float = 0.5, status: str | None = None,
          label: str | None = None, platform: str | None = None) -> int:
    sub = _base(min_risk, status, label, platform).subquery()
    return conn.execute(select(func.count()).select_from(sub)).scalar_one()
