"""Routing: copy to many outboxes, route by predicate or key, merge several inboxes.

(One outbox may also be linked to several inboxes directly; ``FanOut`` is for naming the
branches, e.g. in a Graphline.)
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping
from typing import Any

from axon import EndSignal, Outbox, ProducerFinished, Shutdown

from ._stage import Stage
from .errors import OnError

__all__ = ["FanOut", "KeyRouter", "Merge", "Router"]

_ERROR = "BadInput records (unroutable messages, stray control) when on_error='send'"


class _Routing(Stage):
    """Adds per-instance outboxes (and ``signal`` to each branch via ``signal``)."""

    Inboxes = {"inbox": "messages to route", "control": "ProducerFinished or Shutdown"}
    Outboxes = {"signal": "the end of stream, passed on", "error": _ERROR}

    def _add_routes(self, names: Iterable[str], what: str) -> list[str]:
        names = list(names)
        if not names:
            raise ValueError(f"{type(self).__name__} needs at least one outbox name")
        for name in names:
            if name not in self.outboxes:
                self.add_outbox(name, what)
        return names


class FanOut(_Routing):
    """Sends every message to each of the named ``outboxes`` (the same object to each).

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> out = run_component(FanOut(["log", "store"]), inbox=[1, 2], control=[ProducerFinished()])
    >>> out["log"], out["store"]
    ([1, 2], [1, 2])
    """

    def __init__(self, outboxes: Iterable[str], *, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.routes = self._add_routes(outboxes, "a copy of every message")

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        for route in self.routes:
            self.send_many(batch, route)



class Router(_Routing):
    """Sends each message to the outbox of the first ``routes`` predicate it satisfies.

    ``routes`` maps outbox name -> predicate, tried in order.  A message no predicate
    accepts goes to ``default`` (an outbox name), or, with ``default=None``, is bad input.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> out = run_component(Router({"small": lambda n: n < 10, "big": lambda n: n >= 10}),
    ...                     inbox=[3, 30, 4], control=[ProducerFinished()])
    >>> out["small"], out["big"]
    ([3, 4], [30])
    """

    def __init__(self, routes: Mapping[str, Callable[[Any], Any]], *,
                 default: str | None = None, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.routes = dict(routes)
        names = self._add_routes(self.routes, "messages this route's predicate accepts")
        if default is not None and default not in names:
            self._add_routes([default], "messages no predicate accepted")
        self.default = default

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        boxes = self.outboxes
        routes = list(self.routes.items())
        for msg in batch:
            for name, pred in routes:
                if pred(msg):
                    boxes[name].push(msg)
                    break
            else:
                if self.default is None:
                    self.reject("no route accepts this message (and no default)", msg)
                else:
                    boxes[self.default].push(msg)


class KeyRouter(_Routing):
    """Sends each message to the outbox named ``key(msg)``.

    A key that names none of ``outboxes`` goes to ``default``, or with ``default=None`` is
    bad input.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> out = run_component(KeyRouter(lambda m: m["kind"], ["order", "refund"]),
    ...                     inbox=[{"kind": "order"}, {"kind": "refund"}, {"kind": "order"}],
    ...                     control=[ProducerFinished()])
    >>> len(out["order"]), len(out["refund"])
    (2, 1)
    """

    def __init__(self, key: Callable[[Any], str], outboxes: Iterable[str], *,
                 default: str | None = None, on_error: OnError | str = OnError.RAISE,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.key = key
        self.names = set(self._add_routes(outboxes, "messages whose key is this name"))
        if default is not None and default not in self.names:
            self._add_routes([default], "messages whose key names no outbox")
        self.default = default

    def process(self, batch: list[Any], out: Outbox[Any]) -> None:
        boxes = self.outboxes
        key = self.key
        names = self.names
        for msg in batch:
            k = key(msg)
            if k in names:
                boxes[k].push(msg)
            elif self.default is not None:
                boxes[self.default].push(msg)
            else:
                self.reject(f"key {k!r} names no outbox (outboxes: {sorted(names)})", msg)


class Merge(Stage):
    """Sends whatever reaches any of its ``inboxes`` to ``outbox`` (order kept per inbox).

    Several producers' ``signal`` boxes may all be linked to ``control``: the merge ends
    after ``ends`` ``ProducerFinished`` messages (default: one per inbox) once every inbox
    is drained, and at once on ``Shutdown``.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> merge = Merge(["left", "right"])  # link producers to its "left" and "right" inboxes
    >>> out = run_component(merge, left=["l1", "l2"], right=["r1"],
    ...                     control=[ProducerFinished(), ProducerFinished()])  # one each
    >>> sorted(out["outbox"])
    ['l1', 'l2', 'r1']
    """

    Inboxes = {"control": "ProducerFinished (one per producer) or Shutdown"}
    Outboxes = {
        "outbox": "every message from every inbox",
        "signal": "ProducerFinished once every producer has finished (or Shutdown)",
        "error": "BadInput records (stray control messages) when on_error='send'",
    }

    def __init__(self, inboxes: Iterable[str], *, ends: int | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name)
        self.names = list(inboxes)
        if not self.names:
            raise ValueError("Merge needs at least one inbox name")
        for n in self.names:
            self.add_inbox(n, "messages to merge")
        self.ends = len(self.names) if ends is None else ends

    def main(self) -> Generator[Any, Any, None]:
        seen = 0
        end: EndSignal | None = None
        recv_all = self.recv_all
        while True:
            for msg in recv_all("control"):
                if isinstance(msg, Shutdown):
                    end = msg
                    break
                if isinstance(msg, ProducerFinished):
                    seen += 1
                else:
                    self.reject(f"unexpected control message {msg!r}", msg)
            if end is not None:
                break
            for name in self.names:
                self.send_many(recv_all(name))
            if seen >= self.ends:
                end = ProducerFinished()
                break
            self.pause()
            yield
        self.send(end, "signal")
