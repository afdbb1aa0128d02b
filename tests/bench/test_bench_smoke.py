"""Smoke test of ``python -m bench``: it runs, writes its three files, and accounts for every peer.

No timing assertions: only that each peer's entry holds figures or an error string.
"""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# the peers and the chart come with the bench extra (make test installs it; a plain pytest
# without it skips this module instead of stopping at collection)
pytest.importorskip("matplotlib", reason="the bench extra is not installed: "
                                         "pip install -e '.[bench]'")


def _run_bench(out_dir, *args):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out_dir), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_quick_run_writes_json_markdown_and_chart_with_every_peer_accounted_for(tmp_path):
    proc = _run_bench(tmp_path, "--only", "pipeline", "--only", "fanout", "--only", "build")
    assert proc.returncode == 0, proc.stderr

    assert "[pipeline]" in proc.stdout and "[fanout]" in proc.stdout  # a progress line each
    for ext in ("json", "md", "png"):
        assert (tmp_path / f"latest.{ext}").stat().st_size > 0

    results = json.loads((tmp_path / "latest.json").read_text())
    assert set(results["workloads"]) == {"pipeline", "fanout", "build"}
    from bench.peers import PEERS
    assert results["peers"] == list(PEERS)
    for name, workload in results["workloads"].items():
        assert set(workload["peers"]) == set(PEERS), name
        for peer, record in workload["peers"].items():
            has_figures = bool(record.get("figures"))
            has_error = isinstance(record.get("error"), str) and record["error"]
            assert has_figures or has_error, (name, peer, record)
            if peer in ("floor", "axon"):  # ours must always be measured, never an error
                assert has_figures and not record.get("error"), (name, peer, record)
    floor = results["workloads"]["pipeline"]["peers"]["floor"]
    assert floor["ratios"]["per_message"] == pytest.approx(1.0)

    md = (tmp_path / "latest.md").read_text()
    assert "| workload | figure |" in md and "cores" in md and "Python" in md
    assert (tmp_path / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_peer_that_cannot_be_measured_is_recorded_as_an_error_not_left_out(tmp_path):
    proc = _run_bench(tmp_path, "--only", "build", "--peers", "asyncio")
    assert proc.returncode == 0, proc.stderr
    results = json.loads((tmp_path / "latest.json").read_text())
    assert list(results["workloads"]["build"]["peers"]) == ["floor", "asyncio"]

    from bench.__main__ import run_workload
    workload = run_workload("build", ["floor", "no_such_peer"], quick=True, timeout=60)
    assert "figures" in workload["peers"]["floor"]
    assert "no_such_peer" in workload["peers"]["no_such_peer"]["error"]
