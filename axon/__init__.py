"""Axon: components with named inboxes and outboxes, linked into systems and run by a scheduler.

A component is a generator (``main()``) that talks only to its own boxes; links collapse
delivery so that a send is one deque append; compositions snap components together.
"""

from ._compose._backplane import Backplane, PublishTo, SubscribeTo
from ._core._box import BoxSpec, BoxStatistics, Inbox, Link, LinkKind, Outbox, Policy
from ._compose._carousel import Carousel
from ._core._component import RECEIVE, RECEIVE_ONE, Component, State
from ._tools._draw import draw, to_dot
from ._core._errors import AxonError, BoxFull, ComponentError, Deadlock, EmptyBox, LinkError
from ._compose._graphline import Graphline
from ._compose._handle import Handle
from ._core._inspect import BoxInfo, ComponentInfo, LinkInfo, Profiler, Snapshot, snapshot
from ._core._instrument import Instrument
from ._tools._introspector import Introspector
from ._core._message import EndSignal, ProducerFinished, ReaderGone, Shutdown
from ._compose._parallel import Parallel
from ._compose._pipeline import Pipeline
from ._processes._pool import LostMessage, OnLost, PoolStatistics, WorkerPool
from ._processes._process import ChildProcess, ProcessDied, ProcessStatistics, RemoteError
from ._core._scheduler import Scheduler, SchedulerStatistics, run, run_async
from ._compose._seq import Seq
from ._core._services import ServiceError, ServiceRegistry
from ._compose._supervisor import ChildFailed, RestartsExhausted, Strategy, Supervisor
from ._core._threaded import ThreadedComponent, ThreadStopped
from ._processes._wire import (
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
