"""bench.ccore runs both cores side by side and writes every row (no timing asserted)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_ccore_benchmark_writes_both_cores_rows(tmp_path: Path) -> None:
    probe = subprocess.run([sys.executable, "-c", "import axon; print(axon.core_implementation)"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={k: v for k, v in os.environ.items() if k != "AXON_PURE_PYTHON"})
    if probe.stdout.strip() != "compiled":
        pytest.skip("the compiled core is not built here")
    out = tmp_path / "ccore.json"
    proc = subprocess.run([sys.executable, "-m", "bench.ccore", "--quick", "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert set(result["rows"]) == {"per-message, README idiom", "per-message, classic idiom",
                                   "burst, README idiom", "burst, classic idiom"}
    for row in result["rows"].values():
        for key in ("python_x_floor", "compiled_x_floor", "compiled_vs_python"):
            assert math.isfinite(row[key]) and row[key] > 0, key
    assert [r["core"] for r in result["runs"]["python"]] == ["python"]
    assert [r["core"] for r in result["runs"]["compiled"]] == ["compiled"]
    assert "compiled/python" in proc.stdout
