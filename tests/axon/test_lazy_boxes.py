"""Specification: an activated component nothing is linked to gets its boxes on first use.

Activation makes only the task (``Component._axon_make_task``); a link, a send, a put into
one of its ``inboxes`` or a look at them makes the boxes, and the task then waits on their
queues.  Nothing it would have had with its boxes made at activation may be missing: a
wake-up, what it passes on as it ends, the closing of its inboxes."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from axon import RECEIVE, Component, Scheduler, Shutdown, State, ThreadedComponent


def made_boxes(c: Component) -> bool:
    return "_axon_inboxes" in vars(c)


class Sleeper(Component):
    """The classic idiom, logging each time it runs."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def main(self) -> Generator[None, None, None]:
        while not self.finished():
            self.log.append("ran")
            self.pause()
            yield
        self.log.append(f"ended on {type(self.end_message).__name__}")


class Receiver(Component):
    def __init__(self, log: list[Any]) -> None:
        super().__init__()
        self.log = log

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            self.log.append(batch)
        self.log.append("end")


class Quits(Component):
    def main(self) -> Generator[None, None, None]:
        return
        yield


async def asleep(sched: Scheduler, *comps: Component) -> None:
    await sched.next_idle()
    assert all(c.state is State.PAUSED for c in comps), [c.state for c in comps]


def test_a_paused_component_nothing_is_linked_to_has_no_boxes_and_still_wakes_on_a_put() -> None:
    log: list[str] = []
    sched = Scheduler()
    c = sched.activate(Sleeper(log))

    async def scenario() -> None:
        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async())
            await asleep(sched, c)
            assert not made_boxes(c) and log == ["ran"]
            c.inboxes["control"].put(Shutdown())  # (makes them, and wakes it)
            assert made_boxes(c)
            await sched.next_idle()
            assert log == ["ran", "ended on Shutdown"]
        await running

    asyncio.run(scenario())
    assert c.state is State.FINISHED


def test_a_receiver_whose_boxes_come_after_it_fell_asleep_gets_each_message_put_in() -> None:
    log: list[Any] = []
    sched = Scheduler()
    r = sched.activate(Receiver(log))

    async def scenario() -> None:
        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async())
            await asleep(sched, r)
            assert not made_boxes(r) and log == []
            r.inboxes["inbox"].put(1)
            await asleep(sched, r)
            assert log == [[1]]  # woken by the first message into a queue made after it slept
            r.inboxes["inbox"].put(2)
            r.inboxes["inbox"].put(3)
            await asleep(sched, r)
            assert log == [[1], [2, 3]]
            r.inboxes["control"].put(Shutdown())
        await running

    asyncio.run(scenario())
    assert log == [[1], [2, 3], "end"]


def test_linking_to_it_after_activation_makes_its_boxes_and_messages_reach_it() -> None:
    log: list[Any] = []
    sched = Scheduler()
    r = sched.activate(Receiver(log))
    sender = Component()

    async def scenario() -> None:
        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async())
            await asleep(sched, r)
            assert not made_boxes(r)
            sender.link((sender, "outbox"), (r, "inbox"))
            sender.outboxes["outbox"].push("late")  # (a send from outside any timeslice)
            r.inboxes["inbox"].put("put")
            await asleep(sched, r)
            r.inboxes["control"].put(Shutdown())
        await running

    asyncio.run(scenario())
    assert log == [["late", "put"], "end"]


def test_one_that_ends_unlinked_has_closed_inboxes_and_holds_what_it_passed_on() -> None:
    sched = Scheduler()
    q = sched.activate(Quits())
    sched.run()
    assert q.state is State.FINISHED
    ib = q.inboxes["inbox"]  # made as it finished, and closed: a later put is counted
    assert ib.closed
    ib.put("too late")
    assert ib.statistics().dropped == 1


class Waiter(Component):
    """Awaits forever: a Shutdown cancels the await, and it is passed on."""

    def main(self) -> Generator[Any, Any, None]:
        yield asyncio.Event().wait()


def test_a_shutdown_put_into_one_awaiting_with_no_boxes_yet_ends_the_await_and_is_passed_on() -> None:
    sched = Scheduler()
    w = sched.activate(Waiter())

    async def scenario() -> None:
        running = asyncio.ensure_future(sched.run_async())
        await asyncio.sleep(0.05)
        assert not made_boxes(w)
        w.inboxes["control"].put(Shutdown("stop"))
        await running

    asyncio.run(scenario())
    held = list(w.outboxes["signal"].held)
    assert len(held) == 1 and isinstance(held[0], Shutdown), held


class Thread(ThreadedComponent):
    def main(self) -> None:
        self.finished()


def test_a_threaded_component_gets_its_boxes_at_activation() -> None:
    sched = Scheduler()
    t = Thread()
    sched.activate(t)  # its thread may take from them at any moment: no lazy making
    assert made_boxes(t)
    sched.shutdown()
