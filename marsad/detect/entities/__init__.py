"""Identifier extraction: phones, handles, wallets, prices, places, links and routes.

    from marsad.detect.entities import extract
    ex = extract(text, lang="ar", country_hints=("LY",))
    ex.entities    # {"phones": [...E.164], "handles": ["@name"], "wallets": [...],
                   #  "prices": [{"amount": 3000, "currency": "EUR"}], "places": [...], "urls": [...]}
    ex.indicators  # marsad.model.Indicator spans on the original text (kind "entity"/"checksum")
    ex.routes      # [{"from": "زوارة", "to": "لامبيدوزا"}]

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

from dataclasses import dataclass, field

from marsad.model import Indicator

from .context import RegionContext, hints_for
from .links import find_emails, find_handles, find_links
from .phones import _ANY_DIGIT, find_phones, valid_international
from .places import Place, canonical, find_places, lower_same_length
from .prices import find_prices
from .routes import find_routes
from .wallets import find_wallets

__all__ = ["Extraction", "extract", "hints_for", "canonical", "ENTITY_KEYS"]

ENTITY_KEYS = ("phones", "handles", "wallets", "prices", "places", "urls")
_CATEGORY = {"phones": "entity:phone", "handles": "entity:handle", "wallets": "entity:wallet",
             "prices": "entity:price", "places": "entity:place", "urls": "entity:url"}


@dataclass(slots=True)
class Extraction:
    """What ``extract`` found in one text."""

    entities: dict[str, list] = field(default_factory=lambda: {k: [] for k in ENTITY_KEYS})
    indicators: list[Indicator] = field(default_factory=list)
    routes: list[dict] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)     # mentions with canonical name, country, role
    regions: tuple[str, ...] = ()                          # the poster's likely countries, when needed


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
    national phone numbers and ambiguous currency words are read."""
    ex = Extraction()
    if not text:
        return ex
    if not isinstance(text, str):
        raise TypeError("text must be str")
    found: dict[str, list[tuple[int, int, object, str]]] = {k: [] for k in ENTITY_KEYS}
    masked_spans: list[tuple[int, int]] = []
    link_phones: list[tuple[int, int, str]] = []

    if "/" in text or "www." in text or "WWW." in text:
        for link in find_links(text):
            masked_spans.append((link.start, link.end))
            found["urls"].append((link.start, link.end, link.url, link.url))
            if link.handle:
                found["handles"].append((link.start, link.end, link.handle, link.url))
            if link.phone:
                hit = valid_international(link.phone[1:])
                e164 = hit[0] if hit else link.phone
                link_phones.append((link.start, link.end, e164))
    if "@" in text:
        masked_spans.extend(find_emails(text))
    masked = _blank(text, masked_spans)

    low = lower_same_length(masked)
    toks = low.split()
    # A wallet is one token of 26+ characters; most posts have none (cheaper than a regex scan).
    long_token = bool(toks) and max(map(len, toks)) >= 26
    for w in (find_wallets(masked) if long_token else ()):
        found["wallets"].append((w.start, w.end, w.address, w.address))
        masked_spans.append((w.start, w.end))
        if not w.checksum_ok:
            ex.indicators.append(Indicator("wallet_checksum_failed", w.address, w.start, w.end, kind="checksum"))
    if found["wallets"]:
        masked = _blank(text, masked_spans)
    if "@" in masked:
        for h in find_handles(masked):
            found["handles"].append((h.start, h.end, h.handle, text[h.start:h.end]))

    ctx = RegionContext(text, lang, tuple(country_hints), low, toks)
    places = find_places(masked, low, toks)
    ctx.places = places
    ex.places = places
    for p in places:
        found["places"].append((p.start, p.end, p.text, text[p.start:p.end]))

    has_digit = _ANY_DIGIT.search(masked) is not None
    prices = find_prices(masked, ctx, has_digit)
    if prices and places:
        # "800 ليرة سورية": a place name inside a currency name is not a place mention.
        places = [p for p in places if not any(pr.start <= p.start < pr.end for pr in prices)]
        ex.places = places
        found["places"] = [f for f in found["places"] if any(f[0] == p.start for p in places)]
    for pr in prices:
        found["prices"].append((pr.start, pr.end, pr.as_dict(), text[pr.start:pr.end]))
    if prices:
        masked = _blank(masked, [(pr.start, pr.end) for pr in prices])

    ctx.phone_regions.extend(r for r in (_region_of(e) for *_, e in link_phones) if r)
    for ph in (find_phones(masked, ctx) if has_digit else ()):
        found["phones"].append((ph.start, ph.end, ph.e164, text[ph.start:ph.end]))
    for s, e, e164 in link_phones:
        found["phones"].append((s, e, e164, text[s:e]))
    if ctx.computed:
        ex.regions = ctx.ranked

    for key in ENTITY_KEYS:
        if not found[key]:
            continue
        items = sorted(found[key], key=lambda x: x[0])
        seen: list = []
        for s, e, value, written in items:
            ex.indicators.append(Indicator(_CATEGORY[key], written, s, e, kind="entity"))
            if key == "prices" or value not in seen:
                seen.append(value)
        ex.entities[key] = seen
    ex.indicators.sort(key=lambda i: (i.start, i.end))
    if len(places) >= 2:
        ex.routes = find_routes(text, places)
    return ex


def _region_of(e164: str) -> str | None:
    hit = valid_international(e164.lstrip("+"))
    return hit[1] if hit else None
