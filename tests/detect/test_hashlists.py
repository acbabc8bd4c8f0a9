"""Hash-list files in the ThreatExchange / HMA shapes, and lists in the store."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from marsad.detect import hashlists
from marsad.detect.hashlist_formats import (HashRecord, detect_format, normalize_category, read_hashes,
                                            write_hashes)
from marsad.detect.hashlists import import_list, list_lists
from marsad.errors import Conflict, InputError, NotFound
from marsad.store.db import connect

LISTS = Path(__file__).parents[1] / "fixtures" / "media" / "lists"
ROOT = Path(__file__).parents[2]
P1 = "b6b19c89c98d77724652599ddaa573a6cc71319de66662af94a574314d42b18c"
R1 = "f0f0f0f00f0f0f0fa5a5a5a55a5a5a5a3c3c3c3cc3c3c3c39696969669696969"
R2 = "0123456789abcdef" * 4


@pytest.mark.parametrize("name, fmt, expected, n_errors", [
    ("te_dataset.csv", "te-csv", {("pdq", P1), ("pdq", R1), ("md5", "d41d8cd98f00b204e9800998ecf8427e")}, 1),
    ("te_api.csv", "te-api", {("pdq", P1), ("pdq", R2)}, 0),
    ("te_api.jsonl", "te-api", {("pdq", P1), ("pdq", R2)}, 1),
    ("te_graph_page.json", "te-api", {("pdq", P1)}, 0),
    ("simple.HASH_PDQ.te", "hma-te", {("pdq", P1), ("pdq", R1)}, 0),
    ("hma_bank.json", "hma-json", {("pdq", P1), ("pdq", R2), ("md5", "d41d8cd98f00b204e9800998ecf8427e")}, 0),
    ("plain.txt", "text", {("pdq", P1), ("pdq", R1)}, 1),
])
def test_every_shape_is_detected_and_read(name, fmt, expected, n_errors):
    path = LISTS / name
    assert detect_format(path, path.read_text()[:4096]) == fmt
    result = read_hashes(path)
    got = {(r.signal_type, r.value) for r in result.records}
    assert expected <= got
    assert len(result.errors) == n_errors
    for err in result.errors:
        assert err.source == str(path) and err.line


def test_tags_ids_and_opinions_are_kept():
    by_value = {r.value: r for r in read_hashes(LISTS / "te_api.csv").records}
    assert by_value[P1].tags == ("propaganda", "tvec") and by_value[P1].external_id == "1001"
    te = {r.value: r for r in read_hashes(LISTS / "simple.HASH_PDQ.te").records}
    assert te[P1].tags == ("hma_test", "smuggling") and te[P1].external_id == "3001"
    ds = {r.value: r for r in read_hashes(LISTS / "te_dataset.csv").records}
    assert ds[P1].opinion == "POSITIVE_CLASS" and ds[P1].tags == ("boat", "smuggling")
    graph = read_hashes(LISTS / "te_graph_page.json").records[0]
    assert graph.tags == ("media_type_photo",) and graph.external_id == "2001"


@pytest.mark.parametrize("fmt", ["te-csv", "te-api", "hma-te", "hma-json", "text"])
def test_write_then_read_round_trips(tmp_path, fmt):
    records = [HashRecord("pdq", P1, ("a", "b"), "11"), HashRecord("pdq", R1, (), "12")]
    buf = io.StringIO()
    assert write_hashes(records, fmt, buf, collab="boats") == 2
    path = tmp_path / ("simple.HASH_PDQ.te" if fmt == "hma-te" else f"list.{fmt}")
    path.write_text(buf.getvalue())
    back = read_hashes(path, fmt)
    assert not back.errors
    assert [(r.signal_type, r.value) for r in back.records] == [("pdq", P1), ("pdq", R1)]
    if fmt != "text":
        assert back.records[0].external_id == "11" or fmt == "te-csv"
        assert back.records[0].tags == ("a", "b")


def test_categories_and_aliases():
    assert normalize_category("CSAM") == "child_exploitation"
    assert normalize_category("tvec") == "terrorist_content"
    assert normalize_category("smuggling imagery") == "migrant_smuggling"
    with pytest.raises(InputError, match="unknown category"):
        normalize_category("cats")


def test_import_is_idempotent_and_lists_are_listed(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'm.db'}")
    first = import_list(engine, LISTS / "te_dataset.csv", name="boats", category="smuggling",
                        source="own", threshold=20)
    assert first["added"] == 3 and len(first["errors"]) == 1
    again = import_list(engine, LISTS / "te_dataset.csv", name="boats", category="smuggling",
                        source="own")
    assert again["added"] == 0 and again["duplicates"] == 3
    more = import_list(engine, LISTS / "plain.txt", name="boats", category="migrant_smuggling",
                       source="own")
    assert more["added"] == 1          # P1 and R1 are there already, the SHA-256 is new
    with pytest.raises(Conflict):
        import_list(engine, LISTS / "plain.txt", name="boats", category="tvec", source="own")
    (row,) = list_lists(engine)
    assert (row["name"], row["hashes"], row["threshold"], row["kind"]) == ("boats", 4, 20, "positive")
    assert hashlists.remove_hashes(engine, "boats", [R1]) == 1
    assert list_lists(engine)[0]["hashes"] == 3
    with pytest.raises(NotFound):
        hashlists.export_list(engine, "nope", "text", io.StringIO())


def test_negative_class_rows_stay_out_of_a_positive_list(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("signal_type,signal_str,collab,category,tags\n"
                    f"pdq,{P1},c,POSITIVE_CLASS,\npdq,{R1},c,NEGATIVE_CLASS,\n")
    engine = connect(f"sqlite:///{tmp_path / 'm.db'}")
    result = import_list(engine, path, name="l", category="other", source="s")
    assert result["added"] == 1 and "NEGATIVE_CLASS" in result["errors"][0]["error"]
    neg = import_list(engine, path, name="fp", category="other", source="s", kind="negative")
    assert neg["added"] == 1
    out = io.StringIO()
    hashlists.export_list(engine, "fp", "te-csv", out)
    assert f"pdq,{R1},fp,NEGATIVE_CLASS," in out.getvalue()


def test_cli_import_export_list(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"

    def run(*args):
        return subprocess.run([sys.executable, "-m", "marsad", "hashlist", *args, "--db", db],
                              capture_output=True, text=True, cwd=ROOT)

    imp = run("import", str(LISTS / "te_api.csv"), "--name", "gifct", "--category", "tvec",
              "--source", "GIFCT", "--threshold", "24")
    assert imp.returncode == 0, imp.stderr
    assert "3 added" in imp.stdout
    bad = run("import", str(LISTS / "plain.txt"), "--name", "own", "--category", "smuggling",
              "--source", "own")
    assert bad.returncode == 2
    assert json.loads(bad.stderr.splitlines()[0])["line"] == 5
    listed = json.loads(run("list", "--json").stdout)
    assert {(r["name"], r["hashes"], r["threshold"]) for r in listed} == {("gifct", 3, 24), ("own", 3, 31)}
    out = tmp_path / "gifct.json"
    assert run("export", "gifct", "--format", "hma-json", "--out", str(out)).returncode == 0
    assert {s for item in json.loads(out.read_text()) for s in item["signals"].values()} >= {P1, R2}
