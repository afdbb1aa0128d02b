"""Axon: components with named inboxes and outboxes, linked into systems and run by a scheduler.

A component is a generator (``main()``) that talks only to its own boxes; links collapse
delivery so that a send is one deque append; compositions snap components together.
"""

from ._box import BoxSpec, BoxStatistics, Inbox, Link, LinkKind, Outbox, Policy
from ._component import RECEIVE, Component, State
from ._errors import AxonError, BoxFull, ComponentError, Deadlock, EmptyBox, LinkError
from ._message import EndSignal, ProducerFinished, Shutdown
from ._pipeline import Pipeline
from ._scheduler import Scheduler, SchedulerStatistics, run, run_async
from ._threaded import ThreadedComponent, ThreadStopped

__all__ = [
    "RECEIVE",
    "AxonError",
    "BoxFull",
    "BoxSpec",
    "BoxStatistics",
    "Component",
    "ComponentError",
    "Deadlock",
    "EmptyBox",
    "EndSignal",
    "Inbox",
    "Link",
    "LinkError",
    "LinkKind",
    "Outbox",
    "Pipeline",
    "Policy",
    "ProducerFinished",
    "Scheduler",
    "SchedulerStatistics",
    "Shutdown",
    "State",
    "ThreadStopped",
    "ThreadedComponent",
    "run",
    "run_async",
]
