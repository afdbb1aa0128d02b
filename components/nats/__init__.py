"""Axon beyond one machine, over NATS (``pip install 'axon-components[nats]'``).

- :class:`NatsPublisher` / :class:`NatsSubscriber`: an inbox to a subject, a subject
  (wildcards; ``queue=`` for a queue group) to an outbox.  Core NATS: at most once, drops
  counted and reported.  Busy links send many messages per NATS message.
- :class:`NatsRequester` / :class:`NatsResponder`: request/reply, replies in order,
  timeouts and errors reported.
- :class:`JetStreamPublisher` / :class:`JetStreamSubscriber`: at least once, de-duplicated
  publishing, acknowledgement once the component fed has processed a message.
- :class:`NatsTransport`: ``Backplane(name, transport=NatsTransport(url))`` makes
  ``PublishTo`` / ``SubscribeTo`` work across processes and machines.
- :class:`NatsConnection`: the connection they share (one per scheduler and server set).
- :class:`NatsServer` / :class:`NatsCluster`: start local ``nats-server`` processes (free
  loopback ports, JetStream in a temporary directory), stopped by PID.
- ``axon serve module:factory --nats URL --subject S [--queue G]``: a component as a
  service; copies on other machines share the work.

Messages travel with ``axon``'s wire codecs: msgpack by default (plain data, safe);
``codec="json"``; ``codec="pickle"`` only between trusted processes (unpickling data from
the network runs code chosen by whoever sent it).
"""

from ._backplane import NatsBridge, NatsTransport
from ._connection import (
    ConnectionEvent,
    ConnectionState,
    NatsConnection,
    NatsError,
    NatsOptions,
)
from ._core import NatsPublisher, NatsSubscriber, SlowConsumer
from ._jetstream import (
    JetStreamMessage,
    JetStreamPublisher,
    JetStreamSubscriber,
    PublishFailed,
    Stream,
    ensure_stream,
)
from ._link import NatsLink, NatsMessage, check_subject
from ._request import NatsRequester, NatsResponder, RequestError, RequestFailed
from ._server import NatsCluster, NatsServer, NatsServerError, find_nats_server

__all__ = [
    "ConnectionEvent",
    "ConnectionState",
    "JetStreamMessage",
    "JetStreamPublisher",
    "JetStreamSubscriber",
    "NatsBridge",
    "NatsCluster",
    "NatsConnection",
    "NatsError",
    "NatsLink",
    "NatsMessage",
    "NatsOptions",
    "NatsPublisher",
    "NatsRequester",
    "NatsResponder",
    "NatsServer",
    "NatsServerError",
    "NatsSubscriber",
    "NatsTransport",
    "PublishFailed",
    "RequestError",
    "RequestFailed",
    "SlowConsumer",
    "Stream",
    "check_subject",
    "ensure_stream",
    "find_nats_server",
]
