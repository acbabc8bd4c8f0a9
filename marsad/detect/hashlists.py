"""Hash lists in the store, and matching media against them with per-list thresholds,
negative lists and a flood guard. File shapes: ``hashlist_formats``.

Why a flood guard: a hash of a blank frame or a logo slipped into a list would "match"
thousands of ordinary posts. When a hash (or a whole list) matches far more in the last
window than it usually does, it is quarantined: its matches are still recorded, with
status ``quarantined``, but not returned as findings until someone releases it.
Why negative lists: hashes of known false positives (a news agency's photo, a meme) that
should never trigger a finding; a media item within a negative list's threshold has its
positive matches recorded as ``suppressed``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Iterable, Iterator

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from marsad import settings
from marsad.detect.hashlist_formats import (HashRecord, normalize_category, read_hashes,
                                            write_hashes)
from marsad.errors import Conflict, InputError, NotFound
from marsad.store.tables_media import hash_lists, list_hashes, media_matches


# --- the store ----------------------------------------------------------------------------

def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _utc(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


def get_list(conn: Connection, name: str):
    row = conn.execute(select(hash_lists).where(hash_lists.c.name == name)).mappings().first()
    if row is None:
        raise NotFound(f"no hash list named {name!r}")
    return row


def import_list(engine: Engine, path: str | Path, *, name: str, category: str, source: str,
                fmt: str = "auto", kind: str = "positive", threshold: int | None = None,
                signal_type: str = "pdq", description: str | None = None) -> dict:
    """Create list ``name`` (or add to it) from a file. Returns counts and row errors.

    Re-importing the same file adds nothing (hashes are unique per list)."""
    if kind not in ("positive", "negative"):
        raise InputError(f"list kind must be positive or negative, not {kind!r}")
    category = normalize_category(category)
    result = read_hashes(path, fmt, signal_type)
    wrong = "NEGATIVE_CLASS" if kind == "positive" else "POSITIVE_CLASS"
    for rec in [r for r in result.records if (r.opinion or "").upper() == wrong]:
        result.records.remove(rec)
        result.errors.append(InputError(f"{rec.opinion} row left out of a {kind} list",
                                        source=str(path), field="category"))
    now = utcnow()
    with engine.begin() as conn:
        row = conn.execute(select(hash_lists).where(hash_lists.c.name == name)).mappings().first()
        if row is None:
            list_id = conn.execute(insert(hash_lists).values(
                name=name, source=source, category=category, kind=kind,
                threshold=threshold if threshold is not None else settings.get("PDQ_THRESHOLD"),
                description=description, enabled=True, revision=1, created_at=now,
                updated_at=now)).inserted_primary_key[0]
        else:
            if row["category"] != category or row["kind"] != kind:
                raise Conflict(f"list {name!r} exists as {row['kind']} {row['category']}; "
                               f"not adding {kind} {category} hashes to it")
            list_id = row["id"]
            changes = {"updated_at": now, "revision": row["revision"] + 1}
            if threshold is not None:
                changes["threshold"] = threshold
            conn.execute(update(hash_lists).where(hash_lists.c.id == list_id).values(**changes))
        existing = {(r.signal_type, r.value) for r in conn.execute(
            select(list_hashes.c.signal_type, list_hashes.c.value)
            .where(list_hashes.c.list_id == list_id))}
        fresh, seen = [], set(existing)
        for rec in result.records:
            key = (rec.signal_type, rec.value)
            if key in seen:
                continue
            seen.add(key)
            fresh.append({"list_id": list_id, "signal_type": rec.signal_type, "value": rec.value,
                          "tags": list(rec.tags), "external_id": rec.external_id, "added_at": now})
        for start in range(0, len(fresh), 5000):
            conn.execute(insert(list_hashes), fresh[start:start + 5000])
    return {"list": name, "read": len(result.records), "added": len(fresh),
            "duplicates": len(result.records) - len(fresh),
            "errors": [e.as_dict() for e in result.errors]}


def iter_list_records(engine: Engine, name: str) -> Iterator[HashRecord]:
    with engine.connect() as conn:
        lst = get_list(conn, name)
        rows = conn.execute(select(list_hashes).where(list_hashes.c.list_id == lst["id"])
                            .order_by(list_hashes.c.id)).mappings().all()
    for r in rows:
        yield HashRecord(r["signal_type"], r["value"], tuple(r["tags"] or ()), r["external_id"])


def export_list(engine: Engine, name: str, fmt: str, out: IO[str]) -> int:
    with engine.connect() as conn:
        lst = get_list(conn, name)
    opinion = "NEGATIVE_CLASS" if lst["kind"] == "negative" else "POSITIVE_CLASS"
    return write_hashes(iter_list_records(engine, name), fmt, out, collab=name, opinion=opinion)


def list_lists(engine: Engine) -> list[dict]:
    """Every list with its hash count, match counts and quarantine state."""
    with engine.connect() as conn:
        counts = dict(conn.execute(select(list_hashes.c.list_id, func.count())
                                   .group_by(list_hashes.c.list_id)).all())
        held = dict(conn.execute(select(list_hashes.c.list_id, func.count())
                                 .where(list_hashes.c.quarantined_at.is_not(None))
                                 .group_by(list_hashes.c.list_id)).all())
        matches = {}
        for lid, status, n in conn.execute(select(media_matches.c.list_id, media_matches.c.status,
                                                  func.count())
                                           .group_by(media_matches.c.list_id, media_matches.c.status)):
            matches.setdefault(lid, {})[status] = n
        rows = conn.execute(select(hash_lists).order_by(hash_lists.c.name)).mappings().all()
    return [{"name": r["name"], "source": r["source"], "category": r["category"],
             "kind": r["kind"], "threshold": r["threshold"], "enabled": r["enabled"],
             "hashes": counts.get(r["id"], 0), "quarantined_hashes": held.get(r["id"], 0),
             "matches": matches.get(r["id"], {}),
             "quarantined": r["quarantine_reason"] if r["quarantined_at"] else None}
            for r in rows]


def remove_hashes(engine: Engine, name: str, values: Iterable[str]) -> int:
    values = [v.strip().lower() for v in values]
    with engine.begin() as conn:
        lst = get_list(conn, name)
        n = conn.execute(list_hashes.delete().where(list_hashes.c.list_id == lst["id"],
                                                    list_hashes.c.value.in_(values))).rowcount
        _bump(conn, lst["id"])
    return n


def release(engine: Engine, name: str, value: str | None = None) -> int:
    """Lift a flood quarantine from a list (``value=None``) or from one of its hashes."""
    with engine.begin() as conn:
        lst = get_list(conn, name)
        if value is None:
            n = conn.execute(update(hash_lists).where(hash_lists.c.id == lst["id"])
                             .values(quarantined_at=None, quarantine_reason=None)).rowcount
        else:
            n = conn.execute(update(list_hashes).where(list_hashes.c.list_id == lst["id"],
                                                       list_hashes.c.value == value.lower())
                             .values(quarantined_at=None, quarantine_reason=None)).rowcount
        _bump(conn, lst["id"])
    return n


def _bump(conn: Connection, list_id: int) -> None:
    conn.execute(update(hash_lists).where(hash_lists.c.id == list_id)
                 .values(revision=hash_lists.c.revision + 1, updated_at=utcnow()))


# --- matching -----------------------------------------------------------------------------

@dataclass
class Hit:
    list_id: int
    list_name: str
    category: str
    kind: str
    list_hash_id: int
    signal_type: str
    value: str
    distance: int
    status: str = "match"
    reason: str | None = None


@dataclass(frozen=True)
class FloodGuard:
    """Quarantine a hash or list whose matches in the last ``window`` exceed both a floor
    and ``factor`` times its usual rate (its matches before the window, per window)."""

    window: timedelta = timedelta(hours=1)
    hash_floor: int = 50
    list_floor: int = 1000
    factor: float = 10.0

    def limit(self, recent_usual: float, floor: int) -> float:
        return max(floor, self.factor * recent_usual)


class HashListMatcher:
    """Matches hashes against every enabled list in one store.

    Holds one ``PDQIndex`` over all lists' PDQ hashes (ids are ``list_hashes.id``) and
    exact maps for MD5/SHA-256. ``refresh()`` applies list changes incrementally (adds the
    new rows, removes the deleted ones) when a list's revision moved."""

    def __init__(self, engine: Engine, *, min_quality: int | None = None,
                 flood: FloodGuard | None = None):
        from marsad.detect.index import PDQIndex
        self.engine = engine
        self.min_quality = settings.get("PDQ_MIN_QUALITY") if min_quality is None else min_quality
        self.flood = flood or FloodGuard()
        self.index = PDQIndex()
        self._revisions: dict[int, int] | None = None
        self._lists: dict[int, dict] = {}
        self._hash_list: dict[int, int] = {}      # list_hashes.id -> list id (pdq rows)
        self._hash_value: dict[int, str] = {}
        self._exact: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.radius = 0

    def refresh(self) -> None:
        with self.engine.connect() as conn:
            lists = {r["id"]: dict(r) for r in conn.execute(select(hash_lists)).mappings()}
            revisions = {i: r["revision"] for i, r in lists.items()}
            if revisions == self._revisions:
                return
            rows = conn.execute(select(list_hashes.c.id, list_hashes.c.list_id,
                                       list_hashes.c.signal_type, list_hashes.c.value)).all()
        self._lists = lists
        pdq_rows = [r for r in rows if r.signal_type == "pdq"]
        have = set(self._hash_list)
        want = {r.id for r in pdq_rows}
        gone = have - want
        if gone:
            self.index.remove(list(gone))
            for i in gone:
                self._hash_list.pop(i)
                self._hash_value.pop(i)
        new = [r for r in pdq_rows if r.id not in have]
        if new:
            self.index.add([r.value for r in new], [r.id for r in new])
            for r in new:
                self._hash_list[r.id] = r.list_id
                self._hash_value[r.id] = r.value
        self._exact = {}
        for r in rows:
            if r.signal_type != "pdq":
                self._exact.setdefault((r.signal_type, r.value), []).append((r.id, r.list_id))
        self.radius = max([l["threshold"] for l in lists.values()] or [0])
        self._revisions = revisions

    def _hit(self, list_id: int, hash_id: int, st: str, value: str, distance: int) -> Hit | None:
        lst = self._lists.get(list_id)
        if lst is None or not lst["enabled"]:
            return None
        if st == "pdq" and distance > lst["threshold"]:
            return None
        return Hit(list_id, lst["name"], lst["category"], lst["kind"], hash_id, st, value, distance)

    def match(self, pdq: str | None = None, quality: int | None = None, *,
              sha256: str | None = None, md5: str | None = None,
              dihedral: Iterable[str] = ()) -> list[Hit]:
        """Hits for one media item (positive and negative lists), nearest per list hash."""
        best: dict[int, Hit] = {}
        if pdq and (quality is None or quality >= self.min_quality) and len(self.index):
            queries = [pdq, *dihedral]
            _, ids, dist = self.index.search(queries, self.radius)
            for hid, d in zip(ids.tolist(), dist.tolist()):
                hit = self._hit(self._hash_list[hid], hid, "pdq", self._hash_value[hid], d)
                if hit and (hid not in best or d < best[hid].distance):
                    best[hid] = hit
        for st, value in (("sha256", sha256), ("md5", md5)):
            for hid, lid in self._exact.get((st, (value or "").lower()), ()):
                hit = self._hit(lid, hid, st, value.lower(), 0)
                if hit:
                    best[hid] = hit
        return sorted(best.values(), key=lambda h: (h.distance, h.list_name, h.value))

    def judge(self, conn: Connection, hits: list[Hit], now: datetime) -> list[Hit]:
        """Set each positive hit's status: suppressed by a negative list, quarantined by the
        flood guard (which may quarantine the hash or list now), else ``match``."""
        negatives = [h for h in hits if h.kind == "negative"]
        positives = [h for h in hits if h.kind != "negative"]
        for h in positives:
            if negatives:
                n = negatives[0]
                h.status, h.reason = "suppressed", \
                    f"known false positive: {n.list_name} {n.signal_type}:{n.value} at {n.distance}"
                continue
            held = self._quarantine_reason(conn, h, now)
            if held:
                h.status, h.reason = "quarantined", held
        return positives

    def _quarantine_reason(self, conn: Connection, h: Hit, now: datetime) -> str | None:
        lst = conn.execute(select(hash_lists.c.quarantined_at, hash_lists.c.quarantine_reason,
                                  hash_lists.c.created_at)
                           .where(hash_lists.c.id == h.list_id)).first()
        if lst.quarantined_at is not None:
            return f"list quarantined: {lst.quarantine_reason}"
        lh = conn.execute(select(list_hashes.c.quarantined_at, list_hashes.c.quarantine_reason,
                                 list_hashes.c.added_at)
                          .where(list_hashes.c.id == h.list_hash_id)).first()
        if lh is None:
            return None
        if lh.quarantined_at is not None:
            return f"hash quarantined: {lh.quarantine_reason}"
        g = self.flood
        for what, col, key, since, floor in (
                ("hash", media_matches.c.list_hash_id, h.list_hash_id, lh.added_at, g.hash_floor),
                ("list", media_matches.c.list_id, h.list_id, lst.created_at, g.list_floor)):
            start = now - g.window
            recent = conn.execute(select(func.count()).where(
                col == key, media_matches.c.matched_at >= start)).scalar_one()
            if recent + 1 <= floor:
                continue
            before = conn.execute(select(func.count()).where(
                col == key, media_matches.c.matched_at < start)).scalar_one()
            history = max(g.window.total_seconds(), (start - _utc(since)).total_seconds())
            usual = before * g.window.total_seconds() / history
            if recent + 1 > g.limit(usual, floor):
                reason = (f"flood guard: {recent + 1} matches in the last "
                          f"{g.window.total_seconds() / 3600:g} h, usually {usual:.1f}")
                table = list_hashes if what == "hash" else hash_lists
                conn.execute(update(table).where(table.c.id == key)
                             .values(quarantined_at=now, quarantine_reason=reason))
                return f"{what} quarantined: {reason}"
        return None

