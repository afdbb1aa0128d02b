"""The lab's components: the source, a stage (its arrival stamp and its work), the sink.

A stage is ``Pipeline(Arrival, Stage)`` wherever it runs (this process, a child process,
a pool's worker, a NATS service): :class:`Arrival` stamps each message's ``enter`` as it
reaches the stage's process, :class:`Stage` takes one message at a time and stamps
``start`` and ``end`` around its work.  So ``start - enter`` is the time a message queued
at the stage, ``end - start`` the stage's service, and the gap from the previous stage's
``end`` to ``enter`` the transfer (a link, a pipe or NATS, and waiting for room).
The components are module-level, so a child process can make them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Generator, Sequence
from typing import Any

from axon import (
    RECEIVE,
    Component,
    Pipeline,
    ProducerFinished,
    ReaderGone,
    Shutdown,
)

from .config import Calls, StageSpec
from .progress import Progress
from .record import LogWriter, new_message
from .work import perf_ns, work_async, work_blocking

__all__ = ["Arrival", "Sink", "Source", "Stage", "stage_system"]


class Source(Component):
    """Sends messages 0..n-1, at most ``in_flight`` not yet done, at ``rate`` a second if
    set; then ``ProducerFinished``, and it stays until every message is done (its credit
    comes back), so the sink always has somewhere to send credit.

    It starts once every stand-in in ``ready`` is ready (child processes started) and,
    if given, the future ``go`` is done (NATS services subscribed).
    """

    Inboxes = {
        "inbox": "(unused: a source)",
        "control": "Shutdown: stop sending",
        "done": "a credit from the sink for each message done",
    }
    Outboxes = {"outbox": "the messages", "signal": "ProducerFinished after the last"}

    def __init__(self, n: int, in_flight: int, rate: float = 0.0,
                 ready: Sequence[Any] = (), go: asyncio.Future[Any] | None = None) -> None:
        super().__init__()
        self.n, self.in_flight, self.rate = n, in_flight, rate
        self.ready_list = list(ready)
        self.go = go
        self.sent = 0
        self.done_count = 0
        self.started_ns = 0
        self.wake_on("done", "control")

    def _stopped(self, sending: bool = True) -> bool:
        """A Shutdown came; once everything is sent, a ReaderGone (the first stage has
        finished, as it should after the end) does not count."""
        return any(isinstance(m, Shutdown) and (sending or not isinstance(m, ReaderGone))
                   for m in self.recv_all("control"))

    def main(self) -> Generator[Any, Any, None]:
        waiting = [r.wait_ready() for r in self.ready_list if not r.ready]
        if waiting:  # (start-up: child processes starting)
            yield asyncio.gather(*waiting)
        if self.go is not None:
            yield self.go
        out = self.outboxes["outbox"]
        interval = 1e9 / self.rate if self.rate else 0.0
        self.started_ns = t0 = perf_ns()
        n = self.n
        while self.sent < n:
            if self._stopped():
                self.send(Shutdown("source stopped"), "signal")
                return
            self.done_count += len(self.recv_all("done"))
            room = self.in_flight - (self.sent - self.done_count)
            if room <= 0:
                self.pause()
                yield
                continue
            if interval:
                wait = t0 + self.sent * interval - perf_ns()
                if wait > 0:
                    yield asyncio.sleep(wait / 1e9)
                    continue
                room = 1
            for _ in range(min(room, n - self.sent)):
                out.push(new_message(self.sent))
                self.sent += 1
            yield
        self.send(ProducerFinished("source done"), "signal")
        while self.done_count < n:  # (credit still comes: take it)
            if self._stopped(sending=False):
                return
            self.done_count += len(self.recv_all("done"))
            if self.done_count < n:
                self.pause()
                yield


class Arrival(Component):
    """Stamps ``enter`` on each message as it reaches the stage (in its process)."""

    Inboxes = {"inbox": "messages for the stage", "control": "the end of stream"}
    Outboxes = {"outbox": "the same messages, stamped", "signal": "the end, passed on"}

    def __init__(self, window: int) -> None:
        super().__init__()
        self.set_bound("inbox", window, "block")

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            now = perf_ns()
            for msg in batch:
                msg["enter"] = now
                out.push(msg)
        self.send(self.end_message, "signal")


class Stage(Component):
    """One stage of the pipeline: its work on one message at a time.

    ``calls`` says how it waits: ``BLOCKING`` holds the whole process (``time.sleep``),
    ``ASYNC`` yields an awaitable so the scheduler runs the others meanwhile.  Appends
    ``[k, enter, start, end, cpu_ns, pid]`` to the message's ``stages``.  Without an
    :class:`Arrival` in front, ``enter`` is when it took the message.
    """

    Inboxes = {"inbox": "messages (dicts)", "control": "the end of stream"}
    Outboxes = {"outbox": "the messages, stamped", "signal": "the end, passed on"}

    def __init__(self, index: int, spec: StageSpec, loops_per_ms: float, calls: Calls,
                 window: int) -> None:
        super().__init__(name=f"{spec.name}Work")
        self.index, self.spec, self.loops_per_ms = index, spec, loops_per_ms
        self.calls = Calls(calls)
        self.set_bound("inbox", window, "block")
        self.receive_limit = 1
        self.processed = 0

    def main(self) -> Generator[Any, Any, None]:
        k, spec, lpm = self.index, self.spec, self.loops_per_ms
        blocking = self.calls is Calls.BLOCKING
        pid = os.getpid()
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for msg in batch:
                start = perf_ns()
                enter = msg.pop("enter", start)
                if blocking:
                    cpu = work_blocking(spec, lpm)
                else:
                    cpu = yield from work_async(spec, lpm)
                msg["stages"].append([k, enter, start, perf_ns(), cpu, pid])
                self.processed += 1
                out.push(msg)
        self.send(self.end_message, "signal")


def stage_system(index: int, spec: StageSpec, loops_per_ms: float, calls: Calls | str,
                 window: int, arrival: bool = True) -> Component:
    """A stage as it runs anywhere: ``Pipeline(Arrival, Stage)`` named after the stage
    (a factory for ChildProcess and WorkerPool: module-level, picklable with partial)."""
    work = Stage(index, spec, loops_per_ms, Calls(calls), window)
    if not arrival:
        work.name = spec.name
        return work
    return Pipeline(Arrival(window), work, name=spec.name)


class Sink(Component):
    """Stamps ``done`` on each message, writes it to the log, sends the source a credit
    and moves the progress bar.  A message seen before (a redelivery) is counted in
    :attr:`duplicates` and not logged again.  ``complete`` is set once ``expected``
    messages are in."""

    Inboxes = {"inbox": "messages through every stage", "control": "the end of stream"}
    Outboxes = {
        "outbox": "(unused)",
        "signal": "the end, passed on",
        "credit": "one token for each message done (to the source)",
    }

    def __init__(self, log: LogWriter, expected: int, progress: Progress | None = None,
                 complete: asyncio.Future[Any] | None = None,
                 on_message: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__()
        self.log, self.expected, self.progress = log, expected, progress
        self.complete = complete
        self.on_message = on_message
        self.count = 0
        self.duplicates = 0
        self.seen: set[int] = set()
        self.last_ns = 0

    def main(self) -> Generator[Any, Any, None]:
        credit = self.outboxes["credit"]
        seen = self.seen
        while (batch := (yield RECEIVE)) is not None:
            now = perf_ns()
            for msg in batch:
                if msg["id"] in seen:
                    self.duplicates += 1
                    continue
                seen.add(msg["id"])
                msg["done"] = now
                self.log.message(msg)
                if self.on_message is not None:
                    self.on_message(msg)
                self.count += 1
                self.last_ns = now
                credit.push(1)
            if self.progress is not None:
                self.progress.update(self.count)
            if self.count >= self.expected and self.complete is not None \
                    and not self.complete.done():
                self.complete.set_result(None)
        self.send(self.end_message, "signal")
