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

    A ``str`` among the components is a title (Kamaelia printed them): it labels the
    component after it (``Seq[intro]:Player`` in paths and errors, instead of its number)
    and is sent on ``steps`` as the sequence reaches it, after everything the step before
    sent, so ``Seq("intro", a, "main", b, "done")`` announces each step (link ``steps`` to
    where ``outbox`` goes to see them in line with the output).
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
        "steps": "each title (a str given among the components) as the sequence reaches it",
    }

    def __init__(self, *components: Component | str, name: str | None = None) -> None:
        super().__init__(name=name)
        for c in components:
            if not isinstance(c, (Component, str)):
                raise TypeError(f"{self.name}: {c!r} is not a Component (nor a str title)")
        self.pending: deque[Component | str] = deque(components)
        self._started = 0
        self.wake_on("control")  # a finishing child wakes us too

    def keeps_inboxes_of(self, child: Component) -> bool:
        return True  # a finished child's unread input goes to the next one (hand_over)

    def _start(self, child: Component, previous: Component | None, title: str | None) -> None:
        self.add_child(child, self._started if title is None else title)
        self._started += 1
        if previous is not None:
            hand_over(previous, child)
        wire(self, child)

    def _next(self) -> tuple[Component | None, str | None]:
        """The next component, announcing the titles before it; its title (the last)."""
        title = None
        while self.pending:
            step = self.pending.popleft()
            if isinstance(step, str):
                title = step
                self.send(step, "steps")
            else:
                return step, title
        return None, None

    def main(self) -> Generator[None, Any, None]:
        ending: EndSignal | None = None
        current: Component | None = None
        while True:
            ending = take_control(self, current, ending)
            for msg in self.recv_all("child_signal"):
                if isinstance(msg, ReaderGone):  # our outbox leads nowhere live
                    ending = msg
            if current is None or current.done:
                nxt, title = (None, None) if isinstance(ending, Shutdown) else self._next()
                if current is not None:
                    self.remove_child(current)
                if nxt is None:
                    if current is not None:  # none comes next: its unread input is dropped
                        hand_over(current, None)
                    break
                self._start(nxt, current, title)
                current = nxt
                if ending is not None:
                    tell(self, current, ending)
            self.pause()
            yield
        self.send(ending if isinstance(ending, Shutdown) else ProducerFinished("seq"), "signal")
