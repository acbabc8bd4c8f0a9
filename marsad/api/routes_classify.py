"""``POST /api/classify``: the stateless classifier (``marsad classify``) over HTTP.

One post in, one finding out; or ``{"posts": [...]}`` in, ``{"findings": [...]}`` out in
the same order. Nothing is stored.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field

from marsad.api.auth import require
from marsad.detect.classify import classify_dicts
from marsad.errors import InputError

router = APIRouter(prefix="/api", tags=["classify"])
MAX_POSTS = 1000


class PostIn(BaseModel):
    """A canonical input post (DESIGN.md); unknown fields are kept."""

    model_config = ConfigDict(extra="allow")
    id: str
    platform: str
    text: str = ""
    lang: str | None = None
    author_id: str | None = None


class Batch(BaseModel):
    posts: list[PostIn] = Field(max_length=MAX_POSTS)


def _dicts(posts: list[PostIn]) -> list[dict[str, Any]]:
    return [p.model_dump(exclude_none=True) for p in posts]


@router.post("/classify", summary="Classify one post (stateless)",
             dependencies=[Depends(require("analyst"))])
def classify_one(post: PostIn = Body(...)) -> dict:
    return classify_dicts(_dicts([post]))[0]


@router.post("/classify/batch", summary=f"Classify up to {MAX_POSTS} posts (stateless, same order)",
             dependencies=[Depends(require("analyst"))])
def classify_many(batch: Batch) -> dict:
    if not batch.posts:
        raise InputError("no posts", field="posts")
    return {"findings": classify_dicts(_dicts(batch.posts))}
