"""NATS links for Axon (tentative init)."""
from ._connection import ConnectionEvent, ConnectionState, NatsConnection, NatsError, NatsOptions
from ._core import NatsPublisher, NatsSubscriber, SlowConsumer
from ._link import NatsMessage, check_subject
from ._server import NatsCluster, NatsServer, NatsServerError, find_nats_server
from ._request import NatsRequester, NatsResponder, RequestError, RequestFailed
from ._jetstream import JetStreamMessage, JetStreamPublisher, JetStreamSubscriber, PublishFailed, Stream, ensure_stream
from ._backplane import NatsBridge, NatsTransport
