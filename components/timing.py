"""Timer-driven components: delay, rate limiter, periodic clock; and the clocks they run on.

Timers never busy-wait: a component asks its clock for a callback at its next deadline
(``call_later``), pauses, and is woken either by that callback or by a message.  While a
timer is set the component holds the scheduler's ``keep_alive()``, so a system waiting only
on a timer is idle, not deadlocked.  Every component takes ``clock=``: the default
:class:`SystemClock` is asyncio's loop clock; ``components.testing.FakeClock`` makes tests
instant and deterministic.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, Protocol

from axon import Component, ProducerFinished, Shutdown

from ._stage import Stage
from .errors import OnError

__all__ = ["Clock", "Delay", "Periodic", "RateLimiter", "SystemClock", "Timed", "TimerHandle"]


class TimerHandle(Protocol):
    """What ``Clock.call_later`` returns."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """A source of time and timers (``SystemClock``, or ``testing.FakeClock`` in tests)."""

    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Call ``callback()`` once, ``delay`` seconds from now."""
        ...

    def sleep(self, delay: float) -> Any:
        """An awaitable that completes ``delay`` seconds from now (``yield clock.sleep(d)``)."""
        ...


class SystemClock:
    """Real time: the running asyncio loop's monotonic clock and timers."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        return asyncio.get_running_loop().call_later(delay, callback)

    def sleep(self, delay: float) -> Any:
        return asyncio.sleep(delay)


class Alarm:
    """One resettable timer that wakes ``component``; holds ``keep_alive`` while it is set."""

    def __init__(self, component: Component, clock: Clock) -> None:
        self.component = component
        self.clock = clock
        self.deadline: float | None = None
        self._handle: TimerHandle | None = None
        self._hold: Any = None

    def set_at(self, deadline: float) -> None:
        """Wake the component at ``deadline`` (replacing any earlier setting)."""
        if self._handle is not None and self.deadline == deadline:
            return
        self.cancel()
        self.deadline = deadline
        assert self.component.scheduler is not None, "an Alarm is set from a running component"
        self._hold = self.component.keep_alive()  # (the component's: see Scheduler.keep_alive)
        self._hold.__enter__()
        self._handle = self.clock.call_later(max(0.0, deadline - self.clock.now()), self._ring)

    def _ring(self) -> None:
        self._handle = None
        self._release()
        sched = self.component.scheduler
        if sched is not None:
            sched.wake(self.component)

    def _release(self) -> None:
        hold, self._hold = self._hold, None
        if hold is not None:
            hold.__exit__(None, None, None)

    def cancel(self) -> None:
        """Unset the alarm (idempotent)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.deadline = None
        self._release()


class Timed(Stage):
    """Base of the timer-driven stages: a clock, an alarm, and the pause/wake loop.

    ``main()`` takes the end of stream from ``control`` (``Shutdown`` stops at once), calls
    :meth:`step` with the time, and pauses until a message or the alarm wakes it; it passes
    the end on once ``step`` says it is done.  Subclasses set up their state in
    :meth:`start` and do their work in :meth:`step`::

    >>> from collections import deque
    >>> from axon import ProducerFinished
    >>> from axon.testing import FakeClock, run_component
    >>> class Echo(Timed):  # each message again, a second after it came
    ...     def start(self):
    ...         self.due = deque()
    ...     def step(self, alarm, now, end):
    ...         self.due.extend((now + 1, m) for m in self.recv_all())
    ...         while self.due and self.due[0][0] <= now:
    ...             self.send(self.due.popleft()[1])
    ...         if self.due:
    ...             alarm.set_at(self.due[0][0])
    ...         return end is not None and not self.due
    >>> clock = FakeClock()
    >>> run_component(Echo(clock=clock), inbox=["x"], control=[ProducerFinished()],
    ...               clock=clock)["outbox"], clock.now()
    (['x'], 1.0)
    """

    def __init__(self, *, clock: Clock | None = None, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.clock: Clock = clock if clock is not None else SystemClock()

    def start(self) -> None:
        """Make the state of one run (called as ``main()`` begins)."""

    def step(self, alarm: Alarm, now: float, end: Any) -> bool:
        """Take input and send what is due at ``now``; set ``alarm`` for the next deadline.

        ``end`` is the ``ProducerFinished`` taken so far (or None).  True when done.
        """
        raise NotImplementedError

    def main(self) -> Generator[Any, Any, None]:
        self.start()
        alarm = Alarm(self, self.clock)
        end = None
        try:
            while True:
                end = self.take_control(end)
                if isinstance(end, Shutdown) or self.step(alarm, self.clock.now(), end):
                    break
                self.pause()
                yield
        finally:
            alarm.cancel()
        self.send(end, "signal")


class Delay(Timed):
    """Passes each message on ``seconds`` after it arrived, in order.

    At ``ProducerFinished`` the messages still delayed are sent at their time, then the end
    is passed on; ``Shutdown`` drops them at once.

    >>> from axon import ProducerFinished
    >>> from axon.testing import FakeClock, run_component
    >>> clock = FakeClock()  # time moves only when nothing else can happen
    >>> run_component(Delay(0.5, clock=clock), inbox=["a", "b"], control=[ProducerFinished()],
    ...               clock=clock)["outbox"], clock.now()
    (['a', 'b'], 0.5)
    """

    Inboxes = {"inbox": "messages to delay", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "the same messages, each `seconds` later",
        "signal": "the end of stream, once every delayed message is out",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, seconds: float, *, clock: Clock | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(clock=clock, on_error=on_error, name=name)
        if seconds < 0:
            raise ValueError(f"Delay: seconds must be >= 0, not {seconds}")
        self.seconds = seconds

    def start(self) -> None:
        self._pending: deque[tuple[float, Any]] = deque()  # (when due, message)

    def step(self, alarm: Alarm, now: float, end: Any) -> bool:
        pending = self._pending
        for msg in self.recv_all():
            pending.append((now + self.seconds, msg))
        out = self.outboxes["outbox"]
        while pending and pending[0][0] <= now:
            out.push(pending.popleft()[1])
        if pending:
            alarm.set_at(pending[0][0])
            return False
        return end is not None


class RateLimiter(Timed):
    """Passes messages on at most ``rate`` per second, queueing the rest (none dropped).

    Up to ``burst`` messages may go at once after a quiet spell (a token bucket).  At
    ``ProducerFinished`` the queue is sent at the rate, then the end is passed on;
    ``Shutdown`` drops the queue.

    >>> from axon import ProducerFinished
    >>> from axon.testing import FakeClock, run_component
    >>> clock = FakeClock()
    >>> run_component(RateLimiter(10, clock=clock), inbox=range(5), control=[ProducerFinished()],
    ...               clock=clock)["outbox"], clock.now()
    ([0, 1, 2, 3, 4], 0.4)
    """

    Inboxes = {"inbox": "messages to pass on", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "the same messages, at most `rate` per second",
        "signal": "the end of stream, once the queue is empty",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, rate: float, *, burst: int = 1, clock: Clock | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(clock=clock, on_error=on_error, name=name)
        if rate <= 0:
            raise ValueError(f"RateLimiter: rate must be > 0, not {rate}")
        if burst < 1:
            raise ValueError(f"RateLimiter: burst must be >= 1, not {burst}")
        self.rate = rate
        self.burst = burst

    def start(self) -> None:
        self._queue: deque[Any] = deque()
        # GCRA: a message may go when now >= tat - tolerance ("theoretical arrival time");
        # exact comparisons, so an alarm set for the moment a message may go always sends it
        self._tat = self.clock.now()

    def step(self, alarm: Alarm, now: float, end: Any) -> bool:
        interval = 1.0 / self.rate
        tolerance = (self.burst - 1) * interval
        queue, tat = self._queue, self._tat
        queue.extend(self.recv_all())
        out = self.outboxes["outbox"]
        while queue and now >= tat - tolerance:
            out.push(queue.popleft())
            tat = max(tat, now) + interval
        self._tat = tat
        if queue:
            alarm.set_at(tat - tolerance)
            return False
        return end is not None


class Periodic(Timed):
    """Sends a tick every ``interval`` seconds: 0, 1, 2, ... (``count`` ticks, or forever).

    Ticks are due at ``start + k * interval`` (no drift).  A tick that comes more than an
    interval late is sent once and the schedule restarts from it (no burst of catch-up
    ticks).  Ends after ``count`` ticks, or at ``Shutdown``.  ``ProducerFinished`` (a
    source has no input to drain) lets it finish its ``count``; without a count, whose
    ticks would never finish, it ends there.

    >>> from axon.testing import FakeClock, run_component
    >>> clock = FakeClock()
    >>> run_component(Periodic(1.0, count=3, clock=clock), clock=clock)["outbox"], clock.now()
    ([0, 1, 2], 3.0)
    """

    Inboxes = {"inbox": "(unused: a source; anything sent here is bad input)",
               "control": "Shutdown: stop ticking (ProducerFinished: finish the count)"}
    Outboxes = {
        "outbox": "tick numbers 0, 1, 2, ...",
        "signal": "ProducerFinished after the last tick (or the end that stopped it)",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, interval: float, *, count: int | None = None, clock: Clock | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(clock=clock, on_error=on_error, name=name)
        if interval <= 0:
            raise ValueError(f"Periodic: interval must be > 0, not {interval}")
        self.interval = interval
        self.count = count

    def main(self) -> Generator[Any, Any, None]:
        clock = self.clock
        alarm = Alarm(self, clock)
        start = clock.now()
        tick = 0
        end = None
        try:
            while self.count is None or tick < self.count:
                self.refuse_input()
                end = self.take_control(end)
                if isinstance(end, Shutdown) or (end is not None and self.count is None):
                    break
                due = start + (tick + 1) * self.interval
                now = clock.now()
                if now >= due:
                    self.send(tick)
                    tick += 1
                    if now >= start + (tick + 1) * self.interval:  # fell behind: re-align
                        start = now - tick * self.interval
                    continue
                alarm.set_at(due)
                self.pause()
                yield
        finally:
            alarm.cancel()
        self.send(end if end is not None else ProducerFinished(), "signal")
