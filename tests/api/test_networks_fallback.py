"""The networks fallback used before the link stage is wired in: connected components over
shared identifiers, hubs ignored."""
from __future__ import annotations

from marsad.api import networks
from marsad.model import Finding, Post
from marsad.store import writer
from marsad.store.db import connect


def _store(tmp_path, posts_and_phones):
    engine = connect(f"sqlite:///{tmp_path / 'n.db'}")
    posts, found = [], []
    for pid, author, phones in posts_and_phones:
        p = Post(id=pid, platform="telegram", text="t", author_id=author, sha256="0" * 64)
        posts.append(p)
        found.append((p, Finding(pid, "migrant_smuggling", 0.9, {}, None, (), {"phones": phones})))
    with engine.begin() as conn:
        writer.insert_posts(conn, posts)
        writer.upsert_findings(conn, found, "test")
    return engine


def test_components_link_through_shared_identifiers_but_not_hubs(tmp_path):
    hub = "+41227301111"
    rows = [("p1", "a1", ["+218911111111", hub]), ("p2", "a2", ["+218911111111"]),
            ("p3", "a3", ["+218922222222", hub]), ("p4", "a4", ["+218922222222"])]
    rows += [(f"h{i}", f"crowd{i}", [hub]) for i in range(networks.HUB_LIMIT)]
    engine = _store(tmp_path, rows)
    nets = networks.components(engine)
    assert [n["accounts"] for n in nets] == [["a1", "a2"], ["a3", "a4"]]     # the hotline merges nothing
    assert nets[0]["shared"] == ["+218911111111"] and nets[0]["labels"] == {"migrant_smuggling": 2}
    g = networks.graph(engine, nets[0])
    assert {n["label"] for n in g["nodes"]} == {"a1", "a2", "+218911111111"} and len(g["edges"]) == 2
