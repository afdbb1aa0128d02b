"""Button: a captioned box that sends a message when clicked (or when its key is pressed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygame

from ..errors import OnError
from ..timing import Clock
from .client import Widget
from .events import EventKind, UIEvent

__all__ = ["Button", "Clicked"]

Colour = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Clicked:
    """The default message of a :class:`Button`: which button was clicked."""

    button: str


class Button(Widget):
    """Sends ``message`` on ``outbox`` for each left click on it, or press of ``key``.

    The surface is sized to the caption plus ``margin`` unless ``size`` is given.  A click
    counts only when the button is the topmost surface under the pointer.  A new caption
    (a str) on ``inbox`` replaces the old one.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from components.testing import FakeClock
    >>> from components.ui import Clear
    >>> from components.ui.testing import UIHarness
    >>> clock = FakeClock()
    >>> button = Button("Clear", (10, 10), key=pygame.K_c, message=Clear(), clock=clock)
    >>> with UIHarness(button, clock=clock) as ui:  # a display, stepped frame by frame
    ...     sent = ui.watch(button)
    ...     ui.click((15, 15))  # a click on the button
    ...     ui.key(pygame.K_c)  # and its key
    ...     ui.frames(1)
    >>> list(sent)
    [Clear(), Clear()]
    """

    Inboxes = {
        "inbox": "a new caption (str)",
        "control": "ProducerFinished or Shutdown: release the surface and end",
        "display": "from the display: Granted, DisplayClosed",
        "events": "mouse-down (and key-down with a key) batches from the display",
    }
    Outboxes = {
        "outbox": "the message, once per click or key press",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "BadInput records (a caption that is not a str) when on_error='send'",
    }

    def __init__(self, caption: str = "Button", position: tuple[float, float] | None = None, *,
                 message: Any = None, key: int | None = None, size: tuple[int, int] | None = None,
                 margin: int = 8, font_size: int = 24, background: Colour = (60, 90, 160),
                 foreground: Colour = (255, 255, 255), pressed: Colour = (250, 200, 60),
                 z: int = 0, clock: Clock | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        events = {EventKind.MOUSE_DOWN} | ({EventKind.KEY_DOWN} if key is not None else set())
        if size is None:
            if not pygame.font.get_init():
                pygame.font.init()
            w, h = pygame.font.Font(None, font_size).size(caption)
            size = (w + 2 * margin, h + 2 * margin)
        # only_inside: a click reaches the topmost surface under the pointer only (keys
        # are not mouse events: they arrive whatever the pointer does)
        super().__init__(size, position, z=z, events=events, only_inside=True, clock=clock,
                         on_error=on_error, name=name or f"Button({caption!r})")
        self.caption = caption
        self.message = message if message is not None else Clicked(caption)
        self.key = key
        self.font_size = font_size
        self.colours = (background, foreground, pressed)
        self.clicks = 0
        self._font: pygame.font.Font | None = None
        self._lit_until = 0.0

    def setup(self) -> None:
        self._font = pygame.font.Font(None, self.font_size)
        self._paint(False)

    def _paint(self, lit: bool) -> None:
        background, foreground, pressed = self.colours
        surf = self.surface
        surf.fill(pressed if lit else background)
        pygame.draw.rect(surf, foreground, surf.get_rect(), 2)
        assert self._font is not None
        text = self._font.render(self.caption, True, (20, 20, 20) if lit else foreground)
        surf.blit(text, text.get_rect(center=surf.get_rect().center))
        self.changed()

    def on_events(self, events: list[UIEvent]) -> None:
        for ev in events:
            if ev.kind is EventKind.MOUSE_DOWN:
                if ev.button == 1 and ev.inside:  # type: ignore[union-attr]
                    self._press()
            elif ev.kind is EventKind.KEY_DOWN and ev.key == self.key:  # type: ignore[union-attr]
                self._press()

    def _press(self) -> None:
        self.clicks += 1
        self.send(self.message)
        self._paint(True)
        self._lit_until = self.clock.now() + 0.12
        self.alarm.set_at(self._lit_until)

    def on_time(self, now: float) -> None:
        if now >= self._lit_until:
            self.alarm.cancel()
            self._paint(False)

    def on_inbox(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if isinstance(msg, str):
                self.caption = msg
                self._paint(False)
            else:
                self.reject(f"a caption is a str, not {type(msg).__name__}", msg)
