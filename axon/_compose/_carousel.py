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

    Pull mode (Kamaelia's ``requestNext``): with ``request`` (any message the job source
    understands, e.g. ``"next"`` for a ``components.Chooser``), the carousel sends it on
    ``requests`` each time a child finishes, so a source hands out one job per request;
    with ``request_first=True`` it also asks once at start (for a source that sends
    nothing until asked).  Once the carousel has been told its input has ended
    (``ProducerFinished``) it asks no more.  If the job source goes while a child runs
    (the carousel is told ``ReaderGone`` for ``requests``), that is taken as the end of
    the jobs, like ``ProducerFinished``: the running child finishes its job.
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
        "requests": "(pull mode) the request message, each time a child finishes (and at "
                    "start with request_first)",
    }

    def __init__(self, factory: Callable[[Any], Component], *, request: Any = None,
                 request_first: bool = False, name: str | None = None) -> None:
        super().__init__(name=name)
        if not callable(factory):
            raise TypeError(f"{self.name}: factory must be callable, not {factory!r}")
        if request_first and request is None:
            raise ValueError(f"{self.name}: request_first needs the request to send "
                             "(request=..., e.g. 'next' for a Chooser)")
        self.factory = factory
        self.request = request
        self.request_first = request_first
        self.made = 0
        self.requested = 0  # requests sent (pull mode)
        self.wake_on("next", "control")  # a finishing child wakes us too

    def main(self) -> Generator[None, Any, None]:
        ending: EndSignal | None = None
        current: Component | None = None
        told: Component | None = None  # the child already sent ProducerFinished
        previous: Component | None = None  # finished, its unread input not yet handed on
        pull = self.request is not None
        if self.request_first:
            self._ask()
        while True:
            if pull:
                self._jobs_gone_is_the_end()
            ending = take_control(self, current, ending, pass_finished=False)
            for msg in self.recv_all("child_signal"):
                if isinstance(msg, ReaderGone):  # our outbox leads nowhere live
                    ending = msg
            if current is not None and current.done:
                self.remove_child(current)
                previous, current = current, None
                if pull and ending is None:
                    self._ask()
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

    def _ask(self) -> None:
        self.requested += 1
        self.send(self.request, "requests")

    def _jobs_gone_is_the_end(self) -> None:
        """Pull mode: a ``ReaderGone`` while the carousel's own outbox still leads somewhere
        (live, or not linked yet) is about ``requests``: no more jobs can come, which is
        ``ProducerFinished``, not a reason to stop the running child."""
        q = self.inboxes["control"].queue
        if not q:
            return
        targets = self.outboxes["outbox"].targets
        if targets and all(t.closed for t in targets):
            return  # our readers have gone too: a real ReaderGone
        for i, msg in enumerate(q):
            if isinstance(msg, ReaderGone):
                q[i] = ProducerFinished(f"carousel: job source gone ({msg.reason})")

    def keeps_inboxes_of(self, child: Component) -> bool:
        return True  # a finished child's unread input goes to the next one (hand_over)

    def _make(self, msg: Any) -> Component:
        child = self.factory(msg)
        if not isinstance(child, Component):
            raise TypeError(f"{self.path}: factory({msg!r}) returned {child!r}, not a Component")
        return child
