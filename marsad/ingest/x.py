"""X (Twitter) API v2 responses -> canonical posts.

Reads what researchers actually keep: one response per file (``{"data": [tweets],
"includes": {"users", "media", "tweets"}, "meta", "errors"?}``, also a single-tweet lookup
whose ``data`` is one object) or one response per line as ``twarc2`` writes them (each with a
``__twarc`` stanza). ``twarc2 ... --flatten`` lines (one tweet a line with ``author`` and
``attachments.media`` expanded inline) are read too.

The v2 payload keeps users and media apart from tweets, so each response is resolved as a
whole: ``author_id`` -> ``includes.users`` gives the username (``author_handle`` and the
``https://x.com/<username>/status/<id>`` link), ``attachments.media_keys`` ->
``includes.media`` gives ``url`` (photos) or ``preview_image_url`` (videos). A post over 280
characters has its full text in ``note_tweet.text``. ``referenced_tweets`` of type
``replied_to`` becomes ``reply_to``; entities (with ``urls[].expanded_url``), metrics and the
other references stay in ``raw``, with twarc's ``retrieved_at`` (the capture time). ``errors`` entries (deleted or protected tweets) and empty
result pages are counted in ``skipped``.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from marsad.ingest.documents import ResponseSource, canonical_bytes, dig, head_text, id_str, locate, to_iso
from marsad.model import BadRecord, RawRecord

_MARKERS = ('"edit_history_tweet_ids"', '"__twarc"', '"result_count"', '"newest_id"', '"author_id"',
            '"includes"')
_OTHERS = ('"video_description"', '"parent_comment_id"', '"search_id"', 'youtube#', '"post_owner"',
           '"creation_time"')
# X's codes for "no linguistic content" / undetermined; not languages.
NOT_LANGUAGES = {"und", "zxx", "qam", "qct", "qht", "qme", "qst", "art"}
MAPPED = {"id", "text", "author_id", "created_at", "lang", "conversation_id", "author", "__twarc"}


class XSource(ResponseSource):
    priority = 20

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        text = head_text(head)
        if not text.startswith(("{", "[")) or any(m in text for m in _OTHERS):
            return False
        if '"__twarc"' in text or '"edit_history_tweet_ids"' in text:
            return True
        return bool(re.search(r'"data"\s*:\s*[\[{]', text)) and any(m in text for m in _MARKERS)

    def response(self, doc: Any, where: str, src: str, line: int, raw: bytes) -> Iterator[RawRecord | BadRecord]:
        if not isinstance(doc, dict):
            yield BadRecord(src, line, where or None, f"expected a JSON object, got {type(doc).__name__}", raw[:2000])
            return
        if isinstance(doc.get("errors"), list) and doc["errors"]:
            self.skipped["x api error"] += len(doc["errors"])
        if "data" in doc:
            data = doc["data"]
            tweets = [data] if isinstance(data, dict) else data
            if not isinstance(tweets, list):
                yield BadRecord(src, line, f"{where}data", "must be a list of tweets or one tweet", raw[:2000])
                return
            includes = doc.get("includes") if isinstance(doc.get("includes"), dict) else {}
            labels = ([f"{where}data[{i}]" for i in range(len(tweets))] if isinstance(data, list)
                      else [f"{where}data"])
        elif "id" in doc and "text" in doc:  # twarc2 --flatten: one tweet with its expansions inline
            tweets, labels = [doc], [where]
            includes = {"users": [doc["author"]] if isinstance(doc.get("author"), dict) else [],
                        "media": dig(doc, "attachments", "media") or []}
        elif dig(doc, "meta", "result_count") == 0 or ("errors" in doc and "data" not in doc):
            self.skipped["x empty page"] += 1
            return
        else:
            yield BadRecord(src, line, where or None, "not an X API v2 response: no 'data'", raw[:2000])
            return
        users = {u.get("id"): u for u in includes.get("users") or [] if isinstance(u, dict)}
        media = {m.get("media_key"): m for m in includes.get("media") or [] if isinstance(m, dict)}
        quoted = {t.get("id"): t for t in includes.get("tweets") or [] if isinstance(t, dict)}
        fetched = dig(doc, "__twarc", "retrieved_at")  # when the collector captured the page
        for field, tweet in zip(labels, tweets):
            if not isinstance(tweet, dict):
                yield BadRecord(src, line, field or None, f"tweet is not a JSON object but {type(tweet).__name__}",
                                raw[:2000])
                continue
            at = locate(raw, f'"{id_str(tweet.get("id"))}"' if id_str(tweet.get("id")) else None, line)
            try:
                data = _canonical(tweet, users, media, quoted)
            except _Bad as exc:
                yield BadRecord(src, at, f"{field}.{exc.field}" if field else exc.field, exc.reason,
                                canonical_bytes(tweet))
                continue
            if fetched:
                data["raw"]["retrieved_at"] = fetched
            yield RawRecord(data, src, at, canonical_bytes(tweet))


class _Bad(Exception):
    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason


def _canonical(tweet: dict, users: dict, media: dict, referenced: dict) -> dict:
    tweet_id = id_str(tweet.get("id"))
    if tweet_id is None:
        raise _Bad("id", f"missing or not a string: {tweet.get('id')!r}")
    text = dig(tweet, "note_tweet", "text") or tweet.get("text")
    if not isinstance(text, str):
        raise _Bad("text", f"must be a string, got {type(text).__name__}")
    try:
        created = to_iso(tweet.get("created_at"))
    except ValueError:
        raise _Bad("created_at", f"not an ISO-8601 time: {tweet.get('created_at')!r}") from None
    author_id = id_str(tweet.get("author_id"))
    user = users.get(author_id) or (tweet.get("author") if isinstance(tweet.get("author"), dict) else {})
    username = user.get("username") if isinstance(user.get("username"), str) else None
    lang = tweet.get("lang") if isinstance(tweet.get("lang"), str) else None
    raw: dict[str, Any] = {k: v for k, v in tweet.items() if k not in MAPPED}
    if lang in NOT_LANGUAGES:
        raw["x_lang"], lang = lang, None
    if user:
        raw["author"] = {k: user[k] for k in ("username", "name", "verified", "location") if k in user}
    urls = [u.get("expanded_url") for u in dig(tweet, "entities", "urls") or [] if isinstance(u, dict)]
    if any(urls):
        raw["expanded_urls"] = [u for u in urls if u]
    reply_to = None
    for ref in tweet.get("referenced_tweets") or []:
        if not isinstance(ref, dict):
            continue
        if ref.get("type") == "replied_to":
            reply_to = id_str(ref.get("id"))
        elif ref.get("type") in ("retweeted", "quoted") and isinstance(referenced.get(ref.get("id")), dict):
            raw[f"{ref['type']}_text"] = referenced[ref["id"]].get("text")
    items = []
    keys = dig(tweet, "attachments", "media_keys") or []
    inline = dig(tweet, "attachments", "media") or []
    for key in keys if isinstance(keys, list) else []:
        m = media.get(key)
        if m is None:
            items.append({"media_key": key, "missing": "not in includes.media"})
            continue
        item = {"type": m.get("type"), "media_key": key}
        if m.get("url") or m.get("preview_image_url"):
            item["url"] = m.get("url") or m.get("preview_image_url")
        items.append(item)
    if not keys and isinstance(inline, list):  # flattened: media objects inline
        items = [{"type": m.get("type"), "media_key": m.get("media_key"),
                  **({"url": m.get("url") or m.get("preview_image_url")}
                     if m.get("url") or m.get("preview_image_url") else {})}
                 for m in inline if isinstance(m, dict)]
    url = (f"https://x.com/{username}/status/{tweet_id}" if username
           else f"https://x.com/i/web/status/{tweet_id}")
    return {"id": tweet_id, "platform": "x", "text": text, "author_id": author_id,
            "author_handle": username, "created_at": created, "lang": lang, "url": url,
            "conversation_id": id_str(tweet.get("conversation_id")), "reply_to": reply_to,
            "media": items, "raw": raw}
