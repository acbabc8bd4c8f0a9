"""Phone numbers, however a post disguises them, to E.164.

Posts hide numbers from keyword filters: Arabic-Indic and Persian digits, keycap emoji
(0️⃣7️⃣9️⃣), digits as words ("zero nine one 8257735", "صفر سبعة 07021855"), separators and
emoji between digit groups ("09 ✨ 18 ✨ 56"), one digit at a time ("+ 2 1 3 6 9 ..."). The
scanner joins such pieces into runs with one cheap regex, then asks ``phonenumbers`` whether
a run (or a split of it into several numbers) is a valid number. National numbers take the
poster's region from :class:`context.RegionContext`; 8-digit numbers without a trunk prefix
(Tunisia, Kuwait, Qatar...) are only accepted for regions the post gives evidence for, since
too many 8-digit strings are something else.

Why not ``PhoneNumberMatcher``: it needs one pass per candidate region over the whole text
(~0.2 ms each), and misses keycaps, words and emoji separators. ``phonenumbers`` is still the
judge of validity and the formatter; it is only called on candidate runs, behind a length and
pattern pre-check taken from its own metadata, and its answers are cached.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers as pn

from .context import RegionContext

# phonenumbers compiles a metadata pattern at each use and leaves the reuse to re's cache of
# 512, which its ~250 regions' patterns overflow: with its own cache on, each is compiled once.
pn.enable_pattern_cache()

_ANY_DIGIT = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
_DIGIT_RUN = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]+")
_TOKEN = re.compile(r"(?P<key>[0-9]\ufe0f?\u20e3)|(?P<ten>\U0001f51f)|(?P<dig>[0-9\u0660-\u0669\u06f0-\u06f9]+)|(?P<plus>[+\uff0b])")
# What may stand between two digit groups of one number: spaces, dots, dashes, slashes,
# brackets, bullets, invisible marks and emoji, at most six characters, never a line break.
_GAP = re.compile(r"[ \t\u00a0\u2009\u202f\-\u2010-\u2015.\u00b7\u2022/()_*~|\u200b-\u200f\u2060\u2066-\u2069"
                  r"\ufe0e\ufe0f\u200d\u20e3\u2190-\u2bff\u2600-\u27bf\u3030\U0001f000-\U0001faff]{0,6}")
# Digits joined by gaps (and a plus sign in front, found apart): every run ``scan`` reads lies
# inside one such chain (a keycap's marks count as gap here, hence up to 8 characters, not 6).
_GAP8 = _GAP.pattern.replace("{0,6}", "{0,8}")
_CHAIN = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9](?:" + _GAP8 + r"[0-9\u0660-\u0669\u06f0-\u06f9])*")
_PLUS_BEFORE = re.compile(r"[+\uff0b]" + _GAP8 + r"\Z")
TEN = "\U0001f51f"      # the keycap 🔟: two phone digits with no digit character in them
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_YEARS = re.compile(r"(?:(?:19|20)\d\d){2,3}")
_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}:\d{2}")

_WORD_DIGITS: dict[str, str] = {}
for _words in (
    "zero one two three four five six seven eight nine",
    "zéro un deux trois quatre cinq six sept huit neuf",
    "cero uno dos tres cuatro cinco seis siete ocho nueve",
    "sıfır bir iki üç dört beş altı yedi sekiz dokuz",
    "صفر واحد اثنين ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة",
    "صفر واحد اثنان ثلاثه اربعة خمسه سته سبعه ثمانيه تسعه",
    "صفر واحد إثنين تلاتة اربعه خمس ست سبع ثمان تسع",
    "صفر واحد اتنين ثلاث اربع خمس ست سبع تمانية تسع",
    "صفر یک دو سه چهار پنج شش هفت هشت نه",
    "صفر ایک دو تین چار پانچ چھ سات آٹھ نو",
    "sifir yek du sê çar pênc şeş heft heşt neh",
):
    for _i, _w in enumerate(_words.split()):
        _WORD_DIGITS.setdefault(_w, str(_i))
_WORD_DIGITS.update({"zero": "0", "zéro": "0", "sifr": "0"})


_MAX_GROUPS = 40


class Phone(NamedTuple):
    e164: str
    region: str
    start: int
    end: int
    national: bool      # written without a country code: the region was inferred


class _Group(NamedTuple):
    digits: str
    start: int
    end: int
    kind: str           # dig | key | word | plus


def scan(text: str) -> list[list[_Group]]:
    """Runs of digit groups that may together be one or more phone numbers."""
    if TEN in text:
        spans = [(0, len(text))]        # 🔟 is a token the chains below do not know
    else:
        # Only a chain of digits that holds seven of them, or follows digit words, can hold a
        # number; the rest of a post's digits (counts, dates, prices) are skipped without a
        # step per digit group. Digit words can only stand before a chain's first run.
        if not _ANY_DIGIT.search(text):
            return []
        spans = []
        for c in _CHAIN.finditer(text):
            lo = c.start()
            # A plus sign in front belongs to the run (searched back from the chain: a regex
            # that starts with an optional "+" cannot jump from digit to digit).
            if lo and (p := _PLUS_BEFORE.search(text, max(0, lo - 9), lo)) is not None:
                lo = p.start()
            # (a chain shorter than 7 characters cannot hold 7 digits: most chains, counted free)
            if c.end() - c.start() >= 7 and sum(map(len, _DIGIT_RUN.findall(c.group()))) >= 7 \
                    or _leading_words(text, lo):
                spans.append((lo, c.end()))
    runs: list[list[_Group]] = []
    for lo, hi in spans:
        _runs(text, lo, hi, runs)
    out = []
    for run in runs:
        words = _leading_words(text, run[0].start)
        if sum(len(g.digits) for g in run) + len(words) < 7:
            continue
        out.append(words + run)
    return out


def _runs(text: str, lo: int, hi: int, runs: list[list[_Group]]) -> None:
    """The runs of the tokens starting in text[lo:hi]: tokens joined by a gap ``_GAP`` allows
    (a plus sign always starts a run). A chain found by ``_CHAIN`` never splits a run: its
    gaps allow more than ``_GAP`` and it takes a plus sign in front."""
    run: list[_Group] = []
    last_end = -1
    # A token that starts before ``hi`` ends by hi + 2 (a keycap's two marks follow its digit,
    # which ends the chain): searching no further spares a scan to the post's next digit.
    for m in _TOKEN.finditer(text, lo, hi + 2):
        if m.start() >= hi:
            break
        kind = m.lastgroup
        if kind == "key":
            digits = m.group()[0]
        elif kind == "ten":
            digits, kind = "10", "key"
        elif kind == "dig":
            digits = m.group()
            if not digits.isascii():
                digits = digits.translate(_DIGITS)
        else:
            digits = ""
        start = m.start()
        g = _Group(digits, start, m.end(), kind)
        # (no gap and one space, the commonest, need not ask the regex)
        if run and (kind == "plus" or run[-1].kind == "plus" and start - last_end > 2
                    or start != last_end and not (start - last_end == 1 and text[last_end] == " ")
                    and not _GAP.fullmatch(text, last_end, start)):
            runs.append(run)
            run = []
        if kind == "dig" and start > 0 and text[start - 1].isalpha() and not run:
            # "TRC20", "x3": digits glued to a Latin word are part of that word.
            if text[start - 1].isascii():
                last_end = g.end
                continue
        run.append(g)
        last_end = g.end
    if run:
        runs.append(run)


_LAST_WORD = re.compile(r"(\w+)(\s+)$")


def _leading_words(text: str, start: int) -> list[_Group]:
    """Digit words written just before a run ("zero three 390826400")."""
    out: list[_Group] = []
    pos = start
    while pos and text[pos - 1].isspace():      # a digit word is followed by a space
        seg = text[max(0, pos - 16):pos]
        # The word before the spaces, as ``_LAST_WORD`` reads it: the last whitespace token
        # when it is all word characters (most are; the regex tried every position, ~1.4 µs).
        stripped = seg.rstrip()
        tail = stripped.rsplit(None, 1)[-1] if stripped else ""
        if tail.isalnum():
            word, gap = tail, len(seg) - len(stripped)
        else:
            m = _LAST_WORD.search(seg)
            if not m:
                break
            word, gap = m.group(1), len(m.group(2))
        d = _WORD_DIGITS.get(word.lower())
        if d is None:
            break
        ws = pos - gap - len(word)
        out.insert(0, _Group(d, ws, ws + len(word), "word"))
        pos = ws
        if len(out) >= 6:
            break
    return out


@lru_cache(maxsize=4096)
def _meta(region: str):
    md = pn.PhoneMetadata.metadata_for_region(region)
    if md is None:
        return None
    lengths = set(md.general_desc.possible_length or ())
    pattern = re.compile(md.general_desc.national_number_pattern or r"\d+")
    return md.national_prefix or "", lengths, pattern


# Countries whose mobile numbers are commonly written without the trunk 0 (Lebanon: 70 123 456).
_TRUNK_OPTIONAL = frozenset({"LB"})
_MOBILE = (pn.PhoneNumberType.MOBILE, pn.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _valid_national(digits: str, region: str, mobile_only: bool = False) -> str | None:
    hit = _national(digits, region)
    if hit is None or (mobile_only and not hit[1]):
        return None
    return hit[0]


@lru_cache(maxsize=65536)
def _national(digits: str, region: str) -> tuple[str, bool] | None:
    """(E.164, is a mobile number) when ``digits`` is a valid national number of ``region``."""
    meta = _meta(region)
    if meta is None:
        return None
    prefix, lengths, pattern = meta
    if prefix == "0" and digits[0] != "0" and region not in _TRUNK_OPTIONAL:
        # Where national numbers are written with a leading 0, a string without it is
        # rarely a phone number of that country (an IBAN chunk, a reference, a count).
        return None
    nsn = digits[len(prefix):] if prefix and digits.startswith(prefix) else digits
    if lengths and len(nsn) not in lengths and len(digits) not in lengths:
        return None
    if not pattern.fullmatch(nsn) and not pattern.fullmatch(digits):
        return None
    try:
        num = pn.parse(digits, region)
    except pn.NumberParseException:
        return None
    if not pn.is_valid_number(num):
        return None
    return pn.format_number(num, pn.PhoneNumberFormat.E164), pn.number_type(num) in _MOBILE


@lru_cache(maxsize=65536)
def valid_international(digits: str) -> tuple[str, str] | None:
    """``digits`` (country code first, no ``+``) as (E.164, region) if valid."""
    if not 8 <= len(digits) <= 15 or digits[0] == "0":
        return None
    try:
        num = pn.parse("+" + digits, None)
    except pn.NumberParseException:
        return None
    if not pn.is_valid_number(num):
        return None
    return pn.format_number(num, pn.PhoneNumberFormat.E164), pn.region_code_for_number(num) or ""


def _resolve(groups: list[_Group], ctx: RegionContext) -> tuple[str, str, bool, int] | None:
    """(E.164, region, national, tier) for a sequence of groups read as one number, else
    None. ``tier`` 0 is the surest reading (a country code, or a mobile number of a region
    the post points at); higher tiers are weaker guesses."""
    plus = groups[0].kind == "plus"
    digits = "".join(g.digits for g in groups)
    if not 7 <= len(digits) <= 16:
        return None
    if plus or digits.startswith("00"):
        body = digits if plus else digits[2:]
        hit = valid_international(body)
        if hit is None and plus and "0" in body[:5]:
            # "+44 (0) 7824 ...": the trunk zero written inside the international form.
            for i in range(1, 4):
                if body[i] == "0":
                    hit = valid_international(body[:i] + body[i + 1:]) or hit
        return (hit[0], hit[1], False, 0) if hit else None
    trunk = digits[0] == "0"
    if not trunk and _YEARS.fullmatch(digits):
        return None
    # Posts give numbers to call or message: a mobile number in a less likely region beats
    # a landline or premium number in the likeliest one ("090 564 03792" is Nigerian mobile,
    # not a UK premium line).
    ranked = ctx.ranked if trunk or len(digits) > 10 else ctx.ranked_strong()
    rest = ctx.candidates()[len(ctx.ranked):] if (trunk or len(digits) >= 9) else ()
    for tier, (mobile_only, regions) in enumerate(((True, ranked), (True, rest), (False, ranked), (False, rest))):
        for region in regions:
            e = _valid_national(digits, region, mobile_only)
            if e:
                return e, region, True, tier
        if tier == 1 and not trunk and len(digits) >= 11:        # after the mobile numbers of every region
            hit = valid_international(digits)
            if hit:
                return hit[0], hit[1], False, tier
    return None


def _segment(run: list[_Group], ctx: RegionContext) -> list[tuple[int, int, tuple]]:
    """Split a run into the numbers it holds: most digits covered, then fewest numbers, then
    the surest readings (lowest tiers)."""
    n = len(run)
    best: list[tuple[int, int, int, list]] = [(0, 0, 0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        cand = best[i + 1]
        if run[i].kind != "word" or i == 0 or run[i - 1].kind == "word":
            count = 0
            for j in range(i, n):
                if j > i and run[j].kind == "plus":
                    break
                count += len(run[j].digits)
                if count > 16:
                    break
                if count < 7 or (j + 1 < n and run[j + 1].kind == "word"):
                    continue
                hit = _resolve(run[i:j + 1], ctx)
                if hit and hit[2] and run[i].digits[:1] != "0" and run[i].kind != "word":
                    # Inside a longer run (an IBAN, a card number) a national number without
                    # its trunk 0 is more likely a chunk of something else.
                    hit = None
                if hit:
                    rest = best[j + 1]
                    new = (count + rest[0], 1 + rest[1], hit[3] + rest[2], [(i, j, hit)] + rest[3])
                    if (new[0], -new[1], -new[2]) > (cand[0], -cand[1], -cand[2]):
                        cand = new
        best[i] = cand
    return best[0][3]


def find_phones(text: str, ctx: RegionContext) -> list[Phone]:
    """Phone numbers in ``text`` (mask links and prices out first), in order of appearance."""
    runs = scan(text)
    if not runs:
        return []
    # Numbers with a country code first: their regions are evidence for the national ones.
    found: list[Phone] = []
    pending: list[list[_Group]] = []
    for run in runs:
        body = [g for g in run if g.kind != "word"]
        if _DATE.fullmatch(text[body[0].start:body[-1].end].replace(" ", "")):
            continue
        if body[0].kind == "plus" or body[0].digits.startswith("00"):
            found.extend(_read(run, ctx, text))
        else:
            pending.append(run)
    if pending:
        ctx.phone_regions.extend(p.region for p in found)
        ctx.invalidate()
        for run in pending:
            found.extend(_read(run, ctx, text))
    found.sort(key=lambda p: p.start)
    return found


def _read(run: list[_Group], ctx: RegionContext, text: str) -> list[Phone]:
    body = [g for g in run if g.kind != "word"]
    words = len(run) - len(body)
    # One word before a complete number is usually an ordinary word ("un", "bir", "one"):
    # read the digits alone first. Two words, or a zero, are part of the number.
    trust_words = words >= 2 or (words == 1 and run[0].digits == "0")
    for groups in ((run, body) if trust_words else (body, run)):
        if groups is run and not words:
            continue
        hit = _resolve(groups, ctx)
        if hit:
            return [Phone(hit[0], hit[1], groups[0].start, groups[-1].end, hit[2])]
    if len(run) == 1 or len(run) > _MAX_GROUPS:
        # One group that is not a number, or a wall of digits (a table, an attack on the
        # parser): not worth splitting.
        return []
    return [Phone(h[0], h[1], run[i].start, run[j].end, h[2]) for i, j, h in _segment(run, ctx)]
