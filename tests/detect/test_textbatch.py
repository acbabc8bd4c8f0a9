"""The array path (TextBatch, PatternSet) must say exactly what the per-text definitions say:
``fold`` for folding, Python's ``re`` for patterns, and offsets that point into the original."""
from __future__ import annotations

import re

import numpy as np
import pytest

from marsad.detect.lexicon import Lexicon, tokens
from marsad.detect.prefilter import PatternSet, superset
from marsad.detect.textbatch import TextBatch
from marsad.normalize.arabic import fold

TEXTS = [
    "رحلة مضمونة من زوارة ٣٠٠٠ يورو!!! واتسااااب",
    "  Don't PAY before l'arrivée   ",
    "",
    "😀😀😀",
    "ﻻ إله ﷺ Straße",                      # multi-character folds
    "e\u0301te\u0301 cafe\u0301",            # not NFC: a combining accent after its letter
    "bad \ud800 surrogate",                  # a lone surrogate from a broken decoder
    "ال\u0640\u0640حراقة\u200b والحرقة ١٢٣ ۴۵۶ Mixed عربي English",
    "İstanbul'dan Yunanistan'a geçiş",
    "\n\t tabs\nand\nlines \u00a0nbsp",
]


def test_folding_matches_fold_text_by_text():
    tb = TextBatch(TEXTS)
    for i, t in enumerate(TEXTS):
        assert tb.post_folded(i) == fold(t), t


def _random_texts(seed: int, n: int) -> list[str]:
    """Texts made of the characters the batch treats specially: folds to nothing, to several
    characters, whitespace runs, elongation, apostrophes, proclitics, lone surrogates,
    characters above the tables, decomposed accents."""
    import random
    rnd = random.Random(seed)
    alphabet = list("ab 'ـﻻ…\n\t  ااا") + ["\ud800", "\U0001F600", "\U00020000", "ﷺ", "ß", "İ", "e\u0301",
                                            "٣", "۴", "و", "ب", "ال", "لل", "ح", "ر", "ق", "\u200b"]
    return ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 60))) for _ in range(n)]


@pytest.mark.parametrize("batch", [TEXTS, _random_texts(1, 400), _random_texts(2, 1)[:1], [], [""], ["a"], ["\n"]])
def test_compiled_loops_say_what_the_numpy_reference_says(batch, monkeypatch):
    import marsad.detect.textbatch as T
    if T._nb is None:
        pytest.skip("numba is not installed: only the numpy path runs")
    compiled = T.TextBatch(batch)
    compiled_features = compiled.features()
    compiled_ngrams = [compiled.ngrams(k) for k in (1, 2, 3, 4)]
    monkeypatch.setattr(T, "COMPILED", False)
    reference = T.TextBatch(batch)
    for name in ("codes", "orig", "post", "fstart", "fend", "tok_raw", "tok_start", "tok_end", "tok_post",
                 "tok_hash", "tok_rank", "inside", "_prefix"):
        a, b = getattr(compiled, name), getattr(reference, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert compiled.folded == reference.folded
    for a, b in zip(compiled_features, reference.features()):
        assert np.array_equal(a, b)
    for k, (a, b) in enumerate(compiled_ngrams, 1):
        c, d = reference.ngrams(k)
        assert a.dtype == c.dtype and b.dtype == d.dtype and np.array_equal(a, c) and np.array_equal(b, d), k


def test_tokens_and_clitics():
    assert tokens("والحراقة من زوارة") == ["حراقه", "من", "زواره"]
    assert tokens("ولد") == ["ولد"]                  # too short to lose its و
    assert tokens("don't pay, l'arrivée!") == ["don't", "pay", "l'arrivée"]
    assert tokens("") == [] and tokens("😀") == []


def test_offsets_point_into_the_original_text():
    tb = TextBatch(TEXTS)
    for t in range(len(tb.tok_start)):
        p = int(tb.tok_post[t])
        if not tb.exact[p]:
            continue
        [(s, e)] = tb.spans(tb.tok_raw[[t]], tb.tok_end[[t]])
        written = TEXTS[p][s:e]
        assert tb.token_text(t) in fold(written), (written, tb.token_text(t))
    assert not tb.exact[5] and tb.exact[0]


def test_hashes_do_not_depend_on_the_batch():
    alone = TextBatch(["حراقة من زوارة"])
    together = TextBatch(["something else first", "حراقة من زوارة", "and after"])
    mine = together.tok_hash[together.tok_post == 1]
    assert np.array_equal(alone.tok_hash, mine)
    a, b = alone.features(), together.features()
    assert sorted(a[1].tolist()) == sorted(b[1][b[0] == 1].tolist())


def test_ngram_windows_stay_inside_a_post():
    tb = TextBatch(["one two", "three four five"])
    first, _ = tb.ngrams(2)
    assert [tb.token_text(int(i), 2) for i in first] == ["one two", "three four", "four five"]


def test_lexicon_spans_are_on_the_original_text():
    lex = Lexicon()
    text = "عندنا رحلة مضمونة من زوارة، والدفع بعد الوصول"
    hits = lex.match(text)
    assert hits
    for h in hits:
        s, e = h.span
        assert fold(text[s:e]).endswith(h.folded.split(" ")[-1]) or h.entry.phrase.startswith("(")


# ---- the pattern prefilter ------------------------------------------------------------------

PATTERNS = [
    r"\bgame\b.{0,25}\b(?:to|from|into)\s+(?:italy|austria)",
    r"(?:جواز\w*|باسبور\w*|passports?)\W+(?:\w+\W+){0,4}(?:رخص\w*|اقام\w*|visas?)",
    r"\d[\d.,]*\s*(?:k|الف)?\s*(?:€|\$|يورو)\s*(?:pp|للشخص)",
    r"[\U0001F1E6-\U0001F1FF]{2}\s*(?:\u27a1\ufe0f?|→|->)\s*[\U0001F1E6-\U0001F1FF]{2}",
    r"[^\W_]{3}(?=ab)",
    r"(\w)\1{3}",                       # a back-reference: the prefilter approximates it
]
SAMPLES = [
    "the game from italy next week", "game to austria", "gamestop to italy",
    "جواز سفر و اقامه وكمان رخصه", "passport and visa in 3 days", "passports, ids and visas",
    "3000 يورو للشخص", "2,500€ pp", "4k € pp only", "🇱🇾 ➡️ 🇮🇹", "🇱🇾->🇮🇹", "xyzab", "aaaa", "abcd",
    "", "nothing here at all", "جوازات الجوازات بلا اقامه",
]


def test_superset_patterns_compile_and_keep_every_match():
    ps = PatternSet([re.compile(p) for p in PATTERNS])
    got = ps.search(SAMPLES)
    for text, found in zip(SAMPLES, got):
        want = [(i, m.span()) for i, p in enumerate(PATTERNS) if (m := re.search(p, text))]
        assert [(i, m.span()) for i, m in found] == want, text


def test_superset_rewrites_the_escapes_hyperscan_reads_differently():
    assert superset(r"\bab\b") == "ab"
    assert superset(r"\U0001F1E6") == r"\x{0001F1E6}"
    assert "\\x{80}" in superset(r"\w+") and "\\x{80}" in superset(r"[\d.]")
    assert superset(r"[^\W_]") == r"[\x00-\x{10FFFF}]"


def test_superset_reads_a_counted_group_as_any_characters():
    """A window of words between two literals is the costly part for Hyperscan: it becomes
    "anything", lookarounds and uncounted groups stay as written."""
    anything = r"[\x00-\x{10FFFF}]*"
    assert superset(r"ab(?:\w+\W+){0,3}cd") == "ab" + anything + "cd"
    assert superset(r"a(x[)(]y){2}?b") == "a" + anything + "b"
    assert superset(r"(?:ab|cd)+e(?!f){1}") == "(?:ab|cd)+e(?!f){1}"


def test_shipped_patterns_agree_with_re_on_mixed_text():
    lex = Lexicon()
    rxs = [rx for rx, _ in lex.patterns]
    texts = [fold(t) for t in SAMPLES + TEXTS + [
        "الدفع بعد الوصول 3000 يورو للشخص", "pay after arrival, kids free", "باقي 3 بلايص",
        "jobs in dubai, ticket deducted from salary", "عمرها 25 سنه 3000 ريال تنازل"]]
    for text, found in zip(texts, lex.pattern_set.search(texts)):
        want = [(i, m.span()) for i, rx in enumerate(rxs) if (m := rx.search(text))]
        assert [(i, m.span()) for i, m in found] == want, text


def test_patterns_hyperscan_rejects_still_run(monkeypatch):
    ps = PatternSet([re.compile(r"(?<=x)ab")])
    ps._db, ps.always = None, [0]            # as on a machine without the hyperscan wheel
    assert [[i for i, _ in f] for f in ps.search(["xab", "ab"])] == [[0], []]


@pytest.mark.parametrize("text", ["a" * 1_000_000, "٣" * 10_000, "\u0640" * 5000, "🇱🇾" * 2000])
def test_big_and_odd_texts(text):
    tb = TextBatch([text, "after"])
    assert tb.post_folded(1) == "after"
    assert len(tb.features()[0]) > 0


def test_cached_tables_and_pattern_database_survive_a_bad_cache(tmp_path, monkeypatch):
    """Both are cached in $MARSAD_MODEL_DIR; a damaged pattern database is rebuilt, not trusted."""
    import marsad.detect.prefilter as prefilter
    import marsad.detect.textbatch as textbatch
    monkeypatch.setenv("MARSAD_MODEL_DIR", str(tmp_path))
    textbatch.tables.cache_clear()
    try:
        first = TextBatch(TEXTS).folded
        assert list(tmp_path.glob("fold-tables-*.npz"))
        textbatch.tables.cache_clear()
        assert TextBatch(TEXTS).folded == first          # read back from the cache
    finally:
        textbatch.tables.cache_clear()
    rxs = [re.compile(p) for p in PATTERNS]
    PatternSet(rxs)
    [db] = tmp_path.glob("patterns-*.hsdb")
    db.write_bytes(b"[]\nnot a database")
    ps = PatternSet(rxs)
    assert ps._db is not None or not prefilter.hyperscan     # rebuilt, not fallen back to re
    got = ps.search(SAMPLES)
    for text, found in zip(SAMPLES, got):
        assert [(i, m.span()) for i, m in found] == [(i, m.span()) for i, p in enumerate(PATTERNS)
                                                    if (m := re.search(p, text))]


def test_price_hints_keep_every_price_form():
    """The character check in front of the price patterns must let every written form through."""
    from marsad.detect.entities import extract

    for text, amount in (("٣٠٠٠ يورو للشخص", 3000), ("4k euro", 4000), ("2500e", 2500), ("2.500€", 2500),
                         ("$1,800 cash", 1800), ("السعر 2500", 2500), ("70 مليون سنتيم", 700000),
                         ("۴۵ میلیون تومان", 450000000), ("3 آلاف يورو", 3000), ("4k e each", 4000)):
        assert [p["amount"] for p in extract(text).entities["prices"]] == [amount], text
