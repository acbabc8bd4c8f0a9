"""Load the reviewed YAML data under ``marsad/detect/gazetteer/`` once per process.

Places, countries (currency and dialect cues) and currency forms are data that analysts
review and extend; code only compiles them into lookup tables (see places.py, prices.py and
context.py for how each table is used).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

GAZETTEER_DIR = Path(__file__).resolve().parent.parent / "gazetteer"


@cache
def load(name: str) -> Any:
    """The parsed YAML file ``gazetteer/<name>.yaml``."""
    with open(GAZETTEER_DIR / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def places() -> list[dict]:
    return load("places")


def countries() -> dict[str, dict]:
    # YAML 1.1 reads a bare NO as false; the file quotes codes, this is a second guard.
    return {("NO" if k is False else str(k)): v for k, v in load("countries").items()}


def currencies() -> dict:
    return load("currencies")
