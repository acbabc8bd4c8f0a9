"""A seeded store served over real HTTP: ``site`` once per module on SQLite, and
``fresh_site`` per test on every store of ``store_url`` (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from tests.api.server import site as _site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    with _site(f"sqlite:///{tmp / 'marsad.db'}", tmp) as s:
        yield s


@pytest.fixture
def fresh_site(store_url, tmp_path):
    with _site(store_url, tmp_path) as s:
        yield s
