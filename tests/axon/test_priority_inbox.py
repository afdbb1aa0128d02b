"""Specification of priority inboxes (``BoxSpec(..., key=f)``, ``Inbox.order_by``; box design
note 7): messages are taken lowest key first, in arrival order among equal keys, by every
way of taking them, and bounds keep their policies."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Generator
from operator import itemgetter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axon import (
    RECEIVE, RECEIVE_ONE, BoxFull, BoxSpec, Component, ComponentError, Pipeline, Policy,
    ProducerFinished, Scheduler, State, run, snapshot,
)

from .core_parts import Source

first = itemgetter(0)
MSGS = [(3, "a"), (1, "b"), (2, "c"), (1, "d"), (0, "e"), (3, "f"), (1, "g")]
ORDERED = [(0, "e"), (1, "b"), (1, "d"), (1, "g"), (2, "c"), (3, "a"), (3, "f")]


class Taker(Component):
    """Waits until its source has finished, then takes everything one way, logging it."""

    Inboxes = {"inbox": BoxSpec("jobs, most urgent first", key=first), "control": "end"}

    def __init__(self, how: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.how = how
        self.got: list[Any] = []
        self.ready: list[int] = []

    def main(self) -> Generator[Any, Any, None]:
        while not self.take_end():  # let every message arrive first
            self.pause()
            yield
        self.ready.append(self.data_ready())
        if self.how == "RECEIVE":
            while (batch := (yield RECEIVE)) is not None:
                self.got.extend(batch)
        elif self.how == "RECEIVE_ONE":
            while (msg := (yield RECEIVE_ONE)) is not None:
                self.got.append(msg)
        elif self.how == "recv":
            while self.data_ready():
                self.got.append(self.recv())
                self.ready.append(self.data_ready())
        else:
            self.got.extend(self.recv_all())


@pytest.mark.parametrize("how", ["RECEIVE", "RECEIVE_ONE", "recv", "recv_all"])
def test_messages_are_taken_lowest_key_first_and_in_arrival_order_among_equal_keys(how):
    taker = Taker(how)
    run(Pipeline(Source(MSGS, per_slice=2), taker), timeout=10)
    assert taker.got == ORDERED
    assert taker.ready[0] == len(MSGS)
    if how == "recv":
        assert taker.ready == list(range(len(MSGS), -1, -1))
    stats = taker.inboxes["inbox"].statistics()
    assert stats.keyed and stats.received == len(MSGS) and stats.depth == 0 and stats.dropped == 0


class Interleaved(Component):
    """Takes ``takes[i]`` messages (recv) after the i-th delivery: see the model test."""

    Inboxes = {"inbox": BoxSpec("keyed", key=first), "control": "end"}


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.tuples(st.booleans(), st.integers(0, 4)), max_size=40))
def test_any_mix_of_deliveries_and_takes_matches_a_stable_priority_queue(ops):
    # each op: (True, key) delivers a message with that key; (False, n) takes n % 3 + 1
    comp = Interleaved()
    ib = comp.inboxes["inbox"]
    model: list[tuple[int, int, Any]] = []
    seq = itertools.count()
    for put, n in ops:
        if put:
            msg = (n, next(seq))
            ib.put(msg)
            heapq.heappush(model, (n, msg[1], msg))
        else:
            for _ in range(min(n % 3 + 1, len(model))):
                assert comp.recv() == heapq.heappop(model)[2]
    assert list(ib.queue) == [m for _, _, m in sorted(model)]


def test_put_back_returns_messages_before_the_waiting_ones_of_an_equal_key():
    comp = Interleaved()
    ib = comp.inboxes["inbox"]
    for m in [(1, "a"), (1, "b"), (2, "c"), (1, "d")]:
        ib.put(m)
    taken = [comp.recv(), comp.recv()]
    assert taken == [(1, "a"), (1, "b")]
    ib.put((0, "z"))
    comp.put_back(taken)
    assert ib.received == 0 and comp.data_ready() == 5  # (taken back is not taken)
    assert comp.recv_all() == [(0, "z"), (1, "a"), (1, "b"), (1, "d"), (2, "c")]


def test_order_by_sorts_what_waits_and_order_by_none_returns_to_arrival_order():
    comp = Component()
    ib = comp.inboxes["inbox"]
    for m in [(2, "a"), (1, "b"), (2, "c"), (0, "d")]:
        ib.put(m)
    assert ib.plain and not ib.statistics().keyed
    ib.order_by(first)
    assert list(ib.queue) == [(0, "d"), (1, "b"), (2, "a"), (2, "c")]
    assert not ib.plain and ib.statistics().keyed
    ib.put((1, "e"))
    assert list(ib.queue)[2] == (1, "e")
    ib.order_by(None)
    ib.put((0, "f"))
    assert list(ib.queue)[-1] == (0, "f") and ib.plain
    with pytest.raises(TypeError, match="key must be a function"):
        ib.order_by(3)  # type: ignore[arg-type]


def test_a_send_to_a_linked_priority_inbox_mid_run_keeps_the_order_also_through_send_many():
    got: list[Any] = []

    class Sender(Component):
        def main(self) -> Generator[Any, Any, None]:
            self.send_many([(2, "a"), (0, "b"), (1, "c")])
            self.send((0, "d"))
            yield
            self.send(ProducerFinished(), "signal")

    class Reader(Component):
        Inboxes = {"inbox": BoxSpec("keyed", key=first), "control": "end"}

        def main(self) -> Generator[Any, Any, None]:
            while (batch := (yield RECEIVE)) is not None:
                got.append(batch)

    # through a composition's passthrough inbox, to show the collapsed push sorts too
    inner = Pipeline(Reader())
    run(Pipeline(Sender(), inner), timeout=10)
    assert got == [[(0, "b"), (0, "d"), (1, "c"), (2, "a")]]


def test_a_paused_owner_is_woken_by_a_keyed_delivery_and_takes_the_most_urgent_first():
    log: list[Any] = []

    class Reader(Component):
        Inboxes = {"inbox": BoxSpec("keyed", key=first), "control": "end"}

        def main(self) -> Generator[Any, Any, None]:
            while not self.finished():
                if self.data_ready():
                    log.append(self.recv())
                else:
                    self.pause()
                yield

    class Feeder(Component):
        def main(self) -> Generator[Any, Any, None]:
            for batch in ([(5, "x")], [(3, "y"), (1, "z")]):
                for _ in range(3):  # let the reader fall asleep
                    yield
                assert reader.state is State.PAUSED
                for m in batch:
                    self.send(m)
            self.send(ProducerFinished(), "signal")

    reader = Reader()
    run(Pipeline(Feeder(), reader), timeout=10)
    assert log == [(5, "x"), (1, "z"), (3, "y")]


# -- bounded priority inboxes: each policy ---------------------------------------------------


class Burst(Component):
    """Sends every message in one timeslice, then the end (after a turn)."""

    def __init__(self, msgs: list[Any]) -> None:
        super().__init__()
        self.msgs = msgs
        self.sent = 0

    def main(self) -> Generator[Any, Any, None]:
        for m in self.msgs:
            self.send(m)
            self.sent += 1
        yield
        self.send(ProducerFinished(), "signal")


class Slow(Component):
    """Takes one batch per timeslice, after ``wait`` timeslices of doing nothing."""

    def __init__(self, spec: BoxSpec, wait: int = 3) -> None:
        super().__init__()
        self.add_inbox("jobs", spec.description, spec.size, spec.policy, spec.key)
        self.wait = wait
        self.batches: list[list[Any]] = []

    def main(self) -> Generator[Any, Any, None]:
        for _ in range(self.wait):
            yield
        while not self.finished("jobs"):
            batch = self.recv_all("jobs")
            if batch:
                self.batches.append(batch)
            else:
                self.pause()
            yield


def _wire(spec: BoxSpec, msgs: list[Any], wait: int = 3) -> tuple[Burst, Slow, Pipeline]:
    src, dst = Burst(msgs), Slow(spec, wait)
    pipe = Pipeline(src, dst)
    pipe.unlink((src, "outbox"), (dst, "inbox"))
    pipe.link((src, "outbox"), (dst, "jobs"))
    return src, dst, pipe


def test_a_bounded_block_priority_inbox_holds_the_sender_and_loses_nothing():
    msgs = [(k % 3, i) for i, k in enumerate([2, 0, 1, 2, 0, 1, 0, 2, 1, 0])]
    src, dst, pipe = _wire(BoxSpec("jobs", 3, "block", key=first), msgs)
    states: list[State] = []

    class Watch(Component):
        def main(self) -> Generator[Any, Any, None]:
            for _ in range(20):
                states.append(src.state)
                yield

    run(pipe, Watch(), timeout=10)
    assert State.BLOCKED in states
    flat = [m for b in dst.batches for m in b]
    assert sorted(flat) == sorted(msgs)  # nothing lost
    assert all(len(b) <= 3 for b in dst.batches)
    for b in dst.batches:  # each batch in key order, arrival order among equal keys
        assert b == sorted(b, key=first)
    assert dst.batches[0] == sorted(msgs[:3], key=first)  # the first three, sorted
    assert dst.inboxes["jobs"].statistics().dropped == 0


def test_a_bounded_error_priority_inbox_raises_box_full_in_the_sender():
    src, _, pipe = _wire(BoxSpec("jobs", 2, "error", key=first), [(1, "a"), (0, "b"), (2, "c")])
    with pytest.raises(ComponentError, match=r"Pipeline\[0\]:Burst.*BoxFull|is full") as info:
        run(pipe, timeout=10)
    assert isinstance(info.value.__cause__, BoxFull)
    assert src.sent == 2


def test_drop_last_in_a_priority_inbox_drops_the_highest_keys_and_counts_them():
    msgs = [(5, "a"), (1, "b"), (3, "c"), (0, "d"), (5, "e"), (2, "f"), (1, "g")]
    _, dst, pipe = _wire(BoxSpec("jobs", 3, "drop_last", key=first), msgs)
    sched = Scheduler()
    sched.activate(pipe)
    sched.run(timeout=10)
    assert dst.batches == [[(0, "d"), (1, "b"), (1, "g")]]  # the three most urgent
    stats = dst.inboxes["jobs"].statistics()
    assert stats.dropped == 4 and stats.policy == "drop_last" and stats.keyed


def test_drop_last_keeps_arrival_order_among_equal_keys_dropping_the_newest():
    _, dst, pipe = _wire(BoxSpec("jobs", 2, "drop_last", key=first), [(1, "a"), (1, "b"), (1, "c")])
    run(pipe, timeout=10)
    assert dst.batches == [[(1, "a"), (1, "b")]]
    assert dst.inboxes["jobs"].statistics().dropped == 1


def test_drop_last_in_a_fifo_inbox_refuses_the_arriving_message_and_counts_it():
    _, dst, pipe = _wire(BoxSpec("jobs", 2, Policy.DROP_LAST), ["a", "b", "c", "d"])
    run(pipe, timeout=10)
    assert dst.batches == [["a", "b"]] and dst.inboxes["jobs"].statistics().dropped == 2


def test_keep_latest_in_a_priority_inbox_keeps_only_the_newest():
    _, dst, pipe = _wire(BoxSpec("jobs", 1, "keep_latest", key=first), [(0, "a"), (9, "b")])
    run(pipe, timeout=10)
    assert dst.batches == [[(9, "b")]] and dst.inboxes["jobs"].statistics().dropped == 1


def test_drop_oldest_is_refused_for_a_priority_inbox_with_the_reason():
    comp = Component()
    with pytest.raises(ValueError, match="would drop the most urgent message"):
        comp.add_inbox("jobs", "keyed", 3, "drop_oldest", key=first)
    ib = comp.add_inbox("jobs2", "bounded", 3, "drop_oldest")
    with pytest.raises(ValueError, match="drop_last"):
        ib.order_by(first)
    keyed = comp.add_inbox("jobs3", "keyed", 3, "block", key=first)
    with pytest.raises(ValueError, match="drop_oldest"):
        keyed.set_bound(3, "drop_oldest")


def test_drops_of_a_priority_inbox_show_in_a_snapshot():
    _, dst, pipe = _wire(BoxSpec("jobs", 1, "drop_last", key=first), [(1, "a"), (0, "b"), (2, "c")],
                         wait=50)
    sched = Scheduler()
    sched.activate(pipe)

    class Look(Component):
        def main(self) -> Generator[Any, Any, None]:
            for _ in range(5):
                yield
            info = next(c for c in snapshot(pipe).components if c.name == "Slow")
            box = next(b for b in info.inboxes if b.name == "jobs")
            seen.append((box.stats.keyed, box.stats.depth, box.stats.dropped, info.dropped,
                         list(dst.inboxes["jobs"].queue)))

    seen: list[Any] = []
    sched.activate(Look())
    sched.run(timeout=10)
    assert seen == [(True, 1, 2, 2, [(0, "b")])]
    assert dst.batches == [[(0, "b")]]


def test_a_key_that_fails_is_an_error_of_the_sender_naming_it():
    _, _, pipe = _wire(BoxSpec("jobs", None, key=lambda m: m["prio"]), [{"prio": 1}, {"oops": 2}])
    with pytest.raises(ComponentError, match=r"Burst") as info:
        run(pipe, timeout=10)
    assert isinstance(info.value.__cause__, KeyError)


def test_a_threaded_component_cannot_have_a_priority_inbox() -> None:
    from axon import BoxSpec, ThreadedComponent

    class Worker(ThreadedComponent):
        Inboxes = {"inbox": BoxSpec("work", key=lambda m: m), "control": "stop"}

        def run(self) -> None:  # pragma: no cover - never started
            pass

    with pytest.raises(TypeError, match="ThreadedComponent cannot have a priority inbox"):
        Worker().inboxes["inbox"]

    class Plain(ThreadedComponent):
        def run(self) -> None:  # pragma: no cover - never started
            pass

    with pytest.raises(TypeError, match="ThreadedComponent cannot have a priority inbox"):
        Plain().inboxes["inbox"].order_by(lambda m: m)
