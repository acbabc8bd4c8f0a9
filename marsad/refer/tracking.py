"""What platforms did with referred items, and how fast.

Outcomes: ``removed``, ``restricted`` (geo-blocked, age-gated, withheld), ``declined``,
``no_answer``. Each is an ``outcomes`` row (who recorded it, from where: by hand, an
imported platform response file, or the link checker) and the item carries the latest.
"The latest word wins": a platform's later answer replaces the checker's observation,
and the checker's ``offline_at`` is kept apart so both facts stay visible.

``stats`` gives, per platform and category, items sent, each outcome, removal rate
(removed / sent) and median hours from sending to removal. Items sent more than
``no_answer_after_days`` ago with no outcome count as ``no_answer`` without anyone having
to record it.
"""
from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from marsad.errors import InputError, NotFound
from marsad.refer import config as refer_config
from marsad.refer import times, urls
from marsad.review import audit
from marsad.store.tables_review import outcomes, referral_items, referrals

OUTCOMES = ("removed", "restricted", "declined", "no_answer")
# How platforms word their answers -> our outcome (lower-cased, spaces and dashes as "_").
OUTCOME_WORDS = {
    "removed": "removed", "remove": "removed", "taken_down": "removed", "takedown": "removed",
    "deleted": "removed", "content_removed": "removed", "actioned": "removed", "disabled": "removed",
    "account_removed": "removed", "suspended": "removed", "account_suspended": "removed",
    "restricted": "restricted", "geo_blocked": "restricted", "geoblocked": "restricted",
    "withheld": "restricted", "age_restricted": "restricted", "limited": "restricted",
    "country_withheld": "restricted",
    "declined": "declined", "rejected": "declined", "no_violation": "declined", "no_action": "declined",
    "not_actioned": "declined", "not_removed": "declined", "refused": "declined",
    "no_answer": "no_answer", "no_response": "no_answer", "unanswered": "no_answer",
}
FIELDS = {
    "item_id": ("item_id", "marsad_item_id", "our_ref", "reference", "ref"),
    "url": ("url", "link", "content_url", "reported_url"),
    "outcome": ("outcome", "status", "action", "decision", "result"),
    "decided_at": ("decided_at", "actioned_at", "action_time", "date", "time", "timestamp", "updated_at"),
    "external_ref": ("external_ref", "ticket", "ticket_id", "case_id", "report_id", "case"),
    "note": ("note", "notes", "comment", "comments", "reason"),
}


def outcome_word(value) -> str:
    word = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if word not in OUTCOME_WORDS:
        raise InputError(f"unknown outcome {value!r}; one of {', '.join(OUTCOMES)} (or a platform's "
                         "wording such as 'taken down', 'geo-blocked', 'no violation')", field="outcome")
    return OUTCOME_WORDS[word]


def record_outcome(conn: Connection, item_id: int, outcome: str, *, actor: str, decided_at=None,
                   source: str = "manual", external_ref: str | None = None, note: str | None = None) -> dict:
    """Record what happened to one item; it becomes the item's current outcome."""
    outcome = outcome_word(outcome)
    if conn.execute(select(referral_items.c.id).where(referral_items.c.id == item_id)).first() is None:
        raise NotFound(f"no referral item {item_id}")
    now = times.now()
    decided = times.parse(decided_at, "decided_at")
    row = {"item_id": item_id, "outcome": outcome, "decided_at": decided, "recorded_at": now,
           "source": source, "actor": actor, "external_ref": external_ref, "note": note}
    row["id"] = conn.execute(outcomes.insert().values(**row)).inserted_primary_key[0]
    conn.execute(update(referral_items).where(referral_items.c.id == item_id)
                 .values(outcome=outcome, outcome_at=decided or now))
    audit.append(conn, actor, "referral.outcome", f"referral_item:{item_id}",
                 {"outcome": outcome, "decided_at": times.iso(decided), "source": source,
                  "external_ref": external_ref})
    return row


def history(conn: Connection, item_id: int) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(
        select(outcomes).where(outcomes.c.item_id == item_id).order_by(outcomes.c.id))]


# ---- platform response files -----------------------------------------------------------
def _rows(data: bytes, name: str) -> list[tuple[int, dict]]:
    """(line, row) from a CSV, a JSON list / {"items": [...]} / {"results": [...]}, or JSONL."""
    text = data.decode("utf-8-sig", errors="replace")
    stripped = text.lstrip()
    if name.lower().endswith(".csv") or not stripped.startswith(("[", "{")):
        return [(n, row) for n, row in enumerate(csv.DictReader(io.StringIO(text)), 2)]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append((n, json.loads(line)))
                except json.JSONDecodeError as exc:
                    out.append((n, {"__error__": f"invalid JSON: {exc.msg}"}))
        return out
    if isinstance(doc, dict):
        doc = next((doc[k] for k in ("items", "results", "reports", "data") if isinstance(doc.get(k), list)), [doc])
    return [(n, row) for n, row in enumerate(doc, 1)]


def _field(row: dict, name: str):
    lowered = {str(k).strip().lower(): v for k, v in row.items()}
    for alias in FIELDS[name]:
        value = lowered.get(alias)
        if value not in (None, ""):
            return value
    return None


def import_responses(conn: Connection, data: bytes, *, name: str = "response.csv", actor: str,
                     platform: str | None = None) -> dict:
    """Record the outcomes in a platform's response file (CSV or JSON).

    A row names its item by our ``item_id`` (as in the package) or by URL; rows that match
    no item, or whose outcome or time cannot be read, come back in ``errors`` with their
    line and the rest is recorded. Returns ``{"recorded", "errors"}``."""
    recorded, errors = 0, []
    for line, row in _rows(data, name):
        where = {"file": name, "line": line}
        if not isinstance(row, dict) or "__error__" in row:
            errors.append(where | {"error": (row or {}).get("__error__", "not an object")})
            continue
        try:
            item_id = _field(row, "item_id")
            url = _field(row, "url")
            if item_id is not None:
                try:
                    item_id = int(str(item_id).strip())
                except ValueError:
                    raise InputError(f"item id {item_id!r} is not a number", field="item_id")
                if platform:
                    owner = conn.execute(select(referral_items.c.platform)
                                         .where(referral_items.c.id == item_id)).scalar()
                    if owner is not None and owner != platform:
                        raise InputError(f"item {item_id} was referred to {owner}, not {platform}",
                                         field="item_id")
            elif url:
                query = select(referral_items.c.id).where(referral_items.c.url_key == urls.url_key(str(url)))
                if platform:
                    query = query.where(referral_items.c.platform == platform)
                item_id = conn.execute(query).scalar()
                if item_id is None:
                    raise InputError(f"no referred item has the URL {url!r}", field="url")
            else:
                raise InputError("a row needs item_id or url", field="item_id")
            note = _field(row, "note")
            record_outcome(conn, item_id, _field(row, "outcome"), actor=actor,
                           decided_at=_field(row, "decided_at"), source="import",
                           external_ref=str(_field(row, "external_ref") or "")[:255] or None,
                           note=str(note)[:2000] if note else None)
            recorded += 1
        except (InputError, NotFound) as exc:
            reason = exc.reason if isinstance(exc, InputError) else str(exc)
            errors.append(where | {"field": getattr(exc, "field", None), "error": reason})
    audit.append(conn, actor, "referral.import", f"file:{Path(name).name}",
                 {"recorded": recorded, "errors": len(errors), "platform": platform})
    return {"recorded": recorded, "errors": errors}


# ---- figures ---------------------------------------------------------------------------
def _hours(start, end) -> float | None:
    start, end = times.utc(start), times.utc(end)
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() / 3600)


def _blank() -> dict:
    return {"sent": 0, "removed": 0, "restricted": 0, "declined": 0, "no_answer": 0, "pending": 0,
            "offline_seen": 0, "hours": []}


def _finish(key: dict, acc: dict) -> dict:
    hours = sorted(acc.pop("hours"))
    sent = acc["sent"]
    return key | acc | {
        "removal_rate": round(acc["removed"] / sent, 4) if sent else None,
        "action_rate": round((acc["removed"] + acc["restricted"]) / sent, 4) if sent else None,
        "median_hours_to_removal": round(statistics.median(hours), 2) if hours else None,
        "removal_hours": [round(h, 2) for h in hours]}


def item_rows(conn: Connection, *, since=None, until=None, platform: str | None = None,
              category: str | None = None) -> list[dict]:
    """Sent items with their package's sent time (the base of every figure)."""
    query = (select(referral_items.c.id, referral_items.c.platform, referral_items.c.category,
                    referral_items.c.post_platform, referral_items.c.post_id, referral_items.c.outcome,
                    referral_items.c.outcome_at, referral_items.c.offline_at, referrals.c.sent_at)
             .join(referrals, referrals.c.id == referral_items.c.referral_id)
             .where(referrals.c.status == "sent"))
    if since is not None:
        query = query.where(referrals.c.sent_at >= times.parse(since, "from"))
    if until is not None:
        query = query.where(referrals.c.sent_at < times.parse(until, "to"))
    if platform:
        query = query.where(referral_items.c.platform == platform)
    if category:
        query = query.where(referral_items.c.category == category)
    return [dict(r._mapping) for r in conn.execute(query)]


def effective_outcome(row: dict, now, no_answer_days: float) -> str:
    """The item's outcome, with silence past the deadline read as ``no_answer``."""
    if row["outcome"]:
        return row["outcome"]
    sent = times.utc(row["sent_at"])
    if sent is not None and now - sent >= timedelta(days=no_answer_days):
        return "no_answer"
    return "pending"


def stats(conn: Connection, *, since=None, until=None, platform: str | None = None,
          category: str | None = None, now=None) -> dict:
    """Removal figures per platform, per category, per (platform, category), and in total."""
    now = times.utc(times.parse(now, "now")) if now else times.now()
    days = refer_config.load().no_answer_after_days
    groups: dict[str, dict] = {"by_platform": defaultdict(_blank), "by_category": defaultdict(_blank),
                               "by_platform_category": defaultdict(_blank), "total": defaultdict(_blank)}
    for r in item_rows(conn, since=since, until=until, platform=platform, category=category):
        outcome = effective_outcome(r, now, days)
        hours = _hours(r["sent_at"], r["outcome_at"]) if outcome == "removed" else None
        for name, key in (("by_platform", (r["platform"],)), ("by_category", (r["category"],)),
                          ("by_platform_category", (r["platform"], r["category"])), ("total", ())):
            acc = groups[name][key]
            acc["sent"] += 1
            acc[outcome] += 1
            acc["offline_seen"] += r["offline_at"] is not None
            if hours is not None:
                acc["hours"].append(hours)
    names = {"by_platform": ("platform",), "by_category": ("category",),
             "by_platform_category": ("platform", "category"), "total": ()}
    out = {name: [_finish(dict(zip(names[name], key)), acc) for key, acc in sorted(groups[name].items())]
           for name in names}
    out["total"] = out["total"][0] if out["total"] else _finish({}, _blank())
    out["no_answer_after_days"] = days
    return out
