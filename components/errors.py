"""How components report bad input: an ``error`` outbox or an exception, chosen per component.

Every component that can meet bad input (a wrong type, undecodable bytes, an oversized line
or frame, a garbage header) takes ``on_error``:

- ``OnError.RAISE`` (the default): raise :class:`BadInputError`; the scheduler stops the
  system with a ``ComponentError`` naming the component (or a supervisor such as
  ``TCPServer`` takes charge of it).
- ``OnError.SEND``: send a :class:`BadInput` record on the component's ``error`` outbox,
  skip the bad item and carry on with the rest of the traffic.

Either way the message names the component (its ``path``) and what was wrong.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["BadInput", "BadInputError", "OnError"]


class OnError(enum.Enum):
    """What a component does with bad input."""

    RAISE = "raise"  #: raise BadInputError (stops the component, and the system unless supervised)
    SEND = "send"  #: send a BadInput record on the ``error`` outbox and carry on


@dataclass(frozen=True, slots=True)
class BadInput:
    """One rejected item: which component, what was wrong, and the offending data."""

    component: str  # the component's path, e.g. "Pipeline[1]:LineSplitter"
    problem: str
    data: Any = None

    def __str__(self) -> str:
        return f"{self.component}: {self.problem}"


class BadInputError(ValueError):
    """Raised by a component with ``on_error=OnError.RAISE`` on bad input."""

    def __init__(self, record: BadInput) -> None:
        super().__init__(str(record))
        self.record = record
