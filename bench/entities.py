"""Entity extraction accuracy and speed on the dev set.

    .venv/bin/python bench/entities.py [--repeats 5] [--errors 20] [--hints]

Accuracy: per type precision/recall/F1 as a multiset match per post against the `entities`
field of /work/shared/data/dev/posts.jsonl and posts_more.jsonl (prices compared as
(amount, currency) pairs). `extract` gets the post's `lang` only, as the pipeline does; with
--hints it also gets the country of the post's dialect (context.hints_for), to show what
knowing the dialect would add. Speed: µs per post (median of repeats) for `extract` (one text
a call) and `extract_many` (batches of 1,000, as the engine calls it) over all dev posts, over
the same posts padded/trimmed to 300 characters of plain text without identifiers, and for a
plain-regex baseline (one findall of a digit pattern) in the same run.
Writes bench/results/entities.json and entities.md.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marsad.detect.entities import extract, extract_many, hints_for  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "dev"
TYPES = ("phones", "handles", "wallets", "prices", "places")


def _key(kind: str, v):
    return (v["amount"], v["currency"]) if kind == "prices" else v


def load() -> list[dict]:
    rows = []
    for name in ("posts.jsonl", "posts_more.jsonl"):
        with open(DEV / name, encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    return rows


def accuracy(rows: list[dict], hints: bool, n_errors: int) -> tuple[dict, dict]:
    tp, fp, fn = Counter(), Counter(), Counter()
    errors: dict[str, list] = {t: [] for t in TYPES}
    for r in rows:
        h = hints_for(r.get("lang"), r.get("dialect")) if hints else ()
        got = extract(r["text"], lang=r.get("lang"), country_hints=h).entities
        for t in TYPES:
            g = Counter(_key(t, v) for v in r["entities"].get(t, []))
            p = Counter(_key(t, v) for v in got.get(t, []))
            tp[t] += sum((g & p).values())
            fp[t] += sum((p - g).values())
            fn[t] += sum((g - p).values())
            if (g != p) and len(errors[t]) < n_errors:
                errors[t].append({"id": r["id"], "lang": r.get("lang"), "dialect": r.get("dialect"),
                                  "missed": [str(x) for x in (g - p)], "extra": [str(x) for x in (p - g)],
                                  "text": r["text"][:220]})
    scores = {}
    for t in TYPES:
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else 1.0
        rc = tp[t] / (tp[t] + fn[t]) if tp[t] + fn[t] else 1.0
        f = 2 * p * rc / (p + rc) if p + rc else 0.0
        scores[t] = {"precision": round(p, 4), "recall": round(rc, 4), "f1": round(f, 4),
                     "tp": tp[t], "fp": fp[t], "fn": fn[t]}
    return scores, errors


_BASELINE = re.compile(r"[+\d][\d\s\-.]{6,}\d")
_PLAIN = ("The weather in the city was fine today and people went out to the market to buy bread, "
          "fruit and vegetables; the children played in the park while their parents talked. ")
_PLAIN_AR = "كان الجو جميلا اليوم وخرج الناس إلى السوق لشراء الخبز والفواكه والخضار، ولعب الأطفال في الحديقة بينما تحدث الآباء. "


def timing(texts: list[tuple[str, str | None]], repeats: int) -> dict:
    def run(over_all) -> float:
        """µs a text of ``over_all()``, which reads every text once (median of the repeats)."""
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            over_all()
            times.append((time.perf_counter() - t0) / len(texts) * 1e6)
        return round(statistics.median(times), 2)

    def one_by_one(fn):
        def over_all():
            for text, lang in texts:
                fn(text, lang)
        return over_all

    def in_batches():
        for k in range(0, len(texts), 1000):
            batch = texts[k:k + 1000]
            extract_many([t for t, _ in batch], [lang for _, lang in batch])

    return {"extract_us": run(one_by_one(lambda t, lang: extract(t, lang=lang))), "extract_many_us": run(in_batches),
            "regex_baseline_us": run(one_by_one(lambda t, lang: _BASELINE.findall(t)))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--errors", type=int, default=15)
    ap.add_argument("--hints", action="store_true", help="also pass the dialect's country")
    ap.add_argument("--show", choices=TYPES, help="print the errors of one type")
    args = ap.parse_args()
    rows = load()
    extract_many(["warm up 0912345678 زوارة 3000 يورو"], ["ar"])

    scores, errors = accuracy(rows, hints=False, n_errors=args.errors)
    scores_h, _ = accuracy(rows, hints=True, n_errors=0)
    dev_texts = [(r["text"], r.get("lang")) for r in rows]
    plain = [((_PLAIN * 3)[:300], "en"), ((_PLAIN_AR * 3)[:300], "ar")] * 200
    speed = {"dev_posts": timing(dev_texts, args.repeats), "plain_300_chars": timing(plain, args.repeats),
             "posts": len(rows), "repeats": args.repeats}
    result = {"scores": scores, "scores_with_dialect_hints": scores_h, "speed": speed}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "entities.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md = ["# Entity extraction (bench/entities.py)", "",
          f"Dev set: {len(rows)} posts (posts.jsonl + posts_more.jsonl), multiset match per post. "
          "`extract` gets the post's `lang` only; the last column passes the dialect's country too.", "",
          "| type | precision | recall | F1 | tp | fp | fn | F1 with dialect hints |", "|---|---|---|---|---|---|---|---|"]
    for t in TYPES:
        s = scores[t]
        md.append(f"| {t} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['tp']} | {s['fp']} | {s['fn']} "
                  f"| {scores_h[t]['f1']:.3f} |")
    md += ["", "Speed, µs per post (median of %d repeats, one core):" % args.repeats, "",
           "| texts | extract, one text a call | extract_many, batches of 1,000 | plain regex baseline |",
           "|---|---|---|---|"]
    for key, label in (("dev_posts", f"dev posts (mean {sum(len(t) for t, _ in dev_texts) // len(dev_texts)} chars)"),
                       ("plain_300_chars", "300-char posts without identifiers (en, ar)")):
        sp = speed[key]
        md.append(f"| {label} | {sp['extract_us']} | {sp['extract_many_us']} | {sp['regex_baseline_us']} |")
    md.append("")
    (out / "entities.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    if args.show:
        for e in errors[args.show]:
            print(json.dumps(e, ensure_ascii=False))


if __name__ == "__main__":
    main()
