"""Seq: components run one after another, each given the sequence's boxes in turn."""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

from .._core import Component, EndSignal, ProducerFinished, ReaderGone, Shutdown, hand_over
from ._slot import take_control, tell, wire

__all__ = ["Seq"]


class Seq(Component):
    """Runs ``components`` one at a time, in order, each in the sequence's place.

    The running component gets the sequence's ``inbox`` and sends on its ``outbox``;
    messages it leaves unread pass to the next one (the last one's are dropped, counted).
    A component that ends because its readers are gone (``ReaderGone``) ends the sequence.  Its ``signal`` does not leave the
    sequence (it would end what is downstream).  On ``control``: ``ProducerFinished`` is
    given to the running component and to each later one as it starts (the input has
    ended for all of them); ``Shutdown`` stops the running one and skips the rest.  After
    the last, the sequence sends ``ProducerFinished`` on its ``signal`` (``Shutdown`` if
    it was shut down).
    """

    Inboxes = {
        "inbox": "passed to the running component",
        "control": "ProducerFinished (passed to each in turn) or Shutdown (skip the rest)",
        "child_signal": "the running component's signal (taken and dropped)",
    }
    Outboxes = {
        "outbox": "the running component's outbox",
        "signal": "ProducerFinished after the last component (Shutdown if shut down)",
        "child_control": "to the running component's control",
    }

    def __init__(self, *components: Component, name: str | None = None) -> None:
        super().__init__(name=name)
        for c in components:
            if not isinstance(c, Component):
                raise TypeError(f"{self.name}: {c!r} is not a Component")
        self.pending: deque[Component] = deque(components)
        self._started = 0
        self.wake_on("control")  # a finishing child wakes us too

    def keeps_inboxes_of(self, child: Component) -> bool:
        return True  # a finished child's unread input goes to the next one (hand_over)

    def _start(self, child: Component, previous: Component | None) -> None:
        self.add_child(child, self._started)
        self._started += 1
        if previous is not None:
            hand_over(previous, child)
        wire(self, child)

    def main(self) -> Generator[None, Any, None]:
        ending: EndSignal | None = None
        current: Component | None = None
        while True:
            ending = take_control(self, current, ending)
            for msg in self.recv_all("child_signal"):
                if isinstance(msg, ReaderGone):  # our outbox leads nowhere live
                    ending = msg
            if current is None or current.done:
                nxt = None if isinstance(ending, Shutdown) or not self.pending else self.pending.popleft()
                if current is not None:
                    self.remove_child(current)
                if nxt is None:
                    if current is not None:  # none comes next: its unread input is dropped
                        hand_over(current, None)
                    break
                self._start(nxt, current)
                current = nxt
                if ending is not None:
                    tell(self, current, ending)
            self.pause()
            yield
        self.send(ending if isinstance(ending, Shutdown) else ProducerFinished("seq"), "signal")
