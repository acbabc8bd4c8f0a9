"""The Alembic revisions and the SQLAlchemy models describe the same schema, on both stores."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from marsad.store import schema  # noqa: F401  (registers every table)
from marsad.store.db import connect
from marsad.store.metadata import metadata
from marsad.store.migrate import alembic_config


def test_upgraded_database_matches_the_models(store_url):
    engine = connect(store_url)          # runs the migrations to head
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == [], diff
        assert MigrationContext.configure(conn).get_current_revision() is not None
        assert set(metadata.tables) <= set(inspect(conn).get_table_names())


def test_downgrade_to_base_removes_every_table(store_url):
    from alembic import command
    engine = connect(store_url)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with engine.connect() as conn:
        left = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert left == set()
