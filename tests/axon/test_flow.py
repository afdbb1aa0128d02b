"""Flow control at the edges (axon/_core/_flow.py): ``Component.room`` and the wake-up it arms.

An *intake* here stands for a socket or a pipe: the test puts items into its ``outside``
deque and wakes it, as a transport's callback would, and it sends them on only while
``room()`` allows.  Each test records an event log of who ran and what it moved, so it
checks *when* the intake was woken, not only what arrived in the end.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import pytest

from axon import (
    RECEIVE,
    AxonError,
    Component,
    Pipeline,
    Scheduler,
    ThreadedComponent,
)
from tests.axon.core_parts import Identity

Log = list[tuple[str, int]]


class Intake(Component):
    """Sends what reaches ``outside`` while there is room for it (at most ``limit``
    waiting downstream); logs ``("fed", n)`` for every timeslice it runs."""

    Inboxes = {"inbox": "unused (it stands for a socket)", "control": "unused"}

    def __init__(self, log: Log, limit: int) -> None:
        super().__init__()
        self.log = log
        self.limit = limit
        self.outside: deque[Any] = deque()
        self.stop = False

    def arrive(self, *items: Any) -> None:
        """Items come in from outside (as from a transport's callback)."""
        self.outside.extend(items)
        assert self.scheduler is not None
        self.scheduler.wake(self)

    def main(self) -> Generator[Any, Any, None]:
        outside = self.outside
        with self.keep_alive():
            while not self.stop and not self.finished():
                n = 0
                while outside and (free := self.room(limit=self.limit)) > 0:
                    for _ in range(min(free, len(outside))):
                        self.send(outside.popleft())
                        n += 1
                self.log.append(("fed", n))
                self.pause()
                yield
        if self.end_message is not None:
            self.log.append(("ended", type(self.end_message).__name__))


class Ticked(Component):
    """A reader that takes from its inbox only when the test says so (``tick()``)."""

    def __init__(self, log: Log, take: str) -> None:
        super().__init__()
        self.log = log
        self.take = take
        self.ticks: deque[asyncio.Future[None]] = deque()

    def tick(self) -> None:
        self.ticks.popleft().set_result(None)

    def main(self) -> Generator[Any, Any, None]:
        loop = asyncio.get_running_loop()
        while True:
            fut = loop.create_future()
            self.ticks.append(fut)
            yield fut
            if self.take == "receive":
                batch = yield RECEIVE
                n = len(batch)
            elif self.take == "recv_all":
                n = len(self.recv_all())
            else:
                self.recv()
                n = 1
            self.log.append(("took", n))


class ThreadedReader(ThreadedComponent):
    """The same, taking with ``recv_all`` in its own thread."""

    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log = log
        self.go = threading.Semaphore(0)

    def tick(self) -> None:
        self.go.release()

    def main(self) -> None:
        while True:
            while not self.go.acquire(timeout=0.05):
                self._axon_check_stop()
            self.wait()
            items = self.recv_all()
            self.log.append(("took", len(items)))


async def settle(sched: Scheduler, task: asyncio.Future[None]) -> None:
    """Wait until nothing has been runnable for a few event-loop turns."""
    quiet = 0
    while quiet < 5 and not task.done():
        await asyncio.sleep(0.002)
        quiet = quiet + 1 if sched.statistics().runnable == 0 else 0
    if task.done():
        task.result()


def run_flow(reader: Component, body: Callable[..., Any], *, limit: int = 3) -> Log:
    log: Log = reader.log  # type: ignore[attr-defined]
    intake = Intake(log, limit)

    async def main() -> None:
        sched = Scheduler()
        system = Pipeline(intake, reader)
        sched.activate(system)
        task = asyncio.ensure_future(sched.run_async(timeout=30))
        try:
            await settle(sched, task)
            await body(sched, task, intake, reader)
        finally:
            intake.stop = True
            sched.shutdown()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    return log


@pytest.mark.parametrize("take", ["receive", "recv_all"])
def test_an_intake_is_woken_each_time_its_full_reader_takes_and_not_otherwise(take: str):
    async def body(sched: Scheduler, task: Any, intake: Intake, reader: Ticked) -> None:
        intake.arrive(*range(10))
        await settle(sched, task)
        for _ in range(4):
            reader.tick()
            await settle(sched, task)

    log = run_flow(Ticked([], take), body)
    assert log == [("fed", 0),  # started with nothing to send
                   ("fed", 3), ("took", 3), ("fed", 3), ("took", 3), ("fed", 3), ("took", 3),
                   ("fed", 1), ("took", 1)]


def test_a_reader_taking_one_at_a_time_lets_one_more_in_each_time():
    async def body(sched: Scheduler, task: Any, intake: Intake, reader: Ticked) -> None:
        intake.arrive(*range(5))
        await settle(sched, task)
        for _ in range(3):
            reader.tick()
            await settle(sched, task)

    log = run_flow(Ticked([], "recv"), body)
    # (after the last take nothing waits outside: the intake is not woken for nothing)
    assert log == [("fed", 0), ("fed", 3), ("took", 1), ("fed", 1), ("took", 1), ("fed", 1),
                   ("took", 1)]


def test_a_threaded_reader_wakes_the_intake_too():
    async def body(sched: Scheduler, task: Any, intake: Intake, reader: ThreadedReader) -> None:
        intake.arrive(*range(7))
        await settle(sched, task)
        for i in range(1, 4):
            reader.tick()
            for _ in range(500):  # the thread takes in its own time
                if sum(e[0] == "took" for e in reader.log) == i:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)  # (its call to the scheduler's thread, then settle)
            await settle(sched, task)

    log = run_flow(ThreadedReader([]), body)
    # (the thread takes while the intake sends, so the exact interleaving varies)
    assert sum(n for e, n in log if e == "took") == 7, log  # each take let more in
    assert sum(n for e, n in log if e == "fed") == 7, log
    assert all(n <= 3 for e, n in log), log


def test_the_readers_end_releases_the_intake():
    class Quits(Ticked):
        def main(self) -> Generator[Any, Any, None]:
            fut = asyncio.get_running_loop().create_future()
            self.ticks.append(fut)
            yield fut
            self.log.append(("quit", 0))

    async def body(sched: Scheduler, task: Any, intake: Intake, reader: Quits) -> None:
        intake.arrive(*range(10))
        await settle(sched, task)
        reader.tick()  # it returns without reading: nothing will ever take from it
        await settle(sched, task)

    log = run_flow(Quits([], "recv"), body)
    # its reader gone, nothing will take what it brings in: it is told so, and ends
    assert log == [("fed", 0), ("fed", 3), ("quit", 0), ("ended", "ReaderGone")]


def test_an_intake_waiting_for_room_costs_no_timeslices():
    async def body(sched: Scheduler, task: Any, intake: Intake, reader: Ticked) -> None:
        intake.arrive(*range(10))
        await settle(sched, task)
        before = sched.timeslices
        for _ in range(5):
            intake.arrive(99)  # more from outside while it is full: one look each, no more
            await settle(sched, task)
        assert sched.timeslices - before == 5

    log = run_flow(Ticked([], "receive"), body)
    assert log == [("fed", 0), ("fed", 3)] + [("fed", 0)] * 5


# -- what counts as room -------------------------------------------------------------------


class Sink(Component):
    Inboxes = {"inbox": "data", "control": "end"}


def started(*components: Component) -> Scheduler:
    """Components made runnable (not run): their inboxes count as being read."""
    sched = Scheduler()
    for c in components:
        sched.activate(c)
    return sched


def test_room_counts_down_to_the_fullest_inbox_an_outbox_reaches():
    src, a, b = Intake([], 1), Sink(), Sink()
    src.link((src, "outbox"), (a, "inbox"))
    src.link((src, "outbox"), (b, "inbox"))
    started(src, a, b)
    assert src.room(limit=5) == 5
    a.inboxes["inbox"].queue.extend([1, 2])
    assert src.room(limit=5) == 3
    b.inboxes["inbox"].queue.extend([1, 2, 3, 4])
    assert src.room(limit=5) == 1
    b.inboxes["inbox"].queue.append(5)
    assert src.room(limit=5) == 0


def test_an_inbox_bound_smaller_than_the_limit_counts_and_a_dropping_one_never_fills():
    src, a, b = Intake([], 1), Sink(), Sink()
    a.set_bound("inbox", 2, "block")
    b.set_bound("inbox", 1, "drop_oldest")
    src.link((src, "outbox"), (a, "inbox"))
    src.link((src, "outbox"), (b, "inbox"))
    started(src, a, b)
    b.inboxes["inbox"].queue.append(1)
    assert src.room(limit=100) == 2  # a's bound; b drops by policy (counted), never full


def test_room_follows_passthroughs_to_the_final_inbox():
    src, inner = Intake([], 1), Identity()
    pipe = Pipeline(inner)
    src.link((src, "outbox"), (pipe, "inbox"))
    started(src, pipe)
    inner.inboxes["inbox"].queue.extend(range(4))
    assert src.room(limit=4) == 0


def test_an_unlinked_outbox_or_a_reader_not_running_never_holds_back():
    src, idle = Intake([], 1), Sink()
    started(src)
    assert src.room(limit=1) > 10**9  # held in the outbox, up to its hold_limit
    src.link((src, "outbox"), (idle, "inbox"))
    idle.inboxes["inbox"].queue.extend(range(5))  # never started: nothing will take
    assert src.room(limit=1) > 10**9


def test_room_needs_a_real_outbox_and_a_positive_limit():
    src = Intake([], 1)
    with pytest.raises(AxonError, match="no outbox 'nope'"):
        src.room("nope", limit=1)
    with pytest.raises(ValueError, match="at least 1"):
        src.room(limit=0)
