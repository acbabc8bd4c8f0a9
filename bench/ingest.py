"""Ingest throughput: canonical JSONL -> store, posts/s and peak memory, SQLite and PostgreSQL.

Baseline in the same run: json.loads of every line and nothing else (the floor any ingest
pays), so the ratio survives a noisy shared machine. Memory: peak RSS of a child process
ingesting N and 4N posts — flat means streaming works.
Writes bench/results/ingest.json and .md.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results"

CHILD = r"""
import resource, sys, time, json
from marsad.pipeline import scan
from marsad.store.db import connect
connect(sys.argv[2])   # creating the schema is a one-off, not ingest throughput
detect = len(sys.argv) > 4 and sys.argv[4] == "detect"
jobs = int(sys.argv[5]) if len(sys.argv) > 5 else 1
detector = None
if detect:             # loading (or training) the model, starting workers: one-offs too
    from marsad.detect.engine import TextEngine
    from marsad.detect.parallel import ProcessDetector
    detector = ProcessDetector(TextEngine.load, jobs) if jobs > 1 else TextEngine.load()
t = time.perf_counter()
s = scan([sys.argv[1]], db=sys.argv[2], detector=detector, quarantine=sys.argv[3], detect_lang=detect)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "new": s.new, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_input(path: Path, n: int) -> None:
    texts = ["رحلة إلى إيطاليا من زوارة، السعر ٣٠٠٠ يورو للشخص، واتساب +218 91 234 5678",
             "Bodrum'dan Kos'a geçiş, aileler için uygun. Telegram: t.me/ornek_kanal",
             "Beautiful weather in Tunis today, going to the beach with friends and family."]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"b{i}", "platform": ("facebook", "telegram", "x")[i % 3],
                                 "author_id": f"acc{i % 5000}", "author_handle": f"h{i % 5000}",
                                 "created_at": "2025-03-01T12:00:00Z", "lang": "ar",
                                 "text": texts[i % 3] + f" #{i}"}, ensure_ascii=False) + "\n")


def child(src: Path, url: str, tmp: Path, detect: bool = False, jobs: int = 1) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", CHILD, str(src), url, str(tmp / "q.jsonl")]
                         + (["detect", str(jobs)] if detect else []),
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_realistic(path: Path, n: int) -> bool:
    """n distinct posts of the dev set's kind (texts joined at random, ids unique, no lang
    given), for the end-to-end figure with detection; False when ../shared is not there."""
    import random
    dev = ROOT.parent / "shared" / "data" / "dev" / "posts.jsonl"
    if not dev.exists():
        return False
    rows = [json.loads(line) for line in dev.open(encoding="utf-8") if line.strip()]
    rng = random.Random(7)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            a, b = rng.choice(rows), rng.choice(rows)
            fh.write(json.dumps({"id": f"r{i}", "platform": a.get("platform") or "telegram",
                                 "author_id": f"acc{rng.randrange(3000)}", "created_at": "2025-03-01T12:00:00Z",
                                 "text": a["text"] + "\n" + b["text"]}, ensure_ascii=False) + "\n")
    return True


def parse_only(src: Path) -> float:
    t = time.perf_counter()
    with open(src, "rb") as fh:
        for line in fh:
            json.loads(line)
    return time.perf_counter() - t


def main(n: int = 100_000, repeats: int = 3) -> dict:
    results: dict = {"n": n}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src = tmp / "in.jsonl"
        make_input(src, n)
        big = tmp / "big.jsonl"
        make_input(big, 4 * n)
        runs, base = [], []
        for r in range(repeats):
            base.append(parse_only(src))
            res = child(src, f"sqlite:///{tmp}/r{r}.db", tmp)
            assert res["new"] == n
            runs.append(res)
        med = statistics.median(x["seconds"] for x in runs)
        results["sqlite"] = {"median_s": med, "posts_per_s": n / med,
                             "baseline_json_parse_posts_per_s": n / statistics.median(base),
                             "ratio_to_parse_only": med / statistics.median(base),
                             "rss_mb_n": statistics.median(x["rss_mb"] for x in runs)}
        bigres = child(big, f"sqlite:///{tmp}/big.db", tmp)
        results["sqlite"]["rss_mb_4n"] = bigres["rss_mb"]
        results["sqlite"]["posts_per_s_4n"] = 4 * n / bigres["seconds"]
        real = tmp / "real.jsonl"
        n_real = n // 5
        if make_realistic(real, n_real):
            off = [child(real, f"sqlite:///{tmp}/off{r}.db", tmp) for r in range(repeats)]
            on = [child(real, f"sqlite:///{tmp}/on{r}.db", tmp, detect=True) for r in range(repeats)]
            t_off = statistics.median(x["seconds"] for x in off)
            t_on = statistics.median(x["seconds"] for x in on)
            cores = len(os.sched_getaffinity(0))
            par = [child(real, f"sqlite:///{tmp}/par{r}.db", tmp, detect=True, jobs=cores)
                   for r in range(repeats)] if cores > 1 else []
            results["end_to_end"] = {"n": n_real, "posts_per_s_detection_off": n_real / t_off,
                                     "posts_per_s_detection_on": n_real / t_on,
                                     "jobs": cores, "posts_per_s_detection_on_jobs":
                                         n_real / statistics.median(x["seconds"] for x in par) if par else None,
                                     "rss_mb_detection_on": statistics.median(x["rss_mb"] for x in on)}
        try:
            from tests.pgserver import PgServer
            pg = PgServer()
            url = pg.start()
            try:
                pruns = [child(src, _db(url, f"b{r}"), tmp) for r in range(repeats)]
                pmed = statistics.median(x["seconds"] for x in pruns)
                results["postgres"] = {"median_s": pmed, "posts_per_s": n / pmed}
            finally:
                pg.stop()
        except Exception as exc:  # no server binaries here: say so, do not fail the bench
            results["postgres"] = {"error": str(exc)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ingest.json").write_text(json.dumps(results, indent=2))
    s = results["sqlite"]
    md = [f"# Ingest benchmark ({n:,} canonical JSONL posts, detection off, lang given)", "",
          "Timed: read, validate, hash, store (schema creation excluded). Median of 3 runs, each in a fresh process.", "",
          "| store | median s | posts/s | baseline json.loads posts/s | ratio | peak RSS N / 4N (MB) |",
          "|---|---|---|---|---|---|",
          f"| SQLite | {s['median_s']:.2f} | {s['posts_per_s']:,.0f} | {s['baseline_json_parse_posts_per_s']:,.0f} "
          f"| {s['ratio_to_parse_only']:.1f}x | {s['rss_mb_n']:.0f} / {s['rss_mb_4n']:.0f} |"]
    p = results["postgres"]
    if "posts_per_s" in p:
        md.append(f"| PostgreSQL | {p['median_s']:.2f} | {p['posts_per_s']:,.0f} | | | |")
    e = results.get("end_to_end")
    if e:
        md += ["", f"End to end, `marsad scan` into SQLite of {e['n']:,} distinct posts made of two dev-set "
               "texts each (~240 characters, no language given): "
               f"**{e['posts_per_s_detection_on']:,.0f} posts/s** with language identification, text "
               f"detection and entities (peak RSS {e['rss_mb_detection_on']:.0f} MB), against "
               f"{e['posts_per_s_detection_off']:,.0f} posts/s storing the same file without them "
               "(median of 3 runs each)."]
        if e.get("posts_per_s_detection_on_jobs"):
            md += ["", f"The same scan with `--jobs {e['jobs']}` (one detection worker per core, worker start "
                   f"excluded like the model load): **{e['posts_per_s_detection_on_jobs']:,.0f} posts/s**, "
                   f"{e['posts_per_s_detection_on_jobs'] / e['posts_per_s_detection_on']:.2f}x one process."]
    (OUT / "ingest.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return results


def _db(base: str, name: str) -> str:
    from sqlalchemy import create_engine, text
    eng = create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
