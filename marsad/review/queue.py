"""The review queue: flagged posts awaiting a person's decision, riskiest first.

A post is in the queue while its finding is a harm (or its risk reaches ``min_risk``), or
it was made from a tip-line report, and its latest decision is none or ``escalate``. Escalated items stay in the queue, marked, for
a reviewer; a ``harm`` or ``benign`` decision takes an item out. The queue is a query, not
a table, so re-detection or a new decision is reflected at once and nothing can drift.
"""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select, union
from sqlalchemy.engine import Connection

from marsad.store.schema import findings, posts
from marsad.store.tables_review import decisions, tips

OPEN = ("new", "escalated")
TIP_RISK = 0.5   # where a tip without a finding sorts among detected items


def latest_decisions():
    """Subquery: each post's most recent decision (by id, which only grows)."""
    last = (select(decisions.c.platform, decisions.c.post_id, func.max(decisions.c.id).label("id"))
            .group_by(decisions.c.platform, decisions.c.post_id).subquery("last"))
    return (select(decisions.c.platform, decisions.c.post_id, decisions.c.decision,
                   decisions.c.label.label("decided_label"), decisions.c.actor.label("decided_by"),
                   decisions.c.created_at.label("decided_at"))
            .join(last, decisions.c.id == last.c.id).subquery("latest"))


def _base(min_risk: float, status: str | None, label: str | None, platform: str | None):
    # Candidates: harmful or risky findings, and every post made from a tip (a person's
    # report is reviewed whatever the classifier thought of it). UNION de-duplicates.
    candidates = union(
        select(findings.c.platform, findings.c.post_id)
        .where(or_(findings.c.label != "benign", findings.c.risk >= min_risk)),
        select(tips.c.post_platform, tips.c.post_id)).subquery("candidates")
    latest = latest_decisions()
    query = (select(posts.c.platform, posts.c.id.label("post_id"), findings.c.label,
                    func.coalesce(findings.c.risk, TIP_RISK).label("risk"),
                    findings.c.indicators, findings.c.entities, posts.c.lang,
                    posts.c.created_at, posts.c.text, posts.c.author_id, posts.c.author_handle,
                    posts.c.url, posts.c.media, tips.c.id.label("tip_id"), latest.c.decision,
                    latest.c.decided_by, latest.c.decided_at)
             .select_from(candidates)
             .join(posts, and_(posts.c.platform == candidates.c.platform, posts.c.id == candidates.c.post_id))
             .outerjoin(findings, and_(findings.c.platform == posts.c.platform, findings.c.post_id == posts.c.id))
             .outerjoin(tips, and_(tips.c.post_platform == posts.c.platform, tips.c.post_id == posts.c.id))
             .outerjoin(latest, and_(latest.c.platform == posts.c.platform, latest.c.post_id == posts.c.id)))
    if status == "new":
        query = query.where(latest.c.decision.is_(None))
    elif status == "escalated":
        query = query.where(latest.c.decision == "escalate")
    else:
        query = query.where(or_(latest.c.decision.is_(None), latest.c.decision == "escalate"))
    if label:
        query = query.where(findings.c.label == label)
    if platform:
        query = query.where(posts.c.platform == platform)
    return query


def items(conn: Connection, *, limit: int = 50, offset: int = 0, min_risk: float = 0.5,
          status: str | None = None, label: str | None = None, platform: str | None = None) -> list[dict]:
    """Open items, highest risk first (ties: newest post first, then key, so paging is stable)."""
    query = (_base(min_risk, status, label, platform)
             .order_by(func.coalesce(findings.c.risk, TIP_RISK).desc(), posts.c.created_at.desc(),
                       posts.c.platform, posts.c.id)
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
