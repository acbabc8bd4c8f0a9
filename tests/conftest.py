"""Shared fixtures. ``store_url`` runs a test against SQLite and a real PostgreSQL server."""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
_pg = None
_n = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _model_cache(tmp_path_factory):
    """One trained text model per test session, not in the user's cache."""
    os.environ.setdefault("MARSAD_MODEL_DIR", str(tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="session")
def pg_server():
    global _pg
    from tests.pgserver import PgServer
    _pg = PgServer()
    url = _pg.start()
    yield url
    _pg.stop()


def _fresh_pg_db(base_url: str) -> str:
    from sqlalchemy import create_engine, text
    name = f"t{os.getpid()}_{next(_n)}"
    eng = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A fresh, empty store: an SQLite file, or a new database on the throwaway server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'marsad.db'}"
    return _fresh_pg_db(request.getfixturevalue("pg_server"))
