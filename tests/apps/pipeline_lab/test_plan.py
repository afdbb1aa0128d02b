"""``plan``: more processes for the stage that limits the throughput, until the cores
are the limit; the numbers come from the measured run."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.pipeline_lab import analyse, make_plan, read_log
from apps.pipeline_lab.cli import main
from apps.pipeline_lab.plan import even_spread, predict

from .test_analysis import MS, write_log

STAGES = [{"name": "A", "kind": "io", "ms": 5, "cpu_share": 0.5},
          {"name": "B", "kind": "mixed", "ms": 20, "cpu_share": 0.1},
          {"name": "C", "kind": "cpu", "ms": 2, "cpu_share": 0.5}]


def measured(tmp_path: Path, cpu_b: float = 2, service_b: float = 20) -> Path:
    """A P3 run: A waits 5 ms, B 2 ms CPU + 18 ms waiting, C 2 ms CPU."""
    msgs = []
    for i in range(5):
        t = i * 25
        msgs.append({"id": i, "sent": t * MS, "done": (t + 30) * MS, "stages": [
            [0, t * MS, t * MS, (t + 5) * MS, 0, 11],
            [1, (t + 5) * MS, (t + 5) * MS, int((t + 5 + service_b) * MS), int(cpu_b * MS), 12],
            [2, (t + 27) * MS, (t + 27) * MS, (t + 29) * MS, 2 * MS, 13]]})
    return write_log(tmp_path / "p3.jsonl", "P3", msgs, stages=STAGES, alloc=[1, 1, 1],
                     end={"cpu_seconds": {"driver": 0.005,
                                          "children": {"11": 0.001, "12": 0.011, "13": 0.011}}})


def test_the_waiting_stage_gets_processes_until_the_cores_limit(tmp_path: Path) -> None:
    stats = analyse(read_log(measured(tmp_path)))
    plan = make_plan(stats, cores=2)
    assert plan.cpu_ms == pytest.approx([0, 2, 2]) and plan.wait_ms == pytest.approx([5, 18, 0])
    # every process's CPU, 28 ms for 5 messages, less the stages' 4 ms a message
    assert plan.overhead_measured and plan.overhead_ms == pytest.approx(1.6)
    # B serves 50/s alone; A 200/s; C 500/s; the CPU: 2 cores / 5.6 ms = 357/s
    assert plan.baseline == ([1, 1, 1], pytest.approx(50), "B (1 x 20.0 ms)")
    assert plan.allocation == [2, 8, 1]
    assert plan.predicted == pytest.approx(357.14, rel=1e-3) and plan.limit.startswith("CPU")
    assert [s[0] for s in plan.steps][:5] == [[1, 1, 1], [1, 2, 1], [1, 3, 1], [1, 4, 1],
                                              [2, 4, 1]]  # A and B tied at 200/s
    assert "Recommended: --alloc 2,8,1" in plan.describe()


def test_one_core_stops_the_plan_sooner(tmp_path: Path) -> None:
    plan = make_plan(analyse(read_log(measured(tmp_path))), cores=1)
    assert plan.predicted == pytest.approx(1000 / 5.6) and plan.allocation == [1, 4, 1]


def test_a_process_budget_caps_the_plan(tmp_path: Path) -> None:
    plan = make_plan(analyse(read_log(measured(tmp_path))), cores=8, max_processes=5)
    assert sum(plan.allocation) == 5 and plan.allocation == [1, 3, 1]


def test_predict_and_even_spread() -> None:
    rate, why, caps = predict([1, 2], [1.0, 0.0], [0.0, 10.0], 0.0, 4, ["x", "y"])
    assert caps == pytest.approx([1000, 200]) and rate == pytest.approx(200) and why.startswith("y")
    assert even_spread(6, 4) == [2, 2, 1, 1]


def test_the_plan_command_prints_the_recommendation(tmp_path: Path, capsys) -> None:
    assert main(["plan", str(measured(tmp_path)), "--cores", "2"]) == 0
    out = capsys.readouterr().out
    assert "Recommended: --alloc 2,8,1 (11 processes), 357.1 msg/s predicted (7.14x one " \
           "process per stage)" in out
