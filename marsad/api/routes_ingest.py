"""``POST /api/ingest``: posts in the request body -> the same pipeline as ``marsad scan``.

The body is canonical posts as JSON (one object, or an array) or JSONL
(``application/x-ndjson``). It is spooled to a temporary JSONL file and handed to
``marsad.pipeline.scan``, so the API stores exactly what the CLI would: idempotent on
(platform, id), detected, bad records reported with line, field and reason.
"""
from __future__ import annotations

import json
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request

from marsad.api.auth import Principal, require
from marsad.errors import InputError

router = APIRouter(prefix="/api", tags=["ingest"])
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines", "text/plain")


def body_lines(body: bytes, content_type: str) -> list[bytes]:
    """JSONL lines of a request body (a JSON array becomes one line per element)."""
    if not body.strip():
        raise InputError("empty body: send posts as JSON or JSONL", field="body")
    if any(t in content_type for t in JSONL_TYPES):
        return [line for line in body.splitlines() if line.strip()]
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"invalid JSON ({exc}); send JSONL as application/x-ndjson", field="body") from None
    items = data if isinstance(data, list) else [data]
    return [json.dumps(item, ensure_ascii=False).encode() for item in items]


def ingest_body(db: str | None, lines: list[bytes], actor: str, detect: bool = True) -> dict:
    """Store the posts in ``lines``; the pipeline's summary plus the bad records."""
    from marsad.pipeline import scan

    with tempfile.TemporaryDirectory(prefix="marsad-ingest-") as tmp:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        who = re.sub(r"[^A-Za-z0-9_.-]", "_", actor)[:40]
        path = Path(tmp) / f"api-{stamp}-{who}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        quarantine = Path(tmp) / "bad.jsonl"
        summary = scan([path], db=db, fmt="jsonl", detector=detect, quarantine=quarantine)
        bad = []
        if quarantine.exists():
            for line in quarantine.read_text(encoding="utf-8").splitlines()[:100]:
                rec = json.loads(line)
                bad.append({"line": rec["line"], "field": rec["field"], "error": rec["error"]})
    out = summary.as_dict()
    out.pop("quarantine", None)
    out["errors"] = bad
    return out


@router.post("/ingest", summary="Ingest posts (JSON or JSONL body) into the store, detecting as it goes")
async def ingest(request: Request, detect: bool = Query(True, description="run detection"),
                 who: Principal = Depends(require("analyst"))) -> dict:
    from starlette.concurrency import run_in_threadpool

    lines = body_lines(await request.body(), request.headers.get("content-type", ""))
    return await run_in_threadpool(ingest_body, request.app.state.db_url, lines, who.actor, detect)
