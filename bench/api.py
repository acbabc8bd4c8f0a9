"""API latency: POST /api/classify (one post) at a fixed request rate, from a second process.

`marsad serve` runs in its own process on a loopback port with a fresh SQLite store; this
script is the client. The load is open-loop: request i is sent at t0 + i/rate whatever
happened to the ones before, and its latency is counted from that scheduled time, so a
slow server cannot hide its queueing (no coordinated omission). Baseline at the same rate:
GET /healthz (auth-free, no work), which is the floor the HTTP stack itself costs here.

Posts are texts from /work/shared/data/dev/posts.jsonl when present (else the test
fixture), cycled. Bounded: RATE x SECONDS requests per phase, then it stops.
Writes bench/results/api.json and .md.

    .venv/bin/python bench/api.py [--rate 100] [--seconds 10]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results"
DEV = Path("/work/shared/data/dev/posts.jsonl")
FIXTURE = ROOT / "tests" / "fixtures" / "api" / "posts.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_posts(limit: int = 2000) -> list[dict]:
    path = DEV if DEV.exists() else FIXTURE
    keep = ("id", "platform", "text", "lang", "author_id", "created_at")
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out.append({k: d[k] for k in keep if d.get(k) is not None})
            if len(out) >= limit:
                break
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def phase(url: str, method: str, path: str, bodies: list[dict] | None, headers: dict,
                rate: float, seconds: float) -> dict:
    n = int(rate * seconds)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30, limits=limits) as client:
        t0 = time.perf_counter() + 0.2

        async def one(i: int) -> None:
            scheduled = t0 + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                if bodies is None:
                    r = await client.request(method, path)
                else:
                    r = await client.request(method, path, json=bodies[i % len(bodies)])
                ok = r.status_code == 200
                key = None if ok else f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            if key:
                errors[key] = errors.get(key, 0) + 1
            else:
                latencies.append((time.perf_counter() - scheduled) * 1000)

        await asyncio.gather(*(one(i) for i in range(n)))
        wall = time.perf_counter() - t0
    return {"requests": n, "ok": len(latencies), "errors": errors, "achieved_rps": round(n / wall, 1),
            "p50_ms": round(percentile(latencies, 0.50), 2), "p90_ms": round(percentile(latencies, 0.90), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2), "max_ms": round(max(latencies or [0]), 2)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    posts = load_posts()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="marsad-bench-api-") as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        marsad = [sys.executable, "-m", "marsad"]
        token = subprocess.run(marsad + ["keys", "create", "--role", "analyst", "--db", db], env=env,
                               capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        port = free_port()
        server = subprocess.Popen(marsad + ["serve", "--db", db, "--port", str(port), "--log-level", "warning"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("server did not start: " + (server.stderr.read().decode()[-2000:]
                                                                 if server.poll() is not None else "timeout"))
                time.sleep(0.2)
            auth = {"Authorization": f"Bearer {token}"}
            # Warm-up, not measured: the first classify loads (or, after a lexicon or corpus
            # change, trains) the model; wait for it, then warm the connections.
            httpx.post(url + "/api/classify", json=posts[0], headers=auth, timeout=600).raise_for_status()
            # A long-running server has met many posts: lazy per-region phone metadata and
            # regex caches are warm. Give it the bench's posts once, batched, before measuring.
            for i in range(0, len(posts), 200):
                httpx.post(url + "/api/classify/batch", json={"posts": posts[i:i + 200]}, headers=auth,
                           timeout=600).raise_for_status()
            asyncio.run(phase(url, "POST", "/api/classify", posts, auth, 20, 2))
            health = asyncio.run(phase(url, "GET", "/healthz", None, {}, args.rate, args.seconds))
            classify = asyncio.run(phase(url, "POST", "/api/classify", posts, auth, args.rate, args.seconds))
        finally:
            server.terminate()
            server.wait(10)
    result = {"bench": "api", "rate_rps": args.rate, "seconds": args.seconds, "cores": os.cpu_count(),
              "python": platform.python_version(), "posts_from": str(DEV if DEV.exists() else FIXTURE.name),
              "baseline_healthz": health, "classify_one": classify,
              "classify_minus_baseline_p50_ms": round(classify["p50_ms"] - health["p50_ms"], 2),
              "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "api.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    rows = [("GET /healthz (baseline)", health), ("POST /api/classify (one post)", classify)]
    md = [f"# API latency at {args.rate:g} requests/s for {args.seconds:g} s (open loop, loopback, "
          f"server in its own process, {os.cpu_count()} cores shared)", "",
          "| route | requests | ok | errors | achieved rps | p50 ms | p90 ms | p99 ms | max ms |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in rows:
        md.append(f"| {name} | {r['requests']} | {r['ok']} | {sum(r['errors'].values())} | {r['achieved_rps']} | "
                  f"{r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} |")
    md += ["", f"Machine load (1-min average) before/after: {result['load_average_1min']['before']} / "
               f"{result['load_average_1min']['after']} (other work shares these cores; p99 moves with it).",
           "", "Latency is counted from each request's scheduled send time (no coordinated omission). "
               "Posts: " + result["posts_from"] + ", cycled. `bench/api.py` regenerates this file."]
    (OUT / "api.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
