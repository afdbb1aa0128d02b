"""Every variant, on small settings, logs every message through every stage once, with
its timestamps in order, each stage no shorter than configured, run where the variant
says (which processes) and when it says (blocking variants never overlap two stages)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest

from apps.pipeline_lab import LabConfig, RunOptions, Variant, read_log, run_variant
from apps.pipeline_lab.config import parse_stage
from apps.pipeline_lab.record import CPU, END, ENTER, PID, START, stamps
from apps.pipeline_lab.work import calibrate
from tests.axon.process_parts import gone

N = 16


@pytest.fixture(scope="module")
def config() -> LabConfig:
    stages = tuple(parse_stage(t, f"S{i}") for i, t in
                   enumerate(["io:2", "cpu:2", "mixed:4:0.5", "io:2"], 1))
    return LabConfig(stages, messages=N, window=2, in_flight=6,
                     loops_per_ms=calibrate(trials=3, loops=20_000))


def run(variant: Variant, config: LabConfig, tmp_path: Path, **kw: Any) -> Any:
    log = tmp_path / f"{variant.value}.jsonl"
    result = run_variant(RunOptions(variant, config, log=str(log), progress=False,
                                    timeout=60, **kw))
    assert result.received == N, result
    return read_log(log)


def check_log(run_: Any, config: LabConfig) -> dict[int, set[int]]:
    """The checks every variant's log must pass; returns the pids that did each stage."""
    assert run_.end["received"] == N and run_.end["missing"] == 0
    assert sorted(m["id"] for m in run_.messages) == list(range(N))  # each once
    pids: dict[int, set[int]] = {k: set() for k in range(len(config.stages))}
    for m in run_.messages:
        assert [st[0] for st in m["stages"]] == [0, 1, 2, 3]  # every stage, in order
        times = list(stamps(m))
        assert times == sorted(times), m  # sent <= enter <= start <= end <= ... <= done
        for st, spec in zip(m["stages"], config.stages):
            assert st[END] - st[START] >= spec.ms * 1e6  # never shorter than configured
            assert (st[CPU] > 0) == (spec.cpu_ns > 0)
            pids[st[0]].add(st[PID])
    queued = [st[START] - st[ENTER] for m in run_.messages for st in m["stages"]]
    if run_.variant == "P0" or run_.header["jetstream"]:
        assert not any(queued)  # (no queue; on JetStream, enter is when the stage took it)
    else:  # messages waited at some stage for it to finish others (window 2, 6 in flight)
        assert max(queued) > 1_000_000
    return pids


def service_intervals_overlap(run_: Any) -> bool:
    spans = sorted((st[START], st[END]) for m in run_.messages for st in m["stages"])
    return any(b[0] < a[1] for a, b in itertools.pairwise(spans))


@pytest.mark.parametrize("variant", [Variant.P0, Variant.P1])
def test_sequential_and_blocking_variants_run_one_stage_at_a_time_here(
        variant: Variant, config: LabConfig, tmp_path: Path) -> None:
    log = run(variant, config, tmp_path)
    pids = check_log(log, config)
    assert all(p == {os.getpid()} for p in pids.values())
    assert not service_intervals_overlap(log)  # blocking calls serialise every stage


def test_p2_awaitables_let_stages_work_at_the_same_time_in_one_process(
        config: LabConfig, tmp_path: Path) -> None:
    log = run(Variant.P2, config, tmp_path)
    pids = check_log(log, config)
    assert all(p == {os.getpid()} for p in pids.values())
    assert service_intervals_overlap(log)


def test_p3_runs_each_stage_in_its_own_process_and_leaves_none_behind(
        config: LabConfig, tmp_path: Path) -> None:
    log = run(Variant.P3, config, tmp_path)
    pids = check_log(log, config)
    assert all(len(p) == 1 for p in pids.values())
    used = set().union(*pids.values())
    assert len(used) == 4 and os.getpid() not in used
    assert service_intervals_overlap(log)
    assert set(log.end["cpu_seconds"]["children"]) == {str(p) for p in used}
    assert all(gone(p) for p in used)


def test_p4_follows_the_allocation_a_pool_a_child_and_this_process(
        config: LabConfig, tmp_path: Path) -> None:
    log = run(Variant.P4, config.with_(allocation=(1, 2, 0, 1)), tmp_path)
    pids = check_log(log, config)
    assert [len(pids[k]) for k in range(4)] == [1, 2, 1, 1]
    assert pids[2] == {os.getpid()}  # 0: in the driver's process
    assert os.getpid() not in pids[0] | pids[1] | pids[3]
    assert log.header["allocation"] == [1, 2, 0, 1]
    assert all(gone(p) for k in (0, 1, 3) for p in pids[k])


@pytest.mark.parametrize("jetstream", [False, True], ids=["core", "jetstream"])
def test_p5_runs_stages_as_nats_services_sharing_a_stage_in_a_queue_group(
        jetstream: bool, config: LabConfig, tmp_path: Path) -> None:
    log = run(Variant.P5, config.with_(allocation=(1, 1, 2, 1)), tmp_path,
              jetstream=jetstream)
    pids = check_log(log, config)
    services = {int(p): info for p, info in log.end["processes"].items()}
    assert len(services) == 5 and os.getpid() not in services
    for k in range(4):
        assert pids[k] <= set(services)
        assert {services[p]["stage"] for p in pids[k]} == {f"S{k + 1}"}
    assert len(pids[2]) == 2  # both of S3's processes took messages
    assert all(r is not None for r in log.end["cpu_seconds"]["children"].values())
    assert all(gone(p) for p in services)  # stopped by the driver
    assert log.header["jetstream"] is jetstream
