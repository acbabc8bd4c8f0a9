"""The public tip line over HTTP: a form and an endpoint anyone may use, no login.

Included by ``marsad.api.app`` (listed in ``ROUTERS`` as ``marsad.api.routes_tips``).

    GET  /tip          the form (HTML, Arabic and English, works without JavaScript)  public
    POST /tip          the form's submission -> a thank-you page with a receipt       public
    POST /api/tips     JSON ``{"text", "url"?, "contact"?, "category"?}`` -> 201      public
    GET  /api/tips     received tips, with contacts                                   reviewer

Abuse guards, in the order they apply: a per-client-IP rate limit (``RATE_MAX`` tips per
``RATE_WINDOW`` seconds, kept in memory; HTTP 429 with ``Retry-After``), then a body cap
read as a stream (HTTP 413 before the body is parsed), then ``review.tips.validate``
(the ``TIP_MAX_BYTES`` setting, link and field checks). A hidden honeypot field that
people never see and simple bots fill in is accepted and dropped. The client address is
used for the limit only and never stored. Behind a reverse proxy every client has the
proxy's address: set ``app.state.tip_client_ip`` to a function reading the proxy's header.
"""
from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict, deque
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from marsad import settings
from marsad.api.auth import public, require
from marsad.errors import InputError, MarsadError
from marsad.model import HARMS
from marsad.review import tips

router = APIRouter(tags=["tips"])
RATE_MAX = 5            # tips per client address ...
RATE_WINDOW = 600.0     # ... per this many seconds
MAX_CLIENTS = 50_000    # addresses remembered at once (memory bound)
HONEYPOT = "website"


class TooManyTips(MarsadError):
    http_status = 429

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many tips from this address; try again in {retry_after} s")


class RateLimiter:
    """Sliding window per key, in memory, bounded: at most ``max_events`` per ``window`` s.

    Hand-written (twenty lines) rather than a dependency such as slowapi, which would
    bring its own storage layer for what is one dict of deques."""

    def __init__(self, max_events: int = RATE_MAX, window: float = RATE_WINDOW, max_keys: int = MAX_CLIENTS):
        self.max_events, self.window, self.max_keys = max_events, window, max_keys
        self._hits: OrderedDict[str, deque] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> None:
        """Count one event for ``key``, or raise TooManyTips when it is over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.pop(key, None) or deque()
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.max_events:
                self._hits[key] = q
                raise TooManyTips(max(1, int(q[0] + self.window - now) + 1))
            q.append(now)
            self._hits[key] = q
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)   # least recently seen address


def _limiter(request: Request) -> RateLimiter:
    state = request.app.state
    if getattr(state, "tip_limiter", None) is None:
        state.tip_limiter = RateLimiter()
    return state.tip_limiter


def _client(request: Request) -> str:
    reader = getattr(request.app.state, "tip_client_ip", None)
    if reader:
        return reader(request)
    return request.client.host if request.client else "unknown"


def body_cap() -> int:
    """Raw body limit: the tip limit plus room for form encoding (an Arabic letter is two
    UTF-8 bytes and six once percent-encoded) and the other fields."""
    return 3 * settings.get("TIP_MAX_BYTES") + 4096


async def _read_body(request: Request) -> bytes:
    cap = body_cap()
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise tips.TipTooLarge(f"a tip is at most {settings.get('TIP_MAX_BYTES')} bytes", field="text")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise tips.TipTooLarge(f"a tip is at most {settings.get('TIP_MAX_BYTES')} bytes", field="text")
    return body


def _detector(request: Request):
    """The text engine for tips: ``app.state.tip_detector`` when set (False: none), else
    the default engine (loaded once per process)."""
    if hasattr(request.app.state, "tip_detector"):
        return request.app.state.tip_detector
    from marsad.detect.engine import TextEngine
    return TextEngine.load(quiet=True)


async def _submit(request: Request, fields: dict) -> dict | None:
    if fields.get(HONEYPOT):
        return None   # a bot: looks accepted, stores nothing

    def store() -> dict:
        with request.app.state.engine.begin() as conn:
            return tips.submit(conn, text=fields.get("text"), url=fields.get("url"), contact=fields.get("contact"),
                               category=fields.get("category") or None, detector=_detector(request))
    return await run_in_threadpool(store)


class TipIn(BaseModel):
    text: str = Field("", description="what you saw; text or url is needed")
    url: str | None = Field(None, description="link to the post, http(s)")
    contact: str | None = Field(None, description="optional: how to reach you; only reviewers see it")
    category: str | None = Field(None, description=f"optional: {', '.join(HARMS)} or unsure")


def _too_many(exc: TooManyTips) -> JSONResponse:
    from marsad.api.app import error_body
    return JSONResponse(error_body(429, "too_many_requests", str(exc)), 429,
                        headers={"Retry-After": str(exc.retry_after)})


@router.post("/api/tips", status_code=201, summary="Report a post or a text (public, rate limited)",
             dependencies=[Depends(public("the public tip line"))],
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": TipIn.model_json_schema()}}}})
async def post_tip(request: Request):
    try:
        _limiter(request).hit(_client(request))
    except TooManyTips as exc:
        return _too_many(exc)
    raw = await _read_body(request)
    try:
        data = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"invalid JSON: {exc}", field="body") from exc
    if not isinstance(data, dict) or not all(isinstance(v, (str, type(None))) for v in data.values()):
        raise InputError("send a JSON object of text fields", field="body")
    receipt = await _submit(request, data)
    return JSONResponse(receipt or {"id": None, "receipt": "received", "status": "queued"}, 201)


def _form_page(request: Request, status: int = 200, **context) -> HTMLResponse:
    context = {"who": None, "harms": HARMS, "max_bytes": settings.get("TIP_MAX_BYTES"), "receipt": None,
               "error": None, "values": {}} | context
    return request.app.state.templates.TemplateResponse(request, "tip.html", context, status_code=status)


@router.get("/tip", include_in_schema=False, dependencies=[Depends(public("the public tip form"))])
def tip_form(request: Request) -> HTMLResponse:
    return _form_page(request)


@router.post("/tip", include_in_schema=False, dependencies=[Depends(public("the public tip form"))])
async def tip_form_submit(request: Request) -> HTMLResponse:
    fields: dict = {}
    try:
        _limiter(request).hit(_client(request))
        raw = await _read_body(request)
        fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", errors="replace"),
                                               keep_blank_values=True).items()}
        receipt = await _submit(request, fields)
    except TooManyTips as exc:
        response = _form_page(request, 429, error=str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except InputError as exc:
        return _form_page(request, exc.http_status, error=exc.reason,
                          values={k: fields.get(k, "") for k in ("text", "url", "contact", "category")})
    return _form_page(request, 200, receipt=(receipt or {}).get("receipt", "received"))


@router.get("/api/tips", summary="Received tips, newest first (with contacts)",
            dependencies=[Depends(require("reviewer"))])
def list_tips(request: Request, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict:
    with request.app.state.engine.connect() as conn:
        return {"items": tips.list_tips(conn, limit=limit, offset=offset, with_contact=True),
                "limit": limit, "offset": offset}
