"""Driving a graph viewer over TCP: a session per client, any number of clients at once.

:func:`viewer_server` is a TCP server (127.0.0.1:1500 by default, Kamaelia's port) whose
every connection is a :func:`viewer_session`: a :class:`ViewerSession` behind a
``LineSplitter`` (``components.line_session``).  A client sends command lines (UTF-8,
``\\n`` or ``\\r\\n``) and gets back, in order, the replies its own commands earn:
``ERROR <reason>`` for each bad line (a line that is not UTF-8, or longer than
``max_line`` bytes, too), ``GET ALL`` dumps and ``GET_NAME`` replies.  Every client also
hears the viewer's selection notices (``SELECT NODE`` / ``DESELECT NODE``), through a
backplane.

Memory stays bounded whatever a client does: a session has at most ``window`` batches of
commands at the viewer at once and takes no more lines until they are answered, the
``TCPServer`` bounds what each connection reads and holds, and a client that never reads
has its replies wait in its connection's bounded outbox (so its session stops taking
lines: TCP then slows the client) and its oldest unread selection notices dropped
(counted).  The viewer itself never waits for a client.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

from axon import (
    Backplane,
    BoxSpec,
    Component,
    EndSignal,
    Graphline,
    ProducerFinished,
    Shutdown,
    SubscribeTo,
)
from components import BadInput, Filter, TCPServer, line_session

from .commands import BadLine, CommandBatch, Replies

__all__ = ["MAX_LINE", "ViewerSession", "host_port", "is_notice", "viewer_server",
           "viewer_session"]

#: The longest command line a session takes (bytes, without the newline).
MAX_LINE = 16 * 1024



def host_port(text: str) -> tuple[str, int]:
    """A viewer's address as ``HOST:PORT`` (``:PORT`` is 127.0.0.1): an ``argparse``
    type for ``--introspect``."""
    import argparse  # (only command lines use it)

    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return host or "127.0.0.1", int(port)


_servers = itertools.count(1)


def is_notice(line: Any) -> bool:
    """Whether a line from the viewer's outbox is a selection notice (which every client
    hears), rather than a reply to a command from elsewhere (the console)."""
    return isinstance(line, str) and line.startswith(("SELECT NODE", "DESELECT NODE"))


class ViewerSession(Component):
    """One client's conversation with a viewer: lines in, the replies they earn out.

    Lines (``bytes`` from a ``LineSplitter``, or ``str``) go to the viewer as
    :class:`CommandBatch` records, at most ``batch`` lines each and at most ``window``
    batches unanswered; the viewer puts each batch's :class:`Replies` into ``replies``.
    ``BadInput`` records (over-long lines) and lines that are not UTF-8 go along as
    ``BadLine`` records, so their ``ERROR`` comes back in its place.  Selection notices
    on ``events`` are passed on as they come.  At the end of the client's stream the
    session waits for the replies still due, sends them, and ends.

    ::

        session.link((session, "commands"), (viewer, "inbox"))
    """

    Inboxes = {
        "inbox": "command lines (bytes or str) and BadInput records, in order",
        "control": "ProducerFinished: finish the replies, then end; Shutdown: end now",
        "replies": BoxSpec("Replies from the viewer, one per CommandBatch", 64, "error"),
        "events": BoxSpec("the viewer's selection notices (str), from a backplane; the "
                          "oldest unread are dropped past 256", 256, "drop_oldest"),
    }
    Outboxes = {
        "outbox": "reply and notice lines: bytes ending in a newline (str with text=True)",
        "signal": "the end, once every reply is out",
        "commands": "CommandBatch records, to the viewer's inbox",
    }

    def __init__(self, *, window: int = 4, batch: int = 2000, text: bool = False,
                 name: str | None = None) -> None:
        super().__init__(name=name or "ViewerSession")
        if not 1 <= window <= 64:
            raise ValueError(f"{self.name}: window must be 1..64 batches, not {window}")
        self.window = window
        self.batch = batch
        self.text = text
        self.lines = 0  # lines sent to the viewer
        self.batches = 0

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        commands = self.outboxes["commands"]
        replies = self.inboxes["replies"]
        inbox = self.inboxes["inbox"]
        waiting = 0  # batches at the viewer, not yet answered
        end: EndSignal | None = None
        open_for_lines = True
        while True:
            end = self.take_control(end)
            if isinstance(end, Shutdown):
                break
            for reply in self.recv_all("replies"):
                waiting -= 1
                if isinstance(reply, Replies) and reply.lines:
                    out.push(self._encode(reply.lines))
            notices = self.recv_all("events")
            if notices:
                out.push(self._encode([n for n in notices if isinstance(n, str)]))
            while waiting < self.window and inbox.queue:
                msgs = self.recv_all("inbox")
                if len(msgs) > self.batch:
                    self.put_back(msgs[self.batch:])
                    msgs = msgs[:self.batch]
                items = [item for item in map(_item, msgs) if item is not None]
                if items:
                    waiting += 1
                    self.batches += 1
                    self.lines += len(items)
                    commands.push(CommandBatch(items, replies))
            if end is not None and not waiting and not inbox.queue:
                break
            # with the window full, only a reply (or an end, or a notice) wakes it: lines
            # wait in the inbox (and behind it, in the socket)
            if (waiting < self.window) != open_for_lines:
                open_for_lines = not open_for_lines
                if open_for_lines:
                    self.wake_on(*self.inboxes)
                else:
                    self.wake_on("control", "replies", "events")
            self.pause()
            yield
        self.send(end if end is not None else ProducerFinished(), "signal")

    def _encode(self, lines: list[str]) -> Any:
        text = "".join(line + "\n" for line in lines)
        return text if self.text else text.encode("utf-8")


def _item(msg: Any) -> Any:
    """A line as the viewer takes it (None: nothing to send)."""
    if isinstance(msg, (bytes, bytearray)):
        try:
            line = bytes(msg).decode("utf-8")
        except UnicodeDecodeError as exc:
            return BadLine(f"not UTF-8 text (byte {exc.start}): command lines are UTF-8")
    elif isinstance(msg, str):
        line = msg
    elif isinstance(msg, BadInput):
        return BadLine(_bad_input_reason(msg))
    else:
        return BadLine(f"not a line: {type(msg).__name__}")
    return line if line.strip() else None


def _bad_input_reason(record: BadInput) -> str:
    return record.problem  # e.g. "line longer than 16384 bytes (max_line); skipped"


def viewer_session(viewer: Component, *, notices: str | None = None,
                   max_line: int = MAX_LINE, window: int = 4) -> Component:
    """A session for one TCP connection: a :func:`~components.line_session` (over-long
    lines become ``BadInput`` records, in order with the lines) of a :class:`ViewerSession`
    whose commands go to ``viewer``; with ``notices`` (a backplane's name) the session
    also passes on what is published there."""
    session = ViewerSession(window=window)
    children: dict[str, Component] = {}
    linkages: dict[tuple[str, str], tuple[str, str]] = {}
    if notices is not None:
        children["notices"] = SubscribeTo(notices)
        linkages[("notices", "outbox")] = ("session", "events")
        # the session's end also ends its subscription, so the whole protocol ends
        linkages[("session", "signal")] = ("notices", "control")
    g = line_session(session, max_line=max_line, name="ViewerSession", children=children,
                     linkages=linkages)
    session.link((session, "commands"), (viewer, "inbox"))  # goes when the session ends
    return g


def viewer_server(viewer: Component, *, host: str = "127.0.0.1", port: int = 1500,
                  max_line: int = MAX_LINE, window: int = 4, **server_args: Any) -> Graphline:
    """A TCP server whose clients drive ``viewer``; link the viewer's outbox to its inbox
    so that every client hears the selection notices.

    Its ``outbox`` sends the bound ``(host, port)`` once listening (``port=0``: a free
    port).  ``server_args`` go to the ``TCPServer`` (bounds per connection).

    ::

        Graphline({("viewer", "outbox"): ("server", "inbox")},
                  viewer=viewer, server=viewer_server(viewer, port=1500))
    """
    name = f"graph-viewer-notices-{next(_servers)}"

    def session() -> Component:
        return viewer_session(viewer, notices=name, max_line=max_line, window=window)

    return Graphline({
        ("self", "inbox"): ("notices", "inbox"),
        ("notices", "outbox"): ("backplane", "inbox"),
        ("tcp", "ready"): ("self", "outbox"),
    }, name="GraphViewerServer",
        notices=Filter(is_notice, name="notices"),
        backplane=Backplane(name),
        tcp=TCPServer(session, host=host, port=port, **server_args))

