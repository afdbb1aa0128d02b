"""Handle: drive a running system from ordinary blocking code (a script, a REPL, a test).

The system runs on its own scheduler in a background thread.  ``put`` appends to a
thread-safe deque (one per inbox) and, only if the scheduler's side has not already been
told, schedules one wake-up of a feeder component: a burst of puts costs one cross-thread
call, not one each.  A collector component moves what the system sends into per-box deques
and notifies a condition once per batch; ``get`` takes from the deque without a lock when
something is there and blocks on the condition when not (never polls).  Kamaelia's Handle
managed about 100 round trips a second; bench/compositions.py measures this one.

Bounded mode (``maxsize``) carries the system's backpressure to the calling thread, as
``queue.Queue(maxsize)`` does: the feeder hands an inbox only what it has room for
(``Component.room``, see ``axon/_core/_flow.py``: it sleeps until the system takes some), and
``put`` blocks while ``maxsize`` messages wait in the handle for that inbox.

A handle still running at interpreter exit (never closed: a script that ends, Ctrl-C
outside ``with``) is shut down then, from ``atexit``: its components' ``finally`` blocks
run and its child processes are reaped, instead of dying with the daemon thread.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections import deque
from collections.abc import Generator, Iterable
from types import TracebackType
from typing import Any, ClassVar

from .._core import AxonError, Component, ProducerFinished, Scheduler

__all__ = ["Handle"]


class _Feeder(Component):
    """Moves messages from the handle's deques into the system's inboxes."""

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
        bound = h.maxsize
        h._started.set()
        with self.keep_alive():  # the caller's thread may always put more
            while True:
                h._kick_pending = False
                moved = False
                for box, q in pending.items():
                    out = names[box]
                    while q:
                        # bounded: only what the inbox has room for (else woken when it has)
                        n = self.room(out, limit=bound) if bound else len(q)
                        if n <= 0:
                            break
                        for _ in range(min(n, len(q))):
                            self.send(q.popleft(), out)
                        moved = True
                if moved and bound:
                    with h._cond:  # room in the handle: release waiting puts
                        h._cond.notify_all()
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

    ``maxsize`` (bounded mode; 0, the default, is unbounded): at most ``maxsize`` messages
    wait in the handle for each inbox, and the system's inbox is handed at most
    ``maxsize`` (or its own bound, if smaller) that it has not taken; ``put`` blocks while
    the handle holds ``maxsize``, up to its ``timeout``.  So a fast caller feeding a slow
    system is held back instead of piling messages up.

    A handle never closed is shut down at interpreter exit (see the module's notes).

    Raises (from get/put/close): the system's :class:`ComponentError` if it failed;
    ``TimeoutError`` when ``get``, a bounded ``put`` or ``close`` waits longer than
    ``timeout``; ``EOFError`` from ``get`` once the system has finished and everything it
    sent was taken; :class:`AxonError` from ``put`` once the handle is closed.
    """

    #: Seconds the interpreter's exit waits for an unclosed handle's system to shut down.
    exit_timeout = 5.0

    def __init__(self, system: Component, *, maxsize: int = 0, name: str | None = None) -> None:
        if not isinstance(maxsize, int) or maxsize < 0:
            raise ValueError(f"Handle: maxsize is an int >= 0 (0: unbounded), not {maxsize!r}")
        self.system = system
        self.maxsize = maxsize
        self.scheduler = Scheduler()
        self._pending: dict[str, deque[Any]] = {}
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
            self._pending[box] = deque()
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
        _running.add(self)
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
            _running.discard(self)

    def _on_finish(self, comp: Component) -> None:
        if comp is self.system:
            self.scheduler.wake(self._collector)
            self.scheduler.wake(self._feeder)

    def _wake_feeder(self) -> None:
        self.scheduler.wake(self._feeder)

    # -- the caller's side ----------------------------------------------------------------------

    def put(self, msg: Any, box: str = "inbox", *, timeout: float | None = None) -> None:
        """Send ``msg`` to the system's inbox ``box``.

        Unbounded (``maxsize=0``) it never blocks.  Bounded, it waits while ``maxsize``
        messages wait in the handle for ``box``: for ever (``timeout=None``) or up to
        ``timeout`` seconds, then raises ``TimeoutError`` (``msg`` is not sent).
        """
        self.put_many((msg,), box, timeout=timeout)

    def put_nowait(self, msg: Any, box: str = "inbox") -> None:
        """``put``, raising ``TimeoutError`` at once if the (bounded) handle is full."""
        self.put_many((msg,), box, timeout=0)

    def put_many(self, msgs: Iterable[Any], box: str = "inbox", *,
                 timeout: float | None = None) -> None:
        """``put`` each of ``msgs`` in order, with one wake-up (bounded: ``timeout`` is for
        the whole of them; those put before it expired are sent)."""
        q = self._pending.get(box)
        if q is None:
            raise AxonError(
                f"{self.system.path} has no inbox {box!r} (inboxes: {', '.join(self._outbox_for)})"
            )
        self._check_open()
        if not self.maxsize:
            q.extend(msgs)
            self._kick()
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        bound = self.maxsize
        cond = self._cond
        for msg in msgs:
            if len(q) >= bound:
                self._kick()  # (what is waiting is on its way first)
                with cond:
                    while len(q) >= bound and not (self._closing or self._stopped):
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            raise TimeoutError(
                                f"{self.system.path}.{box} is not taking: {bound} messages "
                                f"wait in the handle (put timed out after {timeout} s)")
                        cond.wait(left)
                self._check_open()
            q.append(msg)
        self._kick()

    def _kick(self) -> None:
        """Have the feeder look at the deques (one cross-thread call per burst)."""
        if not self._kick_pending:
            self._kick_pending = True
            self.scheduler.call_threadsafe(self._wake_feeder)

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
            self.scheduler.call_threadsafe(self._wake_feeder)
            with self._cond:  # puts waiting for room give up
                self._cond.notify_all()
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
            self._shut_down(10)

    def _shut_down(self, timeout: float) -> None:
        """Stop the system now (``finally`` blocks run), waiting up to ``timeout``."""
        self._closing = True
        with self._cond:
            self._cond.notify_all()
        self.scheduler.call_threadsafe(self.scheduler.shutdown)
        self._thread.join(timeout)


#: Handles whose system still runs (see _shut_down_at_exit).
_running: weakref.WeakSet[Handle] = weakref.WeakSet()


@atexit.register
def _shut_down_at_exit() -> None:
    """A handle never closed: end its system before the interpreter kills its thread."""
    for handle in list(_running):
        handle._shut_down(handle.exit_timeout)
