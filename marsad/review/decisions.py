"""Decisions on queue items: confirm a harm, mark benign, or escalate — always with a reason.

Every decision is a new row (nothing is updated or deleted) and is written to the
hash-chained audit log in the same transaction, so the decision and its log entry stand
or fall together. Who may decide what:

* an analyst decides new items;
* an escalated item, or one already decided, needs a reviewer (a second pair of eyes
  overrules, an analyst cannot quietly change an earlier call).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.engine import Connection

from marsad.errors import Conflict, Forbidden, InputError, NotFound
from marsad.model import HARMS
from marsad.review import audit
from marsad.store.schema import findings, posts
from marsad.store.tables_review import decisions

KINDS = ("harm", "benign", "escalate")
RANKS = {"viewer": 0, "analyst": 1, "reviewer": 2, "admin": 3}   # as api.auth.ROLES
MAX_REASON = 2000


def history(conn: Connection, platform: str, post_id: str) -> list[dict]:
    """Every decision on a post, oldest first."""
    return [dict(r._mapping) for r in conn.execute(
        select(decisions).where(decisions.c.platform == platform, decisions.c.post_id == post_id)
        .order_by(decisions.c.id))]


def decide(conn: Connection, platform: str, post_id: str, decision: str, reason: str, *,
           actor: str, role: str, label: str | None = None) -> dict:
    """Record ``decision`` on a stored post by ``actor`` (holding ``role``); returns the row.

    ``label`` names the harm for ``harm`` decisions (default: the finding's label when it is
    a harm). Raises InputError (bad decision, label or empty reason), NotFound (no such
    post), Forbidden (the role may not decide this item)."""
    if decision not in KINDS:
        raise InputError(f"decision must be one of {', '.join(KINDS)}", field="decision")
    reason = (reason or "").strip()
    if not reason:
        raise InputError("a decision needs a reason", field="reason")
    if len(reason) > MAX_REASON:
        raise InputError(f"reason is longer than {MAX_REASON} characters", field="reason")
    if RANKS.get(role, -1) < RANKS["analyst"]:
        raise Forbidden("deciding needs the analyst role")
    if not conn.execute(select(posts.c.id).where(posts.c.platform == platform, posts.c.id == post_id)).first():
        raise NotFound(f"no post {platform}/{post_id}")
    if decision == "harm":
        if not label:
            found = conn.execute(select(findings.c.label).where(
                findings.c.platform == platform, findings.c.post_id == post_id)).scalar()
            label = found if found in HARMS else None
        if label not in HARMS:
            raise InputError(f"confirming a harm needs its label: one of {', '.join(HARMS)}", field="label")
    else:
        label = None
    previous = history(conn, platform, post_id)
    if previous and RANKS.get(role, -1) < RANKS["reviewer"]:
        if previous[-1]["decision"] == "escalate":
            raise Forbidden("this item was escalated: a reviewer decides it")
        raise Conflict("this item is already decided: a reviewer may overrule it")
    now = datetime.now(timezone.utc)
    details = {"decision": decision, "label": label, "reason": reason, "role": role,
               "previous": previous[-1]["decision"] if previous else None}
    entry = audit.append(conn, actor, f"decision.{decision}", f"post:{platform}/{post_id}", details)
    row = {"platform": platform, "post_id": post_id, "decision": decision, "label": label,
           "reason": reason, "actor": actor, "role": role, "created_at": now,
           "audit_id": _id_of(entry)}
    row["id"] = conn.execute(decisions.insert().values(**row)).inserted_primary_key[0]
    return row


def _id_of(entry) -> int | None:
    """The audit row's id, whether ``append`` returns a mapping or a Row."""
    if entry is None:
        return None
    if isinstance(entry, dict):
        return entry.get("id")
    return getattr(entry, "id", None)
