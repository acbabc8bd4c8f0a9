"""A throwaway PostgreSQL server on loopback for the test run (Debian's postgresql).

Started once per test session by ``conftest.py``: initdb into a temp folder, pg_ctl on a
private port and socket dir, stopped and deleted at the end. As root, the server runs as
the ``postgres`` user (initdb refuses root).
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile


def _bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        self.bindir = _bindir()
        if not self.bindir:
            raise RuntimeError("PostgreSQL is not installed: run `make system-deps` (Debian: apt-get install postgresql)")
        self.dir = tempfile.mkdtemp(prefix="marsad-pg-")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, cmd: str) -> None:
        if self.as_root:
            subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", cmd], check=True,
                           stdout=subprocess.DEVNULL)
        else:
            subprocess.run(["/bin/sh", "-c", cmd], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.dir, "postgres")
        d = self.dir
        self._run(f"{self.bindir}/initdb -D {d}/data -A trust -U marsad -E UTF8 --locale=C.UTF-8")
        opts = (f"-p {self.port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off")
        self._run(f"{self.bindir}/pg_ctl -D {d}/data -l {d}/pg.log -w -o '{opts}' start")
        return f"postgresql+psycopg://marsad@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run(f"{self.bindir}/pg_ctl -D {self.dir}/data -m fast -w stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
