"""The REST API over real HTTP: ingest, classify, queries with filters and paging, the
queue, decisions with the audit chain, networks, and the one error shape.

``fresh_site`` runs on SQLite and PostgreSQL (the key routes); ``site`` is one SQLite
store shared by the read-only checks of this module."""
from __future__ import annotations

import json

import httpx
import pytest

from marsad.detect.classify import classify_dicts
from marsad.review import audit
from marsad.store.db import connect
from tests.api.server import FIXTURE


def client(site, role):
    return httpx.Client(base_url=site.url, headers=site.headers(role), timeout=60)


def error(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and {"status", "code", "message", "field"} <= set(body["error"])
    assert body["error"]["status"] == status
    return body["error"]


# ---- key routes on every store -------------------------------------------------------------
def test_ingest_queue_decide_audit(fresh_site):
    s = fresh_site
    with client(s, "analyst") as c:
        lines = [json.dumps({"id": "api-1", "platform": "telegram", "author_id": "acc-api", "lang": "ar",
                             "text": "رحلة مضمونة من زوارة إلى إيطاليا، السعر 2000 يورو للشخص، واتساب +218 94 111 2233"}),
                 '{"id": "api-2"}', "not json"]
        body = ("\n".join(lines) + "\n").encode()
        r = c.post("/api/ingest", content=body, headers={"content-type": "application/x-ndjson"})
        assert r.status_code == 200, r.text
        got = r.json()
        assert (got["new"], got["bad"]) == (1, 2)
        assert [(e["line"], e["field"]) for e in got["errors"]] == [(2, "platform"), (3, None)]
        again = c.post("/api/ingest", json={"id": "api-1", "platform": "telegram", "text": "x"}).json()
        assert (again["new"], again["already_stored"]) == (0, 1)              # idempotent on (platform, id)

        queue = c.get("/api/queue").json()
        risks = [i["risk"] for i in queue["items"]]
        assert risks == sorted(risks, reverse=True) and queue["total"] == len(risks) >= 6
        assert any(i["post_id"] == "api-1" for i in queue["items"])

        r = c.post("/api/decisions", json={"platform": "telegram", "post_id": "api-1", "decision": "harm",
                                           "reason": "sells a sea crossing"})
        assert r.status_code == 201 and r.json()["label"] == "migrant_smuggling"
        error(c.post("/api/decisions", json={"platform": "telegram", "post_id": "api-1",
                                             "decision": "benign", "reason": "changed my mind"}), 409)
        r = c.post("/api/decisions", json={"platform": "telegram", "post_id": "tg-201", "decision": "escalate",
                                           "reason": "unsure"})
        assert r.status_code == 201
        error(c.post("/api/decisions", json={"platform": "telegram", "post_id": "tg-201", "decision": "benign",
                                             "reason": "x"}), 403)
        left = {i["post_id"]: i["status"] for i in c.get("/api/queue").json()["items"]}
        assert "api-1" not in left and left["tg-201"] == "escalated"
    with client(s, "reviewer") as c:
        r = c.post("/api/decisions", json={"platform": "telegram", "post_id": "tg-201", "decision": "benign",
                                           "reason": "a reviewer's call"})
        assert r.status_code == 201
        assert "tg-201" not in {i["post_id"] for i in c.get("/api/queue").json()["items"]}
        log = c.get("/api/decisions", params={"post_id": "tg-201"}).json()
        assert [d["decision"] for d in log["items"]] == ["benign", "escalate"]     # newest first
    with connect(s.db).connect() as conn:
        assert audit.verify(conn) == (True, None)
        from marsad.store.tables_review import audit_log
        rows = conn.execute(audit_log.select().order_by(audit_log.c.id)).all()
        assert [r.action for r in rows] == ["decision.harm", "decision.escalate", "decision.benign"]
        assert rows[0].actor == "key:2" and rows[0].subject == "post:telegram/api-1"


def test_findings_filters_and_paging(fresh_site):
    with client(fresh_site, "viewer") as c:
        everything = c.get("/api/findings", params={"limit": 500}).json()
        assert everything["total"] == 8
        seen, offset = [], 0
        while offset is not None:
            page = c.get("/api/findings", params={"limit": 3, "offset": offset}).json()
            seen += [(i["platform"], i["post_id"]) for i in page["items"]]
            offset = page["next"]
        assert seen == [(i["platform"], i["post_id"]) for i in everything["items"]] and len(set(seen)) == 8
        smug = c.get("/api/findings", params={"label": "migrant_smuggling"}).json()
        assert smug["total"] == 5 and {i["label"] for i in smug["items"]} == {"migrant_smuggling"}
        phone = c.get("/api/findings", params={"identifier": "+218912345678"}).json()
        assert {i["post_id"] for i in phone["items"]} == {"fb-101", "tg-201", "tg-202", "tt-501"}
        march = c.get("/api/findings", params={"since": "2024-03-04T00:00:00Z", "until": "2024-03-06T00:00:00Z"})
        assert {i["post_id"] for i in march.json()["items"]} == {"ig-301", "fb-102"}
        assert c.get("/api/findings", params={"min_risk": 0.9, "platform": "x"}).json()["total"] == 0
        error(c.get("/api/findings", params={"limit": 0}), 422)


def test_networks_route(fresh_site):
    with client(fresh_site, "viewer") as c:
        nets = c.get("/api/networks").json()
        first = nets["networks"][0]
        assert {"id", "accounts", "shared", "platforms", "posts", "labels"} <= set(first)
        assert first["accounts"] == ["acc-sea1", "acc-sea2", "acc-sea4"] and "+218912345678" in first["shared"]
        graph = c.get(f"/api/networks/{first['id']}").json()["graph"]
        assert {n["kind"] for n in graph["nodes"]} >= {"account", "phone"} and len(graph["edges"]) >= 3
        assert {e["source"] for e in graph["edges"]} == {n["id"] for n in graph["nodes"] if n["kind"] == "account"}
        error(c.get("/api/networks/net-999"), 404)


# ---- the rest on one SQLite store ----------------------------------------------------------
def test_classify_one_and_many_match_the_library(site):
    posts = [json.loads(line) for line in (FIXTURE / "posts.jsonl").read_text(encoding="utf-8").splitlines()]
    for p in posts:
        p.pop("media", None)
    expected = classify_dicts(posts)
    with client(site, "analyst") as c:
        one = c.post("/api/classify", json=posts[0]).json()
        assert one == expected[0]
        many = c.post("/api/classify/batch", json={"posts": posts}).json()["findings"]
        assert many == expected
        err = error(c.post("/api/classify", json={"id": "x", "text": "no platform"}), 422)
        assert err["field"] == "platform"
        err = error(c.post("/api/classify", json={"id": "x", "platform": "myspace", "text": "t"}), 422)
        assert err["field"] == "platform"
        error(c.post("/api/classify/batch", json={"posts": []}), 422)


def test_posts_and_accounts(site):
    with client(site, "viewer") as c:
        post = c.get("/api/posts/facebook/fb-101").json()
        assert post["finding"]["label"] == "migrant_smuggling" and post["account"]["author_id"] == "acc-sea1"
        assert {"kind": "phone", "value": "+218912345678"} in post["identifiers"]
        assert post["media_items"][0]["sha256"] and "raw" not in post
        error(c.get("/api/posts/facebook/nope"), 404)
        posts = c.get("/api/posts", params={"author_id": "acc-sea2"}).json()
        assert [p["id"] for p in posts["items"]] == ["tg-202", "tg-201"]           # newest first
        accounts = c.get("/api/accounts", params={"min_harmful": 2}).json()
        assert [(a["author_id"], a["harmful"]) for a in accounts["items"]] == [("acc-sea2", 2)]
        acc = c.get("/api/accounts/telegram/acc-sea2").json()
        assert acc["labels"] == {"migrant_smuggling": 2} and acc["posts"]["total"] == 2
        assert c.get("/api/accounts", params={"handle": "@DOCS_fast"}).json()["items"][0]["author_id"] == "acc-docs1"


def test_admin_creates_keys_that_work_and_are_not_listed(site):
    with client(site, "admin") as c:
        made = c.post("/api/keys", json={"role": "viewer", "name": "dashboard"}).json()
        listed = c.get("/api/keys").json()
        assert made["token"] not in json.dumps(listed)
        assert httpx.get(site.url + "/api/me", headers={"Authorization": f"Bearer {made['token']}"}).json()["role"] == "viewer"
        assert c.delete(f"/api/keys/{made['id']}").status_code == 204
        assert httpx.get(site.url + "/api/me", headers={"X-API-Key": made["token"]}).status_code == 401
        error(c.post("/api/keys", json={"role": "emperor"}), 422)
        r = c.post("/api/users", json={"name": "new-analyst", "role": "analyst", "password": "long enough pw"})
        assert r.status_code == 201
        error(c.post("/api/users", json={"name": "new-analyst", "role": "analyst"}), 409)


def test_one_error_shape(site):
    with httpx.Client(base_url=site.url, timeout=30) as c:
        assert error(c.get("/api/findings"), 401)["code"] == "unauthorized"
        h = site.headers("viewer")
        assert error(c.get("/api/nothing-here", headers=h), 404)["code"] == "not_found"
        assert error(c.post("/api/ingest", headers=h), 403)["code"] == "forbidden"
        assert error(c.delete("/api/findings", headers=h), 405)["code"] == "method_not_allowed"
        e = error(c.get("/api/findings", headers=h, params={"min_risk": "high"}), 422)
        assert e["code"] == "invalid_request" and e["field"] == "min_risk"
        e = error(c.post("/api/ingest", headers=site.headers("analyst"), content=b"[1, 2"), 422)
        assert e["field"] == "body"


def test_body_size_limit(tmp_path):
    from tests.api.server import site as make_site
    with make_site(f"sqlite:///{tmp_path / 'small.db'}", tmp_path, max_body=2000) as s:
        with client(s, "analyst") as c:
            big = json.dumps({"id": "big", "platform": "x", "text": "a" * 5000})
            assert error(c.post("/api/ingest", content=big), 413)["code"] == "body_too_large"

            def chunks():      # no Content-Length: counted while streaming
                for _ in range(10):
                    yield b" " * 500
            assert error(c.post("/api/ingest", content=chunks()), 413)["code"] == "body_too_large"
            ok = c.post("/api/ingest", json={"id": "small", "platform": "x", "text": "fine"})
            assert ok.status_code == 200


def test_security_headers(site):
    r = httpx.get(site.url + "/healthz")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"


def test_tips_enter_the_queue(site):
    r = httpx.post(site.url + "/api/tips", json={"text": "A page offers seats on a boat next week, see link",
                                                 "url": "https://www.facebook.com/some.page.demo/posts/9"})
    assert r.status_code == 201, r.text
    with client(site, "analyst") as c:
        items = c.get("/api/queue", params={"limit": 500}).json()["items"]
    tipped = [i for i in items if i["tip_id"] is not None]
    assert len(tipped) == 1 and tipped[0]["platform"] == "facebook" and tipped[0]["status"] == "new"
    assert "contact" not in tipped[0]
