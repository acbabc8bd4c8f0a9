"""Detection in worker processes gives exactly the in-process findings, in input order."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from marsad.detect.corpus import read_corpus
from marsad.detect.engine import TextEngine
from marsad.detect.parallel import MIN_SLICE, ProcessDetector
from marsad.model import Post


def corpus_posts(n: int) -> list[Post]:
    rows = list(read_corpus())
    step = max(1, len(rows) // n)
    return [Post(id=f"p{i}", platform="telegram", text=r["text"], raw={"kept": "out of the workers"})
            for i, r in enumerate(rows[::step][:n])]


def test_two_workers_match_one_process():
    posts = corpus_posts(3 * MIN_SLICE)         # two slices, one per worker
    expected = [f.as_dict() for f in TextEngine.load().predict(posts)]
    with ProcessDetector(TextEngine.load, jobs=2) as detector:
        assert detector.tag == TextEngine.load().tag
        got = [f.as_dict() for f in detector.predict(posts)]
        assert detector.predict(posts[:5]) and detector.predict([]) == []
    assert [g["id"] for g in got] == [p.id for p in posts]
    assert got == expected
    assert {g["label"] for g in got} > {"benign"}         # a real mix, not all one answer


def test_one_job_is_refused():
    with pytest.raises(ValueError):
        ProcessDetector(TextEngine.load, jobs=1)


def _marsad(*args):
    return subprocess.run([sys.executable, "-m", "marsad", *args], capture_output=True, text=True)


def test_scan_and_classify_with_jobs_store_and_print_the_same(tmp_path):
    src = tmp_path / "posts.jsonl"
    src.write_text("".join(json.dumps({"id": p.id, "platform": p.platform, "text": p.text}, ensure_ascii=False) + "\n"
                           for p in corpus_posts(3 * MIN_SLICE)), encoding="utf-8")
    rows = {}
    for jobs in ("1", "2"):
        db = tmp_path / f"j{jobs}.db"
        r = _marsad("scan", str(src), "--db", f"sqlite:///{db}", "--jobs", jobs, "--json",
                    "--quarantine", str(tmp_path / "q.jsonl"))
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["new"] == 3 * MIN_SLICE
        with sqlite3.connect(db) as conn:
            rows[jobs] = conn.execute("SELECT platform, post_id, label, risk, scores, indicators, entities, "
                                      "route_from, route_to, detector FROM findings ORDER BY post_id").fetchall()
            rows[jobs] += conn.execute("SELECT platform, id, lang, sha256 FROM posts ORDER BY id").fetchall()
    assert len(rows["1"]) == 2 * 3 * MIN_SLICE and rows["1"] == rows["2"]
    assert len({r[2] for r in rows["2"][3 * MIN_SLICE:]}) > 3      # languages identified (by the workers)
    one = _marsad("classify", str(src))
    two = _marsad("classify", str(src), "-j", "2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout and one.stdout.count("\n") == 3 * MIN_SLICE


def test_scan_with_workers_keeps_duplicates_across_batches_out(tmp_path):
    """A post repeated in the next batch (still being detected when that batch is checked)
    is stored once, and the summary counts it as already stored; small batches make the
    scan hand the workers several batches."""
    from marsad.pipeline import scan

    posts = corpus_posts(500)
    lines = [json.dumps({"id": p.id, "platform": p.platform, "text": p.text}, ensure_ascii=False) for p in posts]
    src = tmp_path / "dup.jsonl"
    src.write_text("\n".join(lines[:300] + lines[250:]) + "\n", encoding="utf-8")    # 250..299 twice
    with ProcessDetector(TextEngine.load, jobs=2) as detector:
        summary = scan([src], db=f"sqlite:///{tmp_path / 'd.db'}", detector=detector, batch_size=100,
                       quarantine=tmp_path / "q.jsonl")
    assert (summary.records, summary.new, summary.already_stored) == (550, 500, 50)
    assert sum(summary.labels.values()) == 500 and sum(summary.languages.values()) == 500
    with sqlite3.connect(tmp_path / "d.db") as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM posts").fetchone() == (500, 500)
        assert conn.execute("SELECT count(*) FROM findings").fetchone() == (500,)
