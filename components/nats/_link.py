"""What every NATS link component shares: its subject, codec, connection and error reports.

A link turns batches of messages into NATS payloads with its codec (``axon``'s wire
codecs: msgpack by default, JSON, or pickle when asked for by name, for trusted peers
only) and back.  A message that cannot be encoded, or a payload that cannot be decoded,
is reported as bad input naming the subject and the reason (``on_error="send"``, the
default for links: a ``BadInput`` record on ``error``), and the link carries on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from axon import Codec, DecodeError, EncodeError, codec_for

from .._stage import Stage
from ..errors import OnError
from ._connection import NatsConnection, NatsOptions, NatsSpec

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = ["NatsLink", "NatsMessage", "check_subject"]

_TOKEN = re.compile(r"[^\s.*>]+")


def check_subject(subject: str, *, wildcards: bool = False) -> str:
    """``subject`` if it is a valid NATS subject (``*`` and a final ``>`` only with
    ``wildcards``, for subscriptions); else ValueError saying what is wrong."""
    if not isinstance(subject, str) or not subject:
        raise ValueError(f"a NATS subject is a non-empty str, not {subject!r}")
    tokens = subject.split(".")
    for i, tok in enumerate(tokens):
        if wildcards and (tok == "*" or (tok == ">" and i == len(tokens) - 1)):
            continue
        if not _TOKEN.fullmatch(tok):
            what = "wildcards are for subscriptions" if tok in ("*", ">") else \
                "tokens are non-empty, without spaces, '*' or '>'"
            raise ValueError(f"bad NATS subject {subject!r} at token {i} ({tok!r}): {what}")
    return subject


@dataclass(frozen=True, slots=True)
class NatsMessage:
    """A message received with the subject it came on (``envelope=True``), and the
    subject to reply to, if any."""

    subject: str
    data: Any
    reply: str | None = None


class NatsLink(Stage):
    """Base of the NATS link components (see the module's docstring)."""

    #: Messages of one batch per NATS message, at most (a payload also stays under the
    #: server's ``max_payload``, 1 MiB by default: a batch too big is split).
    max_batch = 1000

    def __init__(self, subject: str, *, nats: NatsSpec = None, codec: str | Codec | None = None,
                 wildcards: bool = False, on_error: OnError | str = OnError.SEND,
                 name: str | None = None) -> None:
        super().__init__(on_error=on_error, name=name or f"{type(self).__name__}({subject})")
        self.subject = check_subject(subject, wildcards=wildcards)
        self.nats = NatsOptions.of(nats)
        self.codec = codec_for(codec)
        self.connection: NatsConnection | None = None
        self.encode_errors = 0
        self.decode_errors = 0
        self._subscribed: asyncio.Future[None] | None = None

    # -- the connection ------------------------------------------------------------------

    def _open(self) -> Generator[Any, Any, Client]:
        """Find (or start) the shared connection and wait until it is connected."""
        conn = NatsConnection.shared(self, self.nats)
        conn.acquire(self)
        self.connection = conn
        ready = conn.ready
        if ready.done():
            return ready.result()
        client: Client = yield ready
        return client

    @property
    def subscribed(self) -> asyncio.Future[None]:
        """For the receiving links: done once the subscription is in place (the server has
        confirmed it), so what is published from then on reaches this component."""
        if self._subscribed is None:
            self._subscribed = asyncio.get_running_loop().create_future()
        return self._subscribed

    def _reply_subject(self, client: Client) -> Generator[Any, Any, tuple[str, Any]]:
        """Subscribe to a reply subject of this component's own (``client.new_inbox()``):
        each message on ``<prefix>.<token>`` is put in its ``nats`` inbox and wakes it.
        Returns the prefix and the subscription (the request and JetStream links match
        replies and acknowledgements by token: ``msg.subject[len(prefix) + 1:]``)."""
        prefix = client.new_inbox()
        replies = self.inboxes["nats"].queue
        wake = self.scheduler.wake  # type: ignore[union-attr]
        me = self

        async def on_reply(msg: Any) -> None:
            replies.append(msg)
            wake(me)

        sub = yield client.subscribe(prefix + ".*", cb=on_reply)
        return prefix, sub

    def _confirm(self, client: Client) -> Generator[Any, Any, None]:
        """Wait until the server has our subscription, then resolve :attr:`subscribed`."""
        yield client.flush(10)
        fut = self.subscribed
        if not fut.done():
            fut.set_result(None)

    async def publish_all(self, client: "Client",
                          messages: list[tuple[str, bytes, str, dict[str, str] | None]]) -> None:
        """Publish ``(subject, payload, reply, headers)`` in order; while the connection is
        away and nats-py's reconnect buffer is full, wait for it to come back (that is
        backpressure, not a failure)."""
        from nats.errors import OutboundBufferLimitError

        publish = client.publish
        for subject, payload, reply, headers in messages:
            while True:
                try:
                    await publish(subject, payload, reply=reply, headers=headers)
                    break
                except OutboundBufferLimitError:
                    assert self.connection is not None
                    await self.connection.wait_connected()

    def _release(self) -> None:
        if self.connection is not None:
            self.connection.release(self)

    # -- encoding --------------------------------------------------------------------------

    def encode(self, items: list[Any], subject: str, max_payload: int) -> list[bytes]:
        """``items`` as payloads of at most :attr:`max_batch` messages and ``max_payload``
        bytes each; a message that cannot be encoded (or alone is too big) is reported and
        left out."""
        return [payload for payload, _ in self.encode_groups(items, subject, max_payload)]

    def encode_groups(self, items: list[Any], subject: str,
                      max_payload: int) -> list[tuple[bytes, list[Any]]]:
        """As :meth:`encode`, each payload with the messages it holds."""
        out: list[tuple[bytes, list[Any]]] = []
        step = max(1, self.max_batch)
        for start in range(0, len(items), step):
            self._encode_into(out, items[start:start + step], subject, max_payload)
        return out

    def _encode_into(self, out: list[tuple[bytes, list[Any]]], chunk: list[Any], subject: str,
                     max_payload: int) -> None:
        encode = self.codec.encode_batch
        while chunk:
            try:
                payload = encode(chunk)
            except EncodeError as exc:
                i = exc.index if exc.index is not None else 0
                self.encode_errors += 1
                self.reject(f"cannot encode a message for subject {subject!r} "
                            f"({self.codec.name}): {exc.reason}", chunk[i])
                self._encode_into(out, chunk[:i], subject, max_payload)
                chunk = chunk[i + 1:]
                continue
            if len(payload) <= max_payload:
                out.append((payload, chunk))
            elif len(chunk) == 1:
                self.encode_errors += 1
                self.reject(f"a message for subject {subject!r} is {len(payload)} bytes "
                            f"encoded, over the server's limit of {max_payload}", chunk[0])
            else:
                half = len(chunk) // 2
                self._encode_into(out, chunk[:half], subject, max_payload)
                self._encode_into(out, chunk[half:], subject, max_payload)
            return

    def decode(self, payload: bytes, subject: str) -> list[Any] | None:
        """The messages of one payload; None (reported) if it cannot be decoded."""
        try:
            return self.codec.decode_batch(payload)
        except DecodeError as exc:
            self.decode_errors += 1
            self.reject(f"cannot decode a message on subject {subject!r} "
                        f"({len(payload)} bytes): {exc}", bytes(payload[:64]))
            return None

    # -- introspection -------------------------------------------------------------------------

    def statistics(self) -> dict[str, Any]:
        conn = self.connection
        return {
            "subject": self.subject,
            "codec": self.codec.name,
            "connection": conn.status.value if conn is not None else "not connected",
            "encode_errors": self.encode_errors,
            "decode_errors": self.decode_errors,
        }
