"""Test helpers: feed a component's inboxes, run it until idle or finished, read its outboxes.

::

    from components.testing import feed, run_component
    feed(splitter, inbox=[b"a\\nb", b"c\\n"], control=[ProducerFinished()])
    out = run_component(splitter)      # {"outbox": [b"a", b"bc"], "signal": [...], ...}

A :class:`Harness` gives step-by-step control (feed, run until idle, look, feed again) and,
with a :class:`FakeClock`, moves time by hand, so timer-driven components are tested
instantly and deterministically.  Idle means: no component can run, and nothing is awaited
except this fake clock's sleeps.  ``run_until_finished`` also waits for real I/O (a
subprocess, a socket); ``run_until_idle`` cannot see I/O that a component's own asyncio
tasks are doing, so step-by-step tests are for components driven by messages and timers.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from axon import Component, Scheduler

__all__ = ["FakeClock", "Harness", "feed", "run_component"]


class _FakeTimer:
    __slots__ = ("callback", "cancelled")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """A clock that moves only when told to (:meth:`advance`); pass it as ``clock=``.

    Timers set for the same moment fire in the order they were set.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._seq = itertools.count()
        self.sleepers = 0  # futures from sleep() not yet resolved

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> _FakeTimer:
        timer = _FakeTimer(callback)
        heapq.heappush(self._timers, (self._now + max(0.0, delay), next(self._seq), timer))
        return timer

    def sleep(self, delay: float) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sleepers += 1

        def done() -> None:
            self.sleepers -= 1
            if not fut.done():
                fut.set_result(None)

        self.call_later(delay, done)
        return fut

    def next_deadline(self) -> float | None:
        """When the earliest live timer is due (None when no timer is set)."""
        timers = self._timers
        while timers and timers[0][2].cancelled:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, firing due timers in order, each at its own time."""
        if seconds < 0:
            raise ValueError("FakeClock cannot go backwards")
        target = self._now + seconds
        while (when := self.next_deadline()) is not None and when <= target:
            _, _, timer = heapq.heappop(self._timers)
            self._now = when
            timer.callback()
        self._now = target


def feed(component: Component, **boxes: Iterable[Any]) -> Component:
    """Put messages into ``component``'s inboxes, e.g. ``feed(c, inbox=[1, 2], control=[end])``.

    Works before the component runs and while it runs (it is woken).  Returns ``component``.
    """
    for box, msgs in boxes.items():
        inbox = component.inboxes.get(box)
        if inbox is None:
            raise KeyError(f"{component.path} has no inbox {box!r} (has {list(component.inboxes)})")
        for msg in msgs:
            inbox.put(msg)
    return component


class _Recorder(Component):
    """Never started: its inboxes just keep what the component under test sends."""

    Inboxes = {}
    Outboxes = {}


class Harness:
    """Runs one component (and its children) step by step on a private event loop.

    ``feed()`` its inboxes (which runs it until idle), look at ``outputs`` (or ``take()``
    them), ``advance()`` a :class:`FakeClock` (which also runs it), repeat; ``run_until_finished()`` at the end.  Every
    outbox of the component is recorded.  Errors in the component are raised from the
    run methods as ``ComponentError``.  Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, component: Component, *, clock: FakeClock | None = None,
                 timeout: float = 30.0) -> None:
        self.component = component
        self.clock = clock
        self.timeout = timeout
        self.scheduler = Scheduler()
        self._recorder = _Recorder(name="Harness")
        for name in component.outboxes:
            self._recorder.add_inbox(name, f"what {component.name}.{name} sent")
            self._recorder.link((component, name), (self._recorder, name))
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        # we may feed more: idle is not deadlock
        self._hold: AbstractContextManager[None] | None = self.scheduler.keep_alive()
        self._hold.__enter__()
        self.scheduler.activate(component)

    # -- driving -----------------------------------------------------------------------------

    def feed(self, box: str = "inbox", *msgs: Any) -> None:
        """Deliver ``msgs`` to inbox ``box`` and run until idle, so the component takes
        them now, at the fake clock's present time (``feed(x); advance(0.5)`` on a
        ``Delay(0.5)`` gives ``x``).  To deliver without running, use the module's
        :func:`feed` on ``harness.component``."""
        feed(self.component, **{box: msgs})
        self.run_until_idle()

    def run_until_idle(self) -> None:
        """Run until nothing can happen without more input or (fake) time."""
        self._run(self._settle())

    def advance(self, seconds: float) -> None:
        """Move the fake clock on by ``seconds`` (firing timers) and run until idle."""
        if self.clock is None:
            raise RuntimeError("Harness.advance() needs a FakeClock (Harness(..., clock=...))")
        self.clock.advance(seconds)
        self.run_until_idle()

    def run_until_finished(self) -> dict[str, list[Any]]:
        """Run, jumping the fake clock to each next timer when idle, until the component ends.

        Returns :attr:`outputs`.  Raises ``Deadlock`` (from the scheduler) if it goes idle
        with nothing left to wake it (it waits for input nobody will feed).
        """
        self._run(self._until_finished())
        return self.outputs

    @property
    def finished(self) -> bool:
        return self.component.done

    @property
    def outputs(self) -> dict[str, list[Any]]:
        """Everything each outbox has sent so far (not yet taken), by outbox name."""
        return {name: list(ib.queue) for name, ib in self._recorder.inboxes.items()}

    def take(self, box: str = "outbox") -> list[Any]:
        """What outbox ``box`` sent since the last ``take`` (removing it)."""
        q = self._recorder.inboxes[box].queue
        items = list(q)
        q.clear()
        return items

    def close(self) -> None:
        """Stop the component if it still runs and close the private event loop."""
        if self._loop.is_closed():
            return
        if self._hold is not None:
            self._hold.__exit__(None, None, None)
            self._hold = None
        task = self._task
        try:
            self.scheduler.shutdown()  # raises an error from a finally block, unless running
            if task is not None and not task.done():
                self._loop.run_until_complete(task)  # it ends at once, raising such an error
        finally:
            # as asyncio.run ends: what the components left running (a child process being
            # reaped, say) finishes before the loop closes
            left = asyncio.all_tasks(self._loop)
            for t in left:
                t.cancel()
            if left:
                self._loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside the loop -----------------------------------------------------------------------

    def _run(self, coro: Any) -> None:
        if self._loop.is_closed():
            coro.close()
            raise RuntimeError("this Harness is closed")
        self._loop.run_until_complete(self._with_timeout(coro))
        task = self._task
        if task is not None and task.done():
            if self._hold is not None:
                self._hold.__exit__(None, None, None)
                self._hold = None
            task.result()  # raises the component's error, if any

    async def _with_timeout(self, coro: Any) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self.scheduler.run_async())
        async with asyncio.timeout(self.timeout):
            await coro

    def _busy(self) -> bool:
        stats = self.scheduler.statistics()
        sleepers = self.clock.sleepers if self.clock is not None else 0
        return stats.runnable > 0 or stats.waiting > sleepers

    async def _settle(self) -> None:
        task = self._task
        assert task is not None
        quiet = 0
        while quiet < 3 and not task.done():  # three quiet loop turns: callbacks have run
            if self._busy():
                quiet = 0
                if self.scheduler.statistics().runnable == 0:  # real I/O pending: wait for
                    await self._next_idle(task)  # the scheduler to act on it (no polling)
                    continue
            else:
                quiet += 1
            await asyncio.sleep(0)

    async def _next_idle(self, task: asyncio.Task[None]) -> None:
        """Wait until the scheduler next runs out of work, or the run ends."""
        idle = self.scheduler.next_idle()
        await asyncio.wait({task, idle}, return_when=asyncio.FIRST_COMPLETED)
        idle.cancel()

    async def _until_finished(self) -> None:
        task = self._task
        assert task is not None
        while True:
            await self._settle()
            if task.done():
                return
            clock = self.clock
            when = clock.next_deadline() if clock is not None else None
            if when is not None:
                clock.advance(when - clock.now())  # type: ignore[union-attr]
                continue
            # Nothing more will be fed: let the scheduler judge.  It waits for real I/O
            # and raises Deadlock if nothing at all can wake the component any more.
            if self._hold is not None:
                self._hold.__exit__(None, None, None)
                self._hold = None
            if clock is None:
                await task
                return
            await self._next_idle(task)  # real I/O may yet set a fake timer


def run_component(component: Component, *, clock: FakeClock | None = None,
                  timeout: float = 30.0, **boxes: Iterable[Any]) -> dict[str, list[Any]]:
    """Feed ``boxes`` (``inbox=[...]``, ``control=[...]``), run until ``component`` ends.

    Returns what each outbox sent: ``{"outbox": [...], "signal": [ProducerFinished()], ...}``.
    With a :class:`FakeClock` time jumps to each next timer whenever the system is idle.
    Raises ``ComponentError`` if the component fails and ``Deadlock`` if it goes idle
    without finishing.
    """
    with Harness(component, clock=clock, timeout=timeout) as harness:
        feed(component, **boxes)
        return harness.run_until_finished()
