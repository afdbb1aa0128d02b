"""Parallel: children side by side, with no links between them (Kamaelia's PAR, from occam)."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

from .._core import Component, EndSignal, ProducerFinished, Shutdown

__all__ = ["Parallel"]


class Parallel(Component):
    """Runs ``children`` side by side: what reaches its inbox goes to every child, what
    they send comes out of its outbox, and it ends when every child has ended.

    Wiring is made of passthrough links, so a message sent to the parallel lands straight
    in each child's inbox (a fan-out send) and a child's send lands straight in whatever
    the parallel feeds.  Outputs are merged as they are sent: each child's keep their
    order, and there is no order between children.

    End of stream: ``control`` is passed to every child (``ProducerFinished``: each
    finishes what it was sent first; ``Shutdown``: each stops now).  The children's own
    ``signal`` messages do not leave the parallel (one child's end would otherwise end
    what is downstream while the others still send, as Kamaelia's PAR did): once every
    child has finished it sends ``ProducerFinished`` on ``signal``, or the first
    ``Shutdown`` a child ended on.  A child that finishes early drops (and counts) what
    is sent to it later, like any finished component; the others go on.

    Args:
        children: the components (labelled by position: ``Parallel[1]:Name``).
        shared_inboxes: the inboxes passed to every child that has one (default
            ``inbox``); those the parallel does not have are added to it.
        merged_outboxes: the outboxes merged into the parallel's (default ``outbox``);
            those it does not have are added to it.
    """

    Inboxes = {
        "inbox": "passed to every child's inbox",
        "control": "passed to every child's control: ProducerFinished or Shutdown",
        "child_signal": "the children's signals (kept in: the end goes out once all end)",
    }
    Outboxes = {
        "outbox": "every child's outbox, merged (each child's messages in order)",
        "signal": "ProducerFinished once every child has finished (or the Shutdown one "
                  "ended on)",
    }

    def __init__(self, *children: Component, shared_inboxes: Iterable[str] = ("inbox",),
                 merged_outboxes: Iterable[str] = ("outbox",), name: str | None = None) -> None:
        super().__init__(name=name)
        if not children:
            raise ValueError(f"{self.name} needs at least one child")
        shared, merged = list(shared_inboxes), list(merged_outboxes)
        for box in shared:
            if box in ("control", "child_signal"):
                raise ValueError(f"{self.name}: {box!r} is the parallel's own; it cannot be "
                                 "a shared inbox")
            if box not in self.inboxes:
                self.add_inbox(box, "passed to every child's " + box)
        for box in merged:
            if box == "signal":
                raise ValueError(f"{self.name}: the children's signals are not merged (the "
                                 "parallel sends one end once all have ended)")
            if box not in self.outboxes:
                self.add_outbox(box, "every child's " + box + ", merged")
        self.add_children(*children)
        for child in children:
            for box in shared:
                if box in child.inboxes:
                    self.link((self, box), (child, box))
            if "control" in child.inboxes:
                self.link((self, "control"), (child, "control"))
            for box in merged:
                if box in child.outboxes:
                    self.link((child, box), (self, box))
            if "signal" in child.outboxes:
                self.link((child, "signal"), (self, "child_signal"))
        # woken by a child's end (and its signal) only: messages for the children pass
        # straight through, and any left in its own inboxes must not keep it awake
        self.wake_on("child_signal")

    def main(self) -> Generator[None, Any, None]:
        ends: list[EndSignal] = []
        while True:
            ends += (m for m in self.recv_all("child_signal") if isinstance(m, EndSignal))
            if self.children_done():
                break
            self.pause()
            yield
        ends += (m for m in self.recv_all("child_signal") if isinstance(m, EndSignal))
        ends += (c.end_message for c in self.children if c.end_message is not None)
        shut = next((e for e in ends if isinstance(e, Shutdown)), None)
        self.send(shut if shut is not None else ProducerFinished("parallel"), "signal")
