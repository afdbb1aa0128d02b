"""bench.mixer runs end to end, very briefly, and reports every figure it promises (no timing
asserted: the figures are the benchmark's to judge)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason="the audio extra is not installed: pip install -e '.[audio]'")

ROOT = Path(__file__).resolve().parents[2]


def test_the_mixer_benchmark_ends_with_one_json_line_of_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "mixer.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.mixer", "--seconds", "2", "--quick", "--sweep-seconds", "1",
         "--output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    for key in ("realtime_ratio", "latency_ms", "max_sources_4_mixes", "dropped_samples",
                "control_rtt_ms_p50", "control_rtt_ms_p99", "cpu_pct_per_source"):
        assert key in summary, key
    assert 0.9 < summary["realtime_ratio"] < 1.1  # (a 2 s run: rough, but the right scale)
    assert set(summary["realtime_ratio_per_mix"]) == {"m0", "m1", "m2", "m3"}
    assert summary["latency_ms"] is not None and summary["latency_ms"] > 0
    assert list(summary["cpu_pct_per_source"]) == ["8x1"]
    results = json.loads(out.read_text())
    assert results["soak"]["latency_ms"]["found"] >= 2
    assert set(results["met"]) == {"realtime_ratio", "latency_ms", "max_sources_4_mixes",
                                   "dropped_samples"}
    assert any("soak" in ln for ln in lines) and any("CPU sweep" in ln for ln in lines)
