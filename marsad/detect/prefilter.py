"""Run a list of Python regexes over a batch of folded texts without running each on each.

Why: the lexicons hold ~50 regexes; Python's ``re`` costs ~5 µs per pattern per 300-character
post even when nothing matches, ~250 µs a post in all. Hyperscan scans each post for all
patterns at once at memory speed (~2 µs). It is used only as a *prefilter*: each pattern is
rewritten into a pattern that matches a superset of what the original matches, in ASCII mode
(Hyperscan's Unicode mode takes minutes to compile ``(?:\\w+\\W+){0,12}``), and every
candidate (post, pattern) is then confirmed with Python's ``re`` on that post alone. So
results are exactly those of ``re``; Hyperscan only decides where ``re`` need not run.

The rewrite is written by hand because no library translates Python regexes into Hyperscan
supersets: ``\\w`` becomes "an ASCII word character or any non-ASCII character", ``\\b`` is
dropped (dropping an assertion only widens), ``\\U0001F1E6`` becomes ``\\x{1F1E6}``, a negated
class that uses a class escape becomes "any character". A pattern that still does not compile
is run with ``re`` on every post (counted in ``always``). Without the hyperscan package all
patterns are run that way: slower, same results.

A group under a counted repeat, ``(?:\\w+\\W+){0,3}`` ("up to three words between"), becomes
"any characters": Hyperscan tracks every start of such a window at every common word ("عمل",
"work"), which made one job-offer pattern cost 5 µs a post; two literals in order cost ~1 µs,
and ``re`` still decides the few posts that have both.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Sequence

try:
    import hyperscan
except ImportError:     # pragma: no cover - the wheel exists for x86-64 and arm64 Linux/macOS
    hyperscan = None

from marsad.settings import cached_bytes

_ANY = r"\x00-\x{10FFFF}"
# Inside a class: what each escape widens to (ASCII part + every non-ASCII code point).
_IN_CLASS = {"w": r"0-9A-Za-z_\x{80}-\x{10FFFF}", "d": r"0-9\x{80}-\x{10FFFF}",
             "s": r"\t-\r \x{80}-\x{10FFFF}", "W": _ANY, "D": _ANY, "S": _ANY}
_OUTSIDE = {k: f"[{v}]" for k, v in _IN_CLASS.items()}
_ZERO_WIDTH = set("bBAZ")
_COUNTED = re.compile(r"\{\d*,?\d*\}\??")


def superset(pattern: str) -> str:
    """A Hyperscan (ASCII mode, UTF-8) pattern matching at least what ``pattern`` matches."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            esc, i = _escape(pattern, i, in_class=False)
            out.append(esc)
            continue
        if c == "(" and not pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            end = _group_end(pattern, i)
            q = _COUNTED.match(pattern, end + 1) if end is not None else None
            if q:
                out.append(f"[{_ANY}]*")
                i = q.end()
                continue
        if c == "[":
            j = i + 1
            negated = j < n and pattern[j] == "^"
            j += negated
            if j < n and pattern[j] == "]":
                j += 1           # a leading ] is literal
            body: list[str] = []
            uses_class_escape = False
            while j < n and pattern[j] != "]":
                if pattern[j] == "\\":
                    if j + 1 < n and pattern[j + 1] in _IN_CLASS:
                        uses_class_escape = True
                    esc, j = _escape(pattern, j, in_class=True)
                    body.append(esc)
                else:
                    body.append(pattern[j])
                    j += 1
            i = j + 1
            if negated and uses_class_escape:
                out.append(f"[{_ANY}]")
            else:
                out.append("[" + ("^" if negated else "") + "".join(body) + "]")
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _group_end(p: str, i: int) -> int | None:
    """Index of the ")" that closes the group opened at ``p[i]`` (escapes and classes skipped)."""
    depth, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i += 1
            if i < n and p[i] == "^":
                i += 1
            if i < n and p[i] == "]":
                i += 1
            while i < n and p[i] != "]":
                i += 2 if p[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _escape(p: str, i: int, in_class: bool) -> tuple[str, int]:
    e = p[i + 1] if i + 1 < len(p) else "\\"
    if e in _IN_CLASS:
        return (_IN_CLASS if in_class else _OUTSIDE)[e], i + 2
    if e in _ZERO_WIDTH and not in_class:
        return "", i + 2
    for letter, width in (("U", 8), ("u", 4), ("x", 2)):
        if e == letter and re.fullmatch(r"[0-9a-fA-F]{%d}" % width, p[i + 2:i + 2 + width] or "-"):
            return "\\x{%s}" % p[i + 2:i + 2 + width], i + 2 + width
    return p[i:i + 2], i + 2


class PatternSet:
    """Compiled regexes with a Hyperscan prefilter over batches of texts."""

    def __init__(self, patterns: Sequence[re.Pattern]):
        self.patterns = list(patterns)
        self.always: list[int] = list(range(len(self.patterns)))
        self._db = None
        self._local = threading.local()
        if hyperscan is not None and self.patterns:
            self._compile()

    def _compile(self) -> None:
        flags = (hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_ALLOWEMPTY
                 | hyperscan.HS_FLAG_SINGLEMATCH)
        exprs = [superset(rx.pattern).encode() for rx in self.patterns]

        def build(ids):
            db = hyperscan.Database()
            db.compile(expressions=[exprs[i] for i in ids], ids=ids, elements=len(ids), flags=[flags] * len(ids))
            return db

        def compile_all() -> bytes:
            """The ids of patterns Hyperscan rejects (a JSON line), then the serialised database."""
            ids = list(range(len(exprs)))
            try:
                ok = ids
                db = build(ids)
            except hyperscan.error:
                ok = []
                for i in ids:    # find the ones that do not compile; the rest keep the prefilter
                    try:
                        build([i])
                        ok.append(i)
                    except hyperscan.error:
                        pass
                db = build(ok) if ok else None
            always = [i for i in ids if i not in ok]
            head = json.dumps(always).encode() + b"\n"
            return head + (hyperscan.dumpb(db) if db is not None else b"")

        # Compiling takes ~0.7 s: the database is cached, keyed by the patterns and the
        # library version; one built for another CPU is refused by loadb and rebuilt here.
        from importlib.metadata import version
        key = hashlib.sha256(b"\0".join(exprs) + version("hyperscan").encode()).hexdigest()[:16]
        for blob in (cached_bytes(f"patterns-{key}.hsdb", compile_all), None):
            head, _, body = (blob if blob is not None else compile_all()).partition(b"\n")
            try:
                self._db = hyperscan.loadb(body, hyperscan.HS_MODE_BLOCK) if body else None
            except hyperscan.error:
                continue
            self.always = json.loads(head)
            return

    def candidates(self, texts: Sequence[str]) -> list[set[int]]:
        """For each text, the indexes of patterns that may match it.

        One scan per text with single-match patterns: a callback at most once per pattern
        and text (a scan of the joined batch reports every end offset of ``.{0,40}``)."""
        out: list[set[int]] = [set(self.always) for _ in texts]
        if self._db is None:
            return out
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._db)
        scan = self._db.scan
        for found, text in zip(out, texts):
            scan(text.encode("utf-8", "surrogatepass"), match_event_handler=_add, context=found, scratch=scratch)
        return out

    def search(self, texts: Sequence[str]) -> list[list[tuple[int, re.Match]]]:
        """For each text, (pattern index, first match) of every pattern that matches."""
        result: list[list[tuple[int, re.Match]]] = []
        for text, cands in zip(texts, self.candidates(texts)):
            found = []
            for i in sorted(cands):
                m = self.patterns[i].search(text)
                if m:
                    found.append((i, m))
            result.append(found)
        return result


def _add(pattern: int, start: int, end: int, flags: int, found: set[int]) -> None:
    found.add(pattern)
