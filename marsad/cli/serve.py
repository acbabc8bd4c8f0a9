"""Serve the REST API (/docs) and the web UI on the store, on 127.0.0.1 by default.

Create an account first: `marsad users add NAME --role admin` (asks for a password), or a
key for programs: `marsad keys create --role analyst`.
"""
from __future__ import annotations

import argparse

from marsad.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="REST API and web UI", description=__doc__)
    add_db_argument(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; put a TLS proxy in "
                        "front before listening elsewhere)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=run)


def app_factory():
    """Used by uvicorn with several workers: each builds the app from the environment."""
    import os

    from marsad.api.app import create_app
    app = create_app(os.environ.get("MARSAD_SERVE_DB") or None)
    warm_up()
    return app


def warm_up() -> None:
    """Load (or train, once) the text model before accepting requests, so the first
    classify call does not pay for it."""
    from marsad.detect.classify import classify_dicts
    classify_dicts([{"id": "warm-up", "platform": "other", "text": "warm up", "lang": "en"}])


def run(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from marsad import settings
    from marsad.api.app import create_app

    if args.workers > 1:
        if not settings.get("SECRET_KEY"):
            print("marsad serve: several workers need one MARSAD_SECRET_KEY so sessions work across them")
            return 3
        if args.db:
            os.environ["MARSAD_SERVE_DB"] = args.db
        uvicorn.run("marsad.cli.serve:app_factory", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, proxy_headers=False)
        return 0
    app = create_app(args.db)
    warm_up()
    print(f"marsad: API docs at http://{args.host}:{args.port}/docs, web UI at http://{args.host}:{args.port}/")
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, proxy_headers=False)
    return 0
