"""Entity extraction: every written form of each identifier, in several languages, and edge
cases. All numbers, handles and addresses here are invented for the tests."""
from __future__ import annotations

import hashlib

import pytest

from marsad.detect.entities import extract, hints_for
from marsad.detect.entities.checksums import (B58_ALPHABET, BECH32_ALPHABET, _bech32_polymod, base58check_ok,
                                              bech32_ok, eip55_ok, keccak256)
from marsad.model import Indicator


def phones(text, **kw):
    return extract(text, **kw).entities["phones"]


def prices(text, **kw):
    return [(p["amount"], p["currency"]) for p in extract(text, **kw).entities["prices"]]


def places(text, **kw):
    return extract(text, **kw).entities["places"]


# ---------------------------------------------------------------------------------- phones
@pytest.mark.parametrize("text, lang, expected", [
    ("اتصل على +218 91 555 0123 الآن", "ar", ["+218915550123"]),
    ("WhatsApp 00216 98 765 432", "fr", ["+21698765432"]),
    ("للحجز 0925550147", "ar", ["+218925550147"]),                       # Libyan national number
    ("واتس ٠٩٢٥٥٥٠١٤٧", "ar", ["+218925550147"]),                          # Arabic-Indic digits
    ("تماس ۰۹۱۲ ۳۴۵ ۶۷۸۹", "fa", ["+989123456789"]),                       # Persian digits, Iran
    ("+٩٦٤ ٧٧٠ ١٢٣ ٤٥٦٧ للتواصل", "ku", ["+9647701234567"]),
    ("text 0️⃣7️⃣9️⃣ 11123456", "en", ["+447911123456"]),                    # keycap emoji digits
    ("ring zero seven nine 11123456", "en", ["+447911123456"]),           # digits as words
    ("كلمني صفر تسعة 25550147", "ar", ["+218925550147"]),                   # Arabic digit words
    ("appelle zéro six 12 34 56 78", "fr", ["+33612345678"]),
    ("09 ✨ 12 ✨ 345 ✨ 67 ✨ 89", "fa", ["+989123456789"]),                 # emoji between groups
    ("+44 📲 7911 📲 123 📲 456", "en", ["+447911123456"]),
    ("+ 2 1 8 9 2 5 5 5 0 1 4 7", "ar", ["+218925550147"]),                 # one digit at a time
    ("092.555.0147 / 0915-550-123", "ar", ["+218925550147", "+218915550123"]),
    ("Call (212) 555-0199 today", "en", ["+12125550199"]),
    ("Call +44 (0) 7911 123456", "en", ["+447911123456"]),
    ("Llama al 55 1234 5678", "es", ["+525512345678"]),                     # Mexico, no trunk prefix
    ("Ara 0532 123 45 67", "tr", ["+905321234567"]),
])
def test_phone_forms(text, lang, expected):
    assert phones(text, lang=lang) == expected


def test_phones_in_whatsapp_links_and_order_of_appearance():
    text = "0925550147 or https://wa.me/447911123456 or api.whatsapp.com/send?phone=21698765432 and 0925550147"
    assert phones(text, lang="ar") == ["+218925550147", "+447911123456", "+21698765432"]


def test_two_numbers_written_side_by_side_are_split():
    assert phones("0925550147 0915550123", lang="ar") == ["+218925550147", "+218915550123"]


def test_country_from_context_dialect_and_places():
    # 07xx xxx xxx is valid in Morocco, Algeria and Jordan: Moroccan words and places decide.
    text = "كاينة خرجة من الناظور دابا، اللي بغا يحرك كلمني 0612345678"
    assert phones(text, lang="ar") == ["+212612345678"]
    # An explicit hint beats everything else.
    assert phones("call 0612345678", lang="en", country_hints=("DZ",)) == ["+213612345678"]
    assert hints_for("ar", "algerian") == ("DZ",)


def test_international_numbers_are_evidence_for_national_ones():
    # 92-55-01-47 alone is only a Tunisian number when the post points at Tunisia.
    assert phones("rendez-vous 92-55-01-47", lang="fr") == []
    assert phones("+216 98 765 432 ou 92-55-01-47", lang="fr") == ["+21698765432", "+21692550147"]


@pytest.mark.parametrize("text", [
    "Rendez-vous le 24.05.2023 à 10:30",
    "the seasons 2023 2024 were hard",
    "Prix 3 500 000 تومان",
    "السعر 450000000 تومان",
    "ref 12/05/2024 order 55",
    "TRC20 network only",
    "IBAN TN59 1000 6035 1835 9847 8831 and more digits 1234 5678 9012 3456 7890",
])
def test_dates_years_prices_and_codes_are_not_phones(text):
    assert phones(text, lang="ar") == []


# ---------------------------------------------------------------------------------- handles and links
def test_handles_and_links():
    text = ("DM @Sea_Trips_24 or t.me/Golden_Gate_Ly, insta https://www.instagram.com/travel.agent.x/ "
            "group https://chat.whatsapp.com/AbCdEf123456 channel t.me/+XyZ123abc old t.me/joinchat/QwErTy "
            "mail office@example.org")
    ex = extract(text, lang="en")
    assert ex.entities["handles"] == ["@sea_trips_24", "@golden_gate_ly", "@travel.agent.x"]
    urls = ex.entities["urls"]
    assert "https://chat.whatsapp.com/AbCdEf123456" in urls
    assert "t.me/+XyZ123abc" in urls and "t.me/joinchat/QwErTy" in urls
    assert not any("example" in h for h in ex.entities["handles"])


def test_platform_links_in_any_case_plain_links_untouched():
    """Profile and chat links are read in any case IGNORECASE reads, "inſtagram" (long s)
    included; a plain link (t.co) is a URL and nothing more; a story link's account ends
    where handle characters end (not at its query string)."""
    from marsad.detect.entities.links import find_links

    got = [[(x.handle, x.phone, x.invite) for x in find_links(t)] for t in (
        "see https://inſtagram.com/someone now", "HTTPS://T.ME/Name", "https://t.co/abc",
        "https://WA.ME/218915550123", "https://chat.WhatsApp.com/AbC", "https://www.TikTok.com/@Dancer",
        "ⓘ https://t.me/Kanal", "https://news.example/t.me/x", "https://instagram.com/stories/user.name?x=1")]
    assert got == [[("@someone", None, False)], [("@name", None, False)], [(None, None, False)],
                   [(None, "+218915550123", False)], [(None, None, True)], [("@dancer", None, False)],
                   [("@kanal", None, False)], [(None, None, False)], [("@user.name", None, False)]]


def test_masked_text_lower_case_is_the_masked_lower_case():
    """``_mask`` blanks links in the lower-cased text it already has instead of lower-casing
    again: that must give what lower-casing the blanked text gives, also where a capital sigma
    reads its case from what follows (ΑΣ' before a link: σ; before the blank: ς) and where a
    capital İ lower-cases to two characters."""
    from marsad.detect.entities import _mask
    from marsad.detect.entities.places import lower_same_length

    for text in ("ΑΣ'https://t.co/x ok", "ΟΔΟΣ https://t.me/Name ΣΑΣ", "İSTANBUL https://t.co/İx Σ'x@y.co",
                 "https://t.co/a İ", "WWW.EXAMPLE.COM/ΑΣ", "plain ΑΣ' text", "a@b.co ΑΣ'x@b.co"):
        m = _mask(text)
        assert m.low == lower_same_length(m.masked), text


def test_handle_written_after_arabic_text_and_with_double_at():
    ex = extract("تلغرام@Rehla_Safe وكمان @@Backup.Channel.", lang="ar")
    assert ex.entities["handles"] == ["@rehla_safe", "@backup.channel"]


# ---------------------------------------------------------------------------------- wallets
def _b58check(version: int, payload: bytes) -> str:
    raw = bytes([version]) + payload
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = B58_ALPHABET[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _bech32(hrp: str, data: list[int]) -> str:
    ex = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _bech32_polymod(ex + data + [0] * 6) ^ 1
    return hrp + "1" + "".join(BECH32_ALPHABET[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])


TRON_OK = _b58check(0x41, bytes(range(20)))
BTC_OK = _b58check(0x00, bytes(range(1, 21)))
BECH_OK = _bech32("bc", [0] + [(i * 7) % 32 for i in range(32)])
ETH_OK = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"     # the EIP-55 specification's example


def test_checksum_primitives():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert TRON_OK.startswith("T") and len(TRON_OK) == 34 and base58check_ok(TRON_OK, (0x41,))
    assert base58check_ok(BTC_OK, (0, 5)) and bech32_ok(BECH_OK) and bech32_ok(BECH_OK.upper())
    assert not bech32_ok(BECH_OK[:-1] + ("q" if BECH_OK[-1] != "q" else "p"))
    assert eip55_ok(ETH_OK) and eip55_ok(ETH_OK.lower()) and not eip55_ok(ETH_OK[:-1] + "D")


def test_wallets_kept_and_failed_checksum_reported():
    bad_tron = TRON_OK[:-1] + ("a" if TRON_OK[-1] != "a" else "b")
    text = f"USDT TRC20: {bad_tron} أو {TRON_OK}، BTC {BTC_OK} / {BECH_OK}, ETH {ETH_OK}"
    ex = extract(text, lang="ar")
    assert ex.entities["wallets"] == [bad_tron, TRON_OK, BTC_OK, BECH_OK, ETH_OK]
    failed = [i for i in ex.indicators if i.kind == "checksum"]
    assert [(i.category, i.text) for i in failed] == [("wallet_checksum_failed", bad_tron)]
    assert ex.entities["phones"] == [] and ex.entities["prices"] == []


# ---------------------------------------------------------------------------------- prices
@pytest.mark.parametrize("text, lang, expected", [
    ("السعر ٣٠٠٠ يورو للشخص", "ar", [(3000, "EUR")]),
    ("only 4k euro per person", "en", [(4000, "EUR")]),
    ("départ 2500e tout compris", "fr", [(2500, "EUR")]),
    ("precio 2.500€", "es", [(2500, "EUR")]),
    ("fee $1,800 cash", "en", [(1800, "USD")]),
    ("المبلغ 1800 دولار", "ar", [(1800, "USD")]),
    ("قیمت ٤٥ میلیون تومان", "fa", [(450_000_000, "IRR")]),
    ("فیس ۳ لاکھ روپے", "ur", [(300_000, "PKR")]),
    ("الحرقة 80 مليون، كاين خويا", "ar", [(800_000, "DZD")]),           # Algerian million centimes
    ("$8 mil por persona", "es", [(8000, "USD")]),
    ("12 mil dls", "es", [(12000, "USD")]),
    ("٣ آلاف يورو", "ar", [(3000, "EUR")]),
    ("13 ألف ريال", "ar", [(13000, "SAR")]),
    ("ألف يورو فقط", "ar", [(1000, "EUR")]),
    ("1.200 د.ك", "ar", [(1200, "KWD")]),
    ("2 500 € par personne", "fr", [(2500, "EUR")]),
    ("Salary $1500–$3000/month", "en", [(1500, "USD"), (3000, "USD")]),
    ("pay 500 USDT", "en", [(500, "USDT")]),
    ("السعر 2500 للشخص", "ar", [(2500, None)]),
    ("15 bin TL", "tr", [(15000, "TRY")]),
    ("3500 ዶላር", "am", [(3500, "USD")]),
    ("5 lakh rupees", "en", [(500_000, "PKR")]),
    ("السوم 7000 دينار، فما خرجة", "ar", [(7000, "TND")]),             # Tunisian context
    ("20000 درهم ديال الخلاص", "ar", [(20000, "MAD")]),
    ("السعر 150 ألف جنيه", "ar", [(150_000, "EGP")]),
])
def test_price_forms(text, lang, expected):
    assert prices(text, lang=lang) == expected


@pytest.mark.parametrize("text", ["موتور 200 حصان و 24 ساعة", "100% garanti", "TRC20 x3", "Age 20–35 only", ""])
def test_numbers_that_are_not_prices(text):
    assert prices(text, lang="ar") == []


# ---------------------------------------------------------------------------------- places and routes
def test_places_as_written_without_proclitics():
    assert places("رحلات من زوارة لـ لامبيدوزا وبنغازي ولليونان", lang="ar") == ["زوارة", "لامبيدوزا", "بنغازي", "اليونان"]
    assert places("مطلوب عمال في عمّان وتونس العاصمة", lang="ar") == ["عمّان", "تونس العاصمة"]


def test_latin_places_case_rules_and_multiword():
    assert places("Boats from Dunkirk to the UK, Piedras Negras and Ciudad Juárez", lang="en") == \
        ["Dunkirk", "UK", "Piedras Negras", "Ciudad Juárez"]
    assert places("the uk and kos in lower case", lang="en") == []
    assert places("Départ de CALAIS vers l'Angleterre", lang="fr") == ["CALAIS", "Angleterre"]
    assert places("Bodrum'dan İstanbul'a", lang="tr") == ["Bodrum", "İstanbul"]


def test_places_in_other_scripts():
    assert places("له افغانستان نه ایران ته", lang="ps") == ["افغانستان", "ایران"]
    assert places("ካብ ሊብያ ናብ ጣልያን", lang="ti") == ["ሊብያ", "ጣልያን"]
    assert places("ከሱዳን በሊቢያ", lang="am") == ["ሱዳን", "ሊቢያ"]
    assert places("#کابل #ايطاليا", lang="fa") == ["کابل", "ايطاليا"]


@pytest.mark.parametrize("text, lang, expected", [
    ("رحلة من زوارة إلى لامبيدوزا", "ar", [("زوارة", "لامبيدوزا")]),
    ("الحرقة لإسبانيا من وهران", "ar", [("وهران", "إسبانيا")]),
    ("Bodrum'dan Kos'a yat ile", "tr", [("Bodrum", "Kos")]),
    ("Tripoli → Lampedusa tonight", "en", [("Tripoli", "Lampedusa")]),
    ("from Calais to Dover by boat", "en", [("Calais", "Dover")]),
    ("بيلاروسيا ➡️ بولندا ➡️ ألمانيا", "ar", [("بيلاروسيا", "بولندا"), ("بولندا", "ألمانيا")]),
    ("از ترکیه به یونان", "fa", [("ترکیه", "یونان")]),
    ("Ji Calais ber bi Brîtanya", "ku", [("Calais", "Brîtanya")]),
    ("jobs in Lebanon & Jordan", "en", []),
    ("بين تركيا واليونان", "ar", []),
])
def test_routes(text, lang, expected):
    assert [(r["from"], r["to"]) for r in extract(text, lang=lang).routes] == expected


# ---------------------------------------------------------------------------------- indicators
def test_indicator_spans_are_on_the_original_text():
    text = "🚤 من زوارة 🇮🇹 السعر ٣٠٠٠ يورو، واتس ٠٩٢٥٥٥٠١٤٧ أو t.me/Safe_Trip_Ly @Other_Name"
    ex = extract(text, lang="ar")
    cats = {i.category for i in ex.indicators}
    assert {"entity:phone", "entity:price", "entity:place", "entity:handle", "entity:url"} <= cats
    for ind in ex.indicators:
        assert isinstance(ind, Indicator) and ind.kind == "entity"
        assert text[ind.start:ind.end] == ind.text
    assert ex.indicators == sorted(ex.indicators, key=lambda i: (i.start, i.end))


# ---------------------------------------------------------------------------------- edge cases
def test_empty_and_emoji_only():
    for text in ("", "   ", "🔥🔥🚤🇮🇹❤️", "\n\n"):
        ex = extract(text)
        assert all(v == [] for v in ex.entities.values()) and ex.indicators == [] and ex.routes == []
    assert set(extract("").entities) == {"phones", "handles", "wallets", "prices", "places", "urls"}


def test_lone_surrogates_and_odd_characters():
    text = "a\ud800b +218 92 555 0147 \udfff İSTANBUL ﷺ \x00 زوارة"
    ex = extract(text, lang="ar")
    assert ex.entities["phones"] == ["+218925550147"]
    assert "زوارة" in ex.entities["places"]


def test_mixed_scripts_in_one_post():
    text = "Har9a mn Sfax l Lampedusa 🚤 soum 2500 euro, واتس ٩٨ ٧٦٥ ٤٣٢ ou +216 98 765 432"
    ex = extract(text, lang="ar")
    assert ex.entities["places"] == ["Sfax", "Lampedusa"]
    assert ex.entities["prices"] == [{"amount": 2500, "currency": "EUR"}]
    assert ex.entities["phones"] == ["+21698765432"]


def test_one_megabyte_text():
    filler = "كلام عادي بلا أرقام ولا أماكن، " * 40000
    text = filler + " اتصل +218 92 555 0147 من زوارة " + "1234 " * 20000
    assert len(text) > 1_000_000
    ex = extract(text, lang="ar")
    assert ex.entities["phones"] == ["+218925550147"]
    assert ex.entities["places"] == ["زوارة"]


def test_rejects_non_text():
    with pytest.raises(TypeError):
        extract(b"bytes are not text")  # type: ignore[arg-type]


def test_route_chains_and_arabizi_markers():
    assert extract("من سوبوتيتسا لهنغاريا ومنها لألمانيا", lang="ar").routes == [
        {"from": "سوبوتيتسا", "to": "هنغاريا"}, {"from": "هنغاريا", "to": "ألمانيا"}]
    assert extract("kayen boti mn Oran l Almeria", lang="ar").routes == [{"from": "Oran", "to": "Almeria"}]
    assert extract("من الخرطوم لليبيا ومن ليبيا بالبحر لإيطاليا", lang="ar").routes == [
        {"from": "الخرطوم", "to": "ليبيا"}, {"from": "ليبيا", "to": "إيطاليا"}]


@pytest.mark.parametrize("text, lang, expected", [
    ("2 millions de FCFA", "fr", [(2_000_000, "XOF")]),
    ("Rs.50,000 only", "en", [(50_000, "PKR")]),
    ("€3.5k", "en", [(3500, "EUR")]),
    ("300 ألف دينار عراقي", "ar", [(300_000, "IQD")]),
    ("v1.2 update, 3.500€", "en", [(3500, "EUR")]),
])
def test_more_price_forms(text, lang, expected):
    assert prices(text, lang=lang) == expected


def test_place_inside_a_currency_name_is_not_a_place():
    ex = extract("800 ليرة سورية", lang="ar")
    assert ex.entities["places"] == [] and ex.entities["prices"] == [{"amount": 800, "currency": "SYP"}]


@pytest.mark.parametrize("text, expected", [
    ("واتساب: 00٢١٨٩١٢٣٤٥٦٧٨", ["+218912345678"]),         # mixed digit systems
    ("wa.me/+447911123456", ["+447911123456"]),
    ("tel:+33612345678", ["+33612345678"]),
    ("📞0912345678", ["+218912345678"]),
])
def test_more_phone_forms(text, expected):
    assert phones(text, lang="ar") == expected


def test_place_names_that_are_also_common_words():
    assert places("kabul edilir, la tarifa es alta, turkey dinner", lang="en") == []
    assert places("JOBS IN TURKEY, visa for Kabul and Tarifa", lang="en") == ["TURKEY", "Kabul", "Tarifa"]


def test_article_and_prepositions_are_not_part_of_the_place():
    assert places("السلطات الإيطالية وبالعراق ولليونان", lang="ar") == ["إيطالية", "العراق", "اليونان"]


def test_region_ties_do_not_follow_the_string_hash_seed():
    """Two dialects' cue words in equal numbers tie; which currency "دينار" becomes must be
    the same in every process (it once followed PYTHONHASHSEED through a set's order)."""
    import os
    import subprocess
    import sys

    code = ("from marsad.detect.entities import extract; "
            "print(extract('برشا ماكو هواية فما السعر 500 دينار شكو برك').entities['prices'])")
    seen = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": str(seed)},
                           capture_output=True, text=True, check=True).stdout for seed in range(6)}
    assert len(seen) == 1, seen


def test_phone_scanner_shortcuts_lose_no_run():
    """``scan`` reads only digit chains that can hold a number; on random mixes of digits,
    keycaps, plus signs, gaps, digit words and noise it must return exactly the runs that
    reading every token of the text returns."""
    from marsad.detect.entities import phones

    def every_token(text):
        runs = []
        phones._runs(text, 0, len(text), runs)
        out = []
        for run in runs:
            words = phones._leading_words(text, run[0].start)
            if sum(len(g.digits) for g in run) + len(words) >= 7:
                out.append(words + run)
        return out

    texts = _phone_mixes()
    assert sum(bool(every_token(t)) for t in texts) > 500          # the mix does hold numbers
    assert [phones.scan(t) for t in texts] == [every_token(t) for t in texts]


def test_price_hints_lose_no_price(monkeypatch):
    """Numbers with no character a price needs next to them are skipped before the price
    patterns run; on random mixes of numbers, every currency, multiplier and price-word form
    (in three casings) and noise, the prices must be those found with no number skipped."""
    from marsad.detect.entities import prices as P
    from marsad.detect.entities.context import RegionContext

    texts = _price_mixes()

    def found():
        return [P.find_prices(t, RegionContext(t, "ar", ())) for t in texts]
    fast = found()
    monkeypatch.setattr(P, "_hint_before", lambda *a: True)      # no number skipped
    slow = found()
    assert sum(map(bool, slow)) > 500 and fast == slow


def _phone_mixes(n: int = 5000, seed: int = 11) -> list[str]:
    """Random mixes of digits, keycaps, plus signs, gaps, digit words and noise."""
    import random
    rng = random.Random(seed)
    pieces = ["0", "1", "9", "٣", "۴", "+", " ", "-", ".", "/", "(", ")", "✨", "\ufe0f", "\u20e3", "1\ufe0f\u20e3",
              "x", "TRC", "\n", "📞", "zero", " one ", "🔟", "00", "218", "091", "2025", ":", "€", "صفر", " سبعة ",
              " ZERO ", " Sıfır ", " ÜÇ ", "\u3000", "\u2009"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def _odd_case(form: str, rng) -> str:
    """``form`` in a casing the finders fold: upper, title, or letters that only Unicode case
    folding equates with ASCII (dotless ı, long ſ, the Kelvin sign)."""
    odd = {"i": "ı", "I": "ı", "s": "ſ", "S": "ſ", "k": "\u212a", "K": "\u212a"}
    pick = rng.random()
    if pick < 0.25:
        return form.upper()
    if pick < 0.5:
        return form.title()
    if pick < 0.7:
        return "".join(odd.get(c, c) for c in form)
    return form


def _price_mixes(n: int = 3000, seed: int = 3) -> list[str]:
    """Random mixes of numbers, every currency, multiplier and price-word form (in odd
    casings too) and noise."""
    import random

    from marsad.detect.entities import gazetteer

    d = gazetteer.currencies()
    forms = [str(f) for spec in d["currencies"].values() for side in ("after", "before") for f in spec.get(side, ())]
    forms += [str(k) for k in d["ambiguous"]] + [str(w) for w in d["price_words"]] + ["مليون", "سنتيم", "e"]
    forms += [str(f) for fs in d["multipliers"].values() for f in fs]
    nums = ["3000", "2.500", "1,800", "٣٠٠٠", "۴۵", "12.50", "4", "70", "2 500", "0912345678", "2025", "১২"]
    noise = [" ", ":", "-", ".", "\u00a0", "x", "السلام", "و", "\n", "=", "\u202f", "@D", "_", "+", "TRC", "٬"]
    rng = random.Random(seed)
    return ["".join((rng.choice(nums) if rng.random() < 0.4 else _odd_case(rng.choice(forms), rng)
                     if rng.random() < 0.6 else rng.choice(noise)) + rng.choice([" ", "", "\u00a0"])
                    for _ in range(rng.randint(1, 8))) for _ in range(n)]


def test_currency_forms_in_letters_that_case_folding_equates():
    """``re.IGNORECASE`` reads "Uſ$" (long s) as "US$" and "lıra" (dotless i) as "lira": the
    tables must know those forms too (the first one used to raise KeyError mid-post)."""
    assert prices("Uſ$ 300") == [(300, "USD")]
    assert prices("300 lıra", lang="tr") == prices("300 lira", lang="tr") == [(300, "TRY")]


def test_every_form_in_every_casing_the_patterns_accept_reads_without_error():
    """The price patterns match forms case-insensitively (Unicode rules); every casing they
    accept must be found in the tables. "4 MİLYON TL" (Turkish dotted capital İ) used to raise
    KeyError, losing the post."""
    import random

    from marsad.detect.entities import gazetteer
    from marsad.detect.entities.prices import case_variants

    d = gazetteer.currencies()
    forms = [str(f) for spec in d["currencies"].values() for side in ("after", "before") for f in spec.get(side, ())]
    forms += [str(k) for k in d["ambiguous"]] + [str(w) for w in d["price_words"]]
    forms += [str(f) for fs in d["multipliers"].values() for f in fs]
    forms += [str(w) for ws in d["word_amounts"].values() for w in ws]
    rng = random.Random(5)
    for f in forms:
        for _ in range(3):
            v = "".join(rng.choice(sorted(case_variants(c))) for c in f)
            for t in (f"3000 {v}", f"{v} 3000", f"السعر {v} 300", f"{v} دولار", f"4 {v} euro", f"ألفين {v}"):
                extract(t, lang="ar")
    assert prices("4 MİLYON TL", lang="tr") == prices("4 milyon TL", lang="tr") == [(4_000_000, "TRY")]


# ------------------------------------------------------------------------ batch gates
def _place_mixes(n: int = 3000, seed: int = 7) -> list[str]:
    """Random mixes of gazetteer aliases (with proclitics, in odd casings, glued to
    punctuation, emoji, characters above the tables' range and Greek capital sigma) and
    noise."""
    import random

    from marsad.detect.entities import gazetteer

    names = [str(a) for e in gazetteer.places() for k, v in e.items() if isinstance(v, list) and k != "exact"
             for a in v]
    glue = [" ", "", "،", ".", "-", "و", "ل", "ال", "لل", "بـ", "\u200c", "\u064e", "#", "🚤", "\U00020000",
            "Σ", "İ", "x", "\n", "@", "ê", "yê"]
    rng = random.Random(seed)
    return ["".join(rng.choice(glue) + (_odd_case(rng.choice(names), rng) if rng.random() < 0.5
                                        else rng.choice(["boat", "الحرقة", "جاي", "ΟΔΟΣ", "İZMİR"]))
                    for _ in range(rng.randint(1, 6))) for _ in range(n)]


def _gate_texts() -> list[str]:
    from marsad.detect.corpus import read_corpus

    corpus = [r["text"] for r in read_corpus()][::3]
    plus = ["+ 2 1 8 9 1", "＋218  91 555 0123", "zero nine one 825", "abczero          1234",
            "x" * 20 + "zero 12", "SIFIR dokuz 123", "İKİ 1234", "𠀀zero 12345", "5 $ 67 12345", "12345 $5 67",
            "zero one +12 345", "صفر سبعة ＋ - 21 8", "call zero nine + 1 2 3",
            "a1\ufe0f\u20e32\ufe0f\u20e33\ufe0f\u20e34\ufe0f\u20e35\ufe0f\u20e36\ufe0f\u20e37\ufe0f\u20e3",
            "@sara1116101 234", "x٣٤٥ 6 7 8 9 0 1", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "abcdefghijklm" + "é" * 13, "abcdefghijklmn" + "\u2009" + "x" * 25, "abcdefghijklmn" + "\U00020000" * 12,
            "TQrZ9wBzGqK8rRZ9xTj1PvPZ4eQwzXGh3b\u3000"]
    return corpus + _phone_mixes(2000) + _price_mixes(2000) + _place_mixes() + plus


def test_each_gate_opens_wherever_its_finder_finds_something():
    """The batch gates may only close a finder that finds nothing: on the shipped corpus and
    random mixes built to hit every finder's corner (digit words, plus signs before gaps,
    casings, proclitics, characters the tables cannot judge), every text where a finder finds
    something has its gate open, and the places read from the words the gates point at are
    the places read from the whole text."""
    import marsad.detect.entities as E
    from marsad.detect.entities import _mask
    from marsad.detect.entities import gates as G
    from marsad.detect.entities import phones as PH
    from marsad.detect.entities import prices as PR
    from marsad.detect.entities.context import RegionContext
    from marsad.detect.entities.places import find_places

    masked = [_mask(t, wallets=False).masked for t in _gate_texts() if t]
    bits, place_spans, _, _ = G.open_gates(masked)
    need = {G.PHONE: 0, G.PRICE: 0, G.PLACE: 0, G.WORDS: 0}
    for text, g, spans in zip(masked, bits, place_spans):
        assert find_places(text, spans=spans or []) == find_places(text), text
        wallet_check = bool(E._ALNUM14.search(text) and E._TOKEN26.search(text))
        assert bool(g & G.WALLET) == wallet_check, text
        need[G.WALLET] = need.get(G.WALLET, 0) + wallet_check
        ctx = RegionContext(text, "ar", ())
        wants = {G.PHONE: bool(PH.scan(text)),
                 G.PRICE: PR.find_prices(text, ctx, True) != PR.find_prices(text, RegionContext(text, "ar", ()), False),
                 G.PLACE: bool(find_places(text)), G.WORDS: PR.may_have_price_words(text)}
        for bit, want in wants.items():
            need[bit] += want
            assert not want or g & bit, (bit, text)
        assert bool(g & G.WORDS) == wants[G.WORDS], text      # this one is exact
    assert min(need[b] for b in (G.PHONE, G.PRICE, G.PLACE)) > 300   # each finder finds things in the mix
    assert need[G.WALLET] >= 3 and need[G.WORDS] >= 30
    closed = sum(1 for g in bits if g & G.ALL != G.ALL)
    assert closed > len(bits) // 4                    # and the gates do close on the rest


def test_extract_many_gives_what_extract_gives():
    """``extract_many`` (gated finders) and ``extract`` (every finder) agree on everything they
    return, spans, places, routes and regions included."""
    from marsad.detect.entities import extract_many

    texts = _gate_texts() + ["", "🙂🙂", "wa.me/218915550123 0912345678 3000€", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq 300$"]
    langs = [("ar", "en", "fr", None)[i % 4] for i in range(len(texts))]
    many = extract_many(texts, langs)
    for text, lang, got in zip(texts, langs, many):
        assert got == extract(text, lang=lang), text
    with pytest.raises(TypeError):
        extract_many(["ok", b"bytes"])


def test_every_price_word_hint_holds_a_stem():
    """``may_have_price_words`` and the WORDS gate first look for a stem only: a hint without
    one would never be read."""
    from marsad.detect.entities.prices import _WORD_HINTS, WORD_STEMS

    assert all(any(s in h for s in WORD_STEMS) for h in _WORD_HINTS)


def test_price_gate_stays_shut_for_digits_glued_to_a_word():
    """Real tweets are full of "@D84666443 الرابط" and "TRC20": digits that continue a Latin
    word start no number the price finder reads, so they must not send the post to it."""
    from marsad.detect.entities import gates as G

    shut = ["RT @D84666443 الرابط", "@al_7arbe2014 بالتوفيق", "USDT TRC20 ال", "v+2 e", "x12 الف"]
    open_ = ["سعر 300 الف", "ب 2500 e", "@user 12 الف", "$ 300", "D 300 ال", "x 12.500 ال"]
    bits, *_ = G.open_gates(shut + open_)
    assert [bool(b & G.PRICE) for b in bits] == [False] * len(shut) + [True] * len(open_)


def test_place_gate_opens_on_a_lower_case_that_depends_on_the_word():
    """``str.lower`` writes a capital sigma as ς at the end of a word and σ elsewhere, which a
    per-character table cannot know: a gazetteer that gained Λέσβος must still see ΛΈΣΒΟΣ."""
    import numpy as np

    from marsad.detect.entities import gates as G

    cls, lower, after2, after3, e1, e2, e3, stems, digit_words, _, _, max_word, *rest = G.tables()
    keys = np.array([G._h(map(ord, "λέσβος"))], dtype=np.uint64)
    bits = G._bitset(keys)

    def gate(text):
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        starts = np.array([0, len(text)], dtype=np.int64)
        return int(G._gates_kernel(cps, starts, cls, lower, after2, after3, e1, e2, e3, stems, digit_words, keys,
                                   bits, max_word, *rest)[0][0]) & G.PLACE
    assert "ΛΈΣΒΟΣ".lower() == "λέσβος" and gate("boats to ΛΈΣΒΟΣ") and gate("to λέσβος")
    assert not gate("boats to Athens")


def test_lower_word_bit_is_the_class_of_the_lower_case():
    """The place runs read one bit, LPWORD, for "lower-cased, a gazetteer word character":
    for every code point of the tables it must be what the two lookups it replaces say."""
    import numpy as np

    from marsad.detect.entities import gates as G

    cls, lower = G.tables()[:2]
    code = np.arange(G.LUT, dtype=np.uint32)
    lowered = np.where(lower == G.AMBIGUOUS, code, lower)
    want = np.array([(int(cls[c]) & G.PWORD) != 0 if c < G.LUT else False for c in lowered.tolist()])
    assert np.array_equal((cls & G.LPWORD) != 0, want)
    assert cls[ord("Σ")] & G.LPWORD and cls[ord("A")] & G.LPWORD and not cls[ord(" ")] & G.LPWORD


def test_cue_tokens_from_the_gates_give_the_dialect_words_of_the_whole_text():
    """``RegionContext`` reads the dialect words only in the tokens the gates hand over: on the
    gate texts and on cues wrapped in the punctuation it strips, in any case, it must find
    exactly the cues it finds walking every token."""
    from marsad.detect.entities import _mask
    from marsad.detect.entities import gates as G
    from marsad.detect.entities.context import RegionContext, _cue_table
    from marsad.detect.entities.places import lower_same_length

    cues = sorted(_cue_table())[::7]
    wrapped = [f"call 0912345678 «{c}»، ok" for c in cues] + [f"3000€ ({c.upper()}) …{c}…" for c in cues]
    wrapped += ["ΣΑΣ 0912345678", "—برشا— 0912345678", "#برشا# 500 euro", "x" * 40 + " 0912345678"]
    masked = [_mask(t, wallets=False).masked for t in _gate_texts() + wrapped if t]
    gates = G.open_gates(masked)
    found = 0
    for text, g, spans in zip(masked, gates.bits, gates.cues):
        if spans is None:
            assert not g & (G.PHONE | G.PRICE | G.WORDS)
            continue
        low = lower_same_length(text)
        want = RegionContext(text, "ar", (), low).cue_regions()
        assert RegionContext(text, "ar", (), low, cue_spans=spans).cue_regions() == want, text
        found += bool(want)
    assert found > 2 * len(cues)


def test_handle_spans_from_the_gates_are_what_find_handles_finds():
    """The batch pass finds "@name" mentions itself; on tricky texts and the gate texts its
    spans must be exactly ``find_handles``'s (the not-after rule, dots, length, letters)."""
    from marsad.detect.entities import _mask
    from marsad.detect.entities import gates as G
    from marsad.detect.entities.links import find_handles

    tricky = ["a@b@cd", "@1.", "@a.b.", "x/@abc", "@" + "a" * 40, "@_1", "@__x", "١@abc", "é@abc", "@ab",
              "@a", "(@Rehla_Safe)", "@@Backup.Channel.", "mail me@x.com or @real_one", "@12345 @123a", "@.ab",
              "end @zz", "@Ab" + "." * 5 + "c"]
    masked = [_mask(t, wallets=False).masked for t in tricky + _gate_texts() if t]
    gates = G.open_gates(masked)
    seen = 0
    for text, spans in zip(masked, gates.handles):
        want = [(h.start, h.end) for h in find_handles(text)]
        assert list(spans) == want, text
        assert all("@" + text[s + 1:e].lower() == h.handle for (s, e), h in zip(spans, find_handles(text)))
        seen += len(want)
    assert seen > 50


def test_digit_words_before_a_run_are_read_as_the_regex_reads_them():
    """``_leading_words`` takes the word before the spaces from ``str.rsplit`` when it is all
    word characters, and from the regex otherwise: on words glued to punctuation, "_", Unicode
    spaces, cut-off words and the phone mixes it must give what the regex alone gives."""
    import re

    from marsad.detect.entities import phones as PH

    last_word = re.compile(r"(\w+)(\s+)$")

    def reference(text, start):
        out, pos = [], start
        while pos and text[pos - 1].isspace():
            m = last_word.search(text[max(0, pos - 16):pos])
            if not m or (d := PH._WORD_DIGITS.get(m.group(1).lower())) is None:
                break
            ws = pos - len(m.group(2)) - len(m.group(1))
            out.insert(0, PH._Group(d, ws, ws + len(m.group(1)), "word"))
            pos = ws
            if len(out) >= 6:
                break
        return out

    texts = ["(zero 912345", "zero_one 12", "un\u00a0123", "ZÉRO deux\u2009123", "sıfır bir 5", "x" * 14 + "zero 1",
             "«صفر» 0912", "one two three four five six seven 8", "  zero  1", "zero\n1", "—zero 12"]
    texts += _phone_mixes(1500)
    checked = 0
    for text in texts:
        for pos in range(1, len(text) + 1):
            if text[pos - 1].isspace() and (pos == len(text) or not text[pos].isspace()):
                assert PH._leading_words(text, pos) == reference(text, pos), (text, pos)
                checked += 1
    assert checked > 5000


def test_entities_come_in_the_order_of_the_kinds():
    """The engine reads a post's entity flags off its entities dict in order: every
    extraction, empty or not, batched or not, lists the kinds in ENTITY_KINDS order."""
    from marsad.detect.entities import extract_many
    from marsad.model import ENTITY_KINDS

    texts = ["", "wa.me/218915550123 @abc 3000€ زوارة https://x.com/a", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
    for ex in [extract(t) for t in texts] + extract_many(texts):
        assert tuple(ex.entities) == ENTITY_KINDS
