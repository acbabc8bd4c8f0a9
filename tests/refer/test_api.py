"""The referral, report and evidence routes over real HTTP, on SQLite and PostgreSQL:
refer a confirmed post, download the package, record what happened, read the figures."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile

import httpx
import pytest

from marsad.api import auth
from marsad.report import evidence
from marsad.store.db import connect
from tests.refer import seed

ROLES = ("viewer", "analyst", "reviewer", "admin")


@pytest.fixture
def site(store_url):
    from marsad.api.app import create_app
    from tests.api.server import serve
    seed.store(store_url)
    with connect(store_url).begin() as conn:
        keys = {role: auth.create_key(conn, role)[1] for role in ROLES}
    app = create_app(store_url, secret="test")
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, {r: {"Authorization": f"Bearer {k}"} for r, k in keys.items()}


def test_refer_send_follow(site, tmp_path):
    client, h = site
    # a viewer may not refer; an analyst refers one confirmed post
    assert client.post("/api/referrals", json={"posts": [{"platform": "x", "post_id": "x-1"}]},
                       headers=h["viewer"]).status_code == 403
    r = client.post("/api/referrals", json={"posts": [{"platform": "x", "post_id": "x-1"}], "unit": "IRU-A"},
                    headers=h["analyst"])
    assert r.status_code == 201, r.text
    (pkg,) = r.json()["packages"]
    assert pkg["platform"] == "x" and pkg["items"] == 1
    # the same post asked again, by another unit: no new item, no new package
    again = client.post("/api/referrals", json={"posts": [{"platform": "x", "post_id": "x-1"}], "unit": "IRU-B"},
                        headers=h["analyst"]).json()
    assert again["added"] == [] and again["already_referred"] == r.json()["added"] and again["packages"] == []
    # the news post was never confirmed as a harm
    assert client.post("/api/referrals", json={"posts": [{"platform": "telegram", "post_id": "tg-1"}]},
                       headers=h["analyst"]).status_code == 409

    doc = client.get(f"/api/referrals/{pkg['id']}", headers=h["analyst"]).json()
    assert doc["items"][0]["url"] == "https://twitter.com/papers_demo/status/555"
    assert "Illegal or certain regulated goods" in doc["items"][0]["policy"]
    csv_r = client.get(f"/api/referrals/{pkg['id']}.csv", headers=h["analyst"])
    assert csv_r.headers["content-type"].startswith("text/csv") and "attachment" in csv_r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(csv_r.text.lstrip("\ufeff"))))
    assert rows[0]["evidence_sha256"] == doc["items"][0]["evidence_sha256"]

    sent = client.post(f"/api/referrals/{pkg['id']}/sent", json={"at": "2026-01-10T00:00:00Z"}, headers=h["analyst"])
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert client.post(f"/api/referrals/{pkg['id']}/sent", json={}, headers=h["analyst"]).status_code == 409
    item_id = doc["items"][0]["item_id"]
    out = client.post(f"/api/referrals/items/{item_id}/outcome",
                      json={"outcome": "taken down", "at": "2026-01-10T12:00:00Z", "external_ref": "X-77"},
                      headers=h["analyst"])
    assert out.status_code == 201 and out.json()["outcome"] == "removed"
    stats = client.get("/api/referrals/stats", headers=h["viewer"]).json()
    assert stats["total"]["removed"] == 1 and stats["total"]["median_hours_to_removal"] == 12.0
    items = client.get("/api/referrals/items", params={"outcome": "removed"}, headers=h["analyst"]).json()
    assert [i["id"] for i in items["items"]] == [item_id]


def test_refer_all_confirmed_import_and_reports(site, tmp_path):
    client, h = site
    r = client.post("/api/referrals", json={}, headers=h["analyst"])
    assert {p["platform"] for p in r.json()["packages"]} == {"facebook", "instagram", "tiktok", "x"}
    for p in r.json()["packages"]:
        client.post(f"/api/referrals/{p['id']}/sent", json={"at": "2026-01-10T00:00:00Z"}, headers=h["analyst"])
    response_file = ("url,status,date\nhttps://www.facebook.com/groups/100/posts/1,removed,2026-01-10T03:00:00Z\n"
                     "https://facebook.com/groups/100/posts/2,no violation,2026-01-11T00:00:00Z\n")
    imp = client.post("/api/referrals/outcomes/import", params={"name": "meta.csv", "platform": "facebook"},
                      content=response_file.encode(), headers=h["analyst"] | {"content-type": "text/csv"})
    assert imp.status_code == 200 and imp.json() == {"recorded": 2, "errors": []}

    # NCMEC: reviewers only; a zip of XML reports, one per child-exploitation item
    body = {"reporter": {"email": "duty@unit.example"}, "annotations": ["sextortion"]}
    assert client.post("/api/referrals/ncmec", json=body, headers=h["analyst"]).status_code == 403
    z = client.post("/api/referrals/ncmec", json=body, headers=h["reviewer"])
    assert z.status_code == 200 and z.headers["x-reports"] == "1"
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        xml_name = next(n for n in zf.namelist() if n.endswith(".xml"))
        root = ET.fromstring(zf.read(xml_name))
    assert root.tag == "report" and root.find("incidentSummary/reportAnnotations/sextortion") is not None

    # the transparency report: viewers may read it; counts only
    page = client.get("/api/report", params={"from": "2026-01-01", "to": "2026-02-01"}, headers=h["viewer"])
    assert page.status_code == 200 and page.text.count("data:image/png;base64,") == 6
    assert not [s for s in seed.IDENTIFIERS if s in page.text]
    pdf = client.get("/api/report.pdf", params={"from": "2026-01-01", "to": "2026-02-01"}, headers=h["viewer"])
    assert pdf.content.startswith(b"%PDF")
    assert client.get("/api/trends", headers=h["viewer"]).json()["routes"] == {"زوارة → لامبيدوزا": [2]}

    # evidence: reviewers export a bundle that verifies offline
    assert client.post("/api/evidence/export", json={}, headers=h["analyst"]).status_code == 403
    b = client.post("/api/evidence/export", json={"platform": "facebook"}, headers=h["reviewer"])
    assert b.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b.content)) as zf:
        zf.extractall(tmp_path)
    result = evidence.verify_bundle(tmp_path / "bundle")
    assert result["ok"] and result["items"] == 2 and result["head"] == b.headers["x-audit-head"]
    chain = client.get("/api/audit/verify", headers=h["reviewer"]).json()
    assert chain["ok"] and chain["entries"] > 10
    assert client.get("/api/audit/verify", headers=h["analyst"]).status_code == 403
    assert client.get("/api/evidence/verify", headers=h["reviewer"]).json()["ok"]
