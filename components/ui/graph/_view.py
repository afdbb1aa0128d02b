"""``axon view``: run a script's system and watch it live.

    axon view path/to/script.py[:name] [--counts] [--self] [--frames N] [--size WxH]
    axon view path/to/script.py[:name] --introspect HOST:PORT
    axon view --self

The script is loaded as ``axon run`` loads it.  Its system runs beside a window showing
its components, boxes and links as they come and go (``--counts``: with message counts on
the links).  The window stays open after the system has finished, until it is closed
(or Q, Esc, ``--frames N``).  ``--self`` shows the viewer's own components as well (with
no script: only those).  ``--introspect HOST:PORT`` opens no window: the topology goes to
the graph viewer listening there (``python -m apps.graph_viewer --port P``), its ids
prefixed with this process's id, so several processes can share one viewer.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from axon import Component, ComponentError, Graphline, Introspector, Pipeline, Scheduler
from axon.cli import CliError, Command, load_system

from ..display import window_size
from .server import host_port

__all__ = ["COMMAND", "add_view_arguments", "view"]


def add_view_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("script", nargs="?", default=None,
                   help="path/to/script.py[:name] (default name: system)")
    p.add_argument("--counts", action="store_true", help="label links with message counts")
    p.add_argument("--self", dest="include_self", action="store_true",
                   help="show the viewer's own components too (watching the watcher)")
    p.add_argument("--introspect", type=host_port, default=None, metavar="HOST:PORT",
                   help="send the topology to the graph viewer at HOST:PORT instead of "
                        "opening a window")
    p.add_argument("--frames", type=int, default=None, help="run N frames, then exit")
    p.add_argument("--fps", type=float, default=60.0, help="frame rate (default 60)")
    p.add_argument("--size", type=window_size, default=(1000, 700), metavar="WxH",
                   help="window size (default 1000x700)")
    p.add_argument("--screenshot", default=None, metavar="PNG",
                   help="save the last frame to this file")
    p.add_argument("--timeout", type=float, default=None, help="give up after S seconds")


def view(args: argparse.Namespace) -> int:
    """Run ``axon view``; returns the exit status (CliError for what the user can fix)."""
    if args.script is None and not args.include_self:
        raise CliError("give a script to view (path/to/script.py[:name]), or --self")
    system = load_system(args.script) if args.script is not None else None
    systems: list[Component] = [system] if system is not None else []
    if args.introspect is not None:
        if system is None:
            raise CliError("--introspect sends a script's system: give the script")
        systems.append(_remote(system, args))
    else:
        systems.append(_window(system, args))
    sched = Scheduler()
    for s in systems:
        sched.activate(s)
    try:
        sched.run(timeout=args.timeout)
    except ComponentError as exc:
        if args.introspect is not None and isinstance(exc.error, ConnectionError) \
                and exc.path.startswith("introspect"):
            host, port = args.introspect
            raise CliError(f"cannot reach a graph viewer at {host}:{port} ({exc.error}); "
                           "start one with: python -m apps.graph_viewer --port "
                           f"{port}") from None
        raise
    return 0


def _remote(system: Component, args: argparse.Namespace) -> Component:
    from components import ConsoleEcho, Map, TCPClient

    host, port = args.introspect
    intro = Introspector(watch=[system], counts=args.counts, min_gap=1 / 30,
                         prefix=f"p{os.getpid()}_")
    return Pipeline(intro, Map(str.encode), TCPClient(host, port),
                    Map(lambda b: b.decode("utf-8", "replace").rstrip("\n")),
                    ConsoleEcho(sys.stderr, tag="viewer: "), name="introspect")


def _window(system: Component | None, args: argparse.Namespace) -> Component:
    import pygame

    from components.ui import Display, KeyEvent, RequestQuit

    from .live import live_view

    title = f"axon view {args.script}" if args.script else "axon view --self"
    watched: tuple[Component, ...] = () if system is None or args.include_self else (system,)
    children: dict[str, Any] = {
        "display": Display(args.size, title=title, fps=args.fps, frames=args.frames,
                           screenshot=args.screenshot),
        "view": live_view(*watched, include_self=args.include_self, counts=args.counts,
                          size=args.size),
        "keys": KeyEvent({pygame.K_q: (RequestQuit("Q pressed"), "quit"),
                          pygame.K_ESCAPE: (RequestQuit("Esc pressed"), "quit")},
                         outboxes={"quit": "RequestQuit, to the display"}),
    }
    return Graphline({("keys", "quit"): ("display", "inbox")}, name="AxonView", **children)


#: ``axon view``: added to the ``axon`` command by this package's entry point (setup.cfg)
COMMAND = Command(help="run the system a script defines and watch it live",
                  add_arguments=add_view_arguments, run=view)
