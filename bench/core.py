"""Core benchmark: Axon's per-hop cost against a raw generator chain, in one process.

Run: ``python -m bench.core`` (``--quick`` for a smoke run).  Prints a table and writes
``bench/results/core.json``.  These machines are noisy, so every Axon figure is measured
in rounds, each between two fresh measurements of the floor, and reported as the median
of its rounds' ratios (the ns/hop columns are the best rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import platform
import statistics
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from axon import (
    RECEIVE, RECEIVE_ONE, Component, Pipeline, ProducerFinished, Scheduler, Shutdown,
    core_implementation,
)

STAGES = 10
RESULTS = Path(__file__).parent / "results"

TARGETS = {
    "burst_ratio": 2.0,
    "per_message_ratio": 12.0,
    "classic_burst_ratio": 2.0,
    "classic_per_message_ratio": 15.0,
    "paused_slowdown_pct": 5.0,
    "create_us": 5.0,
    "full_setup_us": 10.0,  # make, boxes, links, activate and finish one component
    "setup_vs_asyncio": 1.0,  # a 100-stage pipeline built, used once and torn down
    "paused_bytes": 1536.0,  # memory per paused component (1M in 1.5 GB)
}


# -- the floor: a raw generator chain ------------------------------------------------------


def floor_ns_per_hop(n: int) -> float:
    """``target.send((yield))`` through ``STAGES`` stages into a counting sink."""
    count = [0]

    def sink() -> Generator[None, Any, None]:
        while True:
            (yield)
            count[0] += 1

    def stage(target: Any) -> Generator[None, Any, None]:
        send = target.send
        while True:
            send((yield))

    g: Any = sink()
    next(g)
    for _ in range(STAGES):
        g = stage(g)
        next(g)
    send = g.send
    t0 = time.perf_counter()
    for i in range(n):
        send(i)
    elapsed = time.perf_counter() - t0
    assert count[0] == n, count
    return elapsed / n / STAGES * 1e9


# -- structural references for one message per timeslice ------------------------------------


def round_robin_ns_per_hop(n: int, pause_wake: bool) -> float:
    """The least any round-robin scheduler of generators can cost per hop, one message per
    timeslice: twelve generators (source, 10 stages, sink) over plain deques.  With
    ``pause_wake`` an empty stage sleeps and the sender wakes it (what makes paused
    components free); without, every stage runs every round (what a busy system costs)."""
    queues: list[deque[int]] = [deque() for _ in range(STAGES + 2)]
    done = [0]

    def source(out: Any) -> Generator[None, None, None]:
        for i in range(n):
            out(i)
            yield

    def stage(inq: deque[int], out: Any) -> Generator[None, None, None]:
        pop = inq.popleft
        while True:
            while inq:
                out(pop())
            yield

    def sink(inq: deque[int]) -> Generator[None, None, None]:
        while done[0] < n:
            while inq:
                inq.popleft()
                done[0] += 1
            yield

    gens = [source(queues[1].append)]
    gens += [stage(queues[i], queues[i + 1].append) for i in range(1, STAGES + 1)]
    gens.append(sink(queues[STAGES + 1]))
    inq = [queues[i] for i in range(STAGES + 2)]
    awake = [True] * len(gens)
    ready = deque(range(len(gens)))
    pop, push = ready.popleft, ready.append
    last = len(gens) - 1
    t0 = time.perf_counter()
    while ready:
        i = pop()
        try:
            next(gens[i])
        except StopIteration:
            if i == last:
                break
            continue
        if pause_wake:
            nxt = i + 1
            if nxt <= last and not awake[nxt] and inq[nxt]:
                awake[nxt] = True
                push(nxt)
            if i and not inq[i]:
                awake[i] = False
                continue
        push(i)
    elapsed = time.perf_counter() - t0
    assert done[0] == n
    return elapsed / n / STAGES * 1e9


# -- Axon, written as the README shows ---------------------------------------------------------


class Source(Component):
    """Sends ``n`` integers, ``per_slice`` per timeslice, then ProducerFinished."""

    def __init__(self, n: int, per_slice: int) -> None:
        super().__init__()
        self.n = n
        self.per_slice = per_slice
        self.t_start = 0.0

    def main(self) -> Generator[None, None, None]:
        self.t_start = time.perf_counter()
        out = self.outboxes["outbox"]
        n, k = self.n, self.per_slice
        for start in range(0, n, k):
            for i in range(start, min(start + k, n)):
                out.push(i)
            yield
        self.send(ProducerFinished(), "signal")


class Identity(Component):
    """Passes every message on, one by one (the README's idiom)."""

    def main(self) -> Generator[None, None, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for msg in batch:
                out.push(msg)
        self.send(self.end_message, "signal")


class SendIdentity(Component):
    """The same with ``self.send`` per message and the finished/recv_all/pause idiom."""

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            for msg in self.recv_all():
                self.send(msg)
            self.pause()
            yield
        self.send(self.end_message, "signal")


class OneIdentity(Component):
    """Passes every message on, taking one per ``yield RECEIVE_ONE`` (the scheduler's
    slower path for it: bench.instructions measures its cost beside RECEIVE's)."""

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (msg := (yield RECEIVE_ONE)) is not None:
            out.push(msg)
        self.send(self.end_message, "signal")


class BulkIdentity(Component):
    """Passes each batch on whole (``send_many``: one C-level extend)."""

    def main(self) -> Generator[None, None, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.send_many(batch)
        self.send(self.end_message, "signal")


class Counter(Component):
    """Counts what arrives; at the end notes the time and stops the idle components."""

    def __init__(self, stop: list[Component]) -> None:
        super().__init__()
        self.count = 0
        self.t_end = 0.0
        self.stop = stop

    def main(self) -> Generator[None, None, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.count += len(batch)
        self.t_end = time.perf_counter()
        for c in self.stop:
            c.inboxes["control"].put(Shutdown())


class Idle(Component):
    """Pauses at once and never wakes (until told to stop)."""

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            self.pause()
            yield


def axon_ns_per_hop(n: int, per_slice: int, stage: type[Component] = Identity,
                    idle: int = 0, stages: int = STAGES) -> float:
    """Time from the source's first timeslice to the sink's last, per message per stage."""
    sched = Scheduler()
    idlers = [Idle() for _ in range(idle)]
    for c in idlers:  # activated first: they pause before the source starts
        sched.activate(c)
    source, counter = Source(n, per_slice), Counter(stop=idlers)
    sched.activate(Pipeline(source, *[stage() for _ in range(stages)], counter))
    sched.run()
    assert counter.count == n, (counter.count, n)
    return (counter.t_end - source.t_start) / n / stages * 1e9


def create_us(count: int) -> float:
    """Constructing components (their boxes are made on first use)."""
    gc.collect()
    t0 = time.perf_counter()
    items = [Identity() for _ in range(count)]
    elapsed = time.perf_counter() - t0
    assert len(items) == count
    return elapsed / count * 1e6


def create_wire_us(count: int) -> float:
    """Constructing, wiring into one Pipeline (boxes and two links each) and activating."""
    gc.collect()
    t0 = time.perf_counter()
    system = Pipeline(*[Identity() for _ in range(count)])
    Scheduler().activate(system)
    elapsed = time.perf_counter() - t0
    return elapsed / count * 1e6


SETUP_STAGES = 100


def full_setup_us(cycles: int, stages: int = SETUP_STAGES) -> float:
    """A component's whole life, per component: make it, its boxes and links (a Pipeline
    of ``stages`` identity stages between a source and a sink), activate it, pass one
    message and the end of the stream through, and let it finish (the run tears it down).
    Inside one event loop, as :func:`asyncio_setup_us` is (``run()`` would make a loop per
    pipeline)."""
    async def main() -> float:
        t0 = time.perf_counter()
        for _ in range(cycles):
            counter = Counter(stop=[])
            sched = Scheduler()
            sched.activate(Pipeline(Source(1, 1), *[Identity() for _ in range(stages)], counter))
            await sched.run_async()
            assert counter.count == 1
        return (time.perf_counter() - t0) / (cycles * (stages + 2)) * 1e6

    return asyncio.run(main())


def asyncio_setup_us(cycles: int, stages: int = SETUP_STAGES) -> float:
    """The same in asyncio: a task per stage, an ``asyncio.Queue`` per link, a sentinel
    ends the stream; per task.  (The event loop is made once, outside the timing.)"""
    end = object()

    async def source(out: asyncio.Queue[Any]) -> None:
        out.put_nowait(0)
        out.put_nowait(end)

    async def stage(inq: asyncio.Queue[Any], out: asyncio.Queue[Any]) -> None:
        while True:
            msg = await inq.get()
            out.put_nowait(msg)
            if msg is end:
                return

    async def sink(inq: asyncio.Queue[Any], box: list[int]) -> None:
        while (await inq.get()) is not end:
            box[0] += 1

    async def main() -> float:
        t0 = time.perf_counter()
        for _ in range(cycles):
            box = [0]
            queues: list[asyncio.Queue[Any]] = [asyncio.Queue() for _ in range(stages + 1)]
            tasks = [asyncio.create_task(source(queues[0]))]
            tasks += [asyncio.create_task(stage(queues[i], queues[i + 1])) for i in range(stages)]
            tasks.append(asyncio.create_task(sink(queues[-1], box)))
            await asyncio.gather(*tasks)
            assert box[0] == 1
        return (time.perf_counter() - t0) / (cycles * (stages + 2)) * 1e6

    return asyncio.run(main())


def paused_bytes(count: int) -> tuple[float, float]:
    """Memory per paused component: ``count`` classic-idiom components (``Idle``),
    activated and run until all are asleep.  Returns (bytes each as tracemalloc counts
    every allocation, bytes each of resident memory growth); ``count`` large enough that
    the interpreter's own allocations do not matter."""
    gc.collect()
    rss0 = _rss_bytes()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    sched = Scheduler()
    idlers = [sched.activate(Idle()) for _ in range(count)]

    async def scenario() -> tuple[int, int]:
        with sched.keep_alive():  # (this code stops them, later)
            running = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()  # every one asleep
            gc.collect()
            traced = tracemalloc.get_traced_memory()[0] - base
            rss = _rss_bytes() - rss0
            assert sched.statistics().paused == count
            for c in idlers:
                c.inboxes["control"].put(Shutdown())
        await running
        return traced, rss

    try:
        traced, rss = asyncio.run(scenario())
    finally:
        tracemalloc.stop()
    return traced / count, rss / count


def linked_paused_bytes(count: int) -> float:
    """Memory per paused pipeline stage: a Pipeline of ``count`` README-idiom stages
    (``Identity``, made in bulk first, as programs make them), activated and run until all
    are asleep: each with its boxes, its inbox's deque and two links.  Bytes each, as
    tracemalloc counts every allocation."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    sched = Scheduler()
    stages = [Identity() for _ in range(count)]
    sched.activate(Pipeline(*stages))

    async def scenario() -> int:
        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async())
            await sched.next_idle()
            gc.collect()
            traced = tracemalloc.get_traced_memory()[0] - base
            assert sched.statistics().paused == count + 1  # (and the Pipeline)
            stages[0].inboxes["control"].put(Shutdown())
        await running
        return traced

    try:
        traced = asyncio.run(scenario())
    finally:
        tracemalloc.stop()
    return traced / count


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    except OSError:  # (not Linux: resident memory not reported)
        return 0


def best(fn: Callable[[], float], repeat: int) -> float:
    """Best of ``repeat`` runs, each after a full collection (earlier runs leave garbage)."""
    results = []
    for _ in range(repeat):
        gc.collect()
        results.append(fn())
    return min(results)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--idle", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--paused", type=int, default=100_000,
                    help="paused components for the memory figure")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--output", type=Path, default=RESULTS / "core.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.messages, args.idle, args.repeat, args.paused = 20_000, 1_000, 1, 10_000
    n = args.messages

    def progress(msg: str) -> None:
        print(f"  .. {msg}", file=sys.stderr, flush=True)

    floors: list[float] = []

    def paired(fn: Callable[[], float]) -> tuple[float, float]:
        """Each round measures the floor just before and just after ``fn``, so drift in the
        machine's speed hits both alike, and divides by their geometric mean; returns the
        best figure and the median ratio."""
        values, ratios = [], []
        for _ in range(args.repeat):
            gc.collect()
            before = floor_ns_per_hop(n)
            gc.collect()
            v = fn()
            gc.collect()
            after = floor_ns_per_hop(n)
            floors.extend((before, after))
            values.append(v)
            ratios.append(v / math.sqrt(before * after))
        return min(values), statistics.median(ratios)

    progress("axon burst (100 per timeslice), each round between two floors")
    burst, burst_r = paired(lambda: axon_ns_per_hop(n, 100))
    progress("axon burst, bulk idiom")
    bulk, bulk_r = paired(lambda: axon_ns_per_hop(n, 100, BulkIdentity))
    progress("axon burst, self.send with finished/recv_all/pause")
    classic, classic_r = paired(lambda: axon_ns_per_hop(n, 100, SendIdentity))
    progress("axon per-message (1 per timeslice)")
    per_msg, per_msg_r = paired(lambda: axon_ns_per_hop(n, 1))
    progress("axon per-message, classic idiom")
    classic_pm, classic_pm_r = paired(lambda: axon_ns_per_hop(n, 1, SendIdentity))
    progress(f"axon per-message with {args.idle} paused components beside it")
    # interleave the two so drift in machine speed hits both alike
    plain_runs, idle_runs = [], []
    for _ in range(max(args.repeat, 3)):
        gc.collect()
        plain_runs.append(axon_ns_per_hop(n // 2, 1))
        gc.collect()
        idle_runs.append(axon_ns_per_hop(n // 2, 1, idle=args.idle))
    plain, with_idle = min(plain_runs), min(idle_runs)
    progress("component creation")
    create = best(lambda: create_us(10_000), args.repeat)
    create_wired = best(lambda: create_wire_us(10_000), args.repeat)
    progress(f"full set-up: a {SETUP_STAGES}-stage pipeline built, used once and torn down, "
             "beside asyncio's")
    setup_cycles = 2 if args.quick else 20
    setups, asyncio_setups, setup_ratios = [], [], []
    for _ in range(max(args.repeat, 3)):  # interleaved, as drift hits both alike
        gc.collect()
        a = full_setup_us(setup_cycles)
        gc.collect()
        b = asyncio_setup_us(setup_cycles)
        setups.append(a)
        asyncio_setups.append(b)
        setup_ratios.append(a / b)
    setup, asyncio_setup = min(setups), min(asyncio_setups)
    setup_r = statistics.median(setup_ratios)
    progress(f"memory: {args.paused:,} paused components")
    mem_traced, mem_rss = paused_bytes(args.paused)
    mem_linked = linked_paused_bytes(max(args.paused // 5, 1000))
    progress("structural references: bare round-robin of generators")
    rr_busy, rr_busy_r = paired(lambda: round_robin_ns_per_hop(n, False))
    rr_pause, rr_pause_r = paired(lambda: round_robin_ns_per_hop(n, True))
    floor = min(floors)

    rows = [
        ("raw generator chain (floor)", floor, 1.0, None),
        ("axon burst, per-message idiom", burst, burst_r, TARGETS["burst_ratio"]),
        ("axon burst, bulk idiom", bulk, bulk_r, None),
        ("axon burst, classic self.send idiom", classic, classic_r, TARGETS["classic_burst_ratio"]),
        ("axon per-message", per_msg, per_msg_r, TARGETS["per_message_ratio"]),
        ("axon per-message, classic idiom", classic_pm, classic_pm_r,
         TARGETS["classic_per_message_ratio"]),
        ("  ref: bare round-robin, no pausing", rr_busy, rr_busy_r, None),
        ("  ref: bare round-robin, pause/wake", rr_pause, rr_pause_r, None),
    ]
    slowdown = (with_idle / plain - 1) * 100
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": sys.version.split()[0],
        "core": core_implementation,  # (bench.ccore: both cores side by side)
        "machine": platform.processor() or platform.machine(),
        "messages": n,
        "stages": STAGES,
        "floor_ns_per_hop": floor,
        "burst_ns_per_hop": burst,
        "burst_ratio": burst_r,
        "bulk_ns_per_hop": bulk,
        "bulk_ratio": bulk_r,
        "classic_burst_ns_per_hop": classic,
        "classic_burst_ratio": classic_r,
        "per_message_ns_per_hop": per_msg,
        "per_message_ratio": per_msg_r,
        "classic_per_message_ns_per_hop": classic_pm,
        "classic_per_message_ratio": classic_pm_r,
        "per_message_best_ratio": per_msg / floor,
        "paused_components": args.idle,
        "paused_plain_ns_per_hop": plain,
        "paused_with_idle_ns_per_hop": with_idle,
        "paused_slowdown_pct": slowdown,
        "create_us": create,
        "create_wire_activate_us": create_wired,
        "setup_stages": SETUP_STAGES,
        "full_setup_us": setup,
        "asyncio_setup_us": asyncio_setup,
        "setup_vs_asyncio": setup_r,
        "paused_components_measured": args.paused,
        "paused_bytes": mem_traced,
        "paused_rss_bytes": mem_rss,
        "linked_paused_bytes": mem_linked,  # a paused pipeline stage, boxes and links
        "round_robin_busy_ns_per_hop": rr_busy,
        "round_robin_busy_ratio": rr_busy_r,
        "round_robin_pause_wake_ns_per_hop": rr_pause,
        "round_robin_pause_wake_ratio": rr_pause_r,
        "per_message_vs_round_robin_pause_wake": per_msg / rr_pause,
        "targets": TARGETS,
    }
    result["met"] = {
        "burst_ratio": result["burst_ratio"] <= TARGETS["burst_ratio"],
        "per_message_ratio": result["per_message_ratio"] <= TARGETS["per_message_ratio"],
        "classic_burst_ratio": classic_r <= TARGETS["classic_burst_ratio"],
        "classic_per_message_ratio": classic_pm_r <= TARGETS["classic_per_message_ratio"],
        "full_setup_us": setup <= TARGETS["full_setup_us"],
        "setup_vs_asyncio": setup_r <= TARGETS["setup_vs_asyncio"],
        "paused_bytes": mem_traced <= TARGETS["paused_bytes"],
        "paused_slowdown_pct": slowdown < TARGETS["paused_slowdown_pct"],
        "create_us": create <= TARGETS["create_us"],
    }

    print(f"\nAxon core benchmark ({core_implementation} core; python -m bench.ccore compares "
          f"both): {STAGES} stages, {n:,} messages, {args.repeat} rounds "
          "(ratio: median of each round's ratio to the floor beside it)")
    print(f"{'workload':34} {'ns/hop':>9} {'x floor':>8} {'target':>8}")
    for name, ns, ratio, target in rows:
        tgt = f"<= {target:g}x" if target else ""
        print(f"{name:34} {ns:9.1f} {ratio:8.2f} {tgt:>8}")
    print(f"{args.idle:,} paused components beside the per-message pipeline: "
          f"{plain:.1f} -> {with_idle:.1f} ns/hop ({slowdown:+.1f}%, target < 5%)")
    print(f"component creation: {create:.2f} us each (target <= 5 us); with boxes, two "
          f"links and activation: {create_wired:.2f} us")
    print(f"full set-up (make, boxes, links, activate, one message, finish), a "
          f"{SETUP_STAGES}-stage pipeline: {setup:.1f} us per component (target <= 10 us); "
          f"asyncio's tasks and queues: {asyncio_setup:.1f} us; Axon/asyncio {setup_r:.2f}x "
          "(median of interleaved rounds; target <= 1x)")
    print(f"memory: {mem_traced:,.0f} bytes per paused component (tracemalloc, "
          f"{args.paused:,} of them; target <= 1,536), resident growth {mem_rss:,.0f} bytes each; "
          f"a paused pipeline stage with its boxes and links {mem_linked:,.0f} bytes")
    print(f"per-message, best round against best floor: {per_msg / floor:.2f}x (busy neighbours "
          "on a shared machine slow Axon's longer runs more than the floor's)")
    print(f"per-message is {per_msg / rr_pause:.1f}x a bare pause/wake round-robin of "
          "generators (the structural cost of one message per timeslice)")
    print("targets met: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in result["met"].items()))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
