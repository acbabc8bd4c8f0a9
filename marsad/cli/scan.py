"""Ingest files or folders of platform exports, detect, and store posts, accounts and findings.

Idempotent: re-running over the same input (or after an interrupted run) adds nothing twice.
Bad records go to a quarantine JSONL file with file, line, field and reason; the run goes on
and exits with code 2 when anything was skipped.
"""
from __future__ import annotations

import argparse
import json
import sys

from marsad.cli import add_db_argument, add_jobs_argument


def register(sub: argparse._SubParsersAction) -> None:
    for verb, detect in (("scan", True), ("ingest", False)):
        p = sub.add_parser(verb, help=("ingest + detect + store" if detect else "ingest + store, no detection"),
                           description=__doc__)
        p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders of exports")
        p.add_argument("--format", default="auto", help="auto (default), jsonl, csv, telegram, x, meta, "
                                                        "tiktok, youtube, whatsapp")
        p.add_argument("--map", metavar="FIELD=COLUMN,...", help="CSV column mapping, e.g. text=message,id=post_id")
        p.add_argument("--platform", help="platform of a CSV or Meta export when the file does not say")
        add_db_argument(p)
        p.add_argument("--quarantine", metavar="FILE", help="where bad records go "
                                                            "(default quarantine-<time>.jsonl here)")
        p.add_argument("--json", action="store_true", help="print the summary as JSON")
        p.add_argument("--no-progress", action="store_true")
        if detect:
            add_jobs_argument(p)
        p.set_defaults(func=run, detect=detect, jobs=1)


def run(args: argparse.Namespace) -> int:
    from marsad.pipeline import scan
    from marsad.cli._render import err_console, progress_bar, print_summary
    from marsad.ingest.csv import parse_mapping

    show = not args.no_progress and not args.json and sys.stderr.isatty()
    with progress_bar(show, "scanning") as advance:
        summary = scan(args.paths, db=args.db, fmt=args.format, detector=args.detect,
                       quarantine=args.quarantine, progress=advance,
                       options={"mapping": parse_mapping(args.map) if args.map else None,
                                "platform": args.platform}, jobs=args.jobs)
    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_summary(summary, args.db)
    if summary.bad:
        err_console.print(f"[yellow]{summary.bad} bad record(s) quarantined in {summary.quarantine}[/]")
        return 2
    return 0
