"""Link accounts into networks through shared phones, handles, wallets, links, images and texts.

    marsad networks IN.jsonl [...] --out networks.json      classify in memory, then link
    marsad networks --db URL --out networks.json            link what the store holds

Output (DESIGN.md): {"networks": [{"id", "accounts", "shared", "platforms", "posts",
"labels", ...}]} best-ranked first, with each network's evidence, time span, routes, prices,
risk and rank, plus the hub identifiers that were too common to link anyone. From the store,
each account's risk is also written to the accounts table (--no-save-risk to skip).
A bad input line gives {"line": N, "error": "..."} on stderr and the run goes on (exit 2).
"""
from __future__ import annotations

import argparse
import json
import sys

from marsad.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("networks", help="link accounts into networks (from files or the store)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", metavar="IN", help="posts to classify and link (JSONL or any export "
                                                         "marsad scan reads); none: use the store")
    add_db_argument(p)
    p.add_argument("--format", default="auto", help="input format when IN is given (default: auto)")
    p.add_argument("--out", metavar="FILE", default="-", help="networks JSON ('-' = stdout, default)")
    p.add_argument("--graphml", metavar="FILE", help="also write the evidence graph as GraphML (Gephi)")
    p.add_argument("--gexf", metavar="FILE", help="also write the evidence graph as GEXF (Gephi)")
    p.add_argument("--web", metavar="FILE", help="also write the web UI's JSON (networks + graph + account risk)")
    p.add_argument("--rules", metavar="YAML", help="linking rules (default: marsad/link/rules.yaml)")
    p.add_argument("--no-save-risk", action="store_true", help="from the store: do not write account risk")
    p.set_defaults(func=run)


def load(args: argparse.Namespace):
    """The linked ``Networks`` for ``args`` (files or store), and the count of bad lines."""
    from marsad.link import LinkRules, link_files, link_store
    from marsad.link.rules import RULES

    rules = LinkRules.load(args.rules or RULES)
    if getattr(args, "inputs", None):
        bad = []

        def on_bad(rec):
            bad.append(rec)
            print(json.dumps({"file": rec.source, "line": rec.line, "error": rec.reason}, ensure_ascii=False),
                  file=sys.stderr)

        return link_files(args.inputs, rules, fmt=args.format, on_bad=on_bad), len(bad), None
    from marsad.store.db import connect
    engine = connect(args.db)
    return link_store(engine, rules), 0, engine


def run(args: argparse.Namespace) -> int:
    from marsad.link.export import web_json, write_gexf, write_graphml, write_json
    from marsad.link.risk import save_account_risk

    result, bad, engine = load(args)
    write_json(result.as_dict(), args.out)
    if args.graphml:
        write_graphml(result, args.graphml)
    if args.gexf:
        write_gexf(result, args.gexf)
    if args.web:
        write_json(web_json(result), args.web)
    if engine is not None and not args.no_save_risk:
        save_account_risk(engine, result.account_risk())
    if args.out not in (None, "-"):
        s = result.as_dict()["summary"]
        print(f"{s['networks']} networks, {s['linked_accounts']} of {s['accounts']} accounts linked, "
              f"{s['hubs']} hub identifiers left out -> {args.out}", file=sys.stderr)
    return 2 if bad else 0
