"""Text widgets: a one-line Label, a scrolling TextDisplayer, and a Textbox for typed input."""

from __future__ import annotations

from typing import Any

import pygame

from ..errors import OnError
from .client import Widget
from .events import EventKind, Key, UIEvent

__all__ = ["Label", "TextDisplayer", "Textbox", "wrap"]

Colour = tuple[int, int, int]


def wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """``text`` split into lines no wider than ``width`` pixels (by words; a word longer
    than a line is cut)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.size(candidate)[0] <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            rest = word
            while font.size(rest)[0] > width and len(rest) > 1:  # cut an overlong word
                cut = len(rest)
                while cut > 1 and font.size(rest[:cut])[0] > width:
                    cut -= 1
                lines.append(rest[:cut])
                rest = rest[cut:]
            line = rest
        lines.append(line)
    return lines


class _TextWidget(Widget):
    def __init__(self, size: tuple[int, int], position: tuple[float, float] | None, *,
                 font_size: int, foreground: Colour, background: Colour, z: int,
                 events: set[EventKind], on_error: OnError | str, name: str | None) -> None:
        super().__init__(size, position, z=z, events=events, on_error=on_error, name=name)
        self.font_size = font_size
        self.foreground = foreground
        self.background = background
        self.font: pygame.font.Font = None  # type: ignore[assignment]

    def setup(self) -> None:
        self.font = pygame.font.Font(None, self.font_size)
        self.render()

    def render(self) -> None:
        raise NotImplementedError

    def _lines_at_top(self, lines: list[str]) -> None:
        surf = self.surface
        surf.fill(self.background)
        step = self.font.get_linesize()
        for i, line in enumerate(lines):
            surf.blit(self.font.render(line, True, self.foreground), (4, 2 + i * step))
        self.changed()


class Label(_TextWidget):
    """One line of text; a str on ``inbox`` replaces it.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> from axon import Pipeline
    >>> from components import IterableSource, Map
    >>> from components.ui.testing import UIHarness
    >>> label = Label("0 sprites", (10, 10))
    >>> with UIHarness(Pipeline(IterableSource([3, 5]), Map(lambda n: f"{n} sprites"), label)):
    ...     label.text
    '5 sprites'
    """

    Inboxes = {
        "inbox": "new text (str)",
        "control": "ProducerFinished or Shutdown: release the surface and end",
        "display": "from the display: Granted, DisplayClosed",
        "events": "(none subscribed)",
    }
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "BadInput records (text that is not a str) when on_error='send'",
    }

    def __init__(self, text: str = "", position: tuple[float, float] | None = None, *,
                 size: tuple[int, int] | None = None, font_size: int = 24,
                 foreground: Colour = (255, 255, 255), background: Colour = (0, 0, 0),
                 z: int = 0, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        if size is None:
            if not pygame.font.get_init():
                pygame.font.init()
            font = pygame.font.Font(None, font_size)
            size = (max(100, font.size(text)[0] + 8), font.get_linesize() + 4)
        super().__init__(size, position, font_size=font_size, foreground=foreground,
                         background=background, z=z, events=set(), on_error=on_error,
                         name=name)
        self.text = text

    def render(self) -> None:
        self._lines_at_top([self.text])

    def on_inbox(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if isinstance(msg, str):
                self.text = msg
            else:
                self.reject(f"a Label shows a str, not {type(msg).__name__}", msg)
        self.render()


class TextDisplayer(_TextWidget):
    """Lines of text, scrolling up as new ones arrive on ``inbox`` (long lines wrap).

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> from axon import Pipeline
    >>> from components import IterableSource
    >>> from components.ui.testing import UIHarness
    >>> shown = TextDisplayer((400, 300))
    >>> with UIHarness(Pipeline(IterableSource(["one", "two\\nthree"]), shown)):
    ...     shown.lines
    ['one', 'two', 'three']

    ``Pipeline(ConsoleReader(), TextDisplayer())`` shows the lines typed in the console.
    """

    Inboxes = {
        "inbox": "lines of text (str; a str with newlines is several lines)",
        "control": "ProducerFinished or Shutdown: release the surface and end",
        "display": "from the display: Granted, DisplayClosed",
        "events": "(none subscribed)",
    }
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "BadInput records (lines that are not str) when on_error='send'",
    }

    def __init__(self, size: tuple[int, int] = (400, 300),
                 position: tuple[float, float] | None = None, *, font_size: int = 20,
                 foreground: Colour = (230, 230, 230), background: Colour = (20, 20, 40),
                 z: int = 0, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(size, position, font_size=font_size, foreground=foreground,
                         background=background, z=z, events=set(), on_error=on_error,
                         name=name)
        self.lines: list[str] = []

    def render(self) -> None:
        self._lines_at_top(self.lines)

    def on_inbox(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if isinstance(msg, str):
                self.lines.extend(wrap(self.font, msg, self.size[0] - 8))
            else:
                self.reject(f"a TextDisplayer shows str lines, not {type(msg).__name__}", msg)
        room = max(1, (self.size[1] - 4) // self.font.get_linesize())
        del self.lines[:-room]
        self.render()


class Textbox(_TextWidget):
    """Typed input: printable keys add to the line, Backspace deletes, Escape clears, and
    Enter sends the line on ``outbox`` and starts a new one.  A str on ``inbox`` replaces
    the line being typed.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from axon import Pipeline
    >>> from components.ui.testing import UIHarness
    >>> shown = TextDisplayer((300, 100), (10, 50))
    >>> with UIHarness(Pipeline(Textbox((300, 30), (10, 10)), shown)) as ui:
    ...     ui.type("hello")
    ...     ui.key(pygame.K_RETURN, "\\r")
    ...     ui.type("world")
    ...     ui.key(pygame.K_RETURN, "\\r")
    ...     ui.frames(1)
    ...     shown.lines
    ['hello', 'world']
    """

    Inboxes = {
        "inbox": "text to put in the box (str)",
        "control": "ProducerFinished or Shutdown: release the surface and end",
        "display": "from the display: Granted, DisplayClosed",
        "events": "key-down batches from the display",
    }
    Outboxes = {
        "outbox": "each line, when Enter is pressed",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "BadInput records (text that is not a str) when on_error='send'",
    }

    ENTER = (pygame.K_RETURN, pygame.K_KP_ENTER)

    def __init__(self, size: tuple[int, int] = (300, 32),
                 position: tuple[float, float] | None = None, *, prompt: str = "> ",
                 font_size: int = 24, foreground: Colour = (255, 255, 255),
                 background: Colour = (40, 40, 40), z: int = 0,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(size, position, font_size=font_size, foreground=foreground,
                         background=background, z=z, events={EventKind.KEY_DOWN},
                         on_error=on_error, name=name)
        self.prompt = prompt
        self.text = ""

    def render(self) -> None:
        shown = self.prompt + self.text + "_"
        width = self.size[0] - 8
        while len(shown) > 1 and self.font.size(shown)[0] > width:  # keep the end in view
            shown = shown[1:]
        self._lines_at_top([shown])

    def on_events(self, events: list[UIEvent]) -> None:
        for ev in events:
            if not isinstance(ev, Key):
                continue
            if ev.key in self.ENTER:
                self.send(self.text)
                self.text = ""
            elif ev.key == pygame.K_BACKSPACE:
                self.text = self.text[:-1]
            elif ev.key == pygame.K_ESCAPE:
                self.text = ""
            elif ev.unicode and ev.unicode.isprintable():
                self.text += ev.unicode
            else:
                continue
            self.render()

    def on_inbox(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if isinstance(msg, str):
                self.text = msg
            else:
                self.reject(f"a Textbox holds a str, not {type(msg).__name__}", msg)
        self.render()
