"""Pages over real HTTP (no browser): what a logged-in person is sent, escaped; media
re-encoded and never for sensitive items; login redirects stay on this site."""
from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from sqlalchemy import select, update

from marsad.store.db import connect
from marsad.store.tables_media import media
from tests.api.server import PASSWORD


@pytest.fixture
def browser_like(site):
    with httpx.Client(base_url=site.url, timeout=30, headers={"accept": "text/html"}) as c:
        r = c.post("/login", data={"name": site.users["analyst"], "password": PASSWORD, "next": "/queue"})
        assert r.status_code == 303 and r.headers["location"] == "/queue"
        yield c


def test_pages_redirect_to_login_when_logged_out(site):
    r = httpx.get(site.url + "/queue", headers={"accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/queue"
    r = httpx.get(site.url + "/queue", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/login")


def test_queue_escapes_hostile_posts(browser_like):
    html = browser_like.get("/queue").text
    assert "<script>alert(" not in html and "onerror=alert(2)>" not in html
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert 'dir="rtl"' in html and 'dir="auto"' in html and '<bdi dir="ltr">+218912345678</bdi>' in html
    assert "cdn" not in html.lower() and "/static/vendor/htmx.min.js" in html


def test_dashboard_counts(browser_like):
    html = browser_like.get("/").text
    assert 'id="n-posts">8<' in html and 'id="n-accounts">7<' in html


def test_media_is_reencoded_png_and_sensitive_media_is_never_served(site, browser_like):
    engine = connect(site.db)
    with engine.connect() as conn:
        media_id = conn.execute(select(media.c.id).where(media.c.post_id == "fb-101")).scalar_one()
    r = browser_like.get(f"/media/{media_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (320, 200)
    viewer = httpx.get(f"{site.url}/media/{media_id}", headers=site.headers("viewer"))
    assert viewer.status_code == 403                                       # analysts and up only
    with engine.begin() as conn:
        conn.execute(update(media).where(media.c.id == media_id).values(sensitive=True))
    try:
        assert browser_like.get(f"/media/{media_id}").status_code == 404
        assert "never shown" in browser_like.get("/posts/facebook/fb-101").text
    finally:
        with engine.begin() as conn:
            conn.execute(update(media).where(media.c.id == media_id).values(sensitive=False))


def test_media_path_outside_images_is_refused(site, browser_like):
    engine = connect(site.db)
    with engine.begin() as conn:
        conn.execute(media.insert().values(platform="facebook", post_id="fb-102", media_index=0,
                                           path="../../../../etc/passwd", sensitive=False,
                                           hashed_at=__import__("datetime").datetime.now()))
        mid = conn.execute(select(media.c.id).where(media.c.post_id == "fb-102")).scalar_one()
    assert browser_like.get(f"/media/{mid}").status_code == 404


def test_error_page_is_html_for_people(browser_like):
    r = browser_like.get("/posts/facebook/missing")
    assert r.status_code == 404 and "<h1>404" in r.text and "no post facebook/missing" in r.text
