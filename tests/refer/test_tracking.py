"""Outcomes and the figures made from them: removal rate, median hours to removal,
implied "no answer", response-file import."""
from __future__ import annotations

import json

import pytest

from marsad.errors import InputError
from marsad.refer import packages, tracking
from marsad.store.db import connect
from marsad.store.metadata import metadata

T0 = "2026-03-01T00:00:00Z"


def _at(hours: float) -> str:
    from datetime import datetime, timedelta, timezone
    return (datetime(2026, 3, 1, tzinfo=timezone.utc) + timedelta(hours=hours)).isoformat()


@pytest.fixture
def engine(store_url):
    engine = connect(store_url)
    metadata.create_all(engine)
    return engine


def _referred(engine, platform_urls: dict[str, list[str]], category: dict[str, str]) -> dict[str, list[int]]:
    """Items per platform, packaged and sent at T0; returns item ids per platform."""
    ids = {}
    with engine.begin() as conn:
        for plat, urls in platform_urls.items():
            ids[plat] = [packages.add_item(conn, url=u, category=category[plat], actor="user:ana")[0]["id"]
                         for u in urls]
        for pkg in packages.build_packages(conn, actor="user:ana"):
            packages.mark_sent(conn, pkg["id"], actor="user:ana", at=T0)
    return ids


@pytest.fixture
def figures(engine):
    ids = _referred(engine, {"facebook": [f"https://facebook.com/p/{i}" for i in range(5)],
                             "x": [f"https://x.com/a/status/{i}" for i in range(3)]},
                    {"facebook": "migrant_smuggling", "x": "terrorist_content"})
    fb, x = ids["facebook"], ids["x"]
    with engine.begin() as conn:
        for item, hours in zip(fb[:3], (2, 4, 10)):
            tracking.record_outcome(conn, item, "removed", actor="user:ana", decided_at=_at(hours))
        tracking.record_outcome(conn, fb[3], "declined", actor="user:ana", decided_at=_at(1))
        tracking.record_outcome(conn, x[0], "removed", actor="user:ana", decided_at=_at(30))
        tracking.record_outcome(conn, x[1], "restricted", actor="user:ana", decided_at=_at(5))
    return engine


def test_removal_rate_and_median(figures):
    with figures.connect() as conn:
        s = tracking.stats(conn, now=_at(20 * 24))
    by = {r["platform"]: r for r in s["by_platform"]}
    fb, x = by["facebook"], by["x"]
    assert (fb["sent"], fb["removed"], fb["declined"], fb["no_answer"], fb["pending"]) == (5, 3, 1, 1, 0)
    assert fb["removal_rate"] == 0.6 and fb["median_hours_to_removal"] == 4.0
    assert fb["removal_hours"] == [2.0, 4.0, 10.0]
    assert (x["sent"], x["removed"], x["restricted"], x["no_answer"]) == (3, 1, 1, 1)
    assert x["removal_rate"] == 0.3333 and x["action_rate"] == 0.6667 and x["median_hours_to_removal"] == 30.0
    t = s["total"]
    assert (t["sent"], t["removed"], t["removal_rate"]) == (8, 4, 0.5)
    assert t["median_hours_to_removal"] == 7.0          # median of 2, 4, 10, 30
    cats = {r["category"]: r["sent"] for r in s["by_category"]}
    assert cats == {"migrant_smuggling": 5, "terrorist_content": 3}
    pairs = {(r["platform"], r["category"]): r["removed"] for r in s["by_platform_category"]}
    assert pairs == {("facebook", "migrant_smuggling"): 3, ("x", "terrorist_content"): 1}


def test_silence_is_pending_until_the_deadline(figures):
    with figures.connect() as conn:
        early = tracking.stats(conn, now=_at(3 * 24))["total"]
        late = tracking.stats(conn, now=_at(15 * 24))["total"]
    assert (early["pending"], early["no_answer"]) == (2, 0)
    assert (late["pending"], late["no_answer"]) == (0, 2)


def test_period_and_filters(figures):
    with figures.connect() as conn:
        assert tracking.stats(conn, since="2026-03-02", now=_at(480))["total"]["sent"] == 0
        assert tracking.stats(conn, since="2026-02-28", until="2026-03-02", now=_at(480))["total"]["sent"] == 8
        assert tracking.stats(conn, platform="x", now=_at(480))["total"]["sent"] == 3
        assert tracking.stats(conn, category="migrant_smuggling", now=_at(480))["total"]["removed"] == 3


def test_unsent_items_do_not_count(engine):
    with engine.begin() as conn:
        packages.add_item(conn, url="https://x.com/a/status/1", category="terrorist_content", actor="user:a")
        packages.build_packages(conn, actor="user:a")
        assert tracking.stats(conn)["total"]["sent"] == 0


def test_the_latest_word_wins(figures):
    with figures.begin() as conn:
        item = packages.add_item(conn, url="https://facebook.com/p/0", category="migrant_smuggling",
                                 actor="user:a")[0]["id"]
        tracking.record_outcome(conn, item, "declined", actor="user:a", decided_at=_at(50))
        history = tracking.history(conn, item)
        s = tracking.stats(conn, now=_at(480))
    assert [h["outcome"] for h in history] == ["removed", "declined"]
    fb = next(r for r in s["by_platform"] if r["platform"] == "facebook")
    assert (fb["removed"], fb["declined"]) == (2, 2)


@pytest.mark.parametrize("word,outcome", [("Taken down", "removed"), ("geo-blocked", "restricted"),
                                          ("No violation", "declined"), ("no response", "no_answer")])
def test_platform_wording(word, outcome):
    assert tracking.outcome_word(word) == outcome


def test_unknown_outcome_is_refused():
    with pytest.raises(InputError):
        tracking.outcome_word("maybe later")


def test_import_csv_json_and_jsonl(engine):
    ids = _referred(engine, {"facebook": [f"https://facebook.com/p/{i}" for i in range(4)]},
                    {"facebook": "migrant_smuggling"})["facebook"]
    csv_file = ("Reference,Status,Actioned_At,Case ID\n"
                f"{ids[0]},Taken down,2026-03-01T06:00:00Z,FB-1\n"
                f"{ids[1]},maybe,2026-03-01T06:00:00Z,FB-2\n"
                "999999,removed,,FB-3\n"
                f"{ids[2]},removed,yesterday,FB-4\n").encode()
    json_file = json.dumps({"results": [{"url": "http://m.facebook.com/p/3?fbclid=z", "action": "geo-blocked",
                                         "date": "2026-03-02"},
                                        {"url": "https://facebook.com/never-referred", "action": "removed"}]}).encode()
    jsonl_file = (json.dumps({"item_id": ids[2], "outcome": "declined"}) + "\n{not json\n").encode()
    with engine.begin() as conn:
        a = tracking.import_responses(conn, csv_file, name="meta.csv", actor="user:ana")
        b = tracking.import_responses(conn, json_file, name="meta.json", actor="user:ana", platform="facebook")
        c = tracking.import_responses(conn, jsonl_file, name="meta.jsonl", actor="user:ana")
        s = tracking.stats(conn, now=_at(48))
    assert a["recorded"] == 1 and [(e["line"], e["field"]) for e in a["errors"]] == [
        (3, "outcome"), (4, None), (5, "decided_at")]
    assert b["recorded"] == 1 and [(e["line"], e["field"]) for e in b["errors"]] == [(2, "url")]
    assert c["recorded"] == 1 and c["errors"][0]["line"] == 2
    t = s["total"]
    assert (t["removed"], t["restricted"], t["declined"], t["pending"]) == (1, 1, 1, 1)
    assert t["median_hours_to_removal"] == 6.0


def test_import_for_one_platform_refuses_another_platforms_items(engine):
    ids = _referred(engine, {"facebook": ["https://facebook.com/p/1"], "x": ["https://x.com/a/status/1"]},
                    {"facebook": "migrant_smuggling", "x": "terrorist_content"})
    data = f"item_id,outcome\n{ids['x'][0]},removed\n{ids['facebook'][0]},removed\n".encode()
    with engine.begin() as conn:
        result = tracking.import_responses(conn, data, name="meta.csv", actor="user:a", platform="facebook")
    assert result["recorded"] == 1 and result["errors"][0]["line"] == 2
    assert "referred to x" in result["errors"][0]["error"]
