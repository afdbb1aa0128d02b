"""The live view: an Introspector feeding a GraphViewer tracks a changing system exactly
(a Carousel replacing its children), labels links with their message counts, and can
show the viewer itself."""

from __future__ import annotations

from typing import Any

from axon import Carousel, Graphline, Pipeline, snapshot
from components import Collector, Map, Periodic
from components.testing import FakeClock
from components.ui.graph import GraphViewer
from components.ui.graph.live import live_view
from components.ui.testing import UIHarness

SIZE = (600, 400)


def expected(system: Any) -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], str]]:
    """What the view must show, from axon.snapshot: each live component and its boxes,
    ownership links, and the links between boxes."""
    snap = snapshot(system, live_only=True)
    nodes: dict[str, tuple[str, str]] = {}
    links: dict[tuple[str, str], str] = {}
    for c in snap.components:
        nodes[c.id] = (c.path, "component")
        for box in (*c.inboxes, *c.outboxes):
            nodes[box.id] = (box.name, box.kind)
            links[(c.id, box.id)] = ""
    for lk in snap.links:
        links[(lk.source, lk.sink)] = ""
    return nodes, links


def job(n: Any) -> Pipeline:
    return Pipeline(Map(lambda x: x, name=f"job{n}a"), Map(lambda x: x, name=f"job{n}b"),
                    name=f"Job{n}")


def test_the_view_of_a_carousel_tracks_its_children_exactly():
    clock = FakeClock()
    system = Graphline({("ticks", "outbox"): ("carousel", "next"),
                        ("ticks", "signal"): ("carousel", "control")},
                       ticks=Periodic(0.2, count=5, clock=clock),
                       carousel=Carousel(job), name="Jobs")
    view = live_view(system, min_gap=0, clock=clock, size=SIZE)
    viewer = view.children[1]
    assert isinstance(viewer, GraphViewer)
    names: set[str] = set()
    checked = 0
    with UIHarness(system, view, size=SIZE, clock=clock) as ui:
        for _ in range(100):
            ui.frames(1)
            if system.done:
                break
            shown = viewer.graph().topology()
            assert shown == expected(system), f"at {clock.now():.3f} s"
            names |= {name for name, kind in shown[0].values() if kind == "component"}
            checked += 1
        assert system.done
        ui.frames(2)
        assert viewer.graph().topology() == ({}, {})  # all gone with the system
        assert viewer.statistics().errors == 0
    jobs = {n for n in names if n.endswith(("a", "b")) and ":job" in n}
    assert len(jobs) >= 8, names  # children came and went: 4-5 jobs of two stages each
    assert checked > 50


def test_links_carry_live_message_counts():
    clock = FakeClock()
    double, collect = Map(lambda x: 2 * x, name="Double"), Collector(name="Collect")
    system = Graphline({("ticks", "outbox"): ("double", "inbox"),
                        ("double", "outbox"): ("collect", "inbox")},
                       ticks=Periodic(0.05, count=20, clock=clock), double=double,
                       collect=collect, name="Counted")
    view = live_view(system, counts=True, interval=0.25, min_gap=0, clock=clock, size=SIZE)
    viewer = view.children[1]
    assert isinstance(viewer, GraphViewer)
    with UIHarness(system, view, size=SIZE, clock=clock) as ui:
        ui.frames(30)  # half a second: about ten ticks so far
        link = (f"c{id(double):x}.outbox", f"c{id(collect):x}.inbox")
        midway = int(viewer.graph().links[link])
        assert 4 <= midway <= 12
        ui.frames(90)  # the ticks are over, counts reported since
        assert viewer.graph().links[link] == "20" == str(len(collect.items))
        counts = {(lk.source, lk.sink): lk.count for lk in snapshot(system).links}
        assert counts[link] == 20


def test_the_viewer_can_watch_itself():
    clock = FakeClock()
    view = live_view(include_self=True, min_gap=0, clock=clock, size=SIZE)
    viewer = view.children[1]
    assert isinstance(viewer, GraphViewer)
    with UIHarness(view, size=SIZE, clock=clock) as ui:
        ui.frames(3)
        names = {name for name, kind in viewer.graph().topology()[0].values()}
        assert any(n.endswith(":viewer") or n.endswith("GraphViewer") for n in names), names
        assert any("introspector" in n or "Introspector" in n for n in names)
        assert any("Display" in n for n in names)  # and the display it draws on
