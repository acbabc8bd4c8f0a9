"""Media, hash lists and matches (issue: media hash matching). Defined on store.metadata.

No table here has a column for image bytes, thumbnails or file copies, on purpose: marsad
keeps hashes and where an item was seen, never the matched media (DESIGN.md "Hashes").
``media.sensitive`` marks items matched against a child-abuse or terrorist list so that
every view and export knows never to open the file at ``path``.
"""
from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String,
                        Table, Text, UniqueConstraint)

from marsad.store.metadata import metadata

hash_lists = Table(
    "hash_lists", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("source", String(255), nullable=False),        # who shares it: "GIFCT", "NCMEC", "own"
    Column("category", String(64), nullable=False),       # a harm label from marsad.model.HARMS, or "other"
    Column("kind", String(16), nullable=False, default="positive"),   # positive | negative
    Column("threshold", Integer, nullable=False),         # PDQ distance at or under which it matches
    Column("description", Text),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("revision", Integer, nullable=False, default=0),   # bumped on every change: index cache key
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("quarantined_at", DateTime(timezone=True)),    # flood guard: matches held, not acted on
    Column("quarantine_reason", Text),
)

list_hashes = Table(
    "list_hashes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_id", Integer, ForeignKey("hash_lists.id", ondelete="CASCADE"), nullable=False),
    Column("signal_type", String(16), nullable=False),    # pdq | md5 | sha256
    Column("value", String(64), nullable=False),          # lowercase hex
    Column("tags", JSON),
    Column("external_id", String(255)),                   # ThreatExchange indicator id, HMA content id
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("quarantined_at", DateTime(timezone=True)),
    Column("quarantine_reason", Text),
    UniqueConstraint("list_id", "signal_type", "value"),
    Index("ix_list_hashes_value", "signal_type", "value"),
)

media = Table(
    "media", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("post_id", String(255), nullable=False),
    Column("media_index", Integer, nullable=False),       # position in the post's "media" list
    Column("path", Text),                                 # as given in the post (never a copy)
    Column("url", Text),
    Column("sha256", String(64), index=True),
    Column("md5", String(32)),
    Column("pdq", String(64), index=True),
    Column("quality", Integer),
    Column("width", Integer),
    Column("height", Integer),
    Column("error", Text),                                # why it could not be hashed
    Column("sensitive", Boolean, nullable=False, default=False),
    Column("hashed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform", "post_id", "media_index"),
)

media_matches = Table(
    "media_matches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("media_id", Integer, ForeignKey("media.id", ondelete="CASCADE"), nullable=False),
    Column("list_id", Integer, ForeignKey("hash_lists.id", ondelete="CASCADE"), nullable=False),
    Column("list_hash_id", Integer, ForeignKey("list_hashes.id", ondelete="SET NULL")),
    Column("signal_type", String(16), nullable=False),
    Column("value", String(64), nullable=False),          # the list's hash that matched
    Column("distance", Integer, nullable=False),
    Column("status", String(16), nullable=False),         # match | suppressed | quarantined
    Column("reason", Text),                               # why suppressed or quarantined
    Column("platform", String(32), nullable=False),       # where it was seen
    Column("post_id", String(255), nullable=False),
    Column("source", Text),                               # input file the post came from
    Column("matched_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("media_id", "list_id", "signal_type", "value"),
    Index("ix_media_matches_hash_time", "list_hash_id", "matched_at"),
    Index("ix_media_matches_list_time", "list_id", "matched_at"),
    Index("ix_media_matches_post", "platform", "post_id"),
)
