"""Timer-driven components on a FakeClock: instant, deterministic, no busy waiting."""

from __future__ import annotations

from collections import deque

import pytest

from axon import Deadlock, Pipeline, ProducerFinished, Shutdown, run
from components import (
    Batch,
    Collector,
    Delay,
    IterableSource,
    Periodic,
    RateLimiter,
    Timed,
)
from components.testing import FakeClock, Harness, run_component

PF = ProducerFinished()


def test_delay_sends_each_message_its_delay_after_arrival():
    clock = FakeClock()
    with Harness(Delay(1.0, clock=clock), clock=clock) as h:
        h.feed("inbox", "a")
        h.run_until_idle()
        h.advance(0.5)
        h.feed("inbox", "b")
        h.run_until_idle()
        assert h.take() == []
        h.advance(0.5)
        assert h.take() == ["a"]
        h.advance(0.5)
        assert h.take() == ["b"]


def test_delay_holds_producer_finished_until_the_last_delayed_message_is_out():
    clock = FakeClock()
    with Harness(Delay(2.0, clock=clock), clock=clock) as h:
        h.feed("inbox", 1)
        h.feed("control", PF)
        h.run_until_idle()
        assert h.outputs["signal"] == [] and not h.finished
        h.advance(2.0)
        assert h.outputs["outbox"] == [1] and h.outputs["signal"] == [PF]


def test_an_idle_delay_sets_no_timer_and_does_not_spin():
    clock = FakeClock()
    with Harness(Delay(1.0, clock=clock), clock=clock) as h:
        h.run_until_idle()
        before = h.scheduler.statistics().timeslices
        h.run_until_idle()
        assert h.scheduler.statistics().timeslices == before
        assert clock.next_deadline() is None


def test_rate_limiter_spaces_messages_at_its_rate():
    clock = FakeClock()
    with Harness(RateLimiter(2, clock=clock), clock=clock) as h:  # one per 0.5 s
        h.feed("inbox", *range(4))
        h.run_until_idle()
        assert h.take() == [0]
        h.advance(0.5)
        assert h.take() == [1]
        h.advance(0.25)
        assert h.take() == []
        h.advance(0.25)
        assert h.take() == [2]


def test_rate_limiter_allows_a_burst_after_a_quiet_spell():
    clock = FakeClock()
    with Harness(RateLimiter(1, burst=3, clock=clock), clock=clock) as h:
        h.advance(10)
        h.feed("inbox", *range(5))
        h.run_until_idle()
        assert h.take() == [0, 1, 2]
        h.advance(1)
        assert h.take() == [3]


def test_rate_limiter_shutdown_drops_the_queue_at_once():
    clock = FakeClock()
    with Harness(RateLimiter(1, clock=clock), clock=clock) as h:
        h.feed("inbox", *range(100))
        h.run_until_idle()
        h.feed("control", Shutdown())
        h.run_until_idle()
        assert h.finished and h.outputs["outbox"] == [0]
        assert clock.next_deadline() is None  # its timer was cancelled


def test_periodic_ticks_without_drift_and_stops_after_count():
    clock = FakeClock()
    out = run_component(Periodic(0.25, count=4, clock=clock), clock=clock)
    assert out["outbox"] == [0, 1, 2, 3] and out["signal"] == [PF]
    assert clock.now() == 1.0


def test_periodic_sends_one_late_tick_not_a_burst():
    clock = FakeClock()
    with Harness(Periodic(1.0, clock=clock), clock=clock) as h:
        h.run_until_idle()
        clock.advance(5.5)  # as if the system had stalled (timers fire late, in order)
        h.run_until_idle()
        assert h.take() == [0]
        h.advance(1.0)
        assert h.take() == [1]


def test_batch_by_time_sends_what_arrived_within_the_interval():
    clock = FakeClock()
    with Harness(Batch(interval=1.0, clock=clock), clock=clock) as h:
        h.feed("inbox", 1, 2)
        h.run_until_idle()
        h.advance(0.9)
        h.feed("inbox", 3)
        h.run_until_idle()
        assert h.take() == []
        h.advance(0.1)
        assert h.take() == [[1, 2, 3]]
        h.feed("inbox", 4)
        h.feed("control", PF)
        h.run_until_idle()
        assert h.take() == [[4]] and h.finished


def test_batch_by_count_or_time_whichever_first():
    clock = FakeClock()
    out = run_component(Batch(2, interval=5.0, clock=clock), clock=clock,
                        inbox=[1, 2, 3], control=[PF])
    assert out["outbox"] == [[1, 2], [3]]


class Echo(Timed):
    """The example in Timed's docstring: each message again, a second after it came."""

    def start(self):
        self.due = deque()

    def step(self, alarm, now, end):
        self.due.extend((now + 1, m) for m in self.recv_all())
        while self.due and self.due[0][0] <= now:
            self.send(self.due.popleft()[1])
        if self.due:
            alarm.set_at(self.due[0][0])
        return end is not None and not self.due


def test_a_timed_stage_is_a_start_and_a_step():
    clock = FakeClock()
    with Harness(Echo(clock=clock), clock=clock) as h:
        h.feed("inbox", "a")
        h.run_until_idle()
        h.advance(0.5)
        h.feed("inbox", "b")
        h.run_until_idle()
        h.feed("control", ProducerFinished())
        h.advance(0.6)
        assert h.take() == ["a"] and not h.finished  # "a" was due at 1.0, "b" is at 1.5
        h.advance(0.4)
        assert h.take() == ["b"] and h.finished  # then the end goes on
        assert h.outputs["signal"] == [ProducerFinished()]


def test_periodic_told_producer_finished_finishes_its_count_or_ends_if_endless():
    clock = FakeClock()
    out = run_component(Periodic(0.25, count=4, clock=clock), clock=clock, control=[PF])
    assert out["outbox"] == [0, 1, 2, 3] and out["signal"] == [PF]
    out = run_component(Periodic(0.25, clock=clock), clock=clock, control=[PF])
    assert out["outbox"] == [] and out["signal"] == [PF]


def test_a_sender_blocked_for_good_is_a_deadlock_even_beside_a_periodic():
    class NoEnd(IterableSource):
        def main(self):  # sends its items, never an end
            self.send_many(self.iterable)
            yield

    class Stuck(Collector):
        def main(self):  # never reads
            self.wake_on()
            self.pause()
            yield

    stuck = Stuck()
    stuck.set_bound("inbox", 1, "block")
    with pytest.raises(Deadlock, match="nothing can ever wake.*NoEnd \\(blocked\\)"):
        run(Pipeline(NoEnd([1, 2, 3]), stuck), Pipeline(Periodic(0.01), Collector()), timeout=5)
