"""Print the PDQ hash (hex) and quality of images, and of every image under folders.

One line per image: ``PDQ,QUALITY,PATH`` (the reference pdq-photo-hasher's shape), or a
JSON object per line with ``--json`` (adds SHA-256, MD5, size and format). A file that
cannot be read gives an error line ``{"file": ..., "error": ...}`` on stderr and the run
goes on; the exit code is 2 if any file failed.
"""
from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hash", help="PDQ-hash images (JPEG, PNG, WebP, GIF first frame)",
                       description=__doc__)
    p.add_argument("paths", nargs="+", metavar="IMAGE_OR_FOLDER")
    p.add_argument("--json", action="store_true", help="a JSON object per image")
    p.add_argument("--dihedral", action="store_true",
                   help="also print the 7 rotated/flipped PDQ hashes (with --json)")
    p.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from marsad.cli._render import err_console, progress_bar
    from marsad.detect.media import hash_files, iter_image_paths

    paths = list(iter_image_paths(args.paths))
    folders = any(Path(p).is_dir() for p in args.paths)
    show = folders and not args.no_progress and sys.stderr.isatty()
    failed = 0
    with progress_bar(show, "hashing", total=len(paths)) as advance:
        for done, (path, h, error) in enumerate(
                hash_files(paths, jobs=args.jobs, dihedral=args.dihedral), 1):
            if error:
                failed += 1
                line = json.dumps({"file": path, "error": error}, ensure_ascii=False)
                if show:   # above the live bar, not through it
                    err_console.print(line, markup=False, highlight=False, soft_wrap=True)
                else:
                    print(line, file=sys.stderr)
            elif args.json:
                print(json.dumps({"file": path, **h.as_dict()}, ensure_ascii=False), flush=False)
            else:
                print(f"{h.pdq},{h.quality},{path}")
            advance(done)
    return 2 if failed else 0
