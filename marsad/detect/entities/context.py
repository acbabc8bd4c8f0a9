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


_PUNCT = ".,!?؟،:;()[]\"'«»…-_*#"


class RegionContext:
    """Lazily ranked regions for one post; ``ranked`` is computed on first use."""

    def __init__(self, text: str, lang: str | None, hints: tuple[str, ...], low: str | None = None):
        self.text = text
        self.low = low if low is not None else text.lower()
        self.lang = (lang or "").split("-")[0].lower() or None
        self.hints = tuple(h.upper() for h in hints if h)
        self.phone_regions: list[str] = []
        self.currencies: list[str] = []
        self.places: list = []
        self._ranked: tuple[str, ...] | None = None
        self._evidence: frozenset[str] = frozenset()

    def invalidate(self) -> None:
        self._ranked = None

    def scores(self) -> dict[str, float]:
        score: dict[str, float] = {}

        def bump(cc: str, w: float) -> None:
            if cc:
                score[cc] = score.get(cc, 0.0) + w

        for i, cc in enumerate(self.hints):
            bump(cc, 100.0 - i)
        for cc in self.phone_regions:
            bump(cc, 12.0)
        cur_cc = currency_country()
        for cur in self.currencies:
            bump(cur_cc.get(cur, ""), 10.0)
        cues = _cue_table()
        toks = set(self.low.split())
        dirty = [t for t in toks if not t.isalnum()]
        if dirty:
            toks.update(t.strip(_PUNCT) for t in dirty)
        for tok in toks.intersection(cues):
            for cc in cues[tok]:
                bump(cc, 3.0)
        for p in self.places:
            # A town on the route says more about where the poster is than a country or a
            # destination does ("from Sfax" vs "jobs in Canada").
            local = p.kind in ("city", "border", "coast", "island") and p.role in ("departure", "origin", "transit")
            bump(p.country, 2.5 if local else 1.0)
        self._evidence = frozenset(score)
        for i, cc in enumerate(LANG_REGIONS.get(self.lang or "", ())):
            bump(cc, 2.0 - i * 0.1)
        return score

    @property
    def evidence(self) -> frozenset[str]:
        """Regions the post itself points at (hints, numbers, currencies, dialect, places)."""
        self.ranked
        return self._evidence

    @property
    def computed(self) -> bool:
        """Whether any extractor needed the ranking (most posts never do)."""
        return self._ranked is not None

    def strong(self, region: str) -> bool:
        """True when the post itself (not only its language) points at ``region``, or the
        region is one of its language's two main ones."""
        self.ranked
        return region in self._evidence or region in LANG_REGIONS.get(self.lang or "", ())[:2]

    @property
    def ranked(self) -> tuple[str, ...]:
        """Regions, most likely first (only those with some evidence)."""
        if self._ranked is None:
            score = self.scores()
            self._ranked = tuple(sorted(score, key=lambda cc: -score[cc]))
        return self._ranked

    def candidates(self) -> tuple[str, ...]:
        """``ranked`` followed by every fallback region not already in it."""
        ranked = self.ranked
        return ranked + tuple(cc for cc in FALLBACK_REGIONS if cc not in ranked)
