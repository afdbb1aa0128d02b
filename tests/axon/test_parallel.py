"""Parallel: children side by side, the inbox to each, the outboxes merged (Kamaelia's PAR)."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import pytest

from axon import (
    Component, ComponentError, Parallel, Pipeline, ProducerFinished, Scheduler,
    Shutdown, run,
)
from tests.axon.parts import Collect, Count, Echo, Fail, Forever, Map


def test_the_inbox_goes_to_every_child_and_their_outboxes_are_merged() -> None:
    out = Collect()
    run(Pipeline(Count(4, per_slice=4),
                 Parallel(Map(lambda n: ("a", n)), Map(lambda n: ("b", n))), out), timeout=10)
    assert sorted(out.items) == [(k, n) for k in "ab" for n in range(4)]
    for k in "ab":  # each child's messages keep their order
        assert [n for t, n in out.items if t == k] == [0, 1, 2, 3]
    assert isinstance(out.end, ProducerFinished)


def test_the_end_goes_out_once_every_child_has_ended_not_at_the_first() -> None:
    # Kamaelia's PAR passed each child's signal out: the short child's end ended the sink
    # while the long one was still sending
    class Slow(Component):
        """Sends 100..104 with quiet timeslices between (the sink drains in between)."""

        def main(self) -> Generator[None, Any, None]:
            for n in range(100, 105):
                self.send(n)
                for _ in range(5):
                    yield
            self.send(ProducerFinished("slow"), "signal")

    out = Collect()
    run(Pipeline(Parallel(Count(2), Slow()), out), timeout=10)
    assert sorted(out.items) == [0, 1, 100, 101, 102, 103, 104]
    assert isinstance(out.end, ProducerFinished)


def test_producer_finished_reaches_each_child_after_the_data_sent_before_it() -> None:
    log: list[Any] = []
    a, b = Collect(name="A", log=log), Collect(name="B", log=log)
    par = Parallel(a, b)
    for n in range(3):
        par.inboxes["inbox"].put(n)
    par.inboxes["control"].put(ProducerFinished())
    run(par, timeout=10)
    assert a.items == b.items == [0, 1, 2]
    assert isinstance(a.end, ProducerFinished) and isinstance(b.end, ProducerFinished)


def test_shutdown_reaches_every_child_at_once_even_one_awaiting() -> None:
    class Sleeper(Component):
        def main(self) -> Generator[Any, Any, None]:
            try:
                yield asyncio.sleep(3600)
            finally:
                self.send(Shutdown("cancelled"), "signal")

    forever, sleeper, out = Forever(), Sleeper(), Collect()
    par = Parallel(forever, sleeper)

    class Stop(Component):
        def main(self) -> Generator[None, Any, None]:
            for _ in range(3):
                yield
            par.inboxes["control"].put(Shutdown("stop"))

    s = run(Pipeline(par, out), Stop(), timeout=10)
    assert forever.end_message == Shutdown("stop")
    assert sleeper.done
    assert out.end == Shutdown("stop")
    assert s.timeslices < 50  # promptly


def test_a_failing_child_is_named_by_its_place() -> None:
    with pytest.raises(ComponentError, match=r"Parallel\[1\]:Parser raised ValueError"):
        run(Pipeline(Count(5), Parallel(Echo(), Fail(at=3, name="Parser")), Collect()),
            timeout=10)


def test_other_boxes_can_be_shared_and_merged() -> None:
    class Tagged(Component):
        Inboxes = {"inbox": "data", "control": "end", "config": "a tag to use"}
        Outboxes = {"outbox": "data", "signal": "end", "log": "what it did"}

        def main(self) -> Generator[Any, Any, None]:
            while not self.finished("inbox", "config"):
                for tag in self.recv_all("config"):
                    self.send(f"{self.name} got {tag}", "log")
                self.pause()
                yield
            self.send(self.end_message, "signal")

    par = Parallel(Tagged(name="x"), Tagged(name="y"), shared_inboxes=("inbox", "config"),
                   merged_outboxes=("outbox", "log"))
    logs = Collect()
    par.link((par, "log"), (logs, "inbox"))  # (par's own link: made before it runs)
    par.add_child(logs, "logs")
    par.inboxes["config"].put("t1")
    par.inboxes["control"].put(ProducerFinished())
    logs.inboxes["control"].put(ProducerFinished())
    run(par, timeout=10)
    assert sorted(logs.items) == ["x got t1", "y got t1"]
    with pytest.raises(ValueError, match="signal"):
        Parallel(Echo(), merged_outboxes=("signal",))
    with pytest.raises(ValueError, match="at least one child"):
        Parallel()


def test_an_idle_parallel_costs_nothing_even_with_messages_no_child_takes() -> None:
    class NoInbox(Component):
        Inboxes = {"control": "end"}

        def main(self) -> Generator[None, Any, None]:
            while not self.finished("control"):
                self.pause()
                yield

    par = Parallel(NoInbox())
    par.inboxes["inbox"].put("nobody takes this")
    sched = Scheduler()
    sched.activate(par)

    async def drive() -> None:
        task = asyncio.ensure_future(sched.run_async(timeout=10))
        with sched.keep_alive():
            await sched.next_idle()
            slices = sched.timeslices
            for _ in range(20):
                await asyncio.sleep(0)
            assert sched.timeslices == slices  # asleep, not spinning on its inbox
            par.inboxes["control"].put(ProducerFinished())
        await task

    asyncio.run(drive())
    assert par.done
    assert par.inboxes["inbox"].statistics().dropped == 1  # counted as it finished
