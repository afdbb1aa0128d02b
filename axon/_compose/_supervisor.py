"""Supervisor: restarts failed children from their factories, within a restart budget.

Strategies (Erlang's names): ``one_for_one`` restarts only the child that failed;
``one_for_all`` stops every other child and restarts them all.  More than ``max_restarts``
failures within ``within`` seconds and the supervisor gives up: it stops its children and
fails itself with :class:`RestartsExhausted` (whose cause is the child's error), which
propagates like any component error, to an enclosing supervisor or out of ``run()``.

Wiring: the children are linked like a :class:`~axon.Pipeline` by default (the
supervisor's inbox/control to the first, outbox/signal from the last), or by
``linkages`` as in a :class:`~axon.Graphline`.  A restarted child is linked in its
predecessor's place.  Each failure is reported on the ``failures`` outbox as a
:class:`ChildFailed` record.

What a failure loses, and why Axon differs from Erlang/OTP
----------------------------------------------------------
In OTP a crashed process's mailbox dies with it: what waited for it is gone, senders
address the new process by a new pid and must resend, and a supervisor restores a
process, not its work (callers recover with timeouts and retries).  Axon keeps the
work.  A link joins box *places*, not process identities, so the replacement stands
where the failed child stood and what was sent to that place is still for it; and
in-process delivery is exactly-once, so dropping it would lose messages silently, which
Axon promises never happens.  So, on a failure:

1. Everything waiting in the failed child, in its own inboxes and in those of every
   component inside it (the healthy parts of a composition too), and what blocked
   senders held for them, goes to the same place (labels and box names) in the
   replacement, in order, ahead of anything sent later.  A component's end of stream
   goes with it.
2. The messages the failed component had taken and not finished are named in the
   :class:`ChildFailed` record (``unfinished``), not sent again: among them is the one
   it failed on, which would most likely fail its replacement too.  So that this is
   exact, a supervised component takes one message per ``RECEIVE`` (an Erlang process
   takes one per ``receive``), and what each of its timeslices takes is recorded.  The
   price is batching: a supervised stage runs one message per timeslice.  (``recv_all``
   still takes all that waits, so a component written with it has all of that named.)
   Messages taken by a component stopped in the middle of an await are named there too.
3. What waits where the replacement has no place (a factory that builds differently) is
   named in the record (``unplaced``) and counted as dropped.
4. Every failure counts against the budget: a second failure in a child already being
   replaced, an error in a ``finally`` block as siblings are stopped, and a replacement
   that fails as it starts (``on_activate``), which is restarted like any other.

A replacement starts afresh: what its predecessor had already done (sent, written) is
not undone, and a source in it starts from the beginning.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._core import AxonError, Component, State, hand_over, taken_by
from ._linkages import Linkages, check_linkages, make_linkages, pipeline_linkages

__all__ = ["ChildFailed", "RestartsExhausted", "Strategy", "Supervisor"]

Factory = Callable[[], Component]


class Strategy(enum.Enum):
    """Which children a supervisor restarts when one fails."""

    ONE_FOR_ONE = "one_for_one"
    ONE_FOR_ALL = "one_for_all"


@dataclass(frozen=True, slots=True)
class ChildFailed:
    """Sent on a supervisor's ``failures`` outbox for each failure of a child."""

    label: str
    path: str  # where it failed, e.g. Supervisor[worker]:Parser (maybe a grandchild)
    error: BaseException
    restarts: int  # the supervisor's restarts so far, this one included (0: giving up)
    #: messages it had taken and not finished (the one it failed on among them): not
    #: sent again (see the module doc)
    unfinished: tuple[Any, ...] = ()
    #: messages waiting in the failed child that its replacement has no place for
    unplaced: tuple[Any, ...] = ()


class RestartsExhausted(AxonError):
    """A supervised child failed more often than the supervisor's budget allows."""


@dataclass(slots=True)
class _Failure:
    label: str
    component: Component
    path: str  # its place as it failed (it may be detached before the failure is handled)
    error: BaseException
    taken: tuple[Any, ...]


class Supervisor(Component):
    """Runs children made by factories and restarts them when they fail.

    Args:
        children: factories (called with no arguments), as a list (labelled "0", "1"...)
            or a mapping of label to factory.
        strategy: ``"one_for_one"`` or ``"one_for_all"``.
        max_restarts / within: at most this many failures within this many seconds.
        linkages: Graphline-style links between the labels; default: a pipeline.

    See the module documentation for what a failure loses (nothing silently).
    """

    Inboxes = {
        "inbox": "passed on as the linkages say (default: to the first child)",
        "control": "passed on as the linkages say (default: to the first child)",
    }
    Outboxes = {
        "outbox": "as the linkages say (default: the last child's outbox)",
        "signal": "as the linkages say (default: the last child's signal)",
        "failures": "a ChildFailed record for each failure of a child",
    }

    _axon_supervises = True  # what runs below it is supervised (Component._axon_supervised)

    def __init__(
        self,
        children: Sequence[Factory] | Mapping[str, Factory],
        strategy: Strategy | str = Strategy.ONE_FOR_ONE,
        max_restarts: int = 3,
        within: float = 5.0,
        *,
        linkages: Linkages | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        if isinstance(children, Mapping):
            factories = dict(children)
        else:
            factories = {str(i): f for i, f in enumerate(children)}
        if not factories:
            raise ValueError(f"{self.name} needs at least one child factory")
        for label, f in factories.items():
            if not callable(f) or isinstance(f, Component):
                raise TypeError(
                    f"{self.name}: child {label!r} must be a factory (e.g. a class or a "
                    f"lambda returning a Component), not {f!r}"
                )
        self.strategy = Strategy(strategy)
        self.max_restarts = max_restarts
        self.within = within
        self.factories = factories
        self.restarts = 0
        self.restarts_by_child: dict[str, int] = dict.fromkeys(factories, 0)
        self._failure_times: deque[float] = deque()
        self._failed: deque[_Failure] = deque()
        self._giving_up: RestartsExhausted | None = None
        first = {label: self._make(label) for label in factories}
        if linkages is None:
            linkages = pipeline_linkages(list(factories))
        check_linkages(self, linkages, first)
        self.linkages = dict(linkages)
        for label, child in first.items():
            self.add_child(child, label)
        make_linkages(self, self.linkages, first)
        self.wake_on()  # woken by a failure (child_failed) or a child finishing

    def _make(self, label: str) -> Component:
        child = self.factories[label]()
        if not isinstance(child, Component):
            raise TypeError(f"{self.name}: factory {label!r} returned {child!r}, not a Component")
        return child

    def _current(self) -> dict[str, Component]:
        return {str(c.label): c for c in self.children}

    # -- failures ----------------------------------------------------------------------------

    def child_failed(self, child: Component, exc: BaseException) -> bool:
        """Scheduler hook: take charge of a failure below us; restart in our next timeslice."""
        top = child
        while top.parent is not self and top.parent is not None:
            top = top.parent  # the child of ours that contains it (or contained it)
        self._failed.append(
            _Failure(str(top.label), child, child.path, exc, taken_by(child)))
        if self.scheduler is not None:
            self.scheduler.wake(self)
        return True

    def _handle_failure(self, f: _Failure) -> None:
        label, failed, path, exc = f.label, f.component, f.path, f.error
        now = time.monotonic()
        times = self._failure_times
        times.append(now)  # every failure counts
        while times and now - times[0] > self.within:
            times.popleft()
        if len(times) > self.max_restarts:
            self.send(ChildFailed(label, path, exc, 0, f.taken), "failures")
            err = RestartsExhausted(
                f"child {label!r} ({path}) failed: {type(exc).__name__}: {exc}; "
                f"more than {self.max_restarts} restarts within {self.within} s, giving up"
            )
            err.__cause__ = exc
            self._giving_up = err
            return
        current = self._current()
        if label not in current or not _contains(current[label], failed):
            # in a child already replaced (a second failure, or one while it was stopped)
            self.send(ChildFailed(label, path, exc, self.restarts, f.taken), "failures")
            return
        self.restarts += 1
        self.restarts_by_child[label] += 1
        labels = [label] if self.strategy is Strategy.ONE_FOR_ONE else list(self.factories)
        unfinished = list(f.taken)
        sched = self.scheduler
        assert sched is not None
        for lb in labels:  # stop what is left of them (the failed one is done already)
            unfinished.extend(_taken_mid_await(current[lb], failed))
            sched.stop(current[lb])
        unplaced: list[Any] = []
        for lb in labels:
            self._replace(current[lb], lb, unplaced)
        self.send(ChildFailed(label, path, exc, self.restarts, tuple(unfinished),
                              tuple(unplaced)), "failures")

    def _replace(self, old: Component, label: str, unplaced: list[Any]) -> None:
        new = self._make(label)
        self.remove_child(old)
        self.add_child(new, label)
        _hand_over_tree(old, new, unplaced)
        make_linkages(self, self.linkages, self._current(), only=label)

    # -- the work ------------------------------------------------------------------------------

    def main(self) -> Generator[None, Any, None]:
        while True:
            while self._failed and self._giving_up is None:  # (replacing may add failures)
                self._handle_failure(self._failed.popleft())
            if self._giving_up is not None:
                for child in self.children:
                    self.scheduler.stop(child)  # type: ignore[union-attr]
                raise self._giving_up  # an enclosing supervisor hands our children's work on
            if self.children_done():
                break
            self.pause()
            yield


def _contains(top: Component, c: Component | None) -> bool:
    while c is not None:
        if c is top:
            return True
        c = c.parent
    return False


def _taken_mid_await(top: Component, failed: Component) -> list[Any]:
    """What components under ``top`` that are being stopped in an await had taken."""
    out: list[Any] = []
    todo = [top]
    while todo:
        c = todo.pop()
        todo.extend(c.children)
        if c is not failed and c.state is State.WAITING:
            out.extend(taken_by(c))
    return out


def _hand_over_tree(old: Component, new: Component | None, unplaced: list[Any]) -> None:
    """Hand what waits in ``old`` and every component inside it to the same places in
    ``new`` (children matched by label), each with its end of stream (module doc, 1, 3)."""
    by_label = {c.label: c for c in new.children} if new is not None else {}
    for child in old.children:
        _hand_over_tree(child, by_label.get(child.label), unplaced)
    hand_over(old, new, pass_end=True, unplaced=unplaced)
