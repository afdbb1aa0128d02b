"""Backplane: named publish/subscribe inside one scheduler."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import (
    RECEIVE, Backplane, BackplaneStatistics, Component, ComponentError, Pipeline, Policy, ProducerFinished, PublishTo,
    Scheduler, ServiceError, Shutdown, SubscribeTo, run,
)
from tests.axon.core_parts import Ticker
from tests.axon.parts import Collect, Count


def test_every_subscriber_gets_every_message_in_order() -> None:
    subs = [Collect(f"s{i}") for i in range(5)]
    run(Pipeline(Count(100, per_slice=7), PublishTo("news", end_backplane=True)),
        *[Pipeline(SubscribeTo("news"), s) for s in subs], Backplane("news"), timeout=10)
    for s in subs:
        assert s.items == list(range(100))
        assert isinstance(s.end, ProducerFinished)


def test_the_backplanes_own_inbox_publishes_and_its_control_ends_it() -> None:
    s = Collect()
    run(Pipeline(Count(5), Backplane("direct")), Pipeline(SubscribeTo("direct"), s), timeout=10)
    assert s.items == [0, 1, 2, 3, 4] and isinstance(s.end, ProducerFinished)


def test_subscribers_join_and_leave_under_traffic() -> None:
    """Late joiners get a gapless run up to the end; leavers a gapless run from the start."""
    late = [Collect(f"late{i}") for i in range(3)]
    early = [Collect(f"early{i}") for i in range(3)]
    early_subs = [SubscribeTo("t") for _ in early]

    class Director(Component):
        def main(self) -> Generator[None, Any, None]:
            for step in range(60):
                if step in (10, 20, 30):
                    i = (step // 10) - 1
                    self.add_child(Pipeline(SubscribeTo("t"), late[i]))
                    early_subs[i].inboxes["control"].put(Shutdown("leave"))
                yield

    bp = Backplane("t")
    run(bp, Pipeline(Count(300), PublishTo("t", end_backplane=True)),
        *[Pipeline(sub, c) for sub, c in zip(early_subs, early)], Director(), timeout=10)
    for c in late:
        assert c.items, c.name
        assert c.items == list(range(c.items[0], 300))
        assert isinstance(c.end, ProducerFinished)
    for c in early:
        assert c.items == list(range(len(c.items)))
        assert 0 < len(c.items) < 300
        assert isinstance(c.end, Shutdown)
    starts = [c.items[0] for c in late]
    assert starts == sorted(starts) and len(set(starts)) == 3
    assert bp.subscribers == []


def test_a_slow_subscriber_does_not_stall_the_others() -> None:
    fast, slow = Collect("fast"), Collect("slow")
    slow.set_bound("inbox", 2, Policy.DROP_OLDEST)

    run(Pipeline(Count(50, per_slice=50), PublishTo("s", end_backplane=True)), Backplane("s"),
        Pipeline(SubscribeTo("s"), fast), Pipeline(SubscribeTo("s"), slow), timeout=10)
    assert fast.items == list(range(50))
    assert slow.items[-2:] == [48, 49]
    assert slow.inboxes["inbox"].dropped == 48


def test_a_blocking_subscriber_holds_the_publisher_and_nothing_is_lost() -> None:
    fast, slow = Collect("fast"), Collect("slow")
    slow.set_bound("inbox", 3, Policy.BLOCK)
    run(Pipeline(Count(40, per_slice=40), PublishTo("b", end_backplane=True)), Backplane("b"),
        Pipeline(SubscribeTo("b"), fast), Pipeline(SubscribeTo("b"), slow), timeout=10)
    assert fast.items == list(range(40)) and slow.items == list(range(40))


def test_messages_published_with_no_subscriber_are_counted_as_unheard() -> None:
    bp = Backplane("empty")
    run(Pipeline(Count(5), PublishTo("empty", end_backplane=True)), bp, timeout=10)
    assert bp.unheard == 5
    assert bp.statistics() == BackplaneStatistics("empty", subscribers=0, unheard=5)


def test_subscribers_started_before_their_backplane_join_it_and_the_registry_holds_only_it(
        ) -> None:
    sched = Scheduler()
    subs = [Collect(f"s{i}") for i in range(3)]
    for s in subs:  # activated before the backplane: they wait for it, not in the registry
        sched.activate(Pipeline(SubscribeTo("late"), s))
    assert dict(sched.services) == {}
    bp = Backplane("late")
    sched.activate(bp)
    assert dict(sched.services) == {"backplane:late": bp}
    assert bp.statistics() == BackplaneStatistics("late", subscribers=3, unheard=0)
    sched.activate(Pipeline(Count(4), PublishTo("late", end_backplane=True)))
    sched.run(timeout=10)
    assert [s.items for s in subs] == [[0, 1, 2, 3]] * 3
    assert dict(sched.services) == {}


def test_the_registry_belongs_to_the_scheduler_not_the_process() -> None:
    a, b = Scheduler(), Scheduler()
    ca, cb = Collect("a"), Collect("b")
    a.activate(Backplane("same"))
    b.activate(Backplane("same"))
    a.activate(Pipeline(Count(3), PublishTo("same", end_backplane=True)))
    b.activate(Pipeline(Count(2, start=10), PublishTo("same", end_backplane=True)))
    a.activate(Pipeline(SubscribeTo("same"), ca))
    b.activate(Pipeline(SubscribeTo("same"), cb))
    a.run(timeout=10)
    b.run(timeout=10)
    assert ca.items == [0, 1, 2] and cb.items == [10, 11]


def test_a_second_backplane_of_the_same_name_is_refused() -> None:
    s = Scheduler()
    s.activate(Backplane("dup"))
    with pytest.raises(ComponentError, match="'backplane:dup' is already registered") as info:
        s.activate(Backplane("dup"))
    assert isinstance(info.value.error, ServiceError) and info.value.path == "Backplane(dup)"


def test_an_unknown_backplane_is_an_error_naming_it() -> None:
    with pytest.raises(ComponentError, match="no backplane named 'nowhere'"):
        run(Pipeline(Count(1), PublishTo("nowhere")), timeout=10)


def test_shutdown_ends_the_backplane_and_every_subscriber() -> None:
    subs = [Collect(f"s{i}") for i in range(3)]
    bp = Backplane("stop")
    bp.inboxes["control"].put(Shutdown("closing"))
    sched = run(bp, *[Pipeline(SubscribeTo("stop"), s) for s in subs], timeout=10)
    assert all(s.end == Shutdown("closing") for s in subs)
    assert "backplane:stop" not in sched.services


def test_a_publisher_is_not_told_to_stop_when_a_subscribers_reader_goes() -> None:
    # subscribers come and go: a publisher is tied to none of them
    class Forever(Component):
        def main(self) -> Generator[None, Any, None]:
            n = 0
            while not self.finished() and n < 200:
                self.send(n)
                n += 1
                yield
            self.sent = n
            self.send(ProducerFinished(), "signal")

    class TakeTwo(Component):
        def main(self) -> Generator[Any, Any, None]:
            got: list[Any] = []
            while len(got) < 2:
                got += yield RECEIVE

    pub = Forever()
    run(Backplane("news"), Pipeline(pub, PublishTo("news", end_backplane=True)),
        Pipeline(SubscribeTo("news"), TakeTwo()), timeout=10)
    assert pub.sent == 200 and pub.end_message is None


def test_a_backplane_waiting_for_its_first_publisher_is_not_a_deadlock() -> None:
    # a server that starts publishers and subscribers per connection finds it by name later
    with pytest.raises(TimeoutError):
        run(Backplane("chat"), Ticker(), timeout=0.3)


def test_a_forwarding_publisher_also_passes_on_what_it_publishes_then_the_end() -> None:
    sub, passed = Collect("sub"), Collect("passed")
    run(Pipeline(Count(50, per_slice=7), PublishTo("fw", end_backplane=True, forwarder=True),
                 passed),
        Pipeline(SubscribeTo("fw"), sub), Backplane("fw"), timeout=10)
    assert passed.items == list(range(50)) and isinstance(passed.end, ProducerFinished)
    assert sub.items == list(range(50)) and isinstance(sub.end, ProducerFinished)


def test_a_forwarding_publisher_started_before_its_backplane_loses_nothing() -> None:
    pub, passed, sub = PublishTo("late", forwarder=True), Collect("passed"), Collect("sub")
    for n in range(3):  # waiting in the publisher before the backplane exists
        pub.inboxes["inbox"].put(n)
    sched = Scheduler()
    sched.activate(Pipeline(SubscribeTo("late"), sub))
    sched.activate(Pipeline(pub, passed))  # finds no backplane as it starts
    bp = sched.activate(Backplane("late"))

    class End(Component):
        def main(self) -> Generator[None, Any, None]:
            while len(passed.items) < 3:
                yield
            pub.inboxes["control"].put(ProducerFinished())
            bp.inboxes["control"].put(ProducerFinished())

    sched.activate(End())
    sched.run(timeout=10)
    assert passed.items == [0, 1, 2] and sub.items == [0, 1, 2]


# -- fan-out at scale: joins and leaves in any order, O(1) each ------------------------------


class _Churn(Component):
    """Publishes and makes subscribers join (``("join", k)``: a Collect, classic or
    RECEIVE, behind SubscribeTo) and leave (``("leave", k)``: stopped at once) as ``ops``
    say, one op a timeslice; after each publication it checks, on its next timeslice,
    that every joined subscriber's reader has taken it (woken in the same round)."""

    def __init__(self, ops: list[tuple[str, int]]) -> None:
        super().__init__()
        self.ops = ops
        self.joined: dict[int, tuple[Pipeline, Any]] = {}
        self.expected: dict[int, list[int]] = {}
        self.gone: dict[int, Any] = {}
        self.late: list[tuple[int, int]] = []  # (message, subscriber) not taken in its round

    def main(self) -> Generator[None, Any, None]:
        from tests.axon.core_parts import ClassicCollect

        sched = self.scheduler
        assert sched is not None
        n = 0
        for op, k in self.ops:
            if op == "join" and k not in self.joined and k not in self.gone:
                c = ClassicCollect() if k % 2 else Collect(f"c{k}")
                p = Pipeline(SubscribeTo("churn"), c)
                self.add_child(p)  # activated (and joined) now
                self.joined[k] = (p, c)
                self.expected[k] = []
            elif op == "leave" and k in self.joined:
                p, c = self.joined.pop(k)
                sched.stop(p)  # leaves now (SubscribeTo.on_stop)
                self.gone[k] = c
            elif op == "publish":
                self.send(n)
                for k2 in self.joined:
                    self.expected[k2].append(n)
                yield
                for k2, (_, c) in self.joined.items():
                    if n not in c.items:
                        self.late.append((n, k2))
                n += 1
            yield
        self.send(ProducerFinished("churn"), "signal")


def _churn_run(ops: list[tuple[str, int]]) -> _Churn:
    churn = _Churn(ops)
    bp = Backplane("churn")
    run(bp, Pipeline(churn, PublishTo("churn", end_backplane=True)), timeout=20)
    assert bp.subscribers == [] and bp.done
    return churn


def _check_churn(churn: _Churn) -> None:
    assert churn.late == []  # no lost (or late) wake-up for a sleeping subscriber
    for k, (_, c) in churn.joined.items():  # there at the end: everything, then the end
        assert c.items == churn.expected[k], k
    for k, c in churn.gone.items():  # left: exactly what was published while joined
        assert c.items + list(c.inboxes["inbox"].queue) == churn.expected[k], k


def test_joins_and_leaves_in_any_order_deliver_to_exactly_the_current_subscribers() -> None:
    ops = [("join", k) for k in range(20)] + [("publish", 0)] * 3
    ops += [("leave", k) for k in (3, 0, 19, 7)] + [("publish", 0)] * 2
    ops += [("join", k) for k in range(20, 30)] + [("leave", k) for k in (25, 1, 29)]
    ops += [("publish", 0)] * 3 + [("leave", k) for k in range(30) if k % 3] + [("publish", 0)]
    churn = _churn_run(ops)
    _check_churn(churn)
    assert len(churn.joined) == 8 and len(churn.gone) == 22


def test_random_joins_and_leaves_deliver_to_exactly_the_current_subscribers() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    op = st.one_of(st.tuples(st.sampled_from(["join", "leave"]), st.integers(0, 12)),
                   st.just(("publish", 0)))

    @hypothesis.settings(max_examples=25, deadline=None)
    @hypothesis.given(st.lists(op, max_size=40))
    def check(ops: list[tuple[str, int]]) -> None:
        _check_churn(_churn_run(ops))

    check()


def _link_work(n: int) -> tuple[int, int]:
    """Box visits (calls of ``ends``) and reader updates for the (n+1)th subscriber
    joining a backplane with a publisher linked, and then leaving."""
    from axon._core import _box

    calls = {"ends": 0}
    real_ends = _box.ends

    def counting_ends(box: Any, trail: tuple[Any, ...] = ()) -> Any:
        calls["ends"] += 1
        return real_ends(box, trail)

    sched = Scheduler()
    sched.activate(Backplane("w"))
    sched.activate(Pipeline(Count(0), PublishTo("w")))
    for _ in range(n):
        sched.activate(Pipeline(SubscribeTo("w"), Collect()))
    last = Pipeline(SubscribeTo("w"), Collect())
    _box.ends = counting_ends  # (ends calls itself through this global too)
    try:
        sched.activate(last)
        joined = calls["ends"]
        sched.stop(last)
        left = calls["ends"] - joined
    finally:
        _box.ends = real_ends
        sched.shutdown()
    return joined, left


def test_a_join_and_a_leave_visit_as_many_boxes_with_300_subscribers_as_with_3() -> None:
    # O(1) in the subscribers, counted rather than timed (bench/fanout.py times it)
    small, large = _link_work(3), _link_work(300)
    assert large == small
    assert max(small) < 20
