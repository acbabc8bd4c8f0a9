"""Refer confirmed items to platforms and follow them until the content is gone.

  marsad refer package --db URL --out DIR [--platform P] [--actor NAME] [--unit U]
        every post a reviewer confirmed (and every URL added by hand) not yet referred,
        one package per platform: referral-<id>-<platform>.json and .csv
  marsad refer add URL... --category HARM [--platform P] [--note TEXT]
  marsad refer list [--platform P] [--status draft|sent]
  marsad refer show ID --out DIR                  write a package's files again
  marsad refer sent ID [--at TIME]                 the package went to the platform
  marsad refer outcome ITEM removed|restricted|declined|no_answer [--at TIME] [--ref TICKET]
  marsad refer import FILE [--platform P]          a platform's response file (CSV or JSON)
  marsad refer check [--every SECONDS] [--limit N] [--force]
        re-visit referred URLs that are due (schedule in refer/platforms.yaml)
  marsad refer stats [--from DATE] [--to DATE] [--json] [--csv FILE]
  marsad refer ncmec --out DIR --reporter-email EMAIL [--referral ID] [--incident-type T]
        [--annotation sextortion ...]   CyberTipline report XML for child-exploitation items

Every action is written to the audit log as ``--actor`` (default: cli:$USER).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path

from marsad.cli import add_db_argument
from marsad.model import HARMS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("refer", help="referral packages, outcomes, link checks, removal figures, NCMEC export",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    pkg = verbs.add_parser("package", help="package every confirmed item not yet referred, per platform")
    pkg.add_argument("--out", required=True, help="folder for the JSON and CSV files")
    pkg.add_argument("--platform")

    add = verbs.add_parser("add", help="ask for URLs to be referred (de-duplicated)")
    add.add_argument("urls", nargs="+", metavar="URL")
    add.add_argument("--category", required=True, choices=HARMS)
    add.add_argument("--platform", help="default: from the URL's host")
    add.add_argument("--note")

    ls = verbs.add_parser("list", help="packages, newest first")
    ls.add_argument("--platform")
    ls.add_argument("--status", choices=("draft", "sent"))
    ls.add_argument("--json", action="store_true")

    show = verbs.add_parser("show", help="write a package's JSON and CSV again")
    show.add_argument("id", type=int)
    show.add_argument("--out", required=True)

    sent = verbs.add_parser("sent", help="record that a package was sent")
    sent.add_argument("id", type=int)
    sent.add_argument("--at", help="ISO-8601 time (default: now)")

    out = verbs.add_parser("outcome", help="record a platform's outcome for one item")
    out.add_argument("item", type=int)
    out.add_argument("outcome", help="removed, restricted, declined or no_answer")
    out.add_argument("--at", help="when the platform acted (ISO-8601)")
    out.add_argument("--ref", help="the platform's ticket or case id")
    out.add_argument("--note")

    imp = verbs.add_parser("import", help="record outcomes from a platform's response file")
    imp.add_argument("file")
    imp.add_argument("--platform", help="only match items referred to this platform")

    chk = verbs.add_parser("check", help="re-visit referred URLs that are due")
    chk.add_argument("--every", type=float, metavar="SECONDS", help="keep running, one round every SECONDS")
    chk.add_argument("--limit", type=int, default=200, help="URLs per round (default 200)")
    chk.add_argument("--force", action="store_true", help="visit every unresolved item now, due or not")
    chk.add_argument("--timeout", type=float, default=15.0)

    st = verbs.add_parser("stats", help="removal rate and median time to removal")
    st.add_argument("--from", dest="since")
    st.add_argument("--to", dest="until")
    st.add_argument("--json", action="store_true")
    st.add_argument("--csv", metavar="FILE", help="also write the per platform and category table as CSV")

    nc = verbs.add_parser("ncmec", help="CyberTipline report XML for child-exploitation items")
    nc.add_argument("--out", required=True)
    nc.add_argument("--referral", type=int)
    nc.add_argument("--reporter-email", required=True)
    nc.add_argument("--reporter-first-name")
    nc.add_argument("--reporter-last-name")
    nc.add_argument("--incident-type", help="default: Online Enticement of Children for Sexual Act")
    nc.add_argument("--annotation", action="append", default=[], help="sextortion, csamSolicitation, ...")
    nc.add_argument("--escalate", metavar="REASON", help="ask NCMEC for high priority, saying why")
    nc.add_argument("--no-text", action="store_true", help="leave the post text out")

    for v in (pkg, add, ls, show, sent, out, imp, chk, st, nc):
        add_db_argument(v)
        v.add_argument("--actor", default=None, help="who is acting, for the audit log (default cli:$USER)")
        v.add_argument("--unit", default=None, help="the unit acting (two units asking is still one referral)")
    p.set_defaults(func=run)


def _engine(db):
    from marsad.store.db import connect
    from marsad.store.metadata import metadata
    engine = connect(db)
    metadata.create_all(engine)   # stage tables added since the store was created
    return engine


def _print(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def run(args: argparse.Namespace) -> int:
    from marsad.refer import packages, tracking
    actor = args.actor or f"cli:{getpass.getuser()}"
    engine = _engine(args.db)
    if args.action == "package":
        with engine.begin() as conn:
            result = packages.refer_confirmed(conn, actor=actor, unit=args.unit, platform=args.platform)
            built = packages.build_packages(conn, actor=actor, unit=args.unit, platform=args.platform)
            written = [packages.write_package(packages.package_doc(conn, p["id"]), args.out) for p in built]
        for skip in result["skipped"]:
            print(json.dumps(skip, ensure_ascii=False), file=sys.stderr)
        for p, paths in zip(built, written):
            print(f"referral {p['id']} to {p['platform']}: {p['items']} item(s) -> {', '.join(map(str, paths))}")
        if not built:
            print("nothing new to refer")
        return 0
    if args.action == "add":
        with engine.begin() as conn:
            for url in args.urls:
                item, created = packages.add_item(conn, url=url, category=args.category, actor=actor,
                                                  unit=args.unit, platform=args.platform, note=args.note)
                state = "added" if created else f"already item {item['id']} ({item['requests']} requests)"
                print(f"{item['id']}\t{state}\t{item['url_key']}")
        return 0
    if args.action == "list":
        with engine.connect() as conn:
            rows = packages.list_packages(conn, platform=args.platform, status=args.status)
        if args.json:
            _print(rows)
        for r in [] if args.json else rows:
            print(f"{r['id']}\t{r['platform']}\t{r['status']}\t{r['items']} item(s)\tcreated {r['created_at']}"
                  f"\tsent {r['sent_at'] or '-'}")
        return 0
    if args.action == "show":
        with engine.connect() as conn:
            paths = packages.write_package(packages.package_doc(conn, args.id), args.out)
        print("\n".join(map(str, paths)))
        return 0
    if args.action == "sent":
        with engine.begin() as conn:
            p = packages.mark_sent(conn, args.id, actor=actor, at=args.at)
        print(f"referral {p['id']} sent at {p['sent_at']}")
        return 0
    if args.action == "outcome":
        with engine.begin() as conn:
            row = tracking.record_outcome(conn, args.item, args.outcome, actor=actor, decided_at=args.at,
                                          external_ref=args.ref, note=args.note)
        print(f"item {args.item}: {row['outcome']}")
        return 0
    if args.action == "import":
        data = Path(args.file).read_bytes()
        with engine.begin() as conn:
            result = tracking.import_responses(conn, data, name=args.file, actor=actor, platform=args.platform)
        for err in result["errors"]:
            print(json.dumps(err, ensure_ascii=False), file=sys.stderr)
        print(f"{result['recorded']} outcome(s) recorded, {len(result['errors'])} row(s) not understood")
        return 2 if result["errors"] else 0
    if args.action == "check":
        return _check(engine, args)
    if args.action == "stats":
        with engine.connect() as conn:
            s = tracking.stats(conn, since=args.since, until=args.until)
        if args.csv:
            from marsad.refer import csvsafe
            cols = ("platform", "category", "sent", "removed", "restricted", "declined", "no_answer", "pending",
                    "offline_seen", "removal_rate", "median_hours_to_removal")
            Path(args.csv).write_text(csvsafe.to_csv(cols, ([r[c] for c in cols] for r in s["by_platform_category"])),
                                      encoding="utf-8", newline="")
        if args.json:
            _print(s)
            return 0
        _stats_table(s)
        return 0
    if args.action == "ncmec":
        from marsad.refer import ncmec
        reporter = ncmec.Reporter(email=args.reporter_email, first_name=args.reporter_first_name,
                                  last_name=args.reporter_last_name)
        with engine.begin() as conn:
            result = ncmec.export(conn, args.out, reporter, actor=actor, referral_id=args.referral,
                                  incident_type=args.incident_type or ncmec.DEFAULT_INCIDENT_TYPE,
                                  annotations=args.annotation, escalate=args.escalate,
                                  include_text=not args.no_text)
        print(f"{len(result['reports'])} report(s) in {result['dir']}")
        return 0
    return 2


def _check(engine, args) -> int:
    from marsad.refer import checker
    with checker.default_client(args.timeout) as client:
        while True:
            result = checker.run_checks(engine, client, limit=args.limit, force=args.force)
            states = ", ".join(f"{n} {s}" for s, n in sorted(result["states"].items())) or "nothing due"
            print(f"{result['at']}: {result['checked']} checked ({states})", flush=True)
            if not args.every:
                return 0
            time.sleep(args.every)


def _stats_table(s: dict) -> None:
    from rich.table import Table

    from marsad.cli._render import console
    table = Table(title="Referral outcomes", title_justify="left", show_edge=False)
    for col in ("platform", "category", "sent", "removed", "restricted", "declined", "no answer", "pending",
                "removal rate", "median h"):
        table.add_column(col, justify="left" if col in ("platform", "category") else "right")

    def pct(x):
        return "-" if x is None else f"{x * 100:.1f}%"

    for r in s["by_platform_category"] + [s["total"] | {"platform": "all", "category": ""}]:
        table.add_row(r["platform"], r.get("category", ""), str(r["sent"]), str(r["removed"]), str(r["restricted"]),
                      str(r["declined"]), str(r["no_answer"]), str(r["pending"]), pct(r["removal_rate"]),
                      "-" if r["median_hours_to_removal"] is None else f"{r['median_hours_to_removal']:g}")
    console.print(table)
