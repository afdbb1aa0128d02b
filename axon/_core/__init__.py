"""The core: messages, errors, services, instruments, boxes, components and the scheduler.

It imports nothing outside itself.  The layers above (compositions, processes, tools) use
only what this ``__all__`` names: the public API re-exported by ``axon``, and a few parts
for those layers (``hand_over``, the snapshot ids, ``StandIn``), never a private module.
``tests/axon/test_layering.py`` checks it.
"""

from ._building import building
from ._box import Box, BoxSpec, BoxStatistics, Inbox, Link, LinkKind, Outbox, Policy
from ._component import RECEIVE, Component, State
from ._errors import AxonError, BoxFull, ComponentError, Deadlock, EmptyBox, LinkError
from ._handover import hand_over
from ._inspect import (
    BoundaryStatistics, BoxInfo, ComponentInfo, LinkInfo, Profiler, Snapshot, StandIn, box_id,
    component_id, snapshot, walk,
)
from ._instrument import Instrument
from ._message import EndSignal, ProducerFinished, ReaderGone, Shutdown
from ._priority import Priority
from ._scheduler import Scheduler, SchedulerStatistics, run, run_async
from ._services import ServiceError, ServiceRegistry
from ._task import IMPLEMENTATION as core_implementation
from ._task import RECEIVE_ONE, taken_by
from ._threaded import ThreadedComponent, ThreadStopped

__all__ = [
    "building",
    "AxonError",
    "BoundaryStatistics",
    "Box",
    "box_id",
    "BoxFull",
    "BoxInfo",
    "BoxSpec",
    "BoxStatistics",
    "Component",
    "component_id",
    "ComponentError",
    "ComponentInfo",
    "core_implementation",
    "Deadlock",
    "EmptyBox",
    "EndSignal",
    "hand_over",
    "Inbox",
    "Instrument",
    "Link",
    "LinkError",
    "LinkInfo",
    "LinkKind",
    "Outbox",
    "Policy",
    "Priority",
    "ProducerFinished",
    "Profiler",
    "ReaderGone",
    "RECEIVE",
    "RECEIVE_ONE",
    "run",
    "run_async",
    "Scheduler",
    "SchedulerStatistics",
    "ServiceError",
    "ServiceRegistry",
    "Shutdown",
    "snapshot",
    "Snapshot",
    "StandIn",
    "State",
    "taken_by",
    "ThreadedComponent",
    "ThreadStopped",
    "walk",
]
