"""Which country a post is written from, as a ranked list of ISO 3166 regions.

Needed twice: a national phone number (``0912345678``) is only made E.164 with a region, and
a bare "دينار" or "pounds" only becomes ISO 4217 with a country. Evidence, strongest first:
country hints from the caller (account location, platform metadata); countries of the numbers
in the same post that carry a country code; currencies that belong to one country; words of
a national dialect (gazetteer/countries.yaml); places named (departure points count more than
destinations); and last the language's usual countries. The list is computed lazily, only
for posts that need it.
"""
from __future__ import annotations

from functools import cache
from typing import Sequence

from . import gazetteer

# Countries whose numbers and currencies a post in this language usually carries, in order.
# Arabic without a dialect cue leans to the Libyan/Maghreb departure coasts first.
LANG_REGIONS: dict[str, tuple[str, ...]] = {
    "ar": ("LY", "TN", "DZ", "MA", "EG", "SY", "IQ", "SA", "SD", "JO", "LB", "KW", "AE", "QA", "OM", "BH", "YE", "MR"),
    "en": ("GB", "US", "NG", "GH", "PK", "IN", "PH", "KE", "AU", "CA", "IE"),
    "fr": ("FR", "BE", "MA", "DZ", "TN", "SN", "CI", "CM", "ML", "CA", "CH"),
    "es": ("MX", "ES", "GT", "HN", "SV", "CO", "VE", "US"),
    "tr": ("TR",),
    "fa": ("IR", "AF"),
    "ps": ("AF", "PK"),
    "ur": ("PK",),
    "ku": ("IQ", "TR", "IR", "SY"),
    "am": ("ET",),
    "ti": ("ER", "ET"),
    "so": ("SO",),
    "ha": ("NG", "NE"),
    "it": ("IT",),
    "de": ("DE", "AT"),
}
# Tried after everything else, for a number no evidence explains.
FALLBACK_REGIONS: tuple[str, ...] = (
    "LY", "TN", "DZ", "MA", "EG", "SY", "IQ", "TR", "IR", "AF", "PK", "SD", "SA", "GB", "FR",
    "ES", "IT", "DE", "GR", "MX", "US", "NG", "ET", "ER", "TH", "KH", "MM", "PH", "RS", "BG",
    "PL", "BY", "LT", "JO", "LB", "KW", "AE", "QA", "BE", "NL", "AT", "SE", "SN", "ML", "NE",
    "MR", "SO", "YE", "OM", "BH", "IN", "BD", "MY", "AU", "CA")
# Dialect names (as the dev data and language id use them) to their main country.
DIALECT_REGION = {"libyan": "LY", "tunisian": "TN", "algerian": "DZ", "darija": "MA", "egyptian": "EG",
                  "levantine": "SY", "syrian": "SY", "iraqi": "IQ", "gulf": "SA", "sudanese": "SD",
                  "dari": "AF", "sorani": "IQ", "kurmanji": "IQ"}


def hints_for(lang: str | None = None, dialect: str | None = None) -> tuple[str, ...]:
    """Country hints a caller can pass to ``extract`` when it knows the dialect."""
    region = DIALECT_REGION.get(dialect or "")
    return (region,) if region else ()


@cache
def _cue_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for cc, info in gazetteer.countries().items():
        for cue in info.get("cues") or ():
            table.setdefault(str(cue).lower(), []).append(cc)
    return {k: tuple(v) for k, v in table.items()}


@cache
def currency_country() -> dict[str, str]:
    """ISO 4217 code → the one country that uses it (EUR/USD/USDT and the like excluded)."""
    out: dict[str, str] = {}
    for cc, info in gazetteer.countries().items():
        cur = info.get("currency")
        if cur and cur not in ("EUR", "USD", "XOF", "XAF"):
            out.setdefault(cur, cc)
    return out


_LOCAL_KINDS = frozenset({"city", "border", "coast", "island"})
_LOCAL_ROLES = frozenset({"departure", "origin", "transit"})


@cache
def _lang_prior(lang: str) -> dict[str, float]:
    return {cc: 2.0 - i * 0.1 for i, cc in enumerate(LANG_REGIONS.get(lang, ()))}


_PUNCT = ".,!?؟،:;()[]\"'«»…-_*#"


class RegionContext:
    """Lazily ranked regions for one post; ``ranked`` is computed on first use."""

    def __init__(self, text: str, lang: str | None, hints: tuple[str, ...], low: str | None = None,
                 toks: list[str] | None = None, cue_spans: Sequence[tuple[int, int]] | None = None):
        self.text = text
        # (start, end) in ``low`` of the only tokens that may be dialect cues, when the batch
        # gates found them (a Python walk over every token was ~12 µs of a 300-character ad).
        self.cue_spans = cue_spans
        self.low = low if low is not None else text.lower()
        self.toks = toks
        self._candidates: tuple[str, ...] | None = None
        self.lang = (lang or "").split("-")[0].lower() or None
        self.hints = tuple(h.upper() for h in hints if h) if hints else ()
        self.phone_regions: list[str] = []
        self.currencies: list[str] = []
        self.places: list = []
        self._ranked: tuple[str, ...] | None = None
        self._evidence: frozenset[str] = frozenset()
        self._strong: tuple[str, ...] | None = None
        self._cues: list[str] | None = None

    def invalidate(self) -> None:
        self._ranked = None

    def scores(self) -> dict[str, float]:
        ev: dict[str, float] = {}
        get = ev.get
        for i, cc in enumerate(self.hints):
            ev[cc] = get(cc, 0.0) + 100.0 - i
        for cc in self.phone_regions:
            if cc:
                ev[cc] = get(cc, 0.0) + 12.0
        if self.currencies:
            cur_cc = currency_country()
            for cur in self.currencies:
                cc = cur_cc.get(cur)
                if cc:
                    ev[cc] = get(cc, 0.0) + 10.0
        for cc in self.cue_regions():
            ev[cc] = get(cc, 0.0) + 3.0
        for p in self.places:
            # A town on the route says more about where the poster is than a country or a
            # destination does ("from Sfax" vs "jobs in Canada").
            if p.country:
                local = p.kind in _LOCAL_KINDS and p.role in _LOCAL_ROLES
                ev[p.country] = get(p.country, 0.0) + (2.5 if local else 1.0)
        self._evidence = frozenset(ev)
        score = dict(_lang_prior(self.lang or ""))
        for cc, w in ev.items():
            score[cc] = score.get(cc, 0.0) + w
        return score

    def cue_regions(self) -> list[str]:
        """The region of each dialect word in the text, once per text (the ranking is redone
        when a finder adds evidence; the words do not change)."""
        if self._cues is None:
            cues = _cue_table()
            if self.cue_spans is not None:
                low = self.low
                hits = cues.keys() & {low[a:b] for a, b in self.cue_spans}
            else:
                toks = self.toks if self.toks is not None else self.low.split()
                # keys() & set: CPython walks the smaller side (set.intersection(dict) walked all cues).
                present = set(toks)
                hits = cues.keys() & present
                dirty = [t for t in present if not t.isalnum()]
                if dirty:
                    hits |= cues.keys() & {t.strip(_PUNCT) for t in dirty}
            # Sorted: ties in the ranking keep insertion order, which must not follow the
            # process's string-hash seed (the same post read twice must give the same result).
            self._cues = [cc for tok in sorted(hits) for cc in cues[tok]]
        return self._cues

    @property
    def ranked(self) -> tuple[str, ...]:
        """Regions, most likely first (only those with some evidence)."""
        if self._ranked is None:
            score = self.scores()
            self._ranked = tuple(sorted(score, key=score.__getitem__, reverse=True))
            self._candidates = self._strong = None
        return self._ranked

    def candidates(self) -> tuple[str, ...]:
        """``ranked`` followed by every fallback region not already in it."""
        if self._candidates is None:
            ranked = self.ranked
            seen = set(ranked)          # (a tuple's `in` made this ~30 µs a post)
            self._candidates = ranked + tuple(cc for cc in FALLBACK_REGIONS if cc not in seen)
        return self._candidates

    @property
    def evidence(self) -> frozenset[str]:
        """Regions the post itself points at (hints, numbers, currencies, dialect, places)."""
        self.ranked
        return self._evidence

    @property
    def computed(self) -> bool:
        """Whether any extractor needed the ranking (most posts never do)."""
        return self._ranked is not None

    def ranked_strong(self) -> tuple[str, ...]:
        """``ranked`` without the weak regions, kept with the ranking (phones ask for it once
        per candidate number: ~25 µs a post when rebuilt each time). A region is strong when
        the post itself (not only its language) points at it, or it is one of its language's
        two main ones."""
        ranked = self.ranked
        if self._strong is None:
            strong = self._evidence.union(LANG_REGIONS.get(self.lang or "", ())[:2])
            self._strong = tuple(r for r in ranked if r in strong)
        return self._strong
