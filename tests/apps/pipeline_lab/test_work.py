"""A stage's work is never shorter than configured, whatever the calibration or the event
loop's clock; CPU work shows as CPU time, waiting does not."""

from __future__ import annotations

import time
from typing import Any

from apps.pipeline_lab.config import Kind, StageSpec
from apps.pipeline_lab.work import calibrate, work_async, work_blocking


def test_cpu_work_tops_up_to_its_time_when_calibrated_too_low() -> None:
    spec = StageSpec("S", Kind.CPU, 3)
    t0 = time.perf_counter_ns()
    cpu = work_blocking(spec, loops_per_ms=1)  # (calibrated 1000x too slow)
    assert time.perf_counter_ns() - t0 >= 3_000_000
    # it was CPU work, not a sleep (a sleep costs microseconds); how much of the 3 ms the
    # thread got depends on the other work on the machine, so only a tenth is asked for
    assert cpu > 300_000


def test_a_blocking_wait_takes_its_time_and_no_cpu() -> None:
    spec = StageSpec("S", Kind.IO, 5)
    t0 = time.perf_counter_ns()
    assert work_blocking(spec, calibrate(trials=1, loops=5000)) == 0
    assert time.perf_counter_ns() - t0 >= 5_000_000


def test_an_awaitable_wait_that_comes_back_early_is_waited_again() -> None:
    spec = StageSpec("S", Kind.MIXED, 8, cpu_share=0.25)
    asked: list[float] = []

    def early_sleep(seconds: float) -> Any:  # a loop whose timer fires at once
        asked.append(seconds)
        return "awaitable"

    t0 = time.perf_counter_ns()
    gen = work_async(spec, 1.0, sleep=early_sleep)
    try:
        while True:
            assert next(gen) == "awaitable"
    except StopIteration as done:
        cpu = done.value
    assert time.perf_counter_ns() - t0 >= 8_000_000
    assert len(asked) > 1 and asked[0] <= 0.006  # asked again for what was left
    assert cpu > 200_000  # the CPU part (2 ms of wall time: a tenth of it, as above)
