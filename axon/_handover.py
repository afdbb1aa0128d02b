"""Handing a finished child's unread messages to its successor (Seq, Carousel, Supervisor)."""

from __future__ import annotations

from ._box import _push_outside
from ._component import Component

__all__ = ["hand_over"]


def hand_over(old: Component, new: Component | None, *, pass_end: bool = False) -> int:
    """Move the messages waiting in ``old``'s inboxes into ``new``'s same-named inboxes;
    with ``pass_end``, also the end of stream ``old`` had taken (its ``end_message``).

    A replacement for a failed child (Supervisor) inherits its end; a successor in a
    Carousel or Seq does not: there the end was the composition's own word to the old
    child, and the composition tells each child its end itself.

    Call it after ``old`` is unlinked and before ``new`` is linked, so the messages keep
    their order ahead of anything that arrives later.  Boxes ``new`` lacks (or ``new``
    None) keep their messages where they are.  Returns how many messages moved.

    Only ``old``'s own inboxes are looked at: if ``old`` is a composition, messages already
    passed to its children stay with them.
    """
    if new is None:
        return 0
    moved = 0
    end = old.end_message
    if pass_end and end is not None and "control" in new.inboxes:
        new.inboxes["control"].put(end)
        moved += 1
    for name, ib in old.inboxes.items():
        target = new.inboxes.get(name)
        if target is None or not ib.queue:
            continue
        items = list(ib.queue)
        ib.queue.clear()
        _push_outside(target, items)  # in order, one wake-up
        moved += len(items)
    return moved
