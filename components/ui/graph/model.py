"""The graph a viewer shows: nodes, links and their layout, changed by commands.

No pygame here: :class:`Graph` applies the command language to its nodes (slots of a
:class:`~components.ui.graph.layout.Layout`) and links, checks every command (a bad one
raises :class:`CommandError` and changes nothing), and writes the ``GET ALL`` dump.
:class:`~components.ui.graph.viewer.GraphViewer` draws it and adds what needs a screen
(selection, dragging, the view).

Nodes live in slots ``0 .. n-1``, in step with the layout's particles; deleting one
moves the last node into its slot (so deletion is O(its links)), and ``index`` (id ->
slot) keeps insertion order, which is the order of the dump.  Links are kept by id pair;
the layout's link arrays are rebuilt from them, once, before the next step after a change.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .commands import (
    AddLink,
    AddNode,
    Command,
    CommandError,
    DelAll,
    DelLink,
    DelNode,
    Freeze,
    GetAll,
    GetName,
    Pos,
    SetLinkLabel,
    Unfreeze,
    UpdateName,
    format_pos,
    quote,
)
from .layout import Laws, Layout
from .particles import DEFAULT_TYPES, ParticleType

__all__ = ["Graph", "GraphState", "NodeState"]


@dataclass(frozen=True, slots=True)
class NodeState:
    name: str
    type: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class GraphState:
    """A graph at one moment: nodes by id, links (``(from, to)`` -> label), and whether
    the layout is frozen and which node is selected."""

    nodes: dict[str, NodeState]
    links: dict[tuple[str, str], str]
    frozen: bool
    selected: str | None = None

    def topology(self) -> tuple[dict[str, tuple[str, str]], dict[tuple[str, str], str]]:
        """Nodes (id -> (name, type)) and links, without positions."""
        return {k: (v.name, v.type) for k, v in self.nodes.items()}, dict(self.links)


class Graph:
    """Nodes and links under a layout; :meth:`apply` carries out one command.

    ``view`` is the part of the plane on screen, ``(x, y, width, height)``: ``auto`` and
    ``randompos`` place new nodes in it.  ``cache`` holds one value per slot for the
    viewer (a rendered label), reset to None when the node's name changes.
    """

    def __init__(self, types: Mapping[str, ParticleType] | None = None,
                 laws: Laws | None = None, seed: int | None = None) -> None:
        self.types: dict[str, ParticleType] = dict(types if types is not None
                                                   else DEFAULT_TYPES)
        self.layout = Layout(laws)
        self.rng = random.Random(seed)
        self.view = (0.0, 0.0, 800.0, 600.0)
        self.index: dict[str, int] = {}
        self.ids: list[str] = []
        self.names: list[str] = []
        self.type_names: list[str] = []
        self.ptypes: list[ParticleType] = []
        self.cache: list[Any] = []
        self.links: dict[tuple[str, str], str] = {}
        self.adjacent: dict[str, set[tuple[str, str]]] = {}
        self.link_a: Any = np.zeros(0, dtype=np.int64)  # link slots, as the layout has them
        self.link_b: Any = np.zeros(0, dtype=np.int64)
        self.links_changed = False
        self.fresh: set[str] = set()  # placed "auto" and not shown yet: a link may move it
        self.frozen = False
        self.version = 0  # changes with every change that shows

    def __len__(self) -> int:
        return len(self.index)

    # -- commands ------------------------------------------------------------------------------

    def apply(self, cmd: Command) -> str | None:
        """Carry out one command; returns its reply (``GET ALL``, ``GET_NAME``), if any."""
        if isinstance(cmd, AddNode):
            self.add_node(cmd.id, cmd.name, cmd.pos, cmd.type)
        elif isinstance(cmd, AddLink):
            self.add_link(cmd.source, cmd.target)
        elif isinstance(cmd, DelNode):
            self.del_node(cmd.id)
        elif isinstance(cmd, DelLink):
            self.del_link(cmd.source, cmd.target)
        elif isinstance(cmd, SetLinkLabel):
            self.set_link_label(cmd.source, cmd.target, cmd.label)
        elif isinstance(cmd, UpdateName):
            self.rename(cmd.id, cmd.name)
        elif isinstance(cmd, GetName):
            return f"UPDATE_NAME NODE {quote(cmd.id)} {quote(self.names[self.slot(cmd.id)])}"
        elif isinstance(cmd, DelAll):
            self.clear()
        elif isinstance(cmd, GetAll):
            return self.dump()
        elif isinstance(cmd, Freeze):
            self.frozen = True
            self.version += 1
        elif isinstance(cmd, Unfreeze):
            self.frozen = False
            self.layout.wake()
            self.version += 1
        else:
            raise CommandError(f"not a command: {type(cmd).__name__}")
        return None

    def slot(self, node: str) -> int:
        i = self.index.get(node)
        if i is None:
            raise CommandError(f"no node {node!r}")
        return i

    def add_node(self, node: str, name: str, pos: Pos = "auto", type_name: str = "-") -> None:
        if node in self.index:
            raise CommandError(f"node {node!r} exists (DEL NODE it first)")
        ptype = self.types.get(type_name)
        if ptype is None:
            raise CommandError(f"unknown node type {type_name!r} (types: "
                               f"{', '.join(sorted(self.types))})")
        x, y = self._place(pos)
        self.index[node] = self.layout.add(x, y, ptype.charge)
        self.ids.append(node)
        self.names.append(name)
        self.type_names.append(type_name)
        self.ptypes.append(ptype)
        self.cache.append(None)
        if pos == "auto":
            self.fresh.add(node)
        self.version += 1

    def _place(self, pos: Pos) -> tuple[float, float]:
        if not isinstance(pos, str):
            return float(pos[0]), float(pos[1])
        ox, oy, w, h = self.view
        if pos == "randompos":
            m = min(20.0, w / 4, h / 4)
            return (ox + m + self.rng.random() * (w - 2 * m),
                    oy + m + self.rng.random() * (h - 2 * m))
        # auto: around the middle of the view, spread wider as the graph grows
        r = (20.0 + 8.0 * math.sqrt(len(self.index))) * math.sqrt(self.rng.random())
        t = self.rng.random() * math.tau
        return ox + w / 2 + r * math.cos(t), oy + h / 2 + r * math.sin(t)

    def del_node(self, node: str) -> None:
        i = self.slot(node)
        for key in list(self.adjacent.get(node, ())):
            self._unlink(key)
        self.adjacent.pop(node, None)
        del self.index[node]
        self.fresh.discard(node)
        moved = self.layout.remove(i)
        lists: list[list[Any]] = [self.ids, self.names, self.type_names, self.ptypes,
                                  self.cache]
        if moved is not None:
            for lst in lists:
                lst[i] = lst[moved]
            self.index[self.ids[i]] = i
        for lst in lists:
            lst.pop()
        self.links_changed = True
        self.version += 1

    def add_link(self, source: str, target: str) -> None:
        a, b = self.slot(source), self.slot(target)
        if source == target:
            raise CommandError(f"a link joins two nodes; {source!r} to itself is not one")
        key = (source, target)
        if key in self.links:
            raise CommandError(f"link {source!r} -> {target!r} exists")
        self.links[key] = ""
        self.adjacent.setdefault(source, set()).add(key)
        self.adjacent.setdefault(target, set()).add(key)
        self.links_changed = True
        self.version += 1
        fresh = self.fresh
        if fresh:  # a node placed "auto" goes beside the first node it is linked to
            if target in fresh:
                self._beside(b, a, target)
            elif source in fresh:
                self._beside(a, b, source)

    def _beside(self, i: int, j: int, node: str) -> None:
        self.fresh.discard(node)
        rest = self.ptypes[j].link_length(self.ptypes[i]) or self.layout.laws.rest_length
        t = self.rng.random() * math.tau
        self.layout.place(i, float(self.layout.x[j] + rest * math.cos(t)),
                          float(self.layout.y[j] + rest * math.sin(t)))

    def del_link(self, source: str, target: str) -> None:
        key = (source, target)
        if key not in self.links:
            self.slot(source)
            self.slot(target)
            raise CommandError(f"no link {source!r} -> {target!r}")
        self._unlink(key)

    def _unlink(self, key: tuple[str, str]) -> None:
        del self.links[key]
        for end in key:
            self.adjacent[end].discard(key)
        self.links_changed = True
        self.version += 1

    def set_link_label(self, source: str, target: str, label: str) -> None:
        key = (source, target)
        if key not in self.links:
            raise CommandError(f"no link {source!r} -> {target!r}")
        if self.links[key] != label:
            self.links[key] = label
            self.version += 1

    def rename(self, node: str, name: str) -> None:
        i = self.slot(node)
        self.names[i] = name
        self.cache[i] = None
        self.version += 1

    def clear(self) -> None:
        """DEL ALL (the frozen state stays as it is)."""
        self.index.clear()
        for lst in (self.ids, self.names, self.type_names, self.ptypes, self.cache):
            lst.clear()
        self.links.clear()
        self.adjacent.clear()
        self.fresh.clear()
        self.layout.clear()
        self.links_changed = True
        self.version += 1

    # -- reading -----------------------------------------------------------------------------------

    def dump(self) -> str:
        """The GET ALL reply: commands that rebuild this graph in a fresh viewer."""
        x, y = self.layout.x, self.layout.y
        lines = ["DEL ALL"]
        for nid, i in self.index.items():
            lines.append(f"ADD NODE {quote(nid)} {quote(self.names[i])} "
                         f"{format_pos((float(x[i]), float(y[i])))} {quote(self.type_names[i])}")
        for a, b in self.links:
            lines.append(f"ADD LINK {quote(a)} {quote(b)}")
        for (a, b), label in self.links.items():
            if label:
                lines.append(f"UPDATE_NAME LINK {quote(a)} {quote(b)} {quote(label)}")
        if self.frozen:
            lines.append("FREEZE ALL")
        lines.append(f"# end of GET ALL ({len(self.index)} nodes, {len(self.links)} links)")
        return "\n".join(lines)

    def state(self, selected: str | None = None) -> GraphState:
        x, y = self.layout.x, self.layout.y
        nodes = {nid: NodeState(self.names[i], self.type_names[i], float(x[i]), float(y[i]))
                 for nid, i in self.index.items()}
        return GraphState(nodes, dict(self.links), self.frozen, selected)

    def sync_links(self) -> None:
        """Give the layout the links as slot arrays (after a change)."""
        if not self.links_changed:
            return
        self.links_changed = False
        index = self.index
        keys = list(self.links)
        a = np.fromiter((index[s] for s, _ in keys), dtype=np.int64, count=len(keys))
        b = np.fromiter((index[t] for _, t in keys), dtype=np.int64, count=len(keys))
        default = self.layout.laws.rest_length
        types = self.ptypes
        rest = np.fromiter(((types[i].link_length(types[j]) or default)
                            for i, j in zip(a.tolist(), b.tolist())),
                           dtype=np.float64, count=len(keys))
        self.link_a, self.link_b = a, b
        self.layout.set_links(a, b, rest)

    def step(self, steps: int = 1) -> bool:
        """Run the layout (unless frozen or settled); True if anything moved."""
        if self.frozen or self.layout.settled:
            return False
        self.sync_links()
        self.layout.step(steps)
        return True
