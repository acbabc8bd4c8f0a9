"""Linking on small hand-made graphs: identifiers given directly, no classifier."""
from __future__ import annotations

import numpy as np
import pytest

from marsad.link import LinkRules, link_corpus
from marsad.link.corpus import Corpus
from marsad.link.rules import entity_identifiers, url_identifier


def linked(posts, **rules):
    """``posts``: (platform, author_id, [(kind, value)...], label?) tuples."""
    corpus = Corpus(LinkRules.load(**rules))
    for i, (plat, author, idents, *rest) in enumerate(posts):
        label = rest[0] if rest else "migrant_smuggling"
        corpus.add_post(plat, f"p{i}", author, label=label, risk=0.9 if label != "benign" else 0.05,
                        identifiers=list(idents), created_at=f"2025-01-{i % 28 + 1:02d}T10:00:00Z")
    return link_corpus(corpus)


def groups(result):
    return sorted(sorted(n["accounts"]) for n in result.networks)


def test_shared_phone_links_accounts_across_platforms():
    phone = ("phone", "+218915550101")
    res = linked([("facebook", "a", [phone]), ("telegram", "b", [phone, ("handle", "@boats")]),
                  ("tiktok", "c", [("handle", "@boats")]), ("x", "d", [("phone", "+218925550199")])])
    assert groups(res) == [["a", "b", "c"]]
    net = res.networks[0]
    assert net["platforms"] == ["facebook", "telegram", "tiktok"]
    assert net["shared"] == ["+218915550101", "@boats"]
    why = {(e["kind"], e["value"]): e["accounts"] for e in net["evidence"]}
    assert why == {("phone", "+218915550101"): ["a", "b"], ("handle", "@boats"): ["b", "c"]}


def test_accounts_are_keyed_by_platform_and_author_id():
    """The same author_id on two platforms is two accounts; the contract lists the author_id once."""
    phone = ("phone", "+33612345678")
    res = linked([("facebook", "same", [phone]), ("telegram", "same", [phone])])
    assert groups(res) == [["same"]]
    assert len(res.networks[0]["members"]) == 2


def test_hub_identifier_does_not_merge_everything():
    hotline = ("phone", "+33199001122")
    posts = [("facebook", f"ngo{i}", [hotline], "benign") for i in range(150)]
    posts += [("x", "s1", [hotline, ("phone", "+218911111111")]), ("telegram", "s2", [("phone", "+218911111111")])]
    res = linked(posts)
    assert groups(res) == [["s1", "s2"]]
    assert res.hubs()[0] == {"kind": "phone", "value": "+33199001122", "accounts": 151}
    assert "+33199001122" not in res.networks[0]["shared"]


def test_common_identifier_needs_a_second_clue():
    """Carried by 30 unrelated benign accounts, a number counts ~0.68: alone it links no one,
    with a second such clue the pair is linked."""
    common_a, common_b = ("phone", "+33100000001"), ("url", "example-help.org/contact")
    posts = [("facebook", f"p{i}", [common_a], "benign") for i in range(30)]
    posts += [("facebook", f"q{i}", [common_b], "benign") for i in range(30)]
    assert groups(linked(posts)) == []
    posts[0] = ("facebook", "p0", [common_a, common_b], "benign")
    posts[30] = ("facebook", "q0", [common_a, common_b], "benign")
    assert groups(linked(posts)) == [["p0", "q0"]]


def test_operator_number_on_many_harmful_pages_links_them():
    """An operator's number on 30 ad pages is not a hotline: its carriers all post harm."""
    number = ("phone", "+905551112233")
    ads = [("facebook", f"ad{i}", [number], "migrant_smuggling") for i in range(30)]
    assert groups(linked(ads)) == [sorted(f"ad{i}" for i in range(30))]
    warnings = [("facebook", f"w{i}", [number], "benign") for i in range(30)]
    assert groups(linked(warnings)) == []


def test_common_identifier_joins_the_network_most_of_its_carriers_are_in():
    number = ("phone", "+905550000000")
    core = [("facebook", f"c{i}", [number, ("wallet", "TCoreWallet")], "benign") for i in range(12)]
    stray = [("x", "extra", [number], "benign")]
    res = linked(core + stray)
    assert groups(res) == [sorted([f"c{i}" for i in range(12)] + ["extra"])]


def test_repeated_identifier_of_one_account_links_nothing():
    phone = ("phone", "+212600000001")
    assert groups(linked([("facebook", "solo", [phone])] * 5 + [("x", "other", [])])) == []


def test_rarity():
    rules = LinkRules.load()
    assert rules.rarity(1) == 0.0
    assert rules.rarity(2) == rules.rarity(rules.rare_accounts) == 1.0
    assert rules.rarity(rules.rare_accounts ** 2) == pytest.approx(0.5)
    assert rules.rarity(rules.hub_accounts + 1) == 0.0


def test_links_to_public_pages_weigh_less_and_profile_links_are_their_handle():
    rules = LinkRules.load()
    assert url_identifier("https://t.me/Some_Channel", rules) is None          # the handle @some_channel
    assert url_identifier("wa.me/218915550101", rules) is None                 # the phone
    assert url_identifier("https://www.UNHCR.org/help/x", rules) == ("public_url", "unhcr.org/help/x")
    assert url_identifier("https://www.interior.gov.ly/page", rules)[0] == "public_url"
    assert url_identifier("chat.whatsapp.com/AbCdEf123", rules) == ("url", "chat.whatsapp.com/AbCdEf123")
    ents = {"phones": ["+218915550101"], "handles": ["@Boats"], "urls": ["t.me/boats", "https://www.unhcr.org/x"]}
    assert entity_identifiers(ents, rules) == [("phone", "+218915550101"), ("handle", "@boats"),
                                               ("public_url", "unhcr.org/x")]
    page = ("public_url", "unhcr.org/help")
    assert groups(linked([("facebook", "n1", [page], "benign"), ("x", "n2", [page], "benign")])) == []
    site = ("url", "fast-visa-demo.example/apply")
    assert groups(linked([("facebook", "v1", [site]), ("x", "v2", [site])])) == [["v1", "v2"]]


def _flip(hex64: str, bits: int, rng) -> str:
    value = int(hex64, 16)
    for b in rng.choice(256, bits, replace=False):
        value ^= 1 << int(b)
    return f"{value:064x}"


def test_same_picture_links_accounts():
    rng = np.random.default_rng(3)
    boat = f"{int.from_bytes(rng.bytes(32), 'big'):064x}"
    corpus = Corpus()
    corpus.add_post("facebook", "m1", "pics1", label="migrant_smuggling", risk=0.8, media=((boat, 100),))
    corpus.add_post("instagram", "m2", "pics2", label="migrant_smuggling", risk=0.8,
                    media=((_flip(boat, 12, rng), 90),))                       # a re-encoded copy
    corpus.add_post("tiktok", "m3", "pics3", label="migrant_smuggling", risk=0.8,
                    media=((_flip(boat, 100, rng), 90),))                      # another picture
    res = link_corpus(corpus)
    assert groups(res) == [["pics1", "pics2"]]
    assert res.networks[0]["evidence"][0]["kind"] == "pdq"


def test_large_component_joined_by_one_bridge_is_split_into_communities():
    """Two 60-account operators whose pages share one number among themselves, bridged by a
    single wallet: one component, two Leiden communities that keep a common component key."""
    posts = [("facebook", f"a{i}", [("phone", "+100"), ("handle", "@a")]) for i in range(60)]
    posts += [("telegram", f"b{i}", [("phone", "+200"), ("handle", "@b")]) for i in range(60)]
    posts[0] = ("facebook", "a0", [("phone", "+100"), ("wallet", "TBridge")])
    posts[60] = ("telegram", "b0", [("phone", "+200"), ("wallet", "TBridge")])
    res = linked(posts, rare_accounts=100, hub_accounts=200)
    assert [len(n["accounts"]) for n in res.networks] == [60, 60]
    assert res.networks[0]["component"] == res.networks[1]["component"]
    assert groups(linked(posts, rare_accounts=100, hub_accounts=200, split_above=1000)) == [
        sorted([f"a{i}" for i in range(60)] + [f"b{i}" for i in range(60)])]


def test_whatsapp_account_is_its_number():
    corpus = Corpus()
    corpus.add_post("whatsapp", "w1", "+218 94 555 0404", label="migrant_smuggling", risk=0.9)
    corpus.add_post("facebook", "f1", "page", label="migrant_smuggling", risk=0.9,
                    identifiers=[("phone", "+218945550404")])
    assert groups(link_corpus(corpus)) == [["+218 94 555 0404", "page"]]
