"""Every setting once: name, type, default, help. Read from the environment (``MARSAD_*``)
or a ``.env`` file in the working directory; a test checks each is documented in README."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    cast: Callable[[str], Any] = str


SETTINGS = {s.name: s for s in [
    Setting("DATABASE_URL", "sqlite:///marsad.db", "SQLAlchemy URL of the store (SQLite file or PostgreSQL)."),
    Setting("PDQ_THRESHOLD", 31, "Default Hamming distance at or under which two PDQ hashes match.", int),
    Setting("PDQ_MIN_QUALITY", 50, "PDQ hashes of lower quality are not matched.", int),
    Setting("BATCH_SIZE", 2000, "Posts per ingest transaction; a crash loses at most one uncommitted batch.", int),
    Setting("SECRET_KEY", "", "Signs web sessions; a random one is made per process when empty."),
    Setting("TIP_MAX_BYTES", 20000, "Largest tip-line submission accepted.", int),
]}


def _dotenv() -> dict[str, str]:
    path = Path(".env")
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"')
    return out


def model_dir() -> Path:
    """Where models and tables built from shipped data are cached ($MARSAD_MODEL_DIR, default
    ~/.cache/marsad). Everything there can be deleted: it is rebuilt on first use."""
    return Path(os.environ.get("MARSAD_MODEL_DIR") or Path.home() / ".cache" / "marsad")


def cached_bytes(name: str, build: Callable[[], bytes]) -> bytes:
    """The bytes cached under ``name`` in model_dir, built (and written atomically) when
    missing; a cache that cannot be written (read-only home) only costs the rebuild."""
    path = model_dir() / name
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        pass
    return data


def get(name: str) -> Any:
    """The value of setting ``name``: ``$MARSAD_<name>``, else ``.env``, else its default."""
    setting = SETTINGS[name]
    raw = os.environ.get(f"MARSAD_{name}") or _dotenv().get(f"MARSAD_{name}")
    return setting.cast(raw) if raw not in (None, "") else setting.default
