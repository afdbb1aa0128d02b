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
    _axon_pause_on_data = False  # the proxy sleeps between kicks; the thread reads the boxes
    _axon_woken_unseen = True  # by its thread, whenever it sends or ends
    _axon_threaded = True  # its thread pops inboxes: a sorted insert would race it

    def __init__(self, *, name: str | None = None, queue_size: int | None = None) -> None:
        super().__init__(name=name)
        self._axon_outq: queue.Queue[tuple[str, Any]] = queue.Queue(queue_size or self.queue_size)
        self._axon_data_event = threading.Event()
        self._axon_stop_event = threading.Event()
        self._axon_kick_pending = False
        self._axon_thread: threading.Thread | None = None
        self._axon_thread_done = False
        self._axon_thread_error: BaseException | None = None

    def main(self) -> None:  # type: ignore[override]
        """Override with blocking code."""

    # -- the scheduler side ----------------------------------------------------------------

    def _axon_generator(self) -> Generator[Any, Any, None]:
        return self._axon_proxy()

    def _axon_proxy(self) -> Generator[Any, Any, None]:
        sched = self._axon_scheduler
        assert sched is not None
        sched.thread_started()
        self._axon_thread = threading.Thread(target=self._axon_thread_main, name=self.path, daemon=True)
        self._axon_thread.start()
        outq = self._axon_outq
        task = self._axon_task
        assert task is not None
        try:
            while True:
                self._axon_kick_pending = False
                self._axon_data_event.set()
                while task.blocked_sends is None:  # (else it is BLOCKED after this yield)
                    try:
                        box, msg = outq.get_nowait()
                    except queue.Empty:
                        break
                    self._axon_pushes[box](msg)
                if task.blocked_sends is None and self._axon_thread_done and outq.empty():
                    break
                task.pause = task.attend = True  # sleeps until a kick from the thread
                yield
        finally:
            self._axon_stop_thread()
            sched.thread_ended()
        if self._axon_thread_error is not None:
            raise self._axon_thread_error

    def on_stop(self) -> None:
        """Stopped from outside: the thread's next ``send``, ``wait`` or ``finished``
        raises :class:`ThreadStopped` in it."""
        self._axon_stop_thread()

    def _axon_stop_thread(self) -> None:
        self._axon_stop_event.set()
        self._axon_data_event.set()

    def _axon_kick(self) -> None:
        if self._axon_scheduler is not None:
            self._axon_scheduler.wake(self)

    def _axon_thread_main(self) -> None:
        try:
            self.main()
        except ThreadStopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the scheduler, raised there
            self._axon_thread_error = exc
        finally:
            self._axon_thread_done = True
            sched = self._axon_scheduler
            if sched is not None:
                sched.call_threadsafe(self._axon_kick)

    # -- the thread side ------------------------------------------------------------------------

    def _axon_check_stop(self) -> None:
        if self._axon_stop_event.is_set():
            raise ThreadStopped(self.path)

    def send(self, msg: Any, box: str = "outbox") -> None:
        """Send from the thread; blocks while the outgoing queue is full."""
        if box not in self._axon_outboxes:
            raise AxonError(f"{self.path} has no outbox {box!r} (outboxes: {', '.join(self._axon_outboxes)})")
        while True:
            self._axon_check_stop()
            try:
                self._axon_outq.put((box, msg), timeout=0.1)
                break
            except queue.Full:
                continue
        if not self._axon_kick_pending:
            self._axon_kick_pending = True
            sched = self._axon_scheduler
            if sched is not None:
                sched.call_threadsafe(self._axon_kick)

    def send_many(self, msgs: Iterable[Any], box: str = "outbox") -> None:
        for msg in msgs:
            self.send(msg, box)

    def recv(self, box: str = "inbox") -> Any:
        ib = self._axon_inbox(box)
        try:
            msg = ib.queue.popleft()
        except IndexError:
            raise EmptyBox(f"{self.path}: recv() on empty inbox {box!r}; wait() first") from None
        ib._received += 1
        if ib.blocked and self._axon_scheduler is not None:
            self._axon_scheduler.call_threadsafe(self._axon_scheduler.unblock, ib)
        return msg

    def recv_all(self, box: str = "inbox") -> list[Any]:
        ib = self._axon_inbox(box)
        q = ib.queue
        items = []
        while True:
            try:
                items.append(q.popleft())
            except IndexError:
                break
        ib._received += len(items)
        if items and ib.blocked and self._axon_scheduler is not None:
            self._axon_scheduler.call_threadsafe(self._axon_scheduler.unblock, ib)
        return items

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a message is in any inbox (True) or ``timeout`` passes (False)."""
        while True:
            self._axon_data_event.clear()
            self._axon_check_stop()
            if self.any_ready() or self.end_message is not None:
                return True
            if not self._axon_data_event.wait(timeout):
                return False

    def pause(self) -> None:
        """In a thread, pausing is :meth:`wait`."""
        self.wait()

    def take_end(self) -> EndSignal | None:
        """As :meth:`Component.take_end`, from the thread: it takes control's messages
        one by one (the scheduler's thread may be adding to it) and puts back the rest."""
        end = self.end_message
        if end is None:
            ctl = self._axon_task.control if self._axon_task is not None else None
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
