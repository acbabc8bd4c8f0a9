"""Shared pieces of the platform adapters: reading API responses saved as JSON, times, evidence bytes.

API clients save responses in two ways: one response per file (often pretty-printed, as
``curl > page.json`` or a notebook's ``json.dump`` writes it) or one response per line (twarc2,
most collectors). ``json_documents`` reads both and reports a broken document as a
``BadRecord`` naming the line, so one bad page never stops a folder.
"""
from __future__ import annotations

import abc
import json
import re
from itertools import chain
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterator

from marsad.ingest.base import Source
from marsad.model import BadRecord, RawRecord

BOM = "\ufeff"


def head_text(head: bytes) -> str:
    """The sniffing window as text: BOM and leading blanks gone, a split multibyte tail ignored."""
    return head.decode("utf-8", "ignore").lstrip(BOM + " \t\r\n")


def canonical_bytes(obj: Any) -> bytes:
    """A stable re-serialisation of a record taken from a larger document (evidence hash input)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def epoch_to_iso(value: int | float | str) -> str:
    """Epoch seconds (or milliseconds, told apart by size) -> ISO-8601 UTC. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    number = float(value)
    if number > 1e11:  # milliseconds: 1e11 s is the year 5138
        number /= 1000
    return datetime.fromtimestamp(number, tz=timezone.utc).isoformat()


def to_iso(value: Any) -> str | None:
    """ISO-8601 text (``Z``, ``+0000`` or ``+00:00``; a space for ``T`` allowed) or epoch -> ISO-8601.

    Naive times are kept naive (the platform's own clock, usually UTC). Raises ValueError on
    anything else, so the adapter can name the field in a ``BadRecord``."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return epoch_to_iso(value)
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    text = value.strip()
    if text.isdigit():
        return epoch_to_iso(text)
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.isoformat()


def json_documents(path: Path) -> Iterator[tuple[int, Any, bytes] | BadRecord]:
    """Every JSON document of the file as ``(line, value, raw bytes)``: one document a line
    (streamed: collections of responses run to gigabytes), else the whole file as one
    (pretty-printed) document, which is read at once (one API response is a page)."""
    src = str(path)
    with open(path, "rb") as fh:
        ahead: list[tuple[int, bytes]] = []  # the first two non-empty lines decide the layout
        for n, line in enumerate(fh, 1):
            if n == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            if line.strip():
                ahead.append((n, line))
                if len(ahead) == 2:
                    break
        if not ahead:
            return
        if any(_parses(line) for _, line in ahead):
            for n, line in chain(ahead, enumerate(fh, ahead[-1][0] + 1)):
                stripped = line.strip()
                if not stripped:
                    continue
                try:
                    yield n, json.loads(stripped), stripped
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    yield BadRecord(src, n, None, f"invalid JSON: {exc}", stripped)
            return
        fh.seek(0)
        data = fh.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        yield ahead[0][0], json.loads(data), data
    except UnicodeDecodeError as exc:
        yield BadRecord(src, ahead[0][0], None, f"not UTF-8 text: {exc}", data[:2000])
    except json.JSONDecodeError as exc:
        yield BadRecord(src, exc.lineno, None, f"invalid JSON: {exc.msg} (column {exc.colno})", data[:2000])


def response_documents(path: Path) -> Iterator[tuple[int, str, Any, bytes] | BadRecord]:
    """API responses of a file as ``(line, where, document, raw bytes)``: one response a line,
    a file holding one response, or a JSON array of responses (``where`` = ``"[j]"``)."""
    for item in json_documents(path):
        if isinstance(item, BadRecord):
            yield item
            continue
        line, doc, raw = item
        if isinstance(doc, list):
            for j, one in enumerate(doc):
                yield line, f"[{j}]", one, raw
        else:
            yield line, "", doc, raw


class ResponseSource(Source):
    """A format whose files hold API responses (X, YouTube): ``records`` walks them with
    ``response_documents`` and hands each to ``response``."""

    suffixes = (".json", ".jsonl", ".ndjson")

    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        src = str(path)
        for item in response_documents(path):
            if isinstance(item, BadRecord):
                yield item
            else:
                line, where, doc, raw = item
                yield from self.response(doc, where, src, line, raw)

    @abc.abstractmethod
    def response(self, doc: Any, where: str, src: str, line: int, raw: bytes) -> Iterator[RawRecord | BadRecord]:
        """The records of one response; ``where`` locates it in a JSON array ("[j]" or "")."""


def _parses(line: bytes) -> bool:
    try:
        json.loads(line)
        return True
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def dig(obj: Any, *keys: str) -> Any:
    """``obj[k1][k2]...`` or None when any step is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def id_str(value: Any) -> str | None:
    """Platform ids arrive as strings or as (big) JSON numbers; canonical ids are strings."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def locate(raw: bytes, needle: str | None, first_line: int) -> int:
    """The line of a pretty-printed document where ``needle`` (a record's id) first appears,
    so a record inside a one-document file is reported at its own line."""
    if not needle or b"\n" not in raw:
        return first_line
    idx = raw.find(needle.encode("utf-8"))
    return first_line if idx < 0 else first_line + raw.count(b"\n", 0, idx)


_LOOSE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                  "%d.%m.%Y", "%a %b %d %H:%M:%S %z %Y")  # the last: X API v1.1 "Fri Sep 18 18:36:15 +0000 2020"
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")


def loose_time(value: str) -> str | None:
    """Times as spreadsheets and exports write them -> ISO-8601; raises ValueError when the
    value is no time or its day/month order cannot be told (``03/04/2024``)."""
    try:
        return to_iso(value)
    except ValueError:
        pass
    text = value.strip()
    for fmt in _LOOSE_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text).isoformat()  # RFC 2822: "Tue, 05 Jan 2024 10:00:00 +0000"
    except (TypeError, ValueError, IndexError):
        pass
    m = _SLASHED.match(text)
    if not m:
        raise ValueError(f"not a time: {value!r}")
    a, b, year = int(m[1]), int(m[2]), int(m[3])
    if a > 12 >= b:
        day, month = a, b
    elif b > 12 >= a:
        day, month = b, a
    else:
        raise ValueError(f"day and month order of {value!r} is ambiguous; write ISO-8601 (YYYY-MM-DD)")
    hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    if m[7]:
        hour = hour % 12 + (12 if m[7].lower() == "pm" else 0)
    return datetime(year + 2000 if year < 100 else year, month, day, hour, minute, second).isoformat()
