"""The six workloads: what each measures, its sizes, and how one peer is measured on it.

A workload runs in a fresh interpreter (``bench._child``) that measures the floor and then
every other peer, one after the other, and reports one JSON record per peer. Figures are
best-of-``repeats`` (these machines are noisy), and every sink count is checked: a peer whose
sinks did not receive every message gets an error, never a figure.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from time import perf_counter


@dataclass(frozen=True)
class Figure:
    """One reported number: its key in the JSON, a label for tables, its unit."""

    key: str
    label: str
    unit: str
    lower_is_better: bool = True


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    figures: tuple[Figure, ...]
    full: dict = field(default_factory=dict)
    quick: dict = field(default_factory=dict)

    def params(self, quick: bool) -> dict:
        return dict(self.quick if quick else self.full)


NS_HOP = "ns/hop"
WORKLOADS: dict[str, Workload] = {w.name: w for w in (
    Workload(
        "pipeline", "Pipeline throughput: source, 10 identity stages, sink",
        (Figure("per_message", "per-message (1 msg/timeslice)", NS_HOP),
         Figure("burst", "burst (100 msgs/timeslice)", NS_HOP)),
        full={"n": 200_000, "stages": 10, "burst": 100, "repeats": 3},
        quick={"n": 2_000, "stages": 10, "burst": 100, "repeats": 1}),
    Workload(
        "batched", "Batched pipeline: the same, each message a 100-item list",
        (Figure("per_message", "batched, per-message", "items/s", lower_is_better=False),
         Figure("burst", "batched, burst", "items/s", lower_is_better=False)),
        full={"items": 2_000_000, "batch": 100, "stages": 10, "burst": 100, "repeats": 3},
        quick={"items": 20_000, "batch": 100, "stages": 10, "burst": 100, "repeats": 1}),
    Workload(
        "fanout", "Fan-out: 1 publisher to 100 subscribers",
        (Figure("delivery", "fan-out", "ns/delivery"),),
        full={"n": 20_000, "subscribers": 100, "repeats": 3},
        quick={"n": 200, "subscribers": 100, "repeats": 1}),
    Workload(
        "many", "Many components: 10,000 idle beside a per-message pipeline",
        (Figure("create", "create+start one idle component", "us"),
         Figure("pipeline", "pipeline beside them", NS_HOP)),
        full={"idle": 10_000, "n": 100_000, "stages": 10, "repeats": 1},
        quick={"idle": 300, "n": 2_000, "stages": 10, "repeats": 1}),
    Workload(
        "build", "Build, use once and tear down a 100-stage pipeline",
        (Figure("cycle", "build+1 msg+teardown, 100 stages", "us"),),
        full={"stages": 100, "cycles": 20, "repeats": 3},
        quick={"stages": 100, "cycles": 2, "repeats": 1}),
    Workload(
        "process", "Whole process: start, import, 1,000 msgs through 3 stages, exit",
        (Figure("wall", "whole process wall time", "ms"),
         Figure("import", "import of the peer", "ms"),
         Figure("peak_rss", "peak RSS", "MB")),
        full={"n": 1_000, "stages": 3, "repeats": 3},
        quick={"n": 1_000, "stages": 3, "repeats": 1}),
)}


class CountMismatch(AssertionError):
    """A sink did not receive exactly what was sent."""


def _check(received, expected, what="sink"):
    if isinstance(received, list):
        bad = [i for i, c in enumerate(received) if c != expected]
        if bad:
            raise CountMismatch(
                f"{len(bad)} of {len(received)} subscribers did not receive {expected} "
                f"messages (e.g. subscriber {bad[0]}: {received[bad[0]]})")
    elif received != expected:
        raise CountMismatch(f"{what} received {received} of {expected}")


def _scaled(n, module, minimum=1):
    return max(minimum, int(n * getattr(module, "SCALE", 1.0)))


def _best(fn, repeats):
    """Run ``fn`` ``repeats`` times (garbage collected before each); keep the fastest."""
    best = None
    for _ in range(repeats):
        gc.collect()
        run = fn()
        if best is None or run.seconds < best.seconds:
            best = run
    return best


def measure(workload: str, module, quick: bool) -> tuple[dict, dict]:
    """Measure one peer on one workload. Returns (figures, params actually used)."""
    p = WORKLOADS[workload].params(quick)
    reps = p.pop("repeats")
    if workload == "pipeline":
        n, hops = _scaled(p["n"], module), p["stages"] + 1
        figures = {}
        for key, burst in (("per_message", 1), ("burst", p["burst"])):
            run = _best(lambda burst=burst: module.pipeline(n, p["stages"], burst, 0), reps)
            _check(run.received, n)
            figures[key] = run.seconds / (n * hops) * 1e9
        return figures, {**p, "n": n}
    if workload == "batched":
        lists = _scaled(p["items"] // p["batch"], module)
        items = lists * p["batch"]
        figures = {}
        for key, burst in (("per_message", 1), ("burst", p["burst"])):
            run = _best(lambda burst=burst: module.pipeline(lists, p["stages"], burst, p["batch"]),
                        reps)
            _check(run.received, items)
            figures[key] = items / run.seconds
        return figures, {**p, "items": items}
    if workload == "fanout":
        n, subs = _scaled(p["n"], module), p["subscribers"]
        run = _best(lambda: module.fanout(n, subs), reps)
        _check(run.received, n)
        return {"delivery": run.seconds / (n * subs) * 1e9}, {**p, "n": n}
    if workload == "many":
        n = _scaled(p["n"], module)
        idle = min(p["idle"], getattr(module, "MAX_IDLE", p["idle"]))
        run = _best(lambda: module.many(idle, n, p["stages"]), reps)
        _check(run.received, n)
        return ({"create": run.setup_seconds / idle * 1e6,
                 "pipeline": run.seconds / (n * (p["stages"] + 1)) * 1e9},
                {**p, "n": n, "idle": idle})
    if workload == "build":
        cycles = _scaled(p["cycles"], module, minimum=min(2, p["cycles"]))
        run = _best(lambda: module.build_teardown(p["stages"], cycles), reps)
        _check(run.received, cycles)
        return {"cycle": run.seconds / cycles * 1e6}, {**p, "cycles": cycles}
    if workload == "process":
        return _whole_process(module.__name__.rsplit(".", 1)[-1][:-5], p, reps)
    raise KeyError(workload)


def _whole_process(peer: str, p: dict, reps: int) -> tuple[dict, dict]:
    """Start a fresh interpreter that imports the peer and runs a small pipeline."""
    best = None
    for _ in range(reps):
        cmd = [sys.executable, "-m", "bench._whole", peer, str(p["n"]), str(p["stages"])]
        start = perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                              cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        wall = perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.strip()[-800:]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        _check(out["received"], p["n"])
        record = {"wall": wall * 1e3, "import": out["import_s"] * 1e3,
                  "peak_rss": out["maxrss_kb"] / 1024}
        if best is None or record["wall"] < best["wall"]:
            best = record
    return best, p


def interpreter_start_ms(reps: int = 3) -> float:
    """Wall time of ``python -c pass``: the part of every whole-process figure no peer owns."""
    best = float("inf")
    for _ in range(reps):
        start = perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        best = min(best, perf_counter() - start)
    return best * 1e3
