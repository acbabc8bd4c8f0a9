"""Account risk, and "more like this".

An account's risk combines four things an analyst would look at, each in [0, 1]:

* ``posts``: noisy-or of its harmful posts' risks (two 0.6 ads make 0.84);
* ``category``: its declared page category is one smuggling and forgery pages hide behind
  ("travel agency", "visa services": ``rules.yaml`` ``risky_categories``);
* ``identifiers``: it shares a (non-hub) identifier with another account's harmful posts
  — the best such account's post risk, scaled by how rare the identifier is;
* ``network``: the risk of the network it belongs to.

``risk = 1 - (1 - posts)(1 - 0.3 category)(1 - 0.7 identifiers)(1 - 0.5 network)``: posts
decide, a risky category alone never exceeds 0.3, and links raise a quiet account that
fronts for a harmful one. The factors are in ``RISK_WEIGHTS``.

"More like this" (``similar_accounts``) ranks other accounts by how *linked* they are to a
confirmed one (shared identifiers by weight, same network) and how *alike* (the same ad
templates by MinHash over the texts kept for linking, i.e. its harmful posts; the same
places, routes, currencies and harm labels).
"""
from __future__ import annotations

import numpy as np

from marsad.link.corpus import Corpus
from marsad.link.graph import Linkage
from marsad.link.rules import LinkRules

RISK_WEIGHTS = {"category": 0.3, "identifiers": 0.7, "network": 0.5}
LINKED_WEIGHT, ALIKE_WEIGHT = 0.6, 0.4


def risky_category(category: str | None, rules: LinkRules) -> bool:
    c = (category or "").lower()
    return bool(c) and any(word in c for word in rules.risky_categories)


def identifier_risk(corpus: Corpus, linkage: Linkage) -> np.ndarray:
    """Per account: the highest harm of *another* account that shares a linking identifier
    with it, times that identifier's weight (capped at 1)."""
    n = linkage.n_accounts
    out = np.zeros(n)
    mask = linkage.linking()
    acc, ident = linkage.acc[mask], linkage.ident[mask]
    if not len(acc):
        return out
    harm = np.array([a.harm for a in corpus.accounts] + [0.0] * (n - len(corpus.accounts)))
    h = harm[acc]
    # Best and second-best harm per identifier, so an account never counts its own posts.
    n_ident = len(linkage.df)
    best = np.zeros(n_ident)
    np.maximum.at(best, ident, h)
    is_best = h >= best[ident]
    first_best = np.full(n_ident, -1)
    np.maximum.at(first_best, ident[is_best], acc[is_best])   # one holder of the best
    holder = first_best[ident] == acc
    second = np.zeros(n_ident)
    np.maximum.at(second, ident[~holder], h[~holder])
    other = np.where(holder, second[ident], best[ident])
    np.maximum.at(out, acc, other * np.minimum(linkage.weight[ident], 1.0))
    return out


def account_risk(corpus: Corpus, linkage: Linkage, community: np.ndarray, by_community: dict[int, dict]
                 ) -> list[dict]:
    """Risk and its parts for every account, in ``corpus.accounts`` order; ``by_community``
    maps community labels to their network (``clusters.build_networks``)."""
    ident = identifier_risk(corpus, linkage)
    out = []
    for i, acc in enumerate(corpus.accounts):
        net = by_community.get(int(community[i]))
        parts = {"posts": round(acc.harm, 4),
                 "category": 1.0 if risky_category(acc.category, corpus.rules) else 0.0,
                 "identifiers": round(float(ident[i]), 4),
                 "network": net["risk"] if net else 0.0}
        keep = 1.0 - parts["posts"]
        for name, w in RISK_WEIGHTS.items():
            keep *= 1.0 - w * parts[name]
        out.append({"platform": acc.platform, "author_id": acc.author_id, "risk": round(1.0 - keep, 4),
                    "network": net["id"] if net else None, "parts": parts})
    return out


def account_signatures(corpus: Corpus) -> tuple[np.ndarray, np.ndarray]:
    """Per account: the element-wise minimum of its posts' MinHash signatures (the MinHash
    of all its texts together) and whether it has any."""
    from marsad.link.neardup import NUM_PERM
    n = len(corpus.accounts)
    sig = np.full((n, NUM_PERM), np.iinfo(np.uint32).max, dtype=np.uint32)
    has = np.zeros(n, dtype=bool)
    texts, accs = corpus.text_signatures()
    if len(accs):
        np.minimum.at(sig, accs, texts)
        has[accs] = True
    return sig, has


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _profile(acc) -> dict:
    return {"places": set(acc.places or ()), "routes": set(acc.routes or ()),
            "currencies": set(acc.prices or ()), "harms": {k for k in acc.labels or () if k != "benign"}}


def similar_accounts(corpus: Corpus, linkage: Linkage, community: np.ndarray, target: int,
                     limit: int = 20) -> list[dict]:
    """Other accounts ranked by ``0.6 linked + 0.4 alike`` to account index ``target``."""
    n = len(corpus.accounts)
    linked = np.zeros(n)
    mask = linkage.linking()
    acc, ident = linkage.acc[mask], linkage.ident[mask]
    mine = np.unique(ident[acc == target])
    shared: dict[int, list[str]] = {}
    if len(mine):
        hit = np.isin(ident, mine) & (acc != target)
        np.add.at(linked, acc[hit], linkage.weight[ident[hit]])
        for a, i in zip(acc[hit].tolist(), ident[hit].tolist()):
            shared.setdefault(a, []).append(corpus.idents.values[i])
    same_net = (community[:n] == community[target])
    same_net[target] = False
    linked = np.maximum(np.minimum(linked, 1.0), np.where(same_net, 0.5, 0.0))
    sig, has = account_signatures(corpus)
    text = np.zeros(n)
    if has[target]:
        text = np.where(has, (sig == sig[target]).mean(axis=1), 0.0)
    me = _profile(corpus.accounts[target])
    rows = []
    candidates = np.flatnonzero((linked > 0) | (text > 0.2))
    if len(candidates) < limit * 5:      # few linked or alike by text: compare profiles widely
        candidates = np.arange(n)
    for a in candidates.tolist():
        if a == target:
            continue
        other = _profile(corpus.accounts[a])
        alike_parts = {"text": float(text[a]),
                       "places": _jaccard(me["places"], other["places"]),
                       "routes": _jaccard(me["routes"], other["routes"]),
                       "currencies": _jaccard(me["currencies"], other["currencies"]),
                       "harms": _jaccard(me["harms"], other["harms"])}
        alike = (0.4 * alike_parts["text"] + 0.2 * alike_parts["places"] + 0.15 * alike_parts["routes"]
                 + 0.1 * alike_parts["currencies"] + 0.15 * alike_parts["harms"])
        score = LINKED_WEIGHT * linked[a] + ALIKE_WEIGHT * alike
        if score <= 0:
            continue
        acc_a = corpus.accounts[a]
        rows.append({"platform": acc_a.platform, "author_id": acc_a.author_id, "handle": acc_a.handle,
                     "score": round(score, 4), "linked": round(float(linked[a]), 4), "alike": round(alike, 4),
                     "same_network": bool(same_net[a]), "shared": sorted(set(shared.get(a, ()))),
                     "alike_parts": {k: round(v, 3) for k, v in alike_parts.items()}})
    rows.sort(key=lambda r: (-r["score"], r["platform"], r["author_id"]))
    return rows[:limit]


def save_account_risk(engine, rows: list[dict]) -> int:
    """Write each account's risk into ``accounts.risk`` (the review queue orders by it)."""
    from sqlalchemy import bindparam, update

    from marsad.store.schema import accounts

    stmt = (update(accounts)
            .where(accounts.c.platform == bindparam("p"), accounts.c.author_id == bindparam("a"))
            .values(risk=bindparam("r")))
    params = [{"p": r["platform"], "a": r["author_id"], "r": r["risk"]} for r in rows]
    with engine.begin() as conn:
        for i in range(0, len(params), 5000):
            conn.execute(stmt, params[i:i + 5000])
    return len(params)
