"""``python -m apps.mixer``, run as a child process (bounded by a hard timeout)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

from apps.mixer.config import DEFAULT_TOML

ROOT = Path(__file__).resolve().parents[3]


def mixer(*args: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "apps.mixer", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def test_help_names_every_option():
    out = mixer("--help")
    assert out.returncode == 0
    for option in ("--config FILE", "--seconds S", "--out DIR", "--console", "--play MIX",
                   "--show-config"):
        assert option in out.stdout
    assert mixer("--show-config").stdout == DEFAULT_TOML


def test_the_embedded_default_runs_and_writes_wavs_stats_and_a_drawing(tmp_path: Path):
    out = mixer("--seconds", "1.5", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "listening: control port on 127.0.0.1:" in text
    assert "LIST" in text and "-> OK sources bass(tone:110) lead(tone:440) hiss(noise)" in text
    assert "SWITCH main hiss ON" in text and "-> OK SWITCH main hiss ON" in text
    for heading in ("Sources", "Mixes", "real-time", "underruns", "dropped", "Control:",
                    "round trips: p50", "Run: "):
        assert heading in text, heading
    stats = json.loads((tmp_path / "stats.json").read_text())
    for name in ("main", "monitor"):
        m = stats["mixes"][name]
        assert m["frames"] in (150, 151, 152)  # 1.5 s of 10 ms frames, on the clock
        assert abs(m["realtime_ratio"] - 1) < 0.05
        with wave.open(str(tmp_path / f"{name}.wav"), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, 44_100)
            assert w.getnframes() == m["frames"] * 441
    assert stats["control"]["round_trips"] > 10
    assert (tmp_path / "mixes.png").exists()  # spectrograms (matplotlib: in the test set-up)
    drawn = (tmp_path / "mixer.svg").exists() and (tmp_path / "mixer.png").exists()
    assert drawn or "drawing not rendered: graphviz's `dot` program is missing" in text


def test_a_config_file_and_the_console(tmp_path: Path):
    cfg = tmp_path / "m.toml"
    cfg.write_text('[sources]\nDJ1 = "0"\nt = "tone:220"\n[mixes.air]\nsources = ["t"]\n'
                   'wav = "air.wav"\n')
    out = mixer("--config", str(cfg), "--console", "--out", str(tmp_path), "--no-draw",
                stdin="QUERY air ALL\nSWITCH air DJ1 ONLY\nQUERY air ALL\nFROB\n")
    assert out.returncode == 0, out.stderr  # the end of the console's input stopped it
    lines = out.stdout.splitlines()
    for reply in ("OK DJ1=OFF:+0.0dB t=ON:+0.0dB", "OK SWITCH air DJ1 ONLY",
                  "OK DJ1=ON:+0.0dB t=OFF:+0.0dB", "ERR unknown command 'FROB' (try HELP)"):
        assert reply in lines
    assert (tmp_path / "air.wav").exists() and not (tmp_path / "mixer.svg").exists()


def test_bad_configuration_is_refused_with_the_reason(tmp_path: Path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[mixes.m]\nsources = ['nobody']\n")
    out = mixer("--config", str(cfg), "--out", str(tmp_path))
    assert out.returncode == 2
    assert "mixes.m.sources: unknown source 'nobody'" in out.stderr
    out = mixer("--play", "nomix", "--out", str(tmp_path))
    assert out.returncode == 2 and "--play nomix: no such mix" in out.stderr


def test_ctrl_c_stops_it_cleanly_with_its_wavs_and_stats(tmp_path: Path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "apps.mixer", "--seconds", "0", "--out",
                             str(tmp_path), "--no-draw"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "listening: control port" in line:
                break
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Mixes" in out
    with wave.open(str(tmp_path / "main.wav"), "rb") as w:
        assert w.getnframes() > 441 * 10
