"""Where a ``Corpus`` comes from: the store, or posts classified in memory.

Store: one streaming query of posts joined to their findings and identifier rows, ordered by
the posts' key so the rows of one post arrive together (no per-post lookups, no table held
in memory), plus the image near-duplicates ``detect.media`` finds among stored hashes.

Memory: posts are read and classified in batches and only their aggregates are kept
(``corpus.Account``), so a JSONL file of any size links in bounded memory apart from the
sightings themselves.
"""
from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import and_, select

from marsad.errors import InputError
from marsad.link.corpus import Corpus
from marsad.link.rules import LinkRules, store_identifier
from marsad.model import Finding, Post


def corpus_from_store(engine, rules: LinkRules | None = None, *, media: bool = True,
                      batch: int = 5000) -> Corpus:
    """Everything linking needs from the store at ``engine``."""
    from marsad.store.schema import accounts, findings, identifiers, post_identifiers, posts

    corpus = Corpus(rules)
    with engine.connect() as conn:
        for row in conn.execute(select(accounts.c.platform, accounts.c.author_id, accounts.c.handle,
                                       accounts.c.category)):
            corpus.account(row.platform, row.author_id, row.handle, row.category)
        q = (select(posts.c.platform, posts.c.id, posts.c.author_id, posts.c.author_handle, posts.c.created_at,
                    posts.c.text, posts.c.raw, findings.c.label, findings.c.risk, findings.c.entities,
                    findings.c.route_from, findings.c.route_to, identifiers.c.kind, identifiers.c.value)
             .select_from(posts)
             .outerjoin(findings, and_(findings.c.platform == posts.c.platform, findings.c.post_id == posts.c.id))
             .outerjoin(post_identifiers, and_(post_identifiers.c.platform == posts.c.platform,
                                               post_identifiers.c.post_id == posts.c.id))
             .outerjoin(identifiers, identifiers.c.id == post_identifiers.c.identifier_id)
             .where(posts.c.author_id.is_not(None))
             .order_by(posts.c.platform, posts.c.id))
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(q)
        for _, rows in groupby(result, key=lambda r: (r.platform, r.id)):
            rows = list(rows)
            r = rows[0]
            idents = [i for i in (store_identifier(x.kind, x.value, corpus.rules) for x in rows if x.kind) if i]
            route = [{"from": r.route_from, "to": r.route_to}] if (r.route_from or r.route_to) else []
            raw = r.raw or {}
            corpus.add_post(r.platform, r.id, r.author_id, handle=r.author_handle,
                            category=raw.get("page_category") or raw.get("author_category"),
                            created_at=r.created_at, label=r.label, risk=r.risk, entities=r.entities or {},
                            routes=route, text=r.text or "", identifiers=idents)
    if media:
        from marsad.detect.media import corpus_near_duplicates
        corpus.add_pdq_pairs(corpus_near_duplicates(engine))
    return corpus.finish()


def add_classified(corpus: Corpus, post: Post, finding: Finding | None) -> None:
    """One post and its finding (None: stored without detection)."""
    raw = post.raw or {}
    corpus.add_post(post.platform, post.id, post.author_id, handle=post.author_handle,
                    category=raw.get("page_category") or raw.get("author_category"),
                    created_at=post.created_at, label=finding.label if finding else None,
                    risk=finding.risk if finding else None, entities=finding.entities if finding else {},
                    routes=finding.routes if finding else (), text=post.text, media=tuple(_media(post)))


def _media(post: Post) -> Iterable[tuple[str, int | None]]:
    """(pdq, quality) of the post's media: given hashes, or files hashed on the spot."""
    from marsad.detect.media import hash_file
    base = Path(post.source).parent if post.source else Path.cwd()
    for item in post.media:
        if not isinstance(item, dict):
            continue
        if item.get("pdq"):
            q = item.get("quality")
            yield str(item["pdq"]), int(q) if isinstance(q, (int, float)) else None
        elif item.get("path"):
            path = Path(item["path"])
            try:
                h = hash_file(path if path.is_absolute() else base / path)
            except InputError:
                continue
            if h.pdq:
                yield h.pdq, h.quality


def corpus_from_posts(posts: Iterable[Post], rules: LinkRules | None = None, detector=None,
                      batch: int = 1000) -> Corpus:
    """Classify ``posts`` in batches (default text engine) and gather them."""
    from marsad.pipeline import batched
    if detector is None:
        from marsad.detect.engine import TextEngine
        detector = TextEngine.load()
    corpus = Corpus(rules)
    for chunk in batched(posts, batch):
        for post, finding in zip(chunk, detector.predict(chunk)):
            add_classified(corpus, post, finding)
    return corpus.finish()


def corpus_from_files(paths: Sequence[str | Path], rules: LinkRules | None = None, detector=None,
                      fmt: str = "auto", on_bad=None) -> Corpus:
    """Read exports (any format ``marsad scan`` reads), classify in memory, gather."""
    from marsad.ingest import read
    from marsad.pipeline import posts_from
    return corpus_from_posts(posts_from(read(paths, fmt), on_bad or (lambda bad: None)), rules, detector)
