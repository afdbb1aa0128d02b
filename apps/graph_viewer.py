"""The dynamic graph viewer: draw a graph by typing (or sending) commands.

Run ``python -m apps.graph_viewer`` (``--help`` for the options).  It listens on
127.0.0.1:1500 (``--port``; ``--port 0`` picks a free port) for any number of clients,
reads commands from the console with ``--console``, and prints the viewer's notices
(``SELECT NODE <id>`` for a click) and the replies to console commands on stdout.  Once
listening it prints one JSON line, ``{"listening": [host, port]}``.

::

    $ python -m apps.graph_viewer --demo &
    $ nc 127.0.0.1 1500
    ADD NODE greet "Hello there!" auto -
    ADD NODE world World 300,200 square
    ADD LINK greet world
    GET ALL
    DEL ALL
    ADD NODE x
    ERROR usage: ADD NODE <id> <name> [<pos> [<type>]]

The commands are in ``components.ui.graph.commands``.  Drag nodes with the left button,
drag the empty plane or use the arrow keys to scroll, the wheel or ``+``/``-`` to zoom,
``Home`` to fit everything; Q or Esc quits.  ``--navelgaze`` also shows the viewer's own
components (watch the sessions appear as clients connect), ``--introspect HOST:PORT``
sends them to another viewer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pygame

from axon import Component, Graphline, Introspector, Pipeline, run
from components import ConsoleEcho, ConsoleReader, IterableSource, Map, TCPClient
from components.timing import Clock
from components.ui import Display, KeyEvent, RequestQuit, window_size
from components.ui.graph import GraphViewer
from components.ui.graph.server import host_port, viewer_server

SIZE = (1000, 700)

#: What ``--demo`` draws: a few nodes of each built-in type.
DEMO = """\
ADD NODE mixer "audio mixer" 500,330 component
ADD NODE in1 "DJ1 in" 330,200 inbox
ADD NODE in2 "DJ2 in" 330,460 inbox
ADD NODE out "mix out" 680,330 outbox
ADD NODE greet "Hello there!" 180,120 -
ADD NODE world World 160,560 square
ADD NODE idea "an idea" 820,150 diamond
ADD LINK mixer in1
ADD LINK mixer in2
ADD LINK mixer out
ADD LINK greet in1
ADD LINK world in2
ADD LINK out idea
UPDATE_NAME LINK out idea 1234
"""


class Announce(Component):
    """Prints ``{"listening": [host, port]}`` for each address it is sent.

    ::

        Pipeline(server, Announce())
    """

    def main(self) -> Generator[Any, Any, None]:
        while not self.finished():
            for address in self.recv_all("inbox"):
                print(json.dumps({"listening": list(address)}), flush=True)
            self.pause()
            yield


def build(args: argparse.Namespace, clock: Clock | None = None) -> Graphline:
    """The application's system (``clock``: a FakeClock in tests)."""
    size = args.size
    viewer = GraphViewer(size, seed=args.seed)
    children: dict[str, Component] = {
        "display": Display(size, clock=clock, title="Axon: graph viewer", fps=args.fps,
                           frames=args.frames, screenshot=args.screenshot),
        "viewer": viewer,
        "echo": ConsoleEcho(),
        "keys": KeyEvent({pygame.K_q: (RequestQuit("Q pressed"), "quit"),
                          pygame.K_ESCAPE: (RequestQuit("Esc pressed"), "quit")},
                         outboxes={"quit": "RequestQuit, to the display"}),
    }
    to_viewer: list[str] = []
    notices: list[tuple[str, str]] = [("echo", "inbox")]
    linkages: dict[Any, Any] = {("keys", "quit"): ("display", "inbox")}
    if args.port is not None:
        children["server"] = viewer_server(viewer, host=args.host, port=args.port)
        children["announce"] = Announce()
        notices.append(("server", "inbox"))
        linkages[("server", "outbox")] = ("announce", "inbox")
    if args.console:
        children["console"] = ConsoleReader()
        to_viewer.append("console")
    text = DEMO if args.demo else ""
    if args.load:
        text += Path(args.load).read_text(encoding="utf-8")
    if text:
        children["load"] = IterableSource([text])
        to_viewer.append("load")
    if args.navelgaze:
        children["introspector"] = Introspector(include_own=True, min_gap=1 / 30)
        to_viewer.append("introspector")
    if args.introspect is not None:
        host, port = args.introspect
        children["remote"] = Pipeline(
            Introspector(include_own=True, min_gap=1 / 30, prefix=f"p{os.getpid()}_"),
            Map(str.encode), TCPClient(host, port), name="remote")
    for source in to_viewer:
        linkages[(source, "outbox")] = ("viewer", "inbox")
    linkages[("viewer", "outbox")] = notices
    return Graphline(linkages, name="GraphViewerApp", **children)  # type: ignore[arg-type]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m apps.graph_viewer",
                                 description="A graph drawn by commands, from the console "
                                             "or any number of TCP clients.")
    ap.add_argument("--port", type=int, default=1500,
                    help="TCP port for commands (default 1500; 0: any free port)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    ap.add_argument("--no-server", dest="port", action="store_const", const=None,
                    help="do not listen for TCP clients")
    ap.add_argument("--console", action="store_true", help="also read commands from stdin")
    ap.add_argument("--load", default=None, metavar="FILE",
                    help="apply the commands in FILE first (a GET ALL dump, say)")
    ap.add_argument("--demo", action="store_true", help="start with a small sample graph")
    ap.add_argument("--navelgaze", action="store_true",
                    help="show the viewer's own components too")
    ap.add_argument("--introspect", type=host_port, default=None, metavar="HOST:PORT",
                    help="send this program's components to the viewer at HOST:PORT")
    ap.add_argument("--frames", type=int, default=None, help="run N frames, then exit 0")
    ap.add_argument("--fps", type=float, default=60.0, help="target frame rate (default 60)")
    ap.add_argument("--size", type=window_size, default=SIZE, metavar="WxH",
                    help=f"window size (default {SIZE[0]}x{SIZE[1]})")
    ap.add_argument("--screenshot", default=None, metavar="PNG",
                    help="save the last frame to this file")
    ap.add_argument("--seed", type=int, default=None, help="seed for node placement")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run(build(parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
