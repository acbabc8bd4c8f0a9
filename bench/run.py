"""`make bench`: every benchmark in turn; each writes bench/results/<name>.json and .md."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
# Cheapest first; each is its own process so one's memory does not colour another's.
BENCHES = ["ingest.py", "entities.py", "detect.py", "media.py", "networks.py", "refer.py", "api.py"]


def main() -> int:
    failed = []
    for name in BENCHES:
        t = time.perf_counter()
        print(f"== bench/{name}", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / name)])
        print(f"== bench/{name}: exit {rc} in {time.perf_counter() - t:.0f}s", flush=True)
        if rc:
            failed.append(name)
    print("results in bench/results/" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
