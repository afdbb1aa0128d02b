"""Backplanes across processes and machines: a NATS transport for ``axon.Backplane``.

``Backplane("news", transport=NatsTransport(url))`` in every process makes one backplane
of them all: ``PublishTo("news")`` and ``SubscribeTo("news")`` are used exactly as in one
process.  What is published in a process reaches its own subscribers straight through
in-process links (no network round trip) and, batched per turn, the other processes
through the subject ``<prefix>.news.<origin>``; each process subscribes to
``<prefix>.news.*`` and leaves out its own origin.  Delivery between processes is core
NATS's: at most once, drops counted (``dropped`` in the bridge's ``statistics()``), order
kept per publishing process.  A backplane's end stays in its process.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator
from typing import Any

from axon import Backplane, BoxSpec, Codec, EndSignal, Shutdown

from ..errors import OnError
from ._connection import NatsSpec
from ._core import _unsubscribe_soon
from ._eager import start_eagerly
from ._link import NatsLink, check_subject

__all__ = ["NatsBridge", "NatsTransport"]


class NatsTransport:
    """Carries backplanes over NATS (give it to ``Backplane(name, transport=...)``).

    ``nats``: the server(s) (a URL, URLs or ``NatsOptions``); ``prefix``: the subjects'
    first tokens; ``codec``: how messages travel (msgpack by default; ``"pickle"`` only
    between trusted processes); ``max_pending``: messages from other processes waiting
    for the subscribers here before more are dropped (counted).
    """

    def __init__(self, nats: NatsSpec = None, *, prefix: str = "axon.bp",
                 codec: str | Codec | None = None, max_pending: int = 65_536) -> None:
        check_subject(prefix)
        self.nats = nats
        self.prefix = prefix
        self.codec = codec
        self.max_pending = max_pending

    def bridge(self, backplane: Backplane) -> NatsBridge:
        return NatsBridge(backplane, self)


class NatsBridge(NatsLink):
    """A backplane's link to the other processes (made by :class:`NatsTransport`)."""

    Inboxes = {
        "inbox": BoxSpec("messages published here, to send to the other processes", 10_000),
        "control": "the backplane's end: send what is queued, then end",
        "nats": "(fed by the connection) what the other processes published",
    }
    Outboxes = {
        "outbox": "what the other processes published, to the subscribers here",
        "signal": "the end",
        "error": "BadInput records: messages that cannot be encoded or decoded",
    }

    def __init__(self, backplane: Backplane, transport: NatsTransport, *,
                 on_error: OnError | str = OnError.SEND) -> None:
        name = backplane.backplane_name
        self.origin = uuid.uuid4().hex[:16]
        subject = f"{transport.prefix}.{name}.{self.origin}"
        super().__init__(subject, nats=transport.nats, codec=transport.codec,
                         on_error=on_error, name=f"NatsBridge({name})")
        self.everyone = check_subject(f"{transport.prefix}.{name}.*", wildcards=True)
        self.backplane = backplane
        self.max_pending = transport.max_pending
        self.sent = 0
        self.received = 0
        self.unheard = 0  # from other processes while nobody here subscribed
        self.dropped = 0  # from other processes, beyond max_pending

    def main(self) -> Generator[Any, Any, None]:
        client = yield from self._open()
        remote = self.inboxes["nats"].queue
        out = self.outboxes["outbox"]
        limit = self.max_pending
        own = self.subject
        wake = self.scheduler.wake  # type: ignore[union-attr]
        me = self

        async def on_message(msg: Any) -> None:
            if msg.subject == own:
                return  # (our own: the subscribers here had it already)
            backlog = len(remote)
            for target in out.targets:
                backlog += len(target.queue)
            if backlog < limit:
                remote.append(msg)
            else:
                me.dropped += 1
            wake(me)

        sub = yield client.subscribe(self.everyone, cb=on_message, pending_msgs_limit=limit)
        yield from self._confirm(client)
        inbox = self.inboxes["inbox"]
        end: EndSignal | None = None
        try:
            with self.keep_alive():
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    if remote:
                        self._deliver(self.recv_all("nats"), out)
                    if inbox.queue:
                        batch = self.recv_all()
                        payloads = self.encode(batch, own, client.max_payload)
                        self.sent += len(batch)
                        waiting = start_eagerly(self.publish_all(
                            client, [(own, p, "", None) for p in payloads]))
                        if waiting is not None:
                            yield waiting
                    if end is not None and not inbox.queue:
                        try:
                            yield client.flush(5)
                        except Exception as exc:  # noqa: BLE001 - reported; the end goes on
                            self.reject(f"flushing {own!r}: {type(exc).__name__}: {exc}")
                        break
                    self.pause()
                    yield
        finally:
            _unsubscribe_soon(sub)
            self._release()
        self.send(end, "signal")

    def _deliver(self, msgs: list[Any], out: Any) -> None:
        push = out.push
        listening = bool(self.backplane.subscribers)
        for msg in msgs:
            items = self.decode(msg.data, msg.subject)
            if not items:
                continue
            if not listening:
                self.unheard += len(items)
                self.backplane.unheard += len(items)
                continue
            for item in items:
                if isinstance(item, EndSignal):  # (a backplane's end stays in its process)
                    continue
                self.received += 1
                push(item)

    def statistics(self) -> dict[str, Any]:
        stats = super().statistics()
        stats.update(origin=self.origin, sent=self.sent, received=self.received,
                     unheard=self.unheard, dropped=self.dropped)
        return stats

