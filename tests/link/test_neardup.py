"""Near-duplicate texts (MinHash/LSH) and when a copied text links accounts."""
from __future__ import annotations

import numpy as np

from marsad.link import LinkRules, link_corpus, neardup
from marsad.link.corpus import Corpus

AD = ("Boat to Italy this Thursday from the western coast, 3000 euro per person, families welcome, "
      "life jackets included, pay on arrival through the office")
AD_AR = "رحلة بحرية مضمونة من زوارة إلى لامبيدوزا يوم الخميس، السعر ٣٠٠٠ يورو للشخص، العائلات مرحب بها"


def test_price_changed_copy_is_a_near_duplicate_and_other_texts_are_not():
    texts = [AD, AD.replace("3000", "2500").replace("Thursday", "Friday") + " 🔥",
             "Lovely afternoon at the beach with the whole family, the kids built a huge sandcastle today",
             AD_AR, "🔴 " + AD_AR.replace("٣٠٠٠", "٢٨٠٠"), "Call me"]
    pairs = {(i, j) for i, j, _ in neardup.near_duplicates(texts)}
    assert pairs == {(0, 1), (3, 4)}


def test_text_key_keeps_words_only():
    assert neardup.text_key("🔥 رحلة   مضمونة ٣٠٠٠ €!!") == neardup.text_key("رحلة مضمونه 2500") == "رحله مضمونه"
    assert neardup.text_key("Only 4500 EURO, call +90 555") == "only euro call"


def test_signatures_are_deterministic_and_per_text():
    a, ok_a = neardup.signatures([AD, AD_AR])
    b, ok_b = neardup.signatures([AD_AR, AD])
    assert ok_a.all() and ok_b.all()
    assert np.array_equal(a[0], b[1]) and np.array_equal(a[1], b[0])
    short, ok = neardup.signatures(["hi"])
    assert not ok[0]


def test_similarity_estimates_jaccard():
    texts = [AD, AD[:int(len(AD) * 0.6)]]
    sig, _ = neardup.signatures(texts)
    est = neardup.similarity(sig, np.array([[0, 1]]))[0]
    k = [neardup.text_key(t) for t in texts]
    sets = [{s[i:i + 5] for i in range(len(s) - 4)} for s in k]
    exact = len(sets[0] & sets[1]) / len(sets[0] | sets[1])
    assert abs(est - exact) < 0.15


def _posts(corpus, rows):
    for i, (author, text, idents, label) in enumerate(rows):
        corpus.add_post("facebook", f"t{i}", author, label=label, risk=0.9 if label != "benign" else 0.05,
                        text=text, identifiers=idents)


def _groups(rules, rows):
    corpus = Corpus(rules)
    _posts(corpus, rows)
    return sorted(sorted(n["accounts"]) for n in link_corpus(corpus).networks), corpus


def test_copied_ad_is_a_clue_that_needs_a_second_one():
    copy = AD.replace("3000", "2800")
    rows = [("seller1", AD, [("phone", "+218915550101")], "migrant_smuggling"),
            ("seller2", copy, [], "migrant_smuggling")]           # the teaser re-post names no contact
    groups, corpus = _groups(LinkRules.load(), rows)
    assert groups == [] and len(corpus.text_pairs) == 1
    # with a weak second clue (both link the same public page) the pair is linked
    page = ("public_url", "unhcr.org/page")
    rows2 = [(a, t, ids + [page], lab) for a, t, ids, lab in rows]
    assert _groups(LinkRules.load(), rows2)[0] == [["seller1", "seller2"]]
    # where a copy counts as an identifier by itself, the copy alone links
    assert _groups(LinkRules.load(weights={"text": 1.0}), rows)[0] == [["seller1", "seller2"]]


def test_one_template_two_contacts_or_benign_copies_never_link():
    strong = LinkRules.load(weights={"text": 1.0})
    sellers = [("s1", AD, [("phone", "+218915550101")], "migrant_smuggling"),
               ("s2", AD.replace("3000", "2900"), [("phone", "+218925550199")], "migrant_smuggling")]
    assert _groups(strong, sellers)[0] == []
    news = "Coast guard rescued 54 people off the coast of Lampedusa tonight, officials said in a statement"
    pages = [("news1", news, [], "benign"), ("news2", news.replace("54", "61"), [], "benign")]
    assert _groups(strong, pages)[0] == []
    ungated = LinkRules.load(weights={"text": 1.0}, text_harmful_only=False, text_contact_check=False)
    assert _groups(ungated, pages)[0] == [["news1", "news2"]]
    assert _groups(ungated, sellers)[0] == [["s1", "s2"]]
