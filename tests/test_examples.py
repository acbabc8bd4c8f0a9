"""The bundled sample that ``make demo`` scans (examples/sample/) against its answer key
(examples/sample_truth.json): every file is read by the adapter meant for it, every post
is stored with nothing quarantined, the planted networks really share identifiers, the
demo hash list matches the smuggling picture (and its re-post) but not the boat for sale,
and the committed files are what examples/make_sample.py writes."""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from marsad import settings
from marsad.detect.entities import extract
from marsad.ingest import pick_source, read, walk
from marsad.model import HARMS, LABELS, RawRecord
from marsad.normalize.arabic import fold
from marsad.normalize.post import to_post
from marsad.pipeline import scan
from marsad.store.db import connect
from marsad.store.schema import posts

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SAMPLE = EXAMPLES / "sample"
MEDIA = SAMPLE / "media"
HASHLIST = EXAMPLES / "hashlists" / "smuggling_imagery.csv"
TRUTH = json.loads((EXAMPLES / "sample_truth.json").read_text(encoding="utf-8"))
KEY = TRUTH["posts"]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """The sample scanned once, without a detector, into a fresh SQLite store."""
    folder = tmp_path_factory.mktemp("sample-scan")
    url = f"sqlite:///{folder / 'store.db'}"
    summary = scan([SAMPLE], db=url, detector=None, quarantine=folder / "quarantine.jsonl",
                   detect_lang=False)
    with connect(url).connect() as conn:
        rows = conn.execute(select(posts.c.platform, posts.c.id, posts.c.author_id, posts.c.source,
                                   posts.c.created_at, posts.c.text)).all()
    return summary, rows, folder


def test_the_sample_holds_exactly_the_files_of_the_key():
    found = {p.relative_to(SAMPLE).as_posix() for p in walk([SAMPLE])}
    assert found == set(TRUTH["files"])


@pytest.mark.parametrize("name", sorted(TRUTH["files"]))
def test_auto_detection_picks_the_intended_adapter(name):
    assert pick_source(SAMPLE / name).name == TRUTH["files"][name]["adapter"]


def test_scan_stores_every_post_and_quarantines_nothing(scanned):
    summary, rows, folder = scanned
    assert summary.bad == 0, (folder / "quarantine.jsonl").read_text(encoding="utf-8")
    assert not (folder / "quarantine.jsonl").exists()
    assert summary.records == summary.new == len(KEY)
    assert dict(summary.platforms) == TRUTH["counts"]["platforms"]


def test_stored_posts_are_the_posts_of_the_key(scanned):
    _, rows, _ = scanned
    stored = {f"{r.platform}:{r.id}": r for r in rows}
    assert set(stored) == set(KEY)
    for key, want in KEY.items():
        row = stored[key]
        assert f"{row.platform}:{row.author_id}" == want["account"], key
        assert Path(row.source).resolve() == (SAMPLE / want["file"]).resolve(), key


def test_counts_per_file_and_platform(scanned):
    _, rows, _ = scanned
    got: dict[str, Counter] = {}
    for r in rows:
        got.setdefault(Path(r.source).resolve().relative_to(SAMPLE.resolve()).as_posix(), Counter())[r.platform] += 1
    assert {f: dict(c) for f, c in got.items()} == {f: v["platforms"] for f, v in TRUTH["files"].items()}
    for f, v in TRUTH["files"].items():
        assert sum(v["platforms"].values()) == v["posts"]


def test_posts_are_dated_2025_to_2026(scanned):
    _, rows, _ = scanned
    assert {r.created_at.year for r in rows} <= {2025, 2026}


def test_the_mix_is_arabic_first_and_mostly_hard_negatives_then_smuggling():
    labels = Counter(t["label"] for t in KEY.values())
    langs = Counter(t["lang"] for t in KEY.values())
    n = len(KEY)
    assert 250 <= n <= 350
    assert set(labels) == set(LABELS)
    assert 0.40 <= labels["benign"] / n <= 0.55
    assert max(HARMS, key=labels.__getitem__) == "migrant_smuggling"
    assert langs["ar"] / n >= 0.45
    assert {"en", "fr", "fa", "tr", "ur", "ps", "es", "ckb", "ku"} <= set(langs)
    dialects = {t.get("dialect") for t in KEY.values() if t["lang"] == "ar"}
    assert {"libyan", "tunisian", "algerian", "darija", "egyptian", "syrian", "iraqi", "gulf",
            "sudanese", "msa", "arabizi"} <= dialects
    assert len(TRUTH["files"]) == 6 and len({t["platform"] for t in KEY.values()}) == 6


def test_networks_are_several_operators_each_on_several_platforms():
    nets = TRUTH["networks"]
    assert 6 <= len(nets) <= 8
    seen: set[str] = set()
    for net in nets:
        assert 2 <= len(net["accounts"]) <= 5, net["id"]
        assert len({a.split(":", 1)[0] for a in net["accounts"]}) >= 2, net["id"]
        assert not seen & set(net["accounts"]), net["id"]
        seen |= set(net["accounts"])
        labels = {KEY[k]["label"] for k, t in KEY.items() if t["account"] in net["accounts"]}
        assert labels == {net["harm"]}, net["id"]
    (agency,) = TRUTH["benign_networks"]
    assert {t["label"] for t in KEY.values() if t["account"] in agency["accounts"]} == {"benign"}


def _identifiers(text: str, lang: str) -> set[str]:
    ents = extract(text, lang=None if lang == "und" else lang).entities
    return set(ents["phones"]) | set(ents["handles"]) | set(ents["wallets"]) | set(ents["urls"])


def test_every_account_of_a_network_writes_a_shared_identifier(scanned):
    """What the linker needs: each account's posts, however they write the number, handle,
    link or wallet, yield at least one identifier its network shares; and no identifier is
    shared between two networks (the licensed agency links to nobody else)."""
    _, rows, _ = scanned
    text = {f"{r.platform}:{r.id}": r.text for r in rows}
    owners: dict[str, set[str]] = {}
    for net in TRUTH["networks"] + TRUTH["benign_networks"]:
        shared = {s for s in net["shared"] if not s.startswith("image:")}
        for account in net["accounts"]:
            found: set[str] = set()
            for key, t in KEY.items():
                if t["account"] == account:
                    found |= _identifiers(text[key], t["lang"])
            assert found & shared, f"{net['id']}: {account} shares none of {sorted(shared)}"
            for ident in found & shared:
                owners.setdefault(ident, set()).add(net["id"])
    assert all(len(nets) == 1 for nets in owners.values()), owners


def test_media_files_exist_and_the_hash_list_holds_the_boat_picture():
    from marsad.detect.hashlist_formats import read_hashes
    from marsad.detect.media import hash_file

    referenced = set()
    for line in (SAMPLE / "facebook_instagram.jsonl").read_text(encoding="utf-8").splitlines():
        referenced |= {m["path"] for m in json.loads(line).get("media", [])}
    assert referenced and all((SAMPLE / p).is_file() for p in referenced)
    listed = read_hashes(HASHLIST)
    assert not listed.errors
    assert [r.value for r in listed.records] == [hash_file(MEDIA / "boat_italy_3000.png").pdq]
    threshold = settings.get("PDQ_THRESHOLD")

    def distance(name):
        return bin(int(hash_file(MEDIA / name).pdq, 16) ^ int(listed.records[0].value, 16)).count("1")

    assert 0 < distance("boat_italy_3000_repost.jpg") <= threshold
    for other in ("boat_for_sale_15hp.png", "bus_germany_vip.png", "residence_card.png"):
        assert distance(other) > threshold * 2, other


def test_demo_hash_list_matches_the_operator_posts_and_not_the_boat_for_sale(tmp_path):
    from marsad.detect.hashlists import import_list
    from marsad.detect.media import match_post_media

    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    result = import_list(engine, HASHLIST, name="smuggling_imagery", category="migrant_smuggling",
                         source="marsad sample")
    assert result["added"] == 1 and not result["errors"]
    matched = {}
    for rec in read([SAMPLE / "facebook_instagram.jsonl"]):
        assert isinstance(rec, RawRecord)
        post = to_post(rec, detect_lang=False)
        if post.media:
            found = match_post_media(engine, post, Path(post.source).parent)
            matched[f"{post.platform}:{post.id}"] = {m["category"] for m in found}
    zuwara = next(n for n in TRUTH["networks"] if n["id"] == "net-zuwara")
    hits = {k for k, cats in matched.items() if cats}
    assert hits and {KEY[k]["account"] for k in hits} <= set(zuwara["accounts"])
    assert len({KEY[k]["account"] for k in hits}) == 2      # the page's original and the re-post
    assert all(matched[k] == {"migrant_smuggling"} for k in hits)
    assert any(KEY[k]["label"] == "benign" and not cats for k, cats in matched.items())


def test_committed_files_are_what_make_sample_writes():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import make_sample
    finally:
        sys.path.remove(str(EXAMPLES))
    outputs, truth = make_sample.build()
    assert set(outputs) == set(TRUTH["files"])
    for rel, text in outputs.items():
        assert (SAMPLE / rel).read_bytes() == text.encode("utf-8"), rel
    assert truth == TRUTH


def _grams(text: str, n: int = 4) -> set[str]:
    words = re.findall(r"\w+", fold(text).lower())
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_sample_texts_are_not_taken_from_the_training_corpus(scanned):
    """The demo must show the engine on text it was not trained on."""
    _, rows, _ = scanned
    index: dict[str, int] = {}
    exact = set()
    corpus = sorted((ROOT / "marsad" / "detect" / "corpus").glob("*.jsonl"))
    assert corpus
    for n, path in enumerate(corpus):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text", "")
                exact.add(fold(text).strip())
                for g in _grams(text):
                    index.setdefault(g, 0)
                    index[g] += 1
    for r in rows:
        if not r.text:
            continue   # a media-only WhatsApp message
        assert fold(r.text).strip() not in exact, r.text
        grams = _grams(r.text)
        if len(grams) >= 5:
            shared = sum(1 for g in grams if g in index)
            assert shared / len(grams) < 0.5, r.text
