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
        _, x, xl = _entry_features(h.entry)
        feats[x] = None
        feats[xl] = None
    out = list(feats)
    out += ["e:" + f for f in entity_flags]
    if not has_tokens:
        out.append("empty")
    return out


_BY_ENTRY: dict[int, tuple[Entry, str, str]] = {}


def _entry_features(e: Entry) -> tuple[Entry, str, str]:
    """(entry, "x:<label>:<name>", "xl:<label>"), built once per entry: a post's hits used to
    rebuild these strings, ~2 µs a real post and ~9 µs a dense ad. Keyed by identity (hashing
    a frozen dataclass runs Python code); the entry is kept to tell a reused id apart."""
    v = _BY_ENTRY.get(id(e))
    if v is None or v[0] is not e:
        v = _BY_ENTRY[id(e)] = (e, "x:" + e.label + ":" + e.name, "xl:" + e.label)
    return v


class _Columns(dict):
    """Feature name -> column for one ``n_features`` (the same few hundred names recur)."""

    def __init__(self, n_features: int):
        super().__init__()
        self.mask = n_features - 1
        # (entity flags, empty) -> the columns of a post without lexicon hits
        self.plain: dict[tuple[tuple[str, ...], bool], list[int]] = {}

    def __missing__(self, feature: str) -> int:
        col = self[feature] = zlib.crc32(feature.encode()) & self.mask
        return col


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
    columns = _columns(n_features)
    plain = columns.plain
    for p, empty in enumerate((~has_tokens).tolist()):
        if hits[p]:
            cs = [columns[f] for f in named_features(hits[p], entity_flags[p], not empty)]
        elif entity_flags[p] or empty:
            # Most posts have no lexicon hit, only a few kinds of identifier: their columns
            # are one lookup (~3 µs a real post when built feature by feature).
            key = (entity_flags[p], empty)
            cs = plain.get(key)
            if cs is None:
                cs = plain[key] = [columns[f] for f in named_features([], entity_flags[p], not empty)]
        else:
            continue
        extra_r += [p] * len(cs)
        extra_c += cs
    rows = np.concatenate((rows, np.asarray(extra_r, dtype=np.int64)))
    cols = np.concatenate((cols, np.asarray(extra_c, dtype=np.int64)))
    count = np.bincount(rows, minlength=tb.n).astype(np.float32)
    scale = 1.0 / np.sqrt(np.maximum(count, 1.0))
    return Features(rows, cols, scale[rows], tb.n, n_features)
