"""Routes a post states between the places it names: departure → destination.

Only when the text says so: a "from" word before one place and a "to" word (or the attached
proclitic ل) before the next ("من زوارة إلى لامبيدوزا", "from Tripoli to Lampedusa", "ji Calais
ber bi Brîtanya", "له افغانستان نه ایران ته"), Turkish case endings ("Bodrum'dan Kos'a"),
or an arrow between them ("Tripoli → Lampedusa", "بيلاروسيا ➡️ بولندا"). "لإسبانيا من وهران"
(to Spain from Oran) is the same route written the other way round. Two places merely listed
together ("Lebanon & Jordan") are not a route.
"""
from __future__ import annotations

import re

from .places import Place

_FROM_BEFORE = {"من", "مِن", "mn", "men", "min", "mel", "mnin", "from", "de", "desde", "depuis", "du", "des", "d", "از", "لە", "ji", "له",
                "ካብ", "ከ", "dan", "den", "ex", "via"}
_TO_BEFORE = {"إلى", "الى", "إلي", "لـ", "ل", "l", "el", "lel", "ila", "l'", "نحو", "باتجاه", "لحد", "حتى", "to", "towards", "into", "à", "a", "au",
              "aux", "en", "vers", "hacia", "hasta", "para", "al", "به", "تا", "بۆ", "بو", "bo", "ber", "bi", "ናብ",
              "ወደ", "till", "→"}
_MARKERS = frozenset(_FROM_BEFORE | _TO_BEFORE)      # built once: the union per place cost ~2 µs
_TO_AFTER = {"ته", "تک", "کو", "ve", "bo"}
_FROM_AFTER = {"نه", "سے", "se"}
_TR_FROM = re.compile(r"['’](?:dan|den|tan|ten)\b", re.IGNORECASE)
_TR_TO = re.compile(r"['’](?:a|e|ya|ye|na|ne)\b", re.IGNORECASE)
_ARROW = re.compile(r"^[\s\ufe0f\u200d]*(?:→|⟶|➡|➡️|⇒|->|-->|=>|—>|–>|>>|➜|➔|🔜|⬅️?)[\s\ufe0f\u200d]*$")
_THEN = re.compile(r"^\W*(?:و?منها|و?من\s+هناك|ومن\s+ثم|بعدها|then|and\s+then|puis|et\s+de\s+là|luego|y\s+luego|sonra|oradan|و\s+بعدين)\W*"
                   r"(?:\w+\W+){0,2}?$", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]+|→")


def _words_before(text: str, pos: int, n: int = 2) -> list[str]:
    return [w.lower() for w in _WORDS.findall(text[max(0, pos - 24):pos])[-n:]]


def _word_after(text: str, pos: int) -> str:
    m = _WORDS.search(text, pos, pos + 16)
    return m.group().lower() if m and not text[pos:m.start()].strip(" \t،,") else ""


def _marks(text: str, p: Place) -> tuple[bool, bool]:
    """(is marked as a departure, is marked as a destination)."""
    before = _words_before(text, p.start - len(p.proclitic))
    last = before[-1] if before else ""
    if last[:1] == "و" and last[1:] in _MARKERS:
        last = last[1:]            # ومن, وإلى: the conjunction is attached
    after = _word_after(text, p.end)
    tail = text[p.end:p.end + 6]
    is_from = last in _FROM_BEFORE or after in _FROM_AFTER or bool(_TR_FROM.match(tail))
    is_to = (last in _TO_BEFORE or after in _TO_AFTER or bool(_TR_TO.match(tail))
             or p.proclitic.rstrip("ـ").endswith("ل") or " ".join(before) == "ber bi")
    if last in ("من", "from", "از", "ji", "ካብ", "desde", "depuis") and not p.proclitic:
        is_to = False
    return is_from, is_to


def find_routes(text: str, places: list[Place]) -> list[dict]:
    routes: list[dict] = []

    def add(a: Place, b: Place) -> None:
        r = {"from": a.text, "to": b.text}
        if a.text != b.text and r not in routes:
            routes.append(r)

    marks: dict[int, tuple[bool, bool]] = {}     # computed only for places next to a close one

    def marked(i: int) -> tuple[bool, bool]:
        if i not in marks:
            marks[i] = _marks(text, places[i])
        return marks[i]

    for i in range(len(places) - 1):
        a, b = places[i], places[i + 1]
        gap = text[a.end:b.start - len(b.proclitic)]
        if len(gap) > 60 or "\n\n" in gap:
            continue
        (a_from, a_to), (b_from, b_to) = marked(i), marked(i + 1)
        if _ARROW.match(gap):
            add(a, b)
        elif a_from and b_to:
            add(a, b)
        elif a_to and b_from:
            add(b, a)
        elif b_to and routes and routes[-1]["to"] == a.text and _THEN.match(gap):
            add(a, b)
        elif b_to and _THEN.match(gap) and i > 0 and a_to:
            add(a, b)
    return routes
