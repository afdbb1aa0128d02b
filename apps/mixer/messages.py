"""Typed records the mixer's parts exchange (besides the audio records in ``audio``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ListenerKind",
    "Listening",
    "Reply",
    "Request",
    "Route",
    "Subscribe",
    "Unsubscribe",
]


class ListenerKind(enum.Enum):
    CONTROL = "control"
    SOURCE = "source"
    MIX = "mix"


@dataclass(frozen=True, slots=True)
class Listening:
    """A TCP port is open: the control port, a source's port, or a mix's output port."""

    kind: ListenerKind
    name: str
    address: tuple[str, int]


@dataclass(frozen=True, slots=True)
class Request:
    """One command line from a control session; the reply is ``put`` into ``reply``
    (the session's own inbox: a return address, as an actor's reply-to)."""

    seq: int
    line: str
    reply: Any  # axon.Inbox[Reply]


@dataclass(frozen=True, slots=True)
class Reply:
    """The reply to request ``seq``: one line, ``OK ...`` or ``ERR ...`` (no newline)."""

    seq: int
    text: str


@dataclass(frozen=True, slots=True)
class Route:
    """Mix ``mix`` takes source ``source``: on or off, at ``gain_db``."""

    mix: str
    source: str
    on: bool
    gain_db: float


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Every mix joins source ``source``'s backplane (off unless routed)."""

    source: str
    backplane: str


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    """Every mix leaves source ``source`` (it is being removed)."""

    source: str
