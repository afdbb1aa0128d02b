"""Ticker: text shown one word at a time, paced by a timer, wrapping and scrolling."""

from __future__ import annotations

from collections import deque
from typing import Any

from ..errors import OnError
from ..timing import Clock
from .text import _TextWidget

__all__ = ["Ticker"]

Colour = tuple[int, int, int]


class Ticker(_TextWidget):
    """Shows the text sent to ``inbox`` word by word, ``words_per_second`` of them, on a
    timer (no busy waiting).  Lines wrap at the edge; when the box is full it scrolls up a
    line.  Anything on ``clear`` empties it and drops the words not yet shown.  At
    ``ProducerFinished`` it shows every word already sent before passing the end on.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from axon import Pipeline
    >>> from components.testing import FakeClock
    >>> from components.ui import Textbox
    >>> from components.ui.testing import UIHarness
    >>> clock = FakeClock()
    >>> ticker = Ticker((300, 200), (0, 40), words_per_second=10, clock=clock)
    >>> with UIHarness(Pipeline(Textbox((300, 30)), ticker), clock=clock) as ui:
    ...     ui.type("one two three four")
    ...     ui.key(pygame.K_RETURN, "\\r")
    ...     ui.frames(1)  # the first word at once
    ...     ticker.lines
    ...     ui.frames(15)  # 0.25 s later (60 frames a second): a word per 0.1 s
    ...     ticker.lines
    ['one']
    ['one two three']
    """

    Inboxes = {
        "inbox": "text to show (str)",
        "clear": "any message: clear the ticker and the words waiting",
        "control": "ProducerFinished (after the words already sent) or Shutdown",
        "display": "from the display: Granted, DisplayClosed",
        "events": "(none subscribed)",
    }
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end of stream, passed on once every word is shown",
        "to_display": "requests to the display service",
        "error": "BadInput records (text that is not a str) when on_error='send'",
    }

    def __init__(self, size: tuple[int, int] = (400, 200),
                 position: tuple[float, float] | None = None, *,
                 words_per_second: float = 8.0, font_size: int = 28,
                 foreground: Colour = (255, 240, 160), background: Colour = (30, 30, 60),
                 z: int = 0, clock: Clock | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        if words_per_second <= 0:
            raise ValueError(f"Ticker: words_per_second must be > 0, not {words_per_second}")
        super().__init__(size, position, font_size=font_size, foreground=foreground,
                         background=background, z=z, events=set(), on_error=on_error,
                         name=name)
        if clock is not None:
            self.clock = clock
        self.interval = 1.0 / words_per_second
        self.waiting: deque[str] = deque()
        self.lines: list[str] = [""]
        self.shown = 0  # words shown so far
        self._due = 0.0

    def render(self) -> None:
        self._lines_at_top(self.lines)

    def busy(self) -> bool:
        return bool(self.waiting)

    def on_inbox(self, msgs: list[Any]) -> None:
        idle = not self.waiting
        for msg in msgs:
            if isinstance(msg, str):
                self.waiting.extend(msg.split())
            else:
                self.reject(f"a Ticker shows str text, not {type(msg).__name__}", msg)
        if idle and self.waiting:
            self._due = max(self._due, self.clock.now())
            self.on_time(self.clock.now())

    def on_box(self, box: str, msgs: list[Any]) -> None:
        if box == "clear":
            self.waiting.clear()
            self.lines = [""]
            self.alarm.cancel()
            self.render()

    def on_time(self, now: float) -> None:
        while self.waiting and self._due <= now:
            self._add(self.waiting.popleft())
            self._due += self.interval
        if self.waiting:
            self.alarm.set_at(self._due)
        else:
            self.alarm.cancel()

    def _add(self, word: str) -> None:
        width = self.size[0] - 8
        line = self.lines[-1]
        candidate = f"{line} {word}" if line else word
        if self.font.size(candidate)[0] <= width or not line:
            self.lines[-1] = candidate
        else:
            self.lines.append(word)
        room = max(1, (self.size[1] - 4) // self.font.get_linesize())
        if len(self.lines) > room:  # scroll up a line
            del self.lines[:-room]
        self.shown += 1
        self.render()
