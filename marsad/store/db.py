"""Open the store: one SQLAlchemy engine for SQLite (default) or PostgreSQL.

The schema is brought up to date with Alembic on open (``upgrade head``), so a user never
runs a migration by hand and an old file is upgraded in place.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from marsad import settings
from marsad.errors import ConfigError


def normalize_url(url: str | None) -> str:
    """Accept ``postgresql://`` (use psycopg 3), bare paths (SQLite files) and full URLs."""
    url = url or settings.get("DATABASE_URL")
    if "://" not in url:
        url = "sqlite:///" + str(Path(url).expanduser())
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers (web UI) never block the ingest writer; NORMAL sync is crash-safe in WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


@lru_cache(maxsize=16)
def connect(url: str | None = None) -> Engine:
    """An engine on ``url`` with the schema migrated to the newest revision."""
    url = normalize_url(url)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # bad URL, missing driver
        raise ConfigError(f"cannot open store {url!r}: {exc}") from exc
    from marsad.store.migrate import upgrade
    upgrade(engine)
    return engine
