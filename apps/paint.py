"""Paint: a drawing board with a palette, under a flood of mouse motion.

Run ``python -m apps.paint`` (``--help`` for the options).  Hold the left button to draw,
the right one to erase; the buttons pick a colour, a pen width, or clear the board.  The
line at the bottom counts the mouse-motion events of each frame: the display hands every
subscriber one list per frame, however many events the frame brought.  ``--flood RATE``
posts RATE synthetic motion events a second (tracing a spiral, button held) to show it:
at 20,000 a second each frame's list holds about 330 events and the board draws them all.
Q or closing the window quits.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from collections.abc import Generator
from typing import Any

import pygame

from axon import Component, Graphline, run
from components.timing import Clock
from components.ui import (
    Button,
    Clear,
    Display,
    DisplayClient,
    DrawingBoard,
    EventKind,
    Frame,
    KeyEvent,
    Label,
    MouseMotion,
    Pen,
    RequestQuit,
    SurfaceRequest,
)

SIZE = (800, 600)
BOARD = (20, 70, 760, 480)  # x, y, w, h
PALETTE = [("black", (20, 20, 20)), ("red", (220, 40, 40)), ("green", (40, 170, 60)),
           ("blue", (40, 80, 220)), ("orange", (250, 150, 30)), ("purple", (150, 60, 190))]


class MotionMeter(DisplayClient):
    """Counts mouse-motion events per frame batch and reports once a second.

    ::

        Graphline({("meter", "outbox"): ("label", "inbox")}, meter=MotionMeter(60),
                  label=Label("", (0, 0)))
    """

    Outboxes = {
        "outbox": "a line of text a second: motion events per frame and per second",
        "signal": "the end",
        "to_display": "requests to the display service",
        "error": "unused",
    }

    def __init__(self, fps: float) -> None:
        super().__init__(name="MotionMeter")
        self.fps = fps
        self.largest = 0
        self.total = 0

    def main(self) -> Generator[Any, Any, None]:
        granted = yield from self.open_surface(SurfaceRequest(
            (0, 0), events=frozenset({EventKind.MOUSE_MOTION, EventKind.FRAME})))
        if granted is None:
            return
        frames = motions = biggest = 0
        try:
            while self.closed is None:
                for batch in self.recv_all("events"):
                    n = sum(1 for ev in batch if isinstance(ev, MouseMotion))
                    motions += n
                    biggest = max(biggest, n)
                    if batch and isinstance(batch[0], Frame):
                        frames += 1
                if frames >= self.fps:
                    self.total += motions
                    self.largest = max(self.largest, biggest)
                    self.send(f"{motions / frames:.0f} motion events per frame "
                              f"(largest batch {biggest}), {motions * self.fps / frames:.0f}/s")
                    frames = motions = biggest = 0
                self.end = self.take_control(self.end)
                if self.end is not None:
                    break
                self.notices()
                self.refuse_input()  # nothing may sit unread in its inbox
                self.pause()
                yield
        finally:
            self.release_all()


class Flood(Component):
    """Posts ``rate`` mouse-motion events a second, button held, tracing a spiral on the
    board (a stand-in for a very fast hand).  Fallen behind the clock (a loaded machine),
    it catches up by at most a tenth of a second's events a step and skips the rest, and
    it never overfills SDL's event queue (65,535 events): what it skips is counted in
    :attr:`skipped`, not posted late in a burst.

    ::

        Graphline(flood=Flood(20_000), ...)
    """

    def __init__(self, rate: int, board: tuple[int, int, int, int] = BOARD) -> None:
        super().__init__(name="Flood")
        self.rate = rate
        self.board = board
        self.skipped = 0  # motion events not posted: behind the clock, or the queue full

    def main(self) -> Generator[Any, Any, None]:
        x0, y0, w, h = self.board
        cx, cy = x0 + w / 2, y0 + h / 2
        reach = min(w, h) / 2 - 10
        yield asyncio.sleep(0.1)
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(int(cx), int(cy)),
                                             button=1))
        loop = asyncio.get_running_loop()
        start = loop.time()
        k = 0
        most = max(1, self.rate // 10)  # a step catches up by a tenth of a second at most
        while True:
            due = int((loop.time() - start) * self.rate)  # catch up with the clock
            if due - k > most:
                self.skipped += due - k - most
                k = due - most
            while k < due:
                k += 1
                t = k / 2000
                r = reach * (1 - abs((t / 8) % 2 - 1))  # out and back in: no jumps
                pos = (int(cx + r * math.cos(t * 6)), int(cy + r * math.sin(t * 6)))
                try:
                    pygame.event.post(pygame.event.Event(
                        pygame.MOUSEMOTION, pos=pos, rel=(1, 1), buttons=(1, 0, 0)))
                except pygame.error:  # SDL's queue is full: the display is behind
                    self.skipped += due - k + 1
                    k = due
            yield asyncio.sleep(0.004)


def build(args: argparse.Namespace, clock: Clock | None = None) -> Graphline:
    """The application's system (``clock``: a FakeClock in tests)."""
    x, y, w, h = BOARD
    children: dict[str, Component] = {
        "display": Display(SIZE, clock=clock, title="Axon: paint", fps=args.fps,
                           frames=args.frames, screenshot=args.screenshot,
                           background=(40, 44, 60)),
        "board": DrawingBoard((w, h), (x, y), colour=PALETTE[0][1], width=4),
        "meter": MotionMeter(args.fps),
        "status": Label("move the mouse over the board", (x, y + h + 12), size=(w, 28),
                        background=(40, 44, 60), font_size=24),
        # Q quits (to the display), C clears (to the board): a key table is data
        "keys": KeyEvent({pygame.K_q: (RequestQuit("Q pressed"), "quit"), pygame.K_c: Clear()},
                         outboxes={"quit": "RequestQuit, to the display"}),
    }
    linkages: dict[Any, Any] = {
        ("meter", "outbox"): ("status", "inbox"),
        ("keys", "outbox"): ("board", "inbox"),
        ("keys", "quit"): ("display", "inbox"),
    }
    bx = x
    for name, colour in PALETTE:
        children[name] = Button(name, (bx, 16), message=Pen(colour=colour), size=(80, 36),
                                background=colour, clock=clock)
        linkages[(name, "outbox")] = ("board", "inbox")
        bx += 86
    for label, width in (("thin", 2), ("thick", 9)):
        children[label] = Button(label, (bx, 16), message=Pen(width=width), size=(70, 36),
                                 clock=clock)
        linkages[(label, "outbox")] = ("board", "inbox")
        bx += 76
    children["clear"] = Button("clear", (x + w - 80, 16), message=Clear(), size=(80, 36),
                               background=(120, 40, 40), clock=clock)
    linkages[("clear", "outbox")] = ("board", "inbox")
    if args.flood:
        children["flood"] = Flood(args.flood)
    return Graphline(linkages, name="Paint", **children)  # type: ignore[arg-type]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m apps.paint",
                                 description="A drawing board under a flood of mouse motion.")
    ap.add_argument("--frames", type=int, default=None, help="run N frames, then exit 0")
    ap.add_argument("--fps", type=float, default=60.0, help="target frame rate (default 60)")
    ap.add_argument("--flood", type=int, default=0, metavar="RATE",
                    help="post RATE synthetic mouse-motion events a second (e.g. 20000)")
    ap.add_argument("--screenshot", default=None, metavar="PNG",
                    help="save the last frame to this file")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run(build(parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
