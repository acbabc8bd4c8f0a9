"""Networks of accounts linked through shared identifiers (``marsad.link``; viewer and up)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from marsad.api import networks
from marsad.api.auth import require

router = APIRouter(prefix="/api", tags=["networks"], dependencies=[Depends(require("viewer"))])


def cache(request: Request) -> dict:
    return request.app.state.networks_cache


@router.get("/networks", summary="Networks, largest first (DESIGN.md `marsad networks` contract)")
def list_networks(request: Request, account: str | None = Query(None, description="only networks with this author_id"),
                  identifier: str | None = None, limit: int = Query(50, ge=1, le=500),
                  offset: int = Query(0, ge=0)) -> dict:
    nets = networks.all_networks(request.app.state.engine, cache(request))
    if account:
        nets = [n for n in nets if account in n["accounts"]]
    if identifier:
        nets = [n for n in nets if identifier in n["shared"]]
    total = len(nets)
    return {"networks": nets[offset:offset + limit], "total": total, "limit": limit, "offset": offset,
            "next": offset + limit if offset + limit < total else None}


@router.get("/networks/{net_id}", summary="One network with its graph (nodes and edges)")
def get_network(request: Request, net_id: str) -> dict:
    engine = request.app.state.engine
    net = networks.one_network(engine, net_id, cache(request))
    return net | {"graph": networks.graph(engine, net)}
