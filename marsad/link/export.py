"""Networks out: GraphML and GEXF for Gephi, JSON for the web UI.

The exported graph is the evidence graph: account nodes and identifier nodes, an edge where
an account carries an identifier, for the accounts in networks and the identifiers that
link them (hubs and private identifiers are left out: they explain nothing). Node ids are
``a:<platform>:<author_id>`` and ``i:<kind>:<value>``, the ids the API's network graph uses.

GraphML is written by igraph. GEXF is written here with ElementTree: igraph has no GEXF
writer and networkx, which has one, is only a development dependency; GEXF 1.3 with
node/edge attributes is some forty lines.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import igraph

NODE_ATTRS = ("kind", "label", "platform", "network", "risk", "posts")


def evidence_graph(result) -> tuple[list[dict], list[dict]]:
    """``(nodes, edges)`` of the networks in ``result`` (a ``marsad.link.Networks``)."""
    risk = {(r["platform"], r["author_id"]): r["risk"] for r in result.account_risk()}
    nodes: dict[str, dict] = {}
    edges: dict[tuple[str, str], dict] = {}
    for net in result.networks:
        for m in net["members"]:
            nid = f"a:{m['platform']}:{m['author_id']}"
            nodes[nid] = {"id": nid, "kind": "account", "label": m.get("handle") or m["author_id"],
                          "platform": m["platform"], "network": net["id"],
                          "risk": risk.get((m["platform"], m["author_id"]), 0.0), "posts": m["posts"]}
        by_author = {}
        for m in net["members"]:
            by_author.setdefault(m["author_id"], []).append(m["platform"])
        for ev in net["evidence"]:
            iid = f"i:{ev['kind']}:{ev['value']}"
            nodes.setdefault(iid, {"id": iid, "kind": ev["kind"], "label": ev["value"], "platform": "",
                                   "network": net["id"], "risk": 0.0, "posts": 0})
            for author in ev["accounts"]:
                for plat in by_author.get(author, ()):
                    src = f"a:{plat}:{author}"
                    edges[(src, iid)] = {"source": src, "target": iid, "weight": ev["weight"]}
    return list(nodes.values()), list(edges.values())


def web_json(result) -> dict:
    """The networks (contract keys and the rest), hubs, and the evidence graph to draw."""
    nodes, edges = evidence_graph(result)
    return result.as_dict() | {"graph": {"nodes": nodes, "edges": edges},
                               "accounts": [r for r in result.account_risk() if r["risk"] > 0]}


def to_igraph(result) -> igraph.Graph:
    nodes, edges = evidence_graph(result)
    index = {n["id"]: i for i, n in enumerate(nodes)}
    g = igraph.Graph(n=len(nodes), edges=[(index[e["source"]], index[e["target"]]) for e in edges])
    g.vs["name"] = [n["id"] for n in nodes]
    for attr in NODE_ATTRS:
        values = [n[attr] for n in nodes]
        g.vs[attr] = [float(v) if attr == "risk" else int(v) if attr == "posts" else str(v) for v in values]
    g.es["weight"] = [float(e["weight"]) for e in edges]
    return g


def write_graphml(result, path: str | Path) -> None:
    to_igraph(result).write_graphml(str(path))


def write_gexf(result, path: str | Path) -> None:
    nodes, edges = evidence_graph(result)
    ns = "http://gexf.net/1.3"
    root = ET.Element("gexf", {"xmlns": ns, "version": "1.3"})
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "marsad"
    ET.SubElement(meta, "description").text = "accounts linked through shared identifiers"
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "undirected", "mode": "static"})
    attrs = ET.SubElement(graph, "attributes", {"class": "node"})
    types = {"risk": "double", "posts": "integer"}
    for i, name in enumerate(NODE_ATTRS):
        ET.SubElement(attrs, "attribute", {"id": str(i), "title": name, "type": types.get(name, "string")})
    xn = ET.SubElement(graph, "nodes")
    for n in nodes:
        el = ET.SubElement(xn, "node", {"id": n["id"], "label": str(n["label"])})
        values = ET.SubElement(el, "attvalues")
        for i, name in enumerate(NODE_ATTRS):
            ET.SubElement(values, "attvalue", {"for": str(i), "value": str(n[name])})
    xe = ET.SubElement(graph, "edges")
    for i, e in enumerate(edges):
        ET.SubElement(xe, "edge", {"id": str(i), "source": e["source"], "target": e["target"],
                                   "weight": str(e["weight"])})
    ET.ElementTree(root).write(str(path), encoding="utf-8", xml_declaration=True)


def write_json(data: dict, path: str | Path | None) -> None:
    """JSON to ``path`` ('-' or None: stdout), UTF-8 with Arabic kept readable."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if path in (None, "-"):
        print(text)
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")
