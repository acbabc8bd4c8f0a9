"""Classify posts (canonical JSONL) without storing anything: one output line per input line.

Output per line (DESIGN.md): id, label, risk, scores, lang, indicators, entities. A bad input
line gives {"line": N, "error": "..."} on stderr; the run goes on; exit code 2 if any was bad.
"""
from __future__ import annotations

import argparse
import json
import sys

from marsad.cli import add_jobs_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="classify JSONL posts, stateless", description=__doc__)
    p.add_argument("input", metavar="IN.jsonl", help="canonical JSONL ('-' for stdin)")
    p.add_argument("--out", metavar="OUT.jsonl", default="-", help="output ('-' for stdout, default)")
    p.add_argument("--batch", type=int, default=1000)
    add_jobs_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from marsad.detect.classify import classify_lines

    detector = None
    if args.jobs > 1:
        from marsad.pipeline import default_detector
        detector = default_detector(args.jobs)
        args.batch = max(args.batch, 1000 * args.jobs)     # a slice per worker
    fin = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    fout = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")
    bad = 0
    try:
        for item in classify_lines(fin, source=args.input, batch=args.batch, detector=detector):
            if "error" in item:
                bad += 1
                print(json.dumps(item, ensure_ascii=False), file=sys.stderr)
            else:
                fout.write(json.dumps(item, ensure_ascii=False) + "\n")
    finally:
        if detector is not None:
            detector.close()
        if fout is not sys.stdout:
            fout.close()
        if fin is not sys.stdin.buffer:
            fin.close()
    return 2 if bad else 0
