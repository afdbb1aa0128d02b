"""WorkerPool: one stream spread over worker processes, in order or not, bounded in flight,
with failed workers restarted and their messages re-sent or reported."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Generator
from functools import partial
from typing import Any

import pytest

from axon import (
    RECEIVE, ChildFailed, Component, ComponentError, LostMessage, Pipeline, ProcessDied,
    ProducerFinished, RestartsExhausted, Shutdown, Supervisor, WorkerPool, run,
)
from tests.axon.core_parts import Source
from tests.axon.parts import Collect, Count
from tests.axon.process_parts import Drop, Pid, Twice, gone


def values(items: list[Any]) -> list[Any]:
    return [x for x, _pid in items]


def test_ordered_results_come_in_input_order_from_every_worker() -> None:
    out = Collect()
    pool = WorkerPool(Pid, 2, max_in_flight=64)
    assert [w.path for w in pool.workers] == ["WorkerPool[w0]:Pid", "WorkerPool[w1]:Pid"]
    run(Pipeline(Count(3000, per_slice=100), pool, out), timeout=30)
    assert values(out.items) == list(range(3000))
    assert len({pid for _, pid in out.items}) == 2  # both workers did work
    stats = pool.statistics()
    assert (stats.dispatched, stats.results, stats.in_flight) == (3000, 3000, 0)
    assert out.end == ProducerFinished("count")
    assert all(gone(w.pid) for w in pool.workers)


def test_unordered_results_all_arrive_once() -> None:
    out = Collect()
    pool = WorkerPool(partial(Pid, 0.0002), 2, ordered=False, max_in_flight=16)
    run(Pipeline(Count(500, per_slice=50), pool, out), timeout=30)
    assert sorted(values(out.items)) == list(range(500))
    assert min(pool.statistics().per_worker) > 100  # the load is shared


class Producer(Component):
    """Sends 0..n-1 quickly, noting the pool's messages in flight and how far ahead of
    ``sink`` it gets."""

    def __init__(self, n: int, pool: WorkerPool, sink: Collect) -> None:
        super().__init__()
        self.n, self.pool, self.sink = n, pool, sink
        self.in_flight = self.ahead = 0

    def main(self) -> Generator[None, None, None]:
        for i in range(self.n):
            self.send(i)
            self.in_flight = max(self.in_flight, self.pool.statistics().in_flight)
            self.ahead = max(self.ahead, i + 1 - len(self.sink.items))
            if i % 10 == 0:
                yield
        self.send(ProducerFinished(), "signal")


def test_the_messages_in_flight_are_bounded_and_hold_the_producer_back() -> None:
    out = Collect()
    pool = WorkerPool(partial(Pid, 0.001), 2, max_in_flight=8)
    prod = Producer(300, pool, out)
    run(Pipeline(prod, pool, out), timeout=30)
    assert values(out.items) == list(range(300))
    assert prod.in_flight <= 8
    # the pool's inbox, what it took from there, in flight, passed on but not yet
    # collected, one producer timeslice
    assert prod.ahead <= 8 + 8 + 8 + 8 + 10


class KillWorker(Component):
    """Passes results on; after ``after`` of them kills worker ``label``'s process."""

    def __init__(self, pool: WorkerPool, after: int, label: str = "w0") -> None:
        super().__init__()
        self.pool, self.after, self.victim = pool, after, label
        self.killed: int | None = None

    def main(self) -> Generator[Any, Any, None]:
        seen = 0
        while (batch := (yield RECEIVE)) is not None:
            seen += len(batch)
            self.send_many(batch)
            if self.killed is None and seen >= self.after:
                (w,) = [w for w in self.pool.workers if w.label == self.victim]
                self.killed = w.pid
                os.kill(w.pid, signal.SIGKILL)  # type: ignore[arg-type]
        self.send(self.end_message, "signal")


def killed_under_load(on_lost: str, **kw: Any) -> tuple[WorkerPool, Collect, KillWorker]:
    out = Collect()
    pool = WorkerPool(partial(Pid, 0.002), 2, max_in_flight=16, on_lost=on_lost, **kw)
    killer = KillWorker(pool, after=40)
    run(Pipeline(Count(300, per_slice=20), pool, killer, out), timeout=30)
    return pool, out, killer


def test_kill_9_of_a_worker_under_load_with_resend_passes_every_result_on_once() -> None:
    pool, out, killer = killed_under_load("resend")
    assert values(out.items) == list(range(300))  # in order, none lost, none twice
    stats = pool.statistics()
    assert stats.restarts == 1 and stats.resent >= 1 and stats.lost == 0
    (failed,) = pool.outboxes["failures"].held  # (unlinked: kept)
    assert isinstance(failed, ChildFailed) and failed.label == "w0"
    assert isinstance(failed.error, ProcessDied) and failed.error.exitcode == -signal.SIGKILL
    assert failed.path == "Pipeline[1]:WorkerPool[w0]:Pid"
    pids = {pid for _, pid in out.items}
    assert killer.killed in pids and len(pids) == 3  # the dead one, its successor, w1
    assert gone(killer.killed) and all(gone(w.pid) for w in pool.workers)


def test_kill_9_of_a_worker_under_load_with_report_reports_what_it_held() -> None:
    pool, out, killer = killed_under_load("report")
    lost = list(pool.outboxes["lost"].held)
    assert lost and all(isinstance(x, LostMessage) for x in lost)
    assert {x.worker for x in lost} == {"Pipeline[1]:WorkerPool[w0]:Pid"}
    assert all(isinstance(x.error, ProcessDied) for x in lost)
    got = values(out.items)
    assert got == sorted(got)  # still in input order, the lost ones left out
    assert sorted(got + [x.message for x in lost]) == list(range(300))
    assert pool.statistics().lost == len(lost) and pool.restarts == 1
    assert gone(killer.killed)


def test_one_for_all_restarts_every_worker_and_loses_nothing() -> None:
    pool, out, _ = killed_under_load("resend", strategy="one_for_all")
    assert values(out.items) == list(range(300))
    assert pool.restarts == 1
    before = {pid for _, pid in out.items[:30]}
    after = {pid for _, pid in out.items[-30:]}
    assert not before & after  # both workers are new processes


def test_an_exception_in_a_worker_restarts_it_and_report_skips_that_message() -> None:
    out = Collect()
    pool = WorkerPool(Pid, 2, on_lost="report")
    run(Pipeline(Source([0, 1, "raise", 3, 4, 5, 6]), pool, out), timeout=30)
    lost = list(pool.outboxes["lost"].held)
    # what the failed worker had taken with the poison is reported too; the rest go on
    assert "raise" in [x.message for x in lost]
    got = values(out.items)
    assert got == sorted(got) and sorted(got + [x.message for x in lost if x.message != "raise"]
                                         ) == [0, 1, 3, 4, 5, 6]
    for x in lost:
        assert isinstance(x.error, ComponentError) and x.error.path == x.worker
        assert str(x.error).endswith("ValueError: poison")
    assert pool.restarts == 1


def test_a_poison_message_that_keeps_killing_workers_exhausts_the_budget() -> None:
    pool = WorkerPool(Pid, 2, max_restarts=2, within=60)
    t0 = time.monotonic()
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Source([1, 2, "die", 3]), pool, Collect()), timeout=30)
    assert time.monotonic() - t0 < 10
    err = info.value
    assert err.path == "Pipeline[1]:WorkerPool" and isinstance(err.error, RestartsExhausted)
    assert "more than 2 restarts" in str(err) and isinstance(err.error.__cause__, ProcessDied)
    assert all(gone(w.pid) for w in pool.workers if w.pid)


@pytest.mark.parametrize("worker, text", [
    (Twice, "sent more results than it was given messages"),
    (Drop, "finished with 1 message(s) it sent no result for"),
])
def test_a_worker_must_send_one_result_per_message(worker: type, text: str) -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Source([0, 1, 2]), WorkerPool(worker, 1, max_restarts=0), Collect()),
            timeout=30)
    assert text in str(info.value)


class ThenShutdown(Component):
    def main(self) -> Generator[None, None, None]:
        self.send_many(range(20))
        yield
        self.send(Shutdown("stop"), "signal")


def test_shutdown_stops_the_pool_and_its_workers_at_once() -> None:
    out = Collect()
    # 16 in flight, 500 ms each: 4 s of work for each worker, which Shutdown cuts short
    # (the message each is busy with, then they stop)
    pool = WorkerPool(partial(Pid, 0.5), 2, max_in_flight=16)
    t0 = time.monotonic()
    run(Pipeline(ThenShutdown(), pool, out), timeout=30)
    assert time.monotonic() - t0 < 2.5
    assert out.end == Shutdown("stop") and len(out.items) < 10
    assert all(gone(w.pid) for w in pool.workers)


def test_a_supervisor_restarts_a_pool_that_ran_out_of_restarts() -> None:
    # the pool may not restart its workers itself (max_restarts=0): its Supervisor restarts
    # the whole pool, new processes and all, and the stream carries on
    sup = Supervisor([partial(WorkerPool, Pid, 2, max_in_flight=2, max_restarts=0)],
                     max_restarts=1, within=60)
    out = Collect()
    first = sup.children[0]
    run(Pipeline(Source([0, 1, 2, "die", 4, 5, 6, 7]), sup, out), timeout=30)
    assert sup.restarts == 1
    (failed,) = sup.outboxes["failures"].held
    assert isinstance(failed.error, RestartsExhausted)
    assert isinstance(failed.error.__cause__, ProcessDied)
    got = values(out.items)
    assert got == sorted(got) and got[-1] == 7 and "die" not in got
    assert all(gone(w.pid) for w in first.workers + sup.children[0].workers)
