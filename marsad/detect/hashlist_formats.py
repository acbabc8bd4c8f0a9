"""Hash-list files: read and write the shapes ThreatExchange and HMA use.


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
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable, Iterator

from marsad.errors import InputError
from marsad.model import HARMS

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
