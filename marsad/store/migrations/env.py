"""Alembic environment: runs on the connection marsad hands over (see store/migrate.py)."""
from alembic import context

from marsad.store import schema  # noqa: F401  (registers every table)
from marsad.store.metadata import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` CLI use: build an engine from the URL setting
    from sqlalchemy import create_engine

    from marsad.store.db import normalize_url
    with create_engine(normalize_url(None)).begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
