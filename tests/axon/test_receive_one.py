"""``msg = yield RECEIVE_ONE``: exactly the next message, or None at the end of the stream."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import pytest

from axon import (
    RECEIVE_ONE, ChildFailed, Component, ComponentError, Instrument, Pipeline, ProducerFinished,
    Scheduler, Shutdown, Supervisor, run, snapshot,
)
from tests.axon.core_parts import Collect, Source


class TakeOne(Component):
    """Logs each message with how many still waited behind it, then passes it on."""

    def __init__(self, log: list[Any] | None = None, name: str | None = None) -> None:
        super().__init__(name=name)
        self.log = log if log is not None else []

    def main(self) -> Generator[Any, Any, None]:
        while (msg := (yield RECEIVE_ONE)) is not None:
            self.log.append((msg, self.data_ready()))
            self.send(msg)
        self.log.append(("end", self.end_message))
        self.send(self.end_message, "signal")


def test_each_receive_gives_exactly_the_next_message_and_the_rest_wait_in_the_inbox() -> None:
    one, out = TakeOne(), Collect()
    run(Pipeline(Source(range(5), per_slice=5), one, out), timeout=10)
    # all five arrived in one timeslice: each RECEIVE_ONE took one, the others still waited
    assert one.log[:5] == [(0, 4), (1, 3), (2, 2), (3, 1), (4, 0)]
    assert out.items == [0, 1, 2, 3, 4]
    assert one.inboxes["inbox"].received == 5


def test_data_sent_before_producer_finished_is_received_first_then_none() -> None:
    one, out = TakeOne(), Collect()
    # the end arrives in the same timeslice as the data, on the other inbox
    run(Pipeline(Source(["a", "b", "c"], per_slice=3), one, out), timeout=10)
    assert [m for m, _ in one.log] == ["a", "b", "c", "end"]
    assert isinstance(one.log[-1][1], ProducerFinished)
    assert isinstance(out.end, ProducerFinished)


def test_shutdown_gives_none_at_once_and_abandons_what_waits() -> None:
    one = TakeOne()
    for m in range(3):
        one.inboxes["inbox"].put(m)
    one.inboxes["control"].put(Shutdown("stop"))
    run(one, timeout=10)
    assert one.log == [("end", Shutdown("stop"))]
    assert one.inboxes["inbox"].statistics().dropped == 3  # counted as its inbox closed


def test_it_sleeps_while_nothing_waits_and_a_message_wakes_it_at_once() -> None:
    log: list[Any] = []
    one = TakeOne(log)
    sched = Scheduler()
    sched.activate(one)

    async def drive() -> None:
        task = asyncio.ensure_future(sched.run_async(timeout=10))
        with sched.keep_alive():
            await sched.next_idle()
            slices = sched.timeslices
            assert one.state.value == "paused"
            assert snapshot(one).component("TakeOne").waiting_on == "a message on inbox or control"
            for _ in range(5):  # idle: nothing runs
                await asyncio.sleep(0)
            assert sched.timeslices == slices
            one.inboxes["inbox"].put("x")
            await sched.next_idle()
            assert log == [("x", 0)]
            # woken, looked again and resumed: one timeslice, not a spin
            assert sched.timeslices == slices + 1
            one.inboxes["control"].put(ProducerFinished())
        await task

    asyncio.run(drive())
    assert log[-1] == ("end", ProducerFinished())


def test_an_error_after_receive_one_names_the_component_by_its_place() -> None:
    class Picky(Component):
        def main(self) -> Generator[Any, Any, None]:
            while (msg := (yield RECEIVE_ONE)) is not None:
                if msg == 2:
                    raise ValueError(f"bad {msg}")

    with pytest.raises(ComponentError, match=r"Pipeline\[1\]:Picky raised ValueError: bad 2"):
        run(Pipeline(Source(range(5)), Picky()), timeout=10)


def test_under_a_supervisor_a_failure_names_the_message_it_took() -> None:
    class Picky(TakeOne):
        def main(self) -> Generator[Any, Any, None]:
            while (msg := (yield RECEIVE_ONE)) is not None:
                if msg == "x":
                    raise ValueError("x")
                self.send(msg)
            self.send(self.end_message, "signal")

    records: list[ChildFailed] = []

    class Failures(Component):
        def main(self) -> Generator[Any, Any, None]:
            while not sup.done or self.data_ready():
                records.extend(self.recv_all())
                self.pause()
                yield

    sup = Supervisor([Picky], max_restarts=3, within=3600)
    out, failures = Collect(), Failures()
    failures.link((sup, "failures"), (failures, "inbox"))
    sched = Scheduler()
    sched.activate(Pipeline(Source(["a", "x", "b"], per_slice=3), sup, out))
    sched.activate(failures)
    sched.on_finish(lambda c: sched.wake(failures) if c is sup else None)
    sched.run(timeout=10)
    assert out.items == ["a", "b"]
    assert [r.unfinished for r in records] == [("x",)]


def test_a_sender_blocked_on_a_full_inbox_waits_for_room_before_receiving_again() -> None:
    events: list[str] = []

    class Relay(Component):
        def main(self) -> Generator[Any, Any, None]:
            while (msg := (yield RECEIVE_ONE)) is not None:
                events.append(f"relay took {msg}")
                self.send(msg)
            self.send(self.end_message, "signal")

    class Slow(Component):
        def main(self) -> Generator[Any, Any, None]:
            for _ in range(3):  # reads nothing for a while: the relay's sends fill its inbox
                yield
            while not self.finished():
                for m in self.recv_all():
                    events.append(f"slow took {m}")
                self.pause()
                yield

    slow = Slow()
    slow.set_bound("inbox", 1)
    relay = Relay()
    run(Pipeline(Source(range(3), per_slice=3), relay, slow), timeout=10)
    # the relay took the second message only once its first send was taken
    assert events.index("slow took 0") < events.index("relay took 2")
    assert [e for e in events if e.startswith("slow")] == ["slow took 0", "slow took 1",
                                                            "slow took 2"]


def test_timeslice_instruments_see_each_resume() -> None:
    seen: list[str] = []

    class Spy(Instrument):
        def before_timeslice(self, component: Component) -> None:
            seen.append(component.name)

    one = TakeOne(name="One")
    sched = Scheduler()
    sched.add_instrument(Spy())
    sched.activate(Pipeline(Source(range(3), per_slice=3), one, Collect()))
    sched.run(timeout=10)
    # its first timeslice, one per message, and the one that ends it
    assert seen.count("One") == 1 + 3 + 1


def test_taking_from_a_full_bounded_inbox_lets_its_blocked_sender_go_on() -> None:
    one, out = TakeOne(), Collect()
    one.set_bound("inbox", 2, "block")  # the source's burst of 10 blocks it at 2
    run(Pipeline(Source(range(10), per_slice=10), one, out), timeout=10)
    assert out.items == list(range(10))
    assert max(waiting for _, waiting in one.log[:10]) <= 2
