"""Pipeline: a line of components, passing data and the end of the stream down the line."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import (
    RECEIVE, Component, ComponentError, Pipeline, ProducerFinished, ReaderGone, Shutdown, run,
)
from tests.axon.parts import Collect, Count, Echo, Fail, Map


def test_messages_pass_down_the_line_in_order() -> None:
    c = Collect()
    run(Pipeline(Count(100, per_slice=7), Map(lambda x: x * 2), Echo(), c), timeout=10)
    assert c.items == [2 * i for i in range(100)]


def test_the_end_of_stream_reaches_the_last_component_after_all_data() -> None:
    log: list[object] = []
    c = Collect(log=log)
    run(Pipeline(Count(50, per_slice=50), Echo(), Echo(), c), timeout=10)
    assert len(log) == 50
    assert isinstance(c.end, ProducerFinished)


def test_pipelines_nest_ten_deep_with_nothing_lost() -> None:
    inner = Pipeline(Echo())
    for _ in range(9):
        inner = Pipeline(Echo(), inner)
    c = Collect()
    run(Pipeline(Count(200, per_slice=13), inner, c), timeout=10)
    assert c.items == list(range(200))
    assert isinstance(c.end, ProducerFinished)


def test_the_pipelines_own_boxes_pass_through_to_first_and_from_last() -> None:
    first, last = Echo(name="first"), Echo(name="last")
    p = Pipeline(first, last)
    c = Collect()
    run(Pipeline(Count(3), p, c), timeout=10)
    assert c.items == [0, 1, 2]
    assert first.inboxes["inbox"].received == 3
    assert last.inboxes["inbox"].received == 3


def test_a_pipeline_finishes_when_all_its_children_have() -> None:
    p = Pipeline(Count(3), Echo(), Collect())
    run(p, timeout=10)
    assert p.done and all(c.done for c in p.children)


def test_shutdown_passes_down_the_line() -> None:
    c = Collect()
    p = Pipeline(Echo(), Echo(), c)
    p.inboxes["control"].put(Shutdown("stop"))
    run(p, timeout=10)
    assert c.end == Shutdown("stop")


def test_an_error_names_the_failing_child_by_its_place() -> None:
    with pytest.raises(ComponentError) as info:
        run(Pipeline(Count(5), Pipeline(Echo(), Fail(at=3, name="Parser")), Collect()), timeout=10)
    assert "Pipeline[1]:Pipeline[1]:Parser" in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)


def test_an_empty_pipeline_is_refused() -> None:
    with pytest.raises(ValueError):
        Pipeline()


# -- circular=True: the last component feeds the first ------------------------------------------


class Hop(Component):
    """Adds 1 to each number and passes it on; logs (name, number) as it goes."""

    def __init__(self, log: list[Any], name: str) -> None:
        super().__init__(name=name)
        self.log = log

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for n in batch:
                self.log.append((self.name, n))
                self.send(n + 1)
        self.send(self.end_message, "signal")


class Until(Hop):
    """A Hop that ends the ring (ProducerFinished on its signal) once a number reaches ``top``."""

    def __init__(self, log: list[Any], name: str, top: int) -> None:
        super().__init__(log, name)
        self.top = top

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for n in batch:
                self.log.append((self.name, n))
                if n >= self.top:
                    self.send(ProducerFinished("done"), "signal")
                    return
                self.send(n + 1)
        self.send(self.end_message, "signal")


def test_circular_the_last_feeds_the_first_until_a_child_ends_the_ring() -> None:
    log: list[Any] = []
    ring = Pipeline(Until(log, "A", top=6), Hop(log, "B"), Hop(log, "C"), circular=True)
    ring.inboxes["inbox"].put(0)  # the first token, from outside
    after = Collect()
    run(Pipeline(ring, after), timeout=10)
    assert log == [("A", 0), ("B", 1), ("C", 2), ("A", 3), ("B", 4), ("C", 5), ("A", 6)]
    assert all(c.done for c in ring.children)
    assert after.items == []  # nothing comes out of a ring's outbox
    assert isinstance(after.end, ProducerFinished)  # its signal: once all have finished


def test_circular_shutdown_stops_an_endless_ring_and_is_passed_on() -> None:
    log: list[Any] = []
    a, b = Hop(log, "A"), Hop(log, "B")
    ring = Pipeline(a, b, circular=True)
    after = Collect()

    class Stop(Component):
        def main(self) -> Generator[None, Any, None]:
            while len(log) < 20:  # the token goes round and round meanwhile
                yield
            ring.inboxes["control"].put(Shutdown("enough"))

    ring.inboxes["inbox"].put(0)
    run(Pipeline(ring, after), Stop(), timeout=10)
    assert a.end_message == Shutdown("enough") and b.end_message == Shutdown("enough")
    assert isinstance(after.end, Shutdown)
    assert [n for _, n in log] == list(range(len(log)))  # one token, nothing lost on the way


def test_circular_an_end_from_a_middle_child_goes_round_to_the_first() -> None:
    log: list[Any] = []
    a = Hop(log, "A")
    ring = Pipeline(a, Until(log, "B", top=4), Hop(log, "C"), circular=True)
    ring.inboxes["inbox"].put(0)
    run(ring, timeout=10)
    assert log == [("A", 0), ("B", 1), ("C", 2), ("A", 3), ("B", 4)]
    # B's end goes on through C (its signal feeds A's control); A, whose only reader B
    # was, has been told already (ReaderGone): the ring ends, nothing waits for ever
    assert a.done and isinstance(a.end_message, ReaderGone)


class Countdown(Hop):
    """Passes n - 1 on while n > 0: a token that dies out."""

    def main(self) -> Generator[Any, Any, None]:
        while (batch := (yield RECEIVE)) is not None:
            for n in batch:
                self.log.append((self.name, n))
                if n > 0:
                    self.send(n - 1)
        self.send(self.end_message, "signal")


def test_circular_producer_finished_ends_the_ring_once_nothing_goes_round() -> None:
    log: list[Any] = []
    ring = Pipeline(Countdown(log, "A"), Echo(), circular=True)
    ring.inboxes["inbox"].put(3)
    ring.inboxes["control"].put(ProducerFinished())  # with the token still going round
    after = Collect()
    run(Pipeline(ring, after), timeout=10)
    assert log == [("A", 3), ("A", 2), ("A", 1), ("A", 0)]  # every round before the end
    assert isinstance(after.end, ProducerFinished)


def test_circular_what_comes_round_after_the_first_finished_is_counted_not_lost() -> None:
    log: list[Any] = []
    a, b = Until(log, "A", top=5), Hop(log, "B")
    ring = Pipeline(a, b, circular=True)
    ring.inboxes["inbox"].put(0)
    ring.inboxes["inbox"].put(100)  # A ends on this one while token 1 is with B
    run(ring, timeout=10)
    assert log == [("A", 0), ("A", 100), ("B", 1)]
    assert a.inboxes["inbox"].statistics().dropped == 1  # B's 2, sent to a finished A
    assert isinstance(b.end_message, ProducerFinished)  # A's end reached B after its data


def test_circular_an_error_names_the_child_by_its_place_in_the_ring() -> None:
    ring = Pipeline(Echo(), Fail(at=3, name="Parser"), circular=True)
    for n in range(5):
        ring.inboxes["inbox"].put(n)
    with pytest.raises(ComponentError, match=r"Pipeline\[1\]:Parser raised ValueError"):
        run(ring, timeout=10)
