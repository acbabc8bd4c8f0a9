"""The linking rules (``rules.yaml``) as one frozen object, and the identifier policy that
turns entity values into linkable identifiers.

Why a policy step: the entity extractor reports what a post says; linking needs one value
per thing. A ``t.me/name`` link is already the handle ``@name`` and a ``wa.me/<digits>``
link is already a phone, so counting the link too would make one shared channel look like
two shared clues. Links to public pages (UN agencies, news, governments) are kept but
weigh less: many unrelated people link to the same UNHCR page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

RULES = Path(__file__).with_name("rules.yaml")
KINDS = ("phone", "handle", "wallet", "url", "public_url", "pdq", "text")


@dataclass(frozen=True)
class LinkRules:
    rare_accounts: int = 10
    hub_accounts: int = 100
    weights: dict = field(default_factory=dict)
    text_threshold: float = 0.7
    text_harmful_only: bool = True
    text_contact_check: bool = True
    split_above: int = 100
    split_modularity: float = 0.3
    own_handles: bool = True
    coherent_share: float = 0.5
    coherent_min: int = 3
    harmful_share: float = 0.75
    harmful_risk: float = 0.5
    public_domains: frozenset = frozenset()
    public_suffixes: frozenset = frozenset()
    risky_categories: tuple = ()

    @classmethod
    def load(cls, path: str | Path = RULES, **overrides) -> "LinkRules":
        """The rules in ``path`` with ``overrides`` (keyword = field) applied."""
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        rules = cls(
            rare_accounts=int(data.get("rare_accounts", 10)), hub_accounts=int(data.get("hub_accounts", 100)),
            weights={k: float(v) for k, v in (data.get("weights") or {}).items()},
            text_threshold=float(data.get("text_threshold", 0.7)),
            text_harmful_only=bool(data.get("text_harmful_only", True)),
            text_contact_check=bool(data.get("text_contact_check", True)),
            split_above=int(data.get("split_above", 100)),
            split_modularity=float(data.get("split_modularity", 0.3)),
            own_handles=bool(data.get("own_handles", True)),
            coherent_share=float(data.get("coherent_share", 0.5)),
            coherent_min=int(data.get("coherent_min", 3)),
            harmful_share=float(data.get("harmful_share", 0.75)),
            harmful_risk=float(data.get("harmful_risk", 0.5)),
            public_domains=frozenset(d.lower() for d in data.get("public_domains") or ()),
            public_suffixes=frozenset(d.lower() for d in data.get("public_suffixes") or ()),
            risky_categories=tuple(c.lower() for c in data.get("risky_categories") or ()))
        weights = overrides.pop("weights", None)
        if weights:
            rules = replace(rules, weights={**rules.weights, **weights})
        return replace(rules, **overrides) if overrides else rules

    def weight(self, kind: str) -> float:
        return self.weights.get(kind, 1.0)

    def rarity(self, k: int) -> float:
        """How much one identifier carried by ``k`` accounts counts (before its kind weight)."""
        if k < 2 or k > self.hub_accounts:
            return 0.0
        if k <= self.rare_accounts:
            return 1.0
        return math.log(self.rare_accounts) / math.log(k)


@lru_cache(maxsize=1)
def default_rules() -> LinkRules:
    return LinkRules.load()


@lru_cache(maxsize=1)
def _domains():
    import tldextract
    # Offline: the bundled public-suffix snapshot, never a download (PACKAGES.md gotcha).
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def url_identifier(url: str, rules: LinkRules) -> tuple[str, str] | None:
    """``(kind, value)`` for a link found in a post, or None when the link is a profile or
    WhatsApp chat link (its handle or phone is the identifier) or has no host.

    The value drops the scheme and ``www.`` and lower-cases the host; the path keeps its
    case (invite codes are case-sensitive)."""
    from marsad.detect.entities.links import find_links

    text = url.strip()
    found = find_links(text)
    if found and (found[0].handle or found[0].phone):
        return None
    body = text.split("://", 1)[-1]
    host, _, rest = body.partition("/")
    host = host.lower().removeprefix("www.").split("@")[-1].split(":")[0]
    if not host or "." not in host:
        return None
    value = host + ("/" + rest.rstrip("/") if rest.rstrip("/") else "")
    parts = _domains()(host)
    registrable = f"{parts.domain}.{parts.suffix}".lower() if parts.suffix else host
    # "gov", "int", "edu", "mil" as any label but the leftmost: state.gov, moi.gov.ly, gov.uk
    labels = set(host.split(".")[1:])
    public = registrable in rules.public_domains or host in rules.public_domains \
        or bool(labels & rules.public_suffixes)
    return ("public_url" if public else "url", value)


def entity_identifiers(entities: dict, rules: LinkRules) -> list[tuple[str, str]]:
    """The linkable identifiers of one post's entities (``classify`` contract shape)."""
    out: list[tuple[str, str]] = []
    for value in entities.get("phones") or ():
        out.append(("phone", str(value)))
    for value in entities.get("handles") or ():
        out.append(("handle", str(value).lower()))
    for value in entities.get("wallets") or ():
        out.append(("wallet", str(value)))
    for value in entities.get("urls") or ():
        ident = url_identifier(str(value), rules)
        if ident:
            out.append(ident)
    return out


def store_identifier(kind: str, value: str, rules: LinkRules) -> tuple[str, str] | None:
    """The store's ``identifiers`` row (kind phone|handle|wallet|url) under the same policy."""
    if kind == "url":
        return url_identifier(value, rules)
    if kind == "handle":
        return ("handle", value.lower())
    return (kind, value)
