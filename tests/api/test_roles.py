"""Every route checks its role: the route table is walked, and each route is called over
HTTP with no key, with each role below the one it needs (403), and with that role."""
from __future__ import annotations

import re

import httpx
import pytest

from marsad.api.app import create_app
from marsad.api.auth import RANK, ROLES, route_table

# Routes that need no login, and why (anything else must declare a role).
PUBLIC = {("GET", "/healthz"), ("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/login"), ("POST", "/login"),
          ("*", "/static"),
          ("GET", "/tip"), ("POST", "/tip"), ("POST", "/api/tips")}   # the public tip line (routes_tips.py)


def _table():
    app = create_app("sqlite://", secret="x")   # in-memory: only the route table is read
    return route_table(app)


TABLE = _table()
GUARDED = [(m, p, role) for m, p, role in TABLE if role not in (None, "public")]


def _concrete(path: str) -> str:
    """A path with its parameters filled in with values that exist in the fixture."""
    values = {"platform": "facebook", "post_id": "fb-101", "author_id": "acc-sea1", "net_id": "net-1",
              "key_id": "999999", "media_id": "999999", "referral_id": "999999", "item_id": "999999"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x"), path)


def test_every_route_declares_access():
    undeclared = [(m, p) for m, p, role in TABLE if role is None and (m, p) not in PUBLIC]
    assert undeclared == []
    public = {(m, p) for m, p, role in TABLE if role == "public"}
    assert public <= PUBLIC, public - PUBLIC


def test_expected_roles():
    """The role table as documented (README / report): a change here is a policy change."""
    table = {(m, p): role for m, p, role in TABLE}
    assert table[("POST", "/api/decisions")] == "analyst"
    assert table[("GET", "/api/decisions")] == "reviewer"
    assert table[("POST", "/api/keys")] == "admin"
    assert table[("POST", "/api/users")] == "admin"
    assert table[("POST", "/api/ingest")] == "analyst"
    assert table[("GET", "/api/findings")] == "viewer"
    assert table[("POST", "/queue/decide")] == "analyst"


@pytest.mark.parametrize("method,path,role", GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_route_checks_role(site, method, path, role):
    url = site.url + _concrete(path)
    with httpx.Client(timeout=30, follow_redirects=False) as c:
        r = c.request(method, url, headers={"accept": "application/json"})
        if path.startswith("/api/"):
            assert r.status_code == 401, r.text
            assert r.json()["error"]["code"] == "unauthorized"
        else:   # pages send people to the login form
            assert r.status_code == 401 or (r.status_code == 303 and "/login" in r.headers["location"])
        r = c.request(method, url, headers={"Authorization": "Bearer mk_not-a-real-key"})
        assert r.status_code in (401, 303)
        for lower in ROLES[:RANK[role]]:
            r = c.request(method, url, headers=site.headers(lower))
            assert r.status_code == 403, (lower, r.status_code, r.text)
        r = c.request(method, url, headers=site.headers(role))
        assert r.status_code not in (401, 403), (role, r.status_code, r.text)


def test_docs_list_every_route_with_its_role():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set()
    for line in doc.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in ("public", *ROLES):
            documented.add((cells[1], cells[2], cells[0]))
    actual = {(m, p, role) for m, p, role in TABLE if p not in ("/openapi.json", "/static")}
    assert actual - documented == set(), "add these routes to docs/api.md's role table"
    assert documented - actual == set(), "docs/api.md lists routes the app does not have"
