"""bench.processes runs end to end and ends with its JSON line (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_processes_benchmark_runs_and_ends_with_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "processes.json"
    proc = subprocess.run([sys.executable, "-m", "bench.processes", "--quick", "--output",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last == json.loads(out.read_text())
    for key in ("batched_msgs_per_s", "single_msgs_per_s", "speedup"):
        assert last[key] > 0, key
    ratio = last["batched_msgs_per_s"] / last["single_msgs_per_s"]
    assert abs(last["speedup"] - ratio) < 0.01 * ratio  # (rounded figures)
    assert 0 < last["hop_latency_us"]["p50"] <= last["hop_latency_us"]["p99"]
    cpu = last["cpu_pipeline"]
    assert set(cpu["seconds"]) == {"in_process", "per_stage", "per_stage_relayed", "pool"}
    assert cpu["speedup_process_per_stage"] > 0 and cpu["speedup_pool_on_slowest"] > 0
    assert cpu["speedup_process_per_stage_relayed"] > 0
    assert set(cpu["cpu_efficiency"]) == set(cpu["speedup_bound_on_idle_cpus"]) == {
        "per_stage", "per_stage_relayed", "pool"}
    assert set(cpu["sweep_speedup_process_per_stage"]) == {"0.25", "1", "4"}
    assert cpu["child_start_ms"] > 0 and cpu["child_start_cpu_ms"] > 0
    assert all(v > 0 for v in cpu["parent_cpu_us_per_message"].values())
    assert set(last["met"]) == set(last["targets"]) and last["cpus"] >= 1
    assert "[link]" in proc.stdout and "[cpu]" in proc.stdout  # progress as it goes
