"""``plan``: how many processes to give each stage, for a core budget, from a measured run.

The model (the study's "allocating finite resources across stages"):

- stage ``k`` needs ``c_k`` ms of CPU and waits ``w_k`` ms per message (both measured:
  the CPU its work took, and the median of service minus CPU), so ``n_k`` processes serve
  at most ``n_k / (c_k + w_k)`` messages a second;
- all the CPU work, plus what passing messages between processes costs (measured in the
  run as every process's CPU beyond the stages' own, when the run had child processes),
  shares ``cores``: at most ``cores / (sum c_k + overhead)`` messages a second.

Starting from one process per stage, the planner adds a process to the stage that limits
the throughput most, until the CPU is the limit (more processes would only share the same
cores) or the process budget is used.  A waiting stage can take many processes on few
cores; a CPU stage cannot usefully take more than the cores.  ``--confirm`` runs the
recommendation (P4) beside one process per stage (P3) and the same number of processes
spread evenly, and compares what they did with what the model said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .analysis import RunStats

__all__ = ["Plan", "even_spread", "make_plan", "predict"]

#: Passing a message on costs CPU in both processes; when a run has no child processes to
#: measure it from, this (ms per message per boundary; bench/processes.py measured
#: 0.02-0.04 ms) is assumed.
DEFAULT_HOP_CPU_MS = 0.05


@dataclass
class Plan:
    stages: list[str]
    cpu_ms: list[float]
    wait_ms: list[float]
    overhead_ms: float  # CPU per message beyond the stages' work
    overhead_measured: bool
    cores: float
    allocation: list[int]
    predicted: float
    limit: str
    steps: list[tuple[list[int], float, str]] = field(default_factory=list)

    @property
    def baseline(self) -> tuple[list[int], float, str]:
        return self.steps[0]

    def describe(self) -> str:
        how = "measured" if self.overhead_measured else "assumed"
        lines = [(f"From the measured service of each stage (CPU + waiting), for {self.cores:g} "
                  f"cores and {self.overhead_ms:.2f} ms of CPU per message for passing it on "
                  f"({how}):"), ""]
        width = max(len(s) for s in self.stages)
        lines.append(f"  {'stage':<{width}}  cpu ms  wait ms  processes")
        for name, c, w, n in zip(self.stages, self.cpu_ms, self.wait_ms, self.allocation):
            lines.append(f"  {name:<{width}}  {c:6.2f}  {w:7.2f}  {n:9d}")
        lines.append("")
        for alloc, rate, why in self.steps:
            lines.append(f"  {','.join(map(str, alloc)):<12} predicts {rate:7.1f} msg/s  "
                         f"(limit: {why})")
        base = self.baseline[1]
        lines += ["", (f"Recommended: --alloc {','.join(map(str, self.allocation))} "
                       f"({sum(self.allocation)} processes), {self.predicted:.1f} msg/s "
                       f"predicted ({self.predicted / base:.2f}x one process per stage); limit: "
                       f"{self.limit}.")]
        return "\n".join(lines)


def predict(alloc: list[int], cpu_ms: list[float], wait_ms: list[float], overhead_ms: float,
            cores: float, names: list[str]) -> tuple[float, str, list[float]]:
    """Messages a second an allocation allows, what limits it, and each stage's capacity."""
    caps = [n * 1e3 / (c + w) if c + w > 0 else float("inf")
            for n, c, w in zip(alloc, cpu_ms, wait_ms)]
    work = sum(cpu_ms) + overhead_ms
    # (each process runs on one core at a time: a stage's CPU cannot use more cores than
    # it has processes, and all of it shares the budget)
    cpu_cap = cores * 1e3 / work if work > 0 else float("inf")
    k = min(range(len(caps)), key=caps.__getitem__)
    if caps[k] <= cpu_cap:
        return caps[k], f"{names[k]} ({alloc[k]} x {cpu_ms[k] + wait_ms[k]:.1f} ms)", caps
    return cpu_cap, f"CPU ({cores:g} cores for {work:.1f} ms a message)", caps


def make_plan(stats: RunStats, cores: float, max_processes: int = 16) -> Plan:
    """The allocation for ``cores`` from the run ``stats``."""
    names = [s.name for s in stats.stages]
    cpu = [s.cpu_ms for s in stats.stages]
    wait = [s.wait_ms for s in stats.stages]
    measured = stats.cpu_ms_per_msg is not None and stats.variant in ("P3", "P4", "P5")
    if measured:
        overhead = max(0.0, (stats.cpu_ms_per_msg or 0.0) - stats.work_cpu_ms_per_msg)
    else:
        overhead = DEFAULT_HOP_CPU_MS * (len(names) + 1)
    alloc = [1] * len(names)
    rate, why, caps = predict(alloc, cpu, wait, overhead, cores, names)
    steps = [(list(alloc), rate, why)]
    while sum(alloc) < max_processes and not why.startswith("CPU"):
        # (past that the processes would only share the same cores)
        k = min(range(len(caps)), key=caps.__getitem__)
        alloc[k] += 1
        rate, why, caps = predict(alloc, cpu, wait, overhead, cores, names)
        steps.append((list(alloc), rate, why))
    # where stages tied as the limit, a process added to one did not help alone: take
    # back what the final rate does not need
    for k in range(len(alloc)):
        while alloc[k] > 1:
            alloc[k] -= 1
            fewer, fewer_why, _ = predict(alloc, cpu, wait, overhead, cores, names)
            if fewer < rate * 0.999:
                alloc[k] += 1
                break
            why = fewer_why
    return Plan(names, cpu, wait, overhead, measured, cores, list(alloc), rate, why, steps)


def even_spread(total: int, stages: int) -> list[int]:
    """``total`` processes given out in turn from the first stage: the allocation one
    would guess without measuring."""
    alloc = [0] * stages
    for i in range(total):
        alloc[i % stages] += 1
    return alloc
