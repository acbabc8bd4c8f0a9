"""The spine against both stores: idempotent ingest, crash recovery, quarantine."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from marsad.pipeline import scan
from marsad.store.db import connect
from marsad.store.schema import accounts, ingest_runs, posts


def write_posts(path, n, start=0, bad_every=0):
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            if bad_every and i % bad_every == 0:
                fh.write('{"id": "broken", "platform": \n')
                continue
            fh.write(json.dumps({"id": f"p{i}", "platform": ["facebook", "telegram", "x"][i % 3],
                                 "author_id": f"a{i % 17}", "created_at": f"2025-01-{1 + i % 28:02d}T10:00:00Z",
                                 "text": f"منشور رقم {i} عن السفر", "lang": "ar"}, ensure_ascii=False) + "\n")


def count(url, table=posts):
    with connect(url).connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar()


def test_scan_twice_is_idempotent(store_url, tmp_path):
    src = tmp_path / "in.jsonl"
    write_posts(src, 250)
    s1 = scan([src], db=store_url, detector=None, quarantine=tmp_path / "q.jsonl", batch_size=40)
    s2 = scan([src], db=store_url, detector=None, quarantine=tmp_path / "q.jsonl", batch_size=40)
    assert (s1.new, s1.already_stored) == (250, 0)
    assert (s2.new, s2.already_stored) == (0, 250)
    assert count(store_url) == 250
    assert count(store_url, accounts) == 51   # (platform, author) pairs: 3 x 17
    assert count(store_url, ingest_runs) == 2


def test_duplicate_ids_inside_one_input_are_stored_once(store_url, tmp_path):
    src = tmp_path / "dup.jsonl"
    write_posts(src, 10)
    with open(src, "a", encoding="utf-8") as fh:     # the same posts again, later in the file
        fh.write(src.read_text(encoding="utf-8"))
    s = scan([src], db=store_url, detector=None, quarantine=tmp_path / "q.jsonl", batch_size=7)
    assert s.records == 20 and s.new == 10 and s.already_stored == 10
    assert count(store_url) == 10


def test_bad_lines_are_quarantined_with_location(store_url, tmp_path):
    src = tmp_path / "mixed.jsonl"
    write_posts(src, 30, bad_every=10)   # lines 1, 11, 21 are broken JSON
    with open(src, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "no-platform", "text": "x"}) + "\n")
        fh.write(json.dumps({"id": "p-bad-plat", "platform": "myspace", "text": "x"}) + "\n")
    q = tmp_path / "q.jsonl"
    s = scan([src], db=store_url, detector=None, quarantine=q)
    assert s.bad == 5 and s.new == 27
    rows = [json.loads(line) for line in q.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [1, 11, 21, 31, 32]
    assert all(r["file"] == str(src) for r in rows)
    assert rows[0]["error"].startswith("invalid JSON")
    assert rows[3]["field"] == "platform" and "missing" in rows[3]["error"]
    assert rows[4]["field"] == "platform" and "myspace" in rows[4]["error"]


KILLER = """
import sys
from marsad.pipeline import scan
scan([sys.argv[1]], db=sys.argv[2], detector=None, quarantine=sys.argv[3], batch_size=500)
"""


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_kill_9_mid_run_then_rerun_leaves_exactly_one_row_each(store_url, tmp_path):
    src = tmp_path / "big.jsonl"
    n = 60_000
    write_posts(src, n)
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(src), store_url, str(tmp_path / "q.jsonl")],
                            env=env)
    # Kill once the first batches are committed, long before the end.
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            if count(store_url) >= 1000:
                break
        except Exception:
            continue
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = count(store_url)
    assert 0 < partial < n, "the kill should land mid-run"
    s = scan([src], db=store_url, detector=None, quarantine=tmp_path / "q.jsonl", batch_size=500)
    assert s.already_stored == partial and s.new == n - partial
    assert count(store_url) == n
