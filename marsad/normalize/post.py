"""RawRecord -> Post: validate once at the edge, so nothing downstream re-checks.

Raises ``InputError`` naming the file, line and field; the pipeline quarantines the record
and goes on. The record's bytes are hashed here (SHA-256) as the evidence hash of the item
as captured.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import lru_cache

from marsad.errors import InputError
from marsad.model import PLATFORMS, Post, RawRecord
from marsad.normalize.language import detect_language

_ALIASES = {"twitter": "x", "fb": "facebook", "ig": "instagram", "yt": "youtube", "tg": "telegram",
            "wa": "whatsapp", "meta": "facebook", "threads": "instagram"}
KNOWN = frozenset(("id", "platform", "text", "author_id", "author_handle", "created_at", "lang", "url",
                   "conversation_id", "reply_to", "media", "messages", "raw"))
MAX_TEXT = 1_000_000  # characters kept; longer texts are truncated, and that is noted in raw


def _str_or_none(data: dict, name: str, rec: RawRecord) -> str | None:
    value = data.get(name)
    if type(value) is str:      # the common case first: this runs ~10 times per post
        return value or None
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {type(value).__name__}", source=rec.source,
                         line=rec.line, field=name)
    return value


@lru_cache(maxsize=8192)   # validation and both store writes parse the same string
def parse_time(value: str | None) -> datetime | None:
    """ISO-8601 (``Z`` or offset, or naive = UTC) or epoch seconds -> aware UTC datetime."""
    if value is None:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def language_of(text: str, lang: str | None) -> str | None:
    """A post's language: the one it was given, else identified from its text (none for an
    empty text). Detection workers call this too, for posts sent to them without one."""
    if lang is None and text:
        return detect_language(text)
    return lang


def to_post(rec: RawRecord, *, detect_lang: bool = True) -> Post:
    data = rec.data
    if not isinstance(data, dict):
        raise InputError("record is not a JSON object", source=rec.source, line=rec.line)
    where = {"source": rec.source, "line": rec.line}
    post_id = _str_or_none(data, "id", rec)
    if not post_id:
        raise InputError("required field is missing or empty", field="id", **where)
    platform = _str_or_none(data, "platform", rec) or ""
    if platform not in PLATFORMS:
        platform = platform.strip().lower()
        platform = _ALIASES.get(platform, platform)
    if not platform:
        raise InputError("required field is missing or empty", field="platform", **where)
    if platform not in PLATFORMS:
        raise InputError(f"unknown platform {platform!r}; one of {', '.join(PLATFORMS)}",
                         field="platform", **where)
    text = data.get("text")
    media = data.get("media") or []
    messages = data.get("messages") or []
    if text is None:
        if not media and not messages:
            raise InputError("required field is missing (empty text is allowed only with media)",
                             field="text", **where)
        text = ""
    if not isinstance(text, str):
        raise InputError(f"must be a string, got {type(text).__name__}", field="text", **where)
    for name, value in (("media", media), ("messages", messages)):
        if value and (not isinstance(value, list) or not all(isinstance(m, dict) for m in value)):
            raise InputError("must be a list of objects", field=name, **where)
    # Lone surrogates (from broken UTF-16 exports) cannot be stored or encoded: replace them.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    raw = dict(data["raw"]) if isinstance(data.get("raw"), dict) else {}
    if not KNOWN.issuperset(data):   # unknown fields are kept verbatim
        raw.update({k: v for k, v in data.items() if k not in KNOWN})
    if len(text) > MAX_TEXT:
        raw["truncated_from_chars"] = len(text)
        text = text[:MAX_TEXT]
    created = _str_or_none(data, "created_at", rec)
    if created is not None:
        try:
            parse_time(created)
        except ValueError:
            raise InputError(f"not an ISO-8601 time: {created!r}", field="created_at", **where) from None
    lang = _str_or_none(data, "lang", rec)
    if detect_lang:
        lang = language_of(text, lang)
    return Post(
        id=post_id, platform=platform, text=text,
        author_id=_str_or_none(data, "author_id", rec),
        author_handle=_str_or_none(data, "author_handle", rec),
        created_at=created, lang=lang.lower() if lang else None,
        url=_str_or_none(data, "url", rec),
        conversation_id=_str_or_none(data, "conversation_id", rec),
        reply_to=_str_or_none(data, "reply_to", rec),
        media=tuple(media), messages=tuple(messages), raw=raw,
        sha256=hashlib.sha256(rec.raw).hexdigest(), source=rec.source, line=rec.line,
    )
