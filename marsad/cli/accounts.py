"""Accounts: risk, and "more like this" from a confirmed account.

    marsad accounts similar ACCOUNT --db URL [--limit 20]
    marsad accounts risk --db URL [--limit 50]

ACCOUNT is an author_id, or platform:author_id when one id exists on several platforms.
"similar" ranks the other accounts by how linked (shared identifiers, same network) and how
alike (same ad templates, places, routes, currencies, harms) they are; "risk" lists the
riskiest accounts with the parts of their risk. Both read the store (or IN files with --in).
"""
from __future__ import annotations

import argparse
import json

from marsad.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("accounts", help="account risk and 'more like this'", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    sim = verbs.add_parser("similar", help="accounts most like ACCOUNT")
    sim.add_argument("account", metavar="ACCOUNT")
    risk = verbs.add_parser("risk", help="riskiest accounts")
    for q in (sim, risk):
        add_db_argument(q)
        q.add_argument("--in", dest="inputs", nargs="+", metavar="IN", help="classify these files in memory instead")
        q.add_argument("--format", default="auto")
        q.add_argument("--rules", metavar="YAML")
        q.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marsad.cli.networks import load
    from marsad.link import similar

    result, bad, _ = load(args)
    if args.action == "similar":
        rows = similar(result, args.account, args.limit)
    else:
        rows = sorted(result.account_risk(), key=lambda r: -r["risk"])[:args.limit]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 2 if bad else 0
