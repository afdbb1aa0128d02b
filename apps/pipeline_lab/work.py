"""A stage's work: pure-Python CPU work and waits, never shorter than configured.

Clocks: every timestamp is ``time.perf_counter_ns()`` (CLOCK_MONOTONIC on Linux: one
clock for every process on a machine, in integer nanoseconds); a process also reports
``time.time_ns() - time.perf_counter_ns()`` so that stamps from other machines can be put
on the wall clock.  Neither clock rounds: a stage configured for 4 ms is measured at
4 ms or more (the study, timing with asyncio's clock, saw stages shorter than configured).

CPU work is a fixed number of loop iterations, calibrated once per run on the machine
that starts it (:func:`calibrate`), so that a CPU stage sharing a core with another
takes longer, as real work would; if it runs faster than its calibration it tops up to
its configured time.  A wait is ``time.sleep`` (blocking) or ``asyncio.sleep`` (an
awaitable), repeated until the configured time has really passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from typing import Any

from .config import StageSpec

__all__ = ["burn", "calibrate", "clock_offset_ns", "work_async", "work_blocking"]

perf_ns = time.perf_counter_ns
CHUNK = 2_000  # loop iterations between clock reads while topping up


def burn(loops: int) -> int:
    """``loops`` iterations of pure-Python arithmetic (nothing for C to do for us)."""
    x = 0
    for i in range(loops):
        x += i * i % 7
    return x


def calibrate(trials: int = 5, loops: int = 50_000) -> float:
    """Iterations of :func:`burn` per millisecond on this machine (the best of ``trials``,
    so other work on the machine lowers it as little as possible)."""
    best = float("inf")
    burn(loops // 10)  # (warm up)
    for _ in range(trials):
        t0 = perf_ns()
        burn(loops)
        best = min(best, perf_ns() - t0)
    return loops / (best / 1e6)


def clock_offset_ns() -> int:
    """What to add to a ``perf_counter_ns`` stamp of this process for ``time_ns``."""
    return time.time_ns() - perf_ns()


def _cpu(spec: StageSpec, loops_per_ms: float) -> int:
    """The CPU part: returns the CPU nanoseconds this thread spent on it."""
    cpu_ns = spec.cpu_ns
    if cpu_ns <= 0:
        return 0
    c0 = time.thread_time_ns()
    deadline = perf_ns() + cpu_ns
    burn(int(loops_per_ms * cpu_ns / 1e6))
    while perf_ns() < deadline:  # faster than calibrated: top up (still CPU work)
        burn(CHUNK)
    return time.thread_time_ns() - c0


def work_blocking(spec: StageSpec, loops_per_ms: float) -> int:
    """One message's work, blocking the process; returns the CPU nanoseconds spent."""
    cpu = _cpu(spec, loops_per_ms)
    if spec.io_ns > 0:
        deadline = perf_ns() + spec.io_ns
        while (left := deadline - perf_ns()) > 0:
            time.sleep(left / 1e9)
    return cpu


def work_async(spec: StageSpec, loops_per_ms: float,
               sleep: Any = asyncio.sleep) -> Generator[Any, Any, int]:
    """One message's work in a component (``cpu = yield from work_async(...)``): the CPU
    part holds the process, the wait yields an awaitable; returns the CPU nanoseconds.

    The wait is repeated until its time has really passed, whatever the event loop's
    clock resolution (``sleep`` is replaceable for tests)."""
    cpu = _cpu(spec, loops_per_ms)
    if spec.io_ns > 0:
        deadline = perf_ns() + spec.io_ns
        while (left := deadline - perf_ns()) > 0:
            yield sleep(left / 1e9)
    return cpu
