"""Handle: a system run in a background thread, driven from plain blocking code."""

from __future__ import annotations

import threading

import pytest

from axon import AxonError, ComponentError, Handle, Pipeline
from tests.axon.parts import Echo, Fail, Forever, Map


def test_put_and_get_round_trip_in_order() -> None:
    with Handle(Map(lambda x: x * 2)) as h:
        for i in range(1000):
            h.put(i)
        assert [h.get(timeout=10) for _ in range(1000)] == [2 * i for i in range(1000)]


def test_ping_pong_one_message_at_a_time() -> None:
    with Handle(Pipeline(Echo(), Echo())) as h:
        for i in range(50):
            h.put(i)
            assert h.get(timeout=10) == i


def test_close_ends_the_input_and_what_was_sent_stays_available() -> None:
    h = Handle(Echo())
    h.put_many(range(5))
    h.close()
    assert [h.get(timeout=10) for _ in range(5)] == [0, 1, 2, 3, 4]
    assert h.get(timeout=10, box="signal").__class__.__name__ == "ProducerFinished"
    with pytest.raises(EOFError):
        h.get(timeout=10)
    assert not h.running


def test_get_times_out_when_nothing_comes() -> None:
    with Handle(Echo()) as h:
        with pytest.raises(TimeoutError):
            h.get(timeout=0.01)


def test_a_failure_in_the_system_is_raised_in_the_callers_thread() -> None:
    h = Handle(Fail(at=1))
    h.put(1)
    with pytest.raises(ComponentError, match="Fail raised ValueError"):
        h.get(timeout=10)
    with pytest.raises(ComponentError):
        h.close()


def test_puts_from_several_threads_all_arrive() -> None:
    with Handle(Echo()) as h:
        def producer(base: int) -> None:
            for i in range(200):
                h.put(base + i)

        threads = [threading.Thread(target=producer, args=(k * 1000,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        got = sorted(h.get(timeout=10) for _ in range(800))
    assert got == sorted(k * 1000 + i for k in range(4) for i in range(200))


def test_bad_box_names_are_clear_errors() -> None:
    with Handle(Echo()) as h:
        with pytest.raises(AxonError, match="no inbox 'nope'"):
            h.put(1, box="nope")
        with pytest.raises(AxonError, match="no outbox 'nope'"):
            h.get(box="nope")


def test_a_system_that_ignores_the_end_is_shut_down_on_close_timeout() -> None:
    class Deaf(Forever):
        def main(self):  # type: ignore[override]
            with self.keep_alive():
                while True:
                    self.recv_all("control")
                    self.pause()
                    yield

    h = Handle(Deaf())
    with pytest.raises(TimeoutError):
        h.close(timeout=0.05)
    assert not h.running
