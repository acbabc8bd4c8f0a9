"""Ingest: files and folders of platform exports -> RawRecord stream.

``read(paths, fmt="auto")`` walks folders, picks a Source per file (by ``--format`` or by
sniffing), and yields records and bad records in a stable order (sorted paths, file order),
so a re-run after a crash meets the same records in the same order.
"""
from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from marsad.errors import InputError
from marsad.ingest.base import SOURCES, Source
from marsad.model import BadRecord, RawRecord
from marsad.plugins import load_plugins

__all__ = ["SOURCES", "Source", "read", "pick_source", "walk"]

SKIP_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp4", ".mov", ".pdf", ".ogg", ".opus",
                 ".webm", ".md", ".html", ".zip"}


def walk(paths: Iterable[str | Path]) -> list[Path]:
    """Files under ``paths`` (folders recursively), sorted; media files beside exports skipped."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob("*"))
                       if f.is_file() and f.suffix.lower() not in SKIP_SUFFIXES and not f.name.startswith("."))
        elif p.is_file() or str(p) == "-":
            out.append(p)
        else:
            raise InputError("no such file or folder", source=str(p))
    return out


def _build(cls: type[Source], options: dict) -> Source:
    """A source with the options its constructor takes (``--map`` only reaches CSV, ...)."""
    accepted = inspect.signature(cls.__init__).parameters
    return cls(**{k: v for k, v in options.items() if k in accepted and v is not None})


def pick_source(path: Path, fmt: str = "auto", options: dict | None = None) -> Source:
    load_plugins()
    options = options or {}
    if fmt != "auto":
        try:
            return _build(SOURCES[fmt], options)
        except KeyError:
            raise InputError(f"unknown format {fmt!r}; one of: auto, {', '.join(sorted(SOURCES))}",
                             source=str(path), field="--format") from None
    with open(path, "rb") as fh:
        head = fh.read(65536)
    for cls in sorted(SOURCES.values(), key=lambda c: (c.priority, c.name)):
        if cls.sniff(path, head):
            return _build(cls, options)
    raise InputError("cannot tell the export format; pass --format "
                     f"({', '.join(sorted(SOURCES))})", source=str(path))


def read(paths: Iterable[str | Path], fmt: str = "auto", options: dict | None = None,
         skipped: Counter | None = None) -> Iterator[RawRecord | BadRecord]:
    """Records of every file. ``options`` go to the sources that take them (CSV ``mapping``
    and ``platform``, Telegram ``usernames``...); records a source skips on purpose (service
    messages, system lines) are counted into ``skipped`` by reason."""
    for path in walk(paths):
        try:
            source = pick_source(path, fmt, options)
        except InputError as exc:
            yield BadRecord(str(path), 0, exc.field, exc.reason)
            continue
        yield from source.records(path)
        if skipped is not None:
            skipped.update(getattr(source, "skipped", None) or {})
