"""Introspector: topology changes as text commands."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from axon import Component, Introspector, Pipeline, ProducerFinished, run
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
