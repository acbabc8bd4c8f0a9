"""The review queue and decisions over HTTP (``marsad.review.queue`` / ``.decisions``)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from marsad.api.auth import Principal, require
from marsad.review import decisions, queue
from marsad.store.tables_review import decisions as decisions_table

router = APIRouter(prefix="/api", tags=["review"])


class DecisionIn(BaseModel):
    platform: str
    post_id: str
    decision: Literal["harm", "benign", "escalate"]
    reason: str = Field(min_length=1, max_length=decisions.MAX_REASON)
    label: str | None = Field(None, description="the harm confirmed (decision=harm); default: the finding's")


@router.get("/queue", summary="Open items, riskiest first", dependencies=[Depends(require("analyst"))])
def get_queue(request: Request, status: Literal["new", "escalated"] | None = None,
              label: str | None = None, platform: str | None = None,
              min_risk: float = Query(0.5, ge=0, le=1), limit: int = Query(50, ge=1, le=500),
              offset: int = Query(0, ge=0)) -> dict:
    with request.app.state.engine.connect() as conn:
        items = queue.items(conn, limit=limit, offset=offset, min_risk=min_risk, status=status,
                            label=label, platform=platform)
        total = queue.count(conn, min_risk=min_risk, status=status, label=label, platform=platform)
    return {"items": items, "total": total, "limit": limit, "offset": offset,
            "next": offset + limit if offset + limit < total else None}


@router.post("/decisions", status_code=201, summary="Decide a queue item: harm, benign or escalate, with a reason")
def post_decision(request: Request, body: DecisionIn, who: Principal = Depends(require("analyst"))) -> dict:
    with request.app.state.engine.begin() as conn:
        return decisions.decide(conn, body.platform, body.post_id, body.decision, body.reason,
                                actor=who.actor, role=who.role, label=body.label)


@router.get("/decisions", summary="Decisions, newest first", dependencies=[Depends(require("reviewer"))])
def list_decisions(request: Request, platform: str | None = None, post_id: str | None = None,
                   actor: str | None = None, limit: int = Query(50, ge=1, le=500),
                   offset: int = Query(0, ge=0)) -> dict:
    from sqlalchemy import select

    from marsad.api.queries import page
    query = select(decisions_table)
    for col, value in (("platform", platform), ("post_id", post_id), ("actor", actor)):
        if value:
            query = query.where(decisions_table.c[col] == value)
    with request.app.state.engine.connect() as conn:
        return page(conn, query, (decisions_table.c.id.desc(),), limit, offset)
