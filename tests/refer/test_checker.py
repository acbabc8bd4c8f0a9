"""The link checker against a real HTTP server on loopback whose pages switch from live to
404, 410, 451 or a platform's "content unavailable" page, as removed content does."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select

from marsad.refer import checker, packages, tracking
from marsad.store.db import connect
from marsad.store.metadata import metadata
from marsad.store.tables_review import referral_checks, referral_items

SENT = datetime(2026, 3, 1, tzinfo=timezone.utc)
LIVE = (200, "<html><title>Boat trips</title><body>Trips every week, message us</body></html>")


class Pages:
    """path -> (status, body[, location]); the handler serves whatever is set now."""

    def __init__(self):
        self.pages: dict[str, tuple] = {}
        self.hits: list[str] = []


def _handler(pages: Pages):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            pages.hits.append(self.path)
            status, body, *location = pages.pages.get(self.path, (404, "not here"))
            data = body.encode("utf-8")
            self.send_response(status)
            if location:
                self.send_header("Location", location[0])
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass
    return Handler


@pytest.fixture
def server():
    pages = Pages()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pages))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield pages, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def engine(store_url):
    engine = connect(store_url)
    metadata.create_all(engine)
    return engine


# (path, platform, category) of the referred items
ITEMS = [("/fb/a", "facebook", "migrant_smuggling"), ("/fb/b", "facebook", "migrant_smuggling"),
         ("/ig/c", "instagram", "human_trafficking"), ("/tt/d", "tiktok", "human_trafficking"),
         ("/x/e", "x", "terrorist_content"), ("/fb/f", "facebook", "migrant_smuggling"),
         ("/fb/g", "facebook", "migrant_smuggling"), ("/fb/h", "facebook", "migrant_smuggling"),
         ("/fb/i", "facebook", "migrant_smuggling")]


def _refer(engine, base: str) -> dict[str, int]:
    ids = {}
    with engine.begin() as conn:
        for path, plat, cat in ITEMS:
            ids[path] = packages.add_item(conn, url=base + path, category=cat, actor="user:ana",
                                          platform=plat)[0]["id"]
        for pkg in packages.build_packages(conn, actor="user:ana"):
            packages.mark_sent(conn, pkg["id"], actor="user:ana", at=SENT)
    return ids


def _items(engine) -> dict[int, dict]:
    with engine.connect() as conn:
        return {r.id: dict(r._mapping) for r in conn.execute(select(referral_items))}


def test_checker_records_when_each_url_went_offline(engine, server):
    pages, base = server
    ids = _refer(engine, base)
    for path, *_ in ITEMS:
        pages.pages[path] = LIVE
    with httpx.Client(timeout=5) as client:
        first = checker.run_checks(engine, client, now=SENT + timedelta(hours=1), extra_hosts={"127.0.0.1"})
        assert first["states"] == {"online": len(ITEMS)}
        assert checker.run_checks(engine, client, now=SENT + timedelta(hours=2),
                                  extra_hosts={"127.0.0.1"})["checked"] == 0     # next visit is at +6 h

        # the platforms act
        pages.pages["/fb/a"] = (404, "Not found")
        pages.pages["/fb/b"] = (410, "Gone")
        pages.pages["/ig/c"] = (200, "<h2>Sorry, this page isn&#39;t available.</h2><p>The link you followed...</p>")
        pages.pages["/tt/d"] = (200, "<div class='err'>Video currently unavailable</div>")
        pages.pages["/x/e"] = (451, "Withheld in your country")
        pages.pages["/fb/g"] = (302, "", "/fb/g-removed")
        pages.pages["/fb/g-removed"] = (200, "<span>This content isn\u2019t available right now</span>")
        pages.pages["/fb/h"] = (302, "", "http://169.254.169.254/latest/meta-data/")
        pages.pages["/fb/i"] = (503, "busy")
        second = checker.run_checks(engine, client, now=SENT + timedelta(hours=6), extra_hosts={"127.0.0.1"})
    assert second["states"] == {"offline": 5, "restricted": 1, "online": 1, "unknown": 2}
    items = _items(engine)
    state = {path: items[ids[path]] for path, *_ in ITEMS}
    gone_at = SENT + timedelta(hours=6)
    for path in ("/fb/a", "/fb/b", "/ig/c", "/tt/d", "/fb/g"):
        assert state[path]["last_check"] == "offline", path
        assert checker.times.utc(state[path]["offline_at"]) == gone_at
        assert state[path]["outcome"] == "removed" and state[path]["next_check_at"] is None
    assert state["/x/e"]["outcome"] == "restricted"
    assert state["/fb/f"]["offline_at"] is None and state["/fb/f"]["outcome"] is None
    assert checker.times.utc(state["/fb/f"]["next_check_at"]) == SENT + timedelta(hours=24)
    assert state["/fb/h"]["last_check"] == "unknown" and state["/fb/h"]["outcome"] is None
    assert state["/fb/i"]["last_check"] == "unknown"
    with engine.connect() as conn:
        reasons = {r.item_id: r.reason for r in conn.execute(select(referral_checks)
                                                              .where(referral_checks.c.checked_at == gone_at))}
        history = tracking.history(conn, ids["/fb/a"])
        s = tracking.stats(conn, now=SENT + timedelta(days=1))
    assert reasons[ids["/fb/a"]] == "HTTP 404" and reasons[ids["/fb/b"]] == "HTTP 410"
    assert "Sorry, this page isn't available" in reasons[ids["/ig/c"]]
    assert "Video currently unavailable" in reasons[ids["/tt/d"]]
    assert "is not a host of this platform" in reasons[ids["/fb/h"]]
    assert history[0]["source"] == "checker" and history[0]["actor"] == checker.ACTOR
    assert s["total"]["removed"] == 5 and s["total"]["median_hours_to_removal"] == 6.0
    assert "/latest/meta-data/" not in pages.hits       # the off-platform redirect was not followed

    # gone items are not visited again; the live one and the undecided ones are
    pages.hits.clear()
    with httpx.Client(timeout=5) as client:
        third = checker.run_checks(engine, client, now=SENT + timedelta(hours=24), extra_hosts={"127.0.0.1"})
    assert third["checked"] == 3 and sorted(pages.hits) == ["/fb/f", "/fb/h", "/fb/i"]


def test_a_platform_answer_is_not_overwritten_by_the_checker(engine, server):
    pages, base = server
    ids = _refer(engine, base)
    with engine.begin() as conn:
        tracking.record_outcome(conn, ids["/fb/a"], "declined", actor="user:ana")
    pages.pages["/fb/a"] = (404, "gone")
    with httpx.Client(timeout=5) as client:
        checker.run_checks(engine, client, now=SENT + timedelta(hours=1), extra_hosts={"127.0.0.1"})
    item = _items(engine)[ids["/fb/a"]]
    assert item["outcome"] == "declined" and item["offline_at"] is not None


def test_hosts_off_the_platform_are_never_fetched(engine, server):
    """Without the test's allowance, 127.0.0.1 is not a Facebook host: nothing is requested."""
    pages, base = server
    _refer(engine, base)
    with httpx.Client(timeout=5) as client:
        result = checker.run_checks(engine, client, now=SENT + timedelta(hours=1))
    assert result["states"] == {"unknown": len(ITEMS)} and pages.hits == []


def test_schedule_runs_out():
    schedule = [1, 6, 24]
    assert checker.next_check(SENT, SENT + timedelta(hours=2), schedule) == SENT + timedelta(hours=6)
    assert checker.next_check(SENT, SENT + timedelta(hours=30), schedule) is None


def test_unreachable_is_an_error_not_a_removal(engine):
    with engine.begin() as conn:
        item = packages.add_item(conn, url="http://127.0.0.1:9/gone", category="migrant_smuggling",
                                 actor="user:a", platform="facebook")[0]
        for pkg in packages.build_packages(conn, actor="user:a"):
            packages.mark_sent(conn, pkg["id"], actor="user:a", at=SENT)
    with httpx.Client(timeout=2) as client:
        result = checker.run_checks(engine, client, now=SENT + timedelta(hours=1), extra_hosts={"127.0.0.1"})
    assert result["states"] == {"error": 1}
    assert _items(engine)[item["id"]]["outcome"] is None
