"""Axon: components with named inboxes and outboxes, linked into systems and run by a scheduler.

A component is a generator (``main()``) that talks only to its own boxes; links collapse
delivery so that a send is one deque append; compositions snap components together.

Layers, each using only the packages below it (``tests/axon/test_layering.py``): the core
(``axon._core``), the compositions (``axon._compose``), components in other processes
(``axon._processes``), the tools (``axon._tools``); then this package, ``axon.testing``
and ``axon.cli``, which use ``axon`` alone.
"""

from typing import TYPE_CHECKING, Any

from ._compose import (
    Backplane, BackplaneStatistics, Carousel, ChildFailed, Graphline, Handle, Parallel, Pipeline,
    PublishTo, RestartsExhausted, Seq, Strategy, SubscribeTo, Supervisor,
)
from ._core import (
    RECEIVE, RECEIVE_ONE, AxonError, BoxFull, BoxInfo, BoxSpec, BoxStatistics, Component, ComponentError,
    ComponentInfo, core_implementation, Deadlock, EmptyBox, EndSignal, Inbox, Instrument, Link, LinkError, LinkInfo,
    LinkKind, Outbox, Policy, Priority, ProducerFinished, Profiler, ReaderGone, Scheduler,
    SchedulerStatistics, ServiceError, ServiceRegistry, Shutdown, Snapshot, State,
    ThreadedComponent, ThreadStopped, building, run, run_async, snapshot,
)
from ._tools import Introspector, draw, to_dot

if TYPE_CHECKING:
    from ._processes import (
        ChildProcess, Codec, CodecError, DecodeError, EncodeError, FrameReader, JSONCodec,
        LostMessage, MsgpackCodec, OnLost, PickleCodec, PoolStatistics, ProcessDied,
        ProcessStatistics, RemoteError, WorkerPool, codec_for, frame,
    )

#: Loaded on first use (``axon.ChildProcess``, ...): most programs run in one process, and
#: the process layer (multiprocessing, pickle, json, the wire codecs) is ~10 ms of
#: ``import axon`` (python -X importtime).
_PROCESS_NAMES = frozenset({
    "ChildProcess", "Codec", "CodecError", "DecodeError", "EncodeError", "FrameReader",
    "JSONCodec", "LostMessage", "MsgpackCodec", "OnLost", "PickleCodec", "PoolStatistics",
    "ProcessDied", "ProcessStatistics", "RemoteError", "WorkerPool", "codec_for", "frame",
})


def __getattr__(name: str) -> Any:
    if name in _PROCESS_NAMES:
        from . import _processes
        value = getattr(_processes, name)
        globals()[name] = value  # (once: later reads find it at once)
        return value
    raise AttributeError(f"module 'axon' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _PROCESS_NAMES)

__all__ = [
    "AxonError",
    "Backplane",
    "BackplaneStatistics",
    "BoxFull",
    "BoxInfo",
    "BoxSpec",
    "BoxStatistics",
    "building",
    "Carousel",
    "ChildFailed",
    "ChildProcess",
    "Codec",
    "codec_for",
    "CodecError",
    "Component",
    "ComponentError",
    "ComponentInfo",
    "core_implementation",
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
    "Priority",
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
