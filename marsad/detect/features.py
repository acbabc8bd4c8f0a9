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

from marsad.detect.lexicon import Hit
from marsad.detect.textbatch import TextBatch


def named_features(hits: list[Hit], entity_flags: Sequence[str], has_tokens: bool) -> list[str]:
    feats: list[str] = []
    for h in hits:
        e = h.entry
        for f in ("x:" + e.label + ":" + e.name, "xl:" + e.label):
            if f not in feats:
                feats.append(f)
    feats += ["e:" + f for f in entity_flags]
    if not has_tokens:
        feats.append("empty")
    return feats


@lru_cache(maxsize=65536)
def _column(feature: str, n_features: int) -> int:
    """A named feature's column (the same few hundred names recur in every batch)."""
    return zlib.crc32(feature.encode()) & (n_features - 1)


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
    extra_r, extra_c = [], []
    for p in range(tb.n):
        for f in named_features(hits[p], entity_flags[p], bool(has_tokens[p])):
            extra_r.append(p)
            extra_c.append(_column(f, n_features))
    rows = np.concatenate((rows, np.asarray(extra_r, dtype=np.int64)))
    cols = np.concatenate((cols, np.asarray(extra_c, dtype=np.int64)))
    count = np.bincount(rows, minlength=tb.n).astype(np.float32)
    scale = 1.0 / np.sqrt(np.maximum(count, 1.0))
    return Features(rows, cols, scale[rows], tb.n, n_features)
