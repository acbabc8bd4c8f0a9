"""Meta Content Library (MCL) exports of Facebook and Instagram posts -> canonical posts.

Field names are those of the MCL data dictionary and of real MCL downloads: ``id``,
``text``, ``creation_time``, ``modified_time``, ``lang``, ``post_owner.{id,name,username,type}``,
``surface.{id,name,type}`` (Facebook: the Page, group or event posted to), ``statistics.*``,
``multimedia``, ``mcl_url``, ``content_type``, ``is_branded_content``, ``shared_post_id``,
``link_attachment.*``. The CSV download writes nested fields as dotted column names
(``post_owner.id``); the API (``client.get(...)``, saved as JSON) nests them
(``{"post_owner": {"id": ...}}``), as a ``{"data": [...]}`` page, a list, or one post a line.
Comments (``owner.*``, ``post_id``, ``parent_id``) are read too. Instagram's ``caption`` /
``producer_*`` names, which some MCL guides list but real downloads do not show, are accepted
as fallbacks.

MCL has no public permalink: ``url`` is ``mcl_url``, the Content Library's own page for the
item (it opens only for Content Library users). The platform is ``MetaSource(platform=...)``
when given; else ``instagram``/``facebook`` in the file name; else Facebook when the post has
a ``surface`` or Facebook's per-reaction counts, Instagram when it has an owner username
and no surface, Facebook otherwise.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from marsad.ingest.base import Source
from marsad.ingest.csv import CsvRows
from marsad.ingest.documents import canonical_bytes, head_text, id_str, json_documents, locate, to_iso
from marsad.model import BadRecord, RawRecord

_JSON_MARKERS = ('"post_owner"', '"post_owner.', '"surface"', '"surface.', '"mcl_url"', '"owner"')
_CSV_MARKERS = ("post_owner.", "surface.", "mcl_url", "owner.")
FB_ONLY = ("statistics.love_count", "statistics.reaction_count", "statistics.care_count", "statistics.angry_count")
MAPPED = {"id", "text", "caption", "creation_time", "lang", "mcl_url", "multimedia", "post_id", "parent_id"}


class MetaSource(Source):
    suffixes = (".csv", ".json", ".jsonl", ".ndjson")
    priority = 30

    def __init__(self, platform: str | None = None):
        self.platform = platform
        super().__init__()

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        text = head_text(head)
        if text.startswith(("{", "[")):
            return '"creation_time"' in text and any(m in text for m in _JSON_MARKERS)
        header = text.split("\n", 1)[0].lower()
        return "creation_time" in header and any(m in header for m in _CSV_MARKERS)

    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        src = str(path)
        hint = self.platform or _name_hint(path)
        with open(path, "rb") as fh:
            start = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        if start.startswith((b"{", b"[")):
            for item in json_documents(path):
                if isinstance(item, BadRecord):
                    yield item
                    continue
                line, doc, raw = item
                for label, post in _posts(doc):
                    at = locate(raw, id_str(post.get("id")) if isinstance(post, dict) else None, line)
                    rec_raw = canonical_bytes(post)
                    yield self._record(post, _flatten(post) if isinstance(post, dict) else None,
                                       label, hint, src, at, rec_raw)
        else:
            for item in CsvRows(path):
                if isinstance(item, BadRecord):
                    yield item
                    continue
                line, row, raw = item
                flat = {k: (v if v != "" else None) for k, v in row.items()}
                yield self._record(row, flat, "", hint, src, line, raw)

    def _record(self, post: Any, flat: dict | None, label: str, hint: str | None, src: str, line: int,
                raw: bytes) -> RawRecord | BadRecord:
        if flat is None:
            return BadRecord(src, line, label or None, f"expected a JSON object, got {type(post).__name__}", raw)
        try:
            data = _canonical(post, flat, hint)
        except _Bad as exc:
            return BadRecord(src, line, f"{label}.{exc.field}" if label else exc.field, exc.reason, raw)
        return RawRecord(data, src, line, raw)


class _Bad(Exception):
    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason


def _name_hint(path: Path) -> str | None:
    name = path.name.lower()
    if "instagram" in name or name.startswith("ig_") or "_ig_" in name:
        return "instagram"
    if "facebook" in name or name.startswith("fb_") or "_fb_" in name:
        return "facebook"
    return None


def _posts(doc: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        for i, post in enumerate(doc["data"]):
            yield f"data[{i}]", post
    elif isinstance(doc, list):
        for i, post in enumerate(doc):
            yield f"[{i}]", post
    else:
        yield "", doc


def _flatten(obj: dict, prefix: str = "") -> dict:
    """``{"post_owner": {"id": 1}}`` -> ``{"post_owner.id": 1}``, the CSV download's names."""
    out: dict = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _first(flat: dict, *names: str) -> Any:
    return next((flat[n] for n in names if flat.get(n) not in (None, "")), None)


def _platform(flat: dict, hint: str | None) -> str:
    if hint:
        return hint
    if any(k.startswith("surface.") for k in flat) or any(flat.get(k) is not None for k in FB_ONLY):
        return "facebook"
    if _first(flat, "post_owner.username", "producer_username") and not any(k.startswith("surface") for k in flat):
        return "instagram"
    return "facebook"


def _media(value: Any) -> list[dict]:
    """``multimedia``: a list of ``{"type", "url", "id", ...}`` (JSON) or that list as text (CSV)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [{"url": u} for u in value.split() if u.startswith("http")]
    items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    out = []
    for m in items:
        if not isinstance(m, dict):
            continue
        item = {k: m[k] for k in ("type", "id") if m.get(k) is not None}
        if isinstance(m.get("url"), str) and m["url"]:
            item["url"] = m["url"]
        out.append(item)
    return out


def _canonical(post: dict, flat: dict, hint: str | None) -> dict:
    post_id = id_str(flat.get("id"))
    if post_id is None:
        raise _Bad("id", f"missing or not a string: {flat.get('id')!r}")
    text = _first(flat, "text", "caption")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise _Bad("text", f"must be a string, got {type(text).__name__}")
    try:
        created = to_iso(flat.get("creation_time"))
    except ValueError:
        raise _Bad("creation_time", f"not an ISO-8601 time: {flat.get('creation_time')!r}") from None
    media = _media(flat.get("multimedia")) if flat.get("multimedia") else []
    if not text and not media:
        raise _Bad("text", "empty text and no multimedia (was 'text' left out of the requested fields?)")
    lang = flat.get("lang") if isinstance(flat.get("lang"), str) else None
    comment = flat.get("post_id") is not None and "post_owner.id" not in flat
    author = _first(flat, "owner.id", "post_owner.id", "producer_id") if comment else \
        _first(flat, "post_owner.id", "producer_id")
    handle = _first(flat, "owner.username", "post_owner.username", "producer_username") if comment else \
        _first(flat, "post_owner.username", "producer_username")
    return {"id": post_id, "platform": _platform(flat, hint), "text": text,
            "author_id": id_str(author), "author_handle": handle if isinstance(handle, str) else None,
            "created_at": created, "lang": lang.split("_")[0].lower() if lang else None,
            "url": flat.get("mcl_url") if isinstance(flat.get("mcl_url"), str) else None,
            "conversation_id": id_str(flat.get("post_id")) if comment else None,
            "reply_to": (id_str(flat.get("parent_id")) or id_str(flat.get("post_id"))) if comment else None,
            "media": media,
            "raw": {k: v for k, v in post.items() if k not in MAPPED and v not in (None, "")}}
