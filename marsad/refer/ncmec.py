"""Child-exploitation referrals in the structure of NCMEC's CyberTipline reporting API.

US providers must report apparent child sexual exploitation to NCMEC's CyberTipline
(18 U.S.C. 2258A); its reporting web service takes one XML ``<report>`` per incident
(``POST /submit``), files separately (``/upload`` + ``/fileinfo``). This module writes the
``<report>`` document for each referred child-exploitation item, following the element
names and order of the public schema (``https://report.cybertip.org/ispws/xsd``;
documentation at ``/ispws/documentation``):

    report: incidentSummary, internetDetails*, reporter, personOrUserReported?, additionalInfo?
    incidentSummary: incidentType, escalateToHighPriority?, reportAnnotations?,
                     incidentDateTime, incidentDateTimeDescription?
    webPageIncident: url+, additionalInfo?, thirdPartyHostedContent?
    chatImIncident: chatClient?, chatRoomName?, content?, additionalInfo?
    reporter: reportingPerson (firstName?, lastName?, email), companyTemplate?,
              termsOfService?, legalURL?
    personOrUserReported: espIdentifier?, espService?, screenName?, profileUrl*,
                          thirdPartyUserReported?, additionalInfo?

marsad is not the platform: the reported user and content are on another company's
service, so ``thirdPartyUserReported`` / ``thirdPartyHostedContent`` are true. marsad
never submits; a registered reporter (the platform partner, or the unit's own NCMEC
account) does. **No media bytes are ever included**: marsad keeps none. Media appear only
as hashes (SHA-256, MD5, PDQ) in ``additionalInfo``, so NCMEC can match them against its
lists without anyone handling the file.
"""
from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from marsad.errors import InputError, NotFound
from marsad.refer import config as refer_config
from marsad.refer import times
from marsad.review import audit
from marsad.store.schema import posts
from marsad.store.tables_media import media
from marsad.store.tables_review import decisions, referral_items

SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
INCIDENT_TYPES = (
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Act",
    "Unsolicited Obscene Material Sent to a Child",
)
# marsad's child-exploitation signals are about contact with minors (grooming, moving
# them to private apps, sextortion threats): enticement is the closest type by default.
DEFAULT_INCIDENT_TYPE = "Online Enticement of Children for Sexual Act"
ANNOTATIONS = ("sextortion", "csamSolicitation", "minorToMinorInteraction", "spam",
               "sadisticOnlineExploitation", "informational")
MAX_TEXT = 4000


@dataclass(frozen=True)
class Reporter:
    """Who submits the report (``reportingPerson`` needs an email)."""

    email: str
    first_name: str | None = None
    last_name: str | None = None
    company_template: str | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None

    def __post_init__(self):
        if not self.email or "@" not in self.email:
            raise InputError("the reporting person needs an email address", field="reporter.email")


def _sub(parent: ET.Element, tag: str, text=None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = str(text)
    return el


def _opt(parent: ET.Element, tag: str, text) -> None:
    if text not in (None, ""):
        _sub(parent, tag, text)


def _xml_text(text: str | None) -> str | None:
    """Text XML 1.0 can carry: control characters other than tab/newline dropped."""
    if text is None:
        return None
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)[:MAX_TEXT]


def check_options(incident_type: str, annotations) -> tuple[str, tuple[str, ...]]:
    if incident_type not in INCIDENT_TYPES:
        raise InputError("incident type must be one of: " + "; ".join(INCIDENT_TYPES), field="incident_type")
    bad = [a for a in annotations if a not in ANNOTATIONS]
    if bad:
        raise InputError(f"unknown report annotation(s) {bad}; one of {', '.join(ANNOTATIONS)}",
                         field="annotations")
    return incident_type, tuple(dict.fromkeys(annotations))


def report_element(item: dict, post: dict | None, media_rows: list[dict], reporter: Reporter, *,
                   incident_type: str = DEFAULT_INCIDENT_TYPE, annotations=(), escalate: str | None = None,
                   include_text: bool = True, reviewed: dict | None = None) -> ET.Element:
    """The ``<report>`` for one referral item (and its stored post, when there is one)."""
    incident_type, annotations = check_options(incident_type, annotations)
    cfg = refer_config.load()
    service = cfg.name(item["platform"])
    root = ET.Element("report", {f"{{{XSI}}}noNamespaceSchemaLocation": SCHEMA_LOCATION})

    summary = _sub(root, "incidentSummary")
    _sub(summary, "incidentType", incident_type)
    _opt(summary, "escalateToHighPriority", _xml_text(escalate))
    if annotations:
        notes = _sub(summary, "reportAnnotations")
        for a in annotations:
            _sub(notes, a)
    when = times.parse(post.get("created_at")) if post and post.get("created_at") else None
    _sub(summary, "incidentDateTime", times.iso(when or times.utc(item["created_at"])))
    _sub(summary, "incidentDateTimeDescription",
         "time the content was published, as the platform showed it" if when
         else "time the content was first referred (publication time unknown)")

    text = _xml_text(post.get("text")) if (post and include_text) else None
    if post and post.get("messages"):
        chat = _sub(_sub(root, "internetDetails"), "chatImIncident")
        _sub(chat, "chatClient", service)
        _opt(chat, "chatRoomName", _xml_text(post.get("conversation_id")))
        _opt(chat, "content", text)
        text = None
    page = _sub(_sub(root, "internetDetails"), "webPageIncident")
    _sub(page, "url", item["url"])
    _opt(page, "additionalInfo", f"Text of the post as captured: {text}" if text else None)
    _sub(page, "thirdPartyHostedContent", "true")

    rep = _sub(root, "reporter")
    person = _sub(rep, "reportingPerson")
    _opt(person, "firstName", reporter.first_name)
    _opt(person, "lastName", reporter.last_name)
    _sub(person, "email", reporter.email)
    _opt(rep, "companyTemplate", reporter.company_template)
    _opt(rep, "termsOfService", reporter.terms_of_service)
    _opt(rep, "legalURL", reporter.legal_url)

    if post and (post.get("author_id") or post.get("author_handle")):
        suspect = _sub(root, "personOrUserReported")
        _opt(suspect, "espIdentifier", post.get("author_id"))
        _sub(suspect, "espService", service)
        handle = (post.get("author_handle") or "").lstrip("@") or None
        _opt(suspect, "screenName", handle)
        _sub(suspect, "thirdPartyUserReported", "true")

    facts = [f"marsad referral item {item['id']} ({item['category']}); policy: {item.get('policy') or '-'}"]
    if reviewed:
        facts.append(f"confirmed by a human reviewer ({reviewed['role']}) at {times.iso(reviewed['created_at'])}")
    if item.get("evidence_sha256"):
        facts.append(f"SHA-256 of the post as captured: {item['evidence_sha256']}")
    hashes = [f"{k}:{m[k]}" for m in media_rows for k in ("sha256", "md5", "pdq") if m.get(k)]
    if hashes:
        facts.append("media hashes (files not attached; not viewed by the reporter): " + ", ".join(hashes))
    _sub(root, "additionalInfo", "; ".join(facts))
    return root


def to_bytes(root: ET.Element) -> bytes:
    ET.register_namespace("xsi", XSI)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def _context(conn: Connection, item: dict) -> tuple[dict | None, list[dict], dict | None]:
    if not item.get("post_id"):
        return None, [], None
    key = (item["post_platform"], item["post_id"])
    post = conn.execute(select(posts).where(posts.c.platform == key[0], posts.c.id == key[1])).first()
    media_rows = [dict(r._mapping) for r in conn.execute(
        select(media.c.sha256, media.c.md5, media.c.pdq)
        .where(and_(media.c.platform == key[0], media.c.post_id == key[1])).order_by(media.c.media_index))]
    reviewed = conn.execute(select(decisions.c.role, decisions.c.created_at)
                            .where(decisions.c.platform == key[0], decisions.c.post_id == key[1],
                                   decisions.c.decision == "harm")
                            .order_by(decisions.c.id.desc()).limit(1)).first()
    return (dict(post._mapping) if post else None), media_rows, (dict(reviewed._mapping) if reviewed else None)


def child_items(conn: Connection, *, referral_id: int | None = None, item_ids=None) -> list[dict]:
    query = select(referral_items).where(referral_items.c.category == "child_exploitation").order_by(
        referral_items.c.id)
    if referral_id is not None:
        query = query.where(referral_items.c.referral_id == referral_id)
    if item_ids:
        query = query.where(referral_items.c.id.in_(list(item_ids)))
    return [dict(r._mapping) for r in conn.execute(query)]


def export(conn: Connection, out_dir: str | Path, reporter: Reporter, *, actor: str,
           referral_id: int | None = None, item_ids=None, incident_type: str = DEFAULT_INCIDENT_TYPE,
           annotations=(), escalate: str | None = None, include_text: bool = True) -> dict:
    """One ``cybertip-item-<id>.xml`` per child-exploitation item, plus ``index.json``."""
    check_options(incident_type, annotations)
    items = child_items(conn, referral_id=referral_id, item_ids=item_ids)
    if not items:
        raise NotFound("no child-exploitation referral items to export")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for item in items:
        post, media_rows, reviewed = _context(conn, item)
        data = to_bytes(report_element(item, post, media_rows, reporter, incident_type=incident_type,
                                       annotations=annotations, escalate=escalate, include_text=include_text,
                                       reviewed=reviewed))
        path = out / f"cybertip-item-{item['id']}.xml"
        path.write_bytes(data)
        index.append({"item_id": item["id"], "file": path.name, "sha256": hashlib.sha256(data).hexdigest(),
                      "url": item["url"]})
    (out / "index.json").write_text(json.dumps({"format": "marsad-cybertip/1", "incident_type": incident_type,
                                                "reports": index}, ensure_ascii=False, indent=2) + "\n",
                                    encoding="utf-8")
    audit.append(conn, actor, "referral.ncmec_export", f"referral:{referral_id}" if referral_id else "items",
                 {"items": [i["item_id"] for i in index], "incident_type": incident_type})
    return {"reports": index, "dir": str(out)}
