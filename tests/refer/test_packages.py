"""Referral packages: confirmed posts grouped per platform; the same URL asked for twice,
by two analysts or two units, is one referral; CSV and JSON carry policy, legal basis and
evidence hashes, and the CSV is formula-safe."""
from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from sqlalchemy import func, select

from marsad.errors import Conflict
from marsad.model import Finding, Post
from marsad.refer import config as refer_config
from marsad.refer import packages
from marsad.review import audit, decisions
from marsad.store import writer
from marsad.store.db import connect
from marsad.store.tables_review import referral_items, referral_requests
from tests.refer import seed


@pytest.fixture
def engine(store_url):
    return connect(seed.store(store_url))


def test_confirmed_posts_become_one_package_per_platform(engine):
    with engine.begin() as conn:
        result = packages.refer_confirmed(conn, actor="user:ana", unit="IRU-A")
        built = packages.build_packages(conn, actor="user:ana", unit="IRU-A")
    assert len(result["added"]) == 5 and result["skipped"] == []    # five harms, the news post is benign
    assert {p["platform"]: p["items"] for p in built} == {"facebook": 2, "instagram": 1, "tiktok": 1, "x": 1}
    with engine.begin() as conn:   # nothing left to package; nothing referred twice
        assert packages.refer_confirmed(conn, actor="user:ana")["added"] == []
        assert packages.build_packages(conn, actor="user:ana") == []


def test_the_same_url_twice_is_one_referral(engine):
    with engine.begin() as conn:
        a, created_a = packages.add_item(conn, url="https://www.facebook.com/groups/100/posts/9/",
                                         category="migrant_smuggling", actor="user:ana", unit="IRU-A")
        b, created_b = packages.add_item(conn, url="http://m.facebook.com/groups/100/posts/9?fbclid=xyz",
                                         category="migrant_smuggling", actor="user:omar", unit="IRU-B")
        c, created_c = packages.add_item(conn, url="https://facebook.com/groups/100/posts/9#comments",
                                         category="migrant_smuggling", actor="user:ana", unit="IRU-A")
        n_items = conn.execute(select(func.count()).select_from(referral_items)).scalar_one()
        requests = packages.item_requests(conn, a["id"])
    assert (created_a, created_b, created_c) == (True, False, False)
    assert a["id"] == b["id"] == c["id"] and n_items == 1
    assert c["requests"] == 3
    assert [(r["actor"], r["unit"]) for r in requests] == [("user:ana", "IRU-A"), ("user:omar", "IRU-B"),
                                                           ("user:ana", "IRU-A")]


def test_a_confirmed_post_already_referred_by_url_is_not_referred_again(engine):
    with engine.begin() as conn:   # a unit referred the post's URL by hand before review
        packages.add_item(conn, url="https://facebook.com/groups/100/posts/1", category="migrant_smuggling",
                          actor="user:omar", unit="IRU-B")
        result = packages.refer_confirmed(conn, actor="user:ana", unit="IRU-A")
        fb1 = conn.execute(select(referral_items).where(referral_items.c.url_key == "facebook.com/groups/100/posts/1")).one()
    assert fb1.id in result["already_referred"]
    assert fb1.requests == 2 and fb1.post_id is None   # kept as first asked; counted twice


def test_package_json_and_csv(engine, tmp_path):
    with engine.begin() as conn:
        packages.refer_confirmed(conn, actor="user:ana")
        built = {p["platform"]: p for p in packages.build_packages(conn, actor="user:ana")}
        doc = packages.package_doc(conn, built["facebook"]["id"])
    cfg = refer_config.load()
    assert doc["referral"]["platform"] == "facebook" and len(doc["items"]) == 2
    for item in doc["items"]:
        assert item["category"] == "migrant_smuggling"
        assert item["policy"] == cfg.policy("facebook", "migrant_smuggling") and "Human Exploitation" in item["policy"]
        assert "Smuggling of Migrants" in item["legal_basis"]
        assert len(item["evidence_sha256"]) == 64
    raw = json.dumps({"id": "fb-1", "platform": "facebook", "text": seed.POSTS[0][7]}, ensure_ascii=False).encode()
    assert doc["items"][0]["evidence_sha256"] == hashlib.sha256(raw).hexdigest()
    assert doc["items_sha256"] == built["facebook"]["sha256"]
    json_path, csv_path = packages.write_package(doc, tmp_path)
    assert json.loads(json_path.read_text(encoding="utf-8")) == doc
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [r["url"] for r in rows] == [i["url"] for i in doc["items"]]
    assert tuple(rows[0]) == packages.CSV_COLUMNS
    with engine.connect() as conn:   # the package's digest is in the audit log
        entry = next(audit.entries(conn, action="referral.package", subject=f"referral:{built['facebook']['id']}"))
    assert json.loads(entry["details"])["sha256"] == doc["items_sha256"]


def test_policy_differs_per_platform_and_category():
    cfg = refer_config.load()
    assert cfg.policy("x", "terrorist_content") != cfg.policy("facebook", "terrorist_content")
    assert cfg.policy("tiktok", "child_exploitation") != cfg.policy("tiktok", "document_fraud")
    assert "2021/784" in cfg.legal_basis("terrorist_content")


def test_csv_neutralises_hostile_cells(engine):
    """A post id (platform-supplied, hostile) that starts like a formula stays text."""
    hostile = "=HYPERLINK(\"http://evil.example\",\"open\")"
    post = Post(id=hostile, platform="x", text="fake ids for sale", author_id="acc-9", sha256="a" * 64)
    finding = Finding(id=hostile, label="document_fraud", risk=0.9, scores={}, lang="en", indicators=(),
                      entities={})
    with engine.begin() as conn:
        writer.insert_posts(conn, [post])
        writer.upsert_findings(conn, [(post, finding)], "test")
        decisions.decide(conn, "x", hostile, "harm", "forged documents", actor="user:rev", role="reviewer")
        packages.refer_confirmed(conn, actor="user:ana", platform="x")
        (pkg,) = packages.build_packages(conn, actor="user:ana", platform="x")
        text = packages.to_csv(packages.package_doc(conn, pkg["id"]))
    rows = list(csv.DictReader(io.StringIO(text)))
    cells = {r["post_id"] for r in rows}
    assert "'" + hostile in cells and hostile not in cells
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_posts_without_url_use_the_permalink_or_are_skipped(engine):
    with engine.begin() as conn:
        result = packages.refer_confirmed(conn, actor="user:ana")
        tiktok = conn.execute(select(referral_items.c.url).where(referral_items.c.post_id == "tt-1")).scalar_one()
    assert tiktok == "https://www.tiktok.com/@jobs_demo/video/tt-1"    # permalink template from platforms.yaml
    post = Post(id="wa-1", platform="whatsapp", text="x", sha256="b" * 64)
    with engine.begin() as conn:
        writer.insert_posts(conn, [post])
        writer.upsert_findings(conn, [(post, Finding(id="wa-1", label="human_trafficking", risk=0.9, scores={},
                                                     lang=None, indicators=(), entities={}))], "test")
        decisions.decide(conn, "whatsapp", "wa-1", "harm", "sale of a worker", actor="user:rev", role="reviewer")
        result = packages.refer_confirmed(conn, actor="user:ana")
    assert result["skipped"] == [{"platform": "whatsapp", "post_id": "wa-1",
                                  "reason": "no URL stored and no permalink template for this platform"}]


def test_sending_is_recorded_once(engine):
    with engine.begin() as conn:
        packages.refer_confirmed(conn, actor="user:ana")
        pkg = packages.build_packages(conn, actor="user:ana")[0]
        sent = packages.mark_sent(conn, pkg["id"], actor="user:ana", at="2026-01-10T08:00:00+01:00")
        due = conn.execute(select(referral_items.c.next_check_at).where(referral_items.c.referral_id == pkg["id"])).scalars().all()
    assert sent["status"] == "sent" and sent["sent_at"] == "2026-01-10T07:00:00Z"
    assert due and all(d is not None for d in due)
    with pytest.raises(Conflict):
        with engine.begin() as conn:
            packages.mark_sent(conn, pkg["id"], actor="user:ana")


def test_requests_are_all_kept(engine):
    with engine.begin() as conn:
        for unit in ("IRU-A", "IRU-B", "NGO-C"):
            packages.add_item(conn, url="https://x.com/a/status/77", category="terrorist_content",
                              actor=f"user:{unit}", unit=unit)
        assert conn.execute(select(func.count()).select_from(referral_requests)).scalar_one() == 3
        assert conn.execute(select(func.count()).select_from(referral_items)).scalar_one() == 1
