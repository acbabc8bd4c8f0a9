"""Plugin registry: built-in sources and detectors load through the same path as a third
party's (entry-point group ``marsad.plugins``; each entry point names a module that, when
imported, registers its classes by subclassing the stage's base class)."""
from __future__ import annotations

import importlib
from functools import lru_cache
from importlib.metadata import entry_points

BUILTINS = (
    "marsad.ingest.jsonl",
    "marsad.ingest.csv",
    "marsad.ingest.telegram",
    "marsad.ingest.x",
    "marsad.ingest.meta",
    "marsad.ingest.tiktok",
    "marsad.ingest.youtube",
    "marsad.ingest.whatsapp",
)


@lru_cache(maxsize=1)
def load_plugins() -> tuple[str, ...]:
    loaded = []
    for name in BUILTINS:
        importlib.import_module(name)
        loaded.append(name)
    for ep in entry_points(group="marsad.plugins"):
        ep.load()
        loaded.append(ep.value)
    return tuple(loaded)
