"""Carousel: a new child made for each message on ``next``, replacing the last one."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from .._core import Component, EndSignal, ProducerFinished, ReaderGone, Shutdown, hand_over
from ._slot import take_control, tell, wire

__all__ = ["Carousel"]


class Carousel(Component):
    """Makes ``factory(message)`` for each message on ``next`` and puts it in its place.

    One child at a time: when a ``next`` message arrives while a child runs, that child is
    sent ``ProducerFinished`` (finish what you were given) and the new one starts once it
    has finished, so outputs never interleave; what the old child left unread passes to
    the new one.  The running child has the carousel's ``inbox`` and ``outbox``.

    Ends: ``ProducerFinished`` on ``control`` lets queued ``next`` messages and the last
    child finish, then the carousel ends; ``Shutdown`` is passed to the running child and
    ends it now.  Either way the end goes out on ``signal``.  A child that ends because
    its readers are gone (``ReaderGone``: the carousel's outbox leads nowhere live) ends
    the carousel too.  What the last child leaves unread is dropped (counted).
    """

    Inboxes = {
        "inbox": "passed to the running child",
        "next": "each message makes a new child: factory(message)",
        "control": "ProducerFinished (finish after the last child) or Shutdown",
        "child_signal": "the running child's signal (taken and dropped)",
    }
    Outboxes = {
        "outbox": "the running child's outbox",
        "signal": "ProducerFinished / Shutdown once the carousel ends",
        "child_control": "to the running child's control",
    }

    def __init__(self, factory: Callable[[Any], Component], *, name: str | None = None) -> None:
        super().__init__(name=name)
        if not callable(factory):
            raise TypeError(f"{self.name}: factory must be callable, not {factory!r}")
        self.factory = factory
        self.made = 0
        self.wake_on("next", "control")  # a finishing child wakes us too

    def main(self) -> Generator[None, Any, None]:
        ending: EndSignal | None = None
        current: Component | None = None
        told: Component | None = None  # the child already sent ProducerFinished
        previous: Component | None = None  # finished, its unread input not yet handed on
        while True:
            ending = take_control(self, current, ending, pass_finished=False)
            for msg in self.recv_all("child_signal"):
                if isinstance(msg, ReaderGone):  # our outbox leads nowhere live
                    ending = msg
            if current is not None and current.done:
                self.remove_child(current)
                previous, current = current, None
            if current is None:
                if isinstance(ending, Shutdown):
                    break
                if self.data_ready("next"):
                    current = self._make(self.recv("next"))
                    self.add_child(current, self.made)
                    self.made += 1
                    if previous is not None:
                        hand_over(previous, current)
                        previous = None
                    wire(self, current)
                    told = None
                elif ending is not None:
                    break
            if current is not None and current is not told:
                if self.data_ready("next") or (ending is not None and not isinstance(ending, Shutdown)):
                    tell(self, current, ProducerFinished("carousel: next child"))
                    told = current
            self.pause()
            yield
        if previous is not None:  # no child comes next: what it left unread is dropped
            hand_over(previous, None)
        self.send(ending if isinstance(ending, Shutdown) else ProducerFinished("carousel"), "signal")

    def keeps_inboxes_of(self, child: Component) -> bool:
        return True  # a finished child's unread input goes to the next one (hand_over)

    def _make(self, msg: Any) -> Component:
        child = self.factory(msg)
        if not isinstance(child, Component):
            raise TypeError(f"{self.path}: factory({msg!r}) returned {child!r}, not a Component")
        return child
