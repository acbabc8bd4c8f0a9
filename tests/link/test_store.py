"""From the store: ``pipeline.scan`` a fixture into SQLite, then link what it stored; the
same networks from the files in memory; the CLI on both paths."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from marsad.cli import main
from marsad.detect.engine import TextEngine
from marsad.link import link_files, link_store, networks_from_store
from marsad.pipeline import scan
from marsad.store.db import connect
from marsad.store.schema import accounts

FIXTURE = Path(__file__).parent.parent / "fixtures" / "link"
POSTS = FIXTURE / "posts.jsonl"
EXPECTED = [["fb-sea-1", "tg-sea-2", "tt-sea-3"], ["ig-docs-2", "x-docs-1"]]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The real text engine, trained on the fixture's small corpus (fast, self-contained)."""
    return TextEngine.load(corpus_dirs=(FIXTURE / "corpus",), cache=tmp_path_factory.mktemp("model"), quiet=True)


@pytest.fixture(scope="module")
def store(engine, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'marsad.db'}"
    summary = scan([POSTS], db=url, detector=engine, quarantine=tmp_path_factory.mktemp("q") / "q.jsonl")
    assert summary.new == 9 and summary.bad == 0
    return url


def groups(nets):
    return sorted(sorted(n["accounts"]) for n in nets)


def test_networks_from_the_store(store):
    out = networks_from_store(connect(store))
    assert groups(out["networks"]) == EXPECTED
    sea = next(n for n in out["networks"] if "fb-sea-1" in n["accounts"])
    assert sea["shared"] == ["+218915550101", "@rihla_demo_boats"]
    assert sea["platforms"] == ["facebook", "telegram", "tiktok"] and sea["posts"] == 3
    assert sea["first_seen"] == "2025-03-01T10:00:00Z" and sea["last_seen"] == "2025-03-09T20:00:00Z"
    assert {p["currency"] for p in sea["prices"]} == {"EUR"}
    # the NGO and the news page only share a UNHCR page: public, not one operator's
    assert not any("fb-ngo" in n["accounts"] for n in out["networks"])


def test_store_and_memory_paths_agree(store, engine):
    from_store = link_store(connect(store))
    in_memory = link_files([POSTS], detector=engine)
    assert groups(in_memory.networks) == groups(from_store.networks) == EXPECTED
    assert [n["shared"] for n in in_memory.networks] == [n["shared"] for n in from_store.networks]


def test_cli_from_the_store_writes_contract_exports_and_risk(store, tmp_path):
    out, graphml, gexf = tmp_path / "n.json", tmp_path / "n.graphml", tmp_path / "n.gexf"
    assert main(["networks", "--db", store, "--out", str(out), "--graphml", str(graphml), "--gexf", str(gexf)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert groups(data["networks"]) == EXPECTED
    assert list(data["networks"][0])[:6] == ["id", "accounts", "shared", "platforms", "posts", "labels"]
    assert graphml.read_text(encoding="utf-8").startswith("<?xml") and "gexf" in gexf.read_text(encoding="utf-8")
    with connect(store).connect() as conn:
        risks = dict(conn.execute(select(accounts.c.author_id, accounts.c.risk)).all())
    assert None not in risks.values()
    assert risks["tt-sea-3"] > risks["fb-ngo"]      # in a smuggling network vs an NGO page


def test_cli_accounts_similar(store, capsys):
    assert main(["accounts", "similar", "fb-sea-1", "--db", store, "--limit", "3"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["author_id"] for r in rows[:2]} == {"tg-sea-2", "tt-sea-3"}
    assert main(["accounts", "similar", "nobody", "--db", store]) == 4


def test_networks_from_either_store(engine, store_url, tmp_path):
    """The same on SQLite and PostgreSQL (server-side cursor, JSON columns, COPY inserts)."""
    scan([POSTS], db=store_url, detector=engine, quarantine=tmp_path / "q.jsonl")
    assert groups(networks_from_store(connect(store_url))["networks"]) == EXPECTED
