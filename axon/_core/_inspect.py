"""Snapshots of a built or running system: components, their boxes and the links between.

Named ``_inspect`` (exported as :func:`axon.snapshot`) rather than ``axon.inspect`` so it
never shadows the standard library's ``inspect`` for readers of the package.

A component that stands in for components running elsewhere (a :class:`StandIn`, such as
a :class:`~axon.ChildProcess`) carries its boundary's statistics (``process``), and what
runs there appears below it, each component marked with the ``pid`` it runs in (the
stand-in reports it: see :meth:`StandIn.snapshot_elsewhere`).  The core knows nothing
more of processes: that is the process layer's, above it.

Message counts come from the boxes, because sends are not counted (a send is one deque
append; see axon/_core/_box.py).  A component's ``received`` is what it took from its inboxes; a
link's ``count`` is what has arrived at the inboxes it leads to (taken, waiting or
dropped), given only when those inboxes are fed through that link alone (otherwise None:
a fan-in cannot say which sender sent what).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Protocol

from ._box import Box, BoxStatistics, Inbox, Link, Outbox, finals
from ._component import RECEIVE, Component, State
from ._task import ReceivingOne
from ._errors import LinkError
from ._instrument import Instrument
from ._priority import Priority
from ._scheduler import Scheduler, SchedulerStatistics

__all__ = [
    "BoundaryStatistics", "BoxInfo", "ComponentInfo", "LinkInfo", "Profiler", "Snapshot",
    "StandIn", "box_id", "component_id", "snapshot", "walk",
]


def component_id(comp: Component) -> str:
    """An id for ``comp``, stable while it lives (used by drawings and the Introspector)."""
    return f"c{id(comp):x}"


def box_id(box: Box) -> str:
    return f"{component_id(box.owner)}.{box.name}"


@dataclass(frozen=True, slots=True)
class BoxInfo:
    """One box in a snapshot: its statistics, plus ``arrived`` (taken + waiting + dropped)."""

    id: str
    stats: BoxStatistics

    @property
    def name(self) -> str:
        return self.stats.name

    @property
    def kind(self) -> str:
        return self.stats.kind

    @property
    def arrived(self) -> int:
        s = self.stats
        return s.received + s.depth + s.dropped if s.kind == "inbox" else 0


class BoundaryStatistics(Protocol):
    """What a :class:`StandIn` reports of its boundary (``axon.ProcessStatistics`` for a
    child process): enough for a table or a drawing to title it."""

    @property
    def pid(self) -> int | None: ...  # the process it leads to (None: not started)
    @property
    def state(self) -> str: ...
    @property
    def exitcode(self) -> int | None: ...
    @property
    def messages_out(self) -> int: ...  # messages sent across, to what runs there
    @property
    def messages_in(self) -> int: ...  # messages received from there


@dataclass(frozen=True, slots=True)
class ComponentInfo:
    """One component in a snapshot."""

    id: str
    path: str
    name: str
    type: str
    label: str | int | None
    parent: str | None
    depth: int  # 0 for a top-level system
    state: str
    waiting_on: str  # what a paused, waiting or blocked component waits for
    inboxes: tuple[BoxInfo, ...]
    outboxes: tuple[BoxInfo, ...]
    children: tuple[str, ...]
    received: int  # messages taken from its inboxes
    waiting: int  # messages waiting in its inboxes
    dropped: int  # messages its inboxes dropped or its unlinked outboxes overflowed
    sent: int | None  # messages that arrived where its outboxes lead (None: not knowable)
    # what the component reports of itself (``Component.statistics()``: a record's fields
    # or a mapping): a backplane's subscribers, a network link's connection state, drops
    details: Mapping[str, Any] = field(default_factory=dict)
    pid: int | None = None  # the process it runs in (None: this one)
    process: BoundaryStatistics | None = None  # a stand-in's boundary: what crossed it
    priority: Priority = Priority.NORMAL  # its class (scheduler design note 8)
    # the inbox whose message, never taken, kept it running after it asked to pause (it
    # was reported with a RuntimeWarning: scheduler design note 9); None if never so
    kept_awake_by: str | None = None

    @property
    def is_composition(self) -> bool:
        return bool(self.children)


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """One link: box ids at both ends, its kind and owner, and a count (see module doc)."""

    source: str
    sink: str
    kind: str
    owner: str | None
    count: int | None


@dataclass(frozen=True)
class Snapshot:
    """Components (parents before children) and links of a system at one moment."""

    components: tuple[ComponentInfo, ...]
    links: tuple[LinkInfo, ...]
    scheduler: SchedulerStatistics | None = None
    taken_at: float = field(default_factory=time.time)

    def component(self, path_or_id: str) -> ComponentInfo:
        """The component with this path (first match) or id."""
        for c in self.components:
            if c.path == path_or_id or c.id == path_or_id:
                return c
        raise KeyError(f"no component {path_or_id!r} in the snapshot "
                       f"(paths: {', '.join(c.path for c in self.components)})")

    def by_id(self) -> dict[str, ComponentInfo]:
        return {c.id: c for c in self.components}

    def format(self) -> str:
        """A readable table: one line per component, indented by depth."""
        rows = [("component", "state", "in", "out", "waiting", "dropped", "waiting on")]
        for c in self.components:
            name = "  " * c.depth + (f"[{c.label}] " if c.label is not None else "") + c.name
            if c.process is not None:
                name += f" (stand-in, pid {c.process.pid})"
            elif c.pid is not None:
                name += f" (pid {c.pid})"
            waiting_on = c.waiting_on
            if c.kept_awake_by is not None:
                waiting_on = (waiting_on + " " if waiting_on else "") + \
                    f"(kept awake by {c.kept_awake_by!r})"
            rows.append((name, c.state, str(c.received), "?" if c.sent is None else str(c.sent),
                         str(c.waiting), str(c.dropped), waiting_on))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
        lines.append(f"{len(self.links)} links")
        return "\n".join(lines)


# -- taking a snapshot --------------------------------------------------------------------


def snapshot(*targets: Component | Scheduler, live_only: bool = False) -> Snapshot:
    """A :class:`Snapshot` of systems (components, with all their descendants) or of
    everything a scheduler runs.  ``live_only`` leaves out finished components."""
    roots: list[Component] = []
    sched_stats = None
    for t in targets:
        if isinstance(t, Scheduler):
            sched_stats = t.statistics()
            roots.extend(c for c in t.components if c.parent is None)
        elif isinstance(t, Component):
            roots.append(t)
        else:
            raise TypeError(f"snapshot() takes components or a Scheduler, not {t!r}")
    comps = list(walk(roots, live_only))
    ids = {id(c) for c in comps}
    infos: list[ComponentInfo] = []
    remote_links: list[LinkInfo] = []
    for c, depth in _with_depth(comps):
        info = _component_info(c, depth)
        if isinstance(c, StandIn):
            info, inside, crossing = c.snapshot_elsewhere(info, live_only)
            infos.append(info)
            infos.extend(inside)
            remote_links.extend(crossing)
        else:
            infos.append(info)
    links: dict[int, Link] = {}
    for c in comps:
        for b in (*_inboxes(c).values(), *c.outboxes.values()):
            for lk in b.links_out:
                if id(lk.source.owner) in ids and id(lk.sink.owner) in ids:
                    links[id(lk)] = lk
    link_infos = tuple(_link_info(lk) for lk in links.values()) + tuple(remote_links)
    return Snapshot(tuple(infos), link_infos, sched_stats)


class StandIn:
    """A component standing in for components that run elsewhere (``axon.ChildProcess``):
    :func:`snapshot` shows what it reports of them below it, and a :class:`Profiler`
    asks it to have them profiled there.  The layer that knows where (processes) says how.
    """

    def snapshot_elsewhere(self, info: ComponentInfo, live_only: bool
                           ) -> tuple[ComponentInfo, list[ComponentInfo], list[LinkInfo]]:
        """``info`` (this stand-in's own record) with its boundary, the components that
        run elsewhere (placed under it), and the links among and across to them."""
        return info, [], []

    def profile_elsewhere(self) -> None:
        """Have what runs elsewhere profiled too (a :class:`Profiler` was added)."""


def walk(roots: Iterable[Component], live_only: bool) -> Iterator[Component]:
    """``roots`` and their descendants, parents first (each once)."""
    seen: set[int] = set()
    todo = list(reversed(list(roots)))
    while todo:
        c = todo.pop()
        if id(c) in seen or (live_only and c.done):
            continue
        seen.add(id(c))
        yield c
        todo.extend(reversed(c.children))


def _with_depth(comps: list[Component]) -> Iterator[tuple[Component, int]]:
    for c in comps:
        depth, p = 0, c.parent
        while p is not None:
            depth, p = depth + 1, p.parent
        yield c, depth


def _arrived(ib: Inbox[Any]) -> int:
    return ib.received + len(ib.queue) + ib.dropped


def _fed_only_through(f: Inbox[Any], link: Link) -> bool:
    """True if every message reaching final inbox ``f`` came through ``link``."""
    box: Box = f
    while box is not link.sink:
        if len(box.links_in) != 1:
            return False
        box = box.links_in[0].source
    return box.links_in == [link]


def _link_info(lk: Link) -> LinkInfo:
    try:
        ends = finals(lk.sink)
    except LinkError:  # a snapshot never fails on a half-made system
        ends = []
    count: int | None = None
    if ends and all(_fed_only_through(f, lk) for f in ends):
        count = sum(_arrived(f) for f in ends)
    owner = component_id(lk.owner) if lk.owner is not None else None
    return LinkInfo(box_id(lk.source), box_id(lk.sink), lk.kind.value, owner, count)


def _sent(ob: Outbox[Any]) -> int | None:
    """What ``ob`` sent, if the inboxes it feeds are fed by nothing else (else None)."""
    total = len(ob.held) + ob.overflowed
    for t in ob.targets:
        tops: dict[int, Box] = {}
        todo: list[Box] = [t]
        while todo:  # the boxes at the top of every route into t
            b = todo.pop()
            if b.links_in:
                todo.extend(lk.source for lk in b.links_in)
            else:
                tops[id(b)] = b
        if list(tops.values()) != [ob]:
            return None
        total += _arrived(t)
    return total


def _inboxes(c: Component) -> Mapping[str, Inbox[Any]]:
    """``c.inboxes`` without giving each its deque (a snapshot changes nothing)."""
    c._axon_ensure_boxes()
    return c._axon_inboxes


def _waiting_on(c: Component) -> str:
    t = c._axon_task
    state = c.state
    if state is State.PAUSED and t is not None:
        chosen = c._axon_wake_boxes  # (not the queues' identities: inboxes nothing has
        # reached share one empty queue, NO_MESSAGES in axon/_core/_box.py)
        names = [] if not t.pause_queues else list(_inboxes(c) if chosen is None else chosen)
        if t.resume is RECEIVE or isinstance(t.resume, ReceivingOne):
            names = ["inbox"] + [n for n in names if n != "inbox"]
        if not names:
            return "a wake-up (children finishing)" if c.children else "a wake-up"
        return "a message on " + " or ".join(names)
    if state is State.WAITING and t is not None:
        fut = t.future
        coro = getattr(fut, "get_coro", lambda: None)()
        what = getattr(coro, "__qualname__", None) or type(fut).__name__
        return f"awaitable {what}"
    if state is State.BLOCKED and t is not None:
        sends = t.blocked_sends or ()
        boxes = sorted({repr(ib) for ib, _ in sends})
        return "room in " + ", ".join(boxes) if boxes else "room in a bounded inbox"
    if state is State.NEW:
        return "not started"
    return ""


def _component_info(c: Component, depth: int) -> ComponentInfo:
    ins = tuple(BoxInfo(box_id(b), b.statistics()) for b in _inboxes(c).values())
    outs = tuple(BoxInfo(box_id(b), b.statistics()) for b in c.outboxes.values())
    sent: int | None = None  # a composition's outboxes pass its children's messages on
    if not c.children:
        sent = 0
        for ob in c.outboxes.values():
            s = _sent(ob)
            sent = None if s is None or sent is None else sent + s
    parent = c.parent
    sched = c.scheduler
    return ComponentInfo(
        id=component_id(c), path=c.path, name=c.name, type=type(c).__name__, label=c.label,
        parent=component_id(parent) if parent is not None else None, depth=depth,
        state=c.state.value, waiting_on=_waiting_on(c), inboxes=ins, outboxes=outs,
        children=tuple(component_id(ch) for ch in c.children),
        received=sum(b.stats.received for b in ins),
        waiting=sum(b.stats.depth for b in ins),
        dropped=sum(b.stats.dropped for b in ins) + sum(b.stats.dropped for b in outs),
        sent=sent, details=_details(c), priority=c.priority,
        kept_awake_by=sched._awake.reported.get(c) if sched is not None else None,
    )


def _details(c: Component) -> Mapping[str, Any]:
    """What ``c.statistics()`` reports, as a mapping: a record's fields, or the mapping it
    gives ({} for anything else, or if it fails: a snapshot never fails on a report)."""
    try:
        found = c.statistics()
    except Exception:  # noqa: BLE001 - a snapshot never fails on a component's report
        return {}
    if isinstance(found, Mapping):
        return found
    if is_dataclass(found) and not isinstance(found, type):
        return {f.name: getattr(found, f.name) for f in fields(found)}
    return {}


# -- timing ---------------------------------------------------------------------------------


class Profiler(Instrument):
    """Counts each component's timeslices, the time spent in them, and what it sent.

    ``scheduler.add_instrument(Profiler())``; read :attr:`timeslices`, :attr:`seconds` and
    :attr:`sent` (keyed by component; ``sent`` is taken as each one finishes, while the
    links it sent through still exist).  Costs two clock reads per timeslice while added.
    A :class:`StandIn` (a :class:`~axon.ChildProcess`) started while it is added has what
    runs elsewhere profiled too (see :meth:`~axon.ChildProcess.child_profile`).
    """

    def __init__(self) -> None:
        self.timeslices: dict[Component, int] = {}
        self.seconds: dict[Component, float] = {}
        self.sent: dict[Component, int | None] = {}
        self._t0 = 0.0
        self._clock = time.perf_counter

    def component_started(self, component: Component) -> None:
        if isinstance(component, StandIn):  # (a ChildProcess: its child profiles there)
            component.profile_elsewhere()

    def before_timeslice(self, component: Component) -> None:
        self._t0 = self._clock()

    def after_timeslice(self, component: Component) -> None:
        dt = self._clock() - self._t0
        self.timeslices[component] = self.timeslices.get(component, 0) + 1
        self.seconds[component] = self.seconds.get(component, 0.0) + dt

    def component_finished(self, component: Component) -> None:
        if component.children:
            self.sent[component] = None
            return
        total: int | None = 0
        for ob in component.outboxes.values():
            n = _sent(ob)
            total = None if n is None or total is None else total + n
        self.sent[component] = total
