"""The flow, wired in one place: ingest -> normalize -> detect -> store.

``scan`` streams records in batches (memory flat in the input size), commits each batch in
one transaction, and skips what is already stored, so running it twice — or again after a
``kill -9`` — leaves exactly one row per (platform, id). Bad records are quarantined to a
JSONL file with file, line, field and reason; the run goes on and the summary counts them.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy import insert, update

from marsad import settings
from marsad.detect.base import Detector
from marsad.errors import InputError
from marsad.ingest import read, walk
from marsad.model import BadRecord, Finding, Indicator, Post, RawRecord
from marsad.normalize.post import to_post
from marsad.store import writer
from marsad.store.db import connect
from marsad.store.schema import ingest_runs


@dataclass
class ScanSummary:
    files: int = 0
    records: int = 0
    new: int = 0
    already_stored: int = 0
    bad: int = 0
    skipped: Counter = field(default_factory=Counter)     # on purpose: service/system messages
    platforms: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    accounts: Counter = field(default_factory=Counter)   # harmful posts per account (this run)
    quarantine: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"files": self.files, "records": self.records, "new": self.new,
                "already_stored": self.already_stored, "bad": self.bad, "skipped": dict(self.skipped),
                "platforms": dict(self.platforms), "languages": dict(self.languages),
                "labels": dict(self.labels), "top_accounts": self.accounts.most_common(10),
                "quarantine": self.quarantine, "seconds": round(self.seconds, 3)}


def posts_from(records: Iterable[RawRecord | BadRecord], on_bad: Callable[[BadRecord], None],
               *, detect_lang: bool = True) -> Iterator[Post]:
    """Records -> Posts; a record that fails validation goes to ``on_bad``, never lost."""
    for rec in records:
        if isinstance(rec, BadRecord):
            on_bad(rec)
            continue
        try:
            yield to_post(rec, detect_lang=detect_lang)
        except InputError as exc:
            on_bad(BadRecord(rec.source, rec.line, exc.field, exc.reason, rec.raw))


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Quarantine:
    """Bad records, appended to a JSONL file opened on the first one."""

    def __init__(self, path: Path):
        self.path, self._fh, self.count = path, None, 0

    def __call__(self, bad: BadRecord) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(bad.as_dict(), ensure_ascii=False) + "\n")
        self._fh.flush()
        self.count += 1

    def close(self) -> None:
        if self._fh:
            self._fh.close()


def default_detector(jobs: int = 1) -> Detector:
    """The text engine, in ``jobs`` worker processes when more than one."""
    from marsad.detect.engine import TextEngine
    if jobs > 1:
        from marsad.detect.parallel import ProcessDetector
        return ProcessDetector(TextEngine.load, jobs)
    return TextEngine.load()


def scan(paths: Sequence[str | Path], *, db: str | None = None, fmt: str = "auto",
         detector: Detector | None | bool = True, quarantine: str | Path | None = None,
         batch_size: int | None = None, progress: Callable[[int, int], None] | None = None,
         detect_lang: bool = True, options: dict | None = None, jobs: int = 1) -> ScanSummary:
    """Ingest ``paths`` into the store at ``db``, detecting as it goes.

    ``detector=True`` uses the default text engine, ``None``/``False`` only stores posts.
    ``progress(records_done, bytes_done)`` is called after each batch. ``options`` reach the
    sources that take them (CSV ``mapping``/``platform``, Telegram ``usernames``). ``jobs`` > 1
    runs the default engine in that many worker processes (same findings, same order).
    """
    t0 = time.perf_counter()
    engine = connect(db)
    if jobs > 1 and detector is not True:
        raise ValueError("jobs > 1 runs the default engine; pass detector=True")
    if detector is True:
        detector = default_detector(jobs)
    files = walk(paths)
    summary = ScanSummary(files=len(files))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    qpath = Path(quarantine) if quarantine else Path(f"quarantine-{stamp}.jsonl")
    bad = Quarantine(qpath)
    with engine.begin() as conn:
        run_id = conn.execute(insert(ingest_runs).values(
            started_at=datetime.now(timezone.utc), paths=[str(p) for p in paths])).inserted_primary_key[0]
    size = batch_size or settings.get("BATCH_SIZE")
    # Worker processes (``jobs`` > 1) also identify languages, and detect one batch while this
    # process reads, checks and writes the next: the parent is what limits a many-core scan.
    workers = detector if hasattr(detector, "submit") else None
    records = read(files, fmt, options, summary.skipped)
    in_flight: tuple[list[Post], object] | None = None
    try:
        for batch in batched(posts_from(records, bad, detect_lang=detect_lang and workers is None), size):
            if workers is None:
                _store_batch(engine, batch, detector or None, summary)
            else:
                fresh = _fresh(engine, batch, summary, in_flight[0] if in_flight else ())
                job = (fresh, workers.submit(fresh, detect_lang=detect_lang))
                if in_flight:
                    _write(engine, *_collect(*in_flight), workers, summary)
                in_flight = job
            if progress:
                progress(summary.records, 0)
        if in_flight:
            _write(engine, *_collect(*in_flight), workers, summary)
    finally:
        if jobs > 1:
            detector.close()
        bad.close()
        summary.bad = bad.count
        summary.quarantine = str(qpath) if bad.count else None
        summary.seconds = time.perf_counter() - t0
        with engine.begin() as conn:
            conn.execute(update(ingest_runs).where(ingest_runs.c.id == run_id).values(
                finished_at=datetime.now(timezone.utc), counts=summary.as_dict(),
                quarantine=summary.quarantine))
    return summary


def _store_batch(engine, batch: list[Post], detector: Detector | None, summary: ScanSummary,
                 match_media: bool = True) -> None:
    fresh = _fresh(engine, batch, summary)
    # Detection and media matching run before the write transaction (which stays short);
    # media matching is idempotent, so a crash before the commit below only repeats it.
    found = detector.predict(fresh) if detector is not None and fresh else []
    _write(engine, fresh, found, detector, summary, match_media)


def _fresh(engine, batch: list[Post], summary: ScanSummary, in_flight: Sequence[Post] = ()) -> list[Post]:
    """The posts of ``batch`` not stored yet (nor in the batch still being detected)."""
    # The same (platform, id) twice inside one input: the first wins, later ones are duplicates.
    unique: dict[tuple[str, str], Post] = {}
    for p in batch:
        unique.setdefault(p.key, p)
    summary.records += len(batch)
    with engine.connect() as conn:
        stored = writer.existing_keys(conn, list(unique))
    stored |= {p.key for p in in_flight}
    fresh = [p for k, p in unique.items() if k not in stored]
    summary.already_stored += len(batch) - len(fresh)
    return fresh


def _collect(fresh: list[Post], job) -> tuple[list[Post], list[Finding]]:
    """A submitted batch's findings; the language the workers identified goes on the post."""
    found = job.result()
    return [replace(p, lang=f.lang) if p.lang is None and f.lang else p for p, f in zip(fresh, found)], found


def _write(engine, fresh: list[Post], found: list[Finding], detector: Detector | None, summary: ScanSummary,
           match_media: bool = True) -> None:
    if match_media and found:
        found = [with_media_matches(engine, p, f) if p.media else f for p, f in zip(fresh, found)]
    with engine.begin() as conn:
        writer.insert_posts(conn, fresh)
        writer.upsert_accounts(conn, fresh)
        if found:
            writer.upsert_findings(conn, list(zip(fresh, found)), detector.tag)
    summary.new += len(fresh)
    for p, f in zip(fresh, found):
        summary.labels[f.label] += 1
        if f.label != "benign" and p.account:
            summary.accounts[p.account] += 1
    for p in fresh:
        summary.platforms[p.platform] += 1
        summary.languages[p.lang or "und"] += 1


def with_media_matches(engine, post: Post, finding: Finding) -> Finding:
    """Hash the post's media against the hash lists; a match of a harm list decides the label
    (an image on a terrorist or child-abuse list outranks benign-looking text)."""
    from marsad.detect.media import match_post_media

    base = Path(post.source).parent if post.source else Path.cwd()
    # Canonical JSONL paths are relative to their file; platform adapters already prefix the
    # export folder (relative to where the scan runs). Resolve each to the one that exists.
    media = []
    for item in post.media:
        path = item.get("path")
        if path and not Path(path).is_absolute() and not (base / path).exists() and Path(path).exists():
            item = {**item, "path": str(Path(path).resolve())}
        media.append(item)
    post = replace(post, media=tuple(media))
    matches = [m for m in match_post_media(engine, post, base) if m.get("category") in finding.scores]
    if not matches:
        return finding
    best = min(matches, key=lambda m: m["distance"])
    shown = tuple(Indicator(m["category"], f"image {m['media_index']} matches hash list {m['list']!r} "
                                           f"at distance {m['distance']}", 0, 0, "media") for m in matches)
    label = finding.label if best["category"] == "other" else best["category"]
    return replace(finding, label=label, risk=max(finding.risk, 1.0 - best["distance"] / 256),
                   indicators=finding.indicators + shown)
