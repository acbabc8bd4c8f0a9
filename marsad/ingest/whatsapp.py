"""WhatsApp "Export chat" text files -> one canonical post per message.

Line formats, as the phones write them (the order of day and month, the 12/24-hour clock and
the separators follow the phone's locale):

- Android: ``12/31/23, 9:41 PM - Name: text`` / ``31/12/2023, 21:41 - Name: text`` /
  ``2023-12-31 21:41 - Name: text``; newer versions put U+202F before ``PM``;
- iOS: ``[31/12/2023, 21:41:07] Name: text``, with U+200E marks before system lines and
  before attachment markers; some locales write ``31.12.23, 21.41.07``.

A line without a timestamp continues the message above (multi-line messages). System lines
("Messages and calls are end-to-end encrypted", "X joined using this group's invite link",
group changes; on Android they have no author, on iOS they are attributed to the chat and
marked with U+200E) are counted in ``skipped``, as are deleted messages. Media:
``<Media omitted>`` / ``image omitted`` (exports without media) become a media entry marked
missing; ``IMG-20231231-WA0001.jpg (file attached)`` and ``<attached: 0000012-PHOTO-....jpg>``
become the file's path beside the export, and the lines after it the caption.

Day/month order is inferred per file: a first date field above 12 means day first, a second
one above 12 means month first; when nothing tells, a 12-hour clock means month first (US
locale), else day first. Times are the exporting phone's local time, without an offset, so
``created_at`` is naive and ``raw["local_time"]`` says so.

The chat is one conversation (``conversation_id`` = the file's stem, or its folder for an
iOS ``_chat.txt``); each message's id is ``<chat>:<line>``, stable across re-runs of the
same file; ``author_id`` is the sender as the phone shows it, a contact name or a number.
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Iterator

from marsad.ingest.base import Source
from marsad.ingest.documents import head_text
from marsad.model import BadRecord, RawRecord

_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_DATE = r"(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"
_TIME = r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)(?:[\s\u202f\u00a0]*(?P<ampm>[AaPp]\.?\s?[Mm]\.?))?"
IOS = re.compile(r"\[" + _DATE + r",?\s" + _TIME + r"\]\s(?P<rest>.*)$", re.S)
ANDROID = re.compile(_DATE + r",?\s" + _TIME + r"\s[-\u2013]\s(?P<rest>.*)$", re.S)
_AUTHOR = re.compile(r"(?P<author>[^:\n]{1,100}?):(?:\s(?P<text>.*))?$", re.S)
ENCRYPTION = re.compile(r"(?:Messages and calls are end-to-end encrypted|"
                        r"Messages to this (?:chat|group) (?:and calls )?are now secured with end-to-end encryption|"
                        r"Messages and calls are now end-to-end encrypted)", re.I)
SYSTEM = re.compile(r"(?:joined using this group's invite link|created (?:this )?group|changed the subject|"
                    r"changed this group's icon|deleted this group's icon|changed the group description|"
                    r"changed their phone number|security code (?:with .+ )?changed|You're now an admin|"
                    r"\badded\b|\bleft$|\bremoved\b|turned (?:on|off) disappearing messages|pinned a message|"
                    r"Missed (?:voice|video) call|This chat is with a business account)", re.I)
SYSTEM_IN_AUTHOR = re.compile(r"changed the subject|changed this group's icon|changed the group description|"
                              r"created (?:this )?group|joined using", re.I)
DELETED = re.compile(r"^(?:This message was deleted|You deleted this message)\.?$", re.I)
OMITTED_ANDROID = re.compile(r"^<Media omitted>$", re.I)
OMITTED_IOS = re.compile(r"^(?:(?P<name>.+?) • .*?)?(?P<kind>image|video|audio|sticker|GIF|document|"
                         r"Contact card|video note) omitted$", re.I)
ATTACHED_IOS = re.compile(r"<attached: (?P<file>[^>]+)>")
ATTACHED_ANDROID = re.compile(r"^(?P<file>\S.*?\.\w{1,5}) \(file attached\)$")
EDITED = re.compile(r"\s*<This message was edited>$")


class WhatsAppSource(Source):
    suffixes = (".txt",)
    priority = 40

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if path.suffix.lower() != ".txt":
            return False
        lines = [ln.strip(_MARKS + " \r") for ln in head_text(head).split("\n")[:10]]
        return any(IOS.match(ln) or ANDROID.match(ln) for ln in lines if ln)

    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        src = str(path)
        chat = f"{path.parent.name}/{path.stem}" if path.stem == "_chat" else path.stem
        with open(path, "rb") as fh:
            raw_lines = fh.read().split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        texts: list[str | None] = []
        for n, raw in enumerate(raw_lines):
            if n == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                texts.append(raw.decode("utf-8").rstrip("\r"))
            except UnicodeDecodeError:
                texts.append(None)
        headers = [_header(t) for t in texts]
        order = _date_order(h for h in headers if h)
        message: list[int] = []  # line indexes of the message being gathered
        for i, head in enumerate(headers):
            if head is None and message:
                message.append(i)
                continue
            if message:
                yield from self._message(message, headers, texts, raw_lines, order, chat, src, path.parent)
                message = []
            if head is None:
                if texts[i] is None:
                    yield BadRecord(src, i + 1, None, "not UTF-8 text", raw_lines[i])
                elif texts[i].strip(_MARKS + " "):
                    yield BadRecord(src, i + 1, None, "line belongs to no message (no timestamp before it)",
                                    raw_lines[i])
                continue
            message = [i]
        if message:
            yield from self._message(message, headers, texts, raw_lines, order, chat, src, path.parent)

    def _message(self, lines: list[int], headers: list, texts: list, raw_lines: list[bytes], order: str,
                 chat: str, src: str, folder: Path) -> Iterator[RawRecord | BadRecord]:
        first = lines[0]
        head = headers[first]
        raw = b"\n".join(raw_lines[i] for i in lines)
        if any(texts[i] is None for i in lines):
            bad = next(i for i in lines if texts[i] is None)
            yield BadRecord(src, first + 1, None, f"line {bad + 1} is not UTF-8 text", raw)
            return
        try:
            when = _timestamp(head, order)
        except ValueError as exc:
            yield BadRecord(src, first + 1, "timestamp", str(exc), raw)
            return
        body = "\n".join([head["rest"]] + [texts[i] for i in lines[1:]]).lstrip(_MARKS)
        who = _AUTHOR.match(body)
        if who is None or ENCRYPTION.search(body.split("\n", 1)[0]) or SYSTEM_IN_AUTHOR.search(who["author"]):
            self.skipped["whatsapp system message"] += 1  # no author: a group event
            return
        author, text = who["author"].strip(_MARKS + " "), who["text"] or ""
        media_line = text.split("\n", 1)[0].strip(_MARKS + " ")
        is_media = bool(OMITTED_IOS.match(media_line) or ATTACHED_IOS.search(media_line))
        if text.startswith("\u200e") and not is_media and SYSTEM.search(text):
            self.skipped["whatsapp system message"] += 1  # iOS: an event attributed to the chat
            return
        text = text.strip(_MARKS)
        raw_info: dict = {"local_time": True, "export": head["kind"]}
        if EDITED.search(text):
            text, raw_info["edited"] = EDITED.sub("", text), True
        if DELETED.match(text.strip()):
            self.skipped["whatsapp deleted message"] += 1
            return
        media, text = _media(text, folder)
        if not text and not media:
            self.skipped["whatsapp empty message"] += 1
            return
        yield RawRecord({"id": f"{chat}:{first + 1}", "platform": "whatsapp", "text": text,
                         "author_id": author, "created_at": when, "conversation_id": chat,
                         "media": media, "raw": raw_info}, src, first + 1, raw)


def _header(text: str | None) -> dict | None:
    if text is None:
        return None
    stripped = text.lstrip(_MARKS + " ")
    m = IOS.match(stripped)
    kind = "ios"
    if m is None:
        m, kind = ANDROID.match(stripped), "android"
    if m is None:
        return None
    return {"date": m["date"], "time": m["time"], "ampm": m["ampm"], "rest": m["rest"], "kind": kind}


def _split_date(date: str) -> tuple[int, int, int]:
    a, b, c = (int(x) for x in re.split(r"[./-]", date))
    return a, b, c


def _date_order(headers) -> str:
    """'ymd', 'dmy' or 'mdy' for the whole file."""
    twelve = False
    dmy = mdy = False
    for h in headers:
        a, b, _ = _split_date(h["date"])
        if a > 31:
            return "ymd"
        twelve = twelve or bool(h["ampm"])
        if a > 12:
            dmy = True
        elif b > 12:
            mdy = True
        if dmy or mdy:
            break
    if dmy:
        return "dmy"
    if mdy:
        return "mdy"
    return "mdy" if twelve else "dmy"


def _timestamp(head: dict, order: str) -> str:
    a, b, c = _split_date(head["date"])
    year, month, day = {"ymd": (a, b, c), "dmy": (c, b, a), "mdy": (c, a, b)}[order]
    if year < 100:
        year += 2000
    parts = [int(x) for x in re.split(r"[:.]", head["time"])]
    hour, minute, second = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
    if head["ampm"]:
        if hour > 12:
            raise ValueError(f"hour {hour} with AM/PM in {head['date']}, {head['time']}")
        hour = hour % 12 + (12 if head["ampm"].lower().startswith("p") else 0)
    try:
        return datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError as exc:
        raise ValueError(f"not a valid date/time {head['date']}, {head['time']} "
                         f"(read as {order.upper()}): {exc}") from None


def _media(text: str, folder: Path) -> tuple[list[dict], str]:
    first, _, rest = text.partition("\n")
    marker = first.strip(_MARKS + " ")
    if OMITTED_ANDROID.match(marker):
        return [{"type": "media", "missing": "omitted from the export"}], rest
    m = OMITTED_IOS.match(marker)
    if m:
        item = {"type": m["kind"].lower(), "missing": "omitted from the export"}
        if m["name"]:
            item["name"] = m["name"]
        return [item], rest
    m = ATTACHED_IOS.search(marker)
    if m:
        caption = (marker[:m.start()] + marker[m.end():]).strip(_MARKS + " ")
        return [{"path": str(folder / m["file"])}], "\n".join(x for x in (caption, rest) if x)
    m = ATTACHED_ANDROID.match(marker)
    if m:
        return [{"path": str(folder / m["file"])}], rest
    return [], text
