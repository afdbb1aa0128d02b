"""UI events as typed records: what the display delivers, one list per frame per subscriber.

The display reads pygame's queue once per frame and turns each event into one of the
records below.  Mouse records carry positions in the receiving surface's own coordinates
(and ``inside``: whether the pointer was over that surface), so the same pygame event
gives each subscriber its own record.  Records are ``NamedTuple``\\ s: cheap to make in a
flood of mouse motion, immutable, and typed.

Subscriptions are per :class:`EventKind`; ``FRAME`` is not a pygame event but a tick the
display adds to the batch of every subscriber once per frame.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

import pygame

__all__ = [
    "MOUSE_KINDS",
    "EventKind",
    "Frame",
    "Key",
    "MouseButton",
    "MouseMotion",
    "MouseWheel",
    "Quit",
    "UIEvent",
    "UserEvent",
    "WindowEvent",
    "kind_of",
]


class EventKind(enum.Enum):
    """What a client can subscribe to."""

    MOUSE_DOWN = "mouse_down"
    MOUSE_UP = "mouse_up"
    MOUSE_MOTION = "mouse_motion"
    MOUSE_WHEEL = "mouse_wheel"
    KEY_DOWN = "key_down"
    KEY_UP = "key_up"
    QUIT = "quit"  #: the window was closed (or SIGINT/SIGTERM, or a Quit request)
    USER = "user"  #: pygame.USEREVENT and above (posted by programs)
    WINDOW = "window"  #: exposed, resized, shown, focus changes
    FRAME = "frame"  #: one tick per frame (not a pygame event)


#: Kinds whose records carry a surface-local ``pos``.
MOUSE_KINDS = frozenset({EventKind.MOUSE_DOWN, EventKind.MOUSE_UP, EventKind.MOUSE_MOTION})

Point = tuple[int, int]


class MouseButton(NamedTuple):
    """A button pressed (``MOUSE_DOWN``) or released (``MOUSE_UP``) at ``pos``."""

    kind: EventKind
    pos: Point  # in the receiving surface's coordinates
    button: int  # 1 left, 2 middle, 3 right (4/5: wheel, as pygame reports it)
    inside: bool  # the pointer was over this surface


class MouseMotion(NamedTuple):
    """The pointer moved to ``pos`` by ``rel`` with ``buttons`` held."""

    kind: EventKind
    pos: Point
    rel: Point
    buttons: tuple[int, int, int]
    inside: bool


class MouseWheel(NamedTuple):
    """The wheel turned (``y`` > 0: away from the user)."""

    kind: EventKind
    x: int
    y: int


class Key(NamedTuple):
    """A key pressed (``KEY_DOWN``) or released (``KEY_UP``); ``unicode`` is the text typed."""

    kind: EventKind
    key: int  # pygame.K_*
    mod: int  # pygame.KMOD_* bits
    unicode: str


class Quit(NamedTuple):
    """The user (or a signal, or a Quit request) asked the program to end."""

    kind: EventKind = EventKind.QUIT
    reason: str = "window closed"


class UserEvent(NamedTuple):
    """A program-posted pygame event (type >= pygame.USEREVENT) and its attributes."""

    kind: EventKind
    type: int
    data: dict[str, Any]


class WindowEvent(NamedTuple):
    """A window-manager event (exposed, resized, focus ...), by pygame type and attributes."""

    kind: EventKind
    type: int
    data: dict[str, Any]


class Frame(NamedTuple):
    """The display started frame ``number`` at ``time`` (its clock)."""

    kind: EventKind
    number: int
    time: float


UIEvent = MouseButton | MouseMotion | MouseWheel | Key | Quit | UserEvent | WindowEvent | Frame

_KINDS: dict[int, EventKind] = {
    pygame.MOUSEBUTTONDOWN: EventKind.MOUSE_DOWN,
    pygame.MOUSEBUTTONUP: EventKind.MOUSE_UP,
    pygame.MOUSEMOTION: EventKind.MOUSE_MOTION,
    pygame.MOUSEWHEEL: EventKind.MOUSE_WHEEL,
    pygame.KEYDOWN: EventKind.KEY_DOWN,
    pygame.KEYUP: EventKind.KEY_UP,
    pygame.QUIT: EventKind.QUIT,
    pygame.VIDEORESIZE: EventKind.WINDOW,
    pygame.VIDEOEXPOSE: EventKind.WINDOW,
    pygame.WINDOWEXPOSED: EventKind.WINDOW,
    pygame.WINDOWRESIZED: EventKind.WINDOW,
    pygame.WINDOWSIZECHANGED: EventKind.WINDOW,
    pygame.WINDOWRESTORED: EventKind.WINDOW,
    pygame.WINDOWSHOWN: EventKind.WINDOW,
    pygame.WINDOWFOCUSGAINED: EventKind.WINDOW,
    pygame.WINDOWFOCUSLOST: EventKind.WINDOW,
}


def kind_of(event_type: int) -> EventKind | None:
    """The :class:`EventKind` of a pygame event type (None: not delivered)."""
    kind = _KINDS.get(event_type)
    if kind is None and pygame.USEREVENT <= event_type < pygame.NUMEVENTS:
        return EventKind.USER
    return kind


def shared_record(kind: EventKind, event: Any) -> UIEvent:
    """The record for a non-mouse pygame ``event`` (the same for every subscriber)."""
    if kind is EventKind.KEY_DOWN or kind is EventKind.KEY_UP:
        return Key(kind, event.key, getattr(event, "mod", 0), getattr(event, "unicode", ""))
    if kind is EventKind.MOUSE_WHEEL:
        return MouseWheel(kind, getattr(event, "x", 0), getattr(event, "y", 0))
    if kind is EventKind.QUIT:
        return Quit(kind, getattr(event, "reason", "window closed"))
    if kind is EventKind.USER:
        return UserEvent(kind, event.type, dict(event.dict))
    return WindowEvent(kind, event.type, dict(event.dict))
