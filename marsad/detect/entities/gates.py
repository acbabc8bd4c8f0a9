"""Which finders each text of a batch can need, decided for the whole batch in one compiled pass.

Why: on real posts most of ``extract``'s time went to finders that found nothing. A tweet's
dates, counts and times sent every number past the price hints (~14 µs a post), its digit
chains through the phone scanner (~9 µs), and its words through the gazetteer lookup
(~12 µs); a third of real tweets name a place and about one in fifty has a phone or a price.
This pass, compiled with numba, looks up each character's classes once over the code points
of all the texts of a batch and walks them per finder (~4 µs a 300-character post with the
encoding), and tells per text whether each finder *can* find something. Two more bits
replace Python checks made on every post, both exact: WALLET (the wallet pre-check) and WORDS
(``prices.may_have_price_words``).

For places the pass also hands over where the candidate words are, so ``find_places``
checks those few words instead of intersecting every token of the text with the gazetteer.

Every gate is a superset of what its finder accepts, built from the finder's own tables (the
price hints, the digit words, the gazetteer's keys), so a closed gate never changes a result;
a hash collision or a character the tables cannot judge only opens a gate. ``extract_many``
uses the gates and the tests hold it to ``extract``, which runs every finder. Without numba
every gate is open.
"""
from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import numpy as np

from .context import _PUNCT as _CUE_PUNCT
from .context import _cue_table
from .phones import _ANY_DIGIT, _GAP, _WORD_DIGITS, TEN
from .places import _WORD as _PLACE_WORD
from .places import _index as _place_index
from .prices import _DECIMAL, _NOT_BEFORE_NUMBER, _THOUSANDS, _WORD_HINTS, WORD_STEMS, _hints, may_have_price_words

try:  # pragma: no cover - numba is a dependency
    import numba as _nb
except ImportError:  # pragma: no cover
    _nb = None

PHONE, PRICE, PLACE = 1, 2, 4
WORDS = 16                      # prices.may_have_price_words holds (exact): a price in words may be there
ALL = PHONE | PRICE | PLACE | WORDS
WALLET = 8                      # the wallet pre-check of ``entities._mask`` holds (exact, not a superset)

LUT = 0x20000                   # BMP and plane 1; code points above have no class (see _cls)
# Character classes, one bit each.
DIGIT, GAP, WORD, PWORD, SPACE, AFTER1, BEFORE, SEP, UDIGIT = 1, 2, 4, 8, 16, 32, 64, 128, 256
NOTB, NUMSEP, LATIN = 512, 1024, 2048    # no number starts after it; a number's separator; A-Z a-z
LPWORD = 4096                   # lower-cased, a gazetteer word character (Σ counts: see AMBIGUOUS)
CUEP = 8192                     # punctuation that context.cue_regions strips from a token's ends
BITS_SHIFT, BITS_MASK = 40, (1 << 20) - 1    # which 20 bits of a hash pick its slot in _bitset
AMBIGUOUS = 0xFFFFFFFF          # lower case that depends on the context (Σ): opens a place gate
_P = 0x100000001B3


def _h(codes) -> int:
    """The hash the kernel computes over lower-cased code points (Python side, for tables)."""
    h = 0
    for c in codes:
        h = (h * _P + c + 1) & 0xFFFFFFFFFFFFFFFF
    return h


def _chars(chars) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]" if chars else "(?!)"


def _bitset(hashes: np.ndarray) -> np.ndarray:
    bits = np.zeros((BITS_MASK + 1) // 64, dtype=np.uint64)
    slots = (hashes >> np.uint64(BITS_SHIFT)) & np.uint64(BITS_MASK)
    np.bitwise_or.at(bits, slots >> np.uint64(6), np.uint64(1) << (slots & np.uint64(63)))
    return bits


@cache
def tables():
    """(classes, lower, after2 pairs, after3 triples, endings of 1-3 characters, price-word
    stems, digit-word hashes, place-key hashes and their bitset, longest digit word, dialect-cue
    hashes and their bitset): built from the finders' own data, ~0.3 s once a process."""
    hints = _hints()
    gap = _GAP.pattern.replace("{0,6}", "")
    # Each class by its own pattern over a string of every code point (a loop with a match
    # per character and class took 1.8 s).
    every = "".join(map(chr, range(LUT)))
    cls = np.zeros(LUT, dtype=np.uint16)
    for bit, pattern in ((DIGIT, _ANY_DIGIT.pattern), (GAP, gap), (WORD, r"\w"),
                         (PWORD, _PLACE_WORD.pattern.rstrip("+")), (SPACE, r"\s"),
                         (AFTER1, _chars(hints.after1)), (BEFORE, _chars(hints.before)), (SEP, "[:：=-]"),
                         (UDIGIT, r"\d"), (NOTB, _chars(_NOT_BEFORE_NUMBER)),
                         (NUMSEP, f"{_THOUSANDS}|{_DECIMAL}"), (LATIN, "[A-Za-z]"),
                         (CUEP, _chars(_CUE_PUNCT))):
        at = [m.start() for m in re.finditer(pattern, every)]
        cls[at] |= bit
    lower = np.array([ord(c.lower()[0]) for c in every], dtype=np.uint32)
    lower[0x03A3] = AMBIGUOUS        # Σ lowers to σ or ς by position in the word
    # The place runs ask of every character whether its lower case is a word character: one
    # class bit, not two table reads a character (the run walk was 60% of the pass).
    lowered = np.where(lower == AMBIGUOUS, np.arange(LUT, dtype=np.uint32), lower)
    inside = lowered < LUT
    cls[inside & (cls[np.where(inside, lowered, 0)] & PWORD != 0)] |= LPWORD
    after2 = np.array(sorted(_code(p) for p in hints.after2 if len(p) == 2), dtype=np.int64)
    after3 = np.array(sorted(_code(p) for p in hints.after3 if len(p) == 3), dtype=np.int64)
    ends = [np.array(sorted(_code(e) for e in hints.word if len(e) == k), dtype=np.int64) for k in (1, 2, 3)]
    digit_words = np.array(sorted({_h(map(ord, w)) for w in _WORD_DIGITS}), dtype=np.uint64)
    _, keys, _ = _place_index()
    if max(map(ord, "".join(hints.after1) + "".join(hints.after2) + "".join(hints.after3)
                   + "".join(hints.before) + "".join(hints.word) + "".join(keys))) >= LUT:
        raise ValueError("a price hint or place key outside the gate's character tables")
    bad = [k for k in keys if not _PLACE_WORD.fullmatch(k)]
    if bad:                          # a key the word runs cannot meet: the gate cannot judge
        raise ValueError(f"gazetteer keys that are not one word: {bad[:5]}")
    place_keys = np.array(sorted({_h(map(ord, k)) for k in keys}), dtype=np.uint64)
    stems = np.array(sorted(_code(s) for s in WORD_STEMS), dtype=np.int64)
    cues = list(_cue_table())
    if cues and max(map(ord, "".join(cues))) >= LUT:
        raise ValueError("a dialect cue outside the gate's character tables")
    cue_keys = np.array(sorted({_h(map(ord, k)) for k in cues}), dtype=np.uint64)
    # Where each price-word hint holds its first stem (-1: none, which the gate could not see).
    hint_at = [min((h.find(s) for s in WORD_STEMS if s in h), default=-1) for h in _WORD_HINTS]
    if min(hint_at) < 0 or max(map(ord, "".join(_WORD_HINTS))) >= LUT:
        raise ValueError("a price-word hint without a stem, or outside the gate's tables")
    hint_cps = np.zeros((len(_WORD_HINTS), max(map(len, _WORD_HINTS))), dtype=np.uint32)
    for i, h in enumerate(_WORD_HINTS):
        hint_cps[i, :len(h)] = [ord(c) for c in h]
    return (cls, lower, after2, after3, ends[0], ends[1], ends[2], stems, digit_words, place_keys,
            _bitset(place_keys), max(map(len, _WORD_DIGITS)), cue_keys, _bitset(cue_keys), hint_cps,
            np.array([len(h) for h in _WORD_HINTS], dtype=np.int64), np.array(hint_at, dtype=np.int64))


def _code(s: str) -> int:
    """Up to three characters as one integer (21 bits each), as the kernel builds them."""
    out = 0
    for c in s:
        out = out << 21 | ord(c)
    return out


# ---- the kernel (plain Python that numba compiles) ---------------------------------------------

def _cls(cls, c):
    return cls[c] if c < cls.shape[0] else 0


def _lower(c, lower):
    """``c`` lower-cased by the table (itself above it; AMBIGUOUS for Σ)."""
    return lower[c] if c < lower.shape[0] else c


def _has(sorted_arr, x):
    i = np.searchsorted(sorted_arr, x)
    return i < sorted_arr.shape[0] and sorted_arr[i] == x


def _has_hash(sorted_arr, bits, h):
    """``h`` in ``sorted_arr``, asked first of a one-bit-per-slot table (one memory read turns
    away ~99% of words; the binary search alone was ~60 ns a word)."""
    slot = (h >> np.uint64(BITS_SHIFT)) & np.uint64(BITS_MASK)
    if not (bits[slot >> np.uint64(6)] >> (slot & np.uint64(63))) & np.uint64(1):
        return False
    return _has(sorted_arr, h)


def _word_hash(cps, a, b, lower):
    """Hash of cps[a:b] lower-cased, and whether a character's lower case was ambiguous."""
    h = np.uint64(0)
    odd = False
    for j in range(a, b):
        c = cps[j]
        lc = _lower(c, lower)
        if lc == AMBIGUOUS:
            odd = True
            lc = c
        h = h * np.uint64(_P) + np.uint64(lc) + np.uint64(1)
    return h, odd


def _phone_gate(cps, cc, lo, hi, lower, digit_words, max_word):
    """Superset of ``phones.scan``: a 🔟, a chain of 7+ digits joined by gaps of at most 8
    characters, or a chain (with a plus sign in front) that follows a digit word. Digits glued
    to a Latin letter ("@sara1116101") count for nothing: ``phones._runs`` skips them, and only
    a chain's first run can be glued (a letter is no gap)."""
    j = lo
    for k in range(lo, hi):
        if cps[k] == TEN_CP:
            return True
    while j < hi:
        if not cc[j] & DIGIT:
            j += 1
            continue
        start = j
        ndig = 0
        if start > lo and cc[start - 1] & LATIN:
            while j < hi and cc[j] & DIGIT:
                j += 1
            if j < hi and (cps[j] == 0xFE0F or cps[j] == 0x20E3):
                j = start       # "a1️⃣": a keycap is not a glued digit run, it counts
        while True:
            while j < hi and cc[j] & DIGIT:
                ndig += 1
                j += 1
            g = j
            while g < hi and g - j < 8 and cc[g] & GAP:
                g += 1
            if g < hi and g > j and cc[g] & DIGIT:
                j = g
                continue
            break
        if ndig >= 7:
            return True
        # _PLUS_BEFORE: a plus sign, then only gap characters (at most 8) up to the chain.
        pos = start
        q = start
        while q > lo and start - q < 8 and cc[q - 1] & GAP:
            q -= 1
        if q > lo and (cps[q - 1] == 0x2B or cps[q - 1] == 0xFF0B):
            pos = q - 1
        # _leading_words: whitespace before, then a word ending within the 16 characters.
        if pos > lo and cc[pos - 1] & SPACE:
            seg = max(lo, pos - 16)
            we = pos
            while we > seg and cc[we - 1] & SPACE:
                we -= 1
            ws = we
            while ws > seg and cc[ws - 1] & WORD:
                ws -= 1
            if ws < we and we - ws <= max_word:
                h, _ = _word_hash(cps, ws, we, lower)
                if _has(digit_words, h):
                    return True
    return False


def _price_gate(cps, cc, lo, hi, after2, after3, ends1, ends2, ends3):
    """Superset of the numbers ``prices.find_prices`` reads: one with a currency or multiplier
    start after it, a currency sign before it, or a price word ending before it. A number
    starts where a run of the digits ``_numbers`` scans for starts, unless a Latin letter, "_"
    or "+" stands before it ("@D8466", "TRC20": ``_numbers`` skips those); it ends where a run
    of any decimal digits ends (its pattern's ``\\d`` takes every script's digits, "500১২"),
    inside a chain of digits and separators that such a start opened (only there can a
    number the finder reads be)."""
    live = False
    for j in range(lo, hi):
        c = cc[j]
        if not c & (UDIGIT | NUMSEP):
            live = False
            continue
        if c & DIGIT and (j == lo or not cc[j - 1] & DIGIT) \
                and (j == lo or not cc[j - 1] & NOTB):
            live = True
            s = j
            if s > lo:
                b = s - 1
                if cc[b] & SPACE:
                    b = s - 2
                if b >= lo and cc[b] & BEFORE:
                    return True
            k = s
            while k > lo and s - k < 5 and cc[k - 1] & (SPACE | SEP):
                k -= 1
            code = np.int64(0)
            for n in range(1, 4):
                if k - n < lo:
                    break
                code = code | (np.int64(cps[k - n]) << (21 * (n - 1)))
                if _has(ends1 if n == 1 else ends2 if n == 2 else ends3, code):
                    return True
        if live and c & UDIGIT and (j + 1 == hi or not cc[j + 1] & UDIGIT):
            e = j + 1
            i = e + 1 if e < hi and cc[e] & SPACE else e
            if i < hi and cc[i] & AFTER1:
                return True
            if i + 1 < hi and _has(after2, (np.int64(cps[i]) << 21) | np.int64(cps[i + 1])):
                return True
            if i + 2 < hi and _has(after3, (np.int64(cps[i]) << 42) | (np.int64(cps[i + 1]) << 21)
                                   | np.int64(cps[i + 2])):
                return True
    return False


def _wallet_gate(cps, cc, lo, hi):
    """``_ALNUM14.search(text) and _TOKEN26.search(text)``: 14 ASCII letters and digits in a
    row, and 26 characters without whitespace in a row (two regexes over every post were
    ~5 µs of a real tweet's time; most have neither)."""
    # Branch-free counting (the runs' ends are unpredictable: with branches this walk cost
    # ~3.7 ns a character, more than the other gates).
    alnum = 0
    token = 0
    most_alnum = 0
    most_token = 0
    for j in range(lo, hi):
        c = cc[j]
        al = np.int64(((cps[j] >= 0x30) & (cps[j] <= 0x39)) | ((c & LATIN) != 0))
        alnum = (alnum + 1) * al
        token = (token + 1) * np.int64((c & SPACE) == 0)
        most_alnum = max(most_alnum, alnum)
        most_token = max(most_token, token)
    return most_alnum >= 14 and most_token >= 26


def _words_gate(cps, lo, hi, stems, hint_cps, hint_len, hint_at):
    """``prices.may_have_price_words``, exactly: one of its hints in the text. Each hint holds
    one of the two-character stems (``stems``, packed as ``_code`` packs them) ``hint_at``
    characters in, so a hint is compared only where a stem is."""
    for j in range(lo, hi - 1):
        pair = (np.int64(cps[j]) << 21) | np.int64(cps[j + 1])
        for s in stems:
            if pair != s:
                continue
            for h in range(hint_len.shape[0]):
                a = j - hint_at[h]
                if a < lo or a + hint_len[h] > hi:
                    continue
                q = 0
                while q < hint_len[h] and cps[a + q] == hint_cps[h, q]:
                    q += 1
                if q == hint_len[h]:
                    return True
    return False


def _place_runs(cps, cc, lo, hi, lower, place_keys, place_bits, spans, k):
    """Where ``places.find_places`` can start a mention: the word runs (the gazetteer's word
    characters, classed by their lower case as ``find_places`` reads the lower-cased text)
    whose lower case hashes to the first word of an alias, with or without its proclitic.
    Written to ``spans[k:]`` as (start, end) offsets in the text; returns the new ``k``."""
    j = lo
    while j < hi:
        if not cc[j] & LPWORD:
            j += 1
            continue
        s = j
        while j < hi and cc[j] & LPWORD:
            j += 1
        h, odd = _word_hash(cps, s, j, lower)
        if odd or _has_hash(place_keys, place_bits, h):
            spans[k, 0] = s - lo
            spans[k, 1] = j - lo
            k += 1
    return k


def _cue_tokens(cps, cc, lo, hi, lower, cue_keys, cue_bits, spans, k):
    """The tokens ``context.cue_regions`` may find a dialect word in: each whitespace-separated
    token, its end punctuation stripped, whose lower case hashes to a cue (or is ambiguous).
    Written to ``spans[k:]`` as offsets in the text; returns the new ``k``. (The hash-and-keep
    steps are those of ``_place_runs``, written out: a shared helper, inlined, made numba's
    code for the whole pass ~0.8 µs a post slower.)"""
    j = lo
    while j < hi:
        if cc[j] & SPACE:
            j += 1
            continue
        s = j
        while j < hi and not cc[j] & SPACE:
            j += 1
        a, b = s, j
        while a < b and cc[a] & CUEP:
            a += 1
        while b > a and cc[b - 1] & CUEP:
            b -= 1
        if a < b:
            h, odd = _word_hash(cps, a, b, lower)
            if odd or _has_hash(cue_keys, cue_bits, h):
                spans[k, 0] = a - lo
                spans[k, 1] = b - lo
                k += 1
    return k


def _handle_char(c, first):
    """[A-Za-z0-9_], and with ``first`` False also "." (links.HANDLE_RE)."""
    return (0x30 <= c <= 0x39) or (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A) or c == 0x5F or (not first and c == 0x2E)


def _handles(cps, lo, hi, spans, k):
    """``links.find_handles``: an "@" not after a letter, digit, "_", "." or "/", then a
    handle character and up to 31 more (dots too), the dots at the end dropped; kept when two
    characters or more remain and one is a Latin letter. Written to ``spans[k:]`` as the
    (start, end) of "@name" in the text; returns the new ``k``."""
    for j in range(lo, hi - 1):
        if cps[j] != 0x40:
            continue
        if j > lo and (_handle_char(cps[j - 1], False) or cps[j - 1] == 0x2F):
            continue
        if not _handle_char(cps[j + 1], True):
            continue
        e = j + 2
        while e < hi and e - j - 1 < 32 and _handle_char(cps[e], False):
            e += 1
        while e > j + 1 and cps[e - 1] == 0x2E:
            e -= 1
        if e - j - 1 < 2:
            continue
        letter = False
        for q in range(j + 1, e):
            c = cps[q]
            if (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A):
                letter = True
                break
        if letter:
            spans[k, 0] = j - lo
            spans[k, 1] = e - lo
            k += 1
    return k


def _gates_loop(cps, starts, cls, lower, after2, after3, ends1, ends2, ends3, stems, digit_words, place_keys,
                place_bits, max_word, cue_keys, cue_bits, hint_cps, hint_len, hint_at):
    n = starts.shape[0] - 1
    out = np.zeros(n, dtype=np.uint8)
    spans = np.empty((cps.shape[0] // 2 + 1, 2), dtype=np.int64)     # runs are 1+ characters apart
    first = np.zeros(n + 1, dtype=np.int64)
    cspans = np.empty((cps.shape[0] // 2 + 1, 2), dtype=np.int64)    # so are tokens
    cfirst = np.zeros(n + 1, dtype=np.int64)
    kc = 0
    hspans = np.empty((cps.shape[0] // 3 + 1, 2), dtype=np.int64)    # and handles ("@ab" at least)
    hfirst = np.zeros(n + 1, dtype=np.int64)
    kh = 0
    cc = np.empty(cps.shape[0], dtype=np.uint16)      # each character's classes, looked up once
    for j in range(cps.shape[0]):
        cc[j] = _cls(cls, cps[j])
    k = 0
    for t in range(n):
        lo, hi = starts[t], starts[t + 1]
        g = 0
        if _phone_gate(cps, cc, lo, hi, lower, digit_words, max_word):
            g |= PHONE
        if _price_gate(cps, cc, lo, hi, after2, after3, ends1, ends2, ends3):
            g |= PRICE
        if _wallet_gate(cps, cc, lo, hi):
            g |= WALLET
        if _words_gate(cps, lo, hi, stems, hint_cps, hint_len, hint_at):
            g |= WORDS
        first[t] = k
        k = _place_runs(cps, cc, lo, hi, lower, place_keys, place_bits, spans, k)
        if k > first[t]:
            g |= PLACE
        out[t] = g
        cfirst[t] = kc
        if g & (PHONE | PRICE | WORDS):      # only the phone and price finders ask for the region
            kc = _cue_tokens(cps, cc, lo, hi, lower, cue_keys, cue_bits, cspans, kc)
        hfirst[t] = kh
        kh = _handles(cps, lo, hi, hspans, kh)
    first[n] = k
    cfirst[n] = kc
    hfirst[n] = kh
    return out, spans[:k], first, cspans[:kc], cfirst, hspans[:kh], hfirst


TEN_CP = ord(TEN)

if _nb is not None:
    _cls = _nb.njit(cache=True, inline="always")(_cls)
    _lower = _nb.njit(cache=True, inline="always")(_lower)
    _has = _nb.njit(cache=True, inline="always")(_has)
    _has_hash = _nb.njit(cache=True, inline="always")(_has_hash)
    _word_hash = _nb.njit(cache=True, inline="always")(_word_hash)
    _phone_gate = _nb.njit(cache=True, inline="always")(_phone_gate)
    _price_gate = _nb.njit(cache=True, inline="always")(_price_gate)
    _wallet_gate = _nb.njit(cache=True, inline="always")(_wallet_gate)
    _words_gate = _nb.njit(cache=True, inline="always")(_words_gate)
    _place_runs = _nb.njit(cache=True, inline="always")(_place_runs)
    _cue_tokens = _nb.njit(cache=True, inline="always")(_cue_tokens)
    _handle_char = _nb.njit(cache=True, inline="always")(_handle_char)
    _handles = _nb.njit(cache=True, inline="always")(_handles)
    _gates_kernel = _nb.njit(cache=True, nogil=True)(_gates_loop)


class Gates(NamedTuple):
    """What the pass found, per text: ``bits`` (PHONE, PRICE, PLACE, WORDS, WALLET), ``places``
    (the (start, end) spans of the words a place mention may start with, ``None`` for none)
    and ``cues`` (the stripped tokens that may be a dialect word; ``None`` where the phone and
    price gates are shut: nothing there asks for the poster's region); ``handles``: the
    (start, end) of each "@name" mention, exactly those ``links.find_handles`` finds."""

    bits: list[int]
    places: list[list[tuple[int, int]] | None]
    cues: list[list[tuple[int, int]] | None]
    handles: list[list[tuple[int, int]] | None]


def _per_text(spans: np.ndarray, first: np.ndarray, none) -> list:
    """Each text's slice of ``spans`` (from ``first[t]`` to ``first[t + 1]``) as a list of
    (start, end), ``none`` for a text with none: only the texts with some are visited (most
    have no place or cue word, and a slice per text cost ~0.5 µs a post)."""
    out = [none] * (len(first) - 1)
    has = np.flatnonzero(first[1:] != first[:-1])
    if len(has):
        flat = list(map(tuple, spans.tolist()))
        for t, a, b in zip(has.tolist(), first[has].tolist(), first[has + 1].tolist()):
            out[t] = flat[a:b]
    return out


def open_gates(texts: list[str]) -> Gates:
    """The gates of each text (``Gates``); ``find_places`` checks the place spans it is given
    and ``RegionContext`` the cue tokens. Without numba every gate is open and the finders
    read the whole text."""
    if _nb is None or not texts:
        bits = [ALL | WALLET if may_have_price_words(t) else (ALL | WALLET) & ~WORDS for t in texts]
        return Gates(bits, [None] * len(texts), [None] * len(texts), [None] * len(texts))
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=starts[1:])
    bits, spans, first, cspans, cfirst, hspans, hfirst = _gates_kernel(cps, starts, *tables())
    cues = _per_text(cspans, cfirst, ())
    # A text whose tokens were not walked (no phone or price can be read in it) gets None:
    # "not gated", should anything ask.
    for t in np.flatnonzero((bits & (PHONE | PRICE | WORDS)) == 0).tolist():
        cues[t] = None
    return Gates(bits.tolist(), _per_text(spans, first, None), cues, _per_text(hspans, hfirst, ()))
