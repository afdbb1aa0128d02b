"""Handing a finished child's unread messages to its successor (Seq, Carousel, Supervisor)."""

from __future__ import annotations

from ._component import Component

__all__ = ["hand_over"]


def hand_over(old: Component, new: Component | None) -> int:
    """Move the messages waiting in ``old``'s inboxes into ``new``'s same-named inboxes,
    and the end of stream ``old`` had taken (its ``end_message``) into ``new``'s control.

    Call it after ``old`` is unlinked and before ``new`` is linked, so the messages keep
    their order ahead of anything that arrives later.  Boxes ``new`` lacks (or ``new``
    None) keep their messages where they are.  Returns how many messages moved.

    Only ``old``'s own inboxes are looked at: if ``old`` is a composition, messages already
    passed to its children stay with them.
    """
    if new is None:
        return 0
    moved = 0
    end = old.end_message  # an end it had already taken from control is passed on too
    if end is not None and "control" in new.inboxes:
        new.inboxes["control"].put(end)
        moved += 1
    for name, ib in old.inboxes.items():
        target = new.inboxes.get(name)
        if target is None or not ib.queue:
            continue
        items = list(ib.queue)
        ib.queue.clear()
        for msg in items:
            target.put(msg)
        moved += len(items)
    return moved
