"""Exact PDQ range search: every stored hash within Hamming distance ``r`` of a query.

Why multi-index hashing (MIH) and not faiss directly: measured on 1M random hashes on this
project's 2-core machine (``bench/media.py``, all engines in one run, identical results),
faiss ``IndexBinaryFlat`` scans all 32 MB per query (~1 ms) and python-threatexchange's
``PDQIndex`` (faiss ``IndexBinaryMultiHash``) answers in ~0.75 ms; the same multi-index
idea run as one compiled loop over flat numpy arrays answers in ~0.065 ms batched and
~0.1 ms for one hash per call. Memory is ~360 MB per million hashes (a third of
python-threatexchange's), most of it the per-chunk filter words described below.

How it stays exact: a 256-bit hash is cut into 16 chunks of 16 bits. If two hashes differ
in at most ``r`` bits, then by the pigeonhole principle at least one chunk differs in at
most ``r // 16`` bits. So for ``r <= 31`` it is enough to look up, for each chunk, the
bucket of the query's chunk value and the 16 buckets one bit away (272 buckets), and to
verify each candidate with a full 256-bit popcount. ``r <= 47`` adds the two-bit flips;
larger radii fall back to a brute-force scan (still exact). The popcount first reads two
64-bit words stored in bucket order next to the bucket itself, so the ~4,000 candidates a
query meets at 1M are rejected from sequential memory instead of 4,000 random row reads.

Why add/remove never rebuild: rows are appended to a tail that is scanned by brute force
until it grows past an eighth of the indexed rows; removed rows are masked at once.
Compaction (a radix sort per chunk, ~2.5 s per million) then folds both in, so the
cost per change is amortised and a query always sees the current set.

The compiled loop uses numba when it is installed; without it the same algorithm runs
vectorised in numpy (no filter words, ~115 MB per million), ~8x slower but with identical
answers; the tests run both.
"""
from __future__ import annotations

import threading
from typing import Iterable, Sequence

import numpy as np

from marsad.errors import InputError

CHUNKS = 16
BUCKETS = 1 << 16
MIH_MAX_RADIUS = 47          # 16 chunks with up to 2 bit flips per chunk
MIN_TAIL = 4096              # tail rows tolerated before a compaction

try:  # pragma: no cover - exercised through both engines in the tests
    import numba as _nb
except ImportError:  # pragma: no cover
    _nb = None


# --- hex <-> arrays ----------------------------------------------------------------------

def pdq_hex_to_array(hashes: Sequence[str] | Iterable[str]) -> np.ndarray:
    """``(n, 32) uint8`` from 64-hex-digit PDQ strings (ThreatExchange/HMA order)."""
    hashes = list(hashes)
    if not hashes:
        return np.zeros((0, 32), np.uint8)
    try:
        raw = bytes.fromhex("".join(hashes))
    except ValueError as exc:
        raise InputError(f"not a PDQ hash list: {exc}") from exc
    if len(raw) != 32 * len(hashes) or any(len(h) != 64 for h in hashes):
        bad = next(h for h in hashes if len(h) != 64)
        raise InputError(f"PDQ hash must be 64 hex digits: {bad[:80]!r}")
    return np.frombuffer(raw, np.uint8).reshape(-1, 32).copy()


def array_to_pdq_hex(arr: np.ndarray) -> list[str]:
    return [bytes(row).hex() for row in np.asarray(arr, np.uint8).reshape(-1, 32)]


def _as_codes(hashes) -> np.ndarray:
    """Accept hex strings, ``(n, 32) uint8`` or ``(n, 4) uint64``; return ``(n, 4) uint64``."""
    if isinstance(hashes, np.ndarray):
        arr = hashes
    else:
        hashes = list(hashes)
        arr = pdq_hex_to_array(hashes) if hashes and isinstance(hashes[0], str) else \
            np.asarray(hashes, np.uint8).reshape(-1, 32)
    if arr.dtype == np.uint64:
        return np.ascontiguousarray(arr.reshape(-1, 4))
    return np.ascontiguousarray(np.asarray(arr, np.uint8).reshape(-1, 32)).view(np.uint64)


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _chunk_keys(codes: np.ndarray) -> np.ndarray:
    """``(n, 16)`` chunk values: chunk c is bits ``16*(c%4)..`` of 64-bit word ``c//4``."""
    shifts = (np.arange(4, dtype=np.uint64) * np.uint64(16))
    keys = (codes[:, :, None] >> shifts[None, None, :]) & np.uint64(0xFFFF)
    return keys.reshape(len(codes), CHUNKS).astype(np.int64)


def brute_force(queries, codes, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference answer: ``(query_index, row, distance)`` for every pair within ``radius``.

    Numpy only and O(n) per query; used for big radii, as the tests' oracle and as the
    bench's baseline."""
    q = _as_codes(queries)
    db = _as_codes(codes)
    out_q, out_i, out_d = [], [], []
    for qi in range(len(q)):
        d = np.bitwise_count(db ^ q[qi]).sum(axis=1, dtype=np.int32)
        rows = np.flatnonzero(d <= radius)
        out_q.append(np.full(len(rows), qi, np.int64))
        out_i.append(rows.astype(np.int64))
        out_d.append(d[rows])
    if not out_q:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    return np.concatenate(out_q), np.concatenate(out_i), np.concatenate(out_d).astype(np.int32)


# --- compiled kernels --------------------------------------------------------------------

def _popcount_py(x):  # pragma: no cover - compiled by numba
    # SWAR popcount: numba lowers it to straight-line code (no Python ints involved).
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


def _mih_kernel_py(q64, qkeys, codes, alive, perms, offs, filt, nflip, radius, q_start,
                   out_q, out_i, out_d, n):  # pragma: no cover - compiled by numba
    """Probe every chunk bucket within ``nflip`` bits of the query's chunk, verify each
    candidate with a full popcount, skip candidates an earlier chunk already found.
    ``filt[c, j]`` holds, in bucket order, the two 64-bit words of row ``perms[c, j]``
    that do not contain chunk ``c``: read sequentially, they reject almost every random
    candidate (a 128-bit distance <= 31 is a ~1e-9 event) before its row is touched.
    Returns ``(n, next_query)``; ``next_query < len(q64)`` means the output is full."""
    for qi in range(q_start, q64.shape[0]):
        n_start = n
        for c in range(16):
            k0 = qkeys[qi, c]
            w = c // 4
            f0 = q64[qi, (w + 1) % 4]
            f1 = q64[qi, (w + 2) % 4]
            r0 = q64[qi, w]
            r1 = q64[qi, (w + 3) % 4]
            nprobe = 1 + 16 * (nflip >= 1) + 120 * (nflip >= 2)
            for p in range(nprobe):
                if p == 0:
                    k = k0
                elif p <= 16:
                    k = k0 ^ (1 << (p - 1))
                else:  # the 120 two-bit flips, in (b1 < b2) order
                    t = p - 17
                    b1 = 0
                    while t >= 15 - b1:
                        t -= 15 - b1
                        b1 += 1
                    b2 = b1 + 1 + t
                    k = k0 ^ (1 << b1) ^ (1 << b2)
                for j in range(offs[c, k], offs[c, k + 1]):
                    d = _popcount(f0 ^ filt[c, j, 0]) + _popcount(f1 ^ filt[c, j, 1])
                    if d > radius:
                        continue
                    i = perms[c, j]
                    d += _popcount(r0 ^ codes[i, w]) + _popcount(r1 ^ codes[i, (w + 3) % 4])
                    if d > radius or not alive[i]:
                        continue
                    # Found through an earlier chunk already? Then it is a duplicate.
                    dup = False
                    for c2 in range(c):
                        sh = np.uint64(16 * (c2 % 4))
                        x = ((codes[i, c2 // 4] >> sh) & np.uint64(0xFFFF)) ^ np.uint64(qkeys[qi, c2])
                        if _popcount(x) <= nflip:
                            dup = True
                            break
                    if dup:
                        continue
                    if n >= out_q.shape[0]:
                        return n_start, qi
                    out_q[n] = qi
                    out_i[n] = i
                    out_d[n] = d
                    n += 1
    return n, q64.shape[0]


def _scan_kernel_py(q64, codes, alive, lo, hi, radius, q_start,
                    out_q, out_i, out_d, n):  # pragma: no cover
    """Brute force over rows ``lo..hi`` (the un-indexed tail). Same output protocol."""
    for qi in range(q_start, q64.shape[0]):
        n_start = n
        for i in range(lo, hi):
            if not alive[i]:
                continue
            d = (_popcount(q64[qi, 0] ^ codes[i, 0]) + _popcount(q64[qi, 1] ^ codes[i, 1])
                 + _popcount(q64[qi, 2] ^ codes[i, 2]) + _popcount(q64[qi, 3] ^ codes[i, 3]))
            if d <= radius:
                if n >= out_q.shape[0]:
                    return n_start, qi
                out_q[n] = qi
                out_i[n] = i
                out_d[n] = d
                n += 1
    return n, q64.shape[0]


if _nb is not None:
    _popcount = _nb.njit(cache=True, nogil=True, inline="always")(_popcount_py)
    _mih_kernel = _nb.njit(cache=True, nogil=True)(_mih_kernel_py)
    _scan_kernel = _nb.njit(cache=True, nogil=True)(_scan_kernel_py)
else:  # pragma: no cover
    _popcount = _mih_kernel = _scan_kernel = None


def _run(kernel, *args, expect: int):
    """Call a kernel, growing the output buffers until every query is answered."""
    nq = args[0].shape[0]
    cap = max(1024, 2 * expect)
    out_q = np.empty(cap, np.int64)
    out_i = np.empty(cap, np.int64)
    out_d = np.empty(cap, np.int32)
    n, q_next = 0, 0
    while True:
        n, q_next = kernel(*args, q_next, out_q, out_i, out_d, n)
        if q_next >= nq:
            return out_q[:n], out_i[:n], out_d[:n]
        cap *= 2
        out_q = np.concatenate([out_q, np.empty(cap - len(out_q), np.int64)])
        out_i = np.concatenate([out_i, np.empty(cap - len(out_i), np.int64)])
        out_d = np.concatenate([out_d, np.empty(cap - len(out_d), np.int32)])


# --- numpy engine (same algorithm, vectorised) ------------------------------------------

def _flip_masks(nflip: int) -> np.ndarray:
    masks = [0]
    if nflip >= 1:
        masks += [1 << b for b in range(16)]
    if nflip >= 2:
        masks += [(1 << a) | (1 << b) for a in range(16) for b in range(a + 1, 16)]
    return np.array(masks, np.int64)


def _mih_numpy(q64, qkeys, codes, alive, perms, offs, nflip, radius, batch=128):
    n_rows = perms.shape[1]
    masks = _flip_masks(nflip)
    flat_perms = perms.reshape(-1)
    outs = []
    for s in range(0, len(q64), batch):
        qk = qkeys[s:s + batch]
        probes = qk[:, :, None] ^ masks[None, None, :]
        chunk = np.broadcast_to(np.arange(CHUNKS)[None, :, None], probes.shape)
        starts = offs[chunk, probes]
        lens = (offs[chunk, probes + 1] - starts).reshape(-1)
        starts = (starts + chunk * n_rows).reshape(-1)
        total = int(lens.sum())
        if not total:
            continue
        ends = np.cumsum(lens)
        pos = np.arange(total) + np.repeat(starts - (ends - lens), lens)
        cand = flat_perms[pos].astype(np.int64)
        qi = np.repeat(np.repeat(np.arange(len(qk)), CHUNKS * len(masks)), lens)
        d = np.bitwise_count(codes[cand] ^ q64[s:s + batch][qi]).sum(axis=1, dtype=np.int32)
        keep = (d <= radius) & alive[cand]
        key = np.unique(qi[keep] * n_rows + cand[keep])
        qq, ii = key // n_rows, key % n_rows
        dd = np.bitwise_count(codes[ii] ^ q64[s:s + batch][qq]).sum(axis=1, dtype=np.int32)
        outs.append((qq + s, ii, dd))
    if not outs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    return tuple(np.concatenate(parts) for parts in zip(*outs))


# --- the index ----------------------------------------------------------------------------

class PDQIndex:
    """Exact range search over PDQ hashes with cheap add and remove.

    ``search(queries, radius)`` returns every stored ``(id, distance)`` within ``radius``
    of each query, the same set brute force would return. ``ids`` are the caller's (e.g.
    ``list_hashes.id``); the same id may not be added twice while it is present.
    """

    def __init__(self, engine: str | None = None):
        if engine not in (None, "numba", "numpy"):
            raise ValueError(f"unknown index engine {engine!r}")
        if engine == "numba" and _nb is None:
            raise ImportError("numba is not installed")
        self.engine = engine or ("numba" if _nb is not None else "numpy")
        self._codes = np.zeros((0, 4), np.uint64)
        self._ids = np.zeros(0, np.int64)
        self._alive = np.zeros(0, np.bool_)
        self._n = 0              # rows used (indexed + tail, alive or not)
        self._n_indexed = 0      # rows [0, _n_indexed) are in the MIH tables
        self._n_dead = 0
        self._perms = np.zeros((CHUNKS, 0), np.int32)
        self._offs = np.zeros((CHUNKS, BUCKETS + 1), np.int64)
        self._filt = np.zeros((CHUNKS, 0, 2), np.uint64)
        self._id_order = np.zeros(0, np.int64)   # argsort of _ids[:_n_indexed]
        self._tail_pos: dict[int, int] = {}      # id -> row for the tail
        self._lock = threading.RLock()

    # -- size and contents
    def __len__(self) -> int:
        return self._n - self._n_dead

    @property
    def nbytes(self) -> int:
        return int(self._codes.nbytes + self._ids.nbytes + self._alive.nbytes + self._filt.nbytes
                   + self._perms.nbytes + self._offs.nbytes + self._id_order.nbytes)

    # -- changes
    def add(self, hashes, ids) -> None:
        codes = _as_codes(hashes)
        ids = np.asarray(ids, np.int64).reshape(-1)
        if len(codes) != len(ids):
            raise ValueError(f"{len(codes)} hashes but {len(ids)} ids")
        if not len(ids):
            return
        with self._lock:
            need = self._n + len(ids)
            if need > len(self._codes):
                cap = max(need, int(len(self._codes) * 1.5), 1024)
                self._codes = _grow(self._codes, cap)
                self._ids = _grow(self._ids, cap)
                self._alive = _grow(self._alive, cap)
            sl = slice(self._n, need)
            self._codes[sl] = codes
            self._ids[sl] = ids
            self._alive[sl] = True
            start, self._n = self._n, need
            if self._n - self._n_indexed > max(MIN_TAIL, self._n_indexed // 8):
                self.compact()          # folds the new rows in; no tail positions needed
            else:
                for k, i in enumerate(ids.tolist(), start=start):
                    self._tail_pos[i] = k

    def remove(self, ids) -> int:
        """Mask the rows of ``ids`` at once; returns how many were present."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        removed = 0
        with self._lock:
            for i in ids.tolist():
                row = self._tail_pos.pop(i, None)
                if row is None and self._n_indexed:
                    order = self._id_order
                    at = np.searchsorted(self._ids[:self._n_indexed], i, sorter=order)
                    while at < len(order) and self._ids[order[at]] == i:
                        if self._alive[order[at]]:
                            row = int(order[at])
                            break
                        at += 1
                if row is not None and self._alive[row]:
                    self._alive[row] = False
                    self._n_dead += 1
                    removed += 1
            if self._n_dead > max(MIN_TAIL, self._n // 4):
                self.compact()
        return removed

    def compact(self) -> None:
        """Fold the tail into the MIH tables and drop removed rows (counting sort)."""
        with self._lock:
            keep = np.flatnonzero(self._alive[:self._n])
            self._codes = np.ascontiguousarray(self._codes[keep])
            self._ids = self._ids[keep]
            self._alive = np.ones(len(keep), np.bool_)
            self._n = self._n_indexed = len(keep)
            self._n_dead = 0
            self._tail_pos = {}
            keys = _chunk_keys(self._codes).astype(np.uint16)   # uint16: numpy radix-sorts
            self._perms = np.empty((CHUNKS, self._n), np.int32)
            self._offs = np.zeros((CHUNKS, BUCKETS + 1), np.int64)
            if self.engine == "numba":
                self._filt = np.empty((CHUNKS, self._n, 2), np.uint64)
            for c in range(CHUNKS):
                self._perms[c] = np.argsort(keys[:, c], kind="stable")
                np.cumsum(np.bincount(keys[:, c], minlength=BUCKETS), out=self._offs[c, 1:])
                if self.engine == "numba":
                    w = c // 4
                    self._filt[c, :, 0] = self._codes[self._perms[c], (w + 1) % 4]
                    self._filt[c, :, 1] = self._codes[self._perms[c], (w + 2) % 4]
            self._id_order = np.argsort(self._ids, kind="stable")

    # -- queries
    def search(self, queries, radius: int = 31) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(query_index, id, distance)`` arrays for every stored hash within ``radius``."""
        radius = int(radius)
        if not 0 <= radius <= 256:
            raise ValueError(f"radius must be 0..256, not {radius}")
        q64 = _as_codes(queries)
        with self._lock:
            codes, alive, n, ni = self._codes, self._alive, self._n, self._n_indexed
            perms, offs, ids, filt = self._perms, self._offs, self._ids, self._filt
        if not len(q64) or not n:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
        parts = []
        if radius > MIH_MAX_RADIUS:
            qq, rr, dd = brute_force(q64, codes[:n], radius)
            keep = alive[rr]
            parts.append((qq[keep], rr[keep], dd[keep]))
        else:
            nflip = radius // CHUNKS
            if ni:
                qkeys = _chunk_keys(q64)
                if self.engine == "numba":
                    parts.append(_run(_mih_kernel, q64, qkeys, codes, alive, perms, offs, filt,
                                      nflip, radius, expect=len(q64)))
                else:
                    parts.append(_mih_numpy(q64, qkeys, codes, alive, perms, offs, nflip, radius))
            if n > ni:
                if self.engine == "numba":
                    parts.append(_run(_scan_kernel, q64, codes, alive, ni, n, radius,
                                      expect=len(q64)))
                else:
                    qq, rr, dd = brute_force(q64, codes[ni:n], radius)
                    rr = rr + ni
                    keep = alive[rr]
                    parts.append((qq[keep], rr[keep], dd[keep]))
        qq = np.concatenate([p[0] for p in parts])
        rr = np.concatenate([p[1] for p in parts])
        dd = np.concatenate([p[2] for p in parts]).astype(np.int32)
        order = np.lexsort((rr, qq))
        return qq[order], ids[rr[order]], dd[order]

    def search_hex(self, pdq_hex: str, radius: int = 31) -> list[tuple[int, int]]:
        """``[(id, distance), ...]`` for one hash: the convenient form for one image."""
        _, ids, dist = self.search([pdq_hex], radius)
        return list(zip(ids.tolist(), dist.tolist()))

    # -- persistence
    def save(self, path) -> None:
        with self._lock:
            self.compact()
            np.savez(path, codes=self._codes, ids=self._ids)

    @classmethod
    def load(cls, path, engine: str | None = None) -> "PDQIndex":
        data = np.load(path)
        index = cls(engine)
        index.add(data["codes"], data["ids"])
        index.compact()
        return index


def _grow(arr: np.ndarray, cap: int) -> np.ndarray:
    out = np.zeros((cap,) + arr.shape[1:], arr.dtype)
    out[:len(arr)] = arr
    return out
