"""Introspector: follows the running topology and sends changes as text commands.

The commands are Kamaelia's topology-viewer language, one per line::

    ADD NODE <id> <name> randompos component      a component (name: its path)
    ADD NODE <id> <name> randompos inbox|outbox   one of its boxes
    ADD LINK <component id> <box id>              the component owns the box
    ADD LINK <box id> <box id>                    a link between boxes
    DEL LINK <id> <id>
    DEL NODE <id>

Names are quoted (``shlex``) when they hold spaces.  Each batch of changes is one message:
the lines joined, each ending in a newline (one message per change would flood a viewer).

It is woken by scheduler instrument hooks (a component started or finished, a link made or
removed), never by polling.  Run it as a system of its own (typically
``Pipeline(Introspector(), viewer)``): that system is left out of what it reports, and it
finishes (after reporting everything gone) once nothing else runs, or on an end on its
``control``.
"""

from __future__ import annotations

import shlex
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from .._core import Box, Component, Instrument, Link, ProducerFinished, box_id, component_id

if TYPE_CHECKING:
    from .._core import Scheduler

__all__ = ["Introspector"]


class _Waker(Instrument):
    def __init__(self, target: Component) -> None:
        self.target = target

    def _wake(self) -> None:
        sched = self.target.scheduler
        if sched is not None:
            sched.wake(self.target)

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


class Introspector(Component):
    """Sends ``ADD``/``DEL`` ``NODE``/``LINK`` commands as the running system changes."""

    Inboxes = {"inbox": "(unused)", "control": "ProducerFinished / Shutdown: stop reporting"}
    Outboxes = {"outbox": "batches of topology commands (str, newline-terminated lines)",
                "signal": "ProducerFinished when it stops"}

    _axon_woken_unseen = True  # by the scheduler's hooks, on any start, finish or link

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._shown_nodes: dict[str, str] = {}  # id -> the ADD NODE line
        self._shown_links: set[tuple[str, str]] = set()
        self._waker = _Waker(self)
        self.wake_on("control")

    def on_activate(self, scheduler: "Scheduler") -> None:
        scheduler.add_instrument(self._waker)

    def _root(self) -> Component:
        c: Component = self
        while c.parent is not None:
            c = c.parent
        return c

    def _scan(self) -> tuple[dict[str, str], set[tuple[str, str]], int]:
        """The nodes and links of everything live outside our own system."""
        sched = self.scheduler
        assert sched is not None
        mine = self._root()
        nodes: dict[str, str] = {}
        links: set[tuple[str, str]] = set()
        others = 0
        live = [c for c in sched.components if not c.done]
        shown = set()
        for c in live:
            top = c
            while top.parent is not None:
                top = top.parent
            if top is mine:
                continue
            others += 1
            shown.add(id(c))
            cid = component_id(c)
            nodes[cid] = f"ADD NODE {cid} {_q(c.path)} randompos component"
            for kind, named in (("inbox", c.inboxes), ("outbox", c.outboxes)):
                for name, box in named.items():
                    bid = box_id(box)
                    nodes[bid] = f"ADD NODE {bid} {_q(name)} randompos {kind}"
                    links.add((cid, bid))
        for c in live:
            if id(c) not in shown:
                continue
            boxes: list[Box] = [*c.inboxes.values(), *c.outboxes.values()]
            for b in boxes:
                for lk in b.links_out:
                    if id(lk.sink.owner) in shown:
                        links.add((box_id(lk.source), box_id(lk.sink)))
        return nodes, links, others

    def _report(self, nodes: dict[str, str], links: set[tuple[str, str]]) -> None:
        lines: list[str] = []
        for nid, line in nodes.items():
            if nid not in self._shown_nodes:
                lines.append(line)
        for a, b in sorted(links - self._shown_links, key=lambda ab: (ab[0] in nodes and "." in ab[0], ab)):
            lines.append(f"ADD LINK {a} {b}")
        for a, b in sorted(self._shown_links - links):
            lines.append(f"DEL LINK {a} {b}")
        gone = [nid for nid in self._shown_nodes if nid not in nodes]
        gone.sort(key=lambda nid: "." not in nid)  # boxes before their components
        lines.extend(f"DEL NODE {nid}" for nid in gone)
        self._shown_nodes, self._shown_links = nodes, links
        if lines:
            self.send("".join(line + "\n" for line in lines))

    def main(self) -> Generator[None, Any, None]:
        sched = self.scheduler
        assert sched is not None
        try:
            while True:
                nodes, links, others = self._scan()
                self._report(nodes, links)
                if self.finished() or not others:
                    break
                self.pause()
                yield
        finally:
            sched.remove_instrument(self._waker)
        self._report({}, set())
        self.send(self.end_message or ProducerFinished("introspector"), "signal")
