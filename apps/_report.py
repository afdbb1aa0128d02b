"""A demo helper: print where sprites are, as JSON, at a given frame (screenshot tests)."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from typing import Any

from components.ui import DisplayClient, EventKind, Frame, Sprite, SurfaceRequest


class Reporter(DisplayClient):
    """At frame ``at`` prints ``{name: [x, y], ...}``: the centres of ``sprites()``.

    The positions come from the display, the one owner of geometry, so a test can check
    that the picture on screen shows each sprite where the display says it is.

    ::

        Graphline(display=Display(), report=Reporter(60, lambda: [cat_sprite]))
    """

    def __init__(self, at: int, sprites: Callable[[], list[Sprite]]) -> None:
        super().__init__(name="Reporter")
        self.at = at
        self.sprites = sprites

    def main(self) -> Generator[Any, Any, None]:
        granted = yield from self.open_surface(
            SurfaceRequest((0, 0), events=frozenset({EventKind.FRAME})))
        if granted is None:
            return
        try:
            while self.closed is None:
                for batch in self.recv_all("events"):
                    for ev in batch:
                        if isinstance(ev, Frame) and ev.number == self.at:
                            self.report()
                self.end = self.take_control(self.end)
                if self.end is not None:
                    break
                self.notices()
                self.refuse_input()  # nothing may sit unread in its inbox
                self.pause()
                yield
        finally:
            self.release_all()

    def report(self) -> None:
        display = self.display
        assert display is not None
        where = {}
        for s in self.sprites():
            g = display.geometry(s.handle)
            if g is not None:
                w, h = s.image.get_size()
                where[s.name] = [round(g[0] + w / 2), round(g[1] + h / 2)]
        print(json.dumps(where), flush=True)
