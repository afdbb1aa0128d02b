"""The six ways to run the same four stages, each one command (``run P0`` .. ``run P5``).

- **P0** plain sequential code, no messaging: the baseline.
- **P1** Axon in one process, each stage *blocking* (``time.sleep``): while one stage
  waits, nothing else in the process runs.
- **P2** Axon in one process, each stage waiting on an *awaitable* (``asyncio.sleep``):
  the waits overlap, CPU work still takes turns on one core.
- **P3** a process per stage (``ChildProcess``): CPU work of different stages runs on
  different cores.
- **P4** N processes per stage (``WorkerPool`` where N > 1; N = 0 keeps the stage in the
  driver's process), from the allocation.
- **P5** each stage a NATS service: N separate processes per stage sharing its subject
  as a queue group (or, with ``--jetstream``, a durable consumer on a JetStream stream);
  see apps/pipeline_lab/services.py.

Every variant sends the same messages through the same :class:`~.stages.Stage` work and
logs them the same way (apps/pipeline_lab/record.py).  The source keeps at most
``in_flight`` messages in the pipeline, so every variant runs under the same bound.
"""

from __future__ import annotations

import enum
import itertools
import os
import socket
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from axon import ChildProcess, Component, Graphline, WorkerPool, run

from .config import Calls, LabConfig
from .progress import Progress
from .record import LogWriter, idle_cpus, new_message
from .stages import Sink, Source, stage_system
from .work import calibrate, perf_ns, work_blocking

__all__ = ["RunOptions", "RunResult", "Variant", "run_variant"]


class Variant(enum.Enum):
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"

    @property
    def summary(self) -> str:
        return {
            "P0": "plain sequential code (no messaging)",
            "P1": "Axon, one process, blocking calls",
            "P2": "Axon, one process, non-blocking calls (awaitables)",
            "P3": "Axon, a process per stage",
            "P4": "Axon, N processes per stage (the allocation)",
            "P5": "NATS services, N processes per stage (queue groups)",
        }[self.value]


@dataclass
class RunOptions:
    """How to run one variant."""

    variant: Variant
    config: LabConfig
    log: str | None = None
    calls: Calls = Calls.ASYNC  # P3..P5 (P1 is blocking, P2 async by definition)
    progress: bool = True
    force_progress: bool = False
    jetstream: bool = False  # P5
    nats: str | None = None  # P5: a server to use (default: start one here)
    external: bool = False  # P5: the services are started elsewhere (``worker``)
    run_id: str | None = None  # P5: the subjects' prefix (default: a fresh one)
    timeout: float = 600.0
    measure_idle: bool = False  # sample the idle CPUs for half a second before the run
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """What a run did (its log has the detail)."""

    variant: str
    messages: int
    received: int
    seconds: float
    duplicates: int = 0
    log: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0


def allocation_for(variant: Variant, config: LabConfig) -> tuple[int, ...]:
    """Processes per stage as the variant runs them."""
    n = len(config.stages)
    if variant in (Variant.P0, Variant.P1, Variant.P2):
        return (0,) * n
    if variant is Variant.P3:
        return (1,) * n
    alloc = config.processes()
    if variant is Variant.P5 and 0 in alloc:
        raise ValueError("P5 runs every stage as a service: each needs at least 1 process "
                         f"(allocation {','.join(map(str, alloc))})")
    return alloc


def run_variant(opts: RunOptions) -> RunResult:
    """Run one variant to the end, writing its log; returns a summary."""
    cfg = opts.config
    if not cfg.loops_per_ms:
        cfg = cfg.with_(loops_per_ms=calibrate())
        opts.config = cfg
    alloc = allocation_for(opts.variant, cfg)
    calls = {Variant.P0: Calls.BLOCKING, Variant.P1: Calls.BLOCKING,
             Variant.P2: Calls.ASYNC}.get(opts.variant, opts.calls)
    log = LogWriter(opts.log)
    log.header(opts.variant.value, cfg.to_dict(), summary=opts.variant.summary,
               calls=calls.value, allocation=list(alloc), jetstream=opts.jetstream,
               idle_cpus=idle_cpus() if opts.measure_idle else None, **opts.extra)
    progress = Progress(cfg.messages, opts.variant.value, enabled=opts.progress,
                        force=opts.force_progress)
    try:
        if opts.variant is Variant.P0:
            result = _run_p0(cfg, log, progress)
        elif opts.variant is Variant.P5:
            from .services import run_services

            result = run_services(opts, cfg, alloc, calls, log, progress)
        else:
            result = _run_axon(opts.variant, cfg, alloc, calls, log, progress, opts.timeout)
    finally:
        progress.close()
        log.close()
    result.log = opts.log
    result.records = log.records
    return result


def _run_p0(cfg: LabConfig, log: LogWriter, progress: Progress) -> RunResult:
    lpm = cfg.loops_per_ms
    pid = os.getpid()
    cpu0 = time.process_time()
    t0 = perf_ns()
    interval = 1e9 / cfg.rate if cfg.rate else 0
    for i in range(cfg.messages):
        if interval:
            while (wait := t0 + i * interval - perf_ns()) > 0:
                time.sleep(wait / 1e9)
        msg = new_message(i)
        for k, spec in enumerate(cfg.stages):
            start = perf_ns()
            cpu = work_blocking(spec, lpm)
            msg["stages"].append([k, start, start, perf_ns(), cpu, pid])
        msg["done"] = perf_ns()
        log.message(msg)
        progress.update(i + 1)
    seconds = (perf_ns() - t0) / 1e9
    log.end(seconds=seconds, received=cfg.messages, missing=0, duplicates=0,
            cpu_seconds={"driver": round(time.process_time() - cpu0, 4)}, processes={})
    return RunResult("P0", cfg.messages, cfg.messages, seconds)


def _stage_parts(variant: Variant, cfg: LabConfig, alloc: tuple[int, ...],
                 calls: Calls) -> tuple[list[Component], list[Any]]:
    """The stages as components, and the child-process stand-ins to wait for."""
    parts: list[Component] = []
    stand_ins: list[Any] = []
    w = cfg.window
    for k, spec in enumerate(cfg.stages):
        factory = partial(stage_system, k, spec, cfg.loops_per_ms, calls.value, w)
        n = alloc[k]
        if n == 0:
            parts.append(factory())
        elif n == 1:
            cp = ChildProcess(factory, name=spec.name, window=w)
            parts.append(cp)
            stand_ins.append(cp)
        else:
            pool = WorkerPool(factory, n, ordered=False, max_in_flight=w * n, name=spec.name)
            parts.append(pool)
            stand_ins.extend(pool.workers)
    return parts, stand_ins


def _run_axon(variant: Variant, cfg: LabConfig, alloc: tuple[int, ...], calls: Calls,
              log: LogWriter, progress: Progress, timeout: float) -> RunResult:
    parts, stand_ins = _stage_parts(variant, cfg, alloc, calls)
    source = Source(cfg.messages, cfg.in_flight, cfg.rate, ready=stand_ins)
    sink = Sink(log, cfg.messages, progress)
    names = [f"s{k + 1}" for k in range(len(parts))]
    linkages: dict[tuple[str, str], Any] = {}
    chain = ["source", *names, "sink"]
    for a, b in itertools.pairwise(chain):
        linkages[(a, "outbox")] = (b, "inbox")
        linkages[(a, "signal")] = (b, "control")
    linkages[("sink", "credit")] = ("source", "done")
    stages: dict[str, Any] = dict(zip(names, parts))
    system = Graphline(linkages, name=variant.value, source=source, sink=sink, **stages)
    cpu0 = time.process_time()
    run(system, timeout=timeout)
    driver_cpu = time.process_time() - cpu0
    seconds = (sink.last_ns - source.started_ns) / 1e9
    children: dict[str, Any] = {}
    processes: dict[str, Any] = {}
    host = socket.gethostname()
    for part, spec in zip(parts, cfg.stages):
        cps = part.workers if isinstance(part, WorkerPool) else (
            [part] if isinstance(part, ChildProcess) else [])
        for cp in cps:
            stats = cp.statistics()
            if cp.pid is not None:
                children[str(cp.pid)] = stats.cpu_seconds
                processes[str(cp.pid)] = {"stage": spec.name, "host": host}
    pools = {spec.name: part.statistics().restarts for part, spec in zip(parts, cfg.stages)
             if isinstance(part, WorkerPool)}
    log.end(seconds=seconds, received=sink.count, missing=cfg.messages - sink.count,
            duplicates=sink.duplicates,
            cpu_seconds={"driver": round(driver_cpu, 4), "children": children},
            processes=processes, pool_restarts=pools)
    return RunResult(variant.value, cfg.messages, sink.count, seconds, sink.duplicates)
