"""TikTok Research API responses -> canonical posts.

Video query (``POST /v2/research/video/query/``): ``{"data": {"videos": [...], "cursor",
"has_more", "search_id"}, "error": {"code": "ok", "message", "log_id"}}``; each video has
``id``, ``video_description``, ``create_time`` (epoch seconds), ``username``, ``region_code``,
``hashtag_names``, ``voice_to_text``, counts, ... (only the fields the query asked for).
Video comments (``/v2/research/video/comment/list/``): ``{"data": {"comments": [{"id",
"text", "video_id", "parent_comment_id", "create_time", "like_count", "reply_count"}],
"cursor", "has_more"}, "error"}``; the API returns no commenter, so comments have no author.

One response per file or per line; a bare list of videos/comments, or one video/comment a
line, as collectors that unwrap ``data.videos`` write them, are read too. A response whose
``error.code`` is not ``ok`` is reported as a bad record (the page is missing from the data).
The description is the post text; ``voice_to_text`` (the transcript) stays in ``raw``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from marsad.ingest.base import Source
from marsad.ingest.documents import (canonical_bytes, epoch_to_iso, head_text, id_str,
                                     json_documents, locate)
from marsad.model import BadRecord, RawRecord

_MARKERS = ('"video_description"', '"parent_comment_id"', '"search_id"', '"region_code"',
            '"hashtag_names"', '"voice_to_text"')
VIDEO_MAPPED = {"id", "video_description", "create_time", "username"}
COMMENT_MAPPED = {"id", "text", "create_time", "video_id", "parent_comment_id"}


class TikTokSource(Source):
    suffixes = (".json", ".jsonl", ".ndjson")
    priority = 15

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        text = head_text(head)
        if not text.startswith(("{", "[")) or "youtube#" in text:
            return False
        return any(m in text for m in _MARKERS) or (
            '"has_more"' in text and ('"videos"' in text or '"comments"' in text) and '"error"' in text)

    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        src = str(path)
        for item in json_documents(path):
            if isinstance(item, BadRecord):
                yield item
                continue
            line, doc, raw = item
            for label, obj in _items(doc):
                yield from self._item(label, obj, src, line, raw)

    def _item(self, label: str, obj: Any, src: str, line: int, raw: bytes) -> Iterator[RawRecord | BadRecord]:
        if isinstance(obj, _ApiError):
            yield BadRecord(src, line, "error", obj.reason, raw[:2000])
            return
        if not isinstance(obj, dict):
            yield BadRecord(src, line, label or None, f"expected a JSON object, got {type(obj).__name__}",
                            raw[:2000])
            return
        ident = id_str(obj.get("id"))
        at = locate(raw, ident, line)
        try:
            data = _comment(obj) if _is_comment(obj) else _video(obj)
        except _Bad as exc:
            yield BadRecord(src, at, f"{label}.{exc.field}" if label else exc.field, exc.reason,
                            canonical_bytes(obj))
            return
        if data is None:
            self.skipped["tiktok empty comment"] += 1
            return
        yield RawRecord(data, src, at, canonical_bytes(obj))


class _ApiError:
    def __init__(self, reason: str):
        self.reason = reason


class _Bad(Exception):
    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason


def _items(doc: Any) -> Iterator[tuple[str, Any]]:
    """(location label, video/comment object) of a response, a list, or one object."""
    if isinstance(doc, list):
        for i, obj in enumerate(doc):
            yield f"[{i}]", obj
        return
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
        data, error = doc["data"], doc.get("error")
        for key in ("videos", "comments"):
            if isinstance(data.get(key), list):
                for i, obj in enumerate(data[key]):
                    yield f"data.{key}[{i}]", obj
                return
        if isinstance(error, dict) and error.get("code") not in (None, "ok"):
            yield "", _ApiError(f"API error {error.get('code')}: {error.get('message') or 'no message'}"
                                f" (log_id {error.get('log_id')})")
        return
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict) and doc["error"].get("code") != "ok":
        yield "", _ApiError(f"API error {doc['error'].get('code')}: {doc['error'].get('message') or 'no message'}")
        return
    yield "", doc


def _is_comment(obj: dict) -> bool:
    return "video_id" in obj and "video_description" not in obj


def _time(obj: dict) -> str | None:
    value = obj.get("create_time")
    if value in (None, ""):
        return None
    try:
        return epoch_to_iso(value)
    except (TypeError, ValueError, OverflowError):
        raise _Bad("create_time", f"not epoch seconds: {value!r}") from None


def _video(obj: dict) -> dict:
    video_id = id_str(obj.get("id"))
    if video_id is None:
        raise _Bad("id", f"missing or not a number/string: {obj.get('id')!r}")
    text = obj.get("video_description")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise _Bad("video_description", f"must be a string, got {type(text).__name__}")
    username = obj.get("username") if isinstance(obj.get("username"), str) and obj.get("username") else None
    return {"id": video_id, "platform": "tiktok", "text": text, "author_id": username,
            "author_handle": username, "created_at": _time(obj),
            "url": f"https://www.tiktok.com/@{username}/video/{video_id}" if username else None,
            "media": [{"type": "video", "id": video_id}],
            "raw": {k: v for k, v in obj.items() if k not in VIDEO_MAPPED}}


def _comment(obj: dict) -> dict | None:
    comment_id = id_str(obj.get("id"))
    if comment_id is None:
        raise _Bad("id", f"missing or not a number/string: {obj.get('id')!r}")
    text = obj.get("text")
    if text in (None, ""):
        return None
    if not isinstance(text, str):
        raise _Bad("text", f"must be a string, got {type(text).__name__}")
    video_id = id_str(obj.get("video_id"))
    return {"id": comment_id, "platform": "tiktok", "text": text, "created_at": _time(obj),
            "conversation_id": video_id, "reply_to": id_str(obj.get("parent_comment_id")) or video_id,
            "raw": {k: v for k, v in obj.items() if k not in COMMENT_MAPPED}}
