"""The networks contract (DESIGN.md), ranking, exports, account risk and "more like this"."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import igraph

from marsad.link import LinkRules, link_corpus, similar
from marsad.link.corpus import Corpus
from marsad.link.export import evidence_graph, web_json, write_gexf, write_graphml

CONTRACT = ["id", "accounts", "shared", "platforms", "posts", "labels"]


def small_world():
    """A smuggling network on three platforms, a benign agency's two pages, a quiet page that
    shares the smugglers' wallet, and a lone seller who posts like the smugglers."""
    c = Corpus(LinkRules.load())
    smug = {"prices": [{"amount": 3000, "currency": "EUR"}], "places": ["زوارة", "لامبيدوزا"]}
    route = [{"from": "زوارة", "to": "لامبيدوزا"}]
    c.add_post("facebook", "1", "s-fb", handle="sea.fb", category="Travel agency", created_at="2025-03-01T10:00:00Z",
               label="migrant_smuggling", risk=0.95, entities=smug, routes=route,
               identifiers=[("phone", "+218915550101")])
    c.add_post("telegram", "2", "s-tg", handle="sea_tg", created_at="2025-03-05T10:00:00Z",
               label="migrant_smuggling", risk=0.9, routes=route,
               entities={"prices": [{"amount": 2500, "currency": "EUR"}], "places": ["زوارة"]},
               identifiers=[("phone", "+218915550101"), ("wallet", "TSmugglersWallet")])
    c.add_post("tiktok", "3", "s-tt", created_at="2025-03-09T10:00:00Z", label="migrant_smuggling", risk=0.8,
               identifiers=[("phone", "+218915550101")])
    c.add_post("instagram", "4", "quiet", created_at="2025-03-10T10:00:00Z", label="benign", risk=0.1,
               identifiers=[("wallet", "TSmugglersWallet")])
    c.add_post("facebook", "5", "agency-1", created_at="2024-01-01T10:00:00Z", label="benign", risk=0.05,
               identifiers=[("phone", "+212522000000")])
    c.add_post("instagram", "6", "agency-2", created_at="2024-01-02T10:00:00Z", label="benign", risk=0.05,
               identifiers=[("phone", "+212522000000")])
    c.add_post("facebook", "7", "lone", created_at="2025-03-02T10:00:00Z", label="migrant_smuggling", risk=0.9,
               entities=smug, routes=route, identifiers=[("phone", "+218925550199")])
    return link_corpus(c)


def test_contract_keys_and_shapes():
    out = json.loads(json.dumps(small_world().as_dict(), ensure_ascii=False))
    nets = out["networks"]
    assert [n["id"] for n in nets] == ["net-1", "net-2"]
    for n in nets:
        assert list(n)[:6] == CONTRACT
        assert all(isinstance(a, str) for a in n["accounts"]) and len(n["accounts"]) >= 2
        assert isinstance(n["posts"], int) and all(isinstance(v, int) for v in n["labels"].values())
    top = nets[0]
    assert top["accounts"] == ["quiet", "s-fb", "s-tg", "s-tt"]
    assert top["shared"] == ["+218915550101", "TSmugglersWallet"]
    assert top["platforms"] == ["facebook", "instagram", "telegram", "tiktok"]
    assert top["posts"] == 4 and top["labels"] == {"migrant_smuggling": 3, "benign": 1}
    assert top["first_seen"] == "2025-03-01T10:00:00Z" and top["last_seen"] == "2025-03-10T10:00:00Z"
    assert top["routes"] == [{"from": "زوارة", "to": "لامبيدوزا", "posts": 2}]
    assert top["prices"] == [{"currency": "EUR", "min": 2500, "max": 3000, "posts": 2}]
    assert top["rank"] == 1 and top["score"] > nets[1]["score"]
    assert nets[1]["accounts"] == ["agency-1", "agency-2"] and nets[1]["harmful_share"] == 0.0
    assert "lone" not in {a for n in nets for a in n["accounts"]}
    assert out["summary"]["networks"] == 2 and out["summary"]["accounts"] == 7


def test_account_risk_counts_posts_category_identifiers_and_network():
    res = small_world()
    risk = {r["author_id"]: r for r in res.account_risk()}
    assert risk["s-fb"]["parts"]["category"] == 1.0           # "Travel agency"
    assert risk["quiet"]["parts"]["posts"] == 0.0
    assert risk["quiet"]["parts"]["identifiers"] > 0.8         # shares the smugglers' wallet
    assert risk["quiet"]["risk"] > 0.5 > risk["agency-1"]["risk"]
    assert risk["lone"]["network"] is None and risk["lone"]["risk"] >= 0.9


def test_more_like_this_ranks_linked_then_alike():
    res = small_world()
    rows = similar(res, "s-fb", limit=10)
    order = [r["author_id"] for r in rows]
    assert order[:2] == ["s-tg", "s-tt"]            # share the number
    assert "lone" in order and ("agency-1" not in order or order.index("lone") < order.index("agency-1"))
    lone = next(r for r in rows if r["author_id"] == "lone")
    assert lone["linked"] == 0 and lone["alike_parts"]["routes"] == 1.0


def test_exports_round_trip(tmp_path):
    res = small_world()
    nodes, edges = evidence_graph(res)
    ids = {n["id"] for n in nodes}
    assert "a:facebook:s-fb" in ids and "i:phone:+218915550101" in ids
    assert all(e["source"] in ids and e["target"] in ids for e in edges)
    write_graphml(res, tmp_path / "n.graphml")
    g = igraph.Graph.Read_GraphML(str(tmp_path / "n.graphml"))
    assert g.vcount() == len(nodes) and g.ecount() == len(edges)
    assert set(g.vs["kind"]) == {"account", "phone", "wallet"}
    write_gexf(res, tmp_path / "n.gexf")
    root = ET.parse(tmp_path / "n.gexf").getroot()
    ns = {"g": "http://gexf.net/1.3"}
    assert len(root.findall(".//g:node", ns)) == len(nodes)
    assert len(root.findall(".//g:edge", ns)) == len(edges)
    web = web_json(res)
    assert web["networks"] == res.networks and len(web["graph"]["nodes"]) == len(nodes)
