"""Telegram Desktop "Export chat history" JSON (``result.json``) -> canonical posts.

Two shapes, both written by Telegram Desktop's ``export_output_json.cpp``:

- one chat or channel: ``{"name", "type", "id", "messages": [...]}``;
- the whole account: ``{"about", "personal_information", ..., "chats": {"about", "list":
  [chat, ...]}, "left_chats": {"about", "list": [...]}}``.

Each message becomes a post with id ``<chat id>:<message id>`` (message ids are only unique
within a chat), ``conversation_id`` = chat id, ``reply_to`` in the same id scheme. ``text`` is
a plain string or a list of strings and entity objects (``{"type": "link"|"text_link"|
"mention"|"phone"|..., "text", "href"?}``); the parts are joined and the entities that name
something (links, mentions, phones, e-mails, hashtags) are kept in ``raw["entities"]``.
Service messages (``"type": "service"``: joins, pins, title changes) are counted in
``skipped``, not reported as bad. ``created_at`` comes from ``date_unixtime`` because ``date``
is the exporting computer's local time without an offset.

The export carries no @username for chats, so ``url`` (``https://t.me/<username>/<id>``) is
only set when the caller names the username (``TelegramSource(usernames={chat_id: name})``)
or the chat object has a ``username`` key (some third-party exporters add one).

Streaming: a channel export can be hundreds of MB, so messages are read one at a time by a
small hand-written reader (the standard library has no incremental JSON parser and ijson is
not a dependency): it walks the few levels of structure above the ``messages`` arrays, finds
each message's extent with C-speed regex jumps over strings and brackets, and decodes only
that slice with ``json.loads``. Memory stays at one read chunk plus one message, a broken
message is reported with its line number and the reader resumes after it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from marsad.ingest.base import Source
from marsad.ingest.documents import epoch_to_iso, head_text, id_str, to_iso
from marsad.model import BadRecord, RawRecord

CHAT_TYPES = ("personal_chat", "bot_chat", "private_group", "private_supergroup", "public_supergroup",
              "private_channel", "public_channel", "saved_messages", "replies")
_SINGLE = re.compile(r'\{\s*(?:"name"\s*:\s*(?:null|"(?:[^"\\]|\\.)*")\s*,\s*)?"type"\s*:\s*"(?:'
                     + "|".join(CHAT_TYPES) + r')"')
_ACCOUNT = re.compile(r'\{\s*"about"\s*:\s*"')
_ACCOUNT_KEYS = re.compile(r'"(?:personal_information|chats|left_chats|contacts|frequent_contacts|'
                           r'profile_pictures)"\s*:')
# Entity types that name something worth linking; formatting (bold, italic, ...) is dropped.
NAMING_ENTITIES = {"link", "text_link", "mention", "mention_name", "phone", "email", "hashtag",
                   "cashtag", "bank_card", "bot_command"}
MAPPED = {"id", "type", "date", "date_unixtime", "from", "from_id", "text", "text_entities",
          "reply_to_message_id", "reply_to_peer_id", "photo", "file", "thumbnail"}
MEDIA_KEYS = ("photo", "file")
CHUNK = 1 << 20  # characters read at a time


class TelegramSource(Source):
    suffixes = (".json",)
    priority = 10

    def __init__(self, usernames: dict[str, str] | None = None, read_size: int = CHUNK):
        #: chat id -> public @username (without @), for t.me links the export does not carry.
        self.usernames = {str(k): v.lstrip("@") for k, v in (usernames or {}).items()}
        self.read_size = read_size
        super().__init__()

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        text = head_text(head)
        if _SINGLE.match(text):
            return '"messages"' in text
        return bool(_ACCOUNT.match(text) and _ACCOUNT_KEYS.search(text))

    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        src = str(path)
        export_dir = path.parent
        with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
            reader = _JsonReader(fh, self.read_size)
            try:
                for item in _walk_export(reader):
                    if isinstance(item, BadRecord):
                        yield BadRecord(src, item.line, item.field, item.reason, item.raw)
                        continue
                    chat, line, text, value = item
                    rec = self._record(chat, line, text, value, src, export_dir)
                    if rec is not None:
                        yield rec
            except _Truncated as exc:
                yield BadRecord(src, exc.line, None, f"file ends inside the JSON ({exc.what}): "
                                "truncated export?", b"")
            except _Structure as exc:
                yield BadRecord(src, exc.line, None, f"not a Telegram Desktop export: {exc.what}", b"")

    # -- one message -------------------------------------------------------------------
    def _record(self, chat: dict, line: int, text: str, value: Any, src: str,
                export_dir: Path) -> RawRecord | BadRecord | None:
        """The message as a record, a bad record, or None when it is skipped (and counted)."""
        raw_bytes = text.encode("utf-8", "surrogateescape")
        try:
            msg = _loads(text) if value is _UNDECODED else value
        except json.JSONDecodeError as exc:
            return BadRecord(src, line, None, f"invalid JSON in message (line {line + exc.lineno - 1}, "
                             f"column {exc.colno}): {exc.msg}", raw_bytes)
        if not isinstance(msg, dict):
            return BadRecord(src, line, None, f"message is not a JSON object but {type(msg).__name__}", raw_bytes)
        kind = msg.get("type", "message")
        if kind != "message":
            self.skipped[f"telegram {kind}" if isinstance(kind, str) else "telegram unknown type"] += 1
            return None
        try:
            data = self._canonical(msg, chat, export_dir)
        except _Bad as exc:
            return BadRecord(src, line, exc.field, exc.reason, raw_bytes)
        if data is None:
            self.skipped["telegram empty message"] += 1
            return None
        return RawRecord(data, src, line, raw_bytes)

    def _canonical(self, msg: dict, chat: dict, export_dir: Path) -> dict | None:
        chat_id = id_str(chat.get("id")) or "chat"
        msg_id = id_str(msg.get("id"))
        if msg_id is None:
            raise _Bad("id", f"message id missing or not a number/string: {msg.get('id')!r}")
        text, entities = _text(msg)
        raw: dict[str, Any] = {k: v for k, v in msg.items() if k not in MAPPED}
        raw["chat"] = {k: chat.get(k) for k in ("name", "type", "id") if k in chat}
        if "from" in msg:
            raw["from"] = msg["from"]
        if entities:
            raw["entities"] = entities
        author_id = msg.get("from_id")
        if author_id is not None and not isinstance(author_id, str):
            author_id = id_str(author_id)
            if author_id is None:
                raise _Bad("from_id", f"must be a string, got {type(msg['from_id']).__name__}")
        if author_id is None and str(chat.get("type", "")).endswith("channel"):
            author_id = f"channel{chat_id}"  # a channel post: the channel is the author
        created = None
        if msg.get("date_unixtime") not in (None, ""):
            try:
                created = epoch_to_iso(msg["date_unixtime"])
            except (TypeError, ValueError, OverflowError):
                raise _Bad("date_unixtime", f"not epoch seconds: {msg['date_unixtime']!r}") from None
        elif msg.get("date"):
            try:
                created = to_iso(msg["date"])
            except ValueError:
                raise _Bad("date", f"not an ISO-8601 time: {msg['date']!r}") from None
            raw["date_is_local_time"] = True
        if "edited_unixtime" in raw:
            try:
                raw["edited"] = epoch_to_iso(raw.pop("edited_unixtime"))
            except (TypeError, ValueError, OverflowError):
                pass
        media = []
        for key in MEDIA_KEYS:
            value = msg.get(key)
            if not isinstance(value, str) or not value:
                continue
            item: dict[str, Any] = {"type": msg.get("media_type") or key}
            if value.startswith("(") and value.endswith(")"):
                item["missing"] = value  # "(File not included. Change data exporting settings...)"
            else:
                item["path"] = str(export_dir / value)
            if msg.get("mime_type"):
                item["mime_type"] = msg["mime_type"]
            media.append(item)
        if not text:
            text = _card_text(msg)
        if not text and not media:
            return None
        reply_to = None
        if msg.get("reply_to_message_id") is not None:
            peer = msg.get("reply_to_peer_id")
            peer_id = re.sub(r"^(user|channel|chat)", "", peer) if isinstance(peer, str) else chat_id
            reply_to = f"{peer_id}:{id_str(msg['reply_to_message_id'])}"
        username = self.usernames.get(chat_id) or chat.get("username")
        url = f"https://t.me/{username.lstrip('@')}/{msg_id}" if isinstance(username, str) and username else None
        return {"id": f"{chat_id}:{msg_id}", "platform": "telegram", "text": text,
                "author_id": author_id, "created_at": created, "url": url,
                "conversation_id": chat_id, "reply_to": reply_to, "media": media, "raw": raw}


def _text(msg: dict) -> tuple[str, list[dict]]:
    value = msg.get("text")
    if value is None:
        value = msg.get("text_entities", "")
    if isinstance(value, str):
        parts: list = [value]
    elif isinstance(value, list):
        parts = value
    else:
        raise _Bad("text", f"must be a string or a list of strings and entity objects, got "
                           f"{type(value).__name__}")
    out, entities = [], []
    for i, part in enumerate(parts):
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text", ""), str):
            out.append(part.get("text", ""))
            if part.get("type") in NAMING_ENTITIES:
                entities.append({k: part[k] for k in ("type", "text", "href", "user_id") if k in part})
        else:
            raise _Bad("text", f"part {i} is neither a string nor an entity object with text")
    if isinstance(msg.get("text"), str) and isinstance(msg.get("text_entities"), list):
        entities = [{k: e[k] for k in ("type", "text", "href", "user_id") if k in e}
                    for e in msg["text_entities"] if isinstance(e, dict) and e.get("type") in NAMING_ENTITIES]
    return "".join(out), entities


def _card_text(msg: dict) -> str:
    """What the app shows for a message whose content is a contact card, a poll or a place."""
    card = msg.get("contact_information")
    if isinstance(card, dict):
        return " ".join(str(card[k]) for k in ("first_name", "last_name", "phone_number") if card.get(k))
    poll = msg.get("poll")
    if isinstance(poll, dict):
        answers = [a.get("text", "") for a in poll.get("answers") or [] if isinstance(a, dict)]
        return "\n".join([str(poll.get("question", ""))] + [str(a) for a in answers]).strip()
    return " ".join(str(msg[k]) for k in ("place_name", "address") if msg.get(k))


class _Bad(Exception):
    def __init__(self, field: str | None, reason: str):
        self.field, self.reason = field, reason


_X_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # Telegram Desktop writes control characters other than \n \r \t as "\x0B", which is
        # not JSON; rewrite them as \u000B and try once more.
        if "escape" not in exc.msg:
            raise
        return json.loads(_X_ESCAPE.sub(r"\1\\u00\2", text))


# -- the streaming reader --------------------------------------------------------------

class _Truncated(Exception):
    def __init__(self, line: int, what: str):
        self.line, self.what = line, what


class _Structure(Exception):
    def __init__(self, line: int, what: str):
        self.line, self.what = line, what


_STRUCT = re.compile(r'["{}\[\]]')
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_SCALAR = re.compile(r"[^,\]}\s]+")
_DECODER = json.JSONDecoder()
_UNDECODED = object()
_SPACE = re.compile(r"\s*")


class _JsonReader:
    """Just enough of an incremental JSON reader for Telegram exports: position, line
    numbers, object keys, and the text extent of one value at a time."""

    def __init__(self, fh, chunk: int = CHUNK):
        self.fh, self.chunk = fh, chunk
        self.buf, self.pos, self.eof = "", 0, False
        self._line, self._line_pos = 1, 0

    def _more(self) -> bool:
        if self.eof:
            return False
        data = self.fh.read(self.chunk)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def compact(self) -> None:
        """Drop what has been read, keeping line numbers right (called between values)."""
        if self.pos > self.chunk:
            self.line_at(self.pos)
            self.buf = self.buf[self.pos:]
            self._line_pos -= self.pos
            self.pos = 0

    def line_at(self, pos: int) -> int:
        if pos >= self._line_pos:
            self._line += self.buf.count("\n", self._line_pos, pos)
            self._line_pos = pos
        return self._line

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str) -> str:
        ch = self.peek()
        if not ch:
            raise _Truncated(self.line_at(self.pos), f"expected one of {chars!r}")
        if ch not in chars:
            raise _Structure(self.line_at(self.pos), f"expected one of {chars!r}, found {ch!r}")
        self.pos += 1
        return ch

    def extent(self) -> tuple[int, str]:
        """(line, text) of the next value."""
        line, text, _ = self.take()
        return line, text

    def take(self) -> tuple[int, str, Any]:
        """(line, text, decoded value or _UNDECODED) of the next value. The C decoder reads a
        complete, valid value in one call; the bracket scan below is the slow path for a value
        cut by the end of the buffer or not valid JSON."""
        self.compact()
        ch = self.peek()
        start = self.pos
        line = self.line_at(start)
        if ch in "{[":
            try:
                value, end = _DECODER.raw_decode(self.buf, start)
            except json.JSONDecodeError:
                pass
            else:
                self.pos = end
                return line, self.buf[start:end], value
        if ch in "{[":
            depth, i = 0, start
            while True:
                m = _STRUCT.search(self.buf, i)
                if not m:
                    if not self._more():
                        raise _Truncated(line, "unclosed object or array")
                    continue
                c = m.group()
                if c == '"':
                    s = _STRING.match(self.buf, m.start())
                    if not s:
                        if not self._more():
                            raise _Truncated(line, "unterminated string")
                        continue
                    i = s.end()
                    continue
                i = m.end()
                depth += 1 if c in "{[" else -1
                if depth == 0:
                    break
        elif ch == '"':
            while not (s := _STRING.match(self.buf, start)):
                if not self._more():
                    raise _Truncated(line, "unterminated string")
            i = s.end()
        elif ch:
            while (m := _SCALAR.match(self.buf, start)) and m.end() == len(self.buf) and self._more():
                pass
            if not m:
                raise _Structure(line, f"unexpected {ch!r}")
            i = m.end()
        else:
            raise _Truncated(line, "expected a value")
        self.pos = i
        return line, self.buf[start:i], _UNDECODED

    def value(self) -> Any:
        line, text = self.extent()
        try:
            return _loads(text)
        except json.JSONDecodeError as exc:
            raise _Structure(line, f"invalid JSON: {exc.msg}") from None

    def members(self) -> Iterator[str]:
        """Keys of the object starting here; the caller consumes each value before the next."""
        self.expect("{")
        if self.peek() == "}":
            self.pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise _Structure(self.line_at(self.pos), "object key is not a string")
            self.expect(":")
            yield key
            if self.expect(",}") == "}":
                return

    def elements(self) -> Iterator[None]:
        """Positions at each element of the array starting here."""
        self.expect("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield None
            if self.expect(",]") == "]":
                return


def _walk_export(r: _JsonReader) -> Iterator[tuple[dict, int, str, Any] | BadRecord]:
    """(chat, line, message text, decoded message) for every message of every chat, in file order."""
    if r.peek() != "{":
        raise _Structure(r.line_at(r.pos), "the file does not hold a JSON object")
    top: dict[str, Any] = {}
    for key in r.members():
        if key == "messages":
            yield from _messages(r, top)
        elif key in ("chats", "left_chats"):
            for sub in r.members():
                if sub == "list":
                    for _ in r.elements():
                        yield from _chat(r)
                else:
                    r.extent()
        elif key in ("name", "type", "id", "username"):
            top[key] = r.value()
        else:
            r.extent()  # personal_information, contacts, sessions...: not posts


def _chat(r: _JsonReader) -> Iterator[tuple[dict, int, str, Any] | BadRecord]:
    if r.peek() != "{":
        line, text = r.extent()
        yield BadRecord("", line, None, "chat is not a JSON object", text.encode("utf-8", "surrogateescape")[:2000])
        return
    chat: dict[str, Any] = {}
    for key in r.members():
        if key == "messages":
            yield from _messages(r, chat)
        elif key in ("name", "type", "id", "username"):
            chat[key] = r.value()
        else:
            r.extent()


def _messages(r: _JsonReader, chat: dict) -> Iterator[tuple[dict, int, str, Any] | BadRecord]:
    if r.peek() != "[":
        line, text = r.extent()
        yield BadRecord("", line, "messages", "must be a list of messages",
                        text.encode("utf-8", "surrogateescape")[:2000])
        return
    for _ in r.elements():
        yield (chat, *r.take())

