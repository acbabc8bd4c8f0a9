"""Times as the referral tables keep them: aware UTC in, aware UTC out.

SQLite hands ``DateTime(timezone=True)`` columns back naive (they are stored as UTC text);
PostgreSQL hands them back aware. Everything here reads both the same way.
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

from marsad.errors import InputError


def now() -> datetime:
    return datetime.now(timezone.utc)


def utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    dt = utc(dt)
    return dt.isoformat().replace("+00:00", "Z") if dt else None


def parse(value, field: str = "time") -> datetime | None:
    """ISO-8601 text (``Z``, offset or naive = UTC), a date, or a datetime -> aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=timezone.utc)
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), tz=timezone.utc)
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except (ValueError, OverflowError) as exc:
        raise InputError(f"not an ISO-8601 time: {text!r}", field=field) from exc
    return utc(dt)
