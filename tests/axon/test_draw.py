"""Drawings: DOT content, and a PNG rendered by Graphviz's dot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from axon import Component, Graphline, Pipeline, draw, snapshot, to_dot
from tests.axon.parts import Collect, Count, Echo, Map

graphviz = pytest.importorskip("graphviz")


def system() -> Pipeline:
    inner = Pipeline(Map(lambda x: x * 10, name="Times10"), Echo(), name="Inner")
    g = Graphline({("self", "inbox"): ("A", "inbox"), ("A", "outbox"): ("B", "inbox"),
                   ("A", "signal"): ("B", "control"), ("B", "outbox"): ("self", "outbox"),
                   ("B", "signal"): ("self", "signal")},
                  A=Map(lambda x: x + 1, name="Inc"), B=inner, name="Graph")
    return Pipeline(Count(5), g, Collect())


def test_components_are_nodes_compositions_clusters_and_boxes_ports() -> None:
    src = to_dot(system()).source
    assert src.count("subgraph cluster_") == 3  # Pipeline, Graph, Inner
    for name in ("[0] Count", "[A] Inc", "[0] Times10", "[1] Echo", "[2] Collect"):
        assert f"<b>{name}</b>" in src
    assert 'port="i_inbox"' in src and 'port="o_signal"' in src
    assert "rankdir=LR" in src


def test_links_are_edges_between_ports_and_control_links_are_dashed() -> None:
    snap = snapshot(system())
    src = to_dot(snap).source
    count = snap.component("Pipeline[0]:Count")
    assert f"{count.id}:o_outbox:e ->" in src
    edges = [line for line in src.splitlines() if "->" in line]
    assert len(edges) == len(snap.links)
    assert sum("dashed" in e for e in edges) == sum(
        "control" in lk.sink or "signal" in lk.source for lk in snap.links)


def test_edges_are_labelled_with_counts_once_messages_flowed() -> None:
    sink = Collect()
    p = Pipeline(Count(3), Echo(), sink)
    # deliver by hand, without running: three messages reach Echo's inbox
    for i in range(3):
        p.children[0].send(i)
    src = to_dot(p).source
    assert 'label=3' in src


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_a_png_and_an_svg_are_rendered(tmp_path: Path) -> None:
    png = draw(system(), tmp_path / "system.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = draw(system(), tmp_path / "system.svg", title="A graphline")
    assert "<svg" in svg.read_text() and "A graphline" in svg.read_text()
    dot = draw(system(), tmp_path / "system.dot")
    assert dot.read_text().startswith("digraph")


def test_draw_makes_the_folders_of_its_output_path(tmp_path: Path) -> None:
    from axon import Pipeline, draw
    from tests.axon.parts import Collect, Count

    out = draw(Pipeline(Count(1), Collect()), tmp_path / "a" / "b" / "system.dot")
    assert out.exists() and "digraph" in out.read_text()


def test_a_box_whose_name_has_a_dot_still_gets_its_edge() -> None:
    a, b = Component(name="A"), Component(name="B")
    a.add_outbox("out.v2", "a dotted name")
    g = Component(name="G")
    g.add_children(a, b)
    g.link((a, "out.v2"), (b, "inbox"))
    edges = [line for line in to_dot(g).source.splitlines() if ":o_out_v2:" in line]
    assert len(edges) == 1 and ":i_inbox:" in edges[0]


def test_a_child_process_is_a_cluster_titled_with_its_pid_and_crossings_are_bold() -> None:
    from axon import ChildProcess, run
    from tests.axon.process_parts import doubled_twice

    stage = ChildProcess(doubled_twice)
    system = Pipeline(Count(100, per_slice=10), stage, Collect())
    before = to_dot(system).source
    assert "a child process (not started)" in before  # drawn from a component made here
    assert "<b>[1] Double</b>" in before
    run(system, timeout=30)
    src = to_dot(system).source
    assert f"process {stage.pid}, exit 0: 101 in, 101 out" in src
    crossing = [line for line in src.splitlines() if "->" in line and "penwidth=2" in line]
    assert len(crossing) == 4  # inbox, control in; outbox, signal out
    assert sum("label=100" in line for line in crossing) == 2
