"""bench.core runs end to end and writes every figure it promises (no timing asserted)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_benchmark_writes_its_figures_and_targets(tmp_path: Path) -> None:
    out = tmp_path / "core.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.core", "--messages", "3000", "--idle", "200",
         "--repeat", "1", "--paused", "2000", "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    for key in ("floor_ns_per_hop", "burst_ratio", "per_message_ratio", "create_us",
                "round_robin_pause_wake_ratio", "classic_per_message_ratio",
                "classic_burst_ratio", "full_setup_us", "asyncio_setup_us",
                "setup_vs_asyncio", "paused_bytes", "linked_paused_bytes"):
        assert math.isfinite(result[key]) and result[key] > 0, key
    assert math.isfinite(result["paused_slowdown_pct"])
    assert set(result["met"]) == set(result["targets"])
    assert "targets met:" in proc.stdout
