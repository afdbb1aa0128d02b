"""A million paused components: resident memory, time to build them, time to shut them down.

Run: ``python -m bench.million [N]`` (default 1,000,000; about 20 s and 1 GB here).  Without
tracemalloc (``bench.core``'s memory row counts allocations with it, which at this size
takes minutes and gigabytes of its own): the growth of this process's resident set.  Issue
13's target: 1M paused components in 1.5 GB.  The last line of output is one JSON object
(also written to bench/results/million.json).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time

from axon import Scheduler

from .core import RESULTS, Idle, _rss_bytes


def million(n: int) -> dict[str, float]:
    gc.collect()
    rss0, t0 = _rss_bytes(), time.perf_counter()
    sched = Scheduler()
    for _ in range(n):
        sched.activate(Idle())
    out: dict[str, float] = {"components": n}

    async def scenario() -> None:
        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()  # every one asleep
            grown = _rss_bytes() - rss0
            assert sched.statistics().paused == n
            out.update(rss_gib=round(grown / 2**30, 3), bytes_each=round(grown / n),
                       build_s=round(time.perf_counter() - t0, 2))
            print(f"{n:,} paused components: resident set +{grown / 2**30:.2f} GiB "
                  f"({grown / n:.0f} bytes each), {out['build_s']:.1f} s to build and put to sleep",
                  flush=True)
            t1 = time.perf_counter()
            sched.shutdown()
        await running
        out["shutdown_s"] = round(time.perf_counter() - t1, 2)
        print(f"shut down in {out['shutdown_s']:.1f} s")

    asyncio.run(scenario())
    out["fits_1_5_gb"] = out["rss_gib"] * 2**30 <= 1.5e9
    return out


if __name__ == "__main__":
    result = json.dumps(million(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
    (RESULTS / "million.json").write_text(result + "\n")
    print(result)
