"""Specification of a component's own boxes: declaration, send, recv and their errors."""

from __future__ import annotations

import pytest

from axon import (
    RECEIVE, AxonError, BoxSpec, Component, EmptyBox, Pipeline, Policy, ProducerFinished, Shutdown,
    ThreadedComponent, run,
)

from .core_parts import Collect, Source

# -- the box API, specified once for each runtime: a generator or a thread ---------------------


class Threaded(ThreadedComponent):
    """A ThreadedComponent with Component's defaults (its main() is not run here)."""


class Custom(Component):
    Inboxes = {"inbox": "work", "control": "ends", "config": "settings"}
    Outboxes = {"outbox": "results", "signal": "ends", "log": "what happened"}


class ThreadedCustom(ThreadedComponent):
    Inboxes = Custom.Inboxes
    Outboxes = Custom.Outboxes


@pytest.fixture(params=["generator", "thread"])
def runtime(request):
    """The kinds of component every box-API specification must hold for."""
    return request.param


def make(runtime: str, custom: bool = False, name: str | None = None) -> Component:
    if runtime == "generator":
        return (Custom if custom else Component)(name=name)
    return (ThreadedCustom if custom else Threaded)(name=name)


def test_recv_returns_messages_in_the_order_they_arrived(runtime):
    c = make(runtime)
    for i in range(5):
        c.inboxes["inbox"].put(i)
    assert c.data_ready() == 5
    assert [c.recv() for _ in range(5)] == [0, 1, 2, 3, 4]
    assert c.data_ready() == 0


def test_recv_on_an_empty_inbox_raises_a_clear_error(runtime):
    c = make(runtime, name="Parser")
    with pytest.raises(EmptyBox, match="Parser: recv\\(\\) on empty inbox 'inbox'"):
        c.recv()
    assert isinstance(EmptyBox("x"), IndexError)


def test_recv_all_drains_the_box_and_any_ready_sees_every_inbox(runtime):
    c = make(runtime, custom=True)
    assert not c.any_ready()
    c.inboxes["config"].put("a")
    assert c.any_ready()
    c.inboxes["inbox"].put(1)
    c.inboxes["inbox"].put(2)
    assert c.recv_all() == [1, 2]
    assert c.recv_all() == []
    assert c.recv_all("config") == ["a"]
    assert not c.any_ready()
    assert c.inboxes["inbox"].statistics().received == 2


def test_finished_waits_for_the_inbox_to_drain_after_producer_finished(runtime):
    c = make(runtime)
    c.inboxes["inbox"].put("data")
    c.inboxes["control"].put(ProducerFinished())
    assert not c.finished()  # control checked first, data still waiting
    assert c.end_message == ProducerFinished()
    assert c.recv() == "data"
    assert c.finished()


@pytest.mark.parametrize("end", [Shutdown("bye"), ProducerFinished("done")])
def test_finished_takes_the_first_end_and_leaves_other_control_messages_in_order(runtime, end):
    c = make(runtime)
    for msg in ("reload", "rotate", end, "later", Shutdown("second")):
        c.inboxes["control"].put(msg)
    assert c.finished()
    assert c.end_message == end
    assert c.recv_all("control") == ["reload", "rotate", "later", Shutdown("second")]


def test_take_end_takes_only_the_end_out_of_control_once(runtime):
    c = make(runtime)
    ctl = c.inboxes["control"]
    assert c.take_end() is None
    for msg in ("config", ProducerFinished("first"), "more", Shutdown("second")):
        ctl.put(msg)
    c.inboxes["inbox"].put("data")
    assert c.take_end() == ProducerFinished("first") == c.end_message
    assert list(ctl.queue) == ["config", "more", Shutdown("second")]
    assert c.take_end() == ProducerFinished("first")  # once taken it stays the end
    assert list(ctl.queue) == ["config", "more", Shutdown("second")]
    assert not c.finished()  # the end is taken, the inbox is not drained


def test_finished_is_immediate_on_shutdown_whatever_the_inbox_holds(runtime):
    c = make(runtime)
    c.inboxes["inbox"].put("data")
    c.inboxes["control"].put(Shutdown("bye"))
    assert c.finished() and c.data_ready() == 1


def test_finished_checks_every_data_box_it_is_given(runtime):
    c = make(runtime, custom=True)
    c.inboxes["config"].put("setting")
    c.inboxes["control"].put(ProducerFinished())
    assert c.finished()  # "inbox" is drained
    assert not c.finished("inbox", "config")
    c.recv("config")
    assert c.finished("inbox", "config")


class GenEcho(Component):
    """The classic idiom in a generator; notes the control messages it was left."""

    def main(self):
        while not self.finished():
            for msg in self.recv_all():
                self.send(msg)
            self.pause()
            yield
        self.left = self.recv_all("control")
        self.send(self.end_message, "signal")


class ThreadEcho(ThreadedComponent):
    """The classic idiom in a thread."""

    def main(self):
        while not self.finished():
            for msg in self.recv_all():
                self.send(msg)
            self.wait()
        self.left = self.recv_all("control")
        self.send(self.end_message, "signal")


def test_a_running_component_passes_everything_sent_before_the_end_then_the_end(runtime):
    echo = GenEcho() if runtime == "generator" else ThreadEcho()
    for msg in ("a", "b"):
        echo.inboxes["control"].put(msg)
    sink = Collect()
    run(Pipeline(Source(range(300), per_slice=7), echo, sink), timeout=10)
    assert sink.items == list(range(300)) and sink.end == ProducerFinished()
    assert echo.left == ["a", "b"]


def test_default_boxes_are_inbox_control_outbox_signal_with_descriptions():
    c = Component()
    assert list(c.inboxes) == ["inbox", "control"]
    assert list(c.outboxes) == ["outbox", "signal"]
    assert all(box.description for box in (*c.inboxes.values(), *c.outboxes.values()))


def test_a_subclass_dict_replaces_the_defaults_and_can_extend_them():
    class Extended(Component):
        Inboxes = {**Component.Inboxes, "extra": "more"}

    assert list(Custom().inboxes) == ["inbox", "control", "config"]
    assert list(Extended().inboxes) == ["inbox", "control", "extra"]
    assert Custom().inboxes["config"].description == "settings"


def test_a_box_name_cannot_be_both_inbox_and_outbox():
    with pytest.raises(TypeError, match="both|inbox and outbox"):

        class Bad(Component):
            Inboxes = {"data": "in"}
            Outboxes = {"data": "out"}


def test_boxes_added_to_an_instance_do_not_leak_into_other_instances():
    a, b = Custom(), Custom()
    a.add_inbox("extra", "only for a")
    a.add_outbox("more", "only for a")
    assert "extra" in a.inboxes and "extra" not in b.inboxes
    assert "more" in a.outboxes and "more" not in b.outboxes
    assert "extra" not in Custom.Inboxes


def test_unknown_box_names_are_errors_that_list_the_real_ones():
    c = Custom(name="Thing")
    with pytest.raises(AxonError, match="Thing has no outbox 'nope'.*outbox, signal, log"):
        c.send(1, "nope")
    with pytest.raises(AxonError, match="Thing has no inbox 'nope'.*inbox, control, config"):
        c.recv("nope")
    with pytest.raises(AxonError, match="no inbox 'nope'"):
        c.data_ready("nope")


def test_send_on_an_unlinked_outbox_holds_the_message_for_a_later_link():
    a, b = Component(), Component()
    a.send("early")
    assert a.outboxes["outbox"].statistics().depth == 1
    a.link((a, "outbox"), (b, "inbox"))
    assert b.recv_all() == ["early"]
    assert a.outboxes["outbox"].statistics().depth == 0


def test_an_unlinked_outbox_counts_what_overflows_its_hold_and_keeps_the_oldest():
    a, b = Component(), Component()
    a.outboxes["outbox"].hold_limit = 3
    for i in range(5):
        a.send(i)
    stats = a.outboxes["outbox"].statistics()
    assert (stats.depth, stats.dropped) == (3, 2)
    a.link((a, "outbox"), (b, "inbox"))
    assert b.recv_all() == [0, 1, 2]


def test_send_many_delivers_in_order():
    a, b = Component(), Component()
    a.link((a, "outbox"), (b, "inbox"))
    a.send_many(range(4))
    a.send_many(iter([4, 5]))
    assert b.recv_all() == [0, 1, 2, 3, 4, 5]


def test_box_spec_declares_a_bounded_inbox():
    class Bounded(Component):
        Inboxes = {"inbox": BoxSpec("jobs", size=2, policy="error"), "control": "ends"}

    ib = Bounded().inboxes["inbox"]
    assert (ib.size, ib.policy) == (2, Policy.ERROR)
    assert ib.statistics().policy == "error"


def test_building_a_component_makes_no_boxes_until_they_are_used():
    c = Collect()
    assert "_axon_inboxes" not in vars(c)
    c.inboxes  # noqa: B018 - first use
    assert "_axon_inboxes" in vars(c)


def test_path_names_the_place_in_the_system():
    parent, child = Component(name="Outer"), Component(name="Parser")
    parent.add_child(child, label=2)
    assert child.path == "Outer[2]:Parser"
    assert child.parent is parent and parent.children == [child]
    with pytest.raises(ValueError, match="already belongs"):
        Component().add_child(child)
    parent.remove_child(child)
    assert child.path == "Parser" and parent.children == []


def test_wake_on_is_kept_when_an_inbox_is_added_later():
    c = Component()
    c.wake_on("control")
    c.add_inbox("extra", "added after wake_on")
    assert c._axon_task.wake_queues == (c.inboxes["control"].queue,)
    c.add_inbox("more", "and another")
    assert c._axon_task.pause_queues == (c.inboxes["control"].queue,)


def test_received_counts_recv_recv_all_and_receive_batches_together():
    from axon import RECEIVE, run

    class Both(Component):
        def main(self):
            yield
            self.recv()  # one by recv
            batch = yield RECEIVE  # the rest as a batch
            assert batch == [2, 3]

    b = Both()
    for i in (1, 2, 3):
        b.inboxes["inbox"].put(i)
    run(b, timeout=5)
    assert b.inboxes["inbox"].statistics().received == 3


def test_kamaelias_list_of_box_names_is_accepted():
    class Listed(Component):
        Inboxes = ["inbox", "control", "extra"]
        Outboxes = ("outbox", "signal")

    c = Listed()
    assert list(c.inboxes) == ["inbox", "control", "extra"] and list(c.outboxes) == ["outbox", "signal"]
    assert c.inboxes["control"].description == Component.Inboxes["control"]
    assert "extra" in c.inboxes["extra"].description


def test_boxes_declared_some_other_way_say_what_is_expected():
    with pytest.raises(TypeError, match="Odd.Inboxes declares boxes as a dict of name -> description"):

        class Odd(Component):
            Inboxes = "inbox"


# -- the hooks the scheduler calls: declared here, overridden by compositions and threads ------


class Hooked(Component):
    """Logs its hooks and its finally block; ends by itself after ``slices`` timeslices."""

    def __init__(self, log: list[str], slices: int | None = None) -> None:
        super().__init__()
        self.log, self.slices = log, slices

    def main(self):
        try:
            n = 0
            while self.slices is None or n < self.slices:
                n += 1
                yield
        finally:
            self.log.append("finally")

    def on_stop(self) -> None:
        self.log.append("on_stop")


def test_on_stop_is_called_before_the_finally_blocks_when_stopped_from_outside() -> None:
    log: list[str] = []
    with pytest.raises(TimeoutError):
        run(Hooked(log), timeout=0.05)
    assert log == ["on_stop", "finally"]


def test_on_stop_is_not_called_when_main_ends_by_itself() -> None:
    log: list[str] = []
    run(Hooked(log, slices=3))
    assert log == ["finally"]


def test_the_hooks_are_declared_with_defaults_that_change_nothing() -> None:
    c = Component()
    assert c.child_failed(Component(), ValueError()) is False  # the failure goes on up
    assert c.on_stop() is None and c.statistics() is None
    assert c.child_finished(Component()) is None


class Squatter(Component):
    """Uses, as its own, every private name a core might pick for itself."""

    def __init__(self) -> None:
        super().__init__(name="Squatter")
        for n in ("_name", "_parent", "_label", "_children", "_links", "_scheduler", "_task",
                  "_state", "_send", "_resume", "_held", "_taken", "_future", "_gen",
                  "_inboxes", "_outboxes", "_pushes", "_queues", "_unfinished"):
            setattr(self, n, f"mine: {n}")

    def _box(self, x: object) -> str:
        return "mine"

    def _inbox(self, x: object) -> str:
        return "mine"

    def _generator(self) -> str:
        return "mine"

    def main(self):
        while (batch := (yield RECEIVE)) is not None:
            self.send_many(2 * n for n in batch)
        self.send(self.end_message, "signal")


def test_a_components_own_private_names_never_collide_with_the_cores() -> None:
    squat, out = Squatter(), Collect()
    run(Pipeline(Source(range(5)), squat, out), timeout=5)
    assert out.items == [0, 2, 4, 6, 8] and squat.path == "Pipeline[1]:Squatter"
    assert squat._links == "mine: _links" and squat._box(0) == "mine"  # untouched


# -- take_control: the pending end, for components that pause while it is pending -------------


def test_take_control_returns_the_pending_end_and_a_shutdown_wins_whatever_came_first(runtime):
    c = make(runtime)
    ctl = c.inboxes["control"]
    first, later, stop = ProducerFinished("first"), ProducerFinished("later"), Shutdown("stop")
    for msg in (first, later):
        ctl.put(msg)
    assert c.take_control() is first  # the first end is the one kept ...
    ctl.put(stop)
    assert c.take_control(first) is stop  # ... until a Shutdown comes
    ctl.put(ProducerFinished("after"))
    assert c.take_control(stop) is stop
    ctl.put(Shutdown("one"))
    ctl.put(ProducerFinished("two"))
    assert str(c.take_control()) == str(Shutdown("one"))
    assert c.take_control() is None and not ctl.queue


def test_take_control_hands_other_messages_on_in_order_or_counts_them_as_dropped(runtime):
    c = make(runtime)
    ctl = c.inboxes["control"]
    for msg in ("a", ProducerFinished(), "b"):
        ctl.put(msg)
    other: list[object] = []
    assert isinstance(c.take_control(other=other.append), ProducerFinished)
    assert other == ["a", "b"] and ctl.statistics().dropped == 0
    ctl.put("c")
    assert c.take_control() is None
    assert ctl.statistics().dropped == 1  # nothing vanishes: counted where it was sent


# -- a component's own state stays in CPython's shared-keys values array ------------------------


def _has_own_dict(component: Component) -> bool:
    """True if the instance's attributes live in a dict of its own, which CPython makes when
    a name cannot join its class's shared keys (then every ``self.x`` misses the fast path).
    The garbage collector's view shows it without making it: a dict among the referents."""
    import gc
    return any(type(r) is dict and "_axon_label" in r for r in gc.get_referents(component))


def test_components_made_in_bulk_before_linking_keep_no_dict_of_their_own():
    class Stage(Component):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        def main(self):
            while (batch := (yield RECEIVE)) is not None:
                for msg in batch:
                    self.count += 1
                    self.send(msg)
            self.send(self.end_message, "signal")

    stages = [Stage() for _ in range(100)]  # (CPython 3.11: 30 would do)
    sink = Collect()
    run(Pipeline(Source([1, 2, 3]), *stages, sink))
    assert sink.items == [1, 2, 3]
    assert [s.count for s in stages] == [3] * 100
    assert not any(_has_own_dict(s) for s in stages)


def _pass_on(self: Component):
    while (batch := (yield RECEIVE)) is not None:
        for msg in batch:
            self.send(msg)
    self.send(self.end_message, "signal")


def test_classes_that_cannot_be_probed_still_work():
    class WithDel(Component):
        main = _pass_on
        deleted = uninitialised = 0

        def __del__(self) -> None:
            if hasattr(self, "marker"):
                type(self).deleted += 1
            else:  # an instance made without __init__ (a probe would be)
                type(self).uninitialised += 1

        def __init__(self) -> None:
            super().__init__()
            self.marker = 1

    class Slotted(Component):
        __slots__ = ("extra",)
        main = _pass_on

    for cls in (WithDel, Slotted):
        items = [cls() for _ in range(40)]
        sink = Collect()
        run(Pipeline(Source([1]), *items, sink))
        assert sink.items == [1]
        assert all(c.done for c in items)
    del items
    import gc
    gc.collect()
    assert (WithDel.deleted, WithDel.uninitialised) == (40, 0)
