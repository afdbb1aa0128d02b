"""ViewerSession: a client's lines to the viewer in windowed batches, its replies back in
order (its own errors in their place), notices passed on, and a clean end."""

from __future__ import annotations

from axon import Component, ProducerFinished
from components import BadInput
from components.testing import FakeClock, Harness
from components.ui.graph import CommandBatch, GraphViewer, Replies
from components.ui.graph.server import ViewerSession, is_notice
from components.ui.testing import UIHarness


class Sink(Component):
    """Never started: its inbox keeps what the session sends the viewer."""

    Inboxes = {"inbox": "what the session sends the viewer", "control": "unused"}


def test_replies_come_back_in_order_with_the_sessions_own_errors_in_place():
    clock = FakeClock()
    viewer = GraphViewer((200, 150))
    session = ViewerSession()
    with UIHarness(viewer, session, size=(200, 150), clock=clock) as ui:
        session.link((session, "commands"), (viewer, "inbox"))
        out = ui.watch(session)
        box = session.inboxes["inbox"]
        for line in [b"ADD NODE a A", b"NOPE", b"\xff\xfe", b"   ",
                     BadInput("split", "line longer than 16384 bytes (max_line); skipped"),
                     b"GET_NAME NODE a", "ADD LINK a ghost"]:
            box.put(line)
        ui.frames(1)
        text = b"".join(out).decode()
        assert text.splitlines() == [
            "ERROR unknown command 'NOPE' (commands: ADD, DEL, FREEZE, GET, GET_NAME, "
            "UNFREEZE, UPDATE_NAME)",
            "ERROR not UTF-8 text (byte 0): command lines are UTF-8",
            "ERROR line longer than 16384 bytes (max_line); skipped",
            "UPDATE_NAME NODE a A",
            "ERROR no node 'ghost'",
        ]
        assert session.batches == 1 and session.lines == 6  # the blank line is not sent


def test_at_most_window_batches_wait_for_replies():
    sink = Sink()
    session = ViewerSession(window=2, batch=3)
    session.link((session, "commands"), (sink, "inbox"))
    with Harness(session) as h:
        for k in range(10):
            session.inboxes["inbox"].put(f"ADD NODE n{k} N")
        h.run_until_idle()
        batches = list(sink.inboxes["inbox"].queue)
        assert [len(b.commands) for b in batches] == [3, 3]  # two batches, then it waits
        assert len(session.inboxes["inbox"].queue) == 4  # the rest not even taken
        assert all(isinstance(b, CommandBatch) for b in batches)
        batches[0].reply_to.put(Replies(["ERROR one"]))
        h.run_until_idle()
        assert [len(b.commands) for b in sink.inboxes["inbox"].queue] == [3, 3, 3]
        session.inboxes["control"].put(ProducerFinished())
        h.run_until_idle()
        assert not session.done  # replies are due
        answered = 1
        while answered < len(sink.inboxes["inbox"].queue):  # answer the rest
            list(sink.inboxes["inbox"].queue)[answered].reply_to.put(Replies([]))
            answered += 1
            h.run_until_idle()
        assert answered == 4
        assert session.lines == 10 and session.done
        assert isinstance(h.take("signal")[-1], ProducerFinished)
        assert h.take("outbox")[0] == b"ERROR one\n"


def test_notices_are_passed_on_and_recognised():
    session = ViewerSession(text=True)
    with Harness(session) as h:
        h.feed("events", "SELECT NODE a", "DESELECT NODE a")
        assert h.take("outbox") == ["SELECT NODE a\nDESELECT NODE a\n"]
    assert is_notice("SELECT NODE x") and is_notice("DESELECT NODE x")
    assert not is_notice("ERROR SELECT NODE x") and not is_notice(b"SELECT NODE x")
