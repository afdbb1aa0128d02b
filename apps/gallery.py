"""Widget gallery: every widget in one window, wired together.

Run ``python -m apps.gallery`` (``--help`` for the options).  Type in the box and press
Enter: the line goes to the ticker, word by word.  "Clear ticker" empties it.  The left
and right arrow keys switch the picture.  Draw on the board with the mouse.  The log
below shows what every widget sent; the bottom line names the last key.  Escape or
closing the window quits.

The wiring is one Graphline: a ``Textbox`` feeds a ``Ticker`` and the log; a ``Button``
clears the ticker; a ``KeyEvent`` steps through the pictures (a ``Map`` keeps the count)
for an ``Image``; a ``DrawingBoard``'s strokes are logged; a second ``KeyEvent`` names
every key on a ``Label``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import pygame

from axon import Component, Graphline, run
from components.timing import Clock
from components import Map
from components.ui import (
    Button,
    Clicked,
    Display,
    DrawingBoard,
    Image,
    KeyEvent,
    Label,
    RequestQuit,
    Stroke,
    TextDisplayer,
    Textbox,
    Ticker,
)

from . import _art

SIZE = (900, 640)
WELCOME = ("Welcome to the Axon widget gallery. Type a line in the box above and press "
           "Enter to send it here.")
BACK = (28, 30, 44)


class Pictures:
    """Steps through the pictures: +1 / -1 in, (number, picture) out."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.pictures = [_art.scene(k, size) for k in range(3)]
        self.index = 0

    def __call__(self, step: int) -> tuple[int, pygame.Surface]:
        self.index = (self.index + step) % len(self.pictures)
        return self.index, self.pictures[self.index]


def describe(msg: Any) -> str:
    """A log line for what a widget sent."""
    if isinstance(msg, Clicked):
        return f"button: {msg.button}"
    if isinstance(msg, Stroke):
        return f"board: a stroke of {len(msg.points)} points"
    if isinstance(msg, tuple):
        return f"image: picture {msg[0] + 1} of 3"
    return f"textbox: {msg}"


def build(args: argparse.Namespace, clock: Clock | None = None) -> Graphline:
    """The application's system (``clock``: a FakeClock in tests)."""
    pictures = Pictures((400, 246))
    ticker = Ticker((420, 200), (20, 116), font_size=30, clock=clock)
    ticker.inboxes["inbox"].put(args.welcome)  # waits in its inbox until it runs
    children: dict[str, Component] = {
        "display": Display(SIZE, clock=clock, title="Axon: widget gallery", fps=args.fps,
                           frames=args.frames, screenshot=args.screenshot,
                           background=BACK),
        "title": Label("Axon widget gallery", (20, 14), size=(860, 40), font_size=40,
                       foreground=(240, 220, 150), background=BACK),
        "box": Textbox((420, 36), (20, 70)),
        "ticker": ticker,
        "clear": Button("Clear ticker", (20, 326), size=(150, 34), clock=clock),
        "hello": Button("Hello", (180, 326), size=(100, 34), background=(60, 130, 80),
                        clock=clock),
        "arrows": KeyEvent({pygame.K_LEFT: -1, pygame.K_RIGHT: 1,
                            pygame.K_ESCAPE: (RequestQuit("Escape pressed"), "quit")},
                           outboxes={"quit": "RequestQuit, to the display"}),
        "step": Map(pictures),
        "picture": Map(lambda shown: shown[1]),
        "image": Image(pictures.pictures[0], (480, 70), size=(400, 246)),
        "hint": Label("left / right: another picture", (480, 326), size=(400, 30),
                      font_size=24, foreground=(160, 170, 200), background=BACK),
        "board": DrawingBoard((400, 250), (480, 370), colour=(40, 60, 160), width=3),
        "describe": Map(describe),
        "log": TextDisplayer((440, 210), (20, 370), font_size=22),
        "keys": KeyEvent(all_keys=True),
        "keyname": Map(lambda k: f"last key: {pygame.key.name(k.key)}"),
        "lastkey": Label("last key: (none yet)", (20, 594), size=(440, 30), font_size=24,
                         background=BACK),
    }
    linkages: dict[Any, Any] = {
        ("box", "outbox"): [("ticker", "inbox"), ("describe", "inbox")],
        ("clear", "outbox"): [("ticker", "clear"), ("describe", "inbox")],
        ("hello", "outbox"): ("describe", "inbox"),
        ("arrows", "outbox"): ("step", "inbox"),
        ("arrows", "quit"): ("display", "inbox"),
        ("step", "outbox"): [("picture", "inbox"), ("describe", "inbox")],
        ("picture", "outbox"): ("image", "inbox"),
        ("board", "outbox"): ("describe", "inbox"),
        ("describe", "outbox"): ("log", "inbox"),
        ("keys", "allkeys"): ("keyname", "inbox"),
        ("keyname", "outbox"): ("lastkey", "inbox"),
    }
    return Graphline(linkages, name="Gallery", **children)  # type: ignore[arg-type]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m apps.gallery",
                                 description="Every widget in one window, wired together.")
    ap.add_argument("--frames", type=int, default=None, help="run N frames, then exit 0")
    ap.add_argument("--fps", type=float, default=60.0, help="target frame rate (default 60)")
    ap.add_argument("--welcome", default=WELCOME, help="the ticker's first text")
    ap.add_argument("--screenshot", default=None, metavar="PNG",
                    help="save the last frame to this file")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run(build(parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
