"""Prices: an amount and its ISO 4217 currency, in every way posts write them.

"٣٠٠٠ يورو", "4k euro", "2500e", "2.500€", "$1,800", "1800 دولار", "3 آلاف يورو", "$8 mil",
"۴۵ میلیون تومان" (tomans are stored as rials, ×10), Algerian "70 مليون" (million centimes =
70×10,000 DZD), "۳ لاکھ روپے" (lakh = 100,000). USDT keeps the code "USDT". An amount after a
price word ("السعر 2500") with no currency has currency ``None``. Words that name a different
currency in each country (دينار, درهم, جنيه, ريال, pounds, pesos) are resolved with the
poster's region (context.py). Forms and multipliers are data: gazetteer/currencies.yaml.
"""
from __future__ import annotations

import re
from functools import cache, lru_cache
from itertools import product
from typing import NamedTuple

from . import gazetteer
from .context import RegionContext
from .phones import _ANY_DIGIT, _DIGIT_RUN, _DIGITS
from .places import lower_same_length

_THOUSANDS = r"[,.\u066c'\u00a0\u202f ]"       # what may stand between a number's digit groups
_DECIMAL = r"[.,\u066b]"
_NUM = (rf"\d{{1,3}}(?:{_THOUSANDS}\d{{3}})+(?:{_DECIMAL}\d{{1,2}})?(?![.,\u066b\u066c]?\d)"
        rf"|\d+(?:{_DECIMAL}\d{{1,2}})?(?![.,\u066b\u066c]?\d)")
_NUM_START = r"(?<![A-Za-z0-9_.,\u066b\u066c\u0660-\u0669\u06f0-\u06f9+])"
_LETTER_END = r"(?![^\W\d_])"


class Price(NamedTuple):
    amount: int | float
    currency: str | None
    start: int
    end: int

    def as_dict(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}


def _alt(forms: list[str], sensitive: bool = False) -> str:
    """Regex alternation of currency or multiplier forms, longest first.

    Latin forms of three letters or fewer match only as written or in capitals ("dh"/"DH",
    "MAD" but not "mad"), longer ones in any case; letter-final forms must end a word."""
    parts = []
    for f in sorted(set(forms), key=len, reverse=True):
        esc = re.escape(f).replace(r"\ ", r"\s?")
        tail = _LETTER_END if re.search(r"[^\W\d_]$", f) else ""
        if re.fullmatch(r"[A-Za-z]{1,3}", f) and not sensitive:
            variants = {f, f.upper()}
            parts.append("(?:" + "|".join(re.escape(v) for v in sorted(variants)) + ")" + tail)
        elif re.search(r"[A-Za-z]", f):
            parts.append("(?i:" + esc + ")" + tail)
        else:
            parts.append(esc + tail)
    return "|".join(parts)


@cache
def _tables():
    data = gazetteer.currencies()
    after: dict[str, tuple[str, int]] = {}     # lower-cased form -> (code, scale)
    before: dict[str, tuple[str, int]] = {}
    for key, spec in data["currencies"].items():
        code, scale = spec.get("code", key), int(spec.get("scale", 1))
        for f in spec.get("after", ()):
            if str(f) != "e":
                after.setdefault(_key(str(f)), (code, scale))
        for f in spec.get("before", ()):
            before.setdefault(_key(str(f)), (code, scale))
    ambiguous = {_key(str(k)): v for k, v in data["ambiguous"].items()}
    mult = {_key(str(f)): int(v) for v, forms in data["multipliers"].items() for f in forms}
    after_forms = [f for spec in data["currencies"].values() for f in map(str, spec.get("after", ())) if f != "e"]
    after_forms += [str(k) for k in data["ambiguous"]]
    before_forms = [str(f) for spec in data["currencies"].values() for f in spec.get("before", ())]
    cur_after = _alt(after_forms)
    cur_before = _alt(before_forms)
    mult_re = _alt([str(f) for forms in data["multipliers"].values() for f in forms])
    price_words = _alt([str(w) for w in data["price_words"]])
    words = {_key(str(w)): int(v) for v, ws in data["word_amounts"].items() for w in ws}
    word_re = _alt(list(words))
    # Anchored pieces, tried around each number the scan finds: one cheap pass over the text
    # (a leading \d lets the regex engine skip quickly) instead of a 5-branch alternation
    # tried at every character.
    number = re.compile(rf"(?:{_NUM})")
    after_num = re.compile(
        rf"(?:\s?(?P<mult>{mult_re})(?:\s(?:de|d'|of))?)?\s?(?:(?P<cur>{cur_after})|(?P<e>[eE]){_LETTER_END})"
        rf"|\s?(?P<million>مليون|ملاين|ملايين)(?P<centimes>\s?سنتيم)?(?!\s?(?:{cur_after}))"
        rf"|(?:\s?(?P<bmult>{mult_re}))?")
    cur_before_num = re.compile(rf"(?<![A-Za-z])(?:{cur_before})\s?\Z")
    word_before_num = re.compile(rf"(?<!\w)(?:{price_words})\s{{0,2}}[:：=\-]?\s{{0,2}}\Z")
    no_cur_after = re.compile(rf"\s?(?:\d|%|{cur_after}|{mult_re})")
    word_amount = re.compile(rf"(?<!\w)(?P<word>{word_re})\s(?P<wcur>{cur_after})")
    range_before = re.compile(rf"{_NUM_START}(?P<num>{_NUM})\s?(?:-|–|—|~|to|à|a|al|إلى|الى)\s?\Z")
    return (number, after_num, cur_before_num, word_before_num, no_cur_after, word_amount, range_before,
            after, before, ambiguous, mult, words)


class _Hints(NamedTuple):
    after1: frozenset[str]       # characters that alone may start what follows a price's number
    after2: frozenset[str]       # two-character starts of the rest, for forms of two characters
    after3: frozenset[str]       # three-character starts of longer forms (Arabic words share "ال")
    before: frozenset[str]       # last characters of currency forms written before it
    word: frozenset[str]         # last three characters of price words ("السعر 2500"), or all of a shorter one
    word_lengths: tuple[int, ...]  # the lengths of those endings


@cache
def _cased() -> str:
    """Every Basic Multilingual Plane character with a case mapping (~2,800): the only ones
    IGNORECASE can match a letter with (the forms are BMP text)."""
    return "".join(c for c in map(chr, range(0x10000)) if c.lower() != c or c.upper() != c)


@cache
def case_variants(c: str) -> frozenset[str]:
    """The characters ``re.IGNORECASE`` matches ``c`` with, ``c`` included: more than its
    upper and lower case (the dotless ı matches i, the long ſ matches s)."""
    if c.lower() == c and c.upper() == c:
        return frozenset(c)
    same = set(re.findall("(?i)" + re.escape(c), _cased())) | {c, c.lower(), c.upper()}
    return frozenset(x for x in same if len(x) == 1)


@cache
def _hints() -> _Hints:
    """Characters the price patterns need next to a number, in every casing the patterns
    accept (``case_variants``): a number without any of them is skipped before the patterns
    run. Each set is a superset of what the corresponding pattern in ``_tables`` can match at
    that place, so nothing is lost (``after1`` takes the first letter of every form too short
    to be known by its first two, ``after2`` those too short for three: "الف" and "الدولار"
    are told from "الناس" by their third letter, "يورو" from "يوم")."""
    data = gazetteer.currencies()
    after = [f for spec in data["currencies"].values() for f in map(str, spec.get("after", ()))]
    after += [str(k) for k in data["ambiguous"]] + [str(f) for fs in data["multipliers"].values() for f in fs]
    after += ["e", "مليون", "ملاين", "ملايين"]
    before = [str(f) for spec in data["currencies"].values() for f in spec.get("before", ())]
    words = [str(w) for w in data["price_words"]]

    def spellings(s: str) -> set[str]:
        """``s`` in every casing the patterns accept."""
        return {"".join(c) for c in product(*map(case_variants, s))}

    starts: tuple[set[str], set[str], set[str]] = (set(), set(), set())     # 1, 2, 3 characters
    for f in after:
        # Up to three characters, as many as the form has before it ends or a space (which the
        # patterns let go) stands.
        k = 1 if len(f) == 1 or f[1].isspace() else 2 if len(f) == 2 or f[2].isspace() else 3
        starts[k - 1].update(spellings(f[:k]))
    # Three characters, not one: a price word's last letter (ة ت ر م ن ه ی) ends most Arabic words.
    ends = set().union(*(spellings(w[-3:]) for w in words))
    return _Hints(*map(frozenset, starts), frozenset().union(*(spellings(f[-1]) for f in before)),
                  frozenset(ends), tuple(sorted({len(e) for e in ends}, reverse=True)))


def _hint_before(text: str, s: int, hints: _Hints) -> bool:
    """Whether a currency form may end right before ``s`` (``$ 300``), or a price word up to
    five separator characters before it (``السعر: 300``)."""
    b = text[s - 1:s]
    if b.isspace():
        b = text[s - 2:s - 1] if s >= 2 else ""
    if b and b in hints.before:
        return True
    j = s
    while j > 0 and s - j < 5 and (text[j - 1].isspace() or text[j - 1] in ":：=-"):
        j -= 1
    for k in hints.word_lengths:
        if k <= j and text[j - k:j] in hints.word:
            return True
    return False


_WORD_HINTS = ("ألف ", "الف ", "ألفين", "الفين", "ألفان", "alf ", "Alf ", "alfin")
WORD_STEMS = ("لف", "lf")       # one is in every hint: the first, cheap test (gates.py reads it too)
_NOT_BEFORE_NUMBER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_+")


def _numbers(text: str, number: re.Pattern):
    """Numbers in ``text``: a plain digit-run scan (fast), then the full number pattern
    anchored at each run that does not continue a word ("TRC20") or another number."""
    pos = 0
    for run in _DIGIT_RUN.finditer(text):
        s = run.start()
        if s < pos:
            continue
        if s and (text[s - 1] in _NOT_BEFORE_NUMBER
                  or text[s - 1] in ".,\u066b\u066c" and s > 1 and text[s - 2].isdigit()):
            pos = run.end()
            continue
        m = number.match(text, s)
        if m:
            pos = m.end()
            yield m


def parse_number(s: str) -> float:
    """'2.500' → 2500, '1,800' → 1800, '12.50' → 12.5, '2 500' → 2500, '٣٠٠٠' → 3000."""
    if s.isascii() and s.isdigit():      # most numbers: no separators to read
        return float(s)
    s = s.translate(_DIGITS).replace("\u066c", ",").replace("\u066b", ".")
    s = re.sub(r"[\s\u00a0\u202f']", "", s)
    if "," in s and "." in s:
        dec = max(s.rfind(","), s.rfind("."))
        return float(re.sub(r"[.,]", "", s[:dec]) + "." + s[dec + 1:])
    for sep in (",", "."):
        if sep in s:
            parts = s.split(sep)
            if all(len(p) == 3 for p in parts[1:]):
                return float("".join(parts))
            return float(parts[0] + "." + "".join(parts[1:]))
    return float(s)


def _amount(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 2)


def may_have_price_words(text: str) -> bool:
    """Whether ``text`` may hold a price written in words ("ألفين دولار"), without digits."""
    return (WORD_STEMS[0] in text or WORD_STEMS[1] in text) and any(w in text for w in _WORD_HINTS)


def find_prices(text: str, ctx: RegionContext, has_digit: bool | None = None,
                has_word: bool | None = None) -> list[Price]:
    """Prices in ``text`` in order of appearance (``has_digit``, ``has_word``: whether numbers
    and price words are to be read, when the caller already knows)."""
    if has_digit is None:
        has_digit = _ANY_DIGIT.search(text) is not None
    if has_word is None:
        has_word = may_have_price_words(text)
    if not has_digit and not has_word:
        return []
    (number, after_num, cur_before_num, word_before_num, no_cur_after, word_amount, range_before,
     after, before, ambiguous, mult, words) = _tables()
    hints = _hints()
    out: list[Price] = []
    for m in (_numbers(text, number) if has_digit else ()):
        s, e = m.span()
        nxt = text[e + 1:e + 2] if text[e:e + 1] in " .-\u00a0" else text[e:e + 1]
        if nxt.isdigit() or (s and text[s - 1:s] in "-." and text[s - 2:s - 1].isdigit()):
            continue      # one group of a longer digit run: a phone number, a date
        i = e + 1 if text[e:e + 1].isspace() else e
        if (text[i:i + 1] not in hints.after1 and text[i:i + 2] not in hints.after2
                and text[i:i + 3] not in hints.after3
                and not _hint_before(text, s, hints)):
            continue      # nothing a price needs next to this number (most numbers: ~1 µs to know)
        value = parse_number(m.group())
        a = after_num.match(text, e)
        code, scale, end = None, 1, e
        if a.group("cur") or a.group("e"):
            if a.group("mult"):
                value *= mult[_key(a.group("mult"))]
            code, scale = ("EUR", 1) if a.group("e") else _currency(a.group("cur"), after, ambiguous, ctx)
            end = a.end()
        elif (b := cur_before_num.search(text, max(0, s - 8), s)) is not None:
            if a.group("bmult"):
                value *= mult[_key(a.group("bmult"))]
                end = a.end()
            code, scale = before[_key(b.group().strip())]
            s = b.start()
        elif a.group("million"):
            # Algeria counts in "millions" of centimes: 70 مليون = 700,000 DZD.
            if a.group("centimes") or ctx.ranked[:1] == ("DZ",) or "DZ" in ctx.evidence:
                value, code = value * 10_000, "DZD"
            else:
                value *= 1_000_000
            end = a.end()
        elif word_before_num.search(text, max(0, s - 24), s) is not None \
                and not no_cur_after.match(text, e):
            if a.group("bmult"):
                value *= mult[_key(a.group("bmult"))]
                end = a.end()
        else:
            continue
        if value <= 0:
            continue
        # "1500-3000 USD": the first end of a range takes the currency of the second.
        if code is not None:
            r = range_before.search(text, max(0, s - 24), s)
            if r and (not out or out[-1].end <= r.start()):
                first = parse_number(r.group("num"))
                if a.group("mult"):
                    first *= mult[_key(a.group("mult"))]
                out.append(Price(_amount(first * scale), code, r.start(), r.end()))
        out.append(Price(_amount(value * scale), code, s, end))
    if has_word:
        for m in word_amount.finditer(text):
            if any(p.start <= m.start() < p.end for p in out):
                continue
            code, scale = _currency(m.group("wcur"), after, ambiguous, ctx)
            out.append(Price(_amount(words[_key(m.group("word"))] * scale), code, m.start(), m.end()))
        out.sort(key=lambda p: p.start)
    if out:
        ctx.currencies.extend(p.currency for p in out if p.currency)
        ctx.invalidate()
    return out


@cache
def _squeezed_table(_: int) -> dict:
    return {}


def _squeezed(key: int, after: dict) -> dict:
    """``after`` keyed without spaces ("جنيه إسترليني" written "جنيهإسترليني" or "3000£")."""
    table = _squeezed_table(key)
    if not table:
        table.update({k.replace(" ", ""): v for k, v in after.items()})
    return table


# Letters that re.IGNORECASE equates with an ASCII one but str.lower() keeps apart: a form the
# patterns matched as "Uſ$" or "lıra" must still be found in the tables (and "MİLYON", whose
# İ lower-cases to two characters, hence lower_same_length).
_FOLD = str.maketrans({"ı": "i", "ſ": "s"})


@lru_cache(maxsize=4096)
def _key(s: str) -> str:
    """The table key of a form as matched: spaces squeezed, lower case, folded as the
    patterns fold (_FOLD)."""
    return lower_same_length(re.sub(r"\s+", " ", s)).translate(_FOLD)


def _currency(form: str, after: dict, ambiguous: dict, ctx: RegionContext) -> tuple[str | None, int]:
    key = _key(form)
    if key in after:
        return after[key]
    key_ns = key.replace(" ", "")
    hit = _squeezed(id(after), after).get(key_ns)
    if hit:
        return hit
    spec = ambiguous.get(key) or ambiguous.get(key_ns)
    if spec is None:
        return None, 1
    by_country = spec.get("countries") or {}
    for cc in ctx.ranked:
        if cc in ctx.evidence and cc in by_country:
            return by_country[cc], 1
    lang_code = (spec.get("langs") or {}).get(ctx.lang or "")
    if lang_code:
        return lang_code, 1
    for cc in ctx.ranked:
        if cc in by_country:
            return by_country[cc], 1
    return spec.get("default"), 1
