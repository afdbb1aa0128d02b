"""KeyEvent: key presses turned into messages, by a table that is plain data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import OnError
from .client import Widget
from .events import EventKind, Frame, Key, UIEvent

__all__ = ["KeyEvent"]

Action = Any  # a message, or (message, outbox name)


class KeyEvent(Widget):
    """Sends the message the table gives for each key pressed (``key_down``) or released
    (``key_up``).

    A table maps a ``pygame.K_*`` code to a message (sent on ``outbox``) or to a
    ``(message, outbox)`` pair, where ``outbox`` names one of this instance's outboxes
    (any other tuple is sent whole, as the message); extra outboxes are declared with
    ``outboxes=`` on this instance only.  With ``all_keys`` every
    :class:`~components.ui.events.Key` record is also sent on ``allkeys``.  With
    ``ticks`` each frame's :class:`~components.ui.events.Frame` tick goes out on
    ``outbox`` after that frame's messages, to clock the logic downstream (see
    ``Steering``).  It asks the display for a zero-sized surface: it draws nothing, it
    only listens.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from components.ui import Direction, Steer
    >>> from components.ui.testing import UIHarness
    >>> keys = KeyEvent({pygame.K_LEFT: Steer(Direction.LEFT, True)},
    ...                 key_up={pygame.K_LEFT: Steer(Direction.LEFT, False)})
    >>> with UIHarness(keys) as ui:
    ...     sent = ui.watch(keys)
    ...     ui.key(pygame.K_LEFT)  # pressed, then released
    ...     ui.frames(1)
    >>> [(steer.direction.name, steer.on) for steer in sent]
    [('LEFT', True), ('LEFT', False)]
    """

    Inboxes = {
        "inbox": "(unused: anything sent here is bad input)",
        "control": "ProducerFinished or Shutdown: release the surface and end",
        "display": "from the display: Granted, DisplayClosed",
        "events": "key batches from the display",
    }
    Outboxes = {
        "outbox": "messages the tables send to the default outbox (and Frame ticks)",
        "signal": "the end of stream, passed on",
        "allkeys": "every Key record (with all_keys=True)",
        "to_display": "requests to the display service",
        "error": "BadInput records when on_error='send'",
    }

    def __init__(self, key_down: Mapping[int, Action] | None = None, *,
                 key_up: Mapping[int, Action] | None = None,
                 outboxes: Mapping[str, str] | None = None, all_keys: bool = False,
                 ticks: bool = False, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        kinds = {EventKind.KEY_DOWN, EventKind.KEY_UP} | ({EventKind.FRAME} if ticks else set())
        super().__init__((0, 0), (0, 0), events=kinds, on_error=on_error, name=name)
        for box, description in (outboxes or {}).items():
            self.add_outbox(box, description)
        self.key_down = {k: self._action(a) for k, a in (key_down or {}).items()}
        self.key_up = {k: self._action(a) for k, a in (key_up or {}).items()}
        self.all_keys = all_keys

    def _action(self, action: Action) -> tuple[Any, str]:
        if (isinstance(action, tuple) and len(action) == 2 and isinstance(action[1], str)
                and action[1] in self.outboxes):
            return action[0], action[1]
        return action, "outbox"

    def on_events(self, events: list[UIEvent]) -> None:
        tick = None
        for ev in events:
            if isinstance(ev, Frame):
                tick = ev
            if not isinstance(ev, Key):
                continue
            table = self.key_down if ev.kind is EventKind.KEY_DOWN else self.key_up
            action = table.get(ev.key)
            if action is not None:
                self.send(action[0], action[1])
            if self.all_keys:
                self.send(ev, "allkeys")
        if tick is not None:
            self.send(tick)
