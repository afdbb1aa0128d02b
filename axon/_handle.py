"""Handle: drive a running system from ordinary blocking code (a script, a REPL, a test).

The system runs on its own scheduler in a background thread.  ``put`` appends to a
thread-safe deque and, only if the scheduler's side has not already been told, schedules
one wake-up of a feeder component: a burst of puts costs one cross-thread call, not one
each.  A collector component moves what the system sends into per-box deques and notifies
a condition once per batch; ``get`` takes from the deque without a lock when something is
there and blocks on the condition when not (never polls).  Kamaelia's Handle managed
about 100 round trips a second; bench/compositions.py measures this one.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Generator, Iterable
from types import TracebackType
from typing import Any, ClassVar

from ._component import Component
from ._errors import AxonError
from ._message import ProducerFinished
from ._scheduler import Scheduler

__all__ = ["Handle"]


class _Feeder(Component):
    """Moves messages from the handle's deque into the system's inboxes."""

    Inboxes: ClassVar[dict[str, str]] = {}
    Outboxes: ClassVar[dict[str, str]] = {}

    def __init__(self, handle: Handle) -> None:
        super().__init__(name="HandleFeeder")
        self.handle = handle
        self.wake_on()

    def main(self) -> Generator[None, Any, None]:
        h = self.handle
        pending = h._pending
        names = h._outbox_for
        system = h.system
        h._started.set()
        with self.keep_alive():  # the caller's thread may always put more
            while True:
                h._kick_pending = False
                while pending:
                    box, msg = pending.popleft()
                    self.send(msg, names[box])
                if h._closing or system.done:
                    break
                self.pause()
                yield
        if not system.done and "control" in names:
            self.send(ProducerFinished("handle closed"), names["control"])


class _Collector(Component):
    """Moves what the system sends into the handle's deques, then notifies the caller."""

    Inboxes: ClassVar[dict[str, str]] = {}
    Outboxes: ClassVar[dict[str, str]] = {}

    def __init__(self, handle: Handle) -> None:
        super().__init__(name="HandleCollector")
        self.handle = handle

    def main(self) -> Generator[None, Any, None]:
        h = self.handle
        boxes = [(name, ib.queue, h._out[name]) for name, ib in self.inboxes.items()]
        cond = h._cond
        system = h.system
        while True:
            got = False
            for name, q, out in boxes:
                if q:
                    items = self.recv_all(name)
                    with cond:
                        out.extend(items)
                    got = True
            if got:
                with cond:
                    cond.notify_all()
            if system.done and not self.any_ready():
                break
            self.pause()
            yield


class Handle:
    """Runs ``system`` in a background thread and lets plain code talk to its boxes.

    ``put(msg)`` sends to the system's ``inbox``; ``get(timeout=...)`` returns the next
    message from its ``outbox`` (blocking); ``close()`` sends ``ProducerFinished`` to its
    ``control``, waits for it to finish and re-raises its error if it failed.  Also a
    context manager.  Construction returns once the system is running.

    Raises (from get/put/close): the system's :class:`ComponentError` if it failed;
    ``TimeoutError`` when ``get`` or ``close`` waits longer than ``timeout``; ``EOFError``
    from ``get`` once the system has finished and everything it sent was taken.
    """

    def __init__(self, system: Component, *, name: str | None = None) -> None:
        self.system = system
        self.scheduler = Scheduler()
        self._pending: deque[tuple[str, Any]] = deque()
        self._cond = threading.Condition()
        self._started = threading.Event()
        self._kick_pending = False
        self._closing = False
        self._stopped = False
        self._error: BaseException | None = None
        feeder = self._feeder = _Feeder(self)
        collector = self._collector = _Collector(self)
        self._outbox_for: dict[str, str] = {}
        for box in system.inboxes:
            self._outbox_for[box] = out = f"to_{box}"
            feeder.add_outbox(out, f"put() for the system's {box!r}")
            feeder.link((feeder, out), (system, box))
        self._out: dict[str, deque[Any]] = {}
        for box in system.outboxes:
            self._out[box] = deque()
            collector.add_inbox(box, f"what the system sends on {box!r}, for get()")
            collector.link((system, box), (collector, box))
        sched = self.scheduler
        for comp in (system, collector, feeder):
            sched.activate(comp)
        sched.on_finish(self._on_finish)
        self._thread = threading.Thread(
            target=self._run, name=name or f"axon Handle({system.name})", daemon=True
        )
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            raise self._error

    # -- the scheduler's thread ----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self.scheduler.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self._error = exc
        finally:
            with self._cond:
                self._stopped = True
                self._cond.notify_all()
            self._started.set()

    def _on_finish(self, comp: Component) -> None:
        if comp is self.system:
            self.scheduler.wake(self._collector)
            self.scheduler.wake(self._feeder)

    def _kick(self) -> None:
        self.scheduler.wake(self._feeder)

    # -- the caller's side ----------------------------------------------------------------------

    def put(self, msg: Any, box: str = "inbox") -> None:
        """Send ``msg`` to the system's inbox ``box`` (never blocks)."""
        self.put_many((msg,), box)

    def put_many(self, msgs: Iterable[Any], box: str = "inbox") -> None:
        """``put`` each of ``msgs``, with one wake-up."""
        if box not in self._outbox_for:
            raise AxonError(
                f"{self.system.path} has no inbox {box!r} (inboxes: {', '.join(self._outbox_for)})"
            )
        self._check_open()
        self._pending.extend((box, m) for m in msgs)
        if not self._kick_pending:
            self._kick_pending = True
            self.scheduler.call_threadsafe(self._kick)

    def get(self, timeout: float | None = None, box: str = "outbox") -> Any:
        """The next message the system sent on ``box``, waiting up to ``timeout`` seconds."""
        try:
            q = self._out[box]
        except KeyError:
            raise AxonError(
                f"{self.system.path} has no outbox {box!r} (outboxes: {', '.join(self._out)})"
            ) from None
        try:
            return q.popleft()  # the fast path: no lock (deque operations are atomic)
        except IndexError:
            pass
        with self._cond:
            if not self._cond.wait_for(lambda: q or self._stopped, timeout):
                raise TimeoutError(f"nothing from {self.system.path}.{box} within {timeout} s")
            if q:
                return q.popleft()
        if self._error is not None:
            raise self._error
        raise EOFError(f"{self.system.path} has finished; nothing more on {box!r}")

    def get_nowait(self, box: str = "outbox") -> Any:
        """The next message on ``box``; raises ``TimeoutError`` at once if there is none."""
        return self.get(0, box)

    def close(self, timeout: float | None = 10.0) -> None:
        """End the input (``ProducerFinished``), wait for the system to finish, re-raise errors.

        If it has not finished within ``timeout`` seconds it is shut down and
        ``TimeoutError`` is raised.  Messages it sent stay available to :meth:`get`.
        """
        if not self._closing:
            self._closing = True
            self.scheduler.call_threadsafe(self._kick)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.scheduler.call_threadsafe(self.scheduler.shutdown)
            self._thread.join()
            raise TimeoutError(f"{self.system.path} did not finish within {timeout} s of close()")
        if self._error is not None:
            raise self._error

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closing or self._stopped:
            raise AxonError(f"the handle on {self.system.path} is closed")

    @property
    def running(self) -> bool:
        """True until the system's scheduler has stopped."""
        return not self._stopped

    def __enter__(self) -> Handle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:  # already failing: stop, and let that exception propagate
            self._closing = True
            self.scheduler.call_threadsafe(self.scheduler.shutdown)
            self._thread.join(10)
