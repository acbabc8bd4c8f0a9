"""Manage hash lists: import and export the ThreatExchange / HMA shapes, list, release.

  marsad hashlist import FILE --name NAME --category CAT --source WHO [--negative]
  marsad hashlist export NAME [--format te-csv|te-api|hma-te|hma-json|text] [--out FILE]
  marsad hashlist list
  marsad hashlist release NAME [--hash HEX]      lift a flood-guard quarantine
  marsad hashlist remove NAME HEX...

Formats on import are detected from the file (``--format`` to force one). Bad rows are
reported on stderr as ``{"file", "line", "field", "error"}`` and the rest is imported;
the exit code is then 2.
"""
from __future__ import annotations

import argparse
import json
import sys

from marsad.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hashlist", help="import/export/list PDQ, MD5 and SHA-256 hash lists",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = verbs.add_parser("import", help="add a file's hashes to a list (created if new)")
    imp.add_argument("file")
    imp.add_argument("--name", required=True, help="list name")
    imp.add_argument("--category", required=True,
                     help="migrant_smuggling, document_fraud, human_trafficking, "
                          "child_exploitation, terrorist_content or other (aliases: csam, tvec ...)")
    imp.add_argument("--source", required=True, help="who shares the list (GIFCT, NCMEC, own ...)")
    imp.add_argument("--format", default="auto",
                     help="auto (default), te-csv, te-api, hma-te, hma-json, text")
    imp.add_argument("--threshold", type=int, default=None,
                     help="PDQ distance at or under which this list matches (default: setting)")
    imp.add_argument("--negative", action="store_true",
                     help="a list of known false positives: its hashes suppress matches")
    imp.add_argument("--signal-type", default="pdq",
                     help="for rows that don't say (text, hma-te): pdq, md5 or sha256")
    imp.add_argument("--description")

    exp = verbs.add_parser("export", help="write a list in a ThreatExchange/HMA shape")
    exp.add_argument("name")
    exp.add_argument("--format", default="te-csv")
    exp.add_argument("--out", help="file (default: stdout)")

    ls = verbs.add_parser("list", help="lists with hash and match counts")
    ls.add_argument("--json", action="store_true")

    rel = verbs.add_parser("release", help="lift a flood-guard quarantine")
    rel.add_argument("name")
    rel.add_argument("--hash", help="release one hash instead of the whole list")

    rm = verbs.add_parser("remove", help="remove hashes from a list")
    rm.add_argument("name")
    rm.add_argument("hashes", nargs="+", metavar="HEX")

    for v in (imp, exp, ls, rel, rm):
        add_db_argument(v)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marsad.detect import hashlists
    from marsad.store.db import connect

    engine = connect(args.db)
    if args.action == "import":
        result = hashlists.import_list(
            engine, args.file, name=args.name, category=args.category, source=args.source,
            fmt=args.format, kind="negative" if args.negative else "positive",
            threshold=args.threshold, signal_type=args.signal_type, description=args.description)
        for err in result["errors"]:
            print(json.dumps(err, ensure_ascii=False), file=sys.stderr)
        print(f"{args.name}: {result['added']} added, {result['duplicates']} already there, "
              f"{len(result['errors'])} bad row(s)")
        return 2 if result["errors"] else 0
    if args.action == "export":
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as fh:
                n = hashlists.export_list(engine, args.name, args.format, fh)
            print(f"{args.name}: {n} hashes -> {args.out}", file=sys.stderr)
        else:
            hashlists.export_list(engine, args.name, args.format, sys.stdout)
        return 0
    if args.action == "list":
        rows = hashlists.list_lists(engine)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            _print_table(rows)
        return 0
    if args.action == "release":
        n = hashlists.release(engine, args.name, args.hash)
        print(f"released {n}")
        return 0 if n else 4
    if args.action == "remove":
        n = hashlists.remove_hashes(engine, args.name, args.hashes)
        print(f"removed {n}")
        return 0
    return 2


def _print_table(rows: list[dict]) -> None:
    from rich.table import Table

    from marsad.cli._render import console

    table = Table(show_edge=False)
    for col in ("list", "kind", "category", "source", "threshold", "hashes", "matches", "held"):
        table.add_column(col, justify="right" if col in ("threshold", "hashes", "matches") else "left")
    for r in rows:
        held = r["quarantined"] or (f"{r['quarantined_hashes']} hash(es)"
                                    if r["quarantined_hashes"] else "")
        matches = ", ".join(f"{k} {v}" for k, v in sorted(r["matches"].items())) or "0"
        table.add_row(r["name"], r["kind"], r["category"], r["source"], str(r["threshold"]),
                      f"{r['hashes']:,}", matches, held)
    console.print(table)
