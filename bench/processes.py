"""Process benchmark: links across a process boundary, and CPU-bound stages on several cores.

Run: ``python -m bench.processes`` (``--quick`` for a smoke run).  Prints a table, writes
``bench/results/processes.json``, and ends with one line of JSON.  In one run:

- *link throughput*: small messages (ints) from this process to a component in a child
  process (``ChildProcess``), sent in batches (1000 a timeslice) and one per timeslice;
- *hop latency*: one message at a time to a child and back, each hop timed with the
  system-wide monotonic clock (``time.perf_counter`` is CLOCK_MONOTONIC on Linux);
- *a CPU-bound 4-stage pipeline*: each stage does a fixed amount of pure-Python work per
  message (units 1, 1, 2, 1: the third is the slowest), run in one process, with one
  process per stage (adjacent stages joined child to child, the default, and again with
  every message relayed through this process, ``direct=False``), and with a 2-worker
  ``WorkerPool`` on the slowest stage (each stage bounded to ``--window`` messages on
  their way into it).  Speed-ups are against the one-process run, measured in the same
  run (best of ``--repeat``), with the machine's load average, its idle CPUs and its CPU
  count in the record, beside figures that the load does not move much: the CPU all the
  processes used against one process's (what the boundaries cost), and the same work
  split over plain processes without Axon (the ceiling the machine offered at that
  moment).  A sweep runs the same total work in messages of 0.25x and 4x the work
  (where processes pay off), and each child's start-up is reported on its own.

Timing starts once every child process has made its component (``ChildProcess.ready``):
starting processes is not counted (a few ms each with the forkserver).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Generator
from functools import partial
from pathlib import Path
from typing import Any

from axon import (
    RECEIVE, ChildProcess, Component, Graphline, Pipeline, ProducerFinished, WorkerPool, run,
)

RESULTS = Path(__file__).parent / "results"
TARGETS = {"batched_msgs_per_s": 1_000_000, "cpu_speedup": 1.8}
LOOP = 25_000  # iterations of pure-Python arithmetic in one unit of work (~1 ms here)


def work(units: float) -> int:
    """A fixed amount of pure-Python work (no I/O, no C call doing it for us)."""
    x = 0
    for i in range(int(units * LOOP)):
        x += i * i % 7
    return x


# -- components (module level: a child process makes them) ---------------------------------


class Source(Component):
    """Sends 0..n-1, ``per_slice`` a timeslice, once every stage in ``wait_for`` is ready."""

    def __init__(self, n: int, per_slice: int, wait_for: list[Any] | None = None) -> None:
        super().__init__()
        self.n, self.per_slice, self.wait_for = n, per_slice, wait_for or []
        self.t0 = self.cpu0 = 0.0

    def main(self) -> Generator[Any, Any, None]:
        for stage in self.wait_for:  # (a few ms: the children are starting)
            yield stage.wait_ready()
        out = self.outboxes["outbox"]
        self.t0 = time.perf_counter()
        self.cpu0 = time.process_time()
        per = self.per_slice
        for start in range(0, self.n, per):
            for i in range(start, min(start + per, self.n)):
                out.push(i)
            yield
        self.send(ProducerFinished(), "signal")


class CountSink(Component):
    """Counts what arrives; at the end sends the count (and checks the order)."""

    def main(self) -> Generator[Any, Any, None]:
        n = 0
        ordered = True
        while (batch := (yield RECEIVE)) is not None:
            if batch[0] != n or batch[-1] != n + len(batch) - 1:
                ordered = False
            n += len(batch)
        self.send((n, ordered))
        self.send(self.end_message, "signal")


class Last(Component):
    """Keeps what arrives and the time the last message came."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []
        self.t1 = self.cpu1 = 0.0

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.items.extend(batch)
            self.t1 = time.perf_counter()
            self.cpu1 = time.process_time()


class Stamp(Component):
    """Echoes each message with the time it arrived and the time it left."""

    def main(self) -> Generator[Any, Any, None]:
        clock = time.perf_counter
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                self.send((x, clock()))
        self.send(self.end_message, "signal")


class Pinger(Component):
    """Sends one timestamp at a time and waits for its echo: two hops per round trip."""

    def __init__(self, n: int, stage: ChildProcess) -> None:
        super().__init__()
        self.n, self.stage = n, stage
        self.hops: list[float] = []

    Inboxes = {"inbox": "echoes", "control": "unused"}

    def main(self) -> Generator[Any, Any, None]:
        yield self.stage.wait_ready()
        clock = time.perf_counter
        for _ in range(self.n):
            self.send(clock())
            while not self.data_ready():
                self.pause()
                yield
            sent, there = self.recv()
            back = clock()
            self.hops += [there - sent, back - there]
        self.send(ProducerFinished(), "signal")


class Work(Component):
    """A CPU-bound stage: ``units`` of work per message, ending its timeslice every
    ``per_slice`` messages so its output moves on while it works."""

    def __init__(self, units: float, per_slice: int = 4) -> None:
        super().__init__()
        self.units, self.per_slice = units, per_slice

    def main(self) -> Generator[Any, Any, None]:
        units, per = self.units, self.per_slice
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for k, x in enumerate(batch, 1):
                work(units)
                out.push(x)
                if k % per == 0:
                    yield
        self.send(self.end_message, "signal")


# -- the measurements ----------------------------------------------------------------------------


def link_throughput(n: int, per_slice: int) -> float:
    """Messages per second from here to a component in a child process."""
    stage = ChildProcess(CountSink)
    src = Source(n, per_slice, [stage])
    last = Last()
    run(Pipeline(src, stage, last), timeout=600)
    (count, ordered), = last.items
    assert count == n and ordered, (count, ordered)
    return n / (last.t1 - src.t0)


def hop_latency(n: int) -> list[float]:
    stage = ChildProcess(Stamp)
    ping = Pinger(n, stage)
    run(Graphline({("ping", "outbox"): ("stage", "inbox"), ("stage", "outbox"): ("ping", "inbox"),
                   ("ping", "signal"): ("stage", "control")}, ping=ping, stage=stage),
        timeout=600)
    return ping.hops


STAGES = (1, 1, 2, 1)
#: Work per message, as multiples of STAGES, for the sweep (the same total work in
#: smaller or larger messages: where processes pay off).
SWEEP = (0.25, 4.0)  # (and 1: the run above)
#: Messages on their way into each stage.  Bounded, so that the stages before the slowest
#: cannot race ahead and take the cores it needs (with 10,000 they finished early and left
#: it alone on one core at the end).
WINDOW = 16


#: The layouts measured: the stages in this process; one process per stage (adjacent
#: stages joined child to child, as ChildProcess does by default); the same with every
#: message relayed through this process (``direct=False``: how it was before); and a
#: 2-worker pool on the slowest stage (a pool relays through this process).
KINDS = ("in_process", "per_stage", "per_stage_relayed", "pool")


def cpu_pipeline(kind: str, n: int, scale: float = 1.0, window: int = WINDOW
                 ) -> tuple[float, float, float, list[float], list[float]]:
    """Seconds for ``n`` messages through the four stages (each ``scale`` times the
    units of STAGES), run as ``kind`` says; the CPU seconds this process spent meanwhile
    (with processes: passing messages on); the CPU seconds every process spent while
    timed (the children's from when they had made their component: start-up is not in
    it); and each child's start-up, in seconds and CPU seconds."""
    stand_ins: list[Any] = []

    def stage(units: float) -> Component:
        if kind == "in_process":
            return Work(units)
        if kind == "pool" and units == max(STAGES) * scale:
            pool = WorkerPool(partial(Work, units), 2, max_in_flight=window)
            return pool
        cp = ChildProcess(partial(Work, units), window=window,
                          direct=kind != "per_stage_relayed")
        stand_ins.append(cp)
        return cp

    stages = [stage(u * scale) for u in STAGES]
    pools = [s for s in stages if isinstance(s, WorkerPool)]
    for p in pools:
        stand_ins.extend(p.workers)
    src = Source(n, 8, stand_ins)
    last = Last()
    run(Pipeline(src, *stages, last), timeout=600)
    assert last.items == list(range(n)), kind
    here = last.cpu1 - src.cpu0
    stats = [s.statistics() for s in stand_ins if isinstance(s, ChildProcess)]
    there = sum(s.cpu_seconds or 0.0 for s in stats)
    return (last.t1 - src.t0, here, here + there,
            [s.start_seconds for s in stats if s.start_seconds is not None],
            [s.start_cpu_seconds for s in stats if s.start_cpu_seconds is not None])


def _raw_worker(units: int, conn: Any) -> None:
    conn.send("ready")
    conn.recv()  # go
    cpu = time.process_time()
    for _ in range(units):
        work(1)
    conn.send((time.perf_counter(), time.process_time() - cpu))


def raw_parallel(units: int) -> tuple[float, float, float, float]:
    """The machine's own ceiling for this work, without Axon: ``units`` of work in this
    process, and the same split over one plain process per CPU (started first, then
    timed from a common go).  Returns the seconds and the CPU seconds of each way."""
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    k = os.cpu_count() or 1
    pipes = [ctx.Pipe() for _ in range(k)]
    procs = [ctx.Process(target=_raw_worker, args=(units // k, child))  # type: ignore[attr-defined]
             for _, child in pipes]
    for p in procs:
        p.start()
    for conn, _ in pipes:
        conn.recv()
    t0 = time.perf_counter()
    for conn, _ in pipes:
        conn.send("go")
    ends = [conn.recv() for conn, _ in pipes]
    for p in procs:
        p.join()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(units // k * k):
        work(1)
    one, one_cpu = time.perf_counter() - start, time.process_time() - cpu
    return one, max(t for t, _ in ends) - t0, one_cpu, sum(c for _, c in ends)


def idle_cpus(seconds: float = 1.0) -> float | None:
    """How many CPUs sat idle over ``seconds`` (from /proc/stat; None where there is none):
    what other work on the machine leaves for ours."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # all, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return None
    return (os.cpu_count() or 1) * (idle1 - idle0) / max(1, total1 - total0)


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (small counts)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--output", type=Path, default=None,
                        help="where the record goes (bench/results/processes.json; "
                             "processes_cpu.json with --cpu-only)")
    parser.add_argument("--window", type=int, default=WINDOW,
                        help=f"messages on their way into each stage (default {WINDOW})")
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the CPU-bound pipeline (no link figures in the record)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each round of the CPU-bound runs, wait for 90%% of "
                             "the CPUs to be idle, for up to this long in all (a shared "
                             "machine)")
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = RESULTS / ("processes_cpu.json" if args.cpu_only else "processes.json")
    quick = args.quick
    repeat = 1 if quick else args.repeat
    n_batched = 20_000 if quick else 2_000_000
    n_single = 2_000 if quick else 50_000
    n_ping = 200 if quick else 2_000
    n_cpu = 12 if quick else 400
    load_before = os.getloadavg()
    print(f"processes: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} "
          f"(python {platform.python_version()}, start method: forkserver)", flush=True)

    batched = single = p50 = p99 = float("nan")
    if not args.cpu_only:
        batched = max(link_throughput(n_batched, 1000) for _ in range(repeat))
        print(f"[link] batched (1000 a timeslice): {batched / 1e6:.2f}M msgs/s", flush=True)
        single = max(link_throughput(n_single, 1) for _ in range(repeat))
        print(f"[link] one message a timeslice:   {single / 1e3:.1f}k msgs/s "
              f"(batched is {batched / single:.1f}x)", flush=True)
        hops = hop_latency(n_ping)
        p50, p99 = percentile(hops, 0.5) * 1e6, percentile(hops, 0.99) * 1e6
        print(f"[latency] one hop: p50 {p50:.0f} µs, p99 {p99:.0f} µs ({len(hops)} hops)",
              flush=True)

    deadline = time.monotonic() + args.wait_quiet

    def wait_quiet() -> float | None:
        """(--wait-quiet) Wait for the others' work to pause, until the deadline."""
        idle = idle_cpus()
        while (idle is not None and idle < 0.9 * (os.cpu_count() or 1)
               and time.monotonic() < deadline):
            idle = idle_cpus()
        return idle

    idle = wait_quiet()
    if idle is not None:
        print(f"[cpu] idle before: {idle:.2f} of {os.cpu_count()} CPUs (other work takes the "
              "rest, and caps any speed-up)", flush=True)
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    here: dict[str, list[float]] = {k: [] for k in times}  # CPU of this process
    total: dict[str, list[float]] = {k: [] for k in times}  # CPU of every process
    starts: list[float] = []  # each child's start-up: seconds, and CPU seconds
    start_cpus: list[float] = []
    raw: list[float] = []  # the machine's own ceiling, measured between them
    raw_cpu: list[float] = []  # and how much more CPU the same work took in parallel
    sweep: dict[float, dict[str, list[float]]] = {
        scale: {"in_process": [], "per_stage": []} for scale in SWEEP}
    idle_rounds: list[float | None] = []  # idle CPUs as each round began
    for r in range(repeat):  # interleaved, so a burst of load hits each kind alike
        idle_rounds.append(idle if r == 0 else wait_quiet())
        for kind, seconds in times.items():
            wall, cpu, cpu_all, up, up_cpu = cpu_pipeline(kind, n_cpu, 1.0, args.window)
            seconds.append(wall)
            here[kind].append(cpu)
            total[kind].append(cpu_all)
            starts += up
            start_cpus += up_cpu
        one, many, one_cpu, many_cpu = raw_parallel(n_cpu * sum(STAGES))
        raw.append(one / many)
        raw_cpu.append(many_cpu / one_cpu)
        for scale, walls in sweep.items():  # the same work in smaller or larger messages
            for kind in walls:
                walls[kind].append(cpu_pipeline(kind, max(4, round(n_cpu / scale)), scale,
                                                args.window)[0])
        i_r = idle_rounds[-1]
        print(f"    (round {r + 1} of {repeat}: load average {os.getloadavg()[0]:.2f}, "
              f"{'?' if i_r is None else f'{i_r:.2f}'} CPUs idle as it began)", flush=True)
    best = {k: min(v) for k, v in times.items()}
    relay = {k: min(v) / n_cpu * 1e6 for k, v in here.items() if k != "in_process"}
    # what the processes cost in CPU, whatever the load: the most any number of idle
    # cores could give is the work's CPU time over all of it, times the cores
    work_cpu = min(total["in_process"])
    efficiency = {k: work_cpu / min(v) for k, v in total.items() if k != "in_process"}
    ncpu = os.cpu_count() or 1
    units = sum(STAGES)  # (a stage in one process can use one CPU: the slowest caps it)
    bound = {k: min(ncpu, units / (max(STAGES) / (2 if k == "pool" else 1))) * e
             for k, e in efficiency.items()}
    # the CPU the processes cost beyond what running the work in parallel cost anyway
    own = {k: 1 / v / min(raw_cpu) for k, v in efficiency.items()}
    speed = {k: best["in_process"] / v for k, v in best.items() if k != "in_process"}
    speed_stage, speed_pool = speed["per_stage"], speed["pool"]
    sweep_speed = {scale: min(w["in_process"]) / min(w["per_stage"])
                   for scale, w in sweep.items()}
    sweep_speed = dict(sorted({**sweep_speed, 1.0: speed_stage}.items()))
    per_msg_ms = best["in_process"] / n_cpu * 1e3
    print(f"[cpu] 4 stages (work {'+'.join(map(str, STAGES))} units, {per_msg_ms:.2f} ms a "
          f"message in one process), {n_cpu} messages, best of {repeat}:", flush=True)
    print(f"    one process        {best['in_process']:.3f} s", flush=True)
    print(f"    process per stage  {best['per_stage']:.3f} s  ({speed_stage:.2f}x; this process "
          f"spent {relay['per_stage']:.0f} µs a message passing messages on; stages joined "
          "child to child)", flush=True)
    print(f"      all relayed here {best['per_stage_relayed']:.3f} s  "
          f"({speed['per_stage_relayed']:.2f}x; {relay['per_stage_relayed']:.0f} µs a "
          "message; direct=False)", flush=True)
    print(f"    + pool of 2 on S3  {best['pool']:.3f} s  ({speed_pool:.2f}x; "
          f"{relay['pool']:.0f} µs a message)", flush=True)
    print(f"    the same work in {ncpu} plain processes (no Axon): {max(raw):.2f}x "
          f"(the machine's own ceiling as it was; best of {len(raw)})", flush=True)
    print("    CPU used by all processes against one process's: "
          + ", ".join(f"{k} {1 / v:.2f}x" for k, v in efficiency.items())
          + f", so on {ncpu} idle CPUs at most "
          + ", ".join(f"{v:.2f}x" for v in bound.values()), flush=True)
    print(f"    (the same work alone took {min(raw_cpu):.2f}x the CPU in {ncpu} plain "
          "processes at once: Axon's own share is "
          + ", ".join(f"{v - 1:+.0%}" for v in own.values()) + ")", flush=True)
    print(f"    a child's start-up (not timed above): {percentile(starts, 0.5) * 1e3:.1f} ms, "
          f"{percentile(start_cpus, 0.5) * 1e3:.1f} ms of its CPU (median of {len(starts)})",
          flush=True)
    print("    work per message against the speed-up of one process per stage: "
          + ", ".join(f"{scale:g}x ({per_msg_ms * scale:.2f} ms): {v:.2f}x"
                      for scale, v in sweep_speed.items()), flush=True)
    load_after = os.getloadavg()
    result: dict[str, Any] = {
        "batched_msgs_per_s": None if args.cpu_only else round(batched),
        "single_msgs_per_s": None if args.cpu_only else round(single),
        "speedup": None if args.cpu_only else round(batched / single, 2),
        "hop_latency_us": None if args.cpu_only else {"p50": round(p50, 1),
                                                      "p99": round(p99, 1)},
        "cpu_pipeline": {
            "stages_units": list(STAGES), "messages": n_cpu, "window": args.window,
            "seconds": {k: round(v, 4) for k, v in best.items()},
            "all_seconds": {k: [round(x, 4) for x in v] for k, v in times.items()},
            "speedup_process_per_stage": round(speed_stage, 2),
            "speedup_process_per_stage_relayed": round(speed["per_stage_relayed"], 2),
            "speedup_pool_on_slowest": round(speed_pool, 2),
            "parent_cpu_us_per_message": {k: round(v, 1) for k, v in relay.items()},
            "cpu_seconds_all_processes": {k: round(min(v), 4) for k, v in total.items()},
            "cpu_efficiency": {k: round(v, 3) for k, v in efficiency.items()},
            "speedup_bound_on_idle_cpus": {k: round(v, 2) for k, v in bound.items()},
            "raw_parallel_speedup": round(max(raw), 2),
            "raw_parallel_cpu_ratio": round(min(raw_cpu), 3),
            "axon_cpu_share": {k: round(v - 1, 3) for k, v in own.items()},
            "all_raw_parallel_speedups": [round(x, 2) for x in raw],
            "child_start_ms": round(percentile(starts, 0.5) * 1e3, 1),
            "child_start_cpu_ms": round(percentile(start_cpus, 0.5) * 1e3, 1),
            "sweep_speedup_process_per_stage": {f"{k:g}": round(v, 2)
                                                for k, v in sweep_speed.items()},
            "sweep_seconds": {f"{k:g}": {kind: [round(x, 4) for x in v]
                                         for kind, v in w.items()}
                              for k, w in sweep.items()},
        },
        "cpus": os.cpu_count(),
        "idle_cpus_before_cpu_pipeline": None if idle is None else round(idle, 2),
        "idle_cpus_before_each_round": [None if x is None else round(x, 2)
                                        for x in idle_rounds],
        "load_average": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "targets": TARGETS,
        "quick": quick,
        "python": platform.python_version(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    met = {
        "batched_msgs_per_s": None if args.cpu_only else batched >= TARGETS[
            "batched_msgs_per_s"],
        # (a smoke run's dozen messages show nothing either way)
        "cpu_speedup": None if quick else max(speed_stage, speed_pool) >= TARGETS[
            "cpu_speedup"],
    }
    result["met"] = met
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"targets met: {', '.join(k for k, v in met.items() if v) or 'none'}"
          f" (load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)", flush=True)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
