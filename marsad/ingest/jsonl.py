"""Canonical JSONL (DESIGN.md "Input post"): one JSON object a line; also a JSON array file."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import orjson

from marsad.ingest.base import Source
from marsad.model import BadRecord, RawRecord


class JsonlSource(Source):
    suffixes = (".jsonl", ".ndjson", ".json")
    priority = 90  # generic: after the platform formats that are also JSON

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        first = head.lstrip()[:1]
        return first == b"{" and b'"id"' in head.split(b"\n", 1)[0]

    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        src = str(path)
        with open(path, "rb") as fh:
            for n, line in enumerate(fh, 1):
                stripped = line.strip()
                if not stripped:
                    continue
                try:
                    data = orjson.loads(stripped)   # ~3x json.loads: parsing is most of ingest
                except orjson.JSONDecodeError:
                    try:   # the stdlib accepts what orjson refuses, e.g. lone surrogate escapes
                        data = json.loads(stripped)
                    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                        yield BadRecord(src, n, None, f"invalid JSON: {exc}", stripped)
                        continue
                if not isinstance(data, dict):
                    yield BadRecord(src, n, None, f"expected a JSON object, got {type(data).__name__}", stripped)
                    continue
                yield RawRecord(data, src, n, stripped)
