"""Users and API keys (admin), and ``/api/me`` for any caller."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from marsad.api import auth
from marsad.api.auth import Principal, require

router = APIRouter(prefix="/api", tags=["admin"])
Admin = [Depends(require("admin"))]


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    role: str
    password: str | None = Field(None, min_length=8, max_length=1024)


class KeyIn(BaseModel):
    role: str
    name: str | None = Field(None, max_length=255)


@router.get("/me", summary="Who am I")
def me(who: Principal = Depends(require("viewer"))) -> dict:
    return {"actor": who.actor, "name": who.name, "role": who.role, "via": who.via}


@router.get("/users", dependencies=Admin)
def list_users(request: Request) -> list[dict]:
    with request.app.state.engine.connect() as conn:
        return auth.list_users(conn)


@router.post("/users", status_code=201, dependencies=Admin)
def add_user(request: Request, body: UserIn) -> dict:
    with request.app.state.engine.begin() as conn:
        uid = auth.create_user(conn, body.name, body.role, body.password)
    return {"id": uid, "name": body.name, "role": body.role}


@router.get("/keys", dependencies=Admin, summary="Keys (prefix and role only: tokens are not stored)")
def list_keys(request: Request) -> list[dict]:
    with request.app.state.engine.connect() as conn:
        return auth.list_keys(conn)


@router.post("/keys", status_code=201, dependencies=Admin, summary="Create a key; the token is shown once")
def add_key(request: Request, body: KeyIn) -> dict:
    with request.app.state.engine.begin() as conn:
        key_id, token = auth.create_key(conn, body.role, body.name)
    return {"id": key_id, "role": body.role, "token": token}


@router.delete("/keys/{key_id}", status_code=204, dependencies=Admin)
def revoke_key(request: Request, key_id: int) -> None:
    with request.app.state.engine.begin() as conn:
        auth.revoke_key(conn, key_id)
