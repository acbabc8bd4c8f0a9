"""Networks: connected components of the linked account graph (igraph), large components
split into Leiden communities, each summarised with its evidence and ranked.

Why components first: a network is defined by shared identifiers (DESIGN.md), and sharing
is transitive: if A and B share a phone and B and C share a wallet, one operator is likely
behind all three. Rarity weighting has already kept hubs from joining unrelated accounts,
so a component is the network. Only a component larger than ``rules.split_above`` — which
in practice means two operators joined through a broker's number — is split with Leiden
(igraph's built-in, measured ~10x faster than leidenalg, PACKAGES.md), and only when the
split is clear (modularity >= ``rules.split_modularity``).
"""
from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from datetime import datetime, timezone

import igraph
import numpy as np

from marsad.link.corpus import Corpus
from marsad.link.graph import Linkage, coherent_edges
from marsad.link.rules import LinkRules

# Order in which shared identifiers are listed: what an analyst acts on first.
_KIND_ORDER = {"phone": 0, "handle": 1, "wallet": 2, "url": 3, "pdq": 4, "public_url": 5, "text": 6}
EVIDENCE_POSTS = 3


def account_graph(linkage: Linkage) -> igraph.Graph:
    """Accounts as vertices, linked pairs as edges weighted by their score."""
    g = igraph.Graph(n=linkage.n_accounts, edges=np.column_stack((linkage.src, linkage.dst)).tolist())
    g.es["weight"] = linkage.score.tolist()
    return g


def communities(linkage: Linkage, rules: LinkRules, graph: igraph.Graph | None = None,
                harmful: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(community, component)`` label of every account; ``harmful`` marks accounts whose
    posts are harmful (for ``graph.coherent_edges``)."""
    g = graph or account_graph(linkage)
    component = np.array(g.connected_components().membership, dtype=np.int64)
    if len(component) and coherent_edges(linkage, component, rules, harmful):
        g = account_graph(linkage)
        component = np.array(g.connected_components().membership, dtype=np.int64)
    community = component.copy()
    if not len(component):
        return community, component
    sizes = np.bincount(component)
    fresh = int(component.max()) + 1
    for c in np.flatnonzero(sizes > rules.split_above):
        nodes = np.flatnonzero(component == c)
        parts = _leiden(g.subgraph(nodes.tolist()), rules.split_modularity)
        if parts is None:
            continue
        for part in parts:
            community[nodes[part]] = fresh
            fresh += 1
    return community, component


def _leiden(sub: igraph.Graph, min_modularity: float) -> list[list[int]] | None:
    """Leiden (modularity, weighted) with a fixed seed; None when the split is not clear."""
    previous = random.getstate()
    try:
        igraph.set_random_number_generator(random.Random(0))
        part = sub.community_leiden(objective_function="modularity", weights="weight", n_iterations=-1)
    finally:
        igraph.set_random_number_generator(random)
        random.setstate(previous)
    if len(part) < 2 or sub.modularity(part.membership, weights="weight") < min_modularity:
        return None
    return [list(p) for p in part]



def _iso(t: float) -> str | None:
    if not math.isfinite(t):
        return None
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def network_evidence(corpus: Corpus, linkage: Linkage, community: np.ndarray
                     ) -> dict[int, list[dict]]:
    """Per community: each identifier that at least two of its accounts carry, with those
    accounts and a few posts that show it (the evidence path behind the network)."""
    mask = linkage.linking()
    acc, ident = linkage.acc[mask], linkage.ident[mask]
    if not len(acc):
        return {}
    comm = community[acc]
    n_ident = max(len(linkage.df), 1)
    key = comm * n_ident + ident
    order = np.argsort(key, kind="stable")
    key, acc, ident, comm = key[order], acc[order], ident[order], comm[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    sizes = np.diff(np.append(starts, len(key)))
    examples = _example_posts(corpus, linkage, set(zip(acc.tolist(), ident.tolist())))
    out: dict[int, list[dict]] = {}
    kinds, values = corpus.idents.kinds, corpus.idents.values
    for s, n in zip(starts.tolist(), sizes.tolist()):
        if n < 2:
            continue
        i = int(ident[s])
        members = acc[s:s + n].tolist()
        posts = [p for a in members for p in examples.get((a, i), ())][:EVIDENCE_POSTS * 2]
        out.setdefault(int(comm[s]), []).append({
            "kind": kinds[i], "value": values[i],
            "accounts": sorted(corpus.accounts[a].author_id for a in members),
            "carried_by": int(linkage.df[i]), "weight": round(float(linkage.weight[i]), 3),
            "posts": posts})
    for items in out.values():
        items.sort(key=lambda e: (_KIND_ORDER.get(e["kind"], 9), -len(e["accounts"]), e["value"]))
    return out


def _example_posts(corpus: Corpus, linkage: Linkage, wanted: set[tuple[int, int]]) -> dict:
    acc, ident, post, _ = corpus.arrays()
    out: dict[tuple[int, int], list[str]] = {}
    if not len(acc):
        return out
    hit = np.isin(ident, np.fromiter({i for _, i in wanted}, dtype=np.int64))
    for a, i, p in zip(acc[hit].tolist(), ident[hit].tolist(), post[hit].tolist()):
        if p >= 0 and (a, i) in wanted:
            lst = out.setdefault((a, i), [])
            if len(lst) < EVIDENCE_POSTS:
                key = corpus.post_keys[p]
                if key not in lst:
                    lst.append(key)
    return out


def summarise(corpus: Corpus, members: list[int], evidence: list[dict], now: float) -> dict:
    """The contract keys of one network plus the richer ones (see DESIGN.md)."""
    accs = [corpus.accounts[a] for a in members]
    labels: Counter = Counter()
    routes: Counter = Counter()
    prices: dict[str, list] = {}
    first, last = math.inf, -math.inf
    for acc in accs:
        labels.update(acc.labels or {})
        routes.update(acc.routes or {})
        first, last = min(first, acc.first), max(last, acc.last)
        for cur, (lo, hi, n) in (acc.prices or {}).items():
            p = prices.setdefault(cur, [lo, hi, 0])
            p[0], p[1], p[2] = min(p[0], lo), max(p[1], hi), p[2] + n
    posts = sum(a.posts for a in accs)
    labelled = sum(labels.values())
    harmful = labelled - labels.get("benign", 0)
    platforms = sorted({a.platform for a in accs})
    shared = [e["value"] for e in evidence if e["kind"] != "text"]
    risk = 1.0
    for a in accs:
        risk *= 1.0 - a.harm
    net = {
        "accounts": sorted({a.author_id for a in accs}),
        "shared": list(dict.fromkeys(shared)),
        "platforms": platforms,
        "posts": posts,
        "labels": dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "first_seen": _iso(first), "last_seen": _iso(last),
        "routes": [{"from": f, "to": t, "posts": n} for (f, t), n in routes.most_common(10)],
        "prices": [{"currency": c, "min": lo, "max": hi, "posts": n}
                   for c, (lo, hi, n) in sorted(prices.items(), key=lambda kv: -kv[1][2])],
        "harmful_share": round(harmful / labelled, 3) if labelled else None,
        "risk": round(1.0 - risk, 4),
        "members": [{"platform": a.platform, "author_id": a.author_id, "handle": a.handle,
                     "category": a.category, "posts": a.posts} for a in accs],
        "evidence": evidence,
        "key": "n" + hashlib.sha256("\n".join(sorted(a.key for a in accs)).encode()).hexdigest()[:12],
    }
    net["score"] = round(rank_score(net, last, now), 4)
    return net


def rank_score(net: dict, last: float, now: float) -> float:
    """Size x harm x spread x activity, so a large, harmful, cross-platform, recently active
    network comes first and a benign agency's three pages come last:

    * harm: 0.1 + 0.9 x share of its posts flagged harmful (a benign network still ranks)
    * size: log2(1 + accounts); spread: 1 + 0.5 per platform beyond the first
    * activity: log2(2 + posts) x recency, recency going from 1 (active at the time of the
      newest post in the data, so an old export ranks the same whenever it is run) towards
      0.5, halfway there a year before: a dormant network still outranks a benign one
    """
    harm = 0.1 + 0.9 * (net["harmful_share"] or 0.0)
    size = math.log2(1 + len(net["members"]))
    spread = 1 + 0.5 * (len(net["platforms"]) - 1)
    activity = math.log2(2 + net["posts"])
    if math.isfinite(last) and math.isfinite(now):
        activity *= 0.5 + 0.5 * 0.5 ** (max(0.0, now - last) / (365 * 86400))
    return harm * size * spread * activity


def build_networks(corpus: Corpus, linkage: Linkage, community: np.ndarray, component: np.ndarray,
                   index: dict[int, dict] | None = None) -> list[dict]:
    """Networks (two or more accounts), best-ranked first, ids ``net-1``, ``net-2``...;
    ``index`` (when given) is filled with community label -> network."""
    if not len(community):
        return []
    sizes = np.bincount(community)
    comp_sizes = np.bincount(component)
    groups: dict[int, list[int]] = {}
    for a in np.flatnonzero(sizes[community] >= 2).tolist():
        groups.setdefault(int(community[a]), []).append(a)
    evidence = network_evidence(corpus, linkage, community)
    now = max((a.last for a in corpus.accounts), default=-math.inf)
    nets = []
    for label, members in groups.items():
        net = summarise(corpus, members, evidence.get(label, []), now)
        if comp_sizes[component[members[0]]] > len(members):
            net["component"] = f"c{int(component[members[0]])}"
        nets.append(net)
        if index is not None:
            index[label] = net
    nets.sort(key=lambda n: (-n["score"], -len(n["accounts"]), n["accounts"]))
    for rank, net in enumerate(nets, 1):
        net["id"] = f"net-{rank}"
        net["rank"] = rank
    ordered = [_ordered(n) for n in nets]
    if index is not None:
        by_id = {n["id"]: n for n in ordered}
        for label, net in list(index.items()):
            index[label] = by_id[net["id"]]
    return ordered


def _ordered(net: dict) -> dict:
    """Contract keys first, in the contract's order, then the extra ones."""
    head = ("id", "accounts", "shared", "platforms", "posts", "labels")
    return {k: net[k] for k in head} | {k: v for k, v in net.items() if k not in head}
