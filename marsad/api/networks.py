"""Networks for the API and the web UI: from ``marsad.link`` when it offers a store entry
point, else a plain connected-components fallback over the store's identifier rows.

The fallback exists so the review UI works on a store before the linking stage is wired
in; it links accounts through identifiers carried by at most ``HUB_LIMIT`` accounts (so a
hotline number shared by everyone merges nothing) and has none of the link stage's rarity
weighting or near-duplicate text. Results are cached per app until the store's post or
identifier counts change.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import and_, func, select

from marsad.errors import NotFound
from marsad.store.schema import findings, identifiers, post_identifiers, posts

HUB_LIMIT = 20
# Names the link stage may expose, each ``fn(engine) -> {"networks": [...]}`` (DESIGN.md).
LINK_ENTRY_POINTS = ("networks_from_store", "store_networks", "from_store")


def _linker():
    try:
        import marsad.link as link
    except ImportError:
        return None
    for name in LINK_ENTRY_POINTS:
        fn = getattr(link, name, None)
        if callable(fn):
            return fn
    return None


def _fingerprint(conn) -> tuple:
    return (conn.execute(select(func.count()).select_from(posts)).scalar_one(),
            conn.execute(select(func.count()).select_from(post_identifiers)).scalar_one(),
            conn.execute(select(func.count()).select_from(findings)).scalar_one())


def all_networks(engine, cache: dict | None = None) -> list[dict]:
    """The contract's network dicts, largest first."""
    with engine.connect() as conn:
        key = _fingerprint(conn)
    if cache is not None and cache.get("key") == key:
        return cache["networks"]
    fn = _linker()
    result = fn(engine) if fn else {"networks": components(engine)}
    nets = result["networks"] if isinstance(result, dict) else list(result)
    if cache is not None:
        cache.update(key=key, networks=nets, source="marsad.link" if fn else "fallback")
    return nets


def one_network(engine, net_id: str, cache: dict | None = None) -> dict:
    for net in all_networks(engine, cache):
        if net["id"] == net_id:
            return net
    raise NotFound(f"no network {net_id}")


def _edges(conn):
    """(platform, author_id, kind, value) for every identifier a post carries."""
    return conn.execute(
        select(posts.c.platform, posts.c.author_id, identifiers.c.kind, identifiers.c.value)
        .join(post_identifiers, and_(post_identifiers.c.platform == posts.c.platform,
                                     post_identifiers.c.post_id == posts.c.id))
        .join(identifiers, identifiers.c.id == post_identifiers.c.identifier_id)
        .where(posts.c.author_id.is_not(None)).distinct())


def components(engine) -> list[dict]:
    """Connected components of accounts sharing a non-hub identifier (the fallback)."""
    holders: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    with engine.connect() as conn:
        for plat, author, kind, value in _edges(conn):
            holders[(kind, value)].add((plat, author))
        parent: dict = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        shared_by: dict = {}
        for ident, accs in holders.items():
            if len(accs) < 2 or len(accs) > HUB_LIMIT:
                continue
            first, *rest = sorted(accs)
            for other in rest:
                parent[find(other)] = find(first)
            shared_by[ident] = accs
        groups: dict = defaultdict(set)
        for acc in parent:
            groups[find(acc)].add(acc)
        nets = []
        for members in groups.values():
            if len(members) < 2:
                continue
            shared = sorted(v for (k, v), accs in shared_by.items() if accs & members)
            rows = conn.execute(
                select(posts.c.platform, posts.c.author_id, findings.c.label)
                .outerjoin(findings, and_(findings.c.platform == posts.c.platform,
                                          findings.c.post_id == posts.c.id))
                .where(posts.c.author_id.in_(sorted({a for _, a in members})))).all()
            rows = [r for r in rows if (r.platform, r.author_id) in members]
            nets.append({"accounts": sorted({a for _, a in members}), "shared": shared,
                         "platforms": sorted({p for p, _ in members}), "posts": len(rows),
                         "labels": dict(Counter(r.label for r in rows if r.label))})
    nets.sort(key=lambda n: (-len(n["accounts"]), -n["posts"], n["accounts"]))
    for i, net in enumerate(nets, 1):
        net["id"] = f"net-{i}"
    return nets


def graph(engine, net: dict) -> dict:
    """Nodes and edges of one network for drawing: accounts and the identifiers they share.

    Drawn from the network's own ``evidence`` (which identifier links which accounts) when
    the link stage gives it, else from the store's identifier rows."""
    if net.get("evidence"):
        return _evidence_graph(net)
    shared, members = set(net.get("shared") or ()), set(net.get("accounts") or ())
    nodes: dict[str, dict] = {}
    edges: set[tuple[str, str]] = set()
    with engine.connect() as conn:
        for plat, author, kind, value in _edges(conn):
            if author not in members or value not in shared:
                continue
            a, i = f"a:{plat}:{author}", f"i:{kind}:{value}"
            nodes.setdefault(a, {"id": a, "kind": "account", "label": author, "platform": plat})
            nodes.setdefault(i, {"id": i, "kind": kind, "label": value})
            edges.add((a, i))
    for author in members:   # accounts linked by evidence the store has no identifier row for
        if not any(n["kind"] == "account" and n["label"] == author for n in nodes.values()):
            nodes[f"a:?:{author}"] = {"id": f"a:?:{author}", "kind": "account", "label": author, "platform": ""}
    return {"nodes": sorted(nodes.values(), key=lambda n: n["id"]),
            "edges": [{"source": s, "target": t} for s, t in sorted(edges)]}


def _evidence_graph(net: dict) -> dict:
    platform = {m["author_id"]: m.get("platform", "") for m in net.get("members") or ()}
    nodes: dict[str, dict] = {}
    edges: set[tuple[str, str]] = set()
    for author in net.get("accounts") or ():
        a = f"a:{platform.get(author, '')}:{author}"
        nodes[a] = {"id": a, "kind": "account", "label": author, "platform": platform.get(author, "")}
    for ev in net["evidence"]:
        i = f"i:{ev.get('kind', 'identifier')}:{ev.get('value')}"
        nodes.setdefault(i, {"id": i, "kind": ev.get("kind", "identifier"), "label": ev.get("value"),
                             "weight": ev.get("weight")})
        for author in ev.get("accounts") or ():
            edges.add((f"a:{platform.get(author, '')}:{author}", i))
    return {"nodes": sorted(nodes.values(), key=lambda n: n["id"]),
            "edges": [{"source": s, "target": t} for s, t in sorted(edges) if s in nodes]}
