"""Supervisor: restarts failed children from their factories, within a restart budget.

Strategies (Erlang's names): ``one_for_one`` restarts only the child that failed;
``one_for_all`` stops every other child and restarts them all.  More than ``max_restarts``
restarts within ``within`` seconds and the supervisor gives up: it stops its children and
fails itself with :class:`RestartsExhausted` (whose cause is the child's error), which
propagates like any component error, to an enclosing supervisor or out of ``run()``.

Wiring: the children are linked like a :class:`~axon.Pipeline` by default (the
supervisor's inbox/control to the first, outbox/signal from the last), or by
``linkages`` as in a :class:`~axon.Graphline`.  A restarted child is linked in its
predecessor's place, and the messages its predecessor left unread are handed to it, so a
failure loses only what the failing child had already taken.  Each failure is reported on
the ``failures`` outbox as a :class:`ChildFailed` record.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._component import Component
from ._errors import AxonError
from ._graphline import SELF, Linkages, check_linkages, linkage_pairs, make_linkages
from ._handover import hand_over

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


class RestartsExhausted(AxonError):
    """A supervised child failed more often than the supervisor's budget allows."""


class Supervisor(Component):
    """Runs children made by factories and restarts them when they fail.

    Args:
        children: factories (called with no arguments), as a list (labelled "0", "1"...)
            or a mapping of label to factory.
        strategy: ``"one_for_one"`` or ``"one_for_all"``.
        max_restarts / within: at most this many restarts within this many seconds.
        linkages: Graphline-style links between the labels; default: a pipeline.
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
        self._failed: deque[tuple[Component, BaseException]] = deque()
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
        return {str(c.label): c for c in self._children}

    # -- failures ----------------------------------------------------------------------------

    def child_failed(self, child: Component, exc: BaseException) -> bool:
        """Scheduler hook: take charge of a failure below us; restart in our next timeslice."""
        self._failed.append((child, exc))
        if self._scheduler is not None:
            self._scheduler.wake(self)
        return True

    def _handle_failure(self, failed: Component, exc: BaseException) -> None:
        top = failed
        while top._parent is not self:  # the child of ours that contains the failure
            assert top._parent is not None
            top = top._parent
        label = str(top.label)
        now = time.monotonic()
        times = self._failure_times
        times.append(now)
        while times and now - times[0] > self.within:
            times.popleft()
        if len(times) > self.max_restarts:
            self.send(ChildFailed(label, failed.path, exc, 0), "failures")
            err = RestartsExhausted(
                f"child {label!r} ({failed.path}) failed: {type(exc).__name__}: {exc}; "
                f"more than {self.max_restarts} restarts within {self.within} s, giving up"
            )
            err.__cause__ = exc
            self._giving_up = err
            return
        self.restarts += 1
        self.restarts_by_child[label] += 1
        self.send(ChildFailed(label, failed.path, exc, self.restarts), "failures")
        sched = self._scheduler
        assert sched is not None
        if self.strategy is Strategy.ONE_FOR_ONE:
            labels = [label]
        else:
            labels = list(self.factories)
        current = self._current()
        for lb in labels:
            sched.stop(current[lb])  # the failed one is done already; stops the rest of it
        for lb in labels:
            self._replace(current[lb], lb)

    def _replace(self, old: Component, label: str) -> None:
        new = self._make(label)
        self.remove_child(old)
        self.add_child(new, label)
        hand_over(old, new, pass_end=True)
        make_linkages(self, self.linkages, self._current(), only=label)

    def _give_back(self) -> None:
        """Giving up: put what our children left unread back in our own inboxes, so an
        enclosing supervisor hands it to our replacement."""
        current = self._current()
        for (src, box), (dst, cbox) in linkage_pairs(self.linkages):
            if src == SELF and dst in current:
                q = current[dst].inboxes[cbox].queue
                self.inboxes[box].queue.extend(q)
                q.clear()

    # -- the work ------------------------------------------------------------------------------

    def main(self) -> Generator[None, Any, None]:
        while True:
            while self._failed and self._giving_up is None:
                self._handle_failure(*self._failed.popleft())
            if self._giving_up is not None:
                for child in self.children:
                    self._scheduler.stop(child)  # type: ignore[union-attr]
                self._give_back()
                raise self._giving_up
            if self.children_done():
                break
            self.pause()
            yield


def pipeline_linkages(labels: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """The linkages of a pipeline through ``labels``."""
    links = {(SELF, "inbox"): (labels[0], "inbox"), (SELF, "control"): (labels[0], "control")}
    for a, b in zip(labels, labels[1:]):
        links[(a, "outbox")] = (b, "inbox")
        links[(a, "signal")] = (b, "control")
    links[(labels[-1], "outbox")] = (SELF, "outbox")
    links[(labels[-1], "signal")] = (SELF, "signal")
    return links
