"""GraphViewer: a graph on the display service, laid out by physics, driven by commands.

Commands (``components.ui.graph.commands``) arrive on ``inbox`` as text (one message may
hold many lines), token lists (``["ADD", "NODE", "a", "A", "auto", "-"]``), lists of those,
typed records (``AddNode(...)``), or a :class:`CommandBatch` whose replies go back to the
inbox it names.  **Every command waiting is applied before the next picture is drawn**:
the viewer takes everything in its inbox each time it runs (Kamaelia's took one command
per scheduler cycle, about 170 a second), working in slices of ``slice_time`` seconds so
that a burst of a hundred thousand commands does not hold the whole system up, and it
draws only once its inbox is empty.

Replies and notices go out on ``outbox`` as text, one message each (a ``GET ALL`` dump is
one message of several lines): ``SELECT NODE <id>`` for a click on a node, ``DESELECT NODE
<id>`` when the selection goes (a click on nothing, the node deleted), ``ERROR <reason>``
for each bad command (the viewer never stops on bad input), ``UPDATE_NAME NODE <id>
<name>`` for ``GET_NAME``.  The replies to a ``CommandBatch`` go to its ``reply_to``
instead, as one ``Replies`` record per batch.

The picture: a plane with a grid, scrolled with the arrow keys (faster while held) or by
dragging empty space, zoomed with the mouse wheel or ``+``/``-`` (``Home`` or ``0``
fits the whole graph).  A node is dragged with the left button and stays where it is put
(frozen) while dragged.  Each node type draws its own way (``particles``), links under
nodes.  The layout (``layout``) runs while anything moves and **stops when still**: then
the viewer asks the display for no more frame ticks and costs nothing until a command, a
key or the mouse changes something.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from axon import BoxFull, EndSignal, ProducerFinished, Shutdown

from ..client import DisplayClient
from ..display import Redraw, Subscribe, SurfaceRequest, Unsubscribe
from ..events import EventKind, Key, MouseButton, MouseMotion, MouseWheel, UIEvent
from .commands import (
    COMMANDS,
    BadLine,
    Command,
    CommandBatch,
    CommandError,
    DelAll,
    DelNode,
    Replies,
    parse,
    parse_line,
    quote,
)
from .layout import Laws
from .model import Graph, GraphState
from .particles import DEFAULT_TYPES, ParticleType, compact_count

__all__ = ["GraphViewer", "ViewerStatistics"]

Colour = tuple[int, int, int]

_ARROWS = {pygame.K_LEFT: (-1, 0), pygame.K_RIGHT: (1, 0), pygame.K_UP: (0, -1),
           pygame.K_DOWN: (0, 1)}
_ZOOM_IN = {pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS}
_ZOOM_OUT = {pygame.K_MINUS, pygame.K_KP_MINUS}
_FIT = {pygame.K_HOME, pygame.K_0, pygame.K_KP0}
_EVENTS = frozenset({EventKind.MOUSE_DOWN, EventKind.MOUSE_UP, EventKind.MOUSE_MOTION,
                     EventKind.MOUSE_WHEEL, EventKind.KEY_DOWN, EventKind.KEY_UP})


@dataclass(frozen=True, slots=True)
class ViewerStatistics:
    nodes: int
    links: int
    commands: int  # commands applied (good or bad)
    errors: int  # ERROR replies
    ticks: int  # frame ticks handled
    drawn: int  # pictures drawn
    steps: int  # layout steps
    settled: bool
    frozen: bool
    replies_lost: int  # replies a full or closed reply_to inbox refused


class _Work:
    """What is left of one inbox message: commands, where their replies go, and the
    replies so far (a message cut at the end of a slice goes back to the inbox as this)."""

    __slots__ = ("i", "items", "replies", "reply_to")

    def __init__(self, items: Sequence[Any], reply_to: Any = None) -> None:
        self.items = items
        self.i = 0
        self.reply_to = reply_to
        self.replies: list[str] = []


class GraphViewer(DisplayClient):
    """Shows a graph that commands build, laid out by a physics simulation.

    See the module docstring and ``components.ui.graph.commands``.  ::

        run(Graphline({("console", "outbox"): ("viewer", "inbox"),
                       ("viewer", "outbox"): ("echo", "inbox")},
                      display=Display((800, 600)), console=ConsoleReader(),
                      viewer=GraphViewer((800, 600)), echo=ConsoleEcho()))

    Args:
        size, position: of its surface in the window.
        particle_types: extra (or replacement) node types by name (``particles``).
        laws: the layout's constants (``layout.Laws``).
        steps_per_frame: layout steps per frame while it runs.
        linger: keep showing the graph after ``ProducerFinished`` (until ``Shutdown`` or
            the window closes); False: end once the commands before it are applied.
        grid, status: draw the plane's grid, and a status line at the bottom.
        slice_time: seconds of commands applied in one timeslice before letting the
            rest of the system run (the picture waits for all of them).
        seed: for ``auto`` and ``randompos`` placement (None: random).
    """

    Inboxes = {
        "inbox": "commands: text lines, token lists, lists of them, Command records, "
                 "CommandBatch (replies to its reply_to)",
        "control": "ProducerFinished: keep showing (linger) or end; Shutdown: end now",
        "display": "from the display: Granted, DisplayClosed",
        "events": "mouse and key batches, and frame ticks while the layout runs",
    }
    Outboxes = {
        "outbox": "text: SELECT NODE / DESELECT NODE <id>, ERROR <reason>, UPDATE_NAME "
                  "NODE replies, GET ALL dumps",
        "signal": "the end of stream, passed on",
        "to_display": "requests to the display service",
        "error": "(unused: bad commands are answered with ERROR on outbox)",
    }

    def __init__(self, size: tuple[int, int] = (800, 600),
                 position: tuple[float, float] = (0, 0), *,
                 particle_types: Mapping[str, ParticleType] | None = None,
                 laws: Laws | None = None, steps_per_frame: int = 1, linger: bool = True,
                 grid: bool = True, status: bool = True, slice_time: float = 0.02,
                 background: Colour = (26, 28, 38), z: int = 0, seed: int | None = None,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        self.size = (int(size[0]), int(size[1]))
        self.position = position
        self.z = z
        self.g = Graph({**DEFAULT_TYPES, **(particle_types or {})}, laws, seed)
        self.steps_per_frame = steps_per_frame
        self.linger = linger
        self.grid = grid
        self.status = status
        self.slice_time = slice_time
        self.background = background
        self.handle = 0
        self.surface: pygame.Surface | None = None
        self.selected: str | None = None
        # the view: screen = (plane - origin) * zoom
        self.origin = (0.0, 0.0)
        self.zoom = 1.0
        self._pointer = (0, 0)
        self._drag: str | None = None  # the node being dragged
        self._grab = (0.0, 0.0)
        self._pan: tuple[int, int] | None = None  # where a drag of the plane was last
        self._keys: set[int] = set()
        self._scroll_speed = 0.0
        self._shown = -1  # the graph's version in the picture
        self._moved = True  # the view changed since the picture
        self._ticking = False
        self._fonts: dict[int, pygame.font.Font] = {}
        self._link_labels: dict[tuple[str, str], tuple[str, pygame.Surface]] = {}
        self._status_text = ""
        self._status_surface: pygame.Surface | None = None
        self.commands = self.errors = self.ticks = self.drawn = self.replies_lost = 0
        self._set_view()

    # -- reading the state (tools and tests) -------------------------------------------------

    def graph(self) -> GraphState:
        """The graph as it stands (positions on the plane)."""
        return self.g.state(self.selected)

    def statistics(self) -> ViewerStatistics:
        g = self.g
        return ViewerStatistics(len(g), len(g.links), self.commands, self.errors, self.ticks,
                                self.drawn, g.layout.steps, g.layout.settled, g.frozen,
                                self.replies_lost)

    def to_screen(self, node: str) -> tuple[int, int]:
        """Where node ``node`` is on the viewer's surface now."""
        i = self.g.index[node]
        return (round((float(self.g.layout.x[i]) - self.origin[0]) * self.zoom),
                round((float(self.g.layout.y[i]) - self.origin[1]) * self.zoom))

    def to_plane(self, sx: float, sy: float) -> tuple[float, float]:
        """The point of the plane under a point of the surface."""
        return (sx / self.zoom + self.origin[0], sy / self.zoom + self.origin[1])

    # -- the loop ---------------------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        granted = yield from self.open_surface(SurfaceRequest(
            self.size, position=self.position, z=self.z, events=_EVENTS))
        if granted is None:
            self.pass_end(self._end_default())
            return
        self.handle = granted.handle
        self.surface = granted.surface
        try:
            while True:
                self.end = self.take_control(self.end)
                if isinstance(self.end, Shutdown):
                    break
                self.notices()
                if self.closed is not None:
                    break
                tick = False
                for batch in self.recv_all("events"):
                    tick = self._on_events(batch) or tick
                if self._apply_waiting():  # more: in the next timeslice, and no picture
                    yield                  # until every command waiting is applied
                    continue
                if tick:
                    self._frame()
                elif self._stale() and not self._ticking:
                    self._draw()  # at once; frame ticks follow while anything moves
                self._want_ticks(bool(self._keys) or self._stale() or self._running())
                if self.end is not None and not self.linger:
                    break
                self.pause()
                yield
        finally:
            self.release_all()
        self.pass_end(self._end_default())

    def _end_default(self) -> EndSignal:
        return Shutdown(f"display closed: {self.closed}") if self.closed else ProducerFinished()

    def _stale(self) -> bool:
        return self._moved or self._shown != self.g.version

    def _running(self) -> bool:
        return not self.g.frozen and not self.g.layout.settled

    def _want_ticks(self, want: bool) -> None:
        if want != self._ticking:
            self._ticking = want
            kinds = frozenset({EventKind.FRAME})
            self.to_display(Subscribe(self.handle, kinds) if want
                            else Unsubscribe(self.handle, kinds))

    def _frame(self) -> None:
        self.ticks += 1
        if self._keys:
            self._scroll()
        if self.g.step(self.steps_per_frame):
            self._moved = True
        if self._stale():
            self._draw()

    # -- commands ---------------------------------------------------------------------------------

    def _apply_waiting(self) -> bool:
        """Apply what waits in the inbox for up to ``slice_time``; True if some is left."""
        if not self.inboxes["inbox"].queue:
            return False
        deadline = time.perf_counter() + self.slice_time
        msgs = self.recv_all("inbox")
        for k, msg in enumerate(msgs):
            work = msg if isinstance(msg, _Work) else _work(msg)
            if not self._run(work, deadline):
                self.put_back([work, *msgs[k + 1:]])
                return True
            if not k & 63 and k + 1 < len(msgs) and time.perf_counter() > deadline:
                self.put_back(msgs[k + 1:])
                return True
        return False

    def _run(self, work: _Work, deadline: float) -> bool:
        """Apply ``work``'s commands until done (True) or past ``deadline`` (False)."""
        items = work.items
        i = work.i
        n = len(items)
        apply = self.g.apply
        reply: str | None
        while i < n:
            item = items[i]
            i += 1
            try:
                if isinstance(item, str):
                    cmd: Command | None = parse_line(item)
                elif isinstance(item, (list, tuple)):
                    cmd = parse(item)
                elif isinstance(item, COMMANDS):
                    cmd = item
                elif isinstance(item, BadLine):
                    raise CommandError(item.reason)
                else:
                    raise CommandError(f"not a command: {type(item).__name__}")
                if cmd is None:
                    continue
                self.commands += 1
                reply = apply(cmd)
                if isinstance(cmd, (DelNode, DelAll)):
                    self._forget_gone()
            except CommandError as exc:
                self.errors += 1
                reply = f"ERROR {exc}"
            if reply is not None:
                if work.reply_to is None:
                    self.send(reply)
                else:
                    work.replies.extend(reply.split("\n"))
            if not i & 63 and i < n and time.perf_counter() > deadline:
                work.i = i
                return False
        work.i = i
        if work.reply_to is not None:
            try:
                work.reply_to.put(Replies(work.replies))
            except BoxFull:
                self.replies_lost += 1
            else:
                if getattr(work.reply_to, "closed", False):
                    self.replies_lost += 1
        return True

    def _forget_gone(self) -> None:
        """After a deletion: stop dragging it, deselect it (DESELECT NODE)."""
        index = self.g.index
        if self._drag is not None and self._drag not in index:
            self._drag = None
        if self.selected is not None and self.selected not in index:
            self._select(None)

    # -- selection and events ---------------------------------------------------------------------

    def _select(self, node: str | None) -> None:
        old = self.selected
        self.selected = node
        if node is not None:
            self.send(f"SELECT NODE {quote(node)}")
        elif old is not None:
            self.send(f"DESELECT NODE {quote(old)}")
        self._moved = True

    def node_at(self, sx: float, sy: float) -> str | None:
        """The node under a point of the surface (the nearest, if several)."""
        g = self.g
        if not len(g):
            return None
        wx, wy = self.to_plane(sx, sy)
        d2 = (g.layout.x - wx) ** 2 + (g.layout.y - wy) ** 2
        slack = 3.0 / self.zoom
        reach = max(p.radius for p in g.types.values()) + slack
        best: int | None = None
        best_d = math.inf
        for i in np.flatnonzero(d2 <= reach * reach).tolist():
            r = g.ptypes[i].radius + slack
            if d2[i] <= r * r and d2[i] < best_d:
                best, best_d = i, float(d2[i])
        return None if best is None else g.ids[best]

    def _on_events(self, batch: list[UIEvent]) -> bool:
        """Handle one frame's events; True if it held a frame tick."""
        tick = False
        for ev in batch:
            kind = ev.kind
            if kind is EventKind.FRAME:
                tick = True
            elif isinstance(ev, MouseMotion):
                self._motion(ev)
            elif isinstance(ev, MouseButton):
                if kind is EventKind.MOUSE_DOWN:
                    self._press(ev)
                elif ev.button == 1:
                    self._release()
            elif isinstance(ev, MouseWheel):
                if ev.y:
                    self.zoom_by(1.15 ** ev.y, self._pointer)
            elif isinstance(ev, Key):
                self._key(ev)
        return tick

    def _press(self, ev: MouseButton) -> None:
        if ev.button != 1 or not ev.inside:
            return
        self._pointer = ev.pos
        node = self.node_at(*ev.pos)
        if node is None:
            if self.selected is not None:
                self._select(None)
            self._pan = ev.pos
            return
        self._select(node)
        self._drag = node
        i = self.g.index[node]
        wx, wy = self.to_plane(*ev.pos)
        self._grab = (float(self.g.layout.x[i]) - wx, float(self.g.layout.y[i]) - wy)
        self.g.layout.freeze(i)

    def _motion(self, ev: MouseMotion) -> None:
        self._pointer = ev.pos
        if self._drag is not None:
            i = self.g.index[self._drag]
            wx, wy = self.to_plane(*ev.pos)
            self.g.layout.place(i, wx + self._grab[0], wy + self._grab[1])
            self.g.fresh.discard(self._drag)
            self._moved = True
        elif self._pan is not None:
            px, py = self._pan
            self._pan = ev.pos
            self.scroll_by(px - ev.pos[0], py - ev.pos[1])

    def _release(self) -> None:
        if self._drag is not None:
            self.g.layout.freeze(self.g.index[self._drag], False)
            self._drag = None
        self._pan = None

    def _key(self, ev: Key) -> None:
        if ev.kind is EventKind.KEY_UP:
            self._keys.discard(ev.key)
            if not self._keys:
                self._scroll_speed = 0.0
            return
        if ev.key in _ARROWS:
            self._keys.add(ev.key)
        elif ev.key in _ZOOM_IN:
            self.zoom_by(1.25)
        elif ev.key in _ZOOM_OUT:
            self.zoom_by(0.8)
        elif ev.key in _FIT:
            self.fit()

    def _scroll(self) -> None:
        """Move the view while arrow keys are held: faster the longer they are."""
        self._scroll_speed = min(40.0, max(6.0, self._scroll_speed * 1.1))
        dx = sum(_ARROWS[k][0] for k in self._keys)
        dy = sum(_ARROWS[k][1] for k in self._keys)
        self.scroll_by(dx * self._scroll_speed, dy * self._scroll_speed)

    def _set_view(self) -> None:
        self._moved = True
        w, h = self.size
        self.g.view = (self.origin[0], self.origin[1], w / self.zoom, h / self.zoom)

    def scroll_by(self, dx: float, dy: float) -> None:
        """Move the view by ``(dx, dy)`` pixels of the screen."""
        self.origin = (self.origin[0] + dx / self.zoom, self.origin[1] + dy / self.zoom)
        self._set_view()

    def zoom_by(self, factor: float, about: tuple[float, float] | None = None) -> None:
        """Zoom by ``factor`` keeping the point ``about`` (default: the middle) in place."""
        sx, sy = about if about is not None else (self.size[0] / 2, self.size[1] / 2)
        wx, wy = self.to_plane(sx, sy)
        self.zoom = min(8.0, max(0.05, self.zoom * factor))
        self.origin = (wx - sx / self.zoom, wy - sy / self.zoom)
        self._set_view()

    def fit(self) -> None:
        """Zoom and scroll so that every node shows."""
        layout = self.g.layout
        if not layout.n:
            return
        x0, x1 = float(layout.x.min()), float(layout.x.max())
        y0, y1 = float(layout.y.min()), float(layout.y.max())
        w, h = self.size[0], self.size[1] - (20 if self.status else 0)
        span = max((x1 - x0) / max(1, w - 80), (y1 - y0) / max(1, h - 80), 1e-9)
        self.zoom = min(2.0, max(0.05, 1.0 / span))
        self.origin = ((x0 + x1) / 2 - w / 2 / self.zoom, (y0 + y1) / 2 - h / 2 / self.zoom)
        self._set_view()

    # -- drawing ------------------------------------------------------------------------------------

    def _font(self, size: int) -> pygame.font.Font:
        font = self._fonts.get(size)
        if font is None:
            font = self._fonts[size] = pygame.font.Font(None, size)
        return font

    def _draw(self) -> None:
        """Draw the picture: grid, links, nodes, labels, selection, status; ask for a redraw."""
        surface = self.surface
        assert surface is not None
        g = self.g
        self._shown = g.version
        self._moved = False
        g.fresh.clear()
        self.drawn += 1
        surface.fill(self.background)
        w, h = self.size
        zoom = self.zoom
        ox, oy = self.origin
        if self.grid:
            self._draw_grid(surface, w, h)
        g.sync_links()
        n = g.layout.n
        sxs = ((g.layout.x - ox) * zoom).round().astype(np.int64)
        sys_ = ((g.layout.y - oy) * zoom).round().astype(np.int64)
        margin = 40 + 30 * zoom
        visible = (sxs > -margin) & (sxs < w + margin) & (sys_ > -margin) & (sys_ < h + margin)
        sx, sy, vis = sxs.tolist(), sys_.tolist(), visible.tolist()
        types = g.ptypes
        # pass 1: links, under the nodes
        if g.links:
            for i, j in zip(g.link_a.tolist(), g.link_b.tolist()):
                if vis[i] or vis[j] or _crosses(sx[i], sy[i], sx[j], sy[j], w, h):
                    types[i].draw_link(surface, (sx[i], sy[i]), (sx[j], sy[j]), types[j],
                                       types[j].radius * zoom)
        # pass 2: nodes
        selected = g.index.get(self.selected) if self.selected is not None else None
        for i in range(n):
            if vis[i]:
                types[i].draw(surface, sx[i], sy[i], types[i].radius * zoom, i == selected)
        # pass 3: labels, and the selection's ring
        if zoom >= 0.45 or selected is not None:
            self._draw_labels(surface, sx, sy, vis, zoom >= 0.45, selected)
        if selected is not None and vis[selected]:
            r = types[selected].radius * zoom + 4
            pygame.draw.circle(surface, SELECTED, (sx[selected], sy[selected]),
                               max(4, round(r)), 2)
        if self.status:
            self._draw_status(surface, h)
        self.to_display(Redraw(self.handle))

    def _draw_grid(self, surface: pygame.Surface, w: int, h: int) -> None:
        zoom = self.zoom
        step = 100.0
        while step * zoom < 40:
            step *= 2
        while step * zoom > 160:
            step /= 2
        colour = (36, 39, 53)
        ox, oy = self.origin
        x = math.floor(ox / step) * step
        while (x - ox) * zoom < w:
            sx = round((x - ox) * zoom)
            pygame.draw.line(surface, colour, (sx, 0), (sx, h))
            x += step
        y = math.floor(oy / step) * step
        while (y - oy) * zoom < h:
            sy = round((y - oy) * zoom)
            pygame.draw.line(surface, colour, (0, sy), (w, sy))
            y += step

    def _draw_labels(self, surface: pygame.Surface, sx: list[int], sy: list[int],
                     vis: list[bool], every: bool, selected: int | None) -> None:
        g = self.g
        types = g.ptypes
        zoom = self.zoom
        if every and g.links:
            index = g.index
            cached = self._link_labels
            font = self._font(15)
            for key, text in g.links.items():
                if not text:
                    continue
                i, j = index[key[0]], index[key[1]]
                if not (vis[i] or vis[j]):
                    continue
                entry = cached.get(key)
                if entry is None or entry[0] != text:
                    entry = cached[key] = (text, font.render(compact_count(text), True,
                                                             LINK_LABEL))
                surf = entry[1]
                surface.blit(surf, ((sx[i] + sx[j]) // 2 - surf.get_width() // 2,
                                    (sy[i] + sy[j]) // 2 - surf.get_height()))
            if len(cached) > 2 * len(g.links) + 64:  # forget the labels of links gone
                for key in [k for k in cached if k not in g.links]:
                    del cached[key]
        labels = g.cache
        for i in (range(len(labels)) if every else [selected] if selected is not None else []):
            if not vis[i]:
                continue
            label = labels[i]
            if label is None:
                ptype = types[i]
                label = labels[i] = self._font(ptype.font_size).render(
                    ptype.label(g.names[i]), True, ptype.label_colour)
            types[i].draw_label(surface, label, sx[i], sy[i], types[i].radius * zoom)

    def _draw_status(self, surface: pygame.Surface, h: int) -> None:
        g = self.g
        if g.frozen:
            state = "frozen"
        elif g.layout.settled:
            state = "still"
        else:
            state = "laying out"
        text = f"{len(g)} nodes, {len(g.links)} links  |  {state}  |  zoom {self.zoom:.0%}"
        if self.end is not None:
            text += "  |  input ended"
        if self.selected is not None and self.selected in g.index:
            text += f"  |  {g.names[g.index[self.selected]]}"
        if text != self._status_text or self._status_surface is None:
            self._status_text = text
            self._status_surface = self._font(17).render(text, True, (150, 156, 178))
        surface.blit(self._status_surface, (6, h - self._status_surface.get_height() - 4))


SELECTED = (255, 220, 60)
LINK_LABEL = (235, 200, 120)


def _work(msg: Any) -> _Work:
    """An inbox message as commands to apply."""
    if isinstance(msg, str):
        return _Work(msg.split("\n"))
    if isinstance(msg, CommandBatch):
        return _Work(msg.commands, msg.reply_to)
    if isinstance(msg, (list, tuple)):
        if msg and all(isinstance(t, str) for t in msg):
            return _Work([msg])  # one command as a token list
        return _Work(msg)
    return _Work([msg])


def _crosses(x0: int, y0: int, x1: int, y1: int, w: int, h: int) -> bool:
    """Whether a segment's bounding box meets the surface (a link between two nodes off
    screen may still cross it)."""
    return not (max(x0, x1) < 0 or min(x0, x1) > w or max(y0, y1) < 0 or min(y0, y1) > h)
