"""Findings, posts and accounts: filtered, paged reads of the store (viewer and up)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request

from marsad.api import queries
from marsad.api.auth import require

router = APIRouter(prefix="/api", tags=["findings"], dependencies=[Depends(require("viewer"))])
Limit = Query(50, ge=1, le=queries.MAX_LIMIT)
Offset = Query(0, ge=0)


def _read(request: Request, fn, *args, **kwargs):
    with request.app.state.engine.connect() as conn:
        return fn(conn, *args, **kwargs)


@router.get("/findings", summary="Findings, riskiest first")
def list_findings(request: Request, label: str | None = None, platform: str | None = None,
                  lang: str | None = None, min_risk: float | None = Query(None, ge=0, le=1),
                  max_risk: float | None = Query(None, ge=0, le=1), since: datetime | None = None,
                  until: datetime | None = None, author_id: str | None = None,
                  identifier: str | None = Query(None, description="a phone (E.164), @handle, wallet or URL"),
                  limit: int = Limit, offset: int = Offset) -> dict:
    return _read(request, queries.findings_page, label=label, platform=platform, lang=lang,
                 min_risk=min_risk, max_risk=max_risk, since=since, until=until, author_id=author_id,
                 identifier=identifier, limit=limit, offset=offset)


@router.get("/posts", summary="Posts, newest first")
def list_posts(request: Request, platform: str | None = None, author_id: str | None = None,
               lang: str | None = None, since: datetime | None = None, until: datetime | None = None,
               limit: int = Limit, offset: int = Offset) -> dict:
    return _read(request, queries.posts_page, platform=platform, author_id=author_id, lang=lang,
                 since=since, until=until, limit=limit, offset=offset)


@router.get("/posts/{platform}/{post_id:path}", summary="One post with finding, account, identifiers, decisions")
def get_post(request: Request, platform: str, post_id: str) -> dict:
    return _read(request, queries.post_detail, platform, post_id)


@router.get("/accounts", summary="Accounts, most harmful posts first")
def list_accounts(request: Request, platform: str | None = None, handle: str | None = None,
                  min_harmful: int = Query(0, ge=0), limit: int = Limit, offset: int = Offset) -> dict:
    return _read(request, queries.accounts_page, platform=platform, handle=handle, min_harmful=min_harmful,
                 limit=limit, offset=offset)


@router.get("/accounts/{platform}/{author_id:path}", summary="One account with its posts and label counts")
def get_account(request: Request, platform: str, author_id: str) -> dict:
    return _read(request, queries.account_detail, platform, author_id)
