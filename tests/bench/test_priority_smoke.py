"""bench.priority runs end to end, briefly, and reports every figure it promises (no timing
asserted: the figures are the benchmark's to judge)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# the chart comes with the bench extra (make test installs it; without it, skip as the
# other bench smoke tests do)
pytest.importorskip("matplotlib", reason="the bench extra is not installed: "
                                         "pip install -e '.[bench]'")

ROOT = Path(__file__).resolve().parents[2]


def test_the_priority_benchmark_ends_with_one_json_line_of_its_figures(tmp_path: Path) -> None:
    out, chart = tmp_path / "priority.json", tmp_path / "priority.png"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.priority", "--seconds", "0.3", "--rounds", "1",
         "--background", "50", "--output", str(out), "--chart", str(chart)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("p99_with_ms", "p99_without_ms", "p99_with_undisturbed_ms", "missed_with",
                "missed_without", "p99_with_asyncio_sleep_ms", "background_rate_with_vs_without",
                "target_p99_ms", "met", "met_undisturbed"):
        assert key in summary, key
    assert summary["ticks"] >= 20 and summary["p99_with_ms"] >= 0 and summary["background"] == 50
    results = json.loads(out.read_text())
    assert set(results["cases"]) == {"without priorities", "with priorities",
                                     "with priorities, asyncio.sleep"}
    for case in results["cases"].values():
        assert len(case["lateness_ms"]) == case["ticks"] == len(case["stolen_ms"])
    assert chart.stat().st_size > 0
