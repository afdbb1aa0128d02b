"""Introspector: follows the running topology and sends changes as text commands.

The commands are Kamaelia's topology-viewer language, one per line::

    ADD NODE <id> <name> auto component           a component (name: its path)
    ADD NODE <id> <name> auto inbox|outbox        one of its boxes
    ADD LINK <component id> <box id>              the component owns the box
    ADD LINK <box id> <box id>                    a link between boxes (passthroughs too)
    UPDATE_NAME LINK <box id> <box id> <count>    with counts=True: messages through it
    DEL LINK <id> <id>
    DEL NODE <id>

Names are quoted (``shlex``) when they hold spaces.  Each batch of changes is one message:
the lines joined, each ending in a newline (one message per change would flood a viewer).
Within a batch, removals come first (links, then nodes), then additions (nodes, then
links), so an id Python reused for a new component is first deleted, then added again.

It is woken by scheduler instrument hooks (a component started or finished, a link made or
removed), never by polling; with ``counts=True`` a timer also wakes it every ``interval``
seconds to report the links whose message counts changed (a link's count is what
:func:`axon.snapshot` gives: what arrived at the inboxes it leads to, known only when they
are fed through it alone).  ``min_gap`` spaces reports out in a system that changes all
the time (a Carousel making a child per message): changes are gathered into one report
at most every ``min_gap`` seconds.

What it watches: by default every system on its scheduler except its own (run it as a
system of its own, typically ``Pipeline(Introspector(), viewer)``); ``watch=[system]``
only those systems; ``include_own=True`` its own system too (a viewer watching itself).
It finishes (after reporting everything gone) once nothing it watches runs, or on an end
on its ``control``.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

from .._core import (
    Box, Component, Inbox, Instrument, Link, ProducerFinished, box_id, component_id,
)

if TYPE_CHECKING:
    from .._core import Scheduler

__all__ = ["Introspector"]


class _Waker(Instrument):
    def __init__(self, target: Introspector) -> None:
        self.target = target

    def _wake(self) -> None:
        target = self.target
        target._changed = True
        if target._gap_wait:  # it will look when its min_gap timer rings: no need to wake
            return
        sched = target.scheduler
        if sched is not None:
            sched.wake(target)

    def component_started(self, component: Component) -> None:
        self._wake()

    def component_finished(self, component: Component) -> None:
        self._wake()

    def link_added(self, link: Link) -> None:
        self._wake()

    def link_removed(self, link: Link) -> None:
        self._wake()


def _q(name: str) -> str:
    return shlex.quote(name)


def _finals(box: Box) -> list[Inbox[Any]]:
    """The inboxes a message pushed into ``box`` ends in (each once)."""
    out: list[Inbox[Any]] = []
    todo = [box]
    seen: set[int] = set()
    while todo:
        b = todo.pop()
        if id(b) in seen:
            continue
        seen.add(id(b))
        if b.links_out:
            todo.extend(lk.sink for lk in b.links_out)
        elif isinstance(b, Inbox):
            out.append(b)
    return out


def _fed_only_through(f: Inbox[Any], link: Link) -> bool:
    box: Box = f
    while box is not link.sink:
        if len(box.links_in) != 1:
            return False
        box = box.links_in[0].source
    return len(box.links_in) == 1 and box.links_in[0] is link


def link_count(link: Link) -> int | None:
    """What arrived at the inboxes ``link`` leads to (taken, waiting or dropped), when they
    are fed through it alone; else None (a fan-in cannot say who sent what)."""
    ends = _finals(link.sink)
    if not ends or not all(_fed_only_through(f, link) for f in ends):
        return None
    return sum(f.received + len(f.queue) + f.dropped for f in ends)


class Introspector(Component):
    """Sends ``ADD``/``DEL`` ``NODE``/``LINK`` commands as the running system changes.

    Args:
        watch: report only these systems (and everything inside them); default: every
            system on the scheduler except the introspector's own.
        include_own: with ``watch=None``, report the introspector's own system as well.
        counts: also report each link's message count (``UPDATE_NAME LINK``), every
            ``interval`` seconds while it changes.
        interval: seconds between count reports.
        min_gap: at least this many seconds between reports (0: report at once).
        prefix: put before every id (several processes feeding one viewer).
        clock: what times the counts and ``min_gap``: an object with ``now()`` and
            ``call_later(delay, callback)`` (``axon.testing.FakeClock`` in tests);
            default: the event loop.
    """

    Inboxes = {"inbox": "(unused)", "control": "ProducerFinished / Shutdown: stop reporting"}
    Outboxes = {"outbox": "batches of topology commands (str, newline-terminated lines)",
                "signal": "ProducerFinished when it stops"}

    _axon_woken_unseen = True  # by the scheduler's hooks, on any start, finish or link

    def __init__(self, *, watch: Iterable[Component] | None = None, include_own: bool = False,
                 counts: bool = False, interval: float = 0.5, min_gap: float = 0.0,
                 prefix: str = "", clock: Any = None, name: str | None = None) -> None:
        super().__init__(name=name)
        if interval <= 0 or min_gap < 0:
            raise ValueError(f"{self.name}: interval must be > 0 and min_gap >= 0")
        self.watch = list(watch) if watch is not None else None
        self.include_own = include_own
        self.counts = counts
        self.interval = interval
        self.min_gap = min_gap
        self.prefix = prefix
        self.clock = clock
        self.reports = 0  # batches sent
        self.scans = 0
        self._changed = True  # by the scheduler's hooks, on any start, finish or link
        self._shown_nodes: dict[str, str] = {}  # id -> the ADD NODE line
        self._shown_links: dict[tuple[str, str], int | None] = {}  # -> its count (counts=True)
        self._waker = _Waker(self)
        self._timer: Any = None  # a timer handle (its cancel() unsets it)
        self._due = 0.0  # when it rings
        self._gap_wait = False  # the timer is for min_gap: changes need not wake it
        self._hold: Any = None
        self.wake_on("control")

    def on_activate(self, scheduler: Scheduler) -> None:
        scheduler.add_instrument(self._waker)

    def _root(self) -> Component:
        c: Component = self
        while c.parent is not None:
            c = c.parent
        return c

    def _shows(self, c: Component, mine: Component, watched: set[int] | None) -> bool:
        top = c
        if watched is not None:
            while True:
                if id(top) in watched:
                    return True
                if top.parent is None:
                    return False
                top = top.parent
        while top.parent is not None:
            top = top.parent
        return self.include_own or top is not mine

    def _scan(self) -> tuple[dict[str, str], dict[tuple[str, str], int | None], int]:
        """The nodes and links of everything watched that lives, and how many of those
        components are outside the introspector's own system."""
        sched = self.scheduler
        assert sched is not None
        self.scans += 1
        mine = self._root()
        watched = {id(w) for w in self.watch} if self.watch is not None else None
        p = self.prefix
        nodes: dict[str, str] = {}
        links: dict[tuple[str, str], int | None] = {}
        others = 0
        shown: list[Component] = []
        ids: set[int] = set()
        for c in sched.components:
            if c.done or not self._shows(c, mine, watched):
                continue
            shown.append(c)
            ids.add(id(c))
            root = c
            while root.parent is not None:
                root = root.parent
            if root is not mine:
                others += 1
            cid = p + component_id(c)
            nodes[cid] = f"ADD NODE {cid} {_q(c.path)} auto component"
            for kind, named in (("inbox", c.inboxes), ("outbox", c.outboxes)):
                for name, box in named.items():
                    bid = p + box_id(box)
                    nodes[bid] = f"ADD NODE {bid} {_q(name)} auto {kind}"
                    links[(cid, bid)] = None
        counts = self.counts
        for c in shown:
            boxes: list[Box] = [*c.inboxes.values(), *c.outboxes.values()]
            for b in boxes:
                for lk in b.links_out:
                    if id(lk.sink.owner) in ids:
                        key = (p + box_id(lk.source), p + box_id(lk.sink))
                        links[key] = link_count(lk) if counts else None
        if self.watch is not None:
            others = sum(1 for w in self.watch if not w.done)
        return nodes, links, others

    def _report(self, nodes: dict[str, str], links: dict[tuple[str, str], int | None]) -> None:
        old_nodes, old_links = self._shown_nodes, self._shown_links
        lines: list[str] = []
        # an id whose line changed is a new component at a reused address: delete, add
        changed = {nid for nid, line in nodes.items() if old_nodes.get(nid, line) != line}
        gone_links = [ab for ab in old_links
                      if ab not in links or ab[0] in changed or ab[1] in changed]
        lines.extend(f"DEL LINK {a} {b}" for a, b in sorted(gone_links))
        gone = [nid for nid in old_nodes if nid not in nodes or nid in changed]
        gone.sort(key=lambda nid: "." not in nid)  # boxes before their components
        lines.extend(f"DEL NODE {nid}" for nid in gone)
        for nid, line in nodes.items():
            if nid not in old_nodes or nid in changed:
                lines.append(line)
        gone_set = set(gone_links)
        new_links = [ab for ab in links if ab not in old_links or ab in gone_set]
        # ownership links (from a component, whose id has no '.') before box links
        new_links.sort(key=lambda ab: ("." in ab[0], ab))
        lines.extend(f"ADD LINK {a} {b}" for a, b in new_links)
        if self.counts:
            fresh = set(new_links)
            for (a, b), n in links.items():
                if n != (None if (a, b) in fresh else old_links.get((a, b))):
                    lines.append(f"UPDATE_NAME LINK {a} {b} {n if n is not None else _q('')}")
        self._shown_nodes, self._shown_links = nodes, links
        if lines:
            self.reports += 1
            self.send("".join(line + "\n" for line in lines))

    def _set_timer(self, now: float, delay: float) -> None:
        """Be woken ``delay`` seconds from ``now`` (or sooner, if already set so)."""
        if self._timer is not None:
            if self._due <= now + delay:
                return
            self._timer.cancel()
        if self._hold is None:
            self._hold = self.keep_alive()
            self._hold.__enter__()
        clock = self.clock if self.clock is not None else asyncio.get_running_loop()
        self._due = now + delay
        self._timer = clock.call_later(delay, self._ring)

    def _ring(self) -> None:
        self._timer = None
        self._gap_wait = False
        if self._hold is not None:
            hold, self._hold = self._hold, None
            hold.__exit__(None, None, None)
        sched = self.scheduler
        if sched is not None:
            sched.wake(self)

    def _cancel_timer(self) -> None:
        self._gap_wait = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._hold is not None:
            hold, self._hold = self._hold, None
            hold.__exit__(None, None, None)

    def main(self) -> Generator[None, Any, None]:
        sched = self.scheduler
        assert sched is not None
        loop = asyncio.get_running_loop()
        now_: Any = self.clock.now if self.clock is not None else loop.time
        last = -1e300  # when the last report was made
        last_counts = now_()
        try:
            while True:
                if self.finished():
                    break
                now = now_()
                due_counts = self.counts and now - last_counts >= self.interval
                if self._changed or due_counts:
                    if now - last < self.min_gap:
                        self._set_timer(now, last + self.min_gap - now)
                        self._gap_wait = True
                    else:
                        self._changed = False
                        nodes, links, others = self._scan()
                        self._report(nodes, links)
                        last = now
                        if due_counts:
                            last_counts = now
                        if not others and not (self.include_own and self.watch is None):
                            break
                if self.counts:  # the next count report, no sooner than min_gap allows
                    now = now_()
                    due = max(last_counts + self.interval, last + self.min_gap)
                    self._set_timer(now, max(0.0, due - now))
                self.pause()
                yield
        finally:
            self._cancel_timer()
            sched.remove_instrument(self._waker)
        self._report({}, {})
        self.send(self.end_message or ProducerFinished("introspector"), "signal")
