"""Snapshots of built and running systems."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from axon import Component, Deadlock, Graphline, Pipeline, Profiler, Scheduler, snapshot
from tests.axon.parts import Collect, Count, Echo


def built() -> Pipeline:
    return Pipeline(Count(5), Graphline({("self", "inbox"): ("A", "inbox"),
                                         ("A", "outbox"): ("self", "outbox")},
                                        A=Pipeline(Echo(), Echo())), Collect())


def test_a_built_system_lists_components_by_path_and_depth_parents_first() -> None:
    snap = snapshot(built())
    assert [(c.path, c.depth) for c in snap.components] == [
        ("Pipeline", 0), ("Pipeline[0]:Count", 1), ("Pipeline[1]:Graphline", 1),
        ("Pipeline[1]:Graphline[A]:Pipeline", 2), ("Pipeline[1]:Graphline[A]:Pipeline[0]:Echo", 3),
        ("Pipeline[1]:Graphline[A]:Pipeline[1]:Echo", 3), ("Pipeline[2]:Collect", 1)]
    assert all(c.state == "new" and c.waiting_on == "not started" for c in snap.components)
    count = snap.component("Pipeline[0]:Count")
    assert [b.name for b in count.outboxes] == ["outbox", "signal"]
    assert count.outboxes[0].stats.description == "results"
    assert len(snap.links) == 8 + 6 + 3  # outer pipeline, inner pipeline, graphline


def test_a_running_system_shows_states_waits_depths_and_counts() -> None:
    sink = Collect()
    seen: list[Any] = []

    class Look(Component):
        def main(self) -> Generator[None, Any, None]:
            for _ in range(3):
                yield
            seen.append(snapshot(self.scheduler))  # type: ignore[arg-type]

    class Hold(Component):  # sends 5 and then waits for an end that never comes
        def main(self) -> Generator[None, Any, None]:
            for i in range(5):
                self.send(i)
            while not self.finished():
                self.pause()
                yield

    hold = Hold()
    s = Scheduler()
    system = Pipeline(hold, Echo(), sink)
    s.activate(system)
    s.activate(Look())
    with pytest.raises(Deadlock):  # once Look is done, Hold waits for ever
        s.run(timeout=10)
    snap = seen[0]
    assert snap.scheduler is not None
    h = snap.component("Pipeline[0]:Hold")
    assert h.state == "paused" and h.waiting_on == "a message on inbox or control"
    assert h.sent == 5
    e = snap.component("Pipeline[1]:Echo")
    assert e.received == 5 and e.sent == 5
    assert snap.component("Pipeline[2]:Collect").received == 5
    counts = {(lk.source.split(".")[1], lk.sink.split(".")[1]): lk.count for lk in snap.links
              if lk.kind == "outbox->inbox"}
    assert counts[("outbox", "inbox")] == 5
    assert "Pipeline[0]:Hold" not in snap.format()  # format shows names indented by depth
    assert "Hold" in snap.format() and "paused" in snap.format()


def test_a_fan_in_link_has_no_count() -> None:
    a, b, c = Count(2), Count(3), Collect()
    g = Graphline({("A", "outbox"): ("C", "inbox"), ("B", "outbox"): ("C", "inbox")}, A=a, B=b, C=c)
    snap = snapshot(g)
    into_c = [lk for lk in snap.links if lk.sink.endswith(".inbox") and lk.kind == "outbox->inbox"]
    assert len(into_c) == 2 and all(lk.count is None for lk in into_c)


def test_the_profiler_counts_timeslices_time_and_messages_sent() -> None:
    s = Scheduler()
    p = Profiler()
    s.add_instrument(p)
    count, sink = Count(10), Collect()
    s.activate(Pipeline(count, sink))
    s.run(timeout=10)
    assert p.timeslices[count] == 11
    assert p.sent[count] == 11  # ten numbers and the end
    assert p.seconds[count] > 0.0


def test_details_show_a_components_statistics_record_or_mapping_and_never_fail() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Stats:
        seen: int
        state: str

    class Reports(Component):
        def __init__(self, stats: object) -> None:
            super().__init__()
            self.stats = stats

        def statistics(self) -> object:
            if isinstance(self.stats, Exception):
                raise self.stats
            return self.stats

    shown = [snapshot(Reports(s)).components[0].details
             for s in (Stats(3, "ok"), {"seen": 4}, 7, OSError("down"))]
    assert shown == [{"seen": 3, "state": "ok"}, {"seen": 4}, {}, {}]
