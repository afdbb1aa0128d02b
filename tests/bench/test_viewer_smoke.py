"""Smoke test of ``python -m bench.viewer --quick``: it runs headless and its last line is
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
    proc = subprocess.run([sys.executable, "-m", "bench.viewer", "--quick", "--no-kamaelia"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    assert "commands applied per second" in proc.stdout and "introspector" in proc.stdout
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("commands_per_s", "fps_20", "fps_100", "fps_300", "fps_1000",
                "fit_fps_1000", "commands_per_s_batched", "commands_per_s_records"):
        assert isinstance(result[key], (int, float)) and result[key] > 0, key
    for key in ("introspector_overhead_pct", "live_view_overhead_pct", "churn_overhead_pct"):
        assert isinstance(result[key], (int, float)), key
    assert result["quick"] is True
