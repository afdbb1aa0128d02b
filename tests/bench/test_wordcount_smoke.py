"""bench.wordcount runs end to end, every way gives the Counter's answer, and it ends with
its JSON line and writes its chart (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wordcount_benchmark_runs_and_ends_with_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "wordcount.json"
    proc = subprocess.run([sys.executable, "-m", "bench.wordcount", "--quick", "--output",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last == json.loads(out.read_text())
    assert last["exact"] is True and last["words"] > 1000
    assert set(last["seconds"]) == {"counter", "mp_pool", "axon_processes", "axon_nats"}
    assert all(v > 0 for v in last["seconds"].values())
    assert set(last["work_seconds"]) == {"mp_pool", "axon_processes", "axon_nats"}
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "every answer equal to collections.Counter's" in proc.stdout
