"""DrawingBoard: draw with the left button, erase with the right; strokes come out as records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygame

from ..errors import OnError
from .client import Widget
from .events import EventKind, MouseButton, MouseMotion, UIEvent

__all__ = ["Clear", "DrawingBoard", "Pen", "Stroke"]

Colour = tuple[int, int, int]
Point = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Clear:
    """Wipe the board."""


@dataclass(frozen=True, slots=True)
class Pen:
    """Change the pen: its colour and/or width (None keeps the current one)."""

    colour: Colour | None = None
    width: int | None = None


@dataclass(frozen=True, slots=True)
class Stroke:
    """One finished stroke: the points it went through, in board coordinates."""

    points: tuple[Point, ...]
    colour: Colour
    width: int
    erase: bool = False


class DrawingBoard(Widget):
    """A board to draw on: hold the left button and move to draw, the right one to erase.

    It reads every mouse-motion event of each frame's batch, so fast strokes stay smooth
    however many events a frame brings.  Each finished stroke goes out on ``outbox`` as a
    :class:`Stroke`; :class:`Clear` and :class:`Pen` records on ``inbox`` wipe the board
    and change the pen.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from axon import Pipeline
    >>> from components.ui import Button
    >>> from components.ui.testing import UIHarness
    >>> board = DrawingBoard((200, 100), (0, 40))
    >>> with UIHarness(Pipeline(Button("Red", (0, 0), message=Pen((255, 0, 0))), board)) as ui:
    ...     strokes = ui.watch(board)
    ...     ui.click((10, 10))  # on the button: a red pen
    ...     ui.frames(1)
    ...     ui.click((10, 60), release=False)  # then a stroke on the board
    ...     ui.motion((50, 60), buttons=(1, 0, 0))
    ...     ui.post(pygame.MOUSEBUTTONUP, pos=(50, 60), button=1)
    ...     ui.frames(1)
    >>> list(strokes)  # (in board coordinates)
    [Stroke(points=((10, 20), (50, 20)), colour=(255, 0, 0), width=3, erase=False)]
    """

    Inboxes = {
        "inbox": "Clear() to wipe the board, Pen(colour, width) to change the pen",
        "control": "ProducerFinished or Shutdown: release the surface and end",
        "display": "from the display: Granted, DisplayClosed",
        "events": "mouse down/up/motion batches from the display",
    }
    Outboxes = {
        "outbox": "a Stroke for each finished stroke",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "BadInput records (not Clear or Pen) when on_error='send'",
    }

    def __init__(self, size: tuple[int, int] = (400, 300),
                 position: tuple[float, float] | None = None, *,
                 colour: Colour = (20, 20, 20), width: int = 3,
                 background: Colour = (250, 250, 245), eraser: int = 16, z: int = 0,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(size, position, z=z, events={EventKind.MOUSE_DOWN, EventKind.MOUSE_UP,
                                                      EventKind.MOUSE_MOTION},
                         on_error=on_error, name=name)
        self.colour = colour
        self.width = width
        self.background = background
        self.eraser = eraser
        self.motions = 0  # mouse-motion events read
        self.batches = 0  # event batches read
        self.strokes = 0
        self._button = 0  # the button drawing now (0: none)
        self._points: list[Point] = []

    def setup(self) -> None:
        self.surface.fill(self.background)
        self.changed()

    def _pen(self) -> tuple[Colour, int]:
        if self._button == 3:
            return self.background, self.eraser
        return self.colour, self.width

    def on_events(self, events: list[UIEvent]) -> None:
        self.batches += 1
        surf = self.surface
        line = pygame.draw.line
        circle = pygame.draw.circle
        drew = False
        for ev in events:
            if isinstance(ev, MouseMotion):
                self.motions += 1
                if not self._button:
                    continue
                colour, width = self._pen()
                pos = ev.pos
                line(surf, colour, self._points[-1], pos, width)
                if width > 2:
                    circle(surf, colour, pos, width // 2)
                self._points.append(pos)
                drew = True
            elif isinstance(ev, MouseButton):
                if ev.kind is EventKind.MOUSE_DOWN and not self._button and ev.inside \
                        and ev.button in (1, 3):
                    self._button = ev.button
                    self._points = [ev.pos]
                    colour, width = self._pen()
                    circle(surf, colour, ev.pos, max(1, width // 2))
                    drew = True
                elif ev.kind is EventKind.MOUSE_UP and ev.button == self._button:
                    self._finish()
        if drew:
            self.changed()

    def _finish(self) -> None:
        colour, width = self._pen()
        self.send(Stroke(tuple(self._points), colour, width, self._button == 3))
        self.strokes += 1
        self._button = 0
        self._points = []

    def on_inbox(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if isinstance(msg, Clear):
                self.surface.fill(self.background)
                self.changed()
            elif isinstance(msg, Pen):
                if msg.colour is not None:
                    self.colour = msg.colour
                if msg.width is not None:
                    self.width = msg.width
            else:
                self.reject(f"a DrawingBoard takes Clear or Pen, not {type(msg).__name__}", msg)
