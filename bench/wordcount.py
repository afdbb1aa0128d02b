"""Word count benchmark: MapReduce with Axon against a plain Counter and multiprocessing.Pool.

Run: ``python -m bench.wordcount [PATH...]`` (default: the Python standard library;
``--quick`` for a smoke run on one package of it).  On the same files, in one run,
interleaved ``--repeat`` times (best of each kept):

- ``counter``: ``collections.Counter`` in this one process (apps/wordcount/corpus.py's
  ``reference``);
- ``mp_pool``: ``multiprocessing.Pool(N)`` mapping the same shards (``imap_unordered``),
  this process merging the counts;
- ``axon_processes``: ``python -m apps.wordcount --mappers N --reducers R`` (a WorkerPool);
- ``axon_nats``: the same with ``--via nats``: N ``axon serve`` map services on a local
  nats-server (started once, outside the timing; the shards travel as text).

Each time is the whole call, process start-up included, and the MapReduce runs also give
their time from the first shard sent to the merged counts (``work``).  Every answer is
checked against the Counter's.  Prints a table, writes ``bench/results/wordcount.json``
(and a chart, ``wordcount.png``), and ends with one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from apps.wordcount.corpus import (
    Shard,
    default_corpus,
    files_of,
    reference,
    shards_of,
    words,
)
from apps.wordcount.mapreduce import count_words

from .processes import idle_cpus

RESULTS = Path(__file__).parent / "results"


def _count_shard(shard: Shard) -> Counter[str]:
    return Counter(words(shard.read()))


def mp_pool(shards: list[Shard], n: int) -> tuple[Counter[str], float, float]:
    """Counts by multiprocessing.Pool: (counts, total seconds, seconds after start-up)."""
    t0 = time.perf_counter()
    with multiprocessing.get_context("forkserver").Pool(n) as pool:
        pool.map(abs, range(n))  # (every worker up)
        t1 = time.perf_counter()
        total: Counter[str] = Counter()
        for counts in pool.imap_unordered(_count_shard, shards):
            total.update(counts)
        t2 = time.perf_counter()
    return total, t2 - t0, t2 - t1


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", metavar="PATH")
    ap.add_argument("--mappers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--reducers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a smoke run: one stdlib package")
    ap.add_argument("--output", type=Path, default=RESULTS / "wordcount.json")
    ap.add_argument("--chart", type=Path, default=None,
                    help="the chart (default: beside --output, .png)")
    args = ap.parse_args(argv)
    roots = args.paths or ([default_corpus()[0] / "json"] if args.quick else default_corpus())
    repeat = 1 if args.quick else args.repeat
    files = files_of(roots)
    shards = shards_of(files)
    size = sum(os.path.getsize(f) for f in files)
    n, r = args.mappers, args.reducers
    load_before = os.getloadavg()
    print(f"wordcount: {len(files)} files, {size / 1e6:.1f} MB, {len(shards)} shards; "
          f"{n} mappers, {r} reducers; {os.cpu_count()} CPUs, load average "
          f"{load_before[0]:.2f}", flush=True)
    expected = reference(files)  # (also brings the files into the page cache)
    from components.nats import NatsServer

    times: dict[str, list[float]] = {k: [] for k in
                                     ("counter", "mp_pool", "axon_processes", "axon_nats")}
    work: dict[str, list[float]] = {k: [] for k in ("mp_pool", "axon_processes", "axon_nats")}
    faults: dict[str, int] = {"redone": 0, "duplicates": 0}
    idle = idle_cpus()
    with NatsServer() as server:
        for i in range(repeat):
            t0 = time.perf_counter()
            same = reference(files) == expected
            times["counter"].append(time.perf_counter() - t0)
            counts, total, busy = mp_pool(shards, n)
            assert counts == expected, "multiprocessing.Pool gave another answer"
            times["mp_pool"].append(total)
            work["mp_pool"].append(busy)
            for via, key in (("processes", "axon_processes"), ("nats", "axon_nats")):
                t0 = time.perf_counter()
                result = count_words(shards, n, r, via,
                                     nats=server.url if via == "nats" else None)
                times[key].append(time.perf_counter() - t0)
                work[key].append(result.seconds)
                assert result.counts == expected, f"{key} gave another answer"
                faults["redone"] += result.redone
                faults["duplicates"] += result.duplicates
            assert same
            print(f"[{i + 1}/{repeat}] " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in
                                                     times.items()), flush=True)
    best = {k: min(v) for k, v in times.items()}
    best_work = {k: min(v) for k, v in work.items()}
    base = best["counter"]
    print(f"\n{'way':<16} {'seconds':>8} {'speed-up':>9} {'work only':>10}")
    for k, v in best.items():
        w = f"{best_work[k]:.2f} s" if k in best_work else ""
        print(f"{k:<16} {v:8.2f} {base / v:8.2f}x {w:>10}")
    load_after = os.getloadavg()
    result_json: dict[str, Any] = {
        "files": len(files), "bytes": size, "shards": len(shards), "mappers": n, "reducers": r,
        "words": sum(expected.values()), "distinct": len(expected),
        "seconds": {k: round(v, 3) for k, v in best.items()},
        "work_seconds": {k: round(v, 3) for k, v in best_work.items()},
        "all_seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "speedup": {k: round(base / v, 2) for k, v in best.items()},
        "speedup_work": {k: round(base / v, 2) for k, v in best_work.items()},
        "exact": True, "faults": faults, "cpus": os.cpu_count(),
        "idle_cpus_before": None if idle is None else round(idle, 2),
        "load_average": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "python": platform.python_version(), "quick": args.quick,
        "corpus": [str(p) for p in roots],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(f"every answer equal to collections.Counter's; {idle or 0:.2f} of {os.cpu_count()} "
          f"CPUs idle before; load average {load_before[0]:.2f} before, {load_after[0]:.2f} "
          "after", flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result_json, indent=2) + "\n")
    _chart(result_json, args.chart or args.output.with_suffix(".png"))
    print(json.dumps(result_json), flush=True)
    return result_json


def _chart(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(res["seconds"])
    labels = {"counter": "Counter\n(1 process)",
              "mp_pool": f"multiprocessing\nPool({res['mappers']})",
              "axon_processes": "Axon MapReduce\n(processes)",
              "axon_nats": "Axon MapReduce\n(NATS)"}
    fig, ax = plt.subplots(figsize=(7, 3.8))
    total = [res["seconds"][k] for k in names]
    busy = [res["work_seconds"].get(k, res["seconds"][k]) for k in names]
    xs = range(len(names))
    ax.bar(xs, total, color="#BBBBBB", label="whole call (start-up included)")
    ax.bar(xs, busy, width=0.5, color="#4C72B0", label="after the workers are up")
    for x, t, s in zip(xs, total, res["speedup"].values()):
        ax.annotate(f"{t:.2f} s ({s:.2f}x)", (x, t), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), [labels[k] for k in names], fontsize=8)
    ax.set_ylabel("seconds (best of the runs)")
    ax.set_ylim(0, max(total) * 1.35)
    ax.set_title(f"Word count of {res['files']} files ({res['bytes'] / 1e6:.0f} MB): "
                 f"{res['mappers']} mappers, {res['cpus']} CPUs", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
    sys.exit(0)
