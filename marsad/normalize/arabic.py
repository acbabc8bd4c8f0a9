"""Fold Arabic-script text (and everything else) into a key for matching.

Why by hand: pyarabic's ``normalize_hamza`` maps إ/أ to ء, which breaks search keys, and
camel-tools needs data downloads; the rules below are a dozen table lookups (~15 µs/text).

The folded copy is for lexicon matching and model features only. Display, evidence and
entity offsets always use the original text. ``fold`` keeps a 1:1 length mapping?  No:
NFKC, tashkeel removal and squeezing change lengths, so indicator spans are found on the
original text with patterns compiled from folded lexicon terms (see ``detect.lexicon``).
"""
from __future__ import annotations

import re
import unicodedata

# Harakat, Quranic annotation marks, superscript alef, tatweel.
_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
# Zero-width and bidi controls: used to split words invisibly and to hide numbers.
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\u2060\ufeff\u00ad]")
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
_DIGITS = str.maketrans({**{c: str(i) for i, c in enumerate(ARABIC_INDIC)},
                         **{c: str(i) for i, c in enumerate(PERSIAN)}})
_LETTERS = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ى": "ي", "ی": "ي", "ئ": "ي", "ک": "ك", "ڪ": "ك", "گ": "ك",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ؤ": "و",
    # Turkish dotted capital I casefolds to i + combining dot (two tokens); curly apostrophes.
    "İ": "i", "’": "'", "ʼ": "'",
})
# Squeeze letter elongation (واتسااااب, heeelp) to two; never digits (٣٠٠٠ must stay 3000).
_ELONGATION = re.compile(r"([^\W\d_])\1{2,}")
_SPACES = re.compile(r"\s+")


def fold_digits(text: str) -> str:
    """Arabic-Indic and Persian digits to ASCII, nothing else."""
    return text.translate(_DIGITS)


def fold(text: str) -> str:
    """The matching key of ``text``: NFKC, no diacritics/tatweel/invisibles, letter
    variants folded, digits ASCII, elongation squeezed, whitespace collapsed, casefolded."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _DIACRITICS.sub("", text)
    text = text.translate(_DIGITS).translate(_LETTERS)
    text = _ELONGATION.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip().casefold()
