"""The PDQ index returns exactly what brute force returns, through adds and removes."""
from __future__ import annotations

import numpy as np
import pytest

from marsad.detect import index as index_mod
from marsad.detect.index import (PDQIndex, array_to_pdq_hex, brute_force, hamming,
                                 pdq_hex_to_array)
from marsad.errors import InputError

ENGINES = ["numpy"] + (["numba"] if index_mod._nb is not None else [])


def flip(row: np.ndarray, nbits: int, rng) -> np.ndarray:
    bits = np.unpackbits(row)
    bits[rng.choice(256, nbits, replace=False)] ^= 1
    return np.packbits(bits)


@pytest.fixture(scope="module")
def data():
    """20k random hashes, and 200 queries: half planted at distance 0..47, half random."""
    rng = np.random.default_rng(42)
    db = rng.integers(0, 256, (20_000, 32), dtype=np.uint8)
    queries = rng.integers(0, 256, (200, 32), dtype=np.uint8)
    for i in range(0, 200, 2):
        queries[i] = flip(db[rng.integers(len(db))], int(rng.integers(0, 48)), rng)
    return db, queries


def as_set(q, ids, d):
    return set(zip(q.tolist(), ids.tolist(), d.tolist()))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("radius", [0, 8, 15, 16, 31, 32, 40, 47, 60])
def test_same_matches_as_brute_force(data, engine, radius):
    db, queries = data
    ids = np.arange(len(db)) * 3 + 7
    index = PDQIndex(engine)
    index.add(db, ids)
    index.compact()
    q, i, d = index.search(queries, radius)
    bq, bi, bd = brute_force(queries, db, radius)
    assert as_set(q, i, d) == as_set(bq, ids[bi], bd)
    assert len(q) == len(set(zip(q.tolist(), i.tolist())))     # no duplicates
    if radius >= 31:
        assert len(q) >= 60   # the planted near-duplicates are there to be found


@pytest.mark.parametrize("engine", ENGINES)
def test_add_and_remove_without_rebuild(data, engine):
    db, queries = data
    index = PDQIndex(engine)
    index.add(db[:10_000], np.arange(10_000))
    index.compact()
    built = index._perms
    # New rows are searchable at once (tail), removed rows vanish at once (mask).
    index.add(db[10_000:10_100], np.arange(10_000, 10_100))
    removed = np.arange(0, 10_000, 7)
    assert index.remove(removed) == len(removed)
    assert index.remove([123456]) == 0
    assert index._perms is built                      # no rebuild happened
    assert len(index) == 10_100 - len(removed)
    live = np.setdiff1d(np.arange(10_100), removed)
    q, i, d = index.search(queries, 31)
    bq, bi, bd = brute_force(queries, db[live], 31)
    assert as_set(q, i, d) == as_set(bq, live[bi], bd)
    # Compaction (amortised, automatic past a size) keeps the answers.
    index.compact()
    assert index._perms is not built
    assert as_set(*index.search(queries, 31)) == as_set(q, i, d)


def test_automatic_compaction_and_readding_a_removed_id():
    rng = np.random.default_rng(1)
    db = rng.integers(0, 256, (12_000, 32), dtype=np.uint8)
    index = PDQIndex()
    for start in range(0, 12_000, 1000):            # many small adds trigger compactions
        index.add(db[start:start + 1000], np.arange(start, start + 1000))
    assert index._n_indexed > 0 and index._n - index._n_indexed <= max(4096, index._n // 8)
    assert index.search_hex(bytes(db[5]).hex(), 0) == [(5, 0)]
    index.remove([5])
    assert index.search_hex(bytes(db[5]).hex(), 0) == []
    index.add(db[5:6], [5])
    assert index.search_hex(bytes(db[5]).hex(), 0) == [(5, 0)]


def test_duplicate_hashes_under_different_ids_all_match():
    h = "ab" * 32
    index = PDQIndex()
    index.add([h, h, "cd" * 32], [1, 2, 3])
    assert sorted(index.search_hex(h, 0)) == [(1, 0), (2, 0)]


def test_empty_index_and_empty_queries():
    index = PDQIndex()
    assert [len(a) for a in index.search(["00" * 32], 31)] == [0, 0, 0]
    index.add(["00" * 32], [1])
    assert [len(a) for a in index.search([], 31)] == [0, 0, 0]


def test_save_and_load(tmp_path, data):
    db, queries = data
    index = PDQIndex()
    index.add(db[:500], np.arange(500))
    index.remove([3])
    index.save(tmp_path / "i.npz")
    loaded = PDQIndex.load(tmp_path / "i.npz")
    assert len(loaded) == 499
    assert as_set(*loaded.search(queries, 40)) == as_set(*index.search(queries, 40))


def test_hex_helpers_round_trip_and_reject_bad_hashes():
    hexes = ["0f" * 32, "a5" * 32]
    arr = pdq_hex_to_array(hexes)
    assert arr.shape == (2, 32) and array_to_pdq_hex(arr) == hexes
    assert hamming("0f" * 32, "0e" + "0f" * 31) == 1
    with pytest.raises(InputError):
        pdq_hex_to_array(["xyz"])
    with pytest.raises(InputError):
        pdq_hex_to_array(["ab" * 31])
