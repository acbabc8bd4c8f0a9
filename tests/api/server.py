"""A real server for API and web tests: a store seeded from tests/fixtures/api/, keys and
users for every role, and uvicorn on a free loopback port in a background thread."""
from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import uvicorn

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "api"
ROLES = ("viewer", "analyst", "reviewer", "admin")
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def synthetic_image(path: Path) -> None:
    """A drawn boat on water: shapes only (tests never use real photographs)."""
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (320, 200), (90, 150, 210))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 130, 320, 200], fill=(20, 60, 140))
    d.polygon([(70, 120), (250, 120), (220, 150), (100, 150)], fill=(150, 80, 30))
    d.rectangle([155, 50, 160, 120], fill=(60, 40, 20))
    d.polygon([(162, 55), (162, 115), (215, 115)], fill=(245, 245, 235))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def fixture_copy(tmp: Path) -> Path:
    """The fixture posts with their (generated) media, in ``tmp``; returns the JSONL path."""
    shutil.copy(FIXTURE / "posts.jsonl", tmp / "posts.jsonl")
    synthetic_image(tmp / "media" / "boat.png")
    return tmp / "posts.jsonl"


@dataclass
class Site:
    url: str
    db: str
    app: object
    keys: dict[str, str] = field(default_factory=dict)       # role -> token
    users: dict[str, str] = field(default_factory=dict)      # role -> user name

    def headers(self, role: str | None) -> dict:
        return {"Authorization": f"Bearer {self.keys[role]}"} if role else {}


def seed(db: str, tmp: Path, *, detect: bool = True) -> tuple[dict, dict]:
    """Scan the fixture into ``db``; a key and a user (password PASSWORD) per role."""
    from marsad.api import auth
    from marsad.pipeline import scan
    from marsad.store.db import connect

    scan([fixture_copy(tmp)], db=db, detector=detect, quarantine=tmp / "bad.jsonl")
    keys, users = {}, {}
    with connect(db).begin() as conn:
        for role in ROLES:
            keys[role] = auth.create_key(conn, role, name=f"test {role}")[1]
            users[role] = f"{role}-user"
            auth.create_user(conn, users[role], role, PASSWORD)
    return keys, users


@contextmanager
def serve(app) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def site(db: str, tmp: Path, **app_options) -> Iterator[Site]:
    from marsad.api.app import create_app
    keys, users = seed(db, tmp)
    app = create_app(db, secret="test-secret", **app_options)
    with serve(app) as url:
        yield Site(url, db, app, keys, users)
