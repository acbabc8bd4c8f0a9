"""``classify``: the stateless library call behind ``marsad classify`` and ``POST /classify``."""
from __future__ import annotations

import json
from typing import IO, Iterable, Iterator, Sequence

from marsad.errors import InputError
from marsad.model import Finding, Post, RawRecord
from marsad.normalize.post import to_post


def classify(posts: Sequence[Post], detector=None) -> list[Finding]:
    """Findings for ``posts`` (same order) with the default text engine unless one is given."""
    if detector is None:
        from marsad.detect.engine import TextEngine
        detector = TextEngine.load()
    return detector.predict(posts)


def classify_dicts(items: Sequence[dict], detector=None, source: str = "request") -> list[dict]:
    """Contract dicts for canonical post dicts; raises InputError on the first bad one."""
    posts = [to_post(RawRecord(d, source, i, json.dumps(d, ensure_ascii=False).encode()))
             for i, d in enumerate(items, 1)]
    return [f.as_dict() for f in classify(posts, detector)]


def classify_lines(lines: IO[bytes] | Iterable[bytes], source: str = "-", batch: int = 1000,
                   detector=None) -> Iterator[dict]:
    """Contract dicts, or ``{"line", "error"}`` for bad lines, in input order, streaming.

    With worker processes (``parallel.ProcessDetector``) the workers also identify languages,
    and one batch is detected while the next is read."""
    workers = detector if hasattr(detector, "submit") else None
    pending: list[tuple[int, Post | dict]] = []
    in_flight: list = []

    def flush():
        items = list(pending)
        pending.clear()
        posts = [p for _, p in items if isinstance(p, Post)]
        if workers is not None:
            job = workers.submit(posts, detect_lang=True)
            if in_flight:
                yield from emit(*in_flight.pop())
            in_flight.append((items, job.result))
            return
        yield from emit(items, lambda: classify(posts, detector) if posts else [])

    def emit(items, result):
        found = iter(result())
        for _, p in items:
            yield next(found).as_dict() if isinstance(p, Post) else p

    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            post = to_post(RawRecord(data, source, n, line.strip()), detect_lang=workers is None)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            pending.append((n, {"line": n, "error": f"invalid JSON: {exc}"}))
        except InputError as exc:
            msg = f"field {exc.field!r}: {exc.reason}" if exc.field else exc.reason
            pending.append((n, {"line": n, "error": msg}))
        else:
            pending.append((n, post))
        if len(pending) >= batch:
            yield from flush()
    yield from flush()
    if in_flight:
        yield from emit(*in_flight.pop())
