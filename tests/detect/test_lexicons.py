"""The shipped indicator lexicons: well-formed, matchable, and pointing where they should.

The snippets below are written for these tests (fictional, non-graphic, no real contacts):
positives must raise an indicator of their harm, hard negatives must raise a ``benign`` cue
(the counter-indicator the model weighs against the shared vocabulary) and no strong harm
indicator.
"""
from __future__ import annotations

import re
import unicodedata

import pytest
import yaml

from marsad.detect.lexicon import LEXICON_DIR, MAX_NGRAM, Lexicon, tokens
from marsad.normalize.arabic import fold

HARMS = ("migrant_smuggling", "document_fraud", "human_trafficking", "child_exploitation",
         "terrorist_content")
FILES = HARMS + ("benign",)
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def _doc(name: str) -> dict:
    return yaml.safe_load((LEXICON_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


DOCS = {name: _doc(name) for name in FILES}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon()


def labels_hit(lexicon: Lexicon, text: str) -> set[str]:
    return {h.entry.label for h in lexicon.match(fold(text))}


def strongest(lexicon: Lexicon, text: str, label: str) -> float:
    return max((h.entry.weight for h in lexicon.match(fold(text)) if h.entry.label == label), default=0.0)


# ---- shape --------------------------------------------------------------------------------

def test_every_file_loads_with_its_label(lexicon):
    assert set(FILES) <= set(lexicon.labels)
    for name, doc in DOCS.items():
        assert doc["label"] == name
        assert isinstance(doc.get("description"), str) and doc["description"].strip()


@pytest.mark.parametrize("name,minimum", [(h, 40) for h in HARMS] + [("benign", 35)])
def test_files_are_substantial(name, minimum):
    assert len(DOCS[name]["indicators"]) >= minimum


@pytest.mark.parametrize("name", FILES)
def test_indicators_are_well_formed(name):
    seen = set()
    for ind in DOCS[name]["indicators"]:
        where = f"{name}:{ind.get('name')}"
        assert SNAKE.match(str(ind.get("name", ""))), where
        assert ind["name"] not in seen, f"duplicate indicator name {where}"
        seen.add(ind["name"])
        assert isinstance(ind.get("weight"), (int, float)) and 0.5 <= ind["weight"] <= 3, where
        assert isinstance(ind.get("description"), str) and ind["description"].strip(), where
        terms, patterns = ind.get("terms") or [], ind.get("patterns") or []
        assert terms or patterns, where
        assert set(ind) <= {"name", "weight", "langs", "description", "terms", "patterns"}, where


@pytest.mark.parametrize("name", FILES)
def test_terms_are_strings_that_fit_the_match_window(name):
    """YAML turns a bare ``no``/``on``/``24`` into a bool or int; and a term of more than
    MAX_NGRAM tokens can never match."""
    for ind in DOCS[name]["indicators"]:
        for term in ind.get("terms") or []:
            assert isinstance(term, str), f"{name}:{ind['name']}: {term!r} is not a string"
            n = len(tokens(fold(term)))
            assert 1 <= n <= MAX_NGRAM, f"{name}:{ind['name']}: {term!r} has {n} tokens"


@pytest.mark.parametrize("name", FILES)
def test_no_term_repeated_within_an_indicator(name):
    for ind in DOCS[name]["indicators"]:
        keys = [" ".join(tokens(fold(t))) for t in ind.get("terms") or []]
        dupes = {k for k in keys if keys.count(k) > 1}
        assert not dupes, f"{name}:{ind['name']}: {dupes}"


@pytest.mark.parametrize("name", FILES)
def test_patterns_compile_in_folded_form_and_are_not_trivial(name):
    for ind in DOCS[name]["indicators"]:
        for pat in ind.get("patterns") or []:
            assert isinstance(pat, str)
            rx = re.compile(pat)
            where = f"{name}:{ind['name']}: {pat!r}"
            assert not rx.search(""), where
            assert not rx.search("hello world, see you tomorrow"), where
            # Patterns run on folded text: a letter fold() rewrites could never match.
            for ch in ARABIC_LETTER.findall(pat):
                assert fold(ch) == ch, f"{where}: {ch!r} (U+{ord(ch):04X}) is not folded"
            assert unicodedata.normalize("NFKC", pat) == pat, where


def test_every_term_matches_itself(lexicon):
    """Folding and clitic stripping are applied the same way to terms and to text."""
    missing = []
    for name in FILES:
        for ind in DOCS[name]["indicators"]:
            for term in ind.get("terms") or []:
                names = {(h.entry.label, h.entry.name) for h in lexicon.match(fold(term))}
                if (name, ind["name"]) not in names:
                    missing.append(f"{name}:{ind['name']}: {term}")
    assert not missing, missing[:20]


# ---- positives: written snippets of each harm in several languages ----------------------

POSITIVES = [
    # migrant_smuggling
    ("migrant_smuggling", "رحلة مضمونة من زوارة الدفع بعد الوصول، باقي 3 بلايص"),
    ("migrant_smuggling", "فما خرجة من صفاقس نهار الاحد، الفلوس عند الأمين"),
    ("migrant_smuggling", "كاين بوطي لإسبانيا من مستغانم، الخلاص كي توصل خويا"),
    ("migrant_smuggling", "عندنا كروب طالع لليونان الأسبوع الجاي، الدفع بمكتب تأمين"),
    ("migrant_smuggling", "Taxi boat to UK this week, pay after arrival, kids free"),
    ("migrant_smuggling", "kayna kharja l canarias, flous 3nd wa7ed thi9a"),
    ("migrant_smuggling", "Passage garanti vers l'Italie, paiement à l'arrivée"),
    ("migrant_smuggling", "Pase seguro al norte, casa de seguridad incluida, pago al llegar"),
    ("migrant_smuggling", "Midilli'ye garantili geçiş, para sigorta ofisinde kalır"),
    ("migrant_smuggling", "انتقال مسافر به ترکیه بدون پاسپورت، پرداخت بعد از رسیدن"),
    ("migrant_smuggling", "بەلەم بۆ بەریتانیا، پارە دوای گەیشتن"),
    ("migrant_smuggling", "Rêya Îngilîstan vekirî ye, pere li ofîsa garantî"),
    ("migrant_smuggling", "ڈنکی کے ذریعے یورپ جانا ہے؟ گارنٹی کے ساتھ"),
    ("migrant_smuggling", "ከሊቢያ ወደ ጣሊያን በጀልባ ክፍያ ከደረሳችሁ በኋላ"),
    ("migrant_smuggling", "په ایران کې نه، ترکیې ته لاره خلاصه ده"),
    # document_fraud
    ("document_fraud", "جوازات سفر أصلية مسجلة في السيستم، بدون بصمة، الدفع كريبتو"),
    ("document_fraud", "فيزا شنغن بدون موعد مضمونة 100%"),
    ("document_fraud", "Registered passports and ID cards, pass all scanners, discreet delivery"),
    ("document_fraud", "UK driving licence, no test needed, registered on the system"),
    ("document_fraud", "Vrais papiers enregistrés dans la base, titre de séjour sans rendez-vous"),
    ("document_fraud", "Pasaportes y DNI registrados en la base de datos, entrega discreta"),
    ("document_fraud", "Kimlik ve ehliyet sistemde kayıtlı, sınavsız"),
    ("document_fraud", "پاسپورت ثبت شده در سیستم، ویزای تضمینی بدون نوبت"),
    ("document_fraud", "مۆڵەتی شۆفێری بەبێ تاقیکردنەوە، تۆمارکراو لە سیستەم"),
    ("document_fraud", "یورپ کا ویزا بغیر انٹرویو، اصل اسٹیکر"),
    ("document_fraud", "نسوي شهادات تخرج مصدقة تمشي بكل الدوائر"),
    # human_trafficking
    ("human_trafficking", "عاملة منزلية للتنازل، الجواز معنا، ما تطلع إجازة"),
    ("human_trafficking", "مطلوب بنات للعمل في الخارج، التذكرة على الشركة وتخصم من الراتب"),
    ("human_trafficking", "Customer service job in Cambodia, free flight, passport kept by HR"),
    ("human_trafficking", "Free visa and ticket, you repay from your salary, no experience"),
    ("human_trafficking", "Recrutement hôtesses, billet avancé et remboursé sur le salaire"),
    ("human_trafficking", "Te pagamos el pasaje y lo descuentas de tu sueldo, sin experiencia"),
    ("human_trafficking", "Yurtdışında iş, bilet şirketten, ilk maaştan kesilir, pasaport şirkette kalacak"),
    ("human_trafficking", "کار در دبی برای خانم‌ها، بلیط با شرکت و از حقوق کسر می‌شود"),
    ("human_trafficking", "سعودی عرب میں نوکری، فری ویزا، پاسپورٹ جمع کروائیں"),
    ("human_trafficking", "ወደ ሳዑዲ የቤት ሰራተኛ ስራ ነፃ ቪዛ ልምድ አያስፈልግም"),
    ("human_trafficking", "Kidney for sale, good price, contact me"),
    # child_exploitation (indicator-level, non-explicit)
    ("child_exploitation", "how old are you? do your parents check your phone?"),
    ("child_exploitation", "don't tell your mom, delete our chat after"),
    ("child_exploitation", "i'll give you robux if you add me on snap"),
    ("child_exploitation", "كم عمرك؟ خليها سر بيننا وامسحي المحادثة"),
    ("child_exploitation", "بعطيك شدات بس ضيفني سناب ولا تعلم أبوك"),
    ("child_exploitation", "هنشر صورك لو ما دفعتش"),
    ("child_exploitation", "t'as quel âge ? c'est notre secret"),
    ("child_exploitation", "¿cuántos años tienes? no le digas a tus padres"),
    ("child_exploitation", "kaç yaşındasın? annene söyleme"),
    ("child_exploitation", "چند سالته؟ به مامانت نگو"),
    # terrorist_content (indicator-level)
    ("terrorist_content", "دولة الخلافة باقية وتتمدد"),
    ("terrorist_content", "بايعوا أمير المؤمنين وانفروا"),
    ("terrorist_content", "انصروا إخوانكم المجاهدين"),
    ("terrorist_content", "قناتنا حذفت، هذه القناة البديلة"),
    ("terrorist_content", "Our channel was deleted, join the backup channel"),
    ("terrorist_content", "New release from al-Furqan, spread it"),
    ("terrorist_content", "baqiyah wa tatamaddad, soldiers of the caliphate"),
    ("terrorist_content", "Support the mujahideen, donate in bitcoin"),
    ("terrorist_content", "Le califat demeure, faites la hijra"),
    ("terrorist_content", "Halifeye biat ettik"),
]


@pytest.mark.parametrize("label,text", POSITIVES)
def test_written_positives_raise_their_harm(lexicon, label, text):
    assert label in labels_hit(lexicon, text)


# ---- hard negatives: shared vocabulary in benign registers -------------------------------

HARD_NEGATIVES = [
    "تفكيك شبكة لتهريب المهاجرين وإلقاء القبض على 5 أشخاص، حسب ما أفادت الشرطة",
    "ألقت القبض على مهربين بعد غرق قارب قبالة السواحل",
    "Police said the smuggler was arrested and later sentenced by the court",
    "Court jails man who sold fake passports, prosecutors said",
    "احذروا من الصفحات التي تبيع رحلات مضمونة، لا يوجد طريق آمن عبر البحر",
    "Beware: don't trust anyone selling registered passports. Report to the hotline.",
    "Parents: if someone asks your child to keep a secret or move to another app, report it",
    "عندي حرقة في المعدة بعد الأكل، شو الدوا؟",
    "صلاح يهرب الكرة من المدافعين ويسجل هدف رائع",
    "Raid night tonight, bring your best loadout, the boss is hard",
    "رحم الله شهداء الواجب، خالص التعازي لأسرهم",
    "لا للتطرف، الإرهاب لا دين له",
    "مكتب سفريات مرخص، مواعيد رسمية للفيزا، الرسوم الحكومية فقط",
    "Licensed agency, official appointment booking, government fees only",
    "قارب صيد للبيع مع محرك 40 حصان، حالة ممتازة",
    "Ramadan Mubarak to all, iftar at the mosque on Friday",
    "Casting for kids ages 6-12, a parent must attend, licensed agency, no fees",
    "Agence de voyages agréée, séjour à Istanbul, vol + hôtel",
    "مطلوب محاسب، عقد رسمي وتأمين صحي، لا نطلب أي رسوم",
    "Heartburn after dinner again, any advice for acid reflux?",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_raise_a_benign_cue(lexicon, text):
    assert "benign" in labels_hit(lexicon, text)


QUIET = [   # everyday uses of the shared vocabulary: no harm indicator above 1.0
    ("migrant_smuggling", "عندي حرقة في المعدة بعد الأكل، شو الدوا؟"),
    ("migrant_smuggling", "صلاح يهرب الكرة من المدافعين ويسجل هدف رائع"),
    ("migrant_smuggling", "قارب صيد للبيع مع محرك 40 حصان، حالة ممتازة"),
    ("terrorist_content", "Raid night tonight, bring your best loadout, the boss is hard"),
    ("terrorist_content", "رحم الله شهداء الواجب، خالص التعازي لأسرهم"),
    ("child_exploitation", "bro send me a pic of the homework, test is tomorrow"),
    ("document_fraud", "How do I renew my passport at the consulate? Official appointment needed?"),
    ("human_trafficking", "مطلوب محاسب، عقد رسمي وتأمين صحي، لا نطلب أي رسوم"),
]


@pytest.mark.parametrize("label,text", QUIET)
def test_everyday_uses_raise_no_strong_harm_indicator(lexicon, label, text):
    assert strongest(lexicon, text, label) <= 1.0


def test_a_window_whose_hash_matches_must_also_spell_the_key(lexicon):
    """Terms are found by hash; a window counts only if its tokens spell the key (so a hash
    collision can never invent an indicator). Checked on windows paired with the right key,
    a wrong key of the same length, and a key of another length."""
    import numpy as np

    from marsad.detect.textbatch import TextBatch

    keys = lexicon._key_text
    two = [key for key in keys if len(key.split(" ")) == 2][:2]
    one = [key for key in keys if " " not in key][:1]
    tb = TextBatch([f"xx {two[0]} yy", f"{one[0]}"])
    number = {key: i for i, key in enumerate(keys)}
    same_len = next(key for key in keys if len(key) == len(two[0]) and key != two[0] and " " in key)
    t = np.array([1, 1, 1, 4], dtype=np.int64)      # tokens: xx A B yy | C
    k = np.array([2, 2, 2, 1], dtype=np.int64)
    kid = np.array([number[two[0]], number[same_len], number[two[1]], number[one[0]]], dtype=np.int64)
    assert lexicon._verify(tb, t, k, kid).tolist() == [True, False, two[1] == two[0], True]
