"""Intake: what an I/O component has read from outside and not yet sent on.

The library's I/O edges (a TCP connection, a UDP receiver, a child process's stdout and
stderr) share this one piece of flow control, built on ``Component.room`` (the design
notes of ``axon/_core/_flow.py`` describe the mechanism).  The outside source (a transport's
callback, a reader task) ``put``s what it reads, which wakes the component; once the intake
holds ``limit`` (bytes, or items) it calls ``pause()``, the source's own way to stop
(``transport.pause_reading``...).  In its timeslices the component calls ``forward()``,
which sends what it holds while the inboxes downstream have room (each holds fewer than
``room`` messages) and, once the intake is down to half its limit, calls ``resume()``.
While there is no room the component sleeps until a reader downstream takes something.

So an edge holds at most ``limit`` plus one read of its source, and each inbox it feeds at
most ``room`` messages: memory stays bounded whatever the peer or the child does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from axon import Component

__all__ = ["Intake"]


def _nothing() -> None:
    pass


class Intake:
    """A bounded hold of items read from outside, sent on ``box`` as there is room.

    Args:
        component: the component whose outbox ``box`` the items go out of.
        limit: pause the source once this much is held (``weigh`` of each item summed).
        room: send only while every inbox ``box`` reaches holds fewer messages.
        weigh: an item's share of ``limit`` (default: 1 per item; ``len`` for bytes).
        pause, resume: stop and restart the source (called once per change).
    """

    __slots__ = ("box", "component", "items", "level", "limit", "most", "pause", "paused",
                 "resume", "room", "weigh")

    def __init__(self, component: Component, box: str = "outbox", *, limit: int, room: int,
                 weigh: Callable[[Any], int] | None = None,
                 pause: Callable[[], None] = _nothing,
                 resume: Callable[[], None] = _nothing) -> None:
        if limit < 1 or room < 1:
            raise ValueError(f"{component.path}: an intake needs limit and room of at least 1")
        self.component = component
        self.box = box
        self.limit = limit
        self.room = room
        self.weigh = weigh
        self.pause = pause
        self.resume = resume
        self.items: deque[Any] = deque()
        self.level = 0  # what is held, as weighed
        self.paused = False  # the source is stopped
        self.most = 0  # the most ever held (``level``): for tests and statistics

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def put(self, item: Any) -> None:
        """Hold ``item`` (from the source) and wake the component to send it on."""
        self.items.append(item)
        self.level += 1 if self.weigh is None else self.weigh(item)
        self.most = max(self.most, self.level)
        if self.level >= self.limit and not self.paused:
            self.paused = True
            self.pause()
        sched = self.component.scheduler
        if sched is not None:
            sched.wake(self.component)

    def forward(self) -> int:
        """Send what there is room for (in the component's timeslice); returns how many.

        When room runs out the component is woken as soon as a reader takes something.
        """
        items = self.items
        sent = 0
        if items:
            comp = self.component
            send = comp.send
            box = self.box
            weigh = self.weigh
            while items and (free := comp.room(box, limit=self.room)) > 0:
                for _ in range(min(free, len(items))):
                    item = items.popleft()
                    self.level -= 1 if weigh is None else weigh(item)
                    send(item, box)
                    sent += 1
        if self.paused and self.level <= self.limit // 2:
            self.paused = False
            self.resume()
        return sent

    def clear(self) -> int:
        """Let go of everything held (the source is gone); returns how many items."""
        n = len(self.items)
        self.items.clear()
        self.level = 0
        return n
