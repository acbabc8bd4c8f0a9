"""``marsad VERB ...``: one verb per pipeline stage.

Each verb lives in its own module here (``cli/scan.py`` is ``marsad scan``) and defines
``register(subparsers)``; the module's docstring is the verb's help. Verbs parse arguments,
call the library and print: no logic of their own. Errors from ``marsad.errors`` are
translated to a message and an exit code here, once.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from marsad import __version__
from marsad.errors import MarsadError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marsad", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"marsad {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MarsadError as exc:
        print(f"marsad {args.verb}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("interrupted; re-run the same command to resume (ingest is idempotent)", file=sys.stderr)
        return 130


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """``--db URL`` for every verb that touches the store (default: settings' DATABASE_URL)."""
    parser.add_argument("--db", metavar="URL", default=None,
                        help="SQLAlchemy URL, e.g. sqlite:///marsad.db or postgresql://user@host/db "
                             "(default: $MARSAD_DATABASE_URL or sqlite:///marsad.db)")


def add_jobs_argument(parser: argparse.ArgumentParser) -> None:
    """``-j/--jobs N``: detection in N worker processes (``0``: one per core)."""
    parser.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                        help="detect in N worker processes (default 1; 0 = one per core); "
                             "each worker holds its own model and compiled loops, ~220 MB")


def _jobs(value: str) -> int:
    import os
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return n or len(os.sched_getaffinity(0))
