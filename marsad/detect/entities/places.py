"""Place names from the gazetteer, as written, and the routes a post states between them.

Why a token index and not one big regex: Python's ``re`` tries every alternative of a
1,500-name alternation at every position (~1 ms a post). Instead the text is split into word
tokens once, and the set of tokens is intersected (in C) with the set of first tokens of all
aliases, including every Arabic alias with its proclitics attached (و ب ل ف ك ...); only the
rare hits are checked in Python. A post without a place costs a few microseconds.

A place is returned as written, without the attached proclitic: ``لليونان`` → ``اليونان``
(ل + اليونان, whose alef the spelling drops), ``وبنغازي`` → ``بنغازي``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from itertools import filterfalse
from typing import NamedTuple

from . import gazetteer

# Word characters plus Arabic diacritics (عمّان) and the Persian zero-width non-joiner.
_WORD = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200c]+")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Proclitics written attached to an Arabic-script word (conjunction, prepositions, and their
# combinations), optionally with a tatweel (لـلامبيدوزا).
_PROCLITICS = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك", "لـ", "بـ", "ولـ", "وبـ")
# Ge'ez prepositions written attached (ከሱዳን "from Sudan", በሊቢያ "through Libya").
_GEEZ = re.compile(r"[\u1200-\u137f]")
_GEEZ_PROCLITICS = ("ከ", "በ", "ለ", "የ", "ወደ", "ካብ", "ናብ", "ኣብ", "ብ", "ን")
_GAP_OK = re.compile(r"[\s\-'’.·]{1,3}")


class Place(NamedTuple):
    """One mention: ``text`` as written (no proclitic), span on the original text. A
    NamedTuple: built for every mention, and a frozen dataclass costs 5x more to build."""

    text: str
    start: int
    end: int
    canonical: str
    country: str
    kind: str
    role: str
    proclitic: str = ""


@dataclass(frozen=True, slots=True)
class _Alias:
    tokens: tuple[str, ...]     # lower-cased word tokens of the alias (first one as keyed)
    exact: tuple[str, ...] | None   # for case-sensitive aliases: tokens as written
    prefix: str                 # proclitic attached to the first token in this variant
    restore: str                # text put back in front when the proclitic ate a letter (لل → ال)
    place: int                  # index into the gazetteer list
    suffix: str = ""            # inflection attached to the last token (Kurmanji -ê)
    caps_ok: bool = False       # an `exact` alias also matches in capitals (JOBS IN TURKEY)


@cache
def _index() -> tuple[dict[str, list[_Alias]], frozenset[str], list[tuple]]:
    entries = gazetteer.places()
    index: dict[str, list[_Alias]] = {}

    def add(key: str, alias: _Alias) -> None:
        index.setdefault(key, []).append(alias)

    for i, entry in enumerate(entries):
        exact_names = set(map(str, entry.get("exact") or ()))
        for lang, names in entry.items():
            if lang in ("name", "cc", "kind", "role", "exact") or not isinstance(names, list):
                continue
            for name in names:
                name = str(name)
                toks = tuple(_WORD.findall(lower_same_length(name)))
                if not toks:
                    continue
                if _GEEZ.search(name):
                    add(toks[0], _Alias(toks, None, "", "", i))
                    for p in _GEEZ_PROCLITICS:
                        add(p + toks[0], _Alias(toks, None, p, "", i))
                    continue
                if _ARABIC.search(name):
                    add(toks[0], _Alias(toks, None, "", "", i))
                    for p in _PROCLITICS:
                        add(p + toks[0], _Alias(toks, None, p, "", i))
                    if not toks[0].startswith("ال"):
                        # The article is not part of the name either: الإيطالية → إيطالية,
                        # بالمغرب → المغرب comes from the alias المغرب itself (shorter prefix wins).
                        for p in ("ال", "وال", "بال", "فال", "كال"):
                            add(p + toks[0], _Alias(toks, None, p, "", i))
                    if toks[0].startswith("ال") and len(toks[0]) > 3:
                        # ل + الX is spelt للX: the proclitic takes the article's alef.
                        for p in ("ل", "ول", "فل"):
                            add(p + "ل" + toks[0][2:], _Alias(toks, None, p + "ل", "ال", i))
                    continue
                letters = re.sub(r"\W", "", name)
                case_sensitive = _LATIN.search(name) is not None and (
                    len(letters) <= 4 or letters.isupper() or name in exact_names)
                exact = tuple(_WORD.findall(name)) if case_sensitive else None
                add(toks[0], _Alias(toks, exact, "", "", i, caps_ok=name in exact_names))
                if _LATIN.search(name) and lang == "ku" and not case_sensitive:
                    # Kurmanji oblique/izafe ending: Şingalê, Almanyayê.
                    end = "yê" if toks[-1][-1] in "aeiouêîû" else "ê"
                    last = toks[-1] + end
                    if len(toks) == 1:
                        add(last, _Alias((last,), None, "", "", i, end))
    for aliases in index.values():
        aliases.sort(key=lambda a: (-len(a.tokens), len(a.prefix)))
    # What a mention carries of its entry, looked up once here rather than per mention.
    info = [(e["name"], e.get("cc") or "", e.get("kind", ""), e.get("role", ""),
             any(a.endswith(".") for a in _aliases_of(e))) for e in entries]
    return index, frozenset(index), info


def find_places(text: str, low: str | None = None, toks: list[str] | None = None,
                spans: list[tuple[int, int]] | None = None) -> list[Place]:
    """Every gazetteer place mentioned in ``text``, in order, overlapping names resolved to
    the longest (``تونس العاصمة`` over ``تونس``). ``low``/``toks`` may be passed when the
    caller already has ``lower_same_length(text)`` and its ``split()``; ``spans``, when the
    caller has the words that may start a mention (``gates.open_gates``)."""
    index, keys, info = _index()
    if low is None:
        low = lower_same_length(text)
    if spans is not None:
        starts = [(s, low[s:e]) for s, e in spans if low[s:e] in keys and _whole(low, s, e)]
        return _scan(text, low, index, info, starts) if starts else []
    if toks is None:
        toks = low.split()
    # str.split is ~5x cheaper than a \w+ findall; only the few tokens with punctuation or
    # emoji attached ("Dunkirk.", "زوارة،") need the regex.
    present = keys.intersection(toks)
    if not "".join(toks).isalnum():
        dirty = " ".join(filterfalse(str.isalnum, toks))
        present |= keys.intersection(_WORD.findall(dirty))
    if not present:
        return []
    # Only the words that start an alias are visited, found by where they occur (str.find)
    # rather than by tokenising the whole post.
    return _scan(text, low, index, info, sorted((p, w) for w in present for p in _occurrences(low, w)))


def lower_same_length(text: str) -> str:
    """``text.lower()``, except that a character whose lower case is longer (İ → i̇) keeps
    only its first character, so offsets in the result are offsets in ``text``."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower()[0] for c in text)


def _occurrences(low: str, word: str) -> list[int]:
    """Offsets of every whole-token ``word`` in ``low``."""
    out = []
    n = len(word)
    p = low.find(word)
    while p >= 0:
        if _whole(low, p, p + n):
            out.append(p)
        p = low.find(word, p + 1)
    return out


def _whole(low: str, s: int, e: int) -> bool:
    """Whether ``low[s:e]`` is a whole token: no word character touches it."""
    return not ((s > 0 and _WORD.match(low, s - 1, s)) or _WORD.match(low, e, e + 1))


def _scan(text: str, low: str, index, info, starts: list[tuple[int, str]]) -> list[Place]:
    # ``starts``: (offset, word) of the words that start an alias, in order. The words after
    # one are read only when a multi-word alias needs them; a multi-word hit skips the words
    # it covers.
    out: list[Place] = []
    cursor = 0
    for start, word in starts:
        if start < cursor:
            continue
        following = [(start, start + len(word), word)]      # (start, end, word) of the tokens read
        hit = None
        for alias in index[word]:
            k = len(alias.tokens)
            if k > 1:
                while len(following) < k:
                    m = _WORD.search(low, following[-1][1])
                    if m is None:
                        break
                    following.append((m.start(), m.end(), m.group()))
                if len(following) < k or any(following[j][2] != alias.tokens[j] for j in range(1, k)):
                    continue
                if any(not _GAP_OK.fullmatch(low, following[j - 1][1], following[j][0]) for j in range(1, k)):
                    continue
            if alias.exact is not None:
                written_toks = [text[following[j][0]:following[j][1]] for j in range(k)]
                if list(alias.exact) != written_toks and not (
                        alias.caps_ok and [t.upper() for t in alias.exact] == written_toks):
                    continue
            hit = alias
            break
        if hit is None:
            continue
        k = len(hit.tokens)
        s = start + len(hit.prefix)
        e = following[k - 1][1] - len(hit.suffix)
        cursor = following[k - 1][1]
        written = hit.restore + text[s:e]
        name, cc, kind, role, dot = info[hit.place]
        if dot and text[e:e + 1] == ".":
            e += 1
            written += "."
        out.append(Place(written, s, e, name, cc, kind, role, hit.prefix))
    return out


def _aliases_of(entry: dict) -> list[str]:
    return [str(a) for k, v in entry.items() if isinstance(v, list) and k != "exact" for a in v]


@cache
def canonical_names() -> dict[str, str]:
    """Alias (lower-cased) → canonical name, for reports that group places."""
    out = {}
    for entry in gazetteer.places():
        for alias in _aliases_of(entry):
            out.setdefault(alias.lower(), entry["name"])
    return out


def canonical(name: str) -> str | None:
    """The canonical (English) name of a place written as ``name``, or ``None``."""
    return canonical_names().get(name.lower())
