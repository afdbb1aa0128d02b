"""Scheduling-protocol scenarios whose event logs must not depend on the core in use.

``python -m tests.axon.ccore_scenarios`` runs them all and prints one JSON object: the
core in use (``axon.core_implementation``) and, per scenario, its log.  A log records,
in order, what each component did and, from an observer that runs every turn, every
component's state and resume between timeslices: so it shows *when* things happen (a
wake-up, a deferred pause, a blocked send, the end of a stream), not only what arrived.
tests/axon/test_ccore.py runs it with and without ``AXON_PURE_PYTHON=1`` and compares.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Generator
from typing import Any

import axon
from axon import (
    RECEIVE, RECEIVE_ONE, Component, Instrument, Pipeline, ProducerFinished, Scheduler, Shutdown,
)

Log = list[Any]


class Observer(Component):
    """Runs every turn (a bare yield, never paused) and logs everyone's state and resume."""

    Inboxes = {"control": "stop"}

    def __init__(self, log: Log, watched: list[Component], turns: int) -> None:
        super().__init__()
        self.log, self.watched, self.turns = log, watched, turns

    def main(self) -> Generator[None, None, None]:
        for _ in range(self.turns):
            if not any(not c.done for c in self.watched):
                return
            self.log.append(["seen", [[c.name, c.state.value, _resume(c)] for c in self.watched]])
            yield


def _resume(c: Component) -> str:
    t = c._axon_task  # (the task record: which resume it waits with, as the protocol says)
    return "-" if t is None else repr(t.resume) if t.resume is None or type(
        t.resume).__name__ in ("_Receive", "_Pausing") else type(t.resume).__name__


class Source(Component):
    def __init__(self, log: Log, items: list[Any], per_slice: int, name: str = "src",
                 gap: int = 0) -> None:
        super().__init__(name=name)
        self.log, self.items, self.per_slice, self.gap = log, items, per_slice, gap

    def main(self) -> Generator[None, None, None]:
        for i in range(0, len(self.items), self.per_slice):
            for x in self.items[i:i + self.per_slice]:
                self.send(x)
            self.log.append([self.name, "sent", self.items[i:i + self.per_slice]])
            yield
            for _ in range(self.gap):  # (idle turns: the stages downstream fall asleep)
                yield
        self.send(ProducerFinished(), "signal")
        self.log.append([self.name, "end"])


class Classic(Component):
    """recv_all / send / data_ready / pause / yield, until finished()."""

    def __init__(self, log: Log, name: str) -> None:
        super().__init__(name=name)
        self.log = log

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            n = self.data_ready()
            got = self.recv_all()
            self.log.append([self.name, "got", n, got])
            for x in got:
                self.send(x)
            self.pause()
            yield
        self.log.append([self.name, "finished", repr(self.end_message)])
        self.send(self.end_message, "signal")


class Batches(Component):
    """The README idiom: ``yield RECEIVE``."""

    def __init__(self, log: Log, name: str) -> None:
        super().__init__(name=name)
        self.log = log

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.log.append([self.name, "batch", batch])
            for x in batch:
                self.send(x)
        self.log.append([self.name, "end", repr(self.end_message)])
        self.send(self.end_message, "signal")


class OneByOne(Component):
    def __init__(self, log: Log, name: str) -> None:
        super().__init__(name=name)
        self.log = log

    def main(self) -> Generator[Any, Any, None]:
        while (msg := (yield RECEIVE_ONE)) is not None:
            self.log.append([self.name, "one", msg])
            self.send(msg)
        self.log.append([self.name, "end", repr(self.end_message)])
        self.send(self.end_message, "signal")


class Sink(Component):
    def __init__(self, log: Log, name: str = "sink") -> None:
        super().__init__(name=name)
        self.log = log

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            while self.data_ready():
                self.log.append([self.name, "recv", self.recv()])
            self.pause()
            yield
        self.log.append([self.name, "finished", repr(self.end_message)])


def _run(log: Log, system: Component, watched: list[Component], turns: int = 400,
         instrument: Instrument | None = None) -> Log:
    sched = Scheduler()
    if instrument is not None:
        sched.add_instrument(instrument)
    sched.activate(system)
    sched.activate(Observer(log, watched, turns))
    sched.run(timeout=20)
    log.append(["timeslices", sched.timeslices, sched.finished_count, sched.failed_count])
    for c in watched:  # what each inbox counts as taken (recv, recv_all, RECEIVE) and dropped
        log.append([c.name, {n: [ib.received, ib.dropped, len(ib.queue)]
                             for n, ib in c.inboxes.items()}])
    return log


def _parts(system: Component) -> list[Component]:
    return list(system.children)


def classic_pipeline() -> Log:
    """Messages through classic stages, one per timeslice and then with idle turns
    between them: each stage's pause is deferred (it stays runnable with PAUSING), it
    sleeps only on a turn with nothing new, and its sender wakes it."""
    log: Log = []
    p = Pipeline(Source(log, list(range(6)), 1), Classic(log, "a"), Classic(log, "b"),
                 Sink(log))
    _run(log, p, _parts(p))
    p = Pipeline(Source(log, list(range(4)), 1, gap=3), Classic(log, "a"), Classic(log, "b"),
                 Sink(log))
    return _run(log, p, _parts(p))


def classic_burst() -> Log:
    log: Log = []
    p = Pipeline(Source(log, list(range(40)), 10), Classic(log, "a"), Sink(log))
    return _run(log, p, _parts(p))


def receive_pipeline() -> Log:
    log: Log = []
    p = Pipeline(Source(log, list(range(7)), 2), Batches(log, "a"), Batches(log, "b"),
                 Sink(log))
    return _run(log, p, _parts(p))


def receive_one_pipeline() -> Log:
    log: Log = []
    p = Pipeline(Source(log, list(range(5)), 3), OneByOne(log, "a"), Sink(log))
    return _run(log, p, _parts(p))


class SlowReader(Component):
    """Takes one message per timeslice from its bounded inbox (``block``: 2)."""

    def __init__(self, log: Log) -> None:
        super().__init__(name="slow")
        self.log = log

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            if self.data_ready():
                self.log.append([self.name, "recv", self.recv()])
            else:
                self.pause()
            yield
        self.log.append([self.name, "finished"])


def blocked_sends() -> Log:
    """A fast sender into a bounded ``block`` inbox: BLOCKED, released as room is made,
    nothing lost, order kept."""
    log: Log = []
    src = Source(log, list(range(9)), 4)
    slow = SlowReader(log)
    slow.set_bound("inbox", 2)
    p = Pipeline(src, slow)
    return _run(log, p, _parts(p))


class Waker(Component):
    """Wakes (``Scheduler.wake``) and sends to a sleeper at chosen turns: a wake during
    the sleeper's pending sleep (PAUSING) must run it on that turn (invariant 10)."""

    def __init__(self, log: Log, sleeper: Component) -> None:
        super().__init__(name="waker")
        self.log, self.sleeper = log, sleeper

    def main(self) -> Generator[None, None, None]:
        sched = self.scheduler
        assert sched is not None
        for turn in range(8):
            if turn in (1, 4):
                sched.wake(self.sleeper)
                self.log.append([self.name, "wake", turn])
            if turn == 6:
                self.send(turn)
                self.log.append([self.name, "send", turn])
            yield
        self.send(ProducerFinished(), "signal")


class Sleeper(Component):
    def __init__(self, log: Log) -> None:
        super().__init__(name="sleeper")
        self.log = log

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            self.log.append([self.name, "runs", self.recv_all()])
            self.pause()
            yield
        self.log.append([self.name, "finished"])


def wake_ups() -> Log:
    log: Log = []
    sleeper = Sleeper(log)
    waker = Waker(log, sleeper)
    p = Pipeline(waker, sleeper)
    return _run(log, p, [waker, sleeper])


class Stopper(Component):
    """Sends data, then a Shutdown on the stream's signal while data still waits."""

    def __init__(self, log: Log) -> None:
        super().__init__(name="stopper")
        self.log = log

    def main(self) -> Generator[None, None, None]:
        for i in range(3):
            self.send(i)
            yield
        self.send("last")
        self.send(Shutdown(), "signal")
        self.log.append([self.name, "shutdown sent"])


def end_of_stream() -> Log:
    """ProducerFinished lets data sent before it be processed first; Shutdown stops now."""
    log: Log = []
    p = Pipeline(Source(log, list(range(5)), 5), Classic(log, "a"), Batches(log, "b"),
                 OneByOne(log, "c"), Sink(log))
    _run(log, p, _parts(p))
    q = Pipeline(Stopper(log), Classic(log, "x"), Batches(log, "y"), Sink(log, "z"))
    return _run(log, q, _parts(q))


class Awaiter(Component):
    def __init__(self, log: Log) -> None:
        super().__init__(name="awaiter")
        self.log = log

    def main(self) -> Generator[Any, Any, None]:
        for i in range(3):
            value = yield asyncio.sleep(0, i)
            self.log.append([self.name, "awaited", value])
            self.send(value)
        try:
            yield 42  # not an awaitable: thrown back in as a TypeError
        except TypeError as exc:
            self.log.append([self.name, "TypeError", str(exc)[:30]])
        self.send(ProducerFinished(), "signal")


def awaitables() -> Log:
    log: Log = []
    p = Pipeline(Awaiter(log), Batches(log, "b"), Sink(log))
    return _run(log, p, _parts(p))


class Failing(Component):
    def main(self) -> Generator[None, None, None]:
        yield
        raise ValueError("planted")


def errors() -> Log:
    log: Log = []
    try:
        _run(log, Pipeline(Source(log, [1, 2], 1), Failing()), [])
    except axon.ComponentError as exc:
        log.append(["error", str(exc)])
    return log


class Counting(Instrument):
    """Timeslice hooks wrap the generators' send: the compiled loop's indirect path."""

    def __init__(self, log: Log) -> None:
        self.log = log

    def after_timeslice(self, component: Component) -> None:
        self.log.append(["slice", component.name])


def instrumented() -> Log:
    log: Log = []
    p = Pipeline(Source(log, list(range(4)), 2), Classic(log, "a"), Batches(log, "b"),
                 Sink(log))
    return _run(log, p, _parts(p), instrument=Counting(log))


class Held(Component):
    """Asks to pause, never taking what waits in ``gate`` (or, ``receiving``, in RECEIVE
    with ``inbox`` empty): resumed on every turn, reported once (scheduler design note 9)."""

    Inboxes = {"inbox": "data", "gate": "never taken", "control": "the end"}

    def __init__(self, name: str, receiving: bool) -> None:
        super().__init__(name=name)
        self.receiving = receiving

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            if self.receiving:
                yield RECEIVE
            else:
                self.pause()
                yield


class StopAfter(Component):
    def main(self) -> Generator[Any, Any, None]:
        yield asyncio.sleep(0.25)
        self.send(Shutdown(), "signal")
        self.send(Shutdown(), "outbox")


def kept_awake() -> Log:
    """Two components kept running by messages they never take: one warning each, naming
    it and the inbox, and nothing else changes (the times vary: not logged)."""
    import warnings
    log: Log = []
    a, b = Held("a", False), Held("b", True)
    g = axon.Graphline(a=a, b=b, stop=StopAfter(), linkages={
        ("stop", "signal"): ("a", "control"), ("stop", "outbox"): ("b", "control")})
    a.inboxes["gate"].put("x")
    b.inboxes["gate"].put("y")
    sched = Scheduler()
    sched.activate(g)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        sched.run(timeout=20)
    for w in shown:
        text = str(w.message)
        log.append(["warning", w.category.__name__, text.split(" asked")[0],
                    text.split("inbox ")[1].split(" ")[0]])
    log.sort()
    log.append(["kept_awake", sched.statistics().kept_awake,
                sorted([c.path, box] for c, box in sched.kept_awake.items())])
    log.append(["ends", repr(a.end_message), repr(b.end_message)])
    return log


SCENARIOS: dict[str, Callable[[], Log]] = {
    f.__name__: f for f in (classic_pipeline, classic_burst, receive_pipeline,
                            receive_one_pipeline, blocked_sends, wake_ups, end_of_stream,
                            awaitables, errors, instrumented, kept_awake)
}


def _logged(f: Callable[[], Log]) -> Log:
    """``f()``'s log; an error that escapes it (a Deadlock, say) is logged, not raised, so
    the comparison shows which scenario differs."""
    try:
        return f()
    except Exception as exc:  # noqa: BLE001 - compared between the cores, not hidden
        return ["raised", type(exc).__name__, str(exc)[:300]]


def main() -> None:
    print(json.dumps({"core": axon.core_implementation,
                      "logs": {name: _logged(f) for name, f in SCENARIOS.items()}}))


if __name__ == "__main__":
    main()
