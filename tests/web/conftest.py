"""Web tests share the API tests' seeded server (tests/api/server.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.server import site as _site

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    with _site(f"sqlite:///{tmp / 'marsad.db'}", tmp) as s:
        yield s
