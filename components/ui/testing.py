"""Headless UI tests: a display on a fake clock, stepped frame by frame, fed posted events.

::

    clock = FakeClock()
    button = Button("OK", (10, 10))
    with UIHarness(button, clock=clock) as ui:
        clicks = ui.watch(button)         # what button sends on "outbox", as it comes
        ui.click((15, 15))
        ui.frames(1)
        assert clicks == [Clicked("OK")]
        assert ui.pixel(12, 12) != (0, 0, 0)

Set ``SDL_VIDEODRIVER=dummy`` (and ``SDL_AUDIODRIVER=dummy``) before pygame is imported.
Posting events goes through pygame's real queue; the display reads it at its next frame.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pygame

from axon import Component

from ..testing import FakeClock, Harness
from .display import Display, DisplayStatistics

__all__ = ["UIHarness"]


class _Recorder(Component):
    """Never started: its inboxes keep what watched outboxes send."""

    Inboxes = {}
    Outboxes = {}


class UIHarness:
    """A :class:`Display` and ``components`` run under one Harness on a FakeClock.

    Pass ``display=`` when the system under test brings its own (made with this
    ``clock``), e.g. an application's Graphline.

    ``frames(n)`` runs n display frames (time jumps to each frame's deadline, firing the
    components' own timers on the way); ``click``/``key``/``motion``/``post`` put events
    on pygame's queue; ``pixel`` and ``screenshot`` read the window; ``watch`` records an
    outbox.  Extra keyword arguments go to the Display (``on_quit`` defaults to ``close``
    here, so a test can look at the system after a QUIT).
    """

    def __init__(self, *components: Component, size: tuple[int, int] = (320, 240),
                 clock: FakeClock | None = None, display: Display | None = None,
                 **display_args: Any) -> None:
        self.clock = clock if clock is not None else FakeClock()
        self.root = Component(name="UI")
        if display is None:  # else it is one of the components, or inside one
            display_args.setdefault("on_quit", "close")
            display_args.setdefault("linger", True)
            display_args.setdefault("idle_fps", None)  # a frame is always 1/fps
            display = Display(size, clock=self.clock, **display_args)
            self.root.add_child(display)
        self.display = display
        self.root.add_children(*components)
        self.harness = Harness(self.root, clock=self.clock)
        self._recorder = _Recorder(name="watch")
        self._watched = 0
        try:
            self.harness.run_until_idle()  # opens the window, runs frame 1
            # frame 2 serves the surfaces asked for in the components' first timeslices and
            # frame 3 draws their first pictures
            self.frames(2)
        except BaseException:
            self.close()
            raise

    # -- time ----------------------------------------------------------------------------------

    @property
    def frame(self) -> int:
        return self.display.statistics().frames

    def frames(self, n: int = 1) -> None:
        """Run ``n`` more display frames (and whatever they wake)."""
        target = self.frame + n
        for _ in range(100 * n + 100):
            if self.frame >= target or self.display.done:
                return
            when = self.clock.next_deadline()
            if when is None:
                self.harness.run_until_idle()
                if self.frame >= target or self.display.done:
                    return
                raise AssertionError("the display set no timer: is it running?")
            self.harness.advance(max(0.0, when - self.clock.now()))
        raise AssertionError(f"{n} frames did not happen")

    def run_until_idle(self) -> None:
        self.harness.run_until_idle()

    @property
    def services(self) -> Any:
        """The scheduler's service registry."""
        return self.harness.scheduler.services

    def statistics(self) -> DisplayStatistics:
        return self.display.statistics()

    # -- input -----------------------------------------------------------------------------------

    def post(self, event_type: int, **attrs: Any) -> None:
        pygame.event.post(pygame.event.Event(event_type, **attrs))

    def click(self, pos: tuple[int, int], button: int = 1, *, release: bool = True) -> None:
        """Press (and release) a mouse button at a window position."""
        self.post(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)
        if release:
            self.post(pygame.MOUSEBUTTONUP, pos=pos, button=button)

    def motion(self, pos: tuple[int, int], rel: tuple[int, int] = (0, 0),
               buttons: tuple[int, int, int] = (0, 0, 0)) -> None:
        self.post(pygame.MOUSEMOTION, pos=pos, rel=rel, buttons=buttons)

    def key(self, key: int, unicode: str = "", *, up: bool = True, mod: int = 0) -> None:
        """Press (and release) a key."""
        self.post(pygame.KEYDOWN, key=key, mod=mod, unicode=unicode)
        if up:
            self.post(pygame.KEYUP, key=key, mod=mod, unicode=unicode)

    def type(self, text: str) -> None:
        for ch in text:
            self.key(ord(ch) if ch.isascii() else 0, ch)

    # -- output -----------------------------------------------------------------------------------

    def watch(self, component: Component, box: str = "outbox") -> deque[Any]:
        """What ``component`` sends on ``box`` from now on (a live deque)."""
        self._watched += 1
        name = f"{component.name}.{box}#{self._watched}"
        inbox = self._recorder.add_inbox(name, f"what {component.path}.{box} sent")
        component.link((component, box), (self._recorder, name))
        return inbox.queue

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        screen = self.display.screen
        assert screen is not None, "the window is closed"
        c = screen.get_at((x, y))
        return (c.r, c.g, c.b)

    def screenshot(self, path: str) -> None:
        assert self.display.screen is not None, "the window is closed"
        pygame.image.save(self.display.screen, path)

    def close(self) -> None:
        self.harness.close()
        if pygame.display.get_init():
            pygame.event.clear()

    def __enter__(self) -> UIHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
