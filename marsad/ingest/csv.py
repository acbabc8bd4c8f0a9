"""CSV (and TSV) with a header row -> canonical posts, columns mapped by name.

Spreadsheets and ad-hoc exports name the same thing many ways, so header names are matched
against common names (``id``/``post_id``, ``text``/``message``/``content``/``body``,
``author``/``user``/``username``, ``date``/``created_at``/``timestamp``, ``platform``,
``url``/``link``, ...; case, spaces, dots and hyphens ignored). An explicit mapping wins:
``CsvSource(mapping={"text": "message", "id": "post_id"}, platform="facebook")``; the CLI's
``--map text=message,id=post_id --platform facebook`` goes through ``parse_mapping``. Columns
that map to nothing are kept verbatim in ``raw``.

Excel's UTF-8 BOM and ``;`` (European locales), tab and ``|`` separators are handled; the
separator is the one of ``, ; \\t |`` that splits the header most. Line numbers are those of
the file (a quoted field may span lines; a record is reported at its first line) and ``raw``
holds the record's own lines as they are in the file.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Iterator

from marsad.errors import InputError
from marsad.ingest.base import Source
from marsad.ingest.documents import head_text, loose_time
from marsad.model import BadRecord, RawRecord

# Post texts can be long; the csv module's default field limit (128 KiB) would reject them.
csv.field_size_limit(64 * 1024 * 1024)

FIELDS = ("id", "text", "author_id", "author_handle", "created_at", "platform", "url", "lang",
          "conversation_id", "reply_to", "media")
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "post_id", "postid", "message_id", "msg_id", "tweet_id", "status_id", "item_id",
           "video_id", "comment_id", "uid"),
    "text": ("text", "message", "content", "body", "post_text", "full_text", "message_text", "post",
             "tweet", "caption", "comment", "description"),
    "author_id": ("author_id", "user_id", "userid", "account_id", "owner_id", "sender_id", "from_id",
                  "author", "user", "sender", "from", "account", "poster"),
    "author_handle": ("author_handle", "handle", "username", "user_name", "screen_name", "user_screen_name",
                      "author_username", "user_handle"),
    "created_at": ("created_at", "date", "timestamp", "time", "datetime", "date_time", "created",
                   "created_time", "creation_time", "published_at", "posted_at", "post_date",
                   "publish_time", "create_time", "date_posted"),
    "platform": ("platform", "network", "social_network", "source_platform", "site"),
    "url": ("url", "link", "permalink", "post_url", "permalink_url", "tweet_url", "post_link"),
    "lang": ("lang", "language", "language_code"),
    "conversation_id": ("conversation_id", "thread_id"),
    "reply_to": ("reply_to", "in_reply_to", "in_reply_to_id", "reply_to_id", "parent_id",
                 "in_reply_to_status_id"),
    "media": ("media", "media_url", "media_urls", "image", "image_url", "images", "photo", "photo_url",
              "attachment", "attachments"),
}
DELIMITERS = (",", ";", "\t", "|")


def header_key(name: str) -> str:
    return re.sub(r"[\s.\-]+", "_", name.strip().lower()).strip("_")


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"text=message,id=post_id"`` -> ``{"text": "message", "id": "post_id"}``."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        field, sep, column = part.partition("=")
        field = field.strip()
        if not sep or not column.strip():
            raise InputError(f"expected FIELD=COLUMN, got {part!r}", field="--map")
        if field not in FIELDS:
            raise InputError(f"unknown field {field!r}; one of {', '.join(FIELDS)}", field="--map")
        mapping[field] = column.strip()
    return mapping


def resolve_columns(header: list[str], mapping: dict[str, str] | None = None) -> dict[str, str]:
    """Canonical field -> column name: explicit mapping first, then the common names."""
    by_key = {}
    for name in header:
        by_key.setdefault(header_key(name), name)
    out: dict[str, str] = {}
    for field, column in (mapping or {}).items():
        found = column if column in header else by_key.get(header_key(column))
        if found is None:
            raise InputError(f"no column {column!r} in the header (columns: {', '.join(header)})",
                             field=field)
        out[field] = found
    taken = set(out.values())
    for field, names in ALIASES.items():
        if field in out:
            continue
        for alias in names:
            column = by_key.get(alias)
            if column is not None and column not in taken:
                out[field] = column
                taken.add(column)
                break
    if "author_id" not in out and "author_handle" in out:
        out["author_id"] = out["author_handle"]
    return out


def _delimiter(header_line: str) -> str:
    counts = {d: len(next(csv.reader([header_line], delimiter=d))) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d])


class CsvRows:
    """The header and the rows of a CSV file, each row with its first line and its own bytes."""

    def __init__(self, path: Path):
        self.path = path
        self.header: list[str] = []
        self.delimiter = ","

    def __iter__(self) -> Iterator[tuple[int, dict[str, str], bytes] | BadRecord]:
        src = str(self.path)
        with open(self.path, encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
            lines: list[str] = []

            def feed() -> Iterator[str]:
                for line in fh:
                    lines.append(line)
                    yield line

            source = feed()
            first = next(source, None)
            while first is not None and not first.strip():
                first = next(source, None)
            if first is None:
                return
            self.delimiter = _delimiter(first)
            self.header = next(csv.reader([first], delimiter=self.delimiter))
            header_lines = len(lines)
            lines.clear()
            reader = csv.reader(source, delimiter=self.delimiter)
            end = header_lines
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    start, end = end + 1, header_lines + reader.line_num
                    yield BadRecord(src, start, None, f"unreadable CSV: {exc}", _bytes(lines))
                    lines.clear()
                    continue
                start, end = end + 1, header_lines + reader.line_num
                raw = _bytes(lines)
                lines.clear()
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(self.header):
                    yield BadRecord(src, start, None, f"{len(row)} fields where the header has "
                                    f"{len(self.header)} (unbalanced quotes or a stray "
                                    f"{self.delimiter!r}?)", raw)
                    continue
                yield start, dict(zip(self.header, row)), raw


def _bytes(lines: list[str]) -> bytes:
    return "".join(lines).rstrip("\r\n").encode("utf-8", "surrogateescape")


class CsvSource(Source):
    suffixes = (".csv", ".tsv")
    priority = 95  # generic: any table; the specific CSV formats (Meta Content Library) go first

    def __init__(self, mapping: dict[str, str] | None = None, platform: str | None = None):
        self.mapping = dict(mapping or {})
        unknown = set(self.mapping) - set(FIELDS)
        if unknown:
            raise InputError(f"unknown field(s) {', '.join(sorted(unknown))}; one of {', '.join(FIELDS)}",
                             field="--map")
        self.platform = platform

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if path.suffix.lower() not in cls.suffixes:
            return False
        text = head_text(head)
        if not text or text.startswith(("{", "[")):
            return False
        first = text.splitlines()[0]
        return len(next(csv.reader([first], delimiter=_delimiter(first)))) >= 2

    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        src = str(path)
        rows = CsvRows(path)
        columns: dict[str, str] | None = None
        for item in rows:
            if isinstance(item, BadRecord):
                yield item
                continue
            if columns is None:
                try:
                    columns = resolve_columns(rows.header, self.mapping)
                except InputError as exc:
                    yield BadRecord(src, 1, exc.field, exc.reason, _bytes([",".join(rows.header)]))
                    return
                missing = [f for f in ("id", "text") if f not in columns]
                if missing:
                    yield BadRecord(src, 1, missing[0], f"no column for {' and '.join(missing)}; name one with "
                                    f"--map {missing[0]}=COLUMN (columns: {', '.join(rows.header)})",
                                    rows.delimiter.join(rows.header).encode("utf-8", "surrogateescape"))
                    return
            line, row, raw = item
            try:
                data = self._canonical(row, columns)
            except _Bad as exc:
                yield BadRecord(src, line, exc.field, exc.reason, raw)
                continue
            yield RawRecord(data, src, line, raw)

    def _canonical(self, row: dict[str, str], columns: dict[str, str]) -> dict:
        data: dict = {}
        for field, column in columns.items():
            value = row.get(column, "")
            if field != "text":
                value = value.strip()
            if value == "" and field != "text":
                continue
            data[field] = value
        if not data.get("id"):
            raise _Bad(columns["id"], "empty id")
        if "created_at" in data:
            try:
                data["created_at"] = loose_time(data["created_at"])
            except ValueError as exc:
                raise _Bad(columns["created_at"], str(exc)) from None
        if "media" in data:
            data["media"] = [{"url": m} if re.match(r"https?://", m) else {"path": str(m)}
                             for m in re.split(r"[\s;|]+", data["media"]) if m]
        if not data.get("platform"):
            data["platform"] = self.platform or "other"
        if not data.get("text") and not data.get("media"):
            raise _Bad(columns["text"], "empty text and no media")
        used = set(columns.values())
        data["raw"] = {k: v for k, v in row.items() if k not in used and v != ""}
        return data


class _Bad(Exception):
    def __init__(self, field: str | None, reason: str):
        self.field, self.reason = field, reason
