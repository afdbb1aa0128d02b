"""Helpers for running the pygame demos as processes: environments, a bounded run that is
hard-killed when late, reading a JSON line, and an Xvfb X server with screenshots."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def demo_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYGAME_HIDE_SUPPORT_PROMPT="1", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def start_demo(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", f"apps.{name}", *args], cwd=ROOT,
                            env=env or demo_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def read_json_line(proc: subprocess.Popen[str], timeout: float) -> Any:
    """The first line of ``proc``'s output that is a JSON object (kills it on timeout)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
            proc.kill()
            raise AssertionError(f"no JSON line within {timeout} s: {proc.communicate()}")
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"ended without a JSON line: {proc.communicate()}")
        if line.startswith("{"):
            return json.loads(line)


def finish(proc: subprocess.Popen[str], timeout: float) -> tuple[int, str, str]:
    """Wait for ``proc``; past ``timeout`` it is killed (SIGKILL) and the test fails."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"still running after {timeout} s; killed. stderr: {err[-2000:]}") from None
    return proc.returncode, out, err


class Xvfb:
    """A private X server on a free display number, with its screen readable as pixels.

    Xvfb picks the display itself (``-displayfd``) and keeps its framebuffer in an XWD
    file (``-fbdir``), so a screenshot is what the X server really shows.
    """

    def __init__(self, fbdir: Path, size: tuple[int, int] = (1024, 768)) -> None:
        if shutil.which("Xvfb") is None:
            raise RuntimeError("Xvfb is missing: make test installs Debian's xvfb "
                               "(apt-get install xvfb)")
        self.fbdir = fbdir
        self.size = size
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24",
             "-fbdir", str(fbdir), "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        try:
            number = b""
            while not number.endswith(b"\n"):  # the whole line: closing the pipe before
                if not select.select([read], [], [], 10)[0]:  # Xvfb wrote it kills Xvfb
                    raise RuntimeError("Xvfb did not start within 10 s")
                chunk = os.read(read, 32)
                if not chunk:
                    raise RuntimeError("Xvfb ended before giving its display number")
                number += chunk
            self.display = ":" + number.decode().strip()
        except BaseException:
            self.close()
            raise
        finally:
            os.close(read)

    def env(self) -> dict[str, str]:
        return demo_env(DISPLAY=self.display, SDL_VIDEODRIVER="x11",
                        SDL_VIDEO_WINDOW_POS="0,0")

    def screenshot(self) -> Any:
        """The screen as an (height, width, 3) uint8 RGB array."""
        data = (self.fbdir / "Xvfb_screen0").read_bytes()
        header = np.frombuffer(data[:100], dtype=">u4")
        header_size, width, height, bpp, bytes_per_line, ncolours = (
            int(header[0]), int(header[4]), int(header[5]), int(header[11]),
            int(header[12]), int(header[19]))
        assert bpp == 32 and int(header[7]) == 0, "expected 32-bit LSB-first pixels"
        start = header_size + 12 * ncolours
        pixels = np.frombuffer(data[start:start + bytes_per_line * height], dtype=np.uint8)
        return pixels.reshape(height, bytes_per_line // 4, 4)[:, :width, 2::-1].copy()

    def settled_screenshot(self, timeout: float = 10.0) -> Any:
        """A screenshot once two taken 0.1 s apart agree (the picture stopped changing)."""
        deadline = time.monotonic() + timeout
        last = self.screenshot()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            shot = self.screenshot()
            if np.array_equal(shot, last) and shot.any():
                return shot
            last = shot
        raise AssertionError("the screen did not settle")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def save_png(rgb: Any, path: Path) -> None:
    import pygame
    pygame.image.save(pygame.surfarray.make_surface(rgb.swapaxes(0, 1)), str(path))
