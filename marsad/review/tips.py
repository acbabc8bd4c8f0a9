"""The public tip line: anyone reports a link or a text; the tip enters the review queue.

``submit`` validates a tip (size under the ``TIP_MAX_BYTES`` setting, an http(s) link if
there is one, text or link present), stores it in ``tips`` and makes it a queue item: a
post (``id`` = ``tip-<random>``, ``source`` = ``tipline``, platform taken from the link's
host) with a finding from the text detector when one is given. A tip the detector finds
benign still needs a person's look, so its finding is labelled ``tip`` rather than
``benign``; the queue shows every non-benign finding.

What a tipster gives is protected: the optional contact stays in ``tips.contact`` only
(never in the post, the audit log, an export or a report), no IP address is stored (the
rate limit is kept in memory by the web layer), and the reply is a receipt id, nothing
about what marsad knows. The tip's text is hostile input like any post.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.engine import Connection

from marsad import settings
from marsad.errors import InputError
from marsad.model import Finding, HARMS, Post
from marsad.refer import config as refer_config
from marsad.refer import times, urls
from marsad.review import audit
from marsad.store import writer
from marsad.store.tables_review import tips

LABEL = "tip"              # the finding label of a tip no detector called harmful
UNCLASSIFIED_RISK = 0.5    # a person reported it: mid-queue until someone looks
MAX_CONTACT = 320
ACTOR = "public:tipline"


class TipTooLarge(InputError):
    """A tip over ``TIP_MAX_BYTES``."""

    http_status = 413


def _clean(text: str | None) -> str:
    """Control characters out (NUL breaks PostgreSQL text), newlines and tabs kept."""
    return "".join(c for c in (text or "") if c in "\n\t" or ord(c) >= 0x20).strip()


def validate(text: str | None, url: str | None = None, contact: str | None = None,
             category: str | None = None, max_bytes: int | None = None) -> dict:
    """The tip's fields, cleaned, or InputError / TipTooLarge naming the field."""
    max_bytes = max_bytes or settings.get("TIP_MAX_BYTES")
    text, url, contact = _clean(text), _clean(url) or None, _clean(contact) or None
    size = sum(len(v.encode("utf-8")) for v in (text, url or "", contact or "", category or ""))
    if size > max_bytes:
        raise TipTooLarge(f"a tip is at most {max_bytes} bytes; this one is {size}", field="text")
    if not text and not url:
        raise InputError("describe what you saw or give a link", field="text")
    if url:
        urls.parse(url)   # http(s) only; raises InputError(field="url")
    if contact and len(contact) > MAX_CONTACT:
        raise InputError(f"contact is at most {MAX_CONTACT} characters", field="contact")
    if category and category not in HARMS and category != "unsure":
        raise InputError(f"category must be one of {', '.join(HARMS)} or unsure", field="category")
    return {"text": text, "url": url, "contact": contact, "category": category, "size": size}


def submit(conn: Connection, *, text: str | None, url: str | None = None, contact: str | None = None,
           category: str | None = None, lang: str | None = None, detector=None,
           max_bytes: int | None = None) -> dict:
    """Store a tip and queue it; returns ``{"id", "receipt", "status"}`` (no internals)."""
    tip = validate(text, url, contact, category, max_bytes)
    now = times.now()
    platform = "other"
    if tip["url"]:
        platform = refer_config.load().platform_of_host(urls.host(tip["url"])) or "other"
    received = json.dumps({k: tip[k] for k in ("text", "url", "category")}, ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(received.encode("utf-8")).hexdigest()
    post = Post(id=f"tip-{secrets.token_hex(8)}", platform=platform, text=tip["text"] or tip["url"],
                url=tip["url"], created_at=times.iso(now), lang=lang,
                raw={"tipline": True, "category": tip["category"]}, sha256=digest, source="tipline")
    finding = _finding(post, detector)
    tip_id = conn.execute(tips.insert().values(
        received_at=now, text=tip["text"], url=tip["url"], contact=tip["contact"], category=tip["category"],
        platform=platform, size=tip["size"], sha256=digest, status="queued", post_platform=platform,
        post_id=post.id)).inserted_primary_key[0]
    writer.insert_posts(conn, [post])
    writer.upsert_findings(conn, [(post, finding)], detector="tipline")
    audit.append(conn, ACTOR, "tip.received", f"tip:{tip_id}",
                 {"post": f"{platform}/{post.id}", "sha256": digest, "size": tip["size"],
                  "has_contact": bool(tip["contact"]), "label": finding.label})
    return {"id": tip_id, "receipt": post.id, "status": "queued"}


def _finding(post: Post, detector) -> Finding:
    if detector:
        f = detector.predict([post])[0]
        if f.label in HARMS:
            return f
        return replace(f, label=LABEL)
    return Finding(id=post.id, label=LABEL, risk=UNCLASSIFIED_RISK, scores={}, lang=post.lang,
                   indicators=(), entities={}, platform=post.platform)


def list_tips(conn: Connection, *, limit: int = 50, offset: int = 0, with_contact: bool = False) -> list[dict]:
    """Tips newest first; the contact only when ``with_contact`` (reviewers)."""
    cols = [c for c in tips.c if with_contact or c.name != "contact"]
    return [dict(r._mapping) for r in conn.execute(
        select(*cols).order_by(tips.c.id.desc()).limit(limit).offset(offset))]
