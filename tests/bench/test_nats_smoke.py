"""Smoke test of ``python -m bench.nats --quick``: it runs against its own nats-server and
its last line is one JSON object with every figure the README quotes (no timing asserted)."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("nats", reason="the nats extra is not installed: pip install -e '.[nats]'")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_run_ends_with_one_json_line_of_figures(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", "bench.nats", "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("core_msgs_per_s", "batched_items_per_s", "jetstream_msgs_per_s",
                "request_p50_us", "request_p99_us", "raw_msgs_per_s",
                "raw_jetstream_publish_per_s", "backplane_in_process_msgs_per_s",
                "backplane_across_processes_msgs_per_s"):
        assert isinstance(last[key], float) and last[key] > 0, key
    assert json.loads((tmp_path / "nats.json").read_text()) == last
    assert "[core link, 1 per NATS message]" in proc.stdout  # progress lines as it goes
