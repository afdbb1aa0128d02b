"""Stage, the base of the library's per-message components: long batches are cut to a
time slice, so Shutdown, timers and sockets never wait for a backlog."""

from __future__ import annotations

import asyncio
import time

from axon import Component, Pipeline, ProducerFinished, Shutdown, Supervisor, run
from components import Collector, IterableSource, Map


def slow(n: int) -> int:
    time.sleep(0.001)  # a millisecond of real work per message
    return n


class Timer(Component):
    """After ``delay`` s, notes how many messages ``counter`` had seen and shuts it down."""

    def __init__(self, delay: float, target: Component, counter: list[int]) -> None:
        super().__init__()
        self.delay, self.target, self.counter = delay, target, counter

    def main(self):
        t0 = time.monotonic()
        yield asyncio.sleep(self.delay)
        self.late = time.monotonic() - t0 - self.delay
        self.seen_then = len(self.counter)
        self.target.inboxes["control"].put(Shutdown("timer"))


def test_a_backlog_of_slow_messages_holds_neither_shutdown_nor_timers_back():
    done: list[int] = []
    stage = Map(lambda n: done.append(slow(n)))
    timer = Timer(0.1, stage, done)
    # 2,000 messages of 1 ms queued at once: one batch would take 2 s
    run(Pipeline(IterableSource(range(2000), chunk=2000), stage, Collector()), timer, timeout=30)
    assert timer.seen_then < 1000, "the timer waited for the backlog"
    assert len(done) < timer.seen_then + 200, "Shutdown waited for the backlog"
    assert done == list(range(len(done)))  # in order, none skipped
    assert stage.end_message == Shutdown("timer")


class Watched(Map):
    """A Map that notes every receive_limit it is given."""

    limits: list[int | None]

    @property
    def receive_limit(self) -> int | None:
        return self._axon_receive_limit

    @receive_limit.setter
    def receive_limit(self, n: int | None) -> None:
        self.__dict__.setdefault("limits", []).append(n)
        Component.receive_limit.fset(self, n)  # type: ignore[attr-defined]


def test_cut_batches_still_deliver_everything_in_order_and_the_limit_goes_again():
    def work(n: int) -> int:
        if 300 <= n < 500:
            time.sleep(0.001)  # a slow stretch
        return n

    stage, out = Watched(work), Collector()
    run(Pipeline(IterableSource(range(20000), chunk=1000), stage, out), timeout=30)
    assert out.items == list(range(20000)) and out.end_message == ProducerFinished()
    assert stage.limits[0] is not None and stage.limits[0] < 100  # cut while slow...
    assert stage.receive_limit is None  # ...not for ever after


def test_a_supervised_stage_loses_only_the_messages_it_fails_on():
    # the case: Map takes a whole batch; before, this gave [1, 2] and one failure
    sup, out = Supervisor([lambda: Map(int)], max_restarts=5, within=60), Collector()
    sched = run(Pipeline(IterableSource(["1", "2", "x", "3", "y", "4"]), sup, out),
                timeout=10)
    assert out.items == [1, 2, 3, 4] and sup.restarts == 2
    assert sched.statistics().failed == 2
