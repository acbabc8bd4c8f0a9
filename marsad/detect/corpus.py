"""The training corpus the project writes and ships (``detect/corpus/*.jsonl``).

Each line: ``{"text", "label", "lang", "dialect"?, "subtype"?, "weight"?}``. Fictional and
non-graphic. ``weight`` (default 1) lets a big folder of a unit's own ordinary posts join
the training without outweighing the corpus (classes are balanced on summed weights).
A folder of extra files (another harm, a unit's own labelled posts) can be added at train
time; the label set is the union of what the files hold.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable, Iterator

from marsad.errors import InputError

CORPUS_DIR = Path(__file__).parent / "corpus"


def corpus_files(dirs: Iterable[Path] = (CORPUS_DIR,)) -> list[Path]:
    return sorted(f for d in dirs for f in Path(d).glob("*.jsonl"))


def read_corpus(dirs: Iterable[Path] = (CORPUS_DIR,)) -> Iterator[dict]:
    for path in corpus_files(dirs):
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid JSON: {exc}", source=str(path), line=n) from None
                for field in ("text", "label"):
                    if not isinstance(row.get(field), str) or not row[field]:
                        raise InputError("required", source=str(path), line=n, field=field)
                yield row


def fingerprint(paths: Iterable[Path], extra: str = "") -> str:
    """SHA-256 over files' names and bytes: a model trained on other data has another id."""
    h = hashlib.sha256(extra.encode())
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]
