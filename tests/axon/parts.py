"""Small components shared by the composition tests."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from axon import RECEIVE, Component, ProducerFinished, Shutdown

from .core_parts import Collect


class Count(Component):
    """Sends 0..n-1, one per timeslice (``per_slice`` at a time), then ProducerFinished."""

    def __init__(self, n: int, per_slice: int = 1, start: int = 0, name: str | None = None) -> None:
        super().__init__(name=name)
        self.n, self.per_slice, self.start = n, per_slice, start

    def main(self) -> Generator[None, Any, None]:
        i = self.start
        end = self.start + self.n
        while i < end:
            for _ in range(min(self.per_slice, end - i)):
                self.send(i)
                i += 1
            yield
        self.send(ProducerFinished("count"), "signal")


class Map(Component):
    """Applies ``fn`` to each message; passes the end on."""

    def __init__(self, fn: Callable[[Any], Any], name: str | None = None) -> None:
        super().__init__(name=name)
        self.fn = fn

    def main(self) -> Generator[Any, Any, None]:
        fn = self.fn
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                out.push(fn(x))
        self.send(self.end_message, "signal")


class Echo(Map):
    def __init__(self, name: str | None = None) -> None:
        super().__init__(lambda x: x, name=name)


class Fail(Component):
    """Passes messages on; raises ``error`` on the message ``at``."""

    def __init__(self, at: Any, error: type[Exception] = ValueError, name: str | None = None) -> None:
        super().__init__(name=name)
        self.at, self.error = at, error

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                if x == self.at:
                    raise self.error(f"bad message {x!r}")
                self.send(x)
        self.send(self.end_message, "signal")


class Forever(Component):
    """Waits for Shutdown (or ProducerFinished) and records the timeslices it saw."""

    def main(self) -> Generator[None, Any, None]:
        while not self.finished():
            self.recv_all()
            self.pause()
            yield
        self.send(self.end_message, "signal")


__all__ = ["Collect", "Count", "Echo", "Fail", "Forever", "Map", "ProducerFinished", "Shutdown"]
