"""JetStream links: **at least once**, across a consumer killed with SIGKILL or a broker
restarted mid-stream.

Design notes
------------
1. Publishing (:class:`JetStreamPublisher`): every NATS message carries a
   ``Nats-Msg-Id`` (the publisher's id and a sequence number, or ``msg_id(message)``),
   and is kept until the stream acknowledges it.  No acknowledgement within
   ``ack_timeout`` (the broker is away, restarting, electing a leader) or a transient
   error means *publish it again, with the same id*: the stream drops the copies it
   already has (de-duplication within its ``duplicate_window``).  At most
   ``max_in_flight`` messages wait for their acknowledgement; then the publisher takes
   no more input and its bounded inbox makes its producer wait.  A stream that is full
   with ``discard="new"`` refuses messages: they are retried too, so a slow consumer of
   a work-queue stream slows its producer.
2. Consuming (:class:`JetStreamSubscriber`): a durable *pull* consumer, fetched with long
   polls for no more than ``max_ack_pending`` messages not yet acknowledged, so a slow
   component holds the stream back instead of filling memory.  A message is acknowledged
   **only once the component it feeds has processed it**: that component has taken
   everything sent to it and come back for more (asked for its next batch, or paused),
   or finished.  A consumer that dies before that leaves the message unacknowledged and
   JetStream delivers it again after ``ack_wait``; the number of such redeliveries is
   counted (``redelivered`` in ``statistics()``; ``envelope=True`` gives each message's
   delivery count).  A pull lost with a restarting broker is re-issued when the
   connection comes back (or when its time is up).
3. What "processed" cannot cover: a component that keeps messages in memory across
   timeslices (a batcher waiting for its batch to fill) has "processed" them when it
   comes back for more; if the process dies, those are lost.  Feed such a component
   from a stage that does not hold messages, or use its output as the acknowledgement
   boundary.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from axon import BoxSpec, Codec, EndSignal, Outbox, ProducerFinished, Shutdown

from ..errors import OnError
from ._connection import ConnectionEvent, ConnectionState, NatsError, NatsSpec
from ._core import _unsubscribe_soon
from ._eager import start_eagerly
from ._link import NatsLink, check_subject

__all__ = [
    "JetStreamMessage",
    "JetStreamPublisher",
    "JetStreamSubscriber",
    "PublishFailed",
    "Stream",
    "ensure_stream",
]

MSG_ID = "Nats-Msg-Id"
#: JetStream API error codes worth retrying: the stream is full (discard "new"), or the
#: service is unavailable for a moment (leader election, restart).
RETRYABLE = {10077, 10078, 10039, 10008}


@dataclass(frozen=True)
class Stream:
    """A JetStream stream, made when a link starts if it does not exist yet.

    ``retention``: ``"limits"`` (keep until the limits), ``"workqueue"`` (a message goes
    once it is acknowledged: a work queue; with ``max_msgs`` and ``discard="new"`` a
    consumer that falls behind slows its producer), or ``"interest"``.  ``storage``:
    ``"file"`` (survives a broker restart) or ``"memory"``.  ``duplicate_window``: seconds
    within which a message id seen before is dropped.
    """

    name: str
    subjects: tuple[str, ...]
    storage: str = "file"
    retention: str = "limits"
    max_msgs: int = -1
    max_bytes: int = -1
    max_age: float = 0.0
    discard: str = "old"
    duplicate_window: float = 120.0
    replicas: int = 1

    def __post_init__(self) -> None:
        subjects = (self.subjects,) if isinstance(self.subjects, str) else tuple(self.subjects)
        for s in subjects:
            check_subject(s, wildcards=True)
        object.__setattr__(self, "subjects", subjects)
        if not self.name or any(c in self.name for c in " .*>"):
            raise ValueError(f"bad stream name {self.name!r} (no spaces, '.', '*' or '>')")

    def config(self) -> Any:
        from nats.js import api

        return api.StreamConfig(
            name=self.name, subjects=list(self.subjects), storage=api.StorageType(self.storage),
            retention=api.RetentionPolicy(self.retention), max_msgs=self.max_msgs,
            max_bytes=self.max_bytes, max_age=self.max_age or None,
            discard=api.DiscardPolicy(self.discard), duplicate_window=self.duplicate_window,
            num_replicas=self.replicas)


async def ensure_stream(client: Any, stream: Stream, timeout: float = 15.0) -> None:
    """Make ``stream`` unless it exists (an existing stream is left as it is); retried
    while JetStream is not ready yet (a cluster electing its leader)."""
    from nats.errors import NoRespondersError
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js.errors import APIError, ServiceUnavailableError

    js = client.jetstream(timeout=2.0)
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            await js.add_stream(stream.config())
            return
        except (TimeoutError, ServiceUnavailableError, NoRespondersError, NatsTimeout):
            pass
        except APIError as exc:
            if exc.err_code == 10058:  # the name is in use: the stream exists
                return
            if exc.code != 503:
                raise NatsError(f"cannot make stream {stream.name!r}: {exc}") from None
        if time.monotonic() > deadline:
            raise NatsError(f"cannot make stream {stream.name!r}: JetStream not available "
                            f"within {timeout} s")
        await asyncio.sleep(delay)
        delay = min(1.0, delay * 2)


@dataclass(frozen=True, slots=True)
class PublishFailed:
    """A message the stream never acknowledged within ``give_up`` seconds, or refused
    for good; ``reason`` says why."""

    component: str
    subject: str
    message: Any
    reason: str


@dataclass(frozen=True, slots=True)
class JetStreamMessage:
    """A message from a stream (``envelope=True``): its subject, data, stream sequence and
    how many times it has been delivered (above 1: a redelivery)."""

    subject: str
    data: Any
    sequence: int
    delivered: int


@dataclass(slots=True)
class _Pending:
    token: str
    payload: bytes
    headers: dict[str, str]
    items: list[Any]
    first_sent: float
    tries: int = 0
    done: bool = False


class JetStreamPublisher(NatsLink):
    """Publishes the messages of ``inbox`` to ``subject`` in a JetStream stream, at least
    once (see the module docstring): retried with the same message id until acknowledged.

    ``stream`` (a :class:`Stream`) is made if missing.  ``batch=True`` packs what one turn
    brought into one stream message (up to ``max_batch``): much faster, acknowledged and
    redelivered as a whole.  ``msg_id(message)`` gives application ids (so a producer that
    is restarted and sends the same messages again is de-duplicated too; one message per
    stream message then).  A message not acknowledged within ``give_up`` seconds is
    reported as :class:`PublishFailed` (``on_error``).  At ``ProducerFinished`` it ends
    once everything is acknowledged (with ``send_end``, after publishing the end too).
    """

    Inboxes = {
        "inbox": BoxSpec("messages to publish", 1000),
        "control": "ProducerFinished: end once everything is acknowledged; Shutdown: now",
        "nats": "(fed by the connection) the stream's acknowledgements",
    }
    Outboxes = {
        "outbox": "(unused) kept so a publisher can end a Pipeline",
        "signal": "the end, once every message is acknowledged",
        "error": "BadInput records (messages the codec cannot encode) and PublishFailed "
                 "records (on_error='send')",
    }

    def __init__(self, subject: str, *, stream: Stream | None = None, nats: NatsSpec = None,
                 codec: str | Codec | None = None, batch: bool = False,
                 max_batch: int | None = None, max_in_flight: int = 2000,
                 ack_timeout: float = 5.0, give_up: float = 120.0,
                 msg_id: Callable[[Any], str] | None = None, send_end: bool = False,
                 producer_id: str | None = None, on_error: OnError | str = OnError.SEND,
                 name: str | None = None) -> None:
        super().__init__(subject, nats=nats, codec=codec, on_error=on_error, name=name)
        if msg_id is not None and batch:
            raise ValueError("msg_id= names single messages: use it with batch=False")
        self.max_batch = (max_batch or type(self).max_batch) if batch else 1
        self.stream = stream
        self.max_in_flight = max_in_flight
        self.ack_timeout = ack_timeout
        self.give_up = give_up
        self.msg_id = msg_id
        self.send_end = send_end
        self.producer_id = producer_id or uuid.uuid4().hex[:12]
        self.published = 0  # messages acknowledged by the stream
        self.acked = 0  # stream messages acknowledged
        self.retries = 0
        self.duplicates = 0  # acknowledgements saying "already stored" (a retry got through)
        self.failed = 0
        self._seq = 0
        self._flight: deque[tuple[float, int, _Pending]] = deque()  # (deadline, try, message)
        self._by_token: dict[str, _Pending] = {}
        self._retry: list[tuple[float, int, _Pending]] = []
        self._timer: asyncio.TimerHandle | None = None

    def main(self) -> Generator[Any, Any, None]:
        client = yield from self._open()
        if self.stream is not None:
            yield ensure_stream(client, self.stream)
        prefix, sub = yield from self._reply_subject(client)  # (the acknowledgements)
        skip = len(prefix) + 1
        inbox = self.inboxes["inbox"]
        tokens = itertools.count()
        loop = asyncio.get_running_loop()
        end: EndSignal | None = None
        end_sent = False
        held_back = False
        try:
            with self.keep_alive():
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    now = time.monotonic()
                    self._take_acks(skip, now)
                    sends = self._due(now)
                    room = self.max_in_flight - len(self._by_token)
                    if inbox.queue and room > 0:
                        items = self.recv_all() if room >= len(inbox.queue) else \
                            [self.recv() for _ in range(room)]
                        sends.extend(self._new(items, prefix, tokens, client.max_payload, now))
                    if isinstance(end, ProducerFinished) and self.send_end and not end_sent \
                            and not inbox.queue:
                        end_sent = True
                        sends.extend(self._new([end], prefix, tokens, client.max_payload, now,
                                               end_marker=True))
                    if sends:
                        waiting = start_eagerly(self._publish(client, sends))
                        if waiting is not None:
                            yield waiting
                    if end is not None and not inbox.queue and not self._by_token:
                        break
                    full = len(self._by_token) >= self.max_in_flight
                    if full is not held_back:
                        held_back = full
                        self.wake_on(*(("control", "nats") if full else
                                       ("inbox", "control", "nats")))
                    self._arm_timer(loop)
                    self.pause()
                    yield
        finally:
            if self._timer is not None:
                self._timer.cancel()
            _unsubscribe_soon(sub)
            self._release()
        self.send(end, "signal")

    def _new(self, items: list[Any], prefix: str, tokens: Any, max_payload: int, now: float,
             end_marker: bool = False) -> list[_Pending]:
        if end_marker:
            groups = [(self.codec.encode_batch(items), items)]
        else:
            groups = self.encode_groups(items, self.subject, max_payload)
        out = []
        for payload, group in groups:
            self._seq += 1
            if self.msg_id is not None and not end_marker:
                mid = str(self.msg_id(group[0]))
            else:
                mid = f"{self.producer_id}-{self._seq}"
            token = str(next(tokens))
            p = _Pending(f"{prefix}.{token}", payload, {MSG_ID: mid}, group, now)
            self._by_token[token] = p
            out.append(p)
        return out

    def _due(self, now: float) -> list[_Pending]:
        """Messages to send again: no acknowledgement in time, or a retry whose backoff
        is over."""
        again: list[_Pending] = []
        flight = self._flight
        while flight and (flight[0][2].done or flight[0][0] <= now):
            _, tries, p = flight.popleft()
            if p.done or p.tries != tries:  # acknowledged, or sent again since
                continue
            self._retry_later(p, now, "no acknowledgement within "
                                      f"{self.ack_timeout} s")
        while self._retry and self._retry[0][0] <= now:
            _, _, p = heapq.heappop(self._retry)
            if not p.done:
                again.append(p)
                self.retries += 1
        return again

    def _retry_later(self, p: _Pending, now: float, reason: str) -> None:
        if now - p.first_sent > self.give_up:
            self._fail(p, f"{reason}; gave up after {self.give_up} s")
            return
        delay = min(1.0, 0.05 * 2 ** min(p.tries, 5))
        heapq.heappush(self._retry, (now + delay, id(p), p))

    def _fail(self, p: _Pending, reason: str) -> None:
        p.done = True
        self._by_token.pop(p.token.rsplit(".", 1)[1], None)
        self.failed += 1
        record = PublishFailed(self.path, self.subject, p.items if len(p.items) != 1 else
                               p.items[0], reason)
        if self.on_error is OnError.RAISE:
            raise NatsError(f"{self.path}: publishing to {self.subject!r} failed: {reason}")
        self.send(record, "error")

    async def _publish(self, client: Any, sends: list[_Pending]) -> None:
        from nats.errors import OutboundBufferLimitError

        publish = client.publish
        subject = self.subject
        timeout = self.ack_timeout
        for p in sends:
            p.tries += 1
            while True:
                try:
                    await publish(subject, p.payload, reply=p.token, headers=p.headers)
                    break
                except OutboundBufferLimitError:
                    await self.connection.wait_connected()  # type: ignore[union-attr]
            self._flight.append((time.monotonic() + timeout, p.tries, p))

    def _take_acks(self, skip: int, now: float) -> None:
        for msg in self.recv_all("nats"):
            p = self._by_token.get(msg.subject[skip:])
            if p is None or p.done:
                continue  # (an acknowledgement of an earlier try: already counted)
            headers = msg.headers or {}
            status = headers.get("Status")
            if status == "503":  # no responders: no stream, or JetStream down for a moment
                self._retry_later(p, now, "JetStream unavailable (no responders)")
                continue
            data = msg.data
            if b'"error"' in data or not data.startswith(b'{"stream"'):
                try:
                    resp = json.loads(data)
                except ValueError:
                    self._retry_later(p, now, "an acknowledgement that is not JSON")
                    continue
                err = resp.get("error") or {"description": f"unexpected reply {data[:80]!r}"}
                if err.get("code") == 503 or err.get("err_code") in RETRYABLE:
                    self._retry_later(p, now, str(err.get("description")))
                else:
                    self._fail(p, f"the stream refused it: {err.get('description')} "
                                  f"(code {err.get('code')}, {err.get('err_code')})")
                continue
            # (a PubAck, {"stream":..,"seq":..[,"duplicate":true]}: read without json, which
            # is a third of the cost of a publish)
            if b'"duplicate"' in data and b"true" in data:  # (the server writes ": true")
                self.duplicates += 1
            p.done = True
            del self._by_token[msg.subject[skip:]]
            self.acked += 1
            self.published += sum(1 for m in p.items if not isinstance(m, EndSignal))

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        when = []
        flight = self._flight
        while flight and (flight[0][2].done or flight[0][2].tries != flight[0][1]):
            flight.popleft()
        if flight:
            when.append(flight[0][0])
        if self._retry:
            when.append(self._retry[0][0])
        if when:
            delay = max(0.0, min(when) - time.monotonic()) + 0.001
            self._timer = loop.call_later(delay, self.scheduler.wake, self)  # type: ignore[union-attr]

    def statistics(self) -> dict[str, Any]:
        stats = super().statistics()
        stats.update(published=self.published, acked=self.acked, retries=self.retries,
                     duplicates=self.duplicates, failed=self.failed,
                     in_flight=len(self._by_token))
        return stats


class JetStreamSubscriber(NatsLink):
    """Sends on ``outbox`` the messages of ``subject`` in a JetStream stream, through the
    durable pull consumer ``durable``; each is acknowledged once the component it feeds
    has processed it (see the module docstring): at least once.

    ``stream`` is a :class:`Stream` (made if missing) or a stream's name (None: found by
    subject).  Several subscribers with the same ``durable`` (in any processes) share the
    messages.  ``ack_wait``: seconds before an unacknowledged message is delivered again;
    ``max_ack_pending``: messages delivered and not yet acknowledged, at most (the
    backpressure bound); ``deliver``: ``"all"`` or ``"new"`` for a new consumer.

    ``ProducerFinished`` on ``control`` (or, with ``end_on_message``, an end published
    into the stream) ends it once everything delivered is processed and acknowledged;
    ``Shutdown`` ends it at once (what is unacknowledged comes again to the next one).
    """

    Inboxes = {
        "inbox": "(unused: a source)",
        "control": "ProducerFinished: end once what was delivered is acknowledged; "
                   "Shutdown: now",
        "nats": "(fed by the connection) messages and status from the stream",
        "connection": "(fed by the connection) ConnectionEvent records",
    }
    Outboxes = {
        "outbox": "the messages (or JetStreamMessage records with envelope=True)",
        "signal": "the end of stream",
        "error": "BadInput records: payloads the codec cannot decode (acknowledged, so they "
                 "are not redelivered for ever)",
    }

    def __init__(self, subject: str, *, durable: str, stream: Stream | str | None = None,
                 nats: NatsSpec = None, codec: str | Codec | None = None,
                 max_ack_pending: int = 1000, pull_batch: int = 250, ack_wait: float = 30.0,
                 max_deliver: int = -1, deliver: str = "all", expires: float = 5.0,
                 envelope: bool = False, end_on_message: bool = True,
                 on_error: OnError | str = OnError.SEND, name: str | None = None) -> None:
        super().__init__(subject, nats=nats, codec=codec, wildcards=True, on_error=on_error,
                         name=name)
        if not durable or any(c in durable for c in " .*>"):
            raise ValueError(f"bad durable consumer name {durable!r}")
        if deliver not in ("all", "new"):
            raise ValueError("deliver is 'all' or 'new'")
        self.durable = durable
        self.stream = stream
        self.max_ack_pending = max_ack_pending
        self.pull_batch = max(1, min(pull_batch, max_ack_pending))
        self.ack_wait = ack_wait
        self.max_deliver = max_deliver
        self.deliver = deliver
        self.expires = expires
        self.envelope = envelope
        self.end_on_message = end_on_message
        self.received = 0  # messages passed on
        self.delivered = 0  # stream messages delivered to us
        self.acked = 0
        self.redelivered = 0  # stream messages delivered more than once
        self.pulls = 0
        self._unacked: list[str] = []  # ack subjects of messages passed on, not yet acked
        self._pending_pull = 0  # messages asked for and not yet delivered
        self._pull_deadline = 0.0
        self._stream_name = ""

    def _setup(self, client: Any) -> Generator[Any, Any, str]:
        if isinstance(self.stream, Stream):
            yield ensure_stream(client, self.stream)
            name = self.stream.name
        elif isinstance(self.stream, str):
            name = self.stream
        else:
            js = client.jetstream()
            name = yield js.find_stream_name_by_subject(self.subject)
        yield self._ensure_consumer(client, name)
        return str(name)

    async def _ensure_consumer(self, client: Any, stream: str) -> None:
        from nats.errors import NoRespondersError
        from nats.errors import TimeoutError as NatsTimeout
        from nats.js import api
        from nats.js.errors import NotFoundError, ServiceUnavailableError

        jsm = client.jetstream(timeout=2.0)
        deadline = time.monotonic() + 15.0
        while True:
            try:
                try:
                    await jsm.consumer_info(stream, self.durable)
                    return
                except NotFoundError:
                    pass
                config = api.ConsumerConfig(
                    durable_name=self.durable, ack_policy=api.AckPolicy.EXPLICIT,
                    ack_wait=self.ack_wait, max_ack_pending=self.max_ack_pending,
                    max_deliver=self.max_deliver, filter_subject=self.subject,
                    deliver_policy=api.DeliverPolicy(self.deliver), max_waiting=512)
                await jsm.add_consumer(stream, config)
                return
            except (TimeoutError, ServiceUnavailableError, NoRespondersError, NatsTimeout):
                if time.monotonic() > deadline:
                    raise NatsError(f"{self.path}: cannot set up consumer {self.durable!r} on "
                                    f"stream {stream!r}: JetStream not available") from None
                await asyncio.sleep(0.1)

    def main(self) -> Generator[Any, Any, None]:
        client = yield from self._open()
        conn = self.connection
        assert conn is not None
        stream = yield from self._setup(client)
        self._stream_name = stream
        inbox_subject = client.new_inbox()
        msgs = self.inboxes["nats"].queue
        wake = self.scheduler.wake  # type: ignore[union-attr]
        me = self

        async def on_message(msg: Any) -> None:
            msgs.append(msg)
            wake(me)

        sub = yield client.subscribe(inbox_subject, cb=on_message,
                                     pending_msgs_limit=4 * self.max_ack_pending + 100)
        unlisten = conn.listen(self.inboxes["connection"])
        yield from self._confirm(client)
        next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{self.durable}"
        out = self.outboxes["outbox"]
        end: EndSignal | None = None
        unsettled_rounds = 0
        try:
            with self.keep_alive():
                while True:
                    end = self.take_control(end)
                    if isinstance(end, Shutdown):
                        break
                    for ev in self.recv_all("connection"):
                        if isinstance(ev, ConnectionEvent) and \
                                ev.state is ConnectionState.CONNECTED:
                            self._pending_pull = 0  # a pull does not survive a reconnect
                    now = time.monotonic()
                    if msgs:
                        end = self._deliver(self.recv_all("nats"), out, end)
                    acks: list[str] = []
                    if self._unacked and _fed_all_processed(out):
                        acks, self._unacked = self._unacked, []
                        unsettled_rounds = 0
                    if self._pending_pull and now > self._pull_deadline:
                        self._pending_pull = 0  # lost with a broker restart: ask again
                    pull = None
                    if end is None:
                        pull = self._next_pull(now)
                    if acks or pull:
                        waiting = start_eagerly(self._ack_and_pull(client, acks, next_subject, pull,
                                                           inbox_subject))
                        if waiting is not None:
                            yield waiting
                    if end is not None and not self._unacked and not msgs:
                        break
                    if self._unacked:  # wait for the component it feeds to process them
                        unsettled_rounds += 1
                        if unsettled_rounds <= 2:
                            yield  # (it runs next in this round)
                        else:
                            yield asyncio.sleep(min(0.05, 0.001 * 2 ** (unsettled_rounds - 3)))
                        continue
                    if self._pending_pull:
                        self._arm(self._pull_deadline - now)
                    self.pause()
                    yield
            if isinstance(end, ProducerFinished) and not isinstance(end, Shutdown):
                yield client.flush(5)
        finally:
            unlisten()
            _unsubscribe_soon(sub)
            self._release()
        self.send(end, "signal")

    def _next_pull(self, now: float) -> bytes | None:
        if self._pending_pull:
            return None
        room = self.max_ack_pending - len(self._unacked) - len(self.inboxes["nats"].queue)
        if room <= 0:
            return None
        n = min(self.pull_batch, room)
        self._pending_pull = n
        self._pull_deadline = now + self.expires + 1.0
        self.pulls += 1
        return json.dumps({"batch": n, "expires": int(self.expires * 1e9)}).encode()

    async def _ack_and_pull(self, client: Any, acks: list[str], next_subject: str, pull: bytes | None,
                    inbox: str) -> None:
        messages: list[tuple[str, bytes, str, dict[str, str] | None]] = [
            (reply, b"+ACK", "", None) for reply in acks]
        if pull is not None:
            messages.append((next_subject, pull, inbox, None))
        await self.publish_all(client, messages)
        self.acked += len(acks)

    def _deliver(self, msgs: list[Any], out: Outbox[Any], end: EndSignal | None) -> EndSignal | None:
        push = out.push
        for msg in msgs:
            headers = msg.headers
            if headers and "Status" in headers and not msg.data:
                self._status(headers)
                continue
            reply = msg.reply
            if not reply:
                continue
            self.delivered += 1
            if self._pending_pull:
                self._pending_pull -= 1
            tokens = reply.split(".")
            if len(tokens) == 9:
                delivered, seq = int(tokens[4]), int(tokens[5])
            else:
                delivered, seq = int(tokens[-7]), int(tokens[-6])
            if delivered > 1:
                self.redelivered += 1
            self._unacked.append(reply)
            items = self.decode(msg.data, msg.subject)
            if items is None:
                continue  # reported; acknowledged with the others (never decodable)
            for item in items:
                if isinstance(item, EndSignal):
                    if self.end_on_message and not isinstance(end, Shutdown):
                        end = item
                    continue
                self.received += 1
                push(JetStreamMessage(msg.subject, item, seq, delivered) if self.envelope
                     else item)
        return end

    def _status(self, headers: dict[str, str]) -> None:
        code = headers.get("Status")
        desc = headers.get("Description", "")
        if code in ("408", "404"):  # the pull expired (or found nothing): ask again
            self._pending_pull = 0
        elif code == "409":
            if "Consumer Deleted" in desc or "Consumer is push based" in desc:
                raise NatsError(f"{self.path}: consumer {self.durable!r}: {desc}")
            self._pending_pull = 0
        # "100": an idle heartbeat: nothing to do

    def _arm(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(max(0.0, delay) + 0.01, self.scheduler.wake, self)  # type: ignore[union-attr]

    def statistics(self) -> dict[str, Any]:
        stats = super().statistics()
        stats.update(stream=self._stream_name, durable=self.durable, received=self.received,
                     delivered=self.delivered, acked=self.acked, redelivered=self.redelivered,
                     unacked=len(self._unacked), pulls=self.pulls)
        return stats


def _fed_all_processed(out: Outbox[Any]) -> bool:
    """True when every component ``out`` feeds has taken all that was sent to it and come
    back for more (asked for its next batch, or paused), or has finished normally."""
    targets = out.targets
    if not targets or out.held:
        return False  # (held in the outbox: not delivered at all yet)
    for t in targets:
        if t.queue or not t.owner.caught_up:
            return False
    return True
