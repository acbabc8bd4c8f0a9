"""End to end in headless Chromium (Debian's /usr/bin/chromium driven by pip playwright):
log in, open the queue, review a post, open a network, and check that a hostile post's
markup is shown as text and never runs. Screenshots go to tests/web/screenshots/."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.api.server import PASSWORD
from tests.web.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (make system-deps)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    pg = context.new_page()
    dialogs, errors = [], []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.dialogs, pg.errors = dialogs, errors
    yield pg
    context.close()


def login(page, site, role: str) -> None:
    page.goto(site.url + "/queue")
    assert "/login" in page.url                      # not logged in: sent to the form
    page.fill("input[name=name]", site.users[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/queue")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_review_flow(page, site):
    login(page, site, "analyst")
    items = page.locator("article.item")
    assert items.count() >= 5
    first = items.first
    assert first.locator("mark.indicator").count() + first.locator(".entities").count() > 0
    shot(page, "1-queue")

    # The hostile post: its markup is text on the page, and nothing ran.
    hostile = page.locator("article.item[data-key='facebook/fb-102']")
    assert "<script>alert('xss')</script>" in hostile.locator("p.text").inner_text()
    assert hostile.locator("p.text script, p.text img").count() == 0
    assert page.dialogs == []

    # Media starts blurred and greyscale; a click reveals it.
    fig = page.locator("article.item[data-key='facebook/fb-101'] figure.media")
    img = fig.locator("img")
    img.wait_for()
    assert "blur" in img.evaluate("e => getComputedStyle(e).filter")
    fig.locator("button.reveal").click()
    expect(fig).to_have_class("media revealed")
    expect(img).to_have_css("filter", "none")
    shot(page, "2-media-revealed")

    # Decide without a reason: the browser refuses (required field); with one it is recorded.
    item = page.locator("article.item[data-key='telegram/tg-201']")
    item.locator("input[name=reason]").fill("Advertises a paid sea crossing with a contact number")
    item.locator("button[value=harm]").click()
    done = page.locator(".item.decided[data-decision='harm']")
    done.wait_for()
    assert "Decision recorded" in done.inner_text()
    shot(page, "3-decided")

    # The decision is in the store and the audit chain holds.
    from marsad.review import audit, decisions
    from marsad.store.db import connect
    with connect(site.db).connect() as conn:
        rows = decisions.history(conn, "telegram", "tg-201")
        assert [(r["decision"], r["actor"]) for r in rows] == [("harm", f"user:{site.users['analyst']}")]
        assert audit.verify(conn) == (True, None)

    # The confirmed post is referred to its platform from its page (marsad.refer packages).
    page.goto(site.url + "/posts/telegram/tg-201")
    page.locator("#referral button").click()
    expect(page.locator("#referral .referred")).to_contain_text("Package #")
    shot(page, "4a-referred")
    from marsad.store.tables_review import referral_items
    with connect(site.db).connect() as conn:
        items = conn.execute(referral_items.select().where(referral_items.c.post_id == "tg-201")).all()
        assert [(i.platform, i.url, i.category) for i in items] == [
            ("telegram", "https://t.me/rihla_amina_demo/201", "migrant_smuggling")]
        assert audit.verify(conn) == (True, None)
    page.reload()
    expect(page.locator("#referral")).to_contain_text("Referred to telegram")

    # Post page, then its network drawn with cytoscape.
    page.goto(site.url + "/posts/facebook/fb-101")
    assert page.locator("bdi[dir=ltr]", has_text="+218912345678").count() >= 1
    shot(page, "4-post")
    page.locator(".networks a").first.click()
    page.wait_for_selector("#graph[data-nodes]")
    assert int(page.get_attribute("#graph", "data-nodes")) >= 4
    assert page.locator("#graph canvas").count() > 0
    shot(page, "5-network")
    assert page.errors == [] and page.dialogs == []


def test_hostile_post_page(page, site):
    login(page, site, "reviewer")
    page.goto(site.url + "/posts/facebook/fb-102")
    text = page.locator("p.text").inner_text()
    assert "<img src=x onerror=alert(2)>" in text
    assert page.locator("main img[src=x]").count() == 0
    shot(page, "6-hostile-post")
    assert page.dialogs == [] and page.errors == []


def test_escalation_needs_a_reviewer(page, site):
    login(page, site, "analyst")
    item = page.locator("article.item[data-key='instagram/ig-301']")
    item.locator("input[name=reason]").fill("Unsure whether these are forged; second opinion")
    item.locator("button[value=escalate]").click()
    page.locator(".item.decided[data-decision='escalate']").wait_for()
    page.goto(site.url + "/queue?status=escalated")
    again = page.locator("article.item[data-key='instagram/ig-301']")
    assert "a reviewer decides" in again.inner_text()
    assert again.locator("form.decide").count() == 0
    shot(page, "7-escalated-analyst")
    assert page.errors == []


def test_error_shown_in_flash(page, site):
    import httpx
    login(page, site, "analyst")
    item = page.locator("article.item[data-key='facebook/fb-102']")
    item.wait_for()
    # Someone else decides the item while this page is open ...
    r = httpx.post(site.url + "/api/decisions", headers=site.headers("analyst"), json={
        "platform": "facebook", "post_id": "fb-102", "decision": "harm", "reason": "decided elsewhere"})
    assert r.status_code == 201
    # ... so this analyst's decision is refused, and the page says why.
    item.locator("input[name=reason]").fill("looks benign to me")
    item.locator("button[value=benign]").click()
    expect(page.locator("#flash")).to_contain_text("already decided")
    assert item.locator("form.decide").count() == 1     # the item was not replaced
    shot(page, "8-conflict-flash")
    assert page.dialogs == []


def test_dashboard_and_api_docs_render_offline(page, site):
    page.goto(site.url + "/login")
    page.fill("input[name=name]", site.users["viewer"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/")
    assert page.locator("#n-posts").inner_text() == "8"
    assert page.locator("nav a[href='/queue']").count() == 0          # a viewer has no queue
    shot(page, "0-dashboard")
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(site.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20000)      # the vendored bundle ran under the CSP
    assert all(u.startswith(site.url) for u in requests)              # nothing fetched from elsewhere
    shot(page, "9-api-docs")
    assert page.errors == []
