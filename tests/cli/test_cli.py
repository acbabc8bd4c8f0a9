"""The verbs as a user runs them: real subprocesses, real files."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ENV = dict(os.environ)


def marsad(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "marsad", *args], input=stdin, capture_output=True,
                          text=True, env=ENV)


def test_classify_one_line_out_per_good_line_in_order(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "platform": "facebook", "text": "حراقة من زوارة لإيطاليا الخميس، ٣٠٠٠ يورو، واتساب 00218912345678"},
        "not json at all",
        {"id": "b", "platform": "x", "text": "Lovely sunny day at the beach with my family"},
        {"id": "c", "text": "missing platform"},
        {"id": "d", "platform": "telegram", "text": ""},
    ]
    src.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = marsad("classify", str(src), "--out", str(out))
    assert r.returncode == 2, r.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in rows] == ["a", "b", "d"]
    assert rows[0]["label"] == "migrant_smuggling" and rows[0]["entities"]["phones"] == ["+218912345678"]
    assert rows[1]["label"] == "benign"
    errors = [json.loads(x) for x in r.stderr.splitlines() if x.startswith("{")]
    assert [e["line"] for e in errors] == [2, 4]
    assert "platform" in errors[1]["error"]


def test_classify_reads_stdin_and_writes_stdout():
    r = marsad("classify", "-", stdin=json.dumps({"id": "z", "platform": "tiktok", "text": "hello"}) + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["id"] == "z"


def test_scan_exit_code_and_summary(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "1", "platform": "facebook", "text": "مرحبا"}) + "\n{broken\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'm.db'}"
    r = marsad("scan", str(src), "--db", db, "--json", "--quarantine", str(tmp_path / "q.jsonl"))
    assert r.returncode == 2
    summary = json.loads(r.stdout)
    assert summary["new"] == 1 and summary["bad"] == 1
    r2 = marsad("scan", str(src), "--db", db, "--json", "--quarantine", str(tmp_path / "q2.jsonl"))
    assert json.loads(r2.stdout)["already_stored"] == 1


def test_unknown_format_is_a_clear_error(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("{}", encoding="utf-8")
    r = marsad("scan", str(src), "--format", "myspace", "--db", f"sqlite:///{tmp_path / 'm.db'}",
               "--quarantine", str(tmp_path / "q.jsonl"))
    assert r.returncode == 2
    assert "myspace" in (tmp_path / "q.jsonl").read_text()
