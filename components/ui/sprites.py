"""Sprites: a picture on the display whose motion comes from behaviour components.

Design (why a sprite costs almost nothing per frame)
----------------------------------------------------
A sprite is a small composition: behaviours (:class:`Bounce`, :class:`Spin`,
:class:`Pulse`, :class:`Steering`, or your own :class:`Behaviour`) compute one value per
frame and feed a :class:`Sprite` over ordinary boxes.  Sending one message per value per
frame would cost every sprite four timeslices and four messages a frame.  Instead values
travel in **chunks** (``chunk`` frames at a time) and the display plays them:

1. a behaviour computes a chunk of values and sends it into the sprite's inbox, which is
   bounded to one chunk with the ``block`` policy, then computes the next and waits for
   room: it runs one chunk ahead and is then suspended by backpressure;
2. the sprite zips one chunk from each of its streams into per-frame geometry and sends it
   to the display as a ``Track``, keeping ``ahead`` chunks queued there;
3. the display plays one entry per frame and, each time it starts a chunk, sends
   ``TrackTaken`` back: the sprite's cue to take the next chunks from its behaviours.

So a sprite's components run once per ``chunk`` frames, and each frame costs the
framework one read of four adjacent doubles per sprite inside the display's own loop (it
keeps a chunk as one array, ``[cx, cy, angle, scale]`` a frame).  Many sprites must
not all reach the ends of their chunks in the same frame (that frame would take all
their work: a stutter): their behaviours are given different ``phase``s, the length of
their first chunk, so that the chunk ends stay spread over the frames.  Freezing is one
``Hold`` message: the display stops playing, no ``TrackTaken`` comes, the sprite takes
nothing, and every behaviour stays suspended with exactly one chunk in the sprite's inbox
(bounded, nothing dropped, no CPU).  Unfreezing resumes at the same place.

Key-controlled motion is the other way round: :class:`Steering` computes nothing
ahead; it makes one position per frame tick (chunks of one), so a key moves the sprite
at the next frame.
"""

from __future__ import annotations

import enum
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pygame

from axon import BoxSpec, Graphline, ProducerFinished, Shutdown, SubscribeTo

from .._stage import Stage
from ..errors import OnError
from .client import DisplayClient
from .display import Hold, Place, SurfaceRequest, Track, TrackTaken
from .events import EventKind, Frame, MouseButton

__all__ = [
    "Behaviour",
    "Bounce",
    "Direction",
    "Pulse",
    "Spin",
    "Sprite",
    "SpriteCommand",
    "SpriteNotice",
    "Steer",
    "Steering",
    "fold",
    "sprite",
]

Point = tuple[float, float]
Area = tuple[float, float, float, float]  # left, top, right, bottom


class SpriteCommand(enum.Enum):
    """What a sprite can be told (on ``commands``) or made to do by a click."""

    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    TOGGLE = "toggle"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True)
class SpriteNotice:
    """A sprite froze, unfroze or was removed (``command`` says which)."""

    sprite: str
    command: SpriteCommand


class Sprite(DisplayClient):
    """A picture on the display, placed per frame from chunks of positions, angles and
    scales (see the module docstring).

    ``streams`` names the inboxes that drive it (``"inbox"``: centre positions,
    ``"angle"``: degrees anticlockwise, ``"scale"``: factors); the others keep the fixed
    ``position`` / ``angle`` / ``scale``.  ``clicks`` maps a mouse button to a command for
    clicks on the sprite (the topmost surface under the pointer).  When it ends it sends
    ``Shutdown`` on ``behaviours`` and releases the behaviours waiting on it.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from components.ui.testing import UIHarness
    >>> cat = pygame.Surface((20, 20))
    >>> _ = cat.fill((255, 160, 0))
    >>> cat_sprite = sprite(cat, position=(100, 100), velocity=(3, 2), area=(0, 0, 320, 240),
    ...                     spin=4, pulse=(0.5, 1.2, 0.01), name="cat")
    >>> with UIHarness(cat_sprite) as ui:  # a display on a fake clock, frame by frame
    ...     notices = ui.watch(cat_sprite)
    ...     ui.frames(10)  # bouncing, spinning and pulsing
    ...     cat_sprite.inboxes["inbox"].put(SpriteCommand.FREEZE)
    ...     ui.frames(1)
    >>> list(notices)
    [SpriteNotice(sprite='cat', command=<SpriteCommand.FREEZE: 'freeze'>)]
    """

    Inboxes = {
        "inbox": BoxSpec("centre positions: chunks, flat lists [x0, y0, x1, y1, ...] (or "
                         "lists of (x, y)), one point per frame", 1, "block"),
        "angle": BoxSpec("angles in degrees: chunks (lists), one value per frame", 1, "block"),
        "scale": BoxSpec("scale factors: chunks (lists), one value per frame", 1, "block"),
        "commands": "SpriteCommand: FREEZE, UNFREEZE, TOGGLE, REMOVE",
        "image": BoxSpec("a new picture (pygame.Surface; the latest wins)", 1, "keep_latest"),
        "control": "ProducerFinished or Shutdown: remove the sprite",
        "display": "from the display: Granted, TrackTaken, DisplayClosed",
        "events": "clicks on the sprite (with clicks=)",
    }
    Outboxes = {
        "outbox": "SpriteNotice: frozen, unfrozen, removed",
        "signal": "the end of stream, when the sprite is gone",
        "behaviours": "Shutdown, to the behaviours feeding the sprite, when it ends",
        "to_display": "requests to the display service",
        "error": "BadInput records (unknown commands) when on_error='send'",
    }

    STREAMS = ("inbox", "angle", "scale")
    _ALWAYS = ("commands", "image", "control", "display", "events")

    def __init__(self, image: pygame.Surface, *, position: Point = (0.0, 0.0),
                 angle: float = 0.0, scale: float = 1.0, streams: Iterable[str] = ("inbox",),
                 clicks: Mapping[int, SpriteCommand] | None = None, z: int = 0,
                 ahead: int = 1, frozen: bool = False,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        streams = tuple(streams)
        for s in streams:
            if s not in self.STREAMS:
                raise ValueError(f"Sprite: unknown stream {s!r} (streams: {self.STREAMS})")
        if ahead < 1:
            raise ValueError(f"Sprite: ahead must be >= 1, not {ahead}")
        self.image = image
        self.position = position
        self.angle = angle
        self.scale = scale
        self.streams = streams
        self.clicks = dict(clicks or {})
        self.z = z
        self.ahead = ahead
        self.frozen = frozen
        self.handle = 0
        self.chunks_sent = 0
        self.removed = False
        self._taken = 0  # TrackTaken notices: chunks the display has started
        self._bufs: dict[str, list[Any]] = {s: [] for s in streams}
        self._starving = False

    def main(self) -> Generator[Any, Any, None]:
        w, h = self.image.get_size()
        x, y = self.position
        events = frozenset({EventKind.MOUSE_DOWN}) if self.clicks else frozenset()
        self.set_wake(self._ALWAYS)  # streams wake it only while it needs a chunk (_run)
        granted = yield from self.open_surface(SurfaceRequest(
            image=self.image, position=(x - w / 2, y - h / 2), z=self.z, events=events,
            only_inside=True))
        try:
            if granted is not None:
                self.handle = granted.handle
                if self.angle or self.scale != 1.0:
                    self.to_display(Place(self.handle, angle=self.angle, scale=self.scale))
                if self.frozen:
                    self.to_display(Hold(self.handle, True))
                yield from self._run()
        finally:
            self.send(Shutdown("sprite ended"), "behaviours")
            for box in self.streams:  # let behaviours blocked on a full inbox see the end
                self.recv_all(box)
            self.release_all()
        if self.removed:
            self.send(SpriteNotice(self.name, SpriteCommand.REMOVE))
        self.pass_end(ProducerFinished("sprite removed") if self.removed
                      else Shutdown(f"display closed: {self.closed}"))

    def _run(self) -> Generator[Any, Any, None]:
        boxes = self.inboxes
        control = boxes["control"].queue  # (looked at before asking for their contents:
        replies = boxes["display"].queue  # this loop runs once per chunk for every sprite,
        events = boxes["events"].queue  # bench.pygame measures it)
        commands = boxes["commands"].queue
        images = boxes["image"].queue
        while True:
            if control:
                self.end = self.take_control(self.end)
                if self.end is not None:
                    return
            if replies:
                for msg in self.notices():
                    if isinstance(msg, TrackTaken):
                        self._taken += 1
                if self.closed is not None:
                    return
            if events:
                for batch in self.recv_all("events"):
                    for ev in batch:
                        if isinstance(ev, MouseButton) and ev.kind is EventKind.MOUSE_DOWN:
                            command = self.clicks.get(ev.button)
                            if command is not None:
                                self.command(command)
            if commands:
                for msg in self.recv_all("commands"):
                    if isinstance(msg, SpriteCommand):
                        self.command(msg)
                    else:
                        self.reject(f"a sprite takes SpriteCommand, not {type(msg).__name__}",
                                    msg)
            if self.removed:
                return
            if images:
                for picture in self.recv_all("image"):
                    self.image = picture
                    self.to_display(Place(self.handle, image=picture))
            # keep `ahead` chunks queued at the display beyond the one it plays
            starving = False
            while self.streams and self.chunks_sent - self._taken < self.ahead:
                frames = self._take()
                if frames is None:
                    starving = True
                    break
                self.to_display(Track(self.handle, *frames))
                self.chunks_sent += 1
            # a chunk waiting in a stream inbox must not keep the sprite awake (that is
            # the backpressure that suspends the behaviours); while it needs one, it must
            if starving != self._starving:
                self._starving = starving
                self.set_wake(self._ALWAYS + self.streams if starving else self._ALWAYS)
            self.pause()
            yield

    def _take(self) -> tuple[list[float], list[float] | None, list[float] | None] | None:
        """One track chunk from the streams, as they came (None until each has values)."""
        bufs = self._bufs
        for box, buf in bufs.items():
            if not buf:
                if not self.data_ready(box):
                    return None
                chunk = self.recv(box)
                if box == "inbox" and chunk and isinstance(chunk[0], tuple):
                    chunk = [v for point in chunk for v in point]  # (x, y) pairs: flatten
                bufs[box] = chunk
        n = min(len(b) // 2 if box == "inbox" else len(b) for box, b in bufs.items())
        centres = self._cut("inbox", 2 * n)
        if centres is None:
            centres = [float(self.position[0]), float(self.position[1])] * n
        return centres, self._cut("angle", n), self._cut("scale", n)

    def _cut(self, box: str, k: int) -> list[Any] | None:
        buf = self._bufs.get(box)
        if buf is None:
            return None
        if len(buf) == k:
            self._bufs[box] = []
            return buf
        head = buf[:k]
        del buf[:k]
        return head

    def command(self, command: SpriteCommand) -> None:
        """Freeze, unfreeze, toggle or remove."""
        if command is SpriteCommand.REMOVE:
            self.removed = True
            return
        frozen = (True if command is SpriteCommand.FREEZE else
                  False if command is SpriteCommand.UNFREEZE else not self.frozen)
        if frozen != self.frozen:
            self.frozen = frozen
            self.to_display(Hold(self.handle, frozen))
            self.send(SpriteNotice(self.name, SpriteCommand.FREEZE if frozen
                                   else SpriteCommand.UNFREEZE))


# -- behaviours ------------------------------------------------------------------------------------


class Behaviour(Stage):
    """Base of the behaviours: sends chunks of ``chunk`` values, one value per frame.

    A chunk is a list of floats (points flattened: ``[x0, y0, x1, y1, ...]``); floats in
    flat lists, because Python's garbage collector tracks every tuple and list but no
    float, and a tuple per value per frame made it run several times a second.  Batches
    also let a behaviour compute a chunk in one list comprehension (see ``fold``).

    It sends a chunk, then computes the next; when the receiver's inbox is full (a
    Sprite's holds one chunk) the send waits, so a behaviour runs at most a chunk ahead and
    costs nothing while its sprite is frozen.  ``phase`` makes the first chunk that many
    values long: sprites given different phases reach the ends of their chunks in
    different frames, so the work of many sprites is spread over the frames instead of
    falling all in one (``sprite()`` passes the same phase to each of a sprite's
    behaviours).  Its outbox must lead to a bounded inbox, or
    it would run ahead for ever (it raises rather than do that).  Subclasses write
    :meth:`values` (and :meth:`on_inbox` if they take commands).

    >>> class Fall(Behaviour):  # a point dropping from (100, 0), 2 pixels a frame
    ...     def __init__(self, **options):
    ...         super().__init__(**options)
    ...         self.y = 0.0
    ...     def values(self, n):
    ...         ys = [self.y + 2.0 * k for k in range(1, n + 1)]
    ...         self.y = ys[-1]
    ...         return [v for y in ys for v in (100.0, y)]
    >>> fall = Fall(chunk=3)
    >>> fall.values(3), fall.values(3)
    ([100.0, 2.0, 100.0, 4.0, 100.0, 6.0], [100.0, 8.0, 100.0, 10.0, 100.0, 12.0])

    ``Pipeline(Fall(), Sprite(cat))`` then drops a sprite (see :class:`Steering` for
    one run on a display).
    """

    Inboxes = {
        "inbox": "(unused unless the behaviour takes commands: see the subclass)",
        "control": "ProducerFinished or Shutdown: stop",
    }
    Outboxes = {
        "outbox": "chunks: lists of `chunk` values, one per frame",
        "signal": "the end, passed on",
        "error": "BadInput records when on_error='send'",
    }

    def __init__(self, *, chunk: int = 16, phase: int = 0,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        if chunk < 1:
            raise ValueError(f"{type(self).__name__}: chunk must be >= 1, not {chunk}")
        self.chunk = chunk
        self.phase = phase % chunk  # the first chunk's length (0: a whole chunk)
        self.chunks = 0  # chunks sent

    def values(self, n: int) -> list[Any]:
        """The next ``n`` values."""
        raise NotImplementedError

    def on_inbox(self, msgs: list[Any]) -> None:
        for msg in msgs:
            self.reject(f"{self.name} takes no input on 'inbox'; got {type(msg).__name__}", msg)

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        control = self.inboxes["control"].queue  # (looked at before being read: this loop
        inbox = self.inboxes["inbox"].queue  # runs once per chunk for every behaviour)
        end = None
        while True:
            if control:
                end = self.take_control(end)
                if end is not None:
                    break
            if inbox:
                self.on_inbox(self.recv_all())
            targets = out.targets
            if not targets:
                raise RuntimeError(f"{self.path}: its outbox leads nowhere (link it to a "
                                   "Sprite's inbox)")
            for t in targets:
                if t.size is None:
                    raise RuntimeError(
                        f"{self.path}: its outbox must lead to a bounded inbox (a Sprite's), "
                        f"not {t!r}, or it would run ahead for ever")
            n = self.chunk if self.chunks or not self.phase else self.phase
            out.push(self.values(n))  # waits here while the inbox is full
            self.chunks += 1
            yield
        self.send(end, "signal")


class Bounce(Behaviour):
    """Moves a point by ``velocity`` per frame, bouncing off the edges of ``area``
    (chunks of flattened points: ``[x0, y0, x1, y1, ...]``).

    Each coordinate is its unbounded course folded back into the area: exact, with no
    drift from step to step, and a chunk is one list comprehension per coordinate.
    (List comprehensions, not numpy: a numpy chunk of 64 points took 10 µs against 14 in a
    quiet loop, but 107 against 32 between the bouncing cats' rotozooms, which sweep the
    CPU caches; medians, 100 cats.)

    >>> Bounce((8, 5), (3, 1), (0, 0, 10, 10), chunk=4).values(4)  # x comes back off 10
    [9.0, 6.0, 6.0, 7.0, 3.0, 8.0, 0.0, 9.0]

    On a display it moves a sprite: ``Pipeline(Bounce((50, 50), (3, 2), (0, 0, 640, 480)),
    Sprite(cat))``.
    """

    def __init__(self, start: Point, velocity: Point, area: Area, *, chunk: int = 16,
                 phase: int = 0, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(chunk=chunk, phase=phase, on_error=on_error, name=name)
        left, top, right, bottom = area
        if not (left < right and top < bottom):
            raise ValueError(f"Bounce: an empty area {area}")
        self.x, self.y = float(start[0]), float(start[1])  # unfolded
        self.vx, self.vy = float(velocity[0]), float(velocity[1])
        self.area = area

    def values(self, n: int) -> list[float]:
        left, top, right, bottom = self.area
        xs = fold(self.x, self.vx, n, left, right)
        ys = fold(self.y, self.vy, n, top, bottom)
        self.x += self.vx * n
        self.y += self.vy * n
        out = [0.0] * (2 * n)
        out[0::2] = xs
        out[1::2] = ys
        return out


def fold(start: float, step: float, n: int, low: float, high: float) -> list[float]:
    """``start + step * k`` for k = 1..n, reflected at ``low`` and ``high`` (a value that
    goes 3 past ``high`` comes out 3 below it).

    >>> fold(8.0, 3.0, 4, 0.0, 10.0)
    [9.0, 6.0, 3.0, 0.0]
    """
    span = high - low
    period = span + span
    base = start - low
    return [high - abs((base + step * k) % period - span) for k in range(1, n + 1)]


class Spin(Behaviour):
    """Turns by ``speed`` degrees per frame from ``start``.

    >>> Spin(start=350, speed=5).values(4)
    [355.0, 0.0, 5.0, 10.0]
    """

    def __init__(self, start: float = 0.0, speed: float = 3.0, *, chunk: int = 16,
                 phase: int = 0, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(chunk=chunk, phase=phase, on_error=on_error, name=name)
        self.angle = float(start)
        self.speed = float(speed)

    def values(self, n: int) -> list[float]:
        a, speed = self.angle, self.speed
        out = [(a + speed * k) % 360.0 for k in range(1, n + 1)]
        self.angle = out[-1]
        return out


class Pulse(Behaviour):
    """A factor going from ``low`` to ``high`` and back by ``step`` per frame (scaling).

    >>> Pulse(0.5, 1.5, start=1.0, step=0.25).values(6)
    [1.25, 1.5, 1.25, 1.0, 0.75, 0.5]
    """

    def __init__(self, low: float = 0.5, high: float = 1.2, *, start: float = 1.0,
                 step: float = 0.01, chunk: int = 16, phase: int = 0,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(chunk=chunk, phase=phase, on_error=on_error, name=name)
        if not low < high:
            raise ValueError(f"Pulse: low must be below high ({low} >= {high})")
        self.low, self.high = float(low), float(high)
        self.value = float(start)  # unfolded
        self.step = float(step)

    def values(self, n: int) -> list[float]:
        out = fold(self.value, self.step, n, self.low, self.high)
        self.value += self.step * n
        return out


class Direction(enum.Enum):
    """Where a steered sprite is asked to go."""

    UP = (0, -1)
    DOWN = (0, 1)
    LEFT = (-1, 0)
    RIGHT = (1, 0)


@dataclass(frozen=True, slots=True)
class Steer:
    """Start (``on=True``) or stop moving in ``direction``."""

    direction: Direction
    on: bool


class Steering(Stage):
    """Positions of a point steered by :class:`Steer` messages, one per frame tick.

    It moves ``speed`` pixels per frame in each direction that is on, kept inside
    ``area``.  It is clocked by the :class:`~components.ui.events.Frame` ticks that come
    on ``inbox`` after each frame's keys (``KeyEvent(..., ticks=True)`` sends them), so
    a key changes the motion at the very next frame: nothing is computed ahead.  A tick
    that finds the sprite's inbox still full (the sprite is frozen) is skipped and
    counted in ``skipped``: the position waits, and no inbox grows.

    >>> import os
    >>> _ = os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: no real window
    >>> import pygame
    >>> from axon import Pipeline
    >>> from components.ui import KeyEvent
    >>> from components.ui.testing import UIHarness
    >>> cat = pygame.Surface((10, 10))
    >>> _ = cat.fill((255, 160, 0))
    >>> down = {pygame.K_RIGHT: Steer(Direction.RIGHT, True)}
    >>> up = {pygame.K_RIGHT: Steer(Direction.RIGHT, False)}
    >>> steering = Steering((100, 100), speed=4)
    >>> with UIHarness(Pipeline(KeyEvent(down, key_up=up, ticks=True), steering,
    ...                         Sprite(cat, position=(100, 100)))) as ui:
    ...     ui.key(pygame.K_RIGHT, up=False)  # held down for 5 frames
    ...     ui.frames(5)
    ...     ui.key(pygame.K_RIGHT)  # (pressed again and) let go
    ...     ui.frames(5)
    ...     (steering.x, steering.y), ui.pixel(120, 100)  # the cat is drawn there
    ((120.0, 100.0), (255, 160, 0))
    """

    Inboxes = {
        "inbox": "Steer(direction, on) to start or stop moving that way; Frame ticks",
        "control": "ProducerFinished or Shutdown: stop",
    }
    Outboxes = {
        "outbox": "a chunk [x, y] per frame tick (for a Sprite's inbox)",
        "signal": "the end, passed on",
        "error": "BadInput records when on_error='send'",
    }

    def __init__(self, start: Point, *, speed: float = 4.0,
                 area: Area = (0.0, 0.0, 800.0, 600.0),
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.x, self.y = float(start[0]), float(start[1])
        self.speed = float(speed)
        self.area = area
        self.on: set[Direction] = set()
        self.moves = 0  # positions sent
        self.skipped = 0  # ticks that found the sprite not taking

    def steer(self, msg: Steer) -> None:
        if msg.on:
            self.on.add(msg.direction)
        else:
            self.on.discard(msg.direction)

    def step(self) -> list[float]:
        """The next position, one frame on."""
        dx = sum(d.value[0] for d in self.on) * self.speed
        dy = sum(d.value[1] for d in self.on) * self.speed
        left, top, right, bottom = self.area
        self.x = min(max(self.x + dx, left), right)
        self.y = min(max(self.y + dy, top), bottom)
        return [self.x, self.y]

    def main(self) -> Generator[Any, Any, None]:
        out = self.outboxes["outbox"]
        end = None
        while True:
            end = self.take_control(end)
            if end is not None:
                break
            for msg in self.recv_all():
                if isinstance(msg, Steer):
                    self.steer(msg)
                elif isinstance(msg, Frame):
                    if not out.targets:
                        raise RuntimeError(f"{self.path}: its outbox leads nowhere")
                    if all(t.has_room() for t in out.targets):
                        out.push(self.step())
                        self.moves += 1
                    else:
                        self.skipped += 1
                else:
                    self.reject(f"Steering takes Steer records and Frame ticks, not "
                                f"{type(msg).__name__}", msg)
            self.pause()
            yield
        self.send(end, "signal")


def sprite(image: pygame.Surface, *, position: Point, velocity: Point | None = None,
           area: Area | None = None, spin: float | None = None,
           pulse: tuple[float, float, float] | None = None, start_angle: float = 0.0,
           start_scale: float = 1.0, clicks: Mapping[int, SpriteCommand] | None = None,
           orders: str | None = None, chunk: int = 16, phase: int = 0, z: int = 0,
           frozen: bool = False, name: str = "sprite") -> Graphline:
    """A sprite and its behaviours as one Graphline.

    ``velocity`` (with ``area``) makes it :class:`Bounce`, ``spin`` (degrees per frame)
    :class:`Spin`, ``pulse`` = ``(low, high, step)`` :class:`Pulse` its scale; ``orders``
    names a Backplane whose SpriteCommands it obeys.  The graphline's ``inbox`` takes
    SpriteCommands too; its ``outbox`` gives the SpriteNotices.  ``phase`` (the
    behaviours' first chunk length) staggers many sprites' chunk ends over the frames:
    give sprite ``i`` of a scene ``phase=i % chunk``.
    """
    children: dict[str, Any] = {}
    linkages: dict[Any, Any] = {
        ("self", "inbox"): ("sprite", "commands"),
        ("sprite", "outbox"): ("self", "outbox"),
        ("self", "control"): ("sprite", "control"),
    }
    streams: list[str] = []
    if velocity is not None:
        if area is None:
            raise ValueError("sprite(): a velocity needs an area to bounce in")
        children["move"] = Bounce(position, velocity, area, chunk=chunk, phase=phase)
        linkages[("move", "outbox")] = ("sprite", "inbox")
        streams.append("inbox")
    if spin is not None:
        children["spin"] = Spin(start_angle, spin, chunk=chunk, phase=phase)
        linkages[("spin", "outbox")] = ("sprite", "angle")
        streams.append("angle")
    if pulse is not None:
        low, high, step = pulse
        children["pulse"] = Pulse(low, high, start=start_scale, step=step, chunk=chunk,
                                  phase=phase)
        linkages[("pulse", "outbox")] = ("sprite", "scale")
        streams.append("scale")
    if orders is not None:
        children["orders"] = SubscribeTo(orders)
        linkages[("orders", "outbox")] = ("sprite", "commands")
    stop = [(label, "control") for label in children]
    if stop:
        linkages[("sprite", "behaviours")] = stop
    children["sprite"] = Sprite(image, position=position, angle=start_angle, scale=start_scale,
                                streams=streams, clicks=clicks, z=z, frozen=frozen,
                                name=name)
    return Graphline(linkages, name=f"Graphline({name})", **children)

