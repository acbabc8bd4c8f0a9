"""Hash lists: read and write the shapes ThreatExchange and HMA use, keep them in the store,
and match media against them with per-list thresholds, negative lists and a flood guard.

File shapes (checked against python-threatexchange 1.2.17 and HMA's OpenMediaMatch):

``te-csv``    ``threatexchange dataset -P --csv``: header ``signal_type,signal_str,collab,
              category,tags`` (tags space-separated).
``te-api``    ``threatexchange api fb_threatexchange query``: header ``id,indicator,type,
              status,tags,owner_id`` (type ``HASH_PDQ``/``HASH_MD5``...), its ``--format
              jsonl`` twin, or a Graph API page ``{"data": [{"raw_indicator", "type", ...}]}``.
``hma-te``    HMA 1.x ``simple.HASH_PDQ.te``: headerless rows ``indicator,indicator_id,
              first_descriptor_id,added_on,labels``.
``hma-json``  HMA 2.x bank signals: a JSON list (or JSONL) of ``{"pdq": "..."}`` bodies as
              posted to ``/c/bank/<bank>/signal``, or ``{"id": .., "signals": {..}}`` as
              returned by ``/c/bank/<bank>/content``.
``text``      pytx's local-file list: ``pdq <hash>`` per line, or a bare hash per line.

Why a flood guard: a hash of a blank frame or a logo slipped into a list would "match"
thousands of ordinary posts. When a hash (or a whole list) matches far more in the last
window than it usually does, it is quarantined: its matches are still recorded, with
status ``quarantined``, but not returned as findings until someone releases it.
Why negative lists: hashes of known false positives (a news agency's photo, a meme) that
should never trigger a finding; a media item within a negative list's threshold has its
positive matches recorded as ``suppressed``.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Iterable, Iterator

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from marsad import settings
from marsad.errors import Conflict, InputError, NotFound
from marsad.model import HARMS
from marsad.store.tables_media import hash_lists, list_hashes, media_matches

FORMATS = ("te-csv", "te-api", "hma-te", "hma-json", "text")
CATEGORIES = HARMS + ("other",)
SENSITIVE = frozenset({"child_exploitation", "terrorist_content"})   # store hashes only
_CATEGORY_ALIASES = {
    "csam": "child_exploitation", "cse": "child_exploitation", "child_abuse": "child_exploitation",
    "child_sexual_abuse": "child_exploitation", "ncmec": "child_exploitation",
    "terrorism": "terrorist_content", "terrorist": "terrorist_content", "tvec": "terrorist_content",
    "gifct": "terrorist_content", "violent_extremism": "terrorist_content",
    "smuggling": "migrant_smuggling", "smuggling_imagery": "migrant_smuggling",
    "forgery": "document_fraud", "fraud": "document_fraud", "trafficking": "human_trafficking",
}
_SIGNAL_ALIASES = {
    "pdq": "pdq", "hash_pdq": "pdq", "photo_pdq": "pdq",
    "md5": "md5", "hash_md5": "md5", "video_md5": "md5", "hash_video_md5": "md5", "vmd5": "md5",
    "sha256": "sha256", "hash_sha256": "sha256", "photo_sha256": "sha256",
}
_HEX = {"pdq": re.compile(r"[0-9a-f]{64}"), "md5": re.compile(r"[0-9a-f]{32}"),
        "sha256": re.compile(r"[0-9a-f]{64}")}
_TE_TYPE = {"pdq": "HASH_PDQ", "md5": "HASH_MD5", "sha256": "HASH_SHA256"}


def normalize_category(value: str) -> str:
    key = re.sub(r"[\s-]+", "_", (value or "").strip().lower())
    key = _CATEGORY_ALIASES.get(key, key)
    if key not in CATEGORIES:
        raise InputError(f"unknown category {value!r}; use one of {', '.join(CATEGORIES)}",
                         field="category")
    return key


def normalize_signal(signal_type: str, value: str) -> tuple[str, str]:
    """``(signal_type, lowercase hex)`` or ``InputError``."""
    st = _SIGNAL_ALIASES.get((signal_type or "").strip().lower())
    if st is None:
        raise InputError(f"unsupported signal type {signal_type!r} (pdq, md5, sha256)",
                         field="signal_type")
    v = (value or "").strip().lower()
    if not _HEX[st].fullmatch(v):
        raise InputError(f"not a {st} hash: {value[:80]!r}", field="signal")
    return st, v


@dataclass(frozen=True)
class HashRecord:
    signal_type: str
    value: str
    tags: tuple[str, ...] = ()
    external_id: str | None = None
    opinion: str | None = None       # te-csv category: POSITIVE_CLASS, NEGATIVE_CLASS ...


@dataclass
class ReadResult:
    records: list[HashRecord] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------

def detect_format(path: Path, head: str) -> str:
    first = head.lstrip("\ufeff").lstrip()
    low = first.split("\n", 1)[0].lower().replace(" ", "")
    if path.suffix == ".te":
        return "hma-te"
    if low.startswith("signal_type,signal_str"):
        return "te-csv"
    if first.startswith(("{", "[")):
        return "te-api" if ('"raw_indicator"' in head or '"indicator"' in head) else "hma-json"
    if low.startswith("id,indicator") or ",indicator," in f",{low},":
        return "te-api"
    if re.match(r"[0-9a-f]{32,64},", low):
        return "hma-te"
    return "text"


def _split_tags(value) -> tuple[str, ...]:
    if isinstance(value, dict):   # Graph API: {"data": [{"id": .., "text": ..}]}
        value = [t.get("text", "") for t in value.get("data", [])]
    if isinstance(value, str):
        value = value.split()
    return tuple(sorted({str(t) for t in value or () if str(t)}))


def read_hashes(path: str | Path, fmt: str = "auto", signal_type: str = "pdq") -> ReadResult:
    """Parse a hash-list file. Bad rows are collected as ``InputError`` (file, line) and the
    rest is read; ``signal_type`` is used where a row does not say (text, hma-te)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read hash list: {exc}", source=str(path)) from None
    if fmt == "auto":
        fmt = detect_format(path, text[:4096])
    if fmt not in FORMATS:
        raise InputError(f"unknown hash-list format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "hma-te":
        m = re.match(r"simple\.([A-Za-z0-9_]+)\.te$", path.name)
        signal_type = m.group(1) if m else signal_type
    out = ReadResult()
    for line, row in _rows(fmt, text, str(path)):
        if isinstance(row, InputError):
            out.errors.append(row)
            continue
        try:
            st, value = normalize_signal(row.get("signal_type") or signal_type, row.get("value", ""))
        except InputError as exc:
            out.errors.append(InputError(exc.reason, source=str(path), line=line, field=exc.field))
            continue
        out.records.append(HashRecord(st, value, _split_tags(row.get("tags")),
                                      str(row["id"]) if row.get("id") not in (None, "") else None,
                                      row.get("opinion") or None))
    return out


def _rows(fmt: str, text: str, source: str) -> Iterator[tuple[int, dict | InputError]]:
    if fmt == "text":
        for n, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if line:
                st, _, value = line.partition(" ") if " " in line else ("", "", line)
                yield n, {"signal_type": st, "value": value.strip()}
    elif fmt == "te-csv":
        for n, r in enumerate(csv.DictReader(io.StringIO(text)), 2):
            yield n, {"signal_type": r.get("signal_type"), "value": r.get("signal_str"),
                      "tags": r.get("tags"), "opinion": r.get("category")}
    elif fmt == "hma-te":
        for n, r in enumerate(csv.reader(io.StringIO(text)), 1):
            if r:
                yield n, {"value": r[0], "id": r[1] if len(r) > 1 else None,
                          "tags": r[4] if len(r) > 4 else ""}
    elif fmt == "te-api":
        stripped = text.lstrip()
        if stripped.startswith(("{", "[")):
            for n, obj in _json_objects(text, source):
                if isinstance(obj, InputError):
                    yield n, obj
                    continue
                items = obj.get("data", [obj]) if isinstance(obj, dict) else obj
                for item in items:
                    yield n, _te_item(item)
        else:
            for n, r in enumerate(csv.DictReader(io.StringIO(text)), 2):
                yield n, _te_item(r)
    elif fmt == "hma-json":
        for n, obj in _json_objects(text, source):
            if isinstance(obj, InputError):
                yield n, obj
                continue
            for item in obj if isinstance(obj, list) else [obj]:
                if not isinstance(item, dict):
                    yield n, InputError("expected a JSON object", source=source, line=n)
                    continue
                signals = item.get("signals", item)
                meta = item.get("metadata") or {}
                tags = (meta.get("json") or {}).get("tags", ()) if isinstance(meta, dict) else ()
                for st, value in signals.items():
                    if st in ("id", "metadata"):
                        continue
                    yield n, {"signal_type": st, "value": value, "tags": tags,
                              "id": item.get("id") or meta.get("content_id")}


def _te_item(item: dict) -> dict:
    return {"signal_type": item.get("type") or "", "id": item.get("id"),
            "value": item.get("raw_indicator") or item.get("indicator") or "",
            "tags": item.get("tags") or ""}


def _json_objects(text: str, source: str) -> Iterator[tuple[int, object]]:
    try:
        yield 1, json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for n, line in enumerate(text.splitlines(), 1):   # JSON Lines
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                yield n, InputError(f"bad JSON: {exc.msg}", source=source, line=n)


# --- writing ------------------------------------------------------------------------------

def write_hashes(records: Iterable[HashRecord], fmt: str, out: IO[str], *, collab: str = "",
                 opinion: str = "POSITIVE_CLASS") -> int:
    """Write ``records`` in ``fmt`` (te-csv, hma-json, text, te-api, hma-te); returns count.
    ``collab`` and ``opinion`` fill te-csv's ``collab`` and ``category`` columns."""
    n = 0
    if fmt == "te-csv":
        w = csv.DictWriter(out, ["signal_type", "signal_str", "collab", "category", "tags"],
                           lineterminator="\n")
        w.writeheader()
        for r in records:
            w.writerow({"signal_type": r.signal_type, "signal_str": r.value, "collab": collab,
                        "category": opinion, "tags": " ".join(r.tags)})
            n += 1
    elif fmt == "te-api":
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["id", "indicator", "type", "status", "tags", "owner_id"])
        for r in records:
            w.writerow([r.external_id or "", r.value, _TE_TYPE[r.signal_type], "MALICIOUS",
                        " ".join(r.tags), ""])
            n += 1
    elif fmt == "hma-te":
        w = csv.writer(out, lineterminator="\n")
        for r in records:
            w.writerow([r.value, r.external_id or "", 0, "", " ".join(r.tags)])
            n += 1
    elif fmt == "hma-json":
        items = []
        for r in records:
            item = {"signals": {r.signal_type: r.value}}
            if r.external_id:
                item["id"] = r.external_id
            if r.tags:
                item["metadata"] = {"json": {"tags": list(r.tags)}}
            items.append(item)
        json.dump(items, out, indent=1)
        out.write("\n")
        n = len(items)
    elif fmt == "text":
        for r in records:
            out.write(f"{r.signal_type} {r.value}\n")
            n += 1
    else:
        raise InputError(f"unknown hash-list format {fmt!r}; use one of {', '.join(FORMATS)}")
    return n


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

