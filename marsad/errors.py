"""The one exception tree. Each class carries the CLI exit code and the HTTP status, so the
CLI (``cli/__init__.py``) and the API (``api/app.py``) each translate errors in one place.

    MarsadError                 exit 1, HTTP 500
    ├── InputError              exit 2, HTTP 422   bad input: names file, line and field
    ├── ConfigError             exit 3, HTTP 500   a setting is missing or wrong
    ├── NotFound                exit 4, HTTP 404
    ├── Forbidden               exit 5, HTTP 403   the role may not do this
    └── Conflict                exit 6, HTTP 409
"""
from __future__ import annotations


class MarsadError(Exception):
    exit_code = 1
    http_status = 500


class InputError(MarsadError, ValueError):
    """Bad input. ``str()`` reads ``file:line: field: reason`` so a user can fix it."""

    exit_code = 2
    http_status = 422

    def __init__(self, reason: str, *, source: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.reason, self.source, self.line, self.field = reason, source, line, field
        super().__init__(self.describe())

    def describe(self) -> str:
        where = ":".join(str(p) for p in (self.source, self.line) if p is not None)
        parts = [p for p in (where, self.field and f"field {self.field!r}", self.reason) if p]
        return ": ".join(parts)

    def as_dict(self) -> dict:
        return {"file": self.source, "line": self.line, "field": self.field, "error": self.reason}


class ConfigError(MarsadError):
    exit_code = 3


class NotFound(MarsadError, LookupError):
    exit_code = 4
    http_status = 404


class Forbidden(MarsadError):
    exit_code = 5
    http_status = 403


class Conflict(MarsadError):
    exit_code = 6
    http_status = 409
