"""The public test helpers: feed, run_component, Harness, FakeClock."""

from __future__ import annotations

import asyncio
import time

import pytest

from axon import Component, ComponentError, Deadlock, ProducerFinished
from components import Delay, Map
from components.testing import FakeClock, Harness, feed, run_component


def test_feed_then_run_component_collects_every_outbox():
    m = feed(Map(str.upper), inbox=["a"], control=[ProducerFinished()])
    assert run_component(m) == {"outbox": ["A"], "signal": [ProducerFinished()], "error": []}


def test_run_component_raises_the_components_error():
    with pytest.raises(ComponentError, match="Map raised ZeroDivisionError"):
        run_component(Map(lambda n: 1 // n), inbox=[0], control=[ProducerFinished()])


def test_run_component_reports_a_component_that_would_wait_for_ever():
    with pytest.raises(Deadlock):
        run_component(Map(str), inbox=["no end of stream"])


def test_harness_steps_and_takes():
    with Harness(Map(lambda n: n * 2)) as h:
        h.feed("inbox", 1, 2)
        h.run_until_idle()
        assert h.take() == [2, 4] and h.take() == []
        h.feed("control", ProducerFinished())
        h.run_until_idle()
        assert h.finished


def test_fake_clock_fires_timers_in_order_each_at_its_own_time():
    clock = FakeClock(start=10.0)
    seen = []
    clock.call_later(2, lambda: seen.append(("b", clock.now())))
    clock.call_later(1, lambda: seen.append(("a", clock.now())))
    clock.call_later(1, lambda: seen.append(("a2", clock.now())))
    clock.call_later(5, lambda: seen.append(("late", clock.now()))).cancel()
    clock.advance(3)
    assert seen == [("a", 11.0), ("a2", 11.0), ("b", 12.0)] and clock.now() == 13.0
    assert clock.next_deadline() is None


class Sleeper(Component):
    """Waits on a real asyncio timer, then says so."""

    def main(self):
        yield asyncio.sleep(1.0)
        self.send("woke")


def test_the_harness_waits_for_real_io_without_polling():
    with Harness(Sleeper()) as h:
        cpu0 = time.process_time()
        h.run_until_idle()  # the component is waiting on a real timer: not idle until it fires
        used = time.process_time() - cpu0
        assert h.take() == ["woke"]
    assert used < 0.02, f"{used * 1000:.1f} ms of CPU while waiting 1 s"


def test_harness_feed_runs_the_component_so_time_moves_from_the_moment_it_took_them():
    clock = FakeClock()
    with Harness(Delay(0.5, clock=clock), clock=clock) as h:
        h.feed("inbox", "x")
        h.advance(0.5)
        assert h.take() == ["x"]
