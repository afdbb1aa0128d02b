"""Axon: components with named inboxes and outboxes, linked into systems and run by a scheduler.

A component is a generator (``main()``) that talks only to its own boxes; links collapse
delivery so that a send is one deque append; compositions snap components together.
"""

from ._backplane import Backplane, PublishTo, SubscribeTo
from ._box import BoxSpec, BoxStatistics, Inbox, Link, LinkKind, Outbox, Policy
from ._carousel import Carousel
from ._component import RECEIVE, RECEIVE_ONE, Component, State
from ._draw import draw, to_dot
from ._errors import AxonError, BoxFull, ComponentError, Deadlock, EmptyBox, LinkError
from ._graphline import Graphline
from ._handle import Handle
from ._inspect import BoxInfo, ComponentInfo, LinkInfo, Profiler, Snapshot, snapshot
from ._instrument import Instrument
from ._introspector import Introspector
from ._message import EndSignal, ProducerFinished, ReaderGone, Shutdown
from ._parallel import Parallel
from ._pipeline import Pipeline
from ._pool import LostMessage, OnLost, PoolStatistics, WorkerPool
from ._process import ChildProcess, ProcessDied, ProcessStatistics, RemoteError
from ._scheduler import Scheduler, SchedulerStatistics, run, run_async
from ._seq import Seq
from ._services import ServiceError, ServiceRegistry
from ._supervisor import ChildFailed, RestartsExhausted, Strategy, Supervisor
from ._threaded import ThreadedComponent, ThreadStopped
from ._wire import (
    Codec, CodecError, DecodeError, EncodeError, FrameReader, JSONCodec, MsgpackCodec,
    PickleCodec, codec_for, frame,
)

__all__ = [
    "AxonError",
    "Backplane",
    "BoxFull",
    "BoxInfo",
    "BoxSpec",
    "BoxStatistics",
    "Carousel",
    "ChildFailed",
    "ChildProcess",
    "Codec",
    "codec_for",
    "CodecError",
    "Component",
    "ComponentError",
    "ComponentInfo",
    "Deadlock",
    "DecodeError",
    "draw",
    "EmptyBox",
    "EncodeError",
    "EndSignal",
    "frame",
    "FrameReader",
    "Graphline",
    "Handle",
    "Inbox",
    "Instrument",
    "Introspector",
    "JSONCodec",
    "Link",
    "LinkError",
    "LinkInfo",
    "LinkKind",
    "LostMessage",
    "MsgpackCodec",
    "OnLost",
    "Outbox",
    "Parallel",
    "PickleCodec",
    "Pipeline",
    "Policy",
    "PoolStatistics",
    "ProcessDied",
    "ProcessStatistics",
    "ProducerFinished",
    "Profiler",
    "PublishTo",
    "ReaderGone",
    "RECEIVE",
    "RECEIVE_ONE",
    "RemoteError",
    "RestartsExhausted",
    "run",
    "run_async",
    "Scheduler",
    "SchedulerStatistics",
    "Seq",
    "ServiceError",
    "ServiceRegistry",
    "Shutdown",
    "snapshot",
    "Snapshot",
    "State",
    "Strategy",
    "SubscribeTo",
    "Supervisor",
    "ThreadedComponent",
    "ThreadStopped",
    "to_dot",
    "WorkerPool",
]
