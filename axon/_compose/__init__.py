"""Compositions: components that snap other components together.

Built on the core's API only (``axon._core``'s ``__all__``); the layers above use what
this ``__all__`` names.
"""

from ._backplane import Backplane, BackplaneStatistics, PublishTo, SubscribeTo
from ._carousel import Carousel
from ._graphline import Graphline
from ._handle import Handle
from ._parallel import Parallel
from ._pipeline import Pipeline
from ._seq import Seq
from ._supervisor import ChildFailed, RestartsExhausted, Strategy, Supervisor

__all__ = [
    "Backplane",
    "BackplaneStatistics",
    "Carousel",
    "ChildFailed",
    "Graphline",
    "Handle",
    "Parallel",
    "Pipeline",
    "PublishTo",
    "RestartsExhausted",
    "Seq",
    "Strategy",
    "SubscribeTo",
    "Supervisor",
]
