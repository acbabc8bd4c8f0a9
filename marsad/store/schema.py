"""Core tables: posts, accounts, findings, identifiers.

Identifiers are first-class rows (not strings inside JSON) so that networks, "follow the
money" and trend queries are joins. Posts are keyed by (platform, id): ingest inserts with
ON CONFLICT DO NOTHING, which is what makes re-runs and crash recovery exact.

Stage tables live beside this module (``tables_media``, ``tables_review``) on the same
``metadata``; importing this module imports them all.
"""
from sqlalchemy import (JSON, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table,
                        Text, UniqueConstraint)

from marsad.store.metadata import metadata

posts = Table(
    "posts", metadata,
    Column("platform", String(32), primary_key=True),
    Column("id", String(255), primary_key=True),
    Column("author_id", String(255), index=True),
    Column("author_handle", String(255)),
    Column("created_at", DateTime(timezone=True), index=True),
    Column("lang", String(16)),
    Column("text", Text, nullable=False),
    Column("url", Text),
    Column("conversation_id", String(255)),
    Column("reply_to", String(255)),
    Column("media", JSON),
    Column("messages", JSON),
    Column("raw", JSON),
    Column("sha256", String(64), nullable=False),   # of the record's bytes as captured
    Column("source", Text),                          # file the record came from
    Column("line", Integer),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("platform", String(32), primary_key=True),
    Column("author_id", String(255), primary_key=True),
    Column("handle", String(255)),
    Column("category", String(255)),   # declared page category ("travel agency" ...)
    Column("first_seen", DateTime(timezone=True)),
    Column("last_seen", DateTime(timezone=True)),
    Column("risk", Float),
)

findings = Table(
    "findings", metadata,
    Column("platform", String(32), primary_key=True),
    Column("post_id", String(255), primary_key=True),
    Column("label", String(64), nullable=False, index=True),
    Column("risk", Float, nullable=False, index=True),
    Column("scores", JSON, nullable=False),
    Column("indicators", JSON, nullable=False),
    Column("entities", JSON, nullable=False),
    Column("lang", String(16)),
    Column("route_from", String(255)),     # for trends: departure and destination places
    Column("route_to", String(255)),
    Column("price_amount", Float),         # per person, as the post states
    Column("price_currency", String(8)),
    Column("created_at", DateTime(timezone=True), index=True),   # the post's time, for trends
    Column("detector", String(64), nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),
)

identifiers = Table(
    "identifiers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),     # phone | handle | wallet | url | pdq | text
    Column("value", String(512), nullable=False),
    UniqueConstraint("kind", "value"),
)

post_identifiers = Table(
    "post_identifiers", metadata,
    Column("platform", String(32), primary_key=True),
    Column("post_id", String(255), primary_key=True),
    Column("identifier_id", Integer, ForeignKey("identifiers.id"), primary_key=True),
    Index("ix_post_identifiers_identifier", "identifier_id"),
)

ingest_runs = Table(
    "ingest_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("paths", JSON, nullable=False),
    Column("counts", JSON),
    Column("quarantine", Text),
)

# Stage tables register themselves on ``metadata`` when imported.
from marsad.store import tables_media, tables_review  # noqa: E402,F401
