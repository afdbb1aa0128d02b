"""Core NATS links: publish an inbox to a subject, subscribe a subject into an outbox.

Delivery is core NATS's: **at most once**.  The server forwards what it receives to the
subscribers that are connected at that moment and keeps nothing; a subscriber that
cannot keep up loses messages.  Here every such loss is counted and reported, never
silent: a :class:`NatsSubscriber` holds at most ``max_pending`` messages (received and
not yet taken by the component it feeds), drops what arrives beyond that, counts it in
its ``nats`` inbox's ``dropped`` (so ``snapshot()`` shows it) and sends a
:class:`SlowConsumer` record on ``events``.  (Use the JetStream links for at-least-once.)

Batches: a :class:`NatsPublisher` sends what its inbox held at one turn as one NATS
message (up to ``max_batch`` messages, within the server's payload limit), so a busy
link carries many messages per NATS message and an idle one sends each at once.
``batch=False`` sends one message per NATS message (for queue groups that should share
out single messages, or for peers that are not Axon).

Backpressure: publishing waits when nats-py's outgoing buffer is full (the socket is
slow, or the server is away and the reconnect buffer is full), and the publisher's inbox
is bounded, so its producer waits too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

from axon import (
    RECEIVE,
    BoxSpec,
    Codec,
    EndSignal,
    Outbox,
    ProducerFinished,
    Shutdown,
)

from ..errors import OnError
from ._connection import NatsSpec
from ._eager import start_eagerly
from ._link import NatsLink, NatsMessage

__all__ = ["NatsPublisher", "NatsSubscriber", "SlowConsumer"]

#: Messages a publisher's inbox holds before its producer waits.
PUBLISH_BACKLOG = 10_000


@dataclass(frozen=True, slots=True)
class SlowConsumer:
    """A subscriber dropped messages: ``dropped`` since the last report, ``total`` so far."""

    component: str
    subject: str
    dropped: int
    total: int


class NatsPublisher(NatsLink):
    """Publishes the messages of ``inbox`` to ``subject`` (core NATS: at most once).

    With ``send_end=True`` its ``ProducerFinished`` is published too (after every message
    before it), ending the subscribers that take ends from the subject.  At the end of
    its stream it flushes: everything published has reached the server before it passes
    ``ProducerFinished`` on.

    >>> from axon import Pipeline, run
    >>> from components import IterableSource
    >>> from components.nats import NatsServer
    >>> with NatsServer() as server:  # (a real nats-server, on a free loopback port)
    ...     publisher = NatsPublisher("numbers", nats=server.url)
    ...     _ = run(Pipeline(IterableSource(range(10)), publisher), timeout=10)
    >>> publisher.statistics()["published"]
    10
    """

    Inboxes = {
        "inbox": BoxSpec("messages to publish", PUBLISH_BACKLOG),
        "control": "ProducerFinished: publish what is queued, flush, end; Shutdown: end now",
    }
    Outboxes = {
        "outbox": "(unused) kept so a publisher can end a Pipeline",
        "signal": "the end, once everything is published and flushed",
        "error": "BadInput records: messages the codec cannot encode (on_error='send')",
    }

    def __init__(self, subject: str, *, nats: NatsSpec = None, codec: str | Codec | None = None,
                 batch: bool = True, max_batch: int | None = None, send_end: bool = False,
                 flush_timeout: int = 10, on_error: OnError | str = OnError.SEND,
                 name: str | None = None) -> None:
        super().__init__(subject, nats=nats, codec=codec, on_error=on_error, name=name)
        self.max_batch = 1 if not batch else (max_batch or type(self).max_batch)
        self.send_end = send_end
        self.flush_timeout = flush_timeout
        self.published = 0  # messages
        self.payloads = 0  # NATS messages

    def main(self) -> Generator[Any, Any, None]:
        client = yield from self._open()
        subject = self.subject
        control = self.inboxes["control"].queue
        try:
            while (batch := (yield RECEIVE)) is not None:
                payloads = self.encode(batch, subject, client.max_payload)
                if payloads:
                    self.published += len(batch)
                    waiting = start_eagerly(self._publish(client, subject, payloads))
                    if waiting is not None:
                        yield waiting  # the outgoing buffer is full: that is backpressure
                if control:
                    self.end_message = self.take_control(self.end_message)
                    if isinstance(self.end_message, Shutdown):
                        break
            end = self.end_message
            if isinstance(end, ProducerFinished):
                if self.send_end:
                    yield from self._publish_now(client, subject, self.codec.encode_batch([end]))
                yield from self._flush(client)
        finally:
            self._release()
        self.send(end, "signal")

    async def _publish(self, client: Any, subject: str, payloads: list[bytes]) -> None:
        from nats.errors import OutboundBufferLimitError

        publish = client.publish
        for payload in payloads:
            while True:
                try:
                    await publish(subject, payload)
                    break
                except OutboundBufferLimitError:  # away, and the reconnect buffer is full
                    await self.connection.wait_connected()  # type: ignore[union-attr]
            self.payloads += 1

    def _publish_now(self, client: Any, subject: str,
                     payload: bytes) -> Generator[Any, Any, None]:
        waiting = start_eagerly(self._publish(client, subject, [payload]))
        if waiting is not None:
            yield waiting

    def _flush(self, client: Any) -> Generator[Any, Any, None]:
        try:
            yield client.flush(self.flush_timeout)
        except Exception as exc:  # noqa: BLE001 - reported: the end still passes on
            self.reject(f"flushing subject {self.subject!r} failed: {type(exc).__name__}: "
                        f"{exc}")

    def statistics(self) -> dict[str, Any]:
        stats = super().statistics()
        stats.update(published=self.published, nats_messages=self.payloads)
        return stats


class NatsSubscriber(NatsLink):
    """Sends on ``outbox`` every message published to ``subject`` (wildcards allowed).

    ``queue="name"`` joins a queue group: each message goes to one member of the group,
    so copies on any number of machines share the work.  ``envelope=True`` sends
    :class:`NatsMessage` records (subject, data) instead of bare messages.  An end of
    stream published on the subject (a publisher's ``send_end``) ends the subscriber once
    what came before it is passed on (unless ``end_on_message=False``: then it is
    counted and ignored, which is what a long-lived worker in a queue group wants).

    At ``ProducerFinished`` on ``control`` it unsubscribes, passes on what had arrived,
    and ends; at ``Shutdown`` it ends at once.  Delivery is at most once: see the module
    docstring for how drops are bounded, counted and reported.

    >>> from axon import ProducerFinished
    >>> from axon.testing import run_component
    >>> from components.nats import NatsServer
    >>> with NatsServer() as server:
    ...     sub = NatsSubscriber("sensors.*.temperature", nats=server.url)
    ...     run_component(sub, control=[ProducerFinished()], timeout=10)["signal"]
    [ProducerFinished(reason='')]
    >>> sub.statistics()["connection"], sub.statistics()["dropped"]
    ('closed', 0)
    """

    Inboxes = {
        "inbox": "(unused: a source)",
        "control": "ProducerFinished: unsubscribe and end after what arrived; Shutdown: now",
        "nats": "(fed by the connection) NATS messages received, at most max_pending",
    }
    Outboxes = {
        "outbox": "the messages received (or NatsMessage records with envelope=True)",
        "signal": "the end of stream",
        "error": "BadInput records: payloads the codec cannot decode (on_error='send')",
        "events": "SlowConsumer records: messages dropped because the consumer fell behind",
    }

    def __init__(self, subject: str, *, queue: str | None = None, nats: NatsSpec = None,
                 codec: str | Codec | None = None, max_pending: int = 65_536,
                 envelope: bool = False, end_on_message: bool = True,
                 on_error: OnError | str = OnError.SEND, name: str | None = None) -> None:
        super().__init__(subject, nats=nats, codec=codec, wildcards=True, on_error=on_error,
                         name=name)
        if queue is not None and not queue.strip():
            raise ValueError("a queue group name is a non-empty string")
        self.queue = queue
        if max_pending < 1:
            raise ValueError("max_pending is at least 1")
        self.max_pending = max_pending
        self.envelope = envelope
        self.end_on_message = end_on_message
        self.received = 0  # messages passed on
        self.payloads = 0  # NATS messages received
        self.ends_ignored = 0
        self.client_dropped = 0  # dropped by nats-py itself (its pending limits)
        self._reported = 0

    @property
    def dropped(self) -> int:
        """Messages lost because this consumer fell behind (ours and nats-py's)."""
        return self.inboxes["nats"].dropped + self.client_dropped

    def _on_message(self) -> Callable[[Any], Coroutine[Any, Any, None]]:
        """The nats-py callback: keep the message if the backlog allows, and wake us."""
        box = self.inboxes["nats"]
        q = box.queue
        out = self.outboxes["outbox"]
        limit = self.max_pending
        wake = self.scheduler.wake  # type: ignore[union-attr]
        me = self

        async def on_message(msg: Any) -> None:
            backlog = len(q)
            for target in out.targets:  # (what the component it feeds has not taken yet)
                backlog += len(target.queue)
            if backlog < limit:
                q.append(msg)
            else:
                box.dropped += 1
            wake(me)

        return on_message

    def _count_client_drop(self) -> None:
        self.client_dropped += 1
        self.scheduler.wake(self)  # type: ignore[union-attr]

    def main(self) -> Generator[Any, Any, None]:
        client = yield from self._open()
        conn = self.connection
        assert conn is not None
        sub = yield client.subscribe(self.subject, queue=self.queue or "",
                                     cb=self._on_message(), pending_msgs_limit=self.max_pending,
                                     pending_bytes_limit=256 * 1024 * 1024)
        unwatch = conn.on_slow_consumer(sub, self._count_client_drop)
        yield from self._confirm(client)
        out = self.outboxes["outbox"]
        end: EndSignal | None = None
        closed = False
        try:
            with self.keep_alive():  # nats-py's callback wakes us
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    if self.inboxes["nats"].queue:
                        end = self._deliver(self.recv_all("nats"), out, end)
                    self._report_drops()
                    if isinstance(end, Shutdown):
                        break
                    if end is not None:  # stop receiving; pass on what had arrived
                        closed = True
                        yield from self._drain(sub)
                        end = self._deliver(self.recv_all("nats"), out, end)
                        self._report_drops()
                        break
                    self.pause()
                    yield
        finally:
            unwatch()
            if not closed:
                _unsubscribe_soon(sub)
            self._release()
        self.send(end, "signal")

    def _deliver(self, msgs: list[Any], out: Outbox[Any],
                 end: EndSignal | None) -> EndSignal | None:
        push = out.push
        decode = self.decode
        envelope = self.envelope
        self.payloads += len(msgs)
        for msg in msgs:
            items = decode(msg.data, msg.subject)
            if items is None:
                continue
            for item in items:
                if isinstance(item, EndSignal):
                    if not self.end_on_message:
                        self.ends_ignored += 1
                    elif not isinstance(end, Shutdown):
                        end = item
                    continue
                self.received += 1
                push(NatsMessage(msg.subject, item, msg.reply or None) if envelope else item)
        return end

    def _drain(self, sub: Any) -> Generator[Any, Any, None]:
        try:
            yield sub.drain()
        except Exception as exc:  # noqa: BLE001 - closed or reconnecting: nothing more comes
            self.reject(f"unsubscribing from {self.subject!r}: {type(exc).__name__}: {exc}")

    def _report_drops(self) -> None:
        total = self.dropped
        if total != self._reported:
            self.send(SlowConsumer(self.path, self.subject, total - self._reported, total),
                      "events")
            self._reported = total

    def statistics(self) -> dict[str, Any]:
        stats = super().statistics()
        stats.update(queue=self.queue, received=self.received, nats_messages=self.payloads,
                     dropped=self.dropped, pending=len(self.inboxes["nats"].queue),
                     ends_ignored=self.ends_ignored)
        return stats


def _unsubscribe_soon(sub: Any) -> None:
    """Unsubscribe without waiting (the component is ending): nothing more is kept."""
    with contextlib.suppress(RuntimeError):
        task = asyncio.get_running_loop().create_task(_quiet(sub.unsubscribe()))
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)


async def _quiet(coro: Any) -> None:
    try:
        await coro
    except Exception:  # noqa: BLE001 - the connection may be closing already
        pass


_PENDING: set[Any] = set()
