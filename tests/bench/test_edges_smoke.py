"""Smoke test of ``python -m bench.edges``: two scenarios at small sizes run and record
their figures (no timing assertions: the figures themselves live in bench/results)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_run_records_the_edge_figures(tmp_path):
    out = tmp_path / "edges.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.edges", "--quick", "--only", "slow-protocol",
         "--only", "handle", "--out", str(out),
         "--before", os.path.join(ROOT, "bench", "results", "edges-before.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "before" in proc.stdout and "server RSS growth" in proc.stdout
    got = json.loads(out.read_text())["scenarios"]
    assert got["slow-protocol"]["megabytes"] == 20 and got["slow-protocol"]["rss_growth_mb"] >= 0
    assert got["handle"]["bounded_mode"] is True
    assert 0 < got["handle"]["most_waiting"] <= 2 * 100 + 1  # the Handle's maxsize bound
