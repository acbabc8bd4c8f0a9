"""Train the text model from the shipped corpus and lexicons (plus any extra corpus folders).

Normally automatic: the model is trained on first use and whenever the corpus, a lexicon or
the policy changes. Use this to train ahead of time (e.g. while building an image) or to add
a unit's own labelled posts: ``marsad train --corpus my_labels/``.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the text model (normally automatic)", description=__doc__)
    p.add_argument("--corpus", action="append", default=[], metavar="DIR",
                   help="extra folder of labelled JSONL files (text, label, lang); repeatable")
    p.add_argument("--lexicons", metavar="DIR", help="lexicon folder (default: the shipped one)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time

    from marsad.detect.corpus import CORPUS_DIR
    from marsad.detect.engine import TextEngine, model_dir
    from marsad.detect.lexicon import LEXICON_DIR

    t = time.perf_counter()
    engine = TextEngine.load(corpus_dirs=(CORPUS_DIR, *map(Path, args.corpus)),
                             lexicon_dir=Path(args.lexicons) if args.lexicons else LEXICON_DIR)
    print(f"model {engine.tag} with labels {', '.join(engine.labels)} ready in "
          f"{time.perf_counter() - t:.1f}s (cache: {model_dir()})")
    return 0
