"""Priority classes, and the run queue that serves them (scheduler design note 8).

A component's class (``Component.priority``) decides which runnable component the scheduler
runs next, never whether one runs:

- At each turn of the run queue the scheduler takes the component that has waited longest
  in the *highest* class that has a runnable one (first in, first out within a class).
- Except every ``fair_every``-th turn (default 4), which goes to the class served *longest
  ago* among those with a runnable component.  So a class that has runnable components
  gets at least one of every ``fair_every * C`` turns, C being the number of classes with
  runnable components (at most 4): each fair turn that passes it over serves a class
  served more recently than it, and that class cannot be picked again on a fair turn
  before it is.  A runnable component therefore runs within ``n * fair_every * C`` turns,
  ``n`` the runnable components ahead of it in its class: lower classes are slowed by a
  saturated higher class, never starved.

Classes order turns, they do not lengthen them: a timeslice is a timeslice whatever the
class, and a component woken by a timer or a message runs at the next turn that goes to
its class (after the timeslice under way, and the event loop's turn that woke it).

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
    ``len``), so the scheduler's loop runs unchanged on either.  ``popleft`` applies the
    rule in this module's docstring.
    """

    __slots__ = ("_queues", "_count", "_turn", "_last", "fair_every")

    def __init__(self, fair_every: int = 4, tasks: Iterable[Task] = ()) -> None:
        if not isinstance(fair_every, int) or fair_every < 2:
            raise ValueError(f"fair_every must be an int >= 2, not {fair_every!r}")
        self._queues: tuple[deque[Task], ...] = tuple(deque() for _ in range(_CLASSES))
        self._count = 0  # tasks in all queues
        self._turn = 0  # turns taken so far
        self._last = [0] * _CLASSES  # the turn each class was last served on
        self.fair_every = fair_every
        for t in tasks:
            self.append(t)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __contains__(self, task: object) -> bool:
        return any(task in q for q in self._queues)

    def append(self, task: Task) -> None:
        self._queues[_TOP - task.comp._axon_priority].append(task)
        self._count += 1

    def popleft(self) -> Task:
        """The task to run next (IndexError if none, as from an empty deque)."""
        if not self._count:
            raise IndexError("pop from an empty run queue")
        turn = self._turn = self._turn + 1
        queues = self._queues
        if turn % self.fair_every:  # the highest class with a runnable component
            i = 0
            while not queues[i]:
                i += 1
        else:  # a fair turn: the class served longest ago (among those with one)
            last = self._last
            i = min((j for j in range(_CLASSES) if queues[j]), key=last.__getitem__)
        self._last[i] = turn
        self._count -= 1
        return queues[i].popleft()

    def remove(self, task: Task) -> None:
        """Take ``task`` out (ValueError if it is not in, as from a deque)."""
        for q in self._queues:
            if task in q:
                q.remove(task)
                self._count -= 1
                return
        raise ValueError(f"{task!r} is not in the run queue")

    def moved(self, task: Task, old: int) -> None:
        """``task``'s class changed from ``old``: if it waits in the queue, it now waits at
        the back of its new class's (a task in its timeslice is queued by class as it ends)."""
        q = self._queues[_TOP - old]
        try:
            q.remove(task)
        except ValueError:
            return
        self._queues[_TOP - task.comp._axon_priority].append(task)

    def clear(self) -> None:
        for q in self._queues:
            q.clear()
        self._count = 0

    def runnable(self) -> dict[Priority, int]:
        """How many runnable components wait in each class (for statistics and tests)."""
        return {Priority(_TOP - i): len(q) for i, q in enumerate(self._queues)}
