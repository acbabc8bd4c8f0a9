"""The text engine end to end: contract shape, explanations, robustness, taxonomy as data."""
from __future__ import annotations

import json
import shutil

import pytest

from marsad.detect.corpus import CORPUS_DIR
from marsad.detect.engine import TextEngine
from marsad.detect.lexicon import LEXICON_DIR
from marsad.model import LABELS, Post


@pytest.fixture(scope="module")
def engine():
    return TextEngine.load()


def post(text, lang=None, i="1"):
    return Post(id=i, platform="facebook", text=text, lang=lang)


def test_finding_matches_the_classify_contract(engine):
    f = engine.predict([post("رحلة مضمونة من زوارة إلى لامبيدوزا، ٣٠٠٠ يورو للشخص، واتساب +218 91 234 5678", "ar")])[0]
    d = f.as_dict()
    assert set(d) >= {"id", "label", "risk", "scores", "lang", "indicators", "entities"}
    assert set(d["scores"]) >= set(LABELS)
    assert abs(sum(d["scores"].values()) - 1) < 1e-3
    assert 0 <= d["risk"] <= 1
    assert set(d["entities"]) >= {"phones", "handles", "wallets", "prices", "places", "urls"}
    assert d["label"] == "migrant_smuggling"
    assert d["entities"]["phones"] == ["+218912345678"]
    # Indicators point into the original text.
    text = "رحلة مضمونة من زوارة إلى لامبيدوزا، ٣٠٠٠ يورو للشخص، واتساب +218 91 234 5678"
    assert d["indicators"], "a flagged post is explained"
    for ind in d["indicators"]:
        assert text[ind["start"]:ind["end"]] == ind["text"]


@pytest.mark.parametrize("text,label", [
    ("Schengen visa and passport, original not copy, registered in the database. Price 2500 EUR, WhatsApp +44 7700 900123", "document_fraud"),
    ("مطلوب عاملات منزليات للسفر، التذكرة مجانية والخصم من الراتب، الكفيل يحتفظ بالجواز", "human_trafficking"),
])
def test_harms_are_found(engine, text, label):
    f = engine.predict([post(text)])[0]
    assert f.label == label
    assert any(i.category == label for i in f.indicators), "every harm label is explained"


def test_no_harm_label_without_an_indicator_of_it(engine):
    """Invocations and chants share words with the propaganda lines of the corpus; with no
    indicator of a harm there is no harm label, however high the score."""
    texts = ["يا الله يا الله يا الله يا الله يا الله يا الله", "الله الله الله يا قلبي الله",
             "جول جول جول جول جول", "ما شاء الله يا محمد يا اسطورة الله يوفقك"]
    for f in engine.predict([post(t) for t in texts]):
        assert f.label == "benign" or any(i.category == f.label for i in f.indicators), f


@pytest.mark.parametrize("text", [
    "ألقت السلطات القبض على شبكة تهريب مهاجرين في صفاقس وأحالت المتهمين إلى القضاء",
    "عندي حرقة في المعدة من امبارح، شو بتنصحوني آخد؟",
    "Police warn families: smugglers promise 'guaranteed' crossings, do not pay them, call the hotline.",
    "محرك ياماها 40 حصان للبيع بحالة ممتازة، للتواصل واتساب 0021698123456",
])
def test_hard_negatives_stay_benign(engine, text):
    assert engine.predict([post(text)])[0].label == "benign"


@pytest.mark.parametrize("text", [
    "", "😀🚤🌊🙏", "x" * 1_000_000, "bad \ud800 surrogate \udfff",
    "مختلط mixed ٣٠٠٠ euro زوارة Lampedusa 🇮🇹 تهريب kaçak گیم",
])
def test_odd_input_gives_a_result(engine, text):
    [f] = engine.predict([post(text)])
    assert f.label in LABELS
    json.dumps(f.as_dict(), ensure_ascii=False)


def test_adding_a_harm_is_data_not_code(tmp_path):
    """A new label = a lexicon file + a corpus file; retrain; no code change."""
    lex = tmp_path / "lexicons"
    shutil.copytree(LEXICON_DIR, lex)
    (lex / "hate_speech.yaml").write_text(
        "label: hate_speech\nindicators:\n  - name: dehumanising_slur\n    weight: 2\n"
        "    terms: [vermin, subhuman, يجب طردهم, حشرات]\n", encoding="utf-8")
    extra = tmp_path / "corpus"
    extra.mkdir()
    lines = []
    for i in range(40):
        lines.append({"text": f"they are vermin and subhuman, throw them all out of our town #{i}", "label": "hate_speech", "lang": "en"})
        lines.append({"text": f"هؤلاء حشرات يجب طردهم من بلادنا كلهم رقم {i}", "label": "hate_speech", "lang": "ar"})
    (extra / "hate.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    eng = TextEngine.load(corpus_dirs=(CORPUS_DIR, extra), lexicon_dir=lex, cache=tmp_path / "models", quiet=True)
    assert "hate_speech" in eng.labels
    f = eng.predict([post("those people are vermin, subhuman, kick them out")])[0]
    assert f.label == "hate_speech"
    assert any(i.category == "hate_speech" for i in f.indicators)
    assert eng.predict([post("lovely weather for a picnic with the kids today")])[0].label == "benign"


def test_row_weights_keep_a_big_extra_set_from_swamping_the_corpus():
    """Classes are balanced on summed weights: 400 extra benign rows at weight 0.05 move the
    model less than the same rows at weight 1."""
    from marsad.detect.engine import train
    from marsad.detect.lexicon import Lexicon
    lex = Lexicon()
    base = [{"text": f"boat from zuwara to lampedusa pay after arrival {i}", "label": "migrant_smuggling"} for i in range(30)]
    base += [{"text": f"lovely weather for a picnic by the sea {i}", "label": "benign"} for i in range(30)]
    extra = [{"text": f"boat trip to the island this weekend, tickets at the port {i}", "label": "benign"} for i in range(400)]
    probe = "boat from zuwara to lampedusa this weekend"
    def p_smuggling(rows):
        m = train(rows, lex)
        from marsad.detect.features import feature_matrix
        from marsad.detect.textbatch import TextBatch
        tb = TextBatch([probe])
        X = feature_matrix(tb, lex.match_batch(tb), [()], m.n_features)
        return m.predict_proba(X)[0][m.classes_.index("migrant_smuggling")]
    light = p_smuggling(base + [dict(r, weight=0.05) for r in extra])
    heavy = p_smuggling(base + extra)
    alone = p_smuggling(base)
    assert heavy < light < alone or heavy < light <= alone + 1e-9
    assert light - heavy > 0.01


def test_a_post_scores_the_same_alone_and_in_a_batch(engine):
    """One post (an API request) is scored by summing its weight rows directly, a batch by a
    sparse product: both must give each post the same finding."""
    from marsad.detect.corpus import read_corpus

    rows = list(read_corpus())[::97][:40]
    posts = [Post(id=str(i), platform="telegram", text=r["text"]) for i, r in enumerate(rows)]
    together = engine.predict(posts)
    alone = [engine.predict([p])[0] for p in posts]
    assert [f.label for f in alone] == [f.label for f in together]
    assert {f.label for f in together} > {"benign"}
    for a, b in zip(alone, together):
        assert a.indicators == b.indicators and a.entities == b.entities
        assert all(abs(a.scores[k] - b.scores[k]) < 1e-5 for k in a.scores)


def test_a_batch_sized_array_comes_from_the_kept_heap():
    """After the engine's allocator settings, a 20 MB array (a batch's folded characters) is
    served from glibc's heap, not mapped fresh, and its pages stay mapped once it is freed:
    the next batch finds them without page faults."""
    import ctypes
    import platform

    import numpy as np

    from marsad.detect.engine import _keep_freed_memory

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("the setting is glibc's")

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                   "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = Mallinfo2
    assert _keep_freed_memory() is True
    size = 20 << 20
    before = libc.mallinfo2()
    a = np.ones(size // 8)
    during = libc.mallinfo2()
    del a
    after = libc.mallinfo2()
    assert during.hblkhd - before.hblkhd < size          # not a fresh mapping
    assert after.arena + after.hblkhd >= during.arena + during.hblkhd - (1 << 20)   # not given back
