"""Weekly trends per route, departure place and price per person, with spike alerts.

  marsad trends --db URL [--from DATE] [--to DATE] [--label HARM] [--window 8]
                [--threshold 3.5] [--json] [--csv FILE]

An alert compares a week with the median and MAD of the weeks before it (robust z-score);
see marsad/report/trends.py. Exit code 0 either way: alerts are information, not errors.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from marsad.cli import add_db_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trends", help="weekly routes, departures and prices with spike alerts",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="since")
    p.add_argument("--to", dest="until")
    p.add_argument("--label", help="one harm (default: every harmful finding)")
    p.add_argument("--window", type=int, default=8, help="weeks of history an alert compares with")
    p.add_argument("--threshold", type=float, default=3.5, help="robust z-score that raises an alert")
    p.add_argument("--top", type=int, default=20, help="series per kind")
    p.add_argument("--json", action="store_true", help="print the series and alerts as JSON")
    p.add_argument("--csv", metavar="FILE", help="write the weekly series as CSV")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marsad.report import trends
    from marsad.store.db import connect
    with connect(args.db).connect() as conn:
        data = trends.weekly(conn, since=args.since, until=args.until, label=args.label, top=args.top,
                             window=args.window, threshold=args.threshold)
    if args.csv:
        from marsad.refer import csvsafe
        rows = []
        for kind in ("routes", "departures"):
            for key, values in data[kind].items():
                rows += [(kind[:-1], key, w, v, "") for w, v in zip(data["weeks"], values)]
        for key, s in data["prices"].items():
            rows += [("price", key, w, m, n) for w, m, n in zip(data["weeks"], s["median"], s["n"])]
        Path(args.csv).write_text(csvsafe.to_csv(("series", "key", "week", "value", "prices"), rows),
                                  encoding="utf-8-sig", newline="")
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    _print(data)
    return 0


def _print(data: dict) -> None:
    from rich.table import Table

    from marsad.cli._render import console
    if not data["weeks"]:
        console.print("no findings with routes or prices in this period")
        return
    last = data["weeks"][-4:]
    for kind, title in (("routes", "Routes"), ("departures", "Departure places")):
        table = Table(title=f"{title}: posts per week", title_justify="left", show_edge=False)
        table.add_column(kind[:-1])
        for w in last:
            table.add_column(w, justify="right")
        table.add_column("total", justify="right")
        for key, values in list(data[kind].items())[:10]:
            table.add_row(key, *[str(v) for v in values[-len(last):]], str(sum(values)))
        console.print(table)
    table = Table(title="Price per person (weekly median)", title_justify="left", show_edge=False)
    table.add_column("route / currency")
    for w in last:
        table.add_column(w, justify="right")
    for key, s in list(data["prices"].items())[:10]:
        table.add_row(key, *["-" if m is None else f"{m:,.0f}" for m in s["median"][-len(last):]])
    console.print(table)
    alerts = data["alerts"]
    if not alerts:
        console.print("no alerts")
        return
    table = Table(title="Alerts (newest first)", title_justify="left", show_edge=False)
    for col in ("week", "series", "key", "kind", "value", "median", "score"):
        table.add_column(col, justify="right" if col in ("value", "median", "score") else "left")
    for a in alerts[:20]:
        table.add_row(a["week"], a["series"], a["key"], a["kind"], f"{a['value']:g}", f"{a['median']:g}",
                      f"{a['score']:g}")
    console.print(table)
