"""Flow control at the edges: carrying a system's backpressure out to what feeds it.

Design notes
------------
1. Inside a system, a bounded ``block`` inbox suspends its sender until the reader makes
   room.  A component that brings data in from *outside* the scheduler (a socket's
   transport, a child process's pipe, a thread calling ``Handle.put``) cannot be suspended
   that way: its source goes on delivering whatever the component does.  So such a
   component holds what it has brought in (a bounded amount), sends it on only while
   there is room downstream, and stops its source while it holds its bound.
2. *Room* is asked of an outbox, not of a particular reader (a component knows nothing of
   its links): :meth:`Component.room` says how many more messages ``box`` can send before
   one of the inboxes it reaches (its final inboxes, through any passthroughs) holds
   ``limit`` messages, or its own bound if that is smaller (``block`` or ``error``
   policy).  An inbox whose policy drops (``drop_oldest``, ``keep_latest``) never holds a
   sender back: dropping, counted, is what its owner asked for.  Nor does an inbox whose
   owner is not running (not started, or finished: nothing will take from it), nor an
   unlinked outbox (it holds what is sent, up to its ``hold_limit``, for its future link).
3. When there is no room, the component is recorded as a *watcher* of each full inbox, in
   the list that already holds the inbox's blocked senders (``Inbox.blocked``).  Whatever
   takes from an inbox (``yield RECEIVE``, ``recv``, ``recv_all``, a thread) calls
   ``Scheduler.unblock`` while that list is not empty, and ``unblock`` wakes a paused
   watcher; so does the inbox's owner finishing.  A reader's hot path does not change: as
   with blocked senders, its RECEIVE takes the slow path only while someone waits.
4. The woken component sends what it holds while :meth:`Component.room` allows, and
   restarts its source once it holds less than half its bound (so a source is not flipped
   on and off per message): asyncio's ``transport.resume_reading()``, a reader task
   allowed to read a pipe again, a thread waiting on a condition.
5. The other direction is the transport's own flow control: while asyncio says
   ``pause_writing()``, a component writing to it stops taking from its inbox (which,
   bounded with ``block``, then holds up its senders) and narrows what wakes it with
   ``wake_on`` to the boxes that carry the transport's events, so data waiting in its
   inbox does not keep it awake; ``resume_writing()`` delivers an event there.

The library's I/O edges (``components.net``, ``components.process``) and ``Handle.put``'s
bounded mode are built on these two halves.
"""

from __future__ import annotations

import sys
from typing import Any

from ._box import Outbox, Policy
from ._component import Component, State
from ._task import watch_for_room

__all__ = ["room"]

#: What ``room`` returns when nothing holds the outbox back.
UNLIMITED = sys.maxsize

_CAPPED = (Policy.BLOCK, Policy.ERROR)
_GONE = (State.NEW, State.FINISHED, State.FAILED)


def room(component: Component, outbox: Outbox[Any], limit: int) -> int:
    """How many messages ``outbox`` can send before one of its inboxes holds ``limit``
    (or its own smaller bound); when none, ``component`` is woken once one is read from.

    The implementation of :meth:`Component.room` (see the design notes above).
    """
    if limit < 1:
        raise ValueError(f"{outbox!r}: room(limit={limit!r}) needs a limit of at least 1")
    free = UNLIMITED
    full = None
    for target in outbox.targets:
        size = target.size
        if size is None:
            cap = limit
        elif target.policy in _CAPPED:
            cap = min(limit, size)
        else:
            continue  # it drops by policy: never holds a sender back
        if target.owner.state in _GONE:
            continue  # nothing will take from it
        n = cap - len(target.queue)
        if n <= 0:
            full = [target] if full is None else [*full, target]
            free = 0
        elif n < free:
            free = n
    if full is not None:
        for target in full:
            watch_for_room(target, component)
    return free
