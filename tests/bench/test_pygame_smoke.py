"""Smoke test of ``python -m bench.pygame --quick``: it runs headless and its last line is
one JSON object with the figures the README quotes.  No timing assertions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_run_ends_with_a_json_line_of_every_figure():
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "bench.pygame", "--quick"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "framework overhead" in proc.stdout and "event flood" in proc.stdout  # progress
    result = json.loads(lines[-1])
    for key in ("ratio_50", "ratio_100", "ratio_200", "ratio_500", "idle_cpu_pct",
                "ratio_chunk1_200", "flood_batched_ms_per_frame",
                "flood_per_event_ms_per_frame", "click_latency_frames_median"):
        assert isinstance(result[key], (int, float)) and result[key] > 0, key
    assert result["quick"] is True


def test_overhead_only_gives_the_two_target_ratios_with_their_runs_and_load():
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "bench.pygame", "--quick", "--overhead-only"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "one array of doubles" in proc.stdout  # it says what the display does a frame
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["overhead_only"] is True and "ratio_50" not in result
    for n in (100, 200):
        assert result[f"ratio_{n}"] > 0 and len(result[f"runs_{n}"]) == 1
        assert result[f"load_{n}"] >= 0
