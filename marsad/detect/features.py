"""Post -> feature strings for the harm model (hashed later by scikit-learn's FeatureHasher).

Why these features: word unigrams/bigrams of the folded, clitic-stripped text carry the
vocabulary; character 4-grams inside words carry morphology and spelling variants across
dialects and scripts (ي/ى, Arabizi 3/7/9) without a tokenizer per language; lexicon hits and
entity-presence flags let the model learn how much an "ad with a phone and a price" means
in context — on its own it means nothing (spam ads have both).
"""
from __future__ import annotations

from marsad.detect.lexicon import Hit, tokens

MAX_TOKENS = 400   # a 1 MB post is judged on its beginning; the rest adds cost, not signal


def feature_strings(folded: str, hits: list[Hit], entity_flags: tuple[str, ...] = ()) -> list[str]:
    toks = tokens(folded)[:MAX_TOKENS]
    feats = ["w:" + t for t in toks]
    feats += ["b:" + a + "_" + b for a, b in zip(toks, toks[1:])]
    for t in toks:
        if len(t) > 3:
            p = "<" + t + ">"
            feats += ["c:" + p[i:i + 4] for i in range(len(p) - 3)]
    seen = set()
    for h in hits:
        e = h.entry
        for f in ("x:" + e.label + ":" + e.name, "xl:" + e.label):
            if f not in seen:
                seen.add(f)
                feats.append(f)
    feats += ["e:" + f for f in entity_flags]
    if not toks:
        feats.append("empty")
    return feats
