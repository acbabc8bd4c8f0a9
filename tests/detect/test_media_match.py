"""Matching posts' media against hash lists in the store, and near-duplicates in the corpus."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, inspect, select

from marsad.detect.hashlists import FloodGuard, import_list, list_lists, release
from marsad.detect.media import (corpus_near_duplicates, hash_file, match_post_media, matcher_for,
                                 near_duplicate_pairs)
from marsad.model import Post
from marsad.store.db import connect
from marsad.store.schema import posts
from marsad.store.tables_media import media, media_matches

MEDIA = Path(__file__).parents[1] / "fixtures" / "media"
P1 = hash_file(MEDIA / "poster1.jpg").pdq


def flipped(pdq: str, n: int, seed: int = 0) -> str:
    """``pdq`` with ``n`` bits flipped."""
    bits = np.unpackbits(np.frombuffer(bytes.fromhex(pdq), np.uint8)).copy()
    bits[np.random.default_rng(seed).choice(256, n, replace=False)] ^= 1
    return bytes(np.packbits(bits)).hex()


def write_list(tmp_path: Path, name: str, *hashes: str) -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text("".join(f"pdq {h}\n" for h in hashes))
    return path


def post(pid: str, *media_items, author="a1", platform="telegram") -> Post:
    return Post(id=pid, platform=platform, text="", author_id=author, media=tuple(media_items),
                source="export.jsonl")


@pytest.fixture
def engine(store_url):
    return connect(store_url)


def test_a_posted_file_matches_and_is_recorded(engine, tmp_path):
    import_list(engine, write_list(tmp_path, "boats", P1), name="boats", category="smuggling",
                source="own")
    folder = tmp_path / "export"
    (folder / "photos").mkdir(parents=True)
    shutil.copy(MEDIA / "poster1_exif6.jpg", folder / "photos" / "p.jpg")
    p = post("1", {"path": "photos/p.jpg"}, {"path": "photos/missing.jpg"}, {"url": "https://x.invalid/a.jpg"})
    findings = match_post_media(engine, p, folder)
    assert findings == [{"list": "boats", "category": "migrant_smuggling", "distance": 0,
                         "pdq": P1, "media_index": 0, "signal_type": "pdq", "list_hash": P1}]
    with engine.connect() as conn:
        rows = conn.execute(select(media).order_by(media.c.media_index)).mappings().all()
        matches = conn.execute(select(media_matches)).mappings().all()
    assert [r["pdq"] for r in rows] == [P1, None, None]
    assert rows[0]["path"] == "photos/p.jpg" and rows[0]["quality"] == 100
    assert "No such file" in rows[1]["error"] and "not fetched" in rows[2]["error"]
    assert [(m["status"], m["distance"], m["post_id"], m["source"]) for m in matches] == \
        [("match", 0, "1", "export.jsonl")]
    # Re-running the same post records nothing twice and gives the same findings.
    assert match_post_media(engine, p, folder) == findings
    with engine.connect() as conn:
        assert len(conn.execute(select(media)).all()) == 3
        assert len(conn.execute(select(media_matches)).all()) == 1


def test_per_list_thresholds_and_given_hashes(engine, tmp_path):
    import_list(engine, write_list(tmp_path, "strict", P1), name="strict", category="smuggling",
                source="own", threshold=10)
    import_list(engine, write_list(tmp_path, "loose", P1), name="loose", category="smuggling",
                source="own", threshold=40)
    near, far = flipped(P1, 6), flipped(P1, 36, seed=1)
    found = match_post_media(engine, post("2", {"pdq": near}, {"pdq": far},
                                          {"pdq": flipped(P1, 90)}), None)
    assert sorted((f["list"], f["media_index"], f["distance"]) for f in found) == \
        [("loose", 0, 6), ("loose", 1, 36), ("strict", 0, 6)]
    # Low-quality hashes are not matched (flat images look alike without being alike).
    assert match_post_media(engine, post("3", {"pdq": P1, "quality": 20}), None) == []


def test_exact_sha256_lists(engine, tmp_path):
    sha = hash_file(MEDIA / "poster2.png").sha256
    path = tmp_path / "sha.txt"
    path.write_text(f"sha256 {sha}\n")
    import_list(engine, path, name="exact", category="document_fraud", source="own")
    found = match_post_media(engine, post("4", {"path": "poster2.png"}), MEDIA)
    assert [(f["list"], f["signal_type"], f["distance"]) for f in found] == [("exact", "sha256", 0)]


def test_negative_list_suppresses_a_known_false_positive(engine, tmp_path):
    import_list(engine, write_list(tmp_path, "boats", P1), name="boats", category="smuggling",
                source="own")
    import_list(engine, write_list(tmp_path, "fp", flipped(P1, 4)), name="news-photos",
                category="other", source="own", kind="negative", threshold=8)
    assert match_post_media(engine, post("5", {"pdq": P1}), None) == []
    with engine.connect() as conn:
        (m,) = conn.execute(select(media_matches)).mappings().all()
    assert m["status"] == "suppressed" and "news-photos" in m["reason"]
    # An image the negative list does not cover still matches.
    assert len(match_post_media(engine, post("6", {"pdq": flipped(P1, 20, 3)}), None)) == 1


def test_flood_guard_quarantines_a_hash_that_suddenly_matches_everything(engine, tmp_path):
    blank = flipped(P1, 0)
    other = flipped(P1, 128, seed=2)
    import_list(engine, write_list(tmp_path, "l", blank, other), name="l", category="smuggling",
                source="own")
    matcher_for(engine).flood = FloodGuard(hash_floor=3, list_floor=1000)
    results = [match_post_media(engine, post(f"f{i}", {"pdq": blank}), None) for i in range(6)]
    assert [len(r) for r in results] == [1, 1, 1, 0, 0, 0]
    with engine.connect() as conn:
        statuses = [m.status for m in conn.execute(select(media_matches).order_by(media_matches.c.id))]
    assert statuses == ["match"] * 3 + ["quarantined"] * 3
    (row,) = list_lists(engine)
    assert row["quarantined_hashes"] == 1 and row["quarantined"] is None
    # The list's other hash is unaffected; a reviewer can release the flooded one.
    assert len(match_post_media(engine, post("g1", {"pdq": other}), None)) == 1
    assert release(engine, "l", blank) == 1
    matcher_for(engine).flood = FloodGuard(hash_floor=100)
    assert len(match_post_media(engine, post("g2", {"pdq": blank}), None)) == 1


def test_flood_guard_quarantines_a_whole_list(engine, tmp_path):
    hashes = [flipped(P1, 128, seed=s) for s in range(5)]
    import_list(engine, write_list(tmp_path, "l", *hashes), name="l", category="smuggling",
                source="own")
    matcher_for(engine).flood = FloodGuard(hash_floor=100, list_floor=4)
    counts = [len(match_post_media(engine, post(f"h{i}", {"pdq": h}), None))
              for i, h in enumerate(hashes)]
    assert counts == [1, 1, 1, 1, 0]
    assert "flood guard" in list_lists(engine)[0]["quarantined"]


def test_flood_guard_measures_a_hash_against_its_usual_rate(engine, tmp_path):
    h = flipped(P1, 128, seed=9)
    import_list(engine, write_list(tmp_path, "l", h), name="l", category="smuggling", source="own")
    matcher_for(engine).flood = FloodGuard(hash_floor=5, list_floor=1000, factor=2.0)
    start = datetime.now(timezone.utc)

    def burst(label: str, hour: int, n: int) -> list[int]:
        return [len(match_post_media(engine, post(f"{label}{k}", {"pdq": h}), None,
                                     now=start + timedelta(hours=hour, seconds=60 * k)))
                for k in range(n)]

    # Ten hours at four matches an hour: under the floor, all act.
    assert sum(sum(burst(f"u{hour}-", hour + 1, 4)) for hour in range(10)) == 40
    # Seven in an hour is over the floor but within twice its usual four: still acts.
    assert burst("w", 12, 7) == [1] * 7
    # Forty in an hour is not: its usual is now 47 in 13 h, so the limit is 2 x 3.6 and
    # the eighth match of the hour puts the hash in quarantine.
    flood = burst("b", 14, 40)
    assert flood == [1] * 7 + [0] * 33


def test_sensitive_lists_keep_hashes_and_where_seen_never_the_media(engine, tmp_path):
    import_list(engine, write_list(tmp_path, "tvec", P1), name="tvec", category="tvec",
                source="GIFCT")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(MEDIA / "poster1.jpg", folder / "x.jpg")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    found = match_post_media(engine, post("7", {"path": "x.jpg"}), folder)
    assert found[0]["category"] == "terrorist_content"
    with engine.connect() as conn:
        row = conn.execute(select(media)).mappings().one()
    assert row["sensitive"] is True and row["pdq"] == P1 and row["path"] == "x.jpg"
    assert sorted(p.name for p in tmp_path.rglob("*")) == before   # no copy of the file
    for table in (media, media_matches):   # no column could hold bytes
        kinds = {type(c["type"]).__name__ for c in inspect(engine).get_columns(table.name)}
        assert not kinds & {"BLOB", "BYTEA", "LargeBinary", "_Binary"}
    if engine.url.get_backend_name() == "sqlite":
        stored = Path(engine.url.database).read_bytes()
        image = (folder / "x.jpg").read_bytes()
        assert image[200:264] not in stored


def test_near_duplicate_pairs_link_accounts_that_repost_an_image():
    a, b, c = P1, flipped(P1, 10), flipped(P1, 128, seed=5)
    items = [("telegram:1", a, 100), ("facebook:9", b, 100), ("telegram:1", b, 100),
             ("x:7", c, 100), ("x:8", c, 10)]     # x:8's copy is too low quality to count
    pairs = near_duplicate_pairs(items)
    assert pairs == [("facebook:9", "telegram:1", min(a, b))]
    assert near_duplicate_pairs(items, threshold=5) == [("facebook:9", "telegram:1", b)]
    assert near_duplicate_pairs([("x:7", c), ("x:8", c)]) == [("x:7", "x:8", c)]


def test_corpus_near_duplicates_from_the_store(engine):
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(posts), [
            {"platform": "telegram", "id": "n1", "author_id": "u1", "text": "", "sha256": "0",
             "ingested_at": now},
            {"platform": "facebook", "id": "n2", "author_id": "u2", "text": "", "sha256": "0",
             "ingested_at": now}])
    match_post_media(engine, post("n1", {"path": "poster1.jpg"}, author="u1"), MEDIA)
    match_post_media(engine, post("n2", {"path": "poster1.webp"}, platform="facebook",
                                  author="u2"), MEDIA)
    (pair,) = corpus_near_duplicates(engine)
    assert pair[:2] == ("facebook:u2", "telegram:u1")
