"""A million paused components: resident memory, time to build them, time to shut them down.

Run: ``python -m bench.million [N]`` (default 1,000,000; about a minute and 1 GB here).
Without tracemalloc (``bench.core``'s memory row counts allocations with it, which at this
size takes minutes and gigabytes of its own): the growth of the process's resident set.
Twice, each in a fresh child process: as a program would build them, and inside
``axon.building()`` (the cyclic garbage collector paused while they are made).  Issue 13's
target: 1M paused components in 1.5 GB.  The last line of output is one JSON object (also
written to bench/results/million.json).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import subprocess
import sys
import time

from axon import Scheduler, building

from .core import RESULTS, Idle, _rss_bytes


def million(n: int, paused_gc: bool) -> dict[str, float]:
    """Build ``n`` paused classic-idiom components, run until all sleep, shut them down."""
    gc.collect()
    rss0, t0 = _rss_bytes(), time.perf_counter()
    sched = Scheduler()
    with building() if paused_gc else contextlib.nullcontext():
        for _ in range(n):
            sched.activate(Idle())
    out: dict[str, float] = {}

    async def scenario() -> None:
        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()  # every one asleep
            grown = _rss_bytes() - rss0
            assert sched.statistics().paused == n
            out.update(rss_gib=round(grown / 2**30, 3), bytes_each=round(grown / n),
                       build_s=round(time.perf_counter() - t0, 2))
            t1 = time.perf_counter()
            sched.shutdown()
        await running
        out["shutdown_s"] = round(time.perf_counter() - t1, 2)

    asyncio.run(scenario())
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--one", choices=["plain", "building"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:  # (a child: one way, its figures as JSON)
        print(json.dumps(million(args.n, args.one == "building")))
        return {}
    result: dict[str, object] = {"components": args.n}
    for way in ("plain", "building"):
        print(f"[{way}] {args.n:,} components ...", flush=True)
        child = subprocess.run([sys.executable, "-m", "bench.million", str(args.n), "--one", way],
                               capture_output=True, text=True, check=True, timeout=1800)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        result[way] = figures
        print(f"[{way}] resident set +{figures['rss_gib']:.2f} GiB ({figures['bytes_each']} bytes "
              f"each), {figures['build_s']:.1f} s to build and put to sleep, "
              f"{figures['shutdown_s']:.1f} s to shut down", flush=True)
    plain, built = result["plain"], result["building"]
    assert isinstance(plain, dict) and isinstance(built, dict)
    result["build_speedup_with_building"] = round(plain["build_s"] / built["build_s"], 2)
    result["fits_1_5_gb"] = max(plain["rss_gib"], built["rss_gib"]) * 2**30 <= 1.5e9
    line = json.dumps(result)
    (RESULTS / "million.json").write_text(line + "\n")
    print(line)
    return result


if __name__ == "__main__":
    main()
