"""TimeToLive: a component (or a whole sub-system) that is shut down after a time."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from axon import Component, EndSignal, ProducerFinished, Shutdown

from .timing import Alarm, Clock, SystemClock

__all__ = ["TimeToLive"]


class TimeToLive(Component):
    """Runs ``component`` for at most ``seconds``, then shuts it down, passing on
    everything it produced (Kamaelia's ``TTL``).

    The component stands in the wrapper's place: the wrapper's ``inbox`` and ``control``
    pass straight through to it and its ``outbox`` comes straight out (links, so what it
    sends is downstream as soon as it is sent).  When the time is up it is sent
    ``Shutdown`` (a composition passes it on to its parts); if it has not ended
    ``grace`` seconds later (it ignores ``Shutdown``), it is stopped (its ``finally``
    blocks run) and what waits in its inboxes is counted as dropped.

    ``signal``: if the component ended by itself (or on the wrapper's ``control``), its
    own end is passed on.  If the time ran out, downstream is sent ``ProducerFinished``,
    not ``Shutdown``: the stream has ended, and what the component produced before it
    must still be processed.  An error in the component propagates as usual, naming it
    (``TimeToLive[0]:Parser``).  ``clock`` is a ``components.timing`` clock
    (``testing.FakeClock`` in tests).

    >>> from axon.testing import FakeClock, run_component
    >>> from components import Periodic
    >>> clock = FakeClock()
    >>> ticks = TimeToLive(Periodic(1.0, clock=clock), 3.5, clock=clock)  # forever, for 3.5 s
    >>> out = run_component(ticks, clock=clock)
    >>> out["outbox"], out["signal"], clock.now()
    ([0, 1, 2], [ProducerFinished(reason='TimeToLive: time to live of 3.5 s is up')], 3.5)
    """

    Inboxes = {
        "inbox": "passed through to the component's inbox",
        "control": "passed through to the component's control",
        "child_signal": "the component's signal (its end, passed on once it has ended)",
    }
    Outboxes = {
        "outbox": "the component's outbox: everything it produced",
        "signal": "its end; ProducerFinished if the time ran out",
        "child_control": "Shutdown to the component when the time is up",
    }

    def __init__(self, component: Component, seconds: float, *, grace: float | None = 1.0,
                 clock: Clock | None = None, name: str | None = None) -> None:
        super().__init__(name=name)
        if not isinstance(component, Component):
            raise TypeError(f"{self.name}: wraps a Component, not {component!r}")
        if seconds < 0 or (grace is not None and grace < 0):
            raise ValueError(f"{self.name}: seconds and grace are at least 0")
        self.component = component
        self.seconds = seconds
        self.grace = grace
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.expired = False  # the time ran out (the component was sent Shutdown)
        self.stopped = False  # it ignored that for `grace` seconds and was stopped
        self.add_child(component)
        ins, outs = component.inboxes, component.outboxes
        if "inbox" in ins:
            self.link((self, "inbox"), (component, "inbox"))
        if "control" in ins:
            self.link((self, "control"), (component, "control"))
            self.link((self, "child_control"), (component, "control"))
        if "outbox" in outs:
            self.link((component, "outbox"), (self, "outbox"))
        if "signal" in outs:
            self.link((component, "signal"), (self, "child_signal"))
        self.wake_on("child_signal")  # (and the alarm, and the component ending)

    def main(self) -> Generator[None, Any, None]:
        clock = self.clock
        child = self.component
        alarm = Alarm(self, clock)
        deadline = clock.now() + self.seconds
        ours = Shutdown(f"{self.path}: time to live of {self.seconds} s is up")
        end: EndSignal | None = None
        try:
            while True:
                end = self._take_signal(end)
                if child.done:
                    break
                now = clock.now()
                if not self.expired:
                    if now >= deadline:
                        self.expired = True
                        self.send(ours, "child_control")
                        if self.grace is not None:
                            deadline = now + self.grace
                            alarm.set_at(deadline)
                    else:
                        alarm.set_at(deadline)
                elif self.grace is not None and now >= deadline:
                    self.stopped = True
                    sched = self.scheduler
                    assert sched is not None
                    sched.stop(child)
                    sched.close_inboxes(child)  # what waits there, or comes, is counted
                    break
                self.pause()
                yield
        finally:
            alarm.cancel()
        end = self._take_signal(end)
        if self.expired and (end is None or end == ours or not isinstance(end, Shutdown)):
            end = ProducerFinished(f"{self.path}: time to live of {self.seconds} s is up")
        self.send(end if end is not None else ProducerFinished(self.path), "signal")

    def _take_signal(self, end: EndSignal | None) -> EndSignal | None:
        """The component's end, from its signal (other messages there are passed on)."""
        for msg in self.recv_all("child_signal"):
            if isinstance(msg, EndSignal):
                if end is None:
                    end = msg
            else:
                self.send(msg, "signal")
        return end
