"""WorkerPool: N copies of a component, each in its own process, sharing one stream.

Design notes
------------
1. One result per message.  A worker takes messages and sends exactly one result for
   each, in the order it took them (a ``Map``-like stage); that is what lets the pool
   know which messages a worker still holds, put results back in input order
   (``ordered=True``), and re-send what a dead worker held.  A worker that ends with
   messages it never answered is an error naming how many.
2. Bounded in flight.  At most ``max_in_flight`` messages are between the pool's inbox
   and its outbox (at the workers, on the pipes, or waiting for an earlier result in
   ordered mode); the pool's inbox is bounded to the same number (and the pool takes what
   it holds only once it has sent on what it took before), so a producer faster than the
   workers is held up (backpressure), never buffered without bound.  Messages go to the
   least loaded worker.
3. A worker that fails (an exception, or its process killed) is restarted in a new
   process within a restart budget (``max_restarts`` within ``within`` seconds, as a
   :class:`~axon.Supervisor` counts them; ``one_for_all`` restarts every worker).  What
   it held and had not yet written to its process is sent to the live workers; what it
   had written is re-sent too with ``on_lost="resend"`` (at least once: a message may be
   processed twice, but its result is passed on once) or reported as a
   :class:`LostMessage` on ``lost`` with ``on_lost="report"``.  Each failure is reported
   as a :class:`~axon.ChildFailed` on ``failures``.  Past the budget the pool stops its
   workers and fails with :class:`~axon.RestartsExhausted`, which an enclosing
   Supervisor may handle in turn.
"""

from __future__ import annotations

import enum
import math
import os
import time
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from functools import partial
from typing import Any

from .._core import (
    AxonError, BoxSpec, Component, EndSignal, Policy, ProducerFinished, Shutdown,
)
from ._process import DEFAULT_STOP_GRACE, ChildProcess, Factory
from .._compose import ChildFailed, RestartsExhausted, Strategy
from ._wire import Codec

__all__ = ["LostMessage", "OnLost", "PoolStatistics", "WorkerPool"]


class OnLost(enum.Enum):
    """What a pool does with the messages a failed worker had taken and not answered."""

    RESEND = "resend"  #: send them to a live worker (at least once)
    REPORT = "report"  #: send a LostMessage for each on the ``lost`` outbox


@dataclass(frozen=True, slots=True)
class LostMessage:
    """A message a failed worker had taken and not answered (``on_lost="report"``)."""

    message: Any
    worker: str  # the worker's place, e.g. Pipeline[2]:WorkerPool[w1]:Square
    error: BaseException  # why it failed


@dataclass(frozen=True, slots=True)
class PoolStatistics:
    """A snapshot of a pool's traffic."""

    workers: int
    in_flight: int  # messages taken and not yet passed on
    dispatched: int  # messages sent to workers (re-sends included)
    results: int  # results passed on
    resent: int  # messages sent again after a worker failed
    lost: int  # messages reported lost
    duplicates: int  # results that arrived twice (after a re-send) and were dropped
    restarts: int
    per_worker: tuple[int, ...]  # messages each worker (slot) was given


class _Tagged(Component):
    """In a worker's process: numbers each message for the pool and pairs each result
    with the number of the message it answers (one result per message, in order)."""

    Inboxes = {
        "inbox": "(seq, message) pairs from the pool",
        "control": "ProducerFinished (after the data) or Shutdown",
        "results": "the worker's results",
        "worker_signal": "the worker's end of stream",
    }
    Outboxes = {
        "outbox": "(seq, result) pairs for the pool",
        "signal": "the end, once the worker has finished",
        "to_worker": "messages for the worker",
        "worker_control": "the end for the worker",
    }

    def __init__(self, factory: Factory) -> None:
        worker = factory()
        if not isinstance(worker, Component):
            raise TypeError(f"WorkerPool: the factory returned {worker!r}, not a Component")
        super().__init__(name=worker.name)
        self.worker = worker
        self.add_child(worker, 0)
        self.link((self, "to_worker"), (worker, "inbox"))
        self.link((self, "worker_control"), (worker, "control"))
        self.link((worker, "outbox"), (self, "results"))
        if "signal" in worker.outboxes:
            self.link((worker, "signal"), (self, "worker_signal"))

    @property
    def path_root(self) -> Component:
        """Where paths in error reports start (the worker, not this wrapper)."""
        return self.worker

    def main(self) -> Generator[Any, Any, None]:
        seqs: deque[int] = deque()
        to_worker = self.outboxes["to_worker"]
        out = self.outboxes["outbox"]
        end: EndSignal | None = None
        passed_end = False
        while True:
            for seq, msg in self.recv_all("inbox"):
                seqs.append(seq)
                to_worker.push(msg)
            for result in self.recv_all("results"):
                if not seqs:
                    raise AxonError(f"{self.worker.name} sent more results than it was given "
                                    "messages: a pool's worker sends one result per message")
                out.push((seqs.popleft(), result))
            for msg in self.recv_all("control"):
                if isinstance(msg, EndSignal):
                    end = msg
            if end is not None and not passed_end and (
                    isinstance(end, Shutdown) or not self.data_ready("inbox")):
                passed_end = True
                self.send(end, "worker_control")
            self.recv_all("worker_signal")
            if self.worker.done:
                if self.data_ready("results"):
                    continue
                if seqs and not isinstance(end, Shutdown):
                    raise AxonError(f"{self.worker.name} finished with {len(seqs)} message(s) "
                                    "it sent no result for: a pool's worker sends one result "
                                    "per message")
                break
            self.pause()
            yield
        self.send(end if end is not None else ProducerFinished("worker finished"), "signal")


class WorkerPool(Component):
    """Spreads messages over ``workers`` copies of ``factory()``, each in its own process.

    Args:
        factory: makes one worker (picklable: a Component class, a module-level function
            or a ``functools.partial``); it must send one result per message.
        workers: how many processes (default: the number of CPUs).
        ordered: results in input order (True) or as they come (False).
        max_in_flight: messages taken and not yet passed on, at most (default 1024 per
            worker); also the bound of ``inbox``.
        on_lost: ``"resend"`` or ``"report"`` (see the module notes).
        strategy / max_restarts / within: the restart budget, as for a Supervisor.
        codec, start_method, stop_grace: as for :class:`ChildProcess`.
    """

    Inboxes = {
        "inbox": BoxSpec("messages to spread over the workers", 1),
        "control": "ProducerFinished: finish once every result is out; Shutdown: stop now",
        "results": "(from the workers) (seq, result) pairs",
        "worker_signals": "(from the workers) their ends",
    }
    Outboxes = {
        "outbox": "one result per message (in input order when ordered)",
        "signal": "ProducerFinished (or Shutdown) once the workers have finished",
        "lost": "LostMessage records (on_lost='report')",
        "failures": "a ChildFailed record each time a worker fails",
    }

    def __init__(self, factory: Factory, workers: int | None = None, *, ordered: bool = True,
                 max_in_flight: int | None = None, on_lost: OnLost | str = OnLost.RESEND,
                 strategy: Strategy | str = Strategy.ONE_FOR_ONE, max_restarts: int = 3,
                 within: float = 5.0, codec: str | Codec | None = "pickle",
                 start_method: str | None = None, stop_grace: float = DEFAULT_STOP_GRACE,
                 name: str | None = None) -> None:
        super().__init__(name=name)
        n = workers if workers is not None else (os.cpu_count() or 1)
        if n < 1:
            raise ValueError(f"{self.name}: workers must be at least 1, not {n}")
        # (1024 a worker: 64 took 2.8x as long for 100,000 small messages here, waiting on
        # round trips; tutorials/tour/s5_processes.py)
        limit = max_in_flight if max_in_flight is not None else 1024 * n
        if limit < 1:
            raise ValueError(f"{self.name}: max_in_flight must be at least 1, not {limit}")
        self.factory = factory
        self.ordered = ordered
        self.max_in_flight = limit
        self.on_lost = OnLost(on_lost)
        self.strategy = Strategy(strategy)
        self.max_restarts = max_restarts
        self.within = within
        self.restarts = 0
        self._cap = max(1, math.ceil(limit / n))  # in flight per worker
        self._worker_args: dict[str, Any] = {
            "codec": codec, "start_method": start_method, "window": self._cap,
            "stop_grace": stop_grace}
        self._worker_factory = partial(_Tagged, factory)
        self._name_of_worker = _worker_name(factory)
        self.set_bound("inbox", limit, Policy.BLOCK)
        self._labels = [f"w{i}" for i in range(n)]
        for label in self._labels:
            self.add_outbox(f"to_{label}", f"messages for worker {label}")
            self.add_outbox(f"end_{label}", f"the end for worker {label}")
            self._add_worker(label)
        self.wake_on("inbox", "control", "results", "worker_signals")
        self._failures: deque[tuple[Component, BaseException]] = deque()
        self._failure_times: deque[float] = deque()
        self._dispatched = 0
        self._results = 0
        self._resent = 0
        self._lost = 0
        self._duplicates = 0
        self._given = [0] * n
        self._in_flight = 0

    def _add_worker(self, label: str) -> ChildProcess:
        worker = ChildProcess(self._worker_factory, name=self._name_of_worker,
                              inboxes={"inbox": "(seq, message) pairs", "control": "the end"},
                              outboxes={"outbox": "(seq, result) pairs", "signal": "the end"},
                              **self._worker_args)
        # (the pool sends a worker at most its share of max_in_flight: its stand-in's inbox
        # needs no bound of its own, so a send to it is a plain append)
        worker.set_bound("inbox", None)
        self.add_child(worker, label)
        self.link((self, f"to_{label}"), (worker, "inbox"))
        self.link((self, f"end_{label}"), (worker, "control"))
        self.link((worker, "outbox"), (self, "results"))
        self.link((worker, "signal"), (self, "worker_signals"))
        return worker

    # -- what it reports ----------------------------------------------------------------

    @property
    def workers(self) -> list[ChildProcess]:
        """The current worker stand-ins (replaced ones are gone)."""
        return [c for c in self.children if isinstance(c, ChildProcess)]

    def statistics(self) -> PoolStatistics:
        return PoolStatistics(len(self._labels), self._in_flight, self._dispatched,
                              self._results, self._resent, self._lost, self._duplicates,
                              self.restarts, tuple(self._given))

    # -- failures -----------------------------------------------------------------------------

    def child_failed(self, child: Component, exc: BaseException) -> bool:
        """Scheduler hook: a worker failed; handled (restarted) in our next timeslice."""
        self._failures.append((child, exc))
        if self.scheduler is not None:
            self.scheduler.wake(self)
        return True

    # -- the work -----------------------------------------------------------------------------

    def main(self) -> Generator[Any, Any, None]:
        labels = self._labels
        n = len(labels)
        slots: dict[str, int] = {label: i for i, label in enumerate(labels)}
        held: list[dict[int, Any]] = [{} for _ in range(n)]  # per worker: seq -> message
        owner: dict[int, int] = {}  # seq -> the worker holding it
        again: deque[tuple[int, Any]] = deque()  # to send again, before new input
        taken: deque[Any] = deque()  # taken from the inbox, not yet sent (no room)
        done: dict[int, Any] = {}  # ordered: results waiting for an earlier one
        skipped: set[int] = set()  # ordered: seqs reported lost
        next_out = 0  # ordered: the next seq to pass on
        next_seq = 0
        end: EndSignal | None = None
        ended_workers = False  # the end has been sent to the workers
        out = self.outboxes["outbox"]
        pushes = [self.outboxes[f"to_{label}"].push for label in labels]
        cap = self._cap
        giving_up: RestartsExhausted | None = None
        taking = True  # woken by inbox data (False while no message could be sent)
        try:
            while True:
                # 1. results (first: a failed worker's last results are in here)
                for seq, result in self.recv_all("results"):
                    w = owner.pop(seq, None)
                    if w is None:
                        self._duplicates += 1
                        continue
                    del held[w][seq]
                    self._results += 1
                    if self.ordered:
                        done[seq] = result
                    else:
                        out.push(result)
                        self._in_flight -= 1
                # 2. failed workers: restart them and see to what they held
                while self._failures and giving_up is None:
                    child, exc = self._failures.popleft()
                    giving_up = self._over_budget(child, exc)
                    if giving_up is not None:
                        break
                    failed = self._slot_of(child)
                    restart = labels if self.strategy is Strategy.ONE_FOR_ALL else [failed]
                    self.send(ChildFailed(failed, child.path, exc, self.restarts), "failures")
                    for label in restart:
                        i = slots[label]
                        old = self._worker(label)
                        if not old.done:
                            self.scheduler.stop(old)  # type: ignore[union-attr]
                        unsent = {seq for seq, _ in old.inboxes["inbox"].queue}
                        old.inboxes["inbox"].queue.clear()
                        resend: list[tuple[int, Any]] = []
                        for seq in sorted(held[i]):
                            msg = held[i][seq]
                            del owner[seq]
                            if seq in unsent or self.on_lost is OnLost.RESEND:
                                resend.append((seq, msg))
                                if seq not in unsent:
                                    self._resent += 1
                            else:
                                self._lost += 1
                                if self.ordered:
                                    skipped.add(seq)  # (counted out as it is passed)
                                else:
                                    self._in_flight -= 1
                                self.send(LostMessage(msg, old.path, exc), "lost")
                        held[i] = {}
                        self.remove_child(old)
                        self._add_worker(label)
                        if ended_workers and end is not None:
                            # the others have their end: its successor takes them all
                            for seq, msg in resend:
                                held[i][seq] = msg
                                owner[seq] = i
                                self.send((seq, msg), f"to_{label}")
                            self._dispatched += len(resend)
                            self.send(end, f"end_{label}")
                        else:
                            again.extend(resend)
                    again = deque(sorted(again, key=lambda p: p[0]))
                    pushes = [self.outboxes[f"to_{label}"].push for label in labels]
                if giving_up is not None:
                    break
                if self.ordered:  # (after the failures: a lost message lets later ones out)
                    while True:
                        if next_out in done:
                            out.push(done.pop(next_out))
                        elif next_out in skipped:
                            skipped.discard(next_out)
                        else:
                            break
                        next_out += 1
                        self._in_flight -= 1
                # 3. the end of the stream
                for msg in self.recv_all("control"):
                    if isinstance(msg, EndSignal) and end is None:
                        end = msg
                if isinstance(end, Shutdown):
                    self.recv_all("inbox")
                    taken.clear()
                    break
                # 4. send out: what must go again first, then new input, to the least loaded
                if again:
                    batch = list(again)
                    again.clear()
                    again.extend(self._place(batch, held, owner, pushes))
                if not again:
                    if not taken and self.data_ready("inbox"):
                        taken.extend(self.recv_all("inbox"))  # (one call, one wake-up)
                    free = sum(max(0, cap - len(h)) for h in held)
                    k = min(self.max_in_flight - self._in_flight, free, len(taken))
                    if k > 0:
                        if k == len(taken):
                            msgs = list(taken)
                            taken.clear()
                        else:
                            msgs = [taken.popleft() for _ in range(k)]
                        batch = list(zip(range(next_seq, next_seq + k), msgs))
                        next_seq += k
                        self._in_flight += k
                        self._place(batch, held, owner, pushes)
                # 5. the end, once every message is out to a worker: to the workers (each
                # answers what it holds first), then on once they have finished
                if (end is not None and not ended_workers and not again and not taken
                        and not self.data_ready("inbox")):
                    ended_workers = True
                    for label in labels:
                        self.send(end, f"end_{label}")
                self.recv_all("worker_signals")
                if ended_workers and self.children_done() and not self._failures:
                    break
                # sleep on inbox data only while a message could be sent (no busy waiting)
                can_take = (not again and not taken and self._in_flight < self.max_in_flight
                            and any(len(h) < cap for h in held))
                if can_take != taking:
                    taking = can_take
                    boxes = ("inbox", "control", "results", "worker_signals")
                    self.wake_on(*(boxes if taking else boxes[1:]))
                self.pause()
                yield
        finally:
            for worker in self.workers:  # close every pipe first: they stop in parallel
                if not worker.done:
                    worker.begin_stop()
        sched = self.scheduler
        if giving_up is not None or isinstance(end, Shutdown):
            for worker in self.workers:
                if not worker.done and sched is not None:
                    sched.stop(worker)
        if giving_up is not None:
            self._give_back(again, taken, end)
            raise giving_up
        self.send(end if end is not None else ProducerFinished("pool finished"), "signal")

    def _give_back(self, again: deque[tuple[int, Any]], taken: deque[Any],
                   end: EndSignal | None) -> None:
        """Giving up: what no worker's process has seen goes back into our inbox, in
        order, with our end of stream, so that a Supervisor's replacement is handed it;
        the inbox takes everything from now on, so no sender waits on us for ever."""
        unsent = list(again)
        for w in self.workers:
            q = w.inboxes["inbox"].queue  # (stopped before sending these on)
            unsent.extend(q)
            q.clear()
        back = [msg for _, msg in sorted(unsent, key=lambda p: p[0])] + list(taken)
        ib = self.inboxes["inbox"]
        ib.own_queue().extendleft(reversed(back))
        self.end_message = end
        ib.set_bound(None)
        if ib.blocked and self.scheduler is not None:
            self.scheduler.unblock(ib)

    def _place(self, batch: list[tuple[int, Any]], held: list[dict[int, Any]],
               owner: dict[int, int], pushes: list[Any]) -> list[tuple[int, Any]]:
        """Send ``batch`` to the least loaded workers, none above its share; returns
        what did not fit."""
        placed = _level([len(h) for h in held], len(batch), self._cap)
        k = 0
        for i, count in enumerate(placed):
            if not count:
                continue
            push, h = pushes[i], held[i]
            for seq, msg in batch[k:k + count]:
                h[seq] = msg
                owner[seq] = i
                push((seq, msg))
            k += count
            self._given[i] += count
        self._dispatched += k
        return batch[k:]

    def _worker(self, label: str) -> ChildProcess:
        for c in self.children:
            if c.label == label:
                return c  # type: ignore[return-value]
        raise KeyError(label)

    def _slot_of(self, child: Component) -> str:
        top = child
        while top.parent is not self:
            assert top.parent is not None
            top = top.parent
        return str(top.label)

    def _over_budget(self, child: Component, exc: BaseException) -> RestartsExhausted | None:
        now = time.monotonic()
        times = self._failure_times
        times.append(now)
        while times and now - times[0] > self.within:
            times.popleft()
        if len(times) > self.max_restarts:
            label = self._slot_of(child)
            self.send(ChildFailed(label, child.path, exc, 0), "failures")
            err = RestartsExhausted(
                f"worker {label!r} ({child.path}) failed: {type(exc).__name__}: {exc}; more "
                f"than {self.max_restarts} restarts within {self.within} s, giving up")
            err.__cause__ = exc
            return err
        self.restarts += 1
        return None


def _level(loads: list[int], k: int, cap: int) -> list[int]:
    """How many of ``k`` messages to give each worker so the loads end as level as they
    can, none above ``cap``."""
    give = [0] * len(loads)
    order = sorted(range(len(loads)), key=loads.__getitem__)
    left = k
    while left > 0:
        # raise the least loaded to the next level (or to the cap)
        lowest = min(loads[i] + give[i] for i in order)
        if lowest >= cap:
            break
        at_lowest = [i for i in order if loads[i] + give[i] == lowest]
        higher = [loads[i] + give[i] for i in order if loads[i] + give[i] > lowest]
        target = min(higher + [cap]) if higher else cap
        step = target - lowest
        need = step * len(at_lowest)
        if need <= left:
            for i in at_lowest:
                give[i] += step
            left -= need
        else:
            each, extra = divmod(left, len(at_lowest))
            for j, i in enumerate(at_lowest):
                give[i] += each + (1 if j < extra else 0)
            left = 0
    return give


def _worker_name(factory: Factory) -> str:
    if isinstance(factory, type):
        return factory.__name__
    inner = getattr(factory, "func", None)
    if isinstance(inner, type):
        return inner.__name__
    return getattr(factory, "__name__", "Worker")
