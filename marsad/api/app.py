"""The FastAPI app: one router per stage, the web UI, and errors mapped to one shape, once.

``create_app(db)`` builds the app on a store; ``marsad serve`` runs it with uvicorn. Routers
are listed by module name in ``ROUTERS`` (each module defines ``router``); a stage adds its
router by adding one line there.

Every route declares who may call it: ``Depends(require(ROLE))`` or, for the few that
anyone may use (health check, login, API docs, tip line), ``Depends(public(WHY))``. A test
walks the route table and fails on a route that declares neither.

Errors: every ``MarsadError`` (its class carries the HTTP status), every HTTP error and every
request-validation error becomes ``{"error": {"status", "code", "message", "field"}}``. For
browser pages the same handler renders an HTML page instead, and a 401 redirects to the
login form.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from marsad import __version__
from marsad.api.auth import LoginThrottle, Sessions, public
from marsad.errors import InputError, MarsadError

ROUTERS = (
    "marsad.api.routes_ingest",
    "marsad.api.routes_classify",
    "marsad.api.routes_findings",
    "marsad.api.routes_networks",
    "marsad.api.routes_queue",
    "marsad.api.routes_admin",
    "marsad.web.views",
    # referrals, reports, tips (their modules say what they hold):
    "marsad.api.routes_refer",
    "marsad.api.routes_report",
    "marsad.api.routes_tips",
)

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
MAX_BODY_BYTES = 10 * 1024 * 1024   # uploads (ingest) and every other body

# Scripts only from our own static files: an injected <script> or on* attribute in a post
# cannot run even if escaping were ever missed. Inline style attributes are allowed
# because cytoscape and swagger-ui set them from script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]


class BodyTooLarge(MarsadError):
    http_status = 413


def _code(exc_or_status) -> str:
    if isinstance(exc_or_status, int):
        return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid_request",
                429: "too_many_requests"}.get(exc_or_status, "error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc_or_status).__name__).lower()


def error_body(status: int, code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "field": field, **extra}}


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/openapi")):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


async def render_error(request: Request, status: int, code: str, message: str, field: str | None = None,
                       **extra) -> Response:
    """The one place an error becomes a response (JSON for the API, HTML for pages)."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if not _wants_html(request):
        return JSONResponse(error_body(status, code, message, field, **extra), status, headers=headers)
    if status == 401:
        target = "/login?next=" + request.url.path
        if "hx-request" in request.headers:
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    templates = request.app.state.templates
    name = "_error.html" if "hx-request" in request.headers else "error.html"
    return templates.TemplateResponse(request, name, {"status": status, "code": code, "message": message,
                                                      "field": field}, status_code=status)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(MarsadError)
    async def marsad_error(request: Request, exc: MarsadError):
        field = exc.field if isinstance(exc, InputError) else None
        message = exc.describe() if isinstance(exc, InputError) else str(exc)
        return await render_error(request, exc.http_status, _code(exc), message, field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return await render_error(request, exc.status_code, _code(exc.status_code), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")) or None
        details = [{"loc": [str(p) for p in e.get("loc", ())], "message": e.get("msg", "")} for e in errors]
        return await render_error(request, 422, "invalid_request", first.get("msg", "invalid request"),
                                  field, details=details)


class _Guard:
    """ASGI middleware: security headers on every response; bodies over the limit refused
    (by Content-Length at once, and while streaming for chunked uploads)."""

    def __init__(self, app, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            scope["marsad.too_large"] = True
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(f"request body over {self.max_body} bytes")
            return message

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        if scope.get("marsad.too_large"):
            async def refuse():
                raise BodyTooLarge(f"request body over {self.max_body} bytes")
            return await self.app(scope, refuse, send_with_headers)
        await self.app(scope, limited_receive, send_with_headers)


def _docs_page() -> str:
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>marsad API</title>"
            "<link rel='stylesheet' href='/static/vendor/swagger-ui/swagger-ui.css'></head>"
            "<body><div id='swagger-ui'></div>"
            "<script src='/static/vendor/swagger-ui/swagger-ui-bundle.js'></script>"
            "<script src='/static/docs.js'></script></body></html>")


def create_app(db: str | None = None, *, secret: str | None = None, max_body: int = MAX_BODY_BYTES,
               routers: tuple[str, ...] = ROUTERS) -> FastAPI:
    """The app on the store at ``db`` (default: the DATABASE_URL setting)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from fastapi.templating import Jinja2Templates

    from marsad.store.db import connect
    from marsad.store.metadata import metadata

    app = FastAPI(title="marsad", version=__version__, docs_url=None, redoc_url=None,
                  description="Find, explain, link and help remove harmful content. Authenticate with "
                              "`Authorization: Bearer <key>` (create one with `marsad keys create`).")
    engine = connect(db)
    metadata.create_all(engine)   # stage tables added since the store was created
    app.state.engine, app.state.db_url = engine, db
    app.state.sessions = Sessions(secret)
    app.state.networks_cache = {}
    app.state.login_throttle = LoginThrottle()
    env = Environment(loader=FileSystemLoader(str(STATIC.parent / "templates")),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    app.state.templates = Jinja2Templates(env=env)
    _install_errors(app)

    @app.get("/healthz", tags=["health"], dependencies=[Depends(public("liveness probe"))])
    def healthz() -> dict:
        return {"ok": True, "version": __version__}

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(public("API reference"))])
    def docs() -> HTMLResponse:
        return HTMLResponse(_docs_page())

    for name in routers:
        app.include_router(importlib.import_module(name).router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(_Guard, max_body=max_body)
    return app
