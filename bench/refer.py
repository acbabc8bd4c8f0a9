"""Evidence and referral figures at size: seal, export, verify a bundle, check the store,
package referrals and compute removal stats, on a generated store.

Posts are generated directly (fictional ids and texts, no detection: this measures the
evidence and referral stages, not the classifier). Writes bench/results/refer.json and .md.

    .venv/bin/python bench/refer.py [--posts 100000] [--items 20000]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marsad.model import Post  # noqa: E402
from marsad.refer import packages, tracking  # noqa: E402
from marsad.report import evidence  # noqa: E402
from marsad.store import writer  # noqa: E402
from marsad.store.db import connect  # noqa: E402
from marsad.store.metadata import metadata  # noqa: E402

OUT = Path(__file__).parent / "results"


def timed(results: dict, name: str, fn):
    t = time.perf_counter()
    value = fn()
    results[name] = round(time.perf_counter() - t, 2)
    print(f"{name}: {results[name]} s", flush=True)
    return value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=20_000)
    args = ap.parse_args()
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="marsad-bench-refer-"))
    engine = connect(f"sqlite:///{tmp / 'm.db'}")
    metadata.create_all(engine)
    res: dict = {"posts": args.posts, "items": args.items}

    def insert():
        with engine.begin() as conn:
            for i in range(0, args.posts, 5000):
                writer.insert_posts(conn, [Post(
                    id=f"p{j}", platform=rng.choice(("facebook", "x", "tiktok", "telegram")), text=f"post {j}",
                    author_id=f"a{j % 5000}", created_at="2026-01-01T00:00:00Z",
                    sha256=hashlib.sha256(str(j).encode()).hexdigest(), source="gen.jsonl", line=j)
                    for j in range(i, min(i + 5000, args.posts))])
    timed(res, "insert_posts_s", insert)
    timed(res, "seal_s", lambda: evidence.seal(engine, actor="bench"))
    timed(res, "seal_again_nothing_new_s", lambda: evidence.seal(engine, actor="bench"))
    manifest = timed(res, "export_bundle_s", lambda: evidence.export(engine, tmp / "bundle", actor="bench"))
    res["bundle_mb"] = round(sum(f.stat().st_size for f in (tmp / "bundle").iterdir()) / 1e6, 1)
    ok = timed(res, "verify_bundle_s", lambda: evidence.verify_bundle(tmp / "bundle"))["ok"]
    assert ok and manifest["items"] == args.posts

    def check():
        with engine.connect() as conn:
            return evidence.check_store(conn)
    assert timed(res, "check_store_s", check)["ok"]

    def refer():
        with engine.begin() as conn:
            for n in range(args.items):
                plat = rng.choice(("facebook", "x", "tiktok"))
                host = {"facebook": "facebook.com/p", "x": "x.com/a/status", "tiktok": "tiktok.com/@d/video"}[plat]
                packages.add_item(conn, url=f"https://{host}/{n}", category="migrant_smuggling", actor="bench")
            # a fifth asked again by another unit: de-duplicated
            for n in range(0, args.items, 5):
                packages.add_item(conn, url=f"https://m.facebook.com/p/{n}?fbclid=z", category="migrant_smuggling",
                                  actor="bench2", unit="other")
            return packages.build_packages(conn, actor="bench")
    built = timed(res, "add_items_and_package_s", refer)
    res["packages"] = len(built)
    sent = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def outcomes():
        with engine.begin() as conn:
            for p in built:
                packages.mark_sent(conn, p["id"], actor="bench", at=sent)
            for item_id in range(1, args.items + 1, 2):
                tracking.record_outcome(conn, item_id, "removed", actor="bench",
                                        decided_at=sent + timedelta(hours=rng.uniform(1, 200)))
    timed(res, "record_outcomes_s", outcomes)

    def stats():
        with engine.connect() as conn:
            return tracking.stats(conn, now=sent + timedelta(days=30))
    s = timed(res, "stats_s", stats)
    res["removal_rate"] = s["total"]["removal_rate"]
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    res["machine"] = f"{platform.machine()}, {platform.python_version()}, SQLite"
    OUT.mkdir(exist_ok=True)
    (OUT / "refer.json").write_text(json.dumps(res, indent=2) + "\n")
    rows = "\n".join(f"| {k} | {v} |" for k, v in res.items())
    (OUT / "refer.md").write_text(f"# Evidence and referral stages at size\n\n| measure | value |\n| --- | --- |\n{rows}\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
