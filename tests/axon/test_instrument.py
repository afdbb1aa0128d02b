"""Scheduler instruments (hooks) and Scheduler.stop / Component.on_activate / wake_on."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import Component, Deadlock, Instrument, Link, Pipeline, Scheduler, State
from tests.axon.parts import Collect, Echo, Forever


class Recorder(Instrument):
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def component_started(self, component: Component) -> None:
        self.events.append(("start", component.path))

    def component_finished(self, component: Component) -> None:
        self.events.append(("finish", component.path))

    def before_timeslice(self, component: Component) -> None:
        self.events.append(("before", component.path))

    def after_timeslice(self, component: Component) -> None:
        self.events.append(("after", component.path))

    def link_added(self, link: Link) -> None:
        self.events.append(("link+", f"{link.source.name}->{link.sink.name}"))

    def link_removed(self, link: Link) -> None:
        self.events.append(("link-", f"{link.source.name}->{link.sink.name}"))


class TwoSlices(Component):
    def main(self) -> Generator[None, Any, None]:
        yield
        yield


def test_hooks_see_starts_timeslices_and_finishes_in_order() -> None:
    s = Scheduler()
    r = Recorder()
    s.add_instrument(r)
    s.activate(TwoSlices())
    s.run(timeout=10)
    assert r.events == [
        ("start", "TwoSlices"),
        ("before", "TwoSlices"), ("after", "TwoSlices"),
        ("before", "TwoSlices"), ("after", "TwoSlices"),
        ("before", "TwoSlices"), ("after", "TwoSlices"), ("finish", "TwoSlices"),
    ]


def test_link_hooks_report_links_made_and_removed_at_run_time() -> None:
    class Linker(Component):
        def main(self) -> Generator[None, Any, None]:
            a, b = Echo(), Collect()
            self.add_children(a, b)
            lk = self.link((a, "outbox"), (b, "inbox"))
            yield
            self.unlink(lk)
            self.scheduler.stop(a)  # type: ignore[union-attr]
            self.scheduler.stop(b)  # type: ignore[union-attr]

    s = Scheduler()
    r = Recorder()
    s.add_instrument(r)
    s.activate(Linker())
    s.run(timeout=10)
    links = [e for e in r.events if e[0].startswith("link")]
    assert links == [("link+", "outbox->inbox"), ("link-", "outbox->inbox")]


def test_an_instrument_added_while_running_wraps_live_components_and_can_be_removed() -> None:
    s = Scheduler()
    r = Recorder()

    class AddLater(Component):
        def main(self) -> Generator[None, Any, None]:
            yield
            s.add_instrument(r)
            yield
            s.remove_instrument(r)
            yield
            yield

    s.activate(AddLater())
    s.run(timeout=10)
    assert ("before", "AddLater") in r.events
    assert r.events[-1] == ("after", "AddLater")
    assert len([e for e in r.events if e[0] == "before"]) == 1


def test_without_instruments_components_run_their_generators_unwrapped() -> None:
    s = Scheduler()
    c = s.activate(TwoSlices())
    assert c._axon_task.send == c._axon_task.gen.send  # nothing between the scheduler and the generator


def test_stop_closes_a_component_and_its_children_running_finally_blocks() -> None:
    events: list[str] = []

    class Tidy(Forever):
        def main(self):  # type: ignore[override]
            try:
                yield from super().main()
            finally:
                events.append(self.name)

    victim = Pipeline(Tidy(name="a"), Tidy(name="b"))

    class Stopper(Component):
        def main(self) -> Generator[None, Any, None]:
            yield
            self.scheduler.stop(victim)  # type: ignore[union-attr]

    run_sched = Scheduler()
    run_sched.activate(victim)
    run_sched.activate(Stopper())
    run_sched.run(timeout=10)
    assert events == ["a", "b"]
    assert victim.state is State.FINISHED


def test_a_component_cannot_stop_itself() -> None:
    class Selfish(Component):
        def main(self) -> Generator[None, Any, None]:
            self.scheduler.stop(self)  # type: ignore[union-attr]
            yield

    s = Scheduler()
    s.activate(Selfish())
    with pytest.raises(Exception, match="cannot stop itself"):
        s.run(timeout=10)


def test_on_activate_runs_before_the_first_timeslice_with_the_scheduler() -> None:
    events: list[str] = []

    class Hooked(Component):
        def on_activate(self, scheduler: Scheduler) -> None:
            events.append(f"activate {scheduler is s}")

        def main(self) -> Generator[None, Any, None]:
            events.append("main")
            yield

    s = Scheduler()
    s.activate(Hooked())
    events.append("activated")
    s.run(timeout=10)
    assert events == ["activate True", "activated", "main"]


def test_wake_on_lets_a_component_sleep_while_other_inboxes_hold_messages() -> None:
    class Picky(Component):
        Inboxes = {"inbox": "not for us: held for a later child", "control": "wakes"}

        def __init__(self) -> None:
            super().__init__()
            self.wake_on("control")
            self.slices = 0

        def main(self) -> Generator[None, Any, None]:
            while not self.recv_all("control"):
                self.slices += 1
                self.pause()
                yield

    p = Picky()
    for i in range(3):
        p.inboxes["inbox"].put(i)
    s = Scheduler()
    s.activate(p)
    with pytest.raises(Deadlock):  # asleep, not spinning: nothing is left to wake it
        s.run(timeout=10)
    assert p.slices == 1
