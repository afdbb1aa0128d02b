"""``analyse``: figures from a log whose every number is known, the table, the findings
the runs support, the plots, and logs that are not logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from apps.pipeline_lab import analyse, findings, format_table, read_log
from apps.pipeline_lab.analysis import percentile
from apps.pipeline_lab.plots import plot_all

MS = 1_000_000


def write_log(path: Path, variant: str, messages: list[dict[str, Any]], *,
              stages: list[dict[str, Any]] | None = None, alloc: list[int] | None = None,
              end: dict[str, Any] | None = None) -> Path:
    stages = stages or [{"name": "A", "kind": "io", "ms": 10, "cpu_share": 0.5},
                        {"name": "B", "kind": "cpu", "ms": 20, "cpu_share": 0.5}]
    header = {"type": "run", "variant": variant, "host": "here", "cpus": 2,
              "load": [0.5, 0.5, 0.5], "clock_offset_ns": 0, "allocation": alloc or [0, 0],
              "config": {"stages": stages, "messages": len(messages), "window": 4,
                         "in_flight": 8, "rate": 0, "allocation": [], "loops_per_ms": 1.0,
                         "source": "test"}}
    lines = [header, *({"type": "msg", **m} for m in messages),
             {"type": "end", **(end or {})}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def msg(i: int, sent: int, a: tuple[int, int, int], b: tuple[int, int, int], done: int,
        pids: tuple[int, int] = (1, 1)) -> dict[str, Any]:
    return {"id": i, "sent": sent * MS, "done": done * MS,
            "stages": [[0, a[0] * MS, a[1] * MS, a[2] * MS, 0, pids[0]],
                       [1, b[0] * MS, b[1] * MS, b[2] * MS, 20 * MS, pids[1]]]}


def pipelined(tmp_path: Path) -> Path:
    # B (20 ms) is the bottleneck: messages wait for it
    return write_log(tmp_path / "p2.jsonl", "P2", [
        msg(0, 0, (0, 0, 10), (10, 10, 30), 30),
        msg(1, 0, (1, 10, 20), (20, 30, 50), 51),
        msg(2, 0, (2, 20, 30), (30, 50, 70), 72),
    ], end={"cpu_seconds": {"driver": 0.09, "children": {}}, "duplicates": 0})


def test_percentiles_interpolate() -> None:
    assert percentile([1, 2, 3, 4, 5], 0.5) == 3
    assert percentile([0, 10], 0.9) == pytest.approx(9.0)
    assert percentile([], 0.5) == 0.0


def test_the_figures_of_a_known_log(tmp_path: Path) -> None:
    stats = analyse(read_log(pipelined(tmp_path)))
    assert stats.messages == 3 and stats.span_s == pytest.approx(0.072)
    assert stats.throughput == pytest.approx(3 / 0.072)
    assert stats.latency_ms["p50"] == pytest.approx(51)
    assert stats.latency_ms["max"] == pytest.approx(72)
    a, b = stats.stages
    assert a.service_ms == pytest.approx(10) and b.service_ms == pytest.approx(20)
    assert a.queue_ms == pytest.approx((0 + 9 + 18) / 3)  # start - enter
    assert b.queue_ms == pytest.approx((0 + 10 + 20) / 3)
    assert a.transfer_ms == pytest.approx(1) and b.transfer_ms == pytest.approx(0)  # enter -
    assert b.cpu_ms == pytest.approx(20) and b.wait_ms == pytest.approx(0)  # previous end
    assert a.utilisation == pytest.approx(30 / 72) and b.utilisation == pytest.approx(60 / 72)
    assert stats.bound == pytest.approx(50)  # B: one process, 20 ms
    assert stats.cpu_ms_per_msg == pytest.approx(30)
    assert stats.overlapped  # A worked on message 1 while B worked on message 0


def test_a_sequential_run_is_bounded_by_the_sum_of_its_stages(tmp_path: Path) -> None:
    log = write_log(tmp_path / "p1.jsonl", "P1", [
        msg(0, 0, (0, 0, 10), (10, 10, 30), 30), msg(1, 0, (0, 30, 40), (40, 40, 60), 60)])
    stats = analyse(read_log(log))
    assert stats.bound == pytest.approx(1000 / 30)
    assert not stats.overlapped


def test_stages_served_by_several_processes_count_each(tmp_path: Path) -> None:
    log = write_log(tmp_path / "p4.jsonl", "P4", [
        msg(0, 0, (0, 0, 10), (10, 10, 30), 31, pids=(7, 8)),
        msg(1, 0, (1, 10, 20), (20, 20, 40), 41, pids=(7, 9))], alloc=[1, 2])
    stats = analyse(read_log(log))
    assert [s.processes for s in stats.stages] == [1, 2]
    assert stats.stages[1].utilisation == pytest.approx(40 / 41 / 2)
    assert stats.bound == pytest.approx(100)  # A: 1 x 10 ms, B: 2 x 20 ms, 2 cores: 20 ms


def test_stamps_from_another_machine_are_put_on_the_drivers_clock(tmp_path: Path) -> None:
    far = 5_000 * MS  # the other machine's monotonic clock is 5 s behind
    m = {"id": 0, "sent": 0, "done": 40 * MS,
         "stages": [[0, 1 * MS - far, 2 * MS - far, 12 * MS - far, 0, 77],
                    [1, 13 * MS, 13 * MS, 33 * MS, 20 * MS, 1]]}
    log = write_log(tmp_path / "p5.jsonl", "P5", [m], alloc=[1, 1], end={
        "processes": {"77": {"stage": "A", "host": "there", "clock_offset_ns": far}}})
    stats = analyse(read_log(log))
    assert stats.stages[0].transfer_ms == pytest.approx(1)
    assert stats.stages[1].transfer_ms == pytest.approx(1)


def test_the_table_findings_and_plots(tmp_path: Path) -> None:
    p1 = analyse(read_log(write_log(tmp_path / "p1.jsonl", "P1", [
        msg(0, 0, (0, 0, 10), (10, 10, 30), 30), msg(1, 0, (0, 30, 40), (40, 40, 60), 60)])))
    run2 = read_log(pipelined(tmp_path))
    p2 = analyse(run2)
    text = format_table([p1, p2])
    assert "P1" in text and "P2" in text and "msg/s" in text and "utilisation" in text
    assert "| run | msgs |" in format_table([p1, p2], markdown=True)
    found = findings([p1, p2])
    assert any(f.startswith("Blocking calls serialise the pipeline: P1 ran 33.3 msg/s")
               and "no two stages ever worked at once" in f for f in found)
    assert any(f.startswith("Awaitables let the waits overlap: P2 ran 41.7 msg/s, 1.25x P1")
               for f in found)
    written = plot_all([p1, p2], [read_log(tmp_path / "p1.jsonl"), run2], tmp_path / "plots")
    assert [p.name for p in written] == ["throughput.png", "latency.png", "stages.png",
                                         "utilisation.png", "timeline.png"]
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000


def test_a_file_that_is_not_a_log_is_named_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "run", "config": {}}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not JSON"):
        read_log(bad)
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n')
    with pytest.raises(ValueError, match=r"other.jsonl:1: not a lab record"):
        read_log(other)
