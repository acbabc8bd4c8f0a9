"""Where the ingest fixtures are, and small ways to look at what a source yields."""
from pathlib import Path

from marsad.model import BadRecord, RawRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"


def split(records) -> tuple[list[RawRecord], list[BadRecord]]:
    good, bad = [], []
    for rec in records:
        (bad if isinstance(rec, BadRecord) else good).append(rec)
    return good, bad


def by_id(records: list[RawRecord]) -> dict[str, dict]:
    return {r.data["id"]: r.data for r in records}
