"""Graphline: named children wired by a table of links, to each other and to its own boxes.

``("self", box)`` names one of the graphline's own boxes: as a source it must be one of its
inboxes (passed through to a child), as a sink one of its outboxes (a child's output comes
out there).  Extra boxes are declared per instance with ``inboxes=`` / ``outboxes=``; they
never touch the class (Kamaelia's Graphline added them to class-level dicts, so every later
instance inherited them).  Every linkage is checked at construction.

End of stream: if no linkage names ``("self", "control")``, the graphline's control is
passed through to every child whose own control no linkage feeds: the *heads* of its
streams, the children that nothing inside the graphline tells when to end.  If no linkage feeds ``("self", "signal")``, the graphline sends
``ProducerFinished`` (``Shutdown`` if a child ended on one) on its signal once every child
has finished, so a graphline ends a pipeline like any other component.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from .._core import Component, ProducerFinished, Shutdown
from ._linkages import SELF, Linkages, check_linkages, linkage_pairs, make_linkages

__all__ = ["Graphline"]


class Graphline(Component):
    """Children by name, wired by ``linkages``; a component itself, so graphlines nest.

    Args:
        linkages: ``{("A", "outbox"): ("B", "inbox"), ("self", "inbox"): ("A", "inbox")}``.
        inboxes / outboxes: extra boxes of this instance only, ``{name: description}``.
        name: the graphline's own name (default ``Graphline``).
        **children: the components, by label (``linkages``, ``inboxes``, ``outboxes`` and
            ``name`` are therefore not usable as labels).

    Raises:
        LinkError: at construction, for a linkage naming an unknown child or box.
    """

    Inboxes = {
        "inbox": "passed to the children the linkages say",
        "control": "passed to the children the linkages say (default: to every child "
                   "whose control no linkage feeds)",
    }
    Outboxes = {
        "outbox": "what the linkages send here",
        "signal": "what the linkages send here (default: the end, once all children finish)",
    }

    def __init__(
        self,
        linkages: Linkages | None = None,
        *,
        inboxes: Mapping[str, str] | None = None,
        outboxes: Mapping[str, str] | None = None,
        name: str | None = None,
        **children: Component,
    ) -> None:
        super().__init__(name=name)
        linkages = dict(linkages or {})
        for label, child in children.items():
            if not isinstance(child, Component):
                raise TypeError(f"{self.name}: child {label!r} must be a Component, not {child!r}")
            if label == SELF:
                raise ValueError(f"{self.name}: 'self' is the graphline itself, not a child label")
        for box, desc in (inboxes or {}).items():
            self.add_inbox(box, desc)
        for box, desc in (outboxes or {}).items():
            self.add_outbox(box, desc)
        check_linkages(self, linkages, children)
        self.linkages = linkages
        for label, child in children.items():
            self.add_child(child, label)
        make_linkages(self, linkages, children)
        sources = set(linkages)
        sinks = {sink for _, sink in linkage_pairs(linkages)}
        if (SELF, "control") not in sources:
            for label, child in children.items():
                if (label, "control") not in sinks and "control" in child.inboxes:
                    self.link((self, "control"), (child, "control"))
        self._ends_signal = (SELF, "signal") not in sinks
        self.wake_on()  # unlinked own inboxes keep their messages without waking us

    def child(self, label: str) -> Component:
        """The child labelled ``label``."""
        for c in self.children:
            if c.label == label:
                return c
        raise KeyError(f"{self.path} has no child {label!r}")

    def main(self) -> Generator[None, Any, None]:
        while not self.children_done():
            self.pause()
            yield
        if self._ends_signal:
            ends = [c.end_message for c in self.children]
            shut = any(isinstance(e, Shutdown) for e in ends)
            self.send(Shutdown("graphline") if shut else ProducerFinished("graphline"), "signal")
