"""TimeToLive: a component or sub-system shut down after a time, all it produced passed on."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import Component, ComponentError, Pipeline, ProducerFinished, Shutdown, run
from components import Map, Periodic, TimeToLive
from components.testing import FakeClock, Harness, run_component


def test_when_the_time_is_up_the_component_is_shut_down_and_its_output_passed_on():
    clock = FakeClock()
    ttl = TimeToLive(Periodic(1.0, clock=clock), 3.5, clock=clock)
    with Harness(ttl, clock=clock) as h:
        h.run_until_idle()  # started at 0
        for _ in range(3):
            h.advance(1.0)
        h.advance(0.4)
        assert h.take() == [0, 1, 2] and not h.finished  # not a moment early
        h.advance(0.1)
        assert h.finished and ttl.expired and not ttl.stopped
        (end,) = h.outputs["signal"]
    # downstream is told the stream ended, so it still processes what came before
    assert isinstance(end, ProducerFinished) and "time to live of 3.5 s" in end.reason
    assert ttl.component.done


def test_a_component_that_ends_in_time_passes_its_own_end_and_leaves_no_timer():
    clock = FakeClock()
    ttl = TimeToLive(Periodic(1.0, count=2, clock=clock), 60.0, clock=clock)
    out = run_component(ttl, clock=clock)
    assert out["outbox"] == [0, 1] and out["signal"] == [ProducerFinished()]
    assert not ttl.expired and clock.next_deadline() is None


def test_a_sub_system_is_shut_down_as_a_whole():
    clock = FakeClock()
    system = Pipeline(Periodic(1.0, clock=clock), Map(lambda n: n * 10))
    ttl = TimeToLive(system, 2.5, clock=clock)
    out = run_component(ttl, clock=clock)
    assert out["outbox"] == [0, 10]
    assert all(c.done for c in system.children)
    assert isinstance(out["signal"][0], ProducerFinished)


class Stubborn(Component):
    """Ignores its control altogether; records that its finally block ran."""

    cleaned = False

    def __init__(self) -> None:
        super().__init__()
        self.wake_on("control")  # what waits in its inbox, unread, must not keep it busy

    def main(self) -> Generator[None, Any, None]:
        try:
            while True:
                self.recv_all("control")  # read, and ignored
                self.send("tick")
                self.pause()
                yield
        finally:
            self.cleaned = True


def test_a_component_ignoring_shutdown_is_stopped_after_the_grace():
    clock = FakeClock()
    stubborn = Stubborn()
    ttl = TimeToLive(stubborn, 1.0, grace=0.5, clock=clock)
    with Harness(ttl, clock=clock) as h:
        h.feed("inbox", "x")  # (it never reads it)
        h.advance(1.0)  # Shutdown sent; ignored
        assert not h.finished and ttl.expired
        h.advance(0.4)
        assert not h.finished
        h.advance(0.1)  # the grace is over
        assert h.finished and ttl.stopped and stubborn.cleaned
        assert isinstance(h.outputs["signal"][0], ProducerFinished)
        assert "tick" in h.outputs["outbox"]
    assert stubborn.inboxes["inbox"].statistics().closed  # later sends are counted, not kept


def test_shutdown_on_its_control_reaches_the_component_and_is_passed_on_as_is():
    clock = FakeClock()
    ttl = TimeToLive(Periodic(1.0, clock=clock), 60.0, clock=clock)
    with Harness(ttl, clock=clock) as h:
        h.run_until_idle()
        h.advance(1.0)
        h.advance(1.0)
        h.feed("control", Shutdown("stop"))
        assert h.finished and not ttl.expired
        assert h.outputs["outbox"] == [0, 1] and h.outputs["signal"] == [Shutdown("stop")]


def test_an_error_in_the_component_names_it_by_its_place():
    with pytest.raises(ComponentError, match=r"TimeToLive\[0\]:Map raised ZeroDivisionError"):
        run(Pipeline(_Numbers([1, 0]), TimeToLive(Map(lambda n: 1 // n), 10.0)), timeout=10)


class _Numbers(Component):
    def __init__(self, items: list[int]) -> None:
        super().__init__()
        self.items = items

    def main(self) -> Generator[None, Any, None]:
        for n in self.items:
            self.send(n)
            yield
        self.send(ProducerFinished(), "signal")


def test_real_time_a_sleeping_system_is_cut_short_on_time():
    import time

    ttl = TimeToLive(Periodic(0.01), 0.2)
    start = time.perf_counter()
    out = run_component(ttl)
    took = time.perf_counter() - start
    assert 0.19 <= took < 2.0
    assert 5 <= len(out["outbox"]) <= 21 and out["outbox"] == list(range(len(out["outbox"])))
