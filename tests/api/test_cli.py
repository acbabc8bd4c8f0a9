"""`marsad users`, `marsad keys` and `marsad serve` from the command line."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from marsad.cli import main
from tests.api.server import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_users_and_keys(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MARSAD_PASSWORD", "a fine passphrase")
    assert main(["users", "add", "layla", "--role", "reviewer", "--db", db]) == 0
    assert main(["users", "add", "layla", "--role", "viewer", "--db", db]) == 6          # Conflict
    assert main(["keys", "create", "--role", "analyst", "--name", "importer", "--db", db]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("mk_")
    assert main(["keys", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert '"role": "analyst"' in listed and token not in listed
    assert main(["keys", "revoke", "1", "--db", db]) == 0
    assert main(["keys", "revoke", "1", "--db", db]) == 4                               # NotFound
    assert main(["users", "list", "--db", db]) == 0
    assert '"name": "layla"' in capsys.readouterr().out


def test_serve_starts_on_loopback(tmp_path):
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    port = free_port()
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "marsad", "serve", "--db", db, "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert r.json()["ok"] is True
        assert httpx.get(f"http://127.0.0.1:{port}/api/findings").status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)
