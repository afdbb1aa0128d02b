"""The display service: one pygame window per process, shared by client components.

A :class:`Display` owns the window.  Each client asks it for a *surface* (an off-screen
``pygame.Surface``, or an image of its own), draws on it whenever it likes and asks for a
redraw; once per frame the display composites every visible surface into the window in
z-order, and delivers the frame's UI events to their subscribers as one list each.

Finding it
----------
The display registers itself in its scheduler's service registry as ``"pygame-display"``
(never a process global).  :func:`display_service` returns the running one, starting one
with defaults if there is none, so the first client to ask opens the window.  An
application that wants a size, title, frame rate or full screen puts its own
``Display(...)`` in its system; it is registered when activated, before any client runs.
Only one display may be open per process (pygame has one window): a second raises.

Protocol (records sent to the display's ``inbox``; replies to the client's inbox)
-----------------------------------------------------------------------------------
``SurfaceRequest(size, reply_to=(client, box), events_to=(client, box), position, z,
events, only_inside, alpha, colour_key, per_pixel_alpha, image, visible, tag)``
    The display sends ``Granted(handle, surface, tag)`` to the inbox ``reply_to`` names;
    later requests name the surface by ``handle``.  With ``events`` (a set of
    :class:`EventKind`) it delivers those kinds to ``events_to``.  (It delivers into those
    inboxes directly, as to a return address, rather than through links of its own.)
    ``image`` adopts a surface the client made (a sprite's picture).  Without
    ``position`` surfaces cascade from the top left.
``Redraw(handle)``
    The surface's pixels changed.  Requests are coalesced: one redraw per frame at most,
    and a frame in which nothing changed draws nothing.
``Place(handle, position=, z=, visible=, angle=, scale=, image=)``
    Move, restack (a new ``z``, or the same one, puts it on top of its layer), hide/show,
    rotate (degrees, anticlockwise) and scale about its centre, or swap its image (the
    new one keeps the old one's centre; a ``position`` in the same request wins).  The
    display keeps the only copy of a surface's geometry: mouse positions are mapped with
    it at the moment the event is delivered, so they stay right after moves, releases and
    restacking, and under rotation and scaling.
``Track(handle, centres, angles=None, scales=None)``
    Geometry for the coming frames: ``centres`` is a flat list ``[x0, y0, x1, y1, ...]``
    (one point per frame), ``angles`` and ``scales`` one float per frame each (None: they
    stay as they are).  The display plays one frame's worth per frame and sends
    ``TrackTaken(handle, queued)`` to ``reply_to`` whenever it starts a new chunk, which is
    the client's cue to send the next one.  A track that runs dry holds its last geometry.
    This is how sprites move at the cost of one message per chunk instead of one per
    frame (see ``components.ui.sprites``).  Flat lists of floats, not tuples: floats are
    not tracked by Python's garbage collector, which a tuple per frame per sprite kept
    busy (bench.pygame).  The display keeps each chunk as one array of doubles,
    ``[cx, cy, angle, scale]`` a frame (a chunk without angles or scales gets the
    surface's own as it starts, and a ``Place`` of them while it plays rewrites them):
    a frame reads 32 adjacent bytes per sprite.  Values that are not numbers are bad
    input.
``Hold(handle, held)``
    Pause (or resume) the surface's track where it is; nothing is lost.
``Subscribe(handle, kinds, only_inside=None)`` / ``Unsubscribe(handle, kinds)``
    Change which event kinds reach ``events_to``.
``Release(handle)``
    Give the surface back.  When the last surface is released the display closes the
    window and ends (unless made with ``linger=True``).
``RequestQuit(reason)``
    Behave as if the window had been closed.
``Screenshot(path)``
    Save the window as an image after the next frame; ``Saved(path)`` goes out on
    ``outbox``.

Events reach each subscriber as **one list per frame** (``batch_events=False`` sends one
message per event instead, for comparison).  Mouse records carry the position in the
subscriber's surface coordinates and ``inside``; with ``only_inside`` a surface gets a
mouse event only when it is the topmost visible surface under the pointer.  ``FRAME``
subscribers get a :class:`~components.ui.events.Frame` tick first in every batch.

Frames and quitting
-------------------
Frames are paced by a timer at ``fps`` (default 60): between frames the display sleeps.
SDL has no file descriptor to wait on, so the display must poll its event queue; after
``idle_after`` seconds in which nothing happened it polls at ``idle_fps`` (default 20)
until the next event or request, so an idle window costs about 1% of a core or less
(bench.pygame measures it; polling at 60 a second cost 2-2.6%).  Each frame it reads
pygame's event queue once, delivers the batches, applies every waiting request, plays
tracks, and composites and flips only if something changed.  ``fps=None`` runs frames
back to back (benchmarks).

QUIT (the window closed; SIGINT and SIGTERM are turned into QUIT while the window is
open; a ``RequestQuit``; the ``frames`` limit) is delivered to ``QUIT`` subscribers and
sent on ``outbox``; then, by ``on_quit``: ``"shutdown"`` (default) closes the window and
stops every component on the scheduler (their ``finally`` blocks run), ``"close"`` only
closes the window (clients get ``DisplayClosed``) and ``"deliver"`` leaves it to the
subscribers.  ``Shutdown`` or ``ProducerFinished`` on ``control`` close the window too.

Writing a client
----------------
Subclass :class:`~components.ui.client.DisplayClient` (``granted = yield from
self.open_surface(SurfaceRequest(...))``) or :class:`~components.ui.client.Widget` (one
surface, event batches, a timer, coalesced redraws): they find the display, fill in the
reply boxes, wait without spinning, and give their surfaces back as they end.
"""

from __future__ import annotations

import enum
import math
from array import array
import signal
import threading
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import pygame

from axon import Component, EndSignal, ProducerFinished

from ..errors import BadInput, BadInputError, OnError
from ..timing import Alarm, Clock, SystemClock
from .events import (
    MOUSE_KINDS,
    EventKind,
    Frame,
    MouseButton,
    MouseMotion,
    Quit,
    kind_of,
    shared_record,
)

__all__ = [
    "SERVICE",
    "window_size",
    "Display",
    "DisplayClosed",
    "DisplayStatistics",
    "Granted",
    "Hold",
    "OnQuit",
    "Place",
    "Redraw",
    "Release",
    "RequestQuit",
    "Saved",
    "Screenshot",
    "Subscribe",
    "SurfaceRequest",
    "Track",
    "TrackTaken",
    "Unsubscribe",
    "display_service",
]


def window_size(text: str) -> tuple[int, int]:
    """A window size given as ``WIDTHxHEIGHT`` (``800x600``): an ``argparse`` type for the
    demos' ``--size``."""
    import argparse  # (only command lines use it)

    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 1 or int(h) < 1:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, not {text!r}")
    return int(w), int(h)

#: The display's name in its scheduler's service registry.
SERVICE = "pygame-display"

BoxRef = tuple[Component, str]
Colour = tuple[int, int, int]
#: A track chunk as the display keeps it: [cx, cy, angle, scale] per frame in one array
#: of doubles, and whether its angles and scales were given (else the surface's own
#: angle and scale are filled in as it starts to play)
_Chunk = tuple["array[float]", bool, bool]


# -- requests ------------------------------------------------------------------------------


@dataclass(slots=True)
class SurfaceRequest:
    """Ask for a surface; ``Granted`` comes back on ``reply_to``."""

    size: tuple[int, int] = (0, 0)
    reply_to: BoxRef | None = None
    events_to: BoxRef | None = None
    position: tuple[float, float] | None = None
    z: int = 0
    events: frozenset[EventKind] = frozenset()
    only_inside: bool = False
    alpha: int | None = None
    colour_key: Colour | None = None
    per_pixel_alpha: bool = False
    image: pygame.Surface | None = None
    visible: bool = True
    tag: Any = None


@dataclass(slots=True)
class Redraw:
    """The surface's pixels changed: composite it at the next frame."""

    handle: int


@dataclass(slots=True)
class Place:
    """Change a surface's geometry; fields left as None stay as they are."""

    handle: int
    position: tuple[float, float] | None = None
    z: int | None = None
    visible: bool | None = None
    angle: float | None = None
    scale: float | None = None
    image: pygame.Surface | None = None


@dataclass(slots=True)
class Track:
    """Geometry for the coming frames: centres ``[x0, y0, x1, y1, ...]``, and one angle
    and one scale per frame (None: unchanged)."""

    handle: int
    centres: list[float]
    angles: list[float] | None = None
    scales: list[float] | None = None


@dataclass(slots=True)
class Hold:
    """Pause (``held=True``) or resume the surface's track."""

    handle: int
    held: bool = True


@dataclass(slots=True)
class Subscribe:
    """Deliver these event kinds too (``only_inside``: None keeps the current choice)."""

    handle: int
    kinds: frozenset[EventKind]
    only_inside: bool | None = None


@dataclass(slots=True)
class Unsubscribe:
    """Stop delivering these event kinds."""

    handle: int
    kinds: frozenset[EventKind]


@dataclass(slots=True)
class Release:
    """Give the surface back."""

    handle: int


@dataclass(slots=True)
class RequestQuit:
    """Behave as if the window had been closed."""

    reason: str = "requested"


@dataclass(slots=True)
class Screenshot:
    """Save the window to ``path`` after the next frame."""

    path: str


# -- replies and notices ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Granted:
    """Your surface: draw on it, refer to it by ``handle``."""

    handle: int
    surface: pygame.Surface
    tag: Any = None


@dataclass(frozen=True, slots=True)
class TrackTaken:
    """The display started playing a chunk of the surface's track; ``queued`` remain."""

    handle: int
    queued: int


@dataclass(frozen=True, slots=True)
class DisplayClosed:
    """The window is gone (quit, Shutdown, or the display ended)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Saved:
    """A screenshot was written to ``path``."""

    path: str


@dataclass(frozen=True, slots=True)
class DisplayStatistics:
    """What the display has done so far."""

    frames: int  # frames run (event polls)
    drawn: int  # frames that composited and flipped
    surfaces: int
    events: int  # pygame events read
    batches: int  # event messages sent to subscribers
    requests: int


class OnQuit(enum.Enum):
    """What the display does after delivering a QUIT."""

    SHUTDOWN = "shutdown"  #: close the window and stop every component on the scheduler
    CLOSE = "close"  #: close the window; clients get DisplayClosed
    DELIVER = "deliver"  #: nothing more: QUIT subscribers decide


# -- the display ----------------------------------------------------------------------------


class _Surface:
    """The display's record of one client surface: the only copy of its geometry.

    The position is kept as the centre (``cx``, ``cy``): that is what a track gives and
    what a rotated picture is drawn about; ``x``, ``y`` (the top left) are derived.
    """

    __slots__ = ("handle", "client", "surface", "w", "h", "hw", "hh", "cx", "cy", "angle",
                 "scale", "z", "seq", "visible", "kinds", "only_inside", "reply", "events",
                 "pending", "track", "index", "end", "own_angles", "own_scales", "held",
                 "playing", "batch")

    def __init__(self, handle: int, client: Component | None, surface: pygame.Surface) -> None:
        self.handle = handle
        self.client = client
        self.cx = self.cy = 0.0
        self.set_surface(surface)
        self.angle = 0.0
        self.scale = 1.0
        self.z = 0
        self.seq = 0
        self.visible = True
        self.kinds: set[EventKind] = set()
        self.only_inside = False
        self.reply: Callable[[Any], None] | None = None  # the client's reply inbox's put
        self.events: Callable[[Any], None] | None = None  # its events inbox's put
        # tracks: queued chunks (see _Track), and the one being played: frame ``index`` of
        # ``end``, its values at ``track[4 * index:4 * index + 4]``
        self.pending: deque[_Chunk] = deque()
        self.track: array[float] | None = None
        self.index = 0
        self.end = 0
        self.own_angles = self.own_scales = False  # the chunk played has angles / scales
        self.held = False
        self.playing = False  # a track is being played (not held, not dry)
        self.batch: list[Any] | None = None

    def set_surface(self, surface: pygame.Surface) -> None:
        self.surface = surface
        self.w, self.h = surface.get_size()
        self.hw, self.hh = self.w / 2, self.h / 2

    @property
    def x(self) -> float:
        """The left edge (of the picture unrotated and unscaled)."""
        return self.cx - self.hw

    @property
    def y(self) -> float:
        """The top edge (of the picture unrotated and unscaled)."""
        return self.cy - self.hh

    def move_to(self, x: float, y: float) -> None:
        """Put the top left at (x, y)."""
        self.cx = float(x) + self.hw
        self.cy = float(y) + self.hh

    def local(self, wx: float, wy: float) -> tuple[int, int, bool]:
        """Window point -> (x, y) in this surface's pixels, and whether it is over it."""
        if self.angle == 0.0 and self.scale == 1.0:
            lx = wx - (self.cx - self.hw)
            ly = wy - (self.cy - self.hh)
        else:  # undo the rotation (anticlockwise on screen) and scaling about the centre
            dx = wx - self.cx
            dy = wy - self.cy
            th = math.radians(self.angle)
            c, s = math.cos(th), math.sin(th)
            k = self.scale or 1e-9
            lx = (dx * c - dy * s) / k + self.w / 2
            ly = (dx * s + dy * c) / k + self.h / 2
        ix, iy = math.floor(lx + 1e-6), math.floor(ly + 1e-6)  # (rotations by 90° are exact)
        return ix, iy, self.visible and 0 <= ix < self.w and 0 <= iy < self.h

    def local_rel(self, rx: float, ry: float) -> tuple[int, int]:
        if self.angle == 0.0 and self.scale == 1.0:
            return int(rx), int(ry)
        th = math.radians(self.angle)
        c, s = math.cos(th), math.sin(th)
        k = self.scale or 1e-9
        return round((rx * c - ry * s) / k), round((rx * s + ry * c) / k)


_window_owner: Display | None = None  # pygame has one window per process
_owner_lock = threading.Lock()


class Display(Component):
    """The window, as a service: surfaces for clients, events in per-frame batches.

    See the module docstring for the protocol.  A typical system::

        run(Graphline(display=Display((640, 480), title="Demo"), button=Button("Hi")))

    Args:
        size: window size in pixels.
        title: window caption.
        fullscreen: open a full-screen window.
        fps: target frames per second (None: back to back, for benchmarks).
        idle_fps: frames per second once nothing has happened for ``idle_after`` seconds
            (no events, requests, tracks or FRAME subscribers); a request, or the first
            event seen, brings back ``fps`` (None: never slow down).
        background: colour (or a Surface) under every surface.
        on_quit: what QUIT does after delivery (see :class:`OnQuit`).
        frames: quit after this many frames (demos' ``--frames N``).
        screenshot: save the last frame here as the window closes.
        linger: keep the window open after the last surface is released.
        batch_events: one list per frame per subscriber (False: one message per event).
        clock: a ``components.timing`` clock (``components.testing.FakeClock`` in tests).
        on_error: bad requests raise (default) or go to ``error`` as ``BadInput``.
    """

    Inboxes = {
        "inbox": "requests from clients (SurfaceRequest, Redraw, Place, Track, Hold, "
                 "Subscribe, Unsubscribe, Release, RequestQuit, Screenshot)",
        "control": "ProducerFinished or Shutdown: close the window",
    }
    Outboxes = {
        "outbox": "notices: Quit when the program is asked to end, Saved after a Screenshot",
        "signal": "the end (ProducerFinished or Shutdown), once the window is closed",
        "error": "BadInput records for bad requests when on_error='send'",
    }

    def __init__(self, size: tuple[int, int] = (800, 600), *, title: str = "Axon",
                 fullscreen: bool = False, fps: float | None = 60.0,
                 idle_fps: float | None = 20.0, idle_after: float = 1.0,
                 background: Colour | pygame.Surface = (0, 0, 0),
                 on_quit: OnQuit | str = OnQuit.SHUTDOWN, frames: int | None = None,
                 screenshot: str | None = None, linger: bool = False,
                 batch_events: bool = True, clock: Clock | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(name=name)
        if fps is not None and fps <= 0:
            raise ValueError(f"Display: fps must be > 0 or None, not {fps}")
        self.size = (int(size[0]), int(size[1]))
        self.title = title
        self.fullscreen = fullscreen
        self.fps = fps
        self.idle_fps = idle_fps
        self.idle_after = idle_after
        self._idle = False
        self._active_at = 0.0
        self.background = background
        self.on_quit = OnQuit(on_quit)
        self.max_frames = frames
        self.screenshot_path = screenshot
        self.linger = linger
        self.batch_events = batch_events
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.on_error = OnError(on_error)
        self.screen: pygame.Surface | None = None
        self.closed_reason: str | None = None
        self._surfaces: dict[int, _Surface] = {}
        self._order: list[_Surface] = []  # bottom to top
        self._playing = False  # some surface plays a track
        self._subs: dict[EventKind, list[_Surface]] = {k: [] for k in EventKind}
        self._ticks: list[_Surface] = []  # (self._subs[EventKind.FRAME])
        self._inbox: deque[Any] = deque()  # (the inbox's queue, once running)
        self._next_handle = 1
        self._seq = 0
        self._cascade = 0
        self._dirty = True
        self._restack = False
        self._retrack = False
        self._resubscribe = False
        self._had_clients = False
        self._quit: str | None = None
        self._shots: list[str] = []
        self._frames = self._drawn = self._events = self._batches = self._requests = 0
        self._old_signals: dict[int, Any] = {}
        self._handlers: dict[type, Callable[[Any], None]] = {
            SurfaceRequest: self._open,
            Redraw: self._redraw,
            Place: self._place,
            Track: self._track,
            Hold: self._hold,
            Subscribe: self._subscribe,
            Unsubscribe: self._unsubscribe,
            Release: self._release_request,
            RequestQuit: lambda r: self._request_quit(r.reason),
            Screenshot: lambda r: self._shots.append(r.path),
        }
        # requests wait for the next frame: only an end on control (or the frame timer)
        # wakes the display between frames, however many requests arrive
        self.wake_on("control")

    # -- service registration ----------------------------------------------------------------

    def on_activate(self, scheduler: Any) -> None:
        services = scheduler.services
        old = services.get(SERVICE)
        if isinstance(old, Display) and old.done:
            services.unregister(SERVICE, old)
        services.register(SERVICE, self)

    def statistics(self) -> DisplayStatistics:
        return DisplayStatistics(self._frames, self._drawn, len(self._surfaces), self._events,
                                 self._batches, self._requests)

    def geometry(self, handle: int) -> tuple[float, float, float, float] | None:
        """A surface's current ``(x, y, angle, scale)`` (for tools and tests)."""
        s = self._surfaces.get(handle)
        return None if s is None else (s.cx - s.hw, s.cy - s.hh, s.angle, s.scale)

    # -- the frame loop ------------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        global _window_owner  # noqa: PLW0603 - SDL has one window per process: its owner is process state
        with _owner_lock:
            if _window_owner is not None and not _window_owner.done:
                raise RuntimeError(
                    f"{self.path}: one display per process, and {_window_owner.path} has the "
                    "window (use display_service() to share it)")
            _window_owner = self
        end: EndSignal | None = None
        alarm = Alarm(self, self.clock)
        try:
            self._open_window()
            fast = 1.0 / self.fps if self.fps else 0.0
            slow = 1.0 / self.idle_fps if self.idle_fps and fast else fast
            clock = self.clock
            # (the queues, looked at before being read: most frames find both empty)
            control = self.inboxes["control"].own_queue()
            inbox = self._inbox = self.inboxes["inbox"].own_queue()
            now = due = last = self._active_at = clock.now()
            while True:
                if control:
                    end = self.take_control(end, self._stray_control)
                    if end is not None:
                        self.closed_reason = type(end).__name__
                        break
                if fast:
                    now = clock.now()
                    if self._idle and inbox:  # a request: wake up
                        self._set_idle(False)  # (and wait for the frame: it waits too)
                        due = min(due, last + fast)
                    if now < due:
                        alarm.set_at(due)
                        self.pause()
                        yield
                        continue
                    last = now
                if self._frame(now):
                    break
                if fast:
                    self._set_idle(slow > fast and now - self._active_at >= self.idle_after
                                   and not self._ticks)
                    period = slow if self._idle else fast
                    # the next frame a period on; after a stall, a period from now (no burst)
                    due = due + period if now < due + period else now + period
                else:
                    yield
        finally:
            alarm.cancel()
            self._close_window()
            with _owner_lock:
                if _window_owner is self:
                    _window_owner = None
        self.send(end if end is not None else ProducerFinished("display closed"), "signal")

    def _set_idle(self, idle: bool) -> None:
        """Idle: poll at ``idle_fps``, and let a request wake it (a change on screen is
        then drawn at once); busy: poll at ``fps``, requests wait for the frame."""
        if idle != self._idle:
            self._idle = idle
            self.wake_on("control", "inbox") if idle else self.wake_on("control")

    def _stray_control(self, msg: Any) -> None:
        self._bad(f"unexpected control message {msg!r}", msg)

    def on_frame(self, number: int) -> None:
        """Called as frame ``number`` starts (for subclasses that measure or record)."""

    def _frame(self, now: float) -> bool:
        """One frame, begun at ``now``; True when the display must end.

        A frame of a scene that only plays tracks calls nothing but ``event.get`` and
        ``_draw``: every other step is a test of a flag or an empty queue.  (Each call it
        made ran cold after the rotozooms of the last frame had swept the caches: a frame
        of 100 sprites spent 8-15 µs between ``event.get`` and ``_draw``, bench.pygame.)
        """
        self._frames += 1
        self.on_frame(self._frames)
        raw = pygame.event.get()
        if raw or self._ticks:
            self._deliver(raw)
        requests = self.recv_all("inbox") if self._inbox else None
        if raw or requests or self._playing:
            self._active_at = now
        if requests:
            self._requests += len(requests)
            handlers = self._handlers
            for req in requests:
                handler = handlers.get(type(req))
                if handler is None:
                    self._bad(f"not a display request: {type(req).__name__}", req)
                else:
                    handler(req)
        if self._frames % 64 == 0:
            self._reap()
        if self._retrack:
            playing = False
            for s in self._order:
                s.playing = not s.held and bool(s.pending or s.track is not None)
                playing = playing or s.playing
            self._playing = playing
            self._retrack = False
        if self._dirty or self._playing:
            self._draw()
        if self._shots:
            for path in self._shots:
                assert self.screen is not None
                pygame.image.save(self.screen, path)
                self.send(Saved(path))
            self._shots.clear()
        if self.max_frames is not None and self._frames >= self.max_frames and not self._quit:
            self._request_quit(f"{self.max_frames} frames")
        if self._quit is not None and self.on_quit is not OnQuit.DELIVER:
            self.closed_reason = self._quit
            if self.on_quit is OnQuit.SHUTDOWN:
                sched = self.scheduler
                assert sched is not None
                sched.call_threadsafe(sched.shutdown)  # once this timeslice is over
            return True
        if not self._surfaces and self._had_clients and not self.linger:
            self.closed_reason = "last surface released"
            return True
        return False

    def _open_window(self) -> None:
        pygame.display.init()
        pygame.font.init()
        flags = pygame.FULLSCREEN if self.fullscreen else 0
        self.screen = pygame.display.set_mode(self.size, flags)
        pygame.display.set_caption(self.title)
        if isinstance(self.background, pygame.Surface):
            self.background = self.background.convert()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old_signals[sig] = signal.signal(sig, _post_quit)

    def _close_window(self) -> None:
        reason = self.closed_reason or "display ended"
        for s in list(self._surfaces.values()):
            if s.reply is not None:
                s.reply(DisplayClosed(reason))
        for sig, old in self._old_signals.items():
            signal.signal(sig, old)
        self._old_signals.clear()
        if self.screen is not None:
            if self.screenshot_path:
                pygame.image.save(self.screen, self.screenshot_path)
            self.screen = None
            pygame.display.quit()
        sched = self.scheduler
        if sched is not None and sched.services.get(SERVICE) is self:
            sched.services.unregister(SERVICE, self)

    # -- events ------------------------------------------------------------------------------------

    def _deliver(self, raw: list[Any]) -> None:
        subs = self._subs
        ticks = self._ticks
        touched: list[_Surface] = []
        if ticks:
            tick = Frame(EventKind.FRAME, self._frames, self.clock.now())
            for s in ticks:
                s.batch = [tick]
                touched.append(s)
        for ev in raw:
            kind = kind_of(ev.type)
            if kind is None:
                continue
            self._events += 1
            if kind is EventKind.WINDOW:
                self._dirty = True
            elif kind is EventKind.QUIT:
                reason = self._quit or str(getattr(ev, "reason", "window closed"))
                self._quit = reason
                self.send(Quit(EventKind.QUIT, reason))
            listeners = subs[kind]
            if not listeners:
                continue
            if kind in MOUSE_KINDS:
                wx, wy = ev.pos
                hit = self._hit(wx, wy) if any(s.only_inside for s in listeners) else None
                for s in listeners:
                    lx, ly, inside = s.local(wx, wy)
                    if s.only_inside and s is not hit:
                        continue
                    if kind is EventKind.MOUSE_MOTION:
                        rec: Any = MouseMotion(kind, (lx, ly), s.local_rel(*ev.rel),
                                               tuple(ev.buttons), inside)
                    else:
                        rec = MouseButton(kind, (lx, ly), ev.button, inside)
                    batch = s.batch
                    if batch is None:
                        s.batch = [rec]
                        touched.append(s)
                    else:
                        batch.append(rec)
            else:
                rec = shared_record(kind, ev)
                for s in listeners:
                    batch = s.batch
                    if batch is None:
                        s.batch = [rec]
                        touched.append(s)
                    else:
                        batch.append(rec)
        for s in touched:
            batch, s.batch = s.batch, None
            out = s.events
            if out is None or batch is None:
                continue
            if self.batch_events:
                out(batch)
                self._batches += 1
            else:  # one message per event (bench.pygame's comparison)
                for rec in batch:
                    out([rec])
                self._batches += len(batch)

    def _hit(self, wx: float, wy: float) -> _Surface | None:
        """The topmost visible surface under a window point."""
        for s in reversed(self._order):
            if s.visible and s.w and s.h and s.local(wx, wy)[2]:
                return s
        return None

    def _request_quit(self, reason: str) -> None:
        if self._quit is not None:
            return
        self._quit = reason
        rec = Quit(EventKind.QUIT, reason)
        self.send(rec)
        for s in self._subs[EventKind.QUIT]:
            if s.events is not None:
                s.events([rec])
                self._batches += 1

    # -- requests ---------------------------------------------------------------------------------

    def _bad(self, problem: str, data: Any) -> None:
        record = BadInput(self.path, problem, data)
        if self.on_error is OnError.RAISE:
            raise BadInputError(record)
        self.send(record, "error")

    def _get(self, handle: Any, req: Any) -> _Surface | None:
        s = self._surfaces.get(handle)
        if s is None:
            self._bad(f"{type(req).__name__} names no surface of this display: {handle!r}", req)
        return s

    def _open(self, req: SurfaceRequest) -> None:
        if req.reply_to is None:
            self._bad("SurfaceRequest without reply_to (client, box)", req)
            return
        client, box = req.reply_to
        if box not in client.inboxes:
            self._bad(f"SurfaceRequest: {client.path} has no inbox {box!r}", req)
            return
        if req.events and req.events_to is None:
            self._bad("SurfaceRequest asks for events but gives no events_to", req)
            return
        if req.image is not None:
            surface = req.image
        else:
            w, h = max(0, int(req.size[0])), max(0, int(req.size[1]))
            surface = pygame.Surface((w, h), pygame.SRCALPHA if req.per_pixel_alpha else 0)
            if not req.per_pixel_alpha and w and h:
                surface = surface.convert()
        if req.colour_key is not None:
            surface.set_colorkey(req.colour_key)
        if req.alpha is not None:
            surface.set_alpha(req.alpha)
        handle = self._next_handle
        self._next_handle += 1
        s = _Surface(handle, client, surface)
        if req.position is None:
            step = 50 * (self._cascade % 8)
            self._cascade += 1
            s.move_to(step, step)
        else:
            s.move_to(*req.position)
        s.z = req.z
        s.seq = self._next_seq()
        s.visible = req.visible
        s.only_inside = req.only_inside
        s.kinds = set(req.events)
        # Replies and events go straight into the boxes the request names (their put wakes
        # the client), not through links of ours: linked to every client, the display
        # would have the scheduler look at each of them after every frame (bench.pygame:
        # about 1% of the frame time with 200 sprites)
        s.reply = client.inboxes[box].put
        if req.events_to is not None:
            events_client, events_box = req.events_to
            if events_box not in events_client.inboxes:
                self._bad(f"SurfaceRequest: {events_client.path} has no inbox {events_box!r}",
                          req)
                return
            s.events = events_client.inboxes[events_box].put
        self._surfaces[handle] = s
        self._had_clients = True
        self._restack = self._resubscribe = self._dirty = True
        self._reorder()
        s.reply(Granted(handle, surface, req.tag))

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _reorder(self) -> None:
        if self._restack:
            self._order = sorted(self._surfaces.values(), key=lambda s: (s.z, s.seq))
            self._restack = False
            self._retrack = True
        if self._resubscribe:
            subs: dict[EventKind, list[_Surface]] = {k: [] for k in EventKind}
            for s in self._order:
                if s.events is not None:
                    for k in s.kinds:
                        subs[k].append(s)
            self._subs = subs
            self._ticks = subs[EventKind.FRAME]
            self._resubscribe = False

    def _redraw(self, req: Redraw) -> None:
        if self._get(req.handle, req) is not None:
            self._dirty = True

    def _place(self, req: Place) -> None:
        s = self._get(req.handle, req)
        if s is None:
            return
        if req.image is not None:  # (the centre stays where it was)
            s.set_surface(req.image)
        if req.position is not None:
            s.move_to(*req.position)
        if req.z is not None:
            s.z = req.z
            s.seq = self._next_seq()
            self._restack = True
        if req.visible is not None:
            s.visible = req.visible
        if req.angle is not None:
            s.angle = float(req.angle)
            if s.track is not None and not s.own_angles:  # (the chunk played keeps it)
                s.track[2::4] = array("d", (s.angle,)) * s.end
        if req.scale is not None:
            s.scale = float(req.scale)
            if s.track is not None and not s.own_scales:
                s.track[3::4] = array("d", (s.scale,)) * s.end
        self._dirty = True
        self._reorder()

    def _track(self, req: Track) -> None:
        s = self._get(req.handle, req)
        if s is None:
            return
        n, odd = divmod(len(req.centres), 2)
        a, k = req.angles, req.scales
        if odd or (a is not None and len(a) != n) or (k is not None and len(k) != n):
            self._bad(f"a Track is centres [x0, y0, x1, y1, ...] and as many angles and "
                      f"scales as points (or None); got {len(req.centres)} centre values, "
                      f"{_length(req.angles)} angles, {_length(req.scales)} scales", req)
            return
        if not n:
            return
        # one array of doubles, [cx, cy, angle, scale] a frame: drawing a frame reads 32
        # adjacent bytes per sprite, where lists of floats had it visit four float objects
        # and four lists, which the rotozooms between two frames evict from the caches
        # (bench.pygame: 1.7 -> 0.75 µs of bookkeeping per sprite a frame, 200 sprites)
        track = array("d", bytes(32 * n))
        try:
            track[0::4] = array("d", req.centres[0::2])
            track[1::4] = array("d", req.centres[1::2])
            if a is not None:
                track[2::4] = array("d", a)
            if k is not None:
                track[3::4] = array("d", k)
        except TypeError as exc:
            self._bad(f"a Track's values must be numbers: {exc}", req)
            return
        s.pending.append((track, a is not None, k is not None))
        if not s.held and s.track is None:
            self._retrack = True

    def _hold(self, req: Hold) -> None:
        s = self._get(req.handle, req)
        if s is not None and s.held != req.held:
            s.held = req.held
            self._retrack = True

    def _subscribe(self, req: Subscribe) -> None:
        s = self._get(req.handle, req)
        if s is None:
            return
        if s.events is None:
            self._bad("Subscribe for a surface requested without events_to", req)
            return
        s.kinds |= set(req.kinds)
        if req.only_inside is not None:
            s.only_inside = req.only_inside
        self._resubscribe = True
        self._reorder()

    def _unsubscribe(self, req: Unsubscribe) -> None:
        s = self._get(req.handle, req)
        if s is not None:
            s.kinds -= set(req.kinds)
            self._resubscribe = True
            self._reorder()

    def _release_request(self, req: Release) -> None:
        s = self._get(req.handle, req)
        if s is not None:
            self._release(s)

    def _release(self, s: _Surface) -> None:
        del self._surfaces[s.handle]
        s.reply = s.events = None
        self._restack = self._resubscribe = self._dirty = True
        self._reorder()

    def _reap(self) -> None:
        """Release the surfaces of clients that ended without releasing them."""
        for s in [s for s in self._surfaces.values() if s.client is not None and s.client.done]:
            self._release(s)

    # -- tracks and drawing ------------------------------------------------------------------------

    def _draw(self) -> None:
        """Play one frame of every playing track, composite, flip.

        One pass over the surfaces does both: with a few hundred sprites whose rotozooms
        churn the CPU caches, touching each surface record once matters (bench.pygame).
        """
        screen = self.screen
        assert screen is not None
        bg = self.background
        if isinstance(bg, pygame.Surface):
            screen.blit(bg, (0, 0))
        else:
            screen.fill(bg)
        blit = screen.blit
        rotozoom = pygame.transform.rotozoom
        ran_dry = False
        for s in self._order:
            if s.playing:
                i = s.index
                if i >= s.end:
                    i = self._next_chunk(s)
                if i >= 0:
                    j = i * 4
                    t = s.track
                    assert t is not None
                    s.cx = t[j]
                    s.cy = t[j + 1]
                    s.angle = t[j + 2]
                    s.scale = t[j + 3]
                    s.index = i + 1
                else:
                    ran_dry = True
            if not s.visible or not s.w:
                continue
            angle = s.angle
            scale = s.scale
            if angle == 0.0 and scale == 1.0:
                blit(s.surface, (s.cx - s.hw, s.cy - s.hh))
            else:
                img = rotozoom(s.surface, angle, scale)
                iw, ih = img.get_size()
                blit(img, (s.cx - iw / 2, s.cy - ih / 2))
        pygame.display.flip()
        if ran_dry:
            self._retrack = True
        self._dirty = False
        self._drawn += 1


    @staticmethod
    def _next_chunk(s: _Surface) -> int:
        """Start playing ``s``'s next chunk (0, its first frame) or stop (-1: dry, the
        surface keeps its last geometry); tell the client a chunk was taken."""
        if not s.pending:
            s.track = None
            s.index = s.end = 0
            s.playing = False
            return -1
        track, own_angles, own_scales = s.pending.popleft()
        n = len(track) // 4
        if not own_angles:  # (angles and scales not given stay as they are)
            track[2::4] = array("d", (s.angle,)) * n
        if not own_scales:
            track[3::4] = array("d", (s.scale,)) * n
        s.track, s.end, s.index = track, n, 0
        s.own_angles, s.own_scales = own_angles, own_scales
        if s.reply is not None:
            s.reply(TrackTaken(s.handle, len(s.pending)))
        return 0


def _length(values: list[float] | None) -> str:
    return "no" if values is None else str(len(values))


def _post_quit(signum: int, frame: Any) -> None:
    """SIGINT/SIGTERM while the window is open: a QUIT, handled like closing the window."""
    pygame.event.post(pygame.event.Event(pygame.QUIT, reason=signal.Signals(signum).name))


def display_service(component: Component, **defaults: Any) -> Display:
    """The display of ``component``'s scheduler; one is started (with ``defaults``) if none.

    Call it from a running component (a client's ``main``)::

        display = display_service(self)
        self.link((self, "to_display"), (display, "inbox"))
    """
    sched = component.scheduler
    if sched is None:
        raise RuntimeError(f"{component.path}: display_service() needs a running component")
    found = sched.services.get(SERVICE)
    if isinstance(found, Display) and not found.done:
        return found
    display = Display(**defaults)
    sched.activate(display)
    return display
