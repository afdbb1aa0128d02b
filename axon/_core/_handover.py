"""Handing a finished child's unread messages to its successor (Seq, Carousel, Supervisor)."""

from __future__ import annotations

from collections import deque
from typing import Any

from ._box import NOBODY, Inbox, _push_outside
from ._component import Component

__all__ = ["hand_over"]


def hand_over(old: Component, new: Component | None, *, pass_end: bool = False,
              unplaced: list[Any] | None = None) -> int:
    """Move the messages waiting for ``old`` into ``new``'s same-named inboxes, then close
    ``old``'s inboxes; with ``pass_end``, also pass on the end of stream ``old`` had taken
    (its ``end_message``).

    What waits for an inbox is what is queued in it and the sends blocked on it: those
    are re-aimed at the new inbox, behind the queued ones.  What ``new``
    has no place for (or all of it, with ``new`` None) is dropped, and counted, as the old
    inboxes close (``Inbox.close``).

    A replacement for a failed child (Supervisor) inherits its end; a successor in a
    Carousel or Seq does not: there the end was the composition's own word to the old
    child, and the composition tells each child its end itself.

    Call it after ``old`` is unlinked and before ``new`` is linked, so the messages keep
    their order ahead of anything that arrives later.  Returns how many messages moved;
    the messages that had no place are appended to ``unplaced`` if given.

    Only ``old``'s own inboxes are looked at: if ``old`` is a composition, messages already
    passed to its children stay with them (see ``Supervisor`` for a whole-tree hand-over).
    """
    moved = 0
    sched = old.scheduler
    if unplaced is not None:
        for name, ib in old.inboxes.items():
            if new is None or name not in new.inboxes:
                unplaced.extend(ib.queue)
                for sender in ib.blocked:
                    unplaced.extend(m for t, m in _blocked_sends(sender) if t is ib)
    if new is not None:
        end = old.end_message
        if pass_end and end is not None and "control" in new.inboxes:
            new.inboxes["control"].put(end)
            moved += 1
        for name, ib in old.inboxes.items():
            target = new.inboxes.get(name)
            if target is None:
                continue
            if ib.queue:
                items = list(ib.queue)
                ib.queue.clear()
                _push_outside(target, items)  # in order, one wake-up
                moved += len(items)
            if ib.blocked:
                moved += _reaim_blocked_sends(ib, target)
                if sched is not None:
                    sched.unblock(target)  # room now: they go on
    if sched is not None:
        sched.close_inboxes(old)
    else:
        for ib in old.inboxes.values():
            ib.close()
    return moved


def _reaim_blocked_sends(old: Inbox[Any], new: Inbox[Any]) -> int:
    """Point the sends blocked on ``old`` at ``new``; they now wait for room there."""
    n = 0
    for sender in old.blocked:
        sends = _blocked_sends(sender)
        if not sends:
            continue
        for i, (target, msg) in enumerate(sends):
            if target is old:
                sends[i] = (new, msg)
                n += 1
        if sender not in new.blocked:
            if isinstance(new.blocked, tuple):  # (NOBODY: a list of its own from now on)
                new.blocked = []
            new.blocked.append(sender)
    old.blocked = NOBODY
    return n


def _blocked_sends(sender: Component) -> deque[tuple[Inbox[Any], Any]]:
    t = sender._axon_task
    return t.blocked_sends if t is not None and t.blocked_sends is not None else _NONE


_NONE: deque[tuple[Inbox[Any], Any]] = deque(maxlen=0)
