"""A small fictional store for the referral, report and evidence tests: posts, findings
and reviewer decisions written through marsad's own writer and decision calls.

Every name, number and handle here is invented; phone numbers use reserved fictional
ranges. Identifiers are listed in IDENTIFIERS so tests can check none leaks into reports.
"""
from __future__ import annotations

import hashlib
import json

from marsad.model import Finding, Indicator, Post
from marsad.review import decisions
from marsad.store import writer
from marsad.store.db import connect
from marsad.store.metadata import metadata

# (platform, id, author, handle, created_at, lang, label, text, url, entities, route, price)
POSTS = [
    ("facebook", "fb-1", "acc-1", "@sea_trips_demo", "2026-01-05T10:00:00Z", "ar", "migrant_smuggling",
     "رحلة مضمونة من زوارة الى لامبيدوزا ٣٠٠٠ يورو للشخص واتساب +218 91 000 0101",
     "https://www.facebook.com/groups/100/posts/1", {"phones": ["+218910000101"]},
     {"from": "زوارة", "to": "لامبيدوزا"}, {"amount": 3000, "currency": "EUR"}),
    ("facebook", "fb-2", "acc-1", "@sea_trips_demo", "2026-01-06T10:00:00Z", "ar", "migrant_smuggling",
     "آخر رحلة هذا الشهر من زوارة، الأماكن محدودة، ٢٨٠٠ يورو +218 91 000 0101",
     "https://m.facebook.com/groups/100/posts/2?fbclid=demo", {"phones": ["+218910000101"]},
     {"from": "زوارة", "to": "لامبيدوزا"}, {"amount": 2800, "currency": "EUR"}),
    ("x", "x-1", "acc-2", "@papers_demo", "2026-01-07T09:00:00Z", "en", "document_fraud",
     "=HYPERLINK(\"http://evil.example\") original passports, real database, DM @papers_demo",
     "https://twitter.com/papers_demo/status/555", {"handles": ["@papers_demo"]}, None, None),
    ("tiktok", "tt-1", "acc-3", "@jobs_demo", "2026-01-08T09:00:00Z", "en", "human_trafficking",
     "Hostess jobs abroad, free ticket, pay later from salary. Contact +44 7700 900123",
     None, {"phones": ["+447700900123"]}, None, None),
    ("instagram", "ig-1", "acc-4", "@friendly_demo", "2026-01-09T09:00:00Z", "en", "child_exploitation",
     "how old are you? do your parents check your phone? add me on the other app, gift cards for you",
     "https://www.instagram.com/p/DEMO1/", {"handles": ["@friendly_demo"]}, None, None),
    ("telegram", "tg-1", "acc-5", "@news_demo", "2026-01-09T12:00:00Z", "ar", "benign",
     "خبر: إنقاذ ٤٠ مهاجرا قبالة السواحل", "https://t.me/news_demo/7", {}, None, None),
]
IDENTIFIERS = ["+218910000101", "218 91 000 0101", "@sea_trips_demo", "sea_trips_demo", "@papers_demo",
               "papers_demo", "+447700900123", "7700 900123", "@friendly_demo", "friendly_demo", "acc-1",
               "acc-2", "acc-3", "acc-4"]


def store(url: str, confirm: bool = True) -> str:
    """Write POSTS (and, with ``confirm``, a reviewer's harm decision on every harm post)."""
    engine = connect(url)
    metadata.create_all(engine)
    batch = []
    for plat, pid, author, handle, created, lang, label, text, link, ents, route, price in POSTS:
        raw = json.dumps({"id": pid, "platform": plat, "text": text}, ensure_ascii=False).encode()
        post = Post(id=pid, platform=plat, text=text, author_id=author, author_handle=handle,
                    created_at=created, lang=lang, url=link, sha256=hashlib.sha256(raw).hexdigest(),
                    source="seed.jsonl", line=len(batch) + 1)
        entities = {"phones": [], "handles": [], "wallets": [], "prices": [price] if price else [],
                    "places": list(route.values()) if route else [], "urls": []} | ents
        harm = label != "benign"
        finding = Finding(id=pid, label=label, risk=0.9 if harm else 0.1,
                          scores={label: 0.9 if harm else 0.9}, lang=lang,
                          indicators=(Indicator(label, text[:5], 0, 5),) if harm else (),
                          entities=entities, platform=plat, routes=(route,) if route else ())
        batch.append((post, finding))
    with engine.begin() as conn:
        writer.insert_posts(conn, [p for p, _ in batch])
        writer.upsert_accounts(conn, [p for p, _ in batch])
        writer.upsert_findings(conn, batch, "seed")
        if confirm:
            for post, finding in batch:
                if finding.label != "benign":
                    decisions.decide(conn, post.platform, post.id, "harm", "matches the policy",
                                     actor="user:rev", role="reviewer", label=finding.label)
    return url
