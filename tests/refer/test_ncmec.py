"""CyberTipline export: element names and order of NCMEC's public report schema, the
child-exploitation items only, hashes of media but never their bytes."""
from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from marsad.errors import InputError, NotFound
from marsad.refer import ncmec, packages
from marsad.store.db import connect
from marsad.store.tables_media import media
from tests.refer import seed

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
REPORT_ORDER = ["incidentSummary", "internetDetails", "lawEnforcement", "reporter", "personOrUserReported",
                "intendedRecipient", "victim", "additionalInfo"]
SUMMARY_ORDER = ["incidentType", "escalateToHighPriority", "reportAnnotations", "incidentDateTime",
                 "incidentDateTimeDescription"]
WEBPAGE_ORDER = ["url", "additionalInfo", "thirdPartyHostedContent"]
REPORTER_ORDER = ["reportingPerson", "contactPerson", "companyTemplate", "termsOfService", "legalURL"]
PERSON_ORDER = ["firstName", "lastName", "phone", "email", "address", "age", "dateOfBirth"]
SUSPECT_ORDER = ["personOrUserReportedPerson", "vehicleDescription", "espIdentifier", "espService", "screenName",
                 "displayName", "profileUrl", "ipCaptureEvent", "deviceId", "thirdPartyUserReported",
                 "priorCTReports", "groupIdentifier", "estimatedLocation", "additionalInfo"]


def _in_order(element, order):
    tags = [child.tag for child in element]
    positions = [order.index(t) for t in tags]      # ValueError: an element the schema does not have here
    return positions == sorted(positions)


@pytest.fixture
def exported(tmp_path):
    url = seed.store(f"sqlite:///{tmp_path / 'm.db'}")
    engine = connect(url)
    image = tmp_path / "synthetic.png"          # a drawn square: the bytes must never reach the report
    from PIL import Image
    Image.new("RGB", (64, 64), (200, 30, 30)).save(image)
    image_sha = hashlib.sha256(image.read_bytes()).hexdigest()
    with engine.begin() as conn:
        conn.execute(media.insert().values(platform="instagram", post_id="ig-1", media_index=0, path=str(image),
                                           sha256=image_sha, pdq="f" * 64, sensitive=True,
                                           hashed_at=datetime.now(timezone.utc)))
        packages.refer_confirmed(conn, actor="user:ana")
        packages.build_packages(conn, actor="user:ana")
        result = ncmec.export(conn, tmp_path / "out", ncmec.Reporter(email="duty@unit.example", first_name="Duty",
                                                                      last_name="Officer",
                                                                      legal_url="https://unit.example/legal"),
                              actor="user:rev", annotations=["sextortion", "csamSolicitation"])
    return result, tmp_path / "out", image


def test_one_report_per_child_exploitation_item(exported):
    result, out, _ = exported
    assert len(result["reports"]) == 1                       # only ig-1 of the five referred harms
    index = json.loads((out / "index.json").read_text())
    entry = index["reports"][0]
    data = (out / entry["file"]).read_bytes()
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_report_follows_the_schema(exported):
    result, out, _ = exported
    root = ET.parse(out / result["reports"][0]["file"]).getroot()
    assert root.tag == "report"
    assert root.get(f"{XSI}noNamespaceSchemaLocation") == "https://report.cybertip.org/ispws/xsd"
    assert _in_order(root, REPORT_ORDER)
    summary = root.find("incidentSummary")
    assert _in_order(summary, SUMMARY_ORDER)
    assert summary.findtext("incidentType") in ncmec.INCIDENT_TYPES
    assert summary.findtext("incidentType") == "Online Enticement of Children for Sexual Act"
    assert [a.tag for a in summary.find("reportAnnotations")] == ["sextortion", "csamSolicitation"]
    assert summary.findtext("incidentDateTime") == "2026-01-09T09:00:00Z"
    page = root.find("internetDetails/webPageIncident")
    assert _in_order(page, WEBPAGE_ORDER)
    assert page.findtext("url") == "https://www.instagram.com/p/DEMO1/"
    assert page.findtext("thirdPartyHostedContent") == "true"
    reporter = root.find("reporter")
    assert _in_order(reporter, REPORTER_ORDER) and _in_order(reporter.find("reportingPerson"), PERSON_ORDER)
    assert reporter.findtext("reportingPerson/email") == "duty@unit.example"
    assert reporter.findtext("legalURL") == "https://unit.example/legal"
    suspect = root.find("personOrUserReported")
    assert _in_order(suspect, SUSPECT_ORDER)
    assert suspect.findtext("espIdentifier") == "acc-4" and suspect.findtext("screenName") == "friendly_demo"
    assert suspect.findtext("espService") == "Instagram (Meta)"
    assert suspect.findtext("thirdPartyUserReported") == "true"


def test_media_are_hashes_never_bytes(exported):
    result, out, image = exported
    xml = (out / result["reports"][0]["file"]).read_text(encoding="utf-8")
    raw = image.read_bytes()
    assert hashlib.sha256(raw).hexdigest() in xml and "pdq:" + "f" * 64 in xml
    assert base64.b64encode(raw).decode()[:40] not in xml
    assert str(image) not in xml                     # not even where the file lies
    root = ET.fromstring(xml.encode())
    assert root.find(".//fileDetails") is None and root.find(".//file") is None
    assert all(len(el.text or "") < 5000 for el in root.iter())


def test_options_are_checked(tmp_path):
    with pytest.raises(InputError):
        ncmec.check_options("Something else", ())
    with pytest.raises(InputError):
        ncmec.check_options(ncmec.DEFAULT_INCIDENT_TYPE, ["notAnAnnotation"])
    with pytest.raises(InputError):
        ncmec.Reporter(email="not-an-address")
    engine = connect(seed.store(f"sqlite:///{tmp_path / 'm.db'}", confirm=False))
    with pytest.raises(NotFound), engine.begin() as conn:
        ncmec.export(conn, tmp_path / "out", ncmec.Reporter(email="a@b.example"), actor="user:x")


def test_chat_threads_are_chat_incidents():
    item = {"id": 3, "url": "https://t.me/demo_group/5", "platform": "telegram", "category": "child_exploitation",
            "policy": "ToS", "evidence_sha256": "0" * 64, "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc)}
    post = {"text": "send a pic first\x00, keep it secret", "messages": [{"author_id": "u1", "text": "hi"}],
            "conversation_id": "demo_group", "author_id": "u1", "author_handle": "@u1",
            "created_at": "2026-01-01T10:00:00+02:00"}
    root = ncmec.report_element(item, post, [], ncmec.Reporter(email="a@b.example"))
    details = root.findall("internetDetails")
    assert [d[0].tag for d in details] == ["chatImIncident", "webPageIncident"]
    chat = details[0][0]
    assert chat.findtext("chatClient") == "Telegram" and chat.findtext("chatRoomName") == "demo_group"
    assert chat.findtext("content") == "send a pic first, keep it secret"     # control characters dropped
    assert root.findtext("incidentSummary/incidentDateTime") == "2026-01-01T08:00:00Z"
