"""Identifier extraction: phones, handles, wallets, prices, places, links and routes.

    from marsad.detect.entities import extract
    ex = extract(text, lang="ar", country_hints=("LY",))
    ex.entities    # {"phones": [...E.164], "handles": ["@name"], "wallets": [...],
                   #  "prices": [{"amount": 3000, "currency": "EUR"}], "places": [...], "urls": [...]}
    ex.indicators  # marsad.model.Indicator spans on the original text (kind "entity"/"checksum")
    ex.routes      # [{"from": "زوارة", "to": "لامبيدوزا"}]
    extract_many(texts, langs)   # the same for a batch, faster: see gates.py

Conventions are those of DESIGN.md (`classify`) and the dev data README: phones in E.164 in
order of appearance; handles lowercase ``@name`` (t.me/ and instagram.com/ links included,
invite links only in ``urls``); wallets as written, a failed checksum reported as an
indicator; prices with ISO 4217 codes; places as written without Arabic proclitics.

Order of work, and why: links and e-mail addresses are found first and blanked out (same
length, so offsets hold) so that the digits of a URL never become a phone or a price; prices
are found before phones so that "450000000 تومان" is not read as a number to call; places and
the numbers that carry a country code are evidence for the poster's country, which national
numbers and words like "دينار" then need (context.py). Everything is a pure function of the
text and its hints; the gazetteer and the phone metadata are loaded once per process.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import NamedTuple, Sequence

from marsad.model import Indicator

from .context import RegionContext, hints_for
from .gates import ALL, PHONE, PLACE, PRICE, WALLET, WORDS, open_gates
from .links import find_emails, find_handles, find_links
from .phones import _ANY_DIGIT, TEN, find_phones, valid_international
from .places import Place, canonical, find_places, lower_same_length
from .prices import find_prices, may_have_price_words
from .routes import find_routes
from .wallets import find_wallets

__all__ = ["Extraction", "extract", "extract_many", "hints_for", "canonical", "ENTITY_KEYS"]

ENTITY_KEYS = ("phones", "handles", "wallets", "prices", "places", "urls")
# (one character class first: the regex engine then skips to candidates, 2x faster than {14})
_ALNUM14 = re.compile(r"[0-9A-Za-z][0-9A-Za-z]{13}")
_TOKEN26 = re.compile(r"\S{26}")         # \s is str.isspace, as in str.split
_CATEGORY = {"phones": "entity:phone", "handles": "entity:handle", "wallets": "entity:wallet",
             "prices": "entity:price", "places": "entity:place", "urls": "entity:url"}


def _no_entities() -> dict[str, list]:
    return {"phones": [], "handles": [], "wallets": [], "prices": [], "places": [], "urls": []}


@dataclass(slots=True)
class Extraction:
    """What ``extract`` found in one text."""

    entities: dict[str, list] = field(default_factory=_no_entities)
    checksums: list[Indicator] = field(default_factory=list)    # wallets whose checksum failed
    routes: list[dict] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)     # mentions with canonical name, country, role
    regions: tuple[str, ...] = ()                          # the poster's likely countries, when needed
    # Per entity kind, (start, end, value, as written) of each mention, sorted by start.
    mentions: dict[str, list[tuple[int, int, object, str]]] | None = None

    @property
    def indicators(self) -> list[Indicator]:
        """The spans of every identifier (kind "entity") and failed checksum, by position.
        Built when asked for: the engine reads only the checksums, and building an Indicator
        for each of a post's handles, links and places cost ~3 µs a real post."""
        out = list(self.checksums)
        mentions = self.mentions or {}
        for key in ENTITY_KEYS:          # this order: equal spans (a t.me link and its handle) stay in it
            out += [Indicator(_CATEGORY[key], written, s, e, kind="entity")
                    for s, e, _, written in mentions.get(key, ())]
        if len(out) > 1:
            out.sort(key=attrgetter("start", "end"))
        return out


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the spans replaced by as many spaces (offsets hold); built from slices,
    not a list of every character."""
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for s, e in sorted(spans):
        s = max(s, pos)
        if e <= s:
            continue
        out += (text[pos:s], " " * (e - s))
        pos = e
    out.append(text[pos:])
    return "".join(out)


def extract(text: str, *, lang: str | None = None, country_hints: tuple[str, ...] = ()) -> Extraction:
    """Identifiers in ``text``. ``lang`` (ISO 639-1) and ``country_hints`` (ISO 3166 alpha-2,
    e.g. from the account's location or the post's dialect, see ``hints_for``) only steer how
    national phone numbers and ambiguous currency words are read.

    Most posts hold no identifier at all, so every step is guarded by a cheap test of the
    text and nothing is built for a kind that is absent (the bookkeeping alone cost ~12 µs a
    post when it was built for every post)."""
    if not text:
        return Extraction()
    if not isinstance(text, str):
        raise TypeError("text must be str")
    m = _mask(text)
    gate = ALL if may_have_price_words(m.masked) else ALL & ~WORDS
    return _finish(m, lang, tuple(country_hints), gate)


def extract_many(texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[Extraction]:
    """``extract`` of each text, the same results, faster on a batch: which finders a text can
    need is decided for all of them in one compiled pass (``gates``), so a finder runs only
    where it may find something."""
    langs = langs if langs is not None else [None] * len(texts)
    out: list[Extraction | None] = [None] * len(texts)
    masks: list[_Masked] = []
    where: list[int] = []
    for i, text in enumerate(texts):
        if not text:
            out[i] = Extraction()
        elif not isinstance(text, str):
            raise TypeError(f"text {i} must be str")
        else:
            masks.append(_mask(text, wallets=False))
            where.append(i)
    bits, place_spans, cue_spans, handle_spans = open_gates([m.masked for m in masks])
    again = []
    for k, (m, g) in enumerate(zip(masks, bits)):
        if g & WALLET and (walleted := _mask_wallets(m)) is not m:
            masks[k] = walleted
            again.append(k)
    if again:       # the gates read those texts before their wallets were blanked: once more
        for k, g, spans, cues, handles in zip(again, *open_gates([masks[k].masked for k in again])):
            bits[k], place_spans[k], cue_spans[k], handle_spans[k] = g, spans, cues, handles
    for i, m, g, spans, cues, handles in zip(where, masks, bits, place_spans, cue_spans, handle_spans):
        out[i] = _finish(m, langs[i], (), g, spans, cues, handles)
    return out


class _Masked(NamedTuple):
    """A text with its links and e-mail addresses (and, once ``_mask_wallets`` has run, its
    wallets) found and blanked out: what the other finders read (``masked``, lower-cased as
    ``low``). A batch holds a thousand of these at once, so empty finds are ``None``: every
    live list and dict is one more object for the cyclic garbage collector to walk, and most
    posts have none of these finds. ``_finish`` takes its lists over (it adds to them): each
    is finished once."""

    text: str
    masked: str
    low: str
    found: dict[str, list[tuple[int, int, object, str]]] | None
    checksums: list[Indicator] | None
    link_phones: list[tuple[int, int, str]] | None


def _mask(text: str, wallets: bool = True) -> _Masked:
    """``text`` with its links and e-mail addresses (and, with ``wallets``, its wallets)
    blanked out; ``extract_many`` leaves the wallets to ``_mask_wallets``, for the few texts
    whose gate says they may hold one."""
    found: dict[str, list[tuple[int, int, object, str]]] = {}
    masked_spans: list[tuple[int, int]] = []
    link_phones: list[tuple[int, int, str]] = []
    low = None
    if "/" in text or "www." in text or "WWW." in text:
        low = lower_same_length(text)
        for link in find_links(text, low):
            masked_spans.append((link.start, link.end))
            found.setdefault("urls", []).append((link.start, link.end, link.url, link.url))
            if link.handle:
                found.setdefault("handles", []).append((link.start, link.end, link.handle, link.url))
            if link.phone:
                hit = valid_international(link.phone[1:])
                e164 = hit[0] if hit else link.phone
                link_phones.append((link.start, link.end, e164))
    if "@" in text:
        masked_spans.extend(find_emails(text))
    masked = _blank(text, masked_spans)
    # Lower case is per character but for Σ (σ or ς by what follows): without one, the
    # lower-cased text blanked is the blanked text lower-cased.
    low = _blank(low, masked_spans) if low is not None and "Σ" not in text else lower_same_length(masked)
    m = _Masked(text, masked, low, found or None, None, link_phones or None)
    # A wallet holds 14+ ASCII letters and digits in a row (the shortest shape, bech32) and lies
    # in a token of 26+ characters; most posts have neither (two regexes: ~4 µs a post less
    # than splitting the post into tokens to measure them; gates.py does it for a batch).
    if wallets and _ALNUM14.search(masked) is not None and _TOKEN26.search(masked) is not None:
        return _mask_wallets(m)
    return m


def _mask_wallets(m: _Masked) -> _Masked:
    """``m`` with its wallets found and blanked out too (``m`` itself when it has none)."""
    masked = m.masked
    walls = find_wallets(masked)
    if not walls:
        return m
    found = dict(m.found or {})
    found["wallets"] = [(w.start, w.end, w.address, w.address) for w in walls]
    checksums = [Indicator("wallet_checksum_failed", w.address, w.start, w.end, kind="checksum")
                 for w in walls if not w.checksum_ok]
    masked = _blank(masked, [(w.start, w.end) for w in walls])
    return m._replace(masked=masked, low=lower_same_length(masked), found=found, checksums=checksums or None)


def _finish(m: _Masked, lang: str | None, country_hints: tuple[str, ...], gate: int,
            place_spans: list[tuple[int, int]] | None = None,
            cue_spans: Sequence[tuple[int, int]] | None = None,
            handle_spans: Sequence[tuple[int, int]] | None = None) -> Extraction:
    """The finders that read the masked text, those ``gate`` leaves open, and the result;
    ``place_spans``: the words a place may start with, ``cue_spans``: the tokens that may be
    dialect words, ``handle_spans``: the "@name" mentions, when the gates found them."""
    text, masked, low, found, checksums, link_phones = m
    found = found or {}
    link_phones = link_phones or ()
    toks = low.split() if gate & PLACE and place_spans is None else None
    if handle_spans is not None:
        if handle_spans:
            found.setdefault("handles", []).extend(
                [(s, e, low[s:e], text[s:e]) for s, e in handle_spans])     # (ASCII: low is its lower case)
    elif "@" in masked:
        for h in find_handles(masked):
            found.setdefault("handles", []).append((h.start, h.end, h.handle, text[h.start:h.end]))

    places = find_places(masked, low, toks, place_spans) if gate & PLACE else []
    has_digit = _ANY_DIGIT.search(masked) is not None
    priced_digits = has_digit and bool(gate & PRICE)
    digits_or_ten = has_digit or TEN in masked
    may_have_phone = digits_or_ten and bool(gate & PHONE)
    ctx = None
    phones: list[tuple[int, int, object, str]] = []
    price_words = bool(gate & WORDS)        # exact: may_have_price_words(masked)
    if may_have_phone or priced_digits or price_words:
        # The poster's region is needed only to read national numbers and currency words.
        ctx = RegionContext(text, lang, country_hints, low, toks, cue_spans)
        ctx.places = places
        prices = find_prices(masked, ctx, priced_digits, price_words)
        if prices:
            if places:
                # "800 ليرة سورية": a place name inside a currency name is not a place mention.
                places = [p for p in places if not any(pr.start <= p.start < pr.end for pr in prices)]
            found["prices"] = [(pr.start, pr.end, pr.as_dict(), text[pr.start:pr.end]) for pr in prices]
            masked = _blank(masked, [(pr.start, pr.end) for pr in prices])
            # Blanked prices can join digits on either side into one chain: the phone gate,
            # read before, no longer holds.
            may_have_phone = digits_or_ten
        if may_have_phone:
            if link_phones:
                ctx.phone_regions.extend(r for r in (_region_of(e) for *_, e in link_phones) if r)
            phones = [(ph.start, ph.end, ph.e164, text[ph.start:ph.end]) for ph in find_phones(masked, ctx)]
    if link_phones:
        phones += [(s, e, e164, text[s:e]) for s, e, e164 in link_phones]
    if phones:
        found["phones"] = phones
    if places:
        found["places"] = [(p.start, p.end, p.text, text[p.start:p.end]) for p in places]

    entities = _no_entities()
    for key, items in found.items():
        if len(items) > 1:
            items.sort(key=itemgetter(0))
            seen: list = []
            for item in items:
                if key == "prices" or item[2] not in seen:
                    seen.append(item[2])
            entities[key] = seen
        else:
            entities[key] = [items[0][2]]
    return Extraction(entities, checksums or [], find_routes(text, places) if len(places) >= 2 else [], places,
                      ctx.ranked if ctx is not None and ctx.computed else (), found or None)


def _region_of(e164: str) -> str | None:
    hit = valid_international(e164.lstrip("+"))
    return hit[1] if hit else None
