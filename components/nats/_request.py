"""Request/reply over NATS: a component serving a subject, and one asking it.

A :class:`NatsResponder` runs a *worker* component as its child: each request's message
goes to the worker's ``inbox``, and the worker's next output is the reply (one output
per input, in order, as a ``Map`` gives).  With ``queue=`` several responders, in any
processes on any machines, share the requests.  A request that cannot be decoded is
answered at once with an error (so its requester is not left waiting for a timeout) and
reported on ``error``.

A :class:`NatsRequester` sends each message of its ``inbox`` as a request, up to
``max_in_flight`` at once, and sends the replies on ``outbox`` **in the order of the
requests**.  A request with no reply within ``timeout`` seconds, with no responder at all
(the server says so at once), or answered with an error fails: by default the component
raises :class:`RequestError` (which stops the system, naming it and the subject); with
``on_error="send"`` it sends a :class:`RequestFailed` record on ``error`` and carries on.

Every payload is a batch (``axon``'s codecs), so a request of several messages gets a
reply of as many; the header ``Axon-Error`` carries an error reply's reason.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from axon import (
    AxonError,
    BoxSpec,
    Codec,
    Component,
    EndSignal,
    ProducerFinished,
    Shutdown,
)

from ..errors import OnError
from ._connection import NatsSpec
from ._core import _unsubscribe_soon
from ._eager import start_eagerly
from ._link import NatsLink

__all__ = ["NatsRequester", "NatsResponder", "RequestError", "RequestFailed"]

ERROR_HEADER = "Axon-Error"
ALL_INBOXES = ("inbox", "control", "nats")
STATUS_HEADER = "Status"
NO_RESPONDERS = "503"


@dataclass(frozen=True, slots=True)
class RequestFailed:
    """A request that got no reply: ``reason`` says why (timeout, no responders, an
    error reply, an undecodable reply)."""

    component: str
    subject: str
    request: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.component}: request on {self.subject!r} failed: {self.reason}"


class RequestError(AxonError):
    """A request failed and the requester was made with ``on_error="raise"``."""

    def __init__(self, record: RequestFailed) -> None:
        super().__init__(str(record))
        self.record = record


class NatsResponder(NatsLink):
    """Serves requests on ``subject`` with ``worker``: its output is the reply.

    The worker must send exactly one output per input, in order.  At ``ProducerFinished``
    on ``control`` it stops taking requests, answers those it has, ends the worker and
    ends; ``Shutdown`` ends it at once.  An error in the worker propagates as usual.

    >>> from components import Map
    >>> doubler = NatsResponder("math.double", Map(lambda n: 2 * n), queue="doublers",
    ...                         nats="nats://127.0.0.1:4222")  # (connects when it runs)
    >>> doubler.children[0].name, list(doubler.outboxes)[:2]
    ('Map', ['requests', 'worker_control'])
    """

    Inboxes = {
        "inbox": "(unused)",
        "control": "ProducerFinished: answer what was asked, then end; Shutdown: end now",
        "nats": "(fed by the connection) requests received",
        "replies": "the worker's outputs: the replies, in order",
    }
    Outboxes = {
        "requests": "to the worker's inbox: each request's messages",
        "worker_control": "to the worker's control: the end",
        "signal": "the end, once the worker has ended",
        "error": "BadInput records: requests that cannot be decoded, replies that cannot "
                 "be encoded, replies with no request",
    }

    def __init__(self, subject: str, worker: Component, *, queue: str | None = None,
                 nats: NatsSpec = None, codec: str | Codec | None = None,
                 on_error: OnError | str = OnError.SEND, name: str | None = None) -> None:
        super().__init__(subject, nats=nats, codec=codec, wildcards=True, on_error=on_error,
                         name=name)
        self.queue = queue
        self.worker = worker
        self.add_child(worker, "worker")
        self.link((self, "requests"), (worker, "inbox"))
        self.link((self, "worker_control"), (worker, "control"))
        self.link((worker, "outbox"), (self, "replies"))
        self.requests = 0
        self.replied = 0
        self.unanswered = 0  # requests published without a reply subject
        self._waiting: deque[list[Any]] = deque()  # [reply subject, expected, replies]

    def main(self) -> Generator[Any, Any, None]:
        client = yield from self._open()
        nats_q = self.inboxes["nats"].queue
        wake = self.scheduler.wake  # type: ignore[union-attr]
        me = self

        async def on_request(msg: Any) -> None:
            nats_q.append(msg)
            wake(me)

        sub = yield client.subscribe(self.subject, queue=self.queue or "", cb=on_request)
        yield from self._confirm(client)
        end: EndSignal | None = None
        subscribed = True
        try:
            with self.keep_alive():
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        self.send(end, "worker_control")
                        break
                    if end is not None and subscribed:
                        subscribed = False
                        try:
                            yield sub.drain()  # what was sent before is still answered
                        except Exception:  # noqa: BLE001 - closed: nothing more comes
                            pass
                    self._take_requests(client)
                    replies = self._take_replies(client)
                    if replies:
                        waiting = start_eagerly(self.publish_all(
                            client, [(subj, data, "", hdrs) for subj, data, hdrs in replies]))
                        if waiting is not None:
                            yield waiting
                    if self.worker.done:
                        self._fail_waiting(client, "the service's worker has ended")
                        break
                    if end is not None and not self._waiting and not nats_q:
                        self.send(end, "worker_control")
                        while not self.worker.done:
                            self.pause()
                            yield
                        self._take_replies(client)  # (none expected: counted if any)
                        break
                    self.pause()
                    yield
        finally:
            if subscribed:
                _unsubscribe_soon(sub)
            self._release()
        self.send(end or ProducerFinished("worker ended"), "signal")

    def _take_requests(self, client: Any) -> None:
        for msg in self.recv_all("nats"):
            self.requests += 1
            items = self.decode(msg.data, msg.subject)
            if items is None:
                if msg.reply:
                    _respond_error(client, msg.reply, "the request could not be decoded "
                                   f"({self.codec.name})")
                continue
            if not items:
                if msg.reply:
                    _respond_error(client, msg.reply, "an empty request")
                continue
            if not msg.reply:
                self.unanswered += 1
            self._waiting.append([msg.reply or None, len(items), []])
            self.send_many(items, "requests")

    def _take_replies(self, client: Any) -> list[tuple[str, bytes, dict[str, str] | None]]:
        out: list[tuple[str, bytes, dict[str, str] | None]] = []
        waiting = self._waiting
        for reply in self.recv_all("replies"):
            if not waiting:
                self.reject(f"the worker sent a reply with no request waiting for it "
                            f"(subject {self.subject!r})", reply)
                continue
            head = waiting[0]
            head[2].append(reply)
            if len(head[2]) < head[1]:
                continue
            waiting.popleft()
            subject, _, replies = head
            if subject is None:
                continue
            try:
                out.append((subject, self.codec.encode_batch(replies), None))
            except Exception as exc:  # noqa: BLE001 - any codec failure: answer it as one
                reason = f"the reply could not be encoded ({self.codec.name}): {exc}"
                self.reject(f"subject {self.subject!r}: {reason}", replies)
                out.append((subject, b"", {ERROR_HEADER: reason}))
            self.replied += 1
        return out

    def _fail_waiting(self, client: Any, reason: str) -> None:
        for subject, _, _ in self._waiting:
            if subject is not None:
                _respond_error(client, subject, reason)
        self._waiting.clear()

    def statistics(self) -> dict[str, Any]:
        stats = super().statistics()
        stats.update(queue=self.queue, requests=self.requests, replied=self.replied,
                     waiting=len(self._waiting), unanswered=self.unanswered)
        return stats


def _respond_error(client: Any, subject: str, reason: str) -> None:
    waiting = start_eagerly(client.publish(subject, b"", headers={ERROR_HEADER: reason}))
    if waiting is not None:
        _BACKGROUND.add(waiting)
        waiting.add_done_callback(_BACKGROUND.discard)


_BACKGROUND: set[Any] = set()


@dataclass(slots=True)
class _Request:
    token: str
    message: Any
    deadline: float
    replies: list[Any] | None = None
    failure: str | None = None

    @property
    def done(self) -> bool:
        return self.replies is not None or self.failure is not None


class NatsRequester(NatsLink):
    """Sends each message of ``inbox`` as a request on ``subject``; the replies come out
    of ``outbox`` in the order of the requests (see the module docstring for failures).

    >>> from axon import Pipeline
    >>> from components import Collector, IterableSource
    >>> asking = Pipeline(IterableSource([1, 2, 3]), NatsRequester("math.double"), Collector())
    >>> [c.name for c in asking.children]  # with a NatsResponder: collects [2, 4, 6]
    ['IterableSource', 'NatsRequester(math.double)', 'Collector']
    """

    Inboxes = {
        "inbox": BoxSpec("requests to send", 1000),
        "control": "ProducerFinished: end once every request is answered; Shutdown: now",
        "nats": "(fed by the connection) replies",
    }
    Outboxes = {
        "outbox": "the replies, in the order of the requests",
        "signal": "the end of stream",
        "error": "RequestFailed records (on_error='send'); BadInput for requests that "
                 "cannot be encoded",
    }

    def __init__(self, subject: str, *, timeout: float = 2.0, max_in_flight: int = 64,
                 nats: NatsSpec = None, codec: str | Codec | None = None,
                 on_error: OnError | str = OnError.RAISE, name: str | None = None) -> None:
        super().__init__(subject, nats=nats, codec=codec, on_error=on_error, name=name)
        if timeout <= 0 or max_in_flight < 1:
            raise ValueError("timeout is positive and max_in_flight at least 1")
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self.sent = 0
        self.answered = 0
        self.failed = 0
        self.late = 0  # replies that came after their request had timed out
        self._in_flight: deque[_Request] = deque()
        self._by_token: dict[str, _Request] = {}
        self._timer: asyncio.TimerHandle | None = None

    def main(self) -> Generator[Any, Any, None]:
        client = yield from self._open()
        prefix, sub = yield from self._reply_subject(client)
        skip = len(prefix) + 1
        yield from self._confirm(client)
        tokens = itertools.count()
        out = self.outboxes["outbox"]
        inbox = self.inboxes["inbox"]
        end: EndSignal | None = None
        loop = asyncio.get_running_loop()
        held_back = False
        try:
            with self.keep_alive():
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    now = time.monotonic()
                    self._take_replies(skip)
                    self._expire(now)
                    self._emit(out)
                    batch: list[tuple[str, bytes, str]] = []
                    while inbox.queue and len(self._in_flight) < self.max_in_flight:
                        request = self.recv()
                        payload = self._encode_one(request, client.max_payload)
                        if payload is None:
                            continue
                        token = str(next(tokens))
                        slot = _Request(token, request, now + self.timeout)
                        self._in_flight.append(slot)
                        self._by_token[token] = slot
                        batch.append((self.subject, payload, f"{prefix}.{token}"))
                    if batch:
                        self.sent += len(batch)
                        waiting = start_eagerly(self.publish_all(
                            client, [(subj, data, reply, None) for subj, data, reply in batch]))
                        if waiting is not None:
                            yield waiting
                    if end is not None and not self._in_flight and not inbox.queue:
                        break
                    full = len(self._in_flight) >= self.max_in_flight
                    if full is not held_back:  # (while full, waiting requests wake nothing)
                        held_back = full
                        self.wake_on(*(("control", "nats") if full else ALL_INBOXES))
                    self._arm_timer(loop)
                    self.pause()
                    yield
        finally:
            if self._timer is not None:
                self._timer.cancel()
            _unsubscribe_soon(sub)
            self._release()
        self.send(end, "signal")

    def _encode_one(self, request: Any, max_payload: int) -> bytes | None:
        payloads = self.encode([request], self.subject, max_payload)
        return payloads[0] if payloads else None

    def _take_replies(self, skip: int) -> None:
        for msg in self.recv_all("nats"):
            slot = self._by_token.pop(msg.subject[skip:], None)
            if slot is None:
                self.late += 1
                continue
            headers = msg.headers or {}
            if headers.get(STATUS_HEADER) == NO_RESPONDERS:
                slot.failure = "no responders (nothing subscribes to the subject)"
            elif ERROR_HEADER in headers:
                slot.failure = f"error reply: {headers[ERROR_HEADER]}"
            else:
                try:
                    slot.replies = self.codec.decode_batch(msg.data)
                except Exception as exc:  # noqa: BLE001 - the reply is not ours to trust
                    self.decode_errors += 1
                    slot.failure = f"the reply could not be decoded ({self.codec.name}): {exc}"

    def _expire(self, now: float) -> None:
        for slot in self._in_flight:  # (deadlines are in request order)
            if slot.deadline > now:
                break
            if not slot.done:
                self._by_token.pop(slot.token, None)
                slot.failure = f"no reply within {self.timeout} s"

    def _emit(self, out: Any) -> None:
        flight = self._in_flight
        while flight and flight[0].done:
            slot = flight.popleft()
            if slot.replies is not None:
                self.answered += 1
                for reply in slot.replies:
                    out.push(reply)
                continue
            self.failed += 1
            record = RequestFailed(self.path, self.subject, slot.message, slot.failure or "")
            if self.on_error is OnError.RAISE:
                raise RequestError(record)
            self.send(record, "error")

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        """One timer, for the oldest request in flight (the first to time out)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._in_flight:
            delay = self._in_flight[0].deadline - time.monotonic()
            sched = self.scheduler
            self._timer = loop.call_later(max(0.0, delay) + 0.0005, sched.wake,  # type: ignore[union-attr]
                                          self)

    def statistics(self) -> dict[str, Any]:
        stats = super().statistics()
        stats.update(sent=self.sent, answered=self.answered, failed=self.failed,
                     in_flight=len(self._in_flight), late_replies=self.late)
        return stats

