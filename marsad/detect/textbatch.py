"""A batch of texts analysed at once as arrays: folding, tokens, n-gram and character-gram
hashes, and the map from folded offsets back to the original text.

Why arrays and not a loop per post: folding with ``str.translate`` and regexes, a token list,
an n-gram loop and feature strings hashed one by one cost ~600 µs on a 300-character post in
Python. The same steps over the concatenated code points of a thousand posts are a few dozen
numpy operations, a few µs a post. The per-post Python that remains runs only where something
was found (a lexicon hit, a pattern candidate). The character loops (folding, token bounds,
character-gram marks) are compiled with numba, one pass each; their numpy form is kept as
the reference the tests hold them to.

Folding here is ``marsad.normalize.arabic.fold`` done character by character through a table
(NFKC, no diacritics/tatweel/invisibles, letter variants, ASCII digits, casefold), followed by
whitespace collapsing and letter-elongation squeezing. Characters whose fold is longer than
one character (ﻻ, ß, ligatures) are expanded in place. A text that is not in NFC (a combining
accent typed after its letter) is normalised first and gets ``exact[i] = False``: its offsets
are no longer those of the original text.

Hashes are polynomial hashes over code points, modulo 2**64 (numpy's wrapping uint64
arithmetic), so a token's hash is a difference of two prefix sums. They are stable across
processes (unlike ``hash(str)``), which the cached model needs. A lexicon hit found by hash is
checked against the folded string, so a collision can never invent an indicator.
"""
from __future__ import annotations

import hashlib
import io
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

from marsad.normalize.arabic import fold
from marsad.settings import cached_bytes

try:  # pragma: no cover - numba is a dependency; the numpy path is kept as its reference
    import numba as _nb
except ImportError:  # pragma: no cover
    _nb = None
# Set to False to run the numpy reference (the tests compare the two).
COMPILED = True

LUT_SIZE = 0x20000            # the BMP and plane 1 (emoji, mathematical letters); above: kept
DELETE, MULTI = 0x110000, 0x110001
SPACE, MARK = 32, 1           # MARK stands for "outside a token" in character grams
MAX_NGRAM = 4
MAX_TOKENS = 400              # features come from a post's first 400 tokens (a 1 MB post adds cost, not signal)
_P = np.uint64(0x100000001B3)          # odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2 ** 64))
_Q = np.uint64(0x9E3779B97F4A7C15)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
SALT_WORD, SALT_BIGRAM, SALT_CHAR = np.uint64(0x5157), np.uint64(0xB161), np.uint64(0xC4A2)
# Arabic proclitics stripped from a token that keeps >= 3 Arabic letters (والحراقة -> حراقة),
# tried in this order like the alternation they replace.
PROCLITICS = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ف", "ل")
# Which code points can start a proclitic, as a table (np.isin sorts its inputs on every call:
# 80 µs for a one-post batch).
_CLITIC_FIRST = np.zeros(LUT_SIZE, dtype=bool)
_CLITIC_FIRST[[ord(p[0]) for p in PROCLITICS]] = True


def mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads a polynomial hash over all 64 bits."""
    h = (h ^ (h >> _S30)) * _M1
    h = (h ^ (h >> _S27)) * _M2
    return h ^ (h >> _S31)


# ---- tables -----------------------------------------------------------------------------------

class Tables:
    """Per-code-point tables for code points < LUT_SIZE, built once per process from ``fold``
    itself (~0.5 s), so the two can never disagree.

    ``fold``: the folded code point, or DELETE, or MULTI (then ``expansion[off:off+n]``, e.g.
    … -> ..., ﻻ -> لا); ``word``: a token character (``str.isalnum``); ``letter``: a word
    character that is not a digit (only letters are squeezed)."""

    def __init__(self):
        self.fold = np.empty(LUT_SIZE, dtype=np.uint32)
        self.width = np.ones(LUT_SIZE, dtype=np.int64)     # folded length: 0, 1 or more
        self.offset = np.zeros(LUT_SIZE, dtype=np.int64)
        self.word = np.zeros(LUT_SIZE, dtype=bool)
        self.letter = np.zeros(LUT_SIZE, dtype=bool)
        flat: list[int] = []
        for cp in range(LUT_SIZE):
            c = chr(cp)
            if 0xD800 <= cp < 0xE000:           # lone surrogates: kept, never a token
                self.fold[cp] = cp
                continue
            f = " " if c.isspace() else c.lower() if c.isascii() else fold(c)
            self.width[cp] = len(f)
            self.fold[cp] = DELETE if not f else ord(f) if len(f) == 1 else MULTI
            if len(f) > 1:
                self.offset[cp] = len(flat)
                flat.extend(map(ord, f))
            self.word[cp] = c.isalnum()
            self.letter[cp] = c.isalnum() and not c.isdecimal()
        self.expansion = np.asarray(flat, dtype=np.uint32)


@lru_cache(maxsize=1)
def tables() -> Tables:
    """The tables, from the cache in $MARSAD_MODEL_DIR when this fold and Unicode version
    built them before (0.5 s saved on every process start)."""
    from marsad.normalize import arabic
    key = hashlib.sha256(Path(arabic.__file__).read_bytes() + Path(__file__).read_bytes()
                         + unicodedata.unidata_version.encode()).hexdigest()[:16]
    names = ("fold", "width", "offset", "word", "letter", "expansion")

    def build() -> bytes:
        t = Tables()
        buf = io.BytesIO()
        np.savez(buf, **{n: getattr(t, n) for n in names})
        return buf.getvalue()

    with np.load(io.BytesIO(cached_bytes(f"fold-tables-{key}.npz", build))) as z:
        t = Tables.__new__(Tables)
        for n in names:
            setattr(t, n, z[n])
    return t


def ragged_arange(lengths: np.ndarray) -> np.ndarray:
    """[0..l0-1, 0..l1-1, ...] for the given lengths."""
    ends = np.cumsum(lengths)
    return np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - lengths, lengths)


_POW_LOCK = threading.Lock()
_POWERS: list[np.ndarray] = [np.ones(1, np.uint64), np.ones(1, np.uint64)]


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i modulo 2**64 for i < n (grown geometrically, shared by threads)."""
    with _POW_LOCK:
        if len(_POWERS[0]) < n:
            size = max(n, 2 * len(_POWERS[0]), 1 << 20)   # 16 MB once
            with np.errstate(over="ignore"):
                pw = np.full(size, _P, dtype=np.uint64)
                pw[0] = 1
                inv = np.full(size, _P_INV, dtype=np.uint64)
                inv[0] = 1
                _POWERS[:] = [np.cumprod(pw, dtype=np.uint64), np.cumprod(inv, dtype=np.uint64)]
        return _POWERS[0], _POWERS[1]


# ---- folding and tokens: numpy, and the same compiled ----------------------------------------

def _fold_np(raw: np.ndarray, starts: np.ndarray, n: int, tb_: Tables):
    """(folded code points, their offset in their post's text, their post), with numpy: the
    reference for ``_fold_nb`` and the path when numba is missing. A post's separator has
    offset -1."""
    big = raw >= LUT_SIZE
    small_raw = np.where(big, 0, raw)
    codes = tb_.fold[small_raw]
    codes[big] = raw[big]
    width = tb_.width[small_raw]
    width[big] = 1
    gpos = np.repeat(np.arange(len(raw), dtype=np.int64), width)   # offset in the joined text
    multi = np.flatnonzero(codes == MULTI)
    codes = np.repeat(codes, width)                # DELETE has width 0: gone here
    if len(multi):                                 # … -> ..., ﻻ -> لا: fill the repeated slots
        w = width[multi]
        at = np.repeat((np.cumsum(width) - width)[multi], w) + ragged_arange(w)
        codes[at] = tb_.expansion[np.repeat(tb_.offset[raw[multi]], w) + ragged_arange(w)]
    # Whitespace runs to one space.
    sp = codes == SPACE
    keep = ~(sp & np.concatenate(([False], sp[:-1])))
    codes, gpos = codes[keep], gpos[keep]
    # Letter elongation (واتسااااب) squeezed to two; never digits.
    if len(codes) > 2:
        isl = np.zeros(len(codes), dtype=bool)
        small = codes < LUT_SIZE
        isl[small] = tb_.letter[codes[small]]
        drop = np.zeros(len(codes), dtype=bool)
        drop[2:] = (codes[2:] == codes[1:-1]) & (codes[1:-1] == codes[:-2]) & isl[2:]
        codes, gpos = codes[~drop], gpos[~drop]
    # The post of each joined-text position (its separator counts as the post's; the last
    # one as the last post's), gathered rather than searched for.
    post_at = np.empty(len(raw), dtype=np.int64)
    post_at[:len(raw) - 1] = np.repeat(np.arange(n, dtype=np.int64), np.diff(starts))
    post_at[len(raw) - 1:] = max(n - 1, 0)
    post = post_at[gpos]
    return codes, gpos - starts[post] - 1, post


def _tokens_np(codes: np.ndarray, word_t: np.ndarray):
    """(raw start, end, proclitic length) of every token, with numpy: the reference for
    ``_tokens_nb`` and the path when numba is missing."""
    n_chars = len(codes)
    isw = np.zeros(n_chars, dtype=bool)
    small = codes < LUT_SIZE
    isw[small] = word_t[codes[small]]
    if n_chars > 2:     # an apostrophe between two word characters is inside the word (don't, l'arrivée)
        ap = np.flatnonzero(codes[1:-1] == 39) + 1
        isw[ap] = isw[ap - 1] & isw[ap + 1]
    prev = np.concatenate(([False], isw[:-1]))
    nxt = np.concatenate((isw[1:], [False]))
    ts = np.flatnonzero(isw & ~prev)
    te = np.flatnonzero(isw & ~nxt) + 1
    # Clitic stripping: the first proclitic that leaves >= 3 Arabic letters.
    strip = np.zeros(len(ts), dtype=np.int64)
    length = te - ts
    # Only tokens of 4+ characters that start with a proclitic letter can lose one.
    cand = np.flatnonzero((length >= 4) & _CLITIC_FIRST[np.minimum(codes[ts], LUT_SIZE - 1)]) if len(ts) else ts
    if len(cand):
        arabic = (codes >= 0x600) & (codes <= 0x6FF)
        cs, cl = ts[cand], length[cand]
        todo = np.ones(len(cand), dtype=bool)
        last = n_chars - 1
        for pre in PROCLITICS:
            k = len(pre)
            ok = todo & (cl - k >= 3)
            for j, ch in enumerate(pre):
                ok &= codes[np.minimum(cs + j, last)] == ord(ch)
            for j in range(3):
                ok &= arabic[np.minimum(cs + k + j, last)]
            strip[cand[ok]] = k
            todo &= ~ok
    return ts, te, strip


def _marks_np(codes: np.ndarray, tok_start: np.ndarray, tok_end: np.ndarray, tok_post: np.ndarray,
              pw: np.ndarray):
    """(inside a token, prefix sums of the character-gram hash, token's rank in its post)."""
    n_chars = len(codes)
    # Character-gram view: token characters as they are, everything else one MARK.
    depth = np.zeros(n_chars + 1, dtype=np.int8)      # +1 where a token starts, -1 after it
    depth[tok_start] = 1
    depth[tok_end] = -1
    inside = np.cumsum(depth[:n_chars], dtype=np.int8) > 0
    marked = np.where(inside, codes, MARK).astype(np.uint64)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n_chars + 1, dtype=np.uint64)
        np.cumsum(marked * pw[:n_chars], out=prefix[1:])
    rank = np.arange(len(tok_start)) - np.searchsorted(tok_post, tok_post, side="left") \
        if len(tok_start) else np.zeros(0, np.int64)
    return inside, prefix, rank


def _grams_np(inside: np.ndarray, tok_start: np.ndarray, tok_end: np.ndarray, tok_rank: np.ndarray):
    """First character of every 4-character window of "<token>", tokens of 4+ characters
    among their post's first MAX_TOKENS."""
    n_chars = len(inside)
    j = np.arange(1, n_chars - 2)          # the window's second character
    j = j[inside[j] & inside[j + 1]]
    tid = np.cumsum(np.bincount(tok_start, minlength=n_chars)[:n_chars]) - 1
    t = tid[j]
    ok = ((tok_end - tok_start)[t] > 3) & (tok_rank[t] < MAX_TOKENS)
    return j[ok] - 1


# ---- the loops, compiled ------------------------------------------------------------------
# Why compiled: each step above is a numpy call over the whole batch, ~40 of them; they cost
# ~25 µs a post in a batch and ~0.5 ms for a one-post batch (numpy's per-call overhead). The
# same steps in one pass per character cost a few µs a post at any batch size. The numpy
# functions stay as the reference (the tests compare both) and for a Python without numba.

def _fold_loop(raw, starts, n, fold, width, offset, expansion, letter):  # pragma: no cover - compiled
    total = 0
    for r in range(raw.shape[0]):
        c = raw[r]
        total += 1 if c >= LUT_SIZE else width[c]
    codes = np.empty(total, np.uint32)
    orig = np.empty(total, np.int64)
    post = np.empty(total, np.int64)
    m = 0
    p = 0
    prev = -1              # the previous character before whitespace collapsing
    c1 = -1                # the previous two characters before squeezing
    c2 = -1
    for r in range(raw.shape[0]):
        while p + 1 < n and r >= starts[p + 1]:
            p += 1
        c = raw[r]
        if c >= LUT_SIZE:
            w = 1
            f = np.int64(c)
        else:
            w = width[c]
            f = np.int64(fold[c])
        for j in range(w):
            x = np.int64(expansion[offset[c] + j]) if f == MULTI else f
            if x == SPACE and prev == SPACE:
                continue
            prev = x
            drop = x == c1 and c1 == c2 and x < LUT_SIZE and letter[x]
            c2 = c1
            c1 = x
            if drop:
                continue
            codes[m] = x
            orig[m] = r - starts[p] - 1
            post[m] = p
            m += 1
    return codes[:m], orig[:m], post[:m]


def _tokens_loop(codes, word_t, clitic_first, clitics, clitic_len):  # pragma: no cover - compiled
    N = codes.shape[0]
    isw0 = np.zeros(N, np.bool_)
    for i in range(N):
        c = codes[i]
        isw0[i] = c < LUT_SIZE and word_t[c]
    isw = isw0.copy()
    for i in range(1, N - 1):
        if codes[i] == 39:
            isw[i] = isw0[i - 1] and isw0[i + 1]
    count = 0
    for i in range(N):
        if isw[i] and (i == 0 or not isw[i - 1]):
            count += 1
    ts = np.empty(count, np.int64)
    te = np.empty(count, np.int64)
    strip = np.zeros(count, np.int64)
    t = -1
    for i in range(N):
        if isw[i] and (i == 0 or not isw[i - 1]):
            t += 1
            ts[t] = i
        if isw[i] and (i == N - 1 or not isw[i + 1]):
            te[t] = i + 1
    for t in range(count):
        s = ts[t]
        length = te[t] - s
        c = codes[s]
        if length < 4 or c >= LUT_SIZE or not clitic_first[c]:
            continue
        for q in range(clitics.shape[0]):
            k = clitic_len[q]
            if length - k < 3:
                continue
            ok = True
            for j in range(k):
                if codes[s + j] != clitics[q, j]:
                    ok = False
                    break
            for j in range(3):
                if ok and not (0x600 <= codes[s + k + j] <= 0x6FF):
                    ok = False
            if ok:
                strip[t] = k
                break
    return ts, te, strip


def _marks_loop(codes, tok_start, tok_end, tok_post, pw):  # pragma: no cover - compiled
    n_chars = codes.shape[0]
    inside = np.zeros(n_chars, np.bool_)
    for t in range(tok_start.shape[0]):
        inside[tok_start[t]:tok_end[t]] = True
    prefix = np.zeros(n_chars + 1, np.uint64)
    acc = np.uint64(0)
    for i in range(n_chars):
        v = np.uint64(codes[i]) if inside[i] else np.uint64(MARK)
        acc += v * pw[i]
        prefix[i + 1] = acc
    rank = np.zeros(tok_start.shape[0], np.int64)
    for t in range(1, tok_start.shape[0]):
        if tok_post[t] == tok_post[t - 1]:
            rank[t] = rank[t - 1] + 1
    return inside, prefix, rank


def _grams_loop(inside, tok_start, tok_end, tok_rank):  # pragma: no cover - compiled
    n_chars = inside.shape[0]
    count = 0
    for t in range(tok_start.shape[0]):
        if tok_end[t] - tok_start[t] > 3 and tok_rank[t] < MAX_TOKENS:
            count += tok_end[t] - tok_start[t] - 1
    out = np.empty(count, np.int64)
    m = 0
    for t in range(tok_start.shape[0]):
        if tok_end[t] - tok_start[t] > 3 and tok_rank[t] < MAX_TOKENS:
            for i in range(tok_start[t] - 1, tok_end[t] - 2):
                if 1 <= i + 1 <= n_chars - 3:
                    out[m] = i
                    m += 1
    return out[:m]


def _window_hash_loop(prefix, inv, s, e):  # pragma: no cover - compiled
    out = np.empty(s.shape[0], np.uint64)
    for j in range(s.shape[0]):
        out[j] = _mix_one((prefix[e[j]] - prefix[s[j]]) * inv[s[j]])
    return out


def _salted_mix_loop(h, salt):  # pragma: no cover - compiled
    out = np.empty(h.shape[0], np.uint64)
    for j in range(h.shape[0]):
        out[j] = _mix_one(h[j] ^ salt)
    return out


def window_hashes(prefix: np.ndarray, inv: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``mix`` of the polynomial hash of each window [s, e) of the batch's characters. One
    compiled pass: as numpy, the gathers, product and the finaliser's six steps each made a
    temporary the size of the batch (~2 µs a post for the character grams alone)."""
    if _compiled():
        return _window_hash_nb(prefix, inv, s, e)
    with np.errstate(over="ignore"):
        return mix((prefix[e] - prefix[s]) * inv[s])


def salted_mix(h: np.ndarray, salt: np.uint64) -> np.ndarray:
    """``mix(h ^ salt)``, compiled when it can be (see ``window_hashes``)."""
    if _compiled():
        return _salted_mix_nb(h, salt)
    with np.errstate(over="ignore"):
        return mix(h ^ salt)


def _ngrams_loop(h, tok_post, k):  # pragma: no cover - compiled
    m = h.shape[0] - k + 1
    count = 0
    for i in range(m):
        if tok_post[i] == tok_post[i + k - 1]:
            count += 1
    idx = np.empty(count, np.int64)
    out = np.empty(count, np.uint64)
    c = 0
    for i in range(m):
        if tok_post[i] == tok_post[i + k - 1]:
            g = h[i]
            for j in range(1, k):
                g = _mix_one(g * _Q + h[i + j])
            idx[c] = i
            out[c] = g
            c += 1
    return idx, out


_CLITIC_LEN = np.array([len(p) for p in PROCLITICS], dtype=np.int64)
_CLITICS = np.zeros((len(PROCLITICS), int(_CLITIC_LEN.max())), dtype=np.uint32)
for _q, _p in enumerate(PROCLITICS):
    _CLITICS[_q, :len(_p)] = [ord(ch) for ch in _p]

if _nb is not None:
    _mix_one = _nb.njit(cache=True, nogil=True, inline="always")(mix)     # the same steps on one hash
    _fold_kernel = _nb.njit(cache=True, nogil=True)(_fold_loop)
    _tokens_kernel = _nb.njit(cache=True, nogil=True)(_tokens_loop)

    def _fold_nb(raw: np.ndarray, starts: np.ndarray, n: int, tb_: Tables):
        return _fold_kernel(raw, starts, n, tb_.fold, tb_.width, tb_.offset, tb_.expansion, tb_.letter)

    def _tokens_nb(codes: np.ndarray, word_t: np.ndarray):
        return _tokens_kernel(codes, word_t, _CLITIC_FIRST, _CLITICS, _CLITIC_LEN)

    _marks_nb = _nb.njit(cache=True, nogil=True)(_marks_loop)
    _grams_nb = _nb.njit(cache=True, nogil=True)(_grams_loop)
    _ngrams_nb = _nb.njit(cache=True, nogil=True)(_ngrams_loop)
    _window_hash_nb = _nb.njit(cache=True, nogil=True)(_window_hash_loop)
    _salted_mix_nb = _nb.njit(cache=True, nogil=True)(_salted_mix_loop)


def _compiled() -> bool:
    """Whether the compiled loops run (numba is there and the tests did not turn them off)."""
    return _nb is not None and COMPILED


# ---- the batch --------------------------------------------------------------------------------

class TextBatch:
    """Folded code points, tokens and hashes of ``texts``.

    Arrays over folded characters: ``codes``, ``orig`` (offset in the original text of the
    post), ``post``. Arrays over tokens: ``tok_start`` (after clitic stripping), ``tok_raw``
    (with the clitic), ``tok_end``, ``tok_post``, ``tok_hash``. ``folded`` is the folded text
    of the whole batch as one string (posts separated by one space), ``fstart``/``fend``
    each post's slice of it.
    """

    def __init__(self, texts: list[str]):
        n = self.n = len(texts)
        self.exact = np.ones(n, dtype=bool)
        tb_ = tables()
        work = list(texts)
        for i, t in enumerate(work):
            if not t.isascii() and not unicodedata.is_normalized("NFC", t):
                work[i] = unicodedata.normalize("NFC", t)
                self.exact[i] = False
        # One separator before each post and one after the last, so that every token has a
        # non-token character on both sides (the "<" and ">" of its character grams).
        lens = np.fromiter(map(len, work), dtype=np.int64, count=n)
        starts = np.zeros(n + 1, dtype=np.int64)          # offset of the separator before post p
        np.cumsum(lens + 1, out=starts[1:])
        raw = np.frombuffer(("\n" + "\n".join(work) + "\n").encode("utf-32-le", "surrogatepass"),
                            dtype=np.uint32) if n else np.zeros(0, np.uint32)
        self.codes, self.orig, self.post = (_fold_nb if _compiled() else _fold_np)(raw, starts, n, tb_)
        codes, post = self.codes, self.post
        self.fstart = np.searchsorted(post, np.arange(n), side="left")
        self.fend = np.searchsorted(post, np.arange(n), side="right")
        self.folded = codes.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
        self._tokens(tb_.word)

    def _tokens(self, word_t: np.ndarray) -> None:
        codes, n_chars = self.codes, len(self.codes)
        ts, te, strip = (_tokens_nb if _compiled() else _tokens_np)(codes, word_t)
        self.tok_raw = ts
        self.tok_end = te
        self.tok_post = self.post[ts] if len(ts) else np.zeros(0, np.int64)
        self.tok_start = ts + strip
        pw, inv = _powers(n_chars + 1)
        self.inside, prefix, self.tok_rank = (_marks_nb if _compiled() else _marks_np)(
            codes, self.tok_start, te, self.tok_post, pw)
        self._prefix, self._inv = prefix, inv
        self.tok_hash = window_hashes(prefix, inv, self.tok_start, te)

    # ---- views ---------------------------------------------------------------------------
    def ngrams(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(token index of the first token, hash) of every k-token window inside one post."""
        h = self.tok_hash
        m = len(h) - k + 1
        if m <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        if _compiled():
            return _ngrams_nb(h, self.tok_post, k)
        idx = np.arange(m)
        g = h[:m].copy()
        with np.errstate(over="ignore"):
            for j in range(1, k):
                g = mix(g * _Q + h[j:j + m])
        ok = self.tok_post[:m] == self.tok_post[k - 1:]
        return idx[ok], g[ok]

    def token_text(self, i: int, k: int = 1, raw: bool = False) -> str:
        """The folded text of tokens i..i+k-1, space-joined (the lexicon key form)."""
        start = self.tok_raw if raw else self.tok_start
        f = self.folded
        return " ".join(f[start[j]:self.tok_end[j]] for j in range(i, i + k))

    def spans(self, fs: np.ndarray, fe: np.ndarray) -> list[tuple[int, int]]:
        """Original-text spans of the global folded ranges [fs, fe) (each inside one post)."""
        starts = np.maximum(self.orig[fs], 0).tolist()
        ends = np.maximum(self.orig[np.asarray(fe) - 1] + 1, 0).tolist()
        return list(zip(starts, ends))

    def post_folded(self, p: int) -> str:
        return self.folded[self.fstart[p]:self.fend[p]].strip()

    def char_grams(self) -> tuple[np.ndarray, np.ndarray]:
        """(post, hash) of every 4-character window of "<token>" for tokens of 4+ letters,
        within each post's first MAX_TOKENS tokens."""
        n_chars = len(self.codes)
        if n_chars < 4:
            return np.zeros(0, np.int64), np.zeros(0, np.uint64)
        i = (_grams_nb if _compiled() else _grams_np)(
            self.inside, self.tok_start, self.tok_end, self.tok_rank)
        return self.post[i + 1], window_hashes(self._prefix, self._inv, i, i + 4)

    def features(self) -> tuple[np.ndarray, np.ndarray]:
        """(post, hash) of the model's text features: words, word bigrams, character 4-grams."""
        keep = self.tok_rank < MAX_TOKENS
        wp, wh = self.tok_post[keep], self.tok_hash[keep]
        bi, bh = self.ngrams(2)
        bk = self.tok_rank[bi] < MAX_TOKENS
        cp, ch = self.char_grams()
        posts = np.concatenate((wp, self.tok_post[bi[bk]], cp))
        hashes = np.concatenate((salted_mix(wh, SALT_WORD), salted_mix(bh[bk], SALT_BIGRAM),
                                 salted_mix(ch, SALT_CHAR)))
        return posts, hashes
