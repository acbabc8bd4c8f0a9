"""Server-rendered pages: login, dashboard, review queue, post, networks, decisions (htmx).

Pages call the same library functions as the API (``api.queries``, ``review.queue``,
``review.decisions``, ``api.networks``) and only render. Post text is hostile: templates
autoescape, and the one place that builds HTML from it is ``web.render.highlight``.
Media is never fetched from a platform by the reviewer's browser: ``/media/{id}`` decodes
the stored file with Pillow and re-encodes a downscaled PNG (so only pixels leave, never a
crafted file), refuses items matched against a sensitive hash list, and the page shows it
blurred and greyscale until the reviewer clicks.
"""
from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from marsad.api import auth, networks, queries
from marsad.api.auth import COOKIE, Principal, public, require
from marsad.errors import NotFound
from marsad.model import HARMS, LABELS
from marsad.review import decisions, queue
from marsad.web.render import highlight, ltr

router = APIRouter(include_in_schema=False)
PAGE = 25
MEDIA_MAX_SIDE = 640
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"}


def _page(request: Request, name: str, who: Principal | None, **context) -> HTMLResponse:
    context |= {"who": who, "harms": HARMS, "labels": LABELS, "highlight": highlight, "ltr": ltr,
                "post_href": post_href, "text_dir": text_dir}
    return request.app.state.templates.TemplateResponse(request, name, context)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//host`` or scheme) may be a post-login target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# ---- login ------------------------------------------------------------------------------
@router.get("/login", dependencies=[Depends(public("the login form"))])
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _page(request, "login.html", None, next=_safe_next(next), failed=False)


@router.post("/login", dependencies=[Depends(public("the login form"))])
def login_submit(request: Request, name: str = Form(..., max_length=255),
                 password: str = Form(..., max_length=1024), next: str = Form("/")) -> Response:
    throttle = request.app.state.login_throttle
    keys = (f"ip:{request.client.host if request.client else '?'}", f"user:{name}")
    throttle.check(*keys)
    with request.app.state.engine.connect() as conn:
        user = auth.login(conn, name, password)
    if user is None:
        throttle.failed(*keys)
        response = _page(request, "login.html", None, next=_safe_next(next), failed=True)
        response.status_code = 401
        return response
    cookie = request.app.state.sessions.issue(user["id"], user["password_hash"])
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, cookie, max_age=auth.SESSION_SECONDS, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout(who: Principal = Depends(require("viewer"))) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# ---- pages ------------------------------------------------------------------------------
@router.get("/")
def dashboard(request: Request, who: Principal = Depends(require("viewer"))) -> HTMLResponse:
    with request.app.state.engine.connect() as conn:
        counts = queries.dashboard(conn)
    return _page(request, "dashboard.html", who, counts=counts)


@router.get("/queue")
def queue_page(request: Request, status: str | None = Query(None, pattern="^(new|escalated)$"),
               label: str | None = Query(None, max_length=64), page: int = Query(1, ge=1, le=10000),
               who: Principal = Depends(require("analyst"))) -> HTMLResponse:
    with request.app.state.engine.connect() as conn:
        items = queue.items(conn, limit=PAGE, offset=(page - 1) * PAGE, status=status, label=label)
        total = queue.count(conn, status=status, label=label)
        media_map = _media_for(conn, [(i["platform"], i["post_id"]) for i in items])
    return _page(request, "queue.html", who, items=items, total=total, page=page, status=status, media=media_map,
                 label=label, pages=max(1, -(-total // PAGE)))


@router.post("/queue/decide")
def decide(request: Request, platform: str = Form(..., max_length=32), post_id: str = Form(..., max_length=255),
           decision: str = Form(..., max_length=16), reason: str = Form("", max_length=decisions.MAX_REASON),
           label: str = Form("", max_length=64), who: Principal = Depends(require("analyst"))) -> HTMLResponse:
    with request.app.state.engine.begin() as conn:
        row = decisions.decide(conn, platform, post_id, decision, reason, actor=who.actor, role=who.role,
                               label=label or None)
    return _page(request, "_decided.html", who, d=row)


@router.post("/referrals/build")
def build_referral(request: Request, platform: str = Form(..., max_length=32),
                   who: Principal = Depends(require("analyst"))) -> HTMLResponse:
    """Refer every confirmed, not yet referred post of ``platform`` and package them
    (``marsad.refer.packages``: one package per platform, the same URL twice is one item)."""
    from marsad.refer import packages
    with request.app.state.engine.begin() as conn:
        result = packages.refer_confirmed(conn, actor=who.actor, platform=platform)
        built = packages.build_packages(conn, actor=who.actor, platform=platform)
    return _page(request, "_referred.html", who, result=result, built=built, platform=platform)


def referral_of(conn, platform: str, post_id: str) -> dict | None:
    """The referral item made from a post, with its package, if it was referred."""
    from marsad.store.tables_review import referral_items, referrals
    row = conn.execute(select(referral_items.c.id, referral_items.c.referral_id, referral_items.c.url,
                              referrals.c.status, referrals.c.sent_at)
                       .outerjoin(referrals, referrals.c.id == referral_items.c.referral_id)
                       .where(referral_items.c.post_platform == platform, referral_items.c.post_id == post_id)
                       .order_by(referral_items.c.id).limit(1)).first()
    return dict(row._mapping) if row else None


@router.get("/posts/{platform}/{post_id:path}")
def post_page(request: Request, platform: str, post_id: str,
              who: Principal = Depends(require("viewer"))) -> HTMLResponse:
    engine = request.app.state.engine
    with engine.connect() as conn:
        post = queries.post_detail(conn, platform, post_id)
        referral = referral_of(conn, platform, post_id)
    nets = []
    if post["author_id"]:
        nets = [n for n in networks.all_networks(engine, request.app.state.networks_cache)
                if post["author_id"] in n["accounts"]]
    return _page(request, "post.html", who, post=post, nets=nets, referral=referral)


@router.get("/networks")
def networks_page(request: Request, who: Principal = Depends(require("viewer"))) -> HTMLResponse:
    nets = networks.all_networks(request.app.state.engine, request.app.state.networks_cache)
    return _page(request, "networks.html", who, nets=nets)


@router.get("/networks/{net_id}")
def network_page(request: Request, net_id: str, who: Principal = Depends(require("viewer"))) -> HTMLResponse:
    engine = request.app.state.engine
    net = networks.one_network(engine, net_id, request.app.state.networks_cache)
    graph = networks.graph(engine, net)
    elements = ([{"data": {"id": n["id"], "label": "\u200e" + str(n["label"]), "kind": n["kind"]}}
                 for n in graph["nodes"]]
                + [{"data": {"id": f"e{i}", "source": e["source"], "target": e["target"]}}
                   for i, e in enumerate(graph["edges"])])
    return _page(request, "network.html", who, net=net, graph=graph, elements=elements)


@router.get("/media/{media_id}")
def media_file(request: Request, media_id: int, who: Principal = Depends(require("analyst"))) -> Response:
    """A stored post's image, decoded and re-encoded small; never a sensitive item."""
    from PIL import Image

    from marsad.store.schema import posts
    from marsad.store.tables_media import media

    with request.app.state.engine.connect() as conn:
        row = conn.execute(select(media.c.path, media.c.sensitive, posts.c.source)
                           .join(posts, (posts.c.platform == media.c.platform) & (posts.c.id == media.c.post_id))
                           .where(media.c.id == media_id)).first()
    if row is None or row.sensitive or not row.path:
        raise NotFound("no media to show")
    base = Path(row.source).parent if row.source else Path.cwd()
    path = (base / row.path).resolve()
    if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
        raise NotFound("no media to show")
    try:
        with Image.open(path) as img:
            img.thumbnail((MEDIA_MAX_SIDE, MEDIA_MAX_SIDE))
            out = io.BytesIO()
            img.convert("RGB").save(out, "PNG")
    except (OSError, ValueError, Image.DecompressionBombError):
        raise NotFound("media could not be decoded") from None
    return Response(out.getvalue(), media_type="image/png", headers={"Cache-Control": "private, no-store"})


def _media_for(conn, keys: list[tuple[str, str]]) -> dict:
    """Media rows (id and flags, never bytes) of the posts in ``keys``."""
    from sqlalchemy import tuple_

    from marsad.store.tables_media import media
    out: dict = {}
    if not keys:
        return out
    for r in conn.execute(select(media.c.id, media.c.platform, media.c.post_id, media.c.media_index,
                                 media.c.error, media.c.sensitive)
                          .where(tuple_(media.c.platform, media.c.post_id).in_(keys)).order_by(media.c.media_index)):
        out.setdefault((r.platform, r.post_id), []).append(dict(r._mapping))
    return out


RTL_LANGS = {"ar", "fa", "ur", "ps", "ku", "ckb", "he", "yi", "sd", "ug", "dv"}


def text_dir(lang: str | None) -> str:
    """``rtl`` for a post in a right-to-left language, else ``auto`` (the first strong
    character decides, which a hostile post could game with a leading Latin tag)."""
    return "rtl" if (lang or "").split("-")[0].lower() in RTL_LANGS else "auto"


def post_href(platform: str, post_id: str) -> str:
    return f"/posts/{quote(platform, safe='')}/{quote(post_id, safe='')}"
