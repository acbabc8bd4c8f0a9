"""Early warning: weekly counts per route and departure place, price per person, and alerts.

Series come from the ``findings`` table (``route_from``, ``route_to``, ``price_amount``,
``price_currency``, and the post's ``created_at``), harmful findings only. Weeks start on
Monday (ISO weeks, UTC).

Alerts are robust to the outliers they look for: each week is compared with the median
and the MAD (median absolute deviation) of the ``window`` weeks before it, as the
modified z-score ``(x - median) / (1.4826 * MAD)`` (Iglewicz and Hoaglin; 3.5 is their
cut-off). A mean and standard deviation would let last month's spike hide this week's.
Two floors keep quiet series from alarming on noise: for counts the scale is at least
``sqrt(median)`` (Poisson noise) and 1; for prices it is at least 2 % of the median. A
count alert also needs ``min_count`` posts in the week, a price alert ``min_prices`` prices.

Prices are compared within one currency: no exchange rates are fetched (marsad runs
offline), so "3000 EUR" and "2500 USD" are separate series.
"""
from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from marsad.refer import times
from marsad.store.schema import findings

THRESHOLD = 3.5
WINDOW = 8
MIN_HISTORY = 4
MIN_COUNT = 3
MIN_PRICES = 3


@dataclass(frozen=True)
class Alert:
    series: str        # route | departure | price
    key: str           # "زوارة → لامبيدوزا", "زوارة", "زوارة → لامبيدوزا EUR"
    week: str          # Monday, ISO date
    value: float
    median: float
    mad: float
    score: float
    kind: str          # spike | rise | drop

    def as_dict(self) -> dict:
        return asdict(self)


def week_of(dt: datetime) -> date:
    d = times.utc(dt).date()
    return d - timedelta(days=d.weekday())


def _weeks(first: date, last: date) -> list[date]:
    out, w = [], first
    while w <= last:
        out.append(w)
        w += timedelta(days=7)
    return out


def mad(values: list[float]) -> tuple[float, float]:
    med = statistics.median(values)
    return med, statistics.median(abs(v - med) for v in values)


def count_alerts(series: str, key: str, weeks: list[date], counts: list[int], *, window: int = WINDOW,
                 threshold: float = THRESHOLD, min_count: int = MIN_COUNT,
                 min_history: int = MIN_HISTORY) -> list[Alert]:
    out = []
    for i, x in enumerate(counts):
        history = counts[max(0, i - window):i]
        if len(history) < min_history or x < min_count:
            continue
        med, m = mad(history)
        scale = max(1.4826 * m, math.sqrt(med), 1.0)
        z = (x - med) / scale
        if z >= threshold:
            out.append(Alert(series, key, weeks[i].isoformat(), x, med, m, round(z, 2), "spike"))
    return out


def price_alerts(key: str, weeks: list[date], medians: list[float | None], sizes: list[int], *,
                 window: int = WINDOW, threshold: float = THRESHOLD, min_prices: int = MIN_PRICES,
                 min_history: int = MIN_HISTORY) -> list[Alert]:
    out = []
    for i, x in enumerate(medians):
        history = [v for v in medians[max(0, i - window):i] if v is not None]
        if x is None or sizes[i] < min_prices or len(history) < min_history:
            continue
        med, m = mad(history)
        scale = max(1.4826 * m, 0.02 * abs(med), 1e-9)
        z = (x - med) / scale
        if abs(z) >= threshold:
            out.append(Alert("price", key, weeks[i].isoformat(), x, med, m, round(z, 2), "rise" if z > 0 else "drop"))
    return out


def _rows(conn: Connection, since, until, label: str | None):
    when = func.coalesce(findings.c.created_at, findings.c.detected_at)
    query = select(when.label("seen_at"), findings.c.route_from, findings.c.route_to, findings.c.price_amount,
                   findings.c.price_currency)
    query = query.where(findings.c.label == label) if label else query.where(findings.c.label != "benign")
    query = query.where(findings.c.label != "tip")
    if since is not None:
        query = query.where(when >= since)
    if until is not None:
        query = query.where(when < until)
    return conn.execute(query)


def route_key(origin: str | None, dest: str | None) -> str:
    return f"{origin or '?'} → {dest or '?'}"


def weekly(conn: Connection, *, since=None, until=None, label: str | None = None, top: int = 20,
           window: int = WINDOW, threshold: float = THRESHOLD) -> dict:
    """Weekly series and their alerts. ``top`` limits each kind of series to its largest."""
    since, until = times.parse(since, "from"), times.parse(until, "to")
    routes: dict[str, Counter] = defaultdict(Counter)
    departures: dict[str, Counter] = defaultdict(Counter)
    prices: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    seen: set[date] = set()
    for r in _rows(conn, since, until, label):
        if r.seen_at is None:
            continue
        w = week_of(r.seen_at)
        seen.add(w)
        if r.route_from or r.route_to:
            routes[route_key(r.route_from, r.route_to)][w] += 1
        if r.route_from:
            departures[r.route_from][w] += 1
        if r.price_amount is not None and r.price_currency:
            where = route_key(r.route_from, r.route_to) if (r.route_from or r.route_to) else "all routes"
            prices[f"{where} {r.price_currency}"][w].append(float(r.price_amount))
    if not seen:
        return {"weeks": [], "routes": {}, "departures": {}, "prices": {}, "alerts": []}
    first = week_of(since) if since else min(seen)
    last = week_of(until - timedelta(microseconds=1)) if until else max(seen)
    weeks = _weeks(first, last)
    alerts: list[Alert] = []

    def counts(table: dict[str, Counter], series: str) -> dict[str, list[int]]:
        biggest = sorted(table, key=lambda k: (-sum(table[k].values()), k))[:top]
        out = {}
        for k in biggest:
            values = [table[k].get(w, 0) for w in weeks]
            out[k] = values
            alerts.extend(count_alerts(series, k, weeks, values, window=window, threshold=threshold))
        return out

    route_series, departure_series = counts(routes, "route"), counts(departures, "departure")
    price_series = {}
    for k in sorted(prices, key=lambda k: (-sum(len(v) for v in prices[k].values()), k))[:top]:
        meds = [statistics.median(prices[k][w]) if prices[k].get(w) else None for w in weeks]
        sizes = [len(prices[k].get(w, ())) for w in weeks]
        price_series[k] = {"median": meds, "n": sizes}
        alerts.extend(price_alerts(k, weeks, meds, sizes, window=window, threshold=threshold))
    alerts.sort(key=lambda a: (a.week, abs(a.score)), reverse=True)
    return {"weeks": [w.isoformat() for w in weeks], "routes": route_series, "departures": departure_series,
            "prices": price_series, "alerts": [a.as_dict() for a in alerts],
            "window": window, "threshold": threshold,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
