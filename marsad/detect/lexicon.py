"""Indicator lexicons: reviewed YAML data, one file per label, matched in O(tokens).

A lexicon file (``lexicons/<label>.yaml``) holds named indicators, each with ``terms``
(words or phrases in any language, written naturally) and/or ``patterns`` (regexes over the
folded text), a ``weight`` and optional ``langs``. Analysts extend these files without
touching code; the label set of the engine is the set of files plus the training corpus.

Why a token index and not one big regex: thousands of phrases in a dozen languages as a
regex alternation cost ~1 ms a post; looking up 1- to 4-token windows of the folded text in
a dict costs a few µs. Arabic proclitics (و ب ل ف ك and the article) are stripped on both
sides, so ``والحراقة`` matches the term ``حراقة``.
Spans are reported on the ORIGINAL text: a hit's folded phrase is located there with a
forgiving regex (letter variants, optional diacritics/tatweel/invisibles, elongation), built
only for posts that hit, so the hot path stays cheap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from marsad.errors import InputError
from marsad.model import Indicator
from marsad.normalize.arabic import fold

LEXICON_DIR = Path(__file__).parent / "lexicons"
MAX_NGRAM = 4
TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_PROCLITIC = re.compile(r"^(?:وال|بال|فال|كال|لل|ال|و|ب|ف|ل)(?=[\u0600-\u06ff]{3,})")


def strip_clitics(token: str) -> str:
    return _PROCLITIC.sub("", token, count=1)


def tokens(folded: str) -> list[str]:
    return [strip_clitics(t) for t in TOKEN.findall(folded)]


@dataclass(frozen=True, slots=True)
class Entry:
    label: str
    name: str
    weight: float
    phrase: str      # folded, clitics stripped, space-joined (for terms) or the pattern text


@dataclass(frozen=True, slots=True)
class Hit:
    entry: Entry
    folded: str      # the folded text that matched


class Lexicon:
    """All indicator files of a folder, compiled into a phrase index and a pattern list."""

    def __init__(self, folder: Path = LEXICON_DIR):
        self.folder = Path(folder)
        self.index: dict[str, list[Entry]] = {}
        self.patterns: list[tuple[re.Pattern, Entry]] = []
        self.labels: list[str] = []
        self.entries: list[Entry] = []
        for path in sorted(self.folder.glob("*.yaml")):
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InputError(f"invalid YAML: {exc}", source=str(path)) from None
        label = doc.get("label") or path.stem
        if label not in self.labels:
            self.labels.append(label)
        for i, ind in enumerate(doc.get("indicators") or [], 1):
            if not isinstance(ind, dict) or not ind.get("name"):
                raise InputError("each indicator needs a name", source=str(path), line=i, field="name")
            weight = float(ind.get("weight", 1.0))
            for term in ind.get("terms") or []:
                key = " ".join(tokens(fold(str(term))))
                if not key:
                    continue
                entry = Entry(label, ind["name"], weight, key)
                self.index.setdefault(key, []).append(entry)
                self.entries.append(entry)
            for pat in ind.get("patterns") or []:
                try:
                    rx = re.compile(pat)
                except re.error as exc:
                    raise InputError(f"invalid regex {pat!r}: {exc}", source=str(path),
                                     field=f"{ind['name']}.patterns") from None
                entry = Entry(label, ind["name"], weight, pat)
                self.patterns.append((rx, entry))
                self.entries.append(entry)

    def match(self, folded: str) -> list[Hit]:
        """Every indicator hit in a folded text (a phrase counts once per post)."""
        toks = tokens(folded)
        hits: list[Hit] = []
        seen: set[str] = set()
        index = self.index
        n = len(toks)
        for i in range(n):
            for k in range(1, MAX_NGRAM + 1):
                if i + k > n:
                    break
                key = toks[i] if k == 1 else " ".join(toks[i:i + k])
                entries = index.get(key)
                if entries and key not in seen:
                    seen.add(key)
                    hits.extend(Hit(e, key) for e in entries)
        for rx, entry in self.patterns:
            m = rx.search(folded)
            if m:
                hits.append(Hit(entry, m.group(0)))
        return hits


# ---- spans on the original text -------------------------------------------------------

_VARIANTS = {
    "ا": "اأإآٱ", "ي": "يىیئ", "ه": "هةۀە", "و": "وؤ", "ك": "كکڪگ",
    **{str(i): str(i) + a + p for i, (a, p) in enumerate(zip("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"))},
}
_SKIP = r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad]*"
_CLITIC_PREFIX = r"(?:وال|بال|فال|كال|لل|ال|و|ب|ف|ل)?"


@lru_cache(maxsize=20000)
def _loose(phrase: str) -> re.Pattern:
    parts = []
    for word in phrase.split(" "):
        chars = []
        for c in word:
            cls = _VARIANTS.get(c, c)
            chars.append(f"[{re.escape(cls)}]+" if len(cls) > 1 else re.escape(c) + "+")
        parts.append(_CLITIC_PREFIX + _SKIP.join(chars))
    return re.compile(r"[\W_]+".join(parts), re.IGNORECASE)


def locate(original: str, folded_phrase: str) -> tuple[int, int] | None:
    """Where a folded phrase occurs in the original text (first occurrence)."""
    try:
        m = _loose(folded_phrase).search(original)
    except re.error:
        return None
    return (m.start(), m.end()) if m else None


def to_indicators(original: str, hits: Iterable[Hit], kind: str = "lexicon") -> list[Indicator]:
    out = []
    for h in hits:
        span = locate(original, h.folded)
        start, end = span if span else (0, 0)
        out.append(Indicator(h.entry.label, original[start:end] if span else h.folded,
                             start, end, kind, h.entry.weight))
    return out
