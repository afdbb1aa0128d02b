"""Components for the process and pool tests: module-level, so a child process can make them."""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Generator
from typing import Any

from axon import RECEIVE, BoxSpec, Component, EndSignal, Pipeline, ProducerFinished, Shutdown


def gone(pid: int | None, timeout: float = 5.0) -> bool:
    """True once process ``pid`` no longer exists (reaped: not even a zombie)."""
    assert pid is not None
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Double(Component):
    """Sends 2 * each message; passes the end on."""

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                out.push(2 * x)
        self.send(self.end_message, "signal")


class Tag(Component):
    """Sends (name, message) for each message."""

    def __init__(self, tag: str = "") -> None:
        super().__init__()
        self.tag = tag

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.send_many((self.tag, x) for x in batch)
        self.send(self.end_message, "signal")


class Boom(Component):
    """Passes messages on; raises ValueError on the message ``at`` (default 3)."""

    def __init__(self, at: Any = 3) -> None:
        super().__init__()
        self.at = at

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                if x == self.at:
                    raise ValueError(f"bad message {x!r}")
                self.send(x)
        self.send(self.end_message, "signal")


class Odd(Exception):
    """An exception that cannot be rebuilt from its pickle (its __init__ needs two args)."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"odd {a} {b}")


class RaiseOdd(Component):
    def main(self) -> Generator[Any, Any, None]:
        yield RECEIVE
        raise Odd(1, 2)


class Die(Component):
    """Passes messages on; on the message ``at`` its process ends as ``how`` says."""

    def __init__(self, at: Any, how: str = "exit") -> None:
        super().__init__()
        self.at, self.how = at, how

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                if x == self.at:
                    if self.how == "exit":
                        os._exit(3)
                    elif self.how == "segfault":
                        ctypes.string_at(0)  # a real segmentation fault
                    else:
                        os.kill(os.getpid(), signal.SIGKILL)
                self.send(x)
        self.send(self.end_message, "signal")


class Slow(Component):
    """Passes each message on after sleeping ``delay`` seconds (a slow consumer)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                time.sleep(self.delay)
                self.send(x)
                yield  # one per timeslice, so it reads control in between
        self.send(self.end_message, "signal")


class Careful(Component):
    """Like Slow, in the classic idiom: it looks at control before every message."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            if self.data_ready():
                time.sleep(self.delay)
                self.send(self.recv())
                yield
            else:
                self.pause()
                yield
        self.send(self.end_message, "signal")


class Flood(Component):
    """In the child: sends 0..n-1 as fast as it may (``per_slice`` a timeslice)."""

    def __init__(self, n: int, per_slice: int = 100) -> None:
        super().__init__()
        self.n, self.per_slice = n, per_slice

    def main(self) -> Generator[Any, Any, None]:
        for i in range(self.n):
            self.send(i)
            if i % self.per_slice == 0:
                yield
        self.send(ProducerFinished("flood"), "signal")


class Join(Component):
    """Passes messages on; finishes after ``ends`` ends of stream (a fan-in's sink)."""

    def __init__(self, ends: int) -> None:
        super().__init__()
        self.ends = ends

    def main(self) -> Generator[Any, Any, None]:
        seen = 0
        while True:
            self.send_many(self.recv_all())
            seen += sum(isinstance(m, EndSignal) for m in self.recv_all("control"))
            if seen >= self.ends and not self.data_ready():
                break
            self.pause()
            yield
        self.send(ProducerFinished("joined"), "signal")


class SendLambda(Component):
    """Sends something that cannot be pickled when it gets a message."""

    def main(self) -> Generator[Any, Any, None]:
        yield RECEIVE
        self.send(lambda: None)
        yield
        self.send(ProducerFinished(), "signal")


class Forever(Component):
    """Runs until Shutdown or ProducerFinished, passing messages on."""

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.send_many(batch)
        self.send(self.end_message, "signal")


class Spin(Component):
    """Burns CPU without yielding once it gets a message (a child that will not stop)."""

    def main(self) -> Generator[Any, Any, None]:
        yield RECEIVE
        while True:
            pass


class Bounded(Component):
    """Declares a bounded drop_oldest inbox."""

    Inboxes = {"inbox": BoxSpec("latest values", 5, "drop_oldest"), "control": "the end"}

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.send_many(batch)
        self.send(self.end_message, "signal")


class Pid(Component):
    """Answers each message with (message, pid, 1 ms of sleep done)."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay

    def main(self) -> Generator[Any, Any, None]:
        pid = os.getpid()
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                if self.delay:
                    time.sleep(self.delay)
                if x == "die":
                    os.kill(pid, signal.SIGKILL)
                if x == "raise":
                    raise ValueError("poison")
                self.send((x, pid))
        self.send(self.end_message, "signal")


class Twice(Component):
    """A bad pool worker: two results per message."""

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for x in batch:
                self.send(x)
                self.send(x)
        self.send(self.end_message, "signal")


class Drop(Component):
    """A bad pool worker: no result for odd messages."""

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.send_many(x for x in batch if x % 2 == 0)
        self.send(self.end_message, "signal")


def doubled_twice() -> Pipeline:
    """A whole sub-system: two Doubles in a Pipeline."""
    return Pipeline(Double(), Double())


def nested_boom() -> Pipeline:
    """A Pipeline whose second stage fails on 3."""
    return Pipeline(Double(), Pipeline(Tag("x"), Boom(at=("x", 6))))


def double_in_a_grandchild() -> Pipeline:
    """A sub-system that runs one of its stages in a process of its own."""
    from axon import ChildProcess

    return Pipeline(Double(), ChildProcess(Double))


class Stamped(Component):
    """In a child: sends (i, the monotonic time it was sent) for 0..n-1, as fast as it may
    (``per_slice`` a timeslice)."""

    def __init__(self, n: int, per_slice: int = 50) -> None:
        super().__init__()
        self.n, self.per_slice = n, per_slice

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        for i in range(self.n):
            out.push((i, time.monotonic()))
            if i % self.per_slice == self.per_slice - 1:
                yield
        self.send(ProducerFinished("stamped"), "signal")


class LateReader(Component):
    """In a child: reads nothing for ``hold`` seconds (its whole process stops), then
    sends how many messages had been sent to it before it woke, and the count."""

    def __init__(self, hold: float) -> None:
        super().__init__()
        self.hold = hold

    def main(self) -> Generator[Any, Any, None]:
        time.sleep(self.hold)
        woke = time.monotonic()
        early = n = 0
        while (batch := (yield RECEIVE)) is not None:
            for i, sent in batch:
                assert i == n, (i, n)
                n += 1
                early += sent < woke
        self.send((early, n))
        self.send(self.end_message, "signal")


class ThenShutdownChild(Component):
    """In a child: sends ``n`` messages, then Shutdown at once."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def main(self) -> Generator[None, None, None]:
        self.send_many(range(self.n))
        yield
        self.send(Shutdown("stop"), "signal")


class First(Component):
    """Passes the first ``n`` messages on, then ends (a reader that leaves early)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def main(self) -> Generator[Any, Any, None]:
        seen = 0
        while seen < self.n and (batch := (yield RECEIVE)) is not None:
            take = batch[: self.n - seen]
            self.send_many(take)
            seen += len(take)
        self.send(ProducerFinished("first"), "signal")


class Endless(Component):
    """In a child: sends 0, 1, 2, ... (``per_slice`` a timeslice) until told to stop
    (its reader gone, or Shutdown)."""

    def __init__(self, per_slice: int = 100) -> None:
        super().__init__()
        self.per_slice = per_slice

    def main(self) -> Generator[Any, Any, None]:
        i = 0
        out = self.outboxes["outbox"]
        while not self.finished():
            for _ in range(self.per_slice):
                out.push(i)
                i += 1
            yield
        self.send(self.end_message, "signal")
