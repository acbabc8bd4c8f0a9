"""Indicator lexicons: reviewed YAML data, one file per label, matched over a batch at once.

A lexicon file (``lexicons/<label>.yaml``) holds named indicators, each with ``terms``
(words or phrases in any language, written naturally) and/or ``patterns`` (regexes over the
folded text), a ``weight`` and optional ``langs``. Analysts extend these files without
touching code; the label set of the engine is the set of files plus the training corpus.

Terms are folded and tokenised exactly like posts (``TextBatch``, so they cannot drift
apart), and a term of k tokens is looked up as a hash among the batch's k-token windows:
one sorted-array membership test per k for the whole batch instead of a dict lookup per
window and post. Arabic proclitics (و ب ل ف ك and the article) are stripped on both sides,
so ``والحراقة`` matches the term ``حراقة``. Patterns run through ``prefilter.PatternSet``.
Spans are reported on the ORIGINAL text through the batch's offset map; a text that had to
be NFC-normalised first falls back to locating the folded phrase with a forgiving regex.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np
import yaml

from marsad.detect.prefilter import PatternSet
from marsad.detect.textbatch import MAX_NGRAM, PROCLITICS, TextBatch, ragged_arange
from marsad.errors import InputError
from marsad.model import Indicator

LEXICON_DIR = Path(__file__).parent / "lexicons"
_BLOOM_BITS = 20                               # 1 MB: ~0.6% of windows pass for 6k keys
_BLOOM_MASK = np.uint64((1 << _BLOOM_BITS) - 1)


def tokens(text: str) -> list[str]:
    """The folded, clitic-stripped tokens of ``text``, as the lexicon and the model see them."""
    tb = TextBatch([text])
    return [tb.token_text(i) for i in range(len(tb.tok_start))]


@dataclass(frozen=True, slots=True)
class Entry:
    label: str
    name: str
    weight: float
    phrase: str      # folded, clitics stripped, space-joined (for terms) or the pattern text


class Hit(NamedTuple):
    entry: Entry
    folded: str                          # the folded text that matched
    span: tuple[int, int] | None = None  # on the original text, when known exactly


class Lexicon:
    """All indicator files of a folder, compiled into hashed phrase tables and a pattern set."""

    def __init__(self, folder: Path = LEXICON_DIR):
        self.folder = Path(folder)
        self.index: dict[str, list[Entry]] = {}
        self.patterns: list[tuple[re.Pattern, Entry]] = []
        self.labels: list[str] = []
        self.entries: list[Entry] = []
        self._terms: list[tuple[str, Entry]] = []
        for path in sorted(self.folder.glob("*.yaml")):
            self._load(path)
        self._index_terms()
        self._patterns: PatternSet | None = None

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
                self._terms.append((str(term), Entry(label, ind["name"], weight, "")))
            for pat in ind.get("patterns") or []:
                try:
                    rx = re.compile(pat)
                except re.error as exc:
                    raise InputError(f"invalid regex {pat!r}: {exc}", source=str(path),
                                     field=f"{ind['name']}.patterns") from None
                entry = Entry(label, ind["name"], weight, pat)
                self.patterns.append((rx, entry))
                self.entries.append(entry)

    def _index_terms(self) -> None:
        """Key (folded tokens) and k-token hash of every term, by k."""
        tb = TextBatch([t for t, _ in self._terms])
        first = np.searchsorted(tb.tok_post, np.arange(tb.n), side="left")
        count = np.bincount(tb.tok_post, minlength=tb.n) if tb.n else np.zeros(0, np.int64)
        by_k: dict[int, dict[int, str]] = {k: {} for k in range(1, MAX_NGRAM + 1)}
        grams = {k: dict(zip(*tb.ngrams(k))) for k in range(1, MAX_NGRAM + 1)}
        for j, (term, e) in enumerate(self._terms):
            k = int(count[j])
            if not 1 <= k <= MAX_NGRAM:
                continue          # never matchable; the lexicon tests name such terms
            key = tb.token_text(int(first[j]), k)
            entry = Entry(e.label, e.name, e.weight, key)
            self.index.setdefault(key, []).append(entry)
            self.entries.append(entry)
            by_k[k][int(grams[k][int(first[j])])] = key
        # Per k: the keys' hashes sorted, and beside each the key's number in self._key_text.
        self._key_text: list[str] = sorted({key for d in by_k.values() for key in d.values()})
        number = {key: i for i, key in enumerate(self._key_text)}
        self._keys = {}
        # A bitmap of the keys' low hash bits: almost every window of a batch is ruled out by
        # one array lookup, and only the few left are binary-searched (15 -> 2 µs a post).
        self._bloom = np.zeros(1 << _BLOOM_BITS, dtype=bool)
        for k, d in by_k.items():
            hashes = np.array(sorted(d), dtype=np.uint64)
            self._keys[k] = (hashes, np.array([number[d[int(h)]] for h in hashes], dtype=np.int64))
            self._bloom[(hashes & _BLOOM_MASK).astype(np.int64)] = True
        # The keys' code points end to end, to check candidate windows against them as arrays.
        self._key_len = np.array([len(key) for key in self._key_text], dtype=np.int64)
        self._key_off = np.cumsum(self._key_len) - self._key_len
        self._key_codes = np.frombuffer("".join(self._key_text).encode("utf-32-le", "surrogatepass"),
                                        dtype=np.uint32)

    @property
    def pattern_set(self) -> PatternSet:
        if self._patterns is None:
            self._patterns = PatternSet([rx for rx, _ in self.patterns])
        return self._patterns

    def match(self, text: str) -> list[Hit]:
        """Every indicator hit in one text (folded or not)."""
        return self.match_batch(TextBatch([text]))[0]

    def match_batch(self, tb: TextBatch) -> list[list[Hit]]:
        """Every indicator hit of every post of a batch (a phrase counts once per post)."""
        hits: list[list[Hit]] = [[] for _ in range(tb.n)]
        t_parts, k_parts, id_parts = [], [], []
        for k, (hashes, ids) in self._keys.items():
            if not len(hashes):
                continue
            first, g = (None, tb.tok_hash) if k == 1 else tb.ngrams(k)
            # The keys are sorted once at load: a binary search per window left by the bitmap,
            # no re-sort per call (np.isin sorts both sides every time: 1.4 ms for one post).
            maybe = np.flatnonzero(self._bloom[(g & _BLOOM_MASK).astype(np.int64)])
            at = np.minimum(np.searchsorted(hashes, g[maybe]), len(hashes) - 1)
            same = hashes[at] == g[maybe]
            where, at = maybe[same], at[same]
            if len(where):
                t_parts.append(where if first is None else first[where])
                k_parts.append(np.full(len(where), k, dtype=np.int64))
                id_parts.append(ids[at])
        if not t_parts:
            return self._match_patterns(tb, hits)
        t, k, kid = (np.concatenate(x) for x in (t_parts, k_parts, id_parts))
        order = np.lexsort((k, t))                     # by position in the batch, then length
        t, k, kid = t[order], k[order], kid[order]
        ok = self._verify(tb, t, k, kid)               # a hash collision never counts
        t, k, kid = t[ok], k[ok], kid[ok]
        post = tb.tok_post[t]
        # A phrase counts once per post: its first window.
        _, first = np.unique(post * len(self._key_text) + kid, return_index=True)
        first.sort()
        t, k, kid, post = t[first], k[first], kid[first], post[first]
        exact = tb.exact.tolist()
        text, index = self._key_text, self.index
        for p, key_no, span in zip(post.tolist(), kid.tolist(), tb.spans(tb.tok_raw[t], tb.tok_end[t + k - 1])):
            key = text[key_no]
            hits[p].extend([Hit(e, key, span if exact[p] else None) for e in index[key]])
        return self._match_patterns(tb, hits)

    def _verify(self, tb: TextBatch, t: np.ndarray, k: np.ndarray, kid: np.ndarray) -> np.ndarray:
        """Which candidate windows (first token t, k tokens) spell their key exactly: the
        windows' tokens joined by one space, compared code point by code point as arrays."""
        n = len(t)
        hit = np.repeat(np.arange(n), k)                       # one row per (window, token)
        tok = t[hit] + ragged_arange(k)
        tok_len = (tb.tok_end - tb.tok_start)[tok]
        sep = (ragged_arange(k) < k[hit] - 1).astype(np.int64)  # a space after all but the last
        win_len = np.bincount(hit, weights=tok_len + sep, minlength=n).astype(np.int64)
        ok = win_len == self._key_len[kid]
        rows = np.flatnonzero(ok[hit])
        if not len(rows):
            return ok
        seg_len = (tok_len + sep)[rows]
        seg = np.repeat(rows, seg_len)
        q = ragged_arange(seg_len)
        in_tok = q < tok_len[seg]
        window = np.full(len(seg), 32, dtype=np.uint32)
        window[in_tok] = tb.codes[tb.tok_start[tok[seg[in_tok]]] + q[in_tok]]
        kept = np.flatnonzero(ok)
        key = self._key_codes[np.repeat(self._key_off[kid[kept]], win_len[kept]) + ragged_arange(win_len[kept])]
        wrong = np.bincount(hit[seg][window != key], minlength=n) > 0
        return ok & ~wrong

    def _match_patterns(self, tb: TextBatch, hits: list[list[Hit]]) -> list[list[Hit]]:
        if self.patterns:
            f = tb.folded
            starts = tb.fstart.tolist()
            texts = [f[a:b] for a, b in zip(starts, tb.fend.tolist())]
            found = [(post, i, m) for post, matches in enumerate(self.pattern_set.search(texts)) for i, m in matches]
            if not found:
                return hits
            # Spans of all matches in one vectorised call (an empty match gets none).
            fs = np.fromiter((starts[p] + m.start() for p, _, m in found), dtype=np.int64, count=len(found))
            fe = np.fromiter((starts[p] + max(m.end(), m.start() + 1) for p, _, m in found), dtype=np.int64,
                             count=len(found))
            exact = tb.exact.tolist()
            for (post, i, m), span in zip(found, tb.spans(fs, fe)):
                ok = exact[post] and m.end() > m.start()
                hits[post].append(Hit(self.patterns[i][1], m.group(0), span if ok else None))
        return hits


# ---- spans on the original text -------------------------------------------------------

_VARIANTS = {
    "ا": "اأإآٱ", "ي": "يىیئ", "ه": "هةۀە", "و": "وؤ", "ك": "كکڪگ",
    **{str(i): str(i) + a + p for i, (a, p) in enumerate(zip("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹"))},
}
_SKIP = r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad]*"
_CLITIC_PREFIX = "(?:" + "|".join(PROCLITICS) + ")?"   # the ones TextBatch strips


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
        span = h.span or locate(original, h.folded)
        start, end = span if span else (0, 0)
        out.append(Indicator(h.entry.label, original[start:end] if span else h.folded,
                             start, end, kind, h.entry.weight))
    return out
