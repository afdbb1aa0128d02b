"""The four pygame demos as processes, headless: --help, --frames N, and a clean end on
SIGTERM and SIGINT (SDL turns them into QUIT).  Every run is bounded by a hard kill."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from .demos import ROOT, demo_env, finish, read_json_line, start_demo

DEMOS = ["bouncing", "steer", "paint", "gallery"]


@pytest.mark.parametrize("demo", DEMOS)
def test_help(demo):
    out = subprocess.run([sys.executable, "-m", f"apps.{demo}", "--help"], cwd=ROOT,
                         env=demo_env(), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert f"usage: python -m apps.{demo}" in out.stdout and "--frames" in out.stdout


@pytest.mark.parametrize("demo", DEMOS)
def test_frames_n_runs_n_frames_and_exits_0(demo, tmp_path):
    shot = tmp_path / "last.png"
    proc = start_demo(demo, "--frames", "20", "--screenshot", str(shot))
    code, _, err = finish(proc, timeout=60)
    assert code == 0, err
    assert shot.stat().st_size > 1000  # it drew, and saved its last frame


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("demo", ["bouncing", "steer"])
def test_a_signal_ends_the_demo_cleanly_and_promptly(demo, sig):
    proc = start_demo(demo, "--report-at", "3")
    read_json_line(proc, timeout=30)  # it is running: frame 3 is done
    sent = time.monotonic()
    proc.send_signal(sig)
    code, _, err = finish(proc, timeout=10)
    assert code == 0, err
    assert time.monotonic() - sent < 5
    assert "Traceback" not in err
