"""Per-message transforms: map, filter, batch and unbatch."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any

from axon import Outbox

from ._stage import Stage
from .errors import OnError
from .timing import Alarm, Clock, Timed

__all__ = ["Batch", "Filter", "Map", "Unbatch"]


class Map(Stage):
    """Sends ``fn(msg)`` for every message.

    An exception from ``fn`` follows ``on_error``: it propagates unchanged (the default),
    or is reported on ``error`` as a ``BadInput`` (the message is skipped, the stream goes
    on).

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(Map(lambda n: n * 10), inbox=[1, 2], control=[ProducerFinished()])["outbox"]
    [10, 20]
    """

    Inboxes = {"inbox": "messages to transform", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "fn(message) for each message",
        "signal": "the end of stream, passed on",
        "error": "BadInput records for messages fn raised on (on_error='send')",
    }

    def __init__(self, fn: Callable[[Any], Any], *, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.fn = fn

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        fn = self.fn
        if self.on_error is OnError.RAISE:
            for msg in batch:
                out.push(fn(msg))
            return
        for msg in batch:
            try:
                result = fn(msg)
            except Exception as exc:  # noqa: BLE001 - the user's function: bad input by on_error
                self.reject(f"{_fn_name(fn)} raised {type(exc).__name__}: {exc}", msg)
            else:
                out.push(result)


class Filter(Stage):
    """Passes on the messages for which ``predicate(msg)`` is true.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(Filter(lambda n: n % 2), inbox=range(10),
    ...               control=[ProducerFinished()])["outbox"]
    [1, 3, 5, 7, 9]
    """

    Inboxes = {"inbox": "messages to filter", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "the messages predicate accepted",
        "signal": "the end of stream, passed on",
        "error": "BadInput records for messages predicate raised on (on_error='send')",
    }

    def __init__(self, predicate: Callable[[Any], Any], *,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.predicate = predicate

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        pred = self.predicate
        for msg in batch:
            try:
                keep = pred(msg)
            except Exception as exc:
                if self.on_error is OnError.RAISE:
                    raise
                self.reject(f"{_fn_name(pred)} raised {type(exc).__name__}: {exc}", msg)
            else:
                if keep:
                    out.push(msg)


class Batch(Timed):
    """Groups messages into lists of ``size``, or of whatever arrived within ``interval``.

    With both, a batch goes when it is full or when ``interval`` seconds have passed since
    its first message, whichever is first.  At ``ProducerFinished`` a partial batch is sent
    before the end is passed on.  Timers never busy-wait (see ``components.timing``).

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(Batch(size=2), inbox=range(5), control=[ProducerFinished()])["outbox"]
    [[0, 1], [2, 3], [4]]
    """

    Inboxes = {"inbox": "messages to group", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "lists of messages, oldest first",
        "signal": "the end of stream, after the last (partial) batch",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    _held_items: list[Any]  # the batch being filled; set by main()

    def __init__(self, size: int | None = None, *, interval: float | None = None,
                 clock: Clock | None = None, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(clock=clock, on_error=on_error, name=name)
        if size is None and interval is None:
            raise ValueError("Batch needs a size, an interval, or both")
        if size is not None and size < 1:
            raise ValueError(f"Batch: size must be >= 1, not {size}")
        if interval is not None and interval <= 0:
            raise ValueError(f"Batch: interval must be > 0, not {interval}")
        self.size = size
        self.interval = interval

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:  # by count only
        held = self._held_items
        held.extend(batch)
        size = self.size
        assert size is not None
        cut = len(held) - len(held) % size  # whole batches, cut once (not a shift per batch)
        for i in range(0, cut, size):
            out.push(held[i:i + size])
        del held[:cut]

    def flush(self, out: Outbox[Any]) -> None:
        if self._held_items:
            out.push(self._held_items)
            self._held_items = []

    def start(self) -> None:
        self._held_items = []

    def main(self) -> Generator[Any, Any, None]:
        if self.interval is not None:
            yield from super().main()  # Timed's loop, with step() below
            return
        self.start()
        yield from Stage.main(self)  # by count only: process() per batch

    def step(self, alarm: Alarm, now: float, end: Any) -> bool:
        out = self.outboxes["outbox"]
        if alarm.deadline is not None and now >= alarm.deadline:
            alarm.cancel()
            self.flush(out)
        size, interval = self.size, self.interval
        assert interval is not None
        for msg in self.recv_all():
            held = self._held_items
            if not held:
                alarm.set_at(now + interval)
            held.append(msg)
            if size is not None and len(held) >= size:
                out.push(held)
                self._held_items = []
                alarm.cancel()
        if end is not None:
            self.flush(out)
            return True
        return False


class Unbatch(Stage):
    """Sends each item of each iterable message separately (the inverse of ``Batch``).

    A message that is not iterable (or is ``str``/``bytes``, which are not split) is bad input.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> run_component(Unbatch(), inbox=[[1, 2], [3]], control=[ProducerFinished()])["outbox"]
    [1, 2, 3]
    """

    Inboxes = {"inbox": "iterables (lists, tuples...)", "control": "ProducerFinished or Shutdown"}
    Outboxes = {
        "outbox": "their items, one message each",
        "signal": "the end of stream, passed on",
        "error": "BadInput records for messages that are not iterable (on_error='send')",
    }

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        push = out.push
        for msg in batch:
            if isinstance(msg, (str, bytes, bytearray)) or not isinstance(msg, Iterable):
                self.reject(f"expected an iterable of items, got {type(msg).__name__}", msg)
                continue
            for item in msg:
                push(item)


def _fn_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)
