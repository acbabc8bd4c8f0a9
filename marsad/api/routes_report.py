"""Reports over HTTP: transparency report (HTML, PDF), trends, audit log, evidence bundles.

Included by ``marsad.api.app`` (listed in ``ROUTERS`` as ``marsad.api.routes_report``).
Roles: the transparency report and trends are counts only, so viewers may read them; the
audit log and evidence (which hold post content and who did what) need a reviewer.

    GET  /api/report?from=&to=           transparency report, HTML (viewer)
    GET  /api/report.pdf?from=&to=       the same as PDF (viewer)
    GET  /api/trends                     weekly routes, departures, prices, alerts (viewer)
    GET  /api/audit                      audit log entries, oldest first after ``after_id`` (reviewer)
    GET  /api/audit/verify               check the hash chain (reviewer)
    POST /api/evidence/export            an evidence bundle as a zip (reviewer)
    GET  /api/evidence/verify            check chain, seals and stored posts (reviewer)
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from marsad.api.auth import Principal, require
from marsad.refer import times
from marsad.report import evidence, transparency, trends
from marsad.review import audit

router = APIRouter(prefix="/api", tags=["reports"])


def _networks(request: Request, include: bool):
    if not include:
        return None
    from marsad.api.networks import all_networks
    return all_networks(request.app.state.engine, request.app.state.networks_cache)


@router.get("/report", summary="Transparency report for a period (HTML, counts only)",
            response_class=HTMLResponse, dependencies=[Depends(require("viewer"))])
def report_html(request: Request, since: str = Query(..., alias="from"), until: str = Query(..., alias="to"),
                networks: bool = True) -> HTMLResponse:
    nets = _networks(request, networks)
    with request.app.state.engine.connect() as conn:
        data = transparency.collect(conn, since, until, networks=nets)
    return HTMLResponse(transparency.render_html(data))


@router.get("/report.pdf", summary="Transparency report for a period (PDF)", dependencies=[Depends(require("viewer"))])
def report_pdf(request: Request, since: str = Query(..., alias="from"), until: str = Query(..., alias="to"),
               networks: bool = True) -> Response:
    nets = _networks(request, networks)
    with request.app.state.engine.connect() as conn:
        data = transparency.collect(conn, since, until, networks=nets)
    with tempfile.TemporaryDirectory() as tmp:
        path = transparency.render_pdf(data, Path(tmp) / "report.pdf")
        pdf = path.read_bytes()
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="transparency-{data["from"]}-{data["to"]}.pdf"'})


@router.get("/trends", summary="Weekly counts per route and departure, price per person, spike alerts",
            dependencies=[Depends(require("viewer"))])
def get_trends(request: Request, since: str | None = Query(None, alias="from"),
               until: str | None = Query(None, alias="to"), label: str | None = None,
               window: int = Query(trends.WINDOW, ge=2, le=52), threshold: float = Query(trends.THRESHOLD, gt=0),
               top: int = Query(20, ge=1, le=200)) -> dict:
    with request.app.state.engine.connect() as conn:
        return trends.weekly(conn, since=since, until=until, label=label, top=top, window=window,
                             threshold=threshold)


@router.get("/audit", summary="Audit log entries (hash-chained), oldest first",
            dependencies=[Depends(require("reviewer"))])
def get_audit(request: Request, after_id: int = Query(0, ge=0), action: str | None = None,
              subject: str | None = None, limit: int = Query(100, ge=1, le=1000)) -> dict:
    with request.app.state.engine.connect() as conn:
        items = []
        for e in audit.entries(conn, after_id=after_id, action=action, subject=subject):
            items.append(e)
            if len(items) >= limit:
                break
    return {"items": items, "next_after_id": items[-1]["id"] if len(items) == limit else None}


@router.get("/audit/verify", summary="Check the audit log's hash chain", dependencies=[Depends(require("reviewer"))])
def verify_audit(request: Request) -> dict:
    with request.app.state.engine.connect() as conn:
        return audit.verify_report(conn)


class EvidenceIn(BaseModel):
    platform: str | None = Field(None, max_length=32)
    since: str | None = Field(None, alias="from")
    until: str | None = Field(None, alias="to")
    label: str | None = Field(None, max_length=64)
    referral_id: int | None = None


@router.post("/evidence/export", summary="An evidence bundle (zip) that `marsad evidence verify` checks offline")
def export_evidence(request: Request, body: EvidenceIn | None = None,
                    who: Principal = Depends(require("reviewer"))) -> Response:
    body = body or EvidenceIn()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bundle"
        manifest = evidence.export(request.app.state.engine, out, actor=who.actor, platform=body.platform,
                                   since=times.parse(body.since, "from"), until=times.parse(body.until, "to"),
                                   label=body.label, referral_id=body.referral_id)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(out.iterdir()):
                zf.write(path, f"bundle/{path.name}")
    return Response(buf.getvalue(), media_type="application/zip", headers={
        "Content-Disposition": 'attachment; filename="evidence-bundle.zip"',
        "X-Audit-Head": manifest["audit"]["head"] or "", "X-SHA256SUMS": manifest["sha256sums"]})


@router.get("/evidence/verify", summary="Check the store: chain, seals, and stored posts against their seals",
            dependencies=[Depends(require("reviewer"))])
def verify_evidence(request: Request) -> dict:
    with request.app.state.engine.connect() as conn:
        return evidence.check_store(conn)
