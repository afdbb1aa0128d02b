"""Image: a picture from a file or a Surface, switched by sending a new one."""

from __future__ import annotations

import os
from typing import Any

import pygame

from ..errors import OnError
from .client import Widget

__all__ = ["Image"]

Colour = tuple[int, int, int]
Picture = str | os.PathLike[str] | pygame.Surface


class Image(Widget):
    """Shows a picture, scaled to fit its surface (keeping its proportions) and centred.

    A path or a ``pygame.Surface`` on ``inbox`` replaces it; ``None`` shows just the
    background.  A file that cannot be loaded is bad input (the old picture stays).
    Without ``size`` the surface takes the first picture's size.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from axon import Pipeline
    >>> from components.ui import KeyEvent
    >>> from components.ui.testing import UIHarness
    >>> red, blue = pygame.Surface((20, 20)), pygame.Surface((20, 20))
    >>> _ = red.fill((255, 0, 0)), blue.fill((0, 0, 255))
    >>> with UIHarness(Pipeline(KeyEvent({pygame.K_1: blue}), Image(red, (0, 0)))) as ui:
    ...     ui.pixel(10, 10)
    ...     ui.key(pygame.K_1)  # key 1 sends the blue picture
    ...     ui.frames(2)  # taken at the next frame, drawn at the one after
    ...     ui.pixel(10, 10)
    (255, 0, 0)
    (0, 0, 255)

    File names work the same way: ``KeyEvent({pygame.K_1: "cat.png"})``.
    """

    Inboxes = {
        "inbox": "a new picture: a file path or a pygame.Surface (None: none)",
        "control": "ProducerFinished or Shutdown: release the surface and end",
        "display": "from the display: Granted, DisplayClosed",
        "events": "(none subscribed)",
    }
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "BadInput records (unloadable files, wrong types) when on_error='send'",
    }

    def __init__(self, image: Picture | None = None, position: tuple[float, float] | None = None,
                 *, size: tuple[int, int] | None = None, background: Colour = (0, 0, 0),
                 z: int = 0, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        picture = self._load(image) if isinstance(image, (str, os.PathLike)) else image
        if size is None:
            if picture is None:
                raise ValueError("Image: give a size, or a first picture to take it from")
            size = picture.get_size()
        super().__init__(size, position, z=z, on_error=on_error, name=name)
        self.picture = picture
        self.background = background
        self.shown = 0  # pictures shown so far

    @staticmethod
    def _load(path: str | os.PathLike[str]) -> pygame.Surface:
        return pygame.image.load(os.fspath(path))

    def setup(self) -> None:
        self.render()

    def render(self) -> None:
        surf = self.surface
        surf.fill(self.background)
        pic = self.picture
        if pic is not None:
            pw, ph = pic.get_size()
            w, h = self.size
            k = min(w / pw, h / ph) if pw and ph else 1.0
            if abs(k - 1.0) > 1e-9:
                size = (max(1, round(pw * k)), max(1, round(ph * k)))
                pic = (pygame.transform.smoothscale(pic, size) if pic.get_bitsize() >= 24
                       else pygame.transform.scale(pic, size))
            surf.blit(pic, pic.get_rect(center=surf.get_rect().center))
        self.shown += 1
        self.changed()

    def on_inbox(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if msg is None or isinstance(msg, pygame.Surface):
                self.picture = msg
            elif isinstance(msg, (str, os.PathLike)):
                try:
                    self.picture = self._load(msg)
                except (pygame.error, OSError) as exc:
                    self.reject(f"cannot load picture {os.fspath(msg)!r}: {exc}", msg)
                    continue
            else:
                self.reject(f"a picture is a path or a Surface, not {type(msg).__name__}", msg)
                continue
        self.render()
