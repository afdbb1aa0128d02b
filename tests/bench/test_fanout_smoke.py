"""bench.fanout runs end to end (also measuring a tree side by side) and its last line is
one JSON object with every figure it promises (no timing asserted: that is the bench's).

It needs nothing beyond Axon itself, so unlike the peer benchmarks it is never skipped.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_fanout_benchmark_prints_its_figures_as_one_json_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.fanout", "--quick", "--baseline", str(ROOT)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for results in (out["results"], out["baseline"]["results"]):
        for n in (10, 100):
            for key in (f"join_{n}_s", f"join_{n}_ms_per_subscriber", f"activate_and_join_{n}_s",
                        f"leave_{n}_s", f"stop_and_leave_{n}_s"):
                assert math.isfinite(results[key]) and results[key] > 0, key
        for n in (2, 20):
            assert math.isfinite(results[f"delivery_{n}_ns"]) and results[f"delivery_{n}_ns"] > 0
        assert results["idle_slice_50_readers_ns"] > 0 and results["idle_slice_0_readers_ns"] > 0
    assert out["results"]["delivery_20_over_2"] > 0
    assert set(out["met"]) <= set(out["targets"])  # (the quick sizes reach no target)
    assert "targets met:" in proc.stdout
