"""Priority classes, and the run queue that serves them (scheduler design note 8).

A component's class (``Component.priority``) decides which runnable component the scheduler
runs next, never whether one runs:

- At each turn of the run queue the scheduler takes the component that has waited longest
  in the *highest* class that has a runnable one (first in, first out within a class).
- Except every ``fair_every``-th turn (default 4), a *fair turn*: it goes to the class,
  among those below the highest with a runnable component, whose last fair turn is the
  oldest (to the highest if it is alone).  So while a class below the highest has
  runnable components it gets at least one of every ``fair_every * (C - 1)`` turns, C
  being the number of classes with runnable components (at most 4): each fair turn that
  passes it over goes to a class whose last fair turn was older than its own, and that
  class cannot pass it over again before it has had one.  The highest class gets every
  other turn.  A runnable component therefore runs within
  ``(n + 1) * fair_every * max(1, C - 1)`` turns, ``n`` the components ahead of it in its
  class: lower classes are slowed by a saturated higher class, never starved.

Classes order turns, they do not lengthen them: a timeslice is a timeslice whatever the
class, and a component woken by a timer or a message runs at the next turn that goes to
its class (after the timeslice under way, and the event loop's turn that woke it; for
the highest class, at most one fair turn later).  In class mode the scheduler lets the
timers due run before each turn, not after it, so a timer-woken component waits for the
turn under way at most (``Scheduler._after_due_timers``).

A scheduler whose components are all NORMAL keeps its plain deque and never pays for
this: the first component of another class swaps in a :class:`ClassQueue` (for the rest
of that run).
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["ClassQueue", "Priority", "as_priority"]


class Priority(enum.IntEnum):
    """A component's priority class: the scheduler serves higher classes first."""

    LOW = -1  #: background work: runs when nothing more urgent is runnable (or on fair turns)
    NORMAL = 0  #: the default
    HIGH = 1  #: interactive work: a display, a user interface
    URGENT = 2  #: work with deadlines: a clocked audio mixer


_TOP = int(Priority.URGENT)  # queue index of class p: _TOP - p (0 is the highest)
_CLASSES = len(Priority)


def as_priority(value: object, owner: str) -> int:
    """``value`` as a priority class (an int), or a ValueError naming ``owner``."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return int(Priority(value))
        except ValueError:
            pass
    choices = ", ".join(f"{p.name} ({p.value})" for p in Priority)
    raise ValueError(f"{owner}: priority must be a Priority ({choices}), not {value!r}")


class ClassQueue:
    """The scheduler's run queue once priority classes are in use: one deque per class.

    It stands in for the plain ``deque`` (``append``, ``popleft``, ``remove``, ``clear``,
    ``len``), so the scheduler's loop runs unchanged on either.  ``append`` is a plain
    deque's (C-level: it is called wherever a task becomes runnable); ``popleft`` first
    puts what was appended since in its class's deque, then applies the rule in this
    module's docstring.
    """

    __slots__ = ("append", "_incoming", "_queues", "_countdown", "_fair_last", "_fair_turns",
                 "fair_every", "_last", "_last_q")

    def __init__(self, fair_every: int = 4, tasks: Iterable[Task] = ()) -> None:
        if not isinstance(fair_every, int) or fair_every < 2:
            raise ValueError(f"fair_every must be an int >= 2, not {fair_every!r}")
        self._incoming: deque[Task] = deque(tasks)  # appended, not yet in a class's deque
        self.append = self._incoming.append
        self._queues: tuple[deque[Task], ...] = tuple(deque() for _ in range(_CLASSES))
        self._countdown = fair_every - 1  # normal turns until the next fair turn
        self._fair_last = [0] * _CLASSES  # the fair turn each class last had
        self._fair_turns = 0
        self.fair_every = fair_every
        self._last: Task | None = None  # the task popped last, from _last_q (its class's)
        self._last_q: deque[Task] = self._queues[_TOP]

    def _sort_in(self) -> None:
        """Put each task appended since in its class's deque."""
        incoming, queues, last = self._incoming, self._queues, self._last
        while incoming:
            t = incoming.popleft()
            if t is last:
                self._last_q.append(t)
            else:
                queues[_TOP - t.comp._axon_priority].append(t)

    def __len__(self) -> int:
        return len(self._incoming) + sum(len(q) for q in self._queues)

    def __bool__(self) -> bool:
        return bool(self._incoming) or any(self._queues)

    def first(self) -> Task | None:
        """A task that waits (the one appended first, or the first of the highest class),
        without taking it; None if none (the scheduler's look of its design note 9)."""
        if self._incoming:
            return self._incoming[0]
        for q in self._queues:
            if q:
                return q[0]
        return None

    def __contains__(self, task: object) -> bool:
        return task in self._incoming or any(task in q for q in self._queues)

    def popleft(self) -> Task:
        """The task to run next (IndexError if none, as from an empty deque)."""
        incoming = self._incoming
        if incoming:
            t = incoming.popleft()
            if t is self._last and not incoming:  # (the common case: the task that just
                self._last_q.append(t)  # ran, back in its class's queue; see moved())
            else:
                incoming.appendleft(t)
                self._sort_in()
        n = self._countdown
        if n:
            self._countdown = n - 1
            q0, q1, q2, q3 = self._queues
            q = q0 or q1 or q2 or q3  # the highest class with a runnable component
            if q:
                t = self._last = q.popleft()
                self._last_q = q
                return t
            self._countdown = n
            raise IndexError("pop from an empty run queue")
        return self._fair_turn()

    def _fair_turn(self) -> Task:
        """Every ``fair_every``-th turn: the class below the highest with a runnable
        component whose last fair turn is the oldest (the highest, if it is alone)."""
        queues = self._queues
        q0, q1, q2, q3 = queues
        self._countdown = self.fair_every - 1
        if (q0 and (q1 or q2 or q3)) or (q1 and (q2 or q3)) or (q2 and q3):
            last = self._fair_last
            below = [i for i in range(_CLASSES) if queues[i]][1:]
            best = min(below, key=last.__getitem__)
            self._fair_turns = last[best] = self._fair_turns + 1
            q = queues[best]
        else:  # (one class alone: its turn, as any other)
            q = q0 or q1 or q2 or q3
            if not q:
                self._countdown = 0
                raise IndexError("pop from an empty run queue")
        self._last_q = q
        t = self._last = q.popleft()
        return t

    def remove(self, task: Task) -> None:
        """Take ``task`` out (ValueError if it is not in, as from a deque)."""
        self._sort_in()
        for q in self._queues:
            if task in q:
                q.remove(task)
                return
        raise ValueError(f"{task!r} is not in the run queue")

    def moved(self, task: Task, old: int) -> None:
        """``task``'s class changed from ``old``: if it waits in the queue, it now waits at
        the back of its new class's (a task in its timeslice is queued by class as it ends)."""
        if task is self._last:  # (it is running, or waits in incoming: either way it
            self._last_q = self._queues[_TOP - task.comp._axon_priority]  # goes there)
        if task in self._incoming:
            return  # (sorted in by its new class)
        q = self._queues[_TOP - old]
        try:
            q.remove(task)
        except ValueError:
            return
        self._queues[_TOP - task.comp._axon_priority].append(task)

    def clear(self) -> None:
        self._incoming.clear()
        for q in self._queues:
            q.clear()

    def runnable(self) -> dict[Priority, int]:
        """How many runnable components wait in each class (for statistics and tests)."""
        self._sort_in()
        return {Priority(_TOP - i): len(q) for i, q in enumerate(self._queues)}
