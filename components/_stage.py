"""The shared shape of the library's one-message-in, some-messages-out components.

``Stage.main`` is the fast idiom (``yield RECEIVE`` for a whole batch, ``out.push`` per
result) with the end-of-stream rules written once:

- ``ProducerFinished``: every message that arrived before it is processed, ``flush()``
  emits whatever the stage still holds (a partial batch, a trailing line), and then the
  ``ProducerFinished`` is passed on.
- ``Shutdown``: checked between batches; the stage stops without flushing and passes
  ``Shutdown`` on.
- Long batches are cut to a time slice (the scheduler's ``io_slice``): a stage times its
  batches, and once one runs over it puts the rest back in its inbox (``put_back``) and
  sets a ``receive_limit`` of what fits in a slice, so ``Shutdown``, timers and sockets
  wait for one slice, not for a backlog.  The limit follows the measured speed, and goes
  once a slice would hold thousands of messages.
- Bad input goes through :meth:`Stage.reject`, which follows the stage's ``on_error``.
- A source (no input: ``IterableSource``, ``FileReader``, ``Periodic`` with a count) has
  nothing to drain at ``ProducerFinished``, so it finishes what it was asked to produce;
  only ``Shutdown`` stops it early.  A source whose work has no end of its own
  (``ConsoleReader``, ``Periodic`` without a count) ends at ``ProducerFinished``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import Any

from axon import RECEIVE, Component, EndSignal, Outbox, ProducerFinished, Shutdown

from .errors import BadInput, BadInputError, OnError

__all__ = ["Stage"]


class Stage(Component):
    """Base of per-message components: override ``process`` (and ``flush`` if it buffers)."""

    on_error = OnError.RAISE

    def __init__(self, *, on_error: OnError | str = OnError.RAISE, name: str | None = None):
        super().__init__(name=name)
        self.on_error = OnError(on_error)

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        """Handle every message of ``batch``, pushing results with ``out.push(result)``."""
        raise NotImplementedError

    def flush(self, out: Outbox[Any]) -> None:
        """Emit whatever is still held at a ``ProducerFinished`` (default: nothing)."""

    def reject(self, problem: str, data: Any = None) -> None:
        """Report bad input by the ``on_error`` policy (raise, or send on ``error``)."""
        record = BadInput(self.path, problem, data)
        if self.on_error is OnError.RAISE:
            raise BadInputError(record)
        self.send(record, "error")

    def take_control(self, end: EndSignal | None = None,
                     other: Callable[[Any], None] | None = None) -> EndSignal | None:
        """``Component.take_control``, with other control messages rejected as bad input
        (by the ``on_error`` policy) unless ``other`` is given."""
        return super().take_control(end, other if other is not None else self._stray_control)

    def _stray_control(self, msg: Any) -> None:
        self.reject(f"unexpected control message {msg!r}", msg)

    def refuse_input(self, box: str = "inbox") -> None:
        """Reject whatever reached an inbox this component does not read (a source's
        ``inbox``, there so that it can head a Pipeline): nothing may sit there unread."""
        for msg in self.recv_all(box):
            self.reject(f"{self.name} takes no input on {box!r}; got {type(msg).__name__}", msg)

    def main(self) -> Generator[Any, Any, None]:
        out: Outbox[Any] = self.outboxes.get("outbox")  # type: ignore[assignment] # routers: None
        control = self.inboxes["control"].queue
        process = self.process
        slicer = _Slicer(self)
        while (batch := (yield RECEIVE)) is not None:
            if len(batch) == 1 and slicer.limit is None:  # (nothing to cut or time)
                process(batch, out)
            else:
                slicer.process(batch, out)
            if control:
                self.end_message = self.take_control(self.end_message)
                if isinstance(self.end_message, Shutdown):
                    break
        if isinstance(self.end_message, ProducerFinished):
            self.flush(out)
        self.send(self.end_message, "signal")


class _Slicer:
    """Processes a stage's batches in pieces that fit a time slice (see the module doc)."""

    LIFT = 4096  # a receive_limit this large is lifted: batches are quick enough

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        sched = stage.scheduler
        self.budget = sched.io_slice if sched is not None else 0.001
        self.piece = 16  # messages per piece: what fits in the budget, once measured
        self.limit: int | None = None  # the receive_limit it set (it lifts only its own)
        self.clock = time.perf_counter

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        stage, process, clock, budget = self.stage, self.stage.process, self.clock, self.budget
        n = len(batch)
        start = mark = clock()
        i = 0
        while True:
            j = min(n, i + self.piece)
            try:
                process(batch if i == 0 and j == n else batch[i:j], out)
            except BaseException:
                if j < n:  # not processed: for whoever takes over (a replacement)
                    stage.put_back(batch[j:])
                raise
            now = clock()
            self.piece = max(1, min(1 << 16, int(budget * (j - i) / max(now - mark, 1e-9))))
            i, mark = j, now
            if i == n:
                break
            if now - start >= budget:  # over the slice: the rest waits for the next turn
                stage.put_back(batch[i:])
                break
        if now - start >= budget:  # the next batches: what fits in a slice
            self._limit(self.piece)
        elif self.limit is not None and self.piece > 2 * self.limit:  # quicker now: more
            self._limit(None if self.piece > self.LIFT else self.piece)

    def _limit(self, n: int | None) -> None:
        stage = self.stage
        if stage.receive_limit != self.limit:  # someone else's (a supervisor's): keep it
            return
        self.limit = stage.receive_limit = n
