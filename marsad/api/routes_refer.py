"""Referrals over HTTP (``marsad.refer``): items, packages, outcomes, checks, NCMEC export.

Included by ``marsad.api.app`` (listed in ``ROUTERS`` as ``marsad.api.routes_refer``).
Roles: viewers read packages and figures; analysts add items, build and send packages and
record outcomes; reviewers export CyberTipline reports (child exploitation); admins run the
link checker on demand (it makes outbound requests). Every change is audit-logged by the
library call it makes.

    POST /api/referrals                  refer confirmed posts -> packages per platform (analyst)
    POST /api/referrals/items            refer URLs by hand, de-duplicated (analyst)
    GET  /api/referrals                  packages (viewer)
    GET  /api/referrals/items            items with outcome and last check (analyst)
    GET  /api/referrals/stats            removal rate, median hours (viewer)
    GET  /api/referrals/{id}             the package document (analyst)
    GET  /api/referrals/{id}.csv         the package as CSV (analyst)
    POST /api/referrals/{id}/sent        it went to the platform (analyst)
    POST /api/referrals/items/{id}/outcome   the platform's answer (analyst)
    POST /api/referrals/outcomes/import  a platform's response file, CSV or JSON body (analyst)
    POST /api/referrals/ncmec            CyberTipline XML reports as a zip (reviewer)
    POST /api/referrals/check            visit due URLs now (admin)
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from marsad.api.auth import Principal, require
from marsad.errors import Conflict, InputError, NotFound
from marsad.model import HARMS
from marsad.refer import config as refer_config
from marsad.refer import ncmec, packages, times, tracking
from marsad.store.schema import posts
from marsad.store.tables_review import referral_items

router = APIRouter(prefix="/api/referrals", tags=["referrals"])
Harm = Literal[HARMS]  # type: ignore[valid-type]
MAX_ITEMS = 500


class PostRef(BaseModel):
    platform: str = Field(max_length=32)
    post_id: str = Field(max_length=255)


class ReferIn(BaseModel):
    """Refer confirmed posts: the given ones, or every confirmed post not yet referred."""

    posts: list[PostRef] | None = Field(None, max_length=MAX_ITEMS)
    platform: str | None = Field(None, description="only this platform's posts")
    unit: str | None = Field(None, max_length=255, description="the unit asking (two units are still one referral)")


class ItemIn(BaseModel):
    url: str = Field(max_length=4096)
    category: Harm
    platform: str | None = Field(None, max_length=32, description="default: from the URL's host")
    note: str | None = Field(None, max_length=2000)


class ItemsIn(BaseModel):
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    unit: str | None = Field(None, max_length=255)


class SentIn(BaseModel):
    at: str | None = Field(None, description="ISO-8601; default now")


class OutcomeIn(BaseModel):
    outcome: str = Field(description="removed, restricted, declined or no_answer (platform wording is understood)")
    at: str | None = Field(None, description="when the platform acted, ISO-8601")
    external_ref: str | None = Field(None, max_length=255)
    note: str | None = Field(None, max_length=2000)


class ReporterIn(BaseModel):
    email: str = Field(max_length=320)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company_template: str | None = Field(None, max_length=4000)
    terms_of_service: str | None = Field(None, max_length=4000)
    legal_url: str | None = Field(None, max_length=2048)


class NcmecIn(BaseModel):
    reporter: ReporterIn
    referral_id: int | None = None
    item_ids: list[int] | None = Field(None, max_length=MAX_ITEMS)
    incident_type: str = ncmec.DEFAULT_INCIDENT_TYPE
    annotations: list[str] = Field(default_factory=list)
    escalate: str | None = Field(None, max_length=2000)
    include_text: bool = True


class CheckIn(BaseModel):
    limit: int = Field(50, ge=1, le=500)
    force: bool = False


def _engine(request: Request):
    return request.app.state.engine


def _refer_posts(conn, refs: list[PostRef], who: Principal, unit: str | None) -> dict:
    """Items for the given stored posts; each must carry a reviewer's harm confirmation."""
    from marsad.review.decisions import history
    cfg = refer_config.load()
    added, again = [], []
    for ref in refs:
        row = conn.execute(select(posts).where(posts.c.platform == ref.platform, posts.c.id == ref.post_id)).first()
        if row is None:
            raise NotFound(f"no post {ref.platform}/{ref.post_id}")
        decided = history(conn, ref.platform, ref.post_id)
        if not decided or decided[-1]["decision"] != "harm":
            raise Conflict(f"post {ref.platform}/{ref.post_id} is not confirmed as a harm: decide it first")
        url = row.url or cfg.permalink(row.platform, {"post_id": row.id, "author_id": row.author_id,
                                                      "author_handle": row.author_handle})
        if not url:
            raise InputError(f"post {ref.platform}/{ref.post_id} has no URL and {ref.platform} has no permalink "
                             "template", field="posts")
        item, created = packages.add_item(conn, url=url, category=decided[-1]["label"], actor=who.actor, unit=unit,
                                          source="decision", platform=row.platform, post=(row.platform, row.id),
                                          evidence_sha256=row.sha256)
        (added if created else again).append(item["id"])
    return {"added": added, "already_referred": again, "skipped": []}


@router.post("", status_code=201, summary="Refer confirmed posts: one package per platform")
def refer(request: Request, body: ReferIn, who: Principal = Depends(require("analyst"))) -> dict:
    with _engine(request).begin() as conn:
        if body.posts:
            result = _refer_posts(conn, body.posts, who, body.unit)
        else:
            result = packages.refer_confirmed(conn, actor=who.actor, unit=body.unit, platform=body.platform)
        built = packages.build_packages(conn, actor=who.actor, unit=body.unit, platform=body.platform)
    return result | {"packages": built}


@router.post("/items", status_code=201, summary="Refer URLs (the same URL twice is one item)")
def add_items(request: Request, body: ItemsIn, who: Principal = Depends(require("analyst"))) -> dict:
    out = []
    with _engine(request).begin() as conn:
        for it in body.items:
            item, created = packages.add_item(conn, url=it.url, category=it.category, actor=who.actor,
                                              unit=body.unit, platform=it.platform, note=it.note)
            out.append(_item_out(item) | {"created": created})
    return {"items": out}


def _item_out(item: dict) -> dict:
    return {k: (times.iso(v) if k.endswith("_at") else v) for k, v in item.items()}


@router.get("", summary="Referral packages, newest first", dependencies=[Depends(require("viewer"))])
def list_packages(request: Request, platform: str | None = None, status: Literal["draft", "sent"] | None = None,
                  limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict:
    with _engine(request).connect() as conn:
        return {"items": packages.list_packages(conn, platform=platform, status=status, limit=limit, offset=offset),
                "limit": limit, "offset": offset}


@router.get("/items", summary="Referred items with their outcome and last check",
            dependencies=[Depends(require("analyst"))])
def list_items(request: Request, platform: str | None = None, referral_id: int | None = None,
               outcome: str | None = None, limit: int = Query(50, ge=1, le=500),
               offset: int = Query(0, ge=0)) -> dict:
    from marsad.api.queries import page
    query = select(referral_items)
    if platform:
        query = query.where(referral_items.c.platform == platform)
    if referral_id is not None:
        query = query.where(referral_items.c.referral_id == referral_id)
    if outcome == "pending":
        query = query.where(referral_items.c.outcome.is_(None))
    elif outcome:
        query = query.where(referral_items.c.outcome == tracking.outcome_word(outcome))
    with _engine(request).connect() as conn:
        return page(conn, query, (referral_items.c.id.desc(),), limit, offset, shape=_item_out)


@router.get("/stats", summary="Removal rate and median hours to removal per platform and category",
            dependencies=[Depends(require("viewer"))])
def stats(request: Request, since: str | None = Query(None, alias="from"), until: str | None = Query(None, alias="to"),
          platform: str | None = None, category: Harm | None = None) -> dict:
    with _engine(request).connect() as conn:
        return tracking.stats(conn, since=since, until=until, platform=platform, category=category)


@router.get("/{referral_id:int}", summary="A package as sent (JSON)", dependencies=[Depends(require("analyst"))])
def get_package(request: Request, referral_id: int) -> dict:
    with _engine(request).connect() as conn:
        return packages.package_doc(conn, referral_id)


@router.get("/{referral_id:int}.csv", summary="A package as CSV (formula-safe)",
            dependencies=[Depends(require("analyst"))])
def get_package_csv(request: Request, referral_id: int) -> Response:
    with _engine(request).connect() as conn:
        doc = packages.package_doc(conn, referral_id)
    name = f"referral-{referral_id}-{doc['referral']['platform']}.csv"
    return Response("\ufeff" + packages.to_csv(doc), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/{referral_id:int}/sent", summary="Record that the package went to the platform")
def sent(request: Request, referral_id: int, body: SentIn | None = None,
         who: Principal = Depends(require("analyst"))) -> dict:
    with _engine(request).begin() as conn:
        return packages.mark_sent(conn, referral_id, actor=who.actor, at=body.at if body else None)


@router.post("/items/{item_id:int}/outcome", status_code=201, summary="Record the platform's outcome for an item")
def outcome(request: Request, item_id: int, body: OutcomeIn, who: Principal = Depends(require("analyst"))) -> dict:
    with _engine(request).begin() as conn:
        row = tracking.record_outcome(conn, item_id, body.outcome, actor=who.actor, decided_at=body.at,
                                      external_ref=body.external_ref, note=body.note)
    return _item_out(row)


@router.post("/outcomes/import", summary="Import a platform's response file (CSV or JSON as the request body)",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {}}}}})
async def import_outcomes(request: Request, name: str = Query("response.csv", max_length=255),
                          platform: str | None = None, who: Principal = Depends(require("analyst"))) -> dict:
    from starlette.concurrency import run_in_threadpool
    data = await request.body()
    if not data.strip():
        raise InputError("empty file", field="body")
    if "json" in request.headers.get("content-type", "") and not name.endswith(".json"):
        name = Path(name).stem + ".json"

    def run() -> dict:
        with _engine(request).begin() as conn:
            return tracking.import_responses(conn, data, name=name, actor=who.actor, platform=platform)
    return await run_in_threadpool(run)


@router.post("/ncmec", summary="CyberTipline report XML for child-exploitation items (zip)")
def ncmec_export(request: Request, body: NcmecIn, who: Principal = Depends(require("reviewer"))) -> Response:
    reporter = ncmec.Reporter(**body.reporter.model_dump())
    with tempfile.TemporaryDirectory() as tmp, _engine(request).begin() as conn:
        result = ncmec.export(conn, tmp, reporter, actor=who.actor, referral_id=body.referral_id,
                              item_ids=body.item_ids, incident_type=body.incident_type,
                              annotations=body.annotations, escalate=body.escalate, include_text=body.include_text)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(Path(tmp).iterdir()):
                zf.write(path, path.name)
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="cybertip-reports.zip"',
                             "X-Reports": str(len(result["reports"]))})


@router.post("/check", summary="Visit due referred URLs now (outbound HTTP to platform hosts only)")
def check(request: Request, body: CheckIn | None = None, who: Principal = Depends(require("admin"))) -> dict:
    from marsad.refer import checker
    body = body or CheckIn()
    client = getattr(request.app.state, "checker_client", None)
    if client is not None:
        return checker.run_checks(_engine(request), client, limit=body.limit, force=body.force)
    with checker.default_client() as client:
        return checker.run_checks(_engine(request), client, limit=body.limit, force=body.force)
