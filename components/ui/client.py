"""Display clients: the handshake with the display service, and the shape every widget shares.

:class:`DisplayClient` finds the display through the scheduler's service registry (starting
one if none runs), asks for surfaces and waits for them, and gives them back when it ends.
:class:`Widget` adds the loop of a one-surface widget: event batches, inbox data, timers,
coalesced redraws and the library's end-of-stream rules (``ProducerFinished``: finish the
work already given, then pass it on; ``Shutdown``: stop now and pass it on; the window
closing: stop and pass ``Shutdown`` on).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Iterable
from typing import Any

import pygame

from axon import EndSignal, ProducerFinished, ReaderGone, Shutdown

from .._stage import Stage
from ..errors import OnError
from ..timing import Alarm, Clock, SystemClock
from .display import (
    Display,
    DisplayClosed,
    Granted,
    Redraw,
    Release,
    SurfaceRequest,
    display_service,
)
from .events import EventKind, UIEvent

__all__ = ["DisplayClient", "Widget"]

_tags = itertools.count(1)


class DisplayClient(Stage):
    """Base of components that draw through the display service.

    ``yield from self.open_surface(request)`` sends ``request`` (filling in this
    component's ``display`` and ``events`` inboxes as the reply boxes) and waits for the
    surface; it gives ``None`` if ``Shutdown`` came or the window closed first.  Surfaces
    still held are released when :meth:`release_all` runs (``Widget`` does it as it ends).

    ::

        class Dot(DisplayClient):
            def main(self):
                granted = yield from self.open_surface(SurfaceRequest((8, 8)))
                ...
    """

    Inboxes = {
        "inbox": "data (see the subclass)",
        "control": "ProducerFinished or Shutdown",
        "display": "from the display: Granted, TrackTaken, DisplayClosed",
        "events": "UI events, one list per frame",
    }
    Outboxes = {
        "outbox": "results (see the subclass)",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "BadInput records when on_error='send'",
    }

    def __init__(self, *, on_error: OnError | str = OnError.RAISE, name: str | None = None):
        super().__init__(on_error=on_error, name=name)
        self.display: Display | None = None
        self.handles: set[int] = set()
        self.closed: str | None = None  # why the window closed, once it has
        self.end: EndSignal | None = None  # the end of stream taken from control so far
        self._notices: list[Any] = []
        self._wake: tuple[str, ...] | None = None  # set_wake()'s choice (None: every inbox)

    def connect_display(self) -> Display:
        """The display service, linked to ``to_display`` (once)."""
        if self.display is None or self.display.done:
            self.display = display_service(self)
            self.link((self, "to_display"), (self.display, "inbox"))
        return self.display

    def open_surface(self, request: SurfaceRequest) -> Generator[Any, Any, Granted | None]:
        """Ask for a surface and wait for it (``Shutdown`` or the window closing: None)."""
        self.connect_display()
        if request.reply_to is None:
            request.reply_to = (self, "display")
        elif request.reply_to[0] is not self:
            raise ValueError(f"{self.path}: open_surface() waits for the reply on one of its "
                             f"own inboxes, not on {request.reply_to!r}")
        if request.events_to is None and request.events:
            request.events_to = (self, "events")
        if request.tag is None:
            request.tag = next(_tags)
        self.send(request, "to_display")
        # while it waits, only the reply (or an end) wakes it: input already waiting in
        # other inboxes must not keep it spinning until the display's next frame
        self.wake_on("control", request.reply_to[1])
        try:
            return (yield from self._wait_for(request))
        finally:
            self.set_wake(self._wake)

    def set_wake(self, boxes: tuple[str, ...] | None) -> None:
        """Which inboxes wake it from a pause (None: every one); see ``wake_on``."""
        self._wake = boxes
        self.wake_on(*(boxes if boxes is not None else self.inboxes))

    def _wait_for(self, request: SurfaceRequest) -> Generator[Any, Any, Granted | None]:
        assert request.reply_to is not None
        while True:
            self.end = self.take_control(self.end)
            if isinstance(self.end, Shutdown):
                return None
            for msg in self.recv_all(request.reply_to[1]):
                if isinstance(msg, Granted) and msg.tag == request.tag:
                    self.handles.add(msg.handle)
                    return msg
                if isinstance(msg, DisplayClosed):
                    self.closed = msg.reason
                else:
                    self._notices.append(msg)
            if self.closed is not None:
                return None
            self.pause()
            yield

    def take_control(self, current: EndSignal | None = None,
                     other: Callable[[Any], None] | None = None) -> EndSignal | None:
        """As :meth:`Stage.take_control`, except for the ``ReaderGone`` the scheduler sends
        when the display (the reader of ``to_display``) has ended: the display said so
        itself, with ``DisplayClosed`` after its last events, and those are read first."""
        end = super().take_control(current, other)
        if (end is not current and isinstance(end, ReaderGone)
                and self.display is not None and self.display.done):
            return current
        return end

    def notices(self) -> list[Any]:
        """What the display sent since the last call (DisplayClosed also sets ``closed``)."""
        msgs = self.recv_all("display")
        if self._notices:
            msgs = self._notices + msgs
            self._notices = []
        for msg in msgs:
            if isinstance(msg, DisplayClosed):
                self.closed = msg.reason
        return msgs

    def to_display(self, request: Any) -> None:
        """Send one request to the display."""
        self.send(request, "to_display")

    def pass_end(self, default: EndSignal) -> None:
        """Send the end on ``signal``: the one taken from control, else ``default``.

        It is kept as ``end_message`` too, where compositions look for how a child ended.
        """
        end = self.end if self.end is not None else default
        self.end_message = end
        self.send(end, "signal")

    def release(self, handle: int) -> None:
        """Give a surface back."""
        if handle in self.handles:
            self.handles.discard(handle)
            if self.closed is None:
                self.send(Release(handle), "to_display")

    def release_all(self) -> None:
        for handle in list(self.handles):
            self.release(handle)


class Widget(DisplayClient):
    """A display client with one surface, woken by events, inbox data and its own timer.

    Subclasses set the request (:meth:`request`), draw in :meth:`setup`, and react in
    :meth:`on_events`, :meth:`on_inbox`, :meth:`on_box` (other inboxes) and :meth:`on_time`
    (after ``self.alarm.set_at(t)``); they call :meth:`changed` after drawing.  :meth:`busy`
    says work given before a ``ProducerFinished`` is still under way (a ticker's words).

    ::

        class Square(Widget):
            def setup(self):
                self.surface.fill((255, 0, 0)); self.changed()
    """

    _SKIP = ("inbox", "control", "display", "events")

    def __init__(self, size: tuple[int, int], position: tuple[float, float] | None = None, *,
                 z: int = 0, events: Iterable[EventKind] = (), only_inside: bool = False,
                 clock: Clock | None = None, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.size = (int(size[0]), int(size[1]))
        self.position = position
        self.z = z
        self.events = frozenset(events)
        self.only_inside = only_inside
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.handle = 0
        self.surface: pygame.Surface = None  # type: ignore[assignment]  # set once granted
        self.alarm: Alarm = None  # type: ignore[assignment]
        self._changed = False

    # -- for subclasses ---------------------------------------------------------------------

    def request(self) -> SurfaceRequest:
        return SurfaceRequest(self.size, position=self.position, z=self.z, events=self.events,
                              only_inside=self.only_inside)

    def setup(self) -> None:
        """Draw the first picture (the surface has arrived)."""

    def on_events(self, events: list[UIEvent]) -> None:
        """One frame's events."""

    def on_inbox(self, msgs: list[Any]) -> None:
        """Messages that reached ``inbox`` (default: bad input)."""
        for msg in msgs:
            self.reject(f"{self.name} takes nothing on 'inbox'; got {type(msg).__name__}", msg)

    def on_box(self, box: str, msgs: list[Any]) -> None:
        """Messages that reached another inbox."""

    def on_time(self, now: float) -> None:
        """Woken with the alarm set (or by a message while it is): check what is due."""

    def busy(self) -> bool:
        """True while work given before ProducerFinished is unfinished."""
        return False

    def changed(self) -> None:
        """The surface's pixels changed: a redraw is asked for at the end of the timeslice."""
        self._changed = True

    # -- the loop ---------------------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        granted = yield from self.open_surface(self.request())
        if granted is None:
            self.pass_end(self._default_end())
            return
        self.handle = granted.handle
        self.surface = granted.surface
        self.alarm = Alarm(self, self.clock)
        extra = [b for b in self.inboxes if b not in self._SKIP]
        try:
            self.setup()
            while True:
                self.end = self.take_control(self.end)
                if isinstance(self.end, Shutdown):
                    break
                self.notices()
                if self.closed is not None:
                    break
                for batch in self.recv_all("events"):
                    self.on_events(batch)
                msgs = self.recv_all("inbox")
                if msgs:
                    self.on_inbox(msgs)
                for box in extra:
                    msgs = self.recv_all(box)
                    if msgs:
                        self.on_box(box, msgs)
                if self.alarm.deadline is not None:  # set, or rang (it keeps its deadline)
                    self.on_time(self.clock.now())
                if self._changed:
                    self._changed = False
                    self.to_display(Redraw(self.handle))
                if self.end is not None and not self.busy():
                    break
                self.pause()
                yield
        finally:
            self.alarm.cancel()
            self.release_all()
        self.pass_end(self._default_end())

    def _default_end(self) -> EndSignal:
        return Shutdown(f"display closed: {self.closed}") if self.closed else ProducerFinished()
