"""From timing logs to figures: throughput, latency, where each stage's time goes.

For each message and stage ``k`` (stamps as in apps/pipeline_lab/record.py):

- *transfer*: from the previous stage's ``end`` (the source's ``sent`` for the first) to
  ``enter``: the link, pipe or NATS hop, and any wait for room in a full inbox;
- *queueing*: ``start - enter``, waiting at the stage while it worked on others;
- *service*: ``end - start``, the stage's work (at least its configured time);
- *cpu*: the CPU time of the work (a CPU stage sharing a core shows service > cpu).

A run's *throughput* is its messages over the span from the first ``sent`` to the last
``done``; *latency* is ``done - sent`` per message.  A stage's *utilisation* is the time
its processes spent serving over the span times the number of processes that served it.
The *bound* is what the stages and cores allow at best: with ``n_k`` processes (or one
component) at stage ``k`` taking ``t_k`` each, ``min_k n_k / t_k``, and, since CPU work in
one process takes turns, ``cores / sum of cpu`` (one core per process, at most the
machine's); sequential variants (P0, P1) are bounded by ``1 / sum of t_k``.  ``t_k`` is
the configured time, or longer where the stage's CPU work measured longer than calibrated
(on a shared machine the same work takes more CPU time when others load the cores).
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from typing import Any

from .config import StageSpec
from .record import CPU, END, ENTER, PID, START, Run

__all__ = ["RunStats", "StageStats", "analyse", "findings", "format_table", "percentile"]


def percentile(xs: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``xs``, by linear interpolation (0.0 if empty)."""
    if not xs:
        return 0.0
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass
class StageStats:
    name: str
    kind: str
    configured_ms: float
    configured_cpu_ms: float
    processes: int
    service_ms: float  # mean
    service_p50_ms: float
    queue_ms: float  # mean
    transfer_ms: float  # mean
    transfer_p50_ms: float
    transfer_p10_ms: float  # the quickest hops: the link itself, without waiting for room
    cpu_ms: float  # mean
    wait_ms: float  # median of service - cpu: the part of the service spent waiting
    utilisation: float  # 0..1


@dataclass
class RunStats:
    label: str
    variant: str
    path: str
    messages: int  # received (logged)
    expected: int
    duplicates: int
    span_s: float
    throughput: float
    latency_ms: dict[str, float]  # p50, p90, p99, max, mean
    stages: list[StageStats]
    bound: float  # msg/s the model allows (see the module docstring)
    bound_reason: str
    cpu_ms_per_msg: float | None  # every process's CPU per message (None: not known)
    work_cpu_ms_per_msg: float  # the stages' own CPU per message
    cores: int
    load: list[float]
    idle_cpus: float | None
    overlapped: bool  # some service intervals overlap (stages ran at the same time)
    header: dict[str, Any] = field(repr=False, default_factory=dict)


def _to_driver_clock(run: Run) -> None:
    """Stamps from other machines onto the driver's clock (their offsets to the wall
    clock, which the services reported); a run on one machine is left as it is."""
    host = run.header.get("host")
    procs = run.end.get("processes") or {}
    shift = {int(pid): p["clock_offset_ns"] - run.header["clock_offset_ns"]
             for pid, p in procs.items()
             if p.get("host") not in (None, host) and "clock_offset_ns" in p}
    if not shift:
        return
    for msg in run.messages:
        for st in msg["stages"]:
            d = shift.get(st[PID], 0)
            if d:
                st[ENTER] += d
                st[START] += d
                st[END] += d


def _overlaps(run: Run) -> bool:
    spans = sorted((st[START], st[END]) for m in run.messages for st in m["stages"])
    return any(b[0] < a[1] for a, b in itertools.pairwise(spans))


def analyse(run: Run) -> RunStats:
    """The figures of one run."""
    _to_driver_clock(run)
    msgs = run.messages
    names = run.stage_names
    specs = run.header["config"]["stages"]
    if not msgs:
        raise ValueError(f"{run.path}: no messages came through")
    first = min(m["sent"] for m in msgs)
    last = max(m["done"] for m in msgs)
    span = max(last - first, 1) / 1e9
    lat = [(m["done"] - m["sent"]) / 1e6 for m in msgs]
    n_st = len(names)
    service: list[list[float]] = [[] for _ in range(n_st)]
    queue: list[list[float]] = [[] for _ in range(n_st)]
    transfer: list[list[float]] = [[] for _ in range(n_st)]
    cpu: list[list[float]] = [[] for _ in range(n_st)]
    pids: list[set[int]] = [set() for _ in range(n_st)]
    for m in msgs:
        prev = m["sent"]
        for st in m["stages"]:
            k = st[0]
            service[k].append((st[END] - st[START]) / 1e6)
            queue[k].append((st[START] - st[ENTER]) / 1e6)
            transfer[k].append((st[ENTER] - prev) / 1e6)
            cpu[k].append(st[CPU] / 1e6)
            pids[k].add(st[PID])
            prev = st[END]
    alloc = run.header.get("allocation") or [0] * n_st
    stages = []
    for k in range(n_st):
        procs = max(1, len(pids[k])) if alloc[k] else 1
        waits = [s - c for s, c in zip(service[k], cpu[k])]
        stages.append(StageStats(
            names[k], specs[k]["kind"], specs[k]["ms"],
            StageSpec(**specs[k]).cpu_ns / 1e6, procs,
            statistics.fmean(service[k]), percentile(service[k], 0.5),
            statistics.fmean(queue[k]), statistics.fmean(transfer[k]),
            percentile(transfer[k], 0.5), percentile(transfer[k], 0.1),
            statistics.fmean(cpu[k]),
            max(0.0, percentile(waits, 0.5)),
            sum(service[k]) / 1e3 / (span * procs)))
    cores = int(run.header.get("cpus") or 1)
    bound, reason = _bound(run.variant, stages, cores, alloc)
    cpu_rec = run.end.get("cpu_seconds") or {}
    total_cpu: float | None = None
    if cpu_rec:
        children = cpu_rec.get("children") or {}
        if all(v is not None for v in children.values()):
            total_cpu = float(cpu_rec.get("driver") or 0.0) + sum(children.values())
    work_cpu = sum(s.cpu_ms for s in stages)
    return RunStats(
        run.label, run.variant, run.path, len(msgs), int(run.header["config"]["messages"]),
        int(run.end.get("duplicates") or 0), span, len(msgs) / span,
        {"p50": percentile(lat, 0.5), "p90": percentile(lat, 0.9),
         "p99": percentile(lat, 0.99), "max": max(lat), "mean": statistics.fmean(lat)},
        stages, bound, reason,
        None if total_cpu is None else total_cpu * 1e3 / len(msgs), work_cpu, cores,
        list(run.header.get("load") or []), run.header.get("idle_cpus"), _overlaps(run),
        run.header)


def _stage_ms(s: StageStats) -> float:
    """A stage's time per message at best: as configured, or longer where its CPU work
    measured longer (a slower or shared core) than calibrated."""
    return max(s.configured_ms, s.cpu_ms + s.configured_ms - s.configured_cpu_ms)


def _bound(variant: str, stages: list[StageStats], cores: int,
           alloc: list[int]) -> tuple[float, str]:
    """The most the stages and cores allow (msg/s) and what sets it."""
    if variant in ("P0", "P1"):
        total = sum(_stage_ms(s) for s in stages)
        return (1e3 / total if total else float("inf")), "the sum of the stages (sequential)"
    options = []
    for s in stages:
        ms = _stage_ms(s)
        if ms:
            options.append((s.processes * 1e3 / ms, f"{s.name} ({s.processes} x {ms:.1f} ms)"))
    work = sum(max(s.configured_cpu_ms, s.cpu_ms) for s in stages)
    # CPU work in one process takes turns on one core; processes can use every core
    procs = 1 if variant == "P2" else sum(max(1, a) for a in alloc)
    usable = min(cores, procs)
    if work > 0:
        options.append((usable * 1e3 / work,
                        f"CPU: {usable} core(s) for {work:.1f} ms a message"))
    if not options:
        return float("inf"), "nothing"
    return min(options)


# -- tables ------------------------------------------------------------------------------------


def format_table(runs: list[RunStats], markdown: bool = False) -> str:
    """The runs side by side, then each stage's time per run."""
    base = next((r for r in runs if r.variant == "P0"), None)
    head = ["run", "msgs", "msg/s", "vs P0", "bound msg/s", "latency p50", "p90", "p99",
            "CPU ms/msg", "idle CPUs", "load"]
    rows = []
    for r in runs:
        rows.append([
            r.label, f"{r.messages}" + (f" (+{r.duplicates} dup)" if r.duplicates else "")
            + (f" ({r.expected - r.messages} missing)" if r.messages < r.expected else ""),
            f"{r.throughput:.1f}",
            f"{r.throughput / base.throughput:.2f}x" if base else "",
            f"{r.bound:.0f}", f"{r.latency_ms['p50']:.1f} ms", f"{r.latency_ms['p90']:.1f} ms",
            f"{r.latency_ms['p99']:.1f} ms",
            f"{r.cpu_ms_per_msg:.1f}" if r.cpu_ms_per_msg is not None else "",
            f"{r.idle_cpus:.2f}" if r.idle_cpus is not None else "",
            f"{r.load[0]:.1f}" if r.load else ""])
    out = [_table(head, rows, markdown), ""]
    head2 = ["run", "stage", "kind", "procs", "service ms", "cpu ms", "queue ms",
             "transfer ms", "utilisation"]
    rows2 = []
    for r in runs:
        for s in r.stages:
            rows2.append([r.label, s.name, f"{s.kind} {s.configured_ms:g}", str(s.processes),
                          f"{s.service_ms:.2f}", f"{s.cpu_ms:.2f}", f"{s.queue_ms:.2f}",
                          f"{s.transfer_ms:.2f}", f"{s.utilisation:.0%}"])
    out.append(_table(head2, rows2, markdown))
    return "\n".join(out)


def _table(head: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), fmt.format(*("-" * w for w in widths))]
                     + [fmt.format(*r) for r in rows])


# -- findings ----------------------------------------------------------------------------------


def _first(runs: list[RunStats], variant: str) -> RunStats | None:
    return next((r for r in runs if r.variant == variant), None)


def _machine(r: RunStats) -> str:
    if r.idle_cpus is not None:
        return f" ({r.idle_cpus:.2f} of {r.cores} CPUs idle as it started)"
    return f" (load average {r.load[0]:.1f} as it started)" if r.load else ""


def _contention(r: RunStats) -> str:
    """Where CPU stages took much longer than their CPU time: they waited for a core."""
    waits = [(s.service_ms / s.cpu_ms, s) for s in r.stages
             if s.kind == "cpu" and s.cpu_ms > 0]
    if not waits:
        return ""
    stretch, worst = max(waits, key=lambda w: w[0])
    if stretch < 1.3:
        return ""
    return (f": its CPU stages waited for a core ({worst.name}'s {worst.cpu_ms:.1f} ms of CPU "
            f"took {worst.service_ms:.1f} ms), so the cores, not the allocation, set the pace")


def findings(runs: list[RunStats]) -> list[str]:
    """The study's questions answered with these runs' numbers (what the runs allow)."""
    out: list[str] = []
    p0, p1, p2, p3 = (_first(runs, v) for v in ("P0", "P1", "P2", "P3"))
    p4s = [r for r in runs if r.variant == "P4"]
    p5s = [r for r in runs if r.variant == "P5"]
    if p1 is not None:
        total = sum(s.configured_ms for s in p1.stages)
        text = (f"Blocking calls serialise the pipeline: P1 ran {p1.throughput:.1f} msg/s "
                f"(one message every {1e3 / p1.throughput:.1f} ms against {total:g} ms of "
                "stage time")
        if p0 is not None:
            text += f"; P0, plain code, {p0.throughput:.1f} msg/s"
        text += ("); no two stages ever worked at once" if not p1.overlapped
                 else "); stages overlapped (unexpected for blocking calls)") + "."
        out.append(text)
    if p2 is not None and p1 is not None:
        cpu = p2.work_cpu_ms_per_msg
        out.append(
            f"Awaitables let the waits overlap: P2 ran {p2.throughput:.1f} msg/s, "
            f"{p2.throughput / p1.throughput:.2f}x P1, in the same single process; its "
            f"bound is {p2.bound:.0f} msg/s ({p2.bound_reason}): the {cpu:.1f} ms of CPU "
            "work a message still takes turns on one core.")
    multi = [r for r in (p3, *p4s) if r is not None]
    if multi and p2 is not None:
        best = max(multi, key=lambda r: r.throughput)
        ratio = best.throughput / p2.throughput
        if ratio >= 1.1:
            out.append(f"Separate processes run the CPU work in parallel: {best.label} ran "
                       f"{best.throughput:.1f} msg/s, {ratio:.2f}x P2, on {best.cores} cores"
                       f"{_machine(best)}.")
        else:
            out.append(f"Separate processes bought little here: {best.label} ran "
                       f"{best.throughput:.1f} msg/s, {ratio:.2f}x P2{_machine(best)}"
                       f"{_contention(best)}.")
    if p3 is not None:
        hot = max(p3.stages, key=lambda s: s.utilisation)
        out.append(
            f"The stage to give more processes is {hot.name}: in P3 it was busy "
            f"{hot.utilisation:.0%} of the time (service {hot.service_ms:.1f} ms, messages "
            f"queued {hot.queue_ms:.1f} ms there), the others "
            + ", ".join(f"{s.name} {s.utilisation:.0%}" for s in p3.stages if s is not hot)
            + ".")
        for p4 in p4s:
            alloc = ",".join(str(s.processes) for s in p4.stages)
            ratio = p4.throughput / p3.throughput
            out.append(f"P4 with {alloc} processes ran {p4.throughput:.1f} msg/s, "
                       f"{ratio:.2f}x P3 (bound {p4.bound:.0f} msg/s: {p4.bound_reason})"
                       + (_contention(p4) if ratio < 1.1 else "") + ".")
    for p5 in p5s:
        ref = p4s[0] if p4s else p3
        hops = [s.transfer_p10_ms for s in p5.stages[1:]]
        text = f"{p5.label}: NATS services ran {p5.throughput:.1f} msg/s"
        if ref is not None:
            text += f", {p5.throughput / ref.throughput:.2f}x {ref.label}"
        if hops:
            text += (f"; the quicker hops between stages (p10) took "
                     f"{statistics.median(hops):.2f} ms through NATS")
            if ref is not None and len(ref.stages) > 1:
                ref_hops = [s.transfer_p10_ms for s in ref.stages[1:]]
                text += f", {statistics.median(ref_hops):.2f} ms between {ref.label}'s processes"
        if p5.header.get("jetstream"):
            text += ("; on JetStream each message is stored, pulled and acknowledged once "
                     "its stage has done it")
        if p5.duplicates:
            text += f"; {p5.duplicates} redelivered copies were dropped"
        out.append(text + ".")
    return out
