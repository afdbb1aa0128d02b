"""Specification of links and bounded boxes: collapsed delivery, passthrough, policies."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axon import RECEIVE, BoxFull, Component, LinkError, LinkKind, Pipeline, Policy, ProducerFinished, run

from .core_parts import Collect, Identity, Source


def test_a_link_collapses_delivery_to_one_deque_append():
    a, b = Component(), Component()
    a.link((a, "outbox"), (b, "inbox"))
    assert a.outboxes["outbox"].push == b.inboxes["inbox"].queue.append
    a.send("x")
    assert list(b.inboxes["inbox"].queue) == ["x"]


def test_link_kinds_follow_from_the_boxes_joined():
    p, c, d = Component(), Component(), Component()
    assert p.link((p, "inbox"), (c, "inbox")).kind is LinkKind.PASSTHROUGH_IN
    assert p.link((c, "outbox"), (p, "outbox")).kind is LinkKind.PASSTHROUGH_OUT
    assert p.link((p, "outbox"), (d, "inbox")).kind is LinkKind.NORMAL


def test_passthrough_chains_deliver_whatever_order_they_were_built_in():
    # outer inbox -> middle inbox -> inner inbox; inner outbox -> middle outbox -> outer
    # outbox -> sink: six links, every construction order
    steps = [
        lambda o, m, i, s: o.link((o, "inbox"), (m, "inbox")),
        lambda o, m, i, s: m.link((m, "inbox"), (i, "inbox")),
        lambda o, m, i, s: m.link((i, "outbox"), (m, "outbox")),
        lambda o, m, i, s: o.link((m, "outbox"), (o, "outbox")),
        lambda o, m, i, s: s.link((o, "outbox"), (s, "inbox")),
    ]
    for order in itertools.permutations(steps):
        outer, middle, inner, sink = (Component(name=n) for n in ("O", "M", "I", "S"))
        outer.inboxes["inbox"].put("in-early")
        inner.send("out-early")
        for step in order:
            step(outer, middle, inner, sink)
        outer.inboxes["inbox"].put("in-late")
        inner.send("out-late")
        assert inner.recv_all() == ["in-early", "in-late"]
        assert sink.recv_all() == ["out-early", "out-late"]
        # collapsed: the inner outbox appends straight into the sink's deque
        assert inner.outboxes["outbox"].push == sink.inboxes["inbox"].queue.append


def test_removing_a_passthrough_link_shortens_the_chain():
    outer, inner, sink = Component(), Component(), Component()
    up = outer.link((inner, "outbox"), (outer, "outbox"))
    sink.link((outer, "outbox"), (sink, "inbox"))
    inner.send(1)
    outer.unlink(up)
    inner.send(2)  # now unlinked: held at the origin, not lost
    assert sink.recv_all() == [1]
    assert inner.outboxes["outbox"].statistics().depth == 1


def test_one_outbox_feeds_several_inboxes_each_in_order():
    src, sinks = Component(), [Component() for _ in range(3)]
    for s in sinks:
        src.link((src, "outbox"), (s, "inbox"))
    for i in range(5):
        src.send(i)
    assert [s.recv_all() for s in sinks] == [[0, 1, 2, 3, 4]] * 3


def test_several_outboxes_feed_one_inbox_keeping_each_links_order():
    a, b, sink = Component(), Component(), Component()
    sink.link((a, "outbox"), (sink, "inbox"))
    sink.link((b, "outbox"), (sink, "inbox"))
    for i in range(3):
        a.send(("a", i))
        b.send(("b", i))
    got = sink.recv_all()
    assert [m for m in got if m[0] == "a"] == [("a", 0), ("a", 1), ("a", 2)]
    assert [m for m in got if m[0] == "b"] == [("b", 0), ("b", 1), ("b", 2)]


def test_links_that_would_make_a_cycle_are_refused_and_leave_nothing_behind():
    p = Component(name="P")
    p.link((p, "inbox"), (p, "outbox"))
    with pytest.raises(LinkError, match="cycle"):
        p.link((p, "outbox"), (p, "inbox"))
    assert len(p.outboxes["outbox"].links_out) == 0


def test_linking_an_unknown_box_names_the_component_and_its_boxes():
    a = Component(name="A")
    with pytest.raises(LinkError, match="A has no box 'out'.*outboxes: outbox, signal"):
        a.link((a, "out"), (Component(), "inbox"))
    with pytest.raises(LinkError, match="\\(component, box name\\)"):
        a.link(("A", "outbox"), (a, "inbox"))


def test_unlink_by_ends_and_unknown_link_errors():
    a, b = Component(), Component()
    a.link((a, "outbox"), (b, "inbox"))
    a.unlink((a, "outbox"), (b, "inbox"))
    a.send(1)
    assert b.recv_all() == []
    with pytest.raises(LinkError, match="no link"):
        a.unlink((a, "outbox"), (b, "inbox"))


# -- bounded inboxes -----------------------------------------------------------------------


def test_an_error_box_accepts_n_messages_and_refuses_the_next():
    a, b = Component(), Component(name="B")
    b.set_bound("inbox", 3, "error")
    a.link((a, "outbox"), (b, "inbox"))
    for i in range(3):
        a.send(i)
    with pytest.raises(BoxFull, match="B.inbox.*full \\(3 messages"):
        a.send(3)
    assert b.recv_all() == [0, 1, 2]


def test_drop_oldest_keeps_the_newest_and_counts_the_drops():
    a, b = Component(), Component()
    b.set_bound("inbox", 3, Policy.DROP_OLDEST)
    a.link((a, "outbox"), (b, "inbox"))
    for i in range(10):
        a.send(i)
    assert b.recv_all() == [7, 8, 9]
    assert b.inboxes["inbox"].statistics().dropped == 7


def test_keep_latest_keeps_only_the_newest_message():
    a, b = Component(), Component()
    b.set_bound("inbox", 1, "keep_latest")
    a.link((a, "outbox"), (b, "inbox"))
    for i in range(5):
        a.send(i)
    assert b.recv_all() == [4]
    assert b.inboxes["inbox"].dropped == 4
    with pytest.raises(ValueError, match="exactly one"):
        b.set_bound("inbox", 5, "keep_latest")


def test_a_size_limit_in_the_middle_of_a_chain_has_no_effect_until_the_chain_is_cut():
    src, middle, sink = Component(), Component(), Component()
    middle.set_bound("inbox", 1, "error")
    middle.link((src, "outbox"), (middle, "inbox"))
    middle.link((middle, "inbox"), (sink, "inbox"))  # middle forwards to sink
    for i in range(5):
        src.send(i)
    assert sink.recv_all() == [0, 1, 2, 3, 4]
    middle.unlink((middle, "inbox"), (sink, "inbox"))
    src.send(5)
    with pytest.raises(BoxFull):
        src.send(6)


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="positive"):
        Component().set_bound("inbox", 0)
    with pytest.raises(ValueError):
        Component().set_bound("inbox", 3, "sometimes")


class DepthWatcher(Component):
    """A slow consumer: takes one message per timeslice and records the deepest backlog."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[object] = []
        self.deepest = 0

    def main(self):
        while not self.finished():
            self.deepest = max(self.deepest, self.data_ready())
            if self.data_ready():
                msg = self.recv()
                self.items.append(msg)
                self.send(msg)
            else:
                self.pause()
            yield
        self.send(self.end_message, "signal")


def test_block_suspends_the_sender_so_the_bound_really_holds_and_nothing_is_lost():
    watcher = DepthWatcher()
    watcher.set_bound("inbox", 4, "block")
    run(Pipeline(Source(range(500), per_slice=50), watcher), timeout=20)
    assert watcher.items == list(range(500))
    assert watcher.deepest <= 4


def test_a_blocked_sender_keeps_its_end_of_stream_behind_its_data():
    watcher = DepthWatcher()
    watcher.set_bound("inbox", 2, "block")
    sink = Collect()
    # the source sends everything and ProducerFinished in one timeslice
    run(Pipeline(Source(range(100), per_slice=1000), watcher, Identity(), sink), timeout=20)
    assert sink.items == list(range(100))


def test_a_full_block_box_refuses_a_put_from_outside_a_component():
    b = Component(name="B")
    b.set_bound("inbox", 1, "block")
    b.inboxes["inbox"].put(1)
    assert not b.inboxes["inbox"].has_room()
    with pytest.raises(BoxFull, match="no component is sending"):
        b.inboxes["inbox"].put(2)


def test_producer_finished_is_an_ordinary_message_on_signal():
    a, b = Component(), Component()
    a.link((a, "signal"), (b, "control"))
    a.send(ProducerFinished(), "signal")
    assert b.recv("control") == ProducerFinished()


def test_messages_wait_at_the_far_end_of_an_unlinked_passthrough_chain():
    parent, child, sink = Component(name="P"), Component(name="C"), Component()
    parent.add_child(child)
    parent.link((child, "outbox"), (parent, "outbox"))
    child.send("before the parent is linked")
    assert parent.outboxes["outbox"].statistics().depth == 1  # held by the parent, not C
    parent.remove_child(child)  # the child goes; what it sent does not
    sink.link((parent, "outbox"), (sink, "inbox"))
    assert sink.recv_all() == ["before the parent is linked"]


def test_a_fan_out_branch_that_leads_nowhere_yet_holds_its_copy():
    src, parent, a, b = Component(), Component(), Component(), Component()
    src.link((src, "outbox"), (a, "inbox"))
    src.link((src, "outbox"), (parent, "outbox"))  # a dead end for now
    src.send(1)
    assert a.recv_all() == [1]
    b.link((parent, "outbox"), (b, "inbox"))
    assert b.recv_all() == [1]


def test_a_wide_fan_out_delivers_to_every_inbox_and_survives_an_unlink():
    src, sinks = Component(), [Component() for _ in range(2000)]
    links = [src.link((src, "outbox"), (s, "inbox")) for s in sinks]
    src.send("a")
    src.unlink(links[7])
    src.send("b")
    got = [s.recv_all() for s in sinks]
    assert got[7] == ["a"]
    assert all(g == ["a", "b"] for i, g in enumerate(got) if i != 7)


def test_a_full_block_box_suspends_the_component_that_sent_even_through_a_passthrough():
    from axon import Pipeline as _P

    watcher = DepthWatcher()
    watcher.set_bound("inbox", 2, "block")
    inner = _P(Source(range(50), per_slice=50), name="Inner")  # the source sits inside
    run(_P(inner, watcher, Collect()), timeout=20)
    assert watcher.items == list(range(50)) and watcher.deepest <= 2


class SlowReceiver(Component):
    """RECEIVE's reader that notes each batch's size and idles ``idle`` timeslices after it."""

    def __init__(self, idle: int) -> None:
        super().__init__()
        self.idle = idle
        self.items: list[object] = []
        self.largest = 0

    def main(self):
        while (batch := (yield RECEIVE)) is not None:
            self.largest = max(self.largest, len(batch))
            self.items.extend(batch)
            for _ in range(self.idle):
                yield


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 30), st.integers(0, 3), st.integers(0, 120))
def test_block_holds_for_a_receive_reader_whatever_the_rates(size, per_slice, idle, n):
    # the sender is suspended while the box is full; RECEIVE makes room and lets it on
    reader = SlowReceiver(idle)
    reader.set_bound("inbox", size, "block")
    run(Pipeline(Source(range(n), per_slice=per_slice), Identity(), reader), timeout=20)
    assert reader.items == list(range(n))
    assert reader.largest <= size


def test_a_put_through_a_passthrough_into_a_finished_component_is_counted_as_dropped():
    class Quick(Component):
        def main(self):
            yield

    quick = Quick()
    outer = Pipeline(quick, Component())  # (the second never runs: a plain Component)
    run(quick, timeout=5)  # only the first child runs, and finishes: its inbox closes
    outer.inboxes["inbox"].put("late")  # passed through to the finished child
    stats = quick.inboxes["inbox"].statistics()
    assert stats.closed and (stats.depth, stats.dropped) == (0, 1)


# -- inboxes get their deque on first use (memory per paused component) ---------------------


def _own(ib) -> bool:
    from axon._core._box import NO_MESSAGES

    return ib.queue is not NO_MESSAGES


class Classic(Component):
    """finished()/recv_all()/pause(): keeps what it takes; ends on the end of the stream."""

    def main(self):
        self.items = []
        while not self.finished():
            self.items += self.recv_all()
            self.pause()
            yield


def _lazy_inboxes(c):  # (what the core sees: the public ``inboxes`` gives each its deque)
    c._axon_ensure_boxes()
    return c._axon_inboxes


def test_an_inbox_has_no_deque_of_its_own_until_linked_or_put_to():
    c, src = Classic(), Component()
    ins = _lazy_inboxes(c)
    assert not _own(ins["inbox"]) and not _own(ins["control"])
    src.link((src, "outbox"), (c, "inbox"))  # a data link binds its push to the deque's append
    src.link((src, "signal"), (c, "control"))  # a control inbox waits for a message
    assert _own(ins["inbox"]) and not _own(ins["control"])
    assert src.outboxes["outbox"].push == ins["inbox"].queue.append
    src.send(ProducerFinished(), "signal")
    assert _own(ins["control"]) and list(ins["control"].queue) == [ins["control"].queue[0]]


def test_the_shared_empty_queue_refuses_messages_instead_of_losing_or_sharing_them():
    c = Component()
    ib = _lazy_inboxes(c)["inbox"]
    with pytest.raises(TypeError, match="own_queue"):
        ib.queue.append("lost?")
    assert len(ib.queue) == 0
    ib.own_queue().append("kept")
    assert list(ib.queue) == ["kept"] and list(Component().inboxes["inbox"].queue) == []


def test_a_queue_taken_from_inboxes_is_the_one_messages_arrive_in():
    # components keep ``self.inboxes["control"].queue`` and read it every timeslice
    from axon import Scheduler, Shutdown

    class KeepsControl(Component):
        def main(self):
            control = self.inboxes["control"].queue
            while not control:
                self.pause()
                yield

    k = KeepsControl()
    sched = Scheduler()
    sched.activate(k)

    async def scenario():
        import asyncio

        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async(timeout=5))
            await sched.next_idle()
            k.inboxes["control"].put(Shutdown())
        await running

    import asyncio
    asyncio.run(scenario())
    assert k.done


def test_lazy_inboxes_wake_deliver_count_and_report_as_eager_ones_did():
    from axon import Scheduler, Shutdown, snapshot

    c = Classic()
    sched = Scheduler()
    sched.activate(c)
    ib = _lazy_inboxes(c)["inbox"]
    push = ib.push  # cached before the inbox had a deque (as a component may cache it)

    async def scenario():
        import asyncio

        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async(timeout=5))
            await sched.next_idle()
            asleep = (c.state.value, snapshot(c).component(c.path).waiting_on)
            ib.put(1)  # wakes it: the first message makes the deque
            push(2)
            await sched.next_idle()
            stats = ib.statistics()
            _lazy_inboxes(c)["control"].put(Shutdown())  # the control inbox's first message
        await running
        return asleep, stats

    import asyncio
    asleep, stats = asyncio.run(scenario())
    assert asleep == ("paused", "a message on inbox or control")
    assert c.items == [1, 2] and c.done
    assert (stats.depth, stats.received, stats.dropped) == (0, 2, 0)


def test_waiting_on_names_only_the_boxes_it_wakes_on_though_their_queues_are_shared():
    from axon import Scheduler, snapshot

    class Picky(Component):
        Inboxes = {"inbox": "data", "control": "the end", "next": "jobs"}

        def main(self):
            self.wake_on("next")
            while not self.data_ready("next"):
                self.pause()
                yield

    p = Picky()
    sched = Scheduler()
    sched.activate(p)

    async def scenario():
        import asyncio

        with sched.keep_alive():
            running = asyncio.ensure_future(sched.run_async(timeout=5))
            await sched.next_idle()
            seen = snapshot(p).component(p.path).waiting_on
            p.inboxes["next"].put("job")
        await running
        return seen

    import asyncio
    assert asyncio.run(scenario()) == "a message on next" and p.done


def test_put_back_and_send_many_reach_an_inbox_made_lazily():
    a, b = Component(), Component()
    b.put_back([1, 2])  # straight into an inbox nothing has reached yet
    assert list(_lazy_inboxes(b)["inbox"].queue) == [1, 2]
    a.link((a, "outbox"), (b, "inbox"))
    a.send_many([3, 4])
    assert list(b.inboxes["inbox"].queue) == [1, 2, 3, 4]
