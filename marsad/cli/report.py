"""Write the transparency report for a period: HTML with plots (and PDF).

  marsad report --db URL --from 2026-01-01 --to 2026-04-01 --out report.html [--pdf report.pdf]
                [--networks networks.json | --no-networks]

Counts only: items found per harm, platform and language over time, reviews, tips,
referrals and outcomes, time to removal, networks disrupted. No post text, link, handle,
phone number or account id appears in it. ``--to`` is exclusive. Networks come from
``--networks`` (the output of ``marsad networks``) or are computed from the store.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from marsad.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="transparency report (HTML, PDF) for a period",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="since", required=True, help="first day (ISO-8601)")
    p.add_argument("--to", dest="until", required=True, help="day after the last (ISO-8601, exclusive)")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.add_argument("--pdf", help="also write this PDF")
    p.add_argument("--networks", help="networks JSON from `marsad networks` (default: computed from the store)")
    p.add_argument("--no-networks", action="store_true", help="leave the networks section out")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marsad.report import transparency
    from marsad.store.db import connect
    from marsad.store.metadata import metadata
    engine = connect(args.db)
    metadata.create_all(engine)
    networks = None
    if args.networks:
        networks = json.loads(Path(args.networks).read_text(encoding="utf-8"))["networks"]
    elif not args.no_networks:
        from marsad.api.networks import all_networks
        networks = all_networks(engine)
    with engine.connect() as conn:
        data = transparency.write(conn, args.since, args.until, args.out, pdf=args.pdf, networks=networks)
    t = data["referrals"]["total"]
    print(f"{args.out}{' and ' + args.pdf if args.pdf else ''}: {data['found']['total']} item(s) found, "
          f"{t['sent']} referred, {t['removed']} removed")
    return 0
