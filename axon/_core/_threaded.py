"""ThreadedComponent: a component whose ``main()`` is ordinary blocking code in a thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable
from typing import Any

from ._component import Component
from ._errors import AxonError, EmptyBox
from ._message import EndSignal

__all__ = ["ThreadStopped", "ThreadedComponent"]


class ThreadStopped(BaseException):
    """Raised inside a component's thread when the system shuts down, to unwind it."""


class ThreadedComponent(Component):
    """Write ``main(self)`` as a plain blocking function; it runs in its own thread.

    The API is the component's (``send``, ``recv``, ``recv_all``, ``data_ready``,
    ``finished``...) plus :meth:`wait`, which blocks until a message arrives.  Sends go
    through a bounded queue of ``queue_size`` messages (the thread blocks when it is full),
    so the component holds at most its inbox bounds plus ``queue_size`` messages.  Every
    message the thread sent is delivered before the component counts as finished.
    """

    queue_size = 1000
    _pause_on_data = False  # the proxy sleeps between kicks; the thread reads the boxes
    _woken_unseen = True  # by its thread, whenever it sends or ends

    def __init__(self, *, name: str | None = None, queue_size: int | None = None) -> None:
        super().__init__(name=name)
        self._outq: queue.Queue[tuple[str, Any]] = queue.Queue(queue_size or self.queue_size)
        self._data_event = threading.Event()
        self._stop_event = threading.Event()
        self._kick_pending = False
        self._thread: threading.Thread | None = None
        self._thread_done = False
        self._thread_error: BaseException | None = None

    def main(self) -> None:  # type: ignore[override]
        """Override with blocking code."""

    # -- the scheduler side ----------------------------------------------------------------

    def _generator(self) -> Generator[Any, Any, None]:
        return self._proxy()

    def _proxy(self) -> Generator[Any, Any, None]:
        sched = self._scheduler
        assert sched is not None
        sched.thread_started()
        self._thread = threading.Thread(target=self._thread_main, name=self.path, daemon=True)
        self._thread.start()
        outq = self._outq
        task = self._task
        assert task is not None
        try:
            while True:
                self._kick_pending = False
                self._data_event.set()
                while task.blocked_sends is None:  # (else it is BLOCKED after this yield)
                    try:
                        box, msg = outq.get_nowait()
                    except queue.Empty:
                        break
                    self._pushes[box](msg)
                if task.blocked_sends is None and self._thread_done and outq.empty():
                    break
                task.pause = task.attend = True  # sleeps until a kick from the thread
                yield
        finally:
            self._stop_thread()
            sched.thread_ended()
        if self._thread_error is not None:
            raise self._thread_error

    def on_stop(self) -> None:
        """Stopped from outside: the thread's next ``send``, ``wait`` or ``finished``
        raises :class:`ThreadStopped` in it."""
        self._stop_thread()

    def _stop_thread(self) -> None:
        self._stop_event.set()
        self._data_event.set()

    def _kick(self) -> None:
        if self._scheduler is not None:
            self._scheduler.wake(self)

    def _thread_main(self) -> None:
        try:
            self.main()
        except ThreadStopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the scheduler, raised there
            self._thread_error = exc
        finally:
            self._thread_done = True
            sched = self._scheduler
            if sched is not None:
                sched.call_threadsafe(self._kick)

    # -- the thread side ------------------------------------------------------------------------

    def _check_stop(self) -> None:
        if self._stop_event.is_set():
            raise ThreadStopped(self.path)

    def send(self, msg: Any, box: str = "outbox") -> None:  # type: ignore[override]
        """Send from the thread; blocks while the outgoing queue is full."""
        if box not in self._outboxes:
            raise AxonError(f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._outboxes)})")
        while True:
            self._check_stop()
            try:
                self._outq.put((box, msg), timeout=0.1)
                break
            except queue.Full:
                continue
        if not self._kick_pending:
            self._kick_pending = True
            sched = self._scheduler
            if sched is not None:
                sched.call_threadsafe(self._kick)

    def send_many(self, msgs: Iterable[Any], box: str = "outbox") -> None:  # type: ignore[override]
        for msg in msgs:
            self.send(msg, box)

    def recv(self, box: str = "inbox") -> Any:
        ib = self._inbox(box)
        try:
            msg = ib.queue.popleft()
        except IndexError:
            raise EmptyBox(f"{self.path}: recv() on empty inbox {box!r}; wait() first") from None
        ib._received += 1
        if ib.blocked and self._scheduler is not None:
            self._scheduler.call_threadsafe(self._scheduler.unblock, ib)
        return msg

    def recv_all(self, box: str = "inbox") -> list[Any]:
        ib = self._inbox(box)
        q = ib.queue
        items = []
        while True:
            try:
                items.append(q.popleft())
            except IndexError:
                break
        ib._received += len(items)
        if items and ib.blocked and self._scheduler is not None:
            self._scheduler.call_threadsafe(self._scheduler.unblock, ib)
        return items

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a message is in any inbox (True) or ``timeout`` passes (False)."""
        while True:
            self._data_event.clear()
            self._check_stop()
            if self.any_ready() or self.end_message is not None:
                return True
            if not self._data_event.wait(timeout):
                return False

    def pause(self) -> None:
        """In a thread, pausing is :meth:`wait`."""
        self.wait()

    def take_end(self) -> EndSignal | None:
        """As :meth:`Component.take_end`, from the thread: it takes control's messages
        one by one (the scheduler's thread may be adding to it) and puts back the rest."""
        end = self.end_message
        if end is None:
            ctl = self._task.control if self._task is not None else None
            if not ctl:
                return None
            others = []
            while True:
                try:
                    msg = ctl.popleft()
                except IndexError:
                    break
                if isinstance(msg, EndSignal) and end is None:
                    end = self.end_message = msg
                else:
                    others.append(msg)
            ctl.extend(others)
        return end
