"""Specification of ThreadedComponent: blocking code in a thread behind the same boxes."""

from __future__ import annotations

import threading
import time

import pytest

from axon import Component, ComponentError, Pipeline, ProducerFinished, ThreadedComponent, run

from .core_parts import Collect, Source


class Upper(ThreadedComponent):
    """Upper-cases strings with blocking code, in its own thread."""

    def main(self) -> None:
        self.thread_name = threading.current_thread().name
        while not self.finished():
            for msg in self.recv_all():
                self.send(msg.upper())
            self.wait()
        self.send(self.end_message, "signal")


def test_a_threaded_component_runs_in_its_own_thread_behind_the_same_boxes():
    up, sink = Upper(), Collect()
    run(Pipeline(Source(["a", "b", "c"]), up, sink), timeout=10)
    assert sink.items == ["A", "B", "C"]
    assert up.thread_name == "Pipeline[1]:Upper"
    assert up.thread_name != threading.current_thread().name


def test_everything_sent_before_the_thread_ends_is_delivered_in_order():
    class Burst(ThreadedComponent):
        def main(self) -> None:
            for i in range(5000):
                self.send(i)
            self.send(self.end_message or __import__("axon").ProducerFinished(), "signal")

    sink = Collect()
    run(Pipeline(Burst(queue_size=10), sink), timeout=20)
    assert sink.items == list(range(5000))


def test_the_outgoing_queue_is_bounded_so_a_fast_thread_waits():
    seen_full: list[bool] = []

    class Fast(ThreadedComponent):
        def main(self) -> None:
            for i in range(200):
                self.send(i)
                seen_full.append(self._axon_outq.full())
            from axon import ProducerFinished

            self.send(ProducerFinished(), "signal")

    sink = Collect()
    run(Pipeline(Fast(queue_size=5), sink), timeout=20)
    assert sink.items == list(range(200))
    assert any(seen_full)  # the thread got ahead, found the queue full and waited


def test_an_exception_in_the_thread_propagates_with_the_components_name():
    class Fails(ThreadedComponent):
        def main(self) -> None:
            raise ZeroDivisionError("in thread")

    with pytest.raises(ComponentError, match="Pipeline\\[0\\]:Fails raised ZeroDivisionError"):
        run(Pipeline(Fails(), Collect()), timeout=10)


def test_a_blocked_thread_is_stopped_cleanly_when_the_system_shuts_down():
    stopped = threading.Event()

    class Waits(ThreadedComponent):
        def main(self) -> None:
            try:
                self.wait()  # nothing ever comes
            finally:
                stopped.set()

    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        run(Waits(), timeout=0.2)
    assert stopped.wait(5)
    assert time.monotonic() - t0 < 5


def test_wait_with_a_timeout_returns_false_when_nothing_came():
    results: list[bool] = []

    class Patient(ThreadedComponent):
        def main(self) -> None:
            results.append(self.wait(timeout=0.05))

    run(Patient(), timeout=10)
    assert results == [False]


def test_a_bounded_inbox_in_front_of_a_thread_applies_backpressure():
    class Slow(ThreadedComponent):
        def main(self) -> None:
            self.deepest = 0
            while not self.finished():
                self.deepest = max(self.deepest, self.data_ready())
                if self.data_ready():
                    self.send(self.recv())
                    time.sleep(0.0005)
                else:
                    self.wait()
            self.send(self.end_message, "signal")

    slow, sink = Slow(), Collect()
    slow.set_bound("inbox", 3, "block")
    run(Pipeline(Source(range(300), per_slice=100), slow, sink), timeout=30)
    assert sink.items == list(range(300))
    assert slow.deepest <= 3


def test_a_send_held_for_a_full_threaded_inbox_is_not_overtaken_when_the_thread_makes_room():
    took = threading.Event()

    class Taker(ThreadedComponent):
        """Takes one message at a time (as soon as there is one), in its thread."""

        def main(self) -> None:
            self.items: list[int] = []
            while not self.finished():
                if self.data_ready():
                    self.items.append(self.recv())
                    took.set()
                else:
                    self.wait(timeout=0.005)

    class Pusher(Component):
        def main(self):
            yield  # the taker's thread starts meanwhile
            out = self.outboxes["outbox"]
            out.push(0)
            out.push(1)  # the inbox (2) is full now
            out.push(2)  # held
            assert took.wait(5)  # meanwhile the thread took 0: there is room again
            out.push(3)  # must wait behind 2
            self.send_many([4, 5])
            yield
            self.send(ProducerFinished(), "signal")

    taker = Taker()
    taker.set_bound("inbox", 2, "block")
    run(Pipeline(Pusher(), taker), timeout=10)
    assert taker.items == [0, 1, 2, 3, 4, 5]
