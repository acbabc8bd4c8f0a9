"""YouTube Data API v3 list responses -> canonical posts.

Read by the resource ``kind`` each item carries:

- ``youtube#commentThread`` (``commentThreads.list``): the top-level comment
  (``snippet.topLevelComment``) and the replies the API included (``replies.comments``);
- ``youtube#comment`` (``comments.list``, replies fetched by ``parentId``);
- ``youtube#searchResult`` (``search.list``): only videos (``id.videoId``); channels and
  playlists in the results are counted in ``skipped``;
- ``youtube#video`` (``videos.list``).

A comment is a post with ``text`` = ``textOriginal`` (``textDisplay`` is HTML and is used
only when the original was not requested), author = ``authorChannelId.value``, ``author_handle``
from ``authorDisplayName`` when it is an ``@handle``, ``conversation_id`` = video id and
``reply_to`` = ``parentId`` (or the video for a top-level comment). A video is a post whose
text is the title and the description. ``search.list`` returns titles and descriptions
HTML-escaped (``&#39;``, ``&amp;``), so those two are unescaped; the snippet as received stays
in ``raw``. One response per file or per line.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Iterator

from marsad.ingest.documents import ResponseSource, canonical_bytes, dig, head_text, id_str, locate, to_iso
from marsad.model import BadRecord, RawRecord

LIST_KINDS = ("youtube#commentThreadListResponse", "youtube#commentListResponse",
              "youtube#searchListResponse", "youtube#videoListResponse")


class YouTubeSource(ResponseSource):
    priority = 12

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        text = head_text(head)
        return text.startswith(("{", "[")) and '"youtube#' in text and '"items"' in text

    def response(self, doc: Any, where: str, src: str, line: int, raw: bytes) -> Iterator[RawRecord | BadRecord]:
        if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
            if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
                yield BadRecord(src, line, f"{where}error", f"API error {doc['error'].get('code')}: "
                                f"{doc['error'].get('message')}", raw[:2000])
            else:
                yield BadRecord(src, line, where or None, "not a YouTube Data API list response "
                                "(no 'items' list)", raw[:2000])
            return
        for i, obj in enumerate(doc["items"]):
            yield from self._item(f"{where}items[{i}]", obj, src, line, raw)

    def _item(self, label: str, obj: Any, src: str, line: int, raw: bytes) -> Iterator[RawRecord | BadRecord]:
        if not isinstance(obj, dict):
            yield BadRecord(src, line, label, f"expected a JSON object, got {type(obj).__name__}", raw[:2000])
            return
        kind = obj.get("kind")
        at = locate(raw, id_str(obj.get("id")) if not isinstance(obj.get("id"), dict)
                    else dig(obj, "id", "videoId"), line)
        try:
            if kind == "youtube#commentThread":
                top = dig(obj, "snippet", "topLevelComment")
                if not isinstance(top, dict):
                    raise _Bad("snippet.topLevelComment", "missing or not an object")
                comments = [("snippet.topLevelComment", top, obj.get("snippet") or {})]
                replies = dig(obj, "replies", "comments") or []
                comments += [(f"replies.comments[{k}]", c, obj.get("snippet") or {}) for k, c in enumerate(replies)]
                for sub, comment, thread in comments:
                    try:
                        data = _comment(comment, thread)
                    except _Bad as exc:
                        yield BadRecord(src, at, f"{label}.{sub}.{exc.field}", exc.reason, canonical_bytes(comment))
                        continue
                    yield RawRecord(data, src, locate(raw, data["id"], line), canonical_bytes(comment))
                return
            if kind == "youtube#comment":
                data = _comment(obj, {})
            elif kind in ("youtube#searchResult", "youtube#video"):
                data = _video(obj)
                if data is None:
                    self.skipped[f"youtube {str(dig(obj, 'id', 'kind') or 'non-video').split('#')[-1]} result"] += 1
                    return
            else:
                raise _Bad("kind", f"unknown resource kind {kind!r}")
        except _Bad as exc:
            yield BadRecord(src, at, f"{label}.{exc.field}", exc.reason, canonical_bytes(obj))
            return
        yield RawRecord(data, src, at, canonical_bytes(obj))


class _Bad(Exception):
    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason


def _time(snippet: dict, name: str) -> str | None:
    try:
        return to_iso(snippet.get(name))
    except ValueError:
        raise _Bad(f"snippet.{name}", f"not an ISO-8601 time: {snippet.get(name)!r}") from None


def _comment(comment: dict, thread: dict) -> dict:
    comment_id = id_str(comment.get("id"))
    if comment_id is None:
        raise _Bad("id", f"missing or not a string: {comment.get('id')!r}")
    snippet = comment.get("snippet")
    if not isinstance(snippet, dict):
        raise _Bad("snippet", "missing or not an object")
    text = snippet.get("textOriginal")
    if text is None:
        text = snippet.get("textDisplay")
    if not isinstance(text, str):
        raise _Bad("snippet.textOriginal", f"must be a string, got {type(text).__name__}")
    video_id = snippet.get("videoId") or thread.get("videoId")
    name = snippet.get("authorDisplayName")
    handle = name[1:] if isinstance(name, str) and name.startswith("@") else None
    raw = {k: v for k, v in snippet.items() if k not in ("textOriginal", "publishedAt", "videoId", "parentId")}
    raw["kind"] = comment.get("kind")
    if thread.get("channelId"):
        raw["thread_channel_id"] = thread["channelId"]
    return {"id": comment_id, "platform": "youtube", "text": text,
            "author_id": dig(snippet, "authorChannelId", "value"), "author_handle": handle,
            "created_at": _time(snippet, "publishedAt"),
            "url": f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id else None,
            "conversation_id": video_id, "reply_to": snippet.get("parentId") or video_id, "raw": raw}


def _video(obj: dict) -> dict | None:
    ident = obj.get("id")
    if isinstance(ident, dict):  # search result: {"kind": "youtube#video", "videoId": ...}
        if ident.get("kind") != "youtube#video":
            return None
        video_id = ident.get("videoId")
        escaped = True
    else:
        video_id, escaped = ident, False
    if not isinstance(video_id, str) or not video_id:
        raise _Bad("id", f"missing video id: {ident!r}")
    snippet = obj.get("snippet")
    if not isinstance(snippet, dict):
        raise _Bad("snippet", "missing or not an object")
    title, description = snippet.get("title") or "", snippet.get("description") or ""
    if not isinstance(title, str) or not isinstance(description, str):
        raise _Bad("snippet.title", "title and description must be strings")
    if escaped:
        title, description = html.unescape(title), html.unescape(description)
    text = f"{title}\n\n{description}" if description else title
    lang = snippet.get("defaultLanguage") or snippet.get("defaultAudioLanguage")
    thumbs = snippet.get("thumbnails") if isinstance(snippet.get("thumbnails"), dict) else {}
    best = next((thumbs[k] for k in ("maxres", "standard", "high", "medium", "default")
                 if isinstance(thumbs.get(k), dict) and thumbs[k].get("url")), None)
    raw = {"kind": obj.get("kind"), "snippet": snippet}
    raw.update({k: v for k, v in obj.items() if k not in ("kind", "etag", "id", "snippet")})
    return {"id": video_id, "platform": "youtube", "text": text, "author_id": snippet.get("channelId"),
            "created_at": _time(snippet, "publishedAt"),
            "lang": lang.split("-")[0].lower() if isinstance(lang, str) and lang else None,
            "url": f"https://www.youtube.com/watch?v={video_id}",
            "media": [{"type": "thumbnail", "url": best["url"]}] if best else [], "raw": raw}
