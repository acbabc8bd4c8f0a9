"""Link: accounts joined into networks through the identifiers they share.

    from marsad.link import link_files, networks_from_store
    result = link_files(["posts.jsonl"])           # classify in memory, then link
    result.as_dict()                               # {"networks": [...]} (DESIGN.md contract)
    networks_from_store(engine)                    # the same from the store

The stage, in order: ``sources`` gathers a ``corpus.Corpus`` (accounts, identifier
sightings, near-duplicate texts and images); ``graph.link`` weighs identifiers by rarity and
links pairs of accounts; ``clusters`` turns the linked graph into ranked networks with their
evidence; ``risk`` scores accounts and finds "more like this"; ``export`` writes GraphML,
GEXF and the web UI's JSON. The rules are data: ``rules.yaml``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from marsad.link.corpus import Corpus
from marsad.link.graph import Linkage, link
from marsad.link.rules import LinkRules, default_rules

__all__ = ["LinkRules", "Networks", "link_corpus", "link_files", "link_posts", "link_store",
           "networks_from_store", "similar"]


@dataclass
class Networks:
    """The result of linking: the networks, and what they were computed from."""

    corpus: Corpus
    linkage: Linkage
    community: np.ndarray
    component: np.ndarray
    networks: list[dict]
    by_community: dict[int, dict] = field(default_factory=dict)
    _risk: list[dict] | None = None

    def hubs(self, limit: int = 50) -> list[dict]:
        """Identifiers carried by too many accounts to link them (``rules.hub_accounts``)."""
        idents = self.corpus.idents
        order = sorted(self.linkage.hubs.tolist(), key=lambda i: -int(self.linkage.df[i]))[:limit]
        return [{"kind": idents.kinds[i], "value": idents.values[i], "accounts": int(self.linkage.df[i])}
                for i in order]

    def account_risk(self) -> list[dict]:
        if self._risk is None:
            from marsad.link.risk import account_risk
            self._risk = account_risk(self.corpus, self.linkage, self.community, self.by_community)
        return self._risk

    def account_index(self, account: str, platform: str | None = None) -> int:
        """Index of an account given as ``author_id`` or ``platform:author_id``."""
        from marsad.errors import NotFound
        if platform is None and ":" in account and account.split(":", 1)[0] in {a.platform for a in self.corpus.accounts}:
            platform, account = account.split(":", 1)
        hits = [i for i, a in enumerate(self.corpus.accounts)
                if a.author_id == account and (platform is None or a.platform == platform)]
        if not hits:
            raise NotFound(f"no account {account!r}" + (f" on {platform}" if platform else ""))
        return hits[0]

    def as_dict(self) -> dict:
        linked = sum(len(n["members"]) for n in self.networks)
        return {"networks": self.networks, "hubs": self.hubs(),
                "summary": {"accounts": len(self.corpus.accounts), "linked_accounts": linked,
                            "networks": len(self.networks), "identifiers": len(self.corpus.idents),
                            "edges": int(len(self.linkage.src)), "hubs": int(len(self.linkage.hubs))}}


def link_corpus(corpus: Corpus) -> Networks:
    """Link a gathered corpus into ranked networks."""
    from marsad.link.clusters import account_graph, build_networks, communities

    acc, ident, _, kinds = corpus.finish().arrays()
    linkage = link(acc, ident, kinds, len(corpus.accounts), corpus.rules)
    graph = account_graph(linkage)
    harmful = np.array([a.harm >= corpus.rules.harmful_risk for a in corpus.accounts], dtype=bool)
    community, component = communities(linkage, corpus.rules, graph, harmful)
    index: dict[int, dict] = {}
    nets = build_networks(corpus, linkage, community, component, index)
    return Networks(corpus, linkage, community, component, nets, index)


def link_posts(posts, rules: LinkRules | None = None, detector=None) -> Networks:
    """Classify ``Post`` objects in memory and link them."""
    from marsad.link.sources import corpus_from_posts
    return link_corpus(corpus_from_posts(posts, rules, detector))


def link_files(paths: Sequence, rules: LinkRules | None = None, detector=None, fmt: str = "auto",
               on_bad=None) -> Networks:
    """``marsad networks IN.jsonl``: read, classify in memory, link."""
    from marsad.link.sources import corpus_from_files
    return link_corpus(corpus_from_files(paths, rules, detector, fmt, on_bad))


def link_store(engine, rules: LinkRules | None = None) -> Networks:
    """Link everything in the store (posts, findings, identifier rows, image hashes)."""
    from marsad.link.sources import corpus_from_store
    return link_corpus(corpus_from_store(engine, rules))


def networks_from_store(engine) -> dict:
    """``{"networks": [...]}`` for the API and web UI (``marsad.api.networks`` calls this)."""
    return link_store(engine).as_dict()


def similar(result: Networks, account: str, limit: int = 20) -> list[dict]:
    """"More like this": accounts ranked by how linked and alike they are to ``account``."""
    from marsad.link.risk import similar_accounts
    return similar_accounts(result.corpus, result.linkage, result.community,
                            result.account_index(account), limit)
