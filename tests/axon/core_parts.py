"""Small components the core tests (test_box, test_scheduler, test_threaded) are built from."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterable
from typing import Any

from axon import RECEIVE, Component, ProducerFinished


class Source(Component):
    """Sends each item of ``items``, ``per_slice`` per timeslice, then ProducerFinished."""

    def __init__(self, items: Iterable[Any], per_slice: int = 1, end: bool = True) -> None:
        super().__init__()
        self.items = list(items)
        self.per_slice = per_slice
        self.end = end

    def main(self) -> Generator[None, None, None]:
        for i, item in enumerate(self.items, 1):
            self.send(item)
            if i % self.per_slice == 0:
                yield
        if self.end:
            self.send(ProducerFinished(), "signal")


class Collect(Component):
    """Keeps everything that reaches its inbox in ``items`` (and in ``log`` as (name,
    message) pairs); ends on ProducerFinished/Shutdown, keeps it in ``end``, passes it on."""

    def __init__(self, name: str | None = None, log: list[Any] | None = None) -> None:
        super().__init__(name=name)
        self.items: list[Any] = []
        self.log = log

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.items.extend(batch)
            if self.log is not None:
                self.log.extend((self.name, x) for x in batch)
        self.send(self.end_message, "signal")

    @property
    def end(self) -> Any:
        return self.end_message


class ClassicCollect(Component):
    """Collect written with finished()/recv_all()/pause(), checking control FIRST."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            self.items.extend(self.recv_all())
            self.pause()
            yield


class Identity(Component):
    """Passes everything on, then the end of stream."""

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for msg in batch:
                out.push(msg)
        self.send(self.end_message, "signal")


class Map(Component):
    """Applies ``fn`` to each message (classic idiom, self.send)."""

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            for msg in self.recv_all():
                self.send(self.fn(msg))
            self.pause()
            yield
        self.send(self.end_message, "signal")


# -- parts for the wake-up specifications: they log every timeslice they run -------------------


class Timeline(list):
    """The event log of a wake-up test: one ``(who, (kind, messages))`` per timeslice, in
    the order they ran (kind "sent" for a sender, "got" for a reader).

    :meth:`check_prompt` is the specification: every message sent reaches its reader
    before the sender runs its next timeslice (the reader ran in the same round).
    """

    def check_prompt(self, reader: str) -> None:
        sends = [(i, who, msg) for i, (who, (kind, msgs)) in enumerate(self) if kind == "sent"
                 for msg in msgs]
        assert sends, "the test sent nothing"
        for i, who, msg in sends:
            nxt = next((j for j in range(i + 1, len(self)) if self[j][0] == who), len(self))
            got = [m for w, (kind, batch) in self[i + 1:nxt] if w == reader and kind == "got"
                   for m in batch]
            assert msg in got, (
                f"{msg!r} sent by {who} at event {i} had not reached {reader} by {who}'s next "
                f"timeslice (event {nxt}): a lost wake-up\n" + self.around(i))

    def around(self, i: int) -> str:
        return "\n".join(f"{j:4} {e}" for j, e in enumerate(self[max(0, i - 4):i + 12], max(0, i - 4)))


class BusySender(Component):
    """Never pauses and stays alive: a bare ``yield`` per timeslice for ``slices``
    timeslices; at the timeslices in ``at`` it sends one message (the slice number)."""

    def __init__(self, log: Timeline, at: Iterable[int], slices: int, name: str) -> None:
        super().__init__(name=name)
        self.log, self.at, self.slices = log, set(at), slices

    def main(self) -> Generator[None, None, None]:
        for i in range(self.slices):
            if i in self.at:
                self.send(i)
            self.log.append((self.name, ("sent", [i] if i in self.at else [])))
            yield
        self.send(ProducerFinished(), "signal")


class PassEvery(Component):
    """A RECEIVE stage kept busy by its input that passes on only the messages in ``keep``
    (its reader sleeps in between)."""

    def __init__(self, log: Timeline, keep: Iterable[Any], name: str = "Stage") -> None:
        super().__init__(name=name)
        self.log, self.keep = log, set(keep)
        self.took: list[list[Any]] = []

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.took.append(batch)
            sent = [msg for msg in batch if msg in self.keep]
            self.send_many(sent)
            self.log.append((self.name, ("sent", sent)))
        self.send(self.end_message, "signal")


class LogReader(Component):
    """Logs each timeslice: ``("got", batch)``; RECEIVE, or (``classic``) the
    finished()/recv_all()/pause() idiom."""

    def __init__(self, log: Timeline, name: str = "Reader", classic: bool = False) -> None:
        super().__init__(name=name)
        self.log, self.classic = log, classic
        self.items: list[Any] = []

    def main(self) -> Generator[Any, Any, None]:
        if self.classic:
            while not self.finished():
                batch = self.recv_all()
                self.items += batch
                self.log.append((self.name, ("got", batch)))
                self.pause()
                yield
        else:
            while (batch := (yield RECEIVE)) is not None:
                self.items += batch
                self.log.append((self.name, ("got", batch)))


class Ticker(Component):
    """Something beside the system under test that may still be woken (it holds a
    keep-alive, as a timer or a server does): ticks every 10 ms until every other
    top-level system is done."""

    def main(self) -> Generator[Any, Any, None]:
        sched = self.scheduler
        assert sched is not None
        with self.keep_alive():
            while any(c.parent is None and c is not self for c in sched.components):
                yield asyncio.sleep(0.01)
