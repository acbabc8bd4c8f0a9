"""The reviewed gazetteer data loads and is well formed (a typo in YAML should fail here,
not silently drop places or currencies)."""
from __future__ import annotations

from marsad.detect.entities import gazetteer
from marsad.detect.entities.places import canonical, find_places

KINDS = {"country", "region", "city", "island", "border", "coast"}
ROLES = {"departure", "transit", "destination", "origin", "other"}
LANG_KEYS = {"en", "fr", "es", "it", "de", "tr", "ku", "arz", "ar", "fa", "ckb", "ur", "ps", "geez", "so", "ha"}


def test_every_place_is_well_formed_and_findable():
    entries = gazetteer.places()
    assert len(entries) > 300
    for e in entries:
        assert isinstance(e["name"], str) and isinstance(e["cc"], str) and len(e["cc"]) in (0, 2), e
        assert e["kind"] in KINDS and e["role"] in ROLES, e
        langs = {k for k, v in e.items() if isinstance(v, list) and k != "exact"}
        assert langs and langs <= LANG_KEYS, e
        for lang in langs:
            for alias in e[lang]:
                alias = str(alias)
                # Each alias, written alone, is found as itself.
                assert [p.text for p in find_places(alias)] == [alias], (e["name"], alias)
        for alias in e.get("exact") or ():
            assert any(alias in e[k] for k in langs), (e["name"], alias)


def test_canonical_names():
    assert canonical("زواره") == "Zuwara" and canonical("LAMPEDUSA") == "Lampedusa"
    assert canonical("nowhere at all") is None


def test_countries_and_currencies():
    countries = gazetteer.countries()
    assert "NO" not in countries or countries["NO"]          # never a YAML false
    assert all(len(cc) == 2 and cc.isupper() for cc in countries)
    cur = gazetteer.currencies()
    assert {"EUR", "USD", "IRT", "USDT"} <= set(cur["currencies"])
    assert cur["currencies"]["IRT"]["code"] == "IRR" and cur["currencies"]["IRT"]["scale"] == 10
    for word, spec in cur["ambiguous"].items():
        assert spec["default"], word
