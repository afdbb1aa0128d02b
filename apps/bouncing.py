"""Bouncing sprites: cats that move, spin and pulse, each a small composition of components.

Run ``python -m apps.bouncing`` (``--help`` for the options).  Every cat is a Graphline of a
``Sprite`` fed by three behaviours (``Bounce``, ``Spin``, ``Pulse``) and a ``SubscribeTo``
on the game's orders backplane.  Controls:

- left click: a new cat under the pointer (with a beep);
- middle click: freeze or unfreeze the cat under the pointer;
- right click: remove the cat under the pointer (with a pop);
- P freeze all, U unfreeze all, T toggle all, Q quit (or close the window).

A frozen cat costs nothing: its behaviours wait, each with one chunk in the cat's bounded
inbox (see ``components.ui.sprites``).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import pygame

from axon import Backplane, Component, Graphline, PublishTo, Shutdown, run
from components.timing import Clock
from components.ui import (
    AddSound,
    Audio,
    DisplayClient,
    Display,
    EventKind,
    Frame,
    Key,
    Label,
    MouseButton,
    Play,
    RequestQuit,
    Sprite,
    SpriteCommand,
    SpriteNotice,
    SurfaceRequest,
    sprite,
    window_size,
)

from . import _art
from ._report import Reporter

SIZE = (800, 600)
ORDERS = "bouncing-orders"
#: Frames of motion a behaviour computes per message: the cats never change their motion
#: once started (freezing, removing and adding act at once, whatever the chunk), so their
#: behaviours may compute about four seconds ahead.  A chunk's fixed cost (four
#: timeslices, a Track and a TrackTaken: 60-130 µs a cat among the rotozooms) is spread
#: over its frames: 256 rather than 64 took the cats from 0.89 to 0.92 of the plain
#: loop's fps at 100 cats (bench.pygame, median of three runs each, side by side).
CHUNK = 256
#: The cats fall into this many groups whose chunks end in different frames (a group's in
#: the same one): see ``make_cat``.
PHASES = 8
HELP = ("left click: add   middle: freeze/unfreeze   right: remove   "
        "P freeze all   U unfreeze all   T toggle   Q quit")
CLICKS = {2: SpriteCommand.TOGGLE, 3: SpriteCommand.REMOVE}


@dataclass(frozen=True, slots=True)
class CatParams:
    """One cat of the scene: its picture and its motion."""

    fur: int
    face: int
    position: tuple[float, float]
    velocity: tuple[float, float]
    spin: float
    start_angle: float
    pulse: tuple[float, float, float]  # low, high, step
    start_scale: float


def cat_params(rnd: random.Random, position: tuple[float, float] | None = None,
               size: tuple[int, int] = SIZE) -> CatParams:
    w, h = size
    low = rnd.uniform(0.45, 0.7)
    high = rnd.uniform(1.0, 1.3)
    return CatParams(
        fur=rnd.randrange(len(_art.FURS)), face=rnd.randrange(4),
        position=position if position is not None else
        (rnd.uniform(40, w - 40), rnd.uniform(40, h - 40)),
        velocity=(rnd.choice((-1, 1)) * rnd.uniform(1, 4), rnd.choice((-1, 1)) * rnd.uniform(1, 4)),
        spin=rnd.choice((-1, 1)) * rnd.uniform(0.5, 5), start_angle=rnd.uniform(0, 360),
        pulse=(low, high, rnd.choice((-1, 1)) * rnd.uniform(0.003, 0.012)),
        start_scale=rnd.uniform(low, high))


def scene_params(n: int, seed: int = 1, size: tuple[int, int] = SIZE) -> list[CatParams]:
    """The scene of ``n`` cats (the benchmark draws the same one in a plain loop)."""
    rnd = random.Random(seed)
    return [cat_params(rnd, size=size) for _ in range(n)]


class Pictures:
    """The cat pictures, made once each."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, int], pygame.Surface] = {}

    def __call__(self, p: CatParams) -> pygame.Surface:
        key = (p.fur, p.face)
        if key not in self._made:
            self._made[key] = _art.cat(64, _art.FURS[p.fur], seed=p.face)
        return self._made[key]


def make_cat(p: CatParams, picture: pygame.Surface, *, number: int, chunk: int = CHUNK,
             size: tuple[int, int] = SIZE, frozen: bool = False,
             orders: str | None = ORDERS) -> Graphline:
    """One cat: Sprite + Bounce + Spin + Pulse (+ SubscribeTo the orders).

    Cat ``number`` is in group ``number % PHASES``; the groups' chunks end ``chunk //
    PHASES`` frames apart.
    """
    w, h = size
    return sprite(picture, position=p.position, velocity=p.velocity, area=(0, 0, w, h),
                  spin=p.spin, pulse=p.pulse, start_angle=p.start_angle,
                  start_scale=p.start_scale, clicks=CLICKS, orders=orders, chunk=chunk,
                  phase=(number % PHASES) * chunk // PHASES, frozen=frozen,
                  name=f"cat{number}")


class Game(DisplayClient):
    """The game: clicks add cats, keys give orders to all of them, sounds, the score line.

    It asks the display for a zero-sized surface to hear every click and key.  The cats
    are its children, made and dropped while it runs.

    ::

        Graphline(display=Display(), game=Game(scene_params(10)), ...)
    """

    Inboxes = {
        "inbox": "(unused)",
        "control": "ProducerFinished or Shutdown: end the game",
        "display": "from the display: Granted, DisplayClosed",
        "events": "clicks and keys (and frame ticks with freeze_at)",
        "sprites": "SpriteNotice from the cats (removed, frozen, unfrozen)",
    }
    Outboxes = {
        "outbox": "the score line, for a Label",
        "signal": "the end, passed on",
        "orders": "SpriteCommand for every cat (to the orders backplane)",
        "sounds": "AddSound and Play requests (to the audio service)",
        "to_display": "requests to the display service",
        "error": "BadInput records",
    }

    def __init__(self, cats: list[CatParams], *, seed: int = 1, chunk: int = CHUNK,
                 size: tuple[int, int] = SIZE, freeze_at: int | None = None) -> None:
        super().__init__(name="Game")
        self.initial = cats
        self.rnd = random.Random(seed + 1000)
        self.chunk = chunk
        self.area = size
        self.freeze_at = freeze_at
        self.pictures = Pictures()
        self.cats: dict[str, Graphline] = {}
        self.made = 0
        self._gone: list[Component] = []

    def child_finished(self, child: Component) -> None:
        self._gone.append(child)

    def add_cat(self, p: CatParams) -> None:
        cat = make_cat(p, self.pictures(p), number=self.made, chunk=self.chunk, size=self.area)
        self.made += 1
        self.cats[cat.child("sprite").name] = cat
        self.add_child(cat)
        self.link((cat, "outbox"), (self, "sprites"))

    def main(self) -> Generator[Any, Any, None]:
        kinds = {EventKind.MOUSE_DOWN, EventKind.KEY_DOWN}
        if self.freeze_at is not None:
            kinds.add(EventKind.FRAME)
        granted = yield from self.open_surface(SurfaceRequest((0, 0), events=frozenset(kinds)))
        if granted is None:
            return
        self.send(AddSound("beep", _art.beep()), "sounds")
        self.send(AddSound("pop", _art.pop()), "sounds")
        for p in self.initial:
            self.add_cat(p)
        self._score()
        try:
            while True:
                self.end = self.take_control(self.end)
                if self.end is not None:
                    break
                self.notices()
                self.refuse_input()  # nothing may sit unread in its inbox
                if self.closed is not None:
                    break
                for batch in self.recv_all("events"):
                    for ev in batch:
                        self.on_event(ev)
                for notice in self.recv_all("sprites"):
                    if isinstance(notice, SpriteNotice) and \
                            notice.command is SpriteCommand.REMOVE:
                        self.send(Play("pop"), "sounds")
                        self.cats.pop(notice.sprite, None)
                        self._score()
                while self._gone:
                    self.remove_child(self._gone.pop())
                self.pause()
                yield
        finally:
            self.release_all()
        self.pass_end(Shutdown("window closed"))

    def on_event(self, ev: Any) -> None:
        if isinstance(ev, MouseButton) and ev.button == 1:
            self.add_cat(cat_params(self.rnd, position=ev.pos, size=self.area))
            self.send(Play("beep"), "sounds")
            self._score()
        elif isinstance(ev, Key):
            order = {pygame.K_p: SpriteCommand.FREEZE, pygame.K_u: SpriteCommand.UNFREEZE,
                     pygame.K_t: SpriteCommand.TOGGLE}.get(ev.key)
            if order is not None:
                self.send(order, "orders")
            elif ev.key == pygame.K_q:
                self.to_display(RequestQuit("Q pressed"))
        elif isinstance(ev, Frame) and ev.number == self.freeze_at:
            self.send(SpriteCommand.FREEZE, "orders")

    def sprites(self) -> list[Sprite]:
        return [cat.child("sprite") for cat in self.cats.values()]  # type: ignore[misc]

    def _score(self) -> None:
        n = len(self.cats)
        self.send(f"{n} cat{'s' if n != 1 else ''}")


def build(args: argparse.Namespace, clock: Clock | None = None) -> Graphline:
    """The application's system (``clock``: a FakeClock in tests)."""
    size = args.size
    display = Display(size, clock=clock, title="Axon: bouncing cats", fps=args.fps,
                      frames=args.frames, background=_art.backdrop(size, "bouncing cats", HELP),
                      screenshot=args.screenshot)
    game = Game(scene_params(args.sprites, args.seed, size), seed=args.seed, chunk=args.chunk,
                size=size, freeze_at=args.freeze_at)
    extra: dict[str, Component] = {}
    if args.report_at is not None:
        extra["report"] = Reporter(args.report_at, game.sprites)
    return Graphline(
        {
            ("game", "outbox"): ("score", "inbox"),
            ("game", "sounds"): ("audio", "inbox"),
            ("game", "orders"): ("publish", "inbox"),
        },
        display=display,
        audio=Audio(required=False),
        orders=Backplane(ORDERS),
        publish=PublishTo(ORDERS),
        game=game,
        score=Label("", (10, 10), size=(160, 28), z=10, background=(20, 24, 48)),
        name="BouncingCats",
        **extra,  # type: ignore[arg-type]
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m apps.bouncing",
                                 description="Bouncing cats: each a composition of components.",
                                 epilog=HELP)
    ap.add_argument("--sprites", type=int, default=12, help="cats at the start (default 12)")
    ap.add_argument("--frames", type=int, default=None, help="run N frames, then exit 0")
    ap.add_argument("--fps", type=float, default=60.0, help="target frame rate (default 60)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of the scene")
    ap.add_argument("--chunk", type=int, default=CHUNK,
                    help=f"frames of motion per message from each behaviour (default {CHUNK})")
    ap.add_argument("--size", type=window_size, default=SIZE, help="window size WxH (default 800x600)")
    ap.add_argument("--freeze-at", type=int, default=None, metavar="F",
                    help="freeze every cat at frame F (as if P were pressed)")
    ap.add_argument("--report-at", type=int, default=None, metavar="F",
                    help="print the cats' centres as JSON at frame F")
    ap.add_argument("--screenshot", default=None, metavar="PNG",
                    help="save the last frame to this file")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    run(build(parse(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
