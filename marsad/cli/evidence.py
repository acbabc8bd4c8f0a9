"""Seal stored items into the hash-chained log, export evidence bundles, verify them offline.

  marsad evidence export --db URL --out bundle/ [--platform P] [--from DATE] [--to DATE]
                         [--label HARM] [--referral ID]
  marsad evidence verify bundle/          offline: no database needed; exit 1 if anything differs
  marsad evidence verify --db URL         the live store: chain, seals, and stored posts
  marsad evidence seal --db URL           seal what is new (export does this first)

A bundle can also be checked with sha256sum and jq alone: see its README.txt and
docs/evidence.md.
"""
from __future__ import annotations

import argparse
import getpass
import json

from marsad.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evidence", help="evidence bundles: export, verify offline, seal",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    exp = verbs.add_parser("export", help="write a bundle of stored items, their hashes and the chain")
    exp.add_argument("--out", required=True, help="a new (or empty) folder")
    exp.add_argument("--platform")
    exp.add_argument("--from", dest="since", help="posts created on or after (ISO-8601)")
    exp.add_argument("--to", dest="until", help="posts created before (ISO-8601)")
    exp.add_argument("--label", help="only posts with this finding label")
    exp.add_argument("--referral", type=int, help="only the posts in this referral package")
    ver = verbs.add_parser("verify", help="check a bundle offline, or the store with --db")
    ver.add_argument("bundle", nargs="?", help="the bundle folder")
    ver.add_argument("--json", action="store_true")
    sl = verbs.add_parser("seal", help="seal stored items not yet sealed")
    for v in (exp, ver, sl):
        add_db_argument(v)
        v.add_argument("--actor", default=None, help="who is acting, for the audit log (default cli:$USER)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marsad.errors import InputError
    from marsad.refer import times
    from marsad.report import evidence
    actor = args.actor or f"cli:{getpass.getuser()}"
    if args.action == "verify":
        if args.bundle:
            result = evidence.verify_bundle(args.bundle)
        elif args.db:
            with _engine(args.db).connect() as conn:
                result = evidence.check_store(conn)
        else:
            raise InputError("give a bundle folder, or --db URL to check the store", field="bundle")
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            for p in result["problems"]:
                where = p.get("file") or p.get("table")
                line = f" line {p['line']}" if p.get("line") else ""
                print(f"FAILED {where}{line}: {p['error']}")
            if result["ok"]:
                what = f"{result['items']} item(s), " if "items" in result else f"{result['seals']} seal(s), "
                print(f"OK: {what}{result.get('audit_entries', result.get('entries'))} audit entries, "
                      f"head {result['head']}")
        return 0 if result["ok"] else 1
    engine = _engine(args.db)
    if args.action == "seal":
        result = evidence.seal(engine, actor=actor)
        print(f"{result['sealed']} item(s) sealed in {len(result['seals'])} audit entr(ies)")
        return 0
    manifest = evidence.export(engine, args.out, actor=actor, platform=args.platform,
                               since=times.parse(args.since, "from"), until=times.parse(args.until, "to"),
                               label=args.label, referral_id=args.referral)
    print(f"{manifest['items']} item(s) -> {manifest['dir']}  ({manifest['sealed_now']} newly sealed)")
    print(f"audit head {manifest['audit']['head']}")
    print(f"sha256 of SHA256SUMS {manifest['sha256sums']}  (record it with the hand-over)")
    return 0


def _engine(db):
    from marsad.store.db import connect
    from marsad.store.metadata import metadata
    engine = connect(db)
    metadata.create_all(engine)
    return engine
