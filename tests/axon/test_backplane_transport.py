"""The Backplane's transport hook, with an in-process stand-in for a network: its bridge
gets what is published here, delivers what 'others' published to the subscribers here
(only while there are any), and the backplane ends once its bridge has."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

from axon import (
    Backplane, Component, Pipeline, ProducerFinished, PublishTo, Scheduler, SubscribeTo, run,
    snapshot,
)
from tests.axon.parts import Collect, Count


class Wire:
    """A transport whose bridges share one list: what one bridge sends, the others get."""

    def __init__(self) -> None:
        self.bridges: list[Bridge] = []
        self.log: list[tuple[str, Any]] = []

    def bridge(self, backplane: Backplane) -> "Bridge":
        b = Bridge(backplane, self)
        self.bridges.append(b)
        return b


class Bridge(Component):
    Inboxes = {"inbox": "published here", "control": "the end", "remote": "from the others"}

    def __init__(self, backplane: Backplane, wire: Wire) -> None:
        super().__init__(name="Bridge")
        self.backplane, self.wire = backplane, wire
        self.ended_at: int | None = None

    def main(self) -> Generator[Any, Any, None]:
        while True:
            for msg in self.recv_all():
                self.wire.log.append(("out", msg))
                for other in self.wire.bridges:
                    if other is not self:
                        other.inboxes["remote"].put(msg)
            for msg in self.recv_all("remote"):
                if self.backplane.subscribers:
                    self.send(msg)
                else:
                    self.backplane.unheard += 1
            if self.recv_all("control"):
                for _ in range(3):  # (a flush that takes a few turns)
                    yield
                self.wire.log.append(("bridge ended", None))
                break
            self.pause()
            yield
        self.send(ProducerFinished(), "signal")


class Here(Component):
    """Keeps what it gets; notes in the wire's log when the backplane's end reaches it."""

    def __init__(self, wire: Wire) -> None:
        super().__init__(name="Here")
        self.wire = wire
        self.items: list[Any] = []

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            self.items.extend(self.recv_all())
            self.pause()
            yield
        self.wire.log.append(("subscriber ended", None))


def test_what_is_published_here_goes_to_the_bridge_and_to_local_subscribers() -> None:
    wire = Wire()
    here = Here(wire)
    bp = Backplane("t", transport=wire)
    run(bp, Pipeline(SubscribeTo("t"), here),
        Pipeline(Count(5), PublishTo("t", end_backplane=True)), timeout=10)
    assert here.items == [0, 1, 2, 3, 4]  # in-process, straight through
    assert [m for k, m in wire.log if k == "out"] == [0, 1, 2, 3, 4]
    # the backplane ended its subscribers only after its bridge had ended (so what was
    # published went out first)
    assert wire.log[-2:] == [("bridge ended", None), ("subscriber ended", None)]


def test_what_others_publish_reaches_the_subscribers_here_only() -> None:
    wire = Wire()
    a_sub, b_sub = Collect("a"), Collect("b")
    bp_a, bp_b = Backplane("t", transport=wire), Backplane("t", transport=wire)

    class Steer(Component):
        """Publishes on A, then ends both backplanes."""

        def main(self) -> Generator[Any, Any, None]:
            for i in range(3):
                bp_a.inboxes["inbox"].put(i)
                yield
            yield asyncio.sleep(0.02)  # (the other "process" gets its turns)
            bp_a.inboxes["control"].put(ProducerFinished())
            bp_b.inboxes["control"].put(ProducerFinished())

    # (two backplanes of one name: each in its own scheduler, as in two processes)
    async def main() -> None:
        s1, s2 = Scheduler(), Scheduler()
        s1.activate(bp_a)
        s1.activate(Pipeline(SubscribeTo("t"), a_sub))
        s2.activate(bp_b)
        s2.activate(Pipeline(SubscribeTo("t"), b_sub))
        s1.activate(Steer())
        with s2.keep_alive():  # (woken from the other scheduler)
            await asyncio.gather(s1.run_async(timeout=10), s2.run_async(timeout=10))

    asyncio.run(main())
    assert a_sub.items == [0, 1, 2] and b_sub.items == [0, 1, 2]  # no echo back to A


def test_with_nobody_subscribed_what_others_publish_is_counted_unheard() -> None:
    wire = Wire()
    bp = Backplane("t", transport=wire)
    other = Backplane("t", transport=wire)

    class Steer(Component):
        def main(self) -> Generator[Any, Any, None]:
            yield
            other.inboxes["inbox"].put("x")
            yield asyncio.sleep(0.02)  # (the other "process" gets its turns)
            assert snapshot(bp).components[0].details["unheard"] == 1
            bp.inboxes["control"].put(ProducerFinished())
            other.inboxes["control"].put(ProducerFinished())

    async def main() -> None:
        s1, s2 = Scheduler(), Scheduler()
        s1.activate(bp)
        s1.activate(Steer())
        s2.activate(other)
        with s2.keep_alive():  # (woken from the other scheduler)
            await asyncio.gather(s1.run_async(timeout=10), s2.run_async(timeout=10))

    asyncio.run(main())
    assert bp.unheard == 1
