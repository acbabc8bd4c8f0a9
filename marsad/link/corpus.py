"""What linking needs from posts, gathered once: accounts, identifier sightings, per-account
activity, and near-duplicate texts. Filled from classified posts in memory
(``Corpus.add_post``) or from the store (``marsad.link.store``), then ``finish``-ed.

Why per-account aggregates instead of keeping posts: a network summary needs counts, time
span, routes and prices per account, and keeping those (not a million post objects) is what
keeps memory flat in the number of posts. Texts are turned into MinHash signatures in
batches as they arrive (256 bytes a post) and only for posts that may link by text.
"""
from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from marsad.link import neardup
from marsad.link.graph import Identifiers, KIND_CODE
from marsad.link.rules import LinkRules, default_rules, entity_identifiers

CONTACT_KINDS = ("phone", "handle", "wallet", "url", "public_url")
_HANDLE = re.compile(r"^@?([a-z0-9_][a-z0-9_.]{1,31})$")
_NUMBER = re.compile(r"^\+\d[\d \-().]{6,20}$")


@dataclass(slots=True)
class Account:
    """One account (platform, author_id) and what its posts add up to. The containers stay
    None until a post fills them: most accounts post once, and 200,000 accounts must fit."""

    platform: str
    author_id: str
    handle: str | None = None
    category: str | None = None
    posts: int = 0
    labels: Counter | None = None
    first: float = math.inf            # epoch seconds of the earliest dated post
    last: float = -math.inf
    routes: Counter | None = None      # (from, to) -> posts
    prices: dict | None = None         # currency -> [min, max, posts]
    places: Counter | None = None
    harm: float = 0.0                  # noisy-or of its harmful posts' risks
    top_risk: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.author_id}"

    def add(self, label: str | None, risk: float | None, when: float | None, routes=(), prices=(), places=()) -> None:
        self.posts += 1
        if label:
            if self.labels is None:
                self.labels = Counter()
            self.labels[label] += 1
            if label != "benign" and risk:
                self.harm = 1.0 - (1.0 - self.harm) * (1.0 - min(float(risk), 0.99))
                self.top_risk = max(self.top_risk, float(risk))
        if when is not None:
            self.first, self.last = min(self.first, when), max(self.last, when)
        for r in routes or ():
            if r.get("from") or r.get("to"):
                if self.routes is None:
                    self.routes = Counter()
                self.routes[(r.get("from"), r.get("to"))] += 1
        for p in prices or ():
            amount, cur = p.get("amount"), p.get("currency")
            if isinstance(amount, (int, float)) and cur:
                if self.prices is None:
                    self.prices = {}
                lo_hi = self.prices.setdefault(cur, [amount, amount, 0])
                lo_hi[0], lo_hi[1], lo_hi[2] = min(lo_hi[0], amount), max(lo_hi[1], amount), lo_hi[2] + 1
        if places:
            if self.places is None:
                self.places = Counter()
            self.places.update(places)


def epoch(value) -> float | None:
    """ISO-8601 text or datetime -> epoch seconds (naive = UTC); None when unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    return None


class Corpus:
    """Accounts, identifiers and sightings, ready for ``graph.link``."""

    def __init__(self, rules: LinkRules | None = None):
        self.rules = rules or default_rules()
        self.accounts: list[Account] = []
        self.account_index: dict[tuple[str, str], int] = {}
        self.idents = Identifiers()
        self.s_acc, self.s_ident, self.s_post = array("i"), array("i"), array("i")
        self.post_keys: list[str] = []          # posts that carry an identifier or linkable text
        self.post_acc = array("i")              # their accounts
        self._texts: list[str] = []
        self._text_posts: list[int] = []        # post_keys index of each pending text
        self._sigs: list[np.ndarray] = []
        self._sig_posts = array("i")
        self._pdq: list[tuple[str, str, int | None]] = []
        self.pdq_pairs: list[tuple[str, str, str]] | None = None
        self.text_pairs: list[tuple[str, str, float]] = []
        self.finished = False

    # ---- filling -----------------------------------------------------------------------
    def account(self, platform: str, author_id: str, handle: str | None = None,
                category: str | None = None) -> int:
        key = (platform, author_id)
        i = self.account_index.get(key)
        if i is None:
            i = self.account_index[key] = len(self.accounts)
            self.accounts.append(Account(platform, author_id, handle, category))
        else:
            acc = self.accounts[i]
            acc.handle = acc.handle or handle
            acc.category = acc.category or category
        return i

    def add_post(self, platform: str, post_id: str, author_id: str | None, *, handle: str | None = None,
                 category: str | None = None, created_at=None, label: str | None = None,
                 risk: float | None = None, entities: dict | None = None, routes=(), text: str = "",
                 identifiers: list[tuple[str, str]] | None = None, media: tuple = ()) -> None:
        """One classified post. ``identifiers`` (kind, value) may be given directly (the store's
        rows); otherwise they come from ``entities`` under the identifier policy."""
        if not author_id:
            return
        a = self.account(platform, author_id, handle, category)
        entities = entities or {}
        self.accounts[a].add(label, risk, epoch(created_at), routes, entities.get("prices"), entities.get("places"))
        idents = identifiers if identifiers is not None else entity_identifiers(entities, self.rules)
        # Text links only between posts flagged harmful (rules.yaml): benign copies are news.
        use_text = bool(text) and (not self.rules.text_harmful_only or (label is not None and label != "benign"))
        post = -1
        if idents or use_text:
            post = len(self.post_keys)
            self.post_keys.append(f"{platform}:{post_id}")
            self.post_acc.append(a)
        for kind, value in idents:
            self.s_acc.append(a)
            self.s_ident.append(self.idents.add(kind, value))
            self.s_post.append(post)
        if use_text:
            self._texts.append(text)
            self._text_posts.append(post)
            if len(self._texts) >= 2048:
                self._flush_texts()
        for item in media:
            pdq, quality = item
            self._pdq.append((f"{platform}:{author_id}", pdq, quality))

    def _flush_texts(self) -> None:
        if self._texts:
            sig, ok = neardup.signatures(self._texts)
            self._sigs.append(sig[ok])
            self._sig_posts.extend(p for p, good in zip(self._text_posts, ok) if good)
            self._texts, self._text_posts = [], []

    def add_pdq_pairs(self, pairs: list[tuple[str, str, str]]) -> None:
        """Image near-duplicates as ``(account, account, cluster_pdq)`` (``detect.media``)."""
        self.pdq_pairs = (self.pdq_pairs or []) + list(pairs)

    # ---- finishing ---------------------------------------------------------------------
    def finish(self) -> "Corpus":
        """Add the derived identifiers: own handles, image clusters and text clusters."""
        if self.finished:
            return self
        self.finished = True
        if self.rules.own_handles:
            self._add_own_handles()
        self._add_own_numbers()
        if self._pdq:
            from marsad.detect.media import near_duplicate_pairs
            self.add_pdq_pairs(near_duplicate_pairs(self._pdq))
        for x, y, name in self.pdq_pairs or ():
            ident = self.idents.add("pdq", name)
            for key in (x, y):
                plat, _, author = key.partition(":")
                a = self.account_index.get((plat, author))
                if a is None:
                    a = self.account(plat, author)
                self.s_acc.append(a)
                self.s_ident.append(ident)
                self.s_post.append(-1)
        self._flush_texts()
        self._add_text_clusters()
        return self

    def _add_own_handles(self) -> None:
        owners: dict[str, list[int]] = {}
        for i, acc in enumerate(self.accounts):
            m = _HANDLE.match((acc.handle or "").strip().lower())
            if m:
                owners.setdefault("@" + m.group(1), []).append(i)
        mentioned = {v for k, v in zip(self.idents.kinds, self.idents.values) if k == "handle"}
        for handle, accs in owners.items():
            # Several accounts with one handle: a common name, not one operator's identifier.
            if len(accs) == 1 and handle in mentioned:
                self.s_acc.append(accs[0])
                self.s_ident.append(self.idents.add("handle", handle))
                self.s_post.append(-1)

    def _add_own_numbers(self) -> None:
        """A WhatsApp account *is* its phone number: an author id written as an international
        number is that account's phone, so a post elsewhere quoting it links to it."""
        from marsad.detect.entities.phones import valid_international
        for i, acc in enumerate(self.accounts):
            for name in (acc.author_id, acc.handle or ""):
                if _NUMBER.match(name):
                    hit = valid_international(re.sub(r"\D", "", name))
                    if hit:
                        self.s_acc.append(i)
                        self.s_ident.append(self.idents.add("phone", hit[0]))
                        self.s_post.append(-1)
                        break

    def _add_text_clusters(self) -> None:
        if not self._sigs:
            return
        sig = np.concatenate(self._sigs)
        posts = np.frombuffer(self._sig_posts, dtype=np.int32).astype(np.int64)
        self._sigs = [sig]
        pairs = neardup.candidate_pairs(sig, np.ones(len(sig), dtype=bool))
        sim = neardup.similarity(sig, pairs)
        keep = sim >= self.rules.text_threshold
        pairs, sim = pairs[keep], sim[keep]
        if not len(pairs):
            return
        contacts = self._contacts(set(posts[pairs.ravel()].tolist()))
        post_acc = self.post_acc
        accepted = []
        for (i, j), s in zip(pairs.tolist(), sim.tolist()):
            pi, pj = int(posts[i]), int(posts[j])
            if post_acc[pi] == post_acc[pj]:
                continue
            ci, cj = contacts.get(pi, frozenset()), contacts.get(pj, frozenset())
            if self.rules.text_contact_check and ci and cj and not (ci & cj):
                continue     # two sellers, one template: the copies name different contacts
            accepted.append((i, j))
            self.text_pairs.append((self.post_keys[pi], self.post_keys[pj], round(s, 3)))
        if not accepted:
            return
        labels = neardup.clusters(len(sig), accepted)
        members: dict[int, list[int]] = {}
        for i, j in accepted:
            members.setdefault(int(labels[i]), []).extend((i, j))
        for root, items in members.items():
            ident = self.idents.add("text", self.post_keys[int(posts[root])])
            for i in sorted(set(items)):
                p = int(posts[i])
                self.s_acc.append(post_acc[p])
                self.s_ident.append(ident)
                self.s_post.append(p)

    def _contacts(self, wanted: set[int]) -> dict[int, frozenset]:
        """Contact identifiers (phones, handles, wallets, links) of the posts in ``wanted``."""
        kinds = self.idents.kinds
        contacts: dict[int, set] = {}
        for i, p in zip(self.s_ident, self.s_post):
            if p in wanted and kinds[i] in CONTACT_KINDS:
                contacts.setdefault(p, set()).add(i)
        return {p: frozenset(c) for p, c in contacts.items()}

    def text_signatures(self) -> tuple[np.ndarray, np.ndarray]:
        """``(sig, account)``: the MinHash signature of each text kept for linking, and the
        account that posted it."""
        self.finish()
        if not self._sigs:
            return np.zeros((0, neardup.NUM_PERM), dtype=np.uint32), np.zeros(0, dtype=np.int64)
        posts = np.frombuffer(self._sig_posts, dtype=np.int32)
        return self._sigs[0], np.frombuffer(self.post_acc, dtype=np.int32)[posts].astype(np.int64)

    # ---- arrays for graph.link ---------------------------------------------------------
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(acc, ident, post, kinds)`` columns of the sightings and identifier kinds."""
        self.finish()
        return (np.frombuffer(self.s_acc, dtype=np.int32) if len(self.s_acc) else np.zeros(0, np.int32),
                np.frombuffer(self.s_ident, dtype=np.int32) if len(self.s_ident) else np.zeros(0, np.int32),
                np.frombuffer(self.s_post, dtype=np.int32) if len(self.s_post) else np.zeros(0, np.int32),
                self.idents.kind_codes() if len(self.idents) else np.zeros(0, np.int8))


__all__ = ["Account", "Corpus", "CONTACT_KINDS", "KIND_CODE", "epoch"]
