"""User-controlled sprites: a cat steered with W A S D and a mouse with the arrow keys.

Run ``python -m apps.steer`` (``--help`` for the options).  Each sprite is a Pipeline of
input and logic: a ``KeyEvent`` maps key presses and releases to ``Steer`` messages (the
key table is plain data), ``Steering`` turns them into a position per frame, and a
``Sprite`` shows it.  A key moves its sprite at the next frame.  Q or closing the window
quits.
"""

from __future__ import annotations

import argparse
import sys

import pygame

from axon import Component, Graphline, Pipeline, run
from components.timing import Clock
from components.ui import (
    Direction, Display, KeyEvent, RequestQuit, Sprite, Steer, Steering, window_size,
)

from . import _art
from ._report import Reporter

SIZE = (800, 600)
HELP = "cat: W A S D    mouse: arrow keys    Q quit"
CAT_KEYS = {pygame.K_w: Direction.UP, pygame.K_s: Direction.DOWN, pygame.K_a: Direction.LEFT,
            pygame.K_d: Direction.RIGHT}
MOUSE_KEYS = {pygame.K_UP: Direction.UP, pygame.K_DOWN: Direction.DOWN,
              pygame.K_LEFT: Direction.LEFT, pygame.K_RIGHT: Direction.RIGHT}


def steered(picture: pygame.Surface, keys: dict[int, Direction], start: tuple[float, float],
            *, speed: float, size: tuple[int, int], name: str) -> Pipeline:
    """Input and logic in a line: KeyEvent -> Steering -> Sprite."""
    w, h = picture.get_size()
    down = {k: Steer(d, True) for k, d in keys.items()}
    up = {k: Steer(d, False) for k, d in keys.items()}
    area = (w / 2, h / 2, size[0] - w / 2, size[1] - h / 2)
    return Pipeline(KeyEvent(down, key_up=up, ticks=True, name=f"{name} keys"),
                    Steering(start, speed=speed, area=area, name=f"{name} steering"),
                    Sprite(picture, position=start, name=name), name=name)


def build(args: argparse.Namespace, clock: Clock | None = None) -> Graphline:
    """The application's system (``clock``: a FakeClock in tests)."""
    w, h = args.size
    display = Display(args.size, clock=clock, title="Axon: steer the cat and the mouse",
                      fps=args.fps, frames=args.frames, screenshot=args.screenshot,
                      background=_art.backdrop(args.size, "cat and mouse", HELP))
    cat = steered(_art.cat(72, _art.FURS[0]), CAT_KEYS, (w * 0.25, h * 0.5), speed=args.speed,
                  size=args.size, name="cat")
    mouse = steered(_art.mouse(56), MOUSE_KEYS, (w * 0.75, h * 0.5), speed=args.speed * 1.25,
                    size=args.size, name="mouse")
    children: dict[str, Component] = {
        "display": display, "cat": cat, "mouse": mouse,
        "quit": KeyEvent({pygame.K_q: RequestQuit("Q pressed")}, name="quit keys"),
    }
    if args.report_at is not None:
        sprites: list[Sprite] = [p.children[-1] for p in (cat, mouse)]  # type: ignore[misc]
        children["report"] = Reporter(args.report_at, lambda: sprites)
    linkages = {("quit", "outbox"): ("display", "inbox")}
    return Graphline(linkages, name="Steer", **children)  # type: ignore[arg-type]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m apps.steer",
                                 description="Two sprites steered by two sets of keys.",
                                 epilog=HELP)
    ap.add_argument("--frames", type=int, default=None, help="run N frames, then exit 0")
    ap.add_argument("--fps", type=float, default=60.0, help="target frame rate (default 60)")
    ap.add_argument("--speed", type=float, default=5.0, help="pixels per frame (default 5)")
    ap.add_argument("--size", type=window_size, default=SIZE, help="window size WxH (default 800x600)")
    ap.add_argument("--report-at", type=int, default=None, metavar="F",
                    help="print the sprites' centres as JSON at frame F")
    ap.add_argument("--screenshot", default=None, metavar="PNG",
                    help="save the last frame to this file")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run(build(parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
