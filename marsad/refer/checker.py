"""Follow referred URLs until the content is gone (as Tech Against Terrorism's TCAP does).

``run_checks`` re-visits every sent item that is still online and due, on the schedule in
``platforms.yaml`` (hours after sending: 1, 6, 24, 72, ...), and records each visit in
``referral_checks``. A visit reads as:

* ``offline``    — HTTP 404 or 410, or a 2xx page carrying the platform's "content
                   unavailable" text ("This content isn't available", "Video currently
                   unavailable" ...; per platform in ``platforms.yaml``);
* ``restricted`` — HTTP 451 (withheld for legal reasons, e.g. geo-blocked);
* ``online``     — any other 2xx page;
* ``unknown``    — 401/403/429/5xx, a login wall, a redirect off the platform: nothing
                   can be concluded, so nothing is;
* ``error``      — no answer (DNS, timeout, TLS).

The first ``offline`` sets the item's ``offline_at`` and, when the platform has not
answered yet, records the outcome ``removed`` (``restricted`` for 451) with the checker
as its source. Safety: only http(s) URLs on the platform's own hosts are fetched
(``domains`` in ``platforms.yaml``), redirects are followed by hand and re-checked hop by
hop, and at most ``MAX_BYTES`` of a page are read — a URL in a post is hostile input and
must not make marsad call an internal address or swallow a huge body.

The HTTP client is injected (an ``httpx.Client``), so tests drive it against a local server
and a deployment can set proxies, timeouts and certificates in one place.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from marsad.refer import config as refer_config
from marsad.refer import times
from marsad.refer.tracking import record_outcome
from marsad.store.tables_review import referral_checks, referral_items, referrals

MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 5
ACTOR = "system:checker"


@dataclass(frozen=True)
class Check:
    state: str                 # online | offline | restricted | unknown | error
    http_status: int | None
    reason: str


def fold(text: str) -> str:
    """Page text and patterns compared the same way: entities decoded, curly quotes as
    straight, whitespace collapsed, case folded."""
    text = html.unescape(text).replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).casefold()


def classify(status: int, body: str, patterns: list[str]) -> Check:
    if status in (404, 410):
        return Check("offline", status, f"HTTP {status}")
    if status == 451:
        return Check("restricted", status, "HTTP 451")
    if 200 <= status < 300:
        page = fold(body)
        for p in patterns:
            if fold(p) in page:
                return Check("offline", status, f"page says: {p}")
        return Check("online", status, f"HTTP {status}")
    return Check("unknown", status, f"HTTP {status}")


def allowed(url: str, domains: list[str], extra_hosts: frozenset[str] = frozenset()) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower().rstrip(".")
    if host in extra_hosts:
        return True
    return any(host == d or host.endswith("." + d) for d in domains)


def fetch(client: httpx.Client, url: str, domains: list[str], extra_hosts: frozenset[str] = frozenset(),
          patterns: list[str] = ()) -> Check:
    """One visit: follow up to ``MAX_REDIRECTS`` redirects on allowed hosts, then classify."""
    for _ in range(MAX_REDIRECTS + 1):
        if not allowed(url, domains, extra_hosts):
            return Check("unknown", None, f"not fetched: {urlsplit(url).hostname or url!r} is not a host of "
                                          "this platform")
        try:
            with client.stream("GET", url, follow_redirects=False) as resp:
                if resp.is_redirect and resp.headers.get("location"):
                    url = urljoin(url, resp.headers["location"])
                    continue
                body = b""
                if 200 <= resp.status_code < 300:
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) >= MAX_BYTES:
                            break
                try:
                    text = body.decode(resp.encoding or "utf-8", errors="replace")
                except LookupError:   # a charset Python does not know: read as UTF-8
                    text = body.decode("utf-8", errors="replace")
                return classify(resp.status_code, text, list(patterns))
        except httpx.HTTPError as exc:
            return Check("error", None, f"{type(exc).__name__}: {exc}"[:500])
    return Check("unknown", None, f"more than {MAX_REDIRECTS} redirects")


def next_check(sent_at, now, schedule_hours: list[float]):
    """The first scheduled visit after ``now``, or None when the schedule is used up."""
    sent_at = times.utc(sent_at)
    for h in schedule_hours:
        t = sent_at + timedelta(hours=h)
        if t > now:
            return t
    return None


def due_items(engine: Engine, now, limit: int, force: bool = False) -> list[dict]:
    query = (select(referral_items.c.id, referral_items.c.url, referral_items.c.platform,
                    referral_items.c.outcome, referral_items.c.checks, referrals.c.sent_at)
             .join(referrals, referrals.c.id == referral_items.c.referral_id)
             .where(referrals.c.status == "sent", referral_items.c.offline_at.is_(None))
             .order_by(referral_items.c.next_check_at, referral_items.c.id).limit(limit))
    if not force:
        query = query.where(referral_items.c.next_check_at.is_not(None), referral_items.c.next_check_at <= now)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def check_item(client: httpx.Client, item: dict, *, extra_hosts: frozenset[str] = frozenset()) -> Check:
    cfg = refer_config.load()
    return fetch(client, item["url"], cfg.domains(item["platform"]), extra_hosts, cfg.unavailable(item["platform"]))


def record(engine: Engine, item: dict, result: Check, now) -> None:
    """Store one visit (its own transaction, so a long run keeps what it has done)."""
    cfg = refer_config.load()
    with engine.begin() as conn:
        conn.execute(referral_checks.insert().values(item_id=item["id"], checked_at=now,
                                                     http_status=result.http_status, state=result.state,
                                                     reason=result.reason))
        values = {"last_check": result.state, "last_checked_at": now, "checks": (item["checks"] or 0) + 1,
                  "next_check_at": next_check(item["sent_at"], now, cfg.checks_after_hours)}
        gone = result.state in ("offline", "restricted")
        if gone:
            values |= {"offline_at": now, "next_check_at": None}
        conn.execute(update(referral_items).where(referral_items.c.id == item["id"]).values(**values))
        if gone and not item["outcome"]:
            record_outcome(conn, item["id"], "removed" if result.state == "offline" else "restricted",
                           actor=ACTOR, decided_at=now, source="checker", note=result.reason)


def run_checks(engine: Engine, client: httpx.Client, *, now=None, limit: int = 200, force: bool = False,
               extra_hosts: frozenset[str] | set[str] = frozenset()) -> dict:
    """Visit the due items (every unresolved sent item with ``force``); returns counts by state."""
    now = times.parse(now, "now") if now else times.now()
    counts: dict[str, int] = {}
    for item in due_items(engine, now, limit, force):
        result = check_item(client, item, extra_hosts=frozenset(extra_hosts))
        record(engine, item, result, now)
        counts[result.state] = counts.get(result.state, 0) + 1
    return {"checked": sum(counts.values()), "states": counts, "at": times.iso(now)}


def default_client(timeout: float = 15.0) -> httpx.Client:
    return httpx.Client(timeout=timeout, headers={"User-Agent": refer_config.load().user_agent,
                                                  "Accept-Language": "en,ar;q=0.8"})
