"""A one-line progress bar on a terminal (redrawn at most ten times a second)."""

from __future__ import annotations

import sys
import time
from typing import IO

__all__ = ["Progress"]


class Progress:
    """``[#########.........] 180/400  45%  61.2 msg/s  ETA 3.6 s`` for ``total`` items.

    Draws only on a terminal unless ``force``; ``enabled=False`` draws nothing.
    """

    def __init__(self, total: int, label: str = "", *, stream: IO[str] | None = None,
                 width: int = 30, enabled: bool = True, force: bool = False,
                 every: float = 0.1) -> None:
        self.total = max(1, total)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.every = every
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.enabled = enabled and (force or tty)
        self.done = 0
        self.t0 = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.every or done >= self.total):
            self._last = now
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        frac = min(1.0, self.done / self.total)
        filled = int(frac * self.width)
        elapsed = max(now - self.t0, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta_text = f"ETA {eta:.1f} s" if eta != float("inf") else "ETA ?"
        label = f"{self.label} " if self.label else ""
        return (f"{label}[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/"
                f"{self.total} {frac:4.0%}  {rate:.1f} msg/s  {eta_text}")

    def _draw(self, now: float) -> None:
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw(time.monotonic())
            if self._drawn:
                self.stream.write("\n")
                self.stream.flush()
