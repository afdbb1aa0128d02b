"""GraphViewer, headless: every command and its reply, bad commands, GET ALL replayed,
everything waiting applied before the next picture, clicks after scrolling and zooming,
dragging, node types drawn differently, and no work once the layout is still."""

from __future__ import annotations

from collections import deque
from typing import Any

import pygame
import pytest

from axon import Component, Instrument, ProducerFinished, Shutdown
from components.testing import FakeClock
from components.ui.graph import (
    AddLink,
    AddNode,
    CommandBatch,
    GraphViewer,
    ParticleType,
    Replies,
)
from components.ui.graph.particles import DEFAULT_TYPES
from components.ui.testing import UIHarness

SIZE = (400, 300)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Viewing:
    """A viewer in a UIHarness: ``cmd(text)`` puts text in its inbox and runs a frame."""

    def __init__(self, ui: UIHarness, viewer: GraphViewer) -> None:
        self.ui = ui
        self.viewer = viewer
        self.out: deque[Any] = ui.watch(viewer)

    def cmd(self, *msgs: Any, frames: int = 1) -> list[Any]:
        self.out.clear()
        for msg in msgs:
            self.viewer.inboxes["inbox"].put(msg)
        self.ui.frames(frames)
        return list(self.out)


@pytest.fixture
def view(clock):  # type: ignore[no-untyped-def]
    viewer = GraphViewer(SIZE, seed=3)
    with UIHarness(viewer, size=SIZE, clock=clock) as ui:
        yield Viewing(ui, viewer)


def topology(viewer: GraphViewer) -> Any:
    return viewer.graph().topology()


# -- the commands, one by one ----------------------------------------------------------------


def test_each_command_and_its_reply(view):
    v = view.viewer
    assert view.cmd("ADD NODE a 'Node A' 100,80 -") == []
    assert view.cmd('ADD NODE b "Node B" auto square', "ADD NODE c C randompos") == []
    nodes, links = topology(v)
    assert nodes == {"a": ("Node A", "-"), "b": ("Node B", "square"), "c": ("C", "-")}
    assert view.cmd("ADD LINK a b", "ADD LINK b c") == []
    assert set(topology(v)[1]) == {("a", "b"), ("b", "c")}
    assert view.cmd("UPDATE_NAME LINK a b 42") == []
    assert v.graph().links[("a", "b")] == "42"
    assert view.cmd("UPDATE_NAME NODE a 'Renamed A'") == []
    assert view.cmd("GET_NAME NODE a") == ["UPDATE_NAME NODE a \"Renamed A\""]
    assert view.cmd("DEL LINK b c") == []
    assert set(topology(v)[1]) == {("a", "b")}
    assert view.cmd("FREEZE ALL") == [] and v.graph().frozen
    assert view.cmd("UNFREEZE ALL") == [] and not v.graph().frozen
    assert view.cmd("DEL NODE a") == []
    assert topology(v) == ({"b": ("Node B", "square"), "c": ("C", "-")}, {})
    (dump,) = view.cmd("GET ALL")
    assert dump.splitlines()[0] == "DEL ALL"
    assert dump.splitlines()[-1] == "# end of GET ALL (2 nodes, 0 links)"
    assert view.cmd("DEL ALL") == []
    assert topology(v) == ({}, {})


def test_positions_given_are_kept_while_frozen(view):
    view.cmd("FREEZE ALL", "ADD NODE a A 120,-40 -", frames=5)
    node = view.viewer.graph().nodes["a"]
    assert (node.x, node.y) == (120, -40)


def test_token_lists_records_and_lists_of_them_are_commands_too(view):
    view.cmd(["ADD", "NODE", "a", "A b", "auto", "-"],
             [["ADD", "NODE", "b", "B", "auto", "-"], AddNode("c", "C")],
             AddLink("a", "c"), ("GET_NAME", "NODE", "a"))
    assert topology(view.viewer) == (
        {"a": ("A b", "-"), "b": ("B", "-"), "c": ("C", "-")}, {("a", "c"): ""})
    assert list(view.out) == ['UPDATE_NAME NODE a "A b"']


@pytest.mark.parametrize("line, reason", [
    ("BOGUS", "ERROR unknown command 'BOGUS'"),
    ("ADD NODE a", "ERROR usage: ADD NODE"),
    ("ADD NODE x X auto nosuchtype", "ERROR unknown node type 'nosuchtype'"),
    ("ADD NODE a dup", "ERROR node 'a' exists"),
    ("DEL NODE ghost", "ERROR no node 'ghost'"),
    ("ADD LINK a ghost", "ERROR no node 'ghost'"),
    ("ADD LINK a a", "ERROR a link joins two nodes"),
    ("ADD LINK a b", "ERROR link 'a' -> 'b' exists"),
    ("DEL LINK b a", "ERROR no link 'b' -> 'a'"),
    ("UPDATE_NAME NODE ghost x", "ERROR no node 'ghost'"),
    ("UPDATE_NAME LINK b a x", "ERROR no link 'b' -> 'a'"),
    ("GET_NAME NODE ghost", "ERROR no node 'ghost'"),
    ('ADD NODE "unclosed', "ERROR unbalanced quote"),
])
def test_a_bad_command_gets_one_error_and_changes_nothing(view, line, reason):
    view.cmd("ADD NODE a A", "ADD NODE b B", "ADD LINK a b")
    before = topology(view.viewer)
    (reply,) = view.cmd(line)
    assert reply.startswith(reason)
    assert topology(view.viewer) == before
    assert view.cmd("ADD NODE z Z") == []  # and it carries on
    assert "z" in view.viewer.graph().nodes


def test_bad_lines_in_a_batch_each_get_their_error_in_order(view):
    replies = view.cmd("ADD NODE a A\nNOPE 1\nADD NODE b B\n\n# note\nNOPE 2\nGET_NAME NODE b",
                       42, None)
    assert [r.split(" '")[0] if r.startswith("ERROR unknown") else r for r in replies] == [
        "ERROR unknown command", "ERROR unknown command", "UPDATE_NAME NODE b B",
        "ERROR not a command: int", "ERROR not a command: NoneType"]
    assert "'NOPE'" in replies[0] and view.viewer.statistics().errors == 4


def test_a_command_batch_gets_its_replies_on_its_own_inbox(view, clock):
    class Client(Component):
        Inboxes = {"replies": "Replies"}

    client = Client()
    box = client.inboxes["replies"]
    view.cmd(CommandBatch(["ADD NODE a A", "NOPE", "GET ALL"], box),
             CommandBatch([], box))
    assert list(view.out) == []  # nothing on outbox
    first, second = list(box.queue)
    assert isinstance(first, Replies) and first.lines[0].startswith("ERROR unknown command")
    assert first.lines[1] == "DEL ALL" and first.lines[-1].startswith("# end of GET ALL (1 ")
    assert second == Replies([])  # an empty batch is acknowledged too


# -- GET ALL replays --------------------------------------------------------------------------


def test_get_all_replayed_into_a_fresh_viewer_gives_the_same_graph(clock):
    first = GraphViewer(SIZE, seed=1)
    second = GraphViewer(SIZE, seed=2, position=(0, 0))
    with UIHarness(first, size=SIZE, clock=clock) as ui:
        v = Viewing(ui, first)
        v.cmd("ADD NODE a 'a name with spaces' auto -\nADD NODE b 'it''s \"quoted\"' "
              "randompos square\nADD NODE c 'line\\nbreak' 3.25,-7 component\n"
              "ADD NODE d D auto inbox\nADD LINK a b\nADD LINK b c\nADD LINK c a\n"
              "ADD LINK c d\nUPDATE_NAME LINK c d '17 msgs'", frames=30)  # laid out a while
        v.cmd("FREEZE ALL")
        (dump,) = v.cmd("GET ALL")
        expected = first.graph()
    with UIHarness(second, size=SIZE, clock=clock) as ui:
        Viewing(ui, second).cmd("ADD NODE junk J", dump)  # DEL ALL comes first
        assert second.graph() == expected  # names, types, exact positions, links, labels
        assert second.graph().frozen


# -- every command waiting applied before the next picture ----------------------------------


def test_everything_waiting_is_applied_before_the_next_picture(clock):
    viewer = GraphViewer(SIZE, slice_time=0.0005)  # many timeslices for 5,000 commands
    with UIHarness(viewer, size=SIZE, clock=clock) as ui:
        seen: list[int] = []
        draw = viewer._draw
        viewer._draw = lambda: (seen.append(len(viewer.graph().nodes)), draw())  # type: ignore[method-assign]
        slices = _count_slices(ui, viewer)
        for k in range(5000):
            viewer.inboxes["inbox"].put(f"ADD NODE n{k} N{k} auto -")
        ui.frames(1)
        assert seen and seen[0] == 5000  # the first picture after the burst shows it all
        assert slices[0] > 2  # and it took several timeslices, not one long one


def _count_slices(ui: UIHarness, viewer: GraphViewer) -> list[int]:
    count = [0]

    class Slices(Instrument):
        def before_timeslice(self, component: Component) -> None:
            if component is viewer:
                count[0] += 1

    ui.harness.scheduler.add_instrument(Slices())
    return count


# -- the mouse and the keys -------------------------------------------------------------------


def test_a_click_selects_the_right_node_after_scrolling(view):
    v = view.viewer
    view.cmd("FREEZE ALL", "ADD NODE a A 100,100 -", "ADD NODE b B 300,100 square")
    before = v.to_screen("b")
    assert before == (300, 100)
    view.ui.key(pygame.K_RIGHT, up=False)
    view.ui.frames(8)
    view.ui.key(pygame.K_RIGHT)  # released
    view.ui.key(pygame.K_DOWN, up=False)
    view.ui.frames(3)
    view.ui.key(pygame.K_DOWN)
    view.ui.frames(3)
    after = v.to_screen("b")
    assert after[0] < before[0] - 20 and after[1] < before[1] - 4  # the plane moved
    square = DEFAULT_TYPES["square"].colour
    assert view.ui.pixel(*after) == square  # drawn where the viewer says
    assert view.ui.pixel(*before) != square
    view.out.clear()
    view.ui.click(after)
    view.ui.frames(1)
    assert list(view.out) == ["SELECT NODE b"]
    assert v.graph().selected == "b"
    view.ui.click(before)  # where b was before the scroll: nothing there now
    view.ui.frames(1)
    assert list(view.out) == ["SELECT NODE b", "DESELECT NODE b"]


def test_a_click_after_zooming_and_the_wheel_keeps_the_point_under_the_pointer(view):
    v = view.viewer
    view.cmd("FREEZE ALL", "ADD NODE a A 100,100 -", "ADD NODE b B 140,100 -")
    view.ui.motion((100, 100))
    view.ui.post(pygame.MOUSEWHEEL, x=0, y=3)
    view.ui.frames(2)
    assert v.zoom > 1.5
    assert v.to_screen("a") == (100, 100)  # the wheel zooms about the pointer
    bx, by = v.to_screen("b")
    assert bx > 140 + 20
    view.out.clear()
    view.ui.click((bx, by))
    view.ui.frames(1)
    assert list(view.out) == ["SELECT NODE b"]


def test_dragging_a_node_moves_it_and_holds_it_while_the_layout_runs(view):
    v = view.viewer
    view.cmd("ADD NODE a A 100,150 -", "ADD NODE b B 130,150 -", "ADD LINK a b")
    ax, ay = v.to_screen("a")
    view.ui.post(pygame.MOUSEBUTTONDOWN, pos=(ax, ay), button=1)
    for k in range(1, 6):
        view.ui.motion((ax + 30 * k, ay + 10 * k), buttons=(1, 0, 0))
        view.ui.frames(1)
        node = v.graph().nodes["a"]
        assert v.to_screen("a") == (ax + 30 * k, ay + 10 * k)  # under the pointer
        assert not v.statistics().settled  # while the rest of the layout moves
    view.ui.frames(5)
    assert v.to_screen("a") == (ax + 150, ay + 50)  # frozen while held
    view.ui.post(pygame.MOUSEBUTTONUP, pos=(ax + 150, ay + 50), button=1)
    view.ui.frames(10)
    assert v.graph().nodes["a"] != node  # let go: the spring pulls it again
    assert list(view.out)[:1] == ["SELECT NODE a"]


def test_deleting_the_selected_node_deselects_it(view):
    view.cmd("FREEZE ALL", "ADD NODE a A 50,50 -")
    view.ui.click((50, 50))
    view.ui.frames(1)
    assert view.cmd("DEL NODE a") == ["DESELECT NODE a"]
    assert view.viewer.graph().selected is None


def test_home_fits_every_node_in_the_window(view):
    v = view.viewer
    view.cmd("FREEZE ALL", "ADD NODE a A -2000,-900 -", "ADD NODE b B 3000,1200 -")
    view.ui.key(pygame.K_HOME)
    view.ui.frames(2)
    for node in "ab":
        x, y = v.to_screen(node)
        assert 0 <= x < SIZE[0] and 0 <= y < SIZE[1]


# -- drawing ------------------------------------------------------------------------------------


class Star(ParticleType):
    colour = (250, 0, 250)
    radius = 10.0


def test_node_types_draw_differently_and_links_run_under_nodes(clock):
    viewer = GraphViewer(SIZE, particle_types={"star": Star()}, grid=False)
    with UIHarness(viewer, size=SIZE, clock=clock) as ui:
        v = Viewing(ui, viewer)
        v.cmd("FREEZE ALL\nADD NODE a A 60,60 -\nADD NODE b B 160,60 square\n"
              "ADD NODE c C 260,60 component\nADD NODE d D 60,200 inbox\n"
              "ADD NODE e E 160,200 outbox\nADD NODE f F 260,200 star\n"
              "ADD NODE g G 360,60 diamond\n"
              "ADD LINK a c\nADD LINK d f")  # each link passes over b's or e's centre
        colours = {n: ui.pixel(*viewer.to_screen(n)) for n in "abcdefg"}
        assert len(set(colours.values())) == 7, colours
        assert colours["f"] == Star.colour
        assert colours["b"] == DEFAULT_TYPES["square"].colour  # not the link over it
        assert colours["e"] == DEFAULT_TYPES["outbox"].colour
        assert ui.pixel(110, 60) != viewer.background  # the link itself shows


# -- costs nothing when still --------------------------------------------------------------------


def test_once_still_it_takes_no_frames_and_no_timeslices(view):
    v = view.viewer
    view.cmd("ADD NODE a A auto -\nADD NODE b B auto -\nADD LINK a b", frames=2)
    view.ui.frames(600)
    stats = v.statistics()
    assert stats.settled and stats.ticks < 600
    slices = _count_slices(view.ui, v)
    ticks, drawn = stats.ticks, stats.drawn
    view.ui.frames(120)
    assert slices == [0]  # not woken at all
    assert (v.statistics().ticks, v.statistics().drawn) == (ticks, drawn)
    view.cmd("ADD NODE c C auto -")  # a change starts it again
    assert v.statistics().drawn > drawn and not v.statistics().settled


# -- ends ------------------------------------------------------------------------------------------


def test_it_lingers_after_producer_finished_and_ends_on_shutdown(view):
    v = view.viewer
    v.inboxes["control"].put(ProducerFinished())
    view.cmd("ADD NODE a A")  # still taking commands and drawing
    assert not v.done and "a" in v.graph().nodes
    v.inboxes["control"].put(Shutdown())
    view.ui.frames(2)
    assert v.done


def test_without_linger_it_ends_after_the_commands_before_the_end(clock):
    viewer = GraphViewer(SIZE, linger=False)
    with UIHarness(viewer, size=SIZE, clock=clock) as ui:
        out = ui.watch(viewer, "signal")
        viewer.inboxes["inbox"].put("ADD NODE a A\nGET_NAME NODE a")
        viewer.inboxes["control"].put(ProducerFinished())
        ui.frames(2)
        assert viewer.done and isinstance(out[0], ProducerFinished)
        assert "a" in viewer.graph().nodes
