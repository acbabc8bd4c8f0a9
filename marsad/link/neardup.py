"""Near-duplicate texts: MinHash signatures and LSH banding, written with numpy.

Why by hand: ``datasketch`` (PyPI) is the usual library, but it is not installed here, it
hashes every shingle with SHA-1 in a Python loop (on the dev posts its
``MinHash.update_batch`` took 0.49 s against 0.11 s for ``signatures`` below, normalisation
included; bench/results/networks.md), and its LSH index keeps every bucket member, where a
copy posted 10,000 times must not cost 50 million pairs. We need only signatures, bands and
a verification step: about 100 lines over numpy, which the project already depends on. The
scheme is the textbook one (Broder 1997; Leskovec et al., *Mining of Massive Datasets*, ch. 3):

* a text's *key* is its ``fold`` with digits, punctuation and emoji removed, so "the same
  ad with the price changed" and a re-post with another emoji header keep one key;
* shingles are character 5-grams of the key, hashed to 64 bits with a rolling polynomial;
* ``NUM_PERM`` min-hashes per text use multiply-add-shift hash functions on those 64 bits;
* LSH with ``BANDS`` bands of ``ROWS`` rows proposes candidate pairs (texts sharing a band),
  and a candidate is kept when the share of equal min-hashes (an unbiased estimate of the
  Jaccard similarity of the shingle sets) reaches ``threshold``.

With 16 bands of 4 rows a pair at Jaccard 0.7 is proposed with probability 0.99 and a pair
at 0.3 with 0.12 (those are then rejected by the verification step).
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np

from marsad.normalize.arabic import fold

NUM_PERM = 64
BANDS, ROWS = 16, 4
SHINGLE = 5
MIN_KEY_CHARS = 30          # shorter keys ("call me", "DM") say nothing about a shared author
DEFAULT_THRESHOLD = 0.7
_WORDS = re.compile(r"[^\W\d_]+")
_SEED = 20240611
_rng = np.random.default_rng(_SEED)
# Multiply-add-shift hash functions (Dietzfelbinger): h_i(x) = (a_i * x + b_i) >> 32, mod 2**64.
_A = (_rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_B = _rng.integers(0, 2**63, NUM_PERM, dtype=np.uint64)
_POW = np.array([31 ** (SHINGLE - 1 - j) % 2**64 for j in range(SHINGLE)], dtype=np.uint64) * np.uint64(0x9E3779B1)
_CELLS = 1 << 20


def text_key(text: str) -> str:
    """The part of a text that two copies of one template share: folded words only."""
    return " ".join(_WORDS.findall(fold(text or "")))


def _shingle_hashes(cps: np.ndarray) -> np.ndarray:
    """64-bit hashes of every ``SHINGLE``-gram of the code points ``cps`` (window i starts at
    i). Duplicates are left in: they do not change a minimum."""
    n = len(cps) - SHINGLE + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):           # rolling polynomial, wrapping at 2**64 on purpose
        h += cps[j:j + n] * _POW[j]
    h ^= h >> np.uint64(29)            # finaliser so nearby code points spread over all bits
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(32)
    return h


def signatures(texts: Sequence[str], batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """``(sig, ok)``: MinHash signatures (``len(texts)`` x ``NUM_PERM``, uint32) and whether
    each text is long enough to take part.

    A batch of keys is joined with a separator and hashed in one pass (windows that cross a
    separator are dropped), so numpy's per-call cost is paid per batch, not per text; the
    (shingles x perms) products are formed ~1M cells at a time, so memory stays a few MB
    whatever the corpus size."""
    sig = np.full((len(texts), NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    ok = np.zeros(len(texts), dtype=bool)
    for start in range(0, len(texts), batch):
        keys = [text_key(t) for t in texts[start:start + batch]]
        rows = [i for i, k in enumerate(keys) if len(k) >= MIN_KEY_CHARS]
        if not rows:
            continue
        ok[start + np.array(rows)] = True
        joined = "\x00".join(keys[i] for i in rows)
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
        h = _shingle_hashes(cps)
        doc = np.cumsum(cps == 0)                       # text number of each position
        valid = (doc[:len(h)] == doc[SHINGLE - 1:]) & (cps[:len(h)] != 0)
        h, owner = h[valid], doc[:len(h)][valid]
        offsets = np.searchsorted(owner, np.arange(len(rows)))
        ends = np.append(offsets[1:], len(h))
        mins = np.empty((len(rows), NUM_PERM), dtype=np.uint32)
        lo = 0
        while lo < len(rows):
            hi = max(lo + 1, int(np.searchsorted(ends, offsets[lo] + _CELLS // NUM_PERM, side="right")))
            a, b = offsets[lo], ends[hi - 1]
            vals = ((h[a:b, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)).astype(np.uint32)
            mins[lo:hi] = np.minimum.reduceat(vals, offsets[lo:hi] - a, axis=0)
            lo = hi
        sig[start + np.array(rows)] = mins
    return sig, ok


def _band_keys(sig: np.ndarray) -> np.ndarray:
    """One 64-bit key per (text, band): the band's ``ROWS`` min-hashes mixed together."""
    s = sig.astype(np.uint64).reshape(len(sig), BANDS, ROWS)
    key = np.zeros((len(sig), BANDS), dtype=np.uint64)
    for r in range(ROWS):
        key = (key ^ s[:, :, r]) * np.uint64(0x100000001B3)
    return key


def candidate_pairs(sig: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``(i, j)`` pairs (i < j) that share at least one band. A bucket of ``m`` texts gives
    its ``m - 1`` (first, other) pairs, not all ``m²``: clusters are closed transitively
    afterwards, and a viral text copied 10,000 times must not cost 50 million pairs."""
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    keys = _band_keys(sig[idx])
    out = []
    for b in range(BANDS):
        k = keys[:, b]
        order = np.argsort(k, kind="stable")
        ks = k[order]
        new = np.concatenate(([True], ks[1:] != ks[:-1]))
        head = np.maximum.accumulate(np.where(new, np.arange(len(ks)), 0))
        mask = ~new
        if mask.any():
            out.append(np.stack([idx[order[head[mask]]], idx[order[mask]]], axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(out)
    pairs.sort(axis=1)
    n = int(idx.max()) + 1
    keys = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack(np.divmod(keys, n), axis=1)


def similarity(sig: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of each pair: the share of equal min-hashes."""
    if not len(pairs):
        return np.zeros(0)
    return (sig[pairs[:, 0]] == sig[pairs[:, 1]]).mean(axis=1)


def near_duplicates(texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD
                    ) -> list[tuple[int, int, float]]:
    """``(i, j, similarity)`` for pairs of ``texts`` that are near-duplicates (i < j).
    Pairs are those LSH proposes (see ``candidate_pairs``), verified on the signatures."""
    sig, ok = signatures(texts)
    pairs = candidate_pairs(sig, ok)
    sim = similarity(sig, pairs)
    keep = sim >= threshold
    return [(int(i), int(j), float(s)) for (i, j), s in zip(pairs[keep], sim[keep])]


def clusters(n: int, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Cluster label (the smallest member index) of each of ``n`` items, given linked pairs."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([root(i) for i in range(n)])
