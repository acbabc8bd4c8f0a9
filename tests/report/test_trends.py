"""Weekly trends and robust alerts: a spike is found even after an earlier outlier, steady
or noisy-but-normal series stay quiet, a price drop is a shift."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from marsad.model import Finding, Post
from marsad.report import trends
from marsad.store import writer
from marsad.store.db import connect

WEEKS = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(12)]


def test_spike_after_steady_weeks():
    counts = [3, 4, 3, 3, 4, 3, 3, 4, 3, 3, 3, 14]
    alerts = trends.count_alerts("route", "A → B", WEEKS, counts)
    assert [(a.week, a.kind) for a in alerts] == [(WEEKS[-1].isoformat(), "spike")]
    assert alerts[0].median == 3 and alerts[0].score >= 3.5


def test_an_old_outlier_does_not_hide_a_new_spike():
    """With mean and standard deviation the 40 would inflate the baseline and mask the 15."""
    counts = [3, 3, 40, 3, 3, 4, 3, 3, 3, 3, 15]
    alerts = trends.count_alerts("route", "A → B", WEEKS, counts)
    assert WEEKS[10].isoformat() in [a.week for a in alerts]


@pytest.mark.parametrize("counts", [
    [3] * 12,                                            # flat
    [100, 110, 95, 105, 98, 102, 108, 97, 103, 101, 99, 118],   # large and noisy: 118 is ordinary
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],                # two posts are not an alert
    [5, 9],                                              # too little history
])
def test_quiet_series_raise_nothing(counts):
    assert trends.count_alerts("route", "k", WEEKS[:len(counts)], counts) == []


def test_price_drop_is_a_shift():
    medians = [3000, 3000, 3100, 2900, 3000, 3050, 3000, 2950, 1800]
    alerts = trends.price_alerts("A → B EUR", WEEKS[:9], medians, [5] * 9)
    assert [(a.kind, a.value) for a in alerts] == [("drop", 1800)]
    assert trends.price_alerts("A → B EUR", WEEKS[:9], medians, [5] * 8 + [1]) == []   # one price is not enough


def _store(url, spec):
    """spec: (week index, from, to, price, n posts)"""
    engine = connect(url)
    batch, n = [], 0
    for week, origin, dest, price, k in spec:
        for j in range(k):
            n += 1
            t = datetime(2026, 1, 5, 12, tzinfo=timezone.utc) + timedelta(weeks=week, hours=j)
            post = Post(id=f"p{n}", platform="facebook", text="trip", created_at=t.isoformat(), sha256="0" * 64)
            batch.append((post, Finding(id=post.id, label="migrant_smuggling", risk=0.9, scores={}, lang="ar",
                                        indicators=(), entities={"prices": [{"amount": price, "currency": "EUR"}]},
                                        routes=({"from": origin, "to": dest},))))
    benign = Post(id="news", platform="facebook", text="news", created_at="2026-03-10T00:00:00Z", sha256="1" * 64)
    batch.append((benign, Finding(id="news", label="benign", risk=0.1, scores={}, lang="ar", indicators=(),
                                  entities={}, routes=({"from": "زوارة", "to": "لامبيدوزا"},))))
    with engine.begin() as conn:
        writer.insert_posts(conn, [p for p, _ in batch])
        writer.upsert_findings(conn, batch, "test")
    return engine


def test_weekly_series_from_the_store(store_url):
    spec = [(w, "زوارة", "لامبيدوزا", 3000, 3) for w in range(9)] + [(9, "زوارة", "لامبيدوزا", 1900, 12)]
    spec += [(w, "صبراتة", "مالطا", 2500, 1) for w in range(0, 10, 2)]
    engine = _store(store_url, spec)
    with engine.connect() as conn:
        data = trends.weekly(conn)
    assert data["weeks"][0] == "2026-01-05" and len(data["weeks"]) == 10
    assert data["routes"]["زوارة → لامبيدوزا"] == [3] * 9 + [12]       # the benign news post is not counted
    assert data["departures"]["صبراتة"] == [1, 0] * 5
    assert data["prices"]["زوارة → لامبيدوزا EUR"]["median"][-1] == 1900
    kinds = {(a["series"], a["key"], a["kind"]) for a in data["alerts"] if a["week"] == "2026-03-09"}
    assert kinds == {("route", "زوارة → لامبيدوزا", "spike"), ("departure", "زوارة", "spike"),
                     ("price", "زوارة → لامبيدوزا EUR", "drop")}
    with engine.connect() as conn:
        window = trends.weekly(conn, since="2026-02-02", until="2026-02-16")
    assert window["weeks"] == ["2026-02-02", "2026-02-09"] and window["alerts"] == []
