"""Posts -> the harm model's feature matrix (rows = posts, hashed columns).

Why these features: word unigrams/bigrams of the folded, clitic-stripped text carry the
vocabulary; character 4-grams inside words carry morphology and spelling variants across
dialects and scripts (ي/ى, Arabizi 3/7/9) without a tokenizer per language; lexicon hits and
entity-presence flags let the model learn how much an "ad with a phone and a price" means
in context — on its own it means nothing (spam ads have both).

Text features are hashed by ``TextBatch`` (stable 64-bit hashes, a whole batch at once); the
few named features (``x:<label>:<indicator>``, ``xl:<label>``, ``e:<entity kind>``, ``empty``)
are hashed with CRC-32 so that every process agrees. A row is a bag of feature occurrences
scaled by 1/sqrt(count), so long posts do not shout.
"""
from __future__ import annotations

import zlib
from functools import lru_cache
from typing import NamedTuple, Sequence

import numpy as np
from scipy import sparse

from marsad.detect.lexicon import Entry, Hit
from marsad.detect.textbatch import TextBatch


def named_features(hits: list[Hit], entity_flags: Sequence[str], has_tokens: bool) -> list[str]:
    """The named features of one post, each once, in order of first appearance."""
    feats: dict[str, None] = {}
    for h in hits:
        feats["x:" + h.entry.label + ":" + h.entry.name] = None
        feats["xl:" + h.entry.label] = None
    out = list(feats)
    out += ["e:" + f for f in entity_flags]
    if not has_tokens:
        out.append("empty")
    return out


class _Columns(dict):
    """Feature name -> column for one ``n_features`` (the same few hundred names recur), and
    the columns ``named_features`` gives, without building its strings again and again (a
    post's hits rebuilt them: ~2 µs a real post and ~9 µs a dense ad)."""

    def __init__(self, n_features: int):
        super().__init__()
        self.mask = n_features - 1
        # id(entry) -> (entry, "x:" name, "xl:" name, their columns). Keyed by identity
        # (hashing a frozen dataclass runs Python code); the entry is kept to tell a reused
        # id apart.
        self._entries: dict[int, tuple[Entry, str, str, int, int]] = {}
        # (entity flags, no tokens) -> the columns of those named features
        self._tails: dict[tuple[tuple[str, ...], bool], list[int]] = {}

    def __missing__(self, feature: str) -> int:
        col = self[feature] = zlib.crc32(feature.encode()) & self.mask
        return col

    def named(self, hits: list[Hit], entity_flags: tuple[str, ...], empty: bool) -> list[int]:
        """The columns of ``named_features(hits, entity_flags, not empty)``, in its order."""
        tail = self._tails.get((entity_flags, empty))
        if tail is None:
            tail = self._tails[(entity_flags, empty)] = [self[f] for f in named_features([], entity_flags, not empty)]
        if not hits:
            return tail
        entries = self._entries
        seen: set[str] = set()
        out: list[int] = []
        for h in hits:
            e = h.entry
            v = entries.get(id(e))
            if v is None or v[0] is not e:
                x, xl = named_features([h], (), True)
                v = entries[id(e)] = (e, x, xl, self[x], self[xl])
            _, x, xl, cx, cxl = v
            if x not in seen:
                seen.add(x)
                out.append(cx)
            if xl not in seen:
                seen.add(xl)
                out.append(cxl)
        return out + tail


@lru_cache(maxsize=8)
def _columns(n_features: int) -> _Columns:
    return _Columns(n_features)


class Features(NamedTuple):
    """A batch's features as (row, column, value) triples; a repeated pair adds up."""

    rows: np.ndarray
    cols: np.ndarray
    data: np.ndarray
    n: int
    n_features: int

    def tocoo(self) -> sparse.coo_matrix:
        return sparse.coo_matrix((self.data, (self.rows, self.cols)), shape=(self.n, self.n_features),
                                 dtype=np.float32)

    def tocsr(self) -> sparse.csr_matrix:
        return self.tocoo().tocsr()


def feature_matrix(tb: TextBatch, hits: Sequence[list[Hit]], entity_flags: Sequence[Sequence[str]],
                   n_features: int) -> Features:
    """The (posts x n_features) features of a batch; ``n_features`` is a power of two."""
    rows, hashes = tb.features()
    mask = np.uint64(n_features - 1)
    cols = (hashes & mask).astype(np.int64)
    has_tokens = np.bincount(tb.tok_post, minlength=tb.n) > 0 if tb.n else np.zeros(0, bool)
    extra_r: list[int] = []
    extra_c: list[int] = []
    named = _columns(n_features).named
    for p, empty in enumerate((~has_tokens).tolist()):
        if hits[p] or entity_flags[p] or empty:
            cs = named(hits[p], entity_flags[p], empty)
            extra_r += [p] * len(cs)
            extra_c += cs
    rows = np.concatenate((rows, np.asarray(extra_r, dtype=np.int64)))
    cols = np.concatenate((cols, np.asarray(extra_c, dtype=np.int64)))
    count = np.bincount(rows, minlength=tb.n).astype(np.float32)
    scale = 1.0 / np.sqrt(np.maximum(count, 1.0))
    return Features(rows, cols, scale[rows], tb.n, n_features)
