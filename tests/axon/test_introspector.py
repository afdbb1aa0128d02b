"""Introspector: topology changes as text commands."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from axon import Component, Instrument, Introspector, Pipeline, ProducerFinished, run
from tests.axon.parts import Collect, Count, Echo


def lines(viewer: Collect) -> list[str]:
    return [line for batch in viewer.items for line in batch.splitlines()]


def test_it_reports_nodes_boxes_and_links_then_their_removal() -> None:
    viewer = Collect()
    run(Pipeline(Count(3), Echo()), Pipeline(Introspector(), viewer), timeout=10)
    out = lines(viewer)
    adds = [x for x in out if x.startswith("ADD NODE") and x.endswith("component")]
    assert [x.split()[3] for x in adds] == ["Pipeline", "'Pipeline[0]:Count'", "'Pipeline[1]:Echo'"]
    assert sum(x.startswith("ADD NODE") and x.endswith(" inbox") for x in out) == 6
    box_links = [x for x in out if x.startswith("ADD LINK") and "." in x.split()[2]]
    assert len(box_links) == 6  # the pipeline's six links, box to box
    dels = [x for x in out if x.startswith("DEL NODE")]
    assert len(dels) == len([x for x in out if x.startswith("ADD NODE")])
    assert isinstance(viewer.end, ProducerFinished)


def test_a_link_made_at_run_time_is_reported_when_it_happens() -> None:
    viewer = Collect()

    class Rewire(Component):
        def main(self) -> Generator[None, Any, None]:
            a, b = Echo(name="a"), Collect(name="b")
            yield
            self.add_children(a, b)
            yield
            self.link((a, "outbox"), (b, "inbox"))
            yield
            a.inboxes["control"].put(a.end_message or __import__("axon").Shutdown())
            b.inboxes["control"].put(__import__("axon").Shutdown())
            while not self.children_done():
                self.pause()
                yield

    run(Rewire(), Pipeline(Introspector(), viewer), timeout=10)
    batches = [b.splitlines() for b in viewer.items]
    link_batches = [i for i, b in enumerate(batches)
                    if any(x.startswith("ADD LINK") and x.split()[2].endswith(".outbox") for x in b)]
    node_batches = [i for i, b in enumerate(batches) if any("Rewire[0]:a" in x for x in b)]
    assert node_batches and link_batches and node_batches[0] < link_batches[0]


class Hold(Component):
    """Runs until told to end on its control (so a system stays up while a test looks)."""

    def main(self) -> Generator[None, Any, None]:
        while not self.finished():
            self.pause()
            yield


def test_watch_reports_only_the_systems_named():
    from axon import Shutdown
    from axon.testing import Harness

    watched, other = Pipeline(Hold(name="w")), Pipeline(Hold(name="o"))
    viewer = Collect()
    root = Component(name="root")
    intro = Introspector(watch=[watched])
    root.add_children(watched, other, Pipeline(intro, viewer))
    with Harness(root) as h:
        h.run_until_idle()
        text = "".join(viewer.items)
        assert "Pipeline[0]:w" in text and ":o'" not in text and "Introspector" not in text
        watched.children[0].inboxes["control"].put(Shutdown())
        h.run_until_idle()
        assert intro.done  # nothing it watches runs any more
        assert lines(viewer)[-1].startswith("DEL NODE")
        other.children[0].inboxes["control"].put(Shutdown())


def test_include_own_shows_the_introspectors_own_system():
    from axon import Shutdown
    from axon.testing import Harness

    viewer = Collect()
    intro = Introspector(include_own=True)
    with Harness(Pipeline(intro, viewer)) as h:
        h.run_until_idle()
        names = [x.split()[3] for x in lines(viewer) if x.endswith(" component")]
        assert any("Introspector" in n for n in names) and any("Collect" in n for n in names)
        assert not intro.done  # it watches itself: it runs until told
        intro.inboxes["control"].put(Shutdown())
        h.run_until_idle()
        assert intro.done


def test_a_component_at_a_reused_id_is_deleted_then_added():
    intro = Introspector()
    intro._report({"c1": "ADD NODE c1 a auto component"}, {})
    intro.send = lambda msg, box="outbox": sent.append(msg)  # type: ignore[method-assign]
    sent: list[str] = []
    intro._report({"c1": "ADD NODE c1 b auto component"}, {})
    assert sent == ["DEL NODE c1\nADD NODE c1 b auto component\n"]


def test_counts_are_reported_as_they_change_and_min_gap_gathers_changes():
    from axon import Shutdown
    from axon.testing import FakeClock, Harness

    clock = FakeClock()
    viewer = Collect()
    source, sink = Hold(name="src"), Collect(name="sink")
    system = Pipeline(source, sink)
    intro = Introspector(watch=[system], counts=True, interval=1.0, min_gap=0.5, clock=clock)
    root = Component(name="root")
    root.add_children(system, Pipeline(intro, viewer))
    with Harness(root, clock=clock) as h:
        h.run_until_idle()
        assert intro.reports == 1
        a, b = f"c{id(source):x}.outbox", f"c{id(sink):x}.inbox"
        assert f"ADD LINK {a} {b}" in lines(viewer)
        for k in range(3):
            sink.inboxes["inbox"].put(k)
        h.run_until_idle()
        assert f"UPDATE_NAME LINK {a} {b} 3" not in lines(viewer)  # not before the interval
        h.advance(1.0)
        assert f"UPDATE_NAME LINK {a} {b} 3" in lines(viewer)
        reports = intro.reports
        system.add_child(Hold(name="late"))  # topology changes come within min_gap...
        h.run_until_idle()
        assert intro.reports == reports  # ...not at once: 0.5 s after the last report
        h.advance(0.5)
        assert intro.reports == reports + 1 and any(":late" in x for x in lines(viewer))
        slices = [0]

        class Slices(Instrument):
            def before_timeslice(self, component: Component) -> None:
                slices[0] += component is intro

        h.scheduler.add_instrument(Slices())
        for _ in range(10):
            h.advance(0.5)  # nothing changes: woken once a second for the counts, no more
        assert 4 <= slices[0] <= 6
        for c in (source, *system.children[2:]):
            c.inboxes["control"].put(Shutdown())
        sink.inboxes["control"].put(Shutdown())
        h.run_until_idle()
        h.advance(1.0)
        assert intro.done
