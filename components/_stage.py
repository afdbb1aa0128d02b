"""The shared shape of the library's one-message-in, some-messages-out components.

``Stage.main`` is the fast idiom (``yield RECEIVE`` for a whole batch, ``out.push`` per
result) with the end-of-stream rules written once:

- ``ProducerFinished``: every message that arrived before it is processed, ``flush()``
  emits whatever the stage still holds (a partial batch, a trailing line), and then the
  ``ProducerFinished`` is passed on.
- ``Shutdown``: checked between batches; the stage stops without flushing and passes
  ``Shutdown`` on.
- Bad input goes through :meth:`Stage.reject`, which follows the stage's ``on_error``.
- A source (no input: ``IterableSource``, ``FileReader``, ``Periodic`` with a count) has
  nothing to drain at ``ProducerFinished``, so it finishes what it was asked to produce;
  only ``Shutdown`` stops it early.  A source whose work has no end of its own
  (``ConsoleReader``, ``Periodic`` without a count) ends at ``ProducerFinished``.
"""

from __future__ import annotations

from collections.abc import Generator
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

    def take_control(self, current: EndSignal | None = None) -> EndSignal | None:
        """Drain ``control``: returns the pending end of stream (``Shutdown`` wins).

        Other control messages are rejected as bad input (a stray message must not sit in
        ``control``, where it would keep waking the component).  Unlike
        ``Component.finished()`` this leaves ``pause()`` working while the end is pending,
        which components that also wait on timers or I/O need.
        """
        for msg in self.recv_all("control"):
            if isinstance(msg, EndSignal):
                if not isinstance(current, Shutdown):
                    current = msg if current is None or isinstance(msg, Shutdown) else current
            else:
                self.reject(f"unexpected control message {msg!r}", msg)
        return current

    def refuse_input(self, box: str = "inbox") -> None:
        """Reject whatever reached an inbox this component does not read (a source's
        ``inbox``, there so that it can head a Pipeline): nothing may sit there unread."""
        for msg in self.recv_all(box):
            self.reject(f"{self.name} takes no input on {box!r}; got {type(msg).__name__}", msg)

    def main(self) -> Generator[Any, Any, None]:
        out: Outbox[Any] = self.outboxes.get("outbox")  # type: ignore[assignment] # routers: None
        control = self.inboxes["control"].queue
        process = self.process
        while (batch := (yield RECEIVE)) is not None:
            process(batch, out)
            if control:
                self.end_message = self.take_control(self.end_message)
                if isinstance(self.end_message, Shutdown):
                    break
        if isinstance(self.end_message, ProducerFinished):
            self.flush(out)
        self.send(self.end_message, "signal")
