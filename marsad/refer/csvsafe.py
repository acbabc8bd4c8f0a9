"""CSV that a spreadsheet opens as data, never as formulas.

Post text, URLs and handles are hostile input: a cell starting with ``=``, ``+``, ``-`` or
``@`` (or a tab / carriage return, or their full-width forms) is run as a formula by Excel,
LibreOffice and Google Sheets (OWASP "CSV injection"). Every string cell that starts with
one gets a leading ``'``, which spreadsheets show as text and strip from display. Numbers
stay numbers. Every CSV marsad writes goes through ``writer`` here.
"""
from __future__ import annotations

import csv
import io
from typing import IO, Any, Iterable, Sequence

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows are neutralised cell by cell."""

    def __init__(self, fh: IO[str]):
        self._w = csv.writer(fh, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._w.writerow([neutralise("" if v is None else v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: IO[str]) -> SafeWriter:
    return SafeWriter(fh)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()
