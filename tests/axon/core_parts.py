"""Small components the core tests (test_box, test_scheduler, test_threaded) are built from."""

from __future__ import annotations

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
