"""The account–identifier graph: who carries which identifier, how rare each identifier
is, and which pairs of accounts share enough to be linked.

Everything here works on integer arrays (account ids, identifier ids) so the same code links
a thousand posts or a million: the cost is a sort of the (account, identifier) sightings
plus the pairs of accounts that share a non-hub identifier, and the hub cap
(``rules.hub_accounts``) bounds that at ``hub_accounts²/2`` pairs per identifier.

Scoring (``rules.yaml`` explains it for analysts): a pair's score is the sum, over the
identifiers both accounts carry, of ``weight(kind) x rarity(k)``; clue kinds whose copies
should not add up (near-duplicate text) contribute their best single value instead. A pair
scoring at least 1 is an edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from marsad.link.rules import KINDS, LinkRules

KIND_CODE = {k: i for i, k in enumerate(KINDS)}
MAX_KINDS = ("text",)          # kinds whose clues count once per pair, not once per copy
_PAIR_CHUNK = 4_000_000        # pairs materialised at once


@dataclass
class Identifiers:
    """Interning table: (kind, value) <-> dense integer id."""

    kinds: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    index: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, kind: str, value: str) -> int:
        key = (kind, value)
        i = self.index.get(key)
        if i is None:
            i = self.index[key] = len(self.kinds)
            self.kinds.append(kind)
            self.values.append(value)
        return i

    def kind_codes(self) -> np.ndarray:
        return np.array([KIND_CODE[k] for k in self.kinds], dtype=np.int8)

    def __len__(self) -> int:
        return len(self.kinds)


@dataclass
class Linkage:
    """The linked graph. ``acc``/``ident`` are the unique sightings (sorted by identifier);
    ``df`` and ``weight`` are per identifier; ``src``/``dst``/``score`` the account edges."""

    n_accounts: int
    acc: np.ndarray
    ident: np.ndarray
    df: np.ndarray
    weight: np.ndarray
    hubs: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    score: np.ndarray
    kinds: np.ndarray | None = None
    candidate_pairs: int = 0
    coherent: np.ndarray | None = None     # identifiers promoted by ``coherent_edges``

    def linking(self) -> np.ndarray:
        """Mask over the sightings whose identifier counts as evidence (shared, not a hub)."""
        return self.weight[self.ident] > 0


def identifier_weights(df: np.ndarray, kinds: np.ndarray, rules: LinkRules) -> np.ndarray:
    """``weight(kind) x rarity(k)`` per identifier (vectorised ``LinkRules.rarity``)."""
    kind_w = np.array([rules.weight(k) for k in KINDS])[kinds]
    k = df.astype(np.float64)
    rare = float(rules.rare_accounts)
    with np.errstate(divide="ignore", invalid="ignore"):
        rarity = np.where(k <= rare, 1.0, np.log(rare) / np.log(np.maximum(k, 2.0)))
    rarity[(df < 2) | (df > rules.hub_accounts)] = 0.0
    return kind_w * rarity


def link(acc: np.ndarray, ident: np.ndarray, kinds: np.ndarray, n_accounts: int,
         rules: LinkRules) -> Linkage:
    """Link accounts from sightings ``(acc[i], ident[i])``; ``kinds[j]`` is identifier ``j``'s
    kind code (``KIND_CODE``). Duplicated sightings (an account repeating its number in
    every post) count once."""
    n_ident = len(kinds)
    acc = np.asarray(acc, dtype=np.int64)
    ident = np.asarray(ident, dtype=np.int64)
    if len(acc):
        key = np.unique(ident * max(n_accounts, 1) + acc)        # sorted by identifier, then account
        ident_u, acc_u = np.divmod(key, max(n_accounts, 1))
    else:
        ident_u = acc_u = np.zeros(0, dtype=np.int64)
    df = np.bincount(ident_u, minlength=n_ident)
    weight = identifier_weights(df, kinds, rules) if n_ident else np.zeros(0)
    hubs = np.flatnonzero(df > rules.hub_accounts)
    max_codes = [KIND_CODE[k] for k in MAX_KINDS]
    is_max = np.isin(kinds, max_codes) if n_ident else np.zeros(0, dtype=bool)

    sums, maxes = _Accumulator(np.add), _Accumulator(np.maximum)
    counted = 0
    live = weight[ident_u] > 0
    g_ident, g_acc = ident_u[live], acc_u[live]
    if len(g_ident):
        starts = np.flatnonzero(np.concatenate(([True], g_ident[1:] != g_ident[:-1])))
        sizes = np.diff(np.append(starts, len(g_ident)))
        for s in np.unique(sizes):
            if s < 2:
                continue
            iu, ju = np.triu_indices(int(s), 1)
            group_starts = starts[sizes == s]
            step = max(1, _PAIR_CHUNK // len(iu))
            for lo in range(0, len(group_starts), step):
                gs = group_starts[lo:lo + step]
                members = g_acc[gs[:, None] + np.arange(s)]
                a, b = members[:, iu].ravel(), members[:, ju].ravel()
                ids = np.repeat(g_ident[gs], len(iu))
                w = weight[ids]
                keys = a * n_accounts + b
                m = is_max[ids]
                sums.add(keys[~m], w[~m])
                maxes.add(keys[m], w[m])
                counted += len(keys)
    k1, w1 = sums.result()
    k2, w2 = maxes.result()
    keys = np.concatenate((k1, k2))
    scores = np.concatenate((w1, w2))
    if len(keys):
        keys, inv = np.unique(keys, return_inverse=True)
        scores = np.bincount(inv, weights=scores)
    edge = scores >= 1.0 - 1e-9
    src, dst = np.divmod(keys[edge], max(n_accounts, 1))
    return Linkage(n_accounts, acc_u, ident_u, df, weight, hubs, src, dst, scores[edge], kinds, counted)


def coherent_edges(linkage: Linkage, component: np.ndarray, rules: LinkRules,
                   harmful: np.ndarray | None = None) -> int:
    """Second pass for identifiers too common to link by themselves (``rare_accounts`` < k
    <= ``hub_accounts``). Such an identifier is taken as one network's own when

    * most of its carriers are one network already (at least ``coherent_share`` of them and
      ``coherent_min`` accounts): its other carriers join that network; or
    * nearly all its carriers post harmful content (``harmful[account]``, at least
      ``harmful_share`` of them): all its carriers are linked. An operator's number on 36
      ad pages qualifies; a hotline or a scam warning quoting the number, posted by NGOs
      and news pages, does not.

    A hotline's carriers are strangers scattered over many components and mostly benign,
    so it stays a weak clue. Links to public pages and clue kinds that never link alone
    (near-duplicate text) are never promoted. Adds the edges to ``linkage``; returns how many."""
    if not len(linkage.acc) or linkage.kinds is None:
        return 0
    w = linkage.weight
    never = np.isin(linkage.kinds, [KIND_CODE[k] for k in MAX_KINDS + ("public_url",)])
    weak = (w > 0) & (w < 1.0 - 1e-9) & ~never & (linkage.df > rules.rare_accounts)
    sel = weak[linkage.ident]
    if not sel.any():
        return 0
    ident, acc = linkage.ident[sel], linkage.acc[sel]
    comp = component[acc]
    n_comp = int(component.max()) + 1
    key = ident * n_comp + comp
    uk, counts = np.unique(key, return_counts=True)
    k_ident, k_comp = np.divmod(uk, n_comp)
    order = np.lexsort((-counts, k_ident))           # per identifier, its biggest component first
    k_ident, k_comp, counts = k_ident[order], k_comp[order], counts[order]
    first = np.concatenate(([True], k_ident[1:] != k_ident[:-1]))
    best_ident, best_comp, best_n = k_ident[first], k_comp[first], counts[first]
    ok = (best_n >= rules.coherent_min) & (best_n >= rules.coherent_share * linkage.df[best_ident])
    target = dict(zip(best_ident[ok].tolist(), best_comp[ok].tolist()))
    if harmful is not None:
        bad = np.bincount(ident, weights=harmful[acc].astype(np.float64), minlength=len(w))
        by_harm = np.flatnonzero(weak & (bad >= rules.harmful_share * linkage.df) & (linkage.df >= rules.coherent_min))
        for i in by_harm.tolist():
            target.setdefault(i, None)
    if not target:
        return 0
    anchor: dict = {}
    for i, a, c in zip(ident.tolist(), acc.tolist(), comp.tolist()):
        t = target.get(i, -1)
        if t is None:
            anchor.setdefault(("i", i), a)            # harmful-coherent: star around one carrier
        elif t == c:
            anchor.setdefault(("c", c), a)            # one member of the target network
    src, dst, score = [], [], []
    for i, a, c in zip(ident.tolist(), acc.tolist(), comp.tolist()):
        t = target.get(i, -1)
        if t == -1 or t == c:
            continue
        hub = anchor[("i", i)] if t is None else anchor[("c", t)]
        if hub != a:
            src.append(hub)
            dst.append(a)
            score.append(float(w[i]))
    if src:
        linkage.src = np.concatenate((linkage.src, np.array(src, dtype=np.int64)))
        linkage.dst = np.concatenate((linkage.dst, np.array(dst, dtype=np.int64)))
        linkage.score = np.concatenate((linkage.score, np.array(score)))
    linkage.coherent = np.array(sorted(target), dtype=np.int64)
    return len(src)


class _Accumulator:
    """(key, value) pairs reduced by key with ``op`` (sum or max), reduced again whenever the
    buffer grows, so memory follows the number of distinct pairs, not of sightings."""

    def __init__(self, op):
        self.op, self.keys, self.vals, self.pending = op, [], [], 0

    def add(self, keys: np.ndarray, vals: np.ndarray) -> None:
        if len(keys):
            self.keys.append(keys)
            self.vals.append(vals)
            self.pending += len(keys)
            if self.pending > 2 * _PAIR_CHUNK:
                self._reduce()

    def _reduce(self) -> None:
        keys, vals = np.concatenate(self.keys), np.concatenate(self.vals)
        uk, inv = np.unique(keys, return_inverse=True)
        if self.op is np.add:
            out = np.bincount(inv, weights=vals)
        else:
            out = np.full(len(uk), -np.inf)
            np.maximum.at(out, inv, vals)
        self.keys, self.vals, self.pending = [uk], [out], len(uk)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.keys:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        self._reduce()
        return self.keys[0], self.vals[0]
