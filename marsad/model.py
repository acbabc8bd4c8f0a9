"""Frozen records every stage shares. Nothing downstream of ``normalize`` re-validates a Post."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# DESIGN.md lists the first eight; snapchat, discord and roblox were added for grooming cases,
# where conversations move to those apps (a contract change, noted on the issue).
PLATFORMS = ("facebook", "instagram", "x", "tiktok", "telegram", "youtube", "whatsapp", "other",
             "snapchat", "discord", "roblox")
LABELS = ("migrant_smuggling", "document_fraud", "human_trafficking",
          "child_exploitation", "terrorist_content", "benign")
HARMS = LABELS[:-1]
ENTITY_KINDS = ("phones", "handles", "wallets", "prices", "places", "urls")


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as an adapter read it: canonical-shaped ``data`` plus where it came from.

    ``raw`` is the record's original bytes (a JSONL line, a CSV row, a Telegram message
    object re-serialised): its SHA-256 is the evidence hash of the item as captured."""

    data: dict[str, Any]
    source: str
    line: int
    raw: bytes


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that could not be read; quarantined with its location, never dropped."""

    source: str
    line: int
    field: str | None
    reason: str
    raw: bytes = b""

    def as_dict(self) -> dict:
        return {"file": self.source, "line": self.line, "field": self.field,
                "error": self.reason, "raw": self.raw.decode("utf-8", "replace")[:2000]}


@dataclass(frozen=True, slots=True)
class Post:
    """A canonical post (DESIGN.md "Input post"). ``text`` is never modified (detectors
    fold a matching copy themselves). Unknown input fields are kept verbatim in ``raw``."""

    id: str
    platform: str
    text: str
    author_id: str | None = None
    author_handle: str | None = None
    created_at: str | None = None
    lang: str | None = None
    url: str | None = None
    conversation_id: str | None = None
    reply_to: str | None = None
    media: tuple[dict, ...] = ()
    messages: tuple[dict, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    source: str | None = None
    line: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.id)

    @property
    def account(self) -> str | None:
        """The account key used for linking: ``platform:author_id`` (ids are per platform)."""
        return f"{self.platform}:{self.author_id}" if self.author_id else None


class Indicator(NamedTuple):
    """Why a post got its label: a span of the original text and what it indicates.

    A NamedTuple, not a frozen dataclass: a post carries a dozen of these, and a frozen
    dataclass sets each field through object.__setattr__ (5x slower to build and to unpickle)."""

    category: str
    text: str
    start: int
    end: int
    kind: str = "lexicon"   # lexicon | pattern | entity | checksum | media
    weight: float = 1.0

    def as_dict(self) -> dict:
        return {"category": self.category, "text": self.text, "start": self.start, "end": self.end}

    def __reduce__(self):
        # The constructor and the fields: pickle's generic route for a tuple subclass goes
        # through copyreg in Python (2x slower), and findings cross processes (parallel.py).
        return (Indicator, tuple(self))


@dataclass(frozen=True, slots=True)
class Finding:
    """The ``classify`` contract for one post (DESIGN.md)."""

    id: str
    label: str
    risk: float
    scores: dict[str, float]
    lang: str | None
    indicators: tuple[Indicator, ...]
    entities: dict[str, list]
    platform: str | None = None
    routes: tuple[dict, ...] = ()

    def as_dict(self) -> dict:
        out = {"id": self.id, "label": self.label, "risk": round(self.risk, 4),
               "scores": {k: round(v, 4) for k, v in self.scores.items()},
               "lang": self.lang, "indicators": [i.as_dict() for i in self.indicators],
               "entities": self.entities}
        if self.routes:
            out["routes"] = list(self.routes)
        return out

    def __reduce__(self):
        return (Finding, (self.id, self.label, self.risk, self.scores, self.lang, self.indicators,
                          self.entities, self.platform, self.routes))
