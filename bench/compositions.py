"""Compositions benchmark: backplane fan-out and Handle round trips.

Run: ``python -m bench.compositions`` (``--quick`` for a smoke run).  Prints a table and
writes ``bench/results/compositions.json``.  Best of ``--repeat`` runs each.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from axon import RECEIVE, Backplane, Component, Handle, Pipeline, ProducerFinished, PublishTo
from axon import Scheduler, SubscribeTo

RESULTS = Path(__file__).parent / "results"

TARGETS = {"handle_round_trips_per_s": 50_000}


class Source(Component):
    def __init__(self, n: int, per_slice: int) -> None:
        super().__init__()
        self.n, self.per_slice = n, per_slice

    def main(self) -> Generator[None, Any, None]:
        out = self.outboxes["outbox"]  # the box is stable; its push is rebound by links
        sent = 0
        while sent < self.n:
            push = out.push
            for i in range(sent, min(sent + self.per_slice, self.n)):
                push(i)
            sent = min(sent + self.per_slice, self.n)
            yield
        self.send(ProducerFinished(), "signal")


class Counter(Component):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.count += len(batch)


class Identity(Component):
    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                out.push(x)
        self.send(self.end_message, "signal")


def backplane_delivered_per_s(n: int, subscribers: int, per_slice: int) -> float:
    """Messages delivered per second: 1 publisher, ``subscribers`` subscribers."""
    sched = Scheduler()
    counters = [Counter() for _ in range(subscribers)]
    sched.activate(Backplane("bench"))
    for c in counters:
        sched.activate(Pipeline(SubscribeTo("bench"), c))
    sched.activate(Pipeline(Source(n, per_slice), PublishTo("bench", end_backplane=True)))
    t0 = time.perf_counter()
    sched.run(timeout=300)
    elapsed = time.perf_counter() - t0
    assert all(c.count == n for c in counters), [c.count for c in counters][:3]
    return n * subscribers / elapsed


def handle_pipelined_per_s(n: int) -> float:
    """Round trips per second through an identity component, puts ahead of gets."""
    with Handle(Identity()) as h:
        h.put(-1)
        h.get(timeout=10)
        t0 = time.perf_counter()
        for i in range(n):
            h.put(i)
        for i in range(n):
            if h.get(timeout=30) != i:
                raise AssertionError("out of order")
        return n / (time.perf_counter() - t0)


def handle_ping_pong_per_s(n: int) -> float:
    """Round trips per second, one message at a time (put, then wait for it)."""
    with Handle(Identity()) as h:
        t0 = time.perf_counter()
        for i in range(n):
            h.put(i)
            h.get(timeout=10)
        return n / (time.perf_counter() - t0)


def best(fn: Callable[[], float], repeat: int) -> float:
    return max(fn() for _ in range(repeat))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    scale = 10 if args.quick else 1
    rows: list[tuple[str, float, str]] = []
    results: dict[str, Any] = {}

    def record(key: str, label: str, value: float, unit: str) -> None:
        results[key] = value
        rows.append((label, value, unit))
        print(f"  {label}: {value:,.0f} {unit}", file=sys.stderr)

    record("backplane_100_subscribers_delivered_per_s", "backplane, 1 pub -> 100 subs (batches of 1000)",
           best(lambda: backplane_delivered_per_s(100_000 // scale, 100, 1000), repeat), "msgs/s")
    record("backplane_100_subscribers_1_per_slice_per_s", "backplane, 1 pub -> 100 subs (1 per slice)",
           best(lambda: backplane_delivered_per_s(20_000 // scale, 100, 1), repeat), "msgs/s")
    record("handle_round_trips_per_s", "Handle round trips, pipelined",
           best(lambda: handle_pipelined_per_s(200_000 // scale), repeat), "trips/s")
    record("handle_ping_pong_per_s", "Handle round trips, one at a time",
           best(lambda: handle_ping_pong_per_s(5_000 // scale), repeat), "trips/s")

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'value':>14}  unit")
    for label, value, unit in rows:
        print(f"{label.ljust(width)}  {value:>14,.0f}  {unit}")
    ok = results["handle_round_trips_per_s"] >= TARGETS["handle_round_trips_per_s"]
    print(f"Handle target >= {TARGETS['handle_round_trips_per_s']:,} round trips/s: "
          f"{'met' if ok else 'NOT met'}")
    out = {"python": sys.version.split()[0], "platform": platform.platform(),
           "quick": args.quick, "targets": TARGETS, "results": results}
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "compositions.json").write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
